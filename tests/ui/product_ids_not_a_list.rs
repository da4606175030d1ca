use pw_runtime::Pingback;

type ProductId = String;

#[derive(Pingback)]
#[pingback(api = "cart")]
struct Order {
    #[pingback(standard = "goodsid")]
    products: ProductId,
}

fn main() {}
