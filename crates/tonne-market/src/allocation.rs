//! Output-based industrial (leakage-prevention) allocation, REG-§95891 (reference/
//! cap-and-trade.md §6.1): `A_t = InitialAllocation_t + TrueUp_t`, where the initial allocation
//! estimates year t's output by the output reported for t−2 (VERIFIED) and the true-up corrects
//! year t−2's allocation to its actual output. The formula detail is UNVERIFIED:
//!
//! ```text
//! InitialAllocation_t = Σ_a O_{a,t-2} × B_a × AF_{a,t}   × c_{a,t}
//! TrueUp_t            = Σ_a O_{a,t-2} × B_a × AF_{a,t-2} × c_{a,t-2} − InitialAllocation_{t-2}
//! ```
//!
//! so every factor is an input: benchmarks (Table 9-1), assistance factors and cap adjustment
//! factors (Table 9-2) are UNVERIFIED in the pack and come from the caller's programme data.
//! The sum is exact; allowances are whole, and the rounding to them (UNVERIFIED) is a parameter.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// One product-output-based activity of a facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub activity: String,
    /// O_{a,t-2}: output reported for year t−2, in the benchmark's unit.
    #[serde(with = "rust_decimal::serde::str")]
    pub output: Decimal,
    /// B_a: allowances per unit of output.
    #[serde(with = "rust_decimal::serde::str")]
    pub benchmark: Decimal,
    /// AF and c for year t.
    #[serde(with = "rust_decimal::serde::str")]
    pub assistance_factor: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cap_adjustment_factor: Decimal,
    /// AF and c for year t−2 (for the true-up).
    #[serde(with = "rust_decimal::serde::str")]
    pub assistance_factor_t_minus_2: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cap_adjustment_factor_t_minus_2: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    pub facility: String,
    pub year: u16,
    pub activities: Vec<Activity>,
    /// Allowances allocated as the initial allocation of year t−2 (from the registry).
    pub initial_allocation_t_minus_2: u64,
    /// How the exact sum becomes whole allowances: `down` (default) or `half_up`.
    #[serde(default)]
    pub rounding: Rounding,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Never allocate a fraction not earned (UNVERIFIED choice).
    #[default]
    Down,
    HalfUp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityResult {
    pub activity: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub initial: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub true_up_basis: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    pub facility: String,
    pub year: u16,
    pub activities: Vec<ActivityResult>,
    /// Exact sums.
    #[serde(with = "rust_decimal::serde::str")]
    pub initial_exact: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub true_up_exact: Decimal,
    /// Whole allowances: the initial allocation, the true-up (negative when t−2 was
    /// over-allocated), and the year's total, never below zero.
    pub initial: u64,
    pub true_up: i64,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("activities[{index}].{field}: {message}")]
pub struct AllocationError {
    pub index: usize,
    pub field: &'static str,
    pub message: String,
}

fn whole(d: Decimal, r: Rounding) -> Decimal {
    match r {
        Rounding::Down => d.round_dp_with_strategy(0, RoundingStrategy::ToNegativeInfinity),
        Rounding::HalfUp => d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero),
    }
}

fn to_i128(d: Decimal) -> i128 {
    d.mantissa() / 10i128.pow(d.scale())
}

pub fn allocate(input: &AllocationInput) -> Result<Allocation, AllocationError> {
    let mut results = Vec::with_capacity(input.activities.len());
    let (mut initial, mut basis) = (Decimal::ZERO, Decimal::ZERO);
    for (index, a) in input.activities.iter().enumerate() {
        for (field, v, max) in [
            ("output", a.output, None),
            ("benchmark", a.benchmark, None),
            ("assistance_factor", a.assistance_factor, Some(Decimal::ONE)),
            (
                "cap_adjustment_factor",
                a.cap_adjustment_factor,
                Some(Decimal::ONE),
            ),
            (
                "assistance_factor_t_minus_2",
                a.assistance_factor_t_minus_2,
                Some(Decimal::ONE),
            ),
            (
                "cap_adjustment_factor_t_minus_2",
                a.cap_adjustment_factor_t_minus_2,
                Some(Decimal::ONE),
            ),
        ] {
            if v < Decimal::ZERO || max.is_some_and(|m| v > m) {
                return Err(AllocationError {
                    index,
                    field,
                    message: format!(
                        "{v} is out of range ({})",
                        if max.is_some() {
                            "a factor between 0 and 1"
                        } else {
                            "not negative"
                        }
                    ),
                });
            }
        }
        let base = a.output * a.benchmark;
        let i = base * a.assistance_factor * a.cap_adjustment_factor;
        let b = base * a.assistance_factor_t_minus_2 * a.cap_adjustment_factor_t_minus_2;
        initial += i;
        basis += b;
        results.push(ActivityResult {
            activity: a.activity.clone(),
            initial: i.normalize(),
            true_up_basis: b.normalize(),
        });
    }
    let true_up_exact = basis - Decimal::from(input.initial_allocation_t_minus_2);
    let initial_whole = to_i128(whole(initial, input.rounding));
    let true_up_whole = to_i128(whole(true_up_exact, input.rounding));
    let total = (initial_whole + true_up_whole).max(0);
    Ok(Allocation {
        facility: input.facility.clone(),
        year: input.year,
        activities: results,
        initial_exact: initial.normalize(),
        true_up_exact: true_up_exact.normalize(),
        initial: u64::try_from(initial_whole).unwrap_or(u64::MAX),
        true_up: i64::try_from(true_up_whole).unwrap_or(i64::MAX),
        total: u64::try_from(total).unwrap_or(u64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// Cement-like activity: 1,000,000 t clinker × 0.742 allowances/t × AF 1 × c 0.725 (2024)
    /// = 537,950; t−2 (2022) basis with c 0.790 and the same output = 586,180; allocated then
    /// 580,000 → true-up +6,180; total 544,130 (illustrative factors, not Table 9-2 values).
    #[test]
    fn initial_plus_true_up() {
        let a = Activity {
            activity: "clinker".into(),
            output: dec!(1000000),
            benchmark: dec!(0.742),
            assistance_factor: dec!(1),
            cap_adjustment_factor: dec!(0.725),
            assistance_factor_t_minus_2: dec!(1),
            cap_adjustment_factor_t_minus_2: dec!(0.790),
        };
        let input = AllocationInput {
            facility: "F".into(),
            year: 2024,
            activities: vec![a.clone()],
            initial_allocation_t_minus_2: 580_000,
            rounding: Rounding::Down,
        };
        let r = allocate(&input).unwrap();
        assert_eq!((r.initial, r.true_up, r.total), (537_950, 6_180, 544_130));
        // Over-allocated two years ago: a negative true-up, the total never below zero.
        let over = AllocationInput {
            initial_allocation_t_minus_2: 2_000_000,
            ..input.clone()
        };
        let r = allocate(&over).unwrap();
        assert_eq!((r.true_up, r.total), (-1_413_820, 0));
        let bad = AllocationInput {
            activities: vec![Activity {
                cap_adjustment_factor: dec!(1.2),
                ..a
            }],
            ..input
        };
        assert_eq!(allocate(&bad).unwrap_err().field, "cap_adjustment_factor");
    }
}
