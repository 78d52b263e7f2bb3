//! Golden model and stimulus: the dense product, computed directly, and the matrices and
//! vectors the tests and the benchmark feed the tile.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `y_c = sum_r x_r * W[r][c]`, exactly, in `i64` (the definition, nothing else).
pub fn dense_product(x: &[i64], w: &[Vec<i64>]) -> Vec<i64> {
    let cols = w.first().map_or(0, |r| r.len());
    let mut y = vec![0i64; cols];
    for (xr, row) in x.iter().zip(w) {
        for (yc, wc) in y.iter_mut().zip(row) {
            *yc += xr * wc;
        }
    }
    y
}

/// Magnitude pruning: zeroes the `round(fraction * rows * cols)` weights of smallest
/// magnitude (ties broken by position, row-major), keeping the rest.
pub fn magnitude_prune(w: &[Vec<i64>], fraction: f64) -> Vec<Vec<i64>> {
    let cols = w.first().map_or(0, |r| r.len());
    let total = w.len() * cols;
    let k = ((fraction.clamp(0.0, 1.0) * total as f64).round() as usize).min(total);
    let mut order: Vec<(i64, usize)> = w
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, v)| (v.abs(), i))
        .collect();
    order.sort();
    let mut out = w.to_vec();
    for &(_, i) in order.iter().take(k) {
        out[i / cols][i % cols] = 0;
    }
    out
}

/// A `rows x cols` INT8 matrix whose entries are zero with probability `sparsity` and
/// otherwise uniform non-zero in -128..=127.
pub fn random_weights(rows: usize, cols: usize, sparsity: f64, seed: u64) -> Vec<Vec<i64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..rows)
        .map(|_| {
            (0..cols)
                .map(|_| {
                    if rng.gen_bool(sparsity.clamp(0.0, 1.0)) {
                        0
                    } else {
                        nonzero_i8(&mut rng)
                    }
                })
                .collect()
        })
        .collect()
}

/// A `rows x cols` INT8 weight matrix pruned by whole rows: `round(sparsity * rows)` rows,
/// chosen at random (seeded), are all zero and every weight of the other rows is non-zero
/// (row-structured pruning: a zero row is an input neuron the layer no longer reads).
pub fn row_pruned_weights(rows: usize, cols: usize, sparsity: f64, seed: u64) -> Vec<Vec<i64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let zero_rows = (sparsity.clamp(0.0, 1.0) * rows as f64).round() as usize;
    let mut order: Vec<usize> = (0..rows).collect();
    order.shuffle(&mut rng);
    let mut zero = vec![false; rows];
    for &r in &order[..zero_rows] {
        zero[r] = true;
    }
    zero.iter()
        .map(|&z| {
            (0..cols)
                .map(|_| if z { 0 } else { nonzero_i8(&mut rng) })
                .collect()
        })
        .collect()
}

/// A vector of `rows` INT8 activations, zero with probability `sparsity`.
pub fn random_vector(rows: usize, sparsity: f64, rng: &mut ChaCha8Rng) -> Vec<i64> {
    (0..rows)
        .map(|_| {
            if rng.gen_bool(sparsity.clamp(0.0, 1.0)) {
                0
            } else {
                nonzero_i8(rng)
            }
        })
        .collect()
}

fn nonzero_i8(rng: &mut ChaCha8Rng) -> i64 {
    loop {
        let v: i64 = rng.gen_range(-128..=127);
        if v != 0 {
            return v;
        }
    }
}

/// Adversarial activation vectors for `rows` inputs and router blocks of `block` lanes:
/// all zero, one non-zero (first, last), all non-zero (all -128, all 127), every non-zero
/// lane in one block (the first and the last block), alternating lanes.
pub fn adversarial_vectors(rows: usize, block: usize) -> Vec<(String, Vec<i64>)> {
    let mut v = vec![
        ("all zero".to_string(), vec![0; rows]),
        ("one non-zero (first)".to_string(), {
            let mut x = vec![0; rows];
            x[0] = -128;
            x
        }),
        ("one non-zero (last)".to_string(), {
            let mut x = vec![0; rows];
            x[rows - 1] = 127;
            x
        }),
        ("all -128".to_string(), vec![-128; rows]),
        ("all 127".to_string(), vec![127; rows]),
        (
            "alternating".to_string(),
            (0..rows)
                .map(|i| if i % 2 == 0 { -1 - i as i64 % 100 } else { 0 })
                .collect(),
        ),
    ];
    let b = block.clamp(1, rows);
    v.push((
        "all in the first block".to_string(),
        (0..rows).map(|i| if i < b { -128 } else { 0 }).collect(),
    ));
    v.push((
        "all in the last block".to_string(),
        (0..rows)
            .map(|i| if i >= rows - b { 127 - i as i64 % 7 } else { 0 })
            .collect(),
    ));
    v
}

/// Adversarial weight matrices: all zero, one non-zero weight, all non-zero (extremes),
/// every non-zero weight in one row block, one dense column.
pub fn adversarial_weights(rows: usize, cols: usize, block: usize) -> Vec<(String, Vec<Vec<i64>>)> {
    let b = block.clamp(1, rows);
    vec![
        ("all zero".into(), vec![vec![0; cols]; rows]),
        ("one non-zero".into(), {
            let mut w = vec![vec![0; cols]; rows];
            w[rows / 2][cols - 1] = -128;
            w
        }),
        ("all -128".into(), vec![vec![-128; cols]; rows]),
        (
            "all in one row block".into(),
            (0..rows)
                .map(|r| {
                    (0..cols)
                        .map(|c| {
                            if r >= rows - b {
                                127 - (r + c) as i64 % 5
                            } else {
                                0
                            }
                        })
                        .collect()
                })
                .collect(),
        ),
        (
            "one dense column".into(),
            (0..rows)
                .map(|r| {
                    (0..cols)
                        .map(|c| if c == 0 { -(r as i64 % 128) - 1 } else { 0 })
                        .collect()
                })
                .collect(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_product_by_hand() {
        let w = vec![vec![1, -2], vec![3, 4], vec![-128, 127]];
        assert_eq!(
            dense_product(&[2, -1, 1], &w),
            vec![2 - 3 - 128, -4 - 4 + 127]
        );
    }

    #[test]
    fn prune_keeps_the_largest() {
        let w = vec![vec![1, -5], vec![3, -2]];
        assert_eq!(magnitude_prune(&w, 0.5), vec![vec![0, -5], vec![3, 0]]);
        assert_eq!(magnitude_prune(&w, 0.0), w);
        assert_eq!(magnitude_prune(&w, 1.0), vec![vec![0, 0], vec![0, 0]]);
    }

    #[test]
    fn row_pruning_zeroes_whole_rows_and_only_them() {
        let w = row_pruned_weights(64, 8, 0.75, 3);
        let zero_rows = w.iter().filter(|r| r.iter().all(|v| *v == 0)).count();
        assert_eq!(zero_rows, 48);
        // The other rows are fully dense, and a different seed picks different rows.
        assert!(w
            .iter()
            .all(|r| r.iter().all(|v| *v == 0) || r.iter().all(|v| *v != 0)));
        let v = row_pruned_weights(64, 8, 0.75, 4);
        let zeros = |w: &Vec<Vec<i64>>| -> Vec<bool> { w.iter().map(|r| r[0] == 0).collect() };
        assert_ne!(zeros(&w), zeros(&v));
        assert!(row_pruned_weights(8, 2, 0.0, 1)
            .iter()
            .flatten()
            .all(|v| *v != 0));
    }

    #[test]
    fn random_weights_hit_the_sparsity() {
        let w = random_weights(64, 64, 0.75, 1);
        let zeros = w.iter().flatten().filter(|v| **v == 0).count();
        assert!((2800..=3350).contains(&zeros), "{zeros}");
    }
}
