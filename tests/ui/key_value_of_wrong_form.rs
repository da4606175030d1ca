use pw_runtime::{Decimal, Pingback};

#[derive(Pingback)]
#[pingback(api = digital_goods, min_version = "3")]
struct Purchase {
    #[pingback(own = true)]
    campaign: String,
    #[pingback(system = REVENUE_LOCAL)]
    revenue: Decimal,
    #[pingback(own, param)]
    referrer: String,
    #[pingback(standard = "slength", always_filled("yes"))]
    length: i32,
}

// One error per mistake: the OWN struct has both OWN fields.
fn main() {
    let _ = PurchaseOwn { campaign: "spring".into(), referrer: "mail".into() };
}
