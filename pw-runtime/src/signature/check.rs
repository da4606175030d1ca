//! Verification: the declared version, the policy, then a constant-time
//! comparison with the expected signature.

use subtle::ConstantTimeEq;

use super::base::PingbackBase;
use super::digest::digest;
use super::{SignatureError, SignatureVersion, VersionPolicy};
use crate::params::Params;
use crate::secret::SecretKey;
use pw_catalog::ApiType;

/// Checks the `sig` of a pingback: its declared version, the policy, then a
/// constant-time comparison with the expected signature. Returns the
/// version that matched.
///
/// # Errors
///
/// Every [`SignatureError`]: `sig` missing, an unknown or refused version, a
/// signature that does not match.
///
/// ```
/// use pw_runtime::{signature, ApiType, Limits, Params, SecretKey, SignatureVersion, VersionPolicy};
/// let query = "uid=test_user&goodsid=test_product&slength=5&speriod=month&type=0&ref=t123\
///              &is_test=1&sign_version=2&sig=754cff93c0eb859f6054bef143ad253c";
/// let params = Params::parse(query.as_bytes(), &Limits::default()).unwrap();
/// let secret = SecretKey::new("a7408723eaf4bfa2e3ac49b3cb695046");
/// let policy = VersionPolicy::default();
/// assert_eq!(
///     signature::check_pingback(ApiType::DigitalGoods, &params, &secret, policy),
///     Ok(SignatureVersion::V2),
/// );
/// let other = SecretKey::new("another key");
/// assert!(signature::check_pingback(ApiType::DigitalGoods, &params, &other, policy).is_err());
/// ```
pub fn check_pingback(
    api: ApiType,
    params: &Params,
    secret: &SecretKey,
    policy: VersionPolicy,
) -> Result<SignatureVersion, SignatureError> {
    let declared = params.get("sign_version");
    check(api, params, secret, policy, declared, params.get("sig"))
}

/// [`check_pingback`] with `sign_version` and `sig` already looked up.
pub(crate) fn check(
    api: ApiType,
    params: &Params,
    secret: &SecretKey,
    policy: VersionPolicy,
    declared: Option<&str>,
    received: Option<&str>,
) -> Result<SignatureVersion, SignatureError> {
    let version = SignatureVersion::from_declared(api, declared)?;
    if !policy.accepts(version) {
        return Err(SignatureError::VersionNotAccepted {
            version,
            minimum: policy.lowest(),
        });
    }
    let received = received.ok_or(SignatureError::Missing)?;
    let base = PingbackBase {
        api,
        version,
        params,
        implied_version: api == ApiType::Cart && declared.is_none(),
    };
    let expected = digest(version, secret, &base);
    if hex_equals(received, expected.as_bytes()) {
        Ok(version)
    } else {
        Err(SignatureError::Mismatch { version })
    }
}

/// True when `received` is the lowercase hex of `expected`, as the
/// official libraries compare (uppercase does not match). The comparison
/// runs in constant time, eight bytes at a time; only the length, which the
/// sender knows anyway, decides early.
fn hex_equals(received: &str, expected: &[u8]) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    if received.len() != 2 * expected.len() {
        return false;
    }
    // Eight characters at a time, all of them: the difference is
    // accumulated, never tested early. The expected characters are shifted
    // into a word (written to a byte array and read back as a word, they
    // stalled the load on store forwarding).
    let mut difference = 0u64;
    for (received, expected) in received
        .as_bytes()
        .chunks_exact(8)
        .zip(expected.chunks_exact(4))
    {
        let hex = expected.iter().rev().fold(0u64, |word, &byte| {
            let high = u64::from(DIGITS[usize::from(byte >> 4)]);
            let low = u64::from(DIGITS[usize::from(byte & 15)]);
            word << 16 | low << 8 | high
        });
        let received: [u8; 8] = received.try_into().expect("eight bytes");
        difference |= u64::from_le_bytes(received) ^ hex;
    }
    difference.ct_eq(&0).into()
}
