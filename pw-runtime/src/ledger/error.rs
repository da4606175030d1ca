//! [`LedgerError`]: why a ledger operation failed.

#[cfg(any(
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "redis"
))]
use std::fmt;

use crate::kinds::UniqueRef;

/// Why a ledger operation failed. The listener answers HTTP 500
/// ([`LedgerError::status`]), so Paymentwall sends the pingback again later.
///
/// ```
/// use pw_runtime::ledger::LedgerError;
/// let err = LedgerError::StaleLease { id: "b7_0".parse().unwrap() };
/// assert_eq!(err.status(), 500);
/// assert!(err.to_string().contains("b7_0"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The backend failed or cannot be reached.
    #[error("the {backend} ledger is unavailable: {message}")]
    Unavailable {
        /// `memory`, `sqlite`, `postgres` or `redis`.
        backend: &'static str,
        /// The backend's error message.
        message: String,
    },
    /// The lease expired (and may have been claimed again): nothing was
    /// recorded, and its transaction was rolled back.
    #[error("the lease on {id} expired before it was completed or released; nothing was recorded")]
    StaleLease {
        /// The pingback of the lease.
        id: UniqueRef,
    },
    /// A lease or a transaction of another kind of ledger was asked for.
    #[error("expected a lease of the {expected} ledger, got one of the {found} ledger")]
    WrongBackend {
        /// The backend of the ledger or accessor called.
        expected: &'static str,
        /// The backend the lease came from.
        found: &'static str,
    },
    /// The options cannot be used, e.g. a table prefix that is not an SQL
    /// identifier.
    #[error("invalid ledger configuration: {0}")]
    Config(String),
}

impl LedgerError {
    /// The HTTP status the listener answers with: always 500, so that
    /// Paymentwall retries.
    ///
    /// ```
    /// use pw_runtime::ledger::LedgerError;
    /// assert_eq!(LedgerError::Config("x".into()).status(), 500);
    /// ```
    pub fn status(&self) -> u16 {
        500
    }

    #[cfg(any(
        feature = "sqlite",
        feature = "postgres",
        feature = "mysql",
        feature = "redis"
    ))]
    pub(crate) fn unavailable(backend: &'static str, err: impl fmt::Display) -> Self {
        LedgerError::Unavailable {
            backend,
            message: err.to_string(),
        }
    }
}
