use pw_runtime::value::{kind, FromValue, ValueError};
use pw_runtime::Pingback;

/// Read from a pingback, but never written into a widget call.
struct Referrer(String);

impl FromValue<kind::Text> for Referrer {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        Ok(Referrer(text.to_owned()))
    }
}

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    referrer: Referrer,
}

fn main() {}
