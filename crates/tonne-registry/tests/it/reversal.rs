//! Reversal of journal entries that moved instruments.

use crate::fixture::*;
use serde_json::json;
use tonne_core::{GroupId, ObligationId};
use tonne_registry::command::ReversalSource;
use tonne_registry::{Code, Effect, Loc};

#[test]
fn reverse_an_executed_regulator_transfer_once() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    let issue_seq = r.state.seq - 1; // issuance is not reversible
    r.ok(REG_CA, json!({ "execute_transfer": { "from": CE1_H, "to": VAE_H, "legs": [qty(ALW26, 40)], "reason": "wrong account" } }));
    let seq = r.state.seq;
    let source = r.reversal_source(seq);
    assert_eq!(source.moves.len(), 1);
    let mut tampered = source.clone();
    tampered.moves[0].to = acct(CE2_H);
    let rev = |orig: Option<&ReversalSource>, reason: &str| json!({ "reverse": { "seq": seq, "reason": reason, "original": orig } });
    r.check(&[
        (REG_CA, rev(Some(&source), ""), Some(Code::InvalidField)),
        (REG_CA, rev(None, "wrong account"), Some(Code::UnknownEntry)),
        (
            REG_CA,
            rev(Some(&tampered), "wrong account"),
            Some(Code::UnknownEntry),
        ),
        (
            REG_QC,
            rev(Some(&source), "wrong account"),
            Some(Code::NotAuthorized),
        ),
        (
            ALICE,
            rev(Some(&source), "wrong account"),
            Some(Code::NotAuthorized),
        ),
        (
            REG_CA,
            json!({ "reverse": { "seq": issue_seq, "reason": "x", "original": source } }),
            Some(Code::NotReversible),
        ),
        (
            REG_CA,
            json!({ "reverse": { "seq": 999_999, "reason": "x", "original": source } }),
            Some(Code::NotReversible),
        ),
    ]);
    let e = r.ok(REG_CA, r.reverse_cmd(seq));
    assert_eq!(e, vec![moved(ALW26, (1, 40), acct(VAE_H), acct(CE1_H))]);
    assert_eq!(bal(&r.state, CE1_H, ALW26), (100, 0));
    assert_eq!(bal(&r.state, VAE_H, ALW26), (0, 0));
    r.rejects(REG_CA, r.reverse_cmd(seq), Code::AlreadyReversed);
    // A reversal is itself not reversible.
    let rseq = r.state.seq;
    r.rejects(
        REG_CA,
        json!({ "reverse": { "seq": rseq, "reason": "x", "original": source } }),
        Code::NotReversible,
    );
}

#[test]
fn reversal_needs_the_serials_still_in_place() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.ok(REG_CA, json!({ "execute_transfer": { "from": CE1_H, "to": VAE_H, "legs": [qty(ALW26, 10)], "reason": "r" } }));
    let seq = r.state.seq;
    r.ok(ERIN, json!({ "retire": { "account": VAE_H, "legs": [qty(ALW26, 5)], "beneficiary": "b", "purpose": "p" } }));
    r.rejects(REG_CA, r.reverse_cmd(seq), Code::SerialsNotHeld);
}

#[test]
fn reverse_an_accepted_transfer_request() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.propose(
        ALICE,
        "t1",
        CE1_H,
        CE2_H,
        json!([ranges(ALW26, &[(10, 19), (30, 39)])]),
    )
    .unwrap();
    r.ok(BOB, json!({ "confirm_transfer": { "transfer": "t1" } }));
    r.ok(CAROL, json!({ "accept_transfer": { "transfer": "t1" } }));
    let seq = r.state.seq;
    // The state records the executed moves as leaving the sending account, not escrow.
    let source = r.reversal_source(seq);
    assert_eq!(
        source
            .moves
            .iter()
            .map(|m| Effect::Moved(m.clone()))
            .collect::<Vec<_>>(),
        vec![
            moved(ALW26, (10, 19), acct(CE1_H), acct(CE2_H)),
            moved(ALW26, (30, 39), acct(CE1_H), acct(CE2_H))
        ]
    );
    // The raw effects (out of escrow) are not what was recorded.
    let raw = ReversalSource {
        command: source.command.clone(),
        moves: r
            .entry(seq)
            .effects
            .iter()
            .filter_map(|e| {
                if let Effect::Moved(m) = e {
                    Some(m.clone())
                } else {
                    None
                }
            })
            .collect(),
    };
    r.rejects(
        REG_CA,
        json!({ "reverse": { "seq": seq, "reason": "fraud", "original": raw } }),
        Code::UnknownEntry,
    );
    // The sender's regulator reverses it.
    r.rejects(REG_QC, r.reverse_cmd(seq), Code::NotAuthorized);
    let e = r.ok(REG_CA, r.reverse_cmd(seq));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (10, 19), acct(CE2_H), acct(CE1_H)),
            moved(ALW26, (30, 39), acct(CE2_H), acct(CE1_H))
        ]
    );
    assert_eq!(
        rows_at(&r.state, &acct(CE1_H)),
        vec![(ALW26.into(), 1, 100)]
    );
    r.rejects(REG_CA, r.reverse_cmd(seq), Code::AlreadyReversed);
}

#[test]
fn reverse_a_surrender_restores_the_obligation() {
    let mut r = registry();
    let ob = ObligationId::parse("ob1").unwrap();
    let group = GroupId::parse("ce-ca").unwrap();
    r.ok(REG_CA, json!({ "record_obligation": {
        "obligation": "ob1", "entity": "ce-ca", "jurisdiction": CA, "label": "CP5", "first_year": 2024, "last_year": 2026, "quantity": 500
    }}));
    r.give(ALW26, 500, CE1_C);
    r.ok(REG_CA, json!({ "surrender": { "obligation": "ob1", "account": CE1_C, "legs": [qty(ALW26, 300)] } }));
    let seq = r.state.seq;
    assert_eq!(r.state.obligations[&ob].surrendered, 300);
    assert_eq!(r.state.groups[&group].exemption(), 200);
    assert_eq!(r.state.groups[&group].vintages[&2026], (0, 200));
    let e = r.ok(REG_CA, r.reverse_cmd(seq));
    assert_eq!(e, vec![moved(ALW26, (1, 300), Loc::Retired, acct(CE1_C))]);
    assert_eq!(r.state.obligations[&ob].surrendered, 0);
    assert_eq!(r.state.groups[&group].exemption(), 500);
    assert_eq!(r.state.groups[&group].vintages[&2026], (0, 500));
    assert_eq!(bal(&r.state, CE1_C, ALW26), (500, 0));
    r.rejects(REG_CA, r.reverse_cmd(seq), Code::AlreadyReversed);
    // The whole obligation can be surrendered again.
    r.ok(REG_CA, json!({ "surrender": { "obligation": "ob1", "account": CE1_C, "legs": [qty(ALW26, 500)] } }));
}

#[test]
fn reverse_retirement_and_cancellation() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.ok(ALICE, json!({ "retire": { "account": CE1_H, "legs": [qty(ALW26, 10)], "beneficiary": "b", "purpose": "p" } }));
    let retire_seq = r.state.seq;
    r.ok(REG_CA, json!({ "cancel": { "account": CE1_H, "legs": [qty(ALW26, 10)], "reason": "court order" } }));
    let cancel_seq = r.state.seq;
    assert_eq!(bal(&r.state, CE1_H, ALW26), (80, 0));
    assert_eq!(
        r.ok(REG_CA, r.reverse_cmd(cancel_seq)),
        vec![moved(ALW26, (11, 20), Loc::Cancelled, acct(CE1_H))]
    );
    assert_eq!(
        r.ok(REG_CA, r.reverse_cmd(retire_seq)),
        vec![moved(ALW26, (1, 10), Loc::Retired, acct(CE1_H))]
    );
    assert_eq!(
        rows_at(&r.state, &acct(CE1_H)),
        vec![(ALW26.into(), 1, 100)]
    );
}

#[test]
fn one_tick_executing_several_delayed_transfers_reverses_as_one_entry() {
    let mut r = Setup {
        rules: json!({ "trusted_accounts": { "activation_business_days": 4, "untrusted_delay_hours": 26, "untrusted_max_quantity": null } }),
        ..Setup::default()
    }
    .build();
    r.give(ALW26, 100, CE1_H);
    for (id, to, q) in [("t1", VAE_H, 10), ("t2", CE2_H, 20)] {
        r.propose(ALICE, id, CE1_H, to, json!([qty(ALW26, q)]))
            .unwrap();
        r.ok(BOB, json!({ "confirm_transfer": { "transfer": id } }));
    }
    assert_eq!(
        r.ok(ERIN, json!({ "accept_transfer": { "transfer": "t1" } })),
        vec![status("t1", "delayed")]
    );
    assert_eq!(
        r.ok(CAROL, json!({ "accept_transfer": { "transfer": "t2" } })),
        vec![status("t2", "delayed")]
    );
    r.advance_hours(26);
    let e = r.ok(SYSTEM, json!({ "tick": {} }));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 10), escrow("t1"), acct(VAE_H)),
            status("t1", "executed"),
            moved(ALW26, (11, 30), escrow("t2"), acct(CE2_H)),
            status("t2", "executed"),
        ]
    );
    let seq = r.state.seq;
    assert_eq!(r.reversal_source(seq).moves.len(), 2);
    let e = r.ok(REG_CA, r.reverse_cmd(seq));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 10), acct(VAE_H), acct(CE1_H)),
            moved(ALW26, (11, 30), acct(CE2_H), acct(CE1_H))
        ]
    );
    assert_eq!(bal(&r.state, CE1_H, ALW26), (100, 0));
}
