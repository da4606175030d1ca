//! [`PaymentRecord`]: a completed payment as the ledger keeps it.

use std::fmt;
use std::time::SystemTime;

#[cfg(doc)]
use super::Ledger;
use crate::kinds::{PingbackType, UniqueRef};
use crate::params::{Limits, Params, ParamsError};

/// A completed pingback as the ledger recorded it: a delivery (type 0, 1 or
/// 201) from [`Ledger::original_payment`], or a reversal (type 2 or 202)
/// from [`Ledger::reversal`].
///
/// ```
/// use pw_runtime::ledger::PaymentRecord;
/// use pw_runtime::{PingbackType, UniqueRef};
/// use std::time::SystemTime;
///
/// let record = PaymentRecord::new(
///     UniqueRef::new("b7", PingbackType::Payment),
///     "ref=b7&type=0&uid=u+1",
///     SystemTime::UNIX_EPOCH,
/// );
/// assert_eq!(record.params().unwrap().get("uid"), Some("u 1"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    id: UniqueRef,
    query: String,
    delivered_at: SystemTime,
}

impl PaymentRecord {
    /// A record of `id` with its parameters as a query string
    /// ([`Params::to_query_string`]), completed at `delivered_at`.
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// let record = PaymentRecord::new(UniqueRef::new("b7", PingbackType::Goodwill), "ref=b7", std::time::SystemTime::now());
    /// assert_eq!(record.id().kind, PingbackType::Goodwill);
    /// ```
    pub fn new(id: UniqueRef, query: impl Into<String>, delivered_at: SystemTime) -> Self {
        PaymentRecord {
            id,
            query: query.into(),
            delivered_at,
        }
    }

    /// The unique reference of the delivery: `ref` with type 0, 1 or 201.
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// let record = PaymentRecord::new("b7_201".parse().unwrap(), "ref=b7", std::time::SystemTime::now());
    /// assert_eq!(record.id().kind, PingbackType::RiskReviewAccepted);
    /// ```
    pub fn id(&self) -> &UniqueRef {
        &self.id
    }

    /// The signed parameters as received, as a query string
    /// ([`Params::to_query_string`]).
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// let record = PaymentRecord::new("b7_0".parse().unwrap(), "ref=b7&type=0", std::time::SystemTime::now());
    /// assert_eq!(record.query(), "ref=b7&type=0");
    /// ```
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The signed parameters, parsed again (without size limits: they were
    /// checked when the pingback arrived).
    ///
    /// # Errors
    ///
    /// A [`ParamsError`] only if the stored text was altered.
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// let record = PaymentRecord::new("b7_0".parse().unwrap(), "goodsid%5B0%5D=gems&ref=b7", std::time::SystemTime::now());
    /// let params = record.params().unwrap();
    /// assert_eq!(params.get_array("goodsid").unwrap().count(), 1);
    /// ```
    pub fn params(&self) -> Result<Params, ParamsError> {
        let unlimited = Limits {
            max_parameters: usize::MAX,
            max_bytes: usize::MAX,
        };
        Params::parse(self.query.as_bytes(), &unlimited)
    }

    /// When the delivery was completed (millisecond precision).
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// use std::time::SystemTime;
    /// let record = PaymentRecord::new("b7_0".parse().unwrap(), "ref=b7", SystemTime::UNIX_EPOCH);
    /// assert_eq!(record.delivered_at(), SystemTime::UNIX_EPOCH);
    /// ```
    pub fn delivered_at(&self) -> SystemTime {
        self.delivered_at
    }
}

/// Shows the reference and the time, not the parameters.
impl fmt::Debug for PaymentRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentRecord")
            .field("id", &format_args!("{}", self.id))
            .field("delivered_at", &self.delivered_at)
            .field("query", &format_args!("<{} bytes>", self.query.len()))
            .finish()
    }
}

/// The deliveries [`Ledger::original_payment`] returns: 0, 1, 201.
pub(crate) const PAYMENT_KINDS: [PingbackType; 3] = [
    PingbackType::Payment,
    PingbackType::Goodwill,
    PingbackType::RiskReviewAccepted,
];

/// The reversals [`Ledger::reversal`] returns: 2, 202.
pub(crate) const REVERSAL_KINDS: [PingbackType; 2] =
    [PingbackType::Chargeback, PingbackType::RiskReviewDeclined];

/// The pingback types that move goods or money — deliveries (0, 1, 201)
/// and reversals (2, 202) — whose pingbacks of one `ref` a ledger handles
/// one at a time ([`Ledger::claim`]).
///
/// ```
/// use pw_runtime::ledger::MONEY_KINDS;
/// use pw_runtime::PingbackType;
/// assert!(MONEY_KINDS.contains(&PingbackType::Chargeback));
/// assert!(!MONEY_KINDS.contains(&PingbackType::RiskReviewPending));
/// ```
pub const MONEY_KINDS: [PingbackType; 5] = [
    PingbackType::Payment,
    PingbackType::Goodwill,
    PingbackType::Chargeback,
    PingbackType::RiskReviewAccepted,
    PingbackType::RiskReviewDeclined,
];

/// Whether pingbacks of `kind` are among [`MONEY_KINDS`].
pub(crate) fn moves_money(kind: PingbackType) -> bool {
    MONEY_KINDS.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::PaymentRecord;
    use std::time::SystemTime;

    #[test]
    fn debug_hides_the_parameters() {
        let record = PaymentRecord::new(
            "b7_0".parse().unwrap(),
            "uid=secret",
            SystemTime::UNIX_EPOCH,
        );
        let shown = format!("{record:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("b7_0"), "{shown}");
    }
}
