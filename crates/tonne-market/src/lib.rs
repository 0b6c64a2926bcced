//! Market operations as pure functions: auctions and holding-limit arithmetic
//! (reference/cap-and-trade.md). Input files are parsed here from readers the caller opens.

pub mod allocation;
pub mod auction;
pub mod auction_event;
pub mod compliance;
pub mod csv_input;
pub mod currency;
pub mod pro_rata;
pub mod rules;
