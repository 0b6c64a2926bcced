//! Issuance: budgets, eligible accounts, serial numbering.

use crate::fixture::*;
use serde_json::json;
use tonne_core::limits::MAX_QUANTITY;
use tonne_registry::{Code, Loc};

fn issue(s: &str, q: u64, to: &str) -> serde_json::Value {
    json!({ "issue": { "series": sj(s), "quantity": q, "to": to } })
}

#[test]
fn issuance_up_to_the_budget_and_not_beyond() {
    let mut r = registry();
    let budget = 254_000_000;
    r.check(&[
        (REG_CA, issue(ALW26, budget - 1_000, CA_ISS), None),
        (
            REG_CA,
            issue(ALW26, 1_001, CA_ISS),
            Some(Code::QuantityOutOfRange),
        ),
        (REG_CA, issue(ALW26, 1_000, CA_ISS), None),
        (
            REG_CA,
            issue(ALW26, 1, CA_ISS),
            Some(Code::QuantityOutOfRange),
        ),
        // No budget, no allowances of that vintage.
        (
            REG_CA,
            issue("US-CA/ALW/2031", 1, CA_ISS),
            Some(Code::NoBudget),
        ),
        // A budget cannot drop below what is already issued; it may be raised.
        (
            REG_CA,
            json!({ "set_budget": { "jurisdiction": CA, "year": 2026, "allowances": budget - 1 } }),
            Some(Code::QuantityOutOfRange),
        ),
        (
            REG_CA,
            json!({ "set_budget": { "jurisdiction": CA, "year": 2026, "allowances": budget + 5 } }),
            None,
        ),
        (REG_CA, issue(ALW26, 5, CA_ISS), None),
        // Québec's budget is its own.
        (REG_QC, issue(QALW26, 49_520_000, QC_ISS), None),
        (
            REG_QC,
            issue(QALW26, 1, QC_ISS),
            Some(Code::QuantityOutOfRange),
        ),
        // Reserve allowances and price ceiling units are not counted against the budget.
        (REG_CA, issue("US-CA/RSV/2026", 1_000, CA_ISS), None),
        (REG_CA, issue("US-CA/PCU/NV", 1_000, CA_ISS), None),
        // Quantities are bounded.
        (
            REG_CA,
            issue(ALW24, 0, CA_ISS),
            Some(Code::QuantityOutOfRange),
        ),
        (
            REG_CA,
            issue(ALW24, MAX_QUANTITY + 1, CA_ISS),
            Some(Code::QuantityOutOfRange),
        ),
        (
            REG_CA,
            json!({ "set_budget": { "jurisdiction": CA, "year": 1999, "allowances": 1 } }),
            Some(Code::InvalidField),
        ),
    ]);
    assert_eq!(r.state.series[&series(ALW26)], budget + 5);
    assert_eq!(bal(&r.state, CA_ISS, ALW26), (budget + 5, 0));
}

#[test]
fn instruments_are_issued_only_into_eligible_accounts() {
    let mut r = registry();
    r.check(&[
        (
            REG_CA,
            issue(ALW26, 10, CE1_H),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            REG_CA,
            issue(ALW26, 10, CA_AUC),
            Some(Code::AccountTypeNotEligible),
        ),
        // A Californian regulator cannot issue into Québec's issuance account.
        (
            REG_CA,
            issue(ALW26, 10, QC_ISS),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            REG_CA,
            issue(ALW26, 10, "CA-NOPE"),
            Some(Code::UnknownAccount),
        ),
        (
            REG_CA,
            issue("MX-BCN/ALW/2026", 10, CA_ISS),
            Some(Code::UnknownJurisdiction),
        ),
        // ARB offset credits go to the operator's holding account (or issuance, forest buffer).
        (
            REG_CA,
            issue(OFF, 10, CE1_C),
            Some(Code::AccountTypeNotEligible),
        ),
        (REG_CA, issue(OFF, 10, CE1_H), None),
        (
            REG_CA,
            json!({ "freeze_account": { "account": CA_ISS, "reason": "maintenance" } }),
            None,
        ),
        (REG_CA, issue(ALW26, 10, CA_ISS), Some(Code::AccountFrozen)),
    ]);
}

#[test]
fn offsets_are_issued_only_into_linked_jurisdictions() {
    let mut r = Setup {
        link_effective: None,
        ..Setup::default()
    }
    .build();
    r.check(&[
        (REG_CA, issue(OFF, 10, CE2_H), Some(Code::NotLinked)),
        (REG_CA, issue(OFF, 10, CE1_H), None),
        (
            ADMIN,
            json!({ "link": { "a": CA, "b": QC, "effective": "2026-01-01T00:00:00Z" } }),
            None,
        ),
        (REG_CA, issue(OFF, 10, CE2_H), None),
    ]);
    assert_eq!(bal(&r.state, CE2_H, OFF), (10, 0));
}

#[test]
fn serial_numbers_continue_and_rows_split_and_merge() {
    let mut r = registry();
    let e = r.issue(ALW26, 100);
    assert_eq!(e, vec![moved(ALW26, (1, 100), Loc::Unissued, acct(CA_ISS))]);
    let e = r.issue(ALW26, 50);
    assert_eq!(
        e,
        vec![moved(ALW26, (101, 150), Loc::Unissued, acct(CA_ISS))]
    );
    // Each series numbers from 1.
    let e = r.issue(ALW27, 7);
    assert_eq!(e, vec![moved(ALW27, (1, 7), Loc::Unissued, acct(CA_ISS))]);
    assert_eq!(
        rows_at(&r.state, &acct(CA_ISS)),
        vec![(ALW26.into(), 1, 150), (ALW27.into(), 1, 7)]
    );

    // Lowest serials first.
    let e = r.ok(REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CA_AUC, "legs": [qty(ALW26, 30)], "reason": "auction" } }));
    assert_eq!(e, vec![moved(ALW26, (1, 30), acct(CA_ISS), acct(CA_AUC))]);
    // Explicit ranges split the holding.
    let e = r.ok(REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CA_AUC, "legs": [ranges(ALW26, &[(40, 49), (60, 69)])], "reason": "auction" } }));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (40, 49), acct(CA_ISS), acct(CA_AUC)),
            moved(ALW26, (60, 69), acct(CA_ISS), acct(CA_AUC))
        ]
    );
    assert_eq!(
        rows_at(&r.state, &acct(CA_ISS)),
        vec![
            (ALW26.into(), 31, 39),
            (ALW26.into(), 50, 59),
            (ALW26.into(), 70, 150),
            (ALW27.into(), 1, 7)
        ]
    );
    assert_eq!(
        rows_at(&r.state, &acct(CA_AUC)),
        vec![
            (ALW26.into(), 1, 30),
            (ALW26.into(), 40, 49),
            (ALW26.into(), 60, 69)
        ]
    );
    // A quantity takes the lowest serials across fragments.
    let e = r.ok(REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CA_AUC, "legs": [qty(ALW26, 19)], "reason": "auction" } }));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (31, 39), acct(CA_ISS), acct(CA_AUC)),
            moved(ALW26, (50, 59), acct(CA_ISS), acct(CA_AUC))
        ]
    );
    // Neighbouring serials merge back into one row.
    assert_eq!(
        rows_at(&r.state, &acct(CA_AUC)),
        vec![(ALW26.into(), 1, 69)]
    );
    // More issuance continues after the highest serial ever issued.
    let e = r.issue(ALW26, 1);
    assert_eq!(
        e,
        vec![moved(ALW26, (151, 151), Loc::Unissued, acct(CA_ISS))]
    );
    assert_eq!(
        rows_at(&r.state, &acct(CA_ISS)),
        vec![(ALW26.into(), 70, 151), (ALW27.into(), 1, 7)]
    );
}

#[test]
fn legs_are_validated() {
    let mut r = registry();
    r.issue(ALW26, 100);
    let exec = |legs: serde_json::Value| json!({ "execute_transfer": { "from": CA_ISS, "to": CA_AUC, "legs": legs, "reason": "x" } });
    r.check(&[
        (REG_CA, exec(json!([])), Some(Code::InvalidField)),
        (REG_CA, exec(json!([qty(ALW26, 1), qty(ALW26, 1)])), Some(Code::InvalidField)),
        (REG_CA, exec(json!([{ "series": sj(ALW26) }])), Some(Code::InvalidField)),
        (REG_CA, exec(json!([{ "series": sj(ALW26), "quantity": 1, "ranges": [[1, 1]] }])), Some(Code::InvalidField)),
        (REG_CA, exec(json!([ranges(ALW26, &[(1, 10), (5, 12)])])), Some(Code::InvalidField)),
        (REG_CA, exec(json!([qty(ALW27, 1)])), Some(Code::UnknownSeries)),
        (REG_CA, exec(json!([qty(ALW26, 101)])), Some(Code::InsufficientHolding)),
        (REG_CA, exec(json!([ranges(ALW26, &[(90, 101)])])), Some(Code::SerialsNotHeld)),
        (REG_CA, exec(json!([qty(ALW26, 0)])), Some(Code::QuantityOutOfRange)),
        (REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CA_ISS, "legs": [qty(ALW26, 1)], "reason": "x" } }), Some(Code::InvalidField)),
        (REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CA_AUC, "legs": [qty(ALW26, 1)], "reason": "" } }), Some(Code::InvalidField)),
        (REG_CA, exec(json!([qty(ALW26, 100)])), None),
        // Nothing returns to the issuance account, not even by the regulator.
        (REG_CA, json!({ "execute_transfer": { "from": CA_AUC, "to": CA_ISS, "legs": [qty(ALW26, 1)], "reason": "x" } }), Some(Code::AccountTypeNotEligible)),
    ]);
    // Serial ranges are checked when the command is parsed.
    let bad = json!({ "v": 1, "key": "k", "ts": "2026-01-05T18:00:00Z", "actor": REG_CA,
        "cmd": { "execute_transfer": { "from": CA_ISS, "to": CA_AUC, "legs": [{ "series": sj(ALW26), "ranges": [[5, 4]] }], "reason": "x" } } });
    assert!(serde_json::from_value::<tonne_registry::Envelope>(bad).is_err());
}
