use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
enum Purchase {
    Gems,
}

fn main() {}
