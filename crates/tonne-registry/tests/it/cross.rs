//! Two sovereign registries linked by two-phase cross-registry transfers, driven in process:
//! California's registry and Québec's, each hosting one jurisdiction and declaring the other as
//! a peer.

use crate::fixture::*;
use serde_json::{Value, json};
use tonne_registry::Code;
use tonne_registry::cross::CrossStatus;

const CA_H: &str = "CA-TRADER-H";
const QC_H: &str = "QC-TRADER-H";

/// A registry hosting `me`, with `peer` (hosting `other`) declared and linked.
fn sovereign(me: &str, other: &str, peer: &str, reg: &str) -> Reg {
    let mut r = Reg::empty("2026-01-05T18:00:00Z");
    r.ok(
        ADMIN,
        json!({ "genesis": { "name": format!("registry of {me}"), "rules": {} } }),
    );
    r.ok(ADMIN, json!({ "add_jurisdiction": { "code": me, "name": me, "time_zone": "America/Los_Angeles", "currency": "USD", "holidays": [] } }));
    r.ok(ADMIN, json!({ "add_user": { "user": reg, "name": "registrar", "role": { "regulator": { "jurisdiction": me } } } }));
    r.ok(
        ADMIN,
        json!({ "add_user": { "user": SYSTEM, "name": "link agent", "role": "system" } }),
    );
    for u in [ALICE, BOB] {
        r.ok(
            ADMIN,
            json!({ "add_user": { "user": u, "name": u, "role": "participant" } }),
        );
    }
    r.ok(
        ADMIN,
        json!({ "add_peer": { "peer": peer, "name": "peer registry", "jurisdictions": [other] } }),
    );
    r.ok(
        ADMIN,
        json!({ "link": { "a": me, "b": other, "effective": "2014-01-01T00:00:00Z" } }),
    );
    r.ok(
        reg,
        json!({ "set_budget": { "jurisdiction": me, "year": 2026, "allowances": 1_000_000 } }),
    );
    let gov = format!("gov-{me}");
    r.ok(reg, json!({ "register_entity": { "entity": gov, "jurisdiction": me, "name": "government", "entity_type": "government" } }));
    r.ok(
        reg,
        json!({ "open_account": { "account": format!("{me}-ISS"), "entity": gov, "account_type": "issuance" } }),
    );
    r.ok(reg, json!({ "register_entity": { "entity": "trader", "jurisdiction": me, "name": "trader", "entity_type": "voluntarily_associated" } }));
    let h = if me == CA { CA_H } else { QC_H };
    r.ok(
        reg,
        json!({ "open_account": { "account": h, "entity": "trader", "account_type": "holding" } }),
    );
    r.ok(
        reg,
        json!({ "set_representative": { "account": h, "user": ALICE, "role": "primary" } }),
    );
    r.ok(
        reg,
        json!({ "set_representative": { "account": h, "user": BOB, "role": "alternate" } }),
    );
    r
}

fn total_held(r: &Reg) -> u64 {
    r.state
        .serial_sets()
        .iter()
        .map(|(_, _, s)| s.count())
        .sum()
}

fn send(t: &str, from: &str, peer: &str, to: &str, legs: Value) -> Value {
    json!({ "cross_send": { "transfer": t, "from": from, "peer": peer, "to": to, "legs": legs } })
}

/// The moves of a pending outbound transfer, as the link sends them.
fn moves(r: &Reg, t: &str) -> Value {
    serde_json::to_value(&r.state.cross.transfers[&transfer(t)].moves).unwrap()
}

#[test]
fn two_phase_transfer_posts_on_both_sides_and_returns() {
    let mut ca = sovereign(CA, QC, "qc-registry", REG_CA);
    let mut qc = sovereign(QC, CA, "ca-registry", REG_QC);
    ca.ok(
        REG_CA,
        json!({ "issue": { "series": sj(ALW26), "quantity": 1_000, "to": "US-CA-ISS" } }),
    );
    ca.ok(REG_CA, json!({ "execute_transfer": { "from": "US-CA-ISS", "to": CA_H, "legs": [qty(ALW26, 1_000)], "reason": "funding" } }));
    // Only a representative sends, and only to a declared peer.
    ca.rejects(
        BOB.replace('b', "x").as_str(),
        send("X1", CA_H, "qc-registry", QC_H, json!([qty(ALW26, 1)])),
        Code::UnknownActor,
    );
    ca.rejects(
        ALICE,
        send("X1", CA_H, "nowhere", QC_H, json!([qty(ALW26, 1)])),
        Code::InvalidField,
    );
    // Phase 1 on both sides.
    ca.ok(
        ALICE,
        send("X1", CA_H, "qc-registry", QC_H, json!([qty(ALW26, 300)])),
    );
    assert_eq!(bal(&ca.state, CA_H, ALW26), (700, 0));
    let m = moves(&ca, "X1");
    // Only the link agent records an incoming transfer.
    qc.rejects(
        ALICE,
        json!({ "cross_receive": { "transfer": "X1", "peer": "ca-registry", "from": CA_H, "to": QC_H, "moves": m } }),
        Code::NotAuthorized,
    );
    qc.ok(
        SYSTEM,
        json!({ "cross_receive": { "transfer": "X1", "peer": "ca-registry", "from": CA_H, "to": QC_H, "moves": m } }),
    );
    assert_eq!(
        bal(&qc.state, QC_H, ALW26),
        (0, 0),
        "nothing arrives before phase 2"
    );
    // Phase 2.
    qc.ok(SYSTEM, json!({ "cross_accept": { "transfer": "X1" } }));
    ca.ok(SYSTEM, json!({ "cross_post": { "transfer": "X1" } }));
    assert_eq!(bal(&qc.state, QC_H, ALW26), (300, 0));
    assert_eq!(
        ca.state.cross.transfers[&transfer("X1")].status,
        CrossStatus::Posted
    );
    // Conservation on each side: California still accounts for all 1,000 it issued (300 at
    // peer:qc-registry); Québec holds 300 imported.
    assert_eq!(total_held(&ca), 1_000);
    assert_eq!(total_held(&qc), 300);
    assert_eq!(qc.state.cross.imported[&series(ALW26)].count(), 300);
    // The same serials cannot be received twice, nor serials California never sent.
    qc.rejects(
        SYSTEM,
        json!({ "cross_receive": { "transfer": "X2", "peer": "ca-registry", "from": CA_H, "to": QC_H, "moves": m } }),
        Code::SerialsNotHeld,
    );
    // Back to California: its own serials return from abroad.
    qc.ok(
        ALICE,
        send("Y1", QC_H, "ca-registry", CA_H, json!([qty(ALW26, 100)])),
    );
    let back = moves(&qc, "Y1");
    ca.ok(
        SYSTEM,
        json!({ "cross_receive": { "transfer": "Y1", "peer": "qc-registry", "from": QC_H, "to": CA_H, "moves": back } }),
    );
    ca.ok(SYSTEM, json!({ "cross_accept": { "transfer": "Y1" } }));
    qc.ok(SYSTEM, json!({ "cross_post": { "transfer": "Y1" } }));
    assert_eq!(bal(&ca.state, CA_H, ALW26), (800, 0));
    assert_eq!(bal(&qc.state, QC_H, ALW26), (200, 0));
    assert_eq!(total_held(&ca), 1_000);
    assert_eq!(
        total_held(&qc),
        300,
        "Québec still accounts for all it imported"
    );
    // Posted is final.
    ca.rejects(
        SYSTEM,
        json!({ "cross_void": { "transfer": "X1", "reason": "late" } }),
        Code::TransferNotPending,
    );
}

#[test]
fn a_rejected_or_timed_out_transfer_is_voided_and_returns() {
    let mut ca = sovereign(CA, QC, "qc-registry", REG_CA);
    let mut qc = sovereign(QC, CA, "ca-registry", REG_QC);
    ca.ok(
        REG_CA,
        json!({ "issue": { "series": sj(ALW26), "quantity": 100_000, "to": "US-CA-ISS" } }),
    );
    ca.ok(REG_CA, json!({ "execute_transfer": { "from": "US-CA-ISS", "to": CA_H, "legs": [qty(ALW26, 100_000)], "reason": "funding" } }));
    qc.ok(
        REG_QC,
        json!({ "issue": { "series": sj(QALW26), "quantity": 60_000, "to": "CA-QC-ISS" } }),
    );
    qc.ok(REG_QC, json!({ "execute_transfer": { "from": "CA-QC-ISS", "to": QC_H, "legs": [qty(QALW26, 60_000)], "reason": "funding" } }));
    // Each registry's 2026 budget of 1,000,000 (test data) gives a 100,000 holding limit (10 %,
    // UNVERIFIED small-budget rule): the Québec trader holding 60,000 cannot receive 50,000.
    ca.ok(
        ALICE,
        send("X9", CA_H, "qc-registry", QC_H, json!([qty(ALW26, 50_000)])),
    );
    let m = moves(&ca, "X9");
    qc.rejects(
        SYSTEM,
        json!({ "cross_receive": { "transfer": "X9", "peer": "ca-registry", "from": CA_H, "to": QC_H, "moves": m } }),
        Code::HoldingLimitExceeded,
    );
    ca.ok(
        SYSTEM,
        json!({ "cross_void": { "transfer": "X9", "reason": "peer refused: E3004" } }),
    );
    assert_eq!(bal(&ca.state, CA_H, ALW26), (100_000, 0));
    ca.rejects(
        SYSTEM,
        json!({ "cross_post": { "transfer": "X9" } }),
        Code::TransferNotPending,
    );
    // Pending on both sides, then voided on both (a timeout before phase 2).
    ca.ok(
        ALICE,
        send("X10", CA_H, "qc-registry", QC_H, json!([qty(ALW26, 10)])),
    );
    let m = moves(&ca, "X10");
    qc.ok(
        SYSTEM,
        json!({ "cross_receive": { "transfer": "X10", "peer": "ca-registry", "from": CA_H, "to": QC_H, "moves": m } }),
    );
    qc.ok(
        SYSTEM,
        json!({ "cross_void": { "transfer": "X10", "reason": "timeout" } }),
    );
    ca.ok(
        SYSTEM,
        json!({ "cross_void": { "transfer": "X10", "reason": "timeout" } }),
    );
    qc.rejects(
        SYSTEM,
        json!({ "cross_accept": { "transfer": "X10" } }),
        Code::TransferNotPending,
    );
    assert_eq!(bal(&ca.state, CA_H, ALW26), (100_000, 0));
    assert_eq!(total_held(&qc), 60_000);
}

/// A jurisdiction hosted by a linked peer registry counts in the combined holding limit with
/// the budget the link agent records for it (REG-§95920, QC-s.32); nobody else may record it.
#[test]
fn peer_hosted_budgets_join_the_combined_holding_limit() {
    let mut r = sovereign(CA, QC, "qc-registry", REG_CA);
    let t = r.state.last_ts.unwrap();
    let ca = tonne_core::JurisdictionCode::parse(CA).unwrap();
    // 1,000,000 (≤ 25 M): 10 % of the budget (small-budget rule, UNVERIFIED default).
    assert_eq!(r.state.limit_for(&ca, 2026, t).unwrap(), 100_000);
    let qc_budget =
        |q: u64| json!({ "set_budget": { "jurisdiction": QC, "year": 2026, "allowances": q } });
    r.rejects(REG_CA, qc_budget(49_520_000), Code::NotAuthorized);
    r.ok(SYSTEM, qc_budget(49_520_000));
    // 50,520,000 combined: 1,875,000 + 50,520,000 / 40.
    assert_eq!(
        r.state.limit_for(&ca, 2026, t).unwrap(),
        1_875_000 + 1_263_000
    );
    // Re-declaring the peer keeps the budgets of the jurisdictions it still hosts.
    r.ok(
        ADMIN,
        json!({ "add_peer": { "peer": "qc-registry", "name": "Registre du Québec", "jurisdictions": [QC] } }),
    );
    assert_eq!(r.state.limit_for(&ca, 2026, t).unwrap(), 3_138_000);
    // Another year's budget is not this year's.
    assert!(
        r.state.limit_for(&ca, 2027, t).is_err(),
        "no 2027 budget for CA"
    );
}
