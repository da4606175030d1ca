//! The PostgreSQL ledger: shared by several listener instances.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};

use super::{
    from_unix_millis, sql_name, Claim, Lease, Ledger, LedgerError, LedgerOptions, PaymentRecord,
};
use crate::{Params, PingbackType, UniqueRef};

const BACKEND: &str = "postgres";

fn unavailable(err: sqlx::Error) -> LedgerError {
    LedgerError::unavailable(BACKEND, err)
}

/// The statements, with the table name in them. Every time comes from the
/// server's clock (`clock_timestamp()`), so instances on several machines
/// agree on when a lease expires.
struct Queries {
    schema: Option<String>,
    table: String,
    claim: String,
    state: String,
    complete: String,
    release: String,
    lookup: String,
}

impl Queries {
    fn new(schema: Option<String>, prefix: &str) -> Self {
        let t = match &schema {
            Some(schema) => format!("\"{schema}\".\"{prefix}ledger\""),
            None => format!("\"{prefix}ledger\""),
        };
        Queries {
            claim: format!(
                "INSERT INTO {t} AS l (reference, kind, state, token, expires_at) \
                 VALUES ($1, $2, 'in_progress', $3, clock_timestamp() + $4::float8 * interval '1 millisecond') \
                 ON CONFLICT (reference, kind) DO UPDATE \
                 SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at \
                 WHERE l.state = 'in_progress' AND l.expires_at <= clock_timestamp()"
            ),
            state: format!("SELECT state FROM {t} WHERE reference = $1 AND kind = $2"),
            complete: format!(
                "UPDATE {t} SET state = 'done', token = NULL, expires_at = NULL, \
                 params = $1, delivered_at = clock_timestamp() \
                 WHERE reference = $2 AND kind = $3 AND state = 'in_progress' \
                 AND token = $4 AND expires_at > clock_timestamp()"
            ),
            release: format!(
                "DELETE FROM {t} WHERE reference = $1 AND kind = $2 AND state = 'in_progress' \
                 AND token = $3 AND expires_at > clock_timestamp()"
            ),
            lookup: format!(
                "SELECT kind, params, (extract(epoch FROM delivered_at) * 1000)::bigint FROM {t} \
                 WHERE reference = $1 AND state = 'done' AND kind IN (0, 1, 201) \
                 ORDER BY delivered_at, kind LIMIT 1"
            ),
            schema,
            table: t,
        }
    }

    fn create_table(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\
                 reference TEXT NOT NULL, \
                 kind BIGINT NOT NULL, \
                 state TEXT NOT NULL, \
                 token TEXT, \
                 expires_at TIMESTAMPTZ, \
                 params TEXT, \
                 delivered_at TIMESTAMPTZ, \
                 PRIMARY KEY (reference, kind))",
            self.table
        )
    }
}

/// What a PostgreSQL lease holds: the pool and, once asked for, its
/// transaction.
struct PostgresLease {
    pool: PgPool,
    queries: Arc<Queries>,
    tx: Option<Transaction<'static, Postgres>>,
}

impl PostgresLease {
    async fn transaction(&mut self) -> Result<&mut PgConnection, LedgerError> {
        let tx = match self.tx.take() {
            Some(tx) => tx,
            None => self.pool.begin().await.map_err(unavailable)?,
        };
        Ok(&mut **self.tx.insert(tx))
    }
}

/// A ledger in a PostgreSQL table, shared by any number of listener
/// instances: claims are decided by the database (one atomic `INSERT ... ON
/// CONFLICT`), and lease expiry by the server's clock. The table
/// `<prefix>ledger` (in [`LedgerOptions::schema`] if given) is created if
/// missing.
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
    pool: PgPool,
    queries: Arc<Queries>,
    lease: Duration,
    lease_millis: f64,
}

impl std::fmt::Debug for PostgresLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresLedger")
            .field("table", &self.queries.table)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl PostgresLedger {
    /// Connects a pool to `url` (`postgres://user@host/database`) and creates
    /// the ledger's schema and table if missing.
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
        let pool = PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
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
        let prefix = sql_name("table prefix", &options.prefix, true)?;
        let schema = match &options.schema {
            Some(schema) => Some(sql_name("schema", schema, false)?),
            None => None,
        };
        let queries = Queries::new(schema, &prefix);
        // CREATE ... IF NOT EXISTS is not safe against itself running
        // concurrently: instances starting together take turns.
        let mut tx = pool.begin().await.map_err(unavailable)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(&queries.table)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if let Some(schema) = &queries.schema {
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        sqlx::query(&queries.create_table())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(PostgresLedger {
            pool,
            queries: Arc::new(queries),
            lease: options.lease,
            lease_millis: options.lease_millis() as f64,
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
        &self.pool
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
        &self.queries.table
    }

    async fn try_claim(&self, id: &UniqueRef) -> Result<Claim, LedgerError> {
        let kind = i64::from(id.kind.code());
        // A claim row that vanishes between the two statements (released)
        // is tried again; a few rounds settle any race.
        for _ in 0..8 {
            let lease = Lease::new(id.clone(), BACKEND, self.lease);
            let inserted = sqlx::query(&self.queries.claim)
                .bind(&id.reference)
                .bind(kind)
                .bind(lease.token())
                .bind(self.lease_millis)
                .execute(&self.pool)
                .await
                .map_err(unavailable)?;
            if inserted.rows_affected() == 1 {
                return Ok(Claim::Fresh(lease.with_state(PostgresLease {
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
    /// The ledger's PostgreSQL transaction for this lease, begun on the first
    /// call: write the merchant's own data here and it commits with
    /// [`Ledger::complete`], or rolls back with [`Ledger::release`].
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
    pub async fn postgres(&mut self) -> Result<&mut sqlx::PgConnection, LedgerError> {
        self.expect_backend(BACKEND)?;
        let stale = self.stale();
        match self.state_mut::<PostgresLease>() {
            Some(lease) => lease.transaction().await,
            None => Err(stale),
        }
    }
}

impl Ledger for PostgresLedger {
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
            let Some(inner) = lease.take_state::<PostgresLease>() else {
                return Err(lease.stale());
            };
            let (id, token) = (lease.id(), lease.token());
            let update = sqlx::query(&inner.queries.complete)
                .bind(query)
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
        let Some(inner) = lease.take_state::<PostgresLease>() else {
            return Err(lease.stale());
        };
        let (id, token) = (lease.id(), lease.token());
        if let Some(tx) = inner.tx {
            tx.rollback().await.map_err(unavailable)?;
        }
        let deleted = sqlx::query(&inner.queries.release)
            .bind(&id.reference)
            .bind(i64::from(id.kind.code()))
            .bind(token)
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
