//! Public market reports read from the registry state: the compliance report per entity (in the
//! manner of the WCI compliance report and the EUTL compliance status codes) and the auction
//! results with proceeds.
//!
//! Status codes (EUTL compliance status, as `tonne_market::compliance::Status`): `A` and `B` are
//! what the registry's `compliance_event` decided for an obligation. `C` ("verified emissions
//! not entered") is derived here from the state, with nothing journaled: once a jurisdiction
//! has held the compliance event of a period (an obligation of that jurisdiction and exactly
//! those years has an outcome), each of its covered and opt-in entities (REG-§95811, §95813)
//! with a compliance account but no obligation of that jurisdiction and period gets a `C` line.
//! Reports as of an earlier journal seq replay the state, so a `C` appears with the event.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tonne_core::{AccountId, EntityId, JurisdictionCode, Timestamp};
use tonne_registry::State;
use tonne_registry::command::{AccountType, EntityType};
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
    /// Still to surrender: 0 once a shortfall is replaced by an untimely obligation
    /// (REG-§95857(b)), which then carries what is owed.
    pub outstanding: u64,
    /// Offsets this obligation may take under its jurisdiction's rules, if set.
    pub offset_cap: Option<u64>,
    /// `A` fulfilled at its compliance event, `B` not (an untimely obligation follows),
    /// `open` before the event; `C` no verified emissions entered for the period when its
    /// compliance event was held (no obligation: `obligation` is empty, every quantity 0). An
    /// untimely obligation, which has no event of its own, is `met` once surrendered in full.
    pub status: String,
    /// Verified covered emissions of the reports the obligation was computed from, in whole
    /// tonnes as the registry counted them (the WCI compliance report's covered emissions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_emissions: Option<u64>,
    /// For an untimely obligation: the obligation it replaces and its least allowance share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untimely_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_allowances: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untimely_obligation: Option<String>,
    /// When the compliance event that decided the status (`A`, `B`, `C`) was held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance_event_at: Option<Timestamp>,
}

impl ObligationLine {
    /// Status `C`: `years` of `jurisdiction` had their compliance event at `at`, and the entity
    /// had no obligation for them.
    fn not_entered((first_year, last_year): (u16, u16), at: Timestamp) -> Self {
        let years = if first_year == last_year {
            first_year.to_string()
        } else {
            format!("{first_year}–{last_year}")
        };
        Self {
            obligation: String::new(),
            label: format!(
                "no verified emissions for {years} at the compliance event held at {at}"
            ),
            first_year,
            last_year,
            quantity: 0,
            surrendered: 0,
            allowances: 0,
            offsets: 0,
            reserve_and_ceiling: 0,
            outstanding: 0,
            offset_cap: None,
            status: "C".into(),
            covered_emissions: None,
            untimely_of: None,
            min_allowances: None,
            untimely_obligation: None,
            compliance_event_at: Some(at),
        }
    }
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
    /// What the entity owes in all: its obligations, less shortfalls replaced by untimely
    /// obligations (those count with the untimely obligation's quantity).
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
            None if c.untimely_of.is_some() && o.surrendered == o.quantity => "met".into(),
            None => "open".into(),
        };
        let covered_emissions = (!o.from_reports.is_empty()).then(|| {
            o.from_reports
                .iter()
                .filter_map(|r| state.verified_tonnes(r))
                .sum()
        });
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
                outstanding: match &c.outcome {
                    Some(out) if out.untimely.is_some() => 0,
                    _ => o.quantity - o.surrendered,
                },
                offset_cap,
                status,
                covered_emissions,
                untimely_of: c.untimely_of.as_ref().map(|x| x.to_string()),
                min_allowances: c.untimely_of.as_ref().map(|_| c.min_allowances),
                untimely_obligation: c
                    .outcome
                    .as_ref()
                    .and_then(|x| x.untimely.as_ref())
                    .map(|x| x.to_string()),
                compliance_event_at: c.outcome.as_ref().map(|x| x.at),
            });
    }
    for (entity, period, at) in not_entered(state, jurisdiction) {
        by_entity
            .entry(entity)
            .or_default()
            .push(ObligationLine::not_entered(period, at));
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
        let owed = obligations
            .iter()
            .map(|o| {
                let replaced = o.untimely_obligation.is_some();
                if replaced { o.surrendered } else { o.quantity }
            })
            .sum();
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

/// Status `C` lines, by entity and then jurisdiction and period: for each (jurisdiction,
/// first year, last year) whose compliance event was held — a non-untimely obligation of it has
/// an outcome; the earliest outcome is the event — every covered or opt-in entity of that
/// jurisdiction with a compliance account and no non-untimely obligation of it.
fn not_entered(
    state: &State,
    jurisdiction: Option<JurisdictionCode>,
) -> Vec<(&EntityId, (u16, u16), Timestamp)> {
    let mut events: BTreeMap<(JurisdictionCode, u16, u16), Timestamp> = BTreeMap::new();
    let mut had: BTreeSet<(&EntityId, JurisdictionCode, u16, u16)> = BTreeSet::new();
    for o in state.obligations.values() {
        if o.compliance.untimely_of.is_some() {
            continue;
        }
        had.insert((&o.entity, o.jurisdiction, o.first_year, o.last_year));
        if let Some(out) = &o.compliance.outcome {
            let at = events
                .entry((o.jurisdiction, o.first_year, o.last_year))
                .or_insert(out.at);
            *at = (*at).min(out.at);
        }
    }
    if events.is_empty() {
        return vec![];
    }
    let mut covered: Vec<(&EntityId, JurisdictionCode)> = state
        .entities
        .iter()
        .filter(|(_, e)| {
            // REG-§95811 covered and REG-§95813 opt-in entities carry compliance obligations;
            // voluntarily associated entities (REG-§95814) never do.
            matches!(e.entity_type, EntityType::Covered | EntityType::OptIn)
                && e.accounts.contains_key(&AccountType::Compliance)
                && jurisdiction.is_none_or(|j| j == e.jurisdiction)
        })
        .map(|(id, e)| (id, e.jurisdiction))
        .collect();
    covered.sort();
    let mut out = Vec::new();
    for (id, j) in covered {
        for (&(ej, first, last), &at) in events.range((j, 0, 0)..=(j, u16::MAX, u16::MAX)) {
            debug_assert_eq!(ej, j);
            if !had.contains(&(id, j, first, last)) {
                out.push((id, (first, last), at));
            }
        }
    }
    // Per entity, in the order the events were held.
    out.sort_by_key(|&(id, _, at)| (id, at));
    out
}

/// The columns of [`to_csv`], in order.
pub const CSV_COLUMNS: [&str; 17] = [
    "jurisdiction",
    "entity",
    "name",
    "obligation",
    "label",
    "first_year",
    "last_year",
    "covered_emissions",
    "quantity",
    "surrendered",
    "allowances",
    "offsets",
    "reserve_and_ceiling",
    "outstanding",
    "status",
    "compliance_event_at",
    "untimely_obligation",
];

/// The report as CSV, one row per obligation line (the shape of the public WCI compliance
/// report tables): empty cells where a value does not apply.
pub fn to_csv(r: &ComplianceReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS).expect("in memory");
    let opt = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    for e in &r.entities {
        for o in &e.obligations {
            w.write_record([
                e.jurisdiction.to_string(),
                e.entity.clone(),
                e.name.clone(),
                o.obligation.clone(),
                o.label.clone(),
                o.first_year.to_string(),
                o.last_year.to_string(),
                opt(o.covered_emissions),
                o.quantity.to_string(),
                o.surrendered.to_string(),
                o.allowances.to_string(),
                o.offsets.to_string(),
                o.reserve_and_ceiling.to_string(),
                o.outstanding.to_string(),
                o.status.clone(),
                o.compliance_event_at
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                o.untimely_obligation.clone().unwrap_or_default(),
            ])
            .expect("in memory");
        }
    }
    String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 fields")
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
            if o.status == "C" {
                out.push_str(&format!(
                    "  [C] {:<24} {}-{} {}\n",
                    "not entered", o.first_year, o.last_year, o.label
                ));
                continue;
            }
            out.push_str(&format!(
                "  [{}] {:<24} {}-{} {:>10} owed {:>10} surrendered (allowances {}, offsets {}{}, reserve/ceiling {}){}{}\n",
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
                o.covered_emissions
                    .map(|c| format!("; covered emissions {c} t"))
                    .unwrap_or_default(),
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
