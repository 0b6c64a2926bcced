//! Integration tests of the MRV engine: golden vectors, properties, hostile inputs.

mod golden;
mod verification;
mod properties;
mod report;
