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
        "Auctions",
        "[B] CA4001",
        "untimely obligation CA4001-2025:untimely",
        "Journal head: seq 103",
        "Verify: ok",
    ] {
        assert!(
            first.stdout.contains(want),
            "summary lacks {want:?}:\n{}",
            first.stdout
        );
    }
    let before = head(&db);
    assert_eq!(before.0, 103, "the demo journals 103 accepted commands");
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
        second.stderr.contains("journal head is 103"),
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
    assert_eq!(v["entries"], json!(103));
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

/// The demo's compliance period: a joint auction settled through the registry (consigned
/// allowances first, proceeds per jurisdiction and consignor), the compliance event, and the
/// compliance report read back from the store.
#[test]
fn demo_auction_and_compliance_report() {
    let (_dir, db) = temp_db();
    let r = tonne(["demo", "--db", p(&db), "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let a = tonne(["report", "auctions", "--db", p(&db), "--json"]).json();
    let rec = &a[0]["record"];
    // Bids: 120k@29.50 and 80k@28.00 fill the 200k offered (50k consigned, 120k Californian,
    // 30k Québec); $26.00 is not reached and $25.00 is below the $25.87 reserve price.
    assert_eq!(rec["price"]["unit_price_minor"], json!(2800));
    assert_eq!(rec["sold"], json!(200_000));
    assert_eq!(rec["consignors"]["CA4001"]["sold"], json!(50_000));
    assert_eq!(
        rec["consignors"]["CA4001"]["proceeds_minor"],
        json!(140_000_000u64)
    );
    assert_eq!(rec["jurisdictions"]["US-CA"]["sold"], json!(120_000));
    assert_eq!(
        rec["jurisdictions"]["CA-QC"]["proceeds_minor"],
        json!(84_000_000u64)
    );
    assert_eq!(rec["buyers"]["CA3001-H"], json!(120_000));
    assert_eq!(rec["buyers"]["QC3001-H"], json!(80_000));
    let c = tonne(["report", "compliance", "--db", p(&db), "--json"]).json();
    let ent = |id: &str| {
        c["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["entity"] == json!(id))
            .cloned()
            .unwrap()
    };
    let util = ent("CA4001");
    assert_eq!(util["obligations"][0]["status"], json!("B"));
    assert_eq!(util["obligations"][0]["surrendered"], json!(40_000));
    // 5,000 short: 4 × 5,000 owed, at least 3/4 in allowances (REG-§95857(b)).
    assert_eq!(util["obligations"][1]["quantity"], json!(20_000));
    assert_eq!(util["obligations"][1]["min_allowances"], json!(15_000));
    assert_eq!(ent("CA1001")["obligations"][0]["status"], json!("A"));
    // CalCement's obligation comes from its verified 2025 report: 868,114.08112 t covered →
    // 868,114 whole tonnes, 30 % (UNVERIFIED share) = 260,434.2 → 260,434.
    assert_eq!(ent("CA1001")["obligations"][0]["quantity"], json!(260_434));
    let steps = journal(&db)
        .iter()
        .filter(|e| e["cmd"].get("verification").is_some())
        .count();
    assert_eq!(
        steps, 8,
        "body, two verifiers, submission, COI, assignment, review, statement"
    );
    // As of a seq before the event, nothing has been evaluated yet.
    let before = tonne([
        "report",
        "compliance",
        "--db",
        p(&db),
        "--as-of-seq",
        "91",
        "--json",
    ])
    .json();
    assert!(!before.to_string().contains("\"status\":\"B\""), "{before}");
    let bad = tonne([
        "report",
        "compliance",
        "--db",
        p(&db),
        "--jurisdiction",
        "nowhere",
    ]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("--jurisdiction"), "{:?}", bad.stderr);
}
