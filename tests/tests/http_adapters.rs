//! End to end over real TCP sockets, for each HTTP adapter (axum,
//! actix-web, tower through plain hyper): a server on `127.0.0.1:0`, a real
//! HTTP client (ureq), real signed pingbacks by GET and POST.
//!
//! The scenarios are written once, generic over [`Adapter`], and run for
//! each adapter by the `adapter_tests!` macro at the bottom.

use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::{
    signature, ApiType, Delivery, Grant, HandlerError, Limits, Notice, OriginalPayment, Pingback,
    Reversal, SecretKey, SignatureVersion, SourceCheck,
};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

const SECRET: &str = "e2e-secret-key";
/// One of Paymentwall's documented addresses.
const PAYMENTWALL: &str = "174.36.92.186";
/// An address that is not Paymentwall's (TEST-NET-3).
const STRANGER: &str = "203.0.113.9";
const FORM: &str = "application/x-www-form-urlencoded";

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {
    #[pingback(own)]
    campaign: String,
}

/// Counts deliveries; fails the next one when asked to.
#[derive(Default)]
struct Counter {
    deliveries: AtomicUsize,
    fail_next: AtomicBool,
}

impl PurchaseHandler for Counter {
    async fn deliver(
        &self,
        payment: &mut Delivery<Purchase>,
        _: Grant,
    ) -> Result<(), HandlerError> {
        // Decoded as sent, through every adapter: `+` and `%26` included.
        assert_eq!(payment.campaign, "spring & summer");
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(HandlerError::new("the shop's database is down"));
        }
        self.deliveries.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn take_back(
        &self,
        _: &mut Delivery<Purchase>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }

    async fn notice(&self, _: &mut Delivery<Purchase>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

type TestListener = Listener<Purchase, Counter, MemoryLedger>;

/// Paymentwall's addresses and loopback (the test client's address).
fn loopback_allowed() -> SourceCheck {
    SourceCheck::default().allow("127.0.0.0/8").unwrap()
}

fn listener(check: SourceCheck, limits: Limits) -> Arc<TestListener> {
    Arc::new(
        Listener::<Purchase, _, _>::builder(SECRET, Counter::default(), MemoryLedger::new())
            .source_check(check)
            .limits(limits)
            .build(),
    )
}

/// A signed payment with this reference, signed with `secret`.
fn payment(secret: &str, reference: &str) -> String {
    signature::sign_pingback(
        ApiType::DigitalGoods,
        SignatureVersion::V2,
        &SecretKey::new(secret),
        [
            ("uid", "user 1"),
            ("goodsid", "gems_100"),
            ("slength", ""),
            ("speriod", ""),
            ("type", "0"),
            ("ref", reference),
            ("is_test", "1"),
            ("campaign", "spring & summer"),
        ],
    )
    .unwrap()
}

/// A server of one framework, serving a listener on a loopback socket.
trait Adapter {
    /// Starts serving `listener` at `/pingback` on a new `127.0.0.1:0`
    /// socket, on a thread of its own that runs until the test process
    /// exits, and returns the bound address.
    fn start(listener: Arc<TestListener>) -> SocketAddr;
}

/// A fresh loopback socket, and its address.
fn bind() -> (std::net::TcpListener, SocketAddr) {
    let tcp = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    tcp.set_nonblocking(true).unwrap();
    let addr = tcp.local_addr().unwrap();
    (tcp, addr)
}

/// Runs `serve` on a new thread with a Tokio runtime.
fn on_tokio<F: std::future::Future<Output = ()> + Send + 'static>(
    serve: impl FnOnce() -> F + Send + 'static,
) {
    let (started, ready) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let server = serve();
            started.send(()).unwrap();
            server.await;
        });
    });
    ready.recv().unwrap();
}

struct Axum;

impl Adapter for Axum {
    fn start(listener: Arc<TestListener>) -> SocketAddr {
        let (tcp, addr) = bind();
        on_tokio(move || async move {
            let tcp = tokio::net::TcpListener::from_std(tcp).unwrap();
            let app = pw_runtime::http::axum::router(listener, "/pingback");
            ::axum::serve(tcp, app.into_make_service_with_connect_info::<SocketAddr>())
                .await
                .unwrap();
        });
        addr
    }
}

struct Actix;

impl Adapter for Actix {
    fn start(listener: Arc<TestListener>) -> SocketAddr {
        let (tcp, addr) = bind();
        let (started, ready) = mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    actix_web::App::new().configure(pw_runtime::http::actix::configure(
                        "/pingback",
                        Arc::clone(&listener),
                    ))
                })
                .workers(1)
                .listen(tcp)
                .unwrap()
                .run();
                started.send(()).unwrap();
                server.await.unwrap();
            });
        });
        ready.recv().unwrap();
        addr
    }
}

struct Hyper;

impl Adapter for Hyper {
    fn start(listener: Arc<TestListener>) -> SocketAddr {
        let (tcp, addr) = bind();
        on_tokio(move || async move {
            let tcp = tokio::net::TcpListener::from_std(tcp).unwrap();
            pw_runtime::http::hyper::serve(listener, tcp).await.unwrap();
        });
        addr
    }
}

/// A listener served by adapter `A`, with a client for it.
struct Server {
    addr: SocketAddr,
    url: String,
    listener: Arc<TestListener>,
    agent: ureq::Agent,
}

/// What the server answered.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn ok() -> Self {
        Answer {
            status: 200,
            body: "OK".into(),
        }
    }
}

impl Server {
    fn start<A: Adapter>(check: SourceCheck) -> Self {
        Self::with_limits::<A>(check, Limits::default())
    }

    fn with_limits<A: Adapter>(check: SourceCheck, limits: Limits) -> Self {
        let listener = listener(check, limits);
        let addr = A::start(Arc::clone(&listener));
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Server {
            addr,
            url: format!("http://{addr}/pingback"),
            listener,
            agent,
        }
    }

    fn deliveries(&self) -> usize {
        self.listener.handler().deliveries.load(Ordering::SeqCst)
    }

    fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut response = response.expect("the server answers");
        Answer {
            status: response.status().as_u16(),
            body: response.body_mut().read_to_string().unwrap(),
        }
    }

    fn get(&self, query: &str) -> Answer {
        self.get_from(query, None)
    }

    /// A GET with an `X-Forwarded-For` header.
    fn get_from(&self, query: &str, forwarded_for: Option<&str>) -> Answer {
        let mut request = self.agent.get(format!("{}?{query}", self.url));
        if let Some(value) = forwarded_for {
            request = request.header("X-Forwarded-For", value);
        }
        Self::answer(request.call())
    }

    /// A POST over a raw socket, written on another thread while this one
    /// reads the answer: a server that answers before reading the whole
    /// body (and then closes) breaks the pipe of a client that writes
    /// first, as ureq does.
    fn post_raw(&self, body: &str) -> Answer {
        let addr = self.addr;
        let mut stream = TcpStream::connect(addr).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let request = format!(
            "POST /pingback HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {FORM}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let write = std::thread::spawn(move || {
            // The server may close before it has read everything.
            let _ = writer.write_all(request.as_bytes());
        });
        let mut received = Vec::new();
        let mut chunk = [0; 4096];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        write.join().unwrap();
        let text = String::from_utf8_lossy(&received);
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        Answer {
            status,
            body: body.to_owned(),
        }
    }

    fn post(&self, body: &str) -> Answer {
        Self::answer(
            self.agent
                .post(&self.url)
                .header("Content-Type", FORM)
                .send(body),
        )
    }
}

fn valid_pingback_is_ok_and_delivered_once<A: Adapter>() {
    let server = Server::start::<A>(loopback_allowed());
    let query = payment(SECRET, "get1");
    assert_eq!(server.get(&query), Answer::ok());
    assert_eq!(server.deliveries(), 1);
    assert_eq!(
        server.get(&query),
        Answer::ok(),
        "a duplicate is acknowledged"
    );
    assert_eq!(server.deliveries(), 1, "a duplicate is not delivered again");

    let body = payment(SECRET, "post1");
    assert_eq!(server.post(&body), Answer::ok());
    assert_eq!(server.deliveries(), 2);
    assert_eq!(server.post(&body), Answer::ok());
    assert_eq!(server.deliveries(), 2);
    // The same pingback by the other method is still the same pingback.
    assert_eq!(server.get(&body), Answer::ok());
    assert_eq!(server.deliveries(), 2);
}

fn wrong_signature_is_403<A: Adapter>() {
    let server = Server::start::<A>(loopback_allowed());
    let forged = payment("another-key", "forged1");
    for answer in [server.get(&forged), server.post(&forged)] {
        assert_eq!(answer.status, 403, "{answer:?}");
        assert_ne!(answer.body, "OK");
        assert!(!answer.body.contains(SECRET));
    }
    assert_eq!(server.deliveries(), 0);
}

fn source_not_allowed_is_403<A: Adapter>() {
    // Paymentwall's addresses only: the loopback client is not one.
    let server = Server::start::<A>(SourceCheck::default());
    let query = payment(SECRET, "source1");
    for answer in [server.get(&query), server.post(&query)] {
        assert_eq!(answer.status, 403, "{answer:?}");
        assert!(answer.body.contains("127.0.0.1"), "{answer:?}");
    }
    assert_eq!(server.deliveries(), 0);
}

fn forwarded_for_from_a_trusted_proxy_is_checked<A: Adapter>() {
    // Loopback is a trusted proxy, not an allowed source.
    let check = SourceCheck::default().trust_proxies("127.0.0.1".parse().unwrap());
    let server = Server::start::<A>(check);
    let answer = server.get_from(&payment(SECRET, "xff1"), Some(STRANGER));
    assert_eq!(answer.status, 403, "{answer:?}");
    assert!(answer.body.contains(STRANGER), "{answer:?}");
    assert_eq!(server.deliveries(), 0);
    let answer = server.get_from(&payment(SECRET, "xff1"), Some(PAYMENTWALL));
    assert_eq!(answer, Answer::ok());
    assert_eq!(server.deliveries(), 1);
    // A client-supplied hop left of Paymentwall's is not believed over it.
    let answer = server.get_from(
        &payment(SECRET, "xff2"),
        Some(&format!("{STRANGER}, {PAYMENTWALL}")),
    );
    assert_eq!(answer, Answer::ok());
    let answer = server.get_from(
        &payment(SECRET, "xff3"),
        Some(&format!("{PAYMENTWALL}, {STRANGER}")),
    );
    assert_eq!(answer.status, 403, "{answer:?}");
    assert_eq!(server.deliveries(), 2);
}

fn forwarded_for_from_an_untrusted_peer_is_ignored<A: Adapter>() {
    // No trusted proxy: a header naming Paymentwall does not help loopback.
    let server = Server::start::<A>(SourceCheck::default());
    let answer = server.get_from(&payment(SECRET, "spoof1"), Some(PAYMENTWALL));
    assert_eq!(answer.status, 403, "{answer:?}");
    assert!(answer.body.contains("127.0.0.1"), "{answer:?}");
    assert_eq!(server.deliveries(), 0);
    // ... and a header naming a stranger does not hurt an allowed peer.
    let server = Server::start::<A>(loopback_allowed());
    let answer = server.get_from(&payment(SECRET, "spoof2"), Some(STRANGER));
    assert_eq!(answer, Answer::ok());
    assert_eq!(server.deliveries(), 1);
}

fn oversize_body_is_413<A: Adapter>() {
    let limits = Limits {
        max_bytes: 2048,
        ..Limits::default()
    };
    let server = Server::with_limits::<A>(loopback_allowed(), limits);
    let body_limit = pw_runtime::http::body_limit(&*server.listener);
    assert!(body_limit > limits.max_bytes);
    let valid = payment(SECRET, "big1");
    // Far over: the adapter stops reading at its limit.
    let huge = format!("{valid}&pad={}", "x".repeat(200 * 1024));
    let answer = server.post_raw(&huge);
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(answer.body, "the body is over the limit of 2048 bytes");
    // Just over max_bytes, within the adapter's slack: the listener says so.
    let over = format!("{valid}&pad={}", "x".repeat(limits.max_bytes));
    assert!(over.len() < body_limit, "{} < {body_limit}", over.len());
    let answer = server.post(&over);
    assert_eq!(answer.status, 413, "{answer:?}");
    // A long query string is the listener's to refuse, too.
    let answer = server.get(&over);
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(server.deliveries(), 0);
    // The server still works.
    assert_eq!(server.post(&valid), Answer::ok());
    assert_eq!(server.deliveries(), 1);
}

fn handler_error_is_500_then_a_retry_is_ok<A: Adapter>() {
    let server = Server::start::<A>(loopback_allowed());
    let query = payment(SECRET, "retry1");
    server
        .listener
        .handler()
        .fail_next
        .store(true, Ordering::SeqCst);
    let answer = server.get(&query);
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(
        !answer.body.contains("database"),
        "the handler's error stays in the log"
    );
    assert_eq!(server.deliveries(), 0);
    assert_eq!(server.get(&query), Answer::ok(), "Paymentwall's retry");
    assert_eq!(server.deliveries(), 1);
    assert_eq!(server.get(&query), Answer::ok());
    assert_eq!(server.deliveries(), 1);
}

fn other_methods_and_media_types_are_refused<A: Adapter>() {
    let server = Server::start::<A>(loopback_allowed());
    let query = payment(SECRET, "method1");
    let mut response = server
        .agent
        .put(format!("{}?{query}", server.url))
        .send("")
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("GET, POST")
    );
    assert_ne!(response.body_mut().read_to_string().unwrap(), "OK");
    let answer = Server::answer(
        server
            .agent
            .post(&server.url)
            .header("Content-Type", "application/json")
            .send(query.as_str()),
    );
    assert_eq!(answer.status, 415, "{answer:?}");
    assert_eq!(server.deliveries(), 0);
}

/// The adapter reads the peer from the connection, not from the listener's
/// defaults: what it hands over is 127.0.0.1.
fn the_peer_is_the_connection_s<A: Adapter>() {
    let check = SourceCheck::allowing("127.0.0.1".parse().unwrap());
    let server = Server::start::<A>(check);
    assert_eq!(server.get(&payment(SECRET, "peer1")), Answer::ok());
    assert_eq!(server.post(&payment(SECRET, "peer2")), Answer::ok());
    assert_eq!(server.deliveries(), 2);
}

macro_rules! adapter_tests {
    ($($module:ident => $adapter:ty),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[test]
            fn valid_pingback_is_ok_and_delivered_once() {
                super::valid_pingback_is_ok_and_delivered_once::<$adapter>();
            }

            #[test]
            fn wrong_signature_is_403() {
                super::wrong_signature_is_403::<$adapter>();
            }

            #[test]
            fn source_not_allowed_is_403() {
                super::source_not_allowed_is_403::<$adapter>();
            }

            #[test]
            fn forwarded_for_from_a_trusted_proxy_is_checked() {
                super::forwarded_for_from_a_trusted_proxy_is_checked::<$adapter>();
            }

            #[test]
            fn forwarded_for_from_an_untrusted_peer_is_ignored() {
                super::forwarded_for_from_an_untrusted_peer_is_ignored::<$adapter>();
            }

            #[test]
            fn oversize_body_is_413() {
                super::oversize_body_is_413::<$adapter>();
            }

            #[test]
            fn handler_error_is_500_then_a_retry_is_ok() {
                super::handler_error_is_500_then_a_retry_is_ok::<$adapter>();
            }

            #[test]
            fn other_methods_and_media_types_are_refused() {
                super::other_methods_and_media_types_are_refused::<$adapter>();
            }

            #[test]
            fn the_peer_is_the_connection_s() {
                super::the_peer_is_the_connection_s::<$adapter>();
            }
        }
    )*};
}

adapter_tests! {
    axum => Axum,
    actix => Actix,
    hyper => Hyper,
}
