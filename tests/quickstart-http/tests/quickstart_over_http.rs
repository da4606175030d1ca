//! What a merchant sees, over HTTP against the quickstart (on a SQLite
//! ledger in a temporary file): a goodwill credit (type 1) and an accepted
//! risk review (type 201) grant once; a chargeback that arrives before its
//! payment leaves no goods; a correctly signed pingback whose custom value
//! the schema rejects is answered non-OK, is listed in the ledger's
//! quarantine, and after a replay through a listener whose schema accepts
//! it is delivered once.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pw_examples::quickstart::{self, Server, Settings, DEVELOPMENT_KEY};
use pw_runtime::ledger::{Ledger, LedgerOptions, SqliteLedger};
use pw_runtime::listener::Listener;
use pw_runtime::{
    signature, ApiType, Decimal, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback,
    Reversal, SecretKey, SignatureVersion, UniqueRef,
};

/// A quickstart on a fresh SQLite file, and that file.
async fn quickstart(name: &str) -> (Server, PathBuf) {
    let path = std::env::temp_dir().join(format!("pw-accept-{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let settings = Settings::development(SocketAddr::from(([127, 0, 0, 1], 0)), path.clone());
    let server = quickstart::start(&settings).await.unwrap();
    (server, path)
}

/// A pingback of the quickstart's schema signed with its development key;
/// `extra` replaces or adds parameters.
fn pingback(reference: &str, kind: u32, extra: &[(&str, &str)]) -> String {
    let kind = kind.to_string();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("uid", "user_42"),
        ("goodsid", "gems_100"),
        ("slength", ""),
        ("speriod", ""),
        ("type", &kind),
        ("ref", reference),
        ("is_test", "1"),
        ("revenue", "4.99"),
        ("paid_currency", "USD"),
        ("campaign", "spring"),
    ];
    for (name, value) in extra {
        match pairs.iter_mut().find(|(known, _)| known == name) {
            Some(pair) => pair.1 = value,
            None => pairs.push((name, value)),
        }
    }
    let key = SecretKey::new(DEVELOPMENT_KEY);
    signature::sign_pingback(ApiType::DigitalGoods, SignatureVersion::V2, &key, pairs).unwrap()
}

/// One GET of the pingback URL over HTTP: status and body.
async fn send(server: &Server, query: &str) -> (u16, String) {
    let url = format!("{}?{query}", server.url);
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent.get(&url).call().unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().unwrap())
    })
    .await
    .unwrap()
}

async fn assert_ok(server: &Server, query: &str) {
    let (status, body) = send(server, query).await;
    assert_eq!((status, body.as_str()), (200, "OK"), "{query}");
}

fn remove(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goodwill_and_an_accepted_risk_review_grant_once() {
    let (server, path) = quickstart("grant").await;
    assert_ok(&server, &pingback("goodwill1", 1, &[])).await;
    assert_ok(&server, &pingback("goodwill1", 1, &[])).await; // Paymentwall's retry
    assert_eq!(server.shop.grants().await.unwrap(), 1);

    assert_ok(&server, &pingback("review1", 200, &[])).await; // pending: nothing yet
    assert_eq!(server.shop.grants().await.unwrap(), 1);
    assert_ok(&server, &pingback("review1", 201, &[])).await;
    assert_ok(&server, &pingback("review1", 201, &[])).await;
    assert_eq!(server.shop.grants().await.unwrap(), 2);
    assert_eq!(server.shop.revoked().await.unwrap(), 0);
    server.task.abort();
    remove(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chargeback_before_its_payment_leaves_no_goods() {
    let (server, path) = quickstart("order").await;
    assert_ok(&server, &pingback("late1", 2, &[("reason", "9")])).await;
    assert_ok(&server, &pingback("late1", 0, &[])).await; // the payment's retry, after its refund
    assert_ok(&server, &pingback("late1", 0, &[])).await;
    assert_eq!(
        server.shop.grants().await.unwrap(),
        0,
        "goods after their refund"
    );
    // A declined review before its acceptance arrives, too.
    assert_ok(&server, &pingback("late2", 202, &[])).await;
    assert_ok(&server, &pingback("late2", 201, &[])).await;
    assert_eq!(
        server.shop.grants().await.unwrap(),
        0,
        "goods after a declined review"
    );
    // In the usual order, the chargeback takes the goods back.
    assert_ok(&server, &pingback("usual1", 0, &[])).await;
    assert_ok(&server, &pingback("usual1", 2, &[("reason", "9")])).await;
    assert_eq!(server.shop.grants().await.unwrap(), 1);
    assert_eq!(server.shop.revoked().await.unwrap(), 1);
    server.task.abort();
    remove(&path);
}

/// The quickstart's schema after a fix: `paid_currency` as any text.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct FixedPurchase {
    #[pingback(system = "REVENUE_LOCAL", param = "revenue")]
    revenue: Decimal,
    #[pingback(own)]
    paid_currency: String,
    #[pingback(own)]
    campaign: String,
}

/// Counts what it delivers.
#[derive(Clone, Default)]
struct FixedShop {
    delivered: Arc<AtomicUsize>,
}

impl FixedPurchaseHandler for FixedShop {
    async fn deliver(
        &self,
        payment: &mut Delivery<FixedPurchase>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        assert!(matches!(grant, Grant::Deliver(_)), "{grant:?}");
        assert_eq!(payment.revenue, Decimal::new(499, 2));
        assert_eq!(
            (payment.paid_currency.as_str(), payment.campaign.as_str()),
            ("BTC", "spring")
        );
        self.delivered.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<FixedPurchase>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<FixedPurchase>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_pingback_is_kept_and_a_replay_delivers_it_once() {
    let (server, path) = quickstart("quarantine").await;
    let odd = pingback("odd1", 0, &[("paid_currency", "BTC")]);
    let (status, body) = send(&server, &odd).await;
    assert_ne!(status, 200, "{body}");
    assert!(
        body.contains("paid_currency") && body.contains("quarantine"),
        "{body}"
    );
    let (again, _) = send(&server, &odd).await; // Paymentwall retries
    assert_ne!(again, 200);
    assert_eq!(server.shop.grants().await.unwrap(), 0);

    // Listed in the quickstart's ledger, with the signature masked.
    let ledger = SqliteLedger::open(&path, LedgerOptions::new())
        .await
        .unwrap();
    let kept = ledger.quarantined().await.unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let id: UniqueRef = "odd1_0".parse().unwrap();
    assert_eq!(kept[0].id(), &id);
    assert_eq!(kept[0].query(), odd);
    assert_eq!(kept[0].attempts(), 2);
    let sig = odd.rsplit_once("sig=").unwrap().1;
    assert!(!format!("{kept:?}").contains(sig));
    assert!(!format!("{kept:?}").contains(DEVELOPMENT_KEY));

    // Replayed through a listener whose schema accepts it: delivered once.
    let shop = FixedShop::default();
    let fixed = Listener::<FixedPurchase, _, _>::builder(DEVELOPMENT_KEY, shop.clone(), ledger)
        .source_check(quickstart::source_check(false))
        .build();
    let answer = fixed.replay(&id).await.unwrap().unwrap();
    assert!(answer.is_acknowledgement(), "{answer:?}");
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 1);
    assert!(fixed.quarantined().await.unwrap().is_empty());
    assert!(fixed.replay(&id).await.unwrap().is_none());
    // Paymentwall's next retry, to the quickstart: acknowledged, not delivered again.
    assert_ok(&server, &odd).await;
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 1);
    assert_eq!(server.shop.grants().await.unwrap(), 0);
    server.task.abort();
    remove(&path);
}
