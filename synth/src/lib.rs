//! nicc-synth: area and timing of emitted designs from open-source tools, and formal equivalence.
//!
//! Flows ([`Flow`]): `generic` (Yosys gates, cell counts, logic depth), `asic` (OSU 0.18 um
//! liberty, area, OpenSTA timing), `ice40` (Yosys + nextpnr-ice40 on an HX8K, Fmax over seeds,
//! an I/O harness for wide designs). Each flow is a Yosys script template under `synth/scripts/`
//! plus a Rust driver that runs it in a temp dir and parses the reports into a [`SynthReport`].
//! Results are cached by content hash ([`cache`]). [`equiv`] proves designs equal.
//!
//! Entry points: [`run_flow`] (then [`SynthReport::to_table`] or serde JSON) and
//! [`check_equiv`]. Environment: `NICC_LIBERTY` (liberty file for `asic`, default the Debian
//! qflow-tech-osu018 path), `NICC_SYNTH_CACHE` (cache directory). Tools are found on `PATH`;
//! a missing one is an error naming its Debian package.
//!
//! ```
//! fn print_asic_figures(design: &nicc_rtl::Design) -> Result<(), nicc_synth::SynthError> {
//!     let report = nicc_synth::run_flow(design, nicc_synth::Flow::Asic, &Default::default())?;
//!     print!("{}", report.to_table());
//!     Ok(())
//! }
//! ```

#![warn(missing_docs)]

pub mod algebra;
pub mod bmc;
pub mod cache;
pub mod equiv;
mod error;
mod flows;
pub mod harness;
pub mod parse;
mod report;
pub mod tools;

pub use algebra::{
    collapse_design, combinational_core, prove_linear, AlgebraOptions, AlgebraReport,
    AlgebraVerdict, Collapsed, LinearSpec, LinearTerm, Netlist, RegionCheck,
};
pub use bmc::{bounded_check, BmcOptions, BmcVerdict};
pub use equiv::{check_equiv, EquivMode, EquivOptions, EquivResult};
pub use error::SynthError;
pub use report::{
    AsicReport, AsicTiming, FlowResult, FmaxStats, GenericReport, HarnessInfo, Ice40Cells,
    Ice40Fit, Ice40Report, SynthReport, TimingKind,
};
pub use tools::{Tool, ToolVersions};

use nicc_rtl::Design;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Which synthesis flow to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// Yosys `synth`: generic gates, cell counts, logic depth.
    Generic,
    /// OSU 0.18 um standard cells: area, flip-flop share, OpenSTA worst path and Fmax.
    Asic,
    /// iCE40 HX8K: LUT4/CARRY/DFF/BRAM, logic cells and Fmax over seeds from nextpnr.
    Ice40,
}

impl Flow {
    /// Lower-case name as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Flow::Generic => "generic",
            Flow::Asic => "asic",
            Flow::Ice40 => "ice40",
        }
    }
}

impl std::str::FromStr for Flow {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Flow, SynthError> {
        match s {
            "generic" => Ok(Flow::Generic),
            "asic" => Ok(Flow::Asic),
            "ice40" => Ok(Flow::Ice40),
            other => Err(SynthError::InvalidOption(format!(
                "unknown flow `{other}`: use generic, asic or ice40"
            ))),
        }
    }
}

/// Options of the flows; `Options::default()` is what the CLI uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// asic: delay target for `abc -D` in ps (default 2000).
    pub abc_delay_ps: u32,
    /// asic: clock period given to OpenSTA in ns (default 10; slack is reported against it).
    pub sta_period_ns: f64,
    /// asic: map with ABC's fast script (Yosys's `abc -fast`: `strash; dretime; map`, then the
    /// same buffering and sizing, with dangling gates removed before the buffering) instead of
    /// its default one, whose `&fraig -x` SAT sweeping and
    /// `&dch` choice computation did not finish in 45 minutes on the 256-lane compaction
    /// network. Default false. The netlist is less optimised (the 64-lane compaction network:
    /// 1.59x the cells, 1.30x the area); the report says which script ran.
    #[serde(default)]
    pub abc_fast: bool,
    /// asic: liberty file; `None` = env NICC_LIBERTY, else the qflow-tech-osu018 path.
    pub liberty: Option<PathBuf>,
    /// ice40: `--freq` target in MHz (default 100).
    pub ice40_freq_mhz: f64,
    /// ice40: place-and-route seeds (default 1, 2, 3).
    pub ice40_seeds: Vec<u64>,
    /// ice40: a design with more I/O bits than this is wrapped in the I/O harness (default 150).
    pub ice40_io_budget: u32,
    /// ice40: scan-chain input pins of the harness (default 4).
    pub harness_scan_pins: u32,
    /// ice40: XOR-folded output pins of the harness (default 8).
    pub harness_fold_pins: u32,
    /// Use and fill the result cache (default true).
    pub use_cache: bool,
    /// Cache directory; `None` = env NICC_SYNTH_CACHE, else `<workspace>/target/nicc-synth-cache`.
    pub cache_dir: Option<PathBuf>,
    /// Run each flow in `<keep_dir>/<flow>/` and leave it there (the design, the scripts, the
    /// tool logs and reports, the mapped netlist and OpenSTA's `sta.tcl`, to inspect or rerun),
    /// also when the flow fails. Files of an earlier run there are overwritten. The flow
    /// always runs: the cache is not read (it is still filled). Default `None`: a temp dir,
    /// removed afterwards.
    #[serde(default)]
    pub keep_dir: Option<PathBuf>,
    /// Stop any one tool run of a flow (Yosys with the ABC it runs, OpenSTA, one nextpnr seed)
    /// after this many seconds, with [`SynthError::TimedOut`]. Default `None`: no limit. Not
    /// part of the cache key: a result does not depend on it.
    #[serde(default)]
    pub time_limit_s: Option<f64>,
}

impl Options {
    /// [`Options::time_limit_s`] as a duration (after [`Options::validate`]).
    pub(crate) fn time_limit(&self) -> Option<Duration> {
        self.time_limit_s.and_then(|s| time_limit_from_secs(s).ok())
    }

    /// Checks the options every flow reads: the time limit is a positive number of seconds.
    pub fn validate(&self) -> Result<(), SynthError> {
        self.time_limit_s.map(time_limit_from_secs).transpose()?;
        Ok(())
    }
}

/// A tool time limit of `seconds` (the flows' [`Options::time_limit_s`], the proofs'
/// `time_limit`) as a duration: a positive, finite number of seconds, else
/// [`SynthError::InvalidOption`] naming the value.
pub fn time_limit_from_secs(seconds: f64) -> Result<Duration, SynthError> {
    match Duration::try_from_secs_f64(seconds) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(bad_time_limit(seconds)),
    }
}

/// Checks a proof's time limit: zero, which would stop every tool at once, is an error (as in
/// [`time_limit_from_secs`]).
pub(crate) fn check_time_limit(limit: Option<Duration>) -> Result<(), SynthError> {
    match limit {
        Some(d) if d.is_zero() => Err(bad_time_limit(d.as_secs_f64())),
        _ => Ok(()),
    }
}

/// The error for time limit `seconds`.
fn bad_time_limit(seconds: f64) -> SynthError {
    SynthError::InvalidOption(format!(
        "time limit {seconds} s: give a positive number of seconds"
    ))
}

impl Default for Options {
    fn default() -> Self {
        Options {
            abc_delay_ps: 2000,
            sta_period_ns: 10.0,
            abc_fast: false,
            liberty: None,
            ice40_freq_mhz: 100.0,
            ice40_seeds: vec![1, 2, 3],
            ice40_io_budget: 150,
            harness_scan_pins: 4,
            harness_fold_pins: 8,
            use_cache: true,
            cache_dir: None,
            keep_dir: None,
            time_limit_s: None,
        }
    }
}

/// Runs `flow` on `design`, from the cache when the same inputs and tool versions were seen.
pub fn run_flow(design: &Design, flow: Flow, opts: &Options) -> Result<SynthReport, SynthError> {
    opts.validate()?;
    validate_design(design)?;
    match flow {
        Flow::Generic => flows::generic::run(design, opts),
        Flow::Asic => flows::asic::run_asic(design, opts),
        Flow::Ice40 => flows::ice40::run_ice40(design, opts),
    }
}

/// One flow's outcome in [`run_flows`].
#[derive(Debug)]
pub struct FlowRun {
    /// The flow.
    pub flow: Flow,
    /// Its report, or why it failed.
    pub result: Result<SynthReport, SynthError>,
    /// Wall seconds spent on this flow alone: 0 for a generic report taken from the asic run.
    pub seconds: f64,
}

/// Runs `flows` on `design`; the results come in the order of `flows` (a flow named twice
/// runs and reports once).
///
/// When `flows` has both `generic` and `asic` and the generic result is not cached, one asic
/// run gives both: the asic script reads the generic figures right after the synthesis step
/// the two flows share, so that step (most of a large design's generic flow) runs once, and
/// the figures are exactly those of the generic flow. With `parallel`, the runs (asic with
/// generic, ice40) go side by side in threads.
pub fn run_flows(design: &Design, flows: &[Flow], opts: &Options, parallel: bool) -> Vec<FlowRun> {
    let share = flows.contains(&Flow::Generic) && flows.contains(&Flow::Asic);
    let mut tasks: Vec<Vec<Flow>> = Vec::new();
    for &f in flows {
        let task = match f {
            Flow::Generic if share => continue,
            Flow::Asic if share => vec![Flow::Asic, Flow::Generic],
            _ => vec![f],
        };
        // A flow named twice runs once.
        if !tasks.contains(&task) {
            tasks.push(task);
        }
    }
    let run_task = |task: &Vec<Flow>| -> Vec<FlowRun> {
        let t = std::time::Instant::now();
        if task.len() == 1 {
            let result = run_flow(design, task[0], opts);
            return vec![FlowRun {
                flow: task[0],
                result,
                seconds: t.elapsed().as_secs_f64(),
            }];
        }
        let shared = opts
            .validate()
            .and_then(|()| validate_design(design))
            .and_then(|()| flows::asic::run_asic_sharing(design, opts));
        let asic_seconds = t.elapsed().as_secs_f64();
        let (asic, by_product) = match shared {
            Ok((a, g)) => (Ok(a), g),
            Err(e) => (Err(e), None),
        };
        let t = std::time::Instant::now();
        let generic = match by_product {
            Some(g) => FlowRun {
                flow: Flow::Generic,
                result: Ok(g),
                seconds: 0.0,
            },
            None => FlowRun {
                flow: Flow::Generic,
                result: run_flow(design, Flow::Generic, opts),
                seconds: t.elapsed().as_secs_f64(),
            },
        };
        let asic = FlowRun {
            flow: Flow::Asic,
            result: asic,
            seconds: asic_seconds,
        };
        vec![asic, generic]
    };
    let mut runs: Vec<FlowRun> = if parallel && tasks.len() > 1 {
        std::thread::scope(|s| {
            let hs: Vec<_> = tasks.iter().map(|t| s.spawn(move || run_task(t))).collect();
            hs.into_iter()
                .flat_map(|h| h.join().expect("a synthesis thread panicked"))
                .collect()
        })
    } else {
        tasks.iter().flat_map(run_task).collect()
    };
    runs.sort_by_key(|r| flows.iter().position(|f| *f == r.flow));
    runs
}

/// `true` for a plain Verilog identifier (what flows put into scripts unquoted).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Checks what the flows rely on: identifier names, a clock port that exists.
pub(crate) fn validate_design(d: &Design) -> Result<(), SynthError> {
    if !is_identifier(&d.top) {
        return Err(SynthError::InvalidDesign(format!(
            "top module name `{}` is not a plain Verilog identifier",
            d.top
        )));
    }
    if d.files.is_empty() {
        return Err(SynthError::InvalidDesign(format!(
            "design `{}` has no Verilog files",
            d.top
        )));
    }
    for p in &d.ports {
        if !is_identifier(&p.name) || p.width == 0 {
            return Err(SynthError::InvalidDesign(format!(
                "port `{}` of `{}` must be a plain identifier with width >= 1",
                p.name, d.top
            )));
        }
    }
    if let Some(c) = &d.clock {
        if d.port(c).is_none() {
            return Err(SynthError::InvalidDesign(format!(
                "clock `{c}` is not a port of `{}`",
                d.top
            )));
        }
    }
    Ok(())
}

/// Replaces every `{{KEY}}` in a script template.
pub(crate) fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("{{{{{k}}}}}"), v);
    }
    s
}
