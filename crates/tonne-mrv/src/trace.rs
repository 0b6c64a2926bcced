//! Calculation traces: every reported tonne traced to an equation, its inputs, the factors used
//! and their published sources. Verifiers read the trace; tests check it.

use crate::gwp::GwpChoice;
use crate::num::ser_json_number;
use crate::table::Mark;
use rust_decimal::Decimal;
use serde::Serialize;

/// One value in a trace: a reporter's input (no source) or a published factor (with source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Value {
    pub name: String,
    #[serde(serialize_with = "ser_json_number")]
    pub value: Decimal,
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark: Option<Mark>,
}

impl Value {
    pub fn input(name: &str, value: Decimal, unit: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            source: None,
            mark: None,
        }
    }
    pub fn factor(
        name: &str,
        value: Decimal,
        unit: impl Into<String>,
        source: impl Into<String>,
        mark: Mark,
    ) -> Self {
        Self {
            name: name.into(),
            value,
            unit: unit.into(),
            source: Some(source.into()),
            mark: Some(mark),
        }
    }
}

/// One equation applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What the step yields: `co2`, `ch4`, `n2o`, `biogenic_co2`, `co2e`, `fuel`, `heat_input`…
    pub quantity: String,
    /// The regulatory equation, e.g. "40 CFR 98.33(a)(1) Equation C-1".
    pub equation: String,
    pub formula: String,
    /// The equation's form is marked like a factor (reference/mrv.md §1.2 marks forms).
    pub form_mark: Mark,
    pub inputs: Vec<Value>,
    pub result: Value,
}

/// Masses of each gas from one calculation, before GWPs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GasMasses {
    /// Fossil CO2 only.
    pub co2_t: Decimal,
    pub ch4_t: Decimal,
    pub n2o_t: Decimal,
    /// CO2 from biomass: reported, never in CO2e (§98.33(e)).
    pub biogenic_co2_t: Decimal,
}

impl GasMasses {
    pub fn add(&mut self, o: &GasMasses) {
        self.co2_t += o.co2_t;
        self.ch4_t += o.ch4_t;
        self.n2o_t += o.n2o_t;
        self.biogenic_co2_t += o.biogenic_co2_t;
    }
}

/// The result every method returns: per-gas masses in metric tons, CO2e under the recorded GWP
/// choice, and the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Emissions {
    #[serde(serialize_with = "ser_json_number")]
    pub co2_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub ch4_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub n2o_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub biogenic_co2_t: Decimal,
    #[serde(serialize_with = "ser_json_number")]
    pub co2e_t: Decimal,
    pub gwp: GwpChoice,
    pub trace: Vec<Step>,
}

/// 40 CFR 98 subpart A Equation A-1: CO2e = Σ GHG_i × GWP_i. Biogenic CO2 is excluded.
pub fn co2e(m: &GasMasses, gwp: &GwpChoice) -> (Decimal, Step) {
    let value = m.co2_t + m.ch4_t * gwp.ch4 + m.n2o_t * gwp.n2o;
    let set = gwp.set.as_str().to_uppercase();
    let step = Step {
        quantity: "co2e".into(),
        equation: "40 CFR 98 subpart A Equation A-1".into(),
        formula: "CO2e = CO2 + CH4 × GWP_CH4 + N2O × GWP_N2O (biogenic CO2 excluded)".into(),
        // The concept is standard; the equation number is UNVERIFIED (reference/mrv.md §1.4).
        form_mark: Mark::Unverified,
        inputs: vec![
            Value::input("CO2", m.co2_t, "t"),
            Value::input("CH4", m.ch4_t, "t"),
            Value::input("N2O", m.n2o_t, "t"),
            Value::factor(
                "GWP_CH4",
                gwp.ch4,
                format!("t CO2e/t ({set})"),
                gwp.source.clone(),
                Mark::Verified,
            ),
            Value::factor(
                "GWP_N2O",
                gwp.n2o,
                format!("t CO2e/t ({set})"),
                gwp.source.clone(),
                Mark::Verified,
            ),
        ],
        result: Value::input("CO2e", value, "t CO2e"),
    };
    (value, step)
}

/// Completes a calculation: CO2e under `gwp`, appended to the trace.
pub fn finish(m: GasMasses, gwp: GwpChoice, mut trace: Vec<Step>) -> Emissions {
    let (co2e_t, step) = co2e(&m, &gwp);
    trace.push(step);
    debug_assert!(co2e_t >= m.co2_t || m.ch4_t < Decimal::ZERO || m.n2o_t < Decimal::ZERO);
    Emissions {
        co2_t: m.co2_t,
        ch4_t: m.ch4_t,
        n2o_t: m.n2o_t,
        biogenic_co2_t: m.biogenic_co2_t,
        co2e_t,
        gwp,
        trace,
    }
}
