//! `tonne verify`: replays the journal without trusting stored balances and checks the hash
//! chain, that every recorded effect follows from its command, conservation per series (and so
//! per kind and vintage), no overlapping or inverted serial ranges, and that the stored state
//! rows equal the replayed state.

use crate::ledger::AppError;
use crate::replay::{Until, replay};
use serde::Serialize;
use std::collections::BTreeMap;
use tonne_core::{RangeSet, SerialRange, SeriesKey};
use tonne_registry::{GENESIS_HASH, State};
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
        Err(AppError::Corrupt { seq, check, detail }) => {
            return Ok(fail(report, Some(seq), check, detail));
        }
        // A row that cannot even be read as a journal entry (e.g. a negative seq or a short hash).
        Err(AppError::Store(e)) => {
            return Ok(fail(report, Some(head.0 + 1), "chain", e.to_string()));
        }
        Err(e) => return Err(e),
    }
    // The stored rows are read on one thread while the replayed state is checked and exported
    // on this one and a helper; the checks are then reported in their fixed order.
    let keys = state.object_keys();
    let (first, second) = keys.split_at(keys.len() / 2);
    let (invariants, rows, objects, stored) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| -> Result<_, AppError> {
            let holdings = store.holdings()?;
            let objects = store.objects()?;
            Ok((holdings, objects))
        });
        let state = &state;
        let half = scope.spawn(move || {
            second
                .iter()
                .filter_map(|k| state.object_row(k))
                .collect::<Vec<_>>()
        });
        let invariants = check_invariants(state);
        let rows = state.holding_rows();
        // `State::object_rows`, in two halves.
        let mut objects: Vec<_> = first.iter().filter_map(|k| state.object_row(k)).collect();
        objects.extend(half.join().expect("object rows"));
        objects.sort();
        (
            invariants,
            rows,
            objects,
            reader.join().expect("store reader"),
        )
    });
    if let Err((check, detail)) = invariants {
        return Ok(fail(report, None, check, detail));
    }
    for (series, issued) in &state.series {
        let k = format!(
            "{}/{}/{}",
            series.jurisdiction(),
            series.kind().code(),
            series.vintage().map_or("NV".into(), |v| v.to_string())
        );
        *report.issued.entry(k).or_default() += issued;
    }
    let (stored, stored_objects) = stored?;
    // A stored row that is not a valid, canonical range list (inverted, zero, overlapping) or
    // whose count disagrees with its ranges is reported as such before any comparison.
    for h in &stored {
        match RangeSet::parse_text(&h.ranges) {
            Ok(set) if set.count() == h.serials && h.serials > 0 => {}
            Ok(set) => {
                let detail = format!(
                    "stored {} at {} claims {} serials but lists {}",
                    h.series,
                    h.location,
                    h.serials,
                    set.count()
                );
                return Ok(fail(report, None, "negative", detail));
            }
            Err(e) => {
                return Ok(fail(
                    report,
                    None,
                    "negative",
                    format!("stored {} at {}: {e}", h.series, h.location),
                ));
            }
        }
    }
    if let Some(d) = first_difference(&rows, &stored, |h| {
        format!(
            "{} at {} ({} serials: {})",
            h.series,
            h.location,
            h.serials,
            clip(&h.ranges)
        )
    }) {
        return Ok(fail(
            report,
            None,
            "state",
            format!("stored holdings differ from the replayed journal: {d}"),
        ));
    }
    if let Some(d) = first_difference(&objects, &stored_objects, |o| {
        format!("{} {}", o.kind, o.id)
    }) {
        return Ok(fail(
            report,
            None,
            "state",
            format!("stored objects differ from the replayed journal: {d}"),
        ));
    }
    Ok(report)
}

/// Conservation per series (so per kind and vintage) and no serial in two places, on the
/// replayed state: every location's ranges of a series, merged, must tile 1..=issued exactly.
pub fn check_invariants(state: &State) -> Result<(), (&'static str, String)> {
    // Ranges carry the index of their set: locations are named only when a check fails, and
    // verify walks every range.
    let sets = state.serial_sets();
    let mut by_series: BTreeMap<&SeriesKey, Vec<(SerialRange, usize)>> = BTreeMap::new();
    for (i, (series, _, set)) in sets.iter().enumerate() {
        let v = by_series.entry(*series).or_default();
        v.reserve(set.range_count());
        v.extend(set.iter().map(|r| (r, i)));
    }
    let loc = |i: usize| &sets[i].1;
    for (series, issued) in &state.series {
        let mut ranges = by_series.remove(series).unwrap_or_default();
        ranges.sort_unstable_by_key(|(r, _)| r.start());
        let mut found = 0u64;
        for w in ranges.windows(2) {
            if w[0].0.end() >= w[1].0.start() {
                return Err((
                    "overlap",
                    format!(
                        "{series} serials {} at {} overlap {} at {}",
                        w[0].0,
                        loc(w[0].1),
                        w[1].0,
                        loc(w[1].1)
                    ),
                ));
            }
        }
        for (r, _) in &ranges {
            found += r.len();
        }
        // Serials 1..=issued were issued here; a series issued abroad also has the serials
        // imported from peer registries.
        let empty = tonne_core::RangeSet::new();
        let imported = state.cross.imported.get(series).unwrap_or(&empty);
        // The part of a range above `issued` must have been imported.
        let known = |r: SerialRange| {
            r.end() <= *issued
                || SerialRange::new(r.start().max(issued + 1), r.end())
                    .is_ok_and(|x| imported.contains(x))
        };
        let expected = issued + imported.count();
        if found != expected || ranges.iter().any(|(r, _)| !known(*r)) {
            return Err((
                "conservation",
                format!(
                    "{series}: {issued} issued and {} imported but {found} accounted for",
                    imported.count()
                ),
            ));
        }
    }
    if let Some((series, _)) = by_series.into_iter().next() {
        return Err((
            "conservation",
            format!("{series} is held but was never issued"),
        ));
    }
    Ok(())
}

fn clip(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn first_difference<T: PartialEq + Ord>(
    want: &[T],
    got: &[T],
    show: impl Fn(&T) -> String,
) -> Option<String> {
    let (mut i, mut j) = (0, 0);
    while i < want.len() || j < got.len() {
        match (want.get(i), got.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => return Some(format!("missing or altered: {}", show(a))),
            (Some(_), Some(b)) | (None, Some(b)) => {
                return Some(format!("unexpected or altered: {}", show(b)));
            }
            (Some(a), None) => return Some(format!("missing: {}", show(a))),
            (None, None) => unreachable!(),
        }
    }
    None
}
