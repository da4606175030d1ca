//! A cart listener on plain hyper 1 (the `tower::Service` adapter through
//! `http::hyper::serve`), with the in-memory ledger.
//!
//! ```sh
//! cargo run -p pw-examples --example hyper_cart
//! ```
//!
//! It listens on `PW_ADDR` (default `127.0.0.1:8082`), allows loopback
//! besides Paymentwall's addresses (development), and, without
//! `PW_SECRET_KEY`, prints a `curl` command that sends it a test payment
//! signed with a development key by POST. Cart pingbacks are
//! always signed with version 2.

use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::{
    http, signature, ApiType, Decimal, Delivery, Goods, Grant, HandlerError, Notice,
    OriginalPayment, Pingback, Reversal, SecretKey, SignatureVersion, SourceCheck,
};

/// The custom pingback parameters of a cart project.
#[derive(Pingback)]
#[pingback(api = "cart")]
struct Order {
    /// What the user paid, in US dollars.
    #[pingback(system = "REVENUE_PAYMENT", param = "paid_usd")]
    paid_usd: Decimal,
    /// The merchant's own order id, set in the widget call (`OWN`).
    #[pingback(own)]
    order_id: String,
}

struct Store;

impl OrderHandler for Store {
    async fn deliver(
        &self,
        payment: &mut Delivery<Order>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        let Grant::Deliver(kind) = grant else {
            println!(
                "order {}: refunded before it was paid, not shipped",
                payment.order_id
            );
            return Ok(());
        };
        if let Goods::Cart { product_ids } = payment.envelope().goods {
            println!(
                "order {} ({kind:?}): ship {product_ids:?} to {} (paid {} USD)",
                payment.order_id,
                payment.envelope().uid,
                payment.paid_usd
            );
        }
        Ok(())
    }

    async fn take_back(
        &self,
        reversal: &mut Delivery<Order>,
        why: Reversal,
        _original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        println!("order {}: cancelled ({why:?})", reversal.order_id);
        Ok(())
    }

    async fn notice(
        &self,
        pingback: &mut Delivery<Order>,
        notice: Notice,
    ) -> Result<(), HandlerError> {
        println!("order {}: {notice:?}, nothing to ship", pingback.order_id);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("PW_ADDR").unwrap_or_else(|_| "127.0.0.1:8082".into());
    let project_key = std::env::var("PW_SECRET_KEY").ok();
    let development = project_key.is_none();
    let secret = SecretKey::new(project_key.unwrap_or_else(|| "development-secret".into()));
    let check = SourceCheck::default()
        .allow("127.0.0.0/8")
        .and_then(|check| check.allow("::1"))
        .expect("loopback parses");
    let listener = Listener::<Order, _, _>::builder(secret.clone(), Store, MemoryLedger::new())
        .source_check(check)
        .build();

    let body = signature::sign_pingback(
        ApiType::Cart,
        SignatureVersion::V2,
        &secret,
        [
            ("uid", "user_42"),
            ("goodsid[0]", "book"),
            ("goodsid[1]", "pen"),
            ("type", "0"),
            ("ref", "cart1"),
            ("is_test", "1"),
            ("paid_usd", "12.50"),
            ("order_id", "A-1001"),
        ],
    )
    .expect("valid names");
    let tcp = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}/ (plain hyper, cart)");
    // Never print a pingback signed with the project's own key.
    if development {
        println!("try:\n  curl --data '{body}' http://{addr}/pingback");
    }
    http::hyper::serve(listener, tcp).await
}
