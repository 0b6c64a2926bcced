//! `--db` URLs: a file path or `sqlite://PATH` for the embedded store, `postgres://…` for the
//! production store.

use crate::ledger::AppError;
use tonne_store::Store;

/// Opens an existing store for reading: a missing SQLite file is an error rather than a new,
/// empty registry (which `verify` would happily call consistent).
pub fn open_existing_store(url: &str) -> Result<Box<dyn Store>, AppError> {
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if !std::path::Path::new(path).exists() {
            return Err(AppError::Usage(format!(
                "no store at {path}: check --db (a file path, sqlite://PATH or postgres://URL)"
            )));
        }
    }
    open_store(url)
}

pub fn open_store(url: &str) -> Result<Box<dyn Store>, AppError> {
    let mut store: Box<dyn Store> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Box::new(tonne_store_postgres::PgStore::connect(url)?)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if path.is_empty() {
                return Err(AppError::Usage(
                    "--db needs a file path, sqlite://PATH or postgres://URL".into(),
                ));
            }
            Box::new(tonne_store_sqlite::SqliteStore::open(path)?)
        };
    store.migrate()?;
    Ok(store)
}
