//! One unit: its fixed parameters, hour order, operating time and moisture, its two monitors,
//! and the operating hours waiting for a missing-data period to end. Hours are summed into
//! quarters as soon as both their CO2 and flow values are known, in hour order.

use super::consts::THREE_YEARS_CLOCK_HOURS;
use super::fixed::{CO2_SCALE, Exact, FLOW_SCALE, MASS_SCALE, OP_TIME_DP, WET_FACTOR_ONE};
use super::hour::{ClockHour, Quarter, format_hour, quarter_of};
use super::input::{Row, UnitPlan};
use super::monitor::{self, Fill, Monitor, NeedsMaxPotential, Observed, Pre};
use super::report::{HourRecord, HourSink, MonitorReport, UnitReport};
use super::{Basis, CemsError, Code, Equation, Params};
use std::collections::VecDeque;

#[derive(Debug, Clone, Copy)]
enum Slot {
    Known(u64, Code),
    Missing(Pre),
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    hour: ClockHour,
    line: u64,
    op_time: u32,
    wet: u64,
    co2: Slot,
    flow: Slot,
}

/// A per-unit value fixed by the unit's first row (or the plan).
#[derive(Debug, Clone, Copy)]
struct Fixed<T> {
    value: Option<T>,
    from_plan: bool,
}

#[derive(Debug)]
pub(crate) struct UnitState {
    pub id: Box<str>,
    equation: Equation,
    /// `equation`'s K at 10^-`K_SCALE` (570 or 518).
    k: u64,
    first_line: u64,
    last_line: u64,
    first_hour: ClockHour,
    last_hour: ClockHour,
    basis: Fixed<Basis>,
    mpc: Fixed<u64>,
    mpf: Fixed<u64>,
    rows: u64,
    op_hours: u64,
    op_time: u64,
    co2: Monitor,
    flow: Monitor,
    pending: VecDeque<Pending>,
    years: Vec<(u16, [u128; 4])>,
    cur: Option<(Quarter, usize)>,
}

impl UnitState {
    pub(crate) fn new(
        row: &Row<'_>,
        line: u64,
        plan: Option<&UnitPlan>,
        equation: Equation,
    ) -> Self {
        let fixed = |p: Option<Option<u64>>, r: Option<u64>| match p {
            Some(v) => Fixed {
                value: v,
                from_plan: true,
            },
            None => Fixed {
                value: r,
                from_plan: false,
            },
        };
        Self {
            id: String::from_utf8_lossy(row.unit).into(),
            equation,
            k: equation.k_mantissa(),
            first_line: line,
            last_line: line,
            first_hour: row.hour,
            last_hour: row.hour,
            basis: match plan {
                Some(p) => Fixed {
                    value: p.basis,
                    from_plan: true,
                },
                None => Fixed {
                    value: row.basis,
                    from_plan: false,
                },
            },
            mpc: fixed(plan.map(|p| p.mpc), row.mpc),
            mpf: fixed(plan.map(|p| p.mpf), row.mpf),
            rows: 0,
            op_hours: 0,
            op_time: 0,
            co2: Monitor::new(&monitor::CO2),
            flow: Monitor::new(&monitor::FLOW),
            pending: VecDeque::new(),
            years: Vec::new(),
            cur: None,
        }
    }

    fn err(&self, line: u64, col: Option<&'static str>, m: impl std::fmt::Display) -> CemsError {
        CemsError::at(line, col, format!("unit {}: {m}", self.id))
    }

    fn needs_max(&self, e: NeedsMaxPotential) -> CemsError {
        let where_ = if self.mpc.from_plan {
            "in the monitoring plan".to_string()
        } else {
            format!("on the unit's first row (line {})", self.first_line)
        };
        self.err(
            e.line,
            Some(e.spec.max_column),
            format!(
                "this missing hour needs the unit's {} because {}, and {} is not given; give it {where_} (no default: the value is unit-specific and UNVERIFIED in the reference)",
                e.spec.max_name, e.why, e.spec.max_column
            ),
        )
    }

    fn check_fixed<T: PartialEq + Copy + std::fmt::Debug>(
        &self,
        f: &Fixed<T>,
        v: Option<T>,
        line: u64,
        col: &'static str,
    ) -> Result<(), CemsError> {
        match (v, f.value) {
            (None, _) => Ok(()),
            (Some(a), Some(b)) if a == b => Ok(()),
            (Some(_), Some(_)) => Err(self.err(
                line,
                Some(col),
                format!(
                    "{col} differs from the unit's first row (line {}); it is fixed per unit",
                    self.first_line
                ),
            )),
            (Some(_), None) => Err(self.err(
                line,
                Some(col),
                format!(
                    "{col} must be given on the unit's first row (line {}) if at all; later rows may repeat it or leave it empty",
                    self.first_line
                ),
            )),
        }
    }

    /// One row of this unit.
    pub(crate) fn push<S: HourSink>(
        &mut self,
        row: &Row<'_>,
        line: u64,
        params: &Params,
        scratch: &mut Vec<u64>,
        sink: &mut S,
    ) -> Result<(), CemsError> {
        if self.rows > 0 {
            if row.hour <= self.last_hour {
                let what = if row.hour == self.last_hour {
                    "is a duplicate of"
                } else {
                    "comes before"
                };
                return Err(self.err(
                    line,
                    Some("hour"),
                    format!(
                        "hour {} {what} the unit's previous row (line {}, hour {}); expected each unit's hours once, in increasing order",
                        format_hour(row.hour),
                        self.last_line,
                        format_hour(self.last_hour)
                    ),
                ));
            }
            self.check_fixed(&self.basis, row.basis, line, "co2_basis")?;
            self.check_fixed(&self.mpc, row.mpc, line, "mpc_co2_pct")?;
            self.check_fixed(&self.mpf, row.mpf, line, "mpf_scfh")?;
        }
        self.rows += 1;
        self.last_hour = row.hour;
        self.last_line = line;
        if row.op_time == 0 {
            return Ok(()); // not a unit operating hour: no mass, no PMA, no gap effect
        }
        let wet = match self.basis.value.unwrap_or(Basis::Wet) {
            Basis::Wet => WET_FACTOR_ONE,
            Basis::Dry => {
                let h2o = row.h2o.ok_or_else(|| {
                    self.err(
                        line,
                        Some("h2o_pct"),
                        "the CO2 basis is dry, so an operating hour needs the moisture %; expected a value 0 to below 100 (moisture missing-data substitution, §75.37, is not modelled: give the substituted value)",
                    )
                })?;
                WET_FACTOR_ONE - h2o as u64
            }
        };
        self.op_hours += 1;
        self.op_time += row.op_time as u64;
        let clock_standard = row.hour - self.first_hour >= THREE_YEARS_CLOCK_HOURS;
        let (c, cfill) = self
            .co2
            .observe(
                row.hour,
                line,
                row.co2,
                clock_standard,
                self.mpc.value,
                params,
                scratch,
            )
            .map_err(|e| self.needs_max(e))?;
        let (q, qfill) = self
            .flow
            .observe(
                row.hour,
                line,
                row.flow,
                clock_standard,
                self.mpf.value,
                params,
                scratch,
            )
            .map_err(|e| self.needs_max(e))?;
        let slot = |o: Observed| match o {
            Observed::Known(v) => Slot::Known(v, Code::Measured),
            Observed::Missing(p) => Slot::Missing(p),
        };
        let p = Pending {
            hour: row.hour,
            line,
            op_time: row.op_time,
            wet,
            co2: slot(c),
            flow: slot(q),
        };
        if self.pending.is_empty()
            && let (Slot::Known(..), Slot::Known(..)) = (p.co2, p.flow)
        {
            return self.add(&p, sink);
        }
        self.apply(cfill, qfill);
        self.pending.push_back(p);
        self.drain(sink)
    }

    fn apply(&mut self, cfill: Option<Fill>, qfill: Option<Fill>) {
        let fill = |s: &mut Slot, f: &Fill, m: &mut Monitor| {
            if let Slot::Missing(p) = *s {
                let (v, code) = f.get(p);
                m.counts[code as usize] += 1;
                *s = Slot::Known(v, code);
            }
        };
        if let Some(f) = cfill {
            for p in &mut self.pending {
                fill(&mut p.co2, &f, &mut self.co2);
            }
        }
        if let Some(f) = qfill {
            for p in &mut self.pending {
                fill(&mut p.flow, &f, &mut self.flow);
            }
        }
    }

    fn drain<S: HourSink>(&mut self, sink: &mut S) -> Result<(), CemsError> {
        while let Some(p) = self.pending.front().copied() {
            if !matches!((p.co2, p.flow), (Slot::Known(..), Slot::Known(..))) {
                break;
            }
            self.pending.pop_front();
            self.add(&p, sink)?;
        }
        Ok(())
    }

    /// E_h × t_h = K × C × Q × W × t, exact at 10^-MASS_SCALE short tons (Part 75) or metric
    /// tonnes (C-6: K × C × Q is Equation C-6, W Equation C-7); into its quarter.
    #[inline]
    fn add<S: HourSink>(&mut self, p: &Pending, sink: &mut S) -> Result<(), CemsError> {
        let (Slot::Known(c, cc), Slot::Known(q, qc)) = (p.co2, p.flow) else {
            unreachable!("only resolved hours are added")
        };
        // ≤ 570 × 10^7 × 10^5 × 10^4 = 5.7e18 < u64::MAX; × Q ≤ 10^14 in u128
        // (bounds: fixed::MAX_FLOW_SCFH).
        let mass = (self.k * c * p.wet * p.op_time as u64) as u128 * q as u128;
        let idx = match self.cur {
            Some((qt, i)) if p.hour >= qt.start && p.hour < qt.end => (qt, i),
            _ => {
                let qt = quarter_of(p.hour);
                let i = match self.years.last() {
                    Some((y, _)) if *y == qt.year => self.years.len() - 1,
                    _ => {
                        self.years.push((qt.year, [0; 4]));
                        self.years.len() - 1
                    }
                };
                self.cur = Some((qt, i));
                (qt, i)
            }
        };
        let cell = &mut self.years[idx.1].1[idx.0.q as usize - 1];
        *cell = cell.checked_add(mass).ok_or_else(|| {
            CemsError::at(
                p.line,
                None,
                format!(
                    "unit {}: the quarter's total exceeds what Tonne can hold exactly",
                    self.id
                ),
            )
        })?;
        sink.hour(&HourRecord {
            unit_id: &self.id,
            line: p.line,
            hour: p.hour,
            op_time: Exact::new(p.op_time as u128, OP_TIME_DP),
            co2_pct: Exact::new(c as u128, CO2_SCALE),
            co2_code: cc,
            flow_scfh: Exact::new(q as u128, FLOW_SCALE),
            flow_code: qc,
            wet_factor: Exact::new(p.wet as u128, 5),
            mass: Exact::new(mass, MASS_SCALE),
            equation: self.equation,
        });
        Ok(())
    }

    /// End of the data: open periods close with no hour after them.
    pub(crate) fn finish<S: HourSink>(
        mut self,
        params: &Params,
        scratch: &mut Vec<u64>,
        sink: &mut S,
    ) -> Result<UnitReport, CemsError> {
        let cfill = self
            .co2
            .finish(self.mpc.value, params, scratch)
            .map_err(|e| self.needs_max(e))?;
        let qfill = self
            .flow
            .finish(self.mpf.value, params, scratch)
            .map_err(|e| self.needs_max(e))?;
        self.apply(cfill, qfill);
        self.drain(sink)?;
        debug_assert!(self.pending.is_empty() && !self.co2.has_gap() && !self.flow.has_gap());
        // Years were opened in hour order; every quarter of a year present is listed.
        UnitReport::new(
            self.equation,
            self.id.to_string(),
            self.basis.value.unwrap_or(Basis::Wet),
            (self.first_hour, self.last_hour),
            self.rows,
            self.op_hours,
            self.op_time,
            &self.years,
            MonitorReport::new(self.co2.counts, self.co2.pma_counts()),
            MonitorReport::new(self.flow.counts, self.flow.pma_counts()),
        )
        .ok_or_else(|| {
            self.err(
                self.last_line,
                None,
                "the unit's total exceeds what Tonne can hold exactly",
            )
        })
    }
}
