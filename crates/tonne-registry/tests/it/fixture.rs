//! A linked California–Québec registry built through commands, and helpers to drive it.
//!
//! Commands are written as JSON, exactly as they appear in a command file (JSON Lines of
//! envelopes `{"v":1,"key":..,"ts":..,"actor":..,"cmd":{..}}`), so these fixtures double as
//! documentation of the command format.

use serde_json::{Value, json};
use tonne_core::{AccountId, SeriesKey, Timestamp, TransferId};
use tonne_registry::command::ReversalSource;
use tonne_registry::export::{HoldingRow, ObjectRow};
use tonne_registry::{Code, Effect, Envelope, Loc, Move, Rejection, State};

// ---- names used throughout ------------------------------------------------------------------

pub const CA: &str = "US-CA";
pub const QC: &str = "CA-QC";

pub const ADMIN: &str = "admin";
pub const REG_CA: &str = "reg-ca";
pub const REG_QC: &str = "reg-qc";
pub const SYSTEM: &str = "system";
/// Primary and alternate representatives of the Californian covered entity `ce-ca`.
pub const ALICE: &str = "alice";
pub const BOB: &str = "bob";
/// Primary and alternate representatives of the Québec covered entity `ce-qc`.
pub const CAROL: &str = "carol";
pub const DAVE: &str = "dave";
/// Primary and alternate representatives of the voluntarily associated entity `vae-ca`.
pub const ERIN: &str = "erin";
pub const FRANK: &str = "frank";
/// Account viewing agent on `CA-CE1-H`.
pub const VIEWER: &str = "viewer";

pub const CA_ISS: &str = "CA-ISS";
pub const CA_AUC: &str = "CA-AUC";
pub const QC_ISS: &str = "QC-ISS";
pub const QC_AUC: &str = "QC-AUC";
pub const CE1_H: &str = "CA-CE1-H";
pub const CE1_C: &str = "CA-CE1-C";
pub const CE1_L: &str = "CA-CE1-L";
pub const CE2_H: &str = "QC-CE2-H";
pub const CE2_C: &str = "QC-CE2-C";
pub const VAE_H: &str = "CA-VAE-H";

pub const ALW24: &str = "US-CA/ALW/2024";
pub const ALW26: &str = "US-CA/ALW/2026";
pub const ALW27: &str = "US-CA/ALW/2027";
pub const QALW26: &str = "CA-QC/ALW/2026";
pub const OFF: &str = "US-CA/OFF/2024/CAFR5001";

/// REG-§95841 Table 6-1 (reference/cap-and-trade.md §3.2), millions → allowances.
pub const CA_BUDGETS: [(u16, u64); 7] = [
    (2024, 280_700_000),
    (2025, 267_400_000),
    (2026, 254_000_000),
    (2027, 240_600_000),
    (2028, 227_300_000),
    (2029, 213_900_000),
    (2030, 200_500_000),
];
/// Québec caps (reference/cap-and-trade.md §3.3, UNVERIFIED values; fine for tests).
pub const QC_BUDGETS: [(u16, u64); 7] = [
    (2024, 51_900_000),
    (2025, 50_710_000),
    (2026, 49_520_000),
    (2027, 48_330_000),
    (2028, 47_140_000),
    (2029, 45_950_000),
    (2030, 44_140_000),
];

// ---- small constructors ---------------------------------------------------------------------

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap_or_else(|e| panic!("{e}"))
}
pub fn series(s: &str) -> SeriesKey {
    SeriesKey::parse(s).unwrap_or_else(|e| panic!("{e}"))
}
pub fn account(a: &str) -> AccountId {
    AccountId::parse(a).unwrap()
}
pub fn transfer(t: &str) -> TransferId {
    TransferId::parse(t).unwrap()
}
pub fn acct(a: &str) -> Loc {
    Loc::Account(account(a))
}
pub fn escrow(t: &str) -> Loc {
    Loc::Escrow(transfer(t))
}
pub fn moved(s: &str, (start, end): (u64, u64), from: Loc, to: Loc) -> Effect {
    Effect::Moved(Move {
        series: series(s),
        range: tonne_core::SerialRange::new(start, end).unwrap(),
        from,
        to,
    })
}
pub fn status(t: &str, s: &str) -> Effect {
    Effect::TransferStatus {
        transfer: transfer(t),
        status: s.into(),
    }
}

/// The JSON form of a series key (an object, not the `US-CA/ALW/2026` text form).
pub fn sj(s: &str) -> Value {
    serde_json::to_value(series(s)).unwrap()
}
/// A leg naming a quantity: the lowest serials held are taken.
pub fn qty(s: &str, q: u64) -> Value {
    json!({ "series": sj(s), "quantity": q })
}
/// A leg naming explicit serial ranges `[start, end]`, inclusive.
pub fn ranges(s: &str, rs: &[(u64, u64)]) -> Value {
    json!({ "series": sj(s), "ranges": rs })
}

/// Parses one envelope from JSON, as a command file line would be.
pub fn envelope(key: &str, ts: Timestamp, actor: &str, cmd: Value) -> Envelope {
    let v = json!({ "v": 1, "key": key, "ts": ts.to_string(), "actor": actor, "cmd": cmd });
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("bad command JSON {v}: {e}"))
}

/// Everything a rejected command must leave untouched.
pub type Snapshot = (Vec<HoldingRow>, Vec<ObjectRow>);
pub fn snapshot(s: &State) -> Snapshot {
    (s.holding_rows(), s.object_rows())
}

/// Amount of one series held by an account: (free, escrowed).
pub fn bal(s: &State, a: &str, ser: &str) -> (u64, u64) {
    s.balances(&account(a))
        .get(&series(ser))
        .copied()
        .unwrap_or((0, 0))
}

/// Holding rows of one location as `(series, start, end)`.
pub fn rows_at(s: &State, loc: &Loc) -> Vec<(String, u64, u64)> {
    let l = loc.to_string();
    s.range_rows()
        .into_iter()
        .filter(|r| r.location == l)
        .map(|r| (r.series, r.start, r.end))
        .collect()
}

// ---- the registry driver --------------------------------------------------------------------

/// One accepted command as the journal would record it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub env: Envelope,
    pub effects: Vec<Effect>,
}

#[derive(Clone)]
pub struct Reg {
    pub state: State,
    /// Timestamp of the next command. Moves only when a test says so.
    pub now: Timestamp,
    next_key: u64,
    /// Accepted commands.
    pub log: Vec<Entry>,
}

impl Reg {
    pub fn empty(start: &str) -> Self {
        Self {
            state: State::new(),
            now: ts(start),
            next_key: 0,
            log: Vec::new(),
        }
    }

    pub fn advance_hours(&mut self, h: u32) {
        self.now = self.now.plus_hours(h);
    }
    pub fn advance_secs(&mut self, s: i64) {
        self.now = Timestamp::from_millis(self.now.millis() + s * 1000).unwrap();
    }
    pub fn at(&mut self, t: &str) {
        let t = ts(t);
        assert!(
            t >= self.now,
            "tests move time forwards only ({t} < {})",
            self.now
        );
        self.now = t;
    }

    pub fn env(&mut self, actor: &str, cmd: Value) -> Envelope {
        self.next_key += 1;
        envelope(&format!("k{}", self.next_key), self.now, actor, cmd)
    }

    /// Applies an envelope. A rejection must leave holdings and objects exactly as they were.
    pub fn apply(&mut self, env: Envelope) -> Result<Vec<Effect>, Rejection> {
        let before = snapshot(&self.state);
        let balances_before = all_balances(&self.state);
        match self.state.apply(&env) {
            Ok(effects) => {
                self.log.push(Entry {
                    seq: self.state.seq,
                    env,
                    effects: effects.clone(),
                });
                Ok(effects)
            }
            Err(r) => {
                assert_eq!(
                    snapshot(&self.state),
                    before,
                    "rejected {} ({r}) changed the state",
                    env.cmd.name()
                );
                assert_eq!(
                    all_balances(&self.state),
                    balances_before,
                    "rejected {} changed balances",
                    env.cmd.name()
                );
                Err(r)
            }
        }
    }

    pub fn run(&mut self, actor: &str, cmd: Value) -> Result<Vec<Effect>, Rejection> {
        let env = self.env(actor, cmd);
        self.apply(env)
    }

    /// Applies a command that must be accepted.
    #[track_caller]
    pub fn ok(&mut self, actor: &str, cmd: Value) -> Vec<Effect> {
        let shown = cmd.to_string();
        self.run(actor, cmd)
            .unwrap_or_else(|r| panic!("{actor}: {shown} was rejected: {r}"))
    }

    /// Applies a command that must be rejected with `code` (and leave the state unchanged).
    #[track_caller]
    pub fn rejects(&mut self, actor: &str, cmd: Value, code: Code) -> Rejection {
        let shown = cmd.to_string();
        match self.run(actor, cmd) {
            Ok(e) => panic!("{actor}: {shown} was accepted ({e:?}), expected {code:?}"),
            Err(r) => {
                assert_eq!(r.code, code, "{actor}: {shown}: {r}");
                r
            }
        }
    }

    /// Table-driven: each row is applied in order and must be accepted (`None`) or rejected with
    /// the given code.
    #[track_caller]
    pub fn check(&mut self, rows: &[(&str, Value, Option<Code>)]) {
        for (i, (actor, cmd, expected)) in rows.iter().enumerate() {
            let got = self.run(actor, cmd.clone());
            match (expected, &got) {
                (None, Ok(_)) => {}
                (Some(c), Err(r)) if r.code == *c => {}
                _ => panic!("row {i}: {actor}: {cmd}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    pub fn entry(&self, seq: u64) -> &Entry {
        self.log
            .iter()
            .find(|e| e.seq == seq)
            .expect("an accepted entry")
    }

    /// What the application layer passes to `reverse`: the original command and the moves the
    /// state recorded as reversible. For an executed transfer those are the moves out of escrow
    /// with `from` set to the sending account (transfer.rs `execute`); for every other command
    /// they are its `Moved` effects as returned.
    pub fn reversal_source(&self, seq: u64) -> ReversalSource {
        let e = self.entry(seq);
        ReversalSource::from_entry(&self.state, &e.env.cmd, &e.effects)
    }

    /// A `reverse` command for journal entry `seq`, carrying its original.
    pub fn reverse_cmd(&self, seq: u64) -> Value {
        json!({ "reverse": { "seq": seq, "reason": "entered in error", "original": self.reversal_source(seq) } })
    }

    // ---- funding shortcuts ------------------------------------------------------------------

    /// Issues `q` instruments of `s` into its jurisdiction's issuance account.
    pub fn issue(&mut self, s: &str, q: u64) -> Vec<Effect> {
        let k = series(s);
        let (reg, iss) = if k.jurisdiction().as_str() == CA {
            (REG_CA, CA_ISS)
        } else {
            (REG_QC, QC_ISS)
        };
        self.ok(
            reg,
            json!({ "issue": { "series": sj(s), "quantity": q, "to": iss } }),
        )
    }

    /// Issues `q` of `s` and has the regulator move them into `to` (lowest serials first).
    pub fn give(&mut self, s: &str, q: u64, to: &str) -> Vec<Effect> {
        self.issue(s, q);
        let k = series(s);
        let (reg, iss) = if k.jurisdiction().as_str() == CA {
            (REG_CA, CA_ISS)
        } else {
            (REG_QC, QC_ISS)
        };
        self.ok(reg, json!({ "execute_transfer": { "from": iss, "to": to, "legs": [qty(s, q)], "reason": "test funding" } }))
    }

    /// Proposes a transfer of `legs` with terms fitting the two accounts.
    pub fn propose(
        &mut self,
        actor: &str,
        id: &str,
        from: &str,
        to: &str,
        legs: Value,
    ) -> Result<Vec<Effect>, Rejection> {
        let cmd = propose_json(&self.state, id, from, to, legs);
        self.run(actor, cmd)
    }
}

/// A `propose_transfer` command: `own_accounts` within one entity, otherwise a secondary-market
/// trade at $30.00 settling 2026-01-09.
pub fn propose_json(state: &State, id: &str, from: &str, to: &str, legs: Value) -> Value {
    let entity = |a: &str| state.accounts.get(&account(a)).map(|x| x.entity.clone());
    if entity(from).is_some() && entity(from) == entity(to) {
        json!({ "propose_transfer": {
            "transfer": id, "from": from, "to": to, "legs": legs, "transaction_type": "own_accounts"
        }})
    } else {
        json!({ "propose_transfer": {
            "transfer": id, "from": from, "to": to, "legs": legs, "transaction_type": "secondary",
            "price": { "unit_price_minor": 3_000, "currency": "USD" }, "settlement_date": "2026-01-09"
        }})
    }
}

pub fn all_balances(s: &State) -> Vec<(AccountId, SeriesKey, u64, u64)> {
    let mut ids: Vec<&AccountId> = s.accounts.keys().collect();
    ids.sort();
    ids.into_iter()
        .flat_map(|a| {
            s.balances(a)
                .into_iter()
                .map(move |(k, (h, e))| (a.clone(), k, h, e))
        })
        .collect()
}

// ---- the standard setup ---------------------------------------------------------------------

pub struct Setup {
    /// Instant of the genesis command; later setup commands share it.
    pub start: &'static str,
    /// When US-CA and CA-QC link; `None` leaves them unlinked.
    pub link_effective: Option<&'static str>,
    pub ca_budgets: Vec<(u16, u64)>,
    pub qc_budgets: Vec<(u16, u64)>,
    /// `rules` of the genesis command.
    pub rules: Value,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            // Monday 2026-01-05, 10:00 in California.
            start: "2026-01-05T18:00:00Z",
            link_effective: Some("2014-01-01T00:00:00-08:00"),
            ca_budgets: CA_BUDGETS.to_vec(),
            qc_budgets: QC_BUDGETS.to_vec(),
            rules: json!({}),
        }
    }
}

/// The standard linked two-jurisdiction registry.
pub fn registry() -> Reg {
    Setup::default().build()
}

impl Setup {
    pub fn build(&self) -> Reg {
        let mut r = Reg::empty(self.start);
        // The first command names the registry and makes its actor the administrator. Omitted
        // rule fields take their defaults (2-day confirmation, 3-day acceptance window, ...).
        r.ok(
            ADMIN,
            json!({ "genesis": { "name": "Tonne test registry", "rules": self.rules } }),
        );
        r.ok(ADMIN, json!({ "add_jurisdiction": {
            "code": CA, "name": "California", "time_zone": "America/Los_Angeles", "currency": "USD",
            "holidays": ["2026-01-19", "2026-02-16", "2026-05-25", "2026-07-03", "2026-11-26"]
        }}));
        r.ok(
            ADMIN,
            json!({ "add_jurisdiction": {
                "code": QC, "name": "Québec", "time_zone": "America/Toronto", "currency": "CAD",
                "holidays": ["2026-06-24"]
            }}),
        );
        r.ok(ADMIN, json!({ "add_user": { "user": REG_CA, "name": "CARB registrar", "role": { "regulator": { "jurisdiction": CA } } } }));
        r.ok(ADMIN, json!({ "add_user": { "user": REG_QC, "name": "MELCCFP registrar", "role": { "regulator": { "jurisdiction": QC } } } }));
        r.ok(
            ADMIN,
            json!({ "add_user": { "user": SYSTEM, "name": "scheduler", "role": "system" } }),
        );
        for u in [ALICE, BOB, CAROL, DAVE, ERIN, FRANK, VIEWER] {
            r.ok(ADMIN, json!({ "add_user": { "user": u, "name": format!("{u} (participant)"), "role": "participant" } }));
        }
        if let Some(eff) = self.link_effective {
            r.ok(
                ADMIN,
                json!({ "link": { "a": CA, "b": QC, "effective": eff } }),
            );
        }
        for (year, n) in &self.ca_budgets {
            r.ok(
                REG_CA,
                json!({ "set_budget": { "jurisdiction": CA, "year": year, "allowances": n } }),
            );
        }
        for (year, n) in &self.qc_budgets {
            r.ok(
                REG_QC,
                json!({ "set_budget": { "jurisdiction": QC, "year": year, "allowances": n } }),
            );
        }
        for (reg, entity, jur, name, kind) in [
            (REG_CA, "gov-ca", CA, "State of California", "government"),
            (REG_QC, "gov-qc", QC, "Gouvernement du Québec", "government"),
            (REG_CA, "ce-ca", CA, "Pacific Cement", "covered"),
            (REG_QC, "ce-qc", QC, "Aluminerie Laurentienne", "covered"),
            (
                REG_CA,
                "vae-ca",
                CA,
                "Golden Gate Trading",
                "voluntarily_associated",
            ),
        ] {
            r.ok(reg, json!({ "register_entity": { "entity": entity, "jurisdiction": jur, "name": name, "entity_type": kind } }));
        }
        for (reg, acc, entity, kind, reps) in [
            (
                REG_CA,
                CA_ISS,
                "gov-ca",
                "issuance",
                &[(REG_CA, "primary")][..],
            ),
            (
                REG_CA,
                CA_AUC,
                "gov-ca",
                "auction_holding",
                &[(REG_CA, "primary")][..],
            ),
            (
                REG_QC,
                QC_ISS,
                "gov-qc",
                "issuance",
                &[(REG_QC, "primary")][..],
            ),
            (
                REG_QC,
                QC_AUC,
                "gov-qc",
                "auction_holding",
                &[(REG_QC, "primary")][..],
            ),
            (
                REG_CA,
                CE1_H,
                "ce-ca",
                "holding",
                &[
                    (ALICE, "primary"),
                    (BOB, "alternate"),
                    (VIEWER, "viewing_agent"),
                ][..],
            ),
            (
                REG_CA,
                CE1_C,
                "ce-ca",
                "compliance",
                &[(ALICE, "primary"), (BOB, "alternate")][..],
            ),
            (
                REG_CA,
                CE1_L,
                "ce-ca",
                "limited_use_holding",
                &[(ALICE, "primary"), (BOB, "alternate")][..],
            ),
            (
                REG_QC,
                CE2_H,
                "ce-qc",
                "holding",
                &[(CAROL, "primary"), (DAVE, "alternate")][..],
            ),
            (
                REG_QC,
                CE2_C,
                "ce-qc",
                "compliance",
                &[(CAROL, "primary"), (DAVE, "alternate")][..],
            ),
            (
                REG_CA,
                VAE_H,
                "vae-ca",
                "holding",
                &[(ERIN, "primary"), (FRANK, "alternate")][..],
            ),
        ] {
            r.ok(reg, json!({ "open_account": { "account": acc, "entity": entity, "account_type": kind } }));
            for (user, role) in reps {
                r.ok(
                    reg,
                    json!({ "set_representative": { "account": acc, "user": user, "role": role } }),
                );
            }
        }
        r
    }
}
