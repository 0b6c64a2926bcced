//! Batched staging: many commands per durable commit must leave exactly the state rows and the
//! journal that one commit per command leaves, and survive reopening.

use crate::util::*;
use tonne_app::{Outcome, demo};

#[test]
fn staged_batches_equal_single_commits_and_survive_reopen() {
    // One commit per command.
    let (_d1, p1, mut single) = demo_ledger();

    // The same script staged, flushed every 7 commands (and at the end).
    let (_d2, p2) = temp_db();
    let mut batched = open(&p2);
    for (i, (env, expect_ok)) in demo::script().iter().enumerate() {
        let o = batched.stage(env).unwrap();
        assert_eq!(
            matches!(o, Outcome::Accepted { .. }),
            *expect_ok,
            "{} gave {o:?}",
            env.key
        );
        if i % 7 == 6 {
            batched.flush().unwrap();
        }
    }
    batched.flush().unwrap();

    assert_eq!(
        batched.head(),
        single.head(),
        "same journal, same head hash"
    );
    let rows = |l: &mut tonne_app::Ledger| {
        (
            l.store().unwrap().holdings().unwrap(),
            l.store().unwrap().objects().unwrap(),
        )
    };
    let stored = rows(&mut batched);
    assert_eq!(stored, rows(&mut single), "same stored state rows");
    assert_eq!(
        stored.0,
        batched.state().holding_rows(),
        "stored holdings are the in-memory state"
    );
    assert_eq!(
        stored.1,
        batched.state().object_rows(),
        "stored objects are the in-memory state"
    );
    assert_eq!(journal_keys(&mut batched), journal_keys(&mut single));
    verify_ok(&mut batched);
    verify_ok(&mut single);

    // Reopen: replay rebuilds identical state.
    let head = batched.head();
    let mem = (
        batched.state().holding_rows(),
        batched.state().object_rows(),
    );
    drop(batched);
    let mut reopened = open(&p2);
    assert_eq!(reopened.head(), head);
    assert_eq!(
        (
            reopened.state().holding_rows(),
            reopened.state().object_rows()
        ),
        mem
    );
    assert_eq!(rows(&mut reopened), stored);
    verify_ok(&mut reopened);

    // A large batch of transfers in one commit.
    for i in 0..500u64 {
        let o = reopened
            .stage(&transfer(
                &format!("big-{i}"),
                "CA-AUCTION",
                if i % 2 == 0 { "CA3001-H" } else { "CA1001-H" },
                1 + i % 5,
            ))
            .unwrap();
        accepted(&o);
    }
    assert_eq!(reopened.staged(), 500);
    reopened.flush().unwrap();
    let mem = (
        reopened.state().holding_rows(),
        reopened.state().object_rows(),
    );
    assert_eq!(rows(&mut reopened), mem);
    verify_ok(&mut reopened);
    drop(reopened);
    let again = open(&p2);
    assert_eq!(
        (again.state().holding_rows(), again.state().object_rows()),
        mem
    );
    assert_eq!(again.head().0, demo::journal_entries() + 500);
    drop(single);
    drop(again);
    let _ = p1;
}
