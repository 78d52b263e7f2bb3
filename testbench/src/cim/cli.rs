//! `nicc sim cim`: weights `W.npy` (R, C) and inputs `X.npy` (B, R) through the Verilated
//! macro, results `Y.npy` (B, C): int64 for `format=int`, float32 for `format=bf16`.
//!
//! The weights are written row by row through the RTL write port (bank 0), then the B
//! vectors run back to back (one MVM offered every cycle the macro accepts one, output
//! always ready). The golden model runs beside it: a differing result is an error naming
//! the vector, column, expected and actual value, and so is any counter or timing
//! discrepancy. `Y` is what the RTL produced, written only when everything agreed.
//!
//! - **int** ([`sim_npy_int`]): integer arrays, checked cycle by cycle by [`super::cosim`]
//!   (results, `out_cycles`, counters, accept and pop cycles).
//! - **bf16** ([`sim_npy_bf16`]): float arrays (`float16/32/64`, or integers up to 2^53), each
//!   value rounded once to BF16 (nearest even); the weights are pre-aligned per column in
//!   Rust and written through the write port, the vectors run through
//!   [`super::bf16_sim::sim_bf16`], which checks the BF16 and FP32 outputs and both flags bit
//!   for bit against [`super::bf16::Bf16Golden`], each alignment group's counters against the
//!   integer golden activity, and the accept cycles. `Y` is the RTL's FP32 output. Every
//!   finite result is also checked against the documented error bound vs an f64 reference
//!   ([`super::bf16::error_bound`]). A finite value that rounds to infinity in BF16 is a
//!   range error; NaN and infinity in a file are accepted (they count as 0 and raise
//!   `out_non_finite`), and the summary warns about them and about overflowed results.

use super::bf16::{bf16_from_f32, error_bound, f32_round_to_odd, reference_f64};
use super::bf16_sim::{sim_bf16, Bf16SimError};
use super::cosim::{run, CosimError, Mismatch, Slot, Stimulus};
use super::npy::{
    check_bf16_inputs, check_bf16_weights, check_inputs, check_weights, read_float_matrix,
    read_int_matrix, write_f32_matrix, write_int64_matrix, NpyIoError,
};
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
    /// The output file cannot be written, or is one of the inputs.
    #[error(transparent)]
    Output(#[from] crate::outputs::OutputError),
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
    /// A BF16 output or flag differs from the golden model.
    #[error(
        "RTL and golden model differ: vector {vector}, column {column} ({what}): expected \
         {expected}, actual {actual}"
    )]
    Bf16Mismatch {
        /// Input vector (row of X).
        vector: usize,
        /// Column of the result (0 for a flag).
        column: usize,
        /// `fp32`, `bf16`, `non_finite` or `overflow`.
        what: String,
        /// Golden model (hex bits and value).
        expected: String,
        /// RTL (hex bits and value).
        actual: String,
    },
    /// The BF16 run could not be set up or did not finish.
    #[error(transparent)]
    Bf16(Bf16SimError),
    /// Counters, `out_cycles` or timing differ from the golden model.
    #[error("RTL and golden model differ: {0}")]
    Check(String),
    /// A BF16 result is further from the f64 reference than the documented bound allows.
    #[error(
        "vector {vector}, column {column}: |Y - X.W| = {error:e} exceeds the documented error \
         bound {bound:e} (Y = {y:e}, f64 reference {reference:e})"
    )]
    Bound {
        /// Input vector.
        vector: usize,
        /// Column.
        column: usize,
        /// The RTL's FP32 result.
        y: f64,
        /// The f64 reference on the BF16-rounded values.
        reference: f64,
        /// `|y - reference|`.
        error: f64,
        /// The bound.
        bound: f64,
    },
    /// An option is not supported in this mode.
    #[error("{0}")]
    Unsupported(String),
}

impl From<Bf16SimError> for CimCliError {
    fn from(e: Bf16SimError) -> CimCliError {
        match e {
            Bf16SimError::Mismatch {
                vector,
                column,
                what,
                expected,
                actual,
            } => CimCliError::Bf16Mismatch {
                vector,
                column,
                what,
                expected,
                actual,
            },
            Bf16SimError::Check(s) => CimCliError::Check(s),
            e => CimCliError::Bf16(e),
        }
    }
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

/// What [`sim_npy`] measured, by format.
#[derive(Debug, Clone, PartialEq)]
pub enum SimSummary {
    /// A `format=int` run.
    Int(CimSimSummary),
    /// A `format=bf16` run.
    Bf16(Bf16SimSummary),
}

impl std::fmt::Display for SimSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimSummary::Int(s) => s.fmt(f),
            SimSummary::Bf16(s) => s.fmt(f),
        }
    }
}

/// What [`sim_npy_bf16`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Bf16SimSummary {
    /// Vectors (MVMs) run.
    pub vectors: usize,
    /// Columns of each result.
    pub cols: usize,
    /// Rows per alignment group (`min(align_group, rows)`; the last group may be shorter).
    pub group_rows: u32,
    /// Input mantissa bits (the dense bit-plane count).
    pub xalign: u32,
    /// Aligned weight bits.
    pub wbits: u32,
    /// Each alignment group's activity counters over the run: MVMs, issue cycles, skipped
    /// bit-planes, active (row, bit-plane) products.
    pub counters: Vec<[u64; 4]>,
    /// Issue cycles per MVM: the mean over the vectors of the max over the groups of their
    /// bit-plane cycles (`xalign` when dense).
    pub cycles_per_mvm: f64,
    /// Cycles between the first and the last accept divided by `B - 1`.
    pub accept_interval: f64,
    /// Latency of the first MVM: accepting edge to output transfer, in cycles.
    pub first_latency: u64,
    /// Simulated cycles: weight writes plus the run.
    pub total_cycles: u64,
    /// Cycles spent writing the weights (one per row).
    pub weight_cycles: u64,
    /// Vectors whose `out_non_finite` was set (a NaN / infinity input, or one in the weights).
    pub non_finite: Vec<usize>,
    /// Vectors whose `out_overflow` was set (a result rounded to infinity).
    pub overflow: Vec<usize>,
    /// Largest `|Y - X.W|` over the finite FP32 results, `X.W` in f64 on the BF16-rounded
    /// values (NaN / infinity counted as 0).
    pub max_abs_error: f64,
    /// Largest `|Y - X.W| / bound` (the documented FP32 error bound), same results.
    pub max_bound_ratio: f64,
    /// Largest `|X.W|` (f64 on the BF16-rounded values) over the same results, for scale.
    pub max_abs_reference: f64,
    /// Largest `|Y - X.W|` with `X.W` in f64 on the values as stored in the files (so the
    /// rounding of the inputs to BF16 is included), same results.
    pub max_abs_error_file: f64,
}

/// At most 8 vector indices, then `...`.
fn list(v: &[usize]) -> String {
    let mut s: Vec<String> = v.iter().take(8).map(|i| i.to_string()).collect();
    if v.len() > 8 {
        s.push("...".into());
    }
    s.join(", ")
}

impl std::fmt::Display for Bf16SimSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} vectors x {} columns through the BF16 RTL ({} alignment group(s) of {} rows, \
             xalign = {}, wbits = {}): all match the golden model (FP32 and BF16 outputs and \
             flags, bit for bit)",
            self.vectors,
            self.cols,
            self.counters.len(),
            self.group_rows,
            self.xalign,
            self.wbits
        )?;
        for (g, [m, c, s, p]) in self.counters.iter().enumerate() {
            writeln!(
                f,
                "counters, group {g}: mvms {m}, cycles {c}, skipped bit-planes {s}, active \
                 (row, bit-plane) products {p}"
            )?;
        }
        writeln!(
            f,
            "cycles per MVM: {:.3} (dense: {}); accept interval {:.3}; first latency {} cycles; \
             {} cycles in total ({} writing the weights)",
            self.cycles_per_mvm,
            self.xalign,
            self.accept_interval,
            self.first_latency,
            self.total_cycles,
            self.weight_cycles
        )?;
        writeln!(
            f,
            "max |Y - X.W| (f64 reference on the BF16-rounded values): {:.3e} (largest |X.W| \
             {:.3e}), {:.3} of the documented error bound",
            self.max_abs_error, self.max_abs_reference, self.max_bound_ratio
        )?;
        write!(
            f,
            "max |Y - X.W| (f64 reference on the file values, BF16 input rounding included): \
             {:.3e}",
            self.max_abs_error_file
        )?;
        if !self.non_finite.is_empty() {
            write!(
                f,
                "\nwarning: out_non_finite set on {} vector(s) ({}): a NaN or infinity in X \
                 or W counted as 0",
                self.non_finite.len(),
                list(&self.non_finite)
            )?;
        }
        if !self.overflow.is_empty() {
            write!(
                f,
                "\nwarning: out_overflow set on {} vector(s) ({}): Y holds infinity there",
                self.overflow.len(),
                list(&self.overflow)
            )?;
        }
        Ok(())
    }
}

/// Checks `out` before anything runs ([`crate::outputs::check`]): its directory exists and it
/// is neither input file.
fn check_out(weights: &Path, inputs: &Path, out: &Path) -> Result<(), CimCliError> {
    crate::outputs::check(
        &[("--weights", weights), ("--inputs", inputs)],
        &[("--out", out, ".npy")],
    )?;
    Ok(())
}

/// Runs `inputs` (B, R) against `weights` (R, C) through the Verilated macro `p` and writes
/// the RTL's results to `out`: [`sim_npy_int`] or [`sim_npy_bf16`] by `p.format`. `bx` is
/// the INT macro's run-time precision (0 = `xbits`; BF16 macros accept only 0).
pub fn sim_npy(
    p: &CimParams,
    weights: &Path,
    inputs: &Path,
    out: &Path,
    bx: u32,
) -> Result<SimSummary, CimCliError> {
    p.validate().map_err(RtlError::from)?;
    match p.format {
        CimFormat::Int => sim_npy_int(p, weights, inputs, out, bx).map(SimSummary::Int),
        CimFormat::Bf16 => {
            if bx != 0 {
                return Err(CimCliError::Unsupported(format!(
                    "--bx {bx}: run-time precision is a format=int option; a format=bf16 \
                     macro always runs its xalign = {} bit-planes",
                    p.xalign
                )));
            }
            sim_npy_bf16(p, weights, inputs, out).map(SimSummary::Bf16)
        }
    }
}

/// The BF16 half of [`sim_npy`]: float `weights` (R, C) and `inputs` (B, R), each value
/// rounded once to BF16 (nearest even), through the Verilated BF16 macro `p`; `out` gets the
/// RTL's FP32 results (B, C) float32.
pub fn sim_npy_bf16(
    p: &CimParams,
    weights: &Path,
    inputs: &Path,
    out: &Path,
) -> Result<Bf16SimSummary, CimCliError> {
    p.validate().map_err(RtlError::from)?;
    check_out(weights, inputs, out)?;
    if p.format != CimFormat::Bf16 {
        return Err(CimCliError::Unsupported(
            "sim_npy_bf16 runs format=bf16 macros".into(),
        ));
    }
    let w = read_float_matrix(weights)?;
    check_bf16_weights(weights, &w, p)?;
    let x = read_float_matrix(inputs)?;
    check_bf16_inputs(inputs, &x, p)?;
    let w32: Vec<f32> = w.data.iter().map(|&v| f32_round_to_odd(v)).collect();
    let x32: Vec<f32> = x.data.iter().map(|&v| f32_round_to_odd(v)).collect();
    let run = sim_bf16(p, &w32, &x32)?;
    let (r, c) = (p.rows as usize, p.cols as usize);
    // The documented error bound against an f64 reference, on every finite result.
    let wb: Vec<Vec<u16>> = w32
        .chunks(c)
        .map(|row| row.iter().map(|&v| bf16_from_f32(v)).collect())
        .collect();
    let (mut max_abs_error, mut max_bound_ratio) = (0f64, 0f64);
    let (mut max_abs_reference, mut max_abs_error_file) = (0f64, 0f64);
    for (b, xv) in x32.chunks(r).enumerate() {
        let xb: Vec<u16> = xv.iter().map(|&v| bf16_from_f32(v)).collect();
        let refs = reference_f64(&xb, &wb);
        let bounds = error_bound(p, &xb, &wb);
        for col in 0..c {
            let y = run.y[b * c + col] as f64;
            if !y.is_finite() {
                continue;
            }
            // NaN / infinity count as 0, as in the macro.
            let file_ref: f64 = (0..r)
                .map(|row| x.get(b, row) * w.get(row, col))
                .filter(|v| v.is_finite())
                .sum();
            max_abs_error_file = max_abs_error_file.max((y - file_ref).abs());
            max_abs_reference = max_abs_reference.max(refs[col].abs());
            let (error, bound) = ((y - refs[col]).abs(), bounds[col].1);
            if error > bound {
                return Err(CimCliError::Bound {
                    vector: b,
                    column: col,
                    y,
                    reference: refs[col],
                    error,
                    bound,
                });
            }
            max_abs_error = max_abs_error.max(error);
            max_bound_ratio = max_bound_ratio.max(error / bound);
        }
    }
    write_f32_matrix(out, x.rows, c, &run.y)?;
    let n = x.rows.max(1) as f64;
    let flagged = |v: &[bool]| -> Vec<usize> {
        v.iter()
            .enumerate()
            .filter(|(_, &f)| f)
            .map(|(i, _)| i)
            .collect()
    };
    Ok(Bf16SimSummary {
        vectors: x.rows,
        cols: c,
        group_rows: nicc_rtl::blocks::cim_bf16::group_rows(p),
        xalign: p.xalign,
        wbits: p.wbits,
        counters: run.counters.clone(),
        cycles_per_mvm: run.issue_cycles.iter().map(|&v| v as f64).sum::<f64>() / n,
        accept_interval: match (run.accept.first(), run.accept.last()) {
            (Some(a), Some(z)) if run.accept.len() > 1 => {
                (z - a) as f64 / (run.accept.len() - 1) as f64
            }
            _ => run.issue_cycles.first().map_or(0.0, |&v| v as f64),
        },
        first_latency: run.latency.first().copied().unwrap_or(0),
        total_cycles: run.weight_cycles + run.total_cycles,
        weight_cycles: run.weight_cycles,
        non_finite: flagged(&run.non_finite),
        overflow: flagged(&run.overflow),
        max_abs_error,
        max_bound_ratio,
        max_abs_reference,
        max_abs_error_file,
    })
}

/// The INT half of [`sim_npy`]: integer `weights` (R, C) and `inputs` (B, R) through the
/// Verilated macro `p` (format int) at run-time precision `bx` (0 = `xbits`); `out` gets the
/// RTL's results (B, C) int64.
pub fn sim_npy_int(
    p: &CimParams,
    weights: &Path,
    inputs: &Path,
    out: &Path,
    bx: u32,
) -> Result<CimSimSummary, CimCliError> {
    p.validate().map_err(RtlError::from)?;
    check_out(weights, inputs, out)?;
    if p.format != CimFormat::Int {
        return Err(CimCliError::Unsupported(
            "sim_npy_int runs format=int macros (set format=int)".into(),
        ));
    }
    if bx > p.xbits {
        // The port would take it (values above `xbits` mean `xbits`), but a user asking
        // for more planes than the macro has meant something else: say so.
        return Err(CimCliError::Unsupported(format!(
            "--bx {bx} is above the macro's xbits = {}: use 1..={} (0 = xbits)",
            p.xbits, p.xbits
        )));
    }
    let ebx = if bx == 0 { p.xbits } else { bx };
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
