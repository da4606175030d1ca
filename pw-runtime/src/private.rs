//! Support for the code `#[derive(Pingback)]` generates. Not public API:
//! it may change in any release.

use crate::schema::DecodeError;
use crate::value::{FromValue, Kind};
use crate::Params;

pub use std::string::String;
pub use std::vec::Vec;

/// The value of a field that is not an `Option`: absent or empty is an
/// error.
#[inline]
pub fn required<K: Kind, T: FromValue<K>>(
    params: &Params,
    name: &'static str,
) -> Result<T, DecodeError> {
    match params.get(name) {
        Some(text) if !text.is_empty() => convert::<K, T>(name, text),
        _ => Err(DecodeError::Missing {
            parameter: name,
            expected: K::KIND.description(),
        }),
    }
}

/// The value of an `Option` field: absent or empty is `None`.
#[inline]
pub fn optional<K: Kind, T: FromValue<K>>(
    params: &Params,
    name: &'static str,
) -> Result<Option<T>, DecodeError> {
    match params.get(name) {
        Some(text) if !text.is_empty() => convert::<K, T>(name, text).map(Some),
        _ => Ok(None),
    }
}

fn convert<K: Kind, T: FromValue<K>>(name: &'static str, text: &str) -> Result<T, DecodeError> {
    T::from_value(text).map_err(|error| DecodeError::Invalid {
        parameter: name,
        expected: K::KIND.description(),
        value: crate::schema::shown_value(text),
        reason: error.reason().to_owned(),
    })
}

/// The elements of an array parameter (a cart's `goodsid[...]`), in key
/// order; an error when there are none.
pub fn required_array(params: &Params, name: &'static str) -> Result<Vec<String>, DecodeError> {
    optional_array(params, name)?.ok_or(DecodeError::Missing {
        parameter: name,
        expected: crate::catalog::ValueKind::ProductIds.description(),
    })
}

/// The elements of an array parameter, `None` when there are none.
pub fn optional_array(
    params: &Params,
    name: &'static str,
) -> Result<Option<Vec<String>>, DecodeError> {
    Ok(params
        .get_array(name)
        .map(|items| items.map(|(_, value)| value.to_owned()).collect::<Vec<_>>())
        .filter(|items| !items.is_empty()))
}
