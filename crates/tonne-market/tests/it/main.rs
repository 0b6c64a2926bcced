//! Integration tests of market operations.

mod auction;
mod auction_event;
mod auction_oracle;
mod rules;
