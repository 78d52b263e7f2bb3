//! Finding and running the external tools (yosys, yosys-abc, nextpnr-ice40, sta), and their versions.

use crate::error::SynthError;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

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
        let text = joined(&out.stdout, &out.stderr);
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

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A tool's stdout followed by its stderr, as text.
fn joined(stdout: &[u8], stderr: &[u8]) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(stdout),
        String::from_utf8_lossy(stderr)
    )
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
    /// The output of a finished run.
    fn of(status: ExitStatus, stdout: &[u8], stderr: &[u8]) -> RunOutput {
        RunOutput {
            ok: status.success(),
            status: status.to_string(),
            log: joined(stdout, stderr),
        }
    }

    /// The last `n` lines of the log.
    pub fn tail(&self, n: usize) -> String {
        tail(&self.log, n)
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

/// Runs `tool args...` in `dir`, capturing stdout and stderr. With a `limit`, a run that takes
/// longer is stopped, with every process it started (Yosys runs ABC as a child), and is
/// [`SynthError::TimedOut`].
pub(crate) fn run(
    tool: Tool,
    args: &[&str],
    dir: &Path,
    limit: Option<Duration>,
) -> Result<RunOutput, SynthError> {
    let bin = tool.locate()?;
    let running = |e| SynthError::io(format!("running {}", bin.display()), e);
    let mut cmd = Command::new(&bin);
    cmd.args(args).current_dir(dir);
    let Some(limit) = limit else {
        let out = cmd.output().map_err(running)?;
        return Ok(RunOutput::of(out.status, &out.stdout, &out.stderr));
    };
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(running)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                // A read error leaves what was read: the log is for messages only.
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(running)? {
            break Some(status);
        }
        let spent = start.elapsed();
        if spent >= limit {
            stop_tree(child.id());
            child.wait().map_err(running)?;
            break None;
        }
        std::thread::sleep((limit - spent).min(Duration::from_millis(50)));
    };
    let (out, err) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    match status {
        Some(status) => Ok(RunOutput::of(status, &out, &err)),
        None => Err(SynthError::TimedOut {
            tool: tool.binary().to_string(),
            limit_s: limit.as_secs_f64(),
            log: tail(&joined(&out, &err), 25),
        }),
    }
}

/// Kills process `pid` and every process it started, directly or not (Yosys runs ABC through
/// a shell). The tool stays in nicc's process group, so Ctrl-C still reaches it; its children
/// are found through `/proc/<pid>/stat` instead. The tool is stopped first (SIGSTOP), so it
/// starts nothing new while its tree is read, and the tree is read before anything dies (a
/// dead parent's children are handed to init and lose the link).
fn stop_tree(pid: u32) {
    let signal = |p: u32, sig: libc::c_int| {
        // SAFETY: kill(2) takes two integers and touches no memory of this process. The
        // pids are the tool's and its descendants', which the tool (not yet reaped: the
        // caller waits for it afterwards) keeps from being reused while it is stopped.
        unsafe { libc::kill(p as libc::pid_t, sig) };
    };
    signal(pid, libc::SIGSTOP);
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
            let ppid = stat[stat.rfind(')')? + 1..]
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut tree = vec![pid];
    let mut k = 0;
    while k < tree.len() {
        let parent = tree[k];
        tree.extend(
            parents
                .iter()
                .filter(|&&(_, pp)| pp == parent)
                .map(|&(p, _)| p),
        );
        k += 1;
    }
    for p in tree {
        signal(p, libc::SIGKILL);
    }
}

/// Runs a Yosys script file (relative to `dir`) and fails on a non-zero exit or after `limit`.
pub(crate) fn run_yosys(
    script: &str,
    dir: &Path,
    limit: Option<Duration>,
) -> Result<RunOutput, SynthError> {
    // -q hides the log on stdout: messages take it from the log file.
    let log_tail = || {
        std::fs::read_to_string(dir.join("yosys.log"))
            .ok()
            .map(|log| tail(&log, 25))
    };
    match run(
        Tool::Yosys,
        &["-q", "-l", "yosys.log", "-s", script],
        dir,
        limit,
    ) {
        Ok(r) if r.ok => Ok(r),
        Ok(r) => {
            let log = log_tail().unwrap_or(r.log.clone());
            Err(RunOutput { log, ..r }.check(Tool::Yosys).unwrap_err())
        }
        Err(SynthError::TimedOut { tool, limit_s, log }) => Err(SynthError::TimedOut {
            tool,
            limit_s,
            log: log_tail().unwrap_or(log),
        }),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes whose working directory is `dir` (Linux `/proc/<pid>/cwd`).
    fn processes_in(dir: &Path) -> Vec<String> {
        let dir = dir.canonicalize().unwrap();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| std::fs::read_link(e.path().join("cwd")).is_ok_and(|c| c == dir))
            .map(|e| {
                let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                String::from_utf8_lossy(&cmd).replace('\0', " ")
            })
            .collect()
    }

    /// Yosys starts a shell that starts `sleep`, as it starts ABC: the limit stops all three.
    #[test]
    fn the_time_limit_stops_the_tool_and_its_children() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.ys"), "exec -- sleep 60\n").unwrap();
        let t = Instant::now();
        let e = run_yosys("s.ys", dir.path(), Some(Duration::from_millis(1500))).unwrap_err();
        assert!(matches!(e, SynthError::TimedOut { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
        let mut left = processes_in(dir.path());
        for _ in 0..40 {
            if left.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            left = processes_in(dir.path());
        }
        assert!(left.is_empty(), "still running: {left:?}");
        // A run within its limit finishes normally.
        std::fs::write(dir.path().join("q.ys"), "exec -- true\n").unwrap();
        assert!(run_yosys("q.ys", dir.path(), Some(Duration::from_secs(60))).is_ok());
    }
}
