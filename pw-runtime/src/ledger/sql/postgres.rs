//! The PostgreSQL ledger: shared by several listener instances, on the
//! server SQL engine (`server.rs`).

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions, Postgres};
use sqlx::{AssertSqlSafe, PgConnection};

use super::server::{lease_transaction, server_database, server_ledger_face, ServerLedger};
use super::statements::{Dialect, Statements};
use crate::ledger::{Lease, LedgerError, LedgerOptions};

/// PostgreSQL, for the server engine.
pub(crate) struct PgServer;
server_database!(PgServer, Postgres, "postgres");

fn unavailable(err: sqlx::Error) -> LedgerError {
    LedgerError::unavailable("postgres", err)
}

/// A ledger in a PostgreSQL table, shared by any number of listener
/// instances: claims are decided by the database (one atomic `INSERT ... ON
/// CONFLICT` into the `UNLOGGED` table `<prefix>claims`, which costs no
/// disk flush), and lease expiry by the server's clock. The handler's
/// writes, the removal of the claim and the record in `<prefix>ledger`
/// commit in one transaction: one durable commit per pingback, which the
/// server groups with concurrent ones. Both tables (in
/// [`LedgerOptions::schema`] if given) are created if missing.
///
/// The handler can write its own tables inside the ledger's transaction
/// ([`Lease::postgres`]), so its grant and the ledger record commit together.
///
/// ```no_run
/// use pw_runtime::ledger::{Claim, Ledger, LedgerOptions, PostgresLedger};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let ledger = PostgresLedger::connect(
///     "postgres://shop@db.internal/shop",
///     LedgerOptions::new().schema("billing"),
/// ).await?;
/// match ledger.claim(&"b7_0".parse()?).await? {
///     Claim::Fresh(lease) => ledger.release(lease).await?, // or complete after the handler
///     Claim::AlreadyDone => {}
///     Claim::InProgress => {}
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresLedger {
    engine: ServerLedger<PgServer>,
}

impl PostgresLedger {
    /// Connects a pool to `url` (`postgres://user@host/database`) and creates
    /// the ledger's schema and table if missing.
    ///
    /// The pool checks a connection when it takes it back, not again when
    /// it hands it out (one round trip less per statement). A statement
    /// that finds its connection dead (it died while idle: the server
    /// restarted, or a proxy cut it) runs again on another connection,
    /// wherever running it more than once is safe (the claim, the history
    /// lookups, the start of the lease's transaction, a completion with no
    /// handler transaction): the first pingback after an outage is
    /// delivered, not refused. A pool given to
    /// [`PostgresLedger::from_pool`] keeps its own settings.
    ///
    /// With the `tls` feature the URL's `sslmode` applies (`require`,
    /// `verify-ca`, `verify-full`; `sslrootcert=` names the server's CA);
    /// without it, a URL that requires TLS fails to connect.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`] for an invalid prefix or schema,
    /// [`LedgerError::Unavailable`] when the server cannot be reached.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{LedgerOptions, PostgresLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let ledger = PostgresLedger::connect("postgres://postgres@127.0.0.1/test", LedgerOptions::new()).await?;
    /// # let _ = ledger; Ok(()) }
    /// ```
    pub async fn connect(url: &str, options: LedgerOptions) -> Result<Self, LedgerError> {
        // The pool tests every connection it takes back (a round trip as
        // it returns to the pool); testing it again as it is handed out
        // would add a round trip to every statement outside a transaction.
        // A connection that died while idle fails its statement instead,
        // and the engine runs that statement again (`reconnect.rs`).
        let pool = PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect(url)
            .await
            .map_err(unavailable)?;
        Self::from_pool(pool, options).await
    }

    /// A ledger on an existing pool, e.g. the merchant's own; creates the
    /// ledger's schema and table if missing (safe when several instances
    /// start at once).
    ///
    /// # Errors
    ///
    /// As [`PostgresLedger::connect`].
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{sqlx::PgPool, LedgerOptions, PostgresLedger};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = PgPool::connect("postgres://postgres@127.0.0.1/test").await?;
    /// let ledger = PostgresLedger::from_pool(pool, LedgerOptions::new().prefix("shop1_")).await?;
    /// # let _ = ledger; Ok(()) }
    /// ```
    pub async fn from_pool(pool: PgPool, options: LedgerOptions) -> Result<Self, LedgerError> {
        let (statements, schema) = Statements::for_options(Dialect::Postgres, &options)?;
        // CREATE ... IF NOT EXISTS is not safe against itself running
        // concurrently: instances starting together take turns.
        let mut tx = pool.begin().await.map_err(unavailable)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(&statements.ledger)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if let Some(schema) = &schema {
            sqlx::query(AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
            )))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        for create in [
            &statements.create_ledger,
            &statements.create_claims,
            &statements.create_quarantine,
        ] {
            sqlx::query(AssertSqlSafe(create.as_str()))
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(PostgresLedger {
            engine: ServerLedger::new(pool, statements, &options),
        })
    }

    /// The pool the ledger uses, for the merchant's own queries outside a
    /// lease.
    ///
    /// ```no_run
    /// # use pw_runtime::ledger::{LedgerOptions, PostgresLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let ledger = PostgresLedger::connect("postgres://postgres@127.0.0.1/test", LedgerOptions::new()).await?;
    /// let pool = ledger.pool().clone();
    /// # let _ = pool; Ok(()) }
    /// ```
    pub fn pool(&self) -> &PgPool {
        &self.engine.pool
    }

    /// The name of the ledger's table, quoted for SQL, with its schema if one
    /// was given (`"pw_ledger"` by default).
    ///
    /// ```no_run
    /// # use pw_runtime::ledger::{LedgerOptions, PostgresLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let options = LedgerOptions::new().schema("billing");
    /// let ledger = PostgresLedger::connect("postgres://postgres@127.0.0.1/test", options).await?;
    /// assert_eq!(ledger.table(), "\"billing\".\"pw_ledger\"");
    /// # Ok(()) }
    /// ```
    pub fn table(&self) -> &str {
        &self.engine.statements.ledger
    }
}

impl Lease {
    /// The ledger's PostgreSQL transaction for this lease, begun on the first
    /// call: write the merchant's own data here and it commits with
    /// [`Ledger::complete`](crate::ledger::Ledger::complete), or rolls back with [`Ledger::release`](crate::ledger::Ledger::release).
    ///
    /// # Errors
    ///
    /// [`LedgerError::WrongBackend`] for a lease of another ledger,
    /// [`LedgerError::Unavailable`] when the transaction cannot begin.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{sqlx, Ledger, LedgerOptions, PostgresLedger};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let ledger = PostgresLedger::connect("postgres://postgres@127.0.0.1/shop", LedgerOptions::new()).await?;
    /// if let Some(mut lease) = ledger.claim(&"b7_0".parse()?).await?.into_lease() {
    ///     sqlx::query("UPDATE wallets SET gems = gems + 100 WHERE uid = $1")
    ///         .bind("u1")
    ///         .execute(lease.postgres().await?)
    ///         .await?;
    ///     let params = pw_runtime::Params::from_pairs([("ref", "b7"), ("type", "0")])?;
    ///     ledger.complete(lease, &params).await?; // the gems and the record, together
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn postgres(&mut self) -> Result<&mut PgConnection, LedgerError> {
        lease_transaction::<PgServer>(self).await
    }
}

server_ledger_face!(PostgresLedger);
