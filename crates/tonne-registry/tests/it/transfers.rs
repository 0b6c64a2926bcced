//! The REG-§95921 transfer workflow and account-type eligibility.

use crate::fixture::*;
use serde_json::json;
use tonne_registry::Code;

fn confirm(t: &str) -> serde_json::Value {
    json!({ "confirm_transfer": { "transfer": t } })
}
fn accept(t: &str) -> serde_json::Value {
    json!({ "accept_transfer": { "transfer": t } })
}

#[test]
fn propose_confirm_accept_executes() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    // A secondary-market trade discloses price and settlement date.
    let e = r.ok(ALICE, json!({ "propose_transfer": {
        "transfer": "t1", "from": CE1_H, "to": CE2_H, "legs": [qty(ALW26, 40)],
        "transaction_type": "secondary",
        "price": { "unit_price_minor": 2_975, "currency": "USD" }, "settlement_date": "2026-01-09"
    }}));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 40), acct(CE1_H), escrow("t1")),
            status("t1", "proposed")
        ]
    );
    // Escrowed serials still belong to the sender, but are not free.
    assert_eq!(bal(&r.state, CE1_H, ALW26), (60, 40));
    assert_eq!(
        rows_at(&r.state, &escrow("t1")),
        vec![(ALW26.into(), 1, 40)]
    );

    r.check(&[
        // The receiver cannot accept before the sender's second representative confirms.
        (CAROL, accept("t1"), Some(Code::TransferNotPending)),
        // Confirmation: another representative of the transferring entity.
        (CAROL, confirm("t1"), Some(Code::NotAuthorized)),
        (ALICE, confirm("t1"), Some(Code::SameRepresentative)),
        (BOB, confirm("t2"), Some(Code::UnknownTransfer)),
    ]);
    assert_eq!(r.ok(BOB, confirm("t1")), vec![status("t1", "confirmed")]);
    r.check(&[
        (BOB, confirm("t1"), Some(Code::TransferNotPending)),
        // Acceptance: a representative of the receiving account.
        (BOB, accept("t1"), Some(Code::NotAuthorized)),
        (REG_QC, accept("t1"), Some(Code::NotAuthorized)),
    ]);
    let e = r.ok(DAVE, accept("t1"));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 40), escrow("t1"), acct(CE2_H)),
            status("t1", "executed")
        ]
    );
    assert_eq!(bal(&r.state, CE1_H, ALW26), (60, 0));
    assert_eq!(bal(&r.state, CE2_H, ALW26), (40, 0));
    assert!(rows_at(&r.state, &escrow("t1")).is_empty());
    let tr = &r.state.transfers[&transfer("t1")];
    assert_eq!(
        (
            tr.proposer.as_str(),
            tr.confirmer.as_ref().map(|u| u.as_str())
        ),
        (ALICE, Some(BOB))
    );
    r.check(&[
        (DAVE, accept("t1"), Some(Code::TransferNotPending)),
        (
            ALICE,
            json!({ "cancel_transfer": { "transfer": "t1", "reason": "too late" } }),
            Some(Code::TransferNotPending),
        ),
        // Transfer ids are never reused.
        (
            ALICE,
            propose_json(&r.state, "t1", CE1_H, CE2_H, json!([qty(ALW26, 1)])),
            Some(Code::DuplicateId),
        ),
    ]);
}

#[test]
fn transfer_terms_are_checked() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    let p = |tt: &str, to: &str, extra: serde_json::Value| {
        let mut v = json!({ "transfer": "t1", "from": CE1_H, "to": to, "legs": [qty(ALW26, 1)], "transaction_type": tt });
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({ "propose_transfer": v })
    };
    let price = json!({ "price": { "unit_price_minor": 3_000, "currency": "USD" }, "settlement_date": "2026-01-09" });
    r.check(&[
        (ALICE, p("own_accounts", VAE_H, json!({})), Some(Code::InvalidField)),
        (ALICE, p("secondary", CE1_C, price.clone()), Some(Code::InvalidField)),
        (ALICE, p("secondary", VAE_H, json!({})), Some(Code::InvalidField)),
        (ALICE, p("exchange", VAE_H, json!({ "price": { "unit_price_minor": 3_000, "currency": "USD" } })), Some(Code::InvalidField)),
        (ALICE, p("secondary", VAE_H, json!({ "price": { "unit_price_minor": 3_000, "currency": "usd" }, "settlement_date": "2026-01-09" })), Some(Code::InvalidField)),
        (ALICE, p("secondary", VAE_H, json!({ "price": { "unit_price_minor": 3_000, "currency": "USD" }, "settlement_date": "9 Jan 2026" })), Some(Code::InvalidField)),
        (ALICE, p("no_consideration", VAE_H, json!({ "price": { "unit_price_minor": 1, "currency": "USD" } })), Some(Code::InvalidField)),
        (ALICE, p("secondary", "CA-NOPE", price.clone()), Some(Code::UnknownAccount)),
        (ALICE, p("no_consideration", VAE_H, json!({})), None),
    ]);
}

#[test]
fn no_acceptance_between_an_entitys_own_accounts() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    let e = r.ok(
        ALICE,
        propose_json(&r.state, "t1", CE1_H, CE1_C, json!([qty(ALW26, 25)])),
    );
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 25), acct(CE1_H), escrow("t1")),
            status("t1", "proposed")
        ]
    );
    // Confirmation by the second representative executes at once.
    let e = r.ok(BOB, confirm("t1"));
    assert_eq!(
        e,
        vec![
            status("t1", "confirmed"),
            moved(ALW26, (1, 25), escrow("t1"), acct(CE1_C)),
            status("t1", "executed")
        ]
    );
    assert_eq!(bal(&r.state, CE1_C, ALW26), (25, 0));
    assert!(!r.state.transfers[&transfer("t1")].needs_acceptance);
}

#[test]
fn confirmation_window_expires_and_tick_returns_escrow() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 10)]))
        .unwrap();
    r.propose(ALICE, "t2", CE1_H, VAE_H, json!([qty(ALW26, 20)]))
        .unwrap();
    let proposed = r.now;
    // Two days to confirm (calendar days by default): the last instant is still in time.
    r.advance_hours(48);
    r.ok(BOB, confirm("t2"));
    r.advance_secs(1);
    let rej = r.rejects(BOB, confirm("t1"), Code::WindowExpired);
    assert!(
        rej.message.contains(&proposed.plus_days(2).to_string()),
        "{rej}"
    );
    // Still open until the scheduler runs; the acceptance window of t2 is still open too.
    assert_eq!(bal(&r.state, CE1_H, ALW26), (70, 30));
    let e = r.ok(SYSTEM, json!({ "tick": {} }));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 10), escrow("t1"), acct(CE1_H)),
            status("t1", "expired")
        ]
    );
    assert_eq!(bal(&r.state, CE1_H, ALW26), (80, 20));
    r.rejects(BOB, confirm("t1"), Code::TransferNotPending);
    // Three days from the request to accept.
    r.advance_hours(24);
    r.rejects(ERIN, accept("t2"), Code::WindowExpired);
    let e = r.ok(REG_CA, json!({ "tick": {} }));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (11, 30), escrow("t2"), acct(CE1_H)),
            status("t2", "expired")
        ]
    );
    assert_eq!(bal(&r.state, CE1_H, ALW26), (100, 0));
    assert_eq!(
        rows_at(&r.state, &acct(CE1_H)),
        vec![(ALW26.into(), 1, 100)]
    );
    // A tick with nothing due does nothing.
    assert!(r.ok(SYSTEM, json!({ "tick": {} })).is_empty());
}

#[test]
fn windows_in_business_days() {
    let mut r = Setup {
        rules: json!({ "windows_in_business_days": true, "confirm_window_days": 2, "accept_window_days": 3 }),
        ..Setup::default()
    }
    .build();
    r.give(ALW26, 100, CE1_H);
    // Friday 2026-01-16 10:00 in California; Monday 19 is a holiday there.
    r.at("2026-01-16T18:00:00Z");
    r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 10)]))
        .unwrap();
    let tr = &r.state.transfers[&transfer("t1")];
    assert_eq!(tr.confirm_by, ts("2026-01-21T18:00:00Z")); // Tue 20, Wed 21
    assert_eq!(tr.accept_by, ts("2026-01-22T18:00:00Z"));
    r.at("2026-01-21T18:00:00Z");
    r.ok(BOB, confirm("t1"));
    r.at("2026-01-22T18:00:01Z");
    r.rejects(ERIN, accept("t1"), Code::WindowExpired);
}

#[test]
fn decline_and_cancel_return_escrow() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 10)]))
        .unwrap();
    r.propose(ALICE, "t2", CE1_H, VAE_H, json!([qty(ALW26, 10)]))
        .unwrap();
    r.propose(ALICE, "t3", CE1_H, VAE_H, json!([qty(ALW26, 10)]))
        .unwrap();
    r.ok(BOB, confirm("t1"));
    assert_eq!(bal(&r.state, CE1_H, ALW26), (70, 30));
    r.check(&[
        (
            ERIN,
            json!({ "decline_transfer": { "transfer": "t1", "reason": "" } }),
            Some(Code::InvalidField),
        ),
        (
            ALICE,
            json!({ "decline_transfer": { "transfer": "t1", "reason": "no" } }),
            Some(Code::NotAuthorized),
        ),
        (
            ERIN,
            json!({ "cancel_transfer": { "transfer": "t2", "reason": "not mine" } }),
            Some(Code::NotAuthorized),
        ),
        (
            REG_QC,
            json!({ "cancel_transfer": { "transfer": "t2", "reason": "not mine" } }),
            Some(Code::NotAuthorized),
        ),
        (
            VIEWER,
            json!({ "cancel_transfer": { "transfer": "t2", "reason": "not mine" } }),
            Some(Code::NotAuthorized),
        ),
    ]);
    let e = r.ok(
        ERIN,
        json!({ "decline_transfer": { "transfer": "t1", "reason": "price changed" } }),
    );
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 10), escrow("t1"), acct(CE1_H)),
            status("t1", "declined")
        ]
    );
    // The proposer, or the other representative, or the sender's regulator may cancel.
    let e = r.ok(
        BOB,
        json!({ "cancel_transfer": { "transfer": "t2", "reason": "typo" } }),
    );
    assert_eq!(
        e,
        vec![
            moved(ALW26, (11, 20), escrow("t2"), acct(CE1_H)),
            status("t2", "cancelled")
        ]
    );
    let e = r.ok(
        REG_CA,
        json!({ "cancel_transfer": { "transfer": "t3", "reason": "suspicious" } }),
    );
    assert_eq!(
        e,
        vec![
            moved(ALW26, (21, 30), escrow("t3"), acct(CE1_H)),
            status("t3", "cancelled")
        ]
    );
    assert_eq!(bal(&r.state, CE1_H, ALW26), (100, 0));
    assert_eq!(
        rows_at(&r.state, &acct(CE1_H)),
        vec![(ALW26.into(), 1, 100)]
    );
    r.rejects(
        ERIN,
        json!({ "decline_transfer": { "transfer": "t1", "reason": "again" } }),
        Code::TransferNotPending,
    );
}

#[test]
fn escrowed_serials_cannot_be_spent_twice() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 100)]))
        .unwrap();
    let rej = r
        .propose(ALICE, "t2", CE1_H, CE2_H, json!([qty(ALW26, 1)]))
        .unwrap_err();
    assert_eq!(rej.code, Code::InsufficientHolding);
    let rej = r
        .propose(ALICE, "t2", CE1_H, CE2_H, json!([ranges(ALW26, &[(5, 5)])]))
        .unwrap_err();
    assert_eq!(rej.code, Code::SerialsNotHeld);
    // Nor retired, cancelled or moved by the regulator while in escrow.
    r.check(&[
        (ALICE, json!({ "retire": { "account": CE1_H, "legs": [qty(ALW26, 1)], "beneficiary": "b", "purpose": "p" } }), Some(Code::InsufficientHolding)),
        (REG_CA, json!({ "cancel": { "account": CE1_H, "legs": [ranges(ALW26, &[(1, 1)])], "reason": "r" } }), Some(Code::SerialsNotHeld)),
        (REG_CA, json!({ "execute_transfer": { "from": CE1_H, "to": CA_AUC, "legs": [qty(ALW26, 1)], "reason": "r" } }), Some(Code::InsufficientHolding)),
    ]);
    // An account cannot be closed while it holds instruments or has open transfers.
    r.rejects(
        REG_CA,
        json!({ "close_account": { "account": CE1_H, "reason": "r" } }),
        Code::InvalidField,
    );
    r.rejects(
        REG_CA,
        json!({ "close_account": { "account": VAE_H, "reason": "r" } }),
        Code::InvalidField,
    );
    // Once the first request is cancelled the serials are free again.
    r.ok(
        ALICE,
        json!({ "cancel_transfer": { "transfer": "t1", "reason": "changed mind" } }),
    );
    r.propose(ALICE, "t2", CE1_H, CE2_H, json!([ranges(ALW26, &[(5, 5)])]))
        .unwrap();
}

#[test]
fn explicit_ranges_and_lowest_first() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    let e = r
        .propose(
            ALICE,
            "t1",
            CE1_H,
            VAE_H,
            json!([ranges(ALW26, &[(50, 59), (90, 90)])]),
        )
        .unwrap();
    assert_eq!(
        e,
        vec![
            moved(ALW26, (50, 59), acct(CE1_H), escrow("t1")),
            moved(ALW26, (90, 90), acct(CE1_H), escrow("t1")),
            status("t1", "proposed")
        ]
    );
    let e = r
        .propose(ALICE, "t2", CE1_H, VAE_H, json!([qty(ALW26, 55)]))
        .unwrap();
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 49), acct(CE1_H), escrow("t2")),
            moved(ALW26, (60, 65), acct(CE1_H), escrow("t2")),
            status("t2", "proposed")
        ]
    );
    assert_eq!(
        rows_at(&r.state, &acct(CE1_H)),
        vec![(ALW26.into(), 66, 89), (ALW26.into(), 91, 100)]
    );
    assert_eq!(r.state.transfers[&transfer("t1")].quantity, 11);
    r.ok(BOB, confirm("t1"));
    let e = r.ok(ERIN, accept("t1"));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (50, 59), escrow("t1"), acct(VAE_H)),
            moved(ALW26, (90, 90), escrow("t1"), acct(VAE_H)),
            status("t1", "executed")
        ]
    );
    assert_eq!(
        rows_at(&r.state, &acct(VAE_H)),
        vec![(ALW26.into(), 50, 59), (ALW26.into(), 90, 90)]
    );
}

#[test]
fn a_transfer_can_carry_several_series() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.give(QALW26, 50, CE1_H);
    r.give(OFF, 30, CE1_H);
    r.propose(
        ALICE,
        "t1",
        CE1_H,
        CE2_H,
        json!([qty(ALW26, 10), qty(QALW26, 5), ranges(OFF, &[(3, 4)])]),
    )
    .unwrap();
    r.ok(BOB, confirm("t1"));
    r.ok(CAROL, accept("t1"));
    assert_eq!(bal(&r.state, CE2_H, ALW26), (10, 0));
    assert_eq!(bal(&r.state, CE2_H, QALW26), (5, 0));
    assert_eq!(bal(&r.state, CE2_H, OFF), (2, 0));
    assert_eq!(r.state.transfers[&transfer("t1")].quantity, 17);
}

#[test]
fn limited_use_holding_sends_only_to_auction_holding() {
    let mut r = registry();
    r.issue(ALW26, 1_000);
    // Direct allocation is the only way in.
    r.ok(
        REG_CA,
        json!({ "allocate": { "from": CA_ISS, "to": CE1_L, "legs": [qty(ALW26, 100)] } }),
    );
    r.give(ALW26, 10, CE1_H);
    r.rejects(
        ALICE,
        propose_json(&r.state, "t0", CE1_H, CE1_L, json!([qty(ALW26, 1)])),
        Code::AccountTypeNotEligible,
    );
    r.rejects(
        ALICE,
        propose_json(&r.state, "t1", CE1_L, CE1_H, json!([qty(ALW26, 10)])),
        Code::AccountTypeNotEligible,
    );
    r.rejects(
        ALICE,
        propose_json(&r.state, "t1", CE1_L, VAE_H, json!([qty(ALW26, 10)])),
        Code::AccountTypeNotEligible,
    );
    // Consignment to the auction: the auction account's representative (the regulator) accepts.
    r.ok(ALICE, json!({ "propose_transfer": {
        "transfer": "t1", "from": CE1_L, "to": CA_AUC, "legs": [qty(ALW26, 100)], "transaction_type": "no_consideration"
    }}));
    r.ok(BOB, confirm("t1"));
    r.rejects(ALICE, accept("t1"), Code::NotAuthorized);
    r.ok(REG_CA, accept("t1"));
    assert_eq!(bal(&r.state, CA_AUC, ALW26), (100, 0));
    // Other accounts cannot send to jurisdiction accounts.
    r.rejects(
        ALICE,
        propose_json(&r.state, "t2", CE1_H, CA_AUC, json!([qty(ALW26, 1)])),
        Code::AccountTypeNotEligible,
    );
    // And government accounts do not send by request.
    r.rejects(
        REG_CA,
        propose_json(&r.state, "t2", CA_AUC, CE1_H, json!([qty(ALW26, 1)])),
        Code::NeedsTwoRepresentatives,
    );
    r.ok(ADMIN, json!({ "add_user": { "user": "reg-ca2", "name": "Second registrar", "role": { "regulator": { "jurisdiction": CA } } } }));
    r.ok(REG_CA, json!({ "set_representative": { "account": CA_AUC, "user": "reg-ca2", "role": "alternate" } }));
    r.rejects(
        REG_CA,
        propose_json(&r.state, "t2", CA_AUC, CE1_H, json!([qty(ALW26, 1)])),
        Code::AccountTypeNotEligible,
    );
}

#[test]
fn compliance_accounts_cannot_send_by_request() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_C);
    r.give(ALW26, 100, VAE_H);
    r.rejects(
        ALICE,
        propose_json(&r.state, "t1", CE1_C, CE1_H, json!([qty(ALW26, 1)])),
        Code::AccountTypeNotEligible,
    );
    r.rejects(
        ALICE,
        propose_json(&r.state, "t1", CE1_C, CE2_H, json!([qty(ALW26, 1)])),
        Code::AccountTypeNotEligible,
    );
    // Nor receive from another entity.
    r.rejects(
        ERIN,
        propose_json(&r.state, "t1", VAE_H, CE1_C, json!([qty(ALW26, 1)])),
        Code::AccountTypeNotEligible,
    );
    // The regulator may move instruments out of a compliance account.
    r.ok(REG_CA, json!({ "execute_transfer": { "from": CE1_C, "to": CE1_H, "legs": [qty(ALW26, 1)], "reason": "correction" } }));
}

#[test]
fn frozen_and_closed_accounts() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    r.ok(
        REG_CA,
        json!({ "freeze_account": { "account": CE1_H, "reason": "investigation" } }),
    );
    assert_eq!(
        r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 1)]))
            .unwrap_err()
            .code,
        Code::AccountFrozen
    );
    r.rejects(ALICE, json!({ "retire": { "account": CE1_H, "legs": [qty(ALW26, 1)], "beneficiary": "b", "purpose": "p" } }), Code::AccountFrozen);
    r.rejects(REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CE1_H, "legs": [qty(ALW26, 1)], "reason": "r" } }), Code::InsufficientHolding);
    r.issue(ALW26, 1);
    r.rejects(REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CE1_H, "legs": [qty(ALW26, 1)], "reason": "r" } }), Code::AccountFrozen);
    // The regulator can still move instruments out of a frozen account.
    r.ok(REG_CA, json!({ "execute_transfer": { "from": CE1_H, "to": CA_AUC, "legs": [qty(ALW26, 100)], "reason": "seizure" } }));
    r.ok(
        REG_CA,
        json!({ "close_account": { "account": CE1_H, "reason": "entity dissolved" } }),
    );
    r.check(&[
        (REG_CA, json!({ "unfreeze_account": { "account": CE1_H, "reason": "r" } }), Some(Code::AccountClosed)),
        (REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CE1_H, "legs": [qty(ALW26, 1)], "reason": "r" } }), Some(Code::AccountClosed)),
    ]);
}

#[test]
fn not_linked_before_the_link_date_and_after_delink() {
    let mut r = Setup {
        link_effective: Some("2026-03-01T00:00:00-08:00"),
        ..Setup::default()
    }
    .build();
    r.give(ALW26, 100, CE1_H);
    r.give(QALW26, 100, CE2_H);
    let cross = |r: &mut Reg, id: &str| r.propose(ALICE, id, CE1_H, CE2_H, json!([qty(ALW26, 10)]));
    assert_eq!(cross(&mut r, "t1").unwrap_err().code, Code::NotLinked);
    r.rejects(REG_CA, json!({ "execute_transfer": { "from": CE1_H, "to": CE2_H, "legs": [qty(ALW26, 1)], "reason": "r" } }), Code::NotLinked);
    assert_eq!(
        r.propose(CAROL, "t1", CE2_H, CE1_H, json!([qty(QALW26, 10)]))
            .unwrap_err()
            .code,
        Code::NotLinked
    );
    // Within one jurisdiction nothing changes.
    r.propose(ALICE, "t0", CE1_H, VAE_H, json!([qty(ALW26, 1)]))
        .unwrap();
    r.ok(REG_QC, json!({ "record_obligation": { "obligation": "qc-ob", "entity": "ce-qc", "jurisdiction": QC, "label": "2026", "first_year": 2026, "last_year": 2026, "quantity": 100 } }));

    r.at("2026-03-01T08:00:00Z");
    cross(&mut r, "t1").unwrap();
    r.ok(BOB, confirm("t1"));
    r.ok(REG_CA, json!({ "execute_transfer": { "from": CE1_H, "to": CE2_H, "legs": [qty(ALW26, 20)], "reason": "r" } }));
    r.ok(REG_QC, json!({ "execute_transfer": { "from": CE2_H, "to": CE2_C, "legs": [qty(ALW26, 10)], "reason": "r" } }));
    // A delink takes effect for later acquisitions and surrenders; requests already open are
    // checked again when they execute.
    r.ok(
        ADMIN,
        json!({ "delink": { "a": QC, "b": CA, "effective": "2026-03-02T00:00:00Z" } }),
    );
    cross(&mut r, "t2").unwrap();
    r.at("2026-03-02T00:00:00Z");
    assert_eq!(cross(&mut r, "t3").unwrap_err().code, Code::NotLinked);
    r.rejects(CAROL, accept("t1"), Code::NotLinked);
    r.rejects(REG_QC, json!({ "execute_transfer": { "from": CE2_H, "to": CE2_C, "legs": [qty(ALW26, 10)], "reason": "r" } }), Code::NotLinked);
    r.rejects(REG_QC, json!({ "surrender": { "obligation": "qc-ob", "account": CE2_C, "legs": [qty(ALW26, 10)] } }), Code::NotLinked);
    // Each jurisdiction's own instruments are unaffected.
    r.ok(REG_QC, json!({ "execute_transfer": { "from": CE2_H, "to": CE2_C, "legs": [qty(QALW26, 10)], "reason": "r" } }));
    r.ok(REG_QC, json!({ "surrender": { "obligation": "qc-ob", "account": CE2_C, "legs": [qty(QALW26, 10)] } }));
    // Holdings acquired while linked stay where they are.
    assert_eq!(bal(&r.state, CE2_C, ALW26), (10, 0));
    r.at("2026-03-05T00:00:00Z");
    // Open requests are expired by the scheduler, returning escrow.
    let e = r.ok(SYSTEM, json!({ "tick": {} }));
    assert!(
        e.contains(&status("t1", "expired")) && e.contains(&status("t2", "expired")),
        "{e:?}"
    );
}
