//! A set of serial numbers stored as disjoint, non-adjacent inclusive ranges. Holdings split on
//! partial transfers and merge back when neighbouring serials return.

use crate::instrument::SerialRange;
use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Included};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeSet {
    /// start -> end (inclusive). Invariant: disjoint, and no two ranges touch.
    ranges: BTreeMap<u64, u64>,
    count: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RangeSetError {
    #[error("serials {0} overlap serials already present")]
    Overlap(SerialRange),
    #[error("serials {0} are not all present")]
    NotHeld(SerialRange),
    #[error("{wanted} serials wanted, {held} present")]
    Insufficient { wanted: u64, held: u64 },
}

impl RangeSet {
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of serials in the set.
    pub fn count(&self) -> u64 {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// Number of stored ranges (fragmentation).
    pub fn range_count(&self) -> usize {
        self.ranges.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = SerialRange> + '_ {
        self.ranges
            .iter()
            .map(|(&s, &e)| SerialRange::new(s, e).expect("stored ranges are valid"))
    }

    /// The stored range that contains serial `x`, if any.
    fn containing(&self, x: u64) -> Option<(u64, u64)> {
        self.ranges
            .range(..=x)
            .next_back()
            .filter(|&(_, &e)| e >= x)
            .map(|(&s, &e)| (s, e))
    }

    /// Start of the stored range containing serial `x`.
    pub fn start_containing(&self, x: u64) -> Option<u64> {
        self.containing(x).map(|(s, _)| s)
    }

    /// End of the stored range that starts exactly at `start`.
    pub fn end_of(&self, start: u64) -> Option<u64> {
        self.ranges.get(&start).copied()
    }

    pub fn contains(&self, r: SerialRange) -> bool {
        self.containing(r.start())
            .is_some_and(|(_, e)| e >= r.end())
    }

    /// True when no serial of `r` is in the set.
    pub fn is_disjoint(&self, r: SerialRange) -> bool {
        if self.containing(r.start()).is_some() {
            return false;
        }
        self.ranges
            .range((Excluded(r.start()), Included(r.end())))
            .next()
            .is_none()
    }

    pub fn insert(&mut self, r: SerialRange) -> Result<(), RangeSetError> {
        if !self.is_disjoint(r) {
            return Err(RangeSetError::Overlap(r));
        }
        let (mut start, mut end) = (r.start(), r.end());
        // Merge with a left neighbour ending at start-1 and a right neighbour starting at end+1.
        if let Some((&ls, &le)) = self.ranges.range(..start).next_back()
            && le + 1 == start
        {
            self.ranges.remove(&ls);
            start = ls;
        }
        if let Some(re) = self.ranges.get(&(end + 1)).copied() {
            self.ranges.remove(&(end + 1));
            end = re;
        }
        self.ranges.insert(start, end);
        self.count += r.len();
        Ok(())
    }

    pub fn remove(&mut self, r: SerialRange) -> Result<(), RangeSetError> {
        let (s, e) = self
            .containing(r.start())
            .filter(|&(_, e)| e >= r.end())
            .ok_or(RangeSetError::NotHeld(r))?;
        self.ranges.remove(&s);
        if s < r.start() {
            self.ranges.insert(s, r.start() - 1);
        }
        if r.end() < e {
            self.ranges.insert(r.end() + 1, e);
        }
        self.count -= r.len();
        Ok(())
    }

    /// The lowest `qty` serials, without removing them.
    pub fn lowest(&self, qty: u64) -> Result<Vec<SerialRange>, RangeSetError> {
        if qty > self.count {
            return Err(RangeSetError::Insufficient {
                wanted: qty,
                held: self.count,
            });
        }
        let mut out = Vec::new();
        let mut left = qty;
        for (&s, &e) in &self.ranges {
            if left == 0 {
                break;
            }
            let take = (e - s + 1).min(left);
            out.push(SerialRange::new(s, s + take - 1).expect("inside a stored range"));
            left -= take;
        }
        Ok(out)
    }

    /// Serials of this set that lie within `r` (used to find invalidated serials wherever held).
    pub fn intersect(&self, r: SerialRange) -> Vec<SerialRange> {
        let mut out = Vec::new();
        let first = self
            .containing(r.start())
            .map(|(s, _)| s)
            .unwrap_or(r.start());
        for (&s, &e) in self.ranges.range(first..=r.end()) {
            let (a, b) = (s.max(r.start()), e.min(r.end()));
            if a <= b {
                out.push(SerialRange::new(a, b).expect("inside both"));
            }
        }
        out
    }
}

/// The stored text form of a range set: ranges in ascending order separated by commas, a range
/// as `start-end` or a lone serial as `n` — e.g. `1-5,9,11-20`.
impl RangeSet {
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(self.ranges.len() * 12);
        for (i, (&s, &e)) in self.ranges.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if s == e {
                write!(out, "{s}").expect("writing to a String");
            } else {
                write!(out, "{s}-{e}").expect("writing to a String");
            }
        }
        out
    }

    /// Parses the text form, refusing anything not in canonical form (unsorted, overlapping,
    /// touching, inverted or zero serials), so a stored row has exactly one valid spelling.
    pub fn parse_text(text: &str) -> Result<Self, String> {
        let mut set = RangeSet::new();
        let mut last_end: Option<u64> = None;
        if text.is_empty() {
            return Ok(set);
        }
        for part in text.split(',') {
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (a, b),
                None => (part, part),
            };
            let parse = |x: &str| {
                x.parse::<u64>()
                    .map_err(|_| format!("{part:?} is not a serial range"))
            };
            let r = SerialRange::new(parse(a)?, parse(b)?).map_err(|e| e.to_string())?;
            if last_end.is_some_and(|e| e + 1 >= r.start()) {
                return Err(format!(
                    "{r} is out of order, overlaps or touches the range before it"
                ));
            }
            last_end = Some(r.end());
            set.ranges.insert(r.start(), r.end());
            set.count += r.len();
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn r(s: u64, e: u64) -> SerialRange {
        SerialRange::new(s, e).unwrap()
    }

    #[test]
    fn split_and_merge() {
        let mut set = RangeSet::new();
        set.insert(r(1, 100)).unwrap();
        set.remove(r(40, 60)).unwrap();
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![r(1, 39), r(61, 100)]);
        assert_eq!(set.count(), 79);
        assert_eq!(
            set.insert(r(39, 45)),
            Err(RangeSetError::Overlap(r(39, 45)))
        );
        assert_eq!(
            set.remove(r(30, 45)),
            Err(RangeSetError::NotHeld(r(30, 45)))
        );
        set.insert(r(40, 60)).unwrap();
        assert_eq!(set.range_count(), 1);
        assert_eq!(
            set.lowest(150),
            Err(RangeSetError::Insufficient {
                wanted: 150,
                held: 100
            })
        );
        assert_eq!(set.intersect(r(90, 200)), vec![r(90, 100)]);
    }

    #[test]
    fn text_form_round_trips_and_is_canonical() {
        let mut set = RangeSet::new();
        for (a, b) in [(1, 5), (9, 9), (11, 20)] {
            set.insert(r(a, b)).unwrap();
        }
        assert_eq!(set.to_text(), "1-5,9,11-20");
        assert_eq!(RangeSet::parse_text("1-5,9,11-20").unwrap(), set);
        assert_eq!(RangeSet::parse_text("").unwrap(), RangeSet::new());
        for bad in [
            "5-1", "0-3", "1-5,5-7", "1-5,6-7", "9,1-5", "x", "1-", "1-5,,9",
        ] {
            assert!(RangeSet::parse_text(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        // The range set behaves exactly like a set of integers.
        #[test]
        fn matches_a_plain_set(ops in prop::collection::vec((any::<bool>(), 1u64..200, 0u64..20), 1..60)) {
            let mut set = RangeSet::new();
            let mut model = BTreeSet::new();
            for (add, start, len) in ops {
                let range = r(start, start + len);
                let all: Vec<u64> = (range.start()..=range.end()).collect();
                if add {
                    let ok = all.iter().all(|x| !model.contains(x));
                    prop_assert_eq!(set.insert(range).is_ok(), ok);
                    if ok { model.extend(all); }
                } else {
                    let ok = all.iter().all(|x| model.contains(x));
                    prop_assert_eq!(set.remove(range).is_ok(), ok);
                    if ok { for x in all { model.remove(&x); } }
                }
                prop_assert_eq!(set.count(), model.len() as u64);
                let flat: Vec<u64> = set.iter().flat_map(|r| r.start()..=r.end()).collect();
                prop_assert_eq!(flat, model.iter().copied().collect::<Vec<_>>());
                // no two stored ranges touch
                let v: Vec<_> = set.iter().collect();
                for w in v.windows(2) { prop_assert!(w[0].end() + 1 < w[1].start()); }
            }
        }
    }
}
