//! Hour stamps. Part 75 records hours as the unit's local standard time; the engine only needs
//! an ordered count of clock hours (for the 26,280-hour limits) and the calendar quarter, so
//! a stamp `YYYY-MM-DDTHH` becomes clock hours since 1900-01-01T00 with no time zone.

/// Clock hours since 1900-01-01T00.
pub type ClockHour = u32;

const FIRST_YEAR: i64 = 1900;
const LAST_YEAR: i64 = 9999;

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn epoch_days() -> i64 {
    days_from_civil(FIRST_YEAR, 1, 1)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn num(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |v, &b| {
        let d = b.wrapping_sub(b'0');
        (d <= 9).then(|| v * 10 + d as u32)
    })
}

/// The expected form, for error messages.
pub const HOUR_FORM: &str = "an hour YYYY-MM-DDTHH (e.g. 2024-03-01T13; a space may replace the T, and :00 or :00:00 may follow)";

/// Parses `YYYY-MM-DDTHH` (or with a space, optionally followed by `:00` / `:00:00`).
pub fn parse_hour(s: &[u8]) -> Result<ClockHour, String> {
    let bad = || format!("{:?} is not {HOUR_FORM}", String::from_utf8_lossy(s));
    let tail_ok = matches!(s.get(13..), Some(b"" | b":00" | b":00:00"));
    if s.len() < 13 || !tail_ok || s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b' ') {
        return Err(bad());
    }
    let (Some(y), Some(m), Some(d), Some(h)) = (
        num(&s[0..4]),
        num(&s[5..7]),
        num(&s[8..10]),
        num(&s[11..13]),
    ) else {
        return Err(bad());
    };
    let y = y as i64;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&y) {
        return Err(format!(
            "{:?}: year out of range; expected {FIRST_YEAR} to {LAST_YEAR}",
            String::from_utf8_lossy(s)
        ));
    }
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || h > 23 {
        return Err(format!(
            "{:?} is not a calendar hour (month 01-12, a day of that month, hour 00-23)",
            String::from_utf8_lossy(s)
        ));
    }
    let days = days_from_civil(y, m, d) - epoch_days();
    Ok((days * 24 + h as i64) as ClockHour)
}

/// Remembers the last date parsed: consecutive rows usually share it, and then only the two
/// hour digits need reading.
#[derive(Debug, Default)]
pub(crate) struct HourCache {
    date: [u8; 10],
    base: Option<ClockHour>,
}

impl HourCache {
    #[inline]
    pub(crate) fn parse(&mut self, s: &[u8]) -> Result<ClockHour, String> {
        if let Some(base) = self.base
            && s.len() == 13
            && s[..10] == self.date
            && matches!(s[10], b'T' | b' ')
            && let Some(h) = num(&s[11..13])
            && h <= 23
        {
            return Ok(base + h);
        }
        let h = parse_hour(s)?;
        self.date.copy_from_slice(&s[..10]);
        self.base = Some(h - h % 24);
        Ok(h)
    }
}

/// `YYYY-MM-DDTHH`.
pub fn format_hour(h: ClockHour) -> String {
    let (y, m, d) = civil_from_days(h as i64 / 24 + epoch_days());
    format!("{y:04}-{m:02}-{d:02}T{:02}", h % 24)
}

/// A calendar quarter: year, quarter 1–4, and its clock hours `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub year: u16,
    pub q: u8,
    pub start: ClockHour,
    pub end: ClockHour,
}

pub fn quarter_of(h: ClockHour) -> Quarter {
    let (y, m, _) = civil_from_days(h as i64 / 24 + epoch_days());
    let q = (m - 1) / 3;
    let start = (days_from_civil(y, q * 3 + 1, 1) - epoch_days()) * 24;
    let (ny, nm) = if q == 3 { (y + 1, 1) } else { (y, q * 3 + 4) };
    let end = (days_from_civil(ny, nm, 1) - epoch_days()) * 24;
    Quarter {
        year: y as u16,
        q: q as u8 + 1,
        start: start as ClockHour,
        end: end as ClockHour,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_round_trip_and_quarters() {
        let h = parse_hour(b"2024-03-01T13").unwrap();
        assert_eq!(format_hour(h), "2024-03-01T13");
        assert_eq!(parse_hour(b"2024-03-01 13:00").unwrap(), h);
        assert_eq!(parse_hour(b"2024-03-01T13:00:00").unwrap(), h);
        assert_eq!(parse_hour(b"1900-01-01T00").unwrap(), 0);
        // 2024 is a leap year: 8,784 hours.
        let a = parse_hour(b"2024-01-01T00").unwrap();
        let b = parse_hour(b"2025-01-01T00").unwrap();
        assert_eq!(b - a, 8784);
        assert!(parse_hour(b"2023-02-29T00").is_err());
        assert!(parse_hour(b"2024-02-29T24").is_err());
        assert!(parse_hour(b"2024-13-01T00").is_err());
        assert!(parse_hour(b"2024-1-01T00").is_err());
        assert!(parse_hour(b"1899-12-31T23").is_err());
        let q = quarter_of(h);
        assert_eq!((q.year, q.q), (2024, 1));
        assert_eq!(q.start, a);
        assert_eq!(q.end, parse_hour(b"2024-04-01T00").unwrap());
        let q4 = quarter_of(b - 1);
        assert_eq!((q4.year, q4.q, q4.end), (2024, 4, b));
    }
}
