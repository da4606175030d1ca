#![doc = include_str!("../docs/ledger.md")]

mod claim;
mod clock;
mod error;
mod lease;
mod memory;
mod options;
#[cfg(feature = "postgres")]
mod postgres;
mod protocol;
mod record;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;
mod token;

pub use claim::Claim;
pub use error::LedgerError;
pub use lease::Lease;
pub use memory::MemoryLedger;
pub use options::LedgerOptions;
#[cfg(feature = "postgres")]
pub use postgres::PostgresLedger;
pub use protocol::Ledger;
pub use record::PaymentRecord;
#[cfg(feature = "redis")]
pub use redis::RedisLedger;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteLedger;

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
pub(crate) use clock::from_unix_millis;
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) use clock::unix_millis;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) use options::sql_name;
pub(crate) use record::PAYMENT_KINDS;

/// The `sqlx` crate the SQL ledgers are built on, so that handlers use the
/// same version for their own queries in `Lease::sqlite` / `Lease::postgres`.
///
/// ```
/// use pw_runtime::ledger::sqlx;
///
/// fn worth_retrying(err: &sqlx::Error) -> bool {
///     matches!(err, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
/// }
/// assert!(worth_retrying(&sqlx::Error::PoolTimedOut));
/// ```
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sqlx;

/// The `redis` crate [`RedisLedger`] is built on, for
/// [`RedisLedger::from_client`].
///
/// ```
/// use pw_runtime::ledger::redis_client::Client;
/// let client = Client::open("redis://127.0.0.1:6379").unwrap(); // does not connect yet
/// # let _ = client;
/// ```
#[cfg(feature = "redis")]
pub use ::redis as redis_client;
