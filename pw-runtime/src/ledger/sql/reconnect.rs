//! A statement that found its pooled connection dead, run again.
//!
//! `PostgresLedger::connect` builds a pool that hands out an idle
//! connection without a round trip to test it first. A connection that
//! died while idle (the server restarted, `pg_terminate_backend`, a
//! proxy's idle cut) is found dead by the first statement sent on it.
//! That must not refuse a pingback once the outage is over, so the server
//! engine (`server.rs`) runs each statement that may safely run more than
//! once through [`again_if_lost`]: when it failed because its connection
//! was lost, it runs again, on another connection, until it meets a live
//! or a new one (at most once more than the pool holds connections). If
//! the server is still down, a new connection cannot be made and the
//! ledger answers `Unavailable` as before. Why each statement may run
//! more than once is said where it runs.

use std::future::Future;

use sqlx::Pool;

/// Whether `err` says that the statement's connection is gone (so the
/// statement may not have reached the server), as opposed to the server
/// refusing the statement itself. Only these:
///
/// - [`sqlx::Error::Io`]: the socket failed or the server closed it (end
///   of stream, reset, broken pipe);
/// - PostgreSQL's SQLSTATEs of a session the server ended: `57P01`
///   (`admin_shutdown`: `pg_terminate_backend`, a server shutdown),
///   `57P02` (`crash_shutdown`: another server process crashed), `57P03`
///   (`cannot_connect_now`: the server is starting or stopping).
///
/// Not a closed or exhausted pool (`PoolClosed`, `PoolTimedOut`: no
/// connection died, and a second wait would only double the delay), nor a
/// protocol or TLS error (a bug or a misconfiguration, not an outage).
pub(crate) fn connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

/// How many times a statement runs on `pool` while it finds its connection
/// lost: once more than the pool holds connections. Each run that fails so
/// takes one dead connection out of the pool for good (the pool tests a
/// connection as it takes it back, and closes a dead one), so by then the
/// statement has met a live connection or a new one, unless connections
/// are still dying (the server is going down again).
pub(crate) fn runs<DB: sqlx::Database>(pool: &Pool<DB>) -> u32 {
    pool.options().get_max_connections().saturating_add(1)
}

/// The result of `attempt`, which runs a statement on a connection of
/// `pool`, run again while it failed because its connection was lost
/// ([`connection_lost`]), at most [`runs`] times in all. Only for
/// statements that may run more than once: a run that failed so may have
/// reached the server and even committed, with only its answer lost.
pub(crate) async fn again_if_lost<DB, T, F, Fut>(
    pool: &Pool<DB>,
    mut attempt: F,
) -> Result<T, sqlx::Error>
where
    DB: sqlx::Database,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let mut result = attempt().await;
    for _ in 1..runs(pool) {
        match &result {
            Err(err) if connection_lost(err) => {
                lost(err);
                result = attempt().await;
            }
            _ => break,
        }
    }
    result
}

/// Logs a lost connection whose statement runs again.
pub(crate) fn lost(err: &sqlx::Error) {
    tracing::warn!(error = %err, "a pooled database connection was lost; running its statement again");
}
