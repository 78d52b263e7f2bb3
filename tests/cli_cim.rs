//! `nicc sim cim`: weights and inputs from `.npy` files through the Verilated macro, results
//! checked against a dot product computed here, the printed counters, and every error
//! message for bad input.

mod common;
use common::{nicc, write_npy};
use std::fs::File;
use std::path::Path;

fn read_i64(path: &Path) -> (Vec<u64>, Vec<i64>) {
    let npy = npyz::NpyFile::new(std::io::BufReader::new(File::open(path).unwrap())).unwrap();
    let shape = npy.shape().to_vec();
    (shape, npy.into_vec::<i64>().unwrap())
}

const R: usize = 8;
const C: usize = 4;

fn sets() -> Vec<&'static str> {
    vec![
        "--set",
        "rows=8",
        "--set",
        "cols=4",
        "--set",
        "wbits=4",
        "--set",
        "xbits=4",
        "--set",
        "x_signed=true",
        "--set",
        "tree=dadda",
        "--set",
        "tree_pipeline=2",
    ]
}

/// Runs `nicc sim cim` with the common settings and files in `dir`.
fn sim(dir: &Path, extra: &[&str]) -> (bool, String, String) {
    let w = dir.join("w.npy");
    let x = dir.join("x.npy");
    let y = dir.join("y.npy");
    let mut args = vec!["sim", "cim"];
    args.extend(sets());
    let (ws, xs, ys) = (
        w.to_str().unwrap().to_string(),
        x.to_str().unwrap().to_string(),
        y.to_str().unwrap().to_string(),
    );
    args.extend(["--weights", &ws, "--inputs", &xs, "--out", &ys]);
    args.extend(extra);
    nicc(&args)
}

fn weights() -> Vec<i8> {
    (0..R * C).map(|i| ((i * 5 + 3) % 16) as i8 - 8).collect()
}

#[test]
fn results_counters_and_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let w = weights();
    // Vector 0: extremes; 1: dense random; 2: mostly zero (only bit 0 set: one plane);
    // 3: all zero (a null MVM: 1 cycle, every plane skipped).
    let mut x: Vec<i16> = vec![-8; R];
    x.extend([3, -1, 7, -8, 0, 5, -3, 2]);
    x.extend([1, 0, 0, 0, 0, 0, 1, 0]);
    x.extend([0; R]);
    write_npy(&dir.path().join("w.npy"), &[R as u64, C as u64], &w);
    write_npy(&dir.path().join("x.npy"), &[4, R as u64], &x);
    let (ok, out, err) = sim(dir.path(), &[]);
    assert!(ok, "{err}");
    let (shape, y) = read_i64(&dir.path().join("y.npy"));
    assert_eq!(shape, vec![4, C as u64]);
    for b in 0..4 {
        for c in 0..C {
            let want: i64 = (0..R)
                .map(|r| x[b * R + r] as i64 * w[r * C + c] as i64)
                .sum();
            assert_eq!(y[b * C + c], want, "vector {b} column {c}");
        }
    }
    // Planes: -8 is `1000` (1 plane), vector 1 has -1 = `1111` (4), vector 2 only bit 0
    // (1), vector 3 is null (1 cycle): 7 cycles; skipped 3 + 0 + 3 + 4 = 10;
    // products: 8 rows x 1 + 7 rows x 4 + 2 rows x 1 + 0 = 38.
    assert!(
        out.contains("counters: mvms 4, cycles 7, skipped bit-planes 10, active (row, bit-plane) products 38"),
        "{out}"
    );
    assert!(out.contains("cycles per MVM: 1.750 (dense: 4)"), "{out}");
    // Latency = cycles + tree_pipeline + 1 = 1 + 2 + 1.
    assert!(out.contains("first latency 4 cycles"), "{out}");
}

#[test]
fn run_time_precision() {
    let dir = tempfile::tempdir().unwrap();
    let w = weights();
    let x: Vec<i64> = vec![1, -1, -2, 0, 1, 1, -2, 0];
    write_npy(&dir.path().join("w.npy"), &[R as u64, C as u64], &w);
    write_npy(&dir.path().join("x.npy"), &[1, R as u64], &x);
    let (ok, out, err) = sim(dir.path(), &["--bx", "2"]);
    assert!(ok, "{err}");
    assert!(out.contains("at bx = 2"), "{out}");
    assert!(out.contains("cycles 2,"), "{out}");
    let (_, y) = read_i64(&dir.path().join("y.npy"));
    let want: Vec<i64> = (0..C)
        .map(|c| (0..R).map(|r| x[r] * w[r * C + c] as i64).sum())
        .collect();
    assert_eq!(y, want);
    // 2 does not fit a signed 2-bit input.
    write_npy(
        &dir.path().join("x.npy"),
        &[1, R as u64],
        &[2i64, 0, 0, 0, 0, 0, 0, 0],
    );
    let (ok, _, err) = sim(dir.path(), &["--bx", "2"]);
    assert!(!ok);
    assert!(
        err.contains(
            "element [0, 0] = 2 is out of range for xbits/bx = 2 (signed) (allowed -2..=1)"
        ),
        "{err}"
    );
    // 5 fits the 3-bit in_bx port (the RTL would run it at xbits = 4) and 9 does not:
    // both are refused, naming xbits.
    for bx in ["5", "9"] {
        let (ok, _, err) = sim(dir.path(), &["--bx", bx]);
        assert!(!ok);
        assert!(
            err.contains(&format!(
                "--bx {bx} is above the macro's xbits = 4: use 1..=4 (0 = xbits)"
            )),
            "{err}"
        );
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut w: Vec<i64> = weights().iter().map(|&v| v as i64).collect();
    write_npy(&d.join("x.npy"), &[1, R as u64], &[0i64; R]);
    // A weight out of range for wbits = 4.
    w[2 * C + 1] = 8;
    write_npy(&d.join("w.npy"), &[R as u64, C as u64], &w);
    let (ok, _, err) = sim(d, &[]);
    assert!(!ok);
    assert!(
        err.contains("element [2, 1] = 8 is out of range for wbits = 4 (signed) (allowed -8..=7)"),
        "{err}"
    );
    // Wrong shape of W.
    write_npy(&d.join("w.npy"), &[C as u64, R as u64], &weights());
    let (ok, _, err) = sim(d, &[]);
    assert!(!ok);
    assert!(
        err.contains("shape [4, 8], expected (8, 4) = (rows, cols)"),
        "{err}"
    );
    // Wrong shape of X.
    write_npy(&d.join("w.npy"), &[R as u64, C as u64], &weights());
    write_npy(&d.join("x.npy"), &[1, 3], &[0i64; 3]);
    let (ok, _, err) = sim(d, &[]);
    assert!(!ok);
    assert!(err.contains("expected (B, 8) = (vectors, rows)"), "{err}");
    // Floats are not integers.
    write_npy(&d.join("x.npy"), &[1, R as u64], &[0.5f64; R]);
    let (ok, _, err) = sim(d, &[]);
    assert!(!ok);
    assert!(err.contains("is not supported"), "{err}");
    // A missing file.
    std::fs::remove_file(d.join("x.npy")).unwrap();
    let (ok, _, err) = sim(d, &[]);
    assert!(!ok);
    assert!(err.contains("x.npy"), "{err}");
    // Bad parameters.
    let (ok, _, err) = sim(d, &["--set", "colz=3"]);
    assert!(!ok);
    assert!(
        err.contains("colz") && err.contains("accepted: rows, cols"),
        "{err}"
    );
    // BF16 macros run (tests/cli_cim_bf16.rs) but have no run-time precision.
    let (ok, _, err) = sim(
        d,
        &["--set", "format=bf16", "--set", "xalign=4", "--bx", "2"],
    );
    assert!(!ok);
    assert!(err.contains("format=int"), "{err}");
}

#[test]
fn mismatch_message_names_vector_column_expected_actual() {
    use nicc_testbench::cim::cli::CimCliError;
    use nicc_testbench::cim::cosim::Mismatch;
    let m = |vector, column, expected, actual| Mismatch {
        vector,
        column,
        expected,
        actual,
    };
    let e = CimCliError::from_mismatches(&[m(3, 1, -25, 13)]);
    assert_eq!(
        e.to_string(),
        "RTL and golden model differ: vector 3, column 1: expected -25, actual 13"
    );
    let e = CimCliError::from_mismatches(&[m(0, 2, 1, 0), m(5, 0, 7, 6), m(6, 0, 7, 6)]);
    assert!(e.to_string().ends_with("expected 1, actual 0 (and 2 more)"));
}

/// `--out` is checked before the macro is built: one of the input files, or a file in a
/// missing directory, is refused and the inputs are left as they were (before, `--out` equal
/// to `--weights` overwrote the weights, and a missing directory failed only after the whole
/// simulation with a bare "No such file or directory").
#[test]
fn out_is_checked_before_the_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let (w, x) = (dir.path().join("w.npy"), dir.path().join("x.npy"));
    write_npy(&w, &[R as u64, C as u64], &weights());
    write_npy(&x, &[1, R as u64], &[1i8; R]);
    let before = std::fs::read(&w).unwrap();
    let missing = dir.path().join("results").join("y.npy");
    for (out, message) in [
        (&w, "is the same file as the input --weights"),
        (&missing, "results does not exist; create it first"),
    ] {
        let mut args = vec!["sim", "cim"];
        args.extend(sets());
        let (ws, xs, ys) = (
            w.to_str().unwrap(),
            x.to_str().unwrap(),
            out.to_str().unwrap(),
        );
        args.extend(["--weights", ws, "--inputs", xs, "--out", ys]);
        let (ok, _, err) = nicc(&args);
        assert!(!ok && err.contains(message), "{err}");
    }
    assert_eq!(std::fs::read(&w).unwrap(), before);
}
