//! Golden model of the butterfly router, computed from the definitions of issue 6.
//!
//! Generic over the lane value `T` (`u64`, [`nicc_rtl::Bits`], ...); `T::default()` is zero.

use thiserror::Error;

/// A request the golden model refuses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GoldenError {
    /// Values and mask (or permutation, destination list) have different lengths.
    #[error("{what} has {got} entries but there are {lanes} lanes")]
    Length {
        /// Which argument.
        what: &'static str,
        /// Its length.
        got: usize,
        /// The lane count.
        lanes: usize,
    },
    /// `out_lanes` is zero.
    #[error("out_lanes must be at least 1")]
    OutLanes,
    /// A permutation entry is out of range or repeated.
    #[error(
        "not a permutation: output {output} asks for input {input}, out of range or already used"
    )]
    NotPermutation {
        /// Output lane.
        output: usize,
        /// Input lane it asks for.
        input: usize,
    },
    /// A destination is out of range or claimed twice.
    #[error("bad destination list: input {input} lists output {output}, out of range or already claimed")]
    BadDestination {
        /// Input lane.
        input: usize,
        /// Output lane.
        output: usize,
    },
}

/// One output beat of compaction: `out_lanes` lanes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Beat<T> {
    /// Lane values; lanes past the selected count are zero.
    pub values: Vec<T>,
    /// Original lane index of each value; zero on invalid lanes.
    pub index: Vec<usize>,
    /// Which lanes carry a selected value.
    pub valid: Vec<bool>,
}

/// Result of compaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compacted<T> {
    /// Number of selected lanes (popcount of the mask).
    pub count: usize,
    /// ceil(count / out_lanes) beats (at least one).
    pub beats: Vec<Beat<T>>,
}

fn check_len(what: &'static str, got: usize, lanes: usize) -> Result<(), GoldenError> {
    if got == lanes {
        Ok(())
    } else {
        Err(GoldenError::Length { what, got, lanes })
    }
}

/// The `nonzero` mask: lane i is selected iff its value differs from zero.
pub fn nonzero_mask<T: Default + PartialEq>(values: &[T]) -> Vec<bool> {
    let zero = T::default();
    values.iter().map(|v| *v != zero).collect()
}

/// Compact: the values at the set mask positions i_0 < i_1 < ..., with their indices, in beats of
/// `out_lanes` lanes; lanes past the count are zero and invalid.
pub fn compact<T: Clone + Default>(
    values: &[T],
    mask: &[bool],
    out_lanes: usize,
) -> Result<Compacted<T>, GoldenError> {
    check_len("mask", mask.len(), values.len())?;
    if out_lanes == 0 {
        return Err(GoldenError::OutLanes);
    }
    let positions: Vec<usize> = (0..values.len()).filter(|&i| mask[i]).collect();
    let count = positions.len();
    let beats = count.div_ceil(out_lanes).max(1);
    let beats = (0..beats)
        .map(|b| {
            let mut beat = Beat {
                values: vec![T::default(); out_lanes],
                index: vec![0; out_lanes],
                valid: vec![false; out_lanes],
            };
            for lane in 0..out_lanes {
                if let Some(&i) = positions.get(b * out_lanes + lane) {
                    beat.values[lane] = values[i].clone();
                    beat.index[lane] = i;
                    beat.valid[lane] = true;
                }
            }
            beat
        })
        .collect();
    Ok(Compacted { count, beats })
}

/// Expand: lane i gets the next dense value if mask bit i is set (in order), zero otherwise.
/// `dense` has N entries; entries past popcount(mask) are ignored.
pub fn expand<T: Clone + Default>(dense: &[T], mask: &[bool]) -> Result<Vec<T>, GoldenError> {
    check_len("mask", mask.len(), dense.len())?;
    let mut next = dense.iter();
    Ok(mask
        .iter()
        .map(|&m| {
            if m {
                next.next().cloned().unwrap_or_default()
            } else {
                T::default()
            }
        })
        .collect())
}

/// Permute: output j = `values[perm[j]]`; `perm` must be a permutation of 0..N.
pub fn permute<T: Clone>(values: &[T], perm: &[usize]) -> Result<Vec<T>, GoldenError> {
    check_len("permutation", perm.len(), values.len())?;
    let mut used = vec![false; values.len()];
    for (output, &input) in perm.iter().enumerate() {
        if input >= values.len() || used[input] {
            return Err(GoldenError::NotPermutation { output, input });
        }
        used[input] = true;
    }
    Ok(perm.iter().map(|&i| values[i].clone()).collect())
}

/// Multicast: every output listed in `dests[x]` gets `values[x]`; unlisted outputs are zero.
pub fn multicast<T: Clone + Default>(
    values: &[T],
    dests: &[Vec<usize>],
) -> Result<Vec<T>, GoldenError> {
    check_len("destination list", dests.len(), values.len())?;
    let n = values.len();
    let mut out: Vec<Option<T>> = vec![None; n];
    for (input, list) in dests.iter().enumerate() {
        for &output in list {
            if output >= n || out[output].is_some() {
                return Err(GoldenError::BadDestination { input, output });
            }
            out[output] = Some(values[input].clone());
        }
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_example_multi_beat() {
        let v = [0u64, 7, 0, 9, 4, 0, 0, 2];
        let m = nonzero_mask(&v);
        let c = compact(&v, &m, 3).unwrap();
        assert_eq!(c.count, 4);
        assert_eq!(c.beats.len(), 2);
        assert_eq!(c.beats[0].values, vec![7, 9, 4]);
        assert_eq!(c.beats[0].index, vec![1, 3, 4]);
        assert_eq!(c.beats[1].values, vec![2, 0, 0]);
        assert_eq!(c.beats[1].index, vec![7, 0, 0]);
        assert_eq!(c.beats[1].valid, vec![true, false, false]);
        let empty = compact(&[0u64; 4], &[false; 4], 4).unwrap();
        assert_eq!((empty.count, empty.beats.len()), (0, 1));
    }

    #[test]
    fn expand_permute_multicast_examples() {
        let m = [false, true, true, false];
        assert_eq!(expand(&[5u64, 6, 7, 8], &m).unwrap(), vec![0, 5, 6, 0]);
        assert_eq!(
            permute(&[1u64, 2, 3, 4], &[3, 0, 1, 2]).unwrap(),
            vec![4, 1, 2, 3]
        );
        assert!(permute(&[1u64, 2], &[1, 1]).is_err());
        let d = vec![vec![1, 2], vec![], vec![0], vec![]];
        assert_eq!(multicast(&[1u64, 2, 3, 4], &d).unwrap(), vec![3, 1, 1, 0]);
        assert!(multicast(&[1u64, 2], &[vec![0], vec![0]]).is_err());
        assert!(compact(&[1u64, 2], &[true], 2).is_err());
    }
}
