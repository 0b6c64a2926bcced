//! A jurisdiction's cap-and-trade rules as data (docs/market.md, "Programme rules"): annual
//! budgets, the published auction reserve prices, price-containment tiers and ceiling, purchase
//! limits, offset usage limits, compliance periods and the untimely-surrender rule. Every value
//! carries its verification mark and source; published tables are stored, never recomputed
//! (reference/README.md rule 4). California and Québec ship as examples in `data/`.

use crate::currency::{ExchangeRate, Rounding};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tonne_registry::holding_limit::holding_limit;

/// A value with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced<T> {
    pub value: T,
    /// VERIFIED, VERIFIED-SECONDARY, DERIVED or UNVERIFIED.
    pub mark: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTiers {
    /// Cents.
    pub tier1_cents: u64,
    pub tier2_cents: u64,
    pub ceiling_cents: u64,
    pub mark: String,
    pub source: String,
}

/// Shares of the allowances offered in an auction, basis points, by bidder category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseLimits {
    pub covered_bp: u32,
    pub other_bp: u32,
    pub advance_bp: u32,
    /// Electrical distribution utilities' own share where a rule set has one (California
    /// 2012–2014: 40 %, VERIFIED-SECONDARY, reference/cap-and-trade.md §1.3); absent: they are
    /// covered entities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electrical_distribution_utility_bp: Option<u32>,
    pub mark: String,
    pub source: String,
}

/// Offset usage limit for data years `first_year..=last_year`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetLimit {
    pub first_year: u16,
    pub last_year: u16,
    /// L_o, basis points of covered emissions.
    pub limit_bp: u32,
    /// Sector-based credits, basis points of L_o.
    pub sector_based_share_bp: u32,
    /// Credits without direct environmental benefits in the state, basis points of L_o
    /// (`None`: no such sub-limit).
    pub non_debs_share_bp: Option<u32>,
    pub mark: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompliancePeriod {
    pub name: String,
    pub first_year: u16,
    pub last_year: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compliance {
    pub periods: Vec<CompliancePeriod>,
    /// Share of a non-final year's covered emissions due annually, basis points.
    pub annual_share_bp: Sourced<u32>,
    /// Surrender deadline: month, day, local time `HH:MM` in the jurisdiction's time zone.
    pub deadline: Sourced<String>,
    /// Untimely surrender: this many instruments per missing one.
    pub untimely_multiplier: Sourced<u32>,
    /// Least share of the untimely obligation in allowances, basis points.
    pub untimely_allowance_share_bp: Sourced<u32>,
    /// Retirement order at surrender, instrument kinds first to last.
    pub retirement_order: Sourced<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramRules {
    pub format: String,
    /// ISO 3166-2.
    pub jurisdiction: String,
    pub name: String,
    pub currency: String,
    /// Annual allowance budgets by year.
    pub budgets: BTreeMap<u16, Sourced<u64>>,
    /// Published auction reserve prices by year, cents of `currency`.
    pub reserve_prices: BTreeMap<u16, Sourced<u64>>,
    #[serde(default)]
    pub price_tiers: BTreeMap<u16, PriceTiers>,
    pub purchase_limits: PurchaseLimits,
    pub offset_limits: Vec<OffsetLimit>,
    pub compliance: Compliance,
    /// Holding-limit share for budgets ≤ 25 M, basis points (UNVERIFIED rule).
    pub small_budget_limit_bp: Sourced<u32>,
}

pub const FORMAT: &str = "tonne-program-rules/1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RulesError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> RulesError {
    RulesError {
        path: path.into(),
        message: message.into(),
    }
}

const MARKS: [&str; 4] = ["VERIFIED", "VERIFIED-SECONDARY", "DERIVED", "UNVERIFIED"];

fn check_mark(path: &str, mark: &str, source: &str) -> Result<(), RulesError> {
    let base = mark.split(" / ").next().unwrap_or("");
    if !MARKS.iter().any(|m| base.starts_with(m)) {
        return Err(err(
            format!("{path}.mark"),
            format!("{mark:?} is not a verification mark"),
        ));
    }
    if source.trim().is_empty() {
        return Err(err(
            format!("{path}.source"),
            "every value cites its source",
        ));
    }
    Ok(())
}

fn bp(path: &str, v: u32) -> Result<(), RulesError> {
    if v > 10_000 {
        return Err(err(path, format!("{v} basis points is more than 100 %")));
    }
    Ok(())
}

impl ProgramRules {
    /// Parses and validates a rules file, naming the field of the first problem.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let r: Self = serde_path_to_error::deserialize(de)
            .map_err(|e| err(e.path().to_string(), e.inner().to_string()))?;
        r.validate()?;
        Ok(r)
    }

    pub fn validate(&self) -> Result<(), RulesError> {
        if self.format != FORMAT {
            return Err(err(
                "format",
                format!("{:?} is not {FORMAT:?}", self.format),
            ));
        }
        for (y, b) in &self.budgets {
            check_mark(&format!("budgets.{y}"), &b.mark, &b.source)?;
            if b.value == 0 {
                return Err(err(format!("budgets.{y}.value"), "a budget is positive"));
            }
        }
        for (y, p) in &self.reserve_prices {
            check_mark(&format!("reserve_prices.{y}"), &p.mark, &p.source)?;
        }
        for (y, t) in &self.price_tiers {
            check_mark(&format!("price_tiers.{y}"), &t.mark, &t.source)?;
            if !(t.tier1_cents <= t.tier2_cents && t.tier2_cents <= t.ceiling_cents) {
                return Err(err(
                    format!("price_tiers.{y}"),
                    "tier 1 ≤ tier 2 ≤ price ceiling",
                ));
            }
        }
        let pl = &self.purchase_limits;
        check_mark("purchase_limits", &pl.mark, &pl.source)?;
        for (n, v) in [
            ("covered_bp", pl.covered_bp),
            ("other_bp", pl.other_bp),
            ("advance_bp", pl.advance_bp),
            (
                "electrical_distribution_utility_bp",
                pl.electrical_distribution_utility_bp.unwrap_or(0),
            ),
        ] {
            bp(&format!("purchase_limits.{n}"), v)?;
        }
        let mut last: Option<u16> = None;
        for (i, o) in self.offset_limits.iter().enumerate() {
            let path = format!("offset_limits[{i}]");
            check_mark(&path, &o.mark, &o.source)?;
            if o.first_year > o.last_year || last.is_some_and(|l| o.first_year <= l) {
                return Err(err(path, "years must be in order and not overlap"));
            }
            last = Some(o.last_year);
            bp(&format!("{path}.limit_bp"), o.limit_bp)?;
            bp(
                &format!("{path}.sector_based_share_bp"),
                o.sector_based_share_bp,
            )?;
            if let Some(v) = o.non_debs_share_bp {
                bp(&format!("{path}.non_debs_share_bp"), v)?;
            }
        }
        let c = &self.compliance;
        let mut last: Option<u16> = None;
        for (i, p) in c.periods.iter().enumerate() {
            if p.first_year > p.last_year || last.is_some_and(|l| p.first_year <= l) {
                return Err(err(
                    format!("compliance.periods[{i}]"),
                    "periods must be in order and not overlap",
                ));
            }
            last = Some(p.last_year);
        }
        for (n, m, s) in [
            (
                "annual_share_bp",
                &c.annual_share_bp.mark,
                &c.annual_share_bp.source,
            ),
            ("deadline", &c.deadline.mark, &c.deadline.source),
            (
                "untimely_multiplier",
                &c.untimely_multiplier.mark,
                &c.untimely_multiplier.source,
            ),
            (
                "untimely_allowance_share_bp",
                &c.untimely_allowance_share_bp.mark,
                &c.untimely_allowance_share_bp.source,
            ),
            (
                "retirement_order",
                &c.retirement_order.mark,
                &c.retirement_order.source,
            ),
        ] {
            check_mark(&format!("compliance.{n}"), m, s)?;
        }
        bp("compliance.annual_share_bp.value", c.annual_share_bp.value)?;
        bp(
            "compliance.untimely_allowance_share_bp.value",
            c.untimely_allowance_share_bp.value,
        )?;
        bp(
            "small_budget_limit_bp.value",
            self.small_budget_limit_bp.value,
        )?;
        check_mark(
            "small_budget_limit_bp",
            &self.small_budget_limit_bp.mark,
            &self.small_budget_limit_bp.source,
        )?;
        Ok(())
    }

    /// The published reserve price of `year`, cents.
    pub fn reserve_price(&self, year: u16) -> Option<u64> {
        self.reserve_prices.get(&year).map(|p| p.value)
    }

    /// The compliance period containing data year `year`.
    pub fn period(&self, year: u16) -> Option<&CompliancePeriod> {
        self.compliance
            .periods
            .iter()
            .find(|p| (p.first_year..=p.last_year).contains(&year))
    }

    /// Holding limit for a combined budget (the linked jurisdictions' budgets added).
    pub fn holding_limit(&self, combined_budget: u64) -> u64 {
        holding_limit(combined_budget, self.small_budget_limit_bp.value)
    }

    /// Offset caps for `covered_t` of covered emissions attributed to data year `year`:
    /// (all offsets, sector-based, non-DEBS), each rounded down to whole instruments.
    pub fn offset_caps(&self, year: u16, covered_t: u64) -> Option<(u64, u64, Option<u64>)> {
        let o = self
            .offset_limits
            .iter()
            .find(|o| (o.first_year..=o.last_year).contains(&year))?;
        let cap = u128::from(covered_t) * u128::from(o.limit_bp) / 10_000;
        let share = |bp: u32| (cap * u128::from(bp) / 10_000) as u64;
        Some((
            cap as u64,
            share(o.sector_based_share_bp),
            o.non_debs_share_bp.map(share),
        ))
    }

    /// Untimely surrender (REG-§95857(b) in the California example): the instruments owed for
    /// `excess` not surrendered on time, and the least of them that must be allowances.
    pub fn untimely_obligation(&self, excess: u64) -> (u64, u64) {
        let total = excess.saturating_mul(u64::from(self.compliance.untimely_multiplier.value));
        let bp = u128::from(self.compliance.untimely_allowance_share_bp.value);
        // "At least" a share: round up.
        let allowances = (u128::from(total) * bp).div_ceil(10_000) as u64;
        (total, allowances)
    }
}

/// The joint auction reserve price, USD cents: the higher of the partners' minimums, a CAD
/// minimum converted at the auction exchange rate (reference/cap-and-trade.md §1.1, VERIFIED).
/// The auction exchange rate is given as CAD per USD × 10^6 (e.g. 1.3654 → 1_365_400); the
/// conversion rounds half up to the cent (rounding direction UNVERIFIED: callers that need
/// another direction use [`joint_reserve_price_cents_rounded`]).
pub fn joint_reserve_price_cents(usd_cents: u64, cad_cents: u64, cad_per_usd_micro: u64) -> u64 {
    joint_reserve_price_cents_rounded(usd_cents, cad_cents, cad_per_usd_micro, Rounding::HalfUp)
}

/// [`joint_reserve_price_cents`] with the CAD → USD rounding as a parameter (UNVERIFIED
/// direction, reference/cap-and-trade.md §1.1 CURRENCY).
pub fn joint_reserve_price_cents_rounded(
    usd_cents: u64,
    cad_cents: u64,
    cad_per_usd_micro: u64,
    rounding: Rounding,
) -> u64 {
    let rate = ExchangeRate::from_micro(cad_per_usd_micro).expect("an exchange rate is positive");
    usd_cents.max(rate.cad_to_usd_cents(cad_cents, rounding))
}

/// The shipped example rules.
pub fn builtin(jurisdiction: &str) -> Option<ProgramRules> {
    let text = match jurisdiction {
        "US-CA" => include_str!("../data/us-ca.json"),
        "CA-QC" => include_str!("../data/ca-qc.json"),
        _ => return None,
    };
    Some(ProgramRules::parse(text).unwrap_or_else(|e| panic!("shipped rules {jurisdiction}: {e}")))
}
