use pw_runtime::Pingback;

// A trait of the user's already has the name the generated handler trait
// takes; `handler = "..."` would give the generated one another name.
pub trait PurchaseHandler {}

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

fn main() {}
