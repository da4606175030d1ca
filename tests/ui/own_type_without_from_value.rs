use pw_runtime::Pingback;

/// A type of the user's that does not say it can hold a country code.
struct Country(String);

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "COUNTRY_CODE")]
    country: Country,
}

fn main() {}
