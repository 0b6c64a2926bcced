//! The versioned command format. A command file is JSON Lines of [`Envelope`]s; the same types,
//! encoded with postcard, are the journal's canonical payload.
//!
//! Enums are externally tagged (`{"propose_transfer": {...}}`) because the journal's binary
//! encoding cannot carry serde's internally tagged enums.

use crate::effect::Move;
use crate::rules::RegistryRules;
use serde::{Deserialize, Serialize};
use tonne_core::{
    AccountId, EntityId, GroupId, JurisdictionCode, ObligationId, SerialRange, SeriesKey,
    Timestamp, TransferId, UserId,
};

/// The command format this build reads and writes. Bump on any incompatible change; older
/// journals keep their own version number per entry.
pub const COMMAND_FORMAT_VERSION: u16 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Command format version.
    pub v: u16,
    /// Idempotency key chosen by the client: a retry with the same key and payload returns the
    /// stored result; the same key with another payload is rejected.
    pub key: String,
    pub ts: Timestamp,
    pub actor: UserId,
    pub cmd: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityType {
    /// Covered entity (REG-§95811).
    Covered,
    /// Opt-in covered entity (REG-§95813).
    OptIn,
    /// Voluntarily associated entity / market participant (REG-§95814).
    VoluntarilyAssociated,
    /// Offset project operator / authorized project designee (REG-§95830(c)).
    OffsetProjectOperator,
    /// Exchange clearing entity (REG-§95814 / exchange clearing holding accounts §95831).
    ExchangeClearing,
    /// A jurisdiction's own government accounts.
    Government,
}

impl EntityType {
    /// Account types each entity type may open (REG-§95831: at most one of each per entity).
    pub fn may_open(self, t: AccountType) -> bool {
        use AccountType as A;
        match self {
            Self::Covered | Self::OptIn => matches!(
                t,
                A::Holding | A::Compliance | A::LimitedUseHolding | A::AnnualAllocationHolding
            ),
            Self::VoluntarilyAssociated | Self::OffsetProjectOperator => t == A::Holding,
            Self::ExchangeClearing => t == A::ExchangeClearingHolding,
            Self::Government => t.is_government(),
        }
    }
    /// Entities subject to holding limits (REG-§95920(a): covered, opt-in and voluntarily
    /// associated entities).
    pub fn holding_limit_applies(self) -> bool {
        matches!(
            self,
            Self::Covered | Self::OptIn | Self::VoluntarilyAssociated
        )
    }
}

/// Account types of REG-§95831 / §95920(b) and the jurisdiction accounts of CITSS
/// (reference/cap-and-trade.md §7, registry-anchors.md §2.8). Retirement, cancellation and
/// invalidation are terminal serial states in Tonne rather than accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Holding,
    Compliance,
    LimitedUseHolding,
    ExchangeClearingHolding,
    AnnualAllocationHolding,
    Issuance,
    AuctionHolding,
    /// Allowance price containment reserve account (REG-§95913).
    Reserve,
    PriceCeiling,
    ForestBuffer,
}

impl AccountType {
    pub fn is_government(self) -> bool {
        matches!(
            self,
            Self::Issuance
                | Self::AuctionHolding
                | Self::Reserve
                | Self::PriceCeiling
                | Self::ForestBuffer
        )
    }
    /// Counted towards the holding limit (REG-§95920(b)(1)-(3) excludes limited use holding,
    /// exchange clearing holding and annual allocation holding accounts).
    pub fn counts_for_holding_limit(self) -> bool {
        matches!(self, Self::Holding | Self::Compliance)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepRole {
    /// Primary account representative (REG-§95832).
    Primary,
    /// Alternate account representative (up to four, §95832).
    Alternate,
    /// Account viewing agent: sees, never acts.
    ViewingAgent,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Registry operator: sets up jurisdictions, users, linkages and rules.
    Admin,
    /// A jurisdiction's program regulator (the Executive Officer in REG-§95921).
    Regulator { jurisdiction: JurisdictionCode },
    /// A person who may be made an account representative.
    Participant,
    /// Automated scheduler: may only run `tick`.
    System,
}

/// Transaction type disclosed with a transfer request (REG-§95921(b), UNVERIFIED detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionType {
    /// Between two accounts of the same entity.
    OwnAccounts,
    /// Bilateral secondary-market trade; price and settlement date required.
    Secondary,
    /// Trade on an exchange, cleared through an exchange clearing account.
    Exchange,
    /// No consideration (e.g. a corporate reorganisation); price recorded as zero.
    NoConsideration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Price per instrument in minor units of the currency (cents).
    pub unit_price_minor: u64,
    /// ISO 4217 code, e.g. USD, CAD, MXN.
    pub currency: String,
}

/// One series of instruments in a command: either a quantity (lowest serials first) or explicit
/// serial ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leg {
    pub series: SeriesKey,
    #[serde(default)]
    pub quantity: Option<u64>,
    #[serde(default)]
    pub ranges: Vec<SerialRange>,
}

/// What a reversal undoes, filled in by the application layer from the journal entry `seq`,
/// and checked by the state machine against its digest of that entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReversalSource {
    pub command: Box<Command>,
    pub moves: Vec<Move>,
}

impl ReversalSource {
    /// The reversible part of a journal entry: its moves, except that for the transfer workflow
    /// (confirm, accept, tick) only the serials that left escrow for transfers the entry
    /// executed count, attributed to the sending account.
    pub fn from_entry(state: &crate::State, command: &Command, effects: &[crate::Effect]) -> Self {
        use crate::effect::{Effect, Loc};
        let executed: Vec<&tonne_core::TransferId> = effects
            .iter()
            .filter_map(|f| match f {
                Effect::TransferStatus { transfer, status } if status == "executed" => {
                    Some(transfer)
                }
                _ => None,
            })
            .collect();
        let workflow = matches!(
            command,
            Command::ConfirmTransfer { .. } | Command::AcceptTransfer { .. } | Command::Tick {}
        );
        let moves = effects
            .iter()
            .filter_map(|f| match f {
                Effect::Moved(m) if !workflow => Some(m.clone()),
                Effect::Moved(m) => match &m.from {
                    Loc::Escrow(t) if executed.contains(&t) && matches!(m.to, Loc::Account(_)) => {
                        let sender = state.transfers.get(t)?.from.clone();
                        Some(Move {
                            from: Loc::Account(sender),
                            ..m.clone()
                        })
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        Self {
            command: Box::new(command.clone()),
            moves,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// First command of every registry: names it and makes the actor its administrator.
    Genesis {
        name: String,
        rules: RegistryRules,
    },
    SetRules {
        rules: RegistryRules,
    },
    AddJurisdiction {
        code: JurisdictionCode,
        name: String,
        /// IANA time zone for deadlines and business days, e.g. America/Los_Angeles.
        time_zone: String,
        currency: String,
        #[serde(default)]
        holidays: Vec<String>,
    },
    AddUser {
        user: UserId,
        name: String,
        role: UserRole,
    },
    /// Declares that instruments of each jurisdiction may be held and surrendered in the other
    /// from `effective` on (e.g. California–Québec from 2014-01-01).
    Link {
        a: JurisdictionCode,
        b: JurisdictionCode,
        effective: Timestamp,
    },
    /// Ends a linkage from `effective` on: later acquisitions of the other's instruments and
    /// surrenders of them are refused.
    Delink {
        a: JurisdictionCode,
        b: JurisdictionCode,
        effective: Timestamp,
    },
    /// Annual allowance budget of a jurisdiction (e.g. REG-§95841 Table 6-1).
    SetBudget {
        jurisdiction: JurisdictionCode,
        year: u16,
        allowances: u64,
    },
    RegisterEntity {
        entity: EntityId,
        jurisdiction: JurisdictionCode,
        name: String,
        entity_type: EntityType,
        /// Direct corporate association group; defaults to the entity alone.
        #[serde(default)]
        group: Option<GroupId>,
    },
    SetCorporateAssociation {
        entity: EntityId,
        group: GroupId,
    },
    OpenAccount {
        account: AccountId,
        entity: EntityId,
        account_type: AccountType,
    },
    SetRepresentative {
        account: AccountId,
        user: UserId,
        role: RepRole,
    },
    RemoveRepresentative {
        account: AccountId,
        user: UserId,
    },
    FreezeAccount {
        account: AccountId,
        reason: String,
    },
    UnfreezeAccount {
        account: AccountId,
        reason: String,
    },
    CloseAccount {
        account: AccountId,
        reason: String,
    },
    AddTrustedAccount {
        account: AccountId,
        trusted: AccountId,
    },
    RemoveTrustedAccount {
        account: AccountId,
        trusted: AccountId,
    },
    /// Creates fresh serials at the end of the series, into a government account.
    Issue {
        series: SeriesKey,
        quantity: u64,
        to: AccountId,
    },
    /// Free allocation from a government account (checks eligibility and holding limits).
    Allocate {
        from: AccountId,
        to: AccountId,
        legs: Vec<Leg>,
    },
    /// A transfer executed by the regulator in one step (REG-§95921: no confirmation needed for
    /// transfers by the Executive Officer). Every execution check applies.
    ExecuteTransfer {
        from: AccountId,
        to: AccountId,
        legs: Vec<Leg>,
        reason: String,
    },
    ProposeTransfer {
        transfer: TransferId,
        from: AccountId,
        to: AccountId,
        legs: Vec<Leg>,
        transaction_type: TransactionType,
        #[serde(default)]
        price: Option<Price>,
        /// Agreed settlement date, YYYY-MM-DD.
        #[serde(default)]
        settlement_date: Option<String>,
    },
    ConfirmTransfer {
        transfer: TransferId,
    },
    AcceptTransfer {
        transfer: TransferId,
    },
    DeclineTransfer {
        transfer: TransferId,
        reason: String,
    },
    CancelTransfer {
        transfer: TransferId,
        reason: String,
    },
    RecordObligation {
        obligation: ObligationId,
        entity: EntityId,
        jurisdiction: JurisdictionCode,
        /// Label such as "CP5-2024-annual".
        label: String,
        first_year: u16,
        last_year: u16,
        quantity: u64,
        /// Verified emissions reports this obligation is computed from: the quantity must be
        /// the sum of their verified covered emissions, each rounded to whole tonnes at the
        /// obligation boundary. Empty for an obligation set directly by the regulator.
        #[serde(default)]
        from_reports: Vec<String>,
    },
    /// A step of MRV third-party verification (submit a report, accredit, assess conflicts,
    /// assign, findings, review, statement); see tonne-mrv's verification workflow.
    Verification(Box<tonne_mrv::verification::workflow::VerificationCommand>),
    Surrender {
        obligation: ObligationId,
        account: AccountId,
        legs: Vec<Leg>,
    },
    Retire {
        account: AccountId,
        legs: Vec<Leg>,
        beneficiary: String,
        purpose: String,
    },
    /// Invalidates offset credits wherever they are held (REG-§95985).
    Invalidate {
        series: SeriesKey,
        ranges: Vec<SerialRange>,
        reason: String,
    },
    Cancel {
        account: AccountId,
        legs: Vec<Leg>,
        reason: String,
    },
    Reverse {
        seq: u64,
        reason: String,
        #[serde(default)]
        original: Option<ReversalSource>,
    },
    /// Expires overdue transfer requests and executes delayed transfers that are due.
    Tick {},
    // Market operations (issue #4). New variants go at the end: the journal's encoding numbers
    // variants by position.
    /// A jurisdiction's compliance rules: offset limits, retirement order, untimely surrender,
    /// treatment after a delink.
    SetComplianceRules {
        jurisdiction: JurisdictionCode,
        rules: crate::market::ComplianceRules,
    },
    /// Attributes of an offset project that the usage limits ask about (REG-§95854(d)-(e)).
    RegisterOffsetProject {
        project: String,
        jurisdiction: JurisdictionCode,
        sector_based: bool,
        direct_environmental_benefits: bool,
    },
    /// Delivers an auction's awards from auction holding accounts to the winners' holding
    /// accounts at the settlement price, and records proceeds per jurisdiction and consignor.
    SettleAuction {
        auction: String,
        price: Price,
        deliveries: Vec<crate::market::AuctionDelivery>,
    },
    /// A reserve sale (REG-§95913) or price ceiling sale (REG-§95915) to a covered or opt-in
    /// entity's compliance account.
    Sale {
        sale: String,
        kind: crate::market::SaleKind,
        price: Price,
        from: AccountId,
        to: AccountId,
        legs: Vec<Leg>,
    },
    /// The compliance event of `obligations`: each entity's compliance account surrenders in the
    /// retirement order within the offset limits; a shortfall creates the untimely-surrender
    /// obligation (REG-§95857).
    ComplianceEvent {
        jurisdiction: JurisdictionCode,
        obligations: Vec<ObligationId>,
    },
    /// Declares a sovereign peer registry and the jurisdictions it hosts (administrator).
    AddPeer {
        peer: String,
        name: String,
        jurisdictions: Vec<JurisdictionCode>,
    },
    /// Phase 1 on the sending registry: a representative sends serials to an account of a
    /// peer registry; they are reserved until the peer answers.
    CrossSend {
        transfer: TransferId,
        from: AccountId,
        peer: String,
        to: String,
        legs: Vec<Leg>,
    },
    /// Phase 2 on the sending registry (link agent): the peer accepted; the serials are held
    /// abroad from now on.
    CrossPost {
        transfer: TransferId,
    },
    /// The link agent ends a pending cross-registry transfer (rejected by the peer or timed
    /// out): reserved serials return to the sender.
    CrossVoid {
        transfer: TransferId,
        reason: String,
    },
    /// Phase 1 on the receiving registry (link agent): every acquisition check; recorded as
    /// pending.
    CrossReceive {
        transfer: TransferId,
        peer: String,
        from: String,
        to: AccountId,
        moves: Vec<crate::cross::CrossMove>,
    },
    /// Phase 2 on the receiving registry (link agent): the serials arrive.
    CrossAccept {
        transfer: TransferId,
    },
    /// An obligation the registry computes from verified reports: `share_bp` of their verified
    /// covered emissions (an annual obligation: 3,000 in the California example, UNVERIFIED)
    /// less the obligations in `less` (the full-period obligation: 10,000 less the annual ones).
    RecordObligationFromReports {
        obligation: ObligationId,
        entity: EntityId,
        jurisdiction: JurisdictionCode,
        label: String,
        first_year: u16,
        last_year: u16,
        from_reports: Vec<String>,
        share_bp: u32,
        #[serde(default)]
        less: Vec<ObligationId>,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Genesis { .. } => "genesis",
            Self::SetRules { .. } => "set_rules",
            Self::AddJurisdiction { .. } => "add_jurisdiction",
            Self::AddUser { .. } => "add_user",
            Self::Link { .. } => "link",
            Self::Delink { .. } => "delink",
            Self::SetBudget { .. } => "set_budget",
            Self::RegisterEntity { .. } => "register_entity",
            Self::SetCorporateAssociation { .. } => "set_corporate_association",
            Self::OpenAccount { .. } => "open_account",
            Self::SetRepresentative { .. } => "set_representative",
            Self::RemoveRepresentative { .. } => "remove_representative",
            Self::FreezeAccount { .. } => "freeze_account",
            Self::UnfreezeAccount { .. } => "unfreeze_account",
            Self::CloseAccount { .. } => "close_account",
            Self::AddTrustedAccount { .. } => "add_trusted_account",
            Self::RemoveTrustedAccount { .. } => "remove_trusted_account",
            Self::Issue { .. } => "issue",
            Self::Allocate { .. } => "allocate",
            Self::ExecuteTransfer { .. } => "execute_transfer",
            Self::ProposeTransfer { .. } => "propose_transfer",
            Self::ConfirmTransfer { .. } => "confirm_transfer",
            Self::AcceptTransfer { .. } => "accept_transfer",
            Self::DeclineTransfer { .. } => "decline_transfer",
            Self::CancelTransfer { .. } => "cancel_transfer",
            Self::RecordObligation { .. } => "record_obligation",
            Self::Verification(_) => "verification",
            Self::Surrender { .. } => "surrender",
            Self::Retire { .. } => "retire",
            Self::Invalidate { .. } => "invalidate",
            Self::Cancel { .. } => "cancel",
            Self::Reverse { .. } => "reverse",
            Self::Tick {} => "tick",
            Self::SetComplianceRules { .. } => "set_compliance_rules",
            Self::RegisterOffsetProject { .. } => "register_offset_project",
            Self::SettleAuction { .. } => "settle_auction",
            Self::Sale { .. } => "sale",
            Self::ComplianceEvent { .. } => "compliance_event",
            Self::AddPeer { .. } => "add_peer",
            Self::CrossSend { .. } => "cross_send",
            Self::CrossPost { .. } => "cross_post",
            Self::CrossVoid { .. } => "cross_void",
            Self::CrossReceive { .. } => "cross_receive",
            Self::CrossAccept { .. } => "cross_accept",
            Self::RecordObligationFromReports { .. } => "record_obligation_from_reports",
        }
    }
}
