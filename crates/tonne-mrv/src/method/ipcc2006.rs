//! IPCC 2006 Guidelines, Vol. 2 (Energy), Ch. 2 stationary combustion, Tier 1: emissions of a
//! gas = fuel consumed [TJ, net calorific basis] × default emission factor [kg/TJ], and the
//! mass-to-energy conversion TJ = mass [Gg] × NCV [TJ/Gg] (reference/mrv.md §3.1).

use crate::table::Mark;
use crate::trace::{Step, Value};
use rust_decimal_macros::dec;

/// Equation 2.1 (numbering UNVERIFIED; the form is standard): Emissions = Fuel[TJ] × EF[kg/TJ],
/// here divided by 1,000 to give metric tons.
pub fn eq2_1(gas: &str, fuel_tj: Value, ef_kg_per_tj: Value) -> Step {
    let v = fuel_tj.value * ef_kg_per_tj.value / dec!(1000);
    Step {
        quantity: gas.into(),
        equation: "IPCC 2006 Vol. 2 Ch. 2 Equation 2.1 (Tier 1)".into(),
        formula: "Emissions = Fuel[TJ, NCV] × EF[kg/TJ] / 1000".into(),
        form_mark: Mark::VerifiedSecondary,
        inputs: vec![fuel_tj, ef_kg_per_tj],
        result: Value::input(gas, v, "t"),
    }
}

/// Mass to energy on a net calorific basis: TJ = mass[Gg] × NCV[TJ/Gg].
pub fn energy_from_mass(mass_gg: Value, ncv: Value) -> Step {
    let v = mass_gg.value * ncv.value;
    Step {
        quantity: "fuel_energy".into(),
        equation: "IPCC 2006 Vol. 2 Ch. 1 (NCV, Table 1.2)".into(),
        formula: "Fuel[TJ] = Fuel[Gg] × NCV[TJ/Gg]".into(),
        form_mark: Mark::VerifiedSecondary,
        inputs: vec![mass_gg, ncv],
        result: Value::input("Fuel", v, "TJ (NCV)"),
    }
}

/// The IPCC source-category table whose CH4 and N2O defaults apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sector {
    /// Table 2.2, energy industries (1.A.1).
    Energy,
    /// Table 2.3, manufacturing industries and construction (1.A.2).
    Manufacturing,
}

impl Sector {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Energy => "energy",
            Self::Manufacturing => "manufacturing",
        }
    }
    pub fn table(self) -> &'static str {
        match self {
            Self::Energy => "IPCC 2006 Vol. 2 Table 2.2 (energy industries)",
            Self::Manufacturing => {
                "IPCC 2006 Vol. 2 Table 2.3 (manufacturing industries and construction)"
            }
        }
    }
}

impl std::str::FromStr for Sector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "energy" => Ok(Self::Energy),
            "manufacturing" => Ok(Self::Manufacturing),
            _ => Err(format!(
                "unknown sector {s:?}: expected energy (Table 2.2) or manufacturing (Table 2.3)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier1() {
        // 1 Gg natural gas × 48.0 TJ/Gg × 56,100 kg/TJ = 2,692.8 t CO2.
        let e = energy_from_mass(
            Value::input("Fuel", dec!(1), "Gg"),
            Value::input("NCV", dec!(48.0), "TJ/Gg"),
        );
        assert_eq!(e.result.value, dec!(48));
        let s = eq2_1("co2", e.result, Value::input("EF", dec!(56100), "kg/TJ"));
        assert_eq!(s.result.value, dec!(2692.8));
    }
}
