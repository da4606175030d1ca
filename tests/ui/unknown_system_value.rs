use pw_runtime::{Decimal, Pingback};

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "REVENUE_LOCALE", param = "rev")]
    revenue: Decimal,
}

fn main() {}
