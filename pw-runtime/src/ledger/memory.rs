//! The in-memory ledger, for tests and examples.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use super::{Claim, Lease, Ledger, LedgerError, LedgerOptions, PaymentRecord, PAYMENT_KINDS};
use crate::{Params, UniqueRef};

type Store = Arc<Mutex<HashMap<(String, u32), Entry>>>;

enum Entry {
    InProgress { token: String, expires: Instant },
    Done { query: String, at: SystemTime },
}

const BACKEND: &str = "memory";

/// What a memory lease holds: its ledger's store.
struct MemoryLease {
    store: Store,
}

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

fn lock(store: &Store) -> MutexGuard<'_, HashMap<(String, u32), Entry>> {
    // A panic while holding the lock cannot leave an entry half-written.
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn key(id: &UniqueRef) -> (String, u32) {
    (id.reference.clone(), id.kind.code())
}

impl Ledger for MemoryLedger {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        let mut entries = lock(&self.store);
        let now = Instant::now();
        let claim = match entries.get(&key(id)) {
            Some(Entry::Done { .. }) => Claim::AlreadyDone,
            Some(Entry::InProgress { expires, .. }) if *expires > now => Claim::InProgress,
            _ => {
                let lease = Lease::new(id.clone(), BACKEND, self.lease).with_state(MemoryLease {
                    store: Arc::clone(&self.store),
                });
                entries.insert(
                    key(id),
                    Entry::InProgress {
                        token: lease.token().to_owned(),
                        expires: now + self.lease,
                    },
                );
                Claim::Fresh(lease)
            }
        };
        drop(entries);
        std::future::ready(Ok(claim))
    }

    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        std::future::ready(finish(lease, Some(params)))
    }

    fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
        std::future::ready(finish(lease, None))
    }

    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        let entries = lock(&self.store);
        let found = PAYMENT_KINDS
            .iter()
            .filter_map(
                |kind| match entries.get(&(reference.to_owned(), kind.code())) {
                    Some(Entry::Done { query, at }) => Some(PaymentRecord::new(
                        UniqueRef::new(reference, *kind),
                        query.clone(),
                        *at,
                    )),
                    _ => None,
                },
            )
            .min_by_key(PaymentRecord::delivered_at);
        drop(entries);
        std::future::ready(Ok(found))
    }
}

/// Completes (with `params`) or releases (without) a memory lease.
fn finish(mut lease: Lease, params: Option<&Params>) -> Result<(), LedgerError> {
    lease.expect_backend(BACKEND)?;
    let Some(MemoryLease { store }) = lease.take_state::<MemoryLease>() else {
        return Err(lease.stale());
    };
    let mut entries = lock(&store);
    let key = key(lease.id());
    let current = matches!(
        entries.get(&key),
        Some(Entry::InProgress { token, expires }) if token == lease.token() && *expires > Instant::now()
    );
    if !current {
        return Err(lease.stale());
    }
    match params {
        Some(params) => {
            entries.insert(
                key,
                Entry::Done {
                    query: params.to_query_string(),
                    at: SystemTime::now(),
                },
            );
        }
        None => {
            entries.remove(&key);
        }
    }
    Ok(())
}
