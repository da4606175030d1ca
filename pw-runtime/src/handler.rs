//! What handler methods return, and how a schema dispatches a delivery to
//! the handler trait `#[derive(Pingback)]` generates for it.

use crate::delivery::{Delivery, OriginalPayment};
use crate::schema::Pingback;
use std::error::Error;
use std::fmt;
use std::future::Future;

/// A handler method failed: the pingback is not acknowledged, so
/// Paymentwall sends it again later.
///
/// Any error converts into it with `?`.
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
pub struct HandlerError(Box<dyn Error + Send + Sync>);

impl HandlerError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        HandlerError(message.into().into())
    }

    /// The underlying error.
    pub fn source_error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl<E: Into<Box<dyn Error + Send + Sync>>> From<E> for HandlerError {
    fn from(error: E) -> Self {
        HandlerError(error.into())
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Calls the handler method for a delivery's pingback type.
///
/// `#[derive(Pingback)]` implements it for every implementation `H` of the
/// handler trait it generates; the listener calls it.
///
/// ```
/// use pw_runtime::{Delivery, Dispatch, HandlerError, Pingback};
///
/// #[derive(Pingback)]
/// #[pingback(api = "cart")]
/// struct Order {}
///
/// struct Shop;
///
/// impl OrderHandler for Shop {
///     async fn payment(&self, _: &mut Delivery<Order>) -> Result<(), HandlerError> { Ok(()) }
///     async fn chargeback(
///         &self,
///         _: &mut Delivery<Order>,
///         _: Option<pw_runtime::ChargebackReason>,
///         _: Option<pw_runtime::OriginalPayment>,
///     ) -> Result<(), HandlerError> {
///         Ok(())
///     }
/// }
///
/// fn dispatches<P: Dispatch<H>, H>() {}
/// dispatches::<Order, Shop>();
/// ```
pub trait Dispatch<H: ?Sized>: Pingback {
    /// Runs the handler method for `delivery`'s type; `original` is the
    /// payment a chargeback takes back, when the ledger knows it.
    fn dispatch<'a>(
        handler: &'a H,
        delivery: &'a mut Delivery<Self>,
        original: Option<OriginalPayment>,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;
}
