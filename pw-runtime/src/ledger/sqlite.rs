//! The SQLite ledger: one file, one machine.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::{
    from_unix_millis, sql_name, unix_millis, Claim, Lease, Ledger, LedgerError, LedgerOptions,
    PaymentRecord,
};
use crate::{Params, PingbackType, UniqueRef};

const BACKEND: &str = "sqlite";

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn unavailable(err: sqlx::Error) -> LedgerError {
    LedgerError::unavailable(BACKEND, err)
}

/// The statements, with the table name in them.
struct Queries {
    table: String,
    claim: String,
    state: String,
    complete: String,
    release: String,
    lookup: String,
}

impl Queries {
    fn new(prefix: &str) -> Self {
        let t = format!("\"{prefix}ledger\"");
        Queries {
            claim: format!(
                "INSERT INTO {t} (reference, kind, state, token, expires_at) \
                 VALUES (?1, ?2, 'in_progress', ?3, ?4) \
                 ON CONFLICT (reference, kind) DO UPDATE \
                 SET token = excluded.token, expires_at = excluded.expires_at \
                 WHERE {t}.state = 'in_progress' AND {t}.expires_at <= ?5"
            ),
            state: format!("SELECT state FROM {t} WHERE reference = ?1 AND kind = ?2"),
            complete: format!(
                "UPDATE {t} SET state = 'done', token = NULL, expires_at = NULL, \
                 params = ?1, delivered_at = ?2 \
                 WHERE reference = ?3 AND kind = ?4 AND state = 'in_progress' \
                 AND token = ?5 AND expires_at > ?2"
            ),
            release: format!(
                "DELETE FROM {t} WHERE reference = ?1 AND kind = ?2 AND state = 'in_progress' \
                 AND token = ?3 AND expires_at > ?4"
            ),
            lookup: format!(
                "SELECT kind, params, delivered_at FROM {t} \
                 WHERE reference = ?1 AND state = 'done' AND kind IN (0, 1, 201) \
                 ORDER BY delivered_at, kind LIMIT 1"
            ),
            table: t,
        }
    }

    fn schema(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\
                 reference TEXT NOT NULL, \
                 kind INTEGER NOT NULL, \
                 state TEXT NOT NULL, \
                 token TEXT, \
                 expires_at INTEGER, \
                 params TEXT, \
                 delivered_at INTEGER, \
                 PRIMARY KEY (reference, kind))",
            self.table
        )
    }
}

/// What a SQLite lease holds: the pool and, once asked for, its transaction.
struct SqliteLease {
    pool: SqlitePool,
    queries: Arc<Queries>,
    tx: Option<Transaction<'static, Sqlite>>,
}

impl SqliteLease {
    async fn transaction(&mut self) -> Result<&mut SqliteConnection, LedgerError> {
        let tx = match self.tx.take() {
            Some(tx) => tx,
            None => self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(unavailable)?,
        };
        Ok(&mut **self.tx.insert(tx))
    }
}

/// A ledger in a SQLite file: for one listener process (or a few) on one
/// machine. The file is created on first use, in WAL mode with
/// `synchronous=FULL`, so a completed record is on disk before the listener
/// answers `OK`. The table `<prefix>ledger` is created if missing.
///
/// The handler can write its own tables in the same file inside the ledger's
/// transaction ([`Lease::sqlite`]), so its grant and the ledger record commit
/// together.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use pw_runtime::ledger::{Claim, Ledger, LedgerOptions, SqliteLedger};
/// use pw_runtime::Params;
///
/// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
/// let id = "b7_0".parse()?;
/// match ledger.claim(&id).await? {
///     Claim::Fresh(lease) => {
///         // ... deliver the goods ...
///         ledger.complete(lease, &Params::from_pairs([("ref", "b7"), ("type", "0")])?).await?;
///     }
///     Claim::AlreadyDone | Claim::InProgress => unreachable!("a new file"),
/// }
/// assert!(matches!(ledger.claim(&id).await?, Claim::AlreadyDone));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Clone)]
pub struct SqliteLedger {
    pool: SqlitePool,
    queries: Arc<Queries>,
    lease: Duration,
    lease_millis: i64,
}

impl std::fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLedger")
            .field("table", &self.queries.table)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl SqliteLedger {
    /// Opens (creating it if missing) the SQLite file at `path`, in WAL mode
    /// with `synchronous=FULL` and a 10-second busy timeout, and creates the
    /// ledger's table if missing.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`] for an invalid prefix,
    /// [`LedgerError::Unavailable`] when the file cannot be opened or written.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{LedgerOptions, SqliteLedger};
    ///
    /// let path = dir.join("pingbacks.db");
    /// let ledger = SqliteLedger::open(&path, LedgerOptions::new().prefix("shop_")).await?;
    /// assert!(path.exists());
    /// assert_eq!(ledger.table(), "\"shop_ledger\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>, options: LedgerOptions) -> Result<Self, LedgerError> {
        sql_name("table prefix", &options.prefix, true)?;
        let connect = SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .acquire_timeout(BUSY_TIMEOUT * 3)
            .connect_with(connect)
            .await
            .map_err(unavailable)?;
        Self::from_pool(pool, options).await
    }

    /// A ledger on an existing pool, e.g. the merchant's own; creates the
    /// ledger's table if missing. For durability, open the pool's file with
    /// `synchronous=FULL` (or WAL with `FULL`), as [`SqliteLedger::open`] does.
    ///
    /// # Errors
    ///
    /// As [`SqliteLedger::open`].
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{sqlx::SqlitePool, LedgerOptions, SqliteLedger};
    ///
    /// let url = format!("sqlite://{}?mode=rwc", dir.join("shop.db").display());
    /// let pool = SqlitePool::connect(&url).await?;
    /// let ledger = SqliteLedger::from_pool(pool, LedgerOptions::new()).await?;
    /// # let _ = ledger;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn from_pool(pool: SqlitePool, options: LedgerOptions) -> Result<Self, LedgerError> {
        let prefix = sql_name("table prefix", &options.prefix, true)?;
        let queries = Queries::new(&prefix);
        sqlx::query(&queries.schema())
            .execute(&pool)
            .await
            .map_err(unavailable)?;
        Ok(SqliteLedger {
            pool,
            queries: Arc::new(queries),
            lease: options.lease,
            lease_millis: options.lease_millis(),
        })
    }

    /// The pool the ledger uses, for the merchant's own queries outside a
    /// lease.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{sqlx, LedgerOptions, SqliteLedger};
    ///
    /// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
    /// sqlx::query("CREATE TABLE gems (uid TEXT, amount INTEGER)").execute(ledger.pool()).await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The name of the ledger's table, quoted for SQL (`"pw_ledger"` by default).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{LedgerOptions, SqliteLedger};
    ///
    /// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
    /// assert_eq!(ledger.table(), "\"pw_ledger\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn table(&self) -> &str {
        &self.queries.table
    }

    async fn try_claim(&self, id: &UniqueRef) -> Result<Claim, LedgerError> {
        let kind = i64::from(id.kind.code());
        // A claim row that vanishes between the two statements (released)
        // is tried again; a few rounds settle any race.
        for _ in 0..8 {
            let lease = Lease::new(id.clone(), BACKEND, self.lease);
            let now = unix_millis(SystemTime::now());
            let inserted = sqlx::query(&self.queries.claim)
                .bind(&id.reference)
                .bind(kind)
                .bind(lease.token())
                .bind(now.saturating_add(self.lease_millis))
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(unavailable)?;
            if inserted.rows_affected() == 1 {
                return Ok(Claim::Fresh(lease.with_state(SqliteLease {
                    pool: self.pool.clone(),
                    queries: Arc::clone(&self.queries),
                    tx: None,
                })));
            }
            let state: Option<(String,)> = sqlx::query_as(&self.queries.state)
                .bind(&id.reference)
                .bind(kind)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
            match state {
                Some((state,)) if state == "done" => return Ok(Claim::AlreadyDone),
                Some(_) => return Ok(Claim::InProgress),
                None => continue,
            }
        }
        Ok(Claim::InProgress)
    }
}

impl Lease {
    /// The ledger's SQLite transaction for this lease, begun (`BEGIN
    /// IMMEDIATE`) on the first call: write the merchant's own data here and
    /// it commits with [`Ledger::complete`], or rolls back with
    /// [`Ledger::release`].
    ///
    /// SQLite has one writer at a time: while this transaction is open, other
    /// writes to the file (including other claims) wait, up to the busy
    /// timeout. Keep the handler short, and do not write through another
    /// connection from inside it.
    ///
    /// # Errors
    ///
    /// [`LedgerError::WrongBackend`] for a lease of another ledger,
    /// [`LedgerError::Unavailable`] when the transaction cannot begin.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{sqlx, Ledger, LedgerOptions, SqliteLedger};
    ///
    /// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
    /// sqlx::query("CREATE TABLE gems (uid TEXT, amount INTEGER)").execute(ledger.pool()).await?;
    /// if let Some(mut lease) = ledger.claim(&"b7_0".parse()?).await?.into_lease() {
    ///     sqlx::query("INSERT INTO gems VALUES ('u1', 100)").execute(lease.sqlite().await?).await?;
    ///     let params = pw_runtime::Params::from_pairs([("ref", "b7"), ("type", "0")])?;
    ///     ledger.complete(lease, &params).await?; // the gems and the record, together
    /// }
    /// let (gems,): (i64,) = sqlx::query_as("SELECT sum(amount) FROM gems").fetch_one(ledger.pool()).await?;
    /// assert_eq!(gems, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn sqlite(&mut self) -> Result<&mut sqlx::SqliteConnection, LedgerError> {
        self.expect_backend(BACKEND)?;
        let stale = self.stale();
        match self.state_mut::<SqliteLease>() {
            Some(lease) => lease.transaction().await,
            None => Err(stale),
        }
    }
}

impl Ledger for SqliteLedger {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        self.try_claim(id)
    }

    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        let query = params.to_query_string();
        async move {
            let mut lease = lease;
            lease.expect_backend(BACKEND)?;
            let Some(inner) = lease.take_state::<SqliteLease>() else {
                return Err(lease.stale());
            };
            let (id, token) = (lease.id(), lease.token());
            let now = unix_millis(SystemTime::now());
            let update = sqlx::query(&inner.queries.complete)
                .bind(query)
                .bind(now)
                .bind(&id.reference)
                .bind(i64::from(id.kind.code()))
                .bind(token);
            let updated = match inner.tx {
                Some(mut tx) => {
                    let done = update.execute(&mut *tx).await.map_err(unavailable)?;
                    if done.rows_affected() == 1 {
                        tx.commit().await.map_err(unavailable)?;
                    } else {
                        tx.rollback().await.map_err(unavailable)?;
                    }
                    done.rows_affected()
                }
                None => update
                    .execute(&inner.pool)
                    .await
                    .map_err(unavailable)?
                    .rows_affected(),
            };
            if updated == 1 {
                Ok(())
            } else {
                Err(lease.stale())
            }
        }
    }

    async fn release(&self, lease: Lease) -> Result<(), LedgerError> {
        let mut lease = lease;
        lease.expect_backend(BACKEND)?;
        let Some(inner) = lease.take_state::<SqliteLease>() else {
            return Err(lease.stale());
        };
        let (id, token) = (lease.id(), lease.token());
        // Roll back first: the transaction holds the write lock the
        // delete needs.
        if let Some(tx) = inner.tx {
            tx.rollback().await.map_err(unavailable)?;
        }
        let deleted = sqlx::query(&inner.queries.release)
            .bind(&id.reference)
            .bind(i64::from(id.kind.code()))
            .bind(token)
            .bind(unix_millis(SystemTime::now()))
            .execute(&inner.pool)
            .await
            .map_err(unavailable)?;
        if deleted.rows_affected() == 1 {
            Ok(())
        } else {
            Err(lease.stale())
        }
    }

    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        let reference = reference.to_owned();
        async move {
            let row: Option<(i64, Option<String>, Option<i64>)> =
                sqlx::query_as(&self.queries.lookup)
                    .bind(&reference)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(unavailable)?;
            Ok(row.map(|(kind, query, at)| {
                let kind = PingbackType::from_code(u32::try_from(kind).unwrap_or(u32::MAX));
                PaymentRecord::new(
                    UniqueRef::new(reference, kind),
                    query.unwrap_or_default(),
                    from_unix_millis(at.unwrap_or(0)),
                )
            }))
        }
    }
}
