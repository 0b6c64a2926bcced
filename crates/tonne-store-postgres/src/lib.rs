//! The PostgreSQL backend of [`tonne_store::Store`], on the synchronous `postgres` client.
//!
//! Every commit is one SERIALIZABLE transaction. Writers are queued by an advisory lock so that
//! concurrent writers wait for each other instead of failing; the head check then turns a lost
//! race into [`StoreError::Conflict`]. Rows go in as arrays through `UNNEST`, a few thousand per
//! statement, so a commit of thousands of entries costs a handful of round trips.

mod naive;
mod schema;

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, NoTls, Row, Statement, Transaction};
use std::collections::{BTreeMap, HashMap};
use tonne_core::{Timestamp, UserId};
use tonne_registry::JournalEntry;
use tonne_registry::export::{HoldingRow, ObjectRow};
use tonne_store::{CommandResult, Commit, NaiveLedger, Store, StoreError};

/// Advisory lock key that serialises commits (any fixed value unlikely to clash: "tonne" + 1).
const COMMIT_LOCK: i64 = 0x746f_6e6e_6501;
/// Advisory lock key that serialises migrations, so two processes starting at once don't race.
const MIGRATE_LOCK: i64 = 0x746f_6e6e_6502;
/// Attempts of a transaction that failed with a serialization failure or deadlock.
const MAX_ATTEMPTS: u32 = 5;
/// Journal rows fetched per page by `scan_journal`, and command results per portal fetch.
const PAGE: i64 = 10_000;
/// Rows sent per `UNNEST` statement: large enough to amortise round trips, small enough to keep
/// each message (payloads included) well below PostgreSQL's 1 GB limit.
const BATCH: usize = 2_000;

/// A store in one PostgreSQL schema (whatever `search_path` resolves to on the connection).
pub struct PgStore {
    client: Client,
    /// Prepared on first use; dropped whenever the schema may have changed under them.
    stmts: Option<Stmts>,
}

/// What a transaction attempt can fail with: a store error, which is final, or a database error,
/// which may be worth retrying.
#[derive(Debug, thiserror::Error)]
enum TxError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{context}: {}", describe(.source))]
    Db {
        context: &'static str,
        source: postgres::Error,
    },
}

impl TxError {
    fn retryable(&self) -> bool {
        matches!(self, Self::Db { source, .. }
            if matches!(source.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED))
    }
}

impl From<TxError> for StoreError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::Store(e) => e,
            TxError::Db { context, source } => StoreError::Backend {
                context,
                message: describe(&source),
            },
        }
    }
}

/// `postgres::Error`'s `Display` says only "db error"; the server's message is what helps.
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(": ");
                s.push_str(d);
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(cause) = src {
                s.push_str(": ");
                s.push_str(&cause.to_string());
                src = cause.source();
            }
            s
        }
    }
}

fn db(context: &'static str) -> impl Fn(postgres::Error) -> TxError {
    move |source| TxError::Db { context, source }
}

fn backend(context: &'static str) -> impl Fn(postgres::Error) -> StoreError {
    move |source| StoreError::Backend {
        context,
        message: describe(&source),
    }
}

/// Runs `f` until it succeeds or fails with something other than a serialization failure or
/// deadlock, at most [`MAX_ATTEMPTS`] times.
fn with_retry<T>(mut f: impl FnMut() -> Result<T, TxError>) -> Result<T, StoreError> {
    let mut attempt = 1;
    loop {
        match f() {
            Err(e) if e.retryable() && attempt < MAX_ATTEMPTS => attempt += 1,
            r => return r.map_err(StoreError::from),
        }
    }
}

fn to_i64(v: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Backend {
        context: what,
        message: format!("{v} does not fit a BIGINT"),
    })
}

fn to_u64(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} is negative: {v}")))
}

fn to_hash(v: Vec<u8>, what: &str) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(v.as_slice())
        .map_err(|_| StoreError::Corrupt(format!("{what} has {} bytes, not 32", v.len())))
}

fn col<'a, T: postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
    what: &str,
) -> Result<T, StoreError> {
    row.try_get(idx)
        .map_err(|e| StoreError::Corrupt(format!("{what}: {}", describe(&e))))
}

/// Columns in the order [`entry_of`] reads them.
const JOURNAL_COLS: &str = "seq, prev_hash, hash, ts_ms, actor, idem_key, format, payload";

fn entry_of(row: &Row) -> Result<JournalEntry, StoreError> {
    let seq = to_u64(col(row, 0, "journal.seq")?, "journal.seq")?;
    let at = |what: &str| format!("journal entry {seq}: {what}");
    let ts_ms: i64 = col(row, 3, &at("ts_ms"))?;
    let actor: String = col(row, 4, &at("actor"))?;
    let format: i32 = col(row, 6, &at("format"))?;
    Ok(JournalEntry {
        seq,
        prev_hash: to_hash(col(row, 1, &at("prev_hash"))?, &at("prev_hash"))?,
        hash: to_hash(col(row, 2, &at("hash"))?, &at("hash"))?,
        ts: Timestamp::from_millis(ts_ms).map_err(|e| StoreError::Corrupt(at(&e.to_string())))?,
        actor: UserId::parse(&actor).map_err(|e| StoreError::Corrupt(at(&e.to_string())))?,
        key: col(row, 5, &at("idem_key"))?,
        format: u16::try_from(format)
            .map_err(|_| StoreError::Corrupt(at(&format!("format {format} is not a u16"))))?,
        payload: col(row, 7, &at("payload"))?,
    })
}

fn result_of(row: &Row) -> Result<CommandResult, StoreError> {
    let key: String = col(row, 0, "command_results.idem_key")?;
    let at = |what: &str| format!("command result {key:?}: {what}");
    let seq: Option<i64> = col(row, 2, &at("seq"))?;
    Ok(CommandResult {
        digest: to_hash(col(row, 1, &at("digest"))?, &at("digest"))?,
        seq: seq.map(|s| to_u64(s, &at("seq"))).transpose()?,
        result_json: col(row, 3, &at("result_json"))?,
        key,
    })
}

/// Prepared statements, parsed once per connection instead of once per call.
#[derive(Clone)]
struct Stmts {
    head: Statement,
    journal_page: Statement,
    entry: Statement,
    insert_journal: Statement,
    insert_results: Statement,
    delete_holdings: Statement,
    upsert_holdings: Statement,
    delete_objects: Statement,
    upsert_objects: Statement,
    result: Statement,
}

impl Stmts {
    fn prepare(c: &mut Client) -> Result<Self, StoreError> {
        let mut p = |sql: &str| {
            c.prepare(sql)
                .map_err(backend("preparing statements (is the store migrated?)"))
        };
        Ok(Self {
            head: p("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")?,
            journal_page: p(&format!(
                "SELECT {JOURNAL_COLS} FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2"
            ))?,
            entry: p(&format!(
                "SELECT {JOURNAL_COLS} FROM journal WHERE seq = $1"
            ))?,
            insert_journal: p(&format!(
                "INSERT INTO journal ({JOURNAL_COLS}) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[], \
                 $4::BIGINT[], $5::TEXT[], $6::TEXT[], $7::INTEGER[], $8::BYTEA[])"
            ))?,
            // DO NOTHING + RETURNING tells which keys were taken without aborting the transaction.
            insert_results: p(
                "INSERT INTO command_results (idem_key, digest, seq, result_json) \
                 SELECT * FROM UNNEST($1::TEXT[], $2::BYTEA[], $3::BIGINT[], $4::TEXT[]) \
                 ON CONFLICT (idem_key) DO NOTHING RETURNING idem_key",
            )?,
            delete_holdings: p(
                "DELETE FROM holdings h USING UNNEST($1::TEXT[], $2::TEXT[]) AS d(series, location) \
                 WHERE h.series = d.series AND h.location = d.location",
            )?,
            upsert_holdings: p("INSERT INTO holdings (series, location, serials, ranges) \
                 SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[]) \
                 ON CONFLICT (series, location) DO UPDATE SET serials = EXCLUDED.serials, ranges = EXCLUDED.ranges")?,
            delete_objects: p(
                "DELETE FROM objects o USING UNNEST($1::TEXT[], $2::TEXT[]) AS d(kind, id) \
                 WHERE o.kind = d.kind AND o.id = d.id",
            )?,
            upsert_objects: p(
                "INSERT INTO objects (kind, id, body) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[]) \
                 ON CONFLICT (kind, id) DO UPDATE SET body = EXCLUDED.body",
            )?,
            result: p(
                "SELECT idem_key, digest, seq, result_json FROM command_results WHERE idem_key = $1",
            )?,
        })
    }
}

impl PgStore {
    /// Connects without TLS (the registry talks to a local or private-network database).
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let client = Client::connect(url, NoTls).map_err(backend("connecting to PostgreSQL"))?;
        Ok(PgStore {
            client,
            stmts: None,
        })
    }

    /// Connects and works in schema `schema`, dropped and created anew: for tests, so that
    /// parallel runs against one database don't see each other's rows.
    pub fn connect_fresh_schema(url: &str, schema: &str) -> Result<PgStore, StoreError> {
        // The name is spliced into SQL, so only plain identifiers are accepted.
        let ok = !schema.is_empty()
            && schema.len() <= 63
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !schema.as_bytes()[0].is_ascii_digit();
        if !ok {
            return Err(StoreError::Backend {
                context: "creating a test schema",
                message: format!("{schema:?} is not a plain lowercase identifier"),
            });
        }
        let mut s = Self::connect(url)?;
        s.client
            .batch_execute(&format!(
                "SET client_min_messages = warning; DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; \
                 SET search_path TO {schema}"
            ))
            .map_err(backend("creating a test schema"))?;
        Ok(s)
    }

    fn stmts(&mut self) -> Result<Stmts, StoreError> {
        if let Some(s) = &self.stmts {
            return Ok(s.clone());
        }
        let s = Stmts::prepare(&mut self.client)?;
        self.stmts = Some(s.clone());
        Ok(s)
    }

    fn try_migrate(&mut self) -> Result<(), TxError> {
        let mut tx = self.client.transaction().map_err(db("migrate: begin"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
            .map_err(db("migrate: lock"))?;
        tx.batch_execute(schema::CREATE_VERSION_TABLE)
            .map_err(db("migrate: schema_version"))?;
        let current: i32 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .map_err(db("migrate: reading schema_version"))?
            .try_get(0)
            .map_err(db("migrate: reading schema_version"))?;
        if current > schema::LATEST {
            return Err(StoreError::Schema(format!(
                "schema version {current} is newer than this build's {}",
                schema::LATEST
            ))
            .into());
        }
        for &(version, sql) in schema::MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql).map_err(|e| {
                // Tables without a schema_version row: somebody else's database.
                StoreError::Schema(format!("applying migration {version}: {}", describe(&e)))
            })?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&version],
            )
            .map_err(db("migrate: recording the version"))?;
        }
        tx.commit().map_err(db("migrate: commit"))
    }

    /// One attempt at a commit, inside the commit lock.
    fn try_commit(&mut self, st: &Stmts, c: &Commit) -> Result<(), TxError> {
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()
            .map_err(db("commit: begin"))?;
        let found = match tx
            .query_opt(&st.head, &[])
            .map_err(db("commit: reading the head"))?
        {
            Some(row) => to_u64(col(&row, 0, "journal.seq")?, "journal.seq")?,
            None => 0,
        };
        if found != c.expected_head {
            return Err(StoreError::Conflict {
                expected: c.expected_head,
                found,
            }
            .into());
        }
        for chunk in c.entries.chunks(BATCH) {
            insert_journal(&mut tx, st, chunk)?;
        }
        for chunk in c.results.chunks(BATCH) {
            insert_results(&mut tx, st, chunk)?;
        }
        apply_delta(&mut tx, st, c)?;
        tx.commit().map_err(db("commit: commit"))
    }
}

fn insert_journal(
    tx: &mut Transaction<'_>,
    st: &Stmts,
    chunk: &[JournalEntry],
) -> Result<(), TxError> {
    let seq = chunk
        .iter()
        .map(|e| to_i64(e.seq, "journal seq"))
        .collect::<Result<Vec<_>, _>>()?;
    let prev: Vec<&[u8]> = chunk.iter().map(|e| &e.prev_hash[..]).collect();
    let hash: Vec<&[u8]> = chunk.iter().map(|e| &e.hash[..]).collect();
    let ts: Vec<i64> = chunk.iter().map(|e| e.ts.millis()).collect();
    let actor: Vec<&str> = chunk.iter().map(|e| e.actor.as_str()).collect();
    let key: Vec<&str> = chunk.iter().map(|e| e.key.as_str()).collect();
    let format: Vec<i32> = chunk.iter().map(|e| i32::from(e.format)).collect();
    let payload: Vec<&[u8]> = chunk.iter().map(|e| e.payload.as_slice()).collect();
    let params: [&(dyn ToSql + Sync); 8] =
        [&seq, &prev, &hash, &ts, &actor, &key, &format, &payload];
    tx.execute(&st.insert_journal, &params)
        .map_err(db("commit: inserting journal entries"))?;
    Ok(())
}

fn insert_results(
    tx: &mut Transaction<'_>,
    st: &Stmts,
    chunk: &[CommandResult],
) -> Result<(), TxError> {
    let key: Vec<&str> = chunk.iter().map(|r| r.key.as_str()).collect();
    let digest: Vec<&[u8]> = chunk.iter().map(|r| &r.digest[..]).collect();
    let seq = chunk
        .iter()
        .map(|r| r.seq.map(|s| to_i64(s, "result seq")).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let json: Vec<&str> = chunk.iter().map(|r| r.result_json.as_str()).collect();
    let inserted = tx
        .query(&st.insert_results, &[&key, &digest, &seq, &json])
        .map_err(db("commit: inserting command results"))?;
    if inserted.len() == chunk.len() {
        return Ok(());
    }
    // Some key was stored already (or twice in this commit): name the first one not inserted.
    // Returning the error drops the transaction, which rolls everything back.
    let mut fresh: HashMap<String, usize> = HashMap::new();
    for row in &inserted {
        *fresh.entry(col(row, 0, "returned idem_key")?).or_default() += 1;
    }
    for r in chunk {
        match fresh.get_mut(&r.key) {
            Some(n) if *n > 0 => *n -= 1,
            _ => return Err(StoreError::KeyTaken(r.key.clone()).into()),
        }
    }
    Err(StoreError::Backend {
        context: "commit: inserting command results",
        message: "row count mismatch".into(),
    }
    .into())
}

fn apply_delta(tx: &mut Transaction<'_>, st: &Stmts, c: &Commit) -> Result<(), TxError> {
    let d = &c.delta;
    // Deletes first: a delta may delete a (series, start) and upsert it again.
    for chunk in d.holdings_delete.chunks(BATCH) {
        let series: Vec<&str> = chunk.iter().map(|(s, _)| s.as_str()).collect();
        let location: Vec<&str> = chunk.iter().map(|(_, l)| l.as_str()).collect();
        tx.execute(&st.delete_holdings, &[&series, &location])
            .map_err(db("commit: deleting holdings"))?;
    }
    for chunk in d.objects_delete.chunks(BATCH) {
        let kind: Vec<&str> = chunk.iter().map(|(k, _)| k.as_str()).collect();
        let id: Vec<&str> = chunk.iter().map(|(_, i)| i.as_str()).collect();
        tx.execute(&st.delete_objects, &[&kind, &id])
            .map_err(db("commit: deleting objects"))?;
    }
    // ON CONFLICT DO UPDATE refuses to touch one row twice in a statement, so keep the last
    // upsert of each key (what applying them in order would leave).
    let holdings: Vec<&HoldingRow> = d
        .holdings_upsert
        .iter()
        .map(|h| ((h.series.as_str(), h.location.as_str()), h))
        .collect::<BTreeMap<_, _>>()
        .into_values()
        .collect();
    for chunk in holdings.chunks(BATCH) {
        let series: Vec<&str> = chunk.iter().map(|h| h.series.as_str()).collect();
        let location: Vec<&str> = chunk.iter().map(|h| h.location.as_str()).collect();
        let serials = chunk
            .iter()
            .map(|h| to_i64(h.serials, "holding serials"))
            .collect::<Result<Vec<_>, _>>()?;
        let ranges: Vec<&str> = chunk.iter().map(|h| h.ranges.as_str()).collect();
        tx.execute(
            &st.upsert_holdings,
            &[&series, &location, &serials, &ranges],
        )
        .map_err(db("commit: upserting holdings"))?;
    }
    let objects: Vec<&ObjectRow> = d
        .objects_upsert
        .iter()
        .map(|o| ((o.kind.as_str(), o.id.as_str()), o))
        .collect::<BTreeMap<_, _>>()
        .into_values()
        .collect();
    for chunk in objects.chunks(BATCH) {
        let kind: Vec<&str> = chunk.iter().map(|o| o.kind.as_str()).collect();
        let id: Vec<&str> = chunk.iter().map(|o| o.id.as_str()).collect();
        let body: Vec<&str> = chunk.iter().map(|o| o.body.as_str()).collect();
        tx.execute(&st.upsert_objects, &[&kind, &id, &body])
            .map_err(db("commit: upserting objects"))?;
    }
    Ok(())
}

impl Store for PgStore {
    fn migrate(&mut self) -> Result<(), StoreError> {
        self.stmts = None;
        with_retry(|| self.try_migrate())
    }

    fn head(&mut self) -> Result<(u64, [u8; 32]), StoreError> {
        let st = self.stmts()?;
        match self
            .client
            .query_opt(&st.head, &[])
            .map_err(backend("reading the head"))?
        {
            Some(row) => Ok((
                to_u64(col(&row, 0, "journal.seq")?, "journal.seq")?,
                to_hash(col(&row, 1, "head hash")?, "head hash")?,
            )),
            None => Ok((0, tonne_registry::GENESIS_HASH)),
        }
    }

    fn scan_journal(
        &mut self,
        after: u64,
        f: &mut dyn FnMut(JournalEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        // Keyset pages on the primary key: bounded memory, no transaction held open while `f`
        // runs (which may be a long replay), and the journal is append-only so pages can't shift.
        let st = self.stmts()?;
        let mut after = to_i64(after, "scan_journal after")?;
        loop {
            let rows = self
                .client
                .query(&st.journal_page, &[&after, &PAGE])
                .map_err(backend("scanning the journal"))?;
            for row in &rows {
                let e = entry_of(row)?;
                after = to_i64(e.seq, "journal seq")?;
                f(e)?;
            }
            if (rows.len() as i64) < PAGE {
                return Ok(());
            }
        }
    }

    fn entry(&mut self, seq: u64) -> Result<Option<JournalEntry>, StoreError> {
        let st = self.stmts()?;
        let Ok(seq) = i64::try_from(seq) else {
            return Ok(None);
        };
        self.client
            .query_opt(&st.entry, &[&seq])
            .map_err(backend("reading a journal entry"))?
            .as_ref()
            .map(entry_of)
            .transpose()
    }

    fn commit(&mut self, c: &Commit) -> Result<(), StoreError> {
        let st = self.stmts()?;
        // A session-level lock, taken before BEGIN: a transaction-level lock would be taken
        // inside the transaction, whose SERIALIZABLE snapshot then predates the wait and misses
        // the commit it waited for (making every queued writer fail and retry).
        self.client
            .execute("SELECT pg_advisory_lock($1)", &[&COMMIT_LOCK])
            .map_err(backend("commit: taking the commit lock"))?;
        let r = with_retry(|| self.try_commit(&st, c));
        let unlocked = self
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&COMMIT_LOCK])
            .map_err(backend("commit: releasing the commit lock"));
        r.and(unlocked.map(|_| ()))
    }

    fn result(&mut self, key: &str) -> Result<Option<CommandResult>, StoreError> {
        let st = self.stmts()?;
        self.client
            .query_opt(&st.result, &[&key])
            .map_err(backend("reading a command result"))?
            .as_ref()
            .map(result_of)
            .transpose()
    }

    fn scan_results(&mut self, f: &mut dyn FnMut(CommandResult)) -> Result<(), StoreError> {
        // A portal reads PAGE rows at a time from one snapshot; `f` cannot reach the store, so
        // holding the transaction open while it runs is harmless.
        let mut tx = self
            .client
            .transaction()
            .map_err(backend("scanning command results"))?;
        let portal = tx
            .bind(
                "SELECT idem_key, digest, seq, result_json FROM command_results",
                &[],
            )
            .map_err(backend("scanning command results"))?;
        loop {
            let rows = tx
                .query_portal(&portal, PAGE as i32)
                .map_err(backend("scanning command results"))?;
            for row in &rows {
                f(result_of(row)?);
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        tx.commit().map_err(backend("scanning command results"))
    }

    fn scan_rejected_keys(&mut self, f: &mut dyn FnMut(&str)) -> Result<(), StoreError> {
        let mut tx = self
            .client
            .transaction()
            .map_err(backend("scanning rejected keys"))?;
        let portal = tx
            .bind(
                "SELECT idem_key FROM command_results WHERE seq IS NULL",
                &[],
            )
            .map_err(backend("scanning rejected keys"))?;
        loop {
            let rows = tx
                .query_portal(&portal, PAGE as i32)
                .map_err(backend("scanning rejected keys"))?;
            for row in &rows {
                f(row
                    .try_get::<_, &str>(0)
                    .map_err(backend("scanning rejected keys"))?);
            }
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        tx.commit().map_err(backend("scanning rejected keys"))
    }

    fn holdings(&mut self) -> Result<Vec<HoldingRow>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT series, location, serials, ranges FROM holdings",
                &[],
            )
            .map_err(backend("reading holdings"))?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(HoldingRow {
                    series: col(r, 0, "holdings.series")?,
                    location: col(r, 1, "holdings.location")?,
                    serials: to_u64(col(r, 2, "holdings.serials")?, "holdings.serials")?,
                    ranges: col(r, 3, "holdings.ranges")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Sorted here, not by ORDER BY: the database's collation need not be byte order.
        out.sort_unstable();
        Ok(out)
    }

    fn objects(&mut self) -> Result<Vec<ObjectRow>, StoreError> {
        let rows = self
            .client
            .query("SELECT kind, id, body FROM objects", &[])
            .map_err(backend("reading objects"))?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(ObjectRow {
                    kind: col(r, 0, "objects.kind")?,
                    id: col(r, 1, "objects.id")?,
                    body: col(r, 2, "objects.body")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_unstable();
        Ok(out)
    }

    fn execute_sql(&mut self, sql: &str) -> Result<(), StoreError> {
        // Raw SQL may alter tables the prepared statements depend on.
        self.stmts = None;
        self.client
            .batch_execute(sql)
            .map_err(backend("executing SQL"))
    }

    fn naive(&mut self) -> &mut dyn NaiveLedger {
        self
    }
}
