use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "OWN")]
    campaign: String,
    #[pingback(standard = "own")]
    referrer: String,
}

// The struct still gets its `OWN` parameters: this compiles.
fn own() -> PurchaseOwn {
    PurchaseOwn { campaign: "spring".into(), referrer: "mail".into() }
}

fn main() {
    let _ = own();
}
