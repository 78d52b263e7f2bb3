//! Cycle-by-cycle co-simulation of CIM macros in a Verilated model against the golden models.
//!
//! A [`Slot`] drives one macro (its ports found by name, optionally with a prefix, so one
//! model can hold many macros side by side) and checks it every cycle:
//! - every popped result (`out_y`, `out_cycles`) against [`CimGolden::mvm`] on the weights
//!   the macro held when the MVM was accepted;
//! - the read-back port against the golden weights;
//! - the four activity counters against the sums of the golden activity of the cycles so far;
//! - at the end, the accept and pop cycles against [`TimingModel::schedule`].
//!
//! Stimulus: the initial weight writes, then the MVMs, each offered `gap` cycles after the
//! previous one was accepted and held until accepted; random `out_ready`; random weight
//! writes to any bank not read by the MVM issuing or offered in that cycle (bank ping-pong);
//! random read-back addresses.

use super::golden::{
    from_pattern, signed_range, to_pattern, CimGolden, GoldenError, MvmInput, MvmOutput,
    TimingModel,
};
use nicc_rtl::blocks::cim::CimParams;
use nicc_rtl::Bits;
use nicc_sim::{Model, Port, SimError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;
use thiserror::Error;

/// Errors setting a co-simulation up (not mismatches: those are in [`SlotReport`]).
#[derive(Debug, Error)]
pub enum CosimError {
    /// The model has no such port or a value does not fit.
    #[error("model: {0}")]
    Sim(#[from] SimError),
    /// The stimulus does not fit the macro's parameters.
    #[error("stimulus: {0}")]
    Golden(#[from] GoldenError),
    /// The stimulus is inconsistent.
    #[error("stimulus: {0}")]
    Stimulus(String),
}

/// A result the RTL produced that differs from the golden model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Index of the MVM (input vector) in the stimulus.
    pub vector: usize,
    /// Column.
    pub column: usize,
    /// What the golden model computed.
    pub expected: i64,
    /// What the RTL produced.
    pub actual: i64,
}

/// What one slot should do.
#[derive(Debug, Clone, Default)]
pub struct Stimulus {
    /// Weight rows written first, one per cycle: (bank, row, one weight per column).
    pub init_writes: Vec<(usize, usize, Vec<i64>)>,
    /// The MVMs, in order.
    pub mvms: Vec<MvmInput>,
    /// Idle cycles before offering each MVM (after the previous accept); empty = all 0.
    pub gaps: Vec<u32>,
    /// Probability that `out_ready` is high in a cycle (1.0 = always).
    pub ready_prob: f64,
    /// Probability of a random weight write in a cycle while MVMs run (0 = none).
    pub write_prob: f64,
    /// Put random bits above the MVM's precision into `in_x` (the macro must ignore them).
    pub junk_high_bits: bool,
    /// Seed of this slot's random choices.
    pub seed: u64,
}

/// What one slot observed.
#[derive(Debug, Clone, Default)]
pub struct SlotReport {
    /// Results popped from the RTL, in order (`y` and `out_cycles`).
    pub results: Vec<(Vec<i64>, u32)>,
    /// The golden results of the accepted MVMs, in order.
    pub expected: Vec<MvmOutput>,
    /// Accept cycle of each MVM.
    pub accept: Vec<u64>,
    /// Pop cycle of each result.
    pub pop: Vec<u64>,
    /// First cycle each MVM was offered.
    pub offer: Vec<u64>,
    /// Result mismatches.
    pub mismatches: Vec<Mismatch>,
    /// Every other discrepancy (cycles, counters, read-back, timing), with the cycle.
    pub errors: Vec<String>,
    /// Final counters read from the RTL: mvms, cycles, skipped, products.
    pub counters: [u64; 4],
    /// Weight writes issued while MVMs were running.
    pub writes_during_run: u64,
    /// Cycles simulated for this slot.
    pub cycles: u64,
}

impl SlotReport {
    /// True when nothing differed.
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty() && self.errors.is_empty()
    }
}

#[derive(Debug, Clone, Copy)]
struct Ports {
    in_valid: Port,
    in_x: Port,
    in_bx: Port,
    in_bank: Option<Port>,
    in_row_mask: Port,
    in_col_mask: Port,
    out_ready: Port,
    wr_en: Port,
    wr_bank: Option<Port>,
    wr_row: Port,
    wr_data: Port,
    rd_bank: Option<Port>,
    rd_row: Port,
    in_ready: Port,
    out_valid: Port,
    out_y: Port,
    out_cycles: Port,
    rd_data: Port,
    cnt: [Port; 4],
}

/// One issue window: cycles `start..=end`, `nact` products per plane unless null.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: u64,
    end: u64,
    nact: u64,
    null: bool,
    bank: usize,
}

/// One macro under test inside a model, with its golden model and stimulus state.
#[derive(Debug)]
pub struct Slot {
    /// Name used in messages.
    pub name: String,
    p: CimParams,
    ports: Ports,
    golden: CimGolden,
    stim: Stimulus,
    rng: ChaCha8Rng,
    // State.
    next_write: usize,
    next_mvm: usize,
    offer_from: Option<u64>,
    offered: bool,
    windows: VecDeque<Window>,
    pending: VecDeque<(usize, MvmOutput)>,
    cnt: [u64; 4],
    cur_write: Option<(usize, usize, Vec<i64>)>,
    cur_rd: (usize, usize),
    cur_ready: bool,
    ready_log: Vec<bool>,
    done_at: Option<u64>,
    report: SlotReport,
    max_errors: usize,
}

fn port(m: &Model, prefix: &str, name: &str) -> Result<Port, SimError> {
    m.port(&format!("{prefix}{name}"))
}

impl Slot {
    /// A slot driving the macro `p` whose ports are `<prefix><port>` in `model`.
    pub fn new(
        model: &Model,
        prefix: &str,
        name: &str,
        p: &CimParams,
        stim: Stimulus,
    ) -> Result<Slot, CosimError> {
        let banked = p.banks > 1;
        let opt = |n: &str| -> Result<Option<Port>, SimError> {
            if banked {
                port(model, prefix, n).map(Some)
            } else {
                Ok(None)
            }
        };
        let ports = Ports {
            in_valid: port(model, prefix, "in_valid")?,
            in_x: port(model, prefix, "in_x")?,
            in_bx: port(model, prefix, "in_bx")?,
            in_bank: opt("in_bank")?,
            in_row_mask: port(model, prefix, "in_row_mask")?,
            in_col_mask: port(model, prefix, "in_col_mask")?,
            out_ready: port(model, prefix, "out_ready")?,
            wr_en: port(model, prefix, "wr_en")?,
            wr_bank: opt("wr_bank")?,
            wr_row: port(model, prefix, "wr_row")?,
            wr_data: port(model, prefix, "wr_data")?,
            rd_bank: opt("rd_bank")?,
            rd_row: port(model, prefix, "rd_row")?,
            in_ready: port(model, prefix, "in_ready")?,
            out_valid: port(model, prefix, "out_valid")?,
            out_y: port(model, prefix, "out_y")?,
            out_cycles: port(model, prefix, "out_cycles")?,
            rd_data: port(model, prefix, "rd_data")?,
            cnt: [
                port(model, prefix, "cnt_mvms")?,
                port(model, prefix, "cnt_cycles")?,
                port(model, prefix, "cnt_skipped")?,
                port(model, prefix, "cnt_products")?,
            ],
        };
        let golden = CimGolden::new(p)?;
        let pw = p.planes_width();
        for (i, job) in stim.mvms.iter().enumerate() {
            golden.check_input(&job.x, job.bx)?;
            if job.bx as u64 >= 1u64 << pw {
                return Err(CosimError::Stimulus(format!(
                    "MVM {i}: bx = {} does not fit the {pw}-bit in_bx port",
                    job.bx
                )));
            }
        }
        let rng = ChaCha8Rng::seed_from_u64(stim.seed);
        Ok(Slot {
            name: name.to_string(),
            p: p.clone(),
            ports,
            golden,
            stim,
            rng,
            next_write: 0,
            next_mvm: 0,
            offer_from: None,
            offered: false,
            windows: VecDeque::new(),
            pending: VecDeque::new(),
            cnt: [0; 4],
            cur_write: None,
            cur_rd: (0, 0),
            cur_ready: false,
            ready_log: Vec::new(),
            done_at: None,
            report: SlotReport::default(),
            max_errors: 20,
        })
    }

    /// True once every MVM was popped.
    pub fn done(&self) -> bool {
        self.done_at.is_some()
    }

    fn err(&mut self, msg: String) {
        if self.report.errors.len() < self.max_errors {
            self.report.errors.push(format!("{}: {msg}", self.name));
        }
    }

    fn weights_bits(&self, w: &[i64]) -> Bits {
        let bw = self.p.wbits;
        let mut b = Bits::zero(self.p.cols * bw);
        for (c, &v) in w.iter().enumerate() {
            b.set_slice(c as u32 * bw, &Bits::from_u64(bw, to_pattern(v, bw)));
        }
        b
    }

    /// Banks an issuing or offered MVM reads in cycle `t` (writes to them are held back).
    fn busy_banks(&self, t: u64) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .windows
            .iter()
            .filter(|w| w.start <= t + 1 && t < w.end)
            .map(|w| w.bank)
            .collect();
        if self.offered {
            v.push(self.stim.mvms[self.next_mvm].bank);
        }
        v
    }

    /// Sets this slot's inputs for cycle `t` (cycle 0 is the first after reset).
    pub fn drive(&mut self, model: &mut Model, t: u64) -> Result<(), CosimError> {
        let p = self.p.clone();
        let ports = self.ports;
        let init_done = self.next_write >= self.stim.init_writes.len();
        // Offer the next MVM once the initial writes are done and its gap has passed.
        if init_done && self.next_mvm < self.stim.mvms.len() && !self.offered {
            let from = *self.offer_from.get_or_insert_with(|| {
                t + self.stim.gaps.get(self.next_mvm).copied().unwrap_or(0) as u64
            });
            if from <= t {
                self.offered = true;
                self.report.offer.push(t);
                let job = self.stim.mvms[self.next_mvm].clone();
                let bx = self.golden.effective_bx(job.bx);
                let xw = p.xbits;
                let mut x = Bits::zero(p.rows * xw);
                for (r, &v) in job.x.iter().enumerate() {
                    let mut pat = to_pattern(v, bx);
                    if self.stim.junk_high_bits && bx < xw {
                        let junk: u64 = self.rng.gen::<u64>() & (u64::MAX >> (64 - xw));
                        pat |= junk & !(u64::MAX >> (64 - bx));
                    }
                    x.set_slice(r as u32 * xw, &Bits::from_u64(xw, pat));
                }
                model.set(ports.in_x, &x)?;
                model.set_u64(ports.in_bx, job.bx as u64)?;
                if let Some(pb) = ports.in_bank {
                    model.set_u64(pb, job.bank as u64)?;
                }
                let mask = |v: &[bool]| {
                    let mut b = Bits::zero(v.len() as u32);
                    for (i, &on) in v.iter().enumerate() {
                        b.set_bit(i as u32, on);
                    }
                    b
                };
                model.set(ports.in_row_mask, &mask(&job.row_mask))?;
                model.set(ports.in_col_mask, &mask(&job.col_mask))?;
            }
        }
        // Weight write.
        self.cur_write = None;
        if !init_done {
            self.cur_write = Some(self.stim.init_writes[self.next_write].clone());
            self.next_write += 1;
        } else if self.stim.write_prob > 0.0
            && self.done_at.is_none()
            && self.rng.gen_bool(self.stim.write_prob)
        {
            let busy = self.busy_banks(t);
            let free: Vec<usize> = (0..p.banks as usize)
                .filter(|b| !busy.contains(b))
                .collect();
            if !free.is_empty() {
                let bank = free[self.rng.gen_range(0..free.len())];
                let row = self.rng.gen_range(0..p.rows as usize);
                let (lo, hi) = super::golden::signed_range(p.wbits);
                let w: Vec<i64> = (0..p.cols)
                    .map(|_| match self.rng.gen_range(0..4) {
                        0 => lo,
                        1 => hi,
                        _ => self.rng.gen_range(lo..=hi),
                    })
                    .collect();
                self.cur_write = Some((bank, row, w));
                self.report.writes_during_run += 1;
            }
        }
        match &self.cur_write {
            Some((bank, row, w)) => {
                let data = self.weights_bits(w);
                model.set_u64(ports.wr_en, 1)?;
                model.set_u64(ports.wr_row, *row as u64)?;
                model.set(ports.wr_data, &data)?;
                if let Some(pb) = ports.wr_bank {
                    model.set_u64(pb, *bank as u64)?;
                }
            }
            None => model.set_u64(ports.wr_en, 0)?,
        }
        model.set_u64(ports.in_valid, self.offered as u64)?;
        self.cur_ready = self.stim.ready_prob >= 1.0 || self.rng.gen_bool(self.stim.ready_prob);
        self.ready_log.push(self.cur_ready);
        model.set_u64(ports.out_ready, self.cur_ready as u64)?;
        self.cur_rd = (
            self.rng.gen_range(0..p.banks as usize),
            self.rng.gen_range(0..p.rows as usize),
        );
        model.set_u64(ports.rd_row, self.cur_rd.1 as u64)?;
        if let Some(pb) = ports.rd_bank {
            model.set_u64(pb, self.cur_rd.0 as u64)?;
        }
        Ok(())
    }

    /// Reads this slot's outputs in cycle `t` (after `drive` and an evaluation, before the
    /// clock edge), checks them and advances the golden state past the edge.
    pub fn observe(&mut self, model: &mut Model, t: u64) -> Result<(), CosimError> {
        let p = self.p.clone();
        let ports = self.ports;
        let ow = p.out_width();
        // Counters hold the events of cycles before t.
        for (i, &pt) in ports.cnt.iter().enumerate() {
            let got = model.get_u64(pt);
            if got != self.cnt[i] & 0xffff_ffff {
                let names = ["cnt_mvms", "cnt_cycles", "cnt_skipped", "cnt_products"];
                self.err(format!(
                    "cycle {t}: {} = {got}, golden {}",
                    names[i], self.cnt[i]
                ));
            }
        }
        // Read-back.
        let (rb, rr) = self.cur_rd;
        let want = self.weights_bits(self.golden.read_row(rb, rr)?);
        let got = model.get(ports.rd_data);
        if got != want {
            self.err(format!(
                "cycle {t}: rd_data bank {rb} row {rr} = 'h{}, golden 'h{}",
                got.to_hex(),
                want.to_hex()
            ));
        }
        // Output handshake.
        let out_valid = model.get_u64(ports.out_valid) == 1;
        if out_valid && self.cur_ready {
            let y_bits = model.get(ports.out_y);
            let y: Vec<i64> = (0..p.cols)
                .map(|c| from_pattern(y_bits.slice(c * ow, ow).to_u64().unwrap_or(0), ow, true))
                .collect();
            let cyc = model.get_u64(ports.out_cycles) as u32;
            self.report.pop.push(t);
            match self.pending.pop_front() {
                Some((idx, exp)) => {
                    for (c, (&a, &e)) in y.iter().zip(&exp.y).enumerate() {
                        if a != e && self.report.mismatches.len() < self.max_errors {
                            self.report.mismatches.push(Mismatch {
                                vector: idx,
                                column: c,
                                expected: e,
                                actual: a,
                            });
                        }
                    }
                    if cyc != exp.activity.cycles {
                        self.err(format!(
                            "MVM {idx}: out_cycles = {cyc}, golden {}",
                            exp.activity.cycles
                        ));
                    }
                    if self.pending.is_empty() && self.next_mvm == self.stim.mvms.len() {
                        self.done_at = Some(t);
                    }
                }
                None => self.err(format!("cycle {t}: out_valid with no MVM outstanding")),
            }
            self.report.results.push((y, cyc));
        }
        // Input handshake.
        let in_ready = model.get_u64(ports.in_ready) == 1;
        if self.offered && in_ready {
            let idx = self.next_mvm;
            let job = self.stim.mvms[idx].clone();
            let out = self.golden.mvm(&job)?;
            let bx = self.golden.effective_bx(job.bx);
            let n = out.activity.cycles as u64;
            self.windows.push_back(Window {
                start: t + 1,
                end: t + n,
                nact: out.activity.active_rows as u64,
                null: out.activity.planes.is_empty(),
                bank: job.bank,
            });
            self.cnt[0] += 1;
            self.cnt[2] += (bx - out.activity.planes.len() as u32) as u64;
            self.report.accept.push(t);
            self.report.expected.push(out.clone());
            self.pending.push_back((idx, out));
            self.next_mvm += 1;
            self.offered = false;
            self.offer_from = None;
        }
        // Issue-cycle events of cycle t.
        for w in &self.windows {
            if w.start <= t && t <= w.end {
                self.cnt[1] += 1;
                if !w.null {
                    self.cnt[3] += w.nact;
                }
            }
        }
        while self.windows.front().is_some_and(|w| w.end < t) {
            self.windows.pop_front();
        }
        // The write lands at this edge.
        if let Some((bank, row, w)) = self.cur_write.take() {
            self.golden.write_row(bank, row, &w)?;
        }
        self.report.cycles = t + 1;
        Ok(())
    }

    /// Final checks (timing against the model, final counters) and the report.
    pub fn finish(mut self, model: &mut Model) -> SlotReport {
        for (i, pt) in self.ports.cnt.iter().enumerate() {
            self.report.counters[i] = model.get_u64(*pt);
        }
        if self.done_at.is_none() && !self.stim.mvms.is_empty() {
            let msg = format!(
                "not finished after {} cycles: {} of {} MVMs accepted, {} popped",
                self.report.cycles,
                self.report.accept.len(),
                self.stim.mvms.len(),
                self.report.pop.len()
            );
            self.err(msg);
            return self.report;
        }
        // Timing: replay the offers and the consumer through the model.
        let tm = TimingModel::new(&self.p);
        let cycles: Vec<u32> = self
            .report
            .expected
            .iter()
            .map(|o| o.activity.cycles)
            .collect();
        let ready_cycles = ReadyTrace(std::mem::take(&mut self.ready_log));
        let s = tm.schedule(
            &cycles,
            &self.report.offer,
            &|c| ready_cycles.at(c),
            self.report.cycles + 1,
        );
        if s.accept != self.report.accept {
            let msg = format!(
                "accept cycles {:?} differ from the timing model {:?}",
                first(&self.report.accept),
                first(&s.accept)
            );
            self.err(msg);
        }
        if s.pop != self.report.pop {
            let msg = format!(
                "pop cycles {:?} differ from the timing model {:?}",
                first(&self.report.pop),
                first(&s.pop)
            );
            self.err(msg);
        }
        self.report
    }
}

struct ReadyTrace(Vec<bool>);

impl ReadyTrace {
    fn at(&self, c: u64) -> bool {
        self.0.get(c as usize).copied().unwrap_or(true)
    }
}

fn first(v: &[u64]) -> &[u64] {
    &v[..v.len().min(12)]
}

/// Runs `slots` in `model` (reset first) until every slot is done or `max_cycles` passed,
/// and returns their reports.
pub fn run(
    model: &mut Model,
    mut slots: Vec<Slot>,
    max_cycles: u64,
) -> Result<Vec<SlotReport>, CosimError> {
    model.reset(2)?;
    for t in 0..max_cycles {
        if slots.iter().all(|s| s.done()) {
            break;
        }
        for s in slots.iter_mut() {
            s.drive(model, t)?;
        }
        model.eval();
        for s in slots.iter_mut() {
            s.observe(model, t)?;
        }
        model.step()?;
    }
    Ok(slots.into_iter().map(|s| s.finish(model)).collect())
}

/// A weight value: mostly random, sometimes an extreme.
fn weight(rng: &mut ChaCha8Rng, bits: u32) -> i64 {
    let (lo, hi) = signed_range(bits);
    match rng.gen_range(0..6) {
        0 => lo,
        1 => hi,
        _ => rng.gen_range(lo..=hi),
    }
}

/// The random stimulus of the co-simulation tests for macro `p`: every bank written first
/// (bank 0 with the most negative weight everywhere, bank 1 with the largest in column 0),
/// two extreme MVMs (x = most negative, or largest unsigned, on every row: bank 0 reaches
/// the tight OUT_W bound), then `nmvm` random MVMs with 0 / 50 / 90 % zero inputs in turn,
/// run-time bx in {1, 4, 8, 0 = xbits} (those not above `xbits`), random masks (30 %), random
/// banks and gaps; out_ready high 60 % of the cycles, weight writes to free banks in 30 %.
pub fn random_stimulus(p: &CimParams, nmvm: usize, seed: u64) -> Stimulus {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (rows, cols) = (p.rows as usize, p.cols as usize);
    let (wlo, whi) = signed_range(p.wbits);
    let mut init = Vec::new();
    for bank in 0..p.banks as usize {
        for row in 0..rows {
            // Bank 0: the most negative weight everywhere (the extreme MVMs read it);
            // bank 1 (if any): the largest in column 0.
            let w: Vec<i64> = (0..cols)
                .map(|c| match bank {
                    0 => wlo,
                    1 if c == 0 => whi,
                    _ => weight(&mut rng, p.wbits),
                })
                .collect();
            init.push((bank, row, w));
        }
    }
    let nb = p.row_blocks() as usize;
    let ng = p.col_groups() as usize;
    let all_on = |rows: usize, cols: usize| (vec![true; rows], vec![true; cols]);
    let xr = |bx: u32| {
        if p.x_signed {
            signed_range(bx)
        } else {
            (0, (1i64 << bx) - 1)
        }
    };
    let mut mvms = Vec::new();
    // Extremes: x = most negative (or largest unsigned) everywhere on bank 0 (all weights
    // most negative), then on the last bank.
    let (xlo, xhi) = xr(p.xbits);
    let xext = if p.x_signed { xlo } else { xhi };
    for bank in [0, p.banks as usize - 1] {
        let (rm, cm) = all_on(nb, ng);
        mvms.push(MvmInput {
            x: vec![xext; rows],
            bx: p.xbits,
            bank,
            row_mask: rm,
            col_mask: cm,
        });
    }
    let bxs: Vec<u32> = [1u32, 4, 8, 0]
        .into_iter()
        .filter(|&b| b <= p.xbits)
        .collect();
    for i in 0..nmvm {
        let bx = bxs[rng.gen_range(0..bxs.len())];
        let ebx = if bx == 0 { p.xbits } else { bx };
        let (lo, hi) = xr(ebx);
        let zero = [0.0, 0.5, 0.9][i % 3];
        let x: Vec<i64> = (0..rows)
            .map(|_| {
                if rng.gen_bool(zero) {
                    0
                } else {
                    match rng.gen_range(0..6) {
                        0 => lo,
                        1 => hi,
                        _ => rng.gen_range(lo..=hi),
                    }
                }
            })
            .collect();
        let (rm, cm) = if rng.gen_bool(0.7) {
            all_on(nb, ng)
        } else {
            (
                (0..nb).map(|_| rng.gen_bool(0.6)).collect(),
                (0..ng).map(|_| rng.gen_bool(0.6)).collect(),
            )
        };
        mvms.push(MvmInput {
            x,
            bx,
            bank: rng.gen_range(0..p.banks as usize),
            row_mask: rm,
            col_mask: cm,
        });
    }
    let gaps = (0..mvms.len())
        .map(|_| {
            if rng.gen_bool(0.6) {
                0
            } else {
                rng.gen_range(1..5)
            }
        })
        .collect();
    Stimulus {
        init_writes: init,
        mvms,
        gaps,
        ready_prob: 0.6,
        write_prob: 0.3,
        junk_high_bits: true,
        seed: seed ^ 0x5eed,
    }
}
