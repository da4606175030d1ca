//! The state of a `ref` across its types, through the listener, on every
//! ledger backend (memory, the third-party one of `support/backends.rs`;
//! `sqlite`, `postgres`, `redis` with their features): a reversal that
//! arrives before its payment makes the payment `Grant::AlreadyReversed`;
//! risk reviews and their outcomes; a payment retried after its
//! chargeback; the types of one ref arriving at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pw_runtime::ledger::Ledger;
use pw_runtime::listener::{Listener, Request};
use pw_runtime::{
    ChargebackReason, Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal,
};

#[path = "support/backends.rs"]
mod backends;
use backends::*;
#[path = "support/pingbacks.rs"]
mod pingbacks;
use pingbacks::*;

const SECRET: &str = "6f1c0e5d2b8a4f3c9e7d1a0b5c4e3f2a";

#[derive(Pingback)]
#[pingback(api = "digital_goods")]
struct Gems {
    #[pingback(own)]
    campaign: String,
}

/// What the handler was asked, in order: `deliver 0`, `reversed 0 by 2`,
/// `take_back 2 (original 0)`, `take_back 202 (no original)`, `notice 200`.
#[derive(Clone, Default)]
struct Journal {
    calls: Calls<String>,
    failures_left: Arc<AtomicUsize>,
    delay: Duration,
}

impl Journal {
    fn calls(&self) -> Vec<String> {
        self.calls.all()
    }
    fn push(&self, call: String) {
        self.calls.push(call);
    }
    /// Goods granted and not taken back.
    fn granted(&self) -> i64 {
        let calls = self.calls();
        let granted = calls.iter().filter(|c| c.starts_with("deliver")).count();
        let revoked = calls
            .iter()
            .filter(|c| c.starts_with("take_back") && !c.ends_with("(no original)"))
            .count();
        i64::try_from(granted).unwrap() - i64::try_from(revoked).unwrap()
    }
}

impl GemsHandler for Journal {
    async fn deliver(
        &self,
        payment: &mut Delivery<Gems>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        tokio::time::sleep(self.delay).await;
        let failing = self
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if failing.is_ok() {
            return Err(HandlerError::new("the shop is down"));
        }
        let code = grant.kind().pingback_type().code();
        assert_eq!(code, payment.kind().code());
        assert_eq!(payment.campaign, "spring");
        match grant {
            Grant::Deliver(_) => self.push(format!("deliver {code}")),
            Grant::AlreadyReversed { reversal, .. } => {
                assert_eq!(reversal.unique_ref().reference, payment.reference());
                let by = reversal.reversal().pingback_type().code();
                assert_eq!(reversal.params().get("type"), Some(by.to_string().as_str()));
                self.push(format!("reversed {code} by {by}"));
            }
        }
        Ok(())
    }

    async fn take_back(
        &self,
        reversal: &mut Delivery<Gems>,
        why: Reversal,
        original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        tokio::time::sleep(self.delay).await;
        let code = why.pingback_type().code();
        if code == 2 {
            assert_eq!(why.reason(), Some(ChargebackReason::CancelledOrder));
        }
        assert_eq!(code, reversal.kind().code());
        match original {
            Some(original) => self.push(format!(
                "take_back {code} (original {})",
                original.unique_ref().kind.code()
            )),
            None => self.push(format!("take_back {code} (no original)")),
        }
        Ok(())
    }

    async fn notice(
        &self,
        pingback: &mut Delivery<Gems>,
        notice: Notice,
    ) -> Result<(), HandlerError> {
        assert_eq!(notice.pingback_type(), pingback.kind());
        self.push(format!("notice {}", notice.pingback_type().code()));
        Ok(())
    }
}

fn listener<L: Ledger>(journal: Journal, ledger: L) -> Listener<Gems, Journal, L> {
    Listener::builder(SECRET, journal, ledger).build()
}

/// A signed pingback of `reference` with type `kind`, from a Paymentwall address.
fn pingback(reference: &str, kind: u32) -> Request {
    gems_pingback(SECRET, reference, kind, "spring", "9")
}

/// Sends `kinds` of `reference` one after the other, each acknowledged,
/// then each once more (Paymentwall's retries: acknowledged, not handled
/// again), and returns the handler's journal.
async fn in_order<B: Backend>(backend: &B, reference: &str, kinds: &[u32]) -> Journal {
    let journal = Journal::default();
    let listener = listener(journal.clone(), backend.open(LEASE).await);
    for kind in kinds {
        assert_ok(&listener.handle(pingback(reference, *kind)).await);
    }
    let handled = journal.calls();
    for kind in kinds {
        assert_ok(&listener.handle(pingback(reference, *kind)).await);
    }
    assert_eq!(journal.calls(), handled, "a retry was handled again");
    journal
}

// ---------------------------------------------------------------- scenarios

async fn a_chargeback_before_its_payment_leaves_no_goods<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let journal = in_order(&backend, "o1", &[2, 0]).await;
    assert_eq!(
        journal.calls(),
        ["take_back 2 (no original)", "reversed 0 by 2"]
    );
    assert_eq!(journal.granted(), 0);
    // A declined review before a goodwill credit of the same ref, too.
    let journal = in_order(&backend, "o2", &[202, 1]).await;
    assert_eq!(
        journal.calls(),
        ["take_back 202 (no original)", "reversed 1 by 202"]
    );
    backend.teardown().await;
}

async fn a_pending_review_then_accepted_delivers_once<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let journal = in_order(&backend, "o3", &[200, 201]).await;
    assert_eq!(journal.calls(), ["notice 200", "deliver 201"]);
    assert_eq!(journal.granted(), 1);
    backend.teardown().await;
}

async fn a_pending_review_then_declined_delivers_nothing<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let journal = in_order(&backend, "o4", &[200, 202, 201]).await;
    assert_eq!(
        journal.calls(),
        [
            "notice 200",
            "take_back 202 (no original)",
            "reversed 201 by 202"
        ]
    );
    assert_eq!(journal.granted(), 0);
    backend.teardown().await;
}

async fn an_accepted_review_then_chargeback_takes_it_back<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let journal = in_order(&backend, "o5", &[201, 2]).await;
    assert_eq!(
        journal.calls(),
        ["deliver 201", "take_back 2 (original 201)"]
    );
    assert_eq!(journal.granted(), 0);
    backend.teardown().await;
}

/// The payment's first delivery fails; its chargeback arrives; the
/// payment's retry comes after it: not granted.
async fn a_payment_retried_after_its_chargeback_is_not_granted<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let journal = Journal::default();
    journal.failures_left.store(1, Ordering::SeqCst);
    let listener = listener(journal.clone(), backend.open(LEASE).await);
    assert_eq!(listener.handle(pingback("o6", 0)).await.status, 500);
    assert_ok(&listener.handle(pingback("o6", 2)).await);
    assert_ok(&listener.handle(pingback("o6", 0)).await);
    assert_ok(&listener.handle(pingback("o6", 0)).await);
    assert_eq!(
        journal.calls(),
        ["take_back 2 (no original)", "reversed 0 by 2"]
    );
    assert_eq!(journal.granted(), 0);
    backend.teardown().await;
}

/// A payment and its chargeback (and the other money types) arrive at
/// once, on two instances, many times each, as Paymentwall retries: each
/// type is handled once, one at a time, and whatever order they took, no
/// goods stay granted.
async fn the_same_refs_types_arriving_concurrently_are_handled_one_at_a_time<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let journal = Journal {
        delay: Duration::from_millis(30),
        ..Journal::default()
    };
    let instances = [
        Arc::new(listener(journal.clone(), backend.open(LEASE).await)),
        Arc::new(listener(journal.clone(), backend.open(LEASE).await)),
    ];
    let kinds = [0, 2, 200];
    for _ in 0..20 {
        let barrier = Arc::new(tokio::sync::Barrier::new(12));
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let listener = Arc::clone(&instances[i % 2]);
                let barrier = Arc::clone(&barrier);
                let kind = kinds[i % kinds.len()];
                tokio::spawn(async move {
                    barrier.wait().await;
                    listener.handle(pingback("o7", kind)).await
                })
            })
            .collect();
        for task in tasks {
            let response = task.await.unwrap();
            assert!(
                response.is_acknowledgement() || response.status == 503,
                "{response:?}"
            );
        }
    }
    let calls = journal.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls.contains(&"notice 200".to_owned()), "{calls:?}");
    let payment_first = ["deliver 0", "take_back 2 (original 0)"];
    let chargeback_first = ["take_back 2 (no original)", "reversed 0 by 2"];
    let money: Vec<&str> = calls
        .iter()
        .map(String::as_str)
        .filter(|call| !call.starts_with("notice"))
        .collect();
    assert!(
        money == payment_first || money == chargeback_first,
        "{calls:?}"
    );
    assert_eq!(journal.granted(), 0, "{calls:?}");
    backend.teardown().await;
}

// ---------------------------------------------------------------- runs

macro_rules! against {
    ($module:ident, $backend:ident) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_chargeback_before_its_payment_leaves_no_goods() {
                super::a_chargeback_before_its_payment_leaves_no_goods::<$backend>().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_pending_review_then_accepted_delivers_once() {
                super::a_pending_review_then_accepted_delivers_once::<$backend>().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_pending_review_then_declined_delivers_nothing() {
                super::a_pending_review_then_declined_delivers_nothing::<$backend>().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_accepted_review_then_chargeback_takes_it_back() {
                super::an_accepted_review_then_chargeback_takes_it_back::<$backend>().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_payment_retried_after_its_chargeback_is_not_granted() {
                super::a_payment_retried_after_its_chargeback_is_not_granted::<$backend>().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn the_same_refs_types_arriving_concurrently_are_handled_one_at_a_time() {
                super::the_same_refs_types_arriving_concurrently_are_handled_one_at_a_time::<
                    $backend,
                >()
                .await;
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
