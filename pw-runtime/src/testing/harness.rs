//! [`Harness`]: a [`Listener`] of one schema and handler on a throwaway
//! SQLite ledger, so that a handler that writes in the ledger's transaction
//! is tested in process, in a few lines (features `testing` and `sqlite`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::checklist::Checklist;
use super::TestPingback;
use crate::handler::HandledBy;
use crate::ledger::{LedgerError, LedgerOptions, SqliteLedger};
use crate::listener::{Listener, Response};
use crate::schema::Pingback;

/// A listener of the schema `P` with the handler `H` on a SQLite ledger in
/// a temporary file of its own (removed on drop), with the secret key
/// [`Harness::SECRET`] and the default source check (test pingbacks come
/// from a Paymentwall address).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use pw_runtime::testing::Harness;
/// use pw_runtime::{Delivery, Grant, HandlerError, Notice, OriginalPayment, Pingback, Reversal};
///
/// #[derive(Pingback)]
/// #[pingback(api = "digital_goods")]
/// struct Purchase {}
///
/// struct Shop;
/// impl PurchaseHandler for Shop {
///     async fn deliver(&self, _: &mut Delivery<Purchase>, _: Grant) -> Result<(), HandlerError> { Ok(()) }
///     async fn take_back(&self, _: &mut Delivery<Purchase>, _: Reversal, _: Option<OriginalPayment>) -> Result<(), HandlerError> { Ok(()) }
///     async fn notice(&self, _: &mut Delivery<Purchase>, _: Notice) -> Result<(), HandlerError> { Ok(()) }
/// }
///
/// let shop = Harness::<Purchase, _>::new(Shop).await.unwrap();
/// assert_eq!(shop.send(Purchase::test_pingback()).await.body, "OK");
/// let report = shop.checklist().run_against(shop.listener()).await.unwrap();
/// assert!(report.passed(), "{report}");
/// # });
/// ```
pub struct Harness<P, H> {
    listener: Listener<P, H, SqliteLedger>,
    path: PathBuf,
}

impl<P, H> Harness<P, H>
where
    P: Pingback + HandledBy<H>,
    H: Send + Sync,
{
    /// The secret key of the harness's listener, which [`send`](Self::send)
    /// signs with.
    pub const SECRET: &'static str = "pw-harness-secret";

    /// A listener of `handler` on a new SQLite ledger in a temporary file.
    ///
    /// # Errors
    ///
    /// The errors of [`SqliteLedger::open`].
    pub async fn new(handler: H) -> Result<Self, LedgerError> {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "pw-harness-{}-{nanos}-{}.db",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let ledger = SqliteLedger::open(&path, LedgerOptions::new()).await?;
        let listener = Listener::builder(Self::SECRET, handler, ledger).build();
        Ok(Harness { listener, path })
    }

    /// Signs `pingback` with [`Harness::SECRET`] and hands it to the
    /// listener as a GET from a Paymentwall address; the listener's answer.
    ///
    /// # Panics
    ///
    /// When the pingback cannot be signed (a cart pingback of another
    /// version than 2, a parameter name the parser rejects): a mistake in
    /// the test itself.
    pub async fn send(&self, pingback: impl Into<TestPingback>) -> Response {
        let signed = pingback
            .into()
            .sign(Self::SECRET)
            .unwrap_or_else(|err| panic!("the test pingback cannot be signed: {err}"));
        self.listener.handle(signed.request()).await
    }

    /// Paymentwall's Test Pingback Tool checklist for this listener: its
    /// API type, [`Harness::SECRET`] and the schema's lowest signature
    /// version; add the schema's own parameters with
    /// [`param`](Checklist::param), then
    /// [`run_against`](Checklist::run_against) the [`listener`](Self::listener).
    pub fn checklist(&self) -> Checklist {
        Checklist::new(P::API, Self::SECRET)
            .version(P::MINIMUM_VERSION.max(crate::SignatureVersion::V2))
    }

    /// The listener.
    pub fn listener(&self) -> &Listener<P, H, SqliteLedger> {
        &self.listener
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        self.listener.handler()
    }

    /// The ledger, for the test's own tables and queries
    /// ([`SqliteLedger::write`], [`SqliteLedger::read`]).
    pub fn ledger(&self) -> &SqliteLedger {
        self.listener.ledger()
    }

    /// The ledger's file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl<P, H> Drop for Harness<P, H> {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}
