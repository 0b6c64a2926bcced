//! Integration tests of market operations.

mod auction;
mod rules;
