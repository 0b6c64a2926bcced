//! The persistence boundary. Only store crates know SQL; everything above talks to [`Store`].
//!
//! A store keeps four things: the hash-chained `journal` (the system of record), the command
//! results that make retries idempotent, and the current state as rows (`holdings`, `objects`),
//! which `verify` compares with a replay of the journal.

pub mod contract;

use tonne_registry::JournalEntry;
use tonne_registry::export::{HoldingRow, ObjectRow, RowDelta};
use tonne_registry::journal::JournalEntryRef;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended first; reload and retry.
    #[error("the journal moved on: expected head {expected}, found {found}")]
    Conflict { expected: u64, found: u64 },
    /// The key was stored by another writer meanwhile.
    #[error("idempotency key {0:?} was stored by another writer")]
    KeyTaken(String),
    #[error("the store is not a Tonne store or is from a newer version: {0}")]
    Schema(String),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("{context}: {message}")]
    Backend {
        context: &'static str,
        message: String,
    },
}

impl StoreError {
    pub fn backend(context: &'static str, e: impl std::fmt::Display) -> Self {
        Self::Backend {
            context,
            message: e.to_string(),
        }
    }
}

/// The outcome of a command as stored for idempotent retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    pub key: String,
    /// SHA-256 of the canonical encoding of the command payload (everything but the key).
    pub digest: [u8; 32],
    /// Journal sequence number if accepted.
    pub seq: Option<u64>,
    /// The result as JSON (`{"ok":…}` or `{"rejected":{code,…}}`).
    pub result_json: String,
}

/// Everything one durable transaction writes. `expected_head` is the journal head the writer's
/// state corresponds to; the commit fails with `Conflict` if the stored head differs.
#[derive(Debug, Default, Clone)]
pub struct Commit {
    pub expected_head: u64,
    pub entries: Vec<JournalEntry>,
    pub results: Vec<CommandResult>,
    pub delta: RowDelta,
}

pub trait Store: Send {
    /// Creates the schema if missing (embedded migrations) and checks the version.
    fn migrate(&mut self) -> Result<(), StoreError>;
    /// Highest journal seq (0 when empty) and its hash.
    fn head(&mut self) -> Result<(u64, [u8; 32]), StoreError>;
    /// Calls `f` for each journal entry with seq > `after`, in order.
    fn scan_journal(
        &mut self,
        after: u64,
        f: &mut dyn FnMut(JournalEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// As [`Store::scan_journal`], lending each entry's key and payload from the store's row
    /// buffer instead of allocating them: replay reads every entry this way.
    fn scan_journal_refs(
        &mut self,
        after: u64,
        f: &mut dyn FnMut(JournalEntryRef<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.scan_journal(after, &mut |e| f(e.borrowed()))
    }
    /// Entry `seq`, if present.
    fn entry(&mut self, seq: u64) -> Result<Option<JournalEntry>, StoreError>;
    /// Writes a commit atomically and durably.
    fn commit(&mut self, c: &Commit) -> Result<(), StoreError>;
    fn result(&mut self, key: &str) -> Result<Option<CommandResult>, StoreError>;
    /// All stored command results.
    fn scan_results(&mut self, f: &mut dyn FnMut(CommandResult)) -> Result<(), StoreError>;
    /// The keys of the stored results of rejected commands (those with no journal entry): with
    /// the journal's keys, the idempotency index a ledger rebuilds at start.
    fn scan_rejected_keys(&mut self, f: &mut dyn FnMut(&str)) -> Result<(), StoreError> {
        self.scan_results(&mut |r| {
            if r.seq.is_none() {
                f(&r.key)
            }
        })
    }
    fn holdings(&mut self) -> Result<Vec<HoldingRow>, StoreError>;
    fn objects(&mut self) -> Result<Vec<ObjectRow>, StoreError>;
    /// True when nothing has been stored yet.
    fn is_empty(&mut self) -> Result<bool, StoreError> {
        Ok(self.head()?.0 == 0 && {
            let mut any = false;
            self.scan_results(&mut |_| any = true)?;
            !any
        })
    }
    /// Runs raw SQL (tests use it to tamper with rows as an attacker would).
    fn execute_sql(&mut self, sql: &str) -> Result<(), StoreError>;

    /// The naive baseline of `tonne bench ledger`: an account table and range rows manipulated
    /// directly in SQL, one transaction per transfer, no in-memory state.
    fn naive(&mut self) -> &mut dyn NaiveLedger;
}

/// A deliberately simple SQL ledger with the same rules (serial ranges, eligibility, holding
/// limits) and durability, used as the benchmark baseline.
pub trait NaiveLedger {
    /// Creates `accounts` accounts in `groups` corporate groups, each holding `per_account`
    /// allowances of one series in one range; `limit` is the holding limit per group.
    fn setup(
        &mut self,
        accounts: u32,
        groups: u32,
        per_account: u64,
        limit: u64,
    ) -> Result<(), StoreError>;
    /// Moves the lowest `qty` serials from `from` to `to` in one SQL transaction, checking the
    /// source holds them, both accounts are open and eligible, and the receiving group stays
    /// within its limit; appends a hash-chained journal row. Returns false if a rule refused it.
    fn transfer(&mut self, from: u32, to: u32, qty: u64) -> Result<bool, StoreError>;
    /// Sum of all balances (conservation check).
    fn total(&mut self) -> Result<u64, StoreError>;
}
