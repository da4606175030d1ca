use pw_runtime::{Decimal, Pingback};

// One compile reports every problem of the struct, each at its token.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "REVENUE_LOCAL")]
    revenue: bool,
    #[pingback(system = "SUBSCRIPTON_ID")]
    subscription: Option<String>,
    #[pingback(own)]
    r#ref: String,
    #[pingback(standard = "currency")]
    coins: Decimal,
    untagged: String,
}

fn main() {}
