//! Process CO2 from cement (Part 98 subpart H; IPCC 2006 2.A.1) and lime (Part 98 subpart S;
//! IPCC 2006 2.A.2), reference/mrv.md §6.1–6.2. Equation forms there are UNVERIFIED and so are
//! the stoichiometric ratios as table values: every ratio and default is a field of
//! [`ProcessParams`] with its doubt noted, recorded in the trace.

use crate::table::Mark;
use crate::trace::{Step, Value};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessParams {
    /// t CO2 per t CaO. Stoichiometric 44.009/56.077 = 0.78480 (DERIVED); 0.7848 as the
    /// Table S-1 / Equation H-3 value is UNVERIFIED (reference/mrv.md §6.1, §6.2).
    pub sr_cao: Decimal,
    /// t CO2 per t MgO. Stoichiometric 44.009/40.304 = 1.09193 (DERIVED); 1.0918 as the
    /// table value is UNVERIFIED.
    pub sr_mgo: Decimal,
    /// Short tons to metric tons where a subpart uses 2000/2205 (VERIFIED in §98.283, §98.213;
    /// its use in subparts H and S is UNVERIFIED).
    pub short_ton_to_t: Decimal,
    /// IPCC 2006 default clinker EF, t CO2/t clinker: 0.52 = 65 % CaO × 0.785 × CKD 1.02
    /// (UNVERIFIED; reference/mrv.md §6.1). The 1996 GPG value 0.507 is VERIFIED.
    pub ipcc_clinker_ef: Decimal,
    /// IPCC 2006 lime defaults, t CO2/t lime (UNVERIFIED, reference/mrv.md §6.2).
    pub ipcc_lime_ef_high_calcium: Decimal,
    pub ipcc_lime_ef_dolomitic: Decimal,
    pub ipcc_lime_ef_hydraulic: Decimal,
}

impl Default for ProcessParams {
    fn default() -> Self {
        Self {
            sr_cao: dec!(0.7848),
            sr_mgo: dec!(1.0918),
            short_ton_to_t: dec!(2000) / dec!(2205),
            ipcc_clinker_ef: dec!(0.52),
            ipcc_lime_ef_high_calcium: dec!(0.75),
            // 0.77 or 0.86 in the reference; 0.77 here (UNVERIFIED: which applies is open).
            ipcc_lime_ef_dolomitic: dec!(0.77),
            ipcc_lime_ef_hydraulic: dec!(0.59),
        }
    }
}

/// Oxide contents of clinker, CKD or lime, as mass fractions (0–1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oxides {
    pub cao: Decimal,
    /// Non-calcined CaO (clinker, CKD); zero for lime.
    #[serde(default)]
    pub cao_noncalcined: Decimal,
    pub mgo: Decimal,
    #[serde(default)]
    pub mgo_noncalcined: Decimal,
}

fn ratio(name: &str, v: Decimal, unit: &str) -> Value {
    Value::factor(
        name,
        v,
        unit,
        "stoichiometric ratio (reference/mrv.md §6.1; table value UNVERIFIED, configurable)",
        Mark::Unverified,
    )
}

/// Equation H-3 form (UNVERIFIED): EF = (CaO − CaO_nc) × SR_CaO + (MgO − MgO_nc) × SR_MgO,
/// t CO2 per t of clinker or CKD.
pub fn h3_ef(what: &str, o: Oxides, p: &ProcessParams) -> Step {
    let v = (o.cao - o.cao_noncalcined) * p.sr_cao + (o.mgo - o.mgo_noncalcined) * p.sr_mgo;
    Step {
        quantity: format!("ef_{what}"),
        equation: "40 CFR 98.83(d) Equation H-3 (form UNVERIFIED)".into(),
        formula: "EF = (CaO − CaO_nc) × SR_CaO + (MgO − MgO_nc) × SR_MgO".into(),
        form_mark: Mark::Unverified,
        inputs: vec![
            Value::input("CaO", o.cao, "t/t"),
            Value::input("CaO_nc", o.cao_noncalcined, "t/t"),
            Value::input("MgO", o.mgo, "t/t"),
            Value::input("MgO_nc", o.mgo_noncalcined, "t/t"),
            ratio("SR_CaO", p.sr_cao, "t CO2/t CaO"),
            ratio("SR_MgO", p.sr_mgo, "t CO2/t MgO"),
        ],
        result: Value::input(&format!("EF_{what}"), v, format!("t CO2/t {what}")),
    }
}

/// Σ mass_i × EF (clinker by month, CKD by quarter, lime by type and month), metric tons.
pub fn mass_times_ef(what: &str, equation: &str, masses_t: &[Decimal], ef: Value) -> Step {
    let total: Decimal = masses_t.iter().sum();
    let v = total * ef.value;
    let mut inputs: Vec<Value> = masses_t
        .iter()
        .enumerate()
        .map(|(i, m)| Value::input(&format!("{what}[{i}]"), *m, "t"))
        .collect();
    inputs.push(ef);
    Step {
        quantity: "co2".into(),
        equation: equation.into(),
        formula: format!("CO2 = Σ {what}_i × EF"),
        form_mark: Mark::Unverified,
        inputs,
        result: Value::input("co2", v, "t"),
    }
}

/// Lime types of IPCC 2006 2.A.2 Tier 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimeType {
    HighCalcium,
    Dolomitic,
    Hydraulic,
}

/// IPCC 2006 Tier 1 lime: CO2 = lime produced × default EF of its type.
pub fn ipcc_lime_tier1(kind: LimeType, lime_t: Decimal, p: &ProcessParams) -> Step {
    let ef = match kind {
        LimeType::HighCalcium => p.ipcc_lime_ef_high_calcium,
        LimeType::Dolomitic => p.ipcc_lime_ef_dolomitic,
        LimeType::Hydraulic => p.ipcc_lime_ef_hydraulic,
    };
    let mut s = mass_times_ef(
        "lime",
        "IPCC 2006 Vol. 3 Ch. 2, 2.A.2 Tier 1",
        &[lime_t],
        Value::factor(
            "EF",
            ef,
            "t CO2/t lime",
            "IPCC 2006 Vol. 3 Ch. 2 lime default (UNVERIFIED, configurable)",
            Mark::Unverified,
        ),
    );
    s.formula = "CO2 = lime × EF_lime(type)".into();
    s
}

/// IPCC 2006 Tier 2 cement: CO2 = clinker × EF_clc (CKD correction included in the default).
pub fn ipcc_cement_clinker(clinker_t: Decimal, p: &ProcessParams) -> Step {
    let mut s = mass_times_ef(
        "clinker",
        "IPCC 2006 Vol. 3 Ch. 2, 2.A.1 Tier 2",
        &[clinker_t],
        Value::factor(
            "EF_clc",
            p.ipcc_clinker_ef,
            "t CO2/t clinker",
            "IPCC 2006 default 0.52 = 0.510 × CKD 1.02 (UNVERIFIED, configurable)",
            Mark::Unverified,
        ),
    );
    s.formula = "CO2 = clinker × EF_clc".into();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cement_and_lime() {
        let p = ProcessParams::default();
        // 65 % CaO, 1 % non-calcined, 2 % MgO: (0.64 × 0.7848) + (0.02 × 1.0918) = 0.524108.
        let ef = h3_ef(
            "clinker",
            Oxides {
                cao: dec!(0.65),
                cao_noncalcined: dec!(0.01),
                mgo: dec!(0.02),
                mgo_noncalcined: dec!(0),
            },
            &p,
        );
        assert_eq!(ef.result.value, dec!(0.524108));
        let co2 = mass_times_ef("clinker", "H-3", &[dec!(1000), dec!(500)], ef.result);
        assert_eq!(co2.result.value, dec!(786.162));
        assert_eq!(
            ipcc_lime_tier1(LimeType::HighCalcium, dec!(100), &p)
                .result
                .value,
            dec!(75)
        );
        // 1996 GPG: 64.6 % CaO × 0.785 = 0.5071 (VERIFIED/DERIVED, reference/mrv.md §6.1).
        let gpg = ProcessParams {
            sr_cao: dec!(0.785),
            ..p
        };
        let ef = h3_ef(
            "clinker",
            Oxides {
                cao: dec!(0.646),
                cao_noncalcined: dec!(0),
                mgo: dec!(0),
                mgo_noncalcined: dec!(0),
            },
            &gpg,
        );
        assert_eq!(ef.result.value, dec!(0.507110));
    }
}
