//! Golden vectors of reference/mrv.md §8 (Part 98 Tier 1; DERIVED from the VERIFIED Tables C-1
//! and C-2 by exact decimal arithmetic), exact to the published digits.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tonne_mrv::fuel::{FuelRequest, GwpSelection, Method, calculate};
use tonne_mrv::gwp::Ar6Methane;
use tonne_mrv::{GwpSet, ProgramId, Quantity, Unit};

struct Golden {
    id: &'static str,
    fuel: &'static str,
    quantity: Decimal,
    unit: Unit,
    co2: Decimal,
    ch4: Decimal,
    n2o: Decimal,
    /// SAR, AR4, AR5, AR6
    co2e: [Decimal; 4],
}

fn goldens() -> [Golden; 3] {
    [
        Golden {
            id: "G1: 100,000 mmBtu natural gas (C-1b)",
            fuel: "natural_gas",
            quantity: dec!(100000),
            unit: Unit::Mmbtu,
            co2: dec!(5306.00),
            ch4: dec!(0.1000),
            n2o: dec!(0.0100),
            co2e: [dec!(5311.20), dec!(5311.48), dec!(5311.45), dec!(5311.52)],
        },
        Golden {
            id: "G2: 1,000,000 gal No. 2 distillate",
            fuel: "distillate_fuel_oil_no2",
            quantity: dec!(1000000),
            unit: Unit::Gal,
            co2: dec!(10206.48),
            ch4: dec!(0.414),
            n2o: dec!(0.0828),
            co2e: [
                dec!(10240.842),
                dec!(10241.5044),
                dec!(10240.014),
                dec!(10240.635),
            ],
        },
        Golden {
            id: "G3: 10,000 short tons bituminous coal",
            fuel: "bituminous_coal",
            quantity: dec!(10000),
            unit: Unit::ShortTon,
            co2: dec!(23254.704),
            ch4: dec!(2.7423),
            n2o: dec!(0.39888),
            co2e: [
                dec!(23435.9451),
                dec!(23442.12774),
                dec!(23437.1916),
                dec!(23440.10841),
            ],
        },
    ]
}

const SETS: [GwpSet; 4] = [GwpSet::Sar, GwpSet::Ar4, GwpSet::Ar5, GwpSet::Ar6];

#[test]
fn part98_tier1_golden_vectors_exact() {
    for g in goldens() {
        for (i, set) in SETS.into_iter().enumerate() {
            let req = FuelRequest::new(
                Method::Part98Tier1,
                g.fuel,
                Quantity::new(g.quantity, g.unit),
                GwpSelection::Set(set, Ar6Methane::Combined),
            );
            let e = calculate(&req).unwrap();
            assert_eq!(e.co2_t, g.co2, "{} CO2", g.id);
            assert_eq!(e.ch4_t, g.ch4, "{} CH4", g.id);
            assert_eq!(e.n2o_t, g.n2o, "{} N2O", g.id);
            assert_eq!(e.biogenic_co2_t, Decimal::ZERO, "{}", g.id);
            assert_eq!(e.co2e_t, g.co2e[i], "{} CO2e {set:?}", g.id);
        }
    }
}

/// G2 is the regression test for the (programme, year) GWP choice: N2O is 24.67 t CO2e under
/// AR4 but 21.94 t under AR5 (reference/mrv.md §8).
#[test]
fn programme_year_selects_the_gwp_set() {
    let g2 = |year| {
        let req = FuelRequest::new(
            Method::Part98Tier1,
            "distillate_fuel_oil_no2",
            Quantity::new(dec!(1000000), Unit::Gal),
            GwpSelection::Program(ProgramId::Part98, year),
        );
        calculate(&req).unwrap()
    };
    assert_eq!(g2(2012).co2e_t, dec!(10240.842));
    assert_eq!(g2(2023).co2e_t, dec!(10241.5044));
    assert_eq!(g2(2024).co2e_t, dec!(10240.014));
    let rene = FuelRequest::new(
        Method::Part98Tier1,
        "distillate_fuel_oil_no2",
        Quantity::new(dec!(1000000), Unit::Gal),
        GwpSelection::Program(ProgramId::MxRene, 2020),
    );
    assert_eq!(calculate(&rene).unwrap().co2e_t, dec!(10240.014));
}

/// The same G1 heat input given in therms (Equation C-1a) and G2's fuel in barrels (exact
/// 42 gal/bbl) give the same tonnes.
#[test]
fn billing_units_and_conversions_agree() {
    let ar4 = GwpSelection::Set(GwpSet::Ar4, Ar6Methane::Combined);
    let therms = FuelRequest::new(
        Method::Part98Tier1,
        "natural_gas",
        Quantity::new(dec!(1000000), Unit::Therm),
        ar4.clone(),
    );
    let e = calculate(&therms).unwrap();
    assert_eq!((e.co2_t, e.co2e_t), (dec!(5306), dec!(5311.48)));
    assert!(e.trace[0].equation.contains("C-1a"));
    let bbl = FuelRequest::new(
        Method::Part98Tier1,
        "distillate_fuel_oil_no2",
        Quantity::new(dec!(1000000) / dec!(42), Unit::Bbl),
        ar4,
    );
    let e = calculate(&bbl).unwrap();
    assert!(
        (e.co2e_t - dec!(10241.5044)).abs() < dec!(1e-20),
        "{}",
        e.co2e_t
    );
    assert_eq!(e.trace[0].equation, "unit conversion");
}

/// Wood (Table C-1 biomass) puts its CO2 in biogenic_co2_t only; its CH4 and N2O count.
/// 1,000 short tons × 17.48 mmBtu/short ton = 17,480 mmBtu; × 93.80 kg/mmBtu = 1,639.624 t
/// biogenic CO2; CH4 17,480 × 7.2e-3 kg = 0.125856 t; N2O 17,480 × 3.6e-3 kg = 0.062928 t.
#[test]
fn biomass_co2_is_biogenic_and_outside_co2e() {
    let req = FuelRequest::new(
        Method::Part98Tier1,
        "wood_and_wood_residuals",
        Quantity::new(dec!(1000), Unit::ShortTon),
        GwpSelection::Set(GwpSet::Ar4, Ar6Methane::Combined),
    );
    let e = calculate(&req).unwrap();
    assert_eq!(e.co2_t, Decimal::ZERO);
    assert_eq!(e.biogenic_co2_t, dec!(1639.624));
    assert_eq!(e.ch4_t, dec!(0.125856));
    assert_eq!(e.n2o_t, dec!(0.062928));
    assert_eq!(
        e.co2e_t,
        dec!(0.125856) * dec!(25) + dec!(0.062928) * dec!(298)
    );
}

/// IPCC 2006 Tier 1 (VERIFIED-SECONDARY Table 1.4 EF; Table 2.2 CH4/N2O UNVERIFIED defaults):
/// 100 TJ natural gas → 5,610 t CO2, 0.1 t CH4, 0.01 t N2O; AR5 CO2e = 5,610 + 2.8 + 2.65.
/// 1,000 t natural gas = 1 Gg × 48.0 TJ/Gg = 48 TJ → 2,692.8 t CO2.
#[test]
fn ipcc_tier1() {
    let mut req = FuelRequest::new(
        Method::Ipcc2006Tier1,
        "natural_gas",
        Quantity::new(dec!(100), Unit::Tj),
        GwpSelection::Program(ProgramId::Ipcc, 2022),
    );
    req.sector = Some("energy".parse().unwrap());
    let e = calculate(&req).unwrap();
    assert_eq!(
        (e.co2_t, e.ch4_t, e.n2o_t),
        (dec!(5610), dec!(0.1), dec!(0.01))
    );
    assert_eq!(e.co2e_t, dec!(5615.45));
    req.quantity = Quantity::new(dec!(1000), Unit::Tonne);
    let e = calculate(&req).unwrap();
    assert_eq!(e.co2_t, dec!(2692.8));
}
