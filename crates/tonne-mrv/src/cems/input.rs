//! The hourly CSV (one header line, then one row per unit and hour) and the optional
//! monitoring plan. Rows are split by hand — no quoting beyond a field wholly in double quotes —
//! because the engine reads millions of them; every error names the line and column.

use super::fixed::{self, FixedError, parse_fixed};
use super::hour::{ClockHour, HourCache};
use super::{Basis, CemsError, InputError, InputFile};
use rustc_hash::FxHashMap;
use std::io::Read;

/// Columns of the hourly file. Any order; `unit_id, hour, op_time, co2_pct, flow_scfh` are
/// required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    UnitId,
    Hour,
    OpTime,
    Co2Pct,
    FlowScfh,
    Co2Basis,
    H2oPct,
    MpcCo2Pct,
    MpfScfh,
}

const COLS: [(Col, &str, bool); 9] = [
    (Col::UnitId, "unit_id", true),
    (Col::Hour, "hour", true),
    (Col::OpTime, "op_time", true),
    (Col::Co2Pct, "co2_pct", true),
    (Col::FlowScfh, "flow_scfh", true),
    (Col::Co2Basis, "co2_basis", false),
    (Col::H2oPct, "h2o_pct", false),
    (Col::MpcCo2Pct, "mpc_co2_pct", false),
    (Col::MpfScfh, "mpf_scfh", false),
];

impl Col {
    pub(crate) fn name(self) -> &'static str {
        COLS.iter().find(|c| c.0 == self).expect("listed").1
    }
}

/// Most columns a row may have (each known column once).
pub(crate) const MAX_FIELDS: usize = COLS.len();
/// Longest accepted unit id, in bytes.
pub const MAX_UNIT_ID: usize = 64;

fn expected_columns() -> String {
    let req: Vec<_> = COLS.iter().filter(|c| c.2).map(|c| c.1).collect();
    let opt: Vec<_> = COLS.iter().filter(|c| !c.2).map(|c| c.1).collect();
    format!(
        "the columns {} (and optionally {})",
        req.join(", "),
        opt.join(", ")
    )
}

/// The header: which column each position holds.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub cols: Vec<Col>,
    pub unit_pos: usize,
}

/// Strips surrounding ASCII spaces and one pair of double quotes.
#[inline]
fn trim(f: &[u8]) -> &[u8] {
    match (f.first(), f.last()) {
        (Some(a), Some(b))
            if !matches!(a, b' ' | b'\t' | b'"') && !matches!(b, b' ' | b'\t' | b'"') =>
        {
            return f;
        }
        _ => {}
    }
    let f = f.trim_ascii();
    match f {
        [b'"', inner @ .., b'"'] => inner.trim_ascii(),
        _ => f,
    }
}

pub(crate) fn parse_header(line: &[u8], with_plan: bool) -> Result<Header, CemsError> {
    let err = |m: String| CemsError::at(1, None, m);
    if line.trim_ascii().is_empty() {
        return Err(err(format!(
            "missing header: the first line must name {}",
            expected_columns()
        )));
    }
    let known = |name: &[u8]| COLS.iter().find(|c| c.1.as_bytes() == name).copied();
    if !line.split(|&b| b == b',').any(|f| known(trim(f)).is_some()) {
        return Err(err(format!(
            "missing header: {:?} names no column; the first line must name {}",
            String::from_utf8_lossy(&line[..line.len().min(60)]),
            expected_columns()
        )));
    }
    let mut cols = Vec::new();
    for f in line.split(|&b| b == b',') {
        let name = trim(f);
        let Some((col, n, _)) = known(name) else {
            return Err(err(format!(
                "unknown column {:?}; expected {}",
                String::from_utf8_lossy(name),
                expected_columns()
            )));
        };
        if cols.contains(&col) {
            return Err(err(format!("column {n:?} appears twice")));
        }
        if with_plan && matches!(col, Col::Co2Basis | Col::MpcCo2Pct | Col::MpfScfh) {
            return Err(err(format!(
                "column {n:?} is given both in the data and by the monitoring plan; keep one"
            )));
        }
        cols.push(col);
    }
    let missing: Vec<_> = COLS
        .iter()
        .filter(|c| c.2 && !cols.contains(&c.0))
        .map(|c| c.1)
        .collect();
    if !missing.is_empty() {
        return Err(err(format!(
            "missing header column(s) {}; expected {}",
            missing.join(", "),
            expected_columns()
        )));
    }
    let unit_pos = cols
        .iter()
        .position(|&c| c == Col::UnitId)
        .expect("required");
    Ok(Header { cols, unit_pos })
}

/// One parsed row, values at the engine's scales (see `fixed`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    pub unit: &'a [u8],
    pub hour: ClockHour,
    /// 10^-4 of an hour.
    pub op_time: u32,
    /// 10^-5 %.
    pub co2: Option<u64>,
    /// 10^-4 scfh.
    pub flow: Option<u64>,
    pub basis: Option<Basis>,
    /// 10^-3 %.
    pub h2o: Option<u32>,
    /// 10^-5 %.
    pub mpc: Option<u64>,
    /// 10^-4 scfh.
    pub mpf: Option<u64>,
}

/// Splits a line at commas into `out`; returns the number of fields, or `n + 1` if there are
/// more than `n`.
#[inline]
pub(crate) fn split<'a>(line: &'a [u8], n: usize, out: &mut [&'a [u8]; MAX_FIELDS]) -> usize {
    let mut k = 0;
    let mut start = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == b',' {
            if k + 1 >= n {
                return n + 1;
            }
            out[k] = &line[start..i];
            k += 1;
            start = i + 1;
        }
    }
    out[k] = &line[start..];
    k + 1
}

/// The unit id field of a line (for routing), without parsing the rest.
#[inline]
pub(crate) fn unit_field(line: &[u8], pos: usize) -> &[u8] {
    let mut start = 0;
    let mut k = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == b',' {
            if k == pos {
                return trim(&line[start..i]);
            }
            k += 1;
            start = i + 1;
        }
    }
    if k == pos { trim(&line[start..]) } else { b"" }
}

/// A decimal field: empty → `None`; otherwise at most `dp` decimals, `lo..=hi` (in units of
/// 10^-dp), scaled up to 10^-`scale`.
struct Num {
    dp: u32,
    scale: u32,
    lo: u64,
    hi: u64,
    what: &'static str,
}

const CO2: Num = Num {
    dp: fixed::CO2_DP,
    scale: fixed::CO2_SCALE,
    lo: 0,
    hi: 100_000,
    what: "a CO2 concentration in percent, 0 to 100, at most 3 decimal places, or empty for a missing hour",
};
const FLOW: Num = Num {
    dp: fixed::FLOW_DP,
    scale: fixed::FLOW_SCALE,
    lo: 0,
    hi: fixed::MAX_FLOW_SCFH * 100,
    what: "a stack flow in scfh, 0 to 10000000000, at most 2 decimal places, or empty for a missing hour",
};
const H2O: Num = Num {
    dp: fixed::H2O_DP,
    scale: fixed::H2O_DP,
    lo: 0,
    hi: 99_999,
    what: "a moisture content in percent, 0 to below 100, at most 3 decimal places",
};
const OP_TIME: Num = Num {
    dp: fixed::OP_TIME_DP,
    scale: fixed::OP_TIME_DP,
    lo: 0,
    hi: 10_000,
    what: "the fraction of the hour the unit operated, 0 to 1, at most 4 decimal places (0 = did not operate)",
};
const MPC: Num = Num {
    dp: fixed::CO2_DP,
    scale: fixed::CO2_SCALE,
    lo: 1,
    hi: 100_000,
    what: "the unit's maximum potential CO2 concentration in percent, above 0 and at most 100, at most 3 decimal places",
};
const MPF: Num = Num {
    dp: fixed::FLOW_DP,
    scale: fixed::FLOW_SCALE,
    lo: 1,
    hi: fixed::MAX_FLOW_SCFH * 100,
    what: "the unit's maximum potential flow in scfh, above 0 and at most 10000000000, at most 2 decimal places",
};

impl Num {
    fn parse(&self, f: &[u8]) -> Result<Option<u64>, String> {
        if f.is_empty() {
            return Ok(None);
        }
        let shown = || String::from_utf8_lossy(f).into_owned();
        let v = parse_fixed(f, self.dp).map_err(|e| match e {
            FixedError::Syntax => format!(
                "{:?} is not a plain decimal number; expected {}",
                shown(),
                self.what
            ),
            FixedError::Negative => format!("{} is negative; expected {}", shown(), self.what),
            FixedError::TooManyDecimals => format!(
                "{} has more than {} decimal places; expected {}",
                shown(),
                self.dp,
                self.what
            ),
            FixedError::TooLarge => format!("{} is out of range; expected {}", shown(), self.what),
        })?;
        if v < self.lo || v > self.hi {
            return Err(format!(
                "{} is out of range; expected {}",
                shown(),
                self.what
            ));
        }
        Ok(Some(v * 10u64.pow(self.scale - self.dp)))
    }
}

/// Why a unit id is not acceptable (checked once per unit, when it is first seen).
pub(crate) fn unit_id_error(f: &[u8]) -> Option<String> {
    if f.is_empty() {
        return Some("the unit id is empty; expected the unit's id (e.g. the ORIS unit id)".into());
    }
    if f.len() > MAX_UNIT_ID {
        return Some(format!(
            "the unit id is longer than {MAX_UNIT_ID} bytes; expected a short id"
        ));
    }
    if f.iter().any(|&b| !(0x20..0x7f).contains(&b) || b == b'"') {
        return Some(format!(
            "the unit id {:?} has characters other than printable ASCII; expected a plain id",
            String::from_utf8_lossy(f)
        ));
    }
    None
}

/// Parses a row. The unit id is not validated here: the engine does it once per new unit.
pub(crate) fn parse_row<'a>(
    line: &'a [u8],
    h: &Header,
    lineno: u64,
    hours: &mut HourCache,
) -> Result<Row<'a>, CemsError> {
    let mut fields: [&[u8]; MAX_FIELDS] = [b""; MAX_FIELDS];
    let n = split(line, h.cols.len(), &mut fields);
    if n != h.cols.len() {
        return Err(CemsError::at(
            lineno,
            None,
            format!(
                "{} fields where the header (line 1) has {}; expected one value (or nothing) per column",
                if n > h.cols.len() {
                    "more".to_string()
                } else {
                    n.to_string()
                },
                h.cols.len()
            ),
        ));
    }
    let mut row = Row {
        unit: b"",
        hour: 0,
        op_time: 0,
        co2: None,
        flow: None,
        basis: None,
        h2o: None,
        mpc: None,
        mpf: None,
    };
    for (&col, &raw) in h.cols.iter().zip(&fields[..n]) {
        let f = trim(raw);
        let at = |m: String| CemsError::at(lineno, Some(col.name()), m);
        match col {
            Col::UnitId => row.unit = f,
            Col::Hour => row.hour = hours.parse(f).map_err(at)?,
            Col::OpTime => {
                row.op_time =
                    OP_TIME.parse(f).map_err(at)?.ok_or_else(|| {
                        at(format!("a value is required; expected {}", OP_TIME.what))
                    })? as u32;
            }
            Col::Co2Pct => row.co2 = CO2.parse(f).map_err(at)?,
            Col::FlowScfh => row.flow = FLOW.parse(f).map_err(at)?,
            Col::H2oPct => row.h2o = H2O.parse(f).map_err(at)?.map(|v| v as u32),
            Col::MpcCo2Pct => row.mpc = MPC.parse(f).map_err(at)?,
            Col::MpfScfh => row.mpf = MPF.parse(f).map_err(at)?,
            Col::Co2Basis => {
                if !f.is_empty() {
                    row.basis = Some(Basis::parse(f).ok_or_else(|| {
                        at(format!(
                            "{:?} is not a basis; expected wet or dry (or empty)",
                            String::from_utf8_lossy(f)
                        ))
                    })?);
                }
            }
        }
    }
    Ok(row)
}

/// One unit's monitoring-plan entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnitPlan {
    pub basis: Option<Basis>,
    /// Maximum potential CO2 concentration, 10^-5 %. UNVERIFIED numerically (reference §7.2):
    /// always the operator's value, never a default.
    pub mpc: Option<u64>,
    /// Maximum potential flow, 10^-4 scfh (UNVERIFIED likewise).
    pub mpf: Option<u64>,
}

/// The monitoring plan: per-unit basis and maximum potential values (docs/cems.md).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub(crate) units: FxHashMap<Box<[u8]>, UnitPlan>,
}

impl Plan {
    pub fn get(&self, unit: &str) -> Option<&UnitPlan> {
        self.units.get(unit.as_bytes())
    }
    pub(crate) fn get_bytes(&self, unit: &[u8]) -> Option<&UnitPlan> {
        self.units.get(unit)
    }
    pub fn len(&self) -> usize {
        self.units.len()
    }
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Reads a plan CSV: `unit_id` and any of `co2_basis, mpc_co2_pct, mpf_scfh`.
    pub fn parse(r: impl Read) -> Result<Plan, CemsError> {
        let err = |line: u64, column: Option<&'static str>, message: String| {
            CemsError::Input(InputError {
                file: InputFile::Plan,
                line,
                column,
                message,
            })
        };
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(r);
        let header = rdr
            .byte_headers()
            .map_err(|e| err(1, None, e.to_string()))?
            .clone();
        let mut cols = Vec::new();
        for name in header.iter() {
            let col = COLS
                .iter()
                .find(|c| {
                    c.1.as_bytes() == name
                        && matches!(c.0, Col::UnitId | Col::Co2Basis | Col::MpcCo2Pct | Col::MpfScfh)
                })
                .ok_or_else(|| {
                    err(
                        1,
                        None,
                        format!(
                            "unknown column {:?}; expected unit_id and any of co2_basis, mpc_co2_pct, mpf_scfh",
                            String::from_utf8_lossy(name)
                        ),
                    )
                })?;
            if cols.contains(&col.0) {
                return Err(err(1, None, format!("column {:?} appears twice", col.1)));
            }
            cols.push(col.0);
        }
        if !cols.contains(&Col::UnitId) {
            return Err(err(
                1,
                None,
                "missing header column unit_id; expected unit_id and any of co2_basis, mpc_co2_pct, mpf_scfh".into(),
            ));
        }
        let mut plan = Plan::default();
        for rec in rdr.byte_records() {
            let rec =
                rec.map_err(|e| err(e.position().map_or(0, |p| p.line()), None, e.to_string()))?;
            let line = rec.position().map_or(0, |p| p.line());
            let mut unit: &[u8] = b"";
            let mut up = UnitPlan::default();
            for (&col, f) in cols.iter().zip(rec.iter()) {
                let at = |m: String| err(line, Some(col.name()), m);
                match col {
                    Col::UnitId => {
                        if let Some(m) = unit_id_error(f) {
                            return Err(at(m));
                        }
                        unit = f;
                    }
                    Col::Co2Basis if !f.is_empty() => {
                        up.basis = Some(Basis::parse(f).ok_or_else(|| {
                            at(format!(
                                "{:?} is not a basis; expected wet or dry",
                                String::from_utf8_lossy(f)
                            ))
                        })?)
                    }
                    Col::MpcCo2Pct => up.mpc = MPC.parse(f).map_err(at)?,
                    Col::MpfScfh => up.mpf = MPF.parse(f).map_err(at)?,
                    _ => {}
                }
            }
            if plan.units.insert(unit.into(), up).is_some() {
                return Err(err(
                    line,
                    Some("unit_id"),
                    format!(
                        "unit {:?} is listed twice; expected one row per unit",
                        String::from_utf8_lossy(unit)
                    ),
                ));
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr() -> Header {
        parse_header(
            b"unit_id,hour,op_time,co2_pct,flow_scfh,co2_basis,h2o_pct",
            false,
        )
        .unwrap()
    }

    #[test]
    fn rows_parse_at_engine_scales() {
        let r = parse_row(
            b"U1,2024-01-01T00,0.25,10.5,1000000.5,dry,8.25",
            &hdr(),
            2,
            &mut HourCache::default(),
        )
        .unwrap();
        assert_eq!(r.unit, b"U1");
        assert_eq!(r.op_time, 2_500);
        assert_eq!(r.co2, Some(1_050_000));
        assert_eq!(r.flow, Some(10_000_005_000));
        assert_eq!(r.basis, Some(Basis::Dry));
        assert_eq!(r.h2o, Some(8_250));
        let r = parse_row(
            b"\"U 2\", 2024-01-01T01 ,1,,,,",
            &hdr(),
            3,
            &mut HourCache::default(),
        )
        .unwrap();
        assert_eq!(r.unit, b"U 2");
        assert_eq!((r.co2, r.flow, r.basis), (None, None, None));
    }

    #[test]
    fn errors_name_line_column_and_expectation() {
        let e = parse_row(
            b"U1,2024-01-01T00,1,101,5,wet,",
            &hdr(),
            7,
            &mut HourCache::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 7, column co2_pct: 101 is out of range; expected a CO2 concentration in percent, 0 to 100, at most 3 decimal places, or empty for a missing hour"
        );
        let e = parse_row(
            b"U1,2024-01-01T00,1,10",
            &hdr(),
            9,
            &mut HourCache::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("line 9: 4 fields where the header (line 1) has 7")
        );
        let e = parse_header(b"U1,2024-01-01T00,1,10,5", false).unwrap_err();
        assert!(e.to_string().starts_with("line 1: missing header"), "{e}");
        let e = parse_header(b"unit_id,hour,op_time,co2_pct", false).unwrap_err();
        assert!(e.to_string().contains("flow_scfh"), "{e}");
        assert_eq!(unit_field(b"a,b,c", 2), b"c");
        assert_eq!(unit_field(b"a,b,c", 0), b"a");
    }
}
