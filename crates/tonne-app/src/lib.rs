//! Tonne's use cases: the only layer that sequences I/O. A [`Ledger`] holds the registry state in
//! memory as the single writer, applies each command with the pure state machine, and commits
//! journal entries, command results and state rows to a store in one durable transaction.

pub mod bench;
pub mod commands;
pub mod compliance_report;
pub mod demo;
pub mod ledger;
pub mod link;
pub mod open;
pub mod replay;
pub mod statement;
pub mod verify;

pub use ledger::{AppError, Ledger, Outcome};
pub use open::{open_existing_store, open_store};
