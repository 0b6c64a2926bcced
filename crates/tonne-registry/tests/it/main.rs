//! Integration tests of the registry state machine, driven only through `State::apply` with
//! commands written as JSON.

mod fixture;

mod authority;
mod compliance;
mod cross;
mod genesis;
mod holding_limits;
mod issuance;
mod journal;
mod market;
mod model;
mod reversal;
mod transfers;
mod trusted;
