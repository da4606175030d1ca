use pw_runtime::Pingback;

// Each name breaks the one rule (1 to 64 ASCII letters, digits or `_`):
// one error per field.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own, param = "utm-source")]
    source: String,
    #[pingback(own, param = "utm.medium")]
    medium: String,
    #[pingback(own, param = "tag\0")]
    tag: String,
    #[pingback(own, param = "")]
    empty: String,
    #[pingback(own, param = "items[0]")]
    item: String,
    #[pingback(own, param = " campaign")]
    campaign: String,
    #[pingback(own)]
    kampanjkod_för_våren: String,
}

fn main() {}
