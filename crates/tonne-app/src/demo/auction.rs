//! The demo's February 2026 joint auction: bids cleared by tonne-market's auction engine, the
//! sold allowances taken consigned-first and then from each jurisdiction pro rata to what it
//! offered, delivered to the winners by one `settle_auction` command.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use tonne_market::auction::{Bid, Limits, Params, run};

/// 2026 auction reserve price, USD cents (REG-§95911(c), published table: $25.87; tonne-market
/// data/us-ca.json).
fn reserve_cents() -> u64 {
    tonne_market::rules::builtin("US-CA")
        .and_then(|r| r.reserve_price(2026))
        .expect("the shipped rules publish the 2026 reserve price")
}

/// Supply: (source account, series jurisdiction, consignor, allowances), consigned first:
/// 3,000,000 offered. Demand at or above the reserve price is 200,000, so the auction is
/// undersubscribed and the sold quantity is split between the jurisdictions pro rata to what
/// each offered (reference/cap-and-trade.md §1.1 a, DERIVED).
const SUPPLY: [(&str, &str, Option<&str>, u64); 3] = [
    ("CA-AUCTION", "US-CA", Some("CA4001"), 50_000),
    ("CA-AUCTION", "US-CA", None, 2_360_000),
    ("QC-AUCTION", "CA-QC", None, 590_000),
];

/// Bidder (the entity's holding account), whether it is a covered entity (else voluntarily
/// associated), and its bids: (price in cents, allowances).
const BIDS: [(&str, bool, u64, u64); 4] = [
    ("CA3001-H", false, 2_950, 120_000),
    ("CA3001-H", false, 2_600, 50_000),
    ("QC3001-H", false, 2_800, 80_000),
    // Below the reserve price: set aside before anything else.
    ("CA1001-H", true, 2_500, 20_000),
];

/// Each bidder's purchase limit: its category's share of the allowances offered, as the
/// shipped programme rules give them (25 % covered, 4 % others; UNVERIFIED, tonne-market
/// data/us-ca.json, reference/cap-and-trade.md §1.3), rounded down.
fn limits(supply: u64) -> BTreeMap<String, Limits> {
    let shares = tonne_market::rules::builtin("US-CA")
        .expect("shipped rules")
        .purchase_limits;
    BIDS.iter()
        .map(|&(bidder, covered, _, _)| {
            let bp = if covered {
                shares.covered_bp
            } else {
                shares.other_bp
            };
            let limit = (u128::from(supply) * u128::from(bp) / 10_000) as u64;
            (
                bidder.to_owned(),
                Limits {
                    purchase_limit: Some(limit),
                    ..Limits::default()
                },
            )
        })
        .collect()
}

/// The `settle_auction` command of the cleared auction.
pub fn settlement() -> Value {
    let bids: Vec<Bid> = BIDS
        .iter()
        .map(|&(b, _, p, q)| Bid {
            bidder: b.into(),
            price_cents: p,
            quantity: q,
        })
        .collect();
    let supply: u64 = SUPPLY.iter().map(|s| s.3).sum();
    let outcome = run(
        &bids,
        &limits(supply),
        supply,
        reserve_cents(),
        Params {
            seed: 20_260_225,
            ..Params::default()
        },
    )
    .expect("the demo's bids are valid");
    let price = outcome
        .settlement_price_cents
        .expect("the demo auction sells");
    // Consigned allowances sell first (REG-§95910(d)).
    let consigned: u64 = SUPPLY.iter().filter(|s| s.2.is_some()).map(|s| s.3).sum();
    let state_owned: Vec<u64> = SUPPLY
        .iter()
        .filter(|s| s.2.is_none())
        .map(|s| s.3)
        .collect();
    // The rest of what sold split between the jurisdictions pro rata to what each offered.
    let mut shares = tonne_market::pro_rata::split(
        outcome.sold.saturating_sub(consigned),
        &state_owned,
        &mut tonne_core::rng::SplitMix64::new(20_260_225),
    )
    .into_iter();
    let pools: Vec<(usize, u64)> = SUPPLY
        .iter()
        .enumerate()
        .map(|(i, s)| match s.2 {
            Some(_) => (i, s.3.min(outcome.sold)),
            None => (i, shares.next().expect("one share per offer").total()),
        })
        .collect();
    let mut deliveries = Vec::new();
    let mut pool = pools.into_iter().filter(|p| p.1 > 0).peekable();
    for (bidder, &won) in &outcome.awards {
        let mut need = won;
        while need > 0 {
            let (i, avail) = pool.peek_mut().expect("sold = Σ awards");
            let q = need.min(*avail);
            let (from, jur, consignor, _) = SUPPLY[*i];
            deliveries.push(json!({
                "from": from, "to": bidder,
                "series": {"jurisdiction": jur, "kind": "allowance", "vintage": 2026},
                "quantity": q, "consignor": consignor
            }));
            *avail -= q;
            need -= q;
            if *avail == 0 {
                pool.next();
            }
        }
    }
    json!({"settle_auction": {
        "auction": "2026-02-joint-current",
        "price": {"unit_price_minor": price, "currency": "USD"},
        "deliveries": deliveries
    }})
}
