//! EU-Union-Registry-style trusted account list (rules.trusted_accounts): a cap and a delay for
//! transfers outside the list, entries that activate after N business days.

use crate::fixture::*;
use serde_json::json;
use tonne_registry::Code;

fn enable(r: &mut Reg) {
    r.ok(ADMIN, json!({ "set_rules": { "rules": {
        "trusted_accounts": { "activation_business_days": 4, "untrusted_delay_hours": 26, "untrusted_max_quantity": 1_000 }
    }}}));
}
fn confirm(t: &str) -> serde_json::Value {
    json!({ "confirm_transfer": { "transfer": t } })
}
fn accept(t: &str) -> serde_json::Value {
    json!({ "accept_transfer": { "transfer": t } })
}

#[test]
fn untrusted_transfers_are_capped_and_delayed() {
    let mut r = registry();
    r.give(ALW26, 10_000, CE1_H);
    r.rejects(
        ALICE,
        json!({ "add_trusted_account": { "account": CE1_H, "trusted": VAE_H } }),
        Code::InvalidField,
    );
    enable(&mut r);
    assert_eq!(
        r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 1_001)]))
            .unwrap_err()
            .code,
        Code::UntrustedTransferCap
    );
    r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 1_000)]))
        .unwrap();
    // Between an entity's own accounts there is neither cap nor delay.
    r.propose(ALICE, "own", CE1_H, CE1_C, json!([qty(ALW26, 5_000)]))
        .unwrap();
    let e = r.ok(BOB, confirm("own"));
    assert_eq!(e.last(), Some(&status("own", "executed")));

    r.ok(BOB, confirm("t1"));
    let accepted = r.now;
    assert_eq!(r.ok(ERIN, accept("t1")), vec![status("t1", "delayed")]);
    let tr = &r.state.transfers[&transfer("t1")];
    assert_eq!(tr.status.name(), "delayed");
    assert_eq!(
        tr.status,
        tonne_registry::state::TransferState::Delayed {
            until: accepted.plus_hours(26)
        }
    );
    r.check(&[
        (ERIN, accept("t1"), Some(Code::TransferNotPending)),
        (
            ERIN,
            json!({ "decline_transfer": { "transfer": "t1", "reason": "changed mind" } }),
            Some(Code::TransferNotPending),
        ),
    ]);
    // Not before the delay has passed.
    r.advance_hours(25);
    r.advance_secs(3_599);
    assert!(r.ok(SYSTEM, json!({ "tick": {} })).is_empty());
    assert_eq!(bal(&r.state, CE1_H, ALW26), (4_000, 1_000));
    r.advance_secs(1);
    let e = r.ok(SYSTEM, json!({ "tick": {} }));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 1_000), escrow("t1"), acct(VAE_H)),
            status("t1", "executed")
        ]
    );
    assert_eq!(bal(&r.state, VAE_H, ALW26), (1_000, 0));
}

#[test]
fn a_delayed_transfer_that_can_no_longer_execute_is_denied() {
    let mut r = registry();
    enable(&mut r);
    r.give(ALW26, 100, CE1_H);
    r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 100)]))
        .unwrap();
    r.ok(BOB, confirm("t1"));
    r.ok(ERIN, accept("t1"));
    r.ok(
        REG_CA,
        json!({ "freeze_account": { "account": VAE_H, "reason": "investigation" } }),
    );
    r.advance_hours(26);
    let e = r.ok(SYSTEM, json!({ "tick": {} }));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 100), escrow("t1"), acct(CE1_H)),
            status("t1", "denied")
        ]
    );
    let st = r.state.transfers[&transfer("t1")].status;
    assert_eq!(
        st,
        tonne_registry::state::TransferState::Denied {
            code: Code::AccountFrozen.number()
        }
    );
}

#[test]
fn a_trusted_entry_activates_after_business_days() {
    let mut r = registry();
    enable(&mut r);
    r.give(ALW26, 10_000, CE1_H);
    // Thursday 2026-01-15, 10:00 in California.
    r.at("2026-01-15T18:00:00Z");
    r.check(&[
        (
            VIEWER,
            json!({ "add_trusted_account": { "account": CE1_H, "trusted": VAE_H } }),
            Some(Code::NotAuthorized),
        ),
        (
            ERIN,
            json!({ "add_trusted_account": { "account": CE1_H, "trusted": VAE_H } }),
            Some(Code::NotAuthorized),
        ),
        (
            ALICE,
            json!({ "add_trusted_account": { "account": CE1_H, "trusted": CE1_H } }),
            Some(Code::InvalidField),
        ),
        (
            ALICE,
            json!({ "add_trusted_account": { "account": CE1_H, "trusted": "CA-NOPE" } }),
            Some(Code::UnknownAccount),
        ),
        (
            ALICE,
            json!({ "remove_trusted_account": { "account": CE1_H, "trusted": VAE_H } }),
            Some(Code::UnknownAccount),
        ),
        (
            ALICE,
            json!({ "add_trusted_account": { "account": CE1_H, "trusted": VAE_H } }),
            None,
        ),
    ]);
    // Fri 16, (weekend, Mon 19 is a holiday in California), Tue 20, Wed 21, Thu 22.
    let active = ts("2026-01-22T18:00:00Z");
    assert_eq!(
        r.state.accounts[&account(CE1_H)].trusted[&account(VAE_H)],
        active
    );
    r.at("2026-01-22T17:59:59Z");
    assert_eq!(
        r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 5_000)]))
            .unwrap_err()
            .code,
        Code::UntrustedTransferCap
    );
    r.at("2026-01-22T18:00:00Z");
    r.propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 5_000)]))
        .unwrap();
    r.ok(BOB, confirm("t1"));
    // Trusted: executes on acceptance, no delay.
    let e = r.ok(ERIN, accept("t1"));
    assert_eq!(
        e,
        vec![
            moved(ALW26, (1, 5_000), escrow("t1"), acct(VAE_H)),
            status("t1", "executed")
        ]
    );
    // The list is per sending account and removable.
    r.ok(
        BOB,
        json!({ "remove_trusted_account": { "account": CE1_H, "trusted": VAE_H } }),
    );
    assert_eq!(
        r.propose(ALICE, "t2", CE1_H, VAE_H, json!([qty(ALW26, 1_001)]))
            .unwrap_err()
            .code,
        Code::UntrustedTransferCap
    );
}
