//! White-box switch-level model of the router networks.
//!
//! Used by tests to check that control bits route what they should; golden models never use it.
//! Topology (shared with the generator): a stage with pair bit m has N/2 switches; switch w joins
//! positions `lo` = w with a 0 inserted at bit m and `hi = lo | 1 << m`.

/// The two positions `(lo, hi)` joined by switch `w` of a stage with pair bit `pair_bit`.
pub fn switch_positions(pair_bit: usize, w: usize) -> (usize, usize) {
    let low = w & ((1 << pair_bit) - 1);
    let lo = ((w >> pair_bit) << (pair_bit + 1)) | low;
    (lo, lo | (1 << pair_bit))
}

/// The switch index of wire position `pos` in a stage with pair bit `pair_bit`.
pub fn switch_of(pair_bit: usize, pos: usize) -> usize {
    ((pos >> (pair_bit + 1)) << pair_bit) | (pos & ((1 << pair_bit) - 1))
}

/// Pair bits of the inverse butterfly (compaction): 0, 1, ..., k-1.
pub fn inverse_butterfly_bits(log2_lanes: usize) -> Vec<usize> {
    (0..log2_lanes).collect()
}

/// Pair bits of the butterfly (expansion): k-1, ..., 1, 0.
pub fn butterfly_bits(log2_lanes: usize) -> Vec<usize> {
    (0..log2_lanes).rev().collect()
}

/// Pair bits of the Benes network: 0, 1, ..., k-1, k-2, ..., 0 (2k - 1 stages).
pub fn benes_bits(log2_lanes: usize) -> Vec<usize> {
    let k = log2_lanes;
    (0..k).chain((0..k.saturating_sub(1)).rev()).collect()
}

/// Apply one stage of exchange switches in place: `cross[w]` swaps the two values of switch w.
pub fn apply_exchange_stage<T>(values: &mut [T], pair_bit: usize, cross: &[bool]) {
    for (w, &c) in cross.iter().enumerate() {
        if c {
            let (lo, hi) = switch_positions(pair_bit, w);
            values.swap(lo, hi);
        }
    }
}

/// Run `values` through exchange stages (`pair_bits[s]`, `controls[s][w]`), returning the output.
pub fn simulate_exchange<T: Clone>(
    values: &[T],
    pair_bits: &[usize],
    controls: &[Vec<bool>],
) -> Vec<T> {
    let mut v = values.to_vec();
    for (&m, c) in pair_bits.iter().zip(controls) {
        apply_exchange_stage(&mut v, m, c);
    }
    v
}

/// A SIGMA-style 2x2 switch: two independent 2:1 muxes, one per output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MuxSwitch {
    /// The `lo` output takes the `hi` input (else the `lo` input).
    pub lo_from_hi: bool,
    /// The `hi` output takes the `lo` input (else the `hi` input).
    pub hi_from_lo: bool,
}

impl MuxSwitch {
    /// Pass straight through.
    pub const STRAIGHT: MuxSwitch = MuxSwitch {
        lo_from_hi: false,
        hi_from_lo: false,
    };
    /// Exchange the two inputs.
    pub const CROSS: MuxSwitch = MuxSwitch {
        lo_from_hi: true,
        hi_from_lo: true,
    };
    /// Copy the `lo` input to both outputs.
    pub const BROADCAST_LO: MuxSwitch = MuxSwitch {
        lo_from_hi: false,
        hi_from_lo: true,
    };
    /// Copy the `hi` input to both outputs.
    pub const BROADCAST_HI: MuxSwitch = MuxSwitch {
        lo_from_hi: true,
        hi_from_lo: false,
    };
}

/// Run `values` through stages of mux switches (`pair_bits[s]`, `switches[s][w]`).
pub fn simulate_mux<T: Clone>(
    values: &[T],
    pair_bits: &[usize],
    switches: &[Vec<MuxSwitch>],
) -> Vec<T> {
    let mut v = values.to_vec();
    for (&m, stage) in pair_bits.iter().zip(switches) {
        let prev = v.clone();
        for (w, s) in stage.iter().enumerate() {
            let (lo, hi) = switch_positions(m, w);
            v[lo] = prev[if s.lo_from_hi { hi } else { lo }].clone();
            v[hi] = prev[if s.hi_from_lo { lo } else { hi }].clone();
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_index_agree() {
        for m in 0..4 {
            let mut seen = [false; 16];
            for w in 0..8 {
                let (lo, hi) = switch_positions(m, w);
                assert_eq!(hi - lo, 1 << m);
                assert_eq!(switch_of(m, lo), w);
                assert_eq!(switch_of(m, hi), w);
                seen[lo] = true;
                seen[hi] = true;
            }
            assert!(seen.iter().all(|&s| s));
        }
        assert_eq!(benes_bits(3), vec![0, 1, 2, 1, 0]);
        assert_eq!(benes_bits(1), vec![0]);
    }
}
