//! Crash test: `tonne apply` is killed with SIGKILL at random moments. Every acknowledged
//! command must be durable exactly once, the store must verify, and a restart on the same file
//! must answer committed keys as replayed and apply the rest.

use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ACCOUNTS: usize = 20;
const EACH: u64 = 100_000;
const TRANSFERS: usize = 3_000;
/// `--commit-every` of the run that finishes the file after the crashes (kept large for speed;
/// replays do not depend on it).
const FINISH_COMMIT_EVERY: u32 = 256;

fn iterations() -> usize {
    std::env::var("TONNE_CRASH_ITERATIONS")
        .ok()
        .map_or(20, |s| {
            s.parse().expect("TONNE_CRASH_ITERATIONS is a number")
        })
}

/// The transfers file: (key, line) in file order.
fn transfers(rng: &mut Rng) -> Vec<(String, String)> {
    (0..TRANSFERS)
        .map(|i| {
            let from = rng.range(0, ACCOUNTS as u64 - 1);
            let to = (from + rng.range(1, ACCOUNTS as u64 - 1)) % ACCOUNTS as u64;
            let q = rng.range(1, 10);
            let key = format!("x-{i}");
            // Several commands share a second: timestamps only need to be non-decreasing.
            let line = transfer(
                &key,
                &ts(i as u64 / 3),
                "reg",
                &format!("H{from}"),
                &format!("H{to}"),
                q,
            );
            (key, line)
        })
        .collect()
}

/// Acknowledgements printed by a (possibly killed) run: complete lines only.
fn acks(stdout: &str) -> Vec<Value> {
    let complete = match stdout.rfind('\n') {
        Some(i) => &stdout[..=i],
        None => "",
    };
    complete
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("ack {l:?} is not JSON: {e}")))
        .collect()
}

/// Journal keys -> seq, checking that no key appears twice.
fn journal_index(db: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for e in journal(db) {
        let key = e["key"].as_str().expect("key").to_owned();
        let seq = e["seq"].as_u64().expect("seq");
        if let Some(prev) = out.insert(key.clone(), seq) {
            panic!("key {key} is in the journal twice (seq {prev} and {seq})");
        }
    }
    out
}

struct Round {
    acked: usize,
    replayed: usize,
    committed_before: usize,
    committed_after: usize,
    exited_by_itself: bool,
    /// The journal after the run: key -> seq.
    journal: BTreeMap<String, u64>,
}

/// One run of `tonne apply` over the transfers, killed after `sleep_ms` (`None`: run to the end),
/// with every check on what it acknowledged against what is durable.
fn run_round(
    db: &Path,
    file: &Path,
    order: &[(String, String)],
    setup_keys: &BTreeSet<String>,
    before: &BTreeMap<String, u64>,
    commit_every: u32,
    sleep_ms: Option<u64>,
) -> Round {
    let committed_before: Vec<&str> = order
        .iter()
        .map(|(k, _)| k.as_str())
        .take_while(|k| before.contains_key(*k))
        .collect();

    let mut child = Command::new(TONNE)
        .args([
            "apply",
            p(file),
            "--db",
            p(db),
            "--json",
            "--commit-every",
            &commit_every.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tonne apply");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    // Drain both pipes continuously so the child never blocks on a full pipe.
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    if let Some(ms) = sleep_ms {
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill(); // SIGKILL; fails only if the child already exited
    }
    let status = child.wait().expect("wait for tonne apply");
    let out = out_reader.join().expect("stdout reader");
    let err = err_reader.join().expect("stderr reader");
    let exited_by_itself = status.code().is_some();
    if exited_by_itself {
        assert!(
            status.success(),
            "tonne apply failed on its own: {status:?}\n{err}\n{out}"
        );
    } else {
        assert!(sleep_ms.is_some(), "unkilled run died: {status:?} {err}");
    }

    // The store is consistent after the crash.
    let v = verify(db);
    assert_eq!(
        v.1["ok"],
        Value::Bool(true),
        "verify after SIGKILL: {}",
        v.1
    );
    let after = journal_index(db);
    for k in setup_keys {
        assert!(after.contains_key(k), "setup key {k} lost");
    }
    // A single writer applies the file in order: the committed transfers are a prefix of it.
    let committed: Vec<&str> = order
        .iter()
        .map(|(k, _)| k.as_str())
        .take_while(|k| after.contains_key(*k))
        .collect();
    let transfer_keys = after.keys().filter(|k| !setup_keys.contains(*k)).count();
    assert_eq!(
        transfer_keys,
        committed.len(),
        "committed transfers are not a prefix of the file"
    );
    for k in &committed_before {
        assert_eq!(after[*k], before[*k], "key {k} changed seq");
    }

    let acks = acks(&out);
    if sleep_ms.is_none() || exited_by_itself {
        assert_eq!(
            acks.len(),
            order.len(),
            "a finished run acknowledges every line"
        );
    }
    let mut replayed = 0;
    for (i, a) in acks.iter().enumerate() {
        let key = a["key"].as_str().expect("ack key");
        assert_eq!(key, order[i].0, "acknowledgements come in file order");
        assert_eq!(a["line"].as_u64(), Some(i as u64 + 1));
        assert_eq!(a["ok"], Value::Bool(true), "every transfer is valid: {a}");
        let seq = *after
            .get(key)
            .unwrap_or_else(|| panic!("acknowledged key {key} is not durable (seq {})", a["seq"]));
        assert_eq!(
            a["seq"].as_u64(),
            Some(seq),
            "acknowledged seq differs from the journal: {a}"
        );
        if before.contains_key(key) {
            assert_eq!(
                a["replayed"],
                Value::Bool(true),
                "committed before this run, so replayed: {a}"
            );
            replayed += 1;
        } else {
            assert!(
                a["replayed"].is_null(),
                "new in this run, so not replayed: {a}"
            );
        }
    }
    // Durable but not yet acknowledged: at most one batch of new commands.
    let new_acked = acks.len() - replayed;
    let unacked = (committed.len() - committed_before.len())
        .checked_sub(new_acked)
        .expect("more acknowledged than committed");
    assert!(
        unacked <= commit_every as usize,
        "{unacked} commands committed but unacknowledged with --commit-every {commit_every}"
    );
    let committed_after = committed.len();
    Round {
        acked: acks.len(),
        replayed,
        committed_before: committed_before.len(),
        committed_after,
        exited_by_itself,
        journal: after,
    }
}

#[test]
fn sigkill_during_apply_loses_no_acknowledged_command() {
    let started = Instant::now();
    let seed = seed_from_env("TONNE_CRASH_SEED");
    let iterations = iterations();
    eprintln!(
        "crash test: seed {seed} (set TONNE_CRASH_SEED={seed} to repeat), {iterations} iterations"
    );
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let setup = setup_market(ACCOUNTS, EACH);
    let setup_keys: BTreeSet<String> = (1..=setup.len()).map(|n| format!("setup-{n}")).collect();
    let setup_file = write_file(dir.path(), "setup.jsonl", &setup);
    let order = transfers(&mut rng);
    let lines: Vec<String> = order.iter().map(|(_, l)| l.clone()).collect();
    let file = write_file(dir.path(), "transfers.jsonl", &lines);

    let (mut total_acked, mut total_replayed, mut interrupted_mid_file, mut kills) = (0, 0, 0, 0);
    for it in 0..iterations {
        let db = dir.path().join(format!("crash-{it}.db"));
        let r = tonne([
            "apply",
            p(&setup_file),
            "--db",
            p(&db),
            "--json",
            "--commit-every",
            "1000",
        ]);
        assert_eq!(r.code, 0, "setup: {r:?}");
        let mut index = journal_index(&db);
        assert_eq!(index.len(), setup.len());
        // Two crashes in a row (the second one during the restart), alternating batch sizes.
        let ks: [u32; 2] = if it % 2 == 0 { [1, 64] } else { [64, 1] };
        for k in ks {
            let sleep = rng.range(5, 150);
            let round = run_round(&db, &file, &order, &setup_keys, &index, k, Some(sleep));
            kills += usize::from(!round.exited_by_itself);
            if round.committed_after > round.committed_before && round.committed_after < TRANSFERS {
                interrupted_mid_file += 1;
            }
            total_acked += round.acked;
            total_replayed += round.replayed;
            eprintln!(
                "  iteration {it}: --commit-every {k:>2}, killed after {sleep:>3} ms: {:>4} committed before, {:>4} after, {:>4} acknowledged ({} replayed){}",
                round.committed_before,
                round.committed_after,
                round.acked,
                round.replayed,
                if round.exited_by_itself {
                    ", finished before the kill"
                } else {
                    ""
                }
            );
            index = round.journal;
        }
        // Finish the file: committed keys replay, the rest apply, nothing twice.
        let round = run_round(
            &db,
            &file,
            &order,
            &setup_keys,
            &index,
            FINISH_COMMIT_EVERY,
            None,
        );
        assert_eq!(round.committed_after, TRANSFERS);
        assert_eq!(
            round.replayed, round.committed_before,
            "every committed key is answered as replayed"
        );
        total_replayed += round.replayed;
        // (run_round verified the store and that no key is journaled twice.)
        assert_eq!(
            round.journal.len(),
            setup.len() + TRANSFERS,
            "each key exactly once"
        );
        assert_eq!(head(&db).0, (setup.len() + TRANSFERS) as u64);
        // Conservation, seen from outside: the holding accounts still hold everything.
        let all = holdings(&balances(&db, &[]));
        let sum: u64 = (0..ACCOUNTS)
            .map(|i| all[&format!("H{i}")].get(CA26).copied().unwrap_or(0))
            .sum();
        assert_eq!(sum, EACH * ACCOUNTS as u64);
        let _ = std::fs::remove_file(&db);
    }
    eprintln!(
        "crash test: {iterations} iterations, {kills} SIGKILLs, {interrupted_mid_file} killed mid-file, {total_acked} acknowledgements checked, {total_replayed} replayed, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        interrupted_mid_file > 0 || iterations == 0,
        "no kill landed while transfers were being committed; the test exercised nothing"
    );
}
