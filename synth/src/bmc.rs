//! Bounded model checking of a checker design: its one output (`bad`, 1 bit) must stay 0 in
//! every cycle of every input sequence of up to `frames` cycles from the initial state.
//!
//! The design is flattened by Yosys into an AIG (every flip-flop starts at 0, every input is
//! free in every cycle) and `yosys-abc bmc3` unrolls it frame by frame. A checker gives itself
//! a reset: it should only raise `bad` after its own reset input was seen high, so the
//! all-zero start is not an assumption about the design under check.

use crate::error::SynthError;
use crate::tools::{run, run_yosys, Tool};
use crate::{check_time_limit, render, validate_design};
use nicc_rtl::{Design, Dir};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_until};
use nom::character::complete::{digit1, space1};
use nom::combinator::{map, map_res};
use nom::sequence::{preceded, tuple};
use nom::IResult;
use std::fmt;
use std::time::Duration;

const SCRIPT: &str = include_str!("../scripts/bmc.ys");

/// Options of [`bounded_check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BmcOptions {
    /// Cycles to unroll (ABC time frames), >= 1.
    pub frames: u32,
    /// ABC's run-time limit in seconds (0 = none).
    pub timeout_s: u32,
    /// A time limit for each tool run: the Yosys step is stopped at it
    /// ([`SynthError::TimedOut`]); ABC's `bmc3 -T` gets it rounded up to whole seconds (or
    /// `timeout_s` when that is smaller and not 0), so a check it cuts short is
    /// [`BmcVerdict::Inconclusive`], and the ABC process is stopped ([`SynthError::TimedOut`])
    /// when it runs past its own limit by [`ABC_MARGIN`] or a tenth of it, whichever is
    /// longer. ABC counts `-T` in its own CPU time, the stop in wall time: on a loaded
    /// machine the stop can come first. `None`: no limit but `timeout_s`; a zero limit is an
    /// [`SynthError::InvalidOption`].
    pub time_limit: Option<Duration>,
}

/// The least time ABC may run past its own `bmc3 -T` limit before it is stopped (with a
/// [`BmcOptions::time_limit`]): ABC checks the limit between its steps, not within one.
pub const ABC_MARGIN: Duration = Duration::from_secs(5);

/// ABC's `bmc3 -T` seconds (0 = none) and, with a time limit, the hard stop of its process.
fn abc_limits(opts: &BmcOptions) -> (u32, Option<Duration>) {
    // ABC reads -T as a C int.
    let whole = |d: Duration| {
        let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
        u32::try_from(s).unwrap_or(u32::MAX).min(i32::MAX as u32)
    };
    let t = match (opts.timeout_s, opts.time_limit.map(whole)) {
        (t, None) => t,
        (0, Some(l)) => l,
        (t, Some(l)) => t.min(l),
    };
    let own = Duration::from_secs(u64::from(t));
    let hard = opts.time_limit.map(|_| own + ABC_MARGIN.max(own / 10));
    (t, hard)
}

/// What the bounded check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BmcVerdict {
    /// `bad` stays 0 for every input sequence of `frames` cycles.
    Holds {
        /// Cycles checked.
        frames: u32,
    },
    /// Some input sequence raises `bad` in cycle `frame` (counted from 0).
    Violated {
        /// First failing cycle.
        frame: u32,
    },
    /// The time limit hit after `frames` cycles were checked.
    Inconclusive {
        /// Cycles checked completely.
        frames: u32,
    },
}

impl fmt::Display for BmcVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BmcVerdict::Holds { frames } => {
                write!(f, "holds for every input sequence of {frames} cycles")
            }
            BmcVerdict::Violated { frame } => {
                write!(
                    f,
                    "VIOLATED: an input sequence raises the output in cycle {frame}"
                )
            }
            BmcVerdict::Inconclusive { frames } => write!(
                f,
                "inconclusive: no violation in {frames} cycles before the time limit"
            ),
        }
    }
}

/// Checks that the one output of `design` stays 0 for `opts.frames` cycles.
pub fn bounded_check(design: &Design, opts: &BmcOptions) -> Result<BmcVerdict, SynthError> {
    validate_design(design)?;
    if opts.frames == 0 {
        return Err(SynthError::InvalidOption(
            "bounded check: frames must be >= 1".into(),
        ));
    }
    check_time_limit(opts.time_limit)?;
    let outs: Vec<_> = design
        .ports
        .iter()
        .filter(|p| p.dir == Dir::Output)
        .collect();
    if outs.len() != 1 || outs[0].width != 1 {
        return Err(SynthError::InvalidDesign(format!(
            "a bounded check needs a checker with exactly one 1-bit output (its violation flag); `{}` has {}",
            design.top,
            outs.iter()
                .map(|p| format!("{} [{}]", p.name, p.width))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let dir = tempfile::Builder::new()
        .prefix("nicc-bmc-")
        .tempdir()
        .map_err(|e| SynthError::io("creating a temp dir", e))?;
    let d = dir.path();
    std::fs::write(d.join("design.v"), design.verilog())
        .map_err(|e| SynthError::io("writing design.v", e))?;
    let script = render(
        SCRIPT,
        &[("VERILOG", "design.v"), ("TOP", design.top.as_str())],
    );
    std::fs::write(d.join("bmc.ys"), script).map_err(|e| SynthError::io("writing bmc.ys", e))?;
    run_yosys("bmc.ys", d, opts.time_limit)?;
    let (t, hard) = abc_limits(opts);
    let cmd = format!("read_aiger bmc.aig; bmc3 -F {} -T {t}", opts.frames);
    let abc = match run(Tool::YosysAbc, &["-c", &cmd], d, hard) {
        // Name the limit the caller gave, and say when ABC was stopped.
        Err(SynthError::TimedOut { tool, log, limit_s }) => {
            return Err(SynthError::TimedOut {
                tool,
                limit_s: opts.time_limit.unwrap_or_default().as_secs_f64(),
                log: format!(
                    "{log}\n(ABC had not stopped by itself at its limit `bmc3 -T {t}`, which \
                     counts its CPU time: it was stopped after {limit_s} s of wall time)"
                ),
            })
        }
        r => r?.check(Tool::YosysAbc)?,
    };
    parse_bmc3(&abc.log, opts.frames)
}

/// One verdict line of `bmc3`.
enum Line {
    Asserted(u32),
    NoneIn(u32),
}

fn number(i: &str) -> IResult<&str, u32> {
    map_res(digit1, str::parse)(i)
}

fn verdict_line(i: &str) -> IResult<&str, Line> {
    alt((
        // `Output 0 of miter "top" was asserted in frame 11.`
        map(
            tuple((
                tag("Output"),
                space1,
                digit1,
                take_until("was asserted in frame"),
                preceded(tuple((tag("was asserted in frame"), space1)), number),
            )),
            |(_, _, _, _, f)| Line::Asserted(f),
        ),
        // `No output asserted in 12 frames.`
        map(
            preceded(tuple((tag("No output asserted in"), space1)), number),
            Line::NoneIn,
        ),
    ))(i)
}

/// Reads the verdict of `yosys-abc -c "bmc3 -F frames ..."` (ABC exits 0 either way).
pub fn parse_bmc3(text: &str, frames: u32) -> Result<BmcVerdict, SynthError> {
    for line in text.lines() {
        if let Ok((_, v)) = verdict_line(line.trim_start()) {
            return Ok(match v {
                Line::Asserted(frame) => BmcVerdict::Violated { frame },
                Line::NoneIn(n) if n >= frames => BmcVerdict::Holds { frames },
                Line::NoneIn(n) => BmcVerdict::Inconclusive { frames: n },
            });
        }
    }
    Err(SynthError::parse(
        "yosys-abc bmc3 output",
        format!(
            "no verdict line (\"Output ... was asserted in frame N\" / \"No output asserted in N frames\") in:\n{}",
            text.trim()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_verdicts() {
        let held = "No output asserted in 12 frames. Time =     0.52 sec\n";
        assert_eq!(
            parse_bmc3(held, 12).unwrap(),
            BmcVerdict::Holds { frames: 12 }
        );
        let cut = "No output asserted in 7 frames. Resource limit reached (timeout 600 sec). Time =   600.09 sec";
        assert_eq!(
            parse_bmc3(cut, 19).unwrap(),
            BmcVerdict::Inconclusive { frames: 7 }
        );
        let bad = "Runtime:  CNF = 0.0 sec\nOutput 1 of miter \"chk\" was asserted in frame 3. Time =     0.02 sec\n";
        assert_eq!(
            parse_bmc3(bad, 30).unwrap(),
            BmcVerdict::Violated { frame: 3 }
        );
        let e = parse_bmc3("Wrong input file format.", 5).unwrap_err();
        assert!(e.to_string().contains("no verdict line"), "{e}");
    }

    /// ABC's `-T` is the time limit rounded up to whole seconds, or the ABC limit when that is
    /// smaller; the process is stopped a margin after it, and not by nicc without a limit.
    #[test]
    fn the_time_limit_becomes_abcs_own_limit_and_a_hard_stop() {
        let o = |timeout_s, ms: Option<u64>| BmcOptions {
            frames: 1,
            timeout_s,
            time_limit: ms.map(Duration::from_millis),
        };
        assert_eq!(abc_limits(&o(600, None)), (600, None));
        assert_eq!(abc_limits(&o(0, None)), (0, None));
        let hard = |s| Some(Duration::from_secs(s) + ABC_MARGIN);
        assert_eq!(abc_limits(&o(600, Some(1500))), (2, hard(2)));
        assert_eq!(abc_limits(&o(600, Some(3000))), (3, hard(3)));
        assert_eq!(abc_limits(&o(0, Some(1))), (1, hard(1)));
        assert_eq!(abc_limits(&o(10, Some(60_000))), (10, hard(10)));
        // A long limit gets a tenth of it.
        assert_eq!(
            abc_limits(&o(0, Some(600_000))),
            (600, Some(Duration::from_secs(660)))
        );
        let huge = o(0, Some(u64::MAX));
        assert_eq!(abc_limits(&huge).0, i32::MAX as u32);
    }
}
