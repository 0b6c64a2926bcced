//! Journal entries: append-only, hash-chained.
//!
//! Canonical encoding (what the hash covers), all integers big-endian:
//! `"tonne/journal/v1" 0x00 | seq u64 | prev_hash [32] | format u16 | ts_ms i64 |
//!  len u32 | actor | len u32 | key | len u32 | payload`, where `payload` is the postcard 1.0
//! encoding of `EntryBody { command, effects }`. `hash = SHA-256(canonical encoding)`; the first
//! entry's `prev_hash` is 32 zero bytes. Any edit to any column breaks the chain from there on.

use crate::command::{Command, Envelope};
use crate::effect::{Effect, Loc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tonne_core::limits::MAX_ID_LEN;
use tonne_core::{SeriesKey, Timestamp, UserId};

pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// Appends the canonical encoding of `effects` (as it appears in a payload) to `buf`.
///
/// Serial moves and transfer status changes, nearly every effect there is, are written here
/// byte for byte as postcard writes them (the tests below check that the two agree); any other
/// effect goes through postcard. Replay encodes the effects of every entry it checks.
pub fn encode_effects(effects: &[Effect], buf: &mut Vec<u8>) {
    // Effects of the fast kinds go through a stack buffer, appended to the output whenever the
    // next might not fit (an effect takes at most MOST bytes: ids and projects are at most
    // MAX_ID_LEN bytes). The position is a local, not a field, so it stays in a register.
    const MOST: usize = 4 * MAX_ID_LEN + 64;
    let mut o = [0u8; 4 * MOST];
    let mut n = varint(&mut o, 0, effects.len() as u64);
    for e in effects {
        if n + MOST > o.len() {
            buf.extend_from_slice(&o[..n]);
            n = 0;
        }
        // Variant indices are declaration order, as serde numbers them.
        n = match e {
            Effect::Moved(m) if fits(&m.from) && fits(&m.to) => {
                o[n] = 0;
                let n = series(&mut o, n + 1, &m.series);
                let n = varint(&mut o, n, m.range.start());
                let n = varint(&mut o, n, m.range.end());
                let n = loc(&mut o, n, &m.from);
                loc(&mut o, n, &m.to)
            }
            Effect::TransferStatus { transfer, status } if status.len() <= MAX_ID_LEN => {
                o[n] = 1;
                let n = str(&mut o, n + 1, transfer.as_str().as_bytes());
                str(&mut o, n, status.as_bytes())
            }
            other => {
                buf.extend_from_slice(&o[..n]);
                postcard::serialize_with_flavor::<Effect, _, _>(other, Append(buf))
                    .expect("effects encode");
                0
            }
        };
    }
    buf.extend_from_slice(&o[..n]);
}

/// postcard's varint (LEB128: seven bits a byte, least significant first), used for every
/// unsigned integer wider than a byte, lengths and enum variant indices. These helpers write at
/// `o[n..]` and return the new end.
#[inline(always)]
fn varint(o: &mut [u8], mut n: usize, mut v: u64) -> usize {
    while v >= 0x80 {
        o[n] = v as u8 | 0x80;
        n += 1;
        v >>= 7;
    }
    o[n] = v as u8;
    n + 1
}

/// postcard's string: length as a varint, then the UTF-8 bytes (a few, so copied one by one
/// rather than by a call to memcpy).
#[inline]
fn str(o: &mut [u8], n: usize, b: &[u8]) -> usize {
    let mut n = varint(o, n, b.len() as u64);
    for &x in b {
        o[n] = x;
        n += 1;
    }
    n
}

/// A series: jurisdiction, kind, vintage, project.
fn series(o: &mut [u8], n: usize, s: &SeriesKey) -> usize {
    let n = str(o, n, s.jurisdiction().as_bytes());
    let n = varint(o, n, s.kind() as u64);
    let n = match s.vintage() {
        None => option(o, n, false),
        Some(v) => {
            let n = option(o, n, true);
            varint(o, n, u64::from(v))
        }
    };
    match s.project() {
        None => option(o, n, false),
        Some(p) => {
            let n = option(o, n, true);
            str(o, n, p.as_bytes())
        }
    }
}

#[inline]
fn option(o: &mut [u8], n: usize, some: bool) -> usize {
    o[n] = u8::from(some);
    n + 1
}

/// Whether the place's text is within the stack buffer's bound (ids always are).
fn fits(loc: &Loc) -> bool {
    !matches!(loc, Loc::Peer(p) if p.len() > MAX_ID_LEN)
}

fn loc(o: &mut [u8], n: usize, loc: &Loc) -> usize {
    let (tag, id) = match loc {
        Loc::Unissued => (0, None),
        Loc::Account(a) => (1, Some(a.as_str())),
        Loc::Escrow(t) => (2, Some(t.as_str())),
        Loc::Retired => (3, None),
        Loc::Cancelled => (4, None),
        Loc::Invalidated => (5, None),
        Loc::Outbound(t) => (6, Some(t.as_str())),
        Loc::Peer(p) => (7, Some(p.as_str())),
    };
    o[n] = tag;
    match id {
        Some(id) => str(o, n + 1, id.as_bytes()),
        None => n + 1,
    }
}

/// A postcard output that appends to a borrowed buffer.
struct Append<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();
    #[inline]
    fn try_push(&mut self, b: u8) -> postcard::Result<()> {
        self.0.push(b);
        Ok(())
    }
    #[inline]
    fn try_extend(&mut self, b: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(b);
        Ok(())
    }
    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

const DOMAIN: &[u8] = b"tonne/journal/v1\0";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryBody {
    pub command: Command,
    pub effects: Vec<Effect>,
}

#[derive(Serialize)]
struct EntryBodyRef<'a> {
    command: &'a Command,
    effects: &'a [Effect],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub seq: u64,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub ts: Timestamp,
    pub actor: UserId,
    pub key: String,
    /// Command format version of the payload.
    pub format: u16,
    pub payload: Vec<u8>,
}

/// A journal entry whose key and payload are borrowed (from a store's row buffer), so reading
/// the journal allocates nothing per entry. Same fields and hash as [`JournalEntry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntryRef<'a> {
    pub seq: u64,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
    pub ts: Timestamp,
    pub actor: UserId,
    pub key: &'a str,
    pub format: u16,
    pub payload: &'a [u8],
}

impl JournalEntryRef<'_> {
    /// SHA-256 of the canonical encoding (see the module documentation).
    pub fn compute_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(self.seq.to_be_bytes());
        h.update(self.prev_hash);
        h.update(self.format.to_be_bytes());
        h.update(self.ts.millis().to_be_bytes());
        for part in [
            self.actor.as_str().as_bytes(),
            self.key.as_bytes(),
            self.payload,
        ] {
            h.update((part.len() as u32).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    pub fn to_entry(&self) -> JournalEntry {
        JournalEntry {
            seq: self.seq,
            prev_hash: self.prev_hash,
            hash: self.hash,
            ts: self.ts,
            actor: self.actor.clone(),
            key: self.key.to_owned(),
            format: self.format,
            payload: self.payload.to_vec(),
        }
    }

    /// The command, and the offset in `payload` where the encoded effects begin (replay checks
    /// the effects it computes against those bytes without decoding them).
    pub fn decode_command(&self) -> Result<(Command, usize), JournalError> {
        if self.format != crate::COMMAND_FORMAT_VERSION {
            return Err(JournalError::Format {
                seq: self.seq,
                format: self.format,
            });
        }
        let (cmd, rest) = postcard::take_from_bytes::<Command>(self.payload).map_err(|source| {
            JournalError::Decode {
                seq: self.seq,
                source,
            }
        })?;
        Ok((cmd, self.payload.len() - rest.len()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("entry {seq}: payload does not decode: {source}")]
    Decode { seq: u64, source: postcard::Error },
    #[error("entry {seq}: format v{format} is not readable by this build")]
    Format { seq: u64, format: u16 },
}

impl JournalEntry {
    /// Builds the entry that records `env` with its `effects` after `prev_hash`.
    pub fn seal(seq: u64, prev_hash: [u8; 32], env: &Envelope, effects: &[Effect]) -> Self {
        let payload = postcard::to_stdvec(&EntryBodyRef {
            command: &env.cmd,
            effects,
        })
        .expect("encodes");
        Self::seal_payload(seq, prev_hash, env, payload)
    }

    /// As [`JournalEntry::seal`], for a caller that already holds the command's encoding
    /// (`postcard::to_stdvec(&env.cmd)`): postcard encodes a struct as its fields in order, so
    /// the payload is those bytes followed by the effects' encoding.
    pub fn seal_with_command_bytes(
        seq: u64,
        prev_hash: [u8; 32],
        env: &Envelope,
        mut command_bytes: Vec<u8>,
        effects: &[Effect],
    ) -> Self {
        debug_assert_eq!(
            command_bytes,
            postcard::to_stdvec(&env.cmd).expect("encodes")
        );
        encode_effects(effects, &mut command_bytes);
        Self::seal_payload(seq, prev_hash, env, command_bytes)
    }

    fn seal_payload(seq: u64, prev_hash: [u8; 32], env: &Envelope, payload: Vec<u8>) -> Self {
        let mut e = Self {
            seq,
            prev_hash,
            hash: [0; 32],
            ts: env.ts,
            actor: env.actor.clone(),
            key: env.key.clone(),
            format: env.v,
            payload,
        };
        e.hash = e.compute_hash();
        e
    }

    pub fn compute_hash(&self) -> [u8; 32] {
        self.borrowed().compute_hash()
    }

    /// The entry as a [`JournalEntryRef`], borrowing its key and payload.
    pub fn borrowed(&self) -> JournalEntryRef<'_> {
        JournalEntryRef {
            seq: self.seq,
            prev_hash: self.prev_hash,
            hash: self.hash,
            ts: self.ts,
            actor: self.actor.clone(),
            key: &self.key,
            format: self.format,
            payload: &self.payload,
        }
    }

    pub fn body(&self) -> Result<EntryBody, JournalError> {
        if self.format != crate::COMMAND_FORMAT_VERSION {
            return Err(JournalError::Format {
                seq: self.seq,
                format: self.format,
            });
        }
        postcard::from_bytes(&self.payload).map_err(|source| JournalError::Decode {
            seq: self.seq,
            source,
        })
    }

    /// The command envelope as it was applied, and the recorded effects.
    /// The command envelope and the offset in `payload` where the encoded effects begin: replay
    /// re-encodes the effects it computes and compares bytes, without decoding the recorded ones.
    pub fn decode_command(&self) -> Result<(Envelope, usize), JournalError> {
        let (cmd, at) = self.borrowed().decode_command()?;
        let env = Envelope {
            v: self.format,
            key: self.key.clone(),
            ts: self.ts,
            actor: self.actor.clone(),
            cmd,
        };
        Ok((env, at))
    }

    pub fn decode(&self) -> Result<(Envelope, Vec<Effect>), JournalError> {
        let body = self.body()?;
        let env = Envelope {
            v: self.format,
            key: self.key.clone(),
            ts: self.ts,
            actor: self.actor.clone(),
            cmd: body.command,
        };
        Ok((env, body.effects))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effect::Move;
    use proptest::prelude::*;
    use tonne_core::{
        AccountId, InstrumentKind, JurisdictionCode, SerialRange, SeriesKey, TransferId,
    };

    fn id() -> impl Strategy<Value = String> {
        // Short ids are stored inline, long ones on the heap; lengths past 127 need two bytes.
        "[A-Za-z0-9:._-]{1,64}"
    }

    fn series() -> impl Strategy<Value = SeriesKey> {
        let jur = prop::sample::select(vec!["US-CA", "CA-QC", "PA", "MX-BCN"]);
        (jur, 0..4u8, 2000u16..=2100, "[A-Za-z0-9._-]{1,40}").prop_map(|(j, k, v, p)| {
            let j = JurisdictionCode::parse(j).unwrap();
            let (kind, vintage, project) = match k {
                0 => (InstrumentKind::Allowance, Some(v), None),
                1 => (InstrumentKind::ReserveAllowance, Some(v), None),
                2 => (InstrumentKind::PriceCeilingUnit, None, None),
                _ => (InstrumentKind::OffsetCredit, Some(v), Some(p)),
            };
            SeriesKey::new(j, kind, vintage, project).unwrap()
        })
    }

    fn loc() -> impl Strategy<Value = Loc> {
        prop_oneof![
            Just(Loc::Unissued),
            id().prop_map(|a| Loc::Account(AccountId::parse(&a).unwrap())),
            id().prop_map(|t| Loc::Escrow(TransferId::parse(&t).unwrap())),
            Just(Loc::Retired),
            Just(Loc::Cancelled),
            Just(Loc::Invalidated),
            id().prop_map(|t| Loc::Outbound(TransferId::parse(&t).unwrap())),
            // Peer names are free text, longer than any id at times.
            "[a-z.:-]{1,100}".prop_map(Loc::Peer),
        ]
    }

    fn serial() -> impl Strategy<Value = u64> {
        prop_oneof![1u64..200, 1u64..=tonne_core::limits::MAX_SERIAL]
    }

    fn effect() -> impl Strategy<Value = Effect> {
        prop_oneof![
            4 => (series(), serial(), serial(), loc(), loc()).prop_map(|(series, a, b, from, to)| {
                let range = SerialRange::new(a.min(b), a.max(b)).unwrap();
                Effect::Moved(Move { series, range, from, to })
            }),
            1 => (id(), "[a-z ]{0,200}").prop_map(|(t, status)| Effect::TransferStatus {
                transfer: TransferId::parse(&t).unwrap(),
                status,
            }),
        ]
    }

    proptest! {
        /// The hand-written encoding of effects is postcard's, byte for byte (the journal's
        /// hashes depend on it), and it appends to what the buffer holds.
        #[test]
        fn effects_encode_as_postcard_does(effects in prop::collection::vec(effect(), 0..150)) {
            let mut buf = vec![7u8];
            encode_effects(&effects, &mut buf);
            prop_assert_eq!(&buf[1..], &postcard::to_stdvec(&effects).unwrap()[..]);
        }
    }
}
