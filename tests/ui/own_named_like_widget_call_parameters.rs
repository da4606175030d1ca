use pw_runtime::Pingback;

// Every name below is one the widget call itself sends: one error each.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    ts: String,
    #[pingback(own)]
    pingback_url: String,
    #[pingback(own)]
    success_url: String,
    #[pingback(own)]
    lang: String,
    #[pingback(own)]
    firstname: String,
    #[pingback(own)]
    history: String,
    #[pingback(own)]
    ag_campaign: String,
    #[pingback(own, param = "currencyCode")]
    currency_code: String,
    #[pingback(own, param = "post_trial_amount")]
    later_price: String,
}

#[derive(Pingback)]
#[pingback(api = "cart")]
struct Order {
    #[pingback(own)]
    external_ids: String,
    #[pingback(own)]
    prices: String,
}

fn main() {}
