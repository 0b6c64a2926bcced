//! The two-stage commit pipeline: `flush_async` lets the next batch be applied while the last
//! one is written; nothing counts until `sync`, and a failed background commit rolls memory
//! back to what is durable.

use crate::util::*;
use tonne_app::AppError;
use tonne_store::StoreError;

fn rows(
    l: &mut tonne_app::Ledger,
) -> (
    Vec<tonne_registry::export::HoldingRow>,
    Vec<tonne_registry::export::ObjectRow>,
) {
    let s = l.store().unwrap();
    (s.holdings().unwrap(), s.objects().unwrap())
}

#[test]
fn pipelined_batches_store_what_synchronous_batches_store() {
    let (_d1, p1, mut piped) = demo_ledger();
    let (_d2, _p2, mut plain) = demo_ledger();
    for batch in 0..5u64 {
        for i in 0..40u64 {
            let env = transfer(
                &format!("t-{batch}-{i}"),
                "CA-AUCTION",
                "CA3001-H",
                1 + i % 7,
            );
            let a = piped.stage(&env).unwrap();
            let b = plain.stage(&env).unwrap();
            assert_eq!(a, b, "same outcome whether pipelined or not");
        }
        piped.flush_async().unwrap(); // returns before the batch is durable
        plain.flush().unwrap();
    }
    piped.sync().unwrap();
    assert_eq!(piped.head(), plain.head());
    assert_eq!(rows(&mut piped), rows(&mut plain));
    verify_ok(&mut piped);
    // Reopening reads back exactly the pipelined state.
    let mut reopened = open(&p1);
    assert_eq!(reopened.head(), piped.head());
    assert_eq!(
        reopened.state().holding_rows(),
        piped.state().holding_rows()
    );
    assert_eq!(rows(&mut reopened), rows(&mut piped));
}

#[test]
fn a_failed_background_commit_surfaces_at_sync_and_rolls_memory_back() {
    let (_dir, path, mut a) = demo_ledger();
    let durable = a.head();
    let before = held(&a, "CA3001-H");

    // Another writer appends first, so a's pipelined batch is computed on a stale head.
    let mut b = open(&path);
    accepted(
        &b.execute(&transfer("other-writer", "CA-AUCTION", "CA1001-H", 5))
            .unwrap(),
    );

    a.stage(&transfer("p-1", "CA-AUCTION", "CA3001-H", 10))
        .unwrap();
    a.flush_async().unwrap();
    // Staged while the doomed commit runs: lost with it, and never acknowledged.
    a.stage(&transfer("p-2", "CA-AUCTION", "CA3001-H", 10))
        .unwrap();
    let err = a.sync().unwrap_err();
    assert!(
        matches!(err, AppError::Store(StoreError::Conflict { .. })),
        "a stale head is a conflict: {err:?}"
    );
    // Memory now equals the store: the other writer's entry is there, a's are not.
    assert_eq!(a.head().0, durable.0 + 1);
    assert_eq!(held(&a, "CA3001-H"), before);
    assert_eq!(a.staged(), 0, "nothing staged survives a failed commit");
    let reopened = open(&path);
    assert_eq!(reopened.head(), a.head());
    verify_ok(&mut a);

    // The same keys apply normally afterwards (they were never stored).
    accepted(
        &a.execute(&transfer("p-1", "CA-AUCTION", "CA3001-H", 10))
            .unwrap(),
    );
    accepted(
        &a.execute(&transfer("p-2", "CA-AUCTION", "CA3001-H", 10))
            .unwrap(),
    );
    assert_eq!(held(&a, "CA3001-H"), before + 20);
}

#[test]
fn dropping_a_ledger_finishes_its_background_commit() {
    let (_dir, path, mut a) = demo_ledger();
    a.stage(&transfer("d-1", "CA-AUCTION", "CA3001-H", 10))
        .unwrap();
    a.flush_async().unwrap();
    let head = a.head();
    drop(a);
    assert_eq!(open(&path).head(), head);
}

#[test]
fn a_ledger_that_cannot_reopen_after_a_failed_commit_refuses_work_instead_of_panicking() {
    let (_dir, path, mut a) = demo_ledger();
    // Another writer appends an entry, then it is re-sealed with an effect its command does not
    // produce: a's commit conflicts, and reopening the store fails on that entry.
    let mut b = open(&path);
    let bad = accepted(
        &b.execute(&transfer("other-writer", "CA-AUCTION", "CA1001-H", 5))
            .unwrap(),
    );
    drop(b);
    reseal_retiring_first_move(&path, bad..=bad);

    a.stage(&transfer("p-1", "CA-AUCTION", "CA3001-H", 10))
        .unwrap();
    a.flush_async().unwrap();
    match a.sync() {
        Err(AppError::Corrupt { seq, check, .. }) => assert_eq!((seq, check), (bad, "effects")),
        other => panic!("expected the bad entry to stop the reload, got {other:?}"),
    }
    // Every later call says so, and nothing reaches the store.
    let lost = |r: Result<(), AppError>| match r {
        Err(AppError::StoreLost(why)) => assert!(why.contains(&format!("{bad}")), "{why}"),
        other => panic!("expected StoreLost, got {other:?}"),
    };
    lost(
        a.stage(&transfer("p-2", "CA-AUCTION", "CA3001-H", 1))
            .map(drop),
    );
    lost(
        a.execute(&transfer("p-3", "CA-AUCTION", "CA3001-H", 1))
            .map(drop),
    );
    lost(a.flush().map(drop));
    lost(a.store().map(drop));
    assert_eq!(
        a.head().0,
        0,
        "the ledger holds nothing it cannot vouch for"
    );
    lost(a.into_store().map(drop));
    let mut store = tonne_app::open_store(path.to_str().unwrap()).unwrap();
    assert_eq!(
        store.head().unwrap().0,
        bad,
        "a's commands never reached the store"
    );
}
