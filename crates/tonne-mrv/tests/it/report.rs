//! Facility reports: totals by scope and coverage, programme thresholds, parameters.

use rust_decimal_macros::dec;
use tonne_mrv::report::{compute, input::parse_json};

fn report(program: &str, extra: &str) -> String {
    format!(
        r#"{{"facility": {{"id": "F", "name": "F"}}, "program": "{program}", "reporting_year": 2024,
        "units": [{{"id": "B", "type": "boiler", "fuels": [
            {{"fuel": "natural_gas", "method": "part98-tier1", "quantity": 100000, "unit": "mmbtu"}}]}}],
        "imports": [{{"id": "I1", "kind": "unspecified", "mwh": 1000}},
                    {{"id": "I2", "kind": "specified", "mwh": "1000", "ef_t_per_mwh": "0.35", "source": "plant X"}}],
        "indirect": [{{"id": "G", "kind": "purchased_electricity", "quantity": 100, "unit": "mwh", "ef_t_co2e_per_unit": 0.5, "source": "grid"}}]
        {extra}}}"#
    )
}

#[test]
fn scopes_and_thresholds() {
    // CA MRR (AR4): G1 natural gas 5,311.48 + imports 436.56 + 357 = 6,105.04; indirect
    // listed but outside the scope.
    let r = compute(&parse_json(&report("ca-mrr", "")).unwrap()).unwrap();
    assert_eq!(r.totals.direct_co2e_t, dec!(5311.48));
    assert_eq!(r.totals.imported_electricity_co2e_t, dec!(793.56));
    assert_eq!(r.totals.indirect_co2e_t, dec!(50));
    assert_eq!(r.totals.co2e_t, dec!(6105.04));
    assert_eq!(r.thresholds.basis_co2e_t, dec!(6105.04));
    assert!(!r.thresholds.must_report, "below 10,000 t");
    // RENE (AR5) counts indirect emissions: 5,311.45 + 793.56 + 50.
    let r = compute(&parse_json(&report("mx-rene", "")).unwrap()).unwrap();
    assert_eq!(r.totals.co2e_t, dec!(6155.01));
    // A parameter override is applied and echoed.
    let p = r#", "parameters": {"unspecified_ef_t_per_mwh": "0.5", "losses_on_specified": false}"#;
    let r = compute(&parse_json(&report("ca-mrr", p)).unwrap()).unwrap();
    assert_eq!(r.totals.imported_electricity_co2e_t, dec!(510) + dec!(350));
    assert_eq!(r.parameters.imports.unspecified_ef_t_per_mwh, dec!(0.5));
}

#[test]
fn every_error_is_listed_with_its_path() {
    let text = report("ca-mrr", "")
        .replace(
            r#""kind": "unspecified", "mwh": 1000"#,
            r#""kind": "unspecified", "mwh": -1"#,
        )
        .replace(r#""unit": "mmbtu""#, r#""unit": "furlong""#)
        .replace(r#""id": "I2""#, r#""id": "I1""#);
    let errs = compute(&parse_json(&text).unwrap()).unwrap_err();
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        ["units[0].fuels[0].unit", "imports[0].mwh", "imports[1].id"],
        "{errs:?}"
    );
    let e = parse_json(r#"{"facility": {"id": "F", "name": "F"}, "program": "ca-mrr", "reporting_year": 2024, "units": [{"id": "B", "type": "boiler", "fuels": [{"fuel": "natural_gas", "method": "part98-tier1", "quantity": "abc", "unit": "scf"}]}]}"#).unwrap_err();
    assert_eq!(e.path, "units[0].fuels[0].quantity", "{e}");
}

/// A CEMS unit (Part 75 alternative): 1,000 short tons × 0.90718474 = 907.18474 t CO2;
/// Equation C-10 with 17,000 mmBtu of natural gas: CH4 0.017 t, N2O 0.0017 t; AR4 CO2e
/// 907.18474 + 0.425 + 0.5066 = 908.11634.
#[test]
fn cems_units_report_part75_mass_and_c10_gases() {
    let text = r#"{"facility": {"id": "F", "name": "F"}, "program": "ca-mrr", "reporting_year": 2024,
        "cems": [{"id": "CT-1", "co2_short_tons": "1000", "heat_input_mmbtu": 17000, "fuel": "natural_gas"}]}"#;
    let r = compute(&parse_json(text).unwrap()).unwrap();
    let s = &r.sources[0];
    assert_eq!(
        (s.co2_t, s.ch4_t, s.n2o_t),
        (dec!(907.18474), dec!(0.017), dec!(0.0017))
    );
    assert_eq!(s.co2e_t, dec!(908.11634));
    assert_eq!(s.tier.as_ref().unwrap().branch, "cems");
}

#[test]
fn cems_units_by_part98_tier4_and_the_one_of_two_rule() {
    let one = |fields: &str| {
        format!(
            r#"{{"facility": {{"id": "F", "name": "F"}}, "program": "part98", "reporting_year": 2024,
            "cems": [{{"id": "K", "heat_input_mmbtu": 0, "fuel": "bituminous_coal"{fields}}}]}}"#
        )
    };
    let r = compute(&parse_json(&one(r#", "co2_t": "518.0""#)).unwrap()).unwrap();
    assert_eq!(
        (r.sources[0].co2_t, r.sources[0].method.as_str()),
        (dec!(518), "part98-tier4")
    );
    for bad in [
        r#", "co2_t": 1, "co2_short_tons": 1"#,
        "",
        r#", "co2_t": -1"#,
    ] {
        let errs = compute(&parse_json(&one(bad)).unwrap()).unwrap_err();
        assert!(errs[0].path.starts_with("cems[0]"), "{errs:?}");
    }
}
