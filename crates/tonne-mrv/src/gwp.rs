//! Global warming potentials (100-year) by IPCC assessment report, from the shipped `gwp.csv`.

use crate::table::{RawTable, TableMeta};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GwpSet {
    Sar,
    Ar4,
    Ar5,
    Ar6,
}

impl GwpSet {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sar => "sar",
            Self::Ar4 => "ar4",
            Self::Ar5 => "ar5",
            Self::Ar6 => "ar6",
        }
    }
}

impl FromStr for GwpSet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "sar" => Ok(Self::Sar),
            "ar4" => Ok(Self::Ar4),
            "ar5" => Ok(Self::Ar5),
            "ar6" => Ok(Self::Ar6),
            _ => Err(format!(
                "unknown GWP set {s:?}: expected sar, ar4, ar5 or ar6"
            )),
        }
    }
}

/// Which AR6 methane value applies: a policy choice each programme names (reference/mrv.md
/// §2.1: "Which AR6 CH4 value applies to combustion CH4 is a policy choice: make it a named
/// parameter").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ar6Methane {
    /// 27.9, AR6 WGI Table 7.SM.7 (VERIFIED).
    #[default]
    Combined,
    /// 29.8 (VERIFIED-SECONDARY: GHG Protocol "GWP values" v2.0, August 2024).
    Fossil,
    /// 27.0 (VERIFIED-SECONDARY: same source).
    NonFossil,
}

/// The GWPs applied to one result, recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GwpChoice {
    pub set: GwpSet,
    #[serde(serialize_with = "crate::num::ser_json_number")]
    pub ch4: Decimal,
    #[serde(serialize_with = "crate::num::ser_json_number")]
    pub n2o: Decimal,
    /// Why this set: "--gwp", or the programme and year that selected it.
    pub chosen_by: String,
    pub source: String,
}

struct GwpTable {
    meta: TableMeta,
    /// gas -> value per set
    values: BTreeMap<String, BTreeMap<GwpSet, Decimal>>,
}

static GWP: LazyLock<GwpTable> = LazyLock::new(|| {
    let raw = RawTable::parse("gwp.csv", include_str!("../data/gwp.csv"))
        .unwrap_or_else(|e| panic!("shipped table is malformed: {e}"));
    let rows = raw
        .map_rows(|r| {
            let mut per = BTreeMap::new();
            for set in [GwpSet::Sar, GwpSet::Ar4, GwpSet::Ar5, GwpSet::Ar6] {
                if let Some(v) = r.opt_decimal(set.as_str())? {
                    per.insert(set, v);
                }
            }
            Ok((r.str("gas")?.to_owned(), per))
        })
        .unwrap_or_else(|e| panic!("shipped table is malformed: {e}"));
    GwpTable {
        meta: raw.meta,
        values: rows.into_iter().collect(),
    }
});

/// The GWP of `gas` (`co2`, `ch4`, `n2o`, `sf6`, `hfc_134a`, `nf3`) in `set`, if published.
pub fn gwp(set: GwpSet, gas: &str) -> Option<Decimal> {
    GWP.values.get(gas)?.get(&set).copied()
}

pub fn table_meta() -> &'static TableMeta {
    &GWP.meta
}

/// The CH4 and N2O GWPs of a set, with the AR6 methane variant applied.
pub fn choose(set: GwpSet, ar6_methane: Ar6Methane, chosen_by: String) -> GwpChoice {
    let ch4 = match (set, ar6_methane) {
        (GwpSet::Ar6, Ar6Methane::Fossil) => dec!(29.8),
        (GwpSet::Ar6, Ar6Methane::NonFossil) => dec!(27.0),
        _ => gwp(set, "ch4").expect("every set has CH4"),
    };
    let mut source = format!(
        "IPCC {} GWP100 via openclimatedata/globalwarmingpotentials (CC0), reference/mrv.md §2.1",
        set.as_str().to_uppercase()
    );
    if set == GwpSet::Ar6 && ar6_methane != Ar6Methane::Combined {
        source.push_str("; AR6 fossil/non-fossil CH4 split: GHG Protocol GWP values v2.0, Aug 2024 (VERIFIED-SECONDARY)");
    }
    GwpChoice {
        set,
        ch4,
        n2o: gwp(set, "n2o").expect("every set has N2O"),
        chosen_by,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_values() {
        // reference/mrv.md §2.1 (VERIFIED)
        let want = [
            (GwpSet::Sar, dec!(21), dec!(310)),
            (GwpSet::Ar4, dec!(25), dec!(298)),
            (GwpSet::Ar5, dec!(28), dec!(265)),
            (GwpSet::Ar6, dec!(27.9), dec!(273)),
        ];
        for (set, ch4, n2o) in want {
            assert_eq!(gwp(set, "ch4"), Some(ch4));
            assert_eq!(gwp(set, "n2o"), Some(n2o));
            assert_eq!(gwp(set, "co2"), Some(Decimal::ONE));
        }
        assert_eq!(gwp(GwpSet::Sar, "nf3"), None);
        assert_eq!(gwp(GwpSet::Ar4, "sf6"), Some(dec!(22800)));
        let c = choose(GwpSet::Ar6, Ar6Methane::Fossil, "test".into());
        assert_eq!(c.ch4, dec!(29.8));
    }
}
