//! The listener with each ledger backend (memory always; `sqlite`,
//! `postgres`, `mysql`, `redis` with their features): exactly-once delivery under
//! duplicates, concurrency, handler failures, crashes and several listener
//! instances, and the SQL backends' exactly-once with the merchant's data.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pw_runtime::ledger::{Claim, Ledger};
use pw_runtime::listener::{Listener, Request};
use pw_runtime::{
    ChargebackReason, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback,
    PingbackType, Reference, Reversal, UniqueRef,
};

#[path = "support/backends.rs"]
mod backends;
use backends::*;
#[path = "support/pingbacks.rs"]
mod pingbacks;
use pingbacks::*;

const SECRET: &str = "3b5949e0c26b87767a4752a276de9570";

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Gems {
    #[pingback(own)]
    campaign: String,
}

/// Where the handler writes its grants, inside the ledger's transaction.
#[derive(Clone)]
enum Grants {
    None,
    #[cfg(feature = "sqlite")]
    Sqlite(String),
    #[cfg(feature = "postgres")]
    Postgres(String),
    #[cfg(feature = "mysql")]
    Mysql(String),
}

/// A chargeback as the handler saw it: `ref`, reason, the original's campaign.
type Chargeback = (String, Option<ChargebackReason>, Option<String>);

#[derive(Default)]
struct State {
    payments: Mutex<HashMap<String, usize>>,
    chargebacks: Mutex<Vec<Chargeback>>,
    failures_left: AtomicUsize,
    fail_after_grant: std::sync::atomic::AtomicBool,
}

#[derive(Clone)]
struct Shop {
    state: Arc<State>,
    delay: Duration,
    grants: Grants,
}

impl Shop {
    fn new() -> Self {
        Shop {
            state: Arc::default(),
            delay: Duration::ZERO,
            grants: Grants::None,
        }
    }

    fn payments(&self, reference: &str) -> usize {
        self.state
            .payments
            .lock()
            .unwrap()
            .get(reference)
            .copied()
            .unwrap_or(0)
    }

    async fn grant(&self, delivery: &mut Delivery<Gems>) -> Result<(), HandlerError> {
        let uid = delivery.envelope().uid.to_owned();
        match &self.grants {
            Grants::None => {}
            #[cfg(feature = "sqlite")]
            Grants::Sqlite(prefix) => {
                let sql = format!("INSERT INTO \"{prefix}grants\" VALUES (?1, 100)");
                let conn = delivery.sqlite().await?;
                conn.execute(&sql, [uid])?;
            }
            #[cfg(feature = "postgres")]
            Grants::Postgres(schema) => {
                let sql = format!("INSERT INTO \"{schema}\".grants VALUES ($1, 100)");
                let conn = delivery.postgres().await?;
                pw_runtime::ledger::sqlx::query(pw_runtime::ledger::sqlx::AssertSqlSafe(
                    sql.as_str(),
                ))
                .bind(uid)
                .execute(conn)
                .await?;
            }
            #[cfg(feature = "mysql")]
            Grants::Mysql(prefix) => {
                let sql = format!("INSERT INTO `{prefix}grants` VALUES (?, 100)");
                let conn = delivery.mysql().await?;
                pw_runtime::ledger::sqlx::query(pw_runtime::ledger::sqlx::AssertSqlSafe(
                    sql.as_str(),
                ))
                .bind(uid)
                .execute(conn)
                .await?;
            }
        }
        Ok(())
    }
}

impl GemsHandler for Shop {
    async fn deliver(&self, payment: &mut Delivery<Gems>, _: Grant) -> Result<(), HandlerError> {
        tokio::time::sleep(self.delay).await;
        self.grant(payment).await?;
        if self.state.fail_after_grant.load(Ordering::SeqCst) {
            return Err(HandlerError::new("failed after granting"));
        }
        let failing =
            self.state
                .failures_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(HandlerError::new("the shop database is down"));
        }
        *self
            .state
            .payments
            .lock()
            .unwrap()
            .entry(payment.reference().to_owned())
            .or_default() += 1;
        Ok(())
    }

    async fn take_back(
        &self,
        chargeback: &mut Delivery<Gems>,
        reversal: Reversal,
        original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        let original = original.map(|o| o.fields::<Gems>().unwrap().campaign);
        self.state.chargebacks.lock().unwrap().push((
            chargeback.reference().to_owned(),
            reversal.reason(),
            original,
        ));
        Ok(())
    }

    async fn notice(&self, _: &mut Delivery<Gems>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn listener<L: Ledger>(shop: Shop, ledger: L) -> Listener<Gems, Shop, L> {
    Listener::builder(SECRET, shop, ledger).build()
}

/// A signed pingback from a Paymentwall address.
fn pingback(reference: &str, kind: u32, campaign: &str) -> Request {
    gems_pingback(SECRET, reference, kind, campaign, "9")
}

// ---------------------------------------------------------------- scenarios

async fn a_duplicate_is_acknowledged_and_not_delivered_again<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop::new();
    let listener = listener(shop.clone(), backend.open(LEASE).await);
    assert_ok(&listener.handle(pingback("d1", 0, "spring")).await);
    assert_ok(&listener.handle(pingback("d1", 0, "spring")).await);
    assert_eq!(shop.payments("d1"), 1);
    backend.teardown().await;
}

async fn concurrent_deliveries_run_the_handler_once<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop {
        delay: Duration::from_millis(100),
        ..Shop::new()
    };
    let listener = Arc::new(listener(shop.clone(), backend.open(LEASE).await));
    let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let listener = Arc::clone(&listener);
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                listener.handle(pingback("c1", 0, "spring")).await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let response = task.await.unwrap();
        if response.is_acknowledgement() {
            ok += 1;
        } else {
            assert_eq!(response.status, 503, "{response:?}");
            assert!(response
                .headers
                .iter()
                .any(|(name, _)| *name == "Retry-After"));
        }
    }
    assert!(ok >= 1);
    assert_eq!(shop.payments("c1"), 1);
    assert_ok(&listener.handle(pingback("c1", 0, "spring")).await);
    assert_eq!(shop.payments("c1"), 1);
    backend.teardown().await;
}

async fn a_failing_handler_gets_500_and_the_retry_runs_it_again<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop::new();
    shop.state.failures_left.store(1, Ordering::SeqCst);
    let ledger = backend.open(LEASE).await;
    let listener = listener(shop.clone(), ledger);
    let failed = listener.handle(pingback("f1", 0, "spring")).await;
    assert_eq!(failed.status, 500);
    assert!(!failed.body.contains("database is down"), "{failed:?}");
    assert_eq!(shop.payments("f1"), 0);
    // Nothing was recorded: the ledger hands out a fresh claim.
    let id = UniqueRef::new("f1", PingbackType::Payment);
    match listener.ledger().claim(&id).await.unwrap() {
        Claim::Fresh(lease) => listener.ledger().release(lease).await.unwrap(),
        other => panic!("expected nothing recorded, got {other:?}"),
    }
    assert_ok(&listener.handle(pingback("f1", 0, "spring")).await);
    assert_eq!(shop.payments("f1"), 1);
    backend.teardown().await;
}

/// A `ref` of [`Reference::MAX_BYTES`] is delivered once and acknowledged
/// again as a duplicate; one byte longer it is refused with 400 naming
/// `ref` and its limit before any ledger sees it: the same answer on every
/// backend (one ledger's insert failing with 500 and another's passing was
/// the alternative). Empty, it is missing.
async fn a_ref_is_taken_up_to_its_limit_and_refused_past_it<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop::new();
    let listener = listener(shop.clone(), backend.open(LEASE).await);
    let longest = "r".repeat(Reference::MAX_BYTES);
    assert_ok(&listener.handle(pingback(&longest, 0, "spring")).await);
    assert_ok(&listener.handle(pingback(&longest, 0, "spring")).await);
    assert_eq!(shop.payments(&longest), 1);
    let payment = listener.ledger().original_payment(&longest).await.unwrap();
    assert_eq!(
        payment.map(|p| p.id().clone()),
        Some(UniqueRef::new(longest.clone(), PingbackType::Payment))
    );
    for reference in [format!("{longest}r"), "x".repeat(4096), String::new()] {
        let refused = listener.handle(pingback(&reference, 0, "spring")).await;
        let says = if reference.is_empty() {
            "missing parameters: ref"
        } else {
            "expected a transaction reference of at most 1,024 bytes"
        };
        assert_eq!(
            refused.status,
            400,
            "{} bytes: {refused:?}",
            reference.len()
        );
        assert!(refused.body.contains(says), "{refused:?}");
        assert_eq!(shop.payments(&reference), 0);
    }
    backend.teardown().await;
}

async fn a_crashed_claim_is_retried_after_its_lease<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop::new();
    let ledger = backend.open(SHORT_LEASE).await;
    // A delivery that claimed the pingback and crashed: its lease is never
    // completed nor released.
    let crashed = match ledger
        .claim(&UniqueRef::new("x1", PingbackType::Payment))
        .await
    {
        Ok(Claim::Fresh(lease)) => lease,
        other => panic!("{other:?}"),
    };
    std::mem::forget(crashed);
    let listener = listener(shop.clone(), ledger);
    let within = listener.handle(pingback("x1", 0, "spring")).await;
    assert_eq!(within.status, 503, "{within:?}");
    assert_eq!(shop.payments("x1"), 0);
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    assert_ok(&listener.handle(pingback("x1", 0, "spring")).await);
    assert_eq!(shop.payments("x1"), 1);
    backend.teardown().await;
}

async fn a_chargeback_receives_the_original_payment<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop::new();
    let listener = listener(shop.clone(), backend.open(LEASE).await);
    assert_ok(&listener.handle(pingback("p1", 0, "spring")).await);
    assert_ok(&listener.handle(pingback("p1", 2, "spring")).await);
    assert_ok(&listener.handle(pingback("unseen", 2, "winter")).await);
    assert_eq!(shop.payments("p1"), 1);
    assert_eq!(
        *shop.state.chargebacks.lock().unwrap(),
        [
            (
                "p1".to_owned(),
                Some(ChargebackReason::CancelledOrder),
                Some("spring".to_owned())
            ),
            (
                "unseen".to_owned(),
                Some(ChargebackReason::CancelledOrder),
                None
            ),
        ]
    );
    backend.teardown().await;
}

async fn two_instances_on_one_ledger_handle_each_pingback_once<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop {
        delay: Duration::from_millis(20),
        ..Shop::new()
    };
    let first = Arc::new(listener(shop.clone(), backend.open(LEASE).await));
    let second = Arc::new(listener(shop.clone(), backend.open(LEASE).await));
    let refs: Vec<String> = (0..25).map(|i| format!("m{i}")).collect();
    let mut tasks = Vec::new();
    for round in 0..2 {
        for reference in &refs {
            for listener in [&first, &second] {
                let listener = Arc::clone(listener);
                let reference = reference.clone();
                tasks.push(tokio::spawn(async move {
                    let _ = round;
                    listener.handle(pingback(&reference, 0, "spring")).await
                }));
            }
        }
    }
    for task in tasks {
        let response = task.await.unwrap();
        assert!(
            response.is_acknowledgement() || response.status == 503,
            "{response:?}"
        );
    }
    for reference in &refs {
        // Whatever was still in progress is acknowledged on a later delivery.
        assert_ok(&first.handle(pingback(reference, 0, "spring")).await);
        assert_eq!(shop.payments(reference), 1, "{reference}");
    }
    backend.teardown().await;
}

/// The handler writes its grant in the ledger's transaction, then fails:
/// neither the grant nor the ledger record remains. Then it succeeds:
/// both are there, once.
async fn grants_commit_and_roll_back_with_the_ledger<B: SqlBackend>(grants: impl Fn(&B) -> Grants) {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    backend.create_grants(&ledger).await;
    let shop = Shop {
        grants: grants(&backend),
        ..Shop::new()
    };
    shop.state.fail_after_grant.store(true, Ordering::SeqCst);
    let listener = listener(shop.clone(), ledger);
    let failed = listener.handle(pingback("g1", 0, "spring")).await;
    assert_eq!(failed.status, 500);
    assert_eq!(backend.grants(listener.ledger(), "user1").await, 0);
    assert_eq!(backend.ledger_rows(listener.ledger(), "g1").await, 0);

    shop.state.fail_after_grant.store(false, Ordering::SeqCst);
    assert_ok(&listener.handle(pingback("g1", 0, "spring")).await);
    assert_ok(&listener.handle(pingback("g1", 0, "spring")).await);
    assert_eq!(backend.grants(listener.ledger(), "user1").await, 1);
    assert_eq!(backend.ledger_rows(listener.ledger(), "g1").await, 1);
    backend.teardown().await;
}

// ---------------------------------------------------------------- runs

macro_rules! against {
    ($backend:ident: $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                super::$scenario::<$backend>().await;
            }
        )*
    };
}

macro_rules! every_scenario {
    ($module:ident, $backend:ident, $short_lease:ident) => {
        mod $module {
            use super::*;
            against!($short_lease: a_crashed_claim_is_retried_after_its_lease);
            against!($backend:
                a_duplicate_is_acknowledged_and_not_delivered_again,
                a_ref_is_taken_up_to_its_limit_and_refused_past_it,
                concurrent_deliveries_run_the_handler_once,
                a_failing_handler_gets_500_and_the_retry_runs_it_again,
                a_chargeback_receives_the_original_payment,
                two_instances_on_one_ledger_handle_each_pingback_once,
            );
        }
    };
}

every_scenario!(memory, Memory, MemoryShort);
every_scenario!(custom, Custom, CustomShort);
#[cfg(feature = "sqlite")]
every_scenario!(sqlite, Sqlite, Sqlite);
#[cfg(feature = "postgres")]
every_scenario!(postgres, Postgres, Postgres);
#[cfg(feature = "mysql")]
every_scenario!(mysql, Mysql, Mysql);
#[cfg(feature = "redis")]
every_scenario!(redis, Redis, Redis);

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_grants_commit_and_roll_back_with_the_ledger() {
    grants_commit_and_roll_back_with_the_ledger::<Sqlite>(|b| Grants::Sqlite(b.prefix.clone()))
        .await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_grants_commit_and_roll_back_with_the_ledger() {
    grants_commit_and_roll_back_with_the_ledger::<Postgres>(|b| Grants::Postgres(b.schema.clone()))
        .await;
}

/// After the server ended the ledger's idle connections (it restarted, or
/// a proxy cut them), the next pingback is acknowledged and delivered once,
/// its grant with it (the lease's transaction): the outage is over, so it must not be answered 503.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pingbacks_after_the_connections_were_ended_are_acknowledged() {
    let Some(backend) = Postgres::setup().await else {
        return;
    };
    let name = unique_name();
    let ledger = backend.open_named(LEASE, &name).await;
    backend.create_grants(&ledger).await;
    let shop = Shop {
        grants: Grants::Postgres(backend.schema.clone()),
        ..Shop::new()
    };
    let listener = listener(shop.clone(), ledger.clone());
    for (n, reference) in ["e1", "e2", "e3"].into_iter().enumerate() {
        // Several pingbacks at once leave several idle connections.
        let (a, b) = tokio::join!(
            listener.handle(pingback(&format!("warm{n}a"), 0, "spring")),
            listener.handle(pingback(&format!("warm{n}b"), 0, "spring")),
        );
        assert_ok(&a);
        assert_ok(&b);
        assert!(backend.terminate(&name).await > 0);
        assert_ok(&listener.handle(pingback(reference, 0, "spring")).await);
        assert_eq!(shop.payments(reference), 1);
        // Every pingback grants to the same user: two to warm up, one after.
        assert_eq!(backend.grants(&ledger, "user1").await, 3 * (n as i64 + 1));
    }
    backend.teardown().await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_grants_commit_and_roll_back_with_the_ledger() {
    grants_commit_and_roll_back_with_the_ledger::<Mysql>(|b| Grants::Mysql(b.prefix.clone())).await;
}

// ---------------------------------------------------------------- response contract

/// Every status of the response contract but 200 and 500 (above), and no
/// secret or expected signature in any body.
#[tokio::test]
async fn each_rejection_has_its_status_and_says_why() {
    let listener = listener(Shop::new(), pw_runtime::ledger::MemoryLedger::new());
    let peer = PAYMENTWALL_IP.parse().unwrap();
    let valid = pingback("r1", 0, "spring");

    let put = listener
        .handle(Request::new("PUT", valid.query.clone(), peer))
        .await;
    assert_eq!(put.status, 405);
    assert!(put.headers.contains(&("Allow", "GET, POST".to_owned())));

    let text = Request::post(valid.query.clone(), peer).header("Content-Type", "text/plain");
    assert_eq!(listener.handle(text).await.status, 415);
    assert_eq!(
        listener
            .handle(Request::post(valid.query.clone(), peer))
            .await
            .status,
        415
    );
    let form = Request::post(valid.query.clone(), peer).header(
        "content-type",
        "application/x-www-form-urlencoded; charset=UTF-8",
    );
    assert_ok(&listener.handle(form).await);

    let huge = format!("{}&pad={}", valid.query, "x".repeat(70 * 1024));
    assert_eq!(listener.handle(Request::get(huge, peer)).await.status, 413);

    let missing = listener
        .handle(Request::get("uid=u&type=0&ref=r2&sig=00", peer))
        .await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("goodsid"), "{missing:?}");

    let pairs = [
        ("uid", "u"),
        ("goodsid", "g"),
        ("type", "x"),
        ("ref", "r3"),
        ("campaign", "c"),
    ];
    let bad_value = signed_query(SECRET, &pairs);
    let ill_typed = listener.handle(Request::get(bad_value, peer)).await;
    assert_eq!(ill_typed.status, 400, "{ill_typed:?}");
    assert!(ill_typed.body.contains("type"), "{ill_typed:?}");

    let sig_start = valid.query.find("sig=").unwrap() + 4;
    let expected_sig = &valid.query[sig_start..];
    let forged =
        format!("{}{}", &valid.query[..sig_start], "0".repeat(32)).replace("ref=r1", "ref=r4");
    let wrong = listener.handle(Request::get(forged, peer)).await;
    assert_eq!(wrong.status, 403, "{wrong:?}");
    assert!(
        !wrong.body.contains(SECRET) && !wrong.body.contains(expected_sig),
        "{wrong:?}"
    );

    let stranger = Request::get(
        pingback("r5", 0, "spring").query,
        "203.0.113.9".parse().unwrap(),
    );
    let refused = listener.handle(stranger).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("203.0.113.9"), "{refused:?}");
}

/// The `tracing` span of a pingback carries `ref`, `type`, `outcome`,
/// `status` and `duration_ms`, and never the secret.
///
/// The subscriber is global (set once for this test binary): a scoped one
/// loses events when other tests register the same call sites at the same
/// time on other threads.
#[tokio::test]
async fn each_pingback_is_traced_without_the_secret() {
    static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    struct Captured;
    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            LOG.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let subscriber = tracing_subscriber::fmt()
        .with_writer(|| Captured)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let listener = listener(Shop::new(), pw_runtime::ledger::MemoryLedger::new());
    assert_ok(&listener.handle(pingback("traced1", 0, "spring")).await);
    assert_ok(&listener.handle(pingback("traced1", 0, "spring")).await);
    let log = String::from_utf8(LOG.lock().unwrap().clone()).unwrap();
    let ours: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("ref=\"traced1\""))
        .collect();
    let ours = ours.join("\n");
    for expected in [
        "type=0",
        "outcome=delivered",
        "outcome=duplicate",
        "status=200",
        "duration_ms=",
    ] {
        assert!(ours.contains(expected), "{expected} not in {ours}");
    }
    assert!(!log.contains(SECRET), "{log}");
}

/// The size of the future of [`Listener::handle`] on ledger `L`, from the
/// types alone (nothing runs).
fn handle_future_size<'a, L: Ledger + 'a, F: std::future::Future + 'a>(
    _: impl Fn(&'a Listener<Gems, Shop, L>) -> F,
) -> usize {
    std::mem::size_of::<F>()
}

/// The future of one request holds no pool future of sqlx inline: sqlx
/// 0.9's pool checkout takes about 8.6 KB, and held at each ledger call
/// (and twice, as an argument and as awaited, in the listener's tracing
/// wrapper) it made the PostgreSQL quickstart's request future 22,976
/// bytes, held per request in flight and copied whole when moved.
#[test]
fn a_request_future_on_a_server_ledger_stays_small() {
    let memory = handle_future_size::<pw_runtime::ledger::MemoryLedger, _>(|listener| {
        listener.handle(pingback("r", 0, "c"))
    });
    let sizes = [
        ("memory", memory),
        #[cfg(feature = "postgres")]
        (
            "postgres",
            handle_future_size::<pw_runtime::ledger::PostgresLedger, _>(|listener| {
                listener.handle(pingback("r", 0, "c"))
            }),
        ),
        #[cfg(feature = "mysql")]
        (
            "mysql",
            handle_future_size::<pw_runtime::ledger::MySqlLedger, _>(|listener| {
                listener.handle(pingback("r", 0, "c"))
            }),
        ),
    ];
    println!("{sizes:?}");
    for (ledger, size) in sizes {
        assert!(
            size <= 4096,
            "the request future on {ledger} is {size} bytes"
        );
    }
}
