//! The shipped factor tables, typed. Each table keeps its [`TableMeta`] so that a result can
//! name the table version that produced it.

use crate::table::{Mark, RawTable, TableError, TableMeta};
use crate::unit::Unit;
use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::LazyLock;

/// Physical state, which fixes the unit Part 98 expresses the fuel in (§98.33(a)(1): "mass in
/// short tons for solid fuel, volume in standard cubic feet for gaseous fuel, and volume in
/// gallons for liquid fuel").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FuelState {
    Solid,
    Liquid,
    Gas,
}

impl FuelState {
    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "solid" => Ok(Self::Solid),
            "liquid" => Ok(Self::Liquid),
            "gas" => Ok(Self::Gas),
            _ => Err(format!("state: {s:?} is not solid, liquid or gas")),
        }
    }
    /// The unit of `Fuel` in the subpart C equations.
    pub fn part98_unit(self) -> Unit {
        match self {
            Self::Solid => Unit::ShortTon,
            Self::Liquid => Unit::Gal,
            Self::Gas => Unit::Scf,
        }
    }
}

/// A row of Part 98 Table C-1.
#[derive(Debug, Clone, Serialize)]
pub struct C1Fuel {
    pub id: String,
    pub name: String,
    pub state: FuelState,
    /// The Table C-2 row for its CH4 and N2O.
    pub c2_category: String,
    /// Default HHV, mmBtu per `state.part98_unit()`.
    pub hhv: Decimal,
    pub co2_kg_per_mmbtu: Decimal,
    pub biomass: bool,
    pub mark: Mark,
}

/// A row of Part 98 Table C-2.
#[derive(Debug, Clone, Serialize)]
pub struct C2Factor {
    pub category: String,
    pub name: String,
    pub ch4_kg_per_mmbtu: Decimal,
    pub n2o_kg_per_mmbtu: Decimal,
    pub mark: Mark,
}

/// A row of IPCC 2006 Vol. 2 Ch. 1 Tables 1.2–1.4.
#[derive(Debug, Clone, Serialize)]
pub struct IpccFuel {
    pub id: String,
    pub name: String,
    pub ncv_tj_per_gg: Decimal,
    pub carbon_kg_per_gj: Decimal,
    pub co2_kg_per_tj: Decimal,
    pub biomass: bool,
    /// Row of Tables 2.2/2.3 for CH4 and N2O; `None` where the tables give no default.
    pub ch4_n2o_category: Option<String>,
    pub mark: Mark,
}

/// A row of IPCC 2006 Vol. 2 Ch. 2 Tables 2.2/2.3.
#[derive(Debug, Clone, Serialize)]
pub struct IpccNonCo2 {
    pub category: String,
    pub sector: String,
    pub ch4_kg_per_tj: Decimal,
    pub n2o_kg_per_tj: Decimal,
    pub mark: Mark,
}

#[derive(Debug, Clone)]
pub struct Table<T> {
    pub meta: TableMeta,
    pub rows: Vec<T>,
}

fn load<T>(
    file: &str,
    text: &str,
    row: impl FnMut(&crate::table::Row<'_>) -> Result<T, String>,
) -> Result<Table<T>, TableError> {
    let raw = RawTable::parse(file, text)?;
    Ok(Table {
        rows: raw.map_rows(row)?,
        meta: raw.meta,
    })
}

pub fn parse_c1(file: &str, text: &str) -> Result<Table<C1Fuel>, TableError> {
    load(file, text, |r| {
        let state = FuelState::parse(r.str("state")?)?;
        let unit = r.str("hhv_unit")?;
        let want = format!("mmbtu/{}", state.part98_unit());
        if unit != want {
            return Err(format!(
                "hhv_unit {unit:?} does not match a {state:?} fuel ({want})"
            ));
        }
        Ok(C1Fuel {
            id: r.str("fuel")?.to_owned(),
            name: r.str("name")?.to_owned(),
            state,
            c2_category: r.str("c2_category")?.to_owned(),
            hhv: r.decimal("hhv")?,
            co2_kg_per_mmbtu: r.decimal("co2_kg_per_mmbtu")?,
            biomass: r.bool("biomass")?,
            mark: r.mark()?,
        })
    })
}

pub fn parse_c2(file: &str, text: &str) -> Result<Table<C2Factor>, TableError> {
    load(file, text, |r| {
        Ok(C2Factor {
            category: r.str("category")?.to_owned(),
            name: r.str("name")?.to_owned(),
            ch4_kg_per_mmbtu: r.decimal("ch4_kg_per_mmbtu")?,
            n2o_kg_per_mmbtu: r.decimal("n2o_kg_per_mmbtu")?,
            mark: r.mark()?,
        })
    })
}

pub fn parse_ipcc_fuels(file: &str, text: &str) -> Result<Table<IpccFuel>, TableError> {
    load(file, text, |r| {
        let cat = r.str("ch4_n2o_category")?;
        Ok(IpccFuel {
            id: r.str("fuel")?.to_owned(),
            name: r.str("name")?.to_owned(),
            ncv_tj_per_gg: r.decimal("ncv_tj_per_gg")?,
            carbon_kg_per_gj: r.decimal("carbon_kg_per_gj")?,
            co2_kg_per_tj: r.decimal("co2_kg_per_tj")?,
            biomass: r.bool("biomass")?,
            ch4_n2o_category: (!cat.is_empty()).then(|| cat.to_owned()),
            mark: r.mark()?,
        })
    })
}

pub fn parse_ipcc_non_co2(file: &str, text: &str) -> Result<Table<IpccNonCo2>, TableError> {
    load(file, text, |r| {
        Ok(IpccNonCo2 {
            category: r.str("category")?.to_owned(),
            sector: r.str("sector")?.to_owned(),
            ch4_kg_per_tj: r.decimal("ch4_kg_per_tj")?,
            n2o_kg_per_tj: r.decimal("n2o_kg_per_tj")?,
            mark: r.mark()?,
        })
    })
}

macro_rules! shipped {
    ($name:ident, $ty:ty, $parse:ident, $file:literal) => {
        pub static $name: LazyLock<Table<$ty>> = LazyLock::new(|| {
            $parse($file, include_str!(concat!("../data/", $file)))
                .unwrap_or_else(|e| panic!("shipped table is malformed: {e}"))
        });
    };
}

shipped!(TABLE_C1, C1Fuel, parse_c1, "part98_table_c1.csv");
shipped!(TABLE_C2, C2Factor, parse_c2, "part98_table_c2.csv");
shipped!(
    IPCC_FUELS,
    IpccFuel,
    parse_ipcc_fuels,
    "ipcc2006_v2_ch1_defaults.csv"
);
shipped!(
    IPCC_NON_CO2,
    IpccNonCo2,
    parse_ipcc_non_co2,
    "ipcc2006_v2_ch2_ch4_n2o.csv"
);

pub fn c1_fuel(id: &str) -> Option<&'static C1Fuel> {
    TABLE_C1.rows.iter().find(|f| f.id == id)
}

pub fn c2_factor(category: &str) -> Option<&'static C2Factor> {
    TABLE_C2.rows.iter().find(|f| f.category == category)
}

pub fn ipcc_fuel(id: &str) -> Option<&'static IpccFuel> {
    IPCC_FUELS.rows.iter().find(|f| f.id == id)
}

pub fn ipcc_non_co2(category: &str, sector: &str) -> Option<&'static IpccNonCo2> {
    IPCC_NON_CO2
        .rows
        .iter()
        .find(|f| f.category == category && f.sector == sector)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn shipped_tables_parse_and_are_consistent() {
        assert_eq!(TABLE_C1.rows.len(), 43);
        for f in &TABLE_C1.rows {
            assert!(
                c2_factor(&f.c2_category).is_some(),
                "{}: C-2 category {}",
                f.id,
                f.c2_category
            );
        }
        let ng = c1_fuel("natural_gas").unwrap();
        assert_eq!((ng.hhv, ng.co2_kg_per_mmbtu), (dec!(0.001026), dec!(53.06)));
        assert_eq!(TABLE_C2.rows.len(), 11);
        for f in &IPCC_FUELS.rows {
            // Table 1.4's EF is Table 1.3's carbon content × 44/12 × 1000, rounded to three
            // significant figures in the table (reference/mrv.md §3.2): a transcription check.
            let recomputed = f.carbon_kg_per_gj * dec!(44) / dec!(12) * dec!(1000);
            let diff = (recomputed - f.co2_kg_per_tj).abs() / f.co2_kg_per_tj;
            assert!(
                diff < dec!(0.005),
                "{}: {recomputed} vs {}",
                f.id,
                f.co2_kg_per_tj
            );
            if let Some(c) = &f.ch4_n2o_category {
                assert!(ipcc_non_co2(c, "energy").is_some(), "{}", f.id);
                assert!(ipcc_non_co2(c, "manufacturing").is_some(), "{}", f.id);
            }
        }
    }

    #[test]
    fn malformed_tables_name_file_and_line() {
        let text = "# table: t\n# version: v\n# source: s\ncategory,name,ch4_kg_per_mmbtu,n2o_kg_per_mmbtu,mark\nx,X,0.1,0.2,VERIFIED\ny,Y,abc,0.2,VERIFIED\n";
        let e = parse_c2("mine.csv", text).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(
            e.to_string()
                .starts_with("mine.csv, line 6: ch4_kg_per_mmbtu"),
            "{e}"
        );
        let e = parse_c2("mine.csv", "category,name\n").unwrap_err();
        assert!(e.to_string().contains("# table:"), "{e}");
        let bad_mark = text
            .replace("abc", "0.3")
            .replace("Y,0.3,0.2,VERIFIED", "Y,0.3,0.2,MAYBE");
        assert!(
            parse_c2("m", &bad_mark)
                .unwrap_err()
                .to_string()
                .contains("MAYBE")
        );
    }
}
