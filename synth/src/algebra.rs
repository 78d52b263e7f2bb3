//! Algebraic proofs that a combinational design computes a weighted sum of its input words
//! modulo 2^(output width): backward rewriting of a word-level polynomial over the gate netlist
//! Yosys makes of the emitted Verilog, the method used for multiplier and adder-tree
//! verification (flat-AIG SAT/`cec` does not finish on carry-save trees of this size).
//!
//! # Method
//! 1. Yosys flattens the design to its internal single-bit gates (`$_AND_`, `$_XOR_`, ...),
//!    lowering word-level `+` with a ripple carry (`scripts/ripple_lcu.v`); named wires stay.
//! 2. Optionally a *region* (the final carry-propagate adder) is split off: the gates behind
//!    the output bits whose nets carry a name with the given prefix. Its boundary nets C are
//!    found on the netlist. The region's weights are measured by simulation (value at 0 and at
//!    each unit vector), and the region is shown to equal that linear form
//!    L(C) = w0 + sum w_k c_k mod 2^ow for **every** value of C: exhaustively (bit-parallel,
//!    all 2^|C| values) up to [`AlgebraOptions::max_region_inputs`] nets, and above that by
//!    `yosys-abc cec` of the region, printed as a module of its own, against L written as a
//!    sum of rows (a two-operand adder against `+`: easy for SAT sweeping, which finds the
//!    equal carries).
//! 3. Backward rewriting: the polynomial P = L(C) - spec(inputs) over the integers mod 2^ow
//!    (variables are nets, x^2 = x) has each gate output replaced by the gate's polynomial in
//!    its inputs (AND: ab, XOR: a + b - 2ab, ...), nearest the outputs first (by the longest
//!    path to them: see the comment at the sort, why not by logic level). Monomials holding
//!    two nets that can never both be 1 (two gates over the same two nets whose truth tables do not
//!    overlap, e.g. a carry-generate a&b and a propagate a^b) are dropped: they are 0 for every
//!    input. What remains is a polynomial in the primary inputs only.
//! 4. Zero remainder: proven. A multilinear polynomial mod 2^ow is zero as a function on
//!    {0,1}^n exactly when all its coefficients are zero, so a non-zero remainder is a bug: its
//!    smallest monomial, its variables set to 1 and all others 0, evaluates to that monomial's
//!    coefficient, a counterexample (confirmed by simulating the netlist).
//!
//! A clocked design is taken when it is a balanced feed-forward pipeline of plain flip-flops:
//! [`Netlist::collapse_flops`] checks that every path from an input to the output crosses the
//! same number of them (the specification's [`LinearSpec::latency`]) and replaces each by a
//! wire, and the combinational netlist is proven as above (the output at cycle t is then the
//! specification of the inputs at cycle t - latency).
//!
//! # Why the composition is sound
//! For every input x: out(x) = R(C(x)) because C is a cut (every region gate reads only region
//! nets, cut nets or constants); R(c) = L(c) for **every** c (step 2, exhaustive); and
//! L(C(x)) = spec(x) mod 2^ow for every x (step 3). Hence out(x) = spec(x) mod 2^ow, and as
//! out(x) < 2^ow every output bit is determined. The region prefix is only a hint where to
//! cut: a wrong hint makes step 2 or 3 fail, it cannot make a wrong design pass. Trusted: Yosys
//! (Verilog front end, `opt_dff`, techmap), this module, and for a region wider than
//! `max_region_inputs` the `cec` check ([`crate::check_equiv`]: Yosys `synth` and ABC).

use crate::equiv::{check_equiv, EquivMode, EquivOptions, EquivResult};
use crate::error::SynthError;
use crate::tools::run_yosys;
use crate::{check_time_limit, render, validate_design};
use nicc_rtl::{emit, Bits, Design, Dir, ModuleBuilder, Signal};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::time::{Duration, Instant};

/// A word value mod 2^ow (ow <= 512, the adder tree's widest `out_width`): polynomial
/// coefficients, weights, output values.
type Word = ruint::Uint<512, 8>;

/// Widest output the proofs take.
const MAX_OUTPUT_BITS: usize = 512;

/// `x` mod 2^512 (two's complement).
fn word(x: i64) -> Word {
    let m = Word::from(x.unsigned_abs());
    if x < 0 {
        m.wrapping_neg()
    } else {
        m
    }
}

/// 2^bits - 1 (every bit of an output of `bits` bits).
fn low_mask(bits: u32) -> Word {
    pow2(bits).wrapping_sub(Word::ONE)
}

/// The low `width` bits of `w`.
fn word_bits(width: u32, w: Word) -> Bits {
    Bits::from_le_bytes(width, &w.to_le_bytes::<{ MAX_OUTPUT_BITS / 8 }>())
}

const NETLIST: &str = include_str!("../scripts/netlist_gates.ys");
const RIPPLE_LCU: &str = include_str!("../scripts/ripple_lcu.v");

/// One word of a [`LinearSpec`]: `weight * value(port[lo +: width])`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearTerm {
    /// Input port.
    pub port: String,
    /// Lowest bit of the word in the port.
    pub lo: u32,
    /// Bits of the word.
    pub width: u32,
    /// Two's complement word (its top bit weighs -2^(width-1)).
    pub signed: bool,
    /// Integer weight of the word.
    pub weight: i64,
}

/// `output = constant + sum of terms`, modulo 2^(width of the output port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinearSpec {
    /// Output port whose bits are checked (1 to 512 bits).
    pub output: String,
    /// Constant added.
    pub constant: i64,
    /// The weighted input words.
    pub terms: Vec<LinearTerm>,
    /// Clock cycles from the input words to the output: 0 for a combinational design. With
    /// `n > 0` the output at cycle t is the sum of the inputs at cycle t - n, and the proof
    /// needs every path from an input to the output to cross exactly n plain flip-flops.
    pub latency: u32,
}

/// Options of [`prove_linear`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgebraOptions {
    /// Name prefix of the nets of the final-adder region (e.g. `cpa_`); `None` = no region.
    pub region_prefix: Option<String>,
    /// Give up (verdict [`AlgebraVerdict::Unknown`]) when the polynomial exceeds this many
    /// monomials (default 100 000); a design is then simulated on random
    /// inputs to find a counterexample.
    pub max_terms: usize,
    /// Largest region boundary checked exhaustively (default 26 nets: 2^26 values); a wider
    /// region is proven equal to its linear form by `yosys-abc cec` instead.
    pub max_region_inputs: usize,
    /// Stop the Yosys run after this long ([`SynthError::TimedOut`]), and the proof in Rust
    /// (the region check, the backward rewriting) when it has run this long, counted from its
    /// own start ([`SynthError::ProofTimedOut`]). Default `None`: no limit; a zero limit is an
    /// [`SynthError::InvalidOption`].
    pub time_limit: Option<Duration>,
}

impl Default for AlgebraOptions {
    fn default() -> Self {
        AlgebraOptions {
            region_prefix: None,
            max_terms: 100_000,
            max_region_inputs: 26,
            time_limit: None,
        }
    }
}

/// How the final-adder region of a proof was shown to be linear in its boundary nets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionCheck {
    /// No region was split off.
    NoRegion,
    /// Simulated on all 2^boundary values (at most [`AlgebraOptions::max_region_inputs`]).
    Exhaustive,
    /// Proven equal to its linear form by `yosys-abc cec` (a wider boundary).
    Cec,
}

impl fmt::Display for RegionCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RegionCheck::NoRegion => "no region",
            RegionCheck::Exhaustive => "checked exhaustively",
            RegionCheck::Cec => "proven linear by cec",
        })
    }
}

/// Outcome of [`prove_linear`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlgebraVerdict {
    /// The output equals the specification for every input.
    Proven,
    /// The output differs from the specification for these input port values (checked by
    /// simulating the netlist).
    Refuted {
        /// Every input port with its value.
        counterexample: Vec<(String, Bits)>,
    },
    /// Neither proven nor refuted (polynomial too large, region not linear and no
    /// counterexample found by simulation, ...).
    Unknown {
        /// What stopped the proof.
        reason: String,
    },
}

/// Verdict and figures of one proof.
#[derive(Clone, Debug, PartialEq)]
pub struct AlgebraReport {
    /// The verdict.
    pub verdict: AlgebraVerdict,
    /// Gates in the netlist (in the output's cone when it has flip-flops).
    pub gates: usize,
    /// Flip-flops in the output's cone, each looked through as a wire (0: combinational).
    pub flops: usize,
    /// Flip-flops on every path from an input to the output: the cycles the output lags
    /// its inputs (0: combinational).
    pub latency: u32,
    /// The enable the flip-flops share (the pipeline advances when it is 1), by name.
    pub enable: Option<String>,
    /// The synchronous reset input the flip-flops share, by name: the proof holds while it
    /// is 0.
    pub reset: Option<String>,
    /// Gates in the final-adder region (0 without one).
    pub region_gates: usize,
    /// Boundary nets of the region.
    pub region_inputs: usize,
    /// How the region was shown to equal its linear form.
    pub region_check: RegionCheck,
    /// Gates substituted by backward rewriting.
    pub rewritten: usize,
    /// Largest polynomial seen (monomials).
    pub peak_terms: usize,
    /// Exclusive net pairs used to drop monomials.
    pub exclusive_pairs: usize,
    /// Wall time of the proof after Yosys made the netlist (with the region's `cec` when
    /// [`RegionCheck::Cec`]), seconds.
    pub seconds: f64,
}

impl fmt::Display for AlgebraVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlgebraVerdict::Proven => write!(f, "proven"),
            AlgebraVerdict::Unknown { reason } => write!(f, "not proven: {reason}"),
            AlgebraVerdict::Refuted { counterexample } => {
                writeln!(f, "NOT equal; counterexample inputs:")?;
                for (name, v) in counterexample {
                    writeln!(f, "    {name} = {}'h{}", v.width(), v.to_hex())?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for AlgebraReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} gates", self.verdict, self.gates)?;
        if self.flops > 0 {
            write!(f, ", ")?;
            write_pipeline(
                f,
                self.flops,
                self.latency,
                self.enable.as_deref(),
                self.reset.as_deref(),
            )?;
        }
        write!(f, "; ")?;
        match self.region_check {
            RegionCheck::NoRegion => write!(f, "no region")?,
            how => write!(
                f,
                "region {} gates over {} nets {how}",
                self.region_gates, self.region_inputs
            )?,
        }
        write!(
            f,
            "; {} rewritten, peak {} monomials, {} exclusive pair{}; {:.3} s)",
            self.rewritten,
            self.peak_terms,
            self.exclusive_pairs,
            if self.exclusive_pairs == 1 { "" } else { "s" },
            self.seconds
        )
    }
}

/// `N flip-flops, latency L cycles with EN = 1, RST held at 0` (the latency counts the clock
/// edges at which the enable is 1).
fn write_pipeline(
    f: &mut fmt::Formatter<'_>,
    flops: usize,
    latency: u32,
    enable: Option<&str>,
    reset: Option<&str>,
) -> fmt::Result {
    let s = if latency == 1 { "" } else { "s" };
    write!(f, "{flops} flip-flops, latency {latency} cycle{s}")?;
    if let Some(en) = enable {
        write!(f, " with {en} = 1")?;
    }
    if let Some(rst) = reset {
        write!(f, ", {rst} held at 0")?;
    }
    Ok(())
}

impl fmt::Display for Collapsed {
    /// What was looked through: `N flip-flops, latency L cycles with EN = 1, RST held at 0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_pipeline(
            f,
            self.flops,
            self.latency.unwrap_or(0),
            self.enable.as_deref(),
            self.reset.as_deref(),
        )
    }
}

/// Proves `design` computes `spec`: Yosys makes the gate netlist, then [`prove_netlist`]. A
/// clocked design is taken when it is a feed-forward pipeline of plain flip-flops with
/// `spec.latency` of them on every path to the output (see [`Netlist::collapse_flops`]).
pub fn prove_linear(
    design: &Design,
    spec: &LinearSpec,
    opts: &AlgebraOptions,
) -> Result<AlgebraReport, SynthError> {
    validate_design(design)?;
    check_time_limit(opts.time_limit)?;
    for t in &spec.terms {
        let ok = design
            .port(&t.port)
            .is_some_and(|p| p.dir == Dir::Input && t.lo + t.width <= p.width && t.width > 0);
        if !ok {
            return Err(SynthError::InvalidOption(format!(
                "spec term {}[{} +: {}] is not inside an input port of `{}`",
                t.port, t.lo, t.width, design.top
            )));
        }
    }
    if !design
        .port(&spec.output)
        .is_some_and(|p| p.dir == Dir::Output)
    {
        return Err(SynthError::InvalidOption(format!(
            "spec output `{}` is not an output port of `{}`",
            spec.output, design.top
        )));
    }
    let net = gate_netlist(design, opts.time_limit)?;
    prove_netlist(&net, spec, opts)
}

/// Yosys' flat gate netlist of `design` (`scripts/netlist_gates.ys`), the Yosys run within
/// `time_limit`.
fn gate_netlist(design: &Design, time_limit: Option<Duration>) -> Result<Netlist, SynthError> {
    let dir = tempfile::Builder::new()
        .prefix("nicc-algebra-")
        .tempdir()
        .map_err(|e| SynthError::io("creating a temp dir", e))?;
    let d = dir.path();
    let w = |n: &str, t: &str| {
        std::fs::write(d.join(n), t).map_err(|e| SynthError::io(format!("writing {n}"), e))
    };
    w("design.v", &design.verilog())?;
    w("ripple_lcu.v", RIPPLE_LCU)?;
    w(
        "netlist.ys",
        &render(
            NETLIST,
            &[("FILE", "design.v"), ("TOP", design.top.as_str())],
        ),
    )?;
    run_yosys("netlist.ys", d, time_limit)?;
    let json = std::fs::read_to_string(d.join("netlist.json"))
        .map_err(|e| SynthError::io("reading netlist.json", e))?;
    Netlist::from_yosys_json(&json, &design.top)
}

/// The combinational core of a pipelined `design`, as a module for `cec`: Yosys makes its gate
/// netlist, [`Netlist::collapse_flops`] replaces the flip-flops in the cone of the output
/// ports `outputs` by wires (checking that they form a balanced feed-forward pipeline), and
/// [`Netlist::design`] prints the result with the input ports `inputs` (the cone may read no
/// other input). Proving the core equal to a combinational reference proves each output of
/// `design` equal to the reference of its inputs `latency` enabled clock edges earlier. The
/// Yosys run is stopped after `time_limit`.
pub fn combinational_core(
    design: &Design,
    inputs: &[&str],
    outputs: &[&str],
    time_limit: Option<Duration>,
) -> Result<(Design, Collapsed), SynthError> {
    let c = collapse_design(design, outputs, &[], time_limit)?;
    Ok((c.net.design(&design.top, inputs)?, c))
}

/// Yosys' gate netlist of `design` with [`Netlist::collapse_flops`] applied to the cone of
/// `outputs`, the registers named in `free` cut into input ports; the Yosys run is stopped
/// after `time_limit`. Print the result with [`Netlist::print_into`] to compare it with a
/// reference inside one module (a miter).
pub fn collapse_design(
    design: &Design,
    outputs: &[&str],
    free: &[&str],
    time_limit: Option<Duration>,
) -> Result<Collapsed, SynthError> {
    validate_design(design)?;
    check_time_limit(time_limit)?;
    gate_netlist(design, time_limit)?.collapse_flops(outputs, free)
}

// ---------------------------------------------------------------------------------------
// The netlist.

/// A bit: a constant or a net.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sig {
    /// Constant 0 or 1.
    C(bool),
    /// Net id.
    N(u32),
}

impl Sig {
    /// The net id, `None` for a constant.
    pub fn net(self) -> Option<u32> {
        match self {
            Sig::N(n) => Some(n),
            Sig::C(_) => None,
        }
    }
}

/// The Yosys internal gate types the prover understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateKind {
    /// `Y = A`.
    Buf,
    /// `Y = ~A`.
    Not,
    /// `Y = A & B`.
    And,
    /// `Y = A | B`.
    Or,
    /// `Y = A ^ B`.
    Xor,
    /// `Y = ~(A & B)`.
    Nand,
    /// `Y = ~(A | B)`.
    Nor,
    /// `Y = ~(A ^ B)`.
    Xnor,
    /// `Y = A & ~B`.
    AndNot,
    /// `Y = A | ~B`.
    OrNot,
    /// `Y = S ? B : A` (inputs A, B, S).
    Mux,
    /// `Y = ~(S ? B : A)`.
    NMux,
    /// `Y = ~((A & B) | C)`.
    Aoi3,
    /// `Y = ~((A | B) & C)`.
    Oai3,
    /// `Y = ~((A & B) | (C & D))`.
    Aoi4,
    /// `Y = ~((A | B) & (C | D))`.
    Oai4,
}

impl GateKind {
    fn from_yosys(t: &str) -> Option<(GateKind, &'static [&'static str])> {
        use GateKind::*;
        const A: &[&str] = &["A"];
        const AB: &[&str] = &["A", "B"];
        const ABS: &[&str] = &["A", "B", "S"];
        const ABC: &[&str] = &["A", "B", "C"];
        const ABCD: &[&str] = &["A", "B", "C", "D"];
        Some(match t {
            "$_BUF_" => (Buf, A),
            "$_NOT_" => (Not, A),
            "$_AND_" => (And, AB),
            "$_OR_" => (Or, AB),
            "$_XOR_" => (Xor, AB),
            "$_NAND_" => (Nand, AB),
            "$_NOR_" => (Nor, AB),
            "$_XNOR_" => (Xnor, AB),
            "$_ANDNOT_" => (AndNot, AB),
            "$_ORNOT_" => (OrNot, AB),
            "$_MUX_" => (Mux, ABS),
            "$_NMUX_" => (NMux, ABS),
            "$_AOI3_" => (Aoi3, ABC),
            "$_OAI3_" => (Oai3, ABC),
            "$_AOI4_" => (Aoi4, ABCD),
            "$_OAI4_" => (Oai4, ABCD),
            _ => return None,
        })
    }

    /// The gate on 64 lanes at once.
    pub fn eval(self, v: &[u64]) -> u64 {
        use GateKind::*;
        match self {
            Buf => v[0],
            Not => !v[0],
            And => v[0] & v[1],
            Or => v[0] | v[1],
            Xor => v[0] ^ v[1],
            Nand => !(v[0] & v[1]),
            Nor => !(v[0] | v[1]),
            Xnor => !(v[0] ^ v[1]),
            AndNot => v[0] & !v[1],
            OrNot => v[0] | !v[1],
            Mux => (v[2] & v[1]) | (!v[2] & v[0]),
            NMux => !((v[2] & v[1]) | (!v[2] & v[0])),
            Aoi3 => !((v[0] & v[1]) | v[2]),
            Oai3 => !((v[0] | v[1]) & v[2]),
            Aoi4 => !((v[0] & v[1]) | (v[2] & v[3])),
            Oai4 => !((v[0] | v[1]) & (v[2] | v[3])),
        }
    }
}

/// One gate: `out = kind(ins)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// Function.
    pub kind: GateKind,
    /// Inputs in the order of [`GateKind`]'s documentation.
    pub ins: Vec<Sig>,
    /// Output net.
    pub out: u32,
}

/// A flat combinational netlist of single-bit gates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Netlist {
    /// Input ports, bits least significant first.
    pub inputs: Vec<(String, Vec<Sig>)>,
    /// Output ports, bits least significant first.
    pub outputs: Vec<(String, Vec<Sig>)>,
    /// The gates.
    pub gates: Vec<Gate>,
    /// The flip-flops and latches (cells with a `Q` output).
    pub flops: Vec<Flop>,
    /// Public (user-visible) names of nets.
    pub names: HashMap<u32, Vec<String>>,
}

/// A flip-flop or latch of a [`Netlist`]. A proof can look through positive-edge D
/// flip-flops with, at most, an active-high enable and an active-high synchronous reset
/// ([`Flop::can_collapse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flop {
    /// Yosys cell name.
    pub name: String,
    /// Yosys cell type, e.g. `$_DFF_P_` or `$_SDFFE_PP0P_`.
    pub kind: String,
    /// D input (constant 0 for a cell without one).
    pub d: Sig,
    /// Clock (`C` pin; constant 0 for a cell without one).
    pub clk: Sig,
    /// Enable (`E` pin), if the cell has one.
    pub en: Option<Sig>,
    /// Synchronous reset (`R` pin of a `$_SDFF*` cell), if the cell has one.
    pub srst: Option<Sig>,
    /// Q output net.
    pub q: u32,
}

impl Flop {
    /// The Yosys type of a plain positive-edge D flip-flop.
    pub const PLAIN: &'static str = "$_DFF_P_";

    /// Whether [`Netlist::collapse_flops`] can replace it by a wire: a positive-edge clock,
    /// no asynchronous set or reset, any enable and synchronous reset active high.
    pub fn can_collapse(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "$_DFF_P_"
                | "$_DFFE_PP_"
                | "$_SDFF_PP0_"
                | "$_SDFF_PP1_"
                | "$_SDFFE_PP0P_"
                | "$_SDFFE_PP1P_"
                | "$_SDFFCE_PP0P_"
                | "$_SDFFCE_PP1P_"
        )
    }
}

/// A feed-forward pipeline collapsed by [`Netlist::collapse_flops`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collapsed {
    /// The combinational netlist: the outputs' fan-in cone, each flip-flop a wire.
    pub net: Netlist,
    /// Flip-flops on every path from an input to the outputs (`None`: the outputs depend on
    /// no input).
    pub latency: Option<u32>,
    /// Flip-flops looked through.
    pub flops: usize,
    /// The enable the flip-flops share, by name: the pipeline advances on the clock edges
    /// where it is 1.
    pub enable: Option<String>,
    /// The synchronous reset input the flip-flops share, by name: held at 0.
    pub reset: Option<String>,
}

fn json_sig(v: &Value, what: &str) -> Result<Sig, SynthError> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .and_then(|x| u32::try_from(x).ok())
            .map(Sig::N)
            .ok_or_else(|| SynthError::parse("yosys json netlist", format!("bad bit {n}"))),
        Value::String(s) if s == "0" => Ok(Sig::C(false)),
        Value::String(s) if s == "1" => Ok(Sig::C(true)),
        other => Err(SynthError::InvalidDesign(format!(
            "{what} has an undefined bit ({other}): the algebraic proof needs every bit defined"
        ))),
    }
}

fn json_bits(v: &Value, what: &str) -> Result<Vec<Sig>, SynthError> {
    v.as_array()
        .ok_or_else(|| SynthError::parse("yosys json netlist", format!("{what}: no bit list")))?
        .iter()
        .map(|b| json_sig(b, what))
        .collect()
}

impl Netlist {
    /// Reads module `top` of a Yosys `write_json` netlist of internal gates.
    pub fn from_yosys_json(text: &str, top: &str) -> Result<Netlist, SynthError> {
        let perr = |d: String| SynthError::parse("yosys json netlist", d);
        let v: Value = serde_json::from_str(text).map_err(|e| perr(e.to_string()))?;
        let m = v
            .get("modules")
            .and_then(|m| m.get(top))
            .ok_or_else(|| perr(format!("no module `{top}`")))?;
        let mut net = Netlist::default();
        if let Some(ports) = m.get("ports").and_then(Value::as_object) {
            for (name, p) in ports {
                let bits = json_bits(&p["bits"], &format!("port {name}"))?;
                match p["direction"].as_str() {
                    Some("input") => net.inputs.push((name.clone(), bits)),
                    Some("output") => net.outputs.push((name.clone(), bits)),
                    other => {
                        return Err(SynthError::InvalidDesign(format!(
                            "port {name} has direction {other:?}: only inputs and outputs are supported"
                        )))
                    }
                }
            }
        }
        if let Some(cells) = m.get("cells").and_then(Value::as_object) {
            for (name, c) in cells {
                let t = c["type"].as_str().unwrap_or("?");
                let conn = &c["connections"];
                if conn.get("Q").is_some() {
                    let pin = |p: &str| -> Result<Sig, SynthError> {
                        match conn.get(p) {
                            None => Ok(Sig::C(false)),
                            Some(v) => json_bits(v, &format!("cell {name} pin {p}"))?
                                .first()
                                .copied()
                                .ok_or_else(|| perr(format!("{name}.{p} empty"))),
                        }
                    };
                    let Sig::N(q) = pin("Q")? else {
                        return Err(perr(format!("flip-flop {name} drives no net")));
                    };
                    let en = conn.get("E").is_some().then(|| pin("E")).transpose()?;
                    let srst = (t.starts_with("$_SDFF") && conn.get("R").is_some())
                        .then(|| pin("R"))
                        .transpose()?;
                    net.flops.push(Flop {
                        name: name.clone(),
                        kind: t.to_string(),
                        d: pin("D")?,
                        clk: pin("C")?,
                        en,
                        srst,
                        q,
                    });
                    continue;
                }
                let Some((kind, pins)) = GateKind::from_yosys(t) else {
                    return Err(SynthError::InvalidDesign(format!(
                        "cell {name} of type {t} is neither a single-bit gate nor a flip-flop: \
                         algebraic proofs take gate netlists"
                    )));
                };
                let mut ins = Vec::new();
                for p in pins {
                    let b = json_bits(&conn[*p], &format!("cell {name} pin {p}"))?;
                    ins.push(*b.first().ok_or_else(|| perr(format!("{name}.{p} empty")))?);
                }
                let out = match json_bits(&conn["Y"], &format!("cell {name} pin Y"))?.first() {
                    Some(Sig::N(n)) => *n,
                    _ => return Err(perr(format!("cell {name} drives no net"))),
                };
                net.gates.push(Gate { kind, ins, out });
            }
        }
        if let Some(nn) = m.get("netnames").and_then(Value::as_object) {
            for (name, n) in nn {
                if n["hide_name"].as_u64() == Some(1) {
                    continue;
                }
                let Some(bits) = n["bits"].as_array() else {
                    continue;
                };
                let multi = bits.len() > 1;
                for (i, b) in bits.iter().enumerate() {
                    if let Some(id) = b.as_u64().and_then(|x| u32::try_from(x).ok()) {
                        let nm = if multi {
                            format!("{name}[{i}]")
                        } else {
                            name.clone()
                        };
                        net.names.entry(id).or_default().push(nm);
                    }
                }
            }
        }
        Ok(net)
    }

    /// One more than the largest net id (the size of a value table indexed by net).
    pub fn net_count(&self) -> usize {
        let ports = self
            .inputs
            .iter()
            .chain(&self.outputs)
            .flat_map(|(_, b)| b.iter());
        let gates = self
            .gates
            .iter()
            .flat_map(|g| g.ins.iter().copied().chain([Sig::N(g.out)]));
        let flops = self.flops.iter().flat_map(|f| [f.d, f.clk, Sig::N(f.q)]);
        ports
            .copied()
            .chain(gates)
            .chain(flops)
            .filter_map(|s| s.net().map(|n| n as usize + 1))
            .max()
            .unwrap_or(0)
    }

    /// Net id -> index of its driving gate; an error for a net with two drivers.
    fn drivers(&self) -> Result<HashMap<u32, usize>, SynthError> {
        let mut d = HashMap::new();
        for (i, g) in self.gates.iter().enumerate() {
            if d.insert(g.out, i).is_some() {
                return Err(SynthError::InvalidDesign(format!(
                    "net {} has more than one driver",
                    g.out
                )));
            }
        }
        Ok(d)
    }

    /// A net's public name, or `net N` when it has none.
    fn describe(&self, n: u32) -> String {
        match self.names.get(&n).and_then(|v| v.iter().min()) {
            Some(name) => format!("`{name}`"),
            None => format!("net {n}"),
        }
    }

    /// The combinational netlist of a feed-forward pipeline: the fan-in cone of the output
    /// ports `outputs` with every flip-flop replaced by a wire from its D to its Q, with the
    /// number of flip-flops on every path from an input to the outputs.
    ///
    /// Checked here (an error naming the net or flip-flop otherwise): every flip-flop in the
    /// cone can be collapsed ([`Flop::can_collapse`]), all share one clock input, one enable
    /// (or none) and one synchronous reset input (or none), no loop runs through one, and
    /// each gate reads its non-constant inputs through the same number of flip-flops, as do
    /// all output bits. Then, with the reset held at 0, by induction over the cone: after the
    /// e-th clock edge at which the enable is 1 (every edge without an enable), a net k
    /// flip-flops after the inputs carries its combinational function of the inputs as they
    /// were at the (e - k + 1)-th such edge (for e >= k; between those edges the flip-flops
    /// hold). So a proof of the returned netlist proves each output value equals the
    /// specification of the inputs `latency` enabled edges earlier. A flip-flop whose D is a
    /// constant is that constant.
    ///
    /// The registers named in `free` (by their Q nets' names, e.g. a beat counter `beat_q`)
    /// are cut instead: their outputs become input ports of the same name, free in every
    /// cycle, so a proof of the result covers every value they can hold. A collapsed
    /// flip-flop may not read them (it would hold an earlier value than the core shows).
    pub fn collapse_flops(&self, outputs: &[&str], free: &[&str]) -> Result<Collapsed, SynthError> {
        let mut out_ports = Vec::new();
        for o in outputs {
            let bits = self
                .outputs
                .iter()
                .find(|(n, _)| n == o)
                .map(|(_, b)| b.clone())
                .ok_or_else(|| {
                    SynthError::InvalidOption(format!("no output port `{o}` in the netlist"))
                })?;
            out_ports.push((o.to_string(), bits));
        }
        let what = outputs
            .iter()
            .map(|o| format!("`{o}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let gate_of = self.drivers()?;
        let mut flop_of: HashMap<u32, usize> = HashMap::new();
        for (i, f) in self.flops.iter().enumerate() {
            if gate_of.contains_key(&f.q) || flop_of.insert(f.q, i).is_some() {
                return Err(SynthError::InvalidDesign(format!(
                    "{} has more than one driver",
                    self.describe(f.q)
                )));
            }
        }
        let inputs: HashSet<u32> = self
            .inputs
            .iter()
            .flat_map(|(_, b)| b.iter())
            .filter_map(|s| s.net())
            .collect();
        let is_input = |s: Sig| s.net().is_some_and(|n| inputs.contains(&n));
        // The cut registers' Q nets, bit by bit, as new input ports.
        let mut free_ports: Vec<(String, Vec<Sig>)> = Vec::new();
        for r in free {
            let bit_of = |name: &str| -> Option<u32> {
                if name == *r {
                    return Some(0);
                }
                name.strip_prefix(r)?
                    .strip_prefix('[')?
                    .strip_suffix(']')?
                    .parse()
                    .ok()
            };
            let mut bits: Vec<(u32, u32)> = self
                .flops
                .iter()
                .filter_map(|f| {
                    let names = self.names.get(&f.q)?;
                    names.iter().find_map(|n| bit_of(n)).map(|b| (b, f.q))
                })
                .collect();
            bits.sort_unstable();
            if bits.is_empty() {
                return Err(SynthError::InvalidOption(format!(
                    "no register `{r}` in the netlist to cut"
                )));
            }
            if bits.iter().enumerate().any(|(i, (b, _))| *b as usize != i) {
                return Err(SynthError::InvalidDesign(format!(
                    "register `{r}` has bits {:?}: a register to cut needs every bit from 0 up",
                    bits.iter().map(|(b, _)| b).collect::<Vec<_>>()
                )));
            }
            free_ports.push((
                r.to_string(),
                bits.iter().map(|(_, q)| Sig::N(*q)).collect(),
            ));
        }
        let freed: HashSet<u32> = free_ports
            .iter()
            .flat_map(|(_, b)| b.iter())
            .filter_map(|s| s.net())
            .collect();
        // Nets whose value depends on a cut register.
        let mut reads_free: HashSet<u32> = HashSet::new();
        // Depth of each net in the cone (None = constant), by an iterative depth-first walk;
        // `alias` maps a flip-flop's Q to what its D resolves to.
        let mut depth: HashMap<u32, Option<u32>> = HashMap::new();
        let mut alias: HashMap<u32, Sig> = HashMap::new();
        let mut on_stack: HashSet<u32> = HashSet::new();
        // The clock, enable and reset of the first flip-flop met; the others must match.
        let mut shared: Option<(Sig, Option<Sig>, Option<Sig>)> = None;
        let mut flops = 0usize;
        let mut cone_gates: Vec<usize> = Vec::new();
        let reads = |n: u32| -> Vec<Sig> {
            if freed.contains(&n) {
                Vec::new()
            } else if let Some(&g) = gate_of.get(&n) {
                self.gates[g].ins.clone()
            } else if let Some(&f) = flop_of.get(&n) {
                vec![self.flops[f].d]
            } else {
                Vec::new()
            }
        };
        let feedback = |n: u32| {
            SynthError::InvalidDesign(format!(
                "a feedback loop through {}: algebraic proofs take feed-forward designs \
                 (combinational, or a pipeline without feedback)",
                self.describe(n)
            ))
        };
        let roots: Vec<u32> = out_ports
            .iter()
            .flat_map(|(_, b)| b.iter())
            .filter_map(|s| s.net())
            .collect();
        for &r in &roots {
            let mut stack = vec![(r, false)];
            while let Some((n, expanded)) = stack.pop() {
                if depth.contains_key(&n) {
                    continue;
                }
                if !expanded {
                    if !on_stack.insert(n) {
                        return Err(feedback(n));
                    }
                    stack.push((n, true));
                    for m in reads(n).into_iter().filter_map(|s| s.net()) {
                        if !depth.contains_key(&m) {
                            if on_stack.contains(&m) {
                                return Err(feedback(m));
                            }
                            stack.push((m, false));
                        }
                    }
                    continue;
                }
                on_stack.remove(&n);
                let of = |s: Sig| s.net().and_then(|m| depth[&m]);
                let d = if inputs.contains(&n) {
                    Some(0)
                } else if freed.contains(&n) {
                    reads_free.insert(n);
                    None
                } else if let Some(&g) = gate_of.get(&n) {
                    cone_gates.push(g);
                    if self.gates[g]
                        .ins
                        .iter()
                        .any(|s| s.net().is_some_and(|m| reads_free.contains(&m)))
                    {
                        reads_free.insert(n);
                    }
                    let mut first: Option<(u32, u32)> = None;
                    for s in &self.gates[g].ins {
                        let (Some(m), Some(k)) = (s.net(), of(*s)) else {
                            continue;
                        };
                        match first {
                            None => first = Some((m, k)),
                            Some((m0, k0)) if k0 != k => {
                                return Err(SynthError::InvalidDesign(format!(
                                    "{what}: not a balanced pipeline: the gate driving {} \
                                     reads {} at register depth {k0} and {} at depth {k}; \
                                     every path from an input to the output must cross the \
                                     same number of flip-flops",
                                    self.describe(n),
                                    self.describe(m0),
                                    self.describe(m)
                                )));
                            }
                            Some(_) => {}
                        }
                    }
                    first.map(|(_, k)| k)
                } else if let Some(&fi) = flop_of.get(&n) {
                    let f = &self.flops[fi];
                    if f.d.net().is_some_and(|m| reads_free.contains(&m)) {
                        return Err(SynthError::InvalidDesign(format!(
                            "flip-flop {} reads a register that is cut ({}): it would hold an \
                             earlier value than the combinational core shows",
                            f.name,
                            free.join(", ")
                        )));
                    }
                    if !f.can_collapse() {
                        return Err(SynthError::InvalidDesign(format!(
                            "flip-flop {} ({}) drives {} in the cone of {what}: algebraic \
                             proofs look only through positive-edge flip-flops without \
                             asynchronous set or reset (an enable and a synchronous reset \
                             active high)",
                            f.name,
                            f.kind,
                            self.describe(n)
                        )));
                    }
                    if !is_input(f.clk) || f.srst.is_some_and(|r| !is_input(r)) {
                        return Err(SynthError::InvalidDesign(format!(
                            "flip-flop {} has a clock or synchronous reset that is not an \
                             input port: algebraic proofs take single-clock pipelines whose \
                             reset is an input (held at 0)",
                            f.name
                        )));
                    }
                    let this = (f.clk, f.en, f.srst);
                    match shared {
                        None => shared = Some(this),
                        Some(s) if s != this => {
                            return Err(SynthError::InvalidDesign(format!(
                                "flip-flop {} does not share the clock, enable and reset of \
                                 the other flip-flops in the cone of {what}: algebraic proofs \
                                 take pipelines that advance all together (single-clock \
                                 pipelines)",
                                f.name
                            )));
                        }
                        Some(_) => {}
                    }
                    flops += 1;
                    let to =
                        f.d.net()
                            .and_then(|m| alias.get(&m).copied())
                            .unwrap_or(f.d);
                    alias.insert(n, to);
                    of(f.d).map(|k| k + 1)
                } else {
                    None
                };
                depth.insert(n, d);
            }
        }
        let mut latency: Option<(u32, u32)> = None;
        for &r in &roots {
            match (latency, depth[&r]) {
                (None, Some(k)) => latency = Some((r, k)),
                (Some((r0, k0)), Some(k)) if k != k0 => {
                    return Err(SynthError::InvalidDesign(format!(
                        "{what}: not a balanced pipeline: output bit {} is at register depth \
                         {k0} and output bit {} at depth {k}",
                        self.describe(r0),
                        self.describe(r)
                    )))
                }
                _ => {}
            }
        }
        let resolve = |s: Sig| s.net().and_then(|m| alias.get(&m).copied()).unwrap_or(s);
        cone_gates.sort_unstable();
        let net = Netlist {
            inputs: self.inputs.iter().cloned().chain(free_ports).collect(),
            outputs: out_ports
                .into_iter()
                .map(|(n, bits)| (n, bits.into_iter().map(resolve).collect()))
                .collect(),
            gates: cone_gates
                .iter()
                .map(|&g| Gate {
                    kind: self.gates[g].kind,
                    ins: self.gates[g].ins.iter().map(|s| resolve(*s)).collect(),
                    out: self.gates[g].out,
                })
                .collect(),
            flops: Vec::new(),
            names: self.names.clone(),
        };
        let name = |s: Sig| match s {
            Sig::C(b) => format!("constant {}", u8::from(b)),
            Sig::N(n) => self.describe(n),
        };
        let (enable, reset) = match shared {
            Some((_, en, srst)) => (en.map(name), srst.map(name)),
            None => (None, None),
        };
        Ok(Collapsed {
            net,
            latency: latency.map(|(_, k)| k),
            flops,
            enable,
            reset,
        })
    }

    /// The netlist as a Verilog module `top`, one wire `n<net>` per gate: the input ports
    /// `inputs` and every output port, each as wide as here. An error when a gate in the
    /// outputs' cone reads another input or an undriven net, or has a flip-flop in it.
    pub fn design(&self, top: &str, inputs: &[&str]) -> Result<Design, SynthError> {
        let what = format!("the combinational core of `{top}`");
        let mut m = ModuleBuilder::new(top);
        let mut ports = Vec::new();
        for name in inputs {
            let width = self
                .inputs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.len() as u32)
                .ok_or_else(|| {
                    SynthError::InvalidOption(format!("no input port `{name}` in the netlist"))
                })?;
            ports.push((*name, m.input(name, width)));
        }
        for (name, y) in self.print_into(&mut m, &ports, "", &what)? {
            m.output(&name, &y);
        }
        finish_printed(m, &what)
    }

    /// Prints the outputs' cone into `m` (one wire `<prefix>n<net>` per gate), reading input
    /// port `name` of the netlist from the signal given with it in `inputs`; returns each
    /// output port's signal. An error when the cone reads another input or an undriven net,
    /// or has a flip-flop in it; `what` names the printed part in errors.
    pub fn print_into(
        &self,
        m: &mut ModuleBuilder,
        inputs: &[(&str, Signal)],
        prefix: &str,
        what: &str,
    ) -> Result<Vec<(String, Signal)>, SynthError> {
        let mut sig: HashMap<u32, Signal> = HashMap::new();
        for (name, port) in inputs {
            let bits = &self
                .inputs
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| {
                    SynthError::InvalidOption(format!("no input port `{name}` in the netlist"))
                })?
                .1;
            if port.width() as usize != bits.len() {
                return Err(SynthError::InvalidOption(format!(
                    "input `{name}` has {} bits in the netlist, {} given",
                    bits.len(),
                    port.width()
                )));
            }
            for (i, b) in bits.iter().enumerate() {
                if let Sig::N(n) = b {
                    sig.insert(*n, port.bit(i as u32));
                }
            }
        }
        if let Some(f) = self.flops.first() {
            return Err(SynthError::InvalidDesign(format!(
                "{what}: flip-flop {} is still in the netlist (collapse_flops first)",
                f.name
            )));
        }
        let roots: Vec<u32> = self
            .outputs
            .iter()
            .flat_map(|(_, b)| b.iter())
            .filter_map(|s| s.net())
            .collect();
        let drv = self.drivers()?;
        let order = self.cone(&drv, &roots, &|n| sig.contains_key(&n))?;
        let leaves = order
            .iter()
            .flat_map(|g| self.gates[*g].ins.iter())
            .chain(self.outputs.iter().flat_map(|(_, b)| b.iter()));
        for s in leaves {
            let Some(n) = s.net() else { continue };
            if !sig.contains_key(&n) && !drv.contains_key(&n) {
                let port = self
                    .inputs
                    .iter()
                    .find(|(_, b)| b.contains(s))
                    .map(|(p, _)| format!("input `{p}`"))
                    .unwrap_or_else(|| format!("undriven {}", self.describe(n)));
                let given: Vec<&str> = inputs.iter().map(|(n, _)| *n).collect();
                return Err(SynthError::InvalidDesign(format!(
                    "{what} reads {port}, which is not one of its inputs ({})",
                    given.join(", ")
                )));
            }
        }
        print_gates(m, self, &order, &mut sig, prefix, what)?;
        self.outputs
            .iter()
            .map(|(name, bits)| Ok((name.clone(), print_bits(&sig, bits, what)?)))
            .collect()
    }

    /// Gates in the fan-in cone of `roots`, in topological order (inputs first); stops at nets
    /// for which `stop` holds.
    fn cone(
        &self,
        drv: &HashMap<u32, usize>,
        roots: &[u32],
        stop: &dyn Fn(u32) -> bool,
    ) -> Result<Vec<usize>, SynthError> {
        // 0 = new, 1 = on the stack, 2 = done.
        let mut state: HashMap<usize, u8> = HashMap::new();
        let mut order = Vec::new();
        for &r in roots {
            if stop(r) {
                continue;
            }
            let Some(&g0) = drv.get(&r) else { continue };
            let mut stack = vec![(g0, false)];
            while let Some((g, expanded)) = stack.pop() {
                if expanded {
                    state.insert(g, 2);
                    order.push(g);
                    continue;
                }
                match state.get(&g) {
                    Some(2) => continue,
                    Some(1) => {
                        return Err(SynthError::InvalidDesign(format!(
                            "combinational loop through net {}",
                            self.gates[g].out
                        )))
                    }
                    _ => {}
                }
                state.insert(g, 1);
                stack.push((g, true));
                for s in &self.gates[g].ins {
                    if let Sig::N(n) = s {
                        if stop(*n) {
                            continue;
                        }
                        if let Some(&k) = drv.get(n) {
                            match state.get(&k) {
                                Some(2) => {}
                                Some(1) => {
                                    return Err(SynthError::InvalidDesign(format!(
                                        "combinational loop through net {n}"
                                    )))
                                }
                                _ => stack.push((k, false)),
                            }
                        }
                    }
                }
            }
        }
        Ok(order)
    }
}

// ---------------------------------------------------------------------------------------
// Polynomials over the integers mod 2^k in Boolean variables (x^2 = x).

type Mono = Box<[u32]>;

/// The multilinear polynomial of a gate in its distinct input nets (constants folded), from
/// its truth table by the Moebius transform.
fn gate_poly(g: &Gate) -> Vec<(Vec<u32>, Word)> {
    let mut vars: Vec<u32> = g.ins.iter().filter_map(|s| s.net()).collect();
    vars.sort_unstable();
    vars.dedup();
    let k = vars.len();
    let f = |mask: usize| -> i64 {
        let v: Vec<u64> = g
            .ins
            .iter()
            .map(|s| match s {
                Sig::C(b) => u64::from(*b),
                Sig::N(n) => {
                    let i = vars.binary_search(n).unwrap_or(0);
                    ((mask >> i) & 1) as u64
                }
            })
            .collect();
        (g.kind.eval(&v) & 1) as i64
    };
    let mut coef: Vec<i64> = (0..1usize << k).map(f).collect();
    for i in 0..k {
        for m in 0..1usize << k {
            if m & (1 << i) != 0 {
                coef[m] -= coef[m ^ (1 << i)];
            }
        }
    }
    coef.iter()
        .enumerate()
        .filter(|(_, c)| **c != 0)
        .map(|(m, c)| {
            let mono: Vec<u32> = (0..k)
                .filter(|i| m & (1 << i) != 0)
                .map(|i| vars[i])
                .collect();
            (mono, word(*c))
        })
        .collect()
}

struct Poly {
    mask: Word,
    t: HashMap<Mono, Word>,
    /// Net -> the monomials added with it (a monomial whose coefficient later cancelled
    /// stays listed; [`Poly::take_with`] skips it).
    occ: HashMap<u32, Vec<Mono>>,
}

impl Poly {
    fn new(bits: u32) -> Poly {
        Poly {
            mask: low_mask(bits),
            t: HashMap::new(),
            occ: HashMap::new(),
        }
    }

    /// Removes every monomial holding `y` and returns them with their coefficients (sorted:
    /// the rewriting then adds in the same order each run).
    fn take_with(&mut self, y: u32) -> Vec<(Mono, Word)> {
        let mut ms = self.occ.remove(&y).unwrap_or_default();
        ms.sort_unstable();
        ms.dedup();
        ms.into_iter()
            .filter_map(|m| self.t.remove(&m).map(|c| (m, c)))
            .collect()
    }

    fn add(&mut self, m: Mono, c: Word) {
        use std::collections::hash_map::Entry;
        let c = c & self.mask;
        if c.is_zero() {
            return;
        }
        match self.t.entry(m) {
            Entry::Occupied(mut o) => {
                let v = o.get().wrapping_add(c) & self.mask;
                if v.is_zero() {
                    o.remove();
                } else {
                    *o.get_mut() = v;
                }
            }
            Entry::Vacant(v) => {
                for n in v.key().iter() {
                    self.occ.entry(*n).or_default().push(v.key().clone());
                }
                v.insert(c);
            }
        }
    }

    fn add_sig(&mut self, s: Sig, c: Word) {
        match s {
            Sig::C(false) => {}
            Sig::C(true) => self.add(Box::new([]), c),
            Sig::N(n) => self.add(Box::new([n]), c),
        }
    }
}

fn union_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let x = if j >= b.len() || (i < a.len() && a[i] < b[j]) {
            i += 1;
            a[i - 1]
        } else if i >= a.len() || b[j] < a[i] {
            j += 1;
            b[j - 1]
        } else {
            i += 1;
            j += 1;
            a[i - 1]
        };
        out.push(x);
    }
    out
}

fn vanishes(m: &[u32], excl: &HashMap<u32, Vec<u32>>) -> bool {
    m.iter().any(|a| {
        excl.get(a)
            .is_some_and(|ps| ps.iter().any(|p| m.binary_search(p).is_ok()))
    })
}

/// Pairs of gates over the same two or three nets whose outputs are never both 1.
fn exclusive_pairs(net: &Netlist, gates: &[usize]) -> HashMap<u32, Vec<u32>> {
    let mut by_support: HashMap<Vec<u32>, Vec<usize>> = HashMap::new();
    for &g in gates {
        let mut s: Vec<u32> = net.gates[g].ins.iter().filter_map(|x| x.net()).collect();
        s.sort_unstable();
        s.dedup();
        if (2..=3).contains(&s.len()) {
            by_support.entry(s).or_default().push(g);
        }
    }
    let mut excl: HashMap<u32, Vec<u32>> = HashMap::new();
    for (support, gs) in by_support {
        if gs.len() < 2 {
            continue;
        }
        // Truth tables over the support: 8 lanes are enough for 3 nets.
        let lane = |i: usize| -> u64 { [0xaa, 0xcc, 0xf0][i] };
        let table = |g: usize| -> u64 {
            let v: Vec<u64> = net.gates[g]
                .ins
                .iter()
                .map(|s| match s {
                    Sig::C(b) => {
                        if *b {
                            u64::MAX
                        } else {
                            0
                        }
                    }
                    Sig::N(n) => lane(support.binary_search(n).unwrap_or(0)),
                })
                .collect();
            net.gates[g].kind.eval(&v) & 0xff
        };
        let tabs: Vec<u64> = gs.iter().map(|g| table(*g)).collect();
        for i in 0..gs.len() {
            for j in i + 1..gs.len() {
                if tabs[i] & tabs[j] == 0 && tabs[i] != 0 && tabs[j] != 0 {
                    let (a, b) = (net.gates[gs[i]].out, net.gates[gs[j]].out);
                    excl.entry(a).or_default().push(b);
                    excl.entry(b).or_default().push(a);
                }
            }
        }
    }
    excl
}

// ---------------------------------------------------------------------------------------
// Simulation.

fn simulate(net: &Netlist, order: &[usize], vals: &mut [u64]) {
    for &g in order {
        let gate = &net.gates[g];
        let v: Vec<u64> = gate.ins.iter().map(|s| sig_val(*s, vals)).collect();
        vals[gate.out as usize] = gate.kind.eval(&v);
    }
}

fn sig_val(s: Sig, vals: &[u64]) -> u64 {
    match s {
        Sig::C(b) => {
            if b {
                u64::MAX
            } else {
                0
            }
        }
        Sig::N(n) => vals.get(n as usize).copied().unwrap_or(0),
    }
}

/// Value of bit vector `bits` in lane `lane`, mod 2^512.
fn lane_value(bits: &[Sig], vals: &[u64], lane: u32) -> Word {
    let mut acc = Word::ZERO;
    for (i, s) in bits.iter().enumerate().take(MAX_OUTPUT_BITS) {
        if (sig_val(*s, vals) >> lane) & 1 == 1 {
            acc.set_bit(i, true);
        }
    }
    acc
}

/// 2^i mod 2^512.
fn pow2(i: u32) -> Word {
    if (i as usize) < MAX_OUTPUT_BITS {
        Word::ONE << i as usize
    } else {
        Word::ZERO
    }
}

/// The spec's value in one lane, mod 2^512.
fn spec_value(net: &Netlist, spec: &LinearSpec, vals: &[u64], lane: u32) -> Word {
    let mut acc = word(spec.constant);
    for t in &spec.terms {
        let bits = &net
            .inputs
            .iter()
            .find(|(n, _)| *n == t.port)
            .map(|(_, b)| b.as_slice())
            .unwrap_or(&[]);
        for b in 0..t.width {
            let s = bits
                .get((t.lo + b) as usize)
                .copied()
                .unwrap_or(Sig::C(false));
            if (sig_val(s, vals) >> lane) & 1 == 1 {
                let w = bit_weight(t, b);
                acc = acc.wrapping_add(w);
            }
        }
    }
    acc
}

/// Weight of bit `b` of term `t` (mod 2^512).
fn bit_weight(t: &LinearTerm, b: u32) -> Word {
    let w = pow2(b).wrapping_mul(word(t.weight));
    if t.signed && b + 1 == t.width {
        w.wrapping_neg()
    } else {
        w
    }
}

/// A small deterministic generator for random simulation.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

// ---------------------------------------------------------------------------------------
// The proof.

/// The time limit of the Rust part of one proof ([`AlgebraOptions::time_limit`]).
#[derive(Clone, Copy)]
struct Budget {
    /// When the proof started.
    start: Instant,
    /// How long it may run.
    limit: Option<Duration>,
}

impl Budget {
    /// [`SynthError::ProofTimedOut`] for `step` once the limit has passed, saying how far it
    /// got.
    fn check(&self, step: &str, progress: impl FnOnce() -> String) -> Result<(), SynthError> {
        match self.limit {
            Some(limit) if self.start.elapsed() > limit => Err(SynthError::ProofTimedOut {
                step: step.to_string(),
                limit_s: limit.as_secs_f64(),
                progress: progress(),
            }),
            _ => Ok(()),
        }
    }
}

/// Proves a parsed netlist computes `spec` (see the module documentation).
pub fn prove_netlist(
    net: &Netlist,
    spec: &LinearSpec,
    opts: &AlgebraOptions,
) -> Result<AlgebraReport, SynthError> {
    check_time_limit(opts.time_limit)?;
    let t0 = Instant::now();
    let budget = Budget {
        start: t0,
        limit: opts.time_limit,
    };
    let collapsed = if net.flops.is_empty() {
        None
    } else {
        Some(net.collapse_flops(&[spec.output.as_str()], &[])?)
    };
    let (net, flops, latency, enable, reset) = match &collapsed {
        None => (net, 0, 0, None, None),
        // An output that depends on no input has no latency of its own.
        Some(c) => (
            &c.net,
            c.flops,
            c.latency.unwrap_or(spec.latency),
            c.enable.clone(),
            c.reset.clone(),
        ),
    };
    if latency != spec.latency {
        return Err(SynthError::InvalidDesign(format!(
            "`{}` lags its inputs by {latency} cycles (flip-flops on every path), the \
             specification by {}",
            spec.output, spec.latency
        )));
    }
    let out_bits: Vec<Sig> = net
        .outputs
        .iter()
        .find(|(n, _)| *n == spec.output)
        .map(|(_, b)| b.clone())
        .ok_or_else(|| {
            SynthError::InvalidOption(format!("no output port `{}` in the netlist", spec.output))
        })?;
    let ow = out_bits.len() as u32;
    if ow == 0 || ow as usize > MAX_OUTPUT_BITS {
        return Err(SynthError::InvalidOption(format!(
            "output `{}` has {ow} bits: algebraic proofs take 1 to {MAX_OUTPUT_BITS} output bits",
            spec.output
        )));
    }
    let mask = low_mask(ow);
    let drv = net.drivers()?;
    let nets = net.net_count();
    let input_nets: HashMap<u32, (usize, u32)> = net
        .inputs
        .iter()
        .enumerate()
        .flat_map(|(pi, (_, bits))| {
            bits.iter().enumerate().filter_map(move |(b, s)| match s {
                Sig::N(n) => Some((*n, (pi, b as u32))),
                Sig::C(_) => None,
            })
        })
        .collect();
    let mut report = AlgebraReport {
        verdict: AlgebraVerdict::Proven,
        gates: net.gates.len(),
        flops,
        latency,
        enable,
        reset,
        region_gates: 0,
        region_inputs: 0,
        region_check: RegionCheck::NoRegion,
        rewritten: 0,
        peak_terms: 0,
        exclusive_pairs: 0,
        seconds: 0.0,
    };
    let out_nets: Vec<u32> = out_bits.iter().filter_map(|s| s.net()).collect();

    // Step 2: the region and its linear form. An output net is in the region when it is
    // driven and carries a name with the prefix; a net read by a region gate also when it has
    // no public name (a gate inside one generated expression). The rest read by the region
    // is the cut.
    let has_prefix = |n: u32| -> bool {
        opts.region_prefix.as_deref().is_some_and(|p| {
            net.names
                .get(&n)
                .is_some_and(|v| v.iter().any(|s| s.starts_with(p)))
        })
    };
    let mut region: Vec<usize> = Vec::new();
    let mut cut: BTreeSet<u32> = BTreeSet::new();
    if opts.region_prefix.is_some() {
        let mut seen: HashSet<u32> = HashSet::new();
        let mut members: HashSet<usize> = HashSet::new();
        let mut stack: Vec<(u32, bool)> = out_nets.iter().map(|n| (*n, false)).collect();
        while let Some((n, inner)) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            let inside =
                drv.contains_key(&n) && (has_prefix(n) || (inner && !net.names.contains_key(&n)));
            if inside {
                let g = drv[&n];
                members.insert(g);
                for s in &net.gates[g].ins {
                    if let Sig::N(m) = s {
                        stack.push((*m, true));
                    }
                }
            } else {
                cut.insert(n);
            }
        }
        if !members.is_empty() {
            region = net.cone(&drv, &out_nets, &|n| cut.contains(&n))?;
            region.retain(|g| members.contains(g));
        }
    }
    let cut: Vec<u32> = if region.is_empty() {
        out_nets
            .iter()
            .copied()
            .collect::<BTreeSet<u32>>()
            .into_iter()
            .collect()
    } else {
        cut.into_iter().collect()
    };
    report.region_gates = region.len();
    report.region_inputs = if region.is_empty() { 0 } else { cut.len() };
    // Weights of the cut nets: w0 at zero, w_k = R(e_k) - w0.
    let region_value = |assign: &dyn Fn(usize) -> bool| -> Word {
        let mut vals = vec![0u64; nets];
        for (k, n) in cut.iter().enumerate() {
            vals[*n as usize] = if assign(k) { u64::MAX } else { 0 };
        }
        simulate(net, &region, &mut vals);
        lane_value(&out_bits, &vals, 0) & mask
    };
    let w0 = region_value(&|_| false);
    let weights: Vec<Word> = (0..cut.len())
        .map(|k| region_value(&|j| j == k).wrapping_sub(w0) & mask)
        .collect();
    if !region.is_empty() {
        let r = Region {
            net,
            gates: &region,
            cut: &cut,
            out_bits: &out_bits,
            w0,
            weights: &weights,
        };
        let mismatch = if cut.len() <= opts.max_region_inputs {
            report.region_check = RegionCheck::Exhaustive;
            r.mismatch_exhaustive(&budget)?.map(|v| format!("{v:#x}"))
        } else {
            report.region_check = RegionCheck::Cec;
            r.mismatch_cec(opts.time_limit)?
        };
        if let Some(bad) = mismatch {
            // Not linear: look for a real counterexample by simulation.
            report.verdict = match random_counterexample(net, spec, &drv, &out_bits, mask)? {
                Some(v) => AlgebraVerdict::Refuted { counterexample: v },
                None => AlgebraVerdict::Unknown {
                    reason: format!(
                        "the final-adder region is not a weighted sum of its {} boundary nets (differs at boundary value {bad}) and random simulation found no failing input",
                        cut.len()
                    ),
                },
            };
            report.seconds = t0.elapsed().as_secs_f64();
            return Ok(report);
        }
    }

    // Step 3: backward rewriting of L(C) - spec.
    let mut p = Poly::new(ow);
    p.add(Box::new([]), w0.wrapping_sub(word(spec.constant)));
    for (k, n) in cut.iter().enumerate() {
        p.add(Box::new([*n]), weights[k]);
    }
    for t in &spec.terms {
        let bits = &net
            .inputs
            .iter()
            .find(|(n, _)| *n == t.port)
            .ok_or_else(|| SynthError::InvalidOption(format!("no input port `{}`", t.port)))?
            .1;
        for b in 0..t.width {
            let s = bits
                .get((t.lo + b) as usize)
                .copied()
                .unwrap_or(Sig::C(false));
            p.add_sig(s, bit_weight(t, b).wrapping_neg());
        }
    }
    let mut order = net.cone(&drv, &cut, &|_| false)?;
    // Substitution order: nearest the outputs first. A gate's height is the longest path
    // from its output to the cut; every driver is higher than each of its consumers, so
    // this is a reverse topological order. Unlike an order by logic level from the inputs,
    // it substitutes a gate right after its last consumer: in a ripple carry chain whose sum
    // bit is `(a ^ b) ^ c`, the early `a ^ b` goes in next to the sum, before the carry `c`
    // is expanded, so the carry's terms cancel bit by bit instead of multiplying with every
    // `a ^ b` below them (the chain's polynomial grows exponentially the other way: 200 000
    // monomials after 36 gates of a 22-bit ripple adder).
    let mut height = vec![0u32; nets];
    for &g in order.iter().rev() {
        let h = height[net.gates[g].out as usize] + 1;
        for s in &net.gates[g].ins {
            if let Sig::N(n) = s {
                height[*n as usize] = height[*n as usize].max(h);
            }
        }
    }
    order.sort_by_key(|g| {
        let out = net.gates[*g].out;
        (std::cmp::Reverse(height[out as usize]), out)
    });
    let excl = exclusive_pairs(net, &order);
    report.exclusive_pairs = excl.values().map(Vec::len).sum::<usize>() / 2;
    report.peak_terms = p.t.len();
    for (done, &g) in order.iter().rev().enumerate() {
        budget.check("algebraic rewriting", || {
            format!(
                "after {done} of {} gates, at {} monomials",
                order.len(),
                p.t.len()
            )
        })?;
        let y = net.gates[g].out;
        let hits = p.take_with(y);
        if hits.is_empty() {
            continue;
        }
        let gp = gate_poly(&net.gates[g]);
        for (m, c) in hits {
            let rest: Vec<u32> = m.iter().copied().filter(|v| *v != y).collect();
            for (gm, gc) in &gp {
                let nm = union_sorted(&rest, gm);
                if vanishes(&nm, &excl) {
                    continue;
                }
                p.add(nm.into_boxed_slice(), c.wrapping_mul(*gc));
            }
        }
        report.rewritten += 1;
        report.peak_terms = report.peak_terms.max(p.t.len());
        if p.t.len() > opts.max_terms {
            // Wrong designs usually blow up: look for a failing input by simulation.
            report.verdict = match random_counterexample(net, spec, &drv, &out_bits, mask)? {
                Some(v) => AlgebraVerdict::Refuted { counterexample: v },
                None => AlgebraVerdict::Unknown {
                    reason: format!(
                        "the polynomial grew past {} monomials (at net {y}) and random simulation found no failing input",
                        opts.max_terms
                    ),
                },
            };
            report.seconds = t0.elapsed().as_secs_f64();
            return Ok(report);
        }
    }
    if p.t.is_empty() {
        report.seconds = t0.elapsed().as_secs_f64();
        return Ok(report);
    }
    // Step 4: a non-zero remainder. Its smallest monomial gives a counterexample.
    let m =
        p.t.keys()
            .min_by_key(|m| (m.len(), m.to_vec()))
            .cloned()
            .unwrap_or_default();
    if let Some(v) = m.iter().find(|v| !input_nets.contains_key(v)) {
        report.verdict = AlgebraVerdict::Unknown {
            reason: format!(
                "the remainder depends on net {v}, which is neither an input nor driven"
            ),
        };
        report.seconds = t0.elapsed().as_secs_f64();
        return Ok(report);
    }
    let mut vals = vec![0u64; nets];
    for v in m.iter() {
        vals[*v as usize] = u64::MAX;
    }
    let all = net.cone(&drv, &out_nets, &|_| false)?;
    simulate(net, &all, &mut vals);
    let got = lane_value(&out_bits, &vals, 0) & mask;
    let want = spec_value(net, spec, &vals, 0) & mask;
    if got == want {
        return Err(SynthError::InvalidDesign(format!(
            "internal error: non-zero remainder but its counterexample simulates correctly ({got:#x}); report this as a bug"
        )));
    }
    report.verdict = AlgebraVerdict::Refuted {
        counterexample: input_values(net, &vals, 0),
    };
    report.seconds = t0.elapsed().as_secs_f64();
    Ok(report)
}

/// Every input port's value in `lane`.
fn input_values(net: &Netlist, vals: &[u64], lane: u32) -> Vec<(String, Bits)> {
    net.inputs
        .iter()
        .map(|(name, bits)| {
            let mut b = Bits::zero(bits.len().max(1) as u32);
            for (i, s) in bits.iter().enumerate() {
                if (sig_val(*s, vals) >> lane) & 1 == 1 {
                    b.set_bit(i as u32, true);
                }
            }
            (name.clone(), b)
        })
        .collect()
}

/// A final-adder region and the linear form `w0 + sum weights[k] * cut[k] mod 2^ow` it must
/// equal for every value of its boundary (bit k of a boundary value is net `cut[k]`).
#[derive(Clone, Copy)]
struct Region<'a> {
    net: &'a Netlist,
    /// Its gates, in topological order.
    gates: &'a [usize],
    cut: &'a [u32],
    /// The output port's bits (ow of them).
    out_bits: &'a [Sig],
    w0: Word,
    weights: &'a [Word],
}

impl Region<'_> {
    /// Checks the region on every value of the cut (64 at a time); the first failing cut value.
    fn mismatch_exhaustive(&self, budget: &Budget) -> Result<Option<u64>, SynthError> {
        let Region {
            net,
            gates: region,
            cut,
            out_bits,
            w0,
            weights,
        } = *self;
        let ow = out_bits.len() as u32;
        let k = cut.len();
        let low = k.min(6);
        const PAT: [u64; 6] = [
            0xaaaa_aaaa_aaaa_aaaa,
            0xcccc_cccc_cccc_cccc,
            0xf0f0_f0f0_f0f0_f0f0,
            0xff00_ff00_ff00_ff00,
            0xffff_0000_ffff_0000,
            0xffff_ffff_0000_0000,
        ];
        // Expected value per lane from the low nets, bit-sliced.
        let mut low_val: [Word; 64] = [Word::ZERO; 64];
        for (lane, lv) in low_val.iter_mut().enumerate() {
            let mut v = w0;
            for (j, w) in weights.iter().enumerate().take(low) {
                if (lane >> j) & 1 == 1 {
                    v = v.wrapping_add(*w);
                }
            }
            *lv = v;
        }
        let slice = |vals: &[Word; 64], i: u32| -> u64 {
            vals.iter().enumerate().fold(0u64, |acc, (l, v)| {
                acc | (u64::from(v.bit(i as usize)) << l)
            })
        };
        let low_sliced: Vec<u64> = (0..ow).map(|i| slice(&low_val, i)).collect();
        let blocks: u64 = 1u64 << (k - low);
        let mut vals = vec![0u64; net.net_count()];
        for blk in 0..blocks {
            if blk % 1024 == 0 {
                budget.check("the exhaustive check of the final-adder region", || {
                    format!("after {} of 2^{k} boundary values", blk << low)
                })?;
            }
            let mut high = Word::ZERO;
            for (j, n) in cut.iter().enumerate() {
                let v = if j < low {
                    PAT[j]
                } else if (blk >> (j - low)) & 1 == 1 {
                    high = high.wrapping_add(weights[j]);
                    u64::MAX
                } else {
                    0
                };
                vals[*n as usize] = v;
            }
            simulate(net, region, &mut vals);
            // Expected = low_sliced + high (bit-sliced add of a scalar).
            let mut carry = 0u64;
            let mut diff = 0u64;
            for i in 0..ow {
                let a = low_sliced[i as usize];
                let b = if high.bit(i as usize) { u64::MAX } else { 0 };
                let e = a ^ b ^ carry;
                carry = (a & b) | (a & carry) | (b & carry);
                diff |= e ^ sig_val(out_bits[i as usize], &vals);
            }
            if diff != 0 {
                let lane = diff.trailing_zeros() as u64;
                return Ok(Some((blk << low) | lane));
            }
        }
        Ok(None)
    }

    /// The region as a module `nicc_region` of its own: input `c` (bit k is `cut[k]`), output
    /// `y` (the output bits), one wire `n<net>` per gate.
    fn design(&self) -> Result<Design, SynthError> {
        let what = "the final-adder region";
        let mut m = ModuleBuilder::new("nicc_region");
        let c = m.input("c", self.cut.len() as u32);
        let mut sig: HashMap<u32, Signal> = self
            .cut
            .iter()
            .enumerate()
            .map(|(k, n)| (*n, c.bit(k as u32)))
            .collect();
        print_gates(&mut m, self.net, self.gates, &mut sig, "", what)?;
        let y = print_bits(&sig, self.out_bits, what)?;
        m.output("y", &y);
        finish_printed(m, what)
    }

    /// [`Region::mismatch_exhaustive`] for a boundary too wide to enumerate: `yosys-abc cec` of
    /// the region against its linear form (each tool run within `time_limit`); a boundary value
    /// where they differ, in hex.
    fn mismatch_cec(&self, time_limit: Option<Duration>) -> Result<Option<String>, SynthError> {
        let region = self.design()?;
        let linear = linear_design(self.w0, self.weights, self.out_bits.len() as u32)?;
        let opts = EquivOptions {
            mode: EquivMode::Combinational,
            time_limit,
            ..EquivOptions::default()
        };
        Ok(match check_equiv(&linear, &region, &opts)? {
            EquivResult::NotEquivalent { counterexample, .. } => Some(
                counterexample
                    .iter()
                    .find(|(n, _)| n == "c")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_else(|| "(none reported)".into()),
            ),
            _ => None,
        })
    }
}

/// Prints `gates` (topological order) of `net` into `m`, one wire `<prefix>n<net>` each: `sig` holds
/// the signals of the nets they read from outside and receives theirs. `what` names the part
/// in errors.
fn print_gates(
    m: &mut ModuleBuilder,
    net: &Netlist,
    gates: &[usize],
    sig: &mut HashMap<u32, Signal>,
    prefix: &str,
    what: &str,
) -> Result<(), SynthError> {
    for &g in gates {
        let gate = &net.gates[g];
        let v: Vec<Signal> = gate
            .ins
            .iter()
            .map(|s| print_sig(sig, *s, what))
            .collect::<Result<_, _>>()?;
        use GateKind::*;
        let y = match gate.kind {
            Buf => v[0].clone(),
            Not => !&v[0],
            And => &v[0] & &v[1],
            Or => &v[0] | &v[1],
            Xor => &v[0] ^ &v[1],
            Nand => !(&v[0] & &v[1]),
            Nor => !(&v[0] | &v[1]),
            Xnor => !(&v[0] ^ &v[1]),
            AndNot => &v[0] & !&v[1],
            OrNot => &v[0] | !&v[1],
            Mux => v[2].mux(&v[1], &v[0]),
            NMux => !v[2].mux(&v[1], &v[0]),
            Aoi3 => !((&v[0] & &v[1]) | &v[2]),
            Oai3 => !((&v[0] | &v[1]) & &v[2]),
            Aoi4 => !((&v[0] & &v[1]) | (&v[2] & &v[3])),
            Oai4 => !((&v[0] | &v[1]) & (&v[2] | &v[3])),
        };
        let w = m.wire(&format!("{prefix}n{}", gate.out), &y);
        sig.insert(gate.out, w);
    }
    Ok(())
}

/// The printed signal of one bit.
fn print_sig(sig: &HashMap<u32, Signal>, s: Sig, what: &str) -> Result<Signal, SynthError> {
    match s {
        Sig::C(b) => Ok(Signal::lit(1, b as u64)),
        Sig::N(n) => sig.get(&n).cloned().ok_or_else(|| {
            SynthError::InvalidDesign(format!(
                "net {n} is read by {what} but is neither driven in it nor one of its inputs"
            ))
        }),
    }
}

/// The printed bits as one word, bit 0 least significant.
fn print_bits(sig: &HashMap<u32, Signal>, bits: &[Sig], what: &str) -> Result<Signal, SynthError> {
    let v: Vec<Signal> = bits
        .iter()
        .rev()
        .map(|s| print_sig(sig, *s, what))
        .collect::<Result<_, _>>()?;
    Ok(Signal::concat(&v))
}

fn finish_printed(m: ModuleBuilder, what: &str) -> Result<Design, SynthError> {
    let module = m
        .finish()
        .map_err(|e| SynthError::InvalidDesign(format!("{what}: {e}")))?;
    emit(&module).map_err(|e| SynthError::InvalidDesign(format!("{what}: {e}")))
}

/// `y = w0 + sum_k weights[k] * c[k] mod 2^ow` as a module with [`Region::design`]'s ports.
/// Boundary nets whose weight is a power of two are laid into rows (one net per bit
/// position per row), so a two-row carry-propagate adder's form is `w0 + row0 + row1`, an
/// addition `cec` proves against any adder structure in well under a second; other
/// weights are added as `{ow{c[k]}} & weight`.
fn linear_design(w0: Word, weights: &[Word], ow: u32) -> Result<Design, SynthError> {
    let mut m = ModuleBuilder::new("nicc_region");
    let c = m.input("c", weights.len() as u32);
    let mut rows: Vec<Vec<Option<usize>>> = Vec::new();
    let mut terms: Vec<Signal> = Vec::new();
    for (k, w) in weights.iter().enumerate() {
        if w.is_zero() {
            continue;
        }
        if w.is_power_of_two() {
            let b = w.trailing_zeros();
            match rows.iter_mut().find(|r| r[b].is_none()) {
                Some(r) => r[b] = Some(k),
                None => {
                    let mut r = vec![None; ow as usize];
                    r[b] = Some(k);
                    rows.push(r);
                }
            }
        } else {
            terms.push(&c.bit(k as u32).repeat(ow) & &Signal::constant(word_bits(ow, *w), false));
        }
    }
    for r in &rows {
        let bits: Vec<Signal> = r
            .iter()
            .rev()
            .map(|b| match b {
                Some(k) => c.bit(*k as u32),
                None => Signal::lit(1, 0),
            })
            .collect();
        terms.push(Signal::concat(&bits));
    }
    let y = terms
        .iter()
        .fold(Signal::constant(word_bits(ow, w0), false), |acc, t| {
            acc.add_w(t, ow)
        });
    m.output("y", &y);
    let module = m
        .finish()
        .map_err(|e| SynthError::InvalidDesign(format!("the region's linear form: {e}")))?;
    emit(&module).map_err(|e| SynthError::InvalidDesign(format!("the region's linear form: {e}")))
}

/// Random simulation of the whole netlist against the spec (64 x 256 vectors).
fn random_counterexample(
    net: &Netlist,
    spec: &LinearSpec,
    drv: &HashMap<u32, usize>,
    out_bits: &[Sig],
    mask: Word,
) -> Result<Option<Vec<(String, Bits)>>, SynthError> {
    let roots: Vec<u32> = out_bits.iter().filter_map(|s| s.net()).collect();
    let order = net.cone(drv, &roots, &|_| false)?;
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..256 {
        let mut vals = vec![0u64; net.net_count()];
        for (_, bits) in &net.inputs {
            for s in bits {
                if let Sig::N(n) = s {
                    vals[*n as usize] = rng.next();
                }
            }
        }
        simulate(net, &order, &mut vals);
        for lane in 0..64 {
            let got = lane_value(out_bits, &vals, lane) & mask;
            let want = spec_value(net, spec, &vals, lane) & mask;
            if got != want {
                return Ok(Some(input_values(net, &vals, lane)));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full adder `s + 2c = a + b + ci` as a netlist with inputs a, b, ci (nets 2, 3, 4).
    fn full_adder(broken: bool) -> Netlist {
        let g = |kind, ins: &[u32], out| Gate {
            kind,
            ins: ins.iter().map(|n| Sig::N(*n)).collect(),
            out,
        };
        Netlist {
            inputs: vec![
                ("a".into(), vec![Sig::N(2)]),
                ("b".into(), vec![Sig::N(3)]),
                ("ci".into(), vec![Sig::N(4)]),
            ],
            outputs: vec![("y".into(), vec![Sig::N(6), Sig::N(9)])],
            gates: vec![
                g(GateKind::Xor, &[2, 3], 5),
                g(GateKind::Xor, &[5, 4], 6),
                g(GateKind::And, &[2, 3], 7),
                g(GateKind::And, &[5, 4], 8),
                g(
                    if broken { GateKind::And } else { GateKind::Or },
                    &[7, 8],
                    9,
                ),
            ],
            flops: Vec::new(),
            names: HashMap::new(),
        }
    }

    fn spec() -> LinearSpec {
        let t = |p: &str| LinearTerm {
            port: p.into(),
            lo: 0,
            width: 1,
            signed: false,
            weight: 1,
        };
        LinearSpec {
            output: "y".into(),
            constant: 0,
            terms: vec![t("a"), t("b"), t("ci")],
            latency: 0,
        }
    }

    #[test]
    fn a_full_adder_is_proven() {
        let r = prove_netlist(&full_adder(false), &spec(), &AlgebraOptions::default()).unwrap();
        assert_eq!(r.verdict, AlgebraVerdict::Proven, "{r}");
    }

    /// The limit is checked at every gate: a limit that has passed before the first one stops
    /// the rewriting, saying how far it got.
    #[test]
    fn the_time_limit_stops_the_rewriting() {
        let opts = AlgebraOptions {
            time_limit: Some(Duration::from_nanos(1)),
            ..AlgebraOptions::default()
        };
        let e = prove_netlist(&full_adder(false), &spec(), &opts).unwrap_err();
        assert!(
            matches!(&e, SynthError::ProofTimedOut { step, .. } if step == "algebraic rewriting"),
            "{e}"
        );
        assert!(
            e.to_string().starts_with(
                "algebraic rewriting did not finish within the time limit of 0.000000001 s and \
                 was stopped (after 0 of 5 gates, at "
            ),
            "{e}"
        );
        let zero = AlgebraOptions {
            time_limit: Some(Duration::ZERO),
            ..AlgebraOptions::default()
        };
        let e = prove_netlist(&full_adder(false), &spec(), &zero).unwrap_err();
        assert!(
            e.to_string().contains("time limit 0 s: give a positive"),
            "{e}"
        );
    }

    #[test]
    fn a_broken_full_adder_is_refuted_with_a_real_counterexample() {
        let r = prove_netlist(&full_adder(true), &spec(), &AlgebraOptions::default()).unwrap();
        let AlgebraVerdict::Refuted { counterexample } = &r.verdict else {
            panic!("expected a refutation, got {r}");
        };
        // The broken carry (ab & (a^b)ci) is always 0: wrong where at least two inputs are 1.
        let v = |n: &str| {
            counterexample
                .iter()
                .find(|(p, _)| p == n)
                .unwrap()
                .1
                .to_u64()
                .unwrap()
        };
        assert!(v("a") + v("b") + v("ci") >= 2, "{r}");
    }

    #[test]
    fn gate_polynomials_match_their_truth_tables() {
        let xor = Gate {
            kind: GateKind::Xor,
            ins: vec![Sig::N(1), Sig::N(2)],
            out: 3,
        };
        let mut p = gate_poly(&xor);
        p.sort();
        assert_eq!(
            p,
            vec![
                (vec![1], word(1)),
                (vec![1, 2], word(-2)),
                (vec![2], word(1))
            ]
        );
        let mux = Gate {
            kind: GateKind::Mux,
            ins: vec![Sig::N(1), Sig::C(true), Sig::N(2)],
            out: 3,
        };
        // s ? 1 : a = a + s - a s
        let mut p = gate_poly(&mux);
        p.sort();
        assert_eq!(
            p,
            vec![
                (vec![1], word(1)),
                (vec![1, 2], Word::MAX),
                (vec![2], word(1))
            ]
        );
    }

    /// Every gate kind as [`Region::design`] prints it equals its truth table from
    /// [`GateKind::eval`]: one region with one gate of each kind over the boundary nets 1..=4,
    /// proven equal (`cec`) to a module that looks each gate's output up in its table.
    #[test]
    fn region_design_prints_every_gate_kind_as_its_truth_table() {
        use GateKind::*;
        let kinds = [
            Buf, Not, And, Or, Xor, Nand, Nor, Xnor, AndNot, OrNot, Mux, NMux, Aoi3, Oai3, Aoi4,
            Oai4,
        ];
        let arity = |k: GateKind| match k {
            Buf | Not => 1,
            Mux | NMux | Aoi3 | Oai3 => 3,
            Aoi4 | Oai4 => 4,
            _ => 2,
        };
        let gates: Vec<Gate> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| Gate {
                kind: *k,
                ins: (1..=arity(*k)).map(Sig::N).collect(),
                out: 10 + i as u32,
            })
            .collect();
        let net = Netlist {
            gates,
            ..Netlist::default()
        };
        let region: Vec<usize> = (0..kinds.len()).collect();
        let out_bits: Vec<Sig> = (0..kinds.len()).map(|i| Sig::N(10 + i as u32)).collect();
        let printed = Region {
            net: &net,
            gates: &region,
            cut: &[1, 2, 3, 4],
            out_bits: &out_bits,
            w0: Word::ZERO,
            weights: &[],
        }
        .design()
        .unwrap();
        let mut m = ModuleBuilder::new("nicc_region");
        let c = m.input("c", 4);
        let bits: Vec<Signal> = kinds
            .iter()
            .rev()
            .map(|k| {
                let table = (0..16u64).fold(0u64, |t, v| {
                    let ins: Vec<u64> = (0..4).map(|b| 0u64.wrapping_sub((v >> b) & 1)).collect();
                    t | ((k.eval(&ins[..arity(*k) as usize]) & 1) << v)
                });
                Signal::lit(16, table).shr_var(&c).bit(0)
            })
            .collect();
        m.output("y", &Signal::concat(&bits));
        let tables = emit(&m.finish().unwrap()).unwrap();
        let r = check_equiv(&tables, &printed, &EquivOptions::default()).unwrap();
        assert_eq!(r, EquivResult::Equivalent, "{r}");
    }

    /// [`linear_design`] computes `w0 + sum w_k c_k mod 2^ow` for every boundary value: two
    /// nets of one power-of-two weight (two rows), a weight that is not a power of two, a
    /// zero weight; against a module that selects the sum computed here for each value.
    #[test]
    fn linear_design_is_the_weighted_sum() {
        let (w0, weights, ow) = (3u128, [1u128, 2, 2, 5, 0, 8], 4);
        let form = linear_design(word(w0 as i64), &weights.map(|w| word(w as i64)), ow).unwrap();
        let mut m = ModuleBuilder::new("nicc_region");
        let c = m.input("c", weights.len() as u32);
        let y = (0..1u64 << weights.len()).fold(Signal::lit(ow, 0), |acc, v| {
            let sum = weights
                .iter()
                .enumerate()
                .filter(|(k, _)| (v >> k) & 1 == 1)
                .fold(w0, |s, (_, w)| s + w)
                % (1 << ow);
            c.eq_lit(v)
                .mux(&Signal::constant(Bits::from_u128(ow, sum), false), &acc)
        });
        m.output("y", &y);
        let table = emit(&m.finish().unwrap()).unwrap();
        let r = check_equiv(&table, &form, &EquivOptions::default()).unwrap();
        assert_eq!(r, EquivResult::Equivalent, "{r}");
    }

    /// The `cec` region check and the exhaustive one agree on the full adder (the whole
    /// netlist as the region, its inputs the boundary): linear when it is right; when its carry
    /// is broken both find a boundary value, and the one `cec` reports is a real mismatch.
    #[test]
    fn the_cec_region_check_agrees_with_the_exhaustive_one() {
        let budget = Budget {
            start: Instant::now(),
            limit: None,
        };
        let cut = [2u32, 3, 4];
        let out = [Sig::N(6), Sig::N(9)];
        let weights = [Word::ONE; 3];
        for broken in [false, true] {
            let net = full_adder(broken);
            let region: Vec<usize> = (0..net.gates.len()).collect();
            let r = Region {
                net: &net,
                gates: &region,
                cut: &cut,
                out_bits: &out,
                w0: Word::ZERO,
                weights: &weights,
            };
            let exhaustive = r.mismatch_exhaustive(&budget).unwrap();
            let cec = r.mismatch_cec(None).unwrap();
            assert_eq!(exhaustive.is_some(), broken, "{exhaustive:?}");
            assert_eq!(cec.is_some(), broken, "{cec:?}");
            if let Some(v) = cec {
                let v = u64::from_str_radix(v.trim_start_matches("3'h"), 16).unwrap();
                let mut vals = vec![0u64; net.net_count()];
                for (k, n) in cut.iter().enumerate() {
                    vals[*n as usize] = 0u64.wrapping_sub((v >> k) & 1);
                }
                simulate(&net, &region, &mut vals);
                assert_ne!(
                    lane_value(&out, &vals, 0),
                    word(v.count_ones().into()),
                    "{v:#x}"
                );
            }
        }
    }

    /// [`full_adder`] with a flip-flop of type `kinds[i]` (clock net 1) on input i: nets 12,
    /// 13 and 14 are a, b and ci one cycle late.
    fn piped_full_adder(broken: bool, kinds: [&str; 3]) -> Netlist {
        let mut net = full_adder(broken);
        for g in &mut net.gates {
            for s in &mut g.ins {
                if let Sig::N(n @ 2..=4) = s {
                    *n += 10;
                }
            }
        }
        net.inputs.push(("clk".into(), vec![Sig::N(1)]));
        net.flops = (0..3u32)
            .map(|i| Flop {
                name: format!("q{i}"),
                kind: kinds[i as usize].into(),
                d: Sig::N(2 + i),
                clk: Sig::N(1),
                en: None,
                srst: None,
                q: 12 + i,
            })
            .collect();
        net
    }

    fn with_latency(latency: u32) -> LinearSpec {
        LinearSpec { latency, ..spec() }
    }

    fn refusal(net: &Netlist, spec: &LinearSpec) -> String {
        prove_netlist(net, spec, &AlgebraOptions::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_pipelined_full_adder_is_proven_with_its_latency() {
        let plain = [Flop::PLAIN; 3];
        let net = piped_full_adder(false, plain);
        let r = prove_netlist(&net, &with_latency(1), &AlgebraOptions::default()).unwrap();
        assert_eq!(r.verdict, AlgebraVerdict::Proven, "{r}");
        assert_eq!((r.flops, r.latency, r.gates), (3, 1, 5), "{r}");
        assert!(
            r.to_string().contains("3 flip-flops, latency 1 cycle;"),
            "{r}"
        );
        let e = refusal(&net, &spec());
        assert!(e.contains("lags its inputs by 1 cycles"), "{e}");
        let e = refusal(&net, &with_latency(2));
        assert!(e.contains("the specification by 2"), "{e}");
        let r = prove_netlist(
            &piped_full_adder(true, plain),
            &with_latency(1),
            &AlgebraOptions::default(),
        )
        .unwrap();
        assert!(matches!(r.verdict, AlgebraVerdict::Refuted { .. }), "{r}");
    }

    /// A flip-flop whose D is a constant is that constant (from the first edge on).
    #[test]
    fn a_flip_flop_of_a_constant_is_the_constant() {
        let mut net = piped_full_adder(false, [Flop::PLAIN; 3]);
        net.flops[2].d = Sig::C(true);
        let spec = LinearSpec {
            constant: 1,
            terms: spec().terms[..2].to_vec(),
            ..with_latency(1)
        };
        let r = prove_netlist(&net, &spec, &AlgebraOptions::default()).unwrap();
        assert_eq!(r.verdict, AlgebraVerdict::Proven, "{r}");
        let without = LinearSpec {
            constant: 0,
            ..spec
        };
        let r = prove_netlist(&net, &without, &AlgebraOptions::default()).unwrap();
        assert!(matches!(r.verdict, AlgebraVerdict::Refuted { .. }), "{r}");
    }

    #[test]
    fn unbalanced_and_feedback_pipelines_are_refused() {
        // ci's flip-flop bypassed: the sum's first XOR reads depth 1, the second depth 0.
        let mut net = piped_full_adder(false, [Flop::PLAIN; 3]);
        for g in &mut net.gates {
            for s in &mut g.ins {
                if *s == Sig::N(14) {
                    *s = Sig::N(4);
                }
            }
        }
        let e = refusal(&net, &with_latency(1));
        assert!(
            e.contains("`y`: not a balanced pipeline: the gate driving net 6 reads"),
            "{e}"
        );
        // The carry registered once more than the sum.
        let mut net = full_adder(false);
        net.inputs.push(("clk".into(), vec![Sig::N(1)]));
        net.flops.push(Flop {
            name: "cq".into(),
            kind: Flop::PLAIN.into(),
            d: Sig::N(9),
            clk: Sig::N(1),
            en: None,
            srst: None,
            q: 19,
        });
        net.outputs[0].1[1] = Sig::N(19);
        let e = refusal(&net, &with_latency(1));
        assert!(e.contains("output bit net 6 is at register depth 0"), "{e}");
        // a's flip-flop reads the sum's first XOR: a loop.
        let mut net = piped_full_adder(false, [Flop::PLAIN; 3]);
        net.flops[0].d = Sig::N(5);
        let e = refusal(&net, &with_latency(1));
        assert!(e.contains("a feedback loop through"), "{e}");
    }

    /// Flip-flops with an enable and a synchronous reset are looked through when they all
    /// share them (the pipeline advances when the enable is 1, the reset held at 0).
    #[test]
    fn an_enabled_pipeline_is_proven_and_a_mixed_one_refused() {
        let mut net = piped_full_adder(false, ["$_SDFFE_PP0P_"; 3]);
        net.inputs.push(("rst".into(), vec![Sig::N(20)]));
        net.inputs.push(("en".into(), vec![Sig::N(21)]));
        net.names.insert(20, vec!["rst".into()]);
        net.names.insert(21, vec!["en".into()]);
        for f in &mut net.flops {
            f.en = Some(Sig::N(21));
            f.srst = Some(Sig::N(20));
        }
        let r = prove_netlist(&net, &with_latency(1), &AlgebraOptions::default()).unwrap();
        assert_eq!(r.verdict, AlgebraVerdict::Proven, "{r}");
        assert!(
            r.to_string()
                .contains("3 flip-flops, latency 1 cycle with `en` = 1, `rst` held at 0;"),
            "{r}"
        );
        // One flip-flop on another enable, one without, one with a reset that is not an input.
        for (en, srst) in [
            (Some(Sig::N(20)), Some(Sig::N(20))),
            (None, Some(Sig::N(20))),
            (Some(Sig::N(21)), Some(Sig::N(5))),
        ] {
            let mut bad = net.clone();
            bad.flops[1].en = en;
            bad.flops[1].srst = srst;
            let e = refusal(&bad, &with_latency(1));
            assert!(
                e.contains("flip-flop q1") && e.contains("single-clock pipelines"),
                "{e}"
            );
        }
    }

    /// The collapsed pipeline, printed, is the combinational full adder (`cec`); a printed
    /// core may read only the inputs it is given.
    #[test]
    fn a_collapsed_pipeline_prints_as_its_combinational_netlist() {
        let abc = ["a", "b", "ci"];
        let comb = full_adder(false).design("fa", &abc).unwrap();
        for broken in [false, true] {
            let c = piped_full_adder(broken, [Flop::PLAIN; 3])
                .collapse_flops(&["y"], &[])
                .unwrap();
            assert_eq!((c.latency, c.flops), (Some(1), 3));
            let core = c.net.design("fa", &abc).unwrap();
            let r = check_equiv(&comb, &core, &EquivOptions::default()).unwrap();
            assert_eq!(r.is_equivalent(), !broken, "{r}");
        }
        let e = full_adder(false).design("fa", &abc[..2]).unwrap_err();
        assert!(
            e.to_string()
                .contains("the combinational core of `fa` reads input `ci`, which is not one of its inputs (a, b)"),
            "{e}"
        );
    }

    /// A register named in `free` becomes an input port; a collapsed flip-flop may not read
    /// it, and a name that matches no register is an error.
    #[test]
    fn a_cut_register_becomes_an_input() {
        let mut net = piped_full_adder(false, [Flop::PLAIN; 3]);
        net.names.insert(12, vec!["aq".into()]);
        let c = net.collapse_flops(&["y"], &["aq"]).unwrap();
        assert_eq!((c.latency, c.flops), (Some(1), 2));
        assert_eq!(
            c.net.inputs.last(),
            Some(&("aq".to_string(), vec![Sig::N(12)]))
        );
        let core = c.net.design("fa", &["aq", "b", "ci"]).unwrap();
        let comb = full_adder(false);
        let comb = Netlist {
            inputs: vec![
                ("aq".into(), vec![Sig::N(2)]),
                ("b".into(), vec![Sig::N(3)]),
                ("ci".into(), vec![Sig::N(4)]),
            ],
            ..comb
        };
        let r = check_equiv(
            &comb.design("fa", &["aq", "b", "ci"]).unwrap(),
            &core,
            &EquivOptions::default(),
        )
        .unwrap();
        assert!(r.is_equivalent(), "{r}");
        let mut reads = net.clone();
        reads.flops[1].d = Sig::N(12);
        let e = reads
            .collapse_flops(&["y"], &["aq"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("flip-flop q1 reads a register that is cut (aq)"),
            "{e}"
        );
        let e = net
            .collapse_flops(&["y"], &["nope"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no register `nope` in the netlist to cut"),
            "{e}"
        );
    }

    #[test]
    fn flip_flops_with_an_asynchronous_reset_or_another_clock_are_refused() {
        let net = piped_full_adder(false, [Flop::PLAIN, "$_DFF_PP0_", Flop::PLAIN]);
        let e = refusal(&net, &with_latency(1));
        assert!(
            e.contains("flip-flop q1 ($_DFF_PP0_) drives net 13 in the cone of `y`"),
            "{e}"
        );
        for clk in [Sig::N(5), Sig::N(20)] {
            let mut net = piped_full_adder(false, [Flop::PLAIN; 3]);
            net.inputs.push(("clk2".into(), vec![Sig::N(20)]));
            net.flops[1].clk = clk;
            let e = refusal(&net, &with_latency(1));
            assert!(e.contains("single-clock pipelines"), "{e}");
        }
    }

    /// Outputs of 1 to 512 bits are taken (coefficients are 512-bit words); others are
    /// refused naming the limit.
    #[test]
    fn output_widths_outside_1_to_512_bits_are_refused() {
        for (bits, ok) in [(0, false), (1, true), (512, true), (513, false)] {
            let net = Netlist {
                outputs: vec![("y".into(), vec![Sig::C(false); bits])],
                ..Netlist::default()
            };
            let spec = LinearSpec {
                terms: Vec::new(),
                ..spec()
            };
            let r = prove_netlist(&net, &spec, &AlgebraOptions::default());
            match r {
                Ok(r) => {
                    assert!(ok, "{bits} bits: {r}");
                    assert_eq!(r.verdict, AlgebraVerdict::Proven, "{r}");
                }
                Err(e) => {
                    assert!(!ok, "{bits} bits: {e}");
                    let want = format!(
                        "output `y` has {bits} bits: algebraic proofs take 1 to 512 output bits"
                    );
                    assert!(e.to_string().contains(&want), "{e}");
                }
            }
        }
    }

    #[test]
    fn sorted_union() {
        assert_eq!(union_sorted(&[1, 4, 7], &[2, 4, 9]), vec![1, 2, 4, 7, 9]);
        assert_eq!(union_sorted(&[], &[3]), vec![3]);
    }
}
