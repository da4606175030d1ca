//! One SQLite ledger file as this process owns it: the writer connection,
//! the reader connection, the claims in progress, and the committer thread
//! that makes concurrent pingbacks share one durable commit.
//!
//! # Why this design (measured with `examples/bench/run.sh`)
//!
//! SQLite has one writer at a time. With a pool of connections (sqlx) each
//! pingback paid two durable commits (the claim, then the handler's
//! transaction), a thread hand-off for every statement, and claims starved
//! behind `BEGIN IMMEDIATE` transactions whose busy handler polls: about
//! 1,300 pingbacks/s at any concurrency, with second-long tails. Here:
//!
//! - **one writer connection** (rusqlite), behind a fair (FIFO) async
//!   mutex: a pingback's statements run on the task's own thread while it
//!   holds the writer, in microseconds (nothing waits for the disk there);
//!   writers queue in order and nobody polls or times out;
//! - **claims held in process**: a claim is an entry in a map, checked
//!   against the reader connection for a completed record; it writes
//!   nothing, so a claim never waits for the writer. This is why one
//!   process owns a SQLite ledger file (a lock file enforces it);
//! - **group commit**: the writer keeps one transaction open; each
//!   completion adds its handler's writes and its ledger row to it and
//!   waits; the committer thread commits (one `fsync` in WAL mode with
//!   `synchronous=FULL`) everything added since the last commit, then
//!   answers every waiter. `OK` goes out only after that commit. Under load
//!   dozens of pingbacks share one commit;
//! - **alone, a pingback commits on its own thread**: when no other claim
//!   is in progress and nobody waits for the writer, there is nothing to
//!   share the commit with, and handing it to the committer thread and back
//!   costs two thread wake-ups on the answer's path (at one connection it
//!   halves the server's context switches: `perf stat`, 6.5 → 3.2 a
//!   pingback). The commit then blocks the task's thread for one `fsync`,
//!   when no other pingback is in the ledger.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{oneshot, Mutex as AsyncMutex, OwnedMutexGuard};

use crate::ledger::LedgerError;

pub(crate) const BACKEND: &str = "sqlite";

/// How long a statement waits for a lock held outside this process's
/// writer (a backup tool, `sqlite3` in a terminal) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn unavailable(err: impl std::fmt::Display) -> LedgerError {
    LedgerError::unavailable(BACKEND, err)
}

/// A claim in progress: whose (token), until when, and whether its
/// completion is waiting for a commit (then it never expires: the outcome
/// is decided by the commit).
pub(crate) struct ClaimEntry {
    pub(crate) token: String,
    pub(crate) deadline: Instant,
    pub(crate) committing: bool,
}

/// `(table, reference, kind)`: several ledgers (prefixes) may share a file.
pub(crate) type ClaimKey = (Arc<str>, String, u32);

/// The writer connection and the state of the shared transaction.
pub(crate) struct Writer {
    pub(crate) conn: Connection,
    /// A transaction was begun and not yet committed or rolled back.
    open: bool,
    /// SQLite rolled the open transaction back on its own (an I/O error, a
    /// full disk): everything waiting for this commit has lost its writes.
    lost: bool,
}

impl Writer {
    /// Runs one statement without parameters, prepared once per connection
    /// (`BEGIN`, `SAVEPOINT`, `RELEASE` and `COMMIT` run for every
    /// pingback; parsing them each time showed in profiles).
    pub(crate) fn run(&self, sql: &str) -> rusqlite::Result<()> {
        self.conn.prepare_cached(sql)?.execute([]).map(drop)
    }

    /// Opens the shared transaction if none is (`BEGIN IMMEDIATE`).
    pub(crate) fn begin(&mut self) -> rusqlite::Result<()> {
        if !self.open || self.conn.is_autocommit() {
            if self.open {
                // Rolled back under us: the waiters of that transaction are
                // told so at the next commit, which rolls this one back too.
                self.lost = true;
            }
            self.run("BEGIN IMMEDIATE")?;
            self.open = true;
        }
        Ok(())
    }

    /// Ends the shared transaction: commits it, or rolls it back when
    /// SQLite already lost part of it.
    fn finish(&mut self) -> Result<(), String> {
        if !self.open {
            return Ok(());
        }
        let lost = std::mem::take(&mut self.lost) || self.conn.is_autocommit();
        self.open = false;
        let result = if lost {
            Err("SQLite rolled the transaction back (an I/O error or a full disk?)".to_owned())
        } else {
            self.run("COMMIT")
                .map_err(|err| format!("the commit failed: {err}"))
        };
        if result.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        result
    }
}

/// The completions waiting for the next commit.
#[derive(Default)]
struct Queue {
    waiting: Vec<oneshot::Sender<Result<(), String>>>,
    closed: bool,
}

struct Commits {
    queue: Mutex<Queue>,
    wake: Condvar,
}

/// The file as this process owns it; shared by every `SqliteLedger` opened
/// on it in this process.
pub(crate) struct LedgerFile {
    path: PathBuf,
    writer: Arc<AsyncMutex<Writer>>,
    /// How many tasks are waiting for the writer: while one is, a
    /// completion hands its commit to the committer thread, to be shared
    /// with theirs.
    wanting: AtomicUsize,
    reader: Mutex<Connection>,
    claims: Mutex<HashMap<ClaimKey, ClaimEntry>>,
    /// How many claims have ended (see [`LedgerFile::claims_ended`]).
    ended: AtomicU64,
    commits: Arc<Commits>,
    /// Held (locked) while the file is open here: another process cannot
    /// open the same ledger.
    _lock: File,
}

impl std::fmt::Debug for LedgerFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent between statements.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The files open in this process, by canonical path.
static OPEN: Mutex<Vec<(PathBuf, Weak<LedgerFile>)>> = Mutex::new(Vec::new());

impl LedgerFile {
    /// The file at `path`, opened (and created) if this process has not
    /// opened it yet, else the same one.
    pub(crate) fn open(path: &Path) -> Result<Arc<LedgerFile>, LedgerError> {
        let mut open = lock(&OPEN);
        open.retain(|(_, file)| file.strong_count() > 0);
        let canonical = canonical(path);
        if let Some(file) = canonical.as_ref().and_then(|canonical| {
            open.iter()
                .find(|(known, _)| known == canonical)
                .and_then(|(_, file)| file.upgrade())
        }) {
            return Ok(file);
        }
        let file = Arc::new(Self::open_new(path)?);
        open.push((
            canonical.unwrap_or_else(|| path.to_owned()),
            Arc::downgrade(&file),
        ));
        Ok(file)
    }

    fn open_new(path: &Path) -> Result<LedgerFile, LedgerError> {
        let lock_path = lock_path(path);
        let lock_file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|err| {
                unavailable(format!(
                    "cannot create the lock file {}: {err}",
                    lock_path.display()
                ))
            })?;
        if lock_file.try_lock().is_err() {
            return Err(LedgerError::Config(format!(
                "the SQLite ledger {} is open in another process (its lock file {} is locked): \
                 one process owns a SQLite ledger, because its claims in progress live in that \
                 process; stop the other process, or run several instances on PostgreSQL or MySQL",
                path.display(),
                lock_path.display()
            )));
        }
        let conn = Connection::open(path).map_err(unavailable)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(unavailable)?;
        // The ledger's statements, `BEGIN`/`COMMIT` and the handlers' own.
        conn.set_prepared_statement_cache_capacity(64);
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(unavailable)?;
        reader.busy_timeout(BUSY_TIMEOUT).map_err(unavailable)?;

        let writer = Arc::new(AsyncMutex::new(Writer {
            conn,
            open: false,
            lost: false,
        }));
        let commits = Arc::new(Commits {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let (thread_writer, thread_commits) = (Arc::clone(&writer), Arc::clone(&commits));
        std::thread::Builder::new()
            .name("pw-sqlite-commit".into())
            .spawn(move || commit_loop(&thread_writer, &thread_commits))
            .map_err(unavailable)?;
        Ok(LedgerFile {
            path: path.to_owned(),
            writer,
            wanting: AtomicUsize::new(0),
            reader: Mutex::new(reader),
            claims: Mutex::new(HashMap::new()),
            ended: AtomicU64::new(0),
            commits,
            _lock: lock_file,
        })
    }

    /// Waits for the writer (in order of arrival).
    pub(crate) async fn writer(&self) -> OwnedMutexGuard<Writer> {
        let _wanting = Wanting::new(&self.wanting);
        Arc::clone(&self.writer).lock_owned().await
    }

    /// Runs `read` on the reader connection: it sees committed data only.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, LedgerError> {
        read(&lock(&self.reader)).map_err(unavailable)
    }

    /// The claims in progress.
    pub(crate) fn claims(&self) -> MutexGuard<'_, HashMap<ClaimKey, ClaimEntry>> {
        lock(&self.claims)
    }

    /// How many claims have ended so far, a number that only grows: a claim
    /// that saw it unchanged from before its look at the file until it was
    /// entered knows that no completion ended in between.
    pub(crate) fn claims_ended(&self) -> u64 {
        self.ended.load(Ordering::SeqCst)
    }

    /// Counts a claim removed from `claims` (call with its guard held).
    pub(crate) fn claim_ended(&self, _claims: &HashMap<ClaimKey, ClaimEntry>) {
        self.ended.fetch_add(1, Ordering::SeqCst);
    }

    /// Queues for the next commit everything `writer` holds (its open
    /// transaction), releases the writer, and waits until that commit is
    /// durable.
    pub(crate) async fn commit(
        &self,
        mut writer: OwnedMutexGuard<Writer>,
    ) -> Result<(), LedgerError> {
        if self.alone() {
            // Nobody to share the commit with: commit here (for anything
            // queued before us too) rather than hand it to the committer
            // thread and back, two thread wake-ups on the answer's path.
            let waiting = std::mem::take(&mut lock(&self.commits.queue).waiting);
            let result = writer.finish();
            drop(writer);
            for waiter in waiting {
                let _ = waiter.send(result.clone());
            }
            return result.map_err(unavailable);
        }
        let (done, wait) = oneshot::channel();
        {
            let mut queue = lock(&self.commits.queue);
            queue.waiting.push(done);
        }
        // Queued while holding the writer: the committer takes the writer
        // after us, so our writes are in the transaction it commits.
        drop(writer);
        self.commits.wake.notify_one();
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(unavailable(message)),
            Err(_) => Err(unavailable("the commit thread stopped")),
        }
    }
}

impl LedgerFile {
    /// Whether the pingback committing now is alone in the ledger: no other
    /// claim in progress in this process and no task waiting for the
    /// writer. It then commits on its own thread: the commit blocks that
    /// thread for one `fsync`, and there is nothing it could share it with.
    fn alone(&self) -> bool {
        self.wanting.load(Ordering::SeqCst) == 0 && self.claims().len() <= 1
    }

    /// Has the next commit close the open transaction even though nobody
    /// waits for it (a lease rolled back): the writer must be held.
    pub(crate) fn nudge(&self, _writer: &Writer) {
        let (done, _ignored) = oneshot::channel();
        lock(&self.commits.queue).waiting.push(done);
        self.commits.wake.notify_one();
    }
}

impl Drop for LedgerFile {
    fn drop(&mut self) {
        lock(&self.commits.queue).closed = true;
        self.commits.wake.notify_one();
    }
}

/// The committer: waits for completions, takes the writer, commits the
/// shared transaction once for all of them, answers them.
fn commit_loop(writer: &AsyncMutex<Writer>, commits: &Commits) {
    loop {
        {
            let mut queue = lock(&commits.queue);
            while queue.waiting.is_empty() && !queue.closed {
                queue = commits
                    .wake
                    .wait(queue)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if queue.waiting.is_empty() && queue.closed {
                return;
            }
        }
        let mut writer = writer.blocking_lock();
        // Everyone queued so far queued while holding the writer, before we
        // got it: their writes are all in the open transaction.
        let waiting = std::mem::take(&mut lock(&commits.queue).waiting);
        let result = writer.finish();
        drop(writer);
        for waiter in waiting {
            let _ = waiter.send(result.clone());
        }
    }
}

/// Counts a task waiting for the writer while it waits (also when the
/// wait is cancelled).
struct Wanting<'a>(&'a AtomicUsize);

impl<'a> Wanting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Wanting(count)
    }
}

impl Drop for Wanting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The path of the lock file next to the ledger's file: `<file>.lock`.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The canonical path of the file, or of its directory joined with its name
/// when the file does not exist yet.
fn canonical(path: &Path) -> Option<PathBuf> {
    if let Ok(found) = path.canonicalize() {
        return Some(found);
    }
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?,
    };
    Some(dir.join(name))
}
