//! Electricity importers (California MRR §95111, reference/mrv.md §6.3). Emissions are
//! reported per category of delivered electricity: specified sources with the source's own
//! emission factor, unspecified imports with a default factor. Both the default factor
//! (0.428 t CO2e/MWh) and the transmission-loss factor (1.02) are UNVERIFIED, so they are
//! parameters that every result records in its trace.

use crate::table::Mark;
use crate::trace::{Step, Value};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportParams {
    /// t CO2e/MWh for unspecified imports. UNVERIFIED: the §95111(b) text carrying 0.428 was
    /// not confirmed (reference/mrv.md §0.3, §6.3).
    pub unspecified_ef_t_per_mwh: Decimal,
    /// Transmission-loss factor. UNVERIFIED (reference/mrv.md §6.3); §95111 does say
    /// unspecified emissions include "those associated with transmission losses" (VERIFIED).
    pub transmission_loss_factor: Decimal,
    /// Whether specified imports also carry the transmission-loss factor (UNVERIFIED).
    pub losses_on_specified: bool,
}

impl Default for ImportParams {
    fn default() -> Self {
        Self {
            unspecified_ef_t_per_mwh: dec!(0.428),
            transmission_loss_factor: dec!(1.02),
            losses_on_specified: true,
        }
    }
}

/// One import line: MWh measured at the first point of delivery in California, by first point
/// of receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Import {
    Unspecified {
        mwh: Decimal,
        /// First point of receipt (NERC e-Tag code).
        #[serde(default)]
        por: Option<String>,
    },
    Specified {
        mwh: Decimal,
        /// The source's emission factor, t CO2e/MWh, from its verified report or EIA/EPA data.
        ef_t_per_mwh: Decimal,
        source: String,
    },
}

/// CO2e of one import line, t CO2e.
pub fn import_co2e(line: &Import, p: &ImportParams) -> Step {
    let tl = Value::factor(
        "TL",
        p.transmission_loss_factor,
        "-",
        "CARB MRR §95111 transmission losses (1.02 UNVERIFIED, configurable)",
        Mark::Unverified,
    );
    let (mwh, ef, with_losses) = match line {
        Import::Unspecified { mwh, .. } => (
            *mwh,
            Value::factor(
                "EF_unspecified",
                p.unspecified_ef_t_per_mwh,
                "t CO2e/MWh",
                "CARB MRR §95111(b) default for unspecified imports (0.428 UNVERIFIED, configurable)",
                Mark::Unverified,
            ),
            true,
        ),
        Import::Specified {
            mwh,
            ef_t_per_mwh,
            source,
        } => (
            *mwh,
            Value {
                name: "EF_specified".into(),
                value: *ef_t_per_mwh,
                unit: "t CO2e/MWh".into(),
                source: Some(source.clone()),
                mark: None,
            },
            p.losses_on_specified,
        ),
    };
    let mut v = mwh * ef.value;
    let mut inputs = vec![Value::input("MWh", mwh, "MWh"), ef];
    let formula = if with_losses {
        v *= tl.value;
        inputs.push(tl);
        "CO2e = MWh × EF × TL"
    } else {
        "CO2e = MWh × EF"
    };
    Step {
        quantity: "co2e".into(),
        equation: "17 CCR §95111 electricity imports".into(),
        formula: formula.into(),
        form_mark: Mark::Unverified,
        inputs,
        result: Value::input("co2e", v, "t CO2e"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports() {
        let p = ImportParams::default();
        let u = Import::Unspecified {
            mwh: dec!(1000),
            por: None,
        };
        // 1,000 MWh × 0.428 × 1.02 = 436.56 t CO2e.
        assert_eq!(import_co2e(&u, &p).result.value, dec!(436.56));
        let s = Import::Specified {
            mwh: dec!(1000),
            ef_t_per_mwh: dec!(0.35),
            source: "verified report".into(),
        };
        assert_eq!(import_co2e(&s, &p).result.value, dec!(357));
        let no_loss = ImportParams {
            losses_on_specified: false,
            ..p
        };
        assert_eq!(import_co2e(&s, &no_loss).result.value, dec!(350));
    }
}
