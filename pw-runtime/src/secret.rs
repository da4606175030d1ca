//! The project's secret key, which never shows itself.

use std::fmt;

/// A Paymentwall project's secret key.
///
/// Its `Debug` and `Display` print `SecretKey(***)`, so a key inside a
/// logged configuration or error never leaks. The bytes are reachable only
/// through [`SecretKey::expose`], which the signature code calls.
///
/// ```
/// use pw_runtime::SecretKey;
///
/// let key = SecretKey::new("a7408723eaf4bfa2e3ac49b3cb695046");
/// assert_eq!(format!("{key:?}"), "SecretKey(***)");
/// assert_eq!(key.to_string(), "SecretKey(***)");
/// assert!(!format!("{key:#?}").contains("a740"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Box<str>);

impl SecretKey {
    /// Wraps a secret key.
    ///
    /// ```
    /// let key = pw_runtime::SecretKey::new(String::from("s3cret"));
    /// assert_eq!(key.expose(), "s3cret");
    /// ```
    pub fn new(key: impl Into<String>) -> Self {
        SecretKey(key.into().into_boxed_str())
    }

    /// The key itself, for computing a signature. Do not log it.
    ///
    /// ```
    /// assert_eq!(pw_runtime::SecretKey::new("k").expose(), "k");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl From<&str> for SecretKey {
    fn from(key: &str) -> Self {
        SecretKey::new(key)
    }
}

impl From<String> for SecretKey {
    fn from(key: String) -> Self {
        SecretKey::new(key)
    }
}
