//! The public results summary of one auction, the figures CARB and the MELCCFP publish after a
//! joint auction: date, vintages, allowances offered, bid, sold and unsold, the settlement price
//! in USD and CAD, the reserve price, the ratio of qualified bids to supply, the share bought by
//! compliance entities, bid price statistics and the number of bidders.
//!
//! The reference pack does not transcribe the published summary's definitions, so these are
//! Tonne's, stated here and in docs/market.md:
//!
//! - **qualified bids**: allowances bid at or above the reserve price that passed the limit and
//!   bid-guarantee screens (re-entered lots counted once, at their new price);
//! - **bids ÷ supply**: qualified bids ÷ allowances offered, in hundredths, rounded half up;
//! - **compliance entities' share**: allowances awarded to covered entities (electrical
//!   distribution utilities included) and opt-in entities ÷ sold,
//!   in basis points, rounded half up;
//! - **median, mean, minimum, maximum bid price**: over the qualified bids, each allowance
//!   counted once (quantity-weighted); the median is the lower median (the price of the
//!   ⌈n/2⌉-th allowance from the cheapest), the mean is rounded half up to the cent;
//! - **qualified bidders**: qualified bidders who bid in this auction (any bid);
//!   **winning bidders**: those awarded allowances.
//!
//! Prices in CAD are the USD price converted at the auction exchange rate with the notice's
//! rounding (reference/cap-and-trade.md §2.2: round(USD × AER, 2) reproduces the published CAD
//! minimums, DERIVED).

use super::notice::{AuctionDate, Notice, Offering};
use super::{AuctionKind, Award, EventError, ReservePrices, to_cad};
use crate::auction::Outcome;
use crate::currency::Rounding;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub auction_date: AuctionDate,
    pub kind: AuctionKind,
    pub vintages: Vec<u16>,
    pub offered: u64,
    /// Allowances in qualified bids.
    pub qualified_bids: u64,
    pub sold: u64,
    pub unsold: u64,
    pub reserve_price_usd_cents: u64,
    pub reserve_price_cad_cents: u64,
    pub settlement_price_usd_cents: Option<u64>,
    pub settlement_price_cad_cents: Option<u64>,
    /// Qualified bids ÷ offered, × 100, rounded half up.
    pub bids_to_supply_hundredths: u64,
    /// Allowances awarded to covered (utilities included) and opt-in entities.
    pub sold_to_compliance_entities: u64,
    /// Of those sold, basis points, rounded half up; `None` when nothing sold.
    pub compliance_entity_share_bp: Option<u64>,
    pub median_bid_cents: Option<u64>,
    pub mean_bid_cents: Option<u64>,
    pub min_bid_cents: Option<u64>,
    pub max_bid_cents: Option<u64>,
    pub qualified_bidders: u64,
    pub winning_bidders: u64,
}

/// Quantity-weighted bid price statistics: (lower median, mean rounded half up, min, max).
pub fn price_stats(bids: &mut [(u64, u64)]) -> Option<(u64, u64, u64, u64)> {
    bids.sort_unstable_by_key(|&(p, _)| p);
    let n: u128 = bids.iter().map(|&(_, q)| u128::from(q)).sum();
    if n == 0 {
        return None;
    }
    let middle = n.div_ceil(2);
    let mut seen = 0u128;
    let mut median = 0;
    for &(p, q) in bids.iter() {
        seen += u128::from(q);
        if seen >= middle {
            median = p;
            break;
        }
    }
    let value: u128 = bids
        .iter()
        .map(|&(p, q)| u128::from(p) * u128::from(q))
        .sum();
    let mean = Rounding::HalfUp.div(value, n) as u64;
    let (min, max) = (bids[0].0, bids[bids.len() - 1].0);
    Some((median, mean, min, max))
}

pub fn summarize(
    notice: &Notice,
    kind: AuctionKind,
    offering: &Offering,
    outcome: &Outcome,
    reserve: &ReservePrices,
    awards: &[Award],
) -> Result<Summary, EventError> {
    let offered = outcome.sold + outcome.unsold;
    debug_assert_eq!(offered, offering.supply());
    let mut all: Vec<(u64, u64)> = outcome.qualified_bids.values().flatten().copied().collect();
    let qualified_bids: u64 = all.iter().map(|&(_, q)| q).sum();
    let stats = price_stats(&mut all);
    let to_compliance: u64 = awards
        .iter()
        .filter(|a| a.entity_type.is_compliance_entity())
        .map(|a| a.quantity)
        .sum();
    let settlement_cad = match outcome.settlement_price_cents {
        Some(p) => Some(to_cad(notice, p, "the settlement price")?),
        None => None,
    };
    Ok(Summary {
        auction_date: notice.date,
        kind,
        vintages: offering.vintages(),
        offered,
        qualified_bids,
        sold: outcome.sold,
        unsold: outcome.unsold,
        reserve_price_usd_cents: reserve.joint_usd_cents,
        reserve_price_cad_cents: reserve.joint_cad_cents,
        settlement_price_usd_cents: outcome.settlement_price_cents,
        settlement_price_cad_cents: settlement_cad,
        bids_to_supply_hundredths: Rounding::HalfUp
            .div(u128::from(qualified_bids) * 100, u128::from(offered.max(1)))
            as u64,
        sold_to_compliance_entities: to_compliance,
        compliance_entity_share_bp: (outcome.sold > 0).then(|| {
            Rounding::HalfUp.div(u128::from(to_compliance) * 10_000, u128::from(outcome.sold))
                as u64
        }),
        median_bid_cents: stats.map(|s| s.0),
        mean_bid_cents: stats.map(|s| s.1),
        min_bid_cents: stats.map(|s| s.2),
        max_bid_cents: stats.map(|s| s.3),
        qualified_bidders: outcome.screening.len() as u64,
        winning_bidders: awards.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_lower_median_and_rounded_mean() {
        // 1,000 at $30, 2,000 at $31, 1,000 at $35: 4,000 allowances; the 2,000th is at $31;
        // mean (30,000 + 62,000 + 35,000) × 100 / 4,000 = 3,175 cents.
        let mut b = [(3500, 1000), (3000, 1000), (3100, 2000)];
        assert_eq!(price_stats(&mut b), Some((3100, 3175, 3000, 3500)));
        // Even split: 1,000 at $30 and 1,000 at $40: lower median $30, mean $35.
        let mut b = [(4000, 1000), (3000, 1000)];
        assert_eq!(price_stats(&mut b), Some((3000, 3500, 3000, 4000)));
        assert_eq!(price_stats(&mut []), None);
    }
}
