//! The handler contract: what the handler trait `#[derive(Pingback)]`
//! generates asks of the merchant's code, what each of its methods
//! receives, what handler methods return, and how a schema dispatches a
//! delivery to that trait.
//!
//! # Every pingback type reaches the merchant's code
//!
//! The generated trait `<Schema>Handler` has three required methods, one
//! per thing that can happen to goods or money, and one method with a
//! default that refuses. A handler that compiles has therefore said what it
//! does for every documented type; nothing that moves goods or money is
//! acknowledged without the merchant's code having seen it.
//!
//! | `type` | what happened | method | it receives | the listener answers |
//! |---|---|---|---|---|
//! | 0 | payment | `deliver` | [`Grant::Deliver`]`(`[`DeliveryKind::Payment`]`)` | `OK` once the method returns `Ok` and the ledger recorded it; 500 (retried) when it returns an error |
//! | 1 | goodwill credit | `deliver` | [`Grant::Deliver`]`(`[`DeliveryKind::Goodwill`]`)` | as type 0 |
//! | 201 | risk review accepted | `deliver` | [`Grant::Deliver`]`(`[`DeliveryKind::RiskReviewAccepted`]`)` | as type 0 |
//! | 0, 1, 201 after a 2 or 202 of the same `ref` | the payment was reversed before it arrived | `deliver` | [`Grant::AlreadyReversed`] with the recorded reversal: do not deliver | as type 0 |
//! | 2 | chargeback or refund | `take_back` | [`Reversal::Chargeback`] with its [`ChargebackReason`], and the [`OriginalPayment`] when the ledger delivered it | as type 0 |
//! | 202 | risk review declined | `take_back` | [`Reversal::RiskReviewDeclined`], and the [`OriginalPayment`] when the ledger delivered one | as type 0 |
//! | 200 | risk review pending | `notice` | [`Notice::RiskReviewPending`]: do not deliver yet | as type 0 |
//! | 203 | authorization voided | `notice` | [`Notice::AuthorizationVoided`]: do not deliver | as type 0 |
//! | 12 | subscription cancelled by the user | `notice` | [`Notice::SubscriptionCancelled`]: stop renewing | as type 0 |
//! | 13 | subscription expired | `notice` | [`Notice::SubscriptionExpired`]: end access | as type 0 |
//! | 14 | subscription renewal failed | `notice` | [`Notice::SubscriptionRenewalFailed`]: end access | as type 0 |
//! | any other (e.g. 99) | undocumented | `unknown_type` with the code | by default: refused; logged at error level with the code and answered **501** (`not handled`), so Paymentwall keeps retrying; once the method is implemented and returns `Ok`, `OK` |
//! | any, with a value the schema cannot decode | a verified pingback the schema cannot read | none | — | **400** naming the parameter; kept in the ledger's quarantine ([`Ledger::quarantine`](crate::ledger::Ledger::quarantine)) and logged at error level, so Paymentwall keeps retrying; replayed after a schema fix with `Listener::replay` |
//!
//! A merchant's payment code serves goodwill and risk-accepted deliveries
//! unchanged: they all arrive at `deliver`, with the [`DeliveryKind`] for
//! the code that cares. The types that move goods (0, 1, 2, 201, 202) of one
//! `ref` are handled one at a time, so the method of the second learns of
//! the first: a reversal gets the [`OriginalPayment`], a delivery after its
//! reversal gets [`Grant::AlreadyReversed`], whatever order they came in. Each method runs once per `ref_type`, inside the
//! ledger's claim; a method that returns an error is not acknowledged
//! (the pingback is retried, and the method runs again).
//!
//! ```
//! use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal};
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
//!     async fn deliver(&self, payment: &mut Delivery<Purchase>, grant: Grant) -> Result<(), HandlerError> {
//!         let Grant::Deliver(kind) = grant else {
//!             return Ok(()); // reversed before it arrived: nothing to grant
//!         };
//!         println!("grant the goods of {} ({kind:?})", payment.reference());
//!         Ok(())
//!     }
//!
//!     async fn take_back(
//!         &self,
//!         reversal: &mut Delivery<Purchase>,
//!         why: Reversal,
//!         original: Option<OriginalPayment>,
//!     ) -> Result<(), HandlerError> {
//!         println!("revoke {} ({why:?}), delivered before: {}", reversal.reference(), original.is_some());
//!         Ok(())
//!     }
//!
//!     async fn notice(&self, _: &mut Delivery<Purchase>, notice: Notice) -> Result<(), HandlerError> {
//!         match notice {
//!             Notice::RiskReviewPending | Notice::AuthorizationVoided => Ok(()), // nothing was delivered
//!             Notice::SubscriptionCancelled | Notice::SubscriptionExpired | Notice::SubscriptionRenewalFailed => {
//!                 Ok(()) // this shop sells no subscriptions
//!             }
//!         }
//!     }
//! }
//! ```

use crate::delivery::{Delivery, OriginalPayment, RecordedReversal};
use crate::kinds::{ChargebackReason, PingbackType};
use crate::schema::Pingback;
use std::error::Error;
use std::fmt;
use std::future::Future;

/// A handler method failed: the pingback is not acknowledged, so
/// Paymentwall sends it again later.
///
/// Any error converts into it with `?`. The listener answers 500 and logs
/// the error's message (never in the response body), except for
/// [`HandlerError::unhandled_type`], answered 501.
///
/// ```
/// use pw_runtime::HandlerError;
///
/// fn grant(user: &str) -> Result<(), HandlerError> {
///     let id: u64 = user.parse()?;
///     if id == 0 {
///         return Err(HandlerError::new("user 0 does not exist"));
///     }
///     Ok(())
/// }
/// assert!(grant("x").is_err());
/// assert_eq!(grant("0").unwrap_err().to_string(), "user 0 does not exist");
/// ```
pub struct HandlerError(Repr);

enum Repr {
    Failed(Box<dyn Error + Send + Sync>),
    Unhandled(PingbackType),
}

impl HandlerError {
    /// An error with this message.
    ///
    /// ```
    /// assert_eq!(pw_runtime::HandlerError::new("down").to_string(), "down");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        HandlerError(Repr::Failed(message.into().into()))
    }

    /// The handler does not handle pingbacks of this type: the listener
    /// does not acknowledge it, logs it at error level with its code and
    /// answers 501, so Paymentwall keeps sending it until the merchant's
    /// code handles it. The default of the generated `unknown_type` method.
    ///
    /// ```
    /// use pw_runtime::{HandlerError, PingbackType};
    ///
    /// let error = HandlerError::unhandled_type(PingbackType::Unknown(99));
    /// assert_eq!(error.unhandled(), Some(PingbackType::Unknown(99)));
    /// assert_eq!(error.to_string(), "pingback type 99 is not handled");
    /// ```
    pub fn unhandled_type(kind: PingbackType) -> Self {
        HandlerError(Repr::Unhandled(kind))
    }

    /// The pingback type, when this error is [`HandlerError::unhandled_type`].
    ///
    /// ```
    /// assert_eq!(pw_runtime::HandlerError::new("down").unhandled(), None);
    /// ```
    pub fn unhandled(&self) -> Option<PingbackType> {
        match self.0 {
            Repr::Unhandled(kind) => Some(kind),
            Repr::Failed(_) => None,
        }
    }

    /// The underlying error, when there is one (not for
    /// [`HandlerError::unhandled_type`]).
    ///
    /// ```
    /// let error = pw_runtime::HandlerError::from(std::io::Error::other("disk"));
    /// assert_eq!(error.source_error().unwrap().to_string(), "disk");
    /// ```
    pub fn source_error(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match &self.0 {
            Repr::Failed(error) => Some(&**error),
            Repr::Unhandled(_) => None,
        }
    }
}

impl<E: Into<Box<dyn Error + Send + Sync>>> From<E> for HandlerError {
    fn from(error: E) -> Self {
        HandlerError(Repr::Failed(error.into()))
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Failed(error) => fmt::Display::fmt(error, f),
            Repr::Unhandled(kind) => write!(f, "pingback type {} is not handled", kind.code()),
        }
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Failed(error) => fmt::Debug::fmt(error, f),
            Repr::Unhandled(kind) => f.debug_tuple("Unhandled").field(kind).finish(),
        }
    }
}

/// Which pingback type asks for the goods of a `ref` to be delivered.
///
/// ```
/// use pw_runtime::{DeliveryKind, PingbackType};
///
/// assert_eq!(DeliveryKind::from_type(PingbackType::Goodwill), Some(DeliveryKind::Goodwill));
/// assert_eq!(DeliveryKind::RiskReviewAccepted.pingback_type().code(), 201);
/// assert_eq!(DeliveryKind::from_type(PingbackType::Chargeback), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryKind {
    /// Type 0: a payment.
    Payment,
    /// Type 1: a goodwill credit from Paymentwall's customer service.
    Goodwill,
    /// Type 201: a payment held for risk review (type 200) was accepted.
    RiskReviewAccepted,
}

impl DeliveryKind {
    /// The delivery kind of a pingback type, for 0, 1 and 201.
    pub const fn from_type(kind: PingbackType) -> Option<Self> {
        match kind {
            PingbackType::Payment => Some(DeliveryKind::Payment),
            PingbackType::Goodwill => Some(DeliveryKind::Goodwill),
            PingbackType::RiskReviewAccepted => Some(DeliveryKind::RiskReviewAccepted),
            _ => None,
        }
    }

    /// The pingback type: 0, 1 or 201.
    pub const fn pingback_type(self) -> PingbackType {
        match self {
            DeliveryKind::Payment => PingbackType::Payment,
            DeliveryKind::Goodwill => PingbackType::Goodwill,
            DeliveryKind::RiskReviewAccepted => PingbackType::RiskReviewAccepted,
        }
    }
}

/// What the generated `deliver` method is asked to do: deliver the goods,
/// or learn that the ledger recorded a reversal of this `ref` before the
/// delivery arrived (a chargeback or a declined risk review whose payment
/// was retried after it), so that nothing is granted for good after its
/// refund.
///
/// ```
/// use pw_runtime::{DeliveryKind, Grant};
///
/// let grant = Grant::Deliver(DeliveryKind::Goodwill);
/// assert_eq!(grant.kind(), DeliveryKind::Goodwill);
/// assert!(grant.reversal().is_none());
/// ```
#[derive(Debug, Clone)]
pub enum Grant {
    /// Deliver the goods of this `ref`.
    Deliver(DeliveryKind),
    /// Do not deliver: the goods of this `ref` were already taken back.
    /// Acknowledging it is right (the merchant's code has seen it); the
    /// method may record it, for example to flag the user.
    AlreadyReversed {
        /// Which type asks for the delivery.
        kind: DeliveryKind,
        /// The chargeback or declined review recorded before it.
        reversal: RecordedReversal,
    },
}

impl Grant {
    /// Which type asks for the delivery.
    pub fn kind(&self) -> DeliveryKind {
        match self {
            Grant::Deliver(kind) | Grant::AlreadyReversed { kind, .. } => *kind,
        }
    }

    /// The reversal recorded before this delivery, if any.
    pub fn reversal(&self) -> Option<&RecordedReversal> {
        match self {
            Grant::Deliver(_) => None,
            Grant::AlreadyReversed { reversal, .. } => Some(reversal),
        }
    }
}

/// What takes the goods of a `ref` back, as the generated `take_back`
/// method receives it.
///
/// ```
/// use pw_runtime::{ChargebackReason, PingbackType, Reversal};
///
/// let chargeback = Reversal::Chargeback { reason: Some(ChargebackReason::CancelledOrder) };
/// assert_eq!(chargeback.pingback_type(), PingbackType::Chargeback);
/// assert_eq!(chargeback.reason(), Some(ChargebackReason::CancelledOrder));
/// assert_eq!(Reversal::RiskReviewDeclined.reason(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reversal {
    /// Type 2: a chargeback or refund.
    Chargeback {
        /// The `reason` parameter; `None` when the pingback carries none.
        reason: Option<ChargebackReason>,
    },
    /// Type 202: the risk review declined the payment.
    RiskReviewDeclined,
}

impl Reversal {
    /// The reversal of a pingback type (2 or 202) with the pingback's
    /// `reason`.
    ///
    /// ```
    /// use pw_runtime::{PingbackType, Reversal};
    /// assert_eq!(Reversal::from_type(PingbackType::RiskReviewDeclined, None), Some(Reversal::RiskReviewDeclined));
    /// assert_eq!(Reversal::from_type(PingbackType::Payment, None), None);
    /// ```
    pub const fn from_type(kind: PingbackType, reason: Option<ChargebackReason>) -> Option<Self> {
        match kind {
            PingbackType::Chargeback => Some(Reversal::Chargeback { reason }),
            PingbackType::RiskReviewDeclined => Some(Reversal::RiskReviewDeclined),
            _ => None,
        }
    }

    /// The pingback type: 2 or 202.
    pub const fn pingback_type(self) -> PingbackType {
        match self {
            Reversal::Chargeback { .. } => PingbackType::Chargeback,
            Reversal::RiskReviewDeclined => PingbackType::RiskReviewDeclined,
        }
    }

    /// The chargeback reason, for a chargeback that carries one.
    pub const fn reason(self) -> Option<ChargebackReason> {
        match self {
            Reversal::Chargeback { reason } => reason,
            Reversal::RiskReviewDeclined => None,
        }
    }
}

/// A pingback that moves no goods by itself, as the generated `notice`
/// method receives it: a risk review or an authorization that holds the
/// delivery back, or a subscription event.
///
/// ```
/// use pw_runtime::{Notice, PingbackType};
///
/// assert_eq!(Notice::from_type(PingbackType::SubscriptionExpired), Some(Notice::SubscriptionExpired));
/// assert_eq!(Notice::RiskReviewPending.pingback_type().code(), 200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notice {
    /// Type 200: the payment is under risk review; do not deliver yet (a
    /// 201 or a 202 follows).
    RiskReviewPending,
    /// Type 203: the authorization was voided (not captured in time); do
    /// not deliver.
    AuthorizationVoided,
    /// Type 12: the user cancelled the subscription; stop renewing.
    SubscriptionCancelled,
    /// Type 13: the subscription expired; end access.
    SubscriptionExpired,
    /// Type 14: a renewal payment failed; end access.
    SubscriptionRenewalFailed,
}

impl Notice {
    /// The notice of a pingback type: 200, 203, 12, 13 or 14.
    pub const fn from_type(kind: PingbackType) -> Option<Self> {
        match kind {
            PingbackType::RiskReviewPending => Some(Notice::RiskReviewPending),
            PingbackType::AuthorizationVoided => Some(Notice::AuthorizationVoided),
            PingbackType::SubscriptionCancelled => Some(Notice::SubscriptionCancelled),
            PingbackType::SubscriptionExpired => Some(Notice::SubscriptionExpired),
            PingbackType::SubscriptionPaymentFailed => Some(Notice::SubscriptionRenewalFailed),
            _ => None,
        }
    }

    /// The pingback type.
    pub const fn pingback_type(self) -> PingbackType {
        match self {
            Notice::RiskReviewPending => PingbackType::RiskReviewPending,
            Notice::AuthorizationVoided => PingbackType::AuthorizationVoided,
            Notice::SubscriptionCancelled => PingbackType::SubscriptionCancelled,
            Notice::SubscriptionExpired => PingbackType::SubscriptionExpired,
            Notice::SubscriptionRenewalFailed => PingbackType::SubscriptionPaymentFailed,
        }
    }
}

/// What the ledger recorded of a pingback's `ref` before it, handed to the
/// handler with the delivery: the payment a reversal takes back, and the
/// reversal a delivery arrives after.
///
/// ```
/// use pw_runtime::RefHistory;
/// let history = RefHistory::new();
/// assert!(history.original().is_none() && history.reversal().is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct RefHistory {
    original: Option<OriginalPayment>,
    reversal: Option<RecordedReversal>,
}

impl RefHistory {
    /// Nothing recorded.
    pub fn new() -> Self {
        RefHistory::default()
    }

    /// With the delivered payment (0, 1 or 201) of the `ref`, if any.
    #[must_use]
    pub fn with_original(mut self, original: Option<OriginalPayment>) -> Self {
        self.original = original;
        self
    }

    /// With the reversal (2 or 202) of the `ref` recorded before, if any.
    #[must_use]
    pub fn with_reversal(mut self, reversal: Option<RecordedReversal>) -> Self {
        self.reversal = reversal;
        self
    }

    /// The delivered payment of the `ref`.
    pub fn original(&self) -> Option<&OriginalPayment> {
        self.original.as_ref()
    }

    /// The reversal of the `ref` recorded before.
    pub fn reversal(&self) -> Option<&RecordedReversal> {
        self.reversal.as_ref()
    }
}

/// Which handler method a pingback goes to, with its argument: the table
/// of the [module documentation](self) as code. The generated dispatch
/// matches on it; [`route`] builds it.
///
/// ```
/// use pw_runtime::handler::{route, Route};
/// use pw_runtime::{DeliveryKind, Grant, PingbackType, RefHistory};
///
/// let Route::Deliver(Grant::Deliver(kind)) = route(PingbackType::RiskReviewAccepted, None, RefHistory::new()) else {
///     panic!("201 is a delivery");
/// };
/// assert_eq!(kind, DeliveryKind::RiskReviewAccepted);
/// assert!(matches!(route(PingbackType::Unknown(99), None, RefHistory::new()), Route::Unknown(99)));
/// ```
#[derive(Debug)]
pub enum Route {
    /// To `deliver`.
    Deliver(Grant),
    /// To `take_back`.
    TakeBack(Reversal, Option<OriginalPayment>),
    /// To `notice`.
    Notice(Notice),
    /// To `unknown_type`, with the code.
    Unknown(u32),
}

/// The future a generated handler trait returns for the method a
/// [`Route`] names: boxed, so that choosing among the methods' futures
/// asks nothing of the schema's fields.
pub type HandlerFuture<'a> =
    std::pin::Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// The route of a pingback of type `kind` with the chargeback `reason` it
/// carries, given what the ledger recorded of its `ref`.
pub fn route(kind: PingbackType, reason: Option<ChargebackReason>, history: RefHistory) -> Route {
    if let Some(delivery) = DeliveryKind::from_type(kind) {
        return Route::Deliver(match history.reversal {
            Some(reversal) => Grant::AlreadyReversed {
                kind: delivery,
                reversal,
            },
            None => Grant::Deliver(delivery),
        });
    }
    if let Some(reversal) = Reversal::from_type(kind, reason) {
        return Route::TakeBack(reversal, history.original);
    }
    if let Some(notice) = Notice::from_type(kind) {
        return Route::Notice(notice);
    }
    Route::Unknown(kind.code())
}

/// The schema is handled by `H`: calls the handler method for a delivery's
/// pingback type.
///
/// `#[derive(Pingback)]` implements it for every implementation `H` of the
/// handler trait it generates; the listener calls it.
///
/// ```
/// use pw_runtime::{Delivery, HandledBy, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal};
///
/// #[derive(Pingback)]
/// #[pingback(api = "cart")]
/// struct Order {}
///
/// struct Shop;
///
/// impl OrderHandler for Shop {
///     async fn deliver(&self, _: &mut Delivery<Order>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
///     async fn take_back(&self, _: &mut Delivery<Order>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> {
///         Ok(())
///     }
///     async fn notice(&self, _: &mut Delivery<Order>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
/// }
///
/// fn handled<P: HandledBy<H>, H>() {}
/// handled::<Order, Shop>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{H}` does not handle the pingbacks of `{Self}`",
    label = "`{H}` is not a handler of `{Self}`",
    note = "implement for `{H}` the handler trait `#[derive(Pingback)]` generated for `{Self}` (`{Self}Handler`, unless the schema names it with `handler = \"...\"`)"
)]
pub trait HandledBy<H: ?Sized>: Pingback {
    /// Runs the handler method for `delivery`'s type, with what the ledger
    /// recorded of its `ref`.
    fn dispatch<'a>(
        handler: &'a H,
        delivery: &'a mut Delivery<Self>,
        history: RefHistory,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented code goes to the method of the table, and every
    /// other code to `unknown_type`.
    #[test]
    fn every_type_has_its_route() {
        for code in 0..=300 {
            let kind = PingbackType::from_code(code);
            let route = route(kind, None, RefHistory::new());
            let expected = match code {
                0 | 1 | 201 => "deliver",
                2 | 202 => "take_back",
                12 | 13 | 14 | 200 | 203 => "notice",
                _ => "unknown",
            };
            let got = match route {
                Route::Deliver(grant) => {
                    assert_eq!(grant.kind().pingback_type(), kind);
                    "deliver"
                }
                Route::TakeBack(reversal, _) => {
                    assert_eq!(reversal.pingback_type(), kind);
                    "take_back"
                }
                Route::Notice(notice) => {
                    assert_eq!(notice.pingback_type(), kind);
                    "notice"
                }
                Route::Unknown(unknown) => {
                    assert_eq!(unknown, code);
                    "unknown"
                }
            };
            assert_eq!(got, expected, "type {code}");
        }
    }
}
