use pw_runtime::{Decimal, Pingback};

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "revenue_local")]
    revenue: Decimal,
    #[pingback(system = "User_Ip")]
    ip: std::net::IpAddr,
}

fn main() {}
