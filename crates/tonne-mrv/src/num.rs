//! Exact decimals. Quantification is done in `rust_decimal` (28 significant digits); results are
//! reported unrounded, and rounding happens only at the boundaries named in [`round`].

use rust_decimal::Decimal;
use std::str::FromStr;

pub use rust_decimal::Decimal as Dec;

/// Parses a plain decimal number (`12`, `-0.5`, `1.026e-3`). Rejects empty strings, NaN and
/// infinities, and anything beyond 28 significant digits' range.
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("a number is required".into());
    }
    let parsed = if s.contains(['e', 'E']) {
        Decimal::from_scientific(s)
    } else {
        Decimal::from_str(s)
    };
    parsed.map_err(|_| format!("{s:?} is not a decimal number"))
}

/// Named rounding boundaries: the only places a quantity is rounded.
pub mod round {
    use rust_decimal::{Decimal, RoundingStrategy};

    /// Covered emissions become a compliance obligation in whole metric tons of CO2e. Rounded
    /// half away from zero, the common convention; the rounding rule of a programme's
    /// obligation is UNVERIFIED in reference/mrv.md and so a parameter of the programme.
    pub fn obligation_tonnes(co2e_t: Decimal, strategy: RoundingStrategy) -> Decimal {
        co2e_t.round_dp_with_strategy(0, strategy)
    }
}

/// Serialises a decimal as a JSON number with every digit it has (no float conversion).
pub fn json_number(d: Decimal) -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string(d.normalize().to_string())
        .expect("a decimal is a JSON number")
}

/// `serde(serialize_with)` adapter for [`json_number`].
pub fn ser_json_number<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&json_number(*d), s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_and_prints_exactly() {
        assert_eq!(parse_decimal("1.026e-3").unwrap(), dec!(0.001026));
        assert_eq!(parse_decimal(" 10206.480 ").unwrap(), dec!(10206.48));
        assert!(parse_decimal("NaN").is_err());
        assert!(parse_decimal("").is_err());
        assert!(parse_decimal("1e400").is_err());
        assert_eq!(json_number(dec!(10206.4800)).get(), "10206.48");
        assert_eq!(json_number(dec!(5306.000)).get(), "5306");
        assert_eq!(json_number(dec!(-0.5)).get(), "-0.5");
    }
}
