use pw_runtime::Pingback;

// Cart pingbacks are always signed with version 2.
#[derive(Pingback)]
#[pingback(api = "cart", min_version = 3)]
struct Order {
    #[pingback(own)]
    order_id: String,
}

#[derive(Pingback)]
#[pingback(min_version = 3, api = "cart")]
struct Basket {}

fn main() {}
