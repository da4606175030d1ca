//! The framework-neutral listener: a plain [`Request`] in, a plain
//! [`Response`] out, with every step of a pingback in between.
//!
//! ```text
//! method / content type -> parameters -> source address -> signature
//!   -> typed decode (the derived schema) -> ledger claim -> handler method
//!   -> ledger complete (or release) -> response
//! ```
//!
//! # Response contract
//!
//! | status | body | when | Paymentwall |
//! |---|---|---|---|
//! | 200 | `OK` | the pingback was processed now, or before (a duplicate is acknowledged and not delivered again) | done |
//! | 400 | what is wrong | malformed parameters, missing parameters (named), a value not of its kind | retries |
//! | 403 | what is wrong | wrong signature, signature version not accepted, source address not allowed | retries |
//! | 405 | `method not allowed` | a method other than GET and POST (`Allow: GET, POST`) | retries |
//! | 413 | what is wrong | the query or body is over the size or parameter-count limit | retries |
//! | 415 | what is wrong | a POST body that is not `application/x-www-form-urlencoded` | retries |
//! | 500 | what failed | the handler failed or panicked, or the ledger is unavailable: nothing was recorded | retries |
//! | 501 | `pingback type N is not handled ...` | an undocumented pingback type the handler's `unknown_type` does not accept (its default), or a method returned [`HandlerError::unhandled_type`](crate::HandlerError::unhandled_type); logged at error level with the code | retries |
//! | 503 | `in progress` | the same pingback is being handled by another delivery right now (`Retry-After`) | retries |
//!
//! Bodies never contain the secret key or the expected signature, and
//! never the handler's own error message (it goes to the log).
//!
//! Each pingback runs in a `tracing` span `pingback` with the fields
//! `ref`, `type`, `outcome`, `status` and `duration_ms`.
//!
//! ```
//! use pw_runtime::ledger::MemoryLedger;
//! use pw_runtime::listener::{Listener, Request};
//! use pw_runtime::{signature, ApiType, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal, SecretKey, SignatureVersion};
//!
//! #[derive(Pingback)]
//! #[pingback(api = "digital_goods")]
//! struct Purchase {
//!     #[pingback(own)]
//!     campaign: String,
//! }
//!
//! struct Shop;
//!
//! impl PurchaseHandler for Shop {
//!     async fn deliver(&self, _: &mut Delivery<Purchase>, _: Grant) -> Result<(), HandlerError> {
//!         Ok(())
//!     }
//!     async fn take_back(
//!         &self,
//!         _: &mut Delivery<Purchase>,
//!         _: Reversal,
//!         _: Option<OriginalPayment>,
//!     ) -> Result<(), HandlerError> {
//!         Ok(())
//!     }
//!     async fn notice(&self, _: &mut Delivery<Purchase>, _: Notice) -> Result<(), HandlerError> {
//!         Ok(())
//!     }
//! }
//!
//! let listener = Listener::<Purchase, _, _>::builder("secret", Shop, MemoryLedger::new()).build();
//! let query = signature::sign_pingback(
//!     ApiType::DigitalGoods,
//!     SignatureVersion::V2,
//!     &SecretKey::new("secret"),
//!     [("uid", "u1"), ("goodsid", "gems"), ("type", "0"), ("ref", "b1"), ("campaign", "spring")],
//! ).unwrap();
//! let request = Request::get(query, "174.36.92.186".parse().unwrap());
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! assert_eq!(listener.handle(request.clone()).await.body, "OK");
//! assert_eq!(listener.handle(request).await.body, "OK"); // a duplicate: OK, not delivered again
//! # });
//! ```

mod request;
mod response;
mod unwind;

pub use request::Request;
pub use response::Response;

use crate::ledger::{Claim, Lease, Ledger, LedgerError};
use crate::{
    Delivery, DeliveryKind, HandledBy, Limits, OriginalPayment, Pingback, PingbackType,
    RecordedReversal, RefHistory, Rejection, Reversal, SecretKey, SignatureVersion, Source,
    SourceCheck, Verifier, VerifierBuilder,
};
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};
use tracing::field::Empty;
use tracing::Instrument;
use unwind::CatchUnwind;

/// The media type a POST body must have.
const FORM: &str = "application/x-www-form-urlencoded";

/// Receives the pingbacks of the schema `P`, hands each to the handler `H`
/// once, and records them in the ledger `L`.
///
/// Share one listener between requests (it is `Sync`; wrap it in an
/// `Arc`). See the [module documentation](self) for the pipeline and the
/// response contract.
pub struct Listener<P, H, L> {
    verifier: Verifier,
    handler: H,
    ledger: L,
    retry_after: Duration,
    schema: PhantomData<fn() -> P>,
}

/// Configures a [`Listener`]: the source check, the signature policy and
/// the limits. The API type comes from the schema.
///
/// ```
/// use pw_runtime::ledger::MemoryLedger;
/// use pw_runtime::listener::Listener;
/// use pw_runtime::{Limits, Pingback, SignatureVersion, SourceCheck};
/// # use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Reversal};
///
/// #[derive(Pingback)]
/// #[pingback(api = "cart")]
/// struct Order {}
/// # struct Shop;
/// # impl OrderHandler for Shop {
/// #     async fn deliver(&self, _: &mut Delivery<Order>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
/// #     async fn take_back(&self, _: &mut Delivery<Order>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
/// #     async fn notice(&self, _: &mut Delivery<Order>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
/// # }
///
/// let listener = Listener::<Order, _, _>::builder("secret", Shop, MemoryLedger::new())
///     .source_check(SourceCheck::default().trust_proxies("10.0.0.0/8".parse().unwrap()))
///     .minimum_version(SignatureVersion::V3)
///     .limits(Limits::default())
///     .build();
/// # let _ = listener;
/// ```
pub struct ListenerBuilder<P, H, L> {
    verifier: VerifierBuilder,
    handler: H,
    ledger: L,
    retry_after: Duration,
    schema: PhantomData<fn() -> P>,
}

// `Listener::builder` requires the handler and the ledger; the builder's
// own methods do not repeat it, so a handler that does not fit is one error.
impl<P, H, L> ListenerBuilder<P, H, L>
where
    P: Pingback,
{
    /// Which source addresses are allowed, and which proxies are trusted
    /// (default: Paymentwall's addresses, no proxy).
    #[must_use]
    pub fn source_check(mut self, check: SourceCheck) -> Self {
        self.verifier = self.verifier.source_check(check);
        self
    }

    /// Raises the lowest accepted signature version above the schema's.
    /// A version below the schema's is ignored: the schema's is the floor.
    #[must_use]
    pub fn minimum_version(mut self, version: SignatureVersion) -> Self {
        self.verifier = self
            .verifier
            .minimum_version(version.max(P::MINIMUM_VERSION));
        self
    }

    /// The parameter-count and size limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.verifier = self.verifier.limits(limits);
        self
    }

    /// The `Retry-After` of a 503 for a pingback in progress (default 60 s).
    #[must_use]
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// The listener.
    pub fn build(self) -> Listener<P, H, L> {
        Listener {
            verifier: self.verifier.build(),
            handler: self.handler,
            ledger: self.ledger,
            retry_after: self.retry_after,
            schema: PhantomData,
        }
    }
}

/// How one pingback ended, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    Duplicate,
    InProgress,
    Rejected,
    HandlerFailed,
    Unhandled,
    LedgerUnavailable,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Delivered => "delivered",
            Outcome::Duplicate => "duplicate",
            Outcome::InProgress => "in_progress",
            Outcome::Rejected => "rejected",
            Outcome::HandlerFailed => "handler_failed",
            Outcome::Unhandled => "unhandled_type",
            Outcome::LedgerUnavailable => "ledger_unavailable",
        })
    }
}

impl<P, H, L> Listener<P, H, L>
where
    P: Pingback + HandledBy<H>,
    H: Send + Sync,
    L: Ledger,
{
    /// A builder for the listener of schema `P` with this secret key,
    /// handler and ledger.
    pub fn builder(
        secret: impl Into<SecretKey>,
        handler: H,
        ledger: L,
    ) -> ListenerBuilder<P, H, L> {
        ListenerBuilder {
            verifier: P::verifier(secret),
            handler,
            ledger,
            retry_after: Duration::from_secs(60),
            schema: PhantomData,
        }
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The ledger.
    pub fn ledger(&self) -> &L {
        &self.ledger
    }

    /// The verifier: API type, signature policy, source check, limits.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Handles one request: see the [module documentation](self) for the
    /// steps and the response contract.
    pub async fn handle(&self, request: Request) -> Response {
        let span = tracing::info_span!(
            "pingback",
            "ref" = Empty,
            "type" = Empty,
            outcome = Empty,
            status = Empty,
            duration_ms = Empty,
        );
        let started = Instant::now();
        let (outcome, response) = self.run(&request).instrument(span.clone()).await;
        span.record("outcome", tracing::field::display(outcome));
        span.record("status", response.status);
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
        span.in_scope(|| match outcome {
            Outcome::Delivered | Outcome::Duplicate => tracing::info!(%outcome, "pingback acknowledged"),
            Outcome::InProgress | Outcome::Rejected => {
                tracing::warn!(%outcome, status = response.status, reason = %response.body, "pingback not acknowledged");
            }
            Outcome::HandlerFailed | Outcome::Unhandled | Outcome::LedgerUnavailable => {
                tracing::error!(%outcome, status = response.status, reason = %response.body, "pingback not acknowledged");
            }
        });
        response
    }

    async fn run(&self, request: &Request) -> (Outcome, Response) {
        let input = match input(request) {
            Ok(input) => input,
            Err(response) => return (Outcome::Rejected, response),
        };
        let x_forwarded_for = request.header_value("x-forwarded-for");
        let forwarded = request.header_value("forwarded");
        let source = Source {
            peer: request.peer,
            x_forwarded_for: x_forwarded_for.as_deref(),
            forwarded: forwarded.as_deref(),
        };
        let pingback = match self.verifier.verify(input, &source) {
            Ok(pingback) => pingback,
            Err(rejection) => return (Outcome::Rejected, rejected(&rejection)),
        };
        let span = tracing::Span::current();
        span.record("ref", pingback.reference());
        span.record("type", pingback.kind().code());
        let mut delivery = match Delivery::<P>::decode(pingback) {
            Ok(delivery) => delivery,
            Err(error) => {
                return (
                    Outcome::Rejected,
                    Response::text(error.status(), error.to_string()),
                )
            }
        };
        let id = delivery.unique_ref();
        let lease = match self.ledger.claim(&id).await {
            Ok(Claim::Fresh(lease)) => lease,
            Ok(Claim::AlreadyDone) => return (Outcome::Duplicate, Response::ok()),
            Ok(Claim::InProgress) => {
                let response = Response::text(
                    503,
                    format!("in progress: {id} is being handled by another delivery; retry later"),
                )
                .header("Retry-After", self.retry_after.as_secs().to_string());
                return (Outcome::InProgress, response);
            }
            Err(error) => return (Outcome::LedgerUnavailable, ledger_failed(&error)),
        };
        let history = match self.history(&delivery).await {
            Ok(history) => history,
            Err(error) => {
                let _ = self.ledger.release(lease).await;
                return (Outcome::LedgerUnavailable, ledger_failed(&error));
            }
        };
        delivery.set_lease(lease);
        let result = CatchUnwind::new(P::dispatch(&self.handler, &mut delivery, history)).await;
        let Some(lease) = delivery.take_lease() else {
            return (
                Outcome::HandlerFailed,
                Response::text(500, "the handler took the ledger lease"),
            );
        };
        let failure = match result {
            Ok(Ok(())) => None,
            Ok(Err(error)) => match error.unhandled() {
                Some(kind) => return self.unhandled(lease, kind).await,
                None => Some(format!("{error}")),
            },
            Err(panic) => Some(format!("panicked: {panic}")),
        };
        if let Some(failure) = failure {
            tracing::error!(error = %failure, "handler failed");
            if let Err(error) = self.ledger.release(lease).await {
                tracing::error!(%error, "releasing the claim failed; it expires with its lease");
            }
            return (
                Outcome::HandlerFailed,
                Response::text(
                    500,
                    "the handler failed; nothing was recorded, the pingback will be retried",
                ),
            );
        }
        match self.ledger.complete(lease, delivery.params()).await {
            Ok(()) => (Outcome::Delivered, Response::ok()),
            Err(error) => (Outcome::LedgerUnavailable, ledger_failed(&error)),
        }
    }

    /// What the ledger recorded of the delivery's `ref` before it, for the
    /// handler: the payment a reversal (2, 202) takes back, and the reversal
    /// a delivery (0, 1, 201) arrives after. The one place the listener
    /// supplies the handler's [`RefHistory`].
    async fn history(&self, delivery: &Delivery<P>) -> Result<RefHistory, LedgerError> {
        let kind = delivery.kind();
        let mut history = RefHistory::new();
        if Reversal::from_type(kind, None).is_some() {
            let record = self.ledger.original_payment(delivery.reference()).await?;
            history = history.with_original(record.as_ref().and_then(OriginalPayment::from_record));
        }
        if DeliveryKind::from_type(kind).is_some() {
            // The reversal (2 or 202) of this `ref` recorded before this
            // delivery. The ledger does not record reversals across the
            // types of a `ref` yet (issue 11, point 2); until it does,
            // every delivery is "not reversed".
            let reversal: Option<RecordedReversal> = None;
            history = history.with_reversal(reversal);
        }
        Ok(history)
    }

    /// The handler does not handle pingbacks of this type (by default, an
    /// undocumented one): nothing is recorded, the pingback is logged at
    /// error level with its code and answered 501, so Paymentwall sends it
    /// again until the merchant's code handles it.
    async fn unhandled(&self, lease: Lease, kind: PingbackType) -> (Outcome, Response) {
        let code = kind.code();
        tracing::error!(
            code,
            "pingback type {code} is not handled: not acknowledged (implement the handler's \
             `unknown_type` method to accept it)"
        );
        if let Err(error) = self.ledger.release(lease).await {
            tracing::error!(%error, "releasing the claim failed; it expires with its lease");
        }
        let response = Response::text(
            501,
            format!("pingback type {code} is not handled by this listener; it will be retried"),
        );
        (Outcome::Unhandled, response)
    }
}

/// The parameters of a request: the query of a GET, the form body of a
/// POST.
fn input(request: &Request) -> Result<&[u8], Response> {
    match request.method.as_str() {
        "GET" => Ok(request.query.as_bytes()),
        "POST" => match request.content_type() {
            Some(media) if media.eq_ignore_ascii_case(FORM) => Ok(&request.body),
            Some(other) => Err(Response::text(
                415,
                format!("a POST pingback is {FORM}, not {other}"),
            )),
            None => Err(Response::text(
                415,
                format!("a POST pingback is {FORM}: the Content-Type header is missing"),
            )),
        },
        _ => Err(
            Response::text(405, "method not allowed: a pingback is a GET or a POST")
                .header("Allow", "GET, POST"),
        ),
    }
}

fn rejected(rejection: &Rejection) -> Response {
    Response::text(rejection.status(), rejection.to_string())
}

fn ledger_failed(error: &LedgerError) -> Response {
    tracing::error!(%error, "ledger failed");
    Response::text(
        error.status(),
        "the ledger is unavailable; nothing was recorded, the pingback will be retried",
    )
}
