//! `tonne market auction-event NOTICE.json --bids BIDS.csv [--advance-bids ADV.csv] [--seed S]
//! [--json] [--settlement FILE [--actor USER] [--ts INSTANT]]`: a joint auction event
//! (docs/market.md "Auction events"), and the registry commands that settle it.

use anyhow::{Context, Result, anyhow};
use std::fmt::Write as _;
use std::process::ExitCode;
use tonne_core::{Timestamp, UserId};
use tonne_market::auction_event::{self, AuctionResult, EventResult, Notice, settlement};
use tonne_market::csv_input::{BidFile, read_bid_file};

#[derive(clap::Args)]
pub struct AuctionEventArgs {
    /// The auction notice: JSON, format tonne-auction-notice/1 (docs/examples/auction-notice.json).
    notice: String,
    /// Current auction bids: CSV `bidder,price,quantity` with an optional fourth column
    /// `currency` (USD or CAD); price in dollars (≤ 2 decimals), quantity a positive multiple
    /// of 1,000 allowances.
    #[arg(long)]
    bids: String,
    /// Advance auction bids, same format (the notice must announce an advance auction).
    #[arg(long)]
    advance_bids: Option<String>,
    /// Seed of the random numbers (tie rule, splits): SplitMix64, default 0.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the results document (tonne-auction-results/1; amounts in cents).
    #[arg(long)]
    json: bool,
    /// Also write the registry's settle_auction commands (one per auction that sold) to FILE,
    /// a `tonne apply` batch. The notice must name each jurisdiction's `auction_account` and
    /// each winner's `holding_account`.
    #[arg(long, value_name = "FILE")]
    settlement: Option<String>,
    /// The user the settlement commands act as (the registry administrator, or a regulator
    /// of every jurisdiction that sold).
    #[arg(long, default_value = "admin", requires = "settlement")]
    actor: String,
    /// RFC 3339 time of the settlement commands; default the notice's `closes_at`.
    #[arg(long, requires = "settlement")]
    ts: Option<String>,
}

fn read_bids(path: &str, file: &'static str) -> Result<BidFile> {
    let f = std::fs::File::open(path).map_err(|e| anyhow!("{path}: {e}"))?;
    read_bid_file(std::io::BufReader::new(f), file).map_err(|e| anyhow!("{path}: {e}"))
}

pub fn run(a: AuctionEventArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.notice).map_err(|e| anyhow!("{}: {e}", a.notice))?;
    let notice = Notice::parse(&text).map_err(|e| anyhow!("{}: {e}", a.notice))?;
    let current = read_bids(&a.bids, "bids")?;
    let advance = match &a.advance_bids {
        Some(p) => Some(read_bids(p, "advance bids")?),
        None => None,
    };
    let r = auction_event::run(&notice, current, advance, a.seed).map_err(|e| {
        // Name the file the error is in.
        let path = match &e {
            auction_event::EventError::Notice(_) => &a.notice,
            auction_event::EventError::UnknownBidder { file, .. }
            | auction_event::EventError::UnqualifiedBidder { file, .. }
            | auction_event::EventError::CadBid { file, .. }
            | auction_event::EventError::NoAdvanceAuction { file }
            | auction_event::EventError::Auction { file, .. } => match *file {
                "advance bids" => a.advance_bids.as_ref().unwrap_or(&a.bids),
                _ => &a.bids,
            },
            auction_event::EventError::Overflow { .. } => &a.notice,
        };
        anyhow!("{path}: {e}")
    })?;
    // Settlement problems are input errors too: found before anything is printed or written.
    let batch = match &a.settlement {
        Some(_) => Some(settlement_batch(&a, &notice, &r)?),
        None => None,
    };
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        print!("{}", render(&r));
    }
    if let (Some(path), Some(batch)) = (&a.settlement, batch) {
        std::fs::write(path, batch).with_context(|| format!("writing {path}"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The settle_auction commands as JSON Lines envelopes for `tonne apply`.
fn settlement_batch(a: &AuctionEventArgs, notice: &Notice, r: &EventResult) -> Result<String> {
    let list = settlement::settlements(notice, r).map_err(|e| anyhow!("{}: {e}", a.notice))?;
    let actor = UserId::parse(&a.actor).with_context(|| "--actor")?;
    let ts = match (&a.ts, notice.closes_at()) {
        (Some(t), _) => Timestamp::parse(t).with_context(|| "--ts")?,
        (None, Some(t)) => t,
        (None, None) => {
            return Err(anyhow!(
                "{}: closes_at: not given, and --settlement needs a time for the settle_auction commands: add closes_at (when bidding closed, e.g. \"{}T13:00:00-08:00\") to the notice or pass --ts",
                a.notice,
                notice.date
            ));
        }
    };
    let mut out = String::new();
    for s in &list {
        out.push_str(&serde_json::to_string(&s.envelope(ts, actor.clone()))?);
        out.push('\n');
    }
    Ok(out)
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cents as `1,234.50`.
fn money(cents: u64) -> String {
    format!("{}.{:02}", thousands(cents / 100), cents % 100)
}

fn percent_bp(bp: u64) -> String {
    format!("{}.{:02} %", bp / 100, bp % 100)
}

fn render(r: &EventResult) -> String {
    let mut o = String::new();
    let res = &r.reserve;
    let _ = writeln!(
        o,
        "{}, {} — auction exchange rate {} CAD/USD, seed {}",
        r.auction, r.date, r.exchange_rate_cad_per_usd, r.seed
    );
    let mut minimums = Vec::new();
    for j in &res.jurisdictions {
        let own = match j.currency {
            tonne_market::currency::Currency::USD => format!("US${}", money(j.reserve_cents)),
            tonne_market::currency::Currency::CAD => format!(
                "C${} = US${}",
                money(j.reserve_cents),
                money(j.reserve_usd_cents)
            ),
        };
        minimums.push(format!("{} {own}", j.jurisdiction));
    }
    let _ = writeln!(
        o,
        "joint reserve price US${} (C${}): the higher of {}",
        money(res.joint_usd_cents),
        money(res.joint_cad_cents),
        minimums.join(", ")
    );
    for a in std::iter::once(&r.current).chain(r.advance.as_ref()) {
        render_auction(&mut o, a);
    }
    o
}

fn render_auction(o: &mut String, a: &AuctionResult) {
    let s = &a.summary;
    let vintages: Vec<String> = s.vintages.iter().map(u16::to_string).collect();
    let kind = match a.kind {
        auction_event::AuctionKind::Current => "Current auction",
        auction_event::AuctionKind::Advance => "Advance auction",
    };
    let _ = writeln!(o, "\n{kind} (vintage {})", vintages.join(", "));
    let _ = writeln!(
        o,
        "  offered {}; qualified bids {} ({}.{:02} × supply); sold {}; unsold {}",
        thousands(s.offered),
        thousands(s.qualified_bids),
        s.bids_to_supply_hundredths / 100,
        s.bids_to_supply_hundredths % 100,
        thousands(s.sold),
        thousands(s.unsold)
    );
    match (s.settlement_price_usd_cents, s.settlement_price_cad_cents) {
        (Some(usd), Some(cad)) => {
            let _ = writeln!(o, "  settlement price US${} (C${})", money(usd), money(cad));
        }
        _ => {
            let _ = writeln!(
                o,
                "  nothing sold (no qualified bid at or above the reserve price)"
            );
        }
    }
    if let (Some(med), Some(mean), Some(min), Some(max)) = (
        s.median_bid_cents,
        s.mean_bid_cents,
        s.min_bid_cents,
        s.max_bid_cents,
    ) {
        let _ = writeln!(
            o,
            "  qualified bid prices: median US${}, mean US${}, min US${}, max US${}",
            money(med),
            money(mean),
            money(min),
            money(max)
        );
    }
    let _ = writeln!(
        o,
        "  compliance entities bought {}; {} qualified bidders bid, {} won",
        s.compliance_entity_share_bp.map_or("-".into(), percent_bp),
        s.qualified_bidders,
        s.winning_bidders
    );
    if !a.awards.is_empty() {
        let _ = writeln!(o, "  awards (settlement price × allowances):");
    }
    for w in &a.awards {
        let cad = w
            .cost_cad_cents
            .map_or(String::new(), |c| format!("  (C${})", money(c)));
        let _ = writeln!(
            o,
            "    {:<16} {:<6} {:>14}  US${}{cad}",
            w.bidder,
            w.jurisdiction,
            thousands(w.quantity),
            money(w.cost_usd_cents)
        );
    }
    let _ = writeln!(o, "  sold by jurisdiction and owner, proceeds:");
    for j in &a.jurisdictions {
        let _ = writeln!(
            o,
            "    {:<6} sold {} of {}: consigned {} of {} (US${} to consignors), own {} of {} (US${})",
            j.jurisdiction,
            thousands(j.sold),
            thousands(j.offered),
            thousands(j.consigned_sold),
            thousands(j.consigned_offered),
            money(j.consigned_proceeds_usd_cents),
            thousands(j.state_owned_sold),
            thousands(j.state_owned_offered),
            money(j.state_owned_proceeds_usd_cents)
        );
        for l in &j.lines {
            let _ = writeln!(
                o,
                "      {:<16} vintage {} {:>14} of {:>14}  US${}",
                l.consignor.as_deref().unwrap_or("(state-owned)"),
                l.vintage,
                thousands(l.sold),
                thousands(l.offered),
                money(l.proceeds_usd_cents)
            );
        }
    }
    let _ = writeln!(o, "  proceeds US${}", money(a.proceeds_usd_cents));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(money(105_818_500), "1,058,185.00");
        assert_eq!(percent_bp(9375), "93.75 %");
    }
}
