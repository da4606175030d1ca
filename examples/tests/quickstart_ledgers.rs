//! The quickstart on each ledger its URL can choose, and two instances
//! behind one address sharing PostgreSQL.
//!
//! PostgreSQL at `PW_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and MySQL / MariaDB at
//! `PW_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`), each
//! test under a table prefix of its own; Redis: a `redis-server` with AOF
//! that the test starts on a free loopback port
//! (`pw-runtime/tests/support/redis_server.rs`). An unreachable server fails
//! its test under `CI=true` and skips it with one line otherwise.

use pw_examples::quickstart::{self, LedgerUrl, Server, Settings};
use pw_runtime::ledger::sqlx::{self, Connection};
use pw_runtime::SecretKey;

#[path = "../../pw-runtime/tests/support/redis_server.rs"]
mod redis_server;
use redis_server::RedisServer;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------- helpers

/// A name no other test (in this run or an earlier one) uses.
fn unique(stem: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{stem}{}_{nanos}_{count}_", std::process::id())
}

fn postgres_url() -> String {
    std::env::var("PW_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn mysql_url() -> String {
    std::env::var("PW_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// An unreachable server: a failure under `CI=true`, one line otherwise.
fn unreachable(server: &str, url: &str, error: &dyn std::fmt::Display) -> bool {
    let message = format!(
        "{server} at {url} is unreachable ({error}); start it or point PW_TEST_{}_URL at one",
        server.to_uppercase()
    );
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{message}");
    }
    eprintln!("notice: skipping this test: {message}");
    true
}

async fn postgres_reachable() -> bool {
    let url = postgres_url();
    match sqlx::PgConnection::connect(&url).await {
        Ok(conn) => {
            let _ = conn.close().await;
            true
        }
        Err(error) => !unreachable("postgres", &url, &error),
    }
}

async fn mysql_reachable() -> bool {
    let url = mysql_url();
    match tokio::time::timeout(Duration::from_secs(5), sqlx::MySqlConnection::connect(&url)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            true
        }
        Ok(Err(error)) => !unreachable("mysql", &url, &error),
        Err(_) => !unreachable("mysql", &url, &"no answer in 5 s"),
    }
}

/// Drops the tables of `prefix` in the MySQL test database.
async fn drop_mysql_tables(prefix: &str) {
    let mut conn = sqlx::MySqlConnection::connect(&mysql_url()).await.unwrap();
    for table in ["ledger", "claims", "quarantine", "grants"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS `{prefix}{table}`"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

/// Drops the tables of `prefix` in the test database.
async fn drop_postgres_tables(prefix: &str) {
    let mut conn = sqlx::PgConnection::connect(&postgres_url()).await.unwrap();
    for table in ["ledger", "claims", "quarantine", "grants"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS \"{prefix}{table}\""
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

/// A SQLite file path of its own in the temporary directory, removed (with
/// its WAL files) on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new() -> Self {
        TempFile(std::env::temp_dir().join(unique("pw-quickstart-ledgers-") + ".db"))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", ".lock"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Development settings on `127.0.0.1:0` with this ledger and prefix.
fn settings(ledger: &str, prefix: &str) -> Settings {
    let mut settings = Settings::development("127.0.0.1:0".parse().unwrap(), "unused.db".into());
    settings.ledger = ledger.parse().unwrap();
    settings.prefix = prefix.to_owned();
    settings
}

/// One GET of `path_and_query` on a new connection: the status and body.
async fn get(addr: SocketAddr, path_and_query: String) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

/// The signed test payment of `reference`, as a path and query.
fn payment(reference: &str) -> String {
    let key = SecretKey::new(quickstart::DEVELOPMENT_KEY);
    format!(
        "{}?{}",
        quickstart::PATH,
        quickstart::signed_test_payment(&key, reference)
    )
}

/// The signed chargeback of the test payment of `reference`.
fn chargeback(reference: &str) -> String {
    let key = SecretKey::new(quickstart::DEVELOPMENT_KEY);
    let pairs: Vec<(&str, String)> = quickstart::test_payment(reference)
        .into_iter()
        .map(|(name, value)| match name {
            "type" => (name, "2".to_owned()),
            _ => (name, value),
        })
        .chain([("reason", "2".to_owned())])
        .collect();
    let query = pw_runtime::signature::sign_pingback(
        pw_runtime::ApiType::DigitalGoods,
        pw_runtime::SignatureVersion::V2,
        &key,
        pairs.iter().map(|(name, value)| (*name, value.as_str())),
    )
    .unwrap();
    format!("{}?{query}", quickstart::PATH)
}

/// A payment granted once however often it is sent, and revoked once by
/// its chargeback, on `server`.
async fn grants_once_and_revokes(server: &Server) {
    let reference = unique("r");
    for _ in 0..3 {
        assert_eq!(
            get(server.addr, payment(&reference)).await,
            (200, "OK".into())
        );
    }
    assert_eq!(server.shop.grants().await.unwrap(), 1);
    assert_eq!(server.shop.revoked().await.unwrap(), 0);
    for _ in 0..2 {
        assert_eq!(
            get(server.addr, chargeback(&reference)).await,
            (200, "OK".into())
        );
    }
    assert_eq!(server.shop.grants().await.unwrap(), 1);
    assert_eq!(server.shop.revoked().await.unwrap(), 1);
}

// ---------------------------------------------------------- URL selection

fn from_vars(vars: &[(&str, &str)]) -> Result<Settings, String> {
    Settings::from_vars(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

#[test]
fn the_ledger_url_selects_the_backend_by_scheme() {
    let default = from_vars(&[]).unwrap();
    assert_eq!(
        default.ledger,
        LedgerUrl::Sqlite("pw-quickstart.db".into()),
        "no PW_LEDGER_URL: SQLite in the current directory"
    );
    assert_eq!(default.prefix, "pw_");
    let cases = [
        ("sqlite:shop.db", "sqlite"),
        ("sqlite:///var/lib/pw/shop.db", "sqlite"),
        ("postgres://postgres@127.0.0.1:5432/test", "postgres"),
        ("postgresql://shop:secret@db/shop", "postgres"),
        ("mysql://root@127.0.0.1:3306/test", "mysql"),
        ("mariadb://shop:secret@db/shop", "mysql"),
        ("redis://127.0.0.1:6379", "redis"),
        ("rediss://:secret@cache.example:6380/0", "redis"),
    ];
    for (url, backend) in cases {
        let settings = from_vars(&[("PW_LEDGER_URL", url)]).unwrap();
        assert_eq!(settings.ledger.backend(), backend, "{url}");
    }
}

#[test]
fn an_unknown_scheme_or_a_bare_path_is_a_clear_error() {
    let error = from_vars(&[("PW_LEDGER_URL", "mongodb://u:hunter2@127.0.0.1/x")]).unwrap_err();
    assert!(
        error.starts_with("PW_LEDGER_URL: ") && error.contains("unknown scheme `mongodb`"),
        "{error}"
    );
    assert!(error.contains(
        "sqlite:PATH, postgres://USER@HOST/DATABASE, mysql://USER@HOST/DATABASE or redis://HOST:PORT"
    ));
    assert!(!error.contains("hunter2"), "the password is in: {error}");

    let error = from_vars(&[("PW_LEDGER_URL", "shop.db")]).unwrap_err();
    assert!(error.contains("use sqlite:shop.db"), "{error}");

    let error = from_vars(&[("PW_LEDGER_URL", "mysql:root:hunter2@127.0.0.1/test")]).unwrap_err();
    assert!(error.contains("with `//`"), "{error}");
    assert!(!error.contains("hunter2"), "the password is in: {error}");

    let error = from_vars(&[("PW_DATABASE", "old.db")]).unwrap_err();
    assert_eq!(
        error,
        "PW_DATABASE is now PW_LEDGER_URL, a URL: PW_LEDGER_URL=sqlite:old.db"
    );
}

#[test]
fn the_other_settings_parse_and_their_mistakes_are_named() {
    let settings = from_vars(&[
        ("PW_LEDGER_PREFIX", "shop1_"),
        ("PW_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7"),
        ("PW_HANDLER_DELAY_MS", "2000"),
    ])
    .unwrap();
    assert_eq!(settings.prefix, "shop1_");
    assert!(settings
        .trusted_proxies
        .contains("10.1.2.3".parse().unwrap()));
    assert_eq!(settings.handler_delay, Duration::from_secs(2));
    assert_eq!(from_vars(&[]).unwrap().handler_delay, Duration::ZERO);
    let error = from_vars(&[("PW_HANDLER_DELAY_MS", "2s")]).unwrap_err();
    assert!(error.contains("PW_HANDLER_DELAY_MS=2s"), "{error}");
    let error = from_vars(&[("PW_TRUSTED_PROXIES", "10.0.0.0/33")]).unwrap_err();
    assert!(error.starts_with("PW_TRUSTED_PROXIES: "), "{error}");
}

// ------------------------------------------------------ each backend runs

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_runs_on_sqlite() {
    let file = TempFile::new();
    let url = format!("sqlite:{}", file.0.display());
    let server = quickstart::start(&settings(&url, "pw_")).await.unwrap();
    grants_once_and_revokes(&server).await;
    server.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_runs_on_postgres() {
    if !postgres_reachable().await {
        return;
    }
    let prefix = unique("pwq");
    let server = quickstart::start(&settings(&postgres_url(), &prefix))
        .await
        .unwrap();
    grants_once_and_revokes(&server).await;
    server.task.abort();
    drop_postgres_tables(&prefix).await;
}

/// On a Redis of its own with the persistence the ledger requires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_runs_on_mysql() {
    if !mysql_reachable().await {
        return;
    }
    let prefix = unique("pwq");
    let server = quickstart::start(&settings(&mysql_url(), &prefix))
        .await
        .unwrap();
    grants_once_and_revokes(&server).await;
    server.task.abort();
    drop_mysql_tables(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_runs_on_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let prefix = unique("pwq");
    let server = quickstart::start(&settings(&redis.url, &prefix))
        .await
        .unwrap();
    grants_once_and_revokes(&server).await;
    server.task.abort();
}

/// The machine's Redis has no persistence: the quickstart refuses to start
/// on it and says what to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_refuses_a_redis_that_can_lose_writes() {
    let Some(redis) = RedisServer::start_with(&["--appendonly", "no"]) else {
        return;
    };
    let error = match quickstart::start(&settings(&redis.url, "pw_")).await {
        Ok(_) => panic!("the quickstart started on a Redis without AOF"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("appendonly yes"), "{error}");
    assert!(error.contains("appendfsync always"), "{error}");
}

#[tokio::test]
async fn a_ledger_that_cannot_be_opened_is_named_in_the_error() {
    let url = "sqlite:/nonexistent-pw-directory/shop.db";
    let error = match quickstart::start(&settings(url, "pw_")).await {
        Ok(_) => panic!("a ledger in a missing directory opened"),
        Err(error) => error.to_string(),
    };
    assert!(error.starts_with(&format!("the ledger {url}: ")), "{error}");
}

// ------------------------------------- two instances behind one address

/// Two quickstart instances on one PostgreSQL database behind one
/// balancing address: the same pingback, sent to both instances and to the
/// address, concurrently and again and again, grants once; other
/// pingbacks sent to the address are each granted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_one_address_sharing_postgres_grant_once() {
    if !postgres_reachable().await {
        return;
    }
    let prefix = unique("pwq");
    let mut settings = settings(&postgres_url(), &prefix);
    // Long enough that concurrent deliveries of one pingback overlap.
    settings.handler_delay = Duration::from_millis(300);
    let (a, b) = tokio::join!(quickstart::start(&settings), quickstart::start(&settings));
    let (a, b) = (a.unwrap(), b.unwrap());
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = front.local_addr().unwrap();
    let balancer = tokio::spawn(pw_examples::balance::run(front, vec![a.addr, b.addr]));

    let reference = unique("same");
    let query = payment(&reference);
    let mut in_progress = 0;
    for round in 0..4 {
        let targets = [
            address, a.addr, b.addr, address, a.addr, b.addr, address, address,
        ];
        let answers = concurrently(targets.iter().map(|&target| get(target, query.clone()))).await;
        for answer in answers {
            match answer {
                (200, body) if body == "OK" => {}
                (503, body) if body.contains("in progress") => in_progress += 1,
                other => panic!("round {round}: {other:?}"),
            }
        }
    }
    assert!(
        in_progress > 0,
        "no delivery overlapped another: the test did not test concurrency"
    );
    // Once the first delivery is done, every instance answers OK.
    for target in [address, a.addr, b.addr, address] {
        assert_eq!(get(target, query.clone()).await, (200, "OK".into()));
    }
    assert_eq!(a.shop.grants().await.unwrap(), 1);
    assert_eq!(b.shop.grants().await.unwrap(), 1, "one table for both");

    // Other pingbacks through the address: each granted once.
    let others: Vec<String> = (0..12)
        .map(|i| payment(&format!("{reference}_{i}")))
        .collect();
    let answers = concurrently(others.into_iter().map(|query| get(address, query))).await;
    assert!(
        answers.iter().all(|answer| *answer == (200, "OK".into())),
        "{answers:?}"
    );
    assert_eq!(a.shop.grants().await.unwrap(), 13);

    balancer.abort();
    a.task.abort();
    b.task.abort();
    drop_postgres_tables(&prefix).await;
}

/// Runs the futures concurrently on the runtime; their outputs in order.
async fn concurrently<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.unwrap());
    }
    outputs
}
