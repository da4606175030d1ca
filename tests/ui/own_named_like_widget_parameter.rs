use pw_runtime::Pingback;

// The widget call sets these itself: an OWN parameter of the same name is
// overwritten, or changes the payment page.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    widget: String,
    #[pingback(own)]
    email: String,
    #[pingback(own)]
    sign: String,
    #[pingback(own, param = "success_url")]
    back_to: String,
    // The user profile the widget call sends as `customer[...]`.
    #[pingback(own)]
    customer: String,
}

fn main() {}
