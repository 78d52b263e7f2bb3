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

pub mod cache;
pub mod equiv;
mod error;
mod flows;
pub mod harness;
pub mod parse;
mod report;
pub mod tools;

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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            abc_delay_ps: 2000,
            sta_period_ns: 10.0,
            liberty: None,
            ice40_freq_mhz: 100.0,
            ice40_seeds: vec![1, 2, 3],
            ice40_io_budget: 150,
            harness_scan_pins: 4,
            harness_fold_pins: 8,
            use_cache: true,
            cache_dir: None,
        }
    }
}

/// Runs `flow` on `design`, from the cache when the same inputs and tool versions were seen.
pub fn run_flow(design: &Design, flow: Flow, opts: &Options) -> Result<SynthReport, SynthError> {
    validate_design(design)?;
    match flow {
        Flow::Generic => flows::generic::run(design, opts),
        Flow::Asic => flows::asic::run_asic(design, opts),
        Flow::Ice40 => flows::ice40::run_ice40(design, opts),
    }
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
