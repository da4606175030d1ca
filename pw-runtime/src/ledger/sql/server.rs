//! The flow of the server SQL ledgers (PostgreSQL, MySQL / MariaDB), once
//! for both: a [`Server`] says how to run a statement on its database, the
//! [`Statements`] say what to run.
//!
//! - claim: take the claim row (`<prefix>claims`) when there is none or
//!   it expired, then read back whose claim it is and whether the pingback
//!   is done, in one statement each, outside any transaction;
//! - complete: in one transaction, the handler's writes (begun when the
//!   handler asked for the connection), the removal of the claim (checked
//!   against the token: a stale lease changes nothing), the ledger row;
//!   one durable commit. The claim row stays locked until that commit, so
//!   a concurrent claim of the same pingback waits for it and then finds
//!   the record;
//! - release: roll the handler's writes back, remove the claim.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::{Pool, Transaction};

use super::record;
use super::statements::Statements;
use crate::ledger::{Claim, Lease, LedgerError, LedgerOptions, PaymentRecord};
use crate::UniqueRef;

/// A statement's argument.
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// Where a statement runs: on the pool (a connection of its own, in
/// autocommit) or in a lease's transaction.
pub(crate) enum On<'a, DB: sqlx::Database> {
    Pool(&'a Pool<DB>),
    Tx(&'a mut Transaction<'static, DB>),
}

/// A completed payment's row: `(kind, params, delivered_at millis)`.
pub(crate) type RecordRow = (i64, Option<String>, Option<i64>);

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
        pool: &'a Pool<Self::Db>,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Option<(Option<String>, i64)>, sqlx::Error>> + Send + 'a;

    /// Runs `sql`, which returns at most one `(kind, params, delivered_at)`.
    fn fetch_record<'a>(
        pool: &'a Pool<Self::Db>,
        sql: &'a str,
        args: Vec<Arg>,
    ) -> impl Future<Output = Result<Option<RecordRow>, sqlx::Error>> + Send + 'a;
}

/// Implements [`Server`] for `$server` on the sqlx database `$db`.
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
                    let mut query = sqlx::query(sql);
                    for arg in args {
                        query = match arg {
                            $crate::ledger::sql::server::Arg::Text(text) => query.bind(text),
                            $crate::ledger::sql::server::Arg::Int(int) => query.bind(int),
                        };
                    }
                    let done = match on {
                        $crate::ledger::sql::server::On::Pool(pool) => pool.execute(query).await?,
                        $crate::ledger::sql::server::On::Tx(tx) => (&mut **tx).execute(query).await?,
                    };
                    Ok(done.rows_affected())
                }
            }

            fn fetch_text_count<'a>(
                pool: &'a sqlx::Pool<$db>,
                sql: &'a str,
                args: Vec<$crate::ledger::sql::server::Arg>,
            ) -> impl std::future::Future<
                Output = Result<Option<(Option<String>, i64)>, sqlx::Error>,
            > + Send
                   + 'a {
                async move {
                    let mut query = sqlx::query_as(sql);
                    for arg in args {
                        query = match arg {
                            $crate::ledger::sql::server::Arg::Text(text) => query.bind(text),
                            $crate::ledger::sql::server::Arg::Int(int) => query.bind(int),
                        };
                    }
                    query.fetch_optional(pool).await
                }
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
                    let mut query = sqlx::query_as(sql);
                    for arg in args {
                        query = match arg {
                            $crate::ledger::sql::server::Arg::Text(text) => query.bind(text),
                            $crate::ledger::sql::server::Arg::Int(int) => query.bind(int),
                        };
                    }
                    query.fetch_optional(pool).await
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
    let ServerLease { pool, tx, .. } = lease.state_mut::<ServerLease<S>>().ok_or(stale)?;
    let slot = tx
        .get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if slot.is_none() {
        *slot = Some(pool.begin().await.map_err(unavailable::<S>)?);
    }
    match slot {
        Some(tx) => Ok(&mut **tx),
        None => Err(LedgerError::unavailable(S::BACKEND, "no transaction")),
    }
}

fn unavailable<S: Server>(err: sqlx::Error) -> LedgerError {
    LedgerError::unavailable(S::BACKEND, err)
}

/// A server SQL ledger: its pool, its statements, its lease.
pub(crate) struct ServerLedger<S: Server> {
    pub(crate) pool: Pool<S::Db>,
    pub(crate) statements: Arc<Statements>,
    lease: Duration,
    lease_millis: i64,
}

impl<S: Server> Clone for ServerLedger<S> {
    fn clone(&self) -> Self {
        ServerLedger {
            pool: self.pool.clone(),
            statements: Arc::clone(&self.statements),
            lease: self.lease,
            lease_millis: self.lease_millis,
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
        }
    }

    fn key(id: &UniqueRef) -> Vec<Arg> {
        vec![
            Arg::Text(id.reference.clone()),
            Arg::Int(i64::from(id.kind.code())),
        ]
    }

    fn key_token(id: &UniqueRef, token: &str) -> Vec<Arg> {
        let mut args = Self::key(id);
        args.push(Arg::Text(token.to_owned()));
        args
    }

    pub(crate) async fn claim(&self, id: &UniqueRef) -> Result<Claim, LedgerError> {
        let st = &self.statements;
        // A claim that vanishes between the two statements (released) is
        // tried again; a few rounds settle any race.
        for _ in 0..8 {
            let lease = Lease::new(id.clone(), S::BACKEND, self.lease);
            let mut take = Self::key_token(id, lease.token());
            take.push(Arg::Int(self.lease_millis));
            match S::execute(On::Pool(&self.pool), &st.take_claim, take).await {
                Ok(_) => {}
                Err(err) if retryable(&err) => continue,
                Err(err) => return Err(unavailable::<S>(err)),
            }
            let mut args = Self::key(id);
            if st.claim_state_repeats {
                args.extend(Self::key(id));
            }
            let state = S::fetch_text_count(&self.pool, &st.claim_state, args)
                .await
                .map_err(unavailable::<S>)?;
            let (holder, done) = state.unwrap_or((None, 0));
            let ours = holder.as_deref() == Some(lease.token());
            if done > 0 {
                if ours {
                    S::execute(
                        On::Pool(&self.pool),
                        &st.drop_claim,
                        Self::key_token(id, lease.token()),
                    )
                    .await
                    .map_err(unavailable::<S>)?;
                }
                return Ok(Claim::AlreadyDone);
            }
            match holder {
                Some(_) if ours => {
                    return Ok(Claim::Fresh(lease.with_state(ServerLease::<S> {
                        pool: self.pool.clone(),
                        tx: Mutex::new(None),
                        server: PhantomData,
                    })))
                }
                Some(_) => return Ok(Claim::InProgress),
                None => continue,
            }
        }
        Ok(Claim::InProgress)
    }

    pub(crate) async fn complete(
        &self,
        mut lease: Lease,
        query: String,
    ) -> Result<(), LedgerError> {
        lease.expect_backend(S::BACKEND)?;
        let Some(mut state) = lease.take_state::<ServerLease<S>>() else {
            return Err(lease.stale());
        };
        let st = &self.statements;
        let mut tx = match state.take_tx() {
            Some(tx) => tx,
            None => self.pool.begin().await.map_err(unavailable::<S>)?,
        };
        let id = lease.id().clone();
        let mut record = Self::key(&id);
        record.push(Arg::Text(query));
        S::execute(On::Tx(&mut tx), &st.record_done, record)
            .await
            .map_err(unavailable::<S>)?;
        let dropped = S::execute(
            On::Tx(&mut tx),
            &st.drop_claim,
            Self::key_token(&id, lease.token()),
        )
        .await
        .map_err(unavailable::<S>)?;
        if dropped == 1 {
            tx.commit().await.map_err(unavailable::<S>)
        } else {
            tx.rollback().await.map_err(unavailable::<S>)?;
            Err(lease.stale())
        }
    }

    pub(crate) async fn release(&self, mut lease: Lease) -> Result<(), LedgerError> {
        lease.expect_backend(S::BACKEND)?;
        let Some(mut state) = lease.take_state::<ServerLease<S>>() else {
            return Err(lease.stale());
        };
        if let Some(tx) = state.take_tx() {
            tx.rollback().await.map_err(unavailable::<S>)?;
        }
        let dropped = S::execute(
            On::Pool(&self.pool),
            &self.statements.drop_claim,
            Self::key_token(lease.id(), lease.token()),
        )
        .await
        .map_err(unavailable::<S>)?;
        if dropped == 1 {
            Ok(())
        } else {
            Err(lease.stale())
        }
    }

    pub(crate) async fn original_payment(
        &self,
        reference: String,
    ) -> Result<Option<PaymentRecord>, LedgerError> {
        let row = S::fetch_record(
            &self.pool,
            &self.statements.lookup,
            vec![Arg::Text(reference.clone())],
        )
        .await
        .map_err(unavailable::<S>)?;
        Ok(row.map(|(kind, query, at)| record(&reference, kind, query, at)))
    }
}

/// A deadlock or a serialization failure: the statement may simply be
/// tried again (InnoDB reports deadlocks between concurrent upserts).
fn retryable(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01")))
}
