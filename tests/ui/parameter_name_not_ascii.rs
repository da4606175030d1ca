use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "virtual_currency")]
struct Coins {
    #[pingback(own, param = "café")]
    shop: String,
    #[pingback(own, param = "nul\0byte")]
    nul: String,
    #[pingback(own, param = "tab\there")]
    tab: String,
    // A field name of non-ASCII letters is the parameter name by default.
    #[pingback(own)]
    größe: String,
}

fn main() {}
