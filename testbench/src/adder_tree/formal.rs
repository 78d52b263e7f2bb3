//! Formal proofs of the adder tree at any size the polynomial method handles (N = 16, W = 8
//! in well under a second, N = 256, W = 32 in about 20 s): the specification
//! `out_sum = sum of the operands mod 2^out_width` is written here from the interface alone
//! (operand i is `in_data[i*W +: W]`, two's complement when signed), never from the
//! generator, and [`nicc_synth::prove_linear`] proves the
//! emitted Verilog's gate netlist against it by backward rewriting.
//!
//! The generated tree is proven with its final adder split off at the nets named `cpa_*`
//! (the generator's naming is only a hint where to cut: the cut is found on the netlist, the
//! adder shown linear on every value of its boundary, exhaustively up to 26 nets and by
//! `cec` above; see `nicc_synth::algebra`).
//! The registry's reference `assign out_sum = in_0 + in_1 + ...` is proven against the same
//! specification, so a tree proven here equals the reference. A pipelined tree is proven
//! through its registers, which must delay every path by exactly `pipeline` cycles.

use crate::adder_tree::golden::out_width;
use nicc_rtl::blocks::adder_tree::{generate, reference, AdderTreeParams};
use nicc_rtl::{emit, Design, RtlError};
use nicc_synth::{
    prove_linear, AlgebraOptions, AlgebraReport, AlgebraVerdict, LinearSpec, LinearTerm, SynthError,
};
use std::time::Duration;
use thiserror::Error;

/// Name prefix of the final carry-propagate adder's nets in the generated Verilog.
pub const FINAL_ADDER_PREFIX: &str = "cpa_";

/// Errors of the adder-tree proofs.
#[derive(Debug, Error)]
pub enum FormalError {
    /// The parameters or the generator failed.
    #[error(transparent)]
    Rtl(#[from] RtlError),
    /// Yosys or the prover failed.
    #[error(transparent)]
    Synth(#[from] SynthError),
}

/// The specification of `p`: `out_sum = sum_i in_data[i*W +: W]` (signed or unsigned words),
/// modulo 2^out_width, `p.pipeline` cycles after the operands.
pub fn spec(p: &AdderTreeParams) -> LinearSpec {
    LinearSpec {
        output: "out_sum".into(),
        constant: 0,
        terms: (0..p.inputs)
            .map(|i| LinearTerm {
                port: "in_data".into(),
                lo: i * p.width,
                width: p.width,
                signed: p.signed,
                weight: 1,
            })
            .collect(),
        latency: p.pipeline,
    }
}

/// Proves an emitted adder-tree design (ports `in_data`, `out_sum`) computes [`spec`] of `p`.
/// With a `time_limit`, the Yosys run and the rewriting that take longer are stopped (see
/// [`AlgebraOptions::time_limit`]).
pub fn prove_design(
    design: &Design,
    p: &AdderTreeParams,
    split_final_adder: bool,
    time_limit: Option<Duration>,
) -> Result<AlgebraReport, FormalError> {
    let opts = AlgebraOptions {
        region_prefix: split_final_adder.then(|| FINAL_ADDER_PREFIX.to_string()),
        time_limit,
        ..AlgebraOptions::default()
    };
    let port_width = design.port("out_sum").map(|x| x.width).unwrap_or(0);
    if port_width != out_width(p) {
        return Err(SynthError::InvalidDesign(format!(
            "out_sum of `{}` has {port_width} bits, the parameters say {}",
            design.top,
            out_width(p)
        ))
        .into());
    }
    Ok(prove_linear(design, &spec(p), &opts)?)
}

/// Generates the tree of `p` and proves it (`time_limit` as in [`prove_design`]). A
/// pipelined tree's registers are looked through: the proof also shows that every path
/// from an operand to `out_sum` crosses exactly `pipeline` of them.
pub fn prove_tree(
    p: &AdderTreeParams,
    time_limit: Option<Duration>,
) -> Result<AlgebraReport, FormalError> {
    let d = emit(&generate(p, "adder_tree")?)?;
    prove_design(&d, p, true, time_limit)
}

/// Proves the registry's behavioural reference of `p` (the flat `+` chain, combinational
/// whatever `p.pipeline`; `time_limit` as in [`prove_design`]).
pub fn prove_reference(
    p: &AdderTreeParams,
    time_limit: Option<Duration>,
) -> Result<AlgebraReport, FormalError> {
    let d = emit(&reference(p)?)?;
    let comb = AdderTreeParams { pipeline: 0, ..*p };
    prove_design(&d, &comb, false, time_limit)
}

/// `nicc equiv adder-tree --set ... [--time-limit ...]`: proves the tree and the reference
/// against the sum (each step of each proof within `time_limit`); returns the text to print
/// and whether both were proven.
pub fn equiv_cli(
    sets: &[(String, String)],
    time_limit: Option<Duration>,
) -> Result<(String, bool), FormalError> {
    let p = AdderTreeParams::from_sets(sets).map_err(RtlError::from)?;
    let t = std::time::Instant::now();
    // The two proofs are independent and mostly single-threaded Yosys: side by side.
    let (tree, refr) = std::thread::scope(|s| {
        let refr = s.spawn(|| prove_reference(&p, time_limit));
        let tree = prove_tree(&p, time_limit);
        (tree, refr.join().expect("the reference proof's thread"))
    });
    let (tree, refr) = (tree?, refr?);
    let ok = tree.verdict == AlgebraVerdict::Proven && refr.verdict == AlgebraVerdict::Proven;
    let text = format!(
        "{}: {tree}\nreference (out_sum = in_0 + in_1 + ...): {refr}\n{} ({:.1} s with Yosys)",
        p.module_name(),
        if ok {
            "equivalent: both equal the sum of the operands mod 2^out_width"
        } else {
            "NOT proven equivalent"
        },
        t.elapsed().as_secs_f64()
    );
    Ok((text, ok))
}
