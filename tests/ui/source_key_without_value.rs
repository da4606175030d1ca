use pw_runtime::{Decimal, Pingback};

// `system(...)` is not `system = "..."`: one error, not also "no source".
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system("REVENUE"))]
    revenue: Decimal,
}

fn main() {}
