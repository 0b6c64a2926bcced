//! From an auction event to the registry: `tonne market auction-event … --settlement FILE`
//! writes the `settle_auction` commands of the documented example, `tonne apply` settles them
//! on a registry holding the notice's accounts, and `tonne report auctions` and the balances
//! agree with the event's results; a second apply replays. Notices without the registry
//! accounts still clear, and asking them for a settlement names the missing fields.

use crate::util::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn example(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../docs/examples", name]
        .iter()
        .collect();
    p.to_str().unwrap().to_owned()
}

fn alw(j: &str, v: u16) -> Value {
    json!({"jurisdiction": j, "kind": "allowance", "vintage": v})
}

/// A registry with every account docs/examples/auction-notice.json names: the two
/// jurisdictions linked, their issuance and auction holding accounts holding the state-owned
/// allowances offered, the consignors' allowances consigned through the request flow, and a
/// holding account per bidder. All before the auction day.
fn registry_commands() -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |t: &str, actor: &str, cmd: Value| {
        let k = format!("setup-{}", out.len());
        out.push(env(&k, t, actor, cmd));
    };
    let t0 = "2026-01-05T16:00:00Z";
    push(
        t0,
        "admin",
        json!({"genesis": {"name": "auction settlement test", "rules": {}}}),
    );
    push(
        t0,
        "admin",
        json!({"add_jurisdiction": {"code": "US-CA", "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD"}}),
    );
    push(
        t0,
        "admin",
        json!({"add_jurisdiction": {"code": "CA-QC", "name": "Québec", "time_zone": "America/Toronto", "currency": "CAD"}}),
    );
    for (u, role) in [
        ("carb-eo", json!({"regulator": {"jurisdiction": "US-CA"}})),
        ("qc-mel", json!({"regulator": {"jurisdiction": "CA-QC"}})),
        ("p1", json!("participant")),
        ("p2", json!("participant")),
    ] {
        push(
            t0,
            "admin",
            json!({"add_user": {"user": u, "name": u, "role": role}}),
        );
    }
    push(
        t0,
        "admin",
        json!({"link": {"a": "US-CA", "b": "CA-QC", "effective": "2014-01-01T08:00:00Z"}}),
    );
    // Budgets (REG-§95841 Table 6-1 for California 2025-2026; the rest illustrative): issuance
    // and holding limits need them.
    for (j, reg, year, q) in [
        ("US-CA", "carb-eo", 2025, 267_400_000u64),
        ("US-CA", "carb-eo", 2026, 254_000_000),
        ("US-CA", "carb-eo", 2029, 200_000_000),
        ("CA-QC", "qc-mel", 2025, 50_710_000),
        ("CA-QC", "qc-mel", 2026, 49_520_000),
        ("CA-QC", "qc-mel", 2029, 45_000_000),
    ] {
        push(
            t0,
            reg,
            json!({"set_budget": {"jurisdiction": j, "year": year, "allowances": q}}),
        );
    }
    let entity = |e: &str, j: &str, t: &str| json!({"register_entity": {"entity": e, "jurisdiction": j, "name": e, "entity_type": t}});
    let account = |a: &str, e: &str, t: &str| json!({"open_account": {"account": a, "entity": e, "account_type": t}});
    let rep = |a: &str, u: &str, r: &str| json!({"set_representative": {"account": a, "user": u, "role": r}});
    for (gov, j, reg, pre) in [
        ("CA-GOV", "US-CA", "carb-eo", "CA"),
        ("QC-GOV", "CA-QC", "qc-mel", "QC"),
    ] {
        push(t0, reg, entity(gov, j, "government"));
        push(
            t0,
            reg,
            account(&format!("{pre}-ISSUANCE"), gov, "issuance"),
        );
        push(
            t0,
            reg,
            account(&format!("{pre}-AUCTION"), gov, "auction_holding"),
        );
        push(t0, reg, rep(&format!("{pre}-AUCTION"), reg, "primary"));
    }
    for (e, j, t, reg) in [
        ("CA1001", "US-CA", "covered", "carb-eo"),
        ("CA1002", "US-CA", "opt_in", "carb-eo"),
        ("CA1003", "US-CA", "covered", "carb-eo"),
        ("CA2001", "US-CA", "voluntarily_associated", "carb-eo"),
        ("QC3001", "CA-QC", "covered", "qc-mel"),
        ("QC3002", "CA-QC", "voluntarily_associated", "qc-mel"),
    ] {
        push(t0, reg, entity(e, j, t));
        push(t0, reg, account(&format!("{e}-H"), e, "holding"));
    }
    // Issuance and the state-owned allowances each jurisdiction offers.
    for (j, reg, pre, v, issue, offer) in [
        ("US-CA", "carb-eo", "CA", 2025, 1_000u64, 1_000u64),
        ("US-CA", "carb-eo", "CA", 2026, 45_000, 27_000),
        ("US-CA", "carb-eo", "CA", 2029, 8_000, 8_000),
        ("CA-QC", "qc-mel", "QC", 2026, 14_000, 12_000),
        ("CA-QC", "qc-mel", "QC", 2029, 2_000, 2_000),
    ] {
        push(
            t0,
            reg,
            json!({"issue": {"series": alw(j, v), "quantity": issue, "to": format!("{pre}-ISSUANCE")}}),
        );
        push(
            t0,
            reg,
            json!({"allocate": {"from": format!("{pre}-ISSUANCE"), "to": format!("{pre}-AUCTION"), "legs": [{"series": alw(j, v), "quantity": offer}]}}),
        );
    }
    // Consignors: allocation to their limited use holding accounts, consigned to the auction
    // (proposed, confirmed by the alternate, accepted by the auction account's representative).
    let t1 = "2026-01-20T17:00:00Z";
    let consignors = [
        ("CA-EDU-01", "US-CA", "carb-eo", "CA", 12_000u64),
        ("CA-EDU-02", "US-CA", "carb-eo", "CA", 6_000),
        ("QC-EMIT-01", "CA-QC", "qc-mel", "QC", 2_000),
    ];
    for (e, j, reg, pre, q) in consignors {
        let l = format!("{e}-L");
        push(t0, reg, entity(e, j, "covered"));
        push(t0, reg, account(&l, e, "limited_use_holding"));
        push(t0, reg, rep(&l, "p1", "primary"));
        push(t0, reg, rep(&l, "p2", "alternate"));
        push(
            t0,
            reg,
            json!({"allocate": {"from": format!("{pre}-ISSUANCE"), "to": l, "legs": [{"series": alw(j, 2026), "quantity": q}]}}),
        );
    }
    for (i, (e, j, reg, pre, q)) in consignors.into_iter().enumerate() {
        let t = format!("C-{i}");
        push(
            t1,
            "p1",
            json!({"propose_transfer": {"transfer": t, "from": format!("{e}-L"), "to": format!("{pre}-AUCTION"), "legs": [{"series": alw(j, 2026), "quantity": q}], "transaction_type": "no_consideration"}}),
        );
        push(t1, "p2", json!({"confirm_transfer": {"transfer": t}}));
        push(t1, reg, json!({"accept_transfer": {"transfer": t}}));
    }
    out
}

fn apply(dir: &Path, db: &Path, name: &str, lines: &[String]) -> Vec<Value> {
    let f = write_file(dir, name, lines);
    let r = tonne(["apply", p(&f), "--db", p(db), "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    r.json_lines()
}

fn auction_event(extra: &[&str]) -> Run {
    let (n, b, a) = (
        example("auction-notice.json"),
        example("auction-bids.csv"),
        example("auction-advance-bids.csv"),
    );
    let mut args = vec![
        "market",
        "auction-event",
        n.as_str(),
        "--bids",
        b.as_str(),
        "--advance-bids",
        a.as_str(),
        "--seed",
        "7",
    ];
    args.extend(extra);
    tonne(args)
}

#[test]
fn settlement_file_settles_the_example_in_the_registry() {
    let (dir, db) = temp_db();
    apply(dir.path(), &db, "setup.jsonl", &registry_commands());
    let file = dir.path().join("settle.jsonl");
    let r = auction_event(&["--json", "--settlement", p(&file)]);
    assert_eq!(r.code, 0, "{r:?}");
    let event = r.json();
    let text = std::fs::read_to_string(&file).unwrap();
    let batch: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(batch.len(), 2, "current and advance: {text}");
    assert_eq!(
        batch[0]["key"],
        json!("settle_auction:2026-02-joint-current")
    );
    assert_eq!(
        batch[1]["key"],
        json!("settle_auction:2026-02-joint-advance")
    );
    // The notice's closes_at, 1 p.m. Pacific (UTC-8 in February), and the default actor.
    assert_eq!(batch[0]["ts"], json!("2026-02-18T21:00:00Z"));
    assert_eq!(batch[0]["actor"], json!("admin"));
    // Consigned allowances are delivered first: CA1001, the first winner, gets the consignors'.
    let first = &batch[0]["cmd"]["settle_auction"]["deliveries"][0];
    assert_eq!(first["to"], json!("CA1001-H"));
    assert_eq!(first["consignor"], json!("CA-EDU-01"));

    let results = apply(
        dir.path(),
        &db,
        "settle.jsonl",
        &text.lines().map(str::to_owned).collect::<Vec<_>>(),
    );
    assert!(
        results.iter().all(|x| x["ok"] == json!(true)),
        "{results:?}"
    );

    let report = tonne(["report", "auctions", "--db", p(&db), "--json"]).json();
    let records: BTreeMap<&str, &Value> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["auction"].as_str().unwrap(), &a["record"]))
        .collect();
    // Per bidder, everything awarded in both auctions.
    let mut awarded: BTreeMap<String, u64> = BTreeMap::new();
    for (kind, id) in [
        ("current", "2026-02-joint-current"),
        ("advance", "2026-02-joint-advance"),
    ] {
        let res = &event[kind];
        let rec = records[id];
        assert_eq!(rec["sold"], res["summary"]["sold"], "{kind}");
        assert_eq!(
            rec["price"],
            json!({"unit_price_minor": res["summary"]["settlement_price_usd_cents"], "currency": "USD"}),
            "{kind}"
        );
        let proceeds: u64 = rec["jurisdictions"]
            .as_object()
            .unwrap()
            .values()
            .chain(rec["consignors"].as_object().unwrap().values())
            .map(|p| p["proceeds_minor"].as_u64().unwrap())
            .sum();
        assert_eq!(json!(proceeds), res["proceeds_usd_cents"], "{kind}");
        for j in res["jurisdictions"].as_array().unwrap() {
            let code = j["jurisdiction"].as_str().unwrap();
            let own = &rec["jurisdictions"][code];
            if j["state_owned_sold"] == json!(0) {
                assert!(own.is_null(), "{kind} {code}: {own}");
            } else {
                assert_eq!(own["sold"], j["state_owned_sold"], "{kind} {code}");
                assert_eq!(
                    own["proceeds_minor"], j["state_owned_proceeds_usd_cents"],
                    "{kind} {code}"
                );
            }
        }
        let consignors = rec["consignors"].as_object().unwrap();
        let expected = res["consignors"].as_array().unwrap();
        assert_eq!(
            consignors.len(),
            expected.iter().filter(|c| c["sold"] != json!(0)).count(),
            "{kind}"
        );
        for c in expected.iter().filter(|c| c["sold"] != json!(0)) {
            let got = &consignors[c["consignor"].as_str().unwrap()];
            assert_eq!(got["sold"], c["sold"], "{kind}");
            assert_eq!(got["proceeds_minor"], c["proceeds_usd_cents"], "{kind}");
        }
        for w in res["awards"].as_array().unwrap() {
            let b = w["bidder"].as_str().unwrap();
            assert_eq!(rec["buyers"][format!("{b}-H")], w["quantity"], "{kind} {b}");
            *awarded.entry(format!("{b}-H")).or_default() += w["quantity"].as_u64().unwrap();
        }
    }
    // The example's figures (docs/market.md): 60,000 at US$28.50 and 5,000 at the reserve.
    assert_eq!(
        records["2026-02-joint-current"]["consignors"]["CA-EDU-01"]["proceeds_minor"],
        json!(34_200_000)
    );
    assert_eq!(
        records["2026-02-joint-advance"]["jurisdictions"]["CA-QC"]["sold"],
        json!(1_000)
    );
    // Every winner holds exactly its awards.
    let stored = holdings(&balances(&db, &[]));
    for (acct, q) in &awarded {
        let held: u64 = stored.get(acct).map_or(0, |m| m.values().sum());
        assert_eq!(held, *q, "{acct}");
    }
    assert_eq!(stored.get("CA9999-H"), None);
    assert_verify_ok(&db);

    // Running the event again writes the same file; applying it again replays both commands.
    let again = dir.path().join("again.jsonl");
    let r = auction_event(&["--settlement", p(&again)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
    let head_before = head(&db);
    let r = tonne(["apply", p(&again), "--db", p(&db), "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.json_lines().iter().all(|x| x["replayed"] == json!(true)),
        "{}",
        r.stdout
    );
    assert_eq!(head(&db), head_before);
}

#[test]
fn settlement_needs_the_registry_accounts_and_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let good: Value =
        serde_json::from_str(&std::fs::read_to_string(example("auction-notice.json")).unwrap())
            .unwrap();
    let write = |name: &str, v: &Value| {
        let f = dir.path().join(name);
        std::fs::write(&f, v.to_string()).unwrap();
        p(&f).to_owned()
    };
    let run = |notice: &str, extra: &[&str]| {
        let (b, a) = (
            example("auction-bids.csv"),
            example("auction-advance-bids.csv"),
        );
        let mut args = vec![
            "market",
            "auction-event",
            notice,
            "--bids",
            b.as_str(),
            "--advance-bids",
            a.as_str(),
        ];
        args.extend(extra);
        tonne(args)
    };
    // A notice without the new fields (as before they existed) still clears.
    let mut old = good.clone();
    let o = old.as_object_mut().unwrap();
    o.remove("auction_id");
    o.remove("closes_at");
    for j in o["jurisdictions"].as_array_mut().unwrap() {
        j.as_object_mut().unwrap().remove("auction_account");
    }
    for b in o["bidders"].as_array_mut().unwrap() {
        b.as_object_mut().unwrap().remove("holding_account");
    }
    let old_path = write("old.json", &old);
    let plain = run(&old_path, &["--json"]);
    assert_eq!(plain.code, 0, "{plain:?}");
    // Asked for a settlement, it names every missing field.
    let out = dir.path().join("s.jsonl");
    let r = run(&old_path, &["--settlement", p(&out)]);
    assert_eq!(r.code, 2, "{r:?}");
    for needle in [
        "old.json",
        "jurisdictions[0].auction_account (US-CA)",
        "jurisdictions[1].auction_account (CA-QC)",
        "bidders[0].holding_account (CA1001)",
        "bidders[5].holding_account (QC3002)",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    // CA9999 won nothing: its account is not asked for.
    assert!(!r.stderr.contains("CA9999"), "{}", r.stderr);
    assert!(!out.exists(), "nothing written on an error");
    // With the accounts but no closes_at, a time is needed: --ts gives it.
    let mut no_close = good.clone();
    no_close.as_object_mut().unwrap().remove("closes_at");
    no_close.as_object_mut().unwrap().remove("auction_id");
    let nc = write("no-close.json", &no_close);
    let r = run(&nc, &["--settlement", p(&out)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("closes_at: not given"), "{}", r.stderr);
    let r = run(
        &nc,
        &[
            "--settlement",
            p(&out),
            "--ts",
            "2026-02-19T18:00:00Z",
            "--actor",
            "carb-eo",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["ts"], json!("2026-02-19T18:00:00Z"));
    assert_eq!(first["actor"], json!("carb-eo"));
    // Without auction_id the settlements are named after the date.
    assert_eq!(first["key"], json!("settle_auction:2026-02-18-current"));
    // Bad values of the new fields name their field.
    for (field, value, needle) in [
        (
            "closes_at",
            json!("2026-02-19T13:00:00-08:00"),
            "closes_at: \"2026-02-19T13:00:00-08:00\" is not on the auction date 2026-02-18",
        ),
        ("closes_at", json!("at one"), "closes_at: timestamp"),
        (
            "auction_id",
            json!("joint auction"),
            "auction_id: 1-56 letters",
        ),
    ] {
        let mut v = good.clone();
        v[field] = value;
        let r = run(&write("bad.json", &v), &[]);
        assert_eq!(r.code, 2, "{needle}: {r:?}");
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    let mut v = good.clone();
    v["bidders"][2]["holding_account"] = json!("CA 1003");
    let r = run(&write("bad.json", &v), &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("bidders[2].holding_account"),
        "{}",
        r.stderr
    );
}
