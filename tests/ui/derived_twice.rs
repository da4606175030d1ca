use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
#[derive(Pingback)]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

fn main() {
    let _ = PurchaseOwn { campaign: "spring".into() };
}
