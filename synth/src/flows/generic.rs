//! `generic` flow: `synth -flatten -top`, `stat -json`, `ltp -noff`.

use super::{is_yosys_ff, key, read, versions, workdir, write, DESIGN_FILE, SYNTH_STEP};
use crate::error::SynthError;
use crate::parse::{parse_ltp, parse_memory_bits, parse_stat_json};
use crate::report::{FlowResult, GenericReport, SynthReport};
use crate::tools::run_yosys;
use crate::{render, Flow, Options};
use nicc_rtl::Design;

const SCRIPT: &str = include_str!("../../scripts/generic.ys");

pub(crate) fn run(design: &Design, opts: &Options) -> Result<SynthReport, SynthError> {
    let tools = versions(false, false)?;
    let k = key("generic", design, &[SCRIPT, SYNTH_STEP], "", &tools);
    crate::cache::cached(opts, &k.clone(), || {
        let dir = workdir(design)?;
        let script = render(
            SCRIPT,
            &[
                ("SYNTH", SYNTH_STEP),
                ("VERILOG", DESIGN_FILE),
                ("TOP", &design.top),
            ],
        );
        write(dir.path(), "flow.ys", &script)?;
        run_yosys("flow.ys", dir.path())?;
        let mut stats = parse_stat_json(&read(dir.path(), "stat.json")?)?;
        stats.memory_bits = parse_memory_bits(&read(dir.path(), "memories.il")?)?;
        let logic_depth = parse_ltp(&read(dir.path(), "ltp.txt")?)?;
        let flip_flops = stats
            .cells_by_type
            .iter()
            .filter(|(t, _)| is_yosys_ff(t))
            .map(|(_, n)| n)
            .sum();
        Ok(SynthReport {
            design: design.top.clone(),
            flow: Flow::Generic,
            tools,
            content_hash: k,
            cached: false,
            cache_warning: None,
            result: FlowResult::Generic(GenericReport {
                stats,
                flip_flops,
                logic_depth,
            }),
        })
    })
}
