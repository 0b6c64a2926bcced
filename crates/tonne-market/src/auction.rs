//! A single-round, sealed-bid, uniform-price allowance auction (REG-§95911(a)(1)-(2), VERIFIED),
//! evaluated in the order of QC-s.52, the joint-auction procedure (VERIFIED;
//! reference/cap-and-trade.md §1.1):
//!
//! 0. bids below the reserve price are set aside (REG-§95911(b)(2): nothing sells below it);
//! 1. purchase-limit and holding-limit screen: a bidder's lots above the lower of its two limits
//!    are removed, lowest-priced lots first (QC-s.52 para 1);
//! 2. bid-guarantee screen: a bidder's maximum bid value — over its price levels p, p × the lots
//!    it bid at p or more — may not exceed its guarantee; excess lots are removed and re-tested
//!    at the next lower prices present in the bid book, re-entering at the first price the
//!    guarantee covers (QC-s.52 paras 3-4; WAC 173-446-325(2) for the bid value);
//! 3. bids are ranked by price and filled from the top until supply runs out (para 5);
//! 4. everyone pays the lowest price at which allowances are awarded (para 6);
//! 5. a tie at that price shares the remaining allowances pro rata to the quantity each tied
//!    bidder bid there, rounded down, then one unit each in the order of a random number drawn
//!    per bidder from a seeded generator (the Québec allocation pattern of QC-s.54.1, 61.3 and
//!    61.5, VERIFIED; its use for the auction tie and the rounding unit are UNVERIFIED, so the
//!    unit is a parameter);
//! 6. an undersubscribed auction fills every remaining bid at the lowest accepted price
//!    (VERIFIED-SECONDARY, legal-planet.org 2012).
//!
//! Prices are integers in cents (bids are in whole cents, REG-§95911(a)(4), VERIFIED);
//! quantities are integers in allowances.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// REG-§95911(a)(3): bids are in lots of 1,000 allowances (VERIFIED).
pub const LOT: u64 = 1_000;

/// One bid: `quantity` allowances (a multiple of [`LOT`]) at `price_cents` each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bid {
    pub bidder: String,
    pub price_cents: u64,
    pub quantity: u64,
}

/// A bidder's limits; `None` means no limit of that kind (but supply).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Allowances the bidder may buy in this auction.
    pub purchase_limit: Option<u64>,
    /// Allowances it may acquire before reaching its holding limit (limited exemption included).
    pub holding_headroom: Option<u64>,
    pub bid_guarantee_cents: Option<u64>,
}

/// The unit the tie rule rounds to (UNVERIFIED, reference/cap-and-trade.md §1.4: "whole
/// allowances is the likelier reading").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieUnit {
    #[default]
    Allowance,
    Lot,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Params {
    pub tie_unit: TieUnit,
    /// Seed of the tie rule's random numbers ([`SplitMix64`]).
    pub seed: u64,
}

/// The tie rule's generator: SplitMix64, portable integer arithmetic, so the same seed draws the
/// same numbers on every machine.
pub use tonne_core::rng::SplitMix64;

/// What the screens did to one bidder, for the results summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Screening {
    pub below_reserve: u64,
    pub over_limits: u64,
    pub over_guarantee: u64,
    /// Lots removed by the guarantee screen that re-entered at a lower price.
    pub reentered: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TiedBidder {
    pub bidder: String,
    pub quantity_bid: u64,
    pub pro_rata: u64,
    pub random: u64,
    pub extra: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tie {
    pub price_cents: u64,
    /// Allowances left for the tied bids.
    pub remaining: u64,
    pub unit: TieUnit,
    pub seed: u64,
    pub bidders: Vec<TiedBidder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `None` when nothing sells.
    pub settlement_price_cents: Option<u64>,
    pub sold: u64,
    pub unsold: u64,
    /// Allowances awarded per bidder (bidders awarded nothing are left out), sorted by bidder.
    pub awards: BTreeMap<String, u64>,
    pub screening: BTreeMap<String, Screening>,
    pub tie: Option<Tie>,
    /// The qualified bids: each bidder's bids that passed the reserve, limit and guarantee
    /// screens, merged by price, highest first, re-entered lots at the price they re-entered
    /// at. Bidders left with nothing are left out.
    pub qualified_bids: BTreeMap<String, Vec<(u64, u64)>>,
}

/// A bidder's bids merged by price, highest first: `(price_cents, allowances)`.
type Book = Vec<(u64, u64)>;

/// A bidder's maximum bid value, cents: over its price levels p, p × the allowances it bid at
/// p or more (WAC 173-446-325(2), VERIFIED; the same concept in California and Québec).
/// `book` is sorted by price, highest first.
pub fn max_bid_value_cents(book: &[(u64, u64)]) -> u128 {
    let mut at_or_above = 0u128;
    let mut max = 0u128;
    for &(p, q) in book {
        at_or_above += u128::from(q);
        max = max.max(u128::from(p) * at_or_above);
    }
    max
}

/// Sorts a bidder's bids by price, highest first, and adds up those at one price.
fn merge(bids: &mut [(u64, u64)]) -> Book {
    bids.sort_unstable_by_key(|&(p, _)| std::cmp::Reverse(p));
    let mut out: Book = Vec::with_capacity(bids.len());
    for &(p, q) in bids.iter() {
        match out.last_mut() {
            Some(last) if last.0 == p => last.1 += q,
            _ => out.push((p, q)),
        }
    }
    out
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

/// Where `price` is (or would be) in `levels`, which are sorted highest first.
fn level_of(levels: &[u64], price: u64) -> usize {
    levels.partition_point(|&l| l > price)
}

/// Step 2: the bid-guarantee screen over the book's price levels, highest first. `levels` are
/// every price present in the auction's bid book, descending. Returns the screened book, the
/// allowances removed for good, and those that re-entered at a lower price.
///
/// At each level p (from the bidder's top price down) the bidder's own lots at p and the lots
/// carried from above are tested together: the most whole lots with p × (allowances accepted
/// at p or more) ≤ the guarantee are accepted, the rest carried lower. Levels where nothing can
/// change are skipped: with no lots carried, the next one is the bidder's next own price; with
/// lots carried, one more lot is covered only once p × (accepted + LOT) ≤ the guarantee, i.e.
/// at the first level ≤ guarantee / (accepted + LOT).
fn screen_guarantee(book: &Book, guarantee_cents: u64, levels: &[u64]) -> (Book, u64, u64) {
    let mut out = Vec::with_capacity(book.len());
    let Some(&(top, _)) = book.first() else {
        return (out, 0, 0);
    };
    let (mut accepted, mut carried, mut reentered) = (0u64, 0u64, 0u64);
    let mut own = book.iter().peekable();
    let mut li = level_of(levels, top);
    while li < levels.len() {
        let p = levels[li];
        let own_q = match own.peek() {
            Some(&&(op, q)) if op == p => {
                own.next();
                q
            }
            _ => 0,
        };
        let q = own_q + carried;
        if q > 0 {
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
        let next_own = own.peek().map(|&&(op, _)| level_of(levels, op));
        let next_carried =
            (carried > 0).then(|| level_of(levels, guarantee_cents / (accepted + LOT)).max(li + 1));
        li = match (next_own, next_carried) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            // Lots still carried below the lowest price in the book are dropped.
            (None, None) => break,
        };
    }
    let bid: u64 = book.iter().map(|&(_, q)| q).sum();
    (out, bid - accepted, reentered)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuctionError {
    #[error("bid of {bidder}: {quantity} allowances is not a positive multiple of {LOT}")]
    NotWholeLots { bidder: String, quantity: u64 },
}

/// The bidders in ascending id order, and each bid's bidder as an index into them.
fn index_bidders(bids: &[Bid]) -> Result<(Vec<&str>, Vec<u32>), AuctionError> {
    assert!(bids.len() < u32::MAX as usize, "bids fit u32 indices");
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut first_seen: Vec<&str> = Vec::new();
    let mut of: Vec<u32> = Vec::with_capacity(bids.len());
    let mut last: Option<(&str, u32)> = None;
    for b in bids {
        if b.quantity == 0 || !b.quantity.is_multiple_of(LOT) {
            return Err(AuctionError::NotWholeLots {
                bidder: b.bidder.clone(),
                quantity: b.quantity,
            });
        }
        let i = match last {
            // Files usually list a bidder's bids together: skip the lookup.
            Some((name, i)) if name == b.bidder => i,
            _ => {
                let next = first_seen.len() as u32;
                let i = *index.entry(b.bidder.as_str()).or_insert_with(|| {
                    first_seen.push(&b.bidder);
                    next
                });
                last = Some((&b.bidder, i));
                i
            }
        };
        of.push(i);
    }
    let mut order: Vec<u32> = (0..first_seen.len() as u32).collect();
    order.sort_unstable_by_key(|&i| first_seen[i as usize]);
    let mut rank = vec![0u32; order.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    for x in &mut of {
        *x = rank[*x as usize];
    }
    Ok((order.iter().map(|&i| first_seen[i as usize]).collect(), of))
}

/// Runs the auction. Pure and deterministic: the same inputs and seed give the same outcome,
/// whatever the order of the bids.
pub fn run(
    bids: &[Bid],
    limits: &BTreeMap<String, Limits>,
    supply: u64,
    reserve_cents: u64,
    params: Params,
) -> Result<Outcome, AuctionError> {
    let (names, bidder_of) = index_bidders(bids)?;
    let n = names.len();
    let mut screening = vec![Screening::default(); n];
    // Step 0, and the bids at or above the reserve grouped by bidder (a counting sort).
    let mut start = vec![0usize; n + 1];
    for (b, &r) in bids.iter().zip(&bidder_of) {
        if b.price_cents < reserve_cents {
            screening[r as usize].below_reserve += b.quantity;
        } else {
            start[r as usize + 1] += 1;
        }
    }
    for r in 0..n {
        start[r + 1] += start[r];
    }
    let mut placed = start.clone();
    let mut grouped = vec![(0u64, 0u64); start[n]];
    for (b, &r) in bids.iter().zip(&bidder_of) {
        if b.price_cents >= reserve_cents {
            grouped[placed[r as usize]] = (b.price_cents, b.quantity);
            placed[r as usize] += 1;
        }
    }
    let mut books: Vec<Book> = (0..n)
        .map(|r| merge(&mut grouped[start[r]..start[r + 1]]))
        .collect();
    drop(grouped);
    let limits: Vec<Limits> = names
        .iter()
        .map(|b| limits.get(*b).copied().unwrap_or_default())
        .collect();
    // Step 1: purchase and holding limits.
    for ((book, l), s) in books.iter_mut().zip(&limits).zip(&mut screening) {
        let cap = match (l.purchase_limit, l.holding_headroom) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(cap) = cap.filter(|_| !book.is_empty()) {
            s.over_limits += screen_limits(book, cap);
        }
    }
    // Step 2: bid guarantees, against the price levels left in the book.
    let mut levels: Vec<u64> = books.iter().flatten().map(|&(p, _)| p).collect();
    levels.sort_unstable_by(|a, b| b.cmp(a));
    levels.dedup();
    for ((book, l), s) in books.iter_mut().zip(&limits).zip(&mut screening) {
        if let Some(g) = l.bid_guarantee_cents.filter(|_| !book.is_empty()) {
            let (screened, removed, reentered) = screen_guarantee(book, g, &levels);
            s.over_guarantee += removed;
            s.reentered += reentered;
            *book = screened;
        }
    }
    // Steps 3-6: rank by price, fill from the top, uniform price, tie rule. Every screened
    // price is one of `levels` (own prices and re-entry prices both come from the book).
    let mut totals = vec![0u64; levels.len()];
    for book in &books {
        for &(p, q) in book {
            totals[level_of(&levels, p)] += q;
        }
    }
    let mut remaining = supply;
    let mut settlement = None;
    let mut tie = None;
    // The first level not filled in full; bids above it are.
    let mut stop = None;
    let mut tied: Vec<(usize, u64)> = Vec::new();
    for (li, &total) in totals.iter().enumerate() {
        if remaining == 0 {
            stop = Some(li);
            break;
        }
        if total == 0 {
            continue;
        }
        let price = levels[li];
        if total <= remaining {
            remaining -= total;
            settlement = Some(price);
            continue;
        }
        stop = Some(li);
        let mut at_price: BTreeMap<String, u64> = BTreeMap::new();
        for (r, book) in books.iter().enumerate() {
            if let Ok(k) = book.binary_search_by(|&(p, _)| price.cmp(&p)) {
                at_price.insert(names[r].to_owned(), book[k].1);
                tied.push((r, 0));
            }
        }
        let t = break_tie(price, &at_price, remaining, params);
        // `at_price` iterates in bidder order, as `tied` was filled.
        for (slot, tb) in tied.iter_mut().zip(&t.bidders) {
            slot.1 = tb.pro_rata + tb.extra;
        }
        let given: u64 = tied.iter().map(|&(_, q)| q).sum();
        remaining -= given;
        if given > 0 {
            settlement = Some(price);
        }
        tie = Some(t);
        break;
    }
    let cut = stop.map(|li| levels[li]);
    let mut award: Vec<u64> = books
        .iter()
        .map(|book| {
            book.iter()
                .take_while(|&&(p, _)| cut.is_none_or(|c| p > c))
                .map(|&(_, q)| q)
                .sum()
        })
        .collect();
    for &(r, q) in &tied {
        award[r] += q;
    }
    let sold = supply - remaining;
    debug_assert_eq!(sold, award.iter().sum::<u64>());
    Ok(Outcome {
        settlement_price_cents: settlement,
        sold,
        unsold: remaining,
        awards: names
            .iter()
            .zip(&award)
            .filter(|&(_, &q)| q > 0)
            .map(|(b, &q)| ((*b).to_owned(), q))
            .collect(),
        screening: names
            .iter()
            .map(|b| (*b).to_owned())
            .zip(screening)
            .collect(),
        tie,
        qualified_bids: names
            .iter()
            .zip(books)
            .filter(|(_, book)| !book.is_empty())
            .map(|(b, book)| ((*b).to_owned(), book))
            .collect(),
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
