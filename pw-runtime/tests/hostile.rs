//! Hostile traffic over TCP: slow clients are cut off at the header, body
//! and idle timeouts of `http::hyper`, legitimate pingbacks are answered
//! while a thousand slow clients hold connections, array keys that PHP
//! cannot order are answered, a handler that never returns is cut off at
//! its deadline; and the recipes for axum and actix-web users who serve the
//! router themselves.
//!
//! Timeouts here are short and the bounds generous, so that the tests hold
//! on a loaded machine.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pw_runtime::http::hyper::{serve_service, serve_with_limits, ServerLimits};
use pw_runtime::ledger::{Claim, Ledger, MemoryLedger};
use pw_runtime::listener::Listener;
use pw_runtime::{
    signature, ApiType, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal,
    SecretKey, SignatureVersion, SourceCheck, UniqueRef,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "9c1e6f0b7a2d4e8f3b5a6c7d8e9f0a1b";

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Gems {
    #[pingback(own)]
    campaign: String,
}

/// A handler that counts payments (and reads the campaign), and never returns for the first
/// `hang` payments of `ref` `stuck`.
#[derive(Default)]
struct Shop {
    payments: AtomicUsize,
    hang: AtomicUsize,
}

impl GemsHandler for Arc<Shop> {
    async fn deliver(&self, delivery: &mut Delivery<Gems>, _: Grant) -> Result<(), HandlerError> {
        if delivery.reference() == "stuck"
            && self
                .hang
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            std::future::pending::<()>().await;
        }
        assert_eq!(delivery.campaign, "spring");
        self.payments.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn take_back(
        &self,
        _: &mut Delivery<Gems>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    async fn notice(&self, _: &mut Delivery<Gems>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

type GemsListener = Listener<Gems, Arc<Shop>, MemoryLedger>;

fn listener(shop: &Arc<Shop>, deadline: Duration) -> GemsListener {
    Listener::builder(SECRET, Arc::clone(shop), MemoryLedger::new())
        .source_check(SourceCheck::disabled_for_local_development())
        .handler_deadline(deadline)
        .build()
}

fn signed(reference: &str, extra: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = [
        ("uid", "u1"),
        ("goodsid", "gems"),
        ("slength", ""),
        ("speriod", ""),
        ("type", "0"),
        ("ref", reference),
        ("campaign", "spring"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    pairs.extend_from_slice(extra);
    signature::sign_pingback(
        ApiType::DigitalGoods,
        SignatureVersion::V3,
        &SecretKey::new(SECRET),
        pairs,
    )
    .unwrap()
}

/// Serves `listener` with `limits` on a fresh port.
async fn start(listener: GemsListener, limits: ServerLimits) -> SocketAddr {
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    tokio::spawn(serve_with_limits(listener, tcp, limits));
    addr
}

/// Sends `raw` and reads the whole answer (the request asks the server to
/// close); returns the status code and the body.
async fn exchange(addr: SocketAddr, raw: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 20 s")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

async fn get(addr: SocketAddr, query: &str) -> (u16, String) {
    let raw = format!("GET /pingback?{query} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n");
    exchange(addr, raw.as_bytes()).await
}

/// How long until the server closes `stream`, reading (and dropping)
/// whatever it sends, up to `limit`.
async fn closed_after(stream: &mut TcpStream, started: Instant, limit: Duration) -> Duration {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => panic!("still open after {limit:?}"),
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
        }
    }
}

fn short(header: u64, body: u64, idle: u64) -> ServerLimits {
    ServerLimits {
        header_read_timeout: Duration::from_millis(header),
        body_read_timeout: Duration::from_millis(body),
        idle_timeout: Duration::from_millis(idle),
        ..ServerLimits::default()
    }
}

#[tokio::test]
async fn a_slow_client_is_disconnected_within_the_header_timeout() {
    let shop = Arc::new(Shop::default());
    let addr = start(
        listener(&shop, Duration::from_secs(5)),
        short(400, 10_000, 10_000),
    )
    .await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    // Headers a byte every 50 ms: they would take far longer than the timeout.
    let dripping = async {
        for byte in b"GET /pingback?uid=u HTTP/1.1\r\nHost: shop\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(8), dripping).await;
    let closed = closed_after(&mut stream, started, Duration::from_secs(8)).await;
    assert!(
        closed >= Duration::from_millis(350),
        "closed too early: {closed:?}"
    );
    assert!(
        closed < Duration::from_secs(4),
        "closed after {closed:?}, timeout 400 ms"
    );
}

#[tokio::test]
async fn a_slow_body_is_answered_408_within_the_body_timeout() {
    let shop = Arc::new(Shop::default());
    let addr = start(
        listener(&shop, Duration::from_secs(5)),
        short(10_000, 400, 10_000),
    )
    .await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let query = signed("slow-body", &[]);
    let head = format!(
        "POST /pingback HTTP/1.1\r\nHost: shop\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        query.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    for byte in query.bytes() {
        // A byte every 50 ms, until the server answers.
        if stream.write_all(&[byte]).await.is_err() {
            break;
        }
        let mut buf = [0u8; 512];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf)).await
        {
            answer.extend_from_slice(&buf[..n]);
            break;
        }
    }
    let elapsed = started.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(
        elapsed >= Duration::from_millis(350) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
    assert_eq!(shop.payments.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let shop = Arc::new(Shop::default());
    let limits = short(1_500, 10_000, 400);
    let addr = start(listener(&shop, Duration::from_secs(5)), limits).await;
    // Connected, then silent: the header timeout closes it.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let closed = closed_after(&mut silent, started, Duration::from_secs(8)).await;
    assert!(
        closed >= Duration::from_millis(1_400) && closed < Duration::from_secs(5),
        "{closed:?}"
    );
    // Kept alive after a pingback, then silent: the idle timeout closes it.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    let raw = format!(
        "GET /pingback?{} HTTP/1.1\r\nHost: shop\r\n\r\n",
        signed("idle", &[])
    );
    kept.write_all(raw.as_bytes()).await.unwrap();
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    let answered = Instant::now();
    let closed = closed_after(&mut kept, answered, Duration::from_secs(8)).await;
    assert!(
        closed >= Duration::from_millis(350) && closed < Duration::from_millis(1_400),
        "closed {closed:?} after the answer: idle 400 ms, header 1.5 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pingbacks_are_answered_promptly_while_a_thousand_slow_clients_are_connected() {
    let shop = Arc::new(Shop::default());
    // The default limits (10 s for headers, 1,024 connections): the slow
    // clients stay connected for the whole test.
    let addr = start(
        listener(&shop, Duration::from_secs(5)),
        ServerLimits::default(),
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..1000 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /pingback?uid=").await.unwrap();
        slow.push(stream);
    }
    let mut slowest = Duration::ZERO;
    for i in 0..20 {
        let started = Instant::now();
        let (status, body) = get(addr, &signed(&format!("b{i}"), &[])).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!((status, body.as_str()), (200, "OK"));
    }
    assert_eq!(shop.payments.load(Ordering::SeqCst), 20);
    assert!(
        slowest < Duration::from_secs(2),
        "slowest pingback {slowest:?}"
    );
    // The slow clients are still connected: nothing was answered to them.
    let mut buf = [0u8; 16];
    for stream in slow.iter_mut().take(10) {
        assert!(
            tokio::time::timeout(Duration::from_millis(10), stream.read(&mut buf))
                .await
                .is_err(),
            "a slow client was answered or closed"
        );
    }
}

/// Array keys in integer and text form mixed, more than 32: the order PHP
/// cannot decide for them.
fn mixed_keys(count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            let key = match i % 3 {
                0 => i.to_string(),
                1 => format!("{i}z"),
                _ => format!("{}", i * 7 + 50),
            };
            (format!("ssid[{key}]"), format!("v{i}"))
        })
        .collect()
}

#[tokio::test]
async fn more_than_32_mixed_array_keys_are_answered_never_dropped() {
    let shop = Arc::new(Shop::default());
    let addr = start(
        listener(&shop, Duration::from_secs(5)),
        ServerLimits::default(),
    )
    .await;
    let unsigned: String = mixed_keys(40)
        .iter()
        .map(|(name, value)| format!("{name}={value}&"))
        .collect();
    let (status, _) = get(addr, &unsigned).await;
    assert_eq!(status, 400, "unsigned: missing parameters");
    let (status, body) = get(addr, &signed("mixed", &mixed_keys(40))).await;
    assert_eq!((status, body.as_str()), (200, "OK"), "signed and accepted");
    let mut tampered = signed("mixed2", &mixed_keys(40));
    tampered = tampered.replacen("v3", "v4", 1);
    let (status, _) = get(addr, &tampered).await;
    assert_eq!(status, 403);
    assert_eq!(shop.payments.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_handler_that_never_returns_is_cut_off_at_the_deadline_and_its_ref_delivered_later() {
    let shop = Arc::new(Shop {
        hang: AtomicUsize::new(1),
        ..Shop::default()
    });
    let listener = Arc::new(listener(&shop, Duration::from_millis(300)));
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    tokio::spawn(serve_with_limits(
        Arc::clone(&listener),
        tcp,
        ServerLimits::default(),
    ));
    let query = signed("stuck", &[]);
    let started = Instant::now();
    let (status, body) = get(addr, &query).await;
    let elapsed = started.elapsed();
    assert_eq!(status, 500, "{body}");
    assert!(
        elapsed >= Duration::from_millis(280) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
    assert_eq!(shop.payments.load(Ordering::SeqCst), 0);
    // The claim was released: the retry is delivered.
    let id = UniqueRef::new("stuck", pw_runtime::PingbackType::Payment);
    let (status, body) = get(addr, &query).await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    assert_eq!(shop.payments.load(Ordering::SeqCst), 1);
    assert!(matches!(
        listener.ledger().claim(&id).await.unwrap(),
        Claim::AlreadyDone
    ));
}

/// The axum recipe, part one: the router served by `serve_service` gets
/// every limit, and axum's `ConnectInfo`.
#[tokio::test]
async fn an_axum_router_served_with_the_limits() {
    let shop = Arc::new(Shop::default());
    let app = pw_runtime::http::axum::router(listener(&shop, Duration::from_secs(5)), "/pingback")
        .route("/health", axum::routing::get(|| async { "up" }));
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    tokio::spawn(serve_service(app, tcp, short(400, 400, 400)));
    assert_eq!(get(addr, &signed("axum", &[])).await, (200, "OK".into()));
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHo").await.unwrap();
    let started = Instant::now();
    let closed = closed_after(&mut slow, started, Duration::from_secs(8)).await;
    assert!(closed < Duration::from_secs(4), "{closed:?}");
}

/// The axum recipe, part two, for `axum::serve`: tower-http's timeouts on
/// the router bound the body and the whole request (axum::serve itself has
/// no header-read timeout; serve through `serve_service` for that).
#[tokio::test]
async fn the_axum_serve_recipe_cuts_a_slow_body() {
    use std::net::SocketAddr;
    use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
    let shop = Arc::new(Shop::default());
    let app = pw_runtime::http::axum::router(listener(&shop, Duration::from_secs(5)), "/pingback")
        .layer(RequestBodyTimeoutLayer::new(Duration::from_millis(300)))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(6),
        ));
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(tcp, app.into_make_service_with_connect_info::<SocketAddr>()).await
    });
    assert_eq!(
        get(addr, &signed("axum-serve", &[])).await,
        (200, "OK".into())
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = "POST /pingback HTTP/1.1\r\nHost: shop\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuid=";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(8), stream.read(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// The actix-web recipe: its own request-head timeout, keep-alive and
/// connection cap on the `HttpServer`.
#[test]
fn the_actix_recipe_disconnects_a_slow_client() {
    let shop = Arc::new(Shop::default());
    let listener = listener(&shop, Duration::from_secs(5));
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let listener = Arc::new(listener);
    let system = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                let listener = Arc::clone(&listener);
                actix_web::App::new()
                    .configure(pw_runtime::http::actix::configure("/pingback", listener))
            })
            .workers(1)
            .client_request_timeout(Duration::from_millis(400))
            .client_disconnect_timeout(Duration::from_millis(400))
            .keep_alive(Duration::from_millis(400))
            .max_connections(1024)
            .listen(std_listener)
            .unwrap()
            .run();
            let _ = server.await;
        })
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(get(addr, &signed("actix", &[])).await, (200, "OK".into()));
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /pingback HTTP/1.1\r\nHo")
            .await
            .unwrap();
        let started = Instant::now();
        let closed = closed_after(&mut slow, started, Duration::from_secs(8)).await;
        assert!(closed < Duration::from_secs(4), "{closed:?}");
    });
    drop(system); // the server thread ends with the test process
}
