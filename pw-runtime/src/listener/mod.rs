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
//! | 400 | what is wrong | malformed parameters, missing parameters (named), a value not of its kind; a verified pingback whose value does not fit the schema is also kept in the ledger's quarantine ([`Listener::quarantined`], [`Listener::replay`]) and logged at error level | retries |
//! | 403 | what is wrong | wrong signature, signature version not accepted, source address not allowed | retries |
//! | 405 | `method not allowed` | a method other than GET and POST (`Allow: GET, POST`) | retries |
//! | 413 | what is wrong | the query or body is over the size or parameter-count limit | retries |
//! | 415 | what is wrong | a POST body that is not `application/x-www-form-urlencoded` | retries |
//! | 500 | what failed | the handler failed, panicked or ran past its deadline (default 30 s), or the ledger is unavailable or gave no answer within its response timeout (default 10 s, `LedgerOptions::response_timeout`): nothing was recorded | retries |
//! | 501 | `pingback type N is not handled ...` | an undocumented pingback type the handler's `unknown_type` does not accept (its default), or a method returned [`HandlerError::unhandled_type`](crate::HandlerError::unhandled_type); logged at error level with the code | retries |
//! | 503 | `in progress` | the same pingback, or another type that moves goods (0, 1, 2, 201, 202) of its `ref`, is being handled by another delivery right now (`Retry-After`) | retries |
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

mod renew;
mod request;
mod response;
mod unwind;

pub use request::Request;
pub use response::Response;

use crate::allowlist::{Source, SourceCheck};
use crate::deadline::Deadline;
use crate::delivery::{Delivery, OriginalPayment, RecordedReversal};
use crate::handler::{DeliveryKind, HandledBy, RefHistory, Reversal};
use crate::kinds::{PingbackType, UniqueRef};
use crate::ledger::{Claim, Lease, Ledger, LedgerError, Quarantined};
use crate::params::Limits;
use crate::schema::{DecodeError, Pingback};
use crate::secret::SecretKey;
use crate::signature::SignatureVersion;
use crate::verify::{Rejection, VerifiedPingback, Verifier, VerifierBuilder};
use renew::{Renewal, Renewing};
use std::fmt;
use std::marker::PhantomData;
use std::pin::{pin, Pin};
use std::time::{Duration, Instant, SystemTime};
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
    handler_deadline: Duration,
    schema: PhantomData<fn() -> P>,
}

/// The default of [`ListenerBuilder::handler_deadline`]: 30 s.
///
/// ```
/// assert_eq!(pw_runtime::listener::DEFAULT_HANDLER_DEADLINE.as_secs(), 30);
/// ```
pub const DEFAULT_HANDLER_DEADLINE: Duration = Duration::from_secs(30);

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
    handler_deadline: Duration,
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

    /// How long the handler may take for one pingback (default
    /// [`DEFAULT_HANDLER_DEADLINE`], 30 s). Past it the handler's future is
    /// dropped, the claim released, an error logged and the pingback
    /// answered 500, so Paymentwall retries it.
    ///
    /// The deadline and the ledger's lease are independent: while the
    /// handler runs, the listener renews its lease every third of the lease
    /// ([`Ledger::renew`]), so a deadline longer than the lease is fine, and
    /// a process that dies mid-handler blocks its pingback for one lease
    /// ([`LedgerOptions::lease`](crate::ledger::LedgerOptions::lease), 30 s
    /// by default), not for the deadline.
    #[must_use]
    pub fn handler_deadline(mut self, deadline: Duration) -> Self {
        self.handler_deadline = deadline;
        self
    }

    /// The listener.
    pub fn build(self) -> Listener<P, H, L> {
        Listener {
            verifier: self.verifier.build(),
            handler: self.handler,
            ledger: self.ledger,
            retry_after: self.retry_after,
            handler_deadline: self.handler_deadline,
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
    Quarantined,
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
            Outcome::Quarantined => "quarantined",
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
            handler_deadline: DEFAULT_HANDLER_DEADLINE,
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
        self.traced(false, pin!(self.run(&request))).await
    }

    /// The quarantined pingbacks of this listener's ledger
    /// ([`Ledger::quarantined`]): verified pingbacks the schema could not
    /// decode, kept until a replay delivers them. The listing shows no
    /// secret (the signature is masked in `Debug` and
    /// [`Quarantined::masked_query`]).
    ///
    /// # Errors
    ///
    /// [`LedgerError`] when the ledger is unavailable.
    ///
    /// ```
    /// use pw_runtime::ledger::MemoryLedger;
    /// use pw_runtime::listener::{Listener, Request};
    /// use pw_runtime::{signature, ApiType, Currency, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal, SecretKey, SignatureVersion};
    ///
    /// #[derive(Pingback)]
    /// #[pingback(api = "digital_goods")]
    /// struct Strict {
    ///     #[pingback(system = "CURRENCY_CODE", param = "paid_currency")]
    ///     paid_currency: Currency,
    /// }
    /// struct Shop;
    /// impl StrictHandler for Shop {
    ///     async fn deliver(&self, _: &mut Delivery<Strict>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
    ///     async fn take_back(&self, _: &mut Delivery<Strict>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
    ///     async fn notice(&self, _: &mut Delivery<Strict>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
    /// }
    ///
    /// let listener = Listener::<Strict, _, _>::builder("secret", Shop, MemoryLedger::new()).build();
    /// let query = signature::sign_pingback(ApiType::DigitalGoods, SignatureVersion::V2, &SecretKey::new("secret"),
    ///     [("uid", "u1"), ("goodsid", "gems"), ("type", "0"), ("ref", "b1"), ("paid_currency", "ZZZ")]).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let answer = listener.handle(Request::get(query, "174.36.92.186".parse().unwrap())).await;
    /// assert_eq!(answer.status, 400); // not OK: Paymentwall retries
    /// let kept = listener.quarantined().await?;
    /// assert_eq!(kept[0].id().to_string(), "b1_0");
    /// assert!(kept[0].error().contains("paid_currency"));
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    pub async fn quarantined(&self) -> Result<Vec<Quarantined>, LedgerError> {
        self.ledger.quarantined().await
    }

    /// Replays the quarantined pingback `id` through this listener, as if
    /// Paymentwall had sent it again: its stored parameters are verified
    /// (signature, and source with the address they came from), decoded
    /// with this listener's schema, claimed and handed to the handler. A
    /// delivery that completes takes it out of quarantine; one that still
    /// does not decode stays there (its attempts grow by one). The same
    /// pingback sent by Paymentwall at the same moment is delivered once:
    /// both go through the ledger's claim.
    ///
    /// Returns `None` when `id` is not in quarantine (for example delivered
    /// meanwhile), or the listener's answer.
    ///
    /// # Errors
    ///
    /// [`LedgerError`] when the quarantine cannot be read.
    ///
    /// ```
    /// use pw_runtime::ledger::MemoryLedger;
    /// use pw_runtime::listener::{Listener, Request};
    /// use pw_runtime::{signature, ApiType, Currency, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal, SecretKey, SignatureVersion};
    ///
    /// #[derive(Pingback)]
    /// #[pingback(api = "digital_goods")]
    /// struct Strict {
    ///     #[pingback(system = "CURRENCY_CODE", param = "paid_currency")]
    ///     paid_currency: Currency,
    /// }
    /// /// The schema after the fix: the parameter is any text of the merchant's.
    /// #[derive(Pingback)]
    /// #[pingback(api = "digital_goods")]
    /// struct Fixed {
    ///     #[pingback(own)]
    ///     paid_currency: String,
    /// }
    /// struct Shop;
    /// impl StrictHandler for Shop {
    ///     async fn deliver(&self, _: &mut Delivery<Strict>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
    ///     async fn take_back(&self, _: &mut Delivery<Strict>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
    ///     async fn notice(&self, _: &mut Delivery<Strict>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
    /// }
    /// impl FixedHandler for Shop {
    ///     async fn deliver(&self, _: &mut Delivery<Fixed>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
    ///     async fn take_back(&self, _: &mut Delivery<Fixed>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
    ///     async fn notice(&self, _: &mut Delivery<Fixed>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
    /// }
    ///
    /// let ledger = MemoryLedger::new();
    /// let strict = Listener::<Strict, _, _>::builder("secret", Shop, ledger.clone()).build();
    /// let query = signature::sign_pingback(ApiType::DigitalGoods, SignatureVersion::V2, &SecretKey::new("secret"),
    ///     [("uid", "u1"), ("goodsid", "gems"), ("type", "0"), ("ref", "b1"), ("paid_currency", "ZZZ")]).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// strict.handle(Request::get(query, "174.36.92.186".parse().unwrap())).await;
    ///
    /// let fixed = Listener::<Fixed, _, _>::builder("secret", Shop, ledger).build();
    /// let answer = fixed.replay(&"b1_0".parse().unwrap()).await?.unwrap();
    /// assert!(answer.is_acknowledgement()); // delivered
    /// assert!(fixed.quarantined().await?.is_empty());
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    pub async fn replay(&self, id: &UniqueRef) -> Result<Option<Response>, LedgerError> {
        let kept = self.ledger.quarantined().await?;
        let Some(entry) = kept.into_iter().find(|entry| entry.id() == id) else {
            return Ok(None);
        };
        let response = self.traced(true, pin!(self.run_replay(&entry))).await;
        Ok(Some(response))
    }

    /// Replays every quarantined pingback ([`Listener::replay`]), the
    /// oldest first: each one's `ref_type` with the listener's answer.
    ///
    /// # Errors
    ///
    /// [`LedgerError`] when the quarantine cannot be read.
    ///
    /// ```
    /// # use pw_runtime::ledger::MemoryLedger;
    /// # use pw_runtime::listener::Listener;
    /// # use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal};
    /// # #[derive(Pingback)]
    /// # #[pingback(api = "cart")]
    /// # struct Order {}
    /// # struct Shop;
    /// # impl OrderHandler for Shop {
    /// #     async fn deliver(&self, _: &mut Delivery<Order>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
    /// #     async fn take_back(&self, _: &mut Delivery<Order>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
    /// #     async fn notice(&self, _: &mut Delivery<Order>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
    /// # }
    /// let listener = Listener::<Order, _, _>::builder("secret", Shop, MemoryLedger::new()).build();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// for (id, answer) in listener.replay_all().await? {
    ///     println!("{id}: {} {}", answer.status, answer.body);
    /// }
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    pub async fn replay_all(&self) -> Result<Vec<(UniqueRef, Response)>, LedgerError> {
        let mut answers = Vec::new();
        for entry in self.ledger.quarantined().await? {
            let response = self.traced(true, pin!(self.run_replay(&entry))).await;
            answers.push((entry.id().clone(), response));
        }
        Ok(answers)
    }

    /// Runs one pingback's steps in its `pingback` span and logs how it
    /// ended.
    ///
    /// The steps come pinned where the caller holds them: a future taken by
    /// value would be kept twice in this one's state, as the argument and
    /// as the future awaited (about half of the 22,976 bytes the PostgreSQL
    /// quickstart's request future measured so).
    async fn traced(
        &self,
        replay: bool,
        steps: Pin<&mut impl std::future::Future<Output = (Outcome, Response)>>,
    ) -> Response {
        let span = tracing::info_span!(
            "pingback",
            "ref" = Empty,
            "type" = Empty,
            replay,
            outcome = Empty,
            status = Empty,
            duration_ms = Empty,
        );
        let started = Instant::now();
        let (outcome, response) = steps.instrument(span.clone()).await;
        span.record("outcome", tracing::field::display(outcome));
        span.record("status", response.status);
        span.record("duration_ms", started.elapsed().as_secs_f64() * 1000.0);
        span.in_scope(|| match outcome {
            Outcome::Delivered | Outcome::Duplicate => tracing::info!(%outcome, "pingback acknowledged"),
            Outcome::InProgress | Outcome::Rejected => {
                tracing::warn!(%outcome, status = response.status, reason = %response.body, "pingback not acknowledged");
            }
            Outcome::Quarantined
            | Outcome::HandlerFailed
            | Outcome::Unhandled
            | Outcome::LedgerUnavailable => {
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
        self.process(pingback, input).await
    }

    /// A quarantined pingback, verified again (the signature, and the
    /// source with the address it came from) and processed.
    async fn run_replay(&self, entry: &Quarantined) -> (Outcome, Response) {
        let params = match entry.params() {
            Ok(params) => params,
            Err(error) => {
                let body = format!("the quarantined parameters no longer parse: {error}");
                return (Outcome::Rejected, Response::text(400, body));
            }
        };
        let pingback = match self
            .verifier
            .verify_params(params, &Source::peer(entry.client()))
        {
            Ok(pingback) => pingback,
            Err(rejection) => return (Outcome::Rejected, rejected(&rejection)),
        };
        self.process(pingback, entry.query().as_bytes()).await
    }

    /// A verified pingback, from its decoding to the answer; `input` is its
    /// parameters exactly as received, kept if it does not decode.
    async fn process(&self, pingback: VerifiedPingback, input: &[u8]) -> (Outcome, Response) {
        let span = tracing::Span::current();
        span.record("ref", pingback.reference());
        span.record("type", pingback.kind().code());
        let (id, client) = (pingback.unique_ref(), pingback.client_address());
        let mut delivery = match Delivery::<P>::decode(pingback) {
            Ok(delivery) => delivery,
            Err(error @ (DecodeError::Missing { .. } | DecodeError::Invalid { .. })) => {
                let kept = Quarantined::new(
                    id,
                    String::from_utf8_lossy(input),
                    client,
                    error.to_string(),
                    SystemTime::now(),
                );
                return self.quarantine(kept, error.status()).await;
            }
            Err(error) => {
                return (
                    Outcome::Rejected,
                    Response::text(error.status(), error.to_string()),
                )
            }
        };
        let lease = match self.ledger.claim(&id).await {
            Ok(Claim::Fresh(lease)) => lease,
            Ok(Claim::AlreadyDone) => return (Outcome::Duplicate, Response::ok()),
            Ok(Claim::InProgress) => return (Outcome::InProgress, self.in_progress(&id)),
            Err(error) => return (Outcome::LedgerUnavailable, ledger_failed(&error)),
        };
        let history = match self.history(&delivery).await {
            Ok(history) => history,
            Err(error) => {
                self.give_up(lease).await;
                return (Outcome::LedgerUnavailable, ledger_failed(&error));
            }
        };
        let (token, length) = (lease.token().to_owned(), lease.length());
        delivery.set_lease(lease);
        let handled = CatchUnwind::new(P::dispatch(&self.handler, &mut delivery, history));
        let bounded = Deadline::new(self.handler_deadline, handled);
        let renew = || -> Renewal<'_> { Box::pin(self.ledger.renew(&id, &token)) };
        let (result, renewed) = Renewing::new(length / 3, bounded, renew).await;
        let Some(mut lease) = delivery.take_lease() else {
            return (
                Outcome::HandlerFailed,
                Response::text(500, "the handler took the ledger lease"),
            );
        };
        if let Some(at) = renewed {
            lease.renewed_at(at);
        }
        let failure = match result {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(error))) => match error.unhandled() {
                Some(kind) => return self.unhandled(lease, kind).await,
                None => Some(format!("{error}")),
            },
            Ok(Err(panic)) => Some(format!("panicked: {panic}")),
            Err(limit) => Some(format!("did not finish within {} ms", limit.as_millis())),
        };
        if let Some(failure) = failure {
            tracing::error!(error = %failure, "handler failed");
            self.give_up(lease).await;
            return (
                Outcome::HandlerFailed,
                Response::text(
                    500,
                    "the handler failed; nothing was recorded, the pingback will be retried",
                ),
            );
        }
        let twin = lease.twin();
        match self.ledger.complete(lease, delivery.params()).await {
            Ok(()) => (Outcome::Delivered, Response::ok()),
            Err(error) => {
                // Not recorded (or not known to be): give the claim up, so the
                // retry need not wait for the lease. A record that did commit
                // is not touched: a release only removes a claim in progress.
                if matches!(error, LedgerError::Unavailable { .. }) {
                    self.give_up(twin).await;
                }
                (Outcome::LedgerUnavailable, ledger_failed(&error))
            }
        }
    }

    /// The answer for a pingback another delivery is handling right now.
    fn in_progress(&self, id: &UniqueRef) -> Response {
        Response::text(
            503,
            format!("in progress: {id} (or another pingback of its ref) is being handled by another delivery; retry later"),
        )
        .header("Retry-After", self.retry_after.as_secs().to_string())
    }

    /// A verified pingback the schema cannot decode: kept in the ledger's
    /// quarantine under its claim (a pingback already delivered is only
    /// acknowledged again), logged at error level, answered non-OK so that
    /// Paymentwall keeps retrying.
    async fn quarantine(&self, kept: Quarantined, status: u16) -> (Outcome, Response) {
        let lease = match self.ledger.claim(kept.id()).await {
            Ok(Claim::Fresh(lease)) => lease,
            // Delivered before, through a schema that read it: nothing to keep.
            Ok(Claim::AlreadyDone) => return (Outcome::Duplicate, Response::ok()),
            Ok(Claim::InProgress) => return (Outcome::InProgress, self.in_progress(kept.id())),
            Err(error) => return (Outcome::LedgerUnavailable, ledger_failed(&error)),
        };
        if let Err(error) = self.ledger.quarantine(lease, &kept).await {
            return (Outcome::LedgerUnavailable, ledger_failed(&error));
        }
        tracing::error!(
            id = %kept.id(),
            error = kept.error(),
            "a verified pingback does not fit the schema: kept in quarantine; fix the schema, \
             then replay it (Listener::replay, or `pw-pingback quarantine replay`)"
        );
        let body = format!(
            "{}; the pingback is kept in quarantine until a replay delivers it",
            kept.error()
        );
        (Outcome::Quarantined, Response::text(status, body))
    }

    /// Gives a claim up after a failure, retrying a release the ledger could
    /// not carry out (unreachable for a moment) a few times, over about 3
    /// seconds; if it stays unreachable, the claim expires with its lease.
    async fn give_up(&self, lease: Lease) {
        const RETRIES: [Duration; 4] = [
            Duration::from_millis(100),
            Duration::from_millis(300),
            Duration::from_millis(900),
            Duration::from_millis(1800),
        ];
        let mut lease = lease;
        for pause in RETRIES.into_iter().map(Some).chain([None]) {
            let twin = lease.twin();
            match self.ledger.release(lease).await {
                Ok(()) => return,
                Err(error @ LedgerError::Unavailable { .. }) => match pause {
                    Some(pause) => {
                        tracing::warn!(%error, "releasing the claim failed; retrying");
                        crate::timer::Sleep::after(pause).await;
                    }
                    None => {
                        tracing::error!(%error, "releasing the claim failed; it expires with its lease");
                        return;
                    }
                },
                // Stale (expired, or given up already) or another backend's:
                // nothing left to release.
                Err(error) => {
                    tracing::warn!(%error, "the claim was not released");
                    return;
                }
            }
            lease = twin;
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
            let record = self.ledger.reversal(delivery.reference()).await?;
            history =
                history.with_reversal(record.as_ref().and_then(RecordedReversal::from_record));
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
        self.give_up(lease).await;
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
