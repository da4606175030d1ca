//! [`LedgerOptions`]: the lease duration and the names a ledger uses.

use std::time::Duration;

#[cfg(doc)]
use super::Claim;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use super::LedgerError;

/// How a ledger is set up: the lease duration and the names it uses.
///
/// ```
/// use pw_runtime::ledger::LedgerOptions;
/// use std::time::Duration;
///
/// let options = LedgerOptions::new()
///     .lease(Duration::from_secs(60))
///     .prefix("shop1_")
///     .schema("billing");
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    pub(crate) lease: Duration,
    pub(crate) prefix: String,
    pub(crate) schema: Option<String>,
    pub(crate) accept_redis_data_loss: bool,
    pub(crate) response_timeout: Duration,
}

/// The default of [`LedgerOptions::lease`]: 30 s.
///
/// ```
/// assert_eq!(pw_runtime::ledger::DEFAULT_LEASE.as_secs(), 30);
/// ```
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// The default of [`LedgerOptions::response_timeout`]: 10 s.
/// ```
/// assert_eq!(pw_runtime::ledger::DEFAULT_RESPONSE_TIMEOUT.as_secs(), 10);
/// ```
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            lease: DEFAULT_LEASE,
            prefix: "pw_".to_owned(),
            schema: None,
            accept_redis_data_loss: false,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
        }
    }
}

impl LedgerOptions {
    /// The defaults: a 30-second lease ([`DEFAULT_LEASE`]), prefix `pw_`,
    /// PostgreSQL's current schema, and a Redis ledger only on a server
    /// that cannot lose an acknowledged write.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new();
    /// # let _ = options;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a claim stays [`Claim::InProgress`] without being completed,
    /// released or renewed ([`Ledger::renew`](crate::ledger::Ledger::renew)): how long a pingback stays
    /// blocked after the process handling it died. The listener renews it
    /// every third of the lease while the handler runs, so it need not be
    /// longer than the handler's running time (that is bounded by
    /// `ListenerBuilder::handler_deadline`); it should be a few times the
    /// ledger's own response time. 30 s by default. Rounded to
    /// milliseconds, at least one.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new().lease(std::time::Duration::from_secs(60));
    /// # let _ = options;
    /// ```
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    /// The prefix of the ledger's table (`<prefix>ledger`) in SQL, or of its
    /// keys (`<prefix>ledger:<ref>_<type>`) in Redis; `pw_` by default. In SQL
    /// it must be letters, digits and `_` (at most 48), not starting with a
    /// digit.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new().prefix("shop1_");
    /// # let _ = options;
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// PostgreSQL only: the schema of the ledger's table, created if missing;
    /// by default the connection's current schema (usually `public`). Same
    /// rules as [`LedgerOptions::prefix`].
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new().schema("billing");
    /// # let _ = options;
    /// ```
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Redis only: opens a `RedisLedger` on a server whose
    /// persistence can lose acknowledged writes (`appendonly no`, or
    /// `appendfsync` other than `always`), which it refuses by default.
    ///
    /// What is lost: on such a server, a crash or restart forgets the
    /// records of the last second (`appendfsync everysec`), or everything
    /// since the last snapshot (no AOF, or none at all). Paymentwall then
    /// sends those pingbacks again, they are no longer known as done, and
    /// the handler delivers them **a second time**; a reversal recorded
    /// before its payment is forgotten, so the payment is granted for good.
    /// Use it for tests and development only, or when the handler's own
    /// writes are idempotent on `ref` and nothing else relies on the ledger.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new().accept_redis_data_loss();
    /// # let _ = options;
    /// ```
    pub fn accept_redis_data_loss(mut self) -> Self {
        self.accept_redis_data_loss = true;
        self
    }

    /// PostgreSQL, MySQL / MariaDB and Redis: how long one call of the
    /// ledger (a claim, a completion with its commit, a release, a lookup;
    /// on Redis, each of its commands) waits for the server before it
    /// fails with
    /// [`LedgerError::Unavailable`](crate::ledger::LedgerError::Unavailable),
    /// which the listener answers 500 (Paymentwall retries). 10 s by
    /// default ([`DEFAULT_RESPONSE_TIMEOUT`]); at least a millisecond.
    ///
    /// It bounds what TCP does not: on a route that drops packets without
    /// a word (a failed switch, a database failing over behind a fixed
    /// address), a statement waits for an answer until the kernel gives up
    /// on the connection, about 15 minutes on Linux, while Paymentwall's
    /// request and the pingback's claim wait with it. A call that ran out
    /// of time is undone or harmless: a claim taken by it expires with its
    /// lease; a completion whose commit reached the server is found done
    /// by the retry, one that did not is rolled back, and the pingback is
    /// handled again. The pool replaces the connection it ran on. A
    /// handler's own statements in the ledger's transaction are bounded by
    /// the listener's handler deadline instead. (SQLite is a local file:
    /// its calls wait their turn and are not bounded.)
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new()
    ///     .response_timeout(std::time::Duration::from_secs(5));
    /// assert_eq!(options.response_timeout_duration().as_secs(), 5);
    /// ```
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The response timeout ([`LedgerOptions::response_timeout`]).
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new();
    /// assert_eq!(options.response_timeout_duration(), pw_runtime::ledger::DEFAULT_RESPONSE_TIMEOUT);
    /// ```
    pub fn response_timeout_duration(&self) -> Duration {
        self.response_timeout
    }

    /// The lease duration.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new();
    /// assert_eq!(options.lease_duration(), pw_runtime::ledger::DEFAULT_LEASE);
    /// ```
    pub fn lease_duration(&self) -> Duration {
        self.lease
    }

    #[cfg(any(feature = "postgres", feature = "mysql", feature = "redis"))]
    pub(crate) fn lease_millis(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX / 4)
    }
}

/// Checks a table prefix or schema name for SQL and returns it.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) fn sql_name(what: &str, name: &str, allow_empty: bool) -> Result<String, LedgerError> {
    let valid = (allow_empty || !name.is_empty())
        && name.len() <= 48
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(LedgerError::Config(format!(
            "the {what} {name:?} must be at most 48 letters, digits and `_`, not starting with a digit"
        )))
    }
}
