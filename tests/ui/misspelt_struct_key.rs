use pw_runtime::Pingback;

// `API` is not `api`: one error, not also "missing API type".
#[derive(Pingback)]
#[pingback(API = "cart")]
struct Order {
    #[pingback(own)]
    campaign: String,
}

fn main() {}
