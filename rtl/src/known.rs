//! Known-bits analysis: which bits of a signal are the same constant whatever the module's
//! inputs, registers and memories hold.
//!
//! Three-valued logic per bit (0, 1, unknown), evaluated through the expression and through
//! the drivers of wires. Registers, inputs, instance outputs and memory reads are unknown,
//! except input ports given as known: [`of_expr_given`] analyses a module as a parent
//! instantiates it, with the bits [`instance_inputs`] finds constant in what it drives.
//! Sums and differences ripple bit by bit (an even offset plus an even length keeps bit 0
//! known); comparisons, products and variable shifts are known only when that follows
//! directly from their operands' known bits. The analysis is sound (a bit reported known has
//! that value in every state) but not complete.
//!
//! Generators use it to leave constant bits out of pipeline registers
//! ([`ModuleBuilder::known_bits`]): Yosys removes such flip-flops too, but one pipeline stage
//! per pass of its `opt` loop.

use crate::builder::ModuleBuilder;
use crate::ir::{
    BinOp, CmpOp, Expr, ExprKind, ExprRef, Instance, Module, Net, NetId, NetKind, RedOp,
    ShiftAmount, ShiftOp, UnOp,
};
use crate::signal::Signal;
use std::collections::HashMap;
use std::rc::Rc;

/// Per-bit knowledge of a value, bit 0 first: `Some(v)` = always `v`, `None` = varies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownBits(pub Vec<Option<bool>>);

impl KnownBits {
    fn unknown(width: u32) -> KnownBits {
        KnownBits(vec![None; width as usize])
    }

    /// Number of bits.
    pub fn width(&self) -> u32 {
        self.0.len() as u32
    }

    /// Bit `i`.
    pub fn bit(&self, i: u32) -> Option<bool> {
        self.0[i as usize]
    }

    /// True when every bit is known.
    pub fn all_known(&self) -> bool {
        self.0.iter().all(Option::is_some)
    }

    /// True when no bit is known.
    pub fn none_known(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }

    /// Maximal runs of bits as `(lo, width, value)`: `value` is `Some(constant)` for a run of
    /// known bits (bit 0 of the constant = bit `lo`), `None` for a run of unknown ones.
    pub fn runs(&self) -> Vec<(u32, u32, Option<u64>)> {
        let mut out: Vec<(u32, u32, Option<u64>)> = Vec::new();
        for (i, b) in self.0.iter().enumerate() {
            let i = i as u32;
            match (out.last_mut(), b) {
                (Some((_, w, Some(v))), Some(x)) if *w < 64 => {
                    *v |= u64::from(*x) << *w;
                    *w += 1;
                }
                (Some((_, w, None)), None) => *w += 1,
                _ => out.push((i, 1, b.map(u64::from))),
            }
        }
        out
    }
}

fn not3(a: Option<bool>) -> Option<bool> {
    a.map(|x| !x)
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    not3(and3(not3(a), not3(b)))
}

fn xor3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    Some(a? ^ b?)
}

/// Ripple sum of `a + b + carry_in` in three-valued logic.
fn add3(a: &[Option<bool>], b: &[Option<bool>], carry_in: bool) -> Vec<Option<bool>> {
    let mut c = Some(carry_in);
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let s = xor3(xor3(x, y), c);
            // Majority: known when two of the three agree on a known value.
            c = or3(or3(and3(x, y), and3(x, c)), and3(y, c));
            s
        })
        .collect()
}

struct Walk<'a> {
    nets_of: &'a [Net],
    exprs: HashMap<*const Expr, Rc<Vec<Option<bool>>>>,
    nets: HashMap<NetId, Rc<Vec<Option<bool>>>>,
}

impl Walk<'_> {
    fn net(&mut self, id: NetId, width: u32) -> Rc<Vec<Option<bool>>> {
        if let Some(k) = self.nets.get(&id) {
            return k.clone();
        }
        // Unknown while it is being computed: a combinational loop stays unknown.
        let unknown = Rc::new(KnownBits::unknown(width).0);
        self.nets.insert(id, unknown.clone());
        let n = &self.nets_of[id];
        let k = match (&n.kind, &n.driver) {
            (NetKind::Wire | NetKind::Output, Some(d)) => self.expr(&d.clone()),
            _ => unknown,
        };
        self.nets.insert(id, k.clone());
        k
    }

    fn expr(&mut self, e: &Rc<Expr>) -> Rc<Vec<Option<bool>>> {
        let key = Rc::as_ptr(e);
        if let Some(k) = self.exprs.get(&key) {
            return k.clone();
        }
        let k = Rc::new(self.compute(e));
        self.exprs.insert(key, k.clone());
        k
    }

    fn compute(&mut self, e: &Expr) -> Vec<Option<bool>> {
        let w = e.width as usize;
        let unknown = || vec![None; w];
        match &e.kind {
            ExprKind::Const(b) => (0..e.width).map(|i| Some(b.bit(i))).collect(),
            ExprKind::Net(id) => self.net(*id, e.width).to_vec(),
            ExprKind::Unary(UnOp::Not, a) => self.expr(a).iter().map(|&x| not3(x)).collect(),
            ExprKind::Unary(UnOp::Neg, a) => {
                let na: Vec<_> = self.expr(a).iter().map(|&x| not3(x)).collect();
                add3(&na, &vec![Some(false); w], true)
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                match op {
                    BinOp::And => a.iter().zip(b.iter()).map(|(&x, &y)| and3(x, y)).collect(),
                    BinOp::Or => a.iter().zip(b.iter()).map(|(&x, &y)| or3(x, y)).collect(),
                    BinOp::Xor => a.iter().zip(b.iter()).map(|(&x, &y)| xor3(x, y)).collect(),
                    BinOp::Add => add3(&a, &b, false),
                    BinOp::Sub => {
                        let nb: Vec<_> = b.iter().map(|&x| not3(x)).collect();
                        add3(&a, &nb, true)
                    }
                    BinOp::Mul => {
                        if a.iter().chain(b.iter()).all(|x| x.is_some()) {
                            let bits = |v: &[Option<bool>]| {
                                let mut x = crate::Bits::zero(v.len() as u32);
                                for (i, b) in v.iter().enumerate() {
                                    x.set_bit(i as u32, b.unwrap_or(false));
                                }
                                x
                            };
                            let p = bits(&a).mul(&bits(&b));
                            (0..e.width).map(|i| Some(p.bit(i))).collect()
                        } else {
                            unknown()
                        }
                    }
                }
            }
            ExprKind::Cmp(op, _, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                // Equality is decided by one known differing bit; orderings need every bit.
                let differ = a
                    .iter()
                    .zip(b.iter())
                    .any(|(x, y)| matches!((x, y), (Some(p), Some(q)) if p != q));
                let same = a.iter().zip(b.iter()).all(|(x, y)| x.is_some() && x == y);
                match op {
                    CmpOp::Eq if differ => vec![Some(false)],
                    CmpOp::Ne if differ => vec![Some(true)],
                    CmpOp::Eq | CmpOp::Le | CmpOp::Ge if same => vec![Some(true)],
                    CmpOp::Ne | CmpOp::Lt | CmpOp::Gt if same => vec![Some(false)],
                    _ => unknown(),
                }
            }
            ExprKind::Reduce(op, a) => {
                let a = self.expr(a);
                // A dominating known bit decides AND and OR even beside unknown ones.
                let any = |v: bool| a.contains(&Some(v));
                let all_known = a.iter().all(Option::is_some);
                let r = match op {
                    RedOp::And if any(false) => Some(false),
                    RedOp::Or if any(true) => Some(true),
                    RedOp::And => all_known.then_some(true),
                    RedOp::Or => all_known.then_some(false),
                    RedOp::Xor => {
                        all_known.then(|| a.iter().filter(|&&x| x == Some(true)).count() % 2 == 1)
                    }
                };
                vec![r]
            }
            ExprKind::Shift(op, a, amount) => {
                let a = self.expr(a);
                let fill = match op {
                    ShiftOp::Ashr => a.last().copied().flatten(),
                    _ => Some(false),
                };
                match amount {
                    ShiftAmount::Const(n) => {
                        let n = *n as usize;
                        (0..w)
                            .map(|i| match op {
                                ShiftOp::Shl => {
                                    if i >= n {
                                        a[i - n]
                                    } else {
                                        Some(false)
                                    }
                                }
                                ShiftOp::Shr | ShiftOp::Ashr => {
                                    if i + n < w {
                                        a[i + n]
                                    } else {
                                        fill
                                    }
                                }
                            })
                            .collect()
                    }
                    // Bit i of a variable shift is one of the bits on its side or the fill;
                    // it is known when all of those agree.
                    ShiftAmount::Var(_) => (0..w)
                        .map(|i| {
                            let from: Vec<Option<bool>> = match op {
                                ShiftOp::Shl => {
                                    a[..=i].iter().copied().chain([Some(false)]).collect()
                                }
                                _ => a[i..].iter().copied().chain([fill]).collect(),
                            };
                            match from.first().copied().flatten() {
                                Some(v) if from.iter().all(|&x| x == Some(v)) => Some(v),
                                _ => None,
                            }
                        })
                        .collect(),
                }
            }
            ExprKind::Slice(a, lo) => {
                let a = self.expr(a);
                a[*lo as usize..*lo as usize + w].to_vec()
            }
            ExprKind::Concat(parts) => {
                let mut out = Vec::with_capacity(w);
                for p in parts.iter().rev() {
                    out.extend(self.expr(p).iter().copied());
                }
                out
            }
            ExprKind::Repeat(a, n) => {
                let a = self.expr(a);
                (0..*n).flat_map(|_| a.iter().copied()).collect()
            }
            ExprKind::Zext(a) => {
                let mut a = self.expr(a).to_vec();
                a.resize(w, Some(false));
                a
            }
            ExprKind::Sext(a) => {
                let mut a = self.expr(a).to_vec();
                let s = a.last().copied().flatten();
                a.resize(w, s);
                a
            }
            ExprKind::Mux(s, a, b) => {
                let s = self.expr(s)[0];
                let (a, b) = (self.expr(a), self.expr(b));
                match s {
                    Some(true) => a.to_vec(),
                    Some(false) => b.to_vec(),
                    None => a
                        .iter()
                        .zip(b.iter())
                        .map(|(&x, &y)| if x == y { x } else { None })
                        .collect(),
                }
            }
        }
    }
}

fn analyse(nets_of: &[Net], e: &ExprRef) -> KnownBits {
    analyse_given(nets_of, e, &[])
}

/// `analyse` with some nets' bits given (input ports a parent module drives with constants).
fn analyse_given(nets_of: &[Net], e: &ExprRef, given: &[(NetId, KnownBits)]) -> KnownBits {
    let mut walk = Walk {
        nets_of,
        exprs: HashMap::new(),
        nets: given
            .iter()
            .map(|(id, k)| (*id, Rc::new(k.0.clone())))
            .collect(),
    };
    KnownBits(walk.expr(e).to_vec())
}

/// Which bits of `e`, an expression over the nets of `m`, are constant in every state of `m`.
pub fn of_expr(m: &Module, e: &ExprRef) -> KnownBits {
    analyse(&m.nets, e)
}

/// [`of_expr`] with the input ports of `m` known as `inputs` says (from [`instance_inputs`]):
/// which bits of `e` are constant in every state of `m` as instantiated there.
pub fn of_expr_given(m: &Module, e: &ExprRef, inputs: &[(NetId, KnownBits)]) -> KnownBits {
    analyse_given(&m.nets, e, inputs)
}

/// The known bits of each input port of `parent`'s instance `inst`, as `parent` drives it
/// (its nets in the instantiated module, for [`of_expr_given`]). Ports driven with nothing
/// constant are left out.
pub fn instance_inputs(parent: &Module, inst: &Instance) -> Vec<(NetId, KnownBits)> {
    inst.inputs
        .iter()
        .filter_map(|(port, e)| {
            let id = *inst
                .module
                .ports
                .iter()
                .find(|&&id| inst.module.nets[id].name == *port)?;
            let k = of_expr(parent, e);
            (!k.none_known()).then_some((id, k))
        })
        .collect()
}

/// A run of bits `(lo, width, Some(constant) | None = varying)` ([`KnownBits::runs`]).
pub type Run = (u32, u32, Option<u64>);

/// The slices of `s` under the known runs (`known`) or the varying ones, most significant
/// first: what [`rebuild`] takes back apart.
fn run_slices(s: &Signal, runs: &[Run], known: bool) -> Vec<Signal> {
    runs.iter()
        .rev()
        .filter(|r| r.2.is_some() == known)
        .map(|&(lo, w, _)| s.slice(lo, w))
        .collect()
}

/// The value whose constant runs are `runs` and whose varying bits are `v` (packed from the
/// most significant run down, as [`ModuleBuilder::split_known`] packs them); `v` is `None`
/// only when every run is constant.
pub fn rebuild(runs: &[Run], v: Option<&Signal>) -> Signal {
    let mut k = 0;
    let mut parts: Vec<Signal> = runs
        .iter()
        .map(|&(_, w, c)| match (c, v) {
            (Some(c), _) => Signal::lit(w, c),
            (None, Some(v)) => {
                k += w;
                v.slice(k - w, w)
            }
            (None, None) => unreachable!("a varying run without varying bits"),
        })
        .collect();
    parts.reverse();
    Signal::concat(&parts)
}

impl ModuleBuilder {
    /// Which bits of `s` are constant in every state of this module (see [`crate::known`]).
    pub fn known_bits(&self, s: &Signal) -> KnownBits {
        analyse(self.nets(), &s.expr)
    }

    /// The bits of `s` that are not constant ([`ModuleBuilder::known_bits`]), concatenated
    /// from the most significant down, with the runs of known and varying bits to put them
    /// back with [`rebuild`]; `None` when every bit is constant. With `keep_ones`, bits known
    /// to be 1 count as varying (a register that resets to zero must store them). When `s` is
    /// a named net, its constant bits, then read nowhere, go to a lint sink
    /// `{name}_const_unused` (Verilator's `-Wall` ignores names containing `unused`).
    pub fn split_known(
        &mut self,
        name: &str,
        s: &Signal,
        keep_ones: bool,
    ) -> (Vec<Run>, Option<Signal>) {
        let mut known = self.known_bits(s);
        if keep_ones {
            for b in &mut known.0 {
                if *b == Some(true) {
                    *b = None;
                }
            }
        }
        let runs = known.runs();
        let varying = run_slices(s, &runs, false);
        if varying.len() < runs.len() && matches!(s.expr.kind, ExprKind::Net(_)) {
            self.wire(
                &format!("{name}_const_unused"),
                &Signal::concat(&run_slices(s, &runs, true)),
            );
        }
        let v = (!varying.is_empty()).then(|| Signal::concat(&varying));
        (runs, v)
    }

    /// A register `name` for `next` that stores only its varying bits
    /// ([`ModuleBuilder::split_known`]) and returns the full value, constants put back: a bit
    /// that is the same constant in every state is a constant in the Verilog rather than a
    /// flip-flop (Yosys removes such flip-flops too, but one pipeline stage per pass of its
    /// `opt` loop). `reset`: it resets to zero with the module's reset (so only bits known
    /// to be 0 are left out); `en`: it holds when `en` is 0. No register when every bit is
    /// constant.
    pub fn reg_varying(
        &mut self,
        name: &str,
        next: &Signal,
        reset: bool,
        en: Option<&Signal>,
    ) -> Signal {
        let (runs, v) = self.split_known(name, next, reset);
        let q = v.map(|v| {
            let init = reset.then(|| crate::Bits::zero(v.width()));
            let h = self.reg_decl(name, v.width(), false, init);
            self.set_next(&h, &v);
            if let Some(en) = en {
                self.set_enable(&h, en);
            }
            h.sig()
        });
        let q = rebuild(&runs, q.as_ref());
        if next.is_signed() {
            q.as_signed()
        } else {
            q
        }
    }

    /// An input port `name` of `width` bits whose bits `given` knows (what the instantiating
    /// design drives, from its own [`ModuleBuilder::known_bits`]) are those constants in the
    /// returned value: a unit generated for one parent simplifies as that parent uses it. The
    /// port keeps its width; its known bits go to a lint sink `{name}_given_unused`.
    /// `given` of another width is ignored (the port is then fully varying).
    pub fn input_given(&mut self, name: &str, width: u32, given: Option<&KnownBits>) -> Signal {
        let port = self.input(name, width);
        let Some(k) = given.filter(|k| k.width() == width && !k.none_known()) else {
            return port;
        };
        let runs = k.runs();
        self.wire(
            &format!("{name}_given_unused"),
            &Signal::concat(&run_slices(&port, &runs, true)),
        );
        let varying = run_slices(&port, &runs, false);
        let v = (!varying.is_empty()).then(|| Signal::concat(&varying));
        rebuild(&runs, v.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(k: &KnownBits) -> String {
        k.0.iter()
            .rev()
            .map(|b| match b {
                Some(true) => '1',
                Some(false) => '0',
                None => '?',
            })
            .collect()
    }

    #[test]
    fn an_instance_input_carries_what_the_parent_drives() {
        let mut c = ModuleBuilder::new("kb_child");
        let x = c.input("x", 4);
        let y = c.input("y", 2);
        let low = c.wire("low", &(&x & &Signal::lit(4, 0b0011)));
        c.output("o", &(&low | &y.zext(4)));
        let child = c.finish().unwrap();
        let mut p = ModuleBuilder::new("kb_parent");
        let a = p.input("a", 2);
        // x = {a, 2'b00}: its low bits are zero; y is driven with nothing constant.
        let x_in = Signal::concat(&[a.clone(), Signal::lit(2, 0)]);
        let i = p.instance("u", &child, &[("x", &x_in), ("y", &a)]);
        p.output("o", &i.out("o"));
        let parent = p.finish().unwrap();
        let given = instance_inputs(&parent, &parent.insts[0]);
        assert_eq!(given.len(), 1, "only x has known bits");
        assert_eq!(child.nets[given[0].0].name, "x");
        assert_eq!(bits(&given[0].1), "??00");
        let low = child.nets.iter().find(|n| n.name == "low").unwrap();
        let low = low.driver.clone().unwrap();
        // Alone the child knows only the mask's zeros; as instantiated, all of `low`.
        assert_eq!(bits(&of_expr(&child, &low)), "00??");
        assert_eq!(bits(&of_expr_given(&child, &low, &given)), "0000");
    }

    #[test]
    fn given_inputs_and_varying_registers_keep_constants_out_of_storage() {
        let mut m = ModuleBuilder::new("kb_given");
        m.clock_domain();
        // x: bit 0 always 0 and bit 3 always 1, as a parent drives it.
        let given = KnownBits(vec![Some(false), None, None, Some(true)]);
        let x = m.input_given("x", 4, Some(&given));
        assert_eq!(bits(&m.known_bits(&x)), "1??0");
        // A width that does not fit the port is ignored, not misapplied.
        let y = m.input_given("y", 3, Some(&given));
        assert_eq!(bits(&m.known_bits(&y)), "???");
        // Without reset both constants stay out; with a reset to zero the 1 must be stored.
        let q = m.reg_varying("q", &x, false, None);
        let r = m.reg_varying("r", &x, true, Some(&y.bit(0)));
        assert_eq!(bits(&m.known_bits(&q)), "1??0");
        assert_eq!(bits(&m.known_bits(&r)), "???0");
        // Nothing varies: no register at all, the constant itself.
        let c = m.reg_varying("c", &Signal::lit(2, 2), false, None);
        assert_eq!(bits(&m.known_bits(&c)), "10");
        m.output("o", &Signal::concat(&[q, r, c, y]));
        let module = m.finish().unwrap();
        let width = |name: &str| {
            let r = module.regs.iter().find(|r| module.nets[r.net].name == name);
            r.map(|r| module.nets[r.net].width)
        };
        assert_eq!(width("q"), Some(2));
        assert_eq!(width("r"), Some(3));
        assert_eq!(width("c"), None);
        // The port keeps its width; its known bits go to a lint sink.
        assert_eq!(module.port("x").map(|p| p.width), Some(4));
        assert!(module.nets.iter().any(|n| n.name == "x_given_unused"));
    }

    #[test]
    fn a_constant_select_picks_its_arm() {
        let mut m = ModuleBuilder::new("kb_mux");
        let a = m.input("a", 3);
        let b = m.input("b", 3);
        let pick = |sel: u64| Signal::lit(1, sel).mux(&a, &b);
        assert!(Rc::ptr_eq(&pick(1).expr, &a.expr));
        assert!(Rc::ptr_eq(&pick(0).expr, &b.expr));
        let s = m.input("s", 1);
        assert!(matches!(s.mux(&a, &b).expr.kind, ExprKind::Mux(..)));
    }

    #[test]
    fn sums_of_even_values_stay_even_through_wires() {
        let mut m = ModuleBuilder::new("kb");
        let a = m.input("a", 4);
        let off = m.wire("off", &(&a.zext(8).shl(2) + &Signal::lit(8, 14)));
        let end = m.wire("end", &(&off + &Signal::lit(8, 20)));
        // At most 60 + 14: the top bit is known too.
        assert_eq!(bits(&m.known_bits(&off)), "0?????10");
        assert_eq!(bits(&m.known_bits(&end)), "??????10");
        // A difference of two multiples of four is one too.
        assert_eq!(bits(&m.known_bits(&(&end - &off))), "??????00");
    }

    #[test]
    fn flags_set_by_shifted_conditions() {
        let mut m = ModuleBuilder::new("kb");
        let c = m.input("c", 1);
        let d = m.input("d", 1);
        let f = Signal::lit(8, 0x80);
        let f = m.wire("f1", &(&f | &c.zext(8).shl(2)));
        let f = m.wire("f2", &(&f | &d.zext(8).shl(5)));
        assert_eq!(bits(&m.known_bits(&f)), "10?00?00");
        assert_eq!(
            m.known_bits(&f).runs(),
            vec![
                (0, 2, Some(0)),
                (2, 1, None),
                (3, 2, Some(0)),
                (5, 1, None),
                (6, 2, Some(2))
            ]
        );
    }

    #[test]
    fn registers_and_inputs_are_unknown_muxes_keep_agreeing_bits() {
        let mut m = ModuleBuilder::new("kb");
        let (_clk, _rst) = m.clock_domain();
        let s = m.input("s", 1);
        let r = m.reg("r", &Signal::lit(4, 5));
        assert!(m.known_bits(&r).none_known());
        let x = s.mux(&Signal::lit(4, 0b1010), &Signal::lit(4, 0b1001));
        assert_eq!(bits(&m.known_bits(&x)), "10??");
        assert_eq!(bits(&m.known_bits(&x.eq(&Signal::lit(4, 0)))), "0");
        assert_eq!(bits(&m.known_bits(&x.reduce_or())), "1");
        // A sign extension of a known sign bit, and a variable shift of zeros.
        assert_eq!(bits(&m.known_bits(&x.as_signed().sext(6))), "1110??");
        assert_eq!(bits(&m.known_bits(&Signal::lit(4, 0).shl_var(&s))), "0000");
    }
}
