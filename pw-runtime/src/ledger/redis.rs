//! The Redis ledger: shared by several listener instances.

use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::{
    from_unix_millis, unix_millis, Claim, Lease, Ledger, LedgerError, LedgerOptions, PaymentRecord,
    PAYMENT_KINDS,
};
use crate::{Params, UniqueRef};

const BACKEND: &str = "redis";

fn unavailable(err: redis::RedisError) -> LedgerError {
    LedgerError::unavailable(BACKEND, err)
}

/// A claim in progress is `p:<token>` with the lease as its expiry; a
/// completed pingback is `d:<unix millis>:<query string>` without expiry.
const IN_PROGRESS: &str = "p:";
const DONE: &str = "d:";

/// KEYS[1]: the key; ARGV[1]: the in-progress value; ARGV[2]: the lease in
/// milliseconds. Returns 1 fresh, 2 done, 3 in progress.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if string.sub(value, 1, 2) == 'd:' then
  return 2
end
return 3
",
    )
});

/// KEYS[1]: the key; ARGV[1]: the lease's in-progress value; ARGV[2]: the
/// done value. Returns 1 when completed, 0 when the lease is stale.
static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
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

/// A ledger in Redis, shared by any number of listener instances: one key
/// per pingback, `<prefix>ledger:<ref>_<type>`, claimed and completed by Lua
/// scripts so that every step is atomic and token-checked. A claim expires
/// with the key (`PX`); a completed record has no expiry.
///
/// Durability is Redis's: for "recorded before `OK`", run Redis with
/// `appendonly yes` and `appendfsync always`. The handler's own writes cannot
/// share a transaction with this ledger; make them idempotent on `ref`, or
/// use a SQL ledger.
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

impl RedisLedger {
    /// Connects to the Redis server at `url` (`redis://host:6379/0`,
    /// `rediss://` for TLS if the `redis` crate has it enabled).
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] for an invalid URL or an unreachable server.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{LedgerOptions, RedisLedger};
    /// # async fn run() -> Result<(), pw_runtime::ledger::LedgerError> {
    /// let ledger = RedisLedger::connect("redis://127.0.0.1:6379", LedgerOptions::new()).await?;
    /// # let _ = ledger; Ok(()) }
    /// ```
    pub async fn connect(url: &str, options: LedgerOptions) -> Result<Self, LedgerError> {
        let client = Client::open(url).map_err(unavailable)?;
        Self::from_client(client, options).await
    }

    /// A ledger on `client`'s server: one multiplexed connection that
    /// reconnects by itself, 5-second connection and 10-second response
    /// timeouts.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] when the server cannot be reached.
    ///
    /// ```no_run
    /// use pw_runtime::ledger::{redis_client::Client, LedgerOptions, RedisLedger};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::open("redis://127.0.0.1:6379")?;
    /// let ledger = RedisLedger::from_client(client, LedgerOptions::new()).await?;
    /// # let _ = ledger; Ok(()) }
    /// ```
    pub async fn from_client(client: Client, options: LedgerOptions) -> Result<Self, LedgerError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(5))
            .set_response_timeout(Duration::from_secs(10))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(unavailable)?;
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

    /// Runs a token-checked script on the lease's key: 1 when it applied.
    async fn on_lease(
        &self,
        script: &Script,
        lease: Lease,
        done: Option<String>,
    ) -> Result<(), LedgerError> {
        lease.expect_backend(BACKEND)?;
        let mut invocation = script.prepare_invoke();
        invocation
            .key(self.key(lease.id()))
            .arg(format!("{IN_PROGRESS}{}", lease.token()));
        if let Some(done) = done {
            invocation.arg(done);
        }
        let applied: i64 = invocation
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if applied == 1 {
            Ok(())
        } else {
            Err(lease.stale())
        }
    }
}

impl Ledger for RedisLedger {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        let key = self.key(id);
        let id = id.clone();
        async move {
            let lease = Lease::new(id, BACKEND, self.lease);
            let outcome: i64 = CLAIM
                .key(key)
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
        let done = format!("{DONE}{now}:{}", params.to_query_string());
        self.on_lease(&COMPLETE, lease, Some(done))
    }

    fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
        self.on_lease(&RELEASE, lease, None)
    }

    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        let ids = PAYMENT_KINDS.map(|kind| UniqueRef::new(reference, kind));
        let keys: Vec<String> = ids.iter().map(|id| self.key(id)).collect();
        async move {
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
}
