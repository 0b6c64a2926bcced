//! Compliance arithmetic over a jurisdiction's [`ProgramRules`]: the obligations a compliance
//! period's covered emissions create (annual and full-period), which instruments a surrender
//! takes in the retirement order within the offset limits and vintage eligibility, what an
//! untimely surrender owes, and an EUTL-style compliance status (reference/cap-and-trade.md
//! §4.1; EUTL codes from reference/data/eutl-transactions-sample/codes/compliance_code.csv).

use crate::allocation::Rounding;
use crate::rules::{CompliancePeriod, ProgramRules};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationKind {
    Annual,
    FullPeriod,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObligationDue {
    pub label: String,
    pub kind: ObligationKind,
    pub first_year: u16,
    pub last_year: u16,
    pub quantity: u64,
    /// Surrender deadline: the rules' deadline in the year after `last_year`.
    pub deadline: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComplianceError {
    #[error("covered emissions of data year {0} are missing")]
    MissingYear(u16),
}

fn share(quantity: u64, bp: u32, rounding: Rounding) -> u64 {
    let num = u128::from(quantity) * u128::from(bp);
    let q = match rounding {
        Rounding::Down => num / 10_000,
        Rounding::HalfUp => (num + 5_000) / 10_000,
    };
    q as u64
}

/// The obligations of `period`: for each non-final year, the annual share of its covered
/// emissions (30 % in the California example, UNVERIFIED); for the period, all covered
/// emissions less the annual obligations (wording UNVERIFIED). `covered` is whole tonnes per
/// data year, as verified.
pub fn obligations(
    rules: &ProgramRules,
    period: &CompliancePeriod,
    covered: &BTreeMap<u16, u64>,
    rounding: Rounding,
) -> Result<Vec<ObligationDue>, ComplianceError> {
    let deadline = |year: u16| format!("{}-{}", year + 1, rules.compliance.deadline.value);
    let mut out = Vec::new();
    let mut annual_total = 0u64;
    let mut total = 0u64;
    for year in period.first_year..=period.last_year {
        let c = *covered
            .get(&year)
            .ok_or(ComplianceError::MissingYear(year))?;
        total += c;
        if year < period.last_year && rules.compliance.annual_share_bp.value > 0 {
            let q = share(c, rules.compliance.annual_share_bp.value, rounding);
            annual_total += q;
            out.push(ObligationDue {
                label: format!("{} {year} annual", period.name),
                kind: ObligationKind::Annual,
                first_year: year,
                last_year: year,
                quantity: q,
                deadline: deadline(year),
            });
        }
    }
    out.push(ObligationDue {
        label: format!("{} full period", period.name),
        kind: ObligationKind::FullPeriod,
        first_year: period.first_year,
        last_year: period.last_year,
        quantity: total - annual_total,
        deadline: deadline(period.last_year),
    });
    Ok(out)
}

/// Instruments held in a compliance account, by kind (`allowance`, `offset_credit`,
/// `reserve_allowance`, `price_ceiling_unit`, `early_reduction_credit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    pub kind: String,
    pub vintage: Option<u16>,
    pub quantity: u64,
    #[serde(default)]
    pub sector_based: bool,
    /// Offsets without direct environmental benefits in the state.
    #[serde(default)]
    pub non_debs: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurrenderPlan {
    /// (index into the holdings, quantity taken), in retirement order.
    pub take: Vec<(usize, u64)>,
    pub offsets: u64,
    pub offset_cap: u64,
    pub shortfall: u64,
}

/// Chooses what a timely surrender of `due` retires: kinds in the rules' retirement order,
/// oldest vintage first (non-vintage first), allowances only up to the obligation's last year
/// (REG-§95856(b)(2), VERIFIED; reserve allowances and non-vintage instruments exempt), offsets
/// within the offset cap of the data years and its sector-based and non-DEBS sub-caps.
pub fn plan_surrender(
    rules: &ProgramRules,
    due: &ObligationDue,
    covered: &BTreeMap<u16, u64>,
    holdings: &[Holding],
) -> SurrenderPlan {
    let (mut cap, mut sector_cap, mut non_debs_cap) = (0u64, 0u64, 0u64);
    for year in due.first_year..=due.last_year {
        let c = covered.get(&year).copied().unwrap_or(0);
        if let Some((all, sector, non_debs)) = rules.offset_caps(year, c) {
            cap += all;
            sector_cap += sector;
            non_debs_cap += non_debs.unwrap_or(all);
        }
    }
    let offset_cap = cap;
    let order = &rules.compliance.retirement_order.value;
    let mut idx: Vec<usize> = (0..holdings.len())
        .filter(|&i| order.contains(&holdings[i].kind))
        .collect();
    idx.sort_by_key(|&i| {
        let h = &holdings[i];
        let rank = order.iter().position(|k| *k == h.kind).expect("filtered");
        (rank, h.vintage.unwrap_or(0), i)
    });
    let mut remaining = due.quantity;
    let (mut take, mut offsets) = (Vec::new(), 0u64);
    for i in idx {
        if remaining == 0 {
            break;
        }
        let h = &holdings[i];
        let eligible_vintage =
            h.kind == "reserve_allowance" || h.vintage.is_none_or(|v| v <= due.last_year);
        if !eligible_vintage {
            continue;
        }
        let mut q = h.quantity.min(remaining);
        if h.kind == "offset_credit" {
            q = q.min(cap);
            if h.sector_based {
                q = q.min(sector_cap);
            }
            if h.non_debs {
                q = q.min(non_debs_cap);
            }
            cap -= q;
            if h.sector_based {
                sector_cap -= q;
            }
            if h.non_debs {
                non_debs_cap -= q;
            }
            offsets += q;
        }
        if q > 0 {
            take.push((i, q));
            remaining -= q;
        }
    }
    SurrenderPlan {
        take,
        offsets,
        offset_cap,
        shortfall: remaining,
    }
}

/// EUTL-style compliance status of one obligation: `A` surrendered ≥ obligation by the
/// deadline, `B` less, `C` verified emissions not entered by the deadline, `-` no obligation.
pub fn status(emissions_entered: bool, obligation: u64, surrendered_on_time: u64) -> char {
    if !emissions_entered {
        'C'
    } else if obligation == 0 {
        '-'
    } else if surrendered_on_time >= obligation {
        'A'
    } else {
        'B'
    }
}

/// The registry's form of a jurisdiction's compliance rules (the `set_compliance_rules`
/// command), from its program rules file: offset limits, retirement order, untimely surrender.
/// Kinds the registry does not hold (early-reduction credits) are left out of the order.
pub fn registry_rules(
    rules: &ProgramRules,
    after_delink: tonne_registry::market::DelinkTreatment,
) -> tonne_registry::market::ComplianceRules {
    use tonne_core::InstrumentKind as K;
    let kind = |k: &str| match k {
        "allowance" => Some(K::Allowance),
        "offset_credit" => Some(K::OffsetCredit),
        "reserve_allowance" => Some(K::ReserveAllowance),
        "price_ceiling_unit" => Some(K::PriceCeilingUnit),
        _ => None,
    };
    let c = &rules.compliance;
    tonne_registry::market::ComplianceRules {
        offset_limits: rules
            .offset_limits
            .iter()
            .map(|o| tonne_registry::market::OffsetLimitRule {
                first_year: o.first_year,
                last_year: o.last_year,
                limit_bp: o.limit_bp,
                sector_based_share_bp: o.sector_based_share_bp,
                non_debs_share_bp: o.non_debs_share_bp,
            })
            .collect(),
        retirement_order: c
            .retirement_order
            .value
            .iter()
            .filter_map(|k| kind(k))
            .collect(),
        untimely_multiplier: c.untimely_multiplier.value,
        untimely_allowance_share_bp: c.untimely_allowance_share_bp.value,
        after_delink,
        source: format!(
            "{} program rules ({}): offset limits {}; retirement order {} ({}); untimely surrender {} ({})",
            rules.jurisdiction,
            rules.format,
            rules
                .offset_limits
                .first()
                .map_or("none", |o| o.source.as_str()),
            c.retirement_order.source,
            c.retirement_order.mark,
            c.untimely_multiplier.source,
            c.untimely_multiplier.mark
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::builtin;

    fn holding(kind: &str, vintage: Option<u16>, quantity: u64) -> Holding {
        Holding {
            kind: kind.into(),
            vintage,
            quantity,
            sector_based: false,
            non_debs: false,
        }
    }

    /// CP5 (2024–26), 1,000,000 t each year: annual 300,000 for 2024 and 2025 (30 %,
    /// UNVERIFIED share), full period 3,000,000 − 600,000 = 2,400,000, due 1 November 2027.
    #[test]
    fn cp5_obligations() {
        let ca = builtin("US-CA").unwrap();
        let cp5 = ca.period(2024).unwrap().clone();
        let covered = BTreeMap::from([(2024, 1_000_000), (2025, 1_000_000), (2026, 1_000_000)]);
        let due = obligations(&ca, &cp5, &covered, Rounding::HalfUp).unwrap();
        let q: Vec<u64> = due.iter().map(|d| d.quantity).collect();
        assert_eq!(q, [300_000, 300_000, 2_400_000]);
        assert_eq!(due[2].deadline, "2027-11-01 17:00 America/Los_Angeles");
        assert_eq!(
            obligations(&ca, &cp5, &BTreeMap::new(), Rounding::Down),
            Err(ComplianceError::MissingYear(2024))
        );
    }

    /// The full-period surrender of CP5 (covered 1,000,000 t a year): offsets capped at
    /// 40,000 + 40,000 + 60,000 = 140,000 (non-DEBS at half of it), then reserve allowances,
    /// then allowances oldest first; a 2027 vintage is not eligible.
    #[test]
    fn surrender_plan_follows_order_and_limits() {
        let ca = builtin("US-CA").unwrap();
        let covered = BTreeMap::from([(2024, 1_000_000), (2025, 1_000_000), (2026, 1_000_000)]);
        let due =
            &obligations(&ca, ca.period(2026).unwrap(), &covered, Rounding::HalfUp).unwrap()[2];
        let mut holdings = vec![
            holding("allowance", Some(2026), 1_000_000),
            holding("allowance", Some(2027), 5_000_000),
            holding("offset_credit", Some(2020), 200_000),
            holding("allowance", Some(2025), 1_000_000),
            holding("reserve_allowance", None, 100_000),
        ];
        holdings.push(Holding {
            non_debs: true,
            ..holding("offset_credit", Some(2021), 100_000)
        });
        let plan = plan_surrender(&ca, due, &covered, &holdings);
        assert_eq!(plan.offset_cap, 140_000);
        assert_eq!(plan.offsets, 140_000);
        // Offsets first (vintage 2020, then the non-DEBS 2021 lot up to what the cap leaves),
        // reserve allowances, then allowances 2025 then 2026.
        assert_eq!(
            plan.take,
            [(2, 140_000), (4, 100_000), (3, 1_000_000), (0, 1_000_000)]
        );
        assert_eq!(plan.shortfall, 160_000);
        let (owed, allowances) = ca.untimely_obligation(plan.shortfall);
        assert_eq!((owed, allowances), (640_000, 480_000));
        assert_eq!(
            status(true, due.quantity, due.quantity - plan.shortfall),
            'B'
        );
        assert_eq!(status(true, 10, 10), 'A');
        assert_eq!(status(false, 10, 10), 'C');
        assert_eq!(status(true, 0, 0), '-');
    }
}
