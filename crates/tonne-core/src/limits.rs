//! Fixed limits on everything that comes from outside (TigerBeetle style): one place to read them.

/// Longest identifier (account, entity, user, transfer, obligation, idempotency key).
pub const MAX_ID_LEN: usize = 64;
/// Largest quantity of instruments one command may name. 10^12 is far above any annual budget
/// (California's largest, 394.5 M for 2015 — REG-§95841 Table 6-1) yet keeps every sum of
/// quantities well inside u64.
pub const MAX_QUANTITY: u64 = 1_000_000_000_000;
/// Highest serial number a series may reach.
pub const MAX_SERIAL: u64 = 1_000_000_000_000_000;
/// Legs (series) in one multi-leg command.
pub const MAX_LEGS: usize = 64;
/// Explicit serial ranges named in one leg.
pub const MAX_RANGES_PER_LEG: usize = 1_024;
/// Length of a free-text reason, name or purpose.
pub const MAX_TEXT_LEN: usize = 1_000;
/// Bytes in one line of a JSON Lines command file.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Lines in one `tonne apply` file.
pub const MAX_LINES_PER_FILE: usize = 10_000_000;
/// Holidays configured per jurisdiction.
pub const MAX_HOLIDAYS: usize = 2_000;
/// Representatives on one account (§95832 allows one primary and up to four alternates, plus
/// viewing agents; this bounds the list, the role rules are checked separately).
pub const MAX_REPRESENTATIVES: usize = 16;
/// Earliest and latest vintage accepted.
pub const MIN_VINTAGE: u16 = 2000;
pub const MAX_VINTAGE: u16 = 2100;
/// Commands a batched writer commits in one durable transaction.
pub const MAX_BATCH: usize = 16_384;
