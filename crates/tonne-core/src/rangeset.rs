//! A set of serial numbers stored as disjoint, non-adjacent inclusive ranges. Holdings split on
//! partial transfers and merge back when neighbouring serials return.
//!
//! Representation: the ranges in ascending order, cut into *leaves* of at most `LEAF` (32) ranges
//! (a two-level sorted array; it replaced a `BTreeMap<start, end>`). A lookup is a binary search
//! over the leaves' first starts, then one inside a leaf; a split or merge shifts part of one
//! leaf (at most 512 bytes). Lowest-first transfers take from the front of the first leaf, and
//! [`RangeSet::remove_all`] and [`RangeSet::insert_all`] do what a transfer does — take the
//! lowest ranges, add a batch of ascending ones — a leaf at a time. Leaves split in two when full
//! (when a range is appended past the last one a new leaf starts instead, so sets that grow in
//! order are packed full) and merge with a neighbour when they shrink to a quarter.

use crate::instrument::SerialRange;
use std::fmt;

/// Ranges per leaf (16 bytes each).
const LEAF: usize = 32;

/// `(start, end)`, inclusive, `1 <= start <= end`.
type Span = (u64, u64);

#[derive(Clone, Default)]
pub struct RangeSet(Leaves<LEAF>);

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
        self.0.count
    }
    pub fn is_empty(&self) -> bool {
        self.0.count == 0
    }
    /// Number of stored ranges (fragmentation).
    pub fn range_count(&self) -> usize {
        self.0.len
    }
    pub fn iter(&self) -> impl Iterator<Item = SerialRange> + '_ {
        self.0.spans().map(range)
    }
    /// Start of the stored range containing serial `x`.
    pub fn start_containing(&self, x: u64) -> Option<u64> {
        self.0.containing(x).map(|p| self.0.at(p).0)
    }
    /// End of the stored range that starts exactly at `start`.
    pub fn end_of(&self, start: u64) -> Option<u64> {
        let (s, e) = self.0.at(self.0.pred(start)?);
        (s == start).then_some(e)
    }
    pub fn contains(&self, r: SerialRange) -> bool {
        self.0.contains(r.start(), r.end())
    }
    /// True when no serial of `r` is in the set.
    pub fn is_disjoint(&self, r: SerialRange) -> bool {
        self.0.is_disjoint(r.start(), r.end())
    }
    pub fn insert(&mut self, r: SerialRange) -> Result<(), RangeSetError> {
        if self.0.insert(r.start(), r.end()) {
            Ok(())
        } else {
            Err(RangeSetError::Overlap(r))
        }
    }
    pub fn remove(&mut self, r: SerialRange) -> Result<(), RangeSetError> {
        if self.0.remove(r.start(), r.end()) {
            Ok(())
        } else {
            Err(RangeSetError::NotHeld(r))
        }
    }
    /// Inserts each of `ranges` in turn, as [`RangeSet::insert`] does; on an error, the ranges
    /// before the failing one stay inserted. Ascending ranges (what a transfer moves) are merged
    /// into each leaf they fall in at once, rather than searched for and shifted in one by one.
    pub fn insert_all(&mut self, ranges: &[SerialRange]) -> Result<(), RangeSetError> {
        let k = self.0.insert_ascending(ranges);
        match ranges.get(k) {
            None => Ok(()),
            Some(r) => {
                self.insert(*r)?;
                ranges[k + 1..].iter().try_for_each(|r| self.insert(*r))
            }
        }
    }

    /// Removes each of `ranges` in turn, as [`RangeSet::remove`] does; on an error, the ranges
    /// before the failing one stay removed. Ranges that are the set's lowest stored ranges, in
    /// order (what a lowest-first transfer takes), leave in one step.
    pub fn remove_all(&mut self, ranges: &[SerialRange]) -> Result<(), RangeSetError> {
        let k = self.0.remove_prefix(ranges);
        ranges[k..].iter().try_for_each(|r| self.remove(*r))
    }

    /// The lowest `qty` serials, without removing them.
    pub fn lowest(&self, qty: u64) -> Result<Vec<SerialRange>, RangeSetError> {
        // Room for a fragmented holding's usual share at once, rather than growing 1, 4, 8…
        let mut out = Vec::with_capacity(self.0.len.min(16));
        self.lowest_into(qty, &mut out)?;
        Ok(out)
    }
    /// As [`RangeSet::lowest`], appending to `out` (left unchanged on error).
    pub fn lowest_into(&self, qty: u64, out: &mut Vec<SerialRange>) -> Result<(), RangeSetError> {
        if qty > self.0.count {
            return Err(RangeSetError::Insufficient {
                wanted: qty,
                held: self.0.count,
            });
        }
        let mut left = qty;
        for (s, e) in self.0.spans() {
            if left == 0 {
                break;
            }
            let take = (e - s + 1).min(left);
            out.push(range((s, s + take - 1)));
            left -= take;
        }
        Ok(())
    }
    /// Serials of this set that lie within `r` (used to find invalidated serials wherever held).
    pub fn intersect(&self, r: SerialRange) -> Vec<SerialRange> {
        self.0
            .spans_from(r.start())
            .take_while(|&(s, _)| s <= r.end())
            .filter_map(|(s, e)| {
                let (a, b) = (s.max(r.start()), e.min(r.end()));
                (a <= b).then(|| range((a, b)))
            })
            .collect()
    }
}

fn range((s, e): Span) -> SerialRange {
    SerialRange::new(s, e).expect("stored ranges are valid")
}

/// Two sets are equal when they hold the same serials, however their leaves are cut.
impl PartialEq for RangeSet {
    fn eq(&self, other: &Self) -> bool {
        self.0.count == other.0.count
            && self.0.len == other.0.len
            && self.0.spans().eq(other.0.spans())
    }
}
impl Eq for RangeSet {}

impl fmt::Debug for RangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.0.spans().map(|(s, e)| s..=e))
            .finish()
    }
}

/// The stored text form of a range set: ranges in ascending order separated by commas, a range
/// as `start-end` or a lone serial as `n` — e.g. `1-5,9,11-20`.
impl RangeSet {
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(self.0.len * 12);
        for (i, (s, e)) in self.0.spans().enumerate() {
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
            set.0.push_back((r.start(), r.end()));
        }
        Ok(set)
    }
}

/// The two-level sorted array behind [`RangeSet`], with the leaf size as a parameter so tests
/// can exercise splits and merges with tiny leaves.
///
/// Invariants: no leaf is empty or longer than `L`, and each records its first start; the
/// spans, read leaf after leaf, ascend, are disjoint and no two touch (`end + 1 < next start`);
/// `len` and `count` are the number of spans and of serials.
#[derive(Debug, Clone, Default)]
struct Leaves<const L: usize> {
    leaves: Vec<Leaf>,
    len: usize,
    count: u64,
}

#[derive(Debug, Clone)]
struct Leaf {
    /// `spans[0].0`, kept beside the pointer so finding a leaf reads one array.
    first: u64,
    spans: Vec<Span>,
}

impl Leaf {
    fn new(spans: Vec<Span>) -> Self {
        Self {
            first: spans[0].0,
            spans,
        }
    }
    fn refresh(&mut self) {
        self.first = self.spans[0].0;
    }
}

/// A span's position: (leaf, index in the leaf).
type Pos = (usize, usize);

impl<const L: usize> Leaves<L> {
    fn spans(&self) -> impl Iterator<Item = Span> + '_ {
        self.leaves.iter().flat_map(|l| &l.spans).copied()
    }

    fn at(&self, (li, i): Pos) -> Span {
        self.leaves[li].spans[i]
    }

    /// The spans from the one containing `x` (or the first starting after it) onwards.
    fn spans_from(&self, x: u64) -> impl Iterator<Item = Span> + '_ {
        let (li, i) = match self.pred(x) {
            Some(p) if self.at(p).1 >= x => p,
            Some((li, i)) => (li, i + 1),
            None => (0, 0),
        };
        let first = self.leaves.get(li).map_or(&[][..], |l| &l.spans[i..]);
        first
            .iter()
            .chain(self.leaves.iter().skip(li + 1).flat_map(|l| &l.spans))
            .copied()
    }

    /// The last span whose start is `<= x`.
    #[inline]
    fn pred(&self, x: u64) -> Option<Pos> {
        // The leaf: the last whose first start is <= x (only the first can start after x).
        let li = match self.leaves.len() {
            0 => return None,
            1 => 0,
            n if self.leaves[n - 1].first <= x => n - 1,
            _ => self.leaves.partition_point(|l| l.first <= x).max(1) - 1,
        };
        let i = self.leaves[li].spans.partition_point(|s| s.0 <= x);
        (i > 0).then(|| (li, i - 1))
    }

    fn containing(&self, x: u64) -> Option<Pos> {
        self.pred(x).filter(|&p| self.at(p).1 >= x)
    }

    fn contains(&self, a: u64, b: u64) -> bool {
        self.containing(a).is_some_and(|p| self.at(p).1 >= b)
    }

    fn is_disjoint(&self, a: u64, b: u64) -> bool {
        // Spans ascend, so the last one starting at or before `b` has the highest end of those.
        self.pred(b).is_none_or(|p| self.at(p).1 < a)
    }

    /// Inserts `a..=b`, merging with touching neighbours; false (and no change) on overlap.
    fn insert(&mut self, a: u64, b: u64) -> bool {
        if self.leaves.is_empty() {
            self.leaves.push(Leaf::new(vec![(a, b)]));
            self.len = 1;
            self.count = b - a + 1;
            return true;
        }
        let pred = self.pred(b);
        let (li, i) = match pred {
            Some(p) if self.at(p).1 >= a => return false,
            Some((li, i)) => (li, i + 1),
            None => (0, 0),
        };
        let succ = if i < self.leaves[li].spans.len() {
            Some((li, i))
        } else if li + 1 < self.leaves.len() {
            Some((li + 1, 0))
        } else {
            None
        };
        let left = pred.filter(|&p| self.at(p).1 + 1 == a);
        let right = succ.filter(|&p| self.at(p).0 == b + 1);
        match (left, right) {
            (Some((pl, pi)), Some(s)) => {
                self.leaves[pl].spans[pi].1 = self.at(s).1;
                self.remove_at(s);
            }
            (Some((pl, pi)), None) => self.leaves[pl].spans[pi].1 = b,
            (None, Some((sl, si))) => {
                let leaf = &mut self.leaves[sl];
                leaf.spans[si].0 = a;
                leaf.refresh();
            }
            (None, None) => self.insert_at((li, i), (a, b)),
        }
        self.count += b - a + 1;
        true
    }

    /// Inserts the longest prefix of `ranges` that ascends and fits without overlap, a leaf's
    /// share at a time: the leaf's spans and its new ranges are merged in one pass (touching
    /// spans joined) and the result, split if it is too long for one leaf, replaces the leaf.
    /// Returns the length of that prefix; the caller inserts the rest one by one.
    fn insert_ascending(&mut self, ranges: &[SerialRange]) -> usize {
        let mut k = 0;
        while k < ranges.len() {
            // The leaf the next range falls in, and that leaf's share of the ranges.
            let x = ranges[k].start();
            let li = match self.leaves.len() {
                0 | 1 => 0,
                _ => self.leaves.partition_point(|l| l.first <= x).max(1) - 1,
            };
            let upper = self.leaves.get(li + 1).map(|l| l.first);
            let mut m = k + 1;
            while m < ranges.len()
                && ranges[m].start() > ranges[m - 1].end()
                && upper.is_none_or(|u| ranges[m].start() < u)
            {
                m += 1;
            }
            if m == k + 1 || self.leaves.is_empty() {
                // One range (or a first leaf to start): the single insert, which also packs
                // leaves when a set grows at its end.
                if !self.insert(ranges[k].start(), ranges[k].end()) {
                    return k;
                }
                k += 1;
                continue;
            }
            let share = &ranges[k..m];
            // A range reaching into the next leaf overlaps its first span: leave it to `insert`.
            if upper.is_some_and(|u| share[share.len() - 1].end() >= u) {
                return k;
            }
            let old = &self.leaves[li].spans;
            let mut merged: Vec<Span> = Vec::with_capacity((old.len() + share.len()).max(L));
            let (mut i, mut j) = (0, 0);
            while i < old.len() || j < share.len() {
                let span = if j < share.len() && (i == old.len() || share[j].start() < old[i].0) {
                    j += 1;
                    (share[j - 1].start(), share[j - 1].end())
                } else {
                    i += 1;
                    old[i - 1]
                };
                match merged.last_mut() {
                    // An overlap: nothing of this leaf's share is taken.
                    Some(last) if last.1 >= span.0 => return k,
                    Some(last) if last.1 + 1 == span.0 => last.1 = span.1,
                    _ => merged.push(span),
                }
            }
            self.count += share.iter().map(|r| r.len()).sum::<u64>();
            self.len = self.len - old.len() + merged.len();
            let li = self.replace_leaf(li, merged);
            // The new last span may touch the next leaf's first.
            let last = self.leaves[li].spans.len() - 1;
            if let Some(next) = self.leaves.get(li + 1)
                && self.leaves[li].spans[last].1 + 1 == next.first
            {
                self.leaves[li].spans[last].1 = next.spans[0].1;
                self.remove_at((li + 1, 0));
            }
            k = m;
        }
        k
    }

    /// Puts `spans` (ascending, at least one) where leaf `li` is, as several leaves if they are
    /// too many for one; returns the index of the last of them. Counts are the caller's.
    fn replace_leaf(&mut self, li: usize, spans: Vec<Span>) -> usize {
        if spans.len() <= L {
            self.leaves[li] = Leaf::new(spans);
            return li;
        }
        // Leaves three quarters full, so the next inserts do not split them at once.
        let parts = spans.len().div_ceil((3 * L / 4).max(1));
        let size = spans.len().div_ceil(parts);
        let mut cut = spans.chunks(size).map(|c| {
            let mut v = Vec::with_capacity(L);
            v.extend_from_slice(c);
            Leaf::new(v)
        });
        self.leaves[li] = cut.next().expect("at least one span");
        let rest: Vec<Leaf> = cut.collect();
        let n = rest.len();
        self.leaves.splice(li + 1..li + 1, rest);
        li + n
    }

    /// Removes `a..=b`, splitting the span holding it; false (and no change) unless all held.
    fn remove(&mut self, a: u64, b: u64) -> bool {
        // Lowest-first transfers take the first span: look there before searching.
        let p = match self.leaves.first() {
            Some(l) if l.spans[0].0 <= a && a <= l.spans[0].1 => Some((0, 0)),
            _ => self.pred(a),
        };
        let Some((li, i)) = p else {
            return false;
        };
        let (s, e) = self.leaves[li].spans[i];
        if e < b {
            return false;
        }
        let leaf = &mut self.leaves[li];
        match (s == a, e == b) {
            (true, true) => self.remove_at((li, i)),
            (true, false) => {
                leaf.spans[i].0 = b + 1;
                leaf.refresh();
            }
            (false, true) => leaf.spans[i].1 = a - 1,
            (false, false) => {
                leaf.spans[i].1 = a - 1;
                self.insert_at((li, i + 1), (b + 1, e));
            }
        }
        self.count -= b - a + 1;
        true
    }

    /// Removes the longest prefix of `ranges` that equals the set's first spans, a leaf at a
    /// time; returns its length.
    fn remove_prefix(&mut self, ranges: &[SerialRange]) -> usize {
        let mut done = 0;
        while let Some(leaf) = self.leaves.first_mut() {
            let n = leaf.spans.len();
            let k = leaf
                .spans
                .iter()
                .zip(&ranges[done..])
                .take_while(|(s, r)| **s == (r.start(), r.end()))
                .count();
            if k == 0 {
                break;
            }
            self.count -= ranges[done..done + k].iter().map(|r| r.len()).sum::<u64>();
            self.len -= k;
            leaf.spans.drain(..k);
            self.rebalance(0);
            done += k;
            if k < n {
                break;
            }
        }
        done
    }

    /// Puts `span` at position `i` of leaf `li` (`i` may be the leaf's length), splitting a
    /// full leaf. Counts of serials are the caller's.
    fn insert_at(&mut self, (li, i): Pos, span: Span) {
        self.len += 1;
        let n = self.leaves.len();
        let leaf = &mut self.leaves[li];
        if leaf.spans.len() < L {
            leaf.spans.insert(i, span);
            leaf.refresh();
        } else if i == L && li + 1 == n {
            // Appending past a full last leaf: start a new one, so ordered growth packs leaves.
            let mut next = Vec::with_capacity(L);
            next.push(span);
            self.leaves.push(Leaf::new(next));
        } else {
            let half = L / 2;
            let mut right = Vec::with_capacity(L);
            right.extend_from_slice(&leaf.spans[half..]);
            leaf.spans.truncate(half);
            if i <= half {
                leaf.spans.insert(i, span);
                leaf.refresh();
            } else {
                right.insert(i - half, span);
            }
            self.leaves.insert(li + 1, Leaf::new(right));
        }
    }

    /// Drops the span at `p`; an emptied leaf goes, a leaf down to a quarter merges with a
    /// neighbour when both fit in one. Counts of serials are the caller's.
    fn remove_at(&mut self, (li, i): Pos) {
        self.len -= 1;
        self.leaves[li].spans.remove(i);
        self.rebalance(li);
    }

    /// After spans left leaf `li`: drop it if empty, else refresh its first start and, when it
    /// is down to a quarter, merge it with a neighbour if both fit in one leaf.
    fn rebalance(&mut self, li: usize) {
        let leaf = &mut self.leaves[li];
        let n = leaf.spans.len();
        if n == 0 {
            self.leaves.remove(li);
            return;
        }
        leaf.refresh();
        if n <= L / 4 {
            if li + 1 < self.leaves.len() && n + self.leaves[li + 1].spans.len() <= L {
                let next = self.leaves.remove(li + 1);
                self.leaves[li].spans.extend_from_slice(&next.spans);
            } else if li > 0 && n + self.leaves[li - 1].spans.len() <= L {
                let this = self.leaves.remove(li);
                self.leaves[li - 1].spans.extend_from_slice(&this.spans);
            }
        }
    }

    /// Appends a span known to start after every span present, without touching the last.
    fn push_back(&mut self, span: Span) {
        match self.leaves.last_mut() {
            Some(leaf) if leaf.spans.len() < L => leaf.spans.push(span),
            last => {
                let mut next = Vec::with_capacity(if last.is_none() { 1 } else { L });
                next.push(span);
                self.leaves.push(Leaf::new(next));
            }
        }
        self.len += 1;
        self.count += span.1 - span.0 + 1;
    }

    #[cfg(test)]
    fn check_invariants(&self) -> Result<(), String> {
        let mut last: Option<u64> = None;
        let (mut len, mut count) = (0, 0);
        for leaf in &self.leaves {
            if leaf.spans.is_empty() || leaf.spans.len() > L {
                return Err(format!("leaf of {} spans", leaf.spans.len()));
            }
            if leaf.first != leaf.spans[0].0 {
                return Err(format!("leaf first {} for {:?}", leaf.first, leaf.spans[0]));
            }
            for &(s, e) in &leaf.spans {
                if s == 0 || s > e || last.is_some_and(|l| l + 1 >= s) {
                    return Err(format!("span {s}-{e} after {last:?}"));
                }
                last = Some(e);
                len += 1;
                count += e - s + 1;
            }
        }
        if (len, count) != (self.len, self.count) {
            return Err(format!(
                "len/count {:?} stored as {:?}",
                (len, count),
                (self.len, self.count)
            ));
        }
        Ok(())
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
        assert_eq!(set.start_containing(50), Some(1));
        assert_eq!(set.end_of(1), Some(100));
        assert_eq!(set.end_of(2), None);
        assert_eq!(format!("{set:?}"), "{1..=100}");
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

    /// Sets cut into leaves differently are still equal, and a long text form parses into
    /// full leaves.
    #[test]
    fn equality_ignores_leaf_boundaries() {
        let text: Vec<String> = (0..1000u64).map(|i| (3 * i + 1).to_string()).collect();
        let parsed = RangeSet::parse_text(&text.join(",")).unwrap();
        assert_eq!(parsed.0.leaves.len(), 1000usize.div_ceil(LEAF));
        let mut built = RangeSet::new();
        for i in (0..1000u64).rev() {
            built.insert(r(3 * i + 1, 3 * i + 1)).unwrap();
        }
        assert_ne!(parsed.0.leaves.len(), built.0.leaves.len());
        assert_eq!(parsed, built);
        built.0.check_invariants().unwrap();
        parsed.0.check_invariants().unwrap();
        assert_eq!(built.to_text(), text.join(","));
    }

    /// One model run: the leaf set behaves exactly like a set of integers, keeps its
    /// invariants, and answers every query as the model does.
    fn run_model<const L: usize>(
        ops: &[(u8, u64, u64)],
        probes: &[(u64, u64)],
    ) -> Result<(), TestCaseError> {
        let mut set = Leaves::<L>::default();
        let mut model = BTreeSet::new();
        for &(op, start, len) in ops {
            let (a, b) = (start, start + len);
            let all: Vec<u64> = (a..=b).collect();
            if op == 3 {
                // A batch of up to five ascending ranges, some touching each other, inserted
                // as `RangeSet::insert_all` does: in order until one overlaps.
                let mut batch = Vec::new();
                let mut at = start;
                for i in 0..(1 + start % 5) {
                    batch.push(r(at, at + len));
                    at += len + 1 + (i * start + len) % 3;
                }
                let k = set.insert_ascending(&batch);
                let mut ok = true;
                for (i, b) in batch.iter().enumerate() {
                    let free = (b.start()..=b.end()).all(|x| !model.contains(&x));
                    if ok && free {
                        model.extend(b.start()..=b.end());
                        if i >= k {
                            prop_assert!(set.insert(b.start(), b.end()));
                        }
                    } else {
                        if ok {
                            prop_assert!(
                                i >= k,
                                "the merged prefix {k} took an overlapping range {i}"
                            );
                            prop_assert!(!set.insert(b.start(), b.end()));
                        }
                        ok = false;
                    }
                }
            } else if op == 2 {
                // The lowest `len` stored spans, then (when `start` is even) one that is not
                // the next span: only the spans leave, in one step.
                let mut take: Vec<SerialRange> =
                    set.spans().take(len as usize).map(range).collect();
                let k = take.len();
                if start % 2 == 0 && set.spans().nth(k) != Some((start, start)) {
                    take.push(r(start, start));
                }
                prop_assert_eq!(set.remove_prefix(&take), k);
                for t in &take[..k] {
                    for x in t.start()..=t.end() {
                        model.remove(&x);
                    }
                }
            } else if op == 0 {
                let ok = all.iter().all(|x| !model.contains(x));
                prop_assert_eq!(set.is_disjoint(a, b), ok);
                prop_assert_eq!(set.insert(a, b), ok);
                if ok {
                    model.extend(all);
                }
            } else {
                let ok = all.iter().all(|x| model.contains(x));
                prop_assert_eq!(set.contains(a, b), ok);
                prop_assert_eq!(set.remove(a, b), ok);
                if ok {
                    for x in all {
                        model.remove(&x);
                    }
                }
            }
            set.check_invariants().map_err(TestCaseError::fail)?;
            prop_assert_eq!(set.count, model.len() as u64);
            let flat: Vec<u64> = set.spans().flat_map(|(s, e)| s..=e).collect();
            prop_assert_eq!(&flat, &model.iter().copied().collect::<Vec<_>>());
            for &(x, w) in probes {
                let from: Vec<u64> = set.spans_from(x).flat_map(|(s, e)| s..=e).collect();
                let want: Vec<u64> = model.range(x..).copied().collect();
                // spans_from starts at the span containing x, so it may begin below x.
                prop_assert_eq!(
                    from.iter()
                        .filter(|&&v| v >= x)
                        .copied()
                        .collect::<Vec<_>>(),
                    want
                );
                prop_assert_eq!(set.containing(x).is_some(), model.contains(&x));
                let held = (x..=x + w).all(|v| model.contains(&v));
                prop_assert_eq!(set.contains(x, x + w), held);
            }
        }
        Ok(())
    }

    proptest! {
        // Tiny leaves: every split, merge and leaf removal path runs.
        #[test]
        fn leaves_of_four_match_a_plain_set(
            ops in prop::collection::vec((0u8..4, 1u64..300, 0u64..12), 1..150),
            probes in prop::collection::vec((1u64..320, 0u64..6), 4),
        ) {
            run_model::<4>(&ops, &probes)?;
        }

        #[test]
        fn leaves_of_two_match_a_plain_set(
            ops in prop::collection::vec((0u8..4, 1u64..100, 0u64..5), 1..100),
            probes in prop::collection::vec((1u64..110, 0u64..4), 3),
        ) {
            run_model::<2>(&ops, &probes)?;
        }

        // The production leaf size, with enough ranges for several leaves.
        #[test]
        fn production_leaves_match_a_plain_set(
            ops in prop::collection::vec((prop::sample::select(vec![0u8, 0, 0, 0, 0, 0, 1, 1, 2, 3, 3]), 1u64..2_000, 0u64..3), 1..400),
            probes in prop::collection::vec((1u64..2_010, 0u64..4), 2),
        ) {
            run_model::<LEAF>(&ops, &probes)?;
        }

        // The public type, against the model, including lowest and intersect.
        #[test]
        fn matches_a_plain_set(ops in prop::collection::vec((any::<bool>(), 1u64..200, 0u64..20), 1..60), q in 1u64..50, w in (1u64..200, 0u64..40)) {
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
                // Give the lowest q serials back and forth through insert_all now and then.
                if start % 7 == 0 && let Ok(low) = set.lowest(q) {
                    set.remove_all(&low).unwrap();
                    prop_assert_eq!(set.insert_all(&low), Ok(()));
                    prop_assert!(set.insert_all(&low).is_err());
                }
                // Take the lowest q serials now and then, as a lowest-first transfer does.
                if start % 5 == 0 && let Ok(low) = set.lowest(q) {
                    set.remove_all(&low).unwrap();
                    for x in model.iter().take(q as usize).copied().collect::<Vec<_>>() {
                        model.remove(&x);
                    }
                }
                prop_assert_eq!(set.count(), model.len() as u64);
                let flat: Vec<u64> = set.iter().flat_map(|r| r.start()..=r.end()).collect();
                prop_assert_eq!(flat, model.iter().copied().collect::<Vec<_>>());
                // no two stored ranges touch
                let v: Vec<_> = set.iter().collect();
                for w in v.windows(2) { prop_assert!(w[0].end() + 1 < w[1].start()); }
                prop_assert_eq!(set.range_count(), v.len());
                // lowest q serials
                match set.lowest(q) {
                    Ok(rs) => {
                        let got: Vec<u64> = rs.iter().flat_map(|r| r.start()..=r.end()).collect();
                        prop_assert_eq!(got, model.iter().take(q as usize).copied().collect::<Vec<_>>());
                    }
                    Err(_) => prop_assert!(q > model.len() as u64),
                }
                // intersect with a window
                let win = r(w.0, w.0 + w.1);
                let got: Vec<u64> = set.intersect(win).iter().flat_map(|r| r.start()..=r.end()).collect();
                prop_assert_eq!(got, model.range(win.start()..=win.end()).copied().collect::<Vec<_>>());
                // the text form round-trips
                prop_assert_eq!(&RangeSet::parse_text(&set.to_text()).unwrap(), &set);
            }
        }
    }
}
