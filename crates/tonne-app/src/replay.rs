//! Journal replay, pipelined over two threads: a reader streams rows from the store, checks the
//! hash chain and decodes payloads; the caller's thread applies each command to the state and
//! checks the recorded effects. Used to open a ledger, by `verify` and by statements.

use crate::ledger::AppError;
use std::sync::mpsc::sync_channel;
use tonne_core::Timestamp;
use tonne_registry::journal::encode_effects;
use tonne_registry::{Envelope, JournalEntry, State};
use tonne_store::{Store, StoreError};

/// Where a replay stops.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    Head,
    Seq(u64),
    Time(Timestamp),
}

impl Until {
    fn stops_before(self, e: &JournalEntry) -> bool {
        match self {
            Self::Head => false,
            Self::Seq(s) => e.seq > s,
            Self::Time(t) => e.ts > t,
        }
    }
}

pub(crate) struct Decoded {
    seq: u64,
    hash: [u8; 32],
    env: Envelope,
    /// The entry's payload; the recorded effects' encoding starts at `effects_at`.
    payload: Vec<u8>,
    effects_at: usize,
}

const STOP: &str = "replay: stop scanning";
const CHUNK: usize = 1_024;

/// Chain check and decoding of one entry after `head`.
fn check_and_decode(head: &mut (u64, [u8; 32]), e: JournalEntry) -> Result<Decoded, AppError> {
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
    let (env, effects_at) = e
        .decode_command()
        .map_err(|x| bad("decode", x.to_string()))?;
    *head = (e.seq, e.hash);
    Ok(Decoded {
        seq: e.seq,
        hash: e.hash,
        env,
        payload: e.payload,
        effects_at,
    })
}

fn apply_decoded(state: &mut State, d: Decoded, buf: &mut Vec<u8>) -> Result<(), AppError> {
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
    if buf[..] != d.payload[d.effects_at..] {
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
    let (tx, rx) = sync_channel::<Result<Vec<Decoded>, AppError>>(8);
    let start = *head;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut h = start;
            let mut buf = Vec::with_capacity(CHUNK);
            let r = store.scan_journal(h.0, &mut |e| {
                if until.stops_before(&e) {
                    return Err(StoreError::Corrupt(STOP.into()));
                }
                match check_and_decode(&mut h, e) {
                    Ok(d) => buf.push(d),
                    Err(err) => {
                        let _ = tx.send(Ok(std::mem::take(&mut buf)));
                        let _ = tx.send(Err(err));
                        return Err(StoreError::Corrupt(STOP.into()));
                    }
                }
                if buf.len() == CHUNK
                    && tx
                        .send(Ok(std::mem::replace(&mut buf, Vec::with_capacity(CHUNK))))
                        .is_err()
                {
                    return Err(StoreError::Corrupt(STOP.into())); // the applier stopped
                }
                Ok(())
            });
            match r {
                Ok(()) => {
                    let _ = tx.send(Ok(buf));
                }
                Err(StoreError::Corrupt(s)) if s == STOP => {
                    let _ = tx.send(Ok(buf));
                }
                Err(e) => {
                    let _ = tx.send(Ok(buf));
                    let _ = tx.send(Err(e.into()));
                }
            }
        });
        let mut buf = Vec::with_capacity(1024);
        for msg in rx {
            for d in msg? {
                let (seq, hash) = (d.seq, d.hash);
                apply_decoded(state, d, &mut buf)?;
                *head = (seq, hash);
            }
        }
        Ok(())
    })
}
