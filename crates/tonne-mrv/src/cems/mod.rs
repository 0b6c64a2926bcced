//! Part 75 CEMS: hourly CO2 mass from concentration and stack flow, with the Subpart D
//! missing-data substitution, summed per unit by quarter and year, in Part 75 short tons and
//! metric tonnes (reference/mrv.md §7). The input format is documented in docs/cems.md.
//!
//! The same engine computes 40 CFR 98 subpart C Tier 4 CO2 with Equation C-6's own constant
//! ([`Equation::Part98C6`]): metric tonnes directly, never converted from Part 75 short tons
//! (reference/mrv.md §7.1). Only the constant and the unit of the sums change; the input,
//! validation, missing-data substitution, operating-time weighting, parallelism and exactness are
//! the same code.
//!
//! - `consts`: the constants with their sources and marks; one-hour equations in decimals.
//! - `fixed`, `hour`: exact scaled integers and hour stamps.
//! - `input`: the CSV header, rows and the monitoring plan, validated with line and column.
//! - `monitor`: one monitor's PMA (§75.32), lookback and the §75.31 / §75.33 substitution table.
//! - `unit`: one unit's hours — moisture, operating time, mass, the hours awaiting a gap's end.
//! - `engine`: streams a `Read` in chunks to worker threads that each own a share of the units.
//! - `report`: what comes out. `generate`: deterministic benchmark data.
//!
//! Decisions on points the reference leaves open (each is documented in docs/cems.md):
//! - The PMA that selects a missing hour's row of the §75.33(b) table is computed hourly
//!   (§75.32(a)(1) "calculate, hourly") including that hour as an unavailable operating hour,
//!   so a long outage steps down the table; the gap length N is that of the whole period.
//! - Percentiles: [`Percentile`]; PMA rounding: [`PmaRounding`]; a gap with a side missing:
//!   [`Unbracketed`] — all parameters because the reference marks them UNVERIFIED or silent.
//! - No usable quality-assured data at all for a branch: the maximum potential value
//!   (code `fallback_max_potential`), the most conservative choice Part 75 offers.

pub mod consts;
pub mod engine;
pub mod fixed;
pub mod generate;
pub mod hour;
pub mod input;
pub mod monitor;
pub mod report;
pub mod unit;

pub use engine::{compute, compute_hourly};
pub use input::{Plan, UnitPlan};
pub use report::{HourRecord, Report};

use serde::Serialize;
use std::fmt;

/// Which file an input error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFile {
    Data,
    Plan,
}

/// An input error: where (line, column) and what is wrong, with what is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: InputFile,
    pub line: u64,
    pub column: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file == InputFile::Plan {
            f.write_str("monitoring plan, ")?;
        }
        write!(f, "line {}", self.line)?;
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CemsError {
    #[error("{0}")]
    Input(InputError),
    #[error("reading the input: {0}")]
    Io(#[from] std::io::Error),
}

impl CemsError {
    pub(crate) fn at(line: u64, column: Option<&'static str>, message: impl Into<String>) -> Self {
        Self::Input(InputError {
            file: InputFile::Data,
            line,
            column,
            message: message.into(),
        })
    }
    /// The input error, if this is one.
    pub fn input(&self) -> Option<&InputError> {
        match self {
            Self::Input(e) => Some(e),
            Self::Io(_) => None,
        }
    }
}

/// How the CO2 concentration is measured relative to the (wet) flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    Wet,
    Dry,
}

impl Basis {
    pub fn parse(s: &[u8]) -> Option<Self> {
        match s {
            b"wet" => Some(Self::Wet),
            b"dry" => Some(Self::Dry),
            _ => None,
        }
    }
}

/// Percentile definition for the §75.33 lookback. §75.33 gives none (UNVERIFIED, reference
/// §7.2: ECMPS is the oracle, start with nearest-rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Percentile {
    /// The value of rank ⌈p·n/100⌉ (1-based) in ascending order.
    #[default]
    NearestRank,
    /// NumPy/pandas "linear": v[⌊h⌋] + (h − ⌊h⌋)(v[⌊h⌋+1] − v[⌊h⌋]), h = (n − 1)·p/100.
    Linear,
}

/// Whether PMA is compared with the 95.0 / 90.0 / 80.0 % bands exactly or after rounding to
/// 0.1 %. Part 75 states the bands to one decimal; whether PMA is rounded first is UNVERIFIED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PmaRounding {
    #[default]
    Exact,
    /// Rounded half up to 0.1 % before comparing.
    Tenth,
}

/// A missing-data period with no quality-assured hour on one side (it starts the data, ends
/// it, or the hour before is older than three years): what its before/after average is.
/// Part 75 does not say for a file that ends mid-gap (UNVERIFIED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unbracketed {
    /// The one bracketing value that exists stands for the average.
    #[default]
    OneSide,
    /// No average: branches that need one fall back to the maximum potential value.
    MaxPotential,
}

/// Which hourly CO2 mass equation, and so which constant and unit, the engine applies.
///
/// Both multiply the same hour's CO2 %, wet stack flow (scfh), moisture factor and operating
/// fraction; they differ only in the constant: each programme's own rounding of the molar
/// volume and unit conversion (reference/mrv.md §7.1: "tests must use each programme's own
/// constant"), so a Part 75 total × 0.90718474 is not the C-6 total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Equation {
    /// 40 CFR 75 App. F: `E_h = 5.7e-7 × C × Q` short tons/h (see `consts::K_SHORT_TON_PER_SCF_PCT`),
    /// reported in short tons and, converted exactly, in metric tonnes.
    #[default]
    #[serde(rename = "part75")]
    Part75,
    /// 40 CFR 98 subpart C Tier 4, Equation C-6: `CO2_h = 5.18e-7 × C × Q` metric t/h (see
    /// `consts::C6_TONNE_PER_SCF_PCT`), with the Equation C-7 moisture correction; reported in
    /// metric tonnes only.
    ///
    /// Missing hours are filled by the same Part 75 Subpart D procedures: Part 98 lets a unit
    /// that monitors under Part 75 report CO2 by the Part 75 alternative (§98.33(a)(5)) and
    /// splits out biogenic CO2 under §98.33(e) — reference/mrv.md §1.1 and §7.1 mark both
    /// provisions' existence VERIFIED, but their details, including that Tier 4 missing data
    /// for a Part 75 unit follow §75.31–§75.33, are UNVERIFIED there (Part 98's own missing-data
    /// section is not in the reference). Biogenic CO2 (§98.33(e)) is not split out.
    #[serde(rename = "part98-c6")]
    Part98C6,
}

impl Equation {
    /// The name used on the command line and in JSON (`part75`, `part98-c6`).
    pub fn as_str(self) -> &'static str {
        match self {
            Equation::Part75 => "part75",
            Equation::Part98C6 => "part98-c6",
        }
    }
    pub fn is_part75(&self) -> bool {
        *self == Equation::Part75
    }
    /// K as a mantissa at 10^-[`fixed::K_SCALE`]: 570 (5.7e-7 short ton/scf/%) or 518
    /// (5.18e-7 metric t/scf/%).
    #[inline]
    pub fn k_mantissa(self) -> u64 {
        match self {
            Equation::Part75 => fixed::K_PART75_MANTISSA,
            Equation::Part98C6 => fixed::K_C6_MANTISSA,
        }
    }
}

/// Engine parameters: the equation, the UNVERIFIED variants, the monitoring plan and
/// parallelism.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Params {
    /// Part 75 (default) or Part 98 Equation C-6. Listed under `parameters` only when not the
    /// default, so that Part 75 output is what it was before the C-6 mode existed.
    #[serde(skip_serializing_if = "Equation::is_part75")]
    pub equation: Equation,
    pub percentile: Percentile,
    pub pma_rounding: PmaRounding,
    pub unbracketed: Unbracketed,
    /// Per-unit monitoring plan (basis, maximum potential values); when given, every unit in
    /// the data must be in it and the data may not carry those columns.
    #[serde(skip)]
    pub plan: Option<Plan>,
    /// Worker threads; 0 = one per available core. Results do not depend on it.
    #[serde(skip)]
    pub threads: usize,
}

/// Which branch gave an hour's value (recorded per hour and counted per unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// A quality-assured measured value.
    #[default]
    Measured,
    /// §75.31(b): initial period, average of the unit operating hours before and after.
    InitialAvg,
    /// §75.33(b)(1)(i): PMA ≥ 95 %, N ≤ 24 h, before/after average.
    Pma95ShortAvg,
    /// §75.33(b)(1)(ii): PMA ≥ 95 %, N > 24 h, greater of the lookback 90th percentile and
    /// the before/after average.
    Pma95LongP90,
    /// §75.33(b)(2)(i): 90 % ≤ PMA < 95 %, N ≤ 8 h, before/after average.
    Pma90ShortAvg,
    /// §75.33(b)(2)(ii): 90 % ≤ PMA < 95 %, N > 8 h, greater of the 95th percentile and the
    /// average.
    Pma90LongP95,
    /// §75.33(b)(3): 80 % ≤ PMA < 90 %, maximum value in the lookback.
    Pma80Max,
    /// §75.33(b)(4): PMA < 80 %, maximum potential concentration (CO2, App. A §2.1.3.1 via
    /// §75.35(d)) or maximum potential flow.
    PmaLowMaxPotential,
    /// No usable quality-assured value for the branch (no bracketing hour, empty lookback):
    /// the maximum potential value (Tonne's conservative choice; UNVERIFIED).
    FallbackMaxPotential,
}

impl Code {
    pub const SUBSTITUTED: [Code; 8] = [
        Code::InitialAvg,
        Code::Pma95ShortAvg,
        Code::Pma95LongP90,
        Code::Pma90ShortAvg,
        Code::Pma90LongP95,
        Code::Pma80Max,
        Code::PmaLowMaxPotential,
        Code::FallbackMaxPotential,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Measured => "measured",
            Code::InitialAvg => "initial_avg",
            Code::Pma95ShortAvg => "pma95_short_avg",
            Code::Pma95LongP90 => "pma95_long_p90",
            Code::Pma90ShortAvg => "pma90_short_avg",
            Code::Pma90LongP95 => "pma90_long_p95",
            Code::Pma80Max => "pma80_max",
            Code::PmaLowMaxPotential => "pma_low_max_potential",
            Code::FallbackMaxPotential => "fallback_max_potential",
        }
    }
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Hours per code for one monitor (index = `Code as usize`).
pub type CodeCounts = [u64; 9];
