//! The axum adapter (feature `axum`): a listener as an axum handler.
//!
//! The peer address comes from axum's `ConnectInfo<SocketAddr>`, so serve
//! the router with
//! [`into_make_service_with_connect_info::<SocketAddr>()`](axum::Router::into_make_service_with_connect_info);
//! without it every pingback is answered 500 with a message saying so.
//!
//! ```no_run
//! use pw_runtime::ledger::MemoryLedger;
//! use pw_runtime::listener::Listener;
//! use pw_runtime::{http, Pingback};
//! use std::net::SocketAddr;
//! # use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Reversal};
//!
//! #[derive(Pingback)]
//! #[pingback(api = "digital_goods")]
//! struct Purchase {}
//! # struct Shop;
//! # impl PurchaseHandler for Shop {
//! #     async fn deliver(&self, _: &mut Delivery<Purchase>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
//! #     async fn take_back(&self, _: &mut Delivery<Purchase>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
//! #     async fn notice(&self, _: &mut Delivery<Purchase>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
//! # }
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = Listener::<Purchase, _, _>::builder("secret", Shop, MemoryLedger::new()).build();
//! let app = http::axum::router(listener, "/pingback");
//! let tcp = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(tcp, app.into_make_service_with_connect_info::<SocketAddr>()).await
//! # }
//! ```

use super::{http_types, peer_unknown, Endpoint};
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::extract::ConnectInfo;
use axum::routing::{any, MethodRouter};
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

/// A [`Router`] with the listener at `path`, for every method (the
/// listener answers 405 to methods other than GET and POST).
///
/// ```
/// # use pw_runtime::http::{Endpoint, axum::router};
/// # use pw_runtime::listener::{Request, Response};
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// # let listener = Yes;
/// let app: axum::Router = router(listener, "/pingback");
/// ```
pub fn router<E: Endpoint>(listener: E, path: &str) -> Router {
    Router::new().route(path, pingback(listener))
}

/// The listener as a route of any method, to mount on a [`Router`] of any
/// state: `Router::new().route("/pingback", pingback(listener))`.
///
/// ```
/// # use pw_runtime::http::{Endpoint, axum::pingback};
/// # use pw_runtime::listener::{Request, Response};
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// # let listener = Yes;
/// #[derive(Clone)]
/// struct AppState;
///
/// let app = axum::Router::new()
///     .route("/health", axum::routing::get(|| async { "up" }))
///     .route("/pingback", pingback(listener))
///     .with_state(AppState);
/// # let _: axum::Router = app;
/// ```
pub fn pingback<E, S>(listener: E) -> MethodRouter<S>
where
    E: Endpoint,
    S: Clone + Send + Sync + 'static,
{
    let listener = Arc::new(listener);
    any(move |request: axum::extract::Request| {
        let listener = Arc::clone(&listener);
        async move { handle(&*listener, request).await }
    })
}

/// Answers one axum request with `listener`: the handler behind
/// [`pingback`], for a route of your own.
///
/// ```
/// # use pw_runtime::http::{Endpoint, axum::handle};
/// # use pw_runtime::listener::{Request, Response};
/// # use std::sync::Arc;
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// let listener = Arc::new(Yes);
/// let route = axum::routing::post(move |request: axum::extract::Request| {
///     let listener = Arc::clone(&listener);
///     async move { handle(&*listener, request).await }
/// });
/// let app: axum::Router = axum::Router::new().route("/pingback", route);
/// ```
pub async fn handle<E: Endpoint>(
    listener: &E,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    // `ConnectInfo` from the server, or axum's `MockConnectInfo` layer in
    // tests, as axum's own `ConnectInfo` extractor reads them.
    let connect_info = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let mock = || {
        parts
            .extensions
            .get::<MockConnectInfo<SocketAddr>>()
            .map(|info| info.0)
    };
    let Some(peer) = connect_info.or_else(mock) else {
        return into_axum(peer_unknown(
            "serve the router with into_make_service_with_connect_info::<SocketAddr>()",
        ));
    };
    let response = match http_types::request(listener, &parts, body, peer.ip()).await {
        Ok(request) => listener.handle(request).await,
        Err(response) => response,
    };
    into_axum(response)
}

fn into_axum(response: crate::listener::Response) -> axum::response::Response {
    http_types::response(response).map(Body::from)
}
