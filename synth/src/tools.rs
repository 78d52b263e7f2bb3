//! Finding and running the external tools (yosys, yosys-abc, nextpnr-ice40, sta), and their versions.

use crate::error::SynthError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// An external tool the flows use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// Yosys synthesis suite.
    Yosys,
    /// ABC as shipped with Yosys.
    YosysAbc,
    /// nextpnr for iCE40.
    NextpnrIce40,
    /// OpenSTA static timing analysis.
    Sta,
}

impl Tool {
    /// Binary name on PATH.
    pub fn binary(self) -> &'static str {
        match self {
            Tool::Yosys => "yosys",
            Tool::YosysAbc => "yosys-abc",
            Tool::NextpnrIce40 => "nextpnr-ice40",
            Tool::Sta => "sta",
        }
    }

    /// Debian package that installs the binary.
    pub fn package(self) -> &'static str {
        match self {
            Tool::Yosys | Tool::YosysAbc => "yosys",
            Tool::NextpnrIce40 => "nextpnr-ice40",
            Tool::Sta => "opensta",
        }
    }

    /// Full path of the binary, or [`SynthError::MissingTool`] naming the package to install.
    pub fn locate(self) -> Result<PathBuf, SynthError> {
        find_on_path(self.binary()).ok_or_else(|| SynthError::MissingTool {
            tool: self.binary().to_string(),
            package: self.package().to_string(),
        })
    }

    /// First line of the tool's version output.
    pub fn version(self) -> Result<String, SynthError> {
        let bin = self.locate()?;
        let arg = match self {
            Tool::Yosys => "-V",
            Tool::YosysAbc => return Ok("(bundled with yosys)".to_string()),
            Tool::NextpnrIce40 => "--version",
            Tool::Sta => "-version",
        };
        let out = Command::new(&bin)
            .arg(arg)
            .output()
            .map_err(|e| SynthError::io(format!("running {} {arg}", bin.display()), e))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("unknown")
            .to_string())
    }
}

/// Versions of the tools a flow used (absent where the flow did not need the tool).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolVersions {
    /// `yosys -V`.
    pub yosys: Option<String>,
    /// `nextpnr-ice40 --version`.
    pub nextpnr_ice40: Option<String>,
    /// `sta -version`.
    pub sta: Option<String>,
}

/// Looks `name` up in the directories of `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Output of one tool run.
#[derive(Debug)]
pub(crate) struct RunOutput {
    /// Exit success.
    pub ok: bool,
    /// Exit status text.
    pub status: String,
    /// stdout and stderr, concatenated.
    pub log: String,
}

impl RunOutput {
    /// The last `n` lines of the log.
    pub fn tail(&self, n: usize) -> String {
        let lines: Vec<&str> = self.log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Converts a failed run into [`SynthError::ToolFailed`].
    pub fn check(self, tool: Tool) -> Result<RunOutput, SynthError> {
        if self.ok {
            Ok(self)
        } else {
            Err(SynthError::ToolFailed {
                tool: tool.binary().to_string(),
                status: self.status.clone(),
                log: self.tail(25),
            })
        }
    }
}

/// Runs `tool args...` in `dir`, capturing stdout and stderr.
pub(crate) fn run(tool: Tool, args: &[&str], dir: &Path) -> Result<RunOutput, SynthError> {
    let bin = tool.locate()?;
    let out = Command::new(&bin)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| SynthError::io(format!("running {}", bin.display()), e))?;
    Ok(RunOutput {
        ok: out.status.success(),
        status: out.status.to_string(),
        log: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    })
}

/// Runs a Yosys script file (relative to `dir`) and fails on a non-zero exit.
pub(crate) fn run_yosys(script: &str, dir: &Path) -> Result<RunOutput, SynthError> {
    run(Tool::Yosys, &["-q", "-l", "yosys.log", "-s", script], dir).and_then(|r| {
        if r.ok {
            Ok(r)
        } else {
            // -q hides the log on stdout: take it from the log file for the error message.
            let log = std::fs::read_to_string(dir.join("yosys.log")).unwrap_or(r.log);
            Err(RunOutput { log, ..r }.check(Tool::Yosys).unwrap_err())
        }
    })
}
