//! The naive benchmark baseline: the same rules and durability done in SQL, one transaction per
//! transfer, no state in memory — the way a ledger is usually first written.

use crate::SqliteStore;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use tonne_store::{NaiveLedger, StoreError};

fn be(e: rusqlite::Error) -> StoreError {
    StoreError::backend("naive ledger", e)
}

impl NaiveLedger for SqliteStore {
    fn setup(
        &mut self,
        accounts: u32,
        groups: u32,
        per_account: u64,
        limit: u64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(be)?;
        tx.execute_batch(
            "DROP TABLE IF EXISTS naive_accounts; DROP TABLE IF EXISTS naive_ranges;
             DROP TABLE IF EXISTS naive_groups; DROP TABLE IF EXISTS naive_journal;
             CREATE TABLE naive_accounts (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, status TEXT NOT NULL, kind TEXT NOT NULL);
             CREATE TABLE naive_ranges (account INTEGER NOT NULL, start_serial INTEGER NOT NULL, end_serial INTEGER NOT NULL,
                                        PRIMARY KEY (start_serial));
             CREATE INDEX naive_ranges_account ON naive_ranges (account, start_serial);
             CREATE TABLE naive_groups (grp INTEGER PRIMARY KEY, held INTEGER NOT NULL, limit_qty INTEGER NOT NULL);
             CREATE TABLE naive_journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, prev_hash BLOB NOT NULL, hash BLOB NOT NULL, body TEXT NOT NULL);",
        )
        .map_err(be)?;
        for g in 0..groups.max(1) {
            tx.execute(
                "INSERT INTO naive_groups VALUES (?1, 0, ?2)",
                params![g, limit as i64],
            )
            .map_err(be)?;
        }
        for a in 0..accounts {
            let g = a % groups.max(1);
            tx.execute(
                "INSERT INTO naive_accounts VALUES (?1, ?2, 'open', 'holding')",
                params![a, g],
            )
            .map_err(be)?;
            let start = u64::from(a) * per_account + 1;
            tx.execute(
                "INSERT INTO naive_ranges VALUES (?1, ?2, ?3)",
                params![a, start as i64, (start + per_account - 1) as i64],
            )
            .map_err(be)?;
            tx.execute(
                "UPDATE naive_groups SET held = held + ?1 WHERE grp = ?2",
                params![per_account as i64, g],
            )
            .map_err(be)?;
        }
        tx.commit().map_err(be)
    }

    fn transfer(&mut self, from: u32, to: u32, qty: u64) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        let acct = |id: u32| -> Result<Option<(i64, String, String)>, StoreError> {
            tx.prepare_cached("SELECT grp, status, kind FROM naive_accounts WHERE id = ?1")
                .map_err(be)?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .map_err(be)
        };
        let (Some(src), Some(dst)) = (acct(from)?, acct(to)?) else {
            return Ok(false);
        };
        if src.1 != "open"
            || dst.1 != "open"
            || src.2 != "holding"
            || dst.2 != "holding"
            || from == to
        {
            return Ok(false);
        }
        let ranges: Vec<(i64, i64)> = {
            let mut st = tx
                .prepare_cached("SELECT start_serial, end_serial FROM naive_ranges WHERE account = ?1 ORDER BY start_serial")
                .map_err(be)?;
            let rows = st
                .query_map([from], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(be)?;
            rows.collect::<Result<_, _>>().map_err(be)?
        };
        let held: u64 = ranges.iter().map(|(s, e)| (e - s + 1) as u64).sum();
        if held < qty {
            return Ok(false);
        }
        let mut left = qty as i64;
        for (s, e) in ranges {
            if left == 0 {
                break;
            }
            let take = (e - s + 1).min(left);
            if take == e - s + 1 {
                tx.prepare_cached("UPDATE naive_ranges SET account = ?1 WHERE start_serial = ?2")
                    .map_err(be)?
                    .execute(params![to, s])
                    .map_err(be)?;
            } else {
                tx.prepare_cached(
                    "UPDATE naive_ranges SET start_serial = ?1 WHERE start_serial = ?2",
                )
                .map_err(be)?
                .execute(params![s + take, s])
                .map_err(be)?;
                tx.prepare_cached("INSERT INTO naive_ranges VALUES (?1, ?2, ?3)")
                    .map_err(be)?
                    .execute(params![to, s, s + take - 1])
                    .map_err(be)?;
            }
            left -= take;
        }
        if src.0 != dst.0 {
            tx.prepare_cached("UPDATE naive_groups SET held = held - ?1 WHERE grp = ?2")
                .map_err(be)?
                .execute(params![qty as i64, src.0])
                .map_err(be)?;
            let (held, limit): (i64, i64) = tx
                .prepare_cached("UPDATE naive_groups SET held = held + ?1 WHERE grp = ?2 RETURNING held, limit_qty")
                .map_err(be)?
                .query_row(params![qty as i64, dst.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(be)?;
            if held > limit {
                return Ok(false); // dropping `tx` rolls back
            }
        }
        let prev: Vec<u8> = tx
            .prepare_cached("SELECT hash FROM naive_journal ORDER BY seq DESC LIMIT 1")
            .map_err(be)?
            .query_row([], |r| r.get(0))
            .optional()
            .map_err(be)?
            .unwrap_or_else(|| vec![0; 32]);
        let body = format!("{{\"from\":{from},\"to\":{to},\"qty\":{qty}}}");
        let hash = Sha256::new()
            .chain_update(&prev)
            .chain_update(body.as_bytes())
            .finalize();
        tx.prepare_cached("INSERT INTO naive_journal (prev_hash, hash, body) VALUES (?1, ?2, ?3)")
            .map_err(be)?
            .execute(params![prev, &hash[..], body])
            .map_err(be)?;
        tx.commit().map_err(be)?;
        Ok(true)
    }

    fn total(&mut self) -> Result<u64, StoreError> {
        let t: i64 = self
            .conn
            .query_row(
                "SELECT COALESCE(SUM(end_serial - start_serial + 1), 0) FROM naive_ranges",
                [],
                |r| r.get(0),
            )
            .map_err(be)?;
        Ok(t as u64)
    }
}
