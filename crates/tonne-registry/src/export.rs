//! The state as rows, the shape the stores keep it in: one row per serial range wherever it is,
//! and one JSON document per object. `verify` compares these with what is stored.

use crate::effect::Loc;
use crate::state::{Changes, ObjKey, State};
use serde_json::json;
use tonne_core::{RangeSet, SeriesKey};

/// The serials of one series at one location: their count and their ranges in the text form of
/// [`RangeSet::to_text`] (e.g. `1-5,9,11-20`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HoldingRow {
    pub series: String,
    pub location: String,
    pub serials: u64,
    pub ranges: String,
}

/// One serial range at one location: the flat view tools and tests read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RangeRow {
    pub series: String,
    pub start: u64,
    pub end: u64,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectRow {
    pub kind: String,
    pub id: String,
    pub body: String,
}

/// Row changes since tracking started: holdings rows to delete by (series, location) and to
/// upsert; objects likewise.
#[derive(Debug, Default, Clone)]
pub struct RowDelta {
    pub holdings_delete: Vec<(String, String)>,
    pub holdings_upsert: Vec<HoldingRow>,
    pub objects_delete: Vec<(String, String)>,
    pub objects_upsert: Vec<ObjectRow>,
}

fn holding_row(series: &SeriesKey, loc: &Loc, set: &RangeSet) -> HoldingRow {
    HoldingRow {
        series: series.to_string(),
        location: loc.to_string(),
        serials: set.count(),
        ranges: set.to_text(),
    }
}

impl State {
    /// Every non-empty serial set with its location: accounts, escrow of open transfers, and
    /// the terminal states. The one enumeration export and verification share.
    pub fn serial_sets(&self) -> Vec<(&SeriesKey, Loc, &RangeSet)> {
        let mut out = Vec::new();
        for (id, acc) in &self.accounts {
            out.extend(
                acc.holdings
                    .iter()
                    .map(|(s, set)| (s, Loc::Account(id.clone()), set)),
            );
        }
        for id in &self.open_transfers {
            let escrow = &self.transfers[id].escrow;
            out.extend(
                escrow
                    .iter()
                    .map(|(s, set)| (s, Loc::Escrow(id.clone()), set)),
            );
        }
        for (id, t) in &self.cross.transfers {
            out.extend(
                t.escrow
                    .iter()
                    .map(|(s, set)| (s, Loc::Outbound(id.clone()), set)),
            );
        }
        for (peer, sets) in &self.cross.peer_held {
            out.extend(
                sets.iter()
                    .map(|(s, set)| (s, Loc::Peer(peer.clone()), set)),
            );
        }
        for (map, loc) in [
            (&self.retired, Loc::Retired),
            (&self.cancelled, Loc::Cancelled),
            (&self.invalidated, Loc::Invalidated),
        ] {
            out.extend(map.iter().map(|(s, set)| (s, loc.clone(), set)));
        }
        out.retain(|(_, _, set)| !set.is_empty());
        out
    }

    /// One row per (series, location) holding serials, sorted by (series, location).
    pub fn holding_rows(&self) -> Vec<HoldingRow> {
        let mut out: Vec<HoldingRow> = self
            .serial_sets()
            .into_iter()
            .map(|(s, loc, set)| holding_row(s, &loc, set))
            .collect();
        out.sort();
        out
    }

    /// Every serial range of every location, sorted by (series, start).
    pub fn range_rows(&self) -> Vec<RangeRow> {
        let mut out: Vec<RangeRow> = self
            .holding_rows()
            .into_iter()
            .flat_map(|h| {
                let set = RangeSet::parse_text(&h.ranges).expect("exported text parses");
                set.iter()
                    .map(|r| RangeRow {
                        series: h.series.clone(),
                        start: r.start(),
                        end: r.end(),
                        location: h.location.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort();
        out
    }

    /// Number of stored serial ranges in accounts (a measure of fragmentation).
    pub fn range_count(&self) -> u64 {
        self.accounts
            .values()
            .flat_map(|a| a.holdings.values())
            .map(|s| s.range_count() as u64)
            .sum()
    }

    pub fn object_keys(&self) -> Vec<ObjKey> {
        let mut keys = vec![ObjKey::Meta];
        keys.extend(self.jurisdictions.keys().cloned().map(ObjKey::Jurisdiction));
        keys.extend((0..self.links.len()).map(ObjKey::Link));
        keys.extend(self.users.keys().cloned().map(ObjKey::User));
        keys.extend(self.entities.keys().cloned().map(ObjKey::Entity));
        keys.extend(self.accounts.keys().cloned().map(ObjKey::Account));
        keys.extend(self.transfers.keys().cloned().map(ObjKey::Transfer));
        keys.extend(self.obligations.keys().cloned().map(ObjKey::Obligation));
        keys.extend(self.series.keys().cloned().map(ObjKey::Series));
        let v = &self.verification;
        keys.extend(v.bodies.keys().cloned().map(ObjKey::VerificationBody));
        keys.extend(v.verifiers.keys().cloned().map(ObjKey::Verifier));
        keys.extend(v.reports.keys().cloned().map(ObjKey::EmissionsReport));
        let m = &self.market;
        keys.extend(
            m.compliance_rules
                .keys()
                .cloned()
                .map(ObjKey::ComplianceRules),
        );
        keys.extend(m.offset_projects.keys().cloned().map(ObjKey::OffsetProject));
        keys.extend(m.consigned.keys().cloned().map(ObjKey::Consignment));
        keys.extend(m.auctions.keys().cloned().map(ObjKey::Auction));
        keys.extend(m.sales.keys().cloned().map(ObjKey::Sale));
        keys.extend(self.cross.peers.keys().cloned().map(ObjKey::Peer));
        keys.extend(
            self.cross
                .transfers
                .keys()
                .cloned()
                .map(ObjKey::CrossTransfer),
        );
        keys.extend(self.cross.imported.keys().cloned().map(ObjKey::Imported));
        keys
    }

    /// The stored form of one object; `None` if it no longer exists.
    pub fn object_row(&self, key: &ObjKey) -> Option<ObjectRow> {
        fn to<T: serde::Serialize>(v: &T) -> serde_json::Value {
            serde_json::to_value(v).expect("state objects serialise")
        }
        let body = match key {
            // An empty registry (no genesis yet) has no meta row: nothing was ever stored.
            ObjKey::Meta if self.admin.is_none() => return None,
            ObjKey::Meta => {
                json!({"name": self.name, "admin": self.admin, "rules": self.rules, "verification_rules": self.verification.rules, "seq": self.seq, "last_ts": self.last_ts})
            }
            ObjKey::Jurisdiction(c) => to(self.jurisdictions.get(c)?),
            ObjKey::Link(i) => to(self.links.get(*i)?),
            ObjKey::User(u) => to(self.users.get(u)?),
            ObjKey::Entity(e) => to(self.entities.get(e)?),
            ObjKey::Account(a) => to(self.accounts.get(a)?),
            ObjKey::Transfer(t) => to(self.transfers.get(t)?),
            ObjKey::Obligation(o) => to(self.obligations.get(o)?),
            ObjKey::Series(s) => json!({"issued": self.series.get(s)?}),
            ObjKey::VerificationBody(b) => to(self.verification.bodies.get(b)?),
            ObjKey::Verifier(v) => to(self.verification.verifiers.get(v)?),
            ObjKey::EmissionsReport(r) => to(self.verification.reports.get(r)?),
            ObjKey::ComplianceRules(j) => to(self.market.compliance_rules.get(j)?),
            ObjKey::OffsetProject(p) => to(self.market.offset_projects.get(p)?),
            ObjKey::Consignment(a) => {
                // Series keys are structs, so the JSON keys are their text form.
                let by = self.market.consigned.get(a)?;
                json!(
                    by.iter()
                        .map(|(c, s)| (
                            c.to_string(),
                            s.iter()
                                .map(|(k, q)| (k.to_string(), *q))
                                .collect::<std::collections::BTreeMap<_, _>>()
                        ))
                        .collect::<std::collections::BTreeMap<_, _>>()
                )
            }
            ObjKey::Auction(a) => to(self.market.auctions.get(a)?),
            ObjKey::Sale(s) => to(self.market.sales.get(s)?),
            ObjKey::Peer(p) => to(self.cross.peers.get(p)?),
            ObjKey::CrossTransfer(t) => to(self.cross.transfers.get(t)?),
            ObjKey::Imported(s) => json!({"ranges": self.cross.imported.get(s)?.to_text()}),
        };
        let (kind, id) = obj_id(key);
        Some(ObjectRow {
            kind,
            id,
            body: body.to_string(),
        })
    }

    pub fn object_rows(&self) -> Vec<ObjectRow> {
        let mut rows: Vec<ObjectRow> = self
            .object_keys()
            .iter()
            .filter_map(|k| self.object_row(k))
            .collect();
        rows.sort();
        rows
    }

    /// Rows to write for the changes recorded since tracking started.
    pub fn row_delta(&self, changes: &Changes) -> RowDelta {
        let mut d = RowDelta::default();
        for (series, loc) in &changes.holdings {
            match self.set_at(series, loc).filter(|set| !set.is_empty()) {
                Some(set) => d.holdings_upsert.push(holding_row(series, loc, set)),
                None => d
                    .holdings_delete
                    .push((series.to_string(), loc.to_string())),
            }
        }
        // Sorted so stores touch their B-trees in order.
        d.holdings_upsert.sort_unstable();
        d.holdings_delete.sort_unstable();
        for key in &changes.objects {
            match self.object_row(key) {
                Some(r) => d.objects_upsert.push(r),
                None => d.objects_delete.push(obj_id(key)),
            }
        }
        d
    }
}

fn obj_id(key: &ObjKey) -> (String, String) {
    match key {
        ObjKey::Meta => ("meta".into(), "registry".into()),
        ObjKey::Jurisdiction(c) => ("jurisdiction".into(), c.to_string()),
        ObjKey::Link(i) => ("link".into(), i.to_string()),
        ObjKey::User(u) => ("user".into(), u.to_string()),
        ObjKey::Entity(e) => ("entity".into(), e.to_string()),
        ObjKey::Account(a) => ("account".into(), a.to_string()),
        ObjKey::Transfer(t) => ("transfer".into(), t.to_string()),
        ObjKey::Obligation(o) => ("obligation".into(), o.to_string()),
        ObjKey::Series(s) => ("series".into(), s.to_string()),
        ObjKey::VerificationBody(b) => ("verification_body".into(), b.clone()),
        ObjKey::Verifier(v) => ("verifier".into(), v.clone()),
        ObjKey::EmissionsReport(r) => ("emissions_report".into(), r.clone()),
        ObjKey::ComplianceRules(j) => ("compliance_rules".into(), j.to_string()),
        ObjKey::OffsetProject(p) => ("offset_project".into(), p.clone()),
        ObjKey::Consignment(a) => ("consignment".into(), a.to_string()),
        ObjKey::Auction(a) => ("auction".into(), a.clone()),
        ObjKey::Sale(s) => ("sale".into(), s.clone()),
        ObjKey::Peer(p) => ("peer".into(), p.clone()),
        ObjKey::CrossTransfer(t) => ("cross_transfer".into(), t.to_string()),
        ObjKey::Imported(s) => ("imported".into(), s.to_string()),
    }
}
