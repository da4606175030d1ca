use pw_runtime::Pingback;

// `r#type` names the parameter `type`, the pingback type's.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    r#type: String,
}

fn main() {}
