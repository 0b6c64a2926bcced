//! Point-in-time balances: `tonne balances --as-of-seq` / `--as-of` replay the journal up to
//! that point.

use crate::util::*;
use serde_json::json;

#[test]
fn balances_before_and_after_the_cross_border_transfer() {
    let (_d, db) = demo_db();
    // The entry that executed T-0001: it moves serials out of T-0001's escrow into QC2001-H.
    let journal = journal(&db);
    let exec = journal
        .iter()
        .find(|e| {
            e["effects"].as_array().unwrap().iter().any(|f| {
                f["moved"]["from"]["escrow"] == json!("T-0001")
                    && f["moved"]["to"]["account"] == json!("QC2001-H")
            })
        })
        .expect("T-0001 executes in the demo");
    let n = exec["seq"].as_u64().unwrap();
    assert_eq!(exec["cmd"]["accept_transfer"]["transfer"], json!("T-0001"));

    let at = |seq: u64| {
        balances(
            &db,
            &["--account", "QC2001-H", "--as-of-seq", &seq.to_string()],
        )
    };
    let before = at(n - 1);
    let after = at(n);
    assert_ne!(before, after);
    assert_eq!(before[0]["as_of_seq"], json!(n - 1));
    assert_eq!(after[0]["as_of_seq"], json!(n));
    let h_before = holdings(&before);
    let h_after = holdings(&after);
    assert_eq!(
        h_before["QC2001-H"].get(CA26),
        None,
        "no California allowances before T-0001"
    );
    assert_eq!(h_after["QC2001-H"].get(CA26), Some(&50_000));
    assert_eq!(
        h_before["QC2001-H"]["CA-QC/ALW/2026"],
        h_after["QC2001-H"]["CA-QC/ALW/2026"]
    );
    let ranges = after[0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["series"] == json!(CA26))
        .unwrap()["ranges"]
        .clone();
    assert_eq!(ranges, json!(["890001..940000"]));

    // The sender's side, the same two instants.
    let cb = |seq: u64| {
        holdings(&balances(
            &db,
            &["--account", "CA3001-H", "--as-of-seq", &seq.to_string()],
        ))["CA3001-H"]
            .clone()
    };
    assert_eq!(
        cb(n - 1)[CA26],
        120_000,
        "escrowed serials still count as held until execution"
    );
    assert_eq!(cb(n)[CA26], 70_000);

    // The same by instant: the accept was at 2026-03-04T15:00:00Z.
    let t = |ts: &str| {
        holdings(&balances(&db, &["--account", "QC2001-H", "--as-of", ts]))["QC2001-H"]
            .get(CA26)
            .copied()
    };
    assert_eq!(t("2026-03-04T14:59:59Z"), None);
    assert_eq!(t("2026-03-04T15:00:00Z"), Some(50_000));
    // Now: 40 000 of them were surrendered from the compliance account later.
    assert_eq!(held(&db, "QC2001-H", CA26), 10_000);
    // Past the head is the head; an account that did not exist yet is an error.
    assert_eq!(
        holdings(&balances(
            &db,
            &["--account", "QC2001-H", "--as-of-seq", "100000"]
        ))["QC2001-H"][CA26],
        10_000
    );
    let r = tonne([
        "balances",
        "--db",
        p(&db),
        "--account",
        "QC2001-H",
        "--as-of-seq",
        "5",
        "--json",
    ]);
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("does not exist at seq 5"), "{r:?}");
}
