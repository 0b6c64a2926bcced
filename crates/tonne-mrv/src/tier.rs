//! Part 98 subpart C tier applicability (§98.33(b)): the minimum tier for each (unit, fuel),
//! with the branch taken recorded. Follows the engine algorithm of reference/mrv.md §1.3. The
//! result is a minimum: a reporter may always use a higher tier.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The fuel need not be reported (§98.33(b)(3)(iii), via ccdsupport Q87).
    NotRequired,
    Tier1,
    Tier2,
    Tier3,
    Tier4,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotRequired => "not_required",
            Self::Tier1 => "tier1",
            Self::Tier2 => "tier2",
            Self::Tier3 => "tier3",
            Self::Tier4 => "tier4",
        }
    }
}

/// Thresholds of the rules. The Tier 4 conditions are UNVERIFIED (reference/mrv.md §1.3:
/// "confirm against §98.33(b)(4)(ii) and (iii)"), so they are parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRules {
    /// Units above this maximum rated heat input lose Tier 1 for most fuels: 250 mmBtu/hr
    /// (VERIFIED: ccdsupport Q80, Q84, Q87).
    pub large_unit_mmbtu_hr: Decimal,
    /// A fuel under this share of the unit's annual heat input may use Tier 1: 10 % (VERIFIED:
    /// ccdsupport Q88, §98.33(b)(1)(iv) and (viii)); also the Tier 3 trigger for non-Table C-1
    /// fuels (Q87).
    pub minor_fuel_share: Decimal,
    /// Tier 4: MSW units above this many tons/day (UNVERIFIED).
    pub tier4_msw_tons_per_day: Decimal,
    /// Tier 4: operating more than this many hours a year (UNVERIFIED).
    pub tier4_operating_hours: u32,
    /// Tier 2 for natural gas and distillate oil in large units (UNVERIFIED branch).
    pub tier2_for_gas_and_distillate_in_large_units: bool,
}

impl Default for TierRules {
    fn default() -> Self {
        Self {
            large_unit_mmbtu_hr: dec!(250),
            minor_fuel_share: dec!(0.10),
            tier4_msw_tons_per_day: dec!(600),
            tier4_operating_hours: 1000,
            tier2_for_gas_and_distillate_in_large_units: true,
        }
    }
}

/// What the selector needs to know about a unit and one of its fuels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierFacts {
    /// Maximum rated heat input capacity, mmBtu/hr.
    pub unit_max_heat_input_mmbtu_hr: Decimal,
    /// MSW combustion capacity, tons/day (MSW units only).
    #[serde(default)]
    pub msw_tons_per_day: Option<Decimal>,
    /// Primary fuel is solid fossil fuel or MSW.
    #[serde(default)]
    pub solid_fossil_or_msw_primary: bool,
    #[serde(default)]
    pub operating_hours: u32,
    /// Certified CO2 (or O2) and flow CEMS required by a federal or state programme or permit,
    /// with periodic QA.
    #[serde(default)]
    pub has_qualifying_cems: bool,
    /// The fuel is listed in Table C-1.
    pub fuel_in_table_c1: bool,
    /// Table C-1 biomass fuel.
    #[serde(default)]
    pub fuel_is_biomass: bool,
    /// Natural gas or distillate fuel oil.
    #[serde(default)]
    pub fuel_is_gas_or_distillate: bool,
    /// The fuel's share of the unit's annual heat input, 0–1.
    pub fuel_heat_share: Decimal,
    /// HHV is sampled (or received from the supplier) at the §98.34(a) Tier 2 frequency.
    #[serde(default)]
    pub hhv_sampled_at_tier2_frequency: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierDecision {
    pub minimum: Tier,
    /// Stable id of the branch taken, for audit.
    pub branch: &'static str,
    pub reason: String,
}

fn decide(minimum: Tier, branch: &'static str, reason: String) -> TierDecision {
    TierDecision {
        minimum,
        branch,
        reason,
    }
}

pub fn select(f: &TierFacts, r: &TierRules) -> TierDecision {
    let large = f.unit_max_heat_input_mmbtu_hr > r.large_unit_mmbtu_hr;
    let large_msw = f
        .msw_tons_per_day
        .is_some_and(|t| t > r.tier4_msw_tons_per_day);
    // 1. Tier 4 conditions (§98.33(b)(4)(ii)/(iii); UNVERIFIED, parameters above).
    if (large || large_msw)
        && f.solid_fossil_or_msw_primary
        && f.operating_hours > r.tier4_operating_hours
        && f.has_qualifying_cems
    {
        return decide(
            Tier::Tier4,
            "tier4_conditions",
            format!(
                "unit > {} mmBtu/hr (or MSW > {} tons/day) burning solid fossil fuel or MSW as primary fuel, > {} h/yr, with qualifying CEMS (§98.33(b)(4)(ii)/(iii))",
                r.large_unit_mmbtu_hr, r.tier4_msw_tons_per_day, r.tier4_operating_hours
            ),
        );
    }
    // 2. Fuels not in Table C-1 (§98.33(b)(3)(iii), ccdsupport Q87, VERIFIED).
    if !f.fuel_in_table_c1 {
        return if large && f.fuel_heat_share >= r.minor_fuel_share {
            decide(Tier::Tier3, "not_in_c1_large_unit", "fuel not in Table C-1, ≥ 10 % of heat input in a unit > 250 mmBtu/hr (§98.33(b)(3)(iii))".into())
        } else {
            decide(Tier::NotRequired, "not_in_c1_exempt", "fuel not in Table C-1 in a unit ≤ 250 mmBtu/hr, or < 10 % of its heat input (§98.33(b)(3)(iii))".into())
        };
    }
    // HHV sampled at the Tier 2 frequency rules Tier 1 out, for biomass too (Q80, Q81).
    if f.hhv_sampled_at_tier2_frequency && !large {
        return decide(Tier::Tier2, "hhv_sampled", "HHV is sampled at the §98.34(a) frequency, so Tier 2 applies (§98.33(b)(1), ccdsupport Q80/Q81)".into());
    }
    // A minor fuel may use Tier 1 under the same conditions (Q88, §98.33(b)(1)(iv), (viii)).
    if f.fuel_heat_share < r.minor_fuel_share && !f.hhv_sampled_at_tier2_frequency {
        return decide(
            Tier::Tier1,
            "minor_fuel",
            "fuel < 10 % of the unit's annual heat input (§98.33(b)(1)(iv), (viii))".into(),
        );
    }
    // 3. Large units.
    if large {
        if f.fuel_is_biomass {
            return if f.hhv_sampled_at_tier2_frequency {
                decide(Tier::Tier2, "hhv_sampled", "biomass with HHV sampled at the §98.34(a) frequency: Tier 2 in a unit of any size (ccdsupport Q81)".into())
            } else {
                decide(
                    Tier::Tier1,
                    "large_unit_biomass",
                    "Table C-1 biomass fuel: Tier 1 regardless of unit size (ccdsupport Q80)"
                        .into(),
                )
            };
        }
        if f.fuel_is_gas_or_distillate && r.tier2_for_gas_and_distillate_in_large_units {
            return decide(Tier::Tier2, "large_unit_gas_or_distillate", "natural gas or distillate oil in a unit > 250 mmBtu/hr: Tier 2 (UNVERIFIED branch, configurable)".into());
        }
        return decide(
            Tier::Tier3,
            "large_unit",
            "unit > 250 mmBtu/hr: Tier 3 (§98.33(b)(3), ccdsupport Q84)".into(),
        );
    }
    // 4./5. Small units.
    decide(Tier::Tier1, "small_unit", "Table C-1 fuel in a unit ≤ 250 mmBtu/hr without Tier 2-frequency HHV data (§98.33(b)(1), ccdsupport Q80)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(mmbtu_hr: Decimal) -> TierFacts {
        TierFacts {
            unit_max_heat_input_mmbtu_hr: mmbtu_hr,
            msw_tons_per_day: None,
            solid_fossil_or_msw_primary: false,
            operating_hours: 8000,
            has_qualifying_cems: false,
            fuel_in_table_c1: true,
            fuel_is_biomass: false,
            fuel_is_gas_or_distillate: false,
            fuel_heat_share: dec!(1),
            hhv_sampled_at_tier2_frequency: false,
        }
    }

    #[test]
    fn branches() {
        let r = TierRules::default();
        let check = |f: TierFacts, tier: Tier, branch: &str| {
            let d = select(&f, &r);
            assert_eq!((d.minimum, d.branch), (tier, branch), "{f:?}");
        };
        check(facts(dec!(100)), Tier::Tier1, "small_unit");
        check(facts(dec!(250)), Tier::Tier1, "small_unit");
        check(facts(dec!(251)), Tier::Tier3, "large_unit");
        check(
            TierFacts {
                hhv_sampled_at_tier2_frequency: true,
                ..facts(dec!(100))
            },
            Tier::Tier2,
            "hhv_sampled",
        );
        check(
            TierFacts {
                fuel_is_biomass: true,
                ..facts(dec!(400))
            },
            Tier::Tier1,
            "large_unit_biomass",
        );
        check(
            TierFacts {
                fuel_is_biomass: true,
                hhv_sampled_at_tier2_frequency: true,
                ..facts(dec!(100))
            },
            Tier::Tier2,
            "hhv_sampled",
        );
        check(
            TierFacts {
                fuel_is_biomass: true,
                hhv_sampled_at_tier2_frequency: true,
                ..facts(dec!(400))
            },
            Tier::Tier2,
            "hhv_sampled",
        );
        check(
            TierFacts {
                fuel_is_gas_or_distillate: true,
                ..facts(dec!(400))
            },
            Tier::Tier2,
            "large_unit_gas_or_distillate",
        );
        check(
            TierFacts {
                fuel_heat_share: dec!(0.05),
                ..facts(dec!(400))
            },
            Tier::Tier1,
            "minor_fuel",
        );
        check(
            TierFacts {
                fuel_in_table_c1: false,
                ..facts(dec!(400))
            },
            Tier::Tier3,
            "not_in_c1_large_unit",
        );
        check(
            TierFacts {
                fuel_in_table_c1: false,
                fuel_heat_share: dec!(0.05),
                ..facts(dec!(400))
            },
            Tier::NotRequired,
            "not_in_c1_exempt",
        );
        check(
            TierFacts {
                fuel_in_table_c1: false,
                ..facts(dec!(100))
            },
            Tier::NotRequired,
            "not_in_c1_exempt",
        );
        let t4 = TierFacts {
            solid_fossil_or_msw_primary: true,
            has_qualifying_cems: true,
            ..facts(dec!(400))
        };
        check(t4.clone(), Tier::Tier4, "tier4_conditions");
        check(
            TierFacts {
                operating_hours: 900,
                ..t4.clone()
            },
            Tier::Tier3,
            "large_unit",
        );
        check(
            TierFacts {
                unit_max_heat_input_mmbtu_hr: dec!(100),
                msw_tons_per_day: Some(dec!(700)),
                ..t4
            },
            Tier::Tier4,
            "tier4_conditions",
        );
    }
}
