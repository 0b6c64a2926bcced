//! Shared helpers: opening ledgers on temporary files and building commands.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tonne_app::{Ledger, Outcome, demo, open_store};
use tonne_registry::{Code, Envelope};

pub fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.db");
    (dir, path)
}

pub fn open(path: &Path) -> Ledger {
    Ledger::open(open_store(path.to_str().expect("UTF-8 path")).expect("open store"))
        .expect("open ledger")
}

/// A new SQLite file with the demo market (`demo::journal_entries()` journal entries).
pub fn demo_ledger() -> (tempfile::TempDir, PathBuf, Ledger) {
    let (dir, path) = temp_db();
    let mut ledger = open(&path);
    demo::run(&mut ledger).expect("demo runs");
    assert_eq!(ledger.head().0, demo::journal_entries());
    (dir, path, ledger)
}

/// The seq of the `n`-th entry after the demo's.
pub fn after_demo(n: u64) -> u64 {
    demo::journal_entries() + n
}

pub fn env(key: &str, ts: &str, actor: &str, cmd: Value) -> Envelope {
    serde_json::from_value(json!({"v": 1, "key": key, "ts": ts, "actor": actor, "cmd": cmd}))
        .expect("well-formed command")
}

pub fn ca26() -> Value {
    json!({"jurisdiction": "US-CA", "kind": "allowance", "vintage": 2026})
}

pub fn xfer(from: &str, to: &str, q: u64) -> Value {
    json!({"execute_transfer": {"from": from, "to": to, "legs": [{"series": ca26(), "quantity": q}], "reason": "test"}})
}

/// An execute_transfer by California's regulator, after the demo's last timestamp.
pub fn transfer(key: &str, from: &str, to: &str, q: u64) -> Envelope {
    env(key, "2027-11-03T10:00:00Z", "carb-eo", xfer(from, to, q))
}

pub fn accepted(o: &Outcome) -> u64 {
    match o {
        Outcome::Accepted { seq, .. } => *seq,
        other => panic!("expected acceptance, got {other:?}"),
    }
}

pub fn rejected(o: &Outcome) -> Code {
    match o {
        Outcome::Rejected(r) => r.code,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// The stored result of a replayed command, as JSON.
pub fn replayed(o: &Outcome) -> Value {
    match o {
        Outcome::Replayed(s) => serde_json::from_str(s).expect("stored results are JSON"),
        other => panic!("expected a replay, got {other:?}"),
    }
}

/// Held quantity (escrow included) of US-CA 2026 allowances.
pub fn held(ledger: &Ledger, account: &str) -> u64 {
    let a = tonne_core::AccountId::parse(account).expect("account id");
    ledger
        .state()
        .balances(&a)
        .iter()
        .filter(|(s, _)| s.to_string() == "US-CA/ALW/2026")
        .map(|(_, (h, e))| h + e)
        .sum()
}

pub fn verify_ok(ledger: &mut Ledger) {
    let r = tonne_app::verify::verify(ledger.store().unwrap()).expect("verify runs");
    assert!(r.ok, "verify failed: {r:?}");
    let stored_head = ledger.store().unwrap().head().expect("head").0;
    assert_eq!(r.entries, stored_head);
    assert!(ledger.head().0 <= stored_head);
}

/// Journal keys in seq order, straight from the store.
pub fn journal_keys(ledger: &mut Ledger) -> Vec<String> {
    let mut keys = Vec::new();
    ledger
        .store()
        .unwrap()
        .scan_journal(0, &mut |e| {
            keys.push(e.key);
            Ok(())
        })
        .expect("scan journal");
    keys
}

/// Re-seals the journal entries `seqs` in place, as someone with write access to the file
/// could, with the first entry's first move sent to `Retired` instead of where its command sends
/// it: the hash chain still holds, and only replaying the command shows the entry is wrong.
pub fn reseal_retiring_first_move(path: &Path, seqs: std::ops::RangeInclusive<u64>) {
    let first = *seqs.start();
    let mut store = open_store(path.to_str().unwrap()).unwrap();
    let mut prev = store.entry(first - 1).unwrap().unwrap().hash;
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("DROP TRIGGER journal_no_update")
        .unwrap();
    for seq in seqs {
        let (envelope, mut effects) = store.entry(seq).unwrap().unwrap().decode().unwrap();
        if seq == first {
            let Some(tonne_registry::Effect::Moved(m)) = effects.first_mut() else {
                unreachable!("a transfer moves serials")
            };
            m.to = tonne_registry::Loc::Retired;
        }
        let sealed = tonne_registry::JournalEntry::seal(seq, prev, &envelope, &effects);
        conn.execute(
            "UPDATE journal SET prev_hash = ?1, hash = ?2, payload = ?3 WHERE seq = ?4",
            rusqlite::params![
                &sealed.prev_hash[..],
                &sealed.hash[..],
                &sealed.payload,
                seq as i64
            ],
        )
        .unwrap();
        prev = sealed.hash;
    }
}
