use pw_runtime::Pingback;

// `Subscription` is an alias of `String`, not of an `Option`.
type Subscription = String;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "SUBSCRIPTION_ID")]
    subscription: Subscription,
    #[pingback(standard = "reason")]
    reason: pw_runtime::ChargebackReason,
}

fn main() {}
