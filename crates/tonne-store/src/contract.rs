//! The contract every backend passes. Each backend's integration test calls [`run_all`] with a
//! factory that returns a fresh, empty store (migrated or not: every case migrates twice itself,
//! which also checks that `migrate` is idempotent). Each case gets its own store.
//!
//! Besides the trait, the contract fixes two things about the SQL a backend keeps: the journal
//! refuses `UPDATE` and `DELETE` (it is append-only), and `holdings` and `objects` can be altered
//! with `execute_sql` under their shared table and column names (tests tamper with them).
//!
//! The naive-ledger cases look inside the backend through `execute_sql`, because the trait
//! exposes no balances or serials. They rely on the one part of the naive schema every backend
//! shares: a table `naive_ranges(account, start_serial, end_serial)` whose rows are inclusive
//! serial ranges keyed by the `u32` account ids that `transfer` takes. The probes use only SQL that
//! PostgreSQL and SQLite both accept (`CREATE TABLE … AS SELECT`, scalar subqueries, `CASE`, and
//! a `CHECK` constraint that turns a false condition into an error). The cases use accounts 1, 2
//! and 3 only, so they hold whether setup numbers accounts from 0 or from 1, and they assume only
//! that the 4 accounts are spread evenly over the 2 groups.

use crate::{CommandResult, Commit, Store, StoreError};
use tonne_core::{Timestamp, UserId};
use tonne_registry::JournalEntry;
use tonne_registry::export::{HoldingRow, ObjectRow, RowDelta};

pub fn run_all(make: &mut dyn FnMut() -> Box<dyn Store>) {
    empty_head(fresh(make));
    journal_round_trip(fresh(make));
    scan_stops_on_callback_error(fresh(make));
    wrong_head_conflicts(fresh(make));
    key_taken_writes_nothing(fresh(make));
    results_round_trip(fresh(make));
    holdings_delta(fresh(make));
    objects_delta(fresh(make));
    rows_sorted(fresh(make));
    is_empty(fresh(make));
    execute_sql_tampers(fresh(make));
    journal_append_only(fresh(make));
    bulk_commit(fresh(make));
    naive_transfers(fresh(make));
    naive_group_limit(fresh(make));
}

fn fresh(make: &mut dyn FnMut() -> Box<dyn Store>) -> Box<dyn Store> {
    let mut s = make();
    s.migrate().expect("migrate on a fresh store");
    s.migrate().expect("migrate twice is harmless");
    s
}

// ---------------------------------------------------------------------------------------------
// Builders

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("test timestamp parses")
}

/// A properly chained entry; the payload is arbitrary bytes (stores never decode it).
fn entry(seq: u64, prev_hash: [u8; 32], payload: Vec<u8>) -> JournalEntry {
    let mut e = JournalEntry {
        seq,
        prev_hash,
        hash: [0; 32],
        ts: ts("2026-01-05T10:00:00Z"),
        actor: UserId::parse("alice").expect("valid user id"),
        key: format!("key-{seq}"),
        format: 1,
        payload,
    };
    e.hash = e.compute_hash();
    e
}

/// `n` entries continuing the chain after (`head`, `hash`).
fn chain(head: u64, hash: [u8; 32], n: u64) -> Vec<JournalEntry> {
    let mut prev = hash;
    (head + 1..=head + n)
        .map(|seq| {
            let e = entry(seq, prev, format!("payload {seq}").into_bytes());
            prev = e.hash;
            e
        })
        .collect()
}

/// `n` entries continuing the chain from the store's head.
fn continue_chain(s: &mut dyn Store, n: u64) -> Vec<JournalEntry> {
    let (head, hash) = s.head().expect("head");
    chain(head, hash, n)
}

/// Three entries exercising the awkward corners: an empty payload, NUL and non-UTF-8 bytes, a
/// non-ASCII key, millisecond timestamps, and the extreme format numbers.
fn three_entries() -> Vec<JournalEntry> {
    let mut a = entry(1, [0; 32], Vec::new());
    a.format = 0;
    a.hash = a.compute_hash();
    let mut b = entry(2, a.hash, vec![0, 0xff, 0x80, 0, 1, 2, 0xfe]);
    b.ts = ts("2026-01-05T10:00:00.123Z");
    b.key = "clé/ü 2 'quoted'".into();
    b.hash = b.compute_hash();
    let mut c = entry(3, b.hash, (0..=255u8).cycle().take(70_000).collect());
    c.format = u16::MAX;
    c.actor = UserId::parse("bob.smith:ops").expect("valid user id");
    c.hash = c.compute_hash();
    vec![a, b, c]
}

fn result(key: &str, seq: Option<u64>) -> CommandResult {
    let mut digest = [0u8; 32];
    for (i, d) in digest.iter_mut().enumerate() {
        *d = (i as u8).wrapping_mul(37) ^ key.len() as u8;
    }
    let result_json = match seq {
        Some(s) => format!(r#"{{"ok":{{"seq":{s}}}}}"#),
        None => r#"{"rejected":{"code":"insufficient_holding","detail":"ü \"quoted\""}}"#.into(),
    };
    CommandResult {
        key: key.into(),
        digest,
        seq,
        result_json,
    }
}

/// A holdings row with one serial range `start..=end`.
fn hrow(series: &str, start: u64, end: u64, location: &str) -> HoldingRow {
    HoldingRow {
        series: series.into(),
        location: location.into(),
        serials: end - start + 1,
        ranges: if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        },
    }
}

fn orow(kind: &str, id: &str, body: &str) -> ObjectRow {
    ObjectRow {
        kind: kind.into(),
        id: id.into(),
        body: body.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Readers

fn journal(s: &mut dyn Store, after: u64) -> Vec<JournalEntry> {
    let mut out = Vec::new();
    s.scan_journal(after, &mut |e| {
        out.push(e);
        Ok(())
    })
    .expect("scan_journal");
    out
}

/// The journal read through [`Store::scan_journal_refs`], copied out.
fn journal_refs(s: &mut dyn Store, after: u64) -> Vec<JournalEntry> {
    let mut out = Vec::new();
    s.scan_journal_refs(after, &mut |e| {
        out.push(e.to_entry());
        Ok(())
    })
    .expect("scan_journal_refs");
    out
}

fn results(s: &mut dyn Store) -> Vec<CommandResult> {
    let mut out = Vec::new();
    s.scan_results(&mut |r| out.push(r)).expect("scan_results");
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// Everything a store holds, to show that a failed commit changed nothing.
#[derive(Debug, PartialEq)]
struct Snapshot {
    head: (u64, [u8; 32]),
    journal: Vec<JournalEntry>,
    results: Vec<CommandResult>,
    holdings: Vec<HoldingRow>,
    objects: Vec<ObjectRow>,
}

fn snapshot(s: &mut dyn Store) -> Snapshot {
    Snapshot {
        head: s.head().expect("head"),
        journal: journal(s, 0),
        results: results(s),
        holdings: s.holdings().expect("holdings"),
        objects: s.objects().expect("objects"),
    }
}

// ---------------------------------------------------------------------------------------------
// Cases

fn empty_head(mut s: Box<dyn Store>) {
    assert_eq!(
        s.head().expect("head"),
        (0, [0; 32]),
        "empty_head: a fresh store's head is (0, zero hash)"
    );
    assert!(
        journal(&mut *s, 0).is_empty(),
        "empty_head: a fresh store has no journal"
    );
    assert_eq!(
        s.entry(1).expect("entry"),
        None,
        "empty_head: entry 1 of a fresh store is absent"
    );
    assert!(
        s.holdings().expect("holdings").is_empty(),
        "empty_head: a fresh store has no holdings"
    );
    assert!(
        s.objects().expect("objects").is_empty(),
        "empty_head: a fresh store has no objects"
    );
}

fn journal_round_trip(mut s: Box<dyn Store>) {
    let written = three_entries();
    s.commit(&Commit {
        expected_head: 0,
        entries: written.clone(),
        ..Commit::default()
    })
    .expect("journal_round_trip: commit of 3 entries");
    assert_eq!(
        s.head().expect("head"),
        (3, written[2].hash),
        "journal_round_trip: head is the last entry"
    );
    assert_eq!(
        journal(&mut *s, 0),
        written,
        "journal_round_trip: scan from 0 returns exactly what was written"
    );
    assert_eq!(
        journal(&mut *s, 1),
        written[1..],
        "journal_round_trip: scan after 1 returns entries 2 and 3"
    );
    assert!(
        journal(&mut *s, 3).is_empty(),
        "journal_round_trip: scan after the head returns nothing"
    );
    for after in [0, 1, 3] {
        assert_eq!(
            journal_refs(&mut *s, after),
            written[after as usize..],
            "journal_round_trip: scan_journal_refs after {after} lends exactly what was written"
        );
    }
    assert!(
        journal(&mut *s, 99).is_empty(),
        "journal_round_trip: scan after beyond the head returns nothing"
    );
    for e in &written {
        assert_eq!(
            s.entry(e.seq).expect("entry").as_ref(),
            Some(e),
            "journal_round_trip: entry({}) is byte-exact",
            e.seq
        );
    }
    assert_eq!(
        s.entry(0).expect("entry"),
        None,
        "journal_round_trip: entry(0) is absent"
    );
    assert_eq!(
        s.entry(4).expect("entry"),
        None,
        "journal_round_trip: entry(head + 1) is absent"
    );

    // A second commit continues the chain.
    let more = chain(3, written[2].hash, 2);
    s.commit(&Commit {
        expected_head: 3,
        entries: more.clone(),
        ..Commit::default()
    })
    .expect("journal_round_trip: second commit on the right head");
    assert_eq!(
        s.head().expect("head"),
        (5, more[1].hash),
        "journal_round_trip: head after the second commit"
    );
    assert_eq!(
        journal(&mut *s, 3),
        more,
        "journal_round_trip: scan after 3 returns the second commit"
    );
    assert_eq!(
        journal(&mut *s, 0).len(),
        5,
        "journal_round_trip: 5 entries in all"
    );
}

fn scan_stops_on_callback_error(mut s: Box<dyn Store>) {
    s.commit(&Commit {
        expected_head: 0,
        entries: chain(0, [0; 32], 5),
        ..Commit::default()
    })
    .expect("scan_stops_on_callback_error: commit");
    let mut seen = 0;
    let r = s.scan_journal(0, &mut |_| {
        seen += 1;
        if seen == 2 {
            Err(StoreError::Corrupt("stop here".into()))
        } else {
            Ok(())
        }
    });
    assert!(
        matches!(&r, Err(StoreError::Corrupt(m)) if m == "stop here"),
        "scan_stops_on_callback_error: the callback's error is returned, got {r:?}"
    );
    assert_eq!(
        seen, 2,
        "scan_stops_on_callback_error: no entries are delivered after the error"
    );
    // The store stays usable after an abandoned scan.
    assert_eq!(
        s.head().expect("head").0,
        5,
        "scan_stops_on_callback_error: store usable after the error"
    );
    assert_eq!(
        journal(&mut *s, 0).len(),
        5,
        "scan_stops_on_callback_error: a full scan afterwards works"
    );
    let mut seen = 0;
    let r = s.scan_journal_refs(0, &mut |_| {
        seen += 1;
        if seen == 3 {
            Err(StoreError::Corrupt("stop here".into()))
        } else {
            Ok(())
        }
    });
    assert!(
        matches!(&r, Err(StoreError::Corrupt(m)) if m == "stop here") && seen == 3,
        "scan_stops_on_callback_error: scan_journal_refs stops at the callback's error, got {r:?}"
    );
    assert_eq!(
        journal_refs(&mut *s, 0).len(),
        5,
        "scan_stops_on_callback_error: a full scan_journal_refs afterwards works"
    );
}

fn wrong_head_conflicts(mut s: Box<dyn Store>) {
    let first = chain(0, [0; 32], 3);
    s.commit(&Commit {
        expected_head: 0,
        entries: first.clone(),
        results: vec![result("k1", Some(1))],
        delta: RowDelta {
            holdings_upsert: vec![hrow("CA/CCA/2026", 1, 100, "account:A")],
            ..RowDelta::default()
        },
    })
    .expect("wrong_head_conflicts: first commit");
    let before = snapshot(&mut *s);

    for expected in [0, 2, 5] {
        let r = s.commit(&Commit {
            expected_head: expected,
            entries: chain(expected, [7; 32], 1),
            results: vec![result(&format!("conflict-{expected}"), Some(expected + 1))],
            delta: RowDelta {
                holdings_delete: vec![("CA/CCA/2026".into(), "account:A".into())],
                objects_upsert: vec![orow("meta", "registry", "{}")],
                ..RowDelta::default()
            },
        });
        assert!(
            matches!(r, Err(StoreError::Conflict { expected: e, found: 3 }) if e == expected),
            "wrong_head_conflicts: expected_head {expected} on head 3 is a Conflict, got {r:?}"
        );
        assert_eq!(
            snapshot(&mut *s),
            before,
            "wrong_head_conflicts: a conflicting commit writes nothing"
        );
    }
}

fn key_taken_writes_nothing(mut s: Box<dyn Store>) {
    let first = chain(0, [0; 32], 2);
    s.commit(&Commit {
        expected_head: 0,
        entries: first.clone(),
        results: vec![result("k1", Some(1)), result("k2", Some(2))],
        delta: RowDelta {
            holdings_upsert: vec![hrow("CA/CCA/2026", 1, 100, "account:A")],
            objects_upsert: vec![orow("account", "A", r#"{"v":1}"#)],
            ..RowDelta::default()
        },
    })
    .expect("key_taken_writes_nothing: first commit");
    let before = snapshot(&mut *s);

    // The taken key comes after a fresh one, so a backend that writes row by row must undo.
    let r = s.commit(&Commit {
        expected_head: 2,
        entries: chain(2, first[1].hash, 2),
        results: vec![result("k3", Some(3)), result("k2", Some(4))],
        delta: RowDelta {
            holdings_delete: vec![("CA/CCA/2026".into(), "account:A".into())],
            holdings_upsert: vec![
                hrow("CA/CCA/2026", 1, 50, "account:B"),
                hrow("CA/CCA/2027", 1, 10, "retired"),
            ],
            objects_delete: vec![("account".into(), "A".into())],
            objects_upsert: vec![orow("account", "B", "{}")],
        },
    });
    assert!(
        matches!(&r, Err(StoreError::KeyTaken(k)) if k == "k2"),
        "key_taken_writes_nothing: a stored key is KeyTaken(\"k2\"), got {r:?}"
    );
    assert_eq!(
        snapshot(&mut *s),
        before,
        "key_taken_writes_nothing: journal, results, holdings and objects are all unchanged"
    );
    assert_eq!(
        s.result("k3").expect("result"),
        None,
        "key_taken_writes_nothing: the fresh key of the failed commit is absent"
    );

    // The store is still usable on the same head.
    s.commit(&Commit {
        expected_head: 2,
        entries: chain(2, first[1].hash, 1),
        results: vec![result("k3", Some(3))],
        ..Commit::default()
    })
    .expect("key_taken_writes_nothing: a commit after the failure succeeds");
    assert_eq!(
        s.head().expect("head").0,
        3,
        "key_taken_writes_nothing: head moves after the retry"
    );
}

fn results_round_trip(mut s: Box<dyn Store>) {
    let accepted = result("cmd-accepted", Some(1));
    let rejected = result("cmd-rejected ü", None);
    s.commit(&Commit {
        expected_head: 0,
        entries: chain(0, [0; 32], 1),
        results: vec![accepted.clone(), rejected.clone()],
        ..Commit::default()
    })
    .expect("results_round_trip: commit");
    assert_eq!(
        s.result("cmd-accepted").expect("result"),
        Some(accepted.clone()),
        "results_round_trip: accepted result"
    );
    assert_eq!(
        s.result("cmd-rejected ü").expect("result"),
        Some(rejected.clone()),
        "results_round_trip: rejected result has seq None"
    );
    assert_eq!(
        s.result("missing").expect("result"),
        None,
        "results_round_trip: unknown key is None"
    );

    // A rejection is stored without a journal entry.
    let later = result("cmd-later", None);
    s.commit(&Commit {
        expected_head: 1,
        results: vec![later.clone()],
        ..Commit::default()
    })
    .expect("results_round_trip: results-only commit");
    assert_eq!(
        s.head().expect("head").0,
        1,
        "results_round_trip: a results-only commit leaves the head"
    );
    let mut want = vec![accepted, rejected, later];
    want.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(
        results(&mut *s),
        want,
        "results_round_trip: scan_results returns every stored result"
    );
    let mut rejected_keys = Vec::new();
    s.scan_rejected_keys(&mut |k| rejected_keys.push(k.to_owned()))
        .expect("scan_rejected_keys");
    rejected_keys.sort();
    assert_eq!(
        rejected_keys,
        ["cmd-later", "cmd-rejected ü"],
        "results_round_trip: scan_rejected_keys returns the keys of rejected commands only"
    );
}

fn holdings_delta(mut s: Box<dyn Store>) {
    let big = 3_000_000_000_000u64; // past 32 bits
    s.commit(&Commit {
        expected_head: 0,
        entries: chain(0, [0; 32], 1),
        delta: RowDelta {
            holdings_upsert: vec![
                hrow("CA/CCA/2026", 1, 100, "account:A"),
                hrow("CA/CCA/2026", 101, 200, "account:B"),
                hrow("QC/CCA/2026", big, big + 9, "retired"),
            ],
            ..RowDelta::default()
        },
        ..Commit::default()
    })
    .expect("holdings_delta: first commit");
    assert_eq!(
        s.holdings().expect("holdings"),
        vec![
            hrow("CA/CCA/2026", 1, 100, "account:A"),
            hrow("CA/CCA/2026", 101, 200, "account:B"),
            hrow("QC/CCA/2026", big, big + 9, "retired"),
        ],
        "holdings_delta: rows written as upserted"
    );

    // Delete (CA, account:A) and upsert it again in one delta: deletes go first, so the upsert
    // survives. Upserting (CA, account:B) replaces its count and ranges. Deleting an absent
    // row is harmless.
    let entries = continue_chain(&mut *s, 1);
    s.commit(&Commit {
        expected_head: 1,
        entries,
        delta: RowDelta {
            holdings_delete: vec![
                ("CA/CCA/2026".into(), "account:A".into()),
                ("QC/CCA/2026".into(), "retired".into()),
                ("XX/CCA/2026".into(), "account:A".into()),
            ],
            holdings_upsert: vec![
                hrow("CA/CCA/2026", 1, 40, "account:C"),
                hrow("CA/CCA/2026", 41, 100, "account:A"),
                hrow("CA/CCA/2026", 101, 150, "account:B"),
            ],
            ..RowDelta::default()
        },
        ..Commit::default()
    })
    .expect("holdings_delta: second commit");
    assert_eq!(
        s.holdings().expect("holdings"),
        vec![
            hrow("CA/CCA/2026", 41, 100, "account:A"),
            hrow("CA/CCA/2026", 101, 150, "account:B"),
            hrow("CA/CCA/2026", 1, 40, "account:C"),
        ],
        "holdings_delta: deletes before upserts, upsert on (series, location) replaces the row"
    );
}

fn objects_delta(mut s: Box<dyn Store>) {
    s.commit(&Commit {
        expected_head: 0,
        entries: chain(0, [0; 32], 1),
        delta: RowDelta {
            objects_upsert: vec![
                orow("account", "A", r#"{"v":1}"#),
                orow("account", "B", r#"{"v":1}"#),
                orow("meta", "registry", "{}"),
            ],
            ..RowDelta::default()
        },
        ..Commit::default()
    })
    .expect("objects_delta: first commit");
    let entries = continue_chain(&mut *s, 1);
    s.commit(&Commit {
        expected_head: 1,
        entries,
        delta: RowDelta {
            objects_delete: vec![
                ("account".into(), "B".into()),
                ("account".into(), "never-stored".into()),
            ],
            objects_upsert: vec![orow("account", "A", r#"{"v":2,"note":"ü 'q'"}"#)],
            ..RowDelta::default()
        },
        ..Commit::default()
    })
    .expect("objects_delta: second commit");
    assert_eq!(
        s.objects().expect("objects"),
        vec![
            orow("account", "A", r#"{"v":2,"note":"ü 'q'"}"#),
            orow("meta", "registry", "{}")
        ],
        "objects_delta: upsert replaces the body and objects_delete removes"
    );
}

fn rows_sorted(mut s: Box<dyn Store>) {
    // Mixed case and punctuation, so that a backend sorting by a locale collation would fail:
    // the order is the rows' `Ord` (bytes of series, then of location).
    let mut holdings = vec![
        hrow("a.2026", 1, 1, "x"),
        hrow("B-2026", 100, 100, "x"),
        hrow("a-2026", 10, 10, "x"),
        hrow("B-2026", 9, 9, "X"),
        hrow("A_2026", 5, 5, "x"),
        hrow("B-2026", 10, 10, "x-1"),
        hrow("b-2026", 1, 1, "x"),
    ];
    let mut objects = vec![
        orow("user", "zed", "{}"),
        orow("Account", "b", "{}"),
        orow("account", "B", "{}"),
        orow("account", "a", "{}"),
        orow("account", "a-1", "{}"),
        orow("account", "a.1", "{}"),
        orow("account", "10", "{}"),
        orow("account", "9", "{}"),
    ];
    s.commit(&Commit {
        expected_head: 0,
        entries: chain(0, [0; 32], 1),
        delta: RowDelta {
            holdings_upsert: holdings.clone(),
            objects_upsert: objects.clone(),
            ..RowDelta::default()
        },
        ..Commit::default()
    })
    .expect("rows_sorted: commit");
    holdings.sort();
    objects.sort();
    assert_eq!(
        s.holdings().expect("holdings"),
        holdings,
        "rows_sorted: holdings() sorted by (series, location, ...)"
    );
    assert_eq!(
        s.objects().expect("objects"),
        objects,
        "rows_sorted: objects() sorted by (kind, id)"
    );
}

fn is_empty(mut s: Box<dyn Store>) {
    assert!(
        s.is_empty().expect("is_empty"),
        "is_empty: true on a fresh store"
    );
    s.commit(&Commit {
        expected_head: 0,
        entries: chain(0, [0; 32], 1),
        ..Commit::default()
    })
    .expect("is_empty: commit");
    assert!(
        !s.is_empty().expect("is_empty"),
        "is_empty: false after a commit with an entry"
    );
}

fn execute_sql_tampers(mut s: Box<dyn Store>) {
    s.commit(&Commit {
        expected_head: 0,
        entries: chain(0, [0; 32], 1),
        delta: RowDelta {
            holdings_upsert: vec![hrow("CA/CCA/2026", 1, 100, "account:A")],
            objects_upsert: vec![orow("account", "A", "{}")],
            ..RowDelta::default()
        },
        ..Commit::default()
    })
    .expect("execute_sql_tampers: commit");
    s.execute_sql("UPDATE holdings SET location = 'account:M' WHERE series = 'CA/CCA/2026'")
        .expect("execute_sql_tampers: tamper with holdings");
    s.execute_sql("UPDATE objects SET body = '{\"x\":1}' WHERE kind = 'account' AND id = 'A'")
        .expect("execute_sql_tampers: tamper with objects");
    assert_eq!(
        s.holdings().expect("holdings"),
        vec![hrow("CA/CCA/2026", 1, 100, "account:M")],
        "execute_sql_tampers: the tampered holding reads back"
    );
    assert_eq!(
        s.objects().expect("objects"),
        vec![orow("account", "A", r#"{"x":1}"#)],
        "execute_sql_tampers: the tampered object reads back"
    );
    assert!(
        s.execute_sql("THIS IS NOT SQL").is_err(),
        "execute_sql_tampers: bad SQL is an error"
    );
}

fn journal_append_only(mut s: Box<dyn Store>) {
    let written = chain(0, [0; 32], 3);
    s.commit(&Commit {
        expected_head: 0,
        entries: written.clone(),
        ..Commit::default()
    })
    .expect("journal_append_only: commit");
    assert!(
        s.execute_sql("UPDATE journal SET actor = 'mallory' WHERE seq = 2")
            .is_err(),
        "journal_append_only: UPDATE on the journal is refused"
    );
    assert!(
        s.execute_sql("DELETE FROM journal WHERE seq = 3").is_err(),
        "journal_append_only: DELETE on the journal is refused"
    );
    assert_eq!(
        journal(&mut *s, 0),
        written,
        "journal_append_only: the journal is unchanged"
    );
    // Still appendable afterwards.
    let more = continue_chain(&mut *s, 1);
    s.commit(&Commit {
        expected_head: 3,
        entries: more,
        ..Commit::default()
    })
    .expect("journal_append_only: appending after refused statements");
}

/// Enough entries in one commit to cross any reasonable paging or batching boundary.
fn bulk_commit(mut s: Box<dyn Store>) {
    const N: u64 = 10_050;
    let entries = chain(0, [0; 32], N);
    let stored: Vec<_> = (1..=N)
        .map(|i| result(&format!("bulk-{i}"), Some(i)))
        .collect();
    let mut holdings: Vec<_> = (0..N)
        .map(|i| {
            hrow(
                "CA/CCA/2026",
                i * 10 + 1,
                i * 10 + 10,
                &format!("account:A{i}"),
            )
        })
        .collect();
    holdings.sort();
    s.commit(&Commit {
        expected_head: 0,
        entries: entries.clone(),
        results: stored,
        delta: RowDelta {
            holdings_upsert: holdings.clone(),
            ..RowDelta::default()
        },
    })
    .expect("bulk_commit: commit of 10,050 entries");
    assert_eq!(
        s.head().expect("head"),
        (N, entries[N as usize - 1].hash),
        "bulk_commit: head"
    );
    let mut next = 1;
    s.scan_journal(0, &mut |e| {
        assert_eq!(
            e,
            entries[next as usize - 1],
            "bulk_commit: scan returns entry {next} in order"
        );
        next += 1;
        Ok(())
    })
    .expect("bulk_commit: scan");
    assert_eq!(next, N + 1, "bulk_commit: scan returns every entry");
    assert_eq!(
        journal(&mut *s, N - 5).len(),
        5,
        "bulk_commit: scan after N-5"
    );
    assert_eq!(
        results(&mut *s).len(),
        N as usize,
        "bulk_commit: every result stored"
    );
    assert_eq!(
        s.holdings().expect("holdings"),
        holdings,
        "bulk_commit: every holding stored, sorted"
    );
}

// ---------------------------------------------------------------------------------------------
// Naive ledger

/// Saves the current `naive_ranges` for the probes below.
fn naive_snapshot(s: &mut dyn Store) {
    s.execute_sql("DROP TABLE IF EXISTS contract_probe_before")
        .expect("probe: drop snapshot");
    s.execute_sql("CREATE TABLE contract_probe_before AS SELECT account, start_serial, end_serial FROM naive_ranges")
        .expect("probe: snapshot naive_ranges");
}

/// Fails (through a CHECK constraint) unless `cond` holds; `case` names the assertion.
fn naive_probe(s: &mut dyn Store, case: &str, cond: &str) {
    s.execute_sql("DROP TABLE IF EXISTS contract_probe_check")
        .expect("probe: drop check table");
    s.execute_sql("CREATE TABLE contract_probe_check (ok INTEGER NOT NULL CHECK (ok = 1))")
        .expect("probe: check table");
    let r = s.execute_sql(&format!(
        "INSERT INTO contract_probe_check (ok) SELECT CASE WHEN {cond} THEN 1 ELSE 0 END"
    ));
    assert!(r.is_ok(), "{case}: probe failed: {r:?}");
}

fn held(table: &str, account: u32) -> String {
    format!(
        "(SELECT COALESCE(SUM(end_serial - start_serial + 1), 0) FROM {table} WHERE account = {account})"
    )
}

/// Since the snapshot, `from` gave exactly its lowest `qty` serials and `to` gained `qty`.
fn lowest_moved(from: u32, to: u32, qty: u64) -> String {
    let (b, a) = ("contract_probe_before", "naive_ranges");
    format!(
        "{held_a_from} = {held_b_from} - {qty} AND {held_a_to} = {held_b_to} + {qty} \
         AND NOT EXISTS (SELECT 1 FROM {a} x WHERE x.account = {from} AND NOT EXISTS \
             (SELECT 1 FROM {b} y WHERE y.account = {from} AND y.start_serial <= x.start_serial AND x.end_serial <= y.end_serial)) \
         AND (NOT EXISTS (SELECT 1 FROM {a} WHERE account = {from}) OR \
             (SELECT COALESCE(SUM(CASE WHEN y.end_serial < m.v THEN y.end_serial - y.start_serial + 1 \
                                       WHEN y.start_serial < m.v THEN m.v - y.start_serial ELSE 0 END), 0) \
              FROM {b} y, (SELECT MIN(start_serial) AS v FROM {a} WHERE account = {from}) m WHERE y.account = {from}) = {qty})",
        held_a_from = held(a, from),
        held_b_from = held(b, from),
        held_a_to = held(a, to),
        held_b_to = held(b, to),
    )
}

/// `naive_ranges` is exactly as at the snapshot.
const UNCHANGED: &str = "(SELECT COUNT(*) FROM naive_ranges) = (SELECT COUNT(*) FROM contract_probe_before) \
     AND NOT EXISTS (SELECT 1 FROM contract_probe_before y WHERE NOT EXISTS (SELECT 1 FROM naive_ranges x \
         WHERE x.account = y.account AND x.start_serial = y.start_serial AND x.end_serial = y.end_serial))";

fn naive_transfers(mut s: Box<dyn Store>) {
    let s = &mut *s;
    s.naive()
        .setup(4, 2, 1000, 1_000_000)
        .expect("naive_transfers: setup");
    assert_eq!(
        s.naive().total().expect("total"),
        4000,
        "naive_transfers: total after setup"
    );

    naive_snapshot(s);
    assert!(
        s.naive().transfer(1, 2, 100).expect("transfer"),
        "naive_transfers: 100 from 1 to 2 is accepted"
    );
    naive_probe(
        s,
        "naive_transfers: the lowest 100 serials of account 1 moved to account 2",
        &lowest_moved(1, 2, 100),
    );
    assert_eq!(
        s.naive().total().expect("total"),
        4000,
        "naive_transfers: total conserved after a transfer"
    );

    // Account 2 now holds two ranges; its lowest serials may come from either.
    naive_snapshot(s);
    assert!(
        s.naive().transfer(2, 3, 150).expect("transfer"),
        "naive_transfers: 150 from 2 to 3 is accepted"
    );
    naive_probe(
        s,
        "naive_transfers: the lowest 150 serials of account 2 moved to account 3",
        &lowest_moved(2, 3, 150),
    );

    naive_snapshot(s);
    assert!(
        !s.naive().transfer(1, 3, 901).expect("transfer"),
        "naive_transfers: more than held (901 of 900) is refused"
    );
    naive_probe(
        s,
        "naive_transfers: a refused transfer changes no range",
        UNCHANGED,
    );
    assert_eq!(
        s.naive().total().expect("total"),
        4000,
        "naive_transfers: total conserved after a refusal"
    );

    naive_snapshot(s);
    assert!(
        s.naive().transfer(1, 3, 900).expect("transfer"),
        "naive_transfers: everything held (900) is accepted"
    );
    naive_probe(
        s,
        "naive_transfers: all of account 1 moved to account 3",
        &lowest_moved(1, 3, 900),
    );
    assert!(
        !s.naive().transfer(1, 2, 1).expect("transfer"),
        "naive_transfers: an empty account cannot send"
    );
    assert_eq!(
        s.naive().total().expect("total"),
        4000,
        "naive_transfers: total conserved at the end"
    );

    // setup starts over.
    s.naive()
        .setup(4, 2, 500, 1_000_000)
        .expect("naive_transfers: second setup");
    assert_eq!(
        s.naive().total().expect("total"),
        2000,
        "naive_transfers: setup again replaces everything"
    );
}

fn naive_group_limit(mut s: Box<dyn Store>) {
    let s = &mut *s;
    // 4 accounts of 1000 in 2 groups: each group holds 2000, exactly its limit, so any transfer
    // into another group breaches it. Of accounts 2 and 3, at most one shares account 1's group.
    s.naive()
        .setup(4, 2, 1000, 2000)
        .expect("naive_group_limit: setup");
    let mut accepted = Vec::new();
    for to in [2, 3] {
        naive_snapshot(s);
        if s.naive().transfer(1, to, 10).expect("transfer") {
            accepted.push(to);
        } else {
            naive_probe(
                s,
                "naive_group_limit: a refused transfer changes no range",
                UNCHANGED,
            );
        }
    }
    assert!(
        accepted.len() < 2,
        "naive_group_limit: a transfer into another group at its limit is refused"
    );
    assert_eq!(
        s.naive().total().expect("total"),
        4000,
        "naive_group_limit: total conserved"
    );

    // The same transfers under a generous limit pass: the refusal was the limit's.
    s.naive()
        .setup(4, 2, 1000, 1_000_000)
        .expect("naive_group_limit: setup with a high limit");
    assert!(
        s.naive().transfer(1, 2, 10).expect("transfer"),
        "naive_group_limit: 1 to 2 within the limit is accepted"
    );
    assert!(
        s.naive().transfer(1, 3, 10).expect("transfer"),
        "naive_group_limit: 1 to 3 within the limit is accepted"
    );
    assert_eq!(
        s.naive().total().expect("total"),
        4000,
        "naive_group_limit: total conserved"
    );
}
