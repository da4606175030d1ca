//! The [`Ledger`] trait: claim, complete, release, renew, quarantine, look up.

use std::future::Future;

use super::{Claim, Lease, LedgerError, PaymentRecord, Quarantined};
#[cfg(doc)]
use super::{LedgerOptions, MONEY_KINDS};
use crate::kinds::UniqueRef;
use crate::params::Params;

/// A store that lets each pingback ([`UniqueRef`]) be handled exactly once.
///
/// Every method returns a `Send` future, so a ledger can be used from any
/// multi-threaded runtime. All backends are cheap to clone (they share one
/// pool or store). See the [module documentation](super) for the protocol.
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
    /// `id`'s `ref` is compared byte for byte: `b1 ` and `B1` are not `b1`.
    /// A backend keyed by text must not compare by a collation that ignores
    /// case or trailing spaces. It must keep references of up to
    /// [`Reference::MAX_BYTES`](crate::Reference::MAX_BYTES) (1,024) bytes;
    /// the verifier refuses a longer `ref` before the listener claims it.
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

/// Implements [`Ledger`] for a type by handing every call to the ledger
/// `|this| target` gives: one definition serves the pointer types below
/// and the public faces of the server SQL ledgers (their engine).
macro_rules! forward_ledger {
    ($(#[$doc:meta] impl[$($generics:tt)*] $ty:ty, |$this:ident| $target:expr;)+) => {$(
        #[$doc]
        impl<$($generics)*> $crate::ledger::Ledger for $ty {
            fn claim(
                &self,
                id: &$crate::kinds::UniqueRef,
            ) -> impl std::future::Future<Output = Result<$crate::ledger::Claim, $crate::ledger::LedgerError>> + Send {
                $crate::ledger::Ledger::claim({ let $this = self; $target }, id)
            }
            fn complete(
                &self,
                lease: $crate::ledger::Lease,
                params: &$crate::params::Params,
            ) -> impl std::future::Future<Output = Result<(), $crate::ledger::LedgerError>> + Send {
                $crate::ledger::Ledger::complete({ let $this = self; $target }, lease, params)
            }
            fn release(
                &self,
                lease: $crate::ledger::Lease,
            ) -> impl std::future::Future<Output = Result<(), $crate::ledger::LedgerError>> + Send {
                $crate::ledger::Ledger::release({ let $this = self; $target }, lease)
            }
            fn original_payment(
                &self,
                reference: &str,
            ) -> impl std::future::Future<Output = Result<Option<$crate::ledger::PaymentRecord>, $crate::ledger::LedgerError>> + Send {
                $crate::ledger::Ledger::original_payment({ let $this = self; $target }, reference)
            }
            fn reversal(
                &self,
                reference: &str,
            ) -> impl std::future::Future<Output = Result<Option<$crate::ledger::PaymentRecord>, $crate::ledger::LedgerError>> + Send {
                $crate::ledger::Ledger::reversal({ let $this = self; $target }, reference)
            }
            fn renew(
                &self,
                id: &$crate::kinds::UniqueRef,
                token: &str,
            ) -> impl std::future::Future<Output = Result<(), $crate::ledger::LedgerError>> + Send {
                $crate::ledger::Ledger::renew({ let $this = self; $target }, id, token)
            }
            fn quarantine(
                &self,
                lease: $crate::ledger::Lease,
                pingback: &$crate::ledger::Quarantined,
            ) -> impl std::future::Future<Output = Result<(), $crate::ledger::LedgerError>> + Send {
                $crate::ledger::Ledger::quarantine({ let $this = self; $target }, lease, pingback)
            }
            fn quarantined(
                &self,
            ) -> impl std::future::Future<Output = Result<Vec<$crate::ledger::Quarantined>, $crate::ledger::LedgerError>> + Send {
                $crate::ledger::Ledger::quarantined({ let $this = self; $target })
            }
        }
    )+};
}
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) use forward_ledger;

forward_ledger! {
    /// A shared reference to a ledger is a ledger.
    impl[L: Ledger] &L, |this| &**this;
    /// A ledger behind an `Arc` is a ledger.
    impl[L: Ledger] std::sync::Arc<L>, |this| &**this;
}
