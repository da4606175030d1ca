//! [`Quarantined`]: a verified pingback the schema could not decode, as the
//! ledger keeps it until a replay delivers it.

use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use crate::kinds::UniqueRef;
use crate::params::{Limits, Params, ParamsError};

/// A pingback whose signature and source were verified but whose values do
/// not fit the schema (a currency code the schema rejects, a decimal written
/// differently, ...). The listener keeps it in the ledger
/// ([`Ledger::quarantine`](super::Ledger::quarantine)), answers non-OK so that
/// Paymentwall keeps retrying, and logs it at error level; after a schema
/// fix, `Listener::replay` (or `pw-pingback quarantine replay`) delivers it.
///
/// It holds the parameters exactly as received and verified (the query
/// string or form body, signature included), the verified client address,
/// the decode error, when it was first and last seen and how many times it
/// failed to decode. Its `Debug` output and [`Quarantined::masked_query`]
/// show the parameters with the signature masked; it never holds the
/// secret key.
///
/// ```
/// use pw_runtime::ledger::Quarantined;
/// use std::time::SystemTime;
///
/// let entry = Quarantined::new(
///     "b7_0".parse().unwrap(),
///     "uid=u1&type=0&ref=b7&paid_currency=XYZ&sig=0123abcd",
///     "174.36.92.186".parse().unwrap(),
///     "`paid_currency`: expected a currency code, got \"XYZ\"",
///     SystemTime::UNIX_EPOCH,
/// );
/// assert_eq!(entry.attempts(), 1);
/// assert_eq!(entry.masked_query(), "uid=u1&type=0&ref=b7&paid_currency=XYZ&sig=***");
/// assert_eq!(entry.params().unwrap().get("paid_currency"), Some("XYZ"));
/// assert!(!format!("{entry:?}").contains("0123abcd"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Quarantined {
    id: UniqueRef,
    query: String,
    client: IpAddr,
    error: String,
    first_seen: SystemTime,
    last_seen: SystemTime,
    attempts: u64,
}

impl Quarantined {
    /// A pingback seen once, at `seen`: `query` is its query string or form
    /// body exactly as received, `client` the address the source check
    /// verified, `error` the decode error's text.
    ///
    /// ```
    /// use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_2".parse().unwrap(), "ref=b7&type=2", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::now());
    /// assert_eq!(entry.first_seen(), entry.last_seen());
    /// ```
    pub fn new(
        id: UniqueRef,
        query: impl Into<String>,
        client: IpAddr,
        error: impl Into<String>,
        seen: SystemTime,
    ) -> Self {
        Quarantined {
            id,
            query: query.into(),
            client,
            error: error.into(),
            first_seen: seen,
            last_seen: seen,
            attempts: 1,
        }
    }

    /// The same entry, first seen at `first_seen` and tried `attempts`
    /// times: what a ledger reads back from its store.
    ///
    /// ```
    /// use pw_runtime::ledger::Quarantined;
    /// use std::time::{Duration, SystemTime};
    /// let later = SystemTime::UNIX_EPOCH + Duration::from_secs(60);
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7", [127, 0, 0, 1].into(), "bad", later)
    ///     .seen_before(SystemTime::UNIX_EPOCH, 3);
    /// assert_eq!((entry.first_seen(), entry.last_seen(), entry.attempts()), (SystemTime::UNIX_EPOCH, later, 3));
    /// ```
    #[must_use]
    pub fn seen_before(mut self, first_seen: SystemTime, attempts: u64) -> Self {
        self.first_seen = first_seen;
        self.attempts = attempts.max(1);
        self
    }

    /// The pingback's unique reference, `ref_type`.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::now());
    /// assert_eq!(entry.id().to_string(), "b7_0");
    /// ```
    pub fn id(&self) -> &UniqueRef {
        &self.id
    }

    /// The parameters exactly as received (the query string of a GET, the
    /// body of a POST), signature included: what a replay verifies again.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7&sig=ab", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::now());
    /// assert_eq!(entry.query(), "ref=b7&sig=ab");
    /// ```
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The parameters with the signature's value replaced by `***`, for a
    /// listing.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "sig=ab&ref=b7", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::now());
    /// assert_eq!(entry.masked_query(), "sig=***&ref=b7");
    /// ```
    pub fn masked_query(&self) -> String {
        self.query
            .split('&')
            .map(|pair| {
                let name = pair.split_once('=').map_or(pair, |(name, _)| name);
                let decoded: String = form_urlencoded::parse(name.as_bytes())
                    .map(|(name, _)| name.into_owned())
                    .collect();
                if decoded.eq_ignore_ascii_case("sig") {
                    format!("{name}=***")
                } else {
                    pair.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The parameters, parsed (without size limits: they were checked when
    /// the pingback arrived).
    ///
    /// # Errors
    ///
    /// A [`ParamsError`] only if the stored text was altered.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7&uid=u+1", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::now());
    /// assert_eq!(entry.params().unwrap().get("uid"), Some("u 1"));
    /// ```
    pub fn params(&self) -> Result<Params, ParamsError> {
        let unlimited = Limits {
            max_parameters: usize::MAX,
            max_bytes: usize::MAX,
        };
        Params::parse(self.query.as_bytes(), &unlimited)
    }

    /// The address the source check verified when the pingback arrived; a
    /// replay presents it to the source check again.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::now());
    /// assert!(entry.client().is_loopback());
    /// ```
    pub fn client(&self) -> IpAddr {
        self.client
    }

    /// Why the schema could not decode it, the last time it was tried.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7", [127, 0, 0, 1].into(), "bad value", std::time::SystemTime::now());
    /// assert_eq!(entry.error(), "bad value");
    /// ```
    pub fn error(&self) -> &str {
        &self.error
    }

    /// When it first failed to decode.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::UNIX_EPOCH);
    /// assert_eq!(entry.first_seen(), std::time::SystemTime::UNIX_EPOCH);
    /// ```
    pub fn first_seen(&self) -> SystemTime {
        self.first_seen
    }

    /// When it last failed to decode.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::UNIX_EPOCH);
    /// assert_eq!(entry.last_seen(), std::time::SystemTime::UNIX_EPOCH);
    /// ```
    pub fn last_seen(&self) -> SystemTime {
        self.last_seen
    }

    /// How many times it failed to decode: Paymentwall's deliveries and
    /// replays.
    ///
    /// ```
    /// # use pw_runtime::ledger::Quarantined;
    /// let entry = Quarantined::new("b7_0".parse().unwrap(), "ref=b7", [127, 0, 0, 1].into(), "bad", std::time::SystemTime::now());
    /// assert_eq!(entry.attempts(), 1);
    /// ```
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// This entry seen once more, as `again` (a later failure of the same
    /// pingback): first seen and attempts carried over, the rest from `again`.
    pub(crate) fn merged(&self, again: &Quarantined) -> Quarantined {
        Quarantined {
            first_seen: self.first_seen,
            attempts: self.attempts.saturating_add(1),
            ..again.clone()
        }
    }
}

/// Shows the signature masked.
impl fmt::Debug for Quarantined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Quarantined")
            .field("id", &format_args!("{}", self.id))
            .field("query", &self.masked_query())
            .field("client", &self.client)
            .field("error", &self.error)
            .field("first_seen", &self.first_seen)
            .field("last_seen", &self.last_seen)
            .field("attempts", &self.attempts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escaped_signature_name_is_masked_too() {
        let entry = Quarantined::new(
            "b7_0".parse().unwrap(),
            "ref=b7&%73ig=secretish&sign_version=2",
            [127, 0, 0, 1].into(),
            "bad",
            SystemTime::UNIX_EPOCH,
        );
        assert_eq!(entry.masked_query(), "ref=b7&%73ig=***&sign_version=2");
    }
}
