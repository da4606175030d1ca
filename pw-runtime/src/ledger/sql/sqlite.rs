//! The SQLite ledger: one file, owned by one process, on rusqlite with
//! group commit (see `sqlite_file.rs` for the design and why).

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::OwnedMutexGuard;

use super::record;
use super::sqlite_file::{unavailable, ClaimEntry, ClaimKey, LedgerFile, Writer, BACKEND};
use super::statements::{Dialect, Statements};
use crate::kinds::UniqueRef;
use crate::ledger::clock::{from_unix_millis, unix_millis};
use crate::ledger::options::sql_name;
use crate::ledger::record::moves_money;
use crate::ledger::rows::{kind_of, quarantined_row};
use crate::ledger::{Claim, Lease, Ledger, LedgerError, LedgerOptions, PaymentRecord, Quarantined};
use crate::params::Params;

/// What a SQLite lease holds: its file and, once the handler asked for it
/// ([`Lease::sqlite`]), the writer with the lease's savepoint open.
/// Dropped unfinished, it rolls the savepoint back.
struct SqliteLease {
    file: Arc<LedgerFile>,
    /// In a `Mutex` only so that a lease is `Sync` (a connection is not);
    /// it is reached through `&mut`, never locked.
    writer: Mutex<Option<OwnedMutexGuard<Writer>>>,
}

impl SqliteLease {
    fn take_writer(&mut self) -> Option<OwnedMutexGuard<Writer>> {
        self.writer
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

impl Drop for SqliteLease {
    fn drop(&mut self) {
        if let Some(writer) = self.take_writer() {
            roll_back(&self.file, &writer);
        }
    }
}

/// Rolls the lease's savepoint back and has the shared transaction
/// committed without it.
fn roll_back(file: &LedgerFile, writer: &Writer) {
    let _ = writer
        .conn
        .execute_batch("ROLLBACK TO pw_lease; RELEASE pw_lease");
    file.nudge(writer);
}

/// A ledger in a SQLite file, for one listener process on one machine. The
/// file is created on first use, in WAL mode with `synchronous=FULL`, so a
/// completed record is on disk before the listener answers `OK`; the table
/// `<prefix>ledger` is created if missing.
///
/// **One process owns the file**: the claims in progress live in that
/// process (a claim costs no write), and a lock file `<file>.lock` stops a
/// second process from opening the ledger (a clear
/// [`LedgerError::Config`]). Within the process, every `SqliteLedger`
/// opened on the file shares it. For several processes or machines, use
/// the PostgreSQL or MySQL ledger.
///
/// Concurrent pingbacks share their commits (group commit): each
/// completion waits until the commit that holds its record is durable,
/// and under load dozens of pingbacks share one `fsync`.
///
/// The handler writes its own tables in the same file inside the ledger's
/// transaction ([`Lease::sqlite`]), so its grant and the ledger record
/// commit together or not at all. SQLite has one writer: while a handler
/// holds it, other completions queue in order (none fails with a busy
/// timeout); do slow work (an external call) *before* asking for it.
///
/// The statements run on the calling task's thread (microseconds: nothing
/// waits for the disk but the commit), so the ledger works on any async
/// executor. Commits shared by concurrent pingbacks run on a thread of the
/// ledger's own; a pingback alone in the ledger (no other claim in
/// progress, nobody waiting for the writer) commits on its own thread,
/// which then waits for one `fsync`: there is no other pingback to share
/// the commit with, and it saves two thread hand-offs on the way to `OK`.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use pw_runtime::ledger::{Claim, Ledger, LedgerOptions, SqliteLedger};
/// use pw_runtime::Params;
///
/// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
/// let id = "b7_0".parse()?;
/// match ledger.claim(&id).await? {
///     Claim::Fresh(lease) => {
///         // ... deliver the goods ...
///         ledger.complete(lease, &Params::from_pairs([("ref", "b7"), ("type", "0")])?).await?;
///     }
///     Claim::AlreadyDone | Claim::InProgress => unreachable!("a new file"),
/// }
/// assert!(matches!(ledger.claim(&id).await?, Claim::AlreadyDone));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Clone)]
pub struct SqliteLedger {
    file: Arc<LedgerFile>,
    statements: Arc<Statements>,
    /// The table's name, the claims' namespace in the shared file.
    table: Arc<str>,
    lease: Duration,
}

impl std::fmt::Debug for SqliteLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLedger")
            .field("file", &self.file)
            .field("table", &self.table)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl SqliteLedger {
    /// Opens (creating it if missing) the SQLite file at `path`, in WAL mode
    /// with `synchronous=FULL`, and creates the ledger's table if missing.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`] for an invalid prefix or when another
    /// process has the file open as a ledger, [`LedgerError::Unavailable`]
    /// when the file cannot be opened or written.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{LedgerOptions, SqliteLedger};
    ///
    /// let path = dir.join("pingbacks.db");
    /// let ledger = SqliteLedger::open(&path, LedgerOptions::new().prefix("shop_")).await?;
    /// assert!(path.exists());
    /// assert_eq!(ledger.table(), "\"shop_ledger\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>, options: LedgerOptions) -> Result<Self, LedgerError> {
        let prefix = sql_name("table prefix", &options.prefix, true)?;
        let statements = Statements::new(Dialect::Sqlite, None, &prefix);
        let file = LedgerFile::open(path.as_ref())?;
        let ledger = SqliteLedger {
            file,
            table: Arc::from(statements.ledger.as_str()),
            statements: Arc::new(statements),
            lease: options.lease,
        };
        let create = [
            ledger.statements.create_ledger.clone(),
            ledger.statements.create_quarantine.clone(),
        ];
        ledger
            .write(move |db| create.iter().try_for_each(|sql| db.execute_batch(sql)))
            .await?;
        Ok(ledger)
    }

    /// Runs `write` in a transaction of its own on the ledger's file and
    /// returns once it is durable: for the merchant's schema and writes
    /// outside a pingback. It waits for the writer like a completion does
    /// (in order), and shares its commit.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] when `write` or the commit fails
    /// (`write`'s changes are then rolled back).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{LedgerOptions, SqliteLedger};
    ///
    /// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
    /// ledger.write(|db| db.execute_batch("CREATE TABLE gems (uid TEXT, amount INTEGER)")).await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn write<T: Send>(
        &self,
        write: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send,
    ) -> Result<T, LedgerError> {
        let mut writer = self.file.writer().await;
        let done = (|| {
            writer.begin()?;
            writer.conn.execute_batch("SAVEPOINT pw_write")?;
            match write(&writer.conn) {
                Ok(value) => {
                    writer.conn.execute_batch("RELEASE pw_write")?;
                    Ok(value)
                }
                Err(err) => {
                    let _ = writer
                        .conn
                        .execute_batch("ROLLBACK TO pw_write; RELEASE pw_write");
                    Err(err)
                }
            }
        })();
        match done {
            Ok(value) => self.file.commit(writer).await.map(|()| value),
            Err(err) => {
                self.file.nudge(&writer);
                Err(unavailable(err))
            }
        }
    }

    /// Runs `read` on the ledger's reader connection, which sees committed
    /// data only (a record is visible once it is durable). It runs on the
    /// calling thread: keep it short.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Unavailable`] when `read` fails.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{LedgerOptions, SqliteLedger};
    ///
    /// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
    /// let sql = format!("SELECT count(*) FROM {}", ledger.table());
    /// let rows: i64 = ledger.read(|db| db.query_row(&sql, [], |row| row.get(0)))?;
    /// assert_eq!(rows, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, LedgerError> {
        self.file.read(read)
    }

    /// The quarantined pingbacks of the ledger file at `path`, read without
    /// opening the ledger: for tools (`pw-pingback quarantine list`) while
    /// the listener process owns the file. Read-only; no lock is taken.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`] for an invalid prefix,
    /// [`LedgerError::Unavailable`] when the file cannot be read.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-q-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{LedgerOptions, SqliteLedger};
    ///
    /// let path = dir.join("pingbacks.db");
    /// let ledger = SqliteLedger::open(&path, LedgerOptions::new()).await?; // the listener's
    /// assert!(SqliteLedger::quarantined_in_file(&path, &LedgerOptions::new())?.is_empty());
    /// # drop(ledger);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn quarantined_in_file(
        path: impl AsRef<Path>,
        options: &LedgerOptions,
    ) -> Result<Vec<Quarantined>, LedgerError> {
        let prefix = sql_name("table prefix", &options.prefix, true)?;
        let statements = Statements::new(Dialect::Sqlite, None, &prefix);
        let db = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(unavailable)?;
        db.busy_timeout(Duration::from_secs(10))
            .map_err(unavailable)?;
        read_quarantined(&db, &statements.quarantined).map_err(unavailable)
    }

    /// The name of the ledger's table, quoted for SQL (`"pw_ledger"` by default).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{LedgerOptions, SqliteLedger};
    ///
    /// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
    /// assert_eq!(ledger.table(), "\"pw_ledger\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn table(&self) -> &str {
        &self.table
    }

    fn key(&self, id: &UniqueRef) -> ClaimKey {
        (
            Arc::clone(&self.table),
            id.reference.clone(),
            id.kind.code(),
        )
    }

    /// Removes the claim `key` if it is still `token`'s.
    fn forget(&self, key: &ClaimKey, token: &str) {
        let mut claims = self.file.claims();
        if claims.get(key).is_some_and(|entry| entry.token == token) {
            claims.remove(key);
            self.file.claim_ended(&claims);
        }
    }

    fn is_done(&self, id: &UniqueRef) -> Result<bool, LedgerError> {
        self.file.read(|db| {
            db.prepare_cached(&self.statements.done)?
                .query_row(params![id.reference, id.kind.code()], |_| Ok(()))
                .optional()
                .map(|row| row.is_some())
        })
    }

    fn try_claim(&self, id: &UniqueRef) -> Result<Claim, LedgerError> {
        let ended_before = self.file.claims_ended();
        // A duplicate of a completed pingback: answered from the file alone.
        if self.is_done(id)? {
            return Ok(Claim::AlreadyDone);
        }
        let key = self.key(id);
        let lease = Lease::new(id.clone(), BACKEND, self.lease);
        {
            let mut claims = self.file.claims();
            let now = Instant::now();
            let live = |entry: &ClaimEntry| entry.committing || entry.deadline > now;
            if claims.get(&key).is_some_and(live) {
                return Ok(Claim::InProgress);
            }
            // The types that move goods of one `ref` take turns.
            if moves_money(id.kind) {
                let sibling = claims.iter().any(|((table, reference, kind), entry)| {
                    *kind != key.2
                        && reference == &key.1
                        && table == &key.0
                        && moves_money(crate::PingbackType::from_code(*kind))
                        && live(entry)
                });
                if sibling {
                    return Ok(Claim::InProgress);
                }
            }
            let entry = ClaimEntry {
                token: lease.token().to_owned(),
                deadline: lease.deadline(),
                committing: false,
            };
            claims.insert(key.clone(), entry);
            if self.file.claims_ended() == ended_before {
                // No claim ended since the first look, so no completion
                // became durable in between: the look still holds.
                return Ok(Claim::Fresh(lease.with_state(SqliteLease {
                    file: Arc::clone(&self.file),
                    writer: Mutex::new(None),
                })));
            }
        }
        // Completed since the first look? A completion keeps its claim
        // until its commit is durable, so a record seen here (committed
        // data only) is on disk.
        match self.is_done(id) {
            Ok(false) => Ok(Claim::Fresh(lease.with_state(SqliteLease {
                file: Arc::clone(&self.file),
                writer: Mutex::new(None),
            }))),
            Ok(true) => {
                self.forget(&key, lease.token());
                Ok(Claim::AlreadyDone)
            }
            Err(err) => {
                self.forget(&key, lease.token());
                Err(err)
            }
        }
    }

    /// Marks the claim of `key` as committing if it is still `token`'s and
    /// unexpired.
    fn start_commit(&self, key: &ClaimKey, token: &str) -> bool {
        let mut claims = self.file.claims();
        match claims.get_mut(key) {
            Some(entry)
                if entry.token == token && !entry.committing && entry.deadline > Instant::now() =>
            {
                entry.committing = true;
                true
            }
            _ => false,
        }
    }

    async fn finish_complete(&self, mut lease: Lease, query: String) -> Result<(), LedgerError> {
        lease.expect_backend(BACKEND)?;
        let key = self.key(lease.id());
        let held = lease
            .take_state::<SqliteLease>()
            .and_then(|mut state| state.take_writer());
        if !self.start_commit(&key, lease.token()) {
            if let Some(writer) = held {
                roll_back(&self.file, &writer);
            }
            return Err(lease.stale());
        }
        let writer = match held {
            Some(writer) => writer,
            None => {
                let mut writer = self.file.writer().await;
                let begun = writer
                    .begin()
                    .and_then(|()| writer.run("SAVEPOINT pw_lease"));
                if let Err(err) = begun {
                    self.forget(&key, lease.token());
                    return Err(unavailable(err));
                }
                writer
            }
        };
        let id = lease.id();
        let recorded = writer
            .conn
            .prepare_cached(&self.statements.record_done)
            .and_then(|mut insert| {
                insert.execute(params![
                    id.reference,
                    id.kind.code(),
                    query,
                    unix_millis(SystemTime::now())
                ])
            })
            .and_then(|_| {
                writer
                    .conn
                    .prepare_cached(&self.statements.unquarantine)?
                    .execute(params![id.reference, id.kind.code()])
            })
            .and_then(|_| writer.run("RELEASE pw_lease"));
        let result = match recorded {
            Ok(()) => self.file.commit(writer).await,
            Err(err) => {
                roll_back(&self.file, &writer);
                drop(writer);
                Err(unavailable(err))
            }
        };
        self.forget(&key, lease.token());
        result
    }

    /// Rolls back the handler's writes that `lease` holds, if any, and
    /// gives the writer back; an error for a lease of another ledger.
    fn roll_back_held(&self, lease: &mut Lease) -> Result<(), LedgerError> {
        lease.expect_backend(BACKEND)?;
        if let Some(writer) = lease
            .take_state::<SqliteLease>()
            .and_then(|mut state| state.take_writer())
        {
            roll_back(&self.file, &writer);
        }
        Ok(())
    }

    fn finish_release(&self, mut lease: Lease) -> Result<(), LedgerError> {
        self.roll_back_held(&mut lease)?;
        let key = self.key(lease.id());
        let mut claims = self.file.claims();
        let current = claims.get(&key).is_some_and(|entry| {
            entry.token == lease.token() && !entry.committing && entry.deadline > Instant::now()
        });
        if current {
            claims.remove(&key);
            Ok(())
        } else {
            Err(lease.stale())
        }
    }

    fn try_renew(&self, id: &UniqueRef, token: &str) -> Result<(), LedgerError> {
        let key = self.key(id);
        let now = Instant::now();
        let mut claims = self.file.claims();
        match claims.get_mut(&key) {
            Some(entry) if entry.token == token && (entry.committing || entry.deadline > now) => {
                entry.deadline = entry.deadline.max(now + self.lease);
                Ok(())
            }
            _ => Err(LedgerError::StaleLease { id: id.clone() }),
        }
    }

    async fn finish_quarantine(
        &self,
        mut lease: Lease,
        entry: QuarantineRow,
    ) -> Result<(), LedgerError> {
        self.roll_back_held(&mut lease)?;
        let key = self.key(lease.id());
        if !self.start_commit(&key, lease.token()) {
            return Err(lease.stale());
        }
        let id = lease.id().clone();
        let sql = self.statements.quarantine.clone();
        let written = self
            .write(move |db| {
                db.prepare_cached(&sql)?.execute(params![
                    id.reference,
                    id.kind.code(),
                    entry.query,
                    entry.client,
                    entry.error,
                    entry.seen
                ])
            })
            .await;
        match written {
            Ok(_) => {
                self.forget(&key, lease.token());
                Ok(())
            }
            Err(err) => {
                // Not quarantined: the claim stays, to expire with its lease.
                if let Some(claim) = self.file.claims().get_mut(&key) {
                    if claim.token == lease.token() {
                        claim.committing = false;
                    }
                }
                Err(err)
            }
        }
    }

    /// The earliest (by delivery, then type) of the completed pingbacks of
    /// `reference` that `sql` selects (see `Statements::lookup`).
    fn lookup(&self, sql: &str, reference: &str) -> Result<Option<PaymentRecord>, LedgerError> {
        let found = self.file.read(|db| {
            let mut select = db.prepare_cached(sql)?;
            let rows = select.query_map(params![reference], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get(1)?,
                    row.get::<_, Option<i64>>(2)?,
                ))
            })?;
            // As SQL's `ORDER BY delivered_at, kind` would: no time first.
            let mut earliest: Option<(i64, Option<String>, Option<i64>)> = None;
            for row in rows {
                let row = row?;
                if earliest
                    .as_ref()
                    .is_none_or(|first| (row.2, row.0) < (first.2, first.0))
                {
                    earliest = Some(row);
                }
            }
            Ok(earliest)
        })?;
        Ok(found.map(|(kind, query, at)| record(reference, kind, query, at)))
    }

    fn list_quarantined(&self) -> Result<Vec<Quarantined>, LedgerError> {
        self.file
            .read(|db| read_quarantined(db, &self.statements.quarantined))
    }
}

/// Every quarantine row of `db`, by the statement `sql`.
fn read_quarantined(db: &Connection, sql: &str) -> rusqlite::Result<Vec<Quarantined>> {
    let mut select = db.prepare_cached(sql)?;
    let rows = select.query_map([], |row| {
        let reference: String = row.get(0)?;
        let kind: i64 = row.get(1)?;
        let client: String = row.get(3)?;
        Ok(quarantined_row(
            UniqueRef::new(reference, kind_of(kind)),
            row.get(2)?,
            &client,
            row.get(4)?,
            (from_unix_millis(row.get(5)?), from_unix_millis(row.get(6)?)),
            row.get(7)?,
        ))
    })?;
    rows.collect()
}

/// A quarantine entry as its row is written.
struct QuarantineRow {
    query: String,
    client: String,
    error: String,
    seen: i64,
}

impl QuarantineRow {
    fn of(pingback: &Quarantined) -> Self {
        QuarantineRow {
            query: pingback.query().to_owned(),
            client: pingback.client().to_string(),
            error: pingback.error().to_owned(),
            seen: unix_millis(pingback.last_seen()),
        }
    }
}

impl Lease {
    /// The SQLite ledger's connection inside this lease's transaction
    /// (a savepoint of the ledger's shared transaction), taken on the first
    /// call: write the merchant's own data here and it commits with
    /// [`Ledger::complete`], or rolls back with [`Ledger::release`].
    ///
    /// The lease holds SQLite's one writer from the first call until it is
    /// completed or released: other completions queue behind it (in order,
    /// none fails), so do slow work before the first call. A connection is
    /// not `Sync`: use it between two `.await`s, not across one.
    ///
    /// # Errors
    ///
    /// [`LedgerError::WrongBackend`] for a lease of another ledger,
    /// [`LedgerError::Unavailable`] when the transaction cannot begin.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("pw-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pw_runtime::ledger::{Ledger, LedgerOptions, SqliteLedger};
    ///
    /// let ledger = SqliteLedger::open(dir.join("pingbacks.db"), LedgerOptions::new()).await?;
    /// ledger.write(|db| db.execute_batch("CREATE TABLE gems (uid TEXT, amount INTEGER)")).await?;
    /// if let Some(mut lease) = ledger.claim(&"b7_0".parse()?).await?.into_lease() {
    ///     lease.sqlite().await?.execute("INSERT INTO gems VALUES ('u1', 100)", [])?;
    ///     let params = pw_runtime::Params::from_pairs([("ref", "b7"), ("type", "0")])?;
    ///     ledger.complete(lease, &params).await?; // the gems and the record, together
    /// }
    /// let gems: i64 = ledger.read(|db| db.query_row("SELECT sum(amount) FROM gems", [], |row| row.get(0)))?;
    /// assert_eq!(gems, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn sqlite(&mut self) -> Result<&Connection, LedgerError> {
        self.expect_backend(BACKEND)?;
        let stale = self.stale();
        let SqliteLease { file, writer, .. } = self.state_mut::<SqliteLease>().ok_or(stale)?;
        let slot = writer
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none() {
            let mut held = file.writer().await;
            held.begin()
                .and_then(|()| held.run("SAVEPOINT pw_lease"))
                .map_err(unavailable)?;
            *slot = Some(held);
        }
        match slot {
            Some(held) => Ok(&held.conn),
            None => Err(unavailable("the writer was not taken")),
        }
    }
}

impl Ledger for SqliteLedger {
    fn claim(&self, id: &UniqueRef) -> impl Future<Output = Result<Claim, LedgerError>> + Send {
        std::future::ready(self.try_claim(id))
    }

    fn complete(
        &self,
        lease: Lease,
        params: &Params,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        self.finish_complete(lease, params.to_query_string())
    }

    fn release(&self, lease: Lease) -> impl Future<Output = Result<(), LedgerError>> + Send {
        std::future::ready(self.finish_release(lease))
    }

    fn original_payment(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        std::future::ready(self.lookup(&self.statements.lookup, reference))
    }

    fn reversal(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<PaymentRecord>, LedgerError>> + Send {
        std::future::ready(self.lookup(&self.statements.lookup_reversal, reference))
    }

    fn renew(
        &self,
        id: &UniqueRef,
        token: &str,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        std::future::ready(self.try_renew(id, token))
    }

    fn quarantine(
        &self,
        lease: Lease,
        pingback: &Quarantined,
    ) -> impl Future<Output = Result<(), LedgerError>> + Send {
        self.finish_quarantine(lease, QuarantineRow::of(pingback))
    }

    fn quarantined(&self) -> impl Future<Output = Result<Vec<Quarantined>, LedgerError>> + Send {
        std::future::ready(self.list_quarantined())
    }
}
