//! Paymentwall's Test Pingback Tool checklist: five signed pingbacks and
//! what a correct listener answers to each, run against a [`Listener`] in
//! process ([`Checklist::run_against`]) or, by `pw-pingback check`, against
//! any URL ([`Checklist::run`] with a function that sends over HTTP). One
//! implementation, so the command line and a Rust test judge alike.
//!
//! ```
//! use pw_runtime::testing::checklist::{Answer, Checklist};
//! use pw_runtime::ApiType;
//!
//! let checklist = Checklist::new(ApiType::VirtualCurrency, "secret");
//! // A "listener" that acknowledges everything fails the wrong-signature check.
//! let report = checklist.run(|_check| Ok(Answer::new(200, "OK"))).unwrap();
//! assert!(!report.passed());
//! assert_eq!(report.passed_count(), 3);
//! ```

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{SignedPingback, TestPingback, PAYMENTWALL_ADDRESS};
use crate::handler::HandledBy;
use crate::kinds::{ChargebackReason, PingbackType};
use crate::ledger::Ledger;
use crate::listener::{Listener, Request};
use crate::schema::Pingback;
use crate::secret::SecretKey;
use crate::signature::SignError;
use crate::signature::SignatureVersion;
use pw_catalog::ApiType;

/// Parameters each check sets itself.
pub const RESERVED: [&str; 6] = ["type", "ref", "reason", "is_test", "sign_version", "sig"];

/// The checklist for one project: API type, signature version, secret key,
/// the custom parameters every pingback carries and the headers every
/// request carries.
#[derive(Debug, Clone)]
pub struct Checklist {
    api: ApiType,
    version: SignatureVersion,
    secret: SecretKey,
    params: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    peer: IpAddr,
}

/// Why the checklist cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecklistError {
    /// A parameter the checks set themselves was given.
    #[error(
        "`{0}` is set by each check itself; give only custom parameters (or uid, goodsid, ...)"
    )]
    Reserved(String),
    /// A pingback could not be signed.
    #[error("cannot sign: {0}")]
    Sign(#[from] SignError),
    /// The first pingback got no answer: nothing to check against.
    #[error("{0}")]
    Unreachable(String),
}

/// What a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A valid test payment: answered 200 `OK`.
    Payment,
    /// The same payment again: answered 200 `OK`, not delivered twice.
    Duplicate,
    /// A wrong signature: not answered `OK`.
    WrongSignature,
    /// A chargeback of the payment: answered 200 `OK`.
    Chargeback,
    /// Without a required parameter: not answered `OK`.
    MissingParameter,
}

impl Step {
    /// Whether a correct listener acknowledges this pingback.
    pub fn expects_ok(self) -> bool {
        matches!(self, Step::Payment | Step::Duplicate | Step::Chargeback)
    }
}

/// One line of the checklist: what it checks and the signed pingback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What it is about.
    pub step: Step,
    /// The line shown, such as `a valid test payment ... is answered 200 OK`.
    pub title: String,
    /// The signed query string (or form body).
    pub query: String,
}

/// A listener's answer to one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

impl Answer {
    /// An answer.
    ///
    /// ```
    /// assert!(pw_runtime::testing::checklist::Answer::new(200, "OK\n").acknowledged());
    /// ```
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Answer {
            status,
            body: body.into(),
        }
    }

    /// What Paymentwall takes as an acknowledgement: HTTP 200 and the body
    /// `OK` (surrounding white space ignored).
    pub fn acknowledged(&self) -> bool {
        self.status == 200 && self.body.trim() == "OK"
    }

    /// `HTTP 403 "body"`, the body cut to 200 characters.
    pub fn summary(&self) -> String {
        let body: String = self.body.chars().take(200).collect();
        let cut = if body.len() < self.body.len() {
            "…"
        } else {
            ""
        };
        format!("HTTP {} {body:?}{cut}", self.status)
    }

    /// Whether pw's source check refused it (403 `source address ... is
    /// not allowed`, or a trusted proxy's bad forwarding header).
    fn refused_by_source_check(&self) -> bool {
        self.status == 403
            && (self.body.starts_with("source address")
                || self.body.contains("header from trusted proxy"))
    }
}

/// The verdict on one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The check.
    pub check: Check,
    /// Whether it passed.
    pub passed: bool,
    /// What to show beside the verdict (the answer, why it failed).
    pub detail: Option<String>,
}

/// The verdicts of a whole run, printed one line each.
///
/// ```
/// use pw_runtime::testing::checklist::{Answer, Checklist, Step};
/// use pw_runtime::ApiType;
///
/// let report = Checklist::new(ApiType::Cart, "secret")
///     .run(|check| Ok(if check.step.expects_ok() { Answer::new(200, "OK") } else { Answer::new(403, "no") }))
///     .unwrap();
/// assert!(report.passed(), "{report}");
/// assert!(report.to_string().ends_with("5 of 5 checks passed\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// One verdict per check, in order.
    pub verdicts: Vec<Verdict>,
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed)
    }

    /// How many checks passed.
    pub fn passed_count(&self) -> usize {
        self.verdicts.iter().filter(|v| v.passed).count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, verdict) in self.verdicts.iter().enumerate() {
            let mark = if verdict.passed { "PASS" } else { "FAIL" };
            write!(f, "{mark}  {}. {}", index + 1, verdict.check.title)?;
            match &verdict.detail {
                Some(detail) => writeln!(f, ": {detail}")?,
                None => writeln!(f)?,
            }
        }
        writeln!(
            f,
            "{} of {} checks passed",
            self.passed_count(),
            self.verdicts.len()
        )
    }
}

impl Checklist {
    /// The checklist of a project of API type `api` with this secret key,
    /// signature version 2, requests from a Paymentwall address.
    pub fn new(api: ApiType, secret: impl Into<SecretKey>) -> Self {
        Checklist {
            api,
            version: SignatureVersion::V2,
            secret: secret.into(),
            params: Vec::new(),
            headers: Vec::new(),
            peer: PAYMENTWALL_ADDRESS
                .parse()
                .expect("Paymentwall's documented address parses"),
        }
    }

    /// The signature version of every pingback.
    #[must_use]
    pub fn version(mut self, version: SignatureVersion) -> Self {
        self.version = version;
        self
    }

    /// A parameter every pingback carries (a custom one, or a standard one
    /// such as `uid` to replace its test value).
    ///
    /// ```
    /// use pw_runtime::testing::checklist::Checklist;
    /// let checks = Checklist::new(pw_runtime::ApiType::DigitalGoods, "s").param("campaign", "spring").checks().unwrap();
    /// assert!(checks.iter().all(|check| check.query.contains("campaign=spring")));
    /// ```
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// A header every request carries (such as `X-Forwarded-For` behind a
    /// reverse proxy).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The headers every request carries.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The address in-process requests come from (a Paymentwall address
    /// by default).
    #[must_use]
    pub fn peer(mut self, peer: IpAddr) -> Self {
        self.peer = peer;
        self
    }

    /// The API type.
    pub fn api(&self) -> ApiType {
        self.api
    }

    /// The signature version.
    pub fn signature_version(&self) -> SignatureVersion {
        self.version
    }

    /// The five checks, each with its signed pingback (the payment and
    /// its chargeback under a `ref` no listener has seen).
    ///
    /// # Errors
    ///
    /// A parameter of [`RESERVED`], or one that cannot be signed.
    pub fn checks(&self) -> Result<Vec<Check>, ChecklistError> {
        if let Some((name, _)) = self
            .params
            .iter()
            .find(|(n, _)| RESERVED.contains(&n.as_str()))
        {
            return Err(ChecklistError::Reserved(name.clone()));
        }
        let payment_ref = fresh_ref();
        let payment = self.sign(&self.pingback(&payment_ref))?;
        let chargeback = self
            .pingback(&payment_ref)
            .kind(PingbackType::Chargeback)
            .reason(ChargebackReason::CancelledOrder);
        let product = product_parameter(self.api);
        let incomplete = self.pingback(&fresh_ref()).without(product);
        let check = |step, title: String, query: String| Check { step, title, query };
        Ok(vec![
            check(
                Step::Payment,
                format!("a valid test payment (type 0, ref {payment_ref}) is answered 200 OK"),
                payment.query().to_owned(),
            ),
            check(
                Step::Duplicate,
                "the same pingback again is answered 200 OK (duplicates are acknowledged)"
                    .to_owned(),
                payment.into_query(),
            ),
            check(
                Step::WrongSignature,
                "a pingback with a wrong signature is not answered OK".to_owned(),
                with_dummy_signature(self.sign(&self.pingback(&fresh_ref()))?.query()),
            ),
            check(
                Step::Chargeback,
                format!("a chargeback (type 2, reason 9) of ref {payment_ref} is answered 200 OK"),
                self.sign(&chargeback)?.into_query(),
            ),
            check(
                Step::MissingParameter,
                format!("a pingback without the required `{product}` is not answered OK"),
                self.sign(&incomplete)?.into_query(),
            ),
        ])
    }

    /// Runs the checks in order, each delivered by `deliver` (`Err`: no
    /// answer, with why), and judges the answers.
    ///
    /// # Errors
    ///
    /// [`ChecklistError::Unreachable`] when the first check gets no answer;
    /// the errors of [`checks`](Self::checks).
    pub fn run(
        &self,
        mut deliver: impl FnMut(&Check) -> Result<Answer, String>,
    ) -> Result<Report, ChecklistError> {
        let mut answers = Vec::new();
        for (index, check) in self.checks()?.into_iter().enumerate() {
            let answer = deliver(&check);
            if let (0, Err(unreachable)) = (index, &answer) {
                return Err(ChecklistError::Unreachable(unreachable.clone()));
            }
            answers.push((check, answer));
        }
        Ok(judge_all(answers))
    }

    /// Runs the checks against `listener` in process: each a GET from the
    /// [`peer`](Self::peer) with the [`headers`](Self::headers).
    ///
    /// # Errors
    ///
    /// The errors of [`checks`](Self::checks).
    pub async fn run_against<P, H, L>(
        &self,
        listener: &Listener<P, H, L>,
    ) -> Result<Report, ChecklistError>
    where
        P: Pingback + HandledBy<H>,
        H: Send + Sync,
        L: Ledger,
    {
        let mut answers = Vec::new();
        for check in self.checks()? {
            let mut request = Request::get(check.query.clone(), self.peer);
            for (name, value) in &self.headers {
                request = request.header(name.clone(), value.clone());
            }
            let response = listener.handle(request).await;
            answers.push((check, Ok(Answer::new(response.status, response.body))));
        }
        Ok(judge_all(answers))
    }

    /// The standard parameters of a test pingback of `reference`, then the
    /// custom ones.
    fn pingback(&self, reference: &str) -> TestPingback {
        let mut pingback = TestPingback::new(self.api)
            .uid("pw-check-user")
            .reference(reference)
            .version(self.version);
        pingback = match self.api {
            ApiType::VirtualCurrency => pingback,
            ApiType::DigitalGoods => pingback.goodsid("pw-check-product"),
            ApiType::Cart => pingback.product_ids(["pw-check-product"]),
        };
        for (name, value) in &self.params {
            pingback = pingback.param(name, value.as_str());
        }
        pingback
    }

    fn sign(&self, pingback: &TestPingback) -> Result<SignedPingback, SignError> {
        pingback.sign(self.secret.clone())
    }
}

/// The verdicts, in order: a refusal proves nothing when the valid payment
/// was refused the same way, or when it came from the source check.
fn judge_all(answers: Vec<(Check, Result<Answer, String>)>) -> Report {
    let payment_refused = answers
        .first()
        .and_then(|(_, answer)| answer.as_ref().ok())
        .filter(|answer| !answer.acknowledged())
        .cloned();
    let verdicts = answers
        .into_iter()
        .map(|(check, answer)| {
            let (passed, detail) = judge(check.step, &answer, payment_refused.as_ref());
            Verdict {
                check,
                passed,
                detail,
            }
        })
        .collect();
    Report { verdicts }
}

fn judge(
    step: Step,
    answer: &Result<Answer, String>,
    payment_refused: Option<&Answer>,
) -> (bool, Option<String>) {
    match (step.expects_ok(), answer) {
        (true, Ok(answer)) if answer.acknowledged() => (true, None),
        (true, Ok(answer)) if answer.refused_by_source_check() => (
            false,
            Some(format!("got {}: {SOURCE_HINT}", answer.summary())),
        ),
        (true, Ok(answer)) => (false, Some(format!("got {}", answer.summary()))),
        (true, Err(err)) => (false, Some(err.clone())),
        (false, Ok(answer)) if answer.acknowledged() => (
            false,
            Some(format!("got {}, which acknowledges it", answer.summary())),
        ),
        (false, Ok(answer)) if answer.refused_by_source_check() => (
            false,
            Some(format!(
                "got {}: the 403 came from the source check, not the {}, so that was not tested; {SOURCE_HINT}",
                answer.summary(),
                if step == Step::WrongSignature { "signature check" } else { "parameter check" },
            )),
        ),
        (false, Ok(answer)) => match payment_refused {
            Some(payment) if payment.status == answer.status => (
                false,
                Some(format!(
                    "got {}, as the valid payment did, so the refusal does not show that this was checked",
                    answer.summary()
                )),
            ),
            _ => (true, Some(format!("got {}", answer.summary()))),
        },
        (false, Err(err)) => (true, Some(format!("no answer ({err})"))),
    }
}

/// What to do about a refusal by the source check.
const SOURCE_HINT: &str = "behind a reverse proxy, pass a Paymentwall address with \
     -H 'X-Forwarded-For: 174.36.92.186' and trust the proxy's address in the listener";

/// The required parameter the fifth check leaves out.
fn product_parameter(api: ApiType) -> &'static str {
    match api {
        ApiType::VirtualCurrency => "currency",
        ApiType::DigitalGoods => "goodsid",
        ApiType::Cart => "goodsid[0]",
    }
}

/// `query` with its signature (the last `sig=`) replaced by a dummy of the
/// same length: every hex digit moved on by one.
///
/// ```
/// use pw_runtime::testing::checklist::with_dummy_signature;
/// assert_eq!(with_dummy_signature("a=1&sig=09af"), "a=1&sig=1ab0");
/// ```
pub fn with_dummy_signature(query: &str) -> String {
    match query.rsplit_once("sig=") {
        Some((head, sig)) => {
            let dummy: String = sig
                .chars()
                .map(|c| match c.to_digit(16) {
                    Some(d) => char::from_digit((d + 1) % 16, 16).unwrap_or('0'),
                    None => '0',
                })
                .collect();
            format!("{head}sig={dummy}")
        }
        None => format!("{query}&sig=0"),
    }
}

/// A reference no listener has seen: `pwcheck` and 16 random hex digits.
fn fresh_ref() -> String {
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("pwcheck{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(f: impl Fn(Step) -> Answer) -> Report {
        Checklist::new(ApiType::DigitalGoods, "s")
            .run(|check| Ok(f(check.step)))
            .unwrap()
    }

    #[test]
    fn a_correct_listener_passes() {
        let report = answers(|step| {
            if step.expects_ok() {
                Answer::new(200, "OK")
            } else {
                Answer::new(403, "wrong signature (version 2)")
            }
        });
        assert!(report.passed(), "{report}");
    }

    #[test]
    fn a_403_of_the_source_check_does_not_pass_for_a_signature_check() {
        let report = answers(|_| {
            Answer::new(
                403,
                "source address 10.0.0.1 is not allowed to send pingbacks",
            )
        });
        assert_eq!(report.passed_count(), 0, "{report}");
        let wrong_signature = &report.verdicts[2];
        assert!(wrong_signature
            .detail
            .as_ref()
            .unwrap()
            .contains("came from the source check, not the signature check"));
        assert!(report.to_string().contains("X-Forwarded-For"));
    }

    #[test]
    fn a_refusal_like_the_valid_payment_s_proves_nothing() {
        let report = answers(|_| Answer::new(403, "Forbidden"));
        assert_eq!(report.passed_count(), 0, "{report}");
        assert!(report.verdicts[2]
            .detail
            .as_ref()
            .unwrap()
            .contains("as the valid payment did"));
    }

    #[test]
    fn reserved_parameters_are_refused_and_custom_ones_join() {
        let err = Checklist::new(ApiType::Cart, "s")
            .param("ref", "x")
            .checks()
            .unwrap_err();
        assert_eq!(err, ChecklistError::Reserved("ref".to_owned()));
        let checks = Checklist::new(ApiType::VirtualCurrency, "s")
            .param("uid", "me")
            .checks()
            .unwrap();
        assert!(checks[0]
            .query
            .starts_with("uid=me&currency=100&type=0&ref=pwcheck"));
        assert_ne!(fresh_ref(), fresh_ref());
    }
}
