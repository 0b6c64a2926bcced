//! Part 75 CEMS: hourly CO2 mass from concentration and stack flow, with the Subpart D
//! missing-data substitution, summed per unit by quarter and year, in Part 75 short tons and
//! metric tonnes (reference/mrv.md §7). The input format is documented in docs/cems.md.
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

/// Engine parameters: the UNVERIFIED variants, the monitoring plan and parallelism.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Params {
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
