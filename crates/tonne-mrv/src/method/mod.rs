//! Quantification methods, one module per methodology, each equation a pure function.

pub mod ipcc2006;
pub mod part98;
