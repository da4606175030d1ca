//! The signature version a pingback declares (`sign_version`).

use std::fmt;

use super::SignatureError;
use crate::params::Params;
use pw_catalog::ApiType;

/// A signature version, the `sign_version` parameter.
///
/// ```
/// use pw_runtime::SignatureVersion;
/// assert_eq!(SignatureVersion::from_number(3), Some(SignatureVersion::V3));
/// assert_eq!(SignatureVersion::V2.number(), 2);
/// assert!(SignatureVersion::V1 < SignatureVersion::V2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SignatureVersion {
    /// MD5 over a fixed subset of parameters (deprecated).
    V1,
    /// MD5 over every parameter.
    V2,
    /// SHA-256 over every parameter.
    V3,
}

impl SignatureVersion {
    /// The version numbered `number`, if there is one.
    ///
    /// ```
    /// assert_eq!(pw_runtime::SignatureVersion::from_number(4), None);
    /// ```
    pub const fn from_number(number: u8) -> Option<Self> {
        match number {
            1 => Some(SignatureVersion::V1),
            2 => Some(SignatureVersion::V2),
            3 => Some(SignatureVersion::V3),
            _ => None,
        }
    }

    /// The number written in `sign_version`.
    ///
    /// ```
    /// assert_eq!(pw_runtime::SignatureVersion::V1.number(), 1);
    /// ```
    pub const fn number(self) -> u8 {
        match self {
            SignatureVersion::V1 => 1,
            SignatureVersion::V2 => 2,
            SignatureVersion::V3 => 3,
        }
    }

    /// The version a pingback declares: `sign_version` absent means 1, and a
    /// cart pingback is always 2.
    ///
    /// # Errors
    ///
    /// [`SignatureError::UnknownVersion`] for a value other than `1`, `2`,
    /// `3`; [`SignatureError::CartVersion`] for a cart pingback that declares
    /// another version than 2.
    ///
    /// ```
    /// use pw_runtime::{ApiType, Params, SignatureVersion};
    /// let v3 = Params::from_pairs([("sign_version", "3")]).unwrap();
    /// assert_eq!(SignatureVersion::of_pingback(ApiType::DigitalGoods, &v3), Ok(SignatureVersion::V3));
    /// let none = Params::from_pairs([("uid", "u")]).unwrap();
    /// assert_eq!(SignatureVersion::of_pingback(ApiType::DigitalGoods, &none), Ok(SignatureVersion::V1));
    /// assert_eq!(SignatureVersion::of_pingback(ApiType::Cart, &none), Ok(SignatureVersion::V2));
    /// ```
    pub fn of_pingback(api: ApiType, params: &Params) -> Result<Self, SignatureError> {
        Self::from_declared(api, params.get("sign_version"))
    }

    /// [`SignatureVersion::from_declared`] of the bytes of `sign_version`,
    /// `None` for every refusal (whose error the text then gives): no
    /// test of character boundaries to slice the text.
    #[inline]
    pub(super) fn from_declared_bytes(api: ApiType, declared: Option<&[u8]>) -> Option<Self> {
        match (api, declared) {
            (ApiType::Cart, None | Some(b"2")) => Some(SignatureVersion::V2),
            (ApiType::Cart, Some(_)) => None,
            (_, None | Some(b"1")) => Some(SignatureVersion::V1),
            (_, Some(b"2")) => Some(SignatureVersion::V2),
            (_, Some(b"3")) => Some(SignatureVersion::V3),
            (_, Some(_)) => None,
        }
    }

    pub(super) fn from_declared(
        api: ApiType,
        declared: Option<&str>,
    ) -> Result<Self, SignatureError> {
        match (api, declared) {
            (ApiType::Cart, None | Some("2")) => Ok(SignatureVersion::V2),
            (ApiType::Cart, Some(value)) => Err(SignatureError::CartVersion {
                value: pw_catalog::shown(value),
            }),
            (_, None) => Ok(SignatureVersion::V1),
            (_, Some("1")) => Ok(SignatureVersion::V1),
            (_, Some("2")) => Ok(SignatureVersion::V2),
            (_, Some("3")) => Ok(SignatureVersion::V3),
            (_, Some(value)) => Err(SignatureError::UnknownVersion {
                value: pw_catalog::shown(value),
            }),
        }
    }
}

impl fmt::Display for SignatureVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The version read from the bytes is the one read from the text,
        /// and a refusal of the bytes is a refusal of the text.
        #[test]
        fn bytes_and_text_declare_the_same_version(
            declared in proptest::option::of("[0-9]{0,2}|[123 v]{0,3}"),
            api in proptest::sample::select(ApiType::ALL.to_vec()),
        ) {
            let text = SignatureVersion::from_declared(api, declared.as_deref());
            let bytes = SignatureVersion::from_declared_bytes(api, declared.as_deref().map(str::as_bytes));
            proptest::prop_assert_eq!(bytes, text.ok());
        }
    }
}
