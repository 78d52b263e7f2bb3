//! The sparse Transformer feed-forward tile (issue 8): `y = x . W` for `rows` INT8 inputs and
//! a `rows x cols` INT8 weight matrix, with unstructured weight sparsity packed offline and a
//! butterfly router in front of small CIM macros; and the dense baseline (one CIM macro).
//!
//! # Micro-architecture (see docs/blocks/sparse-ffn.md)
//! The columns are split into `NG = cols / col_group` column groups of `G = col_group` columns.
//! Group `g` has its own compaction router `g{g}_router` (butterfly, `rows` lanes of 8 bits,
//! external mask, `out_lanes = cim_rows`: multi-beat output) and its own CIM macro `g{g}_cim`
//! (`cim_rows` rows `K`, `G` columns, INT8 weights, signed INT8 inputs, `banks` weight banks
//! `B`), and per-column accumulators `g{g}_acc_c{c}`.
//! - **Static weight sparsity (offline, [`pack`]).** Row `i` is *needed* by group `g` when one
//!   of its `G` weights is non-zero. The needed rows `p_0 < p_1 < ...` of group `g` are packed:
//!   packed row `j` goes to bank `j / K`, CIM row `j % K`, holding `W[p_j][gG .. gG+G]`. The
//!   need mask is loaded into the register `g{g}_need_q` (`mask_we`, `mask_group`,
//!   `mask_data`); the packed rows through the CIM write port (`wr_en`, `wr_group`, `wr_bank`,
//!   `wr_row`, `wr_data`).
//! - **Routing, static (`dynamic = false`).** For each vector the router of group `g`
//!   compacts the lanes selected by the need mask `g{g}_need_q` and shows them `K` at a time,
//!   so lane `j` of beat `b` is always packed row `bK + j`: the index selects the weight row
//!   by position (bank `b`, CIM row `j`), with no weight multiplexer. Zero activations are
//!   exploited inside the CIM macro only: a CIM row whose routed activation is zero is gated
//!   for the whole MVM, all-zero bit-planes are skipped, and a beat whose `K` routed
//!   activations are all zero costs one null-plane cycle.
//! - **Routing, dynamic (`dynamic = true`).** The router compacts `g{g}_need_q & nonzero(x)`
//!   (`g{g}_router_mask`): zero activations are compacted away too, so a group takes
//!   `max(1, ceil(popcount(need & nonzero(x)) / K))` beats. The routed lanes no longer line up
//!   with the packed rows, so the packed rows live in a per-group weight store `g{g}_wmem`
//!   (`banks * K` rows, written through the tile's write port at `wr_bank * K + wr_row`) and
//!   a loader (`weight_loader`) writes, one row per cycle, the packed row of each routed
//!   activation into the CIM macro (two banks: the loader fills one while the CIM computes on
//!   the other). The packed row of original row `i` is its rank among the needed rows,
//!   `popcount(need & ((1 << i) - 1))`, with `i` the router's `out_index`.
//! - **Beats.** Beat `b` of group `g` is one MVM of `g{g}_cim` on bank `b` (static: the tile's
//!   beat counter `g{g}_beat_q`; dynamic: the bank the loader filled); the CIM accepts the next
//!   beat during the last plane of the previous one. Results are added into `g{g}_acc_c{c}` as
//!   they leave the CIM; a group is done when its router delivered its last beat and every beat's
//!   result came back.
//! - **Vector handshake.** `in_valid`/`in_ready`: a vector `in_x` is accepted into `x_q`
//!   when the tile is idle; `out_valid` rises when every group is done and holds `out_y` until
//!   `out_ready`. One vector at a time (no overlap between vectors).
//!
//! # Ports of the sparse tile (`N` rows, `C` cols, `OW = 16 + ceil(log2 N)`)
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clk`, `rst` | in | 1 | clock, synchronous reset |
//! | `in_valid`, `in_ready` | in / out | 1 | vector handshake |
//! | `in_x` | in | `N*8` | `x_i` at `[i*8 +: 8]`, two's complement |
//! | `out_valid`, `out_ready` | out / in | 1 | result handshake |
//! | `out_y` | out | `C*OW` | `y_c` at `[c*OW +: OW]`, two's complement |
//! | `mask_we`, `mask_group`, `mask_data` | in | 1, `GW`, `N` | load the need mask of a group |
//! | `wr_en`, `wr_group`, `wr_bank`, `wr_row`, `wr_data` | in | 1, `GW`, `KW`, `AW`, `G*8` | write one packed row |
//!
//! (`GW = max(1, ceil(log2 NG))`, `KW = max(1, ceil(log2 B))`, `AW = max(1, ceil(log2 K))`.)
//! The dense baseline ([`generate_dense`]) is the CIM macro with `rows x cols`, one bank; its
//! ports are the CIM macro's.

use crate::blocks::butterfly::{self, ButterflyParams, MaskSource, Mode};
use crate::blocks::cim::{self, CimParams, TreeStyle};
use crate::error::{parse_bool, ParamError, RtlError};
use crate::ir::Module;
use crate::signal::Signal;
use crate::ModuleBuilder;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Weight and input bits of the tile (INT8).
pub const BITS: u32 = 8;

/// Parameters of the sparse FFN tile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SparseFfnParams {
    /// Inputs `N` (router lanes): a power of two, 2..=1024.
    pub rows: u32,
    /// Outputs `C`, a multiple of `col_group`.
    pub cols: u32,
    /// Columns per group `G` (each group has its own router, CIM macro and packing).
    pub col_group: u32,
    /// CIM rows per beat `K` (router output lanes), 1 to rows - 1.
    pub cim_rows: u32,
    /// Weight banks per CIM macro `B` (the most beats a group may need), 1..=16. With
    /// `dynamic`, the weight store of a group holds `banks * cim_rows` packed rows and the CIM
    /// macro has two banks (one loaded while the other computes).
    pub banks: u32,
    /// Dynamic activation sparsity in the router: compact `need & nonzero(x)` instead of the
    /// static need mask, and load each beat's weight rows into the CIM from a per-group weight
    /// store, selected by the routed indices (see the module documentation).
    pub dynamic: bool,
}

impl Default for SparseFfnParams {
    /// 16 inputs, 4 outputs in groups of 1, 4 CIM rows, 4 banks (every density fits).
    fn default() -> Self {
        SparseFfnParams {
            rows: 16,
            cols: 4,
            col_group: 1,
            cim_rows: 4,
            banks: 4,
            dynamic: false,
        }
    }
}

/// Keys accepted by [`SparseFfnParams::set`].
pub const SPARSE_FFN_KEYS: &str = "rows, cols, col_group, cim_rows, banks, dynamic";

fn clog2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

impl SparseFfnParams {
    /// The defaults with `key=value` settings applied, then checked (see
    /// [`SparseFfnParams::with_sets`]).
    pub fn from_sets(sets: &[(String, String)]) -> Result<SparseFfnParams, ParamError> {
        SparseFfnParams::default().with_sets(sets)
    }

    /// `self` with `key=value` settings applied, then checked. When `rows` is set and
    /// `cim_rows` is not, `cim_rows` follows it as `rows / 4` (at least 1), the ratio of every
    /// preset, so that with 4 banks every weight density still fits.
    pub fn with_sets(&self, sets: &[(String, String)]) -> Result<SparseFfnParams, ParamError> {
        let mut p = self.clone();
        for (k, v) in sets {
            p.set(k, v)?;
        }
        let given = |key: &str| sets.iter().any(|(k, _)| k.trim() == key);
        if given("rows") && !given("cim_rows") {
            p.cim_rows = (p.rows / 4).max(1);
        }
        p.validate()?;
        Ok(p)
    }

    /// Sets one parameter from its `--set key=value` spelling.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ParamError> {
        if key.trim() == "dynamic" {
            self.dynamic = parse_bool(key.trim(), value)?;
            return Ok(());
        }
        let v: u32 = value
            .trim()
            .parse()
            .map_err(|_| ParamError::invalid(key, value, "a non-negative integer"))?;
        match key.trim() {
            "rows" => self.rows = v,
            "cols" => self.cols = v,
            "col_group" => self.col_group = v,
            "cim_rows" => self.cim_rows = v,
            "banks" => self.banks = v,
            _ => {
                return Err(ParamError::UnknownKey {
                    key: key.to_string(),
                    accepted: SPARSE_FFN_KEYS.into(),
                })
            }
        }
        Ok(())
    }

    /// Checks every parameter; the first problem is returned.
    pub fn validate(&self) -> Result<(), ParamError> {
        if !(2..=1024).contains(&self.rows) || !self.rows.is_power_of_two() {
            return Err(ParamError::invalid(
                "rows",
                self.rows,
                "a power of two from 2 to 1024 (router lanes)",
            ));
        }
        if self.cols == 0 || self.cols > 1024 {
            return Err(ParamError::invalid("cols", self.cols, "1..=1024"));
        }
        if self.col_group == 0 || !self.cols.is_multiple_of(self.col_group) {
            return Err(ParamError::invalid(
                "col_group",
                self.col_group,
                format!("a divisor of cols = {}", self.cols),
            ));
        }
        if self.cim_rows == 0 || self.cim_rows >= self.rows {
            return Err(ParamError::invalid(
                "cim_rows",
                self.cim_rows,
                format!(
                    "1 to rows - 1 = {} (fewer CIM rows than inputs: the router delivers them in beats)",
                    self.rows.saturating_sub(1)
                ),
            ));
        }
        if self.banks == 0 || self.banks > 16 {
            return Err(ParamError::invalid("banks", self.banks, "1..=16"));
        }
        Ok(())
    }

    /// Number of column groups `NG`.
    pub fn groups(&self) -> u32 {
        self.cols / self.col_group
    }

    /// Result width `OW = 16 + ceil(log2 rows)` (exact for INT8 x INT8 over `rows` terms).
    pub fn out_width(&self) -> u32 {
        2 * BITS + clog2(self.rows as u64)
    }

    /// Packed rows a group can hold: `banks * cim_rows`.
    pub fn capacity(&self) -> u32 {
        self.banks * self.cim_rows
    }

    /// Width of `wr_bank`: `max(1, ceil(log2 banks))`.
    pub fn bank_width(&self) -> u32 {
        clog2(self.banks as u64).max(1)
    }

    /// Width of `wr_group` / `mask_group`.
    pub fn group_width(&self) -> u32 {
        clog2(self.groups() as u64).max(1)
    }

    /// The CIM macro of one group.
    pub fn cim_params(&self) -> CimParams {
        CimParams {
            rows: self.cim_rows,
            cols: self.col_group,
            wbits: BITS,
            xbits: BITS,
            x_signed: true,
            banks: if self.dynamic { 2 } else { self.banks },
            tree: TreeStyle::Binary,
            tree_pipeline: 0,
            row_block: self.cim_rows,
            col_group: self.col_group,
            ..CimParams::default()
        }
    }

    /// The router of one group: compact, `rows` lanes of 8 bits, external mask, `cim_rows`
    /// output lanes per beat, combinational.
    pub fn router_params(&self) -> ButterflyParams {
        ButterflyParams {
            lanes: self.rows as usize,
            width: BITS as usize,
            mode: Mode::Compact,
            pipeline: 0,
            mask: MaskSource::External,
            out_lanes: self.cim_rows as usize,
        }
    }

    /// The dense baseline: one CIM macro of `rows x cols`, one bank.
    pub fn dense_params(&self) -> CimParams {
        CimParams {
            rows: self.rows,
            cols: self.cols,
            wbits: BITS,
            xbits: BITS,
            x_signed: true,
            banks: 1,
            tree: TreeStyle::Binary,
            tree_pipeline: 0,
            row_block: self.rows,
            col_group: self.cols,
            ..CimParams::default()
        }
    }

    /// Module name carrying the parameters.
    pub fn module_name(&self) -> String {
        format!(
            "sparse_ffn_n{}_c{}_g{}_k{}_b{}{}",
            self.rows,
            self.cols,
            self.col_group,
            self.cim_rows,
            self.banks,
            if self.dynamic { "_dyn" } else { "" }
        )
    }
}

/// Why packing a weight matrix failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// The matrix shape does not match the parameters.
    #[error("weights are {got_rows} x {got_cols}; the tile needs rows x cols = {rows} x {cols}")]
    Shape {
        /// Rows given.
        got_rows: usize,
        /// Columns given (of the first short or long row).
        got_cols: usize,
        /// Rows expected.
        rows: u32,
        /// Columns expected.
        cols: u32,
    },
    /// A weight is outside INT8.
    #[error("weight W[{row}][{col}] = {value} is outside INT8 (-128..=127)")]
    Range {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
        /// The value.
        value: i64,
    },
    /// A group needs more packed rows than the CIM banks hold.
    #[error(
        "column group {group} needs {needed} packed rows but banks x cim_rows = {capacity}: \
         raise banks or cim_rows (or prune more)"
    )]
    TooDense {
        /// The group.
        group: u32,
        /// Rows it needs.
        needed: usize,
        /// What fits.
        capacity: u32,
    },
}

/// The packed form of a weight matrix for one tile: per group, the need mask and the packed
/// rows (bank, CIM row, weights).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// `need[g][i]`: row `i` has a non-zero weight in group `g`.
    pub need: Vec<Vec<bool>>,
    /// `index[g][j]`: the original row of packed row `j` of group `g` (ascending).
    pub index: Vec<Vec<u32>>,
    /// `rows[g][j]`: the `col_group` weights of packed row `j` of group `g`.
    pub rows: Vec<Vec<Vec<i8>>>,
}

impl Packed {
    /// Where packed row `j` lives: (bank, CIM row).
    pub fn place(p: &SparseFfnParams, j: usize) -> (u32, u32) {
        (j as u32 / p.cim_rows, j as u32 % p.cim_rows)
    }

    /// Beats group `g` takes per vector: `max(1, ceil(packed rows / cim_rows))`.
    pub fn beats(&self, p: &SparseFfnParams, g: usize) -> u32 {
        (self.index[g].len() as u32).div_ceil(p.cim_rows).max(1)
    }

    /// Stored (non-padding) weights over all groups.
    pub fn stored_weights(&self, p: &SparseFfnParams) -> usize {
        self.index.iter().map(|r| r.len()).sum::<usize>() * p.col_group as usize
    }
}

/// Packs `w` (`rows` rows of `cols` INT8 weights) row-wise per column group.
pub fn pack(p: &SparseFfnParams, w: &[Vec<i64>]) -> Result<Packed, PackError> {
    let shape = |got_cols: usize| PackError::Shape {
        got_rows: w.len(),
        got_cols,
        rows: p.rows,
        cols: p.cols,
    };
    if w.len() != p.rows as usize {
        return Err(shape(w.first().map_or(0, |r| r.len())));
    }
    for (r, row) in w.iter().enumerate() {
        if row.len() != p.cols as usize {
            return Err(shape(row.len()));
        }
        for (c, &v) in row.iter().enumerate() {
            if !(-128..=127).contains(&v) {
                return Err(PackError::Range {
                    row: r,
                    col: c,
                    value: v,
                });
            }
        }
    }
    let g_cols = p.col_group as usize;
    let mut packed = Packed {
        need: Vec::new(),
        index: Vec::new(),
        rows: Vec::new(),
    };
    for g in 0..p.groups() as usize {
        let cols = g * g_cols..(g + 1) * g_cols;
        let need: Vec<bool> = w
            .iter()
            .map(|row| row[cols.clone()].iter().any(|&v| v != 0))
            .collect();
        let index: Vec<u32> = (0..w.len() as u32).filter(|&i| need[i as usize]).collect();
        if index.len() > p.capacity() as usize {
            return Err(PackError::TooDense {
                group: g as u32,
                needed: index.len(),
                capacity: p.capacity(),
            });
        }
        let rows = index
            .iter()
            .map(|&i| {
                w[i as usize][cols.clone()]
                    .iter()
                    .map(|&v| v as i8)
                    .collect()
            })
            .collect();
        packed.need.push(need);
        packed.index.push(index);
        packed.rows.push(rows);
    }
    Ok(packed)
}

/// Generates the sparse tile as module `top` (see the module documentation).
pub fn generate(p: &SparseFfnParams, top: &str) -> Result<Rc<Module>, RtlError> {
    p.validate()?;
    let (n, gsz) = (p.rows, p.col_group);
    let ng = p.groups();
    let ow = p.out_width();
    let cp = p.cim_params();
    cp.validate()?;
    let cim_ow = cp.out_width();
    let cim = cim::generate(&cp, &format!("{top}_cim"))?;
    let router = butterfly::build(&p.router_params(), &format!("{top}_router"))?;
    let gw = p.group_width();
    let kw = p.bank_width();
    let aw = cp.row_addr_width();

    let mut m = ModuleBuilder::new(top);
    let (clk, rst) = m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_x = m.input("in_x", n * BITS);
    let out_ready = m.input("out_ready", 1);
    let mask_we = m.input("mask_we", 1);
    let mask_group = m.input("mask_group", gw);
    let mask_data = m.input("mask_data", n);
    let wr_en = m.input("wr_en", 1);
    let wr_group = m.input("wr_group", gw);
    let wr_bank = m.input("wr_bank", kw);
    let wr_row = m.input("wr_row", aw);
    let wr_data = m.input("wr_data", gsz * BITS);
    if cp.banks == 1 && !p.dynamic {
        // One bank: the CIM macros have no bank port. `wr_bank` stays (one port protocol for
        // every tile; drivers set it to 0) and goes to a lint sink.
        m.wire("wr_bank_unused", &wr_bank);
    }

    // Vector state: idle -> busy (groups run) -> done (result held) -> idle.
    let busy = zero_reg(&mut m, "busy", 1);
    let done = zero_reg(&mut m, "done", 1);
    let (busy_s, done_s) = (busy.sig(), done.sig());
    let in_ready = m.wire("in_ready_w", &(!&busy_s & !&done_s));
    let accept = m.wire("accept", &(&in_valid & &in_ready));
    let x_q = m.reg_en("x_q", &in_x, &accept);
    let pop = m.wire("pop", &(&done_s & &out_ready));

    // Dynamic mode: which lanes of `x_q` are non-zero (the router's activation mask).
    let x_nz = p.dynamic.then(|| {
        let nz: Vec<Signal> = (0..n)
            .rev()
            .map(|i| x_q.slice(i * BITS, BITS).reduce_or())
            .collect();
        m.wire("x_nz", &Signal::concat(&nz))
    });
    let bw_beats = clog2(p.banks as u64 + 1).max(1);
    let mut group_done = Vec::new();
    let mut ys: Vec<Signal> = Vec::new();
    for g in 0..ng {
        let need = m.reg_en(
            &format!("g{g}_need_q"),
            &mask_data,
            &(&mask_we & mask_group.eq_lit(g as u64)),
        );
        // Router: presented while the group has not delivered its last beat.
        let sent = zero_reg(&mut m, &format!("g{g}_sent_q"), 1);
        let r_valid = m.wire(&format!("g{g}_r_valid"), &(&busy_s & !&sent.sig()));
        let cim_ready = m.wire_decl(&format!("g{g}_cim_ready"), 1);
        // The router's `out_ready`: the CIM took the beat (dynamic: once its weights are in).
        let r_ready = if p.dynamic {
            m.wire_decl(&format!("g{g}_r_ready"), 1)
        } else {
            cim_ready.clone()
        };
        let r_mask = match &x_nz {
            Some(nz) => m.wire(&format!("g{g}_router_mask"), &(&need & nz)),
            None => need.clone(),
        };
        let ro = m.instance(
            &format!("g{g}_router"),
            &router,
            &[
                ("clk", &clk),
                ("rst", &rst),
                ("in_valid", &r_valid),
                ("in_data", &x_q),
                ("in_mask", &r_mask),
                ("out_ready", &r_ready.sig()),
            ],
        );
        let r_out_valid = ro.out("out_valid");
        let r_in_ready = ro.out("in_ready");
        let xfer = m.wire(&format!("g{g}_xfer"), &(&r_out_valid & &r_ready.sig()));
        let last = m.wire(&format!("g{g}_last"), &(&r_valid & &r_in_ready));
        // Static mode: beat counter = bank of the next beat. Dynamic mode: the weight loader.
        let static_beat = if p.dynamic {
            None
        } else {
            let beat = zero_reg(&mut m, &format!("g{g}_beat_q"), kw);
            let beat_next = last.mux(
                &Signal::lit(kw, 0),
                &xfer.mux(&beat.sig().add_w(&Signal::lit(kw, 1), kw), &beat.sig()),
            );
            m.set_next(&beat, &beat_next);
            Some(beat.sig())
        };
        m.set_next(
            &sent,
            &accept.mux(&Signal::lit(1, 0), &(&sent.sig() | (&xfer & &last))),
        );
        // Beats sent and results received this vector.
        let nsent = zero_reg(&mut m, &format!("g{g}_nsent_q"), bw_beats);
        let nrecv = zero_reg(&mut m, &format!("g{g}_nrecv_q"), bw_beats);
        m.set_next(
            &nsent,
            &accept.mux(
                &Signal::lit(bw_beats, 0),
                &nsent.sig().add_w(&xfer.zext(bw_beats), bw_beats),
            ),
        );
        let wr_hit = m.wire(
            &format!("g{g}_wr_en"),
            &(&wr_en & wr_group.eq_lit(g as u64)),
        );
        let r_data = ro.out("out_data");
        let bx0 = Signal::lit(cp.planes_width(), 0);
        let one = Signal::lit(1, 1);
        let row0 = Signal::lit(aw, 0);
        // What the CIM's valid, bank and write port see: the router's beats and the tile's
        // write port (static), or the weight loader (dynamic).
        let tile_write = WritePort {
            en: wr_hit,
            bank: wr_bank.clone(),
            row: wr_row.clone(),
            data: wr_data.clone(),
        };
        let feed = match &static_beat {
            Some(beat) => CimFeed {
                valid: r_out_valid.clone(),
                bank: beat.clone(),
                write: tile_write,
            },
            None => weight_loader(&mut m, p, g, &need, &ro, &tile_write, &r_ready.sig()),
        };
        let mut conns: Vec<(&str, &Signal)> = vec![
            ("clk", &clk),
            ("rst", &rst),
            ("in_valid", &feed.valid),
            ("in_x", &r_data),
            ("in_bx", &bx0),
            ("in_row_mask", &one),
            ("in_col_mask", &one),
            ("out_ready", &one),
            ("wr_en", &feed.write.en),
            ("wr_row", &feed.write.row),
            ("wr_data", &feed.write.data),
            ("rd_row", &row0),
        ];
        let zero_k = Signal::lit(cp.bank_width(), 0);
        if cp.banks > 1 {
            conns.push(("in_bank", &feed.bank));
            conns.push(("wr_bank", &feed.write.bank));
            conns.push(("rd_bank", &zero_k));
        }
        let co = m.instance(&format!("g{g}_cim"), &cim, &conns);
        m.drive(&cim_ready, &co.out("in_ready"));
        if p.dynamic {
            m.drive(&r_ready, &(&feed.valid & &cim_ready.sig()));
        }
        let c_valid = co.out("out_valid");
        m.set_next(
            &nrecv,
            &accept.mux(
                &Signal::lit(bw_beats, 0),
                &nrecv.sig().add_w(&c_valid.zext(bw_beats), bw_beats),
            ),
        );
        let g_done = m.wire(
            &format!("g{g}_done"),
            &(&sent.sig() & nsent.sig().eq(&nrecv.sig())),
        );
        group_done.push(g_done);
        let cy = co.out("out_y");
        // Outputs the tile does not need (the router's indices and counts; the CIM's cycle
        // count, read port and event counters) go to one lint sink per group, a wire whose
        // name contains `unused` (Verilator's `--unused-regexp`); synthesis removes the
        // logic that only feeds it.
        let used: &[&str] = if p.dynamic {
            &[
                "out_valid",
                "in_ready",
                "out_data",
                "out_index",
                "out_valid_lanes",
            ]
        } else {
            &["out_valid", "in_ready", "out_data"]
        };
        let mut spare = ro.others(used);
        spare.extend(co.others(&["in_ready", "out_valid", "out_y"]));
        m.wire(&format!("g{g}_unused_outputs"), &Signal::concat(&spare));
        for j in 0..gsz {
            let col = g * gsz + j;
            let part = cy.slice(j * cim_ow, cim_ow).as_signed().sext(ow);
            let acc = m.reg_decl(&format!("g{g}_acc_c{col}"), ow, true, None);
            let base = accept.mux(&Signal::lit(ow, 0), &acc.sig());
            let add = c_valid.mux(&part, &Signal::lit(ow, 0));
            m.set_next(&acc, &base.add_w(&add, ow));
            ys.push(acc.sig());
        }
    }
    let all_done = group_done
        .iter()
        .skip(1)
        .fold(group_done[0].clone(), |a, b| &a & b);
    let finish = m.wire("finish", &(&busy_s & &all_done));
    m.set_next(&busy, &(&accept | (&busy_s & !&finish)));
    m.set_next(&done, &(&finish | (&done_s & !&pop)));
    let rev: Vec<Signal> = ys.iter().rev().map(|s| s.trunc(ow)).collect();
    m.output("in_ready", &in_ready);
    m.output("out_valid", &done_s);
    m.output("out_y", &Signal::concat(&rev));
    m.finish()
}

/// An unsigned register `name` of `width` bits, reset to zero.
fn zero_reg(m: &mut ModuleBuilder, name: &str, width: u32) -> crate::builder::RegHandle {
    m.reg_decl(name, width, false, Some(crate::Bits::zero(width)))
}

/// A weight write port: enable, bank, row, data.
struct WritePort {
    en: Signal,
    bank: Signal,
    row: Signal,
    data: Signal,
}

/// What drives a group's CIM macro: the MVM's valid and bank, and the weight write port
/// (static: the router's beats, the beat counter and the tile's write port; dynamic: the
/// weight loader).
struct CimFeed {
    valid: Signal,
    bank: Signal,
    write: WritePort,
}

/// Dynamic mode, group `g`: the weight store `g{g}_wmem` (the group's packed rows, written
/// through the tile's write port at `wr_bank * cim_rows + wr_row`) and the loader that, for
/// the router's current beat, writes into CIM bank `g{g}_ld_bank_q` row `r` the packed row of
/// the activation on lane `r`: its rank among the needed rows,
/// `popcount(need & ((1 << index) - 1))`. One row per cycle, valid lanes only (they are a
/// prefix of the beat); the beat is loaded when the next lane is invalid or all `cim_rows` are
/// written. The CIM takes it, the router moves on and the loader fills the other bank while
/// the CIM computes.
fn weight_loader(
    m: &mut ModuleBuilder,
    p: &SparseFfnParams,
    g: u32,
    need: &Signal,
    ro: &crate::builder::InstanceOutputs,
    tile: &WritePort,
    adv: &Signal,
) -> CimFeed {
    let (n, k) = (p.rows, p.cim_rows);
    let (kw, aw) = (p.bank_width(), tile.row.width());

    let cap = p.capacity();
    let cw = clog2(cap as u64).max(1);
    let store = m.memory(&format!("g{g}_wmem"), cap as u64, p.col_group * BITS);
    // bank * K + row < 2^kw * 2^aw; one more bit holds the constants K and capacity.
    let fw = kw + aw + 1;
    let addr = tile
        .bank
        .zext(fw)
        .mul_w(&Signal::lit(fw, k as u64), fw)
        .add_w(&tile.row.zext(fw), fw);
    let in_range = &tile.row.zext(aw + 1).lt(&Signal::lit(aw + 1, k as u64))
        & addr.lt(&Signal::lit(fw, cap as u64));
    let st_en = m.wire(&format!("g{g}_wmem_we"), &(&tile.en & &in_range));
    let st_addr = m.wire(&format!("g{g}_wmem_addr"), &addr.trunc(cw.min(fw)).zext(cw));
    m.mem_write(store, &st_en, &st_addr, &tile.data);

    let rw = clog2(k as u64 + 1);
    let ld_row = zero_reg(m, &format!("g{g}_ld_row_q"), rw);
    let ld_bank = zero_reg(m, &format!("g{g}_ld_bank_q"), 1);
    let kb = clog2(n as u64);
    let lanes = ro.out("out_valid_lanes");
    let index = ro.out("out_index");
    let row = ld_row.sig();
    let lane_valid = m.wire(
        &format!("g{g}_wl_lane_valid"),
        &cim::mux_tree((0..k).map(|j| lanes.bit(j)).collect(), &row),
    );
    let lane_index = m.wire(
        &format!("g{g}_wl_index"),
        &cim::mux_tree((0..k).map(|j| index.slice(j * kb, kb)).collect(), &row),
    );
    let below = Signal::lit(n, 1)
        .shl_var(&lane_index)
        .sub_w(&Signal::lit(n, 1), n);
    let before = m.wire(&format!("g{g}_wl_before"), &(need & &below));
    let rank = cim::popcount(&before);
    let rank = m.wire(
        &format!("g{g}_wl_rank"),
        &if rank.width() >= cw {
            rank.trunc(cw)
        } else {
            rank.zext(cw)
        },
    );
    let data = m.mem_read(store, &format!("g{g}_wl_data"), &rank);
    let r_valid = ro.out("out_valid");
    let write = m.wire(&format!("g{g}_wl_write"), &(&r_valid & &lane_valid));
    let loaded = m.wire(&format!("g{g}_wl_loaded"), &(&r_valid & !&lane_valid));
    // `adv` (the caller's `loaded & cim in_ready`): the CIM took the beat, the router shows
    // the next one on the next cycle.
    m.set_next(
        &ld_row,
        &adv.mux(
            &Signal::lit(rw, 0),
            &write.mux(&row.add_w(&Signal::lit(rw, 1), rw), &row),
        ),
    );
    m.set_next(&ld_bank, &(&ld_bank.sig() ^ adv));
    CimFeed {
        valid: loaded,
        bank: ld_bank.sig(),
        write: WritePort {
            en: write,
            bank: ld_bank.sig(),
            row: row.trunc(aw),
            data,
        },
    }
}

/// Generates the dense baseline (the CIM macro alone, `rows x cols`, one bank) as `top`.
pub fn generate_dense(p: &SparseFfnParams, top: &str) -> Result<Rc<Module>, RtlError> {
    p.validate()?;
    cim::generate(&p.dense_params(), top)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::registry::sets;

    #[test]
    fn cim_rows_follows_rows_unless_given() {
        let p = SparseFfnParams::from_sets(&sets(&[("rows", "4")])).unwrap();
        assert_eq!((p.cim_rows, p.capacity()), (1, 4));
        let p = SparseFfnParams::from_sets(&sets(&[("rows", "256")])).unwrap();
        assert_eq!((p.cim_rows, p.capacity()), (64, 256));
        let p = SparseFfnParams::from_sets(&sets(&[("cim_rows", "2"), ("rows", "64")])).unwrap();
        assert_eq!(p.cim_rows, 2);
        let p = SparseFfnParams::from_sets(&sets(&[("rows", "2")])).unwrap();
        assert_eq!(p.cim_rows, 1);
        // Only rows moves it: a preset's cim_rows stays when rows is not set.
        let base = SparseFfnParams {
            cim_rows: 8,
            ..SparseFfnParams::default()
        };
        assert_eq!(base.with_sets(&sets(&[("cols", "8")])).unwrap().cim_rows, 8);
        let e = SparseFfnParams::from_sets(&sets(&[("rows", "4"), ("cim_rows", "4")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cim_rows") && e.contains("1 to rows - 1 = 3"),
            "{e}"
        );
    }
}
