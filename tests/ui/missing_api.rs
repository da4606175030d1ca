use pw_runtime::Pingback;

#[derive(Pingback)]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

fn main() {}
