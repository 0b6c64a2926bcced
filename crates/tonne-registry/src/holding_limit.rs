//! Holding limits (reference/cap-and-trade.md §3).
//!
//! HL(budget) = 0.1 × 25,000,000 + 0.025 × (budget − 25,000,000) for budget > 25 M, i.e.
//! 1,875,000 + budget / 40 — QC-s.32 equations 32-1/32-2 (VERIFIED); California's formula
//! VERIFIED-SECONDARY (emissions-euets.com). At or below 25 M the limit is a configurable share of
//! the budget (UNVERIFIED, `RegistryRules::small_budget_limit_bp`). The budget is the sum of the
//! linked jurisdictions' annual budgets (QC-s.32, VERIFIED; California's use of it UNVERIFIED but
//! required for joint administration).

/// QC-s.32: the base quantity of the two-segment formula.
pub const BASE_ALLOWANCES: u64 = 25_000_000;
/// QC-s.32: 0.1 × BASE.
const BASE_LIMIT: u64 = 2_500_000;

/// Holding limit in allowances for a (combined) annual budget, rounded down.
pub fn holding_limit(budget: u64, small_budget_limit_bp: u32) -> u64 {
    if budget > BASE_ALLOWANCES {
        // 0.1·BASE + 0.025·(budget − BASE) = 2,500,000 − 625,000 + budget/40.
        BASE_LIMIT - BASE_ALLOWANCES / 40 + budget / 40
    } else {
        (u128::from(budget) * u128::from(small_budget_limit_bp) / 10_000) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// reference/cap-and-trade.md §3.3 (DERIVED from the VERIFIED formula, California-only
    /// budgets of REG-§95841 Table 6-1).
    #[test]
    fn golden_california_only_budgets() {
        for (budget, expected) in [
            (159_700_000, 5_867_500),
            (320_800_000, 9_895_000),
            (280_700_000, 8_892_500),
            (267_400_000, 8_560_000),
            (254_000_000, 8_225_000),
        ] {
            assert_eq!(holding_limit(budget, 1_000), expected, "budget {budget}");
        }
    }

    /// reference/cap-and-trade.md §3.3 example with UNVERIFIED Québec cap inputs: 2021 joint
    /// budget 320.8 M + 55.47 M.
    #[test]
    fn combined_budget_example_unverified_inputs() {
        assert_eq!(holding_limit(320_800_000 + 55_470_000, 1_000), 11_281_750);
    }

    #[test]
    fn small_budgets_use_the_configured_share() {
        assert_eq!(holding_limit(25_000_000, 1_000), 2_500_000); // continuous at BASE
        assert_eq!(holding_limit(25_000_040, 1_000), 2_500_001);
        assert_eq!(holding_limit(10_000_000, 1_000), 1_000_000);
        assert_eq!(holding_limit(10_000_000, 500), 500_000);
    }
}
