//! The customised adder tree (issue 4): N operands of W bits summed by a balanced tree of
//! carry-propagate adders (`binary`), by carry-save reduction of bit columns (`wallace`,
//! `dadda`, `compressor42`, `popcount`) followed by a gate-level carry-propagate adder
//! (`ripple`, `kogge_stone`, `brent_kung`), optionally pipelined.
//!
//! Semantics: `out_sum` = the sum of the N operands, each sign-extended (`signed`) or
//! zero-extended, modulo 2^`out_width`. The default `out_width` (W + ceil(log2 N)) is exact; a
//! smaller one wraps, a larger one extends the exact sum.
//!
//! Signed operands use the constant-correction trick: the sign bit `s` of each operand is
//! inverted and the constant -N * 2^(W-1) is added, since `-s * 2^(W-1) = (1 - s) * 2^(W-1) -
//! 2^(W-1)`. Only the columns below the output width are built, and every generated bit is
//! used: the structure is first built as a small gate graph in Rust (constants folded), then
//! only the gates the outputs depend on become named wires. Operand bits the result does not
//! depend on (only when `out_width < W`) are gathered in one wire whose name contains `unused`
//! (Verilator's convention).
//!
//! Names come from the structure: `l2_n5_sum` (binary level 2, node 5), `s1_col7_fa3_s` (stage
//! 1, column 7, full adder 3, sum), `s2_col4_cp0_c` (4:2 compressor), `cpa_l1_g6` (final adder,
//! prefix level 1, group generate of bit 6), `s1_col7_q2` (pipeline register).

use crate::bits::Bits;
use crate::builder::ModuleBuilder;
use crate::error::{counted, parse_bool, ParamError, RtlError};
use crate::ir::Module;
use crate::signal::Signal;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Largest accepted number of operands.
pub const MAX_INPUTS: u32 = 4096;
/// Largest accepted operand width.
pub const MAX_WIDTH: u32 = 256;
/// Largest accepted output width.
pub const MAX_OUT_WIDTH: u32 = 512;

/// How the operands are reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TreeStyle {
    /// Balanced tree of two-input carry-propagate adders (Verilog `+`, one bit wider per level).
    #[default]
    Binary,
    /// 3:2 carry-save reduction with the Wallace schedule (every column reduced greedily).
    Wallace,
    /// 3:2 carry-save reduction with the Dadda schedule (heights 2, 3, 4, 6, 9, ...).
    Dadda,
    /// 4:2 compressors (3:2 counters for the leftovers and the last stage).
    Compressor42,
    /// N single-bit inputs counted by a 3:2 counter network (Dadda schedule on one column).
    Popcount,
}

impl TreeStyle {
    /// Every style, in documentation order.
    pub const ALL: [TreeStyle; 5] = [
        TreeStyle::Binary,
        TreeStyle::Wallace,
        TreeStyle::Dadda,
        TreeStyle::Compressor42,
        TreeStyle::Popcount,
    ];

    /// The name used in `--set style=...` and in module names.
    pub fn name(self) -> &'static str {
        match self {
            TreeStyle::Binary => "binary",
            TreeStyle::Wallace => "wallace",
            TreeStyle::Dadda => "dadda",
            TreeStyle::Compressor42 => "compressor42",
            TreeStyle::Popcount => "popcount",
        }
    }

    /// Parses a name given by [`TreeStyle::name`].
    pub fn parse(s: &str) -> Option<TreeStyle> {
        TreeStyle::ALL.into_iter().find(|x| x.name() == s)
    }
}

impl std::fmt::Display for TreeStyle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The carry-propagate adder after carry-save reduction (ignored by `binary`, whose adders
/// are Verilog `+` so synthesis maps them to carry chains).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalAdder {
    /// Ripple-carry chain of full adders.
    #[default]
    Ripple,
    /// Kogge-Stone parallel prefix (log2 levels, many nodes).
    KoggeStone,
    /// Brent-Kung parallel prefix (2 log2 levels, few nodes).
    BrentKung,
}

impl FinalAdder {
    /// Every final adder.
    pub const ALL: [FinalAdder; 3] = [
        FinalAdder::Ripple,
        FinalAdder::KoggeStone,
        FinalAdder::BrentKung,
    ];

    /// The name used in `--set final_adder=...` and in module names.
    pub fn name(self) -> &'static str {
        match self {
            FinalAdder::Ripple => "ripple",
            FinalAdder::KoggeStone => "kogge_stone",
            FinalAdder::BrentKung => "brent_kung",
        }
    }

    /// Parses a name given by [`FinalAdder::name`].
    pub fn parse(s: &str) -> Option<FinalAdder> {
        FinalAdder::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// Parameters of the adder tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct AdderTreeParams {
    /// Number of operands N (>= 1).
    pub inputs: u32,
    /// Operand width W in bits (>= 1; exactly 1 for `popcount`).
    pub width: u32,
    /// Operands are two's complement.
    pub signed: bool,
    /// Reduction style.
    pub style: TreeStyle,
    /// Carry-propagate adder after carry-save reduction.
    pub final_adder: FinalAdder,
    /// Number of register cuts placed evenly along the reduction (0 = combinational);
    /// the latency in cycles. At most [`AdderTreeParams::max_pipeline`].
    pub pipeline: u32,
    /// Output width; `None` = the exact W + ceil(log2 N). Smaller wraps modulo 2^out_width.
    pub out_width: Option<u32>,
}

impl Default for AdderTreeParams {
    fn default() -> Self {
        AdderTreeParams {
            inputs: 16,
            width: 8,
            signed: false,
            style: TreeStyle::Binary,
            final_adder: FinalAdder::Ripple,
            pipeline: 0,
            out_width: None,
        }
    }
}

/// ceil(log2 n) for n >= 1.
fn clog2(n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        32 - (n - 1).leading_zeros()
    }
}

/// The keys accepted by [`AdderTreeParams::set`].
pub const KEYS: &str = "inputs, width, signed, style, final_adder, pipeline, out_width";

impl AdderTreeParams {
    /// Checks every parameter; the error names the parameter and what is accepted.
    pub fn validate(&self) -> Result<(), ParamError> {
        if !(1..=MAX_INPUTS).contains(&self.inputs) {
            return Err(ParamError::invalid(
                "inputs",
                self.inputs,
                format!("the number of operands must be from 1 to {MAX_INPUTS}"),
            ));
        }
        if !(1..=MAX_WIDTH).contains(&self.width) {
            return Err(ParamError::invalid(
                "width",
                self.width,
                format!("the operand width must be from 1 to {MAX_WIDTH} bits"),
            ));
        }
        if self.style == TreeStyle::Popcount && self.width != 1 {
            return Err(ParamError::invalid(
                "width",
                self.width,
                "style `popcount` counts single-bit inputs: set width=1 (or choose another style)",
            ));
        }
        if let Some(ow) = self.out_width {
            if !(1..=MAX_OUT_WIDTH).contains(&ow) {
                return Err(ParamError::invalid(
                    "out_width",
                    ow,
                    format!(
                        "from 1 to {MAX_OUT_WIDTH} bits (default: the exact width {})",
                        self.exact_width()
                    ),
                ));
            }
        }
        let max = self.max_pipeline();
        if self.pipeline > max {
            return Err(ParamError::invalid(
                "pipeline",
                self.pipeline,
                format!(
                    "this tree ({} style, {}) has {}, so at most {}",
                    self.style.name(),
                    counted(self.inputs, "input"),
                    counted(max, "level"),
                    counted(max, "register cut")
                ),
            ));
        }
        Ok(())
    }

    /// Applies one `--set key=value` setting.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ParamError> {
        let v = value.trim();
        let num = |k: &str| -> Result<u32, ParamError> {
            v.parse()
                .map_err(|_| ParamError::invalid(k, value, "an unsigned integer"))
        };
        match key.trim() {
            "inputs" | "n" => self.inputs = num("inputs")?,
            "width" | "w" => self.width = num("width")?,
            "pipeline" => self.pipeline = num("pipeline")?,
            "signed" => self.signed = parse_bool("signed", value)?,
            "style" => {
                self.style = TreeStyle::parse(v).ok_or_else(|| {
                    ParamError::invalid(
                        "style",
                        value,
                        "one of binary, wallace, dadda, compressor42, popcount",
                    )
                })?
            }
            "final_adder" => {
                self.final_adder = FinalAdder::parse(v).ok_or_else(|| {
                    ParamError::invalid(
                        "final_adder",
                        value,
                        "one of ripple, kogge_stone, brent_kung",
                    )
                })?
            }
            "out_width" => {
                self.out_width = match v {
                    "" | "exact" | "auto" => None,
                    _ => Some(v.parse().map_err(|_| {
                        ParamError::invalid(
                            "out_width",
                            value,
                            "an unsigned integer, or `exact` for W + ceil(log2 N)",
                        )
                    })?),
                }
            }
            _ => {
                return Err(ParamError::UnknownKey {
                    key: key.to_string(),
                    accepted: KEYS.into(),
                })
            }
        }
        Ok(())
    }

    /// Parameters from `key=value` settings applied to the defaults, validated.
    pub fn from_sets(sets: &[(String, String)]) -> Result<AdderTreeParams, ParamError> {
        let mut p = AdderTreeParams::default();
        for (k, v) in sets {
            p.set(k, v)?;
        }
        p.validate()?;
        Ok(p)
    }

    /// The exact width of the sum: W + ceil(log2 N).
    pub fn exact_width(&self) -> u32 {
        self.width + clog2(self.inputs)
    }

    /// The output width: `out_width` or the exact width.
    pub fn out_width(&self) -> u32 {
        self.out_width.unwrap_or_else(|| self.exact_width())
    }

    /// Width the reduction actually computes: the output width capped at the exact width
    /// (a wider output is the exact sum extended).
    fn work_width(&self) -> u32 {
        self.out_width().min(self.exact_width())
    }

    /// Number of levels of the tree, each a place a register cut may follow: binary: the
    /// adder levels (ceil(log2 N), at least 1); carry-save styles: the reduction stages of
    /// the column schedule plus one for the final carry-propagate adder.
    pub fn levels(&self) -> u32 {
        match self.style {
            TreeStyle::Binary => clog2(self.inputs).max(1),
            _ => {
                schedule(
                    self.style,
                    &self.initial_heights(),
                    self.work_width().max(1),
                )
                .len() as u32
                    + 1
            }
        }
    }

    /// The deepest allowed `pipeline`: one cut after every level.
    pub fn max_pipeline(&self) -> u32 {
        self.levels()
    }

    /// Levels (1-based) after which a register cut is placed: `pipeline` cuts spread evenly,
    /// the last one always after the last level (a registered output).
    pub fn cut_levels(&self) -> Vec<u32> {
        let l = self.levels();
        let p = self.pipeline.min(l);
        (1..=p).map(|k| (k * l).div_ceil(p)).collect()
    }

    /// A module name carrying every parameter, e.g. `adder_tree_dadda_ks_n16_w8_s_p2_o12`.
    pub fn module_name(&self) -> String {
        let fa = match self.style {
            TreeStyle::Binary => "",
            _ => match self.final_adder {
                FinalAdder::Ripple => "_rc",
                FinalAdder::KoggeStone => "_ks",
                FinalAdder::BrentKung => "_bk",
            },
        };
        format!(
            "adder_tree_{}{fa}_n{}_w{}_{}_p{}_o{}",
            self.style.name(),
            self.inputs,
            self.width,
            if self.signed { "s" } else { "u" },
            self.pipeline,
            self.out_width()
        )
    }

    /// Column heights of the bit matrix before reduction (operand bits plus the bits of the
    /// signed correction constant), for the columns below the work width.
    fn initial_heights(&self) -> Vec<usize> {
        let ow = self.work_width();
        let konst = self.correction();
        (0..ow)
            .map(|c| {
                let ops = if c < self.width {
                    self.inputs as usize
                } else {
                    0
                };
                ops + konst.bit(c) as usize
            })
            .collect()
    }

    /// The correction constant -N * 2^(W-1) modulo 2^work_width (zero when unsigned).
    fn correction(&self) -> Bits {
        let ow = self.work_width().max(1);
        if !self.signed {
            return Bits::zero(ow);
        }
        Bits::from_u64(ow, self.inputs as u64)
            .shl((self.width - 1) as u64)
            .neg()
    }
}

// ---------------------------------------------------------------------------------------
// The column schedule, computed on heights only.

/// The counters one reduction stage places in one column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ColPlan {
    /// 3:2 counters (full adders).
    fa: usize,
    /// 2:2 counters (half adders).
    ha: usize,
    /// 4:2 compressors.
    c42: usize,
}

/// Heights after one stage executing `plan` (carries out of the top column are dropped).
fn apply_plan(h: &[usize], plan: &[ColPlan]) -> Vec<usize> {
    let n = h.len();
    let mut out = vec![0; n];
    for c in 0..n {
        let p = plan[c];
        let used = 3 * p.fa + 2 * p.ha + 4 * p.c42;
        // Sums and pass-through bits stay.
        out[c] += h[c] - used + p.fa + p.ha + p.c42;
        // 4:2 compressors take the couts of the previous column's compressors as carry-ins;
        // couts left over stay as plain bits of this column.
        if c > 0 {
            let prev = plan[c - 1];
            out[c] += prev.fa + prev.ha + prev.c42; // carries
            out[c] += prev.c42.saturating_sub(p.c42); // unconsumed couts
        }
    }
    out
}

fn wallace_stage(h: &[usize]) -> Vec<ColPlan> {
    h.iter()
        .map(|&x| {
            if x <= 2 {
                ColPlan::default()
            } else {
                ColPlan {
                    fa: x / 3,
                    ha: usize::from(x % 3 == 2),
                    c42: 0,
                }
            }
        })
        .collect()
}

fn dadda_stage(h: &[usize], d: usize) -> Vec<ColPlan> {
    let mut plan = vec![ColPlan::default(); h.len()];
    let mut carry_in = 0;
    for c in 0..h.len() {
        let mut height = h[c] + carry_in;
        let mut avail = h[c];
        let mut carries = 0;
        while height > d && avail >= 2 {
            if height == d + 1 || avail == 2 {
                plan[c].ha += 1;
                height -= 1;
                avail -= 2;
            } else {
                plan[c].fa += 1;
                height -= 2;
                avail -= 3;
            }
            carries += 1;
        }
        carry_in = carries;
    }
    plan
}

fn c42_stage(h: &[usize]) -> Vec<ColPlan> {
    h.iter()
        .map(|&x| ColPlan {
            c42: x / 4,
            fa: usize::from(x % 4 == 3),
            ha: 0,
        })
        .collect()
}

/// The reduction stages bringing every column to height <= 2 (empty if already there).
fn schedule(style: TreeStyle, h0: &[usize], _ow: u32) -> Vec<Vec<ColPlan>> {
    let mut stages = Vec::new();
    let mut h = h0.to_vec();
    let maxh = |h: &[usize]| h.iter().copied().max().unwrap_or(0);
    // Dadda targets below the initial height, largest first.
    let mut targets = vec![2usize];
    while *targets.last().unwrap_or(&2) < maxh(&h) {
        let d = *targets.last().unwrap_or(&2);
        targets.push(d * 3 / 2);
    }
    targets.pop();
    while maxh(&h) > 2 {
        let plan = match style {
            TreeStyle::Wallace | TreeStyle::Binary => wallace_stage(&h),
            TreeStyle::Dadda | TreeStyle::Popcount => {
                let d = targets.pop().unwrap_or(2);
                dadda_stage(&h, d)
            }
            TreeStyle::Compressor42 => {
                let p = c42_stage(&h);
                if maxh(&h) <= 3 || maxh(&apply_plan(&h, &p)) >= maxh(&h) {
                    wallace_stage(&h)
                } else {
                    p
                }
            }
        };
        let next = apply_plan(&h, &plan);
        // A stage may leave the maximum where it was (carries arriving in a column of
        // height 2), but the bit count falls; the cap only guards against a schedule bug.
        if stages.len() > 4 * (h0.len() + maxh(h0)) {
            break;
        }
        h = next;
        stages.push(plan);
    }
    stages
}

// ---------------------------------------------------------------------------------------
// The gate graph: built in Rust with constants folded, then only what is used is emitted.

/// A bit of the graph: a constant or a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum B {
    C(bool),
    N(usize),
}

#[derive(Debug, Clone)]
enum Op {
    /// Bit `j` of operand `i`.
    In(usize, u32),
    Not(usize),
    /// XOR of the nodes, inverted if the flag is set.
    Xor(Vec<usize>, bool),
    And(usize, usize),
    Or(usize, usize),
    Maj(usize, usize, usize),
    /// `g | (p & g2)`: the prefix-adder group generate.
    Ao(usize, usize, usize),
    Reg(usize),
}

#[derive(Debug, Clone)]
struct Node {
    name: String,
    op: Op,
}

#[derive(Debug, Default)]
struct Graph {
    nodes: Vec<Node>,
    inputs: std::collections::HashMap<(usize, u32), usize>,
}

impl Graph {
    fn add(&mut self, name: String, op: Op) -> B {
        self.nodes.push(Node { name, op });
        B::N(self.nodes.len() - 1)
    }

    fn input(&mut self, i: usize, j: u32) -> B {
        if let Some(&n) = self.inputs.get(&(i, j)) {
            return B::N(n);
        }
        let b = self.add(String::new(), Op::In(i, j));
        if let B::N(n) = b {
            self.inputs.insert((i, j), n);
        }
        b
    }

    fn not(&mut self, name: String, a: B) -> B {
        match a {
            B::C(v) => B::C(!v),
            B::N(i) => match self.nodes[i].op {
                Op::Not(j) => B::N(j),
                _ => self.add(name, Op::Not(i)),
            },
        }
    }

    fn xor(&mut self, name: String, bits: &[B]) -> B {
        let mut inv = false;
        let mut ns = Vec::new();
        for b in bits {
            match b {
                B::C(v) => inv ^= v,
                B::N(i) => ns.push(*i),
            }
        }
        match ns.len() {
            0 => B::C(inv),
            1 if !inv => B::N(ns[0]),
            1 => self.not(name, B::N(ns[0])),
            _ => self.add(name, Op::Xor(ns, inv)),
        }
    }

    fn and(&mut self, name: String, a: B, b: B) -> B {
        match (a, b) {
            (B::C(false), _) | (_, B::C(false)) => B::C(false),
            (B::C(true), x) | (x, B::C(true)) => x,
            (B::N(x), B::N(y)) => self.add(name, Op::And(x, y)),
        }
    }

    fn or(&mut self, name: String, a: B, b: B) -> B {
        match (a, b) {
            (B::C(true), _) | (_, B::C(true)) => B::C(true),
            (B::C(false), x) | (x, B::C(false)) => x,
            (B::N(x), B::N(y)) => self.add(name, Op::Or(x, y)),
        }
    }

    fn maj(&mut self, name: String, a: B, b: B, c: B) -> B {
        match (a, b, c) {
            (B::C(v), x, y) | (x, B::C(v), y) | (x, y, B::C(v)) => {
                if v {
                    self.or(name, x, y)
                } else {
                    self.and(name, x, y)
                }
            }
            (B::N(x), B::N(y), B::N(z)) => self.add(name, Op::Maj(x, y, z)),
        }
    }

    /// `g | (p & g2)`.
    fn ao(&mut self, name: String, g: B, p: B, g2: B) -> B {
        match (g, p, g2) {
            (B::C(true), _, _) => B::C(true),
            (B::C(false), p, g2) => self.and(name, p, g2),
            (g, B::C(false), _) | (g, _, B::C(false)) => g,
            (g, B::C(true), x) | (g, x, B::C(true)) => self.or(name, g, x),
            (B::N(x), B::N(y), B::N(z)) => self.add(name, Op::Ao(x, y, z)),
        }
    }

    fn reg(&mut self, name: String, a: B) -> B {
        match a {
            B::C(_) => a,
            B::N(i) => self.add(name, Op::Reg(i)),
        }
    }

    fn operands(op: &Op) -> Vec<usize> {
        match op {
            Op::In(..) => vec![],
            Op::Not(a) | Op::Reg(a) => vec![*a],
            Op::Xor(v, _) => v.clone(),
            Op::And(a, b) | Op::Or(a, b) => vec![*a, *b],
            Op::Maj(a, b, c) | Op::Ao(a, b, c) => vec![*a, *b, *c],
        }
    }

    /// Which nodes the `outputs` depend on.
    fn live(&self, outputs: &[B]) -> Vec<bool> {
        let mut live = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = outputs
            .iter()
            .filter_map(|b| match b {
                B::N(i) => Some(*i),
                B::C(_) => None,
            })
            .collect();
        while let Some(i) = stack.pop() {
            if live[i] {
                continue;
            }
            live[i] = true;
            stack.extend(Graph::operands(&self.nodes[i].op));
        }
        live
    }
}

/// A full adder on the graph; the carry only when `carry` (the column has a successor).
fn full_add(g: &mut Graph, name: &str, a: B, b: B, c: B, carry: bool) -> (B, Option<B>) {
    let s = g.xor(format!("{name}_s"), &[a, b, c]);
    let co = carry.then(|| g.maj(format!("{name}_c"), a, b, c));
    (s, co)
}

fn half_add(g: &mut Graph, name: &str, a: B, b: B, carry: bool) -> (B, Option<B>) {
    let s = g.xor(format!("{name}_s"), &[a, b]);
    let co = carry.then(|| g.and(format!("{name}_c"), a, b));
    (s, co)
}

/// Executes one stage of the schedule on the bit columns.
fn run_stage(g: &mut Graph, stage: usize, cols: &[Vec<B>], plan: &[ColPlan]) -> Vec<Vec<B>> {
    let n = cols.len();
    let mut next: Vec<Vec<B>> = vec![Vec::new(); n];
    let mut couts_prev: Vec<B> = Vec::new();
    let mut carries_prev: Vec<B> = Vec::new();
    for c in 0..n {
        let p = plan[c];
        let has_next = c + 1 < n;
        let bits = &cols[c];
        let mut k = 0;
        let mut sums = Vec::new();
        let mut carries = Vec::new();
        let mut couts = Vec::new();
        for j in 0..p.c42 {
            let name = format!("s{stage}_col{c}_cp{j}");
            let x = &bits[k..k + 4];
            k += 4;
            let s1 = g.xor(format!("{name}_s1"), &[x[0], x[1], x[2]]);
            if has_next {
                couts.push(g.maj(format!("{name}_co"), x[0], x[1], x[2]));
            }
            match couts_prev.get(j) {
                Some(&cin) => {
                    let (s, co) = full_add(g, &name, s1, x[3], cin, has_next);
                    sums.push(s);
                    carries.extend(co);
                }
                None => {
                    let (s, co) = half_add(g, &name, s1, x[3], has_next);
                    sums.push(s);
                    carries.extend(co);
                }
            }
        }
        for j in 0..p.fa {
            let x = &bits[k..k + 3];
            k += 3;
            let (s, co) = full_add(
                g,
                &format!("s{stage}_col{c}_fa{j}"),
                x[0],
                x[1],
                x[2],
                has_next,
            );
            sums.push(s);
            carries.extend(co);
        }
        for j in 0..p.ha {
            let x = &bits[k..k + 2];
            k += 2;
            let (s, co) = half_add(g, &format!("s{stage}_col{c}_ha{j}"), x[0], x[1], has_next);
            sums.push(s);
            carries.extend(co);
        }
        // Pass-through bits first (they are the earliest), then sums, carries, spare couts.
        next[c].extend_from_slice(&bits[k..]);
        next[c].extend(sums);
        next[c].append(&mut carries_prev);
        next[c].extend(couts_prev.iter().skip(p.c42).copied());
        carries_prev = carries;
        couts_prev = couts;
    }
    next
}

/// The final carry-propagate adder over columns of height <= 2; returns one bit per column.
fn final_add(g: &mut Graph, cols: &[Vec<B>], kind: FinalAdder) -> Vec<B> {
    let n = cols.len();
    let row = |c: usize, k: usize| cols[c].get(k).copied().unwrap_or(B::C(false));
    match kind {
        FinalAdder::Ripple => {
            let mut out = Vec::with_capacity(n);
            let mut carry = B::C(false);
            for c in 0..n {
                let (s, co) = full_add(
                    g,
                    &format!("cpa_b{c}"),
                    row(c, 0),
                    row(c, 1),
                    carry,
                    c + 1 < n,
                );
                out.push(s);
                carry = co.unwrap_or(B::C(false));
            }
            out
        }
        FinalAdder::KoggeStone | FinalAdder::BrentKung => {
            let p: Vec<B> = (0..n)
                .map(|c| g.xor(format!("cpa_p{c}"), &[row(c, 0), row(c, 1)]))
                .collect();
            let mut gg: Vec<B> = (0..n)
                .map(|c| g.and(format!("cpa_g{c}"), row(c, 0), row(c, 1)))
                .collect();
            let mut pp = p.clone();
            // gg[i] ends as the carry out of bit i (generate of the group [i:0]).
            let combine = |g: &mut Graph, tag: &str, gg: &[B], pp: &[B], i: usize, j: usize| {
                let ng = g.ao(format!("cpa_{tag}_g{i}"), gg[i], pp[i], gg[j]);
                let np = g.and(format!("cpa_{tag}_p{i}"), pp[i], pp[j]);
                (i, ng, np)
            };
            if kind == FinalAdder::KoggeStone {
                let mut d = 1;
                let mut lvl = 0;
                while d < n {
                    let mut upd = Vec::new();
                    for i in d..n {
                        upd.push(combine(g, &format!("l{lvl}"), &gg, &pp, i, i - d));
                    }
                    for (i, ng, np) in upd {
                        gg[i] = ng;
                        pp[i] = np;
                    }
                    d *= 2;
                    lvl += 1;
                }
            } else {
                // Up-sweep.
                let mut d = 1;
                let mut lvl = 0;
                while d < n {
                    let mut upd = Vec::new();
                    let mut i = 2 * d - 1;
                    while i < n {
                        upd.push(combine(g, &format!("up{lvl}"), &gg, &pp, i, i - d));
                        i += 2 * d;
                    }
                    for (i, ng, np) in upd {
                        gg[i] = ng;
                        pp[i] = np;
                    }
                    d *= 2;
                    lvl += 1;
                }
                // Down-sweep.
                while lvl > 0 {
                    lvl -= 1;
                    d /= 2;
                    let mut upd = Vec::new();
                    let mut i = 3 * d - 1;
                    while i < n {
                        upd.push(combine(g, &format!("dn{lvl}"), &gg, &pp, i, i - d));
                        i += 2 * d;
                    }
                    for (i, ng, np) in upd {
                        gg[i] = ng;
                        pp[i] = np;
                    }
                }
            }
            (0..n)
                .map(|c| {
                    if c == 0 {
                        p[0]
                    } else {
                        g.xor(format!("cpa_s{c}"), &[p[c], gg[c - 1]])
                    }
                })
                .collect()
        }
    }
}

// ---------------------------------------------------------------------------------------
// Building into a module.

/// How the tree reads its operands.
enum Operands<'a> {
    /// A packed bus: operand i at bits [i*W +: W].
    Packed(&'a Signal),
    /// One signal per operand.
    List(&'a [Signal]),
}

impl Operands<'_> {
    fn bit(&self, w: u32, i: usize, j: u32) -> Signal {
        match self {
            Operands::Packed(s) => s.bit(i as u32 * w + j),
            Operands::List(v) => v[i].bit(j),
        }
    }
}

fn unused_wire(m: &mut ModuleBuilder, bits: Vec<Signal>) {
    if bits.is_empty() {
        return;
    }
    let v: Vec<Signal> = bits.into_iter().rev().collect();
    m.wire("unused_operand_bits", &Signal::concat(&v));
}

/// The core: builds the tree for `p` (validated) in `m`, returns `out_sum` (out_width bits).
fn build_core(m: &mut ModuleBuilder, ops: &Operands, p: &AdderTreeParams) -> Signal {
    let n = p.inputs as usize;
    let w = p.width;
    let ow = p.out_width();
    let ww = p.work_width();
    let cuts = p.cut_levels();
    let sum = if p.style == TreeStyle::Binary {
        build_binary(m, ops, p, &cuts)
    } else {
        let mut g = Graph::default();
        // The bit matrix.
        let konst = p.correction();
        let mut cols: Vec<Vec<B>> = vec![Vec::new(); ww as usize];
        for c in 0..ww.min(w) {
            for i in 0..n {
                let b = g.input(i, c);
                let b = if p.signed && c == w - 1 {
                    g.not(format!("op{i}_sign_n"), b)
                } else {
                    b
                };
                cols[c as usize].push(b);
            }
        }
        for c in 0..ww {
            if konst.bit(c) {
                cols[c as usize].push(B::C(true));
            }
        }
        let plan = schedule(p.style, &p.initial_heights(), ww);
        let levels = plan.len() as u32 + 1;
        for (s, stage) in plan.iter().enumerate() {
            let s1 = s + 1;
            cols = run_stage(&mut g, s1, &cols, stage);
            if cuts.contains(&(s1 as u32)) {
                cols = cols
                    .iter()
                    .enumerate()
                    .map(|(c, bits)| {
                        bits.iter()
                            .enumerate()
                            .map(|(k, b)| g.reg(format!("s{s1}_col{c}_q{k}"), *b))
                            .collect()
                    })
                    .collect();
            }
        }
        let mut out = final_add(&mut g, &cols, p.final_adder);
        if cuts.contains(&levels) {
            out = out
                .iter()
                .enumerate()
                .map(|(c, b)| g.reg(format!("sum_q{c}"), *b))
                .collect();
        }
        // Materialise the live nodes in creation (topological) order.
        let live = g.live(&out);
        let mut sig: Vec<Option<Signal>> = vec![None; g.nodes.len()];
        let mut used_in = vec![vec![false; w as usize]; n];
        for (idx, node) in g.nodes.iter().enumerate() {
            if !live[idx] {
                continue;
            }
            let s = |k: usize| -> Signal { sig[k].clone().expect("operand built before use") };
            let v = match &node.op {
                Op::In(i, j) => {
                    used_in[*i][*j as usize] = true;
                    sig[idx] = Some(ops.bit(w, *i, *j));
                    continue;
                }
                Op::Not(a) => !s(*a),
                Op::Xor(v, inv) => {
                    let x = v[1..].iter().fold(s(v[0]), |acc, k| acc ^ s(*k));
                    if *inv {
                        !x
                    } else {
                        x
                    }
                }
                Op::And(a, b) => s(*a) & s(*b),
                Op::Or(a, b) => s(*a) | s(*b),
                Op::Maj(a, b, c) => (s(*a) & s(*b)) | (s(*a) & s(*c)) | (s(*b) & s(*c)),
                Op::Ao(g0, p0, g1) => s(*g0) | (s(*p0) & s(*g1)),
                Op::Reg(a) => {
                    let r = m.reg_decl(&node.name, 1, false, None);
                    m.set_next(&r, &s(*a));
                    sig[idx] = Some(r.sig());
                    continue;
                }
            };
            sig[idx] = Some(m.wire(&node.name, &v));
        }
        let mut unused = Vec::new();
        for (i, bits) in used_in.iter().enumerate() {
            for (j, u) in bits.iter().enumerate() {
                if !u {
                    unused.push(ops.bit(w, i, j as u32));
                }
            }
        }
        unused_wire(m, unused);
        let parts: Vec<Signal> = out
            .iter()
            .rev()
            .map(|b| match b {
                B::C(v) => Signal::lit(1, *v as u64),
                B::N(k) => sig[*k].clone().expect("output node is live"),
            })
            .collect();
        m.wire("sum", &Signal::concat(&parts))
    };
    let sum = if p.signed { sum.as_signed() } else { sum };
    if ow > sum.width() {
        sum.extend(ow)
    } else {
        sum
    }
}

/// The binary style: a balanced tree of `+` with exact widths per level.
fn build_binary(
    m: &mut ModuleBuilder,
    ops: &Operands,
    p: &AdderTreeParams,
    cuts: &[u32],
) -> Signal {
    let n = p.inputs as usize;
    let w = p.width;
    let ww = p.work_width();
    let keep = w.min(ww);
    let mut unused = Vec::new();
    // Level 0: the operands (truncated to the work width when it is smaller).
    let mut items: Vec<(Signal, u32)> = (0..n)
        .map(|i| {
            for j in keep..w {
                unused.push(ops.bit(w, i, j));
            }
            let v = match ops {
                Operands::Packed(s) => {
                    let x = m.wire(&format!("in_{i}"), &s.slice(i as u32 * w, keep));
                    if keep == w && p.signed {
                        x.as_signed()
                    } else {
                        x
                    }
                }
                Operands::List(v) => {
                    if keep == w {
                        v[i].clone()
                    } else {
                        v[i].trunc(keep)
                    }
                }
            };
            let v = if p.signed && keep == w {
                v.as_signed()
            } else {
                v.as_unsigned()
            };
            (v, 1)
        })
        .collect();
    unused_wire(m, unused);
    let levels = p.levels();
    for l in 1..=levels {
        let mut next = Vec::new();
        for (k, pair) in items.chunks(2).enumerate() {
            let (v, leaves) = if pair.len() == 2 {
                let leaves = pair[0].1 + pair[1].1;
                let width = (w + clog2(leaves)).min(ww);
                let s = m.wire(
                    &format!("l{l}_n{k}_sum"),
                    &pair[0].0.add_w(&pair[1].0, width),
                );
                (
                    if pair[0].0.is_signed() {
                        s.as_signed()
                    } else {
                        s
                    },
                    leaves,
                )
            } else {
                pair[0].clone()
            };
            let v = if cuts.contains(&l) {
                let r = m.reg_decl(&format!("l{l}_n{k}_q"), v.width(), v.is_signed(), None);
                m.set_next(&r, &v);
                r.sig()
            } else {
                v
            };
            next.push((v, leaves));
        }
        items = next;
    }
    items.remove(0).0
}

/// Builds an adder tree inside another generator's module and returns its sum
/// (`p.out_width()` bits, signed when `p.signed`).
///
/// `operands` are the N operands, each `p.width` bits (pass named nets: bits are read with
/// `[j]` selects). Every generated name starts with `prefix_` (use a distinct prefix per
/// tree, e.g. `col3`). With `p.pipeline > 0` the registers (no reset: data only) use the
/// module's default clock domain, which the host must declare first (`clock_domain`), and the
/// sum is valid `p.pipeline` cycles after its operands; the host times its own valid signal.
/// Operand bits the sum does not depend on (only when `out_width < width`) are read by a
/// wire named `<prefix>_unused_operand_bits`.
pub fn build_tree(
    m: &mut ModuleBuilder,
    prefix: &str,
    operands: &[Signal],
    p: &AdderTreeParams,
) -> Result<Signal, RtlError> {
    p.validate()?;
    if operands.len() != p.inputs as usize {
        return Err(ParamError::invalid(
            "inputs",
            p.inputs,
            format!("{} operand signals were given", operands.len()),
        )
        .into());
    }
    if let Some(o) = operands.iter().find(|o| o.width() != p.width) {
        return Err(ParamError::invalid(
            "width",
            p.width,
            format!("an operand signal has {} bits", o.width()),
        )
        .into());
    }
    let ops = Operands::List(operands);
    if prefix.is_empty() {
        Ok(build_core(m, &ops, p))
    } else {
        Ok(m.scope(prefix, |m| build_core(m, &ops, p)))
    }
}

/// Generates the top module `top`: `in_data [N*W-1:0]` (operand i at `[i*W +: W]`) and
/// `out_sum [out_width-1:0]`; with `pipeline > 0` also `clk`, `rst` (synchronous, active
/// high), `in_valid` and `out_valid` (`in_valid` delayed by `pipeline` cycles).
pub fn generate(p: &AdderTreeParams, top: &str) -> Result<Rc<Module>, RtlError> {
    p.validate()?;
    let mut m = ModuleBuilder::new(top);
    let valid_in = if p.pipeline > 0 {
        m.clock_domain();
        Some(m.input("in_valid", 1))
    } else {
        None
    };
    let in_data = m.input("in_data", p.inputs * p.width);
    let sum = build_core(&mut m, &Operands::Packed(&in_data), p);
    if let Some(v) = valid_in {
        let mut v = v;
        for k in 1..=p.pipeline {
            v = m.reg(&format!("valid_q{k}"), &v);
        }
        m.output("out_valid", &v);
    }
    m.output("out_sum", &sum);
    m.finish()
}

/// The flat sum of the operands of `in_data`, extended (or truncated) to `ow` bits.
fn flat_sum(m: &mut ModuleBuilder, in_data: &Signal, p: &AdderTreeParams, ow: u32) -> Signal {
    let w = p.width;
    let keep = w.min(ow);
    let mut unused = Vec::new();
    let mut terms = Vec::new();
    for i in 0..p.inputs {
        for j in keep..w {
            unused.push(in_data.bit(i * w + j));
        }
        let x = m.wire(&format!("in_{i}"), &in_data.slice(i * w, keep));
        let x = if p.signed && keep == w {
            x.as_signed()
        } else {
            x
        };
        terms.push(x.extend(ow));
    }
    unused_wire(m, unused);
    let first = terms[0].clone();
    let s = terms[1..].iter().fold(first, |acc, t| acc + t);
    if p.signed {
        s.as_signed()
    } else {
        s
    }
}

/// The behavioural specification: `out_sum = in_0 + in_1 + ...` (each extended to the output
/// width), same ports as [`generate`] with `pipeline = 0`; for equivalence checking. The
/// `style`, `final_adder` and `pipeline` parameters are ignored.
pub fn reference(p: &AdderTreeParams) -> Result<Rc<Module>, RtlError> {
    let q = AdderTreeParams { pipeline: 0, ..*p };
    q.validate()?;
    let mut m = ModuleBuilder::new(format!(
        "adder_tree_ref_n{}_w{}_{}_o{}",
        q.inputs,
        q.width,
        if q.signed { "s" } else { "u" },
        q.out_width()
    ));
    let in_data = m.input("in_data", q.inputs * q.width);
    let ow = q.out_width();
    let s = flat_sum(&mut m, &in_data, &q, ow);
    m.output("out_sum", &s);
    m.finish()
}

/// The QoR baseline: what a user writes by hand. `in_data` registered, the flat behavioural
/// sum, the sum registered: latency 2, with the pipelined ports (`clk`, `rst`, `in_valid`,
/// `out_valid`). `style`, `final_adder` and `pipeline` are ignored.
pub fn baseline(p: &AdderTreeParams) -> Result<Rc<Module>, RtlError> {
    let q = AdderTreeParams { pipeline: 0, ..*p };
    q.validate()?;
    let mut m = ModuleBuilder::new(format!(
        "adder_tree_baseline_n{}_w{}_{}_o{}",
        q.inputs,
        q.width,
        if q.signed { "s" } else { "u" },
        q.out_width()
    ));
    m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_data = m.input("in_data", q.inputs * q.width);
    let r = m.reg_decl("in_q", in_data.width(), false, None);
    m.set_next(&r, &in_data);
    let ow = q.out_width();
    let s = flat_sum(&mut m, &r.sig(), &q, ow);
    let sum = m.wire("sum", &s);
    let o = m.reg_decl("sum_q", ow, q.signed, None);
    m.set_next(&o, &sum);
    let v1 = m.reg("valid_q1", &in_valid);
    let v2 = m.reg("valid_q2", &v1);
    m.output("out_valid", &v2);
    let out = if q.signed {
        o.sig().as_signed()
    } else {
        o.sig()
    };
    m.output("out_sum", &out);
    m.finish()
}

/// Operand counts of the issue-4 verification matrix ([`test_matrix`]).
pub const TEST_INPUTS: [u32; 8] = [1, 2, 3, 5, 8, 16, 33, 64];
/// Operand widths of the issue-4 verification matrix ([`test_matrix`]).
pub const TEST_WIDTHS: [u32; 4] = [1, 4, 8, 16];

/// The issue-4 verification matrix of one style, shared by the lint and co-simulation tests:
/// signed x N in [`TEST_INPUTS`] x W in [`TEST_WIDTHS`] (popcount: W = 1 only), each
/// combinational and pipelined (odd N: one cut per level; even N: half the levels), the final
/// adders cycled over the configurations.
pub fn test_matrix(style: TreeStyle) -> Vec<AdderTreeParams> {
    let mut v = Vec::new();
    let mut k = 0;
    for signed in [false, true] {
        for n in TEST_INPUTS {
            for w in TEST_WIDTHS {
                if style == TreeStyle::Popcount && w != 1 {
                    continue;
                }
                let base = AdderTreeParams {
                    inputs: n,
                    width: w,
                    signed,
                    style,
                    final_adder: FinalAdder::ALL[k % 3],
                    pipeline: 0,
                    out_width: None,
                };
                k += 1;
                let max = base.max_pipeline();
                let piped = if n % 2 == 1 { max } else { max.div_ceil(2) };
                v.push(base);
                v.push(AdderTreeParams {
                    pipeline: piped,
                    ..base
                });
            }
        }
    }
    v
}

/// Where one configuration of a [`matrix`] wrapper sits on the wrapper's buses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixSlot {
    /// The configuration.
    pub params: AdderTreeParams,
    /// Its module (and instance) name.
    pub module: String,
    /// Lowest bit of its `in_data` on the wrapper's `in_data`.
    pub in_lo: u32,
    /// Lowest bit of its `out_sum` on the wrapper's `out_sum`.
    pub out_lo: u32,
    /// Bit of its `out_valid` on the wrapper's `out_valid` (pipelined configurations only).
    pub valid_bit: Option<u32>,
}

/// A wrapper top instantiating every configuration once (module names from
/// [`AdderTreeParams::module_name`]; configurations with the same name are kept once), for one lint run or one
/// simulation model over a whole test matrix. Ports: `clk`, `rst`, `in_valid` (shared),
/// `in_data` (the configurations' inputs side by side), `out_sum` (their sums side by side;
/// a pipelined configuration's sum shows 0 while its `out_valid` is low) and `out_valid` (one
/// bit per pipelined configuration).
pub fn matrix(
    configs: &[AdderTreeParams],
    top: &str,
) -> Result<(Rc<Module>, Vec<MatrixSlot>), RtlError> {
    let mut slots = Vec::new();
    let (mut in_w, mut out_w, mut nv) = (0u32, 0u32, 0u32);
    for p in configs {
        p.validate()?;
        // Configurations differing only in ignored parameters are one design.
        if slots
            .iter()
            .any(|s: &MatrixSlot| s.module == p.module_name())
        {
            continue;
        }
        let valid_bit = (p.pipeline > 0).then(|| {
            nv += 1;
            nv - 1
        });
        slots.push(MatrixSlot {
            params: *p,
            module: p.module_name(),
            in_lo: in_w,
            out_lo: out_w,
            valid_bit,
        });
        in_w += p.inputs * p.width;
        out_w += p.out_width();
    }
    if slots.is_empty() {
        return Err(ParamError::invalid("configs", 0, "at least one configuration").into());
    }
    let mut m = ModuleBuilder::new(top);
    let (clk, rst) = m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_data = m.input("in_data", in_w);
    let mut outs = Vec::new();
    let mut valids = Vec::new();
    for s in &slots {
        let sub = generate(&s.params, &s.module)?;
        let d = in_data.slice(s.in_lo, s.params.inputs * s.params.width);
        let o = if s.params.pipeline > 0 {
            m.instance(
                &s.module,
                &sub,
                &[
                    ("clk", &clk),
                    ("rst", &rst),
                    ("in_valid", &in_valid),
                    ("in_data", &d),
                ],
            )
        } else {
            m.instance(&s.module, &sub, &[("in_data", &d)])
        };
        if s.params.pipeline > 0 {
            // Sums are shown only while valid (data registers have no reset, so before the
            // first valid word they hold unknown values in a four-state simulator).
            let v = o.out("out_valid");
            let sum = o.out("out_sum");
            let zero = Signal::lit(sum.width(), 0);
            outs.push(m.wire(&format!("{}_sum_shown", s.module), &v.mux(&sum, &zero)));
            valids.push(v);
        } else {
            outs.push(o.out("out_sum"));
        }
    }
    if valids.is_empty() {
        // Keep the clock-domain ports read (the wrapper's ports do not depend on the mix).
        valids.push(&(&clk & &rst) & &in_valid);
    }
    outs.reverse();
    valids.reverse();
    m.output("out_sum", &Signal::concat(&outs));
    m.output("out_valid", &Signal::concat(&valids));
    Ok((m.finish()?, slots))
}
