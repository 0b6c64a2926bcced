//! Who may do what: administrators, regulators per jurisdiction, representatives, viewers.

use crate::fixture::*;
use serde_json::json;
use tonne_registry::Code;

#[test]
fn a_participant_cannot_issue_or_act_as_regulator() {
    let mut r = registry();
    r.check(&[
        (ALICE, json!({ "issue": { "series": sj(ALW26), "quantity": 10, "to": CA_ISS } }), Some(Code::NotAuthorized)),
        (ALICE, json!({ "set_budget": { "jurisdiction": CA, "year": 2031, "allowances": 193_800_000 } }), Some(Code::NotAuthorized)),
        (ALICE, json!({ "register_entity": { "entity": "x", "jurisdiction": CA, "name": "X", "entity_type": "covered" } }), Some(Code::NotAuthorized)),
        (ALICE, json!({ "freeze_account": { "account": CE1_H, "reason": "self" } }), Some(Code::NotAuthorized)),
        (ALICE, json!({ "execute_transfer": { "from": CA_ISS, "to": CE1_H, "legs": [qty(ALW26, 1)], "reason": "help myself" } }), Some(Code::NotAuthorized)),
        (ALICE, json!({ "tick": {} }), Some(Code::NotAuthorized)),
        // The scheduler only ticks.
        (SYSTEM, json!({ "issue": { "series": sj(ALW26), "quantity": 10, "to": CA_ISS } }), Some(Code::NotAuthorized)),
        (SYSTEM, json!({ "tick": {} }), None),
        // The administrator configures but does not run a programme.
        (ADMIN, json!({ "issue": { "series": sj(ALW26), "quantity": 10, "to": CA_ISS } }), Some(Code::NotAuthorized)),
        (REG_CA, json!({ "issue": { "series": sj(ALW26), "quantity": 10, "to": CA_ISS } }), None),
    ]);
    assert_eq!(r.state.series[&series(ALW26)], 10);
}

#[test]
fn a_viewing_agent_cannot_propose_retire_or_trust() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    let rej = r
        .propose(VIEWER, "t1", CE1_H, VAE_H, json!([qty(ALW26, 10)]))
        .unwrap_err();
    assert_eq!(rej.code, Code::NotAuthorized);
    r.check(&[
        (VIEWER, json!({ "retire": { "account": CE1_H, "legs": [qty(ALW26, 1)], "beneficiary": "me", "purpose": "x" } }), Some(Code::NotAuthorized)),
        // Another entity's representative neither.
        (ERIN, json!({ "retire": { "account": CE1_H, "legs": [qty(ALW26, 1)], "beneficiary": "me", "purpose": "x" } }), Some(Code::NotAuthorized)),
    ]);
    r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 10)]))
        .unwrap();
    // A viewer cannot confirm either, even though it is attached to the account.
    r.rejects(
        VIEWER,
        json!({ "confirm_transfer": { "transfer": "t1" } }),
        Code::NotAuthorized,
    );
    r.ok(BOB, json!({ "confirm_transfer": { "transfer": "t1" } }));
}

#[test]
fn a_regulator_of_the_other_jurisdiction_cannot_act() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.give(OFF, 100, CE1_H);
    r.check(&[
        (REG_QC, json!({ "issue": { "series": sj(ALW26), "quantity": 10, "to": CA_ISS } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "set_budget": { "jurisdiction": CA, "year": 2031, "allowances": 193_800_000 } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "register_entity": { "entity": "x", "jurisdiction": CA, "name": "X", "entity_type": "covered" } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "open_account": { "account": "CA-CE1-X", "entity": "ce-ca", "account_type": "exchange_clearing_holding" } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "set_representative": { "account": CE1_H, "user": CAROL, "role": "alternate" } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "remove_representative": { "account": CE1_H, "user": BOB } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "freeze_account": { "account": CE1_H, "reason": "audit" } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "set_corporate_association": { "entity": "ce-ca", "group": "g1" } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "execute_transfer": { "from": CE1_H, "to": CE2_H, "legs": [qty(ALW26, 1)], "reason": "x" } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "allocate": { "from": CA_ISS, "to": CE1_H, "legs": [qty(ALW26, 1)] } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "cancel": { "account": CE1_H, "legs": [qty(ALW26, 1)], "reason": "x" } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "invalidate": { "series": sj(OFF), "ranges": [[1, 1]], "reason": "x" } }), Some(Code::NotAuthorized)),
        (REG_QC, json!({ "record_obligation": { "obligation": "ob1", "entity": "ce-ca", "jurisdiction": CA, "label": "CP5-2026", "first_year": 2026, "last_year": 2026, "quantity": 10 } }), Some(Code::NotAuthorized)),
        // Recording an obligation in its own name for another jurisdiction's entity would let it
        // surrender (remove) instruments from that entity's compliance account.
        (REG_QC, json!({ "record_obligation": { "obligation": "ob1", "entity": "ce-ca", "jurisdiction": QC, "label": "CP5-2026", "first_year": 2026, "last_year": 2026, "quantity": 10 } }), Some(Code::NotAuthorized)),
        (REG_CA, json!({ "record_obligation": { "obligation": "ob1", "entity": "ce-ca", "jurisdiction": CA, "label": "CP5-2026", "first_year": 2026, "last_year": 2026, "quantity": 10 } }), None),
        (REG_QC, json!({ "surrender": { "obligation": "ob1", "account": CE1_C, "legs": [qty(ALW26, 1)] } }), Some(Code::NotAuthorized)),
        // Representatives of government accounts are that jurisdiction's regulators.
        (REG_CA, json!({ "set_representative": { "account": CA_AUC, "user": REG_QC, "role": "alternate" } }), Some(Code::NotAuthorized)),
        (REG_CA, json!({ "set_representative": { "account": CA_AUC, "user": ALICE, "role": "alternate" } }), Some(Code::NotAuthorized)),
        (REG_CA, json!({ "set_representative": { "account": CE1_H, "user": REG_CA, "role": "alternate" } }), Some(Code::NotAuthorized)),
        (REG_CA, json!({ "set_representative": { "account": CE1_H, "user": SYSTEM, "role": "alternate" } }), Some(Code::NotAuthorized)),
        // Each regulator still acts in its own jurisdiction.
        (REG_CA, json!({ "freeze_account": { "account": CE1_H, "reason": "audit" } }), None),
        (REG_QC, json!({ "unfreeze_account": { "account": CE1_H, "reason": "audit" } }), Some(Code::NotAuthorized)),
        (REG_CA, json!({ "unfreeze_account": { "account": CE1_H, "reason": "audit done" } }), None),
    ]);
}

#[test]
fn representatives_and_accounts_follow_the_regulation() {
    let mut r = registry();
    r.check(&[
        // REG-§95832: one primary, up to four alternates.
        (REG_CA, json!({ "set_representative": { "account": CE1_H, "user": ERIN, "role": "primary" } }), Some(Code::InvalidField)),
        (REG_CA, json!({ "set_representative": { "account": CE1_H, "user": CAROL, "role": "alternate" } }), None),
        (REG_CA, json!({ "set_representative": { "account": CE1_H, "user": DAVE, "role": "alternate" } }), None),
        (REG_CA, json!({ "set_representative": { "account": CE1_H, "user": ERIN, "role": "alternate" } }), None),
        (REG_CA, json!({ "set_representative": { "account": CE1_H, "user": FRANK, "role": "alternate" } }), Some(Code::InvalidField)),
        (REG_CA, json!({ "set_representative": { "account": CE1_H, "user": "nobody", "role": "alternate" } }), Some(Code::UnknownUser)),
        (REG_CA, json!({ "set_representative": { "account": "CA-NOPE", "user": ERIN, "role": "alternate" } }), Some(Code::UnknownAccount)),
        (REG_CA, json!({ "remove_representative": { "account": CE1_H, "user": FRANK } }), Some(Code::UnknownUser)),
        // REG-§95831: which entity opens which account, at most one of each type.
        (REG_CA, json!({ "open_account": { "account": "CA-VAE-C", "entity": "vae-ca", "account_type": "compliance" } }), Some(Code::AccountTypeNotEligible)),
        (REG_CA, json!({ "open_account": { "account": "CA-CE1-I", "entity": "ce-ca", "account_type": "issuance" } }), Some(Code::AccountTypeNotEligible)),
        (REG_CA, json!({ "open_account": { "account": "CA-CE1-H2", "entity": "ce-ca", "account_type": "holding" } }), Some(Code::DuplicateId)),
        (REG_CA, json!({ "open_account": { "account": CE1_H, "entity": "gov-ca", "account_type": "reserve" } }), Some(Code::DuplicateId)),
        (REG_CA, json!({ "open_account": { "account": "CA-X", "entity": "nobody", "account_type": "holding" } }), Some(Code::UnknownEntity)),
        (REG_CA, json!({ "register_entity": { "entity": "ce-ca", "jurisdiction": CA, "name": "Again", "entity_type": "covered" } }), Some(Code::DuplicateId)),
    ]);
    // A removed representative can no longer act; one left is not enough to propose.
    r.give(ALW26, 10, CE1_H);
    r.ok(
        REG_CA,
        json!({ "remove_representative": { "account": CE1_H, "user": ALICE } }),
    );
    for u in [CAROL, DAVE, ERIN] {
        r.ok(
            REG_CA,
            json!({ "remove_representative": { "account": CE1_H, "user": u } }),
        );
    }
    assert_eq!(
        r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 1)]))
            .unwrap_err()
            .code,
        Code::NotAuthorized
    );
    assert_eq!(
        r.propose(BOB, "t1", CE1_H, VAE_H, json!([qty(ALW26, 1)]))
            .unwrap_err()
            .code,
        Code::NeedsTwoRepresentatives
    );
}
