//! Instants are passed in, never read from a clock: the registry is a deterministic function of
//! its commands. Milliseconds since the Unix epoch, UTC.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// Earliest and latest instants accepted (2000-01-01 and 2200-01-01 UTC), so that adding a
/// window of days can never overflow.
const MIN_MS: i64 = 946_684_800_000;
const MAX_MS: i64 = 7_258_118_400_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("timestamp {0:?} is not RFC 3339 (expected e.g. 2026-01-05T17:00:00Z)")]
    Syntax(String),
    #[error("timestamp {0} is outside 2000-01-01..2200-01-01")]
    Range(String),
}

impl Timestamp {
    pub fn from_millis(ms: i64) -> Result<Self, TimeError> {
        if !(MIN_MS..MAX_MS).contains(&ms) {
            return Err(TimeError::Range(ms.to_string()));
        }
        Ok(Self(ms))
    }
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        let dt = DateTime::parse_from_rfc3339(s).map_err(|_| TimeError::Syntax(s.to_owned()))?;
        Self::from_millis(dt.timestamp_millis()).map_err(|_| TimeError::Range(s.to_owned()))
    }
    pub fn millis(self) -> i64 {
        self.0
    }
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).expect("range checked on construction")
    }
    pub fn plus_hours(self, hours: u32) -> Self {
        Self((self.0 + i64::from(hours) * 3_600_000).min(MAX_MS - 1))
    }
    pub fn plus_days(self, days: u32) -> Self {
        self.plus_hours(days.saturating_mul(24))
    }
    /// Calendar year in UTC. Vintage rules use the jurisdiction's year via [`crate::Calendar`].
    pub fn year_utc(self) -> i32 {
        use chrono::Datelike;
        self.to_datetime().year()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &self
                .to_datetime()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
    }
}

// Human-readable formats (JSON) carry RFC 3339 text; binary ones (the journal's canonical
// encoding) carry the integer, so the hash never depends on text formatting.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_string())
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            Self::parse(&s).map_err(serde::de::Error::custom)
        } else {
            let ms = i64::deserialize(d)?;
            Self::from_millis(ms).map_err(serde::de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn round_trips_rfc3339() {
        let t = Timestamp::parse("2026-11-01T17:00:00-07:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-02T00:00:00Z");
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("1999-12-31T00:00:00Z").is_err());
        assert_eq!(t.plus_days(2).millis() - t.millis(), 2 * 86_400_000);
    }
}
