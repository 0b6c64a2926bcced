//! Units of activity data and energy, and exact conversions between units of one dimension.
//!
//! Conversion factors are the exact definitions of NIST Special Publication 811 (2008 edition),
//! Appendix B.8/B.9: pound = 0.453 592 37 kg, so the short ton (2,000 lb) = 907.184 74 kg;
//! U.S. gallon = 231 in³ = 3.785 411 784 L; barrel (petroleum) = 42 U.S. gallons;
//! British thermal unit (International Table) = 1,055.055 852 62 J; 1 MWh = 3.6 GJ.
//! Gas volumes stay in standard cubic feet (`mscf` = 1,000 scf): a gas volume never converts to
//! a liquid volume or a mass without a density the caller supplies.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a unit measures. Conversions exist only within one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Gas at standard conditions.
    GasVolume,
    /// Liquid volume.
    LiquidVolume,
    Mass,
    Energy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "scf")]
    Scf,
    #[serde(rename = "mscf")]
    Mscf,
    #[serde(rename = "gal")]
    Gal,
    #[serde(rename = "bbl")]
    Bbl,
    #[serde(rename = "short_ton")]
    ShortTon,
    /// Metric tonne.
    #[serde(rename = "t")]
    Tonne,
    #[serde(rename = "kg")]
    Kg,
    #[serde(rename = "mmbtu")]
    Mmbtu,
    /// 0.1 mmBtu: the therm of natural-gas bills, as 40 CFR 98.33 Equation C-1a converts it.
    #[serde(rename = "therm")]
    Therm,
    #[serde(rename = "gj")]
    Gj,
    #[serde(rename = "tj")]
    Tj,
    #[serde(rename = "mwh")]
    Mwh,
}

/// Every unit, in the order `--help` lists them.
pub const ALL_UNITS: [Unit; 12] = [
    Unit::Scf,
    Unit::Mscf,
    Unit::Gal,
    Unit::Bbl,
    Unit::ShortTon,
    Unit::Tonne,
    Unit::Kg,
    Unit::Mmbtu,
    Unit::Therm,
    Unit::Gj,
    Unit::Tj,
    Unit::Mwh,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("unknown unit {0:?}: expected one of {list}", list = unit_list())]
    Unknown(String),
    #[error("cannot convert {from} to {to}: {from} measures {}, {to} measures {}", from.dimension().name(), to.dimension().name())]
    Incompatible { from: Unit, to: Unit },
}

fn unit_list() -> String {
    ALL_UNITS.map(|u| u.as_str()).join(", ")
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Self::GasVolume => "gas volume",
            Self::LiquidVolume => "liquid volume",
            Self::Mass => "mass",
            Self::Energy => "energy",
        }
    }
    /// The unit every conversion in this dimension passes through.
    fn base(self) -> Unit {
        match self {
            Self::GasVolume => Unit::Scf,
            Self::LiquidVolume => Unit::Gal,
            Self::Mass => Unit::Kg,
            Self::Energy => Unit::Gj,
        }
    }
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scf => "scf",
            Self::Mscf => "mscf",
            Self::Gal => "gal",
            Self::Bbl => "bbl",
            Self::ShortTon => "short_ton",
            Self::Tonne => "t",
            Self::Kg => "kg",
            Self::Mmbtu => "mmbtu",
            Self::Therm => "therm",
            Self::Gj => "gj",
            Self::Tj => "tj",
            Self::Mwh => "mwh",
        }
    }

    pub fn dimension(self) -> Dimension {
        match self {
            Self::Scf | Self::Mscf => Dimension::GasVolume,
            Self::Gal | Self::Bbl => Dimension::LiquidVolume,
            Self::ShortTon | Self::Tonne | Self::Kg => Dimension::Mass,
            Self::Mmbtu | Self::Therm | Self::Gj | Self::Tj | Self::Mwh => Dimension::Energy,
        }
    }

    /// How many of the dimension's base unit one of `self` is (exact).
    fn in_base(self) -> Decimal {
        match self {
            Self::Scf | Self::Gal | Self::Kg | Self::Gj => Decimal::ONE,
            Self::Mscf => dec!(1000),
            // 42 U.S. gallons (NIST SP 811 B.8, "barrel [for petroleum, 42 gallons (U.S.)]").
            Self::Bbl => dec!(42),
            // 2,000 lb × 0.453 592 37 kg/lb (NIST SP 811 B.8).
            Self::ShortTon => dec!(907.18474),
            Self::Tonne => dec!(1000),
            // 10^6 Btu(IT) × 1,055.055 852 62 J/Btu (NIST SP 811 B.8).
            Self::Mmbtu => dec!(1.05505585262),
            // 40 CFR 98.33 Equation C-1a: "0.1 = conversion factor from therms to mmBtu".
            Self::Therm => dec!(0.105505585262),
            Self::Tj => dec!(1000),
            // 3.6 × 10^9 J.
            Self::Mwh => dec!(3.6),
        }
    }

    /// The factor f with `x [self] = x × f [to]`.
    pub fn factor_to(self, to: Unit) -> Result<Decimal, UnitError> {
        if self.dimension() != to.dimension() {
            return Err(UnitError::Incompatible { from: self, to });
        }
        if self == to {
            return Ok(Decimal::ONE);
        }
        debug_assert_eq!(self.dimension().base().in_base(), Decimal::ONE);
        Ok(self.in_base() / to.in_base())
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Unit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, UnitError> {
        ALL_UNITS
            .into_iter()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| UnitError::Unknown(s.to_owned()))
    }
}

/// Which heating value an energy figure is expressed on. Part 98 works on higher (gross)
/// heating values; the IPCC Guidelines on net calorific values (reference/mrv.md §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeatingBasis {
    Hhv,
    Ncv,
}

impl HeatingBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hhv => "hhv",
            Self::Ncv => "ncv",
        }
    }
}

impl FromStr for HeatingBasis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hhv" | "gcv" => Ok(Self::Hhv),
            "ncv" | "lhv" => Ok(Self::Ncv),
            _ => Err(format!(
                "unknown heating-value basis {s:?}: expected hhv or ncv"
            )),
        }
    }
}

/// An amount in a unit; energy amounts carry their heating-value basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantity {
    pub value: Decimal,
    pub unit: Unit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<HeatingBasis>,
}

impl Quantity {
    pub fn new(value: Decimal, unit: Unit) -> Self {
        Self {
            value,
            unit,
            basis: None,
        }
    }
    pub fn energy(value: Decimal, unit: Unit, basis: HeatingBasis) -> Self {
        debug_assert_eq!(unit.dimension(), Dimension::Energy);
        Self {
            value,
            unit,
            basis: Some(basis),
        }
    }
    /// The same amount in `unit` (same dimension; the basis is kept).
    pub fn to(self, unit: Unit) -> Result<Self, UnitError> {
        Ok(Self {
            value: self.value * self.unit.factor_to(unit)?,
            unit,
            basis: self.basis,
        })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value.normalize(), self.unit)?;
        if let Some(b) = self.basis {
            write!(f, " ({})", b.as_str().to_uppercase())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_definitions() {
        assert_eq!(Unit::Bbl.factor_to(Unit::Gal).unwrap(), dec!(42));
        assert_eq!(Unit::ShortTon.factor_to(Unit::Kg).unwrap(), dec!(907.18474));
        assert_eq!(Unit::Tj.factor_to(Unit::Gj).unwrap(), dec!(1000));
        assert_eq!(Unit::Therm.factor_to(Unit::Mmbtu).unwrap(), dec!(0.1));
        assert_eq!(Unit::Mscf.factor_to(Unit::Scf).unwrap(), dec!(1000));
        assert!(Unit::Scf.factor_to(Unit::Gal).is_err());
        assert_eq!("short_ton".parse::<Unit>().unwrap(), Unit::ShortTon);
        let e = "tons".parse::<Unit>().unwrap_err().to_string();
        assert!(e.contains("short_ton") && e.contains("\"tons\""), "{e}");
    }
}
