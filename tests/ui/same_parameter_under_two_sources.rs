use pw_runtime::{Decimal, Pingback};

// An OWN parameter and a system value both named `rev`.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own, param = "rev")]
    campaign: String,
    #[pingback(system = "REVENUE", param = "rev")]
    revenue: Decimal,
}

fn main() {}
