//! The energy-proxy benchmark: toggles (every bit of every named net counted once per change,
//! from the traced model's VCD) per vector and per useful MAC, and cycles per vector, of the
//! sparse tile and the dense baseline over a grid of weight and activation sparsities.
//!
//! Counted from the VCD ([`ToggleModel::build_traced`]), not from Verilator's toggle
//! coverage: coverage keeps one set of counters per module and, with Verilator 5.006,
//! counts one instance of a module only (`sim/tests/toggle.rs`), and these tiles are made of
//! repeated instances (a router and a CIM macro per column group, a column tree per column).
//! The traced model also compiles several times faster (a 32 x 8 tile: 25 s against 85 s).

use super::driver::{DenseTile, DriverError, SparseTile};
use super::golden::{dense_product, random_vector, random_weights, row_pruned_weights};
use nicc_rtl::blocks::sparse_ffn::{generate, generate_dense, SparseFfnParams};
use nicc_rtl::{emit, Design};
use nicc_sim::toggle::{ToggleCounts, ToggleError};
use nicc_sim::{BuildOptions, ToggleModel};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// Why a measurement failed.
#[derive(Debug, Error)]
pub enum BenchError {
    /// Generating the design failed.
    #[error(transparent)]
    Rtl(#[from] nicc_rtl::RtlError),
    /// Building the toggle-counting model or reading its counts failed.
    #[error(transparent)]
    Toggle(#[from] ToggleError),
    /// Driving the tile failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// Writing the report or plot failed.
    #[error("{0}")]
    Output(String),
    /// The output directory cannot be made (checked before anything runs).
    #[error(transparent)]
    OutputDir(#[from] crate::outputs::OutputError),
    /// `--vectors` is 0 or above [`MAX_BENCH_VECTORS`].
    #[error("--vectors {0} is out of range; give 1..={MAX_BENCH_VECTORS} vectors per point")]
    Vectors(usize),
    /// Synthesis failed.
    #[error(transparent)]
    Synth(#[from] nicc_synth::SynthError),
    /// The RTL disagreed with the golden product (a bug: nothing is measured on wrong results).
    #[error("{tile}: vector {vector} column {col}: expected {expected}, RTL gave {actual}")]
    Mismatch {
        /// Which tile.
        tile: &'static str,
        /// Vector number.
        vector: usize,
        /// Column.
        col: usize,
        /// Golden value.
        expected: i64,
        /// RTL value.
        actual: i64,
    },
}

/// Blocks the toggles are summed into.
pub const BLOCKS: [&str; 7] = [
    "router",
    "weight loader",
    "cim array",
    "adder trees",
    "accumulators",
    "input",
    "control",
];

/// The block of a net path (`scope.signal`, scopes relative to the tile's top).
pub fn classify(path: &str) -> &'static str {
    let (scope, leaf) = path.rsplit_once('.').unwrap_or(("", path));
    let first = scope.split('.').next().unwrap_or("");
    // `g<number><marker>...`: a name of group <number>.
    let group_sig = |l: &str, marker: &str| {
        l.strip_prefix('g')
            .and_then(|r| r.split_once(marker))
            .is_some_and(|(num, _)| !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()))
    };
    let is_router = |s: &str| group_sig(s, "_router");
    if is_router(first) || (scope.is_empty() && (is_router(leaf) || leaf == "x_nz")) {
        return "router";
    }
    // Dynamic tiles: the weight store and the loader that fills the CIM per beat.
    if scope.is_empty() && ["_wmem", "_wl_", "_ld_"].iter().any(|p| group_sig(leaf, p)) {
        return "weight loader";
    }
    if scope.contains("_tree") {
        return "adder trees";
    }
    // Inside a CIM macro (the dense tile's top, or a sparse tile's g*_cim instance).
    let in_cim = scope.is_empty() || first.ends_with("_cim");
    let col_sig = |l: &str, suffix: &str| {
        l.strip_prefix('c')
            .and_then(|r| r.strip_suffix(suffix))
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    if scope.is_empty() && leaf.contains("_acc_c") {
        return "accumulators";
    }
    if scope.is_empty() && leaf.ends_with("_cim_out_y") {
        return "accumulators";
    }
    if scope.is_empty() && (leaf == "in_x" || leaf == "x_q") {
        return "input";
    }
    if in_cim {
        if ["_contrib", "_acc", "_sum"]
            .iter()
            .any(|s| col_sig(leaf, s))
            || leaf.starts_with("fifo")
            || leaf == "out_y"
        {
            return "accumulators";
        }
        if col_sig(leaf, "_pp")
            || leaf.starts_with("w_b")
            || leaf.starts_with("wsel_")
            || leaf.ends_with("xb")
            || leaf == "job_x"
            || leaf == "xm_in"
            || leaf == "act_in"
            || (leaf == "in_x" && !scope.is_empty())
        {
            return "cim array";
        }
    }
    "control"
}

/// How the benchmark prunes its random weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pruning {
    /// Each weight zero with probability = the sparsity (issue 8's case).
    #[default]
    Unstructured,
    /// Whole rows zero, exactly `round(sparsity * rows)` of them
    /// ([`super::golden::row_pruned_weights`]).
    Rows,
}

impl std::str::FromStr for Pruning {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            ("unstructured", Pruning::Unstructured),
            ("rows", Pruning::Rows),
        ]
        .into_iter()
        .find_map(|(name, p)| (name == s).then_some(p))
        .ok_or_else(|| format!("pruning `{s}`: expected unstructured or rows"))
    }
}

/// One measured point.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// `sparse` or `dense`.
    pub tile: &'static str,
    /// Fraction of zero weights asked for.
    pub weight_sparsity: f64,
    /// Fraction of zero activations asked for.
    pub act_sparsity: f64,
    /// Vectors measured.
    pub vectors: usize,
    /// Mean cycles per vector (accept to result).
    pub cycles_per_vector: f64,
    /// Mean toggles per vector (clock and reset nets excluded).
    pub toggles_per_vector: f64,
    /// Mean useful MACs per vector (`x_r != 0` and `W[r][c] != 0`).
    pub useful_macs_per_vector: f64,
    /// Toggles per vector per block ([`BLOCKS`]).
    pub blocks: BTreeMap<String, f64>,
}

impl Point {
    /// Toggles per useful MAC (infinite when there is none).
    pub fn toggles_per_mac(&self) -> f64 {
        self.toggles_per_vector / self.useful_macs_per_vector
    }
}

/// The sparse tile and the dense baseline, built once as toggle-counting (traced) models.
pub struct Bench {
    /// Parameters.
    pub params: SparseFfnParams,
    /// How the random weights are pruned (default: unstructured).
    pub pruning: Pruning,
    sparse: ToggleModel,
    dense: ToggleModel,
}

/// The sparse tile's design (top `sparse_ffn`).
pub fn sparse_design(p: &SparseFfnParams) -> Result<Design, nicc_rtl::RtlError> {
    emit(&generate(p, "sparse_ffn")?)
}

/// The dense baseline's design (top `dense_ffn`).
pub fn dense_design(p: &SparseFfnParams) -> Result<Design, nicc_rtl::RtlError> {
    emit(&generate_dense(p, "dense_ffn")?)
}

fn per_block(c: &ToggleCounts, n: f64) -> (f64, BTreeMap<String, f64>) {
    let mut m: BTreeMap<String, f64> = BLOCKS.iter().map(|b| (b.to_string(), 0.0)).collect();
    let mut total = 0.0;
    for e in &c.entries {
        // Clock and reset are left out, and so are the lint sinks (`*unused*` wires: pure
        // aliases of nets already counted, no hardware of their own).
        if e.signal == "clk" || e.signal == "rst" || e.signal.contains("unused") {
            continue;
        }
        *m.entry(classify(&e.path()).to_string()).or_insert(0.0) += e.count as f64 / n;
        total += e.count as f64 / n;
    }
    (total, m)
}

impl Bench {
    /// Builds both toggle-counting models.
    pub fn new(p: &SparseFfnParams) -> Result<Bench, BenchError> {
        let opts = BuildOptions::default();
        let sparse = ToggleModel::build_traced(&sparse_design(p)?, &opts)?;
        let dense = ToggleModel::build_traced(&dense_design(p)?, &opts)?;
        Ok(Bench {
            params: p.clone(),
            pruning: Pruning::Unstructured,
            sparse,
            dense,
        })
    }

    /// Measures both tiles on random weights of sparsity `ws` and `vectors` activation
    /// vectors of sparsity `xs` (fixed seeds), checking every result against the golden
    /// product. Returns (sparse, dense).
    pub fn measure(
        &mut self,
        ws: f64,
        xs: f64,
        vectors: usize,
        seed: u64,
    ) -> Result<(Point, Point), BenchError> {
        let p = self.params.clone();
        let (r, c) = (p.rows as usize, p.cols as usize);
        let w = match self.pruning {
            Pruning::Unstructured => random_weights(r, c, ws, seed),
            Pruning::Rows => row_pruned_weights(r, c, ws, seed),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
        let xsv: Vec<Vec<i64>> = (0..vectors)
            .map(|_| random_vector(r, xs, &mut rng))
            .collect();
        let macs: f64 = xsv
            .iter()
            .map(|x| {
                x.iter()
                    .zip(&w)
                    .map(|(xv, row)| {
                        if *xv == 0 {
                            0
                        } else {
                            row.iter().filter(|v| **v != 0).count()
                        }
                    })
                    .sum::<usize>() as f64
            })
            .sum::<f64>()
            / vectors as f64;
        let mut tile = SparseTile::new(p.clone());
        tile.load(&mut self.sparse, &w)?;
        let dense_tile = DenseTile { params: p.clone() };
        dense_tile.load(&mut self.dense, &w)?;
        let mut out = Vec::new();
        for which in ["sparse", "dense"] {
            let m = if which == "sparse" {
                &mut self.sparse
            } else {
                &mut self.dense
            };
            m.zero();
            let mut cycles = 0u64;
            for (v, x) in xsv.iter().enumerate() {
                let res = if which == "sparse" {
                    tile.run(m, x)?
                } else {
                    dense_tile.run(m, x)?
                };
                let want = dense_product(x, &w);
                if let Some(col) = (0..c).find(|&k| want[k] != res.y[k]) {
                    return Err(BenchError::Mismatch {
                        tile: which,
                        vector: v,
                        col,
                        expected: want[col],
                        actual: res.y[col],
                    });
                }
                cycles += res.cycles;
            }
            let counts = m.toggles()?;
            let (total, blocks) = per_block(&counts, vectors as f64);
            out.push(Point {
                tile: which,
                weight_sparsity: ws,
                act_sparsity: xs,
                vectors,
                cycles_per_vector: cycles as f64 / vectors as f64,
                toggles_per_vector: total,
                useful_macs_per_vector: macs,
                blocks,
            });
        }
        let dense = out.pop().expect("two points");
        let sparse = out.pop().expect("two points");
        Ok((sparse, dense))
    }
}

/// The benchmark's default size: 256 inputs, 64 outputs in one-column groups, 64 CIM rows per
/// beat, 4 banks (every weight density fits).
pub fn bench_params() -> SparseFfnParams {
    SparseFfnParams {
        rows: 256,
        cols: 64,
        col_group: 1,
        cim_rows: 64,
        banks: 4,
        dynamic: false,
    }
}

/// The size `nicc run` plots and the first table of docs/blocks/sparse-ffn.md is measured at
/// (its two models build in about 20 s): 32 inputs, 8 outputs in one-column groups, 8 CIM
/// rows per beat, 4 banks.
pub fn measured_params() -> SparseFfnParams {
    SparseFfnParams {
        rows: 32,
        cols: 8,
        col_group: 1,
        cim_rows: 8,
        banks: 4,
        dynamic: false,
    }
}

/// Weight sparsities of the grid.
pub const WEIGHT_SPARSITY: [f64; 4] = [0.0, 0.5, 0.75, 0.9];
/// Activation sparsities of the grid.
pub const ACT_SPARSITY: [f64; 2] = [0.0, 0.5];

fn plot(path: &std::path::Path, pts: &[(Point, Point)]) -> Result<(), BenchError> {
    let ymax = pts
        .iter()
        .flat_map(|(s, d)| [s.toggles_per_vector, d.toggles_per_vector])
        .fold(1.0f64, f64::max)
        * 1.1;
    let mut series = Vec::new();
    for xs in ACT_SPARSITY {
        for tile in ["sparse", "dense"] {
            let line: Vec<(f64, f64)> = pts
                .iter()
                .filter(|(s, _)| s.act_sparsity == xs)
                .map(|(s, d)| {
                    let p = if tile == "sparse" { s } else { d };
                    (100.0 * p.weight_sparsity, p.toggles_per_vector)
                })
                .collect();
            series.push((format!("{tile}, {:.0}% zero activations", 100.0 * xs), line));
        }
    }
    let chart = crate::plot::Chart {
        title: "toggles per vector: sparse tile vs dense CIM",
        size: (760, 460),
        x: -2.0..92.0,
        y: 0.0..ymax,
        x_desc: "weight sparsity (%)",
        y_desc: "toggles per vector",
        y_label_width: 70,
    };
    crate::plot::line_chart(path, &chart, &series)
        .map_err(|e| BenchError::Output(format!("plot: {e}")))
}

fn area_rows(p: &SparseFfnParams) -> Result<String, BenchError> {
    use nicc_synth::{run_flow, Flow, FlowResult, Options};
    let mut out = String::from(
        "| tile | asic cells | asic area (um2) | asic flip-flops | ice40 LUT4 | ice40 DFF | ice40 fit |\n|---|---|---|---|---|---|---|\n",
    );
    for (name, d) in [("sparse", sparse_design(p)?), ("dense", dense_design(p)?)] {
        let opts = Options::default();
        let a = run_flow(&d, Flow::Asic, &opts)?;
        let i = run_flow(&d, Flow::Ice40, &opts)?;
        let (cells, area, ffs) = match &a.result {
            FlowResult::Asic(r) => (r.stats.cells, r.area_um2, r.flip_flops),
            _ => (0, 0.0, 0),
        };
        let (lut, dff, fit) = match &i.result {
            FlowResult::Ice40(r) => (
                r.design_cells.lut4,
                r.design_cells.dff,
                match &r.fit {
                    nicc_synth::Ice40Fit::Fits { logic_cells, .. } => {
                        format!("fits ({logic_cells} LCs)")
                    }
                    _ => "does not fit the HX8K".to_string(),
                },
            ),
            _ => (0, 0, String::new()),
        };
        out.push_str(&format!(
            "| {name} | {cells} | {area:.0} | {ffs} | {lut} | {dff} | {fit} |\n"
        ));
    }
    Ok(out)
}

/// Most vectors per point of [`run`].
pub const MAX_BENCH_VECTORS: usize = 100_000;

/// Runs the grid ([`WEIGHT_SPARSITY`] x [`ACT_SPARSITY`], `vectors` per point, 1 to
/// [`MAX_BENCH_VECTORS`]) on `p` with
/// weights pruned as `pruning` says, and with `area` the asic and ice40 flows on both tiles;
/// writes `sparse-ffn-bench.md`, `sparse-ffn-bench.json` and `sparse-ffn-toggles.svg` into
/// `out`, which is made first (a bad `out` fails before the models are built, not after the
/// whole grid). Returns the markdown.
pub fn run(
    p: &SparseFfnParams,
    pruning: Pruning,
    vectors: usize,
    area: bool,
    out: &std::path::Path,
) -> Result<String, BenchError> {
    if !(1..=MAX_BENCH_VECTORS).contains(&vectors) {
        return Err(BenchError::Vectors(vectors));
    }
    crate::outputs::create_parent("--out", &out.join("sparse-ffn-bench.md"))?;
    let t0 = std::time::Instant::now();
    let mut b = Bench::new(p)?;
    b.pruning = pruning;
    let t_build = t0.elapsed().as_secs_f64();
    let mut pts = Vec::new();
    for (k, ws) in WEIGHT_SPARSITY.into_iter().enumerate() {
        for xs in ACT_SPARSITY {
            pts.push(b.measure(ws, xs, vectors, 1000 + k as u64)?);
        }
    }
    let mut md = format!(
        "Tile: rows = {}, cols = {}, col_group = {}, cim_rows = {}, banks = {}, dynamic = {}; {}{} random vectors \
         per point, every result checked against the golden x . W. Toggle-counting (traced) models built in {:.0} s, \
         grid simulated in {:.0} s.\n\n",
        p.rows,
        p.cols,
        p.col_group,
        p.cim_rows,
        p.banks,
        p.dynamic,
        match pruning {
            Pruning::Unstructured => String::new(),
            Pruning::Rows => "weights pruned by whole rows (W zero = the share of zero rows); ".into(),
        },
        vectors,
        t_build,
        t0.elapsed().as_secs_f64() - t_build
    );
    md.push_str("| W zero | x zero | tile | cycles/vector | toggles/vector | useful MACs/vector | toggles/MAC | router | weight loader | cim array | adder trees | accumulators | input | control | dense/sparse toggles |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (s, d) in &pts {
        for q in [s, d] {
            let ratio = if q.tile == "sparse" {
                format!("{:.2}x", d.toggles_per_vector / s.toggles_per_vector)
            } else {
                String::new()
            };
            md.push_str(&format!(
                "| {:.0}% | {:.0}% | {} | {:.1} | {:.0} | {:.0} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {} |\n",
                100.0 * q.weight_sparsity,
                100.0 * q.act_sparsity,
                q.tile,
                q.cycles_per_vector,
                q.toggles_per_vector,
                q.useful_macs_per_vector,
                q.toggles_per_mac(),
                q.blocks["router"],
                q.blocks["weight loader"],
                q.blocks["cim array"],
                q.blocks["adder trees"],
                q.blocks["accumulators"],
                q.blocks["input"],
                q.blocks["control"],
                ratio
            ));
        }
    }
    if area {
        md.push_str("\nArea (OSU 0.18 um `asic` flow; `ice40` HX8K):\n\n");
        md.push_str(&area_rows(p)?);
    }
    std::fs::create_dir_all(out)
        .map_err(|e| BenchError::Output(format!("{}: {e}", out.display())))?;
    let write = |name: &str, text: &str| {
        std::fs::write(out.join(name), text)
            .map_err(|e| BenchError::Output(format!("{}: {e}", out.join(name).display())))
    };
    write("sparse-ffn-bench.md", &md)?;
    let json: Vec<&Point> = pts.iter().flat_map(|(s, d)| [s, d]).collect();
    write(
        "sparse-ffn-bench.json",
        &serde_json::to_string_pretty(&json).map_err(|e| BenchError::Output(e.to_string()))?,
    )?;
    plot(&out.join("sparse-ffn-toggles.svg"), &pts)?;
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn classifies_paths() {
        assert_eq!(classify("g3_router.s0_cross1"), "router");
        assert_eq!(classify("g3_router_out_data"), "router");
        assert_eq!(classify("g0_cim.c1_tree.l0_n0_sum"), "adder trees");
        assert_eq!(classify("c1_tree.l0_n0_sum"), "adder trees");
        assert_eq!(classify("g0_cim.c12_acc"), "accumulators");
        assert_eq!(classify("c12_contrib"), "accumulators");
        assert_eq!(classify("g1_acc_c3"), "accumulators");
        assert_eq!(classify("g0_cim.w_b1_r3"), "cim array");
        assert_eq!(classify("c0_pp"), "cim array");
        assert_eq!(classify("x_q"), "input");
        assert_eq!(classify("busy"), "control");
        assert_eq!(classify("x_nz"), "router");
        assert_eq!(classify("g2_router_mask"), "router");
        assert_eq!(classify("g2_wmem"), "weight loader");
        assert_eq!(classify("g0_wl_rank"), "weight loader");
        assert_eq!(classify("g10_ld_row_q"), "weight loader");
        assert_eq!(classify("g0_cim.wl_x"), "control");
        assert_eq!(classify("g0_wr_en"), "control");
    }
}
