use pw_runtime::{Decimal, Pingback};

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(standard = "REVENUE")]
    revenue: Decimal,
    #[pingback(standard = "country_code")]
    country: pw_runtime::CountryCode,
}

fn main() {}
