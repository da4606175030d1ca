use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "SIGNATURE", param = "sig_copy")]
    signature: String,
}

#[derive(Pingback)]
#[pingback(api = "virtual_currency")]
struct Coins {
    #[pingback(system = "SIGNATURE")]
    signature: Option<String>,
}

fn main() {}
