//! Holding limits (reference/cap-and-trade.md §3): combined budgets of linked jurisdictions,
//! current and future vintages, corporate associations, the limited exemption.

use crate::fixture::*;
use serde_json::json;
use tonne_core::{GroupId, JurisdictionCode};
use tonne_registry::Code;

/// 1,875,000 + (254.0 M + 49.52 M) / 40.
const HL_2026: u64 = 9_463_000;
/// 1,875,000 + (240.6 M + 48.33 M) / 40.
const HL_2027: u64 = 9_098_250;

fn exec(from: &str, to: &str, legs: serde_json::Value) -> serde_json::Value {
    json!({ "execute_transfer": { "from": from, "to": to, "legs": legs, "reason": "test" } })
}

#[test]
fn limits_come_from_the_combined_budgets() {
    let r = registry();
    let ca = JurisdictionCode::parse(CA).unwrap();
    let qc = JurisdictionCode::parse(QC).unwrap();
    assert_eq!(r.state.limit_for(&ca, 2026, r.now).unwrap(), HL_2026);
    assert_eq!(r.state.limit_for(&qc, 2026, r.now).unwrap(), HL_2026);
    assert_eq!(r.state.limit_for(&ca, 2027, r.now).unwrap(), HL_2027);
    assert_eq!(
        r.state.limit_for(&ca, 2031, r.now).unwrap_err().code,
        Code::NoBudget
    );
    // Unlinked, each jurisdiction's own budget (reference §3.3 golden value for 2026).
    let unlinked = Setup {
        link_effective: None,
        ..Setup::default()
    }
    .build();
    assert_eq!(
        unlinked.state.limit_for(&ca, 2026, unlinked.now).unwrap(),
        8_225_000
    );
}

#[test]
fn a_voluntarily_associated_entity_is_held_to_the_current_vintage_limit() {
    let mut r = registry();
    r.give(ALW26, HL_2026, VAE_H);
    r.issue(ALW26, 10);
    r.issue(ALW24, 10);
    r.issue(QALW26, 10);
    let rej = r.rejects(
        REG_CA,
        exec(CA_ISS, VAE_H, json!([qty(ALW26, 1)])),
        Code::HoldingLimitExceeded,
    );
    assert!(rej.message.contains("9463000"), "{rej}");
    // Earlier vintages count towards the current-vintage limit, and so do the linked partner's.
    r.rejects(
        REG_CA,
        exec(CA_ISS, VAE_H, json!([qty(ALW24, 1)])),
        Code::HoldingLimitExceeded,
    );
    r.rejects(
        REG_QC,
        exec(QC_ISS, VAE_H, json!([qty(QALW26, 1)])),
        Code::HoldingLimitExceeded,
    );
    // By request too: refused when proposed, before anything moves into escrow.
    r.give(ALW26, 10, CE1_H);
    let rej = r
        .propose(ALICE, "t1", CE1_H, VAE_H, json!([qty(ALW26, 1)]))
        .unwrap_err();
    assert_eq!(rej.code, Code::HoldingLimitExceeded);
    // Offset credits and reserve allowances are not limited here.
    r.give(OFF, 1_000, VAE_H);
    // Allowances in excluded accounts (limited use holding) do not count for the covered entity.
    r.ok(
        REG_CA,
        json!({ "allocate": { "from": CA_ISS, "to": CE1_L, "legs": [qty(ALW26, 10)] } }),
    );
    // Selling frees room; the limit is checked again when a request executes.
    r.propose(ERIN, "t2", VAE_H, CE1_H, json!([qty(ALW26, 5)]))
        .unwrap();
    r.propose(ALICE, "t3", CE1_H, VAE_H, json!([qty(ALW26, 5)]))
        .unwrap_err(); // escrow still counts
    r.ok(FRANK, json!({ "confirm_transfer": { "transfer": "t2" } }));
    r.ok(ALICE, json!({ "accept_transfer": { "transfer": "t2" } }));
    r.propose(ALICE, "t3", CE1_H, VAE_H, json!([qty(ALW26, 5)]))
        .unwrap();
    r.ok(BOB, json!({ "confirm_transfer": { "transfer": "t3" } }));
    // Meanwhile the regulator fills the room: the acceptance is refused and changes nothing.
    r.give(ALW26, 5, VAE_H);
    r.rejects(
        ERIN,
        json!({ "accept_transfer": { "transfer": "t3" } }),
        Code::HoldingLimitExceeded,
    );
}

#[test]
fn the_future_vintage_limit_is_separate_per_vintage() {
    let mut r = registry();
    r.give(ALW26, HL_2026, VAE_H);
    r.give(ALW27, HL_2027, VAE_H);
    r.issue(ALW27, 1);
    r.issue("US-CA/ALW/2028", 1);
    r.rejects(
        REG_CA,
        exec(CA_ISS, VAE_H, json!([qty(ALW27, 1)])),
        Code::HoldingLimitExceeded,
    );
    // 2028 has its own limit.
    r.ok(
        REG_CA,
        exec(CA_ISS, VAE_H, json!([qty("US-CA/ALW/2028", 1)])),
    );
    // Without a budget for a vintage, no limit can be computed.
    r.ok(
        REG_CA,
        json!({ "set_budget": { "jurisdiction": CA, "year": 2031, "allowances": 193_800_000 } }),
    );
    r.give("US-CA/ALW/2031", 1, CA_AUC);
    r.rejects(
        REG_CA,
        exec(CA_AUC, VAE_H, json!([qty("US-CA/ALW/2031", 1)])),
        Code::NoBudget,
    );
}

#[test]
fn corporate_associates_share_one_limit() {
    let mut r = registry();
    r.give(ALW26, 9_000_000, CE1_H);
    r.give(ALW26, HL_2026 - 9_000_000, VAE_H);
    r.give(ALW26, 10, CA_AUC);
    // Separate groups: each has room.
    r.ok(REG_CA, exec(CA_AUC, VAE_H, json!([qty(ALW26, 1)])));
    r.ok(REG_CA, exec(VAE_H, CA_AUC, json!([qty(ALW26, 1)])));
    r.ok(
        REG_CA,
        json!({ "set_corporate_association": { "entity": "ce-ca", "group": "pacific-group" } }),
    );
    r.ok(
        REG_CA,
        json!({ "set_corporate_association": { "entity": "vae-ca", "group": "pacific-group" } }),
    );
    let g = &r.state.groups[&GroupId::parse("pacific-group").unwrap()];
    assert_eq!(g.vintages[&2026], (HL_2026, 0));
    r.rejects(
        REG_CA,
        exec(CA_AUC, VAE_H, json!([qty(ALW26, 1)])),
        Code::HoldingLimitExceeded,
    );
    r.rejects(
        REG_CA,
        exec(CA_AUC, CE1_H, json!([qty(ALW26, 1)])),
        Code::HoldingLimitExceeded,
    );
    // Moves inside the group leave its holdings unchanged and are allowed at the limit.
    r.propose(ERIN, "t1", VAE_H, CE1_H, json!([qty(ALW26, 100)]))
        .unwrap();
    r.ok(FRANK, json!({ "confirm_transfer": { "transfer": "t1" } }));
    r.ok(ALICE, json!({ "accept_transfer": { "transfer": "t1" } }));
    assert_eq!(
        r.state.groups[&GroupId::parse("pacific-group").unwrap()].vintages[&2026],
        (HL_2026, 0)
    );
}

#[test]
fn the_limited_exemption_covers_compliance_holdings_up_to_the_obligation() {
    let mut r = registry();
    let group = GroupId::parse("ce-ca").unwrap();
    r.give(ALW26, HL_2026 - 5_000, CE1_H);
    r.issue(ALW26, 30_000);
    // No obligation yet: 5,000 of room, wherever they are held.
    r.rejects(
        REG_CA,
        exec(CA_ISS, CE1_C, json!([qty(ALW26, 5_001)])),
        Code::HoldingLimitExceeded,
    );
    r.ok(
        REG_CA,
        json!({ "record_obligation": {
            "obligation": "ob1", "entity": "ce-ca", "jurisdiction": CA, "label": "CP5-2024-2026",
            "first_year": 2024, "last_year": 2026, "quantity": 10_000
        }}),
    );
    assert_eq!(r.state.groups[&group].exemption(), 10_000);
    // The exemption adds room only in the compliance account.
    r.rejects(
        REG_CA,
        exec(CA_ISS, CE1_H, json!([qty(ALW26, 5_001)])),
        Code::HoldingLimitExceeded,
    );
    r.rejects(
        REG_CA,
        exec(CA_ISS, CE1_C, json!([qty(ALW26, 15_001)])),
        Code::HoldingLimitExceeded,
    );
    r.ok(REG_CA, exec(CA_ISS, CE1_C, json!([qty(ALW26, 8_000)])));
    // Surrender lowers the exemption by what was surrendered.
    r.ok(REG_CA, json!({ "surrender": { "obligation": "ob1", "account": CE1_C, "legs": [qty(ALW26, 8_000)] } }));
    assert_eq!(r.state.groups[&group].exemption(), 2_000);
    assert_eq!(
        r.state.obligations[&tonne_core::ObligationId::parse("ob1").unwrap()].surrendered,
        8_000
    );
    r.rejects(
        REG_CA,
        exec(CA_ISS, CE1_C, json!([qty(ALW26, 7_001)])),
        Code::HoldingLimitExceeded,
    );
    r.ok(REG_CA, exec(CA_ISS, CE1_C, json!([qty(ALW26, 7_000)])));
    r.rejects(
        REG_CA,
        exec(CA_ISS, CE1_C, json!([qty(ALW26, 1)])),
        Code::HoldingLimitExceeded,
    );
    // Moving from holding to compliance within the entity leaves the count unchanged.
    let e = r.propose(ALICE, "t1", CE1_H, CE1_C, json!([qty(ALW26, 1_000)]));
    assert!(e.is_ok(), "{e:?}");
}
