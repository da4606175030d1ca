//! The PostgreSQL ledger: shared by several listener instances.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};

use super::{
    from_unix_millis, kind_of, moves_money, new_token, quarantined_row, sql_name, Claim, Lease,
    LeaseBackend, Ledger, LedgerError, LedgerOptions, PaymentRecord, Quarantined,
};
use crate::{Params, UniqueRef};

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
    fn new(schema: Option<String>, prefix: &str) -> Self {
        let name = |table: &str| match &schema {
            Some(schema) => format!("\"{schema}\".\"{prefix}{table}\""),
            None => format!("\"{prefix}{table}\""),
        };
        let (t, q) = (name("ledger"), name("quarantine"));
        let lookup = |kinds: &str| {
            format!(
                "SELECT kind, params, (extract(epoch FROM delivered_at) * 1000)::bigint FROM {t} \
                 WHERE reference = $1 AND state = 'done' AND kind IN ({kinds}) \
                 ORDER BY delivered_at, kind LIMIT 1"
            )
        };
        Queries {
            // $5: whether the kind moves money; then no other money kind of
            // the ref may be in progress (MONEY_KINDS). Run after the ref's
            // advisory lock, in its transaction, so claims of one ref take turns.
            claim: format!(
                "INSERT INTO {t} AS l (reference, kind, state, token, expires_at) \
                 SELECT $1, $2, 'in_progress', $3, clock_timestamp() + $4::float8 * interval '1 millisecond' \
                 WHERE NOT ($5 AND EXISTS (SELECT 1 FROM {t} o WHERE o.reference = $1 AND o.kind <> $2 \
                   AND o.kind IN (0, 1, 2, 201, 202) AND o.state = 'in_progress' \
                   AND o.expires_at > clock_timestamp())) \
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
            unquarantine: format!("DELETE FROM {q} WHERE reference = $1 AND kind = $2"),
            release: format!(
                "DELETE FROM {t} WHERE reference = $1 AND kind = $2 AND state = 'in_progress' \
                 AND token = $3 AND expires_at > clock_timestamp()"
            ),
            renew: format!(
                "UPDATE {t} SET expires_at = clock_timestamp() + $1::float8 * interval '1 millisecond' \
                 WHERE reference = $2 AND kind = $3 AND state = 'in_progress' \
                 AND token = $4 AND expires_at > clock_timestamp()"
            ),
            lookup: lookup("0, 1, 201"),
            lookup_reversal: lookup("2, 202"),
            quarantine: format!(
                "INSERT INTO {q} AS k (reference, kind, query, client, error, first_seen, last_seen, attempts) \
                 VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp(), 1) \
                 ON CONFLICT (reference, kind) DO UPDATE \
                 SET query = EXCLUDED.query, client = EXCLUDED.client, error = EXCLUDED.error, \
                 last_seen = EXCLUDED.last_seen, attempts = k.attempts + 1"
            ),
            quarantined: format!(
                "SELECT reference, kind, query, client, error, \
                 (extract(epoch FROM first_seen) * 1000)::bigint, \
                 (extract(epoch FROM last_seen) * 1000)::bigint, attempts \
                 FROM {q} ORDER BY first_seen, reference, kind"
            ),
            schema,
            table: t,
            quarantine_table: q,
        }
    }

    fn create_tables(&self) -> [String; 2] {
        [
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
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {} (\
                 reference TEXT NOT NULL, \
                 kind BIGINT NOT NULL, \
                 query TEXT NOT NULL, \
                 client TEXT NOT NULL, \
                 error TEXT NOT NULL, \
                 first_seen TIMESTAMPTZ NOT NULL, \
                 last_seen TIMESTAMPTZ NOT NULL, \
                 attempts BIGINT NOT NULL, \
                 PRIMARY KEY (reference, kind))",
                self.quarantine_table
            ),
        ]
    }
}

/// What a PostgreSQL lease holds: the pool and, once asked for, its
/// transaction.
pub(crate) struct PostgresLease {
    pool: PgPool,
    queries: Arc<Queries>,
    tx: Option<Transaction<'static, Postgres>>,
}

impl PostgresLease {
    pub(crate) fn twin(&self) -> Self {
        PostgresLease {
            pool: self.pool.clone(),
            queries: Arc::clone(&self.queries),
            tx: None,
        }
    }

    pub(crate) async fn transaction(&mut self) -> Result<&mut PgConnection, LedgerError> {
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
        for table in queries.create_tables() {
            sqlx::query(&table)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
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
        let money = moves_money(id.kind);
        for _ in 0..8 {
            let token = new_token();
            let claim = sqlx::query(&self.queries.claim)
                .bind(&id.reference)
                .bind(kind)
                .bind(&token)
                .bind(self.lease_millis)
                .bind(money);
            let inserted = if money {
                // The claims of one ref take turns: the check of its other
                // money types sees what the previous claim committed.
                let mut tx = self.pool.begin().await.map_err(unavailable)?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(format!("{}:{}", self.queries.table, id.reference))
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                let inserted = claim.execute(&mut *tx).await.map_err(unavailable)?;
                tx.commit().await.map_err(unavailable)?;
                inserted
            } else {
                claim.execute(&self.pool).await.map_err(unavailable)?
            };
            if inserted.rows_affected() == 1 {
                let backend = LeaseBackend::Postgres(PostgresLease {
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
            let Lease {
                id, token, backend, ..
            } = lease;
            let LeaseBackend::Postgres(inner) = backend else {
                return Err(LedgerError::WrongBackend {
                    expected: BACKEND,
                    found: backend.name(),
                });
            };
            let kind = i64::from(id.kind.code());
            let queries = Arc::clone(&inner.queries);
            let mut tx = match inner.tx {
                Some(tx) => tx,
                None => inner.pool.begin().await.map_err(unavailable)?,
            };
            let done = sqlx::query(&queries.complete)
                .bind(query)
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
        let LeaseBackend::Postgres(inner) = backend else {
            return Err(LedgerError::WrongBackend {
                expected: BACKEND,
                found: backend.name(),
            });
        };
        if let Some(tx) = inner.tx {
            tx.rollback().await.map_err(unavailable)?;
        }
        let deleted = sqlx::query(&inner.queries.release)
            .bind(&id.reference)
            .bind(i64::from(id.kind.code()))
            .bind(&token)
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
        let renewed = sqlx::query(&self.queries.renew)
            .bind(self.lease_millis)
            .bind(&id.reference)
            .bind(i64::from(id.kind.code()))
            .bind(token)
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
        let LeaseBackend::Postgres(inner) = backend else {
            return Err(LedgerError::WrongBackend {
                expected: BACKEND,
                found: backend.name(),
            });
        };
        if let Some(tx) = inner.tx {
            tx.rollback().await.map_err(unavailable)?;
        }
        let kind = i64::from(id.kind.code());
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let released = sqlx::query(&self.queries.release)
            .bind(&id.reference)
            .bind(kind)
            .bind(&token)
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

impl PostgresLedger {
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
