//! Registration and qualification of bidders (reference/cap-and-trade.md §1.1 and §1.3): which
//! bids are accepted, and the limits each qualified bidder is screened against.
//!
//! - A bid from an id the notice does not register, or from a registered bidder whose
//!   application was not approved, is rejected with an error naming its file and line.
//! - A CAD bid price is accepted only from a bidder registered in a CAD jurisdiction (Québec
//!   entities may bid in USD or CAD, Auction Examples, VERIFIED; California entities bid in USD,
//!   REG-§95911(a)(4), VERIFIED) and converted to USD cents at the auction exchange rate with the
//!   notice's rounding (direction UNVERIFIED).
//! - **Purchase limit**: a share of the allowances offered in that auction by bidder category —
//!   covered and opt-in entities, electrical distribution utilities where the rule set gives
//!   them their own share, all others, and one share for everyone in the advance auction (§1.3; the current California values are UNVERIFIED, so they come from the notice
//!   or the shipped rules with their mark) — rounded down to a whole allowance; the limit
//!   screen then keeps whole lots (QC-s.52 para 1).
//! - **Holding headroom**: as registered, per auction (current- and future-vintage limits).
//! - **Bid guarantee**: converted to USD cents at the auction exchange rate with the notice's
//!   rounding; one guarantee covers both auctions (Auction Examples, VERIFIED), the advance
//!   auction getting what the current auction's screened bids leave (UNVERIFIED order).

use super::notice::{Bidder, EntityType, Notice};
use super::{AuctionKind, EventError};
use crate::auction::{Limits, Outcome, max_bid_value_cents};
use crate::csv_input::BidFile;
use crate::currency::Currency;
use std::collections::{BTreeMap, HashMap};

/// The notice's bidders, indexed by id.
pub struct Registry<'n> {
    notice: &'n Notice,
    index: HashMap<&'n str, usize>,
}

impl<'n> Registry<'n> {
    pub fn new(notice: &'n Notice) -> Self {
        let index = notice
            .bidders
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id.as_str(), i))
            .collect();
        Self { notice, index }
    }

    pub fn bidder(&self, id: &str) -> Option<&'n Bidder> {
        self.index.get(id).map(|&i| &self.notice.bidders[i])
    }

    /// Rejects bids from unknown or unqualified bidders and CAD prices from USD bidders;
    /// converts CAD prices to USD cents in place.
    pub fn check_bids(&self, kind: AuctionKind, file: &mut BidFile) -> Result<(), EventError> {
        let name = kind.file();
        let rate = self.notice.exchange_rate.cad_per_usd;
        let rounding = self.notice.rules.conversion_rounding;
        let mut cad = file.cad_prices.iter().copied().peekable();
        let mut last: Option<&'n Bidder> = None;
        for (i, bid) in file.bids.iter_mut().enumerate() {
            let line = file.lines.get(i).copied().unwrap_or(0);
            let bidder = match last {
                // Files usually list a bidder's bids together: skip the lookup.
                Some(b) if b.id == bid.bidder => b,
                _ => {
                    let b = self
                        .bidder(&bid.bidder)
                        .ok_or_else(|| EventError::UnknownBidder {
                            file: name,
                            line,
                            bidder: bid.bidder.clone(),
                        })?;
                    if !b.qualified {
                        return Err(EventError::UnqualifiedBidder {
                            file: name,
                            line,
                            bidder: bid.bidder.clone(),
                        });
                    }
                    last = Some(b);
                    b
                }
            };
            if cad.peek() == Some(&i) {
                cad.next();
                let home = self
                    .notice
                    .jurisdiction(&bidder.jurisdiction)
                    .map_or(Currency::USD, |j| j.currency);
                if home != Currency::CAD {
                    return Err(EventError::CadBid {
                        file: name,
                        line,
                        bidder: bid.bidder.clone(),
                        jurisdiction: bidder.jurisdiction.clone(),
                    });
                }
                bid.price_cents = rate.cad_to_usd_cents(bid.price_cents, rounding);
            }
        }
        Ok(())
    }

    /// Each bidder's bid guarantee in USD cents, in notice order.
    pub fn guarantees_usd_cents(&self) -> Vec<u64> {
        let rate = self.notice.exchange_rate.cad_per_usd;
        let rounding = self.notice.rules.conversion_rounding;
        self.notice
            .bidders
            .iter()
            .map(|b| rate.to_usd_cents(b.bid_guarantee.amount, b.bid_guarantee.currency, rounding))
            .collect()
    }

    /// What each guarantee covers after the current auction: the guarantee less the maximum
    /// bid value of the bidder's current bids that passed the screens (notice order).
    pub fn guarantees_left(&self, current: &Outcome) -> Vec<u64> {
        self.notice
            .bidders
            .iter()
            .zip(self.guarantees_usd_cents())
            .map(|(b, g)| {
                let used = current
                    .qualified_bids
                    .get(&b.id)
                    .map_or(0, |book| max_bid_value_cents(book));
                u64::try_from(u128::from(g).saturating_sub(used)).expect("at most the guarantee")
            })
            .collect()
    }

    /// A bidder's purchase limit in an auction offering `offered` allowances: its category's
    /// share, rounded down to a whole allowance.
    pub fn purchase_limit(&self, b: &Bidder, kind: AuctionKind, offered: u64) -> u64 {
        let pl = self.notice.purchase_limits();
        let bp = match (kind, b.entity_type) {
            (AuctionKind::Advance, _) => pl.advance_bp,
            (AuctionKind::Current, EntityType::ElectricalDistributionUtility) => pl
                .electrical_distribution_utility_bp
                .unwrap_or(pl.covered_bp),
            (AuctionKind::Current, EntityType::VoluntarilyAssociated) => pl.other_bp,
            (AuctionKind::Current, EntityType::Covered | EntityType::OptIn) => pl.covered_bp,
        };
        (u128::from(offered) * u128::from(bp) / 10_000) as u64
    }

    /// The limits of every qualified bidder in one auction; `guarantees_usd_cents` in notice
    /// order.
    pub fn limits(
        &self,
        kind: AuctionKind,
        offered: u64,
        guarantees_usd_cents: Vec<u64>,
    ) -> BTreeMap<String, Limits> {
        self.notice
            .bidders
            .iter()
            .zip(guarantees_usd_cents)
            .filter(|(b, _)| b.qualified)
            .map(|(b, g)| {
                let headroom = match kind {
                    AuctionKind::Current => b.holding_headroom.current,
                    AuctionKind::Advance => b.holding_headroom.advance,
                };
                let limits = Limits {
                    purchase_limit: Some(self.purchase_limit(b, kind, offered)),
                    holding_headroom: headroom,
                    bid_guarantee_cents: Some(g),
                };
                (b.id.clone(), limits)
            })
            .collect()
    }
}
