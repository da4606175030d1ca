use pw_runtime::value::{kind, FromValue, ToValue, ValueError};
use pw_runtime::Pingback;
use std::cell::Cell;
use std::rc::Rc;

/// A campaign shared by `Rc`: neither `Send` nor `Sync`.
struct Campaign(Rc<str>);

impl FromValue<kind::Text> for Campaign {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        Ok(Campaign(text.into()))
    }
}

impl ToValue for Campaign {
    fn to_value(&self) -> String {
        self.0.to_string()
    }
}

/// A counter in a `Cell`: `Send`, not `Sync`.
struct Counter(Cell<i64>);

impl FromValue<kind::Integer> for Counter {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        <i64 as FromValue<kind::Integer>>::from_value(text).map(|n| Counter(Cell::new(n)))
    }
}

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    campaign: Campaign,
    #[pingback(standard = "slength", always_filled)]
    length: Counter,
}

fn main() {}
