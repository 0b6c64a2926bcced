//! `tonne market …`: auctions and holding limits from the command line (docs/market.md).

use anyhow::{Result, anyhow};
use clap::Subcommand;
use serde_json::json;
use std::process::ExitCode;
use tonne_market::auction::{self, Params, TieUnit};
use tonne_market::csv_input::{parse_dollars, read_bids, read_limits};

pub mod bench;
mod event;

#[derive(Subcommand)]
pub enum MarketCmd {
    /// Clears a sealed-bid, uniform-price auction: reserve price, limit and bid-guarantee
    /// screens, price ranking, settlement price, tie rule (QC-s.52 order).
    Auction {
        /// CSV `bidder,price,quantity`: price in dollars (≤ 2 decimals), quantity a positive
        /// multiple of 1,000 allowances.
        #[arg(long)]
        bids: String,
        /// Allowances offered.
        #[arg(long)]
        supply: u64,
        /// Auction reserve price, dollars (≤ 2 decimals).
        #[arg(long)]
        reserve_price: String,
        /// CSV `bidder,purchase_limit,holding_headroom,bid_guarantee` (allowances, allowances,
        /// dollars); a bidder absent from it has no limit but supply.
        #[arg(long)]
        limits: Option<String>,
        /// Seed of the tie rule's random numbers (SplitMix64; default 0).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Unit the tie rule rounds to: allowance (default) or lot (UNVERIFIED rule).
        #[arg(long, default_value = "allowance")]
        tie_unit: String,
        #[arg(long)]
        json: bool,
    },
    /// Runs a joint auction event from its notice: qualification of bidders, joint reserve
    /// price, purchase limits by category, one bid guarantee for both auctions, the current and
    /// the advance auction, the split of sold allowances between jurisdictions and consignors,
    /// proceeds, and the public results summary (docs/market.md "Auction events").
    AuctionEvent(event::AuctionEventArgs),
    /// Output-based industrial allocation for one facility and year: initial allocation from
    /// output two years earlier plus the true-up (REG-§95891; factors from the input file).
    Allocation {
        /// JSON: facility, year, activities (output, benchmark, assistance and cap adjustment
        /// factors for t and t−2), initial_allocation_t_minus_2, rounding (down | half_up).
        file: String,
        #[arg(long)]
        json: bool,
    },
    /// Validates a programme rules file (or prints a shipped example) as JSON.
    Rules {
        /// A rules file (format tonne-program-rules/1, docs/market.md).
        file: Option<String>,
        /// A shipped example instead: US-CA or CA-QC.
        #[arg(long, conflicts_with = "file")]
        jurisdiction: Option<String>,
    },
    /// The holding limit for a (combined) annual budget: 1,875,000 + budget / 40 above
    /// 25 M allowances (QC-s.32), a configurable share at or below it; rounded down.
    HoldingLimit {
        /// Annual budget in allowances (the linked jurisdictions' budgets added).
        #[arg(long)]
        budget: u64,
        /// Share of a budget ≤ 25 M, basis points (UNVERIFIED rule; default 10 %).
        #[arg(long)]
        small_budget_bp: Option<u32>,
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn dollars(cents: u64) -> Box<serde_json::value::RawValue> {
    let text = if cents.is_multiple_of(100) {
        format!("{}", cents / 100)
    } else {
        format!("{}.{:02}", cents / 100, cents % 100)
            .trim_end_matches('0')
            .to_owned()
    };
    serde_json::value::RawValue::from_string(text).expect("a number")
}

pub fn run(cmd: MarketCmd) -> Result<ExitCode> {
    match cmd {
        MarketCmd::AuctionEvent(a) => event::run(a),
        MarketCmd::Auction {
            bids,
            supply,
            reserve_price,
            limits,
            seed,
            tie_unit,
            json,
        } => {
            let reserve =
                parse_dollars(&reserve_price).map_err(|e| anyhow!("--reserve-price: {e}"))?;
            if supply > tonne_market::csv_input::MAX_QUANTITY {
                return Err(anyhow!(
                    "--supply: {supply} is above {}",
                    tonne_market::csv_input::MAX_QUANTITY
                ));
            }
            let tie_unit = match tie_unit.as_str() {
                "allowance" => TieUnit::Allowance,
                "lot" => TieUnit::Lot,
                other => return Err(anyhow!("--tie-unit: {other:?}: expected allowance or lot")),
            };
            let open = |f: &str| std::fs::File::open(f).map_err(|e| anyhow!("{f}: {e}"));
            let bid_list = read_bids(std::io::BufReader::new(open(&bids)?))
                .map_err(|e| anyhow!("{bids}: {e}"))?;
            let limit_map = match &limits {
                Some(f) => read_limits(std::io::BufReader::new(open(f)?))
                    .map_err(|e| anyhow!("{f}: {e}"))?,
                None => Default::default(),
            };
            let o = auction::run(
                &bid_list,
                &limit_map,
                supply,
                reserve,
                Params { tie_unit, seed },
            )?;
            if json {
                let awards: Vec<serde_json::Value> = o
                    .awards
                    .iter()
                    .map(|(b, q)| json!({"bidder": b, "quantity": q}))
                    .collect();
                let out = json!({
                    "settlement_price": o.settlement_price_cents.map(dollars),
                    "sold": o.sold,
                    "unsold": o.unsold,
                    "awards": awards,
                    "reserve_price": dollars(reserve),
                    "supply": supply,
                    "seed": seed,
                    "tie": o.tie,
                    "screening": o.screening,
                });
                println!("{out}");
            } else {
                match o.settlement_price_cents {
                    Some(p) => println!("settlement price ${}", dollars(p).get()),
                    None => println!("nothing sold (no bid at or above the reserve price)"),
                }
                println!("sold {} of {supply}; unsold {}", o.sold, o.unsold);
                for (b, q) in &o.awards {
                    println!("  {b:<20} {q:>12}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MarketCmd::Allocation { file, json } => {
            let text = std::fs::read_to_string(&file).map_err(|e| anyhow!("{file}: {e}"))?;
            let de = &mut serde_json::Deserializer::from_str(&text);
            let input: tonne_market::allocation::AllocationInput =
                serde_path_to_error::deserialize(de)
                    .map_err(|e| anyhow!("{file}: {}: {}", e.path(), e.inner()))?;
            let a =
                tonne_market::allocation::allocate(&input).map_err(|e| anyhow!("{file}: {e}"))?;
            if json {
                println!("{}", serde_json::to_string(&a)?);
            } else {
                println!(
                    "{} {}: initial {} + true-up {} = {} allowances",
                    a.facility, a.year, a.initial, a.true_up, a.total
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        MarketCmd::Rules { file, jurisdiction } => {
            let rules = match (file, jurisdiction) {
                (Some(f), _) => {
                    let text = std::fs::read_to_string(&f).map_err(|e| anyhow!("{f}: {e}"))?;
                    tonne_market::rules::ProgramRules::parse(&text)
                        .map_err(|e| anyhow!("{f}: {e}"))?
                }
                (None, Some(j)) => tonne_market::rules::builtin(&j).ok_or_else(|| {
                    anyhow!("--jurisdiction {j:?}: shipped examples are US-CA and CA-QC")
                })?,
                (None, None) => {
                    return Err(anyhow!("give a rules FILE or --jurisdiction US-CA|CA-QC"));
                }
            };
            println!("{}", serde_json::to_string_pretty(&rules)?);
            Ok(ExitCode::SUCCESS)
        }
        MarketCmd::HoldingLimit {
            budget,
            small_budget_bp,
            json,
        } => {
            let bp = small_budget_bp
                .unwrap_or(tonne_registry::RegistryRules::default().small_budget_limit_bp);
            if bp > 10_000 {
                return Err(anyhow!("--small-budget-bp: {bp} is above 10000 (100 %)"));
            }
            let hl = tonne_registry::holding_limit::holding_limit(budget, bp);
            if json {
                println!(
                    "{}",
                    json!({"holding_limit": hl, "budget": budget, "small_budget_bp": bp})
                );
            } else {
                println!("{hl}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
