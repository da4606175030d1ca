use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    uid: String,
    #[pingback(own, param = "sign_version")]
    version: String,
}

fn main() {}
