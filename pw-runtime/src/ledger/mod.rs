#![doc = include_str!("../docs/ledger.md")]

mod claim;
#[cfg(any(
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "redis"
))]
mod clock;
mod error;
mod lease;
mod memory;
mod options;
mod protocol;
mod quarantine;
mod record;
#[cfg(feature = "redis")]
mod redis;
#[cfg(any(
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "redis"
))]
mod rows;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod sql;
mod token;

pub use claim::Claim;
pub use error::LedgerError;
pub use lease::Lease;
pub use memory::MemoryLedger;
pub use options::{LedgerOptions, DEFAULT_LEASE, DEFAULT_RESPONSE_TIMEOUT};
pub use protocol::Ledger;
pub use quarantine::Quarantined;
pub use record::{PaymentRecord, MONEY_KINDS};
#[cfg(feature = "redis")]
pub use redis::RedisLedger;
#[cfg(feature = "mysql")]
pub use sql::MySqlLedger;
#[cfg(feature = "postgres")]
pub use sql::PostgresLedger;
#[cfg(feature = "sqlite")]
pub use sql::SqliteLedger;

/// The `sqlx` crate the server SQL ledgers are built on, so that handlers
/// use the same version for their own queries in `Lease::postgres` /
/// `Lease::mysql`.
///
/// ```
/// use pw_runtime::ledger::sqlx;
///
/// fn worth_retrying(err: &sqlx::Error) -> bool {
///     matches!(err, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
/// }
/// assert!(worth_retrying(&sqlx::Error::PoolTimedOut));
/// ```
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub use sqlx;

/// The `rusqlite` crate the SQLite ledger is built on, so that handlers use
/// the same version for their own statements in `Lease::sqlite`.
///
/// ```
/// use pw_runtime::ledger::rusqlite::Connection;
/// let db = Connection::open_in_memory().unwrap();
/// assert_eq!(db.query_row("SELECT 1 + 1", [], |row| row.get::<_, i64>(0)).unwrap(), 2);
/// ```
#[cfg(feature = "sqlite")]
pub use rusqlite;

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
