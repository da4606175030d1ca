//! [`WidgetError`]: why a widget call cannot be signed.

use super::AmountError;

/// A widget call cannot be signed. Messages name the parameter and say
/// what it must be; they never show the secret key.
///
/// ```
/// use pw_runtime::{WidgetCall, WidgetError};
/// let error = WidgetCall::digital_goods("key", "secret").widget("p1_1").url().unwrap_err();
/// assert_eq!(error, WidgetError::Missing("uid"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WidgetError {
    /// A required parameter (`uid`, `widget`; `external_ids` for a cart)
    /// was not set.
    #[error("the widget call needs `{0}`")]
    Missing(&'static str),
    /// A parameter set by name is one the call sets itself (`key`, `sign`,
    /// `sign_version`).
    #[error("`{0}` is set by the widget call itself: it cannot be given as a parameter")]
    Reserved(String),
    /// A parameter name Paymentwall cannot receive as written.
    #[error("`{name}` cannot be a widget parameter name: {reason}")]
    InvalidName {
        /// The name (cut to 64 characters).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A value that is not what its parameter takes.
    #[error("`{name}` must be {expected}")]
    InvalidValue {
        /// The parameter.
        name: String,
        /// What it takes.
        expected: &'static str,
    },
    /// An amount Paymentwall cannot charge.
    #[error("`{name}`: {error}")]
    Amount {
        /// The parameter (`amount`, `prices[0]`, ...).
        name: String,
        /// Why.
        error: AmountError,
    },
    /// An amount without its currency, or a currency without its amount.
    #[error("`{given}` needs `{missing}`: an amount and its currency go together")]
    Unpaired {
        /// The parameter given.
        given: String,
        /// The one missing.
        missing: String,
    },
    /// The same name used for a single value and for an array.
    #[error("`{0}` is given both as a single value and as an array")]
    ScalarAndArray(String),
    /// A cart in which some items carry their price and others do not.
    #[error(
        "some items of the cart carry a price and others do not: give every item its price, or \
         none (the prices stored at Paymentwall apply)"
    )]
    CartPrices,
    /// A cart parameter (`prices[k]`, `names[k]`, ...) for an item that
    /// has no `external_ids[k]`.
    #[error("`{0}` belongs to no product of the cart: `external_ids` has no such key")]
    CartElement(String),
    /// A trial on a product that is not a recurring subscription.
    #[error("a trial needs a recurring subscription: make the product with `Product::recurring`")]
    TrialNotRecurring,
    /// An `OWN` parameter named like a parameter of the widget call.
    #[error(
        "the OWN parameter `{0}` has the name of a parameter of the widget call itself: rename it \
         (in the schema and in Paymentwall's settings)"
    )]
    OwnCollision(String),
    /// An `OWN` parameter whose name breaks the parameter-name rule
    /// ([`catalog::PARAMETER_NAME_RULE`](crate::catalog::PARAMETER_NAME_RULE)),
    /// which the derive enforces at compile time.
    #[error("the OWN parameter {0}")]
    OwnName(String),
    /// Names whose order PHP does not define (its comparisons of them
    /// contradict each other), so that Paymentwall could sign them in
    /// another order: two of them.
    #[error(
        "the parameters {0} have no signing order PHP defines (PHP compares numeric names as \
         numbers and others as bytes, which contradicts itself among this call's names): \
         rename one of them"
    )]
    AmbiguousOrder(String),
}
