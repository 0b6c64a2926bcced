//! Exact scaled integers. Inputs are plain decimals with a bounded number of decimal places,
//! read into integers at a fixed scale; hourly masses are products of those integers (u128)
//! and sums never round. [`Exact`] prints a scaled integer with every digit it has.
//!
//! Internal scales leave room for the only divisions the engine does on input values: the
//! before/after average (÷2) and linear percentile interpolation (×k/100). Both act on
//! quality-assured values only (substitutes never feed back), so two extra digits suffice.

use serde::Serialize;
use std::fmt;

/// CO2 %: at most 3 decimals in the file, held at 10^-5 %.
pub const CO2_DP: u32 = 3;
pub const CO2_SCALE: u32 = 5;
/// Flow scfh: at most 2 decimals, held at 10^-4 scfh.
pub const FLOW_DP: u32 = 2;
pub const FLOW_SCALE: u32 = 4;
/// Moisture %: at most 3 decimals, held at 10^-3 %; the dry-to-wet factor (100 − H2O)/100
/// is then `W / 10^5` with W = 100,000 − H2O[10^-3 %].
pub const H2O_DP: u32 = 3;
pub const WET_FACTOR_ONE: u64 = 100_000;
/// Operating time (fraction of the hour): at most 4 decimals, held at 10^-4.
pub const OP_TIME_DP: u32 = 4;
pub const OP_TIME_ONE: u32 = 10_000;
/// Both equations' K at one scale, 10^-9 per scf per % CO2, so that both share
/// [`MASS_SCALE`]: Part 75 K = 5.7e-7 short ton = 570 × 10^-9 (`consts::K_SHORT_TON_PER_SCF_PCT`);
/// Part 98 Equation C-6 K = 5.18e-7 metric t = 518 × 10^-9 (`consts::C6_TONNE_PER_SCF_PCT`).
pub const K_SCALE: u32 = 9;
pub const K_PART75_MANTISSA: u64 = 570;
pub const K_C6_MANTISSA: u64 = 518;
/// Scale of an hourly mass, K × C × Q × W × t: 10^-27 short ton (Part 75) or metric tonne
/// (C-6).
pub const MASS_SCALE: u32 = K_SCALE + CO2_SCALE + FLOW_SCALE + 5 + OP_TIME_DP;
/// 0.90718474 = 90,718,474 × 10^-8 (see `consts::TONNES_PER_SHORT_TON`).
pub const TONNES_PER_SHORT_TON_MANTISSA: u64 = 90_718_474;
pub const TONNES_PER_SHORT_TON_SCALE: u32 = 8;

/// Largest flow accepted: 10^10 scfh, far above any stack. Bounds, with the larger K (570),
/// CO2 ≤ 100 % = 10^7, W ≤ 10^5, t ≤ 10^4 and Q ≤ 10^14 at their scales:
/// - K × C × W × t ≤ 570 × 10^7 × 10^5 × 10^4 = 5.7e18 < u64::MAX ≈ 1.8e19 (the engine
///   multiplies these in u64, then by Q in u128);
/// - one hour ≤ 5.7e18 × 10^14 = 5.7e32, so a quarter (≤ 2,208 h) ≤ 1.3e36 < u128::MAX ≈
///   3.4e38 and cannot overflow;
/// - a unit's total and the grand total are checked: at the maximum of everything they hold
///   about 596,000 hours (68 years); at a large stack's 15 % × 10^8 scfh, about 4 × 10^8.
pub const MAX_FLOW_SCFH: u64 = 10_000_000_000;

/// Why a field is not a number of the expected form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedError {
    Syntax,
    Negative,
    TooManyDecimals,
    TooLarge,
}

/// Parses an unsigned plain decimal (`12`, `0.5`, `10.523`, `.5`) into an integer counting
/// 10^-`dp`. Digits past `dp` decimals must be zeros.
#[inline]
pub fn parse_fixed(s: &[u8], dp: u32) -> Result<u64, FixedError> {
    const POW10: [u64; 5] = [1, 10, 100, 1_000, 10_000];
    debug_assert!(dp <= 4);
    let n = s.len();
    let mut i = 0;
    let mut v: u64 = 0;
    while i < n {
        let d = s[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(d as u64);
        i += 1;
    }
    // 15 integer digits and 4 decimals stay below u64::MAX; every accepted range is far less.
    if i > 15 {
        return Err(FixedError::TooLarge);
    }
    let int_digits = i;
    let mut taken = 0;
    if i < n && s[i] == b'.' {
        i += 1;
        while i < n {
            let d = s[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if taken < dp {
                v = v * 10 + d as u64;
                taken += 1;
            } else if d != 0 {
                return Err(FixedError::TooManyDecimals);
            }
            i += 1;
        }
        if int_digits == 0 && i == int_digits + 1 {
            return Err(FixedError::Syntax); // "." alone
        }
    } else if int_digits == 0 {
        return Err(if s.first() == Some(&b'-') {
            FixedError::Negative
        } else {
            FixedError::Syntax
        });
    }
    if i != n {
        return Err(if s.first() == Some(&b'-') {
            FixedError::Negative
        } else {
            FixedError::Syntax
        });
    }
    Ok(v * POW10[(dp - taken) as usize])
}

/// A non-negative exact decimal: an integer and its scale (value = int × 10^-scale), or the
/// product of one with a small factor (for metric tonnes), printed with every digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact {
    int: u128,
    factor: u64,
    scale: u32,
}

impl Exact {
    pub fn new(int: u128, scale: u32) -> Self {
        Self {
            int,
            factor: 1,
            scale,
        }
    }
    /// This value times `mantissa × 10^-scale` (mantissa < 10^9), still exact.
    pub fn times(self, mantissa: u64, scale: u32) -> Self {
        assert!(self.factor == 1 && mantissa < 1_000_000_000);
        Self {
            int: self.int,
            factor: mantissa,
            scale: self.scale + scale,
        }
    }
    /// Short tons to metric tonnes (× 0.90718474, exact). For Part 75 results only: C-6 masses
    /// are metric tonnes already.
    pub fn short_tons_to_tonnes(self) -> Self {
        self.times(TONNES_PER_SHORT_TON_MANTISSA, TONNES_PER_SHORT_TON_SCALE)
    }
    pub fn is_zero(&self) -> bool {
        self.int == 0 || self.factor == 0
    }

    /// All digits of int × factor, most significant first.
    fn digits(&self) -> String {
        if self.factor == 1 {
            return self.int.to_string();
        }
        // Base 10^9 limbs, least significant first; a limb times a factor < 10^9 fits u64.
        let mut limbs = Vec::with_capacity(6);
        let mut v = self.int;
        while v > 0 {
            limbs.push((v % 1_000_000_000) as u64);
            v /= 1_000_000_000;
        }
        let mut carry = 0u64;
        for l in &mut limbs {
            let p = *l * self.factor + carry;
            *l = p % 1_000_000_000;
            carry = p / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        let Some((top, rest)) = limbs.split_last() else {
            return "0".into();
        };
        let mut s = top.to_string();
        for l in rest.iter().rev() {
            s.push_str(&format!("{l:09}"));
        }
        s
    }

    /// Rounded half up (away from zero) to `dp` decimals, printed with exactly `dp` decimals:
    /// the named boundary at which Tonne and the pandas script are compared.
    pub fn round(&self, dp: u32) -> String {
        let digits = self.digits();
        let scale = self.scale as usize;
        let dp = dp as usize;
        // Pad so there is at least one integer digit.
        let mut d: Vec<u8> = if digits.len() <= scale {
            let mut v = vec![b'0'; scale + 1 - digits.len()];
            v.extend_from_slice(digits.as_bytes());
            v
        } else {
            digits.into_bytes()
        };
        if scale <= dp {
            d.extend(std::iter::repeat_n(b'0', dp - scale));
        } else {
            let keep = d.len() - (scale - dp);
            let up = d[keep] >= b'5';
            d.truncate(keep);
            if up {
                let mut i = keep;
                loop {
                    if i == 0 {
                        d.insert(0, b'1');
                        break;
                    }
                    i -= 1;
                    if d[i] == b'9' {
                        d[i] = b'0';
                    } else {
                        d[i] += 1;
                        break;
                    }
                }
            }
        }
        let int_len = d.len() - dp;
        let mut s = String::from_utf8(d[..int_len].to_vec()).expect("ascii");
        if dp > 0 {
            s.push('.');
            s.push_str(std::str::from_utf8(&d[int_len..]).expect("ascii"));
        }
        s
    }
}

impl fmt::Display for Exact {
    /// Every digit, trailing zeros trimmed: `0.57`, `12`, `0.000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.round(self.scale);
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            &s
        };
        f.write_str(s)
    }
}

impl Serialize for Exact {
    /// A JSON number with every digit (no float conversion).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_decimals_at_a_scale() {
        assert_eq!(parse_fixed(b"10.5", 3), Ok(10_500));
        assert_eq!(parse_fixed(b"10.523", 3), Ok(10_523));
        assert_eq!(parse_fixed(b"10.5230", 3), Ok(10_523));
        assert_eq!(parse_fixed(b".5", 1), Ok(5));
        assert_eq!(parse_fixed(b"7.", 2), Ok(700));
        assert_eq!(parse_fixed(b"0", 4), Ok(0));
        assert_eq!(parse_fixed(b"10.5231", 3), Err(FixedError::TooManyDecimals));
        assert_eq!(parse_fixed(b"-1", 3), Err(FixedError::Negative));
        assert_eq!(parse_fixed(b"1e6", 3), Err(FixedError::Syntax));
        assert_eq!(parse_fixed(b".", 3), Err(FixedError::Syntax));
        assert_eq!(parse_fixed(b"", 3), Err(FixedError::Syntax));
        assert_eq!(
            parse_fixed(b"99999999999999999999", 0),
            Err(FixedError::TooLarge)
        );
    }

    #[test]
    fn prints_every_digit_and_rounds_half_up() {
        assert_eq!(Exact::new(57, 2).to_string(), "0.57");
        assert_eq!(Exact::new(1200, 2).to_string(), "12");
        assert_eq!(Exact::new(0, 5).to_string(), "0");
        assert_eq!(Exact::new(1, 6).to_string(), "0.000001");
        assert_eq!(Exact::new(12345, 4).round(3), "1.235");
        assert_eq!(Exact::new(12344, 4).round(3), "1.234");
        assert_eq!(Exact::new(99995, 4).round(3), "10.000");
        assert_eq!(Exact::new(5, 0).round(3), "5.000");
        // 1 short ton = 0.90718474 t exactly; 10^30 short tons needs more than u128 × u64.
        assert_eq!(
            Exact::new(1, 0).short_tons_to_tonnes().to_string(),
            "0.90718474"
        );
        let big = Exact::new(10u128.pow(30), 0).short_tons_to_tonnes();
        assert_eq!(big.to_string(), format!("90718474{}", "0".repeat(22)));
        assert_eq!(
            Exact::new(u128::MAX, 0).times(999_999_999, 0).to_string(),
            "340282366580656096542436143968393604023231788545"
        );
    }
}
