//! Material misstatement (reference/mrv.md §5.4): per reporting scope, aggregate the
//! verifier's differences and omissions, compare with the programme's materiality threshold,
//! and decide the statement. Threshold and aggregation mode both change outcomes, so both are
//! per-programme configuration.

use crate::num::ser_json_number;
use crate::table::Mark;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// E = Σ|e_s| + Σ e_k: errors never offset (TCR's "absolute value basis").
    Absolute,
    /// E = |Σ e_s + Σ e_k|.
    Net,
}

/// The reporting scopes assessed separately (covered / non-covered for CARB; Scope 1 / 2 for
/// TCR and RENE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentScope {
    Covered,
    NonCovered,
    Scope1,
    Scope2,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialityRule {
    pub name: String,
    /// Percent of reported emissions in a scope above which a misstatement is material.
    pub materiality_pct: Decimal,
    pub aggregation: Aggregation,
    pub mark: Mark,
    pub source: String,
}

fn rule(
    name: &str,
    pct: Decimal,
    aggregation: Aggregation,
    mark: Mark,
    source: &str,
) -> MaterialityRule {
    MaterialityRule {
        name: name.into(),
        materiality_pct: pct,
        aggregation,
        mark,
        source: source.into(),
    }
}

/// The default rules of reference/mrv.md §5.4 (all configurable).
pub fn default_rule(name: &str) -> Option<MaterialityRule> {
    use Aggregation::*;
    Some(match name {
        // Threshold and aggregation mode UNVERIFIED (§95102 / §95131(b)–(c) not confirmed).
        "carb" => rule(
            "carb",
            dec!(5.0),
            Absolute,
            Mark::Unverified,
            "17 CCR §95131 (5 % and absolute aggregation UNVERIFIED)",
        ),
        // The Climate Registry GRP Ch. 19: 5 % on an absolute-value basis (VERIFIED).
        "tcr" => rule(
            "tcr",
            dec!(5.0),
            Absolute,
            Mark::Verified,
            "TCR General Reporting Protocol Ch. 19",
        ),
        // Reg. (EU) 600/2012 Art. 23 (VERIFIED); carry-over to 2018/2067 UNVERIFIED;
        // aggregation mode configurable (Net here).
        "eu_a" | "eu_b" => rule(
            name,
            dec!(5.0),
            Net,
            Mark::Verified,
            "Reg. (EU) 600/2012 Art. 23 (category A/B)",
        ),
        "eu_c" => rule(
            "eu_c",
            dec!(2.0),
            Net,
            Mark::Verified,
            "Reg. (EU) 600/2012 Art. 23 (category C)",
        ),
        // RENE: 5 % as a default setting (UNVERIFIED).
        "rene" => rule(
            "rene",
            dec!(5.0),
            Absolute,
            Mark::Unverified,
            "RENE verification (5 % default UNVERIFIED)",
        ),
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MisstatementClass {
    /// Wrong factor, unit or formula.
    Discrepancy,
    /// Data entry or transcription.
    Misreporting,
    /// A source found but not reported (always ≥ 0).
    Omission,
}

/// Qualitative findings that are material whatever their size (reference/mrv.md §5.4 step 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualitativeFlag {
    WrongTier,
    WrongGwpSet,
    MissingDataProcedureMisapplied,
    MeterNotCalibrated,
}

/// Externally tagged (no `flatten` or internal tags) so it journals in postcard as well as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// verified − reported for a stream, t CO2e (signed); for an omission, the omitted amount.
    Misstatement {
        stream: String,
        scope: AssessmentScope,
        #[serde(with = "rust_decimal::serde::str")]
        amount_t: Decimal,
        class: MisstatementClass,
    },
    Nonconformity {
        description: String,
        #[serde(default)]
        flag: Option<QualitativeFlag>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub kind: FindingKind,
    /// Corrected in a resubmitted report: no longer counts.
    #[serde(default)]
    pub corrected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statement {
    Positive,
    /// Non-conformances that are not material ("verified with comments" in the EU).
    QualifiedPositive,
    Adverse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeAssessment {
    pub scope: AssessmentScope,
    #[serde(serialize_with = "ser_json_number")]
    pub reported_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub misstatement_t: Decimal,
    /// `None` when nothing was reported in the scope (then any misstatement is material).
    pub pct: Option<String>,
    pub material: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub rule: MaterialityRule,
    pub scopes: Vec<ScopeAssessment>,
    pub qualitative_flags: Vec<QualitativeFlag>,
    pub uncorrected_nonconformities: usize,
    pub statement: Statement,
}

/// Assesses `findings` against `reported` emissions per scope under `rule`.
pub fn assess(
    reported: &BTreeMap<AssessmentScope, Decimal>,
    findings: &[Finding],
    rule: &MaterialityRule,
) -> Assessment {
    let mut per: BTreeMap<AssessmentScope, (Decimal, Decimal)> = BTreeMap::new(); // (Σ|e|, Σe)
    let mut flags = Vec::new();
    let mut nonconformities = 0;
    for f in findings.iter().filter(|f| !f.corrected) {
        match &f.kind {
            FindingKind::Misstatement {
                scope,
                amount_t,
                class,
                ..
            } => {
                let e = if *class == MisstatementClass::Omission {
                    amount_t.abs()
                } else {
                    *amount_t
                };
                let slot = per.entry(*scope).or_default();
                slot.0 += e.abs();
                slot.1 += e;
            }
            FindingKind::Nonconformity { flag, .. } => {
                nonconformities += 1;
                if let Some(q) = flag
                    && !flags.contains(q)
                {
                    flags.push(*q);
                }
            }
        }
    }
    let mut scopes: Vec<AssessmentScope> = reported.keys().copied().collect();
    scopes.extend(per.keys().filter(|s| !reported.contains_key(s)));
    scopes.sort();
    let scopes: Vec<ScopeAssessment> = scopes
        .into_iter()
        .map(|scope| {
            let reported_t = reported.get(&scope).copied().unwrap_or_default();
            let (abs, net) = per.get(&scope).copied().unwrap_or_default();
            let e = match rule.aggregation {
                Aggregation::Absolute => abs,
                Aggregation::Net => net.abs(),
            };
            let (pct, material) = if reported_t.is_zero() {
                (None, !e.is_zero())
            } else {
                let pct = dec!(100) * e / reported_t;
                (
                    Some(pct.round_dp(4).normalize().to_string()),
                    pct > rule.materiality_pct,
                )
            };
            ScopeAssessment {
                scope,
                reported_t,
                misstatement_t: e,
                pct,
                material,
            }
        })
        .collect();
    let statement = if !flags.is_empty() || scopes.iter().any(|s| s.material) {
        Statement::Adverse
    } else if nonconformities > 0 || scopes.iter().any(|s| !s.misstatement_t.is_zero()) {
        Statement::QualifiedPositive
    } else {
        Statement::Positive
    };
    Assessment {
        rule: rule.clone(),
        scopes,
        qualitative_flags: flags,
        uncorrected_nonconformities: nonconformities,
        statement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mis(id: &str, scope: AssessmentScope, amount: Decimal, class: MisstatementClass) -> Finding {
        Finding {
            id: id.into(),
            kind: FindingKind::Misstatement {
                stream: id.into(),
                scope,
                amount_t: amount,
                class,
            },
            corrected: false,
        }
    }

    /// +4 % and −3 % on one scope: 7 % absolute (material at 5 %), 1 % net (not material) —
    /// the aggregation mode alone changes the outcome (reference/mrv.md §5.4).
    #[test]
    fn aggregation_changes_the_outcome() {
        let reported = BTreeMap::from([(AssessmentScope::Covered, dec!(100000))]);
        let findings = [
            mis(
                "a",
                AssessmentScope::Covered,
                dec!(4000),
                MisstatementClass::Discrepancy,
            ),
            mis(
                "b",
                AssessmentScope::Covered,
                dec!(-3000),
                MisstatementClass::Misreporting,
            ),
        ];
        let abs = assess(&reported, &findings, &default_rule("tcr").unwrap());
        assert_eq!(abs.scopes[0].misstatement_t, dec!(7000));
        assert_eq!(abs.statement, Statement::Adverse);
        let net = assess(&reported, &findings, &default_rule("eu_a").unwrap());
        assert_eq!(net.scopes[0].misstatement_t, dec!(1000));
        assert_eq!(net.statement, Statement::QualifiedPositive);
        // 3 % is material under the 2 % category C rule.
        let c = assess(&reported, &findings[..1], &default_rule("eu_c").unwrap());
        assert_eq!(c.statement, Statement::Adverse);
    }

    #[test]
    fn scopes_are_separate_and_flags_are_material() {
        let reported = BTreeMap::from([
            (AssessmentScope::Covered, dec!(100000)),
            (AssessmentScope::NonCovered, dec!(1000)),
        ]);
        // 60 t is 0.06 % of covered but 6 % of non-covered.
        let f = [mis(
            "o",
            AssessmentScope::NonCovered,
            dec!(60),
            MisstatementClass::Omission,
        )];
        let a = assess(&reported, &f, &default_rule("carb").unwrap());
        assert!(!a.scopes[0].material && a.scopes[1].material);
        assert_eq!(a.statement, Statement::Adverse);
        // Exactly 5 % is not "more than 5 %".
        let f = [mis(
            "o",
            AssessmentScope::NonCovered,
            dec!(50),
            MisstatementClass::Omission,
        )];
        assert_eq!(
            assess(&reported, &f, &default_rule("carb").unwrap()).statement,
            Statement::QualifiedPositive
        );
        let flag = Finding {
            id: "t".into(),
            kind: FindingKind::Nonconformity {
                description: "Tier 1 used above 250 mmBtu/hr".into(),
                flag: Some(QualitativeFlag::WrongTier),
            },
            corrected: false,
        };
        assert_eq!(
            assess(
                &reported,
                std::slice::from_ref(&flag),
                &default_rule("carb").unwrap()
            )
            .statement,
            Statement::Adverse
        );
        let fixed = Finding {
            corrected: true,
            ..flag
        };
        assert_eq!(
            assess(&reported, &[fixed], &default_rule("carb").unwrap()).statement,
            Statement::Positive
        );
    }
}
