//! Journal replay, pipelined over two threads: a reader streams rows from the store, checks the
//! hash chain and decodes commands; the caller's thread applies each command to the state; the
//! reader then checks the effects the applier computed against the recorded ones. Used to open a
//! ledger, by `verify` and by statements.
//!
//! Entries travel in chunks of [`CHUNK`]; a chunk carries its entries' recorded effects in one
//! byte buffer, and the applier hands every chunk back with the effects it computed: the reader
//! compares them (the applying thread is the busier one) and reuses the chunk. Each thread frees
//! what it allocated (decoded commands on the reader, computed effects on the applier when the
//! chunk comes round again): memory freed across threads is slow to reuse. The first failure in
//! journal order is reported, whichever thread found it.

use crate::ledger::AppError;
use rustc_hash::FxHashSet;
use std::sync::mpsc::{Receiver, sync_channel};
use tonne_core::Timestamp;
use tonne_registry::journal::{JournalEntryRef, encode_effects};
use tonne_registry::{Effect, Envelope, State};
use tonne_store::{Store, StoreError};

/// Where a replay stops.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    Head,
    Seq(u64),
    Time(Timestamp),
}

impl Until {
    fn stops_before(self, e: &JournalEntryRef<'_>) -> bool {
        match self {
            Self::Head => false,
            Self::Seq(s) => e.seq > s,
            Self::Time(t) => e.ts > t,
        }
    }
}

struct Decoded {
    seq: u64,
    hash: [u8; 32],
    env: Envelope,
    /// The recorded effects' encoding, as a range of the chunk's `effects`.
    effects: (usize, usize),
}

#[derive(Default)]
struct Chunk {
    items: Vec<Decoded>,
    effects: Vec<u8>,
    /// The effects the applier computed, one per item it applied, in order.
    computed: Vec<Vec<Effect>>,
}

const STOP: &str = "replay: stop scanning";
const CHUNK: usize = 1_024;
/// Chunks in flight between the reader and the applier.
const IN_FLIGHT: usize = 8;

/// Chain check and decoding of one entry after `head`, into `chunk`.
fn check_and_decode(
    head: &mut (u64, [u8; 32]),
    e: &JournalEntryRef<'_>,
    chunk: &mut Chunk,
) -> Result<(), AppError> {
    let bad = |check: &'static str, detail: String| AppError::Corrupt {
        seq: e.seq,
        check,
        detail,
    };
    if e.seq != head.0 + 1 {
        // The first bad seq is the one that should have come next (missing or out of place).
        let detail = format!("expected seq {}, found {}", head.0 + 1, e.seq);
        return Err(AppError::Corrupt {
            seq: head.0 + 1,
            check: "chain",
            detail,
        });
    }
    if e.prev_hash != head.1 {
        return Err(bad(
            "chain",
            "prev_hash does not match the previous entry's hash".into(),
        ));
    }
    if e.compute_hash() != e.hash {
        return Err(bad(
            "chain",
            "hash does not match the entry's contents".into(),
        ));
    }
    let (cmd, effects_at) = e
        .decode_command()
        .map_err(|x| bad("decode", x.to_string()))?;
    *head = (e.seq, e.hash);
    let start = chunk.effects.len();
    chunk.effects.extend_from_slice(&e.payload[effects_at..]);
    chunk.items.push(Decoded {
        seq: e.seq,
        hash: e.hash,
        env: Envelope {
            v: e.format,
            key: e.key.to_owned(),
            ts: e.ts,
            actor: e.actor.clone(),
            cmd,
        },
        effects: (start, chunk.effects.len()),
    });
    Ok(())
}

/// Checks the effects the applier computed for a chunk's entries against the recorded ones;
/// advances `verified` past each entry that agrees.
fn compare_chunk(
    chunk: &Chunk,
    buf: &mut Vec<u8>,
    verified: &mut (u64, [u8; 32]),
) -> Result<(), AppError> {
    for (d, computed) in chunk.items.iter().zip(&chunk.computed) {
        buf.clear();
        encode_effects(computed, buf);
        let (a, b) = d.effects;
        if buf[..] != chunk.effects[a..b] {
            return Err(AppError::Corrupt {
                seq: d.seq,
                check: "effects",
                detail: "recorded effects differ from the command's effects on replay".into(),
            });
        }
        *verified = (d.seq, d.hash);
    }
    Ok(())
}

/// The seq an error is reported at, to keep the first in journal order; errors without one
/// (a store that fails) come last.
fn error_seq(e: &AppError) -> u64 {
    match e {
        AppError::Corrupt { seq, .. } => *seq,
        _ => u64::MAX,
    }
}

/// Replays entries after `head` into `state`, advancing `head`.
pub fn replay(
    store: &mut dyn Store,
    state: &mut State,
    head: &mut (u64, [u8; 32]),
    until: Until,
) -> Result<(), AppError> {
    run(store, state, head, until, None)
}

/// As [`replay`] to the head, also adding the idempotency-key hash of every replayed entry to
/// `keys` (see [`crate::ledger::key_hash`]).
pub(crate) fn replay_with_keys(
    store: &mut dyn Store,
    state: &mut State,
    head: &mut (u64, [u8; 32]),
    keys: &mut FxHashSet<u64>,
) -> Result<(), AppError> {
    run(store, state, head, Until::Head, Some(keys))
}

fn run(
    store: &mut dyn Store,
    state: &mut State,
    head: &mut (u64, [u8; 32]),
    until: Until,
    keys: Option<&mut FxHashSet<u64>>,
) -> Result<(), AppError> {
    // How many entries follow, to size the state's bookkeeping and the key index once.
    let ahead = match (until, store.head()) {
        (Until::Head, Ok((last, _))) => usize::try_from(last.saturating_sub(head.0)).unwrap_or(0),
        _ => 0,
    };
    state.reserve_entries(ahead);
    let mut keys = keys;
    if let Some(k) = keys.as_deref_mut() {
        k.reserve(ahead);
    }
    let (tx, rx) = sync_channel::<Result<Chunk, AppError>>(IN_FLIGHT);
    // Applied chunks go back to the reader to be compared and reused. Room for every chunk
    // there can be (those in flight, the one being filled and the one being applied, plus
    // slack), so handing one back never blocks.
    let (back_tx, back_rx) = sync_channel::<Chunk>(IN_FLIGHT + 4);
    let start = *head;
    let (applied, checked) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> ((u64, [u8; 32]), Option<AppError>) {
            let mut buf = Vec::with_capacity(1024);
            let mut verified = start;
            // The first mismatch the comparison found; reading stops there.
            let mut mismatch: Option<AppError> = None;
            let mut compare = |c: &Chunk, mismatch: &mut Option<AppError>| {
                if mismatch.is_none()
                    && let Err(e) = compare_chunk(c, &mut buf, &mut verified)
                {
                    *mismatch = Some(e);
                }
            };
            // A chunk the applier handed back, compared and emptied (its entries are dropped
            // here, where they were allocated; the computed effects are left for the applier to
            // drop, where they were allocated), or a new one.
            let mut fresh =
                |back: &Receiver<Chunk>, mismatch: &mut Option<AppError>| match back.try_recv() {
                    Ok(mut c) => {
                        compare(&c, mismatch);
                        c.items.clear();
                        c.effects.clear();
                        c
                    }
                    Err(_) => Chunk {
                        items: Vec::with_capacity(CHUNK),
                        effects: Vec::with_capacity(CHUNK * 256),
                        computed: Vec::with_capacity(CHUNK),
                    },
                };
            let mut h = start;
            let mut chunk = fresh(&back_rx, &mut mismatch);
            let mut failed: Option<AppError> = None;
            let r = store.scan_journal_refs(h.0, &mut |e| {
                if until.stops_before(&e) || mismatch.is_some() {
                    return Err(StoreError::Corrupt(STOP.into()));
                }
                if let Err(err) = check_and_decode(&mut h, &e, &mut chunk) {
                    failed = Some(err);
                    return Err(StoreError::Corrupt(STOP.into()));
                }
                if let Some(k) = keys.as_deref_mut() {
                    k.insert(crate::ledger::key_hash(e.key));
                }
                if chunk.items.len() == CHUNK {
                    let next = fresh(&back_rx, &mut mismatch);
                    if tx.send(Ok(std::mem::replace(&mut chunk, next))).is_err() {
                        return Err(StoreError::Corrupt(STOP.into())); // the applier stopped
                    }
                }
                Ok(())
            });
            let _ = tx.send(Ok(chunk));
            match r {
                Err(StoreError::Corrupt(s)) if s == STOP => {}
                Err(e) => failed = Some(e.into()),
                Ok(()) => {}
            }
            drop(tx);
            // Every chunk comes back once the applier has finished with it (or has stopped).
            for c in back_rx.iter() {
                compare(&c, &mut mismatch);
            }
            // The earliest failure in journal order: a mismatch comes before anything read
            // after it.
            let first = mismatch.or(failed);
            (verified, first)
        });
        let applied = (|| -> Result<(), AppError> {
            for msg in rx {
                let mut chunk = msg?;
                // The effects of the chunk's previous round, compared by now.
                chunk.computed.clear();
                let mut failed = None;
                for d in &chunk.items {
                    match state.apply(&d.env) {
                        Ok(effects) => chunk.computed.push(effects),
                        Err(r) => {
                            failed = Some(AppError::Corrupt {
                                seq: d.seq,
                                check: "replay",
                                detail: format!("the command is now rejected: {r}"),
                            });
                            break;
                        }
                    }
                }
                // Back to the reader, which compares what was applied.
                let _ = back_tx.send(chunk);
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            Ok(())
        })();
        drop(back_tx);
        (applied, reader.join().expect("journal reader"))
    });
    // The head moves to the last entry whose effects agreed (on a failure the state may have
    // gone further and is to be discarded); the first failure in journal order is reported.
    let (verified, found) = checked;
    *head = verified;
    match (applied, found) {
        (Ok(()), None) => Ok(()),
        (Ok(()), Some(e)) | (Err(e), None) => Err(e),
        (Err(a), Some(b)) => Err(if error_seq(&b) <= error_seq(&a) { b } else { a }),
    }
}
