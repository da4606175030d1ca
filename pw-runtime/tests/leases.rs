//! The lease and the handler's running time, through the listener, on every
//! ledger backend: a handler that runs longer than the lease keeps its claim
//! (renewed) and completes; the handler deadline still cuts a handler off
//! and frees its pingback; a release that fails while the ledger is
//! unreachable for a moment is retried, so the ref is not blocked for the
//! lease; a claim whose process died frees its ref after one lease.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pw_runtime::ledger::{Claim, Lease, Ledger, LedgerError, PaymentRecord, Quarantined};
use pw_runtime::listener::{Listener, Request};
use pw_runtime::{
    Delivery, Grant, HandlerError, Notice, OriginalPayment, Params, Pingback, PingbackType,
    Reversal, UniqueRef,
};

#[path = "support/backends.rs"]
mod backends;
use backends::*;
#[path = "support/pingbacks.rs"]
mod pingbacks;
use pingbacks::*;

const SECRET: &str = "0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f";

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Gems {}

/// Takes `delay` per delivery (or never returns), then counts it.
#[derive(Clone, Default)]
struct Shop {
    delivered: Arc<AtomicUsize>,
    delay: Duration,
    hang_first: Arc<AtomicUsize>,
}

impl GemsHandler for Shop {
    async fn deliver(&self, _: &mut Delivery<Gems>, _: Grant) -> Result<(), HandlerError> {
        let hang = self
            .hang_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if hang.is_ok() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(self.delay).await;
        self.delivered.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    async fn take_back(
        &self,
        _: &mut Delivery<Gems>,
        _: Reversal,
        _: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        Err(HandlerError::new("the shop is down"))
    }
    async fn notice(&self, _: &mut Delivery<Gems>, _: Notice) -> Result<(), HandlerError> {
        Ok(())
    }
}

fn pingback(reference: &str, kind: u32) -> Request {
    let kind = kind.to_string();
    signed_request(
        SECRET,
        &[
            ("uid", "user1"),
            ("goodsid", "gems_100"),
            ("type", kind.as_str()),
            ("ref", reference),
        ],
    )
}

/// A ledger whose `release` fails (as an unreachable server does) the
/// first `failures` times, and counts the calls.
#[derive(Clone)]
struct Flaky<L> {
    inner: L,
    failures: Arc<AtomicUsize>,
    releases: Arc<AtomicUsize>,
}

impl<L: Ledger> Ledger for Flaky<L> {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        self.inner.claim(id)
    }
    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        self.inner.complete(lease, params)
    }
    async fn release(&self, lease: Lease) -> Result<(), LedgerError> {
        self.releases.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            drop(lease); // as a lost connection: nothing reached the ledger
            return Err(LedgerError::Unavailable {
                backend: "flaky",
                message: "connection refused".into(),
            });
        }
        self.inner.release(lease).await
    }
    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        self.inner.original_payment(reference)
    }
    fn reversal(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        self.inner.reversal(reference)
    }
    fn renew(
        &self,
        id: &UniqueRef,
        token: &str,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        self.inner.renew(id, token)
    }
    fn quarantine(
        &self,
        lease: Lease,
        pingback: &Quarantined,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        self.inner.quarantine(lease, pingback)
    }
    fn quarantined(&self) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send {
        self.inner.quarantined()
    }
}

// ---------------------------------------------------------------- scenarios

/// A handler three leases long: its lease is renewed, nobody else gets the
/// pingback meanwhile, and it completes.
async fn a_handler_longer_than_its_lease_keeps_it_and_completes<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop {
        delay: SHORT_LEASE * 3,
        ..Shop::default()
    };
    let listener = Arc::new(
        Listener::<Gems, _, _>::builder(SECRET, shop.clone(), backend.open(SHORT_LEASE).await)
            .build(),
    );
    let first = {
        let listener = Arc::clone(&listener);
        tokio::spawn(async move { listener.handle(pingback("long1", 0)).await })
    };
    for _ in 0..4 {
        tokio::time::sleep(SHORT_LEASE / 2).await;
        // Past the lease, still in progress: renewed, not free for a second delivery.
        let meanwhile = listener.handle(pingback("long1", 0)).await;
        if meanwhile.is_acknowledgement() {
            break; // the first completed
        }
        assert_eq!(meanwhile.status, 503, "{meanwhile:?}");
    }
    assert!(first.await.unwrap().is_acknowledgement());
    assert!(listener
        .handle(pingback("long1", 0))
        .await
        .is_acknowledgement());
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 1);
    backend.teardown().await;
}

/// The handler deadline with a renewed lease: a handler that never returns
/// is cut off at its deadline, its claim released, and the retry delivers.
async fn the_handler_deadline_still_frees_the_pingback<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let shop = Shop {
        hang_first: Arc::new(AtomicUsize::new(1)),
        ..Shop::default()
    };
    let listener =
        Listener::<Gems, _, _>::builder(SECRET, shop.clone(), backend.open(SHORT_LEASE).await)
            .handler_deadline(SHORT_LEASE * 2)
            .build();
    let started = Instant::now();
    let cut = listener.handle(pingback("hang1", 0)).await;
    assert_eq!(cut.status, 500, "{cut:?}");
    assert!(
        started.elapsed() >= SHORT_LEASE * 2,
        "{:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < SHORT_LEASE * 2 + Duration::from_secs(3));
    assert!(listener
        .handle(pingback("hang1", 0))
        .await
        .is_acknowledgement());
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 1);
    backend.teardown().await;
}

/// The ledger fails the release after a handler error twice (down for a
/// moment): the listener retries it, and the retry of the pingback is not
/// blocked for the lease.
async fn a_release_that_fails_for_a_moment_is_retried<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = Flaky {
        inner: backend.open(LEASE).await,
        failures: Arc::new(AtomicUsize::new(2)),
        releases: Arc::default(),
    };
    let listener = Listener::<Gems, _, _>::builder(SECRET, Shop::default(), ledger.clone()).build();
    let failed = listener.handle(pingback("rel1", 2)).await; // take_back fails
    assert_eq!(failed.status, 500, "{failed:?}");
    assert_eq!(ledger.releases.load(Ordering::SeqCst), 3);
    // Within the 60-second lease, the chargeback's retry is fresh again, and
    // so is the payment of its ref.
    let claim = ledger
        .claim(&UniqueRef::new("rel1", PingbackType::Chargeback))
        .await;
    match claim.unwrap() {
        Claim::Fresh(lease) => ledger.inner.release(lease).await.unwrap(),
        other => panic!("the ref is still blocked: {other:?}"),
    }
    assert!(listener
        .handle(pingback("rel1", 0))
        .await
        .is_acknowledgement());
    backend.teardown().await;
}

/// A process that died mid-handler (its claim never completed nor
/// released) blocks its ref for one lease, then the ref is free again.
async fn a_dead_processs_claim_frees_its_ref_after_one_lease<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(SHORT_LEASE).await;
    let died = ledger
        .claim(&UniqueRef::new("dead1", PingbackType::Payment))
        .await;
    std::mem::forget(died.unwrap().into_lease().unwrap());
    let shop = Shop::default();
    let listener = Listener::<Gems, _, _>::builder(SECRET, shop.clone(), ledger).build();
    assert_eq!(listener.handle(pingback("dead1", 0)).await.status, 503);
    assert_eq!(listener.handle(pingback("dead1", 1)).await.status, 503);
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    let last = listener.handle(pingback("dead1", 0)).await;
    assert!(last.is_acknowledgement(), "{last:?}");
    assert_eq!(shop.delivered.load(Ordering::SeqCst), 1);
    backend.teardown().await;
}

// ---------------------------------------------------------------- runs

macro_rules! against {
    ($module:ident, $backend:ident, $short:ident) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_handler_longer_than_its_lease_keeps_it_and_completes() {
                super::a_handler_longer_than_its_lease_keeps_it_and_completes::<$short>().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_handler_deadline_still_frees_the_pingback() {
                super::the_handler_deadline_still_frees_the_pingback::<$short>().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_release_that_fails_for_a_moment_is_retried() {
                super::a_release_that_fails_for_a_moment_is_retried::<$backend>().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_dead_processs_claim_frees_its_ref_after_one_lease() {
                super::a_dead_processs_claim_frees_its_ref_after_one_lease::<$short>().await;
            }
        }
    };
}

against!(memory, Memory, MemoryShort);
against!(custom, Custom, CustomShort);
#[cfg(feature = "sqlite")]
against!(sqlite, Sqlite, Sqlite);
#[cfg(feature = "postgres")]
against!(postgres, Postgres, Postgres);
#[cfg(feature = "mysql")]
against!(mysql, Mysql, Mysql);
#[cfg(feature = "redis")]
against!(redis, Redis, Redis);
