//! Two sovereign registries on loopback: California's and Québec's, each its own `tonne`
//! store; `tonne link serve` answers for Québec while `tonne link send` drives two-phase
//! cross-registry transfers from California; `tonne link reconcile` proves both journals agree
//! and `tonne verify` passes on both sides.

use crate::util::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A registry hosting `me` with `other` hosted by the peer `peer`.
fn registry_lines(
    me: &str,
    other: &str,
    peer: &str,
    reg: &str,
    budget: u64,
    funded: u64,
) -> Vec<String> {
    let t = "2026-01-05T18:00:00Z";
    let mut n = 0;
    let mut line = |actor: &str, cmd: Value| {
        n += 1;
        env(&format!("{me}-{n}"), t, actor, cmd)
    };
    let acct = format!("{me}-TRADER-H");
    let iss = format!("{me}-ISS");
    let mut out = vec![
        line(
            "admin",
            json!({"genesis": {"name": format!("registry of {me}"), "rules": {}}}),
        ),
        line(
            "admin",
            json!({"add_jurisdiction": {"code": me, "name": me, "time_zone": "America/Toronto", "currency": "USD", "holidays": []}}),
        ),
        line(
            "admin",
            json!({"add_user": {"user": reg, "name": "registrar", "role": {"regulator": {"jurisdiction": me}}}}),
        ),
        line(
            "admin",
            json!({"add_user": {"user": "system", "name": "link agent", "role": "system"}}),
        ),
        line(
            "admin",
            json!({"add_user": {"user": "alice", "name": "alice", "role": "participant"}}),
        ),
        line(
            "admin",
            json!({"add_peer": {"peer": peer, "name": "peer registry", "jurisdictions": [other]}}),
        ),
        line(
            "admin",
            json!({"link": {"a": me, "b": other, "effective": "2014-01-01T00:00:00Z"}}),
        ),
        line(
            reg,
            json!({"set_budget": {"jurisdiction": me, "year": 2026, "allowances": budget}}),
        ),
        line(
            reg,
            json!({"register_entity": {"entity": "gov", "jurisdiction": me, "name": "government", "entity_type": "government"}}),
        ),
        line(
            reg,
            json!({"open_account": {"account": iss, "entity": "gov", "account_type": "issuance"}}),
        ),
        line(
            reg,
            json!({"register_entity": {"entity": "trader", "jurisdiction": me, "name": "trader", "entity_type": "voluntarily_associated"}}),
        ),
        line(
            reg,
            json!({"open_account": {"account": acct, "entity": "trader", "account_type": "holding"}}),
        ),
        line(
            reg,
            json!({"set_representative": {"account": acct, "user": "alice", "role": "primary"}}),
        ),
    ];
    if funded > 0 {
        let series = json!({"jurisdiction": me, "kind": "allowance", "vintage": 2026});
        out.push(line(
            reg,
            json!({"issue": {"series": series, "quantity": funded, "to": iss}}),
        ));
        out.push(line(reg, json!({"execute_transfer": {"from": iss, "to": acct, "legs": [{"series": series, "quantity": funded}], "reason": "funding"}})));
    }
    out
}

fn build(dir: &Path, name: &str, lines: &[String]) -> std::path::PathBuf {
    let db = dir.join(format!("{name}.db"));
    let f = write_file(dir, &format!("{name}.jsonl"), lines);
    let r = tonne(["apply", p(&f), "--db", p(&db), "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    db
}

/// Starts `tonne link serve` on an ephemeral port; returns the child and its address.
fn serve(db: &Path, peer: &str) -> (Child, String) {
    let mut child = Command::new(TONNE)
        .args([
            "link",
            "serve",
            "--db",
            p(db),
            "--listen",
            "127.0.0.1:0",
            "--peer",
            peer,
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn tonne link serve");
    let mut first = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .trim()
        .rsplit(' ')
        .next()
        .expect("the server prints its address")
        .to_owned();
    (child, addr)
}

fn legs(q: u64) -> String {
    json!([{"series": {"jurisdiction": "US-CA", "kind": "allowance", "vintage": 2026}, "quantity": q}]).to_string()
}

fn send(ca: &Path, addr: &str, t: &str, q: u64) -> Run {
    let l = legs(q);
    tonne([
        "link",
        "send",
        "--db",
        p(ca),
        "--peer-addr",
        addr,
        "--peer",
        "qc-registry",
        "--transfer",
        t,
        "--from",
        "US-CA-TRADER-H",
        "--to",
        "CA-QC-TRADER-H",
        "--legs",
        &l,
        "--actor",
        "alice",
        "--json",
    ])
}

#[test]
fn two_registries_on_loopback_transfer_and_reconcile() {
    let dir = tempfile::tempdir().unwrap();
    let ca = build(
        dir.path(),
        "ca",
        &registry_lines(
            "US-CA",
            "CA-QC",
            "qc-registry",
            "reg-ca",
            10_000_000,
            200_000,
        ),
    );
    let qc = build(
        dir.path(),
        "qc",
        &registry_lines("CA-QC", "US-CA", "ca-registry", "reg-qc", 1_000_000, 0),
    );
    let (mut server, addr) = serve(&qc, "ca-registry");

    // Posted on both sides.
    let r = send(&ca, &addr, "X-1", 30_000);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["status"], json!("posted"));
    // Refused at the peer (its 100,000 holding limit: 10 % of a 1,000,000 budget, the
    // UNVERIFIED small-budget rule): voided here, serials back.
    let r = send(&ca, &addr, "X-2", 80_000);
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    assert_eq!(v["status"], json!("voided"));
    assert!(v["reason"].as_str().unwrap().contains("E3004"), "{v}");
    // A second posted transfer.
    assert_eq!(send(&ca, &addr, "X-3", 5_000).code, 0);

    let rec = tonne([
        "link",
        "reconcile",
        "--db",
        p(&ca),
        "--peer-addr",
        &addr,
        "--peer",
        "qc-registry",
        "--json",
    ]);
    assert_eq!(rec.code, 0, "{rec:?}");
    let rv = rec.json();
    assert_eq!(rv["ok"], json!(true), "{rv}");
    assert_eq!(rv["sent_quantity"], json!(35_000));
    // Messages are idempotent: a retried commit (a lost reply) returns the stored result and
    // applies nothing twice; a malformed message gets an error reply.
    let raw = |line: &str| -> Value {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        writeln!(s, "{line}").unwrap();
        let mut reply = String::new();
        BufReader::new(s).read_line(&mut reply).unwrap();
        serde_json::from_str(reply.trim()).unwrap()
    };
    assert_eq!(raw(r#"{"commit":{"transfer":"X-1"}}"#), json!("committed"));
    assert!(raw("{not json").get("error").is_some());
    server.kill().ok();
    server.wait().ok();

    // Balances on each side; every serial accounted for on each side.
    assert_eq!(held(&ca, "US-CA-TRADER-H", "US-CA/ALW/2026"), 165_000);
    assert_eq!(held(&qc, "CA-QC-TRADER-H", "US-CA/ALW/2026"), 35_000);
    let v = assert_verify_ok(&ca);
    assert_eq!(v["ok"], json!(true));
    assert_verify_ok(&qc);
    // With the server gone, a send times out and voids.
    let r = send(&ca, &addr, "X-4", 1);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["status"], json!("voided"));
    assert_eq!(held(&ca, "US-CA-TRADER-H", "US-CA/ALW/2026"), 165_000);
    assert_verify_ok(&ca);
}
