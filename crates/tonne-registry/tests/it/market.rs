//! Market operations in the registry: compliance rules, offset limits at surrender, the
//! compliance event and untimely surrender, consignment and auction settlement with proceeds,
//! reserve and price ceiling sales, delinking.

use crate::fixture::*;
use serde_json::{Value, json};
use tonne_core::{EntityId, JurisdictionCode, ObligationId};
use tonne_registry::market::MarketEffect;
use tonne_registry::{Code, Effect};

const OFF_DEBS: &str = "US-CA/OFF/2024/CAFR5001";
const OFF_SECTOR: &str = "US-CA/OFF/2024/ACRE-JUR-1";
const ALW25: &str = "US-CA/ALW/2025";
const RSV: &str = "US-CA/RSV/NV";
const PCU: &str = "US-CA/PCU/NV";
const CA_RSV: &str = "CA-RSV";
const CA_PCU: &str = "CA-PCU";

/// California's rules as tonne-market's us-ca.json gives them (REG-§95854, §95857), with a
/// CP5 data-year split (4 % for 2024-25, 6 % for 2026).
fn ca_rules(after_delink: &str) -> Value {
    json!({ "set_compliance_rules": { "jurisdiction": CA, "rules": {
        "offset_limits": [
            { "first_year": 2021, "last_year": 2025, "limit_bp": 400, "sector_based_share_bp": 5000, "non_debs_share_bp": 5000 },
            { "first_year": 2026, "last_year": 2045, "limit_bp": 600, "sector_based_share_bp": 5000, "non_debs_share_bp": 5000 }
        ],
        "retirement_order": ["offset_credit", "reserve_allowance", "price_ceiling_unit", "allowance"],
        "untimely_multiplier": 4,
        "untimely_allowance_share_bp": 7500,
        "after_delink": after_delink,
        "source": "tonne-market data/us-ca.json"
    }}})
}

fn obligation(id: &str, first: u16, last: u16, q: u64) -> Value {
    json!({ "record_obligation": {
        "obligation": id, "entity": "ce-ca", "jurisdiction": CA, "label": id,
        "first_year": first, "last_year": last, "quantity": q
    }})
}

fn surrender(ob: &str, legs: Value) -> Value {
    json!({ "surrender": { "obligation": ob, "account": CE1_C, "legs": legs } })
}

fn project(p: &str, sector: bool, debs: bool) -> Value {
    json!({ "register_offset_project": { "project": p, "jurisdiction": CA, "sector_based": sector, "direct_environmental_benefits": debs } })
}

fn ob<'a>(r: &'a Reg, id: &str) -> &'a tonne_registry::state::Obligation {
    &r.state.obligations[&ObligationId::parse(id).unwrap()]
}

fn market_effects(e: &[Effect]) -> Vec<MarketEffect> {
    e.iter()
        .filter_map(|e| match e {
            Effect::Market(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn compliance_rules_are_validated_and_authorised() {
    let mut r = registry();
    let mut bad = ca_rules("not_surrenderable");
    bad["set_compliance_rules"]["rules"]["retirement_order"] = json!([]);
    let mut overlap = ca_rules("not_surrenderable");
    overlap["set_compliance_rules"]["rules"]["offset_limits"][1]["first_year"] = json!(2025);
    let mut share = ca_rules("not_surrenderable");
    share["set_compliance_rules"]["rules"]["untimely_allowance_share_bp"] = json!(10_001);
    r.check(&[
        (
            REG_QC,
            ca_rules("not_surrenderable"),
            Some(Code::NotAuthorized),
        ),
        (REG_CA, bad, Some(Code::InvalidField)),
        (REG_CA, overlap, Some(Code::InvalidField)),
        (REG_CA, share, Some(Code::InvalidField)),
        (REG_CA, ca_rules("not_surrenderable"), None),
        (
            REG_QC,
            project("P1", false, true),
            Some(Code::NotAuthorized),
        ),
        (
            REG_CA,
            project("bad id", false, true),
            Some(Code::InvalidField),
        ),
        (REG_CA, project("CAFR5001", false, true), None),
    ]);
}

/// REG-§95854: 1,000 t for data year 2026 → 60 offsets at most, 30 of them sector-based and
/// 30 without direct environmental benefits; an unregistered project counts as non-DEBS.
#[test]
fn offset_limit_is_enforced_at_surrender_and_reversal_restores_it() {
    let mut r = registry();
    r.ok(REG_CA, ca_rules("not_surrenderable"));
    r.ok(REG_CA, obligation("ob26", 2026, 2026, 1_000));
    r.give(OFF_DEBS, 100, CE1_C);
    r.give(OFF_SECTOR, 100, CE1_C);
    // Unregistered: non-DEBS, so 31 exceed the 30 non-DEBS cap.
    r.rejects(
        REG_CA,
        surrender("ob26", json!([qty(OFF_DEBS, 31)])),
        Code::InstrumentNotEligible,
    );
    r.ok(REG_CA, project("CAFR5001", false, true));
    r.ok(REG_CA, project("ACRE-JUR-1", true, true));
    r.rejects(
        REG_CA,
        surrender("ob26", json!([qty(OFF_SECTOR, 31)])),
        Code::InstrumentNotEligible,
    );
    r.ok(REG_CA, surrender("ob26", json!([qty(OFF_SECTOR, 30)])));
    r.ok(REG_CA, surrender("ob26", json!([qty(OFF_DEBS, 30)])));
    let seq = r.state.seq;
    let msg = r.rejects(
        REG_CA,
        surrender("ob26", json!([qty(OFF_DEBS, 1)])),
        Code::InstrumentNotEligible,
    );
    assert!(msg.message.contains("limited to 60"), "{msg}");
    let c = &ob(&r, "ob26").compliance;
    assert_eq!((c.offsets, c.sector_based, c.non_debs), (60, 30, 0));
    // Reversing a surrender gives its offsets back to the limit.
    let rev = r.reverse_cmd(seq);
    r.ok(REG_CA, rev);
    assert_eq!(ob(&r, "ob26").compliance.offsets, 30);
    assert_eq!(ob(&r, "ob26").surrendered, 30);
    r.ok(REG_CA, surrender("ob26", json!([qty(OFF_DEBS, 30)])));
    // Over 2024-2026 the lowest limit (4 %) applies to the whole obligation.
    r.ok(REG_CA, obligation("cp5", 2024, 2026, 1_000));
    r.rejects(
        REG_CA,
        surrender("cp5", json!([qty(OFF_DEBS, 41)])),
        Code::InstrumentNotEligible,
    );
    r.ok(REG_CA, surrender("cp5", json!([qty(OFF_DEBS, 20)])));
}

/// The compliance event retires offsets up to the limit, then reserve allowances, then
/// allowances oldest vintage first, skipping vintages after the obligation's last year; the
/// shortfall becomes an untimely obligation of 4× with at least 3/4 allowances (REG-§95857).
#[test]
fn compliance_event_retires_in_order_and_creates_the_untimely_obligation() {
    let mut r = registry();
    r.ok(REG_CA, project("CAFR5001", false, true));
    r.ok(REG_CA, obligation("a26", 2026, 2026, 1_000));
    r.ok(REG_CA, obligation("b26", 2026, 2026, 10));
    r.rejects(
        REG_CA,
        json!({ "compliance_event": { "jurisdiction": CA, "obligations": ["a26"] } }),
        Code::InvalidField,
    );
    r.ok(REG_CA, ca_rules("not_surrenderable"));
    r.give(OFF_DEBS, 100, CE1_C);
    r.give(ALW26, 500, CE1_C);
    r.give(ALW25, 300, CE1_C);
    r.give(ALW27, 400, CE1_C);
    let effects = r.ok(
        REG_CA,
        json!({ "compliance_event": { "jurisdiction": CA, "obligations": ["a26"] } }),
    );
    // Order of the moves: 60 offsets (cap), 300 of 2025, 500 of 2026; 2027 untouched.
    let moved: Vec<(String, u64)> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Moved(m) => Some((m.series.to_string(), m.range.len())),
            _ => None,
        })
        .collect();
    assert_eq!(
        moved,
        [
            (OFF_DEBS.to_string(), 60),
            (ALW25.to_string(), 300),
            (ALW26.to_string(), 500)
        ]
    );
    assert_eq!(bal(&r.state, CE1_C, ALW27), (400, 0));
    assert_eq!(bal(&r.state, CE1_C, OFF_DEBS), (40, 0));
    let a = ob(&r, "a26");
    assert_eq!(a.surrendered, 860);
    let out = a.compliance.outcome.as_ref().unwrap();
    assert_eq!((out.shortfall, out.status), (140, 'B'));
    assert_eq!(
        market_effects(&effects),
        [
            MarketEffect::UntimelyObligation {
                obligation: ObligationId::parse("a26:untimely").unwrap(),
                replaces: ObligationId::parse("a26").unwrap(),
                quantity: 560,
                min_allowances: 420,
            },
            MarketEffect::ComplianceEvaluated {
                obligation: ObligationId::parse("a26").unwrap(),
                surrendered_on_time: 860,
                shortfall: 140,
                status: 'B',
            }
        ]
    );
    // An untimely obligation is met by surrender, not by another event (no 4× of a 4×).
    r.rejects(
        REG_CA,
        json!({ "compliance_event": { "jurisdiction": CA, "obligations": ["a26:untimely"] } }),
        Code::InvalidField,
    );
    // The event runs once per obligation.
    r.rejects(
        REG_CA,
        json!({ "compliance_event": { "jurisdiction": CA, "obligations": ["a26"] } }),
        Code::DuplicateId,
    );
    // The untimely obligation: at most 1/4 of 560 (140) other than allowances; the offset
    // limit does not apply to it.
    r.ok(
        REG_CA,
        surrender("a26:untimely", json!([qty(OFF_DEBS, 40)])),
    );
    r.give(RSV, 200, CE1_C);
    r.rejects(
        REG_CA,
        surrender("a26:untimely", json!([qty(RSV, 101)])),
        Code::InstrumentNotEligible,
    );
    r.ok(REG_CA, surrender("a26:untimely", json!([qty(RSV, 100)])));
    // Vintage 2027 cannot meet a 2026 obligation, but an untimely surrender is exempt from the
    // vintage rule (REG-§95856(b)(2)).
    r.rejects(
        REG_CA,
        surrender("b26", json!([qty(ALW27, 10)])),
        Code::VintageNotEligible,
    );
    r.ok(REG_CA, surrender("a26:untimely", json!([qty(ALW27, 400)])));
    assert_eq!(ob(&r, "a26:untimely").surrendered, 540);
    // A fulfilled obligation gets status A.
    r.give(ALW26, 10, CE1_C);
    r.ok(
        REG_CA,
        json!({ "compliance_event": { "jurisdiction": CA, "obligations": ["b26"] } }),
    );
    let b = ob(&r, "b26").compliance.outcome.clone().unwrap();
    assert_eq!((b.status, b.shortfall, b.untimely), ('A', 0, None));
}

fn open_account(r: &mut Reg, id: &str, entity: &str, kind: &str) {
    r.ok(
        REG_CA,
        json!({ "open_account": { "account": id, "entity": entity, "account_type": kind } }),
    );
    r.ok(
        REG_CA,
        json!({ "set_representative": { "account": id, "user": REG_CA, "role": "primary" } }),
    );
}

fn delivery(from: &str, to: &str, s: &str, q: u64, consignor: Option<&str>) -> Value {
    json!({ "from": from, "to": to, "series": sj(s), "quantity": q, "consignor": consignor })
}

fn settle(id: &str, cents: u64, deliveries: Value) -> Value {
    json!({ "settle_auction": { "auction": id, "price": { "unit_price_minor": cents, "currency": "USD" }, "deliveries": deliveries } })
}

/// Consigned allowances are tracked from the limited use holding account, sell for their
/// consignor, and the proceeds are recorded per jurisdiction and per consignor.
#[test]
fn auction_settlement_delivers_and_records_proceeds() {
    let mut r = registry();
    // The utility's allocation, consigned to the auction (REG-§95831, §95910(d)).
    r.issue(ALW26, 10_000);
    r.ok(
        REG_CA,
        json!({ "allocate": { "from": CA_ISS, "to": CE1_L, "legs": [qty(ALW26, 3_000)] } }),
    );
    r.ok(ALICE, json!({ "propose_transfer": {
        "transfer": "c1", "from": CE1_L, "to": CA_AUC, "legs": [qty(ALW26, 3_000)], "transaction_type": "no_consideration"
    }}));
    r.ok(BOB, json!({ "confirm_transfer": { "transfer": "c1" } }));
    r.ok(REG_CA, json!({ "accept_transfer": { "transfer": "c1" } }));
    let ce = EntityId::parse("ce-ca").unwrap();
    let auc = account(CA_AUC);
    assert_eq!(r.state.market.consigned[&auc][&ce][&series(ALW26)], 3_000);
    // A reversed consignment leaves the consignment record with the serials.
    r.ok(
        REG_CA,
        json!({ "allocate": { "from": CA_ISS, "to": CE1_L, "legs": [qty(ALW26, 10)] } }),
    );
    r.ok(ALICE, json!({ "propose_transfer": {
        "transfer": "c2", "from": CE1_L, "to": CA_AUC, "legs": [qty(ALW26, 10)], "transaction_type": "no_consideration"
    }}));
    r.ok(BOB, json!({ "confirm_transfer": { "transfer": "c2" } }));
    r.ok(REG_CA, json!({ "accept_transfer": { "transfer": "c2" } }));
    assert_eq!(r.state.market.consigned[&auc][&ce][&series(ALW26)], 3_010);
    let rev = r.reverse_cmd(r.state.seq);
    r.ok(REG_CA, rev);
    assert_eq!(r.state.market.consigned[&auc][&ce][&series(ALW26)], 3_000);
    // State-owned allowances in both auction accounts.
    r.ok(REG_CA, json!({ "execute_transfer": { "from": CA_ISS, "to": CA_AUC, "legs": [qty(ALW26, 5_000)], "reason": "auction supply" } }));
    r.give(QALW26, 2_000, QC_AUC);
    let good = json!([
        delivery(CA_AUC, VAE_H, ALW26, 2_000, Some("ce-ca")),
        delivery(CA_AUC, VAE_H, ALW26, 1_000, None),
        delivery(QC_AUC, VAE_H, QALW26, 1_000, None),
        delivery(CA_AUC, CE1_H, ALW26, 3_000, None),
    ]);
    r.check(&[
        // Only the regulators of the sources (or the registry operator) settle.
        (
            ALICE,
            settle("A1", 3_000, good.clone()),
            Some(Code::NotAuthorized),
        ),
        (
            REG_QC,
            settle("A1", 3_000, good.clone()),
            Some(Code::NotAuthorized),
        ),
        // More consigned than the consignor consigned.
        (
            ADMIN,
            settle(
                "A1",
                3_000,
                json!([delivery(CA_AUC, VAE_H, ALW26, 3_001, Some("ce-ca"))]),
            ),
            Some(Code::InsufficientHolding),
        ),
        // State-owned deliveries may not eat into consigned allowances: 5,000 state-owned held.
        (
            ADMIN,
            settle(
                "A1",
                3_000,
                json!([delivery(CA_AUC, VAE_H, ALW26, 5_001, None)]),
            ),
            Some(Code::InsufficientHolding),
        ),
        // Purchases go to holding accounts.
        (
            ADMIN,
            settle(
                "A1",
                3_000,
                json!([delivery(CA_AUC, CE1_C, ALW26, 10, None)]),
            ),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            ADMIN,
            settle("A1", 0, json!([delivery(CA_AUC, CE1_H, ALW26, 10, None)])),
            Some(Code::InvalidField),
        ),
        (ADMIN, settle("A1", 3_000, good.clone()), None),
        (ADMIN, settle("A1", 3_000, good), Some(Code::DuplicateId)),
    ]);
    let rec = &r.state.market.auctions["A1"];
    assert_eq!(rec.sold, 7_000);
    assert_eq!(rec.consignors[&ce].sold, 2_000);
    assert_eq!(rec.consignors[&ce].proceeds_minor, 6_000_000);
    let ca = JurisdictionCode::parse(CA).unwrap();
    let qc = JurisdictionCode::parse(QC).unwrap();
    assert_eq!(rec.jurisdictions[&ca].sold, 4_000);
    assert_eq!(rec.jurisdictions[&qc].proceeds_minor, 3_000_000);
    assert_eq!(bal(&r.state, VAE_H, ALW26), (3_000, 0));
    assert_eq!(bal(&r.state, VAE_H, QALW26), (1_000, 0));
    assert_eq!(bal(&r.state, CE1_H, ALW26), (3_000, 0));
    assert_eq!(r.state.market.consigned[&auc][&ce][&series(ALW26)], 1_000);
    // Conservation: what left the auction accounts is what the winners hold.
    assert_eq!(bal(&r.state, CA_AUC, ALW26), (1_000 + 1_000, 0));
    // A settlement is not reversible: its proceeds are recorded.
    let seq = r.state.seq;
    r.rejects(
        REG_CA,
        json!({ "reverse": { "seq": seq, "reason": "test" } }),
        Code::NotReversible,
    );
}

/// Auction awards count against the winner's holding limit (REG-§95920).
#[test]
fn auction_awards_respect_the_holding_limit() {
    let mut r = Setup {
        ca_budgets: vec![(2026, 100_000)],
        qc_budgets: vec![(2026, 1)],
        ..Setup::default()
    }
    .build();
    // Combined budget 100,001 ≤ 25 M: 10 % (configurable, UNVERIFIED), rounded down = 10,000.
    r.give(ALW26, 20_000, CA_AUC);
    r.rejects(
        ADMIN,
        settle(
            "A2",
            3_000,
            json!([
                delivery(CA_AUC, VAE_H, ALW26, 6_000, None),
                delivery(CA_AUC, VAE_H, ALW26, 5_000, None)
            ]),
        ),
        Code::HoldingLimitExceeded,
    );
    r.ok(
        ADMIN,
        settle(
            "A2",
            3_000,
            json!([delivery(CA_AUC, VAE_H, ALW26, 10_000, None)]),
        ),
    );
}

fn sale(id: &str, kind: &str, from: &str, to: &str, legs: Value) -> Value {
    json!({ "sale": { "sale": id, "kind": kind, "price": { "unit_price_minor": 6_532, "currency": "USD" }, "from": from, "to": to, "legs": legs } })
}

/// Reserve sales only to the jurisdiction's covered and opt-in entities, into compliance
/// accounts (REG-§95913(b)-(c)); price ceiling sales only once the reserve is empty and only
/// up to what the buyer still owes (REG-§95915(b), (e)).
#[test]
fn reserve_and_price_ceiling_sales() {
    let mut r = registry();
    open_account(&mut r, CA_RSV, "gov-ca", "reserve");
    open_account(&mut r, CA_PCU, "gov-ca", "price_ceiling");
    r.give(RSV, 1_000, CA_RSV);
    r.give(PCU, 1_000, CA_PCU);
    r.ok(REG_CA, obligation("ob", 2026, 2026, 500));
    r.give(ALW26, 100, CE1_C);
    r.check(&[
        (
            REG_CA,
            sale("S1", "reserve", CA_RSV, VAE_H, json!([qty(RSV, 10)])),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            REG_CA,
            sale("S1", "reserve", CA_RSV, CE2_C, json!([qty(RSV, 10)])),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            REG_CA,
            sale("S1", "reserve", CA_RSV, CE1_H, json!([qty(RSV, 10)])),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            REG_CA,
            sale("S1", "reserve", CA_PCU, CE1_C, json!([qty(PCU, 10)])),
            Some(Code::AccountTypeNotEligible),
        ),
        (
            REG_QC,
            sale("S1", "reserve", CA_RSV, CE1_C, json!([qty(RSV, 10)])),
            Some(Code::NotAuthorized),
        ),
        (
            REG_CA,
            sale("S1", "price_ceiling", CA_PCU, CE1_C, json!([qty(PCU, 10)])),
            Some(Code::InstrumentNotEligible),
        ),
        (
            REG_CA,
            sale("S1", "reserve", CA_RSV, CE1_C, json!([qty(RSV, 300)])),
            None,
        ),
        (
            REG_CA,
            sale("S1", "reserve", CA_RSV, CE1_C, json!([qty(RSV, 1)])),
            Some(Code::DuplicateId),
        ),
    ]);
    assert_eq!(r.state.market.sales["S1"].proceeds_minor, 300 * 6_532);
    // Empty the reserve; then price ceiling units up to the need: owes 500, holds 400.
    r.ok(
        REG_CA,
        sale("S2", "reserve", CA_RSV, CE1_C, json!([qty(RSV, 700)])),
    );
    r.ok(REG_CA, obligation("ob2", 2026, 2026, 1_000));
    // Owes 1,500 and holds 1,100: at most 400 more.
    r.rejects(
        REG_CA,
        sale("S3", "price_ceiling", CA_PCU, CE1_C, json!([qty(PCU, 401)])),
        Code::ExceedsObligation,
    );
    let e = r.ok(
        REG_CA,
        sale("S3", "price_ceiling", CA_PCU, CE1_C, json!([qty(PCU, 400)])),
    );
    assert_eq!(
        market_effects(&e),
        [MarketEffect::Sold {
            sale: "S3".into(),
            quantity: 400,
            proceeds_minor: 400 * 6_532
        }]
    );
}

/// After a delink, the other jurisdiction's instruments are not surrenderable by default; the
/// rules can keep those already held surrenderable.
#[test]
fn delinked_instruments_follow_the_rules() {
    for (treatment, accepted) in [("not_surrenderable", false), ("surrenderable", true)] {
        let mut r = registry();
        r.ok(REG_CA, ca_rules(treatment));
        r.ok(REG_CA, obligation("ob", 2026, 2026, 100));
        r.give(QALW26, 50, CE2_H);
        r.ok(REG_QC, json!({ "execute_transfer": { "from": CE2_H, "to": CE1_C, "legs": [qty(QALW26, 50)], "reason": "test" } }));
        r.ok(
            ADMIN,
            json!({ "delink": { "a": CA, "b": QC, "effective": "2026-01-05T18:00:00Z" } }),
        );
        let got = r.run(REG_CA, surrender("ob", json!([qty(QALW26, 10)])));
        assert_eq!(got.is_ok(), accepted, "{treatment}: {got:?}");
        if !accepted {
            assert_eq!(got.unwrap_err().code, Code::NotLinked);
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn total_serials(r: &Reg) -> u64 {
        r.state
            .serial_sets()
            .iter()
            .map(|(_, _, set)| set.count())
            .sum()
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the compliance account holds: instruments are conserved, nothing is
        /// surrendered beyond the obligation, offsets stay within the cap and its shares, no
        /// allowance of a later vintage is taken, and the status and untimely obligation follow
        /// from the shortfall.
        #[test]
        fn compliance_event_invariants(
            quantity in 1u64..5_000,
            last_year in 2025u16..=2026,
            alw25 in 0u64..3_000,
            alw26 in 0u64..3_000,
            alw27 in 0u64..3_000,
            off_debs in 0u64..500,
            off_sector in 0u64..500,
            debs in any::<bool>(),
        ) {
            let mut r = registry();
            r.ok(REG_CA, ca_rules("not_surrenderable"));
            r.ok(REG_CA, project("ACRE-JUR-1", true, debs));
            r.ok(REG_CA, obligation("ob", last_year, last_year, quantity));
            for (s, q) in [(ALW25, alw25), (ALW26, alw26), (ALW27, alw27), (OFF_DEBS, off_debs), (OFF_SECTOR, off_sector)] {
                if q > 0 {
                    r.give(s, q, CE1_C);
                }
            }
            let before = total_serials(&r);
            let held_27 = bal(&r.state, CE1_C, ALW27).0;
            let effects = r.ok(
                REG_CA,
                json!({ "compliance_event": { "jurisdiction": CA, "obligations": ["ob"] } }),
            );
            prop_assert_eq!(total_serials(&r), before);
            let o = ob(&r, "ob").clone();
            prop_assert!(o.surrendered <= o.quantity);
            let retired: u64 = effects
                .iter()
                .filter_map(|e| match e {
                    Effect::Moved(m) => Some(m.range.len()),
                    _ => None,
                })
                .sum();
            prop_assert_eq!(retired, o.surrendered);
            let rate = if last_year == 2026 { 600 } else { 400 };
            let cap = quantity * rate / 10_000;
            prop_assert!(o.compliance.offsets <= cap);
            prop_assert!(o.compliance.sector_based <= cap / 2);
            prop_assert!(o.compliance.non_debs <= cap / 2);
            if last_year == 2025 {
                prop_assert_eq!(bal(&r.state, CE1_C, ALW26).0, alw26);
            }
            prop_assert_eq!(bal(&r.state, CE1_C, ALW27).0, held_27);
            let out = o.compliance.outcome.clone().unwrap();
            prop_assert_eq!(out.shortfall, quantity - o.surrendered);
            prop_assert_eq!(out.status == 'A', out.shortfall == 0);
            match out.untimely {
                None => prop_assert_eq!(out.shortfall, 0),
                Some(u) => {
                    let uo = &r.state.obligations[&u];
                    prop_assert_eq!(uo.quantity, 4 * out.shortfall);
                    prop_assert_eq!(uo.compliance.min_allowances, (3 * out.shortfall * 4).div_ceil(4));
                }
            }
        }
    }
}

/// A verified report of `covered` t for ce-ca's `year`, through the verification workflow.
fn verified_report(r: &mut Reg, id: &str, year: u16, covered: &str) {
    let v = |cmd: Value| json!({ "verification": cmd });
    if !r
        .state
        .users
        .contains_key(&tonne_core::UserId::parse("u-lead").unwrap())
    {
        for u in ["u-lead", "u-rev"] {
            r.ok(
                ADMIN,
                json!({ "add_user": { "user": u, "name": u, "role": "participant" } }),
            );
        }
        r.ok(REG_CA, v(json!({ "register_body": { "body": "VB1", "name": "Verifiers Inc.", "accredited_until": "2030-12-31" } })));
        for (ver, user) in [("V-LEAD", "u-lead"), ("V-REV", "u-rev")] {
            r.ok(REG_CA, v(json!({ "accredit_verifier": { "verifier": ver, "body": "VB1", "name": ver, "user": user, "accredited_until": "2030-12-31", "sectors": ["cement"] } })));
        }
    }
    r.ok(ALICE, v(json!({ "submit_report": {
        "report": id, "facility": "CA-CEM-001", "entity": "ce-ca", "jurisdiction": CA, "program": "ca-mrr",
        "year": year, "sector": null, "digest": "00".repeat(32),
        "streams": [{ "id": "KILN-1", "scope": "covered", "co2e_t": covered }], "covered_co2e_t": covered
    }})));
    r.ok(
        REG_CA,
        v(json!({ "assess_conflict": { "report": id, "body": "VB1", "level": "low" } })),
    );
    r.ok(REG_CA, v(json!({ "assign_verification": { "report": id, "body": "VB1", "lead": "V-LEAD", "team": [], "independent_reviewer": "V-REV" } })));
    r.ok("u-rev", v(json!({ "complete_review": { "report": id } })));
    r.ok("u-lead", v(json!({ "issue_statement": { "report": id } })));
}

fn from_reports(
    id: &str,
    first: u16,
    last: u16,
    reports: &[&str],
    share_bp: u32,
    less: &[&str],
) -> Value {
    json!({ "record_obligation_from_reports": {
        "obligation": id, "entity": "ce-ca", "jurisdiction": CA, "label": id,
        "first_year": first, "last_year": last, "from_reports": reports, "share_bp": share_bp, "less": less
    }})
}

/// Annual obligations of 30 % (UNVERIFIED share) of each verified year, and the full-period
/// obligation: all verified emissions of the period less the annual obligations, the annual
/// reports counted again only through `less`.
#[test]
fn obligations_computed_from_verified_reports() {
    let mut r = registry();
    verified_report(&mut r, "R24", 2024, "100000.4");
    verified_report(&mut r, "R25", 2025, "200000.5");
    verified_report(&mut r, "R26", 2026, "300001");
    let e = r.ok(
        REG_CA,
        from_reports("A24", 2024, 2024, &["R24"], 3_000, &[]),
    );
    assert_eq!(
        market_effects(&e),
        [MarketEffect::ObligationComputed {
            obligation: ObligationId::parse("A24").unwrap(),
            quantity: 30_000
        }]
    );
    // 200,000.5 → 200,001 whole tonnes (half away from zero); 30 % = 60,000.3 → 60,000.
    r.ok(
        REG_CA,
        from_reports("A25", 2025, 2025, &["R25"], 3_000, &[]),
    );
    assert_eq!(ob(&r, "A25").quantity, 60_000);
    r.check(&[
        // A report of another year, a share out of range, a report counted twice.
        (
            REG_CA,
            from_reports("X", 2024, 2024, &["R25"], 3_000, &[]),
            Some(Code::InvalidField),
        ),
        (
            REG_CA,
            from_reports("X", 2026, 2026, &["R26"], 10_001, &[]),
            Some(Code::InvalidField),
        ),
        (
            REG_CA,
            from_reports("X", 2024, 2026, &["R24", "R25", "R26"], 10_000, &[]),
            Some(Code::DuplicateId),
        ),
        (
            REG_QC,
            from_reports("X", 2026, 2026, &["R26"], 3_000, &[]),
            Some(Code::NotAuthorized),
        ),
        // Less than the earlier obligations: nothing left to owe.
        (
            REG_CA,
            from_reports("X", 2024, 2024, &["R24"], 1_000, &["A24"]),
            Some(Code::QuantityOutOfRange),
        ),
    ]);
    // Full period: 100,000 + 200,001 + 300,001 = 600,002, less 30,000 and 60,000.
    r.ok(
        REG_CA,
        from_reports(
            "CP5",
            2024,
            2026,
            &["R24", "R25", "R26"],
            10_000,
            &["A24", "A25"],
        ),
    );
    assert_eq!(ob(&r, "CP5").quantity, 510_002);
    assert_eq!(ob(&r, "CP5").from_reports, ["R24", "R25", "R26"]);
}
