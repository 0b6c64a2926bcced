//! The naive baseline of `tonne bench ledger`: balances as range rows changed directly in SQL,
//! one transaction per transfer, correctness from row locks, no in-memory state.
//!
//! Layout made by `setup`: accounts `0..accounts`, account `a` in group `a % groups`, holding
//! serials `a * per_account + 1 ..= (a + 1) * per_account` of a single series.

use crate::{TxError, db, with_retry};
use postgres::Transaction;
use sha2::{Digest, Sha256};
use tonne_store::{NaiveLedger, StoreError};

/// Serialises appends to `naive_journal`, whose hash chain needs one writer at a time.
const NAIVE_JOURNAL_LOCK: i64 = 0x746f_6e6e_6503;

const SCHEMA: &str = "
DROP TABLE IF EXISTS naive_journal, naive_ranges, naive_accounts, naive_groups;
CREATE TABLE naive_groups (grp INTEGER PRIMARY KEY, held BIGINT NOT NULL, limit_qty BIGINT NOT NULL);
CREATE TABLE naive_accounts (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL REFERENCES naive_groups,
    status TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE naive_ranges (account INTEGER NOT NULL REFERENCES naive_accounts,
    start_serial BIGINT PRIMARY KEY, end_serial BIGINT NOT NULL);
CREATE INDEX naive_ranges_account ON naive_ranges (account, start_serial);
CREATE TABLE naive_journal (seq BIGSERIAL PRIMARY KEY, prev_hash BYTEA NOT NULL, hash BYTEA NOT NULL, body TEXT NOT NULL);
";

/// How a transfer attempt ended when no error occurred.
enum Outcome {
    Done,
    Refused,
}

impl NaiveLedger for crate::PgStore {
    fn setup(
        &mut self,
        accounts: u32,
        groups: u32,
        per_account: u64,
        limit: u64,
    ) -> Result<(), StoreError> {
        let invalid = |message: &str| StoreError::Backend {
            context: "naive setup",
            message: message.into(),
        };
        if groups == 0 && accounts > 0 {
            return Err(invalid("accounts need at least one group"));
        }
        let accounts = i32::try_from(accounts).map_err(|_| invalid("too many accounts"))?;
        let groups = i32::try_from(groups).map_err(|_| invalid("too many groups"))?;
        let per =
            i64::try_from(per_account).map_err(|_| invalid("per_account does not fit a BIGINT"))?;
        let limit = i64::try_from(limit).map_err(|_| invalid("limit does not fit a BIGINT"))?;
        if per.checked_mul(i64::from(accounts) + 1).is_none() {
            return Err(invalid("serials would overflow a BIGINT"));
        }
        with_retry(|| {
            let mut tx = self
                .client
                .transaction()
                .map_err(db("naive setup: begin"))?;
            tx.batch_execute(SCHEMA)
                .map_err(db("naive setup: creating tables"))?;
            tx.execute(
                "INSERT INTO naive_groups (grp, held, limit_qty) SELECT g, 0, $2 FROM generate_series(0, $1::INTEGER - 1) g",
                &[&groups, &limit],
            )
            .map_err(db("naive setup: groups"))?;
            tx.execute(
                "INSERT INTO naive_accounts (id, grp, status, kind) \
                 SELECT a, a % $2::INTEGER, 'open', 'holding' FROM generate_series(0, $1::INTEGER - 1) a",
                &[&accounts, &groups.max(1)],
            )
            .map_err(db("naive setup: accounts"))?;
            if per > 0 {
                tx.execute(
                    "INSERT INTO naive_ranges (account, start_serial, end_serial) \
                     SELECT a, a * $2::BIGINT + 1, (a + 1) * $2::BIGINT FROM generate_series(0, $1::INTEGER - 1) a",
                    &[&accounts, &per],
                )
                .map_err(db("naive setup: ranges"))?;
            }
            tx.execute(
                "UPDATE naive_groups g SET held = $1 * (SELECT COUNT(*) FROM naive_accounts a WHERE a.grp = g.grp)",
                &[&per],
            )
            .map_err(db("naive setup: group totals"))?;
            tx.commit().map_err(db("naive setup: commit"))
        })
    }

    fn transfer(&mut self, from: u32, to: u32, qty: u64) -> Result<bool, StoreError> {
        if from == to || qty == 0 {
            return Ok(false);
        }
        let (Ok(from), Ok(to), Ok(qty)) =
            (i32::try_from(from), i32::try_from(to), i64::try_from(qty))
        else {
            return Ok(false);
        };
        with_retry(|| {
            // READ COMMITTED: every statement sees the latest committed rows, and the FOR UPDATE
            // locks make the checks hold until COMMIT.
            let mut tx = self
                .client
                .transaction()
                .map_err(db("naive transfer: begin"))?;
            match transfer_in(&mut tx, from, to, qty)? {
                Outcome::Done => {
                    tx.commit().map_err(db("naive transfer: commit"))?;
                    Ok(true)
                }
                Outcome::Refused => {
                    tx.rollback().map_err(db("naive transfer: rollback"))?;
                    Ok(false)
                }
            }
        })
    }

    fn total(&mut self) -> Result<u64, StoreError> {
        let row = self
            .client
            .query_one(
                "SELECT COALESCE(SUM(end_serial - start_serial + 1), 0)::BIGINT FROM naive_ranges",
                &[],
            )
            .map_err(crate::backend("naive total"))?;
        crate::to_u64(crate::col(&row, 0, "naive total")?, "naive total")
    }
}

fn transfer_in(tx: &mut Transaction<'_>, from: i32, to: i32, qty: i64) -> Result<Outcome, TxError> {
    // Lock both accounts in id order so that opposite transfers cannot deadlock.
    let accounts = tx
        .query("SELECT id, grp, status, kind FROM naive_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE", &[&from, &to])
        .map_err(db("naive transfer: locking accounts"))?;
    let mut groups = (None, None);
    for row in &accounts {
        let id: i32 = row.try_get(0).map_err(db("naive transfer: account"))?;
        let grp: i32 = row.try_get(1).map_err(db("naive transfer: account"))?;
        let status: &str = row.try_get(2).map_err(db("naive transfer: account"))?;
        let kind: &str = row.try_get(3).map_err(db("naive transfer: account"))?;
        if status != "open" || kind != "holding" {
            return Ok(Outcome::Refused);
        }
        if id == from {
            groups.0 = Some(grp);
        } else {
            groups.1 = Some(grp);
        }
    }
    let (Some(from_grp), Some(to_grp)) = groups else {
        return Ok(Outcome::Refused);
    };

    // The source's ranges, lowest first; take whole ranges until the last one needs a split.
    let ranges = tx
        .query(
            "SELECT start_serial, end_serial FROM naive_ranges WHERE account = $1 ORDER BY start_serial FOR UPDATE",
            &[&from],
        )
        .map_err(db("naive transfer: reading ranges"))?;
    let mut left = qty;
    let mut moved: Vec<(i64, i64)> = Vec::new();
    let mut whole: Vec<i64> = Vec::new();
    let mut split: Option<(i64, i64)> = None; // (old start, new start)
    for row in &ranges {
        if left == 0 {
            break;
        }
        let start: i64 = row.try_get(0).map_err(db("naive transfer: range"))?;
        let end: i64 = row.try_get(1).map_err(db("naive transfer: range"))?;
        let len = end - start + 1;
        if len <= left {
            whole.push(start);
            moved.push((start, end));
            left -= len;
        } else {
            moved.push((start, start + left - 1));
            split = Some((start, start + left));
            left = 0;
        }
    }
    if left > 0 {
        return Ok(Outcome::Refused);
    }

    if from_grp != to_grp {
        // Lock both group rows in order (opposite cross-group transfers would deadlock
        // otherwise), then check the receiving group's limit.
        let rows = tx
            .query(
                "SELECT grp, held, limit_qty FROM naive_groups WHERE grp IN ($1, $2) ORDER BY grp FOR UPDATE",
                &[&from_grp, &to_grp],
            )
            .map_err(db("naive transfer: locking groups"))?;
        let mut within = false;
        for row in &rows {
            let grp: i32 = row.try_get(0).map_err(db("naive transfer: group"))?;
            let held: i64 = row.try_get(1).map_err(db("naive transfer: group"))?;
            let limit: i64 = row.try_get(2).map_err(db("naive transfer: group"))?;
            if grp == to_grp {
                within = held.checked_add(qty).is_some_and(|h| h <= limit);
            }
        }
        if !within {
            return Ok(Outcome::Refused);
        }
        tx.execute(
            "UPDATE naive_groups SET held = held + CASE WHEN grp = $2 THEN $3::BIGINT ELSE -$3::BIGINT END WHERE grp IN ($1, $2)",
            &[&from_grp, &to_grp, &qty],
        )
        .map_err(db("naive transfer: updating groups"))?;
    }

    if !whole.is_empty() {
        tx.execute(
            "DELETE FROM naive_ranges WHERE start_serial = ANY($1)",
            &[&whole],
        )
        .map_err(db("naive transfer: taking ranges"))?;
    }
    if let Some((old, new)) = split {
        tx.execute(
            "UPDATE naive_ranges SET start_serial = $2 WHERE start_serial = $1",
            &[&old, &new],
        )
        .map_err(db("naive transfer: splitting a range"))?;
    }
    let starts: Vec<i64> = moved.iter().map(|m| m.0).collect();
    let ends: Vec<i64> = moved.iter().map(|m| m.1).collect();
    tx.execute(
        "INSERT INTO naive_ranges (account, start_serial, end_serial) SELECT $1, * FROM UNNEST($2::BIGINT[], $3::BIGINT[])",
        &[&to, &starts, &ends],
    )
    .map_err(db("naive transfer: giving ranges"))?;

    // Append to the hash chain; the lock is taken last so it is held only for the append and
    // the commit, and every statement after it sees the previous append (READ COMMITTED).
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&NAIVE_JOURNAL_LOCK])
        .map_err(db("naive transfer: journal lock"))?;
    let prev: Vec<u8> = match tx
        .query_opt(
            "SELECT hash FROM naive_journal ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .map_err(db("naive transfer: journal head"))?
    {
        Some(row) => row.try_get(0).map_err(db("naive transfer: journal head"))?,
        None => vec![0; 32],
    };
    let ranges_json: Vec<String> = moved.iter().map(|(s, e)| format!("[{s},{e}]")).collect();
    let body = format!(
        r#"{{"from":{from},"to":{to},"qty":{qty},"ranges":[{}]}}"#,
        ranges_json.join(",")
    );
    let mut h = Sha256::new();
    h.update(&prev);
    h.update(body.as_bytes());
    let hash: [u8; 32] = h.finalize().into();
    tx.execute(
        "INSERT INTO naive_journal (prev_hash, hash, body) VALUES ($1, $2, $3)",
        &[&prev, &hash.as_slice(), &body],
    )
    .map_err(db("naive transfer: journal append"))?;
    Ok(Outcome::Done)
}
