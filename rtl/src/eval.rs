//! Constant evaluation of IR expressions on [`Bits`], given the values of the nets they read.
//!
//! This is the IR's own meaning of every operator, used to cross-check the emitted Verilog.

use crate::bits::Bits;
use crate::ir::{
    for_each_operand, BinOp, CmpOp, Expr, ExprKind, ExprRef, NetId, RedOp, ShiftAmount, ShiftOp,
    UnOp,
};
use std::cmp::Ordering;
use std::rc::Rc;

/// Evaluates `e`; `net` gives the value of each net read (of the net's width).
pub fn eval(e: &ExprRef, net: &dyn Fn(NetId) -> Bits) -> Bits {
    let w = e.width;
    match &e.kind {
        ExprKind::Const(b) => b.clone(),
        ExprKind::Net(id) => net(*id).zext(w),
        ExprKind::Unary(op, a) => {
            let a = eval(a, net);
            match op {
                UnOp::Not => a.not(),
                UnOp::Neg => a.neg(),
            }
        }
        ExprKind::Binary(op, a, b) => {
            let a = eval(a, net).zext(w);
            let b = eval(b, net).zext(w);
            match op {
                BinOp::Add => a.add(&b),
                BinOp::Sub => a.sub(&b),
                BinOp::Mul => a.mul(&b),
                BinOp::And => a.and(&b),
                BinOp::Or => a.or(&b),
                BinOp::Xor => a.xor(&b),
            }
        }
        ExprKind::Cmp(op, signed, a, b) => {
            let a = eval(a, net);
            let b = eval(b, net);
            let ord = if *signed {
                a.cmp_signed(&b)
            } else {
                a.cmp_unsigned(&b)
            };
            let r = match op {
                CmpOp::Eq => ord == Ordering::Equal,
                CmpOp::Ne => ord != Ordering::Equal,
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Le => ord != Ordering::Greater,
                CmpOp::Gt => ord == Ordering::Greater,
                CmpOp::Ge => ord != Ordering::Less,
            };
            Bits::from_u64(1, r as u64)
        }
        ExprKind::Reduce(op, a) => {
            let a = eval(a, net);
            let r = match op {
                RedOp::And => a.count_ones() == a.width(),
                RedOp::Or => !a.is_zero(),
                RedOp::Xor => a.count_ones() % 2 == 1,
            };
            Bits::from_u64(1, r as u64)
        }
        ExprKind::Shift(op, a, amt) => {
            let a = eval(a, net);
            let n = match amt {
                ShiftAmount::Const(n) => *n as u64,
                ShiftAmount::Var(x) => eval(x, net).to_shift_amount(),
            };
            match op {
                ShiftOp::Shl => a.shl(n),
                ShiftOp::Shr => a.shr(n),
                ShiftOp::Ashr => a.ashr(n),
            }
        }
        ExprKind::Slice(a, lo) => eval(a, net).slice(*lo, w),
        ExprKind::Concat(v) => Bits::concat(&v.iter().map(|x| eval(x, net)).collect::<Vec<_>>()),
        ExprKind::Repeat(a, n) => {
            let a = eval(a, net);
            Bits::concat(&vec![a; *n as usize])
        }
        ExprKind::Zext(a) => eval(a, net).zext(w),
        ExprKind::Sext(a) => eval(a, net).sext(w),
        ExprKind::Mux(s, a, b) => {
            if eval(s, net).bit(0) {
                eval(a, net)
            } else {
                eval(b, net)
            }
        }
    }
}

/// The value of `e` when its operators decide it without knowing any net, the way Verilator's
/// constant folder sees it: literals and operators over them, shifts of zero or by a known
/// amount of at least the width, `& 0`, `* 0`, `| ~0`, a mux with a known select or equal
/// known branches, a slice above a zero extension, and comparisons [`range_decided_cmp`]
/// decides. `None` otherwise (which does not prove the value varies).
pub fn known_constant(e: &ExprRef) -> Option<Bits> {
    let w = e.width;
    let is_zero = |c: &Option<Bits>| c.as_ref().is_some_and(|c| c.is_zero());
    let is_ones = |c: &Option<Bits>| c.as_ref().is_some_and(|c| c.count_ones() == c.width());
    // With every operand known, the IR's own evaluation of `e` on those values.
    let all = |known: Vec<Option<Bits>>| -> Option<Bits> {
        let known: Vec<Bits> = known.into_iter().collect::<Option<_>>()?;
        let lit = with_operands(e, &known, &mut 0);
        Some(eval(&lit, &|_| {
            unreachable!("operands are replaced by literals")
        }))
    };
    match &e.kind {
        ExprKind::Const(b) => Some(b.clone()),
        ExprKind::Net(_) => None,
        ExprKind::Shift(op, a, amt) => {
            let ca = known_constant(a);
            let cn = match amt {
                ShiftAmount::Const(n) => Some(Bits::from_u64(32, u64::from(*n))),
                ShiftAmount::Var(x) => known_constant(x),
            };
            let wide = cn
                .as_ref()
                .is_some_and(|n| n.to_shift_amount() >= u64::from(a.width));
            if is_zero(&ca) || (wide && *op != ShiftOp::Ashr) {
                return Some(Bits::zero(w));
            }
            match amt {
                ShiftAmount::Const(_) => all(vec![ca]),
                ShiftAmount::Var(_) => all(vec![ca, cn]),
            }
        }
        ExprKind::Binary(op, a, b) => {
            let (ca, cb) = (known_constant(a), known_constant(b));
            match op {
                BinOp::And | BinOp::Mul if is_zero(&ca) || is_zero(&cb) => Some(Bits::zero(w)),
                BinOp::Or if is_ones(&ca) || is_ones(&cb) => Some(Bits::ones(w)),
                _ => all(vec![ca, cb]),
            }
        }
        ExprKind::Cmp(op, signed, a, b) => {
            let (ca, cb) = (known_constant(a), known_constant(b));
            if let Some(v) = decide_cmp(*op, *signed, ca.clone(), cb.clone()) {
                return Some(Bits::from_u64(1, v as u64));
            }
            all(vec![ca, cb])
        }
        ExprKind::Mux(s, a, b) => match known_constant(s) {
            Some(sel) => known_constant(if sel.bit(0) { a } else { b }),
            None => {
                let (ca, cb) = (known_constant(a)?, known_constant(b)?);
                (ca == cb).then_some(ca)
            }
        },
        ExprKind::Slice(a, lo) => match &a.kind {
            ExprKind::Zext(x) if *lo >= x.width => Some(Bits::zero(w)),
            _ => all(vec![known_constant(a)]),
        },
        _ => {
            let mut known = Vec::new();
            for_each_operand(e, |x| known.push(known_constant(x)));
            all(known)
        }
    }
}

/// `e` with its operands (in [`for_each_operand`] order, from `values[*i..]`) replaced by
/// literals.
fn with_operands(e: &ExprRef, values: &[Bits], i: &mut usize) -> ExprRef {
    let mut next = |x: &ExprRef| -> ExprRef {
        let v = values[*i].clone();
        *i += 1;
        Rc::new(Expr {
            kind: ExprKind::Const(v),
            width: x.width,
        })
    };
    let kind = match &e.kind {
        ExprKind::Const(_) | ExprKind::Net(_) => e.kind.clone(),
        ExprKind::Unary(op, a) => ExprKind::Unary(*op, next(a)),
        ExprKind::Binary(op, a, b) => {
            let a = next(a);
            ExprKind::Binary(*op, a, next(b))
        }
        ExprKind::Cmp(op, s, a, b) => {
            let a = next(a);
            ExprKind::Cmp(*op, *s, a, next(b))
        }
        ExprKind::Reduce(op, a) => ExprKind::Reduce(*op, next(a)),
        ExprKind::Shift(op, a, ShiftAmount::Const(n)) => {
            ExprKind::Shift(*op, next(a), ShiftAmount::Const(*n))
        }
        ExprKind::Shift(op, a, ShiftAmount::Var(x)) => {
            let a = next(a);
            ExprKind::Shift(*op, a, ShiftAmount::Var(next(x)))
        }
        ExprKind::Slice(a, lo) => ExprKind::Slice(next(a), *lo),
        ExprKind::Concat(v) => ExprKind::Concat(v.iter().map(&mut next).collect()),
        ExprKind::Repeat(a, n) => ExprKind::Repeat(next(a), *n),
        ExprKind::Zext(a) => ExprKind::Zext(next(a)),
        ExprKind::Sext(a) => ExprKind::Sext(next(a)),
        ExprKind::Mux(s, a, b) => {
            let s = next(s);
            let a = next(a);
            ExprKind::Mux(s, a, next(b))
        }
    };
    Rc::new(Expr {
        kind,
        width: e.width,
    })
}

/// The value of an unsigned comparison that its constant side alone decides: `x >= 0`,
/// `x < 0`, `x <= max` and `x > max` (either operand order), where `max` is all ones at the
/// operands' width and the constant side is what [`known_constant`] finds. `None` when the
/// comparison depends on the other operand, is signed, or has no (or only) constant sides.
/// The emitter prints these as constants: Verilator's `-Wall` flags them (UNSIGNED, CMPCONST).
pub fn range_decided_cmp(op: CmpOp, signed: bool, a: &ExprRef, b: &ExprRef) -> Option<bool> {
    decide_cmp(op, signed, known_constant(a), known_constant(b))
}

fn decide_cmp(op: CmpOp, signed: bool, a: Option<Bits>, b: Option<Bits>) -> Option<bool> {
    if signed {
        return None;
    }
    // Written as `x op c`, with the constant on the right.
    let (op, c) = match (a, b) {
        (None, Some(c)) => (op, c),
        (Some(c), None) => {
            let mirrored = match op {
                CmpOp::Lt => CmpOp::Gt,
                CmpOp::Le => CmpOp::Ge,
                CmpOp::Gt => CmpOp::Lt,
                CmpOp::Ge => CmpOp::Le,
                same => same,
            };
            (mirrored, c)
        }
        _ => return None,
    };
    let zero = c.is_zero();
    let max = c.count_ones() == c.width();
    match op {
        CmpOp::Ge if zero => Some(true),
        CmpOp::Lt if zero => Some(false),
        CmpOp::Le if max => Some(true),
        CmpOp::Gt if max => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: ExprKind, width: u32) -> ExprRef {
        Rc::new(Expr { kind, width })
    }

    /// For every width up to 4, operator, operand order and constant: the fold answers exactly
    /// when the comparison has one value for every `x`, and that value.
    #[test]
    fn range_decided_cmp_is_exactly_the_constant_comparisons() {
        let ops = [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ];
        let holds = |op: CmpOp, l: u64, r: u64| match op {
            CmpOp::Eq => l == r,
            CmpOp::Ne => l != r,
            CmpOp::Lt => l < r,
            CmpOp::Le => l <= r,
            CmpOp::Gt => l > r,
            CmpOp::Ge => l >= r,
        };
        for w in 1..=4u32 {
            let x = node(ExprKind::Net(0), w);
            for c in 0..(1u64 << w) {
                let k = node(ExprKind::Const(Bits::from_u64(w, c)), w);
                for op in ops {
                    for const_left in [false, true] {
                        let got = if const_left {
                            range_decided_cmp(op, false, &k, &x)
                        } else {
                            range_decided_cmp(op, false, &x, &k)
                        };
                        let values: Vec<bool> = (0..(1u64 << w))
                            .map(|v| {
                                if const_left {
                                    holds(op, c, v)
                                } else {
                                    holds(op, v, c)
                                }
                            })
                            .collect();
                        let constant = values.iter().all(|v| *v == values[0]);
                        // Eq/Ne against a 1-bit constant are not constant either; so `Some`
                        // iff every x gives the same answer.
                        let want = constant.then_some(values[0]);
                        assert_eq!(got, want, "w={w} c={c} op={op:?} const_left={const_left}");
                        assert_eq!(range_decided_cmp(op, true, &x, &k), None);
                    }
                }
            }
        }
        let k = node(ExprKind::Const(Bits::from_u64(4, 0)), 4);
        assert_eq!(range_decided_cmp(CmpOp::Ge, false, &k, &k), None);
        // A constant built from operators (`{2{2'b11}}`) counts as the constant side.
        let ones = node(
            ExprKind::Repeat(node(ExprKind::Const(Bits::from_u64(2, 3)), 2), 2),
            4,
        );
        let x = node(ExprKind::Net(0), 4);
        assert_eq!(range_decided_cmp(CmpOp::Le, false, &x, &ones), Some(true));
        assert_eq!(range_decided_cmp(CmpOp::Lt, false, &ones, &x), Some(false));
    }
}
