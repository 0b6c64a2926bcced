//! 40 CFR Part 98 subpart C equations (stationary fuel combustion), each a pure function named
//! after its equation that returns the result as a trace [`Step`]. Forms and constants follow
//! reference/mrv.md §1.2 and §1.4; the mark of each form is recorded in its step.
//!
//! Units as the regulation states them (§98.33(a)(1)): Fuel in short tons (solid), scf (gas) or
//! gallons (liquid); HHV in mmBtu per unit of fuel; CO2 EF in kg CO2/mmBtu; results in metric
//! tons.

use crate::table::Mark;
use crate::trace::{Step, Value};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// "1 x 10-3 = Conversion factor from kilograms to metric tons" (§98.33(a)(1), Equation C-1).
pub const KG_TO_T: Decimal = dec!(0.001);
/// "0.1 = conversion factor from therms to mmBtu" (Equation C-1a; form UNVERIFIED,
/// reference/mrv.md §1.2).
pub const MMBTU_PER_THERM: Decimal = dec!(0.1);
/// Equation C-3: "0.91 = conversion factor from short tons to metric tons" — the regulation's
/// own rounded constant, used as published (exact would be 0.90718474).
pub const C3_SHORT_TON_TO_T: Decimal = dec!(0.91);
/// Molar volume conversion factor at 68 °F: 849.5 scf per kg-mole (VERIFIED in the subpart P
/// analogue, §98.163; reference/mrv.md §1.2).
pub const MVC_68F: Decimal = dec!(849.5);
/// At 60 °F: 836.6 scf per kg-mole (UNVERIFIED, reference/mrv.md §1.2).
pub const MVC_60F: Decimal = dec!(836.6);

/// The ratio of molecular weights, CO2 to carbon, 44/12, kept as a fraction until the end.
fn times_44_over_12(x: Decimal) -> Decimal {
    x * dec!(44) / dec!(12)
}

const EQ: &str = "40 CFR 98.33";

fn step(
    quantity: &str,
    equation: &str,
    formula: &str,
    form_mark: Mark,
    inputs: Vec<Value>,
    value: Decimal,
) -> Step {
    Step {
        quantity: quantity.into(),
        equation: equation.into(),
        formula: formula.into(),
        form_mark,
        inputs,
        result: Value::input(quantity, value, "t"),
    }
}

fn kg_to_t() -> Value {
    Value::factor(
        "1e-3",
        KG_TO_T,
        "t/kg",
        "40 CFR 98.33(a)(1) Equation C-1",
        Mark::Verified,
    )
}

/// Equation C-1 (Tier 1): CO2 = 1e-3 × Fuel × HHV × EF, default HHV and EF from Table C-1.
/// `gas` names the result (`co2` or `biogenic_co2`). Form VERIFIED (§98.33(a)(1)).
pub fn c1(gas: &str, fuel: Value, hhv: Value, ef: Value) -> Step {
    let v = KG_TO_T * fuel.value * hhv.value * ef.value;
    step(
        gas,
        &format!("{EQ}(a)(1) Equation C-1"),
        "CO2 = 1e-3 × Fuel × HHV × EF",
        Mark::Verified,
        vec![fuel, hhv, ef, kg_to_t()],
        v,
    )
}

/// Equation C-1a (Tier 1, natural gas billed in therms): CO2 = 1e-3 × Gas × 0.1 × EF.
pub fn c1a(gas: &str, therms: Value, ef: Value) -> Step {
    let v = KG_TO_T * therms.value * MMBTU_PER_THERM * ef.value;
    step(
        gas,
        &format!("{EQ}(a)(1)(ii) Equation C-1a"),
        "CO2 = 1e-3 × Gas[therms] × 0.1 × EF",
        Mark::Unverified,
        vec![
            therms,
            Value::factor(
                "0.1",
                MMBTU_PER_THERM,
                "mmBtu/therm",
                "40 CFR 98.33 Equation C-1a",
                Mark::Unverified,
            ),
            ef,
            kg_to_t(),
        ],
        v,
    )
}

/// Equation C-1b (Tier 1, natural gas billed in mmBtu): CO2 = 1e-3 × Gas × EF.
pub fn c1b(gas: &str, mmbtu: Value, ef: Value) -> Step {
    let v = KG_TO_T * mmbtu.value * ef.value;
    step(
        gas,
        &format!("{EQ}(a)(1)(ii) Equation C-1b"),
        "CO2 = 1e-3 × Gas[mmBtu] × EF",
        Mark::Unverified,
        vec![mmbtu, ef, kg_to_t()],
        v,
    )
}

/// Equation C-2a (Tier 2): CO2 = 1e-3 × Fuel × HHV_measured × EF.
pub fn c2a(gas: &str, fuel: Value, hhv: Value, ef: Value) -> Step {
    let v = KG_TO_T * fuel.value * hhv.value * ef.value;
    step(
        gas,
        &format!("{EQ}(a)(2) Equation C-2a"),
        "CO2 = 1e-3 × Fuel × HHV × EF (HHV measured)",
        Mark::Unverified,
        vec![fuel, hhv, ef, kg_to_t()],
        v,
    )
}

/// Equation C-2b: the fuel-weighted annual average HHV, Σ(HHV_i × Fuel_i) / Σ Fuel_i.
/// `None` when no fuel was sampled.
pub fn c2b(samples: &[(Decimal, Decimal)]) -> Option<Decimal> {
    let fuel: Decimal = samples.iter().map(|(_, f)| *f).sum();
    if fuel.is_zero() {
        return None;
    }
    Some(samples.iter().map(|(h, f)| *h * *f).sum::<Decimal>() / fuel)
}

/// Tier 3 carbon content and fuel of one sampling period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier3Sample {
    /// Short tons (solid), gallons (liquid) or scf (gas).
    pub fuel: Decimal,
    /// kg C per kg of fuel (solid, gas) or kg C per gallon (liquid).
    pub carbon_content: Decimal,
    /// kg/kg-mole (gas only).
    pub molecular_weight: Option<Decimal>,
}

fn sample_inputs(samples: &[Tier3Sample], fuel_unit: &str, cc_unit: &str) -> Vec<Value> {
    let mut v = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        let n = if samples.len() == 1 {
            String::new()
        } else {
            format!("[{i}]")
        };
        v.push(Value::input(&format!("Fuel{n}"), s.fuel, fuel_unit));
        v.push(Value::input(&format!("CC{n}"), s.carbon_content, cc_unit));
        if let Some(mw) = s.molecular_weight {
            v.push(Value::input(&format!("MW{n}"), mw, "kg/kg-mole"));
        }
    }
    v
}

fn ratio_44_12() -> Value {
    Value::factor(
        "44/12",
        dec!(44) / dec!(12),
        "t CO2/t C",
        "ratio of molecular weights, CO2 to carbon",
        Mark::Verified,
    )
}

/// Equation C-3 (Tier 3, solid fuel): CO2 = 44/12 × Σ(Fuel[short tons] × CC[kg C/kg]) × 0.91.
pub fn c3(gas: &str, samples: &[Tier3Sample]) -> Step {
    let sum: Decimal = samples.iter().map(|s| s.fuel * s.carbon_content).sum();
    let v = times_44_over_12(sum * C3_SHORT_TON_TO_T);
    let mut inputs = sample_inputs(samples, "short ton", "kg C/kg");
    inputs.push(ratio_44_12());
    inputs.push(Value::factor(
        "0.91",
        C3_SHORT_TON_TO_T,
        "t/short ton",
        "40 CFR 98.33 Equation C-3 (the regulation's rounded constant)",
        Mark::Unverified,
    ));
    step(
        gas,
        &format!("{EQ}(a)(3) Equation C-3"),
        "CO2 = 44/12 × Σ(Fuel × CC) × 0.91",
        Mark::Unverified,
        inputs,
        v,
    )
}

/// Equation C-4 (Tier 3, liquid fuel): CO2 = 44/12 × Σ(Fuel[gal] × CC[kg C/gal]) × 0.001.
/// The form matches the VERIFIED subpart P liquid analogue (§98.163).
pub fn c4(gas: &str, samples: &[Tier3Sample]) -> Step {
    let sum: Decimal = samples.iter().map(|s| s.fuel * s.carbon_content).sum();
    let v = times_44_over_12(sum * KG_TO_T);
    let mut inputs = sample_inputs(samples, "gal", "kg C/gal");
    inputs.push(ratio_44_12());
    inputs.push(kg_to_t());
    step(
        gas,
        &format!("{EQ}(a)(3) Equation C-4"),
        "CO2 = 44/12 × Σ(Fuel × CC) × 0.001",
        Mark::Unverified,
        inputs,
        v,
    )
}

/// Equation C-5 (Tier 3, gaseous fuel):
/// CO2 = 44/12 × Σ(Fuel[scf] × CC[kg C/kg] × MW / MVC) × 0.001.
/// Structure and MVC 849.5 VERIFIED in the subpart P analogue (§98.163).
pub fn c5(gas: &str, samples: &[Tier3Sample], mvc: Value) -> Step {
    let sum: Decimal = samples
        .iter()
        .map(|s| {
            s.fuel * s.carbon_content * s.molecular_weight.expect("gas samples carry MW")
                / mvc.value
        })
        .sum();
    let v = times_44_over_12(sum * KG_TO_T);
    let mut inputs = sample_inputs(samples, "scf", "kg C/kg");
    inputs.push(mvc);
    inputs.push(ratio_44_12());
    inputs.push(kg_to_t());
    step(
        gas,
        &format!("{EQ}(a)(3) Equation C-5"),
        "CO2 = 44/12 × Σ(Fuel × CC × MW / MVC) × 0.001",
        Mark::Unverified,
        inputs,
        v,
    )
}

/// Equation C-8: CH4 or N2O = 1e-3 × Fuel × HHV_default × EF (Table C-2), for fuels whose CO2
/// uses Tier 1 or Tier 3 (name VERIFIED, IVT list).
pub fn c8(gas: &str, fuel: Value, hhv: Value, ef: Value) -> Step {
    let v = KG_TO_T * fuel.value * hhv.value * ef.value;
    step(
        gas,
        &format!("{EQ}(c)(1) Equation C-8"),
        "CH4 or N2O = 1e-3 × Fuel × HHV × EF",
        Mark::Unverified,
        vec![fuel, hhv, ef, kg_to_t()],
        v,
    )
}

/// Equation C-8a: natural gas billed in therms, 1e-3 × Gas × 0.1 × EF.
pub fn c8a(gas: &str, therms: Value, ef: Value) -> Step {
    let mut s = c1a(gas, therms, ef);
    s.equation = format!("{EQ}(c)(1) Equation C-8a");
    s.formula = "CH4 or N2O = 1e-3 × Gas[therms] × 0.1 × EF".into();
    s
}

/// Equation C-8b: natural gas billed in mmBtu, 1e-3 × Gas × EF.
pub fn c8b(gas: &str, mmbtu: Value, ef: Value) -> Step {
    let mut s = c1b(gas, mmbtu, ef);
    s.equation = format!("{EQ}(c)(1) Equation C-8b");
    s.formula = "CH4 or N2O = 1e-3 × Gas[mmBtu] × EF".into();
    s
}

/// Equation C-9a: CH4 or N2O = 1e-3 × Fuel × HHV_measured × EF, for Tier 2 (or Tier 3 with a
/// measured HHV).
pub fn c9a(gas: &str, fuel: Value, hhv: Value, ef: Value) -> Step {
    let mut s = c8(gas, fuel, hhv, ef);
    s.equation = format!("{EQ}(c)(2) Equation C-9a");
    s.formula = "CH4 or N2O = 1e-3 × Fuel × HHV × EF (HHV measured)".into();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, v: Decimal) -> Value {
        Value::input(name, v, "-")
    }

    #[test]
    fn equations() {
        // 1,000,000 gal × 0.138 mmBtu/gal × 73.96 kg/mmBtu × 1e-3 = 10,206.48 t (G2).
        let s = c1(
            "co2",
            f("Fuel", dec!(1000000)),
            f("HHV", dec!(0.138)),
            f("EF", dec!(73.96)),
        );
        assert_eq!(s.result.value, dec!(10206.48));
        assert_eq!(
            c1a("co2", f("Gas", dec!(1000000)), f("EF", dec!(53.06)))
                .result
                .value,
            dec!(5306)
        );
        assert_eq!(
            c2b(&[(dec!(1.0), dec!(1)), (dec!(2.0), dec!(3))]),
            Some(dec!(1.75))
        );
        assert_eq!(c2b(&[]), None);
        // 1,000 short tons at 75 % carbon: 44/12 × 750 × 0.91 = 2,502.5 t.
        let solid = Tier3Sample {
            fuel: dec!(1000),
            carbon_content: dec!(0.75),
            molecular_weight: None,
        };
        assert_eq!(c3("co2", &[solid]).result.value, dec!(2502.5));
        // 1,000,000 scf, CC 0.75, MW 16.04 at 68 °F: 44/12 × 1e6 × 0.75 × 16.04 / 849.5 × 1e-3.
        let g = Tier3Sample {
            fuel: dec!(1000000),
            carbon_content: dec!(0.75),
            molecular_weight: Some(dec!(16.04)),
        };
        let v = c5("co2", &[g], f("MVC", MVC_68F)).result.value;
        assert!(
            (v - dec!(51.9246615656268393172454385)).abs() < dec!(1e-20),
            "{v}"
        );
    }
}
