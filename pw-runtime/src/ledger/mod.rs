//! The delivery ledger: exactly-once handling of each pingback.
//!
//! Paymentwall sends a pingback again until it gets `OK`, so the same
//! `ref_type` ([`UniqueRef`]) may arrive many times, even concurrently. The
//! ledger makes each one run the merchant's handler once:
//!
//! 1. [`Ledger::claim`] the unique reference: [`Claim::Fresh`] hands out a
//!    [`Lease`] (run the handler), [`Claim::AlreadyDone`] means answer `OK`
//!    again, [`Claim::InProgress`] means another delivery is running it right
//!    now (answer with an error so Paymentwall retries later).
//! 2. On success, [`Ledger::complete`] records the pingback durably; only then
//!    may the listener answer `OK`. On failure, [`Ledger::release`] forgets
//!    the claim so the next delivery runs the handler again.
//!
//! # The lease and the handler's running time
//!
//! A lease expires after [`LedgerOptions::lease`] (30 seconds by default)
//! unless it is renewed ([`Ledger::renew`]): the listener renews it every
//! third of the lease while the handler runs, and stops the handler at its
//! own deadline (`ListenerBuilder::handler_deadline`, 30 s by default). So a
//! handler may run as long as its deadline allows, whatever the lease, and
//! a process that dies mid-handler blocks its pingback for one lease at
//! most (answered 503 `in progress` meanwhile). Once a lease has expired,
//! the next claim is fresh again and the old lease can no longer complete
//! ([`LedgerError::StaleLease`]). A release that fails because the ledger
//! is unreachable for a moment is retried by the listener; if the ledger
//! stays down, the claim expires with its lease.
//!
//! # The state of a `ref` across its types
//!
//! Each `ref_type` is claimed and recorded on its own, but the types that
//! move goods or money, [`MONEY_KINDS`] (0, 1, 2, 201, 202), of one `ref`
//! are handled one at a time: while one of them is in progress, a claim of
//! another is [`Claim::InProgress`]. The completed payment of a `ref`
//! (types 0, 1 and 201) is looked up with [`Ledger::original_payment`], for
//! the reversal's handler; its completed reversal (types 2 and 202) with
//! [`Ledger::reversal`], recorded even when it arrived before the payment,
//! so that the payment's handler learns it is already reversed.
//!
//! # Quarantine
//!
//! A verified pingback that the schema cannot decode is kept with
//! [`Ledger::quarantine`] (listed by [`Ledger::quarantined`]) until a
//! delivery of it completes, which removes it.
//!
//! | backend | feature | for |
//! |---|---|---|
//! | [`MemoryLedger`] | always | tests and examples: forgets everything on exit |
//! | `SqliteLedger` | `sqlite` | one listener process on one machine, a file |
//! | `PostgresLedger` | `postgres` | several listener instances sharing a database |
//! | `RedisLedger` | `redis` | several listener instances sharing a Redis server |
//!
//! Another store (MySQL, DynamoDB, ...) plugs in by implementing [`Ledger`]
//! on it, with [`Lease::custom`] for its leases; that method's
//! documentation holds a complete backend.
//!
//! The SQL and Redis backends run on Tokio: call them from within a Tokio
//! runtime. The memory backend runs on any executor.
//!
//! With the SQL backends, the handler can write its own data in the ledger's
//! transaction (`Lease::sqlite`, `Lease::postgres`): the merchant's grant
//! and the ledger record then commit together or not at all.
//!
//! ```
//! use pw_runtime::ledger::{Claim, Ledger, MemoryLedger};
//! use pw_runtime::{Params, PingbackType, UniqueRef};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let ledger = MemoryLedger::new();
//! let params = Params::from_pairs([("uid", "u1"), ("type", "0"), ("ref", "b7")]).unwrap();
//! let id = UniqueRef::new("b7", PingbackType::Payment);
//!
//! match ledger.claim(&id).await? {
//!     Claim::Fresh(lease) => {
//!         // ... deliver the goods ...
//!         ledger.complete(lease, &params).await?; // durable: now answer OK
//!     }
//!     Claim::AlreadyDone => { /* answer OK again */ }
//!     Claim::InProgress => { /* answer 500: Paymentwall retries later */ }
//! }
//! assert!(matches!(ledger.claim(&id).await?, Claim::AlreadyDone));
//! let payment = ledger.original_payment("b7").await?.unwrap();
//! assert_eq!(payment.params().unwrap().get("uid"), Some("u1"));
//! # Ok::<(), pw_runtime::ledger::LedgerError>(())
//! # }).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use crate::{Limits, Params, ParamsError, PingbackType, UniqueRef};

mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod quarantine;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use memory::MemoryLedger;
#[cfg(feature = "postgres")]
pub use postgres::PostgresLedger;
pub use quarantine::Quarantined;
#[cfg(feature = "redis")]
pub use redis::RedisLedger;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteLedger;

/// The `sqlx` crate the SQL ledgers are built on, so that handlers use the
/// same version for their own queries in `Lease::sqlite` / `Lease::postgres`.
///
/// ```
/// use pw_runtime::ledger::sqlx;
///
/// fn worth_retrying(err: &sqlx::Error) -> bool {
///     matches!(err, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
/// }
/// assert!(worth_retrying(&sqlx::Error::PoolTimedOut));
/// ```
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sqlx;

/// The `redis` crate [`RedisLedger`] is built on, for
/// [`RedisLedger::from_client`].
///
/// ```
/// use pw_runtime::ledger::redis_client::Client;
/// let client = Client::open("redis://127.0.0.1:6379").unwrap(); // does not connect yet
/// # let _ = client;
/// ```
#[cfg(feature = "redis")]
pub use ::redis as redis_client;

/// A store that lets each pingback ([`UniqueRef`]) be handled exactly once.
///
/// Every method returns a `Send` future, so a ledger can be used from any
/// multi-threaded runtime. All backends are cheap to clone (they share one
/// pool or store). See the [module documentation](self) for the protocol.
///
/// ```
/// use pw_runtime::ledger::{Claim, Ledger, LedgerError, MemoryLedger};
/// use pw_runtime::{Params, UniqueRef};
///
/// /// What a listener does with one verified pingback, for any backend.
/// async fn handle<L: Ledger>(ledger: &L, id: &UniqueRef, params: &Params) -> Result<u16, LedgerError> {
///     match ledger.claim(id).await? {
///         Claim::Fresh(lease) => {
///             let delivered = true; // the merchant's handler
///             if delivered {
///                 ledger.complete(lease, params).await?;
///                 Ok(200)
///             } else {
///                 ledger.release(lease).await?;
///                 Ok(500)
///             }
///         }
///         Claim::AlreadyDone => Ok(200),
///         Claim::InProgress => Ok(500),
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let params = Params::from_pairs([("type", "0"), ("ref", "r1")]).unwrap();
/// let id: UniqueRef = "r1_0".parse().unwrap();
/// assert_eq!(handle(&MemoryLedger::new(), &id, &params).await?, 200);
/// # Ok::<(), LedgerError>(())
/// # }).unwrap();
/// ```
pub trait Ledger: Send + Sync {
    /// Claims `id` for this delivery.
    ///
    /// Exactly one of any number of concurrent claims of the same `id` is
    /// [`Claim::Fresh`]; the others are [`Claim::InProgress`] until that lease
    /// completes ([`Claim::AlreadyDone`] from then on), is released or expires
    /// (then the next claim is fresh again).
    ///
    /// For the types that move goods ([`MONEY_KINDS`]: 0, 1, 2, 201, 202),
    /// the same holds across the types of one `ref`: while a lease on one of
    /// them is unexpired, a claim of another type of that `ref` among them
    /// is [`Claim::InProgress`] (unless that `ref_type` is already done:
    /// [`Claim::AlreadyDone`]). So a payment and its chargeback arriving at
    /// once are handled one after the other, and the second sees the first
    /// in [`Ledger::original_payment`] or [`Ledger::reversal`].
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] when the backend cannot be reached.
    ///
    /// ```
    /// use pw_runtime::ledger::{Claim, Ledger, MemoryLedger};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::new();
    /// let id = "r1_0".parse().unwrap();
    /// let first = ledger.claim(&id).await?;
    /// assert!(first.is_fresh());
    /// assert!(matches!(ledger.claim(&id).await?, Claim::InProgress));
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send;

    /// Records the pingback of `lease` as done, with its signed parameters
    /// (stored as [`Params::to_query_string`]), durably before returning.
    ///
    /// With a SQL backend, the handler's writes in the lease's transaction
    /// commit in the same transaction.
    ///
    /// # Errors
    ///
    /// [`LedgerError::StaleLease`] when the lease expired (another delivery
    /// may own the pingback now): nothing is recorded and the lease's
    /// transaction is rolled back. [`LedgerError::Unavailable`] when the
    /// backend fails; [`LedgerError::WrongBackend`] for a lease of another
    /// kind of ledger.
    ///
    /// ```
    /// use pw_runtime::ledger::{Claim, Ledger, MemoryLedger};
    /// use pw_runtime::Params;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::new();
    /// let id = "r1_0".parse().unwrap();
    /// let lease = ledger.claim(&id).await?.into_lease().unwrap();
    /// ledger.complete(lease, &Params::from_pairs([("ref", "r1")]).unwrap()).await?;
    /// assert!(matches!(ledger.claim(&id).await?, Claim::AlreadyDone));
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;

    /// Gives the claim of `lease` up after the handler failed: the handler's
    /// writes in the lease's transaction are rolled back and the claim is
    /// removed, so the next delivery of the pingback runs the handler again.
    ///
    /// # Errors
    ///
    /// [`LedgerError::StaleLease`] when the lease had already expired
    /// (nothing is removed: another delivery may own the pingback now), and
    /// as [`Ledger::complete`] otherwise.
    ///
    /// ```
    /// use pw_runtime::ledger::{Ledger, MemoryLedger};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::new();
    /// let id = "r1_0".parse().unwrap();
    /// let lease = ledger.claim(&id).await?.into_lease().unwrap();
    /// ledger.release(lease).await?;
    /// assert!(ledger.claim(&id).await?.is_fresh());
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send;

    /// The completed delivery (type 0, 1 or 201) of `reference`, the original
    /// payment a chargeback (type 2) takes back; `None` when no delivery of
    /// that `ref` was completed. When several were, the earliest.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] when the backend fails.
    ///
    /// ```
    /// use pw_runtime::ledger::{Ledger, MemoryLedger};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::new();
    /// assert!(ledger.original_payment("never-seen").await?.is_none());
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send;

    /// The completed reversal (type 2 or 202) of `reference`: a chargeback
    /// or a declined risk review, recorded even when no payment of that `ref`
    /// was delivered before it, so that a payment arriving after its
    /// reversal is not granted for good; `None` when no reversal of that
    /// `ref` was completed. When several were, the earliest.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] when the backend fails.
    ///
    /// ```
    /// use pw_runtime::ledger::{Ledger, MemoryLedger};
    /// use pw_runtime::{Params, UniqueRef};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::new();
    /// let chargeback: UniqueRef = "b7_2".parse().unwrap();
    /// let lease = ledger.claim(&chargeback).await?.into_lease().unwrap();
    /// ledger.complete(lease, &Params::from_pairs([("ref", "b7"), ("type", "2"), ("reason", "1")]).unwrap()).await?;
    /// // The payment b7_0 has not arrived yet; when it does, it is already reversed.
    /// assert_eq!(ledger.reversal("b7").await?.unwrap().id(), &chargeback);
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    fn reversal(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send;

    /// Extends the claim of the lease `(id, token)` ([`Lease::id`],
    /// [`Lease::token`]) to [`LedgerOptions::lease`] from now. The listener
    /// renews its lease every third of the lease while the handler runs, so
    /// that a short lease frees the pingback soon after a process dies, yet
    /// never expires under a handler that is still working.
    ///
    /// # Errors
    ///
    /// [`LedgerError::StaleLease`] when the claim is no longer this lease's
    /// (expired, completed or released); [`LedgerError::Unavailable`] when
    /// the backend fails.
    ///
    /// ```
    /// use pw_runtime::ledger::{Ledger, LedgerOptions, MemoryLedger};
    /// use std::time::Duration;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::with_options(LedgerOptions::new().lease(Duration::from_millis(200)));
    /// let lease = ledger.claim(&"b7_0".parse().unwrap()).await?.into_lease().unwrap();
    /// for _ in 0..4 {
    ///     tokio::time::sleep(Duration::from_millis(100)).await;
    ///     ledger.renew(lease.id(), lease.token()).await?; // still ours after 400 ms
    /// }
    /// ledger.release(lease).await?;
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    fn renew(
        &self,
        id: &UniqueRef,
        token: &str,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;

    /// Keeps a verified pingback that the schema could not decode, and gives
    /// the claim of `lease` up, in one atomic step: the claim is removed as
    /// by [`Ledger::release`], and `pingback` is stored under its `ref_type`
    /// (a pingback already kept there keeps its first-seen time, and its
    /// attempts grow by one). [`Ledger::complete`] of the same `ref_type`
    /// removes it.
    ///
    /// # Errors
    ///
    /// As [`Ledger::release`]; on [`LedgerError::StaleLease`] nothing is
    /// stored.
    ///
    /// ```
    /// use pw_runtime::ledger::{Ledger, MemoryLedger, Quarantined};
    /// use std::time::SystemTime;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MemoryLedger::new();
    /// let id = "b7_0".parse().unwrap();
    /// let lease = ledger.claim(&id).await?.into_lease().unwrap();
    /// let entry = Quarantined::new(id, "ref=b7&type=0&paid_currency=XYZ", [127, 0, 0, 1].into(), "not a currency", SystemTime::now());
    /// ledger.quarantine(lease, &entry).await?;
    /// assert_eq!(ledger.quarantined().await?.len(), 1);
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    fn quarantine(
        &self,
        lease: Lease,
        pingback: &Quarantined,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send;

    /// Every quarantined pingback, the oldest (first seen) first.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] when the backend fails.
    ///
    /// ```
    /// use pw_runtime::ledger::{Ledger, MemoryLedger};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// assert!(MemoryLedger::new().quarantined().await?.is_empty());
    /// # Ok::<(), pw_runtime::ledger::LedgerError>(())
    /// # }).unwrap();
    /// ```
    fn quarantined(&self) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send;
}

/// A shared reference to a ledger is a ledger.
impl<L: Ledger> Ledger for &L {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        (**self).claim(id)
    }
    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        (**self).complete(lease, params)
    }
    fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
        (**self).release(lease)
    }
    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        (**self).original_payment(reference)
    }
    fn reversal(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        (**self).reversal(reference)
    }
    fn renew(
        &self,
        id: &UniqueRef,
        token: &str,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        (**self).renew(id, token)
    }
    fn quarantine(
        &self,
        lease: Lease,
        pingback: &Quarantined,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        (**self).quarantine(lease, pingback)
    }
    fn quarantined(&self) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send {
        (**self).quarantined()
    }
}

/// A ledger behind an `Arc` is a ledger.
impl<L: Ledger> Ledger for std::sync::Arc<L> {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        (**self).claim(id)
    }
    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        (**self).complete(lease, params)
    }
    fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
        (**self).release(lease)
    }
    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        (**self).original_payment(reference)
    }
    fn reversal(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        (**self).reversal(reference)
    }
    fn renew(
        &self,
        id: &UniqueRef,
        token: &str,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        (**self).renew(id, token)
    }
    fn quarantine(
        &self,
        lease: Lease,
        pingback: &Quarantined,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        (**self).quarantine(lease, pingback)
    }
    fn quarantined(&self) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send {
        (**self).quarantined()
    }
}

/// The outcome of [`Ledger::claim`].
///
/// ```
/// use pw_runtime::ledger::{Claim, Ledger, MemoryLedger};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let ledger = MemoryLedger::new();
/// let claim = ledger.claim(&"r1_0".parse().unwrap()).await?;
/// match claim {
///     Claim::Fresh(lease) => println!("run the handler for {}", lease.id()),
///     Claim::AlreadyDone => println!("answer OK again"),
///     Claim::InProgress => println!("answer 500, Paymentwall retries"),
/// }
/// # Ok::<(), pw_runtime::ledger::LedgerError>(())
/// # }).unwrap();
/// ```
#[must_use = "a fresh claim holds a lease that must be completed or released"]
#[derive(Debug)]
pub enum Claim {
    /// Nobody handled this pingback yet: run the handler, then
    /// [`Ledger::complete`] or [`Ledger::release`] the lease.
    Fresh(Lease),
    /// The pingback was handled and recorded: answer `OK` again.
    AlreadyDone,
    /// Another delivery holds an unexpired lease on it: answer with an error
    /// so that Paymentwall sends it again later.
    InProgress,
}

impl Claim {
    /// True for [`Claim::Fresh`].
    ///
    /// ```
    /// assert!(!pw_runtime::ledger::Claim::AlreadyDone.is_fresh());
    /// ```
    pub fn is_fresh(&self) -> bool {
        matches!(self, Claim::Fresh(_))
    }

    /// The lease of a fresh claim.
    ///
    /// ```
    /// assert!(pw_runtime::ledger::Claim::InProgress.into_lease().is_none());
    /// ```
    pub fn into_lease(self) -> Option<Lease> {
        match self {
            Claim::Fresh(lease) => Some(lease),
            _ => None,
        }
    }
}

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
    length: Duration,
    deadline: Instant,
    backend: LeaseBackend,
}

/// What a lease holds for its backend.
pub(crate) enum LeaseBackend {
    Memory(memory::MemoryLease),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlite::SqliteLease),
    #[cfg(feature = "postgres")]
    Postgres(postgres::PostgresLease),
    #[cfg(feature = "redis")]
    Redis,
    /// A ledger outside this crate ([`Lease::custom`]).
    Custom,
}

impl LeaseBackend {
    fn name(&self) -> &'static str {
        match self {
            LeaseBackend::Memory(_) => "memory",
            #[cfg(feature = "sqlite")]
            LeaseBackend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            LeaseBackend::Postgres(_) => "postgres",
            #[cfg(feature = "redis")]
            LeaseBackend::Redis => "redis",
            LeaseBackend::Custom => "custom",
        }
    }
}

impl Lease {
    pub(crate) fn new(
        id: UniqueRef,
        token: String,
        lease: Duration,
        backend: LeaseBackend,
    ) -> Self {
        Lease {
            id,
            token,
            length: lease,
            deadline: Instant::now() + lease,
            backend,
        }
    }

    /// The same claim without its transaction (rolled back when the
    /// original is given back): to release the claim once more after a
    /// release failed.
    pub(crate) fn twin(&self) -> Lease {
        let backend = match &self.backend {
            LeaseBackend::Memory(lease) => LeaseBackend::Memory(lease.twin()),
            #[cfg(feature = "sqlite")]
            LeaseBackend::Sqlite(lease) => LeaseBackend::Sqlite(lease.twin()),
            #[cfg(feature = "postgres")]
            LeaseBackend::Postgres(lease) => LeaseBackend::Postgres(lease.twin()),
            #[cfg(feature = "redis")]
            LeaseBackend::Redis => LeaseBackend::Redis,
            LeaseBackend::Custom => LeaseBackend::Custom,
        };
        Lease {
            id: self.id.clone(),
            token: self.token.clone(),
            length: self.length,
            deadline: self.deadline,
            backend,
        }
    }

    /// The lease was renewed ([`Ledger::renew`]) at `at`.
    pub(crate) fn renewed_at(&mut self, at: Instant) {
        self.deadline = self.deadline.max(at + self.length);
    }

    /// How long the lease lasts from a claim or a renewal.
    pub(crate) fn length(&self) -> Duration {
        self.length
    }

    /// A lease for a ledger of your own: a [`Ledger`] backed by a store pw
    /// does not ship. It comes with a new random token ([`Lease::token`]);
    /// store the token with the claim, and accept in
    /// [`complete`](Ledger::complete) and [`release`](Ledger::release) only
    /// the lease whose token is the stored one and whose claim has not
    /// expired. The deadline is `lease` from now: expire the stored claim
    /// at the same time.
    ///
    /// A complete backend, on a map in memory (a store of yours does the
    /// same with its own transactions):
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::future::{ready, Future};
    /// use std::sync::{Arc, Mutex};
    /// use std::time::{Duration, Instant, SystemTime};
    /// use pw_runtime::ledger::{Claim, Lease, Ledger, LedgerError, PaymentRecord, Quarantined, MONEY_KINDS};
    /// use pw_runtime::{Params, PingbackType, UniqueRef};
    ///
    /// const LEASE: Duration = Duration::from_secs(30);
    ///
    /// enum State { Claimed { token: String, until: Instant }, Done { query: String, at: SystemTime } }
    ///
    /// #[derive(Default)]
    /// struct Maps { pingbacks: HashMap<String, State>, quarantine: HashMap<String, Quarantined> }
    ///
    /// #[derive(Clone, Default)]
    /// struct MapLedger(Arc<Mutex<Maps>>);
    ///
    /// impl MapLedger {
    ///     /// The claim of `id` is this lease's, unexpired.
    ///     fn current(maps: &Maps, id: &UniqueRef, token: &str) -> bool {
    ///         matches!(maps.pingbacks.get(&id.to_string()),
    ///             Some(State::Claimed { token: t, until }) if t == token && *until > Instant::now())
    ///     }
    ///     /// Completes (with params), releases (without) or quarantines a lease.
    ///     fn finish(&self, lease: Lease, params: Option<&Params>, kept: Option<&Quarantined>) -> Result<(), LedgerError> {
    ///         if lease.backend() != "custom" {
    ///             return Err(LedgerError::WrongBackend { expected: "custom", found: lease.backend() });
    ///         }
    ///         let mut maps = self.0.lock().unwrap();
    ///         let key = lease.id().to_string();
    ///         if !Self::current(&maps, lease.id(), lease.token()) {
    ///             return Err(LedgerError::StaleLease { id: lease.id().clone() });
    ///         }
    ///         match params {
    ///             Some(params) => {
    ///                 maps.pingbacks.insert(key.clone(), State::Done { query: params.to_query_string(), at: SystemTime::now() });
    ///                 maps.quarantine.remove(&key); // delivered: out of quarantine
    ///             }
    ///             None => {
    ///                 maps.pingbacks.remove(&key);
    ///             }
    ///         }
    ///         if let Some(kept) = kept {
    ///             let entry = match maps.quarantine.get(&key) {
    ///                 Some(old) => kept.clone().seen_before(old.first_seen(), old.attempts() + 1),
    ///                 None => kept.clone(),
    ///             };
    ///             maps.quarantine.insert(key, entry);
    ///         }
    ///         Ok(())
    ///     }
    ///     /// The earliest completed pingback of `reference` among `kinds`.
    ///     fn earliest(&self, reference: &str, kinds: &[PingbackType]) -> Option<PaymentRecord> {
    ///         let maps = self.0.lock().unwrap();
    ///         kinds.iter().filter_map(|kind| {
    ///             let id = UniqueRef::new(reference, *kind);
    ///             match maps.pingbacks.get(&id.to_string()) {
    ///                 Some(State::Done { query, at }) => Some(PaymentRecord::new(id, query.clone(), *at)),
    ///                 _ => None,
    ///             }
    ///         }).min_by_key(PaymentRecord::delivered_at)
    ///     }
    /// }
    ///
    /// impl Ledger for MapLedger {
    ///     fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
    ///         let mut maps = self.0.lock().unwrap();
    ///         let now = Instant::now();
    ///         let busy = |kind: &PingbackType| matches!(maps.pingbacks.get(&UniqueRef::new(&id.reference, *kind).to_string()),
    ///             Some(State::Claimed { until, .. }) if *until > now);
    ///         let sibling_busy = MONEY_KINDS.contains(&id.kind)
    ///             && MONEY_KINDS.iter().filter(|kind| **kind != id.kind).any(busy);
    ///         let claim = match maps.pingbacks.get(&id.to_string()) {
    ///             Some(State::Done { .. }) => Claim::AlreadyDone,
    ///             Some(State::Claimed { until, .. }) if *until > now => Claim::InProgress,
    ///             _ if sibling_busy => Claim::InProgress, // one money type of a ref at a time
    ///             _ => {
    ///                 let lease = Lease::custom(id.clone(), LEASE);
    ///                 let state = State::Claimed { token: lease.token().to_owned(), until: lease.deadline() };
    ///                 maps.pingbacks.insert(id.to_string(), state);
    ///                 Claim::Fresh(lease)
    ///             }
    ///         };
    ///         ready(Ok(claim))
    ///     }
    ///     fn complete(&self, lease: Lease, params: &Params) -> impl Future<Output = Result<(), LedgerError>> + Send {
    ///         ready(self.finish(lease, Some(params), None))
    ///     }
    ///     fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
    ///         ready(self.finish(lease, None, None))
    ///     }
    ///     fn original_payment(&self, reference: &str) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
    ///         use PingbackType::*;
    ///         ready(Ok(self.earliest(reference, &[Payment, Goodwill, RiskReviewAccepted])))
    ///     }
    ///     fn reversal(&self, reference: &str) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
    ///         ready(Ok(self.earliest(reference, &[PingbackType::Chargeback, PingbackType::RiskReviewDeclined])))
    ///     }
    ///     fn renew(&self, id: &UniqueRef, token: &str) -> impl Future<Output = Result<(), LedgerError>> + Send {
    ///         let mut maps = self.0.lock().unwrap();
    ///         if !Self::current(&maps, id, token) {
    ///             return ready(Err(LedgerError::StaleLease { id: id.clone() }));
    ///         }
    ///         let state = State::Claimed { token: token.to_owned(), until: Instant::now() + LEASE };
    ///         maps.pingbacks.insert(id.to_string(), state);
    ///         ready(Ok(()))
    ///     }
    ///     fn quarantine(&self, lease: Lease, pingback: &Quarantined) -> impl Future<Output = Result<(), LedgerError>> + Send {
    ///         ready(self.finish(lease, None, Some(pingback)))
    ///     }
    ///     fn quarantined(&self) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send {
    ///         let mut all: Vec<Quarantined> = self.0.lock().unwrap().quarantine.values().cloned().collect();
    ///         all.sort_by_key(|entry| (entry.first_seen(), entry.id().to_string()));
    ///         ready(Ok(all))
    ///     }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let ledger = MapLedger::default();
    /// let id: UniqueRef = "b7_0".parse().unwrap();
    /// let lease = ledger.claim(&id).await?.into_lease().unwrap();
    /// assert!(matches!(ledger.claim(&id).await?, Claim::InProgress));
    /// assert!(matches!(ledger.claim(&"b7_2".parse().unwrap()).await?, Claim::InProgress));
    /// ledger.renew(lease.id(), lease.token()).await?;
    /// ledger.complete(lease, &Params::from_pairs([("ref", "b7"), ("type", "0")]).unwrap()).await?;
    /// assert!(matches!(ledger.claim(&id).await?, Claim::AlreadyDone));
    /// assert!(ledger.original_payment("b7").await?.is_some());
    /// assert!(ledger.reversal("b7").await?.is_none());
    /// # Ok::<(), LedgerError>(())
    /// # }).unwrap();
    /// ```
    pub fn custom(id: UniqueRef, lease: Duration) -> Lease {
        Lease::new(id, new_token(), lease, LeaseBackend::Custom)
    }

    /// The token of this claim: random, 32 hexadecimal digits, different
    /// for every lease. A ledger keeps it with the claim to tell this lease
    /// from a later one on the same pingback (see [`Lease::custom`]).
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

    /// The kind of ledger that gave this lease: `memory`, `sqlite`,
    /// `postgres`, `redis`, or `custom` ([`Lease::custom`]).
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
        self.backend.name()
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

    /// The ledger's SQLite transaction for this lease, begun (`BEGIN
    /// IMMEDIATE`) on the first call: write the merchant's own data here and
    /// it commits with [`Ledger::complete`], or rolls back with
    /// [`Ledger::release`].
    ///
    /// SQLite has one writer at a time: while this transaction is open, other
    /// writes to the file (including other claims) wait, up to the busy
    /// timeout. Keep the handler short, and do not write through another
    /// connection from inside it.
    ///
    /// # Errors
    ///
    /// [`LedgerError::WrongBackend`] for a lease of another ledger,
    /// [`LedgerError::Unavailable`] when the transaction cannot begin.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{sqlx, Ledger, LedgerOptions, SqliteLedger};
    ///
    /// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
    /// sqlx::query("CREATE TABLE gems (uid TEXT, amount INTEGER)").execute(ledger.pool()).await?;
    /// if let Some(mut lease) = ledger.claim(&"b7_0".parse()?).await?.into_lease() {
    ///     sqlx::query("INSERT INTO gems VALUES ('u1', 100)").execute(lease.sqlite().await?).await?;
    ///     let params = pw_runtime::Params::from_pairs([("ref", "b7"), ("type", "0")])?;
    ///     ledger.complete(lease, &params).await?; // the gems and the record, together
    /// }
    /// let (gems,): (i64,) = sqlx::query_as("SELECT sum(amount) FROM gems").fetch_one(ledger.pool()).await?;
    /// assert_eq!(gems, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(&mut self) -> Result<&mut sqlx::SqliteConnection, LedgerError> {
        match &mut self.backend {
            LeaseBackend::Sqlite(lease) => lease.transaction().await,
            other => Err(LedgerError::WrongBackend {
                expected: "sqlite",
                found: other.name(),
            }),
        }
    }

    /// The ledger's PostgreSQL transaction for this lease, begun on the first
    /// call: write the merchant's own data here and it commits with
    /// [`Ledger::complete`], or rolls back with [`Ledger::release`].
    ///
    /// # Errors
    ///
    /// [`LedgerError::WrongBackend`] for a lease of another ledger,
    /// [`LedgerError::Unavailable`] when the transaction cannot begin.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{sqlx, Ledger, LedgerOptions, PostgresLedger};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let ledger = PostgresLedger::connect("postgres://postgres@127.0.0.1/shop", LedgerOptions::new()).await?;
    /// if let Some(mut lease) = ledger.claim(&"b7_0".parse()?).await?.into_lease() {
    ///     sqlx::query("UPDATE wallets SET gems = gems + 100 WHERE uid = $1")
    ///         .bind("u1")
    ///         .execute(lease.postgres().await?)
    ///         .await?;
    ///     let params = pw_runtime::Params::from_pairs([("ref", "b7"), ("type", "0")])?;
    ///     ledger.complete(lease, &params).await?; // the gems and the record, together
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "postgres")]
    pub async fn postgres(&mut self) -> Result<&mut sqlx::PgConnection, LedgerError> {
        match &mut self.backend {
            LeaseBackend::Postgres(lease) => lease.transaction().await,
            other => Err(LedgerError::WrongBackend {
                expected: "postgres",
                found: other.name(),
            }),
        }
    }

    fn wrong_backend(&self, expected: &'static str) -> LedgerError {
        LedgerError::WrongBackend {
            expected,
            found: self.backend.name(),
        }
    }

    fn stale(&self) -> LedgerError {
        LedgerError::StaleLease {
            id: self.id.clone(),
        }
    }
}

/// Shows the pingback, the backend and the deadline; not the token.
impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("id", &format_args!("{}", self.id))
            .field("backend", &self.backend.name())
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// A completed pingback as the ledger recorded it: a delivery (type 0, 1 or
/// 201) from [`Ledger::original_payment`], or a reversal (type 2 or 202)
/// from [`Ledger::reversal`].
///
/// ```
/// use pw_runtime::ledger::PaymentRecord;
/// use pw_runtime::{PingbackType, UniqueRef};
/// use std::time::SystemTime;
///
/// let record = PaymentRecord::new(
///     UniqueRef::new("b7", PingbackType::Payment),
///     "ref=b7&type=0&uid=u+1",
///     SystemTime::UNIX_EPOCH,
/// );
/// assert_eq!(record.params().unwrap().get("uid"), Some("u 1"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    id: UniqueRef,
    query: String,
    delivered_at: SystemTime,
}

impl PaymentRecord {
    /// A record of `id` with its parameters as a query string
    /// ([`Params::to_query_string`]), completed at `delivered_at`.
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// let record = PaymentRecord::new(UniqueRef::new("b7", PingbackType::Goodwill), "ref=b7", std::time::SystemTime::now());
    /// assert_eq!(record.id().kind, PingbackType::Goodwill);
    /// ```
    pub fn new(id: UniqueRef, query: impl Into<String>, delivered_at: SystemTime) -> Self {
        PaymentRecord {
            id,
            query: query.into(),
            delivered_at,
        }
    }

    /// The unique reference of the delivery: `ref` with type 0, 1 or 201.
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// let record = PaymentRecord::new("b7_201".parse().unwrap(), "ref=b7", std::time::SystemTime::now());
    /// assert_eq!(record.id().kind, PingbackType::RiskReviewAccepted);
    /// ```
    pub fn id(&self) -> &UniqueRef {
        &self.id
    }

    /// The signed parameters as received, as a query string
    /// ([`Params::to_query_string`]).
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// let record = PaymentRecord::new("b7_0".parse().unwrap(), "ref=b7&type=0", std::time::SystemTime::now());
    /// assert_eq!(record.query(), "ref=b7&type=0");
    /// ```
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The signed parameters, parsed again (without size limits: they were
    /// checked when the pingback arrived).
    ///
    /// # Errors
    ///
    /// A [`ParamsError`] only if the stored text was altered.
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// let record = PaymentRecord::new("b7_0".parse().unwrap(), "goodsid%5B0%5D=gems&ref=b7", std::time::SystemTime::now());
    /// let params = record.params().unwrap();
    /// assert_eq!(params.get_array("goodsid").unwrap().count(), 1);
    /// ```
    pub fn params(&self) -> Result<Params, ParamsError> {
        let unlimited = Limits {
            max_parameters: usize::MAX,
            max_bytes: usize::MAX,
        };
        Params::parse(self.query.as_bytes(), &unlimited)
    }

    /// When the delivery was completed (millisecond precision).
    ///
    /// ```
    /// # use pw_runtime::{ledger::PaymentRecord, PingbackType, UniqueRef};
    /// use std::time::SystemTime;
    /// let record = PaymentRecord::new("b7_0".parse().unwrap(), "ref=b7", SystemTime::UNIX_EPOCH);
    /// assert_eq!(record.delivered_at(), SystemTime::UNIX_EPOCH);
    /// ```
    pub fn delivered_at(&self) -> SystemTime {
        self.delivered_at
    }
}

/// Shows the reference and the time, not the parameters.
impl fmt::Debug for PaymentRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentRecord")
            .field("id", &format_args!("{}", self.id))
            .field("delivered_at", &self.delivered_at)
            .field("query", &format_args!("<{} bytes>", self.query.len()))
            .finish()
    }
}

/// Why a ledger operation failed. The listener answers HTTP 500
/// ([`LedgerError::status`]), so Paymentwall sends the pingback again later.
///
/// ```
/// use pw_runtime::ledger::LedgerError;
/// let err = LedgerError::StaleLease { id: "b7_0".parse().unwrap() };
/// assert_eq!(err.status(), 500);
/// assert!(err.to_string().contains("b7_0"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The backend failed or cannot be reached.
    #[error("the {backend} ledger is unavailable: {message}")]
    Unavailable {
        /// `memory`, `sqlite`, `postgres` or `redis`.
        backend: &'static str,
        /// The backend's error message.
        message: String,
    },
    /// The lease expired (and may have been claimed again): nothing was
    /// recorded, and its transaction was rolled back.
    #[error("the lease on {id} expired before it was completed or released; nothing was recorded")]
    StaleLease {
        /// The pingback of the lease.
        id: UniqueRef,
    },
    /// A lease or a transaction of another kind of ledger was asked for.
    #[error("expected a lease of the {expected} ledger, got one of the {found} ledger")]
    WrongBackend {
        /// The backend of the ledger or accessor called.
        expected: &'static str,
        /// The backend the lease came from.
        found: &'static str,
    },
    /// The options cannot be used, e.g. a table prefix that is not an SQL
    /// identifier.
    #[error("invalid ledger configuration: {0}")]
    Config(String),
}

impl LedgerError {
    /// The HTTP status the listener answers with: always 500, so that
    /// Paymentwall retries.
    ///
    /// ```
    /// use pw_runtime::ledger::LedgerError;
    /// assert_eq!(LedgerError::Config("x".into()).status(), 500);
    /// ```
    pub fn status(&self) -> u16 {
        500
    }

    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
    pub(crate) fn unavailable(backend: &'static str, err: impl fmt::Display) -> Self {
        LedgerError::Unavailable {
            backend,
            message: err.to_string(),
        }
    }
}

/// How a ledger is set up: the lease duration and the names it uses.
///
/// ```
/// use pw_runtime::ledger::LedgerOptions;
/// use std::time::Duration;
///
/// let options = LedgerOptions::new()
///     .lease(Duration::from_secs(60))
///     .prefix("shop1_")
///     .schema("billing");
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    pub(crate) lease: Duration,
    pub(crate) prefix: String,
    pub(crate) schema: Option<String>,
    pub(crate) accept_redis_data_loss: bool,
}

/// The default of [`LedgerOptions::lease`]: 30 s.
///
/// ```
/// assert_eq!(pw_runtime::ledger::DEFAULT_LEASE.as_secs(), 30);
/// ```
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            lease: DEFAULT_LEASE,
            prefix: "pw_".to_owned(),
            schema: None,
            accept_redis_data_loss: false,
        }
    }
}

impl LedgerOptions {
    /// The defaults: a 30-second lease ([`DEFAULT_LEASE`]), prefix `pw_`,
    /// PostgreSQL's current schema, and a Redis ledger only on a server
    /// that cannot lose an acknowledged write.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new();
    /// # let _ = options;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a claim stays [`Claim::InProgress`] without being completed,
    /// released or renewed ([`Ledger::renew`]): how long a pingback stays
    /// blocked after the process handling it died. The listener renews it
    /// every third of the lease while the handler runs, so it need not be
    /// longer than the handler's running time (that is bounded by
    /// `ListenerBuilder::handler_deadline`); it should be a few times the
    /// ledger's own response time. 30 s by default. Rounded to
    /// milliseconds, at least one.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new().lease(std::time::Duration::from_secs(60));
    /// # let _ = options;
    /// ```
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    /// The prefix of the ledger's table (`<prefix>ledger`) in SQL, or of its
    /// keys (`<prefix>ledger:<ref>_<type>`) in Redis; `pw_` by default. In SQL
    /// it must be letters, digits and `_` (at most 48), not starting with a
    /// digit.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new().prefix("shop1_");
    /// # let _ = options;
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// PostgreSQL only: the schema of the ledger's table, created if missing;
    /// by default the connection's current schema (usually `public`). Same
    /// rules as [`LedgerOptions::prefix`].
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new().schema("billing");
    /// # let _ = options;
    /// ```
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Redis only: opens a `RedisLedger` on a server whose
    /// persistence can lose acknowledged writes (`appendonly no`, or
    /// `appendfsync` other than `always`), which it refuses by default.
    ///
    /// What is lost: on such a server, a crash or restart forgets the
    /// records of the last second (`appendfsync everysec`), or everything
    /// since the last snapshot (no AOF, or none at all). Paymentwall then
    /// sends those pingbacks again, they are no longer known as done, and
    /// the handler delivers them **a second time**; a reversal recorded
    /// before its payment is forgotten, so the payment is granted for good.
    /// Use it for tests and development only, or when the handler's own
    /// writes are idempotent on `ref` and nothing else relies on the ledger.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new().accept_redis_data_loss();
    /// # let _ = options;
    /// ```
    pub fn accept_redis_data_loss(mut self) -> Self {
        self.accept_redis_data_loss = true;
        self
    }

    /// The lease duration.
    ///
    /// ```
    /// let options = pw_runtime::ledger::LedgerOptions::new();
    /// assert_eq!(options.lease_duration(), pw_runtime::ledger::DEFAULT_LEASE);
    /// ```
    pub fn lease_duration(&self) -> Duration {
        self.lease
    }

    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
    pub(crate) fn lease_millis(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX / 4)
    }
}

/// The deliveries [`Ledger::original_payment`] returns: 0, 1, 201.
pub(crate) const PAYMENT_KINDS: [PingbackType; 3] = [
    PingbackType::Payment,
    PingbackType::Goodwill,
    PingbackType::RiskReviewAccepted,
];

/// The reversals [`Ledger::reversal`] returns: 2, 202.
pub(crate) const REVERSAL_KINDS: [PingbackType; 2] =
    [PingbackType::Chargeback, PingbackType::RiskReviewDeclined];

/// The pingback types that move goods or money — deliveries (0, 1, 201)
/// and reversals (2, 202) — whose pingbacks of one `ref` a ledger handles
/// one at a time ([`Ledger::claim`]).
///
/// ```
/// use pw_runtime::ledger::MONEY_KINDS;
/// use pw_runtime::PingbackType;
/// assert!(MONEY_KINDS.contains(&PingbackType::Chargeback));
/// assert!(!MONEY_KINDS.contains(&PingbackType::RiskReviewPending));
/// ```
pub const MONEY_KINDS: [PingbackType; 5] = [
    PingbackType::Payment,
    PingbackType::Goodwill,
    PingbackType::Chargeback,
    PingbackType::RiskReviewAccepted,
    PingbackType::RiskReviewDeclined,
];

/// Whether pingbacks of `kind` are among [`MONEY_KINDS`].
pub(crate) fn moves_money(kind: PingbackType) -> bool {
    MONEY_KINDS.contains(&kind)
}

/// Checks a table prefix or schema name for SQL and returns it.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn sql_name(what: &str, name: &str, allow_empty: bool) -> Result<String, LedgerError> {
    let valid = (allow_empty || !name.is_empty())
        && name.len() <= 48
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(LedgerError::Config(format!(
            "the {what} {name:?} must be at most 48 letters, digits and `_`, not starting with a digit"
        )))
    }
}

/// A new lease token: 128 bits from the process's random hash keys, unique
/// across processes and machines in practice.
pub(crate) fn new_token() -> String {
    use std::fmt::Write as _;
    use std::hash::{BuildHasher, Hasher, RandomState};
    use std::sync::atomic::{AtomicU64, Ordering};

    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut token = String::with_capacity(32);
    for half in 0u8..2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(half);
        hasher.write_u64(count);
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        let _ = write!(token, "{:016x}", hasher.finish());
    }
    token
}

/// The pingback type of a kind column.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn kind_of(kind: i64) -> PingbackType {
    PingbackType::from_code(u32::try_from(kind).unwrap_or(u32::MAX))
}

/// A quarantine entry read back from a store; an address that no longer
/// parses reads as the unspecified address (a replay's source check then
/// refuses it).
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
pub(crate) fn quarantined_row(
    id: UniqueRef,
    query: String,
    client: &str,
    error: String,
    (first_seen, last_seen): (SystemTime, SystemTime),
    attempts: i64,
) -> Quarantined {
    let client = client
        .parse()
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    Quarantined::new(id, query, client, error, last_seen)
        .seen_before(first_seen, u64::try_from(attempts).unwrap_or(1))
}

/// Milliseconds since the Unix epoch of `time`.
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn unix_millis(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The time `millis` after the Unix epoch.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
pub(crate) fn from_unix_millis(millis: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn debug_hides_the_parameters() {
        let record = PaymentRecord::new(
            "b7_0".parse().unwrap(),
            "uid=secret",
            SystemTime::UNIX_EPOCH,
        );
        let shown = format!("{record:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("b7_0"), "{shown}");
    }
}
