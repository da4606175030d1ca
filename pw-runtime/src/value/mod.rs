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
//! | [`kind::ProductIds`] | `Vec<String>`, `Vec<T>` of any `T` holding [`kind::Text`] ([`FromValues`]) |
//!
//! A value that may be empty goes in `Option<T>` (any `T` that holds the
//! kind): empty (or absent) is `None`. What a field may hold is decided by
//! these traits, as the compiler sees its type: a type alias, or a type of
//! yours that happens to share a name with one of pw's, is judged by its
//! implementations. Accept a kind into a type of your own by implementing
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

pub(crate) mod codes;
pub(crate) mod from;
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
/// `#[derive(Pingback)]` decides what a field may hold by this trait alone,
/// as the compiler sees the field's type: a type alias, or a type of yours
/// named like one of pw's, is judged by its implementations, not by its
/// name.
///
/// `Option<T>` holds a kind whenever `T` does, and is the one type that
/// holds an empty (or absent) parameter: `None`.
///
/// ```
/// use pw_runtime::value::{kind, FromValue};
///
/// assert!(<bool as FromValue<kind::Flag>>::from_value("1").unwrap());
/// assert!(<bool as FromValue<kind::Flag>>::from_value("yes").is_err());
/// assert_eq!(<bool as FromValue<kind::Flag>>::from_empty(), None);
/// assert_eq!(<Option<bool> as FromValue<kind::Flag>>::from_empty(), Some(None));
/// ```
#[diagnostic::on_unimplemented(
    message = "the field type `{Self}` cannot hold this parameter's value, of kind `{K}`",
    label = "`{Self}` does not implement `FromValue<{K}>`",
    note = "the types each value kind accepts are listed in the documentation of `pw_runtime::value` (amounts are `Decimal`, never a float)",
    note = "to accept it into a type of your own, implement `pw_runtime::value::FromValue<{K}>` for `{Self}`"
)]
pub trait FromValue<K: Kind>: Sized {
    /// Parses the decoded parameter text (never empty: an empty parameter
    /// goes to [`FromValue::from_empty`]).
    ///
    /// # Errors
    ///
    /// A [`ValueError`] when the text is not a value of the kind.
    fn from_value(text: &str) -> Result<Self, ValueError>;

    /// The value of an empty or absent parameter, when this type has one:
    /// `None` by default (the parameter is then missing), `Some(None)` for
    /// an `Option`.
    fn from_empty() -> Option<Self> {
        None
    }

    /// Whether this type holds the empty value itself (an `Option`):
    /// `#[derive(Pingback)]` refuses an `Option` of such a type, which could
    /// never be `Some(None)`.
    #[doc(hidden)]
    const HOLDS_EMPTY: bool = false;
}

/// Why a field cannot be an `Option` of an `Option`.
macro_rules! nested_option {
    () => {
        "a field type that is an `Option` of an `Option` (perhaps through a type alias) \
         cannot hold this parameter: an empty or absent parameter is the outer `None`, and \
         `Some(None)` never happens; hold the value in one `Option`"
    };
}

/// An `Option` holds what its `T` holds, and `None` for an empty or absent
/// parameter. An `Option` of an `Option` is refused where a schema uses it.
impl<K: Kind, T: FromValue<K>> FromValue<K> for Option<T> {
    fn from_value(text: &str) -> Result<Self, ValueError> {
        T::from_value(text).map(Some)
    }

    fn from_empty() -> Option<Self> {
        Some(None)
    }

    const HOLDS_EMPTY: bool = {
        assert!(!T::HOLDS_EMPTY, nested_option!());
        true
    };
}

/// Turns the elements of an array parameter of kind `K` (a cart's
/// `goodsid[0]`, `goodsid[1]`, ...) into `Self`.
///
/// `Vec<T>` holds the product ids when `T` holds text (`Vec<String>`, or a
/// vector of a product-id type of yours); `Option<T>` holds them when `T`
/// does, and `None` when there are none.
///
/// ```
/// use pw_runtime::value::{kind, FromValues};
///
/// let ids = <Vec<String> as FromValues<kind::ProductIds>>::from_values(&["sword", "shield"]).unwrap();
/// assert_eq!(ids, ["sword", "shield"]);
/// ```
#[diagnostic::on_unimplemented(
    message = "the field type `{Self}` cannot hold the cart's product ids",
    label = "use `Vec<String>` (or a `Vec` of a type implementing `FromValue<pw_runtime::value::kind::Text>`)",
    note = "the product ids arrive as `goodsid[0]`, `goodsid[1]`, ...: a list"
)]
pub trait FromValues<K: Kind>: Sized {
    /// Parses the elements, in key order (never none: no element goes to
    /// [`FromValues::from_empty`]).
    ///
    /// # Errors
    ///
    /// A [`ValueError`] when an element is not a value of the kind.
    fn from_values(values: &[&str]) -> Result<Self, ValueError>;

    /// The value of an array parameter with no element: `None` by default
    /// (the parameter is then missing), `Some(None)` for an `Option`.
    fn from_empty() -> Option<Self> {
        None
    }

    /// As [`FromValue::HOLDS_EMPTY`].
    #[doc(hidden)]
    const HOLDS_EMPTY: bool = false;
}

impl<T: FromValue<kind::Text>> FromValues<kind::ProductIds> for Vec<T> {
    fn from_values(values: &[&str]) -> Result<Self, ValueError> {
        values.iter().map(|value| T::from_value(value)).collect()
    }
}

impl<K: Kind, T: FromValues<K>> FromValues<K> for Option<T> {
    fn from_values(values: &[&str]) -> Result<Self, ValueError> {
        T::from_values(values).map(Some)
    }

    fn from_empty() -> Option<Self> {
        Some(None)
    }

    const HOLDS_EMPTY: bool = {
        assert!(!T::HOLDS_EMPTY, nested_option!());
        true
    };
}

/// The field types that can hold a parameter Paymentwall may send empty:
/// `Option<T>`. `#[derive(Pingback)]` requires it of a field whose
/// parameter may be empty (unless the field says `always_filled`), judged
/// on the type as the compiler sees it, so a type alias of an `Option`
/// qualifies.
///
/// ```
/// use pw_runtime::value::Optional;
///
/// type MaybeText = Option<String>;
/// assert_eq!(<MaybeText as Optional>::NONE, None);
/// ```
#[diagnostic::on_unimplemented(
    message = "the field type `{Self}` cannot hold an empty value, and Paymentwall may send this parameter empty",
    label = "make this field an `Option<...>`: empty or absent is `None`",
    note = "if your Paymentwall setup always fills this parameter, add `always_filled` to the field's `#[pingback(...)]`"
)]
pub trait Optional: Sized {
    /// The value of an empty parameter.
    const NONE: Self;
}

impl<T> Optional for Option<T> {
    const NONE: Self = None;
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
