//! Journal replay, pipelined over two threads: a reader streams rows from the store, checks the
//! hash chain and decodes commands; the caller's thread applies each command to the state and
//! checks the recorded effects. Used to open a ledger, by `verify` and by statements.
//!
//! Entries travel in chunks of [`CHUNK`]; a chunk carries its entries' recorded effects in one
//! byte buffer, and the applier hands chunks back for reuse: reading allocates only what a
//! decoded command owns, and that is freed on the reader's thread, which allocated it.

use crate::ledger::AppError;
use rustc_hash::FxHashSet;
use std::sync::mpsc::{Receiver, sync_channel};
use tonne_core::Timestamp;
use tonne_registry::journal::{JournalEntryRef, encode_effects};
use tonne_registry::{Envelope, State};
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

fn apply_decoded(
    state: &mut State,
    d: &Decoded,
    recorded: &[u8],
    buf: &mut Vec<u8>,
) -> Result<(), AppError> {
    let bad = |check: &'static str, detail: String| AppError::Corrupt {
        seq: d.seq,
        check,
        detail,
    };
    let effects = state
        .apply(&d.env)
        .map_err(|r| bad("replay", format!("the command is now rejected: {r}")))?;
    buf.clear();
    encode_effects(&effects, buf);
    if buf[..] != *recorded {
        return Err(bad(
            "effects",
            "recorded effects differ from the command's effects on replay".into(),
        ));
    }
    Ok(())
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
    // Applied chunks go back to the reader, never blocking either side.
    let (back_tx, back_rx) = sync_channel::<Chunk>(IN_FLIGHT + 2);
    let start = *head;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            // A chunk the applier handed back (its entries are dropped here, where they were
            // allocated), or a new one.
            let fresh = |back: &Receiver<Chunk>| match back.try_recv() {
                Ok(mut c) => {
                    c.items.clear();
                    c.effects.clear();
                    c
                }
                Err(_) => Chunk {
                    items: Vec::with_capacity(CHUNK),
                    effects: Vec::with_capacity(CHUNK * 256),
                },
            };
            let mut h = start;
            let mut chunk = fresh(&back_rx);
            let r = store.scan_journal_refs(h.0, &mut |e| {
                if until.stops_before(&e) {
                    return Err(StoreError::Corrupt(STOP.into()));
                }
                if let Err(err) = check_and_decode(&mut h, &e, &mut chunk) {
                    let _ = tx.send(Ok(std::mem::take(&mut chunk)));
                    let _ = tx.send(Err(err));
                    return Err(StoreError::Corrupt(STOP.into()));
                }
                if let Some(k) = keys.as_deref_mut() {
                    k.insert(crate::ledger::key_hash(e.key));
                }
                if chunk.items.len() == CHUNK {
                    let next = fresh(&back_rx);
                    if tx.send(Ok(std::mem::replace(&mut chunk, next))).is_err() {
                        return Err(StoreError::Corrupt(STOP.into())); // the applier stopped
                    }
                }
                Ok(())
            });
            match r {
                Ok(()) => {
                    let _ = tx.send(Ok(chunk));
                }
                Err(StoreError::Corrupt(s)) if s == STOP => {
                    let _ = tx.send(Ok(chunk));
                }
                Err(e) => {
                    let _ = tx.send(Ok(chunk));
                    let _ = tx.send(Err(e.into()));
                }
            }
        });
        let mut buf = Vec::with_capacity(1024);
        for msg in rx {
            let chunk = msg?;
            for d in &chunk.items {
                let (a, b) = d.effects;
                apply_decoded(state, d, &chunk.effects[a..b], &mut buf)?;
                *head = (d.seq, d.hash);
            }
            // Back to the reader for reuse; if it has finished, the chunk is dropped here.
            let _ = back_tx.try_send(chunk);
        }
        Ok(())
    })
}
