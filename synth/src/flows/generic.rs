//! `generic` flow: `synth -flatten -top`, `stat -json`, `ltp -noff`.
//!
//! The asic flow runs the same synthesis step first, so it also writes the generic figures of
//! the design (see [`from_asic_run`]); [`crate::run_flows`] uses that to pay for the step once.

use super::{design_workdir, is_yosys_ff, key, read, versions, write, DESIGN_FILE, SYNTH_STEP};
use crate::error::SynthError;
use crate::parse::{parse_ltp, parse_memory_bits, parse_stat_json};
use crate::report::{FlowResult, GenericReport, SynthReport};
use crate::tools::run_yosys;
use crate::{render, Flow, Options};
use nicc_rtl::Design;
use std::path::Path;

const SCRIPT: &str = include_str!("../../scripts/generic.ys");

/// The generic flow's cache key of `design`.
pub(crate) fn cache_key(design: &Design) -> Result<String, SynthError> {
    let tools = versions(false, false)?;
    Ok(key("generic", design, &[SCRIPT, SYNTH_STEP], "", &tools))
}

pub(crate) fn run(design: &Design, opts: &Options) -> Result<SynthReport, SynthError> {
    let k = cache_key(design)?;
    crate::cache::cached(opts, &k.clone(), || {
        let dir = design_workdir(design, Flow::Generic, opts)?;
        let script = render(
            SCRIPT,
            &[
                ("SYNTH", SYNTH_STEP),
                ("VERILOG", DESIGN_FILE),
                ("TOP", &design.top),
            ],
        );
        write(dir.path(), "flow.ys", &script)?;
        run_yosys("flow.ys", dir.path(), opts.time_limit())?;
        report(design, k, dir.path(), "stat.json")
    })
}

/// The generic report of `design` from the files an asic run left in `dir`: the statistics it
/// took right after the shared synthesis step (`stat_file`), the step's `memories.il` and the
/// `ltp.txt` it wrote before mapping. The same netlist, so the same figures as [`run`]; the
/// report carries the generic flow's own cache key.
pub(crate) fn from_asic_run(
    design: &Design,
    dir: &Path,
    stat_file: &str,
) -> Result<SynthReport, SynthError> {
    report(design, cache_key(design)?, dir, stat_file)
}

fn report(
    design: &Design,
    key: String,
    dir: &Path,
    stat_file: &str,
) -> Result<SynthReport, SynthError> {
    let mut stats = parse_stat_json(&read(dir, stat_file)?)?;
    stats.memory_bits = parse_memory_bits(&read(dir, "memories.il")?)?;
    let logic_depth = parse_ltp(&read(dir, "ltp.txt")?)?;
    let flip_flops = stats
        .cells_by_type
        .iter()
        .filter(|(t, _)| is_yosys_ff(t))
        .map(|(_, n)| n)
        .sum();
    Ok(SynthReport {
        design: design.top.clone(),
        flow: Flow::Generic,
        tools: versions(false, false)?,
        content_hash: key,
        cached: false,
        cache_warning: None,
        result: FlowResult::Generic(GenericReport {
            stats,
            flip_flops,
            logic_depth,
        }),
    })
}
