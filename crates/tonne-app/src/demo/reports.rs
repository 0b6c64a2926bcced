//! The demo's covered entities and their annual emissions reports (demo data in
//! `crates/tonne-app/data/`): each report is computed by tonne-mrv, submitted, verified through
//! the verification workflow, and the registry computes obligations from the verified totals.

use serde_json::{Value, json};
use tonne_mrv::verification::workflow::VerificationCommand;

/// A covered entity that files reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filer {
    /// A cement plant (Part 98 Subparts C and H through the California MRR).
    CalCement,
    /// A publicly owned utility: a peaking unit and electricity imports (MRR §95111).
    Sierra,
    /// A Québec paper mill. Québec's own reporting protocols are not in tonne-mrv; its reports
    /// are quantified with IPCC 2006 Tier 1 (demo simplification).
    Papetiere,
}

impl Filer {
    pub fn entity(self) -> &'static str {
        match self {
            Self::CalCement => "CA1001",
            Self::Sierra => "CA4001",
            Self::Papetiere => "QC2001",
        }
    }

    pub fn jurisdiction(self) -> &'static str {
        match self {
            Self::Papetiere => "CA-QC",
            _ => "US-CA",
        }
    }

    fn regulator(self) -> &'static str {
        match self {
            Self::Papetiere => "qc-mel",
            _ => "carb-eo",
        }
    }

    /// The representative who files the report.
    fn reporter(self) -> &'static str {
        match self {
            Self::CalCement => "alice",
            Self::Sierra => "uma",
            Self::Papetiere => "dave",
        }
    }

    /// Electric power entities need a sector-specific verifier (§95131(a)).
    fn sector(self) -> Option<String> {
        (self == Self::Sierra).then(|| "electric_power_entity".to_owned())
    }

    /// The id of an obligation of this entity: `<entity>-<year or period>`.
    pub fn obligation(self, which: &str) -> String {
        format!("{}-{which}", self.entity())
    }

    /// The id under which the report of data year `year` is filed.
    pub fn report(self, year: u16) -> String {
        format!("{}-{year}-R", self.entity())
    }

    fn file(self, year: u16) -> &'static [u8] {
        match (self, year) {
            (Self::CalCement, 2024) => include_bytes!("../../data/demo-calcement-2024.json"),
            (Self::CalCement, 2025) => include_bytes!("../../data/demo-calcement-2025.json"),
            (Self::CalCement, 2026) => include_bytes!("../../data/demo-calcement-2026.json"),
            (Self::Sierra, 2024) => include_bytes!("../../data/demo-sierra-2024.json"),
            (Self::Sierra, 2025) => include_bytes!("../../data/demo-sierra-2025.json"),
            (Self::Sierra, 2026) => include_bytes!("../../data/demo-sierra-2026.json"),
            (Self::Papetiere, 2024) => include_bytes!("../../data/demo-papetiere-2024.json"),
            (Self::Papetiere, 2025) => include_bytes!("../../data/demo-papetiere-2025.json"),
            (Self::Papetiere, 2026) => include_bytes!("../../data/demo-papetiere-2026.json"),
            _ => panic!("the demo has no {year} report for {}", self.entity()),
        }
    }

    /// The `submit_report` command of data year `year`, computed from the report file.
    pub fn submission(self, year: u16) -> VerificationCommand {
        tonne_mrv::report::submission::submission(
            self.file(year),
            &self.report(year),
            self.sector(),
        )
        .expect("the demo reports compute")
    }

    /// Verified covered emissions of data year `year` in whole tonnes, as the registry counts
    /// them (half away from zero).
    pub fn verified_tonnes(self, year: u16) -> u64 {
        let VerificationCommand::SubmitReport { covered_co2e_t, .. } = self.submission(year) else {
            unreachable!("a submission")
        };
        tonne_registry::whole_tonnes(covered_co2e_t).expect("positive emissions")
    }
}

/// The verification of every filer's report of data year `year`, step by step in time order
/// (the registry refuses time going backwards): submission by 10 April (REG-§95856(d)(1)
/// calendar), the regulator's conflict-of-interest assessment (§95133(f)) and the team's
/// assignment, the independent review and the statement by early August.
pub fn verification(filers: &[Filer], year: u16) -> Vec<(String, &'static str, Value)> {
    let y = year + 1;
    let mut out = Vec::new();
    for f in filers {
        let cmd = serde_json::to_value(f.submission(year)).expect("serialises");
        out.push((format!("{y}-04-01T16:00:00Z"), f.reporter(), cmd));
    }
    for f in filers {
        out.push((
            format!("{y}-04-02T16:00:00Z"),
            f.regulator(),
            json!({"assess_conflict": {"report": f.report(year), "body": "VB-1", "level": "low"}}),
        ));
    }
    for f in filers {
        let specialist = f.sector().map(|_| "V-SAM");
        out.push((
            format!("{y}-04-03T16:00:00Z"),
            f.regulator(),
            json!({"assign_verification": {"report": f.report(year), "body": "VB-1", "lead": "V-LENA", "team": [], "sector_specialist": specialist, "independent_reviewer": "V-RAJ"}}),
        ));
    }
    for f in filers {
        out.push((
            format!("{y}-07-30T16:00:00Z"),
            "raj",
            json!({"complete_review": {"report": f.report(year)}}),
        ));
    }
    for f in filers {
        out.push((
            format!("{y}-08-03T16:00:00Z"),
            "lena",
            json!({"issue_statement": {"report": f.report(year)}}),
        ));
    }
    out
}

/// California's shipped programme rules (tonne-market data/us-ca.json).
fn california() -> tonne_market::rules::ProgramRules {
    tonne_market::rules::builtin("US-CA").expect("shipped rules")
}

/// The annual share of California's rules (30 %, UNVERIFIED in tonne-market data/us-ca.json).
pub fn annual_share_bp() -> u32 {
    california().compliance.annual_share_bp.value
}

/// What the registry computes for `f`'s annual obligation of `year`, as tonne-market's
/// compliance arithmetic gives it from the verified emissions of the period (share rounded
/// half up).
pub fn annual_obligation(f: Filer, year: u16) -> u64 {
    let rules = california();
    let period = rules.period(year).expect("a compliance period");
    let covered = (period.first_year..=period.last_year)
        .map(|y| (y, f.verified_tonnes(y)))
        .collect();
    tonne_market::compliance::obligations(
        &rules,
        period,
        &covered,
        tonne_market::allocation::Rounding::HalfUp,
    )
    .expect("every year reported")
    .into_iter()
    .find(|o| o.first_year == year && o.last_year == year)
    .expect("an annual obligation")
    .quantity
}

/// The untimely obligation of `f`'s annual obligation of `year` when `held` eligible
/// instruments were surrendered at the event (REG-§95857(b)).
pub fn untimely_owed(f: Filer, year: u16, held: u64) -> u64 {
    california()
        .untimely_obligation(annual_obligation(f, year) - held)
        .0
}
