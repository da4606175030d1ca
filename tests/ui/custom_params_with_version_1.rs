use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods", min_version = 1)]
struct Purchase {
    #[pingback(own)]
    campaign: String,
    #[pingback(standard = "goodsid")]
    product: String,
}

fn main() {}
