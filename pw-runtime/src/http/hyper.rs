//! Plain hyper 1 (feature `hyper`): [`serve`] a listener on a Tokio TCP
//! listener, HTTP/1.1 with keep-alive, through the `tower` adapter's
//! [`PingbackService`], with the time and connection limits a public
//! endpoint needs ([`ServerLimits`], on by default).
//!
//! ```no_run
//! use pw_runtime::ledger::MemoryLedger;
//! use pw_runtime::listener::Listener;
//! use pw_runtime::{http, Pingback};
//! # use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Reversal};
//!
//! #[derive(Pingback)]
//! #[pingback(api = "cart")]
//! struct Order {}
//! # struct Shop;
//! # impl OrderHandler for Shop {
//! #     async fn deliver(&self, _: &mut Delivery<Order>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
//! #     async fn take_back(&self, _: &mut Delivery<Order>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
//! #     async fn notice(&self, _: &mut Delivery<Order>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
//! # }
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = Listener::<Order, _, _>::builder("secret", Shop, MemoryLedger::new()).build();
//! let tcp = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! http::hyper::serve(listener, tcp).await // every path; route in front of it if needed
//! # }
//! ```
//!
//! To serve a router of your own (an axum `Router`, any `tower::Service`)
//! with the same limits, use [`serve_service`]: the quickstart serves its
//! axum router that way.
//!
//! # Limits
//!
//! | limit | default | past it |
//! |---|---|---|
//! | [`header_read_timeout`](ServerLimits::header_read_timeout) | 10 s | the connection is closed |
//! | [`body_read_timeout`](ServerLimits::body_read_timeout) | 10 s | 408, and the connection is closed |
//! | [`idle_timeout`](ServerLimits::idle_timeout) | 5 s | the connection is closed |
//! | [`max_connections`](ServerLimits::max_connections) | 1,024 | new connections wait in the kernel's backlog |
//!
//! The time a handler may take is the listener's
//! ([`ListenerBuilder::handler_deadline`](crate::listener::ListenerBuilder::handler_deadline)).

pub use super::timed_body::{BodyReadTimeout, TimedBody};
use super::tower::{PeerAddr, PingbackService};
use super::Endpoint;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::error::Error;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower_service::Service;

/// The time and connection limits of [`serve`] and [`serve_service`].
///
/// ```
/// use pw_runtime::http::hyper::ServerLimits;
/// use std::time::Duration;
///
/// let limits = ServerLimits::default();
/// assert_eq!(limits.header_read_timeout, Duration::from_secs(10));
/// assert_eq!(limits.body_read_timeout, Duration::from_secs(10));
/// assert_eq!(limits.idle_timeout, Duration::from_secs(5));
/// assert_eq!(limits.max_connections, 1024);
/// let busy = ServerLimits { max_connections: 10_000, ..ServerLimits::default() };
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// How long a client may take to send a request's headers, from the
    /// moment the server waits for them (default 10 s). A client that sends
    /// them a byte at a time is disconnected.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body, from the end of
    /// its headers (default 10 s); past it the request is answered 408.
    pub body_read_timeout: Duration,
    /// How long a kept-alive connection may stay open with no request in
    /// progress after its last response (default 5 s). Before its first
    /// request, the header-read timeout bounds the wait.
    pub idle_timeout: Duration,
    /// The most connections served at once (default 1,024); more wait in
    /// the kernel's backlog until one closes. Keep it below the process's
    /// file limit (`ulimit -n`), with room for the ledger's own files and
    /// sockets.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            max_connections: 1024,
        }
    }
}

/// Serves `listener` on every connection `tcp` accepts, for every path,
/// with the default [`ServerLimits`], until the task is dropped. Each
/// request carries the connection's [`PeerAddr`].
///
/// A failed accept (such as too many open files) is logged and retried
/// after 100 ms; a failed connection is logged at `debug` and closed.
///
/// # Errors
///
/// None in practice: the loop runs until the task is dropped. The
/// `io::Result` leaves room for a future graceful stop.
///
/// ```no_run
/// # use pw_runtime::http::Endpoint;
/// # use pw_runtime::listener::{Request, Response};
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// # async fn run(listener: Yes) -> std::io::Result<()> {
/// let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// println!("listening on http://{}/", tcp.local_addr()?);
/// let server = tokio::spawn(pw_runtime::http::hyper::serve(listener, tcp));
/// // ...
/// server.abort();
/// # Ok(()) }
/// ```
pub async fn serve<E: Endpoint>(listener: E, tcp: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_with_limits(listener, tcp, ServerLimits::default()).await
}

/// [`serve`] with other limits.
///
/// # Errors
///
/// As [`serve`]: none in practice.
///
/// ```no_run
/// # use pw_runtime::http::Endpoint;
/// # use pw_runtime::listener::{Request, Response};
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// use pw_runtime::http::hyper::{serve_with_limits, ServerLimits};
/// # async fn run(listener: Yes) -> std::io::Result<()> {
/// let tcp = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let limits = ServerLimits { max_connections: 4096, ..ServerLimits::default() };
/// serve_with_limits(listener, tcp, limits).await
/// # }
/// ```
pub async fn serve_with_limits<E: Endpoint>(
    listener: E,
    tcp: tokio::net::TcpListener,
    limits: ServerLimits,
) -> std::io::Result<()> {
    serve_service(PingbackService::new(listener), tcp, limits).await
}

/// Serves `service` (an axum `Router`, a [`PingbackService`], any
/// `tower::Service` of `http::Request<TimedBody>`) on every connection
/// `tcp` accepts, with `limits`, until the task is dropped.
///
/// Each request carries the connection's [`PeerAddr`] and, with the `axum`
/// feature, axum's `ConnectInfo<SocketAddr>`, so a router built with
/// [`http::axum`](super::axum) needs nothing more. The service is cloned
/// for each request.
///
/// # Errors
///
/// As [`serve`]: none in practice.
///
/// ```no_run
/// # #[cfg(feature = "axum")]
/// # async fn run(listener: impl pw_runtime::http::Endpoint) -> std::io::Result<()> {
/// use pw_runtime::http::hyper::{serve_service, ServerLimits};
/// let app = pw_runtime::http::axum::router(listener, "/pingback")
///     .route("/health", axum::routing::get(|| async { "ok" }));
/// let tcp = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// serve_service(app, tcp, ServerLimits::default()).await
/// # }
/// ```
pub async fn serve_service<S, B>(
    service: S,
    tcp: tokio::net::TcpListener,
    limits: ServerLimits,
) -> std::io::Result<()>
where
    S: Service<http::Request<TimedBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn Error + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return Ok(()); // closed: never, as no one else holds it
        };
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = service.clone();
        tokio::spawn(async move {
            connection(stream, peer, service, limits).await;
            drop(slot);
        });
    }
}

/// Serves one connection until it closes, the client is too slow, or it
/// stays idle for [`ServerLimits::idle_timeout`] after a response.
async fn connection<S, B>(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    service: S,
    limits: ServerLimits,
) where
    S: Service<http::Request<TimedBody>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn Error + Send + Sync>>,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let activity = Arc::new(Activity::new());
    let requests = Arc::clone(&activity);
    let per_request =
        hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let busy = requests.busy();
            let mut service = service.clone();
            let (mut parts, body) = request.into_parts();
            parts.extensions.insert(PeerAddr(peer));
            #[cfg(feature = "axum")]
            parts.extensions.insert(axum::extract::ConnectInfo(peer));
            let request =
                http::Request::from_parts(parts, TimedBody::new(body, limits.body_read_timeout));
            async move {
                std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
                let response = service.call(request).await;
                drop(busy);
                response
            }
        });
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), per_request);
    tokio::pin!(served);
    let result = tokio::select! {
        result = served.as_mut() => result,
        () = activity.idle_for(limits.idle_timeout) => {
            // Idle: close it (a request that starts meanwhile is answered first).
            served.as_mut().graceful_shutdown();
            served.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, %peer, "connection closed with an error");
    }
}

/// Whether a connection has a request in progress, and since when it has
/// none. Until its first request ends, the header-read timeout alone
/// bounds the wait.
struct Activity {
    in_progress: AtomicUsize,
    idle_since: Mutex<Option<Instant>>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            in_progress: AtomicUsize::new(0),
            idle_since: Mutex::new(None),
        }
    }

    /// Marks a request in progress until the guard is dropped.
    fn busy(self: &Arc<Self>) -> Busy {
        self.in_progress.fetch_add(1, Ordering::SeqCst);
        Busy(Arc::clone(self))
    }

    fn idle_since(&self) -> Option<Instant> {
        *self
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns once no request has been in progress for `timeout` since
    /// the last one ended.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let idle = self.in_progress.load(Ordering::SeqCst) == 0;
            match self.idle_since() {
                Some(since) if idle && since.elapsed() >= timeout => return,
                Some(since) if idle => tokio::time::sleep_until(since + timeout).await,
                _ => tokio::time::sleep(timeout).await,
            }
        }
    }
}

/// A request in progress on a connection.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        *self
            .0
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
        self.0.in_progress.fetch_sub(1, Ordering::SeqCst);
    }
}
