//! `tonne demo`: builds a linked two-jurisdiction market (California and Québec, linked since
//! 2014-01-01 — reference/cap-and-trade.md header) on a new store, through the same commands a
//! real registry receives, and returns a readable summary.

use crate::ledger::{AppError, Ledger, Outcome};
use serde_json::{Value, json};
use tonne_registry::Envelope;
use tonne_registry::market::DelinkTreatment;

mod auction;
mod reports;

use reports::{Filer, annual_obligation, untimely_owed};

/// The demo's commands, in order, with whether each is expected to be accepted: California's
/// fifth compliance period (data years 2024–2026, REG-§95854(c)) from the registry's first
/// day in January 2024 to the full-period compliance events in November 2027.
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
    setup(&mut push);
    let (cement, utility, mill) = (Filer::CalCement, Filer::Sierra, Filer::Papetiere);
    let v = |cmd: Value| json!({"verification": cmd});

    // 2024: vintage 2024 issued and allocated. The industrial allocation (REG-§95891) and the
    // publicly owned utility's allocation (REG-§95892), placed in its annual allocation holding
    // account (REG-§95871(c)(1)), are demo figures (`tonne market allocation` computes real
    // industrial ones).
    let t = "2024-01-10T17:00:00Z";
    push(
        t,
        "carb-eo",
        issue("US-CA", 2024, 2_000_000, "CA-ISSUANCE"),
        true,
    );
    push(
        t,
        "qc-mel",
        issue("CA-QC", 2024, 300_000, "QC-ISSUANCE"),
        true,
    );
    // The allowance price containment reserve (REG-§95870): reserve allowances in the reserve
    // account (demo quantity).
    let rsv = json!({"jurisdiction": "US-CA", "kind": "reserve_allowance"});
    push(
        t,
        "carb-eo",
        json!({"issue": {"series": rsv, "quantity": 100_000, "to": "CA-ISSUANCE"}}),
        true,
    );
    push(
        t,
        "carb-eo",
        allocate(
            "CA-ISSUANCE",
            "CA-RESERVE",
            json!([{"series": rsv, "quantity": 100_000}]),
        ),
        true,
    );
    // Issuance above the budget is refused (UK ETS business check 10004 pattern).
    push(
        t,
        "carb-eo",
        issue("US-CA", 2024, 280_000_000, "CA-ISSUANCE"),
        false,
    );
    let t = "2024-01-16T18:00:00Z";
    push(
        t,
        "carb-eo",
        allocate("CA-ISSUANCE", "CA1001-H", leg("US-CA", 2024, 870_000)),
        true,
    );
    push(
        t,
        "qc-mel",
        allocate("QC-ISSUANCE", "QC2001-H", leg("CA-QC", 2024, 100_000)),
        true,
    );
    push(
        t,
        "carb-eo",
        allocate("CA-ISSUANCE", "CA4001-A", leg("US-CA", 2024, 45_000)),
        true,
    );
    // A verification body and its verifiers; the utility's reports need a verifier accredited
    // for electric power entities who is not the independent reviewer (§95131(a)).
    let t = "2024-03-20T16:00:00Z";
    push(
        t,
        "carb-eo",
        v(
            json!({"register_body": {"body": "VB-1", "name": "Verifiers Inc.", "accredited_until": "2028-12-31"}}),
        ),
        true,
    );
    for (verifier, user, sectors) in [
        ("V-LENA", "lena", json!(["cement", "pulp_and_paper"])),
        ("V-RAJ", "raj", json!([])),
        ("V-SAM", "sam", json!(["electric_power_entity"])),
    ] {
        push(
            t,
            "carb-eo",
            v(
                json!({"accredit_verifier": {"verifier": verifier, "body": "VB-1", "name": verifier, "user": user, "accredited_until": "2028-12-31", "sectors": sectors}}),
            ),
            true,
        );
    }

    // 2025: vintage 2025; the 2024 reports verified; California's first annual obligations.
    let t = "2025-01-08T17:00:00Z";
    push(
        t,
        "carb-eo",
        issue("US-CA", 2025, 2_000_000, "CA-ISSUANCE"),
        true,
    );
    push(
        t,
        "qc-mel",
        issue("CA-QC", 2025, 300_000, "QC-ISSUANCE"),
        true,
    );
    let t = "2025-01-15T18:00:00Z";
    push(
        t,
        "carb-eo",
        allocate("CA-ISSUANCE", "CA1001-H", leg("US-CA", 2025, 850_000)),
        true,
    );
    push(
        t,
        "qc-mel",
        allocate("QC-ISSUANCE", "QC2001-H", leg("CA-QC", 2025, 100_000)),
        true,
    );
    push(
        t,
        "carb-eo",
        allocate("CA-ISSUANCE", "CA4001-A", leg("US-CA", 2025, 36_000)),
        true,
    );
    for (ts, actor, cmd) in reports::verification(&[cement, utility, mill], 2024) {
        push(&ts, actor, v(cmd), true);
    }
    push(
        "2025-10-20T17:00:00Z",
        "alice",
        own(
            "T-0000",
            "CA1001-H",
            "CA1001-C",
            leg("US-CA", 2024, 300_000),
        ),
        true,
    );
    push("2025-10-21T16:00:00Z", "bob", confirm("T-0000"), true);
    // The utility moves its allocation from its annual allocation holding account to its
    // compliance account (own accounts).
    push(
        "2025-10-21T16:10:00Z",
        "uma",
        own(
            "U-2025",
            "CA4001-A",
            "CA4001-C",
            legs("US-CA", &[(2024, 45_000), (2025, 36_000)]),
        ),
        true,
    );
    push("2025-10-22T16:00:00Z", "ulrich", confirm("U-2025"), true);
    let t = "2025-10-27T17:00:00Z";
    push(t, "carb-eo", annual(cement, 2024), true);
    push(t, "carb-eo", annual(utility, 2024), true);
    // After the 1 November deadline (REG-§95856(d)(1)) the scheduler closes what is due and the
    // regulator runs the compliance event: each compliance account surrendered in the
    // retirement order, oldest vintage first.
    push(
        "2025-11-03T12:00:00Z",
        "scheduler",
        json!({"tick": {}}),
        true,
    );
    push(
        "2025-11-03T18:00:00Z",
        "carb-eo",
        event("US-CA", &[cement, utility], "2024"),
        true,
    );

    // 2026: vintage 2026, the utility's consignment, the February joint auction, trading, the
    // 2025 reports and the second annual obligations.
    let t = "2026-01-07T17:00:00Z";
    push(
        t,
        "carb-eo",
        issue("US-CA", 2026, 4_000_000, "CA-ISSUANCE"),
        true,
    );
    push(
        t,
        "qc-mel",
        issue("CA-QC", 2026, 1_000_000, "QC-ISSUANCE"),
        true,
    );
    let t = "2026-01-15T18:00:00Z";
    push(
        t,
        "carb-eo",
        allocate("CA-ISSUANCE", "CA1001-H", leg("US-CA", 2026, 890_000)),
        true,
    );
    push(
        t,
        "qc-mel",
        allocate("QC-ISSUANCE", "QC2001-H", leg("CA-QC", 2026, 150_000)),
        true,
    );
    push(
        t,
        "carb-eo",
        allocate("CA-ISSUANCE", "CA-AUCTION", leg("US-CA", 2026, 2_360_000)),
        true,
    );
    push(
        t,
        "qc-mel",
        allocate("QC-ISSUANCE", "QC-AUCTION", leg("CA-QC", 2026, 590_000)),
        true,
    );
    push(
        t,
        "carb-eo",
        allocate("CA-ISSUANCE", "CA4001-L", leg("US-CA", 2026, 80_000)),
        true,
    );
    push(
        t,
        "carb-eo",
        allocate("CA-ISSUANCE", "CA4001-A", leg("US-CA", 2026, 340_000)),
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
    push("2026-01-20T18:00:00Z", "ulrich", confirm("C-0001"), true);
    push("2026-01-21T17:00:00Z", "carb-eo", accept("C-0001"), true);
    // The February 2026 joint auction, cleared by tonne-market and settled in the registry.
    push("2026-02-25T19:00:00Z", "admin", auction::settlement(), true);
    // A secondary-market sale from California to Québec through the full REG-§95921 flow.
    let t = "2026-03-02T18:00:00Z";
    push(
        t,
        "erin",
        sale("T-0001", "QC2001-H", 50_000, 2_912, "2026-03-04"),
        true,
    );
    push(t, "erin", confirm("T-0001"), false); // same person may not confirm
    push("2026-03-03T17:30:00Z", "frank", confirm("T-0001"), true);
    push("2026-03-04T15:00:00Z", "dave", accept("T-0001"), true);
    // A second request that nobody confirms: it expires at the next scheduler tick.
    push(
        "2026-03-05T18:00:00Z",
        "erin",
        sale("T-0002", "CA1001-H", 10_000, 2_950, "2026-03-09"),
        true,
    );
    push(
        "2026-03-10T08:00:00Z",
        "scheduler",
        json!({"tick": {}}),
        true,
    );
    for (ts, actor, cmd) in reports::verification(&[cement, utility, mill], 2025) {
        push(&ts, actor, v(cmd), true);
    }
    // A quarterly reserve sale: CalCement buys 10,000 reserve allowances at the 2026 tier 1
    // price (REG-§95913; tonne-market data/us-ca.json, DERIVED / UNVERIFIED) into its compliance
    // account; a trader may not buy (REG-§95913(b)-(c)).
    let tier1 = tonne_market::rules::builtin("US-CA")
        .expect("shipped rules")
        .price_tiers[&2026]
        .tier1_cents;
    let reserve_sale = |sale: &str, to: &str| json!({"sale": {"sale": sale, "kind": "reserve", "price": {"unit_price_minor": tier1, "currency": "USD"}, "from": "CA-RESERVE", "to": to, "legs": [{"series": {"jurisdiction": "US-CA", "kind": "reserve_allowance"}, "quantity": 10_000}]}});
    let t = "2026-08-19T18:00:00Z";
    push(t, "carb-eo", reserve_sale("RS-2026-Q3", "CA3001-H"), false);
    push(t, "carb-eo", reserve_sale("RS-2026-Q3", "CA1001-C"), true);
    // A forest offset project with direct environmental benefits in the State (REG-§95854(e)):
    // 100,000 offset credits of 2024 issued into its operator's holding account and sold to
    // CalCement through the REG-§95921 flow (quantities and the $14.50 price are demo figures).
    let offsets = json!({"jurisdiction": "US-CA", "kind": "offset_credit", "vintage": 2024, "project": "CAFR5001"});
    let off_legs = json!([{"series": offsets, "quantity": 100_000}]);
    let t = "2026-09-01T17:00:00Z";
    push(
        t,
        "carb-eo",
        json!({"register_offset_project": {"project": "CAFR5001", "jurisdiction": "US-CA", "sector_based": false, "direct_environmental_benefits": true}}),
        true,
    );
    push(
        t,
        "carb-eo",
        json!({"issue": {"series": offsets, "quantity": 100_000, "to": "CA6001-H"}}),
        true,
    );
    push(
        "2026-09-02T17:00:00Z",
        "olga",
        json!({"propose_transfer": {"transfer": "T-0007", "from": "CA6001-H", "to": "CA1001-H", "legs": off_legs, "transaction_type": "secondary", "price": {"unit_price_minor": 1_450, "currency": "USD"}, "settlement_date": "2026-09-04"}}),
        true,
    );
    push("2026-09-03T16:00:00Z", "otto", confirm("T-0007"), true);
    push("2026-09-04T15:00:00Z", "alice", accept("T-0007"), true);
    let t = "2026-10-20T17:00:00Z";
    push(
        t,
        "alice",
        own(
            "T-0003",
            "CA1001-H",
            "CA1001-C",
            legs("US-CA", &[(2025, 270_000), (2026, 100_000)]),
        ),
        true,
    );
    push("2026-10-21T16:00:00Z", "bob", confirm("T-0003"), true);
    let qc_legs = json!([{"series": ser("CA-QC", 2026), "quantity": 120_000}, {"series": ser("US-CA", 2026), "quantity": 40_000}]);
    push(
        t,
        "dave",
        own("T-0004", "QC2001-H", "QC2001-C", qc_legs.clone()),
        false,
    ); // time went backwards
    push(
        "2026-10-21T17:00:00Z",
        "dave",
        own("T-0004", "QC2001-H", "QC2001-C", qc_legs),
        true,
    );
    push("2026-10-22T14:00:00Z", "dana", confirm("T-0004"), true);
    push(
        "2026-10-22T15:00:00Z",
        "uma",
        own(
            "U-2026",
            "CA4001-A",
            "CA4001-C",
            leg("US-CA", 2026, 340_000),
        ),
        true,
    );
    push("2026-10-22T16:00:00Z", "ulrich", confirm("U-2026"), true);
    let t = "2026-10-26T17:00:00Z";
    push(t, "carb-eo", annual(cement, 2025), true);
    push(t, "carb-eo", annual(utility, 2025), true);
    // A verified report counts in one annual obligation only.
    let mut twice = annual(cement, 2025);
    twice["record_obligation_from_reports"]["obligation"] = json!("CA1001-2025-B");
    push(t, "carb-eo", twice, false);
    // Vintage 2026 cannot meet a 2025 obligation (REG-§95856(b)(2)).
    push(
        t,
        "carb-eo",
        surrender("CA1001-2025", "CA1001-C", 2026, 100_000),
        false,
    );
    push(
        t,
        "carb-eo",
        surrender(
            "CA1001-2025",
            "CA1001-C",
            2025,
            annual_obligation(cement, 2025),
        ),
        true,
    );
    push(
        "2026-11-02T12:00:00Z",
        "scheduler",
        json!({"tick": {}}),
        true,
    );
    // The 2025 event: the utility's vintage-2026 allowances cannot meet its 2025 obligation, so
    // it falls short; the shortfall becomes an untimely obligation of 4 × (REG-§95857(b)).
    push(
        "2026-11-02T18:00:00Z",
        "carb-eo",
        event("US-CA", &[cement, utility], "2025"),
        true,
    );
    // The untimely surrender is exempt from the vintage rule (REG-§95856(b)(2)). What the
    // utility's compliance account held of vintages up to 2025 at the event: what its 2024
    // obligation left of the 45,000 of 2024, and the 36,000 of 2025.
    let held = 45_000 - annual_obligation(utility, 2024) + 36_000;
    push(
        "2026-11-05T17:00:00Z",
        "carb-eo",
        surrender(
            "CA4001-2025:untimely",
            "CA4001-C",
            2026,
            untimely_owed(utility, 2025, held),
        ),
        true,
    );

    // 2027: the 2026 reports; the full-period obligations (all covered emissions of 2024–2026
    // less the annual obligations) and both jurisdictions' full-period compliance events.
    for (ts, actor, cmd) in reports::verification(&[cement, utility, mill], 2026) {
        push(&ts, actor, v(cmd), true);
    }
    let t = "2027-10-18T17:00:00Z";
    push(
        t,
        "alice",
        own(
            "T-0005",
            "CA1001-H",
            "CA1001-C",
            legs(
                "US-CA",
                &[(2024, 570_000), (2025, 580_000), (2026, 790_000)],
            ),
        ),
        true,
    );
    let qc = legs("CA-QC", &[(2024, 100_000), (2025, 100_000), (2026, 30_000)]);
    push(t, "dave", own("T-0006", "QC2001-H", "QC2001-C", qc), true);
    push("2027-10-19T16:00:00Z", "bob", confirm("T-0005"), true);
    push("2027-10-19T16:00:00Z", "dana", confirm("T-0006"), true);
    push(
        "2027-10-19T17:00:00Z",
        "alice",
        own("T-0008", "CA1001-H", "CA1001-C", off_legs.clone()),
        true,
    );
    push("2027-10-20T16:00:00Z", "bob", confirm("T-0008"), true);
    let t = "2027-10-25T17:00:00Z";
    push(t, "carb-eo", full_period(cement), true);
    push(t, "carb-eo", full_period(utility), true);
    push(t, "qc-mel", full_period(mill), true);
    // Offsets beyond the limit are refused at surrender: 4 % of the 2024–2026 obligation, the
    // lowest limit of its years (REG-§95854(b)-(c)); the compliance event then takes offsets up to
    // the limit first, in the retirement order.
    push(
        t,
        "carb-eo",
        json!({"surrender": {"obligation": "CA1001-CP5", "account": "CA1001-C", "legs": off_legs}}),
        false,
    );
    push(
        "2027-11-02T12:00:00Z",
        "scheduler",
        json!({"tick": {}}),
        true,
    );
    push(
        "2027-11-02T18:00:00Z",
        "carb-eo",
        event("US-CA", &[cement, utility], "CP5"),
        true,
    );
    // Québec's full-period event (QC-s.21); its entity's California allowances count alike, the
    // markets are linked.
    push(
        "2027-11-02T18:30:00Z",
        "qc-mel",
        event("CA-QC", &[mill], "CP5"),
        true,
    );
    out
}

fn ser(j: &str, v: u16) -> Value {
    json!({"jurisdiction": j, "kind": "allowance", "vintage": v})
}

fn leg(j: &str, v: u16, q: u64) -> Value {
    legs(j, &[(v, q)])
}

fn legs(j: &str, vq: &[(u16, u64)]) -> Value {
    vq.iter()
        .map(|&(v, q)| json!({"series": ser(j, v), "quantity": q}))
        .collect()
}

fn issue(j: &str, v: u16, q: u64, to: &str) -> Value {
    json!({"issue": {"series": ser(j, v), "quantity": q, "to": to}})
}

fn allocate(from: &str, to: &str, legs: Value) -> Value {
    json!({"allocate": {"from": from, "to": to, "legs": legs}})
}

/// Between an entity's own accounts: a second representative confirms, nobody accepts.
fn own(t: &str, from: &str, to: &str, legs: Value) -> Value {
    json!({"propose_transfer": {"transfer": t, "from": from, "to": to, "legs": legs, "transaction_type": "own_accounts"}})
}

/// Pacific Trading sells vintage-2026 California allowances (REG-§95921: price and settlement
/// date recorded).
fn sale(t: &str, to: &str, q: u64, cents: u64, settles: &str) -> Value {
    json!({"propose_transfer": {"transfer": t, "from": "CA3001-H", "to": to, "legs": leg("US-CA", 2026, q), "transaction_type": "secondary", "price": {"unit_price_minor": cents, "currency": "USD"}, "settlement_date": settles}})
}

fn confirm(t: &str) -> Value {
    json!({"confirm_transfer": {"transfer": t}})
}

fn accept(t: &str) -> Value {
    json!({"accept_transfer": {"transfer": t}})
}

fn surrender(obligation: &str, account: &str, vintage: u16, q: u64) -> Value {
    json!({"surrender": {"obligation": obligation, "account": account, "legs": leg("US-CA", vintage, q)}})
}

/// California's annual obligation of data year `year`: its share of the verified report.
fn annual(f: Filer, year: u16) -> Value {
    json!({"record_obligation_from_reports": {"obligation": f.obligation(&year.to_string()), "entity": f.entity(), "jurisdiction": f.jurisdiction(), "label": format!("{year} annual obligation"), "first_year": year, "last_year": year, "from_reports": [f.report(year)], "share_bp": reports::annual_share_bp()}})
}

/// The full-period obligation of 2024–2026: every verified report of the period, less the
/// annual obligations (whose reports are counted again).
fn full_period(f: Filer) -> Value {
    let less: Vec<String> = match f.jurisdiction() {
        "US-CA" => vec![f.obligation("2024"), f.obligation("2025")],
        _ => vec![],
    };
    let reports = [2024, 2025, 2026].map(|y| f.report(y));
    json!({"record_obligation_from_reports": {"obligation": f.obligation("CP5"), "entity": f.entity(), "jurisdiction": f.jurisdiction(), "label": "2024-2026 compliance period", "first_year": 2024, "last_year": 2026, "from_reports": reports, "share_bp": 10_000, "less": less}})
}

fn event(j: &str, filers: &[Filer], which: &str) -> Value {
    let obligations: Vec<String> = filers.iter().map(|f| f.obligation(which)).collect();
    json!({"compliance_event": {"jurisdiction": j, "obligations": obligations}})
}

/// Registry, jurisdictions, users, the link, budgets, compliance rules, entities and accounts,
/// on the registry's first days in January 2024.
fn setup(push: &mut impl FnMut(&str, &str, Value, bool)) {
    let t0 = "2024-01-05T16:00:00Z";
    push(
        t0,
        "admin",
        json!({"genesis": {"name": "Tonne demo registry (WCI-style linked market)", "rules": {}}}),
        true,
    );
    // State holidays count in business days (a few listed to show it).
    push(
        t0,
        "admin",
        json!({"add_jurisdiction": {"code": "US-CA", "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD", "holidays": ["2025-01-20", "2025-11-27", "2026-01-19", "2026-11-26", "2027-01-18", "2027-11-25"]}}),
        true,
    );
    push(
        t0,
        "admin",
        json!({"add_jurisdiction": {"code": "CA-QC", "name": "Québec", "time_zone": "America/Toronto", "currency": "CAD", "holidays": ["2025-06-24", "2026-06-24", "2027-06-24"]}}),
        true,
    );
    let regulator = |j: &str| json!({"regulator": {"jurisdiction": j}});
    for (user, name, role) in [
        (
            "carb-eo",
            "CARB Executive Officer delegate",
            regulator("US-CA"),
        ),
        ("qc-mel", "MELCCFP registrar", regulator("CA-QC")),
        ("scheduler", "Registry scheduler", json!("system")),
        ("alice", "Alice (CalCement, primary)", json!("participant")),
        ("bob", "Bob (CalCement, alternate)", json!("participant")),
        ("dave", "Dave (Papetière, primary)", json!("participant")),
        ("dana", "Dana (Papetière, alternate)", json!("participant")),
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
        ("gil", "Gil (Desert Glass, primary)", json!("participant")),
        (
            "olga",
            "Olga (Sierra Forest Carbon, primary)",
            json!("participant"),
        ),
        (
            "otto",
            "Otto (Sierra Forest Carbon, alternate)",
            json!("participant"),
        ),
        (
            "gwen",
            "Gwen (Desert Glass, alternate)",
            json!("participant"),
        ),
        (
            "sam",
            "Sam (electric power sector verifier)",
            json!("participant"),
        ),
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
    // Budgets as the shipped programme rules publish them: California REG-§95841 Table 6-1
    // (VERIFIED); Québec caps UNVERIFIED (reference/cap-and-trade.md §3.3). Then the offset
    // limits, retirement order and untimely surrender of the same files.
    for (jur, actor) in [("US-CA", "carb-eo"), ("CA-QC", "qc-mel")] {
        let rules = tonne_market::rules::builtin(jur).expect("shipped rules");
        for year in 2024..=2027u16 {
            let allowances = rules.budgets[&year].value;
            push(
                t0,
                actor,
                json!({"set_budget": {"jurisdiction": jur, "year": year, "allowances": allowances}}),
                true,
            );
        }
        let reg =
            tonne_market::compliance::registry_rules(&rules, DelinkTreatment::NotSurrenderable);
        push(
            t0,
            actor,
            json!({"set_compliance_rules": {"jurisdiction": jur, "rules": reg}}),
            true,
        );
    }
    let t1 = "2024-01-08T17:00:00Z";
    for (e, j, name, kind, who) in [
        (
            "CA-GOV",
            "US-CA",
            "State of California (ARB)",
            "government",
            "carb-eo",
        ),
        (
            "QC-GOV",
            "CA-QC",
            "Gouvernement du Québec",
            "government",
            "qc-mel",
        ),
        ("CA1001", "US-CA", "CalCement Inc.", "covered", "carb-eo"),
        (
            "QC2001",
            "CA-QC",
            "Papetière du Saint-Laurent",
            "covered",
            "qc-mel",
        ),
        (
            "CA3001",
            "US-CA",
            "Pacific Carbon Trading LLC",
            "voluntarily_associated",
            "carb-eo",
        ),
        // A publicly owned electrical distribution utility: allocation to its limited use
        // holding account for consignment and to its annual allocation holding account, from
        // which it moves allowances to its compliance account (REG-§95831, §95871(c)(1)).
        (
            "CA4001",
            "US-CA",
            "Sierra Electric Utility",
            "covered",
            "carb-eo",
        ),
        (
            "QC3001",
            "CA-QC",
            "Marché Carbone Inc.",
            "voluntarily_associated",
            "qc-mel",
        ),
        // A covered entity that never files a verified report: status C at every compliance
        // event (the regulator would assign its emissions, which the demo leaves out).
        (
            "CA5001",
            "US-CA",
            "Desert Glass Works",
            "covered",
            "carb-eo",
        ),
        // An offset project operator (REG-§95830(c)).
        (
            "CA6001",
            "US-CA",
            "Sierra Forest Carbon LLC",
            "offset_project_operator",
            "carb-eo",
        ),
    ] {
        push(
            t1,
            who,
            json!({"register_entity": {"entity": e, "jurisdiction": j, "name": name, "entity_type": kind}}),
            true,
        );
    }
    let open = |a: &str, e: &str, t: &str| json!({"open_account": {"account": a, "entity": e, "account_type": t}});
    let rep = |a: &str, u: &str, r: &str| json!({"set_representative": {"account": a, "user": u, "role": r}});
    for (a, e, t, who) in [
        ("CA-ISSUANCE", "CA-GOV", "issuance", "carb-eo"),
        ("CA-AUCTION", "CA-GOV", "auction_holding", "carb-eo"),
        ("QC-ISSUANCE", "QC-GOV", "issuance", "qc-mel"),
        ("QC-AUCTION", "QC-GOV", "auction_holding", "qc-mel"),
        ("CA-RESERVE", "CA-GOV", "reserve", "carb-eo"),
    ] {
        push(t1, who, open(a, e, t), true);
        push(t1, who, rep(a, who, "primary"), true);
    }
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
            "CA4001-A",
            "CA4001",
            "annual_allocation_holding",
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
        ("CA5001-C", "CA5001", "compliance", "carb-eo", "gil", "gwen"),
        ("CA6001-H", "CA6001", "holding", "carb-eo", "olga", "otto"),
    ] {
        push(t1, who, open(a, e, t), true);
        push(t1, who, rep(a, p, "primary"), true);
        push(t1, who, rep(a, alt, "alternate"), true);
    }
}

/// How many journal entries the demo writes: one per accepted command.
pub fn journal_entries() -> u64 {
    script().iter().filter(|(_, ok)| *ok).count() as u64
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
        "sales": s.market.sales.iter().map(|(id, r)| json!({"sale": id, "record": r})).collect::<Vec<_>>(),
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
    line(&mut out, "\nReserve and price ceiling sales".into());
    for a in v["sales"].as_array().into_iter().flatten() {
        let r = &a["record"];
        line(
            &mut out,
            format!(
                "  {} ({}): {} from {} to {} at {} minor units {}",
                a["sale"].as_str().unwrap_or(""),
                r["kind"].as_str().unwrap_or(""),
                r["quantity"],
                r["from"].as_str().unwrap_or(""),
                r["to"].as_str().unwrap_or(""),
                r["price"]["unit_price_minor"],
                r["price"]["currency"].as_str().unwrap_or("")
            ),
        );
    }
    if let Ok(report) = serde_json::from_value::<Value>(v["compliance_report"].clone()) {
        line(
            &mut out,
            "\nCompliance report (A: met on time; B: shortfall; C: no verified emissions at the event; met: untimely obligation met)".into(),
        );
        for e in report["entities"].as_array().into_iter().flatten() {
            for o in e["obligations"].as_array().into_iter().flatten() {
                if o["status"] == "C" {
                    let (entity, label) = (&e["entity"], &o["label"]);
                    line(
                        &mut out,
                        format!(
                            "  [C] {} {}",
                            entity.as_str().unwrap_or(""),
                            label.as_str().unwrap_or("")
                        ),
                    );
                    continue;
                }
                line(
                    &mut out,
                    format!(
                        "  [{}] {} {}: {} of {} surrendered (allowances {}, offsets {}, reserve {}){}{}",
                        o["status"].as_str().unwrap_or(""),
                        e["entity"].as_str().unwrap_or(""),
                        o["label"].as_str().unwrap_or(""),
                        o["surrendered"],
                        o["quantity"],
                        o["allowances"],
                        o["offsets"],
                        o["reserve_and_ceiling"],
                        o["covered_emissions"]
                            .as_u64()
                            .map(|c| format!("; covered emissions {c} t"))
                            .unwrap_or_default(),
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
