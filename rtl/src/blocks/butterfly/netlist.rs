//! The butterfly router generator: builds the IR of compact, expand and permute networks, and
//! the plain crossbar baseline.
//!
//! Lanes are packed little-end first: lane i of a `[N*D-1:0]` port is `[i*D +: D]`.

use super::switch_model::{benes_bits, switch_positions};
use super::{ButterflyParams, MaskSource, Mode, ParamError};
use crate::bits::Bits;
use crate::builder::ModuleBuilder;
use crate::design::Design;
use crate::emit::emit;
use crate::error::RtlError;
use crate::ir::Module;
use crate::signal::Signal;
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

/// Build the top module of the router for `p`, named `top`.
///
/// Supported: `compact` (mask nonzero or external), `expand` (mask external), `permute` and
/// `multicast` (configuration registers loaded through `cfg_we`/`cfg_data`), combinational (`pipeline = 0`) with all lanes out in one beat (`out_lanes = lanes`).
pub fn build(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    p.validate()?;
    if p.pipeline != 0 {
        return Err(GenError::Unsupported(format!(
            "pipeline = {} (only 0, combinational)",
            p.pipeline
        )));
    }
    if p.out_lanes != p.lanes {
        return Err(GenError::Unsupported(format!(
            "out_lanes = {} below lanes = {} (multi-beat output)",
            p.out_lanes, p.lanes
        )));
    }
    match p.mode {
        Mode::Compact => build_compact(p, top),
        Mode::Expand => build_expand(p, top),
        Mode::Permute => build_permute(p, top),
        Mode::Multicast => build_multicast(p, top),
    }
}

/// Build and emit the router for `p` with top module `top` (default name `butterfly`).
pub fn generate(p: &ButterflyParams, top: &str) -> Result<Design, GenError> {
    Ok(emit(&build(p, top)?)?)
}

fn lane(bus: &Signal, i: usize, d: u32) -> Signal {
    bus.slice(i as u32 * d, d)
}

/// Lanes to a packed bus, lane 0 least significant.
fn pack(lanes: &[Signal]) -> Signal {
    let rev: Vec<Signal> = lanes.iter().rev().cloned().collect();
    Signal::concat(&rev)
}

/// The mask bits: `in_mask` or, with `mask = nonzero`, lane i != 0.
fn mask_bits(m: &mut ModuleBuilder, p: &ButterflyParams, data: &Signal) -> Vec<Signal> {
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
/// [`super::compact_rule`]): `cross[s][w]`. With `total`, also returns the total popcount (k+1
/// bits).
///
/// Popcount tree `cnt_l{s}_b{g}` (block g of 2^s lanes, s+1 bits); prefix popcount modulo
/// 2^{s+1} below each stage-s block, `pre_s{s}_b{g}`, computed top-down:
/// `pre_s{s}_b{g} = pre_s{s+1}_b{g/2} (+ cnt_l{s+1}_b{g-1} when g is odd)`.
fn compaction_controls(
    m: &mut ModuleBuilder,
    mask: &[Signal],
    total: bool,
) -> (Vec<Vec<Signal>>, Option<Signal>) {
    let n = mask.len();
    let k = n.trailing_zeros() as usize;
    let mut cnt: Vec<Vec<Signal>> = vec![mask.to_vec()];
    let top = if total { k } else { k - 1 };
    for s in 1..=top {
        let w = s as u32 + 1;
        let level: Vec<Signal> = (0..n >> s)
            .map(|g| {
                let sum = cnt[s - 1][2 * g].add_w(&cnt[s - 1][2 * g + 1], w);
                if !total && g == (n >> s) - 1 {
                    // The rightmost block of a level only feeds the total: unnamed, unused.
                    sum
                } else {
                    m.wire(&format!("cnt_l{s}_b{g}"), &sum)
                }
            })
            .collect();
        cnt.push(level);
    }
    let mut pre: Vec<Vec<Signal>> = vec![Vec::new(); k];
    pre[k - 1] = vec![Signal::lit(k as u32, 0)];
    for s in (0..k - 1).rev() {
        let w = s as u32 + 1;
        pre[s] = (0..n >> (s + 1))
            .map(|g| {
                let up = pre[s + 1][g / 2].trunc(w);
                if g % 2 == 0 {
                    up
                } else {
                    let v = up.add_w(&cnt[s + 1][g - 1].trunc(w), w);
                    m.wire(&format!("pre_s{s}_b{g}"), &v)
                }
            })
            .collect();
    }
    let controls = (0..k)
        .map(|s| {
            let h = 1usize << s;
            let w = s as u32 + 1;
            (0..n / 2)
                .map(|sw| {
                    let g = sw >> s;
                    let pos = sw & (h - 1);
                    let c_lo = &cnt[s][2 * g];
                    // x = (p - prefix) mod 2^{s+1}; cross = x[s] ^ (x mod 2^s >= c_lo)
                    // Block 0 has no lanes below it: x is the constant p.
                    let x = if g == 0 {
                        Signal::lit(w, pos as u64)
                    } else {
                        let x = Signal::lit(w, pos as u64).sub_w(&pre[s][g], w);
                        m.wire(&format!("s{s}_x{sw}"), &x)
                    };
                    let ge = if s == 0 {
                        !c_lo
                    } else {
                        x.trunc(s as u32).zext(w).ge(c_lo)
                    };
                    m.wire(&format!("s{s}_cross{sw}"), &(x.bit(s as u32) ^ ge))
                })
                .collect()
        })
        .collect();
    (controls, total.then(|| cnt[k][0].clone()))
}

/// One stage of exchange switches on `pair_bit`; names the outputs `{prefix}{stage}_l{lane}`.
fn exchange_stage(
    m: &mut ModuleBuilder,
    name: &str,
    lanes: &[Signal],
    pair_bit: usize,
    cross: &[Signal],
) -> Vec<Signal> {
    let mut out = lanes.to_vec();
    for (w, c) in cross.iter().enumerate() {
        let (lo, hi) = switch_positions(pair_bit, w);
        out[lo] = m.wire(&format!("{name}_l{lo}"), &c.mux(&lanes[hi], &lanes[lo]));
        out[hi] = m.wire(&format!("{name}_l{hi}"), &c.mux(&lanes[lo], &lanes[hi]));
    }
    out
}

fn build_compact(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    let n = p.lanes;
    let d = p.width as u32;
    let k = p.log2_lanes();
    let kw = k as u32;
    let mut m = ModuleBuilder::new(top);
    let data = m.input("in_data", n as u32 * d);
    let mask = mask_bits(&mut m, p, &data);
    let (cross, count) = compaction_controls(&mut m, &mask, true);
    let count = count.expect("total popcount was asked for");
    // Each lane carries {index, value}, zero when unselected.
    let zero = Signal::lit(d + kw, 0);
    let mut lanes: Vec<Signal> = (0..n)
        .map(|i| {
            let tagged = Signal::concat(&[Signal::lit(kw, i as u64), lane(&data, i, d)]);
            m.wire(&format!("in_l{i}"), &mask[i].mux(&tagged, &zero))
        })
        .collect();
    for (s, c) in cross.iter().enumerate() {
        lanes = exchange_stage(&mut m, &format!("s{s}"), &lanes, s, c);
    }
    let values: Vec<Signal> = lanes.iter().map(|l| l.slice(0, d)).collect();
    let index: Vec<Signal> = lanes.iter().map(|l| l.slice(d, kw)).collect();
    let count = m.wire("count", &count);
    let valid: Vec<Signal> = (0..n)
        .map(|j| count.gt(&Signal::lit(kw + 1, j as u64)))
        .collect();
    m.output("out_data", &pack(&values));
    m.output("out_index", &pack(&index));
    m.output("out_count", &count);
    m.output("out_valid_lanes", &pack(&valid));
    Ok(m.finish()?)
}

fn build_expand(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    let n = p.lanes;
    let d = p.width as u32;
    let k = p.log2_lanes();
    let mut m = ModuleBuilder::new(top);
    let data = m.input("in_data", n as u32 * d);
    let mask = mask_bits(&mut m, p, &data);
    let (cross, _) = compaction_controls(&mut m, &mask, false);
    let mut lanes: Vec<Signal> = (0..n).map(|i| lane(&data, i, d)).collect();
    for s in (0..k).rev() {
        lanes = exchange_stage(&mut m, &format!("e{s}"), &lanes, s, &cross[s]);
    }
    let zero = Signal::lit(d, 0);
    let out: Vec<Signal> = (0..n).map(|i| mask[i].mux(&lanes[i], &zero)).collect();
    m.output("out_data", &pack(&out));
    m.output("out_valid_lanes", &pack(&mask));
    Ok(m.finish()?)
}

/// Width of the permute configuration port: (2 log2 N - 1) * N/2 bits, bit `s*N/2 + w` crosses
/// switch w of stage s (as [`super::benes::BenesConfig::to_bits`]).
pub fn permute_config_width(lanes: usize) -> usize {
    let k = lanes.trailing_zeros() as usize;
    (2 * k - 1) * lanes / 2
}

fn build_permute(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    let n = p.lanes;
    let d = p.width as u32;
    let k = p.log2_lanes();
    let cw = permute_config_width(n) as u32;
    let mut m = ModuleBuilder::new(top);
    m.clock_domain();
    let we = m.input("cfg_we", 1);
    let cfg_in = m.input("cfg_data", cw);
    let data = m.input("in_data", n as u32 * d);
    let cfg = m.reg_en("cfg_q", &cfg_in, &we);
    let mut lanes: Vec<Signal> = (0..n).map(|i| lane(&data, i, d)).collect();
    for (s, &bit) in benes_bits(k).iter().enumerate() {
        let cross: Vec<Signal> = (0..n / 2)
            .map(|w| cfg.bit((s * n / 2 + w) as u32))
            .collect();
        lanes = exchange_stage(&mut m, &format!("s{s}"), &lanes, bit, &cross);
    }
    m.output("out_data", &pack(&lanes));
    Ok(m.finish()?)
}

/// Width of the multicast configuration port: two mux selects per switch
/// ([`super::multicast::MulticastConfig::to_bits`]) then N output-valid bits.
pub fn multicast_config_width(lanes: usize) -> usize {
    2 * permute_config_width(lanes) + lanes
}

fn build_multicast(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    let n = p.lanes;
    let d = p.width as u32;
    let k = p.log2_lanes();
    let sw = permute_config_width(n);
    let mut m = ModuleBuilder::new(top);
    m.clock_domain();
    let we = m.input("cfg_we", 1);
    let cfg_in = m.input("cfg_data", multicast_config_width(n) as u32);
    let data = m.input("in_data", n as u32 * d);
    let cfg = m.reg_en("cfg_q", &cfg_in, &we);
    let mut lanes: Vec<Signal> = (0..n).map(|i| lane(&data, i, d)).collect();
    for (s, &bit) in benes_bits(k).iter().enumerate() {
        let mut out = lanes.clone();
        for w in 0..n / 2 {
            let (lo, hi) = switch_positions(bit, w);
            let base = 2 * (s * n / 2 + w) as u32;
            let lo_from_hi = cfg.bit(base);
            let hi_from_lo = cfg.bit(base + 1);
            let name = format!("s{s}");
            out[lo] = m.wire(
                &format!("{name}_l{lo}"),
                &lo_from_hi.mux(&lanes[hi], &lanes[lo]),
            );
            out[hi] = m.wire(
                &format!("{name}_l{hi}"),
                &hi_from_lo.mux(&lanes[lo], &lanes[hi]),
            );
        }
        lanes = out;
    }
    let valid = cfg.slice(2 * sw as u32, n as u32);
    let zero = Signal::lit(d, 0);
    let outs: Vec<Signal> = (0..n)
        .map(|j| valid.bit(j as u32).mux(&lanes[j], &zero))
        .collect();
    m.output("out_data", &pack(&outs));
    m.output("out_valid_lanes", &valid);
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

/// Build the plain N x N crossbar baseline, what a user would write: `out_j = in[sel_j]`, with
/// `in_sel [N*log2N-1:0]` (lane j's select at `[j*log2N +: log2N]`), as a mux tree per output.
pub fn build_crossbar(lanes: usize, width: usize, top: &str) -> Result<Rc<Module>, GenError> {
    let p = ButterflyParams {
        lanes,
        width,
        out_lanes: lanes,
        ..ButterflyParams::default()
    };
    p.validate()?;
    let d = width as u32;
    let kw = p.log2_lanes() as u32;
    let mut m = ModuleBuilder::new(top);
    let data = m.input("in_data", lanes as u32 * d);
    let sel = m.input("in_sel", lanes as u32 * kw);
    let ins: Vec<Signal> = (0..lanes).map(|i| lane(&data, i, d)).collect();
    let outs: Vec<Signal> = (0..lanes)
        .map(|j| {
            let sj = sel.slice(j as u32 * kw, kw);
            let mut level = ins.clone();
            for b in 0..kw {
                level = level
                    .chunks(2)
                    .map(|pair| sj.bit(b).mux(&pair[1], &pair[0]))
                    .collect();
            }
            m.wire(&format!("out_l{j}"), &level[0])
        })
        .collect();
    m.output("out_data", &pack(&outs));
    Ok(m.finish()?)
}

/// Build and emit the crossbar baseline.
pub fn generate_crossbar(lanes: usize, width: usize, top: &str) -> Result<Design, GenError> {
    Ok(emit(&build_crossbar(lanes, width, top)?)?)
}

/// The permute configuration as a [`Bits`] value for the `cfg_data` port.
pub fn permute_config_bits(cfg: &super::benes::BenesConfig) -> Bits {
    bools_to_bits(&cfg.to_bits())
}
