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
        "Verify: ok",
    ] {
        assert!(
            first.stdout.contains(want),
            "summary lacks {want:?}:\n{}",
            first.stdout
        );
    }
    let before = head(&db);
    let entries = tonne_app::demo::journal_entries();
    assert_eq!(before.0, entries, "the demo journals each accepted command");
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
        second
            .stderr
            .contains(&format!("journal head is {entries}")),
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
    assert_eq!(v["entries"], json!(entries));
    assert_eq!(v["head_hash"], json!(before.1));
    assert_eq!(v["issued"]["US-CA/ALW/2026"], json!(4_000_000));
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
    assert_eq!(v["rejected_as_expected"].as_array().map(Vec::len), Some(7));
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
    // 3,000,000 offered; at or above the $27.94 reserve price only 120k@29.50 (Pacific, exactly
    // its 4 % purchase limit) and 80k@28.00 ($26.00 and $25.00 are below it). Undersubscribed:
    // the lowest accepted price, 50k consigned first, then 150k split 4:1 as California
    // (2,360,000) and Québec (590,000) offered.
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
    let obligation = |entity: &str, id: &str| {
        ent(entity)["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["obligation"] == json!(id))
            .cloned()
            .unwrap_or_else(|| panic!("{entity} has no obligation {id}: {c}"))
    };
    // Every obligation comes from verified reports (demo data in crates/tonne-app/data):
    // covered tonnes rounded half away from zero per report, the annual share of 30 %
    // (UNVERIFIED) rounded half up.
    // CalCement: 890,580.82 / 868,114.08 / 846,225.90 t → 890,581 / 868,114 / 846,226.
    let cement = |id: &str| obligation("CA1001", id);
    assert_eq!(cement("CA1001-2024")["quantity"], json!(267_174));
    assert_eq!(cement("CA1001-2025")["quantity"], json!(260_434));
    // Full period: 2,604,921 less the annual 527,608.
    assert_eq!(cement("CA1001-CP5")["quantity"], json!(2_077_313));
    // At the full-period event, in the retirement order: offsets up to the limit, 4 % of the
    // obligation (83,092 of the 100,000 it bought; surrendering all of them was refused), then
    // the 10,000 reserve allowances from the 2026 reserve sale, then allowances.
    assert_eq!(cement("CA1001-CP5")["offset_cap"], json!(83_092));
    assert_eq!(cement("CA1001-CP5")["offsets"], json!(83_092));
    assert_eq!(cement("CA1001-CP5")["reserve_and_ceiling"], json!(10_000));
    assert_eq!(cement("CA1001-CP5")["allowances"], json!(1_984_221));
    for id in ["CA1001-2024", "CA1001-2025", "CA1001-CP5"] {
        assert_eq!(cement(id)["status"], json!("A"), "{id}");
        assert_eq!(cement(id)["outstanding"], json!(0), "{id}");
    }
    // The utility: 140,650.93 / 138,942.70 / 132,128.35 t → 42,195 and 41,683 annual. At the
    // 2025 event its compliance account held 2,805 of 2024 and 36,000 of 2025 (its 340,000 of
    // 2026 are a later vintage, REG-§95856(b)(2)): 2,878 short, 4 × owed (REG-§95857(b)).
    let util = |id: &str| obligation("CA4001", id);
    assert_eq!(util("CA4001-2024")["status"], json!("A"));
    assert_eq!(util("CA4001-2025")["status"], json!("B"));
    assert_eq!(util("CA4001-2025")["quantity"], json!(41_683));
    assert_eq!(util("CA4001-2025")["surrendered"], json!(38_805));
    // The shortfall is replaced by the untimely obligation, which carries what is owed.
    assert_eq!(util("CA4001-2025")["outstanding"], json!(0));
    assert_eq!(ent("CA4001")["outstanding"], json!(0));
    assert_eq!(ent("CA4001")["owed"], ent("CA4001")["surrendered"]);
    let untimely = util("CA4001-2025:untimely");
    assert_eq!(untimely["quantity"], json!(11_512));
    assert_eq!(untimely["min_allowances"], json!(8_634));
    assert_eq!(untimely["outstanding"], json!(0));
    assert_eq!(untimely["status"], json!("met"));
    // 411,722 less 83,878.
    assert_eq!(util("CA4001-CP5")["quantity"], json!(327_844));
    assert_eq!(util("CA4001-CP5")["status"], json!("A"));
    // Québec: the full period only, 119,976 + 115,600 + 113,222, met partly with California
    // allowances (the markets are linked).
    let qc = obligation("QC2001", "QC2001-CP5");
    assert_eq!(qc["quantity"], json!(348_798));
    assert_eq!(qc["status"], json!("A"));
    assert_eq!(qc["covered_emissions"], json!(348_798));
    assert_eq!(cement("CA1001-CP5")["covered_emissions"], json!(2_604_921));
    // Desert Glass never files a verified report: status C at each of California's three
    // compliance events, in the order they were held.
    let glass: Vec<(String, u64, u64)> = ent("CA5001")["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(o["quantity"], json!(0));
            (
                o["status"].as_str().unwrap().to_owned(),
                o["first_year"].as_u64().unwrap(),
                o["last_year"].as_u64().unwrap(),
            )
        })
        .collect();
    let status_c = |f, l| ("C".to_owned(), f, l);
    assert_eq!(
        glass,
        [
            status_c(2024, 2024),
            status_c(2025, 2025),
            status_c(2024, 2026)
        ]
    );
    let steps = journal(&db)
        .iter()
        .filter(|e| e["cmd"].get("verification").is_some())
        .count();
    assert_eq!(
        steps,
        4 + 3 * 3 * 5,
        "body, three verifiers; per report: submission, COI, assignment, review, statement"
    );
    // As of the seq before the 2025 compliance event nothing of 2025 has been evaluated; as of
    // the event, the utility's shortfall shows.
    let event_2025 = journal(&db)
        .iter()
        .find(|e| e["cmd"]["compliance_event"]["obligations"][0] == json!("CA1001-2025"))
        .map(|e| e["seq"].as_u64().unwrap())
        .expect("the 2025 compliance event");
    let as_of = |seq: u64| {
        tonne([
            "report",
            "compliance",
            "--db",
            p(&db),
            "--as-of-seq",
            &seq.to_string(),
            "--json",
        ])
        .json()
    };
    assert!(
        !as_of(event_2025 - 1)
            .to_string()
            .contains("\"status\":\"B\"")
    );
    assert!(as_of(event_2025).to_string().contains("\"status\":\"B\""));
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

/// `tonne report compliance --csv`: one row per obligation line of the JSON report, same
/// figures.
#[test]
fn compliance_report_as_csv_matches_the_json() {
    let (_dir, db) = temp_db();
    assert_eq!(tonne(["demo", "--db", p(&db)]).code, 0);
    let report = tonne(["report", "compliance", "--db", p(&db), "--json"]).json();
    let csv = tonne(["report", "compliance", "--db", p(&db), "--csv"]);
    assert_eq!(csv.code, 0, "{csv:?}");
    let mut rows = csv.stdout.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!(header, tonne_app::compliance_report::CSV_COLUMNS);
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = rows.map(|r| r.split(',').collect()).collect();
    let lines: Vec<(&serde_json::Value, &serde_json::Value)> = report["entities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["obligations"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |o| (e, o))
        })
        .collect();
    assert_eq!(rows.len(), lines.len());
    for (row, (e, o)) in rows.iter().zip(&lines) {
        assert_eq!(row.len(), header.len(), "{row:?}");
        assert_eq!(row[col("entity")], e["entity"].as_str().unwrap());
        assert_eq!(row[col("obligation")], o["obligation"].as_str().unwrap());
        assert_eq!(row[col("status")], o["status"].as_str().unwrap());
        for n in ["quantity", "surrendered", "outstanding"] {
            assert_eq!(row[col(n)], o[n].to_string(), "{n} of {row:?}");
        }
        let covered = o["covered_emissions"].as_u64().map(|c| c.to_string());
        assert_eq!(row[col("covered_emissions")], covered.unwrap_or_default());
    }
    let conflict = tonne(["report", "compliance", "--db", p(&db), "--csv", "--json"]);
    assert_ne!(conflict.code, 0);
}
