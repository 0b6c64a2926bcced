//! Linkage of two sovereign registries: a cross-registry transfer is two-phase. The sending
//! registry reserves the serials (`cross_send`: pending), the receiving registry checks and
//! records the incoming transfer (`cross_receive`: pending), then both post (`cross_accept` on
//! the receiver, `cross_post` on the sender) — or both void (`cross_void`) on a rejection or a
//! timeout. Serials sent abroad sit at `peer:<id>` in the sender's state, so each registry's
//! conservation still holds; serials of a foreign series are recorded as imported when they first
//! arrive. The message exchange is tonne-app's `link` module; these commands are what each side
//! journals.

use crate::apply::{Resolved, text};
use crate::command::{Command, Envelope, UserRole};
use crate::effect::{Effect, Loc};
use crate::rejection::{Code, Rejection, reject};
use crate::state::{ObjKey, State};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tonne_core::limits::MAX_ID_LEN;
use tonne_core::{
    AccountId, JurisdictionCode, RangeSet, SerialRange, SeriesKey, Timestamp, TransferId,
};

/// A peer registry and the jurisdictions it hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peer {
    pub name: String,
    pub jurisdictions: Vec<JurisdictionCode>,
    /// Annual allowance budgets of the peer's jurisdictions, as the peer publishes them: linked
    /// jurisdictions' budgets add up to the holding limit (REG-§95920, QC-s.32).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub budgets: BTreeMap<JurisdictionCode, BTreeMap<u16, u64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outbound,
    Inbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrossStatus {
    Pending,
    Posted,
    Voided,
}

/// Serials of one series in a cross-registry transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossMove {
    pub series: SeriesKey,
    pub ranges: Vec<SerialRange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrossTransfer {
    pub direction: Direction,
    pub peer: String,
    /// The account of this registry (sender or receiver).
    pub account: AccountId,
    /// The account at the peer.
    pub remote_account: String,
    pub moves: Vec<CrossMove>,
    pub quantity: u64,
    pub status: CrossStatus,
    pub created_at: tonne_core::Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<tonne_core::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Outbound serials reserved while pending.
    #[serde(skip)]
    pub escrow: BTreeMap<SeriesKey, RangeSet>,
}

impl CrossTransfer {
    fn pending(
        direction: Direction,
        peer: String,
        account: AccountId,
        remote_account: String,
        moves: Vec<CrossMove>,
        quantity: u64,
        at: tonne_core::Timestamp,
    ) -> Self {
        Self {
            direction,
            peer,
            account,
            remote_account,
            moves,
            quantity,
            status: CrossStatus::Pending,
            created_at: at,
            closed_at: None,
            reason: None,
            escrow: BTreeMap::new(),
        }
    }

    /// The serials of the transfer, as the state machine moves them.
    pub(crate) fn resolved(&self) -> Resolved {
        self.moves
            .iter()
            .map(|m| (m.series.clone(), m.ranges.clone()))
            .collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrossState {
    pub peers: BTreeMap<String, Peer>,
    pub transfers: BTreeMap<TransferId, CrossTransfer>,
    /// Serials held in each peer registry (sent there and not come back).
    pub peer_held: BTreeMap<String, BTreeMap<SeriesKey, RangeSet>>,
    /// Serials of series not issued here that arrived from peers.
    pub imported: BTreeMap<SeriesKey, RangeSet>,
}

impl CrossState {
    /// The peer hosting `j`, if any.
    pub fn host_of(&self, j: &JurisdictionCode) -> Option<&str> {
        self.peers
            .iter()
            .find(|(_, p)| p.jurisdictions.contains(j))
            .map(|(id, _)| id.as_str())
    }
}

fn peer_id(s: &str) -> Result<(), Rejection> {
    if s.is_empty()
        || s.len() > MAX_ID_LEN
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return reject(
            Code::InvalidField,
            format!("peer id must be 1-{MAX_ID_LEN} letters, digits, '-', '_' or '.'"),
        );
    }
    Ok(())
}

fn moves_of(resolved: &Resolved) -> Vec<CrossMove> {
    resolved
        .iter()
        .map(|(s, rs)| CrossMove {
            series: s.clone(),
            ranges: rs.clone(),
        })
        .collect()
}

fn status_effect(t: &TransferId, s: &str) -> Effect {
    Effect::TransferStatus {
        transfer: t.clone(),
        status: format!("cross_{s}"),
    }
}

impl State {
    fn require_link_agent(&self, actor: &tonne_core::UserId) -> Result<(), Rejection> {
        match self.users.get(actor).map(|u| &u.role) {
            Some(UserRole::Admin | UserRole::System) => Ok(()),
            _ => reject(
                Code::NotAuthorized,
                format!("{actor} is not the registry's link agent (administrator or system user)"),
            ),
        }
    }

    /// `set_budget` for a jurisdiction a peer registry hosts: recorded by the link agent from
    /// the peer's published budget, for the combined holding limit.
    pub(crate) fn set_peer_budget(
        &mut self,
        actor: &tonne_core::UserId,
        peer: &str,
        jurisdiction: &JurisdictionCode,
        year: u16,
        allowances: u64,
    ) -> Result<Vec<Effect>, Rejection> {
        self.require_link_agent(actor)?;
        crate::apply::vintage(year)?;
        crate::apply::quantity("allowances", allowances)?;
        let p = self
            .cross
            .peers
            .get_mut(peer)
            .expect("the host of a jurisdiction");
        p.budgets
            .entry(*jurisdiction)
            .or_default()
            .insert(year, allowances);
        self.touch(ObjKey::Peer(peer.to_owned()));
        Ok(vec![])
    }

    /// Budgets of `year` of the peer-hosted jurisdictions linked with `jur` at `t`, as far as
    /// they are recorded.
    pub(crate) fn peer_budgets(&self, jur: &JurisdictionCode, year: u16, t: Timestamp) -> u64 {
        self.cross
            .peers
            .values()
            .flat_map(|p| &p.budgets)
            .filter(|(j, _)| !self.jurisdictions.contains_key(j) && self.linked(j, jur, t))
            .filter_map(|(_, by_year)| by_year.get(&year))
            .sum()
    }

    fn cross_transfer(&self, t: &TransferId) -> Result<&CrossTransfer, Rejection> {
        self.cross.transfers.get(t).ok_or_else(|| {
            Rejection::new(
                Code::UnknownTransfer,
                format!("no cross-registry transfer {t}"),
            )
        })
    }

    fn pending(&self, t: &TransferId, dir: Direction) -> Result<&CrossTransfer, Rejection> {
        let x = self.cross_transfer(t)?;
        if x.direction != dir {
            return reject(
                Code::InvalidField,
                format!("cross-registry transfer {t} is {:?} here", x.direction),
            );
        }
        if x.status != CrossStatus::Pending {
            return reject(
                Code::TransferNotPending,
                format!("cross-registry transfer {t} is {:?}", x.status),
            );
        }
        Ok(x)
    }

    pub(crate) fn cross_command(
        &mut self,
        env: &Envelope,
        cmd: &Command,
    ) -> Result<Vec<Effect>, Rejection> {
        let actor = &env.actor;
        match cmd {
            Command::AddPeer {
                peer,
                name,
                jurisdictions,
            } => {
                self.require_admin(actor)?;
                peer_id(peer)?;
                text("name", name)?;
                if jurisdictions.is_empty() || jurisdictions.len() > 64 {
                    return reject(Code::InvalidField, "a peer hosts 1-64 jurisdictions");
                }
                for j in jurisdictions {
                    if self.jurisdictions.contains_key(j) {
                        return reject(
                            Code::InvalidField,
                            format!("{j} is hosted here, not by peer {peer}"),
                        );
                    }
                    if let Some(other) = self.cross.host_of(j)
                        && other != peer
                    {
                        return reject(
                            Code::DuplicateId,
                            format!("{j} is already hosted by peer {other}"),
                        );
                    }
                }
                // Re-adding a peer renames it or changes what it hosts; budgets of jurisdictions
                // it still hosts are kept.
                let mut budgets = self
                    .cross
                    .peers
                    .remove(peer)
                    .map(|p| p.budgets)
                    .unwrap_or_default();
                budgets.retain(|j, _| jurisdictions.contains(j));
                self.cross.peers.insert(
                    peer.clone(),
                    Peer {
                        name: name.clone(),
                        jurisdictions: jurisdictions.clone(),
                        budgets,
                    },
                );
                self.touch(ObjKey::Peer(peer.clone()));
                Ok(vec![])
            }
            Command::CrossSend {
                transfer,
                from,
                peer,
                to,
                legs,
            } => {
                self.require_rep(actor, from)?;
                self.require_open(from)?;
                let p = self.cross.peers.get(peer).ok_or_else(|| {
                    Rejection::new(Code::InvalidField, format!("no peer registry {peer}"))
                })?;
                text("to", to)?;
                if self.cross.transfers.contains_key(transfer)
                    || self.transfers.contains_key(transfer)
                {
                    return reject(
                        Code::DuplicateId,
                        format!("transfer {transfer} already exists"),
                    );
                }
                let acc = self.account(from)?;
                if !acc.account_type.counts_for_holding_limit()
                    || acc.account_type == crate::command::AccountType::Compliance
                {
                    return reject(
                        Code::AccountTypeNotEligible,
                        "cross-registry transfers leave from a holding account",
                    );
                }
                let resolved = self.resolve(&Loc::Account(from.clone()), legs)?;
                // The peer's jurisdictions must be linked with every instrument's.
                for (series, _) in &resolved {
                    let ok = p
                        .jurisdictions
                        .iter()
                        .any(|pj| self.linked(series.jurisdiction(), pj, env.ts));
                    if !ok {
                        return reject(
                            Code::NotLinked,
                            format!(
                                "{series} cannot go to peer {peer}: no jurisdiction it hosts is linked with {}",
                                series.jurisdiction()
                            ),
                        );
                    }
                }
                let quantity = crate::apply::total(&resolved);
                self.cross.transfers.insert(
                    transfer.clone(),
                    CrossTransfer::pending(
                        Direction::Outbound,
                        peer.clone(),
                        from.clone(),
                        to.clone(),
                        moves_of(&resolved),
                        quantity,
                        env.ts,
                    ),
                );
                self.touch(ObjKey::CrossTransfer(transfer.clone()));
                let moves = self.move_all(
                    &resolved,
                    &Loc::Account(from.clone()),
                    &Loc::Outbound(transfer.clone()),
                );
                let mut effects: Vec<Effect> = moves.into_iter().map(Effect::Moved).collect();
                effects.push(status_effect(transfer, "pending"));
                Ok(effects)
            }
            Command::CrossPost { transfer } => {
                self.require_link_agent(actor)?;
                let x = self.pending(transfer, Direction::Outbound)?;
                let peer = x.peer.clone();
                let resolved = x.resolved();
                let moves = self.move_all(
                    &resolved,
                    &Loc::Outbound(transfer.clone()),
                    &Loc::Peer(peer),
                );
                self.close_cross(transfer, CrossStatus::Posted, env.ts, None);
                let mut effects: Vec<Effect> = moves.into_iter().map(Effect::Moved).collect();
                effects.push(status_effect(transfer, "posted"));
                Ok(effects)
            }
            Command::CrossVoid { transfer, reason } => {
                self.require_link_agent(actor)?;
                text("reason", reason)?;
                let x = self.cross_transfer(transfer)?;
                if x.status != CrossStatus::Pending {
                    return reject(
                        Code::TransferNotPending,
                        format!("cross-registry transfer {transfer} is {:?}", x.status),
                    );
                }
                let mut effects = Vec::new();
                if x.direction == Direction::Outbound {
                    let account = x.account.clone();
                    let resolved = x.resolved();
                    let moves = self.move_all(
                        &resolved,
                        &Loc::Outbound(transfer.clone()),
                        &Loc::Account(account),
                    );
                    effects.extend(moves.into_iter().map(Effect::Moved));
                }
                self.close_cross(transfer, CrossStatus::Voided, env.ts, Some(reason.clone()));
                effects.push(status_effect(transfer, "voided"));
                Ok(effects)
            }
            Command::CrossReceive {
                transfer,
                peer,
                from,
                to,
                moves,
            } => {
                self.require_link_agent(actor)?;
                if !self.cross.peers.contains_key(peer) {
                    return reject(Code::InvalidField, format!("no peer registry {peer}"));
                }
                text("from", from)?;
                if self.cross.transfers.contains_key(transfer)
                    || self.transfers.contains_key(transfer)
                {
                    return reject(
                        Code::DuplicateId,
                        format!("transfer {transfer} already exists"),
                    );
                }
                let resolved = self.check_incoming(peer, moves)?;
                let acc = self.account(to)?;
                if acc.account_type != crate::command::AccountType::Holding {
                    return reject(
                        Code::AccountTypeNotEligible,
                        "cross-registry transfers arrive in a holding account",
                    );
                }
                // Every acquisition check but the source's: the source is abroad. A peer's
                // issuance account stands in for it in the eligibility rules.
                self.require_open(to)?;
                let to_jur = *self.jurisdiction_of(to)?;
                for (series, _) in &resolved {
                    if !self.linked(series.jurisdiction(), &to_jur, env.ts) {
                        return reject(
                            Code::NotLinked,
                            format!("{series} cannot be held in {to_jur} account {to}"),
                        );
                    }
                }
                self.check_holding_limit_from_abroad(to, &resolved, env.ts)?;
                let quantity = crate::apply::total(&resolved);
                self.cross.transfers.insert(
                    transfer.clone(),
                    CrossTransfer::pending(
                        Direction::Inbound,
                        peer.clone(),
                        to.clone(),
                        from.clone(),
                        moves.clone(),
                        quantity,
                        env.ts,
                    ),
                );
                self.touch(ObjKey::CrossTransfer(transfer.clone()));
                Ok(vec![status_effect(transfer, "pending")])
            }
            Command::CrossAccept { transfer } => {
                self.require_link_agent(actor)?;
                let x = self.pending(transfer, Direction::Inbound)?.clone();
                // Re-check what may have changed since the receive (the account, the limit).
                let resolved = self.check_incoming(&x.peer, &x.moves)?;
                self.require_open(&x.account)?;
                self.check_holding_limit_from_abroad(&x.account, &resolved, env.ts)?;
                let to = Loc::Account(x.account.clone());
                let mut effects = Vec::new();
                for (series, ranges) in &resolved {
                    for r in ranges {
                        let abroad = self
                            .cross
                            .peer_held
                            .get(&x.peer)
                            .and_then(|m| m.get(series))
                            .is_some_and(|set| set.contains(*r));
                        let from = Loc::Peer(x.peer.clone());
                        if abroad {
                            // move_serials drops the peer's set once it is empty.
                            self.move_range(series, *r, &from, &to);
                        } else {
                            self.cross
                                .imported
                                .entry(series.clone())
                                .or_default()
                                .insert(*r)
                                .expect("checked: new serials");
                            self.touch(ObjKey::Imported(series.clone()));
                            if !self.series.contains_key(series) {
                                // A foreign series becomes known here: 0 issued, the rest
                                // imported.
                                self.series.insert(series.clone(), 0);
                                self.touch(ObjKey::Series(series.clone()));
                            }
                            self.import_serials(series, *r, &to);
                        }
                        effects.push(Effect::Moved(crate::effect::Move {
                            series: series.clone(),
                            range: *r,
                            from,
                            to: to.clone(),
                        }));
                    }
                }
                self.close_cross(transfer, CrossStatus::Posted, env.ts, None);
                effects.push(status_effect(transfer, "posted"));
                Ok(effects)
            }
            _ => unreachable!("only cross-registry commands are routed here"),
        }
    }

    /// Serials arriving from `peer` are either ones this registry sent there (own or
    /// re-exported) or serials of a series issued abroad that it has never held.
    fn check_incoming(&self, peer: &str, moves: &[CrossMove]) -> Result<Resolved, Rejection> {
        if moves.is_empty() || moves.len() > tonne_core::limits::MAX_LEGS {
            return reject(
                Code::InvalidField,
                "a cross-registry transfer names 1-64 series",
            );
        }
        let mut out: Resolved = Vec::new();
        for (i, m) in moves.iter().enumerate() {
            if m.ranges.is_empty() || m.ranges.len() > tonne_core::limits::MAX_RANGES_PER_LEG {
                return reject(
                    Code::InvalidField,
                    format!(
                        "moves[{i}]: 1-{} ranges",
                        tonne_core::limits::MAX_RANGES_PER_LEG
                    ),
                );
            }
            if out.iter().any(|(s, _)| *s == m.series) {
                return reject(
                    Code::InvalidField,
                    format!("moves[{i}]: series {} appears twice", m.series),
                );
            }
            let hosted_here = self.jurisdictions.contains_key(m.series.jurisdiction());
            let abroad = self
                .cross
                .peer_held
                .get(peer)
                .and_then(|x| x.get(&m.series));
            let imported = self.cross.imported.get(&m.series);
            let mut seen = RangeSet::new();
            for r in &m.ranges {
                if seen.insert(*r).is_err() {
                    return reject(
                        Code::InvalidField,
                        format!("moves[{i}]: range {r} overlaps another range"),
                    );
                }
                let ours_abroad = abroad.is_some_and(|s| s.contains(*r));
                let new_foreign = !hosted_here
                    && imported.is_none_or(|s| s.is_disjoint(*r))
                    && self
                        .set_at(&m.series, &Loc::Peer(peer.to_owned()))
                        .is_none_or(|s| s.is_disjoint(*r));
                if !(ours_abroad || new_foreign) {
                    return reject(
                        Code::SerialsNotHeld,
                        format!(
                            "moves[{i}]: serials {}/{r} are not held by peer {peer} as far as this registry knows",
                            m.series
                        ),
                    );
                }
                if !hosted_here
                    && !ours_abroad
                    && self.cross.host_of(m.series.jurisdiction()).is_none()
                {
                    return reject(
                        Code::UnknownJurisdiction,
                        format!(
                            "moves[{i}]: {} is hosted neither here nor by a known peer",
                            m.series.jurisdiction()
                        ),
                    );
                }
            }
            out.push((m.series.clone(), m.ranges.clone()));
        }
        Ok(out)
    }

    fn check_holding_limit_from_abroad(
        &self,
        to: &AccountId,
        resolved: &Resolved,
        t: tonne_core::Timestamp,
    ) -> Result<(), Rejection> {
        // The source is abroad: no group of this registry gives anything up.
        self.check_holding_limit(None, to, resolved, t)
    }

    fn close_cross(
        &mut self,
        t: &TransferId,
        status: CrossStatus,
        at: tonne_core::Timestamp,
        reason: Option<String>,
    ) {
        let x = self.cross.transfers.get_mut(t).expect("checked");
        debug_assert!(x.escrow.values().all(|s| s.is_empty()));
        x.escrow.clear();
        x.status = status;
        x.closed_at = Some(at);
        x.reason = reason;
        self.touch(ObjKey::CrossTransfer(t.clone()));
    }
}
