//! Point-in-time statements: balances of an account as of any past journal seq or instant,
//! computed by replaying the journal up to that point.

use crate::ledger::{replay_one, AppError};
use serde::Serialize;
use tonne_core::{AccountId, Timestamp};
use tonne_registry::{State, GENESIS_HASH};
use tonne_store::{Store, StoreError};

/// Sentinel that ends a journal scan early.
const STOP: &str = "statement: stop scanning";

#[derive(Debug, Clone, Copy)]
pub enum AsOf {
    Head,
    Seq(u64),
    Time(Timestamp),
}

#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub series: String,
    pub held: u64,
    /// Reserved for open transfer requests (included in `held`).
    pub escrowed: u64,
    pub ranges: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Statement {
    pub account: String,
    pub as_of_seq: u64,
    pub as_of_ts: Option<Timestamp>,
    pub lines: Vec<Line>,
}

/// Replays the journal up to `as_of`.
pub fn state_as_of(store: &mut dyn Store, as_of: AsOf) -> Result<(State, u64), AppError> {
    let mut state = State::new();
    let mut head = (0u64, GENESIS_HASH);
    let mut failure = None;
    let r = store.scan_journal(0, &mut |e| {
        let stop = match as_of {
            AsOf::Head => false,
            AsOf::Seq(s) => e.seq > s,
            AsOf::Time(t) => e.ts > t,
        };
        if stop {
            return Err(StoreError::Corrupt(STOP.into()));
        }
        if let Err(err) = replay_one(&mut state, &mut head, &e) {
            failure = Some(err);
            return Err(StoreError::Corrupt(STOP.into()));
        }
        Ok(())
    });
    if let Some(f) = failure {
        return Err(f);
    }
    match r {
        Ok(()) => Ok((state, head.0)),
        Err(StoreError::Corrupt(s)) if s == STOP => Ok((state, head.0)),
        Err(e) => Err(e.into()),
    }
}

pub fn statement(state: &State, seq: u64, account: &AccountId) -> Result<Statement, AppError> {
    let acc = state.accounts.get(account).ok_or_else(|| AppError::Usage(format!("account {account} does not exist at seq {seq}")))?;
    let mut lines = Vec::new();
    for (series, (held, escrowed)) in state.balances(account) {
        let mut ranges: Vec<String> = acc.holdings.get(&series).map(|s| s.iter().map(|r| r.to_string()).collect()).unwrap_or_default();
        for t in state.open_transfers.iter().filter_map(|t| state.transfers.get(t)).filter(|t| &t.from == account) {
            if let Some(s) = t.escrow.get(&series) {
                ranges.extend(s.iter().map(|r| format!("{r} (escrow)")));
            }
        }
        lines.push(Line { series: series.to_string(), held: held + escrowed, escrowed, ranges });
    }
    Ok(Statement { account: account.to_string(), as_of_seq: seq, as_of_ts: state.last_ts, lines })
}
