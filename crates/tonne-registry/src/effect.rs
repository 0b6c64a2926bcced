//! What an applied command did: serial movements and status changes. Recorded in the journal and
//! recomputed on replay, so `verify` proves the recorded effects follow from the commands.

use serde::{Deserialize, Serialize};
use std::fmt;
use tonne_core::{AccountId, SerialRange, SeriesKey, TransferId};

/// Where a serial is. Every issued serial is in exactly one place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loc {
    /// Not yet issued (only as the source of an issuance).
    Unissued,
    /// Held by an account.
    Account(AccountId),
    /// Held by the transferring account but reserved for a pending transfer.
    Escrow(TransferId),
    Retired,
    Cancelled,
    Invalidated,
    /// Reserved for a cross-registry transfer to a peer registry until it is posted or voided.
    Outbound(TransferId),
    /// Held in a peer registry (sent there by a posted cross-registry transfer).
    Peer(String),
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unissued => f.write_str("unissued"),
            Self::Account(a) => write!(f, "account:{a}"),
            Self::Escrow(t) => write!(f, "escrow:{t}"),
            Self::Retired => f.write_str("retired"),
            Self::Cancelled => f.write_str("cancelled"),
            Self::Invalidated => f.write_str("invalidated"),
            Self::Outbound(t) => write!(f, "outbound:{t}"),
            Self::Peer(p) => write!(f, "peer:{p}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Move {
    pub series: SeriesKey,
    pub range: SerialRange,
    pub from: Loc,
    pub to: Loc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Moved(Move),
    TransferStatus {
        transfer: TransferId,
        status: String,
    },
    /// A verification workflow step (tonne-mrv), e.g. the statement issued for a report.
    Verification(tonne_mrv::verification::workflow::VerificationEffect),
    /// An auction settled, a sale, a compliance event's finding (issue #4).
    Market(crate::market::MarketEffect),
}
