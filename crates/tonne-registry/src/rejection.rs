//! Rejections: a stable numbered code and a message a user can act on. Codes never change
//! meaning; new ones are appended. 1xxx: envelope and authority; 2xxx: references; 3xxx:
//! execution checks; 4xxx: workflow state.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! codes {
    ($($name:ident = $num:literal, $slug:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Code { $($name,)* }
        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];
            pub fn number(self) -> u16 { match self { $(Code::$name => $num,)* } }
            pub fn slug(self) -> &'static str { match self { $(Code::$name => $slug,)* } }
        }
    };
}

codes! {
    UnsupportedVersion = 1001, "unsupported_version";
    UnknownActor = 1002, "unknown_actor";
    NotAuthorized = 1003, "not_authorized";
    IdempotencyConflict = 1004, "idempotency_key_reused";
    Genesis = 1005, "genesis";
    TimeWentBackwards = 1006, "time_went_backwards";
    InvalidField = 1007, "invalid_field";
    UnknownAccount = 2001, "unknown_account";
    UnknownEntity = 2002, "unknown_entity";
    UnknownJurisdiction = 2003, "unknown_jurisdiction";
    UnknownTransfer = 2004, "unknown_transfer";
    UnknownObligation = 2005, "unknown_obligation";
    UnknownUser = 2006, "unknown_user";
    DuplicateId = 2007, "duplicate_id";
    UnknownSeries = 2008, "unknown_series";
    UnknownEntry = 2009, "unknown_journal_entry";
    InsufficientHolding = 3001, "insufficient_holding";
    SerialsNotHeld = 3002, "serials_not_held";
    AccountTypeNotEligible = 3003, "account_type_not_eligible";
    HoldingLimitExceeded = 3004, "holding_limit_exceeded";
    AccountFrozen = 3005, "account_frozen";
    AccountClosed = 3006, "account_closed";
    NotLinked = 3007, "jurisdictions_not_linked";
    VintageNotEligible = 3008, "vintage_not_eligible";
    QuantityOutOfRange = 3009, "quantity_out_of_range";
    UntrustedTransferCap = 3010, "untrusted_transfer_cap";
    NoBudget = 3011, "no_budget_for_holding_limit";
    ExceedsObligation = 3012, "exceeds_obligation";
    NeedsTwoRepresentatives = 3013, "needs_two_representatives";
    InstrumentNotEligible = 3014, "instrument_not_eligible";
    SerialLimit = 3015, "serial_limit";
    TransferNotPending = 4001, "transfer_not_pending";
    SameRepresentative = 4002, "same_representative";
    WindowExpired = 4003, "window_expired";
    NotReversible = 4004, "not_reversible";
    AlreadyReversed = 4005, "already_reversed";
    VerificationInvalid = 5001, "verification_invalid";
    VerificationUnknown = 5002, "verification_unknown";
    VerificationNotAuthorized = 5003, "verification_not_authorized";
    AccreditationExpired = 5004, "accreditation_expired";
    ConflictOfInterest = 5005, "conflict_of_interest";
    RotationLimit = 5006, "verification_rotation_limit";
    VerificationWrongState = 5007, "verification_wrong_state";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct Rejection {
    pub code: Code,
    pub message: String,
}

impl Rejection {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "E{} {}: {}",
            self.code.number(),
            self.code.slug(),
            self.message
        )
    }
}

/// Shorthand for building a rejection in `?` chains.
pub(crate) fn reject<T>(code: Code, message: impl Into<String>) -> Result<T, Rejection> {
    Err(Rejection::new(code, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_stable() {
        let nums: HashSet<u16> = Code::ALL.iter().map(|c| c.number()).collect();
        assert_eq!(nums.len(), Code::ALL.len());
        // Pinned: these numbers are a public contract.
        assert_eq!(Code::InsufficientHolding.number(), 3001);
        assert_eq!(Code::HoldingLimitExceeded.number(), 3004);
        assert_eq!(Code::IdempotencyConflict.number(), 1004);
    }
}
