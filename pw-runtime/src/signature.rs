//! Pingback and widget signatures: base strings, digests, constant-time
//! verification, signing, and the version policy.
//!
//! - Version 1: MD5 of a fixed subset of parameters (see
//!   [`ApiType::version1_parameters`]) then the secret. It does not cover
//!   custom parameters, `is_test` or `reason`.
//! - Version 2: MD5 of every parameter but `sig`, in signing order, each as
//!   `name=value`, then the secret. Array elements are written
//!   `name[key]=value` at the place of `name`, keys ascending. Signing order
//!   is the official library's (PHP's `ksort` of names, then of each
//!   array's keys: numbers compared as numbers, anything else as bytes),
//!   made deterministic where PHP's is not defined (see `signing_order`).
//! - Version 3: version 2 with SHA-256.
//!
//! Cart pingbacks are always version 2: as Paymentwall's libraries do, a cart
//! pingback without `sign_version` is verified as if it carried
//! `sign_version=2`.

use std::fmt;

use md5::Md5;
use sha2::digest;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{ApiType, Params, ParamsError, SecretKey};

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

    fn from_declared(api: ApiType, declared: Option<&str>) -> Result<Self, SignatureError> {
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

/// Where a base string is written: a buffer, or straight into a hasher.
trait Sink {
    fn push(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn push(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Feeds a hasher through a stack buffer, so that the many small pieces of
/// a version 1 or widget base string cost one `update` per 512 bytes and no
/// allocation.
struct Feed<D> {
    hasher: D,
    buf: [u8; 512],
    len: usize,
}

impl<D: Digest> Feed<D> {
    fn new() -> Self {
        Feed {
            hasher: D::new(),
            buf: [0; 512],
            len: 0,
        }
    }

    fn finalize_into(mut self, out: &mut digest::Output<D>) {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize_into(out);
    }
}

impl<D: Digest> Sink for Feed<D> {
    fn push(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > self.buf.len() {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

/// Appends `name=value` (or `name[key]=value`) to a base string.
fn push_param(out: &mut impl Sink, name: &str, key: Option<&str>, value: &str) {
    out.push(name.as_bytes());
    if let Some(key) = key {
        out.push(b"[");
        out.push(key.as_bytes());
        out.push(b"]=");
    } else {
        out.push(b"=");
    }
    out.push(value.as_bytes());
}

/// Writes the pingback base string, without the secret, into `out`.
/// `implied_version` is true for a cart pingback without `sign_version`.
fn write_base_string(
    out: &mut impl Sink,
    api: ApiType,
    version: SignatureVersion,
    params: &Params,
    implied_version: bool,
) {
    if version == SignatureVersion::V1 {
        for &name in api.version1_parameters() {
            match params.get_array(name) {
                Some(elements) => {
                    elements.for_each(|(key, value)| push_param(out, name, Some(key), value))
                }
                None => push_param(out, name, None, params.get(name).unwrap_or("")),
            }
        }
        return;
    }
    let implied = implied_version.then_some(("sign_version", "sign_version=2"));
    for piece in params.signed_pieces(implied) {
        if !piece.is_empty() {
            out.push(piece);
        }
    }
}

/// A cart pingback without `sign_version` is signed as if it had `sign_version=2`.
fn implies_version(api: ApiType, params: &Params) -> bool {
    api == ApiType::Cart && params.get("sign_version").is_none()
}

/// The pingback base string for `version`, without the secret that ends it.
///
/// ```
/// use pw_runtime::{signature, ApiType, Params, SignatureVersion};
/// let params = Params::from_pairs([
///     ("uid", "userid"), ("goodsid", "no1234"), ("slength", ""), ("speriod", ""),
///     ("type", "0"), ("ref", "b1491808025"), ("sign_version", "2"),
/// ]).unwrap();
/// assert_eq!(
///     signature::base_string(ApiType::DigitalGoods, SignatureVersion::V2, &params),
///     "goodsid=no1234ref=b1491808025sign_version=2slength=speriod=type=0uid=userid",
/// );
/// assert_eq!(
///     signature::base_string(ApiType::DigitalGoods, SignatureVersion::V1, &params),
///     "uid=useridgoodsid=no1234slength=speriod=type=0ref=b1491808025",
/// );
/// ```
pub fn base_string(api: ApiType, version: SignatureVersion, params: &Params) -> String {
    let mut out = Vec::new();
    write_base_string(&mut out, api, version, params, implies_version(api, params));
    String::from_utf8(out).expect("parameters are UTF-8")
}

/// A raw digest: 16 bytes for MD5, 32 for SHA-256.
struct RawDigest {
    bytes: [u8; 32],
    len: usize,
}

impl RawDigest {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }
}

/// Something that writes a base string (without the secret).
trait BaseString {
    fn write(&self, out: &mut impl Sink);

    /// True when the base string comes in a few large pieces, which are
    /// better hashed as they are than copied through a [`Feed`].
    fn in_large_pieces(&self) -> bool {
        false
    }
}

/// Hashes every piece as it comes.
struct Direct<D>(D);

impl<D: Digest> Sink for Direct<D> {
    fn push(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// The base string of a pingback.
struct PingbackBase<'a> {
    api: ApiType,
    version: SignatureVersion,
    params: &'a Params,
    implied_version: bool,
}

impl BaseString for PingbackBase<'_> {
    fn write(&self, out: &mut impl Sink) {
        write_base_string(
            out,
            self.api,
            self.version,
            self.params,
            self.implied_version,
        );
    }

    fn in_large_pieces(&self) -> bool {
        // Versions 2 and 3 hash slices of the parameters' buffer.
        self.version != SignatureVersion::V1
    }
}

/// The digest of `base` then the secret.
fn digest(version: SignatureVersion, secret: &SecretKey, base: &impl BaseString) -> RawDigest {
    fn run<D: Digest>(secret: &SecretKey, base: &impl BaseString, out: &mut [u8]) {
        let secret = secret.expose().as_bytes();
        let mut output = digest::Output::<D>::default();
        if base.in_large_pieces() {
            let mut direct = Direct(D::new());
            base.write(&mut direct);
            direct.push(secret);
            direct.0.finalize_into(&mut output);
        } else {
            let mut feed = Feed::<D>::new();
            base.write(&mut feed);
            feed.push(secret);
            feed.finalize_into(&mut output);
        }
        out.copy_from_slice(&output);
    }
    let mut bytes = [0u8; 32];
    let len = match version {
        SignatureVersion::V1 | SignatureVersion::V2 => {
            run::<Md5>(secret, base, &mut bytes[..16]);
            16
        }
        SignatureVersion::V3 => {
            run::<Sha256>(secret, base, &mut bytes);
            32
        }
    };
    RawDigest { bytes, len }
}

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
    };
    digest(version, secret, &base).to_hex()
}

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

/// The widget signature (`sign` of the payment page URL), as Paymentwall's
/// official library computes it.
///
/// Version 1 is MD5 of `uid` then the secret. Versions 2 and 3 are MD5 /
/// SHA-256 of every parameter as `name=value` (an array element as
/// `name[key]=value`), then the secret, in the library's order: sorted by
/// name, then the elements of each array by key, each comparison PHP 8's
/// (`ksort`: two numeric names or keys compare as numbers, `9` before `10`
/// and `1e1`; anything else as bytes); names that compare equal keep their
/// order. Pass every widget parameter except `sign` (including
/// `sign_version`), in the order of the URL.
///
/// Where PHP's comparisons of a call's names contradict each other (`9`,
/// `1e1` and `1f`), PHP's own order depends on its sort algorithm; this
/// function still returns one deterministic signature (an insertion sort
/// in the order given), and [`WidgetCall`](crate::WidgetCall) refuses to
/// build such a call.
///
/// ```
/// use pw_runtime::{signature, SecretKey, SignatureVersion};
/// let secret = SecretKey::new("5f50f77cec859ac1226a938ede520050");
/// let params = [
///     ("key", "17bd41b0b8bef6bfb63dc051d0c33859"), ("uid", "user40012"), ("widget", "m2_1"),
///     ("ag_external_id", "product301"), ("ag_name", "Gold Membership"), ("ag_type", "subscription"),
///     ("amount", "0.5"), ("currencyCode", "EUR"), ("ps", "paypal"),
///     ("success_url", "https://example.com/ok?x=1&y=2"), ("sign_version", "2"),
/// ];
/// assert_eq!(
///     signature::widget_signature(SignatureVersion::V2, &params, &secret),
///     "49119c44b1f14e65ca772ea6d3a4b10a",
/// );
/// ```
pub fn widget_signature<N, V>(
    version: SignatureVersion,
    params: &[(N, V)],
    secret: &SecretKey,
) -> String
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .collect();
    digest(version, secret, &WidgetBase { version, pairs }).to_hex()
}

/// The base string of a widget call, without the secret that ends it.
///
/// ```
/// use pw_runtime::{signature, SignatureVersion};
/// let params = [("uid", "u"), ("history[reg2]", "b"), ("history2", "c"), ("history[reg]", "a"), ("ids[10]", "y"), ("ids[9]", "x")];
/// assert_eq!(
///     signature::widget_base_string(SignatureVersion::V3, &params),
///     "history[reg]=ahistory[reg2]=bhistory2=cids[9]=xids[10]=yuid=u",
/// );
/// assert_eq!(signature::widget_base_string(SignatureVersion::V1, &params), "u");
/// ```
pub fn widget_base_string<N, V>(version: SignatureVersion, params: &[(N, V)]) -> String
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .collect();
    let mut out = Vec::new();
    WidgetBase { version, pairs }.write(&mut out);
    String::from_utf8(out).expect("parameters are UTF-8")
}

/// The base string of a widget call.
struct WidgetBase<'a> {
    version: SignatureVersion,
    pairs: Vec<(&'a str, &'a str)>,
}

impl BaseString for WidgetBase<'_> {
    fn write(&self, out: &mut impl Sink) {
        if self.version == SignatureVersion::V1 {
            let uid = self.pairs.iter().find(|(name, _)| *name == "uid");
            out.push(uid.map_or("", |(_, value)| value).as_bytes());
            return;
        }
        let names: Vec<&str> = self.pairs.iter().map(|(name, _)| *name).collect();
        let paths = crate::widget::names::paths(&names);
        for index in crate::signing_order::order(&paths).indices {
            let (name, value) = self.pairs[index];
            push_param(out, name, None, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    fn parse(query: &str) -> Params {
        Params::parse(query.as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn version_2_base_string_matches_the_protocol_example() {
        let params = parse("uid=userid&goodsid=no1234&slength=&speriod=&type=0&ref=b1491808025&sign_version=2&sig=x");
        assert_eq!(
            base_string(ApiType::DigitalGoods, SignatureVersion::V2, &params),
            "goodsid=no1234ref=b1491808025sign_version=2slength=speriod=type=0uid=userid"
        );
    }

    #[test]
    fn cart_arrays_sit_at_the_place_of_their_name_and_imply_version_2() {
        let params = parse("uid=u&goodsid%5B1%5D=b&goodsid%5B0%5D=a&type=0&ref=r&sig=x");
        assert_eq!(
            SignatureVersion::of_pingback(ApiType::Cart, &params),
            Ok(SignatureVersion::V2)
        );
        assert_eq!(
            base_string(ApiType::Cart, SignatureVersion::V2, &params),
            "goodsid[0]=agoodsid[1]=bref=rsign_version=2type=0uid=u"
        );
        let late = parse("a=1&sig=x");
        assert_eq!(
            base_string(ApiType::Cart, SignatureVersion::V2, &late),
            "a=1sign_version=2"
        );
        let only = parse("z=1");
        assert_eq!(
            base_string(ApiType::Cart, SignatureVersion::V2, &only),
            "sign_version=2z=1"
        );
    }

    #[test]
    fn sig_is_left_out_of_the_base_string_even_as_an_array() {
        for query in ["a=1&sig=x&z=2", "a=1&sig%5B0%5D=x&z=2"] {
            let params = parse(query);
            assert_eq!(
                base_string(ApiType::DigitalGoods, SignatureVersion::V2, &params),
                "a=1z=2",
                "{query}"
            );
        }
        let signature_like = parse("a=1&sigma=x");
        assert_eq!(
            base_string(ApiType::DigitalGoods, SignatureVersion::V2, &signature_like),
            "a=1sigma=x"
        );
    }

    #[test]
    fn version_1_covers_only_its_subset_and_fills_missing_with_empty() {
        let params = parse("uid=u&currency=5&type=0&ref=r&is_test=1&custom=x");
        assert_eq!(
            base_string(ApiType::VirtualCurrency, SignatureVersion::V1, &params),
            "uid=ucurrency=5type=0ref=r"
        );
        assert_eq!(
            base_string(ApiType::DigitalGoods, SignatureVersion::V1, &params),
            "uid=ugoodsid=slength=speriod=type=0ref=r"
        );
    }

    #[test]
    fn unknown_and_cart_versions_are_rejected() {
        let secret = SecretKey::new("k");
        for value in ["4", "0", "", "2 ", "v2"] {
            let params = Params::from_pairs([("sign_version", value), ("sig", "x")]).unwrap();
            assert_eq!(
                check_pingback(
                    ApiType::DigitalGoods,
                    &params,
                    &secret,
                    VersionPolicy::default()
                ),
                Err(SignatureError::UnknownVersion {
                    value: value.into()
                })
            );
        }
        let params = Params::from_pairs([("sign_version", "3"), ("sig", "x")]).unwrap();
        assert_eq!(
            check_pingback(ApiType::Cart, &params, &secret, VersionPolicy::default()),
            Err(SignatureError::CartVersion { value: "3".into() })
        );
    }

    #[test]
    fn policy_refuses_low_versions_before_comparing() {
        let secret = SecretKey::new("k");
        let query = sign_pingback(
            ApiType::DigitalGoods,
            SignatureVersion::V1,
            &secret,
            [("uid", "u")],
        )
        .unwrap();
        let params = parse(&query);
        assert_eq!(
            check_pingback(
                ApiType::DigitalGoods,
                &params,
                &secret,
                VersionPolicy::default()
            ),
            Err(SignatureError::VersionNotAccepted {
                version: SignatureVersion::V1,
                minimum: SignatureVersion::V2
            })
        );
        let v1 = VersionPolicy::minimum(SignatureVersion::V1);
        assert_eq!(
            check_pingback(ApiType::DigitalGoods, &params, &secret, v1),
            Ok(SignatureVersion::V1)
        );
    }

    #[test]
    fn uppercase_or_extended_signatures_do_not_match() {
        let secret = SecretKey::new("k");
        let query = sign_pingback(
            ApiType::VirtualCurrency,
            SignatureVersion::V3,
            &secret,
            [("uid", "u")],
        )
        .unwrap();
        let (head, sig) = query.rsplit_once("sig=").unwrap();
        for bad in [
            sig.to_uppercase(),
            format!("{sig}0"),
            sig[..63].to_owned(),
            String::new(),
        ] {
            let params = parse(&format!("{head}sig={bad}"));
            assert_eq!(
                check_pingback(
                    ApiType::VirtualCurrency,
                    &params,
                    &secret,
                    VersionPolicy::default()
                ),
                Err(SignatureError::Mismatch {
                    version: SignatureVersion::V3
                })
            );
        }
    }

    #[test]
    fn missing_sig_is_reported() {
        let params = parse("uid=u&sign_version=3");
        assert_eq!(
            check_pingback(
                ApiType::VirtualCurrency,
                &params,
                &SecretKey::new("k"),
                VersionPolicy::default()
            ),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn errors_never_show_the_expected_signature() {
        let secret = SecretKey::new("k");
        let params = parse("uid=u&sign_version=2&sig=0");
        let expected = pingback_signature(
            ApiType::VirtualCurrency,
            SignatureVersion::V2,
            &params,
            &secret,
        );
        let err = check_pingback(
            ApiType::VirtualCurrency,
            &params,
            &secret,
            VersionPolicy::default(),
        )
        .unwrap_err();
        assert!(!err.to_string().contains(&expected));
        assert!(!format!("{err:?}").contains(&expected));
    }

    #[test]
    fn widget_version_1_is_uid_then_secret() {
        let secret = SecretKey::new("s");
        let expected = hex::encode(Md5::digest(b"user1s"));
        assert_eq!(
            widget_signature(
                SignatureVersion::V1,
                &[("key", "k"), ("uid", "user1")],
                &secret
            ),
            expected
        );
        let empty: [(&str, &str); 0] = [];
        assert_eq!(
            widget_signature(SignatureVersion::V1, &empty, &secret),
            hex::encode(Md5::digest(b"s"))
        );
    }
}
