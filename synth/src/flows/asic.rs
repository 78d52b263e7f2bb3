//! `asic` flow: OSU 0.18 um liberty mapping (`dfflibmap`, `abc -liberty` with a constraint file,
//! so ABC buffers high-fanout nets and sizes cells), `stat -liberty`, then OpenSTA on the mapped
//! netlist.

use super::{design_workdir, key, read, versions, write, DESIGN_FILE, SYNTH_STEP};
use crate::error::SynthError;
use crate::parse::{
    parse_liberty, parse_ltp, parse_memory_bits, parse_netlist_fanout, parse_sta_path,
    parse_stat_area, parse_stat_json, Liberty, LibertyCell, LibertyPins, NetFanout,
};
use crate::report::{AsicReport, AsicTiming, FlowResult, SynthReport, TimingKind};
use crate::tools::{run, run_yosys, Tool};
use crate::{render, Flow, Options};
use nicc_rtl::{Design, Dir};
use std::collections::BTreeMap;
use std::path::PathBuf;

const SCRIPT: &str = include_str!("../../scripts/asic.ys");
const STA: &str = include_str!("../../scripts/asic_sta.tcl");
/// The generic statistics the asic script takes right after the shared synthesis step.
const GENERIC_STAT_FILE: &str = "generic_stat.json";

/// Environment variable naming the liberty file.
pub(crate) const LIBERTY_ENV: &str = "NICC_LIBERTY";
/// Where Debian's qflow-tech-osu018 installs the OSU 0.18 um library.
const DEBIAN_LIBERTY: &str = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib";
/// ABC constraint file the flow writes beside the design (`abc -constr`).
const ABC_CONSTR_FILE: &str = "abc_constr.txt";
/// The ABC script of [`crate::Options::abc_fast`], as `abc -script +...` takes it (`,` for a
/// space, `{D}` for `-D <ps>`). It is Yosys's own `abc -fast -constr` script (Yosys 0.23:
/// `strash; dretime; retime -o {D}; map {D}; buffer; upsize {D}; dnsize {D}; stime -p`) with
/// `cleanup` before `buffer`: `map` can leave a gate without fanout (the 32- and 64-lane
/// compaction crossbars do), and `buffer` then aborts the script ("node ... has no fanout").
const ABC_FAST_SCRIPT: &str =
    "strash;dretime;retime,-o,{D};map,{D};cleanup;buffer;upsize,{D};dnsize,{D};stime,-p";

/// The ABC constraint file for a library: its smallest buffer drives ABC's primary inputs
/// (flip-flop outputs and input ports) and every primary output (mostly flip-flop D pins) is
/// loaded with that buffer's input capacitance (ABC reads the load in femtofarads). With it,
/// Yosys runs ABC's `buffer; upsize; dnsize` after mapping.
pub(crate) fn abc_constraints(
    cells: &BTreeMap<String, LibertyCell>,
    pins: &LibertyPins,
) -> Result<String, SynthError> {
    let (buf, cap_ff) = pins.smallest_buffer(cells).ok_or_else(|| {
        SynthError::InvalidOption(
            "asic: the liberty file has no buffer cell (one input, function = that input); the flow needs one to buffer high-fanout nets".into(),
        )
    })?;
    Ok(format!("set_driving_cell {buf}\nset_load {cap_ff:.3}\n"))
}

/// The liberty file to use, or an error naming the package.
pub(crate) fn liberty(opts: &Options) -> Result<PathBuf, SynthError> {
    let p = opts
        .liberty
        .clone()
        .or_else(|| {
            std::env::var_os(LIBERTY_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(DEBIAN_LIBERTY));
    if p.is_file() {
        Ok(p)
    } else {
        Err(SynthError::MissingLiberty { path: p })
    }
}

pub(crate) fn run_asic(design: &Design, opts: &Options) -> Result<SynthReport, SynthError> {
    run_asic_sharing(design, opts).map(|(asic, _)| asic)
}

/// The asic flow, and the generic report of the same design when the asic flow ran (not from
/// the cache): it takes the generic figures right after the synthesis step both flows share.
/// With the cache on, that generic report is also stored under the generic flow's key.
pub(crate) fn run_asic_sharing(
    design: &Design,
    opts: &Options,
) -> Result<(SynthReport, Option<SynthReport>), SynthError> {
    if opts.abc_delay_ps == 0 || opts.sta_period_ns.is_nan() || opts.sta_period_ns <= 0.0 {
        return Err(SynthError::InvalidOption(
            "asic: abc_delay_ps and sta_period_ns must be > 0".into(),
        ));
    }
    let lib = liberty(opts)?;
    let lib_text = std::fs::read_to_string(&lib)
        .map_err(|e| SynthError::io(format!("reading liberty {}", lib.display()), e))?;
    let lib_abs = lib
        .canonicalize()
        .map_err(|e| SynthError::io(format!("resolving {}", lib.display()), e))?;
    let lib_str = lib_abs.to_string_lossy().to_string();
    if lib_str.contains(char::is_whitespace) {
        return Err(SynthError::InvalidOption(format!(
            "liberty path `{lib_str}` contains whitespace; move or link it elsewhere"
        )));
    }
    let Liberty { cells, pins } = parse_liberty(&lib_text);
    let constr = abc_constraints(&cells, &pins)?;
    let tools = versions(false, true)?;
    let mut opts_key = format!("{}|{}", opts.abc_delay_ps, opts.sta_period_ns);
    if opts.abc_fast {
        opts_key.push_str("|abc-fast|");
        opts_key.push_str(ABC_FAST_SCRIPT);
    }
    let k = key(
        "asic",
        design,
        &[SCRIPT, SYNTH_STEP, STA, &lib_text, &constr],
        &opts_key,
        &tools,
    );
    let mut generic = None;
    let asic = crate::cache::cached(opts, &k.clone(), || {
        let dir = design_workdir(design, Flow::Asic, opts)?;
        let delay = opts.abc_delay_ps.to_string();
        let abc_fast = if opts.abc_fast {
            format!(" -script +{ABC_FAST_SCRIPT}")
        } else {
            String::new()
        };
        let script = render(
            SCRIPT,
            &[
                ("SYNTH", SYNTH_STEP),
                ("VERILOG", DESIGN_FILE),
                ("TOP", &design.top),
                ("LIBERTY", &lib_str),
                ("ABC_DELAY_PS", &delay),
                ("ABC_CONSTR", ABC_CONSTR_FILE),
                ("ABC_FAST", &abc_fast),
                ("NAME_FLIP_FLOPS", &name_flip_flops(&cells)),
            ],
        );
        write(dir.path(), ABC_CONSTR_FILE, &constr)?;
        write(dir.path(), "flow.ys", &script)?;
        run_yosys("flow.ys", dir.path(), opts.time_limit())?;
        let mut stats = parse_stat_json(&read(dir.path(), "stat.json")?)?;
        stats.memory_bits = parse_memory_bits(&read(dir.path(), "memories.il")?)?;
        // Yosys prints no `Chip area` line when no cell is from the library (a design that is
        // only a memory macro): its standard-cell area is 0, not a parse failure.
        let no_library_cell = !stats.cells_by_type.keys().any(|t| cells.contains_key(t));
        let area = match parse_stat_area(&read(dir.path(), "stat.txt")?) {
            Err(_) if no_library_cell => 0.0,
            r => r?,
        };
        let logic_depth = parse_ltp(&read(dir.path(), "ltp.txt")?)?;
        let max_fanout = max_fanout(
            &read(dir.path(), "mapped.v")?,
            &pins,
            design.clock.as_deref(),
        );
        let mut ff_area = 0.0;
        let mut flip_flops = 0;
        for (t, n) in &stats.cells_by_type {
            if let Some(c) = cells.get(t) {
                if c.sequential {
                    ff_area += c.area * *n as f64;
                    flip_flops += n;
                }
            }
        }
        // A clocked design whose only state is memory macros (not timed) has no register
        // path for OpenSTA to start from: report that instead of an OpenSTA error.
        let timing = if design.clock.is_some() && flip_flops == 0 {
            no_register_path(opts)
        } else {
            sta(design, opts, &lib_str, dir.path())?
        };
        generic = Some(super::generic::from_asic_run(
            design,
            dir.path(),
            GENERIC_STAT_FILE,
        )?);
        Ok(SynthReport {
            design: design.top.clone(),
            flow: Flow::Asic,
            tools,
            content_hash: k,
            cached: false,
            cache_warning: None,
            result: FlowResult::Asic(AsicReport {
                liberty: lib_abs
                    .file_name()
                    .map(|f| f.to_string_lossy().to_string())
                    .unwrap_or_default(),
                abc_delay_ps: opts.abc_delay_ps,
                abc_fast: opts.abc_fast,
                stats,
                area_um2: area,
                ff_area_um2: ff_area,
                ff_area_share: if area > 0.0 { ff_area / area } else { 0.0 },
                flip_flops,
                logic_depth,
                max_fanout,
                timing,
            }),
        })
    })?;
    if let Some(g) = &mut generic {
        crate::cache::keep(opts, &g.content_hash.clone(), g);
    }
    Ok((asic, generic))
}

/// Yosys commands naming every sequential cell of the library after the net its output drives:
/// `rename -wire -suffix _<cell>_Q t:<cell>` per flip-flop or latch type (cells driving an
/// internal net keep their generated names).
pub(crate) fn name_flip_flops(cells: &BTreeMap<String, LibertyCell>) -> String {
    cells
        .iter()
        .filter(|(_, c)| c.sequential)
        .map(|(t, _)| format!("rename -wire -suffix _{t}_Q t:{t}\n"))
        .collect()
}

/// The net of the mapped netlist with the most cell input pins, the clock net left out (the STA
/// clock is ideal: a clock tree is place-and-route's job); ties go to the first name.
pub(crate) fn max_fanout(
    mapped: &str,
    pins: &LibertyPins,
    clock: Option<&str>,
) -> Option<NetFanout> {
    parse_netlist_fanout(mapped, pins)
        .into_iter()
        .filter(|(net, _)| Some(net.as_str()) != clock)
        .fold(None, |best: Option<NetFanout>, (net, fanout)| match best {
            // Ties go to an RTL name (a port or a register output) over a generated one
            // (`_123_`, the internal nets the flow leaves unnamed).
            Some(b) if (b.fanout, !generated(&b.net)) >= (fanout, !generated(&net)) => Some(b),
            _ => Some(NetFanout { net, fanout }),
        })
}

/// A name Yosys generated for an internal net of the mapped netlist (`_0123_`).
fn generated(net: &str) -> bool {
    net.len() > 2
        && net.starts_with('_')
        && net.ends_with('_')
        && net[1..net.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

/// Runs OpenSTA: reg-to-reg for clocked designs, input-to-output for combinational ones.
fn sta(
    design: &Design,
    opts: &Options,
    lib: &str,
    dir: &std::path::Path,
) -> Result<AsicTiming, SynthError> {
    let period = format!("{}", opts.sta_period_ns);
    let has_inputs = design
        .ports
        .iter()
        .any(|p| p.dir == Dir::Input && Some(&p.name) != design.clock.as_ref());
    let has_outputs = design.ports.iter().any(|p| p.dir == Dir::Output);
    let (setup, report, clocked) = match &design.clock {
        Some(clk) => {
            let mut s = format!("create_clock -name {clk} -period {period} [get_ports {clk}]\n");
            if has_inputs {
                s += &format!(
                    "set_input_delay 0 -clock {clk} [delete_from_list [all_inputs] [get_ports {clk}]]\n"
                );
            }
            if has_outputs {
                s += &format!("set_output_delay 0 -clock {clk} [all_outputs]\n");
            }
            (
                s,
                "report_checks -from [all_registers -clock_pins] -to [all_registers -data_pins] -path_delay max -digits 4".to_string(),
                true,
            )
        }
        None => {
            if !has_inputs || !has_outputs {
                return Err(SynthError::InvalidDesign(format!(
                    "`{}` has no clock and lacks inputs or outputs: nothing to time",
                    design.top
                )));
            }
            (
                format!(
                    "create_clock -name nicc_vclk -period {period}\nset_input_delay 0 -clock nicc_vclk [all_inputs]\nset_output_delay 0 -clock nicc_vclk [all_outputs]\n"
                ),
                "report_checks -from [all_inputs] -to [all_outputs] -path_delay max -digits 4".to_string(),
                false,
            )
        }
    };
    let tcl = render(
        STA,
        &[
            ("LIBERTY", lib),
            ("TOP", &design.top),
            ("CLOCK_SETUP", &setup),
            ("REPORT", &report),
        ],
    );
    write(dir, "sta.tcl", &tcl)?;
    let out = run(
        Tool::Sta,
        &["-no_init", "-exit", "sta.tcl"],
        dir,
        opts.time_limit(),
    )?
    .check(Tool::Sta)?;
    write(dir, "sta.log", &out.log)?;
    let section = out
        .log
        .split("NICC_BEGIN_REPORT")
        .nth(1)
        .and_then(|s| s.split("NICC_END_REPORT").next())
        .ok_or_else(|| SynthError::ToolFailed {
            tool: "sta".into(),
            status: "script stopped early".into(),
            log: out.tail(25),
        })?;
    if section.contains("Error:") {
        return Err(SynthError::ToolFailed {
            tool: "sta".into(),
            status: "report error".into(),
            log: section.trim().to_string(),
        });
    }
    let path = parse_sta_path(section)?;
    Ok(match (clocked, path) {
        (true, Some(p)) => {
            let worst = opts.sta_period_ns - p.slack_ns;
            AsicTiming {
                kind: TimingKind::RegToReg,
                worst_path_ns: worst,
                fmax_mhz: (worst > 0.0).then(|| 1000.0 / worst),
                path: Some(p),
                constraint_period_ns: opts.sta_period_ns,
            }
        }
        (false, Some(p)) => AsicTiming {
            kind: TimingKind::InputToOutput,
            worst_path_ns: p.arrival_ns,
            fmax_mhz: None,
            path: Some(p),
            constraint_period_ns: opts.sta_period_ns,
        },
        (_, None) => no_register_path(opts),
    })
}

fn no_register_path(opts: &Options) -> AsicTiming {
    AsicTiming {
        kind: TimingKind::NoRegToRegPath,
        worst_path_ns: 0.0,
        fmax_mhz: None,
        path: None,
        constraint_period_ns: opts.sta_period_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_liberty_cells, parse_liberty_pins};

    const LIB: &str = r#"library (t) {
  capacitive_load_unit (1,pf);
  cell (BUFX4) { area : 32; pin (A) { direction : input; capacitance : 0.0125; }
    pin (Y) { direction : output; function : "A"; } }
  cell (BUFX2) { area : 24; pin (A) { direction : input; capacitance : 0.00933171; }
    pin (Y) { direction : output; function : "A"; } }
  cell (INVX1) { area : 16; pin (A) { direction : input; capacitance : 0.005; }
    pin (Y) { direction : output; function : "(!A)"; } }
}
"#;

    #[test]
    fn constraints_name_the_smallest_buffer_and_its_load_in_ff() {
        let c = abc_constraints(&parse_liberty_cells(LIB), &parse_liberty_pins(LIB)).unwrap();
        assert_eq!(c, "set_driving_cell BUFX2\nset_load 9.332\n");
        let no_buf = LIB.replace("function : \"A\"", "function : \"(!A)\"");
        let e = abc_constraints(&parse_liberty_cells(&no_buf), &parse_liberty_pins(&no_buf))
            .unwrap_err();
        assert!(e.to_string().contains("no buffer cell"), "{e}");
    }

    #[test]
    fn max_fanout_leaves_the_clock_out() {
        let pins = parse_liberty_pins(LIB);
        let v = "  BUFX2 a (\n    .A(clk),\n    .Y(x)\n  );\n  BUFX2 b (\n    .A(clk),\n    .Y(y)\n  );\n  INVX1 c (\n    .A(\\n[0] ),\n    .Y(z)\n  );\n";
        assert_eq!(
            max_fanout(v, &pins, Some("clk")),
            Some(NetFanout {
                net: "n[0]".into(),
                fanout: 1
            })
        );
        assert_eq!(max_fanout(v, &pins, None).unwrap().fanout, 2);
        assert_eq!(max_fanout("", &pins, None), None);
    }

    #[test]
    fn max_fanout_ties_prefer_rtl_names() {
        let pins = parse_liberty_pins(LIB);
        let v = "  INVX1 a (\n    .A(_0012_),\n    .Y(x)\n  );\n  INVX1 b (\n    .A(\\q[3] ),\n    .Y(y)\n  );\n  INVX1 c (\n    .A(_0012_),\n    .Y(z)\n  );\n";
        // _0012_ has two loads: it wins on fanout.
        assert_eq!(max_fanout(v, &pins, None).unwrap().net, "_0012_");
        let tie = "  INVX1 a (\n    .A(_0012_),\n    .Y(x)\n  );\n  INVX1 b (\n    .A(\\q[3] ),\n    .Y(y)\n  );\n";
        assert_eq!(max_fanout(tie, &pins, None).unwrap().net, "q[3]");
        assert!(generated("_0012_") && !generated("_x_") && !generated("q[3]"));
    }
}
