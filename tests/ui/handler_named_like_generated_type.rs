use pw_runtime::Pingback;

// `PurchaseOwn` is the struct of OWN parameters the derive generates.
#[derive(Pingback)]
#[pingback(api = "digital_goods", handler = "PurchaseOwn")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

fn main() {}
