//! Constant evaluation of IR expressions on [`Bits`], given the values of the nets they read.
//!
//! This is the IR's own meaning of every operator, used to cross-check the emitted Verilog.

use crate::bits::Bits;
use crate::ir::{BinOp, CmpOp, ExprKind, ExprRef, NetId, RedOp, ShiftAmount, ShiftOp, UnOp};
use std::cmp::Ordering;

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
