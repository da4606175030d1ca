//! The quickstart: a digital-goods shop whose pingback listener grants and
//! revokes gems in a small SQLite table of its own, in the ledger's
//! transaction, so a grant and its ledger record commit together or not at
//! all (exactly once, even across crashes and Paymentwall's retries).
//!
//! `examples/quickstart.rs` runs it; the tests start it on `127.0.0.1:0`
//! with a temporary file and run `pw-pingback check` against it.
//!
//! ```no_run
//! use pw_examples::quickstart::{self, Settings};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let settings = Settings::from_env()?;
//! let server = quickstart::start(&settings).await?;
//! println!("listening on {}", server.url);
//! server.task.await??;
//! # Ok(()) }
//! ```

use pw_runtime::ledger::sqlx::{self, SqlitePool};
use pw_runtime::ledger::{LedgerError, LedgerOptions, SqliteLedger};
use pw_runtime::listener::Listener;
use pw_runtime::{
    signature, ApiType, Currency, Decimal, Delivery, DeliveryKind, Goods, Grant, HandlerError,
    Notice, OriginalPayment, Pingback, Reversal, SecretKey, SignatureVersion, SourceCheck,
};
use std::error::Error;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::task::JoinHandle;

/// The secret key used when `PW_SECRET_KEY` is not set, in development
/// mode only. It is printed as such: never use it for a real project.
pub const DEVELOPMENT_KEY: &str = "pw-quickstart-development-key";

/// The path the listener answers on.
pub const PATH: &str = "/pingback";

/// The custom pingback parameters of the quickstart's Paymentwall project
/// (Project > Settings > Custom Pingback Parameters).
///
/// ```
/// use pw_examples::quickstart::GemPurchase;
/// use pw_runtime::Pingback;
///
/// assert_eq!(GemPurchase::settings_table().to_string(), "\
/// Paymentwall > Project > Settings > Custom Pingback Parameters:
/// | Parameter name | Value         |
/// |----------------|---------------|
/// | revenue        | REVENUE_LOCAL |
/// | paid_currency  | CURRENCY_CODE |
/// | campaign       | OWN           |
/// ");
/// ```
#[derive(Pingback, Debug)]
#[pingback(api = "digital_goods")]
pub struct GemPurchase {
    /// What the user paid, net, in the payment currency.
    #[pingback(system = "REVENUE_LOCAL", param = "revenue")]
    pub revenue: Decimal,
    /// The payment currency.
    #[pingback(system = "CURRENCY_CODE", param = "paid_currency")]
    pub paid_currency: Currency,
    /// The marketing campaign of the widget call (an `OWN` parameter).
    #[pingback(own)]
    pub campaign: String,
}

/// The values of a test payment of [`GemPurchase`] for `reference`, as
/// Paymentwall would send them (unsigned).
///
/// ```
/// let pairs = pw_examples::quickstart::test_payment("b1");
/// assert!(pairs.contains(&("ref", "b1".to_owned())));
/// ```
pub fn test_payment(reference: &str) -> Vec<(&'static str, String)> {
    [
        ("uid", "user_42"),
        ("goodsid", "gems_100"),
        ("slength", ""),
        ("speriod", ""),
        ("type", "0"),
        ("ref", reference),
        ("is_test", "1"),
        ("revenue", "4.99"),
        ("paid_currency", "USD"),
        ("campaign", "spring"),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect()
}

/// The custom parameters of [`test_payment`], as `name=value` arguments of
/// `pw-pingback check`.
///
/// ```
/// assert!(pw_examples::quickstart::CHECK_ARGUMENTS.contains(&"campaign=spring"));
/// ```
pub const CHECK_ARGUMENTS: [&str; 3] = ["revenue=4.99", "paid_currency=USD", "campaign=spring"];

/// The signed query string of a [`test_payment`].
///
/// ```
/// use pw_runtime::SecretKey;
/// let query = pw_examples::quickstart::signed_test_payment(&SecretKey::new("k"), "b1");
/// assert!(query.contains("&sig="));
/// ```
pub fn signed_test_payment(secret: &SecretKey, reference: &str) -> String {
    let pairs = test_payment(reference);
    signature::sign_pingback(
        ApiType::DigitalGoods,
        SignatureVersion::V2,
        secret,
        pairs.iter().map(|(name, value)| (*name, value.as_str())),
    )
    .expect("the test payment's names are valid")
}

/// A `curl` command that sends a signed test payment to `url` by GET.
///
/// ```
/// use pw_runtime::SecretKey;
/// let command = pw_examples::quickstart::curl_command("http://127.0.0.1:8080/pingback", &SecretKey::new("k"), "b1");
/// assert!(command.starts_with("curl 'http://127.0.0.1:8080/pingback?uid=user_42&"));
/// ```
pub fn curl_command(url: &str, secret: &SecretKey, reference: &str) -> String {
    format!("curl '{url}?{}'", signed_test_payment(secret, reference))
}

/// What the quickstart prints to try it: with the development key, two
/// ready `curl` commands (a signed test payment, and the same signed with
/// another key); with the project's own key (`PW_SECRET_KEY`), no signed
/// pingback at all (it would be a valid, replayable pingback of the real
/// project, left in a terminal's scrollback and logs), but the command
/// that signs one when the merchant chooses to.
///
/// ```
/// use pw_examples::quickstart::{try_it, Settings};
/// use pw_runtime::SecretKey;
///
/// let mut settings = Settings::development("127.0.0.1:8080".parse().unwrap(), "test.db".into());
/// assert!(try_it(&settings, "http://127.0.0.1:8080/pingback", "b1").contains("&sig="));
///
/// settings.secret = SecretKey::new("the-project-key");
/// settings.development_key = false;
/// let text = try_it(&settings, "http://127.0.0.1:8080/pingback", "b1");
/// assert!(!text.contains("sig=") && !text.contains("the-project-key"));
/// ```
pub fn try_it(settings: &Settings, url: &str, reference: &str) -> String {
    if !settings.development_key {
        return format!(
            "No signed test pingback is printed: PW_SECRET_KEY is your project's key, and a \
             pingback signed with it is a real one. To send a test payment yourself:\n\n  \
             pw-pingback send {url} --secret \"$PW_SECRET_KEY\" --api digital_goods \
             uid=user_42 goodsid=gems_100 slength= speriod= type=0 ref={reference} is_test=1 {}\n",
            CHECK_ARGUMENTS.join(" ")
        );
    }
    format!(
        "A signed test payment (answered OK; sent again, OK without a second grant):\n\n  \
         {}\n\nThe same, signed with another key (answered 403):\n\n  {}\n",
        curl_command(url, &settings.secret, reference),
        curl_command(url, &SecretKey::new("not-the-secret-key"), reference)
    )
}

/// A reference no earlier run has used: `quickstart` and the time in
/// milliseconds.
///
/// ```
/// assert!(pw_examples::quickstart::fresh_reference().starts_with("quickstart"));
/// ```
pub fn fresh_reference() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    format!("quickstart{millis}")
}

/// The shop: grants gems on a payment, a goodwill credit or an accepted
/// risk review, and revokes them on a chargeback or a declined risk review,
/// in its table `grants`, inside the ledger's transaction.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let ledger = pw_examples::quickstart::open_ledger("shop.db".as_ref()).await?;
/// let shop = pw_examples::quickstart::Shop::new(ledger.pool().clone());
/// println!("{} grants", shop.grants().await?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Shop {
    pool: SqlitePool,
}

/// The shop's own table, in the ledger's file.
const GRANTS_TABLE: &str = "CREATE TABLE IF NOT EXISTS grants (\
     reference TEXT PRIMARY KEY, \
     uid TEXT NOT NULL, \
     goodsid TEXT NOT NULL, \
     revenue TEXT NOT NULL, \
     currency TEXT NOT NULL, \
     campaign TEXT NOT NULL, \
     granted_at INTEGER NOT NULL, \
     revoked_at INTEGER, \
     revoke_reason TEXT)";

impl Shop {
    /// The shop on the ledger's pool (its table is in the same file).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let ledger = pw_examples::quickstart::open_ledger("shop.db".as_ref()).await?;
    /// let shop = pw_examples::quickstart::Shop::new(ledger.pool().clone());
    /// # Ok(()) }
    /// ```
    pub fn new(pool: SqlitePool) -> Self {
        Shop { pool }
    }

    /// How many grants were made (revoked ones included).
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    ///
    /// ```no_run
    /// # async fn run(shop: pw_examples::quickstart::Shop) -> Result<(), Box<dyn std::error::Error>> {
    /// assert_eq!(shop.grants().await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn grants(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM grants")
            .fetch_one(&self.pool)
            .await
    }

    /// How many grants were revoked.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    ///
    /// ```no_run
    /// # async fn run(shop: pw_examples::quickstart::Shop) -> Result<(), Box<dyn std::error::Error>> {
    /// assert!(shop.revoked().await? <= shop.grants().await?);
    /// # Ok(()) }
    /// ```
    pub async fn revoked(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM grants WHERE revoked_at IS NOT NULL")
            .fetch_one(&self.pool)
            .await
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

impl Shop {
    /// Records a grant of the goods of `delivery` in `grants`, in the
    /// ledger's transaction. A `ref` is granted once, whichever of its
    /// delivery types (0, 1, 201) comes first.
    async fn grant(
        &self,
        delivery: &mut Delivery<GemPurchase>,
        kind: DeliveryKind,
    ) -> Result<(), HandlerError> {
        let envelope = delivery.envelope();
        let goodsid = match envelope.goods {
            Goods::DigitalGoods { goodsid, .. } => goodsid.to_owned(),
            _ => {
                return Err(HandlerError::new(
                    "a digital goods pingback without goodsid",
                ))
            }
        };
        let (reference, uid) = (envelope.reference.to_owned(), envelope.uid.to_owned());
        let revenue = delivery.revenue.to_string();
        let currency = delivery.paid_currency.code().to_owned();
        let campaign = delivery.campaign.clone();
        // The ledger's transaction: this row commits with the ledger record.
        let db = delivery.sqlite().await?;
        let granted = sqlx::query(
            "INSERT INTO grants (reference, uid, goodsid, revenue, currency, campaign, granted_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (reference) DO NOTHING",
        )
        .bind(&reference)
        .bind(&uid)
        .bind(&goodsid)
        .bind(&revenue)
        .bind(&currency)
        .bind(&campaign)
        .bind(now())
        .execute(&mut *db)
        .await?
        .rows_affected();
        if granted == 0 {
            tracing::info!(%reference, ?kind, "already granted by another type of this ref");
        } else {
            tracing::info!(%reference, %uid, %goodsid, %revenue, %currency, %campaign, ?kind, "granted");
        }
        Ok(())
    }
}

/// What the shop does with each pingback type: payments, goodwill credits
/// and accepted risk reviews grant (unless the `ref` was reversed before
/// its delivery arrived); chargebacks and declined risk reviews revoke;
/// the other documented types are logged; undocumented types are refused
/// (the trait's default), so Paymentwall retries them.
impl GemPurchaseHandler for Shop {
    async fn deliver(
        &self,
        delivery: &mut Delivery<GemPurchase>,
        grant: Grant,
    ) -> Result<(), HandlerError> {
        match grant {
            Grant::Deliver(kind) => self.grant(delivery, kind).await,
            Grant::AlreadyReversed { kind, reversal } => {
                tracing::warn!(
                    reference = %delivery.reference(),
                    ?kind,
                    reversed_by = %reversal.unique_ref(),
                    "not granted: the payment was reversed before it arrived"
                );
                Ok(())
            }
        }
    }

    async fn take_back(
        &self,
        delivery: &mut Delivery<GemPurchase>,
        reversal: Reversal,
        original: Option<OriginalPayment>,
    ) -> Result<(), HandlerError> {
        let reference = delivery.reference().to_owned();
        let reason = match reversal {
            Reversal::Chargeback {
                reason: Some(reason),
            } => format!("{reason:?}"),
            Reversal::Chargeback { reason: None } => "chargeback".to_owned(),
            Reversal::RiskReviewDeclined => "risk review declined".to_owned(),
        };
        let db = delivery.sqlite().await?;
        let revoked = sqlx::query(
            "UPDATE grants SET revoked_at = ?1, revoke_reason = ?2 \
             WHERE reference = ?3 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(&reason)
        .bind(&reference)
        .execute(&mut *db)
        .await?
        .rows_affected();
        tracing::info!(
            %reference,
            %reason,
            revoked,
            original_known = original.is_some(),
            "taken back"
        );
        Ok(())
    }

    async fn notice(
        &self,
        delivery: &mut Delivery<GemPurchase>,
        notice: Notice,
    ) -> Result<(), HandlerError> {
        // Gems are no subscription, and nothing is granted before a risk
        // review accepts the payment: there is nothing to change.
        tracing::info!(reference = %delivery.reference(), ?notice, "noted");
        Ok(())
    }
}

/// The quickstart's listener.
pub type QuickstartListener = Listener<GemPurchase, Shop, SqliteLedger>;

/// Where the quickstart listens, with which key and which database.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The address to listen on (`PW_ADDR`, default `127.0.0.1:8080`).
    pub addr: SocketAddr,
    /// The project's secret key (`PW_SECRET_KEY`).
    pub secret: SecretKey,
    /// True when the key is [`DEVELOPMENT_KEY`] because `PW_SECRET_KEY`
    /// was not set.
    pub development_key: bool,
    /// Production mode (`PW_ENV=production`): only Paymentwall's addresses
    /// may send pingbacks. Otherwise loopback addresses may too.
    pub production: bool,
    /// The SQLite file (`PW_DATABASE`, default `pw-quickstart.db`).
    pub database: PathBuf,
}

impl Settings {
    /// Development settings: this address and file, the development key.
    ///
    /// ```
    /// let settings = pw_examples::quickstart::Settings::development("127.0.0.1:0".parse().unwrap(), "test.db".into());
    /// assert!(!settings.production && settings.development_key);
    /// ```
    pub fn development(addr: SocketAddr, database: PathBuf) -> Self {
        Settings {
            addr,
            secret: SecretKey::new(DEVELOPMENT_KEY),
            development_key: true,
            production: false,
            database,
        }
    }

    /// The settings from the environment: `PW_ADDR`, `PW_SECRET_KEY`,
    /// `PW_ENV`, `PW_DATABASE`.
    ///
    /// # Errors
    ///
    /// A `PW_ADDR` that is not a socket address; production mode without
    /// `PW_SECRET_KEY`.
    ///
    /// ```
    /// let settings = pw_examples::quickstart::Settings::from_env().unwrap();
    /// # let _ = settings;
    /// ```
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let addr = var("PW_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let addr = addr
            .parse()
            .map_err(|_| format!("PW_ADDR={addr} is not an address such as 127.0.0.1:8080"))?;
        let production = var("PW_ENV").is_some_and(|env| env == "production");
        let (secret, development_key) = match var("PW_SECRET_KEY") {
            Some(key) => (SecretKey::new(key), false),
            None if production => {
                return Err(
                    "PW_ENV=production needs PW_SECRET_KEY, the project's secret key".into(),
                )
            }
            None => (SecretKey::new(DEVELOPMENT_KEY), true),
        };
        let database = var("PW_DATABASE").unwrap_or_else(|| "pw-quickstart.db".to_owned());
        Ok(Settings {
            addr,
            secret,
            development_key,
            production,
            database: database.into(),
        })
    }
}

/// Who may send pingbacks: Paymentwall's addresses; in development mode
/// also loopback (127.0.0.0/8 and ::1), so a local `curl` works.
///
/// ```
/// use pw_runtime::Source;
/// let loopback = Source::peer("127.0.0.1".parse().unwrap());
/// assert!(pw_examples::quickstart::source_check(false).check(&loopback).is_ok());
/// assert!(pw_examples::quickstart::source_check(true).check(&loopback).is_err());
/// ```
pub fn source_check(production: bool) -> SourceCheck {
    let check = SourceCheck::default();
    if production {
        return check;
    }
    check
        .allow("127.0.0.0/8")
        .and_then(|check| check.allow("::1"))
        .expect("loopback networks parse")
}

/// Opens (or creates) the SQLite ledger at `path` and the shop's table in
/// the same file.
///
/// # Errors
///
/// When the file cannot be opened or written.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let ledger = pw_examples::quickstart::open_ledger("pw-quickstart.db".as_ref()).await?;
/// # Ok(()) }
/// ```
pub async fn open_ledger(path: &std::path::Path) -> Result<SqliteLedger, LedgerError> {
    let ledger = SqliteLedger::open(path, LedgerOptions::new()).await?;
    sqlx::query(GRANTS_TABLE)
        .execute(ledger.pool())
        .await
        .map_err(|error| LedgerError::Unavailable {
            backend: "sqlite",
            message: error.to_string(),
        })?;
    Ok(ledger)
}

/// The listener of `settings`: the SQLite ledger, the shop, the source
/// check of the mode.
///
/// # Errors
///
/// As [`open_ledger`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let settings = pw_examples::quickstart::Settings::from_env()?;
/// let listener = pw_examples::quickstart::listener(&settings).await?;
/// # Ok(()) }
/// ```
pub async fn listener(settings: &Settings) -> Result<QuickstartListener, LedgerError> {
    let ledger = open_ledger(&settings.database).await?;
    let shop = Shop::new(ledger.pool().clone());
    Ok(
        Listener::<GemPurchase, _, _>::builder(settings.secret.clone(), shop, ledger)
            .source_check(source_check(settings.production))
            .build(),
    )
}

/// A running quickstart server.
pub struct Server {
    /// The address it listens on (the real port when `settings.addr` had
    /// port 0).
    pub addr: SocketAddr,
    /// The pingback URL, `http://ADDR/pingback`.
    pub url: String,
    /// The listener, shared with the server (its handler and ledger).
    pub listener: Arc<QuickstartListener>,
    /// The server task; abort it to stop.
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Opens the ledger, binds `settings.addr` and serves the listener at
/// [`PATH`] on the current Tokio runtime: an axum router, served through
/// hyper with pw's default time and connection limits
/// ([`ServerLimits`](pw_runtime::http::hyper::ServerLimits): headers and
/// body within 10 s each, idle connections closed after 5 s, at most 1,024
/// connections), as `axum::serve` has no header-read timeout.
///
/// # Errors
///
/// When the ledger cannot be opened or the address cannot be bound.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let settings = pw_examples::quickstart::Settings::development("127.0.0.1:0".parse()?, "test.db".into());
/// let server = pw_examples::quickstart::start(&settings).await?;
/// println!("{}", server.url);
/// server.task.abort();
/// # Ok(()) }
/// ```
pub async fn start(settings: &Settings) -> Result<Server, Box<dyn Error + Send + Sync>> {
    let listener = Arc::new(listener(settings).await?);
    let tcp = tokio::net::TcpListener::bind(settings.addr).await?;
    let addr = tcp.local_addr()?;
    let app = pw_runtime::http::axum::router(Arc::clone(&listener), PATH);
    let limits = pw_runtime::http::hyper::ServerLimits::default();
    let task = tokio::spawn(pw_runtime::http::hyper::serve_service(app, tcp, limits));
    Ok(Server {
        addr,
        url: format!("http://{addr}{PATH}"),
        listener,
        task,
    })
}
