//! A store with no accepted command yet: it verifies, and refusals before genesis are stored as
//! results without creating any state rows.

use crate::util::*;
use serde_json::json;
use tonne_registry::Code;

#[test]
fn a_new_store_verifies() {
    let (_dir, _path) = temp_db();
    let mut ledger = open(&_path);
    assert_eq!(ledger.head().0, 0);
    verify_ok(&mut ledger);
    assert!(ledger.store().unwrap().objects().unwrap().is_empty());
}

#[test]
fn refusals_before_genesis_leave_a_verifiable_empty_store() {
    let (_dir, path) = temp_db();
    let mut ledger = open(&path);
    let tick = env("t-1", "2026-01-05T16:00:00Z", "admin", json!({"tick": {}}));
    assert_eq!(rejected(&ledger.execute(&tick).unwrap()), Code::Genesis);
    assert_eq!(ledger.head().0, 0);
    verify_ok(&mut ledger);
    drop(ledger);
    let mut ledger = open(&path);
    assert_eq!(
        replayed(&ledger.execute(&tick).unwrap())["code"],
        json!(1005)
    );
    let genesis = env(
        "g-1",
        "2026-01-05T16:00:00Z",
        "admin",
        json!({"genesis": {"name": "x", "rules": {}}}),
    );
    assert_eq!(accepted(&ledger.execute(&genesis).unwrap()), 1);
    verify_ok(&mut ledger);
    assert_eq!(
        ledger.store().unwrap().objects().unwrap(),
        ledger.state().object_rows()
    );
}
