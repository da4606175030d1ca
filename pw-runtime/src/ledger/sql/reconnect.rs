//! A statement that found its pooled connection dead, run once more.
//!
//! `PostgresLedger::connect` builds a pool that hands out an idle
//! connection without a round trip to test it first. A connection that
//! died while idle (the server restarted, `pg_terminate_backend`, a
//! proxy's idle cut) is found dead by the first statement sent on it.
//! That must not refuse a pingback once the outage is over, so the server
//! engine (`server.rs`) runs each statement that may safely run twice
//! through [`again_if_lost`]: when it failed because its connection was
//! lost, the pool lets go of its dead idle connections
//! ([`drop_dead_idle`]) and the statement runs once more, on a live
//! connection or a new one. If the server is still down, that second run
//! fails too and the ledger answers `Unavailable` as before. Why each
//! statement may run twice is said where it runs.

use std::future::Future;

use sqlx::{Connection as _, Pool};

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

/// Lets go of the pool's dead idle connections: takes each idle one,
/// tests it with a ping, closes it if it is dead. The live ones are held
/// until the end, so that none is taken and tested twice, and then go
/// back to the pool. Connections in use are not touched (the pool tests
/// each one as it comes back). A pool with tasks waiting for a connection
/// hands out no idle one here: those tasks get them, and each of them
/// runs its statement once more if it finds one dead.
pub(crate) async fn drop_dead_idle<DB: sqlx::Database>(pool: &Pool<DB>) {
    let mut live = Vec::new();
    while let Some(mut conn) = pool.try_acquire() {
        if conn.ping().await.is_ok() {
            live.push(conn);
        } else {
            // The connection is gone whether or not its goodbye is sent.
            let _ = conn.close().await;
        }
    }
}

/// The result of `attempt`, which runs a statement; when that failed
/// because its connection was lost ([`connection_lost`]), the result of a
/// second run after [`drop_dead_idle`]. Only for statements that may run
/// twice: the first run may have reached the server and even committed,
/// with only its answer lost.
pub(crate) async fn again_if_lost<DB, T, F, Fut>(
    pool: &Pool<DB>,
    mut attempt: F,
) -> Result<T, sqlx::Error>
where
    DB: sqlx::Database,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    match attempt().await {
        Err(err) if connection_lost(&err) => {
            lost(&err);
            drop_dead_idle(pool).await;
            attempt().await
        }
        done => done,
    }
}

/// Logs a lost connection whose statement runs once more.
pub(crate) fn lost(err: &sqlx::Error) {
    tracing::warn!(error = %err, "a pooled database connection was lost; running its statement once more");
}
