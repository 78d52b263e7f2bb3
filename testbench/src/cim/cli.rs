//! `nicc sim cim`: integer weights `W.npy` (R, C) and inputs `X.npy` (B, R) through the
//! Verilated macro, results `Y.npy` (B, C) int64.
//!
//! The weights are written row by row through the RTL write port (bank 0), then the B
//! vectors run back to back (one MVM offered every cycle the macro accepts one, output
//! always ready). The golden model runs beside it, cycle by cycle (see [`super::cosim`]):
//! a differing result is an error naming the vector, column, expected and actual value, and
//! so is any counter, `out_cycles` or timing discrepancy. `Y` is what the RTL produced,
//! written only when everything agreed.

use super::cosim::{run, CosimError, Mismatch, Slot, Stimulus};
use super::npy::{check_inputs, check_weights, read_int_matrix, write_int64_matrix, NpyIoError};
use super::MvmInput;
use nicc_rtl::blocks::cim::{generate, CimFormat, CimParams};
use nicc_rtl::{emit, RtlError};
use nicc_sim::{Model, SimError};
use std::path::Path;
use thiserror::Error;

/// Errors of `nicc sim cim`.
#[derive(Debug, Error)]
pub enum CimCliError {
    /// A `.npy` file could not be read or written, or holds values out of range.
    #[error(transparent)]
    Npy(#[from] NpyIoError),
    /// The parameters are invalid or the macro could not be generated.
    #[error("generating the macro: {0}")]
    Rtl(#[from] RtlError),
    /// Verilator failed.
    #[error("simulation: {0}")]
    Sim(#[from] SimError),
    /// The co-simulation could not be set up.
    #[error(transparent)]
    Cosim(#[from] CosimError),
    /// The RTL produced a different result than the golden model.
    #[error(
        "RTL and golden model differ: vector {vector}, column {column}: expected {expected}, \
         actual {actual}{more}"
    )]
    Mismatch {
        /// Input vector (row of X).
        vector: usize,
        /// Column of the result.
        column: usize,
        /// Golden model.
        expected: i64,
        /// RTL.
        actual: i64,
        /// How many other mismatches there were, if any.
        more: String,
    },
    /// Counters, `out_cycles` or timing differ from the golden model.
    #[error("RTL and golden model differ: {0}")]
    Check(String),
    /// An option is not supported in this mode.
    #[error("{0}")]
    Unsupported(String),
}

impl CimCliError {
    /// The error for the first of `mismatches` (which must not be empty).
    pub fn from_mismatches(mismatches: &[Mismatch]) -> CimCliError {
        let m = &mismatches[0];
        let more = match mismatches.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        CimCliError::Mismatch {
            vector: m.vector,
            column: m.column,
            expected: m.expected,
            actual: m.actual,
            more,
        }
    }
}

/// What [`sim_npy`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct CimSimSummary {
    /// Vectors (MVMs) run.
    pub vectors: usize,
    /// Columns of each result.
    pub cols: usize,
    /// Effective run-time precision.
    pub bx: u32,
    /// Final activity counters: MVMs, issue cycles, skipped bit-planes, active products.
    pub counters: [u64; 4],
    /// Issue cycles per MVM (`cnt_cycles / MVMs`): `bx` when dense, fewer when planes skip.
    pub cycles_per_mvm: f64,
    /// Cycles between the first and the last accept divided by `B - 1` (the measured
    /// steady-state interval; equals `cycles_per_mvm` with an always-ready consumer).
    pub accept_interval: f64,
    /// Latency of the first MVM: accept to pop, in cycles.
    pub first_latency: u64,
    /// Total simulated cycles (weight writes included).
    pub total_cycles: u64,
}

impl std::fmt::Display for CimSimSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [m, c, s, p] = self.counters;
        writeln!(
            f,
            "{} vectors x {} columns through the RTL at bx = {}: all match the golden model",
            self.vectors, self.cols, self.bx
        )?;
        writeln!(
            f,
            "counters: mvms {m}, cycles {c}, skipped bit-planes {s}, active (row, bit-plane) products {p}"
        )?;
        write!(
            f,
            "cycles per MVM: {:.3} (dense: {}); accept interval {:.3}; first latency {} cycles; {} cycles in total",
            self.cycles_per_mvm, self.bx, self.accept_interval, self.first_latency, self.total_cycles
        )
    }
}

/// Runs `inputs` (B, R) against `weights` (R, C) through the Verilated macro `p` (format
/// int) at run-time precision `bx` (0 = `xbits`) and writes the RTL's results to `out`.
pub fn sim_npy(
    p: &CimParams,
    weights: &Path,
    inputs: &Path,
    out: &Path,
    bx: u32,
) -> Result<CimSimSummary, CimCliError> {
    p.validate().map_err(RtlError::from)?;
    if p.format != CimFormat::Int {
        return Err(CimCliError::Unsupported(
            "nicc sim cim runs format=int macros (set format=int)".into(),
        ));
    }
    if bx as u64 >= 1u64 << p.planes_width() {
        return Err(CimCliError::Unsupported(format!(
            "--bx {bx} does not fit the {}-bit in_bx port: use 1..={} (0 = xbits)",
            p.planes_width(),
            p.xbits
        )));
    }
    let ebx = if bx == 0 || bx > p.xbits { p.xbits } else { bx };
    let w = read_int_matrix(weights)?;
    check_weights(weights, &w, p)?;
    let x = read_int_matrix(inputs)?;
    check_inputs(inputs, &x, p, ebx)?;
    let d = emit(&generate(p, "cim")?)?;
    let mut model = Model::build(&d)?;
    let stim = Stimulus {
        init_writes: (0..w.rows).map(|r| (0, r, w.row(r).to_vec())).collect(),
        mvms: (0..x.rows)
            .map(|b| MvmInput {
                bx: ebx,
                ..MvmInput::dense(p, x.row(b).to_vec())
            })
            .collect(),
        gaps: Vec::new(),
        ready_prob: 1.0,
        write_prob: 0.0,
        junk_high_bits: false,
        seed: 0,
    };
    let slot = Slot::new(&model, "", "cim", p, stim)?;
    let limit = (x.rows as u64 + 4) * (p.xbits as u64 + p.tree_pipeline as u64 + 4) + w.rows as u64;
    let r = run(&mut model, vec![slot], limit)?.remove(0);
    if !r.mismatches.is_empty() {
        return Err(CimCliError::from_mismatches(&r.mismatches));
    }
    if let Some(e) = r.errors.first() {
        return Err(CimCliError::Check(e.clone()));
    }
    let data: Vec<i64> = r
        .results
        .iter()
        .flat_map(|(y, _)| y.iter().copied())
        .collect();
    write_int64_matrix(out, x.rows, p.cols as usize, &data)?;
    let b = x.rows.max(1) as f64;
    let accept_interval = match (r.accept.first(), r.accept.last()) {
        (Some(a), Some(z)) if r.accept.len() > 1 => (z - a) as f64 / (r.accept.len() - 1) as f64,
        _ => r.counters[1] as f64 / b,
    };
    Ok(CimSimSummary {
        vectors: x.rows,
        cols: p.cols as usize,
        bx: ebx,
        counters: r.counters,
        cycles_per_mvm: r.counters[1] as f64 / b,
        accept_interval,
        first_latency: match (r.accept.first(), r.pop.first()) {
            (Some(a), Some(p)) => p - a,
            _ => 0,
        },
        total_cycles: r.cycles,
    })
}
