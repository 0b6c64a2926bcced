//! `tonne report compliance` shows status `C` (verified emissions not entered) for a covered
//! entity without an obligation of a period whose compliance event was held, in JSON and text,
//! and not as of a seq before the event.

use crate::util::*;
use serde_json::{Value, json};

#[test]
fn report_compliance_shows_status_c_from_the_event_on() {
    let (dir, db) = temp_db();
    let t0 = "2026-01-05T16:00:00Z";
    let entity = |e: &str, t: &str| json!({"register_entity": {"entity": e, "jurisdiction": "US-CA", "name": e, "entity_type": t}});
    let account = |a: &str, e: &str, t: &str| json!({"open_account": {"account": a, "entity": e, "account_type": t}});
    let rules = json!({"offset_limits": [], "retirement_order": ["allowance"], "untimely_multiplier": 4, "untimely_allowance_share_bp": 7500, "source": "test (REG-§95857(b) multiplier and share)"});
    let cmds: Vec<(&str, Value)> = vec![
        (
            "admin",
            json!({"genesis": {"name": "report test", "rules": {}}}),
        ),
        (
            "admin",
            json!({"add_jurisdiction": {"code": "US-CA", "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD"}}),
        ),
        (
            "admin",
            json!({"add_user": {"user": "carb-eo", "name": "CARB", "role": {"regulator": {"jurisdiction": "US-CA"}}}}),
        ),
        (
            "carb-eo",
            json!({"set_compliance_rules": {"jurisdiction": "US-CA", "rules": rules}}),
        ),
        ("carb-eo", entity("CE1", "covered")),
        ("carb-eo", account("CE1-C", "CE1", "compliance")),
        ("carb-eo", entity("CE2", "covered")),
        ("carb-eo", account("CE2-C", "CE2", "compliance")),
        ("carb-eo", entity("VA3", "voluntarily_associated")),
        ("carb-eo", account("VA3-H", "VA3", "holding")),
        (
            "carb-eo",
            json!({"record_obligation": {"obligation": "CE1-2025", "entity": "CE1", "jurisdiction": "US-CA", "label": "2025 annual", "first_year": 2025, "last_year": 2025, "quantity": 10}}),
        ),
    ];
    let mut lines: Vec<String> = cmds
        .into_iter()
        .enumerate()
        .map(|(i, (a, c))| env(&format!("k{i}"), t0, a, c))
        .collect();
    let before = lines.len() as u64;
    lines.push(env(
        "event",
        "2026-11-02T01:00:00Z",
        "carb-eo",
        json!({"compliance_event": {"jurisdiction": "US-CA", "obligations": ["CE1-2025"]}}),
    ));
    let f = write_file(dir.path(), "market.jsonl", &lines);
    let r = tonne(["apply", p(&f), "--db", p(&db)]);
    assert_eq!(r.code, 0, "{r:?}");

    let v = tonne(["report", "compliance", "--db", p(&db), "--json"]).json();
    let entities: Vec<(&str, Vec<&str>)> = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entity"].as_str().unwrap(),
                e["obligations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["status"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    // CE1 had nothing to surrender: B and its untimely obligation; CE2 had no obligation: C.
    assert_eq!(
        entities,
        [("CE1", vec!["B", "open"]), ("CE2", vec!["C"])],
        "{v}"
    );
    let text = tonne(["report", "compliance", "--db", p(&db)]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout.contains(
            "[C] not entered              2025-2025 no verified emissions for 2025 at the compliance event held at 2026-11-02T01:00:00Z"
        ),
        "{}",
        text.stdout
    );
    let earlier = tonne([
        "report",
        "compliance",
        "--db",
        p(&db),
        "--as-of-seq",
        &before.to_string(),
    ]);
    assert_eq!(earlier.code, 0, "{earlier:?}");
    assert!(!earlier.stdout.contains("[C]"), "{}", earlier.stdout);
    assert!(!earlier.stdout.contains("CE2"), "{}", earlier.stdout);
}
