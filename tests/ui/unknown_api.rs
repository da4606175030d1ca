use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_good")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

fn main() {}
