//! Compliance instruments: jurisdictions, kinds, serial series and serial ranges.
//!
//! Serial format (Tonne's own; CITSS's format is not public — reference/cap-and-trade.md §7,
//! UNVERIFIED there, so no compatibility is claimed): a series is
//! `{JUR}/{KIND}/{VINTAGE|NV}[/{PROJECT}]`, a block is `{series}/{START}..{END}`.

use crate::limits::{MAX_ID_LEN, MAX_SERIAL, MAX_VINTAGE, MIN_VINTAGE};
use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// ISO 3166-1 alpha-2 country code, optionally with an ISO 3166-2 subdivision: `US-CA`, `CA-QC`,
/// `MX-BCN`, `PA`.
/// Held inline (at most 6 ASCII bytes) so it is `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JurisdictionCode {
    bytes: [u8; 6],
    len: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstrumentError {
    #[error("jurisdiction {0:?} is not an ISO 3166-2 code such as US-CA, CA-QC, MX-BCN or PA")]
    Jurisdiction(String),
    #[error("serial range {start}..{end} is invalid: serials start at 1, start <= end <= {max}", max = MAX_SERIAL)]
    Range { start: u64, end: u64 },
    #[error("vintage {0} is outside {MIN_VINTAGE}..={MAX_VINTAGE}")]
    Vintage(u16),
    #[error("{kind} {problem}")]
    Series {
        kind: &'static str,
        problem: &'static str,
    },
    #[error("project id {0:?} must be 1-{MAX_ID_LEN} letters, digits, '-', '_' or '.'")]
    Project(String),
    #[error("series {0:?} is not JUR/KIND/VINTAGE|NV[/PROJECT]")]
    SeriesSyntax(String),
}

impl JurisdictionCode {
    pub fn parse(s: &str) -> Result<Self, InstrumentError> {
        let b = s.as_bytes();
        let country = b.len() >= 2 && b[..2].iter().all(u8::is_ascii_uppercase);
        let sub_ok = match b.len() {
            2 => true,
            4..=6 => {
                b[2] == b'-'
                    && b[3..]
                        .iter()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            }
            _ => false,
        };
        if country && sub_ok {
            let mut bytes = [0u8; 6];
            bytes[..b.len()].copy_from_slice(b);
            Ok(Self {
                bytes,
                len: b.len() as u8,
            })
        } else {
            Err(InstrumentError::Jurisdiction(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).expect("validated ASCII")
    }
    /// The code's ASCII bytes (what `as_str` returns, without the UTF-8 check).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl fmt::Display for JurisdictionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JurisdictionCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JurisdictionCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(crate::id::StrVisitor(|s: &str| {
            Self::parse(s).map_err(|e| e.to_string())
        }))
    }
}

/// Compliance instrument kinds (REG-§95802 "compliance instrument": allowances, offset credits;
/// APCR reserve allowances §95913; price ceiling units §95915).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentKind {
    Allowance,
    ReserveAllowance,
    PriceCeilingUnit,
    OffsetCredit,
}

impl InstrumentKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Allowance => "ALW",
            Self::ReserveAllowance => "RSV",
            Self::PriceCeilingUnit => "PCU",
            Self::OffsetCredit => "OFF",
        }
    }
    fn from_code(s: &str) -> Option<Self> {
        Some(match s {
            "ALW" => Self::Allowance,
            "RSV" => Self::ReserveAllowance,
            "PCU" => Self::PriceCeilingUnit,
            "OFF" => Self::OffsetCredit,
            _ => return None,
        })
    }
}

/// One serial series: all instruments of one jurisdiction, kind and vintage (and, for offset
/// credits, project) are numbered 1, 2, 3… in issuance order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "SeriesKeyRaw")]
pub struct SeriesKey {
    jurisdiction: JurisdictionCode,
    kind: InstrumentKind,
    vintage: Option<u16>,
    project: Option<CompactString>,
}

#[derive(Deserialize)]
struct SeriesKeyRaw {
    jurisdiction: JurisdictionCode,
    kind: InstrumentKind,
    #[serde(default)]
    vintage: Option<u16>,
    #[serde(default)]
    project: Option<CompactString>,
}

impl TryFrom<SeriesKeyRaw> for SeriesKey {
    type Error = InstrumentError;
    fn try_from(r: SeriesKeyRaw) -> Result<Self, InstrumentError> {
        SeriesKey::build(r.jurisdiction, r.kind, r.vintage, r.project)
    }
}

impl SeriesKey {
    pub fn new(
        jurisdiction: JurisdictionCode,
        kind: InstrumentKind,
        vintage: Option<u16>,
        project: Option<String>,
    ) -> Result<Self, InstrumentError> {
        Self::build(
            jurisdiction,
            kind,
            vintage,
            project.map(CompactString::from),
        )
    }

    fn build(
        jurisdiction: JurisdictionCode,
        kind: InstrumentKind,
        vintage: Option<u16>,
        project: Option<CompactString>,
    ) -> Result<Self, InstrumentError> {
        if let Some(v) = vintage
            && !(MIN_VINTAGE..=MAX_VINTAGE).contains(&v)
        {
            return Err(InstrumentError::Vintage(v));
        }
        let err = |problem| {
            Err(InstrumentError::Series {
                kind: kind_name(kind),
                problem,
            })
        };
        match kind {
            InstrumentKind::Allowance if vintage.is_none() => return err("needs a vintage"),
            InstrumentKind::PriceCeilingUnit if vintage.is_some() => {
                return err("has no vintage");
            }
            InstrumentKind::OffsetCredit if vintage.is_none() || project.is_none() => {
                return err("needs a vintage and a project");
            }
            k if k != InstrumentKind::OffsetCredit && project.is_some() => {
                return err("carries no project (only offset credits do)");
            }
            _ => {}
        }
        if let Some(p) = &project {
            let ok = !p.is_empty()
                && p.len() <= MAX_ID_LEN
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(InstrumentError::Project(p.to_string()));
            }
        }
        Ok(Self {
            jurisdiction,
            kind,
            vintage,
            project,
        })
    }

    /// Parses the text form `US-CA/ALW/2024`, `CA-QC/RSV/NV`, `US-CA/OFF/2021/CAFR5001`.
    pub fn parse(s: &str) -> Result<Self, InstrumentError> {
        let bad = || InstrumentError::SeriesSyntax(s.to_owned());
        let parts: Vec<&str> = s.split('/').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(bad());
        }
        let jur = JurisdictionCode::parse(parts[0])?;
        let kind = InstrumentKind::from_code(parts[1]).ok_or_else(bad)?;
        let vintage = match parts[2] {
            "NV" => None,
            v => Some(v.parse::<u16>().map_err(|_| bad())?),
        };
        let project = parts.get(3).map(|p| CompactString::new(p));
        Self::build(jur, kind, vintage, project)
    }

    pub fn jurisdiction(&self) -> &JurisdictionCode {
        &self.jurisdiction
    }
    pub fn kind(&self) -> InstrumentKind {
        self.kind
    }
    pub fn vintage(&self) -> Option<u16> {
        self.vintage
    }
    pub fn project(&self) -> Option<&str> {
        self.project.as_deref()
    }
}

fn kind_name(k: InstrumentKind) -> &'static str {
    match k {
        InstrumentKind::Allowance => "an allowance series",
        InstrumentKind::ReserveAllowance => "a reserve allowance series",
        InstrumentKind::PriceCeilingUnit => "a price ceiling unit series",
        InstrumentKind::OffsetCredit => "an offset credit series",
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/", self.jurisdiction, self.kind.code())?;
        match self.vintage {
            Some(v) => write!(f, "{v}")?,
            None => f.write_str("NV")?,
        }
        if let Some(p) = &self.project {
            write!(f, "/{p}")?;
        }
        Ok(())
    }
}

/// An inclusive range of serial numbers, `start..=end`, `1 <= start <= end <= MAX_SERIAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "(u64, u64)", into = "(u64, u64)")]
pub struct SerialRange {
    start: u64,
    end: u64,
}

impl TryFrom<(u64, u64)> for SerialRange {
    type Error = InstrumentError;
    fn try_from((start, end): (u64, u64)) -> Result<Self, InstrumentError> {
        Self::new(start, end)
    }
}

impl From<SerialRange> for (u64, u64) {
    fn from(r: SerialRange) -> Self {
        (r.start, r.end)
    }
}

impl SerialRange {
    pub fn new(start: u64, end: u64) -> Result<Self, InstrumentError> {
        if start == 0 || start > end || end > MAX_SERIAL {
            return Err(InstrumentError::Range { start, end });
        }
        Ok(Self { start, end })
    }
    pub fn start(self) -> u64 {
        self.start
    }
    pub fn end(self) -> u64 {
        self.end
    }
    pub fn len(self) -> u64 {
        self.end - self.start + 1
    }
    pub fn is_empty(self) -> bool {
        false
    }
    pub fn contains(self, other: SerialRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

impl fmt::Display for SerialRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdiction_codes() {
        for ok in ["US-CA", "CA-QC", "MX-BCN", "PA", "MX-SON"] {
            assert!(JurisdictionCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "us-ca", "USA", "US-", "US-CALIF", "U1"] {
            assert!(JurisdictionCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn series_rules_and_text_form() {
        let s = SeriesKey::parse("US-CA/ALW/2024").unwrap();
        assert_eq!(s.to_string(), "US-CA/ALW/2024");
        assert_eq!(
            SeriesKey::parse("US-CA/OFF/2021/CAFR5001")
                .unwrap()
                .project(),
            Some("CAFR5001")
        );
        assert!(SeriesKey::parse("US-CA/ALW/NV").is_err());
        assert!(SeriesKey::parse("US-CA/PCU/2024").is_err());
        assert!(SeriesKey::parse("US-CA/ALW/2024/P1").is_err());
        assert!(SeriesKey::parse("US-CA/XYZ/2024").is_err());
        assert!(SeriesKey::parse("US-CA/ALW/1990").is_err());
        assert_eq!(SeriesKey::parse("CA-QC/RSV/NV").unwrap().vintage(), None);
    }

    #[test]
    fn ranges() {
        assert!(SerialRange::new(0, 1).is_err());
        assert!(SerialRange::new(5, 4).is_err());
        assert_eq!(SerialRange::new(1, 1000).unwrap().len(), 1000);
        let r: Result<SerialRange, _> = serde_json::from_str("[3, 2]");
        assert!(r.is_err());
    }
}
