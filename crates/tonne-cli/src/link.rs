//! `tonne link …`: a sovereign registry's side of cross-registry transfers (see tonne-app's
//! `link` module): `serve` answers a peer's messages, `send` journals a transfer and drives the
//! two-phase exchange, `reconcile` compares both journals' records.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Duration;
use tonne_app::link::{self, Message, Reply};
use tonne_app::{Ledger, Outcome, open_existing_store};
use tonne_core::{AccountId, Timestamp, TransferId, UserId};
use tonne_registry::{COMMAND_FORMAT_VERSION, Command, Envelope, Leg};

#[derive(Subcommand)]
pub enum LinkCmd {
    /// Answer the messages of one peer registry (prepare, commit, abort, list).
    Serve {
        #[arg(long)]
        db: String,
        /// Address to listen on, e.g. 127.0.0.1:7401.
        #[arg(long)]
        listen: String,
        /// The id under which this registry knows the peer (its `add_peer`).
        #[arg(long)]
        peer: String,
        /// The link agent: an administrator or system user of this registry.
        #[arg(long, default_value = "system")]
        agent: String,
        /// Stop after this many messages (tests); serve forever when omitted.
        #[arg(long)]
        max_messages: Option<usize>,
    },
    /// Send serials to an account of a peer registry: journals `cross_send` as the
    /// representative, then prepares and commits with the peer (or voids).
    Send {
        #[arg(long)]
        db: String,
        /// Peer address, e.g. 127.0.0.1:7401.
        #[arg(long)]
        peer_addr: String,
        #[arg(long)]
        peer: String,
        #[arg(long)]
        transfer: String,
        #[arg(long)]
        from: String,
        /// The receiving account at the peer.
        #[arg(long)]
        to: String,
        /// Legs as JSON, e.g. '[{"series":{…},"quantity":100}]'.
        #[arg(long)]
        legs: String,
        /// The representative of `--from` who sends.
        #[arg(long)]
        actor: String,
        #[arg(long, default_value = "system")]
        agent: String,
        #[arg(long, default_value_t = 5_000)]
        timeout_ms: u64,
        #[arg(long)]
        json: bool,
    },
    /// Compare this registry's cross-registry transfers with the peer's; exit 1 on a mismatch.
    Reconcile {
        #[arg(long)]
        db: String,
        #[arg(long)]
        peer_addr: String,
        #[arg(long)]
        peer: String,
        #[arg(long, default_value_t = 5_000)]
        timeout_ms: u64,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: LinkCmd) -> Result<ExitCode> {
    match cmd {
        LinkCmd::Serve {
            db,
            listen,
            peer,
            agent,
            max_messages,
        } => {
            let agent = UserId::parse(&agent).with_context(|| "--agent")?;
            let mut ledger = Ledger::open(open_existing_store(&db)?)?;
            let listener =
                TcpListener::bind(&listen).with_context(|| format!("--listen {listen}"))?;
            eprintln!("link: serving peer {peer} on {}", listener.local_addr()?);
            link::serve(&mut ledger, &listener, &agent, &peer, max_messages)?;
            Ok(ExitCode::SUCCESS)
        }
        LinkCmd::Send {
            db,
            peer_addr,
            peer,
            transfer,
            from,
            to,
            legs,
            actor,
            agent,
            timeout_ms,
            json,
        } => {
            let transfer = TransferId::parse(&transfer).with_context(|| "--transfer")?;
            let from = AccountId::parse(&from).with_context(|| "--from")?;
            let legs: Vec<Leg> = serde_json::from_str(&legs).with_context(|| "--legs")?;
            let actor = UserId::parse(&actor).with_context(|| "--actor")?;
            let agent = UserId::parse(&agent).with_context(|| "--agent")?;
            let mut ledger = Ledger::open(open_existing_store(&db)?)?;
            let now = Timestamp::from_millis(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_millis() as i64,
            )?;
            let ts = ledger.state().last_ts.map_or(now, |l| l.max(now));
            let env = Envelope {
                v: COMMAND_FORMAT_VERSION,
                key: format!("link:{transfer}:send"),
                ts,
                actor,
                cmd: Command::CrossSend {
                    transfer: transfer.clone(),
                    from,
                    peer,
                    to,
                    legs,
                },
            };
            match ledger.execute(&env)? {
                Outcome::Rejected(r) => bail!("cross_send refused: {r}"),
                Outcome::Replayed(_) | Outcome::Accepted { .. } => {}
            }
            let r = link::complete(
                &mut ledger,
                &agent,
                &peer_addr,
                &transfer,
                Duration::from_millis(timeout_ms),
            )?;
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!(
                    "{}: {}{}",
                    r.transfer,
                    r.status,
                    r.reason
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default()
                );
            }
            Ok(if r.status == "posted" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        LinkCmd::Reconcile {
            db,
            peer_addr,
            peer,
            timeout_ms,
            json,
        } => {
            let ledger = Ledger::open(open_existing_store(&db)?)?;
            let local = link::transfers_with(&ledger, &peer);
            let remote = match link::request(
                &peer_addr,
                &Message::List {},
                Duration::from_millis(timeout_ms),
            )? {
                Reply::Transfers { transfers } => transfers,
                other => bail!("the peer answered list with {other:?}"),
            };
            let rec = link::reconcile(&local, &remote);
            if json {
                println!("{}", serde_json::to_string(&rec)?);
            } else {
                println!(
                    "{} transfers with {peer}: {}; sent {}, received {}",
                    rec.transfers,
                    if rec.ok {
                        "both journals agree"
                    } else {
                        "MISMATCH"
                    },
                    rec.sent_quantity,
                    rec.received_quantity
                );
                for m in &rec.mismatches {
                    println!("  {m}");
                }
            }
            Ok(if rec.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
