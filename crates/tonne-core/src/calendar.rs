//! Business-day calendars per jurisdiction: weekends and configured public holidays, in the
//! jurisdiction's own time zone. Every deadline and delay counted in business days goes here.

use crate::time::Timestamp;
use chrono::{Datelike, Days, NaiveDate, TimeZone, Weekday};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Whether `s` is a calendar date written YYYY-MM-DD.
pub fn is_date(s: &str) -> bool {
    s.len() == 10 && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

const FIRST_YEAR: i32 = 1999;
const LAST_YEAR: i32 = 2201;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    tz: Tz,
    holidays: BTreeSet<NaiveDate>,
    /// Local-time starts of the years 2000..=2200 in UTC milliseconds, so `year()` — asked on
    /// every holding-limit check — is a binary search rather than a time-zone conversion.
    year_starts: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?} (expected an IANA name such as America/Los_Angeles)")]
    UnknownTimeZone(String),
    #[error("holiday {0:?} is not a date YYYY-MM-DD")]
    BadHoliday(String),
}

impl Calendar {
    pub fn new(tz_name: &str, holidays: &[String]) -> Result<Self, CalendarError> {
        let tz: Tz = tz_name
            .parse()
            .map_err(|_| CalendarError::UnknownTimeZone(tz_name.to_owned()))?;
        let holidays = holidays
            .iter()
            .map(|h| {
                NaiveDate::parse_from_str(h, "%Y-%m-%d")
                    .map_err(|_| CalendarError::BadHoliday(h.clone()))
            })
            .collect::<Result<_, _>>()?;
        let year_starts = (FIRST_YEAR..=LAST_YEAR)
            .map(|y| {
                let midnight = NaiveDate::from_ymd_opt(y, 1, 1)
                    .expect("valid")
                    .and_hms_opt(0, 0, 0)
                    .expect("valid");
                tz.from_local_datetime(&midnight).earliest().map_or_else(
                    || midnight.and_utc().timestamp_millis(),
                    |d| d.timestamp_millis(),
                )
            })
            .collect();
        Ok(Self {
            tz,
            holidays,
            year_starts,
        })
    }

    pub fn local_date(&self, t: Timestamp) -> NaiveDate {
        self.tz
            .from_utc_datetime(&t.to_datetime().naive_utc())
            .date_naive()
    }

    /// The compliance year an instant falls in, in the jurisdiction's local time.
    pub fn year(&self, t: Timestamp) -> u16 {
        let i = self.year_starts.partition_point(|s| *s <= t.millis());
        if i == 0 || i == self.year_starts.len() {
            // Outside the table (cannot happen for range-checked timestamps): convert directly.
            return u16::try_from(self.local_date(t).year()).expect("timestamps are range checked");
        }
        (FIRST_YEAR as usize + i - 1) as u16
    }

    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The instant `n` business days after `t`: the same local wall-clock time on the n-th
    /// following business day (a start on a non-business day counts from the next one).
    pub fn add_business_days(&self, t: Timestamp, n: u32) -> Timestamp {
        let local = self.tz.from_utc_datetime(&t.to_datetime().naive_utc());
        let mut day = local.date_naive();
        let mut left = n;
        while left > 0 {
            day = day.checked_add_days(Days::new(1)).expect("bounded dates");
            if self.is_business_day(day) {
                left -= 1;
            }
        }
        let naive = day.and_time(local.time());
        // An ambiguous or skipped local time (DST change) resolves to the earliest valid instant.
        let resolved = self
            .tz
            .from_local_datetime(&naive)
            .earliest()
            .unwrap_or_else(|| self.tz.from_utc_datetime(&naive));
        Timestamp::from_millis(resolved.timestamp_millis()).unwrap_or(t.plus_days(n * 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_weekends_and_holidays() {
        // Friday 2026-11-20 10:00 in Los Angeles; Thursday 2026-11-26 is Thanksgiving.
        let cal = Calendar::new("America/Los_Angeles", &["2026-11-26".into()]).unwrap();
        let fri = Timestamp::parse("2026-11-20T10:00:00-08:00").unwrap();
        let t = cal.add_business_days(fri, 4); // Mon, Tue, Wed, (Thu holiday), Fri
        assert_eq!(t, Timestamp::parse("2026-11-27T10:00:00-08:00").unwrap());
        assert_eq!(cal.add_business_days(fri, 0), fri);
        assert!(Calendar::new("Mars/Olympus", &[]).is_err());
        assert!(Calendar::new("UTC", &["2026-13-01".into()]).is_err());
    }

    #[test]
    fn year_is_local() {
        let cal = Calendar::new("America/Los_Angeles", &[]).unwrap();
        let t = Timestamp::parse("2027-01-01T03:00:00Z").unwrap(); // still 2026 in California
        assert_eq!(cal.year(t), 2026);
        assert_eq!(
            cal.year(Timestamp::parse("2027-01-01T08:00:00Z").unwrap()),
            2027
        );
        assert_eq!(
            cal.year(Timestamp::parse("2027-01-01T07:59:59.999Z").unwrap()),
            2026
        );
    }
}
