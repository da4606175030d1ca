use pw_runtime::Pingback;

// A schema owns its values: no lifetime parameter.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase<'a> {
    #[pingback(own)]
    campaign: &'a str,
}

fn main() {}
