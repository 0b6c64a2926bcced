//! Idempotency keys: the same key and payload returns the stored result; the same key with
//! another payload is refused with 1004 — within a batch, across commits and across reopen.

use crate::util::*;
use serde_json::json;
use tonne_registry::Code;

#[test]
fn same_key_replays_other_payload_conflicts_also_after_reopen() {
    let (_dir, path, mut ledger) = demo_ledger();
    let t = transfer("i-1", "CA-AUCTION", "CA3001-H", 10);
    let seq = accepted(&ledger.execute(&t).unwrap());
    assert_eq!(seq, after_demo(1));
    assert_eq!(held(&ledger, "CA3001-H"), 70_010);

    // A retry: the stored result, nothing applied again.
    let r = replayed(&ledger.execute(&t).unwrap());
    assert_eq!(r, json!({"ok": true, "seq": after_demo(1)}));
    // A retry may carry a fresh clock reading.
    let mut later = t.clone();
    later.ts = tonne_core::Timestamp::parse("2027-11-05T00:00:00Z").unwrap();
    assert_eq!(
        replayed(&ledger.execute(&later).unwrap())["seq"],
        json!(after_demo(1))
    );
    // Another payload under the same key: refused, and it does not take the key over.
    let other = transfer("i-1", "CA-AUCTION", "CA3001-H", 11);
    assert_eq!(
        rejected(&ledger.execute(&other).unwrap()),
        Code::IdempotencyConflict
    );
    let mut other_actor = t.clone();
    other_actor.actor = tonne_core::UserId::parse("qc-mel").unwrap();
    assert_eq!(
        rejected(&ledger.execute(&other_actor).unwrap()),
        Code::IdempotencyConflict
    );
    assert_eq!(
        replayed(&ledger.execute(&t).unwrap())["seq"],
        json!(after_demo(1))
    );
    assert_eq!(held(&ledger, "CA3001-H"), 70_010);
    assert_eq!(ledger.head().0, after_demo(1));

    // A refused command's key is taken too: its retry replays the refusal.
    let overdraw = transfer("i-2", "CA3001-H", "CA1001-H", 1_000_000);
    assert_eq!(
        rejected(&ledger.execute(&overdraw).unwrap()),
        Code::InsufficientHolding
    );
    let r = replayed(&ledger.execute(&overdraw).unwrap());
    assert_eq!(r["ok"], json!(false));
    assert_eq!(r["code"], json!(3001));
    let fixed = transfer("i-2", "CA3001-H", "CA1001-H", 1);
    assert_eq!(
        rejected(&ledger.execute(&fixed).unwrap()),
        Code::IdempotencyConflict
    );

    // Demo keys are remembered as well.
    let (demo_first, _) = tonne_app::demo::script().remove(0);
    assert_eq!(
        replayed(&ledger.execute(&demo_first).unwrap())["seq"],
        json!(1)
    );
    let mut hijack = transfer("demo-001", "CA-AUCTION", "CA3001-H", 1);
    hijack.key = demo_first.key.clone();
    assert_eq!(
        rejected(&ledger.execute(&hijack).unwrap()),
        Code::IdempotencyConflict
    );

    // Reopen: the index is rebuilt from the stored results.
    drop(ledger);
    let mut ledger = open(&path);
    assert_eq!(ledger.head().0, after_demo(1));
    assert_eq!(
        replayed(&ledger.execute(&t).unwrap())["seq"],
        json!(after_demo(1))
    );
    assert_eq!(
        rejected(&ledger.execute(&other).unwrap()),
        Code::IdempotencyConflict
    );
    assert_eq!(
        replayed(&ledger.execute(&overdraw).unwrap())["code"],
        json!(3001)
    );
    assert_eq!(
        rejected(&ledger.execute(&fixed).unwrap()),
        Code::IdempotencyConflict
    );
    assert_eq!(
        accepted(
            &ledger
                .execute(&transfer("i-3", "CA-AUCTION", "CA3001-H", 5))
                .unwrap()
        ),
        after_demo(2)
    );
    assert_eq!(held(&ledger, "CA3001-H"), 70_015);
    let keys = journal_keys(&mut ledger);
    assert_eq!(keys.iter().filter(|k| *k == "i-1").count(), 1);
    assert!(
        !keys.contains(&"i-2".to_string()),
        "refusals are not journaled"
    );
    verify_ok(&mut ledger);
}

#[test]
fn keys_within_one_batch() {
    let (_dir, path, mut ledger) = demo_ledger();
    let a = transfer("b-1", "CA-AUCTION", "CA3001-H", 10);
    assert_eq!(accepted(&ledger.stage(&a).unwrap()), after_demo(1));
    // Not yet durable, but a retry in the same batch is still answered from the batch.
    assert_eq!(
        replayed(&ledger.stage(&a).unwrap()),
        json!({"ok": true, "seq": after_demo(1)})
    );
    assert_eq!(
        rejected(
            &ledger
                .stage(&transfer("b-1", "CA-AUCTION", "CA3001-H", 9))
                .unwrap()
        ),
        Code::IdempotencyConflict
    );
    assert_eq!(
        accepted(
            &ledger
                .stage(&transfer("b-2", "CA-AUCTION", "CA3001-H", 20))
                .unwrap()
        ),
        after_demo(2)
    );
    assert_eq!(ledger.staged(), 2, "replays and conflicts are not staged");
    ledger.flush().unwrap();
    assert_eq!(ledger.staged(), 0);
    assert_eq!(
        replayed(&ledger.stage(&a).unwrap())["seq"],
        json!(after_demo(1))
    );
    ledger.flush().unwrap();

    // Staged and dropped without a flush: nothing was durable, the key is free again.
    let c = transfer("b-3", "CA-AUCTION", "CA3001-H", 30);
    assert_eq!(accepted(&ledger.stage(&c).unwrap()), after_demo(3));
    drop(ledger);
    let mut ledger = open(&path);
    assert_eq!(ledger.head().0, after_demo(2));
    assert_eq!(held(&ledger, "CA3001-H"), 70_030);
    assert_eq!(
        accepted(
            &ledger
                .execute(&transfer("b-3", "CA-AUCTION", "CA3001-H", 31))
                .unwrap()
        ),
        after_demo(3)
    );
    assert_eq!(held(&ledger, "CA3001-H"), 70_061);
    verify_ok(&mut ledger);
}

#[test]
fn invalid_keys_are_refused_and_never_stored() {
    let (_dir, path, mut ledger) = demo_ledger();
    let long = "K".repeat(200_000);
    for key in ["", "tab\there", "new\nline", &"k".repeat(129), &long] {
        let t = transfer(key, "CA-AUCTION", "CA3001-H", 1);
        for _ in 0..2 {
            // Refused every time, never answered as a replay of a stored refusal.
            assert_eq!(
                rejected(&ledger.execute(&t).unwrap()),
                Code::InvalidField,
                "key {:?}",
                &key[..key.len().min(20)]
            );
            assert_eq!(rejected(&ledger.stage(&t).unwrap()), Code::InvalidField);
            assert_eq!(ledger.staged(), 0);
        }
        assert!(
            ledger.store().unwrap().result(key).unwrap().is_none(),
            "key {:?} was stored",
            &key[..key.len().min(20)]
        );
    }
    // The longest valid key works.
    let ok = "k".repeat(128);
    assert_eq!(
        accepted(
            &ledger
                .execute(&transfer(&ok, "CA-AUCTION", "CA3001-H", 1))
                .unwrap()
        ),
        after_demo(1)
    );
    drop(ledger);
    let mut ledger = open(&path);
    assert_eq!(
        replayed(
            &ledger
                .execute(&transfer(&ok, "CA-AUCTION", "CA3001-H", 1))
                .unwrap()
        )["seq"],
        json!(after_demo(1))
    );
    assert_eq!(
        rejected(
            &ledger
                .execute(&transfer("", "CA-AUCTION", "CA3001-H", 1))
                .unwrap()
        ),
        Code::InvalidField
    );
    verify_ok(&mut ledger);
}
