//! The flow of the server SQL ledgers (PostgreSQL, MySQL / MariaDB), once
//! for both: a [`Server`] says how to run a statement on its database, the
//! [`Statements`] say what to run.
//!
//! - claim: take the claim row (`<prefix>claims`; the types of a `ref`
//!   that move money share one, so they take turns) when there is none or
//!   it expired, then read back whose claim it is and whether the pingback
//!   is done, in one statement each (the read must come after the take: a
//!   completion the take waited for committed after the take's statement
//!   began, and only a later statement sees its record), outside any
//!   transaction, on one pooled connection;
//! - complete: in one transaction, the handler's writes (begun when the
//!   handler asked for the connection), the removal of the claim (checked
//!   against the token: a stale lease changes nothing), the ledger row
//!   (on PostgreSQL with the removal of a quarantine entry in one
//!   statement, which runs alone in autocommit when the handler wrote
//!   nothing through the lease); one durable commit. The claim row stays
//!   locked until that commit, so a concurrent claim of the same pingback
//!   waits for it and then finds the record;
//! - release: roll the handler's writes back, remove the claim.
//!
//! A statement that may safely run more than once runs again when it
//! found its pooled connection dead (`reconnect.rs`); why each may is said
//! where it runs. Each call of the ledger, retries included, ends within
//! the response timeout ([`LedgerOptions::response_timeout`]): a
//! connection that went silent fails the call as unavailable instead of
//! holding the pingback until TCP gives up. Dropped then, the call's
//! futures leave nothing half done: a transaction is rolled back (or its
//! commit reached the server, and the retry finds the record), a claim
//! expires with its lease, and the pool replaces the connection.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Pool, Transaction};

use super::reconnect::{again_if_lost, connection_lost, lost, runs};
use super::record;
use super::statements::{Statements, MONEY_SLOT};
use crate::deadline::Deadline;
use crate::kinds::UniqueRef;
use crate::ledger::clock::{from_unix_millis, unix_millis};
use crate::ledger::record::moves_money;
use crate::ledger::rows::{kind_of, quarantined_row};
use crate::ledger::{Claim, Lease, Ledger, LedgerError, LedgerOptions, PaymentRecord, Quarantined};
use crate::params::Params;

/// A statement's argument.
#[derive(Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// Where a statement runs: on the pool (a connection of its own, in
/// autocommit), on a connection taken from the pool for several
/// statements in a row (in autocommit), or in a lease's transaction.
pub(crate) enum On<'a, DB: sqlx::Database> {
    Pool(&'a Pool<DB>),
    Conn(&'a mut PoolConnection<DB>),
    Tx(&'a mut Transaction<'static, DB>),
}

/// A completed payment's row: `(kind, params, delivered_at millis)`.
pub(crate) type RecordRow = (i64, Option<String>, Option<i64>);

/// A quarantine row: `(reference, kind, query, client, error, first_seen,
/// last_seen, attempts)`, times in milliseconds.
pub(crate) type QuarantineRow = (String, i64, String, String, String, i64, i64, i64);

/// A server database: how to run the ledger's few kinds of statement on
/// it. Implemented for PostgreSQL and MySQL by `server_database!`.
pub(crate) trait Server: Send + Sync + 'static {
    type Db: sqlx::Database;
    /// The name of the ledger (`postgres`, `mysql`), as [`Lease::backend`]
    /// gives it.
    const BACKEND: &'static str;

    /// Runs `sql`; the number of rows it changed.
    fn execute<'a>(
        on: On<'a, Self::Db>,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'a;

    /// Runs `sql`, which returns at most one row of a text and a count.
    fn fetch_text_count<'a>(
        on: On<'a, Self::Db>,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Option<(Option<String>, i64)>, sqlx::Error>> + Send + 'a;

    /// Runs `sql`, which returns quarantine rows.
    fn fetch_quarantined<'a>(
        pool: &'a Pool<Self::Db>,
        sql: &'a str,
    ) -> impl Future<Output = Result<Vec<QuarantineRow>, sqlx::Error>> + Send + 'a;

    /// Runs `sql`, which returns at most one `(kind, params, delivered_at)`.
    fn fetch_record<'a>(
        pool: &'a Pool<Self::Db>,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Option<RecordRow>, sqlx::Error>> + Send + 'a;
}

/// `$query` with each of `$args` (a `Vec<Arg>`) bound in turn.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::ledger::sql::server::Arg::Text(text) => query.bind(text),
                $crate::ledger::sql::server::Arg::Int(int) => query.bind(int),
            };
        }
        query
    }};
}
pub(crate) use bind_args;

/// Implements [`Server`] for `$server` on the sqlx database `$db`.
///
/// What runs on the pool (a statement, `acquire`, `begin`) is awaited
/// boxed: sqlx 0.9's future of a pool checkout takes about 8.6 KB (0.8.6:
/// 1.1 KB), and held inline it made every future awaiting a ledger call
/// as large, held per request in flight and copied whole when moved. With
/// the listener's own fix (`Listener::traced`), the PostgreSQL
/// quickstart's request future is 3,152 bytes, against 22,976 (sqlx 0.8.6:
/// 7,968), for one allocation a checkout; pingbacks/s measured the same
/// within the noise.
///
/// The statements are [`Statements`](super::statements::Statements): the
/// only text in them besides the SQL is table and schema names checked by
/// `sql_name` (letters, digits and `_`), hence `AssertSqlSafe`.
macro_rules! server_database {
    ($server:ty, $db:ty, $backend:literal) => {
        impl $crate::ledger::sql::server::Server for $server {
            type Db = $db;
            const BACKEND: &'static str = $backend;

            fn execute<'a>(
                on: $crate::ledger::sql::server::On<'a, $db>,
                sql: &'a str,
                args: Vec<$crate::ledger::sql::server::Arg>,
            ) -> impl std::future::Future<Output = Result<u64, sqlx::Error>> + Send + 'a {
                use sqlx::Executor as _;
                async move {
                    let query = $crate::ledger::sql::server::bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), args);
                    let done = match on {
                        $crate::ledger::sql::server::On::Pool(pool) => Box::pin(pool.execute(query)).await?,
                        $crate::ledger::sql::server::On::Conn(conn) => (&mut **conn).execute(query).await?,
                        $crate::ledger::sql::server::On::Tx(tx) => (&mut **tx).execute(query).await?,
                    };
                    Ok(done.rows_affected())
                }
            }

            fn fetch_text_count<'a>(
                on: $crate::ledger::sql::server::On<'a, $db>,
                sql: &'a str,
                args: Vec<$crate::ledger::sql::server::Arg>,
            ) -> impl std::future::Future<
                Output = Result<Option<(Option<String>, i64)>, sqlx::Error>,
            > + Send
                   + 'a {
                async move {
                    let query = $crate::ledger::sql::server::bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), args);
                    match on {
                        $crate::ledger::sql::server::On::Pool(pool) => Box::pin(query.fetch_optional(pool)).await,
                        $crate::ledger::sql::server::On::Conn(conn) => query.fetch_optional(&mut **conn).await,
                        $crate::ledger::sql::server::On::Tx(tx) => query.fetch_optional(&mut **tx).await,
                    }
                }
            }

            fn fetch_quarantined<'a>(
                pool: &'a sqlx::Pool<$db>,
                sql: &'a str,
            ) -> impl std::future::Future<
                Output = Result<Vec<$crate::ledger::sql::server::QuarantineRow>, sqlx::Error>,
            > + Send
                   + 'a {
                async move { Box::pin(sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool)).await }
            }

            fn fetch_record<'a>(
                pool: &'a sqlx::Pool<$db>,
                sql: &'a str,
                args: Vec<$crate::ledger::sql::server::Arg>,
            ) -> impl std::future::Future<
                Output = Result<Option<$crate::ledger::sql::server::RecordRow>, sqlx::Error>,
            > + Send
                   + 'a {
                async move {
                    let query = $crate::ledger::sql::server::bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), args);
                    Box::pin(query.fetch_optional(pool)).await
                }
            }
        }
    };
}
pub(crate) use server_database;

/// What a server lease holds: the pool and, once the handler asked for it,
/// the lease's transaction (in a `Mutex` only so that a lease is `Sync`;
/// reached through `&mut`, never locked).
pub(crate) struct ServerLease<S: Server> {
    pool: Pool<S::Db>,
    response_timeout: Duration,
    tx: Mutex<Option<Transaction<'static, S::Db>>>,
    server: PhantomData<fn() -> S>,
}

impl<S: Server> ServerLease<S> {
    fn take_tx(&mut self) -> Option<Transaction<'static, S::Db>> {
        self.tx
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

/// The lease's transaction, begun on the first call: for `Lease::postgres`
/// and `Lease::mysql`.
pub(crate) async fn lease_transaction<S: Server>(
    lease: &mut Lease,
) -> Result<&mut <S::Db as sqlx::Database>::Connection, LedgerError> {
    lease.expect_backend(S::BACKEND)?;
    let stale = lease.stale();
    let ServerLease {
        pool,
        response_timeout,
        tx,
        ..
    } = lease.state_mut::<ServerLease<S>>().ok_or(stale)?;
    let slot = tx
        .get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if slot.is_none() {
        *slot = Some(in_time::<S, _>(*response_timeout, begin::<S>(pool)).await?);
    }
    match slot {
        Some(tx) => Ok(&mut **tx),
        None => Err(LedgerError::unavailable(S::BACKEND, "no transaction")),
    }
}

/// A transaction begun on `pool`. A BEGIN that found its connection dead
/// runs again: whether or not it reached the server, its transaction
/// ended with that connection, and nothing was written in it.
async fn begin<S: Server>(pool: &Pool<S::Db>) -> Result<Transaction<'static, S::Db>, LedgerError> {
    again_if_lost(pool, || Box::pin(pool.begin()))
        .await
        .map_err(unavailable::<S>)
}

fn unavailable<S: Server>(err: sqlx::Error) -> LedgerError {
    LedgerError::unavailable(S::BACKEND, err)
}

/// `call`, or [`LedgerError::Unavailable`] once `limit` has passed (the
/// call is dropped then).
async fn in_time<S: Server, T>(
    limit: Duration,
    call: impl Future<Output = Result<T, LedgerError>>,
) -> Result<T, LedgerError> {
    match Deadline::new(limit, call).await {
        Ok(result) => result,
        Err(limit) => Err(LedgerError::unavailable(
            S::BACKEND,
            format_args!(
                "no answer from the server within {} ms (the response timeout)",
                limit.as_millis()
            ),
        )),
    }
}

/// A server SQL ledger: its pool, its statements, its lease.
pub(crate) struct ServerLedger<S: Server> {
    pub(crate) pool: Pool<S::Db>,
    pub(crate) statements: Arc<Statements>,
    pub(crate) lease: Duration,
    lease_millis: i64,
    response_timeout: Duration,
}

impl<S: Server> Clone for ServerLedger<S> {
    fn clone(&self) -> Self {
        ServerLedger {
            pool: self.pool.clone(),
            statements: Arc::clone(&self.statements),
            lease: self.lease,
            lease_millis: self.lease_millis,
            response_timeout: self.response_timeout,
        }
    }
}

impl<S: Server> ServerLedger<S> {
    pub(crate) fn new(pool: Pool<S::Db>, statements: Statements, options: &LedgerOptions) -> Self {
        ServerLedger {
            pool,
            statements: Arc::new(statements),
            lease: options.lease,
            lease_millis: options.lease_millis(),
            response_timeout: options.response_timeout,
        }
    }

    /// `call` within the response timeout.
    async fn in_time<T>(
        &self,
        call: impl Future<Output = Result<T, LedgerError>>,
    ) -> Result<T, LedgerError> {
        in_time::<S, T>(self.response_timeout, call).await
    }

    /// A connection of the pool, for a claim's statements (awaited boxed,
    /// as everything on the pool: see `server_database`).
    async fn checkout(&self) -> Result<PoolConnection<S::Db>, LedgerError> {
        Box::pin(self.pool.acquire())
            .await
            .map_err(unavailable::<S>)
    }

    /// The arguments that name a pingback's rows in the ledger and the
    /// quarantine: `(reference, kind)`.
    fn key(id: &UniqueRef) -> Vec<Arg> {
        vec![
            Arg::Text(id.reference.clone()),
            Arg::Int(i64::from(id.kind.code())),
        ]
    }

    /// The arguments that name a pingback's claim, held by `token`:
    /// `(reference, slot, token)`.
    fn claim_key(id: &UniqueRef, token: &str) -> Vec<Arg> {
        vec![
            Arg::Text(id.reference.clone()),
            Arg::Int(slot(id)),
            Arg::Text(token.to_owned()),
        ]
    }

    async fn lookup(
        &self,
        sql: &str,
        reference: String,
    ) -> Result<Option<PaymentRecord>, LedgerError> {
        // A read: it may run again when its connection was lost.
        let row = again_if_lost(&self.pool, || {
            S::fetch_record(&self.pool, sql, vec![Arg::Text(reference.clone())])
        })
        .await
        .map_err(unavailable::<S>)?;
        Ok(row.map(|(kind, query, at)| record(&reference, kind, query, at)))
    }

    /// `complete` where the dialect has one statement for the claim's
    /// removal and the record (PostgreSQL): in the handler's transaction
    /// if it holds one (then the commit), else alone in autocommit, which
    /// is atomic and one round trip. A stale lease changes nothing: the
    /// statement writes the record only if it removed the claim.
    async fn complete_at_once(
        &self,
        held: Option<Transaction<'static, S::Db>>,
        lease: &Lease,
        query: String,
    ) -> Result<(), LedgerError> {
        let mut args = Self::key(lease.id());
        args.extend([
            Arg::Text(query),
            Arg::Int(slot(lease.id())),
            Arg::Text(lease.token().to_owned()),
        ]);
        let sql = &self.statements.complete_claim;
        let dropped = |done: Option<(Option<String>, i64)>| done.is_some_and(|(_, n)| n == 1);
        match held {
            Some(mut tx) => {
                let done = S::fetch_text_count(On::Tx(&mut tx), sql, args)
                    .await
                    .map_err(unavailable::<S>)?;
                commit_if_dropped::<S>(tx, dropped(done), lease).await
            }
            None => {
                // Alone in autocommit, the statement may run again when
                // its connection was lost: it writes the record only if it
                // removed this lease's claim, so no two runs record twice.
                // When a run never reached the server (its connection died
                // while idle), the next records the delivery. When one
                // committed and only its answer was lost, the next finds
                // no claim and the lease is reported stale: the pingback
                // is answered non-OK, as it would be with the lost run's
                // error, and Paymentwall's retry finds the record and is
                // acknowledged without a second delivery. A run still
                // going on the server holds the claim's row: the next
                // waits for it, then finds the claim removed (committed)
                // or still there (rolled back).
                let done = again_if_lost(&self.pool, || {
                    S::fetch_text_count(On::Pool(&self.pool), sql, args.clone())
                })
                .await
                .map_err(unavailable::<S>)?;
                if dropped(done) {
                    Ok(())
                } else {
                    Err(lease.stale())
                }
            }
        }
    }

    /// `complete` statement by statement (MySQL), in the handler's
    /// transaction or one begun for it: the record, the removal from the
    /// quarantine, the removal of the claim; rolled back when the claim
    /// was not the lease's any more.
    async fn complete_in_turn(
        &self,
        held: Option<Transaction<'static, S::Db>>,
        lease: &Lease,
        query: String,
    ) -> Result<(), LedgerError> {
        let st = &self.statements;
        let mut tx = match held {
            Some(tx) => tx,
            None => begin::<S>(&self.pool).await?,
        };
        let mut record = Self::key(lease.id());
        record.push(Arg::Text(query));
        S::execute(On::Tx(&mut tx), &st.record_done, record)
            .await
            .map_err(unavailable::<S>)?;
        S::execute(On::Tx(&mut tx), &st.unquarantine, Self::key(lease.id()))
            .await
            .map_err(unavailable::<S>)?;
        let dropped = self.drop_claim(On::Tx(&mut tx), lease).await?;
        commit_if_dropped::<S>(tx, dropped, lease).await
    }

    /// One round of a claim for `token` on `conn`: take the claim if
    /// there is none or it expired, then read back whose it is and whether
    /// the pingback is done (and remove the claim if it is this token's and
    /// the pingback done).
    async fn claim_round(
        &self,
        conn: &mut PoolConnection<S::Db>,
        id: &UniqueRef,
        token: &str,
    ) -> Result<Round, sqlx::Error> {
        let st = &self.statements;
        let mut take = Self::claim_key(id, token);
        take.push(Arg::Int(self.lease_millis));
        match S::execute(On::Conn(conn), &st.take_claim, take).await {
            Ok(_) => {}
            Err(err) if retryable(&err) => return Ok(Round::Deadlocked),
            Err(err) => return Err(err),
        }
        let mut args = vec![Arg::Text(id.reference.clone()), Arg::Int(slot(id))];
        if st.positional {
            args.push(Arg::Text(id.reference.clone()));
        }
        args.push(Arg::Int(i64::from(id.kind.code())));
        let state = S::fetch_text_count(On::Conn(conn), &st.claim_state, args).await?;
        let (holder, done) = state.unwrap_or((None, 0));
        let ours = holder.as_deref() == Some(token);
        if done > 0 {
            if ours {
                S::execute(On::Conn(conn), &st.drop_claim, Self::claim_key(id, token)).await?;
            }
            return Ok(Round::Done);
        }
        Ok(match holder {
            Some(_) if ours => Round::Ours,
            // This pingback, or another type of its `ref` that moves
            // money, is in progress.
            Some(_) => Round::Held,
            None => Round::Vanished,
        })
    }

    /// Removes the claim of `lease` if it is still the lease's and
    /// unexpired; whether it was.
    async fn drop_claim(&self, on: On<'_, S::Db>, lease: &Lease) -> Result<bool, LedgerError> {
        let args = Self::claim_key(lease.id(), lease.token());
        let dropped = S::execute(on, &self.statements.drop_claim, args)
            .await
            .map_err(unavailable::<S>)?;
        Ok(dropped == 1)
    }
}

/// What one round of a claim found.
enum Round {
    /// The take was rolled back as a deadlock victim: try again.
    Deadlocked,
    /// The claim is the round's token's: a fresh lease.
    Ours,
    /// The pingback is done.
    Done,
    /// Another lease holds the claim.
    Held,
    /// No claim: released between the take and the read-back.
    Vanished,
}

/// The transaction `lease` holds (the handler's writes), taken out of it;
/// an error for a lease of another ledger.
fn held_transaction<S: Server>(
    lease: &mut Lease,
) -> Result<Option<Transaction<'static, S::Db>>, LedgerError> {
    lease.expect_backend(S::BACKEND)?;
    Ok(lease
        .take_state::<ServerLease<S>>()
        .and_then(|mut state| state.take_tx()))
}

/// Commits `tx` when it removed the claim of `lease`; otherwise the lease
/// was stale: rolls it back, writes and all, and says so.
async fn commit_if_dropped<S: Server>(
    tx: Transaction<'static, S::Db>,
    dropped: bool,
    lease: &Lease,
) -> Result<(), LedgerError> {
    if dropped {
        tx.commit().await.map_err(unavailable::<S>)
    } else {
        tx.rollback().await.map_err(unavailable::<S>)?;
        Err(lease.stale())
    }
}

/// Rolls back the handler's writes that `lease` holds, if any.
async fn roll_back_held<S: Server>(lease: &mut Lease) -> Result<(), LedgerError> {
    if let Some(tx) = held_transaction::<S>(lease)? {
        tx.rollback().await.map_err(unavailable::<S>)?;
    }
    Ok(())
}

/// The ledger protocol on a server database: what `PostgresLedger` and
/// `MySqlLedger` are.
impl<S: Server> Ledger for ServerLedger<S> {
    async fn claim(&self, id: &UniqueRef) -> Result<Claim, LedgerError> {
        self.in_time(async {
            // The statements run in turn on one connection: a pool that tests
            // each connection it hands out (MySQL's, a merchant's own) pays
            // that round trip once a claim.
            let mut conn = self.checkout().await?;
            let mut runs_left = runs(&self.pool);
            // A claim that vanishes between the two statements (released) is
            // tried again; a few rounds settle any race. A take the server
            // rolled back as a deadlock victim is tried again after a short,
            // growing, jittered pause.
            for round in 0..CLAIM_ROUNDS {
                let lease = Lease::new(id.clone(), S::BACKEND, self.lease);
                let mut outcome = self.claim_round(&mut conn, id, lease.token()).await;
                // A round whose connection was lost runs again, whole and with
                // the same token, on another connection (the lost one is
                // dropped, and the pool closes it), as `again_if_lost` runs a
                // statement: the take changes nothing when the claim is
                // already this token's (it takes only a missing or expired
                // one), the read-back only reads, and the removal of a claim
                // found done removes only this token's.
                while let Err(err) = &outcome {
                    runs_left = runs_left.saturating_sub(1);
                    if !connection_lost(err) || runs_left == 0 {
                        break;
                    }
                    lost(err);
                    conn = self.checkout().await?;
                    outcome = self.claim_round(&mut conn, id, lease.token()).await;
                }
                match outcome.map_err(unavailable::<S>)? {
                    Round::Deadlocked => {
                        crate::timer::Sleep::after(deadlock_pause(round)).await;
                    }
                    Round::Ours => {
                        return Ok(Claim::Fresh(lease.with_state(ServerLease::<S> {
                            pool: self.pool.clone(),
                            response_timeout: self.response_timeout,
                            tx: Mutex::new(None),
                            server: PhantomData,
                        })))
                    }
                    Round::Done => return Ok(Claim::AlreadyDone),
                    Round::Held => return Ok(Claim::InProgress),
                    Round::Vanished => {}
                }
            }
            Ok(Claim::InProgress)
        })
        .await
    }

    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        let query = params.to_query_string();
        self.in_time(async move {
            let mut lease = lease;
            let held = held_transaction::<S>(&mut lease)?;
            if self.statements.complete_claim.is_empty() {
                self.complete_in_turn(held, &lease, query).await
            } else {
                self.complete_at_once(held, &lease, query).await
            }
        })
    }

    async fn release(&self, lease: Lease) -> Result<(), LedgerError> {
        self.in_time(async move {
            let mut lease = lease;
            roll_back_held::<S>(&mut lease).await?;
            if self.drop_claim(On::Pool(&self.pool), &lease).await? {
                Ok(())
            } else {
                Err(lease.stale())
            }
        })
        .await
    }

    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        self.in_time(self.lookup(&self.statements.lookup, reference.to_owned()))
    }

    fn reversal(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        self.in_time(self.lookup(&self.statements.lookup_reversal, reference.to_owned()))
    }

    fn renew(
        &self,
        id: &UniqueRef,
        token: &str,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        let (id, token) = (id.clone(), token.to_owned());
        self.in_time(async move {
            let st = &self.statements;
            let mut args = Self::claim_key(&id, &token);
            args.push(Arg::Int(self.lease_millis));
            if st.positional {
                // Positional placeholders: the lease first.
                args.rotate_right(1);
            }
            let renewed = S::execute(On::Pool(&self.pool), &st.renew_claim, args)
                .await
                .map_err(unavailable::<S>)?;
            if renewed == 1 {
                Ok(())
            } else {
                Err(LedgerError::StaleLease { id })
            }
        })
    }

    fn quarantine(
        &self,
        lease: Lease,
        pingback: &Quarantined,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        let pingback = QuarantineArgs::of(pingback);
        self.in_time(async move {
            let mut lease = lease;
            roll_back_held::<S>(&mut lease).await?;
            let st = &self.statements;
            let id = lease.id().clone();
            let mut tx = begin::<S>(&self.pool).await?;
            if !self.drop_claim(On::Tx(&mut tx), &lease).await? {
                tx.rollback().await.map_err(unavailable::<S>)?;
                return Err(lease.stale());
            }
            let mut args = Self::key(&id);
            args.extend([
                Arg::Text(pingback.query),
                Arg::Text(pingback.client),
                Arg::Text(pingback.error),
                Arg::Int(pingback.seen),
            ]);
            if st.positional {
                // Positional placeholders: first and last seen.
                args.push(Arg::Int(pingback.seen));
            }
            S::execute(On::Tx(&mut tx), &st.quarantine, args)
                .await
                .map_err(unavailable::<S>)?;
            tx.commit().await.map_err(unavailable::<S>)
        })
    }

    async fn quarantined(&self) -> Result<Vec<Quarantined>, LedgerError> {
        let rows = self
            .in_time(async {
                S::fetch_quarantined(&self.pool, &self.statements.quarantined)
                    .await
                    .map_err(unavailable::<S>)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(reference, kind, query, client, error, first, last, attempts)| {
                    quarantined_row(
                        UniqueRef::new(reference, kind_of(kind)),
                        query,
                        &client,
                        error,
                        (from_unix_millis(first), from_unix_millis(last)),
                        attempts,
                    )
                },
            )
            .collect())
    }
}

/// The public face of a server ledger, `$face { engine: ServerLedger<_> }`:
/// its `Debug` (the table and the lease, nothing of the connection) and
/// its [`Ledger`] impl, which hands every call to the engine.
macro_rules! server_ledger_face {
    ($face:ident) => {
        impl std::fmt::Debug for $face {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($face))
                    .field("table", &self.engine.statements.ledger)
                    .field("lease", &self.engine.lease)
                    .finish_non_exhaustive()
            }
        }

        $crate::ledger::protocol::forward_ledger! {
            /// The ledger protocol of the server engine.
            impl[] $face, |this| &this.engine;
        }
    };
}
pub(crate) use server_ledger_face;

/// A quarantine entry as its row is written.
pub(crate) struct QuarantineArgs {
    query: String,
    client: String,
    error: String,
    seen: i64,
}

impl QuarantineArgs {
    pub(crate) fn of(pingback: &Quarantined) -> Self {
        QuarantineArgs {
            query: pingback.query().to_owned(),
            client: pingback.client().to_string(),
            error: pingback.error().to_owned(),
            seen: unix_millis(pingback.last_seen()),
        }
    }
}

/// The claim slot of `id`: its type's code, or [`MONEY_SLOT`] for the
/// types that move money, which take turns on one slot per `ref`.
fn slot(id: &UniqueRef) -> i64 {
    if moves_money(id.kind) {
        MONEY_SLOT
    } else {
        i64::from(id.kind.code())
    }
}

/// How many rounds a claim takes before it answers `InProgress` (503, so
/// Paymentwall retries later); with [`deadlock_pause`], about half a second
/// of deadlocks at most.
const CLAIM_ROUNDS: u32 = 24;

/// The pause before claim round `round + 1` after a deadlock: up to
/// `round + 1` milliseconds, picked at random so that the two transactions
/// of a deadlock do not meet again at once.
fn deadlock_pause(round: u32) -> Duration {
    use std::hash::{BuildHasher, RandomState};
    let spread = u64::from(round) + 1;
    let jitter = RandomState::new().hash_one(round) % (spread * 1000);
    Duration::from_micros(jitter + 200)
}

/// A deadlock or a serialization failure: the statement may simply be
/// tried again (InnoDB can report a deadlock between concurrent upserts of
/// one key, as when several instances claim the same pingback).
fn retryable(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01")))
}
