//! The MySQL / MariaDB ledger: shared by several listener instances, on
//! the server SQL engine (`server.rs`).

use std::time::Duration;

use sqlx::mysql::{MySql, MySqlPool, MySqlPoolOptions};
use sqlx::{AssertSqlSafe, MySqlConnection};

use super::server::{lease_transaction, server_database, server_ledger_face, ServerLedger};
use super::statements::{Dialect, Statements};
use crate::ledger::{Lease, LedgerError, LedgerOptions};

/// MySQL / MariaDB, for the server engine.
pub(crate) struct MySqlServer;
server_database!(MySqlServer, MySql, "mysql");

fn unavailable(err: sqlx::Error) -> LedgerError {
    LedgerError::unavailable("mysql", err)
}

/// Refuses ledger tables whose `reference` column is text, as tables made
/// by earlier versions of pw are (`VARCHAR(255)`): MySQL and MariaDB
/// compare text with trailing spaces ignored, so the payment of `ref`
/// `b1 ` would be found done as that of `b1` and acknowledged without
/// reaching the handler. The error gives the statements that convert them
/// (`VARBINARY(1024)`, as pw creates them now; no two keys of a text
/// column can collide in bytes, so the conversion keeps every row).
async fn refuse_text_references(
    pool: &MySqlPool,
    schema: Option<&str>,
    prefix: &str,
) -> Result<(), LedgerError> {
    let tables = ["ledger", "claims", "quarantine"].map(|table| format!("{prefix}{table}"));
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(TABLE_NAME AS CHAR), CAST(DATA_TYPE AS CHAR) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME IN (?, ?, ?) \
         AND COLUMN_NAME = 'reference' ORDER BY TABLE_NAME",
    )
    .bind(schema)
    .bind(&tables[0])
    .bind(&tables[1])
    .bind(&tables[2])
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    let qualified = |table: &str| match schema {
        Some(schema) => format!("`{schema}`.`{table}`"),
        None => format!("`{table}`"),
    };
    let fixes: Vec<String> = columns
        .iter()
        .filter(|(_, kind)| !kind.eq_ignore_ascii_case("varbinary"))
        .map(|(table, _)| {
            format!(
                "ALTER TABLE {} MODIFY reference VARBINARY(1024) NOT NULL;",
                qualified(table)
            )
        })
        .collect();
    if fixes.is_empty() {
        return Ok(());
    }
    Err(LedgerError::Config(format!(
        "the ledger's tables keep `reference` as text, which MySQL / MariaDB compare with \
         trailing spaces ignored (the payment of ref `b1 ` would count as that of `b1`, already \
         done); convert them, with no listener running: {}",
        fixes.join(" ")
    )))
}

/// A ledger in a MySQL or MariaDB table (InnoDB), shared by any number of
/// listener instances: claims are decided by the database (one atomic
/// `INSERT ... ON DUPLICATE KEY UPDATE` into `<prefix>claims`), lease
/// expiry by the server's clock. The handler's writes, the removal of the
/// claim and the record in `<prefix>ledger` commit in one transaction, so
/// a grant and its record commit together or not at all. Both tables (in
/// the database [`LedgerOptions::schema`] if given, else the connection's)
/// are created if missing.
///
/// The handler writes its own tables inside the ledger's transaction
/// ([`Lease::mysql`]).
///
/// ```no_run
/// use pw_runtime::ledger::{Claim, Ledger, LedgerOptions, MySqlLedger};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let ledger = MySqlLedger::connect("mysql://shop@db.internal/shop", LedgerOptions::new()).await?;
/// match ledger.claim(&"b7_0".parse()?).await? {
///     Claim::Fresh(lease) => ledger.release(lease).await?, // or complete after the handler
///     Claim::AlreadyDone => {}
///     Claim::InProgress => {}
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MySqlLedger {
    engine: ServerLedger<MySqlServer>,
}

impl MySqlLedger {
    /// Connects a pool to `url` (`mysql://user@host/database`, MariaDB alike) and creates
    /// the ledger's database and tables if missing.
    ///
    /// With the `tls` feature the URL's `ssl-mode` applies (`REQUIRED`,
    /// `VERIFY_CA`, `VERIFY_IDENTITY`; `ssl-ca=` names the server's CA);
    /// without it, a URL that requires TLS fails to connect.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`] for an invalid prefix or schema,
    /// [`LedgerError::Unavailable`] when the server cannot be reached.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{LedgerOptions, MySqlLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let ledger = MySqlLedger::connect("mysql://root@127.0.0.1/test", LedgerOptions::new()).await?;
    /// # let _ = ledger; Ok(()) }
    /// ```
    pub async fn connect(url: &str, options: LedgerOptions) -> Result<Self, LedgerError> {
        let pool = MySqlPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(unavailable)?;
        Self::from_pool(pool, options).await
    }

    /// A ledger on an existing pool, e.g. the merchant's own; creates the
    /// ledger's database and tables if missing (safe when several instances
    /// start at once).
    ///
    /// # Errors
    ///
    /// As [`MySqlLedger::connect`].
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{sqlx::MySqlPool, LedgerOptions, MySqlLedger};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = MySqlPool::connect("mysql://root@127.0.0.1/test").await?;
    /// let ledger = MySqlLedger::from_pool(pool, LedgerOptions::new().prefix("shop1_")).await?;
    /// # let _ = ledger; Ok(()) }
    /// ```
    pub async fn from_pool(pool: MySqlPool, options: LedgerOptions) -> Result<Self, LedgerError> {
        let (statements, schema) = Statements::for_options(Dialect::Mysql, &options)?;
        if let Some(schema) = &schema {
            sqlx::query(AssertSqlSafe(format!(
                "CREATE DATABASE IF NOT EXISTS `{schema}`"
            )))
            .execute(&pool)
            .await
            .map_err(unavailable)?;
        }
        for create in [
            &statements.create_ledger,
            &statements.create_claims,
            &statements.create_quarantine,
        ] {
            sqlx::query(AssertSqlSafe(create.as_str()))
                .execute(&pool)
                .await
                .map_err(unavailable)?;
        }
        refuse_text_references(&pool, schema.as_deref(), &options.prefix).await?;
        Ok(MySqlLedger {
            engine: ServerLedger::new(pool, statements, &options),
        })
    }

    /// The pool the ledger uses, for the merchant's own queries outside a
    /// lease.
    ///
    /// ```no_run
    /// # use pw_runtime::ledger::{LedgerOptions, MySqlLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let ledger = MySqlLedger::connect("mysql://root@127.0.0.1/test", LedgerOptions::new()).await?;
    /// let pool = ledger.pool().clone();
    /// # let _ = pool; Ok(()) }
    /// ```
    pub fn pool(&self) -> &MySqlPool {
        &self.engine.pool
    }

    /// The name of the ledger's table, quoted for SQL, with its schema if one
    /// was given (`` `pw_ledger` `` by default).
    ///
    /// ```no_run
    /// # use pw_runtime::ledger::{LedgerOptions, MySqlLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let options = LedgerOptions::new().schema("billing");
    /// let ledger = MySqlLedger::connect("mysql://root@127.0.0.1/test", options).await?;
    /// assert_eq!(ledger.table(), "`billing`.`pw_ledger`");
    /// # Ok(()) }
    /// ```
    pub fn table(&self) -> &str {
        &self.engine.statements.ledger
    }
}

impl Lease {
    /// The ledger's MySQL / MariaDB transaction for this lease, begun on the first
    /// call: write the merchant's own data here and it commits with
    /// [`Ledger::complete`](crate::ledger::Ledger::complete), or rolls back with [`Ledger::release`](crate::ledger::Ledger::release).
    ///
    /// # Errors
    ///
    /// [`LedgerError::WrongBackend`] for a lease of another ledger,
    /// [`LedgerError::Unavailable`] when the transaction cannot begin.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{sqlx, Ledger, LedgerOptions, MySqlLedger};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let ledger = MySqlLedger::connect("mysql://root@127.0.0.1/shop", LedgerOptions::new()).await?;
    /// if let Some(mut lease) = ledger.claim(&"b7_0".parse()?).await?.into_lease() {
    ///     sqlx::query("UPDATE wallets SET gems = gems + 100 WHERE uid = ?")
    ///         .bind("u1")
    ///         .execute(lease.mysql().await?)
    ///         .await?;
    ///     let params = pw_runtime::Params::from_pairs([("ref", "b7"), ("type", "0")])?;
    ///     ledger.complete(lease, &params).await?; // the gems and the record, together
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn mysql(&mut self) -> Result<&mut MySqlConnection, LedgerError> {
        lease_transaction::<MySqlServer>(self).await
    }
}

server_ledger_face!(MySqlLedger);
