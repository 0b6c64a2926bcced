//! Tamper detection: edits made straight in the SQLite file, as an attacker with file access
//! would, are found by `tonne verify`, which exits 1 and names the failed check.

use crate::util::*;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use std::path::Path;
use tonne_core::{Timestamp, UserId};
use tonne_registry::{Command, Effect, JournalEntry, Loc};

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

/// Rewrites the journal from `from` on as an attacker who can re-seal would: `edit` changes
/// any entry's command and recorded effects, and every entry from `from` is sealed again, so the
/// hash chain stays valid.
fn reseal_from(
    db: &Path,
    from: u64,
    mut edit: impl FnMut(u64, &mut tonne_registry::Envelope, &mut Vec<Effect>),
) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch("DROP TRIGGER journal_no_update")
        .unwrap();
    let mut prev: Vec<u8> = conn
        .query_row("SELECT hash FROM journal WHERE seq = ?1", [from - 1], |r| {
            r.get(0)
        })
        .unwrap();
    for mut e in entries_from(&conn, from) {
        e.prev_hash = prev.clone().try_into().unwrap();
        let (mut envelope, mut effects) = e.decode().unwrap();
        edit(e.seq, &mut envelope, &mut effects);
        let sealed = JournalEntry::seal(e.seq, e.prev_hash, &envelope, &effects);
        conn.execute(
            "UPDATE journal SET prev_hash = ?1, hash = ?2, payload = ?3, actor = ?4 WHERE seq = ?5",
            params![
                &sealed.prev_hash[..],
                &sealed.hash[..],
                &sealed.payload,
                sealed.actor.as_str(),
                e.seq as i64
            ],
        )
        .unwrap();
        prev = sealed.hash.to_vec();
    }
}

/// The journal's entries from seq `from` on, as stored.
fn entries_from(conn: &Connection, from: u64) -> Vec<JournalEntry> {
    conn.prepare("SELECT seq, prev_hash, hash, ts_ms, actor, idem_key, format, payload FROM journal WHERE seq >= ?1 ORDER BY seq")
        .unwrap()
        .query_map([from as i64], |r| {
            let (prev, hash): (Vec<u8>, Vec<u8>) = (r.get(1)?, r.get(2)?);
            Ok(JournalEntry {
                seq: r.get::<_, i64>(0)? as u64,
                prev_hash: prev.try_into().unwrap(),
                hash: hash.try_into().unwrap(),
                ts: Timestamp::from_millis(r.get(3)?).unwrap(),
                actor: UserId::parse(&r.get::<_, String>(4)?).unwrap(),
                key: r.get(5)?,
                format: r.get::<_, i64>(6)? as u16,
                payload: r.get(7)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The first entry of the demo journal that moves serials between two accounts.
fn first_account_move(db: &Path) -> u64 {
    let conn = Connection::open(db).unwrap();
    entries_from(&conn, 1)
        .into_iter()
        .find(|e| {
            e.decode().unwrap().1.iter().any(|x| {
                matches!(x, Effect::Moved(m)
                    if matches!((&m.from, &m.to), (Loc::Account(_), Loc::Account(_))))
            })
        })
        .expect("the demo moves serials between accounts")
        .seq
}

/// An attacker who rewrites an entry *and re-seals every later entry* keeps the chain valid;
/// the stored state no longer matches, and the head hash differs from any anchored copy.
#[test]
fn resealed_journal_rewrite_is_detected_by_the_state_check_and_the_head() {
    let (_d, db) = demo_db();
    let anchored = head(&db);
    reseal_from(&db, 10, |seq, envelope, _| {
        if let Command::AddUser { name, .. } = &mut envelope.cmd
            && seq == 10
        {
            *name = "Mallory (posing as Dana)".into();
        }
    });
    let v = assert_detects(&db, "state", None);
    assert!(v["detail"].as_str().unwrap().contains("user dana"), "{v}");
    assert_ne!(
        head(&db).1,
        anchored.1,
        "the head hash no longer matches the anchored one"
    );
}

/// Re-sealed recorded effects that the command does not produce are found at that entry, even
/// when a later entry no longer replays either: the first failure in journal order is the one
/// reported, whichever of replay's two threads finds it.
#[test]
fn resealed_effects_that_the_command_does_not_produce_are_found_at_their_entry() {
    let (_d, db) = demo_db();
    let n = first_account_move(&db);
    reseal_from(&db, n, |seq, envelope, effects| {
        if seq == n + 1 {
            // And the next entry refused on replay (signed by nobody the registry knows).
            envelope.actor = UserId::parse("mallory").unwrap();
        }
        if seq == n {
            // The first move's serials recorded as retired rather than moved.
            let Some(Effect::Moved(m)) = effects.iter_mut().find(|e| matches!(e, Effect::Moved(_)))
            else {
                unreachable!("entry {n} moves serials")
            };
            m.to = Loc::Retired;
        }
    });
    let v = assert_detects(&db, "effects", Some(n));
    assert_eq!(v["entries"], json!(n - 1), "{v}");
}

/// A re-sealed command that the rules refuse on replay is found at that entry.
#[test]
fn resealed_command_refused_on_replay_is_found_at_its_entry() {
    let (_d, db) = demo_db();
    let n = first_account_move(&db);
    reseal_from(&db, n, |seq, envelope, _| {
        if seq == n {
            // Signed by nobody the registry knows.
            envelope.actor = UserId::parse("mallory").unwrap();
        }
    });
    let v = assert_detects(&db, "replay", Some(n));
    assert_eq!(v["entries"], json!(n - 1), "{v}");
}
