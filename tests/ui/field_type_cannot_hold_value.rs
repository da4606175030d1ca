use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "REVENUE_LOCAL")]
    revenue: bool,
    #[pingback(system = "REVENUE")]
    revenue_usd: f64,
}

fn main() {}
