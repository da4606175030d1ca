//! The Redis ledger: shared by several listener instances.

use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::clock::{from_unix_millis, unix_millis};
use super::record::{moves_money, PAYMENT_KINDS, REVERSAL_KINDS};
use super::rows::quarantined_row;
use super::{
    Claim, Lease, Ledger, LedgerError, LedgerOptions, PaymentRecord, Quarantined, MONEY_KINDS,
};
use crate::kinds::{PingbackType, UniqueRef};
use crate::params::Params;
use std::collections::HashMap;

const BACKEND: &str = "redis";

fn unavailable(err: redis::RedisError) -> LedgerError {
    LedgerError::unavailable(BACKEND, err)
}

/// A claim in progress is `p:<token>` with the lease as its expiry; a
/// completed pingback is `d:<unix millis>:<query string>` without expiry.
const IN_PROGRESS: &str = "p:";
const DONE: &str = "d:";

/// KEYS[1]: the key; KEYS[2..]: the keys of the ref's other money types
/// (none for other types); ARGV[1]: the in-progress value; ARGV[2]: the
/// lease in milliseconds. Returns 1 fresh, 2 done, 3 in progress.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local value = redis.call('GET', KEYS[1])
if value then
  if string.sub(value, 1, 2) == 'd:' then
    return 2
  end
  return 3
end
for i = 2, #KEYS do
  local other = redis.call('GET', KEYS[i])
  if other and string.sub(other, 1, 2) == 'p:' then
    return 3
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
",
    )
});

/// KEYS[1]: the key; KEYS[2]: its quarantine hash; KEYS[3]: the quarantine
/// index; ARGV[1]: the lease's in-progress value; ARGV[2]: the done value;
/// ARGV[3]: the `ref_type`. Returns 1 when completed (and out of quarantine),
/// 0 when the lease is stale.
static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[3])
  return 1
end
return 0
",
    )
});

/// KEYS[1]: the key; ARGV[1]: the lease's in-progress value. Returns 1 when
/// released, 0 when the lease is stale.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
",
    )
});

/// KEYS[1]: the key; ARGV[1]: the lease's in-progress value; ARGV[2]: the
/// lease in milliseconds. Returns 1 when renewed, 0 when the lease is stale.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
",
    )
});

/// KEYS[1]: the key; KEYS[2]: its quarantine hash; KEYS[3]: the quarantine
/// index; ARGV[1]: the lease's in-progress value; ARGV[2]: the `ref_type`;
/// ARGV[3]: the query; ARGV[4]: the client; ARGV[5]: the error; ARGV[6]:
/// now, in Unix milliseconds. Releases the claim and keeps the pingback:
/// 1, or 0 when the lease is stale.
static QUARANTINE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSETNX', KEYS[2], 'first', ARGV[6])
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'query', ARGV[3], 'client', ARGV[4], 'error', ARGV[5], 'last', ARGV[6])
redis.call('HINCRBY', KEYS[2], 'attempts', 1)
redis.call('SADD', KEYS[3], ARGV[2])
return 1
",
    )
});

/// A ledger in Redis, shared by any number of listener instances: one key
/// per pingback, `<prefix>ledger:<ref>_<type>`, claimed and completed by Lua
/// scripts so that every step is atomic and token-checked. A claim expires
/// with the key (`PX`); a completed record has no expiry.
///
/// Durability is Redis's: "recorded before `OK`" holds only with
/// `appendonly yes` and `appendfsync always`, so the ledger refuses to open
/// on a server configured otherwise (it reads both with `CONFIG GET`),
/// unless [`LedgerOptions::accept_redis_data_loss`] says to. The handler's
/// own writes cannot share a transaction with this ledger; make them
/// idempotent on `ref`, or use a SQL ledger.
///
/// Keys: `<prefix>ledger:<ref>_<type>` per pingback, `<prefix>quarantine:<ref>_<type>`
/// (a hash) per quarantined pingback, and the set `<prefix>quarantined` of
/// their `ref_type`s.
///
/// ```no_run
/// use pw_runtime::ledger::{Claim, Ledger, LedgerOptions, RedisLedger};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let ledger = RedisLedger::connect("redis://127.0.0.1:6379", LedgerOptions::new().prefix("shop1:")).await?;
/// match ledger.claim(&"b7_0".parse()?).await? {
///     Claim::Fresh(lease) => ledger.release(lease).await?, // or complete after the handler
///     Claim::AlreadyDone => {}
///     Claim::InProgress => {}
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisLedger {
    conn: ConnectionManager,
    prefix: Arc<str>,
    lease: Duration,
    lease_millis: i64,
}

impl std::fmt::Debug for RedisLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLedger")
            .field("prefix", &self.prefix)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

/// Makes sure the process has a default crypto provider for rustls, on
/// which Redis's TLS runs: it takes the process's default at each
/// connection, and with none installed picks one from rustls's enabled
/// features, panicking when that is not exactly one (ring from pw and
/// aws-lc-rs from another crate of the application, say). pw installs
/// ring's when the process has none; one the application installed
/// first stays.
#[cfg(feature = "tls")]
fn ensure_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error means another thread installed one meanwhile: it stays.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

impl RedisLedger {
    /// Connects to the Redis server at `url` (`redis://host:6379/0`;
    /// `rediss://host:6380/0` for TLS, with the `tls` feature, checked
    /// against Mozilla's root certificates: for a private CA, build the
    /// client with `redis_client::Client::build_with_tls` and use
    /// [`RedisLedger::from_client`]).
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] for an invalid URL or an unreachable
    /// server; [`LedgerError::Config`] for a `rediss://` URL without the
    /// `tls` feature.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{LedgerOptions, RedisLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let ledger = RedisLedger::connect("redis://127.0.0.1:6379", LedgerOptions::new()).await?;
    /// # let _ = ledger; Ok(()) }
    /// ```
    pub async fn connect(url: &str, options: LedgerOptions) -> Result<Self, LedgerError> {
        let tls = url
            .get(.."rediss:".len())
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("rediss:"));
        if cfg!(not(feature = "tls")) && tls {
            return Err(LedgerError::Config(
                "a rediss:// URL (Redis over TLS) needs pw-runtime's `tls` feature".to_owned(),
            ));
        }
        let client = Client::open(url).map_err(unavailable)?;
        Self::from_client(client, options).await
    }

    /// A ledger on `client`'s server: one multiplexed connection that
    /// reconnects by itself, a 5-second connection timeout and the
    /// options' response timeout for each command
    /// ([`LedgerOptions::response_timeout`], 10 s by default).
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] when the server cannot be reached;
    /// [`LedgerError::Config`] when its persistence can lose an
    /// acknowledged write (`appendonly` is not `yes`, or `appendfsync` is
    /// not `always`) or cannot be read, unless the options
    /// [accept that](LedgerOptions::accept_redis_data_loss). The message
    /// says what to set.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{redis_client::Client, LedgerOptions, RedisLedger};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::open("redis://127.0.0.1:6379")?;
    /// let ledger = RedisLedger::from_client(client, LedgerOptions::new()).await?;
    /// # let _ = ledger; Ok(()) }
    /// ```
    pub async fn from_client(client: Client, options: LedgerOptions) -> Result<Self, LedgerError> {
        #[cfg(feature = "tls")]
        if matches!(
            client.get_connection_info().addr(),
            redis::ConnectionAddr::TcpTls { .. }
        ) {
            ensure_crypto_provider();
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(options.response_timeout))
            .set_number_of_retries(2);
        let mut conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
        if !options.accept_redis_data_loss {
            check_persistence(&mut conn).await?;
        }
        Ok(RedisLedger {
            conn,
            prefix: options.prefix.as_str().into(),
            lease: options.lease,
            lease_millis: options.lease_millis(),
        })
    }

    /// The key of a pingback: `<prefix>ledger:<ref>_<type>`.
    ///
    /// ```no_run
    /// # use pw_runtime::ledger::{LedgerOptions, RedisLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let ledger = RedisLedger::connect("redis://127.0.0.1:6379", LedgerOptions::new()).await?;
    /// assert_eq!(ledger.key(&"b7_0".parse().unwrap()), "pw_ledger:b7_0");
    /// # Ok(()) }
    /// ```
    pub fn key(&self, id: &UniqueRef) -> String {
        format!("{}ledger:{id}", self.prefix)
    }

    /// The key of a quarantined pingback: `<prefix>quarantine:<ref>_<type>`.
    fn quarantine_key(&self, id: &UniqueRef) -> String {
        format!("{}quarantine:{id}", self.prefix)
    }

    /// The set of quarantined `ref_type`s: `<prefix>quarantined`.
    fn quarantine_index(&self) -> String {
        format!("{}quarantined", self.prefix)
    }

    /// Runs a token-checked script on the lease's key: 1 when it applied.
    /// `with_quarantine` adds the pingback's quarantine keys; `args` follow
    /// the lease's value.
    async fn on_lease(
        &self,
        script: &Script,
        lease: Lease,
        with_quarantine: bool,
        args: &[String],
    ) -> Result<(), LedgerError> {
        lease.expect_backend(BACKEND)?;
        let (id, token) = (lease.id().clone(), lease.token().to_owned());
        let mut invocation = script.prepare_invoke();
        invocation.key(self.key(&id));
        if with_quarantine {
            invocation
                .key(self.quarantine_key(&id))
                .key(self.quarantine_index());
        }
        invocation.arg(format!("{IN_PROGRESS}{token}"));
        for arg in args {
            invocation.arg(arg);
        }
        let applied: i64 = invocation
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if applied == 1 {
            Ok(())
        } else {
            Err(LedgerError::StaleLease { id })
        }
    }
}

impl RedisLedger {
    /// The earliest completed pingback of `reference` among `kinds`.
    async fn earliest(
        &self,
        reference: &str,
        kinds: &[PingbackType],
    ) -> Result<Option<PaymentRecord>, LedgerError> {
        let ids: Vec<UniqueRef> = kinds
            .iter()
            .map(|kind| UniqueRef::new(reference, *kind))
            .collect();
        let keys: Vec<String> = ids.iter().map(|id| self.key(id)).collect();
        let values: Vec<Option<String>> = redis::cmd("MGET")
            .arg(keys)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        let found = ids
            .into_iter()
            .zip(values)
            .filter_map(|(id, value)| {
                let (at, query) = value?
                    .strip_prefix(DONE)?
                    .split_once(':')
                    .map(|(at, query)| (at.parse::<i64>().ok(), query.to_owned()))?;
                Some(PaymentRecord::new(id, query, from_unix_millis(at?)))
            })
            .min_by_key(PaymentRecord::delivered_at);
        Ok(found)
    }
}

impl Ledger for RedisLedger {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        let key = self.key(id);
        let siblings: Vec<String> = if moves_money(id.kind) {
            MONEY_KINDS
                .iter()
                .filter(|kind| **kind != id.kind)
                .map(|kind| self.key(&UniqueRef::new(&id.reference, *kind)))
                .collect()
        } else {
            Vec::new()
        };
        let id = id.clone();
        async move {
            let lease = Lease::new(id, BACKEND, self.lease);
            let outcome: i64 = CLAIM
                .key(key)
                .key(siblings)
                .arg(format!("{IN_PROGRESS}{}", lease.token()))
                .arg(self.lease_millis)
                .invoke_async(&mut self.conn.clone())
                .await
                .map_err(unavailable)?;
            Ok(match outcome {
                1 => Claim::Fresh(lease),
                2 => Claim::AlreadyDone,
                _ => Claim::InProgress,
            })
        }
    }

    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        let now = unix_millis(SystemTime::now());
        let args = [
            format!("{DONE}{now}:{}", params.to_query_string()),
            lease.id().to_string(),
        ];
        async move { self.on_lease(&COMPLETE, lease, true, &args).await }
    }

    async fn release(&self, lease: Lease) -> Result<(), LedgerError> {
        self.on_lease(&RELEASE, lease, false, &[]).await
    }

    async fn original_payment(
        &self,
        reference: &str,
    ) -> Result<Option<PaymentRecord>, LedgerError> {
        self.earliest(reference, &PAYMENT_KINDS).await
    }

    async fn reversal(&self, reference: &str) -> Result<Option<PaymentRecord>, LedgerError> {
        self.earliest(reference, &REVERSAL_KINDS).await
    }

    async fn renew(&self, id: &UniqueRef, token: &str) -> Result<(), LedgerError> {
        let renewed: i64 = RENEW
            .key(self.key(id))
            .arg(format!("{IN_PROGRESS}{token}"))
            .arg(self.lease_millis)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if renewed == 1 {
            Ok(())
        } else {
            Err(LedgerError::StaleLease { id: id.clone() })
        }
    }

    fn quarantine(
        &self,
        lease: Lease,
        pingback: &Quarantined,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        let args = [
            pingback.id().to_string(),
            pingback.query().to_owned(),
            pingback.client().to_string(),
            pingback.error().to_owned(),
            unix_millis(pingback.last_seen()).to_string(),
        ];
        async move { self.on_lease(&QUARANTINE, lease, true, &args).await }
    }

    async fn quarantined(&self) -> Result<Vec<Quarantined>, LedgerError> {
        let mut conn = self.conn.clone();
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.quarantine_index())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let ids: Vec<UniqueRef> = ids.iter().filter_map(|id| id.parse().ok()).collect();
        if ids.is_empty() {
            // An empty pipeline is refused by the client ("empty command").
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.cmd("HGETALL").arg(self.quarantine_key(id));
        }
        let hashes: Vec<HashMap<String, String>> =
            pipe.query_async(&mut conn).await.map_err(unavailable)?;
        let mut all: Vec<Quarantined> = ids
            .into_iter()
            .zip(hashes)
            .filter_map(|(id, mut hash)| {
                let millis = |value: Option<&String>| {
                    from_unix_millis(value.and_then(|v| v.parse().ok()).unwrap_or(0))
                };
                let seen = (millis(hash.get("first")), millis(hash.get("last")));
                let attempts = hash.get("attempts").and_then(|v| v.parse().ok())?;
                let client = hash.remove("client")?;
                Some(quarantined_row(
                    id,
                    hash.remove("query")?,
                    &client,
                    hash.remove("error").unwrap_or_default(),
                    seen,
                    attempts,
                ))
            })
            .collect();
        all.sort_by_key(|entry| (entry.first_seen(), entry.id().to_string()));
        Ok(all)
    }
}

/// Refuses a server whose persistence can lose an acknowledged write.
async fn check_persistence(conn: &mut ConnectionManager) -> Result<(), LedgerError> {
    let fix = "set `appendonly yes` and `appendfsync always` in redis.conf (or `CONFIG SET \
               appendonly yes` and `CONFIG SET appendfsync always`, then `CONFIG REWRITE`), or \
               open the ledger with `LedgerOptions::accept_redis_data_loss()` to accept that a \
               restart may deliver pingbacks a second time";
    let setting = |name: &'static str| {
        let mut conn = conn.clone();
        async move {
            let found: HashMap<String, String> = redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query_async(&mut conn)
                .await
                .map_err(|error| {
                    LedgerError::Config(format!(
                        "cannot read the Redis server's `{name}` setting (CONFIG GET {name}: \
                         {error}), so pw cannot tell whether it keeps acknowledged writes; {fix}"
                    ))
                })?;
            Ok::<_, LedgerError>(found.get(name).cloned().unwrap_or_default())
        }
    };
    let appendonly = setting("appendonly").await?;
    let appendfsync = setting("appendfsync").await?;
    if appendonly == "yes" && appendfsync == "always" {
        return Ok(());
    }
    Err(LedgerError::Config(format!(
        "the Redis server can lose acknowledged writes (appendonly {appendonly}, appendfsync \
         {appendfsync}): after a crash or restart the ledger would forget pingbacks it \
         answered OK, and deliver them again; {fix}"
    )))
}
