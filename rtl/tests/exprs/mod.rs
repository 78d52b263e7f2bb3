//! Random, width-correct expression trees, built both as IR and as an independent
//! big-integer evaluator (num-bigint), for property tests of the emitter and simulators.

#![allow(dead_code)]

use nicc_rtl::{ModuleBuilder, Signal};
use num_bigint::{BigInt, BigUint};
use num_traits::{One, Zero};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// A tree node with its width.
#[derive(Debug, Clone)]
pub enum T {
    In(usize),
    Const(u32, BigUint),
    Bin(&'static str, Box<T>, Box<T>),
    Un(&'static str, Box<T>),
    Cmp(&'static str, bool, Box<T>, Box<T>),
    Red(&'static str, Box<T>),
    ShiftC(&'static str, Box<T>, u32),
    ShiftV(&'static str, Box<T>, Box<T>),
    Slice(Box<T>, u32, u32),
    Concat(Vec<T>),
    Repeat(Box<T>, u32),
    Zext(Box<T>, u32),
    Sext(Box<T>, u32),
    Mux(Box<T>, Box<T>, Box<T>),
    /// Concatenation of several `(lo, width)` slices of one operand, built once and shared
    /// (as a generator slicing one computed value into fields or bytes does).
    Pieces(Box<T>, Vec<(u32, u32)>),
}

pub struct Gen {
    pub rng: StdRng,
    pub inputs: Vec<u32>,
    /// Draw [`T::Pieces`] trees too (off in [`Gen::new`], so the trees of the seeds recorded
    /// before it existed stay the same).
    pub pieces: bool,
}

impl Gen {
    pub fn new(seed: u64, n_inputs: usize) -> Gen {
        let mut rng = StdRng::seed_from_u64(seed);
        let inputs = (0..n_inputs)
            .map(|_| {
                let choices = [1u32, 3, 8, 31, 32, 33, 63, 64, 65, 100, 128, 130];
                choices[rng.gen_range(0..choices.len())]
            })
            .collect();
        Gen {
            rng,
            inputs,
            pieces: false,
        }
    }

    /// [`Gen::new`] drawing [`T::Pieces`] trees too.
    pub fn with_pieces(seed: u64, n_inputs: usize) -> Gen {
        Gen {
            pieces: true,
            ..Gen::new(seed, n_inputs)
        }
    }

    fn width(&mut self) -> u32 {
        let choices = [1u32, 2, 5, 8, 16, 32, 33, 64, 65, 96, 129];
        choices[self.rng.gen_range(0..choices.len())]
    }

    fn leaf(&mut self, w: u32) -> T {
        if self.rng.gen_bool(0.25) {
            let v: Vec<u32> = (0..w.div_ceil(32)).map(|_| self.rng.gen()).collect();
            let v = BigUint::from_slice(&v) & mask(w);
            return T::Const(w, v);
        }
        let i = self.rng.gen_range(0..self.inputs.len());
        let iw = self.inputs[i];
        let leaf = T::In(i);
        if iw == w {
            leaf
        } else if iw > w {
            let lo = self.rng.gen_range(0..=iw - w);
            T::Slice(Box::new(leaf), lo, w)
        } else if self.rng.gen_bool(0.5) {
            T::Zext(Box::new(leaf), w)
        } else {
            T::Sext(Box::new(leaf), w)
        }
    }

    pub fn expr(&mut self, w: u32, depth: u32) -> T {
        if depth == 0 {
            return self.leaf(w);
        }
        let d = depth - 1;
        let b = |x: T| Box::new(x);
        match self.rng.gen_range(0..14) {
            0 => {
                let ops = ["add", "sub", "mul", "and", "or", "xor"];
                let op = ops[self.rng.gen_range(0..ops.len())];
                T::Bin(op, b(self.expr(w, d)), b(self.expr(w, d)))
            }
            1 => {
                let op = if self.rng.gen_bool(0.5) { "not" } else { "neg" };
                T::Un(op, b(self.expr(w, d)))
            }
            2 if w == 1 => {
                let ops = ["eq", "ne", "lt", "le", "gt", "ge"];
                let op = ops[self.rng.gen_range(0..ops.len())];
                let cw = self.width();
                let signed = self.rng.gen_bool(0.5);
                T::Cmp(op, signed, b(self.expr(cw, d)), b(self.expr(cw, d)))
            }
            3 if w == 1 => {
                let ops = ["and", "or", "xor"];
                let cw = self.width();
                T::Red(ops[self.rng.gen_range(0..3)], b(self.expr(cw, d)))
            }
            4 => {
                let ops = ["shl", "shr", "ashr"];
                let op = ops[self.rng.gen_range(0..3)];
                let n = self.rng.gen_range(1..w + 3);
                T::ShiftC(op, b(self.expr(w, d)), n)
            }
            5 => {
                let ops = ["shl", "shr", "ashr"];
                let op = ops[self.rng.gen_range(0..3)];
                let aw = self.rng.gen_range(1..=8);
                T::ShiftV(op, b(self.expr(w, d)), b(self.expr(aw, d)))
            }
            6 => {
                let extra = self.rng.gen_range(1..40);
                let lo = self.rng.gen_range(0..=extra);
                T::Slice(b(self.expr(w + extra, d)), lo, w)
            }
            7 if w >= 2 => {
                let cut = self.rng.gen_range(1..w);
                T::Concat(vec![self.expr(cut, d), self.expr(w - cut, d)])
            }
            8 if w.is_multiple_of(2) || w.is_multiple_of(3) => {
                let n = if w.is_multiple_of(2) { 2 } else { 3 };
                T::Repeat(b(self.expr(w / n, d)), n)
            }
            9 if w >= 2 => {
                let cw = self.rng.gen_range(1..w);
                T::Zext(b(self.expr(cw, d)), w)
            }
            10 if w >= 2 => {
                let cw = self.rng.gen_range(1..w);
                T::Sext(b(self.expr(cw, d)), w)
            }
            11 => T::Mux(b(self.expr(1, d)), b(self.expr(w, d)), b(self.expr(w, d))),
            12 if w >= 2 && self.pieces => {
                // Two to four pieces: either consecutive chunks of the operand in a shuffled
                // order (an unbroken range, like a byte swap), or anywhere (gaps, overlaps).
                let n = self.rng.gen_range(2..=w.min(4));
                let mut cuts: Vec<u32> = (1..w).collect();
                cuts.shuffle(&mut self.rng);
                let mut cuts: Vec<u32> = cuts[..n as usize - 1].to_vec();
                cuts.sort_unstable();
                let widths: Vec<u32> = std::iter::once(0)
                    .chain(cuts.iter().copied())
                    .zip(cuts.iter().copied().chain(std::iter::once(w)))
                    .map(|(a, z)| z - a)
                    .collect();
                let extra = self.rng.gen_range(0..24);
                let base = self.rng.gen_range(0..=extra);
                let unbroken = self.rng.gen_bool(0.5);
                let mut pieces = Vec::new();
                let mut lo = base;
                for pw in widths {
                    let at = if unbroken {
                        lo
                    } else {
                        self.rng.gen_range(0..=w + extra - pw)
                    };
                    pieces.push((at, pw));
                    lo += pw;
                }
                pieces.shuffle(&mut self.rng);
                T::Pieces(b(self.expr(w + extra, d)), pieces)
            }
            _ => self.leaf(w),
        }
    }
}

pub fn mask(w: u32) -> BigUint {
    (BigUint::one() << w) - BigUint::one()
}

fn to_signed(v: &BigUint, w: u32) -> BigInt {
    if (v >> (w - 1)) & BigUint::one() == BigUint::one() {
        BigInt::from(v.clone()) - (BigInt::one() << w)
    } else {
        BigInt::from(v.clone())
    }
}

fn from_signed(v: &BigInt, w: u32) -> BigUint {
    let m = BigInt::one() << w;
    let r = ((v % &m) + &m) % &m;
    r.to_biguint().unwrap()
}

/// Width of a tree.
pub fn width(t: &T, inputs: &[u32]) -> u32 {
    match t {
        T::In(i) => inputs[*i],
        T::Const(w, _) => *w,
        T::Bin(_, a, _) | T::Un(_, a) | T::ShiftC(_, a, _) | T::ShiftV(_, a, _) => width(a, inputs),
        T::Cmp(..) | T::Red(..) => 1,
        T::Slice(_, _, w) | T::Zext(_, w) | T::Sext(_, w) => *w,
        T::Concat(v) => v.iter().map(|x| width(x, inputs)).sum(),
        T::Repeat(a, n) => width(a, inputs) * n,
        T::Mux(_, a, _) => width(a, inputs),
        T::Pieces(_, v) => v.iter().map(|p| p.1).sum(),
    }
}

/// Independent evaluation with big integers (values are unsigned, in [0, 2^w)).
pub fn eval(t: &T, inputs: &[u32], vals: &[BigUint]) -> BigUint {
    let w = width(t, inputs);
    let m = mask(w);
    match t {
        T::In(i) => vals[*i].clone(),
        T::Const(_, v) => v.clone(),
        T::Bin(op, a, bb) => {
            let x = eval(a, inputs, vals);
            let y = eval(bb, inputs, vals);
            match *op {
                "add" => (x + y) & m,
                "sub" => (x + (BigUint::one() << w) - y) & m,
                "mul" => (x * y) & m,
                "and" => x & y,
                "or" => x | y,
                _ => x ^ y,
            }
        }
        T::Un(op, a) => {
            let x = eval(a, inputs, vals);
            if *op == "not" {
                &m ^ x
            } else {
                ((BigUint::one() << w) - x) & m
            }
        }
        T::Cmp(op, signed, a, bb) => {
            let cw = width(a, inputs);
            let x = eval(a, inputs, vals);
            let y = eval(bb, inputs, vals);
            let ord = if *signed {
                to_signed(&x, cw).cmp(&to_signed(&y, cw))
            } else {
                x.cmp(&y)
            };
            use std::cmp::Ordering::*;
            let r = match *op {
                "eq" => ord == Equal,
                "ne" => ord != Equal,
                "lt" => ord == Less,
                "le" => ord != Greater,
                "gt" => ord == Greater,
                _ => ord != Less,
            };
            BigUint::from(r as u8)
        }
        T::Red(op, a) => {
            let cw = width(a, inputs);
            let x = eval(a, inputs, vals);
            let ones = x.count_ones();
            let r = match *op {
                "and" => ones == cw as u64,
                "or" => ones > 0,
                _ => ones % 2 == 1,
            };
            BigUint::from(r as u8)
        }
        T::ShiftC(op, a, n) => shift(op, eval(a, inputs, vals), w, *n as u64),
        T::ShiftV(op, a, amt) => {
            let n = eval(amt, inputs, vals);
            let n: u64 = n.try_into().unwrap_or(u64::MAX);
            shift(op, eval(a, inputs, vals), w, n)
        }
        T::Slice(a, lo, _) => (eval(a, inputs, vals) >> *lo) & m,
        T::Concat(v) => {
            let mut acc = BigUint::zero();
            for x in v {
                acc = (acc << width(x, inputs)) | eval(x, inputs, vals);
            }
            acc
        }
        T::Repeat(a, n) => {
            let cw = width(a, inputs);
            let x = eval(a, inputs, vals);
            let mut acc = BigUint::zero();
            for _ in 0..*n {
                acc = (acc << cw) | &x;
            }
            acc
        }
        T::Zext(a, _) => eval(a, inputs, vals),
        T::Sext(a, _) => from_signed(&to_signed(&eval(a, inputs, vals), width(a, inputs)), w),
        T::Mux(s, a, bb) => {
            if eval(s, inputs, vals).is_zero() {
                eval(bb, inputs, vals)
            } else {
                eval(a, inputs, vals)
            }
        }
        T::Pieces(a, v) => {
            let x = eval(a, inputs, vals);
            v.iter().fold(BigUint::zero(), |acc, &(lo, pw)| {
                (acc << pw) | ((&x >> lo) & mask(pw))
            })
        }
    }
}

fn shift(op: &str, x: BigUint, w: u32, n: u64) -> BigUint {
    let m = mask(w);
    match op {
        "shl" => {
            if n >= w as u64 {
                BigUint::zero()
            } else {
                (x << n) & m
            }
        }
        "shr" => {
            if n >= w as u64 {
                BigUint::zero()
            } else {
                x >> n
            }
        }
        _ => {
            let s = to_signed(&x, w);
            let n = n.min(w as u64);
            from_signed(&(s >> n), w)
        }
    }
}

/// Builds the tree as IR in `m` over `ins`.
pub fn build(t: &T, ins: &[Signal]) -> Signal {
    match t {
        T::In(i) => ins[*i].clone(),
        T::Const(w, v) => {
            let words = v.to_u32_digits();
            Signal::constant(nicc_rtl::Bits::from_words(*w, &words), false)
        }
        T::Bin(op, a, b) => {
            let (x, y) = (build(a, ins), build(b, ins));
            match *op {
                "add" => x + y,
                "sub" => x - y,
                "mul" => x * y,
                "and" => x & y,
                "or" => x | y,
                _ => x ^ y,
            }
        }
        T::Un(op, a) => {
            let x = build(a, ins);
            if *op == "not" {
                !x
            } else {
                -x
            }
        }
        T::Cmp(op, signed, a, b) => {
            let (mut x, mut y) = (build(a, ins).as_unsigned(), build(b, ins).as_unsigned());
            if *signed {
                x = x.as_signed();
                y = y.as_signed();
            }
            match *op {
                "eq" => x.eq(&y),
                "ne" => x.ne(&y),
                "lt" => x.lt(&y),
                "le" => x.le(&y),
                "gt" => x.gt(&y),
                _ => x.ge(&y),
            }
        }
        T::Red(op, a) => {
            let x = build(a, ins);
            match *op {
                "and" => x.reduce_and(),
                "or" => x.reduce_or(),
                _ => x.reduce_xor(),
            }
        }
        T::ShiftC(op, a, n) => {
            let x = build(a, ins);
            match *op {
                "shl" => x.shl(*n),
                "shr" => x.shr(*n),
                _ => x.ashr(*n),
            }
        }
        T::ShiftV(op, a, amt) => {
            let (x, n) = (build(a, ins), build(amt, ins));
            match *op {
                "shl" => x.shl_var(&n),
                "shr" => x.shr_var(&n),
                _ => x.ashr_var(&n),
            }
        }
        T::Slice(a, lo, w) => build(a, ins).slice(*lo, *w),
        T::Concat(v) => Signal::concat(&v.iter().map(|x| build(x, ins)).collect::<Vec<_>>()),
        T::Repeat(a, n) => build(a, ins).repeat(*n),
        T::Zext(a, w) => build(a, ins).zext(*w),
        T::Sext(a, w) => build(a, ins).sext(*w),
        T::Mux(s, a, b) => build(s, ins).mux(&build(a, ins), &build(b, ins)),
        T::Pieces(a, v) => {
            let x = build(a, ins);
            Signal::concat(
                &v.iter()
                    .map(|&(lo, pw)| x.slice(lo, pw))
                    .collect::<Vec<_>>(),
            )
        }
    }
}

/// A module `name` with inputs `in_<i>` and outputs `out_<k>`, each driven by its tree.
pub fn module(name: &str, g: &Gen, trees: &[T]) -> std::rc::Rc<nicc_rtl::Module> {
    build_module(name, g, trees, false)
}

/// [`module`] with every other tree (the even ones) through a wire `w_<k>`: a wire's driver
/// prints differently (a slice of an expression is assigned to the wire itself).
pub fn module_wired(name: &str, g: &Gen, trees: &[T]) -> std::rc::Rc<nicc_rtl::Module> {
    build_module(name, g, trees, true)
}

fn build_module(name: &str, g: &Gen, trees: &[T], wired: bool) -> std::rc::Rc<nicc_rtl::Module> {
    let mut m = ModuleBuilder::new(name);
    let ins: Vec<Signal> = g
        .inputs
        .iter()
        .enumerate()
        .map(|(i, w)| m.input(&format!("in_{i}"), *w))
        .collect();
    for (k, t) in trees.iter().enumerate() {
        let s = build(t, &ins);
        let s = if wired && k % 2 == 0 {
            m.wire(&format!("w_{k}"), &s)
        } else {
            s
        };
        m.output(&format!("out_{k}"), &s);
    }
    m.finish().expect("random trees are width-correct")
}
