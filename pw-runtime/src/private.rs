//! Support for the code `#[derive(Pingback)]` generates. Not public API:
//! it may change in any release.
//!
//! Nothing here is generic over a field's type: the generated code calls
//! the field type's `FromValue` / `FromValues` itself, so that a type that
//! cannot hold its parameter is reported at the field, with the trait's
//! message, and never as a bound of a function of this module.

use crate::params::Params;
use crate::schema::{shown_value, DecodeError};
use crate::value::{Kind, ValueError};

pub use std::string::String;
pub use std::vec::Vec;

/// The value of parameter `name`, unless it is absent or empty.
#[inline]
pub fn text<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).filter(|text| !text.is_empty())
}

/// The elements of the array parameter `name` (a cart's `goodsid[...]`),
/// in key order; empty when there are none.
pub fn items<'a>(params: &'a Params, name: &str) -> Vec<&'a str> {
    params
        .get_array(name)
        .map(|items| items.map(|(_, value)| value).collect())
        .unwrap_or_default()
}

/// A parameter of kind `K` is absent or empty, and its field cannot hold
/// an empty value.
#[cold]
pub fn missing<K: Kind>(parameter: &'static str) -> DecodeError {
    DecodeError::Missing {
        parameter,
        expected: K::KIND.description(),
    }
}

/// A parameter's text is not a value of kind `K`.
#[cold]
pub fn invalid<K: Kind>(parameter: &'static str, text: &str, error: &ValueError) -> DecodeError {
    DecodeError::Invalid {
        parameter,
        expected: K::KIND.description(),
        value: shown_value(text),
        reason: error.reason().to_owned(),
    }
}

/// The same, for an element of an array parameter.
#[cold]
pub fn invalid_items<K: Kind>(
    parameter: &'static str,
    items: &[&str],
    error: &ValueError,
) -> DecodeError {
    invalid::<K>(parameter, &items.join(","), error)
}
