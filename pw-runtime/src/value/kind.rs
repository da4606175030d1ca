//! One marker type per [`ValueKind`], for [`FromValue`](super::FromValue).
//!
//! ```
//! use pw_runtime::value::{kind, Kind, ValueKind};
//! assert_eq!(<kind::Decimal as Kind>::KIND, ValueKind::Decimal);
//! ```

use super::ValueKind;

/// A value kind as a type.
///
/// ```
/// use pw_runtime::value::{kind, Kind};
/// assert_eq!(kind::Flag::KIND.description(), "a flag `0` or `1`");
/// ```
pub trait Kind: 'static {
    /// The kind this marker stands for.
    const KIND: ValueKind;
}

/// One marker type per value kind, from the catalog's list of them (the
/// catalog's documentation of each kind is left to [`ValueKind`]).
macro_rules! markers {
    ($($(#[$kind_doc:meta])* $name:ident,)*) => {$(
        #[doc = concat!("The marker of [`ValueKind::", stringify!($name), "`].")]
        ///
        /// ```
        #[doc = concat!("use pw_runtime::value::{kind, Kind, ValueKind};")]
        #[doc = concat!("assert_eq!(kind::", stringify!($name), "::KIND, ValueKind::", stringify!($name), ");")]
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {}

        impl Kind for $name {
            const KIND: ValueKind = ValueKind::$name;
        }
    )*};
}

pw_catalog::__value_kinds!(markers);
