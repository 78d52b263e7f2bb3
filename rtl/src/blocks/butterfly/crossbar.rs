//! The crossbar baselines the butterfly networks are measured against (issue 6):
//!
//! - [`build_crossbar`]: the plain N x N crossbar, `out_j = in[sel_j]` with the selects given
//!   as a primary input (`in_sel`), a mux tree per output lane. This is the baseline the issue
//!   defines; it does not compute what to select.
//! - [`build_crossbar_compact`]: compaction done with a crossbar, the design a user would
//!   write to compact without a butterfly. It has the compaction router's ports and result
//!   (lane j of the output is the j-th selected input, its index, the count and the valid
//!   lanes), with the selects computed from the mask: a log-depth (Kogge-Stone) prefix
//!   popcount of the mask, an equality decoder per input lane, and an AND-OR crossbar. Input
//!   lane i can only land on outputs j <= i, so the crossbar is triangular: N (N + 1) / 2
//!   crosspoints of D data bits instead of N^2.

use super::netlist::{lane, mask_bits, pack, GenError};
use super::{ButterflyParams, Mode};
use crate::builder::ModuleBuilder;
use crate::design::Design;
use crate::emit::emit;
use crate::ir::Module;
use crate::signal::Signal;
use std::rc::Rc;

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

/// Build compaction as a crossbar with computed selects (module doc), for a combinational
/// compact configuration `p` (mask `nonzero` or `external`); ports and outputs as
/// [`super::build`] gives for `p`, so the two are interchangeable and provably equal.
///
/// Names: `mask_{i}` (mask = nonzero), `pfx{s}_{i}` (the inclusive prefix popcount of lanes
/// 0..=i after Kogge-Stone level s, for i >= 2^s), `hit_{j}_{i}` (input lane i goes to output lane j),
/// `out_l{j}`, `idx_l{j}`, `valid_l{j}`, `count`.
pub fn build_crossbar_compact(p: &ButterflyParams, top: &str) -> Result<Rc<Module>, GenError> {
    p.validate()?;
    if p.mode != Mode::Compact || p.pipeline != 0 || p.out_lanes != p.lanes {
        return Err(GenError::Unsupported(format!(
            "a compaction crossbar other than combinational compact with all lanes out \
             (mode = {}, pipeline = {}, out_lanes = {})",
            p.mode, p.pipeline, p.out_lanes
        )));
    }
    let n = p.lanes;
    let d = p.width as u32;
    let k = p.log2_lanes();
    let kw = k as u32;
    let mut m = ModuleBuilder::new(top);
    let data = m.input("in_data", n as u32 * d);
    let mask = mask_bits(&mut m, p, &data);
    // Inclusive prefix popcounts, Kogge-Stone: after level s, lane i holds the count of lanes
    // max(0, i - 2^(s+1) + 1) ..= i, at most 2^(s+1), in s + 2 bits (k + 1 at most). Lanes
    // i < 2^s are final before level s and keep their wire.
    let mut pfx: Vec<Signal> = mask.clone();
    for s in 0..k {
        let w = (s as u32 + 2).min(kw + 1);
        let span = 1usize << s;
        pfx = (0..n)
            .map(|i| {
                if i < span {
                    return pfx[i].clone();
                }
                let sum = pfx[i].zext(w).add_w(&pfx[i - span].zext(w), w);
                m.wire(&format!("pfx{s}_{i}"), &sum)
            })
            .collect();
    }
    let pos: Vec<Signal> = pfx.iter().map(|x| x.zext(kw + 1)).collect();
    let count = m.wire("count", &pos[n - 1]);
    // hit[j][i - j], i >= j: lane i is selected and j lanes before it are, i.e. its inclusive
    // prefix count is j + 1.
    let hit: Vec<Vec<Signal>> = (0..n)
        .map(|j| {
            (j..n)
                .map(|i| {
                    let h = &mask[i] & &pos[i].eq_lit(j as u64 + 1);
                    m.wire(&format!("hit_{j}_{i}"), &h)
                })
                .collect()
        })
        .collect();
    let mut values = Vec::with_capacity(n);
    let mut index = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    for (j, row) in hit.iter().enumerate() {
        let v = row
            .iter()
            .enumerate()
            .map(|(o, h)| &h.repeat(d) & &lane(&data, j + o, d))
            .reduce(|a, b| &a | &b)
            .expect("output lane j has input lanes j..n");
        values.push(m.wire(&format!("out_l{j}"), &v));
        // Index bit b: one of the hits of an input lane whose number has bit b set.
        let bits: Vec<Signal> = (0..kw)
            .map(|b| {
                row.iter()
                    .enumerate()
                    .filter(|(o, _)| (j + o) >> b & 1 == 1)
                    .map(|(_, h)| h.clone())
                    .reduce(|a, b| &a | &b)
                    .unwrap_or_else(|| Signal::lit(1, 0))
            })
            .collect();
        index.push(m.wire(&format!("idx_l{j}"), &pack(&bits)));
        valid.push(m.wire(
            &format!("valid_l{j}"),
            &count.gt(&Signal::lit(kw + 1, j as u64)),
        ));
    }
    m.output("out_data", &pack(&values));
    m.output("out_index", &pack(&index));
    m.output("out_valid_lanes", &pack(&valid));
    m.output("out_count", &count);
    Ok(m.finish()?)
}

/// Build and emit the compaction crossbar ([`build_crossbar_compact`]).
pub fn generate_crossbar_compact(p: &ButterflyParams, top: &str) -> Result<Design, GenError> {
    Ok(emit(&build_crossbar_compact(p, top)?)?)
}
