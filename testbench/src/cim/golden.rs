//! Integer golden model of the CIM macro: bit-serial MAC, activity, timing, banks.
//!
//! # Semantics (what the macro must compute)
//! For one MVM with effective precision `bx` (the requested `bx`; 0 or above `xbits` means
//! `xbits`), inputs `x_r` (bx-bit, two's complement when `x_signed`), weights `W[bank][r][c]`
//! (two's complement `wbits`-bit), row-block enables and column-group enables:
//! - a row is *active* when its block is enabled and `x_r != 0`; inactive rows are gated;
//! - cycle b, MSB first (`b = bx-1 .. 0`): `P_c = sum_{active r} bit_b(x_r) * W[r][c]` and
//!   `A_c <- 2*A_c + s_b*P_c`, `s_b = -1` on the MSB plane when `x_signed`, else `+1`;
//! - `y_c = A_c = sum_{active r} x_r * W[r][c]` for enabled columns, 0 for disabled ones,
//!   exact in `OUT_W = xbits + wbits + ceil(log2 R)` signed bits;
//! - a bit-plane whose bits are all zero over the active rows is skipped; an MVM takes
//!   `max(1, processed planes)` cycles;
//! - counters: `skipped = bx - processed planes`, `products = active rows x processed planes`.
//!
//! # Timing (the documented micro-architecture, predicted by [`TimingModel`])
//! Accepted at the edge ending cycle `t` (`in_valid && in_ready` in cycle `t`), an MVM of
//! `n` cycles issues its planes in cycles `t+1 ..= t+n`; `in_ready` is high in a cycle when no
//! MVM is issuing or the issuing one is in its last plane, and fewer than `Q` MVMs are
//! accepted but not yet popped (`Q` = `CimParams::fifo_depth()`). Its result enters the output
//! FIFO at the end of cycle `t+n+p` (`p` = `tree_pipeline`), so it can be popped from cycle
//! `t+n+p+1` on, in order, in a cycle where `out_ready` is high.
//!
//! # Banks
//! A write loads a full row of one bank at a clock edge. An MVM reads its bank in its issue
//! cycles, so writes to other banks never disturb it; [`TimingModel::write_hazard`] says when
//! a write to the same bank would.

use nicc_rtl::blocks::cim::{CimFormat, CimParams};
use thiserror::Error;

/// Errors of the golden models: out-of-range values and shapes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GoldenError {
    /// A weight does not fit `wbits` two's complement bits.
    #[error(
        "weight W[{row}][{col}] = {value} does not fit wbits = {wbits} (allowed {min}..={max})"
    )]
    WeightRange {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
        /// The value.
        value: i64,
        /// Weight bits.
        wbits: u32,
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// An input does not fit the MVM's precision.
    #[error("input x[{row}] = {value} does not fit {bx} {} bits (allowed {min}..={max})", if *.signed { "signed" } else { "unsigned" })]
    InputRange {
        /// Row.
        row: usize,
        /// The value.
        value: i64,
        /// Effective precision.
        bx: u32,
        /// Signedness.
        signed: bool,
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A vector or index of the wrong size.
    #[error("{what}: expected {expected}, got {got}")]
    Shape {
        /// What was wrong.
        what: String,
        /// Expected size or range.
        expected: String,
        /// What was given.
        got: String,
    },
    /// The parameters are invalid, or not the integer format.
    #[error("parameters: {0}")]
    Params(String),
}

/// One MVM request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MvmInput {
    /// One input per row (value, not bit pattern).
    pub x: Vec<i64>,
    /// Requested precision; 0 or more than `xbits` means `xbits`.
    pub bx: u32,
    /// Weight bank.
    pub bank: usize,
    /// Row-block enables (`row_blocks()` entries).
    pub row_mask: Vec<bool>,
    /// Column-group enables (`col_groups()` entries).
    pub col_mask: Vec<bool>,
}

impl MvmInput {
    /// A dense MVM at full precision on bank 0 with every block and group enabled.
    pub fn dense(p: &CimParams, x: Vec<i64>) -> MvmInput {
        MvmInput {
            x,
            bx: p.xbits,
            bank: 0,
            row_mask: vec![true; p.rows.div_ceil(p.row_block) as usize],
            col_mask: vec![true; p.cols.div_ceil(p.col_group) as usize],
        }
    }
}

/// Activity of one MVM.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Activity {
    /// Cycles the MVM occupies the issue stage: `max(1, processed planes)`.
    pub cycles: u32,
    /// Bit-planes skipped (all zero over the active rows).
    pub skipped_planes: u32,
    /// Active (row, bit-plane) products: active rows x processed planes.
    pub active_products: u64,
    /// The processed planes, MSB first.
    pub planes: Vec<u32>,
    /// Rows taking part (block enabled and `x_r != 0`).
    pub active_rows: u32,
}

/// Result of one MVM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MvmOutput {
    /// One result per column.
    pub y: Vec<i64>,
    /// What the MVM did.
    pub activity: Activity,
}

/// The integer golden model: the weight banks and the bit-serial MVM.
#[derive(Debug, Clone)]
pub struct CimGolden {
    p: CimParams,
    /// `banks[k][r][c]`.
    w: Vec<Vec<Vec<i64>>>,
}

fn ceil_log2(n: u64) -> u32 {
    let mut k = 0;
    while (1u64 << k) < n {
        k += 1;
    }
    k
}

impl CimGolden {
    /// A model with all weights zero.
    pub fn new(p: &CimParams) -> Result<CimGolden, GoldenError> {
        p.validate()
            .map_err(|e| GoldenError::Params(e.to_string()))?;
        if p.format != CimFormat::Int {
            return Err(GoldenError::Params(
                "the integer model needs format = int (see cim::bf16)".into(),
            ));
        }
        let zero = vec![vec![0i64; p.cols as usize]; p.rows as usize];
        Ok(CimGolden {
            p: p.clone(),
            w: vec![zero; p.banks as usize],
        })
    }

    /// The parameters.
    pub fn params(&self) -> &CimParams {
        &self.p
    }

    /// Result width `xbits + wbits + ceil(log2 rows)`.
    pub fn out_width(&self) -> u32 {
        self.p.xbits + self.p.wbits + ceil_log2(self.p.rows as u64)
    }

    /// Effective precision of a request: 0 or above `xbits` means `xbits`.
    pub fn effective_bx(&self, bx: u32) -> u32 {
        if bx == 0 || bx > self.p.xbits {
            self.p.xbits
        } else {
            bx
        }
    }

    /// Writes one full row of `cols` weights into `bank`.
    pub fn write_row(
        &mut self,
        bank: usize,
        row: usize,
        weights: &[i64],
    ) -> Result<(), GoldenError> {
        self.check_index("bank", bank, self.p.banks as usize)?;
        self.check_index("row", row, self.p.rows as usize)?;
        if weights.len() != self.p.cols as usize {
            return Err(GoldenError::Shape {
                what: "weights per row".into(),
                expected: self.p.cols.to_string(),
                got: weights.len().to_string(),
            });
        }
        let (min, max) = signed_range(self.p.wbits);
        for (col, &v) in weights.iter().enumerate() {
            if v < min || v > max {
                return Err(GoldenError::WeightRange {
                    row,
                    col,
                    value: v,
                    wbits: self.p.wbits,
                    min,
                    max,
                });
            }
        }
        self.w[bank][row] = weights.to_vec();
        Ok(())
    }

    /// Reads back one row of `bank`.
    pub fn read_row(&self, bank: usize, row: usize) -> Result<&[i64], GoldenError> {
        self.check_index("bank", bank, self.p.banks as usize)?;
        self.check_index("row", row, self.p.rows as usize)?;
        Ok(&self.w[bank][row])
    }

    fn check_index(&self, what: &str, i: usize, n: usize) -> Result<(), GoldenError> {
        if i >= n {
            return Err(GoldenError::Shape {
                what: what.into(),
                expected: format!("0..{n}"),
                got: i.to_string(),
            });
        }
        Ok(())
    }

    /// Checks an input vector against the effective precision.
    pub fn check_input(&self, x: &[i64], bx: u32) -> Result<(), GoldenError> {
        let bx = self.effective_bx(bx);
        if x.len() != self.p.rows as usize {
            return Err(GoldenError::Shape {
                what: "inputs per vector".into(),
                expected: self.p.rows.to_string(),
                got: x.len().to_string(),
            });
        }
        let (min, max) = if self.p.x_signed {
            signed_range(bx)
        } else {
            (0, ((1u128 << bx) - 1) as i64)
        };
        for (row, &v) in x.iter().enumerate() {
            if v < min || v > max {
                return Err(GoldenError::InputRange {
                    row,
                    value: v,
                    bx,
                    signed: self.p.x_signed,
                    min,
                    max,
                });
            }
        }
        Ok(())
    }

    /// Runs one MVM bit-serially (MSB-first Horner form) and reports its activity.
    pub fn mvm(&self, job: &MvmInput) -> Result<MvmOutput, GoldenError> {
        let p = &self.p;
        self.check_input(&job.x, job.bx)?;
        self.check_index("bank", job.bank, p.banks as usize)?;
        let nb = p.rows.div_ceil(p.row_block) as usize;
        let ng = p.cols.div_ceil(p.col_group) as usize;
        if job.row_mask.len() != nb || job.col_mask.len() != ng {
            return Err(GoldenError::Shape {
                what: "row-block / column-group masks".into(),
                expected: format!("{nb} / {ng} entries"),
                got: format!("{} / {}", job.row_mask.len(), job.col_mask.len()),
            });
        }
        let bx = self.effective_bx(job.bx);
        let active: Vec<bool> = (0..p.rows as usize)
            .map(|r| job.row_mask[r / p.row_block as usize] && job.x[r] != 0)
            .collect();
        // Bit pattern of x_r in bx bits.
        let pattern = |r: usize| -> u64 { (job.x[r] as u64) & (u64::MAX >> (64 - bx)) };
        let mut planes = Vec::new();
        let mut acc = vec![0i128; p.cols as usize];
        for b in (0..bx).rev() {
            let bits: Vec<bool> = (0..p.rows as usize)
                .map(|r| active[r] && (pattern(r) >> b) & 1 == 1)
                .collect();
            let any = bits.iter().any(|&v| v);
            if any {
                planes.push(b);
            }
            let sign: i128 = if p.x_signed && b == bx - 1 { -1 } else { 1 };
            for (c, a) in acc.iter_mut().enumerate() {
                let enabled = job.col_mask[c / p.col_group as usize];
                let pc: i128 = if enabled {
                    (0..p.rows as usize)
                        .filter(|&r| bits[r])
                        .map(|r| self.w[job.bank][r][c] as i128)
                        .sum()
                } else {
                    0
                };
                *a = 2 * *a + sign * pc;
            }
        }
        let ow = self.out_width();
        let lim = 1i128 << (ow - 1);
        let y = acc
            .iter()
            .map(|&a| {
                debug_assert!(-lim <= a && a < lim, "result {a} exceeds OUT_W = {ow}");
                a as i64
            })
            .collect();
        let nact = active.iter().filter(|&&a| a).count() as u32;
        let activity = Activity {
            cycles: (planes.len() as u32).max(1),
            skipped_planes: bx - planes.len() as u32,
            active_products: nact as u64 * planes.len() as u64,
            planes,
            active_rows: nact,
        };
        Ok(MvmOutput { y, activity })
    }

    /// The plain integer dot product (no bit-serial steps), for cross-checking [`CimGolden::mvm`].
    pub fn dot(&self, job: &MvmInput) -> Vec<i64> {
        let p = &self.p;
        (0..p.cols as usize)
            .map(|c| {
                if !job.col_mask[c / p.col_group as usize] {
                    return 0;
                }
                (0..p.rows as usize)
                    .filter(|&r| job.row_mask[r / p.row_block as usize])
                    .map(|r| job.x[r] * self.w[job.bank][r][c])
                    .sum()
            })
            .collect()
    }
}

/// `(min, max)` of `bits`-bit two's complement.
pub fn signed_range(bits: u32) -> (i64, i64) {
    let h = 1i128 << (bits - 1);
    ((-h) as i64, (h - 1) as i64)
}

/// Bit pattern of `value` in `bits` bits (two's complement for negatives).
pub fn to_pattern(value: i64, bits: u32) -> u64 {
    (value as u64) & (u64::MAX >> (64 - bits))
}

/// Reads a `bits`-bit pattern back as a value (sign-extended when `signed`).
pub fn from_pattern(pattern: u64, bits: u32, signed: bool) -> i64 {
    let p = pattern & (u64::MAX >> (64 - bits));
    if signed && bits < 64 && (p >> (bits - 1)) & 1 == 1 {
        (p | !(u64::MAX >> (64 - bits))) as i64
    } else {
        p as i64
    }
}

/// When MVMs were accepted and their results popped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// Cycle of the accepting edge of each MVM.
    pub accept: Vec<u64>,
    /// Cycle each result was popped (`out_valid && out_ready`).
    pub pop: Vec<u64>,
}

/// Cycle-exact timing of the handshakes, from the documented micro-architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingModel {
    /// Register cuts in the column trees.
    pub tree_pipeline: u32,
    /// Output FIFO depth (credit limit).
    pub fifo_depth: u32,
}

impl TimingModel {
    /// The timing of macro `p`.
    pub fn new(p: &CimParams) -> TimingModel {
        TimingModel {
            tree_pipeline: p.tree_pipeline,
            fifo_depth: p.fifo_depth(),
        }
    }

    /// Latency from the accepting cycle to the first cycle the result can be popped.
    pub fn latency(&self, cycles: u32) -> u64 {
        cycles as u64 + self.tree_pipeline as u64 + 1
    }

    /// Predicts the schedule of MVMs of `cycles[i]` issue cycles each, where MVM `i` is
    /// offered (`in_valid`) from cycle `offer[i]` on (and after MVM `i-1` was accepted), and
    /// `out_ready(cycle)` gives the consumer. Cycle 0 is the first cycle after reset.
    /// Stops after `limit` cycles (returns what happened until then).
    pub fn schedule(
        &self,
        cycles: &[u32],
        offer: &[u64],
        out_ready: &dyn Fn(u64) -> bool,
        limit: u64,
    ) -> Schedule {
        let mut s = Schedule::default();
        let mut issue_end: Option<u64> = None; // last issue cycle of the current MVM
        let mut ready_at: Vec<u64> = Vec::new(); // per accepted MVM: first poppable cycle
        let mut next = 0usize;
        let mut popped = 0usize;
        for t in 0..limit {
            if popped == cycles.len() {
                break;
            }
            let occupancy = (s.accept.len() - popped) as u32;
            let free = issue_end.is_none_or(|e| e <= t);
            // Pop first (decided by this cycle's state), accept uses the registered occupancy.
            let can_accept =
                next < cycles.len() && offer[next] <= t && free && occupancy < self.fifo_depth;
            if popped < s.accept.len() && ready_at[popped] <= t && out_ready(t) {
                s.pop.push(t);
                popped += 1;
            }
            if can_accept {
                let n = cycles[next] as u64;
                s.accept.push(t);
                issue_end = Some(t + n);
                ready_at.push(t + self.latency(cycles[next]));
                next += 1;
            } else if issue_end.is_some_and(|e| e <= t) {
                issue_end = None;
            }
        }
        s
    }

    /// Whether a weight write at the edge ending cycle `write_cycle` to `write_bank` changes
    /// the result of an MVM of `cycles` issue cycles on `bank` accepted in cycle `accept`.
    pub fn write_hazard(
        accept: u64,
        cycles: u32,
        bank: usize,
        write_cycle: u64,
        write_bank: usize,
    ) -> bool {
        bank == write_bank && write_cycle >= accept && write_cycle < accept + cycles as u64
    }
}
