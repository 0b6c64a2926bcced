//! Whose allowances were sold, and who gets the money (reference/cap-and-trade.md §1.1,
//! "WHOSE ALLOWANCES ARE SOLD WHEN AN AUCTION IS UNDERSUBSCRIBED"):
//!
//! a. the sold quantity is split between jurisdictions pro rata to the quantity each offered in
//!    that auction (DERIVED from the May 2020 joint auction, no rule text: the notice's
//!    `jurisdiction_split`, one variant today);
//! b. within a jurisdiction, consigned allowances sell before state-owned ones (California:
//!    VERIFIED-SECONDARY, CARB via NGI May 2020; Québec: VERIFIED QC-s.52 para 5; the notice's
//!    `consigned_first`, default true);
//! c. consigned allowances sell pro rata among the consignment lines (QC-s.54.1 pattern,
//!    VERIFIED as the analogue); state-owned allowances of several vintages likewise (how CARB
//!    picks vintages is not in the reference: UNVERIFIED).
//!
//! Every split rounds down and hands the remainder out one allowance at a time in random-number
//! order ([`crate::pro_rata`]); the parts always add up to what was sold, and nobody sells more
//! than it offered. Random numbers are drawn from one generator seeded with the split seed: one
//! per jurisdiction (notice order), then per jurisdiction one per consignment line and one per
//! state-owned line (offer order).
//!
//! Proceeds are the settlement price × allowances sold, in USD cents: consigned allowances'
//! proceeds go to their consignors, the rest to the jurisdiction. The reference does not say in
//! which currency a jurisdiction or consignor is paid, so proceeds are reported in USD only.

use super::notice::{Notice, Offering};
use super::{EventError, cost};
use crate::pro_rata;
use serde::Serialize;
use std::collections::BTreeMap;
use tonne_core::rng::SplitMix64;

/// One offer line's sale: state-owned allowances of a vintage, or one consignor's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineSale {
    pub vintage: u16,
    /// `None`: the jurisdiction's own allowances.
    pub consignor: Option<String>,
    pub offered: u64,
    pub sold: u64,
    pub unsold: u64,
    /// The line's random number in its split.
    pub random: u64,
    pub proceeds_usd_cents: u64,
}

/// One jurisdiction's share of the sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JurisdictionSale {
    pub jurisdiction: String,
    pub offered: u64,
    pub sold: u64,
    pub unsold: u64,
    /// The jurisdiction's random number in the split between jurisdictions.
    pub random: u64,
    pub consigned_offered: u64,
    pub consigned_sold: u64,
    pub state_owned_offered: u64,
    pub state_owned_sold: u64,
    /// Proceeds of the jurisdiction's own allowances.
    pub state_owned_proceeds_usd_cents: u64,
    /// Proceeds of consigned allowances, owed to their consignors.
    pub consigned_proceeds_usd_cents: u64,
    /// Consignment lines first, then state-owned lines, each in notice order.
    pub lines: Vec<LineSale>,
}

/// What a consignor sold over its vintages, and is owed (jurisdictions in notice order, then
/// consignor id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsignorProceeds {
    pub consignor: String,
    pub jurisdiction: String,
    pub offered: u64,
    pub sold: u64,
    pub proceeds_usd_cents: u64,
}

/// Splits `sold` allowances of `offering` and computes proceeds at `price_cents`.
pub fn split_sale(
    notice: &Notice,
    offering: &Offering,
    sold: u64,
    price_cents: Option<u64>,
    seed: u64,
) -> Result<(Vec<JurisdictionSale>, Vec<ConsignorProceeds>), EventError> {
    assert!(sold <= offering.supply(), "sold at most the supply");
    assert!(sold == 0 || price_cents.is_some(), "a sale has a price");
    let price = price_cents.unwrap_or(0);
    let mut rng = SplitMix64::new(seed);
    // Jurisdictions in notice order, those that offer something in this auction.
    let codes: Vec<&str> = notice
        .jurisdictions
        .iter()
        .map(|j| j.code.as_str())
        .filter(|c| offering.offers.iter().any(|o| o.jurisdiction == *c))
        .collect();
    let offered: Vec<u64> = codes
        .iter()
        .map(|c| {
            offering
                .offers
                .iter()
                .filter(|o| o.jurisdiction == *c)
                .map(|o| o.total())
                .sum()
        })
        .collect();
    let shares = pro_rata::split(sold, &offered, &mut rng);
    let mut sales = Vec::with_capacity(codes.len());
    // By jurisdiction (notice order), then consignor id.
    let mut consignors: BTreeMap<(usize, String), ConsignorProceeds> = BTreeMap::new();
    for (ji, ((code, &j_offered), share)) in codes.iter().zip(&offered).zip(&shares).enumerate() {
        let j_sold = share.total();
        let mut lines: Vec<LineSale> = Vec::new();
        for o in offering.offers.iter().filter(|o| o.jurisdiction == *code) {
            for c in &o.consigned {
                lines.push(line(o.vintage, Some(c.consignor.clone()), c.quantity));
            }
        }
        let consigned_lines = lines.len();
        for o in offering.offers.iter().filter(|o| o.jurisdiction == *code) {
            lines.push(line(o.vintage, None, o.state_owned));
        }
        let consigned_offered: u64 = lines[..consigned_lines].iter().map(|l| l.offered).sum();
        if notice.rules.consigned_first {
            let consigned_sold = j_sold.min(consigned_offered);
            let (consigned, state) = lines.split_at_mut(consigned_lines);
            sell(consigned, consigned_sold, &mut rng);
            sell(state, j_sold - consigned_sold, &mut rng);
        } else {
            sell(&mut lines, j_sold, &mut rng);
        }
        lines.retain(|l| l.offered > 0);
        let mut sale = JurisdictionSale {
            jurisdiction: (*code).to_owned(),
            offered: j_offered,
            sold: j_sold,
            unsold: j_offered - j_sold,
            random: share.random,
            consigned_offered,
            consigned_sold: 0,
            state_owned_offered: j_offered - consigned_offered,
            state_owned_sold: 0,
            state_owned_proceeds_usd_cents: 0,
            consigned_proceeds_usd_cents: 0,
            lines: Vec::new(),
        };
        for l in &mut lines {
            let who = l.consignor.as_deref().unwrap_or(code);
            l.proceeds_usd_cents = cost(
                price,
                l.sold,
                &format!("the proceeds of {who}'s vintage {}", l.vintage),
            )?;
            match &l.consignor {
                Some(c) => {
                    sale.consigned_sold += l.sold;
                    sale.consigned_proceeds_usd_cents += l.proceeds_usd_cents;
                    let e =
                        consignors
                            .entry((ji, c.clone()))
                            .or_insert_with(|| ConsignorProceeds {
                                consignor: c.clone(),
                                jurisdiction: (*code).to_owned(),
                                offered: 0,
                                sold: 0,
                                proceeds_usd_cents: 0,
                            });
                    e.offered += l.offered;
                    e.sold += l.sold;
                    e.proceeds_usd_cents += l.proceeds_usd_cents;
                }
                None => {
                    sale.state_owned_sold += l.sold;
                    sale.state_owned_proceeds_usd_cents += l.proceeds_usd_cents;
                }
            }
        }
        assert_eq!(
            sale.consigned_sold + sale.state_owned_sold,
            j_sold,
            "lines add up"
        );
        sale.lines = lines;
        sales.push(sale);
    }
    assert_eq!(
        sales.iter().map(|s| s.sold).sum::<u64>(),
        sold,
        "jurisdictions add up"
    );
    Ok((sales, consignors.into_values().collect()))
}

fn line(vintage: u16, consignor: Option<String>, offered: u64) -> LineSale {
    LineSale {
        vintage,
        consignor,
        offered,
        sold: 0,
        unsold: offered,
        random: 0,
        proceeds_usd_cents: 0,
    }
}

/// Sells `quantity` of `lines` pro rata to what each offered.
fn sell(lines: &mut [LineSale], quantity: u64, rng: &mut SplitMix64) {
    let weights: Vec<u64> = lines.iter().map(|l| l.offered).collect();
    for (l, s) in lines
        .iter_mut()
        .zip(pro_rata::split(quantity, &weights, rng))
    {
        l.sold = s.total();
        l.unsold = l.offered - l.sold;
        l.random = s.random;
    }
}
