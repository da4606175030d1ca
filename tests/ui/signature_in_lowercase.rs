use pw_runtime::Pingback;

// Written in lowercase, `SIGNATURE` still cannot be a custom parameter: the
// error says why, not how to spell it.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "signature", param = "copy")]
    signature: String,
}

fn main() {}
