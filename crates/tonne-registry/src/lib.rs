//! The registry ledger as a pure state machine.
//!
//! `State::apply(&envelope)` validates, authorises and applies one command atomically: it either
//! returns the effects (serial movements and status changes) or a coded [`Rejection`] and leaves
//! the state untouched. Time is an input (each command carries its timestamp). No I/O.

mod apply;
pub mod command;
pub mod cross;
pub mod effect;
pub mod export;
pub mod holding_limit;
pub mod journal;
pub mod market;
mod market_apply;
pub mod rejection;
pub mod rules;
pub mod state;
mod transfer;

pub use apply::whole_tonnes;
pub use command::{
    AccountType, COMMAND_FORMAT_VERSION, Command, EntityType, Envelope, Leg, Price, RepRole,
    TransactionType, UserRole,
};
pub use effect::{Effect, Loc, Move};
pub use journal::{EntryBody, GENESIS_HASH, JournalEntry, JournalError};
pub use market_apply::MAX_DELIVERIES;
pub use rejection::{Code, Rejection};
pub use rules::RegistryRules;
pub use state::State;
