//! HTTP framework adapters: thin translations between a framework's
//! request and response and the listener's [`Request`] and [`Response`].
//!
//! | adapter | feature | mount it with | the peer address comes from |
//! |---|---|---|---|
//! | `http::axum` | `axum` | `http::axum::router(listener, "/pingback")` or `.route("/pingback", http::axum::pingback(listener))` | `ConnectInfo<SocketAddr>` (serve with `into_make_service_with_connect_info::<SocketAddr>()`) |
//! | `http::actix` | `actix` | `App::new().configure(http::actix::configure("/pingback", listener))` | `HttpRequest::peer_addr()` |
//! | `http::tower` | `tower` | `http::tower::PingbackService::new(listener)`, a `tower::Service` | the `http::tower::PeerAddr` extension the server inserts per connection |
//! | `http::hyper` | `hyper` | `http::hyper::serve(listener, tcp_listener).await` (plain hyper 1) | the accepted connection |
//!
//! Every adapter does the same, and nothing else: it reads the body with a
//! limit of [`body_limit`] (the verifier's [`Limits::max_bytes`] plus
//! [`BODY_SLACK`]; a longer body is answered 413 without being read to its
//! end), builds a [`Request`] from the method, the query string, the
//! headers and the peer address of the connection, hands it to the
//! listener, and writes the [`Response`] back. Every decision (which
//! method, which content type, which source, what status) is the
//! listener's; see the response contract in [`crate::listener`].
//!
//! An adapter serves anything that implements [`Endpoint`], which every
//! [`Listener`] does.
//!
//! ```
//! use pw_runtime::http::{body_limit, Endpoint, BODY_SLACK};
//! use pw_runtime::ledger::MemoryLedger;
//! use pw_runtime::listener::Listener;
//! use pw_runtime::{Limits, Pingback};
//! # use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Reversal};
//!
//! #[derive(Pingback)]
//! #[pingback(api = "virtual_currency")]
//! struct Coins {}
//! # struct Bank;
//! # impl CoinsHandler for Bank {
//! #     async fn deliver(&self, _: &mut Delivery<Coins>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
//! #     async fn take_back(&self, _: &mut Delivery<Coins>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
//! #     async fn notice(&self, _: &mut Delivery<Coins>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
//! # }
//!
//! let listener = Listener::<Coins, _, _>::builder("secret", Bank, MemoryLedger::new()).build();
//! assert_eq!(listener.limits(), Limits::default());
//! assert_eq!(body_limit(&listener), 64 * 1024 + BODY_SLACK);
//! ```

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "hyper")]
mod timed_body;
#[cfg(feature = "tower")]
pub mod tower;

#[cfg(any(feature = "axum", feature = "tower"))]
mod http_types;

use crate::handler::HandledBy;
use crate::ledger::Ledger;
use crate::listener::{Listener, Request, Response};
use crate::params::Limits;
use crate::schema::Pingback;
use std::future::Future;

/// What an adapter reads beyond [`Limits::max_bytes`] before it stops: a
/// body slightly over the limit still reaches the listener, which answers
/// 413 naming the exact length.
pub const BODY_SLACK: usize = 1024;

/// What an adapter serves: a [`Listener`] (or anything that turns a
/// [`Request`] into a [`Response`] the same way).
///
/// Adapters hold it in an `Arc`, so it is `Send + Sync + 'static`, and its
/// [`Endpoint::handle`] future is `Send`, as multi-threaded servers need.
///
/// ```
/// use pw_runtime::http::Endpoint;
/// use pw_runtime::listener::{Request, Response};
/// use pw_runtime::Limits;
///
/// /// An endpoint that acknowledges everything (never do this in production).
/// struct Yes;
///
/// impl Endpoint for Yes {
///     fn limits(&self) -> Limits {
///         Limits::default()
///     }
///     async fn handle(&self, _request: Request) -> Response {
///         Response::ok()
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let answer = Yes.handle(Request::get("", "127.0.0.1".parse().unwrap())).await;
/// assert!(answer.is_acknowledgement());
/// # });
/// ```
pub trait Endpoint: Send + Sync + 'static {
    /// The parser limits; an adapter reads at most [`body_limit`] bytes
    /// of a body.
    fn limits(&self) -> Limits;

    /// Answers one request.
    fn handle(&self, request: Request) -> impl Future<Output = Response> + Send;
}

impl<P, H, L> Endpoint for Listener<P, H, L>
where
    P: Pingback + HandledBy<H>,
    H: Send + Sync + 'static,
    L: Ledger + 'static,
{
    fn limits(&self) -> Limits {
        self.verifier().limits()
    }

    fn handle(&self, request: Request) -> impl Future<Output = Response> + Send {
        Listener::handle(self, request)
    }
}

/// An endpoint shared with the rest of the program: adapters take the
/// listener by value, or an `Arc` of it to keep a handle (to its handler or
/// its ledger).
///
/// ```
/// # use pw_runtime::http::Endpoint;
/// # use pw_runtime::listener::{Request, Response};
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// fn serves<E: Endpoint>(_: E) {}
/// let shared = std::sync::Arc::new(Yes);
/// serves(std::sync::Arc::clone(&shared));
/// ```
impl<E: Endpoint> Endpoint for std::sync::Arc<E> {
    fn limits(&self) -> Limits {
        E::limits(self)
    }

    fn handle(&self, request: Request) -> impl Future<Output = Response> + Send {
        E::handle(self, request)
    }
}

/// The most body bytes an adapter reads for `endpoint`:
/// [`Limits::max_bytes`] plus [`BODY_SLACK`].
///
/// ```
/// # use pw_runtime::http::{body_limit, Endpoint, BODY_SLACK};
/// # use pw_runtime::listener::{Request, Response};
/// # use pw_runtime::Limits;
/// struct Small;
/// impl Endpoint for Small {
///     fn limits(&self) -> Limits { Limits { max_bytes: 100, ..Limits::default() } }
///     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// }
/// assert_eq!(body_limit(&Small), 100 + BODY_SLACK);
/// ```
pub fn body_limit(endpoint: &impl Endpoint) -> usize {
    endpoint.limits().max_bytes.saturating_add(BODY_SLACK)
}

/// The answer to a body longer than [`body_limit`]: 413, as the listener
/// answers parameters over the limit.
#[cfg(any(feature = "axum", feature = "tower", feature = "actix"))]
fn body_too_large(endpoint: &impl Endpoint) -> Response {
    Response::text(
        413,
        format!(
            "the body is over the limit of {} bytes",
            endpoint.limits().max_bytes
        ),
    )
}

/// The answer when a body could not be read (the client went away).
#[cfg(any(feature = "axum", feature = "tower", feature = "actix"))]
fn body_unreadable(error: &dyn std::fmt::Display) -> Response {
    Response::text(400, format!("the body could not be read: {error}"))
}

/// The answer when the server did not tell the adapter the peer address.
#[cfg(any(feature = "axum", feature = "tower", feature = "actix"))]
fn peer_unknown(how: &str) -> Response {
    tracing::error!("the peer address of a pingback request is unknown: {how}");
    Response::text(
        500,
        format!("the listener is misconfigured: the peer address is unknown ({how})"),
    )
}
