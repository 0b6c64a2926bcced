//! Part 75 and Part 98 Equation C-6 constants, each with its source and mark
//! (reference/README.md), and the hourly equations in exact decimals for callers that have one
//! hour in hand. The engine itself works in scaled integers (see `fixed`) with the same
//! constants.

use super::Equation;
use crate::table::Mark;
use crate::trace::Value;
use rust_decimal::Decimal;

/// K of the Part 75 hourly CO2 mass equation `E_h = K × C_h × Q_h`, in short ton/scf/% CO2:
/// 5.7e-7. reference/mrv.md §7.1 states the equation and K (Part 75 App. F; its section
/// number is UNVERIFIED there); the value is Part 75's own rounding of the DERIVED
/// 44.01 lb/lb-mol ÷ 385.3 scf/lb-mol ÷ 100 ÷ 2,000 lb/short ton = 5.711e-7.
pub const K_SHORT_TON_PER_SCF_PCT: Decimal = Decimal::from_parts(57, 0, 0, false, 8);
pub const K_SOURCE: &str = "40 CFR 75 App. F (CO2 mass; section number UNVERIFIED) — reference/mrv.md §7.1; DERIVED check 44.01/385.3/100/2000 = 5.711e-7";
pub const K_MARK: Mark = Mark::Derived;

/// Metric tonnes per short ton: 2,000 lb × 0.453 592 37 kg/lb ÷ 1,000 = 0.907 184 74, exact by
/// definition (NIST SP 811 App. B, as in `crate::unit`); reference/mrv.md §7.1 quotes 0.90718.
pub const TONNES_PER_SHORT_TON: Decimal = Decimal::from_parts(90_718_474, 0, 0, false, 8);
pub const TONNES_PER_SHORT_TON_SOURCE: &str =
    "NIST SP 811 App. B: short ton = 2,000 lb, lb = 0.45359237 kg (exact definitions)";

/// Part 98 Equation C-6 (Tier 4), metric t/scf/% CO2: 5.18e-7. Form UNVERIFIED, constant
/// DERIVED 44.01 / 849.5 / 100 / 1,000 = 5.1807e-7 (reference/mrv.md §1.2). Never used for
/// Part 75 results, and C-6 results are never derived from Part 75 ones: each programme keeps
/// its own rounded constant (§7.1).
pub const C6_TONNE_PER_SCF_PCT: Decimal = Decimal::from_parts(518, 0, 0, false, 9);
pub const C6_SOURCE: &str = "40 CFR 98 subpart C Equation C-6 (Tier 4; form UNVERIFIED) — reference/mrv.md §1.2, §7.1; DERIVED check 44.01/849.5/100/1000 = 5.1807e-7";
pub const C6_MARK: Mark = Mark::Derived;

/// §75.32(a), §75.31(b): the first 720 quality-assured monitor operating hours of a CO2
/// monitor are the initial period; PMA is recorded after them (VERIFIED, reference §7.2).
pub const CO2_INITIAL_QA_HOURS: u64 = 720;
/// §75.32(a): 2,160 for a flow monitor (VERIFIED, reference §7.2).
pub const FLOW_INITIAL_QA_HOURS: u64 = 2160;
/// §75.33(b) via §75.35(d): percentiles and maxima over "the previous 720 quality-assured
/// monitor operating hours" (wording UNVERIFIED; the 720 trigger VERIFIED, reference §7.2).
pub const CO2_LOOKBACK_QA_HOURS: usize = 720;
/// §75.33(c) flow lookback: 2,160 QA hours (reference §7.2; details UNVERIFIED; load-range
/// bins are not modelled — every hour is in one range).
pub const FLOW_LOOKBACK_QA_HOURS: usize = 2160;
/// §75.32(a)(2), Equation 9: after 8,760 unit operating hours PMA is taken over the previous
/// 8,760 unit operating hours (rule VERIFIED; equation number UNVERIFIED, reference §7.2).
pub const PMA_WINDOW_OP_HOURS: u64 = 8760;
/// §75.32(a), §75.33(a): three years = 26,280 clock hours, both the age limit of substitute
/// data and the clock after which standard procedures start regardless (VERIFIED, §7.2).
pub const THREE_YEARS_CLOCK_HOURS: u32 = 26_280;
/// §75.33(b)(1)–(3): PMA bands 95.0 / 90.0 / 80.0 % (VERIFIED, reference §7.2).
pub const PMA_BANDS_PCT: [u64; 3] = [95, 90, 80];
/// §75.33(b)(1)(i): N ≤ 24 h at PMA ≥ 95 %; (b)(2)(i): N ≤ 8 h at 90–95 % (VERIFIED, §7.2).
pub const SHORT_GAP_HOURS_PMA95: u32 = 24;
pub const SHORT_GAP_HOURS_PMA90: u32 = 8;
/// §75.33(b)(1)(ii) 90th and (b)(2)(ii) 95th percentiles (VERIFIED, reference §7.2).
pub const PERCENTILE_PMA95: u32 = 90;
pub const PERCENTILE_PMA90: u32 = 95;

/// One hour of Part 75 CO2 mass, short tons: `K × C × Q`, times `(100 − %H2O)/100` when the
/// CO2 is measured dry and the flow wet (reference §7.1). Exact.
pub fn part75_co2_short_tons_per_hour(
    co2_pct: Decimal,
    flow_scfh: Decimal,
    dry_basis_h2o_pct: Option<Decimal>,
) -> Decimal {
    let wet = K_SHORT_TON_PER_SCF_PCT * co2_pct * flow_scfh;
    match dry_basis_h2o_pct {
        Some(h2o) => wet * (Decimal::ONE_HUNDRED - h2o) / Decimal::ONE_HUNDRED,
        None => wet,
    }
}

/// One hour of Part 98 Tier 4 CO2, metric tonnes: Equation C-6 `5.18e-7 × C × Q` (see
/// [`C6_TONNE_PER_SCF_PCT`]), times Equation C-7's `(100 − %H2O)/100` when the CO2 is measured
/// dry and the flow wet (reference §1.2: C-7 form UNVERIFIED; the same dry/wet rule as Part 75).
/// Exact.
pub fn part98_c6_tonnes_per_hour(
    co2_pct: Decimal,
    flow_scfh: Decimal,
    dry_basis_h2o_pct: Option<Decimal>,
) -> Decimal {
    let wet = C6_TONNE_PER_SCF_PCT * co2_pct * flow_scfh;
    match dry_basis_h2o_pct {
        Some(h2o) => wet * (Decimal::ONE_HUNDRED - h2o) / Decimal::ONE_HUNDRED,
        None => wet,
    }
}

/// The constants a CEMS report under `equation` rests on, as trace values with source and
/// mark: Part 75's K and the short-ton conversion, or C-6's constant alone (no conversion is
/// applied to C-6 results).
pub fn constants(equation: Equation) -> Vec<Value> {
    match equation {
        Equation::Part75 => vec![
            Value::factor(
                "K",
                K_SHORT_TON_PER_SCF_PCT,
                "short ton/scf/% CO2",
                K_SOURCE,
                K_MARK,
            ),
            Value::factor(
                "tonnes_per_short_ton",
                TONNES_PER_SHORT_TON,
                "t/short ton",
                TONNES_PER_SHORT_TON_SOURCE,
                Mark::Verified,
            ),
        ],
        Equation::Part98C6 => vec![Value::factor(
            "K_C6",
            C6_TONNE_PER_SCF_PCT,
            "metric t/scf/% CO2",
            C6_SOURCE,
            C6_MARK,
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixed::{K_C6_MANTISSA, K_PART75_MANTISSA, K_SCALE};
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn constants_are_what_they_say() {
        assert_eq!(K_SHORT_TON_PER_SCF_PCT, dec!(0.00000057));
        assert_eq!(C6_TONNE_PER_SCF_PCT, dec!(0.000000518));
        // The engine's integer mantissas are the same constants.
        assert_eq!(
            Decimal::new(K_PART75_MANTISSA as i64, K_SCALE),
            K_SHORT_TON_PER_SCF_PCT
        );
        assert_eq!(
            Decimal::new(K_C6_MANTISSA as i64, K_SCALE),
            C6_TONNE_PER_SCF_PCT
        );
        // 10 % × 100,000 scfh × 5.18e-7 = 0.518 t; × 1,000,000 scfh = 5.18 t; C-7 at 10 %
        // moisture: × 0.9 = 4.662 t.
        assert_eq!(
            part98_c6_tonnes_per_hour(dec!(10), dec!(100000), None),
            dec!(0.518)
        );
        assert_eq!(
            part98_c6_tonnes_per_hour(dec!(10), dec!(1000000), None),
            dec!(5.18)
        );
        assert_eq!(
            part98_c6_tonnes_per_hour(dec!(10), dec!(1000000), Some(dec!(10))),
            dec!(4.662)
        );
        // 2,000 × 0.45359237 / 1,000
        assert_eq!(
            TONNES_PER_SHORT_TON,
            dec!(2000) * dec!(0.45359237) / dec!(1000)
        );
    }
}
