use pw_runtime::Pingback;

// The same derive listed twice in one attribute: one error, and the items
// are still generated once (`PurchaseOwn` below is found).
#[derive(Debug, Pingback, Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

fn main() {
    let _ = PurchaseOwn { campaign: "spring".into() };
}
