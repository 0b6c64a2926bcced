//! Part 75 CEMS engine: the hourly equation, moisture and operating time, each substitution
//! branch with a hand-computed expectation, PMA, the three-year rules, validation errors,
//! hostile bytes, thread-count independence, and (when pandas is importable) the pandas script.
//! The Part 98 Equation C-6 mode: its hour, C-7 moisture, annual totals against Part 75, the
//! same substitution, and Part 75 output unchanged by the mode's existence.
//!
//! Expectations are DERIVED by hand from K = 5.7e-7 (reference/mrv.md §7.1), C-6's 5.18e-7
//! (§1.2), the §75.31 / §75.33(b) table (§7.2) and nearest-rank percentiles; each derivation is
//! written beside it.

use proptest::prelude::*;
use rust_decimal_macros::dec;
use std::process::Command;
use tonne_mrv::cems::consts::{part75_co2_short_tons_per_hour, part98_c6_tonnes_per_hour};
use tonne_mrv::cems::generate::{GenSpec, generate};
use tonne_mrv::cems::hour::{format_hour, parse_hour};
use tonne_mrv::cems::{
    self, CemsError, Code, Equation, HourRecord, Params, Percentile, Plan, PmaRounding, Report,
    Unbracketed,
};

const HEADER: &str =
    "unit_id,hour,op_time,co2_pct,flow_scfh,co2_basis,h2o_pct,mpc_co2_pct,mpf_scfh\n";

#[derive(Debug, Clone)]
struct Rec {
    unit: String,
    hour: u32,
    co2: String,
    co2_code: Code,
    flow: String,
    flow_code: Code,
    tons: String,
}

fn hourly(csv: &str, params: &Params) -> Result<(Report, Vec<Rec>), CemsError> {
    let mut recs = Vec::new();
    let mut sink = |r: &HourRecord<'_>| {
        recs.push(Rec {
            unit: r.unit_id.to_string(),
            hour: r.hour,
            co2: r.co2_pct.to_string(),
            co2_code: r.co2_code,
            flow: r.flow_scfh.to_string(),
            flow_code: r.flow_code,
            tons: r.mass.to_string(),
        })
    };
    let report = cems::compute_hourly(csv.as_bytes(), params, &mut sink)?;
    Ok((report, recs))
}

fn t0() -> u32 {
    parse_hour(b"2024-01-01T00").unwrap()
}

/// One wet unit "U", one row per hour from 2024-01-01T00, op_time 1, flow 1,000,000 scfh;
/// `co2[i]` is the CO2 % text of hour i (None = missing). MPC 20 % if `mpc`.
fn co2_csv(co2: &[Option<String>], mpc: bool) -> String {
    let mut s = String::from(HEADER);
    for (i, c) in co2.iter().enumerate() {
        let first = i == 0 && mpc;
        s.push_str(&format!(
            "U,{},1,{},1000000,wet,,{},\n",
            format_hour(t0() + i as u32),
            c.as_deref().unwrap_or(""),
            if first { "20" } else { "" }
        ));
    }
    s
}

/// 720 quality-assured hours with CO2 = i/100 % for i = 1..=720 (0.01 … 7.20), so that
/// sorted, the value of rank r is r/100: nearest-rank 90th = rank ⌈648⌉ → 6.48, 95th =
/// rank ⌈684⌉ → 6.84, maximum 7.20. The last one (the hour before a gap) is 7.20.
fn lookback() -> Vec<Option<String>> {
    (1..=720)
        .map(|i| Some(format!("{}.{:02}", i / 100, i % 100)))
        .collect()
}

fn codes_of(recs: &[Rec], from: usize, to: usize) -> Vec<(Code, String)> {
    recs[from..to]
        .iter()
        .map(|r| (r.co2_code, r.co2.clone()))
        .collect()
}

fn p() -> Params {
    Params {
        threads: 1,
        ..Params::default()
    }
}

#[test]
fn k_constant_moisture_and_operating_time() {
    // 10 % × 100,000 scfh × 5.7e-7 = 0.57 short ton/h; 10 % × 1,000,000 scfh = 5.7.
    assert_eq!(
        part75_co2_short_tons_per_hour(dec!(10), dec!(100000), None),
        dec!(0.57)
    );
    assert_eq!(
        part75_co2_short_tons_per_hour(dec!(10), dec!(1000000), None),
        dec!(5.7)
    );
    // Dry CO2 with 10 % moisture: × (100 − 10)/100 = 0.9 → 0.513.
    assert_eq!(
        part75_co2_short_tons_per_hour(dec!(10), dec!(100000), Some(dec!(10))),
        dec!(0.513)
    );
    // Part 98 C-6 keeps its own constant: 10 × 100,000 × 5.18e-7 = 0.518 t, not 0.57 × 0.907.
    assert_eq!(
        part98_c6_tonnes_per_hour(dec!(10), dec!(100000), None),
        dec!(0.518)
    );

    // The engine, from CSV: wet full hour, dry full hour, wet quarter hour, non-operating hour.
    let csv = format!(
        "{HEADER}A,2024-01-01T00,1,10,100000,wet,,,\n\
         B,2024-01-01T00,1,10,100000,dry,10,,\n\
         C,2024-01-01T00,0.25,10,100000,wet,,,\n\
         C,2024-01-01T01,0,55,,wet,,,\n"
    );
    let (r, recs) = hourly(&csv, &p()).unwrap();
    let tons: Vec<_> = r
        .units
        .iter()
        .map(|u| u.short_tons.unwrap().to_string())
        .collect();
    // C: 0.57 × 0.25 = 0.1425; its non-operating hour adds nothing.
    assert_eq!(tons, ["0.57", "0.513", "0.1425"]);
    // 0.57 short ton × 0.90718474 t/short ton = 0.5170953018 t exactly.
    assert_eq!(r.units[0].metric_tonnes.to_string(), "0.5170953018");
    assert_eq!(r.totals.short_tons.unwrap().to_string(), "1.2255");
    let seen: Vec<_> = recs.iter().map(|r| (r.unit.as_str(), r.hour)).collect();
    assert_eq!(seen, [("A", t0()), ("B", t0()), ("C", t0())]);
    assert_eq!(r.units[2].operating_hours, 1);
    assert_eq!(r.units[2].operating_time_hours.to_string(), "0.25");
    let q1 = &r.units[0].years[0].quarters[0];
    assert_eq!(
        (
            r.units[0].years[0].year,
            q1.quarter,
            q1.short_tons.unwrap().to_string()
        ),
        (2024, 1, "0.57".into())
    );
}

#[test]
fn initial_period_averages_the_hours_before_and_after() {
    // §75.31(b): (10 + 12) / 2 = 11 for both missing hours; 11 × 10^6 × 5.7e-7 = 6.27 each.
    let csv = co2_csv(&[Some("10".into()), None, None, Some("12".into())], false);
    let (r, recs) = hourly(&csv, &p()).unwrap();
    assert_eq!(
        codes_of(&recs, 1, 3),
        vec![(Code::InitialAvg, "11".into()); 2]
    );
    assert_eq!(recs[1].tons, "6.27");
    // 5.7 + 6.27 + 6.27 + 6.84
    assert_eq!(r.units[0].short_tons.unwrap().to_string(), "25.08");
    assert_eq!(r.units[0].co2.substitutions.get(Code::InitialAvg), 2);
    assert_eq!(r.units[0].co2.measured_hours, 2);
}

#[test]
fn pma_95_short_gap_averages() {
    // After 720 QA hours PMA = 720/721 = 99.9 % at the first missing hour; N = 3 ≤ 24:
    // (7.20 + 9.00) / 2 = 8.1.
    let mut co2 = lookback();
    co2.extend([None, None, None, Some("9".into())]);
    let (_, recs) = hourly(&co2_csv(&co2, false), &p()).unwrap();
    assert_eq!(
        codes_of(&recs, 720, 723),
        vec![(Code::Pma95ShortAvg, "8.1".into()); 3]
    );
}

#[test]
fn pma_95_long_gap_takes_the_greater_of_p90_and_the_average() {
    // N = 25 > 24; PMA at the last missing hour 720/745 = 96.6 %. p90 = 6.48 (rank 648).
    // After 1.00: average (7.20 + 1.00)/2 = 4.10 < 6.48 → 6.48.
    let mut co2 = lookback();
    co2.extend(std::iter::repeat_n(None, 25));
    co2.push(Some("1".into()));
    let (_, recs) = hourly(&co2_csv(&co2, false), &p()).unwrap();
    assert_eq!(
        codes_of(&recs, 720, 745),
        vec![(Code::Pma95LongP90, "6.48".into()); 25]
    );
    // After 9.00: average (7.20 + 9.00)/2 = 8.10 > 6.48 → 8.1.
    co2[745] = Some("9".into());
    let (_, recs) = hourly(&co2_csv(&co2, false), &p()).unwrap();
    assert_eq!(recs[744].co2, "8.1");
    assert_eq!(recs[744].co2_code, Code::Pma95LongP90);
    // Linear percentile: h = 719 × 0.9 = 647.1 → 6.48 + 0.1 × 0.01 = 6.481.
    co2[745] = Some("1".into());
    let lin = Params {
        percentile: Percentile::Linear,
        ..p()
    };
    let (_, recs) = hourly(&co2_csv(&co2, false), &lin).unwrap();
    assert_eq!(recs[744].co2, "6.481");
}

/// 60 (or `k`) missing hours inside the initial period, then the 720 QA hours of
/// [`lookback`]: PMA after them is 720 / (720 + k).
fn with_initial_gaps(k: usize) -> Vec<Option<String>> {
    let mut co2 = vec![Some("5".into())];
    co2.extend(std::iter::repeat_n(None, k));
    co2.extend(lookback().into_iter().skip(1));
    co2
}

#[test]
fn pma_90_short_and_long_gaps() {
    // Initial gap of 60 hours: (5.00 + 0.02)/2 = 2.51, code initial_avg.
    // PMA then 720/780 = 92.3 %; a 5-hour gap: 720/785 = 91.7 % → 90–95 band, N ≤ 8 →
    // average (7.20 + 3.00)/2 = 5.1.
    let mut co2 = with_initial_gaps(60);
    co2.extend([None, None, None, None, None, Some("3".into())]);
    let (r, recs) = hourly(&co2_csv(&co2, false), &p()).unwrap();
    assert_eq!(recs[1].co2_code, Code::InitialAvg);
    assert_eq!(recs[1].co2, "2.51");
    assert_eq!(
        codes_of(&recs, 780, 785),
        vec![(Code::Pma90ShortAvg, "5.1".into()); 5]
    );
    assert_eq!(r.units[0].co2.substitutions.get(Code::InitialAvg), 60);
    // A 10-hour gap (N > 8; PMA 720/790 = 91.1 %): greater of p95 = 6.84 (rank 684) and
    // (7.20 + 3.00)/2 = 5.1 → 6.84.
    let mut co2 = with_initial_gaps(60);
    co2.extend(std::iter::repeat_n(None, 10));
    co2.push(Some("3".into()));
    let (_, recs) = hourly(&co2_csv(&co2, false), &p()).unwrap();
    assert_eq!(
        codes_of(&recs, 780, 790),
        vec![(Code::Pma90LongP95, "6.84".into()); 10]
    );
}

#[test]
fn pma_80_takes_the_lookback_maximum_and_below_80_the_mpc() {
    // 120 initial missing hours: PMA 720/840 = 85.7 %, then 720/842 = 85.5 %: maximum 7.20.
    let mut co2 = with_initial_gaps(120);
    co2.extend([None, None, Some("3".into())]);
    let (_, recs) = hourly(&co2_csv(&co2, true), &p()).unwrap();
    assert_eq!(
        codes_of(&recs, 840, 842),
        vec![(Code::Pma80Max, "7.2".into()); 2]
    );
    // 200 initial missing hours: PMA 720/921 = 78.2 % < 80: the MPC, 20 %.
    let mut co2 = with_initial_gaps(200);
    co2.extend([None, Some("3".into())]);
    let (_, recs) = hourly(&co2_csv(&co2, true), &p()).unwrap();
    assert_eq!(
        codes_of(&recs, 920, 921),
        vec![(Code::PmaLowMaxPotential, "20".into())]
    );
    // Without an MPC the hour cannot be computed: an error naming the unit, line and column.
    let e = hourly(&co2_csv(&co2, false), &p()).unwrap_err().to_string();
    assert!(
        e.starts_with("line 922, column mpc_co2_pct: unit U: this missing hour needs the unit's maximum potential concentration"),
        "{e}"
    );
}

#[test]
fn pma_is_recomputed_each_hour_so_a_long_outage_steps_down_the_table() {
    // 720 QA hours, then 100 missing (N = 100). Missing hour k has PMA 720/(720 + k):
    // ≥ 95 % for k ≤ 37 (720/757 = 95.1 %, 720/758 = 94.99 %), ≥ 90 % for k ≤ 80
    // (720/800 = 90.0 %), ≥ 80 % after. After = 1.00, average 4.10:
    // 37 h at max(p90 6.48, 4.10), 43 h at max(p95 6.84, 4.10), 20 h at the maximum 7.20.
    let mut co2 = lookback();
    co2.extend(std::iter::repeat_n(None, 100));
    co2.push(Some("1".into()));
    let (r, recs) = hourly(&co2_csv(&co2, false), &p()).unwrap();
    let s = &r.units[0].co2.substitutions;
    assert_eq!(
        (
            s.get(Code::Pma95LongP90),
            s.get(Code::Pma90LongP95),
            s.get(Code::Pma80Max)
        ),
        (37, 43, 20)
    );
    assert_eq!(recs[756].co2, "6.48");
    assert_eq!(recs[757].co2, "6.84");
    assert_eq!(recs[800].co2, "7.2");
    // PMA rounded to 0.1 % first: 720/758 = 94.99 % → 95.0 %, so hour k = 38 stays at 95.
    let tenth = Params {
        pma_rounding: PmaRounding::Tenth,
        ..p()
    };
    let (r, _) = hourly(&co2_csv(&co2, false), &tenth).unwrap();
    assert_eq!(r.units[0].co2.substitutions.get(Code::Pma95LongP90), 38);
    // Reported PMA after the last hour: 721 QA of 821 operating hours = 87.8 %.
    let m = &r.units[0].co2;
    assert_eq!((m.pma_qa_hours, m.pma_operating_hours), (721, 821));
    assert_eq!(m.pma_percent.unwrap().to_string(), "87.8");
}

#[test]
fn unbracketed_periods_and_the_fallback() {
    // Data starting with a gap: only the hour after exists (12) → 12 with one-side (default).
    let csv = co2_csv(&[None, None, Some("12".into())], true);
    let (_, recs) = hourly(&csv, &p()).unwrap();
    assert_eq!(
        codes_of(&recs, 0, 2),
        vec![(Code::InitialAvg, "12".into()); 2]
    );
    // With max-potential: no average, so the MPC (20 %) as fallback.
    let mp = Params {
        unbracketed: Unbracketed::MaxPotential,
        ..p()
    };
    let (_, recs) = hourly(&csv, &mp).unwrap();
    assert_eq!(
        codes_of(&recs, 0, 2),
        vec![(Code::FallbackMaxPotential, "20".into()); 2]
    );
    // A monitor that never reports: no value on either side → MPC, or an error without one.
    let csv = co2_csv(&[None, None], true);
    let (_, recs) = hourly(&csv, &p()).unwrap();
    assert_eq!(recs[1].co2_code, Code::FallbackMaxPotential);
    let e = hourly(&co2_csv(&[None, None], false), &p())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("line 2, column mpc_co2_pct: unit U:"), "{e}");
}

#[test]
fn flow_gaps_use_the_same_table_with_2160_hour_figures() {
    // Flow is in its initial period until 2,160 QA hours: a 2-hour flow gap after 800 hours
    // is still initial_avg: (1,000,000 + 3,000,000)/2 = 2,000,000 scfh → 10 × 2e6 × 5.7e-7.
    let mut s = String::from(HEADER);
    for i in 0..803u32 {
        let flow = match i {
            800 | 801 => "",
            802 => "3000000",
            _ => "1000000",
        };
        s.push_str(&format!("F,{},1,10,{flow},wet,,,\n", format_hour(t0() + i)));
    }
    let (_, recs) = hourly(&s, &p()).unwrap();
    assert_eq!(
        (
            recs[800].flow_code,
            recs[800].flow.as_str(),
            recs[800].tons.as_str()
        ),
        (Code::InitialAvg, "2000000", "11.4")
    );
    assert_eq!(recs[800].co2_code, Code::Measured);
}

#[test]
fn rolling_pma_window_after_8760_operating_hours() {
    // One QA hour, 1,000 missing (initial period: averaged), 9,000 QA, then one missing hour
    // (operating hour 10,002). Equation 9 (§75.32(a)(2)) looks at the previous 8,760
    // operating hours only, where the sole missing hour is this one: 8,759/8,760 = 99.99 % →
    // ≥ 95 %, N = 1 → before/after average. Equation 8 over all hours would give
    // 9,001/10,002 = 89.99 % and the 80–90 % row (the lookback maximum) instead.
    let mut co2: Vec<Option<String>> = vec![Some("5".into())];
    co2.extend(std::iter::repeat_n(None, 1000));
    co2.extend(std::iter::repeat_n(Some("5".into()), 9000));
    co2.push(None);
    co2.push(Some("7".into()));
    let (r, recs) = hourly(&co2_csv(&co2, false), &p()).unwrap();
    assert_eq!(
        (recs[10001].co2_code, recs[10001].co2.as_str()),
        (Code::Pma95ShortAvg, "6")
    );
    let m = &r.units[0].co2;
    assert_eq!((m.pma_qa_hours, m.pma_operating_hours), (8759, 8760));
    assert_eq!(m.substitutions.get(Code::InitialAvg), 1000);
}

#[test]
fn three_year_rules() {
    let h = |s: &str| parse_hour(s.as_bytes()).unwrap();
    assert!(h("2023-01-02T01") - h("2020-01-01T00") >= 26_280);
    // Three QA hours, then a gap more than 26,280 clock hours after the unit's first hour
    // (absent rows = not operating): fewer than 720 QA hours, but three years have passed, so
    // the standard table applies (§75.32(a), §75.33(a)): PMA 3 QA / 4 operating hours =
    // 75 % < 80 → the MPC, 20, where the initial procedure would have averaged 9.
    let csv = format!(
        "{HEADER}U,2020-01-01T00,1,8,1000000,wet,,20,\n\
         U,2020-01-01T01,1,8,1000000,wet,,,\n\
         U,2023-01-02T00,1,9,1000000,wet,,,\n\
         U,2023-01-02T01,1,,1000000,wet,,,\n\
         U,2023-01-02T02,1,9,1000000,wet,,,\n"
    );
    let (_, recs) = hourly(&csv, &p()).unwrap();
    assert_eq!(
        (recs[3].co2_code, recs[3].co2.as_str()),
        (Code::PmaLowMaxPotential, "20")
    );
    // §75.33(a) age limit: QA hours more than 26,280 clock hours before the period are not
    // used. 100 QA hours of 8 % in January 2020, a one-hour gap in June 2023 (PMA 100/101,
    // N = 1: before/after average), then 12 %: the hour before is too old, so 12 alone.
    let mut csv = String::from(HEADER);
    for i in 0..100 {
        csv.push_str(&format!(
            "U,{},1,8,1000000,wet,,,\n",
            format_hour(h("2020-01-01T00") + i)
        ));
    }
    csv.push_str("U,2023-06-01T00,1,,1000000,wet,,,\nU,2023-06-01T01,1,12,1000000,wet,,,\n");
    let (_, recs) = hourly(&csv, &p()).unwrap();
    assert_eq!(
        (recs[100].co2_code, recs[100].co2.as_str()),
        (Code::Pma95ShortAvg, "12")
    );
}

fn err(csv: &str) -> String {
    cems::compute(csv.as_bytes(), &p(), &|_| {})
        .unwrap_err()
        .to_string()
}

#[test]
fn validation_errors_name_line_column_and_expectation() {
    let row = |r: &str| format!("{HEADER}{r}\n");
    assert!(err("").starts_with("line 1: missing header"));
    assert!(err("U1,2024-01-01T00,1,10,1000\n").starts_with("line 1: missing header"));
    assert_eq!(
        err(&row("U,2024-01-01T00,1,abc,1000000,wet,,,")),
        "line 2, column co2_pct: \"abc\" is not a plain decimal number; expected a CO2 concentration in percent, 0 to 100, at most 3 decimal places, or empty for a missing hour"
    );
    assert!(
        err(&row("U,2024-01-01T00,1,10,1000000,wet,100,,"))
            .starts_with("line 2, column h2o_pct: 100 is out of range")
    );
    assert!(
        err(&row("U,2024-01-01T00,1.5,10,1000000,wet,,,"))
            .starts_with("line 2, column op_time: 1.5 is out of range")
    );
    assert!(
        err(&row("U,2024-01-01T00,1,-3,1000000,wet,,,"))
            .starts_with("line 2, column co2_pct: -3 is negative")
    );
    assert!(err(&row("U,2024-02-30T00,1,10,1000000,wet,,,")).starts_with("line 2, column hour:"));
    assert!(
        err(&row("U,2024-01-01T00,1,10,1000000,moist,,,")).starts_with("line 2, column co2_basis:")
    );
    assert!(
        err(&row("U,2024-01-01T00,1,10,1000000,dry,,,"))
            .starts_with("line 2, column h2o_pct: unit U: the CO2 basis is dry")
    );
    assert!(
        err(&row("U,2024-01-01T00,,10,1000000,wet,,,"))
            .starts_with("line 2, column op_time: a value is required")
    );
    let dup = format!(
        "{HEADER}U,2024-01-01T05,1,10,1,wet,,,\nV,2024-01-01T00,1,10,1,wet,,,\nU,2024-01-01T05,1,10,1,wet,,,\n"
    );
    assert_eq!(
        err(&dup),
        "line 4, column hour: unit U: hour 2024-01-01T05 is a duplicate of the unit's previous row (line 2, hour 2024-01-01T05); expected each unit's hours once, in increasing order"
    );
    let back = format!("{HEADER}U,2024-01-01T05,1,10,1,wet,,,\nU,2024-01-01T04,1,10,1,wet,,,\n");
    assert!(err(&back).starts_with("line 3, column hour: unit U: hour 2024-01-01T04 comes before"));
    assert!(
        err(&format!(
            "{HEADER}U,2024-01-01T00,1,10,1,wet,,,\nU,2024-01-01T01,1,10,1,dry,1,,\n"
        ))
        .starts_with(
            "line 3, column co2_basis: unit U: co2_basis differs from the unit's first row (line 2)"
        )
    );
    assert!(err(&format!("{HEADER}U,2024-01-01T00,1,10,1,wet,,,\nU,2024-01-01T01,1,10,1,wet,,15,\n"))
        .starts_with("line 3, column mpc_co2_pct: unit U: mpc_co2_pct must be given on the unit's first row (line 2)"));
    assert!(
        err("unit_id,hour,op_time,co2_pct,flow_scfh,colour\n")
            .starts_with("line 1: unknown column \"colour\"")
    );
    assert!(
        err(&row("U,2024-01-01T00,1,10"))
            .starts_with("line 2: 4 fields where the header (line 1) has 9")
    );

    // Unknown unit: the plan lists the units; the data's per-unit columns give way to it.
    let plan = Plan::parse("unit_id,co2_basis,mpc_co2_pct\nA,wet,15\n".as_bytes()).unwrap();
    let with_plan = Params {
        plan: Some(plan),
        ..p()
    };
    let data = "unit_id,hour,op_time,co2_pct,flow_scfh\nA,2024-01-01T00,1,10,100000\nB,2024-01-01T00,1,10,100000\n";
    let e = cems::compute(data.as_bytes(), &with_plan, &|_| {})
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "line 3, column unit_id: unknown unit \"B\": not in the monitoring plan; expected one of the plan's 1 units"
    );
    let e = cems::compute(HEADER.as_bytes(), &with_plan, &|_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("line 1: column \"co2_basis\" is given both"),
        "{e}"
    );
    let e = Plan::parse("unit_id,mpc_co2_pct\nA,150\n".as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("monitoring plan, line 2, column mpc_co2_pct: 150 is out of range"),
        "{e}"
    );
}

#[test]
fn the_documented_example() {
    let csv = include_str!("../../../../docs/examples/cems-example.csv");
    let r = cems::compute(csv.as_bytes(), &p(), &|_| {}).unwrap();
    // Unit 1: 5.7 + 6.27 (initial avg 11 %) + 6.84 + 3.4485 (flow initial avg 1,100,000 scfh,
    // half an hour) + 7.524 = 29.7825. Unit 2 (dry): 4.332 × 0.92 + 2.565 × 0.91 × 0.25 =
    // 3.98544 + 0.5835375 = 4.5689775.
    let tons: Vec<_> = r
        .units
        .iter()
        .map(|u| u.short_tons.unwrap().to_string())
        .collect();
    assert_eq!(tons, ["29.7825", "4.5689775"]);
    assert_eq!(r.totals.short_tons.unwrap().to_string(), "34.3514775");
    // 34.3514775 × 0.90718474 = 31.16313618445335 (exact).
    assert_eq!(r.totals.metric_tonnes.to_string(), "31.16313618445335");
}

/// `tonne mrv cems docs/examples/cems-example.csv --json`, captured from the build before the
/// Equation C-6 mode was added (the CLI prints exactly `serde_json::to_string(&report)`).
const EXAMPLE_PART75_JSON: &str = r#"{"programme":"40 CFR 75 (CO2 mass, Subpart D missing data)","equation":"E_h = K × C_h × Q_h [× (100 − %H2O)/100 for dry CO2], summed as Σ E_h × t_h per quarter and year","constants":[{"name":"K","value":0.00000057,"unit":"short ton/scf/% CO2","source":"40 CFR 75 App. F (CO2 mass; section number UNVERIFIED) — reference/mrv.md §7.1; DERIVED check 44.01/385.3/100/2000 = 5.711e-7","mark":"DERIVED"},{"name":"tonnes_per_short_ton","value":0.90718474,"unit":"t/short ton","source":"NIST SP 811 App. B: short ton = 2,000 lb, lb = 0.45359237 kg (exact definitions)","mark":"VERIFIED"}],"parameters":{"percentile":"nearest-rank","pma_rounding":"exact","unbracketed":"one-side"},"totals":{"units":2,"rows":8,"operating_hours":7,"short_tons":34.3514775,"metric_tonnes":31.16313618445335,"co2_substitutions":{"initial_avg":1,"pma95_short_avg":0,"pma95_long_p90":0,"pma90_short_avg":0,"pma90_long_p95":0,"pma80_max":0,"pma_low_max_potential":0,"fallback_max_potential":0},"flow_substitutions":{"initial_avg":1,"pma95_short_avg":0,"pma95_long_p90":0,"pma90_short_avg":0,"pma90_long_p95":0,"pma80_max":0,"pma_low_max_potential":0,"fallback_max_potential":0}},"units":[{"unit_id":"1","co2_basis":"wet","first_hour":"2024-01-01T00","last_hour":"2024-01-01T05","rows":6,"operating_hours":5,"operating_time_hours":4.5,"short_tons":29.7825,"metric_tonnes":27.01822951905,"years":[{"year":2024,"short_tons":29.7825,"metric_tonnes":27.01822951905,"quarters":[{"quarter":1,"short_tons":29.7825,"metric_tonnes":27.01822951905},{"quarter":2,"short_tons":0,"metric_tonnes":0},{"quarter":3,"short_tons":0,"metric_tonnes":0},{"quarter":4,"short_tons":0,"metric_tonnes":0}]}],"co2":{"measured_hours":4,"substituted_hours":1,"pma_percent":80,"pma_qa_hours":4,"pma_operating_hours":5,"substitutions":{"initial_avg":1,"pma95_short_avg":0,"pma95_long_p90":0,"pma90_short_avg":0,"pma90_long_p95":0,"pma80_max":0,"pma_low_max_potential":0,"fallback_max_potential":0}},"flow":{"measured_hours":4,"substituted_hours":1,"pma_percent":80,"pma_qa_hours":4,"pma_operating_hours":5,"substitutions":{"initial_avg":1,"pma95_short_avg":0,"pma95_long_p90":0,"pma90_short_avg":0,"pma90_long_p95":0,"pma80_max":0,"pma_low_max_potential":0,"fallback_max_potential":0}}},{"unit_id":"2","co2_basis":"dry","first_hour":"2024-01-01T00","last_hour":"2024-01-01T01","rows":2,"operating_hours":2,"operating_time_hours":1.25,"short_tons":4.5689775,"metric_tonnes":4.14490666540335,"years":[{"year":2024,"short_tons":4.5689775,"metric_tonnes":4.14490666540335,"quarters":[{"quarter":1,"short_tons":4.5689775,"metric_tonnes":4.14490666540335},{"quarter":2,"short_tons":0,"metric_tonnes":0},{"quarter":3,"short_tons":0,"metric_tonnes":0},{"quarter":4,"short_tons":0,"metric_tonnes":0}]}],"co2":{"measured_hours":2,"substituted_hours":0,"pma_percent":100,"pma_qa_hours":2,"pma_operating_hours":2,"substitutions":{"initial_avg":0,"pma95_short_avg":0,"pma95_long_p90":0,"pma90_short_avg":0,"pma90_long_p95":0,"pma80_max":0,"pma_low_max_potential":0,"fallback_max_potential":0}},"flow":{"measured_hours":2,"substituted_hours":0,"pma_percent":100,"pma_qa_hours":2,"pma_operating_hours":2,"substitutions":{"initial_avg":0,"pma95_short_avg":0,"pma95_long_p90":0,"pma90_short_avg":0,"pma90_long_p95":0,"pma80_max":0,"pma_low_max_potential":0,"fallback_max_potential":0}}}]}"#;

#[test]
fn part75_output_is_byte_identical_to_before_the_c6_mode() {
    let csv = include_str!("../../../../docs/examples/cems-example.csv");
    for params in [
        p(),
        Params {
            equation: Equation::Part75,
            threads: 2,
            ..Params::default()
        },
    ] {
        let r = cems::compute(csv.as_bytes(), &params, &|_| {}).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), EXAMPLE_PART75_JSON);
    }
}

fn c6() -> Params {
    Params {
        equation: Equation::Part98C6,
        threads: 1,
        ..Params::default()
    }
}

#[test]
fn c6_hour_moisture_and_operating_time() {
    // Equation C-6: 10 % × 1,000,000 scfh × 5.18e-7 = 5.18 t/h (10 % × 100,000 scfh = 0.518 t).
    // C-7: dry CO2 at 10 % moisture × (100 − 10)/100 = 0.9 → 4.662 t. A quarter hour of
    // 10 % × 100,000 scfh: 0.518 × 0.25 = 0.1295 t; the non-operating hour adds nothing.
    let csv = format!(
        "{HEADER}A,2024-01-01T00,1,10,1000000,wet,,,\n\
         B,2024-01-01T00,1,10,1000000,dry,10,,\n\
         C,2024-01-01T00,0.25,10,100000,wet,,,\n\
         C,2024-01-01T01,0,55,,wet,,,\n"
    );
    let mut hours = Vec::new();
    let mut sink = |r: &HourRecord<'_>| hours.push((r.equation, r.mass.to_string()));
    let r = cems::compute_hourly(csv.as_bytes(), &c6(), &mut sink).unwrap();
    assert_eq!(
        hours,
        [
            (Equation::Part98C6, "5.18".to_string()),
            (Equation::Part98C6, "4.662".into()),
            (Equation::Part98C6, "0.1295".into()),
        ]
    );
    let t: Vec<_> = r
        .units
        .iter()
        .map(|u| u.metric_tonnes.to_string())
        .collect();
    assert_eq!(t, ["5.18", "4.662", "0.1295"]);
    // 5.18 + 4.662 + 0.1295; no short tons anywhere.
    assert_eq!(r.totals.metric_tonnes.to_string(), "9.9715");
    assert!(r.totals.short_tons.is_none() && r.units.iter().all(|u| u.short_tons.is_none()));
    let q1 = &r.units[0].years[0].quarters[0];
    assert_eq!(
        (q1.quarter, q1.short_tons, q1.metric_tonnes.to_string()),
        (1, None, "5.18".into())
    );
    // Under Part 75 the same rows are 5.7, 5.13 and 0.1425 short tons.
    let (p75, _) = hourly(&csv, &p()).unwrap();
    let st: Vec<_> = p75
        .units
        .iter()
        .map(|u| u.short_tons.unwrap().to_string())
        .collect();
    assert_eq!(st, ["5.7", "5.13", "0.1425"]);

    // The report says which equation and constant produced its figures.
    let j: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert!(
        j["programme"]
            .as_str()
            .unwrap()
            .starts_with("40 CFR 98 subpart C Tier 4")
    );
    assert!(
        j["equation"]
            .as_str()
            .unwrap()
            .starts_with("Equation C-6: CO2_h = K_C6 × C_h × Q_h")
    );
    assert_eq!(j["constants"].as_array().unwrap().len(), 1);
    assert_eq!(j["constants"][0]["name"], "K_C6");
    assert_eq!(j["constants"][0]["unit"], "metric t/scf/% CO2");
    assert_eq!(j["constants"][0]["mark"], "DERIVED");
    assert_eq!(j["parameters"]["equation"], "part98-c6");
    let text = serde_json::to_string(&r).unwrap();
    assert!(
        text.contains(r#"{"name":"K_C6","value":0.000000518,"#),
        "{text}"
    );
    assert!(!text.contains("short_ton"), "{text}");
    assert!(
        text.contains(
            r#""totals":{"units":3,"rows":4,"operating_hours":3,"metric_tonnes":9.9715,"#
        )
    );
    assert!(
        j["units"][0]["years"][0]["quarters"][0]
            .get("short_tons")
            .is_none()
    );
}

#[test]
fn c6_annual_total_is_not_part75_converted_to_tonnes() {
    // One year, both modes. Unit W (wet), one hour per quarter; Q2's CO2 is missing and takes
    // the §75.31(b) initial average (12 + 8)/2 = 10 % in both modes:
    //   Q1 12 % × 2,000,000:       Part 75 13.68 st    C-6 12.432 t
    //   Q2 10 % × 2,000,000:               11.4                10.36
    //   Q3  8 % × 3,000,000 × 0.5:          6.84                6.216
    //   Q4 11 % × 1,000,000:                6.27                5.698
    // Unit D (dry, 12 % moisture): 14 % × 1,500,000 × 0.88 = 10.5336 st, 9.57264 t.
    let csv = format!(
        "{HEADER}W,2023-01-15T00,1,12,2000000,wet,,,\n\
         D,2023-02-01T00,1,14,1500000,dry,12,,\n\
         W,2023-04-15T00,1,,2000000,wet,,,\n\
         W,2023-07-15T00,0.5,8,3000000,wet,,,\n\
         W,2023-10-15T00,1,11,1000000,wet,,,\n"
    );
    let (p75, _) = hourly(&csv, &p()).unwrap();
    let (c6r, recs) = hourly(&csv, &c6()).unwrap();
    let q = |r: &Report, i: usize, st: bool| -> Vec<String> {
        r.units[i].years[0]
            .quarters
            .iter()
            .map(|q| {
                if st {
                    q.short_tons.unwrap().to_string()
                } else {
                    q.metric_tonnes.to_string()
                }
            })
            .collect()
    };
    // Units sort D, W.
    assert_eq!(q(&p75, 1, true), ["13.68", "11.4", "6.84", "6.27"]);
    assert_eq!(q(&c6r, 1, false), ["12.432", "10.36", "6.216", "5.698"]);
    assert_eq!(recs[2].co2_code, Code::InitialAvg);
    assert_eq!(recs[2].co2, "10");
    assert_eq!(c6r.units[1].years[0].metric_tonnes.to_string(), "34.706");
    assert_eq!(c6r.units[0].metric_tonnes.to_string(), "9.57264");
    // Annual: Part 75 48.7236 short tons = 44.201306397864 t (× 0.90718474, exact);
    // Equation C-6 44.27864 t. They differ by 0.077333602136 t (C-6 is 1.75 ‰ higher:
    // 518 / (570 × 0.90718474) = 1.00175), so C-6 must never be taken from Part 75.
    assert_eq!(p75.totals.short_tons.unwrap().to_string(), "48.7236");
    assert_eq!(p75.totals.metric_tonnes.to_string(), "44.201306397864");
    assert_eq!(c6r.totals.metric_tonnes.to_string(), "44.27864");
    assert_ne!(p75.totals.metric_tonnes, c6r.totals.metric_tonnes);

    // The documented example: Part 75 34.3514775 st = 31.16313618445335 t; C-6 31.2176585 t
    // (unit 1: 5.18 + 5.698 + 6.216 + 3.1339 + 6.8376 = 27.0655; unit 2: 4.332 × 518/570 ×
    // 0.92 + … = 3.621856 + 0.5303025 = 4.1521585).
    let csv = include_str!("../../../../docs/examples/cems-example.csv");
    let r = cems::compute(csv.as_bytes(), &c6(), &|_| {}).unwrap();
    let t: Vec<_> = r
        .units
        .iter()
        .map(|u| u.metric_tonnes.to_string())
        .collect();
    assert_eq!(t, ["27.0655", "4.1521585"]);
    assert_eq!(r.totals.metric_tonnes.to_string(), "31.2176585");
}

#[test]
fn c6_uses_the_same_substitution_and_is_thread_independent() {
    // Twelve generated units (every substitution code fires): the C-6 run fills every hour
    // exactly as the Part 75 run does, so per unit C-6 × 570 = Part 75 × 518 in the engine's
    // integers, and the counts and PMAs are identical. Threads change nothing.
    let mut data = Vec::new();
    generate(
        &mut data,
        &GenSpec {
            units: 12,
            year: 2023,
            seed: 11,
        },
    )
    .unwrap();
    let run = |equation, threads| {
        cems::compute(
            data.as_slice(),
            &Params {
                equation,
                threads,
                ..Params::default()
            },
            &|_| {},
        )
        .unwrap()
    };
    let a = run(Equation::Part75, 2);
    let b = run(Equation::Part98C6, 2);
    assert_eq!(a.units.len(), b.units.len());
    let mut codes = 0;
    for (u, v) in a.units.iter().zip(&b.units) {
        assert_eq!(u.unit_id, v.unit_id);
        assert_eq!(u.mass_scaled * 518, v.mass_scaled * 570, "{}", u.unit_id);
        assert_eq!(
            serde_json::to_value(&u.co2).unwrap(),
            serde_json::to_value(&v.co2).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&u.flow).unwrap(),
            serde_json::to_value(&v.flow).unwrap()
        );
        codes += u.co2.substituted_hours + u.flow.substituted_hours;
    }
    assert!(codes > 0);
    let one = serde_json::to_string(&run(Equation::Part98C6, 1)).unwrap();
    assert_eq!(one, serde_json::to_string(&b).unwrap());
    assert_eq!(
        one,
        serde_json::to_string(&run(Equation::Part98C6, 3)).unwrap()
    );
}

fn json(r: &Result<Report, CemsError>) -> String {
    match r {
        Ok(r) => serde_json::to_string(r).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn results_and_errors_do_not_depend_on_threads() {
    let mut data = Vec::new();
    generate(
        &mut data,
        &GenSpec {
            units: 12,
            year: 2023,
            seed: 7,
        },
    )
    .unwrap();
    let run = |bytes: &[u8], threads| {
        json(&cems::compute(
            bytes,
            &Params {
                threads,
                ..Params::default()
            },
            &|_| {},
        ))
    };
    let one = run(&data, 1);
    assert!(one.starts_with("{"), "{one}");
    assert_eq!(one, run(&data, 2));
    assert_eq!(one, run(&data, 3));
    // Two errors for units on different workers: the earlier line is reported either way.
    let text = String::from_utf8(data).unwrap();
    let bad = text
        .replacen("U0007,2023-03-01T05,", "U0007,2023-03-01T05,x", 1)
        .replacen("U0003,2023-06-01T05,", "U0003,2023-06-01T05,x", 1);
    let e1 = run(bad.as_bytes(), 1);
    assert!(e1.starts_with("error: line "), "{e1}");
    assert!(e1.contains("U0003") || e1.contains("op_time"), "{e1}");
    assert_eq!(e1, run(bad.as_bytes(), 2));
}

/// Three units' generated rows, made once for the property tests.
fn sample() -> &'static [u8] {
    static DATA: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        let mut data = Vec::new();
        generate(
            &mut data,
            &GenSpec {
                units: 3,
                year: 2023,
                seed: 1,
            },
        )
        .unwrap();
        data.truncate(8000);
        data
    })
}

proptest! {
    #[test]
    fn hostile_bytes_never_panic_and_errors_name_a_line(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        for threads in [1, 2] {
            let params = Params { threads, ..Params::default() };
            if let Err(e) = cems::compute(bytes.as_slice(), &params, &|_| {}) {
                prop_assert!(e.to_string().contains("line "), "{}", e);
            }
        }
    }

    #[test]
    fn mutated_csv_never_panics_and_threads_agree(
        edits in proptest::collection::vec((0usize..4000, any::<u8>()), 1..6),
        keep in 200usize..4000,
    ) {
        let mut data = sample().to_vec();
        data.truncate(keep.min(data.len()));
        for (i, b) in edits {
            let n = data.len();
            data[i % n] = [b',', b'\n', b'.', b'-', b'9', b'"', b' ', b]
                [usize::from(b) % 8];
        }
        let one = json(&cems::compute(data.as_slice(), &Params { threads: 1, ..Params::default() }, &|_| {}));
        let two = json(&cems::compute(data.as_slice(), &Params { threads: 2, ..Params::default() }, &|_| {}));
        if one.starts_with("error") {
            prop_assert!(one.contains("line "), "{}", one);
        }
        prop_assert_eq!(one, two);
    }
}

/// Tonne and `scripts/cems_pandas.py` on one generated file: the bench's comparison, small.
#[test]
fn matches_the_pandas_script_when_pandas_is_available() {
    let python = std::env::var("TONNE_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import pandas"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!(
            "note: skipping the pandas comparison: {python} cannot import pandas (python3 -m pip install pandas)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cems.csv");
    generate(
        std::fs::File::create(&path).unwrap(),
        &GenSpec {
            units: 12,
            year: 2023,
            seed: 42,
        },
    )
    .unwrap();
    let out = dir.path().join("pandas.json");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/cems_pandas.py");
    let st = Command::new(&python)
        .arg(script)
        .arg(&path)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let pandas: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let r = cems::compute(
        std::fs::File::open(&path).unwrap(),
        &Params::default(),
        &|_| {},
    )
    .unwrap();
    assert_eq!(pandas["units"].as_object().unwrap().len(), r.units.len());
    for u in &r.units {
        let pu = &pandas["units"][&u.unit_id];
        assert_eq!(
            pu["short_tons"],
            u.short_tons.unwrap().round(3),
            "{}",
            u.unit_id
        );
        assert_eq!(
            pu["metric_tonnes"],
            u.metric_tonnes.round(3),
            "{}",
            u.unit_id
        );
        let quarters: Vec<String> = u.years[0]
            .quarters
            .iter()
            .map(|q| q.short_tons.unwrap().round(3))
            .collect();
        assert_eq!(
            pu["quarters_short_tons"],
            serde_json::json!(quarters),
            "{}",
            u.unit_id
        );
        assert_eq!(
            pu["co2"],
            serde_json::to_value(u.co2.substitutions).unwrap(),
            "{}",
            u.unit_id
        );
        assert_eq!(
            pu["flow"],
            serde_json::to_value(u.flow.substitutions).unwrap(),
            "{}",
            u.unit_id
        );
    }
}
