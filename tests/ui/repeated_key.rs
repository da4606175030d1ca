use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
#[pingback(api = "cart")]
struct Purchase {
    #[pingback(own, param = "a", param = "b")]
    campaign: String,
}

fn main() {}
