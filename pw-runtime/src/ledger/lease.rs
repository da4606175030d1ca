//! [`Lease`]: the right to handle one pingback until a deadline, with
//! whatever state its backend keeps for it.

use std::any::Any;
use std::fmt;
use std::time::{Duration, Instant};

use super::token::new_token;
use super::LedgerError;
#[cfg(doc)]
use super::{Claim, Ledger};
use crate::kinds::UniqueRef;

/// The right to handle one pingback, from a [`Claim::Fresh`], until its
/// deadline.
///
/// Give it back with [`Ledger::complete`] or [`Ledger::release`]. A lease
/// that is only dropped rolls its transaction back and keeps the pingback
/// [`Claim::InProgress`] until the lease expires.
///
/// ```
/// use pw_runtime::ledger::{Ledger, LedgerOptions, MemoryLedger};
/// use std::time::Duration;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let ledger = MemoryLedger::with_options(LedgerOptions::new().lease(Duration::from_secs(30)));
/// let lease = ledger.claim(&"r1_0".parse().unwrap()).await?.into_lease().unwrap();
/// assert_eq!(lease.id().to_string(), "r1_0");
/// assert!(lease.deadline() > std::time::Instant::now());
/// # ledger.release(lease).await?;
/// # Ok::<(), pw_runtime::ledger::LedgerError>(())
/// # }).unwrap();
/// ```
#[must_use = "a lease must be completed or released"]
pub struct Lease {
    id: UniqueRef,
    token: String,
    /// How long the lease runs from its claim or its last renewal.
    length: Duration,
    deadline: Instant,
    backend: &'static str,
    /// What the backend keeps for this lease (a transaction, a store), if
    /// anything: dropped with the lease, so it rolls back on its own.
    state: Option<Box<dyn Any + Send + Sync>>,
}

impl Lease {
    /// A new lease on `id` for the ledger named `backend`, expiring `lease`
    /// from now, with a new random token ([`Lease::token`]). Every ledger,
    /// the built-in ones and yours, makes its leases here, and attaches
    /// what it needs to finish them with [`Lease::with_state`].
    ///
    /// Store the token with the claim, and accept in
    /// [`complete`](Ledger::complete) and [`release`](Ledger::release) only
    /// a lease of your backend ([`Lease::backend`]) whose token is the
    /// stored one and whose claim has not expired. The deadline is `lease`
    /// from now: expire the stored claim at the same time.
    ///
    /// A complete backend, on a map in memory:
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::future::{ready, Future};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::{Duration, Instant, SystemTime};
    /// use pw_runtime::ledger::{Claim, Lease, Ledger, LedgerError, PaymentRecord, Quarantined};
    /// use pw_runtime::{Params, PingbackType, UniqueRef};
    ///
    /// enum State { Claimed { token: String, until: Instant }, Done { query: String, at: SystemTime } }
    ///
    /// /// The pingbacks by `ref_type`, and the quarantined ones.
    /// #[derive(Clone, Default)]
    /// struct MapLedger(Arc<Mutex<HashMap<String, State>>>, Arc<Mutex<Vec<Quarantined>>>);
    ///
    /// impl MapLedger {
    ///     fn finish(&self, lease: Lease, params: Option<&Params>) -> Result<(), LedgerError> {
    ///         if lease.backend() != "map" {
    ///             return Err(LedgerError::WrongBackend { expected: "map", found: lease.backend() });
    ///         }
    ///         let mut map = self.0.lock().unwrap();
    ///         let key = lease.id().to_string();
    ///         match map.get(&key) {
    ///             Some(State::Claimed { token, until }) if token == lease.token() && *until > Instant::now() => {}
    ///             _ => return Err(LedgerError::StaleLease { id: lease.id().clone() }),
    ///         }
    ///         match params {
    ///             Some(params) => map.insert(key, State::Done { query: params.to_query_string(), at: SystemTime::now() }),
    ///             None => map.remove(&key),
    ///         };
    ///         Ok(())
    ///     }
    /// }
    ///
    /// impl Ledger for MapLedger {
    ///     fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
    ///         let mut map = self.0.lock().unwrap();
    ///         let claim = match map.get(&id.to_string()) {
    ///             Some(State::Done { .. }) => Claim::AlreadyDone,
    ///             Some(State::Claimed { until, .. }) if *until > Instant::now() => Claim::InProgress,
    ///             _ => {
    ///                 let lease = Lease::new(id.clone(), "map", Duration::from_secs(300));
    ///                 let state = State::Claimed { token: lease.token().to_owned(), until: lease.deadline() };
    ///                 map.insert(id.to_string(), state);
    ///                 Claim::Fresh(lease)
    ///             }
    ///         };
    ///         ready(Ok(claim))
    ///     }
    ///     fn complete(&self, lease: Lease, params: &Params) -> impl Future<Output = Result<(), LedgerError>> + Send {
    ///         let id = lease.id().clone();
    ///         let done = self.finish(lease, Some(params));
    ///         if done.is_ok() {
    ///             self.1.lock().unwrap().retain(|q| q.id() != &id); // delivered: no longer quarantined
    ///         }
    ///         ready(done)
    ///     }
    ///     fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
    ///         ready(self.finish(lease, None))
    ///     }
    ///     fn original_payment(&self, reference: &str) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
    ///         ready(Ok(self.done(reference, &[PingbackType::Payment])))
    ///     }
    ///     fn reversal(&self, reference: &str) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
    ///         ready(Ok(self.done(reference, &[PingbackType::Chargeback, PingbackType::RiskReviewDeclined])))
    ///     }
    ///     fn renew(&self, id: &UniqueRef, token: &str) -> impl Future<Output = Result<(), LedgerError>> + Send {
    ///         let mut map = self.0.lock().unwrap();
    ///         let renewed = match map.get_mut(&id.to_string()) {
    ///             Some(State::Claimed { token: ours, until }) if ours == token && *until > Instant::now() => {
    ///                 *until = Instant::now() + Duration::from_secs(300);
    ///                 Ok(())
    ///             }
    ///             _ => Err(LedgerError::StaleLease { id: id.clone() }),
    ///         };
    ///         ready(renewed)
    ///     }
    ///     fn quarantine(&self, lease: Lease, pingback: &Quarantined) -> impl Future<Output = Result<(), LedgerError>> + Send {
    ///         let done = self.finish(lease, None).map(|()| {
    ///             let mut kept = self.1.lock().unwrap();
    ///             let entry = match kept.iter().position(|q| q.id() == pingback.id()) {
    ///                 Some(at) => { let before = kept.remove(at); pingback.clone().seen_before(before.first_seen(), before.attempts() + 1) }
    ///                 None => pingback.clone(),
    ///             };
    ///             kept.push(entry);
    ///         });
    ///         ready(done)
    ///     }
    ///     fn quarantined(&self) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send {
    ///         let mut kept = self.1.lock().unwrap().clone();
    ///         kept.sort_by_key(|q| q.first_seen());
    ///         ready(Ok(kept))
    ///     }
    /// }
    ///
    /// impl MapLedger {
    ///     /// The earliest completed pingback of `reference` among `kinds`.
    ///     fn done(&self, reference: &str, kinds: &[PingbackType]) -> Option<PaymentRecord> {
    ///         let map = self.0.lock().unwrap();
    ///         kinds.iter().filter_map(|kind| {
    ///             let id = UniqueRef::new(reference, *kind);
    ///             match map.get(&id.to_string()) {
    ///                 Some(State::Done { query, at }) => Some(PaymentRecord::new(id, query.clone(), *at)),
    ///                 _ => None,
    ///             }
    ///         }).min_by_key(|record| record.delivered_at())
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MapLedger::default();
    /// let id: UniqueRef = "b7_0".parse().unwrap();
    /// let lease = ledger.claim(&id).await?.into_lease().unwrap();
    /// assert!(matches!(ledger.claim(&id).await?, Claim::InProgress));
    /// ledger.complete(lease, &Params::from_pairs([("ref", "b7"), ("type", "0")]).unwrap()).await?;
    /// assert!(matches!(ledger.claim(&id).await?, Claim::AlreadyDone));
    /// assert!(ledger.original_payment("b7").await?.is_some());
    /// # Ok::<(), LedgerError>(())
    /// # }).unwrap();
    /// ```
    pub fn new(id: UniqueRef, backend: &'static str, lease: Duration) -> Lease {
        Lease {
            id,
            token: new_token(),
            length: lease,
            deadline: Instant::now() + lease,
            backend,
            state: None,
        }
    }

    /// A lease of a ledger that keeps no backend name of its own:
    /// `Lease::new(id, "custom", lease)`.
    ///
    /// ```
    /// use pw_runtime::ledger::Lease;
    /// let lease = Lease::custom("b7_0".parse().unwrap(), std::time::Duration::from_secs(60));
    /// assert_eq!(lease.backend(), "custom");
    /// ```
    pub fn custom(id: UniqueRef, lease: Duration) -> Lease {
        Lease::new(id, "custom", lease)
    }

    /// Attaches the backend's state to the lease: a transaction, a
    /// connection, a handle on the store. It lives as long as the lease,
    /// so its `Drop` cleans up after a lease that is neither completed nor
    /// released. Replaces any state attached before.
    ///
    /// ```
    /// use pw_runtime::ledger::Lease;
    /// use std::time::Duration;
    ///
    /// struct Row(u64);
    /// let mut lease = Lease::new("b7_0".parse().unwrap(), "mine", Duration::from_secs(60)).with_state(Row(7));
    /// assert_eq!(lease.state_mut::<Row>().map(|row| row.0), Some(7));
    /// assert!(lease.state_mut::<String>().is_none()); // another type: not there
    /// ```
    pub fn with_state<S: Any + Send + Sync>(mut self, state: S) -> Lease {
        self.state = Some(Box::new(state));
        self
    }

    /// The state attached with [`Lease::with_state`], if it is an `S`.
    ///
    /// ```
    /// use pw_runtime::ledger::Lease;
    /// let mut lease = Lease::custom("b7_0".parse().unwrap(), std::time::Duration::from_secs(60));
    /// assert!(lease.state_mut::<u32>().is_none());
    /// ```
    pub fn state_mut<S: Any>(&mut self) -> Option<&mut S> {
        self.state.as_mut()?.downcast_mut()
    }

    /// Takes the state attached with [`Lease::with_state`] out of the lease,
    /// if it is an `S` (otherwise it stays attached).
    ///
    /// ```
    /// use pw_runtime::ledger::Lease;
    /// let mut lease = Lease::custom("b7_0".parse().unwrap(), std::time::Duration::from_secs(60)).with_state(5u32);
    /// assert_eq!(lease.take_state::<u32>(), Some(5));
    /// assert_eq!(lease.take_state::<u32>(), None);
    /// ```
    pub fn take_state<S: Any>(&mut self) -> Option<S> {
        let state = self.state.take()?;
        match state.downcast::<S>() {
            Ok(state) => Some(*state),
            Err(other) => {
                self.state = Some(other);
                None
            }
        }
    }

    /// `Ok` when this lease comes from the ledger named `backend`, else
    /// [`LedgerError::WrongBackend`]: the first check of a ledger's
    /// `complete` and `release`.
    ///
    /// # Errors
    ///
    /// [`LedgerError::WrongBackend`] for a lease of another ledger.
    ///
    /// ```
    /// use pw_runtime::ledger::{Lease, LedgerError};
    /// let lease = Lease::new("b7_0".parse().unwrap(), "mine", std::time::Duration::from_secs(60));
    /// assert!(lease.expect_backend("mine").is_ok());
    /// assert!(matches!(lease.expect_backend("theirs"), Err(LedgerError::WrongBackend { expected: "theirs", found: "mine" })));
    /// ```
    pub fn expect_backend(&self, backend: &'static str) -> Result<(), LedgerError> {
        if self.backend == backend {
            Ok(())
        } else {
            Err(LedgerError::WrongBackend {
                expected: backend,
                found: self.backend,
            })
        }
    }

    /// The same claim (pingback, token, deadline, backend) without the
    /// backend's state: the listener retries a release with it after the
    /// first attempt failed. Every backend finishes a lease from its
    /// pingback and token alone when the state is missing.
    pub(crate) fn twin(&self) -> Lease {
        Lease {
            id: self.id.clone(),
            token: self.token.clone(),
            length: self.length,
            deadline: self.deadline,
            backend: self.backend,
            state: None,
        }
    }

    /// The lease was renewed at `at`: it now runs until `at` plus its length.
    pub(crate) fn renewed_at(&mut self, at: Instant) {
        self.deadline = self.deadline.max(at + self.length);
    }

    /// How long the lease runs from its claim or its last renewal.
    pub(crate) fn length(&self) -> Duration {
        self.length
    }

    /// [`LedgerError::StaleLease`] for this lease.
    ///
    /// ```
    /// use pw_runtime::ledger::{Lease, LedgerError};
    /// let lease = Lease::custom("b7_0".parse().unwrap(), std::time::Duration::from_secs(60));
    /// assert!(matches!(lease.stale(), LedgerError::StaleLease { .. }));
    /// ```
    pub fn stale(&self) -> LedgerError {
        LedgerError::StaleLease {
            id: self.id.clone(),
        }
    }

    /// The token of this claim: random, 32 hexadecimal digits, different
    /// for every lease. A ledger keeps it with the claim to tell this lease
    /// from a later one on the same pingback (see [`Lease::new`]).
    ///
    /// ```
    /// use pw_runtime::ledger::Lease;
    /// use std::time::Duration;
    /// let a = Lease::custom("b7_0".parse().unwrap(), Duration::from_secs(60));
    /// let b = Lease::custom("b7_0".parse().unwrap(), Duration::from_secs(60));
    /// assert_eq!(a.token().len(), 32);
    /// assert_ne!(a.token(), b.token());
    /// ```
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The name of the ledger that gave this lease ([`Lease::new`]):
    /// `memory`, `sqlite`, `postgres`, `mysql`, `redis`, or a third-party
    /// backend's own name.
    ///
    /// ```
    /// use pw_runtime::ledger::{Lease, Ledger, MemoryLedger};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let lease = MemoryLedger::new().claim(&"r1_0".parse().unwrap()).await?.into_lease().unwrap();
    /// assert_eq!(lease.backend(), "memory");
    /// let custom = Lease::custom("r1_0".parse().unwrap(), std::time::Duration::from_secs(60));
    /// assert_eq!(custom.backend(), "custom");
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The pingback this lease is for.
    ///
    /// ```
    /// use pw_runtime::ledger::{Ledger, MemoryLedger};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::new();
    /// let lease = ledger.claim(&"r1_201".parse().unwrap()).await?.into_lease().unwrap();
    /// assert_eq!(lease.id().reference, "r1");
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    pub fn id(&self) -> &UniqueRef {
        &self.id
    }

    /// When the lease expires, as measured by this process from the claim:
    /// finish the handler well before it, or the completion fails with
    /// [`LedgerError::StaleLease`].
    ///
    /// ```
    /// use pw_runtime::ledger::{Ledger, MemoryLedger};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::new();
    /// let lease = ledger.claim(&"r1_0".parse().unwrap()).await?.into_lease().unwrap();
    /// assert!(lease.deadline() > std::time::Instant::now());
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

/// Shows the pingback, the backend and the deadline; not the token.
impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("id", &format_args!("{}", self.id))
            .field("backend", &self.backend)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
