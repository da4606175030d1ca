//! The actix-web adapter (feature `actix`): a listener as an actix-web
//! resource.
//!
//! The peer address is [`HttpRequest::peer_addr`], the connection's peer
//! (actix-web's `ConnectionInfo::realip_remote_addr` believes forwarding
//! headers from anyone, so it is not used: the listener's `SourceCheck`
//! decides which proxies to believe).
//!
//! ```no_run
//! use actix_web::{App, HttpServer};
//! use pw_runtime::ledger::MemoryLedger;
//! use pw_runtime::listener::Listener;
//! use pw_runtime::{http, Pingback};
//! use std::sync::Arc;
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
//! # fn run() -> std::io::Result<()> {
//! let listener = Arc::new(Listener::<Coins, _, _>::builder("secret", Bank, MemoryLedger::new()).build());
//! actix_web::rt::System::new().block_on(
//!     HttpServer::new(move || App::new().configure(http::actix::configure("/pingback", listener.clone())))
//!         .bind("127.0.0.1:8080")?
//!         .run(),
//! )
//! # }
//! ```

use super::{body_too_large, body_unreadable, peer_unknown, Endpoint};
use crate::listener::{Request, Response};
use actix_web::http::StatusCode;
use actix_web::web::{self, Payload, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, Resource};
use std::sync::Arc;

/// Mounts the listener at `path`, for every method (the listener answers
/// 405 to methods other than GET and POST): pass it to `App::configure`
/// (or `Scope::configure`) in the app factory.
///
/// ```
/// # use pw_runtime::http::{Endpoint, actix::configure};
/// # use pw_runtime::listener::{Request, Response};
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// let listener = std::sync::Arc::new(Yes);
/// let factory = move || actix_web::App::new().configure(configure("/pingback", listener.clone()));
/// # let _ = factory();
/// ```
pub fn configure<E: Endpoint>(path: &str, listener: E) -> impl FnOnce(&mut ServiceConfig) {
    let resource = resource(path, listener);
    move |config| {
        config.service(resource);
    }
}

/// The listener as a [`Resource`] at `path` answering every method: for
/// `App::service`.
///
/// ```
/// # use pw_runtime::http::{Endpoint, actix::resource};
/// # use pw_runtime::listener::{Request, Response};
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// let listener = std::sync::Arc::new(Yes);
/// let app = actix_web::App::new().service(resource("/pingback", listener));
/// # let _ = app;
/// ```
pub fn resource<E: Endpoint>(path: &str, listener: E) -> Resource {
    let listener = Arc::new(listener);
    web::resource(path).route(
        web::route().to(move |request: HttpRequest, payload: Payload| {
            let listener = Arc::clone(&listener);
            async move { handle(&*listener, request, payload).await }
        }),
    )
}

/// Answers one actix-web request with `listener`: the handler behind
/// [`resource`], for a route of your own.
///
/// ```
/// # use pw_runtime::http::{Endpoint, actix::handle};
/// # use pw_runtime::listener::{Request, Response};
/// # use std::sync::Arc;
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// use actix_web::{web, HttpRequest};
///
/// let listener = Arc::new(Yes);
/// let route = web::post().to(move |request: HttpRequest, payload: web::Payload| {
///     let listener = Arc::clone(&listener);
///     async move { handle(&*listener, request, payload).await }
/// });
/// let app = actix_web::App::new().route("/pingback", route);
/// # let _ = app;
/// ```
pub async fn handle<E: Endpoint>(
    listener: &E,
    request: HttpRequest,
    payload: Payload,
) -> HttpResponse {
    let Some(peer) = request.peer_addr() else {
        return into_actix(peer_unknown("the server gave no peer address"));
    };
    let body = match payload.to_bytes_limited(super::body_limit(listener)).await {
        Ok(Ok(body)) => body,
        Ok(Err(error)) => return into_actix(body_unreadable(&error)),
        Err(_) => return into_actix(body_too_large(listener)),
    };
    let request = Request {
        method: request.method().as_str().to_owned(),
        query: request.query_string().to_owned(),
        body: Vec::from(body),
        peer: peer.ip(),
        headers: request
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    into_actix(listener.handle(request).await)
}

fn into_actix(response: Response) -> HttpResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    builder.content_type(response.content_type());
    for (name, value) in response.headers {
        builder.insert_header((name, value));
    }
    builder.body(response.body)
}
