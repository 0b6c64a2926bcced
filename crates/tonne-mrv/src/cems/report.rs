//! What a CEMS run returns: per unit, quarterly and annual Part 75 short tons with their exact
//! metric-tonne equivalents (or, under Equation C-6, metric tonnes alone), and per monitor the
//! PMA and the hours of each substitution code. JSON keys are a contract (docs/cems.md).

use super::fixed::{Exact, MASS_SCALE, OP_TIME_DP};
use super::hour::ClockHour;
use super::{Basis, Code, CodeCounts, Equation, Params};
use crate::trace::Value;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// A sum at the engine's mass scale as report fields `(short_tons, metric_tonnes)`: Part 75
/// short tons with their exact metric equivalent (× 0.90718474), or C-6 metric tonnes as
/// computed (no short tons; never a conversion of a Part 75 figure).
fn masses(equation: Equation, v: u128) -> (Option<Exact>, Exact) {
    let m = Exact::new(v, MASS_SCALE);
    match equation {
        Equation::Part75 => (Some(m), m.short_tons_to_tonnes()),
        Equation::Part98C6 => (None, m),
    }
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

/// In every mass-carrying report below, `short_tons` is the Part 75 figure (`None`, and absent
/// from JSON, under Equation C-6) and `metric_tonnes` is its exact conversion (Part 75) or the
/// Equation C-6 figure itself.
#[derive(Debug, Clone, Serialize)]
pub struct QuarterReport {
    pub quarter: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_tons: Option<Exact>,
    pub metric_tonnes: Exact,
}

#[derive(Debug, Clone, Serialize)]
pub struct YearReport {
    pub year: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_tons: Option<Exact>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_tons: Option<Exact>,
    pub metric_tonnes: Exact,
    pub years: Vec<YearReport>,
    pub co2: MonitorReport,
    pub flow: MonitorReport,
    /// The exact total at 10^-[`MASS_SCALE`], for summing: short tons (Part 75) or metric
    /// tonnes (C-6).
    #[serde(skip)]
    pub mass_scaled: u128,
}

impl UnitReport {
    /// `None` if the unit's total overflows u128 (see `fixed::MAX_FLOW_SCFH`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        equation: Equation,
        unit_id: String,
        co2_basis: Basis,
        hours: (ClockHour, ClockHour),
        rows: u64,
        operating_hours: u64,
        op_time: u64,
        years: &[(u16, [u128; 4])],
        co2: MonitorReport,
        flow: MonitorReport,
    ) -> Option<Self> {
        // A quarter cannot overflow and a year of four cannot either; the unit's years can.
        let year_sums: Vec<u128> = years.iter().map(|(_, q)| q.iter().sum()).collect();
        let total = year_sums.iter().try_fold(0u128, |a, &y| a.checked_add(y))?;
        let (short_tons, metric_tonnes) = masses(equation, total);
        Some(Self {
            unit_id,
            co2_basis,
            first_hour: super::hour::format_hour(hours.0),
            last_hour: super::hour::format_hour(hours.1),
            rows,
            operating_hours,
            operating_time_hours: Exact::new(op_time as u128, OP_TIME_DP),
            short_tons,
            metric_tonnes,
            years: years
                .iter()
                .zip(year_sums)
                .map(|((year, q), y)| {
                    let (short_tons, metric_tonnes) = masses(equation, y);
                    YearReport {
                        year: *year,
                        short_tons,
                        metric_tonnes,
                        quarters: (0..4)
                            .map(|i| {
                                let (short_tons, metric_tonnes) = masses(equation, q[i]);
                                QuarterReport {
                                    quarter: i as u8 + 1,
                                    short_tons,
                                    metric_tonnes,
                                }
                            })
                            .collect(),
                    }
                })
                .collect(),
            co2,
            flow,
            mass_scaled: total,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub units: u64,
    pub rows: u64,
    pub operating_hours: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_tons: Option<Exact>,
    pub metric_tonnes: Exact,
    pub co2_substitutions: Substitutions,
    pub flow_substitutions: Substitutions,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The programme and, in `equation` and `constants`, the equation and the constants that
    /// produced every mass in the report (`parameters.equation` says which mode, when not
    /// Part 75).
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
            total = total.checked_add(u.mass_scaled)?;
            co2.add(&u.co2.substitutions);
            flow.add(&u.flow.substitutions);
        }
        let (short_tons, metric_tonnes) = masses(params.equation, total);
        let (programme, equation) = match params.equation {
            Equation::Part75 => (
                "40 CFR 75 (CO2 mass, Subpart D missing data)",
                "E_h = K × C_h × Q_h [× (100 − %H2O)/100 for dry CO2], summed as Σ E_h × t_h per quarter and year",
            ),
            Equation::Part98C6 => (
                "40 CFR 98 subpart C Tier 4 (CO2 by CEMS; Part 75 Subpart D missing data)",
                "Equation C-6: CO2_h = K_C6 × C_h × Q_h in metric t/h [× (100 − %H2O)/100 for dry CO2, Equation C-7], summed as Σ CO2_h × t_h per quarter and year",
            ),
        };
        Some(Self {
            programme,
            equation,
            constants: super::consts::constants(params.equation),
            parameters: params.clone(),
            totals: Totals {
                units: units.len() as u64,
                rows: units.iter().map(|u| u.rows).sum(),
                operating_hours: units.iter().map(|u| u.operating_hours).sum(),
                short_tons,
                metric_tonnes,
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
    /// E_h × t_h in `equation`'s unit: Part 75 short tons, or Equation C-6 metric tonnes.
    pub mass: Exact,
    pub equation: Equation,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(equation: Equation, years: &[(u16, [u128; 4])]) -> Option<UnitReport> {
        let m = || MonitorReport::new([0; 9], (0, 0));
        UnitReport::new(
            equation,
            "U".into(),
            Basis::Wet,
            (0, 0),
            1,
            1,
            1,
            years,
            m(),
            m(),
        )
    }

    #[test]
    fn masses_by_equation_and_a_checked_unit_total() {
        // 1 short ton / 1 t at 10^-27.
        let one = 10u128.pow(MASS_SCALE);
        let u = unit(Equation::Part75, &[(2023, [one, 0, 0, 0])]).unwrap();
        assert_eq!(u.short_tons.unwrap().to_string(), "1");
        assert_eq!(u.metric_tonnes.to_string(), "0.90718474");
        let u = unit(Equation::Part98C6, &[(2023, [one, 0, 0, 0])]).unwrap();
        assert!(u.short_tons.is_none() && u.years[0].quarters[0].short_tons.is_none());
        assert_eq!(u.metric_tonnes.to_string(), "1");
        // Two years whose sum exceeds u128: an error, never a wrapped total.
        let half = u128::MAX / 8 + 1;
        let y = [half; 4];
        assert!(unit(Equation::Part75, &[(2023, y)]).is_some());
        assert!(unit(Equation::Part75, &[(2023, y), (2024, y)]).is_none());
    }
}
