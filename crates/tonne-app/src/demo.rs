//! `tonne demo`: builds a linked two-jurisdiction market (California and Québec, linked since
//! 2014-01-01 — reference/cap-and-trade.md header) on a new store, through the same commands a
//! real registry receives, and returns a readable summary.

use crate::ledger::{AppError, Ledger, Outcome};
use serde_json::{Value, json};
use tonne_registry::Envelope;
use tonne_registry::market::DelinkTreatment;

mod auction;

/// CalCement's 2025 emissions report (demo data: the example cement plant's inputs).
const REPORT: &str = "CA1001-2025-R";
const REPORT_FILE: &[u8] = include_bytes!("../data/demo-calcement-2025.json");

fn calcement_submission() -> tonne_mrv::verification::workflow::VerificationCommand {
    tonne_mrv::report::submission::submission(REPORT_FILE, REPORT, None)
        .expect("the demo report computes")
}

/// The annual share of California's rules (30 %, UNVERIFIED in tonne-market data/us-ca.json).
fn annual_share_bp() -> u32 {
    tonne_market::rules::builtin("US-CA")
        .expect("shipped rules")
        .compliance
        .annual_share_bp
        .value
}

/// What the registry computes for CalCement's 2025 annual obligation: the share of the
/// verified covered emissions in whole tonnes (half away from zero), rounded half up.
fn calcement_annual_obligation() -> u64 {
    let tonne_mrv::verification::workflow::VerificationCommand::SubmitReport {
        covered_co2e_t, ..
    } = calcement_submission()
    else {
        unreachable!("a submission")
    };
    let whole = tonne_mrv::num::round::obligation_tonnes(
        covered_co2e_t,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    let t = u64::try_from(whole.mantissa()).expect("positive") / 10u64.pow(whole.scale());
    (t * u64::from(annual_share_bp()) + 5_000) / 10_000
}

/// The demo's commands, in order, with whether each is expected to be accepted.
pub fn script() -> Vec<(Envelope, bool)> {
    let mut out = Vec::new();
    let mut n = 0;
    let mut push = |ts: &str, actor: &str, cmd: Value, ok: bool| {
        n += 1;
        let v =
            json!({"v": 1, "key": format!("demo-{n:03}"), "ts": ts, "actor": actor, "cmd": cmd});
        out.push((
            serde_json::from_value::<Envelope>(v).expect("demo commands are well formed"),
            ok,
        ));
    };
    let t0 = "2026-01-05T16:00:00Z";
    push(
        t0,
        "admin",
        json!({"genesis": {"name": "Tonne demo registry (WCI-style linked market)", "rules": {}}}),
        true,
    );
    // California observes its state holidays; two are listed to show business-day counting.
    push(
        t0,
        "admin",
        json!({"add_jurisdiction": {"code": "US-CA", "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD", "holidays": ["2026-01-19", "2026-11-26"]}}),
        true,
    );
    push(
        t0,
        "admin",
        json!({"add_jurisdiction": {"code": "CA-QC", "name": "Québec", "time_zone": "America/Toronto", "currency": "CAD", "holidays": ["2026-06-24"]}}),
        true,
    );
    for (user, name, role) in [
        (
            "carb-eo",
            "CARB Executive Officer delegate",
            json!({"regulator": {"jurisdiction": "US-CA"}}),
        ),
        (
            "qc-mel",
            "MELCCFP registrar",
            json!({"regulator": {"jurisdiction": "CA-QC"}}),
        ),
        ("scheduler", "Registry scheduler", json!("system")),
        ("alice", "Alice (CalCement, primary)", json!("participant")),
        ("bob", "Bob (CalCement, alternate)", json!("participant")),
        ("dave", "Dave (Aluminerie, primary)", json!("participant")),
        ("dana", "Dana (Aluminerie, alternate)", json!("participant")),
        (
            "erin",
            "Erin (Pacific Trading, primary)",
            json!("participant"),
        ),
        (
            "frank",
            "Frank (Pacific Trading, alternate)",
            json!("participant"),
        ),
        (
            "marie",
            "Marie (Marché Carbone, primary)",
            json!("participant"),
        ),
        (
            "marc",
            "Marc (Marché Carbone, alternate)",
            json!("participant"),
        ),
        ("lena", "Lena (lead verifier)", json!("participant")),
        ("raj", "Raj (independent reviewer)", json!("participant")),
        (
            "uma",
            "Uma (Sierra Electric, primary)",
            json!("participant"),
        ),
        (
            "ulrich",
            "Ulrich (Sierra Electric, alternate)",
            json!("participant"),
        ),
    ] {
        push(
            t0,
            "admin",
            json!({"add_user": {"user": user, "name": name, "role": role}}),
            true,
        );
    }
    push(
        t0,
        "admin",
        json!({"link": {"a": "US-CA", "b": "CA-QC", "effective": "2014-01-01T08:00:00Z"}}),
        true,
    );
    // Budgets: California REG-§95841 Table 6-1 (VERIFIED); Québec caps UNVERIFIED
    // (reference/cap-and-trade.md §3.3) — demo data only.
    for (jur, actor, year, qty) in [
        ("US-CA", "carb-eo", 2025, 267_400_000u64),
        ("US-CA", "carb-eo", 2026, 254_000_000),
        ("US-CA", "carb-eo", 2027, 240_600_000),
        ("CA-QC", "qc-mel", 2025, 50_710_000),
        ("CA-QC", "qc-mel", 2026, 49_520_000),
        ("CA-QC", "qc-mel", 2027, 48_330_000),
    ] {
        push(
            t0,
            actor,
            json!({"set_budget": {"jurisdiction": jur, "year": year, "allowances": qty}}),
            true,
        );
    }
    // Compliance rules from the shipped program rules files (tonne-market data/us-ca.json and
    // ca-qc.json): offset limits, retirement order, untimely surrender.
    for (jur, actor) in [("US-CA", "carb-eo"), ("CA-QC", "qc-mel")] {
        let rules = tonne_market::rules::builtin(jur).expect("shipped rules");
        let reg =
            tonne_market::compliance::registry_rules(&rules, DelinkTreatment::NotSurrenderable);
        push(
            t0,
            actor,
            json!({"set_compliance_rules": {"jurisdiction": jur, "rules": reg}}),
            true,
        );
    }
    let entity = |e: &str, j: &str, name: &str, t: &str| json!({"register_entity": {"entity": e, "jurisdiction": j, "name": name, "entity_type": t}});
    let open = |a: &str, e: &str, t: &str| json!({"open_account": {"account": a, "entity": e, "account_type": t}});
    let rep = |a: &str, u: &str, r: &str| json!({"set_representative": {"account": a, "user": u, "role": r}});
    let t1 = "2026-01-06T17:00:00Z";
    push(
        t1,
        "carb-eo",
        entity("CA-GOV", "US-CA", "State of California (ARB)", "government"),
        true,
    );
    push(
        t1,
        "qc-mel",
        entity("QC-GOV", "CA-QC", "Gouvernement du Québec", "government"),
        true,
    );
    for (a, e, t, who) in [
        ("CA-ISSUANCE", "CA-GOV", "issuance", "carb-eo"),
        ("CA-AUCTION", "CA-GOV", "auction_holding", "carb-eo"),
        ("QC-ISSUANCE", "QC-GOV", "issuance", "qc-mel"),
        ("QC-AUCTION", "QC-GOV", "auction_holding", "qc-mel"),
    ] {
        push(t1, who, open(a, e, t), true);
    }
    push(
        t1,
        "carb-eo",
        entity("CA1001", "US-CA", "CalCement Inc.", "covered"),
        true,
    );
    push(
        t1,
        "qc-mel",
        entity("QC2001", "CA-QC", "Aluminerie du Saint-Laurent", "covered"),
        true,
    );
    push(
        t1,
        "carb-eo",
        entity(
            "CA3001",
            "US-CA",
            "Pacific Carbon Trading LLC",
            "voluntarily_associated",
        ),
        true,
    );
    // An electrical distribution utility: its allocation goes to a limited use holding account
    // and is consigned to auction (REG-§95831, §95892).
    push(
        t1,
        "carb-eo",
        entity("CA4001", "US-CA", "Sierra Electric Utility", "covered"),
        true,
    );
    push(
        t1,
        "qc-mel",
        entity(
            "QC3001",
            "CA-QC",
            "Marché Carbone Inc.",
            "voluntarily_associated",
        ),
        true,
    );
    for (a, e, t, who, p, alt) in [
        ("QC3001-H", "QC3001", "holding", "qc-mel", "marie", "marc"),
        (
            "CA4001-L",
            "CA4001",
            "limited_use_holding",
            "carb-eo",
            "uma",
            "ulrich",
        ),
        (
            "CA4001-C",
            "CA4001",
            "compliance",
            "carb-eo",
            "uma",
            "ulrich",
        ),
        ("CA1001-H", "CA1001", "holding", "carb-eo", "alice", "bob"),
        (
            "CA1001-C",
            "CA1001",
            "compliance",
            "carb-eo",
            "alice",
            "bob",
        ),
        ("QC2001-H", "QC2001", "holding", "qc-mel", "dave", "dana"),
        ("QC2001-C", "QC2001", "compliance", "qc-mel", "dave", "dana"),
        ("CA3001-H", "CA3001", "holding", "carb-eo", "erin", "frank"),
    ] {
        push(t1, who, open(a, e, t), true);
        push(t1, who, rep(a, p, "primary"), true);
        push(t1, who, rep(a, alt, "alternate"), true);
    }
    for (a, who) in [
        ("CA-ISSUANCE", "carb-eo"),
        ("CA-AUCTION", "carb-eo"),
        ("QC-ISSUANCE", "qc-mel"),
        ("QC-AUCTION", "qc-mel"),
    ] {
        push(t1, who, rep(a, who, "primary"), true);
    }
    let ser = |j: &str, v: u16| json!({"jurisdiction": j, "kind": "allowance", "vintage": v});
    let leg = |j: &str, v: u16, q: u64| json!([{"series": ser(j, v), "quantity": q}]);
    let t2 = "2026-01-07T17:00:00Z";
    push(
        t2,
        "carb-eo",
        json!({"issue": {"series": ser("US-CA", 2025), "quantity": 400_000, "to": "CA-ISSUANCE"}}),
        true,
    );
    push(
        t2,
        "carb-eo",
        json!({"issue": {"series": ser("US-CA", 2026), "quantity": 1_000_000, "to": "CA-ISSUANCE"}}),
        true,
    );
    push(
        t2,
        "qc-mel",
        json!({"issue": {"series": ser("CA-QC", 2026), "quantity": 500_000, "to": "QC-ISSUANCE"}}),
        true,
    );
    // Issuance above the budget is refused (UK ETS business check 10004 pattern).
    push(
        t2,
        "carb-eo",
        json!({"issue": {"series": ser("US-CA", 2026), "quantity": 253_500_000, "to": "CA-ISSUANCE"}}),
        false,
    );
    let t3 = "2026-01-15T18:00:00Z";
    push(
        t3,
        "carb-eo",
        json!({"allocate": {"from": "CA-ISSUANCE", "to": "CA1001-H", "legs": [{"series": ser("US-CA", 2025), "quantity": 270_000}, {"series": ser("US-CA", 2026), "quantity": 300_000}]}}),
        true,
    );
    push(
        t3,
        "qc-mel",
        json!({"allocate": {"from": "QC-ISSUANCE", "to": "QC2001-H", "legs": leg("CA-QC", 2026, 150_000)}}),
        true,
    );
    push(
        t3,
        "carb-eo",
        json!({"allocate": {"from": "CA-ISSUANCE", "to": "CA-AUCTION", "legs": leg("US-CA", 2026, 400_000)}}),
        true,
    );
    push(
        t3,
        "qc-mel",
        json!({"allocate": {"from": "QC-ISSUANCE", "to": "QC-AUCTION", "legs": leg("CA-QC", 2026, 30_000)}}),
        true,
    );
    push(
        t3,
        "carb-eo",
        json!({"allocate": {"from": "CA-ISSUANCE", "to": "CA4001-L", "legs": leg("US-CA", 2026, 80_000)}}),
        true,
    );
    push(
        t3,
        "carb-eo",
        json!({"allocate": {"from": "CA-ISSUANCE", "to": "CA4001-C", "legs": leg("US-CA", 2025, 40_000)}}),
        true,
    );
    // The utility consigns 50,000 to the auction: its representative proposes, the alternate
    // confirms, the auction account's representative (the regulator) accepts.
    push(
        "2026-01-20T17:00:00Z",
        "uma",
        json!({"propose_transfer": {"transfer": "C-0001", "from": "CA4001-L", "to": "CA-AUCTION", "legs": leg("US-CA", 2026, 50_000), "transaction_type": "no_consideration"}}),
        true,
    );
    push(
        "2026-01-20T18:00:00Z",
        "ulrich",
        json!({"confirm_transfer": {"transfer": "C-0001"}}),
        true,
    );
    push(
        "2026-01-21T17:00:00Z",
        "carb-eo",
        json!({"accept_transfer": {"transfer": "C-0001"}}),
        true,
    );
    // The February 2026 joint auction, cleared by tonne-market and settled in the registry.
    push("2026-02-25T19:00:00Z", "admin", auction::settlement(), true);
    // A secondary-market sale from California to Québec through the full REG-§95921 flow.
    let t5 = "2026-03-02T18:00:00Z";
    push(
        t5,
        "erin",
        json!({"propose_transfer": {"transfer": "T-0001", "from": "CA3001-H", "to": "QC2001-H", "legs": leg("US-CA", 2026, 50_000), "transaction_type": "secondary", "price": {"unit_price_minor": 2_912, "currency": "USD"}, "settlement_date": "2026-03-04"}}),
        true,
    );
    push(
        t5,
        "erin",
        json!({"confirm_transfer": {"transfer": "T-0001"}}),
        false,
    ); // same person may not confirm
    push(
        "2026-03-03T17:30:00Z",
        "frank",
        json!({"confirm_transfer": {"transfer": "T-0001"}}),
        true,
    );
    push(
        "2026-03-04T15:00:00Z",
        "dave",
        json!({"accept_transfer": {"transfer": "T-0001"}}),
        true,
    );
    // A second request that nobody confirms: it expires at the next scheduler tick.
    push(
        "2026-03-05T18:00:00Z",
        "erin",
        json!({"propose_transfer": {"transfer": "T-0002", "from": "CA3001-H", "to": "CA1001-H", "legs": leg("US-CA", 2026, 10_000), "transaction_type": "secondary", "price": {"unit_price_minor": 2_950, "currency": "USD"}, "settlement_date": "2026-03-09"}}),
        true,
    );
    push(
        "2026-03-10T08:00:00Z",
        "scheduler",
        json!({"tick": {}}),
        true,
    );
    // MRV: CalCement's 2025 emissions report (computed by tonne-mrv from the report file) is
    // submitted by 10 April, verified by an accredited body after a conflict-of-interest
    // assessment and an independent review.
    let v = |cmd: Value| json!({"verification": cmd});
    push(
        "2026-03-20T16:00:00Z",
        "carb-eo",
        v(
            json!({"register_body": {"body": "VB-1", "name": "Verifiers Inc.", "accredited_until": "2028-12-31"}}),
        ),
        true,
    );
    for (verifier, user) in [("V-LENA", "lena"), ("V-RAJ", "raj")] {
        push(
            "2026-03-20T16:00:00Z",
            "carb-eo",
            v(
                json!({"accredit_verifier": {"verifier": verifier, "body": "VB-1", "name": verifier, "user": user, "accredited_until": "2028-12-31", "sectors": ["cement"]}}),
            ),
            true,
        );
    }
    push(
        "2026-04-01T16:00:00Z",
        "alice",
        v(serde_json::to_value(calcement_submission()).expect("serialises")),
        true,
    );
    push(
        "2026-04-02T16:00:00Z",
        "carb-eo",
        v(json!({"assess_conflict": {"report": REPORT, "body": "VB-1", "level": "low"}})),
        true,
    );
    push(
        "2026-04-03T16:00:00Z",
        "carb-eo",
        v(
            json!({"assign_verification": {"report": REPORT, "body": "VB-1", "lead": "V-LENA", "team": [], "independent_reviewer": "V-RAJ"}}),
        ),
        true,
    );
    push(
        "2026-08-01T16:00:00Z",
        "raj",
        v(json!({"complete_review": {"report": REPORT}})),
        true,
    );
    push(
        "2026-08-03T16:00:00Z",
        "lena",
        v(json!({"issue_statement": {"report": REPORT}})),
        true,
    );
    // Own accounts: holding -> compliance needs a second representative but no acceptance.
    let t6 = "2026-10-20T17:00:00Z";
    push(
        t6,
        "alice",
        json!({"propose_transfer": {"transfer": "T-0003", "from": "CA1001-H", "to": "CA1001-C", "legs": [{"series": ser("US-CA", 2025), "quantity": 270_000}, {"series": ser("US-CA", 2026), "quantity": 100_000}], "transaction_type": "own_accounts"}}),
        true,
    );
    push(
        "2026-10-21T16:00:00Z",
        "bob",
        json!({"confirm_transfer": {"transfer": "T-0003"}}),
        true,
    );
    push(
        t6,
        "dave",
        json!({"propose_transfer": {"transfer": "T-0004", "from": "QC2001-H", "to": "QC2001-C", "legs": [{"series": ser("CA-QC", 2026), "quantity": 120_000}, {"series": ser("US-CA", 2026), "quantity": 40_000}], "transaction_type": "own_accounts"}}),
        false,
    ); // time went backwards
    push(
        "2026-10-21T17:00:00Z",
        "dave",
        json!({"propose_transfer": {"transfer": "T-0004", "from": "QC2001-H", "to": "QC2001-C", "legs": [{"series": ser("CA-QC", 2026), "quantity": 120_000}, {"series": ser("US-CA", 2026), "quantity": 40_000}], "transaction_type": "own_accounts"}}),
        true,
    );
    push(
        "2026-10-22T14:00:00Z",
        "dana",
        json!({"confirm_transfer": {"transfer": "T-0004"}}),
        true,
    );
    // Obligations from verified emissions, and surrenders before the 1 November deadline
    // (REG-§95856(d)(1)).
    let t7 = "2026-10-26T17:00:00Z";
    push(
        t7,
        "carb-eo",
        json!({"record_obligation_from_reports": {"obligation": "CA1001-2025", "entity": "CA1001", "jurisdiction": "US-CA", "label": "2025 annual obligation", "first_year": 2025, "last_year": 2025, "from_reports": [REPORT], "share_bp": annual_share_bp()}}),
        true,
    );
    push(
        t7,
        "qc-mel",
        json!({"record_obligation": {"obligation": "QC2001-CP5", "entity": "QC2001", "jurisdiction": "CA-QC", "label": "2024-2026 compliance period", "first_year": 2024, "last_year": 2026, "quantity": 150_000}}),
        true,
    );
    push(
        t7,
        "carb-eo",
        json!({"record_obligation": {"obligation": "CA4001-2025", "entity": "CA4001", "jurisdiction": "US-CA", "label": "2025 annual obligation", "first_year": 2025, "last_year": 2025, "quantity": 45_000}}),
        true,
    );
    // Vintage 2026 cannot meet a 2025 obligation (REG-§95856(b)(2)).
    push(
        t7,
        "carb-eo",
        json!({"surrender": {"obligation": "CA1001-2025", "account": "CA1001-C", "legs": leg("US-CA", 2026, 100_000)}}),
        false,
    );
    push(
        t7,
        "carb-eo",
        json!({"surrender": {"obligation": "CA1001-2025", "account": "CA1001-C", "legs": leg("US-CA", 2025, calcement_annual_obligation())}}),
        true,
    );
    // Québec surrenders Québec and California allowances alike: the markets are linked.
    push(
        t7,
        "qc-mel",
        json!({"surrender": {"obligation": "QC2001-CP5", "account": "QC2001-C", "legs": [{"series": ser("CA-QC", 2026), "quantity": 110_000}, {"series": ser("US-CA", 2026), "quantity": 40_000}]}}),
        true,
    );
    push(
        "2026-11-02T12:00:00Z",
        "scheduler",
        json!({"tick": {}}),
        true,
    );
    // The compliance event after the 1 November deadline: the utility's compliance account is
    // surrendered in the retirement order; its shortfall of 5,000 becomes an untimely
    // obligation of 4 × 5,000 = 20,000 (REG-§95857(b)).
    push(
        "2026-11-02T18:00:00Z",
        "carb-eo",
        json!({"compliance_event": {"jurisdiction": "US-CA", "obligations": ["CA1001-2025", "CA4001-2025"]}}),
        true,
    );
    out
}

/// Runs the demo on an empty store and returns the summary as JSON.
pub fn run(ledger: &mut Ledger) -> Result<Value, AppError> {
    if ledger.head().0 != 0 || ledger.state().admin.is_some() {
        return Err(AppError::NotEmpty(format!(
            "journal head is {}",
            ledger.head().0
        )));
    }
    let mut steps = Vec::new();
    for (env, expect_ok) in script() {
        let outcome = ledger.execute(&env)?;
        let ok = matches!(outcome, Outcome::Accepted { .. });
        assert_eq!(
            ok,
            expect_ok,
            "demo step {} ({}) gave {:?}",
            env.key,
            env.cmd.name(),
            outcome
        );
        if let Outcome::Rejected(r) = &outcome {
            steps.push(
                json!({"key": env.key, "command": env.cmd.name(), "rejected": format!("{r}")}),
            );
        }
    }
    Ok(summary(ledger, steps))
}

fn summary(ledger: &Ledger, rejected: Vec<Value>) -> Value {
    let s = ledger.state();
    let t = s.last_ts.expect("demo ran");
    let mut accounts: Vec<_> = s.accounts.keys().cloned().collect();
    accounts.sort();
    let accounts: Vec<Value> = accounts
        .iter()
        .map(|a| {
            let acc = &s.accounts[a];
            let balances: serde_json::Map<String, Value> = s.balances(a).into_iter().map(|(k, (h, e))| (k.to_string(), json!(h + e))).collect();
            json!({"account": a, "entity": s.entities[&acc.entity].name, "type": acc.account_type, "balances": balances})
        })
        .collect();
    let mut transfers: Vec<_> = s.transfers.iter().collect();
    transfers.sort_by(|a, b| a.0.cmp(b.0));
    let transfers: Vec<Value> = transfers
        .into_iter()
        .map(|(id, tr)| json!({"transfer": id, "from": tr.from, "to": tr.to, "quantity": tr.quantity, "status": tr.status.name(), "price": tr.price}))
        .collect();
    let mut obligations: Vec<_> = s.obligations.iter().collect();
    obligations.sort_by(|a, b| a.0.cmp(b.0));
    let obligations: Vec<Value> = obligations
        .into_iter()
        .map(|(id, o)| json!({"obligation": id, "entity": o.entity, "quantity": o.quantity, "surrendered": o.surrendered}))
        .collect();
    let ca = tonne_core::JurisdictionCode::parse("US-CA").expect("valid");
    json!({
        "registry": s.name,
        "jurisdictions": s.jurisdictions.iter().map(|(c, j)| json!({"code": c, "name": j.name, "budgets": j.budgets})).collect::<Vec<_>>(),
        "holding_limit_2026_combined": s.limit_for(&ca, 2026, t).ok(),
        "accounts": accounts,
        "transfers": transfers,
        "obligations": obligations,
        "auctions": crate::compliance_report::auctions(s).into_iter().map(|(id, r)| json!({"auction": id, "record": r})).collect::<Vec<_>>(),
        "compliance_report": crate::compliance_report::compliance_report(s, None),
        "rejected_as_expected": rejected,
        "journal_head": {"seq": ledger.head().0, "hash": hex::encode(ledger.head().1)},
    })
}

/// The summary as text for people.
pub fn render(v: &Value) -> String {
    let mut out = String::new();
    let line = |out: &mut String, s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(&mut out, v["registry"].as_str().unwrap_or("").to_string());
    for j in v["jurisdictions"].as_array().into_iter().flatten() {
        line(
            &mut out,
            format!(
                "  {} {}  budgets {}",
                j["code"].as_str().unwrap_or(""),
                j["name"].as_str().unwrap_or(""),
                j["budgets"]
            ),
        );
    }
    line(
        &mut out,
        format!(
            "  combined 2026 holding limit: {} allowances",
            v["holding_limit_2026_combined"]
        ),
    );
    line(&mut out, "\nAccounts".into());
    for a in v["accounts"].as_array().into_iter().flatten() {
        let bal: Vec<String> = a["balances"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, q)| format!("{k}={q}"))
            .collect();
        line(
            &mut out,
            format!(
                "  {:<12} {:<34} {:<18} {}",
                a["account"].as_str().unwrap_or(""),
                a["entity"].as_str().unwrap_or(""),
                a["type"].as_str().unwrap_or(""),
                if bal.is_empty() {
                    "-".into()
                } else {
                    bal.join(", ")
                }
            ),
        );
    }
    line(&mut out, "\nTransfers".into());
    for t in v["transfers"].as_array().into_iter().flatten() {
        line(
            &mut out,
            format!(
                "  {} {} -> {} {} ({})",
                t["transfer"].as_str().unwrap_or(""),
                t["from"].as_str().unwrap_or(""),
                t["to"].as_str().unwrap_or(""),
                t["quantity"],
                t["status"].as_str().unwrap_or("")
            ),
        );
    }
    line(&mut out, "\nCompliance obligations".into());
    for o in v["obligations"].as_array().into_iter().flatten() {
        line(
            &mut out,
            format!(
                "  {} {}: {} of {} surrendered",
                o["obligation"].as_str().unwrap_or(""),
                o["entity"].as_str().unwrap_or(""),
                o["surrendered"],
                o["quantity"]
            ),
        );
    }
    line(&mut out, "\nAuctions".into());
    for a in v["auctions"].as_array().into_iter().flatten() {
        let r = &a["record"];
        line(
            &mut out,
            format!(
                "  {}: {} sold at {} minor units {}; proceeds by jurisdiction {}, to consignors {}",
                a["auction"].as_str().unwrap_or(""),
                r["sold"],
                r["price"]["unit_price_minor"],
                r["price"]["currency"].as_str().unwrap_or(""),
                r["jurisdictions"],
                r["consignors"]
            ),
        );
    }
    if let Ok(report) = serde_json::from_value::<Value>(v["compliance_report"].clone()) {
        line(
            &mut out,
            "\nCompliance report (status A: met on time; B: shortfall)".into(),
        );
        for e in report["entities"].as_array().into_iter().flatten() {
            for o in e["obligations"].as_array().into_iter().flatten() {
                line(
                    &mut out,
                    format!(
                        "  [{}] {} {}: {} of {} surrendered (allowances {}, offsets {}, reserve {}){}",
                        o["status"].as_str().unwrap_or(""),
                        e["entity"].as_str().unwrap_or(""),
                        o["label"].as_str().unwrap_or(""),
                        o["surrendered"],
                        o["quantity"],
                        o["allowances"],
                        o["offsets"],
                        o["reserve_and_ceiling"],
                        o["untimely_obligation"]
                            .as_str()
                            .map(|u| format!(" → untimely obligation {u}"))
                            .unwrap_or_default()
                    ),
                );
            }
        }
    }
    line(&mut out, "\nRefused, as a real registry would".into());
    for r in v["rejected_as_expected"].as_array().into_iter().flatten() {
        line(
            &mut out,
            format!(
                "  {} {}: {}",
                r["key"].as_str().unwrap_or(""),
                r["command"].as_str().unwrap_or(""),
                r["rejected"].as_str().unwrap_or("")
            ),
        );
    }
    line(
        &mut out,
        format!(
            "\nJournal head: seq {} hash {}",
            v["journal_head"]["seq"],
            v["journal_head"]["hash"].as_str().unwrap_or("")
        ),
    );
    out
}
