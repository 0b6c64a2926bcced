//! Third-party verification as a deterministic state machine: verification bodies and
//! verifiers with accreditation and expiry, conflict-of-interest assessment, assignment with
//! rotation and team rules, findings, independent review and a statement that follows the
//! programme's materiality rule. The registry journals each command (tonne-registry
//! `Command::Verification`), so every step is on the hash chain.
//!
//! Rules (reference/mrv.md §5.1): one body may verify the same operations for at most 6
//! consecutive years (§95130(a), VERIFIED); the conflict-of-interest potential must be found
//! acceptable before verification services (§95133(f), §95131(a), VERIFIED); the team lists a
//! sector-specific verifier who is not the independent reviewer for electric power entities,
//! fuel suppliers and CO2 suppliers (§95131(a)(1)–(2), VERIFIED); COI rated high bars the
//! engagement (UNVERIFIED, so `RegistryVerificationRules::high_coi_blocks`).

use super::materiality::{
    Assessment, AssessmentScope, Finding, MaterialityRule, Statement, assess, default_rule,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A calendar date `YYYY-MM-DD`; ordered as text once validated.
pub type Date = String;

pub fn check_date(field: &str, d: &str) -> Result<(), VerificationError> {
    let b = d.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&d[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&d[8..10].parse::<u8>().unwrap_or(0));
    if ok {
        Ok(())
    } else {
        Err(VerificationError::Invalid(format!(
            "{field}: {d:?} is not a date YYYY-MM-DD"
        )))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRules {
    /// §95130(a): at most 6 consecutive years with one body (VERIFIED).
    pub max_consecutive_years: u16,
    /// A high conflict-of-interest rating bars the engagement (§95133, UNVERIFIED).
    pub high_coi_blocks: bool,
    /// Sectors whose team needs a sector-specific verifier other than the independent
    /// reviewer (§95131(a)(1)–(2), VERIFIED "among others": extend as needed).
    pub sectors_needing_specialist: Vec<String>,
    /// Materiality rules by programme id (`ca-mrr`, `mx-rene`, …), replacing the defaults of
    /// reference/mrv.md §5.4 — threshold and aggregation are per-programme configuration.
    #[serde(default)]
    pub materiality: BTreeMap<String, MaterialityRule>,
}

impl Default for VerificationRules {
    fn default() -> Self {
        Self {
            max_consecutive_years: 6,
            high_coi_blocks: true,
            sectors_needing_specialist: ["electric_power_entity", "fuel_supplier", "co2_supplier"]
                .map(String::from)
                .to_vec(),
            materiality: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoiLevel {
    High,
    Medium,
    Low,
}

/// A reported emission stream, t CO2e as a decimal string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedStream {
    pub id: String,
    pub scope: AssessmentScope,
    #[serde(with = "rust_decimal::serde::str")]
    pub co2e_t: Decimal,
}

/// Commands of the verification workflow. Externally tagged, snake_case (JSON) and
/// postcard-friendly (journal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationCommand {
    /// Regulator or administrator: sets the verification rules (rotation, COI, specialists,
    /// materiality per programme).
    SetRules { rules: VerificationRules },
    /// Regulator: accredits a verification body.
    RegisterBody {
        body: String,
        name: String,
        accredited_until: Date,
    },
    /// Regulator: accredits a verifier of a body, for sectors.
    AccreditVerifier {
        verifier: String,
        body: String,
        name: String,
        /// The registry user who acts as this verifier.
        user: String,
        accredited_until: Date,
        #[serde(default)]
        sectors: Vec<String>,
    },
    /// Reporter: submits (or resubmits, with corrections) a computed annual report.
    SubmitReport {
        report: String,
        facility: String,
        entity: String,
        jurisdiction: String,
        program: String,
        year: u16,
        #[serde(default)]
        sector: Option<String>,
        /// SHA-256 (hex) of the report file as computed by `tonne mrv report`.
        digest: String,
        streams: Vec<ReportedStream>,
        #[serde(with = "rust_decimal::serde::str")]
        covered_co2e_t: Decimal,
    },
    /// Regulator: rates the conflict-of-interest potential of a body for a report.
    AssessConflict {
        report: String,
        body: String,
        level: CoiLevel,
        #[serde(default)]
        mitigation: Option<String>,
    },
    /// Regulator or body: assigns a team to a report.
    AssignVerification {
        report: String,
        body: String,
        lead: String,
        #[serde(default)]
        team: Vec<String>,
        #[serde(default)]
        sector_specialist: Option<String>,
        independent_reviewer: String,
    },
    /// A team verifier records a finding.
    RecordFinding { report: String, finding: Finding },
    /// A team verifier marks a finding corrected in the resubmitted report.
    CorrectFinding { report: String, finding: String },
    /// The independent reviewer completes the review.
    CompleteReview { report: String },
    /// The lead verifier issues the statement the materiality rule gives.
    IssueStatement { report: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    pub name: String,
    pub accredited_until: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifier {
    pub body: String,
    pub name: String,
    pub user: String,
    pub accredited_until: Date,
    pub sectors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub body: String,
    pub lead: String,
    pub team: Vec<String>,
    pub sector_specialist: Option<String>,
    pub independent_reviewer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRecord {
    pub facility: String,
    pub entity: String,
    pub jurisdiction: String,
    pub program: String,
    pub year: u16,
    pub sector: Option<String>,
    pub digest: String,
    pub streams: Vec<ReportedStream>,
    #[serde(with = "rust_decimal::serde::str")]
    pub covered_co2e_t: Decimal,
    /// (body, level, mitigation)
    pub coi: Vec<(String, CoiLevel, Option<String>)>,
    pub assignment: Option<Assignment>,
    pub findings: Vec<Finding>,
    pub reviewed: bool,
    pub statement: Option<Statement>,
    pub submissions: u32,
}

impl ReportRecord {
    /// Covered emissions established by a positive or qualified positive statement.
    pub fn verified_covered_co2e_t(&self) -> Option<Decimal> {
        matches!(
            self.statement,
            Some(Statement::Positive | Statement::QualifiedPositive)
        )
        .then_some(self.covered_co2e_t)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationState {
    pub rules: VerificationRules,
    pub bodies: BTreeMap<String, Body>,
    pub verifiers: BTreeMap<String, Verifier>,
    pub reports: BTreeMap<String, ReportRecord>,
    /// Reporting years each body verified for each facility (rotation).
    pub verified_years: BTreeMap<(String, String), BTreeSet<u16>>,
}

/// Who is acting, as the registry established it, and when.
#[derive(Clone)]
pub struct Ctx<'a> {
    pub actor_user: &'a str,
    /// The actor is a regulator of the report's (or command's) jurisdiction, or the admin.
    pub actor_is_regulator: bool,
    /// The actor represents this entity (reporter).
    pub actor_represents: &'a dyn Fn(&str) -> bool,
    pub today: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unknown(String),
    #[error("{0}")]
    NotAuthorised(String),
    #[error("{0}")]
    Expired(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Rotation(String),
    #[error("{0}")]
    WrongState(String),
}

impl VerificationError {
    /// Stable numbered codes, 5xxx (the registry's rejection codes end at 4xxx).
    pub fn code(&self) -> u16 {
        match self {
            Self::Invalid(_) => 5001,
            Self::Unknown(_) => 5002,
            Self::NotAuthorised(_) => 5003,
            Self::Expired(_) => 5004,
            Self::Conflict(_) => 5005,
            Self::Rotation(_) => 5006,
            Self::WrongState(_) => 5007,
        }
    }
}

/// What a command did, for the journal's effects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationEffect {
    Recorded,
    StatementIssued {
        report: String,
        statement: Statement,
        /// t CO2e as a decimal string; present when the statement establishes them.
        verified_covered_co2e_t: Option<String>,
    },
}

type R<T> = Result<T, VerificationError>;

fn invalid<T>(m: impl Into<String>) -> R<T> {
    Err(VerificationError::Invalid(m.into()))
}

fn nonempty(field: &str, v: &str) -> R<()> {
    if v.trim().is_empty() || v.len() > 200 || v.chars().any(char::is_control) {
        return invalid(format!("{field} must be 1-200 printable characters"));
    }
    Ok(())
}

impl VerificationState {
    pub fn report(&self, id: &str) -> R<&ReportRecord> {
        self.reports.get(id).ok_or_else(|| {
            VerificationError::Unknown(format!("no report {id:?} has been submitted"))
        })
    }

    /// The programme's materiality rule.
    pub fn rule_for(&self, program: &str) -> MaterialityRule {
        if let Some(r) = self.rules.materiality.get(program) {
            return r.clone();
        }
        let name = match program {
            "ca-mrr" => "carb",
            "mx-rene" => "rene",
            other => other,
        };
        default_rule(name).unwrap_or_else(|| default_rule("tcr").expect("built in"))
    }

    fn valid_verifier(&self, id: &str, body: &str, today: &str) -> R<&Verifier> {
        let v = self
            .verifiers
            .get(id)
            .ok_or_else(|| VerificationError::Unknown(format!("no verifier {id:?}")))?;
        if v.body != body {
            return Err(VerificationError::Invalid(format!(
                "verifier {id:?} belongs to body {:?}, not {body:?}",
                v.body
            )));
        }
        if v.accredited_until.as_str() < today {
            return Err(VerificationError::Expired(format!(
                "verifier {id:?}'s accreditation expired on {}",
                v.accredited_until
            )));
        }
        Ok(v)
    }

    /// The verifier id of a registry user on the report's team, if any.
    fn team_member(&self, report: &ReportRecord, user: &str) -> Option<String> {
        let a = report.assignment.as_ref()?;
        a.team
            .iter()
            .chain(std::iter::once(&a.lead))
            .chain(a.sector_specialist.iter())
            .find(|v| self.verifiers.get(*v).is_some_and(|x| x.user == user))
            .cloned()
    }

    /// Checks then applies one command; on error the state is unchanged.
    pub fn apply(&mut self, cmd: &VerificationCommand, ctx: &Ctx<'_>) -> R<VerificationEffect> {
        use VerificationCommand::*;
        let regulator = |what: &str| -> R<()> {
            if ctx.actor_is_regulator {
                Ok(())
            } else {
                Err(VerificationError::NotAuthorised(format!(
                    "only a regulator may {what}"
                )))
            }
        };
        match cmd {
            SetRules { rules } => {
                regulator("set verification rules")?;
                if rules.max_consecutive_years == 0 {
                    return invalid("max_consecutive_years must be at least 1");
                }
                for (program, r) in &rules.materiality {
                    if r.materiality_pct <= Decimal::ZERO
                        || r.materiality_pct > Decimal::ONE_HUNDRED
                    {
                        return invalid(format!(
                            "materiality.{program}: materiality_pct must be in (0, 100]"
                        ));
                    }
                }
                self.rules = rules.clone();
            }
            RegisterBody {
                body,
                name,
                accredited_until,
            } => {
                regulator("accredit verification bodies")?;
                nonempty("body", body)?;
                nonempty("name", name)?;
                check_date("accredited_until", accredited_until)?;
                self.bodies.insert(
                    body.clone(),
                    Body {
                        name: name.clone(),
                        accredited_until: accredited_until.clone(),
                    },
                );
            }
            AccreditVerifier {
                verifier,
                body,
                name,
                user,
                accredited_until,
                sectors,
            } => {
                regulator("accredit verifiers")?;
                nonempty("verifier", verifier)?;
                nonempty("name", name)?;
                check_date("accredited_until", accredited_until)?;
                let b = self.bodies.get(body).ok_or_else(|| {
                    VerificationError::Unknown(format!("no verification body {body:?}"))
                })?;
                if accredited_until > &b.accredited_until {
                    return invalid(format!(
                        "a verifier's accreditation cannot outlast its body's ({})",
                        b.accredited_until
                    ));
                }
                if let Some(v) = self.verifiers.get(verifier)
                    && v.body != *body
                {
                    return invalid(format!(
                        "verifier {verifier:?} belongs to body {:?}",
                        v.body
                    ));
                }
                self.verifiers.insert(
                    verifier.clone(),
                    Verifier {
                        body: body.clone(),
                        name: name.clone(),
                        user: user.clone(),
                        accredited_until: accredited_until.clone(),
                        sectors: sectors.clone(),
                    },
                );
            }
            SubmitReport {
                report,
                facility,
                entity,
                jurisdiction,
                program,
                year,
                sector,
                digest,
                streams,
                covered_co2e_t,
            } => {
                nonempty("report", report)?;
                nonempty("facility", facility)?;
                if !(ctx.actor_represents)(entity) {
                    return Err(VerificationError::NotAuthorised(format!(
                        "the actor does not represent entity {entity:?}"
                    )));
                }
                if digest.len() != 64 || !digest.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return invalid("digest must be the report's SHA-256 in hex (64 characters)");
                }
                if streams.is_empty() {
                    return invalid("a report has at least one stream");
                }
                if streams.iter().any(|s| s.co2e_t < Decimal::ZERO)
                    || *covered_co2e_t < Decimal::ZERO
                {
                    return invalid("reported emissions cannot be negative");
                }
                let covered: Decimal = streams
                    .iter()
                    .filter(|s| s.scope == AssessmentScope::Covered)
                    .map(|s| s.co2e_t)
                    .sum();
                if covered != *covered_co2e_t {
                    return invalid(format!(
                        "covered_co2e_t {covered_co2e_t} differs from the covered streams' sum {covered}"
                    ));
                }
                let mut rec = ReportRecord {
                    facility: facility.clone(),
                    entity: entity.clone(),
                    jurisdiction: jurisdiction.clone(),
                    program: program.clone(),
                    year: *year,
                    sector: sector.clone(),
                    digest: digest.clone(),
                    streams: streams.clone(),
                    covered_co2e_t: *covered_co2e_t,
                    coi: Vec::new(),
                    assignment: None,
                    findings: Vec::new(),
                    reviewed: false,
                    statement: None,
                    submissions: 1,
                };
                if let Some(old) = self.reports.get(report) {
                    // A resubmission keeps the engagement and its findings; the verifier then
                    // marks what the new version corrects.
                    if old.statement.is_some() {
                        return Err(VerificationError::WrongState(format!(
                            "report {report:?} already has a statement"
                        )));
                    }
                    if (old.facility.as_str(), old.entity.as_str(), old.year)
                        != (facility.as_str(), entity.as_str(), *year)
                    {
                        return invalid(
                            "a resubmission keeps the report's facility, entity and year",
                        );
                    }
                    rec.coi = old.coi.clone();
                    rec.assignment = old.assignment.clone();
                    rec.findings = old.findings.clone();
                    rec.submissions = old.submissions + 1;
                }
                self.reports.insert(report.clone(), rec);
            }
            AssessConflict {
                report,
                body,
                level,
                mitigation,
            } => {
                regulator("assess conflicts of interest")?;
                let r = self.report(report)?;
                if !self.bodies.contains_key(body) {
                    return Err(VerificationError::Unknown(format!(
                        "no verification body {body:?}"
                    )));
                }
                if r.assignment.is_some() {
                    return Err(VerificationError::WrongState(
                        "the conflict of interest is assessed before assignment".into(),
                    ));
                }
                if *level == CoiLevel::Medium
                    && mitigation.as_deref().is_none_or(|m| m.trim().is_empty())
                {
                    return invalid("a medium conflict-of-interest rating needs a mitigation plan");
                }
                let r = self.reports.get_mut(report).expect("checked");
                r.coi.retain(|(b, _, _)| b != body);
                r.coi.push((body.clone(), *level, mitigation.clone()));
            }
            AssignVerification {
                report,
                body,
                lead,
                team,
                sector_specialist,
                independent_reviewer,
            } => {
                let r = self.report(report)?;
                if !ctx.actor_is_regulator {
                    // A body's own verifier may file the notice of verification services.
                    let acts_for_body = self
                        .verifiers
                        .values()
                        .any(|v| v.user == ctx.actor_user && v.body == *body);
                    if !acts_for_body {
                        return Err(VerificationError::NotAuthorised(
                            "only a regulator or a verifier of the body may assign it".into(),
                        ));
                    }
                }
                if r.assignment.is_some() {
                    return Err(VerificationError::WrongState(format!(
                        "report {report:?} is already assigned"
                    )));
                }
                let b = self.bodies.get(body).ok_or_else(|| {
                    VerificationError::Unknown(format!("no verification body {body:?}"))
                })?;
                if b.accredited_until < ctx.today {
                    return Err(VerificationError::Expired(format!(
                        "body {body:?}'s accreditation expired on {}",
                        b.accredited_until
                    )));
                }
                match r.coi.iter().find(|(x, _, _)| x == body) {
                    None => {
                        return Err(VerificationError::Conflict(format!(
                            "the conflict-of-interest potential of {body:?} for {report:?} has not been assessed (§95133(f))"
                        )));
                    }
                    Some((_, CoiLevel::High, _)) if self.rules.high_coi_blocks => {
                        return Err(VerificationError::Conflict(format!(
                            "{body:?} has a high conflict-of-interest potential for {report:?}"
                        )));
                    }
                    Some(_) => {}
                }
                // Rotation: consecutive years with this body, ending the year before.
                let years = self.verified_years.get(&(r.facility.clone(), body.clone()));
                let mut run = 0u16;
                while years.is_some_and(|y| y.contains(&(r.year.saturating_sub(run + 1))))
                    && run < r.year
                {
                    run += 1;
                }
                if run >= self.rules.max_consecutive_years {
                    return Err(VerificationError::Rotation(format!(
                        "{body:?} verified {} for the {run} consecutive years before {}; at most {} (§95130(a))",
                        r.facility, r.year, self.rules.max_consecutive_years
                    )));
                }
                let mut members: BTreeSet<&str> = BTreeSet::new();
                for v in std::iter::once(lead)
                    .chain(team.iter())
                    .chain(sector_specialist.iter())
                {
                    self.valid_verifier(v, body, &ctx.today)?;
                    members.insert(v);
                }
                self.valid_verifier(independent_reviewer, body, &ctx.today)?;
                if members.contains(independent_reviewer.as_str()) {
                    return invalid("the independent reviewer cannot be on the verification team");
                }
                if let Some(sector) = &r.sector
                    && self.rules.sectors_needing_specialist.contains(sector)
                {
                    let ok = sector_specialist.as_ref().is_some_and(|s| {
                        self.verifiers
                            .get(s)
                            .is_some_and(|v| v.sectors.contains(sector))
                    });
                    if !ok {
                        return invalid(format!(
                            "sector {sector:?} needs a sector-specific verifier accredited for it, other than the independent reviewer (§95131(a)(1)-(2))"
                        ));
                    }
                }
                self.reports.get_mut(report).expect("checked").assignment = Some(Assignment {
                    body: body.clone(),
                    lead: lead.clone(),
                    team: team.clone(),
                    sector_specialist: sector_specialist.clone(),
                    independent_reviewer: independent_reviewer.clone(),
                });
            }
            RecordFinding { report, finding } => {
                let r = self.in_engagement(report, ctx)?;
                nonempty("finding.id", &finding.id)?;
                if r.findings.iter().any(|f| f.id == finding.id) {
                    return invalid(format!("finding {:?} is already recorded", finding.id));
                }
                let mut f = finding.clone();
                f.corrected = false;
                self.reports
                    .get_mut(report)
                    .expect("checked")
                    .findings
                    .push(f);
            }
            CorrectFinding { report, finding } => {
                let r = self.in_engagement(report, ctx)?;
                if r.submissions < 2 {
                    return Err(VerificationError::WrongState(
                        "a finding is corrected by a resubmitted report".into(),
                    ));
                }
                let r = self.reports.get_mut(report).expect("checked");
                let f = r
                    .findings
                    .iter_mut()
                    .find(|f| f.id == *finding)
                    .ok_or_else(|| VerificationError::Unknown(format!("no finding {finding:?}")))?;
                f.corrected = true;
                r.reviewed = false; // the change needs review again
            }
            CompleteReview { report } => {
                let r = self.report(report)?;
                let a = r.assignment.as_ref().ok_or_else(|| {
                    VerificationError::WrongState(format!(
                        "report {report:?} has no verification team"
                    ))
                })?;
                let reviewer = self
                    .verifiers
                    .get(&a.independent_reviewer)
                    .expect("assigned verifiers exist");
                if reviewer.user != ctx.actor_user {
                    return Err(VerificationError::NotAuthorised(
                        "only the assigned independent reviewer completes the review".into(),
                    ));
                }
                if r.statement.is_some() {
                    return Err(VerificationError::WrongState(
                        "the statement is already issued".into(),
                    ));
                }
                self.reports.get_mut(report).expect("checked").reviewed = true;
            }
            IssueStatement { report } => {
                let r = self.report(report)?;
                let a = r.assignment.as_ref().ok_or_else(|| {
                    VerificationError::WrongState(format!(
                        "report {report:?} has no verification team"
                    ))
                })?;
                if self
                    .verifiers
                    .get(&a.lead)
                    .is_none_or(|v| v.user != ctx.actor_user)
                {
                    return Err(VerificationError::NotAuthorised(
                        "only the lead verifier issues the statement".into(),
                    ));
                }
                if r.statement.is_some() {
                    return Err(VerificationError::WrongState(
                        "the statement is already issued".into(),
                    ));
                }
                if !r.reviewed {
                    return Err(VerificationError::WrongState(
                        "the independent review is not complete".into(),
                    ));
                }
                let assessment = self.assessment(report)?;
                let body = a.body.clone();
                let r = self.reports.get_mut(report).expect("checked");
                r.statement = Some(assessment.statement);
                let (facility, year) = (r.facility.clone(), r.year);
                let verified = r
                    .verified_covered_co2e_t()
                    .map(|d| d.normalize().to_string());
                self.verified_years
                    .entry((facility, body))
                    .or_default()
                    .insert(year);
                return Ok(VerificationEffect::StatementIssued {
                    report: report.clone(),
                    statement: assessment.statement,
                    verified_covered_co2e_t: verified,
                });
            }
        }
        Ok(VerificationEffect::Recorded)
    }

    /// The report, if the actor is on its verification team and no statement is issued.
    fn in_engagement(&self, report: &str, ctx: &Ctx<'_>) -> R<&ReportRecord> {
        let r = self.report(report)?;
        if r.assignment.is_none() {
            return Err(VerificationError::WrongState(format!(
                "report {report:?} has no verification team"
            )));
        }
        if self.team_member(r, ctx.actor_user).is_none() {
            return Err(VerificationError::NotAuthorised(format!(
                "the actor is not on the verification team of {report:?}"
            )));
        }
        if r.statement.is_some() {
            return Err(VerificationError::WrongState(
                "the statement is already issued".into(),
            ));
        }
        Ok(r)
    }

    /// The materiality assessment of a report's current findings.
    pub fn assessment(&self, report: &str) -> R<Assessment> {
        let r = self.report(report)?;
        let mut reported: BTreeMap<AssessmentScope, Decimal> = BTreeMap::new();
        for s in &r.streams {
            *reported.entry(s.scope).or_default() += s.co2e_t;
        }
        Ok(assess(&reported, &r.findings, &self.rule_for(&r.program)))
    }
}
