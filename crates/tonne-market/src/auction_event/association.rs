//! Purchase and holding limits shared by a direct corporate association (reference/cap-and-trade.md
//! §1.1: "for each bidder b (an entity, or a direct-corporate-association group that shares
//! limits)"; purchase limits "shared across a direct corporate association"; the holding limit
//! "applied jointly to a direct corporate association", VERIFIED REG-§95920(a)).
//!
//! Bidders the notice registers with the same `corporate_association` are screened together
//! before the auction engine screens each of them:
//!
//! - the association's purchase limit is its largest member's category limit, or its smallest
//!   (`rules.association_purchase_limit`, UNVERIFIED: the reference gives no rule for members
//!   of different categories);
//! - its holding headroom is the smallest its members registered (the registry computes one
//!   headroom per corporate group, so they agree unless a registration is stale);
//! - lots over the lower of the two, rounded down to whole lots, are removed starting with the
//!   association's lowest-priced bids (QC-s.52 para 1); at the price where only part of the
//!   lots can stay, they stay with each member pro rata to its lots at that price, rounded down
//!   to whole lots, the rest one lot at a time in bidder id order (UNVERIFIED: no rule text).
//!
//! Each member is then held to its own limits by the engine as well.

use super::AuctionKind;
use super::notice::{AssociationLimit, Notice};
use super::registration::Registry;
use crate::auction::{Bid, LOT};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the association screen did to one association in one auction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssociationScreen {
    pub association: String,
    /// Members that bid, by id.
    pub members: Vec<String>,
    pub purchase_limit: u64,
    pub holding_headroom: Option<u64>,
    /// Allowances the members bid, and those removed by the joint limit.
    pub bid: u64,
    pub removed: u64,
}

/// Screens the bids of every association with two or more bidding members against its joint
/// limits, in place (bids cut to nothing are dropped, with their lines). Bids must be checked
/// against the registration first.
pub fn screen(
    notice: &Notice,
    registry: &Registry<'_>,
    kind: AuctionKind,
    offered: u64,
    bids: &mut Vec<Bid>,
    lines: &mut Vec<u64>,
) -> Vec<AssociationScreen> {
    if notice
        .bidders
        .iter()
        .all(|b| b.corporate_association.is_none())
    {
        return vec![];
    }
    let mut groups: BTreeMap<&str, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
    for (i, b) in bids.iter().enumerate() {
        let bidder = registry
            .bidder(&b.bidder)
            .expect("bids were checked against the registration");
        if let Some(a) = &bidder.corporate_association {
            groups
                .entry(a.as_str())
                .or_default()
                .entry(bidder.id.as_str())
                .or_default()
                .push(i);
        }
    }
    let mut keep: Vec<u64> = bids.iter().map(|b| b.quantity).collect();
    let mut out = Vec::new();
    for (association, members) in groups.into_iter().filter(|(_, m)| m.len() > 1) {
        let bidders: Vec<_> = members
            .keys()
            .map(|id| registry.bidder(id).expect("registered"))
            .collect();
        let limits = bidders
            .iter()
            .map(|b| registry.purchase_limit(b, kind, offered));
        let purchase_limit = match notice.rules.association_purchase_limit {
            AssociationLimit::LargestMember => limits.max(),
            AssociationLimit::SmallestMember => limits.min(),
        }
        .expect("two or more members");
        let holding_headroom = bidders
            .iter()
            .filter_map(|b| match kind {
                AuctionKind::Current => b.holding_headroom.current,
                AuctionKind::Advance => b.holding_headroom.advance,
            })
            .min();
        let cap = purchase_limit.min(holding_headroom.unwrap_or(u64::MAX)) / LOT * LOT;
        let all: Vec<usize> = members.values().flatten().copied().collect();
        let bid: u64 = all.iter().map(|&i| bids[i].quantity).sum();
        let removed = bid.saturating_sub(cap);
        if removed > 0 {
            trim(bids, &members, cap, &mut keep);
        }
        out.push(AssociationScreen {
            association: association.to_owned(),
            members: members.keys().map(|m| (*m).to_owned()).collect(),
            purchase_limit,
            holding_headroom,
            bid,
            removed,
        });
    }
    if out.iter().any(|s| s.removed > 0) {
        let mut i = 0;
        bids.retain_mut(|b| {
            b.quantity = keep[i];
            i += 1;
            b.quantity > 0
        });
        let mut i = 0;
        lines.retain(|_| {
            i += 1;
            keep.get(i - 1).is_none_or(|&q| q > 0)
        });
    }
    out
}

/// Keeps `cap` allowances of the members' bids, highest prices first; writes what each bid
/// keeps into `keep`.
fn trim(bids: &[Bid], members: &BTreeMap<&str, Vec<usize>>, cap: u64, keep: &mut [u64]) {
    // Price levels, highest first.
    let mut levels: BTreeMap<std::cmp::Reverse<u64>, Vec<usize>> = BTreeMap::new();
    for idx in members.values() {
        for &i in idx {
            levels
                .entry(std::cmp::Reverse(bids[i].price_cents))
                .or_default()
                .push(i);
        }
    }
    let mut left = cap;
    for at_level in levels.into_values() {
        let total: u64 = at_level.iter().map(|&i| bids[i].quantity).sum();
        if total <= left {
            left -= total;
            continue;
        }
        // The marginal level: `left` stays with the members pro rata to their lots at this
        // price, in whole lots, then a lot at a time in member id order; a member's share is
        // kept on its bids at this price in file order (the engine merges them anyway).
        let mut by_member: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &i in &at_level {
            by_member
                .entry(bids[i].bidder.as_str())
                .or_default()
                .push(i);
        }
        let lots: Vec<u64> = by_member
            .values()
            .map(|idx| idx.iter().map(|&i| bids[i].quantity / LOT).sum())
            .collect();
        let (lots_left, total_lots) = (left / LOT, total / LOT);
        let mut kept: Vec<u64> = lots
            .iter()
            .map(|&l| (u128::from(l) * u128::from(lots_left) / u128::from(total_lots)) as u64)
            .collect();
        let mut rest = lots_left - kept.iter().sum::<u64>();
        while rest > 0 {
            for (k, &l) in kept.iter_mut().zip(&lots) {
                if rest > 0 && *k < l {
                    *k += 1;
                    rest -= 1;
                }
            }
        }
        for (idx, k) in by_member.values().zip(kept) {
            let mut k = k * LOT;
            for &i in idx {
                keep[i] = k.min(bids[i].quantity);
                k -= keep[i];
            }
        }
        left = 0;
    }
    debug_assert!(members.values().flatten().map(|&i| keep[i]).sum::<u64>() <= cap);
}
