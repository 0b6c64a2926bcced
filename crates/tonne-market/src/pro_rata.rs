//! Sharing a whole quantity among claimants in proportion to their weights, the way Québec
//! splits a quantity everywhere it has to (reserve sales QC-s.61.3 and 61.5, consigned-unit
//! proceeds QC-s.54.1, VERIFIED; reference/cap-and-trade.md §1.1 and §9, "Auction tie
//! allocation"): each claimant gets ⌊its weight ÷ the total weight × the quantity⌋, then the
//! units left go one each to the claimants in ascending order of a random number drawn per
//! claimant. The numbers come from a seeded [`SplitMix64`], drawn once per claimant in the
//! order given, so the same seed gives the same split on every machine.
//!
//! The auction's tie rule (`auction::break_tie`) follows the same pattern with its own rounding
//! unit; this module serves the sale's split between jurisdictions and consignors.

use serde::Serialize;
use tonne_core::rng::SplitMix64;

/// One claimant's part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Share {
    /// ⌊weight × quantity ÷ total weight⌋.
    pub pro_rata: u64,
    /// The claimant's random number.
    pub random: u64,
    /// The unit of the remainder it received (0 or 1).
    pub extra: u64,
}

impl Share {
    pub fn total(&self) -> u64 {
        self.pro_rata + self.extra
    }
}

/// Splits `quantity` among `weights` (`quantity` ≤ Σ weights, asserted). Nobody gets more than
/// its weight and the parts add up to `quantity` exactly.
pub fn split(quantity: u64, weights: &[u64], rng: &mut SplitMix64) -> Vec<Share> {
    let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    assert!(
        u128::from(quantity) <= total,
        "cannot split {quantity} among weights adding up to {total}"
    );
    let mut shares: Vec<Share> = weights
        .iter()
        .map(|&w| Share {
            // w × quantity / total ≤ w: fits u64.
            pro_rata: (u128::from(w) * u128::from(quantity))
                .checked_div(total)
                .unwrap_or(0) as u64,
            random: rng.next_u64(),
            extra: 0,
        })
        .collect();
    let given: u64 = shares.iter().map(|s| s.pro_rata).sum();
    let mut leftover = quantity - given;
    // Each floor loses less than one unit, so the leftover is below the number of claimants
    // with a fractional share, and each of those can take one more unit.
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by_key(|&i| (shares[i].random, i));
    for i in order {
        if leftover == 0 {
            break;
        }
        if shares[i].pro_rata < weights[i] {
            shares[i].extra = 1;
            leftover -= 1;
        }
    }
    assert_eq!(
        leftover, 0,
        "the remainder is below the claimants that can take it"
    );
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_then_one_unit_each_in_random_order() {
        // 10,000 among 6,000 / 5,000 / 1,000: 5,000, 4,166, 833, one unit left.
        let s = split(10_000, &[6000, 5000, 1000], &mut SplitMix64::new(7));
        let pro: Vec<u64> = s.iter().map(|x| x.pro_rata).collect();
        assert_eq!(pro, [5000, 4166, 833]);
        assert_eq!(s.iter().map(Share::total).sum::<u64>(), 10_000);
        // All three are below their weight, so the unit goes to the lowest random number.
        let lowest = s.iter().min_by_key(|x| x.random).unwrap();
        assert_eq!(lowest.extra, 1);
    }

    #[test]
    fn exact_and_empty() {
        let s = split(300, &[100, 200], &mut SplitMix64::new(1));
        assert_eq!(s.iter().map(Share::total).collect::<Vec<_>>(), [100, 200]);
        let s = split(0, &[0, 0], &mut SplitMix64::new(1));
        assert!(s.iter().all(|x| x.total() == 0));
    }
}
