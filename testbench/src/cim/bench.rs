//! `nicc bench cim`: generation + emission time of a macro, and cycles per MVM measured from
//! the RTL's activity counters for dense and sparse inputs.

use super::cosim::{run, CosimError, Slot, Stimulus};
use super::golden::signed_range;
use super::MvmInput;
use nicc_rtl::blocks::cim::{generate, CimParams};
use nicc_rtl::{emit, RtlError};
use nicc_sim::{BuildOptions, Model, SimError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;
use thiserror::Error;

/// Errors of the CIM benchmarks.
#[derive(Debug, Error)]
pub enum CimBenchError {
    /// Generation or emission failed.
    #[error("generating the macro: {0}")]
    Rtl(#[from] RtlError),
    /// Verilator failed.
    #[error("simulation: {0}")]
    Sim(#[from] SimError),
    /// The co-simulation failed to set up.
    #[error(transparent)]
    Cosim(#[from] CosimError),
    /// The RTL disagreed with the golden model during the measurement.
    #[error("RTL and golden model differ during the benchmark: {0}")]
    Check(String),
}

/// Generation and emission time of one macro.
#[derive(Debug, Clone, PartialEq)]
pub struct GenTiming {
    /// Seconds in the generator (building and checking the IR).
    pub gen_s: f64,
    /// Seconds in the emitter.
    pub emit_s: f64,
    /// Bytes of Verilog emitted.
    pub verilog_bytes: usize,
    /// Verilog modules emitted.
    pub modules: usize,
}

/// Times `generate` and `emit` of macro `p`.
pub fn gen_emit(p: &CimParams) -> Result<GenTiming, CimBenchError> {
    let t0 = Instant::now();
    let m = generate(p, "cim")?;
    let gen_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let d = emit(&m)?;
    let emit_s = t1.elapsed().as_secs_f64();
    Ok(GenTiming {
        gen_s,
        emit_s,
        verilog_bytes: d.files.iter().map(|f| f.text.len()).sum(),
        modules: d.files.len(),
    })
}

/// How the inputs of a sparsity measurement are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Dist {
    /// Uniform over the whole `xbits` range (signed or unsigned per the macro).
    Uniform,
    /// Small non-negative values `0..16` (like quantised post-ReLU activations).
    Small,
}

/// Cycles per MVM measured on the RTL for one input distribution and zero fraction.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SparsityPoint {
    /// Input distribution.
    pub dist: Dist,
    /// Fraction of zero inputs.
    pub zero_frac: f64,
    /// `cnt_cycles / cnt_mvms`.
    pub cycles_per_mvm: f64,
    /// `cnt_skipped / cnt_mvms`.
    pub skipped_per_mvm: f64,
    /// `cnt_products / cnt_mvms`.
    pub products_per_mvm: f64,
}

/// Runs `nvec` MVMs per (distribution, zero fraction) through the Verilated macro `p`, built
/// with `build`, and reads its counters (results checked against the golden model on the way).
pub fn sparsity(
    p: &CimParams,
    nvec: usize,
    zero_fracs: &[f64],
    seed: u64,
    build: &BuildOptions,
) -> Result<Vec<SparsityPoint>, CimBenchError> {
    let d = emit(&generate(p, "cim")?)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (wlo, whi) = signed_range(p.wbits);
    let init: Vec<(usize, usize, Vec<i64>)> = (0..p.rows as usize)
        .map(|r| {
            (
                0,
                r,
                (0..p.cols).map(|_| rng.gen_range(wlo..=whi)).collect(),
            )
        })
        .collect();
    let (xlo, xhi) = if p.x_signed {
        signed_range(p.xbits)
    } else {
        (0, (1i64 << p.xbits) - 1)
    };
    let mut out = Vec::new();
    for dist in [Dist::Uniform, Dist::Small] {
        for &z in zero_fracs {
            let mvms = (0..nvec)
                .map(|_| {
                    let x = (0..p.rows)
                        .map(|_| {
                            if rng.gen_bool(z) {
                                0
                            } else {
                                match dist {
                                    Dist::Uniform => rng.gen_range(xlo..=xhi),
                                    Dist::Small => rng.gen_range(0..=15.min(xhi)),
                                }
                            }
                        })
                        .collect();
                    MvmInput::dense(p, x)
                })
                .collect();
            let stim = Stimulus {
                init_writes: init.clone(),
                mvms,
                ready_prob: 1.0,
                ..Stimulus::default()
            };
            let mut model = Model::build_with(&d, build, None)?;
            let slot = Slot::new(&model, "", "cim", p, stim)?;
            let limit =
                (nvec as u64 + 4) * (p.xbits as u64 + p.tree_pipeline as u64 + 4) + p.rows as u64;
            let r = run(&mut model, vec![slot], limit)?.remove(0);
            if let Some(m) = r.mismatches.first() {
                return Err(CimBenchError::Check(format!("{m:?}")));
            }
            if let Some(e) = r.errors.first() {
                return Err(CimBenchError::Check(e.clone()));
            }
            let n = r.counters[0].max(1) as f64;
            out.push(SparsityPoint {
                dist,
                zero_frac: z,
                cycles_per_mvm: r.counters[1] as f64 / n,
                skipped_per_mvm: r.counters[2] as f64 / n,
                products_per_mvm: r.counters[3] as f64 / n,
            });
        }
    }
    Ok(out)
}

/// Zero-activation fractions of [`throughput_plot`].
pub const PLOT_ZERO_FRACS: [f64; 6] = [0.0, 0.25, 0.5, 0.75, 0.9, 1.0];

/// Measures [`sparsity`] of `p` at [`PLOT_ZERO_FRACS`] (`nvec` MVMs per point) and plots the
/// throughput per clock, `rows x cols / (cycles per MVM)` MACs per cycle (dense-equivalent:
/// zero products count, as they are what a dense MVM of the same size does), against the
/// zero-activation fraction, one line per input distribution: SVG at `svg`, the points as
/// JSON beside it (same stem). Returns the points. `build` as in [`sparsity`].
pub fn throughput_plot(
    p: &CimParams,
    nvec: usize,
    svg: &std::path::Path,
    build: &BuildOptions,
) -> Result<Vec<SparsityPoint>, CimBenchError> {
    let pts = sparsity(p, nvec, &PLOT_ZERO_FRACS, 1, build)?;
    let macs = f64::from(p.rows) * f64::from(p.cols);
    let series: Vec<(String, Vec<(f64, f64)>)> =
        [(Dist::Uniform, "uniform INT"), (Dist::Small, "small 0..15")]
            .into_iter()
            .map(|(dist, name)| {
                let line = pts
                    .iter()
                    .filter(|q| q.dist == dist)
                    .map(|q| (100.0 * q.zero_frac, macs / q.cycles_per_mvm))
                    .collect();
                (format!("{name} activations"), line)
            })
            .collect();
    let ymax = series
        .iter()
        .flat_map(|(_, l)| l.iter().map(|q| q.1))
        .fold(1.0f64, f64::max)
        * 1.15;
    let title = format!("{}: MACs per cycle vs zero activations", p.module_name());
    let chart = crate::plot::Chart {
        title: &title,
        size: (760, 460),
        x: -2.0..102.0,
        y: 0.0..ymax,
        x_desc: "zero activations (%)",
        y_desc: "MACs per cycle (dense-equivalent)",
        y_label_width: 70,
    };
    let out = |e: String| CimBenchError::Check(format!("writing {}: {e}", svg.display()));
    crate::plot::line_chart(svg, &chart, &series).map_err(out)?;
    let json = serde_json::to_string_pretty(&pts).map_err(|e| out(e.to_string()))?;
    std::fs::write(svg.with_extension("json"), json).map_err(|e| out(e.to_string()))?;
    Ok(pts)
}

/// Prints the gen + emit time of `p` and, with `sparsity > 0`, the cycles-per-MVM table
/// (the body of `nicc bench cim`).
pub fn print(p: &CimParams, sparsity_vectors: usize) -> Result<(), CimBenchError> {
    let t = gen_emit(p)?;
    println!(
        "{}: generate {:.3} s, emit {:.3} s, total {:.3} s; {} modules, {} bytes of Verilog",
        p.module_name(),
        t.gen_s,
        t.emit_s,
        t.gen_s + t.emit_s,
        t.modules,
        t.verilog_bytes
    );
    if sparsity_vectors > 0 {
        println!("| inputs | zero fraction | cycles/MVM | skipped planes/MVM | products/MVM |");
        println!("|---|---|---|---|---|");
        for s in sparsity(
            p,
            sparsity_vectors,
            &[0.0, 0.5, 0.9],
            1,
            &BuildOptions::default(),
        )? {
            println!(
                "| {} | {:.0} % | {:.3} | {:.3} | {:.1} |",
                match s.dist {
                    Dist::Uniform => "uniform",
                    Dist::Small => "small 0..15",
                },
                s.zero_frac * 100.0,
                s.cycles_per_mvm,
                s.skipped_per_mvm,
                s.products_per_mvm
            );
        }
    }
    Ok(())
}
