//! Benes routing of any permutation by the looping algorithm.
//!
//! The network on N = 2^k positions has 2k - 1 stages of N/2 exchange switches with pair bits
//! 0, 1, ..., k-1, ..., 1, 0 (see [`super::switch_model::benes_bits`]). Stage 0 and stage 2k-2 split
//! the positions by bit 0 into two sub-networks (bit 0 = 0 and bit 0 = 1), each a Benes network on
//! the remaining bits; the looping algorithm 2-colours the inputs so that the two inputs of every
//! first-stage switch, and the two sources of every last-stage switch, use different
//! sub-networks, then recurses.

use super::switch_model::benes_bits;
use thiserror::Error;

/// Control bits of a Benes network: `controls[stage][switch]`, `true` = cross.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BenesConfig {
    /// Number of lanes N.
    pub lanes: usize,
    /// `controls[s][w]` crosses switch w of stage s (2 log2 N - 1 stages of N/2 switches).
    pub controls: Vec<Vec<bool>>,
}

impl BenesConfig {
    /// Pair bit of every stage: 0, 1, ..., k-1, ..., 1, 0.
    pub fn pair_bits(&self) -> Vec<usize> {
        benes_bits(self.lanes.trailing_zeros() as usize)
    }

    /// The control bits flattened for a configuration port: bit `s * N/2 + w` is switch w of
    /// stage s.
    pub fn to_bits(&self) -> Vec<bool> {
        self.controls.iter().flatten().copied().collect()
    }
}

/// A request the Benes router cannot accept.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BenesError {
    /// The permutation length is not a power of two >= 2.
    #[error("permutation has {0} entries: a Benes network needs a power of two >= 2 lanes")]
    Length(usize),
    /// An entry names an input lane that does not exist.
    #[error("output {output} asks for input {input}, but inputs are 0..{lanes}")]
    OutOfRange {
        /// The output lane.
        output: usize,
        /// The input lane it asked for.
        input: usize,
        /// The lane count.
        lanes: usize,
    },
    /// Two outputs ask for the same input (use multicast for copies).
    #[error(
        "outputs {first} and {second} both ask for input {input}: a permutation uses every input \
         once (multicast mode copies inputs)"
    )]
    Repeated {
        /// The input lane asked for twice.
        input: usize,
        /// The first output asking for it.
        first: usize,
        /// The second output asking for it.
        second: usize,
    },
}

/// Check that `perm` is a permutation of 0..N with N a power of two >= 2.
pub fn check_permutation(perm: &[usize]) -> Result<(), BenesError> {
    let n = perm.len();
    if n < 2 || !n.is_power_of_two() {
        return Err(BenesError::Length(n));
    }
    let mut seen = vec![usize::MAX; n];
    for (output, &input) in perm.iter().enumerate() {
        if input >= n {
            return Err(BenesError::OutOfRange {
                output,
                input,
                lanes: n,
            });
        }
        if seen[input] != usize::MAX {
            return Err(BenesError::Repeated {
                input,
                first: seen[input],
                second: output,
            });
        }
        seen[input] = output;
    }
    Ok(())
}

/// Route the permutation `perm` (output j receives input `perm[j]`) through the Benes network.
pub fn route(perm: &[usize]) -> Result<BenesConfig, BenesError> {
    check_permutation(perm)?;
    let n = perm.len();
    let k = n.trailing_zeros() as usize;
    let mut controls = vec![vec![false; n / 2]; 2 * k - 1];
    route_rec(perm, 0, k, 0, &mut controls);
    Ok(BenesConfig { lanes: n, controls })
}

/// Route `perm` on the sub-network at recursion `level` whose global positions are
/// `(local << level) | offset`.
fn route_rec(perm: &[usize], level: usize, k: usize, offset: usize, controls: &mut [Vec<bool>]) {
    let n = perm.len();
    if n == 2 {
        controls[level][offset] = perm[0] == 1;
        return;
    }
    let mut inv = vec![0usize; n];
    for (y, &x) in perm.iter().enumerate() {
        inv[x] = y;
    }
    // sub[x]: the sub-network input x uses (2 = not yet coloured).
    let mut sub = vec![2u8; n];
    for start in (0..n).step_by(2) {
        if sub[start] != 2 {
            continue;
        }
        let mut x = start;
        loop {
            sub[x] = 0;
            sub[x ^ 1] = 1;
            // x^1 uses sub-network 1, so the other source of its output switch uses 0.
            let z = perm[inv[x ^ 1] ^ 1];
            if sub[z] != 2 {
                break;
            }
            x = z;
        }
    }
    let last = 2 * k - 2 - level;
    let mut subperm = [vec![0usize; n / 2], vec![0usize; n / 2]];
    for w in 0..n / 2 {
        let global = (w << level) | offset;
        controls[level][global] = sub[2 * w] == 1;
        controls[last][global] = sub[perm[2 * w]] == 1;
        for y in [2 * w, 2 * w + 1] {
            let x = perm[y];
            subperm[sub[x] as usize][w] = x >> 1;
        }
    }
    for (c, sp) in subperm.iter().enumerate() {
        route_rec(sp, level + 1, k, offset | (c << level), controls);
    }
}
