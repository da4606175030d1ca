use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "slength")]
    length: Option<i32>,
    #[pingback(system = "uid")]
    user: String,
    #[pingback(system = "goodsid")]
    product: String,
}

fn main() {}
