use pw_runtime::{Decimal, Pingback};

// A misspelt key is one error: the field is not also said to have no
// source, nor to need an `Option`.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(sytem = "REVENUE")]
    revenue: Decimal,
    #[pingback(onw)]
    campaign: String,
    #[pingback(system = "SUBSCRIPTION_ID", allways_filled)]
    subscription: String,
}

fn main() {}
