//! The [`Ledger`] trait: claim, complete, release, look up.

use std::future::Future;

use super::{Claim, Lease, LedgerError, PaymentRecord};
use crate::{Params, UniqueRef};

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
}
