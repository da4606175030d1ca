//! The verification entry point: parameters, required parameters, source
//! address, signature and envelope, in that order.

use std::net::IpAddr;

use crate::allowlist::{Source, SourceCheck, SourceRejection};
use crate::envelope::Fields;
use crate::envelope::{Envelope, EnvelopeError};
use crate::kinds::{PingbackType, UniqueRef};
use crate::params::{Limits, Params, ParamsError};
use crate::secret::SecretKey;
use crate::signature::SignatureVersion;
use crate::signature::{self, SignatureError, VersionPolicy};
use crate::standard::Standard;
use pw_catalog::ApiType;

/// Why a pingback was refused: which check failed and why. It never contains
/// the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The parameters do not parse, or are over a limit.
    #[error("malformed parameters: {0}")]
    Params(#[from] ParamsError),
    /// Required parameters are absent or empty.
    #[error("missing parameters: {}", .0.join(", "))]
    MissingParameters(Vec<&'static str>),
    /// The source address is not allowed.
    #[error(transparent)]
    Source(#[from] SourceRejection),
    /// The signature is missing, of a refused version, or wrong.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A signed standard parameter has a value of the wrong kind.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

impl Rejection {
    /// The HTTP status a listener answers with: 413 over a size limit, 400
    /// for malformed or missing parameters, 403 for a refused source or
    /// signature.
    ///
    /// ```
    /// use pw_runtime::{ApiType, Source, Verifier};
    /// let verifier = Verifier::new(ApiType::DigitalGoods, "secret");
    /// let peer = Source::peer("174.36.92.186".parse().unwrap());
    /// let rejection = verifier.verify(b"uid=u", &peer).unwrap_err();
    /// assert_eq!(rejection.status(), 400);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Params(err) if err.is_over_limit() => 413,
            Rejection::Params(_) | Rejection::MissingParameters(_) | Rejection::Envelope(_) => 400,
            Rejection::Source(_) | Rejection::Signature(_) => 403,
        }
    }
}

/// A pingback whose parameters, source and signature were verified: the
/// typed envelope plus the raw parameters.
///
/// ```
/// use pw_runtime::{signature, ApiType, Goods, PingbackType, SecretKey, SignatureVersion, Source, Verifier};
/// let secret = SecretKey::new("secret");
/// let query = signature::sign_pingback(
///     ApiType::DigitalGoods, SignatureVersion::V3, &secret,
///     [("uid", "u1"), ("goodsid", "gems"), ("slength", ""), ("speriod", ""), ("type", "0"), ("ref", "b7"), ("campaign", "x")],
/// ).unwrap();
/// let verifier = Verifier::new(ApiType::DigitalGoods, secret);
/// let pingback = verifier.verify(query.as_bytes(), &Source::peer("174.36.92.186".parse().unwrap())).unwrap();
/// assert_eq!(pingback.envelope().uid, "u1");
/// assert_eq!(pingback.kind(), PingbackType::Payment);
/// assert_eq!(pingback.unique_ref().to_string(), "b7_0");
/// assert_eq!(pingback.params().get("campaign"), Some("x"));
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedPingback {
    api: ApiType,
    params: Params,
    fields: Fields,
    version: SignatureVersion,
    client: IpAddr,
}

impl VerifiedPingback {
    /// The typed standard parameters.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "0"), ("ref", "r")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// assert_eq!(p.envelope().goods, Goods::VirtualCurrency { currency: 100.into() });
    /// ```
    pub fn envelope(&self) -> Envelope<'_> {
        self.fields.envelope(&self.params)
    }

    /// The pingback type.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "2"), ("ref", "r"), ("reason", "1")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// assert_eq!(p.kind(), PingbackType::Chargeback);
    /// ```
    pub fn kind(&self) -> PingbackType {
        self.fields.kind
    }

    /// Paymentwall's transaction reference, `ref`.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "0"), ("ref", "r9")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// assert_eq!(p.reference(), "r9");
    /// ```
    pub fn reference(&self) -> &str {
        self.fields.reference(&self.params)
    }

    /// The unique id of this pingback, `ref_type`.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "0"), ("ref", "r9")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// assert_eq!(p.unique_ref(), UniqueRef::new("r9", PingbackType::Payment));
    /// ```
    pub fn unique_ref(&self) -> UniqueRef {
        UniqueRef::new(self.reference(), self.kind())
    }

    /// Every parameter received, standard and custom, decoded, in signing order.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "0"), ("ref", "r"), ("note", "hi there")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// assert_eq!(p.params().get("note"), Some("hi there"));
    /// ```
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The API type it was verified for.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "0"), ("ref", "r")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// assert_eq!(p.api(), ApiType::VirtualCurrency);
    /// ```
    pub fn api(&self) -> ApiType {
        self.api
    }

    /// The signature version that matched.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "0"), ("ref", "r")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// assert_eq!(p.sign_version(), SignatureVersion::V2);
    /// ```
    pub fn sign_version(&self) -> SignatureVersion {
        self.version
    }

    /// The client address the source check resolved.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "0"), ("ref", "r")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// assert_eq!(p.client_address().to_string(), "174.37.14.28");
    /// ```
    pub fn client_address(&self) -> IpAddr {
        self.client
    }

    /// Gives the raw parameters back.
    ///
    /// ```
    /// # use pw_runtime::*;
    /// # let secret = SecretKey::new("k");
    /// # let q = signature::sign_pingback(ApiType::VirtualCurrency, SignatureVersion::V2, &secret,
    /// #     [("uid", "u"), ("currency", "100"), ("type", "0"), ("ref", "r")]).unwrap();
    /// # let p = Verifier::new(ApiType::VirtualCurrency, secret).verify(q.as_bytes(), &Source::peer("174.37.14.28".parse().unwrap())).unwrap();
    /// let params: Params = p.into_params();
    /// assert_eq!(params.get("uid"), Some("u"));
    /// ```
    pub fn into_params(self) -> Params {
        self.params
    }
}

/// Verifies pingbacks for one project: the one entry point that parses,
/// checks the required parameters, the source address and the signature,
/// and decodes the envelope.
///
/// ```
/// use pw_runtime::{ApiType, Limits, SignatureVersion, SourceCheck, Verifier};
///
/// let verifier = Verifier::builder(ApiType::DigitalGoods, "secret")
///     .minimum_version(SignatureVersion::V3)
///     .source_check(SourceCheck::default().trust_proxies("10.0.0.0/8".parse().unwrap()))
///     .limits(Limits { max_parameters: 64, ..Limits::default() })
///     .build();
/// assert_eq!(verifier.api(), ApiType::DigitalGoods);
/// assert!(format!("{verifier:?}").contains("SecretKey(***)"));
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    api: ApiType,
    secret: SecretKey,
    versions: VersionPolicy,
    source: SourceCheck,
    limits: Limits,
}

/// Configures a [`Verifier`]; start from [`Verifier::builder`].
#[derive(Debug, Clone)]
pub struct VerifierBuilder(Verifier);

impl VerifierBuilder {
    /// The lowest signature version accepted (default: version 2).
    ///
    /// ```
    /// use pw_runtime::{ApiType, SignatureVersion, Verifier};
    /// let verifier = Verifier::builder(ApiType::Cart, "k").minimum_version(SignatureVersion::V2).build();
    /// assert_eq!(verifier.version_policy().lowest(), SignatureVersion::V2);
    /// ```
    pub fn minimum_version(mut self, version: SignatureVersion) -> Self {
        self.0.versions = VersionPolicy::minimum(version);
        self
    }

    /// The source address check (default: Paymentwall's addresses, no proxy).
    ///
    /// ```
    /// use pw_runtime::{ApiType, SourceCheck, Verifier};
    /// let verifier = Verifier::builder(ApiType::Cart, "k")
    ///     .source_check(SourceCheck::disabled_for_local_development())
    ///     .build();
    /// assert!(verifier.source_check().is_disabled());
    /// ```
    pub fn source_check(mut self, source: SourceCheck) -> Self {
        self.0.source = source;
        self
    }

    /// The parser limits (default: 256 parameters, 64 KiB).
    ///
    /// ```
    /// use pw_runtime::{ApiType, Limits, Verifier};
    /// let limits = Limits { max_bytes: 8192, ..Limits::default() };
    /// assert_eq!(Verifier::builder(ApiType::Cart, "k").limits(limits).build().limits(), limits);
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.0.limits = limits;
        self
    }

    /// The verifier.
    ///
    /// ```
    /// let verifier = pw_runtime::Verifier::builder(pw_runtime::ApiType::Cart, "k").build();
    /// ```
    pub fn build(self) -> Verifier {
        self.0
    }
}

impl Verifier {
    /// A verifier with the defaults: signature version 2 or later,
    /// Paymentwall's source addresses, default limits.
    ///
    /// ```
    /// let verifier = pw_runtime::Verifier::new(pw_runtime::ApiType::VirtualCurrency, "secret");
    /// ```
    pub fn new(api: ApiType, secret: impl Into<SecretKey>) -> Self {
        Verifier::builder(api, secret).build()
    }

    /// Starts configuring a verifier.
    ///
    /// ```
    /// let builder = pw_runtime::Verifier::builder(pw_runtime::ApiType::DigitalGoods, "secret");
    /// ```
    pub fn builder(api: ApiType, secret: impl Into<SecretKey>) -> VerifierBuilder {
        VerifierBuilder(Verifier {
            api,
            secret: secret.into(),
            versions: VersionPolicy::default(),
            source: SourceCheck::default(),
            limits: Limits::default(),
        })
    }

    /// The API type.
    ///
    /// ```
    /// assert_eq!(pw_runtime::Verifier::new(pw_runtime::ApiType::Cart, "k").api(), pw_runtime::ApiType::Cart);
    /// ```
    pub fn api(&self) -> ApiType {
        self.api
    }

    /// The signature version policy.
    ///
    /// ```
    /// let v = pw_runtime::Verifier::new(pw_runtime::ApiType::Cart, "k");
    /// assert_eq!(v.version_policy(), pw_runtime::VersionPolicy::default());
    /// ```
    pub fn version_policy(&self) -> VersionPolicy {
        self.versions
    }

    /// The source address check.
    ///
    /// ```
    /// assert!(!pw_runtime::Verifier::new(pw_runtime::ApiType::Cart, "k").source_check().is_disabled());
    /// ```
    pub fn source_check(&self) -> &SourceCheck {
        &self.source
    }

    /// The parser limits.
    ///
    /// ```
    /// let v = pw_runtime::Verifier::new(pw_runtime::ApiType::Cart, "k");
    /// assert_eq!(v.limits(), pw_runtime::Limits::default());
    /// ```
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Verifies a pingback: `input` is the query string (GET) or the form
    /// body (POST), `source` where the request came from.
    ///
    /// # Errors
    ///
    /// A [`Rejection`] naming the first check that failed, in this order:
    /// parameters, required parameters, source address, signature, envelope.
    ///
    /// ```
    /// use pw_runtime::{ApiType, Rejection, Source, SourceRejection, Verifier};
    /// let query = "uid=test_user&goodsid=test_product&slength=5&speriod=month&type=0&ref=t123\
    ///              &is_test=1&sign_version=2&sig=754cff93c0eb859f6054bef143ad253c";
    /// let verifier = Verifier::new(ApiType::DigitalGoods, "a7408723eaf4bfa2e3ac49b3cb695046");
    ///
    /// let ok = verifier.verify(query.as_bytes(), &Source::peer("174.36.92.186".parse().unwrap()));
    /// assert_eq!(ok.unwrap().envelope().uid, "test_user");
    ///
    /// let stranger = "1.2.3.4".parse().unwrap();
    /// let refused = verifier.verify(query.as_bytes(), &Source::peer(stranger)).unwrap_err();
    /// assert_eq!(refused, Rejection::Source(SourceRejection::NotAllowed { address: stranger }));
    /// assert_eq!(refused.status(), 403);
    /// ```
    pub fn verify(&self, input: &[u8], source: &Source<'_>) -> Result<VerifiedPingback, Rejection> {
        let params = Params::parse(input, &self.limits)?;
        self.verify_params(params, source)
    }

    /// Verifies parameters already parsed (by [`Params::parse`] with this
    /// verifier's limits).
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`], from the required parameters on.
    ///
    /// ```
    /// use pw_runtime::{ApiType, Params, Rejection, Source, Verifier};
    /// let params = Params::from_pairs([("uid", "u"), ("type", "0")]).unwrap();
    /// let verifier = Verifier::new(ApiType::DigitalGoods, "k");
    /// let rejection = verifier.verify_params(params, &Source::peer("174.36.92.186".parse().unwrap()));
    /// assert_eq!(rejection.unwrap_err(), Rejection::MissingParameters(vec!["goodsid", "ref", "sig"]));
    /// ```
    // Kept out of `verify`: the parser's and the checks' costs stay apart
    // in a profile (a call costs a few instructions).
    #[inline(never)]
    pub fn verify_params(
        &self,
        params: Params,
        source: &Source<'_>,
    ) -> Result<VerifiedPingback, Rejection> {
        let found = Standard::find(&params);
        if !found.has_required(self.api) {
            return Err(Rejection::MissingParameters(found.missing(self.api)));
        }
        let client = self.source.check(source)?;
        let version = signature::check(
            self.api,
            &params,
            &self.secret,
            self.versions,
            found.sign_version().zip(found.sign_version_bytes(&params)),
            found.sig().zip(found.sig_bytes(&params)),
            found.sig_alone(),
        )?;
        let fields = Fields::decode(self.api, &params, &found)?;
        Ok(VerifiedPingback {
            api: self.api,
            params,
            fields,
            version,
            client,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a7408723eaf4bfa2e3ac49b3cb695046";
    const PAYMENTWALL: &str = "174.36.92.186";

    fn verifier() -> Verifier {
        Verifier::new(ApiType::DigitalGoods, SECRET)
    }

    fn signed(pairs: &[(&str, &str)]) -> String {
        signature::sign_pingback(
            ApiType::DigitalGoods,
            SignatureVersion::V3,
            &SecretKey::new(SECRET),
            pairs.iter().copied(),
        )
        .unwrap()
    }

    const PAYMENT: [(&str, &str); 6] = [
        ("uid", "u"),
        ("goodsid", "g"),
        ("slength", ""),
        ("speriod", ""),
        ("type", "0"),
        ("ref", "b1"),
    ];

    fn verify(query: &str, peer: &str) -> Result<VerifiedPingback, Rejection> {
        verifier().verify(query.as_bytes(), &Source::peer(peer.parse().unwrap()))
    }

    #[test]
    fn accepts_a_signed_pingback() {
        let pingback = verify(&signed(&PAYMENT), PAYMENTWALL).unwrap();
        assert_eq!(pingback.unique_ref().to_string(), "b1_0");
        assert_eq!(pingback.sign_version(), SignatureVersion::V3);
    }

    #[test]
    fn malformed_parameters_are_400_and_oversize_is_413() {
        let err = verify("uid=%zz", PAYMENTWALL).unwrap_err();
        assert!(matches!(
            err,
            Rejection::Params(ParamsError::InvalidPercentEscape { .. })
        ));
        assert_eq!(err.status(), 400);
        let big = format!("uid={}", "x".repeat(70_000));
        let err = verify(&big, PAYMENTWALL).unwrap_err();
        assert_eq!(err.status(), 413);
    }

    #[test]
    fn missing_parameters_are_named() {
        let err = verify("uid=u&goodsid=&type=0", PAYMENTWALL).unwrap_err();
        assert_eq!(
            err,
            Rejection::MissingParameters(vec!["goodsid", "ref", "sig"])
        );
        assert_eq!(err.to_string(), "missing parameters: goodsid, ref, sig");
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn source_is_checked_before_the_signature() {
        let query = signed(&PAYMENT).replace("uid=u", "uid=v");
        let err = verify(&query, "1.2.3.4").unwrap_err();
        assert_eq!(
            err.to_string(),
            "source address 1.2.3.4 is not allowed to send pingbacks"
        );
        assert_eq!(err.status(), 403);
    }

    #[test]
    fn malformed_forwarding_header_from_a_trusted_proxy_is_403() {
        let verifier = Verifier::builder(ApiType::DigitalGoods, SECRET)
            .source_check(SourceCheck::default().trust_proxies("10.0.0.0/8".parse().unwrap()))
            .build();
        let source =
            Source::peer("10.0.0.1".parse().unwrap()).with_x_forwarded_for("not-an-address");
        let err = verifier
            .verify(signed(&PAYMENT).as_bytes(), &source)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Rejection::Source(SourceRejection::MalformedHeader { .. })
            ),
            "{err}"
        );
        assert_eq!(err.status(), 403);
        let forwarded = Source::peer("10.0.0.1".parse().unwrap()).with_x_forwarded_for(PAYMENTWALL);
        assert!(verifier
            .verify(signed(&PAYMENT).as_bytes(), &forwarded)
            .is_ok());
    }

    #[test]
    fn tampering_is_a_signature_rejection_without_the_expected_value() {
        let good = signed(&PAYMENT);
        let expected = good.rsplit_once("sig=").unwrap().1.to_owned();
        let err = verify(&good.replace("uid=u", "uid=v"), PAYMENTWALL).unwrap_err();
        assert_eq!(
            err,
            Rejection::Signature(SignatureError::Mismatch {
                version: SignatureVersion::V3
            })
        );
        assert_eq!(err.status(), 403);
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(&expected) && !shown.contains(SECRET),
            "{shown}"
        );
    }

    #[test]
    fn version_1_is_refused_by_default() {
        let query = signature::sign_pingback(
            ApiType::DigitalGoods,
            SignatureVersion::V1,
            &SecretKey::new(SECRET),
            PAYMENT,
        )
        .unwrap();
        let err = verify(&query, PAYMENTWALL).unwrap_err();
        assert!(
            matches!(
                err,
                Rejection::Signature(SignatureError::VersionNotAccepted { .. })
            ),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains("version 1 does not sign custom parameters"));
    }

    #[test]
    fn unknown_version_is_refused() {
        let query = signed(&PAYMENT).replace("sign_version=3", "sign_version=9");
        let err = verify(&query, PAYMENTWALL).unwrap_err();
        assert_eq!(
            err,
            Rejection::Signature(SignatureError::UnknownVersion { value: "9".into() })
        );
    }

    #[test]
    fn signed_but_ill_typed_standard_values_are_400() {
        let mut pairs = PAYMENT.to_vec();
        pairs[4] = ("type", "zero");
        let err = verify(&signed(&pairs), PAYMENTWALL).unwrap_err();
        assert!(
            matches!(&err, Rejection::Envelope(e) if e.parameter == "type"),
            "{err}"
        );
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn a_rejection_never_shows_the_secret() {
        let secret_valued = signed(&PAYMENT).replace("uid=u", &format!("uid={SECRET}"));
        for query in [
            secret_valued.as_str(),
            "uid=u&goodsid=g&type=0&ref=r&sig=x&sign_version=3",
        ] {
            let err = verify(query, PAYMENTWALL).unwrap_err();
            assert!(!format!("{err} {err:?}").contains(SECRET));
        }
    }
}
