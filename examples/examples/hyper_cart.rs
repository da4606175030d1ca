//! A cart listener on plain hyper 1 (the `tower::Service` adapter through
//! `http::hyper::serve`), with the in-memory ledger.
//!
//! ```sh
//! cargo run -p pw-examples --example hyper_cart
//! ```
//!
//! It listens on `PW_ADDR` (default `127.0.0.1:8082`), allows loopback
//! besides Paymentwall's addresses (development), and prints a `curl`
//! command that sends it a signed test payment by POST. Cart pingbacks are
//! always signed with version 2.

use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::{
    http, signature, ApiType, ChargebackReason, Decimal, Delivery, Goods, HandlerError,
    OriginalPayment, Pingback, SecretKey, SignatureVersion, SourceCheck,
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
    async fn payment(&self, payment: &mut Delivery<Order>) -> Result<(), HandlerError> {
        if let Goods::Cart { product_ids } = payment.envelope().goods {
            println!(
                "order {}: ship {product_ids:?} to {} (paid {} USD)",
                payment.order_id,
                payment.envelope().uid,
                payment.paid_usd
            );
        }
        Ok(())
    }

    async fn chargeback(
        &self,
        chargeback: &mut Delivery<Order>,
        reason: Option<ChargebackReason>,
        _original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        println!("order {}: refunded ({reason:?})", chargeback.order_id);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("PW_ADDR").unwrap_or_else(|_| "127.0.0.1:8082".into());
    let secret = SecretKey::new(
        std::env::var("PW_SECRET_KEY").unwrap_or_else(|_| "development-secret".into()),
    );
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
    println!("try:\n  curl --data '{body}' http://{addr}/pingback");
    http::hyper::serve(listener, tcp).await
}
