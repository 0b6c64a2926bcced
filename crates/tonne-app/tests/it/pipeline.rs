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
