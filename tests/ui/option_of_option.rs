use pw_runtime::Pingback;

/// An alias of an `Option`: the field below is an `Option` of an `Option`
/// although it is not written so.
type MaybeSubscription = Option<String>;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(system = "SUBSCRIPTION_ID")]
    subscription: Option<MaybeSubscription>,
}

fn main() {}
