//! Facility reports: validation of a whole annual report (every error, each naming its field
//! path), quantification of each source with its method, and totals per source, per gas,
//! covered and non-covered, direct and indirect, biogenic apart, against the programme's
//! thresholds.

pub mod csv;
pub mod input;
pub mod submission;

use crate::fuel::{self, CarbonContent, FuelRequest, GwpSelection, HeatingValue, Method};
use crate::gwp::{Ar6Methane, GwpChoice, GwpSet};
use crate::method::imports::{self, Import, ImportParams};
use crate::method::process::{self, LimeType, Oxides, ProcessParams};
use crate::num::ser_json_number;
use crate::program::{Program, ProgramId, Scope};
use crate::table::{Mark, TableMeta};
use crate::tier::{self, Tier, TierDecision, TierFacts, TierRules};
use crate::trace::{Emissions, GasMasses, Step, Value, finish};
use crate::unit::{Dimension, HeatingBasis, Quantity, Unit};
use input::{FuelLineInput, ReportInput, UnitInput};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeSet;
use std::str::FromStr;

/// One problem with a report: where (a field path such as `units[0].fuels[1].quantity`, or a
/// CSV line) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ReportError {
    pub path: String,
    pub message: String,
}

fn e(path: impl Into<String>, message: impl Into<String>) -> ReportError {
    ReportError {
        path: path.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceScope {
    Direct,
    ImportedElectricity,
    Indirect,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceResult {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel: Option<String>,
    pub scope: SourceScope,
    pub covered: bool,
    #[serde(serialize_with = "ser_json_number")]
    pub co2_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub ch4_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub n2o_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub biogenic_co2_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub co2e_t: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<TierDecision>,
    pub trace: Vec<Step>,
}

impl SourceResult {
    /// A source from a calculation's result; unit, fuel and tier are set by the caller.
    fn from_emissions(
        id: String,
        method: String,
        scope: SourceScope,
        covered: bool,
        em: Emissions,
    ) -> Self {
        Self {
            id,
            unit: None,
            method,
            fuel: None,
            scope,
            covered,
            co2_t: em.co2_t,
            ch4_t: em.ch4_t,
            n2o_t: em.n2o_t,
            biogenic_co2_t: em.biogenic_co2_t,
            co2e_t: em.co2e_t,
            tier: None,
            trace: em.trace,
        }
    }

    /// A source known only in CO2e (imports, indirect emissions).
    fn co2e_only(
        id: String,
        method: String,
        scope: SourceScope,
        covered: bool,
        step: Step,
    ) -> Self {
        Self {
            id,
            unit: None,
            method,
            fuel: None,
            scope,
            covered,
            co2_t: Decimal::ZERO,
            ch4_t: Decimal::ZERO,
            n2o_t: Decimal::ZERO,
            biogenic_co2_t: Decimal::ZERO,
            co2e_t: step.result.value,
            tier: None,
            trace: vec![step],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    #[serde(serialize_with = "ser_json_number")]
    pub co2_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub ch4_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub n2o_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub biogenic_co2_t: Decimal,
    /// All sources in the programme's scope.
    #[serde(serialize_with = "ser_json_number")]
    pub co2e_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub direct_co2e_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub imported_electricity_co2e_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub indirect_co2e_t: Decimal,
    /// Covered emissions: what a compliance obligation is computed from.
    #[serde(serialize_with = "ser_json_number")]
    pub covered_co2e_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub non_covered_co2e_t: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    pub scope: Scope,
    /// The emissions compared with the thresholds.
    #[serde(serialize_with = "ser_json_number")]
    pub basis_co2e_t: Decimal,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt")]
    pub reporting_threshold_t: Option<Decimal>,
    pub must_report: bool,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt")]
    pub verification_threshold_t: Option<Decimal>,
    pub verification_required: bool,
}

fn ser_opt<S: serde::Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ser_json_number(d, s),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacilityInfo {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub naics: Option<String>,
}

/// The computed annual report of one facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacilityReport {
    pub facility: FacilityInfo,
    pub program: ProgramId,
    pub reporting_year: u16,
    pub gwp: GwpChoice,
    pub sources: Vec<SourceResult>,
    pub totals: Totals,
    pub thresholds: Thresholds,
    /// Versions of the factor tables the results come from.
    pub tables: Vec<TableMeta>,
    /// The configurable (UNVERIFIED) parameters in force.
    pub parameters: EffectiveParameters,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveParameters {
    pub process: ProcessParams,
    pub imports: ImportParams,
    pub tier_rules: TierRules,
}

fn parse_enum<T: FromStr>(path: &str, s: &str, errs: &mut Vec<ReportError>) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|x: T::Err| errs.push(e(path, x.to_string())))
        .ok()
}

/// Validates and computes a report. On any error nothing is returned but the full list of
/// errors, in input order.
pub fn compute(input: &ReportInput) -> Result<FacilityReport, Vec<ReportError>> {
    compute_with(input, &[])
}

/// As [`compute`], with programme configurations that replace the built-in ones of the same
/// id (a jurisdiction's confirmed GWP schedule, thresholds, methods).
pub fn compute_with(
    input: &ReportInput,
    programs: &[Program],
) -> Result<FacilityReport, Vec<ReportError>> {
    let mut errs = Vec::new();
    if let Some(f) = &input.format
        && f != input::FORMAT
    {
        errs.push(e("format", format!("{f:?} is not {:?}", input::FORMAT)));
    }
    for (field, v) in [
        ("facility.id", &input.facility.id),
        ("facility.name", &input.facility.name),
    ] {
        if v.trim().is_empty() {
            errs.push(e(field, "must not be empty"));
        }
    }
    let program_id = parse_enum::<ProgramId>("program", &input.program, &mut errs);
    let program = program_id.map(|id| {
        programs
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .unwrap_or_else(|| Program::builtin(id))
    });
    let gwp = match (&input.gwp, &program) {
        (Some(g), _) => parse_enum::<GwpSet>("gwp", g, &mut errs)
            .map(|s| crate::gwp::choose(s, Ar6Methane::Combined, "report's gwp field".into())),
        (None, Some(p)) => p
            .gwp_for_year(input.reporting_year)
            .map_err(|x| errs.push(e("reporting_year", x.to_string())))
            .ok(),
        (None, None) => None,
    };
    let params = effective_parameters(&input.parameters, &mut errs);

    let mut sources = Vec::new();
    let mut ids = BTreeSet::new();
    for (ui, unit) in input.units.iter().enumerate() {
        let path = format!("units[{ui}]");
        if !ids.insert(unit.id.clone()) {
            errs.push(e(
                format!("{path}.id"),
                format!("unit {:?} appears twice", unit.id),
            ));
        }
        if let (Some(p), Some(g)) = (&program, &gwp) {
            combustion_unit(&path, unit, p, g, &params, &mut sources, &mut errs);
        }
    }
    for (pi, pr) in input.process.iter().enumerate() {
        let path = format!("process[{pi}]");
        if !ids.insert(pr.id.clone()) {
            errs.push(e(
                format!("{path}.id"),
                format!("source id {:?} appears twice", pr.id),
            ));
        }
        if let Some(g) = &gwp {
            process_source(&path, pr, g, &params.process, &mut sources, &mut errs);
        }
    }
    for (ci, c) in input.cems.iter().enumerate() {
        let path = format!("cems[{ci}]");
        if !ids.insert(c.id.clone()) {
            errs.push(e(
                format!("{path}.id"),
                format!("source id {:?} appears twice", c.id),
            ));
        }
        if let Some(g) = &gwp {
            cems_source(&path, c, g, &mut sources, &mut errs);
        }
    }
    for (ii, im) in input.imports.iter().enumerate() {
        let path = format!("imports[{ii}]");
        if !ids.insert(im.id.clone()) {
            errs.push(e(
                format!("{path}.id"),
                format!("source id {:?} appears twice", im.id),
            ));
        }
        import_source(&path, im, &params.imports, &mut sources, &mut errs);
    }
    for (ii, ind) in input.indirect.iter().enumerate() {
        let path = format!("indirect[{ii}]");
        if !ids.insert(ind.id.clone()) {
            errs.push(e(
                format!("{path}.id"),
                format!("source id {:?} appears twice", ind.id),
            ));
        }
        indirect_source(&path, ind, &mut sources, &mut errs);
    }
    if input.units.is_empty()
        && input.process.is_empty()
        && input.cems.is_empty()
        && input.imports.is_empty()
        && input.indirect.is_empty()
    {
        errs.push(e(
            "units",
            "the report has no sources (units, process, imports or indirect)",
        ));
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let (program, gwp) = (program.expect("no errors"), gwp.expect("no errors"));
    let totals = totals(&sources, program.scope);
    let basis = match program.scope {
        Scope::Direct => totals.direct_co2e_t + totals.imported_electricity_co2e_t,
        Scope::DirectAndIndirect => totals.co2e_t,
    };
    let thresholds = Thresholds {
        scope: program.scope,
        basis_co2e_t: basis,
        reporting_threshold_t: program.reporting_threshold_t,
        must_report: program.reporting_threshold_t.is_none_or(|t| basis >= t),
        verification_threshold_t: program.verification_threshold_t,
        verification_required: program.verification_threshold_t.is_some_and(|t| basis >= t),
    };
    Ok(FacilityReport {
        facility: FacilityInfo {
            id: input.facility.id.clone(),
            name: input.facility.name.clone(),
            entity: input.facility.entity.clone(),
            jurisdiction: input.facility.jurisdiction.clone(),
            naics: input.facility.naics.clone(),
        },
        program: program.id,
        reporting_year: input.reporting_year,
        gwp,
        sources,
        totals,
        thresholds,
        tables: vec![
            crate::factors::TABLE_C1.meta.clone(),
            crate::factors::TABLE_C2.meta.clone(),
            crate::factors::IPCC_FUELS.meta.clone(),
            crate::factors::IPCC_NON_CO2.meta.clone(),
            crate::gwp::table_meta().clone(),
        ],
        parameters: params,
    })
}

fn effective_parameters(
    p: &input::ParametersInput,
    errs: &mut Vec<ReportError>,
) -> EffectiveParameters {
    let mut process = ProcessParams::default();
    let mut imports = ImportParams::default();
    let mut tier_rules = TierRules::default();
    let mut set = |name: &str, v: Option<Decimal>, slot: &mut Decimal| {
        if let Some(v) = v {
            if v < Decimal::ZERO {
                errs.push(e(format!("parameters.{name}"), format!("{v} is negative")));
            }
            *slot = v;
        }
    };
    set("sr_cao", p.sr_cao, &mut process.sr_cao);
    set("sr_mgo", p.sr_mgo, &mut process.sr_mgo);
    set(
        "ipcc_clinker_ef",
        p.ipcc_clinker_ef,
        &mut process.ipcc_clinker_ef,
    );
    set(
        "ipcc_lime_ef_high_calcium",
        p.ipcc_lime_ef_high_calcium,
        &mut process.ipcc_lime_ef_high_calcium,
    );
    set(
        "ipcc_lime_ef_dolomitic",
        p.ipcc_lime_ef_dolomitic,
        &mut process.ipcc_lime_ef_dolomitic,
    );
    set(
        "ipcc_lime_ef_hydraulic",
        p.ipcc_lime_ef_hydraulic,
        &mut process.ipcc_lime_ef_hydraulic,
    );
    set(
        "unspecified_ef_t_per_mwh",
        p.unspecified_ef_t_per_mwh,
        &mut imports.unspecified_ef_t_per_mwh,
    );
    set(
        "transmission_loss_factor",
        p.transmission_loss_factor,
        &mut imports.transmission_loss_factor,
    );
    set(
        "large_unit_mmbtu_hr",
        p.large_unit_mmbtu_hr,
        &mut tier_rules.large_unit_mmbtu_hr,
    );
    if let Some(b) = p.losses_on_specified {
        imports.losses_on_specified = b;
    }
    if let Some(b) = p.tier2_for_gas_and_distillate_in_large_units {
        tier_rules.tier2_for_gas_and_distillate_in_large_units = b;
    }
    EffectiveParameters {
        process,
        imports,
        tier_rules,
    }
}

/// Builds the engine request for one fuel line, or records why it cannot.
fn fuel_request(
    path: &str,
    l: &FuelLineInput,
    gwp: &GwpChoice,
    errs: &mut Vec<ReportError>,
) -> Option<FuelRequest> {
    let before = errs.len();
    let method = parse_enum::<Method>(&format!("{path}.method"), &l.method, errs);
    let unit = parse_enum::<Unit>(&format!("{path}.unit"), &l.unit, errs);
    let basis = l
        .basis
        .as_deref()
        .and_then(|b| parse_enum::<HeatingBasis>(&format!("{path}.basis"), b, errs));
    let hhv = match (l.hhv, &l.hhv_unit) {
        (Some(v), Some(u)) => parse_enum::<HeatingValue>(&format!("{path}.hhv_unit"), u, errs)
            .map(|h| HeatingValue { value: v, ..h }),
        (None, None) => None,
        (Some(_), None) => {
            errs.push(e(
                format!("{path}.hhv_unit"),
                "hhv needs hhv_unit (e.g. mmbtu/scf)",
            ));
            None
        }
        (None, Some(_)) => {
            errs.push(e(format!("{path}.hhv"), "hhv_unit is given without hhv"));
            None
        }
    };
    let carbon_content = match (l.carbon_content, l.carbon_content_unit.as_deref()) {
        (None, _) => None,
        (Some(v), Some("kg_c/kg")) => Some(CarbonContent::PerKg(v)),
        (Some(v), Some("kg_c/gal")) => Some(CarbonContent::PerGallon(v)),
        (Some(v), None) if unit.is_some_and(|u| u.dimension() == Dimension::LiquidVolume) => {
            Some(CarbonContent::PerGallon(v))
        }
        (Some(v), None) => Some(CarbonContent::PerKg(v)),
        (Some(_), Some(s)) => {
            errs.push(e(
                format!("{path}.carbon_content_unit"),
                format!("{s:?}: expected kg_c/kg or kg_c/gal"),
            ));
            None
        }
    };
    let sector = l
        .sector
        .as_deref()
        .and_then(|s| parse_enum(&format!("{path}.sector"), s, errs));
    if errs.len() > before {
        return None;
    }
    let (method, unit) = (method?, unit?);
    let mut quantity = Quantity::new(l.quantity, unit);
    quantity.basis = basis;
    let mut r = FuelRequest::new(
        method,
        &l.fuel,
        quantity,
        GwpSelection::Set(gwp.set, Ar6Methane::Combined),
    );
    r.hhv = hhv;
    r.carbon_content = carbon_content;
    r.molecular_weight = l.molecular_weight;
    r.standard_temperature_f = l.standard_temperature_f;
    r.density_kg_per_unit = l.density;
    r.sector = sector;
    r.ncv_tj_per_gg = l.ncv;
    r.ncv_per_gcv = l.ncv_per_gcv;
    r.co2_ef_kg_per_tj = l.co2_ef;
    r.ch4_ef_kg_per_tj = l.ch4_ef;
    r.n2o_ef_kg_per_tj = l.n2o_ef;
    Some(r)
}

/// Heat input (mmBtu) of a Part 98 fuel line, for the fuel's share of the unit's heat input.
fn heat_input_mmbtu(r: &FuelRequest) -> Option<Decimal> {
    let f = crate::factors::c1_fuel(&r.fuel)?;
    let q = r.quantity;
    if q.unit.dimension() == Dimension::Energy {
        return q.to(Unit::Mmbtu).ok().map(|x| x.value);
    }
    let amount = q.to(f.state.part98_unit()).ok()?.value;
    let hhv = r
        .hhv
        .and_then(|h| h.mmbtu_per(f.state.part98_unit()))
        .unwrap_or(f.hhv);
    Some(amount * hhv)
}

fn method_tier(m: Method) -> Option<Tier> {
    match m {
        Method::Part98Tier1 => Some(Tier::Tier1),
        Method::Part98Tier2 => Some(Tier::Tier2),
        Method::Part98Tier3 => Some(Tier::Tier3),
        Method::Ipcc2006Tier1 => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn combustion_unit(
    path: &str,
    unit: &UnitInput,
    program: &Program,
    gwp: &GwpChoice,
    params: &EffectiveParameters,
    out: &mut Vec<SourceResult>,
    errs: &mut Vec<ReportError>,
) {
    if unit.id.trim().is_empty() {
        errs.push(e(format!("{path}.id"), "must not be empty"));
    }
    if unit.fuels.is_empty() {
        errs.push(e(
            format!("{path}.fuels"),
            "a combustion unit reports at least one fuel",
        ));
    }
    let mut seen = BTreeSet::new();
    let reqs: Vec<Option<FuelRequest>> = unit
        .fuels
        .iter()
        .enumerate()
        .map(|(fi, l)| {
            let fpath = format!("{path}.fuels[{fi}]");
            if !seen.insert((l.fuel.clone(), l.method.clone())) {
                errs.push(e(
                    &fpath,
                    format!(
                        "fuel {:?} by {} appears twice in unit {:?}",
                        l.fuel, l.method, unit.id
                    ),
                ));
            }
            if !program.methods.contains(&l.method) {
                errs.push(e(
                    format!("{fpath}.method"),
                    format!(
                        "{} is not a method of programme {} (it accepts {})",
                        l.method,
                        program.id.as_str(),
                        program.methods.join(", ")
                    ),
                ));
                return None;
            }
            fuel_request(&fpath, l, gwp, errs)
        })
        .collect();
    let total_heat: Decimal = reqs.iter().flatten().filter_map(heat_input_mmbtu).sum();
    for (fi, (l, req)) in unit.fuels.iter().zip(&reqs).enumerate() {
        let Some(req) = req else { continue };
        let fpath = format!("{path}.fuels[{fi}]");
        let decision = unit.max_heat_input_mmbtu_hr.and_then(|cap| {
            let chosen = method_tier(req.method)?;
            let c1 = crate::factors::c1_fuel(&req.fuel);
            let share = match heat_input_mmbtu(req) {
                Some(h) if !total_heat.is_zero() => h / total_heat,
                _ => Decimal::ONE,
            };
            let facts = TierFacts {
                unit_max_heat_input_mmbtu_hr: cap,
                msw_tons_per_day: unit.msw_tons_per_day,
                solid_fossil_or_msw_primary: unit.solid_fossil_or_msw_primary,
                operating_hours: unit.operating_hours.unwrap_or(0),
                has_qualifying_cems: unit.has_qualifying_cems,
                fuel_in_table_c1: c1.is_some(),
                fuel_is_biomass: c1.is_some_and(|f| f.biomass),
                fuel_is_gas_or_distillate: req.fuel == "natural_gas"
                    || req.fuel.starts_with("distillate_fuel_oil"),
                fuel_heat_share: share,
                hhv_sampled_at_tier2_frequency: l.hhv_sampled_at_tier2_frequency,
            };
            let d = tier::select(&facts, &params.tier_rules);
            if chosen < d.minimum {
                errs.push(e(
                    format!("{fpath}.method"),
                    format!(
                        "{} is below the minimum tier for this unit and fuel: {} ({})",
                        req.method.as_str(),
                        d.minimum.as_str(),
                        d.reason
                    ),
                ));
            }
            Some(d)
        });
        match fuel::calculate(req) {
            Ok(em) => out.push(SourceResult {
                unit: Some(unit.id.clone()),
                fuel: Some(req.fuel.clone()),
                tier: decision,
                ..SourceResult::from_emissions(
                    format!("{}/{}", unit.id, req.fuel),
                    req.method.as_str().into(),
                    SourceScope::Direct,
                    l.covered.unwrap_or(true),
                    em,
                )
            }),
            Err(x) => errs.push(e(format!("{fpath}.{}", x.field), x.what)),
        }
    }
}

fn check_masses(path: &str, masses: &[input::Num], errs: &mut Vec<ReportError>) -> Vec<Decimal> {
    if masses.is_empty() {
        errs.push(e(
            format!("{path}.masses_t"),
            "at least one period's mass is required",
        ));
    }
    masses
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if m.0 < Decimal::ZERO {
                errs.push(e(
                    format!("{path}.masses_t[{i}]"),
                    format!("{} is negative", m.0),
                ));
            }
            m.0
        })
        .collect()
}

fn process_source(
    path: &str,
    p: &input::ProcessInput,
    gwp: &GwpChoice,
    params: &ProcessParams,
    out: &mut Vec<SourceResult>,
    errs: &mut Vec<ReportError>,
) {
    let masses = check_masses(path, &p.masses_t, errs);
    let oxides = |errs: &mut Vec<ReportError>| -> Option<Oxides> {
        let Some(o) = &p.oxides else {
            errs.push(e(
                format!("{path}.oxides"),
                format!(
                    "{} needs the oxide contents (cao, mgo, and non-calcined shares)",
                    p.method
                ),
            ));
            return None;
        };
        let ox = Oxides {
            cao: o.cao,
            cao_noncalcined: o.cao_noncalcined.unwrap_or_default(),
            mgo: o.mgo,
            mgo_noncalcined: o.mgo_noncalcined.unwrap_or_default(),
        };
        for (n, v) in [
            ("cao", ox.cao),
            ("cao_noncalcined", ox.cao_noncalcined),
            ("mgo", ox.mgo),
            ("mgo_noncalcined", ox.mgo_noncalcined),
        ] {
            if v < Decimal::ZERO || v > Decimal::ONE {
                errs.push(e(
                    format!("{path}.oxides.{n}"),
                    format!("{v} is not a mass fraction between 0 and 1"),
                ));
                return None;
            }
        }
        if ox.cao_noncalcined > ox.cao || ox.mgo_noncalcined > ox.mgo {
            errs.push(e(
                format!("{path}.oxides"),
                "non-calcined content exceeds the total",
            ));
            return None;
        }
        Some(ox)
    };
    let steps = match p.method.as_str() {
        "part98-cement-clinker" | "part98-cement-ckd" | "part98-lime" => {
            let what = match p.method.as_str() {
                "part98-cement-clinker" => "clinker",
                "part98-cement-ckd" => "ckd",
                _ => "lime",
            };
            let Some(o) = oxides(errs) else { return };
            let ef = process::h3_ef(what, o, params);
            let eq = match what {
                "clinker" => "40 CFR 98.83(d) Equation H-3 (clinker, by month)",
                "ckd" => "40 CFR 98.83(d) Equation H-4 (CKD not recycled, by quarter)",
                _ => "40 CFR 98.193 (lime, by type and month)",
            };
            let co2 = process::mass_times_ef(what, eq, &masses, ef.result.clone());
            vec![ef, co2]
        }
        "ipcc-cement-clinker" => vec![process::ipcc_cement_clinker(masses.iter().sum(), params)],
        "ipcc-lime" => {
            let kind = match p.lime_type.as_deref() {
                Some("high_calcium") => LimeType::HighCalcium,
                Some("dolomitic") => LimeType::Dolomitic,
                Some("hydraulic") => LimeType::Hydraulic,
                other => {
                    errs.push(e(
                        format!("{path}.lime_type"),
                        format!("{other:?}: expected high_calcium, dolomitic or hydraulic"),
                    ));
                    return;
                }
            };
            vec![process::ipcc_lime_tier1(kind, masses.iter().sum(), params)]
        }
        m => {
            errs.push(e(format!("{path}.method"), format!("{m:?}: expected part98-cement-clinker, part98-cement-ckd, part98-lime, ipcc-cement-clinker or ipcc-lime")));
            return;
        }
    };
    let m = GasMasses {
        co2_t: steps.last().expect("a step").result.value,
        ..Default::default()
    };
    out.push(SourceResult::from_emissions(
        p.id.clone(),
        p.method.clone(),
        SourceScope::Direct,
        p.covered.unwrap_or(true),
        finish(m, gwp.clone(), steps),
    ));
}

/// Part 75 short tons to metric tons: 2,000 lb × 0.45359237 kg/lb = 0.90718474 t, exact (NIST
/// SP 811). The factor §98.33(a)(5) prints is not in the reference pack (UNVERIFIED), so the
/// exact definition is used.
const SHORT_TON_T: Decimal = rust_decimal_macros::dec!(0.90718474);

fn cems_source(
    path: &str,
    c: &input::CemsInput,
    gwp: &GwpChoice,
    out: &mut Vec<SourceResult>,
    errs: &mut Vec<ReportError>,
) {
    if c.heat_input_mmbtu < Decimal::ZERO {
        errs.push(e(
            format!("{path}.heat_input_mmbtu"),
            format!("{} is negative", c.heat_input_mmbtu),
        ));
        return;
    }
    let Some(fuel) = crate::factors::c1_fuel(&c.fuel) else {
        errs.push(e(
            format!("{path}.fuel"),
            format!("{:?} is not a Table C-1 fuel", c.fuel),
        ));
        return;
    };
    let c2 = crate::factors::c2_factor(&fuel.c2_category).expect("C-1 rows map to C-2 rows");
    let co2_name = if fuel.biomass { "biogenic_co2" } else { "co2" };
    let (co2, conv, method) = match (c.co2_short_tons, c.co2_t) {
        (Some(st), None) if st >= Decimal::ZERO => {
            let co2 = st * SHORT_TON_T;
            let step = Step {
                quantity: co2_name.into(),
                equation: "40 CFR 98.33(a)(5) (Part 75 CO2 mass)".into(),
                formula: "CO2[t] = CO2[short tons] × 0.90718474".into(),
                form_mark: Mark::Verified,
                inputs: vec![
                    Value::input("CO2", st, "short ton"),
                    Value::factor(
                        "factor",
                        SHORT_TON_T,
                        "t/short ton",
                        "NIST SP 811 (2,000 lb × 0.45359237 kg/lb)",
                        Mark::Verified,
                    ),
                ],
                result: Value::input(co2_name, co2, "t"),
            };
            (co2, step, "part75-cems")
        }
        (None, Some(t)) if t >= Decimal::ZERO => {
            let step = Step {
                quantity: co2_name.into(),
                equation: "40 CFR 98.33(a)(4) Tier 4 (Equation C-6 hourly, summed)".into(),
                formula:
                    "CO2 = Σ_h 5.18e-7 × C_h × Q_h × t_h (tonne mrv cems --equation part98-c6)"
                        .into(),
                form_mark: Mark::Unverified,
                inputs: vec![Value::input("CO2", t, "t")],
                result: Value::input(co2_name, t, "t"),
            };
            (t, step, "part98-tier4")
        }
        (Some(_), Some(_)) | (None, None) => {
            errs.push(e(
                path,
                "give exactly one of co2_short_tons (Part 75) and co2_t (Part 98 Tier 4)",
            ));
            return;
        }
        (Some(v), None) | (None, Some(v)) => {
            let field = if c.co2_t.is_some() {
                "co2_t"
            } else {
                "co2_short_tons"
            };
            errs.push(e(format!("{path}.{field}"), format!("{v} is negative")));
            return;
        }
    };
    // Equation C-10 (form UNVERIFIED): CH4 or N2O = 1e-3 × HI × EF.
    let c10 = |gas: &str, ef: Decimal| {
        let v = crate::method::part98::KG_TO_T * c.heat_input_mmbtu * ef;
        Step {
            quantity: gas.into(),
            equation: "40 CFR 98.33(c)(4) Equation C-10".into(),
            formula: "CH4 or N2O = 1e-3 × HI × EF".into(),
            form_mark: Mark::Unverified,
            inputs: vec![
                Value::input("HI", c.heat_input_mmbtu, "mmBtu"),
                Value::factor(
                    &format!("EF_{}", gas.to_uppercase()),
                    ef,
                    format!("kg {}/mmBtu", gas.to_uppercase()),
                    format!("40 CFR 98 Table C-2, {}", c2.name),
                    c2.mark,
                ),
            ],
            result: Value::input(gas, v, "t"),
        }
    };
    let (ch4, n2o) = (
        c10("ch4", c2.ch4_kg_per_mmbtu),
        c10("n2o", c2.n2o_kg_per_mmbtu),
    );
    let mut m = GasMasses {
        ch4_t: ch4.result.value,
        n2o_t: n2o.result.value,
        ..Default::default()
    };
    if fuel.biomass {
        m.biogenic_co2_t = co2;
    } else {
        m.co2_t = co2;
    }
    out.push(SourceResult {
        fuel: Some(c.fuel.clone()),
        tier: Some(TierDecision {
            minimum: Tier::Tier4,
            branch: "cems",
            reason: "CO2 measured by CEMS (Tier 4, or the Part 75 alternative of §98.33(a)(5))"
                .into(),
        }),
        ..SourceResult::from_emissions(
            c.id.clone(),
            method.into(),
            SourceScope::Direct,
            c.covered.unwrap_or(true),
            finish(m, gwp.clone(), vec![conv, ch4, n2o]),
        )
    });
}

fn import_source(
    path: &str,
    im: &input::ImportInput,
    params: &ImportParams,
    out: &mut Vec<SourceResult>,
    errs: &mut Vec<ReportError>,
) {
    if im.mwh < Decimal::ZERO {
        errs.push(e(format!("{path}.mwh"), format!("{} is negative", im.mwh)));
        return;
    }
    let line = match (im.kind.as_str(), im.ef_t_per_mwh) {
        ("unspecified", None) => Import::Unspecified {
            mwh: im.mwh,
            por: im.por.clone(),
        },
        ("unspecified", Some(_)) => {
            errs.push(e(format!("{path}.ef_t_per_mwh"), "unspecified imports use the programme's default factor (parameters.unspecified_ef_t_per_mwh)"));
            return;
        }
        ("specified", Some(ef)) if ef >= Decimal::ZERO => Import::Specified {
            mwh: im.mwh,
            ef_t_per_mwh: ef,
            source: im.source.clone().unwrap_or_else(|| "reporter".into()),
        },
        ("specified", _) => {
            errs.push(e(
                format!("{path}.ef_t_per_mwh"),
                "a specified import needs its source's emission factor (t CO2e/MWh, ≥ 0)",
            ));
            return;
        }
        (k, _) => {
            errs.push(e(
                format!("{path}.kind"),
                format!("{k:?}: expected specified or unspecified"),
            ));
            return;
        }
    };
    let step = imports::import_co2e(&line, params);
    out.push(SourceResult::co2e_only(
        im.id.clone(),
        format!("ca-mrr-import-{}", im.kind),
        SourceScope::ImportedElectricity,
        im.covered.unwrap_or(true),
        step,
    ));
}

fn indirect_source(
    path: &str,
    ind: &input::IndirectInput,
    out: &mut Vec<SourceResult>,
    errs: &mut Vec<ReportError>,
) {
    if !matches!(
        ind.kind.as_str(),
        "purchased_electricity" | "purchased_heat"
    ) {
        errs.push(e(
            format!("{path}.kind"),
            format!(
                "{:?}: expected purchased_electricity or purchased_heat",
                ind.kind
            ),
        ));
        return;
    }
    let Ok(unit) = ind.unit.parse::<Unit>() else {
        errs.push(e(
            format!("{path}.unit"),
            format!("{:?} is not a unit", ind.unit),
        ));
        return;
    };
    if unit.dimension() != Dimension::Energy {
        errs.push(e(
            format!("{path}.unit"),
            format!("{unit} is not an energy unit (mwh, gj, …)"),
        ));
        return;
    }
    for (n, v) in [
        ("quantity", ind.quantity),
        ("ef_t_co2e_per_unit", ind.ef_t_co2e_per_unit),
    ] {
        if v < Decimal::ZERO {
            errs.push(e(format!("{path}.{n}"), format!("{v} is negative")));
            return;
        }
    }
    let v = ind.quantity * ind.ef_t_co2e_per_unit;
    let step = Step {
        quantity: "co2e".into(),
        equation: "indirect emissions (RENE: purchased electric or thermal energy)".into(),
        formula: "CO2e = energy × EF".into(),
        form_mark: Mark::Verified,
        inputs: vec![
            Value::input("energy", ind.quantity, unit.as_str()),
            Value {
                name: "EF".into(),
                value: ind.ef_t_co2e_per_unit,
                unit: format!("t CO2e/{unit}"),
                source: Some(ind.source.clone()),
                mark: None,
            },
        ],
        result: Value::input("co2e", v, "t CO2e"),
    };
    out.push(SourceResult::co2e_only(
        ind.id.clone(),
        ind.kind.clone(),
        SourceScope::Indirect,
        false,
        step,
    ));
}

fn totals(sources: &[SourceResult], scope: Scope) -> Totals {
    let mut t = Totals::default();
    for s in sources {
        t.co2_t += s.co2_t;
        t.ch4_t += s.ch4_t;
        t.n2o_t += s.n2o_t;
        t.biogenic_co2_t += s.biogenic_co2_t;
        match s.scope {
            SourceScope::Direct => t.direct_co2e_t += s.co2e_t,
            SourceScope::ImportedElectricity => t.imported_electricity_co2e_t += s.co2e_t,
            SourceScope::Indirect => t.indirect_co2e_t += s.co2e_t,
        }
        if s.scope == SourceScope::Indirect && scope == Scope::Direct {
            continue; // outside the programme's scope: listed, not totalled
        }
        t.co2e_t += s.co2e_t;
        if s.covered {
            t.covered_co2e_t += s.co2e_t;
        } else {
            t.non_covered_co2e_t += s.co2e_t;
        }
    }
    debug_assert_eq!(t.covered_co2e_t + t.non_covered_co2e_t, t.co2e_t);
    t
}
