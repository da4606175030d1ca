use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods", own)]
#[pingback(param = "campaign")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

fn main() {}
