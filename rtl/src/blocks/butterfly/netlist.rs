//! The butterfly router generator: builds the IR of the compact, expand, permute and multicast
//! networks. The crossbar baselines ([`super::crossbar`]) share its lane helpers.
//!
//! Lanes are packed little-end first: lane i of a `[N*D-1:0]` port is `[i*D +: D]`.
//!
//! Ports (k = log2 N, K = `out_lanes`):
//! - compact: `in_data [N*D]`, `in_mask [N]` (mask = external), `out_data [K*D]`,
//!   `out_index [K*k]`, `out_count [k+1]`, `out_valid_lanes [K]`. The mask, prefix popcounts
//!   and switch controls are computed in hardware (no table, no crossbar).
//! - expand: `in_data [N*D]` (dense), `in_mask [N]`, `out_data [N*D]`, `out_valid_lanes [N]`
//!   (= the mask).
//! - permute: `clk`, `rst`, `cfg_we`, `cfg_data [(2k-1) N/2]` (see [`permute_config_bits`]),
//!   `in_data`, `out_data`. `cfg_data` is loaded into `cfg_q` when `cfg_we` is high; the network
//!   reads `cfg_q`.
//! - multicast: as permute with `cfg_data [2 (2k-1) N/2 + N]` (see [`multicast_config_bits`])
//!   and `out_valid_lanes [N]`; outputs without a source are zero.
//! - With `pipeline > 0` or `out_lanes < lanes` (compact only): `clk`, `rst`, `in_valid`,
//!   `in_ready`, `out_valid`, `out_ready`. All pipeline registers share one enable
//!   (`out_ready & last_beat | ~out_valid`), so the pipeline stalls as a whole; a result of
//!   `count` lanes leaves in max(1, ceil(count / K)) beats.

use super::switch_model::{benes_bits, switch_positions};
use super::{ButterflyParams, MaskSource, Mode, ParamError};
use crate::bits::Bits;
use crate::builder::{ModuleBuilder, WireHandle};
use crate::design::Design;
use crate::emit::emit;
use crate::error::RtlError;
use crate::ir::Module;
use crate::signal::Signal;
use std::collections::HashMap;
use std::rc::Rc;
use thiserror::Error;

/// Why the butterfly generator failed.
#[derive(Debug, Error)]
pub enum GenError {
    /// A parameter is out of range.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The IR checks or the emitter rejected the netlist (a generator bug).
    #[error(transparent)]
    Rtl(#[from] RtlError),
    /// A valid parameter combination this generator does not build yet.
    #[error("butterfly generator does not support {0} yet")]
    Unsupported(String),
}

impl From<GenError> for RtlError {
    /// Folds a generator failure into the shared error: parameter problems become
    /// [`RtlError::Param`], unsupported combinations a parameter error on `mode`.
    fn from(e: GenError) -> Self {
        match e {
            GenError::Param(p) => p.into(),
            GenError::Rtl(r) => r,
            GenError::Unsupported(what) => RtlError::Param(crate::error::ParamError::invalid(
                "mode",
                what,
                "a combination the butterfly generator builds (multi-beat output only in compact)",
            )),
        }
    }
}

/// Build the top module of the router for `p`, named `top`.
///
/// Supported: `compact` (mask nonzero or external), `expand` (mask external), `permute` and
/// `multicast` (configuration registers loaded through `cfg_we`/`cfg_data`), combinational (`pipeline = 0`) with all lanes out in one beat (`out_lanes = lanes`).
pub fn build(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    p.validate()?;
    if p.out_lanes != p.lanes && p.mode != Mode::Compact {
        return Err(GenError::Unsupported(format!(
            "out_lanes = {} below lanes = {} (multi-beat output) in mode {}",
            p.out_lanes, p.lanes, p.mode
        )));
    }
    match p.mode {
        Mode::Compact => build_compact(p, top),
        Mode::Expand => build_expand(p, top),
        Mode::Permute => build_benes(p, top, false),
        Mode::Multicast => build_benes(p, top, true),
    }
}

/// Build and emit the router for `p` with top module `top` (default name `butterfly`).
pub fn generate(p: &ButterflyParams, top: &str) -> Result<Design, GenError> {
    Ok(emit(&build(p, top)?)?)
}

/// Lane `i` of a packed bus of `d`-bit lanes.
pub(super) fn lane(bus: &Signal, i: usize, d: u32) -> Signal {
    bus.slice(i as u32 * d, d)
}

/// Lanes to a packed bus, lane 0 least significant.
pub(super) fn pack(lanes: &[Signal]) -> Signal {
    let rev: Vec<Signal> = lanes.iter().rev().cloned().collect();
    Signal::concat(&rev)
}

/// The mask bits: `in_mask` or, with `mask = nonzero`, lane i != 0.
pub(super) fn mask_bits(m: &mut ModuleBuilder, p: &ButterflyParams, data: &Signal) -> Vec<Signal> {
    let n = p.lanes;
    let d = p.width as u32;
    match p.mask {
        MaskSource::External => {
            let mask = m.input("in_mask", n as u32);
            (0..n).map(|i| mask.bit(i as u32)).collect()
        }
        MaskSource::Nonzero => (0..n)
            .map(|i| m.wire(&format!("mask_{i}"), &lane(data, i, d).reduce_or()))
            .collect(),
    }
}

/// The control bits of the compaction network computed from the mask (the rule of
/// [`super::compact_rule`], in its midpoint form): `cross[s][w]`. With `total`, also returns
/// the total popcount (k+1 bits).
///
/// Log-depth structure, no ripple chain through the stages:
/// - popcount tree `cnt_l{b}_b{g}`: block g of 2^b lanes (b+1 bits, a balanced adder tree);
/// - midpoint prefixes `mid_s{s}_b{g}` = P((2g+1) 2^s) mod 2^{s+1}: the prefix popcount at the
///   middle of block g of stage s is the sum of the aligned blocks named by the set bits of
///   (2g+1) 2^s, each truncated to s+1 bits and added in a balanced tree (at most k - s terms,
///   depth ceil(log2(k - s)) adders of s+1 bits);
/// - per block a decoder (`s{s}_cross{w}`): cross(p) = M[s] XOR (p >= M mod 2^s), built as
///   s levels of 2:1 muxes, so stage s's controls are ready about when its data arrives.
fn compaction_controls(
    m: &mut ModuleBuilder,
    mask: &[Signal],
    total: bool,
) -> (Vec<Vec<Signal>>, Option<Signal>) {
    let n = mask.len();
    let k = n.trailing_zeros() as usize;
    // Popcount of block g of 2^b lanes (b+1 bits), built on first use so that only the blocks
    // some prefix or the total reads exist.
    let mut cnt: HashMap<(usize, usize), Signal> = HashMap::new();
    let controls = (0..k)
        .map(|s| {
            let w = s as u32 + 1;
            (0..n >> (s + 1))
                .flat_map(|g| {
                    let j = (2 * g + 1) << s;
                    // The aligned blocks [0, j) splits into: one per set bit b of j.
                    let terms: Vec<Signal> = (s..k)
                        .filter(|b| j >> b & 1 == 1)
                        .map(|b| block_count(m, mask, &mut cnt, b, (j >> (b + 1)) << 1).trunc(w))
                        .collect();
                    let mid = m.wire(&format!("mid_s{s}_b{g}"), &balanced_sum(&terms, w));
                    block_controls(&mid, s)
                        .into_iter()
                        .enumerate()
                        .map(|(p, c)| m.wire(&format!("s{s}_cross{}", (g << s) + p), &c))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .collect();
    // The total feeds `out_count` and the lane valid bits: a carry-save tree, not the chain of
    // block adders (which the prefixes share, but which is slower).
    let total = total.then(|| csa_popcount(m, "total", mask, k as u32 + 1));
    (controls, total)
}

/// Popcount of `bits` (wire `{name}`, `w` bits, modulo 2^w) by a carry-save tree: each round
/// replaces every three bits of one weight by a full adder (sum at that weight, carry at the
/// next, wires `{name}_r{round}_w{weight}_{i}{s,c}`) until no weight has more than two bits, then
/// one `w`-bit adder joins the two rows.
fn csa_popcount(m: &mut ModuleBuilder, name: &str, bits: &[Signal], w: u32) -> Signal {
    let w = w as usize;
    let mut cols: Vec<Vec<Signal>> = vec![Vec::new(); w];
    cols[0] = bits.to_vec();
    let mut round = 0;
    while cols.iter().any(|c| c.len() > 2) {
        let mut next: Vec<Vec<Signal>> = vec![Vec::new(); w];
        for (c, col) in cols.iter().enumerate() {
            let full = col.len() / 3;
            for (i, t) in col.chunks_exact(3).enumerate() {
                let sum = &(&t[0] ^ &t[1]) ^ &t[2];
                next[c].push(m.wire(&format!("{name}_r{round}_w{c}_{i}s"), &sum));
                if c + 1 < w {
                    let carry = &(&t[0] & &t[1]) | &(&t[2] & &(&t[0] | &t[1]));
                    next[c + 1].push(m.wire(&format!("{name}_r{round}_w{c}_{i}c"), &carry));
                }
            }
            next[c].extend(col[3 * full..].iter().cloned());
        }
        cols = next;
        round += 1;
    }
    let row = |r: usize| {
        let bits: Vec<Signal> = cols
            .iter()
            .rev()
            .map(|c| c.get(r).cloned().unwrap_or_else(|| Signal::lit(1, 0)))
            .collect();
        Signal::concat(&bits)
    };
    let sum = row(0).add_w(&row(1), w as u32);
    m.wire(name, &sum)
}

/// Popcount of lanes [g 2^b, (g+1) 2^b) of `mask` (b+1 bits) as wire `cnt_l{b}_b{g}`, the sum of
/// its two halves (a balanced tree), memoised in `cnt`.
fn block_count(
    m: &mut ModuleBuilder,
    mask: &[Signal],
    cnt: &mut HashMap<(usize, usize), Signal>,
    b: usize,
    g: usize,
) -> Signal {
    if b == 0 {
        return mask[g].clone();
    }
    if let Some(c) = cnt.get(&(b, g)) {
        return c.clone();
    }
    let lo = block_count(m, mask, cnt, b - 1, 2 * g);
    let hi = block_count(m, mask, cnt, b - 1, 2 * g + 1);
    let c = m.wire(&format!("cnt_l{b}_b{g}"), &lo.add_w(&hi, b as u32 + 1));
    cnt.insert((b, g), c.clone());
    c
}

/// Sum of `terms` modulo 2^w as a balanced tree of `w`-bit adders.
fn balanced_sum(terms: &[Signal], w: u32) -> Signal {
    match terms {
        [] => Signal::lit(w, 0),
        [one] => one.clone(),
        _ => {
            let (a, b) = terms.split_at(terms.len() / 2);
            balanced_sum(a, w).add_w(&balanced_sum(b, w), w)
        }
    }
}

/// The 2^s cross bits of one stage-s block from its midpoint prefix `mid` (s+1 bits):
/// `cross(p) = mid[s] XOR (p >= mid mod 2^s)`.
///
/// Recursion on the top bit q of p and bit s-1 of `mid` (b), with a = mid[s] and
/// X = the same decoder one level down on {a, mid[s-2:0]}:
/// q = 0: b ? a : X[p]; q = 1: b ? X[p - 2^{s-1}] : !a.
fn block_controls(mid: &Signal, s: usize) -> Vec<Signal> {
    let a = mid.bit(s as u32);
    if s == 0 {
        return vec![!&a];
    }
    let b = mid.bit(s as u32 - 1);
    let lower = if s == 1 {
        a.clone()
    } else {
        Signal::concat(&[a.clone(), mid.trunc(s as u32 - 1)])
    };
    let x = block_controls(&lower, s - 1);
    let not_a = !&a;
    let low = x.iter().map(|xp| b.mux(&a, xp));
    let high: Vec<Signal> = x.iter().map(|xp| b.mux(xp, &not_a)).collect();
    low.chain(high).collect()
}

/// The valid/ready state of a pipelined or multi-beat network: the shared register enable and
/// the valid bit of the data currently at the end of the built part of the pipeline.
struct Handshake {
    en: Signal,
    valid: Signal,
    out_valid: WireHandle,
    out_ready: Signal,
    /// Multi-beat output: high on the last beat of the current result (driven later).
    last: Option<WireHandle>,
}

/// Declares `clk`/`rst` (if needed) and `in_valid`, `in_ready`, `out_valid`, `out_ready` when
/// `pipeline > 0` or the output is multi-beat (`out_lanes < lanes`). The whole pipeline advances
/// together: `en = (out_ready & last_beat) | ~out_valid`, `in_ready = en`.
fn handshake(m: &mut ModuleBuilder, p: &ButterflyParams, has_clock: bool) -> Option<Handshake> {
    let multibeat = p.out_lanes < p.lanes;
    if p.pipeline == 0 && !multibeat {
        return None;
    }
    if !has_clock {
        m.clock_domain();
    }
    let in_valid = m.input("in_valid", 1);
    let out_ready = m.input("out_ready", 1);
    let out_valid = m.output_decl("out_valid", 1, false);
    let last = multibeat.then(|| m.wire_decl("beat_last", 1));
    let advance = match &last {
        Some(l) => &out_ready & &l.sig(),
        None => out_ready.clone(),
    };
    let en = m.wire("pipe_en", &(advance | !out_valid.sig()));
    m.output("in_ready", &en);
    Some(Handshake {
        en,
        valid: in_valid,
        out_valid,
        out_ready,
        last,
    })
}

/// A switch network: stages of 2x2 switches on `pair_bits[s]`. `controls[s][w]` is one bit
/// (exchange switch: cross) or, with `mux_switches`, two bits (bit 0 = the `lo` output takes the
/// `hi` input, bit 1 = the `hi` output takes the `lo` input). With a handshake, a register level
/// follows every `p.pipeline` stages and carries the lanes, the remaining control bits and the
/// `side` signals. With `tag_index` (compaction), stage s appends index bit s above each lane:
/// the `lo` output's lane came from an input with bit s = cross, the `hi` output's from one with
/// bit s = !cross (index bits above s are implied by the wire position until then, so no lane
/// carries them). Returns the final lanes and side signals.
#[allow(clippy::too_many_arguments)]
fn run_network(
    m: &mut ModuleBuilder,
    p: &ButterflyParams,
    name: &str,
    mut lanes: Vec<Signal>,
    pair_bits: &[usize],
    mut controls: Vec<Vec<Signal>>,
    mux_switches: bool,
    tag_index: bool,
    mut side: Vec<Signal>,
    hs: &mut Option<Handshake>,
) -> (Vec<Signal>, Vec<Signal>) {
    let stages = pair_bits.len();
    for s in 0..stages {
        let mut out = lanes.clone();
        for (w, c) in controls[s].iter().enumerate() {
            let (lo, hi) = switch_positions(pair_bits[s], w);
            let (lo_sel, hi_sel) = if mux_switches {
                (c.bit(0), c.bit(1))
            } else {
                (c.clone(), c.clone())
            };
            let mut lo_v = lo_sel.mux(&lanes[hi], &lanes[lo]);
            let mut hi_v = hi_sel.mux(&lanes[lo], &lanes[hi]);
            if tag_index {
                lo_v = Signal::concat(&[c.clone(), lo_v]);
                hi_v = Signal::concat(&[!c, hi_v]);
            }
            out[lo] = m.wire(&format!("{name}{s}_l{lo}"), &lo_v);
            out[hi] = m.wire(&format!("{name}{s}_l{hi}"), &hi_v);
        }
        lanes = out;
        if let Some(h) = hs.as_mut() {
            if p.pipeline > 0 && (s + 1) % p.pipeline == 0 {
                let b = (s + 1) / p.pipeline - 1;
                let en = h.en.clone();
                lanes = lanes
                    .iter()
                    .enumerate()
                    .map(|(i, l)| m.reg_en(&format!("p{b}_l{i}"), l, &en))
                    .collect();
                for (t, stage) in controls.iter_mut().enumerate().skip(s + 1) {
                    let cw = stage[0].width();
                    let rev: Vec<Signal> = stage.iter().rev().cloned().collect();
                    let q = m.reg_en(&format!("p{b}_ctl_s{t}"), &Signal::concat(&rev), &en);
                    *stage = (0..stage.len())
                        .map(|w| q.slice(w as u32 * cw, cw))
                        .collect();
                }
                side = side
                    .iter()
                    .enumerate()
                    .map(|(j, x)| m.reg_en(&format!("p{b}_side{j}"), x, &en))
                    .collect();
                h.valid = m.reg_en(&format!("p{b}_valid"), &h.valid, &en);
            }
        }
    }
    (lanes, side)
}

/// Drives `out_valid` from the last valid register (or `in_valid` when no register level).
fn finish_handshake(m: &mut ModuleBuilder, hs: Option<Handshake>) {
    if let Some(h) = hs {
        m.drive(&h.out_valid, &h.valid);
    }
}

fn build_compact(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    let n = p.lanes;
    let d = p.width as u32;
    let k = p.log2_lanes();
    let kw = k as u32;
    let mut m = ModuleBuilder::new(top);
    let mut hs = handshake(&mut m, p, false);
    let data = m.input("in_data", n as u32 * d);
    let mask = mask_bits(&mut m, p, &data);
    let (cross, count) = compaction_controls(&mut m, &mask, true);
    let count = count.expect("total popcount was asked for");
    // Lanes enter with their value only (zero when unselected; with mask = nonzero an
    // unselected lane is zero already); the network appends the index bits.
    let zero = Signal::lit(d, 0);
    let lanes: Vec<Signal> = (0..n)
        .map(|i| match p.mask {
            MaskSource::External => {
                m.wire(&format!("in_l{i}"), &mask[i].mux(&lane(&data, i, d), &zero))
            }
            MaskSource::Nonzero => lane(&data, i, d),
        })
        .collect();
    let bits: Vec<usize> = (0..k).collect();
    let (lanes, side) = run_network(
        &mut m,
        p,
        "s",
        lanes,
        &bits,
        cross,
        false,
        true,
        vec![count],
        &mut hs,
    );
    let count = m.wire("count", &side[0]);
    // Lane j is valid iff j < count; the index bits of an invalid lane are forced to zero
    // (its value is zero already: only unselected, zero lanes reach outputs >= count).
    let zero_index = Signal::lit(kw, 0);
    let valid: Vec<Signal> = (0..n)
        .map(|j| {
            m.wire(
                &format!("valid_l{j}"),
                &count.gt(&Signal::lit(kw + 1, j as u64)),
            )
        })
        .collect();
    let lanes: Vec<Signal> = lanes
        .iter()
        .zip(&valid)
        .enumerate()
        .map(|(j, (l, v))| {
            let tagged = Signal::concat(&[v.mux(&l.slice(d, kw), &zero_index), l.slice(0, d)]);
            m.wire(&format!("out_l{j}"), &tagged)
        })
        .collect();
    match hs.as_ref().and_then(|h| h.last.clone()) {
        None => {
            let values: Vec<Signal> = lanes.iter().map(|l| l.slice(0, d)).collect();
            let index: Vec<Signal> = lanes.iter().map(|l| l.slice(d, kw)).collect();
            m.output("out_data", &pack(&values));
            m.output("out_index", &pack(&index));
            m.output("out_valid_lanes", &pack(&valid));
        }
        Some(last) => {
            let h = hs.as_ref().expect("multi-beat output has a handshake");
            multibeat_outputs(&mut m, p, &lanes, &count, &last, h);
        }
    }
    m.output("out_count", &count);
    finish_handshake(&mut m, hs);
    Ok(m.finish()?)
}

/// Multi-beat output of compaction: beat b shows lanes [b K, b K + K) of the compacted result;
/// a beat counter `beat_q` advances on every transfer and returns to 0 after the last beat
/// (`count <= (b + 1) K`, so at least one beat even when count = 0).
fn multibeat_outputs(
    m: &mut ModuleBuilder,
    p: &ButterflyParams,
    lanes: &[Signal],
    count: &Signal,
    last: &WireHandle,
    h: &Handshake,
) {
    let n = p.lanes;
    let kout = p.out_lanes;
    let d = p.width as u32;
    let kw = p.log2_lanes() as u32;
    let beats = n.div_ceil(kout);
    let bw = (usize::BITS - (beats - 1).leading_zeros()).max(1);
    let cw = kw + 2;
    let beat = m.reg_decl("beat_q", bw, false, Some(Bits::zero(bw)));
    let b = beat.sig();
    // is_beat[i] for i >= 1 (beat 0 is the default of every select).
    let is_beat: Vec<Signal> = (0..beats)
        .map(|i| {
            if i == 0 {
                b.eq_lit(0)
            } else {
                m.wire(&format!("beat_is{i}"), &b.eq_lit(i as u64))
            }
        })
        .collect();
    let select =
        |m: &mut ModuleBuilder, name: &str, j: usize, width: u32, f: &dyn Fn(&Signal) -> Signal| {
            let cases: Vec<(Signal, Signal)> = (1..beats)
                .map(|i| {
                    let lane = i * kout + j;
                    let v = if lane < n {
                        f(&lanes[lane])
                    } else {
                        Signal::lit(width, 0)
                    };
                    (is_beat[i].clone(), v)
                })
                .collect();
            let v = Signal::priority(&cases, &f(&lanes[j]));
            m.wire(&format!("{name}{j}"), &v)
        };
    let values: Vec<Signal> = (0..kout)
        .map(|j| select(m, "beat_l", j, d, &|l| l.slice(0, d)))
        .collect();
    let index: Vec<Signal> = (0..kout)
        .map(|j| select(m, "beat_i", j, kw, &|l| l.slice(d, kw)))
        .collect();
    let base_cases: Vec<(Signal, Signal)> = (1..beats)
        .map(|i| (is_beat[i].clone(), Signal::lit(cw, (i * kout) as u64)))
        .collect();
    let base = m.wire(
        "beat_base",
        &Signal::priority(&base_cases, &Signal::lit(cw, 0)),
    );
    let count_w = count.zext(cw);
    let valid: Vec<Signal> = (0..kout)
        .map(|j| count_w.gt(&base.add_w(&Signal::lit(cw, j as u64), cw)))
        .collect();
    let is_last = count_w.le(&base.add_w(&Signal::lit(cw, kout as u64), cw));
    m.drive(last, &is_last);
    let transfer = &h.valid & &h.out_ready;
    let next = is_last.mux(&Signal::lit(bw, 0), &b.add_w(&Signal::lit(bw, 1), bw));
    m.set_next(&beat, &next);
    m.set_enable(&beat, &transfer);
    m.output("out_data", &pack(&values));
    m.output("out_index", &pack(&index));
    m.output("out_valid_lanes", &pack(&valid));
}

fn build_expand(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    let n = p.lanes;
    let d = p.width as u32;
    let k = p.log2_lanes();
    let mut m = ModuleBuilder::new(top);
    let mut hs = handshake(&mut m, p, false);
    let data = m.input("in_data", n as u32 * d);
    let mask = mask_bits(&mut m, p, &data);
    let (mut cross, _) = compaction_controls(&mut m, &mask, false);
    cross.reverse();
    let lanes: Vec<Signal> = (0..n).map(|i| lane(&data, i, d)).collect();
    let bits: Vec<usize> = (0..k).rev().collect();
    let (lanes, side) = run_network(
        &mut m,
        p,
        "e",
        lanes,
        &bits,
        cross,
        false,
        false,
        vec![pack(&mask)],
        &mut hs,
    );
    let mask = m.wire("out_mask", &side[0]);
    let zero = Signal::lit(d, 0);
    let out: Vec<Signal> = (0..n)
        .map(|i| mask.bit(i as u32).mux(&lanes[i], &zero))
        .collect();
    m.output("out_data", &pack(&out));
    m.output("out_valid_lanes", &mask);
    finish_handshake(&mut m, hs);
    Ok(m.finish()?)
}

/// Width of the permute configuration port: (2 log2 N - 1) * N/2 bits, bit `s*N/2 + w` crosses
/// switch w of stage s (as [`super::benes::BenesConfig::to_bits`]).
pub fn permute_config_width(lanes: usize) -> usize {
    let k = lanes.trailing_zeros() as usize;
    (2 * k - 1) * lanes / 2
}

/// Width of the multicast configuration port: two mux selects per switch
/// ([`super::multicast::MulticastConfig::to_bits`]) then N output-valid bits.
pub fn multicast_config_width(lanes: usize) -> usize {
    2 * permute_config_width(lanes) + lanes
}

/// Permute and multicast: a Benes network whose control bits come from the configuration
/// register `cfg_q`, loaded from `cfg_data` when `cfg_we` is high.
fn build_benes(p: &ButterflyParams, top: &str, multicast: bool) -> Result<Rc<Module>, GenError> {
    let n = p.lanes;
    let d = p.width as u32;
    let k = p.log2_lanes();
    let switches = permute_config_width(n);
    let cw: u32 = if multicast { 2 } else { 1 };
    let width = if multicast {
        multicast_config_width(n)
    } else {
        switches
    };
    let mut m = ModuleBuilder::new(top);
    m.clock_domain();
    let mut hs = handshake(&mut m, p, true);
    let we = m.input("cfg_we", 1);
    let cfg_in = m.input("cfg_data", width as u32);
    let data = m.input("in_data", n as u32 * d);
    let cfg = m.reg_en("cfg_q", &cfg_in, &we);
    let lanes: Vec<Signal> = (0..n).map(|i| lane(&data, i, d)).collect();
    let bits = benes_bits(k);
    let controls: Vec<Vec<Signal>> = (0..bits.len())
        .map(|s| {
            (0..n / 2)
                .map(|w| cfg.slice((s * n / 2 + w) as u32 * cw, cw))
                .collect()
        })
        .collect();
    let side = if multicast {
        vec![cfg.slice(2 * switches as u32, n as u32)]
    } else {
        Vec::new()
    };
    let (lanes, side) = run_network(
        &mut m, p, "s", lanes, &bits, controls, multicast, false, side, &mut hs,
    );
    if multicast {
        let valid = m.wire("out_valid_mask", &side[0]);
        let zero = Signal::lit(d, 0);
        let outs: Vec<Signal> = (0..n)
            .map(|j| valid.bit(j as u32).mux(&lanes[j], &zero))
            .collect();
        m.output("out_data", &pack(&outs));
        m.output("out_valid_lanes", &valid);
    } else {
        m.output("out_data", &pack(&lanes));
    }
    finish_handshake(&mut m, hs);
    Ok(m.finish()?)
}

/// The multicast configuration as a [`Bits`] value for the `cfg_data` port.
pub fn multicast_config_bits(cfg: &super::multicast::MulticastConfig) -> Bits {
    let mut bits = cfg.to_bits();
    bits.extend(&cfg.out_valid);
    bools_to_bits(&bits)
}

fn bools_to_bits(bits: &[bool]) -> Bits {
    let mut b = Bits::zero(bits.len() as u32);
    for (i, &v) in bits.iter().enumerate() {
        b.set_bit(i as u32, v);
    }
    b
}

/// The permute configuration as a [`Bits`] value for the `cfg_data` port.
pub fn permute_config_bits(cfg: &super::benes::BenesConfig) -> Bits {
    bools_to_bits(&cfg.to_bits())
}
