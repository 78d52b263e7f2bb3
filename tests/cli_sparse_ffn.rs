//! `nicc sim sparse-ffn`: weights and inputs from `.npy` files through the Verilated sparse FFN
//! tile (default parameters: 16 inputs, 4 outputs), results checked against a product computed
//! here, `--prune` checked against pruning done here, and the error messages for bad input.

mod common;
use common::{fails_with, nicc, write_npy};
use std::fs::File;
use std::path::Path;

const R: usize = 16;
const C: usize = 4;

fn read_i64(path: &Path) -> (Vec<u64>, Vec<i64>) {
    let npy = npyz::NpyFile::new(std::io::BufReader::new(File::open(path).unwrap())).unwrap();
    let shape = npy.shape().to_vec();
    (shape, npy.into_vec::<i64>().unwrap())
}

/// Runs `nicc sim sparse-ffn` on `w.npy` and `x.npy` in `dir` (default parameters).
fn sim(dir: &Path, extra: &[&str]) -> (bool, String, String) {
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let (w, x, y) = (p("w.npy"), p("x.npy"), p("y.npy"));
    let mut args = vec![
        "sim",
        "sparse-ffn",
        "--weights",
        &w,
        "--inputs",
        &x,
        "--out",
        &y,
    ];
    args.extend(extra);
    nicc(&args)
}

/// y[b][c] = sum over r of x[b][r] * w[r][c], row-major flat arrays.
fn product(x: &[i16], w: &[i16], vectors: usize) -> Vec<i64> {
    let mut y = vec![0i64; vectors * C];
    for b in 0..vectors {
        for c in 0..C {
            y[b * C + c] = (0..R)
                .map(|r| x[b * R + r] as i64 * w[r * C + c] as i64)
                .sum();
        }
    }
    y
}

/// Weights with pairwise different magnitudes (so pruning has no ties), about a third of them
/// zero, both signs and the INT8 extremes.
fn weights() -> Vec<i16> {
    let mut w: Vec<i16> = (0..R * C)
        .map(|i| {
            if i % 3 == 1 {
                0
            } else {
                let m = (i as i16 * 2 + 1).min(127);
                if i % 2 == 0 {
                    m
                } else {
                    -m
                }
            }
        })
        .collect();
    w[0] = -128;
    w
}

fn inputs() -> (Vec<i16>, usize) {
    // Vector 0: extremes; 1: mixed; 2: half zero; 3: all zero; 4: one non-zero.
    let mut x: Vec<i16> = (0..R)
        .map(|r| if r % 2 == 0 { -128 } else { 127 })
        .collect();
    x.extend((0..R).map(|r| (r as i16 * 37 % 255) - 127));
    x.extend((0..R).map(|r| if r < R / 2 { 0 } else { r as i16 - 9 }));
    x.extend([0; R]);
    x.extend((0..R).map(|r| if r == 11 { -77 } else { 0 }));
    (x, 5)
}

#[test]
fn results_equal_the_product_with_and_without_pruning() {
    let dir = tempfile::tempdir().unwrap();
    let w = weights();
    let (x, n) = inputs();
    write_npy(&dir.path().join("w.npy"), &[R as u64, C as u64], &w);
    write_npy(&dir.path().join("x.npy"), &[n as u64, R as u64], &x);
    let (ok, out, err) = sim(dir.path(), &[]);
    assert!(ok, "{err}");
    assert!(
        out.contains("5 vectors, all equal to the golden x . W"),
        "{out}"
    );
    let (shape, y) = read_i64(&dir.path().join("y.npy"));
    assert_eq!(shape, vec![n as u64, C as u64]);
    assert_eq!(y, product(&x, &w, n));

    // --prune 0.75: the 48 weights of smallest magnitude become zero (no ties here).
    let (ok, out, err) = sim(dir.path(), &["--prune", "0.75"]);
    assert!(ok, "{err}");
    let mut order: Vec<usize> = (0..R * C).collect();
    order.sort_by_key(|&i| w[i].unsigned_abs());
    let mut pruned = w.clone();
    for &i in &order[..R * C * 3 / 4] {
        pruned[i] = 0;
    }
    let (_, y) = read_i64(&dir.path().join("y.npy"));
    assert_eq!(y, product(&x, &pruned, n));
    assert!(out.contains("weight sparsity 75.0%"), "{out}");

    // The same through the dynamic tile (zero activations compacted away in the router); its
    // 2-column groups make it the model `sparse_ffn_cosim.rs` builds, so one cached build.
    let (ok, out, err) = sim(
        dir.path(),
        &[
            "--prune",
            "0.75",
            "--set",
            "dynamic=1",
            "--set",
            "col_group=2",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("5 vectors, all equal"), "{out}");
    let (_, y) = read_i64(&dir.path().join("y.npy"));
    assert_eq!(y, product(&x, &pruned, n));
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (x, n) = inputs();
    write_npy(&dir.path().join("x.npy"), &[n as u64, R as u64], &x);
    // The wrong shape of weights.
    write_npy(&dir.path().join("w.npy"), &[R as u64, 3], &[1i16; R * 3]);
    let (ok, _, err) = sim(dir.path(), &[]);
    assert!(!ok);
    assert!(
        err.contains("weights has shape (16, 3); expected (rows, cols) = (16, 4)"),
        "{err}"
    );
    // A weight outside INT8.
    let mut w = weights();
    w[5] = 300;
    write_npy(&dir.path().join("w.npy"), &[R as u64, C as u64], &w);
    let (ok, _, err) = sim(dir.path(), &[]);
    assert!(!ok);
    assert!(err.contains("300") && err.contains("INT8"), "{err}");
    // A pruning fraction that is not one.
    write_npy(&dir.path().join("w.npy"), &[R as u64, C as u64], &weights());
    let (ok, _, err) = sim(dir.path(), &["--prune", "1.5"]);
    assert!(!ok);
    assert!(err.contains("--prune 1.5 is not accepted"), "{err}");
    // Inputs of the wrong width, and a bad parameter.
    write_npy(&dir.path().join("x.npy"), &[2, 8], &[1i16; 16]);
    let (ok, _, err) = sim(dir.path(), &[]);
    assert!(!ok);
    assert!(err.contains("inputs has shape (2, 8)"), "{err}");
    fails_with(
        &[
            "sim",
            "sparse-ffn",
            "--set",
            "rows=12",
            "--weights",
            "w.npy",
            "--inputs",
            "x.npy",
            "--out",
            "y.npy",
        ],
        "parameter `rows` = 12 is invalid",
    );
}

/// `nicc bench sparse-ffn --pruning` takes `unstructured` or `rows` and names both otherwise
/// (refused before any model is built).
#[test]
fn bench_pruning_names_the_accepted_patterns() {
    fails_with(
        &["bench", "sparse-ffn", "--pruning", "diagonal", "--no-area"],
        "pruning `diagonal`: expected unstructured or rows",
    );
}

/// `--out` is checked before the tile is built: an input file, or a directory, is refused
/// and the inputs are left as they were (before, `--out` equal to `--inputs` overwrote them).
#[test]
fn out_is_checked_before_the_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let (x, vectors) = inputs();
    write_npy(&dir.path().join("w.npy"), &[R as u64, C as u64], &weights());
    write_npy(&dir.path().join("x.npy"), &[vectors as u64, R as u64], &x);
    let x_path = dir.path().join("x.npy");
    let before = std::fs::read(&x_path).unwrap();
    let p = |f: &Path| f.to_str().unwrap().to_string();
    let (w, xs, d) = (p(&dir.path().join("w.npy")), p(&x_path), p(dir.path()));
    let run = |out: &str, message: &str| {
        let args = [
            "sim",
            "sparse-ffn",
            "--weights",
            &w,
            "--inputs",
            &xs,
            "--out",
            out,
        ];
        fails_with(&args, message);
    };
    run(&xs, "is the same file as the input --inputs");
    run(&d, "is a directory: give a file name");
    assert_eq!(std::fs::read(&x_path).unwrap(), before);
}

/// `nicc bench sparse-ffn` checks `--vectors` and makes its `--out` directory before any model
/// is built (before, 0 vectors ran the whole grid, and an `--out` below a file failed only
/// after it, with its results lost).
#[test]
fn bench_checks_vectors_and_out_before_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let below = file.join("bench");
    let (d, b) = (dir.path().to_str().unwrap(), below.to_str().unwrap());
    fails_with(
        &[
            "bench",
            "sparse-ffn",
            "--no-area",
            "--vectors",
            "0",
            "--out",
            d,
        ],
        "--vectors 0 is out of range; give 1..=100000",
    );
    fails_with(
        &["bench", "sparse-ffn", "--no-area", "--out", b],
        "file is a file, not a directory",
    );
}

/// An input outside INT8 is named by file, vector and row before the tile is built (before:
/// "input vector: x[0] = -129 is outside INT8", which vector not said, after the build).
#[test]
fn an_input_out_of_range_is_named_by_vector_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let (mut x, n) = inputs();
    x[2 * R + 5] = -129;
    write_npy(&dir.path().join("w.npy"), &[R as u64, C as u64], &weights());
    write_npy(&dir.path().join("x.npy"), &[n as u64, R as u64], &x);
    let (ok, _, err) = sim(dir.path(), &[]);
    assert!(!ok);
    assert!(
        err.contains(
            "x.npy: element [2, 5] = -129 is out of range for INT8 inputs (allowed -128..=127)"
        ),
        "{err}"
    );
}
