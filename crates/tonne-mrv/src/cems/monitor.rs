//! One monitor (CO2 concentration or stack flow) of one unit: percent monitor data availability
//! (§75.32), the quality-assured lookback, the open missing-data period, and the substitute
//! value of each missing hour by the §75.31(b) / §75.33(b) table (applied to CO2 by §75.35(d);
//! to flow with §75.33(c)'s 2,160-hour figures, load-range bins not modelled — UNVERIFIED).

use super::consts::{
    CO2_INITIAL_QA_HOURS, CO2_LOOKBACK_QA_HOURS, FLOW_INITIAL_QA_HOURS, FLOW_LOOKBACK_QA_HOURS,
    PERCENTILE_PMA90, PERCENTILE_PMA95, PMA_BANDS_PCT, PMA_WINDOW_OP_HOURS, SHORT_GAP_HOURS_PMA90,
    SHORT_GAP_HOURS_PMA95, THREE_YEARS_CLOCK_HOURS,
};
use super::hour::ClockHour;
use super::{Code, CodeCounts, Params, Percentile, PmaRounding, Unbracketed};

/// What differs between the CO2 and the flow monitor.
#[derive(Debug)]
pub(crate) struct Spec {
    /// The column of the unit's maximum potential value (for messages).
    pub max_column: &'static str,
    pub max_name: &'static str,
    pub initial_qa_hours: u64,
    pub lookback_qa_hours: usize,
}

pub(crate) static CO2: Spec = Spec {
    max_column: "mpc_co2_pct",
    max_name: "maximum potential concentration (Part 75 App. A §2.1.3.1 via §75.35(d))",
    initial_qa_hours: CO2_INITIAL_QA_HOURS,
    lookback_qa_hours: CO2_LOOKBACK_QA_HOURS,
};

pub(crate) static FLOW: Spec = Spec {
    max_column: "mpf_scfh",
    max_name: "maximum potential flow rate (§75.33(c); UNVERIFIED details)",
    initial_qa_hours: FLOW_INITIAL_QA_HOURS,
    lookback_qa_hours: FLOW_LOOKBACK_QA_HOURS,
};

/// The row of the table a missing hour falls in, known when the hour is read; the value is
/// known only when the missing-data period ends (it needs the hour after and the length N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pre {
    Initial = 0,
    Pma95 = 1,
    Pma90 = 2,
    Pma80 = 3,
    PmaLow = 4,
}

const PRES: [Pre; 5] = [
    Pre::Initial,
    Pre::Pma95,
    Pre::Pma90,
    Pre::Pma80,
    Pre::PmaLow,
];

/// An open missing-data period: consecutive unit operating hours without quality-assured data
/// (non-operating hours neither end nor lengthen it).
#[derive(Debug, Clone)]
struct Gap {
    start: ClockHour,
    n: u32,
    /// Line of the first hour of each row kind seen, 0 if none.
    first_line: [u64; 5],
}

/// The substitute value and code for each row kind of one closed period.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fill {
    values: [(u64, Code); 5],
}

impl Fill {
    pub(crate) fn get(&self, p: Pre) -> (u64, Code) {
        self.values[p as usize]
    }
}

/// A substitute needs the unit's maximum potential value and the unit has none.
#[derive(Debug, Clone)]
pub(crate) struct NeedsMaxPotential {
    pub line: u64,
    pub spec: &'static Spec,
    pub why: &'static str,
}

/// What an operating hour turned out to be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Observed {
    Known(u64),
    Missing(Pre),
}

#[derive(Debug)]
pub(crate) struct Monitor {
    pub spec: &'static Spec,
    pub qa_total: u64,
    op_total: u64,
    /// One bit per unit operating hour in the PMA window (ring of 8,760).
    window: Box<[u64]>,
    qa_in_window: u32,
    /// The last `lookback_qa_hours` quality-assured values and their hours (ring).
    vals: Vec<u64>,
    hours: Vec<ClockHour>,
    head: usize,
    last_qa: Option<(u64, ClockHour)>,
    gap: Option<Gap>,
    pub counts: CodeCounts,
}

impl Monitor {
    pub(crate) fn new(spec: &'static Spec) -> Self {
        Self {
            spec,
            qa_total: 0,
            op_total: 0,
            window: vec![0; PMA_WINDOW_OP_HOURS.div_ceil(64) as usize].into_boxed_slice(),
            qa_in_window: 0,
            vals: Vec::new(),
            hours: Vec::new(),
            head: 0,
            last_qa: None,
            gap: None,
            counts: [0; 9],
        }
    }

    fn push_window(&mut self, qa: bool) {
        let i = (self.op_total % PMA_WINDOW_OP_HOURS) as usize;
        let (w, b) = (i / 64, 1u64 << (i % 64));
        if self.op_total >= PMA_WINDOW_OP_HOURS && self.window[w] & b != 0 {
            self.qa_in_window -= 1;
        }
        if qa {
            self.window[w] |= b;
            self.qa_in_window += 1;
        } else {
            self.window[w] &= !b;
        }
        self.op_total += 1;
    }

    /// (QA hours, unit operating hours) of the current PMA: Equation 8 (all hours so far)
    /// before 8,760 operating hours, the rolling 8,760-hour window after (§75.32(a)(1)–(2)).
    pub(crate) fn pma_counts(&self) -> (u64, u64) {
        (
            self.qa_in_window as u64,
            self.op_total.min(PMA_WINDOW_OP_HOURS),
        )
    }

    fn band(&self, rounding: PmaRounding) -> Pre {
        let (qa, op) = self.pma_counts();
        let at_least = |pct: u64| match rounding {
            PmaRounding::Exact => 100 * qa >= pct * op,
            // round half up to 0.1 %: ⌊(1000·qa/op) + ½⌋ ≥ 10·pct
            PmaRounding::Tenth => (2000 * qa + op) / (2 * op) >= 10 * pct,
        };
        let [b95, b90, b80] = PMA_BANDS_PCT;
        if at_least(b95) {
            Pre::Pma95
        } else if at_least(b90) {
            Pre::Pma90
        } else if at_least(b80) {
            Pre::Pma80
        } else {
            Pre::PmaLow
        }
    }

    /// One unit operating hour. `value` is the quality-assured value or `None` (missing);
    /// `clock_standard` says three years have passed since the unit's first hour. When a
    /// value ends an open period, returns that period's [`Fill`] (computed from the lookback
    /// as it was before this hour).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn observe(
        &mut self,
        hour: ClockHour,
        line: u64,
        value: Option<u64>,
        clock_standard: bool,
        max_potential: Option<u64>,
        params: &Params,
        scratch: &mut Vec<u64>,
    ) -> Result<(Observed, Option<Fill>), NeedsMaxPotential> {
        self.push_window(value.is_some());
        match value {
            Some(v) => {
                let fill = match self.gap.take() {
                    Some(g) => Some(self.close(&g, Some(v), max_potential, params, scratch)?),
                    None => None,
                };
                if self.vals.len() < self.spec.lookback_qa_hours {
                    if self.vals.is_empty() {
                        self.vals.reserve_exact(self.spec.lookback_qa_hours);
                        self.hours.reserve_exact(self.spec.lookback_qa_hours);
                    }
                    self.vals.push(v);
                    self.hours.push(hour);
                } else {
                    self.vals[self.head] = v;
                    self.hours[self.head] = hour;
                    self.head = (self.head + 1) % self.spec.lookback_qa_hours;
                }
                self.last_qa = Some((v, hour));
                self.qa_total += 1;
                self.counts[Code::Measured.index()] += 1;
                Ok((Observed::Known(v), fill))
            }
            None => {
                let standard = self.qa_total >= self.spec.initial_qa_hours || clock_standard;
                let pre = if standard {
                    self.band(params.pma_rounding)
                } else {
                    Pre::Initial
                };
                let g = self.gap.get_or_insert(Gap {
                    start: hour,
                    n: 0,
                    first_line: [0; 5],
                });
                g.n += 1;
                if g.first_line[pre as usize] == 0 {
                    g.first_line[pre as usize] = line;
                }
                Ok((Observed::Missing(pre), None))
            }
        }
    }

    /// Closes the open period at the end of the data (no hour after it).
    pub(crate) fn finish(
        &mut self,
        max_potential: Option<u64>,
        params: &Params,
        scratch: &mut Vec<u64>,
    ) -> Result<Option<Fill>, NeedsMaxPotential> {
        match self.gap.take() {
            Some(g) => self
                .close(&g, None, max_potential, params, scratch)
                .map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn has_gap(&self) -> bool {
        self.gap.is_some()
    }

    fn close(
        &self,
        g: &Gap,
        after: Option<u64>,
        max_potential: Option<u64>,
        params: &Params,
        scratch: &mut Vec<u64>,
    ) -> Result<Fill, NeedsMaxPotential> {
        // §75.33(a): substitute data only from QA hours no earlier than three years before
        // the start of the missing-data period (VERIFIED, reference §7.2).
        let cutoff = g.start.saturating_sub(THREE_YEARS_CLOCK_HOURS);
        let before = self.last_qa.filter(|&(_, h)| h >= cutoff).map(|(v, _)| v);
        // §75.31(b) / §75.33(b): average of the unit operating hours immediately before and
        // after the period. Values are multiples of 100 at the internal scale: exact.
        let avg = match (before, after) {
            (Some(b), Some(a)) => Some((a + b) / 2),
            (Some(x), None) | (None, Some(x)) if params.unbracketed == Unbracketed::OneSide => {
                Some(x)
            }
            _ => None,
        };
        scratch.clear();
        scratch.extend(
            self.vals
                .iter()
                .zip(&self.hours)
                .filter(|&(_, &h)| h >= cutoff)
                .map(|(&v, _)| v),
        );
        let mut fill = Fill::default();
        for pre in PRES {
            let line = g.first_line[pre as usize];
            if line == 0 {
                continue;
            }
            let chosen = match pre {
                Pre::Initial => avg.map(|v| (v, Code::InitialAvg)),
                Pre::Pma95 if g.n <= SHORT_GAP_HOURS_PMA95 => avg.map(|v| (v, Code::Pma95ShortAvg)),
                Pre::Pma95 => greater(percentile(scratch, PERCENTILE_PMA95, params), avg)
                    .map(|v| (v, Code::Pma95LongP90)),
                Pre::Pma90 if g.n <= SHORT_GAP_HOURS_PMA90 => avg.map(|v| (v, Code::Pma90ShortAvg)),
                Pre::Pma90 => greater(percentile(scratch, PERCENTILE_PMA90, params), avg)
                    .map(|v| (v, Code::Pma90LongP95)),
                Pre::Pma80 => scratch.iter().max().map(|&v| (v, Code::Pma80Max)),
                Pre::PmaLow => Some((
                    max_potential.ok_or(NeedsMaxPotential {
                        line,
                        spec: self.spec,
                        why: "its PMA is below 80.0 % (§75.33(b)(4))",
                    })?,
                    Code::PmaLowMaxPotential,
                )),
            };
            fill.values[pre as usize] = match chosen {
                Some(c) => c,
                None => (
                    max_potential.ok_or(NeedsMaxPotential {
                        line,
                        spec: self.spec,
                        why: "no quality-assured value is usable for its substitute (no hour before or after the missing-data period within three years, or an empty lookback)",
                    })?,
                    Code::FallbackMaxPotential,
                ),
            };
        }
        Ok(fill)
    }
}

fn greater(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The `p`th percentile of `vals` (reordered in place), `None` if empty.
pub(crate) fn percentile(vals: &mut [u64], p: u32, params: &Params) -> Option<u64> {
    let n = vals.len();
    if n == 0 {
        return None;
    }
    Some(match params.percentile {
        Percentile::NearestRank => {
            let rank = (p as usize * n).div_ceil(100).max(1);
            *vals.select_nth_unstable(rank - 1).1
        }
        Percentile::Linear => {
            let h100 = p as usize * (n - 1);
            let (lo, frac) = (h100 / 100, (h100 % 100) as u64);
            let (_, v_lo, rest) = vals.select_nth_unstable(lo);
            let v_lo = *v_lo;
            match rest.iter().min() {
                Some(&v_hi) if frac > 0 => v_lo + (v_hi - v_lo) * frac / 100,
                _ => v_lo,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank_and_linear() {
        let nr = Params::default();
        let lin = Params {
            percentile: Percentile::Linear,
            ..Params::default()
        };
        // 1..=10 (× 100): nearest rank 90th = rank ⌈9⌉ = 9 → 900; 95th = rank ⌈9.5⌉ = 10.
        let mut v: Vec<u64> = (1..=10).rev().map(|x| x * 100).collect();
        assert_eq!(percentile(&mut v, 90, &nr), Some(900));
        assert_eq!(percentile(&mut v, 95, &nr), Some(1000));
        // linear: h = 9 × 0.9 = 8.1 → v[8] + 0.1 × (v[9] − v[8]) = 900 + 10 = 910.
        assert_eq!(percentile(&mut v, 90, &lin), Some(910));
        // h = 9 × 0.95 = 8.55 → 900 + 0.55 × 100 = 955.
        assert_eq!(percentile(&mut v, 95, &lin), Some(955));
        assert_eq!(percentile(&mut [], 90, &nr), None);
        assert_eq!(percentile(&mut [700], 95, &lin), Some(700));
    }

    #[test]
    fn pma_rolls_over_8760_operating_hours() {
        let mut m = Monitor::new(&CO2);
        for i in 0..8760 {
            m.push_window(i >= 876); // first 876 missing: 90.0 %
        }
        assert_eq!(m.pma_counts(), (7884, 8760));
        assert_eq!(m.band(PmaRounding::Exact), Pre::Pma90);
        for _ in 0..438 {
            m.push_window(true); // half of the missing hours leave the window: 95.0 %
        }
        assert_eq!(m.pma_counts(), (8322, 8760));
        assert_eq!(m.band(PmaRounding::Exact), Pre::Pma95);
    }

    #[test]
    fn pma_rounding_to_a_tenth_moves_the_band() {
        let mut m = Monitor::new(&CO2);
        // 1,899 of 2,000 = 94.95 %: below 95 exactly, 95.0 after rounding half up.
        for i in 0..2000 {
            m.push_window(i >= 101);
        }
        assert_eq!(m.band(PmaRounding::Exact), Pre::Pma90);
        assert_eq!(m.band(PmaRounding::Tenth), Pre::Pma95);
    }
}
