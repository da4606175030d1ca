//! Quarantine and replay through the listener, on every ledger backend: a
//! verified pingback the schema cannot decode is answered non-OK and kept
//! (its parameters as received, the error, first and last seen, attempts);
//! a replay through a listener whose schema accepts it delivers it once,
//! also when Paymentwall's retry arrives at the same moment; no listing
//! shows a secret.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pw_runtime::ledger::Ledger;
use pw_runtime::listener::{Listener, Request};
use pw_runtime::{
    Currency, Decimal, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal,
    UniqueRef,
};

#[path = "support/backends.rs"]
mod backends;
use backends::*;
#[path = "support/pingbacks.rs"]
mod pingbacks;
use pingbacks::*;

const SECRET: &str = "9d0f6b2e4a8c1e3f5b7d9a0c2e4f6a8b";

/// The schema before the fix: a currency code and a plain decimal.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Strict {
    #[pingback(system = "REVENUE_LOCAL", param = "revenue")]
    revenue: Decimal,
    #[pingback(system = "CURRENCY_CODE", param = "paid_currency")]
    paid_currency: Currency,
}

/// The schema after the fix: the parameter is any text of the merchant's.
#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Fixed {
    #[pingback(system = "REVENUE_LOCAL", param = "revenue")]
    revenue: Decimal,
    #[pingback(own)]
    paid_currency: String,
}

/// Counts deliveries; slow enough for a replay and a retry to overlap.
#[derive(Clone, Default)]
struct Shop {
    delivered: Arc<AtomicUsize>,
    delay: Duration,
}

impl StrictHandler for Shop {
    async fn deliver(&self, payment: &mut Delivery<Strict>, _: Grant) -> Result<(), HandlerError> {
        assert!(payment.revenue > Decimal::ZERO, "{}", payment.paid_currency);
        self.delivered.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<Strict>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<Strict>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

impl FixedHandler for Shop {
    async fn deliver(
        &self,
        payment: &mut Delivery<Fixed>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        assert!(matches!(grant, Grant::Deliver(_)));
        assert_eq!(payment.revenue, Decimal::new(499, 2));
        assert_eq!(payment.paid_currency, "ZZZ");
        tokio::time::sleep(self.delay).await;
        self.delivered.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<Fixed>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Ok(())
    }
    async fn notice(&self, _: &mut Delivery<Fixed>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// A payment signed as Paymentwall signs it, whose currency `ZZZ` the
/// strict schema rejects; from a Paymentwall address.
fn undecodable(reference: &str) -> (String, Request) {
    let pairs = [
        ("uid", "user1"),
        ("goodsid", "gems_100"),
        ("type", "0"),
        ("ref", reference),
        ("revenue", "4.99"),
        ("paid_currency", "ZZZ"),
    ];
    let query = signed_query(SECRET, &pairs);
    let sig = query.rsplit_once("sig=").unwrap().1.to_owned();
    (sig, Request::get(query, PAYMENTWALL_IP.parse().unwrap()))
}

fn strict<L: Ledger>(shop: &Shop, ledger: L) -> Listener<Strict, Shop, L> {
    Listener::builder(SECRET, shop.clone(), ledger).build()
}

fn fixed<L: Ledger>(shop: &Shop, ledger: L) -> Listener<Fixed, Shop, L> {
    Listener::builder(SECRET, shop.clone(), ledger).build()
}

// ---------------------------------------------------------------- scenarios

async fn an_undecodable_pingback_is_kept_and_a_replay_delivers_it_once<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop::default();
    let before = strict(&shop, backend.open(LEASE).await);
    let (sig, request) = undecodable("q1");

    let first = before.handle(request.clone()).await;
    assert_eq!(first.status, 400, "{first:?}");
    assert!(first.body.contains("paid_currency"), "{first:?}");
    assert!(first.body.contains("quarantine"), "{first:?}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let again = before.handle(request.clone()).await; // Paymentwall retries
    assert!(!again.is_acknowledgement(), "{again:?}");
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 0);

    let listed = before.quarantined().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let entry = &listed[0];
    assert_eq!(entry.id(), &"q1_0".parse::<UniqueRef>().unwrap());
    assert_eq!(entry.query(), request.query, "kept exactly as received");
    assert_eq!(entry.client().to_string(), "174.36.92.186");
    assert!(entry.error().contains("paid_currency"), "{entry:?}");
    assert_eq!(entry.attempts(), 2);
    assert!(entry.first_seen() < entry.last_seen(), "{entry:?}");
    for shown in [format!("{entry:?}"), entry.masked_query()] {
        assert!(!shown.contains(&sig), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
    }

    // A listener whose schema accepts it, on the same ledger (another
    // instance: the quarantine is durable).
    let after = fixed(&shop, backend.open(LEASE).await);
    let id: UniqueRef = "q1_0".parse().unwrap();
    let replayed = after.replay(&id).await.unwrap().unwrap();
    assert!(replayed.is_acknowledgement(), "{replayed:?}");
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 1);
    assert!(after.quarantined().await.unwrap().is_empty());
    // Once delivered: a replay finds nothing, Paymentwall's retry (even to
    // the old listener) is acknowledged and not delivered again.
    assert!(after.replay(&id).await.unwrap().is_none());
    assert!(before.handle(request.clone()).await.is_acknowledgement());
    assert!(after.handle(request).await.is_acknowledgement());
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 1);
    assert!(before.quarantined().await.unwrap().is_empty());
    backend.teardown().await;
}

/// A replay that still does not decode stays in quarantine, one attempt
/// more; `replay_all` replays every entry.
async fn a_replay_that_still_fails_stays_and_replay_all_delivers_the_rest<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop::default();
    let before = strict(&shop, backend.open(LEASE).await);
    for reference in ["a1", "a2"] {
        assert_eq!(before.handle(undecodable(reference).1).await.status, 400);
    }
    let answers = before.replay_all().await.unwrap();
    assert_eq!(answers.len(), 2);
    assert!(
        answers.iter().all(|(_, answer)| answer.status == 400),
        "{answers:?}"
    );
    let listed = before.quarantined().await.unwrap();
    assert!(
        listed.iter().all(|entry| entry.attempts() == 2),
        "{listed:?}"
    );

    let after = fixed(&shop, backend.open(LEASE).await);
    let answers = after.replay_all().await.unwrap();
    let ids: Vec<String> = answers.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(ids, ["a1_0", "a2_0"]);
    assert!(
        answers
            .iter()
            .all(|(_, answer)| answer.is_acknowledgement()),
        "{answers:?}"
    );
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 2);
    assert!(after.replay_all().await.unwrap().is_empty());
    backend.teardown().await;
}

/// A replay and Paymentwall's retry of the same pingback at the same
/// moment, to listeners whose schema accepts it: delivered exactly once.
async fn a_replay_racing_a_retry_delivers_once<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop {
        delay: Duration::from_millis(50),
        ..Shop::default()
    };
    let before = strict(&shop, backend.open(LEASE).await);
    let references: Vec<String> = (0..10).map(|i| format!("race{i}")).collect();
    for reference in &references {
        assert_eq!(before.handle(undecodable(reference).1).await.status, 400);
    }
    let replaying = Arc::new(fixed(&shop, backend.open(LEASE).await));
    let serving = Arc::new(fixed(&shop, backend.open(LEASE).await));
    let mut tasks = Vec::new();
    for reference in &references {
        let barrier = Arc::new(tokio::sync::Barrier::new(3));
        let id: UniqueRef = format!("{reference}_0").parse().unwrap();
        for _ in 0..2 {
            let (replaying, barrier, id) =
                (Arc::clone(&replaying), Arc::clone(&barrier), id.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                replaying
                    .replay(&id)
                    .await
                    .unwrap()
                    .map(|answer| answer.status)
            }));
        }
        let (serving, request) = (Arc::clone(&serving), undecodable(reference).1);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            Some(serving.handle(request).await.status)
        }));
    }
    for task in tasks {
        let status = task.await.unwrap();
        assert!(matches!(status, None | Some(200 | 503)), "{status:?}");
    }
    // Whatever was in progress is delivered by a later retry, not again.
    for reference in &references {
        assert!(serving
            .handle(undecodable(reference).1)
            .await
            .is_acknowledgement());
    }
    assert_eq!(shop.delivered.load(Ordering::SeqCst), references.len());
    assert!(serving.quarantined().await.unwrap().is_empty());
    backend.teardown().await;
}

// ---------------------------------------------------------------- runs

macro_rules! against {
    ($module:ident, $backend:ident) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_undecodable_pingback_is_kept_and_a_replay_delivers_it_once() {
                super::an_undecodable_pingback_is_kept_and_a_replay_delivers_it_once::<$backend>()
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_replay_that_still_fails_stays_and_replay_all_delivers_the_rest() {
                super::a_replay_that_still_fails_stays_and_replay_all_delivers_the_rest::<$backend>()
                    .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_replay_racing_a_retry_delivers_once() {
                super::a_replay_racing_a_retry_delivers_once::<$backend>().await;
            }
        }
    };
}

against!(memory, Memory);
against!(custom, Custom);
#[cfg(feature = "sqlite")]
against!(sqlite, Sqlite);
#[cfg(feature = "postgres")]
against!(postgres, Postgres);
#[cfg(feature = "mysql")]
against!(mysql, Mysql);
#[cfg(feature = "redis")]
against!(redis, Redis);
