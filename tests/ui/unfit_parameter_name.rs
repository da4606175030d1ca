use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own, param = "items[0]")]
    first: String,
    #[pingback(own, param = "my param")]
    second: String,
    #[pingback(own, param = "")]
    third: String,
}

fn main() {}
