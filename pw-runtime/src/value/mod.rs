//! Value kinds: how a pingback parameter's text becomes a typed Rust value,
//! and how a typed value becomes widget-call text again.
//!
//! Every parameter of the [catalog](crate::catalog) has a [`ValueKind`]
//! and, for each kind, a marker type in [`kind`]. A field type `T` can hold
//! a kind `K` when `T: FromValue<K>`; `#[derive(Pingback)]` requires exactly
//! that, so a field that cannot hold its parameter's value does not compile.
//!
//! | kind | accepted types |
//! |---|---|
//! | [`kind::Text`] | `String` |
//! | [`kind::Decimal`] | [`Decimal`](crate::Decimal), `String` |
//! | [`kind::DateTime`] | [`time::PrimitiveDateTime`], `String` |
//! | [`kind::DateTimeUtc`] | [`time::OffsetDateTime`] (UTC), [`time::UtcDateTime`], [`time::PrimitiveDateTime`], `String` |
//! | [`kind::Country`], [`kind::CountryAlpha3`] | [`CountryCode`](crate::CountryCode), `String` |
//! | [`kind::Currency`] | [`Currency`](crate::Currency), `String` |
//! | [`kind::Flag`] | `bool` |
//! | [`kind::IpAddress`] | [`IpAddr`](std::net::IpAddr), `String` |
//! | [`kind::Reference`] | [`Reference`](crate::Reference), `String` |
//! | [`kind::UniqueReference`] | [`UniqueRef`](crate::UniqueRef), `String` |
//! | [`kind::ChargebackReason`] | [`ChargebackReason`](crate::ChargebackReason) |
//! | [`kind::ChargebackType`] | [`ChargebackType`](crate::ChargebackType) |
//! | [`kind::Integer`] | `i64`, `i32` |
//! | [`kind::Period`] | [`SubscriptionPeriod`](crate::SubscriptionPeriod) |
//! | [`kind::PingbackType`] | [`PingbackType`](crate::PingbackType) |
//! | [`kind::ProductIds`] | `Vec<String>` |
//!
//! A value that may be empty goes in `Option<T>`: empty (or absent) is
//! `None`. Accept a kind into a type of your own by implementing
//! [`FromValue`]:
//!
//! ```
//! use pw_runtime::value::{kind, FromValue, ValueError};
//!
//! /// Cents, never a float.
//! struct Cents(i64);
//!
//! impl FromValue<kind::Decimal> for Cents {
//!     fn from_value(text: &str) -> Result<Self, ValueError> {
//!         let amount = pw_runtime::Decimal::from_value(text)?;
//!         let cents = (amount * pw_runtime::Decimal::ONE_HUNDRED).trunc();
//!         i64::try_from(cents).map(Cents).map_err(|_| ValueError::new("out of range"))
//!     }
//! }
//!
//! assert_eq!(<Cents as FromValue<kind::Decimal>>::from_value("9.99").unwrap().0, 999);
//! ```

mod codes;
mod from;
pub mod kind;
mod to;

pub use crate::catalog::ValueKind;
pub use kind::Kind;
pub use to::ToValue;

use std::fmt;

/// Turns the text of a pingback parameter of kind `K` into `Self`.
///
/// See the [module documentation](self) for the types pw accepts for each
/// kind; implement it to accept a kind into a type of your own.
///
/// ```
/// use pw_runtime::value::{kind, FromValue};
///
/// assert!(<bool as FromValue<kind::Flag>>::from_value("1").unwrap());
/// assert!(<bool as FromValue<kind::Flag>>::from_value("yes").is_err());
/// ```
#[diagnostic::on_unimplemented(
    message = "the field type `{Self}` cannot hold a Paymentwall value of kind `{K}`",
    label = "this type cannot hold the parameter's value",
    note = "the types each value kind accepts are listed in the documentation of `pw_runtime::value`",
    note = "to accept it into your own type, implement `pw_runtime::value::FromValue<{K}>` for `{Self}`"
)]
pub trait FromValue<K: Kind>: Sized {
    /// Parses the decoded parameter text.
    ///
    /// # Errors
    ///
    /// A [`ValueError`] when the text is not a value of the kind.
    fn from_value(text: &str) -> Result<Self, ValueError>;
}

/// The text of a parameter is not a value of its kind.
///
/// ```
/// use pw_runtime::value::ValueError;
/// assert_eq!(ValueError::new("not a country code").to_string(), "not a country code");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    reason: String,
}

impl ValueError {
    /// An error saying why the text is not a value of the kind.
    ///
    /// ```
    /// let _ = pw_runtime::value::ValueError::new("too many decimal places");
    /// ```
    pub fn new(reason: impl Into<String>) -> Self {
        ValueError {
            reason: reason.into(),
        }
    }

    /// Why the text is not a value of the kind.
    ///
    /// ```
    /// assert_eq!(pw_runtime::value::ValueError::new("bad").reason(), "bad");
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ValueError {}
