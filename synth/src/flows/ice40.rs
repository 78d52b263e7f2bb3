//! `ice40` flow: `synth_ice40`, then nextpnr-ice40 (HX8K, ct256) over several seeds.

use super::{key, read, versions, write};
use crate::error::SynthError;
use crate::harness::{blackbox_stub, harness_verilog, shape, HARNESS_TOP};
use crate::parse::{parse_nextpnr_report, parse_stat_json};
use crate::report::{
    FlowResult, FmaxStats, HarnessInfo, Ice40Cells, Ice40Fit, Ice40Report, SynthReport,
};
use crate::tools::{run, run_yosys, Tool};
use crate::{render, Flow, Options};
use nicc_rtl::Design;
use std::path::Path;

const SCRIPT: &str = include_str!("../../scripts/ice40.ys");

/// Logic cells (LUT4 + DFF pairs) of the iCE40 HX8K.
pub(crate) const HX8K_LOGIC_CELLS: u64 = 7680;
/// 4 kbit block RAMs of the iCE40 HX8K.
pub(crate) const HX8K_BRAM: u64 = 32;

fn cells_of(stat_json: &str, exclude: Option<&str>) -> Result<Ice40Cells, SynthError> {
    let s = parse_stat_json(stat_json)?;
    let sum = |f: &dyn Fn(&str) -> bool| -> u64 {
        s.cells_by_type
            .iter()
            .filter(|(t, _)| f(t))
            .map(|(_, n)| n)
            .sum()
    };
    Ok(Ice40Cells {
        lut4: sum(&|t| t == "SB_LUT4"),
        carry: sum(&|t| t == "SB_CARRY"),
        dff: sum(&|t| t.starts_with("SB_DFF")),
        bram: sum(&|t| t.starts_with("SB_RAM40")),
        by_type: s
            .cells_by_type
            .into_iter()
            .filter(|(t, _)| {
                Some(t.as_str()) != exclude && Some(t.trim_start_matches('\\')) != exclude
            })
            .collect(),
    })
}

/// Synthesises `verilog` with top `top` in `dir`; returns the cells (and leaves `out.json`).
fn synth(
    dir: &Path,
    verilog: &str,
    top: &str,
    exclude: Option<&str>,
    opts: &Options,
) -> Result<Ice40Cells, SynthError> {
    std::fs::create_dir_all(dir).map_err(|e| SynthError::io("creating a work dir", e))?;
    write(dir, "design.v", verilog)?;
    write(
        dir,
        "flow.ys",
        &render(SCRIPT, &[("VERILOG", "design.v"), ("TOP", top)]),
    )?;
    run_yosys("flow.ys", dir, opts.time_limit())?;
    cells_of(&read(dir, "stat.json")?, exclude)
}

/// A resource that obviously cannot fit, judged from post-synthesis cells.
fn precheck(c: &Ice40Cells, io_bits: u32, budget: u32) -> Option<String> {
    if c.bram > HX8K_BRAM {
        return Some(format!(
            "{} block RAMs needed, {HX8K_BRAM} available",
            c.bram
        ));
    }
    let lc = c.lut4.max(c.dff);
    if lc > HX8K_LOGIC_CELLS {
        return Some(format!(
            "at least {lc} logic cells needed (LUT4 {}, DFF {}), {HX8K_LOGIC_CELLS} available",
            c.lut4, c.dff
        ));
    }
    if io_bits > budget {
        return Some(format!("{io_bits} I/O bits exceed the {budget}-pin budget"));
    }
    None
}

/// Lines of a nextpnr log that say a resource ran out.
fn placement_failure(log: &str) -> Option<String> {
    log.lines()
        .find(|l| {
            l.contains("ERROR")
                && (l.contains("no BELs remaining")
                    || l.contains("Unable to place")
                    || l.contains("Failed to expand region")
                    || l.contains("too many"))
        })
        .map(|l| l.trim().to_string())
}

pub(crate) fn run_ice40(design: &Design, opts: &Options) -> Result<SynthReport, SynthError> {
    if opts.ice40_seeds.is_empty() || opts.ice40_freq_mhz.is_nan() || opts.ice40_freq_mhz <= 0.0 {
        return Err(SynthError::InvalidOption(
            "ice40: need at least one seed and a frequency > 0".into(),
        ));
    }
    let tools = versions(true, false)?;
    let io_bits: u32 = design.ports.iter().map(|p| p.width).sum();
    let reason = if io_bits > opts.ice40_io_budget {
        Some(format!(
            "{io_bits} I/O bits > budget {} pins",
            opts.ice40_io_budget
        ))
    } else if design.clock.is_none() {
        Some("combinational design: registers around it give a reg-to-reg Fmax".to_string())
    } else {
        None
    };
    let harness = match &reason {
        Some(_) => Some(harness_verilog(
            design,
            opts.harness_scan_pins,
            opts.harness_fold_pins,
        )?),
        None => None,
    };
    let opts_key = format!(
        "{}|{:?}|{}|{}|{}",
        opts.ice40_freq_mhz,
        opts.ice40_seeds,
        opts.ice40_io_budget,
        opts.harness_scan_pins,
        opts.harness_fold_pins
    );
    let k = key(
        "ice40",
        design,
        &[SCRIPT, harness.as_deref().unwrap_or("")],
        &opts_key,
        &tools,
    );
    crate::cache::cached(opts, &k.clone(), || {
        let tmp = super::workdir(Flow::Ice40, opts)?;
        let verilog = design.verilog();
        let design_cells = synth(
            &tmp.path().join("design"),
            &verilog,
            &design.top,
            None,
            opts,
        )?;
        let mut harness_info = None;
        let pnr_dir = match (&harness, &reason) {
            (Some(h), Some(why)) => {
                let sh = shape(design, opts.harness_scan_pins, opts.harness_fold_pins)?;
                let alone = format!("{}\n{h}", blackbox_stub(design));
                let harness_cells = synth(
                    &tmp.path().join("harness"),
                    &alone,
                    HARNESS_TOP,
                    Some(&design.top),
                    opts,
                )?;
                harness_info = Some(HarnessInfo {
                    reason: why.clone(),
                    scan_pins: sh.scan_pins,
                    fold_pins: sh.fold_pins,
                    harness_cells,
                    generator: "nicc-rtl IR (nicc_synth::harness::harness_design)".into(),
                });
                tmp.path().join("wrapped")
            }
            _ => tmp.path().join("design"),
        };
        let budget = if harness_info.is_some() {
            u32::MAX
        } else {
            opts.ice40_io_budget
        };
        let fit = match precheck(&design_cells, io_bits, budget) {
            Some(why) => Ice40Fit::DoesNotFit { reason: why },
            None => {
                if let Some(h) = &harness {
                    let total = Ice40Cells {
                        lut4: design_cells.lut4
                            + harness_info.as_ref().map_or(0, |i| i.harness_cells.lut4),
                        dff: design_cells.dff
                            + harness_info.as_ref().map_or(0, |i| i.harness_cells.dff),
                        bram: design_cells.bram,
                        ..Ice40Cells::default()
                    };
                    match precheck(&total, 0, u32::MAX) {
                        Some(why) => {
                            return Ok(report(
                                design,
                                &tools,
                                &k,
                                io_bits,
                                design_cells,
                                harness_info,
                                opts,
                                Ice40Fit::DoesNotFit {
                                    reason: format!("with the harness: {why}"),
                                },
                            ));
                        }
                        None => {
                            synth(
                                &pnr_dir,
                                &format!("{verilog}\n{h}"),
                                HARNESS_TOP,
                                None,
                                opts,
                            )?;
                        }
                    }
                }
                place_and_route(&pnr_dir, opts)?
            }
        };
        Ok(report(
            design,
            &tools,
            &k,
            io_bits,
            design_cells,
            harness_info,
            opts,
            fit,
        ))
    })
}

#[allow(clippy::too_many_arguments)]
fn report(
    design: &Design,
    tools: &crate::tools::ToolVersions,
    k: &str,
    io_bits: u32,
    design_cells: Ice40Cells,
    harness: Option<HarnessInfo>,
    opts: &Options,
    fit: Ice40Fit,
) -> SynthReport {
    SynthReport {
        design: design.top.clone(),
        flow: Flow::Ice40,
        tools: tools.clone(),
        content_hash: k.to_string(),
        cached: false,
        cache_warning: None,
        result: FlowResult::Ice40(Ice40Report {
            device: "iCE40 HX8K ct256".into(),
            io_bits,
            design_cells,
            harness,
            target_mhz: opts.ice40_freq_mhz,
            fit,
        }),
    }
}

/// Runs nextpnr once per seed on `dir/out.json`.
fn place_and_route(dir: &Path, opts: &Options) -> Result<Ice40Fit, SynthError> {
    let freq = format!("{}", opts.ice40_freq_mhz);
    let mut per_seed = Vec::new();
    let mut last = None;
    for &seed in &opts.ice40_seeds {
        let seed_s = seed.to_string();
        let rep = format!("report_{seed}.json");
        let out = run(
            Tool::NextpnrIce40,
            &[
                "--hx8k",
                "--package",
                "ct256",
                "--pcf-allow-unconstrained",
                "--timing-allow-fail",
                "--freq",
                &freq,
                "--json",
                "out.json",
                "--report",
                &rep,
                "--seed",
                &seed_s,
            ],
            dir,
            opts.time_limit(),
        )?;
        if !out.ok {
            if let Some(why) = placement_failure(&out.log) {
                return Ok(Ice40Fit::DoesNotFit { reason: why });
            }
            out.check(Tool::NextpnrIce40)?;
            continue;
        }
        let r = parse_nextpnr_report(&read(dir, &rep)?)?;
        if let Some(f) = r.fmax_mhz.values().copied().reduce(f64::min) {
            per_seed.push((seed, f));
        }
        last = Some(r);
    }
    let r = last.ok_or_else(|| SynthError::parse("nextpnr report", "no run produced a report"))?;
    let util = |k: &str| r.utilization.get(k).copied().unwrap_or((0, 0));
    let (lc, lc_avail) = util("ICESTORM_LC");
    Ok(Ice40Fit::Fits {
        logic_cells: lc,
        logic_cells_available: lc_avail,
        bram: util("ICESTORM_RAM").0,
        io: util("SB_IO").0,
        fmax: FmaxStats::from_runs(per_seed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nextpnr_placement_failure_is_recognised() {
        // Captured from nextpnr-ice40 0.4 on a 9000-flip-flop shift register.
        let log = "Info: Placed 0 cells based on constraints.\nERROR: Unable to place cell 'sr_SB_DFF_Q_7910_DFFLC', no BELs remaining to implement cell type 'ICESTORM_LC'\n1 warning, 1 error\n";
        assert!(placement_failure(log).unwrap().contains("ICESTORM_LC"));
        assert_eq!(placement_failure("ERROR: syntax error in json\n"), None);
    }

    #[test]
    fn precheck_resources() {
        let c = |lut4, dff, bram| Ice40Cells {
            lut4,
            dff,
            bram,
            ..Ice40Cells::default()
        };
        assert_eq!(precheck(&c(100, 100, 0), 20, 150), None);
        assert!(precheck(&c(100, 100, 33), 20, 150)
            .unwrap()
            .contains("block RAMs"));
        assert!(precheck(&c(7681, 0, 0), 20, 150)
            .unwrap()
            .contains("logic cells"));
        assert!(precheck(&c(1, 1, 0), 151, 150).unwrap().contains("I/O"));
    }
}
