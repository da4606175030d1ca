use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods", min_version = -1)]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

#[derive(Pingback)]
#[pingback(api = "virtual_currency", min_version = 2.0)]
struct Coins {
    #[pingback(own)]
    campaign: String,
}

fn main() {}
