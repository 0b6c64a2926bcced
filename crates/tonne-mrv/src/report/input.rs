//! The facility report as submitted (JSON format `tonne-mrv-report/1`, docs/mrv-reports.md).
//! Numbers are read from their JSON text as exact decimals, never through binary floats;
//! unknown fields are errors, so a misspelt field cannot silently drop data.

use crate::num::parse_decimal;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

pub const FORMAT: &str = "tonne-mrv-report/1";

/// A JSON number (or a string holding one) as an exact decimal.
pub(crate) fn dnum<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw: &RawValue = Deserialize::deserialize(d)?;
    let text = raw.get();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    parse_decimal(text).map_err(serde::de::Error::custom)
}

pub(crate) fn dnum_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let raw: Option<&RawValue> = Deserialize::deserialize(d)?;
    match raw {
        None => Ok(None),
        Some(r) if r.get() == "null" => Ok(None),
        Some(r) => {
            let text = r.get();
            let text = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text);
            parse_decimal(text)
                .map(Some)
                .map_err(serde::de::Error::custom)
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    #[serde(default)]
    pub format: Option<String>,
    pub facility: FacilityInput,
    /// part98, ca-mrr, mx-rene, ipcc
    pub program: String,
    pub reporting_year: u16,
    /// Overrides the programme's GWP set (sar, ar4, ar5, ar6).
    #[serde(default)]
    pub gwp: Option<String>,
    #[serde(default)]
    pub units: Vec<UnitInput>,
    #[serde(default)]
    pub process: Vec<ProcessInput>,
    /// Units monitored by CEMS (Part 75 CO2 mass, e.g. from `tonne mrv cems`).
    #[serde(default)]
    pub cems: Vec<CemsInput>,
    #[serde(default)]
    pub imports: Vec<ImportInput>,
    #[serde(default)]
    pub indirect: Vec<IndirectInput>,
    #[serde(default)]
    pub parameters: ParametersInput,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilityInput {
    pub id: String,
    pub name: String,
    /// The registry entity whose compliance obligation this report feeds.
    #[serde(default)]
    pub entity: Option<String>,
    /// ISO 3166-2 code.
    #[serde(default)]
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub naics: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub id: String,
    /// boiler, turbine, engine, process_heater, incinerator, kiln, other
    #[serde(rename = "type")]
    pub unit_type: String,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub max_heat_input_mmbtu_hr: Option<Decimal>,
    #[serde(default)]
    pub operating_hours: Option<u32>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub msw_tons_per_day: Option<Decimal>,
    #[serde(default)]
    pub solid_fossil_or_msw_primary: bool,
    #[serde(default)]
    pub has_qualifying_cems: bool,
    #[serde(default)]
    pub fuels: Vec<FuelLineInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuelLineInput {
    pub fuel: String,
    pub method: String,
    #[serde(deserialize_with = "dnum")]
    pub quantity: Decimal,
    pub unit: String,
    #[serde(default)]
    pub basis: Option<String>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub hhv: Option<Decimal>,
    #[serde(default)]
    pub hhv_unit: Option<String>,
    #[serde(default)]
    pub hhv_sampled_at_tier2_frequency: bool,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub carbon_content: Option<Decimal>,
    #[serde(default)]
    pub carbon_content_unit: Option<String>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub molecular_weight: Option<Decimal>,
    #[serde(default)]
    pub standard_temperature_f: Option<u8>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub density: Option<Decimal>,
    #[serde(default)]
    pub sector: Option<String>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub ncv: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub ncv_per_gcv: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub co2_ef: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub ch4_ef: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub n2o_ef: Option<Decimal>,
    /// Covered by the cap-and-trade programme (default true).
    #[serde(default)]
    pub covered: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessInput {
    pub id: String,
    /// part98-cement-clinker, part98-cement-ckd, part98-lime, ipcc-cement-clinker, ipcc-lime
    pub method: String,
    /// Metric tons per period (months for clinker and lime, quarters for CKD).
    #[serde(default)]
    pub masses_t: Vec<Num>,
    #[serde(default)]
    pub oxides: Option<OxidesInput>,
    /// ipcc-lime: high_calcium, dolomitic, hydraulic
    #[serde(default)]
    pub lime_type: Option<String>,
    #[serde(default)]
    pub covered: Option<bool>,
}

/// A CEMS-monitored unit's annual CO2 mass and heat input (§98.33(a)(5) Part 75 alternative;
/// CH4 and N2O by Equation C-10 from the heat input).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CemsInput {
    pub id: String,
    /// Annual CO2 mass in Part 75 short tons (`tonne mrv cems`, Part 75 equation) …
    #[serde(default, deserialize_with = "dnum_opt")]
    pub co2_short_tons: Option<Decimal>,
    /// … or in metric tons by Part 98 Tier 4 (Equation C-6, `tonne mrv cems --equation
    /// part98-c6`). Exactly one of the two.
    #[serde(default, deserialize_with = "dnum_opt")]
    pub co2_t: Option<Decimal>,
    /// Annual heat input, mmBtu.
    #[serde(deserialize_with = "dnum")]
    pub heat_input_mmbtu: Decimal,
    /// The unit's primary fuel (Table C-1 id), whose Table C-2 factors apply.
    pub fuel: String,
    #[serde(default)]
    pub covered: Option<bool>,
}

/// A decimal inside an array.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub struct Num(#[serde(deserialize_with = "dnum")] pub Decimal);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OxidesInput {
    #[serde(deserialize_with = "dnum")]
    pub cao: Decimal,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub cao_noncalcined: Option<Decimal>,
    #[serde(deserialize_with = "dnum")]
    pub mgo: Decimal,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub mgo_noncalcined: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    pub id: String,
    /// specified or unspecified
    pub kind: String,
    #[serde(deserialize_with = "dnum")]
    pub mwh: Decimal,
    /// Specified sources: t CO2e/MWh.
    #[serde(default, deserialize_with = "dnum_opt")]
    pub ef_t_per_mwh: Option<Decimal>,
    #[serde(default)]
    pub source: Option<String>,
    /// First point of receipt (NERC e-Tag code).
    #[serde(default)]
    pub por: Option<String>,
    #[serde(default)]
    pub covered: Option<bool>,
}

/// Indirect emissions (purchased electricity or heat), counted by programmes whose scope
/// includes them (RENE).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndirectInput {
    pub id: String,
    /// purchased_electricity or purchased_heat
    pub kind: String,
    #[serde(deserialize_with = "dnum")]
    pub quantity: Decimal,
    pub unit: String,
    /// t CO2e per unit of `quantity`.
    #[serde(deserialize_with = "dnum")]
    pub ef_t_co2e_per_unit: Decimal,
    pub source: String,
}

/// Overrides of configurable (UNVERIFIED) parameters, recorded with the report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParametersInput {
    #[serde(default, deserialize_with = "dnum_opt")]
    pub sr_cao: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub sr_mgo: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub ipcc_clinker_ef: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub ipcc_lime_ef_high_calcium: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub ipcc_lime_ef_dolomitic: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub ipcc_lime_ef_hydraulic: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub unspecified_ef_t_per_mwh: Option<Decimal>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub transmission_loss_factor: Option<Decimal>,
    #[serde(default)]
    pub losses_on_specified: Option<bool>,
    #[serde(default, deserialize_with = "dnum_opt")]
    pub large_unit_mmbtu_hr: Option<Decimal>,
    #[serde(default)]
    pub tier2_for_gas_and_distillate_in_large_units: Option<bool>,
}

/// Parses a report, naming the field path and position of the first syntax or type error.
pub fn parse_json(text: &str) -> Result<ReportInput, crate::report::ReportError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        crate::report::ReportError {
            path: if path == "." { String::new() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}
