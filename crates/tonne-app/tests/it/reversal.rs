//! Reversals name a journal seq; the ledger fills in the original command and its moves from
//! the journal, and the state machine checks them against its digest of that entry.

use crate::util::*;
use serde_json::json;
use tonne_registry::{Code, Command};

fn reverse(key: &str, actor: &str, seq: u64) -> tonne_registry::Envelope {
    env(
        key,
        "2027-11-03T11:00:00Z",
        actor,
        json!({"reverse": {"seq": seq, "reason": "entered in error"}}),
    )
}

#[test]
fn executed_transfer_is_reversed_once() {
    let (_dir, path, mut ledger) = demo_ledger();
    let s = accepted(
        &ledger
            .execute(&transfer("r-1", "CA-AUCTION", "CA3001-H", 1_000))
            .unwrap(),
    );
    assert_eq!(
        (held(&ledger, "CA-AUCTION"), held(&ledger, "CA3001-H")),
        (2_239_000, 71_000)
    );

    // Only the regulator of the source's jurisdiction may reverse.
    assert_eq!(
        rejected(&ledger.execute(&reverse("rv-0", "erin", s)).unwrap()),
        Code::NotAuthorized
    );
    assert_eq!(
        rejected(&ledger.execute(&reverse("rv-0b", "qc-mel", s)).unwrap()),
        Code::NotAuthorized
    );

    let rv = accepted(&ledger.execute(&reverse("rv-1", "carb-eo", s)).unwrap());
    assert_eq!(rv, s + 1);
    assert_eq!(
        (held(&ledger, "CA-AUCTION"), held(&ledger, "CA3001-H")),
        (2_240_000, 70_000)
    );
    // The journal records the original the ledger filled in.
    let entry = ledger
        .store()
        .unwrap()
        .entry(rv)
        .unwrap()
        .expect("reversal journaled");
    let (e, _) = entry.decode().unwrap();
    match e.cmd {
        Command::Reverse {
            seq,
            original: Some(o),
            ..
        } => {
            assert_eq!(seq, s);
            assert!(matches!(*o.command, Command::ExecuteTransfer { .. }));
            assert_eq!(o.moves.iter().map(|m| m.range.len()).sum::<u64>(), 1_000);
        }
        other => panic!("unexpected journal entry {other:?}"),
    }

    assert_eq!(
        rejected(&ledger.execute(&reverse("rv-2", "carb-eo", s)).unwrap()),
        Code::AlreadyReversed
    );
    // Entries that moved nothing, and entries that do not exist.
    assert_eq!(
        rejected(&ledger.execute(&reverse("rv-3", "carb-eo", 10)).unwrap()),
        Code::NotReversible
    );
    assert_eq!(
        rejected(&ledger.execute(&reverse("rv-4", "carb-eo", 99_999)).unwrap()),
        Code::NotReversible
    );
    // Serials that have moved on cannot be pulled back: the demo's first allocation (to
    // CalCement's holding account) went on to its compliance account and was surrendered.
    let award = first_seq_of(&mut ledger, "allocate");
    assert_eq!(
        rejected(&ledger.execute(&reverse("rv-5", "carb-eo", award)).unwrap()),
        Code::SerialsNotHeld
    );

    // After reopen, the reversal is still known.
    drop(ledger);
    let mut ledger = open(&path);
    assert_eq!(
        rejected(&ledger.execute(&reverse("rv-6", "carb-eo", s)).unwrap()),
        Code::AlreadyReversed
    );
    assert_eq!(
        replayed(&ledger.execute(&reverse("rv-1", "carb-eo", s)).unwrap())["seq"],
        json!(rv)
    );
    verify_ok(&mut ledger);
}

/// Seq of the first journal entry running command `name`.
fn first_seq_of(ledger: &mut tonne_app::Ledger, name: &str) -> u64 {
    let mut seq = None;
    ledger
        .store()
        .unwrap()
        .scan_journal(0, &mut |e| {
            if seq.is_none() && e.decode().expect("decodes").0.cmd.name() == name {
                seq = Some(e.seq);
            }
            Ok(())
        })
        .unwrap();
    seq.unwrap_or_else(|| panic!("no {name} in the journal"))
}

#[test]
fn a_client_supplied_original_is_never_trusted() {
    let (_dir, _path, mut ledger) = demo_ledger();
    let s = accepted(
        &ledger
            .execute(&transfer("f-1", "CA-AUCTION", "CA3001-H", 10))
            .unwrap(),
    );
    // Claim the transfer had moved QC2001-H's serials, so that "reversing" it would pull them
    // into CA-AUCTION.
    let forged_moves = json!([{"series": ca26(), "range": [340_001, 340_010], "from": {"account": "CA-AUCTION"}, "to": {"account": "QC2001-H"}}]);
    let forged = |key: &str, seq: u64| {
        env(
            key,
            "2027-11-03T11:00:00Z",
            "carb-eo",
            json!({"reverse": {"seq": seq, "reason": "forged", "original": {"command": xfer("CA-AUCTION", "QC2001-H", 10), "moves": forged_moves}}}),
        )
    };
    // For an entry that does not exist, the forgery is refused.
    assert_eq!(
        rejected(&ledger.execute(&forged("f-2", 99_999)).unwrap()),
        Code::NotReversible
    );
    // For a real entry, the journal's original replaces the supplied one: the honest reversal.
    let rv = accepted(&ledger.execute(&forged("f-3", s)).unwrap());
    assert_eq!(
        held(&ledger, "QC2001-H"),
        10_000,
        "QC2001-H's serials did not move"
    );
    assert_eq!(
        (held(&ledger, "CA-AUCTION"), held(&ledger, "CA3001-H")),
        (2_240_000, 70_000)
    );
    let (e, _) = ledger
        .store()
        .unwrap()
        .entry(rv)
        .unwrap()
        .unwrap()
        .decode()
        .unwrap();
    let Command::Reverse {
        original: Some(o), ..
    } = e.cmd
    else {
        panic!("{:?}", e.cmd)
    };
    assert!(
        o.moves.iter().all(|m| m.range.start() >= 420_001),
        "journaled original is the journal's: {:?}",
        o.moves
    );
    assert_eq!(
        rejected(&ledger.execute(&reverse("f-4", "carb-eo", s)).unwrap()),
        Code::AlreadyReversed
    );
    verify_ok(&mut ledger);
}

#[test]
fn transfer_executed_through_request_confirm_accept_is_reversed_to_the_sender() {
    let (_dir, _path, mut ledger) = demo_ledger();
    let t = "2027-11-03T17:00:00Z";
    let propose = env(
        "p-1",
        t,
        "erin",
        json!({"propose_transfer": {"transfer": "T-R1", "from": "CA3001-H", "to": "CA1001-H", "legs": [{"series": ca26(), "quantity": 500}],
               "transaction_type": "secondary", "price": {"unit_price_minor": 3_000, "currency": "USD"}, "settlement_date": "2027-11-04"}}),
    );
    accepted(&ledger.execute(&propose).unwrap());
    accepted(
        &ledger
            .execute(&env(
                "p-2",
                "2027-11-03T18:00:00Z",
                "frank",
                json!({"confirm_transfer": {"transfer": "T-R1"}}),
            ))
            .unwrap(),
    );
    let exec = accepted(
        &ledger
            .execute(&env(
                "p-3",
                "2027-11-04T16:00:00Z",
                "alice",
                json!({"accept_transfer": {"transfer": "T-R1"}}),
            ))
            .unwrap(),
    );
    assert_eq!(
        (held(&ledger, "CA3001-H"), held(&ledger, "CA1001-H")),
        (69_500, 500)
    );
    let rv = env(
        "p-4",
        "2027-11-04T17:00:00Z",
        "carb-eo",
        json!({"reverse": {"seq": exec, "reason": "error"}}),
    );
    accepted(&ledger.execute(&rv).unwrap());
    assert_eq!(
        (held(&ledger, "CA3001-H"), held(&ledger, "CA1001-H")),
        (70_000, 0)
    );
    verify_ok(&mut ledger);
}

#[test]
fn reversal_staged_in_the_same_batch_as_its_transfer() {
    let (_dir, path, mut ledger) = demo_ledger();
    let s = accepted(
        &ledger
            .stage(&transfer("s-1", "CA-AUCTION", "CA3001-H", 77))
            .unwrap(),
    );
    // The entry is not in the store yet; the ledger finds it in the pending batch.
    assert!(ledger.store().unwrap().entry(s).unwrap().is_none());
    accepted(&ledger.stage(&reverse("s-2", "carb-eo", s)).unwrap());
    assert_eq!(
        rejected(&ledger.stage(&reverse("s-3", "carb-eo", s)).unwrap()),
        Code::AlreadyReversed
    );
    ledger.flush().unwrap();
    assert_eq!(held(&ledger, "CA3001-H"), 70_000);
    let rows = (ledger.state().holding_rows(), ledger.state().object_rows());
    drop(ledger);
    let mut ledger = open(&path);
    assert_eq!(
        (ledger.state().holding_rows(), ledger.state().object_rows()),
        rows
    );
    verify_ok(&mut ledger);
}
