//! Signing: the signature of parameters, and whole signed pingbacks.

use super::base::{implies_version, PingbackBase};
use super::digest::digest;
use super::SignatureVersion;
use crate::params::{Params, ParamsError};
use crate::secret::SecretKey;
use pw_catalog::ApiType;

/// The pingback signature (lowercase hex) of `params` with `version`.
///
/// ```
/// use pw_runtime::{signature, ApiType, Params, SecretKey, SignatureVersion};
/// let params = Params::from_pairs([
///     ("uid", "test_user"), ("currency", "1000"), ("type", "0"), ("ref", "t555"), ("is_test", "1"),
/// ]).unwrap();
/// let secret = SecretKey::new("6274def95b105f1c92d341a8d3bc2e77");
/// assert_eq!(
///     signature::pingback_signature(ApiType::VirtualCurrency, SignatureVersion::V1, &params, &secret),
///     "efaacb488ab8ee19321ad513b6908574",
/// );
/// ```
pub fn pingback_signature(
    api: ApiType,
    version: SignatureVersion,
    params: &Params,
    secret: &SecretKey,
) -> String {
    let base = PingbackBase {
        api,
        version,
        params,
        implied_version: implies_version(api, params),
        sig: None,
    };
    digest(version, secret, &base).to_hex()
}

/// Signs a pingback: returns the query string Paymentwall would send for
/// these `(name, value)` pairs, with `sign_version` (for versions 2 and 3,
/// and always for cart) and `sig` appended. A `sig` or `sign_version` among
/// the pairs is replaced. Tests and tools use it to produce real pingbacks.
///
/// # Errors
///
/// A name the parser rejects ([`ParamsError`]), or a cart pingback with
/// another version than 2 ([`SignError::CartVersion`]).
///
/// ```
/// use pw_runtime::{signature, ApiType, Limits, Params, SecretKey, SignatureVersion, VersionPolicy};
/// let secret = SecretKey::new("secret");
/// let query = signature::sign_pingback(
///     ApiType::DigitalGoods,
///     SignatureVersion::V3,
///     &secret,
///     [("uid", "user 1"), ("goodsid", "gems"), ("type", "0"), ("ref", "b1")],
/// )?;
/// assert!(query.starts_with("uid=user+1&goodsid=gems&type=0&ref=b1&sign_version=3&sig="));
/// let params = Params::parse(query.as_bytes(), &Limits::default()).unwrap();
/// let version = signature::check_pingback(ApiType::DigitalGoods, &params, &secret, VersionPolicy::default());
/// assert_eq!(version, Ok(SignatureVersion::V3));
/// # Ok::<(), signature::SignError>(())
/// ```
pub fn sign_pingback<N, V>(
    api: ApiType,
    version: SignatureVersion,
    secret: &SecretKey,
    pairs: impl IntoIterator<Item = (N, V)>,
) -> Result<String, SignError>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    if api == ApiType::Cart && version != SignatureVersion::V2 {
        return Err(SignError::CartVersion { version });
    }
    let mut ordered: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(n, v)| (n.as_ref().to_owned(), v.as_ref().to_owned()))
        .filter(|(name, _)| name != "sig" && name != "sign_version")
        .collect();
    if version != SignatureVersion::V1 || api == ApiType::Cart {
        ordered.push(("sign_version".into(), version.number().to_string()));
    }
    let params = Params::from_pairs(ordered.iter().map(|(n, v)| (n, v)))?;
    let sig = pingback_signature(api, version, &params, secret);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(&ordered);
    query.append_pair("sig", &sig);
    Ok(query.finish())
}

/// Why [`sign_pingback`] could not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// A parameter name the parser would reject.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// Cart pingbacks are version 2 only.
    #[error("cart pingbacks are signed with version 2, not version {version}")]
    CartVersion {
        /// The version asked for.
        version: SignatureVersion,
    },
}
