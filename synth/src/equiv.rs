//! Formal equivalence of a design against a behavioural reference with the same ports.
//!
//! Combinational: both designs are synthesised and flattened to AIGs (BLIF with named port
//! bits) and compared with `yosys-abc cec`. ABC exits 0 even on a mismatch, so the verdict line
//! is read ("Networks are equivalent" / "Networks are NOT EQUIVALENT"); on a mismatch a Yosys
//! `sat -show-inputs` run on the miter finds the full input values.
//!
//! Sequential (equal latency): a Yosys `miter -equiv` of the two and `sat -tempinduct -prove
//! trigger 0 -set-init-zero`: the registers of both start at zero, and a base-case model is a
//! real input sequence that makes an output differ.

use crate::error::SynthError;
use crate::parse::{
    parse_cec_verdict, parse_induction_counterexample, parse_induction_verdict, parse_sat_table,
    sat_model_found, CecVerdict, InductionVerdict, SatValue,
};
use crate::tools::{run, run_yosys, Tool};
use crate::{check_time_limit, render, validate_design};
use nicc_rtl::{Bits, Design, Dir};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

const COMB: &str = include_str!("../scripts/equiv_comb.ys");
const CEX: &str = include_str!("../scripts/equiv_cex.ys");
const SEQ: &str = include_str!("../scripts/equiv_seq.ys");

/// How to compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EquivMode {
    /// Sequential when either design has a clock, else combinational.
    #[default]
    Auto,
    /// `yosys-abc cec` on AIGs.
    Combinational,
    /// Miter + `sat -tempinduct` from an all-zero initial state.
    Sequential,
}

/// Options of [`check_equiv`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EquivOptions {
    /// Comparison kind.
    pub mode: EquivMode,
    /// Sequential: maximum induction length (`sat -maxsteps`, default 20).
    pub max_steps: u32,
    /// Stop any one tool run of the proof (Yosys with the processes it starts, `yosys-abc
    /// cec`) after this long, with [`SynthError::TimedOut`]. Default `None`: no limit; a zero
    /// limit is an [`SynthError::InvalidOption`].
    pub time_limit: Option<Duration>,
}

impl Default for EquivOptions {
    fn default() -> Self {
        EquivOptions {
            mode: EquivMode::Auto,
            max_steps: 20,
            time_limit: None,
        }
    }
}

/// Verdict of an equivalence check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EquivResult {
    /// Proven equal on every input (sequential: every input sequence from the zero state).
    Equivalent,
    /// Outputs differ for the given inputs.
    NotEquivalent {
        /// Input port values (clock excluded): combinational, the failing input; sequential,
        /// the inputs of the first cycle of `trace`.
        counterexample: Vec<(String, Bits)>,
        /// Sequential: inputs per cycle from the zero state, an output differs in the last
        /// cycle. Combinational: one entry equal to `counterexample`.
        trace: Vec<Vec<(String, Bits)>>,
    },
    /// Sequential only: neither proven nor refuted within `max_steps` induction steps.
    Inconclusive {
        /// The step limit that was reached.
        max_steps: u32,
    },
}

impl EquivResult {
    /// `true` for [`EquivResult::Equivalent`].
    pub fn is_equivalent(&self) -> bool {
        matches!(self, EquivResult::Equivalent)
    }
}

impl fmt::Display for EquivResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EquivResult::Equivalent => write!(f, "equivalent"),
            EquivResult::Inconclusive { max_steps } => {
                write!(
                    f,
                    "inconclusive: not proven within {max_steps} induction steps"
                )
            }
            EquivResult::NotEquivalent { trace, .. } => {
                writeln!(f, "NOT equivalent; counterexample inputs:")?;
                for (i, cycle) in trace.iter().enumerate() {
                    if trace.len() > 1 {
                        writeln!(f, "  cycle {}:", i + 1)?;
                    }
                    for (name, v) in cycle {
                        writeln!(f, "    {name} = {}'h{}", v.width(), v.to_hex())?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// Proves `candidate` equal to `reference` (same port names, directions and widths).
pub fn check_equiv(
    reference: &Design,
    candidate: &Design,
    opts: &EquivOptions,
) -> Result<EquivResult, SynthError> {
    validate_design(reference)?;
    validate_design(candidate)?;
    check_ports(reference, candidate)?;
    check_time_limit(opts.time_limit)?;
    let limit = opts.time_limit;
    let sequential = match opts.mode {
        EquivMode::Auto => reference.clock.is_some() || candidate.clock.is_some(),
        EquivMode::Combinational => false,
        EquivMode::Sequential => true,
    };
    if sequential && opts.max_steps == 0 {
        return Err(SynthError::InvalidOption(
            "equiv: max_steps must be >= 1".into(),
        ));
    }
    let dir = tempfile::Builder::new()
        .prefix("nicc-equiv-")
        .tempdir()
        .map_err(|e| SynthError::io("creating a temp dir", e))?;
    let d = dir.path();
    let w = |n: &str, t: &str| {
        std::fs::write(d.join(n), t).map_err(|e| SynthError::io(format!("writing {n}"), e))
    };
    w("gold.v", &reference.verilog())?;
    w("gate.v", &candidate.verilog())?;
    let steps = opts.max_steps.to_string();
    let vars = [
        ("GOLD", "gold.v"),
        ("GATE", "gate.v"),
        ("GOLD_TOP", reference.top.as_str()),
        ("GATE_TOP", candidate.top.as_str()),
        ("MAX_STEPS", steps.as_str()),
    ];
    let clock = reference.clock.clone().or_else(|| candidate.clock.clone());
    if sequential {
        w("equiv.ys", &render(SEQ, &vars))?;
        run_yosys("equiv.ys", d, limit)?;
        let log = read_log(d)?;
        match parse_induction_verdict(&log)? {
            InductionVerdict::Proven => Ok(EquivResult::Equivalent),
            InductionVerdict::Inconclusive => Ok(EquivResult::Inconclusive {
                max_steps: opts.max_steps,
            }),
            InductionVerdict::Failed => Ok(not_equivalent(
                reference,
                &parse_induction_counterexample(&log),
                clock.as_deref(),
            )),
        }
    } else {
        w("equiv.ys", &render(COMB, &vars))?;
        run_yosys("equiv.ys", d, limit)?;
        let abc = run(Tool::YosysAbc, &["-c", "cec gold.blif gate.blif"], d, limit)?
            .check(Tool::YosysAbc)?;
        match parse_cec_verdict(&abc.log)? {
            CecVerdict::Equivalent => Ok(EquivResult::Equivalent),
            CecVerdict::NotEquivalent => {
                w("cex.ys", CEX)?;
                run_yosys("cex.ys", d, limit)?;
                let log = read_log(d)?;
                if !sat_model_found(&log) {
                    return Err(SynthError::parse(
                        "yosys sat on the miter",
                        "abc cec found a mismatch but sat found no model: report this as a bug",
                    ));
                }
                Ok(not_equivalent(
                    reference,
                    &parse_sat_table(&log),
                    clock.as_deref(),
                ))
            }
        }
    }
}

fn read_log(d: &Path) -> Result<String, SynthError> {
    std::fs::read_to_string(d.join("yosys.log")).map_err(|e| SynthError::io("reading yosys.log", e))
}

/// Port names, directions and widths must agree.
fn check_ports(a: &Design, b: &Design) -> Result<(), SynthError> {
    let key = |d: &Design| -> BTreeMap<String, (Dir, u32)> {
        d.ports
            .iter()
            .map(|p| (p.name.clone(), (p.dir, p.width)))
            .collect()
    };
    let (ka, kb) = (key(a), key(b));
    if ka != kb {
        let fmt = |k: &BTreeMap<String, (Dir, u32)>| {
            k.iter()
                .map(|(n, (d, w))| format!("{n}:{d:?}[{w}]"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(SynthError::InvalidDesign(format!(
            "ports differ: reference `{}` has {{{}}}, candidate `{}` has {{{}}}",
            a.top,
            fmt(&ka),
            b.top,
            fmt(&kb)
        )));
    }
    Ok(())
}

/// Turns the `sat` table (`\in_<port>` rows) into per-cycle input values.
fn not_equivalent(reference: &Design, rows: &[SatValue], clock: Option<&str>) -> EquivResult {
    let mut cycles: BTreeMap<u32, Vec<(String, Bits)>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.init) {
        let Some(port) = r.signal.strip_prefix("in_") else {
            continue;
        };
        if Some(port) == clock {
            continue;
        }
        let Some(info) = reference.port(port) else {
            continue;
        };
        cycles
            .entry(r.step.unwrap_or(1))
            .or_default()
            .push((port.to_string(), bits_from_bin(&r.bin, info.width)));
    }
    // Keep the reference's port order.
    let order = |v: &mut Vec<(String, Bits)>| {
        v.sort_by_key(|(n, _)| reference.ports.iter().position(|p| &p.name == n));
    };
    let mut trace: Vec<Vec<(String, Bits)>> = cycles.into_values().collect();
    trace.iter_mut().for_each(order);
    EquivResult::NotEquivalent {
        counterexample: trace.first().cloned().unwrap_or_default(),
        trace,
    }
}

/// Bits from a most-significant-first `0`/`1`/`x` string (`x` and `z` read as 0).
fn bits_from_bin(bin: &str, width: u32) -> Bits {
    let mut b = Bits::zero(width);
    for (i, c) in bin.chars().rev().enumerate() {
        if (i as u32) < width && c == '1' {
            b.set_bit(i as u32, true);
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_strings_become_bits() {
        assert_eq!(bits_from_bin("0111", 4).to_u64(), Some(7));
        assert_eq!(bits_from_bin("1x10", 4).to_u64(), Some(0b1010));
        assert_eq!(bits_from_bin("1", 1).to_u64(), Some(1));
    }
}
