use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods", min_version = 4)]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

fn main() {}
