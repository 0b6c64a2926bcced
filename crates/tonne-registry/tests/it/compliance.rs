//! Obligations and surrender, voluntary retirement, cancellation, offset invalidation.

use crate::fixture::*;
use serde_json::json;
use tonne_core::ObligationId;
use tonne_registry::{Code, Loc};

fn obligation(
    id: &str,
    entity: &str,
    jur: &str,
    first: u16,
    last: u16,
    q: u64,
) -> serde_json::Value {
    json!({ "record_obligation": {
        "obligation": id, "entity": entity, "jurisdiction": jur, "label": "CP5 annual",
        "first_year": first, "last_year": last, "quantity": q
    }})
}
fn surrender(ob: &str, account: &str, legs: serde_json::Value) -> serde_json::Value {
    json!({ "surrender": { "obligation": ob, "account": account, "legs": legs } })
}

#[test]
fn obligations_are_validated() {
    let mut r = registry();
    r.check(&[
        (
            REG_CA,
            obligation("ob1", "vae-ca", CA, 2024, 2026, 10),
            Some(Code::InvalidField),
        ),
        (
            REG_CA,
            obligation("ob1", "nobody", CA, 2024, 2026, 10),
            Some(Code::UnknownEntity),
        ),
        (
            REG_CA,
            obligation("ob1", "ce-ca", CA, 2026, 2024, 10),
            Some(Code::InvalidField),
        ),
        (
            REG_CA,
            obligation("ob1", "ce-ca", CA, 1999, 2024, 10),
            Some(Code::InvalidField),
        ),
        (
            REG_CA,
            obligation("ob1", "ce-ca", CA, 2024, 2026, 0),
            Some(Code::QuantityOutOfRange),
        ),
        (REG_CA, obligation("ob1", "ce-ca", CA, 2024, 2026, 10), None),
        (
            REG_CA,
            obligation("ob1", "ce-ca", CA, 2024, 2026, 10),
            Some(Code::DuplicateId),
        ),
        (
            REG_CA,
            surrender("ob2", CE1_C, json!([qty(ALW26, 1)])),
            Some(Code::UnknownObligation),
        ),
    ]);
}

#[test]
fn surrender_checks_vintage_quantity_and_account() {
    let mut r = registry();
    r.ok(REG_CA, obligation("ob1", "ce-ca", CA, 2024, 2026, 1_000));
    r.give(ALW26, 1_200, CE1_C);
    r.give(ALW27, 500, CE1_C);
    r.give(QALW26, 100, CE1_C);
    r.give(OFF, 50, CE1_C);
    r.give(ALW26, 10, CE1_H);
    r.check(&[
        // REG-§95856(b)(2): no vintage later than the obligation's last year.
        (
            REG_CA,
            surrender("ob1", CE1_C, json!([qty(ALW27, 1)])),
            Some(Code::VintageNotEligible),
        ),
        (
            REG_CA,
            surrender("ob1", CE1_C, json!([qty(ALW26, 1), qty(ALW27, 1)])),
            Some(Code::VintageNotEligible),
        ),
        (
            REG_CA,
            surrender("ob1", CE1_C, json!([qty(ALW26, 1_001)])),
            Some(Code::ExceedsObligation),
        ),
        (
            REG_CA,
            surrender("ob1", CE1_C, json!([qty(ALW26, 1_000), qty(OFF, 1)])),
            Some(Code::ExceedsObligation),
        ),
        // Only from the obligated entity's compliance account.
        (
            REG_CA,
            surrender("ob1", CE1_H, json!([qty(ALW26, 1)])),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            REG_CA,
            surrender("ob1", CE2_C, json!([qty(ALW26, 1)])),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            REG_CA,
            surrender("ob1", CE1_C, json!([qty(ALW26, 1_201)])),
            Some(Code::InsufficientHolding),
        ),
        (
            ALICE,
            surrender("ob1", CE1_C, json!([qty(ALW26, 1)])),
            Some(Code::NotAuthorized),
        ),
    ]);
    // Linked partner's allowances and offset credits (any vintage) count.
    let e = r.ok(
        REG_CA,
        surrender(
            "ob1",
            CE1_C,
            json!([qty(ALW26, 600), qty(QALW26, 100), ranges(OFF, &[(11, 50)])]),
        ),
    );
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 600), acct(CE1_C), Loc::Retired),
            moved(QALW26, (1, 100), acct(CE1_C), Loc::Retired),
            moved(OFF, (11, 50), acct(CE1_C), Loc::Retired),
        ]
    );
    let ob = ObligationId::parse("ob1").unwrap();
    assert_eq!(r.state.obligations[&ob].surrendered, 740);
    r.rejects(
        REG_CA,
        surrender("ob1", CE1_C, json!([qty(ALW26, 261)])),
        Code::ExceedsObligation,
    );
    r.ok(REG_CA, surrender("ob1", CE1_C, json!([qty(ALW26, 260)])));
    r.rejects(
        REG_CA,
        surrender("ob1", CE1_C, json!([qty(ALW26, 1)])),
        Code::ExceedsObligation,
    );
    assert_eq!(r.state.obligations[&ob].surrendered, 1_000);
    assert_eq!(
        rows_at(&r.state, &Loc::Retired),
        vec![
            (QALW26.into(), 1, 100),
            (ALW26.into(), 1, 860),
            (OFF.into(), 11, 50)
        ]
    );
    assert_eq!(bal(&r.state, CE1_C, ALW26), (340, 0));
}

#[test]
fn voluntary_retirement_from_a_holding_account() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H); // serials 1..=100
    r.give(ALW26, 100, CE1_C);
    let retire = |account: &str, legs: serde_json::Value, beneficiary: &str| json!({ "retire": { "account": account, "legs": legs, "beneficiary": beneficiary, "purpose": "2026 corporate travel" } });
    r.check(&[
        (
            ALICE,
            retire(CE1_C, json!([qty(ALW26, 1)]), "Pacific Cement"),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            ALICE,
            retire(CE1_H, json!([qty(ALW26, 1)]), ""),
            Some(Code::InvalidField),
        ),
        (
            ALICE,
            retire(CE1_H, json!([qty(ALW26, 101)]), "Pacific Cement"),
            Some(Code::InsufficientHolding),
        ),
    ]);
    let e = r.ok(
        BOB,
        retire(CE1_H, json!([ranges(ALW26, &[(11, 20)])]), "Pacific Cement"),
    );
    assert_eq!(e, vec![moved(ALW26, (11, 20), acct(CE1_H), Loc::Retired)]);
    assert_eq!(bal(&r.state, CE1_H, ALW26), (90, 0));
    // Retired serials are gone for good.
    r.rejects(REG_CA, json!({ "execute_transfer": { "from": CE1_H, "to": VAE_H, "legs": [ranges(ALW26, &[(15, 15)])], "reason": "r" } }), Code::SerialsNotHeld);
}

#[test]
fn the_regulator_cancels_instruments() {
    let mut r = registry();
    r.give(ALW26, 100, CE1_H);
    let cancel = |legs: serde_json::Value| json!({ "cancel": { "account": CE1_H, "legs": legs, "reason": "court order" } });
    r.check(&[
        (
            ALICE,
            cancel(json!([qty(ALW26, 5)])),
            Some(Code::NotAuthorized),
        ),
        (
            REG_QC,
            cancel(json!([qty(ALW26, 5)])),
            Some(Code::NotAuthorized),
        ),
        (
            REG_CA,
            json!({ "cancel": { "account": CE1_H, "legs": [qty(ALW26, 5)], "reason": "" } }),
            Some(Code::InvalidField),
        ),
    ]);
    let e = r.ok(REG_CA, cancel(json!([qty(ALW26, 5)])));
    assert_eq!(e, vec![moved(ALW26, (1, 5), acct(CE1_H), Loc::Cancelled)]);
    assert_eq!(
        rows_at(&r.state, &Loc::Cancelled),
        vec![(ALW26.into(), 1, 5)]
    );
    assert_eq!(
        r.state.series[&series(ALW26)],
        100,
        "cancelled serials stay issued"
    );
}

#[test]
fn invalidation_reaches_offset_credits_wherever_they_are() {
    let mut r = registry();
    r.issue(OFF, 1_000);
    r.ok(REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CE1_H, "legs": [ranges(OFF, &[(1, 300)])], "reason": "r" } }));
    r.ok(REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": VAE_H, "legs": [ranges(OFF, &[(301, 500)])], "reason": "r" } }));
    r.give(ALW26, 10, CE1_H);
    // Some are in escrow for a request that also carries allowances...
    r.propose(
        ALICE,
        "t1",
        CE1_H,
        VAE_H,
        json!([ranges(OFF, &[(100, 150)]), qty(ALW26, 10)]),
    )
    .unwrap();
    r.ok(BOB, json!({ "confirm_transfer": { "transfer": "t1" } }));
    // ...some retired...
    r.ok(ERIN, json!({ "retire": { "account": VAE_H, "legs": [ranges(OFF, &[(301, 320)])], "beneficiary": "b", "purpose": "p" } }));
    // ...and some cancelled (those are out of reach).
    r.ok(REG_CA, json!({ "cancel": { "account": CA_ISS, "legs": [ranges(OFF, &[(600, 610)])], "reason": "r" } }));

    let inv = |rs: &[(u64, u64)]| json!({ "invalidate": { "series": sj(OFF), "ranges": rs, "reason": "REG-§95985 overstatement" } });
    r.check(&[
        (REG_QC, inv(&[(90, 160)]), Some(Code::NotAuthorized)),
        (
            REG_CA,
            json!({ "invalidate": { "series": sj(ALW26), "ranges": [[1, 1]], "reason": "r" } }),
            Some(Code::InstrumentNotEligible),
        ),
        (REG_CA, inv(&[]), Some(Code::InvalidField)),
        (
            REG_CA,
            inv(&[(90, 160), (160, 170)]),
            Some(Code::InvalidField),
        ),
        (REG_CA, inv(&[(990, 1_001)]), Some(Code::SerialsNotHeld)),
        (REG_CA, inv(&[(605, 606)]), Some(Code::SerialsNotHeld)),
    ]);
    let e = r.ok(REG_CA, inv(&[(90, 160), (300, 330)]));
    assert_eq!(
        e,
        vec![
            // The pending request is cancelled first and its escrow (both series) returned.
            moved(ALW26, (1, 10), escrow("t1"), acct(CE1_H)),
            moved(OFF, (100, 150), escrow("t1"), acct(CE1_H)),
            status("t1", "cancelled"),
            moved(OFF, (90, 99), acct(CE1_H), Loc::Invalidated),
            moved(OFF, (151, 160), acct(CE1_H), Loc::Invalidated),
            moved(OFF, (100, 150), acct(CE1_H), Loc::Invalidated),
            moved(OFF, (300, 300), acct(CE1_H), Loc::Invalidated),
            moved(OFF, (321, 330), acct(VAE_H), Loc::Invalidated),
            moved(OFF, (301, 320), Loc::Retired, Loc::Invalidated),
        ]
    );
    assert_eq!(
        rows_at(&r.state, &Loc::Invalidated),
        vec![(OFF.into(), 90, 160), (OFF.into(), 300, 330)]
    );
    assert_eq!(
        rows_at(&r.state, &acct(CE1_H)),
        vec![
            (ALW26.into(), 1, 10),
            (OFF.into(), 1, 89),
            (OFF.into(), 161, 299)
        ]
    );
    assert_eq!(
        rows_at(&r.state, &acct(VAE_H)),
        vec![(OFF.into(), 331, 500)]
    );
    assert!(rows_at(&r.state, &Loc::Retired).is_empty());
    assert!(r.state.open_transfers.is_empty());
    r.rejects(
        ERIN,
        json!({ "accept_transfer": { "transfer": "t1" } }),
        Code::TransferNotPending,
    );
    // Invalidated serials cannot be invalidated again.
    r.rejects(REG_CA, inv(&[(150, 151)]), Code::SerialsNotHeld);
}
