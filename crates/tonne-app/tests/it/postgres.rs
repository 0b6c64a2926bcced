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
    assert_eq!(
        summary["journal_head"]["seq"],
        serde_json::json!(demo::journal_entries())
    );
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

/// Four ledgers on four PostgreSQL connections race to drain one account: the commit lock and
/// head check serialise them, each catches up with the others, and nothing is overdrawn.
#[test]
fn racing_ledgers_on_postgres_never_overdraw() {
    let Some(url) = url() else {
        println!("DATABASE_URL not set; skipping the PostgreSQL race test");
        return;
    };
    let schema = format!("tonne_app_it_race_{}", std::process::id());
    let store = PgStore::connect_fresh_schema(&url, &schema).expect("fresh schema");
    let mut first = Ledger::open(Box::new(store)).expect("open ledger");
    demo::run(&mut first).expect("demo runs");
    let start = held(&first, "CA-AUCTION");
    assert_eq!(start, 2_240_000);
    drop(first);

    let accepted_total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let (url, schema) = (url.clone(), schema.clone());
                s.spawn(move || {
                    let mut store = PgStore::connect(&url).expect("connect");
                    store
                        .execute_sql(&format!("SET search_path TO {schema}"))
                        .expect("schema");
                    let mut ledger = Ledger::open(Box::new(store)).expect("open");
                    let mut ok = 0u64;
                    for i in 0..30 {
                        let env =
                            transfer(&format!("race-{w}-{i}"), "CA-AUCTION", "CA3001-H", 20_000);
                        match ledger.execute(&env).expect("execute") {
                            tonne_app::Outcome::Accepted { .. } => ok += 1,
                            o => {
                                assert_eq!(rejected(&o), tonne_registry::Code::InsufficientHolding)
                            }
                        }
                    }
                    ok
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("racer")).sum()
    });
    assert_eq!(
        accepted_total,
        start / 20_000,
        "exactly what the account held was transferred"
    );

    let mut store = PgStore::connect(&url).expect("connect");
    store
        .execute_sql(&format!("SET search_path TO {schema}"))
        .expect("schema");
    let mut ledger = Ledger::open(Box::new(store)).expect("reopen");
    assert_eq!(held(&ledger, "CA-AUCTION"), 0);
    assert_eq!(held(&ledger, "CA3001-H"), 70_000 + start);
    verify_ok(&mut ledger);
    let keys = journal_keys(&mut ledger);
    let unique: std::collections::BTreeSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "no key applied twice");
    let mut store = ledger.into_store().unwrap();
    store
        .execute_sql(&format!(
            "SET search_path TO public; DROP SCHEMA {schema} CASCADE"
        ))
        .expect("drop the test schema");
}
