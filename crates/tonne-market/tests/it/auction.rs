//! The auction's steps with hand-computed expectations (reference/cap-and-trade.md §1.1), and
//! its invariants as properties.

use proptest::prelude::*;
use std::collections::BTreeMap;
use tonne_market::auction::{Bid, LOT, Limits, Params, TieUnit, run};

fn bid(b: &str, dollars: u64, q: u64) -> Bid {
    Bid {
        bidder: b.into(),
        price_cents: dollars * 100,
        quantity: q,
    }
}

fn awards(o: &tonne_market::auction::Outcome) -> Vec<(&str, u64)> {
    o.awards.iter().map(|(b, q)| (b.as_str(), *q)).collect()
}

#[test]
fn uniform_price_from_the_top() {
    let bids = [bid("A", 30, 3000), bid("B", 29, 3000), bid("C", 28, 2000)];
    let o = run(&bids, &BTreeMap::new(), 5000, 2500, Params::default()).unwrap();
    // A fills 3,000 at $30; B's 3,000 at $29 exceed the 2,000 left: B alone is "tied".
    assert_eq!(awards(&o), [("A", 3000), ("B", 2000)]);
    assert_eq!(
        (o.settlement_price_cents, o.sold, o.unsold),
        (Some(2900), 5000, 0)
    );
}

#[test]
fn reserve_price_and_undersubscription() {
    let bids = [bid("A", 30, 3000), bid("B", 20, 3000)];
    let o = run(&bids, &BTreeMap::new(), 10_000, 2500, Params::default()).unwrap();
    // B is below the $25 reserve: set aside. A fills; the price is the lowest accepted bid.
    assert_eq!(awards(&o), [("A", 3000)]);
    assert_eq!(
        (o.settlement_price_cents, o.sold, o.unsold),
        (Some(3000), 3000, 7000)
    );
    assert_eq!(o.screening["B"].below_reserve, 3000);
    let none = run(
        &[bid("B", 20, 1000)],
        &BTreeMap::new(),
        10_000,
        2500,
        Params::default(),
    )
    .unwrap();
    assert_eq!(
        (none.settlement_price_cents, none.sold, none.unsold),
        (None, 0, 10_000)
    );
    assert!(none.awards.is_empty());
}

/// 12,000 bid at the settlement price for 10,000: A ⌊6000·10000/12000⌋ = 5,000;
/// B ⌊5000·10000/12000⌋ = 4,166; C ⌊1000·10000/12000⌋ = 833; the 1 left goes to the bidder
/// with the lowest random number.
#[test]
fn tie_rule_pro_rata_then_random_units() {
    let bids = [bid("A", 30, 6000), bid("B", 30, 5000), bid("C", 30, 1000)];
    let o = run(
        &bids,
        &BTreeMap::new(),
        10_000,
        2500,
        Params {
            tie_unit: TieUnit::Allowance,
            seed: 7,
        },
    )
    .unwrap();
    let t = o.tie.as_ref().unwrap();
    let pro: Vec<u64> = t.bidders.iter().map(|b| b.pro_rata).collect();
    assert_eq!(pro, [5000, 4166, 833]);
    let extra: u64 = t.bidders.iter().map(|b| b.extra).sum();
    assert_eq!(extra, 1);
    let lowest = t.bidders.iter().min_by_key(|b| b.random).unwrap();
    assert_eq!(lowest.extra, 1);
    assert_eq!(o.sold, 10_000);
    // Same seed, same result; the seed is the only source of chance.
    let again = run(
        &bids,
        &BTreeMap::new(),
        10_000,
        2500,
        Params {
            tie_unit: TieUnit::Allowance,
            seed: 7,
        },
    )
    .unwrap();
    assert_eq!(again, o);
    // In whole lots: 10 lots for 12; ⌊6·10/12⌋ = 5, ⌊5·10/12⌋ = 4, ⌊1·10/12⌋ = 0, 1 lot left.
    let lots = run(
        &bids,
        &BTreeMap::new(),
        10_000,
        2500,
        Params {
            tie_unit: TieUnit::Lot,
            seed: 7,
        },
    )
    .unwrap();
    assert!(lots.awards.values().all(|q| q % LOT == 0));
    assert_eq!(lots.sold, 10_000);
}

/// A bids 7,000 (2,000 at $40, 3,000 at $35, 2,000 at $30) under a 4,500 purchase limit: 4 whole
/// lots stay, the lowest-priced go first — 2,000 at $40 and 2,000 at $35.
#[test]
fn limit_screen_removes_lowest_priced_lots() {
    let bids = [bid("A", 40, 2000), bid("A", 35, 3000), bid("A", 30, 2000)];
    let limits = BTreeMap::from([(
        "A".to_owned(),
        Limits {
            purchase_limit: Some(4500),
            holding_headroom: Some(9000),
            bid_guarantee_cents: None,
        },
    )]);
    let o = run(&bids, &limits, 100_000, 2500, Params::default()).unwrap();
    assert_eq!(awards(&o), [("A", 4000)]);
    assert_eq!(o.settlement_price_cents, Some(3500));
    assert_eq!(o.screening["A"].over_limits, 3000);
}

/// A: 2,000 at $40 and 3,000 at $30 with a $100,000 guarantee. At $40: $80,000 — covered. At $30
/// the guarantee covers 3,333 allowances, 1,333 more: one lot stays, two are removed and
/// re-tested at the next lower price in the book, $25 (B's bid): 4,000 covered, one more lot
/// re-enters; the last lot finds no lower price and is dropped.
#[test]
fn guarantee_screen_re_tests_removed_lots_lower_down() {
    let bids = [bid("A", 40, 2000), bid("A", 30, 3000), bid("B", 25, 1000)];
    let limits = BTreeMap::from([(
        "A".to_owned(),
        Limits {
            bid_guarantee_cents: Some(10_000_000),
            ..Limits::default()
        },
    )]);
    let o = run(&bids, &limits, 100_000, 2500, Params::default()).unwrap();
    assert_eq!(awards(&o), [("A", 4000), ("B", 1000)]);
    assert_eq!(o.settlement_price_cents, Some(2500));
    assert_eq!(
        (o.screening["A"].over_guarantee, o.screening["A"].reentered),
        (1000, 1000)
    );
}

proptest! {
    /// Whatever the bids: awards never exceed supply or what a bidder bid (after screens), the
    /// price is at least the reserve and every winner bid at least the price, and sold + unsold
    /// = supply.
    #[test]
    fn auction_invariants(
        raw in prop::collection::vec((0u8..6, 2000u64..4000, 1u64..20), 0..40),
        supply_lots in 0u64..200, seed in any::<u64>(), lot in any::<bool>(),
    ) {
        let bids: Vec<Bid> = raw.iter().map(|(b, p, q)| Bid { bidder: format!("B{b}"), price_cents: *p, quantity: q * LOT }).collect();
        let supply = supply_lots * LOT + if lot { 0 } else { 500 };
        let params = Params { tie_unit: if lot { TieUnit::Lot } else { TieUnit::Allowance }, seed };
        let o = run(&bids, &BTreeMap::new(), supply, 2500, params).unwrap();
        prop_assert_eq!(o.sold + o.unsold, supply);
        prop_assert_eq!(o.sold, o.awards.values().sum::<u64>());
        if let Some(p) = o.settlement_price_cents {
            prop_assert!(p >= 2500);
            for (b, q) in &o.awards {
                let eligible: u64 = bids.iter().filter(|x| &x.bidder == b && x.price_cents >= p).map(|x| x.quantity).sum();
                prop_assert!(*q <= eligible, "{} got {} of {}", b, q, eligible);
            }
        } else {
            prop_assert_eq!(o.sold, 0);
        }
        let demand: u64 = bids.iter().filter(|x| x.price_cents >= 2500).map(|x| x.quantity).sum();
        if !lot {
            prop_assert_eq!(o.sold, demand.min(supply));
        }
    }
}

/// A random auction with limits and guarantees: bidders, bids in a narrow price band (so levels
/// repeat and guarantees re-enter lots), limits for some bidders.
fn arb_auction() -> impl Strategy<Value = (Vec<Bid>, BTreeMap<String, Limits>, u64, u64)> {
    let bids = prop::collection::vec((0u8..8, 2400u64..2600, 1u64..6), 0..60);
    let limits = prop::collection::vec(
        (
            0u8..8,
            prop::option::of(0u64..12_000),
            prop::option::of(0u64..12_000),
            prop::option::of(0u64..40_000_000),
        ),
        0..8,
    );
    (bids, limits, 0u64..60_000, 2400u64..2560).prop_map(|(raw, lim, supply, reserve)| {
        let bids = raw
            .iter()
            .map(|(b, p, q)| Bid {
                bidder: format!("B{b}"),
                price_cents: *p,
                quantity: q * LOT,
            })
            .collect();
        let limits = lim
            .into_iter()
            .map(|(b, pl, hh, g)| {
                (
                    format!("B{b}"),
                    Limits {
                        purchase_limit: pl,
                        holding_headroom: hh,
                        bid_guarantee_cents: g,
                    },
                )
            })
            .collect();
        (bids, limits, supply, reserve)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    /// The optimised clearing gives exactly the outcome of the original implementation
    /// (tests/it/auction_oracle.rs), screens, tie and qualified bids included.
    #[test]
    fn optimised_run_matches_the_original(
        (bids, limits, supply, reserve) in arb_auction(), seed in any::<u64>(), lot in any::<bool>(),
    ) {
        let params = Params { tie_unit: if lot { TieUnit::Lot } else { TieUnit::Allowance }, seed };
        let fast = run(&bids, &limits, supply, reserve, params);
        let slow = crate::auction_oracle::run_original(&bids, &limits, supply, reserve, params);
        prop_assert_eq!(fast, slow);
    }

    /// The order of the bids does not matter, given the seed.
    #[test]
    fn independent_of_bid_order(
        (bids, limits, supply, reserve) in arb_auction(), seed in any::<u64>(), rot in any::<usize>(),
    ) {
        let params = Params { tie_unit: TieUnit::Allowance, seed };
        let mut shuffled = bids.clone();
        shuffled.reverse();
        if !shuffled.is_empty() {
            let k = rot % shuffled.len();
            shuffled.rotate_left(k);
        }
        prop_assert_eq!(
            run(&bids, &limits, supply, reserve, params),
            run(&shuffled, &limits, supply, reserve, params)
        );
    }
}

#[test]
fn max_bid_value_over_price_levels() {
    use tonne_market::auction::max_bid_value_cents;
    // $40 × 2,000 = $80,000; $30 × 5,000 = $150,000; $10 × 9,000 = $90,000.
    let book = [(4000, 2000), (3000, 3000), (1000, 4000)];
    assert_eq!(max_bid_value_cents(&book), 15_000_000);
    assert_eq!(max_bid_value_cents(&[]), 0);
}
