use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    // `%` and `+` are decoded away before a name is matched: such a
    // parameter would never be found.
    #[pingback(own, param = "utm%5Fsource")]
    source: String,
    #[pingback(own, param = "a+b")]
    sum: String,
    #[pingback(system = "REVENUE", param = "net-revenue")]
    revenue: pw_runtime::Decimal,
}

fn main() {}
