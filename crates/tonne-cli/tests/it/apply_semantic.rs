//! `tonne apply` with well-formed but refused commands on top of the demo: per-line results with
//! stable codes, balances untouched by refusals, idempotency keys honoured, exit code 1.

use crate::util::*;
use serde_json::{Value, json};

const T: &str = "2027-11-03T10:00:00Z";

fn xfer(from: &str, to: &str, legs: Value) -> Value {
    json!({"execute_transfer": {"from": from, "to": to, "legs": legs, "reason": "test"}})
}

fn ranges(r: Value) -> Value {
    json!([{"series": series_ca26(), "ranges": r}])
}

/// (line, expected code) of every refusal.
fn refused_commands() -> Vec<(String, u16)> {
    let e = |k: &str, actor: &str, cmd: Value| env(k, T, actor, cmd);
    vec![
        (
            e("bad-1", "carb-eo", xfer("NOPE-H", "CA1001-H", leg(1))),
            2001,
        ),
        (
            e(
                "bad-2",
                "carb-eo",
                xfer("CA3001-H", "CA1001-H", leg(70_001)),
            ),
            3001,
        ),
        // CA3001-H holds 940001..1010000: the first range is held, the second overlaps it.
        (
            e(
                "bad-3",
                "carb-eo",
                xfer(
                    "CA3001-H",
                    "CA1001-H",
                    ranges(json!([[940_001, 940_100], [940_050, 940_200]])),
                ),
            ),
            1007,
        ),
        (
            e(
                "bad-4",
                "carb-eo",
                xfer(
                    "CA3001-H",
                    "CA1001-H",
                    ranges(json!([[940_001, 940_100], [940_001, 940_001]])),
                ),
            ),
            1007,
        ),
        (
            e(
                "bad-5",
                "carb-eo",
                xfer("CA3001-H", "CA1001-H", ranges(json!([[1, 10]]))),
            ),
            3002,
        ),
        (
            e(
                "bad-6",
                "carb-eo",
                xfer(
                    "CA3001-H",
                    "CA1001-H",
                    ranges(json!([[1_009_990, 1_010_001]])),
                ),
            ),
            3002,
        ),
        (
            e("bad-7", "carb-eo", xfer("CA3001-H", "GHOST-H", leg(1))),
            2001,
        ),
        (
            e("bad-8", "erin", xfer("CA3001-H", "CA1001-H", leg(1))),
            1003,
        ),
        (
            e("bad-9", "qc-mel", xfer("CA3001-H", "CA1001-H", leg(1))),
            1003,
        ),
        (
            e("bad-10", "mallory", xfer("CA3001-H", "CA1001-H", leg(1))),
            1002,
        ),
        (
            env(
                "bad-11",
                "2027-11-01T00:00:00Z",
                "carb-eo",
                xfer("CA3001-H", "CA1001-H", leg(1)),
            ),
            1006,
        ),
        (
            e("bad-12", "carb-eo", xfer("CA3001-H", "CA1001-H", leg(0))),
            3009,
        ),
        (
            e(
                "bad-13",
                "carb-eo",
                xfer("CA3001-H", "CA1001-H", leg(10_000_000_000_000)),
            ),
            3009,
        ),
        (
            e(
                "bad-14",
                "carb-eo",
                xfer(
                    "CA3001-H",
                    "CA1001-H",
                    json!([{"series": {"jurisdiction": "US-CA", "kind": "allowance", "vintage": 2030}, "quantity": 1}]),
                ),
            ),
            2008,
        ),
        (
            e("bad-15", "carb-eo", xfer("CA3001-H", "CA3001-H", leg(1))),
            1007,
        ),
        (
            e("bad-16", "carb-eo", xfer("CA3001-H", "CA-ISSUANCE", leg(1))),
            3003,
        ),
        (
            e(
                "bad-17",
                "admin",
                json!({"genesis": {"name": "again", "rules": {}}}),
            ),
            1005,
        ),
        (
            e(
                "bad-18",
                "carb-eo",
                json!({"reverse": {"seq": 10, "reason": "not a movement"}}),
            ),
            4004,
        ),
        (
            e(
                "bad-19",
                "carb-eo",
                json!({"reverse": {"seq": 100_000, "reason": "no such entry"}}),
            ),
            4004,
        ),
        (
            e(
                "bad-20",
                "carb-eo",
                xfer(
                    "CA3001-H",
                    "CA1001-H",
                    json!([{"series": series_ca26(), "quantity": 1}, {"series": series_ca26(), "quantity": 1}]),
                ),
            ),
            1007,
        ),
        (
            e(
                "bad-21",
                "carb-eo",
                xfer(
                    "CA3001-H",
                    "CA1001-H",
                    json!([{"series": series_ca26(), "quantity": 1, "ranges": [[940_001, 940_001]]}]),
                ),
            ),
            1007,
        ),
        (
            e("bad-22", "carb-eo", xfer("CA3001-H", "CA1001-H", json!([]))),
            1007,
        ),
        (
            json!({"v": 2, "key": "bad-23", "ts": T, "actor": "carb-eo", "cmd": {"tick": {}}})
                .to_string(),
            1001,
        ),
        (e("", "carb-eo", xfer("CA3001-H", "CA1001-H", leg(1))), 1007),
        (
            e(
                &"K".repeat(100_000),
                "carb-eo",
                xfer("CA3001-H", "CA1001-H", leg(1)),
            ),
            1007,
        ),
    ]
}

#[test]
fn refused_commands_report_codes_and_change_nothing() {
    let (dir, db) = demo_db();
    let head_before = head(&db);
    let bal_before = balances(&db, &[]);
    let cmds = refused_commands();
    let lines: Vec<String> = cmds.iter().map(|(l, _)| l.clone()).collect();
    let file = write_file(dir.path(), "refused.jsonl", &lines);
    let r = tonne(["apply", p(&file), "--db", p(&db), "--json"]);
    assert_eq!(r.code, 1, "any refusal makes the exit code 1: {r:?}");
    let out = r.json_lines();
    assert_eq!(out.len(), cmds.len(), "{}", r.stdout);
    for (i, (v, (_, code))) in out.iter().zip(&cmds).enumerate() {
        assert_eq!(v["line"], json!(i + 1), "{v}");
        assert_eq!(v["ok"], json!(false), "line {}: {v}", i + 1);
        assert_eq!(v["code"], json!(code), "line {}: {v}", i + 1);
        assert!(v["error"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
        assert!(v["message"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    }
    assert_eq!(head(&db), head_before, "refusals are not journaled");
    assert_eq!(balances(&db, &[]), bal_before, "refusals move nothing");
    assert_verify_ok(&db);

    // Text mode says the same, one line each, with the code.
    let text = tonne(["apply", p(&file), "--db", p(&db)]);
    assert_eq!(text.stdout.lines().count(), cmds.len(), "{text:?}");

    // A retry of a refused command is answered from the stored result, with the same code.
    let again = tonne(["apply", p(&file), "--db", p(&db), "--json"]);
    let out = again.json_lines();
    for (i, (v, (_, code))) in out.iter().zip(&cmds).enumerate() {
        assert_eq!(v["ok"], json!(false), "line {}: {v}", i + 1);
        assert_eq!(v["code"], json!(code), "line {}: {v}", i + 1);
        let key = v["key"].as_str().unwrap();
        if key.is_empty() || key.len() > 128 {
            // An invalid key is refused afresh each time: it is never stored.
            assert!(
                v["replayed"].is_null(),
                "line {}: invalid key stored: {v}",
                i + 1
            );
        } else {
            assert_eq!(
                v["replayed"],
                json!(true),
                "line {}: a refused command's key is remembered: {v}",
                i + 1
            );
        }
    }
    assert_eq!(head(&db), head_before);
    assert_eq!(balances(&db, &[]), bal_before);
}

#[test]
fn idempotency_keys_replay_or_conflict() {
    let (dir, db) = demo_db();
    let (seq0, _) = head(&db);
    let ok = xfer("CA3001-H", "CA1001-H", leg(100));
    let lines = vec![
        env("sem-ok", T, "carb-eo", ok.clone()),
        // Same key, another payload.
        env(
            "sem-ok",
            T,
            "carb-eo",
            xfer("CA3001-H", "CA1001-H", leg(200)),
        ),
        // Same key, same payload: replayed, also with a later clock reading.
        env("sem-ok", T, "carb-eo", ok.clone()),
        env("sem-ok", "2027-11-04T10:00:00Z", "carb-eo", ok.clone()),
        // Same key and command by another actor is another payload.
        env("sem-ok", T, "admin", ok.clone()),
        // A demo key with a new payload.
        env("demo-001", T, "carb-eo", ok.clone()),
        // A second, fresh transfer still applies after all that.
        env(
            "sem-ok-2",
            "2027-11-04T10:00:00Z",
            "carb-eo",
            xfer("CA-AUCTION", "QC2001-H", leg(10)),
        ),
    ];
    let file = write_file(dir.path(), "idem.jsonl", &lines);
    let bal_before = holdings(&balances(&db, &[]));
    let r = tonne(["apply", p(&file), "--db", p(&db), "--json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let out = r.json_lines();
    assert_eq!(out.len(), lines.len(), "{}", r.stdout);
    let lines_of = |v: &Value| v["line"].as_u64().unwrap();
    assert_eq!(
        out.iter().map(lines_of).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
    assert_eq!(out[0]["ok"], json!(true));
    assert_eq!(out[0]["seq"], json!(seq0 + 1));
    assert!(out[0]["replayed"].is_null());
    for i in [1, 4, 5] {
        assert_eq!(out[i]["ok"], json!(false), "{}", out[i]);
        assert_eq!(out[i]["code"], json!(1004), "{}", out[i]);
        assert_eq!(
            out[i]["error"],
            json!("idempotency_key_reused"),
            "{}",
            out[i]
        );
    }
    for i in [2, 3] {
        assert_eq!(out[i]["ok"], json!(true), "{}", out[i]);
        assert_eq!(out[i]["replayed"], json!(true), "{}", out[i]);
        assert_eq!(out[i]["seq"], json!(seq0 + 1), "{}", out[i]);
    }
    assert_eq!(out[6]["ok"], json!(true));
    assert_eq!(out[6]["seq"], json!(seq0 + 2));
    assert_eq!(head(&db).0, seq0 + 2);

    // Only the two accepted transfers moved anything.
    let mut want = bal_before.clone();
    *want.get_mut("CA3001-H").unwrap().get_mut(CA26).unwrap() -= 100;
    *want
        .get_mut("CA1001-H")
        .unwrap()
        .entry(CA26.into())
        .or_default() += 100;
    *want.get_mut("CA-AUCTION").unwrap().get_mut(CA26).unwrap() -= 10;
    *want
        .get_mut("QC2001-H")
        .unwrap()
        .entry(CA26.into())
        .or_default() += 10;
    assert_eq!(holdings(&balances(&db, &[])), want);

    // The whole file again: every accepted line replays, the conflicts stay conflicts.
    let head_mid = head(&db);
    let r = tonne([
        "apply",
        p(&file),
        "--db",
        p(&db),
        "--json",
        "--commit-every",
        "3",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    let out2 = r.json_lines();
    for i in [0, 2, 3, 6] {
        assert_eq!(out2[i]["replayed"], json!(true), "{}", out2[i]);
        assert_eq!(out2[i]["seq"], out[i]["seq"], "{}", out2[i]);
    }
    for i in [1, 4, 5] {
        assert_eq!(out2[i]["code"], json!(1004), "{}", out2[i]);
    }
    assert_eq!(head(&db), head_mid);
    assert_eq!(holdings(&balances(&db, &[])), want);
    let keys = journal_keys(&db);
    assert_eq!(keys.iter().filter(|k| *k == "sem-ok").count(), 1);
    assert_eq!(keys.iter().filter(|k| *k == "demo-001").count(), 1);
    assert_verify_ok(&db);
}
