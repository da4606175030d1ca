//! The shop's own record of grants, next to the ledger on whichever backend
//! it runs: in the ledger's transaction on SQLite, PostgreSQL and MySQL /
//! MariaDB (a grant
//! and its ledger record commit together or not at all), idempotent on
//! `ref` on Redis (a retried pingback finds its grant already there).

use pw_runtime::ledger::redis_client::{self, aio::ConnectionManager, AsyncCommands, Script};
use pw_runtime::ledger::rusqlite::params;
use pw_runtime::ledger::sqlx::{self, AssertSqlSafe, MySqlPool, PgPool};
use pw_runtime::ledger::{LedgerError, SqliteLedger};
use pw_runtime::{Delivery, HandlerError};
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the shop records for one payment.
#[derive(Debug)]
pub(crate) struct GrantRow {
    pub reference: String,
    pub uid: String,
    pub goodsid: String,
    pub revenue: String,
    pub currency: String,
    pub campaign: String,
}

/// Where the grants are: the ledger's database, under the ledger's prefix.
#[derive(Clone)]
pub(crate) enum Grants {
    /// The table `<prefix>grants` in the ledger's SQLite file.
    Sqlite { ledger: SqliteLedger, table: String },
    /// The table `<prefix>grants` in the ledger's PostgreSQL database (and
    /// schema: the connection's current one, as the ledger's).
    Postgres { pool: PgPool, table: String },
    /// The table `<prefix>grants` in the ledger's MySQL / MariaDB database.
    Mysql { pool: MySqlPool, table: String },
    /// The hashes `<prefix>grants` (`ref` → the grant as a query string)
    /// and `<prefix>revoked` (`ref` → the reason) in the ledger's Redis.
    Redis {
        conn: ConnectionManager,
        granted: String,
        revoked: String,
    },
}

/// The columns of the grants table, its key of type `$reference`, then
/// `$options` (one list for every SQL backend).
macro_rules! grants_columns {
    ($reference:literal, $options:literal) => {
        concat!(
            "(reference ",
            $reference,
            " PRIMARY KEY, \
             uid TEXT NOT NULL, \
             goodsid TEXT NOT NULL, \
             revenue TEXT NOT NULL, \
             currency TEXT NOT NULL, \
             campaign TEXT NOT NULL, \
             granted_at BIGINT NOT NULL, \
             revoked_at BIGINT, \
             revoke_reason TEXT)",
            $options
        )
    };
}

/// The columns of the grants table (SQLite and PostgreSQL alike).
const COLUMNS: &str = grants_columns!("TEXT", "");

/// The columns of the grants table in MySQL / MariaDB (a key must have a
/// length there). The key is bytes, as the ledger's: MySQL's text
/// collations take `ref`s that differ in a trailing space (and, most of
/// them, in case) for one.
const MYSQL_COLUMNS: &str = grants_columns!(
    "VARBINARY(1024)",
    " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
);

/// KEYS[1]: the granted hash, KEYS[2]: the revoked hash; ARGV[1]: the
/// `ref`, ARGV[2]: the reason. Revokes a grant once; 1 when it did.
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
end
return 0
",
    )
});

fn unavailable(backend: &'static str, error: impl std::fmt::Display) -> LedgerError {
    LedgerError::Unavailable {
        backend,
        message: error.to_string(),
    }
}

/// The table name for a prefix the ledger has already accepted (letters,
/// digits and `_`), quoted: the SQL built around it is passed to sqlx as
/// `AssertSqlSafe`.
fn table(prefix: &str) -> String {
    format!("\"{prefix}grants\"")
}

impl Grants {
    /// The grants table in the SQLite ledger's file, created if missing.
    pub(crate) async fn sqlite(ledger: SqliteLedger, prefix: &str) -> Result<Self, LedgerError> {
        let table = table(prefix);
        let create = format!("CREATE TABLE IF NOT EXISTS {table} {COLUMNS}");
        ledger.write(|db| db.execute_batch(&create)).await?;
        Ok(Grants::Sqlite { ledger, table })
    }

    /// The grants table in the MySQL / MariaDB ledger's database, created
    /// if missing.
    pub(crate) async fn mysql(pool: MySqlPool, prefix: &str) -> Result<Self, LedgerError> {
        let table = format!("`{prefix}grants`");
        sqlx::query(AssertSqlSafe(format!(
            "CREATE TABLE IF NOT EXISTS {table} {MYSQL_COLUMNS}"
        )))
        .execute(&pool)
        .await
        .map_err(|error| unavailable("mysql", error))?;
        Ok(Grants::Mysql { pool, table })
    }

    /// The grants table in the PostgreSQL ledger's database, created if
    /// missing (instances starting together take turns).
    pub(crate) async fn postgres(pool: PgPool, prefix: &str) -> Result<Self, LedgerError> {
        let table = table(prefix);
        let create = async {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(&table)
                .execute(&mut *tx)
                .await?;
            sqlx::query(AssertSqlSafe(format!(
                "CREATE TABLE IF NOT EXISTS {table} {COLUMNS}"
            )))
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        };
        create
            .await
            .map_err(|error| unavailable("postgres", error))?;
        Ok(Grants::Postgres { pool, table })
    }

    /// The grants hashes on the Redis server at `url`.
    pub(crate) async fn redis(url: &str, prefix: &str) -> Result<Self, LedgerError> {
        let client =
            redis_client::Client::open(url).map_err(|error| unavailable("redis", error))?;
        let conn = ConnectionManager::new(client)
            .await
            .map_err(|error| unavailable("redis", error))?;
        Ok(Grants::Redis {
            conn,
            granted: format!("{prefix}grants"),
            revoked: format!("{prefix}revoked"),
        })
    }

    /// Records `grant` once per `ref`, whichever of its delivery types (0, 1,
    /// 201) comes first: in the ledger's transaction of `delivery` (SQL), or
    /// with `HSETNX` (Redis). False when the `ref` was already granted.
    pub(crate) async fn grant<P>(
        &self,
        delivery: &mut Delivery<P>,
        grant: &GrantRow,
    ) -> Result<bool, HandlerError> {
        let insert = |table: &str, placeholders: &str| {
            format!(
                "INSERT INTO {table} (reference, uid, goodsid, revenue, currency, campaign, granted_at) \
                 VALUES ({placeholders}) ON CONFLICT (reference) DO NOTHING"
            )
        };
        let granted = match self {
            Grants::Sqlite { table, .. } => {
                let sql = insert(table, "?1, ?2, ?3, ?4, ?5, ?6, ?7");
                let db = delivery.sqlite().await?;
                let inserted = db.prepare_cached(&sql)?.execute(params![
                    grant.reference,
                    grant.uid,
                    grant.goodsid,
                    grant.revenue,
                    grant.currency,
                    grant.campaign,
                    now()
                ])?;
                inserted == 1
            }
            Grants::Mysql { table, .. } => {
                let sql = format!(
                    "INSERT IGNORE INTO {table} (reference, uid, goodsid, revenue, currency, campaign, granted_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)"
                );
                let db = delivery.mysql().await?;
                let done = bind_grant(sqlx::query(AssertSqlSafe(sql)), grant)
                    .execute(&mut *db)
                    .await?;
                done.rows_affected() == 1
            }
            Grants::Postgres { table, .. } => {
                let sql = insert(table, "$1, $2, $3, $4, $5, $6, $7");
                let db = delivery.postgres().await?;
                let done = bind_grant(sqlx::query(AssertSqlSafe(sql)), grant)
                    .execute(&mut *db)
                    .await?;
                done.rows_affected() == 1
            }
            Grants::Redis { conn, granted, .. } => {
                let record = form_record(grant);
                let mut conn = conn.clone();
                conn.hset_nx(granted, &grant.reference, record).await?
            }
        };
        Ok(granted)
    }

    /// Revokes the grant of `reference`, if there is one not yet revoked;
    /// how many were revoked (0 or 1).
    pub(crate) async fn revoke<P>(
        &self,
        delivery: &mut Delivery<P>,
        reference: &str,
        reason: &str,
    ) -> Result<u64, HandlerError> {
        let update = |table: &str, placeholders: [&str; 3]| {
            let [at, why, which] = placeholders;
            format!(
                "UPDATE {table} SET revoked_at = {at}, revoke_reason = {why} \
                 WHERE reference = {which} AND revoked_at IS NULL"
            )
        };
        let revoked = match self {
            Grants::Sqlite { table, .. } => {
                let sql = update(table, ["?1", "?2", "?3"]);
                let db = delivery.sqlite().await?;
                let changed = db.execute(&sql, params![now(), reason, reference])?;
                u64::try_from(changed).unwrap_or(0)
            }
            Grants::Mysql { table, .. } => {
                let sql = update(table, ["?", "?", "?"]);
                let db = delivery.mysql().await?;
                let query = sqlx::query(AssertSqlSafe(sql))
                    .bind(now())
                    .bind(reason)
                    .bind(reference);
                query.execute(&mut *db).await?.rows_affected()
            }
            Grants::Postgres { table, .. } => {
                let sql = update(table, ["$1", "$2", "$3"]);
                let db = delivery.postgres().await?;
                let query = sqlx::query(AssertSqlSafe(sql))
                    .bind(now())
                    .bind(reason)
                    .bind(reference);
                query.execute(&mut *db).await?.rows_affected()
            }
            Grants::Redis {
                conn,
                granted,
                revoked,
            } => {
                let mut conn = conn.clone();
                REVOKE
                    .key(granted)
                    .key(revoked)
                    .arg(reference)
                    .arg(reason)
                    .invoke_async(&mut conn)
                    .await?
            }
        };
        Ok(revoked)
    }

    /// How many grants were made (revoked ones included).
    pub(crate) async fn count(&self) -> Result<u64, LedgerError> {
        self.count_where("", false).await
    }

    /// How many grants were revoked.
    pub(crate) async fn count_revoked(&self) -> Result<u64, LedgerError> {
        self.count_where(" WHERE revoked_at IS NOT NULL", true)
            .await
    }

    async fn count_where(&self, condition: &str, revoked_only: bool) -> Result<u64, LedgerError> {
        let count: i64 = match self {
            Grants::Sqlite { ledger, table } => {
                let sql = format!("SELECT COUNT(*) FROM {table}{condition}");
                ledger.read(|db| db.query_row(&sql, [], |row| row.get(0)))?
            }
            Grants::Mysql { pool, table } => sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}{condition}"
            )))
            .fetch_one(pool)
            .await
            .map_err(|error| unavailable("mysql", error))?,
            Grants::Postgres { pool, table } => sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table}{condition}"
            )))
            .fetch_one(pool)
            .await
            .map_err(|error| unavailable("postgres", error))?,
            Grants::Redis {
                conn,
                granted,
                revoked,
            } => {
                let key = if revoked_only { revoked } else { granted };
                conn.clone()
                    .hlen(key)
                    .await
                    .map_err(|error| unavailable("redis", error))?
            }
        };
        Ok(u64::try_from(count).unwrap_or(0))
    }
}

fn bind_grant<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    grant: &GrantRow,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    for<'a> &'a String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: for<'a> sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    query
        .bind(&grant.reference)
        .bind(&grant.uid)
        .bind(&grant.goodsid)
        .bind(&grant.revenue)
        .bind(&grant.currency)
        .bind(&grant.campaign)
        .bind(now())
}

/// A grant as one Redis value: `uid=…&goodsid=…&…&granted_at=…`.
fn form_record(grant: &GrantRow) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("uid", &grant.uid)
        .append_pair("goodsid", &grant.goodsid)
        .append_pair("revenue", &grant.revenue)
        .append_pair("currency", &grant.currency)
        .append_pair("campaign", &grant.campaign)
        .append_pair("granted_at", &now().to_string())
        .finish()
}

/// Seconds since the Unix epoch.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
