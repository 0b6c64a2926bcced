//! `tonne mrv cems` and `tonne bench cems` (being written: see crates/tonne-mrv/src/cems).

use anyhow::{Result, bail};
use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct CemsArgs {
    file: String,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct BenchArgs {
    #[arg(long)]
    json: bool,
}

pub fn run(a: CemsArgs) -> Result<ExitCode> {
    let _ = (a.file, a.json);
    bail!("tonne mrv cems is not built yet")
}

pub fn bench(a: BenchArgs) -> Result<ExitCode> {
    let _ = a.json;
    bail!("tonne bench cems is not built yet")
}
