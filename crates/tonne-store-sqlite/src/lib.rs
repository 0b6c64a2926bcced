//! The embedded default store. One file, WAL journal mode with `synchronous=FULL` so every
//! commit is on disk before it is acknowledged; `BEGIN IMMEDIATE` makes writers queue.

mod migrations;
mod naive;

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use std::time::Duration;
use tonne_core::{Timestamp, UserId};
use tonne_registry::JournalEntry;
use tonne_registry::export::{HoldingRow, ObjectRow};
use tonne_registry::journal::JournalEntryRef;
use tonne_store::{CommandResult, Commit, NaiveLedger, Store, StoreError};

pub struct SqliteStore {
    conn: Connection,
}

fn be(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::backend(context, e)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub fn open(path: &str) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(be("open"))?;
        Self::configure(conn)
    }

    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::configure(Connection::open_in_memory().map_err(be("open"))?)
    }

    fn configure(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(be("busy_timeout"))?;
        // WAL lets readers run beside the writer; FULL syncs the WAL on every commit
        // (the durability the issue asks for).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(be("journal_mode"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(be("synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(be("foreign_keys"))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self { conn })
    }

    /// Calls `f` with each journal row of seq > `after`, in order.
    fn journal_rows(
        &mut self,
        after: u64,
        f: &mut dyn FnMut(&rusqlite::Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {JOURNAL_COLS} FROM journal WHERE seq > ?1 ORDER BY seq"
            ))
            .map_err(be("scan journal"))?;
        let mut rows = stmt.query([after as i64]).map_err(be("scan journal"))?;
        while let Some(r) = rows.next().map_err(be("scan journal"))? {
            f(r)?;
        }
        Ok(())
    }
}

fn hash32(v: &[u8], what: &str) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} is not 32 bytes")))
}

fn u64_of(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} is negative ({v})")))
}

/// A journal row, its text and payload borrowed from SQLite's row buffer.
fn row_to_ref<'r>(
    r: &'r rusqlite::Row<'_>,
) -> Result<Result<JournalEntryRef<'r>, StoreError>, rusqlite::Error> {
    fn col<'r, T>(
        r: &'r rusqlite::Row<'_>,
        i: usize,
        f: fn(rusqlite::types::ValueRef<'r>) -> rusqlite::types::FromSqlResult<T>,
    ) -> Result<T, rusqlite::Error> {
        let v = r.get_ref(i)?;
        let t = v.data_type();
        f(v).map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, t, Box::new(e)))
    }
    let seq: i64 = r.get(0)?;
    let prev = col(r, 1, |v| v.as_blob())?;
    let hash = col(r, 2, |v| v.as_blob())?;
    let ts: i64 = r.get(3)?;
    let actor = col(r, 4, |v| v.as_str())?;
    let key = col(r, 5, |v| v.as_str())?;
    let format: i64 = r.get(6)?;
    let payload = col(r, 7, |v| v.as_blob())?;
    Ok((|| {
        Ok(JournalEntryRef {
            seq: u64_of(seq, "journal.seq")?,
            prev_hash: hash32(prev, "journal.prev_hash")?,
            hash: hash32(hash, "journal.hash")?,
            ts: Timestamp::from_millis(ts)
                .map_err(|e| StoreError::Corrupt(format!("journal.ts_ms of {seq}: {e}")))?,
            actor: UserId::parse(actor)
                .map_err(|e| StoreError::Corrupt(format!("journal.actor of {seq}: {e}")))?,
            key,
            format: u16::try_from(format)
                .map_err(|_| StoreError::Corrupt(format!("journal.format of {seq}")))?,
            payload,
        })
    })())
}

fn row_to_entry(
    r: &rusqlite::Row<'_>,
) -> Result<Result<JournalEntry, StoreError>, rusqlite::Error> {
    Ok(row_to_ref(r)?.map(|e| e.to_entry()))
}

const JOURNAL_COLS: &str = "seq, prev_hash, hash, ts_ms, actor, idem_key, format, payload";

impl Store for SqliteStore {
    fn migrate(&mut self) -> Result<(), StoreError> {
        migrations::run(&mut self.conn)
    }

    fn head(&mut self) -> Result<(u64, [u8; 32]), StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
            .map_err(be("head"))?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(be("head"))?;
        match row {
            None => Ok((0, [0; 32])),
            Some((seq, hash)) => Ok((u64_of(seq, "journal.seq")?, hash32(&hash, "journal.hash")?)),
        }
    }

    fn scan_journal(
        &mut self,
        after: u64,
        f: &mut dyn FnMut(JournalEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.journal_rows(after, &mut |r| {
            f(row_to_entry(r).map_err(be("scan journal"))??)
        })
    }

    fn scan_journal_refs(
        &mut self,
        after: u64,
        f: &mut dyn FnMut(JournalEntryRef<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.journal_rows(after, &mut |r| {
            f(row_to_ref(r).map_err(be("scan journal"))??)
        })
    }

    fn entry(&mut self, seq: u64) -> Result<Option<JournalEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {JOURNAL_COLS} FROM journal WHERE seq = ?1"
            ))
            .map_err(be("entry"))?;
        match stmt
            .query_row([seq as i64], row_to_entry)
            .optional()
            .map_err(be("entry"))?
        {
            None => Ok(None),
            Some(e) => Ok(Some(e?)),
        }
    }

    fn commit(&mut self, c: &Commit) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be("begin"))?;
        let head: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM journal", [], |r| {
                r.get(0)
            })
            .map_err(be("head"))?;
        if head as u64 != c.expected_head {
            return Err(StoreError::Conflict {
                expected: c.expected_head,
                found: head as u64,
            });
        }
        {
            let mut ins = tx
                .prepare_cached(&format!(
                    "INSERT INTO journal ({JOURNAL_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ))
                .map_err(be("insert journal"))?;
            for e in &c.entries {
                ins.execute(params![
                    e.seq as i64,
                    &e.prev_hash[..],
                    &e.hash[..],
                    e.ts.millis(),
                    e.actor.as_str(),
                    &e.key,
                    i64::from(e.format),
                    &e.payload
                ])
                .map_err(be("insert journal"))?;
            }
            let mut res = tx
                .prepare_cached("INSERT INTO command_results (idem_key, digest, seq, result_json) VALUES (?1, ?2, ?3, ?4)")
                .map_err(be("insert result"))?;
            for r in &c.results {
                match res.execute(params![
                    &r.key,
                    &r.digest[..],
                    r.seq.map(|s| s as i64),
                    &r.result_json
                ]) {
                    Ok(_) => {}
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == ErrorCode::ConstraintViolation =>
                    {
                        return Err(StoreError::KeyTaken(r.key.clone()));
                    }
                    Err(e) => return Err(StoreError::backend("insert result", e)),
                }
            }
            let mut del = tx
                .prepare_cached("DELETE FROM holdings WHERE series = ?1 AND location = ?2")
                .map_err(be("holdings"))?;
            for (s, location) in &c.delta.holdings_delete {
                del.execute(params![s, location]).map_err(be("holdings"))?;
            }
            let mut up = tx
                .prepare_cached(
                    "INSERT INTO holdings (series, location, serials, ranges) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (series, location) DO UPDATE SET serials = excluded.serials, ranges = excluded.ranges",
                )
                .map_err(be("holdings"))?;
            for h in &c.delta.holdings_upsert {
                up.execute(params![&h.series, &h.location, h.serials as i64, &h.ranges])
                    .map_err(be("holdings"))?;
            }
            let mut odel = tx
                .prepare_cached("DELETE FROM objects WHERE kind = ?1 AND id = ?2")
                .map_err(be("objects"))?;
            for (k, id) in &c.delta.objects_delete {
                odel.execute(params![k, id]).map_err(be("objects"))?;
            }
            let mut oup = tx
                .prepare_cached(
                    "INSERT INTO objects (kind, id, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                )
                .map_err(be("objects"))?;
            for o in &c.delta.objects_upsert {
                oup.execute(params![&o.kind, &o.id, &o.body])
                    .map_err(be("objects"))?;
            }
        }
        tx.commit().map_err(be("commit"))
    }

    fn result(&mut self, key: &str) -> Result<Option<CommandResult>, StoreError> {
        let row: Option<(String, Vec<u8>, Option<i64>, String)> = self
            .conn
            .prepare_cached("SELECT idem_key, digest, seq, result_json FROM command_results WHERE idem_key = ?1")
            .map_err(be("result"))?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()
            .map_err(be("result"))?;
        row.map(to_result).transpose()
    }

    fn scan_results(&mut self, f: &mut dyn FnMut(CommandResult)) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT idem_key, digest, seq, result_json FROM command_results")
            .map_err(be("results"))?;
        let mut rows = stmt.query([]).map_err(be("results"))?;
        while let Some(r) = rows.next().map_err(be("results"))? {
            f(to_result((
                r.get(0).map_err(be("results"))?,
                r.get(1).map_err(be("results"))?,
                r.get(2).map_err(be("results"))?,
                r.get(3).map_err(be("results"))?,
            ))?);
        }
        Ok(())
    }

    fn scan_rejected_keys(&mut self, f: &mut dyn FnMut(&str)) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT idem_key FROM command_results WHERE seq IS NULL")
            .map_err(be("results"))?;
        let mut rows = stmt.query([]).map_err(be("results"))?;
        while let Some(r) = rows.next().map_err(be("results"))? {
            f(r.get_ref(0)
                .and_then(|v| {
                    v.as_str().map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(0, v.data_type(), Box::new(e))
                    })
                })
                .map_err(be("results"))?);
        }
        Ok(())
    }

    fn holdings(&mut self) -> Result<Vec<HoldingRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT series, location, serials, ranges FROM holdings")
            .map_err(be("holdings"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(be("holdings"))?;
        let mut out = Vec::new();
        for r in rows {
            let (series, location, n, ranges) = r.map_err(be("holdings"))?;
            out.push(HoldingRow {
                series,
                location,
                serials: u64_of(n, "holdings.serials")?,
                ranges,
            });
        }
        out.sort();
        Ok(out)
    }

    fn objects(&mut self) -> Result<Vec<ObjectRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT kind, id, body FROM objects")
            .map_err(be("objects"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ObjectRow {
                    kind: r.get(0)?,
                    id: r.get(1)?,
                    body: r.get(2)?,
                })
            })
            .map_err(be("objects"))?;
        let mut out = rows.collect::<Result<Vec<_>, _>>().map_err(be("objects"))?;
        out.sort();
        Ok(out)
    }

    fn execute_sql(&mut self, sql: &str) -> Result<(), StoreError> {
        self.conn.execute_batch(sql).map_err(be("execute"))
    }

    fn naive(&mut self) -> &mut dyn NaiveLedger {
        self
    }
}

fn to_result(
    (key, digest, seq, result_json): (String, Vec<u8>, Option<i64>, String),
) -> Result<CommandResult, StoreError> {
    Ok(CommandResult {
        digest: hash32(&digest, "command_results.digest")?,
        seq: seq.map(|s| u64_of(s, "command_results.seq")).transpose()?,
        key,
        result_json,
    })
}
