//! Formal equivalence of the combinational compaction and expansion networks against a
//! reference written here from the definition (issue 6's semantics), not from the generator:
//!
//! - `rank_i = mask_0 + ... + mask_{i-1}` (a plain prefix sum), `count = rank_N`;
//! - compact: output lane j is the OR over i of `v_i` where `mask_i` and `rank_i == j`, its
//!   index the OR of those `i`, valid when `j < count`;
//! - expand: output lane i is `v_{rank_i}` (an OR over j of `v_j` where `rank_i == j`) when
//!   `mask_i`, else 0; `out_valid_lanes = mask`.
//!
//! So the reference is a decoder and an N x N AND-OR crossbar: no butterfly, no switch
//! controls. Yosys and `yosys-abc cec` ([`nicc_synth::check_equiv`]) prove the generated
//! network equal to it for every input (every mask and every value).
//!
//! A pipelined router (`pipeline > 0`) is proven through its registers: its data outputs'
//! cone must be a balanced feed-forward pipeline whose registers all share the stall enable
//! and the reset, with floor(stages / pipeline) of them on every path
//! ([`nicc_synth::combinational_core`]); the core, each register a wire, is then proven equal
//! to the reference. So every result leaves equal to the definition of the inputs it entered
//! with. Multi-beat compaction (`out_lanes < lanes`) is proven beat by beat: the beat counter
//! is cut into a free input and a miter proves every beat it can show equal to its window of
//! the definition ([`prove_design`]). The handshake (`in_ready`, `out_valid`, the beat
//! sequence) and the configured modes (`permute`, `multicast`, whose controls are loaded at
//! run time) are checked by co-simulation instead.

use nicc_rtl::blocks::butterfly::{generate, ButterflyParams, GenError, MaskSource, Mode};
use nicc_rtl::ir::Module;
use nicc_rtl::signal::Signal;
use nicc_rtl::{emit, Design, Dir, ModuleBuilder, RtlError};
use nicc_synth::{
    check_equiv, collapse_design, combinational_core, Collapsed, EquivMode, EquivOptions,
    EquivResult, SynthError,
};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;
use thiserror::Error;

/// Errors of the butterfly proofs.
#[derive(Debug, Error)]
pub enum FormalError {
    /// The parameters or the generator failed.
    #[error(transparent)]
    Gen(#[from] GenError),
    /// Building the reference failed (an IR check: a bug here).
    #[error(transparent)]
    Rtl(#[from] RtlError),
    /// Yosys or ABC failed.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// A configuration the proof does not cover.
    #[error(
        "{0}: the formal proof covers the compact and expand networks (expand with every \
         lane out in one beat, out_lanes=lanes); co-simulation checks this configuration"
    )]
    Unsupported(String),
    /// A pipelined router whose registers delay its outputs by another number of cycles than
    /// its parameters say.
    #[error(
        "the router's outputs lag its inputs by {found} enabled cycles, but pipeline = \
         {pipeline} over {stages} switch stages means {expected}"
    )]
    Latency {
        /// `pipeline`.
        pipeline: usize,
        /// Switch stages.
        stages: usize,
        /// floor(stages / pipeline).
        expected: u32,
        /// Flip-flops on every path (`none` when the outputs read no input).
        found: String,
    },
}

/// Outcome of [`prove`]: the equivalence verdict and, for a pipelined router, what the
/// proof looked through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The core (or the combinational router) against the reference.
    pub result: EquivResult,
    /// Pipelined routers: the registers found on every path, their enable and reset.
    pub pipeline: Option<Collapsed>,
    /// Multi-beat routers: the beats ceil(lanes / out_lanes); the proof covers every value
    /// of the beat counter `beat_q` below it.
    pub beats: Option<usize>,
}

impl Proof {
    /// `true` when proven equal.
    pub fn is_equivalent(&self) -> bool {
        self.result.is_equivalent()
    }
}

impl fmt::Display for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.result)?;
        if let Some(c) = &self.pipeline {
            write!(f, " (through {c})")?;
        }
        if let Some(b) = self.beats {
            write!(f, " (every beat: `beat_q` from 0 to {})", b - 1)?;
        }
        Ok(())
    }
}

/// Lane `i` of a packed bus.
fn lane(bus: &Signal, i: usize, d: u32) -> Signal {
    bus.slice(i as u32 * d, d)
}

/// Lanes to a packed bus, lane 0 least significant.
fn pack(lanes: &[Signal]) -> Signal {
    let rev: Vec<Signal> = lanes.iter().rev().cloned().collect();
    Signal::concat(&rev)
}

/// OR of `terms` (all of width `w`); zero when empty.
fn or_all(terms: Vec<Signal>, w: u32) -> Signal {
    terms
        .into_iter()
        .reduce(|a, b| &a | &b)
        .unwrap_or_else(|| Signal::lit(w, 0))
}

/// Checks that `p` is a configuration [`reference`] describes.
fn covered(p: &ButterflyParams) -> Result<(), FormalError> {
    p.validate().map_err(GenError::from)?;
    let what = match p.mode {
        Mode::Compact | Mode::Expand => None,
        m => Some(format!("mode = {m}")),
    }
    .or_else(|| {
        (p.out_lanes != p.lanes && p.mode != Mode::Compact)
            .then(|| format!("{} with out_lanes = {} < lanes", p.mode, p.out_lanes))
    });
    match what {
        Some(w) => Err(FormalError::Unsupported(w)),
        None => Ok(()),
    }
}

/// The reference design (top `butterfly_ref`) with the ports of the generated router for `p`
/// (multi-beat routers: of one with every lane out in one beat; [`prove_design`] windows it
/// by beat).
pub fn reference(p: &ButterflyParams) -> Result<Design, FormalError> {
    Ok(emit(&reference_module(p)?)?)
}

/// The reference module of [`reference()`], before emission (for evaluating it in the IR).
pub fn reference_module(p: &ButterflyParams) -> Result<Rc<Module>, FormalError> {
    covered(p)?;
    let mut m = ModuleBuilder::new("butterfly_ref");
    let (data, mask) = reference_inputs(&mut m, p);
    let r = reference_lanes(&mut m, p, &data, mask.as_ref());
    m.output("out_data", &pack(&r.values));
    if let (Some(index), Some(count)) = (&r.index, &r.count) {
        m.output("out_index", &pack(index));
        m.output("out_valid_lanes", &pack(&r.valid));
        m.output("out_count", count);
    } else {
        m.output("out_valid_lanes", &pack(&r.valid));
    }
    Ok(m.finish()?)
}

/// The reference's input ports: `in_data`, and `in_mask` when the mask is external.
fn reference_inputs(m: &mut ModuleBuilder, p: &ButterflyParams) -> (Signal, Option<Signal>) {
    let data = m.input("in_data", p.lanes as u32 * p.width as u32);
    let mask = (p.mask == MaskSource::External).then(|| m.input("in_mask", p.lanes as u32));
    (data, mask)
}

/// The definition's outputs, lane by lane (all N lanes in one beat).
struct RefLanes {
    values: Vec<Signal>,
    /// Compact only.
    index: Option<Vec<Signal>>,
    valid: Vec<Signal>,
    /// Compact only.
    count: Option<Signal>,
}

/// The definition of `p`'s outputs over `data` and the mask (`mask_bus` when external).
fn reference_lanes(
    m: &mut ModuleBuilder,
    p: &ButterflyParams,
    data: &Signal,
    mask_bus: Option<&Signal>,
) -> RefLanes {
    let n = p.lanes;
    let d = p.width as u32;
    let kw = p.log2_lanes() as u32;
    let cw = kw + 1;
    let mask: Vec<Signal> = match mask_bus {
        Some(bus) => (0..n).map(|i| bus.bit(i as u32)).collect(),
        None => (0..n).map(|i| lane(data, i, d).reduce_or()).collect(),
    };
    let mut rank = vec![Signal::lit(cw, 0)];
    for (i, mi) in mask.iter().enumerate() {
        let next = rank[i].add_w(&mi.zext(cw), cw);
        rank.push(m.wire(&format!("rank_{}", i + 1), &next));
    }
    let count = rank[n].clone();
    // is_rank[i][j]: rank_i == j.
    let is_rank: Vec<Vec<Signal>> = rank[..n]
        .iter()
        .map(|r| (0..n).map(|j| r.eq_lit(j as u64)).collect())
        .collect();
    let zero = Signal::lit(d, 0);
    if p.mode == Mode::Expand {
        let values = (0..n)
            .map(|i| {
                let v = or_all(
                    (0..n)
                        .map(|j| is_rank[i][j].mux(&lane(data, j, d), &zero))
                        .collect(),
                    d,
                );
                m.wire(&format!("ref_v{i}"), &mask[i].mux(&v, &zero))
            })
            .collect();
        return RefLanes {
            values,
            index: None,
            valid: mask,
            count: None,
        };
    }
    let mut values = Vec::new();
    let mut index = Vec::new();
    let mut valid = Vec::new();
    for j in 0..n {
        // hit[i]: input lane i goes to output lane j.
        let hit: Vec<Signal> = mask
            .iter()
            .zip(&is_rank)
            .map(|(mi, r)| mi & &r[j])
            .collect();
        let v = or_all(
            (0..n)
                .map(|i| hit[i].mux(&lane(data, i, d), &zero))
                .collect(),
            d,
        );
        let x = or_all(
            (1..n)
                .map(|i| hit[i].mux(&Signal::lit(kw, i as u64), &Signal::lit(kw, 0)))
                .collect(),
            kw,
        );
        values.push(m.wire(&format!("ref_v{j}"), &v));
        index.push(m.wire(&format!("ref_i{j}"), &x));
        valid.push(count.gt(&Signal::lit(cw, j as u64)));
    }
    RefLanes {
        values,
        index: Some(index),
        valid,
        count: Some(count),
    }
}

/// Proves the router generated for `p` (top `butterfly`) equal to [`reference()`], a
/// pipelined one through its registers (see the module documentation); with a `time_limit`,
/// a tool run of the proof (Yosys, `yosys-abc cec`) that takes longer is stopped
/// ([`SynthError::TimedOut`]).
pub fn prove(p: &ButterflyParams, time_limit: Option<Duration>) -> Result<Proof, FormalError> {
    covered(p)?;
    prove_design(&generate(p, "butterfly")?, p, time_limit)
}

/// Proves `design` (an emitted router for `p`, any top name) equal to [`reference()`], each
/// tool run within `time_limit` (see [`prove`]).
pub fn prove_design(
    design: &Design,
    p: &ButterflyParams,
    time_limit: Option<Duration>,
) -> Result<Proof, FormalError> {
    let r = reference(p)?;
    let opts = EquivOptions {
        mode: EquivMode::Combinational,
        time_limit,
        ..EquivOptions::default()
    };
    if p.out_lanes < p.lanes {
        return prove_multibeat(design, p, &opts);
    }
    if p.pipeline == 0 {
        return Ok(Proof {
            result: check_equiv(&r, design, &opts)?,
            pipeline: None,
            beats: None,
        });
    }
    let ports = |dir: Dir| -> Vec<&str> {
        r.ports
            .iter()
            .filter(|q| q.dir == dir)
            .map(|q| q.name.as_str())
            .collect()
    };
    let (core, c) =
        combinational_core(design, &ports(Dir::Input), &ports(Dir::Output), time_limit)?;
    check_latency(p, &c)?;
    Ok(Proof {
        result: check_equiv(&r, &core, &opts)?,
        pipeline: Some(c),
        beats: None,
    })
}

/// Checks that `c` lags its inputs by the cycles `p` says (0 when combinational).
fn check_latency(p: &ButterflyParams, c: &Collapsed) -> Result<(), FormalError> {
    let expected = p.stages().checked_div(p.pipeline).unwrap_or(0) as u32;
    if c.latency == Some(expected) {
        return Ok(());
    }
    Err(FormalError::Latency {
        pipeline: p.pipeline,
        stages: p.stages(),
        expected,
        found: c.latency.map_or("none".into(), |l| l.to_string()),
    })
}

/// A multi-beat compaction router: its data outputs' cone with the beat counter `beat_q`
/// cut into a free input (and the pipeline registers, if any, collapsed), against the
/// definition windowed to beat `beat_q`, for every `beat_q` below the number of beats. The
/// two sit in one miter module whose output `ok` (`beat_q` out of range, or every output
/// equal) `cec` proves constant 1. Which beats the counter takes, and when, is the
/// handshake's part: co-simulation checks it.
fn prove_multibeat(
    design: &Design,
    p: &ButterflyParams,
    opts: &EquivOptions,
) -> Result<Proof, FormalError> {
    const OUTS: [&str; 4] = ["out_data", "out_index", "out_valid_lanes", "out_count"];
    let c = collapse_design(design, &OUTS, &["beat_q"], opts.time_limit)?;
    check_latency(p, &c)?;
    let (n, kout, d) = (p.lanes, p.out_lanes, p.width as u32);
    let beats = n.div_ceil(kout);
    let bw = c
        .net
        .inputs
        .iter()
        .find(|(name, _)| name == "beat_q")
        .map(|(_, b)| b.len() as u32)
        .expect("collapse_flops makes the cut register an input");
    let build = |miter: bool| -> Result<Design, FormalError> {
        let mut m = ModuleBuilder::new("butterfly_beats");
        let (data, mask) = reference_inputs(&mut m, p);
        let beat = m.input("beat_q", bw);
        if !miter {
            m.output("ok", &Signal::lit(1, 1));
            return Ok(emit(&m.finish()?)?);
        }
        let r = reference_lanes(&mut m, p, &data, mask.as_ref());
        let (Some(index), Some(count)) = (&r.index, &r.count) else {
            unreachable!("covered() admits multi-beat compaction only");
        };
        // Lane j of beat b is lane b K + j of the definition (0 past the last lane).
        let window = |lanes: &[Signal], j: usize, w: u32| -> Signal {
            let at = |b: usize| lanes.get(b * kout + j).cloned();
            let cases: Vec<(Signal, Signal)> = (1..beats)
                .map(|b| {
                    let v = at(b).unwrap_or_else(|| Signal::lit(w, 0));
                    (beat.eq_lit(b as u64), v)
                })
                .collect();
            Signal::priority(&cases, &at(0).unwrap_or_else(|| Signal::lit(w, 0)))
        };
        let kw = p.log2_lanes() as u32;
        let want = [
            pack(
                &(0..kout)
                    .map(|j| window(&r.values, j, d))
                    .collect::<Vec<_>>(),
            ),
            pack(&(0..kout).map(|j| window(index, j, kw)).collect::<Vec<_>>()),
            pack(
                &(0..kout)
                    .map(|j| window(&r.valid, j, 1))
                    .collect::<Vec<_>>(),
            ),
            count.clone(),
        ];
        let mut ins = vec![("in_data", data.clone()), ("beat_q", beat.clone())];
        if let Some(mk) = &mask {
            ins.push(("in_mask", mk.clone()));
        }
        let got = c
            .net
            .print_into(&mut m, &ins, "core_", "the multi-beat router's core")?;
        // Compared one bit wider: `beats` may be 2^bw (every counter value a beat).
        let mut ok = beat.zext(bw + 1).ge(&Signal::lit(bw + 1, beats as u64));
        let mut same = Signal::lit(1, 1);
        for (name, w) in OUTS.iter().zip(&want) {
            let (_, g) = got
                .iter()
                .find(|(o, _)| o == name)
                .expect("print_into returns every output");
            same = &same & &g.eq(w);
        }
        ok = &ok | &same;
        m.output("ok", &ok);
        Ok(emit(&m.finish()?)?)
    };
    let result = check_equiv(&build(false)?, &build(true)?, opts)?;
    Ok(Proof {
        result,
        pipeline: (c.flops > 0).then_some(c),
        beats: Some(beats),
    })
}
