//! The statements of the SQL ledgers, one set per dialect: the same flow
//! (`sqlite.rs`, `server.rs`) runs on each.
//!
//! Two tables, `<prefix>ledger` and, on the servers, `<prefix>claims`:
//!
//! - the ledger holds one row per completed pingback (`state = 'done'`),
//!   written in the transaction that also holds the handler's writes;
//! - a claim in progress is a row of `<prefix>claims` on the servers: on
//!   PostgreSQL an `UNLOGGED` table (not written to the durable log, so a
//!   claim costs no disk flush; a crash empties it, which only ends the
//!   leases early); on MySQL / MariaDB an InnoDB table (a `MEMORY` table
//!   would not be transactional: its rows would change before the commit
//!   that records the pingback, and a concurrent claim could slip in
//!   between). The SQLite ledger holds its claims in the process that
//!   owns the file;
//! - the claims table is keyed by `(reference, slot)`: the slot is the
//!   pingback's type code, except that the types which move money (0, 1,
//!   2, 201, 202) of one `ref` share the slot [`MONEY_SLOT`]. They take
//!   turns by the table's primary key alone: a claim is one upsert, with
//!   no transaction and no lock on anything but its own row (a lock on a
//!   range of keys, as InnoDB takes for `SELECT ... FOR UPDATE` of a `ref`
//!   with no row yet, makes concurrent claims of unrelated refs deadlock).
//!
//! - a pingback is keyed by the exact bytes of its `ref`, as on every
//!   backend: on MySQL / MariaDB the `reference` columns are
//!   `VARBINARY(1024)`, because its text collations compare with trailing
//!   spaces ignored (`PAD SPACE`, `utf8mb4_bin` included) and most of them
//!   without case, which would take the payment of `ref` `b1 ` for that of
//!   `b1`, already done. References up to 1,024 bytes
//!   ([`Reference::MAX_BYTES`](crate::Reference::MAX_BYTES), the longest
//!   the verifier passes) are kept on every backend
//!   (`references_are_compared_byte_for_byte` in the ledger tests).
//!
//! Ledger tables written by earlier versions (claims as `in_progress` rows
//! of the ledger table) are read as they are: only `done` rows count. On
//! MySQL / MariaDB, tables whose `reference` is still text are refused at
//! open, with the `ALTER TABLE` that converts them (`mysql.rs`).

/// The claim slot shared by the pingback types that move money, in the
/// `kind` column of `<prefix>claims`: no type has a negative code.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) const MONEY_SLOT: i64 = -1;

#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::ledger::options::sql_name;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::ledger::{LedgerError, LedgerOptions};

/// Which SQL the statements are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    #[cfg(feature = "sqlite")]
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
    #[cfg(feature = "mysql")]
    Mysql,
}

/// The statements of one ledger, with its table names in them.
#[derive(Debug)]
#[allow(dead_code)] // each flow reads the statements it runs: SQLite's or the servers'
pub(crate) struct Statements {
    /// The ledger's table, quoted (`"pw_ledger"`, `` `pw_ledger` ``).
    pub(crate) ledger: String,
    pub(crate) create_ledger: String,
    pub(crate) create_claims: String,
    /// `(reference, kind)` → a row when the pingback is done.
    pub(crate) done: String,
    /// `(reference, kind, params)` (+ `delivered_at` in SQLite): records the
    /// pingback as done; 0 rows when it already was.
    pub(crate) record_done: String,
    /// `(reference)` → `(kind, params, delivered_at millis)` of the
    /// earliest completed payment (in SQLite: of every completed payment,
    /// the caller picks the earliest).
    pub(crate) lookup: String,
    pub(crate) create_quarantine: String,
    /// `(reference)` → `(kind, params, delivered_at millis)` of the
    /// earliest completed reversal (2, 202) (in SQLite: of every one, as
    /// `lookup`).
    pub(crate) lookup_reversal: String,
    /// `(reference, kind)`: removes the quarantine entry.
    pub(crate) unquarantine: String,
    /// `(reference, kind, query, client, error, seen millis)`: adds or
    /// updates the quarantine entry.
    pub(crate) quarantine: String,
    /// `()` → every quarantine entry, `(reference, kind, query, client,
    /// error, first_seen, last_seen, attempts)`, oldest first.
    pub(crate) quarantined: String,
    /// Servers: `(reference, slot, token, lease millis)` (MySQL: the lease
    /// first): extends an unexpired claim of this token; 1 row when it did.
    pub(crate) renew_claim: String,
    /// Servers: `(reference, slot, token, lease millis)`: takes the claim
    /// when there is none or it expired, in one statement.
    pub(crate) take_claim: String,
    /// Servers: `(reference, slot, kind)` → `(token of the claim, 1 when
    /// the pingback is done)`; on MySQL `(reference, slot, reference,
    /// kind)`, its placeholders being positional.
    pub(crate) claim_state: String,
    /// Whether the placeholders are positional (`?`, MySQL): each argument
    /// is given where it is used, in that order, not once by number.
    pub(crate) positional: bool,
    /// Servers: `(reference, slot, token)`: removes an unexpired claim of
    /// this token; 1 row when it did.
    pub(crate) drop_claim: String,
    /// PostgreSQL: `drop_claim`, then `record_done` and `unquarantine`
    /// only if the claim was dropped, as one statement, `(reference, kind,
    /// params, slot, token)` → `(NULL, 1 when the claim was dropped)`;
    /// atomic on its own (no transaction needed when the handler wrote
    /// nothing through the lease). Empty where the dialect has no
    /// data-modifying `WITH` (MySQL), which runs the three in turn in a
    /// transaction.
    pub(crate) complete_claim: String,
}

/// The type codes of the payments a reversal refers to, as an SQL list.
const PAYMENT_KINDS: &str = "(0, 1, 201)";

/// The type codes of the reversals of a payment, as an SQL list.
const REVERSAL_KINDS: &str = "(2, 202)";

impl Statements {
    /// The statements of `dialect` for the tables `options` names, and the
    /// schema they live in; the prefix and the schema are checked first.
    ///
    /// # Errors
    ///
    /// [`LedgerError::Config`] for a prefix or a schema that is not an SQL
    /// name.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    pub(crate) fn for_options(
        dialect: Dialect,
        options: &LedgerOptions,
    ) -> Result<(Self, Option<String>), LedgerError> {
        let prefix = sql_name("table prefix", &options.prefix, true)?;
        let schema = match &options.schema {
            Some(schema) => Some(sql_name("schema", schema, false)?),
            None => None,
        };
        Ok((Self::new(dialect, schema.as_deref(), &prefix), schema))
    }

    /// The statements of `dialect` for tables named `<prefix>ledger` and
    /// `<prefix>claims`, in `schema` if given (a name the caller checked).
    pub(crate) fn new(dialect: Dialect, schema: Option<&str>, prefix: &str) -> Self {
        let quote = |name: &str| match dialect {
            #[cfg(feature = "mysql")]
            Dialect::Mysql => format!("`{name}`"),
            #[allow(unreachable_patterns)]
            _ => format!("\"{name}\""),
        };
        let qualified = |name: String| match schema {
            Some(schema) => format!("{}.{}", quote(schema), quote(&name)),
            None => quote(&name),
        };
        let t = qualified(format!("{prefix}ledger"));
        let q = qualified(format!("{prefix}quarantine"));
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        let reversal_tail = format!(
            "AND state = 'done' AND kind IN {REVERSAL_KINDS} ORDER BY delivered_at, kind LIMIT 1"
        );
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        let c = qualified(format!("{prefix}claims"));
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        let lookup_tail = format!(
            "AND state = 'done' AND kind IN {PAYMENT_KINDS} ORDER BY delivered_at, kind LIMIT 1"
        );
        match dialect {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => Statements {
                create_ledger: format!(
                    "CREATE TABLE IF NOT EXISTS {t} (reference TEXT NOT NULL, kind INTEGER NOT NULL, \
                     state TEXT NOT NULL, token TEXT, expires_at INTEGER, params TEXT, \
                     delivered_at INTEGER, PRIMARY KEY (reference, kind))"
                ),
                create_claims: String::new(),
                done: format!(
                    "SELECT 1 FROM {t} WHERE reference = ?1 AND kind = ?2 AND state = 'done'"
                ),
                record_done: format!(
                    "INSERT INTO {t} (reference, kind, state, params, delivered_at) \
                     VALUES (?1, ?2, 'done', ?3, ?4) \
                     ON CONFLICT (reference, kind) DO UPDATE SET state = 'done', token = NULL, \
                     expires_at = NULL, params = excluded.params, delivered_at = excluded.delivered_at \
                     WHERE {t}.state <> 'done'"
                ),
                // SQLite: every such row, unordered, and `+kind` (the list
                // tested row by row): `IN` on the key and `ORDER BY` each
                // built a temporary b-tree, whose page cache was allocated
                // and freed on every pingback. The caller picks the earliest.
                lookup: format!(
                    "SELECT kind, params, delivered_at FROM {t} WHERE reference = ?1 \
                     AND state = 'done' AND +kind IN {PAYMENT_KINDS}"
                ),
                create_quarantine: format!(
                    "CREATE TABLE IF NOT EXISTS {q} (reference TEXT NOT NULL, kind INTEGER NOT NULL, \
                     query TEXT NOT NULL, client TEXT NOT NULL, error TEXT NOT NULL, \
                     first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, \
                     attempts INTEGER NOT NULL, PRIMARY KEY (reference, kind))"
                ),
                lookup_reversal: format!(
                    "SELECT kind, params, delivered_at FROM {t} WHERE reference = ?1 \
                     AND state = 'done' AND +kind IN {REVERSAL_KINDS}"
                ),
                unquarantine: format!("DELETE FROM {q} WHERE reference = ?1 AND kind = ?2"),
                quarantine: format!(
                    "INSERT INTO {q} (reference, kind, query, client, error, first_seen, last_seen, attempts) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1) \
                     ON CONFLICT (reference, kind) DO UPDATE SET query = excluded.query, \
                     client = excluded.client, error = excluded.error, \
                     last_seen = excluded.last_seen, attempts = {q}.attempts + 1"
                ),
                quarantined: format!(
                    "SELECT reference, kind, query, client, error, first_seen, last_seen, attempts \
                     FROM {q} ORDER BY first_seen, reference, kind"
                ),
                renew_claim: String::new(),
                take_claim: String::new(),
                claim_state: String::new(),
                positional: false,
                drop_claim: String::new(),
                complete_claim: String::new(),
                ledger: t,
            },
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                let now = "clock_timestamp()";
                Statements {
                    create_ledger: format!(
                        "CREATE TABLE IF NOT EXISTS {t} (reference TEXT NOT NULL, kind BIGINT NOT NULL, \
                         state TEXT NOT NULL, token TEXT, expires_at TIMESTAMPTZ, params TEXT, \
                         delivered_at TIMESTAMPTZ, PRIMARY KEY (reference, kind))"
                    ),
                    create_claims: format!(
                        "CREATE UNLOGGED TABLE IF NOT EXISTS {c} (reference TEXT NOT NULL, \
                         kind BIGINT NOT NULL, token TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL, \
                         PRIMARY KEY (reference, kind))"
                    ),
                    done: format!(
                        "SELECT 1 FROM {t} WHERE reference = $1 AND kind = $2 AND state = 'done'"
                    ),
                    record_done: format!(
                        "INSERT INTO {t} AS l (reference, kind, state, params, delivered_at) \
                         VALUES ($1, $2, 'done', $3, {now}) \
                         ON CONFLICT (reference, kind) DO UPDATE SET state = 'done', token = NULL, \
                         expires_at = NULL, params = EXCLUDED.params, delivered_at = EXCLUDED.delivered_at \
                         WHERE l.state <> 'done'"
                    ),
                    lookup: format!(
                        "SELECT kind, params, (extract(epoch FROM delivered_at) * 1000)::bigint FROM {t} \
                         WHERE reference = $1 {lookup_tail}"
                    ),
                    create_quarantine: format!(
                        "CREATE TABLE IF NOT EXISTS {q} (reference TEXT NOT NULL, kind BIGINT NOT NULL, \
                         query TEXT NOT NULL, client TEXT NOT NULL, error TEXT NOT NULL, \
                         first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, \
                         attempts BIGINT NOT NULL, PRIMARY KEY (reference, kind))"
                    ),
                    lookup_reversal: format!(
                        "SELECT kind, params, (extract(epoch FROM delivered_at) * 1000)::bigint FROM {t} \
                         WHERE reference = $1 {reversal_tail}"
                    ),
                    unquarantine: format!("DELETE FROM {q} WHERE reference = $1 AND kind = $2"),
                    quarantine: format!(
                        "INSERT INTO {q} AS q (reference, kind, query, client, error, first_seen, last_seen, attempts) \
                         VALUES ($1, $2, $3, $4, $5, $6, $6, 1) \
                         ON CONFLICT (reference, kind) DO UPDATE SET query = EXCLUDED.query, \
                         client = EXCLUDED.client, error = EXCLUDED.error, \
                         last_seen = EXCLUDED.last_seen, attempts = q.attempts + 1"
                    ),
                    quarantined: format!(
                        "SELECT reference, kind, query, client, error, first_seen, last_seen, attempts \
                         FROM {q} ORDER BY first_seen, reference, kind"
                    ),
                    renew_claim: format!(
                        "UPDATE {c} SET expires_at = {now} + ($4::bigint)::float8 * interval '1 millisecond' \
                         WHERE reference = $1 AND kind = $2 AND token = $3 AND expires_at > {now}"
                    ),
                    take_claim: format!(
                        "INSERT INTO {c} AS c (reference, kind, token, expires_at) \
                         VALUES ($1, $2, $3, {now} + ($4::bigint)::float8 * interval '1 millisecond') \
                         ON CONFLICT (reference, kind) DO UPDATE \
                         SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at \
                         WHERE c.expires_at <= {now}"
                    ),
                    claim_state: format!(
                        "SELECT (SELECT token FROM {c} WHERE reference = $1 AND kind = $2), \
                         (SELECT count(*) FROM {t} WHERE reference = $1 AND kind = $3 AND state = 'done')"
                    ),
                    positional: false,
                    drop_claim: format!(
                        "DELETE FROM {c} WHERE reference = $1 AND kind = $2 AND token = $3 \
                         AND expires_at > {now}"
                    ),
                    // The record and the removal from the quarantine
                    // read the removed claim: with no claim of this lease
                    // to remove (a stale lease), the statement changes
                    // nothing, so it may run on its own in autocommit.
                    complete_claim: format!(
                        "WITH dropped AS (DELETE FROM {c} WHERE reference = $1 AND kind = $4 AND token = $5 \
                         AND expires_at > {now} RETURNING 1), \
                         recorded AS (INSERT INTO {t} AS l (reference, kind, state, params, delivered_at) \
                         SELECT $1, $2, 'done', $3, {now} FROM dropped \
                         ON CONFLICT (reference, kind) DO UPDATE SET state = 'done', token = NULL, \
                         expires_at = NULL, params = EXCLUDED.params, delivered_at = EXCLUDED.delivered_at \
                         WHERE l.state <> 'done' RETURNING 1), \
                         unquarantined AS (DELETE FROM {q} WHERE reference = $1 AND kind = $2 \
                         AND EXISTS (SELECT 1 FROM dropped) RETURNING 1) \
                         SELECT NULL::text, count(*) FROM dropped"
                    ),
                    ledger: t,
                }
            }
            #[cfg(feature = "mysql")]
            Dialect::Mysql => {
                let now = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";
                Statements {
                    create_ledger: format!(
                        "CREATE TABLE IF NOT EXISTS {t} (reference VARBINARY(1024) NOT NULL, \
                         kind BIGINT NOT NULL, state VARCHAR(16) NOT NULL, token VARCHAR(64), \
                         expires_at BIGINT, params MEDIUMTEXT, delivered_at BIGINT, \
                         PRIMARY KEY (reference, kind)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                    ),
                    create_claims: format!(
                        "CREATE TABLE IF NOT EXISTS {c} (reference VARBINARY(1024) NOT NULL, \
                         kind BIGINT NOT NULL, token VARCHAR(64) NOT NULL, expires_at BIGINT NOT NULL, \
                         PRIMARY KEY (reference, kind)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                    ),
                    done: format!(
                        "SELECT 1 FROM {t} WHERE reference = ? AND kind = ? AND state = 'done'"
                    ),
                    record_done: format!(
                        "INSERT INTO {t} (reference, kind, state, params, delivered_at) \
                         VALUES (?, ?, 'done', ?, {now}) \
                         ON DUPLICATE KEY UPDATE token = IF(state = 'done', token, NULL), \
                         expires_at = IF(state = 'done', expires_at, NULL), \
                         params = IF(state = 'done', params, VALUES(params)), \
                         delivered_at = IF(state = 'done', delivered_at, VALUES(delivered_at)), \
                         state = 'done'"
                    ),
                    lookup: format!(
                        "SELECT kind, CAST(params AS CHAR), delivered_at FROM {t} WHERE reference = ? {lookup_tail}"
                    ),
                    create_quarantine: format!(
                        "CREATE TABLE IF NOT EXISTS {q} (reference VARBINARY(1024) NOT NULL, \
                         kind BIGINT NOT NULL, query MEDIUMTEXT NOT NULL, client VARCHAR(64) NOT NULL, \
                         error TEXT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, \
                         attempts BIGINT NOT NULL, PRIMARY KEY (reference, kind)) \
                         ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                    ),
                    lookup_reversal: format!(
                        "SELECT kind, CAST(params AS CHAR), delivered_at FROM {t} WHERE reference = ? {reversal_tail}"
                    ),
                    unquarantine: format!("DELETE FROM {q} WHERE reference = ? AND kind = ?"),
                    quarantine: format!(
                        "INSERT INTO {q} (reference, kind, query, client, error, first_seen, last_seen, attempts) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, 1) \
                         ON DUPLICATE KEY UPDATE query = VALUES(query), client = VALUES(client), \
                         error = VALUES(error), last_seen = VALUES(last_seen), attempts = attempts + 1"
                    ),
                    quarantined: format!(
                        "SELECT CAST(reference AS CHAR), kind, CAST(query AS CHAR), CAST(client AS CHAR), \
                         CAST(error AS CHAR), first_seen, last_seen, attempts \
                         FROM {q} ORDER BY first_seen, reference, kind"
                    ),
                    renew_claim: format!(
                        "UPDATE {c} SET expires_at = {now} + ? \
                         WHERE reference = ? AND kind = ? AND token = ? AND expires_at > {now}"
                    ),
                    take_claim: format!(
                        "INSERT INTO {c} (reference, kind, token, expires_at) \
                         VALUES (?, ?, ?, {now} + ?) \
                         ON DUPLICATE KEY UPDATE \
                         token = IF(expires_at <= {now}, VALUES(token), token), \
                         expires_at = IF(token = VALUES(token), VALUES(expires_at), expires_at)"
                    ),
                    claim_state: format!(
                        "SELECT (SELECT CAST(token AS CHAR) FROM {c} WHERE reference = ? AND kind = ?), \
                         (SELECT count(*) FROM {t} WHERE reference = ? AND kind = ? AND state = 'done')"
                    ),
                    positional: true,
                    drop_claim: format!(
                        "DELETE FROM {c} WHERE reference = ? AND kind = ? AND token = ? \
                         AND expires_at > {now}"
                    ),
                    complete_claim: String::new(),
                    ledger: t,
                }
            }
        }
    }
}
