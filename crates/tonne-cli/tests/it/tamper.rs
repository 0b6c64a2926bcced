//! Tamper detection: edits made straight in the SQLite file, as an attacker with file access
//! would, are found by `tonne verify`, which exits 1 and names the failed check.

use crate::util::*;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use std::path::Path;
use tonne_core::{Timestamp, UserId};
use tonne_registry::{Command, JournalEntry};

fn sql(db: &Path, sql: &str) {
    let conn = Connection::open(db).expect("open sqlite");
    conn.execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs verify and checks that it fails with `check` (and `seq` when given).
fn assert_detects(db: &Path, check: &str, seq: Option<u64>) -> Value {
    let (code, v) = verify(db);
    assert_eq!(v["ok"], json!(false), "tampering went unnoticed: {v}");
    assert_eq!(code, 1, "a failed verify exits with 1: {v}");
    assert_eq!(v["check"], json!(check), "{v}");
    if let Some(s) = seq {
        assert_eq!(v["first_bad_seq"], json!(s), "{v}");
    }
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
    // Text mode says FAILED too.
    let r = tonne(["verify", "--db", p(db)]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains(&format!("FAILED check {check}")), "{r:?}");
    v
}

#[test]
fn holdings_row_ranges_edit_is_detected() {
    let (_d, db) = demo_db();
    assert_verify_ok(&db);
    sql(
        &db,
        "UPDATE holdings SET ranges = '150001-179999', serials = 29999 WHERE series = 'CA-QC/ALW/2026' AND location = 'account:QC3001-H'",
    );
    let v = assert_detects(&db, "state", None);
    assert!(v["detail"].as_str().unwrap().contains("holdings"), "{v}");
}

#[test]
fn holdings_row_moved_deleted_or_inverted_is_detected() {
    let (_d, db) = demo_db();
    sql(
        &db,
        "UPDATE holdings SET location = 'account:CA3001-H' WHERE series = 'CA-QC/ALW/2026' AND location = 'account:QC3001-H'",
    );
    assert_detects(&db, "state", None);

    let (_d, db) = demo_db();
    sql(
        &db,
        "DELETE FROM holdings WHERE series = 'CA-QC/ALW/2026' AND location = 'account:QC3001-H'",
    );
    assert_detects(&db, "state", None);

    let (_d, db) = demo_db();
    sql(
        &db,
        "INSERT INTO holdings VALUES ('CA-QC/ALW/2026', 'account:CA3001-H', 0, '900001-900000')",
    );
    assert_detects(&db, "negative", None);

    // A count that disagrees with the ranges it lists.
    let (_d, db) = demo_db();
    sql(
        &db,
        "UPDATE holdings SET serials = serials + 5 WHERE series = 'CA-QC/ALW/2026' AND location = 'account:QC3001-H'",
    );
    assert_detects(&db, "negative", None);
}

#[test]
fn objects_body_edit_is_detected() {
    let (_d, db) = demo_db();
    sql(
        &db,
        "UPDATE objects SET body = replace(body, '\"holding\"', '\"compliance\"') WHERE kind = 'account' AND id = 'CA3001-H'",
    );
    let v = assert_detects(&db, "state", None);
    assert!(v["detail"].as_str().unwrap().contains("objects"), "{v}");
}

#[test]
fn journal_is_append_only_through_sql() {
    let (_d, db) = demo_db();
    let conn = Connection::open(&db).unwrap();
    let e = conn
        .execute("UPDATE journal SET ts_ms = ts_ms + 1 WHERE seq = 10", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = conn
        .execute(
            "DELETE FROM journal WHERE seq = ?1",
            [tonne_app::demo::journal_entries()],
        )
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    drop(conn);
    assert_verify_ok(&db);
}

#[test]
fn journal_ts_edit_breaks_the_chain_at_that_entry() {
    let (_d, db) = demo_db();
    sql(
        &db,
        "DROP TRIGGER journal_no_update; UPDATE journal SET ts_ms = ts_ms + 1000 WHERE seq = 10",
    );
    assert_detects(&db, "chain", Some(10));
}

#[test]
fn journal_payload_edit_breaks_the_chain_at_that_entry() {
    let (_d, db) = demo_db();
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER journal_no_update")
        .unwrap();
    let mut payload: Vec<u8> = conn
        .query_row("SELECT payload FROM journal WHERE seq = 10", [], |r| {
            r.get(0)
        })
        .unwrap();
    // seq 10 adds user Dana: rename her, keeping the length so the payload still decodes.
    let at = payload
        .windows(4)
        .position(|w| w == b"Dana")
        .expect("seq 10 names Dana");
    payload[at..at + 4].copy_from_slice(b"Dora");
    conn.execute(
        "UPDATE journal SET payload = ?1 WHERE seq = 10",
        params![payload],
    )
    .unwrap();
    drop(conn);
    assert_detects(&db, "chain", Some(10));

    // The ledger refuses to open on a broken chain too: apply does nothing.
    let dir = tempfile::tempdir().unwrap();
    let f = write_file(
        dir.path(),
        "one.jsonl",
        &[env(
            "after-tamper",
            "2027-11-03T10:00:00Z",
            "admin",
            json!({"tick": {}}),
        )],
    );
    let r = tonne(["apply", p(&f), "--db", p(&db), "--json"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("journal entry 10 does not replay"),
        "{r:?}"
    );
    assert_eq!(head(&db).0, tonne_app::demo::journal_entries());
}

#[test]
fn journal_entry_removed_from_the_middle_or_the_end_is_detected() {
    let (_d, db) = demo_db();
    sql(
        &db,
        "DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = 30",
    );
    // The missing entry, 30, is the first bad one.
    let v = assert_detects(&db, "chain", Some(30));
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("expected seq 30, found 31"),
        "{v}"
    );

    // Cutting the tail leaves a valid chain, but the stored state is ahead of it.
    let (_d, db) = demo_db();
    sql(
        &db,
        &format!(
            "DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = {}",
            tonne_app::demo::journal_entries()
        ),
    );
    assert_detects(&db, "state", None);
}

/// An attacker who rewrites an entry *and re-seals every later entry* keeps the chain valid;
/// the stored state no longer matches, and the head hash differs from any anchored copy.
#[test]
fn resealed_journal_rewrite_is_detected_by_the_state_check_and_the_head() {
    let (_d, db) = demo_db();
    let anchored = head(&db);
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER journal_no_update")
        .unwrap();
    let mut prev: Vec<u8> = conn
        .query_row("SELECT hash FROM journal WHERE seq = 9", [], |r| r.get(0))
        .unwrap();
    let rows: Vec<(i64, i64, String, String, i64, Vec<u8>)> = conn
        .prepare("SELECT seq, ts_ms, actor, idem_key, format, payload FROM journal WHERE seq >= 10 ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (seq, ts, actor, key, format, payload) in rows {
        let e = JournalEntry {
            seq: seq as u64,
            prev_hash: prev.clone().try_into().unwrap(),
            hash: [0; 32],
            ts: Timestamp::from_millis(ts).unwrap(),
            actor: UserId::parse(&actor).unwrap(),
            key,
            format: format as u16,
            payload,
        };
        let (mut envelope, effects) = e.decode().unwrap();
        if let Command::AddUser { name, .. } = &mut envelope.cmd
            && seq == 10
        {
            *name = "Mallory (posing as Dana)".into();
        }
        let sealed = JournalEntry::seal(seq as u64, e.prev_hash, &envelope, &effects);
        conn.execute(
            "UPDATE journal SET prev_hash = ?1, hash = ?2, payload = ?3 WHERE seq = ?4",
            params![
                &sealed.prev_hash[..],
                &sealed.hash[..],
                &sealed.payload,
                seq
            ],
        )
        .unwrap();
        prev = sealed.hash.to_vec();
    }
    drop(conn);
    let v = assert_detects(&db, "state", None);
    assert!(v["detail"].as_str().unwrap().contains("user dana"), "{v}");
    assert_ne!(
        head(&db).1,
        anchored.1,
        "the head hash no longer matches the anchored one"
    );
}
