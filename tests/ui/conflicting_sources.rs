use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own, system = "USER_ID")]
    user: String,
}

fn main() {}
