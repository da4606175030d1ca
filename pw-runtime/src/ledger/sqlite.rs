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
    from_unix_millis, kind_of, moves_money, new_token, quarantined_row, sql_name, unix_millis,
    Claim, Lease, LeaseBackend, Ledger, LedgerError, LedgerOptions, PaymentRecord, Quarantined,
};
use crate::{Params, UniqueRef};

const BACKEND: &str = "sqlite";

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn unavailable(err: sqlx::Error) -> LedgerError {
    LedgerError::unavailable(BACKEND, err)
}

/// The statements, with the table names in them.
struct Queries {
    table: String,
    quarantine_table: String,
    claim: String,
    state: String,
    complete: String,
    unquarantine: String,
    release: String,
    renew: String,
    lookup: String,
    lookup_reversal: String,
    quarantine: String,
    quarantined: String,
}

impl Queries {
    fn new(prefix: &str) -> Self {
        let t = format!("\"{prefix}ledger\"");
        let q = format!("\"{prefix}quarantine\"");
        let lookup = |kinds: &str| {
            format!(
                "SELECT kind, params, delivered_at FROM {t} \
                 WHERE reference = ?1 AND state = 'done' AND kind IN ({kinds}) \
                 ORDER BY delivered_at, kind LIMIT 1"
            )
        };
        Queries {
            // ?6: whether the kind moves money; then no other money kind of
            // the ref may be in progress (MONEY_KINDS).
            claim: format!(
                "INSERT INTO {t} (reference, kind, state, token, expires_at) \
                 SELECT ?1, ?2, 'in_progress', ?3, ?4 \
                 WHERE NOT (?6 AND EXISTS (SELECT 1 FROM {t} WHERE reference = ?1 AND kind <> ?2 \
                   AND kind IN (0, 1, 2, 201, 202) AND state = 'in_progress' AND expires_at > ?5)) \
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
            unquarantine: format!("DELETE FROM {q} WHERE reference = ?1 AND kind = ?2"),
            release: format!(
                "DELETE FROM {t} WHERE reference = ?1 AND kind = ?2 AND state = 'in_progress' \
                 AND token = ?3 AND expires_at > ?4"
            ),
            renew: format!(
                "UPDATE {t} SET expires_at = ?1 \
                 WHERE reference = ?2 AND kind = ?3 AND state = 'in_progress' \
                 AND token = ?4 AND expires_at > ?5"
            ),
            lookup: lookup("0, 1, 201"),
            lookup_reversal: lookup("2, 202"),
            quarantine: format!(
                "INSERT INTO {q} (reference, kind, query, client, error, first_seen, last_seen, attempts) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1) \
                 ON CONFLICT (reference, kind) DO UPDATE \
                 SET query = excluded.query, client = excluded.client, error = excluded.error, \
                 last_seen = excluded.last_seen, attempts = {q}.attempts + 1"
            ),
            quarantined: format!(
                "SELECT reference, kind, query, client, error, first_seen, last_seen, attempts \
                 FROM {q} ORDER BY first_seen, reference, kind"
            ),
            table: t,
            quarantine_table: q,
        }
    }

    fn schema(&self) -> [String; 2] {
        [
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
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {} (\
                 reference TEXT NOT NULL, \
                 kind INTEGER NOT NULL, \
                 query TEXT NOT NULL, \
                 client TEXT NOT NULL, \
                 error TEXT NOT NULL, \
                 first_seen INTEGER NOT NULL, \
                 last_seen INTEGER NOT NULL, \
                 attempts INTEGER NOT NULL, \
                 PRIMARY KEY (reference, kind))",
                self.quarantine_table
            ),
        ]
    }
}

/// What a SQLite lease holds: the pool and, once asked for, its transaction.
pub(crate) struct SqliteLease {
    pool: SqlitePool,
    queries: Arc<Queries>,
    tx: Option<Transaction<'static, Sqlite>>,
}

impl SqliteLease {
    pub(crate) fn twin(&self) -> Self {
        SqliteLease {
            pool: self.pool.clone(),
            queries: Arc::clone(&self.queries),
            tx: None,
        }
    }

    /// The lease's transaction, or a new one.
    async fn into_transaction(self) -> Result<Transaction<'static, Sqlite>, LedgerError> {
        match self.tx {
            Some(tx) => Ok(tx),
            None => self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(unavailable),
        }
    }

    pub(crate) async fn transaction(&mut self) -> Result<&mut SqliteConnection, LedgerError> {
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
        for table in queries.schema() {
            sqlx::query(&table)
                .execute(&pool)
                .await
                .map_err(unavailable)?;
        }
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
        let money = moves_money(id.kind);
        for _ in 0..8 {
            let now = unix_millis(SystemTime::now());
            let token = new_token();
            let inserted = sqlx::query(&self.queries.claim)
                .bind(&id.reference)
                .bind(kind)
                .bind(&token)
                .bind(now.saturating_add(self.lease_millis))
                .bind(now)
                .bind(money)
                .execute(&self.pool)
                .await
                .map_err(unavailable)?;
            if inserted.rows_affected() == 1 {
                let backend = LeaseBackend::Sqlite(SqliteLease {
                    pool: self.pool.clone(),
                    queries: Arc::clone(&self.queries),
                    tx: None,
                });
                return Ok(Claim::Fresh(Lease::new(
                    id.clone(),
                    token,
                    self.lease,
                    backend,
                )));
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
                // Another money type of the ref is in progress.
                None if money => return Ok(Claim::InProgress),
                None => continue,
            }
        }
        Ok(Claim::InProgress)
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
            let Lease {
                id, token, backend, ..
            } = lease;
            let LeaseBackend::Sqlite(inner) = backend else {
                return Err(LedgerError::WrongBackend {
                    expected: BACKEND,
                    found: backend.name(),
                });
            };
            let now = unix_millis(SystemTime::now());
            let kind = i64::from(id.kind.code());
            let queries = Arc::clone(&inner.queries);
            let mut tx = inner.into_transaction().await?;
            let done = sqlx::query(&queries.complete)
                .bind(query)
                .bind(now)
                .bind(&id.reference)
                .bind(kind)
                .bind(&token)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            if done.rows_affected() != 1 {
                tx.rollback().await.map_err(unavailable)?;
                return Err(LedgerError::StaleLease { id });
            }
            sqlx::query(&queries.unquarantine)
                .bind(&id.reference)
                .bind(kind)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            tx.commit().await.map_err(unavailable)?;
            Ok(())
        }
    }

    async fn release(&self, lease: Lease) -> Result<(), LedgerError> {
        let Lease {
            id, token, backend, ..
        } = lease;
        let LeaseBackend::Sqlite(inner) = backend else {
            return Err(LedgerError::WrongBackend {
                expected: BACKEND,
                found: backend.name(),
            });
        };
        // Roll back first: the transaction holds the write lock the
        // delete needs.
        if let Some(tx) = inner.tx {
            tx.rollback().await.map_err(unavailable)?;
        }
        let deleted = sqlx::query(&inner.queries.release)
            .bind(&id.reference)
            .bind(i64::from(id.kind.code()))
            .bind(&token)
            .bind(unix_millis(SystemTime::now()))
            .execute(&inner.pool)
            .await
            .map_err(unavailable)?;
        if deleted.rows_affected() == 1 {
            Ok(())
        } else {
            Err(LedgerError::StaleLease { id })
        }
    }

    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        self.earliest(&self.queries.lookup, reference.to_owned())
    }

    fn reversal(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        self.earliest(&self.queries.lookup_reversal, reference.to_owned())
    }

    async fn renew(&self, id: &UniqueRef, token: &str) -> Result<(), LedgerError> {
        let now = unix_millis(SystemTime::now());
        let renewed = sqlx::query(&self.queries.renew)
            .bind(now.saturating_add(self.lease_millis))
            .bind(&id.reference)
            .bind(i64::from(id.kind.code()))
            .bind(token)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        if renewed.rows_affected() == 1 {
            Ok(())
        } else {
            Err(LedgerError::StaleLease { id: id.clone() })
        }
    }

    async fn quarantine(&self, lease: Lease, pingback: &Quarantined) -> Result<(), LedgerError> {
        let Lease {
            id, token, backend, ..
        } = lease;
        let LeaseBackend::Sqlite(inner) = backend else {
            return Err(LedgerError::WrongBackend {
                expected: BACKEND,
                found: backend.name(),
            });
        };
        if let Some(tx) = inner.tx {
            tx.rollback().await.map_err(unavailable)?;
        }
        let kind = i64::from(id.kind.code());
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(unavailable)?;
        let released = sqlx::query(&self.queries.release)
            .bind(&id.reference)
            .bind(kind)
            .bind(&token)
            .bind(unix_millis(SystemTime::now()))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if released.rows_affected() != 1 {
            tx.rollback().await.map_err(unavailable)?;
            return Err(LedgerError::StaleLease { id });
        }
        sqlx::query(&self.queries.quarantine)
            .bind(&id.reference)
            .bind(kind)
            .bind(pingback.query())
            .bind(pingback.client().to_string())
            .bind(pingback.error())
            .bind(unix_millis(pingback.last_seen()))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)
    }

    async fn quarantined(&self) -> Result<Vec<Quarantined>, LedgerError> {
        type Row = (String, i64, String, String, String, i64, i64, i64);
        let rows: Vec<Row> = sqlx::query_as(&self.queries.quarantined)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(
                |(reference, kind, query, client, error, first, last, attempts)| {
                    quarantined_row(
                        UniqueRef::new(reference, kind_of(kind)),
                        query,
                        &client,
                        error,
                        (from_unix_millis(first), from_unix_millis(last)),
                        attempts,
                    )
                },
            )
            .collect())
    }
}

impl SqliteLedger {
    /// The earliest completed pingback of `reference` found by `lookup`.
    async fn earliest(
        &self,
        lookup: &str,
        reference: String,
    ) -> Result<Option<PaymentRecord>, LedgerError> {
        let row: Option<(i64, Option<String>, Option<i64>)> = sqlx::query_as(lookup)
            .bind(&reference)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.map(|(kind, query, at)| {
            PaymentRecord::new(
                UniqueRef::new(reference, kind_of(kind)),
                query.unwrap_or_default(),
                from_unix_millis(at.unwrap_or(0)),
            )
        }))
    }
}
