//! The `submit_report` verification command for a facility report file: the file's SHA-256
//! digest, one stream per direct or imported source, and the covered total — what
//! `tonne mrv submission` prints and the demo journals.

use crate::report::{self, SourceScope};
use crate::verification::materiality::AssessmentScope;
use crate::verification::workflow::{ReportedStream, VerificationCommand};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("not UTF-8 text")]
    NotText,
    #[error("{0}")]
    Report(String),
    #[error("facility.{0} is required to submit a report")]
    Missing(&'static str),
}

/// Builds the submission of `bytes` (a `tonne-mrv-report/1` JSON file) as report `report_id`.
pub fn submission(
    bytes: &[u8],
    report_id: &str,
    sector: Option<String>,
) -> Result<VerificationCommand, SubmissionError> {
    let text = std::str::from_utf8(bytes).map_err(|_| SubmissionError::NotText)?;
    let input =
        report::input::parse_json(text).map_err(|e| SubmissionError::Report(e.to_string()))?;
    let r = report::compute(&input).map_err(|errs| {
        let list: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        SubmissionError::Report(list.join("; "))
    })?;
    let entity = r
        .facility
        .entity
        .clone()
        .ok_or(SubmissionError::Missing("entity"))?;
    let jurisdiction = r
        .facility
        .jurisdiction
        .clone()
        .ok_or(SubmissionError::Missing("jurisdiction"))?;
    let streams: Vec<ReportedStream> = r
        .sources
        .iter()
        .filter(|s| s.scope != SourceScope::Indirect)
        .map(|s| ReportedStream {
            id: s.id.clone(),
            scope: if s.covered {
                AssessmentScope::Covered
            } else {
                AssessmentScope::NonCovered
            },
            co2e_t: s.co2e_t.normalize(),
        })
        .collect();
    let covered: rust_decimal::Decimal = streams
        .iter()
        .filter(|s| s.scope == AssessmentScope::Covered)
        .map(|s| s.co2e_t)
        .sum();
    Ok(VerificationCommand::SubmitReport {
        report: report_id.to_owned(),
        facility: r.facility.id.clone(),
        entity,
        jurisdiction,
        program: r.program.as_str().to_owned(),
        year: r.reporting_year,
        sector,
        digest: hex::encode(Sha256::digest(bytes)),
        streams,
        covered_co2e_t: covered.normalize(),
    })
}
