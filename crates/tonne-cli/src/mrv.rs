//! `tonne mrv …`: the MRV engine from the command line.

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use serde_json::json;
use std::process::ExitCode;
use tonne_mrv::fuel::{CarbonContent, FuelRequest, GwpSelection, HeatingValue, Method, calculate};
use tonne_mrv::gwp::Ar6Methane;
use tonne_mrv::num::{json_number, parse_decimal};
use tonne_mrv::{GwpSet, HeatingBasis, Program, ProgramId, Quantity, Unit};

#[derive(Subcommand)]
pub enum MrvCmd {
    /// Fuel identifiers each method has default factors for.
    Fuels {
        #[arg(long)]
        json: bool,
    },
    /// One fuel's combustion emissions (CO2, CH4, N2O, biogenic CO2, CO2e) with the full trace.
    Fuel(Box<FuelArgs>),
    /// A facility's annual report (JSON, or CSV with any number of facilities): validated, every
    /// source quantified with its trace, totals and threshold checks. See docs/mrv-reports.md.
    Report {
        file: String,
        /// json or csv; by default from the file's extension.
        #[arg(long)]
        format: Option<String>,
        /// A programme configuration (JSON, the shape `tonne mrv programs --json` prints) that
        /// replaces the built-in programme of the same id.
        #[arg(long)]
        program_file: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The built-in programmes: GWP schedule by reporting year (with marks and sources),
    /// thresholds, scope and methods.
    Programs {
        #[arg(long)]
        json: bool,
    },
    /// Prints the registry command (one JSON Lines envelope) that submits a computed report
    /// for verification: its SHA-256, its streams (covered / non-covered) and covered total.
    Submission {
        /// A facility report in JSON (tonne-mrv-report/1).
        file: String,
        /// Report id in the registry (e.g. CA-CEM-001-2024).
        #[arg(long)]
        report: String,
        /// Registry user submitting (a representative of the facility's entity).
        #[arg(long)]
        actor: String,
        /// Idempotency key of the command.
        #[arg(long)]
        key: String,
        /// RFC 3339 instant of the command.
        #[arg(long)]
        ts: String,
        /// Sector, when the verification team needs a sector specialist (e.g.
        /// electric_power_entity).
        #[arg(long)]
        sector: Option<String>,
    },
    /// CEMS: hourly CO2 mass with Part 75 missing-data substitution, totals per unit — Part 75
    /// short tons and metric tonnes, or Part 98 Tier 4 (Equation C-6) metric tonnes.
    Cems(crate::cems::CemsArgs),
}

/// Quantities are exact decimals (e.g. 1000000, 0.138, 1.026e-3).
#[derive(Args)]
pub struct FuelArgs {
    /// part98-tier1 | part98-tier2 | part98-tier3 | ipcc2006-tier1
    #[arg(long)]
    method: String,
    /// Fuel id from the method's table (see `tonne mrv fuels`), e.g. natural_gas,
    /// distillate_fuel_oil_no2, bituminous_coal.
    #[arg(long)]
    fuel: String,
    /// Amount of fuel (or, for natural gas billing records and IPCC, of heat input).
    #[arg(long, allow_hyphen_values = true)]
    quantity: String,
    /// scf, mscf, gal, bbl, short_ton, t, kg, mmbtu, therm, gj, tj, mwh.
    #[arg(long)]
    unit: String,
    /// Heating-value basis of an energy quantity: hhv (Part 98's) or ncv (IPCC's). Defaults to
    /// the method's own basis.
    #[arg(long)]
    basis: Option<String>,
    /// Measured higher heating value (Tier 2; Tier 3 uses it for CH4 and N2O when given).
    #[arg(long, requires = "hhv_unit", allow_hyphen_values = true)]
    hhv: Option<String>,
    /// Unit of --hhv: mmbtu/gal, mmbtu/scf, mmbtu/short_ton (any ENERGY/UNIT converts exactly).
    #[arg(long, requires = "hhv")]
    hhv_unit: Option<String>,
    /// GWP set: sar, ar4, ar5, ar6. Without it, the programme's set for --year applies.
    #[arg(long)]
    gwp: Option<String>,
    /// AR6 methane value when --gwp ar6: combined (27.9), fossil (29.8) or non_fossil (27.0).
    #[arg(long, default_value = "combined")]
    ar6_methane: String,
    /// part98, ca-mrr, mx-rene, ipcc. Defaults to part98 for Part 98 methods, ipcc for IPCC.
    #[arg(long)]
    program: Option<String>,
    /// Reporting year: selects the programme's GWP set.
    #[arg(long)]
    year: Option<u16>,
    /// Tier 3: measured carbon content; kg C/kg (mass fraction) for solids and gases, kg C/gal
    /// for liquids unless --carbon-content-unit says otherwise.
    #[arg(long, allow_hyphen_values = true)]
    carbon_content: Option<String>,
    /// kg_c/kg or kg_c/gal.
    #[arg(long)]
    carbon_content_unit: Option<String>,
    /// Tier 3 gaseous fuels: molecular weight, kg/kg-mole.
    #[arg(long, allow_hyphen_values = true)]
    molecular_weight: Option<String>,
    /// Tier 3 gaseous fuels: standard temperature of the scf, 68 (default) or 60 °F.
    #[arg(long)]
    standard_temperature_f: Option<u8>,
    /// Density in kg per --unit: turns a liquid's kg C/kg into kg C/gal (Tier 3), or a volume
    /// into mass for IPCC's NCV.
    #[arg(long, allow_hyphen_values = true)]
    density: Option<String>,
    /// IPCC: source category for CH4/N2O defaults, energy (Table 2.2) or manufacturing (2.3).
    #[arg(long)]
    sector: Option<String>,
    /// IPCC: net calorific value override, TJ/Gg (default: Table 1.2).
    #[arg(long, allow_hyphen_values = true)]
    ncv: Option<String>,
    /// IPCC: NCV/GCV ratio that converts an HHV energy quantity to NCV (never assumed).
    #[arg(long, allow_hyphen_values = true)]
    ncv_per_gcv: Option<String>,
    /// IPCC: CO2 factor override, kg/TJ (default: Table 1.4).
    #[arg(long, allow_hyphen_values = true)]
    co2_ef: Option<String>,
    /// IPCC: CH4 factor override, kg/TJ (default: Tables 2.2/2.3, UNVERIFIED).
    #[arg(long, allow_hyphen_values = true)]
    ch4_ef: Option<String>,
    /// IPCC: N2O factor override, kg/TJ (default: Tables 2.2/2.3, UNVERIFIED).
    #[arg(long, allow_hyphen_values = true)]
    n2o_ef: Option<String>,
    #[arg(long)]
    json: bool,
}

/// An input error: the field, and what is wrong with it.
struct InputError {
    field: String,
    what: String,
}

fn bad(field: &str, what: impl Into<String>) -> InputError {
    InputError {
        field: field.to_owned(),
        what: what.into(),
    }
}

fn num(field: &str, s: &Option<String>) -> Result<Option<rust_decimal::Decimal>, InputError> {
    s.as_deref()
        .map(|v| parse_decimal(v).map_err(|e| bad(field, e)))
        .transpose()
}

fn parse<T: std::str::FromStr>(field: &str, s: &str) -> Result<T, InputError>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| bad(field, e.to_string()))
}

fn request(a: &FuelArgs) -> Result<FuelRequest, InputError> {
    let method: Method = parse("method", &a.method)?;
    let unit: Unit = parse("unit", &a.unit)?;
    let value = num("quantity", &Some(a.quantity.clone()))?.expect("given");
    let mut quantity = Quantity::new(value, unit);
    if let Some(b) = &a.basis {
        if unit.dimension() != tonne_mrv::unit::Dimension::Energy {
            return Err(bad("basis", format!("{unit} is not an energy unit")));
        }
        quantity.basis = Some(parse::<HeatingBasis>("basis", b)?);
    }
    let ar6: Ar6Methane = match a.ar6_methane.as_str() {
        "combined" => Ar6Methane::Combined,
        "fossil" => Ar6Methane::Fossil,
        "non_fossil" => Ar6Methane::NonFossil,
        s => {
            return Err(bad(
                "ar6_methane",
                format!("{s:?}: expected combined, fossil or non_fossil"),
            ));
        }
    };
    let gwp = match (&a.gwp, a.year) {
        (Some(g), _) => GwpSelection::Set(parse::<GwpSet>("gwp", g)?, ar6),
        (None, Some(y)) => {
            let p = match &a.program {
                Some(p) => parse::<ProgramId>("program", p)?,
                None => method.default_program(),
            };
            GwpSelection::Program(p, y)
        }
        (None, None) => {
            return Err(bad(
                "gwp",
                "give --gwp sar|ar4|ar5|ar6, or --year (with --program) to use the programme's set for that reporting year",
            ));
        }
    };
    let mut req = FuelRequest::new(method, &a.fuel, quantity, gwp);
    if let (Some(h), Some(u)) = (&a.hhv, &a.hhv_unit) {
        let mut hv: HeatingValue = parse("hhv_unit", u)?;
        hv.value = num("hhv", &Some(h.clone()))?.expect("given");
        req.hhv = Some(hv);
    }
    req.carbon_content = match num("carbon_content", &a.carbon_content)? {
        None => None,
        Some(v) => Some(match a.carbon_content_unit.as_deref() {
            Some("kg_c/kg") => CarbonContent::PerKg(v),
            Some("kg_c/gal") => CarbonContent::PerGallon(v),
            None if unit.dimension() == tonne_mrv::unit::Dimension::LiquidVolume => {
                CarbonContent::PerGallon(v)
            }
            None => CarbonContent::PerKg(v),
            Some(s) => {
                return Err(bad(
                    "carbon_content_unit",
                    format!("{s:?}: expected kg_c/kg or kg_c/gal"),
                ));
            }
        }),
    };
    req.molecular_weight = num("molecular_weight", &a.molecular_weight)?;
    req.standard_temperature_f = a.standard_temperature_f;
    req.density_kg_per_unit = num("density", &a.density)?;
    req.sector = a
        .sector
        .as_deref()
        .map(|s| parse("sector", s))
        .transpose()?;
    req.ncv_tj_per_gg = num("ncv", &a.ncv)?;
    req.ncv_per_gcv = num("ncv_per_gcv", &a.ncv_per_gcv)?;
    req.co2_ef_kg_per_tj = num("co2_ef", &a.co2_ef)?;
    req.ch4_ef_kg_per_tj = num("ch4_ef", &a.ch4_ef)?;
    req.n2o_ef_kg_per_tj = num("n2o_ef", &a.n2o_ef)?;
    Ok(req)
}

pub fn run(cmd: MrvCmd) -> Result<ExitCode> {
    match cmd {
        MrvCmd::Fuels { json } => {
            let per: serde_json::Map<String, serde_json::Value> = Method::ALL
                .iter()
                .map(|m| (m.as_str().to_owned(), json!(m.fuels())))
                .collect();
            if json {
                println!("{}", serde_json::Value::Object(per));
            } else {
                for m in Method::ALL {
                    println!("{}: {}", m.as_str(), m.fuels().join(", "));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MrvCmd::Cems(a) => crate::cems::run(a),
        MrvCmd::Report {
            file,
            format,
            program_file,
            json,
        } => report(&file, format.as_deref(), program_file.as_deref(), json),
        MrvCmd::Programs { json } => {
            let all: Vec<Program> = ProgramId::ALL.into_iter().map(Program::builtin).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for p in &all {
                    let sched: Vec<String> = p
                        .gwp_schedule
                        .iter()
                        .map(|g| format!("{}+ {} ({})", g.first_year, g.set.as_str(), g.mark))
                        .collect();
                    println!("{:<8} {}: GWP {}", p.id.as_str(), p.name, sched.join(", "));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MrvCmd::Submission {
            file,
            report,
            actor,
            key,
            ts,
            sector,
        } => submission(&file, &report, &actor, &key, &ts, sector),
        MrvCmd::Fuel(a) => {
            let result =
                request(&a).and_then(|req| calculate(&req).map_err(|e| bad(e.field, e.what)));
            match result {
                Ok(e) => {
                    if a.json {
                        println!("{}", serde_json::to_string(&e)?);
                    } else {
                        print_emissions(&e);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    if a.json {
                        println!(
                            "{}",
                            json!({"error": {"field": e.field, "message": e.what}})
                        );
                    }
                    Err(anyhow!("--{}: {}", e.field.replace('_', "-"), e.what))
                }
            }
        }
    }
}

fn print_emissions(e: &tonne_mrv::Emissions) {
    let n = |d| json_number(d).get().to_owned();
    println!("CO2 (fossil)   {} t", n(e.co2_t));
    println!("CH4            {} t", n(e.ch4_t));
    println!("N2O            {} t", n(e.n2o_t));
    println!("biogenic CO2   {} t (not in CO2e)", n(e.biogenic_co2_t));
    println!(
        "CO2e           {} t  [{}: CH4 {}, N2O {}; {}]",
        n(e.co2e_t),
        e.gwp.set.as_str().to_uppercase(),
        n(e.gwp.ch4),
        n(e.gwp.n2o),
        e.gwp.chosen_by
    );
    println!("\ntrace:");
    for s in &e.trace {
        println!(
            "  {:<13} {}  [{}]\n                {} = {}",
            s.quantity,
            s.equation,
            s.form_mark,
            s.formula,
            n(s.result.value)
        );
        for v in &s.inputs {
            let src = match (&v.source, v.mark) {
                (Some(s), Some(m)) => format!("  — {s} ({m})"),
                _ => String::new(),
            };
            println!(
                "                  {} = {} {}{src}",
                v.name,
                n(v.value),
                v.unit
            );
        }
    }
}

/// Shows a progress bar on stderr for large inputs read from a terminal session.
fn progress_reader(file: std::fs::File) -> Box<dyn std::io::Read> {
    use std::io::IsTerminal;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len < 8 << 20 || !std::io::stderr().is_terminal() {
        return Box::new(std::io::BufReader::new(file));
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta}")
            .expect("static template"),
    );
    Box::new(pb.wrap_read(std::io::BufReader::new(file)))
}

fn report(
    file: &str,
    format: Option<&str>,
    program_file: Option<&str>,
    json: bool,
) -> Result<ExitCode> {
    use tonne_mrv::report::{self, ReportError};
    let programs: Vec<Program> = match program_file {
        None => Vec::new(),
        Some(pf) => {
            let text = std::fs::read_to_string(pf).map_err(|e| anyhow!("{pf}: {e}"))?;
            let de = &mut serde_json::Deserializer::from_str(&text);
            let p: Program = serde_path_to_error::deserialize(de)
                .map_err(|e| anyhow!("{pf}: {}: {}", e.path(), e.inner()))?;
            vec![p]
        }
    };
    let fmt = match format {
        Some(f) => f.to_owned(),
        None => std::path::Path::new(file)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("json")
            .to_ascii_lowercase(),
    };
    let f = std::fs::File::open(file).map_err(|e| anyhow!("{file}: {e}"))?;
    let outcome: Result<Vec<report::FacilityReport>, Vec<ReportError>> = match fmt.as_str() {
        "json" => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut progress_reader(f), &mut text)
                .map_err(|e| anyhow!("{file}: {e}"))?;
            report::input::parse_json(&text)
                .map_err(|e| vec![e])
                .and_then(|input| report::compute_with(&input, &programs).map(|r| vec![r]))
        }
        "csv" => report::csv::read(progress_reader(f)).and_then(|(inputs, origins)| {
            let mut out = Vec::with_capacity(inputs.len());
            let mut errs = Vec::new();
            for (i, input) in inputs.iter().enumerate() {
                match report::compute_with(input, &programs) {
                    Ok(r) => out.push(r),
                    Err(es) => errs.extend(es.iter().map(|e| {
                        let located = origins.locate(i, e);
                        ReportError {
                            path: format!("facility {}: {}", input.facility.id, located.path),
                            message: located.message,
                        }
                    })),
                }
            }
            if errs.is_empty() { Ok(out) } else { Err(errs) }
        }),
        other => return Err(anyhow!("--format {other:?}: expected json or csv")),
    };
    match outcome {
        Ok(reports) => {
            if json {
                println!("{}", serde_json::to_string(&json!({ "reports": reports }))?);
            } else {
                for r in &reports {
                    print_report(r);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errs) => {
            if json {
                println!("{}", json!({ "errors": errs }));
            }
            for e in &errs {
                eprintln!("{file}: {e}");
            }
            Err(anyhow!(
                "{} error(s) in {file}; nothing was computed",
                errs.len()
            ))
        }
    }
}

fn print_report(r: &tonne_mrv::report::FacilityReport) {
    let n = |d| json_number(d).get().to_owned();
    println!(
        "{} ({}) — {} reporting year {} — GWP {}",
        r.facility.name,
        r.facility.id,
        r.program.as_str(),
        r.reporting_year,
        r.gwp.set.as_str().to_uppercase()
    );
    println!(
        "  {:<28} {:>16} {:>14} {:>16}",
        "source", "CO2e t", "biogenic t", "method"
    );
    for s in &r.sources {
        println!(
            "  {:<28} {:>16} {:>14} {:>16}{}",
            s.id,
            n(s.co2e_t),
            n(s.biogenic_co2_t),
            s.method,
            if s.covered { "" } else { "  (non-covered)" }
        );
    }
    let t = &r.totals;
    println!(
        "  total CO2e {} t (covered {}, non-covered {}); CO2 {} t, CH4 {} t, N2O {} t; biogenic CO2 {} t",
        n(t.co2e_t),
        n(t.covered_co2e_t),
        n(t.non_covered_co2e_t),
        n(t.co2_t),
        n(t.ch4_t),
        n(t.n2o_t),
        n(t.biogenic_co2_t)
    );
    let th = &r.thresholds;
    println!(
        "  thresholds: must report: {}; verification required: {}\n",
        th.must_report, th.verification_required
    );
}

fn submission(
    file: &str,
    report_id: &str,
    actor: &str,
    key: &str,
    ts: &str,
    sector: Option<String>,
) -> Result<ExitCode> {
    let bytes = std::fs::read(file).map_err(|e| anyhow!("{file}: {e}"))?;
    let cmd = tonne_mrv::report::submission::submission(&bytes, report_id, sector)
        .map_err(|e| anyhow!("{file}: {e}"))?;
    println!(
        "{}",
        json!({"v": 1, "key": key, "ts": ts, "actor": actor, "cmd": {"verification": cmd}})
    );
    Ok(ExitCode::SUCCESS)
}
