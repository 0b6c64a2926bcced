//! Handlers of the market commands (see [`crate::market`]). As everywhere in the state machine,
//! each checks everything before it mutates anything.

use crate::apply::{Resolved, Via, quantity, text, total, vintage};
use crate::command::{AccountType, Command, EntityType, Envelope, Leg, Price, UserRole};
use crate::effect::{Effect, Loc};
use crate::market::{
    AuctionDelivery, AuctionRecord, ComplianceOutcome, ComplianceRules, MarketEffect,
    OffsetProject, SaleKind, SaleRecord,
};
use crate::rejection::{Code, Rejection, reject};
use crate::state::{ObjKey, Obligation, State};
use std::collections::{BTreeMap, VecDeque};
use tonne_core::limits::{MAX_ID_LEN, MAX_LEGS};
use tonne_core::{
    AccountId, EntityId, InstrumentKind, JurisdictionCode, ObligationId, SerialRange, SeriesKey,
    Timestamp,
};

/// Most deliveries one settlement names (one per winner, source and series).
pub const MAX_DELIVERIES: usize = 65_536;

fn id_text(field: &str, s: &str) -> Result<(), Rejection> {
    if s.is_empty() || s.len() > MAX_ID_LEN || s.chars().any(|c| c.is_control() || c == ' ') {
        return reject(
            Code::InvalidField,
            format!("{field} must be 1-{MAX_ID_LEN} characters without spaces"),
        );
    }
    Ok(())
}

fn price(p: &Price) -> Result<(), Rejection> {
    if p.currency.len() != 3 || !p.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return reject(
            Code::InvalidField,
            format!("price.currency {:?} is not an ISO 4217 code", p.currency),
        );
    }
    // An input bound against typing errors (1,000,000.00 per instrument), not a market rule.
    if p.unit_price_minor == 0 || p.unit_price_minor > 100_000_000 {
        return reject(
            Code::InvalidField,
            "price.unit_price_minor must be 1..=100,000,000",
        );
    }
    Ok(())
}

/// The first `q` serials of `ranges` (in order), removed from it.
fn carve(ranges: &mut VecDeque<SerialRange>, mut q: u64) -> Vec<SerialRange> {
    let mut out = Vec::new();
    while q > 0 {
        let r = ranges
            .pop_front()
            .expect("the pool holds what was resolved");
        if r.len() <= q {
            out.push(r);
            q -= r.len();
        } else {
            out.push(SerialRange::new(r.start(), r.start() + q - 1).expect("inside r"));
            ranges.push_front(SerialRange::new(r.start() + q, r.end()).expect("inside r"));
            q = 0;
        }
    }
    out
}

fn push_resolved(into: &mut Resolved, series: &SeriesKey, ranges: Vec<SerialRange>) {
    match into.iter_mut().find(|(s, _)| s == series) {
        Some((_, rs)) => rs.extend(ranges),
        None => into.push((series.clone(), ranges)),
    }
}

impl State {
    pub(crate) fn market_command(
        &mut self,
        env: &Envelope,
        cmd: &Command,
    ) -> Result<Vec<Effect>, Rejection> {
        let actor = &env.actor;
        match cmd {
            Command::SetComplianceRules {
                jurisdiction,
                rules,
            } => {
                self.jurisdiction_known(jurisdiction)?;
                self.require_regulator(actor, jurisdiction)?;
                check_compliance_rules(rules)?;
                self.market
                    .compliance_rules
                    .insert(*jurisdiction, rules.clone());
                self.touch(ObjKey::ComplianceRules(*jurisdiction));
                Ok(vec![])
            }
            Command::RegisterOffsetProject {
                project,
                jurisdiction,
                sector_based,
                direct_environmental_benefits,
            } => {
                id_text("project", project)?;
                self.jurisdiction_known(jurisdiction)?;
                self.require_regulator(actor, jurisdiction)?;
                if let Some(p) = self.market.offset_projects.get(project)
                    && p.jurisdiction != *jurisdiction
                {
                    return reject(
                        Code::NotAuthorized,
                        format!("project {project} is registered by {}", p.jurisdiction),
                    );
                }
                self.market.offset_projects.insert(
                    project.clone(),
                    OffsetProject {
                        jurisdiction: *jurisdiction,
                        sector_based: *sector_based,
                        direct_environmental_benefits: *direct_environmental_benefits,
                    },
                );
                self.touch(ObjKey::OffsetProject(project.clone()));
                Ok(vec![])
            }
            Command::SettleAuction {
                auction,
                price,
                deliveries,
            } => self.settle_auction(env, auction, price, deliveries),
            Command::Sale {
                sale,
                kind,
                price,
                from,
                to,
                legs,
            } => self.sale(env, sale, *kind, price, from, to, legs),
            Command::ComplianceEvent {
                jurisdiction,
                obligations,
            } => self.compliance_event(env, jurisdiction, obligations),
            Command::RecordObligationFromReports {
                obligation,
                entity,
                jurisdiction,
                label,
                first_year,
                last_year,
                from_reports,
                share_bp,
                less,
            } => {
                let spec = crate::apply::ObligationSpec {
                    obligation,
                    entity,
                    jurisdiction,
                    label,
                    first_year: *first_year,
                    last_year: *last_year,
                    from_reports,
                };
                let q = self.record_obligation(
                    actor,
                    &spec,
                    crate::apply::Basis::Share {
                        share_bp: *share_bp,
                        less,
                    },
                )?;
                Ok(vec![Effect::Market(MarketEffect::ObligationComputed {
                    obligation: obligation.clone(),
                    quantity: q,
                })])
            }
            _ => unreachable!("only market commands are routed here"),
        }
    }

    /// `share_bp` of the reports' verified covered emissions (whole tonnes per report), rounded
    /// half up (UNVERIFIED: the rounding of the annual share is not in the reference), less the
    /// quantities of `less` — e.g. the full-period obligation: all of the period's emissions
    /// (10,000 bp) less the annual obligations, whose reports it may count again.
    pub(crate) fn obligation_from_share(
        &self,
        spec: &crate::apply::ObligationSpec<'_>,
        share_bp: u32,
        less: &[ObligationId],
    ) -> Result<u64, Rejection> {
        if share_bp == 0 || share_bp > 10_000 {
            return reject(Code::InvalidField, "share_bp must be 1..=10,000");
        }
        if spec.from_reports.is_empty() {
            return reject(
                Code::InvalidField,
                "from_reports names the verified reports the obligation is computed from",
            );
        }
        for (i, id) in spec.from_reports.iter().enumerate() {
            if let Some(r) = self.verification.reports.get(id)
                && !(spec.first_year..=spec.last_year).contains(&r.year)
            {
                return reject(
                    Code::InvalidField,
                    format!(
                        "from_reports[{i}]: report {id} is of {}, outside {}-{}",
                        r.year, spec.first_year, spec.last_year
                    ),
                );
            }
        }
        let mut earlier = 0u64;
        for (i, id) in less.iter().enumerate() {
            let o = self.obligations.get(id).ok_or_else(|| {
                Rejection::new(
                    Code::UnknownObligation,
                    format!("less[{i}]: obligation {id} does not exist"),
                )
            })?;
            if o.entity != *spec.entity
                || o.jurisdiction != *spec.jurisdiction
                || o.first_year < spec.first_year
                || o.last_year > spec.last_year
                || less[..i].contains(id)
            {
                return reject(
                    Code::InvalidField,
                    format!(
                        "less[{i}]: obligation {id} is not an earlier obligation of {} within {}-{}",
                        spec.entity, spec.first_year, spec.last_year
                    ),
                );
            }
            earlier += o.quantity;
        }
        let sum = self.verified_sum(spec.entity, spec.jurisdiction, spec.from_reports, less)?;
        let share = ((u128::from(sum) * u128::from(share_bp) + 5_000) / 10_000) as u64;
        let q = share.checked_sub(earlier).filter(|q| *q > 0).ok_or_else(|| {
            Rejection::new(
                Code::QuantityOutOfRange,
                format!(
                    "{share_bp} bp of {sum} t verified is {share}, not more than the {earlier} of the earlier obligations"
                ),
            )
        })?;
        quantity("quantity", q)?;
        Ok(q)
    }

    fn jurisdiction_known(&self, j: &JurisdictionCode) -> Result<(), Rejection> {
        if self.jurisdictions.contains_key(j) {
            Ok(())
        } else {
            reject(
                Code::UnknownJurisdiction,
                format!("jurisdiction {j} is not hosted here"),
            )
        }
    }

    /// Records allowances consigned to an auction: called when a transfer from a limited use
    /// holding account into an auction holding account executes (REG-§95910(d) consignment).
    pub(crate) fn note_consignment(
        &mut self,
        from: &AccountId,
        to: &AccountId,
        resolved: &Resolved,
    ) {
        let (Some(src), Some(dst)) = (self.accounts.get(from), self.accounts.get(to)) else {
            return;
        };
        if src.account_type != AccountType::LimitedUseHolding
            || dst.account_type != AccountType::AuctionHolding
        {
            return;
        }
        let consignor = src.entity.clone();
        let by = self
            .market
            .consigned
            .entry(to.clone())
            .or_default()
            .entry(consignor)
            .or_default();
        for (series, ranges) in resolved {
            *by.entry(series.clone()).or_default() += ranges.iter().map(|r| r.len()).sum::<u64>();
        }
        self.touch(ObjKey::Consignment(to.clone()));
    }

    /// A reversal moving serials from an auction holding account back to a limited use holding
    /// account takes them out of that consignor's unsold consignment.
    pub(crate) fn unnote_consignment(&mut self, m: &crate::effect::Move) {
        let (Loc::Account(from), Loc::Account(to)) = (&m.from, &m.to) else {
            return;
        };
        let (Some(src), Some(dst)) = (self.accounts.get(from), self.accounts.get(to)) else {
            return;
        };
        if src.account_type != AccountType::AuctionHolding
            || dst.account_type != AccountType::LimitedUseHolding
        {
            return;
        }
        let consignor = dst.entity.clone();
        if !self.market.consigned.contains_key(from) {
            return;
        }
        self.market
            .take_consigned(from, &consignor, &m.series, m.range.len());
        self.touch(ObjKey::Consignment(from.clone()));
    }

    fn settle_auction(
        &mut self,
        env: &Envelope,
        auction: &str,
        price_: &Price,
        deliveries: &[AuctionDelivery],
    ) -> Result<Vec<Effect>, Rejection> {
        id_text("auction", auction)?;
        price(price_)?;
        if deliveries.is_empty() || deliveries.len() > MAX_DELIVERIES {
            return reject(
                Code::InvalidField,
                format!("an auction settlement names 1-{MAX_DELIVERIES} deliveries"),
            );
        }
        if self.market.auctions.contains_key(auction) {
            return reject(
                Code::DuplicateId,
                format!("auction {auction} is already settled"),
            );
        }
        let is_admin = matches!(
            self.users.get(&env.actor).map(|u| &u.role),
            Some(UserRole::Admin)
        );
        // Per (source, series): the total wanted, consigned wanted per consignor.
        let mut wanted: BTreeMap<(AccountId, SeriesKey), u64> = BTreeMap::new();
        let mut consigned: BTreeMap<(AccountId, SeriesKey, EntityId), u64> = BTreeMap::new();
        for (i, d) in deliveries.iter().enumerate() {
            let at =
                |m: String| Rejection::new(Code::InvalidField, format!("deliveries[{i}]: {m}"));
            quantity(&format!("deliveries[{i}].quantity"), d.quantity)?;
            let src = self.account(&d.from)?;
            if src.account_type != AccountType::AuctionHolding {
                return Err(at(format!("{} is not an auction holding account", d.from)));
            }
            let jur = *self.jurisdiction_of(&d.from)?;
            if !is_admin {
                self.require_regulator(&env.actor, &jur)?;
            }
            let dst = self.account(&d.to)?;
            if dst.account_type != AccountType::Holding {
                return Err(Rejection::new(
                    Code::AccountTypeNotEligible,
                    format!(
                        "deliveries[{i}]: auction purchases go to the winner's holding account; {} is a {:?} account",
                        d.to, dst.account_type
                    ),
                ));
            }
            if d.series.kind() != InstrumentKind::Allowance {
                return Err(at(format!("{} is not an allowance series", d.series)));
            }
            *wanted
                .entry((d.from.clone(), d.series.clone()))
                .or_default() += d.quantity;
            if let Some(c) = &d.consignor {
                *consigned
                    .entry((d.from.clone(), d.series.clone(), c.clone()))
                    .or_default() += d.quantity;
            }
        }
        // Consigned allowances are sold for their consignor only, and state-owned ones never
        // take consigned serials' place beyond what is consigned.
        for ((acct, series, c), q) in &consigned {
            let have = self
                .market
                .consigned
                .get(acct)
                .and_then(|by| by.get(c))
                .and_then(|s| s.get(series))
                .copied()
                .unwrap_or(0);
            if *q > have {
                return reject(
                    Code::InsufficientHolding,
                    format!("{c} has {have} {series} consigned in {acct}; {q} were to be sold"),
                );
            }
        }
        let mut pools: BTreeMap<(AccountId, SeriesKey), VecDeque<SerialRange>> = BTreeMap::new();
        for ((acct, series), q) in &wanted {
            let held = self
                .set_at(series, &Loc::Account(acct.clone()))
                .map_or(0, |s| s.count());
            let consigned_all = self.market.consigned_total(acct, series);
            let consigned_sold: u64 = consigned
                .iter()
                .filter(|((a, s, _), _)| a == acct && s == series)
                .map(|(_, q)| q)
                .sum();
            if *q > held || q - consigned_sold > held - consigned_all {
                return reject(
                    Code::InsufficientHolding,
                    format!(
                        "{acct} holds {held} {series} ({consigned_all} of them consigned); the settlement delivers {q} ({consigned_sold} consigned)"
                    ),
                );
            }
            let leg = Leg {
                series: series.clone(),
                quantity: Some(*q),
                ranges: vec![],
            };
            let mut r = self.resolve(&Loc::Account(acct.clone()), &[leg])?;
            pools.insert((acct.clone(), series.clone()), r.remove(0).1.into());
        }
        // Serials in delivery order, lowest first from each source; grouped per (from, to).
        let mut legs: BTreeMap<(AccountId, AccountId), Resolved> = BTreeMap::new();
        for d in deliveries {
            let pool = pools
                .get_mut(&(d.from.clone(), d.series.clone()))
                .expect("pooled");
            let got = carve(pool, d.quantity);
            push_resolved(
                legs.entry((d.from.clone(), d.to.clone())).or_default(),
                &d.series,
                got,
            );
        }
        // Each winner's holding limit is tested on everything it receives, from every source.
        let mut per_buyer: BTreeMap<&AccountId, (&AccountId, Resolved)> = BTreeMap::new();
        for ((from, to), resolved) in &legs {
            let e = per_buyer.entry(to).or_insert_with(|| (from, Vec::new()));
            for (series, ranges) in resolved {
                push_resolved(&mut e.1, series, ranges.clone());
            }
        }
        for (to, (from, resolved)) in &per_buyer {
            self.check_acquisition(from, to, resolved, env.ts, Via::Allocation)?;
        }
        // Apply.
        let unit = price_.unit_price_minor;
        let mut rec = AuctionRecord {
            settled_at: env.ts,
            price: price_.clone(),
            sold: 0,
            jurisdictions: BTreeMap::new(),
            consignors: BTreeMap::new(),
            buyers: BTreeMap::new(),
        };
        for d in deliveries {
            let jur = *self.jurisdiction_of(&d.from).expect("checked");
            crate::market::record_auction(&mut rec, d, jur, unit);
        }
        for ((acct, series, c), q) in &consigned {
            self.market.take_consigned(acct, c, series, *q);
            self.touch(ObjKey::Consignment(acct.clone()));
        }
        let mut effects = Vec::new();
        for ((from, to), resolved) in &legs {
            let moves = self.move_all(
                resolved,
                &Loc::Account(from.clone()),
                &Loc::Account(to.clone()),
            );
            effects.extend(moves.into_iter().map(Effect::Moved));
        }
        let proceeds = rec.sold * unit;
        effects.push(Effect::Market(MarketEffect::AuctionSettled {
            auction: auction.to_owned(),
            sold: rec.sold,
            proceeds_minor: proceeds,
        }));
        self.market.auctions.insert(auction.to_owned(), rec);
        self.touch(ObjKey::Auction(auction.to_owned()));
        Ok(effects)
    }

    #[allow(clippy::too_many_arguments)]
    fn sale(
        &mut self,
        env: &Envelope,
        sale: &str,
        kind: SaleKind,
        price_: &Price,
        from: &AccountId,
        to: &AccountId,
        legs: &[Leg],
    ) -> Result<Vec<Effect>, Rejection> {
        id_text("sale", sale)?;
        price(price_)?;
        if self.market.sales.contains_key(sale) {
            return reject(Code::DuplicateId, format!("sale {sale} already exists"));
        }
        let jur = *self.jurisdiction_of(from)?;
        self.require_regulator(&env.actor, &jur)?;
        let src_type = self.account(from)?.account_type;
        let wanted_src = match kind {
            SaleKind::Reserve => AccountType::Reserve,
            SaleKind::PriceCeiling => AccountType::PriceCeiling,
        };
        if src_type != wanted_src {
            return reject(
                Code::AccountTypeNotEligible,
                format!(
                    "a {kind:?} sale sells from a {wanted_src:?} account; {from} is {src_type:?}"
                ),
            );
        }
        let dst = self.account(to)?;
        let buyer = self.entity(&dst.entity)?;
        // REG-§95913(b)-(c), §95915(b): only the jurisdiction's own covered and opt-in entities
        // buy, into their compliance accounts.
        if buyer.jurisdiction != jur
            || !matches!(buyer.entity_type, EntityType::Covered | EntityType::OptIn)
        {
            return reject(
                Code::AccountTypeNotEligible,
                format!(
                    "only {jur} covered and opt-in entities may buy at a {jur} reserve or price ceiling sale (REG-§95913(b)-(c), §95915(b))"
                ),
            );
        }
        if dst.account_type != AccountType::Compliance {
            return reject(
                Code::AccountTypeNotEligible,
                format!("sale purchases go to the buyer's compliance account; {to} is not one"),
            );
        }
        let resolved = self.resolve(&Loc::Account(from.clone()), legs)?;
        let q = total(&resolved);
        if kind == SaleKind::PriceCeiling {
            // REG-§95915(b): only when the reserve tiers are exhausted.
            let reserve_left: u64 = self
                .accounts
                .iter()
                .filter(|(_, a)| a.account_type == AccountType::Reserve)
                .filter(|(id, _)| self.account_jurisdiction(id) == Some(&jur))
                .flat_map(|(_, a)| a.holdings.values())
                .map(|s| s.count())
                .sum();
            if reserve_left > 0 {
                return reject(
                    Code::InstrumentNotEligible,
                    format!(
                        "{reserve_left} instruments remain in {jur}'s reserve accounts; a price ceiling sale follows only when the reserve tiers are empty (REG-§95915(b))"
                    ),
                );
            }
            // REG-§95915(e): holdings plus the purchase may not exceed what is still owed.
            let owed: u64 = self
                .obligations
                .values()
                .filter(|o| o.entity == dst.entity)
                .map(|o| o.quantity - o.surrendered)
                .sum();
            let held: u64 = dst.holdings.values().map(|s| s.count()).sum();
            if held + q > owed {
                return reject(
                    Code::ExceedsObligation,
                    format!(
                        "{} owes {owed} and holds {held} in {to}; buying {q} would exceed its need (REG-§95915(e))",
                        dst.entity
                    ),
                );
            }
        }
        self.check_acquisition(from, to, &resolved, env.ts, Via::Allocation)?;
        let proceeds = q * price_.unit_price_minor;
        let moves = self.move_all(
            &resolved,
            &Loc::Account(from.clone()),
            &Loc::Account(to.clone()),
        );
        self.market.sales.insert(
            sale.to_owned(),
            SaleRecord {
                kind,
                at: env.ts,
                from: from.clone(),
                to: to.clone(),
                quantity: q,
                price: price_.clone(),
                proceeds_minor: proceeds,
            },
        );
        self.touch(ObjKey::Sale(sale.to_owned()));
        let mut effects: Vec<Effect> = moves.into_iter().map(Effect::Moved).collect();
        effects.push(Effect::Market(MarketEffect::Sold {
            sale: sale.to_owned(),
            quantity: q,
            proceeds_minor: proceeds,
        }));
        Ok(effects)
    }

    /// Whether instruments of `series` may be surrendered for an obligation of `jur` at `t`:
    /// linked now, or formerly linked when the rules keep such instruments surrenderable.
    pub fn surrenderable(&self, series: &SeriesKey, jur: &JurisdictionCode, t: Timestamp) -> bool {
        if self.linked(series.jurisdiction(), jur, t) {
            return true;
        }
        let keeps = self
            .market
            .compliance_rules
            .get(jur)
            .is_some_and(|r| r.after_delink == crate::market::DelinkTreatment::Surrenderable);
        keeps && self.delinked(series.jurisdiction(), jur)
    }

    /// What surrendering `resolved` adds to an obligation's counters: (offsets, sector-based,
    /// non-DEBS, non-allowances).
    pub(crate) fn surrender_counters(&self, resolved: &Resolved) -> [u64; 4] {
        let mut add = [0u64; 4];
        for (series, ranges) in resolved {
            let q: u64 = ranges.iter().map(|r| r.len()).sum();
            if series.kind() != InstrumentKind::Allowance {
                add[3] += q;
            }
            if series.kind() == InstrumentKind::OffsetCredit {
                let (sector, non_debs) = self.market.offset_class(series);
                add[0] += q;
                add[1] += if sector { q } else { 0 };
                add[2] += if non_debs { q } else { 0 };
            }
        }
        add
    }

    /// The offset-limit and untimely-share checks of surrendering `resolved` for `ob`; returns
    /// the counters to add (offsets, sector-based, non-DEBS, non-allowances).
    pub(crate) fn surrender_limits(
        &self,
        obligation: &ObligationId,
        ob: &Obligation,
        resolved: &Resolved,
    ) -> Result<[u64; 4], Rejection> {
        let add = self.surrender_counters(resolved);
        let c = &ob.compliance;
        if c.untimely_of.is_some() {
            // REG-§95857(b)(3): at least the allowance share of the untimely obligation.
            let max_other = ob.quantity - c.min_allowances;
            if c.non_allowances + add[3] > max_other {
                return reject(
                    Code::InstrumentNotEligible,
                    format!(
                        "untimely obligation {obligation}: at most {max_other} may be instruments other than allowances; {} already and {} now (REG-§95857(b)(3))",
                        c.non_allowances, add[3]
                    ),
                );
            }
            return Ok(add);
        }
        let Some(rules) = self.market.compliance_rules.get(&ob.jurisdiction) else {
            return Ok(add); // no rules set: no offset limit is configured
        };
        if add[0] == 0 {
            return Ok(add);
        }
        let (cap, sector_cap, non_debs_cap) = rules
            .offset_caps(ob.first_year, ob.last_year, ob.quantity)
            .unwrap_or((0, 0, 0));
        for (name, used, now, limit) in [
            ("offset credits", c.offsets, add[0], cap),
            (
                "sector-based offset credits",
                c.sector_based,
                add[1],
                sector_cap,
            ),
            (
                "offset credits without direct environmental benefits in the state",
                c.non_debs,
                add[2],
                non_debs_cap,
            ),
        ] {
            if used + now > limit {
                return reject(
                    Code::InstrumentNotEligible,
                    format!(
                        "obligation {obligation}: {name} are limited to {limit} ({} rules, REG-§95854 in the California example); {used} surrendered, {now} more asked",
                        ob.jurisdiction
                    ),
                );
            }
        }
        Ok(add)
    }

    pub(crate) fn add_surrender_counters(
        &mut self,
        obligation: &ObligationId,
        add: [u64; 4],
        sign: i128,
    ) {
        let c = &mut self
            .obligations
            .get_mut(obligation)
            .expect("checked")
            .compliance;
        for (field, q) in [
            (&mut c.offsets, add[0]),
            (&mut c.sector_based, add[1]),
            (&mut c.non_debs, add[2]),
            (&mut c.non_allowances, add[3]),
        ] {
            *field = (i128::from(*field) + sign * i128::from(q)) as u64;
        }
    }

    /// Serials of the compliance account `acct` that a compliance event for `ob` retires, in
    /// the retirement order: kinds as the rules list them, oldest vintage first; allowances of a
    /// later vintage than the obligation's last year skipped (REG-§95856(b)(2)); offsets within
    /// what the limits leave. (Untimely obligations never come here: they are met by surrender.)
    fn plan_event(
        &self,
        ob: &Obligation,
        acct: &AccountId,
        rules: &ComplianceRules,
        t: Timestamp,
    ) -> Resolved {
        let Some(account) = self.accounts.get(acct) else {
            return vec![];
        };
        let mut series: Vec<(&SeriesKey, u64)> = account
            .holdings
            .iter()
            .filter(|(s, set)| {
                !set.is_empty()
                    && rules.retirement_order.contains(&s.kind())
                    && self.surrenderable(s, &ob.jurisdiction, t)
                    && !(s.kind() == InstrumentKind::Allowance
                        && s.vintage().is_some_and(|v| v > ob.last_year))
            })
            .map(|(s, set)| (s, set.count()))
            .collect();
        series.sort_by_key(|(s, _)| {
            let rank = rules
                .retirement_order
                .iter()
                .position(|k| *k == s.kind())
                .expect("filtered");
            (rank, s.vintage().unwrap_or(0), (*s).clone())
        });
        let mut remaining = ob.quantity - ob.surrendered;
        let (mut cap, mut sector_cap, mut non_debs_cap) = rules
            .offset_caps(ob.first_year, ob.last_year, ob.quantity)
            .map_or((0, 0, 0), |(a, b, c)| {
                let u = &ob.compliance;
                (
                    a.saturating_sub(u.offsets),
                    b.saturating_sub(u.sector_based),
                    c.saturating_sub(u.non_debs),
                )
            });
        let mut out: Resolved = Vec::new();
        for (s, held) in series {
            if remaining == 0 {
                break;
            }
            let mut q = held.min(remaining);
            if s.kind() == InstrumentKind::OffsetCredit {
                let (sector, non_debs) = self.market.offset_class(s);
                q = q.min(cap);
                if sector {
                    q = q.min(sector_cap);
                    sector_cap -= q;
                }
                if non_debs {
                    q = q.min(non_debs_cap);
                    non_debs_cap -= q;
                }
                cap -= q;
            }
            if q == 0 {
                continue;
            }
            let ranges = account.holdings[s].lowest(q).expect("q <= held");
            out.push((s.clone(), ranges));
            remaining -= q;
        }
        out
    }

    fn compliance_event(
        &mut self,
        env: &Envelope,
        jur: &JurisdictionCode,
        obligations: &[ObligationId],
    ) -> Result<Vec<Effect>, Rejection> {
        self.jurisdiction_known(jur)?;
        self.require_regulator(&env.actor, jur)?;
        if obligations.is_empty() || obligations.len() > MAX_LEGS * 1_024 {
            return reject(
                Code::InvalidField,
                "a compliance event names 1-65,536 obligations",
            );
        }
        let rules = self
            .market
            .compliance_rules
            .get(jur)
            .cloned()
            .ok_or_else(|| {
                Rejection::new(
                    Code::InvalidField,
                    format!("{jur} has no compliance rules: set_compliance_rules first"),
                )
            })?;
        let mut plans = Vec::with_capacity(obligations.len());
        for (i, id) in obligations.iter().enumerate() {
            if obligations[..i].contains(id) {
                return reject(Code::InvalidField, format!("obligations names {id} twice"));
            }
            let ob = self.obligations.get(id).ok_or_else(|| {
                Rejection::new(
                    Code::UnknownObligation,
                    format!("obligation {id} does not exist"),
                )
            })?;
            if ob.jurisdiction != *jur {
                return reject(
                    Code::NotAuthorized,
                    format!("obligation {id} is {}'s, not {jur}'s", ob.jurisdiction),
                );
            }
            if ob.compliance.untimely_of.is_some() {
                // The 4× applies once, to the excess emissions (REG-§95857(b)); what is owed
                // then is surrendered to the untimely obligation directly.
                return reject(
                    Code::InvalidField,
                    format!(
                        "obligation {id} is an untimely obligation: it is met by surrender, not by a compliance event"
                    ),
                );
            }
            if ob.compliance.outcome.is_some() {
                return reject(
                    Code::DuplicateId,
                    format!("obligation {id} has already been through a compliance event"),
                );
            }
            let untimely_id = ObligationId::parse(&format!("{id}:untimely")).map_err(|_| {
                Rejection::new(
                    Code::InvalidField,
                    format!("obligation id {id} is too long to name its untimely obligation"),
                )
            })?;
            let acct = self
                .entities
                .get(&ob.entity)
                .and_then(|e| e.accounts.get(&AccountType::Compliance))
                .cloned();
            let resolved = match &acct {
                Some(a) => self.plan_event(ob, a, &rules, env.ts),
                None => vec![],
            };
            let add = self.surrender_limits(id, ob, &resolved)?;
            plans.push((id.clone(), acct, resolved, add, untimely_id));
        }
        let mut effects = Vec::new();
        for (id, acct, resolved, add, untimely_id) in plans {
            let q = total(&resolved);
            if q > 0 {
                let acct = acct.expect("a plan needs an account");
                self.adjust_surrendered(&id, q as i128);
                self.add_surrender_counters(&id, add, 1);
                let moves = self.move_all(&resolved, &Loc::Account(acct), &Loc::Retired);
                effects.extend(moves.into_iter().map(Effect::Moved));
            }
            let ob = &self.obligations[&id];
            let shortfall = ob.quantity - ob.surrendered;
            let status = if shortfall == 0 { 'A' } else { 'B' };
            let surrendered_on_time = ob.surrendered;
            let mut untimely = None;
            if shortfall > 0 {
                let (owed, min_allowances) = rules.untimely(shortfall);
                let mut u = ob.clone();
                u.label = format!("{} untimely", ob.label);
                u.quantity = owed;
                u.surrendered = 0;
                u.from_reports = vec![];
                u.compliance = crate::market::ObligationCompliance {
                    untimely_of: Some(id.clone()),
                    min_allowances,
                    ..Default::default()
                };
                let group = self.entities[&u.entity].group.clone();
                self.groups.entry(group).or_default().obligations += owed;
                self.obligations.insert(untimely_id.clone(), u);
                self.touch(ObjKey::Obligation(untimely_id.clone()));
                effects.push(Effect::Market(MarketEffect::UntimelyObligation {
                    obligation: untimely_id.clone(),
                    replaces: id.clone(),
                    quantity: owed,
                    min_allowances,
                }));
                untimely = Some(untimely_id);
            }
            let ob = self.obligations.get_mut(&id).expect("checked");
            ob.compliance.outcome = Some(ComplianceOutcome {
                at: env.ts,
                surrendered_on_time,
                shortfall,
                status,
                untimely,
            });
            self.touch(ObjKey::Obligation(id.clone()));
            effects.push(Effect::Market(MarketEffect::ComplianceEvaluated {
                obligation: id,
                surrendered_on_time,
                shortfall,
                status,
            }));
        }
        Ok(effects)
    }
}

fn check_compliance_rules(r: &ComplianceRules) -> Result<(), Rejection> {
    text("rules.source", &r.source)?;
    if r.retirement_order.is_empty() {
        return reject(
            Code::InvalidField,
            "rules.retirement_order names at least one instrument kind",
        );
    }
    for (i, k) in r.retirement_order.iter().enumerate() {
        if r.retirement_order[..i].contains(k) {
            return reject(
                Code::InvalidField,
                format!("rules.retirement_order[{i}]: {k:?} appears twice"),
            );
        }
    }
    // Input bounds only; the values themselves come from the jurisdiction's rules file.
    if r.untimely_multiplier == 0 || r.untimely_multiplier > 100 {
        return reject(
            Code::InvalidField,
            "rules.untimely_multiplier must be 1..=100",
        );
    }
    if r.untimely_allowance_share_bp > 10_000 {
        return reject(
            Code::InvalidField,
            "rules.untimely_allowance_share_bp must be at most 10,000",
        );
    }
    if r.offset_limits.len() > 200 {
        return reject(
            Code::InvalidField,
            "rules.offset_limits: at most 200 entries",
        );
    }
    for (i, o) in r.offset_limits.iter().enumerate() {
        vintage(o.first_year)?;
        vintage(o.last_year)?;
        let bad = o.first_year > o.last_year
            || o.limit_bp > 10_000
            || o.sector_based_share_bp > 10_000
            || o.non_debs_share_bp.is_some_and(|b| b > 10_000);
        if bad {
            return reject(
                Code::InvalidField,
                format!(
                    "rules.offset_limits[{i}]: years must be in order and shares at most 10,000 basis points"
                ),
            );
        }
        if r.offset_limits[..i]
            .iter()
            .any(|p| p.first_year <= o.last_year && o.first_year <= p.last_year)
        {
            return reject(
                Code::InvalidField,
                format!("rules.offset_limits[{i}]: years overlap an earlier entry"),
            );
        }
    }
    Ok(())
}
