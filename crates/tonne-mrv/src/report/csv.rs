//! Facility reports from CSV: one row per fuel line of a combustion unit, any number of
//! facilities in one file (docs/mrv-reports.md). Read as a stream; rows are grouped into one
//! [`ReportInput`] per facility, and every error names its CSV line and column.

use super::ReportError;
use super::input::{FacilityInput, FuelLineInput, ParametersInput, ReportInput, UnitInput};
use crate::num::parse_decimal;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::io::Read;

/// Rows one import may hold (a limit on everything: a national inventory's fuel lines fit).
pub const MAX_ROWS: u64 = 5_000_000;

const REQUIRED: [&str; 9] = [
    "facility_id",
    "program",
    "reporting_year",
    "unit_id",
    "unit_type",
    "fuel",
    "method",
    "quantity",
    "unit",
];
const OPTIONAL: [&str; 16] = [
    "facility_name",
    "entity",
    "jurisdiction",
    "naics",
    "max_heat_input_mmbtu_hr",
    "operating_hours",
    "hhv",
    "hhv_unit",
    "hhv_sampled_at_tier2_frequency",
    "carbon_content",
    "carbon_content_unit",
    "molecular_weight",
    "density",
    "sector",
    "basis",
    "covered",
];

/// Where each fuel line of each facility came from, to turn field paths back into lines.
#[derive(Debug, Default, Clone)]
pub struct Origins {
    /// (facility index, unit index, fuel index) -> CSV line
    pub lines: HashMap<(usize, usize, usize), u64>,
}

impl Origins {
    /// `units[1].fuels[0].quantity` of facility `f` → `line 7, quantity`.
    pub fn locate(&self, facility: usize, err: &ReportError) -> ReportError {
        let p = &err.path;
        let parse = || -> Option<(usize, usize, &str)> {
            let rest = p.strip_prefix("units[")?;
            let (u, rest) = rest.split_once("].fuels[")?;
            let (f, rest) = rest.split_once(']')?;
            Some((
                u.parse().ok()?,
                f.parse().ok()?,
                rest.trim_start_matches('.'),
            ))
        };
        match parse().and_then(|(u, f, field)| Some((self.lines.get(&(facility, u, f))?, field))) {
            Some((line, "")) => ReportError {
                path: format!("line {line}"),
                message: err.message.clone(),
            },
            Some((line, field)) => ReportError {
                path: format!("line {line}, column {field}"),
                message: err.message.clone(),
            },
            None => err.clone(),
        }
    }
}

/// Reads every facility's report from a CSV stream. All row errors are collected (up to 100).
pub fn read(input: impl Read) -> Result<(Vec<ReportInput>, Origins), Vec<ReportError>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let err1 = |path: String, message: String| vec![ReportError { path, message }];
    let header: Vec<String> = rdr
        .headers()
        .map_err(|x| err1("line 1".into(), x.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    for h in &header {
        if !REQUIRED.contains(&h.as_str()) && !OPTIONAL.contains(&h.as_str()) {
            return Err(err1(
                "line 1".into(),
                format!(
                    "unknown column {h:?}; columns are {} (required) and {}",
                    REQUIRED.join(", "),
                    OPTIONAL.join(", ")
                ),
            ));
        }
    }
    for r in REQUIRED {
        if !header.iter().any(|h| h == r) {
            return Err(err1(
                "line 1".into(),
                format!("required column {r:?} is missing"),
            ));
        }
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut reports: Vec<ReportInput> = Vec::new();
    let mut by_facility: HashMap<String, usize> = HashMap::new();
    let mut unit_index: Vec<HashMap<String, usize>> = Vec::new();
    let mut origins = Origins::default();
    let mut errs = Vec::new();
    let mut rows = 0u64;
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(x) => {
                let line = x.position().map_or(0, |p| p.line());
                errs.push(ReportError {
                    path: format!("line {line}"),
                    message: x.to_string(),
                });
                break;
            }
        }
        rows += 1;
        if rows > MAX_ROWS {
            errs.push(ReportError {
                path: format!("line {}", rows + 1),
                message: format!("more than {MAX_ROWS} rows; split the file"),
            });
            break;
        }
        let line = rec.position().map_or(rows + 1, |p| p.line());
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
        let mut bad = |column: &str, message: String| {
            errs.push(ReportError {
                path: format!("line {line}, column {column}"),
                message,
            });
        };
        let req = |name: &str, bad: &mut dyn FnMut(&str, String)| -> String {
            match get(name) {
                Some(v) => v.to_owned(),
                None => {
                    bad(name, "is required".into());
                    String::new()
                }
            }
        };
        let facility_id = req("facility_id", &mut bad);
        let program = req("program", &mut bad);
        let year_s = req("reporting_year", &mut bad);
        let unit_id = req("unit_id", &mut bad);
        let unit_type = req("unit_type", &mut bad);
        let fuel = req("fuel", &mut bad);
        let method = req("method", &mut bad);
        let unit = req("unit", &mut bad);
        let quantity = req("quantity", &mut bad);
        let dec = |name: &str, bad: &mut dyn FnMut(&str, String)| -> Option<Decimal> {
            let v = get(name)?;
            parse_decimal(v).map_err(|m| bad(name, m)).ok()
        };
        let quantity = if quantity.is_empty() {
            None
        } else {
            dec("quantity", &mut bad)
        };
        let max_heat = dec("max_heat_input_mmbtu_hr", &mut bad);
        let hhv = dec("hhv", &mut bad);
        let carbon_content = dec("carbon_content", &mut bad);
        let molecular_weight = dec("molecular_weight", &mut bad);
        let density = dec("density", &mut bad);
        let year: Option<u16> = if year_s.is_empty() {
            None
        } else {
            year_s
                .parse()
                .map_err(|_| bad("reporting_year", format!("{year_s:?} is not a year")))
                .ok()
        };
        let operating_hours: Option<u32> = get("operating_hours").and_then(|v| {
            v.parse()
                .map_err(|_| {
                    bad(
                        "operating_hours",
                        format!("{v:?} is not a whole number of hours"),
                    )
                })
                .ok()
        });
        let mut flag = |name: &str| -> Option<bool> {
            match get(name)? {
                "true" | "yes" | "1" => Some(true),
                "false" | "no" | "0" => Some(false),
                v => {
                    bad(name, format!("{v:?} is not true or false"));
                    None
                }
            }
        };
        let covered = flag("covered");
        let sampled = flag("hhv_sampled_at_tier2_frequency").unwrap_or(false);
        let (Some(year), Some(quantity)) = (year, quantity) else {
            continue;
        };
        if errs.len() >= 100 {
            break;
        }
        let fi = *by_facility.entry(facility_id.clone()).or_insert_with(|| {
            reports.push(ReportInput {
                format: None,
                facility: FacilityInput {
                    id: facility_id.clone(),
                    name: get("facility_name").unwrap_or(&facility_id).to_owned(),
                    entity: get("entity").map(str::to_owned),
                    jurisdiction: get("jurisdiction").map(str::to_owned),
                    naics: get("naics").map(str::to_owned),
                },
                program: program.clone(),
                reporting_year: year,
                gwp: None,
                units: Vec::new(),
                process: Vec::new(),
                cems: Vec::new(),
                imports: Vec::new(),
                indirect: Vec::new(),
                parameters: ParametersInput::default(),
            });
            unit_index.push(HashMap::new());
            reports.len() - 1
        });
        let rep = &mut reports[fi];
        if rep.program != program || rep.reporting_year != year {
            errs.push(ReportError {
                path: format!("line {line}"),
                message: format!("facility {facility_id:?} has programme {} and year {} on an earlier line; one facility, one programme and year per file", rep.program, rep.reporting_year),
            });
            continue;
        }
        let ui = *unit_index[fi].entry(unit_id.clone()).or_insert_with(|| {
            rep.units.push(UnitInput {
                id: unit_id.clone(),
                unit_type: unit_type.clone(),
                max_heat_input_mmbtu_hr: max_heat,
                operating_hours,
                msw_tons_per_day: None,
                solid_fossil_or_msw_primary: false,
                has_qualifying_cems: false,
                fuels: Vec::new(),
            });
            rep.units.len() - 1
        });
        let u = &mut rep.units[ui];
        if u.unit_type != unit_type || u.max_heat_input_mmbtu_hr != max_heat {
            errs.push(ReportError {
                path: format!("line {line}"),
                message: format!("unit {unit_id:?} has a different unit_type or max_heat_input_mmbtu_hr on an earlier line"),
            });
            continue;
        }
        origins.lines.insert((fi, ui, u.fuels.len()), line);
        u.fuels.push(FuelLineInput {
            fuel,
            method,
            quantity,
            unit,
            basis: get("basis").map(str::to_owned),
            hhv,
            hhv_unit: get("hhv_unit").map(str::to_owned),
            hhv_sampled_at_tier2_frequency: sampled,
            carbon_content,
            carbon_content_unit: get("carbon_content_unit").map(str::to_owned),
            molecular_weight,
            density,
            sector: get("sector").map(str::to_owned),
            covered,
            ..Default::default()
        });
    }
    if reports.is_empty() && errs.is_empty() {
        errs.push(ReportError {
            path: "line 2".into(),
            message: "the file has no rows".into(),
        });
    }
    if errs.is_empty() {
        Ok((reports, origins))
    } else {
        Err(errs)
    }
}
