//! Point-in-time statements: balances of an account as of any past journal seq or instant,
//! computed by replaying the journal up to that point.

use crate::ledger::AppError;
use crate::replay::{Until, replay};
use serde::Serialize;
use tonne_core::{AccountId, Timestamp};
use tonne_registry::{GENESIS_HASH, State};
use tonne_store::Store;

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
    let until = match as_of {
        AsOf::Head => Until::Head,
        AsOf::Seq(s) => Until::Seq(s),
        AsOf::Time(t) => Until::Time(t),
    };
    replay(store, &mut state, &mut head, until)?;
    Ok((state, head.0))
}

pub fn statement(state: &State, seq: u64, account: &AccountId) -> Result<Statement, AppError> {
    let acc = state
        .accounts
        .get(account)
        .ok_or_else(|| AppError::Usage(format!("account {account} does not exist at seq {seq}")))?;
    let mut lines = Vec::new();
    for (series, (held, escrowed)) in state.balances(account) {
        let mut ranges: Vec<String> = acc
            .holdings
            .get(&series)
            .map(|s| s.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default();
        for t in state
            .open_transfers
            .iter()
            .filter_map(|t| state.transfers.get(t))
            .filter(|t| &t.from == account)
        {
            if let Some(s) = t.escrow.get(&series) {
                ranges.extend(s.iter().map(|r| format!("{r} (escrow)")));
            }
        }
        lines.push(Line {
            series: series.to_string(),
            held: held + escrowed,
            escrowed,
            ranges,
        });
    }
    Ok(Statement {
        account: account.to_string(),
        as_of_seq: seq,
        as_of_ts: state.last_ts,
        lines,
    })
}
