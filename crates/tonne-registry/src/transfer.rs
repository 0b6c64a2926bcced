//! The REG-§95921 transfer workflow: a representative of the transferring account proposes,
//! another representative of the same entity confirms within the confirmation window, a
//! representative of the receiving account accepts within the acceptance window (not needed
//! between an entity's own accounts), then the transfer executes — or waits, outside the trusted
//! account list, for the configured delay. Serials are held in escrow while the request is open.

use crate::apply::{Resolved, Via, text, total};
use crate::command::{Command, Envelope, TransactionType};
use crate::effect::{Effect, Loc, Move};
use crate::rejection::{Code, Rejection, reject};
use crate::state::*;
use tonne_core::{AccountId, RangeSet, Timestamp, TransferId};

impl State {
    pub(crate) fn transfer_command(
        &mut self,
        env: &Envelope,
        cmd: &Command,
    ) -> Result<Vec<Effect>, Rejection> {
        let (t, actor) = (env.ts, &env.actor);
        match cmd {
            Command::ProposeTransfer {
                transfer,
                from,
                to,
                legs,
                transaction_type,
                price,
                settlement_date,
            } => {
                if self.transfers.contains_key(transfer) {
                    return reject(
                        Code::DuplicateId,
                        format!("transfer {transfer} already exists"),
                    );
                }
                self.require_rep(actor, from)?;
                if self.account(from)?.acting_representatives() < 2 {
                    return reject(
                        Code::NeedsTwoRepresentatives,
                        format!(
                            "account {from} needs a second representative to confirm transfers (REG-§95921)"
                        ),
                    );
                }
                let same_entity = self.account(from)?.entity == self.account(to)?.entity;
                check_terms(
                    *transaction_type,
                    same_entity,
                    price.as_ref(),
                    settlement_date.as_deref(),
                )?;
                let resolved = self.resolve(&Loc::Account(from.clone()), legs)?;
                self.check_acquisition(from, to, &resolved, t, Via::Request)?;
                let q = total(&resolved);
                if !same_entity
                    && let Some(tal) = &self.rules.trusted_accounts
                    && let Some(cap) = tal.untrusted_max_quantity
                    && !self.trusted(from, to, t)
                    && q > cap
                {
                    return reject(
                        Code::UntrustedTransferCap,
                        format!(
                            "{q} exceeds the {cap} allowed per transfer to an account outside {from}'s trusted list"
                        ),
                    );
                }
                let jur = *self.account_jurisdiction(from).expect("checked");
                let cal = &self.jurisdictions[&jur].calendar;
                let window = |days: u32| {
                    if self.rules.windows_in_business_days {
                        cal.add_business_days(t, days)
                    } else {
                        t.plus_days(days)
                    }
                };
                let (confirm_by, accept_by) = (
                    window(self.rules.confirm_window_days),
                    window(self.rules.accept_window_days),
                );
                self.transfers.insert(
                    transfer.clone(),
                    Box::new(Transfer {
                        from: from.clone(),
                        to: to.clone(),
                        quantity: q,
                        transaction_type: *transaction_type,
                        price: price.clone(),
                        settlement_date: settlement_date.clone(),
                        proposer: actor.clone(),
                        confirmer: None,
                        proposed_at: t,
                        confirm_by,
                        accept_by,
                        needs_acceptance: !same_entity,
                        status: TransferState::Proposed,
                        escrow: Default::default(),
                    }),
                );
                self.open_transfers.insert(transfer.clone());
                self.touch(ObjKey::Transfer(transfer.clone()));
                let mut effects = self.move_all_effects(
                    &resolved,
                    &Loc::Account(from.clone()),
                    &Loc::Escrow(transfer.clone()),
                    1,
                );
                effects.push(status(transfer, TransferState::Proposed));
                Ok(effects)
            }
            Command::ConfirmTransfer { transfer } => {
                let tr = self.open_transfer(transfer)?;
                let entity = self.account(&tr.from)?.entity.clone();
                let is_rep = self.entities[&entity]
                    .accounts
                    .values()
                    .any(|a| self.accounts[a].can_act(actor));
                if !is_rep {
                    return reject(
                        Code::NotAuthorized,
                        format!(
                            "{actor} is not a representative of the transferring entity {entity}"
                        ),
                    );
                }
                if &tr.proposer == actor {
                    return reject(
                        Code::SameRepresentative,
                        "another representative than the proposer must confirm (REG-§95921)",
                    );
                }
                awaiting(
                    tr,
                    transfer,
                    TransferState::Proposed,
                    "confirmation",
                    tr.confirm_by,
                    t,
                )?;
                let needs_acceptance = tr.needs_acceptance;
                if !needs_acceptance {
                    self.check_execution(transfer, t)?;
                }
                let tr = self.transfers.get_mut(transfer).expect("checked");
                tr.confirmer = Some(actor.clone());
                tr.status = TransferState::Confirmed;
                self.touch(ObjKey::Transfer(transfer.clone()));
                let mut effects = vec![status(transfer, TransferState::Confirmed)];
                if !needs_acceptance {
                    effects.extend(self.execute_or_delay(cmd, transfer, t));
                }
                Ok(effects)
            }
            Command::AcceptTransfer { transfer } => {
                let tr = self.open_transfer(transfer)?;
                self.require_rep(actor, &tr.to.clone())?;
                awaiting(
                    tr,
                    transfer,
                    TransferState::Confirmed,
                    "acceptance",
                    tr.accept_by,
                    t,
                )?;
                self.check_execution(transfer, t)?;
                Ok(self.execute_or_delay(cmd, transfer, t))
            }
            Command::DeclineTransfer { transfer, reason } => {
                text("reason", reason)?;
                let tr = self.open_transfer(transfer)?;
                self.require_rep(actor, &tr.to.clone())?;
                if matches!(tr.status, TransferState::Delayed { .. }) {
                    return reject(
                        Code::TransferNotPending,
                        format!("transfer {transfer} was already accepted"),
                    );
                }
                Ok(self.close_transfer(transfer, TransferState::Declined))
            }
            Command::CancelTransfer { transfer, reason } => {
                text("reason", reason)?;
                let tr = self.open_transfer(transfer)?;
                let entity = self.account(&tr.from)?.entity.clone();
                let jur = self.entities[&entity].jurisdiction;
                let is_rep = self.entities[&entity]
                    .accounts
                    .values()
                    .any(|a| self.accounts[a].can_act(actor));
                if !is_rep && !self.is_regulator(actor, &jur) {
                    return reject(
                        Code::NotAuthorized,
                        format!("{actor} may not cancel transfer {transfer}"),
                    );
                }
                Ok(self.close_transfer(transfer, TransferState::Cancelled))
            }
            Command::Tick {} => {
                let role_ok = matches!(
                    self.users.get(actor).map(|u| &u.role),
                    Some(
                        crate::command::UserRole::System
                            | crate::command::UserRole::Admin
                            | crate::command::UserRole::Regulator { .. }
                    )
                );
                if !role_ok {
                    return reject(
                        Code::NotAuthorized,
                        format!("{actor} may not run the scheduler"),
                    );
                }
                let mut effects = Vec::new();
                // One tick may execute several delayed transfers: they are reversible together,
                // as one journal entry.
                let mut back = Vec::new();
                let open: Vec<TransferId> = self.open_transfers.iter().cloned().collect();
                for id in open {
                    let tr = &self.transfers[&id];
                    match tr.status {
                        TransferState::Proposed if t > tr.confirm_by => {
                            effects.extend(self.close_transfer(&id, TransferState::Expired))
                        }
                        TransferState::Confirmed if t > tr.accept_by => {
                            effects.extend(self.close_transfer(&id, TransferState::Expired))
                        }
                        TransferState::Delayed { until } if t >= until => {
                            match self.check_execution(&id, t) {
                                Ok(()) => effects.extend(self.execute(&id, &mut back)),
                                Err(r) => effects.extend(self.close_transfer(
                                    &id,
                                    TransferState::Denied {
                                        code: r.code.number(),
                                    },
                                )),
                            }
                        }
                        _ => {}
                    }
                }
                if !back.is_empty() {
                    self.mark_reversible(cmd, back.iter());
                }
                Ok(effects)
            }
            _ => unreachable!("only transfer commands are routed here"),
        }
    }

    fn open_transfer(&self, id: &TransferId) -> Result<&Transfer, Rejection> {
        let tr = self.transfers.get(id).ok_or_else(|| {
            Rejection::new(
                Code::UnknownTransfer,
                format!("transfer {id} does not exist"),
            )
        })?;
        if !tr.status.is_open() {
            return reject(
                Code::TransferNotPending,
                format!("transfer {id} is already {}", tr.status.name()),
            );
        }
        Ok(tr)
    }

    fn escrowed(&self, id: &TransferId) -> Resolved {
        self.transfers[id]
            .escrow
            .iter()
            .map(|(s, set)| (s.clone(), set.iter().collect()))
            .collect()
    }

    /// Execution checks again at execution time: the world may have changed since the request.
    fn check_execution(&self, id: &TransferId, t: Timestamp) -> Result<(), Rejection> {
        let tr = &self.transfers[id];
        let resolved = self.escrowed(id);
        self.check_acquisition(&tr.from, &tr.to, &resolved, t, Via::Request)
    }

    fn trusted(&self, from: &AccountId, to: &AccountId, t: Timestamp) -> bool {
        self.accounts[from]
            .trusted
            .get(to)
            .is_some_and(|active| *active <= t)
    }

    fn execute_or_delay(&mut self, cmd: &Command, id: &TransferId, t: Timestamp) -> Vec<Effect> {
        let tr = &self.transfers[id];
        let delay = match &self.rules.trusted_accounts {
            Some(tal) if tr.needs_acceptance && !self.trusted(&tr.from, &tr.to, t) => {
                Some(tal.untrusted_delay_hours)
            }
            _ => None,
        };
        match delay {
            Some(h) if h > 0 => {
                let st = TransferState::Delayed {
                    until: t.plus_hours(h),
                };
                self.transfers.get_mut(id).expect("checked").status = st;
                self.touch(ObjKey::Transfer(id.clone()));
                vec![status(id, st)]
            }
            _ => {
                let mut back = Vec::new();
                let effects = self.execute(id, &mut back);
                self.mark_reversible(cmd, back.iter());
                effects
            }
        }
    }

    /// Moves the escrowed serials to the receiver and appends to `back` the moves a reversal
    /// returns (from the transferring account); the caller marks the entry reversible.
    fn execute(&mut self, id: &TransferId, back: &mut Vec<Move>) -> Vec<Effect> {
        let (from, to) = {
            let tr = &self.transfers[id];
            (tr.from.clone(), tr.to.clone())
        };
        let resolved = self.escrowed(id);
        self.note_consignment(&from, &to, &resolved);
        let mut effects =
            self.move_all_effects(&resolved, &Loc::Escrow(id.clone()), &Loc::Account(to), 1);
        debug_assert!(self.transfers[id].escrow.is_empty());
        self.finish(id, TransferState::Executed);
        // A reversal returns executed serials to the transferring account.
        back.extend(effects.iter().filter_map(|e| match e {
            Effect::Moved(m) => Some(Move {
                from: Loc::Account(from.clone()),
                ..m.clone()
            }),
            _ => None,
        }));
        effects.push(status(id, TransferState::Executed));
        effects
    }

    /// Ends an open transfer without executing it; escrowed serials return to the sender.
    pub(crate) fn close_transfer(&mut self, id: &TransferId, end: TransferState) -> Vec<Effect> {
        let from = self.transfers[id].from.clone();
        let resolved = self.escrowed(id);
        let mut effects =
            self.move_all_effects(&resolved, &Loc::Escrow(id.clone()), &Loc::Account(from), 1);
        self.finish(id, end);
        effects.push(status(id, end));
        effects
    }

    fn finish(&mut self, id: &TransferId, end: TransferState) {
        let tr = self.transfers.get_mut(id).expect("checked");
        tr.status = end;
        tr.escrow = std::collections::BTreeMap::<_, RangeSet>::new();
        self.open_transfers.remove(id);
        self.touch(ObjKey::Transfer(id.clone()));
    }
}

/// The transfer is in the state the step needs and its window (`by`) has not closed at `t`.
fn awaiting(
    tr: &Transfer,
    id: &TransferId,
    want: TransferState,
    step: &str,
    by: Timestamp,
    t: Timestamp,
) -> Result<(), Rejection> {
    if tr.status != want {
        let now = tr.status.name();
        return reject(
            Code::TransferNotPending,
            format!("transfer {id} is {now}, not awaiting {step}"),
        );
    }
    if t > by {
        return reject(
            Code::WindowExpired,
            format!("the {step} window of {id} closed at {by}"),
        );
    }
    Ok(())
}

fn status(id: &TransferId, s: TransferState) -> Effect {
    Effect::TransferStatus {
        transfer: id.clone(),
        status: s.name().to_owned(),
    }
}

/// Terms disclosed with a request: secondary-market and exchange trades record a price and a
/// settlement date (REG-§95921(b), detail UNVERIFIED).
fn check_terms(
    tt: TransactionType,
    same_entity: bool,
    price: Option<&crate::command::Price>,
    settlement: Option<&str>,
) -> Result<(), Rejection> {
    match tt {
        TransactionType::OwnAccounts if !same_entity => {
            return reject(
                Code::InvalidField,
                "own_accounts transfers are between accounts of one entity",
            );
        }
        TransactionType::Secondary | TransactionType::Exchange if same_entity => {
            return reject(
                Code::InvalidField,
                "a trade is between different entities; use own_accounts",
            );
        }
        TransactionType::Secondary | TransactionType::Exchange
            if price.is_none() || settlement.is_none() =>
        {
            return reject(
                Code::InvalidField,
                "secondary-market and exchange transfers record a price and a settlement_date",
            );
        }
        TransactionType::NoConsideration if price.is_some_and(|p| p.unit_price_minor != 0) => {
            return reject(
                Code::InvalidField,
                "a no_consideration transfer has no price",
            );
        }
        _ => {}
    }
    if let Some(p) = price
        && (p.currency.len() != 3
            || !p.currency.bytes().all(|b| b.is_ascii_uppercase())
            || p.unit_price_minor > 1_000_000_000)
    {
        return reject(
            Code::InvalidField,
            "price: currency is an ISO 4217 code and unit_price_minor at most 1,000,000,000",
        );
    }
    if let Some(d) = settlement
        && !is_date(d)
    {
        return reject(
            Code::InvalidField,
            format!("settlement_date {d:?} is not YYYY-MM-DD"),
        );
    }
    Ok(())
}

use tonne_core::calendar::is_date;
