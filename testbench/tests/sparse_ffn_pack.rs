//! The offline packing of the sparse FFN tile: the packed rows, placed where the tile reads
//! them, rebuild the weight matrix exactly; only rows with a non-zero weight in a group are
//! stored; shape, range and capacity errors are clear.

use nicc_rtl::blocks::sparse_ffn::{pack, PackError, Packed, SparseFfnParams};
use nicc_testbench::sparse_ffn::golden::random_weights;
use proptest::prelude::*;

fn params(rows: u32, cols: u32, g: u32, k: u32, banks: u32) -> SparseFfnParams {
    SparseFfnParams {
        rows,
        cols,
        col_group: g,
        cim_rows: k,
        banks,
        dynamic: false,
    }
}

/// Rebuilds W from (bank, CIM row) contents: the j-th packed row sits at bank j / K, row
/// j % K, and carries its original row index.
fn unpack(p: &SparseFfnParams, pk: &Packed) -> Vec<Vec<i64>> {
    let mut w = vec![vec![0i64; p.cols as usize]; p.rows as usize];
    for g in 0..p.groups() as usize {
        let mut banks = vec![vec![None; p.cim_rows as usize]; p.banks as usize];
        for j in 0..pk.index[g].len() {
            let (b, r) = Packed::place(p, j);
            assert!(banks[b as usize][r as usize].is_none(), "slot used twice");
            banks[b as usize][r as usize] = Some(j);
        }
        for j in banks.iter().flatten().flatten() {
            let i = pk.index[g][*j] as usize;
            for (c, &v) in pk.rows[g][*j].iter().enumerate() {
                w[i][g * p.col_group as usize + c] = v as i64;
            }
        }
    }
    w
}

proptest! {
    #[test]
    fn packing_round_trips(seed in 0u64..1000, s in 0usize..4, g_log in 0u32..3) {
        let sp = [0.0, 0.5, 0.75, 0.9][s];
        let g = 1 << g_log;
        let p = params(32, 8, g, 8, 4);
        let w = random_weights(32, 8, sp, seed);
        let pk = pack(&p, &w).unwrap();
        prop_assert_eq!(unpack(&p, &pk), w.clone());
        for gi in 0..p.groups() as usize {
            // Stored rows are exactly the rows with a non-zero weight in the group, ascending.
            let cols = gi * g as usize..(gi + 1) * g as usize;
            let want: Vec<u32> = (0..32u32)
                .filter(|&i| w[i as usize][cols.clone()].iter().any(|&v| v != 0))
                .collect();
            prop_assert_eq!(&pk.index[gi], &want);
            prop_assert_eq!(pk.beats(&p, gi), (want.len() as u32).div_ceil(8).max(1));
        }
    }
}

#[test]
fn sparser_weights_store_fewer_rows() {
    let p = params(64, 16, 1, 16, 4);
    let dense = pack(&p, &random_weights(64, 16, 0.0, 1)).unwrap();
    let sparse = pack(&p, &random_weights(64, 16, 0.75, 1)).unwrap();
    assert_eq!(dense.stored_weights(&p), 64 * 16);
    assert!(
        sparse.stored_weights(&p) < 64 * 16 / 3,
        "{}",
        sparse.stored_weights(&p)
    );
}

#[test]
fn errors_name_the_problem() {
    let p = params(4, 2, 1, 2, 2);
    let e = pack(&p, &vec![vec![0, 0]; 3]).unwrap_err();
    assert!(matches!(e, PackError::Shape { .. }));
    assert!(e.to_string().contains("rows x cols = 4 x 2"), "{e}");
    let mut w = vec![vec![0i64, 0]; 4];
    w[2][1] = 200;
    let e = pack(&p, &w).unwrap_err();
    assert_eq!(
        e.to_string(),
        "weight W[2][1] = 200 is outside INT8 (-128..=127)"
    );
    let p1 = params(8, 2, 1, 2, 2);
    let e = pack(&p1, &vec![vec![1i64, 1]; 8]).unwrap_err();
    assert!(
        e.to_string().contains("column group 0 needs 8 packed rows"),
        "{e}"
    );
}

#[test]
fn bad_parameters_are_refused() {
    for (p, key) in [
        (params(12, 4, 1, 4, 4), "rows"),
        (params(16, 4, 3, 4, 4), "col_group"),
        (params(16, 4, 1, 16, 4), "cim_rows"),
        (params(16, 4, 1, 4, 17), "banks"),
    ] {
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains(key), "{key}: {e}");
    }
    let mut p = SparseFfnParams::default();
    assert!(p
        .set("lanes", "4")
        .unwrap_err()
        .to_string()
        .contains("cim_rows"));
    let e = p.set("dynamic", "2").unwrap_err().to_string();
    assert!(
        e.contains("dynamic") && e.contains("0, 1, true or false"),
        "{e}"
    );
    p.set("dynamic", "true").unwrap();
    assert!(p.dynamic);
    p.set("dynamic", "0").unwrap();
    assert!(!p.dynamic);
}
