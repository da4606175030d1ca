//! Which signature versions a listener accepts.

use super::SignatureVersion;

/// Which signature versions a listener accepts: every version from
/// `minimum` up. The default minimum is version 2, because version 1 does
/// not sign custom parameters, `is_test` or `reason`.
///
/// ```
/// use pw_runtime::{SignatureVersion, VersionPolicy};
/// let policy = VersionPolicy::default();
/// assert!(!policy.accepts(SignatureVersion::V1));
/// assert!(policy.accepts(SignatureVersion::V3));
/// assert!(VersionPolicy::minimum(SignatureVersion::V1).accepts(SignatureVersion::V1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionPolicy {
    minimum: SignatureVersion,
}

impl VersionPolicy {
    /// Accept `minimum` and every later version.
    ///
    /// ```
    /// use pw_runtime::{SignatureVersion, VersionPolicy};
    /// assert!(!VersionPolicy::minimum(SignatureVersion::V3).accepts(SignatureVersion::V2));
    /// ```
    pub const fn minimum(minimum: SignatureVersion) -> Self {
        VersionPolicy { minimum }
    }

    /// The lowest accepted version.
    ///
    /// ```
    /// use pw_runtime::{SignatureVersion, VersionPolicy};
    /// assert_eq!(VersionPolicy::default().lowest(), SignatureVersion::V2);
    /// ```
    pub const fn lowest(self) -> SignatureVersion {
        self.minimum
    }

    /// True when `version` is accepted.
    ///
    /// ```
    /// use pw_runtime::{SignatureVersion, VersionPolicy};
    /// assert!(VersionPolicy::default().accepts(SignatureVersion::V2));
    /// ```
    pub fn accepts(self, version: SignatureVersion) -> bool {
        version >= self.minimum
    }
}

impl Default for VersionPolicy {
    fn default() -> Self {
        VersionPolicy::minimum(SignatureVersion::V2)
    }
}
