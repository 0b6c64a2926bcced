//! Tonne's MRV engine: one methodology library for every programme. Quantities carry units
//! (and heating-value basis); factor tables ship as versioned, cited data files; methods are
//! pure functions named after their regulatory equations and return per-gas masses, CO2e under
//! a recorded GWP choice, biogenic CO2 apart, and a trace of every equation, input and factor.
//! No I/O: callers pass file contents and parameters in.

pub mod cems;
pub mod factors;
pub mod fuel;
pub mod gwp;
pub mod method;
pub mod num;
pub mod program;
pub mod report;
pub mod table;
pub mod tier;
pub mod trace;
pub mod unit;
pub mod verification;

pub use fuel::{FuelError, FuelRequest, GwpSelection, Method, calculate};
pub use gwp::GwpSet;
pub use program::{Program, ProgramId};
pub use trace::Emissions;
pub use unit::{HeatingBasis, Quantity, Unit};
