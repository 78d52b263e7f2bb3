//! Properties of the butterfly golden model.

use nicc_testbench::butterfly::golden;
use proptest::prelude::*;

fn lanes_and_values() -> impl Strategy<Value = (Vec<u64>, Vec<bool>)> {
    (1usize..=6).prop_flat_map(|k| {
        let n = 1usize << k;
        (
            prop::collection::vec(any::<u64>(), n),
            prop::collection::vec(any::<bool>(), n),
        )
    })
}

proptest! {
    #[test]
    fn expand_of_compact_is_v_and_mask((v, m) in lanes_and_values(), k_out in 1usize..=64) {
        let k_out = k_out.min(v.len());
        let c = golden::compact(&v, &m, k_out).unwrap();
        prop_assert_eq!(c.count, m.iter().filter(|&&b| b).count());
        prop_assert_eq!(c.beats.len(), c.count.div_ceil(k_out).max(1));
        // Reassemble the beats into one dense vector of N lanes.
        let mut dense: Vec<u64> = c.beats.iter().flat_map(|b| b.values.clone()).collect();
        dense.resize(v.len(), 0);
        let back = golden::expand(&dense, &m).unwrap();
        let want: Vec<u64> = v.iter().zip(&m).map(|(&x, &b)| if b { x } else { 0 }).collect();
        prop_assert_eq!(back, want);
        // Indices increase and point at the values.
        let idx: Vec<usize> = c.beats.iter().flat_map(|b| b.index.iter().zip(&b.valid))
            .filter(|(_, &ok)| ok).map(|(&i, _)| i).collect();
        prop_assert!(idx.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(idx.iter().all(|&i| m[i]));
    }
}
