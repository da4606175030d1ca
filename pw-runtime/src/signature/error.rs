//! Why a pingback's signature was not accepted.

use super::SignatureVersion;

/// Why a pingback's signature was not accepted. Never contains the secret
/// or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// There is no `sig` parameter.
    #[error("parameter `sig` is missing")]
    Missing,
    /// `sign_version` is not 1, 2 or 3.
    #[error("`sign_version` is `{value}`; expected 1, 2 or 3")]
    UnknownVersion {
        /// The value received (cut to 64 characters).
        value: String,
    },
    /// A cart pingback declares another version than 2.
    #[error("cart pingbacks are signed with version 2, but `sign_version` is `{value}`")]
    CartVersion {
        /// The value received (cut to 64 characters).
        value: String,
    },
    /// The version is below the policy's minimum.
    #[error(
        "signature version {version} is not accepted: the lowest accepted version is {minimum} \
         (version 1 does not sign custom parameters)"
    )]
    VersionNotAccepted {
        /// The version of the pingback.
        version: SignatureVersion,
        /// The lowest version accepted.
        minimum: SignatureVersion,
    },
    /// The signature does not match the parameters and the secret key.
    #[error(
        "wrong signature (version {version}): `sig` does not match the parameters; check the \
         secret key and that no signed parameter was altered"
    )]
    Mismatch {
        /// The version the signature was checked with.
        version: SignatureVersion,
    },
}
