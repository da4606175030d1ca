use pw_runtime::{Decimal, Pingback};

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(standard = "currency")]
    coins: Decimal,
}

#[derive(Pingback)]
#[pingback(api = "cart")]
struct Order {
    #[pingback(standard = "slength")]
    length: Option<i32>,
}

fn main() {}
