use pw_runtime::{Decimal, Pingback};

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "REVENUE_LOCAL", param = "rev")]
    revenue: Decimal,
    #[pingback(system = "REVENUE", param = "rev")]
    revenue_usd: Decimal,
}

fn main() {}
