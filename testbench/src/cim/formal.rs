//! A bounded formal check of the CIM macro: for every input sequence of a given number of
//! cycles (weights, activations, precision, masks, banks, handshakes all free in every cycle),
//! every result the macro gives equals `sum_r x_r * W[bank][r][c]` as the datasheet defines it.
//!
//! The checker (`cim_check`) wraps the generated macro and is written here from the ports and
//! the datasheet's semantics alone: it keeps its own copy of the weights (written through the
//! same port), computes the expected column sums with multipliers at the accept, and raises
//! `bad` when a result leaves that differs, or when a result leaves with none outstanding.
//! The environment it allows: one MVM outstanding at a time; weight writes only while none is
//! outstanding and not in an accepting cycle (a write to the bank being read changes its later
//! planes, the datasheet's write hazard); an MVM only once every row of its bank was written
//! after the last reset. `bad` counts only after the checker's reset input was seen high.
//!
//! ABC's bounded model checker unrolls it (`nicc_synth::bounded_check`). With enough cycles
//! for a reset, the writes of one bank, the accept, every bit-plane and the output
//! ([`frames_for`]) this covers every first MVM after reset, for all values. It is bounded and
//! practical at small sizes only: INT3 2 x 1 checks its 12 cycles in about 2 s, INT4 2 x 1 its
//! 13 in about 2 minutes, and INT8 4 x 2 did not get past 7 of 19 cycles in 10 minutes
//! (multiplier-shaped SAT problems), so the co-simulation remains the check of the full-size
//! macro.

use nicc_rtl::blocks::cim::{generate, CimFormat, CimParams};
use nicc_rtl::ir::Module;
use nicc_rtl::signal::Signal;
use nicc_rtl::{emit, Bits, Design, ModuleBuilder, RtlError};
use nicc_synth::{bounded_check, BmcOptions, BmcVerdict, SynthError};
use std::rc::Rc;
use std::time::Duration;
use thiserror::Error;

/// Errors of the bounded check.
#[derive(Debug, Error)]
pub enum CimFormalError {
    /// The parameters or the generator failed.
    #[error(transparent)]
    Rtl(#[from] RtlError),
    /// Yosys or ABC failed.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// BF16 macros are not covered.
    #[error("format = bf16: the bounded check covers the integer macro (format = int)")]
    Bf16,
    /// The macro is too large for the bounded check to be built, let alone finish.
    #[error(
        "rows x cols = {rows} x {cols} is above the {MAX_CHECK_CELLS} cells the bounded check \
         takes: it is practical for small macros only (INT3 2 x 1 in about 2 s, INT4 2 x 1 in \
         about 2 minutes); co-simulate larger ones (nicc sim cim)"
    )]
    TooLarge {
        /// Rows of the macro.
        rows: u32,
        /// Columns of the macro.
        cols: u32,
    },
}

/// Most `rows x cols` cells of a macro [`checker_design`] takes (e.g. 8 x 8, or the default
/// 16 x 4):
/// the checker has a multiplier per cell and ABC unrolls it for every cycle, so a large macro
/// ran out of memory (4096 x 1024 took over 9 GB within 30 s) instead of being refused.
pub const MAX_CHECK_CELLS: u32 = 64;

/// Cycles that cover one MVM from reset: reset, one write per row, the accept, `xbits`
/// planes, the tree pipeline, the result FIFO, and two spare.
pub fn frames_for(p: &CimParams) -> u32 {
    1 + p.rows + 1 + p.xbits + p.tree_pipeline + 3 + 2
}

/// What the checker's `bad` output flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// A result that differs from the expected sum, or one with no MVM outstanding.
    WrongResult,
    /// Any result of an outstanding MVM: a "violation" is a witness that the bound reaches a
    /// result at all (so a `WrongResult` check of the same bound is not vacuous).
    AnyResult,
}

/// The checker module `cim_check` around the macro `cim` (see the module documentation).
pub fn checker(p: &CimParams, cim: &Rc<Module>, flag: Flag) -> Result<Rc<Module>, RtlError> {
    let (r, c) = (p.rows, p.cols);
    let (bw, bx, ow) = (p.wbits, p.xbits, p.out_width());
    let banks = p.banks;
    let kw = p.bank_width();
    let mut m = ModuleBuilder::new("cim_check");
    let (clk, rst) = m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_x = m.input("in_x", r * bx);
    let in_bx = m.input("in_bx", p.planes_width());
    let in_bank = (banks > 1).then(|| m.input("in_bank", kw));
    let in_row_mask = m.input("in_row_mask", p.row_blocks());
    let in_col_mask = m.input("in_col_mask", p.col_groups());
    let out_ready = m.input("out_ready", 1);
    let wr_en = m.input("wr_en", 1);
    let wr_bank = (banks > 1).then(|| m.input("wr_bank", kw));
    let wr_row = m.input("wr_row", p.row_addr_width());
    let wr_data = m.input("wr_data", c * bw);
    let zero = |w: u32| Some(Bits::zero(w));

    let seen = m.reg_decl("seen_rst", 1, false, None);
    m.set_next(&seen, &(&seen.sig() | &rst));
    let pend = m.reg_decl("pend", 1, false, zero(1));
    let bank_of = |s: Option<Signal>| s.unwrap_or_else(|| Signal::lit(kw, 0));
    let (in_bank, wr_bank) = (bank_of(in_bank), bank_of(wr_bank));

    // The checker's copy of the weights, and which rows were written since the reset.
    let we = m.wire("we", &(&wr_en & !&pend.sig() & !&in_valid));
    let mut sh = Vec::new();
    let mut bank_full = Vec::new();
    for b in 0..banks {
        let mut rows = Vec::new();
        let mut written = Vec::new();
        for row in 0..r {
            let hit = &we & wr_bank.eq_lit(b as u64) & wr_row.eq_lit(row as u64);
            let hit = m.wire(&format!("hit_b{b}_r{row}"), &hit);
            rows.push(m.reg_en(&format!("sh_b{b}_r{row}"), &wr_data, &hit));
            let w = m.reg_decl(&format!("written_b{b}_r{row}"), 1, false, zero(1));
            m.set_next(&w, &(&w.sig() | &hit));
            written.push(w.sig());
        }
        sh.push(rows);
        bank_full.push(Signal::concat(&written).reduce_and());
    }
    let ready_bank = select(&bank_full, &in_bank);
    let iv = m.wire("iv", &(&in_valid & !&pend.sig() & &ready_bank));

    let mut conns: Vec<(&str, &Signal)> = vec![
        ("clk", &clk),
        ("rst", &rst),
        ("in_valid", &iv),
        ("in_x", &in_x),
        ("in_bx", &in_bx),
        ("in_row_mask", &in_row_mask),
        ("in_col_mask", &in_col_mask),
        ("out_ready", &out_ready),
        ("wr_en", &we),
        ("wr_row", &wr_row),
        ("wr_data", &wr_data),
    ];
    let rd_row = Signal::lit(p.row_addr_width(), 0);
    let rd_bank = Signal::lit(kw, 0);
    conns.push(("rd_row", &rd_row));
    if banks > 1 {
        conns.push(("in_bank", &in_bank));
        conns.push(("wr_bank", &wr_bank));
        conns.push(("rd_bank", &rd_bank));
    }
    let dut = m.instance("dut", cim, &conns);
    let accept = m.wire("accept", &(&iv & &dut.out("in_ready")));
    let out_valid = dut.out("out_valid");
    let pop = &out_valid & &out_ready;
    m.set_next(
        &pend,
        &accept.mux(
            &Signal::lit(1, 1),
            &pop.mux(&Signal::lit(1, 0), &pend.sig()),
        ),
    );

    // Expected result: bx_eff = xbits when in_bx is 0 or above xbits; row r's value is its
    // low bx_eff bits (two's complement when x_signed); gated row blocks and column groups
    // give nothing.
    let pw = p.planes_width();
    let full = in_bx.eq_lit(0) | in_bx.gt(&Signal::lit(pw, bx as u64));
    let bxe = m.wire("bx_eff", &full.mux(&Signal::lit(pw, bx as u64), &in_bx));
    let mut exp = Vec::new();
    for col in 0..c {
        let mut sum = Signal::lit(ow, 0);
        for row in 0..r {
            let x = in_x.slice(row * bx, bx);
            let mut xv = Signal::lit(ow, 0);
            for b in 1..=bx {
                let low = x.slice(0, b);
                let v = if p.x_signed {
                    low.as_signed().sext(ow)
                } else {
                    low.zext(ow)
                };
                xv = bxe.eq_lit(b as u64).mux(&v, &xv);
            }
            let w = select(
                &sh.iter()
                    .map(|rows| rows[row as usize].slice(col * bw, bw))
                    .collect::<Vec<_>>(),
                &in_bank,
            );
            let prod = xv.mul_w(&w.as_signed().sext(ow), ow);
            let en = in_row_mask.bit(row / p.row_block);
            sum = sum.add_w(&en.mux(&prod, &Signal::lit(ow, 0)), ow);
        }
        let en = in_col_mask.bit(col / p.col_group);
        let e = m.wire(&format!("exp_c{col}"), &en.mux(&sum, &Signal::lit(ow, 0)));
        exp.push(m.reg_en(&format!("exp_q_c{col}"), &e, &accept));
    }
    let exp_all = Signal::concat(&exp.iter().rev().cloned().collect::<Vec<_>>());
    let wrong = match flag {
        Flag::WrongResult => !&pend.sig() | dut.out("out_y").ne(&exp_all),
        Flag::AnyResult => pend.sig(),
    };
    let bad = &seen.sig() & !&rst & &out_valid & &wrong;
    let mut spare = dut.others(&["in_ready", "out_valid", "out_y"]);
    if flag == Flag::AnyResult {
        spare.extend([dut.out("out_y"), exp_all]);
    }
    m.wire("dut_unused_outputs", &Signal::concat(&spare));
    m.output("bad", &bad);
    m.finish()
}

/// `items[sel]` (`sel` below `items.len()`; the last item beyond).
fn select(items: &[Signal], sel: &Signal) -> Signal {
    items
        .iter()
        .enumerate()
        .skip(1)
        .fold(items[0].clone(), |acc, (i, s)| {
            sel.eq_lit(i as u64).mux(s, &acc)
        })
}

/// The checker design of `p` around the generated macro.
pub fn checker_design(p: &CimParams, flag: Flag) -> Result<Design, CimFormalError> {
    if p.format == CimFormat::Bf16 {
        return Err(CimFormalError::Bf16);
    }
    p.validate().map_err(RtlError::from)?;
    if p.rows * p.cols > MAX_CHECK_CELLS {
        return Err(CimFormalError::TooLarge {
            rows: p.rows,
            cols: p.cols,
        });
    }
    let cim = generate(p, "cim")?;
    Ok(emit(&checker(p, &cim, flag)?)?)
}

/// Runs the bounded check of `p` for `frames` cycles (ABC time limit `timeout_s`, 0 = none;
/// `time_limit` for each tool run, see [`BmcOptions::time_limit`]): `Holds` means every
/// result within the bound was right, `Inconclusive` that a limit cut the check short.
pub fn check(
    p: &CimParams,
    frames: u32,
    timeout_s: u32,
    time_limit: Option<Duration>,
) -> Result<BmcVerdict, CimFormalError> {
    check_design(
        &checker_design(p, Flag::WrongResult)?,
        frames,
        timeout_s,
        time_limit,
    )
}

/// Runs the bounded check on an already emitted checker design (the limits of [`check`]).
pub fn check_design(
    d: &Design,
    frames: u32,
    timeout_s: u32,
    time_limit: Option<Duration>,
) -> Result<BmcVerdict, CimFormalError> {
    let opts = BmcOptions {
        frames,
        timeout_s,
        time_limit,
    };
    Ok(bounded_check(d, &opts)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_macro_too_large_to_check_is_refused_before_it_is_built() {
        let p = CimParams {
            rows: 16,
            cols: 8,
            ..CimParams::default()
        };
        assert!(matches!(
            checker_design(&p, Flag::WrongResult),
            Err(CimFormalError::TooLarge { rows: 16, cols: 8 })
        ));
        let p = CimParams {
            rows: 4096,
            cols: 1024,
            ..CimParams::default()
        };
        let e = checker_design(&p, Flag::WrongResult)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rows x cols = 4096 x 1024 is above the 64 cells"),
            "{e}"
        );
    }
}
