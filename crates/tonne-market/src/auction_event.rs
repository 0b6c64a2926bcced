//! A joint auction event around the clearing (docs/market.md "Auction events";
//! reference/cap-and-trade.md §1 and §2): what California and Québec run on one day.
//!
//! 1. The **notice** ([`notice`]) lists the jurisdictions, their reserve prices in their own
//!    currencies, the auction exchange rate, the allowances each offers (state-owned and
//!    consigned, by vintage) in the **current** auction and the **advance** auction (vintage
//!    t+3, REG-§95910(c)(2)(B)), the registered bidders, and the rule variants.
//! 2. **Joint reserve price**: the higher of the partners' minimums, CAD converted at the
//!    auction exchange rate (QC auction page, VERIFIED; [`crate::rules`]).
//! 3. **Registration** ([`registration`]): only qualified bidders' bids are accepted; purchase
//!    limits by bidder category as shares of the allowances offered (§1.3, UNVERIFIED values
//!    from the notice or the shipped rules); holding headroom as given; one bid guarantee,
//!    converted to USD at the auction exchange rate, for both auctions.
//! 4. **Clearing**: [`auction::run`] once per auction, current and advance separately
//!    (REG-§95910(c), VERIFIED).
//! 5. **Split and proceeds** ([`split`]): sold allowances shared between jurisdictions pro rata
//!    to what each offered (DERIVED), consigned allowances first within a jurisdiction
//!    (VERIFIED-SECONDARY / QC-s.52 para 5), pro rata among consignors (QC-s.54.1 pattern);
//!    proceeds at the settlement price, consigned proceeds to their consignors.
//! 6. **Public results summary** ([`summary`]).
//! 7. **Settlement** ([`settlement`]): the registry's `settle_auction` commands of what sold,
//!    when the notice names the auction holding and winners' holding accounts.
//!
//! Chance enters only through the seed: the current auction's tie rule uses it as given (so
//! `tonne market auction --seed S` on the same bids gives the same current outcome); the advance
//! tie seed and the two split seeds are the first three numbers [`SplitMix64`] draws from it.

pub mod association;
pub mod notice;
pub mod registration;
pub mod settlement;
pub mod split;
pub mod summary;
pub mod workload;

use crate::auction::{self, AuctionError, Limits, Params, Screening, SplitMix64, Tie, TieUnit};
use crate::csv_input::BidFile;
use crate::currency::{Currency, Rounding};
use crate::rules::{PurchaseLimits, joint_reserve_price_cents_rounded};
pub use notice::{AuctionDate, EntityType, GuaranteeOrder, JurisdictionSplit, Notice, NoticeError};
use registration::Registry;
use serde::Serialize;
use split::{ConsignorProceeds, JurisdictionSale};
use std::collections::BTreeMap;
use summary::Summary;

/// Format of the results document.
pub const RESULTS_FORMAT: &str = "tonne-auction-results/1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("notice: {0}")]
    Notice(#[from] NoticeError),
    #[error(
        "{file}, line {line}: bid of {bidder:?}: no bidder with this id is registered in the notice"
    )]
    UnknownBidder {
        file: &'static str,
        line: u64,
        bidder: String,
    },
    #[error(
        "{file}, line {line}: bid of {bidder:?} rejected: the bidder is registered but not qualified (its application was not approved)"
    )]
    UnqualifiedBidder {
        file: &'static str,
        line: u64,
        bidder: String,
    },
    #[error(
        "{file}, line {line}: bid of {bidder:?} is priced in CAD, but the bidder is registered in {jurisdiction}, whose entities bid in USD (REG-§95911(a)(4))"
    )]
    CadBid {
        file: &'static str,
        line: u64,
        bidder: String,
        jurisdiction: String,
    },
    #[error("{file}: the notice announces no advance auction")]
    NoAdvanceAuction { file: &'static str },
    #[error("{file}: {source}")]
    Auction {
        file: &'static str,
        source: AuctionError,
    },
    #[error("{what} does not fit in 64 bits of cents")]
    Overflow { what: String },
}

/// Which of the day's two auctions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuctionKind {
    Current,
    Advance,
}

impl AuctionKind {
    pub fn file(self) -> &'static str {
        match self {
            AuctionKind::Current => "bids",
            AuctionKind::Advance => "advance bids",
        }
    }
}

/// One jurisdiction's minimum price and its USD value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JurisdictionReserve {
    pub jurisdiction: String,
    pub currency: Currency,
    /// In `currency`.
    pub reserve_cents: u64,
    pub reserve_usd_cents: u64,
    pub source: Option<String>,
}

/// The joint auction reserve price (the same for the current and the advance auction:
/// reference/cap-and-trade.md §2.1, VERIFIED-SECONDARY NGI 2018).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReservePrices {
    pub joint_usd_cents: u64,
    /// The joint minimum converted to CAD at the auction exchange rate (as Québec announces it).
    pub joint_cad_cents: u64,
    pub jurisdictions: Vec<JurisdictionReserve>,
}

/// The joint reserve price: the highest of the jurisdictions' minimums in USD, each CAD
/// minimum converted at the auction exchange rate (reference/cap-and-trade.md §1.1, VERIFIED).
pub fn reserve_prices(notice: &Notice) -> Result<ReservePrices, EventError> {
    let rate = notice.exchange_rate.cad_per_usd;
    let rounding = notice.rules.conversion_rounding;
    let mut joint = 0;
    let mut jurisdictions = Vec::new();
    for j in &notice.jurisdictions {
        let reserve = j
            .reserve_price
            .expect("reserve prices are filled in at parse");
        let usd = match j.currency {
            Currency::USD => reserve,
            Currency::CAD => rate.cad_to_usd_cents(reserve, rounding),
        };
        joint = match j.currency {
            Currency::USD => joint.max(reserve),
            Currency::CAD => joint_reserve_price_cents_rounded(
                joint,
                reserve,
                rate.cad_per_usd_micro(),
                rounding,
            ),
        };
        jurisdictions.push(JurisdictionReserve {
            jurisdiction: j.code.clone(),
            currency: j.currency,
            reserve_cents: reserve,
            reserve_usd_cents: usd,
            source: j.source.clone(),
        });
    }
    Ok(ReservePrices {
        joint_usd_cents: joint,
        joint_cad_cents: to_cad(notice, joint, "the joint reserve price")?,
        jurisdictions,
    })
}

/// USD cents into CAD at the auction exchange rate, with the notice's rounding.
pub(crate) fn to_cad(notice: &Notice, usd_cents: u64, what: &str) -> Result<u64, EventError> {
    notice
        .exchange_rate
        .cad_per_usd
        .usd_to_cad_cents(usd_cents, notice.rules.conversion_rounding)
        .ok_or_else(|| EventError::Overflow {
            what: format!("{what} in CAD"),
        })
}

/// `price × quantity`, cents.
pub(crate) fn cost(price_cents: u64, quantity: u64, what: &str) -> Result<u64, EventError> {
    price_cents
        .checked_mul(quantity)
        .ok_or_else(|| EventError::Overflow {
            what: what.to_owned(),
        })
}

/// A winner's allowances and what it owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Award {
    pub bidder: String,
    pub jurisdiction: String,
    pub entity_type: EntityType,
    pub quantity: u64,
    /// Settlement price × quantity.
    pub cost_usd_cents: u64,
    pub payment_currency: Currency,
    /// For a CAD payer: the USD cost converted at the auction exchange rate (Auction Examples,
    /// VERIFIED), rounded once, on the total.
    pub cost_cad_cents: Option<u64>,
}

/// One auction's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuctionResult {
    pub kind: AuctionKind,
    pub summary: Summary,
    pub tie_seed: u64,
    pub split_seed: u64,
    pub tie: Option<Tie>,
    /// Winners, by bidder id.
    pub awards: Vec<Award>,
    /// The limits each qualified bidder was screened against in this auction.
    pub limits: BTreeMap<String, Limits>,
    /// Direct corporate associations screened together before each member's own screens.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<association::AssociationScreen>,
    pub screening: BTreeMap<String, Screening>,
    /// The sale split between jurisdictions, and within each between consignors and the
    /// jurisdiction itself, with proceeds.
    pub jurisdictions: Vec<JurisdictionSale>,
    /// Proceeds owed to each consignor (over its vintages).
    pub consignors: Vec<ConsignorProceeds>,
    /// Settlement price × sold.
    pub proceeds_usd_cents: u64,
}

/// The rule variants the event ran with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedRules {
    pub purchase_limits: PurchaseLimits,
    pub tie_unit: TieUnit,
    pub conversion_rounding: Rounding,
    pub jurisdiction_split: JurisdictionSplit,
    pub consigned_first: bool,
    pub guarantee_order: GuaranteeOrder,
    pub association_purchase_limit: notice::AssociationLimit,
}

/// The whole event's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventResult {
    pub format: &'static str,
    pub auction: String,
    pub date: AuctionDate,
    pub exchange_rate_cad_per_usd: String,
    pub seed: u64,
    pub rules: AppliedRules,
    pub reserve: ReservePrices,
    pub current: AuctionResult,
    pub advance: Option<AuctionResult>,
}

/// Runs the event: checks every bid against the registration, clears the current and the
/// advance auction, splits the sales and computes proceeds and the public summary. Takes the
/// bid files by value to convert CAD prices in place. Pure and deterministic.
pub fn run(
    notice: &Notice,
    mut current: BidFile,
    advance: Option<BidFile>,
    seed: u64,
) -> Result<EventResult, EventError> {
    let registry = Registry::new(notice);
    registry.check_bids(AuctionKind::Current, &mut current)?;
    let mut advance = match (advance, &notice.advance) {
        (Some(_), None) => {
            return Err(EventError::NoAdvanceAuction {
                file: AuctionKind::Advance.file(),
            });
        }
        (a, Some(_)) => Some(a.unwrap_or_default()),
        (None, None) => None,
    };
    if let Some(a) = &mut advance {
        registry.check_bids(AuctionKind::Advance, a)?;
    }
    let reserve = reserve_prices(notice)?;
    let mut seeds = SplitMix64::new(seed);
    let (advance_tie_seed, current_split_seed, advance_split_seed) =
        (seeds.next_u64(), seeds.next_u64(), seeds.next_u64());
    let params = |seed| Params {
        tie_unit: notice.rules.tie_unit,
        seed,
    };

    let supply = notice.current.supply();
    let current_associations = association::screen(
        notice,
        &registry,
        AuctionKind::Current,
        supply,
        &mut current.bids,
        &mut current.lines,
    );
    let limits = registry.limits(
        AuctionKind::Current,
        supply,
        registry.guarantees_usd_cents(),
    );
    let outcome = auction::run(
        &current.bids,
        &limits,
        supply,
        reserve.joint_usd_cents,
        params(seed),
    )
    .map_err(|source| EventError::Auction {
        file: AuctionKind::Current.file(),
        source,
    })?;
    // One guarantee for both auctions (Auction Examples, VERIFIED); the advance auction gets
    // what the current auction's screened bids leave (GuaranteeOrder::CurrentFirst, UNVERIFIED).
    let left = registry.guarantees_left(&outcome);
    let current_result = build(
        notice,
        &registry,
        AuctionKind::Current,
        &notice.current,
        outcome,
        limits,
        current_associations,
        &reserve,
        seed,
        current_split_seed,
    )?;

    let advance_result = match (&notice.advance, advance) {
        (Some(offering), Some(mut bids)) => {
            let supply = offering.supply();
            let associations = association::screen(
                notice,
                &registry,
                AuctionKind::Advance,
                supply,
                &mut bids.bids,
                &mut bids.lines,
            );
            let limits = registry.limits(AuctionKind::Advance, supply, left);
            let outcome = auction::run(
                &bids.bids,
                &limits,
                supply,
                reserve.joint_usd_cents,
                params(advance_tie_seed),
            )
            .map_err(|source| EventError::Auction {
                file: AuctionKind::Advance.file(),
                source,
            })?;
            Some(build(
                notice,
                &registry,
                AuctionKind::Advance,
                offering,
                outcome,
                limits,
                associations,
                &reserve,
                advance_tie_seed,
                advance_split_seed,
            )?)
        }
        _ => None,
    };
    let r = &notice.rules;
    Ok(EventResult {
        format: RESULTS_FORMAT,
        auction: notice.name.clone(),
        date: notice.date,
        exchange_rate_cad_per_usd: notice.exchange_rate.cad_per_usd.to_string(),
        seed,
        rules: AppliedRules {
            purchase_limits: notice.purchase_limits().clone(),
            tie_unit: r.tie_unit,
            conversion_rounding: r.conversion_rounding,
            jurisdiction_split: r.jurisdiction_split,
            consigned_first: r.consigned_first,
            guarantee_order: r.guarantee_order,
            association_purchase_limit: r.association_purchase_limit,
        },
        reserve,
        current: current_result,
        advance: advance_result,
    })
}

#[allow(clippy::too_many_arguments)]
fn build(
    notice: &Notice,
    registry: &Registry<'_>,
    kind: AuctionKind,
    offering: &notice::Offering,
    outcome: auction::Outcome,
    limits: BTreeMap<String, Limits>,
    associations: Vec<association::AssociationScreen>,
    reserve: &ReservePrices,
    tie_seed: u64,
    split_seed: u64,
) -> Result<AuctionResult, EventError> {
    let price = outcome.settlement_price_cents.unwrap_or(0);
    let mut awards = Vec::with_capacity(outcome.awards.len());
    for (b, &q) in &outcome.awards {
        let bidder = registry
            .bidder(b)
            .expect("every bid's bidder was checked against the registration");
        let cost_usd = cost(price, q, &format!("the cost of {b}'s award"))?;
        let payment_currency = notice.payment_currency(bidder);
        let cost_cad = match payment_currency {
            Currency::CAD => Some(to_cad(
                notice,
                cost_usd,
                &format!("the cost of {b}'s award"),
            )?),
            Currency::USD => None,
        };
        awards.push(Award {
            bidder: b.clone(),
            jurisdiction: bidder.jurisdiction.clone(),
            entity_type: bidder.entity_type,
            quantity: q,
            cost_usd_cents: cost_usd,
            payment_currency,
            cost_cad_cents: cost_cad,
        });
    }
    let (jurisdictions, consignors) = split::split_sale(
        notice,
        offering,
        outcome.sold,
        outcome.settlement_price_cents,
        split_seed,
    )?;
    let proceeds = cost(price, outcome.sold, "the auction's proceeds")?;
    debug_assert_eq!(
        proceeds,
        jurisdictions
            .iter()
            .map(|j| j.state_owned_proceeds_usd_cents + j.consigned_proceeds_usd_cents)
            .sum::<u64>()
    );
    let summary = summary::summarize(notice, kind, offering, &outcome, reserve, &awards)?;
    Ok(AuctionResult {
        kind,
        summary,
        tie_seed,
        split_seed,
        tie: outcome.tie,
        awards,
        limits,
        associations,
        screening: outcome.screening,
        jurisdictions,
        consignors,
        proceeds_usd_cents: proceeds,
    })
}
