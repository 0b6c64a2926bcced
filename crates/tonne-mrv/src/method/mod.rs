//! Quantification methods, one module per methodology, each equation a pure function.

pub mod imports;
pub mod ipcc2006;
pub mod part98;
pub mod process;
