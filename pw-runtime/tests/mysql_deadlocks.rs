//! MySQL / MariaDB: claims of unrelated refs take no lock that makes them
//! deadlock one another. InnoDB counts every deadlock it breaks; this test
//! is alone in its binary, so nothing else of the suite runs on the server
//! meanwhile and the counter moves only for what it does.
//!
//! Before claims became one upsert of their own row, a claim of a type that
//! moves money locked the range of keys of its `ref` (`SELECT ... FOR
//! UPDATE` with no row yet): concurrent claims of neighbouring refs
//! deadlocked hundreds of times per run of the ledger scenarios, and under
//! load some gave up as "in progress".
#![cfg(feature = "mysql")]

use std::sync::Arc;
use std::time::Duration;

use pw_runtime::ledger::{sqlx, Claim, Ledger};
use pw_runtime::{Params, PingbackType, UniqueRef};

#[path = "support/backends.rs"]
#[allow(unused_imports)]
mod backends;
use backends::{failures_of, Backend, Mysql};

/// Pingbacks of distinct refs claimed and completed together, and how many
/// instances (pools) of the ledger they arrive at.
const PINGBACKS: usize = 400;
const INSTANCES: usize = 4;

async fn deadlocks(pool: &sqlx::MySqlPool) -> u64 {
    let (_, count): (String, String) = sqlx::query_as("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")
        .fetch_one(pool)
        .await
        .unwrap();
    count.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_of_unrelated_refs_never_deadlock() {
    let Some(backend) = Mysql::setup().await else {
        return;
    };
    let mut ledgers = Vec::new();
    for _ in 0..INSTANCES {
        ledgers.push(backend.open(Duration::from_secs(30)).await);
    }
    let codes = [0, 1, 2, 201, 202, 9, 12];
    let before = deadlocks(&backend.admin).await;
    let barrier = Arc::new(tokio::sync::Barrier::new(PINGBACKS));
    let tasks: Vec<_> = (0..PINGBACKS)
        .map(|n| {
            let ledger = ledgers[n % INSTANCES].clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                let (reference, code) = (format!("n{n}"), codes[n % codes.len()]);
                let id = UniqueRef::new(reference.as_str(), PingbackType::from_code(code));
                barrier.wait().await;
                let lease = match ledger.claim(&id).await {
                    Ok(Claim::Fresh(lease)) => lease,
                    other => return Err(format!("{id}: claimed {other:?}")),
                };
                let code = code.to_string();
                let params =
                    Params::from_pairs([("ref", reference.as_str()), ("type", code.as_str())])
                        .unwrap();
                ledger
                    .complete(lease, &params)
                    .await
                    .map_err(|err| format!("{id}: {err}"))
            })
        })
        .collect();
    let failures = failures_of(tasks).await;
    let broken = deadlocks(&backend.admin).await - before;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        broken, 0,
        "{PINGBACKS} pingbacks of distinct refs made InnoDB break {broken} deadlocks"
    );
    drop(ledgers);
    backend.teardown().await;
}
