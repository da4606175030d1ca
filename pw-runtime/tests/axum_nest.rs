//! The listener mounted the way axum's documentation composes apps: inside
//! an existing `Router` with a `State` of its own, under `nest`, with
//! layers (a timeout, a header, a middleware of the app), next to the
//! app's own routes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::{
    http, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal,
};
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Purchase {}

struct Shop;

impl PurchaseHandler for Shop {
    async fn deliver(&self, _: &mut Delivery<Purchase>, _: Grant) -> Result<(), HandlerError> {
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

/// The app's own state.
#[derive(Clone)]
struct AppState {
    name: &'static str,
    requests: Arc<AtomicUsize>,
}

async fn count(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> axum::response::Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

// The README's snippet.
fn app(state: AppState) -> Router {
    let listener = Listener::<Purchase, _, _>::builder("secret", Shop, MemoryLedger::new()).build();
    let payments = Router::new()
        .route("/pingback", http::axum::pingback(listener))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(10),
        ));
    Router::new()
        .route(
            "/",
            get(|State(state): State<AppState>| async move { state.name }),
        )
        .nest("/payments", payments)
        .layer(middleware::from_fn_with_state(state.clone(), count))
        .with_state(state)
}

async fn call(app: &Router, uri: &str) -> (u16, String) {
    let request = axum::http::Request::get(uri).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn the_listener_lives_under_nest_beside_the_app_s_routes_and_state() {
    let requests = Arc::new(AtomicUsize::new(0));
    let state = AppState {
        name: "shop",
        requests: Arc::clone(&requests),
    };
    // Connections as `into_make_service_with_connect_info` gives them.
    let app = app(state).layer(MockConnectInfo(SocketAddr::from((
        [174, 36, 92, 186],
        4000,
    ))));

    assert_eq!(call(&app, "/").await, (200, "shop".to_owned()));
    let signed = Purchase::test_pingback().sign("secret").unwrap();
    let uri = format!("/payments/pingback?{}", signed.query());
    assert_eq!(call(&app, &uri).await, (200, "OK".to_owned()));
    assert_eq!(
        call(&app, &uri).await,
        (200, "OK".to_owned()),
        "a duplicate is acknowledged"
    );
    let forged = Purchase::test_pingback().sign("another key").unwrap();
    let (status, body) = call(&app, &format!("/payments/pingback?{}", forged.query())).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("wrong signature"), "{body}");
    assert_eq!(call(&app, "/pingback").await.0, 404, "only under /payments");
    assert_eq!(
        requests.load(Ordering::Relaxed),
        5,
        "the app's middleware saw every request"
    );
}
