//! Co-simulation of the BF16 CIM macro against the BF16 golden model, bit for bit (BF16 and
//! FP32 outputs, `non_finite`, `overflow`), on one Verilated model holding four
//! configurations (one / several / uneven alignment groups, xalign below, at and above the
//! 9-bit significand, 1 and 2 banks, tree pipeline 0..2, several tree styles). Value mixes:
//! random normals over a narrow and a very wide exponent range, zeros, subnormals,
//! NaN / infinity, overflow and flush extremes; random `out_ready` back-pressure. Every result
//! is also checked against the golden model's documented error bound vs an f64 reference.
//! `NICC_SEED=<n>` replays a seed; `NICC_FULL=1` runs more vectors per mix.

use nicc_rtl::blocks::cim::{CimFormat, CimParams, TreeStyle};
use nicc_rtl::blocks::cim_bf16::align_weights_bf16;
use nicc_rtl::emit;
use nicc_sim::Model;
use nicc_testbench::cim::bf16::{bf16_to_f64, error_bound, reference_f64, Bf16Golden};
use nicc_testbench::cim::bf16_sim::{compare, run_on, wrapper, Bf16Dut};
use nicc_testbench::test_env::full;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn configs() -> Vec<CimParams> {
    let base = CimParams {
        format: CimFormat::Bf16,
        x_signed: true,
        banks: 1,
        ..CimParams::default()
    };
    vec![
        // Two groups of 2 rows, 8-bit mantissas.
        CimParams {
            rows: 4,
            cols: 2,
            wbits: 8,
            xbits: 8,
            xalign: 8,
            align_group: 2,
            tree_pipeline: 0,
            ..base.clone()
        },
        // Three groups (the last has one row), xalign above the significand, two banks.
        CimParams {
            rows: 5,
            cols: 3,
            wbits: 6,
            xbits: 10,
            xalign: 10,
            align_group: 2,
            banks: 2,
            tree: TreeStyle::Wallace,
            tree_pipeline: 1,
            ..base.clone()
        },
        // One group, short inputs, long weights, pipelined trees.
        CimParams {
            rows: 8,
            cols: 1,
            wbits: 12,
            xbits: 6,
            xalign: 4,
            align_group: 8,
            tree: TreeStyle::Dadda,
            tree_pipeline: 2,
            ..base.clone()
        },
        // One row per group (every input keeps its own exponent), 2-bit weights.
        CimParams {
            rows: 3,
            cols: 2,
            wbits: 2,
            xbits: 9,
            xalign: 9,
            align_group: 1,
            tree: TreeStyle::Compressor42,
            ..base
        },
    ]
}

/// Builds the one model holding every configuration (Verilator's build is cached by content).
fn build() -> (Model, Vec<Bf16Dut>) {
    let cs = configs();
    let d = emit(&wrapper(&cs, "cim_bf16_cosim").unwrap()).unwrap();
    let mut model = Model::build(&d).unwrap_or_else(|e| panic!("model build: {e}"));
    model.reset(2).unwrap();
    let duts = cs
        .iter()
        .enumerate()
        .map(|(i, p)| Bf16Dut::new(&mut model, &format!("k{i}_"), p).unwrap())
        .collect();
    (model, duts)
}

/// One test so the model is built and loaded once: directed values, then the random mixes.
#[test]
fn cosim_bf16() {
    let (mut model, duts) = build();
    directed_values(&mut model, &duts);
    random_mixes(&mut model, &duts);
}

fn seed() -> u64 {
    nicc_testbench::test_env::seed_or(0xbf16_c1a5)
}

/// A BF16 value drawn from `mix`.
fn value(rng: &mut ChaCha8Rng, mix: Mix) -> u16 {
    let sign = (rng.gen_bool(0.5) as u16) << 15;
    let frac = rng.gen_range(0..128u16);
    let normal =
        |rng: &mut ChaCha8Rng, lo: u16, hi: u16| sign | (rng.gen_range(lo..=hi) << 7) | frac;
    match mix {
        Mix::Narrow => normal(rng, 120, 134),
        Mix::Wide => normal(rng, 1, 254),
        Mix::Sparse => {
            if rng.gen_bool(0.5) {
                sign
            } else {
                normal(rng, 100, 140)
            }
        }
        Mix::Special => match rng.gen_range(0..10) {
            0 => sign,                 // zero
            1 => sign | frac.max(1),   // subnormal
            2 => sign | 0x7f80,        // infinity
            3 => sign | 0x7fc0 | frac, // NaN
            4 => normal(rng, 1, 3),    // near the flush limit
            _ => normal(rng, 110, 145),
        },
        Mix::Huge => normal(rng, 240, 254),
        Mix::Tiny => normal(rng, 1, 20),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mix {
    Narrow,
    Wide,
    Sparse,
    Special,
    Huge,
    Tiny,
}

const MIXES: [Mix; 6] = [
    Mix::Narrow,
    Mix::Wide,
    Mix::Sparse,
    Mix::Special,
    Mix::Huge,
    Mix::Tiny,
];

/// Loads random weights of `wmix` into `bank`, runs `n` vectors of `xmix`, checks each
/// result bit for bit and against the error bound. Returns the largest error/bound ratio
/// seen for FP32 and BF16 and the counts of (overflow, non_finite, flushed-zero) results.
#[allow(clippy::too_many_arguments)]
fn run_mix(
    model: &mut Model,
    dut: &Bf16Dut,
    p: &CimParams,
    rng: &mut ChaCha8Rng,
    wmix: Mix,
    xmix: Mix,
    n: usize,
    bank: u32,
) -> (f64, f64, [usize; 3]) {
    let (r, c) = (p.rows as usize, p.cols as usize);
    let w: Vec<u16> = (0..r * c).map(|_| value(rng, wmix)).collect();
    let rows: Vec<Vec<u16>> = w.chunks(c).map(|s| s.to_vec()).collect();
    let golden = Bf16Golden::new(p, &rows).unwrap();
    let aligned = align_weights_bf16(p, &w).unwrap();
    // The offline alignment agrees with the golden model's own alignment.
    for col in 0..c {
        let ga = golden.aligned_column(col);
        assert_eq!(
            ga.exp.unwrap_or(0) as u8,
            aligned.exp[col],
            "{p:?} column {col} exponent"
        );
        assert_eq!(
            ga.non_finite, aligned.non_finite[col],
            "{p:?} column {col} flag"
        );
        for row in 0..r {
            assert_eq!(ga.q[row], aligned.q[row * c + col], "{p:?} W[{row}][{col}]");
        }
    }
    dut.write_weights(model, bank, &aligned).unwrap();
    let xs: Vec<Vec<u16>> = (0..n)
        .map(|_| (0..r).map(|_| value(rng, xmix)).collect())
        .collect();
    let outs = dut.run(model, &xs, bank, 0.7, rng).unwrap();
    let (mut worst32, mut worst16) = (0f64, 0f64);
    let mut counts = [0usize; 3];
    for (i, (x, o)) in xs.iter().zip(&outs).enumerate() {
        let g = golden.mvm(x).unwrap();
        compare(i, &g, o).unwrap_or_else(|e| {
            panic!("{p:?} weights {wmix:?} inputs {xmix:?} seed {:#x}: {e}\nx = {x:04x?}\nw = {w:04x?}", seed())
        });
        counts[0] += o.overflow as usize;
        counts[1] += o.non_finite as usize;
        if o.overflow {
            continue;
        }
        let refs = reference_f64(x, &rows);
        let bounds = error_bound(p, x, &rows);
        for col in 0..c {
            let y32 = f32::from_bits(o.fp32[col]) as f64;
            let y16 = bf16_to_f64(o.bf16[col]);
            counts[2] += (y32 == 0.0 && refs[col] != 0.0) as usize;
            let (b16, b32) = bounds[col];
            let e32 = (y32 - refs[col]).abs();
            let e16 = (y16 - refs[col]).abs();
            assert!(
                e32 <= b32 && e16 <= b16,
                "{p:?} vector {i} column {col}: |err| fp32 {e32:e} (bound {b32:e}), bf16 {e16:e} (bound {b16:e}), seed {:#x}",
                seed()
            );
            if b32 > 0.0 {
                worst32 = worst32.max(e32 / b32);
            }
            if b16 > 0.0 {
                worst16 = worst16.max(e16 / b16);
            }
        }
    }
    (worst32, worst16, counts)
}

/// Random mixes on every configuration: bit-exact and within the documented error bound.
fn random_mixes(model: &mut Model, duts: &[Bf16Dut]) {
    let n = if full() { 200 } else { 12 };
    {
        let mut rng = ChaCha8Rng::seed_from_u64(seed());
        let mut totals = [0usize; 3];
        let (mut w32, mut w16) = (0f64, 0f64);
        for (k, (p, dut)) in configs().iter().zip(duts).enumerate() {
            for (j, &xmix) in MIXES.iter().enumerate() {
                let wmix = MIXES[(j + k) % MIXES.len()];
                let bank = (j as u32) % p.banks;
                let (a, b, cnt) = run_mix(model, dut, p, &mut rng, wmix, xmix, n, bank);
                w32 = w32.max(a);
                w16 = w16.max(b);
                for i in 0..3 {
                    totals[i] += cnt[i];
                }
            }
        }
        println!(
            "max error / bound: fp32 {w32:.3e}, bf16 {w16:.3e}; overflow {}, non_finite {}, flushed {}",
            totals[0], totals[1], totals[2]
        );
        // The extremes were exercised.
        assert!(totals[0] > 0 && totals[1] > 0, "{totals:?}");
    }
}

/// Exact small sums, a NaN input, overflow and flush, latency of a null MVM.
fn directed_values(model: &mut Model, duts: &[Bf16Dut]) {
    {
        let p = &configs()[0];
        let dut = &duts[0];
        let one = 1.0f32;
        // w = identity-like columns; x exact: results exact.
        let w = [one, 2.0, 0.5, -1.0, 0.0, 0.25, 3.0, 0.0];
        let x = [1.5f32, -2.0, 4.0, 0.125, 0.0, 0.0, 0.0, 0.0];
        let run = run_on(model, dut, p, &w, &x, 2).unwrap();
        // Vector 0: col0 = 1.5 - 1 + 0 + 0.375 = 0.875; col1 = 3 + 2 + 1 + 0 = 6.
        assert_eq!(&run.y[..2], &[0.875, 6.0]);
        assert_eq!(&run.y[2..], &[0.0, 0.0]);
        assert!(run.non_finite.iter().all(|f| !f));
        // Latency of an all-zero vector: one null plane + pipeline 0 + 1.
        assert_eq!(run.latency[1], 2, "{run:?}");
        // NaN input raises the flag and counts as zero.
        let x = [f32::NAN, 1.0, 0.0, 0.0];
        let run = run_on(model, dut, p, &w, &x, 1).unwrap();
        assert!(run.non_finite[0]);
        assert_eq!(run.y[0], 0.5);
        // Overflow to infinity and flush to zero.
        let w = [3.0e38f32, 0.0, 0.0, 0.0, 0.0, 1e-30, 0.0, 0.0];
        let x = [3.0f32, 0.0, 1e-20, 0.0];
        let run = run_on(model, dut, p, &w, &x, 1).unwrap();
        assert!(run.overflow[0] && run.y[0].is_infinite(), "{run:?}");
        // Column 1: 1e-20 * 1e-30 is below 2^-126 and flushes to +0.
        assert_eq!(run.y[1].to_bits(), 0, "{run:?}");
    }
}
