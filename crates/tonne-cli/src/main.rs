//! `tonne`: the registry's command line. Errors are reported with `anyhow` here, at the edge.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;
use tonne_app::commands::parse_jsonl;
use tonne_app::statement::{AsOf, state_as_of, statement};
use tonne_app::{Ledger, Outcome, bench, demo, open_existing_store, open_store};
use tonne_core::{AccountId, Timestamp};

// The ledger allocates and frees many small objects, often across the replay threads; mimalloc
// handles that far better than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (`mimalloc.h`, 16th option; the crate's bindings name
/// no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

mod cems;
mod link;
mod market;
mod mrv;
mod report;

const DEFAULT_DB: &str = "tonne.db";

#[derive(Parser)]
#[command(
    name = "tonne",
    version,
    about = "Tonne: an open, linkable carbon-market registry and MRV platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build a linked California–Québec demo market on a new, empty store and summarise it.
    Demo {
        /// A file path or sqlite://PATH (embedded), or postgres://URL. Without it, a new file
        /// tonne-demo.db (or tonne-demo-2.db, … if that exists) in the current folder.
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Apply a JSON Lines file of commands (see docs/commands.md). The whole file is parsed
    /// first; a syntax error anywhere applies nothing.
    Apply {
        file: String,
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[arg(long)]
        json: bool,
        /// Commands per durable transaction; results are printed only once committed.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=tonne_core::limits::MAX_BATCH as i64))]
        commit_every: u32,
    },
    /// Replay the journal and check chain, conservation, serials and stored state.
    Verify {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[arg(long)]
        json: bool,
    },
    /// Balances of an account (or all accounts), now or as of a past seq or instant.
    Balances {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        /// One account; all accounts when omitted.
        #[arg(long)]
        account: Option<String>,
        /// Journal sequence number to report as of.
        #[arg(long, conflicts_with = "as_of")]
        as_of_seq: Option<u64>,
        /// RFC 3339 instant (e.g. 2026-03-01T00:00:00Z) to report as of.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The journal: `head` prints the latest seq and hash; `show` lists entries.
    Journal {
        #[command(subcommand)]
        what: JournalCmd,
    },
    /// MRV: emission quantification methods (Part 98, IPCC 2006) with traces.
    Mrv {
        #[command(subcommand)]
        what: mrv::MrvCmd,
    },
    /// Market operations: auction clearing, holding limits.
    Market {
        #[command(subcommand)]
        what: market::MarketCmd,
    },
    /// Linkage with a sovereign peer registry: serve its messages, send, reconcile.
    Link {
        #[command(subcommand)]
        what: link::LinkCmd,
    },
    /// Public market reports from a store: compliance report, auction results.
    Report {
        #[command(subcommand)]
        what: report::ReportCmd,
    },
    /// Benchmarks (figures go to BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
}

#[derive(Subcommand)]
enum JournalCmd {
    Head {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        #[arg(long)]
        json: bool,
    },
    Show {
        #[arg(long, default_value = DEFAULT_DB)]
        db: String,
        /// First seq to show.
        #[arg(long, default_value_t = 1)]
        from: u64,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Ledger throughput: batched vs per-transfer commits vs a naive SQL baseline; replay and
    /// memory. Scaled down when TONNE_BENCH_SCALE=ci.
    Ledger {
        /// Store to use and leave behind; a temporary SQLite file when omitted.
        #[arg(long)]
        db: Option<String>,
        #[arg(long)]
        json: bool,
        /// Override the number of batched transfers.
        #[arg(long)]
        transfers: Option<u64>,
    },
    /// Part 75 CEMS: one year of hourly data for many units, Tonne against a pandas script on
    /// the same file. Scaled down when TONNE_BENCH_SCALE=ci.
    Cems(cems::BenchArgs),
    /// Auction event: 1,000,000 bids from 1,000 bidders with limits and guarantees, current
    /// and advance auctions cleared, split and summarised. Scaled down when TONNE_BENCH_SCALE=ci.
    Auction(market::bench::AuctionBenchArgs),
}

fn main() -> ExitCode {
    // Output piped into `head` or a pager that closes early ends the process quietly, as other
    // command-line tools do, instead of a panic on the failed write.
    #[cfg(unix)]
    // SAFETY: called first in main, before any thread starts; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Memory freed is kept for reuse rather than handed back to the system: replay frees and
    // allocates in a steady cycle, and mimalloc's purging made it fault the same pages in again
    // (measured on a 1.3 M-entry replay: 2,969 page faults against 1,071, and about 12 % more
    // CPU; see BENCHMARKS.md). The process keeps its peak footprint instead, which `bench`
    // reports anyway.
    // SAFETY: mi_option_set only stores an option value; any value is valid for this option.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
    // No transparent huge pages: where the kernel grants them on request (`madvise` mode) the
    // heap's growth faulted in 2 MB pages, each zeroed whole (a 1.3 M-entry replay spent
    // 0.49-0.64 s of system time with them, 0.25-0.35 s without; see BENCHMARKS.md).
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments and only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Cmd::Demo { db, json } => {
            let db = db.unwrap_or_else(fresh_demo_path);
            if !json {
                println!("Building the demo registry in {db}\n");
            }
            let store = open_store(&db).with_context(|| format!("opening {db}"))?;
            let mut ledger = Ledger::open(store)?;
            let summary = demo::run(&mut ledger)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{}", demo::render(&summary));
                let report = tonne_app::verify::verify(ledger.store()?)?;
                println!(
                    "Verify: {}",
                    if report.ok {
                        "ok — journal replays to the stored state"
                    } else {
                        "FAILED"
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Apply {
            file,
            db,
            json,
            commit_every,
        } => apply(&file, &db, json, commit_every as usize),
        Cmd::Verify { db, json } => {
            let mut store = open_existing_store(&db).with_context(|| format!("opening {db}"))?;
            let r = tonne_app::verify::verify(store.as_mut())?;
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else if r.ok {
                println!(
                    "ok: {} journal entries replay to the stored state; head {}",
                    r.entries, r.head_hash
                );
            } else {
                println!(
                    "FAILED check {}: {} (first bad seq: {})",
                    r.check.as_deref().unwrap_or("?"),
                    r.detail.as_deref().unwrap_or(""),
                    r.first_bad_seq.map_or("-".into(), |s| s.to_string())
                );
            }
            Ok(if r.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Cmd::Balances {
            db,
            account,
            as_of_seq,
            as_of,
            json,
        } => {
            let mut store = open_existing_store(&db)?;
            let at = match (as_of_seq, as_of) {
                (Some(s), _) => AsOf::Seq(s),
                (None, Some(t)) => AsOf::Time(Timestamp::parse(&t).with_context(|| "--as-of")?),
                (None, None) => AsOf::Head,
            };
            let (state, seq) = state_as_of(store.as_mut(), at)?;
            let accounts: Vec<AccountId> = match account {
                Some(a) => vec![AccountId::parse(&a).with_context(|| "--account")?],
                None => {
                    let mut v: Vec<_> = state.accounts.keys().cloned().collect();
                    v.sort();
                    v
                }
            };
            let statements = accounts
                .iter()
                .map(|a| statement(&state, seq, a))
                .collect::<Result<Vec<_>, _>>()?;
            if json {
                println!("{}", serde_json::to_string(&statements)?);
            } else {
                println!("as of journal seq {seq}");
                for s in statements {
                    for l in &s.lines {
                        println!(
                            "  {:<12} {:<26} {:>12}  {}",
                            s.account,
                            l.series,
                            l.held,
                            l.ranges.join(" ")
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Journal {
            what: JournalCmd::Head { db, json },
        } => {
            let mut store = open_existing_store(&db)?;
            let (seq, hash) = store.head()?;
            if json {
                println!("{}", json!({"seq": seq, "hash": hex::encode(hash)}));
            } else {
                println!("{seq} {}", hex::encode(hash));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Journal {
            what:
                JournalCmd::Show {
                    db,
                    from,
                    limit,
                    json,
                },
        } => {
            let mut store = open_existing_store(&db)?;
            let mut out = std::io::stdout().lock();
            let mut shown = 0;
            let mut err = None;
            let _ = store.scan_journal(from.saturating_sub(1), &mut |e| {
                if shown >= limit {
                    return Err(tonne_store::StoreError::Corrupt("enough".into()));
                }
                shown += 1;
                let line = match e.decode() {
                    Ok((env, effects)) => json!({"seq": e.seq, "hash": hex::encode(e.hash), "prev_hash": hex::encode(e.prev_hash), "ts": e.ts, "actor": e.actor, "key": e.key, "v": e.format, "cmd": env.cmd, "effects": effects}),
                    Err(x) => json!({"seq": e.seq, "error": x.to_string()}),
                };
                let text = if json { line.to_string() } else { format!("{} {} {} {} {}", e.seq, e.ts, e.actor, line["cmd"].as_object().and_then(|o| o.keys().next().cloned()).unwrap_or_default(), &hex::encode(e.hash)[..16]) };
                if let Err(x) = writeln!(out, "{text}") {
                    err = Some(x);
                }
                Ok(())
            });
            if let Some(e) = err {
                bail!(e);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Mrv { what } => mrv::run(what),
        Cmd::Market { what } => market::run(what),
        Cmd::Report { what } => report::run(what),
        Cmd::Link { what } => link::run(what),
        Cmd::Bench {
            what: BenchCmd::Cems(a),
        } => cems::bench(a),
        Cmd::Bench {
            what: BenchCmd::Auction(a),
        } => market::bench::run(a),
        Cmd::Bench {
            what:
                BenchCmd::Ledger {
                    db,
                    json,
                    transfers,
                },
        } => {
            let mut cfg = if std::env::var("TONNE_BENCH_SCALE").as_deref() == Ok("ci") {
                bench::BenchConfig::ci()
            } else {
                bench::BenchConfig::full()
            };
            if let Some(t) = transfers {
                cfg.transfers = t;
            }
            let tmp;
            let url = match db {
                Some(u) => u,
                None => {
                    tmp =
                        std::env::temp_dir().join(format!("tonne-bench-{}.db", std::process::id()));
                    tmp.to_string_lossy().into_owned()
                }
            };
            let quiet = json;
            let r = bench::run(&url, &cfg, &mut |phase| {
                if !quiet {
                    eprintln!("bench: {phase}…");
                }
            })?;
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!("store: {} ({} journal entries)", r.store, r.journal_entries);
                println!(
                    "batched durable commits     {:>12.0} transfers/s",
                    r.batched_tps
                );
                println!(
                    "one durable commit each     {:>12.0} transfers/s",
                    r.single_commit_tps
                );
                println!(
                    "naive SQL baseline          {:>12.0} transfers/s  (batched is {:.0}x)",
                    r.naive_baseline_tps,
                    r.batched_tps / r.naive_baseline_tps
                );
                println!(
                    "request/confirm/accept      {:>12.0} commands/s",
                    r.commands_per_s
                );
                println!(
                    "replay (open)               {:>12.0} entries/s",
                    r.replay_entries_per_s
                );
                println!(
                    "verify                      {:>12.0} entries/s",
                    r.verify_entries_per_s
                );
                println!(
                    "in-memory apply             {:>12.0} transfers/s",
                    r.in_memory_tps
                );
                println!(
                    "{} serial ranges held in {:.0} MB; peak RSS {:.0} MB",
                    r.ranges_held, r.ranges_mb, r.peak_rss_mb
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The first of tonne-demo.db, tonne-demo-2.db, … that does not exist yet.
fn fresh_demo_path() -> String {
    (1..)
        .map(|n| {
            if n == 1 {
                "tonne-demo.db".to_string()
            } else {
                format!("tonne-demo-{n}.db")
            }
        })
        .find(|p| !std::path::Path::new(p).exists())
        .expect("some name is free")
}

fn apply(file: &str, db: &str, json: bool, commit_every: usize) -> Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
    let commands = match parse_jsonl(&text) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                if json {
                    println!(
                        "{}",
                        json!({"line": e.line, "ok": false, "error": "syntax", "message": e.message})
                    );
                } else {
                    eprintln!("{file}:{e}");
                }
            }
            eprintln!(
                "{} line(s) are malformed; nothing was applied",
                errors.len()
            );
            return Ok(ExitCode::from(2));
        }
    };
    let mut ledger = Ledger::open(open_store(db).with_context(|| format!("opening {db}"))?)?;
    let mut out = std::io::stdout().lock();
    let mut pending: Vec<(usize, String, Outcome)> = Vec::new();
    let mut rejected = 0usize;
    let emit = |pending: &mut Vec<(usize, String, Outcome)>,
                out: &mut std::io::StdoutLock<'_>|
     -> Result<()> {
        for (line, key, o) in pending.drain(..) {
            let mut v = o.to_json();
            v["line"] = json!(line);
            v["key"] = json!(key);
            if json {
                writeln!(out, "{v}")?;
            } else {
                match &o {
                    Outcome::Accepted { seq, .. } => writeln!(out, "line {line}: ok, seq {seq}")?,
                    Outcome::Rejected(r) => writeln!(out, "line {line}: rejected {r}")?,
                    Outcome::Replayed(_) => writeln!(
                        out,
                        "line {line}: already applied (key {key}); stored result {v}"
                    )?,
                }
            }
        }
        out.flush()?;
        Ok(())
    };
    for (line, env) in &commands {
        let outcome = if commit_every == 1 {
            ledger.execute(env)?
        } else {
            ledger.stage(env)?
        };
        // A replayed refusal is still a refusal for the caller's exit code.
        let refused = match &outcome {
            Outcome::Rejected(_) => true,
            Outcome::Replayed(json) => json.contains("\"ok\":false"),
            Outcome::Accepted { .. } => false,
        };
        rejected += usize::from(refused);
        pending.push((*line, env.key.clone(), outcome));
        if commit_every == 1 || ledger.staged() >= commit_every {
            ledger.flush()?;
            emit(&mut pending, &mut out)?;
        }
    }
    ledger.flush()?;
    emit(&mut pending, &mut out)?;
    if !json {
        eprintln!(
            "{} command(s): {} applied or replayed, {} rejected",
            commands.len(),
            commands.len() - rejected,
            rejected
        );
    }
    Ok(if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
