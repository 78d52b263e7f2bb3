//! Co-simulation of many butterfly router configurations in one Verilated model (a
//! [`matrix`](nicc_rtl::blocks::butterfly::matrix()) wrapper) against the golden model.
//!
//! Every configuration ([`MatrixSlot`]) is driven in the same cycles by its own driver state
//! (seeded from the run's seed and the configuration's module name, so adding a
//! configuration does not change the stimulus of the others):
//! - **masks** (compact, expand): every 2^N mask for N <= [`Plan::exhaustive_up_to`], then
//!   [`Plan::per_density`] random masks at each density of [`DENSITIES`] (0 %, one lane, 25, 50,
//!   75, 100 %, an exact count of set lanes; fewer for multi-beat output, see the field's docs);
//!   afterwards random densities until every slot is done. With `mask = nonzero` the unselected lanes are zero and the selected ones non-zero;
//!   with an external mask every lane is random (selected zeros and unselected non-zeros
//!   included); expand gets random values on all N dense lanes (those past the mask's count
//!   must be ignored).
//! - **configuration port** (permute, multicast): a new configuration is loaded on a random 25 %
//!   of the cycles (and first of all); on the other cycles `cfg_data` carries random bits with
//!   `cfg_we = 0`, which must not load. Permutations: identity, reversal, rotation, bit
//!   reversal, then random ones (routed by `benes::route`). Multicast requests cycle through a
//!   broadcast of one input to every output, random multicasts (retried, falling back to a
//!   partial permutation when the router refuses), partial permutations, and once an empty
//!   request.
//! - **combinational** configurations: a new vector every cycle, outputs checked after `eval`
//!   against the golden model on the configuration loaded at the last clock edge.
//! - **handshake** configurations (`pipeline > 0` or multi-beat): random `in_valid` (probability
//!   0.5, 0.7 or 0.9 per slot) and random `out_ready` (0.3, 0.6 or 0.9: back-pressure); a
//!   transaction is held until accepted, random data is driven
//!   while `in_valid` is low. Every cycle with `out_valid` high the outputs must show the
//!   oldest unfinished beat (also while stalled); a transaction is computed by the golden model
//!   on the configuration loaded when it was accepted; its first beat must appear after exactly
//!   `floor(stages / pipeline)` enabled edges (`in_ready` high) counted from its acceptance;
//!   `out_valid` without a transaction in flight is a mismatch.
//!
//! Mismatches are collected per slot ([`SlotReport::mismatches`]) with the cycle, the port, both
//! values and the stimulus; setup problems are a [`CosimError`].

use super::golden::{self, GoldenError};
use super::{pack, pack_bools};
use nicc_rtl::blocks::butterfly::{
    benes, multicast, multicast_config_bits, multicast_config_width, permute_config_bits,
    permute_config_width, ButterflyParams, MaskSource, MatrixSlot, Mode,
};
use nicc_rtl::Bits;
use nicc_sim::{Model, Port, SimError};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use std::fmt;
use thiserror::Error;

/// Lane counts of issue 6's co-simulation matrix.
pub const MATRIX_LANES: [usize; 6] = [2, 4, 8, 16, 64, 256];
/// Lane widths of issue 6's co-simulation matrix.
pub const MATRIX_WIDTHS: [usize; 3] = [1, 8, 16];
/// Every (mode, mask source) pair the generator builds: compact with either mask, expand
/// (external mask only), permute and multicast (no mask).
pub const VARIANTS: [(Mode, MaskSource); 5] = [
    (Mode::Compact, MaskSource::Nonzero),
    (Mode::Compact, MaskSource::External),
    (Mode::Expand, MaskSource::External),
    (Mode::Permute, MaskSource::Nonzero),
    (Mode::Multicast, MaskSource::Nonzero),
];

/// The pipeline depth of the pipelined configuration of variant `v`, width index `w`: 1, half
/// the stages or all of them, rotating so that every N meets each of them.
fn pipeline_of(stages: usize, v: usize, w: usize) -> usize {
    [1, stages.div_ceil(2), stages][(v + w) % 3]
}

/// Issue 6's whole co-simulation matrix (what `NICC_FULL=1` runs), per variant of [`VARIANTS`],
/// N of [`MATRIX_LANES`] and D of [`MATRIX_WIDTHS`]:
/// - the combinational configuration;
/// - one pipelined configuration (pipeline 1, half the stages or all of them, rotating);
/// - for compact (both masks), one multi-beat configuration: `out_lanes` 1, N/2 or 3 (a
///   non-divisor; 1 where N <= 3), with pipeline 0, 1 or all stages.
pub fn full_matrix() -> Vec<ButterflyParams> {
    let mut v = Vec::new();
    for (vi, &(mode, mask)) in VARIANTS.iter().enumerate() {
        for lanes in MATRIX_LANES {
            for (wi, width) in MATRIX_WIDTHS.into_iter().enumerate() {
                let base = ButterflyParams::combinational(mode, lanes, width, mask);
                let stages = base.stages();
                v.push(ButterflyParams {
                    pipeline: pipeline_of(stages, vi, wi),
                    ..base.clone()
                });
                if mode == Mode::Compact {
                    let out_lanes = match wi {
                        0 => 1,
                        1 => lanes / 2,
                        _ if lanes > 3 => 3,
                        _ => 1,
                    };
                    v.push(ButterflyParams {
                        out_lanes,
                        pipeline: [0, 1, stages][(vi + wi) % 3],
                        ..base.clone()
                    });
                }
                v.push(base);
            }
        }
    }
    v
}

/// One wrapper model of a co-simulation run: its top module name and its configurations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// The wrapper's top module name.
    pub name: String,
    /// The configurations it instantiates.
    pub configs: Vec<ButterflyParams>,
}

fn config(
    mode: Mode,
    mask: MaskSource,
    lanes: usize,
    width: usize,
    pipeline: usize,
    out_lanes: usize,
) -> ButterflyParams {
    ButterflyParams {
        lanes,
        width,
        mode,
        mask,
        pipeline,
        out_lanes,
    }
}

/// The `make test` subset, two models (about 1.0 and 1.7 MB of Verilog):
/// - `bfly_subset`: every mode and mask source, D = 1, 8 and 16, N = 2 to 64, the exhaustive
///   masks at N = 2, 4, 8 (compact with both masks, expand), the configuration port at
///   N = 2, 4, 8, 16, 64, multi-beat output (K = 1, 3, 4, 16; with and without pipeline),
///   pipelined compact, expand, permute (all stages) and multicast;
/// - `bfly_subset_n256`: compact (non-zero mask) at N = 256, D = 1 (a model of its own so that
///   the two build in parallel; permute at N = 256, D = 16 alone would add about 18 s of C++
///   compilation, so N = 256 permute and multicast run only under `NICC_FULL=1`).
///
/// Every configuration the per-configuration co-simulation tests built before is here.
pub fn subset_models() -> Vec<ModelSpec> {
    use MaskSource::{External, Nonzero};
    use Mode::{Compact, Expand, Multicast, Permute};
    let comb = |mode, mask, n, d| config(mode, mask, n, d, 0, n);
    let small = vec![
        comb(Compact, Nonzero, 2, 1),
        comb(Compact, Nonzero, 8, 8),
        comb(Compact, Nonzero, 16, 16),
        comb(Compact, Nonzero, 64, 8),
        comb(Compact, External, 4, 16),
        comb(Compact, External, 8, 1),
        comb(Expand, External, 4, 1),
        comb(Expand, External, 8, 8),
        comb(Expand, External, 64, 16),
        comb(Permute, Nonzero, 2, 1),
        comb(Permute, Nonzero, 8, 8),
        comb(Permute, Nonzero, 16, 16),
        comb(Permute, Nonzero, 64, 8),
        comb(Multicast, Nonzero, 4, 1),
        comb(Multicast, Nonzero, 8, 8),
        comb(Multicast, Nonzero, 16, 16),
        comb(Multicast, Nonzero, 64, 8),
        config(Compact, Nonzero, 8, 8, 0, 3),
        config(Compact, Nonzero, 16, 8, 2, 4),
        config(Compact, Nonzero, 64, 8, 3, 16),
        config(Compact, Nonzero, 16, 8, 1, 16),
        config(Compact, External, 8, 16, 1, 3),
        config(Compact, External, 4, 1, 2, 1),
        config(Expand, External, 16, 1, 2, 16),
        config(Permute, Nonzero, 8, 16, 5, 8),
        config(Multicast, Nonzero, 8, 1, 2, 8),
    ];
    vec![
        ModelSpec {
            name: "bfly_subset".into(),
            configs: small,
        },
        ModelSpec {
            name: "bfly_subset_n256".into(),
            configs: vec![comb(Compact, Nonzero, 256, 1)],
        },
    ]
}

/// [`full_matrix`] split into models that Verilator and the C++ compiler handle in reasonable
/// time (the compile time of one model grows faster than its size: the 36 configurations of
/// N = 64 in one model took about 15 minutes on a shared 2-core machine):
/// - `bfly_full_small`: N = 2, 4, 8; `bfly_full_n16`: N = 16;
/// - `bfly_full_n64_<group>`: N = 64, one model per variant group (`compact_nonzero`,
///   `compact_external`, `expand`, `benes` = permute and multicast);
/// - `bfly_full_n256_<group>_d<D>`: N = 256, one model per variant group and D (a compact
///   configuration at N = 256 alone is about 1.7 MB of Verilog).
pub fn full_models() -> Vec<ModelSpec> {
    let mut models: Vec<ModelSpec> = Vec::new();
    for p in full_matrix() {
        let group = match (p.mode, p.mask) {
            (Mode::Compact, m) => format!("compact_{m}"),
            (Mode::Expand, _) => "expand".into(),
            (Mode::Permute | Mode::Multicast, _) => "benes".into(),
        };
        let name = match p.lanes {
            ..=8 => "bfly_full_small".to_string(),
            16 => "bfly_full_n16".to_string(),
            64 => format!("bfly_full_n64_{group}"),
            n => format!("bfly_full_n{n}_{group}_d{}", p.width),
        };
        match models.iter_mut().find(|m| m.name == name) {
            Some(m) => m.configs.push(p),
            None => models.push(ModelSpec {
                name,
                configs: vec![p],
            }),
        }
    }
    models
}

/// Mask densities of issue 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Density {
    /// This percentage of the lanes (rounded to the nearest count, halves up) is set.
    Percent(usize),
    /// Exactly one lane is set.
    OneLane,
}

impl Density {
    /// How many of `n` lanes are set.
    pub fn count(self, n: usize) -> usize {
        match self {
            Density::Percent(p) => (n * p + 50) / 100,
            Density::OneLane => 1,
        }
    }
}

impl fmt::Display for Density {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Density::Percent(p) => write!(f, "{p} %"),
            Density::OneLane => f.write_str("one lane"),
        }
    }
}

/// The densities of issue 6: 0 %, one lane, 25 %, 50 %, 75 %, 100 %.
pub const DENSITIES: [Density; 6] = [
    Density::Percent(0),
    Density::OneLane,
    Density::Percent(25),
    Density::Percent(50),
    Density::Percent(75),
    Density::Percent(100),
];

/// A mask of `n` lanes with exactly `density.count(n)` lanes set, at random positions.
pub fn mask_at<R: Rng>(rng: &mut R, n: usize, density: Density) -> Vec<bool> {
    let mut lanes: Vec<usize> = (0..n).collect();
    lanes.shuffle(rng);
    let mut mask = vec![false; n];
    for &i in lanes.iter().take(density.count(n).min(n)) {
        mask[i] = true;
    }
    mask
}

/// How much stimulus each slot gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Random masks (vectors, for permute and multicast) per density of [`DENSITIES`]; a
    /// multi-beat configuration (K = `out_lanes` < N) gets `per_density * K / N` of them, at
    /// least 2 (its results are up to N / K beats long).
    pub per_density: usize,
    /// Every 2^N mask is driven (compact, expand) for N up to this.
    pub exhaustive_up_to: usize,
    /// Output beats a handshake configuration must deliver at least.
    pub min_beats: usize,
    /// Configurations a permute or multicast slot must load at least.
    pub min_loads: usize,
    /// A run that has not finished every slot's plan by then is a [`CosimError::Timeout`].
    pub max_cycles: u64,
}

/// Why a co-simulation could not run (mismatches are not errors: see [`SlotReport`]).
#[derive(Debug, Error)]
pub enum CosimError {
    /// The model lacks a port the slot needs, or a value does not fit.
    #[error("model: {0}")]
    Sim(#[from] SimError),
    /// The golden model refused the stimulus (a testbench bug).
    #[error("golden model: {0}")]
    Golden(#[from] GoldenError),
    /// A permutation could not be routed (a testbench or router bug).
    #[error("{module}: routing a configuration failed: {reason}")]
    Route {
        /// The slot's module.
        module: String,
        /// The router's message.
        reason: String,
    },
    /// Lanes wider than the driver's `u64` values.
    #[error("{module}: lanes of {width} bits; the co-simulation driver handles at most 64")]
    Width {
        /// The slot's module.
        module: String,
        /// Its lane width.
        width: usize,
    },
    /// Some slots had not finished their plan after `cycles` cycles.
    #[error(
        "after {cycles} cycles these configurations had not finished their plan: {unfinished}"
    )]
    Timeout {
        /// Cycles run.
        cycles: u64,
        /// The unfinished slots and what they lacked.
        unfinished: String,
    },
}

/// An output that differs from the golden model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Cycle after reset.
    pub cycle: u64,
    /// The configuration's port (or `latency`, `out_valid`, `in_ready` for protocol checks).
    pub port: String,
    /// What the golden model says.
    pub expected: String,
    /// What the RTL showed.
    pub actual: String,
    /// The stimulus: mask, values and loaded configuration.
    pub stimulus: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cycle {}: {}: expected {}, got {} ({})",
            self.cycle, self.port, self.expected, self.actual, self.stimulus
        )
    }
}

/// What one configuration did in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotReport {
    /// The configuration.
    pub params: ButterflyParams,
    /// Its module name.
    pub module: String,
    /// Combinational vectors checked.
    pub vectors: usize,
    /// Handshake transactions accepted.
    pub transactions: usize,
    /// Output beats taken (`out_valid & out_ready`).
    pub beats: usize,
    /// Accepted transactions whose result took two or more beats.
    pub multi_beat_results: usize,
    /// Cycles with `out_valid` high and `out_ready` low.
    pub stalls: usize,
    /// Whether every 2^N mask was driven and checked (combinational) or accepted (handshake).
    pub exhaustive: bool,
    /// Planned masks or vectors checked (combinational) or accepted (handshake).
    pub planned: usize,
    /// Configurations loaded through `cfg_we`.
    pub loads: usize,
    /// Multicast configurations loaded in which some input feeds two or more outputs.
    pub multicasts: usize,
    /// The first mismatches (at most [`MAX_MISMATCHES`]).
    pub mismatches: Vec<Mismatch>,
}

/// Mismatches kept per slot.
pub const MAX_MISMATCHES: usize = 20;

/// A loaded routing configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cfg {
    Perm(Vec<usize>),
    Dests(Vec<Vec<usize>>),
}

impl fmt::Display for Cfg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cfg::Perm(p) => write!(f, "perm {p:?}"),
            Cfg::Dests(d) => write!(f, "dests {d:?}"),
        }
    }
}

/// One input vector.
#[derive(Debug, Clone)]
struct Stim {
    values: Vec<u64>,
    mask: Vec<bool>,
    planned: bool,
}

/// A transaction in flight: its remaining beats and how far it has moved.
#[derive(Debug)]
struct Flight {
    beats: Vec<Vec<Bits>>,
    next: usize,
    edges: usize,
    shown: bool,
    what: String,
}

#[derive(Debug, Clone, Copy)]
struct Handshake {
    in_valid: Port,
    in_ready: Port,
    out_valid: Port,
    out_ready: Port,
}

fn outputs_of(mode: Mode) -> &'static [&'static str] {
    match mode {
        Mode::Compact => &["out_data", "out_index", "out_count", "out_valid_lanes"],
        Mode::Expand | Mode::Multicast => &["out_data", "out_valid_lanes"],
        Mode::Permute => &["out_data"],
    }
}

/// FNV-1a of a name: per-slot seeds that do not depend on the slot order.
fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn random_bits<R: Rng>(rng: &mut R, width: u32) -> Bits {
    let words: Vec<u32> = (0..width.div_ceil(32)).map(|_| rng.gen()).collect();
    Bits::from_words(width, &words)
}

struct SlotDriver {
    slot: MatrixSlot,
    p: ButterflyParams,
    rng: ChaCha8Rng,
    latency: usize,
    in_data: Port,
    in_mask: Option<Port>,
    cfg_port: Option<(Port, Port)>,
    hs: Option<Handshake>,
    outs: Vec<(&'static str, Port)>,
    plan: VecDeque<Vec<bool>>,
    planned_total: usize,
    exhaustive_planned: bool,
    cfg: Option<Cfg>,
    loading: Option<Cfg>,
    cfg_serial: usize,
    in_valid_p: f64,
    out_ready_p: f64,
    current: Option<Stim>,
    pending: Option<(Stim, usize)>,
    offered: bool,
    ready: bool,
    flights: VecDeque<Flight>,
    min_beats: usize,
    min_loads: usize,
    report: SlotReport,
}

impl SlotDriver {
    fn new(
        model: &Model,
        slot: &MatrixSlot,
        plan: &Plan,
        seed: u64,
    ) -> Result<SlotDriver, CosimError> {
        let p = slot.params.clone();
        if p.width > 64 {
            return Err(CosimError::Width {
                module: slot.module.clone(),
                width: p.width,
            });
        }
        let port = |n: &str| model.port(&slot.port(n));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ name_hash(&slot.module));
        let n = p.lanes;
        let handshake = p.pipeline > 0 || p.out_lanes < p.lanes;
        let hs = if handshake {
            Some(Handshake {
                in_valid: port("in_valid")?,
                in_ready: port("in_ready")?,
                out_valid: port("out_valid")?,
                out_ready: port("out_ready")?,
            })
        } else {
            None
        };
        let uses_mask = matches!(p.mode, Mode::Compact | Mode::Expand);
        let exhaustive = uses_mask && n <= plan.exhaustive_up_to;
        let mut masks: VecDeque<Vec<bool>> = VecDeque::new();
        if exhaustive {
            masks.extend((0..1u64 << n).map(|b| (0..n).map(|i| b >> i & 1 == 1).collect()));
        }
        // A multi-beat result is up to N / K beats long: fewer of them make as many beats.
        let per_density = if p.out_lanes < n {
            (plan.per_density * p.out_lanes / n).max(2)
        } else {
            plan.per_density
        };
        for density in DENSITIES {
            for _ in 0..per_density {
                masks.push_back(mask_at(&mut rng, n, density));
            }
        }
        let latency = p.stages().checked_div(p.pipeline).unwrap_or(0);
        let cfg_port = match p.mode {
            Mode::Permute | Mode::Multicast => Some((port("cfg_we")?, port("cfg_data")?)),
            _ => None,
        };
        let in_mask = match (p.mode, p.mask) {
            (Mode::Compact | Mode::Expand, MaskSource::External) => Some(port("in_mask")?),
            _ => None,
        };
        let outs = outputs_of(p.mode)
            .iter()
            .map(|&o| Ok((o, port(o)?)))
            .collect::<Result<Vec<_>, SimError>>()?;
        let in_valid_p = [0.5, 0.7, 0.9][rng.gen_range(0..3)];
        let out_ready_p = [0.3, 0.6, 0.9][rng.gen_range(0..3)];
        Ok(SlotDriver {
            in_data: port("in_data")?,
            in_mask,
            cfg_port,
            hs,
            outs,
            planned_total: masks.len(),
            plan: masks,
            exhaustive_planned: exhaustive,
            latency,
            cfg: None,
            loading: None,
            cfg_serial: 0,
            in_valid_p,
            out_ready_p,
            current: None,
            pending: None,
            offered: false,
            ready: false,
            flights: VecDeque::new(),
            min_beats: plan.min_beats,
            min_loads: plan.min_loads,
            report: SlotReport {
                params: p.clone(),
                module: slot.module.clone(),
                vectors: 0,
                transactions: 0,
                beats: 0,
                multi_beat_results: 0,
                stalls: 0,
                exhaustive: false,
                planned: 0,
                loads: 0,
                multicasts: 0,
                mismatches: Vec::new(),
            },
            slot: slot.clone(),
            p,
            rng,
        })
    }

    fn max_value(&self) -> u64 {
        u64::MAX >> (64 - self.p.width)
    }

    /// Values for a mask, as the module reads them (see the module docs).
    fn stim_for(&mut self, mask: Vec<bool>, planned: bool) -> Stim {
        let max = self.max_value();
        let nonzero = self.p.mode == Mode::Compact && self.p.mask == MaskSource::Nonzero;
        let values = mask
            .iter()
            .map(|&b| match (nonzero, b) {
                (true, true) => self.rng.gen_range(1..=max),
                (true, false) => 0,
                (false, _) => self.rng.gen_range(0..=max),
            })
            .collect();
        Stim {
            values,
            mask,
            planned,
        }
    }

    fn next_stim(&mut self) -> Stim {
        match self.plan.pop_front() {
            Some(mask) => self.stim_for(mask, true),
            None => {
                let density = DENSITIES[self.rng.gen_range(0..DENSITIES.len())];
                let mask = mask_at(&mut self.rng, self.p.lanes, density);
                self.stim_for(mask, false)
            }
        }
    }

    /// Random values and mask (driven while `in_valid` is low or no configuration is loaded).
    fn garbage(&mut self) -> Stim {
        let max = self.max_value();
        let n = self.p.lanes;
        Stim {
            values: (0..n).map(|_| self.rng.gen_range(0..=max)).collect(),
            mask: (0..n).map(|_| self.rng.gen_bool(0.5)).collect(),
            planned: false,
        }
    }

    fn set_stim(&self, m: &mut Model, s: &Stim) -> Result<(), SimError> {
        m.set(self.in_data, &pack(&s.values, self.p.width as u32))?;
        if let Some(pm) = self.in_mask {
            m.set(pm, &pack_bools(&s.mask))?;
        }
        Ok(())
    }

    fn route_err(&self, reason: String) -> CosimError {
        CosimError::Route {
            module: self.slot.module.clone(),
            reason,
        }
    }

    fn next_permutation(&mut self) -> Vec<usize> {
        let n = self.p.lanes;
        let k = self.p.log2_lanes();
        let serial = self.cfg_serial;
        self.cfg_serial += 1;
        match serial {
            0 => (0..n).collect(),
            1 => (0..n).rev().collect(),
            2 => (0..n).map(|j| (j + 1) % n).collect(),
            3 => (0..n)
                .map(|j| j.reverse_bits() >> (usize::BITS as usize - k))
                .collect(),
            _ => {
                let mut perm: Vec<usize> = (0..n).collect();
                perm.shuffle(&mut self.rng);
                perm
            }
        }
    }

    /// Outputs get distinct sources; each output is used with probability 0.7.
    fn partial_permutation(&mut self) -> Vec<Vec<usize>> {
        let n = self.p.lanes;
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut self.rng);
        let mut dests = vec![Vec::new(); n];
        for (j, &src) in perm.iter().enumerate() {
            if self.rng.gen_bool(0.7) {
                dests[src].push(j);
            }
        }
        dests
    }

    fn next_request(
        &mut self,
    ) -> Result<(Vec<Vec<usize>>, multicast::MulticastConfig), CosimError> {
        let n = self.p.lanes;
        let serial = self.cfg_serial;
        self.cfg_serial += 1;
        let mut candidates: Vec<Vec<Vec<usize>>> = Vec::new();
        match (serial, serial % 3) {
            (3, _) => candidates.push(vec![Vec::new(); n]),
            (_, 0) => {
                let mut d = vec![Vec::new(); n];
                d[self.rng.gen_range(0..n)] = (0..n).collect();
                candidates.push(d);
            }
            (_, 1) => {
                for _ in 0..16 {
                    let sources: Vec<usize> = (0..self.rng.gen_range(1..=(n / 4).max(1)))
                        .map(|_| self.rng.gen_range(0..n))
                        .collect();
                    let mut d = vec![Vec::new(); n];
                    for j in 0..n {
                        if self.rng.gen_bool(0.8) {
                            d[sources[self.rng.gen_range(0..sources.len())]].push(j);
                        }
                    }
                    candidates.push(d);
                }
                candidates.push(self.partial_permutation());
            }
            _ => candidates.push(self.partial_permutation()),
        }
        let mut last = String::new();
        for dests in candidates {
            match multicast::route_destinations(&dests) {
                Ok(cfg) => return Ok((dests, cfg)),
                Err(e) => last = e.to_string(),
            }
        }
        Err(self.route_err(last))
    }

    /// The configuration to load this cycle and its `cfg_data` value.
    fn next_config(&mut self) -> Result<(Cfg, Bits), CosimError> {
        if self.p.mode == Mode::Permute {
            let perm = self.next_permutation();
            let routed = benes::route(&perm).map_err(|e| self.route_err(e.to_string()))?;
            Ok((Cfg::Perm(perm), permute_config_bits(&routed)))
        } else {
            let (dests, routed) = self.next_request()?;
            if dests.iter().any(|d| d.len() >= 2) {
                self.report.multicasts += 1;
            }
            Ok((Cfg::Dests(dests), multicast_config_bits(&routed)))
        }
    }

    fn cfg_width(&self) -> u32 {
        match self.p.mode {
            Mode::Multicast => multicast_config_width(self.p.lanes) as u32,
            _ => permute_config_width(self.p.lanes) as u32,
        }
    }

    /// Whether vectors can be checked: no configuration port, or a configuration is loaded.
    fn configured(&self) -> bool {
        self.cfg_port.is_none() || self.cfg.is_some()
    }

    /// The golden beats of `s` on the loaded configuration, one `Bits` per checked output.
    fn expected(&self, s: &Stim) -> Result<Vec<Vec<Bits>>, CosimError> {
        let p = &self.p;
        let d = p.width as u32;
        let lw = p.log2_lanes() as u32;
        Ok(match (p.mode, &self.cfg) {
            (Mode::Compact, _) => {
                let mask = match p.mask {
                    MaskSource::Nonzero => golden::nonzero_mask(&s.values),
                    MaskSource::External => s.mask.clone(),
                };
                let c = golden::compact(&s.values, &mask, p.out_lanes)?;
                let count = Bits::from_u64(lw + 1, c.count as u64);
                c.beats
                    .iter()
                    .map(|b| {
                        let index: Vec<u64> = b.index.iter().map(|&i| i as u64).collect();
                        vec![
                            pack(&b.values, d),
                            pack(&index, lw),
                            count.clone(),
                            pack_bools(&b.valid),
                        ]
                    })
                    .collect()
            }
            (Mode::Expand, _) => vec![vec![
                pack(&golden::expand(&s.values, &s.mask)?, d),
                pack_bools(&s.mask),
            ]],
            (Mode::Permute, Some(Cfg::Perm(perm))) => {
                vec![vec![pack(&golden::permute(&s.values, perm)?, d)]]
            }
            (Mode::Multicast, Some(Cfg::Dests(dests))) => {
                let mut listed = vec![false; p.lanes];
                for &j in dests.iter().flatten() {
                    listed[j] = true;
                }
                vec![vec![
                    pack(&golden::multicast(&s.values, dests)?, d),
                    pack_bools(&listed),
                ]]
            }
            (mode, cfg) => {
                return Err(self.route_err(format!(
                    "no configuration of mode {mode} loaded (have {cfg:?})"
                )))
            }
        })
    }

    fn describe(&self, s: &Stim) -> String {
        let values = pack(&s.values, self.p.width as u32);
        match &self.cfg {
            Some(c) => format!("values {values}, {c}"),
            None => format!("mask {} values {values}", pack_bools(&s.mask)),
        }
    }

    fn mismatch(&mut self, cycle: u64, port: &str, expected: String, actual: String, what: &str) {
        if self.report.mismatches.len() < MAX_MISMATCHES {
            self.report.mismatches.push(Mismatch {
                cycle,
                port: self.slot.port(port),
                expected,
                actual,
                stimulus: what.to_string(),
            });
        }
    }

    fn compare(&mut self, m: &mut Model, want: &[Bits], cycle: u64, what: &str) {
        for (i, w) in want.iter().enumerate() {
            let (name, port) = self.outs[i];
            let got = m.get(port);
            if &got != w {
                self.mismatch(cycle, name, w.to_string(), got.to_string(), what);
            }
        }
    }

    /// Drives this cycle's inputs.
    fn drive(&mut self, m: &mut Model) -> Result<(), CosimError> {
        if let Some((we, data)) = self.cfg_port {
            if self.cfg.is_none() || self.rng.gen_bool(0.25) {
                let (cfg, bits) = self.next_config()?;
                m.set_u64(we, 1)?;
                m.set(data, &bits)?;
                self.loading = Some(cfg);
            } else {
                let width = self.cfg_width();
                let junk = random_bits(&mut self.rng, width);
                m.set_u64(we, 0)?;
                m.set(data, &junk)?;
                self.loading = None;
            }
        }
        match self.hs {
            None => {
                let s = if self.configured() {
                    self.next_stim()
                } else {
                    self.garbage()
                };
                self.set_stim(m, &s)?;
                self.current = Some(s);
            }
            Some(h) => {
                if self.pending.is_none() {
                    self.pending = Some((self.next_stim(), 0));
                }
                // Once the plan is done no new transaction is offered: the pipeline drains.
                let draining = self.lacks(false).is_empty();
                self.offered = !draining && self.configured() && self.rng.gen_bool(self.in_valid_p);
                self.ready = self.rng.gen_bool(self.out_ready_p);
                let s = match (&self.pending, self.offered) {
                    (Some((s, _)), true) => s.clone(),
                    _ => self.garbage(),
                };
                self.set_stim(m, &s)?;
                m.set_u64(h.in_valid, u64::from(self.offered))?;
                m.set_u64(h.out_ready, u64::from(self.ready))?;
            }
        }
        Ok(())
    }

    /// Checks the outputs after `eval` and records accepted transactions.
    fn observe(&mut self, m: &mut Model, cycle: u64) -> Result<(), CosimError> {
        let Some(h) = self.hs else {
            if let Some(s) = self.current.take() {
                if self.configured() {
                    let want = self.expected(&s)?;
                    let what = self.describe(&s);
                    self.compare(m, &want[0], cycle, &what);
                    self.report.vectors += 1;
                    self.report.planned += usize::from(s.planned);
                }
            }
            return Ok(());
        };
        if m.get_u64(h.out_valid) == 1 {
            if let Some(mut f) = self.flights.pop_front() {
                if !f.shown {
                    f.shown = true;
                    if f.edges != self.latency {
                        let what = f.what.clone();
                        self.mismatch(
                            cycle,
                            "latency",
                            format!("{} enabled edges", self.latency),
                            format!("{} enabled edges", f.edges),
                            &what,
                        );
                    }
                }
                let what = f.what.clone();
                self.compare(m, &f.beats[f.next], cycle, &what);
                if self.ready {
                    f.next += 1;
                }
                if f.next < f.beats.len() {
                    self.flights.push_front(f);
                }
            } else if let (true, 0, Some((s, used))) = (self.offered, self.latency, &self.pending) {
                // No register level: the offered vector's beats show before it is accepted.
                let (s, used) = (s.clone(), *used);
                let want = self.expected(&s)?;
                let what = self.describe(&s);
                match want.get(used) {
                    Some(beat) => self.compare(m, beat, cycle, &what),
                    None => self.mismatch(
                        cycle,
                        "out_valid",
                        format!("{} beats", want.len()),
                        format!("beat {}", used + 1),
                        &what,
                    ),
                }
                if self.ready {
                    if let Some(p) = self.pending.as_mut() {
                        p.1 += 1;
                    }
                }
            } else {
                self.mismatch(
                    cycle,
                    "out_valid",
                    "0 (no transaction in flight)".into(),
                    "1".into(),
                    "",
                );
            }
            if self.ready {
                self.report.beats += 1;
            } else {
                self.report.stalls += 1;
            }
        }
        let in_ready = m.get_u64(h.in_ready) == 1;
        if self.offered && in_ready {
            if let Some((s, used)) = self.pending.take() {
                let want = self.expected(&s)?;
                let what = self.describe(&s);
                self.report.multi_beat_results += usize::from(want.len() > 1);
                let rest: Vec<Vec<Bits>> = want.into_iter().skip(used).collect();
                if self.latency == 0 {
                    if !rest.is_empty() {
                        self.mismatch(
                            cycle,
                            "in_ready",
                            format!("0 until the last beat is taken ({} left)", rest.len()),
                            "1".into(),
                            &what,
                        );
                    }
                } else {
                    self.flights.push_back(Flight {
                        beats: rest,
                        next: 0,
                        edges: 0,
                        shown: false,
                        what,
                    });
                }
                self.report.transactions += 1;
                self.report.planned += usize::from(s.planned);
            }
        }
        if in_ready {
            for f in &mut self.flights {
                f.edges += 1;
            }
        }
        Ok(())
    }

    /// After the clock edge: a configuration driven with `cfg_we` is now loaded.
    fn after_edge(&mut self) {
        if let Some(c) = self.loading.take() {
            self.cfg = Some(c);
            self.report.loads += 1;
        }
    }

    /// What this slot still lacks (with `in_flight`, transactions not yet out count too).
    fn lacks(&self, in_flight: bool) -> Vec<String> {
        let mut lacks = Vec::new();
        if self.report.planned < self.planned_total {
            lacks.push(format!(
                "{} of {} planned vectors",
                self.report.planned, self.planned_total
            ));
        }
        if self.hs.is_some() && self.report.beats < self.min_beats {
            lacks.push(format!("{} of {} beats", self.report.beats, self.min_beats));
        }
        if in_flight && !self.flights.is_empty() {
            lacks.push(format!("{} transactions in flight", self.flights.len()));
        }
        if self.cfg_port.is_some() && self.report.loads < self.min_loads {
            lacks.push(format!("{} of {} loads", self.report.loads, self.min_loads));
        }
        if self.p.mode == Mode::Multicast && self.report.multicasts == 0 {
            lacks.push("no multicast loaded".into());
        }
        lacks
    }

    /// What this slot still lacks, or `None` when its plan is done and nothing is in flight.
    fn missing(&self) -> Option<String> {
        let lacks = self.lacks(true);
        (!lacks.is_empty()).then(|| format!("{}: {}", self.slot.module, lacks.join(", ")))
    }
}

/// Runs every slot of a [`matrix`](nicc_rtl::blocks::butterfly::matrix()) wrapper in `model` in
/// the same cycles (after a 2-cycle reset) until each has finished its `plan`; returns one report
/// per slot, in slot order, and the cycles run.
pub fn run(
    model: &mut Model,
    slots: &[MatrixSlot],
    plan: &Plan,
    seed: u64,
) -> Result<(Vec<SlotReport>, u64), CosimError> {
    let mut drivers = slots
        .iter()
        .map(|s| SlotDriver::new(model, s, plan, seed))
        .collect::<Result<Vec<_>, _>>()?;
    let clocked = model.ports().iter().any(|p| p.name == "clk");
    if clocked {
        model.reset(2)?;
    }
    let mut cycle = 0u64;
    loop {
        for d in &mut drivers {
            d.drive(model)?;
        }
        model.eval();
        for d in &mut drivers {
            d.observe(model, cycle)?;
        }
        if clocked {
            model.step()?;
        }
        for d in &mut drivers {
            d.after_edge();
        }
        cycle += 1;
        let missing: Vec<String> = drivers.iter().filter_map(|d| d.missing()).collect();
        if missing.is_empty() {
            break;
        }
        if cycle >= plan.max_cycles {
            return Err(CosimError::Timeout {
                cycles: cycle,
                unfinished: missing.join("; "),
            });
        }
    }
    let reports = drivers
        .into_iter()
        .map(|d| {
            let mut r = d.report;
            // The exhaustive masks come first in the plan: all planned done = all masks done.
            r.exhaustive = d.exhaustive_planned && r.planned == d.planned_total;
            r
        })
        .collect();
    Ok((reports, cycle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn densities_count_exactly() {
        let counts: Vec<usize> = DENSITIES.iter().map(|d| d.count(64)).collect();
        assert_eq!(counts, [0, 1, 16, 32, 48, 64]);
        assert_eq!(Density::Percent(25).count(2), 1);
        assert_eq!(Density::Percent(75).count(2), 2);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for d in DENSITIES {
            let m = mask_at(&mut rng, 256, d);
            assert_eq!(m.iter().filter(|&&b| b).count(), d.count(256), "{d}");
        }
    }

    #[test]
    fn the_full_models_hold_the_whole_matrix_once() {
        let all = full_matrix();
        let names: std::collections::BTreeSet<String> =
            all.iter().map(|p| p.module_name()).collect();
        assert_eq!(names.len(), all.len(), "duplicate configurations");
        // 5 variants x 6 N x 3 D, each combinational and pipelined, plus multi-beat compact.
        assert_eq!(all.len(), 5 * 6 * 3 * 2 + 2 * 6 * 3);
        let mut split: Vec<String> = full_models()
            .iter()
            .flat_map(|m| m.configs.iter().map(|p| p.module_name()))
            .collect();
        split.sort();
        assert_eq!(split, names.into_iter().collect::<Vec<_>>());
        for p in &all {
            p.validate().unwrap();
        }
    }

    #[test]
    fn the_subset_has_every_mode_mask_width_and_handshake() {
        let cs: Vec<ButterflyParams> = subset_models()
            .into_iter()
            .flat_map(|m| m.configs)
            .collect();
        for (mode, mask) in VARIANTS {
            for d in [1, 16] {
                assert!(
                    cs.iter()
                        .any(|p| p.mode == mode && p.mask == mask && p.width == d),
                    "{mode} {mask} D = {d}"
                );
            }
            assert!(cs
                .iter()
                .any(|p| p.mode == mode && p.mask == mask && p.pipeline > 0));
        }
        assert!(cs.iter().any(|p| p.lanes == 64));
        assert!(cs.iter().any(|p| p.out_lanes < p.lanes && p.pipeline == 0));
        assert!(cs.iter().any(|p| p.out_lanes < p.lanes && p.pipeline > 0));
        for p in &cs {
            p.validate().unwrap();
        }
    }

    #[test]
    fn slot_seeds_do_not_depend_on_the_order() {
        assert_eq!(name_hash("a"), name_hash("a"));
        assert_ne!(
            name_hash("butterfly_permute_n8_d8_p0"),
            name_hash("butterfly_permute_n8_d8_p1")
        );
    }
}
