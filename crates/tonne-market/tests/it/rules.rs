//! Programme rules as data: the shipped California and Québec files, the golden vectors of
//! reference/cap-and-trade.md §9, and validation errors that name the field.

use tonne_market::rules::{ProgramRules, builtin, joint_reserve_price_cents};

#[test]
fn california_golden_vectors() {
    let ca = builtin("US-CA").unwrap();
    // ARP chain 2023 → 2026: published values (VERIFIED / VERIFIED-SECONDARY), not recomputed.
    let chain: Vec<u64> = (2023..=2026)
        .map(|y| ca.reserve_price(y).unwrap())
        .collect();
    assert_eq!(chain, [2221, 2404, 2587, 2794]);
    assert_eq!(ca.reserve_price(2012), Some(1000));
    // Price ceiling 2021 = $65.00 (VERIFIED, REG-§95915(f)(1)).
    assert_eq!(ca.price_tiers[&2021].ceiling_cents, 6500);
    // Budgets 2032+: 193.8 − 6.7 n → 2045 = 100.0 M; 2050 = 66.5 M (DERIVED).
    assert_eq!(ca.budgets[&2045].value, 100_000_000);
    assert_eq!(ca.budgets[&2050].value, 66_500_000);
    // Holding limit, California-only 2026 budget (DERIVED, §3.3).
    assert_eq!(ca.holding_limit(ca.budgets[&2026].value), 8_225_000);
    // Offset caps for S = 1,000,000 t: 40,000 (2024, 2025), 60,000 (2026); ≤ half non-DEBS.
    assert_eq!(
        ca.offset_caps(2024, 1_000_000),
        Some((40_000, 20_000, Some(20_000)))
    );
    assert_eq!(ca.offset_caps(2025, 1_000_000).unwrap().0, 40_000);
    assert_eq!(
        ca.offset_caps(2026, 1_000_000),
        Some((60_000, 30_000, Some(30_000)))
    );
    // Untimely surrender: excess 10,000 → 40,000 instruments, ≥ 30,000 allowances.
    assert_eq!(ca.untimely_obligation(10_000), (40_000, 30_000));
    assert_eq!(ca.period(2025).unwrap().name, "CP5");
}

/// The joint minimum is the higher of the partners' minimums, CAD converted at the auction
/// exchange rate: Feb 2026, C$38.15 at 1.3654 CAD/USD = US$27.94 (= California's ARP).
#[test]
fn joint_reserve_price() {
    assert_eq!(joint_reserve_price_cents(2794, 3815, 1_365_400), 2794);
    assert_eq!(joint_reserve_price_cents(2700, 3815, 1_365_400), 2794);
    // Joint 2021 holding limit with Québec's UNVERIFIED cap: 1,875,000 + (320.8 M + 55.47 M)/40.
    let (ca, qc) = (builtin("US-CA").unwrap(), builtin("CA-QC").unwrap());
    let combined = ca.budgets[&2021].value + qc.budgets[&2021].value;
    assert_eq!(ca.holding_limit(combined), 11_281_750);
    assert_eq!(qc.compliance.retirement_order.value[0], "offset_credit");
}

#[test]
fn validation_names_the_field() {
    let text = include_str!("../../data/us-ca.json");
    let cases = [
        (
            text.replacen("\"mark\": \"VERIFIED\"", "\"mark\": \"PROBABLY\"", 1),
            "budgets.2013.mark",
        ),
        (
            text.replacen("\"tier1_cents\": 4140", "\"tier1_cents\": 99999", 1),
            "price_tiers.2021",
        ),
        (
            text.replacen("\"first_year\": 2018", "\"first_year\": 2016", 1),
            "offset_limits[1]",
        ),
        (
            text.replacen("\"covered_bp\": 2500", "\"covered_bp\": 25000", 1),
            "purchase_limits.covered_bp",
        ),
        (
            text.replacen("\"currency\"", "\"currencyy\"", 1),
            "currencyy",
        ),
    ];
    for (bad, path) in cases {
        let e = ProgramRules::parse(&bad).unwrap_err();
        assert!(
            e.path.starts_with(path) || e.to_string().contains(path),
            "{path}: {e}"
        );
    }
}
