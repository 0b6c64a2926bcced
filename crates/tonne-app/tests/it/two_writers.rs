//! Two ledgers (two connections, as two processes would have) on one SQLite file: each must
//! catch up with the other's commits, a lost race is retried on the new head, and a key used by
//! one is a key for the other.

use crate::util::*;
use serde_json::json;
use tonne_app::AppError;
use tonne_registry::Code;
use tonne_store::StoreError;

#[test]
fn interleaved_executes_stay_consistent() {
    let (_dir, path, mut a) = demo_ledger();
    let mut b = open(&path);
    assert_eq!(b.head(), a.head());

    // Alternate writers; each sees the other's commits before applying.
    let mut expect = after_demo(1);
    for i in 0..20u64 {
        assert_eq!(
            accepted(
                &a.execute(&transfer(&format!("a-{i}"), "CA-AUCTION", "CA3001-H", 10))
                    .unwrap()
            ),
            expect
        );
        assert_eq!(
            accepted(
                &b.execute(&transfer(&format!("b-{i}"), "CA-AUCTION", "CA1001-H", 10))
                    .unwrap()
            ),
            expect + 1
        );
        expect += 2;
    }
    assert_eq!(held(&b, "CA-AUCTION"), 2_240_000 - 400);
    assert_eq!(
        held(&b, "CA3001-H"),
        70_000 + 200,
        "b caught up with a's transfers"
    );

    // Both drain CA3001-H: the second overdraft is refused on the latest state.
    accepted(
        &a.execute(&transfer("d-1", "CA3001-H", "CA1001-H", 30_000))
            .unwrap(),
    );
    accepted(
        &b.execute(&transfer("d-2", "CA3001-H", "CA1001-H", 30_000))
            .unwrap(),
    );
    assert_eq!(
        rejected(
            &a.execute(&transfer("d-3", "CA3001-H", "CA1001-H", 30_000))
                .unwrap()
        ),
        Code::InsufficientHolding
    );
    assert_eq!(
        accepted(
            &a.execute(&transfer("d-4", "CA3001-H", "CA1001-H", 10_200))
                .unwrap()
        ),
        expect + 2
    );
    assert_eq!(held(&a, "CA3001-H"), 0);
    expect += 3;

    // The same key through both: applied once, the other answers from the stored result.
    let shared = transfer("shared", "CA-AUCTION", "QC2001-H", 3);
    assert_eq!(accepted(&a.execute(&shared).unwrap()), expect);
    assert_eq!(replayed(&b.execute(&shared).unwrap())["seq"], json!(expect));
    // Even when b has caught up with the state first (its key index has not seen the key).
    let shared2 = transfer("shared-2", "CA-AUCTION", "QC2001-H", 4);
    assert_eq!(accepted(&a.execute(&shared2).unwrap()), expect + 1);
    accepted(
        &b.execute(&transfer("b-catch-up", "CA-AUCTION", "CA1001-H", 1))
            .unwrap(),
    );
    assert_eq!(
        replayed(&b.execute(&shared2).unwrap())["seq"],
        json!(expect + 1)
    );
    assert_eq!(
        rejected(
            &b.execute(&transfer("shared-2", "CA-AUCTION", "QC2001-H", 5))
                .unwrap()
        ),
        Code::IdempotencyConflict
    );
    let keys = journal_keys(&mut a);
    for k in ["shared", "shared-2"] {
        assert_eq!(
            keys.iter().filter(|x| *x == k).count(),
            1,
            "{k} applied twice"
        );
    }
    assert_eq!(held(&b, "QC2001-H"), 10_000 + 7);

    verify_ok(&mut a);
    verify_ok(&mut b);
}

#[test]
fn a_lost_race_in_a_batch_is_reported_and_memory_reloads() {
    let (_dir, path, mut a) = demo_ledger();
    let mut b = open(&path);
    // a stages, b commits first, a's flush loses the race.
    let staged = transfer("a-1", "CA3001-H", "CA1001-H", 60_000);
    assert_eq!(accepted(&a.stage(&staged).unwrap()), after_demo(1));
    assert_eq!(
        accepted(
            &b.execute(&transfer("b-1", "CA3001-H", "QC2001-H", 60_000))
                .unwrap()
        ),
        after_demo(1)
    );
    match a.flush() {
        Err(AppError::Store(StoreError::Conflict { expected, found }))
            if expected == tonne_app::demo::journal_entries() && found == expected + 1 => {}
        other => panic!("expected a head conflict, got {other:?}"),
    }
    // a reloaded from the store: b's transfer is there, a's staged one is not.
    assert_eq!(a.head(), b.head());
    assert_eq!(held(&a, "CA3001-H"), 10_000);
    assert_eq!(held(&a, "QC2001-H"), 70_000);
    // Retried on the new head, the command is now refused, and its key was never stored.
    assert_eq!(
        rejected(&a.execute(&staged).unwrap()),
        Code::InsufficientHolding
    );
    assert_eq!(a.head().0, after_demo(1));
    verify_ok(&mut a);
    // A fresh reader agrees with both writers.
    let c = open(&path);
    accepted(
        &b.execute(&transfer("b-2", "CA-AUCTION", "CA1001-H", 1))
            .unwrap(),
    );
    accepted(
        &a.execute(&transfer("a-2", "CA-AUCTION", "CA1001-H", 1))
            .unwrap(),
    );
    accepted(
        &b.execute(&env(
            "tick-b",
            "2027-11-03T12:00:00Z",
            "scheduler",
            json!({"tick": {}}),
        ))
        .unwrap(),
    );
    let fresh = open(&path);
    assert_eq!(fresh.head(), b.head());
    assert_eq!(
        (fresh.state().holding_rows(), fresh.state().object_rows()),
        (b.state().holding_rows(), b.state().object_rows())
    );
    drop(c);
}

/// An entry another writer appended whose recorded effects its command does not produce (the
/// journal re-sealed by someone with file access): catching up fails at that entry, and fails
/// the same way when tried again. Replay applies ahead of its checks, so the ledger must not
/// keep that memory: state and head agree after every attempt.
#[test]
fn a_bad_entry_from_another_writer_fails_catch_up_the_same_way_each_time() {
    let (_dir, path, mut a) = demo_ledger();
    let mut b = open(&path);
    let n = accepted(
        &a.execute(&transfer("t-1", "CA-AUCTION", "CA3001-H", 10))
            .unwrap(),
    );
    accepted(
        &a.execute(&transfer("t-2", "CA-AUCTION", "CA3001-H", 10))
            .unwrap(),
    );
    drop(a);
    reseal_retiring_first_move(&path, n..=n + 1);
    for attempt in 0..2 {
        match b.execute(&transfer("b-1", "CA-AUCTION", "CA1001-H", 1)) {
            Err(AppError::Corrupt { seq, check, .. }) => {
                assert_eq!((seq, check), (n, "effects"), "attempt {attempt}");
            }
            other => panic!("attempt {attempt}: expected the bad entry, got {other:?}"),
        }
        assert_eq!(
            b.state().seq,
            b.head().0,
            "attempt {attempt}: memory and head disagree after a failed catch-up"
        );
    }
}
