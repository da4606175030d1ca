use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "virtual_currency")]
struct Coins {
    campaign: String,
}

fn main() {}
