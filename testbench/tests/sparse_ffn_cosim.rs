//! Co-simulation of the sparse FFN tile (Verilator) against the golden dense product
//! `x . W`: weight sparsity 0/50/75/90 %, activation sparsity 0/50/90 %, random and
//! adversarial weights and vectors; the dense baseline the same way; lint; snapshot; the
//! energy proxy on a small tile. `make test` runs one 16 x 4 tile (two column groups, four
//! beats); `NICC_FULL=1` adds a 32 x 8 tile with one-column groups and more vectors.

use nicc_rtl::blocks::sparse_ffn::PackError;
use nicc_rtl::blocks::sparse_ffn::{generate, generate_dense, SparseFfnParams};
use nicc_rtl::emit;
use nicc_sim::Model;
use nicc_testbench::sparse_ffn::bench::{Bench, Pruning};
use nicc_testbench::sparse_ffn::driver::{DenseTile, DriverError, SparseTile};
use nicc_testbench::sparse_ffn::golden::{
    adversarial_vectors, adversarial_weights, dense_product, random_vector, random_weights,
};
use nicc_testbench::test_env::full;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn small() -> SparseFfnParams {
    SparseFfnParams {
        rows: 16,
        cols: 4,
        col_group: 2,
        cim_rows: 4,
        banks: 4,
        dynamic: false,
    }
}

fn sparse_model(p: &SparseFfnParams) -> Model {
    Model::build(&emit(&generate(p, "sparse_ffn").unwrap()).unwrap()).unwrap()
}

/// Every weight sparsity x activation sparsity, random and adversarial vectors.
fn matrix(p: &SparseFfnParams, m: &mut Model, per: usize, seed: u64) {
    let (r, c) = (p.rows as usize, p.cols as usize);
    let mut tile = SparseTile::new(p.clone());
    let mut mats: Vec<(String, Vec<Vec<i64>>)> = [0.0, 0.5, 0.75, 0.9]
        .iter()
        .enumerate()
        .map(|(k, &ws)| {
            (
                format!("random {ws}"),
                random_weights(r, c, ws, seed + k as u64),
            )
        })
        .collect();
    mats.extend(adversarial_weights(r, c, p.cim_rows as usize));
    let mut loaded = 0;
    for (wname, w) in &mats {
        match tile.load(m, w) {
            Ok(()) => loaded += 1,
            // A tile that holds fewer packed rows than inputs (`banks x cim_rows < rows`)
            // refuses the denser matrices; every one that fits runs.
            Err(DriverError::Pack(PackError::TooDense { .. })) if p.capacity() < p.rows => continue,
            Err(e) => panic!("weights `{wname}`: {e}"),
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xabc);
        let mut xs = adversarial_vectors(r, p.cim_rows as usize);
        for xsp in [0.0, 0.5, 0.9] {
            for i in 0..per {
                xs.push((
                    format!("random {xsp} #{i}"),
                    random_vector(r, xsp, &mut rng),
                ));
            }
        }
        for (xname, x) in &xs {
            let got = tile.run(m, x).unwrap();
            assert_eq!(
                got.y,
                dense_product(x, w),
                "seed {seed}, weights `{wname}`, vector `{xname}` ({x:?})"
            );
        }
    }
    assert!(loaded >= 4, "{p:?}: only {loaded} weight sets fit");
}

#[test]
fn sparse_tile_equals_dense_product() {
    let p = small();
    // Built once: the second test finds it in the model cache.
    let mut m = sparse_model(&p);
    matrix(&p, &mut m, if full() { 40 } else { 6 }, 11);
}

/// The small tile with dynamic activation compaction (`need & nonzero(x)` routed, weights
/// loaded per beat from the store).
fn dynamic() -> SparseFfnParams {
    SparseFfnParams {
        dynamic: true,
        ..small()
    }
}

#[test]
fn dynamic_tile_equals_dense_product() {
    let p = dynamic();
    let mut m = sparse_model(&p);
    matrix(&p, &mut m, if full() { 40 } else { 6 }, 12);
}

#[test]
fn dynamic_compaction_skips_zero_activations() {
    // Dense weights: every row is needed, so the static tile always takes 4 beats of 4 rows.
    // With 4 non-zero activations, one per block of 4 rows and each with all 8 bit-planes
    // non-zero (-1), the static tile computes 4 beats of 8 planes; the dynamic tile routes
    // only those 4: one beat (4 weight-row loads, then 8 planes), the same exact result.
    // With all 16 non-zero it also takes 4 beats.
    let (ps, pd) = (small(), dynamic());
    let (mut ms, mut md) = (sparse_model(&ps), sparse_model(&pd));
    let w: Vec<Vec<i64>> = (0..16)
        .map(|i| {
            (0..4)
                .map(|c| ((i * 7 + c * 13) % 255) as i64 - 127)
                .collect()
        })
        .collect();
    let (mut ts, mut td) = (SparseTile::new(ps.clone()), SparseTile::new(pd.clone()));
    ts.load(&mut ms, &w).unwrap();
    td.load(&mut md, &w).unwrap();
    let mut x = vec![0i64; 16];
    for i in [1, 6, 11, 15] {
        x[i] = -1;
    }
    let dense_x: Vec<i64> = (0..16).map(|i| 2 * i - 15).collect();
    let (s1, d1) = (ts.run(&mut ms, &x).unwrap(), td.run(&mut md, &x).unwrap());
    let (s2, d2) = (
        ts.run(&mut ms, &dense_x).unwrap(),
        td.run(&mut md, &dense_x).unwrap(),
    );
    for (got, x) in [(&s1, &x), (&d1, &x), (&s2, &dense_x), (&d2, &dense_x)] {
        assert_eq!(got.y, dense_product(x, &w), "{x:?}");
    }
    assert!(
        d1.cycles < s1.cycles,
        "dynamic {} vs static {} cycles with 4 non-zero activations",
        d1.cycles,
        s1.cycles
    );
    assert!(d1.cycles < d2.cycles, "{} vs {}", d1.cycles, d2.cycles);
}

#[test]
fn sparse_tile_full_matrix_one_column_groups() {
    if !full() {
        return;
    }
    for dynamic in [false, true] {
        let p = SparseFfnParams {
            dynamic,
            ..nicc_testbench::sparse_ffn::bench::measured_params()
        };
        let mut m = sparse_model(&p);
        matrix(&p, &mut m, 30, 21);
    }
}

#[test]
fn cycles_follow_the_beats() {
    // A group whose need mask has 9 rows takes three beats on 4 CIM rows; one with no row
    // still takes one (null) beat: the result is still exact.
    let p = small();
    // Built once: the second test finds it in the model cache.
    let mut m = sparse_model(&p);
    let mut w = vec![vec![0i64; 4]; 16];
    for (i, row) in w.iter_mut().enumerate().take(9) {
        row[0] = i as i64 + 1;
    }
    let mut tile = SparseTile::new(p.clone());
    tile.load(&mut m, &w).unwrap();
    let packed = tile.packed.clone().unwrap();
    assert_eq!(packed.beats(&p, 0), 3);
    assert_eq!(packed.beats(&p, 1), 1);
    let x: Vec<i64> = (0..16).map(|i| i - 8).collect();
    let a = tile.run(&mut m, &x).unwrap();
    assert_eq!(a.y, dense_product(&x, &w));
    // Fewer non-zero bit-planes: fewer cycles (bit-plane skipping inside the CIM macro).
    let x1: Vec<i64> = (0..16).map(|i| i % 2).collect();
    let b = tile.run(&mut m, &x1).unwrap();
    assert_eq!(b.y, dense_product(&x1, &w));
    assert!(b.cycles < a.cycles, "{} vs {}", b.cycles, a.cycles);
}

#[test]
fn too_dense_is_a_clear_error() {
    let p = SparseFfnParams {
        banks: 2,
        ..small()
    };
    let w = random_weights(16, 4, 0.0, 3);
    let e = nicc_rtl::blocks::sparse_ffn::pack(&p, &w).unwrap_err();
    assert!(e.to_string().contains("raise banks or cim_rows"), "{e}");
}

#[test]
fn dense_baseline_equals_dense_product() {
    let p = small();
    let d = emit(&generate_dense(&p, "dense_ffn").unwrap()).unwrap();
    let mut m = Model::build(&d).unwrap();
    let tile = DenseTile { params: p.clone() };
    for (k, ws) in [0.0, 0.75].into_iter().enumerate() {
        let w = random_weights(16, 4, ws, 40 + k as u64);
        tile.load(&mut m, &w).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(41);
        let mut xs: Vec<Vec<i64>> = adversarial_vectors(16, 4)
            .into_iter()
            .map(|x| x.1)
            .collect();
        xs.extend((0..6).map(|_| random_vector(16, 0.5, &mut rng)));
        for x in &xs {
            assert_eq!(
                tile.run(&mut m, x).unwrap().y,
                dense_product(x, &w),
                "{x:?}"
            );
        }
    }
}

#[test]
fn lint_clean() {
    let p = small();
    for d in [
        emit(&generate(&p, "sparse_ffn").unwrap()).unwrap(),
        emit(&generate(&dynamic(), "sparse_ffn").unwrap()).unwrap(),
        emit(&generate_dense(&p, "dense_ffn").unwrap()).unwrap(),
    ] {
        nicc_sim::lint::verilator_lint(&d).unwrap();
    }
}

/// Shapes off the beaten path: non-power-of-two CIM rows and banks, one CIM row, one bank,
/// more store rows than inputs, a single group.
fn odd_shapes() -> Vec<SparseFfnParams> {
    [
        (8, 3, 1, 3, 3),
        (2, 1, 1, 1, 1),
        (16, 4, 4, 8, 4),
        (32, 2, 2, 5, 2),
        (4, 2, 1, 2, 16),
    ]
    .into_iter()
    .map(|(rows, cols, col_group, cim_rows, banks)| SparseFfnParams {
        rows,
        cols,
        col_group,
        cim_rows,
        banks,
        dynamic: false,
    })
    .collect()
}

#[test]
fn odd_shapes_lint_clean_in_both_modes() {
    for p in odd_shapes() {
        for dynamic in [false, true] {
            let q = SparseFfnParams {
                dynamic,
                ..p.clone()
            };
            let d = emit(&generate(&q, "sparse_ffn").unwrap()).unwrap();
            nicc_sim::lint::verilator_lint(&d).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        }
    }
}

#[test]
fn odd_shapes_equal_dense_product() {
    // `make test`: the 8 x 3 tile (3 CIM rows, 3 banks) in dynamic mode; full runs: every odd
    // shape in both modes.
    let shapes: Vec<SparseFfnParams> = if full() {
        odd_shapes()
            .into_iter()
            .flat_map(|p| {
                [false, true].map(|dynamic| SparseFfnParams {
                    dynamic,
                    ..p.clone()
                })
            })
            .collect()
    } else {
        vec![SparseFfnParams {
            dynamic: true,
            ..odd_shapes()[0].clone()
        }]
    };
    for (k, p) in shapes.iter().enumerate() {
        let mut m = sparse_model(p);
        matrix(p, &mut m, if full() { 10 } else { 2 }, 60 + k as u64);
    }
}

#[test]
fn snapshot_small_tile() {
    let p = SparseFfnParams {
        rows: 4,
        cols: 2,
        col_group: 1,
        cim_rows: 2,
        banks: 2,
        dynamic: false,
    };
    let d = emit(&generate(&p, "sparse_ffn").unwrap()).unwrap();
    let top = d.files.iter().find(|f| f.module == "sparse_ffn").unwrap();
    insta::assert_snapshot!("sparse_ffn_n4_c2_g1_k2_b2", top.text);
    let q = SparseFfnParams { dynamic: true, ..p };
    let d = emit(&generate(&q, "sparse_ffn").unwrap()).unwrap();
    let top = d.files.iter().find(|f| f.module == "sparse_ffn").unwrap();
    insta::assert_snapshot!("sparse_ffn_n4_c2_g1_k2_b2_dyn", top.text);
}

#[test]
fn energy_proxy_counts_every_block() {
    // The 16 x 4 tile counting toggles: results stay exact, the router and the CIM blocks
    // all toggle, and fewer non-zero activations toggle less.
    let p = small();
    let mut b = Bench::new(&p).unwrap();
    let (s0, d0) = b.measure(0.75, 0.0, 6, 5).unwrap();
    let (s9, _) = b.measure(0.75, 0.9, 6, 5).unwrap();
    for blk in ["router", "cim array", "adder trees", "accumulators"] {
        assert!(s0.blocks[blk] > 0.0, "sparse {blk}: {:?}", s0.blocks);
    }
    assert!(d0.blocks["router"] == 0.0 && d0.blocks["adder trees"] > 0.0);
    assert!(s9.toggles_per_vector < s0.toggles_per_vector);
    // Row-structured pruning: 12 of the 16 rows are zero and the other 4 dense, so with no
    // zero activation every vector has exactly 4 x 4 useful MACs (the unstructured weights
    // of the same seed have another count); results are checked against x . W as always.
    b.pruning = Pruning::Rows;
    let (sr, dr) = b.measure(0.75, 0.0, 6, 5).unwrap();
    assert_eq!(
        (sr.useful_macs_per_vector, dr.useful_macs_per_vector),
        (16.0, 16.0)
    );
    assert_ne!(s0.useful_macs_per_vector, 16.0);
}

#[test]
fn energy_proxy_counts_the_weight_loader() {
    // The dynamic tile's loader and weight store are a block of their own; the static tile
    // and the dense macro have none.
    let mut b = Bench::new(&dynamic()).unwrap();
    let (s, d) = b.measure(0.5, 0.5, 6, 7).unwrap();
    for blk in ["router", "weight loader", "cim array", "adder trees"] {
        assert!(s.blocks[blk] > 0.0, "dynamic {blk}: {:?}", s.blocks);
    }
    assert_eq!(d.blocks["weight loader"], 0.0);
    let mut b = Bench::new(&small()).unwrap();
    let (s, _) = b.measure(0.5, 0.5, 6, 7).unwrap();
    assert_eq!(s.blocks["weight loader"], 0.0, "{:?}", s.blocks);
}
