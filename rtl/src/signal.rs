//! `Signal`: a typed handle on an expression, with the operators generators use.
//!
//! A signal knows its width and whether it is signed. Arithmetic and bitwise operators need
//! equal widths (extend first: `a.extend(w) + b.extend(w)`); a mismatch is reported, naming
//! the destination, when the module is finished.

use crate::bits::Bits;
use crate::ir::{
    slices_in_place, BinOp, CmpOp, Expr, ExprKind, ExprRef, RedOp, ShiftAmount, ShiftOp, UnOp,
};
use std::ops;
use std::rc::Rc;

/// Owner tag of a signal: which module builder its nets belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A constant: usable anywhere.
    Any,
    /// Reads nets of the builder with this id.
    Module(u64),
    /// Mixes nets of two different builders: always an error when used.
    Mixed,
}

impl Owner {
    fn join(self, o: Owner) -> Owner {
        match (self, o) {
            (Owner::Any, x) | (x, Owner::Any) => x,
            (Owner::Module(a), Owner::Module(b)) if a == b => Owner::Module(a),
            _ => Owner::Mixed,
        }
    }
}

/// A typed expression handle: width, signedness, and the expression it stands for.
#[derive(Debug, Clone)]
pub struct Signal {
    pub(crate) expr: ExprRef,
    pub(crate) signed: bool,
    pub(crate) owner: Owner,
}

fn node(kind: ExprKind, width: u32) -> ExprRef {
    Rc::new(Expr { kind, width })
}

impl Signal {
    pub(crate) fn from_expr(expr: ExprRef, signed: bool, owner: Owner) -> Signal {
        Signal {
            expr,
            signed,
            owner,
        }
    }

    fn derive(&self, kind: ExprKind, width: u32, signed: bool, others: &[&Signal]) -> Signal {
        let owner = others.iter().fold(self.owner, |o, s| o.join(s.owner));
        Signal {
            expr: node(kind, width),
            signed,
            owner,
        }
    }

    /// An unsigned constant of `width` bits. The value must fit: debug builds check it (a
    /// constant that silently lost its high bits once made a proof vacuous); release builds
    /// keep its low `width` bits.
    pub fn lit(width: u32, value: u64) -> Signal {
        debug_assert!(
            width >= 64 || value >> width == 0,
            "Signal::lit: {value} does not fit in {width} bits"
        );
        Signal::constant(Bits::from_u64(width, value), false)
    }

    /// A signed constant of `width` bits (two's complement, wraps to the width).
    pub fn lit_signed(width: u32, value: i64) -> Signal {
        Signal::constant(Bits::from_i64(width, value), true)
    }

    /// A constant from a bit vector of any width.
    pub fn constant(bits: Bits, signed: bool) -> Signal {
        let w = bits.width();
        Signal {
            expr: node(ExprKind::Const(bits), w),
            signed,
            owner: Owner::Any,
        }
    }

    /// Width in bits.
    pub fn width(&self) -> u32 {
        self.expr.width
    }

    /// Whether the signal is read as two's complement.
    pub fn is_signed(&self) -> bool {
        self.signed
    }

    /// The underlying IR expression.
    pub fn expr(&self) -> &ExprRef {
        &self.expr
    }

    /// The same bits, read as signed.
    pub fn as_signed(&self) -> Signal {
        Signal {
            signed: true,
            ..self.clone()
        }
    }

    /// The same bits, read as unsigned.
    pub fn as_unsigned(&self) -> Signal {
        Signal {
            signed: false,
            ..self.clone()
        }
    }

    /// Extends to `width` by the signal's signedness (sign- or zero-extension). Returns the
    /// signal unchanged at its own width; a smaller width is a width error (use `trunc`).
    pub fn extend(&self, width: u32) -> Signal {
        if self.signed {
            self.sext(width)
        } else {
            self.zext(width)
        }
    }

    /// Zero-extends to `width` (>= current width).
    pub fn zext(&self, width: u32) -> Signal {
        if width == self.width() {
            return self.clone();
        }
        self.derive(ExprKind::Zext(self.expr.clone()), width, self.signed, &[])
    }

    /// Sign-extends to `width` (>= current width).
    pub fn sext(&self, width: u32) -> Signal {
        if width == self.width() {
            return self.clone();
        }
        self.derive(ExprKind::Sext(self.expr.clone()), width, self.signed, &[])
    }

    /// The low `width` bits.
    pub fn trunc(&self, width: u32) -> Signal {
        self.slice(0, width)
    }

    /// Bits `[lo + width - 1 : lo]` (unsigned).
    pub fn slice(&self, lo: u32, width: u32) -> Signal {
        if lo == 0 && width == self.width() {
            return self.as_unsigned();
        }
        if lo.checked_add(width).is_some_and(|hi| hi <= self.width()) {
            match &self.expr.kind {
                // Bits of a constant are a constant (a mux on one then picks its arm).
                ExprKind::Const(b) => return Signal::constant(b.slice(lo, width), false),
                // Bits of bits of `b` are bits of `b`.
                ExprKind::Slice(b, lo2) => return self.part(b).slice(lo + lo2, width),
                // Bits within one part of a concatenation are bits of that part.
                ExprKind::Concat(parts) => {
                    let mut base = self.width();
                    for p in parts {
                        base -= p.width;
                        if lo >= base && lo + width <= base + p.width {
                            return self.part(p).slice(lo - base, width);
                        }
                    }
                }
                // Bits of a select, or of a bitwise operator, are the select (operator) of the
                // operands' bits, where those need no cutting themselves: `(s ? a : 8'd0)[6:0]`
                // is `s ? a[6:0] : 7'd0`.
                ExprKind::Mux(sel, a, b) => {
                    let (a, b) = (self.part(a).slice(lo, width), self.part(b).slice(lo, width));
                    if a.in_place() && b.in_place() {
                        return self.part(sel).mux(&a, &b);
                    }
                }
                ExprKind::Binary(op @ (BinOp::And | BinOp::Or | BinOp::Xor), a, b) => {
                    let (a, b) = (self.part(a).slice(lo, width), self.part(b).slice(lo, width));
                    if a.in_place() && b.in_place() {
                        return a.bin(*op, &b);
                    }
                }
                ExprKind::Unary(UnOp::Not, a) => {
                    let a = self.part(a).slice(lo, width);
                    if a.in_place() {
                        return !&a;
                    }
                }
                _ => {}
            }
        }
        self.derive(ExprKind::Slice(self.expr.clone(), lo), width, false, &[])
    }

    /// Operand `e` of this signal's expression, as an unsigned signal.
    fn part(&self, e: &ExprRef) -> Signal {
        Signal::from_expr(e.clone(), false, self.owner)
    }

    /// False for a slice the emitter must cut from a computed value (a slice of an operator
    /// expression): pushing a slice into operands pays only where they slice in place.
    fn in_place(&self) -> bool {
        !matches!(&self.expr.kind, ExprKind::Slice(a, _) if !slices_in_place(a))
    }

    /// Bits `[hi : lo]` (inclusive, Verilog order).
    pub fn bits(&self, hi: u32, lo: u32) -> Signal {
        self.slice(lo, hi.saturating_sub(lo) + 1)
    }

    /// Bit `i`.
    pub fn bit(&self, i: u32) -> Signal {
        self.slice(i, 1)
    }

    /// The most significant bit.
    pub fn msb(&self) -> Signal {
        self.bit(self.width().saturating_sub(1))
    }

    /// Concatenation, `parts[0]` most significant (as in Verilog `{a, b}`); unsigned.
    pub fn concat(parts: &[Signal]) -> Signal {
        if parts.len() == 1 {
            return parts[0].as_unsigned();
        }
        let width = parts.iter().map(|p| p.width()).sum();
        let owner = parts.iter().fold(Owner::Any, |o, s| o.join(s.owner));
        Signal {
            expr: node(
                ExprKind::Concat(parts.iter().map(|p| p.expr.clone()).collect()),
                width,
            ),
            signed: false,
            owner,
        }
    }

    /// `n` copies of this signal side by side (unsigned).
    pub fn repeat(&self, n: u32) -> Signal {
        if n == 1 {
            return self.as_unsigned();
        }
        self.derive(
            ExprKind::Repeat(self.expr.clone(), n),
            self.width() * n,
            false,
            &[],
        )
    }

    fn bin(&self, op: BinOp, o: &Signal) -> Signal {
        // Identities with a constant operand: `x + 0`, `x - 0`, `x | 0`, `x ^ 0`, `x & ~0` are
        // `x`; `x & 0` is 0 and `x | ~0` is ~0.
        if self.width() == o.width() {
            let signed = self.signed && o.signed;
            let keep = |x: &Signal| {
                if signed {
                    x.as_signed()
                } else {
                    x.as_unsigned()
                }
            };
            if let (ExprKind::Const(x), ExprKind::Const(y)) = (&self.expr.kind, &o.expr.kind) {
                let v = match op {
                    BinOp::Add => x.add(y),
                    BinOp::Sub => x.sub(y),
                    BinOp::Mul => x.mul(y),
                    BinOp::And => x.and(y),
                    BinOp::Or => x.or(y),
                    BinOp::Xor => x.xor(y),
                };
                return Signal::constant(v, signed);
            }
            let ones = Bits::ones(self.width());
            for (c, x, c_left) in [(o, self, false), (self, o, true)] {
                let ExprKind::Const(k) = &c.expr.kind else {
                    continue;
                };
                match op {
                    BinOp::Add | BinOp::Or | BinOp::Xor if k.is_zero() => return keep(x),
                    BinOp::Sub if k.is_zero() && !c_left => return keep(x),
                    BinOp::And if *k == ones => return keep(x),
                    BinOp::And if k.is_zero() => return keep(c),
                    BinOp::Or if *k == ones => return keep(c),
                    _ => {}
                }
            }
        }
        self.derive(
            ExprKind::Binary(op, self.expr.clone(), o.expr.clone()),
            self.width(),
            self.signed && o.signed,
            &[o],
        )
    }

    /// Sum with an explicit result width: both operands are extended (by their own
    /// signedness) to `width` and added modulo 2^width.
    pub fn add_w(&self, o: &Signal, width: u32) -> Signal {
        self.extend(width).bin(BinOp::Add, &o.extend(width))
    }

    /// Difference with an explicit result width (operands extended by their signedness).
    pub fn sub_w(&self, o: &Signal, width: u32) -> Signal {
        self.extend(width).bin(BinOp::Sub, &o.extend(width))
    }

    /// Product with an explicit result width (operands extended by their signedness), so
    /// `a.mul_w(&b, wa + wb)` is the exact product, signed or not.
    pub fn mul_w(&self, o: &Signal, width: u32) -> Signal {
        self.extend(width).bin(BinOp::Mul, &o.extend(width))
    }

    /// Wrapping negation at the signal's width.
    pub fn neg(&self) -> Signal {
        self.derive(
            ExprKind::Unary(UnOp::Neg, self.expr.clone()),
            self.width(),
            self.signed,
            &[],
        )
    }

    fn cmp(&self, op: CmpOp, o: &Signal) -> Signal {
        if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            if let Some((v, k)) = self
                .known_parts_dropped(o)
                .or_else(|| o.known_parts_dropped(self))
            {
                return v.cmp(op, &k);
            }
        }
        let signed = self.signed && o.signed;
        self.derive(
            ExprKind::Cmp(op, signed, self.expr.clone(), o.expr.clone()),
            1,
            false,
            &[o],
        )
    }

    /// For `self == k` with `self` a concatenation holding constant parts and `k` a constant
    /// of the same width: the concatenation of the varying parts and the constant's bits at
    /// their positions, so `{j, 1'b0} == 3'd2` reads `j == 2'd1`. `None` when there is no
    /// constant part to drop, or when one disagrees with `k` (the comparison is then constant
    /// and stays as written, so its operands keep their readers).
    fn known_parts_dropped(&self, k: &Signal) -> Option<(Signal, Signal)> {
        let (ExprKind::Concat(parts), ExprKind::Const(kb)) = (&self.expr.kind, &k.expr.kind) else {
            return None;
        };
        if self.width() != k.width() {
            return None;
        }
        let (mut varying, mut wanted, mut dropped) = (Vec::new(), Vec::new(), false);
        let mut hi = self.width();
        for p in parts {
            let lo = hi - p.width;
            let want = kb.slice(lo, p.width);
            match &p.kind {
                ExprKind::Const(c) if *c == want => dropped = true,
                ExprKind::Const(_) => return None,
                _ => {
                    varying.push(Signal::from_expr(p.clone(), false, self.owner));
                    wanted.push(want);
                }
            }
            hi = lo;
        }
        if !dropped || varying.is_empty() {
            return None;
        }
        Some((
            Signal::concat(&varying),
            Signal::constant(Bits::concat(&wanted), false),
        ))
    }

    /// `self == o` (1 bit). Constant parts of a concatenation compared with a constant are
    /// dropped when they agree with it (`{j, 1'b0} == 3'd2` is emitted `j == 2'd1`).
    pub fn eq(&self, o: &Signal) -> Signal {
        self.cmp(CmpOp::Eq, o)
    }

    /// `self != o` (1 bit), with the same folding as [`Signal::eq`].
    pub fn ne(&self, o: &Signal) -> Signal {
        self.cmp(CmpOp::Ne, o)
    }

    /// `self < o`, signed when both are signed (1 bit).
    pub fn lt(&self, o: &Signal) -> Signal {
        self.cmp(CmpOp::Lt, o)
    }

    /// `self <= o`, signed when both are signed (1 bit).
    pub fn le(&self, o: &Signal) -> Signal {
        self.cmp(CmpOp::Le, o)
    }

    /// `self > o`, signed when both are signed (1 bit).
    pub fn gt(&self, o: &Signal) -> Signal {
        self.cmp(CmpOp::Gt, o)
    }

    /// `self >= o`, signed when both are signed (1 bit).
    pub fn ge(&self, o: &Signal) -> Signal {
        self.cmp(CmpOp::Ge, o)
    }

    /// `self == value` against a constant of the same width.
    pub fn eq_lit(&self, value: u64) -> Signal {
        self.eq(&Signal::lit(self.width(), value))
    }

    fn red(&self, op: RedOp) -> Signal {
        self.derive(ExprKind::Reduce(op, self.expr.clone()), 1, false, &[])
    }

    /// AND of all bits.
    pub fn reduce_and(&self) -> Signal {
        self.red(RedOp::And)
    }

    /// OR of all bits (non-zero test).
    pub fn reduce_or(&self) -> Signal {
        self.red(RedOp::Or)
    }

    /// XOR of all bits (parity).
    pub fn reduce_xor(&self) -> Signal {
        self.red(RedOp::Xor)
    }

    fn shift(&self, op: ShiftOp, amt: ShiftAmount, others: &[&Signal]) -> Signal {
        self.derive(
            ExprKind::Shift(op, self.expr.clone(), amt),
            self.width(),
            self.signed,
            others,
        )
    }

    /// Logical shift left by a constant (same width).
    pub fn shl(&self, n: u32) -> Signal {
        if n == 0 {
            return self.clone();
        }
        self.shift(ShiftOp::Shl, ShiftAmount::Const(n), &[])
    }

    /// Logical shift right by a constant (same width).
    pub fn shr(&self, n: u32) -> Signal {
        if n == 0 {
            return self.clone();
        }
        self.shift(ShiftOp::Shr, ShiftAmount::Const(n), &[])
    }

    /// Arithmetic shift right by a constant (same width, sign fill).
    pub fn ashr(&self, n: u32) -> Signal {
        if n == 0 {
            return self.clone();
        }
        self.shift(ShiftOp::Ashr, ShiftAmount::Const(n), &[])
    }

    /// Logical shift left by a run-time amount (unsigned).
    pub fn shl_var(&self, amt: &Signal) -> Signal {
        self.shift(ShiftOp::Shl, ShiftAmount::Var(amt.expr.clone()), &[amt])
    }

    /// Logical shift right by a run-time amount (unsigned).
    pub fn shr_var(&self, amt: &Signal) -> Signal {
        self.shift(ShiftOp::Shr, ShiftAmount::Var(amt.expr.clone()), &[amt])
    }

    /// Arithmetic shift right by a run-time amount (unsigned).
    pub fn ashr_var(&self, amt: &Signal) -> Signal {
        self.shift(ShiftOp::Ashr, ShiftAmount::Var(amt.expr.clone()), &[amt])
    }

    /// `self ? a : b` where `self` is one bit and `a`, `b` have equal widths. A constant
    /// `self` selects its arm here (no `1'b0 ? a : b` in the Verilog; a generator can pass a
    /// select that is constant in some configurations).
    pub fn mux(&self, a: &Signal, b: &Signal) -> Signal {
        if let ExprKind::Const(c) = &self.expr.kind {
            if self.width() == 1 && a.width() == b.width() {
                let arm = if c.is_zero() { b } else { a };
                return if a.signed && b.signed {
                    arm.as_signed()
                } else {
                    arm.as_unsigned()
                };
            }
        }
        self.derive(
            ExprKind::Mux(self.expr.clone(), a.expr.clone(), b.expr.clone()),
            a.width(),
            a.signed && b.signed,
            &[a, b],
        )
    }

    /// Priority select: the value of the first `(cond, value)` whose condition is 1, else
    /// `default`. Emitted as a chain of `?:`.
    pub fn priority(cases: &[(Signal, Signal)], default: &Signal) -> Signal {
        cases
            .iter()
            .rev()
            .fold(default.clone(), |acc, (c, v)| c.mux(v, &acc))
    }
}

macro_rules! binop_impl {
    ($tr:ident, $f:ident, $op:expr) => {
        impl ops::$tr<&Signal> for &Signal {
            type Output = Signal;
            fn $f(self, o: &Signal) -> Signal {
                self.bin($op, o)
            }
        }
        impl ops::$tr<Signal> for Signal {
            type Output = Signal;
            fn $f(self, o: Signal) -> Signal {
                self.bin($op, &o)
            }
        }
        impl ops::$tr<&Signal> for Signal {
            type Output = Signal;
            fn $f(self, o: &Signal) -> Signal {
                self.bin($op, o)
            }
        }
        impl ops::$tr<Signal> for &Signal {
            type Output = Signal;
            fn $f(self, o: Signal) -> Signal {
                self.bin($op, &o)
            }
        }
    };
}

binop_impl!(Add, add, BinOp::Add);
binop_impl!(Sub, sub, BinOp::Sub);
binop_impl!(Mul, mul, BinOp::Mul);
binop_impl!(BitAnd, bitand, BinOp::And);
binop_impl!(BitOr, bitor, BinOp::Or);
binop_impl!(BitXor, bitxor, BinOp::Xor);

impl ops::Not for &Signal {
    type Output = Signal;
    fn not(self) -> Signal {
        if let ExprKind::Const(k) = &self.expr.kind {
            return Signal::constant(k.not(), self.signed);
        }
        self.derive(
            ExprKind::Unary(UnOp::Not, self.expr.clone()),
            self.width(),
            self.signed,
            &[],
        )
    }
}

impl ops::Not for Signal {
    type Output = Signal;
    fn not(self) -> Signal {
        !&self
    }
}

impl ops::Neg for &Signal {
    type Output = Signal;
    fn neg(self) -> Signal {
        Signal::neg(self)
    }
}

impl ops::Neg for Signal {
    type Output = Signal;
    fn neg(self) -> Signal {
        Signal::neg(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::eval;
    use crate::ir::NetId;
    use crate::ModuleBuilder;

    fn net_id(s: &Signal) -> NetId {
        match s.expr.kind {
            ExprKind::Net(id) => id,
            _ => panic!("not a net"),
        }
    }

    /// A literal that does not fit its width is a bug in the caller: debug builds stop at it.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "Signal::lit: 4 does not fit in 2 bits")]
    fn a_literal_too_wide_for_its_width_is_caught() {
        let _ = Signal::lit(2, 4);
    }

    #[test]
    fn literals_that_fit_are_taken_at_every_width() {
        for (w, v) in [
            (0, 0),
            (1, 1),
            (2, 3),
            (63, u64::MAX >> 1),
            (64, u64::MAX),
            (70, u64::MAX),
        ] {
            assert_eq!(Signal::lit(w, v).width(), w);
        }
    }

    #[test]
    fn comparing_a_concatenation_with_a_constant_drops_its_agreeing_constant_parts() {
        let mut m = ModuleBuilder::new("cmp_fold");
        let a = m.input("a", 2);
        let b = m.input("b", 3);
        let (ia, ib) = (net_id(&a), net_id(&b));
        // {a, 1'b0, b, 2'b10}: 8 bits, value a << 6 | b << 2 | 2.
        let c = Signal::concat(&[a.clone(), Signal::lit(1, 0), b.clone(), Signal::lit(2, 2)]);
        for k in 0..256u64 {
            let agrees = k & 0b10_0011 == 0b10;
            for (op, cmp) in [(CmpOp::Eq, true), (CmpOp::Ne, false)] {
                for e in [c.cmp(op, &Signal::lit(8, k)), Signal::lit(8, k).cmp(op, &c)] {
                    let ExprKind::Cmp(_, _, x, y) = &e.expr.kind else {
                        panic!("not a comparison");
                    };
                    // Folded exactly when the constant parts agree: then the operands are
                    // {a, b} (5 bits) and a constant; otherwise the comparison is as written.
                    assert_eq!(x.width.min(y.width), if agrees { 5 } else { 8 }, "k = {k}");
                    for va in 0..4u64 {
                        for vb in 0..8u64 {
                            let nets = |id: NetId| match id {
                                _ if id == ia => Bits::from_u64(2, va),
                                _ if id == ib => Bits::from_u64(3, vb),
                                _ => panic!("reads a net that is neither a nor b"),
                            };
                            let value = va << 6 | vb << 2 | 2;
                            let want = (value == k) == cmp;
                            assert_eq!(eval(&e.expr, &nets), Bits::from_u64(1, want as u64));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn slices_of_constants_slices_and_single_concatenation_parts_are_resolved() {
        let mut m = ModuleBuilder::new("slice_fold");
        let a = m.input("a", 8);
        let b = m.input("b", 4);
        // {a, 4'b1010, b}: 16 bits.
        let c = Signal::concat(&[a.clone(), Signal::lit(4, 0b1010), b.clone()]);
        let ia = net_id(&a);
        // a = the low 8 bits of v, b = the next 4.
        let net = move |v: u64| {
            move |id: NetId| {
                if id == ia {
                    Bits::from_u64(8, v & 0xff)
                } else {
                    Bits::from_u64(4, v >> 8)
                }
            }
        };
        // Every slice of the concatenation evaluates to the same bits as the whole's slice.
        for lo in 0..16 {
            for w in 1..=16 - lo {
                let s = c.slice(lo, w);
                for v in [0u64, 0xfff, 0x5a3, 0x0c1] {
                    let whole = eval(&c.expr, &net(v)).slice(lo, w);
                    assert_eq!(eval(&s.expr, &net(v)), whole, "[{lo} +: {w}] at {v:#x}");
                }
                // Within one part: no concatenation is left to slice.
                let within = [(0, 4), (4, 4), (8, 8)]
                    .iter()
                    .any(|&(plo, pw)| lo >= plo && lo + w <= plo + pw);
                if within {
                    assert!(
                        !matches!(&s.expr.kind, ExprKind::Slice(x, _)
                        if matches!(x.kind, ExprKind::Concat(_))),
                        "[{lo} +: {w}]"
                    );
                }
            }
        }
        // The constant part is a constant: a mux on one of its bits picks its arm.
        assert!(matches!(c.slice(5, 1).expr.kind, ExprKind::Const(_)));
        assert!(Rc::ptr_eq(&c.slice(5, 1).mux(&a, &a.clone()).expr, &a.expr));
        assert!(Rc::ptr_eq(&c.slice(4, 1).mux(&b.zext(8), &a).expr, &a.expr));
        // A slice of a slice is one slice of the net.
        let s = a.slice(2, 5).slice(1, 3);
        assert!(matches!(&s.expr.kind, ExprKind::Slice(x, 3) if Rc::ptr_eq(x, &a.expr)));
    }

    #[test]
    fn slices_of_selects_and_bitwise_operators_slice_their_operands_where_those_slice_in_place() {
        let mut m = ModuleBuilder::new("slice_push");
        let a = m.input("a", 8);
        let b = m.input("b", 8);
        let s = m.input("s", 1);
        let (ia, ib) = (net_id(&a), net_id(&b));
        let is = net_id(&s);
        let values = [
            (0u64, 0u64, 0u64),
            (0xa5, 0x3c, 1),
            (0xff, 0x01, 0),
            (0x5a, 0xf0, 1),
        ];
        let sum = &a + &b;
        let cases: Vec<(Signal, bool)> = vec![
            (s.mux(&a, &Signal::lit(8, 0x81)), true),
            (&a & &b, true),
            (&a | &Signal::lit(8, 0x0f), true),
            (&(&a ^ &b) ^ &Signal::lit(8, 0x66), true),
            (!&a, true),
            (s.mux(&!&a, &(&a & &b)), true),
            // An operand that itself needs cutting: the slice stays one slice of the whole.
            (s.mux(&sum, &b), false),
            (&sum & &a, false),
            (!&sum, false),
        ];
        for (k, (e, pushed)) in cases.iter().enumerate() {
            for lo in 0..8 {
                for w in 1..=8 - lo {
                    if lo == 0 && w == 8 {
                        continue;
                    }
                    let x = e.slice(lo, w);
                    assert_eq!(x.in_place(), *pushed, "case {k} [{lo} +: {w}]");
                    for &(va, vb, vs) in &values {
                        let nets = |id: NetId| match id {
                            _ if id == ia => Bits::from_u64(8, va),
                            _ if id == ib => Bits::from_u64(8, vb),
                            _ if id == is => Bits::from_u64(1, vs),
                            _ => panic!("unknown net"),
                        };
                        let whole = eval(&e.expr, &nets).slice(lo, w);
                        assert_eq!(eval(&x.expr, &nets), whole, "case {k} [{lo} +: {w}]");
                    }
                }
            }
        }
    }

    #[test]
    fn operators_with_constants_fold_to_their_value_or_identity() {
        let mut m = ModuleBuilder::new("const_fold");
        let a = m.input("a", 8);
        let ia = net_id(&a);
        let (zero, ones, k) = (
            Signal::lit(8, 0),
            Signal::lit(8, 0xff),
            Signal::lit(8, 0x5c),
        );
        // (expression, what it folds to: `a` itself, or a constant)
        let to_a = [
            &a + &zero,
            &zero + &a,
            &a - &zero,
            &a | &zero,
            &zero ^ &a,
            &a & &ones,
            &ones & &a,
        ];
        for (n, e) in to_a.iter().enumerate() {
            assert!(Rc::ptr_eq(&e.expr, &a.expr), "identity {n}");
        }
        let to_const = [
            &a & &zero,
            &zero & &a,
            &a | &ones,
            &k + &ones,
            &k * &k,
            !&k,
            &k ^ &ones,
        ];
        for (n, e) in to_const.iter().enumerate() {
            assert!(matches!(e.expr.kind, ExprKind::Const(_)), "constant {n}");
        }
        // `0 - a` is a negation, not `a`.
        assert!(!Rc::ptr_eq(&(&zero - &a).expr, &a.expr));
        // Every fold has the value of the operator it replaces.
        let unfolded = |op: BinOp, x: &Signal, y: &Signal| {
            node(ExprKind::Binary(op, x.expr.clone(), y.expr.clone()), 8)
        };
        for va in [0u64, 1, 0x5c, 0xa3, 0xff] {
            let nets = |id: NetId| {
                assert_eq!(id, ia);
                Bits::from_u64(8, va)
            };
            for op in [
                BinOp::Add,
                BinOp::Sub,
                BinOp::Mul,
                BinOp::And,
                BinOp::Or,
                BinOp::Xor,
            ] {
                for (x, y) in [
                    (&a, &zero),
                    (&zero, &a),
                    (&a, &ones),
                    (&ones, &a),
                    (&k, &ones),
                ] {
                    let folded = x.bin(op, y);
                    let want = eval(&unfolded(op, x, y), &nets);
                    assert_eq!(eval(&folded.expr, &nets), want, "{op:?} at a = {va:#x}");
                }
            }
            assert_eq!(eval(&(!&k).expr, &nets), Bits::from_u64(8, !0x5c & 0xff));
        }
    }
}
