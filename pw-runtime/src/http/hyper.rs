//! Plain hyper 1 (feature `hyper`): [`serve`] a listener on a Tokio TCP
//! listener, HTTP/1.1 with keep-alive, through the `tower` adapter's
//! [`PingbackService`].
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
//! What `serve` does for each connection, to write by hand (with a router
//! of your own, HTTP/2, TLS, graceful shutdown, ...):
//!
//! ```no_run
//! use hyper::server::conn::http1;
//! use hyper_util::rt::TokioIo;
//! use pw_runtime::http::tower::{PeerAddr, PingbackService};
//! use tower_service::Service;
//! # use pw_runtime::http::Endpoint;
//! # use pw_runtime::listener::{Request, Response};
//! # struct Yes;
//! # impl Endpoint for Yes {
//! #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
//! #     async fn handle(&self, _: Request) -> Response { Response::ok() }
//! # }
//!
//! # async fn run(listener: Yes) -> std::io::Result<()> {
//! let service = PingbackService::new(listener);
//! let tcp = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! loop {
//!     let (stream, peer) = tcp.accept().await?;
//!     let service = service.clone();
//!     tokio::spawn(async move {
//!         let per_request = hyper::service::service_fn(move |mut request| {
//!             request.extensions_mut().insert(PeerAddr(peer));
//!             service.clone().call(request)
//!         });
//!         let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), per_request).await;
//!     });
//! }
//! # }
//! ```

use super::tower::{PeerAddr, PingbackService};
use super::Endpoint;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tower_service::Service;

/// Serves `listener` on every connection `tcp` accepts, for every path,
/// until the task is dropped; it returns only if accepting fails for good.
/// Each request carries the connection's [`PeerAddr`].
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
    let service = PingbackService::new(listener);
    loop {
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
            let per_request = hyper::service::service_fn(move |mut request| {
                request.extensions_mut().insert(PeerAddr(peer));
                service.clone().call(request)
            });
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), per_request)
                .await
            {
                tracing::debug!(%error, %peer, "connection closed with an error");
            }
        });
    }
}
