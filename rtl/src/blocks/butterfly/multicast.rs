//! Multicast routing on a Benes topology with SIGMA-style switches.
//!
//! Every 2x2 switch has two independent 2:1 muxes ([`MuxSwitch`]), so one input can reach both
//! outputs. The request is a destination list per input (or, equivalently, a source per output).
//!
//! # Algorithm
//! The looping algorithm generalised: at a Benes level on n positions, the first stage (pair bit
//! 0) feeds two sub-networks (positions with bit 0 = 0 and = 1) and the last stage takes one value
//! from each. Every used output gets a colour (the sub-network that delivers it). Two constraints
//! are *necessary*:
//! - the two outputs of a last-stage switch with different sources use different sub-networks;
//! - when both inputs of a first-stage switch are used, each enters exactly one sub-network, a
//!   different one, so all outputs of one input share a colour, opposite to the partner's.
//!
//! An input whose partner is unused may enter both sub-networks (broadcast). These parity
//! constraints are solved with a union-find; a contradiction at the first level proves the request
//! impossible ([`MulticastError::Impossible`]). Free choices (components without constraints) are
//! made deterministically first, then by a seeded pseudo-random sequence; if no attempt routes the
//! sub-networks, [`MulticastError::Unroutable`] is returned (the request may be impossible, or may
//! need a different network). Every permutation and partial permutation routes on the first
//! attempt (the constraint graph is then a union of paths and even cycles), as does a broadcast of
//! one input to every output.

use super::switch_model::{benes_bits, MuxSwitch};
use thiserror::Error;

/// Number of pseudo-random attempts for the free colour choices before giving up.
pub const ATTEMPTS: u64 = 64;

/// Mux settings of a multicast Benes network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MulticastConfig {
    /// Number of lanes N.
    pub lanes: usize,
    /// `switches[s][w]`: switch w of stage s (2 log2 N - 1 stages of N/2 switches).
    pub switches: Vec<Vec<MuxSwitch>>,
    /// `out_valid[j]`: output j has a source (outputs without one must be ignored or zeroed).
    pub out_valid: Vec<bool>,
}

impl MulticastConfig {
    /// Pair bit of every stage: 0, 1, ..., k-1, ..., 1, 0.
    pub fn pair_bits(&self) -> Vec<usize> {
        benes_bits(self.lanes.trailing_zeros() as usize)
    }

    /// Mux selects flattened for a configuration port: for switch w of stage s, bit
    /// `2 (s N/2 + w)` is `lo_from_hi` and the next bit `hi_from_lo`.
    pub fn to_bits(&self) -> Vec<bool> {
        self.switches
            .iter()
            .flatten()
            .flat_map(|s| [s.lo_from_hi, s.hi_from_lo])
            .collect()
    }
}

/// A multicast request that cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MulticastError {
    /// The request does not have a power-of-two number (>= 2) of lanes.
    #[error("multicast request has {0} lanes: the network needs a power of two >= 2")]
    Length(usize),
    /// A destination names an output that does not exist.
    #[error("input {input} lists output {output}, but outputs are 0..{lanes}")]
    OutOfRange {
        /// The input lane.
        input: usize,
        /// The output it listed.
        output: usize,
        /// The lane count.
        lanes: usize,
    },
    /// Two inputs claim the same output.
    #[error("output {output} is claimed by inputs {first} and {second}: an output has one source")]
    Claimed {
        /// The output lane.
        output: usize,
        /// The first input claiming it.
        first: usize,
        /// The second input claiming it.
        second: usize,
    },
    /// The request provably cannot be routed on this network.
    #[error("multicast request cannot be routed on the {lanes}-lane Benes network: {reason}")]
    Impossible {
        /// The lane count.
        lanes: usize,
        /// Which switch constraint is contradicted.
        reason: String,
    },
    /// No attempt of the router found a configuration.
    #[error(
        "multicast request was not routed on the {lanes}-lane Benes network after {attempts} \
         attempts (last conflict: {reason}); split it into several passes or use a crossbar"
    )]
    Unroutable {
        /// The lane count.
        lanes: usize,
        /// Attempts made.
        attempts: u64,
        /// The last conflict met.
        reason: String,
    },
}

/// Convert a destination list (`dests[x]` = outputs fed by input x) to a source per output.
pub fn sources_from_destinations(
    dests: &[Vec<usize>],
) -> Result<Vec<Option<usize>>, MulticastError> {
    let n = dests.len();
    let mut src: Vec<Option<usize>> = vec![None; n];
    for (input, outs) in dests.iter().enumerate() {
        for &output in outs {
            if output >= n {
                return Err(MulticastError::OutOfRange {
                    input,
                    output,
                    lanes: n,
                });
            }
            match src[output] {
                Some(first) if first != input => {
                    return Err(MulticastError::Claimed {
                        output,
                        first,
                        second: input,
                    })
                }
                _ => src[output] = Some(input),
            }
        }
    }
    Ok(src)
}

/// Route a destination list: `dests[x]` lists the outputs that receive input x.
pub fn route_destinations(dests: &[Vec<usize>]) -> Result<MulticastConfig, MulticastError> {
    let src = sources_from_destinations(dests)?;
    route_sources(&src)
}

/// Route a source per output: `src[j] = Some(x)` makes output j receive input x.
pub fn route_sources(src: &[Option<usize>]) -> Result<MulticastConfig, MulticastError> {
    let n = src.len();
    if n < 2 || !n.is_power_of_two() {
        return Err(MulticastError::Length(n));
    }
    for (output, s) in src.iter().enumerate() {
        if let Some(input) = *s {
            if input >= n {
                return Err(MulticastError::OutOfRange {
                    input,
                    output,
                    lanes: n,
                });
            }
        }
    }
    let k = n.trailing_zeros() as usize;
    let mut last_reason = String::new();
    for attempt in 0..ATTEMPTS {
        let mut switches = vec![vec![MuxSwitch::STRAIGHT; n / 2]; 2 * k - 1];
        let mut rng = Rng(attempt.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        match route_rec(src, 0, k, 0, &mut switches, &mut rng, attempt) {
            Ok(()) => {
                let out_valid = src.iter().map(Option::is_some).collect();
                return Ok(MulticastConfig {
                    lanes: n,
                    switches,
                    out_valid,
                });
            }
            Err(Fail::Proof(reason)) => {
                return Err(MulticastError::Impossible { lanes: n, reason })
            }
            Err(Fail::Stuck(reason)) => last_reason = reason,
        }
    }
    Err(MulticastError::Unroutable {
        lanes: n,
        attempts: ATTEMPTS,
        reason: last_reason,
    })
}

enum Fail {
    /// Contradiction among necessary constraints at the top level.
    Proof(String),
    /// Contradiction inside a sub-network (depends on earlier free choices).
    Stuck(String),
}

/// Tiny xorshift generator for the free colour choices (deterministic per attempt).
struct Rng(u64);

impl Rng {
    fn bit(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 & 1 == 1
    }
}

/// Union-find over outputs with the parity (same / different colour) to the parent.
struct ParityUf {
    parent: Vec<usize>,
    parity: Vec<bool>,
}

impl ParityUf {
    fn new(n: usize) -> Self {
        ParityUf {
            parent: (0..n).collect(),
            parity: vec![false; n],
        }
    }
    fn find(&mut self, x: usize) -> (usize, bool) {
        let mut root = x;
        let mut par = false;
        while self.parent[root] != root {
            par ^= self.parity[root];
            root = self.parent[root];
        }
        // Path compression with parity.
        let mut cur = x;
        let mut cur_par = par;
        while self.parent[cur] != cur {
            let next = self.parent[cur];
            let next_par = cur_par ^ self.parity[cur];
            self.parent[cur] = root;
            self.parity[cur] = cur_par;
            cur = next;
            cur_par = next_par;
        }
        (root, par)
    }
    /// Require colour(a) XOR colour(b) == differ; false on contradiction.
    fn union(&mut self, a: usize, b: usize, differ: bool) -> bool {
        let (ra, pa) = self.find(a);
        let (rb, pb) = self.find(b);
        if ra == rb {
            return pa ^ pb == differ;
        }
        self.parent[ra] = rb;
        self.parity[ra] = pa ^ pb ^ differ;
        true
    }
}

/// Route `src` on the sub-network at recursion `level` whose global positions are
/// `(local << level) | offset`.
fn route_rec(
    src: &[Option<usize>],
    level: usize,
    k: usize,
    offset: usize,
    switches: &mut [Vec<MuxSwitch>],
    rng: &mut Rng,
    attempt: u64,
) -> Result<(), Fail> {
    let n = src.len();
    if n == 2 {
        switches[level][offset] = MuxSwitch {
            lo_from_hi: src[0] == Some(1),
            hi_from_lo: src[1] == Some(0),
        };
        return Ok(());
    }
    let fail = |reason: String| {
        if level == 0 {
            Fail::Proof(reason)
        } else {
            Fail::Stuck(reason)
        }
    };
    // Outputs of every input.
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (y, s) in src.iter().enumerate() {
        if let Some(x) = *s {
            outs[x].push(y);
        }
    }
    let mut uf = ParityUf::new(n);
    for (x, ox) in outs.iter().enumerate() {
        if ox.is_empty() || outs[x ^ 1].is_empty() {
            continue;
        }
        for w in ox.windows(2) {
            if !uf.union(w[0], w[1], false) {
                return Err(fail(format!(
                    "input {} must enter one sub-network, but its outputs need both",
                    (x << level) | offset
                )));
            }
        }
        if x & 1 == 0 && !uf.union(ox[0], outs[x ^ 1][0], true) {
            return Err(fail(format!(
                "inputs {} and {} share a first-stage switch and must use different sub-networks",
                (x << level) | offset,
                ((x ^ 1) << level) | offset
            )));
        }
    }
    for v in 0..n / 2 {
        if let (Some(a), Some(b)) = (src[2 * v], src[2 * v + 1]) {
            if a != b && !uf.union(2 * v, 2 * v + 1, true) {
                return Err(fail(format!(
                    "outputs {} and {} have different sources and need different sub-networks",
                    ((2 * v) << level) | offset,
                    ((2 * v + 1) << level) | offset
                )));
            }
        }
    }
    // Soft: a last-stage switch whose two outputs share a source takes it from one sub-network.
    for v in 0..n / 2 {
        if let (Some(a), Some(b)) = (src[2 * v], src[2 * v + 1]) {
            if a == b {
                let (ra, pa) = uf.find(2 * v);
                let (rb, pb) = uf.find(2 * v + 1);
                if ra != rb || pa == pb {
                    uf.union(2 * v, 2 * v + 1, false);
                }
            }
        }
    }
    // Colour: root colour chosen per component (attempt 0: alternate for balance, then random).
    let mut root_colour: Vec<Option<bool>> = vec![None; n];
    let mut toggle = false;
    let mut colour = vec![false; n];
    for y in 0..n {
        if src[y].is_none() {
            continue;
        }
        let (r, p) = uf.find(y);
        let rc = *root_colour[r].get_or_insert_with(|| {
            toggle = !toggle;
            if attempt == 0 {
                toggle
            } else {
                rng.bit()
            }
        });
        colour[y] = rc ^ p;
    }
    // First stage: sub-network c input w carries the input of {2w, 2w+1} with an output of colour c.
    let last = 2 * k - 2 - level;
    let mut sub_src: [Vec<Option<usize>>; 2] = [vec![None; n / 2], vec![None; n / 2]];
    for w in 0..n / 2 {
        let global = (w << level) | offset;
        let carrier = |c: bool| {
            [2 * w, 2 * w + 1]
                .into_iter()
                .find(|&x| outs[x].iter().any(|&y| colour[y] == c))
        };
        let (c0, c1) = (carrier(false), carrier(true));
        switches[level][global] = MuxSwitch {
            lo_from_hi: c0 == Some(2 * w + 1),
            hi_from_lo: c1 == Some(2 * w),
        };
        let lo = src[2 * w];
        let hi = src[2 * w + 1];
        switches[last][global] = MuxSwitch {
            lo_from_hi: lo.is_some() && colour[2 * w],
            hi_from_lo: hi.is_some() && !colour[2 * w + 1],
        };
        for y in [2 * w, 2 * w + 1] {
            if let Some(x) = src[y] {
                sub_src[usize::from(colour[y])][w] = Some(x >> 1);
            }
        }
    }
    for (c, s) in sub_src.iter().enumerate() {
        route_rec(
            s,
            level + 1,
            k,
            offset | (c << level),
            switches,
            rng,
            attempt,
        )?;
    }
    Ok(())
}
