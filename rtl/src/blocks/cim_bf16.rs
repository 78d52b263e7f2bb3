//! The BF16 CIM macro (`format = bf16`): an exponent-alignment front-end, one INT CIM macro
//! per input alignment group, and an exact combine / normalise / round back-end per column.
//!
//! # Number scheme (the golden model `nicc_testbench::cim::bf16` states it exactly)
//! A normal BF16 value is `+-M * 2^(e - 134)`, `M = 128 + fraction`. Zeros and subnormals
//! count as zero (flush), NaN / infinity as zero plus the sticky `non_finite` flag.
//! - **Inputs** (in hardware, per MVM): rows are cut into groups of `align_group` rows
//!   (`NG = ceil(R / align_group)` groups, the last one may be shorter). Per group,
//!   `Ex_g` = the max exponent of its normal inputs; each normal input becomes the
//!   `k = xalign`-bit signed integer `sign * floor(M * 2^(k - 9) / 2^(Ex_g - e))`
//!   (truncation of the magnitude, zero when shifted out).
//! - **Weights** (offline, in Rust: [`align_weights`]): per column `c` over all rows, the same
//!   with `k = wbits` and the column's max exponent `Ew_c`. The write port stores the
//!   integers in the INT macros' weight array and `Ew_c` (plus a per-column non-finite bit)
//!   in a register per bank and column.
//! - **Datapath.** Group `g` runs on its own INT macro (rows = the group's rows,
//!   `xbits = xalign`, signed inputs, the same `wbits`, `banks`, `tree`), giving the exact
//!   integer `S_gc`. The back-end forms `T_c = sum_g S_gc << (Ex_g - Emin)` exactly
//!   (`Emin` = min over groups with a normal input) in an accumulator of
//!   `AW = OWg + 253 + ceil(log2 NG)` bits (`OWg = xalign + wbits + ceil(log2 align_group)`;
//!   `AW = OWg` when `NG = 1`), so no alignment between groups loses a bit. The value is
//!   `T_c * 2^(Emin + Ew_c - 254 - (xalign - 2) - (wbits - 2))`; a leading-zero count and a
//!   left shift normalise `|T_c|`, then it is rounded (nearest even) once to 8 significant
//!   bits (BF16) and once to 24 (FP32). A rounded result below 2^-126 flushes to a signed
//!   zero (`+0` when `T_c = 0`), one at or above 2^128 becomes infinity and raises
//!   `out_overflow`.
//!
//! # Ports of the emitted top module
//! (`R` rows, `C` cols, `BW` = `wbits`, `NG` groups, `AW` = `max(1, ceil(log2 R))`,
//! `KW` = `max(1, ceil(log2 banks))`, `PW` = `ceil(log2(xalign + 1))`.)
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clk`, `rst` | in | 1 | clock, synchronous active-high reset |
//! | `in_valid`, `in_ready` | in / out | 1 | input handshake (one MVM per transfer) |
//! | `in_x` | in | `R*16` | BF16 input of row `r` at `[r*16 +: 16]` |
//! | `in_bank` | in | `KW` | weight bank this MVM reads (absent when `banks = 1`, as are `wr_bank`, `rd_bank`) |
//! | `out_valid`, `out_ready` | out / in | 1 | output handshake |
//! | `out_bf16` | out | `C*16` | column `c` at `[c*16 +: 16]`, BF16 bits |
//! | `out_fp32` | out | `C*32` | column `c` at `[c*32 +: 32]`, FP32 bits |
//! | `out_non_finite` | out | 1 | a NaN / infinity was among this MVM's inputs or its bank's weights |
//! | `out_overflow` | out | 1 | a column overflowed to infinity (BF16 or FP32) |
//! | `out_cycles` | out | `NG*PW` | bit-plane cycles group `g` took, at `[g*PW +: PW]` |
//! | `wr_en`, `wr_bank`, `wr_row`, `wr_data` | in | 1, `KW`, `AW`, `C*BW` | aligned weight row write (row `r` of all columns) |
//! | `wr_exp`, `wr_wnf` | in | `C*8`, `C` | with every row write: the bank's per-column `Ew_c` (`0` for an all-zero column) and non-finite bits |
//! | `rd_bank`, `rd_row`, `rd_data` | in, in, out | `KW`, `AW`, `C*BW` | combinational read-back of an aligned row |
//! | `cnt_mvms`, `cnt_cycles`, `cnt_skipped`, `cnt_products` | out | `NG*32` | the INT activity counters of group `g` at `[g*32 +: 32]` |
//!
//! # Timing
//! `in_ready` is the AND of the groups' `in_ready`; an accepted MVM enters every group at
//! the same edge, together with its exponents (`Emin`, the shifts `Ex_g - Emin`, the bank's
//! `Ew_c`, the flags) in a side FIFO of the INT macro's FIFO depth. `out_valid` is the AND of
//! the groups' `out_valid`; a transfer pops every group and the side FIFO. The back-end is
//! combinational between the FIFO heads and `out_bf16` / `out_fp32`, so the latency of an
//! MVM accepted into an empty macro is `max_g n_g + p + 1` cycles (`n_g` = non-zero
//! bit-planes of group `g`'s aligned inputs, at least 1; `p` = the groups' tree pipeline,
//! `min(tree_pipeline, ceil(log2 rows_g))`), and back-to-back MVMs take `max_g n_g` cycles.

use super::cim::{self, CimFormat, CimParams};
use crate::error::{ParamError, RtlError};
use crate::ir::Module;
use crate::signal::Signal;
use crate::{Bits, ModuleBuilder};
use std::collections::BTreeMap;
use std::rc::Rc;

/// `ceil(log2 n)` (0 for n <= 1).
fn clog2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// Converts an `f32` to BF16 bits, round to nearest even (a NaN stays a quiet NaN).
pub fn f32_to_bf16(v: f32) -> u16 {
    let b = v.to_bits();
    if v.is_nan() {
        return ((b >> 16) as u16) | 0x40;
    }
    let round = 0x7fff + ((b >> 16) & 1);
    (b.wrapping_add(round) >> 16) as u16
}

/// Rows per alignment group actually used: `min(align_group, rows)`.
pub fn group_rows(p: &CimParams) -> u32 {
    p.align_group.min(p.rows).max(1)
}

/// Number of input alignment groups `NG = ceil(rows / group_rows)`.
pub fn groups(p: &CimParams) -> u32 {
    p.rows.div_ceil(group_rows(p))
}

/// Rows of group `g` (the last group may be shorter).
pub fn rows_of_group(p: &CimParams, g: u32) -> u32 {
    let gr = group_rows(p);
    gr.min(p.rows - g * gr)
}

/// The INT macro parameters of group `g`.
pub fn group_params(p: &CimParams, g: u32) -> CimParams {
    let rows = rows_of_group(p, g);
    CimParams {
        rows,
        cols: p.cols,
        wbits: p.wbits,
        xbits: p.xalign,
        x_signed: true,
        banks: p.banks,
        tree: p.tree,
        tree_pipeline: p.tree_pipeline.min(clog2(rows as u64)),
        format: CimFormat::Int,
        xalign: p.xalign,
        align_group: rows,
        row_block: rows,
        col_group: p.cols,
        ..p.clone()
    }
}

/// Width of the exact combining accumulator `AW` (see the module documentation).
pub fn accumulator_width(p: &CimParams) -> u32 {
    let owg = p.xalign + p.wbits + clog2(group_rows(p) as u64);
    let ng = groups(p);
    if ng > 1 {
        owg + 253 + clog2(ng as u64)
    } else {
        owg
    }
}

/// Width of one group's `out_cycles` field: `ceil(log2(xalign + 1))`.
pub fn cycles_width(p: &CimParams) -> u32 {
    clog2(p.xalign as u64 + 1).max(1)
}

/// Weights aligned offline for the write port: one `wbits`-bit signed integer per weight and
/// a shared exponent per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlignedWeights {
    /// Rows `R`.
    pub rows: u32,
    /// Columns `C`.
    pub cols: u32,
    /// Aligned integers, row-major `q[r * C + c]`, each in `wbits`-bit two's complement range.
    pub q: Vec<i64>,
    /// Per column: the max biased exponent `Ew_c` of its normal weights (0: none).
    pub exp: Vec<u8>,
    /// Per column: a NaN or infinity was among its weights (it counts as zero).
    pub non_finite: Vec<bool>,
}

impl AlignedWeights {
    /// The `wr_data` value of row `r` (column `c` at `[c*wbits +: wbits]`).
    pub fn row_bits(&self, r: u32, wbits: u32) -> Bits {
        let mut b = Bits::zero(self.cols * wbits);
        for c in 0..self.cols {
            let v = self.q[(r * self.cols + c) as usize];
            b.set_slice(c * wbits, &Bits::from_i64(wbits, v));
        }
        b
    }

    /// The `wr_exp` value (column `c` at `[c*8 +: 8]`).
    pub fn exp_bits(&self) -> Bits {
        let mut b = Bits::zero(self.cols * 8);
        for (c, &e) in self.exp.iter().enumerate() {
            b.set_slice(c as u32 * 8, &Bits::from_u64(8, e as u64));
        }
        b
    }

    /// The `wr_wnf` value (bit `c`: column `c` holds a NaN / infinity).
    pub fn non_finite_bits(&self) -> Bits {
        let mut b = Bits::zero(self.cols);
        for (c, &f) in self.non_finite.iter().enumerate() {
            b.set_bit(c as u32, f);
        }
        b
    }
}

/// Pre-aligns `R x C` row-major BF16 weights per column to `wbits`-bit signed integers plus
/// `Ew_c` (the offline half of the BF16 scheme; see the module documentation).
pub fn align_weights_bf16(p: &CimParams, w: &[u16]) -> Result<AlignedWeights, ParamError> {
    p.validate()?;
    let (r, c) = (p.rows as usize, p.cols as usize);
    if w.len() != r * c {
        return Err(ParamError::invalid(
            "weights",
            format!("{} values", w.len()),
            format!("rows x cols = {r} x {c} = {} values", r * c),
        ));
    }
    let k = p.wbits as i64;
    let mut out = AlignedWeights {
        rows: p.rows,
        cols: p.cols,
        q: vec![0; r * c],
        exp: vec![0; c],
        non_finite: vec![false; c],
    };
    for col in 0..c {
        let field = |row: usize| {
            let b = w[row * c + col];
            (((b >> 7) & 0xff) as i64, (b & 0x7f) as i64, b & 0x8000 != 0)
        };
        let mut emax = 0;
        for row in 0..r {
            let (e, _, _) = field(row);
            if e == 255 {
                out.non_finite[col] = true;
            } else if e > emax {
                emax = e;
            }
        }
        out.exp[col] = emax as u8;
        for row in 0..r {
            let (e, f, neg) = field(row);
            if e == 0 || e == 255 {
                continue;
            }
            // floor(M * 2^(k - 9 - (emax - e))), M = 128 + f.
            let shift = (emax - e) + 9 - k;
            let m = 128 + f;
            let mag = if shift >= 63 {
                0
            } else if shift >= 0 {
                m >> shift
            } else {
                m << (-shift)
            };
            out.q[row * c + col] = if neg { -mag } else { mag };
        }
    }
    Ok(out)
}

/// [`align_weights_bf16`] for `f32` weights, first rounded to BF16 (nearest even).
pub fn align_weights(p: &CimParams, w: &[f32]) -> Result<AlignedWeights, ParamError> {
    let b: Vec<u16> = w.iter().map(|&v| f32_to_bf16(v)).collect();
    align_weights_bf16(p, &b)
}

/// Packs one BF16 input vector into `in_x` (row `r` at `[r*16 +: 16]`).
pub fn pack_inputs(x: &[u16]) -> Bits {
    let mut b = Bits::zero(16 * x.len().max(1) as u32);
    for (r, &v) in x.iter().enumerate() {
        b.set_slice(16 * r as u32, &Bits::from_u64(16, v as u64));
    }
    b
}

/// Normalises `x` (width a power of two) in `log2` stages: returns `(x << lz, lz)` where
/// `lz` counts the leading zeros of a non-zero `x` (a zero `x` gives a meaningless `lz`).
fn normalise(m: &mut ModuleBuilder, name: &str, x: &Signal) -> (Signal, Signal) {
    let w = x.width();
    let levels = clog2(w as u64);
    let mut cur = x.clone();
    let mut zs = Vec::new();
    for s in (0..levels).rev() {
        let span = 1u32 << s;
        let z = m.wire(
            &format!("{name}_z{s}"),
            &!cur.slice(w - span, span).reduce_or(),
        );
        let shifted = Signal::concat(&[cur.slice(0, w - span), Signal::lit(span, 0)]);
        cur = m.wire(&format!("{name}_s{s}"), &z.mux(&shifted, &cur));
        zs.push(z);
    }
    (cur, Signal::concat(&zs))
}

/// Rounds the normalised magnitude `norm` (leading one at the top, width >= sig + 2) to
/// `sig` significant bits, nearest even: `(rounded significand of sig + 1 bits)`.
fn round_rne(norm: &Signal, sig: u32) -> Signal {
    let n = norm.width();
    let top = norm.slice(n - sig, sig);
    let round = norm.bit(n - sig - 1);
    let sticky = norm.slice(0, n - sig - 1).reduce_or();
    let inc = &round & (&sticky | top.bit(0));
    top.add_w(&inc, sig + 1)
}

/// Generates the BF16 macro as module `top` (called by [`cim::generate`] for
/// `format = bf16`). See the module documentation for ports and timing.
pub fn generate_bf16(p: &CimParams, top: &str) -> Result<Rc<Module>, RtlError> {
    p.validate()?;
    if p.format != CimFormat::Bf16 {
        return Err(ParamError::invalid("format", "int", "bf16 for the bf16 generator").into());
    }
    let (r, c, bw, k) = (p.rows, p.cols, p.wbits, p.xalign);
    let ng = groups(p);
    let gr = group_rows(p);
    let (aw, kw) = (p.row_addr_width(), p.bank_width());
    let acc_w = accumulator_width(p);
    let n_w = acc_w.max(26);
    let banked = p.banks > 1;

    // One INT macro module per distinct group size.
    let mut int_mods: BTreeMap<u32, Rc<Module>> = BTreeMap::new();
    for g in 0..ng {
        let gp = group_params(p, g);
        if let std::collections::btree_map::Entry::Vacant(e) = int_mods.entry(gp.rows) {
            e.insert(cim::generate(&gp, &format!("{top}_int_r{}", gp.rows))?);
        }
    }
    let q_depth = (0..ng)
        .map(|g| group_params(p, g).fifo_depth())
        .max()
        .unwrap_or(1);
    let qa = clog2(q_depth as u64).max(1);
    let q_depth = 1u32 << qa;

    let mut m = ModuleBuilder::new(top);
    let (clk, rst) = m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_x = m.input("in_x", r * 16);
    let in_bank = banked.then(|| m.input("in_bank", kw));
    let out_ready = m.input("out_ready", 1);
    let wr_en = m.input("wr_en", 1);
    let wr_bank = banked.then(|| m.input("wr_bank", kw));
    let wr_row = m.input("wr_row", aw);
    let wr_data = m.input("wr_data", c * bw);
    let wr_exp = m.input("wr_exp", c * 8);
    let wr_wnf = m.input("wr_wnf", c);
    let rd_bank = banked.then(|| m.input("rd_bank", kw));
    let rd_row = m.input("rd_row", aw);

    // Per-bank column exponents and non-finite bits, written with every row write.
    let mut wexp: Vec<Signal> = Vec::new();
    for b in 0..p.banks {
        let hit = match &wr_bank {
            Some(wb) => &wr_en & wb.eq_lit(b as u64),
            None => wr_en.clone(),
        };
        let h = m.reg_decl(&format!("wexp_b{b}"), c * 9, false, Some(Bits::zero(c * 9)));
        m.set_next(&h, &Signal::concat(&[wr_wnf.clone(), wr_exp.clone()]));
        m.set_enable(&h, &hit);
        wexp.push(h.sig());
    }
    let wexp_sel = match &in_bank {
        None => wexp[0].clone(),
        Some(ib) => {
            let cases: Vec<(Signal, Signal)> = (1..p.banks)
                .map(|b| (ib.eq_lit(b as u64), wexp[b as usize].clone()))
                .collect();
            m.wire("wexp_sel", &Signal::priority(&cases, &wexp[0]))
        }
    };

    // Front-end: per group, max exponent and aligned xalign-bit signed mantissas.
    let mut nf_rows = Vec::new();
    let mut gx = Vec::new();
    let mut gex = Vec::new();
    let mut gany = Vec::new();
    for g in 0..ng {
        let rows_g = rows_of_group(p, g);
        let base = g * gr;
        let mut exps = Vec::new();
        let mut normals = Vec::new();
        let mut xs = Vec::new();
        for i in 0..rows_g {
            let x = m.wire(&format!("g{g}_r{i}_x"), &in_x.slice((base + i) * 16, 16));
            let e = m.wire(&format!("g{g}_r{i}_e"), &x.slice(7, 8));
            let normal = m.wire(
                &format!("g{g}_r{i}_normal"),
                &(e.ne(&Signal::lit(8, 0)) & e.ne(&Signal::lit(8, 255))),
            );
            nf_rows.push(e.eq_lit(255));
            exps.push(m.wire(
                &format!("g{g}_r{i}_em"),
                &normal.mux(&e, &Signal::lit(8, 0)),
            ));
            normals.push(normal);
            xs.push(x);
        }
        let emax = {
            let mut items = exps.clone();
            while items.len() > 1 {
                let mut next = Vec::new();
                let mut it = items.into_iter();
                while let Some(a) = it.next() {
                    match it.next() {
                        Some(b) => next.push(a.gt(&b).mux(&a, &b)),
                        None => next.push(a),
                    }
                }
                items = next;
            }
            items.pop().expect("a group has at least one row")
        };
        let ex = m.wire(&format!("g{g}_ex"), &emax);
        gany.push(m.wire(&format!("g{g}_any"), &ex.ne(&Signal::lit(8, 0))));
        let mut qs = Vec::new();
        for i in 0..rows_g {
            let x = xs[i as usize].clone();
            let mant = Signal::concat(&[Signal::lit(1, 1), x.slice(0, 7)]);
            let d = ex.sub_w(&exps[i as usize], 8);
            let mag = if k >= 9 {
                let mb = if k > 9 {
                    Signal::concat(&[mant, Signal::lit(k - 9, 0)])
                } else {
                    mant
                };
                mb.shr_var(&d)
            } else {
                let d9 = d.add_w(&Signal::lit(9, (9 - k) as u64), 9);
                mant.shr_var(&d9).slice(0, k - 1)
            };
            let mag = m.wire(&format!("g{g}_r{i}_mag"), &mag.zext(k));
            let q = x.bit(15).mux(&mag.neg(), &mag);
            let q = normals[i as usize].mux(&q, &Signal::lit(k, 0));
            qs.push(m.wire(&format!("g{g}_r{i}_q"), &q));
        }
        let qrev: Vec<Signal> = qs.iter().rev().cloned().collect();
        gx.push(m.wire(&format!("g{g}_x"), &Signal::concat(&qrev)));
        gex.push(ex);
    }
    let in_nf = m.wire(
        "in_nf",
        &Signal::concat(&nf_rows.iter().rev().cloned().collect::<Vec<_>>()).reduce_or(),
    );
    // Emin over groups with a normal input (255 when none) and the per-group shifts.
    let eff: Vec<Signal> = (0..ng as usize)
        .map(|g| gany[g].mux(&gex[g], &Signal::lit(8, 255)))
        .collect();
    let emin = {
        let mut items = eff;
        while items.len() > 1 {
            let mut next = Vec::new();
            let mut it = items.into_iter();
            while let Some(a) = it.next() {
                match it.next() {
                    Some(b) => next.push(a.lt(&b).mux(&a, &b)),
                    None => next.push(a),
                }
            }
            items = next;
        }
        m.wire("emin", &items.pop().expect("at least one group"))
    };
    let shifts: Vec<Signal> = (0..if ng > 1 { ng as usize } else { 0 })
        .map(|g| {
            let s = gany[g].mux(&gex[g].sub_w(&emin, 8), &Signal::lit(8, 0));
            m.wire(&format!("g{g}_sh"), &s)
        })
        .collect();

    // The INT macros, in lockstep on both handshakes.
    let in_ready = m.wire_decl("in_ready_w", 1);
    let out_valid = m.wire_decl("out_valid_w", 1);
    let accept = m.wire("accept", &(&in_valid & in_ready.sig()));
    let pop = m.wire("pop", &(out_valid.sig() & &out_ready));
    let mut readys = Vec::new();
    let mut valids = Vec::new();
    let mut sums: Vec<Vec<Signal>> = Vec::new();
    let mut rd_cases = Vec::new();
    let mut cycles = Vec::new();
    let mut counters: Vec<Vec<Signal>> = vec![Vec::new(); 4];
    for g in 0..ng {
        let gp = group_params(p, g);
        let module = int_mods[&gp.rows].clone();
        let base = g * gr;
        let in_range = |a: &Signal| {
            let lo = if base == 0 {
                Signal::lit(1, 1)
            } else {
                a.zext(aw + 1).ge(&Signal::lit(aw + 1, base as u64))
            };
            let hi = a
                .zext(aw + 1)
                .lt(&Signal::lit(aw + 1, (base + gp.rows) as u64));
            &lo & &hi
        };
        let gaw = gp.row_addr_width();
        let wr_hit = m.wire(&format!("g{g}_wr_hit"), &in_range(&wr_row));
        let wr_en_g = m.wire(&format!("g{g}_wr_en"), &(&wr_en & &wr_hit));
        let wr_row_g = m.wire(
            &format!("g{g}_wr_row"),
            &wr_row
                .zext(aw + 1)
                .sub_w(&Signal::lit(aw + 1, base as u64), aw + 1)
                .slice(0, gaw),
        );
        let rd_hit = m.wire(&format!("g{g}_rd_hit"), &in_range(&rd_row));
        let rd_row_g = m.wire(
            &format!("g{g}_rd_row"),
            &rd_row
                .zext(aw + 1)
                .sub_w(&Signal::lit(aw + 1, base as u64), aw + 1)
                .slice(0, gaw),
        );
        let zero_pw = Signal::lit(gp.planes_width(), 0);
        let one = Signal::lit(1, 1);
        let mut conns: Vec<(&str, &Signal)> = vec![
            ("clk", &clk),
            ("rst", &rst),
            ("in_valid", &accept),
            ("in_x", &gx[g as usize]),
            ("in_bx", &zero_pw),
            ("in_row_mask", &one),
            ("in_col_mask", &one),
            ("out_ready", &pop),
            ("wr_en", &wr_en_g),
            ("wr_row", &wr_row_g),
            ("wr_data", &wr_data),
            ("rd_row", &rd_row_g),
        ];
        if let (Some(ib), Some(wb), Some(rb)) = (&in_bank, &wr_bank, &rd_bank) {
            conns.push(("in_bank", ib));
            conns.push(("wr_bank", wb));
            conns.push(("rd_bank", rb));
        }
        let o = m.instance(&format!("g{g}_int"), &module, &conns);
        readys.push(o.out("in_ready"));
        valids.push(o.out("out_valid"));
        let ow = gp.out_width();
        let y = o.out("out_y");
        sums.push(
            (0..c)
                .map(|col| y.slice(col * ow, ow).as_signed())
                .collect(),
        );
        rd_cases.push((rd_hit, o.out("rd_data")));
        cycles.push(o.out("out_cycles"));
        for (i, name) in ["cnt_mvms", "cnt_cycles", "cnt_skipped", "cnt_products"]
            .iter()
            .enumerate()
        {
            counters[i].push(o.out(name));
        }
    }
    let all = |v: &[Signal]| v.iter().skip(1).fold(v[0].clone(), |acc, s| &acc & s);
    m.drive(&in_ready, &all(&readys));
    m.drive(&out_valid, &all(&valids));

    // Side FIFO: {nf, Emin, shifts, Ew_c + wnf of the bank}, written at accept, read at pop.
    let mut side_parts = vec![in_nf.clone(), emin.clone()];
    if ng > 1 {
        side_parts.extend(shifts.iter().rev().cloned());
    }
    side_parts.push(wexp_sel.clone());
    let side_in = m.wire("side_wdata", &Signal::concat(&side_parts));
    let side = m.memory("side", q_depth as u64, side_in.width());
    let pw1 = qa + 1;
    let wptr = m.reg_decl("side_wptr", pw1, false, Some(Bits::zero(pw1)));
    let rptr = m.reg_decl("side_rptr", pw1, false, Some(Bits::zero(pw1)));
    let (wp, rp) = (wptr.sig(), rptr.sig());
    m.mem_write(side, &accept, &wp.slice(0, qa), &side_in);
    let head = m.mem_read(side, "side_head", &rp.slice(0, qa));
    m.set_next(&wptr, &wp.add_w(&accept, pw1));
    m.set_next(&rptr, &rp.add_w(&pop, pw1));
    let hw = head.width();
    let h_nf = head.bit(hw - 1);
    let h_emin = head.slice(hw - 9, 8);
    let h_sh: Vec<Signal> = (0..if ng > 1 { ng } else { 0 })
        .map(|g| head.slice(c * 9 + g * 8, 8))
        .collect();
    let h_wexp = head.slice(0, c * 9);

    // Back-end per column: exact combine, normalise, round to BF16 and FP32.
    let ew_w = 14;
    let kconst = n_w as i64 + 3 - 127 - k as i64 - bw as i64;
    let lz_pad = n_w.next_power_of_two();
    let mut bf16_out = Vec::new();
    let mut fp32_out = Vec::new();
    let mut ovf = Vec::new();
    for col in 0..c {
        let terms: Vec<Signal> = (0..ng as usize)
            .map(|g| {
                let s = sums[g][col as usize].sext(acc_w);
                if ng > 1 {
                    s.shl_var(&h_sh[g]).as_signed()
                } else {
                    s
                }
            })
            .collect();
        let total = terms
            .iter()
            .skip(1)
            .fold(terms[0].clone(), |a, t| a.add_w(t, acc_w).as_signed());
        let total = m.wire(&format!("c{col}_total"), &total).as_signed();
        let sign = m.wire(&format!("c{col}_sign"), &total.msb());
        let mag = sign.mux(&total.neg(), &total).as_unsigned().zext(n_w);
        let mag = m.wire(&format!("c{col}_mag"), &mag);
        let padded = if lz_pad > n_w {
            Signal::concat(&[mag.clone(), Signal::lit(lz_pad - n_w, 0)])
        } else {
            mag.clone()
        };
        let (norm, lz) = normalise(&mut m, &format!("c{col}_norm"), &padded);
        let lz = m.wire(&format!("c{col}_lz"), &lz);
        let ew = h_wexp.slice(col * 8, 8);
        let ebase = Signal::lit_signed(ew_w, kconst)
            .sub_w(&lz.zext(ew_w), ew_w)
            .add_w(&h_emin.zext(ew_w), ew_w)
            .add_w(&ew.zext(ew_w), ew_w)
            .as_signed();
        let ebase = m.wire(&format!("c{col}_ebase"), &ebase).as_signed();
        for (fmt, sig, outs) in [("bf", 8u32, &mut bf16_out), ("fp", 24u32, &mut fp32_out)] {
            let rs = m.wire(&format!("c{col}_{fmt}_sig"), &round_rne(&norm, sig));
            let carry = rs.bit(sig);
            // The rounded significand is non-zero exactly when the magnitude is.
            let nonzero = &carry | rs.bit(sig - 1);
            let biased = m
                .wire(
                    &format!("c{col}_{fmt}_exp"),
                    &ebase.add_w(&carry.zext(ew_w), ew_w).as_signed(),
                )
                .as_signed();
            let over = m.wire(
                &format!("c{col}_{fmt}_ovf"),
                &(&nonzero & biased.ge(&Signal::lit_signed(ew_w, 255))),
            );
            let flush = !&nonzero | biased.le(&Signal::lit_signed(ew_w, 0));
            let fw = sig - 1;
            let normal_bits = Signal::concat(&[sign.clone(), biased.slice(0, 8), rs.slice(0, fw)]);
            let inf_bits = Signal::concat(&[sign.clone(), Signal::lit(8, 255), Signal::lit(fw, 0)]);
            let zero_bits = Signal::concat(&[sign.clone(), Signal::lit(8 + fw, 0)]);
            let v = over.mux(&inf_bits, &flush.mux(&zero_bits, &normal_bits));
            outs.push(m.wire(&format!("c{col}_{fmt}"), &v));
            ovf.push(over);
        }
    }
    let rev = |v: &[Signal]| Signal::concat(&v.iter().rev().cloned().collect::<Vec<_>>());
    let wnf_any =
        Signal::concat(&(0..c).map(|col| head.bit(c * 8 + col)).collect::<Vec<_>>()).reduce_or();
    let rd_data = Signal::priority(&rd_cases, &Signal::lit(c * bw, 0));

    m.output("in_ready", &in_ready.sig());
    m.output("out_valid", &out_valid.sig());
    m.output("out_bf16", &rev(&bf16_out));
    m.output("out_fp32", &rev(&fp32_out));
    m.output("out_non_finite", &(&h_nf | &wnf_any));
    m.output("out_overflow", &rev(&ovf).reduce_or());
    m.output("out_cycles", &rev(&cycles));
    m.output("rd_data", &rd_data);
    for (i, name) in ["cnt_mvms", "cnt_cycles", "cnt_skipped", "cnt_products"]
        .iter()
        .enumerate()
    {
        m.output(name, &rev(&counters[i]));
    }
    m.finish()
}
