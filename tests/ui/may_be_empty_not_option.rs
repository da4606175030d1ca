use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "SUBSCRIPTION_ID")]
    subscription: String,
    // Allowed: the merchant says their setup always fills it.
    #[pingback(system = "PRODUCT_CUSTOM_FIELD", always_filled)]
    custom: String,
}

fn main() {}
