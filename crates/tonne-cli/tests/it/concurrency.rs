//! Concurrency: eight threads run `tonne apply` processes at once, all draining the same source
//! account. Each process's ledger must catch up with the others' commits; nothing is overdrawn
//! and nothing applied twice.

use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};

const THREADS: usize = 8;
const PER_THREAD: usize = 50;
const PROCESSES_PER_THREAD: usize = 2;
const QTY: u64 = 7;
const SOURCE_HOLDS: u64 = 1_000;

#[test]
fn racing_processes_never_overdraw_or_double_apply() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("race.db");
    // H0 is the contended source; thread t sends to H(t+1).
    let setup = setup_market(THREADS + 1, SOURCE_HOLDS);
    let r = tonne([
        "apply",
        p(&write_file(dir.path(), "setup.jsonl", &setup)),
        "--db",
        p(&db),
        "--commit-every",
        "1000",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let setup_head = head(&db).0;

    // Every racing command carries the same timestamp, so none is refused for time order.
    let when = ts(0);
    let mut files = Vec::new();
    for t in 0..THREADS {
        let lines: Vec<String> = (0..PER_THREAD)
            .map(|i| {
                transfer(
                    &format!("race-{t}-{i}"),
                    &when,
                    "reg",
                    "H0",
                    &format!("H{}", t + 1),
                    QTY,
                )
            })
            .collect();
        let chunk = PER_THREAD / PROCESSES_PER_THREAD;
        let paths: Vec<_> = lines
            .chunks(chunk)
            .enumerate()
            .map(|(j, c)| write_file(dir.path(), &format!("race-{t}-{j}.jsonl"), c))
            .collect();
        files.push(paths);
    }

    let run_all = |files: &Vec<Vec<std::path::PathBuf>>| -> Vec<Vec<Value>> {
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = files
            .iter()
            .cloned()
            .map(|paths| {
                let (barrier, db) = (barrier.clone(), db.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut out = Vec::new();
                    for f in paths {
                        let r = tonne(["apply", p(&f), "--db", p(&db), "--json"]);
                        assert!(
                            r.code == 0 || r.code == 1,
                            "apply failed under contention: {r:?}"
                        );
                        let lines = r.json_lines();
                        let rejected = lines
                            .iter()
                            .any(|v| v["ok"] == Value::Bool(false));
                        assert_eq!(
                            r.code,
                            i32::from(rejected),
                            "exit code 1 exactly when a line was refused (replayed refusals included): {r:?}"
                        );
                        out.extend(lines);
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("racing thread"))
            .collect()
    };

    let results = run_all(&files);
    let mut accepted: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_thread = vec![0u64; THREADS];
    for (t, lines) in results.iter().enumerate() {
        assert_eq!(lines.len(), PER_THREAD, "every line answered");
        for v in lines {
            let key = v["key"].as_str().unwrap().to_owned();
            if v["ok"] == Value::Bool(true) {
                assert!(v["replayed"].is_null(), "nothing was committed before: {v}");
                assert!(accepted.insert(key, v["seq"].as_u64().unwrap()).is_none());
                per_thread[t] += 1;
            } else {
                assert_eq!(
                    v["code"],
                    Value::from(3001),
                    "the only refusal is insufficient holdings: {v}"
                );
            }
        }
    }
    let n = accepted.len() as u64;
    eprintln!(
        "concurrency: {n} of {} transfers accepted; per thread {per_thread:?}",
        THREADS * PER_THREAD
    );
    assert!(
        n <= SOURCE_HOLDS / QTY,
        "{n} transfers of {QTY} from {SOURCE_HOLDS}"
    );
    // More was asked than there was, and every refusal saw the latest state: the source is
    // drained down to less than one transfer.
    assert_eq!(
        n,
        SOURCE_HOLDS / QTY,
        "a refusal was based on a stale balance"
    );
    let source = held(&db, "H0", CA26);
    assert_eq!(source, SOURCE_HOLDS - QTY * n);
    assert!(source < QTY);
    for (t, k) in per_thread.iter().enumerate() {
        assert_eq!(
            held(&db, &format!("H{}", t + 1), CA26),
            SOURCE_HOLDS + QTY * k
        );
    }

    // The journal: each accepted key once, at the seq its process reported; seqs are dense.
    let journal = journal(&db);
    let mut seen = BTreeSet::new();
    for e in &journal {
        let key = e["key"].as_str().unwrap();
        assert!(seen.insert(key.to_owned()), "key {key} applied twice");
        if key.starts_with("race-") {
            assert_eq!(accepted.get(key), e["seq"].as_u64().as_ref(), "{e}");
        }
    }
    assert_eq!(journal.len() as u64, setup_head + n);
    assert_eq!(head(&db).0, setup_head + n);
    assert_verify_ok(&db);

    // All files again, racing again: everything is answered from the stored results.
    let head_before = head(&db);
    let again = run_all(&files);
    for lines in &again {
        for v in lines {
            assert_eq!(v["replayed"], Value::Bool(true), "{v}");
            let key = v["key"].as_str().unwrap();
            match accepted.get(key) {
                Some(seq) => assert_eq!(v["seq"].as_u64(), Some(*seq), "{v}"),
                None => assert_eq!(v["code"], Value::from(3001), "{v}"),
            }
        }
    }
    assert_eq!(head(&db), head_before);
    assert_verify_ok(&db);
}
