//! Tonne's vocabulary. Pure: no I/O, no clock, no randomness — time and seeds are always
//! passed in.

pub mod calendar;
pub mod id;
pub mod instrument;
pub mod limits;
pub mod rangeset;
pub mod rng;
pub mod time;

pub use calendar::Calendar;
pub use id::{AccountId, EntityId, GroupId, IdError, ObligationId, TransferId, UserId};
pub use instrument::{InstrumentKind, JurisdictionCode, SerialRange, SeriesKey};
pub use rangeset::RangeSet;
pub use time::Timestamp;
