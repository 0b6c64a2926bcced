//! `tonne bench auction [--json]`: an auction event with 1,000,000 bids from 1,000 bidders
//! (BENCHMARKS.md). The workload is generated deterministically
//! (`tonne_market::auction_event::workload`, SplitMix64); `TONNE_BENCH_SCALE=ci` runs 20,000
//! bids from 100 bidders.
//!
//! Timed: `seconds`, the event on bids in memory — registration and qualification of every bid,
//! CAD prices converted, limits and guarantees, both auctions cleared (reserve, limit and
//! guarantee screens, ranking, tie rule), the split between jurisdictions and consignors,
//! proceeds and the public summary; the median of `--runs` runs. `csv_seconds`: reading both bid
//! files from CSV text in memory (parsing, exact cents, line numbers), once.

use anyhow::{Result, bail};
use serde_json::json;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Instant;
use tonne_market::auction_event::{self, workload};
use tonne_market::csv_input::{BidFile, read_bid_file};

#[derive(clap::Args)]
pub struct AuctionBenchArgs {
    #[arg(long)]
    json: bool,
    /// Timed runs of the event; `seconds` is their median.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    runs: u32,
}

/// The bids as the CSV a bidder platform would export.
fn to_csv(f: &BidFile) -> String {
    let mut out = String::with_capacity(f.bids.len() * 28);
    out.push_str("bidder,price,quantity,currency\n");
    let mut cad = f.cad_prices.iter().peekable();
    for (i, b) in f.bids.iter().enumerate() {
        let currency = if cad.peek() == Some(&&i) {
            cad.next();
            "CAD"
        } else {
            "USD"
        };
        let _ = writeln!(
            out,
            "{},{}.{:02},{},{currency}",
            b.bidder,
            b.price_cents / 100,
            b.price_cents % 100,
            b.quantity
        );
    }
    out
}

pub fn run(a: AuctionBenchArgs) -> Result<ExitCode> {
    let ci = std::env::var("TONNE_BENCH_SCALE").as_deref() == Ok("ci");
    let cfg = if ci {
        workload::WorkloadConfig::ci()
    } else {
        workload::WorkloadConfig::full()
    };
    let t = Instant::now();
    let w = workload::generate(cfg);
    let generate_seconds = t.elapsed().as_secs_f64();
    let bids = w.current.bids.len() + w.advance.bids.len();

    // CSV: the same bids through the file reader, checked to read back identically.
    let (cur_csv, adv_csv) = (to_csv(&w.current), to_csv(&w.advance));
    let t = Instant::now();
    let cur = read_bid_file(cur_csv.as_bytes(), "bids")?;
    let adv = read_bid_file(adv_csv.as_bytes(), "advance bids")?;
    let csv_seconds = t.elapsed().as_secs_f64();
    if cur != w.current || adv != w.advance {
        bail!("the bids read back from CSV differ from those generated");
    }
    drop((cur_csv, adv_csv));

    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..a.runs {
        let (c, v) = (w.current.clone(), w.advance.clone());
        let t = Instant::now();
        let r = auction_event::run(&w.notice, c, Some(v), 0)?;
        times.push(t.elapsed().as_secs_f64());
        if let Some(prev) = &result
            && prev != &r
        {
            bail!("two runs of the same event differ");
        }
        result = Some(r);
    }
    let r = result.expect("at least one run");
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let seconds = sorted[sorted.len() / 2];
    let adv = r
        .advance
        .as_ref()
        .expect("the workload has an advance auction");
    let (cs, as_) = (&r.current.summary, &adv.summary);
    if a.json {
        println!(
            "{}",
            json!({
                "bids": bids,
                "seconds": seconds,
                "runs_seconds": times,
                "csv_seconds": csv_seconds,
                "generate_seconds": generate_seconds,
                "bids_per_second": (bids as f64 / seconds).round(),
                "bidders": w.notice.bidders.len(),
                "current_bids": w.current.bids.len(),
                "advance_bids": w.advance.bids.len(),
                "scale": if ci { "ci" } else { "full" },
                "current": {"offered": cs.offered, "qualified_bids": cs.qualified_bids, "sold": cs.sold,
                    "settlement_price_usd_cents": cs.settlement_price_usd_cents, "tie": r.current.tie.is_some()},
                "advance": {"offered": as_.offered, "qualified_bids": as_.qualified_bids, "sold": as_.sold,
                    "settlement_price_usd_cents": as_.settlement_price_usd_cents, "tie": adv.tie.is_some()},
            })
        );
    } else {
        println!(
            "{bids} bids from {} bidders ({} current, {} advance){}",
            w.notice.bidders.len(),
            w.current.bids.len(),
            w.advance.bids.len(),
            if ci { ", CI scale" } else { "" }
        );
        println!(
            "auction event (qualification, both clearings, split, summary) {seconds:>8.3} s  (median of {}: {})",
            times.len(),
            times
                .iter()
                .map(|t| format!("{t:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "reading both bid files from CSV                               {csv_seconds:>8.3} s"
        );
        println!(
            "current: {} of {} sold at {}; advance: {} of {} sold at {}",
            cs.sold,
            cs.offered,
            cs.settlement_price_usd_cents
                .map_or("-".into(), |p| format!("${}", super::dollars(p).get())),
            as_.sold,
            as_.offered,
            as_.settlement_price_usd_cents
                .map_or("-".into(), |p| format!("${}", super::dollars(p).get())),
        );
    }
    Ok(ExitCode::SUCCESS)
}
