//! Property tests: random expression trees of random widths (1 to 130+ bits) emit Verilog that
//! Verilator lints clean, and the IR's constant evaluation equals an independent big-integer
//! evaluation, and every bit the known-bits analysis claims constant has that value.

mod common;
mod exprs;

use exprs::{Gen, T};
use nicc_rtl::eval::known_constant;
use nicc_rtl::ir::{for_each_operand, ExprKind, NetKind};
use nicc_rtl::{eval::eval, Bits};
use num_bigint::BigUint;
use proptest::prelude::*;
use rand::Rng;

fn trees(g: &mut Gen, n: usize) -> Vec<T> {
    (0..n)
        .map(|_| {
            let w = [1u32, 1, 7, 8, 32, 33, 64, 65, 100, 130][g.rng.gen_range(0..10)];
            let depth = g.rng.gen_range(1..5);
            g.expr(w, depth)
        })
        .collect()
}

/// `quick` cases, or 50 times as many under `NICC_FULL=1` (`make test-full`).
fn cases(quick: u32) -> u32 {
    if std::env::var_os("NICC_FULL").is_some_and(|v| v == "1") {
        quick * 50
    } else {
        quick
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(200), ..ProptestConfig::default() })]

    /// IR evaluation == big-integer evaluation, on random input values.
    #[test]
    fn ir_eval_matches_bigint(seed in any::<u64>()) {
        let mut g = Gen::with_pieces(seed, 4);
        let ts = trees(&mut g, 6);
        let m = exprs::module("rand_exprs", &g, &ts);
        for _ in 0..8 {
            let vals: Vec<BigUint> = g.inputs.iter().map(|w| {
                let words: Vec<u32> = (0..w.div_ceil(32)).map(|_| g.rng.gen()).collect();
                BigUint::from_slice(&words) & exprs::mask(*w)
            }).collect();
            let bits: Vec<Bits> = vals.iter().zip(&g.inputs).map(|(v, w)| Bits::from_words(*w, &v.to_u32_digits())).collect();
            let net_val = |id: usize| -> Bits {
                let n = &m.nets[id];
                assert_eq!(n.kind, NetKind::Input);
                let i: usize = n.name.trim_start_matches("in_").parse().unwrap();
                bits[i].clone()
            };
            for (k, t) in ts.iter().enumerate() {
                let out = m.port(&format!("out_{k}")).unwrap();
                let got = eval(out.driver.as_ref().unwrap(), &net_val);
                let want = exprs::eval(t, &g.inputs, &vals);
                let got_big = BigUint::from_slice(got.words());
                prop_assert_eq!(&got_big, &want, "seed {} tree {:?}", seed, t);
                // What the emitter's constant folding claims of a subexpression holds here.
                let mut stack = vec![out.driver.as_ref().unwrap()];
                while let Some(x) = stack.pop() {
                    let v = eval(x, &net_val);
                    if let Some(c) = known_constant(x) {
                        prop_assert_eq!(&v, &c, "seed {} tree {:?}", seed, t);
                    }
                    // Every bit the known-bits analysis claims has that value here.
                    let kb = nicc_rtl::known::of_expr(&m, x);
                    prop_assert_eq!(kb.width(), v.width());
                    for i in 0..v.width() {
                        if let Some(b) = kb.bit(i) {
                            prop_assert_eq!(v.bit(i), b, "bit {} of {:?}, seed {} tree {:?}", i, x, seed, t);
                        }
                    }
                    for_each_operand(x, |y| stack.push(y));
                }
                let _ = matches!(out.driver.as_ref().unwrap().kind, ExprKind::Net(_));
            }
        }
    }
}

/// Emits the random trees of `seed` (with [`T::Pieces`] among them if `pieces`) and lints them
/// with `verilator --lint-only -Wall`.
fn lint_random_trees(seed: u64, pieces: bool) -> Result<(), String> {
    let mut g = if pieces {
        Gen::with_pieces(seed, 3)
    } else {
        Gen::new(seed, 3)
    };
    let mut ts = trees(&mut g, 8);
    // Read every bit of every input (an unread input bit is a lint warning about the test,
    // not about the emitter).
    for i in 0..g.inputs.len() {
        ts.push(T::Red("xor", Box::new(T::In(i))));
    }
    let m = exprs::module_wired("rand_exprs", &g, &ts);
    let d = nicc_rtl::emit(&m).unwrap();
    common::verilator_lint(&d).map_err(|e| format!("seed {seed}: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(24), ..ProptestConfig::default() })]

    /// The emitted Verilog of random trees is clean under `verilator --lint-only -Wall`.
    #[test]
    fn random_trees_lint_clean(seed in any::<u64>()) {
        if let Err(e) = lint_random_trees(seed, true) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// Seeds whose trees once failed the lint (comparisons Verilator folds to a constant: CI on
/// `1'b0 <= in_2[10]`, then random runs of `make test-full`).
#[test]
fn lint_regressions() {
    for seed in [
        9041041584016395735,
        16216782776716140627,
        13085134380395750118,
        1300529222493905877,
        4883133677668938087,
    ] {
        lint_random_trees(seed, false).unwrap();
    }
}

/// Unsigned comparisons that their constant side alone decides (`0 <= x`, `x < 0`,
/// `x <= max`, `max < x`, the constant also as an operator over literals) are emitted as
/// constants: Verilator's `-Wall` flags them otherwise. Random trees with `1'b0 <= in_2[10]`
/// and `(8'd81 << in_1[7:3]) <= {2{{2{2'd3}}}}` once failed the lint test above.
#[test]
fn range_decided_comparisons_lint_clean() {
    use nicc_rtl::{ModuleBuilder, Signal};
    let mut m = ModuleBuilder::new("cmp_consts");
    let mut k = 0;
    for w in [1u32, 4, 65] {
        let x = m.input(&format!("x{w}"), w);
        let max = Signal::constant(
            Bits::from_words(w, &vec![u32::MAX; w.div_ceil(32) as usize]),
            false,
        );
        let zero = Signal::lit(w, 0);
        let mid = Signal::lit(w, 1);
        // All ones again, built by an operator over literals (`{w{1'b1}}`).
        let ones = Signal::lit(1, 1).repeat(w);
        for c in [&zero, &max, &mid, &ones] {
            for (l, r) in [(&x, c), (c, &x)] {
                for s in [l.lt(r), l.le(r), l.gt(r), l.ge(r), l.eq(r), l.ne(r)] {
                    m.output(&format!("o{k}"), &s);
                    k += 1;
                }
            }
        }
        // Keep the input read when every comparison against it folded away.
        m.output(&format!("keep{w}"), &x);
    }
    let d = nicc_rtl::emit(&m.finish().unwrap()).unwrap();
    common::verilator_lint(&d).unwrap();
    assert!(d.verilog().contains("assign o0 = 1'b0;"), "{}", d.verilog());
}
