//! The compliance report's EUTL status codes on a small market: `A` and `B` as the registry's
//! compliance event decided them, and `C` (verified emissions not entered) derived for covered
//! and opt-in entities without an obligation of a period whose compliance event was held —
//! never for a voluntarily associated entity, an entity without a compliance account, another
//! jurisdiction's entities or a period without an event; as of an earlier seq, before the
//! event, nobody has `C`.

use crate::util::*;
use serde_json::{Value, json};
use tonne_app::compliance_report::{ComplianceReport, compliance_report, render};
use tonne_app::statement::{AsOf, state_as_of};
use tonne_core::JurisdictionCode;
use tonne_registry::market::DelinkTreatment;

const T0: &str = "2026-01-05T16:00:00Z";
/// After the 1 November 2026 deadline (5 p.m. Pacific, REG-§95856(d)(1)).
const EVENT: &str = "2026-11-02T01:00:00Z";

/// Builds the market and returns (ledger dir, ledger, seq just before the compliance event).
fn market() -> (tempfile::TempDir, tonne_app::Ledger, u64) {
    let (dir, path) = temp_db();
    let mut ledger = open(&path);
    let rules = tonne_market::compliance::registry_rules(
        &tonne_market::rules::builtin("US-CA").expect("shipped rules"),
        DelinkTreatment::NotSurrenderable,
    );
    let entity = |e: &str, j: &str, t: &str| json!({"register_entity": {"entity": e, "jurisdiction": j, "name": e, "entity_type": t}});
    let open_acct = |a: &str, e: &str, t: &str| json!({"open_account": {"account": a, "entity": e, "account_type": t}});
    let ca25 = json!({"jurisdiction": "US-CA", "kind": "allowance", "vintage": 2025});
    let obligation = |id: &str, e: &str, first: u16, last: u16, q: u64| json!({"record_obligation": {"obligation": id, "entity": e, "jurisdiction": "US-CA", "label": id, "first_year": first, "last_year": last, "quantity": q}});
    let cmds: Vec<(&str, Value)> = vec![
        (
            "admin",
            json!({"genesis": {"name": "compliance report test", "rules": {}}}),
        ),
        (
            "admin",
            json!({"add_jurisdiction": {"code": "US-CA", "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD"}}),
        ),
        (
            "admin",
            json!({"add_jurisdiction": {"code": "CA-QC", "name": "Québec", "time_zone": "America/Toronto", "currency": "CAD"}}),
        ),
        (
            "admin",
            json!({"add_user": {"user": "carb-eo", "name": "CARB", "role": {"regulator": {"jurisdiction": "US-CA"}}}}),
        ),
        (
            "admin",
            json!({"add_user": {"user": "qc-mel", "name": "MELCCFP", "role": {"regulator": {"jurisdiction": "CA-QC"}}}}),
        ),
        (
            "carb-eo",
            json!({"set_budget": {"jurisdiction": "US-CA", "year": 2025, "allowances": 1_000_000}}),
        ),
        // The holding limit of the year of the allocation needs its budget.
        (
            "carb-eo",
            json!({"set_budget": {"jurisdiction": "US-CA", "year": 2026, "allowances": 1_000_000}}),
        ),
        (
            "carb-eo",
            json!({"set_compliance_rules": {"jurisdiction": "US-CA", "rules": rules}}),
        ),
        ("carb-eo", entity("CA-GOV", "US-CA", "government")),
        ("carb-eo", open_acct("CA-ISSUANCE", "CA-GOV", "issuance")),
        // CE1 meets its obligation (A), CE6 does not (B); CE2 and OI3 have none (C).
        ("carb-eo", entity("CE1", "US-CA", "covered")),
        ("carb-eo", open_acct("CE1-C", "CE1", "compliance")),
        ("carb-eo", entity("CE2", "US-CA", "covered")),
        ("carb-eo", open_acct("CE2-C", "CE2", "compliance")),
        ("carb-eo", entity("OI3", "US-CA", "opt_in")),
        ("carb-eo", open_acct("OI3-C", "OI3", "compliance")),
        // Covered, but without a compliance account: no C.
        ("carb-eo", entity("CE4", "US-CA", "covered")),
        ("carb-eo", open_acct("CE4-H", "CE4", "holding")),
        // A market participant: never C.
        ("carb-eo", entity("VA5", "US-CA", "voluntarily_associated")),
        ("carb-eo", open_acct("VA5-H", "VA5", "holding")),
        ("carb-eo", entity("CE6", "US-CA", "covered")),
        ("carb-eo", open_acct("CE6-C", "CE6", "compliance")),
        // Québec held no compliance event: no C for its entities.
        ("qc-mel", entity("QC1", "CA-QC", "covered")),
        ("qc-mel", open_acct("QC1-C", "QC1", "compliance")),
        (
            "carb-eo",
            json!({"issue": {"series": ca25, "quantity": 100, "to": "CA-ISSUANCE"}}),
        ),
        (
            "carb-eo",
            json!({"allocate": {"from": "CA-ISSUANCE", "to": "CE1-C", "legs": [{"series": ca25, "quantity": 100}]}}),
        ),
        ("carb-eo", obligation("CE1-2025", "CE1", 2025, 2025, 100)),
        ("carb-eo", obligation("CE6-2025", "CE6", 2025, 2025, 50)),
        // A period whose event has not been held: nobody gets C for it.
        ("carb-eo", obligation("CE1-CP5", "CE1", 2024, 2026, 300)),
    ];
    for (i, (actor, cmd)) in cmds.into_iter().enumerate() {
        let o = ledger
            .execute(&env(&format!("k{i}"), T0, actor, cmd))
            .expect("executes");
        accepted(&o);
    }
    let before = ledger.head().0;
    let o = ledger
        .execute(&env(
            "event",
            EVENT,
            "carb-eo",
            json!({"compliance_event": {"jurisdiction": "US-CA", "obligations": ["CE1-2025", "CE6-2025"]}}),
        ))
        .expect("executes");
    accepted(&o);
    (dir, ledger, before)
}

fn report_as_of(ledger: &mut tonne_app::Ledger, at: AsOf, j: Option<&str>) -> ComplianceReport {
    let (state, _) = state_as_of(ledger.store().expect("store"), at).expect("replays");
    compliance_report(&state, j.map(|j| JurisdictionCode::parse(j).expect("code")))
}

fn json_of(r: &ComplianceReport) -> Value {
    serde_json::to_value(r).expect("serialises")
}

/// (status, obligation, first year, last year, quantity) of one line.
type Line = (String, String, u16, u16, u64);

/// (entity, its lines) of every entity listed.
fn statuses(r: &ComplianceReport) -> Vec<(String, Vec<Line>)> {
    r.entities
        .iter()
        .map(|e| {
            (
                e.entity.clone(),
                e.obligations
                    .iter()
                    .map(|o| {
                        (
                            o.status.clone(),
                            o.obligation.clone(),
                            o.first_year,
                            o.last_year,
                            o.quantity,
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn line(status: &str, ob: &str, first: u16, last: u16, q: u64) -> Line {
    (status.into(), ob.into(), first, last, q)
}

#[test]
fn status_c_for_covered_and_opt_in_entities_without_an_obligation_at_the_event() {
    let (_dir, mut ledger, before) = market();
    let r = compliance_report(ledger.state(), None);
    assert_eq!(
        statuses(&r),
        vec![
            (
                "CE1".into(),
                vec![
                    line("A", "CE1-2025", 2025, 2025, 100),
                    line("open", "CE1-CP5", 2024, 2026, 300),
                ]
            ),
            ("CE2".into(), vec![line("C", "", 2025, 2025, 0)]),
            (
                "CE6".into(),
                vec![
                    line("B", "CE6-2025", 2025, 2025, 50),
                    // 4 × the 50 short (REG-§95857(b)).
                    line("open", "CE6-2025:untimely", 2025, 2025, 200),
                ]
            ),
            ("OI3".into(), vec![line("C", "", 2025, 2025, 0)]),
        ],
        "no C for CE4 (no compliance account), VA5 (voluntarily associated), QC1 (no Québec event) or 2024-2026 (no event)"
    );
    let v = json_of(&r);
    let ce2 = &v["entities"][1];
    assert_eq!(ce2["owed"], json!(0));
    assert_eq!(ce2["outstanding"], json!(0));
    let c = &ce2["obligations"][0];
    assert_eq!(c["compliance_event_at"], json!("2026-11-02T01:00:00Z"));
    assert_eq!(
        c["label"],
        json!(
            "no verified emissions for 2025 at the compliance event held at 2026-11-02T01:00:00Z"
        )
    );
    // The existing keys of an obligation line are all still there (a contract); the event's
    // time is added.
    let a = v["entities"][0]["obligations"][0].as_object().unwrap();
    for k in [
        "obligation",
        "label",
        "first_year",
        "last_year",
        "quantity",
        "surrendered",
        "allowances",
        "offsets",
        "reserve_and_ceiling",
        "outstanding",
        "offset_cap",
        "status",
    ] {
        assert!(a.contains_key(k), "{k} missing from {a:?}");
    }
    assert_eq!(a["compliance_event_at"], json!(EVENT));
    let text = render(&r);
    assert!(
        text.contains("[C] not entered              2025-2025 no verified emissions for 2025 at the compliance event held at 2026-11-02T01:00:00Z"),
        "{text}"
    );

    // The report as of the seq before the event: no event, so no C and no A/B yet.
    let earlier = report_as_of(&mut ledger, AsOf::Seq(before), None);
    assert_eq!(
        statuses(&earlier),
        vec![
            (
                "CE1".into(),
                vec![
                    line("open", "CE1-2025", 2025, 2025, 100),
                    line("open", "CE1-CP5", 2024, 2026, 300),
                ]
            ),
            ("CE6".into(), vec![line("open", "CE6-2025", 2025, 2025, 50)]),
        ]
    );
    // Replayed to the head, the report is the live one.
    let head = report_as_of(&mut ledger, AsOf::Head, None);
    assert_eq!(json_of(&head), json_of(&r));

    // Per jurisdiction: Québec's report has nobody, California's is the whole report.
    assert!(
        report_as_of(&mut ledger, AsOf::Head, Some("CA-QC"))
            .entities
            .is_empty()
    );
    assert_eq!(
        statuses(&report_as_of(&mut ledger, AsOf::Head, Some("US-CA"))),
        statuses(&r)
    );
}

/// An obligation recorded for the period after its event (a late one) replaces the C: the
/// entity now has an obligation of those years.
#[test]
fn a_late_obligation_replaces_status_c() {
    let (_dir, mut ledger, _) = market();
    let o = ledger
        .execute(&env(
            "late",
            "2026-11-05T17:00:00Z",
            "carb-eo",
            json!({"record_obligation": {"obligation": "CE2-2025", "entity": "CE2", "jurisdiction": "US-CA", "label": "late", "first_year": 2025, "last_year": 2025, "quantity": 10}}),
        ))
        .expect("executes");
    accepted(&o);
    let r = compliance_report(ledger.state(), None);
    let ce2 = statuses(&r).into_iter().find(|(e, _)| e == "CE2").unwrap();
    assert_eq!(ce2.1, vec![line("open", "CE2-2025", 2025, 2025, 10)]);
}
