use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own, min_version = 3)]
    campaign: String,
    #[pingback(api = "cart", own)]
    referrer: String,
}

fn main() {}
