//! Flow drivers: each renders its script template, runs the tools in a temp dir, parses reports.

pub(crate) mod asic;
pub(crate) mod generic;
pub(crate) mod ice40;

use crate::error::SynthError;
use crate::tools::{Tool, ToolVersions};
use nicc_rtl::Design;
use std::path::Path;
use std::sync::OnceLock;

/// File name the design's Verilog is written to inside the flow's temp dir.
pub(crate) const DESIGN_FILE: &str = "design.v";

/// The synthesis step the generic and asic flows share (their `{{SYNTH}}` placeholder; it
/// has a `{{TOP}}` of its own, so it is rendered first).
pub(crate) const SYNTH_STEP: &str = include_str!("../../scripts/synth_keep_memories.ys");

/// A flow's working directory: a temp dir removed when dropped, or with
/// [`Options::keep_dir`](crate::Options::keep_dir) the directory `<keep_dir>/<flow>`, left in
/// place.
pub(crate) enum WorkDir {
    /// Removed when dropped.
    Temp(tempfile::TempDir),
    /// Kept.
    Kept(std::path::PathBuf),
}

impl WorkDir {
    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        match self {
            WorkDir::Temp(t) => t.path(),
            WorkDir::Kept(p) => p,
        }
    }
}

/// An empty working directory for `flow` (see [`WorkDir`]).
pub(crate) fn workdir(flow: crate::Flow, opts: &crate::Options) -> Result<WorkDir, SynthError> {
    match &opts.keep_dir {
        Some(keep) => {
            let dir = keep.join(flow.name());
            std::fs::create_dir_all(&dir).map_err(|e| {
                SynthError::io(format!("creating the kept work dir {}", dir.display()), e)
            })?;
            Ok(WorkDir::Kept(dir))
        }
        None => tempfile::Builder::new()
            .prefix("nicc-synth-")
            .tempdir()
            .map(WorkDir::Temp)
            .map_err(|e| SynthError::io("creating a temp dir", e)),
    }
}

/// A working directory for `flow` holding `design.v`.
pub(crate) fn design_workdir(
    design: &Design,
    flow: crate::Flow,
    opts: &crate::Options,
) -> Result<WorkDir, SynthError> {
    let dir = workdir(flow, opts)?;
    write(dir.path(), DESIGN_FILE, &design.verilog())?;
    Ok(dir)
}

/// Writes `name` in `dir`.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> Result<(), SynthError> {
    std::fs::write(dir.join(name), text).map_err(|e| SynthError::io(format!("writing {name}"), e))
}

/// Reads `name` from `dir`.
pub(crate) fn read(dir: &Path, name: &str) -> Result<String, SynthError> {
    std::fs::read_to_string(dir.join(name))
        .map_err(|e| SynthError::io(format!("reading tool output {name}"), e))
}

fn cached_version(
    cell: &'static OnceLock<Result<String, String>>,
    tool: Tool,
) -> Result<String, SynthError> {
    match cell.get_or_init(|| tool.version().map_err(|e| e.to_string())) {
        Ok(v) => Ok(v.clone()),
        // Re-run to return the typed error (e.g. MissingTool) rather than a string.
        Err(_) => tool.version(),
    }
}

/// Versions of yosys (always) and of nextpnr-ice40 / sta when asked; cached per process.
pub(crate) fn versions(nextpnr: bool, sta: bool) -> Result<ToolVersions, SynthError> {
    static Y: OnceLock<Result<String, String>> = OnceLock::new();
    static N: OnceLock<Result<String, String>> = OnceLock::new();
    static S: OnceLock<Result<String, String>> = OnceLock::new();
    Ok(ToolVersions {
        yosys: Some(cached_version(&Y, Tool::Yosys)?),
        nextpnr_ice40: if nextpnr {
            Some(cached_version(&N, Tool::NextpnrIce40)?)
        } else {
            None
        },
        sta: if sta {
            Some(cached_version(&S, Tool::Sta)?)
        } else {
            None
        },
    })
}

/// Cache key of a flow run.
pub(crate) fn key(
    flow: &str,
    design: &Design,
    scripts: &[&str],
    opts_json: &str,
    versions: &ToolVersions,
) -> String {
    let v = serde_json::to_string(versions).unwrap_or_default();
    let verilog = design.verilog();
    let ports =
        serde_json::to_string(&(&design.ports, &design.clock, &design.reset)).unwrap_or_default();
    let mut parts: Vec<&[u8]> = vec![
        env!("CARGO_PKG_VERSION").as_bytes(),
        flow.as_bytes(),
        design.top.as_bytes(),
        verilog.as_bytes(),
        ports.as_bytes(),
        opts_json.as_bytes(),
        v.as_bytes(),
    ];
    parts.extend(scripts.iter().map(|s| s.as_bytes()));
    crate::cache::content_hash(&parts)
}

/// Flip-flop/latch cells among Yosys internal cell types.
pub(crate) fn is_yosys_ff(cell_type: &str) -> bool {
    let t = cell_type.trim_start_matches('$').trim_start_matches('_');
    [
        "DFF", "SDFF", "DFFE", "SDFFE", "SDFFCE", "ALDFF", "DLATCH", "SR_", "FF_", "dff", "sdff",
        "adff", "dlatch", "aldff",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yosys_flip_flop_types() {
        for t in [
            "$_DFF_P_",
            "$_SDFF_PP0_",
            "$_DFFE_PN_",
            "$_DLATCH_P_",
            "$dff",
            "$adff",
        ] {
            assert!(is_yosys_ff(t), "{t}");
        }
        for t in ["$_AND_", "$_XOR_", "$_MUX_", "$add"] {
            assert!(!is_yosys_ff(t), "{t}");
        }
    }

    #[test]
    fn templates_render() {
        assert_eq!(
            crate::render("read {{A}}; x {{B}} {{A}}", &[("A", "f.v"), ("B", "2")]),
            "read f.v; x 2 f.v"
        );
    }
}
