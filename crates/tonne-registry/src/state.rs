//! The registry's state and the one primitive that moves serials. Everything else reads it or
//! goes through [`State::move_range`], which keeps holdings, escrow, terminal states and the
//! holding-limit counters in step.

use crate::command::{AccountType, EntityType, Price, RepRole, TransactionType, UserRole};
use crate::effect::Loc;
use crate::rules::RegistryRules;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tonne_core::{
    AccountId, Calendar, EntityId, GroupId, InstrumentKind, JurisdictionCode, ObligationId,
    RangeSet, SerialRange, SeriesKey, Timestamp, TransferId, UserId,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Jurisdiction {
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub holidays: Vec<String>,
    /// Annual allowance budgets by year.
    pub budgets: BTreeMap<u16, u64>,
    #[serde(skip)]
    pub calendar: Calendar,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub a: JurisdictionCode,
    pub b: JurisdictionCode,
    pub effective: Timestamp,
    pub until: Option<Timestamp>,
}

impl Link {
    /// Whether this link joins `a` and `b`, in either order.
    pub fn joins(&self, a: &JurisdictionCode, b: &JurisdictionCode) -> bool {
        (&self.a == a && &self.b == b) || (&self.a == b && &self.b == a)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: UserRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub jurisdiction: JurisdictionCode,
    pub name: String,
    pub entity_type: EntityType,
    pub group: GroupId,
    pub accounts: BTreeMap<AccountType, AccountId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Open,
    Frozen,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub entity: EntityId,
    pub account_type: AccountType,
    pub status: AccountStatus,
    pub status_reason: String,
    pub representatives: BTreeMap<UserId, RepRole>,
    /// Trusted account list: destination -> instant the entry becomes active.
    pub trusted: BTreeMap<AccountId, Timestamp>,
    #[serde(skip)]
    pub holdings: BTreeMap<SeriesKey, RangeSet>,
    /// The corporate group whose holding limit counts this account, and whether it is a
    /// compliance account; derived from the entity, cached because every move asks.
    #[serde(skip)]
    pub(crate) limit_group: Option<(GroupId, bool)>,
    /// The entity's jurisdiction (an entity never changes jurisdiction), cached for the same
    /// reason.
    #[serde(skip)]
    pub(crate) jurisdiction: JurisdictionCode,
}

impl Account {
    /// Primary and alternate representatives may act; viewing agents may not.
    pub fn can_act(&self, user: &UserId) -> bool {
        matches!(
            self.representatives.get(user),
            Some(RepRole::Primary | RepRole::Alternate)
        )
    }
    pub fn acting_representatives(&self) -> usize {
        self.representatives
            .values()
            .filter(|r| **r != RepRole::ViewingAgent)
            .count()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TransferState {
    Proposed,
    Confirmed,
    Delayed { until: Timestamp },
    Executed,
    Cancelled,
    Declined,
    Expired,
    Denied { code: u16 },
}

impl TransferState {
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Proposed | Self::Confirmed | Self::Delayed { .. }
        )
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Confirmed => "confirmed",
            Self::Delayed { .. } => "delayed",
            Self::Executed => "executed",
            Self::Cancelled => "cancelled",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Denied { .. } => "denied",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub from: AccountId,
    pub to: AccountId,
    pub quantity: u64,
    pub transaction_type: TransactionType,
    pub price: Option<Price>,
    pub settlement_date: Option<String>,
    pub proposer: UserId,
    pub confirmer: Option<UserId>,
    pub proposed_at: Timestamp,
    pub confirm_by: Timestamp,
    pub accept_by: Timestamp,
    pub needs_acceptance: bool,
    pub status: TransferState,
    /// Serials reserved for this transfer while it is open.
    #[serde(skip)]
    pub escrow: BTreeMap<SeriesKey, RangeSet>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub entity: EntityId,
    pub jurisdiction: JurisdictionCode,
    pub label: String,
    pub first_year: u16,
    pub last_year: u16,
    pub quantity: u64,
    pub surrendered: u64,
    /// Verified reports the quantity was computed from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from_reports: Vec<String>,
    /// Offset-limit counters, untimely-surrender terms and the compliance event's outcome.
    #[serde(skip_serializing_if = "crate::market::ObligationCompliance::is_default")]
    pub compliance: crate::market::ObligationCompliance,
}

/// Per corporate group: allowances by vintage in counted holding / compliance accounts, and the
/// cumulative obligations and surrenders that make up the limited exemption.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupTotals {
    pub vintages: BTreeMap<u16, (u64, u64)>,
    pub obligations: u64,
    pub surrendered: u64,
}

impl GroupTotals {
    /// Limited exemption (QC-s.32 para 3, VERIFIED): cumulative obligations less instruments
    /// surrendered.
    pub fn exemption(&self) -> u64 {
        self.obligations.saturating_sub(self.surrendered)
    }
}

/// Which journal entries a regulator may reverse: a fingerprint per seq (dense, as nearly every
/// entry of a busy registry is a transfer) and the set already reversed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reversible {
    /// `fingerprints[seq - 1]`; 0 = not reversible.
    fingerprints: Vec<u64>,
    reversed: BTreeSet<u64>,
}

impl Reversible {
    pub(crate) fn mark(&mut self, seq: u64, fingerprint: u64) {
        let i = usize::try_from(seq - 1).expect("seq fits memory");
        if self.fingerprints.len() <= i {
            self.fingerprints.resize(i + 1, 0);
        }
        // 0 means "not reversible", so a fingerprint of 0 is stored as 1.
        self.fingerprints[i] = fingerprint.max(1);
    }
    /// The fingerprint of `seq` and whether it was reversed, if it is reversible.
    pub fn get(&self, seq: u64) -> Option<(u64, bool)> {
        let fp = *self
            .fingerprints
            .get(usize::try_from(seq.checked_sub(1)?).ok()?)?;
        (fp != 0).then(|| (fp, self.reversed.contains(&seq)))
    }
    pub(crate) fn set_reversed(&mut self, seq: u64) {
        self.reversed.insert(seq);
    }
}

/// Keys of stored objects, for change tracking and export.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjKey {
    Meta,
    Jurisdiction(JurisdictionCode),
    Link(usize),
    User(UserId),
    Entity(EntityId),
    Account(AccountId),
    Transfer(TransferId),
    Obligation(ObligationId),
    Series(SeriesKey),
    VerificationBody(String),
    Verifier(String),
    EmissionsReport(String),
    ComplianceRules(JurisdictionCode),
    OffsetProject(String),
    Consignment(AccountId),
    Auction(String),
    Sale(String),
    Peer(String),
    CrossTransfer(TransferId),
    Imported(SeriesKey),
}

/// What changed since tracking last started: object keys, and the (series, location) pairs whose
/// serial sets moved. A writer stores each such set once per batch, however many moves touched
/// it (TigerBeetle-style coalescing).
#[derive(Debug, Default, Clone)]
pub struct Changes {
    pub objects: BTreeSet<ObjKey>,
    pub holdings: rustc_hash::FxHashSet<(SeriesKey, Loc)>,
}

#[derive(Debug, Clone, Default)]
pub struct State {
    pub name: Option<String>,
    pub admin: Option<UserId>,
    pub rules: RegistryRules,
    /// Accepted commands so far; the next journal entry gets `seq + 1`.
    pub seq: u64,
    pub last_ts: Option<Timestamp>,
    pub jurisdictions: BTreeMap<JurisdictionCode, Jurisdiction>,
    pub links: Vec<Link>,
    pub users: FxHashMap<UserId, User>,
    pub entities: FxHashMap<EntityId, Entity>,
    pub accounts: FxHashMap<AccountId, Account>,
    /// Serials issued so far per series (serials 1..=issued exist).
    pub series: BTreeMap<SeriesKey, u64>,
    /// Boxed: a transfer is a few hundred bytes, and growing the table would otherwise move
    /// every one of them (a busy registry proposes hundreds of thousands).
    pub transfers: FxHashMap<TransferId, Box<Transfer>>,
    pub open_transfers: BTreeSet<TransferId>,
    pub obligations: FxHashMap<ObligationId, Obligation>,
    pub retired: BTreeMap<SeriesKey, RangeSet>,
    pub cancelled: BTreeMap<SeriesKey, RangeSet>,
    pub invalidated: BTreeMap<SeriesKey, RangeSet>,
    pub groups: FxHashMap<GroupId, GroupTotals>,
    /// Fingerprint of each reversible entry's command and moves, and whether it was reversed.
    pub reversible: Reversible,
    /// MRV third-party verification: bodies, verifiers, submitted reports and statements.
    pub verification: tonne_mrv::verification::workflow::VerificationState,
    /// Compliance rules, offset projects, consignments, auctions and sales.
    pub market: crate::market::MarketState,
    /// Linkage with sovereign peer registries: peers, cross-registry transfers, serials held
    /// abroad and serials imported.
    pub cross: crate::cross::CrossState,
    pub(crate) changes: Option<Changes>,
}

impl State {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes room for `additional` more journal entries' bookkeeping (a replay that knows how
    /// many entries follow saves the repeated growth).
    pub fn reserve_entries(&mut self, additional: usize) {
        self.reversible.fingerprints.reserve(additional);
    }

    /// Start recording changed objects and holdings (for a writer that stores net differences).
    pub fn track_changes(&mut self) {
        self.changes = Some(Changes::default());
    }
    /// The changes recorded since the last call; tracking continues.
    pub fn take_changes(&mut self) -> Changes {
        self.changes.replace(Changes::default()).unwrap_or_default()
    }
    pub(crate) fn touch(&mut self, key: ObjKey) {
        if let Some(c) = &mut self.changes {
            c.objects.insert(key);
        }
    }

    /// The serial set at a location, if any serials of the series are there.
    pub fn set_at(&self, series: &SeriesKey, loc: &Loc) -> Option<&RangeSet> {
        match loc {
            Loc::Unissued => None,
            Loc::Account(a) => self.accounts.get(a)?.holdings.get(series),
            Loc::Escrow(t) => self.transfers.get(t)?.escrow.get(series),
            Loc::Retired => self.retired.get(series),
            Loc::Cancelled => self.cancelled.get(series),
            Loc::Invalidated => self.invalidated.get(series),
            Loc::Outbound(t) => self.cross.transfers.get(t)?.escrow.get(series),
            Loc::Peer(p) => self.cross.peer_held.get(p)?.get(series),
        }
    }

    fn set_map_mut(&mut self, loc: &Loc) -> &mut BTreeMap<SeriesKey, RangeSet> {
        match loc {
            Loc::Unissued => unreachable!("unissued serials have no set"),
            Loc::Account(a) => &mut self.accounts.get_mut(a).expect("checked account").holdings,
            Loc::Escrow(t) => &mut self.transfers.get_mut(t).expect("checked transfer").escrow,
            Loc::Retired => &mut self.retired,
            Loc::Cancelled => &mut self.cancelled,
            Loc::Invalidated => &mut self.invalidated,
            Loc::Outbound(t) => {
                &mut self
                    .cross
                    .transfers
                    .get_mut(t)
                    .expect("checked transfer")
                    .escrow
            }
            Loc::Peer(p) => self.cross.peer_held.entry(p.clone()).or_default(),
        }
    }

    /// The account that holds serials at `loc` (escrowed serials still belong to the sender).
    pub fn owner<'a>(&'a self, loc: &'a Loc) -> Option<&'a AccountId> {
        owner_of(&self.transfers, &self.cross, loc)
    }

    /// The corporate group whose holding limit counts allowances in `account`, if any.
    pub fn counted_group(&self, account: &AccountId) -> Option<(&GroupId, bool)> {
        counted_group_in(&self.accounts, account)
    }

    /// Recomputes the cached holding-limit group of every account of `entity`.
    pub(crate) fn refresh_limit_groups(&mut self, entity: &EntityId) {
        let Some(ent) = self.entities.get(entity) else {
            return;
        };
        for id in ent.accounts.values() {
            let acc = self.accounts.get_mut(id).expect("entity accounts exist");
            acc.limit_group = (ent.entity_type.holding_limit_applies()
                && acc.account_type.counts_for_holding_limit())
            .then(|| {
                (
                    ent.group.clone(),
                    acc.account_type == AccountType::Compliance,
                )
            });
        }
    }

    /// Moves serials that the caller has checked are at `from`. A failure here is a bug.
    pub(crate) fn move_range(
        &mut self,
        series: &SeriesKey,
        range: SerialRange,
        from: &Loc,
        to: &Loc,
    ) {
        self.move_ranges(series, &[range], from, to);
    }

    /// Moves many ranges of one series between the same two places, updating the holding-limit
    /// counters once for all of them.
    pub(crate) fn move_ranges(
        &mut self,
        series: &SeriesKey,
        ranges: &[SerialRange],
        from: &Loc,
        to: &Loc,
    ) {
        let total: u64 = ranges.iter().map(|r| r.len()).sum();
        self.count_allowances(series, total, from, false);
        self.move_serials(series, ranges, from, to);
        self.count_allowances(series, total, to, true);
    }

    /// The serial sets and change tracking of a move (each set is looked up once for all the
    /// ranges); counters are the callers' business.
    fn move_serials(&mut self, series: &SeriesKey, ranges: &[SerialRange], from: &Loc, to: &Loc) {
        debug_assert_ne!(from, to);
        if ranges.is_empty() {
            return;
        }
        if let Some(c) = &mut self.changes {
            for loc in [from, to] {
                if *loc != Loc::Unissued && !c.holdings.contains(&(series.clone(), loc.clone())) {
                    c.holdings.insert((series.clone(), loc.clone()));
                }
            }
        }
        if *from == Loc::Unissued {
            let issued = self.series.entry(series.clone()).or_insert(0);
            for range in ranges {
                assert_eq!(range.start(), *issued + 1, "issuance continues the series");
                *issued = range.end();
            }
            self.touch(ObjKey::Series(series.clone()));
        } else {
            let map = self.set_map_mut(from);
            let set = map.get_mut(series).expect("checked: serials present");
            set.remove_all(ranges).expect("checked: serials present");
            if set.is_empty() {
                map.remove(series);
            }
        }
        let map = self.set_map_mut(to);
        let set = match map.get_mut(series) {
            Some(set) => set,
            None => map.entry(series.clone()).or_default(),
        };
        set.insert_all(ranges)
            .expect("a serial is in one place only");
    }

    /// Places serials arriving from a peer registry that this registry has never held (a
    /// foreign series' first import) at `to`; the caller has recorded them as imported.
    pub(crate) fn import_serials(&mut self, series: &SeriesKey, range: SerialRange, to: &Loc) {
        if let Some(c) = &mut self.changes {
            c.holdings.insert((series.clone(), to.clone()));
        }
        self.set_map_mut(to)
            .entry(series.clone())
            .or_default()
            .insert(range)
            .expect("checked: new serials");
        self.count_allowances(series, range.len(), to, true);
    }

    fn count_allowances(&mut self, series: &SeriesKey, qty: u64, loc: &Loc, add: bool) {
        if series.kind() != InstrumentKind::Allowance {
            return;
        }
        let vintage = series.vintage().expect("allowances have vintages");
        // `owner` and `counted_group` on the fields, so the group id can stay borrowed from
        // its account while the group totals are updated.
        let Some((group, compliance)) = owner_of(&self.transfers, &self.cross, loc)
            .and_then(|o| counted_group_in(&self.accounts, o))
        else {
            return;
        };
        // Looked up before inserting: the group nearly always exists, and `entry` would
        // clone its id on every move.
        let totals = match self.groups.get_mut(group) {
            Some(t) => t,
            None => {
                let group = group.clone();
                self.groups.entry(group).or_default()
            }
        };
        let slot = totals.vintages.entry(vintage).or_default();
        let field = if compliance { &mut slot.1 } else { &mut slot.0 };
        if add {
            *field += qty;
        } else {
            *field = field
                .checked_sub(qty)
                .expect("group totals never go negative");
        }
    }

    /// Rebuilds every group's allowance counts from holdings (after a change of corporate
    /// association). Obligation totals are rebuilt too.
    pub(crate) fn recount_groups(&mut self) {
        fn add(g: &mut GroupTotals, compliance: bool, sets: &BTreeMap<SeriesKey, RangeSet>) {
            for (series, set) in sets {
                if let (InstrumentKind::Allowance, Some(v)) = (series.kind(), series.vintage()) {
                    let slot = g.vintages.entry(v).or_default();
                    let field = if compliance { &mut slot.1 } else { &mut slot.0 };
                    *field += set.count();
                }
            }
        }
        let mut groups: FxHashMap<GroupId, GroupTotals> = FxHashMap::default();
        for (id, acc) in &self.accounts {
            if let Some((group, compliance)) = self.counted_group(id) {
                add(
                    groups.entry(group.clone()).or_default(),
                    compliance,
                    &acc.holdings,
                );
            }
        }
        // Escrowed serials still count for the sender.
        for t in self
            .open_transfers
            .iter()
            .filter_map(|t| self.transfers.get(t))
        {
            if let Some((group, compliance)) = self.counted_group(&t.from) {
                add(
                    groups.entry(group.clone()).or_default(),
                    compliance,
                    &t.escrow,
                );
            }
        }
        for o in self.obligations.values() {
            if let Some(e) = self.entities.get(&o.entity) {
                let g = groups.entry(e.group.clone()).or_default();
                g.obligations += o.quantity;
                g.surrendered += o.surrendered;
            }
        }
        self.groups = groups;
    }

    /// Whether instruments issued by `a` may be held or surrendered in `b` at `t`.
    pub fn linked(&self, a: &JurisdictionCode, b: &JurisdictionCode, t: Timestamp) -> bool {
        a == b
            || self
                .links
                .iter()
                .any(|l| l.joins(a, b) && l.effective <= t && l.until.is_none_or(|u| t < u))
    }

    /// Whether `a` and `b` were linked and a delink has ended it.
    pub fn delinked(&self, a: &JurisdictionCode, b: &JurisdictionCode) -> bool {
        self.links
            .iter()
            .any(|l| l.joins(a, b) && l.until.is_some())
    }

    /// The jurisdiction an account belongs to (its entity's).
    pub fn account_jurisdiction(&self, account: &AccountId) -> Option<&JurisdictionCode> {
        self.accounts.get(account).map(|a| &a.jurisdiction)
    }

    /// Total serials held by an account per series, escrowed ones included.
    pub fn balances(&self, account: &AccountId) -> BTreeMap<SeriesKey, (u64, u64)> {
        let mut out: BTreeMap<SeriesKey, (u64, u64)> = BTreeMap::new();
        if let Some(acc) = self.accounts.get(account) {
            for (s, set) in &acc.holdings {
                out.entry(s.clone()).or_default().0 += set.count();
            }
        }
        for t in self
            .open_transfers
            .iter()
            .filter_map(|t| self.transfers.get(t))
        {
            if &t.from == account {
                for (s, set) in &t.escrow {
                    out.entry(s.clone()).or_default().1 += set.count();
                }
            }
        }
        out
    }
}

/// The account whose holdings include serials at `loc`, if any.
fn owner_of<'a>(
    transfers: &'a FxHashMap<TransferId, Box<Transfer>>,
    cross: &'a crate::cross::CrossState,
    loc: &'a Loc,
) -> Option<&'a AccountId> {
    match loc {
        Loc::Account(a) => Some(a),
        Loc::Escrow(t) => transfers.get(t).map(|t| &t.from),
        // Serials on their way to a peer still count for the sending account.
        Loc::Outbound(t) => cross.transfers.get(t).map(|t| &t.account),
        _ => None,
    }
}

/// [`State::counted_group`] on the accounts alone.
fn counted_group_in<'a>(
    accounts: &'a FxHashMap<AccountId, Account>,
    account: &AccountId,
) -> Option<(&'a GroupId, bool)> {
    let (g, c) = accounts.get(account)?.limit_group.as_ref()?;
    Some((g, *c))
}
