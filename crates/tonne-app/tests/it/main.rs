//! Ledger-level integration tests on temporary SQLite files (and PostgreSQL when
//! `DATABASE_URL` is set).

mod util;

mod batch;
mod compliance_report;
mod empty;
mod idempotency;
mod pipeline;
mod postgres;
mod retries;
mod reversal;
mod two_writers;
