//! Formal proofs at the size, N = 16, W = 8 (issue 4): every style, signed and
//! unsigned, with the final adders cycled (`NICC_FULL=1`: every final adder for each),
//! proven equal to `out_sum = in_0 + in_1 + ...` by algebraic backward rewriting
//! (`nicc_testbench::adder_tree::formal`), the registry's reference proven against the same sum, and wrong trees (one inverted bit in the reduction, one in the
//! final adder) refuted with a counterexample that Icarus and the golden model confirm.

use nicc_rtl::blocks::adder_tree::{generate, AdderTreeParams, FinalAdder, TreeStyle};
use nicc_rtl::{emit, Bits, Design, Dir};
use nicc_synth::{prove_linear, AlgebraOptions, AlgebraReport, AlgebraVerdict, RegionCheck};
use nicc_testbench::adder_tree::formal::{
    prove_design, prove_reference, prove_tree, spec, FINAL_ADDER_PREFIX,
};
use nicc_testbench::adder_tree::golden::golden_sum;
use std::time::Instant;

fn params(style: TreeStyle, signed: bool, fa: FinalAdder) -> AdderTreeParams {
    AdderTreeParams {
        inputs: 16,
        width: if style == TreeStyle::Popcount { 1 } else { 8 },
        signed,
        style,
        final_adder: fa,
        pipeline: 0,
        out_width: None,
    }
}

/// `NICC_FULL=1`: every style with every final adder, signed and unsigned (26 proofs).
/// Otherwise the 8 (4 styles x signed/unsigned) with the final adders cycled so each
/// one is proven, plus popcount: 10 proofs.
fn configs() -> Vec<AdderTreeParams> {
    let full = nicc_testbench::test_env::full();
    let mut v = Vec::new();
    let mut k = 0;
    for style in TreeStyle::ALL {
        for signed in [false, true] {
            let fas: Vec<FinalAdder> = if style == TreeStyle::Binary {
                vec![FinalAdder::Ripple]
            } else if full {
                FinalAdder::ALL.to_vec()
            } else {
                k += 1;
                vec![FinalAdder::ALL[k % 3]]
            };
            for fa in fas {
                v.push(params(style, signed, fa));
            }
        }
    }
    v
}

#[test]
fn n16_w8_every_style_and_final_adder_equals_the_sum() {
    let t = Instant::now();
    let cs = configs();
    // Two workers (Yosys runs dominate on small configurations).
    let results: Vec<(String, AlgebraReport)> = std::thread::scope(|sc| {
        let half = cs.len().div_ceil(2);
        let jobs: Vec<_> = cs
            .chunks(half)
            .map(|part| {
                sc.spawn(move || {
                    part.iter()
                        .map(|p| (p.module_name(), prove_tree(p, None).unwrap()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        jobs.into_iter()
            .flat_map(|j| j.join().expect("proof worker"))
            .collect()
    });
    let mut failed = Vec::new();
    for (name, r) in &results {
        eprintln!("{name}: {r}");
        if r.verdict != AlgebraVerdict::Proven {
            failed.push(format!("{name}: {r}"));
        }
    }
    assert!(results.len() == 10 || results.len() == 26);
    eprintln!("all proofs: {:.1} s", t.elapsed().as_secs_f64());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn the_reference_equals_the_sum() {
    for signed in [false, true] {
        let p = params(TreeStyle::Binary, signed, FinalAdder::Ripple);
        let r = prove_reference(&p, None).unwrap();
        assert_eq!(r.verdict, AlgebraVerdict::Proven, "{r}");
    }
}

#[test]
fn wrapped_and_extended_outputs_equal_the_sum() {
    for ow in [5, 9, 14] {
        let p = AdderTreeParams {
            out_width: Some(ow),
            ..params(TreeStyle::Compressor42, true, FinalAdder::BrentKung)
        };
        let r = prove_tree(&p, None).unwrap();
        assert_eq!(
            r.verdict,
            AlgebraVerdict::Proven,
            "{}: {r}",
            p.module_name()
        );
    }
}

/// The tree of `p` with `assign`/`wire NAME = EXPR;` inverted.
fn mutate(p: &AdderTreeParams, name: &str) -> Design {
    let mut d = emit(&generate(p, "adder_tree").unwrap()).unwrap();
    let needle = format!("wire {name} = ");
    let f = &mut d.files[0].text;
    let at = f.find(&needle).unwrap_or_else(|| panic!("no wire {name}"));
    let start = at + needle.len();
    let end = start + f[start..].find(';').unwrap();
    let expr = f[start..end].to_string();
    f.replace_range(start..end, &format!("~({expr})"));
    d
}

fn assert_refuted(p: &AdderTreeParams, d: &Design, r: &AlgebraReport) {
    let AlgebraVerdict::Refuted { counterexample } = &r.verdict else {
        panic!("expected a refutation, got {r}");
    };
    let value = |port: &str| {
        counterexample
            .iter()
            .find(|(n, _)| n == port)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{port} in the counterexample"))
    };
    let in_data = value("in_data");
    assert_eq!(in_data.width(), p.inputs * p.width);
    // Icarus runs the wrong design on the counterexample, held for `pipeline` clock edges
    // (one cycle when combinational); the golden model disagrees with the sum it shows.
    let cycle: Vec<Bits> = d
        .ports
        .iter()
        .filter(|q| q.dir == Dir::Input && Some(q.name.as_str()) != d.clock.as_deref())
        .map(|q| value(&q.name))
        .collect();
    let cycles = p.pipeline.max(1) as usize;
    let out = nicc_sim::icarus::run_batch(&zero_registers(d), &vec![cycle; cycles]).unwrap();
    let sum_at = d
        .ports
        .iter()
        .filter(|q| q.dir == Dir::Output)
        .position(|q| q.name == "out_sum")
        .expect("an out_sum port");
    let want: Bits = golden_sum(p, &in_data);
    assert_ne!(
        out[cycles - 1][sum_at],
        want,
        "the counterexample {in_data:?} is not a failing input"
    );
}

/// `d` with every `reg` starting at 0, so that Icarus shows no unknown bits while the
/// pipeline fills (the generated registers have no reset; the sum counts from the
/// `pipeline`-th edge on, whatever they started at).
fn zero_registers(d: &Design) -> Design {
    let mut d = d.clone();
    let f = &mut d.files[0].text;
    let inits: String = f
        .lines()
        .filter_map(|l| l.trim().strip_prefix("reg "))
        .map(|r| {
            let name = r.trim_end_matches(';').rsplit(' ').next().unwrap_or(r);
            format!("    initial {name} = 0;\n")
        })
        .collect();
    let end = f.rfind("endmodule").expect("one module");
    f.insert_str(end, &inits);
    d
}

#[test]
fn an_inverted_reduction_bit_is_refuted() {
    let p = params(TreeStyle::Wallace, true, FinalAdder::KoggeStone);
    let d = mutate(&p, "s3_col5_fa0_s");
    let r = prove_design(&d, &p, true, None).unwrap();
    assert_refuted(&p, &d, &r);
}

#[test]
fn an_inverted_final_adder_bit_is_refuted() {
    let p = params(TreeStyle::Dadda, false, FinalAdder::BrentKung);
    let d = mutate(&p, "cpa_s7");
    let r = prove_design(&d, &p, true, None).unwrap();
    assert_eq!(r.region_check, RegionCheck::Exhaustive, "{r}");
    assert_refuted(&p, &d, &r);
    // The same with the region's check done by `cec` (as for a boundary too wide to
    // enumerate): it must find the region non-linear, else the rewriting would take the
    // weights measured at the unit vectors and prove the wrong tree.
    let opts = AlgebraOptions {
        region_prefix: Some(FINAL_ADDER_PREFIX.into()),
        max_region_inputs: 0,
        ..AlgebraOptions::default()
    };
    let r = prove_linear(&d, &spec(&p), &opts).unwrap();
    assert_eq!(r.region_check, RegionCheck::Cec, "{r}");
    assert_refuted(&p, &d, &r);
}

/// Outputs wider than 128 bits (the polynomial's coefficients are 512-bit words): 4 x 136-bit
/// signed operands, a 138-bit sum (Brent-Kung final adder), proven; a carry of weight 2^128 inverted in the reduction
/// is refuted by the rewriting's remainder (a coefficient a 128-bit word would have lost, as
/// it did until 2026-12-08), and the top sum bit inverted in the final adder by the region's
/// `cec` check. Icarus and the golden model confirm both counterexamples.
#[test]
fn a_138_bit_sum_is_proven_and_its_high_bits_checked() {
    let p = proven_with_cec(4, 136, FinalAdder::BrentKung);
    for wire in ["s1_col127_fa0_c", "cpa_s137"] {
        let d = mutate(&p, wire);
        let r = prove_design(&d, &p, true, None).unwrap();
        assert_refuted(&p, &d, &r);
    }
}

/// N = 64, W = 16: the final adder's boundary (38 to 42 nets) is too wide to enumerate, so
/// it is proven linear by `cec` (before, the verdict was "not proven"); the rest of the tree
/// is rewritten as at N = 16. The widest-region style with the prefix adder whose polynomial
/// is largest.
#[test]
fn n64_w16_is_proven_with_the_final_adder_checked_by_cec() {
    proven_with_cec(64, 16, FinalAdder::KoggeStone);
}

/// Proves the signed Dadda tree of `inputs` x `width` bits with final adder `fa`, asserting
/// that its final adder is too wide to enumerate and was proven linear by `cec`; returns its
/// parameters.
fn proven_with_cec(inputs: u32, width: u32, fa: FinalAdder) -> AdderTreeParams {
    let p = AdderTreeParams {
        inputs,
        width,
        ..params(TreeStyle::Dadda, true, fa)
    };
    let t = Instant::now();
    let r = prove_tree(&p, None).unwrap();
    eprintln!(
        "{}: {r} ({:.1} s)",
        p.module_name(),
        t.elapsed().as_secs_f64()
    );
    assert_eq!(r.verdict, AlgebraVerdict::Proven, "{r}");
    assert_eq!(r.region_check, RegionCheck::Cec, "{r}");
    assert!(r.region_inputs > 26, "{r}");
    p
}

/// Pipelined trees: every style at two register depths (its deepest and 2), signed and
/// unsigned in turn, the final adders cycled. The proof looks through the registers and
/// shows every path from an operand to `out_sum` crosses `pipeline` of them.
#[test]
fn pipelined_trees_are_proven_with_their_latency() {
    let mut k = 0;
    for style in TreeStyle::ALL {
        for deepest in [true, false] {
            k += 1;
            let base = params(style, k % 2 == 0, FinalAdder::ALL[k % 3]);
            let p = AdderTreeParams {
                pipeline: if deepest { base.max_pipeline() } else { 2 },
                ..base
            };
            let r = prove_tree(&p, None).unwrap();
            eprintln!("{}: {r}", p.module_name());
            assert_eq!(
                r.verdict,
                AlgebraVerdict::Proven,
                "{}: {r}",
                p.module_name()
            );
            assert_eq!(r.latency, p.pipeline, "{r}");
            assert!(
                r.flops >= p.pipeline as usize * p.out_width() as usize / 2,
                "{r}"
            );
        }
    }
}

#[test]
fn a_skipped_or_missing_register_stage_is_refused() {
    let p = AdderTreeParams {
        pipeline: 2,
        ..params(TreeStyle::Wallace, true, FinalAdder::Ripple)
    };
    // One full adder of stage 5 reads register s4_col3_q0's D (stage 4's sum) instead of
    // the register: a path that skips a register stage.
    let mut d = emit(&generate(&p, "adder_tree").unwrap()).unwrap();
    let (from, to) = (
        "wire s5_col3_fa0_s = s4_col3_q0 ^",
        "wire s5_col3_fa0_s = s4_col3_fa0_s ^",
    );
    assert!(
        d.files[0].text.contains(from),
        "`{from}` is not in the tree"
    );
    d.files[0].text = d.files[0].text.replace(from, to);
    let e = prove_design(&d, &p, true, None).unwrap_err().to_string();
    assert!(e.contains("`out_sum`: not a balanced pipeline"), "{e}");
    // The tree as generated, against a specification with another latency.
    let d = emit(&generate(&p, "adder_tree").unwrap()).unwrap();
    for wrong in [1, 3] {
        let q = AdderTreeParams {
            pipeline: wrong,
            ..p
        };
        let e = prove_design(&d, &q, true, None).unwrap_err().to_string();
        assert!(
            e.contains(&format!("lags its inputs by 2 cycles (flip-flops on every path), the specification by {wrong}")),
            "{e}"
        );
    }
}

/// Inverted bits in the reduction and in the final adder of a pipelined tree are refuted;
/// Icarus, clocking the wrong tree with the counterexample held, confirms each.
#[test]
fn an_inverted_bit_of_a_pipelined_tree_is_refuted() {
    let p = AdderTreeParams {
        pipeline: 3,
        ..params(TreeStyle::Dadda, false, FinalAdder::BrentKung)
    };
    for wire in ["s2_col4_fa0_s", "cpa_s6"] {
        let d = mutate(&p, wire);
        let r = prove_design(&d, &p, true, None).unwrap();
        assert_refuted(&p, &d, &r);
    }
}
