//! Market operations as pure functions: auctions and holding-limit arithmetic
//! (reference/cap-and-trade.md). Input files are parsed here from readers the caller opens.

pub mod allocation;
pub mod auction;
pub mod compliance;
pub mod csv_input;
pub mod rules;
