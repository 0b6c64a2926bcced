//! `tonne market auction-event` and `tonne bench auction`: the documented example end to end,
//! determinism, and input errors that name the file, line, column or field.

use crate::util::*;
use serde_json::json;
use std::path::PathBuf;

fn example(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../docs/examples", name]
        .iter()
        .collect();
    p.to_str().unwrap().to_owned()
}

fn file(dir: &std::path::Path, name: &str, text: &str) -> String {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    p(&f).to_owned()
}

fn event(notice: &str, bids: &str, advance: Option<&str>, extra: &[&str]) -> Run {
    let mut args = vec!["market", "auction-event", notice, "--bids", bids];
    if let Some(a) = advance {
        args.extend(["--advance-bids", a]);
    }
    args.extend(extra);
    tonne(args)
}

/// docs/examples/auction-notice.json with its two bid files (docs/market.md walks through it):
/// the current auction ties at $28.50 for the last 2,000 allowances; the advance auction is
/// undersubscribed and its 5,000 sold split 4,000 / 1,000 between California and Québec, pro
/// rata to the 8,000 / 2,000 they offered.
#[test]
fn documented_example() {
    let (n, b, a) = (
        example("auction-notice.json"),
        example("auction-bids.csv"),
        example("auction-advance-bids.csv"),
    );
    let r = event(&n, &b, Some(&a), &["--seed", "7", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(v["format"], json!("tonne-auction-results/1"));
    assert_eq!(v["reserve"]["joint_usd_cents"], json!(2794));
    assert_eq!(v["reserve"]["joint_cad_cents"], json!(3815));
    let c = &v["current"];
    assert_eq!(c["summary"]["settlement_price_usd_cents"], json!(2850));
    assert_eq!(c["summary"]["sold"], json!(60000));
    assert_eq!(c["tie"]["remaining"], json!(2000));
    assert_eq!(c["proceeds_usd_cents"], json!(2850 * 60000));
    // CA1001: 18,000 bid, 25 % of 60,000 = 15,000 (UNVERIFIED share from the notice).
    assert_eq!(
        c["awards"][0],
        json!({"bidder": "CA1001", "jurisdiction": "US-CA",
        "entity_type": "covered", "quantity": 15000, "cost_usd_cents": 42750000,
        "payment_currency": "USD", "cost_cad_cents": null})
    );
    // QC3001 bid in CAD and pays in CAD: 15,000 × $28.50 × 1.3654.
    assert_eq!(c["awards"][4]["cost_cad_cents"], json!(58370850));
    assert_eq!(c["screening"]["CA1002"]["reentered"], json!(1000));
    let consignors: Vec<(&str, u64)> = c["consignors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["consignor"].as_str().unwrap(),
                x["proceeds_usd_cents"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        consignors,
        [
            ("CA-EDU-01", 34_200_000),
            ("CA-EDU-02", 17_100_000),
            ("QC-EMIT-01", 5_700_000)
        ]
    );
    let adv = &v["advance"];
    assert_eq!(adv["summary"]["sold"], json!(5000));
    let split: Vec<u64> = adv["jurisdictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["sold"].as_u64().unwrap())
        .collect();
    assert_eq!(split, [4000, 1000]);
    // Same seed, same document; the text form prints the summary.
    assert_eq!(
        event(&n, &b, Some(&a), &["--seed", "7", "--json"]).stdout,
        r.stdout
    );
    let t = event(&n, &b, Some(&a), &["--seed", "7"]);
    assert_eq!(t.code, 0, "{t:?}");
    assert!(
        t.stdout.contains("settlement price US$28.50 (C$38.91)"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains("Advance auction (vintage 2029)"),
        "{}",
        t.stdout
    );
}

#[test]
fn bad_bids_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let n = example("auction-notice.json");
    let h = "bidder,price,quantity,currency\n";
    for (text, needle) in [
        (format!("{h}CA1001,-30,1000,\n"), "line 2, column price"),
        (
            format!("{h}CA1001,30,1000,\nCA1001,30,1500,\n"),
            "line 3, column quantity",
        ),
        (format!("{h}CA1001,30.001,1000,\n"), "line 2, column price"),
        (
            format!("{h}CA1001,30,1000,EUR\n"),
            "line 2, column currency",
        ),
        (
            format!("{h}CA1001,30,1000,\nCA1001,30\n"),
            "line 3: 2 fields; expected 4",
        ),
        (
            "bidder,quantity\n".to_owned(),
            "expected bidder,price,quantity",
        ),
        (
            format!("{h}CA1001,30,1000,\n\nZZ,30,1000,\n"),
            "bids, line 4: bid of \"ZZ\": no bidder with this id is registered",
        ),
        (
            format!("{h}CA1001,30,1000,\nCA9999,30,1000,\n"),
            "bids, line 3: bid of \"CA9999\" rejected: the bidder is registered but not qualified",
        ),
        (format!("{h}CA1001,30,1000,CAD\n"), "REG-§95911(a)(4)"),
    ] {
        let b = file(dir.path(), "bids.csv", &text);
        let r = event(&n, &b, None, &[]);
        assert_eq!(r.code, 2, "{text}: {r:?}");
        assert!(r.stderr.contains(needle), "{text}: {}", r.stderr);
        assert!(
            r.stderr.contains("bids.csv"),
            "names the file: {}",
            r.stderr
        );
    }
    // Advance bids: their own file named.
    let b = file(dir.path(), "bids.csv", &format!("{h}CA1001,30,1000,\n"));
    let a = file(
        dir.path(),
        "adv.csv",
        &format!("{h}CA1001,30,1000,\nQC3009,30,1000,\n"),
    );
    let r = event(&n, &b, Some(&a), &[]);
    assert!(
        r.stderr
            .contains("adv.csv: advance bids, line 3: bid of \"QC3009\""),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_notices_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(example("auction-notice.json")).unwrap();
    let b = file(
        dir.path(),
        "bids.csv",
        "bidder,price,quantity\nCA1001,30,1000\n",
    );
    for (bad, needle) in [
        (
            good.replacen("\"opt_in\"", "\"bank\"", 1),
            "bidders[1].entity_type: unknown variant `bank`",
        ),
        (
            good.replacen("\"27.94\"", "\"-27.94\"", 1),
            "jurisdictions[0].reserve_price",
        ),
        (
            good.replacen("\"vintage\": 2029", "\"vintage\": 2028", 1),
            "advance.offers[0].vintage: the advance auction offers vintage 2029",
        ),
        (
            good.replacen("\"state_owned\": 27000", "\"state_owned\": 27000.5", 1),
            "current.offers[0].state_owned",
        ),
        (
            good.replacen(
                "\"cad_per_usd\": \"1.3654\"",
                "\"cad_per_usd\": \"1,3654\"",
                1,
            ),
            "exchange_rate.cad_per_usd",
        ),
        (
            good.replacen("\"qualified\": true", "\"qualifed\": true", 1),
            "bidders[0].qualifed",
        ),
        (good[..good.len() / 2].to_owned(), "EOF while parsing"),
    ] {
        let n = file(dir.path(), "notice.json", &bad);
        let r = event(&n, &b, None, &[]);
        assert_eq!(r.code, 2, "{needle}: {r:?}");
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
        assert!(r.stderr.contains("notice.json"), "{}", r.stderr);
    }
    // Advance bids for a notice without an advance auction.
    let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
    v.as_object_mut().unwrap().remove("advance");
    let n = file(dir.path(), "notice.json", &v.to_string());
    let r = event(&n, &b, Some(&b), &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("the notice announces no advance auction"),
        "{}",
        r.stderr
    );
}

/// `tonne bench auction --json` at CI scale: the documented keys.
#[test]
fn bench_auction_ci() {
    let out = std::process::Command::new(TONNE)
        .args(["bench", "auction", "--json", "--runs", "1"])
        .env("TONNE_BENCH_SCALE", "ci")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bids"], json!(20000));
    assert!(v["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(v["scale"], json!("ci"));
    assert!(v["current"]["sold"].as_u64().unwrap() > 0);
}
