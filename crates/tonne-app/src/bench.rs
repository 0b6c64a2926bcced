//! `tonne bench ledger`. A transfer is one executed instrument movement with every execution
//! check (serial ranges, account eligibility, linkage, holding limits). Measured in one run on
//! the same store: (a) batched durable commits by the single in-memory writer, (b) one durable
//! commit per transfer, (c) the naive SQL baseline, plus the full request/confirm/accept flow,
//! replay and verify speed, peak memory and the memory of one million held serial ranges.

use crate::ledger::{AppError, Ledger, Outcome};
use crate::open::open_store;
use serde::Serialize;
use std::time::Instant;
use tonne_core::{
    AccountId, InstrumentKind, JurisdictionCode, SerialRange, SeriesKey, Timestamp, TransferId,
    UserId,
};
use tonne_registry::{
    AccountType, Command, EntityType, Envelope, Leg, Price, RegistryRules, RepRole, State,
    TransactionType, UserRole,
};

/// Allowances allocated to each benchmark account at setup (workload data, not a rule).
const ALLOCATED_PER_ACCOUNT: u64 = 5_000;

#[derive(Debug, Clone, Serialize)]
pub struct BenchConfig {
    pub accounts: u32,
    pub transfers: u64,
    pub single: u64,
    pub naive: u64,
    pub flow: u64,
    pub ranges: u64,
    pub batch: usize,
}

impl BenchConfig {
    /// Full size (local runs).
    pub fn full() -> Self {
        Self {
            accounts: 1_000,
            transfers: 1_000_000,
            single: 2_000,
            naive: 2_000,
            flow: 100_000,
            ranges: 1_000_000,
            batch: 8_192,
        }
    }
    /// Scaled down for CI (`TONNE_BENCH_SCALE=ci`).
    pub fn ci() -> Self {
        Self {
            accounts: 200,
            transfers: 50_000,
            single: 200,
            naive: 200,
            flow: 5_000,
            ranges: 100_000,
            batch: 8_192,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub batched_tps: f64,
    /// Of the batched phase: seconds applying in memory (stage), and seconds the applier waited
    /// for the background commit of the previous batch.
    pub batched_apply_s: f64,
    pub batched_commit_wait_s: f64,
    /// Serial ranges moved per executed transfer in the batched phase (lowest-first transfers
    /// fragment holdings, so one transfer moves several ranges).
    pub range_moves_per_transfer: f64,
    pub single_commit_tps: f64,
    pub naive_baseline_tps: f64,
    pub commands_per_s: f64,
    pub replay_entries_per_s: f64,
    pub verify_entries_per_s: f64,
    pub peak_rss_mb: f64,
    pub ranges_held: u64,
    pub ranges_mb: f64,
    pub in_memory_tps: f64,
    pub journal_entries: u64,
    pub store: String,
    pub config: BenchConfig,
}

/// Deterministic generator (SplitMix64) so every run does the same work.
use tonne_core::rng::SplitMix64 as Rng;

fn id<T>(f: fn(&str) -> Result<T, tonne_core::IdError>, s: &str) -> T {
    f(s).expect("bench ids are valid")
}

struct Gen {
    t: i64,
    n: u64,
    series: SeriesKey,
}

impl Gen {
    /// California 2026 allowances, commands from 2026-01-05 on, one millisecond apart.
    fn new() -> Self {
        let series = SeriesKey::new(
            JurisdictionCode::parse("US-CA").expect("valid"),
            InstrumentKind::Allowance,
            Some(2026),
            None,
        )
        .expect("valid");
        let t = Timestamp::parse("2026-01-05T00:00:00Z")
            .expect("valid")
            .millis();
        Self { t, n: 0, series }
    }

    fn env(&mut self, actor: &str, cmd: Command) -> Envelope {
        self.t += 1;
        self.n += 1;
        Envelope {
            v: 1,
            key: format!("bench-{}", self.n),
            ts: Timestamp::from_millis(self.t).expect("in range"),
            actor: id(UserId::parse, actor),
            cmd,
        }
    }
    fn leg(&self, q: u64) -> Vec<Leg> {
        vec![Leg {
            series: self.series.clone(),
            quantity: Some(q),
            ranges: vec![],
        }]
    }
}

fn acct(i: u64) -> AccountId {
    id(AccountId::parse, &format!("A{i}"))
}

fn setup(cfg: &BenchConfig, g: &mut Gen) -> Vec<Envelope> {
    let (ca, qc) = (
        JurisdictionCode::parse("US-CA").expect("valid"),
        JurisdictionCode::parse("CA-QC").expect("valid"),
    );
    let mut v = vec![
        g.env(
            "admin",
            Command::Genesis {
                name: "bench".into(),
                rules: RegistryRules::default(),
            },
        ),
        g.env(
            "admin",
            Command::AddJurisdiction {
                code: ca,
                name: "California".into(),
                time_zone: "America/Los_Angeles".into(),
                currency: "USD".into(),
                holidays: vec![],
            },
        ),
        g.env(
            "admin",
            Command::AddJurisdiction {
                code: qc,
                name: "Québec".into(),
                time_zone: "America/Toronto".into(),
                currency: "CAD".into(),
                holidays: vec![],
            },
        ),
        g.env(
            "admin",
            Command::AddUser {
                user: id(UserId::parse, "reg"),
                name: "regulator".into(),
                role: UserRole::Regulator { jurisdiction: ca },
            },
        ),
        g.env(
            "admin",
            Command::Link {
                a: ca,
                b: qc,
                effective: Timestamp::from_millis(g.t).expect("in range"),
            },
        ),
        // REG-§95841 Table 6-1: 2026 budget 254.0 M (VERIFIED); Québec 49.52 M UNVERIFIED (bench data).
        g.env(
            "reg",
            Command::SetBudget {
                jurisdiction: ca,
                year: 2026,
                allowances: 254_000_000,
            },
        ),
    ];
    v.push(g.env(
        "admin",
        Command::AddUser {
            user: id(UserId::parse, "qreg"),
            name: "qc regulator".into(),
            role: UserRole::Regulator { jurisdiction: qc },
        },
    ));
    v.push(g.env(
        "qreg",
        Command::SetBudget {
            jurisdiction: qc,
            year: 2026,
            allowances: 49_520_000,
        },
    ));
    v.push(g.env(
        "reg",
        Command::RegisterEntity {
            entity: id(tonne_core::EntityId::parse, "GOV"),
            jurisdiction: ca,
            name: "government".into(),
            entity_type: EntityType::Government,
            group: None,
        },
    ));
    v.push(g.env(
        "reg",
        Command::OpenAccount {
            account: acct(0),
            entity: id(tonne_core::EntityId::parse, "GOV"),
            account_type: AccountType::Issuance,
        },
    ));
    let per = ALLOCATED_PER_ACCOUNT;
    v.push(g.env(
        "reg",
        Command::Issue {
            series: g.series.clone(),
            quantity: per * u64::from(cfg.accounts),
            to: acct(0),
        },
    ));
    for i in 1..=u64::from(cfg.accounts) {
        let e = id(tonne_core::EntityId::parse, &format!("E{i}"));
        v.push(g.env(
            "reg",
            Command::RegisterEntity {
                entity: e.clone(),
                jurisdiction: ca,
                name: format!("participant {i}"),
                entity_type: EntityType::VoluntarilyAssociated,
                group: None,
            },
        ));
        v.push(g.env(
            "reg",
            Command::OpenAccount {
                account: acct(i),
                entity: e,
                account_type: AccountType::Holding,
            },
        ));
        for (u, role) in [
            (format!("u{i}a"), RepRole::Primary),
            (format!("u{i}b"), RepRole::Alternate),
        ] {
            v.push(g.env(
                "admin",
                Command::AddUser {
                    user: id(UserId::parse, &u),
                    name: u.clone(),
                    role: UserRole::Participant,
                },
            ));
            v.push(g.env(
                "reg",
                Command::SetRepresentative {
                    account: acct(i),
                    user: id(UserId::parse, &u),
                    role,
                },
            ));
        }
        v.push(g.env(
            "reg",
            Command::Allocate {
                from: acct(0),
                to: acct(i),
                legs: g.leg(per),
            },
        ));
    }
    v
}

fn transfer_cmd(g: &mut Gen, rng: &mut Rng, accounts: u32) -> Envelope {
    let n = u64::from(accounts);
    let from = 1 + rng.below(n);
    let to = 1 + (from + rng.below(n - 1)) % n;
    let q = 1 + rng.below(20);
    let legs = g.leg(q);
    g.env(
        "reg",
        Command::ExecuteTransfer {
            from: acct(from),
            to: acct(to),
            legs,
            reason: "bench".into(),
        },
    )
}

fn peak_rss_mb() -> f64 {
    status_kb("VmHWM:") / 1024.0
}
fn rss_mb() -> f64 {
    status_kb("VmRSS:") / 1024.0
}
fn status_kb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0.0)
}

fn count_accepted(o: &Outcome) -> u64 {
    u64::from(matches!(o, Outcome::Accepted { .. }))
}

pub fn run(
    url: &str,
    cfg: &BenchConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<BenchReport, AppError> {
    let mut g = Gen::new();
    let mut rng = Rng::new(0x7017E);
    progress("one million serial ranges in memory");
    let (ranges_held, ranges_mb, in_memory_tps) = ranges_in_memory(cfg.ranges);
    let mut ledger = Ledger::open(open_store(url)?)?;
    if ledger.head().0 != 0 {
        return Err(AppError::NotEmpty(format!(
            "journal head is {}; the benchmark needs an empty store",
            ledger.head().0
        )));
    }
    progress("setup");
    for env in setup(cfg, &mut g) {
        ledger.stage(&env)?;
    }
    ledger.flush()?;

    progress("batched durable commits");
    // Two-stage pipeline: batch N is written by a background commit while batch N+1 is applied.
    // Timed wall-clock for the whole phase, command generation and the final sync included.
    let (mut done, mut apply_s, mut wait_s, mut moves, mut accepted) =
        (0u64, 0.0f64, 0.0f64, 0u64, 0u64);
    let phase = Instant::now();
    while done < cfg.transfers {
        let n = (cfg.transfers - done).min(cfg.batch as u64);
        let cmds: Vec<Envelope> = (0..n)
            .map(|_| transfer_cmd(&mut g, &mut rng, cfg.accounts))
            .collect();
        let t = Instant::now();
        for env in &cmds {
            let o = ledger.stage(env)?;
            if let Outcome::Accepted { effects, .. } = &o {
                moves += effects
                    .iter()
                    .filter(|e| matches!(e, tonne_registry::Effect::Moved(_)))
                    .count() as u64;
            }
            accepted += count_accepted(&o);
        }
        apply_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        ledger.flush_async()?;
        wait_s += t.elapsed().as_secs_f64();
        done += n;
    }
    let t = Instant::now();
    ledger.sync()?;
    wait_s += t.elapsed().as_secs_f64();
    let busy = phase.elapsed().as_secs_f64();
    let batched_tps = cfg.transfers as f64 / busy;

    progress("one durable commit per transfer");
    let t = Instant::now();
    for _ in 0..cfg.single {
        let env = transfer_cmd(&mut g, &mut rng, cfg.accounts);
        ledger.execute(&env)?;
    }
    let single_commit_tps = cfg.single as f64 / t.elapsed().as_secs_f64();

    progress("request / confirm / accept flow");
    let t = Instant::now();
    let mut staged = 0;
    for k in 0..cfg.flow {
        let n = u64::from(cfg.accounts);
        let from = 1 + rng.below(n);
        let to = 1 + (from + rng.below(n - 1)) % n;
        let tid = id(TransferId::parse, &format!("F{k}"));
        let legs = g.leg(1 + rng.below(20));
        let price = Some(Price {
            unit_price_minor: 2_900,
            currency: "USD".into(),
        });
        let cmds = [
            g.env(
                &format!("u{from}a"),
                Command::ProposeTransfer {
                    transfer: tid.clone(),
                    from: acct(from),
                    to: acct(to),
                    legs,
                    transaction_type: TransactionType::Secondary,
                    price,
                    settlement_date: Some("2026-03-01".into()),
                },
            ),
            g.env(
                &format!("u{from}b"),
                Command::ConfirmTransfer {
                    transfer: tid.clone(),
                },
            ),
            g.env(
                &format!("u{to}a"),
                Command::AcceptTransfer { transfer: tid },
            ),
        ];
        for env in &cmds {
            ledger.stage(env)?;
        }
        staged += 3;
        if staged >= cfg.batch {
            ledger.flush_async()?;
            staged = 0;
        }
    }
    ledger.flush()?;
    let commands_per_s = (cfg.flow * 3) as f64 / t.elapsed().as_secs_f64();

    let journal_entries = ledger.head().0;
    let store_name = if url.starts_with("postgres") {
        "postgresql"
    } else {
        "sqlite"
    }
    .to_string();
    let mut store = ledger.into_store()?;

    progress("naive SQL baseline");
    let naive = store.naive();
    // Same holdings and limit as the ledger's accounts: 5,000 allowances each; the 2026 holding
    // limit from the combined budget 254.0 M (REG-§95841 Table 6-1) + 49.52 M (Québec,
    // UNVERIFIED): 1,875,000 + 303,520,000 / 40 = 9,463,000 (QC-s.32; DERIVED).
    naive.setup(cfg.accounts, cfg.accounts, ALLOCATED_PER_ACCOUNT, 9_463_000)?;
    let before = naive.total()?;
    let t = Instant::now();
    for _ in 0..cfg.naive {
        let from = rng.below(u64::from(cfg.accounts)) as u32;
        let to = ((u64::from(from) + 1 + rng.below(u64::from(cfg.accounts) - 1))
            % u64::from(cfg.accounts)) as u32;
        naive.transfer(from, to, 1 + rng.below(20))?;
    }
    let naive_baseline_tps = cfg.naive as f64 / t.elapsed().as_secs_f64();
    assert_eq!(
        naive.total()?,
        before,
        "the naive baseline conserves instruments"
    );

    progress("replay");
    let t = Instant::now();
    let ledger = Ledger::open(store)?;
    let replay_entries_per_s = journal_entries as f64 / t.elapsed().as_secs_f64();
    let mut store = ledger.into_store()?;
    progress("verify");
    let t = Instant::now();
    let report = crate::verify::verify(store.as_mut())?;
    let verify_entries_per_s = journal_entries as f64 / t.elapsed().as_secs_f64();
    if !report.ok {
        return Err(AppError::Corrupt {
            seq: report.first_bad_seq.unwrap_or(0),
            check: "bench",
            detail: format!("{report:?}"),
        });
    }
    drop(store);

    Ok(BenchReport {
        batched_tps,
        batched_apply_s: apply_s,
        batched_commit_wait_s: wait_s,
        range_moves_per_transfer: moves as f64 / accepted.max(1) as f64,
        single_commit_tps,
        naive_baseline_tps,
        commands_per_s,
        replay_entries_per_s,
        verify_entries_per_s,
        peak_rss_mb: peak_rss_mb(),
        ranges_held,
        ranges_mb,
        in_memory_tps,
        journal_entries,
        store: store_name,
        config: cfg.clone(),
    })
}

/// Fragments holdings into `target` ranges by moving every other serial, in memory, and
/// measures the resident memory the fragmented state takes.
fn ranges_in_memory(target: u64) -> (u64, f64, f64) {
    let mut g = Gen::new();
    let series = g.series.clone();
    let base = rss_mb();
    let mut state = State::new();
    let cfg = BenchConfig {
        accounts: 2,
        ..BenchConfig::ci()
    };
    for env in setup(&cfg, &mut g) {
        state.apply(&env).expect("setup applies");
    }
    // Move A1's even serials to A2 one by one: each move leaves one range behind in each account.
    let per = ALLOCATED_PER_ACCOUNT;
    let mut held = 0u64;
    let t = Instant::now();
    let mut n = 0u64;
    // Top up A1 with fresh serials in large blocks so it can be fragmented to `target` ranges.
    let need = target + 2;
    state
        .apply(&g.env(
            "reg",
            Command::SetBudget {
                jurisdiction: *series.jurisdiction(),
                year: 2026,
                allowances: 254_000_000,
            },
        ))
        .expect("budget");
    state
        .apply(&g.env(
            "reg",
            Command::Issue {
                series: series.clone(),
                quantity: need,
                to: acct(0),
            },
        ))
        .expect("issue");
    state
        .apply(&g.env(
            "reg",
            Command::Allocate {
                from: acct(0),
                to: acct(1),
                legs: g.leg(need),
            },
        ))
        .expect("allocate");
    let first = 2 * per + 1; // A1's new serials start after setup's issuance
    let mut s = first + 1;
    while held < target {
        let r = SerialRange::new(s, s).expect("valid");
        let env = g.env(
            "reg",
            Command::ExecuteTransfer {
                from: acct(1),
                to: acct(2),
                legs: vec![Leg {
                    series: series.clone(),
                    quantity: None,
                    ranges: vec![r],
                }],
                reason: "fragment".into(),
            },
        );
        state.apply(&env).expect("fragmenting move applies");
        n += 1;
        s += 2;
        held = state.range_count();
    }
    let tps = n as f64 / t.elapsed().as_secs_f64();
    let mb = rss_mb() - base;
    drop(state);
    (held, mb, tps)
}
