//! `nicc sim cim --set format=bf16`: float weights and inputs from `.npy` files through the
//! Verilated BF16 macro. `Y` is checked against an f64 dot product computed here (exact where
//! the alignment loses nothing, within the documented bound elsewhere) and bit for bit
//! against the golden model; the printed counters against a bit-plane count done here; NaN,
//! infinity and overflow give warnings; bad files give clear errors. One small macro (8 x 4,
//! two alignment groups): the first run builds it, the second loads it from the cache.

mod common;
use common::{nicc, write_npy};
use nicc_rtl::blocks::cim::{CimFormat, CimParams};
use nicc_testbench::cim::bf16::{align, bf16_from_f32, error_bound, Bf16Golden};
use std::fs::File;
use std::path::Path;

const R: usize = 8;
const C: usize = 4;
const B: usize = 4;

fn read_f32(path: &Path) -> (Vec<u64>, String, Vec<f32>) {
    let npy = npyz::NpyFile::new(std::io::BufReader::new(File::open(path).unwrap())).unwrap();
    let shape = npy.shape().to_vec();
    let dtype = npy.dtype().descr();
    (shape, dtype, npy.into_vec::<f32>().unwrap())
}

const SETS: [&str; 6] = [
    "rows=8",
    "cols=4",
    "format=bf16",
    "align_group=4",
    "tree_pipeline=1",
    "banks=1",
];

fn params() -> CimParams {
    CimParams {
        rows: 8,
        cols: 4,
        format: CimFormat::Bf16,
        align_group: 4,
        tree_pipeline: 1,
        banks: 1,
        ..CimParams::default()
    }
}

/// Runs `nicc sim cim` on `w.npy`, `x.npy` in `dir`, writing `y.npy`.
fn sim(dir: &Path, extra: &[&str]) -> (bool, String, String) {
    let s = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let (w, x, y) = (s("w.npy"), s("x.npy"), s("y.npy"));
    let mut args = vec!["sim", "cim"];
    for k in SETS {
        args.extend(["--set", k]);
    }
    args.extend(["--weights", &w, "--inputs", &x, "--out", &y]);
    args.extend(extra);
    nicc(&args)
}

/// Quarter integers -2..=1.75 (at most 3 significant bits): aligned without loss.
fn weights() -> Vec<f64> {
    (0..R * C)
        .map(|i| (((i * 5 + 3) % 16) as f64 - 8.0) / 4.0)
        .collect()
}

/// All BF16 values. Vector 0: powers of two within 2^3 of each other per group (aligned
/// without loss); 1: 8 significant bits, mixed signs and exponents (truncation loses bits);
/// 2: one large value next to small ones in the same group (they vanish); 3: zeros and a
/// subnormal (flushed).
fn inputs() -> Vec<f64> {
    let t = |k: i32| 2f64.powi(k);
    vec![
        1.0,
        -2.0,
        0.5,
        4.0,
        /* group 1 */ -0.25,
        1.0,
        0.125,
        -0.5, //
        3.140625,
        -0.0078125,
        100.5,
        -7.75,
        /* */ 0.333984375,
        3.0 * t(-11),
        -42.0,
        9.0, //
        256.0,
        1.5,
        -1.0,
        0.75,
        /* */ t(-10),
        t(-9),
        -3.0 * t(-10),
        t(-10), //
        0.0,
        -0.0,
        t(-130),
        0.0,
        /* */ 0.0,
        0.0,
        0.0,
        0.0,
    ]
}

/// `[mvms, cycles, skipped, products]` per group, counted here: the bit-planes of the
/// aligned `xalign`-bit two's complement inputs that are not all zero.
fn counted(p: &CimParams, xs: &[Vec<u16>]) -> Vec<[u64; 4]> {
    let g = p.align_group as usize;
    let mut out = vec![[0u64; 4]; R / g];
    for x in xs {
        for (k, chunk) in x.chunks(g).enumerate() {
            let q = align(chunk, p.xalign).q;
            let planes = (0..p.xalign)
                .filter(|b| q.iter().any(|&v| (v >> b) & 1 == 1))
                .count() as u64;
            let rows = q.iter().filter(|&&v| v != 0).count() as u64;
            let o = &mut out[k];
            o[0] += 1;
            o[1] += planes.max(1);
            o[2] += p.xalign as u64 - planes;
            o[3] += rows * planes;
        }
    }
    out
}

#[test]
fn bf16_results_counters_warnings_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = params();
    let (w, x) = (weights(), inputs());
    // W as float32 in Fortran order would be another path; here float32 W, float64 X.
    let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
    write_npy(&d.join("w.npy"), &[R as u64, C as u64], &w32);
    write_npy(&d.join("x.npy"), &[B as u64, R as u64], &x);
    let (ok, out, err) = sim(d, &[]);
    assert!(ok, "{err}");
    let (shape, dtype, y) = read_f32(&d.join("y.npy"));
    assert_eq!(shape, vec![B as u64, C as u64]);
    assert_eq!(dtype, "'<f4'");

    // Every test value is a BF16 value, so the f64 reference of the file values is the
    // reference of what the macro computes on.
    assert!(x.iter().chain(&w).all(|&v| v as f32 as f64 == v
        && nicc_testbench::cim::bf16::bf16_to_f64(bf16_from_f32(v as f32)) == v));
    let wb: Vec<u16> = w.iter().map(|&v| bf16_from_f32(v as f32)).collect();
    let xb: Vec<Vec<u16>> = x
        .chunks(R)
        .map(|v| v.iter().map(|&v| bf16_from_f32(v as f32)).collect())
        .collect();
    let wrows: Vec<Vec<u16>> = wb.chunks(C).map(|s| s.to_vec()).collect();
    let golden = Bf16Golden::new(&p, &wrows).unwrap();
    let mut worst = 0f64;
    for b in 0..B {
        let g = golden.mvm(&xb[b]).unwrap();
        let bounds = error_bound(&p, &xb[b], &wrows);
        for c in 0..C {
            let yv = y[b * C + c];
            assert_eq!(yv.to_bits(), g.y_f32[c].to_bits(), "vector {b} column {c}");
            // The independent reference (vector 3's subnormal flushes in the macro, so its
            // tiny product is within the bound's 2^-126 term).
            let want: f64 = (0..R).map(|r| x[b * R + r] * w[r * C + c]).sum();
            let e = (yv as f64 - want).abs();
            assert!(
                e <= bounds[c].1,
                "vector {b} column {c}: Y {yv:e}, x.W {want:e}, |error| {e:e} > bound {:e}",
                bounds[c].1
            );
            worst = worst.max(e);
            if b == 0 {
                assert_eq!(yv as f64, want, "vector {b} column {c} is exact");
            }
            if b == 3 {
                assert_eq!(yv.to_bits(), 0, "vector 3 column {c} flushes to +0");
            }
        }
    }
    // Vector 2's small inputs vanish next to 256: the truncation error is really there.
    assert!(worst > 0.0);
    let want_counters = counted(&p, &xb);
    for (g, [m, c, s, q]) in want_counters.iter().enumerate() {
        let line = format!(
            "counters, group {g}: mvms {m}, cycles {c}, skipped bit-planes {s}, active (row, bit-plane) products {q}"
        );
        assert!(out.contains(&line), "{line}\n{out}");
    }
    assert!(
        out.contains("4 vectors x 4 columns through the BF16 RTL (2 alignment group(s) of 4 rows, xalign = 8, wbits = 8): all match"),
        "{out}"
    );
    // Cycles per MVM = mean over vectors of the max over groups.
    let per_vec: Vec<u64> = xb
        .iter()
        .map(|v| {
            counted(&p, std::slice::from_ref(v))
                .iter()
                .map(|c| c[1])
                .max()
                .unwrap()
        })
        .collect();
    let cpm = per_vec.iter().sum::<u64>() as f64 / B as f64;
    assert!(
        out.contains(&format!("cycles per MVM: {cpm:.3} (dense: 8)")),
        "{out}"
    );
    // First latency = vector 0's cycles + tree pipeline (1) + 1.
    assert!(
        out.contains(&format!("first latency {} cycles", per_vec[0] + 2)),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "max |Y - X.W| (f64 reference on the BF16-rounded values): {worst:.3e}"
        )),
        "{out}"
    );
    // The file values are BF16 values: no input rounding to add.
    assert!(
        out.contains(&format!(
            "max |Y - X.W| (f64 reference on the file values, BF16 input rounding included): {worst:.3e}"
        )),
        "{out}"
    );
    assert!(!out.contains("warning"), "{out}");

    // NaN, infinity and overflow: accepted, flagged, warned about; Y is what the RTL made.
    let mut x2 = vec![0.0f64; 2 * R];
    x2[1] = f64::NAN;
    x2[2] = 1.0;
    // 1.75 * 2^127 times W[0] = [-1.25, 0, 1.25, -1.5] overflows in columns 0, 2, 3.
    x2[R] = 1.75 * 2f64.powi(127);
    x2[R + 5] = f64::NEG_INFINITY;
    assert_eq!(&w[..C], &[-1.25, 0.0, 1.25, -1.5]);
    write_npy(&d.join("x.npy"), &[2, R as u64], &x2);
    let (ok, out, err) = sim(d, &[]);
    assert!(ok, "{err}");
    assert!(
        out.contains("warning: out_non_finite set on 2 vector(s) (0, 1)"),
        "{out}"
    );
    assert!(
        out.contains("warning: out_overflow set on 1 vector(s) (1)"),
        "{out}"
    );
    let (_, _, y) = read_f32(&d.join("y.npy"));
    for c in 0..C {
        // Vector 0: the NaN counts as 0, leaving 1.0 * W[2][c].
        assert_eq!(y[c] as f64, w[2 * C + c], "column {c}");
    }
    let inf = f32::INFINITY;
    assert_eq!(&y[C..], &[-inf, 0.0, inf, -inf]);

    // Clear errors, before any simulation.
    let fails = |extra: &[&str], msg: &str| {
        let (ok, out, err) = sim(d, extra);
        assert!(!ok, "{out}");
        assert!(err.contains(msg), "expected `{msg}` in:\n{err}");
    };
    write_npy(&d.join("x.npy"), &[1, R as u64], &[1.0e39f64; R]);
    fails(
        &[],
        "x.npy: element [0, 0] = 1e39 is out of range for BF16: it rounds to infinity",
    );
    write_npy(&d.join("x.npy"), &[1, R as u64], &[1.0f64; R]);
    write_npy(&d.join("w.npy"), &[C as u64, R as u64], &w);
    fails(&[], "w.npy: shape [4, 8], expected (8, 4) = (rows, cols)");
    write_npy(&d.join("w.npy"), &[R as u64, C as u64], &w);
    write_npy(&d.join("x.npy"), &[1, R as u64], &[true; R]);
    fails(
        &[],
        "x.npy: element type `|b1` is not supported; use a float array",
    );
    write_npy(&d.join("x.npy"), &[1, R as u64], &[1.0f64; R]);
    fails(
        &["--bx", "4"],
        "--bx 4: run-time precision is a format=int option",
    );
}

#[test]
fn bf16_mismatch_message_names_vector_column_expected_actual() {
    use nicc_testbench::cim::bf16::Bf16Result;
    use nicc_testbench::cim::bf16_sim::{compare, DutOut};
    use nicc_testbench::cim::cli::CimCliError;
    let g = Bf16Result {
        y_bf16: vec![0x3f80, 0x4000],
        y_f32: vec![1.0, 2.0],
        non_finite: false,
        overflow: false,
    };
    let mut dut = DutOut {
        bf16: vec![0x3f80, 0x4000],
        fp32: vec![1f32.to_bits(), 2.5f32.to_bits()],
        non_finite: false,
        overflow: false,
        accept_cycle: 0,
        out_cycle: 3,
    };
    let e = CimCliError::from(compare(5, &g, &dut).unwrap_err());
    assert_eq!(
        e.to_string(),
        "RTL and golden model differ: vector 5, column 1 (fp32): expected 0x40000000 (2e0), \
         actual 0x40200000 (2.5e0)"
    );
    dut.bf16[0] = 0xbf80;
    let e = CimCliError::from(compare(2, &g, &dut).unwrap_err());
    assert_eq!(
        e.to_string(),
        "RTL and golden model differ: vector 2, column 0 (bf16): expected 0x3f80 (1e0), \
         actual 0xbf80 (-1e0)"
    );
}
