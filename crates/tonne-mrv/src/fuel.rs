//! One fuel's combustion emissions by a named method: the engine behind `tonne mrv fuel` and the
//! per-fuel lines of facility reports. Validates inputs against the method (units, tiers,
//! required parameters) and returns [`Emissions`] with the full trace.

use crate::factors::{self, C1Fuel, FuelState, IpccFuel};
use crate::gwp::{Ar6Methane, GwpChoice, GwpSet};
use crate::method::ipcc2006::{self, Sector};
use crate::method::part98::{self, Tier3Sample};
use crate::num::Dec;
use crate::program::{Program, ProgramId};
use crate::table::Mark;
use crate::trace::{Emissions, GasMasses, Step, Value, finish};
use crate::unit::{Dimension, HeatingBasis, Quantity, Unit};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Method {
    #[serde(rename = "part98-tier1")]
    Part98Tier1,
    #[serde(rename = "part98-tier2")]
    Part98Tier2,
    #[serde(rename = "part98-tier3")]
    Part98Tier3,
    #[serde(rename = "ipcc2006-tier1")]
    Ipcc2006Tier1,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Self::Part98Tier1,
        Self::Part98Tier2,
        Self::Part98Tier3,
        Self::Ipcc2006Tier1,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Part98Tier1 => "part98-tier1",
            Self::Part98Tier2 => "part98-tier2",
            Self::Part98Tier3 => "part98-tier3",
            Self::Ipcc2006Tier1 => "ipcc2006-tier1",
        }
    }
    /// The programme whose GWP schedule applies when only a year is given.
    pub fn default_program(self) -> ProgramId {
        match self {
            Self::Ipcc2006Tier1 => ProgramId::Ipcc,
            _ => ProgramId::Part98,
        }
    }
    /// Fuel ids this method has default factors for.
    pub fn fuels(self) -> Vec<&'static str> {
        match self {
            Self::Ipcc2006Tier1 => factors::IPCC_FUELS
                .rows
                .iter()
                .map(|f| f.id.as_str())
                .collect(),
            _ => factors::TABLE_C1
                .rows
                .iter()
                .map(|f| f.id.as_str())
                .collect(),
        }
    }
}

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown method {s:?}: expected {}",
                    Self::ALL.map(|m| m.as_str()).join(", ")
                )
            })
    }
}

/// How the GWP set is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GwpSelection {
    /// A set named by the caller.
    Set(GwpSet, Ar6Methane),
    /// The programme's set for a reporting year.
    Program(ProgramId, u16),
}

/// A fuel's carbon content as reported for Tier 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarbonContent {
    /// kg C per kg of fuel (mass fraction).
    PerKg(Decimal),
    /// kg C per gallon (liquids).
    PerGallon(Decimal),
}

/// A measured heating value: `value` energy units per `per` unit of fuel, on the HHV basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeatingValue {
    pub value: Decimal,
    pub energy: Unit,
    pub per: Unit,
}

impl HeatingValue {
    /// The value in mmBtu per `unit` of fuel: × (energy → mmBtu) ÷ (per → unit); `None` when
    /// `unit` measures something other than `per`.
    pub fn mmbtu_per(self, unit: Unit) -> Option<Decimal> {
        Some(
            self.value * self.energy.factor_to(Unit::Mmbtu).ok()?
                / self.per.factor_to(unit).ok()?,
        )
    }
}

impl FromStr for HeatingValue {
    type Err = String;
    /// Parses the unit part `ENERGY/UNIT`, e.g. `mmbtu/gal`; the value is set separately.
    fn from_str(s: &str) -> Result<Self, String> {
        let (e, p) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not ENERGY/UNIT (e.g. mmbtu/gal)"))?;
        let energy = Unit::from_str(e).map_err(|x| x.to_string())?;
        let per = Unit::from_str(p).map_err(|x| x.to_string())?;
        if energy.dimension() != Dimension::Energy || per.dimension() == Dimension::Energy {
            return Err(format!(
                "{s:?}: a heating value is energy per mass or volume, e.g. mmbtu/gal, mmbtu/scf, mmbtu/short_ton"
            ));
        }
        Ok(Self {
            value: Decimal::ZERO,
            energy,
            per,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuelRequest {
    pub method: Method,
    pub fuel: String,
    pub quantity: Quantity,
    pub gwp: GwpSelection,
    /// Measured HHV (Tier 2; optional for Tier 3's CH4/N2O).
    pub hhv: Option<HeatingValue>,
    /// Tier 3.
    pub carbon_content: Option<CarbonContent>,
    /// Tier 3 gaseous fuels, kg/kg-mole.
    pub molecular_weight: Option<Decimal>,
    /// Tier 3 gases: standard temperature of the scf, 68 °F (default) or 60 °F.
    pub standard_temperature_f: Option<u8>,
    /// kg per unit of `quantity` (liquid kg C/kg carbon contents; IPCC volumes).
    pub density_kg_per_unit: Option<Decimal>,
    /// IPCC: the Table 2.2/2.3 sector for CH4 and N2O defaults.
    pub sector: Option<Sector>,
    /// IPCC: NCV override, TJ/Gg.
    pub ncv_tj_per_gg: Option<Decimal>,
    /// IPCC: factor overrides, kg/TJ.
    pub co2_ef_kg_per_tj: Option<Decimal>,
    pub ch4_ef_kg_per_tj: Option<Decimal>,
    pub n2o_ef_kg_per_tj: Option<Decimal>,
    /// IPCC: NCV/GCV ratio that converts an HHV-basis energy quantity to NCV; never assumed
    /// (the conventional 0.95 / 0.90 are UNVERIFIED, reference/mrv.md §3.1).
    pub ncv_per_gcv: Option<Decimal>,
}

impl FuelRequest {
    pub fn new(method: Method, fuel: &str, quantity: Quantity, gwp: GwpSelection) -> Self {
        Self {
            method,
            fuel: fuel.to_owned(),
            quantity,
            gwp,
            hhv: None,
            carbon_content: None,
            molecular_weight: None,
            standard_temperature_f: None,
            density_kg_per_unit: None,
            sector: None,
            ncv_tj_per_gg: None,
            co2_ef_kg_per_tj: None,
            ch4_ef_kg_per_tj: None,
            n2o_ef_kg_per_tj: None,
            ncv_per_gcv: None,
        }
    }
}

/// A request that cannot be computed: which input, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {what}")]
pub struct FuelError {
    pub field: &'static str,
    pub what: String,
}

fn err<T>(field: &'static str, what: impl Into<String>) -> Result<T, FuelError> {
    Err(FuelError {
        field,
        what: what.into(),
    })
}

fn positive(field: &'static str, v: Decimal) -> Result<Decimal, FuelError> {
    if v < Decimal::ZERO {
        return err(field, format!("{v} is negative"));
    }
    Ok(v)
}

/// Computes one fuel's emissions.
pub fn calculate(req: &FuelRequest) -> Result<Emissions, FuelError> {
    positive("quantity", req.quantity.value)?;
    let gwp = resolve_gwp(&req.gwp)?;
    let (masses, trace) = match req.method {
        Method::Part98Tier1 | Method::Part98Tier2 | Method::Part98Tier3 => part98_fuel(req)?,
        Method::Ipcc2006Tier1 => ipcc_fuel(req)?,
    };
    Ok(finish(masses, gwp, trace))
}

pub fn resolve_gwp(sel: &GwpSelection) -> Result<GwpChoice, FuelError> {
    match sel {
        GwpSelection::Set(set, m) => Ok(crate::gwp::choose(*set, *m, "--gwp".into())),
        GwpSelection::Program(p, year) => Program::builtin(*p)
            .gwp_for_year(*year)
            .or_else(|e| err("year", e.to_string())),
    }
}

fn unknown_fuel(method: Method, id: &str) -> FuelError {
    FuelError {
        field: "fuel",
        what: format!(
            "{id:?} has no default factors for {}; known fuels: {}",
            method.as_str(),
            method.fuels().join(", ")
        ),
    }
}

/// The fuel quantity in the unit the subpart C equations take, with a conversion step if needed.
fn part98_fuel_amount(
    q: Quantity,
    fuel: &C1Fuel,
    trace: &mut Vec<Step>,
) -> Result<Decimal, FuelError> {
    let want = fuel.state.part98_unit();
    if q.unit.dimension() != want.dimension() {
        return err(
            "unit",
            format!(
                "{} is a {:?} fuel: give its {} ({}), not {} ({})",
                fuel.id,
                fuel.state,
                want.dimension().name(),
                units_of(want.dimension()),
                q.unit,
                q.unit.dimension().name()
            ),
        );
    }
    if q.unit == want {
        return Ok(q.value);
    }
    let v = q.to(want).expect("same dimension").value;
    trace.push(conversion_step(q, want, v));
    Ok(v)
}

fn units_of(d: Dimension) -> String {
    crate::unit::ALL_UNITS
        .iter()
        .filter(|u| u.dimension() == d)
        .map(|u| u.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn c1_source(what: &str) -> String {
    format!(
        "40 CFR 98 Table C-1 ({}), {what}",
        factors::TABLE_C1.meta.version
    )
}

fn c2_source(name: &str) -> String {
    format!(
        "40 CFR 98 Table C-2 ({}), {name}",
        factors::TABLE_C2.meta.version
    )
}

fn part98_fuel(req: &FuelRequest) -> Result<(GasMasses, Vec<Step>), FuelError> {
    let fuel = factors::c1_fuel(&req.fuel).ok_or_else(|| unknown_fuel(req.method, &req.fuel))?;
    let c2 = factors::c2_factor(&fuel.c2_category).expect("C-1 rows map to C-2 rows (tested)");
    if req.sector.is_some() || req.ncv_tj_per_gg.is_some() || req.ncv_per_gcv.is_some() {
        return err(
            "sector",
            "--sector, --ncv and --ncv-per-gcv are IPCC inputs; Part 98 methods use Table C-2 and HHVs",
        );
    }
    if req.co2_ef_kg_per_tj.is_some()
        || req.ch4_ef_kg_per_tj.is_some()
        || req.n2o_ef_kg_per_tj.is_some()
    {
        return err(
            "ef",
            "factor overrides in kg/TJ are IPCC inputs; Part 98 uses Tables C-1 and C-2",
        );
    }
    if req.method != Method::Part98Tier3
        && (req.carbon_content.is_some() || req.molecular_weight.is_some())
    {
        return err(
            "carbon_content",
            "carbon content and molecular weight are Tier 3 inputs (part98-tier3)",
        );
    }
    if let Some(b) = req.quantity.basis
        && b != HeatingBasis::Hhv
    {
        return err(
            "basis",
            "Part 98 works on higher heating values; convert the energy quantity to HHV first",
        );
    }
    let co2_name = if fuel.biomass { "biogenic_co2" } else { "co2" };
    let mut trace = Vec::new();
    let ef_co2 = Value::factor(
        "EF",
        fuel.co2_kg_per_mmbtu,
        "kg CO2/mmBtu",
        c1_source(&fuel.name),
        fuel.mark,
    );
    let ef = |gas: &str, v: Decimal| {
        Value::factor(
            &format!("EF_{}", gas.to_uppercase()),
            v,
            format!("kg {}/mmBtu", gas.to_uppercase()),
            c2_source(&c2.name),
            c2.mark,
        )
    };
    let (ef_ch4, ef_n2o) = (
        ef("ch4", c2.ch4_kg_per_mmbtu),
        ef("n2o", c2.n2o_kg_per_mmbtu),
    );
    let default_hhv = Value::factor(
        "HHV",
        fuel.hhv,
        format!("mmBtu/{}", fuel.state.part98_unit()),
        c1_source(&fuel.name),
        fuel.mark,
    );
    let measured_hhv = req.hhv.map(|h| measured_hhv(h, fuel)).transpose()?;

    let q = req.quantity;
    // Natural gas from billing records in therms or mmBtu: Equations C-1a/C-1b and C-8a/C-8b
    // (§98.33(a)(1)(i)), Tier 1 only. Other energy units are converted to mmBtu.
    if q.unit.dimension() == Dimension::Energy {
        if fuel.id != "natural_gas" || req.method != Method::Part98Tier1 {
            return err(
                "unit",
                format!(
                    "{} by {} takes the fuel's {} ({}); heat input in {} is accepted only for natural gas billing records under part98-tier1 (Equations C-1a/C-1b)",
                    fuel.id,
                    req.method.as_str(),
                    fuel.state.part98_unit().dimension().name(),
                    units_of(fuel.state.part98_unit().dimension()),
                    q.unit
                ),
            );
        }
        if measured_hhv.is_some() {
            return err(
                "hhv",
                "Tier 1 uses Table C-1's default HHV; --hhv is a Tier 2 and Tier 3 input",
            );
        }
        let steps = if q.unit == Unit::Therm {
            let g = Value::input("Gas", q.value, "therm");
            [
                part98::c1a(co2_name, g.clone(), ef_co2),
                part98::c8a("ch4", g.clone(), ef_ch4),
                part98::c8a("n2o", g, ef_n2o),
            ]
        } else {
            let mmbtu = q.to(Unit::Mmbtu).expect("energy").value;
            let g = Value::input("Gas", mmbtu, "mmBtu");
            if q.unit != Unit::Mmbtu {
                trace.push(conversion_step(q, Unit::Mmbtu, mmbtu));
            }
            [
                part98::c1b(co2_name, g.clone(), ef_co2),
                part98::c8b("ch4", g.clone(), ef_ch4),
                part98::c8b("n2o", g, ef_n2o),
            ]
        };
        return Ok(collect(trace, steps, fuel.biomass));
    }

    let amount = part98_fuel_amount(q, fuel, &mut trace)?;
    let fuel_v = Value::input("Fuel", amount, fuel.state.part98_unit().as_str());
    let steps = match req.method {
        Method::Part98Tier1 => {
            if measured_hhv.is_some() {
                return err(
                    "hhv",
                    "Tier 1 uses Table C-1's default HHV; --hhv is a Tier 2 and Tier 3 input",
                );
            }
            [
                part98::c1(co2_name, fuel_v.clone(), default_hhv.clone(), ef_co2),
                part98::c8("ch4", fuel_v.clone(), default_hhv.clone(), ef_ch4),
                part98::c8("n2o", fuel_v, default_hhv, ef_n2o),
            ]
        }
        Method::Part98Tier2 => {
            let Some(hhv) = measured_hhv else {
                return err(
                    "hhv",
                    "Tier 2 needs the measured annual average HHV (--hhv N --hhv-unit mmbtu/gal|mmbtu/scf|mmbtu/short_ton)",
                );
            };
            [
                part98::c2a(co2_name, fuel_v.clone(), hhv.clone(), ef_co2),
                part98::c9a("ch4", fuel_v.clone(), hhv.clone(), ef_ch4),
                part98::c9a("n2o", fuel_v, hhv, ef_n2o),
            ]
        }
        Method::Part98Tier3 => {
            let co2 = tier3_co2(req, fuel, co2_name, amount)?;
            let (ch4, n2o) = match measured_hhv {
                Some(hhv) => (
                    part98::c9a("ch4", fuel_v.clone(), hhv.clone(), ef_ch4),
                    part98::c9a("n2o", fuel_v, hhv, ef_n2o),
                ),
                None => (
                    part98::c8("ch4", fuel_v.clone(), default_hhv.clone(), ef_ch4),
                    part98::c8("n2o", fuel_v, default_hhv, ef_n2o),
                ),
            };
            [co2, ch4, n2o]
        }
        Method::Ipcc2006Tier1 => unreachable!("dispatched to ipcc_fuel"),
    };
    Ok(collect(trace, steps, fuel.biomass))
}

fn conversion_step(q: Quantity, to: Unit, v: Decimal) -> Step {
    let factor = q.unit.factor_to(to).expect("same dimension");
    Step {
        quantity: "fuel".into(),
        equation: "unit conversion".into(),
        formula: format!("Fuel[{to}] = Fuel[{}] × {}", q.unit, factor.normalize()),
        form_mark: Mark::Verified,
        inputs: vec![
            Value::input("Fuel", q.value, q.unit.as_str()),
            Value::factor(
                "factor",
                factor,
                format!("{to}/{}", q.unit),
                "NIST SP 811 (2008) Appendix B exact definitions",
                Mark::Verified,
            ),
        ],
        result: Value::input("Fuel", v, to.as_str()),
    }
}

/// The measured HHV in mmBtu per the fuel's Part 98 unit.
fn measured_hhv(h: HeatingValue, fuel: &C1Fuel) -> Result<Value, FuelError> {
    positive("hhv", h.value)?;
    let want = fuel.state.part98_unit();
    if h.per.dimension() != want.dimension() {
        return err(
            "hhv_unit",
            format!(
                "{} is a {:?} fuel: its HHV is mmBtu per {} ({}), not per {}",
                fuel.id,
                fuel.state,
                want.dimension().name(),
                units_of(want.dimension()),
                h.per
            ),
        );
    }
    let v = h.mmbtu_per(want).expect("same dimension, checked above");
    Ok(Value::input("HHV", v, format!("mmBtu/{want}")))
}

fn tier3_co2(
    req: &FuelRequest,
    fuel: &C1Fuel,
    gas: &str,
    amount: Decimal,
) -> Result<Step, FuelError> {
    let Some(cc) = req.carbon_content else {
        return err(
            "carbon_content",
            "Tier 3 needs the fuel's measured carbon content (--carbon-content)",
        );
    };
    let cc = match (fuel.state, cc) {
        (FuelState::Liquid, CarbonContent::PerGallon(v)) => positive("carbon_content", v)?,
        (FuelState::Liquid, CarbonContent::PerKg(v)) => {
            let Some(d) = req.density_kg_per_unit else {
                return err(
                    "density",
                    "a liquid's carbon content in kg C/kg needs the fuel's density (--density, kg per gallon) to give kg C/gal for Equation C-4",
                );
            };
            // kg per unit of the given quantity → kg per gallon.
            let per_gal = d / req.quantity.unit.factor_to(Unit::Gal).expect("liquid unit");
            positive("carbon_content", v)? * positive("density", per_gal)?
        }
        (_, CarbonContent::PerKg(v)) => positive("carbon_content", v)?,
        (_, CarbonContent::PerGallon(_)) => {
            return err(
                "carbon_content_unit",
                format!(
                    "{} is not a liquid: give its carbon content in kg C/kg",
                    fuel.id
                ),
            );
        }
    };
    if matches!(fuel.state, FuelState::Solid | FuelState::Gas) && cc > Decimal::ONE {
        return err(
            "carbon_content",
            format!("{cc} kg C/kg is more than 1: give a mass fraction"),
        );
    }
    let sample = Tier3Sample {
        fuel: amount,
        carbon_content: cc,
        molecular_weight: None,
    };
    Ok(match fuel.state {
        FuelState::Solid => part98::c3(gas, &[sample]),
        FuelState::Liquid => part98::c4(gas, &[sample]),
        FuelState::Gas => {
            let Some(mw) = req.molecular_weight else {
                return err(
                    "molecular_weight",
                    "Tier 3 for a gaseous fuel needs its molecular weight (--molecular-weight, kg/kg-mole)",
                );
            };
            let mvc = match req.standard_temperature_f.unwrap_or(68) {
                68 => Value::factor(
                    "MVC",
                    part98::MVC_68F,
                    "scf/kg-mole",
                    "40 CFR 98.163 MVC (subpart P analogue), 68 °F",
                    Mark::Verified,
                ),
                60 => Value::factor(
                    "MVC",
                    part98::MVC_60F,
                    "scf/kg-mole",
                    "40 CFR 98 MVC at 60 °F (ccdsupport subpart X IVT page)",
                    Mark::Unverified,
                ),
                t => {
                    return err(
                        "standard_temperature",
                        format!("{t} °F: standard conditions are 68 or 60 °F"),
                    );
                }
            };
            part98::c5(
                gas,
                &[Tier3Sample {
                    molecular_weight: Some(positive("molecular_weight", mw)?),
                    ..sample
                }],
                mvc,
            )
        }
    })
}

fn collect(mut trace: Vec<Step>, steps: [Step; 3], biomass: bool) -> (GasMasses, Vec<Step>) {
    let [co2, ch4, n2o] = steps;
    let mut m = GasMasses {
        ch4_t: ch4.result.value,
        n2o_t: n2o.result.value,
        ..Default::default()
    };
    if biomass {
        m.biogenic_co2_t = co2.result.value;
    } else {
        m.co2_t = co2.result.value;
    }
    trace.extend([co2, ch4, n2o]);
    (m, trace)
}

fn ipcc_source(f: &IpccFuel) -> String {
    format!("{}, {}", factors::IPCC_FUELS.meta.table, f.name)
}

fn ipcc_fuel(req: &FuelRequest) -> Result<(GasMasses, Vec<Step>), FuelError> {
    let fuel = factors::ipcc_fuel(&req.fuel).ok_or_else(|| unknown_fuel(req.method, &req.fuel))?;
    if req.hhv.is_some() || req.carbon_content.is_some() || req.molecular_weight.is_some() {
        return err(
            "hhv",
            "--hhv, --carbon-content and --molecular-weight are Part 98 inputs; IPCC Tier 1 uses NCVs (--ncv) and default factors",
        );
    }
    let mut trace = Vec::new();
    let q = req.quantity;
    let tj = match q.unit.dimension() {
        Dimension::Energy => {
            let mut tj = q.to(Unit::Tj).expect("energy").value;
            if q.unit != Unit::Tj {
                trace.push(conversion_step(q, Unit::Tj, tj));
            }
            match (q.basis.unwrap_or(HeatingBasis::Ncv), req.ncv_per_gcv) {
                (HeatingBasis::Ncv, None) => {}
                (HeatingBasis::Ncv, Some(_)) => {
                    return err(
                        "ncv_per_gcv",
                        "the quantity is already on a net calorific basis",
                    );
                }
                (HeatingBasis::Hhv, None) => {
                    return err(
                        "basis",
                        "IPCC methods work on net calorific values: give --ncv-per-gcv to convert this HHV quantity (the conventional 0.95 for coal and oil, 0.90 for gas are not assumed)",
                    );
                }
                (HeatingBasis::Hhv, Some(r)) => {
                    if r <= Decimal::ZERO || r > Decimal::ONE {
                        return err("ncv_per_gcv", format!("{r} is not in (0, 1]"));
                    }
                    let ncv = tj * r;
                    trace.push(Step {
                        quantity: "fuel_energy".into(),
                        equation: "gross to net calorific value".into(),
                        formula: "Fuel[TJ NCV] = Fuel[TJ GCV] × NCV/GCV".into(),
                        form_mark: Mark::Unverified,
                        inputs: vec![
                            Value::input("Fuel", tj, "TJ (GCV)"),
                            Value::input("NCV/GCV", r, "-"),
                        ],
                        result: Value::input("Fuel", ncv, "TJ (NCV)"),
                    });
                    tj = ncv;
                }
            }
            tj
        }
        dim => {
            let kg = if dim == Dimension::Mass {
                q.to(Unit::Kg).expect("mass").value
            } else {
                let Some(d) = req.density_kg_per_unit else {
                    return err(
                        "density",
                        format!(
                            "IPCC Tier 1 converts mass to energy with the NCV: a {} needs the fuel's density (--density, kg per {})",
                            dim.name(),
                            q.unit
                        ),
                    );
                };
                q.value * positive("density", d)?
            };
            let gg = kg / dec!(1000000);
            let ncv = match req.ncv_tj_per_gg {
                Some(v) => Value::input("NCV", positive("ncv", v)?, "TJ/Gg"),
                None => Value::factor(
                    "NCV",
                    fuel.ncv_tj_per_gg,
                    "TJ/Gg",
                    format!("IPCC 2006 Vol. 2 Table 1.2, {}", fuel.name),
                    fuel.mark,
                ),
            };
            let s = ipcc2006::energy_from_mass(Value::input("Fuel", gg, "Gg"), ncv);
            let tj = s.result.value;
            trace.push(s);
            tj
        }
    };
    let fuel_tj = Value::input("Fuel", tj, "TJ (NCV)");
    let co2_ef = match req.co2_ef_kg_per_tj {
        Some(v) => Value::input("EF", positive("co2_ef", v)?, "kg CO2/TJ"),
        None => Value::factor(
            "EF",
            fuel.co2_kg_per_tj,
            "kg CO2/TJ",
            ipcc_source(fuel),
            fuel.mark,
        ),
    };
    let non_co2 = |gas: &'static str, over: Option<Dec>| -> Result<Value, FuelError> {
        if let Some(v) = over {
            return Ok(Value::input(
                "EF",
                positive(if gas == "ch4" { "ch4_ef" } else { "n2o_ef" }, v)?,
                format!("kg {}/TJ", gas.to_uppercase()),
            ));
        }
        let Some(sector) = req.sector else {
            return err(
                "sector",
                format!(
                    "IPCC Tier 1 {} defaults depend on the source category: give --sector energy (Table 2.2) or manufacturing (Table 2.3), or --{gas}-ef",
                    gas.to_uppercase()
                ),
            );
        };
        let row = fuel
            .ch4_n2o_category
            .as_deref()
            .and_then(|c| factors::ipcc_non_co2(c, sector.as_str()))
            .ok_or_else(|| FuelError {
                field: if gas == "ch4" { "ch4_ef" } else { "n2o_ef" },
                what: format!(
                    "{} has no default {} factor in {}: give --{gas}-ef (kg/TJ)",
                    fuel.id,
                    gas.to_uppercase(),
                    sector.table()
                ),
            })?;
        let v = if gas == "ch4" {
            row.ch4_kg_per_tj
        } else {
            row.n2o_kg_per_tj
        };
        Ok(Value::factor(
            "EF",
            v,
            format!("kg {}/TJ", gas.to_uppercase()),
            sector.table(),
            row.mark,
        ))
    };
    let co2_name = if fuel.biomass { "biogenic_co2" } else { "co2" };
    let steps = [
        ipcc2006::eq2_1(co2_name, fuel_tj.clone(), co2_ef),
        ipcc2006::eq2_1(
            "ch4",
            fuel_tj.clone(),
            non_co2("ch4", req.ch4_ef_kg_per_tj)?,
        ),
        ipcc2006::eq2_1("n2o", fuel_tj, non_co2("n2o", req.n2o_ef_kg_per_tj)?),
    ];
    Ok(collect(trace, steps, fuel.biomass))
}
