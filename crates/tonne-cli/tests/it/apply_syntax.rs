//! `tonne apply` with malformed and hostile lines: the whole file is parsed first, every bad
//! line is named, the exit code is 2 and nothing is written.

use crate::util::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

/// A command file mixing valid commands with hostile lines. Returns the lines and the
/// (1-based) numbers of the bad ones.
fn hostile_file() -> (Vec<String>, Vec<usize>) {
    let t = "2027-11-03T10:00:00Z";
    let good = |k: &str| {
        env(
            k,
            t,
            "carb-eo",
            json!({"execute_transfer": {"from": "CA-AUCTION", "to": "CA3001-H", "legs": leg(5), "reason": "ok"}}),
        )
    };
    let issue = |q: &str| {
        format!(
            r#"{{"v":1,"key":"h-{q}","ts":"{t}","actor":"carb-eo","cmd":{{"issue":{{"series":{{"jurisdiction":"US-CA","kind":"allowance","vintage":2026}},"quantity":{q},"to":"CA-ISSUANCE"}}}}}}"#
        )
    };
    let bad: Vec<String> = vec![
        // Wrong types.
        r#"{"v":"1","key":"h1","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"tick":{}}}"#.into(),
        issue(r#""5""#),
        r#"{"v":1,"key":7,"ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"tick":{}}}"#.into(),
        r#"{"v":1,"key":"h3","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"tick":5}}"#.into(),
        // Negative, fractional and huge numbers.
        issue("-5"),
        issue("1e30"),
        issue("99999999999999999999999"),
        issue("18446744073709551616"),
        issue("2.5"),
        r#"{"v":-1,"key":"h4","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"tick":{}}}"#.into(),
        r#"{"v":70000,"key":"h5","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"tick":{}}}"#.into(),
        // Unknown command and unknown fields (envelope and command).
        r#"{"v":1,"key":"h6","ts":"2027-11-03T10:00:00Z","actor":"carb-eo","cmd":{"mint":{"quantity":1}}}"#.into(),
        r#"{"v":1,"key":"h7","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"tick":{}},"sudo":true}"#.into(),
        r#"{"v":1,"key":"h8","ts":"2027-11-03T10:00:00Z","actor":"carb-eo","cmd":{"execute_transfer":{"from":"CA-AUCTION","to":"CA3001-H","legs":[],"reason":"x","force":true}}}"#.into(),
        // Two commands in one.
        r#"{"v":1,"key":"h9","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"tick":{},"genesis":{"name":"x","rules":{}}}}"#.into(),
        // Missing fields.
        r#"{"v":1,"key":"h10","ts":"2027-11-03T10:00:00Z","cmd":{"tick":{}}}"#.into(),
        r#"{"v":1,"key":"h11","ts":"2027-11-03T10:00:00Z","actor":"carb-eo","cmd":{"issue":{"series":{"jurisdiction":"US-CA","kind":"allowance","vintage":2026},"quantity":5}}}"#.into(),
        // Bad timestamps.
        r#"{"v":1,"key":"h12","ts":"2026-13-45T00:00:00Z","actor":"admin","cmd":{"tick":{}}}"#.into(),
        r#"{"v":1,"key":"h13","ts":"yesterday","actor":"admin","cmd":{"tick":{}}}"#.into(),
        r#"{"v":1,"key":"h14","ts":"1970-01-01T00:00:00Z","actor":"admin","cmd":{"tick":{}}}"#.into(),
        r#"{"v":1,"key":"h15","ts":1767225600000,"actor":"admin","cmd":{"tick":{}}}"#.into(),
        // Bad jurisdiction codes.
        r#"{"v":1,"key":"h16","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"add_jurisdiction":{"code":"us-ca","name":"x","time_zone":"UTC","currency":"USD"}}}"#.into(),
        r#"{"v":1,"key":"h17","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"add_jurisdiction":{"code":"USA-CALIFORNIA","name":"x","time_zone":"UTC","currency":"USD"}}}"#.into(),
        r#"{"v":1,"key":"h18","ts":"2027-11-03T10:00:00Z","actor":"carb-eo","cmd":{"set_budget":{"jurisdiction":"'; DROP TABLE journal; --","year":2026,"allowances":1}}}"#.into(),
        // Inverted and zero serial ranges.
        r#"{"v":1,"key":"h19","ts":"2027-11-03T10:00:00Z","actor":"carb-eo","cmd":{"execute_transfer":{"from":"CA-AUCTION","to":"CA3001-H","legs":[{"series":{"jurisdiction":"US-CA","kind":"allowance","vintage":2026},"ranges":[[10,5]]}],"reason":"x"}}}"#.into(),
        r#"{"v":1,"key":"h20","ts":"2027-11-03T10:00:00Z","actor":"carb-eo","cmd":{"execute_transfer":{"from":"CA-AUCTION","to":"CA3001-H","legs":[{"series":{"jurisdiction":"US-CA","kind":"allowance","vintage":2026},"ranges":[[0,5]]}],"reason":"x"}}}"#.into(),
        // Not JSON at all.
        "not json".into(),
        "{".into(),
        r#"{"v":1,"key":"h21","ts":"2027-11-03T10:00:00Z","actor":"admin","cmd":{"tick":{}}"#.into(),
        "[1,2,3]".into(),
        "null".into(),
        "\u{feff}{}".into(),
    ];
    let mut lines = Vec::new();
    let mut bad_lines = Vec::new();
    lines.push(good("g-first"));
    for (i, b) in bad.into_iter().enumerate() {
        lines.push(b);
        bad_lines.push(lines.len());
        lines.push(good(&format!("g-{i}")));
        if i % 5 == 0 {
            lines.push(String::new()); // blank lines are skipped but still counted
        }
    }
    (lines, bad_lines)
}

fn apply_json(file: &Path, db: &Path) -> Run {
    tonne(["apply", p(file), "--db", p(db), "--json"])
}

fn check_reported(r: &Run, bad_lines: &[usize]) {
    assert_eq!(r.code, 2, "malformed files exit with 2: {r:?}");
    let out = r.json_lines();
    let reported: Vec<usize> = out
        .iter()
        .map(|v| v["line"].as_u64().expect("line") as usize)
        .collect();
    assert_eq!(
        reported, bad_lines,
        "every bad line, and only those, is reported in order"
    );
    for v in &out {
        assert_eq!(v["ok"], Value::Bool(false), "{v}");
        assert_eq!(v["error"], json!("syntax"), "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    assert!(r.stderr.contains("nothing was applied"), "{:?}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("{} line(s) are malformed", bad_lines.len())),
        "{:?}",
        r.stderr
    );
}

#[test]
fn hostile_lines_on_a_fresh_store_write_nothing() {
    let (dir, db) = temp_db();
    let (lines, bad_lines) = hostile_file();
    assert!(bad_lines.len() > 30);
    let file = write_file(dir.path(), "hostile.jsonl", &lines);
    let r = apply_json(&file, &db);
    check_reported(&r, &bad_lines);
    // Parsing fails before the store is opened: not even an empty store is created.
    assert!(!db.exists(), "a malformed file created {}", db.display());
    let r = tonne(["verify", "--db", p(&db)]);
    assert_eq!(r.code, 2, "read commands refuse a missing store: {r:?}");
    assert!(r.stderr.contains("no store at"), "{r:?}");

    // Text mode names file and line on stderr, one per bad line.
    let r = tonne(["apply", p(&file), "--db", p(&db)]);
    assert_eq!(r.code, 2, "{r:?}");
    for n in &bad_lines {
        assert!(
            r.stderr.contains(&format!("hostile.jsonl:line {n}: ")),
            "line {n} not reported: {}",
            r.stderr
        );
    }
    assert!(!db.exists());
}

#[test]
fn hostile_lines_on_the_demo_leave_it_unchanged() {
    let (dir, db) = demo_db();
    let before = head(&db);
    let bal_before = balances(&db, &[]);
    let (lines, bad_lines) = hostile_file();
    let file = write_file(dir.path(), "hostile.jsonl", &lines);
    let r = apply_json(&file, &db);
    check_reported(&r, &bad_lines);
    assert_eq!(head(&db), before);
    assert_eq!(balances(&db, &[]), bal_before);
    assert_verify_ok(&db);

    // The valid lines alone would all apply: the rejection above was the syntax, not the content.
    let good: Vec<String> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !bad_lines.contains(&(i + 1)))
        .map(|(_, l)| l.clone())
        .collect();
    let file = write_file(dir.path(), "good.jsonl", &good);
    let r = apply_json(&file, &db);
    assert_eq!(r.code, 0, "{r:?}");
    let out = r.json_lines();
    let n_good = good.iter().filter(|l| !l.is_empty()).count();
    assert_eq!(out.len(), n_good);
    assert!(out.iter().all(|v| v["ok"] == json!(true)), "{}", r.stdout);
    assert_eq!(head(&db).0, before.0 + n_good as u64);
    let keys: BTreeSet<&str> = out.iter().map(|v| v["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), n_good);
}

#[test]
fn a_single_malformed_line_at_the_end_blocks_the_whole_file() {
    let (dir, db) = demo_db();
    let before = head(&db);
    let mut lines: Vec<String> = (0..200)
        .map(|i| env(&format!("x-{i}"), "2027-11-03T10:00:00Z", "carb-eo", json!({"execute_transfer": {"from": "CA-AUCTION", "to": "CA3001-H", "legs": leg(1), "reason": "x"}})))
        .collect();
    lines.push(r#"{"v":1,"key":"last","ts":"2027-11-03T10:00:00Z","actor":"carb-eo","cmd":{"tick":{}},"x":1}"#.into());
    let file = write_file(dir.path(), "tail.jsonl", &lines);
    for k in ["1", "64"] {
        let r = tonne([
            "apply",
            p(&file),
            "--db",
            p(&db),
            "--json",
            "--commit-every",
            k,
        ]);
        check_reported(&r, &[201]);
        assert_eq!(head(&db), before);
    }
    // A file that cannot be read is an error too, and names the file.
    let r = tonne([
        "apply",
        p(&dir.path().join("missing.jsonl")),
        "--db",
        p(&db),
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.jsonl"), "{:?}", r.stderr);
    // --commit-every is bounded.
    let r = tonne(["apply", p(&file), "--db", p(&db), "--commit-every", "0"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(head(&db), before);
}
