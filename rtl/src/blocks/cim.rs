//! The digital compute-in-memory (CIM) macro: bit-serial INT MAC over a weight array, one
//! adder tree per column, shift-and-accumulate, banks, bit-plane skipping, row gating,
//! row-block / column-group masks and activity counters.
//!
//! # Ports of the emitted top module
//! (`R` rows, `C` cols, `BW` = `wbits`, `BX` = `xbits`, `OUT_W` = `BX + BW + ceil(log2 R)`,
//! `AW` = `max(1, ceil(log2 R))`, `KW` = `max(1, ceil(log2 banks))`, `NB` = row blocks,
//! `NG` = column groups, `PW` = `ceil(log2(BX + 1))`.)
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clk`, `rst` | in | 1 | clock, synchronous active-high reset |
//! | `in_valid`, `in_ready` | in / out | 1 | input handshake (one MVM per transfer) |
//! | `in_x` | in | `R*BX` | row `r` at `[r*BX +: BX]`; only the low `bx` bits are used |
//! | `in_bx` | in | `PW` | run-time precision; 0 or a value above `BX` means `BX` |
//! | `in_bank` | in | `KW` | weight bank this MVM reads (absent when `banks = 1`, as are `wr_bank`, `rd_bank`) |
//! | `in_row_mask` | in | `NB` | row-block enables (bit `k`: rows `k*row_block ..`) |
//! | `in_col_mask` | in | `NG` | column-group enables |
//! | `out_valid`, `out_ready` | out / in | 1 | output handshake |
//! | `out_y` | out | `C*OUT_W` | column `c` at `[c*OUT_W +: OUT_W]`, two's complement |
//! | `out_cycles` | out | `PW` | bit-plane cycles this MVM took |
//! | `wr_en`, `wr_bank`, `wr_row`, `wr_data` | in | 1, `KW`, `AW`, `C*BW` | weight row write |
//! | `rd_bank`, `rd_row`, `rd_data` | in, in, out | `KW`, `AW`, `C*BW` | combinational read-back |
//! | `cnt_mvms`, `cnt_cycles`, `cnt_skipped`, `cnt_products` | out | 32 | activity counters |
//!
//! # Micro-architecture and exact timing
//! - **Accept.** `in_ready = (idle or issuing its last plane) and occupancy < FIFO depth`
//!   (no combinational path from `in_valid` or `out_ready`). At the accepting edge the job
//!   registers load `xm_r = x_r & lowmask(bx)` (zeroed for disabled row blocks), the plane
//!   mask `pend[b] = OR_r xm_r[b]` (all-zero bit-planes are skipped), the bank, the column
//!   mask and `n = max(1, popcount(pend))`.
//! - **Issue.** One plane per cycle, MSB first: the highest set bit `b` of `pend`. Row `r`
//!   drives `xm_r[b]` into its cells (a row with `x_r = 0` or a disabled block drives a
//!   constant 0 for the whole MVM: gated); cell `(r, c)` gives `W[bank][r][c] & xbit_r &
//!   colen(c)`. A job with no non-zero plane issues one null plane. Accepted at the edge
//!   ending cycle `t`, its planes issue in cycles `t+1 .. t+n`; the next job may be
//!   accepted in cycle `t+n`, so back-to-back MVMs take `n` cycles each.
//! - **Trees.** One adder tree per column, built by the adder-tree library
//!   (`adder_tree::build_tree`: style `tree` = binary, wallace, dadda, compressor42, or
//!   popcount when `BW = 1`; `final_adder` for the carry-save styles), sums the `R` gated
//!   `BW`-bit two's complement products exactly (`BW + ceil(log2 R)` bits), with
//!   `tree_pipeline` = `p` register cuts (at most the tree's levels): its sum for the plane
//!   issued in cycle `u` is ready in cycle `u+p`.
//! - **Accumulate.** `A += s_b * (P << b)` (`s_b = -1` for the MSB plane `bx-1` when
//!   `x_signed`), which equals the Horner form `A <- 2A + s_b P` over all planes; the last
//!   plane writes `A` into the output FIFO at the end of cycle `t+n+p`, so `out_valid` rises
//!   in cycle `t+n+p+1` when the FIFO was empty (latency `n + p + 1`).
//! - **FIFO.** Depth `Q = next_pow2(p + 3)`; occupancy counts accepted, not yet popped MVMs,
//!   so the FIFO never overflows and back-pressure only stops acceptance.
//! - **Counters** (wrap at 2^32, reset by `rst`): `cnt_mvms` +1 per accept, `cnt_cycles` +1
//!   per issue cycle (null planes included), `cnt_skipped` += `bx - popcount(pend)` per
//!   accept, `cnt_products` += (number of non-gated rows) per issued non-null plane.
//! - **Weights** live in flip-flops (`banks x R` registers of `C*BW` bits), since every
//!   weight is read every cycle. A write (`wr_en`) loads one full row of one bank at the
//!   edge; a computation on another bank is never disturbed. Writing the bank being computed
//!   changes the planes issued after the write (avoid it).

use crate::blocks::adder_tree::{self, AdderTreeParams, FinalAdder};
use crate::error::{counted, parse_bool, ParamError, RtlError};
use crate::ir::Module;
use crate::signal::Signal;
use crate::ModuleBuilder;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use std::str::FromStr;

/// Adder-tree style of the per-column trees: the adder-tree generator's own styles
/// (`--set tree=binary|wallace|dadda|compressor42|popcount`).
pub use crate::blocks::adder_tree::TreeStyle;

/// Number format of the macro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CimFormat {
    /// Two's complement integer weights, signed or unsigned integer inputs.
    #[default]
    Int,
    /// BF16 inputs and weights, exponent pre-aligned to `xalign` / `wbits`-bit integers.
    Bf16,
}

impl FromStr for CimFormat {
    type Err = ParamError;
    fn from_str(s: &str) -> Result<Self, ParamError> {
        match s {
            "int" => Ok(CimFormat::Int),
            "bf16" => Ok(CimFormat::Bf16),
            _ => Err(ParamError::invalid("format", s, "int or bf16")),
        }
    }
}

/// Parameters of the CIM macro. See the module documentation for the ports they shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CimParams {
    /// Rows `R` (inputs per column), 1..=4096.
    pub rows: u32,
    /// Columns `C` (outputs), 1..=1024.
    pub cols: u32,
    /// Weight bits `BW` (two's complement), 1..=32.
    pub wbits: u32,
    /// Maximum input precision `BX` (bit-planes per MVM), 1..=32.
    pub xbits: u32,
    /// Inputs are two's complement (the MSB plane counts negative).
    pub x_signed: bool,
    /// Weight banks (one can be written while another computes), 1..=16.
    pub banks: u32,
    /// Adder-tree style of the column trees.
    pub tree: TreeStyle,
    /// Register cuts inside each column tree (0 = combinational), at most the tree's
    /// levels ([`CimParams::max_tree_pipeline`]); adds `tree_pipeline` cycles of latency.
    pub tree_pipeline: u32,
    /// Integer or BF16 (pre-aligned) operation.
    pub format: CimFormat,
    /// BF16 mode: bits of the aligned signed input mantissa (2..=xbits).
    pub xalign: u32,
    /// BF16 mode: rows per input alignment group, one shared exponent per group (more than
    /// `rows`: one group).
    pub align_group: u32,
    /// Rows per row block of the row-block enable mask (more than `rows`: one block).
    pub row_block: u32,
    /// Columns per column group of the column-group enable mask (more than `cols`: one group).
    pub col_group: u32,
    /// Carry-propagate adder after the carry-save reduction of the column trees (ignored by
    /// `binary`).
    pub final_adder: FinalAdder,
}

impl Default for CimParams {
    /// A 16x4 INT8 macro with two banks, 4-row blocks and 2-column groups.
    fn default() -> Self {
        CimParams {
            rows: 16,
            cols: 4,
            wbits: 8,
            xbits: 8,
            x_signed: true,
            banks: 2,
            tree: TreeStyle::Binary,
            tree_pipeline: 0,
            format: CimFormat::Int,
            xalign: 8,
            align_group: 16,
            row_block: 4,
            col_group: 2,
            final_adder: FinalAdder::Ripple,
        }
    }
}

/// `ceil(log2 n)` (0 for n <= 1).
fn clog2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// The keys accepted by [`CimParams::set`].
pub const CIM_KEYS: [&str; 14] = [
    "rows",
    "cols",
    "wbits",
    "xbits",
    "x_signed",
    "banks",
    "tree",
    "tree_pipeline",
    "format",
    "xalign",
    "align_group",
    "row_block",
    "col_group",
    "final_adder",
];

fn parse_u32(key: &str, v: &str) -> Result<u32, ParamError> {
    v.trim()
        .parse()
        .map_err(|_| ParamError::invalid(key, v, "a non-negative integer"))
}

impl CimParams {
    /// Sets one parameter from its `--set key=value` spelling.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ParamError> {
        match key {
            "rows" => self.rows = parse_u32(key, value)?,
            "cols" => self.cols = parse_u32(key, value)?,
            "wbits" => self.wbits = parse_u32(key, value)?,
            "xbits" => self.xbits = parse_u32(key, value)?,
            "x_signed" => self.x_signed = parse_bool(key, value)?,
            "banks" => self.banks = parse_u32(key, value)?,
            "tree" => {
                self.tree = TreeStyle::parse(value.trim()).ok_or_else(|| {
                    ParamError::invalid(
                        "tree",
                        value.trim(),
                        "binary, wallace, dadda, compressor42 or popcount (wbits = 1)",
                    )
                })?
            }
            "tree_pipeline" => self.tree_pipeline = parse_u32(key, value)?,
            "format" => self.format = value.trim().parse()?,
            "xalign" => self.xalign = parse_u32(key, value)?,
            "align_group" => self.align_group = parse_u32(key, value)?,
            "row_block" => self.row_block = parse_u32(key, value)?,
            "col_group" => self.col_group = parse_u32(key, value)?,
            "final_adder" => {
                self.final_adder = FinalAdder::parse(value.trim()).ok_or_else(|| {
                    ParamError::invalid(
                        "final_adder",
                        value,
                        "one of ripple, kogge_stone, brent_kung",
                    )
                })?
            }
            _ => {
                return Err(ParamError::UnknownKey {
                    key: key.to_string(),
                    accepted: CIM_KEYS.join(", "),
                })
            }
        }
        Ok(())
    }

    /// The defaults with `key=value` settings applied in order, validated.
    pub fn from_sets(sets: &[(String, String)]) -> Result<CimParams, ParamError> {
        let mut p = CimParams::default();
        for (k, v) in sets {
            p.set(k.trim(), v)?;
        }
        p.validate()?;
        Ok(p)
    }

    /// Checks every parameter against its range; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ParamError> {
        let range = |name: &str, v: u32, lo: u32, hi: u32| {
            if v < lo || v > hi {
                Err(ParamError::invalid(name, v, format!("{lo}..={hi}")))
            } else {
                Ok(())
            }
        };
        range("rows", self.rows, 1, 4096)?;
        range("cols", self.cols, 1, 1024)?;
        range("wbits", self.wbits, 1, 32)?;
        range("xbits", self.xbits, 1, 32)?;
        range("banks", self.banks, 1, 16)?;
        if self.tree == TreeStyle::Popcount && self.wbits != 1 {
            return Err(ParamError::invalid(
                "tree",
                "popcount",
                format!(
                    "popcount sums single-bit weights: set wbits=1 (got {}) or choose binary, wallace, dadda or compressor42",
                    self.wbits
                ),
            ));
        }
        let max = self.max_tree_pipeline();
        if self.tree_pipeline > max {
            return Err(ParamError::invalid(
                "tree_pipeline",
                self.tree_pipeline,
                format!(
                    "at most {}: the {} column tree over {} has {}",
                    counted(max, "register cut"),
                    self.tree,
                    counted(self.rows, "row"),
                    counted(max, "level")
                ),
            ));
        }
        if self.out_width() > 64 {
            return Err(ParamError::invalid(
                "xbits",
                self.xbits,
                format!(
                    "xbits + wbits + ceil(log2 rows) <= 64 (results are int64); got {}",
                    self.out_width()
                ),
            ));
        }
        // Blocks / groups larger than the array are one block spanning it.
        range("row_block", self.row_block, 1, 4096)?;
        range("col_group", self.col_group, 1, 1024)?;
        range("align_group", self.align_group, 1, 4096)?;
        if self.format == CimFormat::Bf16 {
            if !(2..=self.xbits).contains(&self.xalign) {
                return Err(ParamError::invalid(
                    "xalign",
                    self.xalign,
                    format!(
                        "2..=xbits = {} (the aligned input mantissa is sent as bit-planes, at most xbits of them)",
                        self.xbits
                    ),
                ));
            }
            range("wbits", self.wbits, 2, 32)?;
            if !self.x_signed {
                return Err(ParamError::invalid(
                    "x_signed",
                    false,
                    "true in bf16 mode (aligned mantissas are signed)",
                ));
            }
        }
        Ok(())
    }

    /// Result width `OUT_W = xbits + wbits + ceil(log2 rows)` (signed).
    pub fn out_width(&self) -> u32 {
        self.xbits + self.wbits + clog2(self.rows as u64)
    }

    /// The adder-tree library parameters of one column tree: `rows` signed `wbits`-bit
    /// operands, the style, final adder and `tree_pipeline` cuts, exact output width.
    pub fn tree_params(&self) -> AdderTreeParams {
        AdderTreeParams {
            inputs: self.rows,
            width: self.wbits,
            signed: true,
            style: self.tree,
            final_adder: self.final_adder,
            pipeline: self.tree_pipeline,
            out_width: None,
        }
    }

    /// The deepest allowed `tree_pipeline`: the number of levels of the column tree.
    pub fn max_tree_pipeline(&self) -> u32 {
        AdderTreeParams {
            pipeline: 0,
            ..self.tree_params()
        }
        .max_pipeline()
    }

    /// Exact width of one column tree's sum: `wbits + ceil(log2 rows)`.
    pub fn tree_width(&self) -> u32 {
        self.wbits + clog2(self.rows as u64)
    }

    /// Number of row blocks (`in_row_mask` width).
    pub fn row_blocks(&self) -> u32 {
        self.rows.div_ceil(self.row_block)
    }

    /// Number of column groups (`in_col_mask` width).
    pub fn col_groups(&self) -> u32 {
        self.cols.div_ceil(self.col_group)
    }

    /// Width of `wr_row` / `rd_row`: `max(1, ceil(log2 rows))`.
    pub fn row_addr_width(&self) -> u32 {
        clog2(self.rows as u64).max(1)
    }

    /// Width of `in_bank` / `wr_bank` / `rd_bank`: `max(1, ceil(log2 banks))`.
    pub fn bank_width(&self) -> u32 {
        clog2(self.banks as u64).max(1)
    }

    /// Width of `in_bx` and `out_cycles`: `ceil(log2(xbits + 1))`.
    pub fn planes_width(&self) -> u32 {
        clog2(self.xbits as u64 + 1).max(1)
    }

    /// Depth of the output FIFO: `next_pow2(tree_pipeline + 3)`.
    pub fn fifo_depth(&self) -> u32 {
        (self.tree_pipeline + 3).next_power_of_two()
    }

    /// A module name carrying the parameters, e.g. `cim_r16_c4_w8_x8s_b2_binary_p0_rb4_cg2`
    /// (carry-save styles with a prefix final adder add `_ks` / `_bk` after the style).
    pub fn module_name(&self) -> String {
        let fa = match (self.tree, self.final_adder) {
            (TreeStyle::Binary, _) | (_, FinalAdder::Ripple) => "",
            (_, FinalAdder::KoggeStone) => "_ks",
            (_, FinalAdder::BrentKung) => "_bk",
        };
        format!(
            "cim_r{}_c{}_w{}_x{}{}_b{}_{}{fa}_p{}_rb{}_cg{}",
            self.rows,
            self.cols,
            self.wbits,
            self.xbits,
            if self.x_signed { "s" } else { "u" },
            self.banks,
            self.tree,
            self.tree_pipeline,
            self.row_block,
            self.col_group
        )
    }
}

/// Folds `items` pairwise into a balanced tree with `f` (log depth, so huge arrays stay shallow).
fn reduce_tree(mut items: Vec<Signal>, f: &dyn Fn(&Signal, &Signal) -> Signal) -> Signal {
    while items.len() > 1 {
        let mut next = Vec::with_capacity(items.len().div_ceil(2));
        let mut it = items.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => next.push(f(&a, &b)),
                None => next.push(a),
            }
        }
        items = next;
    }
    items.pop().expect("reduce_tree needs at least one item")
}

/// Number of ones in `bits`, exactly `ceil(log2(n + 1))` bits wide (balanced adders).
pub(crate) fn popcount(bits: &Signal) -> Signal {
    let leaves: Vec<(Signal, u64)> = (0..bits.width()).map(|i| (bits.bit(i), 1)).collect();
    let mut items = leaves;
    while items.len() > 1 {
        let mut next = Vec::with_capacity(items.len().div_ceil(2));
        let mut it = items.into_iter();
        while let Some((a, na)) = it.next() {
            match it.next() {
                Some((b, nb)) => {
                    let w = clog2(na + nb + 1);
                    next.push((a.add_w(&b, w), na + nb));
                }
                None => next.push((a, na)),
            }
        }
        items = next;
    }
    items.pop().expect("popcount of an empty vector").0
}

/// Balanced multiplexer: `items[addr]`, or zero when `addr` is beyond the list.
pub(crate) fn mux_tree(items: Vec<Signal>, addr: &Signal) -> Signal {
    let w = items[0].width();
    let mut items = items;
    let mut level = 0;
    while items.len() > 1 || level < addr.width() {
        let sel = addr.bit(level);
        let mut next = Vec::with_capacity(items.len().div_ceil(2));
        let mut it = items.into_iter();
        while let Some(a) = it.next() {
            let b = it.next().unwrap_or_else(|| Signal::lit(w, 0));
            next.push(sel.mux(&b, &a));
        }
        items = next;
        level += 1;
    }
    items.pop().expect("mux_tree of an empty list")
}

/// One column's adder tree, built by the adder-tree library
/// ([`adder_tree::build_tree`], parameters [`CimParams::tree_params`]): the signed sum of
/// `rows` two's complement `wbits`-bit operands (`in_data`, operand `i` at
/// `[i*wbits +: wbits]`) into `out_sum` of `tree_width()` bits. With `tree_pipeline > 0` it
/// also has `clk` and its sum appears `tree_pipeline` cycles after its operands (data
/// registers, no reset; the macro times the valid bits itself).
fn column_tree(p: &CimParams) -> Result<Rc<Module>, RtlError> {
    let tp = p.tree_params();
    let mut m = ModuleBuilder::new(format!("cim_coltree_{}", tp.module_name()));
    if tp.pipeline > 0 {
        m.clock_input("clk");
    }
    let data = m.input("in_data", tp.inputs * tp.width);
    let ops: Vec<Signal> = (0..tp.inputs)
        .map(|i| data.slice(i * tp.width, tp.width))
        .collect();
    let sum = adder_tree::build_tree(&mut m, "", &ops, &tp)?;
    m.output("out_sum", &sum.as_signed());
    m.finish()
}

/// Generates the CIM macro as module `top`. See the module documentation for ports and timing.
///
/// `format = bf16` builds the BF16 macro of [`super::cim_bf16`] around INT macros.
pub fn generate(p: &CimParams, top: &str) -> Result<Rc<Module>, RtlError> {
    p.validate()?;
    if p.format == CimFormat::Bf16 {
        return super::cim_bf16::generate_bf16(p, top);
    }
    let (r, c, bw, bx) = (p.rows, p.cols, p.wbits, p.xbits);
    let ow = p.out_width();
    let (aw, kw, nb, ng, pw) = (
        p.row_addr_width(),
        p.bank_width(),
        p.row_blocks(),
        p.col_groups(),
        p.planes_width(),
    );
    let q = p.fifo_depth();
    let qa = clog2(q as u64);
    let tree = column_tree(p)?;

    let mut m = ModuleBuilder::new(top);
    let (clk, _rst) = m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_x = m.input("in_x", r * bx);
    let in_bx = m.input("in_bx", pw);
    let banked = p.banks > 1;
    let in_bank = banked.then(|| m.input("in_bank", kw));
    let in_row_mask = m.input("in_row_mask", nb);
    let in_col_mask = m.input("in_col_mask", ng);
    let out_ready = m.input("out_ready", 1);
    let wr_en = m.input("wr_en", 1);
    let wr_bank = banked.then(|| m.input("wr_bank", kw));
    let wr_row = m.input("wr_row", aw);
    let wr_data = m.input("wr_data", c * bw);
    let rd_bank = banked.then(|| m.input("rd_bank", kw));
    let rd_row = m.input("rd_row", aw);

    // Weight array: banks x rows registers of one full row each (no reset).
    let mut w: Vec<Vec<Signal>> = Vec::new();
    for k in 0..p.banks {
        let bank_hit = match &wr_bank {
            Some(wb) => m.wire(&format!("wr_hit_b{k}"), &(&wr_en & wb.eq_lit(k as u64))),
            None => wr_en.clone(),
        };
        let mut rows = Vec::new();
        for row in 0..r {
            let en = &bank_hit & wr_row.eq_lit(row as u64);
            let h = m.reg_decl(&format!("w_b{k}_r{row}"), c * bw, false, None);
            m.set_next(&h, &wr_data);
            m.set_enable(&h, &en);
            rows.push(h.sig());
        }
        w.push(rows);
    }
    let rd_rows: Vec<Signal> = (0..p.banks)
        .map(|k| mux_tree(w[k as usize].clone(), &rd_row))
        .collect();
    let rd_data = match &rd_bank {
        Some(rb) => m.wire("rd_data_mux", &mux_tree(rd_rows, rb)),
        None => m.wire("rd_data_mux", &rd_rows[0]),
    };

    // Control registers.
    let busy = m.reg_decl("busy", 1, false, Some(crate::Bits::zero(1)));
    let pend = m.reg_decl("pend", bx, false, Some(crate::Bits::zero(bx)));
    let first = m.reg_decl("first", 1, false, Some(crate::Bits::zero(1)));
    let occ_w = clog2(q as u64 + 1);
    let occ = m.reg_decl("occ", occ_w, false, Some(crate::Bits::zero(occ_w)));
    let (busy_s, pend_s, first_s, occ_s) = (busy.sig(), pend.sig(), first.sig(), occ.sig());

    // Issue: highest pending plane, one-hot.
    let mut above = Signal::lit(1, 0);
    let mut sel_bits = vec![Signal::lit(1, 0); bx as usize];
    for b in (0..bx).rev() {
        sel_bits[b as usize] = pend_s.bit(b) & !&above;
        above = &above | pend_s.bit(b);
    }
    let sel_rev: Vec<Signal> = sel_bits.iter().rev().cloned().collect();
    let sel = m.wire("sel", &Signal::concat(&sel_rev));
    let pend_m1 = pend_s.sub_w(&Signal::lit(bx, 1), bx);
    let last_issue = m.wire("last_issue", &(&busy_s & (&pend_s & &pend_m1).eq_lit(0)));
    let null_plane = m.wire("null_plane", &pend_s.eq_lit(0));
    let in_ready = m.wire(
        "in_ready_w",
        &((!&busy_s | &last_issue) & occ_s.lt(&Signal::lit(occ_w, q as u64))),
    );
    let accept = m.wire("accept", &(&in_valid & &in_ready));

    // Accept: effective precision, masked inputs, plane mask.
    let bx_lit = Signal::lit(pw, bx as u64);
    let mut bad = in_bx.eq_lit(0);
    if (1u64 << pw) - 1 > bx as u64 {
        bad = &bad | in_bx.gt(&bx_lit);
    }
    let bx_eff = m.wire("bx_eff", &bad.mux(&bx_lit, &in_bx));
    let lm: Vec<Signal> = (0..bx)
        .rev()
        .map(|b| {
            if b == 0 {
                Signal::lit(1, 1)
            } else {
                bx_eff.gt(&Signal::lit(pw, b as u64))
            }
        })
        .collect();
    let lowmask = m.wire("lowmask", &Signal::concat(&lm));
    let rb_rev: Vec<Signal> = (0..r)
        .rev()
        .map(|row| in_row_mask.bit(row / p.row_block).repeat(bx))
        .collect();
    let xm_in = m.wire(
        "xm_in",
        &(&in_x & lowmask.repeat(r) & Signal::concat(&rb_rev)),
    );
    let pend_in = m.wire(
        "pend_in",
        &reduce_tree(
            (0..r).map(|row| xm_in.slice(row * bx, bx)).collect(),
            &|a, b| a | b,
        ),
    );
    let act_rev: Vec<Signal> = (0..r)
        .rev()
        .map(|row| xm_in.slice(row * bx, bx).reduce_or())
        .collect();
    let act_in = m.wire("act_in", &Signal::concat(&act_rev));
    let npl_in = m.wire("npl_in", &popcount(&pend_in).zext(pw));
    let ncyc_in = m.wire(
        "ncyc_in",
        &npl_in.eq_lit(0).mux(&Signal::lit(pw, 1), &npl_in),
    );
    let skipped_in = m.wire("skipped_in", &bx_eff.sub_w(&npl_in, pw));
    let nact_w = clog2(r as u64 + 1);
    let nact_in = m.wire("nact_in", &popcount(&act_in));

    // Job registers.
    let job_x = m.reg_en("job_x", &xm_in, &accept);
    let job_bank = in_bank.as_ref().map(|b| m.reg_en("job_bank", b, &accept));
    let job_colmask = m.reg_en("job_colmask", &in_col_mask, &accept);
    let job_n = m.reg_en("job_n", &ncyc_in, &accept);
    let job_nact = m.reg_en("job_nact", &nact_in, &accept);
    let job_msb = if p.x_signed {
        let mh: Vec<Signal> = (0..bx).rev().map(|b| bx_eff.eq_lit(b as u64 + 1)).collect();
        Some(m.reg_en("job_msb", &Signal::concat(&mh), &accept))
    } else {
        None
    };
    m.set_next(&busy, &(&accept | (&busy_s & !&last_issue)));
    let pend_next = accept.mux(&pend_in, &busy_s.mux(&(&pend_s & !&sel), &pend_s));
    m.set_next(&pend, &pend_next);
    m.set_next(
        &first,
        &accept.mux(&Signal::lit(1, 1), &(&first_s & !&busy_s)),
    );

    // Row bits of the issued plane (gated rows stay 0 for the whole MVM).
    let xb_rev: Vec<Signal> = (0..r)
        .rev()
        .map(|row| (job_x.slice(row * bx, bx) & &sel).reduce_or())
        .collect();
    let xb = m.wire("xb", &Signal::concat(&xb_rev));
    let neg = match &job_msb {
        Some(msb) => (msb & &sel).reduce_or(),
        None => Signal::lit(1, 0),
    };
    let iw = clog2(bx as u64).max(1);
    let idx = if bx > 1 {
        let cases: Vec<(Signal, Signal)> = (1..bx)
            .rev()
            .map(|b| (sel.bit(b), Signal::lit(iw, b as u64)))
            .collect();
        Some(m.wire("plane_idx", &Signal::priority(&cases, &Signal::lit(iw, 0))))
    } else {
        None
    };

    // Bank select per row, gated cells, one tree per column.
    let wsel: Vec<Signal> = (0..r)
        .map(|row| match &job_bank {
            None => w[0][row as usize].clone(),
            Some(jb) => {
                let items = (0..p.banks).map(|k| w[k as usize][row as usize].clone());
                m.wire(&format!("wsel_r{row}"), &mux_tree(items.collect(), jb))
            }
        })
        .collect();
    let gxb: Vec<Signal> = (0..ng)
        .map(|g| m.wire(&format!("g{g}_xb"), &(&xb & job_colmask.bit(g).repeat(r))))
        .collect();
    let mut sums = Vec::new();
    for col in 0..c {
        let g = &gxb[(col / p.col_group) as usize];
        let cells: Vec<Signal> = (0..r)
            .rev()
            .map(|row| wsel[row as usize].slice(col * bw, bw) & g.bit(row).repeat(bw))
            .collect();
        let pp = m.wire(&format!("c{col}_pp"), &Signal::concat(&cells));
        let mut conns: Vec<(&str, &Signal)> = vec![("in_data", &pp)];
        if p.tree_pipeline > 0 {
            conns.push(("clk", &clk));
        }
        let o = m.instance(&format!("c{col}_tree"), &tree, &conns);
        sums.push(o.out("out_sum").as_signed());
    }

    // Side band travelling with the planes through the tree pipeline.
    let mut sb_parts = vec![
        busy_s.clone(),
        first_s.clone(),
        last_issue.clone(),
        neg,
        job_n.clone(),
    ];
    if let Some(i) = &idx {
        sb_parts.push(i.clone());
    }
    let sb = Signal::concat(&sb_parts);
    let sbw = sb.width();
    let mut sb_t = sb;
    for s in 0..p.tree_pipeline {
        sb_t = m.reg(&format!("sb_s{s}"), &sb_t);
    }
    let valid_t = if p.tree_pipeline > 0 {
        m.wire("tree_valid", &sb_t.bit(sbw - 1))
    } else {
        busy_s.clone()
    };
    let first_t = sb_t.bit(sbw - 2);
    let last_t = sb_t.bit(sbw - 3);
    let neg_t = sb_t.bit(sbw - 4);
    let n_t = sb_t.slice(sbw - 4 - pw, pw);
    let idx_t = idx.as_ref().map(|_| sb_t.slice(0, iw));

    // Shift-and-accumulate: A += s_b * (P << b); the last plane goes to the FIFO.
    let mut results = Vec::new();
    for (col, psum) in sums.iter().enumerate() {
        let ext = psum.sext(ow);
        let shifted = match &idx_t {
            Some(i) => ext.shl_var(i),
            None => ext,
        };
        let contrib = m.wire(
            &format!("c{col}_contrib"),
            &neg_t.mux(&shifted.neg(), &shifted),
        );
        let acc = m.reg_decl(&format!("c{col}_acc"), ow, true, None);
        let base = first_t.mux(&Signal::lit(ow, 0), &acc.sig());
        let sum = m.wire(&format!("c{col}_sum"), &base.add_w(&contrib, ow));
        m.set_next(&acc, &sum);
        m.set_enable(&acc, &valid_t);
        results.push(sum);
    }
    let fifo_we = m.wire("fifo_we", &(&valid_t & &last_t));
    let mut fifo_parts = vec![n_t];
    fifo_parts.extend(results.iter().rev().cloned());
    let fifo_data = m.wire("fifo_wdata", &Signal::concat(&fifo_parts));
    let fifo = m.memory("fifo", q as u64, fifo_data.width());
    let pw1 = qa + 1;
    let wptr = m.reg_decl("fifo_wptr", pw1, false, Some(crate::Bits::zero(pw1)));
    let rptr = m.reg_decl("fifo_rptr", pw1, false, Some(crate::Bits::zero(pw1)));
    let (wp, rp) = (wptr.sig(), rptr.sig());
    m.mem_write(fifo, &fifo_we, &wp.slice(0, qa), &fifo_data);
    let head = m.mem_read(fifo, "fifo_head", &rp.slice(0, qa));
    let out_valid = m.wire("out_valid_w", &wp.ne(&rp));
    let pop = m.wire("pop", &(&out_valid & &out_ready));
    m.set_next(&wptr, &wp.add_w(&fifo_we, pw1));
    m.set_next(&rptr, &rp.add_w(&pop, pw1));
    m.set_next(&occ, &occ_s.add_w(&accept, occ_w).sub_w(&pop, occ_w));

    // Activity counters.
    let cnt = |m: &mut ModuleBuilder, name: &str, inc: &Signal| {
        let h = m.reg_decl(name, 32, false, Some(crate::Bits::zero(32)));
        m.set_next(&h, &h.sig().add_w(inc, 32));
        h.sig()
    };
    let c_mvms = cnt(&mut m, "cnt_mvms_q", &accept);
    let c_cycles = cnt(&mut m, "cnt_cycles_q", &busy_s);
    let skip_inc = accept.mux(&skipped_in, &Signal::lit(pw, 0));
    let c_skipped = cnt(&mut m, "cnt_skipped_q", &skip_inc);
    let prod_on = &busy_s & !&null_plane;
    let prod_inc = prod_on.mux(&job_nact, &Signal::lit(nact_w, 0));
    let c_products = cnt(&mut m, "cnt_products_q", &prod_inc);

    m.output("in_ready", &in_ready);
    m.output("out_valid", &out_valid);
    m.output("out_y", &head.slice(0, c * ow));
    m.output("out_cycles", &head.slice(c * ow, pw));
    m.output("rd_data", &rd_data);
    m.output("cnt_mvms", &c_mvms);
    m.output("cnt_cycles", &c_cycles);
    m.output("cnt_skipped", &c_skipped);
    m.output("cnt_products", &c_products);
    m.finish()
}
