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
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            lease: Duration::from_secs(300),
            prefix: "pw_".to_owned(),
            schema: None,
        }
    }
}

impl LedgerOptions {
    /// The defaults: a 5-minute lease, prefix `pw_`, PostgreSQL's current schema.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new();
    /// # let _ = options;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a claim stays [`Claim::InProgress`] without being completed
    /// or released. Longer than the slowest handler, shorter than
    /// Paymentwall's 30 minutes between retries. Rounded to milliseconds, at
    /// least one.
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
