//! The delivery ledger: every scenario is written once, generic over the
//! backend, and runs against every backend compiled in (memory always;
//! `sqlite`, `postgres`, `redis` with their features).
//!
//! Servers: `PW_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`);
//! for Redis each test starts a `redis-server` with AOF and `appendfsync
//! always` of its own (or uses `PW_TEST_REDIS_URL`, see `support/backends.rs`).
//! Each test works in its own schema, file or key prefix, so tests run in
//! parallel. An unreachable server fails the test under `CI=true` and skips
//! it otherwise.

// Built with fewer backends, some scenarios and helpers have no user.
#![cfg_attr(
    not(all(
        feature = "sqlite",
        feature = "postgres",
        feature = "mysql",
        feature = "redis"
    )),
    allow(dead_code, unused_macros)
)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pw_runtime::ledger::{
    Claim, Ledger, LedgerError, LedgerOptions, MemoryLedger, Quarantined, MONEY_KINDS,
};
use pw_runtime::{Params, PingbackType, UniqueRef};

#[path = "support/backends.rs"]
mod backends;
use backends::*;

// ---------------------------------------------------------------- helpers

fn id(reference: &str, code: u32) -> UniqueRef {
    UniqueRef::new(reference, PingbackType::from_code(code))
}

/// Signed-looking parameters with characters that need escaping and an array.
fn params(reference: &str, code: u32) -> Params {
    Params::from_pairs([
        ("uid", "user 1"),
        ("goodsid[0]", "gems&more"),
        ("goodsid[1]", "crown=1"),
        ("type", &code.to_string()),
        ("ref", reference),
        ("note", "héllo + wörld %"),
        ("sign_version", "3"),
        ("sig", "0123456789abcdef"),
    ])
    .unwrap()
}

async fn fresh<L: Ledger>(ledger: &L, id: &UniqueRef) -> pw_runtime::ledger::Lease {
    match ledger.claim(id).await.unwrap() {
        Claim::Fresh(lease) => lease,
        other => panic!("expected a fresh claim of {id}, got {other:?}"),
    }
}

async fn assert_claim<L: Ledger>(ledger: &L, id: &UniqueRef, expected: &str) {
    let claim = ledger.claim(id).await.unwrap();
    let got = match &claim {
        Claim::Fresh(_) => "fresh",
        Claim::AlreadyDone => "done",
        Claim::InProgress => "in progress",
    };
    assert_eq!(got, expected, "claim of {id}");
    if let Claim::Fresh(lease) = claim {
        ledger.release(lease).await.unwrap();
    }
}

fn assert_stale(result: Result<(), LedgerError>, id: &UniqueRef) {
    match result {
        Err(LedgerError::StaleLease { id: stale }) => assert_eq!(&stale, id),
        other => panic!("expected a stale lease on {id}, got {other:?}"),
    }
}

/// `RACERS` claims of `id` at once, spread over `ledgers`.
async fn race<L: Ledger + Clone + 'static>(
    ledgers: &[L],
    id: &UniqueRef,
) -> (Vec<pw_runtime::ledger::Lease>, usize, usize) {
    let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let ledger = ledgers[i % ledgers.len()].clone();
            let id = id.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                ledger.claim(&id).await
            })
        })
        .collect();
    let (mut leases, mut in_progress, mut done) = (Vec::new(), 0, 0);
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Claim::Fresh(lease) => leases.push(lease),
            Claim::InProgress => in_progress += 1,
            Claim::AlreadyDone => done += 1,
        }
    }
    (leases, in_progress, done)
}

// ---------------------------------------------------------------- scenarios

async fn claim_complete_then_already_done<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let pay = id("c1", 0);

    let lease = fresh(&ledger, &pay).await;
    assert_eq!(lease.id(), &pay);
    assert_claim(&ledger, &pay, "in progress").await;
    ledger.complete(lease, &params("c1", 0)).await.unwrap();
    assert_claim(&ledger, &pay, "done").await;
    assert_claim(&ledger, &pay, "done").await;
    // The same ref with another type is another pingback.
    assert_claim(&ledger, &id("c1", 2), "fresh").await;
    backend.teardown().await;
}

/// References that a database collation could take for one another: with
/// a trailing space, in another case, with a no-break space, decomposed
/// (`e` + U+0301 for `é`), and one of 1,024 bytes next to one a byte
/// shorter. Every backend keys a pingback by the exact bytes of its `ref`:
/// each is a pingback of its own, done or looked up only as itself.
async fn references_are_compared_byte_for_byte<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let long = "r".repeat(pw_runtime::Reference::MAX_BYTES);
    let references = [
        "k\u{e9}1".to_owned(),
        "k\u{e9}1 ".to_owned(),
        "K\u{c9}1".to_owned(),
        "k\u{e9}1\u{a0}".to_owned(),
        "ke\u{301}1".to_owned(),
        long.clone(),
        long[..long.len() - 1].to_owned(),
    ];
    for (n, reference) in references.iter().enumerate() {
        for earlier in &references[..n] {
            assert_claim(&ledger, &id(earlier, 0), "done").await;
        }
        assert_eq!(
            payment_kind(&ledger, reference).await,
            None,
            "{reference:?} before its payment"
        );
        let lease = fresh(&ledger, &id(reference, 0)).await;
        ledger.complete(lease, &params(reference, 0)).await.unwrap();
        let original = ledger.original_payment(reference).await.unwrap().unwrap();
        assert_eq!(original.id(), &id(reference, 0));
        let recorded = original.params().unwrap();
        assert_eq!(recorded.get("ref"), Some(reference.as_str()));
    }
    for reference in &references {
        assert_claim(&ledger, &id(reference, 0), "done").await;
    }
    backend.teardown().await;
}

async fn release_makes_it_fresh_again<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let pay = id("r1", 0);

    let lease = fresh(&ledger, &pay).await;
    ledger.release(lease).await.unwrap();
    let lease = fresh(&ledger, &pay).await;
    assert_claim(&ledger, &pay, "in progress").await;
    ledger.complete(lease, &params("r1", 0)).await.unwrap();
    assert_claim(&ledger, &pay, "done").await;
    assert!(ledger.original_payment("r1").await.unwrap().is_some());
    backend.teardown().await;
}

async fn expired_lease_is_claimed_again_and_cannot_complete<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(SHORT_LEASE).await;
    let pay = id("e1", 0);

    let stale = fresh(&ledger, &pay).await;
    assert_claim(&ledger, &pay, "in progress").await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    let current = fresh(&ledger, &pay).await;
    assert_stale(ledger.complete(stale, &params("e1", 0)).await, &pay);
    assert_claim(&ledger, &pay, "in progress").await;
    ledger.complete(current, &params("e1", 0)).await.unwrap();
    assert_claim(&ledger, &pay, "done").await;
    backend.teardown().await;
}

async fn expired_lease_cannot_complete_or_release<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(SHORT_LEASE).await;

    let late = fresh(&ledger, &id("e2", 0)).await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    assert_stale(ledger.complete(late, &params("e2", 0)).await, &id("e2", 0));
    assert!(ledger.original_payment("e2").await.unwrap().is_none());
    assert_claim(&ledger, &id("e2", 0), "fresh").await;

    let late = fresh(&ledger, &id("e3", 0)).await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    assert_stale(ledger.release(late).await, &id("e3", 0));
    assert_claim(&ledger, &id("e3", 0), "fresh").await;
    backend.teardown().await;
}

async fn concurrent_claims_give_one_lease<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let pay = id("race1", 0);

    let (mut leases, in_progress, done) = race(std::slice::from_ref(&ledger), &pay).await;
    assert_eq!((leases.len(), in_progress, done), (1, RACERS - 1, 0));
    ledger
        .complete(leases.pop().unwrap(), &params("race1", 0))
        .await
        .unwrap();

    let (leases, in_progress, done) = race(std::slice::from_ref(&ledger), &pay).await;
    assert_eq!((leases.len(), in_progress, done), (0, 0, RACERS));
    backend.teardown().await;
}

/// How many pingbacks of distinct refs arrive together in
/// `unrelated_refs_claimed_together_are_all_fresh`.
const UNRELATED: usize = 200;

/// Pingbacks of distinct refs, of every type, claimed and completed all at
/// once: each claim is fresh and each completion lands. No claim waits for
/// or fails because of another `ref`'s (InnoDB's locks on ranges of keys
/// made concurrent claims of refs with no row yet deadlock one another and
/// give up as "in progress").
async fn unrelated_refs_claimed_together_are_all_fresh<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let codes = [0, 1, 2, 201, 202, 9, 10, 11, 12, 13, 14];
    let pingbacks: Vec<(String, u32)> = (0..UNRELATED)
        .map(|n| (format!("apart{n}"), codes[n % codes.len()]))
        .collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(UNRELATED));
    let tasks: Vec<_> = pingbacks
        .iter()
        .map(|(reference, code)| {
            let (ledger, barrier) = (ledger.clone(), Arc::clone(&barrier));
            let (reference, code) = (reference.clone(), *code);
            tokio::spawn(async move {
                barrier.wait().await;
                let lease = match ledger.claim(&id(&reference, code)).await {
                    Ok(Claim::Fresh(lease)) => lease,
                    other => return Err(format!("{reference}_{code}: claimed {other:?}")),
                };
                ledger
                    .complete(lease, &params(&reference, code))
                    .await
                    .map_err(|err| format!("{reference}_{code}: {err}"))
            })
        })
        .collect();
    let failures = failures_of(tasks).await;
    assert!(
        failures.is_empty(),
        "{} of {UNRELATED} pingbacks of distinct refs failed: {failures:?}",
        failures.len()
    );
    for (reference, code) in &pingbacks {
        assert_claim(&ledger, &id(reference, *code), "done").await;
    }
    backend.teardown().await;
}

/// How many pingbacks `claims_racing_a_completion_never_deliver_twice`
/// completes while others claim them.
const RACED_COMPLETIONS: usize = 40;

/// Claims of a pingback keep arriving while its holder completes it: none
/// is fresh (its lease is held, then its record is done), and once the
/// completion returned every claim sees it done. A claim that looked at the
/// file just before the completion became durable, and entered itself just
/// after the completion let go of its claim, must look again.
async fn claims_racing_a_completion_never_deliver_twice<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    for n in 0..RACED_COMPLETIONS {
        let reference = format!("raced{n}");
        let pay = id(&reference, 0);
        let lease = fresh(&ledger, &pay).await;
        let completed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let claimers: Vec<_> = (0..4)
            .map(|_| {
                let (ledger, pay, completed) =
                    (ledger.clone(), pay.clone(), Arc::clone(&completed));
                tokio::spawn(async move {
                    loop {
                        let finished = completed.load(std::sync::atomic::Ordering::SeqCst);
                        match ledger.claim(&pay).await {
                            Ok(Claim::Fresh(_)) => {
                                return Err(format!("{pay}: a second fresh claim"))
                            }
                            Ok(Claim::InProgress) if finished => {
                                return Err(format!(
                                    "{pay}: in progress after its completion returned"
                                ))
                            }
                            Ok(Claim::AlreadyDone) if finished => return Ok(()),
                            Ok(_) => tokio::task::yield_now().await,
                            Err(err) => return Err(format!("{pay}: {err}")),
                        }
                    }
                })
            })
            .collect();
        ledger
            .complete(lease, &params(&reference, 0))
            .await
            .unwrap();
        completed.store(true, std::sync::atomic::Ordering::SeqCst);
        let failures = failures_of(claimers).await;
        assert!(failures.is_empty(), "{failures:?}");
    }
    backend.teardown().await;
}

async fn two_instances_give_one_lease<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledgers = [backend.open(LEASE).await, backend.open(LEASE).await];
    let pay = id("race2", 201);

    let (mut leases, in_progress, done) = race(&ledgers, &pay).await;
    assert_eq!((leases.len(), in_progress, done), (1, RACERS - 1, 0));
    // Either instance sees the other's record.
    ledgers[1]
        .complete(leases.pop().unwrap(), &params("race2", 201))
        .await
        .unwrap();
    assert_claim(&ledgers[0], &pay, "done").await;
    let record = ledgers[0].original_payment("race2").await.unwrap().unwrap();
    assert_eq!(record.id(), &pay);
    backend.teardown().await;
}

/// A ref with several completed payments (or reversals): the original is
/// the earliest delivered, whatever its type code.
async fn the_earliest_of_several_payments_is_the_original<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    for code in [201, 1, 0, 202, 2] {
        let lease = fresh(&ledger, &id("several", code)).await;
        ledger
            .complete(lease, &params("several", code))
            .await
            .unwrap();
        // Distinct delivery times, in milliseconds.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let payment = ledger.original_payment("several").await.unwrap().unwrap();
    assert_eq!(payment.id(), &id("several", 201));
    let reversal = ledger.reversal("several").await.unwrap().unwrap();
    assert_eq!(reversal.id(), &id("several", 202));
    backend.teardown().await;
}

async fn original_payment_of_a_ref<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let before = SystemTime::now() - Duration::from_secs(2);

    for (reference, code) in [
        ("p0", 0),
        ("p1", 1),
        ("p201", 201),
        ("only2", 2),
        ("only200", 200),
        ("both", 0),
        ("both", 2),
    ] {
        let lease = fresh(&ledger, &id(reference, code)).await;
        ledger
            .complete(lease, &params(reference, code))
            .await
            .unwrap();
    }
    let pending = fresh(&ledger, &id("pending", 0)).await;
    let after = SystemTime::now() + Duration::from_secs(2);

    for (reference, code) in [("p0", 0), ("p1", 1), ("p201", 201), ("both", 0)] {
        let record = ledger.original_payment(reference).await.unwrap();
        let record = record.unwrap_or_else(|| panic!("no payment for {reference}"));
        assert_eq!(record.id(), &id(reference, code));
        let sent = params(reference, code);
        assert_eq!(record.query(), sent.to_query_string());
        let parsed = record.params().unwrap();
        assert_eq!(parsed.to_query_string(), sent.to_query_string());
        assert_eq!(parsed.get("note"), Some("héllo + wörld %"));
        assert_eq!(parsed.get("ref"), Some(reference));
        assert!(
            record.delivered_at() > before && record.delivered_at() < after,
            "{record:?}"
        );
    }
    for reference in ["only2", "only200", "pending", "never"] {
        assert!(
            ledger.original_payment(reference).await.unwrap().is_none(),
            "{reference}"
        );
    }
    ledger.release(pending).await.unwrap();
    backend.teardown().await;
}

async fn namespaces_are_separate<B: Backend>() {
    let (Some(a), Some(b)) = (B::setup().await, B::setup().await) else {
        return;
    };
    let (la, lb) = (a.open(LEASE).await, b.open(LEASE).await);
    let lease = fresh(&la, &id("n1", 0)).await;
    la.complete(lease, &params("n1", 0)).await.unwrap();
    assert_claim(&lb, &id("n1", 0), "fresh").await;
    assert!(lb.original_payment("n1").await.unwrap().is_none());
    a.teardown().await;
    b.teardown().await;
}

async fn reopened_ledger_remembers<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let lease = fresh(&ledger, &id("d1", 0)).await;
    ledger.complete(lease, &params("d1", 0)).await.unwrap();
    drop(ledger);

    let reopened = backend.open(LEASE).await;
    assert_claim(&reopened, &id("d1", 0), "done").await;
    let record = reopened.original_payment("d1").await.unwrap().unwrap();
    assert_eq!(record.query(), params("d1", 0).to_query_string());
    backend.teardown().await;
}

async fn handler_writes_roll_back_with_release<B: SqlBackend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    backend.create_grants(&ledger).await;

    let mut lease = fresh(&ledger, &id("t1", 0)).await;
    backend.grant(&mut lease, "u1").await;
    ledger.release(lease).await.unwrap();
    assert_eq!(
        backend.grants(&ledger, "u1").await,
        0,
        "the grant is rolled back"
    );
    assert_eq!(
        backend.ledger_rows(&ledger, "t1").await,
        0,
        "the claim is removed"
    );
    assert_claim(&ledger, &id("t1", 0), "fresh").await;
    backend.teardown().await;
}

async fn handler_writes_commit_with_complete<B: SqlBackend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    backend.create_grants(&ledger).await;

    let mut lease = fresh(&ledger, &id("t2", 0)).await;
    backend.grant(&mut lease, "u2").await;
    backend.grant(&mut lease, "u2").await; // the same transaction again
    ledger.complete(lease, &params("t2", 0)).await.unwrap();
    assert_eq!(backend.grants(&ledger, "u2").await, 2);
    assert_eq!(backend.ledger_rows(&ledger, "t2").await, 1);
    assert_claim(&ledger, &id("t2", 0), "done").await;
    backend.teardown().await;
}

async fn stale_lease_rolls_back_handler_writes<B: SqlBackend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(SHORT_LEASE).await;
    backend.create_grants(&ledger).await;

    let mut lease = fresh(&ledger, &id("t3", 0)).await;
    backend.grant(&mut lease, "u3").await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    assert_stale(ledger.complete(lease, &params("t3", 0)).await, &id("t3", 0));
    assert_eq!(
        backend.grants(&ledger, "u3").await,
        0,
        "the grant is rolled back"
    );
    assert!(ledger.original_payment("t3").await.unwrap().is_none());
    assert_claim(&ledger, &id("t3", 0), "fresh").await;
    backend.teardown().await;
}

/// Claims and completes `reference` with type `code`.
async fn done<L: Ledger>(ledger: &L, reference: &str, code: u32) {
    let lease = fresh(ledger, &id(reference, code)).await;
    ledger
        .complete(lease, &params(reference, code))
        .await
        .unwrap();
}

async fn reversal_kind<L: Ledger>(ledger: &L, reference: &str) -> Option<u32> {
    let record = ledger.reversal(reference).await.unwrap()?;
    assert_eq!(
        record.query(),
        params(reference, record.id().kind.code()).to_query_string()
    );
    Some(record.id().kind.code())
}

async fn payment_kind<L: Ledger>(ledger: &L, reference: &str) -> Option<u32> {
    Some(
        ledger
            .original_payment(reference)
            .await
            .unwrap()?
            .id()
            .kind
            .code(),
    )
}

/// A chargeback recorded before its payment arrived is found by the
/// payment, durably (a new instance sees it).
async fn a_chargeback_before_its_payment_is_recorded<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    done(&ledger, "cb1", 2).await;
    assert_eq!(payment_kind(&ledger, "cb1").await, None);
    let other = backend.open(LEASE).await;
    assert_eq!(reversal_kind(&other, "cb1").await, Some(2));
    // The payment itself is still a pingback of its own, fresh.
    assert_claim(&other, &id("cb1", 0), "fresh").await;
    assert_eq!(reversal_kind(&ledger, "never").await, None);
    backend.teardown().await;
}

/// 200 then 201; 200 then 202; 201 then 2.
async fn a_risk_review_and_its_outcomes_are_recorded<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    done(&ledger, "rr1", 200).await;
    done(&ledger, "rr1", 201).await;
    assert_eq!(payment_kind(&ledger, "rr1").await, Some(201));
    assert_eq!(reversal_kind(&ledger, "rr1").await, None);

    done(&ledger, "rr2", 200).await;
    done(&ledger, "rr2", 202).await;
    assert_eq!(payment_kind(&ledger, "rr2").await, None);
    assert_eq!(reversal_kind(&ledger, "rr2").await, Some(202));

    done(&ledger, "rr3", 201).await;
    done(&ledger, "rr3", 2).await;
    assert_eq!(payment_kind(&ledger, "rr3").await, Some(201));
    assert_eq!(reversal_kind(&ledger, "rr3").await, Some(2));
    backend.teardown().await;
}

/// A payment whose first delivery failed, retried after its chargeback:
/// the retry is fresh, and the chargeback is there for it to see.
async fn a_payment_retried_after_its_chargeback_sees_it<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let failed = fresh(&ledger, &id("pr1", 0)).await;
    ledger.release(failed).await.unwrap();
    done(&ledger, "pr1", 2).await;
    let retry = fresh(&ledger, &id("pr1", 0)).await;
    assert_eq!(reversal_kind(&ledger, "pr1").await, Some(2));
    ledger.complete(retry, &params("pr1", 0)).await.unwrap();
    assert_claim(&ledger, &id("pr1", 0), "done").await;
    backend.teardown().await;
}

/// The money types of one ref take turns; other types and other refs do not
/// wait for them.
async fn the_money_types_of_a_ref_take_turns<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let payment = fresh(&ledger, &id("t1", 0)).await;
    for code in [1, 2, 201, 202] {
        assert_claim(&ledger, &id("t1", code), "in progress").await;
    }
    assert_claim(&ledger, &id("t1", 200), "fresh").await;
    assert_claim(&ledger, &id("t1", 12), "fresh").await;
    assert_claim(&ledger, &id("t2", 2), "fresh").await;
    ledger.complete(payment, &params("t1", 0)).await.unwrap();
    // Done: the chargeback may run now, and sees the payment.
    let chargeback = fresh(&ledger, &id("t1", 2)).await;
    assert_claim(&ledger, &id("t1", 0), "done").await;
    assert_claim(&ledger, &id("t1", 1), "in progress").await;
    ledger.release(chargeback).await.unwrap();
    assert_claim(&ledger, &id("t1", 1), "fresh").await;
    backend.teardown().await;
}

/// The same ref's money types arriving at once, on two instances: one
/// claim in all is fresh; once it completes, the next type is.
async fn the_same_refs_types_arriving_concurrently_give_one_lease<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledgers = [backend.open(LEASE).await, backend.open(LEASE).await];
    let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let ledger = ledgers[i % 2].clone();
            let barrier = Arc::clone(&barrier);
            let kind = MONEY_KINDS[i % MONEY_KINDS.len()];
            tokio::spawn(async move {
                barrier.wait().await;
                ledger.claim(&UniqueRef::new("cc1", kind)).await
            })
        })
        .collect();
    let mut leases = Vec::new();
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Claim::Fresh(lease) => leases.push(lease),
            Claim::InProgress => {}
            Claim::AlreadyDone => panic!("nothing was completed"),
        }
    }
    assert_eq!(leases.len(), 1, "{leases:?}");
    let lease = leases.pop().unwrap();
    let winner = lease.id().kind.code();
    ledgers[0]
        .complete(lease, &params("cc1", winner))
        .await
        .unwrap();
    for kind in MONEY_KINDS {
        let expected = if kind.code() == winner {
            "done"
        } else {
            "fresh"
        };
        assert_claim(&ledgers[1], &UniqueRef::new("cc1", kind), expected).await;
    }
    backend.teardown().await;
}

/// A claim of another money type of the ref waits only for an unexpired
/// lease: a crashed delivery blocks its ref for one lease at most.
async fn a_crashed_claim_blocks_its_ref_for_one_lease<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(SHORT_LEASE).await;
    std::mem::forget(fresh(&ledger, &id("k1", 0)).await);
    assert_claim(&ledger, &id("k1", 2), "in progress").await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    assert_claim(&ledger, &id("k1", 2), "fresh").await;
    assert_claim(&ledger, &id("k1", 0), "fresh").await;
    backend.teardown().await;
}

/// A renewed lease outlives its length; a lease not renewed expires; a
/// lease given back cannot be renewed.
async fn a_renewed_lease_stays_and_a_stale_one_cannot_be_renewed<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(SHORT_LEASE).await;
    let lease = fresh(&ledger, &id("w1", 0)).await;
    for _ in 0..4 {
        tokio::time::sleep(SHORT_LEASE / 3).await;
        ledger.renew(lease.id(), lease.token()).await.unwrap();
    }
    // Past its length several times over, still this lease's.
    assert_claim(&ledger, &id("w1", 0), "in progress").await;
    ledger.complete(lease, &params("w1", 0)).await.unwrap();

    let forgotten = fresh(&ledger, &id("w2", 0)).await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    assert_stale(
        ledger.renew(forgotten.id(), forgotten.token()).await,
        &id("w2", 0),
    );
    let released = fresh(&ledger, &id("w3", 0)).await;
    let (key, token) = (released.id().clone(), released.token().to_owned());
    ledger.release(released).await.unwrap();
    assert_stale(ledger.renew(&key, &token).await, &key);
    assert_stale(ledger.renew(&key, "not-a-token").await, &key);
    backend.teardown().await;
}

fn kept(reference: &str, code: u32, error: &str) -> Quarantined {
    let query = format!("uid=u1&type={code}&ref={reference}&paid_currency=XBT&sig=0a1b2c3d4e5f");
    Quarantined::new(
        id(reference, code),
        query,
        "174.36.92.186".parse().unwrap(),
        error,
        SystemTime::now(),
    )
}

/// Quarantine: kept with everything, attempts counted, first seen kept,
/// durable across instances, out of it when a delivery completes.
async fn a_quarantined_pingback_is_kept_until_delivered<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let before = SystemTime::now() - Duration::from_secs(2);
    let lease = fresh(&ledger, &id("q1", 0)).await;
    ledger
        .quarantine(lease, &kept("q1", 0, "first error"))
        .await
        .unwrap();
    // The claim is given up with it: the next delivery is fresh.
    let lease = fresh(&ledger, &id("q1", 0)).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    ledger
        .quarantine(lease, &kept("q1", 0, "second error"))
        .await
        .unwrap();
    let lease = fresh(&ledger, &id("q2", 2)).await;
    ledger
        .quarantine(lease, &kept("q2", 2, "other"))
        .await
        .unwrap();

    let listed = backend.open(LEASE).await.quarantined().await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let first = &listed[0];
    assert_eq!(first.id(), &id("q1", 0));
    assert_eq!(first.query(), kept("q1", 0, "").query());
    assert_eq!(first.client().to_string(), "174.36.92.186");
    assert_eq!(first.error(), "second error");
    assert_eq!(first.attempts(), 2);
    assert!(first.first_seen() < first.last_seen(), "{first:?}");
    assert!(first.first_seen() > before, "{first:?}");
    assert!(!format!("{first:?}").contains("0a1b2c3d4e5f"), "{first:?}");
    assert_eq!(listed[1].id(), &id("q2", 2));
    assert_eq!(listed[1].attempts(), 1);

    // A delivery that completes takes it out of quarantine.
    let lease = fresh(&ledger, &id("q1", 0)).await;
    ledger.complete(lease, &params("q1", 0)).await.unwrap();
    let listed = ledger.quarantined().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id(), &id("q2", 2));
    // A released delivery leaves it there.
    let lease = fresh(&ledger, &id("q2", 2)).await;
    ledger.release(lease).await.unwrap();
    assert_eq!(ledger.quarantined().await.unwrap().len(), 1);
    backend.teardown().await;
}

/// A stale lease keeps nothing and removes nothing.
async fn a_stale_lease_quarantines_nothing<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(SHORT_LEASE).await;
    let late = fresh(&ledger, &id("s1", 0)).await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    let current = fresh(&ledger, &id("s1", 0)).await;
    assert_stale(
        ledger.quarantine(late, &kept("s1", 0, "late")).await,
        &id("s1", 0),
    );
    assert!(ledger.quarantined().await.unwrap().is_empty());
    assert_claim(&ledger, &id("s1", 0), "in progress").await;
    ledger.release(current).await.unwrap();
    backend.teardown().await;
}

/// A stale lease's completion, with no handler writes through the lease,
/// records nothing and takes nothing out of the quarantine: neither while
/// another delivery holds the pingback nor once nobody does.
async fn a_stale_lease_completes_nothing<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(SHORT_LEASE).await;
    let pay = id("s2", 0);
    let lease = fresh(&ledger, &pay).await;
    ledger
        .quarantine(lease, &kept("s2", 0, "kept"))
        .await
        .unwrap();

    let late = fresh(&ledger, &pay).await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    let current = fresh(&ledger, &pay).await;
    assert_stale(ledger.complete(late, &params("s2", 0)).await, &pay);
    assert!(ledger.original_payment("s2").await.unwrap().is_none());
    assert_eq!(ledger.quarantined().await.unwrap().len(), 1);
    assert_claim(&ledger, &pay, "in progress").await;
    ledger.release(current).await.unwrap();

    let late = fresh(&ledger, &pay).await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    assert_stale(ledger.complete(late, &params("s2", 0)).await, &pay);
    assert!(ledger.original_payment("s2").await.unwrap().is_none());
    assert_eq!(ledger.quarantined().await.unwrap().len(), 1);
    assert_claim(&ledger, &pay, "fresh").await;
    backend.teardown().await;
}

// ---------------------------------------------------------------- slow handlers

/// How long each handler of the slow-handler scenarios spends before it
/// writes (an external call), and how many pingbacks of other refs arrive
/// together.
const SLOW: Duration = Duration::from_secs(2);
const SLOW_PINGBACKS: usize = 50;
/// Generous for a loaded machine, far below the `SLOW_PINGBACKS * SLOW`
/// (100 s) of handlers that wait for one another.
const SIDE_BY_SIDE: Duration = Duration::from_secs(10);

/// What the slow-handler scenarios check: every pingback delivered, none
/// failed, all together in about one handler's time.
fn assert_side_by_side(elapsed: Duration, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} of {SLOW_PINGBACKS} slow pingbacks failed: {failures:?}",
        failures.len()
    );
    assert!(elapsed >= SLOW, "the handlers did not wait: {elapsed:?}");
    assert!(
        elapsed < SIDE_BY_SIDE,
        "{SLOW_PINGBACKS} handlers of {SLOW:?} each took {elapsed:?} together: they waited for one another"
    );
}

/// Handlers that spend 2 s before they complete run side by side: 50
/// concurrent pingbacks of other refs all finish in about 2 s, none fails.
async fn slow_handlers_run_side_by_side<B: Backend>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..SLOW_PINGBACKS)
        .map(|n| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let reference = format!("slow{n}");
                let lease = match ledger.claim(&id(&reference, 0)).await {
                    Ok(Claim::Fresh(lease)) => lease,
                    other => return Err(format!("{reference}: claimed {other:?}")),
                };
                tokio::time::sleep(SLOW).await;
                ledger
                    .complete(lease, &params(&reference, 0))
                    .await
                    .map_err(|err| format!("{reference}: {err}"))
            })
        })
        .collect();
    let failures = failures_of(tasks).await;
    assert_side_by_side(started.elapsed(), &failures);
    for n in 0..SLOW_PINGBACKS {
        assert_claim(&ledger, &id(&format!("slow{n}"), 0), "done").await;
    }
    backend.teardown().await;
}

/// The same with the handler's own write in the ledger's transaction after
/// its 2 s (SQLite's one writer is taken only then, for microseconds): all
/// 50 finish in about 2 s, none fails with a busy timeout, every grant and
/// ledger row is there once.
async fn slow_handlers_with_grants_run_side_by_side<B: SqlBackend + 'static>() {
    let Some(backend) = B::setup().await else {
        return;
    };
    let backend = std::rc::Rc::new(backend);
    let ledger = backend.open(LEASE).await;
    backend.create_grants(&ledger).await;
    let started = std::time::Instant::now();
    // The backends' helpers are not `Send`: the handlers run on this
    // thread, concurrently.
    let local = tokio::task::LocalSet::new();
    let failures = local
        .run_until(async {
            let tasks: Vec<_> = (0..SLOW_PINGBACKS)
                .map(|n| {
                    let (backend, ledger) = (std::rc::Rc::clone(&backend), ledger.clone());
                    tokio::task::spawn_local(async move {
                        let reference = format!("grant{n}");
                        let mut lease = match ledger.claim(&id(&reference, 0)).await {
                            Ok(Claim::Fresh(lease)) => lease,
                            other => return Err(format!("{reference}: claimed {other:?}")),
                        };
                        tokio::time::sleep(SLOW).await;
                        backend.grant(&mut lease, &reference).await;
                        ledger
                            .complete(lease, &params(&reference, 0))
                            .await
                            .map_err(|err| format!("{reference}: {err}"))
                    })
                })
                .collect();
            failures_of(tasks).await
        })
        .await;
    assert_side_by_side(started.elapsed(), &failures);
    for n in 0..SLOW_PINGBACKS {
        let reference = format!("grant{n}");
        assert_eq!(backend.grants(&ledger, &reference).await, 1, "{reference}");
        assert_eq!(
            backend.ledger_rows(&ledger, &reference).await,
            1,
            "{reference}"
        );
    }
    drop(ledger);
    match std::rc::Rc::try_unwrap(backend) {
        Ok(backend) => backend.teardown().await,
        Err(_) => panic!("a handler still holds the backend"),
    }
}

// ---------------------------------------------------------------- the tests

macro_rules! run {
    ($backend:ty: $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $scenario() {
                super::$scenario::<$backend>().await;
            }
        )*
    };
}

/// Every scenario that applies to every backend.
macro_rules! common {
    ($backend:ty) => {
        run!($backend:
            claim_complete_then_already_done,
            references_are_compared_byte_for_byte,
            release_makes_it_fresh_again,
            concurrent_claims_give_one_lease,
            unrelated_refs_claimed_together_are_all_fresh,
            claims_racing_a_completion_never_deliver_twice,
            two_instances_give_one_lease,
            original_payment_of_a_ref,
            the_earliest_of_several_payments_is_the_original,
            namespaces_are_separate,
            a_chargeback_before_its_payment_is_recorded,
            a_risk_review_and_its_outcomes_are_recorded,
            a_payment_retried_after_its_chargeback_sees_it,
            the_money_types_of_a_ref_take_turns,
            the_same_refs_types_arriving_concurrently_give_one_lease,
            a_quarantined_pingback_is_kept_until_delivered,
            slow_handlers_run_side_by_side,
        );
    };
}

macro_rules! expiry {
    ($backend:ty) => {
        run!($backend:
            expired_lease_is_claimed_again_and_cannot_complete,
            expired_lease_cannot_complete_or_release,
            a_crashed_claim_blocks_its_ref_for_one_lease,
            a_renewed_lease_stays_and_a_stale_one_cannot_be_renewed,
            a_stale_lease_quarantines_nothing,
            a_stale_lease_completes_nothing,
        );
    };
}

macro_rules! sql {
    ($backend:ty) => {
        run!($backend:
            reopened_ledger_remembers,
            handler_writes_roll_back_with_release,
            handler_writes_commit_with_complete,
            stale_lease_rolls_back_handler_writes,
            slow_handlers_with_grants_run_side_by_side,
        );
    };
}

mod memory {
    common!(super::Memory);
    expiry!(super::MemoryShort);
}

/// A ledger written outside the crate on its public API (`support/backends.rs`).
mod custom {
    common!(super::Custom);
    expiry!(super::CustomShort);
}

#[cfg(feature = "sqlite")]
mod sqlite {
    common!(super::Sqlite);
    expiry!(super::Sqlite);
    sql!(super::Sqlite);
}

#[cfg(feature = "postgres")]
mod postgres {
    common!(super::Postgres);
    expiry!(super::Postgres);
    sql!(super::Postgres);
}

#[cfg(feature = "mysql")]
mod mysql {
    common!(super::Mysql);
    expiry!(super::Mysql);
    sql!(super::Mysql);
}

#[cfg(feature = "redis")]
mod redis {
    common!(super::Redis);
    expiry!(super::Redis);
    run!(super::Redis: reopened_ledger_remembers);
}

// ---------------------------------------------------------------- misuse

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_lease_of_another_backend_is_refused() {
    use pw_runtime::ledger::SqliteLedger;
    let backend = Sqlite::setup().await.unwrap();
    let sqlite: SqliteLedger = backend.open(LEASE).await;
    let memory = MemoryLedger::new();

    let mut lease = fresh(&memory, &id("w1", 0)).await;
    assert!(matches!(
        lease.sqlite().await,
        Err(LedgerError::WrongBackend {
            expected: "sqlite",
            found: "memory"
        })
    ));
    assert!(matches!(
        sqlite.complete(lease, &params("w1", 0)).await,
        Err(LedgerError::WrongBackend {
            expected: "sqlite",
            found: "memory"
        })
    ));
    let lease = fresh(&sqlite, &id("w1", 0)).await;
    assert!(matches!(
        memory.release(lease).await,
        Err(LedgerError::WrongBackend {
            expected: "memory",
            found: "sqlite"
        })
    ));
    backend.teardown().await;
}

/// A claim that arrives while another delivery's completion is committing
/// waits for the claim row, and then must see the record: the completion
/// committed after the claim's statement began, so the claim may decide
/// only on what it reads after it took the row.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_claim_waiting_on_a_completion_sees_it_done() {
    use pw_runtime::ledger::sqlx;
    let Some(backend) = Postgres::setup().await else {
        return;
    };
    let ledger = backend.open(LEASE).await;
    for (n, code) in [0, 1, 2, 201, 202, 3].into_iter().enumerate() {
        let reference = format!("w{n}");
        let pay = id(&reference, code);
        let lease = fresh(&ledger, &pay).await;
        // The other delivery's completion, held open: the claim's removal
        // and the record, not yet committed.
        let mut completion = backend.admin.begin().await.unwrap();
        let drop_claim = format!(
            "DELETE FROM \"{}\".pw_claims WHERE reference = $1 AND token = $2",
            backend.schema
        );
        let removed = sqlx::query(sqlx::AssertSqlSafe(drop_claim.as_str()))
            .bind(&reference)
            .bind(lease.token())
            .execute(&mut *completion)
            .await
            .unwrap();
        assert_eq!(removed.rows_affected(), 1);
        let record = format!(
            "INSERT INTO {} (reference, kind, state, params, delivered_at) \
             VALUES ($1, $2, 'done', '', now())",
            ledger.table()
        );
        sqlx::query(sqlx::AssertSqlSafe(record.as_str()))
            .bind(&reference)
            .bind(i64::from(code))
            .execute(&mut *completion)
            .await
            .unwrap();
        drop(lease);

        let claiming = {
            let (ledger, pay) = (ledger.clone(), pay.clone());
            tokio::spawn(async move { ledger.claim(&pay).await })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !claiming.is_finished(),
            "{pay}: the claim waits for the row"
        );
        completion.commit().await.unwrap();
        match claiming.await.unwrap().unwrap() {
            Claim::AlreadyDone => {}
            Claim::Fresh(_) => panic!("{pay}: a second fresh claim of a completed pingback"),
            Claim::InProgress => panic!("{pay}: in progress after its completion committed"),
        }
    }
    backend.teardown().await;
}

/// Several of the ledger's calls at once, so that its pool holds several
/// idle connections when the server ends them.
#[cfg(feature = "postgres")]
async fn fill_the_pool<L: Ledger>(ledger: &L) {
    let (a, b, c, d) = tokio::join!(
        ledger.original_payment("nothing"),
        ledger.original_payment("nothing"),
        ledger.reversal("nothing"),
        ledger.reversal("nothing"),
    );
    for lookup in [a, b, c, d] {
        assert!(lookup.unwrap().is_none());
    }
}

/// The very next call of each kind after `cut` ended the ledger's idle
/// connections must succeed: the claim, the history lookups, the lease's
/// transaction with the handler's write and its completion, and a
/// completion with no handler transaction; alone, and several at once. None may answer `Unavailable`:
/// that pingback would be refused although the outage is over.
#[cfg(feature = "postgres")]
async fn every_call_after_a_cut_succeeds<F, Fut>(
    backend: &Postgres,
    ledger: &pw_runtime::ledger::PostgresLedger,
    cut: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    backend.create_grants(ledger).await;
    let cut = || async {
        fill_the_pool(ledger).await;
        cut().await;
    };

    cut().await;
    let lease = fresh(ledger, &id("o1", 0)).await;
    cut().await;
    ledger.complete(lease, &params("o1", 0)).await.unwrap();
    cut().await;
    assert_eq!(payment_kind(ledger, "o1").await, Some(0));

    done(ledger, "o1", 2).await;
    cut().await;
    assert_eq!(reversal_kind(ledger, "o1").await, Some(2));

    let mut lease = fresh(ledger, &id("o2", 0)).await;
    cut().await;
    backend.grant(&mut lease, "o2").await;
    ledger.complete(lease, &params("o2", 0)).await.unwrap();
    assert_eq!(backend.grants(ledger, "o2").await, 1);

    cut().await;
    assert_claim(ledger, &id("o2", 0), "done").await;
    cut().await;
    assert_claim(ledger, &id("o3", 0), "fresh").await;

    // Pingbacks that arrive together each find their own dead connection.
    let (o4, o5, o6) = (id("o4", 0), id("o5", 0), id("o6", 0));
    let (o7, o7_params) = (fresh(ledger, &id("o7", 0)).await, params("o7", 0));
    cut().await;
    let ((), (), payment, completed) = tokio::join!(
        assert_claim(ledger, &o4, "fresh"),
        assert_claim(ledger, &o5, "fresh"),
        ledger.original_payment("o1"),
        ledger.complete(o7, &o7_params),
    );
    assert!(payment.unwrap().is_some());
    completed.unwrap();
    assert_claim(ledger, &o6, "fresh").await;
}

/// The server ends the ledger's connections, as a restart or
/// `pg_terminate_backend` does (each finds SQLSTATE 57P01 on its next use).
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_ledger_works_at_once_after_its_connections_were_ended() {
    let Some(backend) = Postgres::setup().await else {
        return;
    };
    let name = unique_name();
    let ledger = backend.open_named(LEASE, &name).await;
    let (admin, name) = (&backend, name.as_str());
    every_call_after_a_cut_succeeds(&backend, &ledger, move || async move {
        assert!(admin.terminate(name).await > 0);
    })
    .await;
    backend.teardown().await;
}

/// A TCP proxy in front of a database server that can cut all its
/// connections at once, as a proxy's idle timeout or a network failure
/// does (each connection finds its socket closed, an I/O error, on its
/// next use), or stall them: every connection stays open and nothing
/// crosses it, as when a route drops packets without a word.
#[cfg(any(feature = "postgres", feature = "mysql"))]
struct CuttingProxy {
    addr: std::net::SocketAddr,
    links: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    stalled: Arc<std::sync::atomic::AtomicBool>,
    accepting: tokio::task::JoinHandle<()>,
}

/// Copies `from` to `to`; what it reads while `stalled` is set it holds
/// until the stall ends.
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf).await {
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl CuttingProxy {
    /// A proxy on a free loopback port to `target` (`host:port`).
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let links = Arc::new(std::sync::Mutex::new(Vec::new()));
        let stalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let accepting = tokio::spawn({
            let (links, stalled) = (Arc::clone(&links), Arc::clone(&stalled));
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let target = target.clone();
                    let stalled = Arc::clone(&stalled);
                    let link = tokio::spawn(async move {
                        if let Ok(server) = tokio::net::TcpStream::connect(&target).await {
                            let (client_in, client_out) = client.into_split();
                            let (server_in, server_out) = server.into_split();
                            tokio::join!(
                                pump(client_in, server_out, Arc::clone(&stalled)),
                                pump(server_in, client_out, stalled),
                            );
                        }
                    });
                    links.lock().unwrap().push(link);
                }
            }
        });
        CuttingProxy {
            addr,
            links,
            stalled,
            accepting,
        }
    }

    /// Stops (`true`) or resumes (`false`) all traffic through the proxy.
    fn stall(&self, stalled: bool) {
        self.stalled
            .store(stalled, std::sync::atomic::Ordering::SeqCst);
    }

    /// `url` with its host and port replaced by the proxy's.
    fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let user = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"))
            .unwrap_or_default();
        format!("{scheme}://{user}{}{path}", self.addr)
    }

    /// Closes every connection through the proxy; how many there were.
    async fn cut(&self) -> usize {
        let links = std::mem::take(&mut *self.links.lock().unwrap());
        for link in &links {
            link.abort();
        }
        let cut = links.len();
        for link in links {
            let _ = link.await;
        }
        cut
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_ledger_works_at_once_after_a_proxy_cut_its_connections() {
    use pw_runtime::ledger::sqlx::postgres::PgConnectOptions;
    use pw_runtime::ledger::PostgresLedger;
    let Some(backend) = Postgres::setup().await else {
        return;
    };
    let server: PgConnectOptions = backend.url.parse().unwrap();
    let proxy = CuttingProxy::start(format!("{}:{}", server.get_host(), server.get_port())).await;
    let options = LedgerOptions::new().lease(LEASE).schema(&backend.schema);
    let ledger = PostgresLedger::connect(&proxy.url(&backend.url), options)
        .await
        .unwrap();
    let proxy = &proxy;
    every_call_after_a_cut_succeeds(&backend, &ledger, move || async move {
        assert!(proxy.cut().await > 0);
    })
    .await;
    backend.teardown().await;
}

/// The response timeout of the stall tests, and their lease.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
const STALL_LEASE: Duration = Duration::from_secs(3);

/// While the network to the server drops everything without a word, each
/// call of a server ledger fails within its response timeout (instead of
/// waiting for TCP to give up, about 15 minutes), a lease taken before the
/// stall included; once traffic flows again the ledger works, and the
/// payment whose completion failed is delivered once.
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn every_call_fails_in_time_while_the_network_stalls<L: Ledger>(
    ledger: &L,
    proxy: &CuttingProxy,
) {
    let limit = RESPONSE_TIMEOUT * 3;
    let (s1, s2) = (id("s1", 0), id("s2", 0));
    let lease = fresh(ledger, &s1).await;
    let held = fresh(ledger, &s2).await;
    proxy.stall(true);
    let started = std::time::Instant::now();
    let claim = tokio::time::timeout(limit, ledger.claim(&id("s3", 0))).await;
    assert!(
        matches!(claim, Ok(Err(LedgerError::Unavailable { .. }))),
        "claim: {claim:?}"
    );
    let lookup = tokio::time::timeout(limit, ledger.original_payment("s1")).await;
    assert!(
        matches!(lookup, Ok(Err(LedgerError::Unavailable { .. }))),
        "lookup: {lookup:?}"
    );
    let completed = tokio::time::timeout(limit, ledger.complete(lease, &params("s1", 0))).await;
    assert!(
        matches!(completed, Ok(Err(LedgerError::Unavailable { .. }))),
        "complete: {completed:?}"
    );
    let released = tokio::time::timeout(limit, ledger.release(held)).await;
    assert!(
        matches!(released, Ok(Err(LedgerError::Unavailable { .. }))),
        "release: {released:?}"
    );
    assert!(started.elapsed() < limit * 4, "{:?}", started.elapsed());
    proxy.stall(false);
    // s1's completion may or may not have reached the server; either way
    // it is done at most once: done now, or claimed again once its lease
    // has expired.
    tokio::time::sleep(STALL_LEASE + Duration::from_millis(500)).await;
    match ledger.claim(&s1).await.unwrap() {
        Claim::AlreadyDone => {}
        Claim::Fresh(lease) => ledger.complete(lease, &params("s1", 0)).await.unwrap(),
        Claim::InProgress => panic!("s1 still in progress after its lease"),
    }
    assert_claim(ledger, &s1, "done").await;
    assert_claim(ledger, &id("s4", 0), "fresh").await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_ledger_fails_in_time_while_the_network_stalls() {
    use pw_runtime::ledger::sqlx::postgres::PgConnectOptions;
    use pw_runtime::ledger::PostgresLedger;
    let Some(backend) = Postgres::setup().await else {
        return;
    };
    let server: PgConnectOptions = backend.url.parse().unwrap();
    let proxy = CuttingProxy::start(format!("{}:{}", server.get_host(), server.get_port())).await;
    let options = LedgerOptions::new()
        .lease(STALL_LEASE)
        .schema(&backend.schema)
        .response_timeout(RESPONSE_TIMEOUT);
    let ledger = PostgresLedger::connect(&proxy.url(&backend.url), options)
        .await
        .unwrap();
    every_call_fails_in_time_while_the_network_stalls(&ledger, &proxy).await;
    drop(ledger);
    backend.teardown().await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mysql_ledger_fails_in_time_while_the_network_stalls() {
    use pw_runtime::ledger::MySqlLedger;
    let Some(backend) = Mysql::setup().await else {
        return;
    };
    let server: pw_runtime::ledger::sqlx::mysql::MySqlConnectOptions = backend.url.parse().unwrap();
    let proxy = CuttingProxy::start(format!("{}:{}", server.get_host(), server.get_port())).await;
    let options = LedgerOptions::new()
        .lease(STALL_LEASE)
        .prefix(&backend.prefix)
        .response_timeout(RESPONSE_TIMEOUT);
    let ledger = MySqlLedger::connect(&proxy.url(&backend.url), options)
        .await
        .unwrap();
    every_call_fails_in_time_while_the_network_stalls(&ledger, &proxy).await;
    drop(ledger);
    backend.teardown().await;
}

/// A ledger table of an earlier version, whose `reference` is text
/// (`VARCHAR`, compared with trailing spaces ignored), is refused with the
/// statement that converts it; converted, the ledger opens and tells
/// `b1 ` from `b1`.
#[cfg(feature = "mysql")]
#[tokio::test]
async fn a_mysql_ledger_table_with_text_references_is_refused_with_its_fix() {
    use pw_runtime::ledger::sqlx::{self, AssertSqlSafe};
    use pw_runtime::ledger::MySqlLedger;
    let Some(backend) = Mysql::setup().await else {
        return;
    };
    let table = format!("{}ledger", backend.prefix);
    let old = format!(
        "CREATE TABLE `{table}` (reference VARCHAR(255) NOT NULL, kind BIGINT NOT NULL, \
         state VARCHAR(16) NOT NULL, token VARCHAR(64), expires_at BIGINT, params MEDIUMTEXT, \
         delivered_at BIGINT, PRIMARY KEY (reference, kind)) ENGINE=InnoDB \
         DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    );
    sqlx::query(AssertSqlSafe(old))
        .execute(&backend.admin)
        .await
        .unwrap();
    let options = || LedgerOptions::new().lease(LEASE).prefix(&backend.prefix);
    let error = MySqlLedger::connect(&backend.url, options())
        .await
        .unwrap_err();
    let LedgerError::Config(message) = &error else {
        panic!("a text reference column was not refused: {error:?}");
    };
    let fix = format!("ALTER TABLE `{table}` MODIFY reference VARBINARY(1024) NOT NULL;");
    assert!(
        message.contains("trailing spaces") && message.ends_with(&fix),
        "{message}"
    );
    sqlx::query(AssertSqlSafe(fix))
        .execute(&backend.admin)
        .await
        .unwrap();
    let ledger = MySqlLedger::connect(&backend.url, options()).await.unwrap();
    let lease = fresh(&ledger, &id("b1", 0)).await;
    ledger.complete(lease, &params("b1", 0)).await.unwrap();
    assert_claim(&ledger, &id("b1 ", 0), "fresh").await;
    drop(ledger);
    backend.teardown().await;
}

/// With the `tls` feature, a URL that requires TLS gets it: the ledger's
/// connections are encrypted (`pg_stat_ssl`) and the ledger works. The
/// machines' PostgreSQL serves TLS (`ssl = on`).
#[cfg(all(feature = "postgres", feature = "tls"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_ledger_connects_over_tls_when_the_url_requires_it() {
    use pw_runtime::ledger::PostgresLedger;
    let Some(backend) = Postgres::setup().await else {
        return;
    };
    let separator = if backend.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}sslmode=require", backend.url);
    let options = LedgerOptions::new().lease(LEASE).schema(&backend.schema);
    let ledger = PostgresLedger::connect(&url, options).await.unwrap();
    let (encrypted,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(ledger.pool())
            .await
            .unwrap();
    assert!(
        encrypted,
        "the connection of sslmode=require is not encrypted"
    );
    let pay = id("tls1", 0);
    let lease = fresh(&ledger, &pay).await;
    ledger.complete(lease, &params("tls1", 0)).await.unwrap();
    assert_claim(&ledger, &pay, "done").await;
    drop(ledger);
    backend.teardown().await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_prefix_that_is_not_an_sql_name_is_refused() {
    use pw_runtime::ledger::SqliteLedger;
    let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
    for bad in ["x\"; DROP TABLE y; --", "1abc", "a-b", "a.b"] {
        let err = SqliteLedger::open(&path, LedgerOptions::new().prefix(bad))
            .await
            .unwrap_err();
        assert!(matches!(err, LedgerError::Config(_)), "{bad}: {err}");
    }
    assert!(!path.exists(), "nothing is created for an invalid prefix");
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn the_sqlite_file_is_created_in_wal_mode() {
    let backend = Sqlite::setup().await.unwrap();
    assert!(!backend.path.exists());
    let ledger = backend.open(LEASE).await;
    assert!(backend.path.exists());
    let mode: String = ledger
        .read(|db| db.query_row("PRAGMA journal_mode", [], |row| row.get(0)))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = ledger
        .write(|db| db.query_row("PRAGMA synchronous", [], |row| row.get(0)))
        .await
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL on the connection that commits");
    backend.teardown().await;
}

#[tokio::test]
async fn an_unused_lease_keeps_the_pingback_in_progress_until_it_expires() {
    let ledger = MemoryLedger::with_options(LedgerOptions::new().lease(SHORT_LEASE));
    drop(fresh(&ledger, &id("u1", 0)).await);
    assert_claim(&ledger, &id("u1", 0), "in progress").await;
    tokio::time::sleep(PAST_SHORT_LEASE).await;
    assert_claim(&ledger, &id("u1", 0), "fresh").await;
}

#[tokio::test]
async fn a_reference_or_an_arc_to_a_ledger_is_a_ledger() {
    let ledger = Arc::new(MemoryLedger::new());
    let lease = fresh(&ledger, &id("a1", 0)).await;
    let by_ref: &MemoryLedger = &ledger;
    assert_claim(&by_ref, &id("a1", 0), "in progress").await;
    ledger.complete(lease, &params("a1", 0)).await.unwrap();
    assert_claim(&by_ref, &id("a1", 0), "done").await;
}

#[tokio::test]
async fn a_custom_lease_and_a_built_in_one_are_not_mixed_up() {
    let custom = Custom::setup().await.unwrap().0;
    let memory = MemoryLedger::new();

    let lease = fresh(&memory, &id("m1", 0)).await;
    assert_eq!(lease.backend(), "memory");
    assert!(matches!(
        custom.complete(lease, &params("m1", 0)).await,
        Err(LedgerError::WrongBackend {
            expected: "custom",
            found: "memory"
        })
    ));
    let lease = fresh(&custom, &id("c1", 0)).await;
    assert_eq!(lease.backend(), "custom");
    assert!(matches!(
        memory.release(lease).await,
        Err(LedgerError::WrongBackend {
            expected: "memory",
            found: "custom"
        })
    ));
}

// ---------------------------------------------------------------- SQLite: one process, one writer

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_sqlite_ledger_file_is_locked_against_other_processes() {
    let backend = Sqlite::setup().await.unwrap();
    let ledger = backend.open(LEASE).await;
    let mut lock = backend.path.clone().into_os_string();
    lock.push(".lock");
    let other = std::fs::OpenOptions::new().write(true).open(&lock).unwrap();
    assert!(
        other.try_lock().is_err(),
        "another process could open the ledger"
    );
    // The same process opens the same file again: one shared ledger file.
    let again = backend.open(LEASE).await;
    let lease = fresh(&ledger, &id("l1", 0)).await;
    assert_claim(&again, &id("l1", 0), "in progress").await;
    ledger.complete(lease, &params("l1", 0)).await.unwrap();
    assert_claim(&again, &id("l1", 0), "done").await;
    drop((ledger, again));
    assert!(other.try_lock().is_ok(), "the lock outlives the ledger");
    backend.teardown().await;
}

/// A handler that holds SQLite's writer for a while: the other pingbacks
/// queue behind it and complete once it is done; none fails, none is lost.
#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_writers_queue_behind_a_slow_handler_and_none_fails() {
    let backend = Sqlite::setup().await.unwrap();
    let ledger = backend.open(LEASE).await;
    backend.create_grants(&ledger).await;
    let mut slow = fresh(&ledger, &id("slow", 0)).await;
    backend.grant(&mut slow, "slow").await; // now holds the writer
    let others: Vec<_> = (0..50)
        .map(|n| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let reference = format!("q{n}");
                let lease = fresh(&ledger, &id(&reference, 0)).await;
                ledger.complete(lease, &params(&reference, 0)).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Claims never wait for the writer.
    assert_claim(&ledger, &id("slow", 0), "in progress").await;
    ledger.complete(slow, &params("slow", 0)).await.unwrap();
    for other in others {
        other.await.unwrap().unwrap();
    }
    for n in 0..50 {
        assert_claim(&ledger, &id(&format!("q{n}"), 0), "done").await;
    }
    assert_eq!(backend.grants(&ledger, "slow").await, 1);
    backend.teardown().await;
}

/// Many completions at once share commits, and each is durable when it
/// returns: a reopened file has every record.
#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sqlite_completions_are_all_durable() {
    let backend = Sqlite::setup().await.unwrap();
    let ledger = backend.open(LEASE).await;
    let tasks: Vec<_> = (0..RACERS)
        .map(|n| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let reference = format!("c{n}");
                let lease = fresh(&ledger, &id(&reference, 0)).await;
                ledger.complete(lease, &params(&reference, 0)).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    drop(ledger);
    let reopened = backend.open(LEASE).await;
    let sql = format!("SELECT count(*) FROM {}", reopened.table());
    let rows: i64 = reopened
        .read(|db| db.query_row(&sql, [], |row| row.get(0)))
        .unwrap();
    assert_eq!(rows, i64::try_from(RACERS).unwrap());
    backend.teardown().await;
}

// ---------------------------------------------------------------- Redis over TLS

/// A certificate authority and a server certificate it signed for
/// `127.0.0.1`, made with the `openssl` command in a new directory:
/// `ca.pem`, `cert.pem`, `key.pem`.
#[cfg(all(feature = "redis", feature = "tls"))]
fn test_certificates() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pw-tls-{}", unique_name()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        let output = std::process::Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("the openssl command, to make test certificates");
        assert!(output.status.success(), "openssl {args:?}: {output:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=pw test CA",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "cert.pem",
    ]);
    dir
}

/// With the `tls` feature, a Redis ledger works over TLS: on a client
/// built with the server's CA, and a `rediss://` URL is checked against
/// Mozilla's roots (a private CA's certificate is refused as unavailable,
/// not a panic).
#[cfg(all(feature = "redis", feature = "tls"))]
#[tokio::test]
async fn a_redis_ledger_works_over_tls() {
    use pw_runtime::ledger::{redis_client, RedisLedger};
    let certs = test_certificates();
    let Some(server) = RedisServer::start_tls(&certs) else {
        return;
    };
    assert!(server.url.starts_with("rediss://"), "{}", server.url);
    let untrusted = RedisLedger::connect(&server.url, LedgerOptions::new()).await;
    match untrusted {
        Err(LedgerError::Unavailable { message, .. }) => {
            assert!(message.to_lowercase().contains("certificate"), "{message}")
        }
        other => panic!("a certificate of a private CA was not refused: {other:?}"),
    }
    let client = redis_client::Client::build_with_tls(
        server.url.as_str(),
        redis_client::TlsCertificates {
            client_tls: None,
            root_cert: Some(std::fs::read(certs.join("ca.pem")).unwrap()),
        },
    )
    .unwrap();
    let options = LedgerOptions::new().prefix(format!("{}:", unique_name()));
    let ledger = RedisLedger::from_client(client, options).await.unwrap();
    let pay = id("tls1", 0);
    let lease = fresh(&ledger, &pay).await;
    ledger.complete(lease, &params("tls1", 0)).await.unwrap();
    assert_claim(&ledger, &pay, "done").await;
    let _ = std::fs::remove_dir_all(&certs);
}

/// Without the `tls` feature, a `rediss://` URL is refused at once and the
/// message names the feature.
#[cfg(all(feature = "redis", not(feature = "tls")))]
#[tokio::test]
async fn a_rediss_url_without_the_tls_feature_names_it() {
    use pw_runtime::ledger::RedisLedger;
    for url in ["rediss://127.0.0.1:6380", "REDISS://127.0.0.1:6380/0"] {
        let error = RedisLedger::connect(url, LedgerOptions::new())
            .await
            .unwrap_err();
        assert!(matches!(error, LedgerError::Config(_)), "{url}: {error}");
        assert!(
            error.to_string().contains("`tls` feature"),
            "{url}: {error}"
        );
    }
}

// ---------------------------------------------------------------- Redis persistence

/// A Redis server that can lose an acknowledged write is refused, with a
/// message that says what to set, unless the options accept the loss.
#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_without_aof_always_is_refused_unless_accepted() {
    use pw_runtime::ledger::RedisLedger;
    for persistence in [
        &["--appendonly", "no"][..],
        &["--appendonly", "yes", "--appendfsync", "everysec"][..],
        &["--appendonly", "yes", "--appendfsync", "no"][..],
    ] {
        let Some(server) = RedisServer::start_with(persistence) else {
            return;
        };
        let error = RedisLedger::connect(&server.url, LedgerOptions::new())
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, LedgerError::Config(_)), "{message}");
        for needed in [
            "can lose acknowledged writes",
            "appendonly yes",
            "appendfsync always",
            "accept_redis_data_loss",
            "a second time",
        ] {
            assert!(message.contains(needed), "{needed} not in {message}");
        }
        let accepted = LedgerOptions::new().accept_redis_data_loss();
        RedisLedger::connect(&server.url, accepted).await.unwrap();
    }
}

/// The machine's Redis (`PW_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`)
/// runs without persistence: the ledger refuses it, and opens on it only
/// when told to accept the loss.
#[cfg(feature = "redis")]
#[tokio::test]
async fn the_machines_redis_without_persistence_is_refused() {
    use pw_runtime::ledger::{redis_client, RedisLedger};
    let url =
        std::env::var("PW_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let config = async {
        let client = redis_client::Client::open(url.as_str())?;
        let conn = client.get_multiplexed_async_connection().await?;
        let get = |name: &'static str| {
            let mut conn = conn.clone();
            async move {
                redis_client::cmd("CONFIG")
                    .arg("GET")
                    .arg(name)
                    .query_async::<std::collections::HashMap<String, String>>(&mut conn)
                    .await
                    .map(|found| found.get(name).cloned().unwrap_or_default())
            }
        };
        let appendonly = get("appendonly").await?;
        let appendfsync = get("appendfsync").await?;
        Ok::<_, redis_client::RedisError>((appendonly, appendfsync))
    };
    let read = match tokio::time::timeout(Duration::from_secs(5), config).await {
        Ok(read) => read.map_err(|err| err.to_string()),
        Err(_) => Err("no answer in 5 s".to_owned()),
    };
    let (appendonly, appendfsync) = match read {
        Ok(config) => config,
        Err(err) => {
            let start = "service redis-server start";
            server_unreachable::<()>("Redis (PW_TEST_REDIS_URL)", &url, &err, start);
            return;
        }
    };
    let opened = RedisLedger::connect(&url, LedgerOptions::new()).await;
    if appendonly == "yes" && appendfsync == "always" {
        opened.unwrap();
    } else {
        let message = opened.unwrap_err().to_string();
        assert!(
            message.contains(&format!(
                "appendonly {appendonly}, appendfsync {appendfsync}"
            )),
            "{message}"
        );
    }
    let accepted = LedgerOptions::new().accept_redis_data_loss();
    RedisLedger::connect(&url, accepted).await.unwrap();
}
