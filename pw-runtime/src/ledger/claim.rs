//! [`Claim`]: the outcome of [`Ledger::claim`](super::Ledger::claim).

use super::Lease;
#[cfg(doc)]
use super::Ledger;

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
