//! `tonne demo`: builds the market once, refuses to run on a non-empty store.

use crate::util::*;
use serde_json::json;

#[test]
fn demo_runs_once_then_refuses_a_non_empty_store() {
    let (_dir, db) = temp_db();
    let first = tonne(["demo", "--db", p(&db)]);
    assert_eq!(first.code, 0, "{first:?}");
    for want in [
        "Accounts",
        "Transfers",
        "T-0001",
        "QC2001-H",
        "Compliance obligations",
        "Journal head: seq 68",
        "Verify: ok",
    ] {
        assert!(
            first.stdout.contains(want),
            "summary lacks {want:?}:\n{}",
            first.stdout
        );
    }
    let before = head(&db);
    assert_eq!(before.0, 68, "the demo journals 68 accepted commands");
    let journal_before = journal(&db);

    let second = tonne(["demo", "--db", p(&db)]);
    assert_ne!(
        second.code, 0,
        "a second demo on the same store must fail: {second:?}"
    );
    assert!(
        second.stderr.contains("not empty"),
        "unclear message: {:?}",
        second.stderr
    );
    assert!(
        second.stderr.contains("journal head is 68"),
        "the message names the head: {:?}",
        second.stderr
    );
    assert!(
        !second.stdout.contains("Accounts"),
        "nothing is summarised on failure: {:?}",
        second.stdout
    );

    // Nothing changed.
    assert_eq!(head(&db), before);
    assert_eq!(journal(&db), journal_before);
    let v = assert_verify_ok(&db);
    assert_eq!(v["entries"], json!(68));
    assert_eq!(v["head_hash"], json!(before.1));
    assert_eq!(v["issued"]["US-CA/ALW/2026"], json!(1_000_000));
}

#[test]
fn demo_json_summary_matches_the_journal() {
    let (_dir, db) = temp_db();
    let r = tonne(["demo", "--db", p(&db), "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    let (seq, hash) = head(&db);
    assert_eq!(v["journal_head"]["seq"], json!(seq));
    assert_eq!(v["journal_head"]["hash"], json!(hash));
    assert_eq!(v["rejected_as_expected"].as_array().map(Vec::len), Some(4));
    let t1 = v["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["transfer"] == "T-0001")
        .cloned()
        .unwrap();
    assert_eq!(t1["status"], json!("executed"));
    // The printed balances are the store's balances.
    let stored = holdings(&balances(&db, &[]));
    for a in v["accounts"].as_array().unwrap() {
        let name = a["account"].as_str().unwrap();
        for (series, q) in a["balances"].as_object().unwrap() {
            assert_eq!(
                stored[name].get(series).copied(),
                q.as_u64(),
                "{name} {series}"
            );
        }
    }
}
