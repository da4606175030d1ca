//! The typed test-pingback builder `#[derive(Pingback)]` generates with
//! pw-runtime's feature `testing`: typed fields, standard parameters,
//! type and version, signed with a key, as a query string or a listener
//! request, for each API type.

use pw_runtime::ledger::MemoryLedger;
use pw_runtime::listener::Listener;
use pw_runtime::signature::SignError;
use pw_runtime::{
    ChargebackReason, CountryCode, Decimal, Delivery, Grant, HandlerError, Notice, OriginalPayment,
    Pingback, PingbackType, Reversal, SignatureVersion, Source, SubscriptionPeriod,
};
use std::sync::Mutex;

const SECRET: &str = "test-pingback-secret";

#[derive(Pingback, Debug)]
#[pingback(api = "digital_goods")]
struct GemPurchase {
    #[pingback(system = "REVENUE_LOCAL", param = "rev")]
    revenue: Decimal,
    #[pingback(system = "COUNTRY_CODE", param = "country")]
    country: CountryCode,
    #[pingback(system = "SUBSCRIPTION_ID", param = "sub")]
    subscription: Option<String>,
    #[pingback(standard = "slength")]
    length: Option<i32>,
    #[pingback(own)]
    campaign: String,
}

/// What the shop saw.
#[derive(Default)]
struct Shop {
    seen: Mutex<Vec<String>>,
}

impl GemPurchaseHandler for Shop {
    async fn deliver(
        &self,
        d: &mut Delivery<GemPurchase>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        let line = format!(
            "deliver {:?} {} {} {} {:?} {:?} {} {}",
            grant.kind(),
            d.envelope().uid,
            d.reference(),
            d.revenue,
            d.country,
            d.subscription,
            d.campaign,
            d.pingback().sign_version(),
        );
        self.seen.lock().unwrap().push(line);
        Ok(())
    }
    async fn take_back(
        &self,
        d: &mut Delivery<GemPurchase>,
        why: Reversal,
        original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        let line = format!("take_back {} {why:?} {}", d.reference(), original.is_some());
        self.seen.lock().unwrap().push(line);
        Ok(())
    }
    async fn notice(
        &self,
        d: &mut Delivery<GemPurchase>,
        notice: Notice,
    ) -> Result<(), HandlerError> {
        let line = format!("notice {} {notice:?} {:?}", d.reference(), d.length);
        self.seen.lock().unwrap().push(line);
        Ok(())
    }
}

fn purchase(reference: &str) -> GemPurchaseTestPingback {
    GemPurchase::test_pingback()
        .set_revenue(Decimal::new(499, 2))
        .set_country(CountryCode::DEU)
        .set_subscription(None::<String>)
        .set_campaign("spring")
        .uid("user_42")
        .reference(reference)
}

#[tokio::test]
async fn typed_test_pingbacks_reach_the_handler_through_a_listener() {
    let listener =
        Listener::<GemPurchase, _, _>::builder(SECRET, Shop::default(), MemoryLedger::new())
            .build();
    let requests = [
        purchase("p1").sign(SECRET).unwrap().request(),
        purchase("g1")
            .kind(PingbackType::Goodwill)
            .version(SignatureVersion::V3)
            .sign(SECRET)
            .unwrap()
            .post_request(),
        purchase("p1")
            .kind(PingbackType::Chargeback)
            .reason(ChargebackReason::CancelledOrder)
            .sign(SECRET)
            .unwrap()
            .request(),
        purchase("s1")
            .kind(PingbackType::SubscriptionExpired)
            .set_length(3)
            .subscription(3, SubscriptionPeriod::Month)
            .live()
            .sign(SECRET)
            .unwrap()
            .request(),
    ];
    for request in requests {
        let response = listener.handle(request).await;
        assert!(response.is_acknowledgement(), "{response:?}");
    }
    assert_eq!(
        *listener.handler().seen.lock().unwrap(),
        [
            "deliver Payment user_42 p1 4.99 DEU None spring 2",
            "deliver Goodwill user_42 g1 4.99 DEU None spring 3",
            "take_back p1 Chargeback { reason: Some(CancelledOrder) } true",
            "notice s1 SubscriptionExpired Some(3)",
        ]
    );
}

#[test]
fn the_builder_writes_the_query_paymentwall_would_send() {
    let signed = purchase("b1").sign(SECRET).unwrap();
    let query = signed.query();
    assert!(
        query.starts_with(
            "uid=user_42&goodsid=test_product&slength=&speriod=&type=0&ref=b1&is_test=1\
             &rev=4.99&country=DE&sub=&campaign=spring&sign_version=2&sig="
        ),
        "{query}"
    );
    // It verifies with the schema's own verifier, and with no other key.
    let peer = Source::peer(pw_runtime::testing::PAYMENTWALL_ADDRESS.parse().unwrap());
    let verified = GemPurchase::verifier(SECRET)
        .build()
        .verify(query.as_bytes(), &peer)
        .unwrap();
    assert_eq!(
        Delivery::<GemPurchase>::decode(verified).unwrap().revenue,
        Decimal::new(499, 2)
    );
    assert!(GemPurchase::verifier("another")
        .build()
        .verify(query.as_bytes(), &peer)
        .is_err());
}

#[tokio::test]
async fn an_undecodable_value_is_refused_and_nothing_is_delivered() {
    let listener =
        Listener::<GemPurchase, _, _>::builder(SECRET, Shop::default(), MemoryLedger::new())
            .build();
    let request = purchase("bad1")
        .set_revenue("4,99")
        .sign(SECRET)
        .unwrap()
        .request();
    let response = listener.handle(request).await;
    assert_eq!(response.status, 400, "{response:?}");
    assert!(response.body.contains("`rev`"), "{response:?}");
    assert!(listener.handler().seen.lock().unwrap().is_empty());
}

#[derive(Pingback, Debug)]
#[pingback(api = "cart")]
struct Order {
    #[pingback(standard = "goodsid")]
    products: Vec<String>,
    #[pingback(own)]
    order_id: String,
}

#[derive(Pingback, Debug)]
#[pingback(api = "virtual_currency", min_version = 3)]
struct Coins {
    #[pingback(standard = "currency")]
    amount: Decimal,
}

#[test]
fn every_api_type_has_its_goods_and_its_version() {
    let order = Order::test_pingback()
        .set_products(["sword", "shield"])
        .set_order_id("A-7")
        .sign(SECRET)
        .unwrap();
    let peer = Source::peer(pw_runtime::testing::PAYMENTWALL_ADDRESS.parse().unwrap());
    let verified = Order::verifier(SECRET)
        .build()
        .verify(order.query().as_bytes(), &peer)
        .unwrap();
    let order = Delivery::<Order>::decode(verified).unwrap();
    assert_eq!(order.products, ["sword", "shield"]);
    assert_eq!(order.order_id, "A-7");
    // Cart pingbacks are always signed with version 2.
    let error = Order::test_pingback()
        .version(SignatureVersion::V3)
        .sign(SECRET)
        .unwrap_err();
    assert!(matches!(error, SignError::CartVersion { .. }), "{error:?}");

    // A schema that requires version 3 starts at version 3.
    let coins = Coins::test_pingback()
        .currency(Decimal::new(150, 0))
        .sign(SECRET)
        .unwrap();
    assert!(coins.query().contains("currency=150&") && coins.query().contains("sign_version=3"));
    let verified = Coins::verifier(SECRET)
        .build()
        .verify(coins.query().as_bytes(), &peer)
        .unwrap();
    assert_eq!(
        Delivery::<Coins>::decode(verified).unwrap().amount,
        Decimal::new(150, 0)
    );
}
