//! The auction clearing as first written (before it was optimised for a million bids), kept
//! verbatim as an oracle: the optimised `auction::run` must give identical outcomes
//! (`optimised_run_matches_the_original` in auction.rs).

use std::collections::BTreeMap;
use tonne_market::auction::{
    AuctionError, Bid, LOT, Limits, Outcome, Params, Screening, SplitMix64, Tie, TieUnit,
    TiedBidder,
};

/// A bidder's bids merged by price, highest first.
type Book = Vec<(u64, u64)>;

fn merge(bids: impl Iterator<Item = (u64, u64)>) -> Book {
    let mut by_price: BTreeMap<u64, u64> = BTreeMap::new();
    for (p, q) in bids {
        *by_price.entry(p).or_default() += q;
    }
    by_price.into_iter().rev().filter(|&(_, q)| q > 0).collect()
}

/// Step 1: keeps at most `cap` allowances (whole lots), removing the lowest-priced first.
fn screen_limits(book: &mut Book, cap: u64) -> u64 {
    let mut keep = (cap / LOT) * LOT;
    let mut removed = 0;
    for (_, q) in book.iter_mut() {
        let kept = (*q).min(keep);
        removed += *q - kept;
        keep -= kept;
        *q = kept;
    }
    book.retain(|&(_, q)| q > 0);
    removed
}

/// Step 2: the bid-guarantee screen over the book's price levels, highest first. `levels` are
/// every price present in the auction's bid book, descending. Returns the screened book, the
/// allowances removed for good, and those that re-entered at a lower price.
fn screen_guarantee(book: &Book, guarantee_cents: u64, levels: &[u64]) -> (Book, u64, u64) {
    let own: BTreeMap<u64, u64> = book.iter().copied().collect();
    let top = book.first().map_or(0, |&(p, _)| p);
    let mut out = Vec::new();
    let (mut accepted, mut carried, mut reentered) = (0u64, 0u64, 0u64);
    for &p in levels.iter().filter(|&&p| p <= top) {
        let own_q = own.get(&p).copied().unwrap_or(0);
        let q = own_q + carried;
        if q == 0 {
            continue;
        }
        // The most whole lots at p with p × (allowances bid at p or more) ≤ the guarantee.
        let affordable = guarantee_cents.checked_div(p).unwrap_or(u64::MAX);
        let take = q.min(affordable.saturating_sub(accepted) / LOT * LOT);
        if take > 0 {
            out.push((p, take));
            accepted += take;
            reentered += take.saturating_sub(own_q);
        }
        carried = q - take;
    }
    // Lots still carried below the lowest price in the book are dropped.
    let bid: u64 = book.iter().map(|&(_, q)| q).sum();
    (out, bid - accepted, reentered)
}

/// Runs the auction. Pure and deterministic: the same inputs and seed give the same outcome.
pub fn run_original(
    bids: &[Bid],
    limits: &BTreeMap<String, Limits>,
    supply: u64,
    reserve_cents: u64,
    params: Params,
) -> Result<Outcome, AuctionError> {
    let mut screening: BTreeMap<String, Screening> = BTreeMap::new();
    let mut books: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for b in bids {
        if b.quantity == 0 || !b.quantity.is_multiple_of(LOT) {
            return Err(AuctionError::NotWholeLots {
                bidder: b.bidder.clone(),
                quantity: b.quantity,
            });
        }
        let s = screening.entry(b.bidder.clone()).or_default();
        if b.price_cents < reserve_cents {
            s.below_reserve += b.quantity;
        } else {
            books
                .entry(b.bidder.clone())
                .or_default()
                .push((b.price_cents, b.quantity));
        }
    }
    let mut books: BTreeMap<String, Book> = books
        .into_iter()
        .map(|(k, v)| (k, merge(v.into_iter())))
        .collect();
    // Step 1: purchase and holding limits.
    for (bidder, book) in &mut books {
        let l = limits.get(bidder).copied().unwrap_or_default();
        let cap = match (l.purchase_limit, l.holding_headroom) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(cap) = cap {
            screening.entry(bidder.clone()).or_default().over_limits += screen_limits(book, cap);
        }
    }
    // Step 2: bid guarantees, against the price levels left in the book.
    let mut levels: Vec<u64> = books.values().flatten().map(|&(p, _)| p).collect();
    levels.sort_unstable_by(|a, b| b.cmp(a));
    levels.dedup();
    for (bidder, book) in &mut books {
        if let Some(g) = limits.get(bidder).and_then(|l| l.bid_guarantee_cents) {
            let (screened, removed, reentered) = screen_guarantee(book, g, &levels);
            let s = screening.entry(bidder.clone()).or_default();
            s.over_guarantee += removed;
            s.reentered += reentered;
            *book = screened;
        }
    }
    // Steps 3-6: rank by price, fill from the top, uniform price, tie rule.
    let mut by_price: BTreeMap<u64, BTreeMap<String, u64>> = BTreeMap::new();
    for (bidder, book) in &books {
        for &(p, q) in book {
            *by_price
                .entry(p)
                .or_default()
                .entry(bidder.clone())
                .or_default() += q;
        }
    }
    let mut awards: BTreeMap<String, u64> = BTreeMap::new();
    let mut remaining = supply;
    let mut settlement = None;
    let mut tie = None;
    for (&price, at_price) in by_price.iter().rev() {
        if remaining == 0 {
            break;
        }
        let total: u64 = at_price.values().sum();
        if total <= remaining {
            for (b, q) in at_price {
                *awards.entry(b.clone()).or_default() += q;
            }
            remaining -= total;
            settlement = Some(price);
            continue;
        }
        let t = break_tie(price, at_price, remaining, params);
        for tb in &t.bidders {
            let q = tb.pro_rata + tb.extra;
            if q > 0 {
                *awards.entry(tb.bidder.clone()).or_default() += q;
            }
        }
        let given: u64 = t.bidders.iter().map(|b| b.pro_rata + b.extra).sum();
        remaining -= given;
        if given > 0 {
            settlement = Some(price);
        }
        tie = Some(t);
        break;
    }
    awards.retain(|_, q| *q > 0);
    let sold = supply - remaining;
    debug_assert_eq!(sold, awards.values().sum::<u64>());
    Ok(Outcome {
        settlement_price_cents: settlement,
        sold,
        unsold: remaining,
        awards,
        screening,
        tie,
        qualified_bids: books.into_iter().filter(|(_, b)| !b.is_empty()).collect(),
    })
}

/// Step 5: pro rata rounded down to the unit, then one unit each in random-number order.
fn break_tie(price: u64, at_price: &BTreeMap<String, u64>, remaining: u64, params: Params) -> Tie {
    let unit = match params.tie_unit {
        TieUnit::Allowance => 1,
        TieUnit::Lot => LOT,
    };
    let total: u64 = at_price.values().sum();
    let units_left = remaining / unit;
    let mut rng = SplitMix64::new(params.seed);
    // One random number per tied bidder, drawn in bidder order (BTreeMap: sorted).
    let mut bidders: Vec<TiedBidder> = at_price
        .iter()
        .map(|(b, &q)| TiedBidder {
            bidder: b.clone(),
            quantity_bid: q,
            // floor(q / total × units_left) units, in u128: q, units_left ≤ 10^12.
            pro_rata: (u128::from(q) * u128::from(units_left) / u128::from(total)) as u64 * unit,
            random: rng.next_u64(),
            extra: 0,
        })
        .collect();
    let given: u64 = bidders.iter().map(|b| b.pro_rata).sum();
    let mut leftover = units_left - given / unit;
    let mut order: Vec<usize> = (0..bidders.len()).collect();
    order.sort_by_key(|&i| (bidders[i].random, i));
    // Each floor loses less than one unit, so the leftover is below the number of bidders;
    // the loop still guards against giving anyone more than they bid.
    while leftover > 0 {
        let before = leftover;
        for &i in &order {
            if leftover == 0 {
                break;
            }
            let b = &mut bidders[i];
            if b.pro_rata + b.extra + unit <= b.quantity_bid {
                b.extra += unit;
                leftover -= 1;
            }
        }
        if leftover == before {
            break;
        }
    }
    Tie {
        price_cents: price,
        remaining,
        unit: params.tie_unit,
        seed: params.seed,
        bidders,
    }
}
