//! Market operations inside the registry: each jurisdiction's compliance rules, offset project
//! attributes, consignment records, auction settlement with proceeds, reserve and price-ceiling
//! sales, and the compliance event (surrender in retirement order within the offset limits, and
//! the untimely-surrender obligation). Rules arrive as data (`set_compliance_rules`, built from a
//! jurisdiction's program rules file by tonne-market); nothing here is a program constant.

use crate::command::Price;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tonne_core::{AccountId, EntityId, InstrumentKind, JurisdictionCode, ObligationId, SeriesKey};

/// Offset usage limit of a range of data years (REG-§95854 in the California example).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetLimitRule {
    pub first_year: u16,
    pub last_year: u16,
    /// L_o in basis points of the obligation.
    pub limit_bp: u32,
    /// Sector-based credits, in basis points of L_o (REG-§95854(d)).
    pub sector_based_share_bp: u32,
    /// Credits without direct environmental benefits in the state, in basis points of L_o
    /// (REG-§95854(e)); `None` when there is no such sub-limit.
    pub non_debs_share_bp: Option<u32>,
}

/// What happens to a formerly linked jurisdiction's instruments after a delink date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelinkTreatment {
    /// They may no longer be surrendered (nor acquired); holders keep them.
    #[default]
    NotSurrenderable,
    /// Those already held may still be surrendered; no new ones may be acquired.
    Surrenderable,
}

/// A jurisdiction's compliance rules as the registry enforces them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceRules {
    pub offset_limits: Vec<OffsetLimitRule>,
    /// Kinds in the order a compliance event retires them, oldest vintage first within a kind
    /// (QC-s.21, VERIFIED; California's order UNVERIFIED — it is data).
    pub retirement_order: Vec<InstrumentKind>,
    /// Untimely obligation per instrument not surrendered on time (4 in California,
    /// REG-§95857(b)(2)).
    pub untimely_multiplier: u32,
    /// Least share of the untimely obligation to be met with allowances, basis points (7,500 in
    /// California, REG-§95857(b)(3)).
    pub untimely_allowance_share_bp: u32,
    #[serde(default)]
    pub after_delink: DelinkTreatment,
    /// Where the values come from (a rules file name and version, regulation sections).
    pub source: String,
}

impl ComplianceRules {
    /// The offset caps of an obligation of `quantity` over data years `first..=last`:
    /// (all offsets, sector-based, non-DEBS). The per-period test of REG-§95854 is applied per
    /// obligation; an obligation spanning years with different limits gets the lowest of them
    /// (never more than the rule allows; reference/cap-and-trade.md §4.3 leaves the CP5 split
    /// open). `None` when a year has no limit configured.
    pub fn offset_caps(&self, first: u16, last: u16, quantity: u64) -> Option<(u64, u64, u64)> {
        let mut worst: Option<&OffsetLimitRule> = None;
        for y in first..=last {
            let r = self
                .offset_limits
                .iter()
                .find(|o| (o.first_year..=o.last_year).contains(&y))?;
            if worst.is_none_or(|w| r.limit_bp < w.limit_bp) {
                worst = Some(r);
            }
        }
        let r = worst?;
        let cap = u128::from(quantity) * u128::from(r.limit_bp) / 10_000;
        let share = |bp: u32| (cap * u128::from(bp) / 10_000) as u64;
        Some((
            cap as u64,
            share(r.sector_based_share_bp),
            r.non_debs_share_bp.map_or(cap as u64, share),
        ))
    }

    /// Instruments owed for `excess` not surrendered on time, and the least of them that must be
    /// allowances (rounded up: "at least").
    pub fn untimely(&self, excess: u64) -> (u64, u64) {
        let owed = excess.saturating_mul(u64::from(self.untimely_multiplier));
        let min_allowances =
            (u128::from(owed) * u128::from(self.untimely_allowance_share_bp)).div_ceil(10_000);
        (owed, min_allowances as u64)
    }
}

/// Attributes of an offset project that the usage limits ask about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetProject {
    pub jurisdiction: JurisdictionCode,
    /// Sector-based (jurisdictional) credits (REG-§95854(d)).
    pub sector_based: bool,
    /// Direct environmental benefits in the state (REG-§95854(e)).
    pub direct_environmental_benefits: bool,
}

/// One block of an auction settlement: `quantity` allowances of `series` from an auction holding
/// account to a winner's holding account; `consignor` names the entity whose consigned
/// allowances these are (its proceeds go back to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuctionDelivery {
    pub from: AccountId,
    pub to: AccountId,
    pub series: SeriesKey,
    pub quantity: u64,
    #[serde(default)]
    pub consignor: Option<EntityId>,
}

/// Sold quantity and proceeds (minor units of the auction currency).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Proceeds {
    pub sold: u64,
    pub proceeds_minor: u64,
}

impl Proceeds {
    fn add(&mut self, q: u64, unit: u64) {
        self.sold += q;
        self.proceeds_minor += q * unit;
    }
}

/// A settled auction, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuctionRecord {
    pub settled_at: tonne_core::Timestamp,
    pub price: Price,
    pub sold: u64,
    /// State-owned allowances sold, per jurisdiction whose auction account they came from.
    pub jurisdictions: BTreeMap<JurisdictionCode, Proceeds>,
    /// Consigned allowances sold, per consignor (proceeds returned to it).
    pub consignors: BTreeMap<EntityId, Proceeds>,
    /// Allowances delivered per winning account.
    pub buyers: BTreeMap<AccountId, u64>,
}

/// Reserve sale (REG-§95913) or price ceiling sale (REG-§95915).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleKind {
    Reserve,
    PriceCeiling,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaleRecord {
    pub kind: SaleKind,
    pub at: tonne_core::Timestamp,
    pub from: AccountId,
    pub to: AccountId,
    pub quantity: u64,
    pub price: Price,
    pub proceeds_minor: u64,
}

/// What a compliance event found for one obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplianceOutcome {
    pub at: tonne_core::Timestamp,
    /// Instruments surrendered for the obligation by the event (earlier surrenders included).
    pub surrendered_on_time: u64,
    pub shortfall: u64,
    /// EUTL-style status: `A` fulfilled on time, `B` not.
    pub status: char,
    /// The untimely-surrender obligation created for the shortfall.
    pub untimely: Option<ObligationId>,
}

/// Per-obligation counters of the offset usage limits, and what the compliance event decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ObligationCompliance {
    pub offsets: u64,
    pub sector_based: u64,
    pub non_debs: u64,
    /// Non-allowance instruments surrendered (the untimely obligation's ≤ 1/4 test).
    pub non_allowances: u64,
    /// For an untimely obligation: the obligation whose shortfall it replaces, and the least
    /// number of allowances it must be met with (REG-§95857(b)(3)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untimely_of: Option<ObligationId>,
    pub min_allowances: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ComplianceOutcome>,
}

impl ObligationCompliance {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Recorded for each market operation so that replay proves the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketEffect {
    AuctionSettled {
        auction: String,
        sold: u64,
        proceeds_minor: u64,
    },
    Sold {
        sale: String,
        quantity: u64,
        proceeds_minor: u64,
    },
    ComplianceEvaluated {
        obligation: ObligationId,
        surrendered_on_time: u64,
        shortfall: u64,
        status: char,
    },
    ObligationComputed {
        obligation: ObligationId,
        quantity: u64,
    },
    UntimelyObligation {
        obligation: ObligationId,
        replaces: ObligationId,
        quantity: u64,
        min_allowances: u64,
    },
}

/// The registry's market records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketState {
    pub compliance_rules: BTreeMap<JurisdictionCode, ComplianceRules>,
    pub offset_projects: BTreeMap<String, OffsetProject>,
    /// Consigned allowances not yet sold: auction holding account → consignor → series → count.
    pub consigned: BTreeMap<AccountId, BTreeMap<EntityId, BTreeMap<SeriesKey, u64>>>,
    pub auctions: BTreeMap<String, AuctionRecord>,
    pub sales: BTreeMap<String, SaleRecord>,
}

impl MarketState {
    /// Consigned allowances of `series` in auction account `acct`, all consignors together.
    pub fn consigned_total(&self, acct: &AccountId, series: &SeriesKey) -> u64 {
        self.consigned.get(acct).map_or(0, |by| {
            by.values().filter_map(|s| s.get(series)).sum::<u64>()
        })
    }

    /// Takes up to `q` of `consignor`'s unsold `series` off auction account `acct`'s record,
    /// dropping emptied entries (the stored object disappears with the last one).
    pub(crate) fn take_consigned(
        &mut self,
        acct: &AccountId,
        consignor: &EntityId,
        series: &SeriesKey,
        q: u64,
    ) {
        let Some(by) = self.consigned.get_mut(acct) else {
            return;
        };
        if let Some(per) = by.get_mut(consignor) {
            if let Some(left) = per.get_mut(series) {
                *left = left.saturating_sub(q);
                if *left == 0 {
                    per.remove(series);
                }
            }
            if per.is_empty() {
                by.remove(consignor);
            }
        }
        if by.is_empty() {
            self.consigned.remove(acct);
        }
    }

    /// Whether offsets of `series` count as sector-based and as lacking direct environmental
    /// benefits. An unregistered project counts as project-based and as lacking direct
    /// environmental benefits (the stricter reading) until the regulator registers it.
    pub fn offset_class(&self, series: &SeriesKey) -> (bool, bool) {
        match series.project().and_then(|p| self.offset_projects.get(p)) {
            Some(p) => (p.sector_based, !p.direct_environmental_benefits),
            None => (false, true),
        }
    }
}

pub(crate) fn record_auction(
    rec: &mut AuctionRecord,
    d: &AuctionDelivery,
    jur: JurisdictionCode,
    unit: u64,
) {
    rec.sold += d.quantity;
    match &d.consignor {
        Some(c) => rec
            .consignors
            .entry(c.clone())
            .or_default()
            .add(d.quantity, unit),
        None => rec
            .jurisdictions
            .entry(jur)
            .or_default()
            .add(d.quantity, unit),
    }
    *rec.buyers.entry(d.to.clone()).or_default() += d.quantity;
}
