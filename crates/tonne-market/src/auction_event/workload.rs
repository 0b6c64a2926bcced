//! A deterministic auction-event workload for `tonne bench auction` (BENCHMARKS.md): a joint
//! California–Québec notice with consigned allowances, bidders of every category with
//! guarantees in USD and CAD and some holding-limit headroom, and bids drawn from a seeded
//! [`SplitMix64`] — the same workload on every machine.
//!
//! The figures are illustrative, not a real auction: the supply is 60 allowances per current
//! bid and 70 per advance bid (54 M and 7 M at full size), prices run from $27.00 to $44.99 so
//! some bids fall below the $27.94 reserve (the 2026 California ARP, VERIFIED-SECONDARY,
//! reference/cap-and-trade.md §2.2), and every limit and guarantee screen has work to do.

use super::notice::{
    AuctionDate, BidGuarantee, Bidder, Consignment, EntityType, EventRulesInput, ExchangeRateInput,
    FORMAT, HoldingHeadroom, JurisdictionInput, Notice, Offer, Offering,
};
use crate::auction::{Bid, LOT};
use crate::csv_input::BidFile;
use crate::currency::{Currency, ExchangeRate};
use crate::rules::PurchaseLimits;
use tonne_core::rng::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadConfig {
    pub bidders: usize,
    pub current_bids: usize,
    pub advance_bids: usize,
    pub seed: u64,
}

impl WorkloadConfig {
    /// 1,000,000 bids from 1,000 bidders.
    pub fn full() -> Self {
        Self {
            bidders: 1_000,
            current_bids: 900_000,
            advance_bids: 100_000,
            seed: 0xA0C7_1014,
        }
    }

    /// `TONNE_BENCH_SCALE=ci`: 20,000 bids from 100 bidders.
    pub fn ci() -> Self {
        Self {
            bidders: 100,
            current_bids: 18_000,
            advance_bids: 2_000,
            ..Self::full()
        }
    }
}

pub struct Workload {
    pub notice: Notice,
    pub current: BidFile,
    pub advance: BidFile,
}

/// Builds the notice and both bid files.
pub fn generate(cfg: WorkloadConfig) -> Workload {
    assert!(cfg.bidders > 0, "a workload has bidders");
    let mut rng = SplitMix64::new(cfg.seed);
    let current_supply = cfg.current_bids as u64 * 60;
    let advance_supply = cfg.advance_bids as u64 * 70;
    let share = |total: u64, bp: u64| total * bp / 10_000;
    let consigned = |total: u64| {
        ["CA-EDU-01", "CA-EDU-02", "CA-EDU-03"]
            .iter()
            .zip([1_100u64, 900, 300])
            .map(|(c, bp)| Consignment {
                consignor: (*c).to_owned(),
                quantity: share(total, bp),
            })
            .collect::<Vec<_>>()
    };
    let current = Offering {
        offers: vec![
            Offer {
                jurisdiction: "US-CA".into(),
                vintage: 2026,
                state_owned: share(current_supply, 5_300),
                consigned: consigned(current_supply),
            },
            Offer {
                jurisdiction: "US-CA".into(),
                vintage: 2025,
                state_owned: share(current_supply, 400),
                consigned: vec![],
            },
            Offer {
                jurisdiction: "CA-QC".into(),
                vintage: 2026,
                state_owned: current_supply - share(current_supply, 8_000),
                consigned: vec![],
            },
        ],
    };
    let advance = Offering {
        offers: vec![
            Offer {
                jurisdiction: "US-CA".into(),
                vintage: 2029,
                state_owned: share(advance_supply, 8_000),
                consigned: vec![],
            },
            Offer {
                jurisdiction: "CA-QC".into(),
                vintage: 2029,
                state_owned: advance_supply - share(advance_supply, 8_000),
                consigned: vec![],
            },
        ],
    };
    let mut bidders = Vec::with_capacity(cfg.bidders);
    for i in 0..cfg.bidders {
        let quebec = rng.chance(300_000);
        let entity_type = match rng.below(100) {
            0..75 => EntityType::Covered,
            75..80 => EntityType::OptIn,
            _ => EntityType::VoluntarilyAssociated,
        };
        let currency = if quebec && rng.chance(500_000) {
            Currency::CAD
        } else {
            Currency::USD
        };
        let headroom =
            |rng: &mut SplitMix64| rng.chance(300_000).then(|| rng.range(500, 5_000) * LOT);
        bidders.push(Bidder {
            id: format!("B{i:04}"),
            jurisdiction: if quebec { "CA-QC" } else { "US-CA" }.into(),
            entity_type,
            // One in a hundred registered but not approved (and so without bids).
            qualified: i == 0 || !rng.chance(10_000),
            bid_guarantee: BidGuarantee {
                amount: rng.range(5_000_000, 150_000_000) * 100,
                currency,
            },
            holding_headroom: HoldingHeadroom {
                current: headroom(&mut rng),
                advance: headroom(&mut rng),
            },
            payment_currency: None,
            holding_account: None,
            // Two in fifty bidders form a direct corporate association with shared limits.
            corporate_association: (i % 50 < 2).then(|| format!("G{:04}", i / 50)),
        });
    }
    let qualified: Vec<usize> = (0..cfg.bidders).filter(|&i| bidders[i].qualified).collect();
    let notice = Notice {
        format: FORMAT.into(),
        name: "Benchmark joint auction".into(),
        date: AuctionDate {
            year: 2026,
            month: 2,
            day: 18,
        },
        note: Some("generated by tonne_market::auction_event::workload".into()),
        exchange_rate: ExchangeRateInput {
            cad_per_usd: ExchangeRate::parse("1.3654").expect("a rate"),
            source: Some("implied AER of auction #46, DERIVED (reference §2.2)".into()),
        },
        rules: EventRulesInput {
            purchase_limits: Some(PurchaseLimits {
                covered_bp: 2_500,
                other_bp: 400,
                advance_bp: 2_500,
                electrical_distribution_utility_bp: None,
                mark: "UNVERIFIED".into(),
                source: "reference/cap-and-trade.md §1.3, California current".into(),
            }),
            ..EventRulesInput::default()
        },
        jurisdictions: vec![
            JurisdictionInput {
                code: "US-CA".into(),
                currency: Currency::USD,
                reserve_price: Some(2_794),
                source: Some("2026 ARP, VERIFIED-SECONDARY (reference §2.2)".into()),
                note: None,
                auction_account: None,
            },
            JurisdictionInput {
                code: "CA-QC".into(),
                currency: Currency::CAD,
                reserve_price: Some(3_700),
                source: Some("illustrative".into()),
                note: None,
                auction_account: None,
            },
        ],
        current,
        advance: Some(advance),
        bidders,
        auction_id: None,
        closes_at: None,
    };
    notice.validate().expect("the generated notice is valid");
    let bids = |n: usize, rng: &mut SplitMix64| {
        let mut f = BidFile {
            bids: Vec::with_capacity(n),
            lines: Vec::with_capacity(n),
            cad_prices: Vec::new(),
        };
        for k in 0..n {
            let b = &notice.bidders[qualified[rng.below(qualified.len() as u64) as usize]];
            let mut price_cents = rng.range(2_700, 4_499);
            if b.jurisdiction == "CA-QC" && rng.chance(200_000) {
                // A CAD bid: about the same price in Canadian dollars.
                price_cents = price_cents * 13_654 / 10_000;
                f.cad_prices.push(k);
            }
            f.bids.push(Bid {
                bidder: b.id.clone(),
                price_cents,
                quantity: rng.range(1, 5) * LOT,
            });
            f.lines.push(k as u64 + 2);
        }
        f
    };
    let current = bids(cfg.current_bids, &mut rng);
    let advance = bids(cfg.advance_bids, &mut rng);
    Workload {
        notice,
        current,
        advance,
    }
}
