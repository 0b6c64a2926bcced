//! Reporting programmes as configuration: which GWP set applies in which reporting year, the
//! thresholds, and the scope of emissions counted. The built-in programmes follow
//! reference/mrv.md §2.2 and §10.4; a value marked UNVERIFIED there is a field a jurisdiction
//! can override (programmes deserialise from JSON), with the doubt noted here.

use crate::gwp::{Ar6Methane, GwpChoice, GwpSet};
use crate::table::Mark;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProgramId {
    #[serde(rename = "part98")]
    Part98,
    #[serde(rename = "ca-mrr")]
    CaMrr,
    #[serde(rename = "mx-rene")]
    MxRene,
    #[serde(rename = "ipcc")]
    Ipcc,
}

impl ProgramId {
    pub const ALL: [ProgramId; 4] = [Self::Part98, Self::CaMrr, Self::MxRene, Self::Ipcc];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Part98 => "part98",
            Self::CaMrr => "ca-mrr",
            Self::MxRene => "mx-rene",
            Self::Ipcc => "ipcc",
        }
    }
}

impl FromStr for ProgramId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!("unknown programme {s:?}: expected part98, ca-mrr, mx-rene or ipcc")
            })
    }
}

/// From `first_year` on (until the next entry), reports use `set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GwpPeriod {
    pub first_year: u16,
    pub set: GwpSet,
    pub mark: Mark,
    pub source: String,
}

/// Which emissions count toward the programme's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Direct emissions from the facility's own sources.
    Direct,
    /// Direct plus indirect (purchased electricity and heat), as RENE counts them.
    DirectAndIndirect,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub id: ProgramId,
    pub name: String,
    /// Sorted by `first_year`.
    pub gwp_schedule: Vec<GwpPeriod>,
    pub ar6_methane: Ar6Methane,
    /// Annual t CO2e at or above which a facility reports; `None`: no threshold.
    pub reporting_threshold_t: Option<Decimal>,
    /// Annual t CO2e at or above which the report must be third-party verified.
    pub verification_threshold_t: Option<Decimal>,
    pub scope: Scope,
    /// Combustion methods the programme accepts, by `tonne mrv fuel --method` name. Part 98
    /// and the MRR (which incorporates Part 98's methods) take subpart C tiers; RENE's formulas
    /// are IPCC-style and the MOUs align it with MRR, so it takes both (configurable).
    pub methods: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    #[error(
        "programme {program} has no GWP set for reporting year {year}: its schedule starts in {first}"
    )]
    YearBeforeSchedule {
        program: &'static str,
        year: u16,
        first: u16,
    },
}

fn methods(list: &[&str]) -> Vec<String> {
    list.iter().map(|m| (*m).to_owned()).collect()
}

const PART98_METHODS: [&str; 3] = ["part98-tier1", "part98-tier2", "part98-tier3"];

fn period(first_year: u16, set: GwpSet, mark: Mark, source: &str) -> GwpPeriod {
    GwpPeriod {
        first_year,
        set,
        mark,
        source: source.to_owned(),
    }
}

impl Program {
    pub fn builtin(id: ProgramId) -> Self {
        use GwpSet::*;
        use Mark::*;
        match id {
            ProgramId::Part98 => Self {
                id,
                name: "US EPA Greenhouse Gas Reporting Program (40 CFR Part 98)".into(),
                gwp_schedule: vec![
                    // Table A-1 before the 2013 revision: SAR (reference/mrv.md §2.2, VERIFIED,
                    // trinityconsultants.com). Part 98's first reporting year is 2010.
                    period(
                        2010,
                        Sar,
                        Verified,
                        "40 CFR 98 Table A-1 before the 2013 revision",
                    ),
                    // 2013 revision, effective 1 Jan 2014: AR4 (VERIFIED). Applying it to RY2013
                    // reports (filed in 2014) is UNVERIFIED — override this entry if needed.
                    period(
                        2013,
                        Ar4,
                        Unverified,
                        "40 CFR 98 Table A-1, 2013 revision, effective 2014-01-01; RY2013 start UNVERIFIED",
                    ),
                    // 89 FR 31894 (25 Apr 2024), effective 1 Jan 2025, "starting with RY2024
                    // emissions" (VERIFIED-SECONDARY).
                    period(
                        2024,
                        Ar5,
                        VerifiedSecondary,
                        "40 CFR 98 Table A-1 as amended at 89 FR 31894 (25 Apr 2024), applying from RY2024",
                    ),
                ],
                ar6_methane: Ar6Methane::Combined,
                // 25,000 t CO2e/yr (VERIFIED: ccdsupport FAQ Q406; epa.gov GHGRP key facts).
                reporting_threshold_t: Some(dec!(25000)),
                verification_threshold_t: None,
                scope: Scope::Direct,
                methods: methods(&PART98_METHODS),
            },
            ProgramId::CaMrr => Self {
                id,
                name: "California Mandatory GHG Reporting Regulation (17 CCR §95100 et seq.)"
                    .into(),
                // UNVERIFIED: reference/mrv.md §2.2 leaves the MRR's GWP set to be checked in
                // §95102 / its Table A-1 incorporation. AR4 (the set of CARB's 2023 inventory,
                // VERIFIED) is the default; a jurisdiction overrides it when confirmed.
                gwp_schedule: vec![period(
                    2011,
                    Ar4,
                    Unverified,
                    "17 CCR §95102 GWP set UNVERIFIED; default AR4 as CARB's 2023 inventory (VERIFIED, arb.ca.gov)",
                )],
                ar6_methane: Ar6Methane::Combined,
                // Report ≥ 10,000 t CO2e; verify ≥ 25,000 t CO2e (reference/mrv.md §5.1,
                // VERIFIED: iea.org, cameron-cole.com; ARB listserv 2013).
                reporting_threshold_t: Some(dec!(10000)),
                verification_threshold_t: Some(dec!(25000)),
                scope: Scope::Direct,
                methods: methods(&PART98_METHODS),
            },
            ProgramId::MxRene => Self {
                id,
                name: "Mexico Registro Nacional de Emisiones (RENE)".into(),
                // AR5: the SEMARNAT GWP Acuerdo is "congruent with the IPCC Fifth Assessment
                // Report" (VERIFIED-SECONDARY, aenormexico.com). Its date (14 Aug 2015) is
                // UNVERIFIED; the Reglamento del RENE is in force from 29 Oct 2014 (VERIFIED),
                // so the schedule starts with reporting year 2014.
                gwp_schedule: vec![period(
                    2014,
                    Ar5,
                    VerifiedSecondary,
                    "SEMARNAT Acuerdo on gas grouping and GWPs (AR5)",
                )],
                ar6_methane: Ar6Methane::Combined,
                // ≥ 25,000 t CO2e of direct and indirect emissions (VERIFIED, Reglamento del
                // RENE; gtlaw.com, celconsulting.mx).
                reporting_threshold_t: Some(dec!(25000)),
                verification_threshold_t: None,
                scope: Scope::DirectAndIndirect,
                methods: methods(&[
                    "ipcc2006-tier1",
                    "part98-tier1",
                    "part98-tier2",
                    "part98-tier3",
                ]),
            },
            ProgramId::Ipcc => Self {
                id,
                name: "Generic IPCC 2006 inventory".into(),
                // UNVERIFIED: a national inventory's GWP set is the reporting framework's
                // choice; AR5 is the default here and every inventory may override it.
                gwp_schedule: vec![period(
                    1990,
                    Ar5,
                    Unverified,
                    "inventory framework's choice; default AR5",
                )],
                ar6_methane: Ar6Methane::Combined,
                reporting_threshold_t: None,
                verification_threshold_t: None,
                scope: Scope::DirectAndIndirect,
                methods: methods(&["ipcc2006-tier1"]),
            },
        }
    }

    /// The GWP set for reporting year `year`.
    pub fn gwp_for_year(&self, year: u16) -> Result<GwpChoice, ProgramError> {
        let p = self
            .gwp_schedule
            .iter()
            .rev()
            .find(|p| p.first_year <= year)
            .ok_or(ProgramError::YearBeforeSchedule {
                program: self.id.as_str(),
                year,
                first: self.gwp_schedule.first().map_or(0, |p| p.first_year),
            })?;
        let mut c = crate::gwp::choose(
            p.set,
            self.ar6_methane,
            format!(
                "programme {} for reporting year {year} ({}, {})",
                self.id.as_str(),
                p.source,
                p.mark
            ),
        );
        c.source = format!("{}; {}", p.source, c.source);
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part98_switches_sets_by_reporting_year() {
        let p = Program::builtin(ProgramId::Part98);
        let set = |y| p.gwp_for_year(y).unwrap().set;
        assert_eq!(set(2012), GwpSet::Sar);
        assert_eq!(set(2013), GwpSet::Ar4);
        assert_eq!(set(2023), GwpSet::Ar4);
        assert_eq!(set(2024), GwpSet::Ar5);
        assert_eq!(set(2030), GwpSet::Ar5);
        let e = p.gwp_for_year(2005).unwrap_err().to_string();
        assert!(e.contains("2005") && e.contains("2010"), "{e}");
        assert_eq!(
            Program::builtin(ProgramId::MxRene)
                .gwp_for_year(2020)
                .unwrap()
                .set,
            GwpSet::Ar5
        );
    }
}
