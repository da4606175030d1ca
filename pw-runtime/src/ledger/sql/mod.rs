//! The SQL ledgers on one engine: one set of statements per dialect
//! (`statements.rs`) and one flow per kind of database:
//!
//! - SQLite (`sqlite.rs`, `sqlite_file.rs`): an embedded file owned by one
//!   process; claims held in that process, one writer, group commit;
//! - the servers, PostgreSQL and MySQL / MariaDB (`server.rs`, with
//!   `postgres.rs` and `mysql.rs` for what differs: connecting, the
//!   connection type handlers write through): claims in a table the
//!   server does not flush to disk, the handler's writes and the record in
//!   one transaction, one durable commit per pingback (the server groups
//!   concurrent commits itself).

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod reconnect;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod server;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_file;
mod statements;

#[cfg(feature = "mysql")]
pub use mysql::MySqlLedger;
#[cfg(feature = "postgres")]
pub use postgres::PostgresLedger;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteLedger;

use crate::kinds::UniqueRef;
use crate::ledger::clock::from_unix_millis;
use crate::ledger::rows::kind_of;
use crate::ledger::PaymentRecord;

/// A completed payment as a lookup returns it: its kind, its parameters
/// as a query string, when it was delivered (milliseconds since the epoch).
fn record(reference: &str, kind: i64, query: Option<String>, at: Option<i64>) -> PaymentRecord {
    PaymentRecord::new(
        UniqueRef::new(reference, kind_of(kind)),
        query.unwrap_or_default(),
        from_unix_millis(at.unwrap_or(0)),
    )
}
