//! `nicc sim sparse-ffn`: `.npy` weights and inputs through the Verilated sparse tile, the
//! golden dense product beside it, `.npy` results out.

use super::driver::{DriverError, SparseTile};
use super::golden::{dense_product, magnitude_prune};
use crate::cim::npy::{check_range, read_int_matrix, write_int64_matrix, IntMatrix, NpyIoError};
use nicc_rtl::blocks::sparse_ffn::{pack, SparseFfnParams, BITS};
use nicc_sim::{BuildOptions, Model, SimError};
use std::path::Path;
use thiserror::Error;

/// Why `nicc sim sparse-ffn` failed.
#[derive(Debug, Error)]
pub enum CliError {
    /// Reading or writing an `.npy` file failed.
    #[error(transparent)]
    Npy(#[from] NpyIoError),
    /// The output file cannot be written, or is one of the inputs.
    #[error(transparent)]
    Output(#[from] crate::outputs::OutputError),
    /// A parameter is invalid.
    #[error(transparent)]
    Param(#[from] nicc_rtl::error::ParamError),
    /// Generation failed.
    #[error(transparent)]
    Rtl(#[from] nicc_rtl::RtlError),
    /// Simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Driving the tile failed (bad shapes or values, packing).
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// `--prune` is not a fraction.
    #[error("--prune {0} is not accepted: give a fraction of weights to zero, 0 <= p < 1")]
    Prune(f64),
    /// A matrix has the wrong shape.
    #[error("{what} has shape ({rows}, {cols}); expected {expected}")]
    Shape {
        /// Which file.
        what: &'static str,
        /// Rows found.
        rows: usize,
        /// Columns found.
        cols: usize,
        /// What was expected.
        expected: String,
    },
    /// The RTL result differs from the golden dense product.
    #[error("vector {vector}, column {col}: golden {expected}, RTL {actual}")]
    Mismatch {
        /// Vector (row of X).
        vector: usize,
        /// Column.
        col: usize,
        /// Golden value.
        expected: i64,
        /// RTL value.
        actual: i64,
    },
}

fn rows_of(m: &IntMatrix) -> Vec<Vec<i64>> {
    (0..m.rows).map(|r| m.row(r).to_vec()).collect()
}

/// Runs `nicc sim sparse-ffn`: reads W (rows x cols) and X (B x rows), optionally magnitude
/// prunes W to `prune`, packs and loads it, runs every vector through the RTL, checks it
/// against the golden product, writes Y (B x cols, int64). Returns a summary for the user.
/// `out` is checked first ([`crate::outputs::check`]: its directory exists, it is neither
/// input).
pub fn sim_npy(
    p: &SparseFfnParams,
    weights: &Path,
    inputs: &Path,
    out: &Path,
    prune: Option<f64>,
) -> Result<String, CliError> {
    p.validate()?;
    crate::outputs::check(
        &[("--weights", weights), ("--inputs", inputs)],
        &[("--out", out, ".npy")],
    )?;
    let wm = read_int_matrix(weights)?;
    if wm.rows != p.rows as usize || wm.cols != p.cols as usize {
        return Err(CliError::Shape {
            what: "weights",
            rows: wm.rows,
            cols: wm.cols,
            expected: format!("(rows, cols) = ({}, {})", p.rows, p.cols),
        });
    }
    let xm = read_int_matrix(inputs)?;
    if xm.cols != p.rows as usize {
        return Err(CliError::Shape {
            what: "inputs",
            rows: xm.rows,
            cols: xm.cols,
            expected: format!("(B, rows) = (B, {})", p.rows),
        });
    }
    // Every input in INT8, named by file, vector and row before the (slow) build: the tile
    // driver checks each vector only as it runs, without saying which.
    check_range(
        inputs,
        &xm,
        -(1i64 << (BITS - 1)),
        (1i64 << (BITS - 1)) - 1,
        "INT8 inputs",
    )?;
    let mut w = rows_of(&wm);
    if let Some(f) = prune {
        if !(0.0..1.0).contains(&f) {
            return Err(CliError::Prune(f));
        }
        w = magnitude_prune(&w, f);
    }
    // Pack first: a clear error before the (slow) build.
    let packed = pack(p, &w).map_err(DriverError::from)?;
    let d = nicc_rtl::emit(&nicc_rtl::blocks::sparse_ffn::generate(p, "sparse_ffn")?)?;
    let mut m = Model::build_with(&d, &BuildOptions::default(), None)?;
    let mut tile = SparseTile::new(p.clone());
    tile.load(&mut m, &w)?;
    let mut y = Vec::with_capacity(xm.rows * p.cols as usize);
    let mut cycles = 0;
    for v in 0..xm.rows {
        let x = xm.row(v);
        let res = tile.run(&mut m, x)?;
        let want = dense_product(x, &w);
        if let Some(col) = (0..want.len()).find(|&c| want[c] != res.y[c]) {
            return Err(CliError::Mismatch {
                vector: v,
                col,
                expected: want[col],
                actual: res.y[col],
            });
        }
        cycles += res.cycles;
        y.extend(res.y);
    }
    write_int64_matrix(out, xm.rows, p.cols as usize, &y)?;
    let zeros = w.iter().flatten().filter(|v| **v == 0).count();
    let beats: Vec<u32> = (0..p.groups() as usize)
        .map(|g| packed.beats(p, g))
        .collect();
    Ok(format!(
        "{} vectors, all equal to the golden x . W; weight sparsity {:.1}%, packed weights {} of {}; \
         beats per group max {}; {:.1} cycles per vector",
        xm.rows,
        100.0 * zeros as f64 / (p.rows * p.cols) as f64,
        packed.stored_weights(p),
        p.rows * p.cols,
        beats.iter().max().copied().unwrap_or(0),
        cycles as f64 / xm.rows.max(1) as f64
    ))
}
