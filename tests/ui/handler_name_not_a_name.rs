use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods", handler = "Shop Handler")]
struct Purchase {}

#[derive(Pingback)]
#[pingback(api = "digital_goods", handler = "Order")]
struct Order {}

fn main() {}
