//! Journal entries: append-only, hash-chained.
//!
//! Canonical encoding (what the hash covers), all integers big-endian:
//! `"tonne/journal/v1" 0x00 | seq u64 | prev_hash [32] | format u16 | ts_ms i64 |
//!  len u32 | actor | len u32 | key | len u32 | payload`, where `payload` is the postcard 1.0
//! encoding of `EntryBody { command, effects }`. `hash = SHA-256(canonical encoding)`; the first
//! entry's `prev_hash` is 32 zero bytes. Any edit to any column breaks the chain from there on.

use crate::command::{Command, Envelope};
use crate::effect::Effect;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tonne_core::{Timestamp, UserId};

pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// Appends the canonical encoding of `effects` (as it appears in a payload) to `buf`.
pub fn encode_effects(effects: &[Effect], buf: &mut Vec<u8>) {
    let bytes = postcard::to_extend(effects, std::mem::take(buf)).expect("effects encode");
    *buf = bytes;
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
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(self.seq.to_be_bytes());
        h.update(self.prev_hash);
        h.update(self.format.to_be_bytes());
        h.update(self.ts.millis().to_be_bytes());
        for part in [
            self.actor.as_str().as_bytes(),
            self.key.as_bytes(),
            &self.payload,
        ] {
            h.update((part.len() as u32).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
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
        if self.format != crate::COMMAND_FORMAT_VERSION {
            return Err(JournalError::Format {
                seq: self.seq,
                format: self.format,
            });
        }
        let (cmd, rest) =
            postcard::take_from_bytes::<Command>(&self.payload).map_err(|source| {
                JournalError::Decode {
                    seq: self.seq,
                    source,
                }
            })?;
        let env = Envelope {
            v: self.format,
            key: self.key.clone(),
            ts: self.ts,
            actor: self.actor.clone(),
            cmd,
        };
        Ok((env, self.payload.len() - rest.len()))
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
