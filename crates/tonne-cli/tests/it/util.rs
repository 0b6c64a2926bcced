//! Helpers shared by the CLI tests: running the built `tonne` binary, reading its JSON output
//! and generating command files.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const TONNE: &str = env!("CARGO_BIN_EXE_tonne");

/// Result of one `tonne` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Self {
            // A signal death has no code; -1 never matches an expected one.
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
    /// Stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
    /// Stdout as JSON Lines.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("line {l:?} is not JSON ({e})"))
            })
            .collect()
    }
}

/// Runs `tonne ARGS…` to completion.
pub fn tonne<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(TONNE)
        .args(args)
        .output()
        .expect("the tonne binary runs");
    Run::from(out)
}

pub fn p(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// A fresh temporary directory and a database path inside it.
pub fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("tonne.db");
    (dir, db)
}

/// Runs the demo on a new database and checks that it succeeded.
pub fn demo_db() -> (tempfile::TempDir, PathBuf) {
    let (dir, db) = temp_db();
    let r = tonne(["demo", "--db", p(&db)]);
    assert_eq!(r.code, 0, "demo failed: {r:?}");
    (dir, db)
}

/// `tonne journal head --json` as (seq, hash).
pub fn head(db: &Path) -> (u64, String) {
    let r = tonne(["journal", "head", "--db", p(db), "--json"]);
    assert_eq!(r.code, 0, "journal head failed: {r:?}");
    let v = r.json();
    (
        v["seq"].as_u64().expect("seq"),
        v["hash"].as_str().expect("hash").to_owned(),
    )
}

/// `tonne verify --json`, with its exit code.
pub fn verify(db: &Path) -> (i32, Value) {
    let r = tonne(["verify", "--db", p(db), "--json"]);
    let v = r.json();
    (r.code, v)
}

pub fn assert_verify_ok(db: &Path) -> Value {
    let (code, v) = verify(db);
    assert_eq!(v["ok"], json!(true), "verify failed: {v}");
    assert_eq!(code, 0, "verify ok but exit code {code}");
    v
}

/// Every journal entry (`tonne journal show --json` over the whole journal).
pub fn journal(db: &Path) -> Vec<Value> {
    let r = tonne([
        "journal",
        "show",
        "--db",
        p(db),
        "--from",
        "1",
        "--limit",
        "100000000",
        "--json",
    ]);
    assert_eq!(r.code, 0, "journal show failed: {r:?}");
    r.json_lines()
}

/// Idempotency keys of the journal, in seq order.
pub fn journal_keys(db: &Path) -> Vec<String> {
    journal(db)
        .iter()
        .map(|e| e["key"].as_str().expect("key").to_owned())
        .collect()
}

/// `tonne balances --json` for all accounts (or one), as statements.
pub fn balances(db: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["balances", "--db", p(db), "--json"];
    args.extend_from_slice(extra);
    let r = tonne(&args);
    assert_eq!(r.code, 0, "balances failed: {r:?}");
    r.json()
}

/// Balances as account -> series -> held, from a `balances --json` answer.
pub fn holdings(statements: &Value) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for s in statements.as_array().expect("an array of statements") {
        let lines: BTreeMap<String, u64> = s["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| {
                (
                    l["series"].as_str().expect("series").to_owned(),
                    l["held"].as_u64().expect("held"),
                )
            })
            .collect();
        out.insert(s["account"].as_str().expect("account").to_owned(), lines);
    }
    out
}

/// Held quantity of one series in one account (0 when absent).
pub fn held(db: &Path, account: &str, series: &str) -> u64 {
    let b = balances(db, &["--account", account]);
    holdings(&b)
        .get(account)
        .and_then(|m| m.get(series).copied())
        .unwrap_or(0)
}

/// Writes command lines to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&path, text).expect("write command file");
    path
}

/// One command envelope as a JSON line.
pub fn env(key: &str, ts: &str, actor: &str, cmd: Value) -> String {
    json!({"v": 1, "key": key, "ts": ts, "actor": actor, "cmd": cmd}).to_string()
}

/// `2027-01-01T00:00:00Z` plus `i` seconds (i < 86 400 * 28), for increasing timestamps.
pub fn ts(i: u64) -> String {
    assert!(i < 86_400 * 28, "timestamp helper covers four weeks");
    let (d, s) = (i / 86_400, i % 86_400);
    format!(
        "2027-02-{:02}T{:02}:{:02}:{:02}Z",
        d + 1,
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

pub const CA26: &str = "US-CA/ALW/2026";

pub fn series_ca26() -> Value {
    json!({"jurisdiction": "US-CA", "kind": "allowance", "vintage": 2026})
}

pub fn leg(q: u64) -> Value {
    json!([{"series": series_ca26(), "quantity": q}])
}

pub fn transfer(key: &str, ts: &str, actor: &str, from: &str, to: &str, q: u64) -> String {
    env(
        key,
        ts,
        actor,
        json!({"execute_transfer": {"from": from, "to": to, "legs": leg(q), "reason": "test"}}),
    )
}

/// A small market of our own: one jurisdiction, regulator `reg`, issuance account `ISS`, and
/// `accounts` holding accounts `H0..` each allocated `each` allowances of US-CA 2026. Keys are
/// `setup-N`; timestamps are before [`ts`]`(0)`.
pub fn setup_market(accounts: usize, each: u64) -> Vec<String> {
    let t = "2027-01-15T12:00:00Z";
    let mut n = 0;
    let mut out = Vec::new();
    let mut push = |actor: &str, cmd: Value| {
        n += 1;
        out.push(env(&format!("setup-{n}"), t, actor, cmd));
    };
    push(
        "admin",
        json!({"genesis": {"name": "test market", "rules": {}}}),
    );
    push(
        "admin",
        json!({"add_jurisdiction": {"code": "US-CA", "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD"}}),
    );
    push(
        "admin",
        json!({"add_user": {"user": "reg", "name": "Regulator", "role": {"regulator": {"jurisdiction": "US-CA"}}}}),
    );
    // Holding limits are computed from the budget of the current year (2027 here).
    push(
        "reg",
        json!({"set_budget": {"jurisdiction": "US-CA", "year": 2026, "allowances": 254_000_000u64}}),
    );
    push(
        "reg",
        json!({"set_budget": {"jurisdiction": "US-CA", "year": 2027, "allowances": 240_600_000u64}}),
    );
    push(
        "reg",
        json!({"register_entity": {"entity": "GOV", "jurisdiction": "US-CA", "name": "Government", "entity_type": "government"}}),
    );
    push(
        "reg",
        json!({"open_account": {"account": "ISS", "entity": "GOV", "account_type": "issuance"}}),
    );
    for i in 0..accounts {
        push(
            "reg",
            json!({"register_entity": {"entity": format!("E{i}"), "jurisdiction": "US-CA", "name": format!("Entity {i}"), "entity_type": "covered"}}),
        );
        push(
            "reg",
            json!({"open_account": {"account": format!("H{i}"), "entity": format!("E{i}"), "account_type": "holding"}}),
        );
    }
    push(
        "reg",
        json!({"issue": {"series": series_ca26(), "quantity": each * accounts as u64, "to": "ISS"}}),
    );
    for i in 0..accounts {
        push(
            "reg",
            json!({"allocate": {"from": "ISS", "to": format!("H{i}"), "legs": leg(each)}}),
        );
    }
    out
}

/// SplitMix64: a tiny seeded generator so failures can be reproduced from the printed seed.
pub use tonne_core::rng::SplitMix64 as Rng;

/// Seed from `var` if set, else from the clock.
pub fn seed_from_env(var: &str) -> u64 {
    match std::env::var(var) {
        Ok(s) => s.parse().unwrap_or_else(|_| panic!("{var} must be a u64")),
        Err(_) => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock after 1970");
            t.as_nanos() as u64 ^ u64::from(std::process::id()).rotate_left(32)
        }
    }
}
