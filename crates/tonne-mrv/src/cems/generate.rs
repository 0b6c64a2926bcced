//! Deterministic benchmark data: one year of hourly CEMS rows for many units, with operating
//! patterns and monitor outages chosen so that every substitution branch fires somewhere.
//! Pure: writes to the `Write` it is given. Same spec, same bytes.
//!
//! Units cycle through availability profiles by index (i mod 10): 0–5 aim at ≥ 95 % PMA,
//! 6–7 at 90–95 %, 8 at 80–90 %, 9 below 80 %. Gap lengths mix short (1–8 h), medium (9–24 h)
//! and long (25–96 h) periods, so each band sees both the short and the long rows of the
//! table; outages in the first weeks fall in the §75.31 initial period. Four units are
//! special: U0004's CO2 monitor and U0007's flow monitor never report (fallback to the maximum
//! potential value), U0005's data start with a CO2 gap and U0006's end with one (one-sided
//! averages). Every unit carries its maximum
//! potential values on its first row; a third of the units measure CO2 dry.

use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenSpec {
    pub units: u32,
    /// A non-leap year gives 8,760 rows per unit.
    pub year: u16,
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenStats {
    pub rows: u64,
    pub bytes: u64,
}

pub const HEADER: &str =
    "unit_id,hour,op_time,co2_pct,flow_scfh,co2_basis,h2o_pct,mpc_co2_pct,mpf_scfh\n";

/// SplitMix64: small, fast, and the same everywhere.
use tonne_core::rng::SplitMix64 as Rng;

fn put_fixed(out: &mut Vec<u8>, v: u64, dp: u32) {
    let p = 10u64.pow(dp);
    let _ = write!(out, "{}", v / p);
    if dp > 0 {
        let _ = write!(out, ".{:0w$}", v % p, w = dp as usize);
    }
}

/// Outage generator for one monitor: per operating hour, whether the value is missing.
struct Outages {
    /// Chance per operating hour (per million) that an outage starts.
    start_ppm: u64,
    left: u32,
}

impl Outages {
    fn new(missing_fraction_ppm: u64) -> Self {
        // Mean gap ≈ 0.6 × 4.5 + 0.25 × 16.5 + 0.15 × 60.5 ≈ 16 h; frac ≈ p·L / (1 + p·L).
        let f = missing_fraction_ppm as f64 / 1e6;
        let p = f / (16.0 * (1.0 - f));
        Self {
            start_ppm: (p * 1e6) as u64,
            left: 0,
        }
    }
    fn missing(&mut self, rng: &mut Rng) -> bool {
        if self.left == 0 && rng.chance(self.start_ppm) {
            let k = rng.range(0, 99);
            self.left = if k < 60 {
                rng.range(1, 8)
            } else if k < 85 {
                rng.range(9, 24)
            } else {
                rng.range(25, 96)
            } as u32;
        }
        if self.left > 0 {
            self.left -= 1;
            true
        } else {
            false
        }
    }
}

/// Writes the header and `spec.units × hours-in-year` rows, unit by unit in hour order.
pub fn generate<W: Write>(out: W, spec: &GenSpec) -> io::Result<GenStats> {
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    out.write_all(HEADER.as_bytes())?;
    let mut bytes = HEADER.len() as u64;
    let start = super::hour::parse_hour(format!("{:04}-01-01T00", spec.year).as_bytes())
        .expect("valid year");
    let end = super::hour::parse_hour(format!("{:04}-01-01T00", spec.year + 1).as_bytes())
        .expect("valid year");
    let stamps: Vec<String> = (start..end).map(super::hour::format_hour).collect();
    let mut rows = 0u64;
    let mut line = Vec::with_capacity(128);
    let mut buf = Vec::with_capacity(1 << 20);
    for u in 0..spec.units {
        let mut rng = Rng::new(spec.seed ^ (u as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let profile = u % 10;
        let missing_ppm = match profile {
            0..=5 => 15_000,
            6 | 7 => 75_000,
            8 => 150_000,
            _ => 300_000,
        };
        let mut co2_out = Outages::new(missing_ppm);
        let mut flow_out = Outages::new(missing_ppm);
        let dry = u % 3 == 0;
        // Operating pattern by u / 10 mod 3: base load, daily cycling, peaking.
        let pattern = (u / 10) % 3;
        let co2_base = rng.range(8_000, 13_000) as i64; // 10^-3 %
        let flow_base = rng.range(2_000_000, 50_000_000) as i64; // scfh
        let mpc = 14_000 + rng.range(0, 6_000); // 14–20 %, above any measured value
        let mpf = flow_base as u64 * 2;
        let mut co2 = co2_base;
        let outage_start = rng.range(1000, 7000) as usize;
        for (k, stamp) in stamps.iter().enumerate() {
            let hod = k % 24;
            let on = match pattern {
                0 => !(outage_start..outage_start + 336).contains(&k),
                1 => !(1..=4).contains(&hod),
                _ => (8..22).contains(&hod) && (k / 24) % 7 < 5,
            };
            let prev_on = k > 0 && {
                let h = (k - 1) % 24;
                match pattern {
                    0 => !(outage_start..outage_start + 336).contains(&(k - 1)),
                    1 => !(1..=4).contains(&h),
                    _ => (8..22).contains(&h) && ((k - 1) / 24) % 7 < 5,
                }
            };
            // A run's first hour is partial.
            let op_time: u64 = match (on, prev_on) {
                (false, _) => 0,
                (true, false) => [2_500, 5_000, 7_500][rng.range(0, 2) as usize],
                (true, true) => 10_000,
            };
            line.clear();
            let _ = write!(line, "U{:04},{stamp},", u + 1);
            if op_time == 10_000 {
                line.push(b'1');
            } else {
                put_fixed(&mut line, op_time / 100, 2);
            }
            line.push(b',');
            let (mut miss_c, mut miss_q) = (false, false);
            if op_time > 0 {
                miss_c = co2_out.missing(&mut rng);
                miss_q = flow_out.missing(&mut rng);
                if u == 3 || (u == 4 && k < 30) || (u == 5 && k + 40 >= stamps.len()) {
                    miss_c = true;
                }
                if u == 6 {
                    miss_q = true;
                }
            }
            co2 =
                (co2 + rng.range(0, 400) as i64 - 200 + (co2_base - co2) / 10).clamp(2_000, 13_900);
            if op_time > 0 && !miss_c {
                put_fixed(&mut line, co2 as u64, 3);
            }
            line.push(b',');
            if op_time > 0 && !miss_q {
                let load = 70 + (hod as i64 * 7 % 30) + rng.range(0, 10) as i64;
                put_fixed(&mut line, (flow_base * load / 100) as u64, 0);
            }
            line.extend_from_slice(if dry { b",dry," } else { b",wet," });
            if dry && op_time > 0 {
                put_fixed(&mut line, rng.range(60, 120), 1);
            }
            line.push(b',');
            if k == 0 {
                put_fixed(&mut line, mpc, 3);
                line.push(b',');
                put_fixed(&mut line, mpf, 0);
            } else {
                line.push(b',');
            }
            line.push(b'\n');
            buf.extend_from_slice(&line);
            rows += 1;
            if buf.len() > (1 << 20) - 256 {
                out.write_all(&buf)?;
                bytes += buf.len() as u64;
                buf.clear();
            }
        }
    }
    out.write_all(&buf)?;
    bytes += buf.len() as u64;
    out.flush()?;
    Ok(GenStats { rows, bytes })
}
