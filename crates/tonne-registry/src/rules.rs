//! Registry-wide rules that vary by program. Defaults follow the reference pack; values it marks
//! UNVERIFIED are fields here, never constants.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryRules {
    /// Days within which another representative of the transferring entity must confirm a
    /// transfer request. REG-§95921 via reference/registry-anchors.md §2.8 ("2 days").
    pub confirm_window_days: u32,
    /// Days from the request within which the receiving account must accept.
    /// REG-§95921 via reference/registry-anchors.md §2.8 ("the remainder of 3 days").
    pub accept_window_days: u32,
    /// Whether the windows count business days. UNVERIFIED for §95921 (the reference says
    /// "days"); Washington's WAC 173-446-420(2) counts business days. Default: calendar days.
    pub windows_in_business_days: bool,
    /// Holding limit for a combined budget of at most 25 M allowances, in basis points of the
    /// budget. UNVERIFIED: reference/cap-and-trade.md §3 gives only the formula above 25 M;
    /// issue #2 asks for 10 % as a configurable rule.
    pub small_budget_limit_bp: u32,
    /// EU-Union-Registry-style trusted account list; `None` disables it (CITSS has none).
    pub trusted_accounts: Option<TrustedAccountRules>,
}

/// Union Registry controls (reference/registry-anchors.md §2.9): a trusted account list whose
/// entries activate after a delay; transfers outside it wait and may be capped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedAccountRules {
    /// Business days before a new trusted-list entry is active (4 in Sweden, 7 in Denmark —
    /// registry-anchors.md §2.9/§4).
    pub activation_business_days: u32,
    /// Hours a transfer to an account outside the list waits before execution (26 h in the EU,
    /// registry-anchors.md §2.9; counted here as elapsed hours, not opening hours).
    pub untrusted_delay_hours: u32,
    /// Largest quantity of one transfer to an account outside the list; `None` for no cap.
    pub untrusted_max_quantity: Option<u64>,
}

impl Default for RegistryRules {
    fn default() -> Self {
        Self {
            confirm_window_days: 2,
            accept_window_days: 3,
            windows_in_business_days: false,
            small_budget_limit_bp: 1_000,
            trusted_accounts: None,
        }
    }
}
