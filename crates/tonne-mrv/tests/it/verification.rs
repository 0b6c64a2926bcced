//! The verification workflow end to end: accreditation, conflict of interest, assignment with
//! rotation and team rules, findings, review and the statement the materiality rule gives.

use rust_decimal_macros::dec;
use tonne_mrv::verification::materiality::{
    AssessmentScope, Finding, FindingKind, MisstatementClass, Statement,
};
use tonne_mrv::verification::workflow::{
    CoiLevel, Ctx, ReportedStream, VerificationCommand as C, VerificationEffect, VerificationError,
    VerificationState,
};

fn ctx<'a>(
    user: &'a str,
    regulator: bool,
    today: &str,
    represents: &'a dyn Fn(&str) -> bool,
) -> Ctx<'a> {
    Ctx {
        actor_user: user,
        actor_is_regulator: regulator,
        actor_represents: represents,
        today: today.into(),
    }
}

fn submit(report: &str, year: u16, covered: rust_decimal::Decimal) -> C {
    C::SubmitReport {
        report: report.into(),
        facility: "FAC-1".into(),
        entity: "ENT-1".into(),
        jurisdiction: "US-CA".into(),
        program: "ca-mrr".into(),
        year,
        sector: None,
        digest: "ab".repeat(32),
        streams: vec![
            ReportedStream {
                id: "kiln".into(),
                scope: AssessmentScope::Covered,
                co2e_t: covered,
            },
            ReportedStream {
                id: "wood".into(),
                scope: AssessmentScope::NonCovered,
                co2e_t: dec!(1000),
            },
        ],
        covered_co2e_t: covered,
    }
}

struct World {
    s: VerificationState,
}

impl World {
    fn new() -> Self {
        let mut w = Self {
            s: VerificationState::default(),
        };
        w.reg(C::RegisterBody {
            body: "VB1".into(),
            name: "Body one".into(),
            accredited_until: "2040-12-31".into(),
        });
        for (v, u) in [("lead", "u-lead"), ("member", "u-member"), ("rev", "u-rev")] {
            w.reg(C::AccreditVerifier {
                verifier: v.into(),
                body: "VB1".into(),
                name: v.into(),
                user: u.into(),
                accredited_until: "2040-12-31".into(),
                sectors: vec!["cement".into()],
            });
        }
        w
    }
    fn run(
        &mut self,
        user: &str,
        regulator: bool,
        cmd: C,
    ) -> Result<VerificationEffect, VerificationError> {
        let rep = |e: &str| e == "ENT-1" && user == "u-reporter";
        let before = self.s.clone();
        let r = self
            .s
            .apply(&cmd, &ctx(user, regulator, "2025-06-01", &rep));
        // A refused step changes nothing (the registry relies on it: no copy before applying).
        if r.is_err() {
            assert_eq!(self.s, before, "{cmd:?} was refused but changed the state");
        }
        r
    }
    fn reg(&mut self, cmd: C) {
        self.run("u-reg", true, cmd).unwrap();
    }
    fn engage(&mut self, report: &str, year: u16) {
        self.run("u-reporter", false, submit(report, year, dec!(100000)))
            .unwrap();
        self.reg(C::AssessConflict {
            report: report.into(),
            body: "VB1".into(),
            level: CoiLevel::Low,
            mitigation: None,
        });
        self.reg(C::AssignVerification {
            report: report.into(),
            body: "VB1".into(),
            lead: "lead".into(),
            team: vec!["member".into()],
            sector_specialist: None,
            independent_reviewer: "rev".into(),
        });
    }
    fn finish(&mut self, report: &str) -> VerificationEffect {
        self.run(
            "u-rev",
            false,
            C::CompleteReview {
                report: report.into(),
            },
        )
        .unwrap();
        self.run(
            "u-lead",
            false,
            C::IssueStatement {
                report: report.into(),
            },
        )
        .unwrap()
    }
}

fn misstatement(id: &str, amount: rust_decimal::Decimal) -> Finding {
    Finding {
        id: id.into(),
        kind: FindingKind::Misstatement {
            stream: "kiln".into(),
            scope: AssessmentScope::Covered,
            amount_t: amount,
            class: MisstatementClass::Discrepancy,
        },
        corrected: false,
    }
}

#[test]
fn clean_report_gets_a_positive_statement_and_verified_covered_emissions() {
    let mut w = World::new();
    w.engage("R-2024", 2024);
    let eff = w.finish("R-2024");
    assert_eq!(
        eff,
        VerificationEffect::StatementIssued {
            report: "R-2024".into(),
            statement: Statement::Positive,
            verified_covered_co2e_t: Some("100000".into()),
        }
    );
}

#[test]
fn material_misstatement_is_adverse_until_corrected_by_resubmission() {
    let mut w = World::new();
    w.engage("R", 2024);
    // 6 % of covered emissions: material under CARB's 5 % (UNVERIFIED default).
    w.run(
        "u-member",
        false,
        C::RecordFinding {
            report: "R".into(),
            finding: misstatement("f1", dec!(6000)),
        },
    )
    .unwrap();
    assert_eq!(w.s.assessment("R").unwrap().statement, Statement::Adverse);
    // Not on the team: refused.
    let e = w
        .run(
            "u-reporter",
            false,
            C::RecordFinding {
                report: "R".into(),
                finding: misstatement("f2", dec!(1)),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), 5003);
    // Correcting needs a resubmission first.
    assert_eq!(
        w.run(
            "u-lead",
            false,
            C::CorrectFinding {
                report: "R".into(),
                finding: "f1".into()
            }
        )
        .unwrap_err()
        .code(),
        5007
    );
    w.run("u-reporter", false, submit("R", 2024, dec!(106000)))
        .unwrap();
    w.run(
        "u-lead",
        false,
        C::CorrectFinding {
            report: "R".into(),
            finding: "f1".into(),
        },
    )
    .unwrap();
    w.run(
        "u-member",
        false,
        C::RecordFinding {
            report: "R".into(),
            finding: misstatement("f3", dec!(-100)),
        },
    )
    .unwrap();
    // The statement waits for the independent review.
    assert_eq!(
        w.run("u-lead", false, C::IssueStatement { report: "R".into() })
            .unwrap_err()
            .code(),
        5007
    );
    let eff = w.finish("R");
    assert_eq!(
        eff,
        VerificationEffect::StatementIssued {
            report: "R".into(),
            statement: Statement::QualifiedPositive,
            verified_covered_co2e_t: Some("106000".into()),
        }
    );
}

#[test]
fn conflict_of_interest_gates_assignment() {
    let mut w = World::new();
    w.run("u-reporter", false, submit("R", 2024, dec!(5)))
        .unwrap();
    let assign = C::AssignVerification {
        report: "R".into(),
        body: "VB1".into(),
        lead: "lead".into(),
        team: vec![],
        sector_specialist: None,
        independent_reviewer: "rev".into(),
    };
    assert_eq!(
        w.run("u-reg", true, assign.clone()).unwrap_err().code(),
        5005,
        "not assessed"
    );
    w.reg(C::AssessConflict {
        report: "R".into(),
        body: "VB1".into(),
        level: CoiLevel::High,
        mitigation: None,
    });
    assert_eq!(
        w.run("u-reg", true, assign.clone()).unwrap_err().code(),
        5005,
        "high"
    );
    let medium = C::AssessConflict {
        report: "R".into(),
        body: "VB1".into(),
        level: CoiLevel::Medium,
        mitigation: None,
    };
    assert_eq!(
        w.run("u-reg", true, medium).unwrap_err().code(),
        5001,
        "medium needs a plan"
    );
    w.reg(C::AssessConflict {
        report: "R".into(),
        body: "VB1".into(),
        level: CoiLevel::Medium,
        mitigation: Some("separate team".into()),
    });
    // The reviewer may not be on the team.
    let bad = C::AssignVerification {
        report: "R".into(),
        body: "VB1".into(),
        lead: "lead".into(),
        team: vec!["rev".into()],
        sector_specialist: None,
        independent_reviewer: "rev".into(),
    };
    assert_eq!(w.run("u-reg", true, bad).unwrap_err().code(), 5001);
    w.run("u-reg", true, assign).unwrap();
    // Only a regulator assesses conflicts; the reporter cannot.
    assert_eq!(
        w.run(
            "u-reporter",
            false,
            C::AssessConflict {
                report: "R".into(),
                body: "VB1".into(),
                level: CoiLevel::Low,
                mitigation: None
            }
        )
        .unwrap_err()
        .code(),
        5003
    );
}

#[test]
fn one_body_verifies_at_most_six_consecutive_years() {
    let mut w = World::new();
    for year in 2018..2024 {
        let id = format!("R-{year}");
        w.engage(&id, year);
        w.finish(&id);
    }
    w.run("u-reporter", false, submit("R-2024", 2024, dec!(100000)))
        .unwrap();
    w.reg(C::AssessConflict {
        report: "R-2024".into(),
        body: "VB1".into(),
        level: CoiLevel::Low,
        mitigation: None,
    });
    let e = w
        .run(
            "u-reg",
            true,
            C::AssignVerification {
                report: "R-2024".into(),
                body: "VB1".into(),
                lead: "lead".into(),
                team: vec![],
                sector_specialist: None,
                independent_reviewer: "rev".into(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), 5006, "{e}");
}

#[test]
fn expired_accreditation_and_bad_input_are_refused() {
    let mut w = World::new();
    w.reg(C::RegisterBody {
        body: "OLD".into(),
        name: "Old body".into(),
        accredited_until: "2020-01-01".into(),
    });
    let e = w
        .run(
            "u-reg",
            true,
            C::RegisterBody {
                body: "X".into(),
                name: "X".into(),
                accredited_until: "2025-13-01".into(),
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("YYYY-MM-DD"), "{e}");
    w.run("u-reporter", false, submit("R", 2024, dec!(5)))
        .unwrap();
    w.reg(C::AssessConflict {
        report: "R".into(),
        body: "OLD".into(),
        level: CoiLevel::Low,
        mitigation: None,
    });
    let e = w
        .run(
            "u-reg",
            true,
            C::AssignVerification {
                report: "R".into(),
                body: "OLD".into(),
                lead: "lead".into(),
                team: vec![],
                sector_specialist: None,
                independent_reviewer: "rev".into(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), 5004);
    // Someone who does not represent the entity cannot submit its report.
    assert_eq!(
        w.run("u-member", false, submit("R2", 2024, dec!(5)))
            .unwrap_err()
            .code(),
        5003
    );
    let mut bad = submit("R3", 2024, dec!(5));
    if let C::SubmitReport { covered_co2e_t, .. } = &mut bad {
        *covered_co2e_t = dec!(6);
    }
    assert_eq!(w.run("u-reporter", false, bad).unwrap_err().code(), 5001);
}

/// Materiality is per-programme configuration: at 10 % (net), the 6 % misstatement that is
/// adverse under the 5 % default becomes a qualified positive statement.
#[test]
fn materiality_rule_is_configurable_by_the_regulator() {
    use tonne_mrv::table::Mark;
    use tonne_mrv::verification::materiality::{Aggregation, MaterialityRule};
    use tonne_mrv::verification::workflow::VerificationRules;
    let mut w = World::new();
    let mut rules = VerificationRules::default();
    rules.materiality.insert(
        "ca-mrr".into(),
        MaterialityRule {
            name: "custom".into(),
            materiality_pct: dec!(10),
            aggregation: Aggregation::Net,
            mark: Mark::Unverified,
            source: "test".into(),
        },
    );
    let set = C::SetRules { rules };
    assert_eq!(
        w.run("u-lead", false, set.clone()).unwrap_err().code(),
        5003
    );
    w.reg(set);
    w.engage("R", 2024);
    w.run(
        "u-member",
        false,
        C::RecordFinding {
            report: "R".into(),
            finding: misstatement("f1", dec!(6000)),
        },
    )
    .unwrap();
    assert_eq!(
        w.s.assessment("R").unwrap().statement,
        Statement::QualifiedPositive
    );
}
