//! The demo against PostgreSQL, when `DATABASE_URL` is set (e.g.
//! `postgres://postgres@127.0.0.1/postgres`); each run works in a schema of its own.

use crate::util::*;
use tonne_app::{Ledger, demo};
use tonne_store::Store;
use tonne_store_postgres::PgStore;

fn url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty())
}

#[test]
fn demo_on_postgres_verifies_and_reopens() {
    let Some(url) = url() else {
        println!("DATABASE_URL not set; skipping the PostgreSQL demo test");
        return;
    };
    let schema = format!("tonne_app_it_demo_{}", std::process::id());
    let store = PgStore::connect_fresh_schema(&url, &schema).expect("fresh schema");
    let mut ledger = Ledger::open(Box::new(store)).expect("open ledger on PostgreSQL");
    let summary = demo::run(&mut ledger).expect("demo runs on PostgreSQL");
    assert_eq!(summary["journal_head"]["seq"], serde_json::json!(68));
    verify_ok(&mut ledger);

    // The same journal as on SQLite, byte for byte.
    let (_d, _p, sqlite) = demo_ledger();
    assert_eq!(ledger.head(), sqlite.head());

    // Reopen on the same connection: the replay rebuilds the same state.
    let rows = (ledger.state().holding_rows(), ledger.state().object_rows());
    let head = ledger.head();
    let mut store: Box<dyn Store> = ledger.into_store().unwrap();
    assert_eq!((store.holdings().unwrap(), store.objects().unwrap()), rows);
    let mut ledger = Ledger::open(store).expect("reopen");
    assert_eq!(ledger.head(), head);
    assert_eq!(
        (ledger.state().holding_rows(), ledger.state().object_rows()),
        rows
    );
    accepted(
        &ledger
            .execute(&transfer("pg-1", "CA-AUCTION", "CA3001-H", 10))
            .unwrap(),
    );
    verify_ok(&mut ledger);
    let mut store = ledger.into_store().unwrap();
    store
        .execute_sql(&format!(
            "SET search_path TO public; DROP SCHEMA {schema} CASCADE"
        ))
        .expect("drop the test schema");
}
