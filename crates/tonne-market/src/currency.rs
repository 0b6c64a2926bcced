//! The joint auction's two currencies (reference/cap-and-trade.md §1.1, CURRENCY):
//!
//! - bid evaluation, the settlement price and costs are in USD, in whole cents
//!   (REG-§95911(a)(4), VERIFIED; Auction Examples, VERIFIED);
//! - the auction exchange rate (AER) is the Bank of Canada daily average USD/CAD rate published on
//!   the business day before the auction (QC-s.54.1, VERIFIED);
//! - every CAD bid price and CAD bid guarantee is converted to USD, in whole cents, at the AER;
//!   a CAD payer owes the USD cost converted to CAD at the AER (Auction Examples, VERIFIED);
//! - the rounding direction of those conversions is UNVERIFIED, so it is a parameter
//!   ([`Rounding`], default half up, as the reference suggests).
//!
//! Amounts are integers (cents); the rate is an integer in millionths of a Canadian dollar per
//! US dollar. Nothing here goes through floats.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The currencies of the California–Québec joint auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Currency {
    USD,
    CAD,
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Currency::USD => "USD",
            Currency::CAD => "CAD",
        })
    }
}

/// How a conversion rounds to whole cents.
///
/// UNVERIFIED (reference/cap-and-trade.md §1.1: "rounding direction of the CAD -> USD
/// conversion: UNVERIFIED (parameter; default round-half-up to the cent; confirm against the
/// Detailed Auction Requirements)"). Half up also reproduces the published CAD joint minimums
/// from the USD reserve price (§2.2, DERIVED).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    #[default]
    HalfUp,
    Down,
    Up,
}

impl Rounding {
    /// `n / d` rounded to an integer this way (`d > 0`).
    pub fn div(self, n: u128, d: u128) -> u128 {
        assert!(d > 0, "a divisor is positive");
        match self {
            Rounding::Down => n / d,
            Rounding::Up => n.div_ceil(d),
            Rounding::HalfUp => (2 * n + d) / (2 * d),
        }
    }
}

/// Largest auction exchange rate accepted, CAD per USD (a sanity bound, not a rule).
pub const MAX_CAD_PER_USD: u64 = 100;

/// The auction exchange rate, CAD per USD, in millionths (1.3654 → 1_365_400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExchangeRate {
    cad_per_usd_micro: u64,
}

impl ExchangeRate {
    /// A positive rate in millionths of a CAD per USD.
    pub fn from_micro(cad_per_usd_micro: u64) -> Option<Self> {
        (cad_per_usd_micro > 0).then_some(Self { cad_per_usd_micro })
    }

    /// A decimal such as `1.3654`: at most six decimals (the Bank of Canada publishes four),
    /// positive, read exactly.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (text.contains('.') && !digits(frac)) || whole.len() > 6 {
            return Err(format!(
                "{text:?} is not an exchange rate in CAD per USD (e.g. 1.3654)"
            ));
        }
        if frac.len() > 6 {
            return Err(format!("{text:?} has more than six decimals"));
        }
        let w: u64 = whole.parse().expect("at most six digits");
        let f: u64 = format!("{frac:0<6}").parse().expect("six digits");
        let micro = w * 1_000_000 + f;
        Self::from_micro(micro)
            .filter(|_| micro <= MAX_CAD_PER_USD * 1_000_000)
            .ok_or_else(|| {
                format!("{text:?} is not a rate above 0 and at most {MAX_CAD_PER_USD} CAD per USD")
            })
    }

    pub fn cad_per_usd_micro(self) -> u64 {
        self.cad_per_usd_micro
    }

    /// CAD cents into USD cents: `cad × 10^6 / rate`, rounded `rounding`.
    pub fn cad_to_usd_cents(self, cad_cents: u64, rounding: Rounding) -> u64 {
        let usd = rounding.div(
            u128::from(cad_cents) * 1_000_000,
            u128::from(self.cad_per_usd_micro),
        );
        // The rate is at least 10^-6, so the result is at most cad × 10^6: fits u128; saturate
        // rather than wrap for absurd inputs (callers bound amounts far below this).
        u64::try_from(usd).unwrap_or(u64::MAX)
    }

    /// USD cents into CAD cents: `usd × rate / 10^6`, rounded `rounding`; `None` above u64.
    pub fn usd_to_cad_cents(self, usd_cents: u64, rounding: Rounding) -> Option<u64> {
        let cad = rounding.div(
            u128::from(usd_cents) * u128::from(self.cad_per_usd_micro),
            1_000_000,
        );
        u64::try_from(cad).ok()
    }

    /// An amount in `currency` into USD cents.
    pub fn to_usd_cents(self, cents: u64, currency: Currency, rounding: Rounding) -> u64 {
        match currency {
            Currency::USD => cents,
            Currency::CAD => self.cad_to_usd_cents(cents, rounding),
        }
    }
}

impl fmt::Display for ExchangeRate {
    /// `1.3654` (trailing zeros dropped).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, m) = (
            self.cad_per_usd_micro / 1_000_000,
            self.cad_per_usd_micro % 1_000_000,
        );
        if m == 0 {
            write!(f, "{w}")
        } else {
            let frac = format!("{m:06}");
            write!(f, "{w}.{}", frac.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_parses_exactly() {
        let r = ExchangeRate::parse("1.3654").unwrap();
        assert_eq!(r.cad_per_usd_micro(), 1_365_400);
        assert_eq!(r.to_string(), "1.3654");
        assert_eq!(ExchangeRate::parse("1").unwrap().to_string(), "1");
        for bad in [
            "",
            "0",
            "0.0",
            "-1.3",
            "1.2345678",
            "1e3",
            ".5",
            "1.",
            "abc",
            "101",
        ] {
            assert!(ExchangeRate::parse(bad).is_err(), "{bad}");
        }
    }

    /// reference/cap-and-trade.md §2.2 and §9, "CAD conversion of the minimum" (DERIVED):
    /// round(USD ARP × AER, 2) = C$19.09, C$36.72, C$38.15.
    #[test]
    fn cad_minimums_from_the_usd_reserve_price() {
        for (usd, aer, cad) in [
            (1453, "1.3138", 1909),
            (2587, "1.4194", 3672),
            (2794, "1.3654", 3815),
        ] {
            let r = ExchangeRate::parse(aer).unwrap();
            assert_eq!(
                r.usd_to_cad_cents(usd, Rounding::HalfUp),
                Some(cad),
                "{aer}"
            );
        }
    }

    #[test]
    fn rounding_directions() {
        let r = ExchangeRate::parse("1.3654").unwrap();
        // C$38.15 / 1.3654 = 27.9405… USD.
        assert_eq!(r.cad_to_usd_cents(3815, Rounding::HalfUp), 2794);
        assert_eq!(r.cad_to_usd_cents(3815, Rounding::Down), 2794);
        assert_eq!(r.cad_to_usd_cents(3815, Rounding::Up), 2795);
        assert_eq!(Rounding::HalfUp.div(5, 2), 3);
        assert_eq!(Rounding::HalfUp.div(7, 3), 2);
    }
}
