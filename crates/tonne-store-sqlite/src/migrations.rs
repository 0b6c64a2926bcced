//! Embedded migrations. Each step runs once, in order, inside a transaction; `schema_version`
//! records the last one applied. The PostgreSQL backend has the same tables.

use rusqlite::Connection;
use tonne_store::StoreError;

const STEPS: &[&str] = &[
    // 1: the journal, command results, state rows.
    "CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        ts_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        idem_key TEXT NOT NULL,
        format INTEGER NOT NULL,
        payload BLOB NOT NULL
    );
    CREATE TABLE command_results (
        idem_key TEXT PRIMARY KEY,
        digest BLOB NOT NULL,
        seq INTEGER,
        result_json TEXT NOT NULL
    );
    CREATE TABLE holdings (
        series TEXT NOT NULL,
        location TEXT NOT NULL,
        serials INTEGER NOT NULL,
        ranges TEXT NOT NULL,
        PRIMARY KEY (series, location)
    );
    CREATE INDEX holdings_location ON holdings (location);
    CREATE TABLE objects (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, id)
    ) WITHOUT ROWID;
    -- The journal is append-only: refuse updates and deletes through SQL.
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;",
    // 2: the keys of rejected commands (no journal entry), read whenever a ledger opens to
    // rebuild its idempotency index: indexed on their own, so opening reads only them instead
    // of scanning every command's result.
    "CREATE INDEX command_results_rejected ON command_results (idem_key) WHERE seq IS NULL;",
];

pub fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let be = |e: rusqlite::Error| StoreError::backend("migrate", e);
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(be)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(be)?;
    let current: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .map_err(be)?;
    if current as usize > STEPS.len() {
        return Err(StoreError::Schema(format!(
            "schema version {current} is newer than this build ({})",
            STEPS.len()
        )));
    }
    for (i, step) in STEPS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(step).map_err(be)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [(i + 1) as i64],
        )
        .map_err(be)?;
    }
    tx.commit().map_err(be)
}
