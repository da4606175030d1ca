//! The ledger backends under test, shared by `ledger.rs` and `listener.rs`:
//! each set up on a namespace of its own (a file, a schema, a key prefix),
//! so tests run in parallel.
//!
//! Servers: `PW_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
//! and `PW_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`, MariaDB
//! alike); Redis: a `redis-server` with AOF and `appendfsync always` that each test
//! starts on a free loopback port (`redis_server.rs`; the machine's Redis at
//! `PW_TEST_REDIS_URL` has no persistence, so `RedisLedger` refuses it). An
//! unreachable server fails the test under `CI=true` and skips it otherwise.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use pw_runtime::ledger::{Ledger, LedgerOptions, MemoryLedger};

/// The lease of most tests: long enough never to expire during one.
pub const LEASE: Duration = Duration::from_secs(60);
/// The lease of the expiry tests, and how long they wait for it to expire.
pub const SHORT_LEASE: Duration = Duration::from_millis(300);
pub const PAST_SHORT_LEASE: Duration = Duration::from_millis(500);
/// How many claims race in the concurrency tests.
pub const RACERS: usize = 200;

// ---------------------------------------------------------------- backends

/// One backend under test, set up on a namespace of its own.
pub trait Backend: Sized {
    type L: Ledger + Clone + 'static;
    /// A new namespace; `None` when the server is unreachable outside CI.
    async fn setup() -> Option<Self>;
    /// A new ledger instance (its own pool or connection) on the namespace.
    async fn open(&self, lease: Duration) -> Self::L;
    /// Removes the namespace.
    async fn teardown(self);
}

/// What the concurrent pingback tasks of a scenario failed with, in task
/// order (each task answers `Err` with what went wrong for its pingback).
pub async fn failures_of(tasks: Vec<tokio::task::JoinHandle<Result<(), String>>>) -> Vec<String> {
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(failure) = task.await.unwrap() {
            failures.push(failure);
        }
    }
    failures
}

/// A name no other test (in this run or an earlier one) uses.
pub fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "pwt{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// An unreachable server: a failure under `CI=true`, a notice otherwise.
pub fn server_unreachable<T>(
    server: &str,
    url: &str,
    err: &dyn std::fmt::Display,
    start: &str,
) -> Option<T> {
    let message = format!(
        "{server} at {url} is unreachable ({err}); start it (e.g. `{start}`) \
         or point the test at one with the environment variable shown in pw-runtime/tests/ledger.rs"
    );
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{message}");
    }
    eprintln!("notice: skipping this test: {message}");
    None
}

/// A backend of one ledger instance, made by `$make`, that every `open`
/// shares (its lease is the one it was made with).
macro_rules! shared_backend {
    ($(#[$doc:meta])* $name:ident: $ledger:ty = $make:expr;) => {
        $(#[$doc])*
        pub struct $name(pub $ledger);

        impl Backend for $name {
            type L = $ledger;
            async fn setup() -> Option<Self> {
                Some($name($make))
            }
            async fn open(&self, _lease: Duration) -> $ledger {
                self.0.clone()
            }
            async fn teardown(self) {}
        }
    };
}

shared_backend! {
    /// Memory: every `open` is the same ledger (memory is not shared otherwise).
    Memory: MemoryLedger = MemoryLedger::new();
}

shared_backend! {
    /// The memory ledger's lease is set per instance: the expiry scenarios run
    /// on a memory backend with a short lease.
    MemoryShort: MemoryLedger = MemoryLedger::with_options(LedgerOptions::new().lease(SHORT_LEASE));
}

/// A ledger outside the crate, written with its public API only
/// ([`Lease::custom`], [`Lease::token`], [`Lease::backend`]): the proof that
/// a merchant can plug a store of their own into the listener.
mod custom_backend {
    use std::collections::HashMap;
    use std::future::{ready, Future};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant, SystemTime};

    use pw_runtime::ledger::{
        Claim, Lease, Ledger, LedgerError, PaymentRecord, Quarantined, MONEY_KINDS,
    };
    use pw_runtime::{Params, PingbackType, UniqueRef};

    use super::{Backend, LEASE, SHORT_LEASE};

    enum State {
        Claimed { token: String, until: Instant },
        Done { query: String, at: SystemTime },
    }

    #[derive(Default)]
    struct Maps {
        pingbacks: HashMap<String, State>,
        quarantine: HashMap<String, Quarantined>,
    }

    #[derive(Clone)]
    pub struct ThirdPartyLedger {
        maps: Arc<Mutex<Maps>>,
        lease: Duration,
    }

    /// What becomes of a lease.
    enum Finish<'a> {
        Complete(&'a Params),
        Release,
        Quarantine(&'a Quarantined),
    }

    impl ThirdPartyLedger {
        fn new(lease: Duration) -> Self {
            ThirdPartyLedger {
                maps: Arc::default(),
                lease,
            }
        }

        fn current(maps: &Maps, id: &UniqueRef, token: &str) -> bool {
            matches!(
                maps.pingbacks.get(&id.to_string()),
                Some(State::Claimed { token: held, until }) if held == token && *until > Instant::now()
            )
        }

        fn finish(&self, lease: Lease, how: Finish<'_>) -> Result<(), LedgerError> {
            if lease.backend() != "custom" {
                return Err(LedgerError::WrongBackend {
                    expected: "custom",
                    found: lease.backend(),
                });
            }
            let mut maps = self.maps.lock().unwrap();
            let key = lease.id().to_string();
            if !Self::current(&maps, lease.id(), lease.token()) {
                return Err(LedgerError::StaleLease {
                    id: lease.id().clone(),
                });
            }
            match how {
                Finish::Complete(params) => {
                    let done = State::Done {
                        query: params.to_query_string(),
                        at: SystemTime::now(),
                    };
                    maps.pingbacks.insert(key.clone(), done);
                    maps.quarantine.remove(&key);
                }
                Finish::Release => {
                    maps.pingbacks.remove(&key);
                }
                Finish::Quarantine(kept) => {
                    maps.pingbacks.remove(&key);
                    let entry = match maps.quarantine.get(&key) {
                        Some(old) => kept
                            .clone()
                            .seen_before(old.first_seen(), old.attempts() + 1),
                        None => kept.clone(),
                    };
                    maps.quarantine.insert(key, entry);
                }
            }
            Ok(())
        }

        fn earliest(&self, reference: &str, kinds: &[PingbackType]) -> Option<PaymentRecord> {
            let maps = self.maps.lock().unwrap();
            kinds
                .iter()
                .filter_map(|kind| {
                    let id = UniqueRef::new(reference, *kind);
                    match maps.pingbacks.get(&id.to_string()) {
                        Some(State::Done { query, at }) => {
                            Some(PaymentRecord::new(id, query.clone(), *at))
                        }
                        _ => None,
                    }
                })
                .min_by_key(PaymentRecord::delivered_at)
        }
    }

    impl Ledger for ThirdPartyLedger {
        fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
            let mut maps = self.maps.lock().unwrap();
            let now = Instant::now();
            let busy = |kind: &PingbackType| {
                matches!(
                    maps.pingbacks.get(&UniqueRef::new(&id.reference, *kind).to_string()),
                    Some(State::Claimed { until, .. }) if *until > now
                )
            };
            let sibling_busy = MONEY_KINDS.contains(&id.kind)
                && MONEY_KINDS
                    .iter()
                    .filter(|kind| **kind != id.kind)
                    .any(busy);
            let claim = match maps.pingbacks.get(&id.to_string()) {
                Some(State::Done { .. }) => Claim::AlreadyDone,
                Some(State::Claimed { until, .. }) if *until > now => Claim::InProgress,
                _ if sibling_busy => Claim::InProgress,
                _ => {
                    let lease = Lease::custom(id.clone(), self.lease);
                    let claimed = State::Claimed {
                        token: lease.token().to_owned(),
                        until: lease.deadline(),
                    };
                    maps.pingbacks.insert(id.to_string(), claimed);
                    Claim::Fresh(lease)
                }
            };
            ready(Ok(claim))
        }

        fn complete(
            &self,
            lease: Lease,
            params: &Params,
        ) -> impl Future<Output = Result<(), LedgerError>> + Send {
            ready(self.finish(lease, Finish::Complete(params)))
        }

        fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
            ready(self.finish(lease, Finish::Release))
        }

        fn original_payment(
            &self,
            reference: &str,
        ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
            use PingbackType::{Goodwill, Payment, RiskReviewAccepted};
            ready(Ok(self.earliest(
                reference,
                &[Payment, Goodwill, RiskReviewAccepted],
            )))
        }

        fn reversal(
            &self,
            reference: &str,
        ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
            use PingbackType::{Chargeback, RiskReviewDeclined};
            ready(Ok(
                self.earliest(reference, &[Chargeback, RiskReviewDeclined])
            ))
        }

        fn renew(
            &self,
            id: &UniqueRef,
            token: &str,
        ) -> impl Future<Output = Result<(), LedgerError>> + Send {
            let mut maps = self.maps.lock().unwrap();
            if !Self::current(&maps, id, token) {
                return ready(Err(LedgerError::StaleLease { id: id.clone() }));
            }
            let claimed = State::Claimed {
                token: token.to_owned(),
                until: Instant::now() + self.lease,
            };
            maps.pingbacks.insert(id.to_string(), claimed);
            ready(Ok(()))
        }

        fn quarantine(
            &self,
            lease: Lease,
            pingback: &Quarantined,
        ) -> impl Future<Output = Result<(), LedgerError>> + Send {
            ready(self.finish(lease, Finish::Quarantine(pingback)))
        }

        fn quarantined(
            &self,
        ) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send {
            let maps = self.maps.lock().unwrap();
            let mut all: Vec<Quarantined> = maps.quarantine.values().cloned().collect();
            all.sort_by_key(|entry| (entry.first_seen(), entry.id().to_string()));
            ready(Ok(all))
        }
    }

    shared_backend! {
        /// The third-party ledger; every `open` shares its map.
        Custom: ThirdPartyLedger = ThirdPartyLedger::new(LEASE);
    }

    shared_backend! {
        /// The third-party ledger with a short lease, for the expiry scenarios.
        CustomShort: ThirdPartyLedger = ThirdPartyLedger::new(SHORT_LEASE);
    }
}
#[allow(unused_imports)] // not every test file runs the expiry scenarios
pub use custom_backend::{Custom, CustomShort};

#[cfg(feature = "sqlite")]
mod sqlite_backend {
    use super::*;
    use pw_runtime::ledger::{Lease, SqliteLedger};
    use std::path::PathBuf;

    pub struct Sqlite {
        pub path: PathBuf,
        pub prefix: String,
    }

    impl Backend for Sqlite {
        type L = SqliteLedger;
        async fn setup() -> Option<Self> {
            let name = unique_name();
            Some(Sqlite {
                path: std::env::temp_dir().join(format!("{name}.db")),
                prefix: format!("{name}_"),
            })
        }
        async fn open(&self, lease: Duration) -> SqliteLedger {
            let options = LedgerOptions::new().lease(lease).prefix(&self.prefix);
            SqliteLedger::open(&self.path, options).await.unwrap()
        }
        async fn teardown(self) {
            for suffix in ["", "-wal", "-shm", ".lock"] {
                let mut path = self.path.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    impl SqlBackend for Sqlite {
        async fn create_grants(&self, ledger: &SqliteLedger) {
            let sql = format!(
                "CREATE TABLE \"{}grants\" (uid TEXT NOT NULL, gems INTEGER NOT NULL)",
                self.prefix
            );
            ledger.write(|db| db.execute_batch(&sql)).await.unwrap();
        }
        async fn grant(&self, lease: &mut Lease, uid: &str) {
            let sql = format!("INSERT INTO \"{}grants\" VALUES (?1, 100)", self.prefix);
            let conn = lease.sqlite().await.unwrap();
            conn.execute(&sql, [uid]).unwrap();
        }
        async fn grants(&self, ledger: &SqliteLedger, uid: &str) -> i64 {
            let sql = format!(
                "SELECT count(*) FROM \"{}grants\" WHERE uid = ?1",
                self.prefix
            );
            ledger
                .read(|db| db.query_row(&sql, [uid], |row| row.get(0)))
                .unwrap()
        }
        async fn ledger_rows(&self, ledger: &SqliteLedger, reference: &str) -> i64 {
            let sql = format!(
                "SELECT count(*) FROM {} WHERE reference = ?1",
                ledger.table()
            );
            ledger
                .read(|db| db.query_row(&sql, [reference], |row| row.get(0)))
                .unwrap()
        }
    }
}
#[cfg(feature = "sqlite")]
pub use sqlite_backend::Sqlite;

/// What the PostgreSQL and MySQL backends ask of their server alike.
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod sql_server {
    use std::time::Duration;

    use pw_runtime::ledger::sqlx::{
        self, Connection, Database, Executor, FromRow, IntoArguments, Pool,
    };

    /// One plain connection to `url`, closed again: its error says why the
    /// server is unreachable, where a pool's says only that it timed out.
    pub async fn probe<C: Connection>(url: &str) -> Result<(), sqlx::Error> {
        match tokio::time::timeout(Duration::from_secs(5), C::connect(url)).await {
            Ok(Ok(conn)) => conn.close().await,
            Ok(Err(err)) => Err(err),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    /// The `count(*)` that `sql` selects with `value` bound to its one
    /// placeholder.
    pub async fn count<DB: Database>(pool: &Pool<DB>, sql: &str, value: &str) -> i64
    where
        for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'r> (i64,): FromRow<'r, DB::Row>,
        for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
        DB::Arguments: IntoArguments<DB>,
    {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_one(pool)
            .await
            .unwrap();
        n
    }
}

#[cfg(feature = "postgres")]
mod postgres_backend {
    use super::*;
    use pw_runtime::ledger::sqlx::postgres::{PgPool, PgPoolOptions};
    use pw_runtime::ledger::sqlx::PgConnection;
    use pw_runtime::ledger::{sqlx, Lease, PostgresLedger};

    pub struct Postgres {
        pub url: String,
        pub schema: String,
        pub admin: PgPool,
    }

    impl Backend for Postgres {
        type L = PostgresLedger;
        async fn setup() -> Option<Self> {
            let url = std::env::var("PW_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
            if let Err(err) = sql_server::probe::<PgConnection>(&url).await {
                return server_unreachable(
                    "PostgreSQL (PW_TEST_POSTGRES_URL)",
                    &url,
                    &err,
                    "service postgresql start",
                );
            }
            let admin = PgPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .unwrap();
            Some(Postgres {
                url,
                schema: unique_name(),
                admin,
            })
        }
        async fn open(&self, lease: Duration) -> PostgresLedger {
            let options = LedgerOptions::new().lease(lease).schema(&self.schema);
            PostgresLedger::connect(&self.url, options).await.unwrap()
        }
        async fn teardown(self) {
            let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .execute(&self.admin)
                .await
                .unwrap();
        }
    }

    impl Postgres {
        /// A ledger like [`Backend::open`]'s whose connections carry the
        /// `application_name` `name`, so that [`Postgres::terminate`] can
        /// find them and no other test's.
        pub async fn open_named(&self, lease: Duration, name: &str) -> PostgresLedger {
            let separator = if self.url.contains('?') { '&' } else { '?' };
            let url = format!("{}{separator}application_name={name}", self.url);
            let options = LedgerOptions::new().lease(lease).schema(&self.schema);
            PostgresLedger::connect(&url, options).await.unwrap()
        }

        /// Ends, from another connection, every server process of the
        /// connections named `name` (as a restart of the server or a
        /// proxy's idle cut would), and waits until they are gone; how
        /// many there were.
        pub async fn terminate(&self, name: &str) -> i64 {
            let kill = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                        WHERE datname = current_database() AND pid <> pg_backend_pid() \
                        AND application_name = $1";
            let killed: i64 = sqlx::query_scalar(kill)
                .bind(name)
                .fetch_one(&self.admin)
                .await
                .unwrap();
            let left = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1";
            for _ in 0..500 {
                if sql_server::count(&self.admin, left, name).await == 0 {
                    return killed;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the connections named {name} outlived pg_terminate_backend");
        }
    }

    impl SqlBackend for Postgres {
        async fn create_grants(&self, ledger: &PostgresLedger) {
            let sql = format!(
                "CREATE TABLE \"{}\".grants (uid TEXT NOT NULL, gems BIGINT NOT NULL)",
                self.schema
            );
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .execute(ledger.pool())
                .await
                .unwrap();
        }
        async fn grant(&self, lease: &mut Lease, uid: &str) {
            let sql = format!("INSERT INTO \"{}\".grants VALUES ($1, 100)", self.schema);
            let conn = lease.postgres().await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(uid)
                .execute(conn)
                .await
                .unwrap();
        }
        async fn grants(&self, ledger: &PostgresLedger, uid: &str) -> i64 {
            let sql = format!(
                "SELECT count(*) FROM \"{}\".grants WHERE uid = $1",
                self.schema
            );
            sql_server::count(ledger.pool(), &sql, uid).await
        }
        async fn ledger_rows(&self, ledger: &PostgresLedger, reference: &str) -> i64 {
            let sql = format!(
                "SELECT count(*) FROM {} WHERE reference = $1",
                ledger.table()
            );
            sql_server::count(ledger.pool(), &sql, reference).await
        }
    }
}
#[cfg(feature = "postgres")]
pub use postgres_backend::Postgres;

#[cfg(feature = "mysql")]
mod mysql_backend {
    use super::*;
    use pw_runtime::ledger::sqlx::mysql::{MySqlPool, MySqlPoolOptions};
    use pw_runtime::ledger::sqlx::MySqlConnection;
    use pw_runtime::ledger::{sqlx, Lease, MySqlLedger};

    /// MySQL / MariaDB: each test on tables of its own prefix.
    pub struct Mysql {
        pub url: String,
        pub prefix: String,
        pub admin: MySqlPool,
    }

    impl Backend for Mysql {
        type L = MySqlLedger;
        async fn setup() -> Option<Self> {
            let url = std::env::var("PW_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned());
            if let Err(err) = sql_server::probe::<MySqlConnection>(&url).await {
                return server_unreachable(
                    "MySQL / MariaDB (PW_TEST_MYSQL_URL)",
                    &url,
                    &err,
                    "service mariadb start",
                );
            }
            let admin = MySqlPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .unwrap();
            Some(Mysql {
                url,
                prefix: format!("{}_", unique_name()),
                admin,
            })
        }
        async fn open(&self, lease: Duration) -> MySqlLedger {
            let options = LedgerOptions::new().lease(lease).prefix(&self.prefix);
            MySqlLedger::connect(&self.url, options).await.unwrap()
        }
        async fn teardown(self) {
            for table in ["ledger", "claims", "quarantine", "grants"] {
                let sql = format!("DROP TABLE IF EXISTS `{}{table}`", self.prefix);
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .execute(&self.admin)
                    .await
                    .unwrap();
            }
        }
    }

    impl SqlBackend for Mysql {
        async fn create_grants(&self, ledger: &MySqlLedger) {
            let sql = format!(
                "CREATE TABLE `{}grants` (uid VARCHAR(64) NOT NULL, gems BIGINT NOT NULL) ENGINE=InnoDB",
                self.prefix
            );
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .execute(ledger.pool())
                .await
                .unwrap();
        }
        async fn grant(&self, lease: &mut Lease, uid: &str) {
            let sql = format!("INSERT INTO `{}grants` VALUES (?, 100)", self.prefix);
            let conn = lease.mysql().await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(uid)
                .execute(conn)
                .await
                .unwrap();
        }
        async fn grants(&self, ledger: &MySqlLedger, uid: &str) -> i64 {
            let sql = format!("SELECT count(*) FROM `{}grants` WHERE uid = ?", self.prefix);
            sql_server::count(ledger.pool(), &sql, uid).await
        }
        async fn ledger_rows(&self, ledger: &MySqlLedger, reference: &str) -> i64 {
            let sql = format!(
                "SELECT count(*) FROM {} WHERE reference = ?",
                ledger.table()
            );
            sql_server::count(ledger.pool(), &sql, reference).await
        }
    }
}
#[cfg(feature = "mysql")]
pub use mysql_backend::Mysql;

#[cfg(feature = "redis")]
#[path = "redis_server.rs"]
mod redis_server;
#[cfg(feature = "redis")]
pub use redis_server::RedisServer;

#[cfg(feature = "redis")]
mod redis_backend {
    use super::*;
    use pw_runtime::ledger::redis_client::{self, aio::MultiplexedConnection};
    use pw_runtime::ledger::RedisLedger;
    use std::sync::Arc;

    /// A Redis with AOF and `appendfsync always`: the test's own server
    /// ([`RedisServer`]), shared by the instances `open` makes.
    pub struct Redis {
        pub url: String,
        pub prefix: String,
        pub admin: MultiplexedConnection,
        pub server: Arc<RedisServer>,
    }

    impl Backend for Redis {
        type L = RedisLedger;
        async fn setup() -> Option<Self> {
            let server = Arc::new(RedisServer::start()?);
            let url = server.url.clone();
            let connected = async {
                let client = redis_client::Client::open(url.as_str())?;
                tokio::time::timeout(
                    Duration::from_secs(5),
                    client.get_multiplexed_async_connection(),
                )
                .await
                .map_err(|_| {
                    redis_client::RedisError::from((
                        redis_client::ErrorKind::Io,
                        "connection timed out",
                    ))
                })?
            };
            match connected.await {
                Ok(admin) => Some(Redis {
                    url,
                    prefix: format!("{}:", unique_name()),
                    admin,
                    server,
                }),
                Err(err) => server_unreachable(
                    "the test's own redis-server",
                    &url,
                    &err,
                    "service redis-server start",
                ),
            }
        }
        async fn open(&self, lease: Duration) -> RedisLedger {
            let options = LedgerOptions::new().lease(lease).prefix(&self.prefix);
            RedisLedger::connect(&self.url, options).await.unwrap()
        }
        async fn teardown(mut self) {
            let keys: Vec<String> = redis_client::cmd("KEYS")
                .arg(format!("{}*", self.prefix))
                .query_async(&mut self.admin)
                .await
                .unwrap();
            if !keys.is_empty() {
                let _: i64 = redis_client::cmd("DEL")
                    .arg(keys)
                    .query_async(&mut self.admin)
                    .await
                    .unwrap();
            }
        }
    }
}
#[cfg(feature = "redis")]
pub use redis_backend::Redis;

/// The SQL backends: the handler writes a `grants` table in the lease's
/// transaction.
pub trait SqlBackend: Backend {
    async fn create_grants(&self, ledger: &Self::L);
    async fn grant(&self, lease: &mut pw_runtime::ledger::Lease, uid: &str);
    async fn grants(&self, ledger: &Self::L, uid: &str) -> i64;
    async fn ledger_rows(&self, ledger: &Self::L, reference: &str) -> i64;
}
