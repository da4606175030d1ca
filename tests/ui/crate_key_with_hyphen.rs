use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods", crate = "pw-runtime")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

#[derive(Pingback)]
#[pingback(api = "digital_goods", crate = "not a path")]
struct Order {}

fn main() {}
