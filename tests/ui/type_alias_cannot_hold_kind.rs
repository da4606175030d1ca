use pw_runtime::Pingback;

// An alias is judged by the type it stands for: `Money` is a float here.
type Money = f32;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "PRODUCT_PRICE", param = "price")]
    price: Money,
}

fn main() {}
