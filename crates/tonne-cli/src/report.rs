//! `tonne report …`: public market reports read from a registry store (compliance report per
//! entity, auction results with proceeds), now or as of a past journal seq or instant.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::process::ExitCode;
use tonne_app::compliance_report::{auctions, compliance_report, render, to_csv};
use tonne_app::open_existing_store;
use tonne_app::statement::{AsOf, state_as_of};
use tonne_core::{JurisdictionCode, Timestamp};

#[derive(Subcommand)]
pub enum ReportCmd {
    /// Obligations, surrenders by instrument type, offset caps, status (A/B/open) and untimely
    /// obligations per entity; status C for covered and opt-in entities without an obligation
    /// of a period whose compliance event was held; instruments that cannot be surrendered
    /// (e.g. after a delink).
    Compliance {
        #[arg(long, default_value = crate::DEFAULT_DB)]
        db: String,
        /// Only this jurisdiction's obligations (e.g. US-CA).
        #[arg(long)]
        jurisdiction: Option<String>,
        #[arg(long, conflicts_with = "as_of")]
        as_of_seq: Option<u64>,
        /// RFC 3339 instant.
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// One CSV row per obligation line, as the public compliance report tables.
        #[arg(long)]
        csv: bool,
    },
    /// Settled auctions: price, sold, proceeds per jurisdiction and per consignor, buyers.
    Auctions {
        #[arg(long, default_value = crate::DEFAULT_DB)]
        db: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: ReportCmd) -> Result<ExitCode> {
    match cmd {
        ReportCmd::Compliance {
            db,
            jurisdiction,
            as_of_seq,
            as_of,
            json,
            csv,
        } => {
            let j = jurisdiction
                .map(|j| JurisdictionCode::parse(&j).with_context(|| "--jurisdiction"))
                .transpose()?;
            let at = match (as_of_seq, as_of) {
                (Some(s), _) => AsOf::Seq(s),
                (None, Some(t)) => AsOf::Time(Timestamp::parse(&t).with_context(|| "--as-of")?),
                (None, None) => AsOf::Head,
            };
            let mut store = open_existing_store(&db)?;
            let (state, _) = state_as_of(store.as_mut(), at)?;
            let r = compliance_report(&state, j);
            if json {
                println!("{}", serde_json::to_string(&r)?);
            } else if csv {
                print!("{}", to_csv(&r));
            } else {
                print!("{}", render(&r));
            }
        }
        ReportCmd::Auctions { db, json } => {
            let mut store = open_existing_store(&db)?;
            let (state, _) = state_as_of(store.as_mut(), AsOf::Head)?;
            let list = auctions(&state);
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|(id, r)| serde_json::json!({"auction": id, "record": r}))
                    .collect();
                println!("{}", serde_json::to_string(&v)?);
            } else {
                for (id, r) in list {
                    println!(
                        "{id}: {} sold at {}.{:02} {}",
                        r.sold,
                        r.price.unit_price_minor / 100,
                        r.price.unit_price_minor % 100,
                        r.price.currency
                    );
                    for (j, p) in &r.jurisdictions {
                        println!(
                            "  {j}: {} sold, proceeds {} minor units",
                            p.sold, p.proceeds_minor
                        );
                    }
                    for (c, p) in &r.consignors {
                        println!(
                            "  consignor {c}: {} sold, proceeds {} minor units",
                            p.sold, p.proceeds_minor
                        );
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
