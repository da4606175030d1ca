use pw_runtime::Pingback;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own, param = "ag_name")]
    product: String,
    #[pingback(own, param = "ag_campaign")]
    campaign: String,
    #[pingback(own, param = "amount")]
    amount: String,
    #[pingback(own, param = "currencyCode")]
    currency: String,
}

fn main() {}
