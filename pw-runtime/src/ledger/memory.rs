//! The in-memory ledger, for tests and examples.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use super::record::{moves_money, PAYMENT_KINDS, REVERSAL_KINDS};
use super::{
    Claim, Lease, Ledger, LedgerError, LedgerOptions, PaymentRecord, Quarantined, MONEY_KINDS,
};
use crate::kinds::{PingbackType, UniqueRef};
use crate::params::Params;

type Key = (String, u32);

/// The pingbacks by `ref_type`, and the quarantine.
#[derive(Default)]
struct Maps {
    entries: HashMap<Key, Entry>,
    quarantine: HashMap<Key, Quarantined>,
}

type Store = Arc<Mutex<Maps>>;

enum Entry {
    InProgress { token: String, expires: Instant },
    Done { query: String, at: SystemTime },
}

const BACKEND: &str = "memory";

/// A ledger in this process's memory: for tests and examples only, since it
/// forgets everything when the process exits and is not shared between
/// processes. Clones share the same records.
///
/// ```
/// use pw_runtime::ledger::{Claim, Ledger, MemoryLedger};
/// use pw_runtime::Params;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let ledger = MemoryLedger::new();
/// let id = "b7_0".parse().unwrap();
/// let lease = ledger.claim(&id).await?.into_lease().unwrap();
/// ledger.complete(lease, &Params::from_pairs([("ref", "b7"), ("type", "0")]).unwrap()).await?;
/// assert!(matches!(ledger.clone().claim(&id).await?, Claim::AlreadyDone));
/// # Ok::<(), pw_runtime::ledger::LedgerError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryLedger {
    store: Store,
    lease: Duration,
}

impl std::fmt::Debug for MemoryLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLedger")
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryLedger {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryLedger {
    /// An empty ledger with the default options (a 5-minute lease).
    ///
    /// ```
    /// let ledger = pw_runtime::ledger::MemoryLedger::new();
    /// # let _ = ledger;
    /// ```
    pub fn new() -> Self {
        Self::with_options(LedgerOptions::default())
    }

    /// An empty ledger with `options`; only the lease duration applies.
    ///
    /// ```
    /// use pw_runtime::ledger::{LedgerOptions, MemoryLedger};
    /// let ledger = MemoryLedger::with_options(LedgerOptions::new().lease(std::time::Duration::from_secs(10)));
    /// # let _ = ledger;
    /// ```
    pub fn with_options(options: LedgerOptions) -> Self {
        MemoryLedger {
            store: Arc::default(),
            lease: options.lease,
        }
    }
}

fn lock(store: &Store) -> MutexGuard<'_, Maps> {
    // A panic while holding the lock cannot leave an entry half-written.
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn key(id: &UniqueRef) -> Key {
    (id.reference.clone(), id.kind.code())
}

impl Maps {
    fn in_progress(&self, key: &Key, now: Instant) -> bool {
        matches!(self.entries.get(key), Some(Entry::InProgress { expires, .. }) if *expires > now)
    }

    /// Another type among [`MONEY_KINDS`] of the same `ref` is in progress.
    fn sibling_in_progress(&self, id: &UniqueRef, now: Instant) -> bool {
        moves_money(id.kind)
            && MONEY_KINDS
                .iter()
                .filter(|kind| **kind != id.kind)
                .any(|kind| self.in_progress(&(id.reference.clone(), kind.code()), now))
    }

    fn current(&self, key: &Key, token: &str) -> bool {
        matches!(
            self.entries.get(key),
            Some(Entry::InProgress { token: held, expires }) if held == token && *expires > Instant::now()
        )
    }

    /// The earliest completed pingback of `reference` among `kinds`.
    fn earliest(&self, reference: &str, kinds: &[PingbackType]) -> Option<PaymentRecord> {
        kinds
            .iter()
            .filter_map(
                |kind| match self.entries.get(&(reference.to_owned(), kind.code())) {
                    Some(Entry::Done { query, at }) => Some(PaymentRecord::new(
                        UniqueRef::new(reference, *kind),
                        query.clone(),
                        *at,
                    )),
                    _ => None,
                },
            )
            .min_by_key(PaymentRecord::delivered_at)
    }
}

impl Ledger for MemoryLedger {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        let mut maps = lock(&self.store);
        let now = Instant::now();
        let claim = match maps.entries.get(&key(id)) {
            Some(Entry::Done { .. }) => Claim::AlreadyDone,
            Some(Entry::InProgress { expires, .. }) if *expires > now => Claim::InProgress,
            _ if maps.sibling_in_progress(id, now) => Claim::InProgress,
            _ => {
                let lease = Lease::new(id.clone(), BACKEND, self.lease);
                maps.entries.insert(
                    key(id),
                    Entry::InProgress {
                        token: lease.token().to_owned(),
                        expires: now + self.lease,
                    },
                );
                Claim::Fresh(lease)
            }
        };
        drop(maps);
        std::future::ready(Ok(claim))
    }

    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        std::future::ready(finish(&self.store, lease, Finish::Complete(params)))
    }

    fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
        std::future::ready(finish(&self.store, lease, Finish::Release))
    }

    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        std::future::ready(Ok(lock(&self.store).earliest(reference, &PAYMENT_KINDS)))
    }

    fn reversal(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        std::future::ready(Ok(lock(&self.store).earliest(reference, &REVERSAL_KINDS)))
    }

    fn renew(
        &self,
        id: &UniqueRef,
        token: &str,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        let mut maps = lock(&self.store);
        let key = key(id);
        let renewed = if maps.current(&key, token) {
            let expires = Instant::now() + self.lease;
            maps.entries.insert(
                key,
                Entry::InProgress {
                    token: token.to_owned(),
                    expires,
                },
            );
            Ok(())
        } else {
            Err(LedgerError::StaleLease { id: id.clone() })
        };
        drop(maps);
        std::future::ready(renewed)
    }

    fn quarantine(
        &self,
        lease: Lease,
        pingback: &Quarantined,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        std::future::ready(finish(&self.store, lease, Finish::Quarantine(pingback)))
    }

    fn quarantined(&self) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send {
        let mut all: Vec<Quarantined> = lock(&self.store).quarantine.values().cloned().collect();
        all.sort_by_key(|entry| (entry.first_seen(), entry.id().to_string()));
        std::future::ready(Ok(all))
    }
}

/// What becomes of a memory lease.
enum Finish<'a> {
    Complete(&'a Params),
    Release,
    Quarantine(&'a Quarantined),
}

/// Completes, releases or quarantines a memory lease.
fn finish(store: &Store, lease: Lease, how: Finish<'_>) -> Result<(), LedgerError> {
    lease.expect_backend(BACKEND)?;
    let mut maps = lock(store);
    let key = key(lease.id());
    if !maps.current(&key, lease.token()) {
        return Err(lease.stale());
    }
    match how {
        Finish::Complete(params) => {
            maps.entries.insert(
                key.clone(),
                Entry::Done {
                    query: params.to_query_string(),
                    at: SystemTime::now(),
                },
            );
            maps.quarantine.remove(&key);
        }
        Finish::Release => {
            maps.entries.remove(&key);
        }
        Finish::Quarantine(pingback) => {
            maps.entries.remove(&key);
            let entry = match maps.quarantine.get(&key) {
                Some(kept) => kept.merged(pingback),
                None => pingback.clone(),
            };
            maps.quarantine.insert(key, entry);
        }
    }
    Ok(())
}
