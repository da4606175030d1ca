//! Widget signatures: the `sign` of a payment page URL.

use super::base::{push_param, BaseString, Sink};
use super::digest::digest;
use super::SignatureVersion;
use crate::secret::SecretKey;

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
    digest(version, secret, &WidgetBase::of(version, params)).to_hex()
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
    let mut out = Vec::new();
    WidgetBase::of(version, params).write(&mut out);
    String::from_utf8(out).expect("parameters are UTF-8")
}

/// The base string of a widget call.
struct WidgetBase<'a> {
    version: SignatureVersion,
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> WidgetBase<'a> {
    fn of<N: AsRef<str>, V: AsRef<str>>(version: SignatureVersion, params: &'a [(N, V)]) -> Self {
        let pairs = params
            .iter()
            .map(|(n, v)| (n.as_ref(), v.as_ref()))
            .collect();
        WidgetBase { version, pairs }
    }
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
