//! The ledger service: single writer, in-memory state, durable commits.

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::json;
use sha2::{Digest, Sha256};
use tonne_registry::command::ReversalSource;
use tonne_registry::{Command, Effect, Envelope, GENESIS_HASH, JournalEntry, Rejection, State};
use tonne_store::{CommandResult, Commit, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored journal does not replay; `tonne verify` says where.
    #[error(
        "journal entry {seq} does not replay ({check}): {detail}; run `tonne verify` for a full report"
    )]
    Corrupt {
        seq: u64,
        check: &'static str,
        detail: String,
    },
    #[error("{0}")]
    Usage(String),
    #[error(
        "the store is not empty ({0}); the demo builds a new registry and needs an empty store"
    )]
    NotEmpty(String),
    #[error("gave up after {0} attempts: other writers kept moving the journal")]
    Contended(u32),
    /// A commit failed and the store could not be reopened afterwards: this ledger holds
    /// nothing (no command is accepted) until the process opens the store again.
    #[error("the store could not be reopened after a failed commit ({0}); open it again")]
    StoreLost(String),
}

/// What happened to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted {
        seq: u64,
        effects: Vec<Effect>,
    },
    Rejected(Rejection),
    /// A retry: the result stored for this idempotency key, as JSON.
    Replayed(String),
}

impl Outcome {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Accepted { seq, effects } => json!({"ok": true, "seq": seq, "effects": effects}),
            Self::Rejected(r) => rejection_json(r),
            Self::Replayed(s) => {
                let mut v: serde_json::Value = serde_json::from_str(s).unwrap_or(json!({}));
                v["replayed"] = json!(true);
                v
            }
        }
    }
}

pub fn rejection_json(r: &Rejection) -> serde_json::Value {
    json!({"ok": false, "code": r.code.number(), "error": r.code.slug(), "message": r.message})
}

/// SHA-256 of what a retry must repeat exactly: format, actor and the command's encoding. The
/// timestamp is left out so a client may retry a timed-out request with a fresh clock reading.
fn digest_of(env: &Envelope, command_bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(env.v.to_be_bytes());
    h.update(env.actor.as_str().as_bytes());
    h.update([0]);
    h.update(command_bytes);
    h.finalize().into()
}

pub(crate) fn key_hash(key: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(key)
}

/// The store: in our hands, or lent to a background commit (at most one at a time).
enum Slot {
    Idle(Box<dyn Store>),
    Busy(std::thread::JoinHandle<(Box<dyn Store>, Result<(), StoreError>)>),
    /// Reopening after a failed commit failed too (why, in words); also the placeholder while
    /// the store is in transit between the other two.
    Lost(String),
}

pub struct Ledger {
    store: Slot,
    state: State,
    head: (u64, [u8; 32]),
    /// Idempotency index: hashes of the keys already stored. A hit is confirmed against the
    /// store, so a collision can never return a wrong result.
    keys: FxHashSet<u64>,
    pending: Commit,
    /// State-row changes are exported when the batch is flushed.
    batch_keys: FxHashMap<String, usize>,
}

impl Ledger {
    /// Opens a store and rebuilds the state by replaying its journal, checking the hash chain
    /// and that every recorded effect follows from its command.
    pub fn open(mut store: Box<dyn Store>) -> Result<Self, AppError> {
        store.migrate()?;
        let mut ledger = Self {
            store: Slot::Idle(store),
            state: State::new(),
            head: (0, GENESIS_HASH),
            keys: FxHashSet::default(),
            pending: Commit::default(),
            batch_keys: FxHashMap::default(),
        };
        // The idempotency index: the keys of the journal's entries, collected while replaying,
        // and those of rejected commands, which have no entry.
        let mut keys = FxHashSet::default();
        let Slot::Idle(store) = &mut ledger.store else {
            unreachable!("a new ledger's store is idle")
        };
        crate::replay::replay_with_keys(
            store.as_mut(),
            &mut ledger.state,
            &mut ledger.head,
            &mut keys,
        )?;
        store.scan_rejected_keys(&mut |k| {
            keys.insert(key_hash(k));
        })?;
        ledger.keys = keys;
        ledger.state.track_changes();
        Ok(ledger)
    }

    pub fn state(&self) -> &State {
        &self.state
    }
    pub fn head(&self) -> (u64, [u8; 32]) {
        self.head
    }
    /// Gives the store back once any background commit has finished (staged commands must
    /// have been flushed).
    pub fn into_store(mut self) -> Result<Box<dyn Store>, AppError> {
        debug_assert!(
            self.pending.results.is_empty(),
            "flush before giving the store back"
        );
        self.idle()?;
        match self.take_store() {
            Slot::Idle(s) => Ok(s),
            _ => unreachable!("idle() checked it"),
        }
    }

    /// The store, once any background commit has finished.
    pub fn store(&mut self) -> Result<&mut dyn Store, AppError> {
        self.st()
    }

    fn st(&mut self) -> Result<&mut dyn Store, AppError> {
        Ok(self.idle()?.as_mut())
    }

    /// Takes the slot, leaving a placeholder for the caller to replace.
    fn take_store(&mut self) -> Slot {
        std::mem::replace(&mut self.store, Slot::Lost(String::new()))
    }

    /// The store once any background commit has finished, or why there is none.
    fn idle(&mut self) -> Result<&mut Box<dyn Store>, AppError> {
        self.sync()?;
        match &mut self.store {
            Slot::Idle(s) => Ok(s),
            Slot::Lost(why) => Err(AppError::StoreLost(why.clone())),
            Slot::Busy(_) => unreachable!("sync waits for the commit"),
        }
    }

    /// Waits for the background commit, if one is running. If it failed, memory is ahead of
    /// the store: the ledger rebuilds itself from what is durable and returns the error, and
    /// every command staged since the last successful sync is lost (none was acknowledged).
    pub fn sync(&mut self) -> Result<(), AppError> {
        if !matches!(self.store, Slot::Busy(_)) {
            return Ok(());
        }
        let Slot::Busy(job) = self.take_store() else {
            unreachable!("checked above")
        };
        let (store, result) = match job.join() {
            Ok(done) => done,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        self.store = Slot::Idle(store);
        if let Err(e) = result {
            self.reload()?;
            return Err(e.into());
        }
        Ok(())
    }

    /// Applies journal entries other writers appended after our head.
    fn catch_up(&mut self) -> Result<(), AppError> {
        self.idle()?;
        let Slot::Idle(store) = &mut self.store else {
            unreachable!("idle() checked it")
        };
        let replayed = crate::replay::replay(
            store.as_mut(),
            &mut self.state,
            &mut self.head,
            crate::replay::Until::Head,
        );
        if replayed.is_err() {
            // Memory may have gone past the last good entry (replay applies ahead of its
            // checks): start again from nothing, so a later call replays, and fails, the same
            // way rather than applying entries twice.
            self.forget_state();
        }
        replayed
    }

    /// Back to an empty state at the genesis head (the store is untouched).
    fn forget_state(&mut self) {
        self.state = State::new();
        self.state.track_changes();
        self.head = (0, GENESIS_HASH);
    }

    /// Rebuilds everything from the store (after a failed commit left memory ahead of disk).
    /// If that fails too, the ledger keeps nothing and refuses every later call with
    /// [`AppError::StoreLost`] rather than serve state the store does not hold.
    fn reload(&mut self) -> Result<(), AppError> {
        let Slot::Idle(store) = self.take_store() else {
            unreachable!("reload runs with the store idle")
        };
        match Self::open(store) {
            Ok(reopened) => *self = reopened,
            Err(e) => {
                self.forget_state();
                self.keys.clear();
                self.pending = Commit::default();
                self.batch_keys.clear();
                self.store = Slot::Lost(e.to_string());
                return Err(e);
            }
        }
        Ok(())
    }

    /// Applies one command and commits it durably before returning (one commit per command).
    pub fn execute(&mut self, env: &Envelope) -> Result<Outcome, AppError> {
        const ATTEMPTS: u32 = 50;
        for _ in 0..ATTEMPTS {
            // Cheap check first: another writer may have appended since we last looked.
            if self.st()?.head()?.0 != self.head.0 {
                self.catch_up()?;
            }
            let outcome = self.stage(env)?;
            match self.flush() {
                Ok(()) => return Ok(outcome),
                // `flush` has already reloaded from the store; try again on the new head.
                Err(AppError::Store(StoreError::Conflict { .. } | StoreError::KeyTaken(_))) => {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        Err(AppError::Contended(ATTEMPTS))
    }

    /// Applies one command into the pending batch; nothing is durable until [`Ledger::flush`].
    /// The batch must be flushed before the outcome is acknowledged to anyone.
    pub fn stage(&mut self, env: &Envelope) -> Result<Outcome, AppError> {
        if let Slot::Lost(why) = &self.store {
            return Err(AppError::StoreLost(why.clone()));
        }
        // A batch is bounded (limits::MAX_BATCH); beyond it, hand the batch to the writer.
        if self.pending.results.len() >= tonne_core::limits::MAX_BATCH {
            self.flush_async()?;
        }
        // A key the registry refuses is not remembered: storing its result would reserve, and
        // persist (up to a whole line long), a key no command can ever use.
        let max_key = 2 * tonne_core::limits::MAX_ID_LEN;
        if env.key.is_empty() || env.key.len() > max_key || env.key.chars().any(char::is_control) {
            let msg = format!("key must be 1-{max_key} printable characters");
            return Ok(Outcome::Rejected(Rejection::new(
                tonne_registry::Code::InvalidField,
                msg,
            )));
        }
        // The command is encoded once: for the retry digest and as the start of the payload.
        let command_bytes = postcard::to_stdvec(&env.cmd).expect("commands encode");
        let digest = digest_of(env, &command_bytes);
        let kh = key_hash(&env.key);
        // Keys staged in this batch are matched exactly; the long-lived index is a hash that
        // a hit confirms against the store, so a collision costs a lookup, never a wrong answer.
        if let Some(i) = self.batch_keys.get(env.key.as_str()).copied() {
            return Ok(retry_outcome(&self.pending.results[i], &digest));
        } else if self.keys.contains(&kh)
            && let Some(r) = self.st()?.result(&env.key)?
        {
            return Ok(retry_outcome(&r, &digest));
        }
        // Only a reversal is rewritten (its original comes from the journal).
        let resolved = self.resolve_reversal(env)?;
        let (env, command_bytes) = match &resolved {
            Some(r) => (r, postcard::to_stdvec(&r.cmd).expect("commands encode")),
            None => (env, command_bytes),
        };
        let (outcome, result_json, seq) = match self.state.apply(env) {
            Ok(effects) => {
                let seq = self.head.0 + 1;
                let entry = JournalEntry::seal_with_command_bytes(
                    seq,
                    self.head.1,
                    env,
                    command_bytes,
                    &effects,
                );
                self.head = (seq, entry.hash);
                self.pending.entries.push(entry);
                let outcome = Outcome::Accepted { seq, effects };
                let j = format!("{{\"ok\":true,\"seq\":{seq}}}");
                (outcome, j, Some(seq))
            }
            Err(r) => {
                let j = rejection_json(&r).to_string();
                (Outcome::Rejected(r), j, None)
            }
        };
        self.batch_keys
            .insert(env.key.clone(), self.pending.results.len());
        self.keys.insert(kh);
        self.pending.results.push(CommandResult {
            key: env.key.clone(),
            digest,
            seq,
            result_json,
        });
        Ok(outcome)
    }

    /// Number of commands staged and not yet committed.
    pub fn staged(&self) -> usize {
        self.pending.results.len()
    }

    /// Commits the staged batch in one durable transaction and waits for it.
    pub fn flush(&mut self) -> Result<(), AppError> {
        self.flush_async()?;
        self.sync()
    }

    /// Hands the staged batch to a background commit and returns at once, so the next batch
    /// can be applied while this one is written (a two-stage pipeline, as TigerBeetle does).
    /// Nothing in the batch is durable, or may be acknowledged, until [`Ledger::sync`] (or the
    /// next flush) returns Ok. At most one commit runs at a time.
    pub fn flush_async(&mut self) -> Result<(), AppError> {
        self.idle()?;
        if self.pending.results.is_empty() {
            return Ok(());
        }
        let changes = self.state.take_changes();
        let mut commit = std::mem::take(&mut self.pending);
        commit.delta = self.state.row_delta(&changes);
        commit.expected_head = self.head.0 - commit.entries.len() as u64;
        self.batch_keys.clear();
        let Slot::Idle(mut store) = self.take_store() else {
            unreachable!("idle() checked it")
        };
        self.store = Slot::Busy(std::thread::spawn(move || {
            let result = store.commit(&commit);
            (store, result)
        }));
        Ok(())
    }

    /// A reversal names a journal seq; the original command and moves come from the journal.
    fn resolve_reversal(&mut self, env: &Envelope) -> Result<Option<Envelope>, AppError> {
        // Any `original` a client supplies is replaced: only the journal is authoritative.
        let Command::Reverse { seq, reason, .. } = &env.cmd else {
            return Ok(None);
        };
        let found = self.pending.entries.iter().find(|e| e.seq == *seq).cloned();
        let entry = match found {
            Some(e) => Some(e),
            None => self.st()?.entry(*seq)?,
        };
        let Some(entry) = entry else {
            let mut env = env.clone();
            env.cmd = Command::Reverse {
                seq: *seq,
                reason: reason.clone(),
                original: None,
            };
            return Ok(Some(env));
        };
        let (orig, effects) = entry.decode().map_err(|e| AppError::Corrupt {
            seq: *seq,
            check: "decode",
            detail: e.to_string(),
        })?;
        let source = ReversalSource::from_entry(&self.state, &orig.cmd, &effects);
        let mut env = env.clone();
        env.cmd = Command::Reverse {
            seq: *seq,
            reason: reason.clone(),
            original: Some(source),
        };
        Ok(Some(env))
    }
}

fn retry_outcome(r: &CommandResult, digest: &[u8; 32]) -> Outcome {
    if &r.digest == digest {
        Outcome::Replayed(r.result_json.clone())
    } else {
        Outcome::Rejected(Rejection::new(
            tonne_registry::Code::IdempotencyConflict,
            format!(
                "key {:?} was already used for a different command; choose a new key",
                r.key
            ),
        ))
    }
}

impl Drop for Ledger {
    /// A commit still running finishes before the ledger goes (its result is not reported:
    /// nothing in it was acknowledged).
    fn drop(&mut self) {
        if let Slot::Busy(job) = self.take_store() {
            let _ = job.join();
        }
    }
}
