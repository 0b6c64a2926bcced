//! Command handlers. Each handler checks everything first and mutates only after every check has
//! passed, so a rejection leaves the state exactly as it was.

use crate::command::{
    AccountType, COMMAND_FORMAT_VERSION, Command, EntityType, Envelope, Leg, RepRole, UserRole,
};
use crate::effect::{Effect, Loc, Move};
use crate::holding_limit::holding_limit;
use crate::rejection::{Code, Rejection, reject};
use crate::rules::RegistryRules;
use crate::state::*;
use std::collections::BTreeMap;
use tonne_core::limits::{
    MAX_HOLIDAYS, MAX_ID_LEN, MAX_LEGS, MAX_QUANTITY, MAX_RANGES_PER_LEG, MAX_REPRESENTATIVES,
    MAX_SERIAL, MAX_TEXT_LEN, MAX_VINTAGE, MIN_VINTAGE,
};
use tonne_core::{
    AccountId, Calendar, EntityId, GroupId, InstrumentKind, JurisdictionCode, RangeSet,
    SerialRange, SeriesKey, Timestamp, UserId,
};
use tonne_mrv::verification::workflow::{Ctx, VerificationCommand, VerificationError};

/// What `record_obligation` records.
#[derive(Clone, Copy)]
pub(crate) struct ObligationSpec<'a> {
    pub obligation: &'a tonne_core::ObligationId,
    pub entity: &'a EntityId,
    pub jurisdiction: &'a JurisdictionCode,
    pub label: &'a str,
    pub first_year: u16,
    pub last_year: u16,
    pub from_reports: &'a [String],
}

/// How an obligation's quantity is set: stated by the regulator (checked against its reports,
/// if any), or computed here as a share of the reports' verified emissions less earlier
/// obligations of the period.
pub(crate) enum Basis<'a> {
    Stated(u64),
    Share {
        share_bp: u32,
        less: &'a [tonne_core::ObligationId],
    },
}

/// Serials resolved for one command: per series, the exact ranges to move.
pub(crate) type Resolved = Vec<(SeriesKey, Vec<SerialRange>)>;

/// How instruments reach an account; eligibility differs (REG-§95831, §95921).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Allocation,
    Regulator,
    Request,
}

pub(crate) fn text(field: &str, s: &str) -> Result<(), Rejection> {
    if s.trim().is_empty() || s.len() > MAX_TEXT_LEN {
        return reject(
            Code::InvalidField,
            format!("{field} must be 1-{MAX_TEXT_LEN} characters"),
        );
    }
    Ok(())
}

pub(crate) fn quantity(field: &str, q: u64) -> Result<(), Rejection> {
    if q == 0 || q > MAX_QUANTITY {
        return reject(
            Code::QuantityOutOfRange,
            format!("{field} {q} must be 1..={MAX_QUANTITY}"),
        );
    }
    Ok(())
}

/// How many ranges a resolution moves.
fn range_count(resolved: &Resolved) -> usize {
    resolved.iter().map(|(_, rs)| rs.len()).sum()
}

pub(crate) fn total(resolved: &Resolved) -> u64 {
    resolved
        .iter()
        .flat_map(|(_, rs)| rs.iter())
        .map(|r| r.len())
        .sum()
}

/// A fingerprint of a reversible entry (command kind and every move), kept so a reversal can
/// check the original it is handed. The application layer always takes that original from the
/// hash-chained journal, so this guards against in-process mistakes, not forgery; a fast hash
/// keeps it off the hot path.
pub(crate) fn fingerprint<'a>(
    cmd: &Command,
    moves: impl ExactSizeIterator<Item = &'a Move>,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    cmd.name().hash(&mut h);
    h.write_usize(moves.len());
    // A command's moves mostly share series, source and destination: those are hashed where
    // they change from the move before (comparing is cheaper than hashing them again), the
    // range always. Both sides of the check use this same rule, so equal lists agree.
    let mut prev: Option<&Move> = None;
    for m in moves {
        match prev {
            Some(p) if p.series == m.series && p.from == m.from && p.to == m.to => h.write_u8(0),
            _ => {
                h.write_u8(1);
                m.series.hash(&mut h);
                m.from.hash(&mut h);
                m.to.hash(&mut h);
            }
        }
        h.write_u64(m.range.start());
        h.write_u64(m.range.end());
        prev = Some(m);
    }
    h.finish()
}

impl State {
    /// Validates, authorises and applies one command. On `Err` nothing has changed.
    pub fn apply(&mut self, env: &Envelope) -> Result<Vec<Effect>, Rejection> {
        if env.v != COMMAND_FORMAT_VERSION {
            return reject(
                Code::UnsupportedVersion,
                format!(
                    "command format v{} is not supported (this registry reads v{COMMAND_FORMAT_VERSION})",
                    env.v
                ),
            );
        }
        if env.key.is_empty()
            || env.key.len() > 2 * MAX_ID_LEN
            || env.key.chars().any(char::is_control)
        {
            return reject(
                Code::InvalidField,
                format!("key must be 1-{} printable characters", 2 * MAX_ID_LEN),
            );
        }
        if let Some(last) = self.last_ts
            && env.ts < last
        {
            return reject(
                Code::TimeWentBackwards,
                format!(
                    "timestamp {} is before the last accepted command ({last})",
                    env.ts
                ),
            );
        }
        let effects = match (&self.admin, &env.cmd) {
            (None, Command::Genesis { name, rules }) => self.genesis(env, name, rules)?,
            (None, _) => {
                return reject(
                    Code::Genesis,
                    "the registry is empty: its first command must be genesis",
                );
            }
            (Some(_), Command::Genesis { .. }) => {
                return reject(Code::Genesis, "the registry already exists");
            }
            (Some(_), cmd) => {
                if !self.users.contains_key(&env.actor) {
                    return reject(
                        Code::UnknownActor,
                        format!("actor {} is not a registered user", env.actor),
                    );
                }
                self.dispatch(env, cmd)?
            }
        };
        self.last_ts = Some(env.ts);
        self.seq += 1;
        self.touch(ObjKey::Meta);
        Ok(effects)
    }

    fn dispatch(&mut self, env: &Envelope, cmd: &Command) -> Result<Vec<Effect>, Rejection> {
        let (t, actor) = (env.ts, &env.actor);
        match cmd {
            Command::Genesis { .. } => unreachable!("handled by apply"),
            Command::SetRules { rules } => {
                self.require_admin(actor)?;
                check_rules(rules)?;
                self.rules = rules.clone();
                Ok(vec![])
            }
            Command::AddJurisdiction {
                code,
                name,
                time_zone,
                currency,
                holidays,
            } => {
                self.require_admin(actor)?;
                text("name", name)?;
                if self.jurisdictions.contains_key(code) {
                    return reject(
                        Code::DuplicateId,
                        format!("jurisdiction {code} already exists"),
                    );
                }
                if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
                    return reject(
                        Code::InvalidField,
                        format!("currency {currency:?} is not an ISO 4217 code such as USD"),
                    );
                }
                if holidays.len() > MAX_HOLIDAYS {
                    return reject(
                        Code::InvalidField,
                        format!("at most {MAX_HOLIDAYS} holidays"),
                    );
                }
                let calendar = Calendar::new(time_zone, holidays)
                    .map_err(|e| Rejection::new(Code::InvalidField, e.to_string()))?;
                self.jurisdictions.insert(
                    *code,
                    Jurisdiction {
                        name: name.clone(),
                        time_zone: time_zone.clone(),
                        currency: currency.clone(),
                        holidays: holidays.clone(),
                        budgets: BTreeMap::new(),
                        calendar,
                    },
                );
                self.touch(ObjKey::Jurisdiction(*code));
                Ok(vec![])
            }
            Command::AddUser { user, name, role } => {
                self.require_admin(actor)?;
                text("name", name)?;
                if self.users.contains_key(user) {
                    return reject(Code::DuplicateId, format!("user {user} already exists"));
                }
                if let UserRole::Regulator { jurisdiction } = role {
                    self.jurisdiction(jurisdiction)?;
                }
                self.users.insert(
                    user.clone(),
                    User {
                        name: name.clone(),
                        role: role.clone(),
                    },
                );
                self.touch(ObjKey::User(user.clone()));
                Ok(vec![])
            }
            Command::Link { a, b, effective } => {
                self.require_admin(actor)?;
                // A jurisdiction hosted by a peer registry can be linked with one hosted here.
                for j in [a, b] {
                    if self.cross.host_of(j).is_none() {
                        self.jurisdiction(j)?;
                    }
                }
                if a == b {
                    return reject(
                        Code::InvalidField,
                        "a jurisdiction cannot be linked with itself",
                    );
                }
                if self
                    .links
                    .iter()
                    .any(|l| l.joins(a, b) && l.until.is_none())
                {
                    return reject(Code::DuplicateId, format!("{a} and {b} are already linked"));
                }
                self.links.push(Link {
                    a: *a,
                    b: *b,
                    effective: *effective,
                    until: None,
                });
                self.touch(ObjKey::Link(self.links.len() - 1));
                Ok(vec![])
            }
            Command::Delink { a, b, effective } => {
                self.require_admin(actor)?;
                let Some(i) = self
                    .links
                    .iter()
                    .position(|l| l.joins(a, b) && l.until.is_none())
                else {
                    return reject(Code::InvalidField, format!("{a} and {b} are not linked"));
                };
                if *effective < self.links[i].effective {
                    return reject(
                        Code::InvalidField,
                        "a delink date cannot precede the link date",
                    );
                }
                self.links[i].until = Some(*effective);
                self.touch(ObjKey::Link(i));
                Ok(vec![])
            }
            Command::SetBudget {
                jurisdiction,
                year,
                allowances,
            } => {
                if !self.jurisdictions.contains_key(jurisdiction)
                    && let Some(peer) = self.cross.host_of(jurisdiction).map(str::to_owned)
                {
                    return self.set_peer_budget(actor, &peer, jurisdiction, *year, *allowances);
                }
                self.require_regulator(actor, jurisdiction)?;
                self.jurisdiction(jurisdiction)?;
                vintage(*year)?;
                quantity("allowances", *allowances)?;
                let issued = self.issued_allowances(jurisdiction, *year);
                if *allowances < issued {
                    return reject(
                        Code::QuantityOutOfRange,
                        format!(
                            "budget {allowances} for {year} is below the {issued} allowances already issued"
                        ),
                    );
                }
                self.jurisdictions
                    .get_mut(jurisdiction)
                    .expect("checked")
                    .budgets
                    .insert(*year, *allowances);
                self.touch(ObjKey::Jurisdiction(*jurisdiction));
                Ok(vec![])
            }
            Command::RegisterEntity {
                entity,
                jurisdiction,
                name,
                entity_type,
                group,
            } => {
                self.require_regulator(actor, jurisdiction)?;
                text("name", name)?;
                if self.entities.contains_key(entity) {
                    return reject(Code::DuplicateId, format!("entity {entity} already exists"));
                }
                let group = group.clone().unwrap_or_else(|| {
                    GroupId::parse(entity.as_str()).expect("ids share a syntax")
                });
                self.entities.insert(
                    entity.clone(),
                    Entity {
                        jurisdiction: *jurisdiction,
                        name: name.clone(),
                        entity_type: *entity_type,
                        group,
                        accounts: BTreeMap::new(),
                    },
                );
                self.touch(ObjKey::Entity(entity.clone()));
                Ok(vec![])
            }
            Command::SetCorporateAssociation { entity, group } => {
                let e = self.entity(entity)?;
                self.require_regulator(actor, &e.jurisdiction.clone())?;
                self.entities.get_mut(entity).expect("checked").group = group.clone();
                self.refresh_limit_groups(entity);
                self.recount_groups();
                self.touch(ObjKey::Entity(entity.clone()));
                Ok(vec![])
            }
            Command::OpenAccount {
                account,
                entity,
                account_type,
            } => {
                let e = self.entity(entity)?;
                self.require_regulator(actor, &e.jurisdiction.clone())?;
                if !e.entity_type.may_open(*account_type) {
                    return reject(
                        Code::AccountTypeNotEligible,
                        format!(
                            "a {:?} entity may not open a {:?} account (REG-§95831)",
                            e.entity_type, account_type
                        ),
                    );
                }
                if let Some(existing) = e.accounts.get(account_type) {
                    return reject(
                        Code::DuplicateId,
                        format!(
                            "entity {entity} already has a {account_type:?} account ({existing}); REG-§95831 allows one"
                        ),
                    );
                }
                if self.accounts.contains_key(account) {
                    return reject(
                        Code::DuplicateId,
                        format!("account {account} already exists"),
                    );
                }
                self.accounts.insert(
                    account.clone(),
                    Account {
                        entity: entity.clone(),
                        account_type: *account_type,
                        status: AccountStatus::Open,
                        status_reason: String::new(),
                        representatives: BTreeMap::new(),
                        trusted: BTreeMap::new(),
                        holdings: BTreeMap::new(),
                        limit_group: None,
                        jurisdiction: e.jurisdiction,
                    },
                );
                self.entities
                    .get_mut(entity)
                    .expect("checked")
                    .accounts
                    .insert(*account_type, account.clone());
                self.refresh_limit_groups(entity);
                self.touch(ObjKey::Account(account.clone()));
                self.touch(ObjKey::Entity(entity.clone()));
                Ok(vec![])
            }
            Command::SetRepresentative {
                account,
                user,
                role,
            } => {
                let jur = *self.jurisdiction_of(account)?;
                self.require_regulator(actor, &jur)?;
                let u = self.users.get(user).ok_or_else(|| {
                    Rejection::new(Code::UnknownUser, format!("user {user} is not registered"))
                })?;
                let acc = self.account(account)?;
                let government = acc.account_type.is_government();
                let eligible = match &u.role {
                    UserRole::Participant => !government,
                    UserRole::Regulator { jurisdiction } => government && *jurisdiction == jur,
                    _ => false,
                };
                if !eligible {
                    return reject(
                        Code::NotAuthorized,
                        format!("user {user} cannot represent account {account}"),
                    );
                }
                let others = acc.representatives.iter().filter(|(u2, _)| *u2 != user);
                let (mut primaries, mut alternates, mut n) = (0, 0, 0);
                for (_, r) in others {
                    n += 1;
                    match r {
                        RepRole::Primary => primaries += 1,
                        RepRole::Alternate => alternates += 1,
                        RepRole::ViewingAgent => {}
                    }
                }
                if *role == RepRole::Primary && primaries > 0 {
                    return reject(
                        Code::InvalidField,
                        format!(
                            "account {account} already has a primary representative (REG-§95832 allows one)"
                        ),
                    );
                }
                if *role == RepRole::Alternate && alternates >= 4 {
                    return reject(
                        Code::InvalidField,
                        format!(
                            "account {account} already has four alternate representatives (REG-§95832)"
                        ),
                    );
                }
                if n >= MAX_REPRESENTATIVES {
                    return reject(
                        Code::InvalidField,
                        format!("at most {MAX_REPRESENTATIVES} representatives per account"),
                    );
                }
                self.accounts
                    .get_mut(account)
                    .expect("checked")
                    .representatives
                    .insert(user.clone(), *role);
                self.touch(ObjKey::Account(account.clone()));
                Ok(vec![])
            }
            Command::RemoveRepresentative { account, user } => {
                let jur = *self.jurisdiction_of(account)?;
                self.require_regulator(actor, &jur)?;
                if self
                    .accounts
                    .get_mut(account)
                    .expect("checked")
                    .representatives
                    .remove(user)
                    .is_none()
                {
                    return reject(
                        Code::UnknownUser,
                        format!("user {user} does not represent account {account}"),
                    );
                }
                self.touch(ObjKey::Account(account.clone()));
                Ok(vec![])
            }
            Command::FreezeAccount { account, reason } => {
                self.set_status(actor, account, reason, AccountStatus::Frozen)
            }
            Command::UnfreezeAccount { account, reason } => {
                self.set_status(actor, account, reason, AccountStatus::Open)
            }
            Command::CloseAccount { account, reason } => {
                self.set_status(actor, account, reason, AccountStatus::Closed)
            }
            Command::AddTrustedAccount { account, trusted } => {
                let Some(tal) = self.rules.trusted_accounts.clone() else {
                    return reject(
                        Code::InvalidField,
                        "this registry has no trusted account list (rules.trusted_accounts is off)",
                    );
                };
                self.require_rep(actor, account)?;
                self.account(trusted)?;
                if account == trusted {
                    return reject(Code::InvalidField, "an account cannot trust itself");
                }
                let jur = *self.jurisdiction_of(account)?;
                let active = self.jurisdictions[&jur]
                    .calendar
                    .add_business_days(t, tal.activation_business_days);
                self.accounts
                    .get_mut(account)
                    .expect("checked")
                    .trusted
                    .insert(trusted.clone(), active);
                self.touch(ObjKey::Account(account.clone()));
                Ok(vec![])
            }
            Command::RemoveTrustedAccount { account, trusted } => {
                self.require_rep(actor, account)?;
                if self
                    .accounts
                    .get_mut(account)
                    .expect("checked")
                    .trusted
                    .remove(trusted)
                    .is_none()
                {
                    return reject(
                        Code::UnknownAccount,
                        format!("{trusted} is not on the trusted list of {account}"),
                    );
                }
                self.touch(ObjKey::Account(account.clone()));
                Ok(vec![])
            }
            Command::Issue {
                series,
                quantity: q,
                to,
            } => self.issue(actor, series, *q, to, t),
            Command::Allocate { from, to, legs } => {
                let jur = *self.jurisdiction_of(from)?;
                self.require_regulator(actor, &jur)?;
                if !self.account(from)?.account_type.is_government() {
                    return reject(
                        Code::AccountTypeNotEligible,
                        format!("allocation comes from a government account; {from} is not one"),
                    );
                }
                let resolved = self.resolve(&Loc::Account(from.clone()), legs)?;
                self.check_acquisition(from, to, &resolved, t, Via::Allocation)?;
                Ok(self.move_reversibly(
                    cmd,
                    &resolved,
                    &Loc::Account(from.clone()),
                    &Loc::Account(to.clone()),
                ))
            }
            Command::ExecuteTransfer {
                from,
                to,
                legs,
                reason,
            } => {
                text("reason", reason)?;
                let jur = *self.jurisdiction_of(from)?;
                self.require_regulator(actor, &jur)?;
                let resolved = self.resolve(&Loc::Account(from.clone()), legs)?;
                self.check_acquisition(from, to, &resolved, t, Via::Regulator)?;
                Ok(self.move_reversibly(
                    cmd,
                    &resolved,
                    &Loc::Account(from.clone()),
                    &Loc::Account(to.clone()),
                ))
            }
            Command::ProposeTransfer { .. }
            | Command::ConfirmTransfer { .. }
            | Command::AcceptTransfer { .. }
            | Command::DeclineTransfer { .. }
            | Command::CancelTransfer { .. }
            | Command::Tick {} => self.transfer_command(env, cmd),
            Command::RecordObligation {
                obligation,
                entity,
                jurisdiction,
                label,
                first_year,
                last_year,
                quantity: q,
                from_reports,
            } => {
                let spec = ObligationSpec {
                    obligation,
                    entity,
                    jurisdiction,
                    label,
                    first_year: *first_year,
                    last_year: *last_year,
                    from_reports,
                };
                self.record_obligation(actor, &spec, Basis::Stated(*q))?;
                Ok(vec![])
            }
            Command::Verification(vc) => self.verification_command(env, vc),
            Command::SetComplianceRules { .. }
            | Command::RegisterOffsetProject { .. }
            | Command::SettleAuction { .. }
            | Command::Sale { .. }
            | Command::ComplianceEvent { .. }
            | Command::RecordObligationFromReports { .. } => self.market_command(env, cmd),
            Command::AddPeer { .. }
            | Command::CrossSend { .. }
            | Command::CrossPost { .. }
            | Command::CrossVoid { .. }
            | Command::CrossReceive { .. }
            | Command::CrossAccept { .. } => self.cross_command(env, cmd),
            Command::Surrender {
                obligation,
                account,
                legs,
            } => self.surrender(env, cmd, obligation, account, legs),
            Command::Retire {
                account,
                legs,
                beneficiary,
                purpose,
            } => {
                text("beneficiary", beneficiary)?;
                text("purpose", purpose)?;
                self.require_rep(actor, account)?;
                let acc = self.account(account)?;
                if acc.account_type != AccountType::Holding {
                    return reject(
                        Code::AccountTypeNotEligible,
                        "voluntary retirement is made from a holding account",
                    );
                }
                self.require_open(account)?;
                let resolved = self.resolve(&Loc::Account(account.clone()), legs)?;
                Ok(self.move_reversibly(
                    cmd,
                    &resolved,
                    &Loc::Account(account.clone()),
                    &Loc::Retired,
                ))
            }
            Command::Cancel {
                account,
                legs,
                reason,
            } => {
                text("reason", reason)?;
                let jur = *self.jurisdiction_of(account)?;
                self.require_regulator(actor, &jur)?;
                let resolved = self.resolve(&Loc::Account(account.clone()), legs)?;
                let from = Loc::Account(account.clone());
                Ok(self.move_reversibly(cmd, &resolved, &from, &Loc::Cancelled))
            }
            Command::Invalidate {
                series,
                ranges,
                reason,
            } => self.invalidate(actor, series, ranges, reason),
            Command::Reverse {
                seq,
                reason,
                original,
            } => self.reverse(actor, *seq, reason, original.as_ref()),
        }
    }

    fn genesis(
        &mut self,
        env: &Envelope,
        name: &str,
        rules: &RegistryRules,
    ) -> Result<Vec<Effect>, Rejection> {
        text("name", name)?;
        check_rules(rules)?;
        self.name = Some(name.to_owned());
        self.admin = Some(env.actor.clone());
        self.rules = rules.clone();
        self.users.insert(
            env.actor.clone(),
            User {
                name: "registry administrator".into(),
                role: UserRole::Admin,
            },
        );
        self.touch(ObjKey::User(env.actor.clone()));
        Ok(vec![])
    }

    // ---- lookups and authority ------------------------------------------------------------

    pub(crate) fn account(&self, id: &AccountId) -> Result<&Account, Rejection> {
        self.accounts.get(id).ok_or_else(|| {
            Rejection::new(Code::UnknownAccount, format!("account {id} does not exist"))
        })
    }
    pub(crate) fn entity(&self, id: &tonne_core::EntityId) -> Result<&Entity, Rejection> {
        self.entities.get(id).ok_or_else(|| {
            Rejection::new(Code::UnknownEntity, format!("entity {id} does not exist"))
        })
    }
    fn jurisdiction(&self, code: &JurisdictionCode) -> Result<&Jurisdiction, Rejection> {
        self.jurisdictions.get(code).ok_or_else(|| {
            Rejection::new(
                Code::UnknownJurisdiction,
                format!("jurisdiction {code} is not hosted here"),
            )
        })
    }
    pub(crate) fn jurisdiction_of(
        &self,
        account: &AccountId,
    ) -> Result<&JurisdictionCode, Rejection> {
        self.account(account)?;
        Ok(self
            .account_jurisdiction(account)
            .expect("accounts belong to entities"))
    }
    pub(crate) fn require_admin(&self, actor: &UserId) -> Result<(), Rejection> {
        match self.users.get(actor).map(|u| &u.role) {
            Some(UserRole::Admin) => Ok(()),
            _ => reject(
                Code::NotAuthorized,
                format!("{actor} is not the registry administrator"),
            ),
        }
    }
    pub(crate) fn is_regulator(&self, actor: &UserId, jur: &JurisdictionCode) -> bool {
        matches!(self.users.get(actor).map(|u| &u.role), Some(UserRole::Regulator { jurisdiction }) if jurisdiction == jur)
    }
    pub(crate) fn require_regulator(
        &self,
        actor: &UserId,
        jur: &JurisdictionCode,
    ) -> Result<(), Rejection> {
        if self.is_regulator(actor, jur) {
            Ok(())
        } else {
            reject(
                Code::NotAuthorized,
                format!("{actor} is not a regulator of {jur}"),
            )
        }
    }
    pub(crate) fn require_rep(&self, actor: &UserId, account: &AccountId) -> Result<(), Rejection> {
        if self.account(account)?.can_act(actor) {
            Ok(())
        } else {
            reject(
                Code::NotAuthorized,
                format!("{actor} is not a primary or alternate representative of {account}"),
            )
        }
    }
    pub(crate) fn require_open(&self, account: &AccountId) -> Result<(), Rejection> {
        is_open(self.account(account)?, account)
    }

    fn set_status(
        &mut self,
        actor: &UserId,
        account: &AccountId,
        reason: &str,
        status: AccountStatus,
    ) -> Result<Vec<Effect>, Rejection> {
        text("reason", reason)?;
        let jur = *self.jurisdiction_of(account)?;
        self.require_regulator(actor, &jur)?;
        let acc = self.account(account)?;
        if acc.status == AccountStatus::Closed {
            return reject(Code::AccountClosed, format!("account {account} is closed"));
        }
        if status == AccountStatus::Closed {
            let held: u64 = acc.holdings.values().map(RangeSet::count).sum();
            let pending = self.open_transfers.iter().any(|t| {
                let tr = &self.transfers[t];
                &tr.from == account || &tr.to == account
            });
            if held > 0 || pending {
                return reject(
                    Code::InvalidField,
                    format!(
                        "account {account} still holds {held} instruments or has open transfers; move or cancel them first"
                    ),
                );
            }
        }
        let acc = self.accounts.get_mut(account).expect("checked");
        acc.status = status;
        acc.status_reason = reason.to_owned();
        self.touch(ObjKey::Account(account.clone()));
        Ok(vec![])
    }

    fn issued_allowances(&self, jur: &JurisdictionCode, year: u16) -> u64 {
        self.series
            .iter()
            .filter(|(s, _)| {
                s.jurisdiction() == jur
                    && s.kind() == InstrumentKind::Allowance
                    && s.vintage() == Some(year)
            })
            .map(|(_, n)| *n)
            .sum()
    }

    // ---- instruments ----------------------------------------------------------------------

    fn issue(
        &mut self,
        actor: &UserId,
        series: &SeriesKey,
        q: u64,
        to: &AccountId,
        t: Timestamp,
    ) -> Result<Vec<Effect>, Rejection> {
        let jur = *series.jurisdiction();
        self.jurisdiction(&jur)?;
        self.require_regulator(actor, &jur)?;
        quantity("quantity", q)?;
        let acc = self.account(to)?;
        self.require_open(to)?;
        let to_jur = self.account_jurisdiction(to).expect("checked");
        let target_ok = match series.kind() {
            InstrumentKind::Allowance => acc.account_type == AccountType::Issuance,
            InstrumentKind::ReserveAllowance => matches!(
                acc.account_type,
                AccountType::Issuance | AccountType::Reserve
            ),
            InstrumentKind::PriceCeilingUnit => matches!(
                acc.account_type,
                AccountType::Issuance | AccountType::PriceCeiling
            ),
            // ARB offset credits are issued into the operator's holding account or a buffer.
            InstrumentKind::OffsetCredit => matches!(
                acc.account_type,
                AccountType::Issuance | AccountType::Holding | AccountType::ForestBuffer
            ),
        };
        if !target_ok {
            return reject(
                Code::AccountTypeNotEligible,
                format!(
                    "{series} cannot be issued into a {:?} account",
                    acc.account_type
                ),
            );
        }
        if acc.account_type.is_government() && *to_jur != jur {
            return reject(
                Code::AccountTypeNotEligible,
                format!("{to} is not a government account of {jur}"),
            );
        }
        // Offset credits may be issued into another jurisdiction's holding account only while
        // the two are linked, as for every other acquisition.
        if !self.linked(&jur, to_jur, t) {
            return reject(
                Code::NotLinked,
                format!(
                    "{series} instruments cannot be held in {to_jur} account {to}: {jur} and {to_jur} are not linked"
                ),
            );
        }
        let issued = self.series.get(series).copied().unwrap_or(0);
        if issued + q > MAX_SERIAL {
            return reject(
                Code::SerialLimit,
                format!("series {series} would pass serial {MAX_SERIAL}"),
            );
        }
        if series.kind() == InstrumentKind::Allowance {
            let year = series.vintage().expect("allowances have vintages");
            let Some(budget) = self.jurisdictions[&jur].budgets.get(&year).copied() else {
                return reject(
                    Code::NoBudget,
                    format!("no {year} budget is set for {jur}; issuance cannot exceed the budget"),
                );
            };
            let already = self.issued_allowances(&jur, year);
            if already + q > budget {
                return reject(
                    Code::QuantityOutOfRange,
                    format!(
                        "issuing {q} would bring {jur} vintage {year} to {} allowances, above its budget of {budget}",
                        already + q
                    ),
                );
            }
        }
        let range = SerialRange::new(issued + 1, issued + q).expect("bounded above");
        let m = Move {
            series: series.clone(),
            range,
            from: Loc::Unissued,
            to: Loc::Account(to.clone()),
        };
        self.move_range(series, range, &Loc::Unissued, &m.to);
        Ok(vec![Effect::Moved(m)])
    }

    /// Resolves legs to exact serial ranges present at `loc` (lowest serials first for a
    /// quantity). Reads only.
    pub(crate) fn resolve(&self, loc: &Loc, legs: &[Leg]) -> Result<Resolved, Rejection> {
        if legs.is_empty() || legs.len() > MAX_LEGS {
            return reject(
                Code::InvalidField,
                format!("a command names 1-{MAX_LEGS} legs"),
            );
        }
        let mut out: Resolved = Vec::with_capacity(legs.len());
        for (i, leg) in legs.iter().enumerate() {
            if out.iter().any(|(s, _)| *s == leg.series) {
                return reject(
                    Code::InvalidField,
                    format!("legs[{i}]: series {} appears twice", leg.series),
                );
            }
            // Serials held at `loc` prove the series was issued; only otherwise is the series
            // table searched (this runs for every leg of every transfer).
            let at = self.set_at(&leg.series, loc);
            if at.is_none() && !self.series.contains_key(&leg.series) {
                return reject(
                    Code::UnknownSeries,
                    format!(
                        "legs[{i}]: no instruments of {} have been issued",
                        leg.series
                    ),
                );
            }
            let empty = RangeSet::new();
            let held = at.unwrap_or(&empty);
            let ranges = match (leg.quantity, leg.ranges.is_empty()) {
                (Some(q), true) => {
                    if q == 0 || q > MAX_QUANTITY {
                        // `quantity`, with the field named only when it is refused.
                        quantity(&format!("legs[{i}].quantity"), q)?;
                    }
                    held.lowest(q).map_err(|_| {
                        Rejection::new(
                            Code::InsufficientHolding,
                            format!(
                                "legs[{i}]: {q} of {} wanted, {} held at {loc}",
                                leg.series,
                                held.count()
                            ),
                        )
                    })?
                }
                (None, false) => {
                    if leg.ranges.len() > MAX_RANGES_PER_LEG {
                        return reject(
                            Code::InvalidField,
                            format!("legs[{i}]: at most {MAX_RANGES_PER_LEG} ranges"),
                        );
                    }
                    let mut seen = RangeSet::new();
                    for r in &leg.ranges {
                        if seen.insert(*r).is_err() {
                            return reject(
                                Code::InvalidField,
                                format!("legs[{i}]: range {r} overlaps another range of the leg"),
                            );
                        }
                        if !held.contains(*r) {
                            return reject(
                                Code::SerialsNotHeld,
                                format!(
                                    "legs[{i}]: serials {}/{r} are not all held at {loc}",
                                    leg.series
                                ),
                            );
                        }
                    }
                    leg.ranges.clone()
                }
                _ => {
                    return reject(
                        Code::InvalidField,
                        format!("legs[{i}]: give either quantity or ranges, not both or neither"),
                    );
                }
            };
            out.push((leg.series.clone(), ranges));
        }
        Ok(out)
    }

    pub(crate) fn move_all(&mut self, resolved: &Resolved, from: &Loc, to: &Loc) -> Vec<Move> {
        let mut moves = Vec::with_capacity(range_count(resolved));
        self.move_all_with(resolved, from, to, |m| moves.push(m));
        moves
    }

    /// Moves resolved serials, handing each move to `out`.
    fn move_all_with(
        &mut self,
        resolved: &Resolved,
        from: &Loc,
        to: &Loc,
        mut out: impl FnMut(Move),
    ) {
        for (series, ranges) in resolved {
            self.move_ranges(series, ranges, from, to);
            for r in ranges {
                out(Move {
                    series: series.clone(),
                    range: *r,
                    from: from.clone(),
                    to: to.clone(),
                });
            }
        }
    }

    /// Moves resolved serials and returns the moves as effects, with room for `more` effects
    /// after them (sized once: transfers add their status change).
    pub(crate) fn move_all_effects(
        &mut self,
        resolved: &Resolved,
        from: &Loc,
        to: &Loc,
        more: usize,
    ) -> Vec<Effect> {
        let mut effects = Vec::with_capacity(range_count(resolved) + more);
        self.move_all_with(resolved, from, to, |m| effects.push(Effect::Moved(m)));
        effects
    }

    /// Moves resolved serials for a command a regulator may later reverse, and records it. The
    /// effects are built directly (not through a vector of moves): nearly every entry of a busy
    /// registry comes through here.
    fn move_reversibly(
        &mut self,
        cmd: &Command,
        resolved: &Resolved,
        from: &Loc,
        to: &Loc,
    ) -> Vec<Effect> {
        let effects = self.move_all_effects(resolved, from, to, 0);
        let moves = effects.iter().map(|e| match e {
            Effect::Moved(m) => m,
            _ => unreachable!("only moves were pushed"),
        });
        self.mark_reversible(cmd, moves);
        effects
    }

    /// Records that the entry being applied may be reversed, with its fingerprint.
    pub(crate) fn mark_reversible<'a>(
        &mut self,
        cmd: &Command,
        moves: impl ExactSizeIterator<Item = &'a Move>,
    ) {
        self.reversible.mark(self.seq + 1, fingerprint(cmd, moves));
    }

    /// Every execution check for instruments arriving at `to` from `from`: account states,
    /// account-type eligibility, linkage, holding limits.
    pub(crate) fn check_acquisition(
        &self,
        from: &AccountId,
        to: &AccountId,
        resolved: &Resolved,
        t: Timestamp,
        via: Via,
    ) -> Result<(), Rejection> {
        use AccountType as A;
        let (src, dst) = (self.account(from)?, self.account(to)?);
        if from == to {
            return reject(
                Code::InvalidField,
                "source and destination are the same account",
            );
        }
        if via != Via::Regulator {
            is_open(src, from)?;
        }
        is_open(dst, to)?;
        let same_entity = src.entity == dst.entity;
        let (s, d) = (src.account_type, dst.account_type);
        let refuse = |why: &str| {
            reject(
                Code::AccountTypeNotEligible,
                format!("{s:?} account {from} -> {d:?} account {to}: {why}"),
            )
        };
        if d == A::Issuance {
            return refuse("an issuance account receives only issuance");
        }
        if via != Via::Regulator {
            if s == A::LimitedUseHolding && d != A::AuctionHolding {
                return refuse(
                    "a limited use holding account may transfer only to the auction holding account (REG-§95831)",
                );
            }
            if s == A::LimitedUseHolding
                && self.account_jurisdiction(from) != self.account_jurisdiction(to)
            {
                return refuse(
                    "consignment goes to the auction holding account of the consignor's own jurisdiction",
                );
            }
            if d == A::LimitedUseHolding && via != Via::Allocation {
                return refuse(
                    "a limited use holding account receives only direct allocation (REG-§95831)",
                );
            }
            if s == A::Compliance {
                return refuse(
                    "instruments leave a compliance account only by surrender or by the regulator (REG-§95831)",
                );
            }
            if s.is_government() && via != Via::Allocation {
                return refuse(
                    "government accounts transfer only by allocation or by the regulator",
                );
            }
            if d == A::Compliance && !(same_entity || via == Via::Allocation) {
                return refuse(
                    "a compliance account receives only from its entity's own accounts or by allocation",
                );
            }
            if d == A::AnnualAllocationHolding && via != Via::Allocation {
                return refuse("an annual allocation holding account receives only allocation");
            }
            if s == A::AnnualAllocationHolding && !same_entity {
                return refuse(
                    "an annual allocation holding account transfers only to its entity's own accounts",
                );
            }
            if d.is_government() && !(s.is_government() || s == A::LimitedUseHolding) {
                return refuse(
                    "jurisdiction accounts receive only from jurisdiction or limited use holding accounts",
                );
            }
        }
        let to_jur = &dst.jurisdiction;
        for (series, _) in resolved {
            if !self.linked(series.jurisdiction(), to_jur, t) {
                return reject(
                    Code::NotLinked,
                    format!(
                        "{series} instruments cannot be held in {to_jur} account {to}: {} and {to_jur} are not linked",
                        series.jurisdiction()
                    ),
                );
            }
        }
        self.check_holding_limit(Some(from), to, resolved, t)
    }

    /// REG-§95920 / QC-s.32: the acquiring corporate group's current-vintage and future-vintage
    /// holdings after the move must stay within the limits computed from the combined budgets of
    /// the linked jurisdictions; allowances in compliance accounts up to the limited exemption
    /// are not counted (reference/cap-and-trade.md §3.1).
    pub(crate) fn check_holding_limit(
        &self,
        from: Option<&AccountId>,
        to: &AccountId,
        resolved: &Resolved,
        t: Timestamp,
    ) -> Result<(), Rejection> {
        let Some((group, to_compliance)) = self.counted_group(to) else {
            return Ok(());
        };
        let from_same_group = from
            .and_then(|f| self.counted_group(f))
            .filter(|(g, _)| *g == group)
            .map(|(_, c)| c);
        // Per vintage: change in (holding, compliance) allowances of the acquiring group.
        let mut delta: Vec<(u16, i128, i128)> = Vec::with_capacity(resolved.len());
        for (series, ranges) in resolved {
            if series.kind() != InstrumentKind::Allowance {
                continue;
            }
            let v = series.vintage().expect("allowances have vintages");
            let q: i128 = ranges.iter().map(|r| i128::from(r.len())).sum();
            let mut d = if to_compliance { (0, q) } else { (q, 0) };
            match from_same_group {
                Some(true) => d.1 -= q,
                Some(false) => d.0 -= q,
                None => {}
            }
            match delta.iter_mut().find(|x| x.0 == v) {
                Some(x) => {
                    x.1 += d.0;
                    x.2 += d.1;
                }
                None => delta.push((v, d.0, d.1)),
            }
        }
        if delta.is_empty() {
            return Ok(());
        }
        let jur = *self.account_jurisdiction(to).expect("checked");
        let current_year = self.jurisdictions[&jur].calendar.year(t);
        let empty = GroupTotals::default();
        let totals = self.groups.get(group).unwrap_or(&empty);
        let exemption = i128::from(totals.exemption());
        let held = |v: u16| {
            totals
                .vintages
                .get(&v)
                .map_or((0i128, 0i128), |(h, c)| (i128::from(*h), i128::from(*c)))
        };
        // Current-vintage limit: current and prior vintages together; allowances in compliance
        // accounts up to the limited exemption are not counted.
        if delta.iter().any(|d| d.0 <= current_year) {
            let (mut h, mut c) = (0i128, 0i128);
            for (_, (vh, vc)) in totals.vintages.range(..=current_year) {
                h += i128::from(*vh);
                c += i128::from(*vc);
            }
            let count = |h: i128, c: i128| h + (c - exemption).max(0);
            let before = count(h, c);
            for d in delta.iter().filter(|d| d.0 <= current_year) {
                h += d.1;
                c += d.2;
            }
            let after = count(h, c);
            let limit = self.limit_for(&jur, current_year, t)?;
            if after > i128::from(limit) && after > before {
                return reject(
                    Code::HoldingLimitExceeded,
                    format!(
                        "group {group} would hold {after} current-vintage allowances (limited exemption {exemption} applied), above the {current_year} holding limit of {limit}"
                    ),
                );
            }
        }
        // Future-vintage limit: each later vintage separately.
        for &(v, dh, dc) in delta.iter().filter(|d| d.0 > current_year) {
            let (h, c) = held(v);
            let (before, after) = (h + c, h + c + dh + dc);
            let limit = self.limit_for(&jur, v, t)?;
            if after > i128::from(limit) && after > before {
                return reject(
                    Code::HoldingLimitExceeded,
                    format!(
                        "group {group} would hold {after} vintage-{v} allowances, above that vintage's holding limit of {limit}"
                    ),
                );
            }
        }
        Ok(())
    }

    /// Holding limit for `year` from the combined budgets of `jur` and the jurisdictions linked
    /// with it at `t`.
    pub fn limit_for(
        &self,
        jur: &JurisdictionCode,
        year: u16,
        t: Timestamp,
    ) -> Result<u64, Rejection> {
        let mut budget: u64 = 0;
        for (code, j) in &self.jurisdictions {
            if self.linked(code, jur, t) {
                let Some(b) = j.budgets.get(&year) else {
                    return reject(
                        Code::NoBudget,
                        format!(
                            "no {year} budget is set for {code}, so the holding limit cannot be computed"
                        ),
                    );
                };
                budget += b;
            }
        }
        // Jurisdictions hosted by linked peer registries count with the budgets recorded for
        // them; one not recorded is left out, which can only make the limit stricter.
        budget += self.peer_budgets(jur, year, t);
        Ok(holding_limit(budget, self.rules.small_budget_limit_bp))
    }

    fn surrender(
        &mut self,
        env: &Envelope,
        cmd: &Command,
        obligation: &tonne_core::ObligationId,
        account: &AccountId,
        legs: &[Leg],
    ) -> Result<Vec<Effect>, Rejection> {
        let ob = self
            .obligations
            .get(obligation)
            .ok_or_else(|| {
                Rejection::new(
                    Code::UnknownObligation,
                    format!("obligation {obligation} does not exist"),
                )
            })?
            .clone();
        self.require_regulator(&env.actor, &ob.jurisdiction)?;
        let acc = self.account(account)?;
        if acc.entity != ob.entity || acc.account_type != AccountType::Compliance {
            return reject(
                Code::AccountTypeNotEligible,
                format!("{account} is not the compliance account of {}", ob.entity),
            );
        }
        if acc.status == AccountStatus::Closed {
            return reject(Code::AccountClosed, format!("account {account} is closed"));
        }
        let resolved = self.resolve(&Loc::Account(account.clone()), legs)?;
        for (series, _) in &resolved {
            // REG-§95856(b)(2): allowance vintage <= the last data year of the obligation;
            // non-vintage instruments and untimely (excess emissions) surrenders are exempt.
            if ob.compliance.untimely_of.is_none()
                && series.kind() == InstrumentKind::Allowance
                && series.vintage().is_some_and(|v| v > ob.last_year)
            {
                return reject(
                    Code::VintageNotEligible,
                    format!(
                        "{series} is a later vintage than {}, the last year of obligation {obligation} (REG-§95856(b)(2))",
                        ob.last_year
                    ),
                );
            }
            if !self.surrenderable(series, &ob.jurisdiction, env.ts) {
                return reject(
                    Code::NotLinked,
                    format!(
                        "{series} cannot be surrendered for a {} obligation",
                        ob.jurisdiction
                    ),
                );
            }
        }
        let counters = self.surrender_limits(obligation, &ob, &resolved)?;
        let q = total(&resolved);
        let outstanding = ob.quantity - ob.surrendered;
        if q > outstanding {
            return reject(
                Code::ExceedsObligation,
                format!("surrendering {q} exceeds the {outstanding} outstanding on {obligation}"),
            );
        }
        self.adjust_surrendered(obligation, q as i128);
        self.add_surrender_counters(obligation, counters, 1);
        let from = Loc::Account(account.clone());
        Ok(self.move_reversibly(cmd, &resolved, &from, &Loc::Retired))
    }

    pub(crate) fn adjust_surrendered(&mut self, obligation: &tonne_core::ObligationId, q: i128) {
        let ob = self.obligations.get_mut(obligation).expect("checked");
        ob.surrendered = (i128::from(ob.surrendered) + q) as u64;
        debug_assert!(ob.surrendered <= ob.quantity);
        let group = self.entities[&ob.entity].group.clone();
        let g = self.groups.entry(group).or_default();
        g.surrendered = (i128::from(g.surrendered) + q) as u64;
        self.touch(ObjKey::Obligation(obligation.clone()));
    }

    fn invalidate(
        &mut self,
        actor: &UserId,
        series: &SeriesKey,
        ranges: &[SerialRange],
        reason: &str,
    ) -> Result<Vec<Effect>, Rejection> {
        text("reason", reason)?;
        self.require_regulator(actor, series.jurisdiction())?;
        if series.kind() != InstrumentKind::OffsetCredit {
            return reject(
                Code::InstrumentNotEligible,
                format!("only offset credits are invalidated (REG-§95985); {series} is not"),
            );
        }
        let issued = self.series.get(series).copied().unwrap_or(0);
        if ranges.is_empty() || ranges.len() > MAX_RANGES_PER_LEG {
            return reject(
                Code::InvalidField,
                format!("name 1-{MAX_RANGES_PER_LEG} serial ranges"),
            );
        }
        let mut seen = RangeSet::new();
        let mut pieces: Vec<(Loc, SerialRange)> = Vec::new();
        let mut account_ids: Vec<&AccountId> = self.accounts.keys().collect();
        account_ids.sort();
        for r in ranges {
            if seen.insert(*r).is_err() {
                return reject(Code::InvalidField, format!("range {r} is named twice"));
            }
            if r.end() > issued {
                return reject(
                    Code::SerialsNotHeld,
                    format!("serials {series}/{r} have not all been issued"),
                );
            }
            let mut found = 0;
            for a in &account_ids {
                if let Some(set) = self.accounts[*a].holdings.get(series) {
                    for p in set.intersect(*r) {
                        found += p.len();
                        pieces.push((Loc::Account((*a).clone()), p));
                    }
                }
            }
            for t in &self.open_transfers {
                if let Some(set) = self.transfers[t].escrow.get(series) {
                    for p in set.intersect(*r) {
                        found += p.len();
                        pieces.push((Loc::Escrow(t.clone()), p));
                    }
                }
            }
            if let Some(set) = self.retired.get(series) {
                for p in set.intersect(*r) {
                    found += p.len();
                    pieces.push((Loc::Retired, p));
                }
            }
            if found != r.len() {
                return reject(
                    Code::SerialsNotHeld,
                    format!("some serials of {series}/{r} are already cancelled or invalidated"),
                );
            }
        }
        let mut effects = Vec::new();
        // Pending transfers that carry invalidated serials are cancelled first, their escrow
        // returned, so no transfer executes with credits that no longer exist.
        let affected: std::collections::BTreeSet<_> = pieces
            .iter()
            .filter_map(|(l, _)| {
                if let Loc::Escrow(t) = l {
                    Some(t.clone())
                } else {
                    None
                }
            })
            .collect();
        for t in &affected {
            effects.extend(self.close_transfer(t, TransferState::Cancelled));
        }
        for (loc, p) in pieces {
            let loc = match loc {
                Loc::Escrow(t) => Loc::Account(self.transfers[&t].from.clone()),
                l => l,
            };
            self.move_range(series, p, &loc, &Loc::Invalidated);
            effects.push(Effect::Moved(Move {
                series: series.clone(),
                range: p,
                from: loc,
                to: Loc::Invalidated,
            }));
        }
        Ok(effects)
    }

    fn reverse(
        &mut self,
        actor: &UserId,
        seq: u64,
        reason: &str,
        original: Option<&crate::command::ReversalSource>,
    ) -> Result<Vec<Effect>, Rejection> {
        text("reason", reason)?;
        let Some((d, reversed)) = self.reversible.get(seq) else {
            return reject(
                Code::NotReversible,
                format!("journal entry {seq} moved no instruments that a reversal can return"),
            );
        };
        if reversed {
            return reject(
                Code::AlreadyReversed,
                format!("journal entry {seq} was already reversed"),
            );
        }
        let Some(src) = original else {
            return reject(
                Code::UnknownEntry,
                format!("the original of entry {seq} was not supplied"),
            );
        };
        if fingerprint(&src.command, src.moves.iter()) != d {
            return reject(
                Code::UnknownEntry,
                format!("the supplied original does not match journal entry {seq}"),
            );
        }
        let mut back = Vec::new();
        for m in &src.moves {
            let source = match &m.from {
                Loc::Account(a) => a.clone(),
                Loc::Escrow(t) => self.transfers[t].from.clone(),
                _ => continue,
            };
            let jur = *self.jurisdiction_of(&source)?;
            self.require_regulator(actor, &jur)?;
            if self.account(&source)?.status == AccountStatus::Closed {
                return reject(Code::AccountClosed, format!("account {source} is closed"));
            }
            if !self
                .set_at(&m.series, &m.to)
                .is_some_and(|s| s.contains(m.range))
            {
                return reject(
                    Code::SerialsNotHeld,
                    format!("serials {}/{} are no longer at {}", m.series, m.range, m.to),
                );
            }
            back.push(Move {
                series: m.series.clone(),
                range: m.range,
                from: m.to.clone(),
                to: Loc::Account(source),
            });
        }
        if back.is_empty() {
            return reject(
                Code::NotReversible,
                format!("journal entry {seq} has nothing to reverse"),
            );
        }
        for m in &back {
            self.move_range(&m.series, m.range, &m.from, &m.to);
            self.unnote_consignment(m);
        }
        if let Command::Surrender { obligation, .. } = &*src.command {
            let q: u64 = back.iter().map(|m| m.range.len()).sum();
            self.adjust_surrendered(obligation, -(q as i128));
            let mut resolved: Resolved = Vec::new();
            for m in &back {
                match resolved.iter_mut().find(|(s, _)| *s == m.series) {
                    Some((_, rs)) => rs.push(m.range),
                    None => resolved.push((m.series.clone(), vec![m.range])),
                }
            }
            let counters = self.surrender_counters(&resolved);
            self.add_surrender_counters(obligation, counters, -1);
        }
        self.reversible.set_reversed(seq);
        Ok(back.into_iter().map(Effect::Moved).collect())
    }
}

/// [`State::require_open`] for an account already looked up.
fn is_open(acc: &Account, id: &AccountId) -> Result<(), Rejection> {
    match acc.status {
        AccountStatus::Open => Ok(()),
        AccountStatus::Frozen => reject(Code::AccountFrozen, format!("account {id} is frozen")),
        AccountStatus::Closed => reject(Code::AccountClosed, format!("account {id} is closed")),
    }
}

pub(crate) fn vintage(y: u16) -> Result<(), Rejection> {
    if !(MIN_VINTAGE..=MAX_VINTAGE).contains(&y) {
        return reject(
            Code::InvalidField,
            format!("year {y} is outside {MIN_VINTAGE}..={MAX_VINTAGE}"),
        );
    }
    Ok(())
}

fn check_rules(r: &RegistryRules) -> Result<(), Rejection> {
    if r.confirm_window_days == 0
        || r.confirm_window_days > r.accept_window_days
        || r.accept_window_days > 60
    {
        return reject(
            Code::InvalidField,
            "windows must satisfy 1 <= confirm_window_days <= accept_window_days <= 60",
        );
    }
    if r.small_budget_limit_bp > 10_000 {
        return reject(
            Code::InvalidField,
            "small_budget_limit_bp is at most 10000 (100 %)",
        );
    }
    if let Some(t) = &r.trusted_accounts
        && (t.activation_business_days > 60
            || t.untrusted_delay_hours > 24 * 60
            || t.untrusted_max_quantity == Some(0))
    {
        return reject(
            Code::InvalidField,
            "trusted_accounts: activation <= 60 business days, delay <= 1440 hours, cap >= 1",
        );
    }
    Ok(())
}

/// MRV verification commands and obligations computed from verified reports.
impl State {
    fn verification_command(
        &mut self,
        env: &Envelope,
        vc: &VerificationCommand,
    ) -> Result<Vec<Effect>, Rejection> {
        use VerificationCommand as V;
        let actor = &env.actor;
        let is_admin = matches!(
            self.users.get(actor).map(|u| &u.role),
            Some(UserRole::Admin)
        );
        // The jurisdiction whose regulator acts: the report's (or, on submission, the named
        // one); bodies and verifiers are registry-wide, so any regulator accredits them.
        let report_id = match vc {
            V::SetRules { .. } | V::RegisterBody { .. } | V::AccreditVerifier { .. } => None,
            V::SubmitReport { report, .. }
            | V::AssessConflict { report, .. }
            | V::AssignVerification { report, .. }
            | V::RecordFinding { report, .. }
            | V::CorrectFinding { report, .. }
            | V::CompleteReview { report }
            | V::IssueStatement { report } => Some(report.clone()),
        };
        let jurisdiction: Option<JurisdictionCode> = match vc {
            V::SubmitReport {
                jurisdiction,
                entity,
                ..
            } => {
                let code = JurisdictionCode::parse(jurisdiction).map_err(|e| {
                    Rejection::new(Code::InvalidField, format!("jurisdiction: {e}"))
                })?;
                self.jurisdiction(&code)?;
                let eid = EntityId::parse(entity)
                    .map_err(|e| Rejection::new(Code::InvalidField, format!("entity: {e}")))?;
                if self.entity(&eid)?.jurisdiction != code {
                    return reject(
                        Code::InvalidField,
                        format!(
                            "entity {entity} belongs to {}, not {code}",
                            self.entity(&eid)?.jurisdiction
                        ),
                    );
                }
                Some(code)
            }
            _ => report_id
                .as_deref()
                .and_then(|r| self.verification.reports.get(r))
                .and_then(|r| JurisdictionCode::parse(&r.jurisdiction).ok()),
        };
        let is_regulator = is_admin
            || match jurisdiction {
                Some(j) => self.is_regulator(actor, &j),
                None => matches!(
                    self.users.get(actor).map(|u| &u.role),
                    Some(UserRole::Regulator { .. })
                ),
            };
        let today = match jurisdiction.and_then(|j| self.jurisdictions.get(&j)) {
            Some(j) => j.calendar.local_date(env.ts).to_string(),
            None => env.ts.to_datetime().date_naive().to_string(),
        };
        let represents = |entity: &str| -> bool {
            EntityId::parse(entity)
                .ok()
                .and_then(|e| self.entities.get(&e))
                .is_some_and(|e| {
                    e.accounts
                        .values()
                        .any(|a| self.accounts.get(a).is_some_and(|acc| acc.can_act(actor)))
                })
        };
        let ctx = Ctx {
            actor_user: actor.as_str(),
            actor_is_regulator: is_regulator,
            actor_represents: &represents,
            today,
        };
        // The workflow checks everything before it mutates, so no copy is needed.
        let effect = self.verification.apply(vc, &ctx).map_err(|e| {
            let code = match e {
                VerificationError::Invalid(_) => Code::VerificationInvalid,
                VerificationError::Unknown(_) => Code::VerificationUnknown,
                VerificationError::NotAuthorised(_) => Code::VerificationNotAuthorized,
                VerificationError::Expired(_) => Code::AccreditationExpired,
                VerificationError::Conflict(_) => Code::ConflictOfInterest,
                VerificationError::Rotation(_) => Code::RotationLimit,
                VerificationError::WrongState(_) => Code::VerificationWrongState,
            };
            debug_assert_eq!(code.number(), e.code());
            Rejection::new(code, e.to_string())
        })?;
        let key = match vc {
            V::SetRules { .. } => ObjKey::Meta,
            V::RegisterBody { body, .. } => ObjKey::VerificationBody(body.clone()),
            V::AccreditVerifier { verifier, .. } => ObjKey::Verifier(verifier.clone()),
            _ => ObjKey::EmissionsReport(report_id.expect("report commands name a report")),
        };
        self.touch(key);
        Ok(vec![Effect::Verification(effect)])
    }

    /// An obligation computed from verified reports must equal the sum of their verified
    /// covered emissions, each rounded to whole tonnes (half away from zero; the programme's
    /// rounding rule is UNVERIFIED in reference/mrv.md, so #4's programme rules may change it).
    /// Records an obligation after every check; returns its quantity.
    pub(crate) fn record_obligation(
        &mut self,
        actor: &UserId,
        spec: &ObligationSpec<'_>,
        basis: Basis<'_>,
    ) -> Result<u64, Rejection> {
        let ObligationSpec {
            obligation,
            entity,
            jurisdiction,
            label,
            first_year,
            last_year,
            from_reports,
        } = *spec;
        self.require_regulator(actor, jurisdiction)?;
        text("label", label)?;
        let e = self.entity(entity)?;
        // Only the entity's own jurisdiction records its obligations: a surrender removes
        // instruments from the entity's compliance account.
        if e.jurisdiction != *jurisdiction {
            return reject(
                Code::NotAuthorized,
                format!(
                    "entity {entity} belongs to {}; only its regulator records its obligations",
                    e.jurisdiction
                ),
            );
        }
        if !matches!(e.entity_type, EntityType::Covered | EntityType::OptIn) {
            return reject(
                Code::InvalidField,
                format!("entity {entity} is not a covered or opt-in entity"),
            );
        }
        vintage(first_year)?;
        vintage(last_year)?;
        if first_year > last_year {
            return reject(Code::InvalidField, "first_year is after last_year");
        }
        let q = match basis {
            Basis::Stated(q) => {
                quantity("quantity", q)?;
                self.check_obligation_basis(entity, jurisdiction, q, from_reports)?;
                q
            }
            Basis::Share { share_bp, less } => self.obligation_from_share(spec, share_bp, less)?,
        };
        if self.obligations.contains_key(obligation) {
            return reject(
                Code::DuplicateId,
                format!("obligation {obligation} already exists"),
            );
        }
        let group = e.group.clone();
        self.obligations.insert(
            obligation.clone(),
            Obligation {
                entity: entity.clone(),
                jurisdiction: *jurisdiction,
                label: label.to_owned(),
                first_year,
                last_year,
                quantity: q,
                surrendered: 0,
                from_reports: from_reports.to_vec(),
                compliance: Default::default(),
            },
        );
        self.groups.entry(group).or_default().obligations += q;
        self.touch(ObjKey::Obligation(obligation.clone()));
        Ok(q)
    }

    fn check_obligation_basis(
        &self,
        entity: &EntityId,
        jurisdiction: &JurisdictionCode,
        quantity: u64,
        reports: &[String],
    ) -> Result<(), Rejection> {
        if reports.is_empty() {
            return Ok(());
        }
        let sum = self.verified_sum(entity, jurisdiction, reports, &[])?;
        if sum != quantity {
            return reject(
                Code::InvalidField,
                format!(
                    "quantity {quantity} differs from the verified covered emissions of the reports, {sum} t CO2e"
                ),
            );
        }
        Ok(())
    }

    /// The verified covered emissions of `reports` in whole tonnes (each rounded half away from
    /// zero at the obligation boundary), after checking each is the entity's, verified, and not
    /// already counted by an obligation other than those in `reusable_of`.
    pub(crate) fn verified_sum(
        &self,
        entity: &EntityId,
        jurisdiction: &JurisdictionCode,
        reports: &[String],
        reusable_of: &[tonne_core::ObligationId],
    ) -> Result<u64, Rejection> {
        let mut sum = 0u64;
        for (i, id) in reports.iter().enumerate() {
            if reports[..i].contains(id) {
                return reject(Code::InvalidField, format!("from_reports names {id} twice"));
            }
            let r = self.verification.reports.get(id).ok_or_else(|| {
                Rejection::new(
                    Code::VerificationUnknown,
                    format!("no emissions report {id}"),
                )
            })?;
            if r.entity != entity.as_str() || r.jurisdiction != jurisdiction.to_string() {
                return reject(
                    Code::InvalidField,
                    format!(
                        "report {id} is {}'s in {}, not {entity}'s in {jurisdiction}",
                        r.entity, r.jurisdiction
                    ),
                );
            }
            let Some(t) = r.verified_covered_co2e_t() else {
                return reject(
                    Code::VerificationWrongState,
                    format!(
                        "report {id} has no positive or qualified positive verification statement"
                    ),
                );
            };
            if let Some((oid, o)) = self
                .obligations
                .iter()
                .find(|(oid, o)| o.from_reports.contains(id) && !reusable_of.contains(oid))
            {
                return reject(
                    Code::DuplicateId,
                    format!(
                        "report {id} already counts toward obligation {oid} ({})",
                        o.label
                    ),
                );
            }
            let whole = whole_tonnes(t).ok_or_else(|| {
                Rejection::new(
                    Code::QuantityOutOfRange,
                    format!("report {id}: emissions out of range"),
                )
            })?;
            sum = sum.checked_add(whole).ok_or_else(|| {
                Rejection::new(Code::QuantityOutOfRange, "verified emissions overflow")
            })?;
        }
        Ok(sum)
    }

    /// The verified covered emissions of report `id` in whole tonnes, as obligations count
    /// them; `None` before a positive or qualified positive statement.
    pub fn verified_tonnes(&self, id: &str) -> Option<u64> {
        whole_tonnes(
            self.verification
                .reports
                .get(id)?
                .verified_covered_co2e_t()?,
        )
    }
}

/// Covered emissions as an obligation counts them: whole metric tons, rounded half away from
/// zero (the rounding rule is UNVERIFIED, reference/mrv.md; tonne-mrv's programme parameter).
pub fn whole_tonnes(t: rust_decimal::Decimal) -> Option<u64> {
    let whole = tonne_mrv::num::round::obligation_tonnes(
        t,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    u64::try_from(whole.mantissa() / 10i128.pow(whole.scale())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonne_core::SerialRange;

    fn mv(series: &str, start: u64, end: u64, from: &str, to: &str) -> Move {
        let at = |a: &str| Loc::Account(AccountId::parse(a).expect("account id"));
        Move {
            series: SeriesKey::parse(series).expect("series"),
            range: SerialRange::new(start, end).expect("range"),
            from: at(from),
            to: at(to),
        }
    }

    /// Every part of every move counts, including those hashed only where they change.
    #[test]
    fn the_fingerprint_changes_with_any_part_of_any_move() {
        let cmd = Command::Tick {};
        let base = vec![
            mv("US-CA/ALW/2026", 1, 10, "A1", "B1"),
            mv("US-CA/ALW/2026", 20, 30, "A1", "B1"),
            mv("US-CA/ALW/2026", 40, 50, "A1", "B1"),
        ];
        let fp = |m: &[Move]| fingerprint(&cmd, m.iter());
        assert_eq!(fp(&base), fp(&base.clone()));
        let variants: [fn(&mut Vec<Move>); 6] = [
            |m| m[2].to = mv("US-CA/ALW/2026", 1, 1, "A1", "C1").to,
            |m| m[1].from = mv("US-CA/ALW/2026", 1, 1, "C1", "B1").from,
            |m| m[2].series = SeriesKey::parse("US-CA/ALW/2027").unwrap(),
            |m| m[1].range = SerialRange::new(20, 31).unwrap(),
            |m| m.swap(0, 2),
            |m| {
                m.pop();
            },
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut m = base.clone();
            change(&mut m);
            assert_ne!(fp(&base), fp(&m), "variant {i}");
        }
    }
}
