//! SQLite passes the store contract.

use tonne_store::Store;
use tonne_store_sqlite::SqliteStore;

#[test]
fn sqlite_passes_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    tonne_store::contract::run_all(&mut || {
        n += 1;
        let path = dir.path().join(format!("contract-{n}.db"));
        let mut s = SqliteStore::open(path.to_str().unwrap()).unwrap();
        s.migrate().unwrap();
        Box::new(s) as Box<dyn Store>
    });
}

#[test]
fn journal_rows_refuse_update_and_delete() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    s.migrate().unwrap();
    s.migrate().unwrap(); // idempotent
    s.execute_sql("INSERT INTO journal VALUES (1, x'00', x'00', 0, 'a', 'k', 1, x'00')")
        .unwrap();
    assert!(s.execute_sql("UPDATE journal SET actor = 'b'").is_err());
    assert!(s.execute_sql("DELETE FROM journal").is_err());
}

#[test]
fn opening_reads_rejected_keys_through_their_own_index() {
    // A ledger reads these keys every time it opens: they must not cost a scan of every result.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.db");
    SqliteStore::open(path.to_str().unwrap())
        .unwrap()
        .migrate()
        .unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let plan: Vec<String> = conn
        .prepare("EXPLAIN QUERY PLAN SELECT idem_key FROM command_results WHERE seq IS NULL")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|p| p.contains("command_results_rejected")),
        "{plan:?}"
    );
}
