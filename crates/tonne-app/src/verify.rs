//! `tonne verify`: replays the journal without trusting stored balances and checks the hash
//! chain, that every recorded effect follows from its command, conservation per series (and so
//! per kind and vintage), no overlapping or inverted serial ranges, and that the stored state
//! rows equal the replayed state.

use crate::ledger::AppError;
use crate::replay::{replay, Until};
use serde::Serialize;
use std::collections::BTreeMap;
use tonne_registry::export::HoldingRow;
use tonne_registry::{State, GENESIS_HASH};
use tonne_store::Store;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    pub ok: bool,
    pub first_bad_seq: Option<u64>,
    /// The failed check: chain, decode, replay, effects, conservation, negative, overlap, state.
    pub check: Option<String>,
    pub detail: Option<String>,
    pub entries: u64,
    pub head_hash: String,
    /// Issued instruments per "JUR/KIND/VINTAGE" (all series of that kind and vintage).
    pub issued: BTreeMap<String, u64>,
}

fn fail(mut r: VerifyReport, seq: Option<u64>, check: &str, detail: String) -> VerifyReport {
    r.ok = false;
    r.first_bad_seq = seq;
    r.check = Some(check.into());
    r.detail = Some(detail);
    r
}

pub fn verify(store: &mut dyn Store) -> Result<VerifyReport, AppError> {
    let mut state = State::new();
    let mut head = (0u64, GENESIS_HASH);
    let outcome = replay(store, &mut state, &mut head, Until::Head);
    let mut report = VerifyReport {
        ok: true,
        first_bad_seq: None,
        check: None,
        detail: None,
        entries: head.0,
        head_hash: hex::encode(head.1),
        issued: BTreeMap::new(),
    };
    match outcome {
        Ok(()) => {}
        Err(AppError::Corrupt { seq, check, detail }) => return Ok(fail(report, Some(seq), check, detail)),
        // A row that cannot even be read as a journal entry (e.g. a negative seq or a short hash).
        Err(AppError::Store(e)) => return Ok(fail(report, Some(head.0 + 1), "chain", e.to_string())),
        Err(e) => return Err(e),
    }
    let rows = state.holding_rows();
    if let Err((check, detail)) = check_invariants(&state, &rows) {
        return Ok(fail(report, None, check, detail));
    }
    for (series, issued) in &state.series {
        let k = format!("{}/{}/{}", series.jurisdiction(), series.kind().code(), series.vintage().map_or("NV".into(), |v| v.to_string()));
        *report.issued.entry(k).or_default() += issued;
    }
    let stored = match store.holdings() {
        Ok(h) => h,
        Err(e) => return Ok(fail(report, None, "negative", format!("a stored holding row is invalid: {e}"))),
    };
    if let Some(bad) = stored.iter().find(|h| h.start == 0 || h.end < h.start) {
        return Ok(fail(report, None, "negative", format!("stored range {}/{}..{} at {} is empty or inverted", bad.series, bad.start, bad.end, bad.location)));
    }
    if let Some(d) = first_difference(&rows, &stored, |h| format!("{} {}..{} at {}", h.series, h.start, h.end, h.location)) {
        return Ok(fail(report, None, "state", format!("stored holdings differ from the replayed journal: {d}")));
    }
    let objects = state.object_rows();
    let stored_objects = store.objects()?;
    if let Some(d) = first_difference(&objects, &stored_objects, |o| format!("{} {}", o.kind, o.id)) {
        return Ok(fail(report, None, "state", format!("stored objects differ from the replayed journal: {d}")));
    }
    Ok(report)
}

/// Conservation per series and no overlaps, on the replayed state.
pub fn check_invariants(state: &State, rows: &[HoldingRow]) -> Result<(), (&'static str, String)> {
    let mut located: BTreeMap<&str, u64> = BTreeMap::new();
    let mut prev: Option<&HoldingRow> = None;
    for r in rows {
        if let Some(p) = prev
            && p.series == r.series
            && p.end >= r.start
        {
            return Err(("overlap", format!("{} serials {}..{} at {} overlap {}..{} at {}", r.series, p.start, p.end, p.location, r.start, r.end, r.location)));
        }
        *located.entry(&r.series).or_default() += r.end - r.start + 1;
        prev = Some(r);
    }
    for (series, issued) in &state.series {
        let s = series.to_string();
        let found = located.get(s.as_str()).copied().unwrap_or(0);
        if found != *issued {
            return Err(("conservation", format!("{s}: {issued} issued but {found} accounted for")));
        }
    }
    Ok(())
}

fn first_difference<T: PartialEq + Ord>(want: &[T], got: &[T], show: impl Fn(&T) -> String) -> Option<String> {
    let (mut i, mut j) = (0, 0);
    while i < want.len() || j < got.len() {
        match (want.get(i), got.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => return Some(format!("missing or altered: {}", show(a))),
            (Some(_), Some(b)) | (None, Some(b)) => return Some(format!("unexpected or altered: {}", show(b))),
            (Some(a), None) => return Some(format!("missing: {}", show(a))),
            (None, None) => unreachable!(),
        }
    }
    None
}
