use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase<T> {
    #[pingback(own)]
    campaign: T,
}

fn main() {}
