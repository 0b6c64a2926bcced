//! From an auction event's results to the registry: one `settle_auction` command per auction
//! that sold something (docs/market.md "Settlement in the registry").
//!
//! The event has already decided whose allowances sold ([`super::split`]: jurisdictions pro rata
//! to what they offered, consigned allowances first, consignors pro rata). Settlement only
//! routes those sold lines to the winners, without deciding anything again:
//!
//! - the sold lines become pools in this order: every consignment line (jurisdictions in notice
//!   order, lines in offer order), then every state-owned line — consigned allowances are
//!   delivered first (REG-§95910(d), QC-s.52 para 5, as in the split);
//! - the winners (bidder id order, as in the results) take their awards from the pools in that
//!   order, a delivery per (winner, pool) pair;
//! - a pool's allowances leave its jurisdiction's auction holding account (the notice's
//!   `jurisdictions[].auction_account`) as series `<jurisdiction>/ALW/<vintage>` and go to the
//!   winner's holding account (`bidders[].holding_account`); consigned ones name their
//!   consignor, whose proceeds the registry then records apart;
//! - the price is the settlement price in USD cents, the currency bids are evaluated in
//!   (reference/cap-and-trade.md §1.1, VERIFIED). A CAD payer's converted cost stays in the
//!   results; the registry records one price per auction.
//!
//! The registry checks the rest when the command is applied: that the accounts exist and are
//! of the right types, that the consignors' allowances were consigned to that account, the
//! winners' holding limits and the linkage.

use super::notice::Notice;
use super::{AuctionKind, AuctionResult, EventResult};
use std::collections::{HashMap, HashSet};
use tonne_core::{
    AccountId, EntityId, InstrumentKind, JurisdictionCode, SeriesKey, Timestamp, UserId,
};
use tonne_registry::market::AuctionDelivery;
use tonne_registry::{COMMAND_FORMAT_VERSION, Command, Envelope, Price};

/// Missing notice fields named in one error, at most (the rest are counted).
const MAX_NAMED: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    #[error(
        "settlement needs registry accounts the notice does not give: {}{}",
        paths.join(", "),
        if *more > 0 { format!(" and {more} more") } else { String::new() }
    )]
    MissingAccounts { paths: Vec<String>, more: usize },
    #[error("{path}: {value:?} is not usable in the registry: {message}")]
    NotAnId {
        path: String,
        value: String,
        message: String,
    },
    #[error(
        "the {kind:?} auction needs {deliveries} deliveries; one settle_auction takes at most {max}"
    )]
    TooManyDeliveries {
        kind: AuctionKind,
        deliveries: usize,
        max: usize,
    },
}

/// The settlement of one auction of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuctionSettlement {
    pub kind: AuctionKind,
    /// The registry's auction id: `<notice auction_id or date>-current` / `-advance`.
    pub auction: String,
    /// A `settle_auction` command.
    pub command: Command,
}

impl AuctionSettlement {
    /// The idempotency key: the same auction always gets the same key, so applying the
    /// settlement again replays the stored result instead of settling twice.
    pub fn key(&self) -> String {
        format!("settle_auction:{}", self.auction)
    }

    /// The command in an envelope for `tonne apply`.
    pub fn envelope(&self, ts: Timestamp, actor: UserId) -> Envelope {
        Envelope {
            v: COMMAND_FORMAT_VERSION,
            key: self.key(),
            ts,
            actor,
            cmd: self.command.clone(),
        }
    }
}

/// The `settle_auction` commands of an event's results (current first, then advance), one per
/// auction that sold. `result` must come from `notice` ([`super::run`]).
pub fn settlements(
    notice: &Notice,
    result: &EventResult,
) -> Result<Vec<AuctionSettlement>, SettlementError> {
    let auctions: Vec<&AuctionResult> = std::iter::once(&result.current)
        .chain(result.advance.as_ref())
        .filter(|a| a.summary.sold > 0)
        .collect();
    check_accounts(notice, &auctions)?;
    let id = notice.registry_auction_id();
    auctions
        .into_iter()
        .map(|a| {
            let auction = format!("{id}-{}", kind_field(a.kind));
            Ok(AuctionSettlement {
                kind: a.kind,
                command: settle(notice, a, &auction)?,
                auction,
            })
        })
        .collect()
}

/// Every account the settlement needs is in the notice; otherwise one error naming each
/// missing field.
fn check_accounts(notice: &Notice, auctions: &[&AuctionResult]) -> Result<(), SettlementError> {
    let mut missing = Vec::new();
    for (i, j) in notice.jurisdictions.iter().enumerate() {
        let sold = auctions.iter().any(|a| {
            a.jurisdictions
                .iter()
                .any(|s| s.jurisdiction == j.code && s.sold > 0)
        });
        if sold && j.auction_account.is_none() {
            missing.push(format!("jurisdictions[{i}].auction_account ({})", j.code));
        }
    }
    let winners: HashSet<&str> = auctions
        .iter()
        .flat_map(|a| a.awards.iter())
        .filter(|w| w.quantity > 0)
        .map(|w| w.bidder.as_str())
        .collect();
    for (i, b) in notice.bidders.iter().enumerate() {
        if winners.contains(b.id.as_str()) && b.holding_account.is_none() {
            missing.push(format!("bidders[{i}].holding_account ({})", b.id));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let more = missing.len().saturating_sub(MAX_NAMED);
    missing.truncate(MAX_NAMED);
    Err(SettlementError::MissingAccounts {
        paths: missing,
        more,
    })
}

/// One sold line of the split: where its allowances are and whose they are.
struct Pool {
    from: AccountId,
    series: SeriesKey,
    consignor: Option<EntityId>,
    left: u64,
}

fn settle(notice: &Notice, a: &AuctionResult, auction: &str) -> Result<Command, SettlementError> {
    let price = a
        .summary
        .settlement_price_usd_cents
        .expect("an auction that sold has a settlement price");
    let mut consigned = Vec::new();
    let mut state_owned = Vec::new();
    for s in &a.jurisdictions {
        let (ji, j) = notice
            .jurisdictions
            .iter()
            .enumerate()
            .find(|(_, j)| j.code == s.jurisdiction)
            .expect("the results' jurisdictions are the notice's");
        let code = JurisdictionCode::parse(&j.code).map_err(|e| SettlementError::NotAnId {
            path: format!("jurisdictions[{ji}].code"),
            value: j.code.clone(),
            message: e.to_string(),
        })?;
        for l in s.lines.iter().filter(|l| l.sold > 0) {
            let from = j
                .auction_account
                .clone()
                .expect("checked: every selling jurisdiction has its auction account");
            let series = SeriesKey::new(code, InstrumentKind::Allowance, Some(l.vintage), None)
                .map_err(|e| SettlementError::NotAnId {
                    path: format!("{}.offers", kind_field(a.kind)),
                    value: format!("{} vintage {}", j.code, l.vintage),
                    message: e.to_string(),
                })?;
            let consignor = l
                .consignor
                .as_deref()
                .map(|c| {
                    EntityId::parse(c).map_err(|e| SettlementError::NotAnId {
                        path: format!("{}.offers[…].consigned[…].consignor", kind_field(a.kind)),
                        value: c.to_owned(),
                        message: e.to_string(),
                    })
                })
                .transpose()?;
            let pool = Pool {
                from,
                series,
                consignor,
                left: l.sold,
            };
            if pool.consignor.is_some() {
                consigned.push(pool);
            } else {
                state_owned.push(pool);
            }
        }
    }
    let accounts: HashMap<&str, &AccountId> = notice
        .bidders
        .iter()
        .filter_map(|b| Some((b.id.as_str(), b.holding_account.as_ref()?)))
        .collect();
    let mut pools = consigned.into_iter().chain(state_owned).peekable();
    let mut deliveries = Vec::new();
    for w in &a.awards {
        let to = *accounts
            .get(w.bidder.as_str())
            .expect("checked: every winner has its holding account");
        let mut need = w.quantity;
        while need > 0 {
            let pool = pools
                .peek_mut()
                .expect("the split's lines add up to the awards");
            let q = need.min(pool.left);
            deliveries.push(AuctionDelivery {
                from: pool.from.clone(),
                to: to.clone(),
                series: pool.series.clone(),
                quantity: q,
                consignor: pool.consignor.clone(),
            });
            pool.left -= q;
            need -= q;
            if pool.left == 0 {
                pools.next();
            }
        }
    }
    assert!(
        pools.all(|p| p.left == 0),
        "every sold allowance is delivered"
    );
    if deliveries.len() > tonne_registry::MAX_DELIVERIES {
        return Err(SettlementError::TooManyDeliveries {
            kind: a.kind,
            deliveries: deliveries.len(),
            max: tonne_registry::MAX_DELIVERIES,
        });
    }
    Ok(Command::SettleAuction {
        auction: auction.to_owned(),
        price: Price {
            unit_price_minor: price,
            currency: "USD".into(),
        },
        deliveries,
    })
}

/// The notice's field of that auction, and the registry id's suffix.
fn kind_field(kind: AuctionKind) -> &'static str {
    match kind {
        AuctionKind::Current => "current",
        AuctionKind::Advance => "advance",
    }
}
