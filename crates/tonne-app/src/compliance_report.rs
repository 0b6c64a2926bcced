//! Public market reports read from the registry state: the compliance report per entity (in the
//! manner of the WCI compliance report and the EUTL compliance status codes) and the auction
//! results with proceeds.

use serde::Serialize;
use std::collections::BTreeMap;
use tonne_core::{AccountId, EntityId, JurisdictionCode, Timestamp};
use tonne_registry::State;
use tonne_registry::command::AccountType;
use tonne_registry::market::AuctionRecord;

#[derive(Debug, Clone, Serialize)]
pub struct ObligationLine {
    pub obligation: String,
    pub label: String,
    pub first_year: u16,
    pub last_year: u16,
    pub quantity: u64,
    pub surrendered: u64,
    pub allowances: u64,
    pub offsets: u64,
    /// Reserve allowances and price ceiling units.
    pub reserve_and_ceiling: u64,
    pub outstanding: u64,
    /// Offsets this obligation may take under its jurisdiction's rules, if set.
    pub offset_cap: Option<u64>,
    /// `A` fulfilled at its compliance event, `B` not (an untimely obligation follows),
    /// `open` before the event.
    pub status: String,
    /// For an untimely obligation: the obligation it replaces and its least allowance share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untimely_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_allowances: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untimely_obligation: Option<String>,
}

/// Instruments of a compliance account that cannot be surrendered for the entity's
/// obligations at the report time (e.g. issued by a jurisdiction delinked since).
#[derive(Debug, Clone, Serialize)]
pub struct NotSurrenderable {
    pub series: String,
    pub quantity: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntityLine {
    pub entity: String,
    pub name: String,
    pub jurisdiction: JurisdictionCode,
    pub obligations: Vec<ObligationLine>,
    pub owed: u64,
    pub surrendered: u64,
    pub outstanding: u64,
    /// Instruments in the compliance account, per series.
    pub compliance_account: BTreeMap<String, u64>,
    pub not_surrenderable: Vec<NotSurrenderable>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComplianceReport {
    pub as_of_seq: u64,
    pub as_of: Option<Timestamp>,
    pub entities: Vec<EntityLine>,
}

/// The compliance report of every entity with an obligation (of `jurisdiction`, if given).
pub fn compliance_report(
    state: &State,
    jurisdiction: Option<JurisdictionCode>,
) -> ComplianceReport {
    let Some(t) = state.last_ts else {
        // Nothing was ever applied: no obligations.
        return ComplianceReport {
            as_of_seq: state.seq,
            as_of: None,
            entities: vec![],
        };
    };
    let mut by_entity: BTreeMap<&EntityId, Vec<ObligationLine>> = BTreeMap::new();
    let mut ids: Vec<_> = state.obligations.keys().collect();
    ids.sort();
    for id in ids {
        let o = &state.obligations[id];
        if jurisdiction.is_some_and(|j| j != o.jurisdiction) {
            continue;
        }
        let c = &o.compliance;
        let rules = state.market.compliance_rules.get(&o.jurisdiction);
        let offset_cap = match (rules, &c.untimely_of) {
            (Some(r), None) => r
                .offset_caps(o.first_year, o.last_year, o.quantity)
                .map(|x| x.0),
            _ => None,
        };
        let status = match &c.outcome {
            Some(out) => out.status.to_string(),
            None => "open".into(),
        };
        by_entity
            .entry(&o.entity)
            .or_default()
            .push(ObligationLine {
                obligation: id.to_string(),
                label: o.label.clone(),
                first_year: o.first_year,
                last_year: o.last_year,
                quantity: o.quantity,
                surrendered: o.surrendered,
                allowances: o.surrendered - c.non_allowances,
                offsets: c.offsets,
                reserve_and_ceiling: c.non_allowances - c.offsets,
                outstanding: o.quantity - o.surrendered,
                offset_cap,
                status,
                untimely_of: c.untimely_of.as_ref().map(|x| x.to_string()),
                min_allowances: c.untimely_of.as_ref().map(|_| c.min_allowances),
                untimely_obligation: c
                    .outcome
                    .as_ref()
                    .and_then(|x| x.untimely.as_ref())
                    .map(|x| x.to_string()),
            });
    }
    let mut entities = Vec::new();
    for (entity, obligations) in by_entity {
        let e = &state.entities[entity];
        let account: Option<&AccountId> = e.accounts.get(&AccountType::Compliance);
        let mut compliance_account = BTreeMap::new();
        let mut not_surrenderable = Vec::new();
        if let Some(acc) = account.and_then(|a| state.accounts.get(a)) {
            for (series, set) in &acc.holdings {
                compliance_account.insert(series.to_string(), set.count());
                if !state.surrenderable(series, &e.jurisdiction, t) {
                    let delinked = state.delinked(series.jurisdiction(), &e.jurisdiction);
                    let how = if delinked {
                        "delinked from"
                    } else {
                        "not linked with"
                    };
                    not_surrenderable.push(NotSurrenderable {
                        series: series.to_string(),
                        quantity: set.count(),
                        reason: format!("{} is {how} {}", series.jurisdiction(), e.jurisdiction),
                    });
                }
            }
        }
        let owed = obligations.iter().map(|o| o.quantity).sum();
        let surrendered = obligations.iter().map(|o| o.surrendered).sum();
        entities.push(EntityLine {
            name: e.name.clone(),
            jurisdiction: e.jurisdiction,
            entity: entity.to_string(),
            outstanding: obligations.iter().map(|o| o.outstanding).sum(),
            obligations,
            owed,
            surrendered,
            compliance_account,
            not_surrenderable,
        });
    }
    ComplianceReport {
        as_of_seq: state.seq,
        as_of: state.last_ts,
        entities,
    }
}

/// Settled auctions with their proceeds, in id order.
pub fn auctions(state: &State) -> Vec<(String, AuctionRecord)> {
    state
        .market
        .auctions
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The report for people.
pub fn render(r: &ComplianceReport) -> String {
    let mut out = format!("Compliance report as of journal seq {}\n", r.as_of_seq);
    for e in &r.entities {
        out.push_str(&format!(
            "\n{} {} ({}): owed {}, surrendered {}, outstanding {}\n",
            e.entity, e.name, e.jurisdiction, e.owed, e.surrendered, e.outstanding
        ));
        for o in &e.obligations {
            out.push_str(&format!(
                "  [{}] {:<24} {}-{} {:>10} owed {:>10} surrendered (allowances {}, offsets {}{}, reserve/ceiling {}){}\n",
                o.status,
                o.label,
                o.first_year,
                o.last_year,
                o.quantity,
                o.surrendered,
                o.allowances,
                o.offsets,
                o.offset_cap.map(|c| format!(" of at most {c}")).unwrap_or_default(),
                o.reserve_and_ceiling,
                o.untimely_obligation
                    .as_ref()
                    .map(|u| format!(" → untimely obligation {u}"))
                    .unwrap_or_default()
            ));
        }
        for n in &e.not_surrenderable {
            out.push_str(&format!(
                "  not surrenderable: {} × {} ({})\n",
                n.quantity, n.series, n.reason
            ));
        }
    }
    out
}
