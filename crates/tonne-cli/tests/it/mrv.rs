//! `tonne mrv …`: the JSON contract of `mrv fuel` (golden vectors of reference/mrv.md §8),
//! input errors naming the field, facility reports from the documented examples, and the
//! verification workflow journaled in the registry through to an obligation.

use crate::util::*;
use serde_json::{Value, json};
use std::path::Path;

fn fuel(args: &[&str]) -> Run {
    let mut a = vec!["mrv", "fuel"];
    a.extend_from_slice(args);
    a.push("--json");
    tonne(&a)
}

fn num(v: &Value) -> String {
    // Decimal JSON numbers as written (serde_json keeps their text with the default features
    // only approximately, so compare through the shortest float text).
    v.as_f64()
        .map(|f| f.to_string())
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn fuel_golden_vectors_through_the_cli() {
    let cases = [
        (
            ["natural_gas", "100000", "mmbtu"],
            "5306",
            [
                ("sar", "5311.2"),
                ("ar4", "5311.48"),
                ("ar5", "5311.45"),
                ("ar6", "5311.52"),
            ],
        ),
        (
            ["distillate_fuel_oil_no2", "1000000", "gal"],
            "10206.48",
            [
                ("sar", "10240.842"),
                ("ar4", "10241.5044"),
                ("ar5", "10240.014"),
                ("ar6", "10240.635"),
            ],
        ),
        (
            ["bituminous_coal", "10000", "short_ton"],
            "23254.704",
            [
                ("sar", "23435.9451"),
                ("ar4", "23442.12774"),
                ("ar5", "23437.1916"),
                ("ar6", "23440.10841"),
            ],
        ),
    ];
    for ([f, q, u], co2, sets) in cases {
        for (gwp, co2e) in sets {
            let r = fuel(&[
                "--method",
                "part98-tier1",
                "--fuel",
                f,
                "--quantity",
                q,
                "--unit",
                u,
                "--gwp",
                gwp,
            ]);
            assert_eq!(r.code, 0, "{r:?}");
            // The exact decimal text is in stdout: no float rounding on the way out.
            assert!(
                r.stdout.contains(&format!("\"co2e_t\":{co2e},")),
                "{f} {gwp}: {}",
                r.stdout
            );
            let v = r.json();
            assert_eq!(num(&v["co2_t"]), co2);
            assert_eq!(v["biogenic_co2_t"], json!(0));
            for k in ["ch4_t", "n2o_t"] {
                assert!(v[k].is_number(), "{k}");
            }
            let trace = v["trace"].as_array().expect("trace");
            assert!(
                trace
                    .iter()
                    .any(|s| s["equation"].as_str().unwrap().contains("C-1"))
            );
            assert!(
                trace
                    .iter()
                    .flat_map(|s| s["inputs"].as_array().unwrap())
                    .any(|i| i["source"]
                        .as_str()
                        .is_some_and(|s| s.contains("Table C-1")))
            );
        }
    }
    // Without --gwp, the programme's set for the year: Part 98 RY2023 is AR4, RY2024 AR5.
    let by_year = |y: &str| {
        fuel(&[
            "--method",
            "part98-tier1",
            "--fuel",
            "distillate_fuel_oil_no2",
            "--quantity",
            "1000000",
            "--unit",
            "gal",
            "--program",
            "part98",
            "--year",
            y,
        ])
        .json()
    };
    assert_eq!(num(&by_year("2023")["co2e_t"]), "10241.5044");
    assert_eq!(num(&by_year("2024")["co2e_t"]), "10240.014");
}

#[test]
fn fuel_methods_and_biogenic_co2() {
    // Wood: CO2 only in biogenic_co2_t, never in co2e_t.
    let v = fuel(&[
        "--method",
        "part98-tier1",
        "--fuel",
        "wood_and_wood_residuals",
        "--quantity",
        "1000",
        "--unit",
        "short_ton",
        "--gwp",
        "ar4",
    ])
    .json();
    assert_eq!(num(&v["co2_t"]), "0");
    assert_eq!(num(&v["biogenic_co2_t"]), "1639.624");
    assert_eq!(num(&v["co2e_t"]), "21.898944");
    // Tier 2 with a measured HHV; Tier 3 from carbon content (C-3 with its 0.91).
    let t2 = fuel(&[
        "--method",
        "part98-tier2",
        "--fuel",
        "natural_gas",
        "--quantity",
        "1000",
        "--unit",
        "mscf",
        "--hhv",
        "0.00105",
        "--hhv-unit",
        "mmbtu/scf",
        "--gwp",
        "ar5",
    ])
    .json();
    assert_eq!(num(&t2["co2_t"]), "55.713");
    let t3 = fuel(&[
        "--method",
        "part98-tier3",
        "--fuel",
        "bituminous_coal",
        "--quantity",
        "1000",
        "--unit",
        "short_ton",
        "--carbon-content",
        "0.75",
        "--gwp",
        "ar5",
    ])
    .json();
    assert_eq!(num(&t3["co2_t"]), "2502.5");
    // IPCC Tier 1: 100 TJ natural gas, energy industries.
    let ipcc = fuel(&[
        "--method",
        "ipcc2006-tier1",
        "--fuel",
        "natural_gas",
        "--quantity",
        "100",
        "--unit",
        "tj",
        "--sector",
        "energy",
        "--program",
        "ipcc",
        "--year",
        "2022",
    ])
    .json();
    assert_eq!(num(&ipcc["co2_t"]), "5610");
    assert_eq!(num(&ipcc["co2e_t"]), "5615.45");
    let fuels = tonne(["mrv", "fuels", "--json"]).json();
    for m in [
        "part98-tier1",
        "part98-tier2",
        "part98-tier3",
        "ipcc2006-tier1",
    ] {
        assert!(
            fuels[m].as_array().unwrap().contains(&json!("natural_gas")),
            "{m}"
        );
    }
    assert!(
        fuels["part98-tier1"]
            .as_array()
            .unwrap()
            .contains(&json!("bituminous_coal"))
    );
}

#[test]
fn fuel_input_errors_name_the_field() {
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "--method",
                "part98-tier9",
                "--fuel",
                "natural_gas",
                "--quantity",
                "1",
                "--unit",
                "scf",
                "--gwp",
                "ar5",
            ],
            "method",
        ),
        (
            &[
                "--method",
                "part98-tier1",
                "--fuel",
                "unobtanium",
                "--quantity",
                "1",
                "--unit",
                "scf",
                "--gwp",
                "ar5",
            ],
            "fuel",
        ),
        (
            &[
                "--method",
                "part98-tier1",
                "--fuel",
                "natural_gas",
                "--quantity",
                "-1",
                "--unit",
                "scf",
                "--gwp",
                "ar5",
            ],
            "quantity",
        ),
        (
            &[
                "--method",
                "part98-tier1",
                "--fuel",
                "natural_gas",
                "--quantity",
                "1e999",
                "--unit",
                "scf",
                "--gwp",
                "ar5",
            ],
            "quantity",
        ),
        (
            &[
                "--method",
                "part98-tier1",
                "--fuel",
                "natural_gas",
                "--quantity",
                "1",
                "--unit",
                "gal",
                "--gwp",
                "ar5",
            ],
            "unit",
        ),
        (
            &[
                "--method",
                "part98-tier1",
                "--fuel",
                "natural_gas",
                "--quantity",
                "1",
                "--unit",
                "scf",
                "--gwp",
                "ar9",
            ],
            "gwp",
        ),
        (
            &[
                "--method",
                "part98-tier2",
                "--fuel",
                "natural_gas",
                "--quantity",
                "1",
                "--unit",
                "scf",
                "--gwp",
                "ar5",
            ],
            "hhv",
        ),
        (
            &[
                "--method",
                "part98-tier1",
                "--fuel",
                "natural_gas",
                "--quantity",
                "1",
                "--unit",
                "scf",
            ],
            "gwp",
        ),
    ];
    for (args, field) in cases {
        let r = fuel(args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert_eq!(
            r.json()["error"]["field"],
            json!(field),
            "{args:?}: {}",
            r.stdout
        );
        assert!(
            r.stderr.contains(&format!("--{}", field.replace('_', "-"))),
            "{}",
            r.stderr
        );
    }
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn reports_from_the_documented_examples() {
    let r = tonne([
        "mrv",
        "report",
        &repo("docs/examples/report-cement.json"),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let rep = &r.json()["reports"][0];
    let t = &rep["totals"];
    // Covered + non-covered = total; biogenic CO2 (wood) outside CO2e.
    assert_eq!(num(&t["co2e_t"]), "868157.879008");
    assert_eq!(num(&t["non_covered_co2e_t"]), "43.797888");
    assert_eq!(num(&t["biogenic_co2_t"]), "3279.248");
    assert_eq!(rep["thresholds"]["verification_required"], json!(true));
    assert_eq!(rep["gwp"]["set"], json!("ar4"));
    let csv = tonne([
        "mrv",
        "report",
        &repo("docs/examples/report-fuels.csv"),
        "--json",
    ])
    .json();
    let reports = csv["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[0]["gwp"]["set"], json!("ar5"), "RENE uses AR5");
}

#[test]
fn report_errors_name_path_or_line_and_compute_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("docs/examples/report-cement.json")).unwrap();
    let bad = text
        .replacen("\"part98-tier3\"", "\"part98-tier1\"", 1)
        .replacen("\"quantity\": 60000", "\"quantity\": -5", 1);
    let f = dir.path().join("bad.json");
    std::fs::write(&f, bad).unwrap();
    let r = tonne(["mrv", "report", p(&f), "--json"]);
    assert_eq!(r.code, 2);
    let errs = r.json()["errors"].as_array().unwrap().clone();
    let paths: Vec<&str> = errs.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"units[0].fuels[0].method"), "{paths:?}"); // tier below the minimum
    assert!(paths.contains(&"units[1].fuels[0].quantity"), "{paths:?}");
    assert!(!r.stdout.contains("totals"));
    // Syntax: a misspelt field is refused with its path.
    std::fs::write(
        &f,
        text.replacen("\"reporting_year\"", "\"reporting_yr\"", 1),
    )
    .unwrap();
    let r = tonne(["mrv", "report", p(&f), "--json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("reporting_yr")
    );
    let csv = std::fs::read_to_string(repo("docs/examples/report-fuels.csv"))
        .unwrap()
        .replacen(",2500,tj", ",25x0,tj", 1);
    let f = dir.path().join("bad.csv");
    std::fs::write(&f, csv).unwrap();
    let r = tonne(["mrv", "report", p(&f), "--json"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.json()["errors"][0]["path"],
        json!("line 2, column quantity")
    );
}

/// Report → verification (COI, assignment, review, statement) → obligation from the verified
/// covered emissions, all through `tonne apply`; the journal verifies.
#[test]
fn verified_report_becomes_an_obligation_on_the_journal() {
    let (dir, db) = temp_db();
    let report = repo("docs/examples/report-cement.json");
    let sub = tonne([
        "mrv",
        "submission",
        &report,
        "--report",
        "CEM-2024",
        "--actor",
        "cemco-rep",
        "--key",
        "k-submit",
        "--ts",
        "2025-03-02T17:00:00Z",
    ]);
    assert_eq!(sub.code, 0, "{sub:?}");
    let v = |cmd: Value| json!({"verification": cmd});
    let mut lines = vec![
        env(
            "k0",
            "2025-01-02T16:00:00Z",
            "admin",
            json!({"genesis": {"name": "MRV test", "rules": {}}}),
        ),
        env(
            "k1",
            "2025-01-02T16:00:01Z",
            "admin",
            json!({"add_jurisdiction": {"code": "US-CA", "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD", "holidays": []}}),
        ),
        env(
            "k2",
            "2025-01-02T16:00:02Z",
            "admin",
            json!({"add_user": {"user": "carb-eo", "name": "CARB", "role": {"regulator": {"jurisdiction": "US-CA"}}}}),
        ),
    ];
    for (i, u) in ["cemco-rep", "u-lead", "u-member", "u-rev"]
        .iter()
        .enumerate()
    {
        lines.push(env(
            &format!("k3-{i}"),
            "2025-01-02T16:00:03Z",
            "admin",
            json!({"add_user": {"user": u, "name": u, "role": "participant"}}),
        ));
    }
    let reg = |k: &str, t: &str, cmd: Value| env(k, t, "carb-eo", cmd);
    lines.extend([
        reg("k4", "2025-01-02T16:00:04Z", json!({"register_entity": {"entity": "ENT-CEMCO", "jurisdiction": "US-CA", "name": "CemCo", "entity_type": "covered", "group": "CEMCO"}})),
        reg("k5", "2025-01-02T16:00:05Z", json!({"open_account": {"account": "CEMCO-C", "entity": "ENT-CEMCO", "account_type": "compliance"}})),
        reg("k6", "2025-01-02T16:00:06Z", json!({"set_representative": {"account": "CEMCO-C", "user": "cemco-rep", "role": "primary"}})),
        reg("k7", "2025-01-02T16:00:07Z", v(json!({"register_body": {"body": "VB1", "name": "Verifiers Inc.", "accredited_until": "2027-12-31"}}))),
    ]);
    for (i, (ver, user)) in [
        ("V-LEAD", "u-lead"),
        ("V-MEM", "u-member"),
        ("V-REV", "u-rev"),
    ]
    .iter()
    .enumerate()
    {
        lines.push(reg(&format!("k8-{i}"), "2025-01-02T16:00:08Z", v(json!({"accredit_verifier": {"verifier": ver, "body": "VB1", "name": ver, "user": user, "accredited_until": "2027-12-31", "sectors": ["cement"]}}))));
    }
    lines.push(sub.stdout.trim().to_owned());
    lines.extend([
        reg("k9", "2025-03-03T17:00:00Z", v(json!({"assess_conflict": {"report": "CEM-2024", "body": "VB1", "level": "low"}}))),
        reg("k10", "2025-03-04T17:00:00Z", v(json!({"assign_verification": {"report": "CEM-2024", "body": "VB1", "lead": "V-LEAD", "team": ["V-MEM"], "independent_reviewer": "V-REV"}}))),
        env("k11", "2025-06-01T17:00:00Z", "u-member", v(json!({"record_finding": {"report": "CEM-2024", "finding": {"id": "F1", "kind": {"misstatement": {"stream": "KILN-1/clinker", "scope": "covered", "amount_t": "-120", "class": "misreporting"}}}}}))),
        env("k12", "2025-07-01T17:00:00Z", "u-rev", v(json!({"complete_review": {"report": "CEM-2024"}}))),
        env("k13", "2025-07-02T17:00:00Z", "u-lead", v(json!({"issue_statement": {"report": "CEM-2024"}}))),
        // 868,114.08112 t covered → 868,114 whole tonnes.
        reg("k14", "2025-11-01T17:00:00Z", json!({"record_obligation": {"obligation": "CEMCO-2024", "entity": "ENT-CEMCO", "jurisdiction": "US-CA", "label": "2024 annual", "first_year": 2024, "last_year": 2024, "quantity": 868114, "from_reports": ["CEM-2024"]}})),
        // The same report cannot count twice, and a wrong quantity is refused.
        reg("k15", "2025-11-01T17:00:01Z", json!({"record_obligation": {"obligation": "CEMCO-2024b", "entity": "ENT-CEMCO", "jurisdiction": "US-CA", "label": "again", "first_year": 2024, "last_year": 2024, "quantity": 868114, "from_reports": ["CEM-2024"]}})),
    ]);
    let f = write_file(dir.path(), "mrv.jsonl", &lines);
    let r = tonne(["apply", p(&f), "--db", p(&db), "--json"]);
    let results = r.json_lines();
    let refused: Vec<&Value> = results.iter().filter(|x| x["ok"] == json!(false)).collect();
    assert_eq!(
        refused.len(),
        1,
        "only the double count is refused: {refused:?}"
    );
    assert_eq!(refused[0]["code"], json!(2007), "{refused:?}");
    let statement = results
        .iter()
        .find(|x| x.to_string().contains("statement_issued"))
        .expect("statement effect");
    assert!(
        statement.to_string().contains("qualified_positive"),
        "{statement}"
    );
    assert_verify_ok(&db);
    let steps = journal(&db)
        .iter()
        .filter(|e| e["cmd"].get("verification").is_some())
        .count();
    assert_eq!(
        steps, 10,
        "body, three verifiers, submission, COI, assignment, finding, review, statement"
    );
}

/// Programmes are configuration: the built-in ones print as JSON, and a file of that shape
/// replaces one for a report (here CA MRR's UNVERIFIED GWP set, switched to AR5).
#[test]
fn programme_configuration_replaces_the_built_in() {
    let all = tonne(["mrv", "programs", "--json"]).json();
    let mut ca = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == json!("ca-mrr"))
        .unwrap()
        .clone();
    assert_eq!(ca["gwp_schedule"][0]["mark"], json!("UNVERIFIED"));
    ca["gwp_schedule"][0]["set"] = json!("ar5");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ca.json");
    std::fs::write(&f, ca.to_string()).unwrap();
    let report = repo("docs/examples/report-cement.json");
    let r = tonne(["mrv", "report", &report, "--program-file", p(&f), "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["reports"][0]["gwp"]["set"], json!("ar5"));
    std::fs::write(&f, "{\"id\": \"ca-mrr\"}").unwrap();
    let r = tonne(["mrv", "report", &report, "--program-file", p(&f)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing field"), "{}", r.stderr);
}
