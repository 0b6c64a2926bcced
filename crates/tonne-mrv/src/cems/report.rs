//! What a CEMS run returns: per unit, quarterly and annual Part 75 short tons with their exact
//! metric-tonne equivalents, and per monitor the PMA and the hours of each substitution code.
//! JSON keys are a contract (docs/cems.md).

use super::fixed::{Exact, MASS_SCALE, OP_TIME_DP};
use super::hour::ClockHour;
use super::{Basis, Code, CodeCounts, Params};
use crate::trace::Value;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Short tons at the engine's mass scale.
fn st(v: u128) -> Exact {
    Exact::new(v, MASS_SCALE)
}

/// Hours per substitution code (every code listed, zeros included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Substitutions(pub CodeCounts);

impl Substitutions {
    pub fn get(&self, c: Code) -> u64 {
        self.0[c.index()]
    }
    pub fn total(&self) -> u64 {
        Code::SUBSTITUTED.iter().map(|&c| self.get(c)).sum()
    }
    fn add(&mut self, o: &Substitutions) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
}

impl Serialize for Substitutions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(Code::SUBSTITUTED.len()))?;
        for c in Code::SUBSTITUTED {
            m.serialize_entry(c.as_str(), &self.get(c))?;
        }
        m.end()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MonitorReport {
    /// Quality-assured monitor operating hours.
    pub measured_hours: u64,
    pub substituted_hours: u64,
    /// PMA after the unit's last operating hour, rounded to 0.1 % for display (null if the
    /// unit never operated); the exact ratio is `pma_qa_hours / pma_operating_hours`.
    pub pma_percent: Option<Exact>,
    pub pma_qa_hours: u64,
    pub pma_operating_hours: u64,
    pub substitutions: Substitutions,
}

impl MonitorReport {
    pub(crate) fn new(counts: CodeCounts, (qa, op): (u64, u64)) -> Self {
        let subs = Substitutions(counts);
        Self {
            measured_hours: subs.get(Code::Measured),
            substituted_hours: subs.total(),
            pma_percent: (op > 0).then(|| Exact::new(((2000 * qa + op) / (2 * op)) as u128, 1)),
            pma_qa_hours: qa,
            pma_operating_hours: op,
            substitutions: subs,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QuarterReport {
    pub quarter: u8,
    pub short_tons: Exact,
    pub metric_tonnes: Exact,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearReport {
    pub year: u16,
    pub short_tons: Exact,
    pub metric_tonnes: Exact,
    pub quarters: Vec<QuarterReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitReport {
    pub unit_id: String,
    pub co2_basis: Basis,
    pub first_hour: String,
    pub last_hour: String,
    pub rows: u64,
    pub operating_hours: u64,
    pub operating_time_hours: Exact,
    pub short_tons: Exact,
    pub metric_tonnes: Exact,
    pub years: Vec<YearReport>,
    pub co2: MonitorReport,
    pub flow: MonitorReport,
    /// Exact short tons at 10^-[`MASS_SCALE`], for summing.
    #[serde(skip)]
    pub short_tons_scaled: u128,
}

impl UnitReport {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        unit_id: String,
        co2_basis: Basis,
        hours: (ClockHour, ClockHour),
        rows: u64,
        operating_hours: u64,
        op_time: u64,
        years: &[(u16, [u128; 4])],
        co2: MonitorReport,
        flow: MonitorReport,
    ) -> Self {
        let total: u128 = years.iter().flat_map(|y| y.1).sum();
        Self {
            unit_id,
            co2_basis,
            first_hour: super::hour::format_hour(hours.0),
            last_hour: super::hour::format_hour(hours.1),
            rows,
            operating_hours,
            operating_time_hours: Exact::new(op_time as u128, OP_TIME_DP),
            short_tons: st(total),
            metric_tonnes: st(total).short_tons_to_tonnes(),
            years: years
                .iter()
                .map(|(year, q)| {
                    let y: u128 = q.iter().sum();
                    YearReport {
                        year: *year,
                        short_tons: st(y),
                        metric_tonnes: st(y).short_tons_to_tonnes(),
                        quarters: (0..4)
                            .map(|i| QuarterReport {
                                quarter: i as u8 + 1,
                                short_tons: st(q[i]),
                                metric_tonnes: st(q[i]).short_tons_to_tonnes(),
                            })
                            .collect(),
                    }
                })
                .collect(),
            co2,
            flow,
            short_tons_scaled: total,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub units: u64,
    pub rows: u64,
    pub operating_hours: u64,
    pub short_tons: Exact,
    pub metric_tonnes: Exact,
    pub co2_substitutions: Substitutions,
    pub flow_substitutions: Substitutions,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub programme: &'static str,
    pub equation: &'static str,
    pub constants: Vec<Value>,
    pub parameters: Params,
    pub totals: Totals,
    pub units: Vec<UnitReport>,
}

impl Report {
    /// Units sorted by id; totals summed. Fails only if the grand total overflows u128.
    pub(crate) fn new(params: &Params, mut units: Vec<UnitReport>) -> Option<Self> {
        units.sort_by(|a, b| a.unit_id.cmp(&b.unit_id));
        let mut total: u128 = 0;
        let mut co2 = Substitutions::default();
        let mut flow = Substitutions::default();
        for u in &units {
            total = total.checked_add(u.short_tons_scaled)?;
            co2.add(&u.co2.substitutions);
            flow.add(&u.flow.substitutions);
        }
        Some(Self {
            programme: "40 CFR 75 (CO2 mass, Subpart D missing data)",
            equation: "E_h = K × C_h × Q_h [× (100 − %H2O)/100 for dry CO2], summed as Σ E_h × t_h per quarter and year",
            constants: super::consts::constants(),
            parameters: params.clone(),
            totals: Totals {
                units: units.len() as u64,
                rows: units.iter().map(|u| u.rows).sum(),
                operating_hours: units.iter().map(|u| u.operating_hours).sum(),
                short_tons: st(total),
                metric_tonnes: st(total).short_tons_to_tonnes(),
                co2_substitutions: co2,
                flow_substitutions: flow,
            },
            units,
        })
    }
}

/// One resolved operating hour, for audit output (`compute_hourly`).
#[derive(Debug, Clone)]
pub struct HourRecord<'a> {
    pub unit_id: &'a str,
    /// Line of the hour's row in the input.
    pub line: u64,
    pub hour: ClockHour,
    pub op_time: Exact,
    /// The CO2 % used (measured or substituted) and which branch gave it.
    pub co2_pct: Exact,
    pub co2_code: Code,
    pub flow_scfh: Exact,
    pub flow_code: Code,
    /// (100 − %H2O)/100 for dry-basis CO2, else 1.
    pub wet_factor: Exact,
    /// E_h × t_h, short tons.
    pub short_tons: Exact,
}

/// Receives each resolved hour in hour order per unit. `()` ignores them.
pub trait HourSink {
    fn hour(&mut self, r: &HourRecord<'_>);
}

impl HourSink for () {
    #[inline(always)]
    fn hour(&mut self, _: &HourRecord<'_>) {}
}

impl<F: FnMut(&HourRecord<'_>)> HourSink for F {
    fn hour(&mut self, r: &HourRecord<'_>) {
        self(r)
    }
}
