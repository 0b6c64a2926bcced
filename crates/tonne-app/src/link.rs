//! The messages two sovereign Tonne registries exchange for a cross-registry transfer, over TCP
//! as JSON Lines (one message, one reply). The sending registry coordinates a two-phase commit:
//!
//! 1. its representative's `cross_send` reserves the serials (pending here);
//! 2. `prepare` → the peer journals `cross_receive` (pending there, every acquisition check) and
//!    answers `prepared`, or `rejected` with the code — then the sender voids;
//! 3. `commit` → the peer journals `cross_accept` (the serials arrive) and answers `committed`;
//!    the sender journals `cross_post` (the serials are held abroad);
//! 4. no answer within the timeout → the sender sends `abort` (best effort; the peer voids its
//!    pending side) and voids its own.
//!
//! Every message is idempotent: the peer journals each phase under the key
//! `link:<transfer>:<phase>`, so a retried message returns the stored result and never applies
//! twice. `list` returns the peer's cross-registry transfers for the reconciliation report.

use crate::ledger::{AppError, Ledger, Outcome};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;
use tonne_core::{AccountId, Timestamp, TransferId, UserId};
use tonne_registry::cross::{CrossMove, CrossStatus, Direction};
use tonne_registry::{COMMAND_FORMAT_VERSION, Command, Envelope};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Message {
    Prepare {
        transfer: TransferId,
        from: String,
        to: AccountId,
        moves: Vec<CrossMove>,
    },
    Commit {
        transfer: TransferId,
    },
    Abort {
        transfer: TransferId,
        reason: String,
    },
    List {},
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Prepared,
    Committed,
    Aborted,
    Rejected { code: u16, message: String },
    Transfers { transfers: Vec<TransferLine> },
    Error { message: String },
}

/// One cross-registry transfer as one side records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferLine {
    pub transfer: TransferId,
    pub direction: Direction,
    pub status: CrossStatus,
    pub quantity: u64,
    pub moves: Vec<CrossMove>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("link: {0}")]
    Io(#[from] std::io::Error),
    #[error("link: malformed message: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("link: {0}")]
    Protocol(String),
}

fn now_after(ledger: &Ledger) -> Timestamp {
    let wall = Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    )
    .expect("the clock is in range");
    match ledger.state().last_ts {
        Some(last) if last > wall => last,
        _ => wall,
    }
}

/// Applies `cmd` as the link agent under an idempotency key.
fn apply(
    ledger: &mut Ledger,
    agent: &UserId,
    key: String,
    cmd: Command,
) -> Result<Outcome, AppError> {
    let env = Envelope {
        v: COMMAND_FORMAT_VERSION,
        key,
        ts: now_after(ledger),
        actor: agent.clone(),
        cmd,
    };
    ledger.execute(&env)
}

fn outcome_reply(o: &Outcome, ok: Reply) -> Reply {
    match o {
        Outcome::Accepted { .. } => ok,
        Outcome::Rejected(r) => Reply::Rejected {
            code: r.code.number(),
            message: r.message.clone(),
        },
        Outcome::Replayed(stored) => {
            let v: serde_json::Value = serde_json::from_str(stored).unwrap_or_default();
            if v["ok"] == serde_json::json!(true) {
                ok
            } else {
                Reply::Rejected {
                    code: v["code"].as_u64().unwrap_or(0) as u16,
                    message: v["message"].as_str().unwrap_or("").to_owned(),
                }
            }
        }
    }
}

/// The cross-registry transfers `ledger` records with `peer`.
pub fn transfers_with(ledger: &Ledger, peer: &str) -> Vec<TransferLine> {
    ledger
        .state()
        .cross
        .transfers
        .iter()
        .filter(|(_, t)| t.peer == peer)
        .map(|(id, t)| TransferLine {
            transfer: id.clone(),
            direction: t.direction,
            status: t.status,
            quantity: t.quantity,
            moves: t.moves.clone(),
        })
        .collect()
}

/// Handles one message from `peer` (the id under which this registry knows the sender).
pub fn handle(
    ledger: &mut Ledger,
    agent: &UserId,
    peer: &str,
    msg: Message,
) -> Result<Reply, AppError> {
    Ok(match msg {
        Message::Prepare {
            transfer,
            from,
            to,
            moves,
        } => {
            let key = format!("link:{transfer}:prepare");
            let o = apply(
                ledger,
                agent,
                key,
                Command::CrossReceive {
                    transfer,
                    peer: peer.to_owned(),
                    from,
                    to,
                    moves,
                },
            )?;
            outcome_reply(&o, Reply::Prepared)
        }
        Message::Commit { transfer } => {
            let key = format!("link:{transfer}:commit");
            let o = apply(ledger, agent, key, Command::CrossAccept { transfer })?;
            outcome_reply(&o, Reply::Committed)
        }
        Message::Abort { transfer, reason } => {
            let known = ledger
                .state()
                .cross
                .transfers
                .get(&transfer)
                .map(|t| t.status);
            match known {
                // Never prepared here (the prepare was lost): nothing to void.
                None => Reply::Aborted,
                Some(_) => {
                    let key = format!("link:{transfer}:abort");
                    let o = apply(ledger, agent, key, Command::CrossVoid { transfer, reason })?;
                    outcome_reply(&o, Reply::Aborted)
                }
            }
        }
        Message::List {} => Reply::Transfers {
            transfers: transfers_with(ledger, peer),
        },
    })
}

/// Serves `peer`'s messages on `listener`, one connection at a time, until `max_messages`
/// have been handled (forever when `None`).
pub fn serve(
    ledger: &mut Ledger,
    listener: &TcpListener,
    agent: &UserId,
    peer: &str,
    max_messages: Option<usize>,
) -> Result<(), LinkError> {
    let mut handled = 0usize;
    for stream in listener.incoming() {
        let stream = stream?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut out = stream;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                break;
            }
            let reply = match serde_json::from_str::<Message>(line.trim()) {
                Ok(m) => handle(ledger, agent, peer, m)?,
                Err(e) => Reply::Error {
                    message: format!("malformed message: {e}"),
                },
            };
            writeln!(out, "{}", serde_json::to_string(&reply)?)?;
            out.flush()?;
            handled += 1;
            if max_messages.is_some_and(|m| handled >= m) {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// One request/reply exchange with the peer at `addr`.
pub fn request(addr: &str, msg: &Message, timeout: Duration) -> Result<Reply, LinkError> {
    let target = addr
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| LinkError::Protocol(format!("{addr} resolves to nothing")))?;
    let stream = TcpStream::connect_timeout(&target, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut out = stream.try_clone()?;
    writeln!(out, "{}", serde_json::to_string(msg)?)?;
    out.flush()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    if line.trim().is_empty() {
        return Err(LinkError::Protocol(format!(
            "{addr} closed without replying"
        )));
    }
    Ok(serde_json::from_str(line.trim())?)
}

/// How a cross-registry transfer ended, as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendResult {
    pub transfer: TransferId,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Drives phase 2 of a cross-registry transfer the local `cross_send` left pending: prepare,
/// commit, post — or void on a rejection or a timeout.
pub fn complete(
    ledger: &mut Ledger,
    agent: &UserId,
    addr: &str,
    transfer: &TransferId,
    timeout: Duration,
) -> Result<SendResult, LinkError> {
    let t = ledger
        .state()
        .cross
        .transfers
        .get(transfer)
        .ok_or_else(|| LinkError::Protocol(format!("no cross-registry transfer {transfer}")))?
        .clone();
    if t.direction != Direction::Outbound || t.status != CrossStatus::Pending {
        return Err(LinkError::Protocol(format!(
            "{transfer} is not a pending outbound transfer"
        )));
    }
    let to = AccountId::parse(&t.remote_account)
        .map_err(|e| LinkError::Protocol(format!("remote account: {e}")))?;
    let void = |ledger: &mut Ledger, reason: String| -> Result<SendResult, LinkError> {
        let key = format!("link:{transfer}:void");
        let o = apply(
            ledger,
            agent,
            key,
            Command::CrossVoid {
                transfer: transfer.clone(),
                reason: reason.clone(),
            },
        )?;
        if let Outcome::Rejected(r) = o {
            return Err(LinkError::Protocol(format!("void refused: {r}")));
        }
        Ok(SendResult {
            transfer: transfer.clone(),
            status: "voided".into(),
            reason: Some(reason),
        })
    };
    // Best effort: the peer voids its pending side, if it has one; a lost abort leaves a
    // pending record that reconciliation reports.
    let abort = |reason: String| {
        let _ = request(
            addr,
            &Message::Abort {
                transfer: transfer.clone(),
                reason,
            },
            timeout,
        );
    };
    let prepare = Message::Prepare {
        transfer: transfer.clone(),
        from: t.account.to_string(),
        to,
        moves: t.moves.clone(),
    };
    match request(addr, &prepare, timeout) {
        Ok(Reply::Prepared) => {}
        Ok(Reply::Rejected { code, message }) => {
            return void(ledger, format!("refused by the peer: E{code} {message}"));
        }
        Ok(other) => return void(ledger, format!("unexpected reply to prepare: {other:?}")),
        Err(e) => {
            abort("timeout".into());
            return void(ledger, format!("no answer from the peer: {e}"));
        }
    }
    // The peer holds a pending record: retry the commit (idempotent) before giving up.
    let commit = Message::Commit {
        transfer: transfer.clone(),
    };
    let mut last = None;
    for _ in 0..3 {
        match request(addr, &commit, timeout) {
            Ok(Reply::Committed) => {
                let key = format!("link:{transfer}:post");
                let o = apply(
                    ledger,
                    agent,
                    key,
                    Command::CrossPost {
                        transfer: transfer.clone(),
                    },
                )?;
                if let Outcome::Rejected(r) = o {
                    return Err(LinkError::Protocol(format!("post refused: {r}")));
                }
                return Ok(SendResult {
                    transfer: transfer.clone(),
                    status: "posted".into(),
                    reason: None,
                });
            }
            Ok(Reply::Rejected { code, message }) => {
                abort(format!("commit refused: E{code}"));
                return void(
                    ledger,
                    format!("commit refused by the peer: E{code} {message}"),
                );
            }
            Ok(other) => last = Some(format!("{other:?}")),
            Err(e) => last = Some(e.to_string()),
        }
    }
    abort("timeout".into());
    void(
        ledger,
        format!("no commit from the peer: {}", last.unwrap_or_default()),
    )
}

/// Both journals' view of every cross-registry transfer between two registries.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciliation {
    pub ok: bool,
    pub transfers: usize,
    pub mismatches: Vec<String>,
    /// Serials posted out here and in there (and the reverse), per direction.
    pub sent_quantity: u64,
    pub received_quantity: u64,
}

/// Compares the local records with `peer`'s (from its `list` reply): every transfer is on both
/// sides with the opposite direction, the same serials, and a matching final status (posted on
/// both, or voided/absent on the receiving side when voided here).
pub fn reconcile(local: &[TransferLine], remote: &[TransferLine]) -> Reconciliation {
    let by_id: BTreeMap<&TransferId, &TransferLine> =
        remote.iter().map(|t| (&t.transfer, t)).collect();
    let mut mismatches = Vec::new();
    let (mut sent, mut received) = (0u64, 0u64);
    for l in local {
        let r = by_id.get(&l.transfer);
        use CrossStatus::{Pending, Posted, Voided};
        match (l.status, r) {
            (Posted, Some(r)) if r.status == Posted => {
                if r.direction == l.direction {
                    mismatches.push(format!("{}: {:?} on both sides", l.transfer, l.direction));
                }
                if r.moves != l.moves {
                    mismatches.push(format!("{}: the serials differ", l.transfer));
                }
                match l.direction {
                    Direction::Outbound => sent += l.quantity,
                    Direction::Inbound => received += l.quantity,
                }
            }
            (Voided, None) => {}
            (Voided, Some(r)) if r.status == Voided => {}
            (Pending, _) => mismatches.push(format!("{}: still pending here", l.transfer)),
            (s, None) => {
                mismatches.push(format!("{}: {s:?} here, unknown at the peer", l.transfer))
            }
            (s, Some(r)) => mismatches.push(format!(
                "{}: {s:?} here, {:?} at the peer",
                l.transfer, r.status
            )),
        }
    }
    let local_ids: std::collections::BTreeSet<&TransferId> =
        local.iter().map(|t| &t.transfer).collect();
    for r in remote {
        if !local_ids.contains(&r.transfer) && r.status != CrossStatus::Voided {
            mismatches.push(format!(
                "{}: {:?} at the peer, unknown here",
                r.transfer, r.status
            ));
        }
    }
    Reconciliation {
        ok: mismatches.is_empty(),
        transfers: local.len(),
        mismatches,
        sent_quantity: sent,
        received_quantity: received,
    }
}
