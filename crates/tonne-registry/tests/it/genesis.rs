//! Genesis, envelope checks and time.

use crate::fixture::*;
use serde_json::json;
use tonne_registry::{COMMAND_FORMAT_VERSION, Code, State};

#[test]
fn an_empty_registry_accepts_only_genesis() {
    let mut r = Reg::empty("2026-01-05T18:00:00Z");
    let empty = snapshot(&State::new());
    r.check(&[
        (ADMIN, json!({ "add_jurisdiction": { "code": CA, "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD" } }), Some(Code::Genesis)),
        (ADMIN, json!({ "tick": {} }), Some(Code::Genesis)),
        // Genesis checks its own fields before anything is created.
        (ADMIN, json!({ "genesis": { "name": "  ", "rules": {} } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "genesis": { "name": "Tonne", "rules": { "confirm_window_days": 0 } } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "genesis": { "name": "Tonne", "rules": { "confirm_window_days": 4, "accept_window_days": 3 } } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "genesis": { "name": "Tonne", "rules": { "small_budget_limit_bp": 10_001 } } }), Some(Code::InvalidField)),
    ]);
    assert_eq!(snapshot(&r.state), empty);
    assert_eq!(r.state.seq, 0);

    let effects = r.ok(
        ADMIN,
        json!({ "genesis": { "name": "Tonne", "rules": {} } }),
    );
    assert!(effects.is_empty());
    assert_eq!(r.state.seq, 1);
    assert_eq!(r.state.admin.as_ref().map(|u| u.as_str()), Some(ADMIN));
    assert_eq!(r.state.rules, tonne_registry::RegistryRules::default());
    // Exactly one genesis per registry, whoever sends it.
    r.rejects(
        ADMIN,
        json!({ "genesis": { "name": "Again", "rules": {} } }),
        Code::Genesis,
    );
    r.rejects(
        "mallory",
        json!({ "genesis": { "name": "Again", "rules": {} } }),
        Code::Genesis,
    );
}

#[test]
fn envelope_checks() {
    let mut r = registry();
    // Format version.
    let mut env = r.env(ADMIN, json!({ "tick": {} }));
    env.v = COMMAND_FORMAT_VERSION + 1;
    assert_eq!(r.apply(env).unwrap_err().code, Code::UnsupportedVersion);
    // Idempotency key: 1-128 printable characters.
    for key in [String::new(), "x".repeat(129), "a\nb".into()] {
        let mut env = r.env(ADMIN, json!({ "tick": {} }));
        env.key = key;
        assert_eq!(r.apply(env).unwrap_err().code, Code::InvalidField);
    }
    let mut env = r.env(ADMIN, json!({ "tick": {} }));
    env.key = "x".repeat(128);
    r.apply(env).unwrap();
    // Unknown actors.
    r.rejects("mallory", json!({ "tick": {} }), Code::UnknownActor);
    // Unknown fields are refused by the parser (the command format is closed).
    let bad = json!({ "v": 1, "key": "k", "ts": "2026-01-05T18:00:00Z", "actor": ADMIN, "cmd": { "tick": {} }, "extra": 1 });
    assert!(serde_json::from_value::<tonne_registry::Envelope>(bad).is_err());
    let bad = json!({ "v": 1, "key": "k", "ts": "2026-01-05T18:00:00Z", "actor": ADMIN, "cmd": { "set_rules": { "rules": { "confirm_days": 2 } } } });
    assert!(serde_json::from_value::<tonne_registry::Envelope>(bad).is_err());
}

#[test]
fn time_never_goes_backwards() {
    let mut r = registry();
    r.advance_hours(1);
    r.ok(SYSTEM, json!({ "tick": {} }));
    let last = r.now;
    // The same instant is fine (many commands share a timestamp).
    r.ok(SYSTEM, json!({ "tick": {} }));
    r.now = tonne_core::Timestamp::from_millis(last.millis() - 1).unwrap();
    let rej = r.rejects(SYSTEM, json!({ "tick": {} }), Code::TimeWentBackwards);
    assert!(
        rej.message.contains("before the last accepted command"),
        "{rej}"
    );
    // A rejected command does not move the clock: `last_ts` stays.
    assert_eq!(r.state.last_ts, Some(last));
    r.now = last;
    r.ok(SYSTEM, json!({ "tick": {} }));
}

#[test]
fn only_the_administrator_configures_the_registry() {
    let mut r = registry();
    let rules = json!({ "confirm_window_days": 2, "accept_window_days": 3 });
    for actor in [REG_CA, ALICE, SYSTEM] {
        r.check(&[
            (actor, json!({ "set_rules": { "rules": rules } }), Some(Code::NotAuthorized)),
            (actor, json!({ "add_user": { "user": "zed", "name": "Zed", "role": "participant" } }), Some(Code::NotAuthorized)),
            (actor, json!({ "add_jurisdiction": { "code": "MX-BCN", "name": "Baja California", "time_zone": "America/Tijuana", "currency": "MXN" } }), Some(Code::NotAuthorized)),
            (actor, json!({ "link": { "a": CA, "b": "MX-BCN", "effective": "2027-01-01T00:00:00Z" } }), Some(Code::NotAuthorized)),
            (actor, json!({ "delink": { "a": CA, "b": QC, "effective": "2027-01-01T00:00:00Z" } }), Some(Code::NotAuthorized)),
        ]);
    }
    r.check(&[
        (ADMIN, json!({ "add_jurisdiction": { "code": CA, "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD" } }), Some(Code::DuplicateId)),
        (ADMIN, json!({ "add_jurisdiction": { "code": "MX-BCN", "name": "Baja California", "time_zone": "Mars/Olympus", "currency": "MXN" } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "add_jurisdiction": { "code": "MX-BCN", "name": "Baja California", "time_zone": "America/Tijuana", "currency": "pesos" } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "add_jurisdiction": { "code": "MX-BCN", "name": "Baja California", "time_zone": "America/Tijuana", "currency": "MXN", "holidays": ["2026-02-30"] } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "add_jurisdiction": { "code": "MX-BCN", "name": "Baja California", "time_zone": "America/Tijuana", "currency": "MXN" } }), None),
        (ADMIN, json!({ "add_user": { "user": ALICE, "name": "Alice again", "role": "participant" } }), Some(Code::DuplicateId)),
        (ADMIN, json!({ "add_user": { "user": "reg-on", "name": "Ontario", "role": { "regulator": { "jurisdiction": "CA-ON" } } } }), Some(Code::UnknownJurisdiction)),
        (ADMIN, json!({ "link": { "a": CA, "b": CA, "effective": "2027-01-01T00:00:00Z" } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "link": { "a": QC, "b": CA, "effective": "2027-01-01T00:00:00Z" } }), Some(Code::DuplicateId)),
        (ADMIN, json!({ "link": { "a": CA, "b": "CA-ON", "effective": "2027-01-01T00:00:00Z" } }), Some(Code::UnknownJurisdiction)),
        (ADMIN, json!({ "delink": { "a": CA, "b": "MX-BCN", "effective": "2027-01-01T00:00:00Z" } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "delink": { "a": CA, "b": QC, "effective": "2013-01-01T00:00:00Z" } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "set_rules": { "rules": { "accept_window_days": 61 } } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "set_rules": { "rules": { "trusted_accounts": { "activation_business_days": 4, "untrusted_delay_hours": 26, "untrusted_max_quantity": 0 } } } }), Some(Code::InvalidField)),
        (ADMIN, json!({ "set_rules": { "rules": rules } }), None),
    ]);
}
