//! `tonne mrv cems` (Part 75 CO2 mass, or Part 98 Tier 4 Equation C-6 CO2, from an hourly CEMS
//! CSV, docs/cems.md) and `tonne bench cems` (Tonne against the pandas script
//! `scripts/cems_pandas.py` on one file, Part 75).

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;
use tonne_mrv::cems::fixed::Exact;
use tonne_mrv::cems::generate::{GenSpec, generate};
use tonne_mrv::cems::{
    self, CemsError, Code, Equation, HourRecord, Params, Percentile, Plan, PmaRounding, Report,
    Unbracketed,
};

#[derive(Clone, Copy, ValueEnum)]
enum EquationArg {
    /// 40 CFR 75: K = 5.7e-7 short ton/scf/%; short tons and their exact metric tonnes.
    #[value(name = "part75")]
    Part75,
    /// 40 CFR 98 subpart C Tier 4, Equation C-6: K = 5.18e-7 metric t/scf/%; metric tonnes.
    #[value(name = "part98-c6")]
    Part98C6,
}

#[derive(Clone, Copy, ValueEnum)]
enum PercentileArg {
    NearestRank,
    Linear,
}

#[derive(Clone, Copy, ValueEnum)]
enum PmaRoundingArg {
    Exact,
    Tenth,
}

#[derive(Clone, Copy, ValueEnum)]
enum UnbracketedArg {
    OneSide,
    MaxPotential,
}

/// Part 75 CO2 mass (or Part 98 Tier 4 Equation C-6 CO2) per unit from an hourly CSV
/// (format: docs/cems.md).
#[derive(Args)]
pub struct CemsArgs {
    file: String,
    #[arg(long)]
    json: bool,
    /// Hourly mass equation: Part 75 (short tons, and metric tonnes by exact conversion) or
    /// Part 98 Tier 4 Equation C-6 with its own constant (metric tonnes only). Missing-data
    /// substitution is the Part 75 procedure in both.
    #[arg(long, value_enum, default_value = "part75")]
    equation: EquationArg,
    /// Monitoring plan CSV: unit_id and any of co2_basis, mpc_co2_pct, mpf_scfh. Units in the
    /// data but not in the plan are an error.
    #[arg(long)]
    plan: Option<String>,
    /// Lookback percentile definition (§75.33 gives none; UNVERIFIED).
    #[arg(long, value_enum, default_value = "nearest-rank")]
    percentile: PercentileArg,
    /// Compare PMA with the 95/90/80 % bands exactly, or rounded to 0.1 % (UNVERIFIED).
    #[arg(long, value_enum, default_value = "exact")]
    pma_rounding: PmaRoundingArg,
    /// A missing-data period with no quality-assured hour on one side: use the other side's
    /// value, or the maximum potential value (UNVERIFIED).
    #[arg(long, value_enum, default_value = "one-side")]
    unbracketed: UnbracketedArg,
    /// Also write every operating hour (values used, substitution codes, mass) to this CSV.
    /// Runs on one thread.
    #[arg(long)]
    hourly: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Args)]
pub struct BenchArgs {
    #[arg(long)]
    json: bool,
}

fn params(a: &CemsArgs) -> Result<Params> {
    let plan = match &a.plan {
        Some(p) => {
            let f = File::open(p).with_context(|| format!("opening the plan {p}"))?;
            Some(Plan::parse(std::io::BufReader::new(f)).map_err(|e| anyhow!("{p}: {e}"))?)
        }
        None => None,
    };
    Ok(Params {
        equation: match a.equation {
            EquationArg::Part75 => Equation::Part75,
            EquationArg::Part98C6 => Equation::Part98C6,
        },
        percentile: match a.percentile {
            PercentileArg::NearestRank => Percentile::NearestRank,
            PercentileArg::Linear => Percentile::Linear,
        },
        pma_rounding: match a.pma_rounding {
            PmaRoundingArg::Exact => PmaRounding::Exact,
            PmaRoundingArg::Tenth => PmaRounding::Tenth,
        },
        unbracketed: match a.unbracketed {
            UnbracketedArg::OneSide => Unbracketed::OneSide,
            UnbracketedArg::MaxPotential => Unbracketed::MaxPotential,
        },
        plan,
        threads: a.threads,
    })
}

/// A progress bar on stderr over the bytes read, only when stderr is a terminal.
fn progress_bar(len: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta}")
            .expect("static template"),
    );
    Some(pb)
}

fn input_error(e: CemsError, file: &str, json: bool) -> anyhow::Error {
    if json {
        let body = match e.input() {
            Some(i) => json!({"line": i.line, "column": i.column, "message": i.message}),
            None => json!({"message": e.to_string()}),
        };
        println!("{}", json!({ "error": body }));
    }
    anyhow!("{file}: {e}")
}

pub fn run(a: CemsArgs) -> Result<ExitCode> {
    let params = params(&a)?;
    let f = File::open(&a.file).with_context(|| format!("opening {}", a.file))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let result = match &a.hourly {
        None => {
            let pb = progress_bar(len);
            let r = cems::compute(f, &params, &|n| {
                if let Some(pb) = &pb {
                    pb.set_position(n)
                }
            });
            if let Some(pb) = pb {
                pb.finish_and_clear();
            }
            r
        }
        Some(path) => return run_hourly(&a, f, &params, path),
    };
    let report = result.map_err(|e| input_error(e, &a.file, a.json))?;
    print_report(&report, a.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the hourly audit CSV beside its final name and renames it only on success, so an
/// error leaves no half-written file.
fn run_hourly(a: &CemsArgs, f: File, params: &Params, path: &Path) -> Result<ExitCode> {
    let tmp = path.with_extension("partial");
    let mut out = std::io::BufWriter::new(
        File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
    );
    // The last column is the hour's mass in the equation's unit.
    let mass_column = match params.equation {
        Equation::Part75 => "short_tons",
        Equation::Part98C6 => "metric_tonnes",
    };
    let mut io_err = writeln!(
        out,
        "unit_id,hour,line,op_time,co2_pct,co2_code,flow_scfh,flow_code,wet_factor,{mass_column}"
    )
    .err();
    let mut sink = |r: &HourRecord<'_>| {
        if io_err.is_none() {
            io_err = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{}",
                r.unit_id,
                cems::hour::format_hour(r.hour),
                r.line,
                r.op_time,
                r.co2_pct,
                r.co2_code.as_str(),
                r.flow_scfh,
                r.flow_code.as_str(),
                r.wet_factor,
                r.mass
            )
            .err();
        }
    };
    let result = cems::compute_hourly(f, params, &mut sink);
    let flushed = out.flush();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(input_error(e, &a.file, a.json));
        }
    };
    if let Some(e) = io_err.or(flushed.err()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow!("writing {}: {e}", tmp.display()));
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    print_report(&report, a.json)?;
    Ok(ExitCode::SUCCESS)
}

/// A Part 75 figure rounded to 0.001 (empty under Equation C-6, which has none).
fn short_tons_3(v: &Option<Exact>) -> String {
    v.as_ref().map_or(String::new(), |v| v.round(3))
}

fn print_report(r: &Report, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(r)?);
        return Ok(());
    }
    let part75 = r.parameters.equation == Equation::Part75;
    let pma =
        |m: &cems::report::MonitorReport| m.pma_percent.map_or("-".to_string(), |p| p.round(1));
    if part75 {
        println!(
            "{:<12} {:>5} {:>7} {:>18} {:>18} {:>7} {:>7} {:>6} {:>6}",
            "unit",
            "basis",
            "op h",
            "short tons",
            "metric t",
            "CO2 PMA",
            "flowPMA",
            "CO2 s",
            "flow s"
        );
    } else {
        println!(
            "{:<12} {:>5} {:>7} {:>18} {:>7} {:>7} {:>6} {:>6}",
            "unit", "basis", "op h", "metric t (C-6)", "CO2 PMA", "flowPMA", "CO2 s", "flow s"
        );
    }
    for u in &r.units {
        let basis = serde_json::to_value(u.co2_basis)?;
        let basis = basis.as_str().unwrap_or("");
        if part75 {
            println!(
                "{:<12} {:>5} {:>7} {:>18} {:>18} {:>7} {:>7} {:>6} {:>6}",
                u.unit_id,
                basis,
                u.operating_hours,
                short_tons_3(&u.short_tons),
                u.metric_tonnes.round(3),
                pma(&u.co2),
                pma(&u.flow),
                u.co2.substituted_hours,
                u.flow.substituted_hours
            );
        } else {
            println!(
                "{:<12} {:>5} {:>7} {:>18} {:>7} {:>7} {:>6} {:>6}",
                u.unit_id,
                basis,
                u.operating_hours,
                u.metric_tonnes.round(3),
                pma(&u.co2),
                pma(&u.flow),
                u.co2.substituted_hours,
                u.flow.substituted_hours
            );
        }
    }
    let t = &r.totals;
    if part75 {
        println!(
            "\n{} units, {} rows, {} operating hours: {} short tons = {} t (rounded to 0.001; --json gives every digit)",
            t.units,
            t.rows,
            t.operating_hours,
            short_tons_3(&t.short_tons),
            t.metric_tonnes.round(3)
        );
    } else {
        println!(
            "\n{} units, {} rows, {} operating hours: {} t CO2 by Part 98 Equation C-6 (5.18e-7 metric t/scf/%; rounded to 0.001; --json gives every digit)",
            t.units,
            t.rows,
            t.operating_hours,
            t.metric_tonnes.round(3)
        );
    }
    for (name, s) in [
        ("CO2", &t.co2_substitutions),
        ("flow", &t.flow_substitutions),
    ] {
        let parts: Vec<String> = Code::SUBSTITUTED
            .iter()
            .filter(|&&c| s.get(c) > 0)
            .map(|&c| format!("{} {}", c.as_str(), s.get(c)))
            .collect();
        println!(
            "{name} substituted hours: {}",
            if parts.is_empty() {
                "none".into()
            } else {
                parts.join(", ")
            }
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// tonne bench cems

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn pandas_script() -> PathBuf {
    if let Some(p) = std::env::var_os("TONNE_CEMS_PANDAS") {
        return p.into();
    }
    let in_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/cems_pandas.py");
    if in_repo.exists() {
        in_repo
    } else {
        "scripts/cems_pandas.py".into()
    }
}

/// What both sides are compared on: per unit, annual and quarterly short tons and annual
/// metric tonnes rounded half up to 0.001 (Tonne from its exact totals, the script from its
/// float64 sums with "%.3f"), and the hours per substitution code of each monitor.
fn tonne_summary(r: &Report) -> Value {
    let units: serde_json::Map<String, Value> = r
        .units
        .iter()
        .map(|u| {
            let codes = |m: &cems::report::MonitorReport| {
                serde_json::to_value(m.substitutions).expect("counts serialise")
            };
            let quarters: Vec<String> = u
                .years
                .iter()
                .flat_map(|y| y.quarters.iter().map(|q| short_tons_3(&q.short_tons)))
                .collect();
            (
                u.unit_id.clone(),
                json!({
                    "short_tons": short_tons_3(&u.short_tons),
                    "metric_tonnes": u.metric_tonnes.round(3),
                    "quarters_short_tons": quarters,
                    "co2": codes(&u.co2),
                    "flow": codes(&u.flow),
                }),
            )
        })
        .collect();
    Value::Object(units)
}

fn compare(tonne: &Value, pandas: &Value) -> Vec<String> {
    let (Some(t), Some(p)) = (tonne.as_object(), pandas.as_object()) else {
        return vec!["the pandas output has no units object".into()];
    };
    let mut diffs = Vec::new();
    for (unit, tv) in t {
        match p.get(unit) {
            None => diffs.push(format!("{unit}: missing from the pandas output")),
            Some(pv) => {
                for key in [
                    "short_tons",
                    "metric_tonnes",
                    "quarters_short_tons",
                    "co2",
                    "flow",
                ] {
                    if tv.get(key) != pv.get(key) {
                        diffs.push(format!(
                            "{unit} {key}: tonne {} vs pandas {}",
                            tv.get(key).unwrap_or(&Value::Null),
                            pv.get(key).unwrap_or(&Value::Null)
                        ));
                    }
                }
            }
        }
    }
    for unit in p.keys().filter(|u| !t.contains_key(*u)) {
        diffs.push(format!("{unit}: only in the pandas output"));
    }
    diffs
}

pub fn bench(a: BenchArgs) -> Result<ExitCode> {
    let ci = std::env::var("TONNE_BENCH_SCALE").is_ok_and(|s| s == "ci");
    let spec = GenSpec {
        units: if ci { 20 } else { 1000 },
        year: 2023,
        seed: 0x7011_EC35,
    };
    let say = |m: &str| {
        if std::io::stderr().is_terminal() {
            eprintln!("{m}");
        }
    };
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let path = dir.path().join("cems.csv");
    say(&format!(
        "generating {} units × 8,760 hours into {}",
        spec.units,
        path.display()
    ));
    let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let stats = generate(&file, &spec).context("writing the benchmark data")?;
    // On disk before the clock starts, so write-back does not run during the timed read.
    file.sync_all().context("writing the benchmark data")?;
    drop(file);

    say("Tonne: CSV on disk → per-unit totals");
    let t0 = Instant::now();
    let report = cems::compute(
        File::open(&path).context("opening the benchmark data")?,
        &Params::default(),
        &|_| {},
    )
    .map_err(|e| anyhow!("Tonne failed on its own benchmark data: {e}"))?;
    let seconds = t0.elapsed().as_secs_f64();
    let peak = peak_rss_mb();

    let python = std::env::var("TONNE_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python).args(["-c", "import pandas"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        bail!(
            "pandas is not importable by {python}: install it with `{python} -m pip install pandas` (or set TONNE_PYTHON)"
        );
    }
    let script = pandas_script();
    let out_json = dir.path().join("pandas.json");
    say(&format!("pandas: {}", script.display()));
    let t1 = Instant::now();
    let out = Command::new(&python)
        .arg(&script)
        .arg(&path)
        .arg(&out_json)
        .output()
        .with_context(|| format!("running {python} {}", script.display()))?;
    let pandas_wall = t1.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "the pandas script failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pandas: Value = serde_json::from_slice(
        &std::fs::read(&out_json).context("reading the pandas script's output")?,
    )
    .context("parsing the pandas script's output")?;
    let pandas_seconds = pandas["seconds"]
        .as_f64()
        .ok_or_else(|| anyhow!("the pandas output has no seconds"))?;

    let diffs = compare(&tonne_summary(&report), &pandas["units"]);
    if !diffs.is_empty() {
        let shown: Vec<_> = diffs.iter().take(20).cloned().collect();
        bail!(
            "MISMATCH: Tonne and pandas disagree on {} item(s) (per-unit short tons, metric tonnes and quarters at 0.001, hours per substitution code):\n  {}",
            diffs.len(),
            shown.join("\n  ")
        );
    }
    let co2_subs = serde_json::to_value(report.totals.co2_substitutions)?;
    let flow_subs = serde_json::to_value(report.totals.flow_substitutions)?;
    let result = json!({
        "rows": stats.rows,
        "units": report.totals.units,
        "file_mb": (stats.bytes as f64 / 1048576.0 * 10.0).round() / 10.0,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "pandas_seconds": (pandas_seconds * 1000.0).round() / 1000.0,
        "pandas_wall_seconds": (pandas_wall * 1000.0).round() / 1000.0,
        "speedup": (pandas_seconds / seconds * 10.0).round() / 10.0,
        "peak_rss_mb": peak.round(),
        "pandas_peak_rss_mb": pandas["peak_rss_mb"],
        "totals_match": true,
        "compared": "per unit: annual and quarterly short tons and annual metric tonnes rounded half up to 0.001, hours per substitution code per monitor",
        "co2_substitutions": co2_subs,
        "flow_substitutions": flow_subs,
    });
    if a.json {
        println!("{result}");
    } else {
        println!(
            "CEMS: {} rows ({} units, {} MB CSV)\n  Tonne  {:>8.3} s  ({:.0} MB peak RSS)\n  pandas {:>8.3} s  ({} MB peak RSS; {:.1} s with interpreter start)\n  speedup {:.1}×; per-unit totals and substitution counts identical at 0.001 short ton",
            stats.rows,
            report.totals.units,
            result["file_mb"],
            seconds,
            peak,
            pandas_seconds,
            pandas["peak_rss_mb"],
            pandas_wall,
            pandas_seconds / seconds
        );
        println!("  CO2 substitutions: {co2_subs}\n  flow substitutions: {flow_subs}");
    }
    Ok(ExitCode::SUCCESS)
}
