//! Integration tests of the `tonne` binary: every test runs the built executable as a user or
//! an operator would, on temporary SQLite files.

mod util;

mod apply_semantic;
mod apply_syntax;
mod as_of;
mod auction_event;
mod auction_settlement;
mod compliance_status;
mod concurrency;
mod crash;
mod demo;
mod link;
mod market;
mod mrv;
mod tamper;
