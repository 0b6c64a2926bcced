//! Integration tests of the MRV engine: golden vectors, properties, hostile inputs.

mod cems;
mod golden;
mod properties;
mod report;
mod verification;
