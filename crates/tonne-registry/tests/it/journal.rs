//! The journal: hash-chained entries whose payload decodes back to the exact envelope, and
//! replay of the decoded commands.

use crate::fixture::*;
use serde_json::json;
use tonne_registry::{Effect, Envelope, GENESIS_HASH, JournalEntry, JournalError, State};

/// A registry with some of everything in its log.
fn busy_registry() -> Reg {
    let mut r = registry();
    r.ok(REG_CA, json!({ "record_obligation": {
        "obligation": "ob1", "entity": "ce-ca", "jurisdiction": CA, "label": "CP5", "first_year": 2024, "last_year": 2026, "quantity": 50
    }}));
    r.give(ALW26, 1_000, CE1_H);
    r.give(OFF, 100, VAE_H);
    r.propose(ALICE, "t1", CE1_H, CE2_H, json!([qty(ALW26, 100)]))
        .unwrap();
    r.ok(BOB, json!({ "confirm_transfer": { "transfer": "t1" } }));
    r.ok(CAROL, json!({ "accept_transfer": { "transfer": "t1" } }));
    r.propose(ALICE, "t2", CE1_H, CE1_C, json!([qty(ALW26, 100)]))
        .unwrap();
    r.ok(BOB, json!({ "confirm_transfer": { "transfer": "t2" } }));
    r.ok(
        REG_CA,
        json!({ "surrender": { "obligation": "ob1", "account": CE1_C, "legs": [qty(ALW26, 50)] } }),
    );
    r.propose(ERIN, "t3", VAE_H, CE1_H, json!([ranges(OFF, &[(7, 9)])]))
        .unwrap();
    r.advance_hours(72);
    r.ok(SYSTEM, json!({ "tick": {} }));
    r.ok(
        REG_CA,
        json!({ "invalidate": { "series": sj(OFF), "ranges": [[1, 5]], "reason": "overstated" } }),
    );
    let seq = r.state.seq - 6;
    let cmd = r.reverse_cmd(seq); // the accepted t1
    r.ok(REG_CA, cmd);
    r
}

fn seal_all(r: &Reg) -> Vec<JournalEntry> {
    let mut prev = GENESIS_HASH;
    r.log
        .iter()
        .map(|e| {
            let j = JournalEntry::seal(e.seq, prev, &e.env, &e.effects);
            prev = j.hash;
            j
        })
        .collect()
}

#[test]
fn entries_chain_and_decode_to_the_exact_envelope() {
    let r = busy_registry();
    let journal = seal_all(&r);
    assert_eq!(journal.len() as u64, r.state.seq);
    let mut prev = GENESIS_HASH;
    for (j, e) in journal.iter().zip(&r.log) {
        assert_eq!(j.seq, e.seq);
        assert_eq!(j.prev_hash, prev);
        assert_eq!(j.hash, j.compute_hash());
        let (env, effects) = j.decode().unwrap();
        assert_eq!(env, e.env);
        assert_eq!(effects, e.effects);
        prev = j.hash;
    }
    // Sealing is deterministic.
    assert_eq!(seal_all(&r), journal);
}

#[test]
fn any_edit_breaks_the_hash() {
    let r = busy_registry();
    let journal = seal_all(&r);
    let j = journal
        .iter()
        .find(|j| j.payload.len() > 20)
        .unwrap()
        .clone();
    for i in [0, j.payload.len() / 2, j.payload.len() - 1] {
        let mut t = j.clone();
        t.payload[i] ^= 0x01;
        assert_ne!(t.compute_hash(), j.hash, "payload byte {i}");
    }
    let mut t = j.clone();
    t.ts = t.ts.plus_hours(1);
    assert_ne!(t.compute_hash(), j.hash);
    let mut t = j.clone();
    t.actor = tonne_core::UserId::parse("mallory").unwrap();
    assert_ne!(t.compute_hash(), j.hash);
    let mut t = j.clone();
    t.key.push('x');
    assert_ne!(t.compute_hash(), j.hash);
    let mut t = j.clone();
    t.seq += 1;
    assert_ne!(t.compute_hash(), j.hash);
    let mut t = j.clone();
    t.prev_hash[0] ^= 1;
    assert_ne!(t.compute_hash(), j.hash);
    // Moving bytes between the length-prefixed fields changes the hash too.
    let mut t = j.clone();
    t.key = format!("{}{}", t.actor, t.key);
    t.actor = tonne_core::UserId::parse("a").unwrap();
    assert_ne!(t.compute_hash(), j.hash);
    // A truncated payload no longer decodes; an unknown format is refused.
    let mut t = j.clone();
    t.payload.truncate(3);
    assert!(matches!(t.decode(), Err(JournalError::Decode { .. })));
    let mut t = j.clone();
    t.format = 2;
    assert!(matches!(
        t.decode(),
        Err(JournalError::Format { format: 2, .. })
    ));
}

#[test]
fn replaying_decoded_entries_rebuilds_the_same_state() {
    let r = busy_registry();
    let mut fresh = State::new();
    for j in seal_all(&r) {
        let (env, recorded) = j.decode().unwrap();
        let effects = fresh
            .apply(&env)
            .unwrap_or_else(|e| panic!("entry {}: {e}", j.seq));
        assert_eq!(effects, recorded, "entry {}", j.seq);
    }
    assert_eq!(snapshot(&fresh), snapshot(&r.state));
    assert_eq!(all_balances(&fresh), all_balances(&r.state));
    assert_eq!(fresh.groups, r.state.groups);
    assert_eq!(fresh.reversible, r.state.reversible);
}

/// A command file is JSON Lines of envelopes. This one is a complete small registry.
const COMMAND_FILE: &str = r#"
{"v":1,"key":"g","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"genesis":{"name":"Demo","rules":{"confirm_window_days":2,"accept_window_days":3,"windows_in_business_days":false,"small_budget_limit_bp":1000,"trusted_accounts":null}}}}
{"v":1,"key":"j1","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"add_jurisdiction":{"code":"US-CA","name":"California","time_zone":"America/Los_Angeles","currency":"USD","holidays":["2026-01-19"]}}}
{"v":1,"key":"u1","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"add_user":{"user":"carb","name":"CARB","role":{"regulator":{"jurisdiction":"US-CA"}}}}}
{"v":1,"key":"u2","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"add_user":{"user":"ann","name":"Ann","role":"participant"}}}
{"v":1,"key":"u3","ts":"2026-01-05T10:00:00Z","actor":"admin","cmd":{"add_user":{"user":"ben","name":"Ben","role":"participant"}}}
{"v":1,"key":"b1","ts":"2026-01-05T10:01:00Z","actor":"carb","cmd":{"set_budget":{"jurisdiction":"US-CA","year":2026,"allowances":254000000}}}
{"v":1,"key":"e1","ts":"2026-01-05T10:01:00Z","actor":"carb","cmd":{"register_entity":{"entity":"gov","jurisdiction":"US-CA","name":"State","entity_type":"government"}}}
{"v":1,"key":"e2","ts":"2026-01-05T10:01:00Z","actor":"carb","cmd":{"register_entity":{"entity":"acme","jurisdiction":"US-CA","name":"Acme","entity_type":"covered","group":"acme-group"}}}
{"v":1,"key":"a1","ts":"2026-01-05T10:02:00Z","actor":"carb","cmd":{"open_account":{"account":"ISS","entity":"gov","account_type":"issuance"}}}
{"v":1,"key":"a2","ts":"2026-01-05T10:02:00Z","actor":"carb","cmd":{"open_account":{"account":"ACME-H","entity":"acme","account_type":"holding"}}}
{"v":1,"key":"a3","ts":"2026-01-05T10:02:00Z","actor":"carb","cmd":{"open_account":{"account":"ACME-C","entity":"acme","account_type":"compliance"}}}
{"v":1,"key":"r1","ts":"2026-01-05T10:02:00Z","actor":"carb","cmd":{"set_representative":{"account":"ACME-H","user":"ann","role":"primary"}}}
{"v":1,"key":"r2","ts":"2026-01-05T10:02:00Z","actor":"carb","cmd":{"set_representative":{"account":"ACME-H","user":"ben","role":"alternate"}}}
{"v":1,"key":"i1","ts":"2026-01-05T11:00:00Z","actor":"carb","cmd":{"issue":{"series":{"jurisdiction":"US-CA","kind":"allowance","vintage":2026},"quantity":1000,"to":"ISS"}}}
{"v":1,"key":"x1","ts":"2026-01-05T11:00:00Z","actor":"carb","cmd":{"execute_transfer":{"from":"ISS","to":"ACME-H","legs":[{"series":{"jurisdiction":"US-CA","kind":"allowance","vintage":2026},"quantity":600}],"reason":"allocation"}}}
{"v":1,"key":"p1","ts":"2026-01-06T09:00:00.250Z","actor":"ann","cmd":{"propose_transfer":{"transfer":"T-1","from":"ACME-H","to":"ACME-C","legs":[{"series":{"jurisdiction":"US-CA","kind":"allowance","vintage":2026},"ranges":[[1,100],[201,250]]}],"transaction_type":"own_accounts"}}}
{"v":1,"key":"c1","ts":"2026-01-06T09:30:00Z","actor":"ben","cmd":{"confirm_transfer":{"transfer":"T-1"}}}
{"v":1,"key":"t1","ts":"2026-01-07T00:00:00Z","actor":"carb","cmd":{"tick":{}}}
"#;

#[test]
fn a_command_file_parses_applies_and_round_trips() {
    let mut state = State::new();
    let mut prev = GENESIS_HASH;
    for (i, line) in COMMAND_FILE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
    {
        let env: Envelope = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {i}: {e}"));
        // JSON round trip: what we write, we read back identically.
        let again: Envelope = serde_json::from_str(&serde_json::to_string(&env).unwrap()).unwrap();
        assert_eq!(again, env);
        let effects = state
            .apply(&env)
            .unwrap_or_else(|e| panic!("line {i}: {e}"));
        let j = JournalEntry::seal(state.seq, prev, &env, &effects);
        assert_eq!(j.decode().unwrap(), (env, effects));
        prev = j.hash;
    }
    let acme_c = account("ACME-C");
    assert_eq!(state.balances(&acme_c)[&series(ALW26)], (150, 0));
    // Sub-second timestamps survive the binary encoding.
    assert_eq!(
        state.transfers[&transfer("T-1")].proposed_at,
        ts("2026-01-06T09:00:00.250Z")
    );
}

#[test]
fn effect_json_shape() {
    // Effects are recorded in the journal; their JSON form is what exports and APIs show.
    let e = moved(ALW26, (1, 40), escrow("t1"), acct(CE2_H));
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({ "moved": {
            "series": { "jurisdiction": "US-CA", "kind": "allowance", "vintage": 2026, "project": null },
            "range": [1, 40], "from": { "escrow": "t1" }, "to": { "account": CE2_H }
        }})
    );
    let e: Effect = serde_json::from_value(json!({ "moved": {
        "series": { "jurisdiction": "US-CA", "kind": "offset_credit", "vintage": 2024, "project": "CAFR5001" },
        "range": [7, 7], "from": "retired", "to": "invalidated"
    }}))
    .unwrap();
    assert_eq!(
        e,
        moved(
            OFF,
            (7, 7),
            tonne_registry::Loc::Retired,
            tonne_registry::Loc::Invalidated
        )
    );
    assert_eq!(
        serde_json::to_value(status("t1", "executed")).unwrap(),
        json!({ "transfer_status": { "transfer": "t1", "status": "executed" } })
    );
}
