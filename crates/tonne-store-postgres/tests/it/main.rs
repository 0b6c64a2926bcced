//! Runs the store contract against PostgreSQL when `DATABASE_URL` is set; each store gets a
//! schema of its own, so runs against one database don't collide.

use tonne_store::Store;
use tonne_store_postgres::PgStore;

fn database_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty())
}

#[test]
fn contract() {
    let Some(url) = database_url() else {
        println!("DATABASE_URL not set; skipping PostgreSQL contract tests");
        return;
    };
    let prefix = format!("tonne_it_{}", std::process::id());
    let mut made = Vec::new();
    tonne_store::contract::run_all(&mut || {
        let schema = format!("{prefix}_{}", made.len());
        let store =
            PgStore::connect_fresh_schema(&url, &schema).expect("connect to a fresh schema");
        made.push(schema);
        Box::new(store) as Box<dyn Store>
    });
    // Only on success: a failing run leaves its schemas behind to look at.
    let mut s = PgStore::connect(&url).expect("connect");
    for schema in made {
        s.execute_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .expect("drop test schema");
    }
}

#[test]
fn migrate_refuses_a_newer_schema() {
    let Some(url) = database_url() else {
        println!("DATABASE_URL not set; skipping PostgreSQL contract tests");
        return;
    };
    let schema = format!("tonne_it_{}_newer", std::process::id());
    let mut s = PgStore::connect_fresh_schema(&url, &schema).expect("connect");
    s.migrate().expect("migrate");
    s.execute_sql("INSERT INTO schema_version (version) VALUES (999)")
        .expect("bump version");
    let r = s.migrate();
    assert!(
        matches!(r, Err(tonne_store::StoreError::Schema(_))),
        "a newer schema is refused, got {r:?}"
    );
    s.execute_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .expect("drop test schema");
}

#[test]
fn concurrent_writers_queue() {
    let Some(url) = database_url() else {
        println!("DATABASE_URL not set; skipping PostgreSQL contract tests");
        return;
    };
    use tonne_core::{Timestamp, UserId};
    use tonne_registry::JournalEntry;
    use tonne_store::{Commit, StoreError};
    let schema = format!("tonne_it_{}_concurrent", std::process::id());
    PgStore::connect_fresh_schema(&url, &schema)
        .expect("connect")
        .migrate()
        .expect("migrate");
    // Several writers race to append; each reloads the head on Conflict. Every append must land
    // exactly once and the chain must have no gaps.
    const WRITERS: usize = 4;
    const EACH: usize = 25;
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (url, schema) = (url.clone(), schema.clone());
            std::thread::spawn(move || {
                let mut s = PgStore::connect(&url).expect("connect");
                s.execute_sql(&format!("SET search_path TO {schema}"))
                    .expect("search_path");
                let mut conflicts = 0;
                for i in 0..EACH {
                    loop {
                        let (head, hash) = s.head().expect("head");
                        let mut e = JournalEntry {
                            seq: head + 1,
                            prev_hash: hash,
                            hash: [0; 32],
                            ts: Timestamp::parse("2026-01-05T10:00:00Z").expect("ts"),
                            actor: UserId::parse("alice").expect("user"),
                            key: format!("w{w}-{i}"),
                            format: 1,
                            payload: vec![w as u8, i as u8],
                        };
                        e.hash = e.compute_hash();
                        match s.commit(&Commit {
                            expected_head: head,
                            entries: vec![e],
                            ..Commit::default()
                        }) {
                            Ok(()) => break,
                            Err(StoreError::Conflict { .. }) => conflicts += 1,
                            Err(e) => panic!("concurrent_writers_queue: unexpected error {e}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer thread");
    }
    let mut s = PgStore::connect(&url).expect("connect");
    s.execute_sql(&format!("SET search_path TO {schema}"))
        .expect("search_path");
    let mut prev = [0u8; 32];
    let mut n = 0;
    s.scan_journal(0, &mut |e| {
        n += 1;
        assert_eq!(e.seq, n, "concurrent_writers_queue: no gaps");
        assert_eq!(
            e.prev_hash, prev,
            "concurrent_writers_queue: chain intact at {n}"
        );
        assert_eq!(
            e.hash,
            e.compute_hash(),
            "concurrent_writers_queue: hash intact at {n}"
        );
        prev = e.hash;
        Ok(())
    })
    .expect("scan");
    assert_eq!(
        n as usize,
        WRITERS * EACH,
        "concurrent_writers_queue: every append landed once"
    );
    s.execute_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .expect("drop test schema");
}
