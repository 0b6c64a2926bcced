//! `tonne market auction` and `tonne market holding-limit`: the JSON contract, limits and
//! guarantee screening through the files, determinism of the tie rule, input errors.

use crate::util::*;
use serde_json::json;

fn file(dir: &std::path::Path, name: &str, text: &str) -> String {
    let f = dir.join(name);
    std::fs::write(&f, text).unwrap();
    p(&f).to_owned()
}

#[test]
fn auction_json_contract() {
    let dir = tempfile::tempdir().unwrap();
    let bids = file(
        dir.path(),
        "bids.csv",
        "bidder,price,quantity\nZed,31.50,2000\nA,30,6000\nB,30.00,5000\nC,30,1000\nD,24.99,5000\n",
    );
    let run = |seed: &str| {
        tonne([
            "market",
            "auction",
            "--bids",
            &bids,
            "--supply",
            "12000",
            "--reserve-price",
            "25",
            "--seed",
            seed,
            "--json",
        ])
    };
    let r = run("7");
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(v["settlement_price"], json!(30));
    assert_eq!(
        (v["sold"].clone(), v["unsold"].clone()),
        (json!(12000), json!(0))
    );
    let awards = v["awards"].as_array().unwrap();
    let names: Vec<&str> = awards
        .iter()
        .map(|a| a["bidder"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["A", "B", "C", "Zed"],
        "sorted by bidder; D is below the reserve"
    );
    let total: u64 = awards.iter().map(|a| a["quantity"].as_u64().unwrap()).sum();
    assert_eq!(total, 12000);
    assert_eq!(awards[0]["quantity"], json!(5000));
    assert_eq!(run("7").stdout, r.stdout, "same seed, same result");
    // Prices print as dollars.
    let r = tonne([
        "market",
        "auction",
        "--bids",
        &bids,
        "--supply",
        "1000",
        "--reserve-price",
        "25",
        "--json",
    ]);
    assert_eq!(r.json()["settlement_price"], json!(31.5));
    let r = tonne([
        "market",
        "auction",
        "--bids",
        &bids,
        "--supply",
        "1000",
        "--reserve-price",
        "40",
        "--json",
    ]);
    assert_eq!(r.json()["settlement_price"], json!(null));
    assert_eq!(r.json()["unsold"], json!(1000));
}

#[test]
fn auction_limits_file_screens_bidders() {
    let dir = tempfile::tempdir().unwrap();
    let bids = file(
        dir.path(),
        "bids.csv",
        "bidder,price,quantity\nA,40,2000\nA,30,3000\nB,25,1000\nC,35,4000\n",
    );
    // A: guarantee $100,000 (see the library test); C: purchase limit 2,500 → 2 lots.
    let limits = file(
        dir.path(),
        "limits.csv",
        "bidder,purchase_limit,holding_headroom,bid_guarantee\nA,,,100000.00\nC,2500,10000,\n",
    );
    let r = tonne([
        "market",
        "auction",
        "--bids",
        &bids,
        "--limits",
        &limits,
        "--supply",
        "100000",
        "--reserve-price",
        "25",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(
        v["awards"],
        json!([{"bidder": "A", "quantity": 4000}, {"bidder": "B", "quantity": 1000}, {"bidder": "C", "quantity": 2000}])
    );
    assert_eq!(v["settlement_price"], json!(25));
}

#[test]
fn auction_input_errors_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (text, needle) in [
        (
            "bidder,price,quantity\nA,30,1000\nB,30.123,1000\n",
            "line 3, column price",
        ),
        (
            "bidder,price,quantity\nA,30,1500\n",
            "line 2, column quantity",
        ),
        (
            "bidder,price,quantity\nA,-30,1000\n",
            "line 2, column price",
        ),
        ("bidder,quantity,price\n", "expected bidder,price,quantity"),
    ] {
        let bids = file(dir.path(), "bids.csv", text);
        let r = tonne([
            "market",
            "auction",
            "--bids",
            &bids,
            "--supply",
            "1000",
            "--reserve-price",
            "25",
            "--json",
        ]);
        assert_eq!(r.code, 2, "{text}: {r:?}");
        assert!(r.stderr.contains(needle), "{text}: {}", r.stderr);
    }
}

/// reference/cap-and-trade.md §3.3 (DERIVED from the VERIFIED formula) and the ≤ 25 M rule.
#[test]
fn holding_limit_contract() {
    for (budget, hl) in [
        ("159700000", 5_867_500u64),
        ("320800000", 9_895_000),
        ("254000000", 8_225_000),
        ("25000000", 2_500_000),
        ("20000000", 2_000_000),
    ] {
        let r = tonne(["market", "holding-limit", "--budget", budget, "--json"]);
        assert_eq!(r.json()["holding_limit"], json!(hl), "{budget}");
    }
}

#[test]
fn allocation_from_the_documented_example() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples/allocation.json");
    let r = tonne(["market", "allocation", example.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(
        (
            v["initial"].clone(),
            v["true_up"].clone(),
            v["total"].clone()
        ),
        (json!(537950), json!(6180), json!(544130))
    );
    assert_eq!(v["initial_exact"], json!("537950"));
    let dir = tempfile::tempdir().unwrap();
    let bad = std::fs::read_to_string(&example)
        .unwrap()
        .replace("\"0.725\"", "\"1.5\"");
    let f = file(dir.path(), "a.json", &bad);
    let r = tonne(["market", "allocation", &f]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("activities[0].cap_adjustment_factor"),
        "{}",
        r.stderr
    );
}
