//! The `tower::Service` adapter (feature `tower`): a listener as a service
//! of `http::Request` to `http::Response`, for plain hyper 1 and any
//! tower-based framework.
//!
//! The peer address comes from a [`PeerAddr`] in the request's extensions,
//! which the server inserts for each connection (a request without one is
//! answered 500 with a message saying so). With plain hyper 1,
//! `http::hyper::serve` (feature `hyper`) does it for you, and its
//! documentation shows how to do it by hand with hyper-util. In an axum
//! app, `Router::route_service("/pingback", service)` mounts it (the
//! `axum` feature's `http::axum::pingback` reads axum's `ConnectInfo`
//! instead).

use super::{http_types, peer_unknown, Endpoint};
use bytes::Bytes;
use http_body_util::Full;
use std::convert::Infallible;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The address of the connection's peer, which the server inserts in each
/// request's extensions for [`PingbackService`].
///
/// ```
/// use pw_runtime::http::tower::PeerAddr;
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(PeerAddr("127.0.0.1:50000".parse().unwrap()));
/// assert!(request.extensions().get::<PeerAddr>().is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

/// A listener as a `tower::Service<http::Request<B>>` for any body `B`,
/// answering `http::Response<Full<Bytes>>`; it never fails (every outcome
/// is a response). Cloning it is cheap: clones share the listener.
///
/// ```
/// use pw_runtime::http::tower::{PeerAddr, PingbackService};
/// use http_body_util::{BodyExt, Empty};
/// use tower_service::Service;
/// # use pw_runtime::http::Endpoint;
/// # use pw_runtime::listener::{Request, Response};
/// # struct Yes;
/// # impl Endpoint for Yes {
/// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
/// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
/// # }
/// # let listener = Yes;
///
/// let mut service = PingbackService::new(listener);
/// let mut request = http::Request::get("/pingback?uid=u1").body(Empty::<bytes::Bytes>::new()).unwrap();
/// request.extensions_mut().insert(PeerAddr("127.0.0.1:50000".parse().unwrap()));
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let response = service.call(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), "OK");
/// # });
/// ```
pub struct PingbackService<E> {
    listener: Arc<E>,
}

impl<E: Endpoint> PingbackService<E> {
    /// The service of `listener` (or of an `Arc` of it).
    ///
    /// ```
    /// # use pw_runtime::http::{Endpoint, tower::PingbackService};
    /// # use pw_runtime::listener::{Request, Response};
    /// # struct Yes;
    /// # impl Endpoint for Yes {
    /// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
    /// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
    /// # }
    /// let shared = std::sync::Arc::new(Yes);
    /// let service = PingbackService::new(shared.clone());
    /// assert!(std::sync::Arc::ptr_eq(service.listener(), &shared));
    /// ```
    pub fn new(listener: E) -> Self {
        PingbackService {
            listener: Arc::new(listener),
        }
    }

    /// The listener.
    ///
    /// ```
    /// # use pw_runtime::http::{Endpoint, tower::PingbackService};
    /// # use pw_runtime::listener::{Request, Response};
    /// # struct Yes;
    /// # impl Endpoint for Yes {
    /// #     fn limits(&self) -> pw_runtime::Limits { Default::default() }
    /// #     async fn handle(&self, _: Request) -> Response { Response::ok() }
    /// # }
    /// let service = PingbackService::new(Yes);
    /// assert_eq!(service.listener().limits(), pw_runtime::Limits::default());
    /// ```
    pub fn listener(&self) -> &E {
        &self.listener
    }
}

impl<E> Clone for PingbackService<E> {
    fn clone(&self) -> Self {
        PingbackService {
            listener: Arc::clone(&self.listener),
        }
    }
}

impl<E> fmt::Debug for PingbackService<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PingbackService").finish_non_exhaustive()
    }
}

impl<E, B> tower_service::Service<http::Request<B>> for PingbackService<E>
where
    E: Endpoint,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let listener = Arc::clone(&self.listener);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = match parts.extensions.get::<PeerAddr>() {
                None => peer_unknown(
                    "insert a pw_runtime::http::tower::PeerAddr in each request's extensions",
                ),
                Some(&PeerAddr(peer)) => {
                    match http_types::request(&*listener, &parts, body, peer.ip()).await {
                        Ok(request) => listener.handle(request).await,
                        Err(response) => response,
                    }
                }
            };
            Ok(http_types::response(response).map(Full::new))
        })
    }
}
