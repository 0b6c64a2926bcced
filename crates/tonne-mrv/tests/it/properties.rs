//! Properties (proptest; PROPTEST_CASES scales the runs): unit round-trips, CO2e monotone in
//! each gas and blind to biogenic CO2, methods linear in activity data, and importers that
//! never panic on hostile input and always say where the problem is.

use proptest::prelude::*;
use rust_decimal::Decimal;
use tonne_mrv::factors;
use tonne_mrv::fuel::{FuelRequest, GwpSelection, Method, calculate};
use tonne_mrv::gwp::{Ar6Methane, GwpSet, choose};
use tonne_mrv::trace::{GasMasses, co2e};
use tonne_mrv::unit::{ALL_UNITS, Quantity, Unit};

fn decimal() -> impl Strategy<Value = Decimal> {
    (0i64..1_000_000_000_000, 0u32..7).prop_map(|(m, s)| Decimal::new(m, s))
}

fn gwp_set() -> impl Strategy<Value = GwpSet> {
    prop_oneof![
        Just(GwpSet::Sar),
        Just(GwpSet::Ar4),
        Just(GwpSet::Ar5),
        Just(GwpSet::Ar6)
    ]
}

proptest! {
    #[test]
    fn unit_round_trips(v in decimal(), a in 0usize..ALL_UNITS.len(), b in 0usize..ALL_UNITS.len()) {
        let a = ALL_UNITS[a];
        let same: Vec<Unit> = ALL_UNITS.into_iter().filter(|u| u.dimension() == a.dimension()).collect();
        let b = same[b % same.len()];
        let q = Quantity::new(v, a);
        let back = q.to(b).unwrap().to(a).unwrap();
        let tolerance = v.abs() * Decimal::new(1, 20) + Decimal::new(1, 20);
        prop_assert!((back.value - v).abs() <= tolerance, "{v} {a} -> {b} -> {}", back.value);
        if a != b {
            prop_assert!(Quantity::new(v, a).to(Unit::Scf).is_ok() == (a.dimension() == Unit::Scf.dimension()));
        }
    }

    #[test]
    fn co2e_is_monotone_in_each_gas_and_blind_to_biogenic(
        co2 in decimal(), ch4 in decimal(), n2o in decimal(), bio in decimal(),
        delta in 1i64..1_000_000, set in gwp_set(),
    ) {
        let g = choose(set, Ar6Methane::Combined, "test".into());
        let base = GasMasses { co2_t: co2, ch4_t: ch4, n2o_t: n2o, biogenic_co2_t: bio };
        let (e0, _) = co2e(&base, &g);
        let d = Decimal::new(delta, 3);
        for bump in 0..3 {
            let mut m = base.clone();
            match bump { 0 => m.co2_t += d, 1 => m.ch4_t += d, _ => m.n2o_t += d }
            prop_assert!(co2e(&m, &g).0 > e0);
        }
        let more_bio = GasMasses { biogenic_co2_t: bio + d, ..base.clone() };
        prop_assert_eq!(co2e(&more_bio, &g).0, e0);
        prop_assert!(e0 >= co2);
    }

    #[test]
    fn part98_tier1_is_linear_and_biogenic_only_for_biomass(
        fuel in 0usize..factors::TABLE_C1.rows.len(), q in 1i64..10_000_000_000, set in gwp_set(),
    ) {
        let f = &factors::TABLE_C1.rows[fuel];
        let unit = f.state.part98_unit();
        let req = |q: Decimal| FuelRequest::new(
            Method::Part98Tier1, &f.id, Quantity::new(q, unit), GwpSelection::Set(set, Ar6Methane::Combined));
        let q = Decimal::new(q, 2);
        let one = calculate(&req(q)).unwrap();
        let two = calculate(&req(q * Decimal::TWO)).unwrap();
        prop_assert_eq!(two.co2e_t, one.co2e_t * Decimal::TWO);
        prop_assert_eq!(two.biogenic_co2_t, one.biogenic_co2_t * Decimal::TWO);
        if f.biomass {
            prop_assert!(one.co2_t.is_zero() && one.biogenic_co2_t > Decimal::ZERO);
            prop_assert!(one.co2e_t < one.biogenic_co2_t);
        } else {
            prop_assert!(one.biogenic_co2_t.is_zero() && one.co2e_t > one.co2_t);
        }
        prop_assert_eq!(one.co2e_t, one.co2_t + one.ch4_t * one.gwp.ch4 + one.n2o_t * one.gwp.n2o);
    }

    /// Arbitrary text and single-byte mutations of a valid report: an error names a field path
    /// or position, never a panic.
    #[test]
    fn json_reports_never_panic(noise in ".{0,200}", at in 0usize..2000, byte in 0u8..128) {
        let _ = tonne_mrv::report::input::parse_json(&noise);
        let valid = include_str!("../../../../docs/examples/report-cement.json");
        let mut bytes = valid.as_bytes().to_vec();
        let i = at % bytes.len();
        bytes[i] = byte;
        if let Ok(text) = std::str::from_utf8(&bytes) {
            match tonne_mrv::report::input::parse_json(text) {
                Ok(input) => {
                    if let Err(errs) = tonne_mrv::report::compute(&input) {
                        prop_assert!(errs.iter().all(|e| !e.path.is_empty() && !e.message.is_empty()));
                    }
                }
                Err(e) => prop_assert!(!e.message.is_empty()),
            }
        }
    }

    #[test]
    fn csv_reports_never_panic(rows in proptest::collection::vec("[a-z0-9_.,\\-\" ]{0,80}", 0..12)) {
        let valid = include_str!("../../../../docs/examples/report-fuels.csv");
        let header = valid.lines().next().unwrap();
        let text = std::iter::once(header.to_owned()).chain(rows).collect::<Vec<_>>().join("\n");
        match tonne_mrv::report::csv::read(text.as_bytes()) {
            Ok((inputs, _)) => {
                for i in &inputs {
                    let _ = tonne_mrv::report::compute(i);
                }
            }
            Err(errs) => prop_assert!(errs.iter().all(|e| e.path.starts_with("line "))),
        }
    }
}
