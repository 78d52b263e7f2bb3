//! Formal equivalence (Yosys + `yosys-abc cec`) of the generated compaction and expansion
//! networks against the definition-level reference of `butterfly::formal`: every mask and
//! every value. `butterfly_netlist.rs` checks that reference against the golden model.
//! A network with one switch wired the wrong way round is refuted with a counterexample.
//! Pipelined networks are proven through their registers; one with a register skipped is
//! refused, one with a miswired switch refuted.

use nicc_rtl::blocks::butterfly::{
    generate, generate_crossbar_compact, ButterflyParams, MaskSource, Mode,
};
use nicc_rtl::Design;
use nicc_synth::EquivResult;
use nicc_testbench::butterfly::formal::{prove, prove_design, FormalError};
use std::time::Instant;

fn params(mode: Mode, lanes: usize, width: usize, mask: MaskSource) -> ButterflyParams {
    ButterflyParams::combinational(mode, lanes, width, mask)
}

/// Replaces `from` (which must occur) by `to` in the emitted Verilog: a deliberate bug.
fn edit(d: &mut Design, from: &str, to: &str) {
    let f = d
        .files
        .iter_mut()
        .find(|f| f.text.contains(from))
        .unwrap_or_else(|| panic!("`{from}` is not in the emitted Verilog"));
    f.text = f.text.replace(from, to);
}

fn assert_proven(p: &ButterflyParams) {
    let t = Instant::now();
    let r = prove(p, None).unwrap();
    println!(
        "{} N={} D={} mask={}: {r} ({:.1} s)",
        p.mode,
        p.lanes,
        p.width,
        p.mask,
        t.elapsed().as_secs_f64()
    );
    assert_eq!(r.result, EquivResult::Equivalent, "{p:?}");
    if let Some(latency) = p.stages().checked_div(p.pipeline) {
        let c = r.pipeline.expect("what the proof looked through");
        assert_eq!(c.latency, Some(latency as u32), "{p:?}");
        assert!(
            c.flops > 0 && c.enable.is_some() && c.reset.is_some(),
            "{c}"
        );
    }
}

/// `make test`: N = 2 to 8 with both mask sources, D = 1 and 8 (the 16-lane non-zero-mask
/// network is `nicc run`'s default, which `tests/cli.rs` proves too). `NICC_FULL=1` adds
/// D = 16, N = 16 and N = 32 (about 6 s and 40-60 s each: the `cec` time grows about 7x per
/// doubling of N; N = 64 did not finish in 13 minutes).
#[test]
fn compaction_networks_equal_their_definition() {
    let mut sizes = vec![(2, 1), (4, 8), (8, 1)];
    if nicc_testbench::test_env::full() {
        sizes.extend([(8, 16), (16, 8), (32, 8)]);
    }
    for (n, d) in sizes {
        for mask in [MaskSource::Nonzero, MaskSource::External] {
            assert_proven(&params(Mode::Compact, n, d, mask));
        }
    }
}

/// The compaction crossbar baseline (`crossbar-compact`) computes the same function: N = 2
/// to 8, both mask sources, D = 1 and 8. A wrong decoder constant in it is refuted.
#[test]
fn compaction_crossbar_equals_the_definition() {
    for (n, d) in [(2, 8), (4, 1), (8, 8)] {
        for mask in [MaskSource::Nonzero, MaskSource::External] {
            let p = params(Mode::Compact, n, d, mask);
            let x = generate_crossbar_compact(&p, "crossbar_compact").unwrap();
            let r = prove_design(&x, &p, None).unwrap();
            println!("crossbar-compact N={n} D={d} mask={mask}: {r}");
            assert_eq!(r.result, EquivResult::Equivalent, "{p:?}");
        }
    }
    let p = params(Mode::Compact, 8, 8, MaskSource::External);
    let mut x = generate_crossbar_compact(&p, "crossbar_compact").unwrap();
    edit(
        &mut x,
        "hit_2_5 = in_mask[5] & (pfx2_5 == 4'd3)",
        "hit_2_5 = in_mask[5] & (pfx2_5 == 4'd2)",
    );
    assert!(
        matches!(
            prove_design(&x, &p, None).unwrap().result,
            EquivResult::NotEquivalent { .. }
        ),
        "a crosspoint decoding the wrong rank was not refuted"
    );
}

/// Expansion takes its mask from `in_mask`. `make test`: N = 2 to 8; `NICC_FULL=1` adds
/// N = 16 and 32.
#[test]
fn expansion_networks_equal_their_definition() {
    let mut sizes = vec![(2, 8), (4, 1), (8, 8)];
    if nicc_testbench::test_env::full() {
        sizes.extend([(16, 8), (32, 8)]);
    }
    for (n, d) in sizes {
        assert_proven(&params(Mode::Expand, n, d, MaskSource::External));
    }
}

/// One stage-0 switch of the 8-lane network passes straight where it should cross: refuted,
/// with the input values that show it.
#[test]
fn a_miswired_switch_is_refuted() {
    let p = params(Mode::Compact, 8, 8, MaskSource::External);
    let mut d = generate(&p, "butterfly").unwrap();
    edit(
        &mut d,
        "s0_cross0 ? in_l1 : in_l0",
        "s0_cross0 ? in_l0 : in_l1",
    );
    match prove_design(&d, &p, None).unwrap().result {
        EquivResult::NotEquivalent { counterexample, .. } => {
            let names: Vec<&str> = counterexample.iter().map(|(n, _)| n.as_str()).collect();
            assert!(
                names.contains(&"in_data") && names.contains(&"in_mask"),
                "{names:?}"
            );
        }
        r => panic!("the miswired network was not refuted: {r}"),
    }
}

#[test]
fn configurations_outside_the_proof_are_named() {
    let mut p = params(Mode::Permute, 8, 8, MaskSource::External);
    let e = prove(&p, None).unwrap_err();
    assert!(matches!(e, FormalError::Unsupported(_)), "{e}");
    assert!(e.to_string().contains("mode = permute"), "{e}");
    p.mode = Mode::Expand;
    p.pipeline = 1;
    p.out_lanes = 4;
    assert!(prove(&p, None)
        .unwrap_err()
        .to_string()
        .contains("expand with out_lanes = 4 < lanes"));
    p.lanes = 6;
    let e = prove(&p, None).unwrap_err();
    assert!(matches!(e, FormalError::Gen(_)), "{e}");
}

/// Pipelined networks (a register level every `pipeline` switch stages, one shared stall
/// enable, a synchronous reset) are proven through their registers: compact with both mask
/// sources and expand, at the shallowest and deepest register spacing.
#[test]
fn pipelined_networks_equal_their_definition() {
    for (mode, n, d, mask, pipeline) in [
        (Mode::Compact, 4, 8, MaskSource::Nonzero, 1),
        (Mode::Compact, 8, 1, MaskSource::External, 2),
        (Mode::Compact, 8, 8, MaskSource::Nonzero, 3),
        (Mode::Expand, 8, 8, MaskSource::External, 1),
    ] {
        assert_proven(&ButterflyParams {
            pipeline,
            ..params(mode, n, d, mask)
        });
    }
}

/// A pipelined network where one switch reads a lane before its register (a path one
/// register short) is refused; the network with its registers claimed at another spacing
/// is refused naming both latencies; one miswired switch is refuted.
#[test]
fn a_pipelined_network_with_a_skipped_register_or_a_miswired_switch_is_caught() {
    let p = ButterflyParams {
        pipeline: 2,
        ..params(Mode::Compact, 8, 8, MaskSource::External)
    };
    let d = generate(&p, "butterfly").unwrap();
    let mut skipped = d.clone();
    edit(
        &mut skipped,
        "p0_ctl_s2[1] ? p0_l5 : p0_l1}",
        "p0_ctl_s2[1] ? p0_l5 : s1_l1}",
    );
    let e = prove_design(&skipped, &p, None).unwrap_err().to_string();
    assert!(
        e.contains("not a balanced pipeline: the gate driving `out_data[8]` reads `s1_l1[0]` at register depth 0 and `p0_l5[0]` at depth 1"),
        "{e}"
    );
    let q = ButterflyParams { pipeline: 1, ..p };
    let e = prove_design(&d, &q, None).unwrap_err();
    assert!(matches!(e, FormalError::Latency { .. }), "{e}");
    assert!(
        e.to_string().contains(
            "lag its inputs by 1 enabled cycles, but pipeline = 1 over 3 switch stages means 3"
        ),
        "{e}"
    );
    let mut miswired = d;
    edit(
        &mut miswired,
        "s0_cross0 ? in_l1 : in_l0",
        "s0_cross0 ? in_l0 : in_l1",
    );
    let r = prove_design(&miswired, &p, None).unwrap();
    assert!(
        matches!(r.result, EquivResult::NotEquivalent { .. }),
        "the miswired pipelined network was not refuted: {r}"
    );
}

/// Multi-beat compaction (`out_lanes` < `lanes`): the beat counter is cut into a free input
/// and every beat it can show is proven equal to its window of the definition, pipelined or
/// not.
#[test]
fn multibeat_networks_show_every_beat_of_their_definition() {
    for (n, d, k, mask, pipeline) in [
        (4, 8, 1, MaskSource::Nonzero, 0),
        (8, 4, 3, MaskSource::Nonzero, 1),
        (8, 8, 4, MaskSource::External, 2),
    ] {
        let p = ButterflyParams {
            out_lanes: k,
            pipeline,
            ..params(Mode::Compact, n, d, mask)
        };
        assert_proven(&p);
        assert_eq!(prove(&p, None).unwrap().beats, Some(n.div_ceil(k)));
    }
}

/// Wrong beat windows are refuted: a beat multiplexer picking the wrong lane and a
/// valid-lane bound off by one, in a pipelined 8-lane router of 2-lane beats (4 beats: every
/// value of its 2-bit counter is a beat, the case where a range check of the counter once
/// made the proof vacuous); and a lane of the last, partial beat of 3-lane beats showing an
/// index where the definition has none.
#[test]
fn a_wrong_beat_window_is_refuted() {
    let cases = [
        (2, "beat_is2 ? out_l5[7:0]", "beat_is2 ? out_l4[7:0]"),
        (2, "beat_is1 ? 5'd2 :", "beat_is1 ? 5'd1 :"),
        (
            3,
            "beat_is2 ? 3'd0 : out_l2[10:8]",
            "beat_is2 ? out_l7[10:8] : out_l2[10:8]",
        ),
    ];
    for (k, from, to) in cases {
        let p = ButterflyParams {
            out_lanes: k,
            pipeline: 1,
            ..params(Mode::Compact, 8, 8, MaskSource::Nonzero)
        };
        let mut d = generate(&p, "butterfly").unwrap();
        edit(&mut d, from, to);
        let r = prove_design(&d, &p, None).unwrap();
        assert!(
            matches!(r.result, EquivResult::NotEquivalent { .. }),
            "`{to}` was not refuted: {r}"
        );
    }
}
