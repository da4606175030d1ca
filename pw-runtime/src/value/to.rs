//! [`ToValue`]: a typed value as the text of a widget-call parameter.

use crate::codes::{CountryCode, Currency};
use crate::kinds::{
    ChargebackReason, ChargebackType, PingbackType, Reference, SubscriptionPeriod, UniqueRef,
};
use rust_decimal::Decimal;
use std::net::IpAddr;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcDateTime};

/// Writes a value as the text Paymentwall echoes back, so that an `OWN`
/// parameter set in the widget call arrives in the pingback as the same
/// value.
///
/// ```
/// use pw_runtime::value::ToValue;
/// assert_eq!(true.to_value(), "1");
/// assert_eq!(pw_runtime::Decimal::new(999, 2).to_value(), "9.99");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a widget-call parameter",
    label = "`{Self}` does not implement `ToValue`",
    note = "an `OWN` parameter is set in the widget call and echoed back in the pingback: implement `pw_runtime::value::ToValue` for `{Self}` (the text to send)"
)]
pub trait ToValue {
    /// The parameter text.
    fn to_value(&self) -> String;

    /// The text a widget call sends, or `None` to leave the parameter out:
    /// `Some(self.to_value())` by default, `None` for an `Option` that is
    /// `None`.
    ///
    /// ```
    /// use pw_runtime::value::ToValue;
    /// assert_eq!(Some(true).widget_value().as_deref(), Some("1"));
    /// assert_eq!(None::<bool>.widget_value(), None);
    /// ```
    fn widget_value(&self) -> Option<String> {
        Some(self.to_value())
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> String {
        (**self).to_value()
    }

    fn widget_value(&self) -> Option<String> {
        (**self).widget_value()
    }
}

/// `None` is left out of a widget call (and is empty text otherwise).
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> String {
        self.as_ref().map(ToValue::to_value).unwrap_or_default()
    }

    fn widget_value(&self) -> Option<String> {
        self.as_ref().map(ToValue::to_value)
    }
}

impl ToValue for bool {
    fn to_value(&self) -> String {
        if *self { "1" } else { "0" }.to_owned()
    }
}

impl ToValue for CountryCode {
    fn to_value(&self) -> String {
        self.alpha2().to_owned()
    }
}

impl ToValue for Currency {
    fn to_value(&self) -> String {
        self.code().to_owned()
    }
}

impl ToValue for PingbackType {
    fn to_value(&self) -> String {
        self.code().to_string()
    }
}

impl ToValue for ChargebackReason {
    fn to_value(&self) -> String {
        self.code().to_string()
    }
}

impl ToValue for PrimitiveDateTime {
    fn to_value(&self) -> String {
        let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        self.format(&format).unwrap_or_default()
    }
}

impl ToValue for OffsetDateTime {
    fn to_value(&self) -> String {
        let utc = self.to_offset(time::UtcOffset::UTC);
        PrimitiveDateTime::new(utc.date(), utc.time()).to_value()
    }
}

impl ToValue for UtcDateTime {
    fn to_value(&self) -> String {
        PrimitiveDateTime::new(self.date(), self.time()).to_value()
    }
}

/// Types whose `Display` is already the parameter text.
macro_rules! displayed {
    ($($ty:ty),* $(,)?) => {$(
        impl ToValue for $ty {
            fn to_value(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

displayed!(
    str,
    String,
    Decimal,
    IpAddr,
    Reference,
    UniqueRef,
    SubscriptionPeriod,
    ChargebackType,
    i8,
    i16,
    i32,
    i64,
    i128,
    u8,
    u16,
    u32,
    u64,
    u128,
);
