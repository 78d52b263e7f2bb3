//! Runs BF16 vectors through the Verilated BF16 CIM macro with the golden model beside it.
//!
//! [`sim_bf16`] is the entry point for `nicc sim cim` in bf16 mode: it generates the macro,
//! writes the weights (pre-aligned offline by
//! [`nicc_rtl::blocks::cim_bf16::align_weights_bf16`]) through the write port, streams the
//! input vectors through the valid/ready handshake, and checks every result against
//! [`super::bf16::Bf16Golden`] bit for bit (BF16 and FP32 outputs, both flags), each alignment
//! group's activity counters against the integer golden model's activity on the aligned inputs
//! ([`GroupActivity`]), and the accept cycles against the issue cycles that activity predicts.
//! The tests use [`Bf16Dut`] directly on a model that holds several configurations
//! ([`wrapper`]).

use super::bf16::{align, bf16_from_f32, bf16_to_f64, Bf16Golden, Bf16Result};
use super::golden::{Activity, CimGolden, GoldenError, MvmInput};
use nicc_rtl::blocks::cim::{generate, CimFormat, CimParams};
use nicc_rtl::blocks::cim_bf16::{
    align_weights_bf16, group_params, group_rows, groups, AlignedWeights,
};
use nicc_rtl::wrap::{prefixed, Part};
use nicc_rtl::{emit, Bits, Module, RtlError};
use nicc_sim::{Model, Port, SimError};
use rand::Rng;
use std::rc::Rc;

/// What can go wrong running BF16 vectors through the RTL.
#[derive(Debug, thiserror::Error)]
pub enum Bf16SimError {
    /// The parameters do not describe a BF16 macro.
    #[error("bad parameters: {0}")]
    Params(String),
    /// An array has the wrong number of values.
    #[error("{what}: expected {expected} values, got {got}")]
    Shape {
        /// Which array.
        what: String,
        /// What was expected (with the shape).
        expected: String,
        /// How many values were given.
        got: usize,
    },
    /// Generating the RTL failed.
    #[error("generating the RTL: {0}")]
    Rtl(#[from] RtlError),
    /// Building or driving the Verilated model failed.
    #[error("simulation: {0}")]
    Sim(#[from] SimError),
    /// The golden model refused the data.
    #[error("golden model: {0}")]
    Golden(#[from] GoldenError),
    /// The RTL did not produce a result in time.
    #[error("vector {vector}: no result after {cycles} cycles (handshake stuck)")]
    Timeout {
        /// Index of the first vector without a result.
        vector: usize,
        /// Cycles simulated.
        cycles: u64,
    },
    /// The RTL's activity counters or accept cycles differ from the golden activity.
    #[error("{0}")]
    Check(String),
    /// The RTL and the golden model disagree.
    #[error("vector {vector}, column {column}: {what} mismatch: golden {expected}, RTL {actual}")]
    Mismatch {
        /// Vector index (0-based).
        vector: usize,
        /// Column (0-based; 0 for the flags).
        column: usize,
        /// `bf16`, `fp32`, `non_finite` or `overflow`.
        what: String,
        /// The golden value.
        expected: String,
        /// The RTL value.
        actual: String,
    },
}

/// One result as read from the RTL, with its handshake cycles.
#[derive(Debug, Clone, PartialEq)]
pub struct DutOut {
    /// BF16 bits per column.
    pub bf16: Vec<u16>,
    /// FP32 bits per column.
    pub fp32: Vec<u32>,
    /// `out_non_finite`.
    pub non_finite: bool,
    /// `out_overflow`.
    pub overflow: bool,
    /// Cycle (counted from the first cycle of the run) whose edge accepted the input.
    pub accept_cycle: u64,
    /// Cycle in which the result was transferred (`out_valid & out_ready`).
    pub out_cycle: u64,
}

/// Result of [`sim_bf16`].
#[derive(Debug, Clone, PartialEq)]
pub struct Bf16Run {
    /// FP32 outputs, `B x C` row-major (what the RTL produced).
    pub y: Vec<f32>,
    /// BF16 outputs (bits), `B x C` row-major.
    pub y_bf16: Vec<u16>,
    /// `out_non_finite` per vector.
    pub non_finite: Vec<bool>,
    /// `out_overflow` per vector.
    pub overflow: Vec<bool>,
    /// Latency per vector: cycles from the accepting edge to the output transfer.
    pub latency: Vec<u64>,
    /// Cycles from the first input offered to the last output taken (weights excluded).
    pub total_cycles: u64,
    /// Cycles spent writing the weights (one per row).
    pub weight_cycles: u64,
    /// Cycle (counted like [`DutOut::accept_cycle`]) whose edge accepted each vector.
    pub accept: Vec<u64>,
    /// Issue cycles of each vector: the max over the alignment groups of their bit-plane
    /// cycles (golden activity; the RTL's accept cycles and counters agree with it).
    pub issue_cycles: Vec<u32>,
    /// Each alignment group's activity counters over this run (`[mvms, cycles, skipped
    /// bit-planes, active products]`, the RTL's `cnt_*` differences, equal to the golden ones).
    pub counters: Vec<[u64; 4]>,
}

/// Compares one RTL result with the golden one; the first difference is the error.
pub fn compare(vector: usize, golden: &Bf16Result, dut: &DutOut) -> Result<(), Bf16SimError> {
    let mis = |column: usize, what: &str, e: String, a: String| Bf16SimError::Mismatch {
        vector,
        column,
        what: what.into(),
        expected: e,
        actual: a,
    };
    for (c, (&e, &a)) in golden.y_bf16.iter().zip(&dut.bf16).enumerate() {
        if e != a {
            return Err(mis(
                c,
                "bf16",
                format!("{e:#06x} ({:e})", bf16_to_f64(e)),
                format!("{a:#06x} ({:e})", bf16_to_f64(a)),
            ));
        }
    }
    for (c, (&e, &a)) in golden.y_f32.iter().zip(&dut.fp32).enumerate() {
        if e.to_bits() != a {
            return Err(mis(
                c,
                "fp32",
                format!("{:#010x} ({e:e})", e.to_bits()),
                format!("{a:#010x} ({:e})", f32::from_bits(a)),
            ));
        }
    }
    if golden.non_finite != dut.non_finite {
        return Err(mis(
            0,
            "non_finite",
            golden.non_finite.to_string(),
            dut.non_finite.to_string(),
        ));
    }
    if golden.overflow != dut.overflow {
        return Err(mis(
            0,
            "overflow",
            golden.overflow.to_string(),
            dut.overflow.to_string(),
        ));
    }
    Ok(())
}

/// A wrapper top holding one BF16 macro per configuration, instance `u<i>`, its ports
/// renamed `k<i>_<port>` (clock and reset shared), so one Verilated model serves them all.
pub fn wrapper(configs: &[CimParams], top: &str) -> Result<Rc<Module>, RtlError> {
    let parts = configs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(Part {
                instance: format!("u{i}"),
                prefix: format!("k{i}_"),
                module: generate(p, &format!("{top}_k{i}"))?,
            })
        })
        .collect::<Result<Vec<_>, RtlError>>()?;
    prefixed(top, &parts)
}

/// Handles on one BF16 macro's ports inside a model (`prefix` is `""` for a bare macro or
/// `k<i>_` inside a [`wrapper`]).
#[derive(Debug, Clone)]
pub struct Bf16Dut {
    p: CimParams,
    in_valid: Port,
    in_ready: Port,
    in_x: Port,
    in_bank: Option<Port>,
    out_valid: Port,
    out_ready: Port,
    out_bf16: Port,
    out_fp32: Port,
    out_nf: Port,
    out_ovf: Port,
    wr_en: Port,
    wr_bank: Option<Port>,
    wr_row: Port,
    wr_data: Port,
    wr_exp: Port,
    wr_wnf: Port,
    idle: Vec<Port>,
    cnt: [Port; 4],
}

impl Bf16Dut {
    /// Looks up the ports and drives every input of this macro to zero.
    pub fn new(model: &mut Model, prefix: &str, p: &CimParams) -> Result<Bf16Dut, Bf16SimError> {
        let port = |n: &str| model.port(&format!("{prefix}{n}"));
        let banked = p.banks > 1;
        let dut = Bf16Dut {
            p: p.clone(),
            in_valid: port("in_valid")?,
            in_ready: port("in_ready")?,
            in_x: port("in_x")?,
            in_bank: if banked { Some(port("in_bank")?) } else { None },
            out_valid: port("out_valid")?,
            out_ready: port("out_ready")?,
            out_bf16: port("out_bf16")?,
            out_fp32: port("out_fp32")?,
            out_nf: port("out_non_finite")?,
            out_ovf: port("out_overflow")?,
            wr_en: port("wr_en")?,
            wr_bank: if banked { Some(port("wr_bank")?) } else { None },
            wr_row: port("wr_row")?,
            wr_data: port("wr_data")?,
            wr_exp: port("wr_exp")?,
            wr_wnf: port("wr_wnf")?,
            cnt: [
                port("cnt_mvms")?,
                port("cnt_cycles")?,
                port("cnt_skipped")?,
                port("cnt_products")?,
            ],
            idle: {
                let mut v = vec![port("rd_row")?];
                if banked {
                    v.push(port("rd_bank")?);
                }
                v
            },
        };
        for q in [
            dut.in_valid,
            dut.in_x,
            dut.out_ready,
            dut.wr_en,
            dut.wr_row,
            dut.wr_data,
            dut.wr_exp,
            dut.wr_wnf,
        ]
        .into_iter()
        .chain(dut.in_bank)
        .chain(dut.wr_bank)
        .chain(dut.idle.iter().copied())
        {
            model.set(q, &Bits::zero(q.width()))?;
        }
        Ok(dut)
    }

    /// The activity counters of every alignment group as the RTL shows them now
    /// (`[mvms, cycles, skipped bit-planes, active products]`, since reset, wrapping at 2^32).
    pub fn counters(&self, model: &mut Model) -> Vec<[u64; 4]> {
        let v = self.cnt.map(|p| model.get(p));
        (0..groups(&self.p))
            .map(|g| {
                v.each_ref()
                    .map(|b| b.slice(g * 32, 32).to_u64().unwrap_or(0))
            })
            .collect()
    }

    /// Writes aligned weights into `bank`, one row per cycle; returns the cycles used.
    pub fn write_weights(
        &self,
        model: &mut Model,
        bank: u32,
        w: &AlignedWeights,
    ) -> Result<u64, Bf16SimError> {
        if let Some(b) = self.wr_bank {
            model.set_u64(b, bank as u64)?;
        }
        model.set(self.wr_exp, &w.exp_bits())?;
        model.set(self.wr_wnf, &w.non_finite_bits())?;
        model.set_u64(self.wr_en, 1)?;
        for r in 0..self.p.rows {
            model.set_u64(self.wr_row, r as u64)?;
            model.set(self.wr_data, &w.row_bits(r, self.p.wbits))?;
            model.step()?;
        }
        model.set_u64(self.wr_en, 0)?;
        Ok(self.p.rows as u64)
    }

    /// Streams `xs` (BF16 bits, one vector of `rows` per MVM) on `bank`; `out_ready` is 1
    /// with probability `ready` each cycle (drawn from `rng`). Returns the results in order.
    pub fn run<R: Rng>(
        &self,
        model: &mut Model,
        xs: &[Vec<u16>],
        bank: u32,
        ready: f64,
        rng: &mut R,
    ) -> Result<Vec<DutOut>, Bf16SimError> {
        let (n, c) = (xs.len(), self.p.cols);
        let limit = 64 + n as u64 * (self.p.xalign as u64 + 8) * 4;
        let mut accepts = Vec::with_capacity(n);
        let mut outs = Vec::with_capacity(n);
        if let Some(b) = self.in_bank {
            model.set_u64(b, bank as u64)?;
        }
        let mut cycle = 0u64;
        while outs.len() < n {
            if cycle > limit {
                return Err(Bf16SimError::Timeout {
                    vector: outs.len(),
                    cycles: cycle,
                });
            }
            let next = accepts.len();
            let offer = next < n;
            if offer {
                model.set(
                    self.in_x,
                    &nicc_rtl::blocks::cim_bf16::pack_inputs(&xs[next]),
                )?;
            }
            model.set_u64(self.in_valid, offer as u64)?;
            let take = ready >= 1.0 || rng.gen_bool(ready.clamp(0.0, 1.0));
            model.set_u64(self.out_ready, take as u64)?;
            model.eval();
            let accepted = offer && model.get_u64(self.in_ready) == 1;
            if take && model.get_u64(self.out_valid) == 1 {
                let b = model.get(self.out_bf16);
                let f = model.get(self.out_fp32);
                let k = outs.len();
                outs.push(DutOut {
                    bf16: (0..c)
                        .map(|i| b.slice(i * 16, 16).to_u64().unwrap_or(0) as u16)
                        .collect(),
                    fp32: (0..c)
                        .map(|i| f.slice(i * 32, 32).to_u64().unwrap_or(0) as u32)
                        .collect(),
                    non_finite: model.get_u64(self.out_nf) == 1,
                    overflow: model.get_u64(self.out_ovf) == 1,
                    accept_cycle: accepts.get(k).copied().unwrap_or(cycle),
                    out_cycle: cycle,
                });
            }
            if accepted {
                accepts.push(cycle);
            }
            model.step()?;
            cycle += 1;
        }
        model.set_u64(self.in_valid, 0)?;
        model.set_u64(self.out_ready, 0)?;
        model.eval();
        Ok(outs)
    }
}

/// The integer golden model of each alignment group's INT macro, for the activity the
/// RTL's counters must show: group `g` sees the `xalign`-bit aligned inputs of its rows.
#[derive(Debug, Clone)]
pub struct GroupActivity {
    p: CimParams,
    groups: Vec<(CimParams, CimGolden)>,
}

impl GroupActivity {
    /// The group models of the BF16 macro `p`.
    pub fn new(p: &CimParams) -> Result<GroupActivity, GoldenError> {
        let groups = (0..groups(p))
            .map(|g| {
                let gp = group_params(p, g);
                CimGolden::new(&gp).map(|m| (gp, m))
            })
            .collect::<Result<_, _>>()?;
        Ok(GroupActivity {
            p: p.clone(),
            groups,
        })
    }

    /// The activity of each group for one BF16 input vector (the weights do not matter).
    pub fn mvm(&self, x: &[u16]) -> Result<Vec<Activity>, GoldenError> {
        let gr = group_rows(&self.p) as usize;
        x.chunks(gr)
            .zip(&self.groups)
            .map(|(chunk, (gp, model))| {
                let q = align(chunk, self.p.xalign).q;
                model.mvm(&MvmInput::dense(gp, q)).map(|o| o.activity)
            })
            .collect()
    }
}

fn check_shapes(p: &CimParams, w: &[f32], x: &[f32]) -> Result<usize, Bf16SimError> {
    if p.format != CimFormat::Bf16 {
        return Err(Bf16SimError::Params(
            "format must be bf16 for sim_bf16 (set format=bf16)".into(),
        ));
    }
    p.validate()
        .map_err(|e| Bf16SimError::Params(e.to_string()))?;
    let (r, c) = (p.rows as usize, p.cols as usize);
    if w.len() != r * c {
        return Err(Bf16SimError::Shape {
            what: "weights".into(),
            expected: format!("rows x cols = {r} x {c} = {}", r * c),
            got: w.len(),
        });
    }
    if !x.len().is_multiple_of(r) {
        return Err(Bf16SimError::Shape {
            what: "inputs".into(),
            expected: format!("a multiple of rows = {r} (B x {r})"),
            got: x.len(),
        });
    }
    Ok(x.len() / r)
}

/// Runs `B = x.len() / rows` MVMs of the BF16 macro `p` on the Verilated RTL: `w` is
/// `rows x cols` row-major, `x` is `B x rows` row-major (both rounded to BF16, nearest even).
/// The golden model runs beside it; the first disagreement is a
/// [`Bf16SimError::Mismatch`] naming the vector, column, expected and actual value.
pub fn sim_bf16(p: &CimParams, w: &[f32], x: &[f32]) -> Result<Bf16Run, Bf16SimError> {
    let b = check_shapes(p, w, x)?;
    let design = emit(&generate(p, "cim_bf16")?)?;
    let mut model = Model::build(&design)?;
    model.reset(2)?;
    let dut = Bf16Dut::new(&mut model, "", p)?;
    run_on(&mut model, &dut, p, w, x, b)
}

/// [`sim_bf16`] on an already built model (`dut` inside it), bank 0, `out_ready` always 1.
pub fn run_on(
    model: &mut Model,
    dut: &Bf16Dut,
    p: &CimParams,
    w: &[f32],
    x: &[f32],
    b: usize,
) -> Result<Bf16Run, Bf16SimError> {
    let (r, c) = (p.rows as usize, p.cols as usize);
    let wb: Vec<u16> = w.iter().map(|&v| bf16_from_f32(v)).collect();
    let rows: Vec<Vec<u16>> = wb.chunks(c).map(|s| s.to_vec()).collect();
    let golden = Bf16Golden::new(p, &rows)?;
    let aligned = align_weights_bf16(p, &wb).map_err(|e| Bf16SimError::Params(e.to_string()))?;
    let weight_cycles = dut.write_weights(model, 0, &aligned)?;
    let xs: Vec<Vec<u16>> = x
        .chunks(r)
        .take(b)
        .map(|s| s.iter().map(|&v| bf16_from_f32(v)).collect())
        .collect();
    let act = GroupActivity::new(p)?;
    // The output is always ready (probability 1), so the generator is never drawn from; a
    // fixed seed keeps the run reproducible regardless.
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
    let before = dut.counters(model);
    let outs = dut.run(model, &xs, 0, 1.0, &mut rng)?;
    let after = dut.counters(model);
    let mut run = Bf16Run {
        y: Vec::with_capacity(b * c),
        y_bf16: Vec::with_capacity(b * c),
        non_finite: Vec::new(),
        overflow: Vec::new(),
        latency: Vec::new(),
        total_cycles: outs.last().map_or(0, |o| o.out_cycle + 1),
        weight_cycles,
        accept: outs.iter().map(|o| o.accept_cycle).collect(),
        issue_cycles: Vec::with_capacity(b),
        counters: before
            .iter()
            .zip(&after)
            .map(|(a, z)| std::array::from_fn(|k| z[k].wrapping_sub(a[k]) & 0xffff_ffff))
            .collect(),
    };
    let mut want = vec![[0u64; 4]; run.counters.len()];
    for (i, (xv, o)) in xs.iter().zip(&outs).enumerate() {
        compare(i, &golden.mvm(xv)?, o)?;
        let acts = act.mvm(xv)?;
        for (w, a) in want.iter_mut().zip(&acts) {
            w[0] += 1;
            w[1] += a.cycles as u64;
            w[2] += a.skipped_planes as u64;
            w[3] += a.active_products;
        }
        run.issue_cycles
            .push(acts.iter().map(|a| a.cycles).max().unwrap_or(1));
        run.y.extend(o.fp32.iter().map(|&v| f32::from_bits(v)));
        run.y_bf16.extend(&o.bf16);
        run.non_finite.push(o.non_finite);
        run.overflow.push(o.overflow);
        run.latency.push(o.out_cycle - o.accept_cycle);
    }
    for (g, (rtl, gold)) in run.counters.iter().zip(&want).enumerate() {
        if rtl != gold {
            return Err(Bf16SimError::Check(format!(
                "alignment group {g}: counters [mvms, cycles, skipped, products] RTL {rtl:?}, \
                 golden {gold:?}"
            )));
        }
    }
    // The output is always ready, so the macro accepts the next vector as soon as the
    // previous one has issued its last bit-plane.
    for (i, w) in run.accept.windows(2).enumerate() {
        let (got, want) = (w[1] - w[0], run.issue_cycles[i] as u64);
        if got != want {
            return Err(Bf16SimError::Check(format!(
                "vector {} accepted {got} cycles after vector {i}, golden {want} (vector {i}'s \
                 issue cycles)",
                i + 1
            )));
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> CimParams {
        CimParams {
            rows: 2,
            cols: 1,
            format: CimFormat::Bf16,
            align_group: 1,
            ..CimParams::default()
        }
    }

    #[test]
    fn shape_and_format_errors() {
        let p = params();
        let e = sim_bf16(&p, &[1.0; 3], &[1.0; 2]).unwrap_err();
        assert!(
            e.to_string()
                .contains("weights: expected rows x cols = 2 x 1"),
            "{e}"
        );
        let e = sim_bf16(&p, &[1.0; 2], &[1.0; 3]).unwrap_err();
        assert!(e.to_string().contains("a multiple of rows = 2"), "{e}");
        let q = CimParams {
            format: CimFormat::Int,
            ..p
        };
        let e = sim_bf16(&q, &[1.0; 2], &[1.0; 2]).unwrap_err();
        assert!(e.to_string().contains("format must be bf16"), "{e}");
    }

    #[test]
    fn mismatch_names_vector_column_values() {
        let g = Bf16Result {
            y_bf16: vec![0x3f80, 0x4000],
            y_f32: vec![1.0, 2.0],
            non_finite: false,
            overflow: false,
        };
        let mut d = DutOut {
            bf16: vec![0x3f80, 0x4000],
            fp32: vec![1f32.to_bits(), 2f32.to_bits()],
            non_finite: false,
            overflow: false,
            accept_cycle: 0,
            out_cycle: 3,
        };
        assert!(compare(7, &g, &d).is_ok());
        d.fp32[1] = 3f32.to_bits();
        let e = compare(7, &g, &d).unwrap_err().to_string();
        assert!(e.contains("vector 7, column 1: fp32 mismatch"), "{e}");
        assert!(e.contains("0x40000000") && e.contains("0x40400000"), "{e}");
        d.fp32[1] = 2f32.to_bits();
        d.overflow = true;
        assert!(compare(7, &g, &d)
            .unwrap_err()
            .to_string()
            .contains("overflow"));
    }
}
