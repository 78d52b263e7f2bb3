//! `sim_jsonl`: JSON-lines vectors through the Verilated router and the golden model.

use nicc_rtl::blocks::butterfly::{ButterflyParams, MaskSource, Mode};
use nicc_testbench::butterfly::cli::sim_jsonl;

fn params(mode: Mode, mask: MaskSource) -> ButterflyParams {
    ButterflyParams {
        lanes: 4,
        width: 8,
        mode,
        mask,
        out_lanes: 4,
        pipeline: 0,
    }
}

fn run(p: &ButterflyParams, input: &str) -> (anyhow::Result<usize>, String) {
    let dir = tempfile::tempdir().unwrap();
    let (i, o) = (dir.path().join("in.jsonl"), dir.path().join("out.jsonl"));
    std::fs::write(&i, input).unwrap();
    let r = sim_jsonl(p, &i, &o).map(|s| s.vectors);
    (r, std::fs::read_to_string(&o).unwrap_or_default())
}

#[test]
fn compact_and_expand_lines_and_errors() {
    let p = params(Mode::Compact, MaskSource::Nonzero);
    let (r, out) = run(
        &p,
        "{\"values\": [0, 5, 0, 7]}\n{\"values\": [1, 2, 3, 4]}\n",
    );
    assert_eq!(r.unwrap(), 2);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"values":[5,7,0,0],"index":[1,3,0,0],"count":2}"#
    );
    assert_eq!(
        lines[1],
        r#"{"values":[1,2,3,4],"index":[0,1,2,3],"count":4}"#
    );

    let e = run(&p, "{\"values\": [1, 2, 3]}\n")
        .0
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 1") && e.contains("3 entries") && e.contains("lanes = 4"),
        "{e}"
    );
    let e = run(
        &p,
        "{\"values\": [1, 2, 3, 4]}\n{\"values\": [256, 0, 0, 0]}\n",
    )
    .0
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("line 2") && e.contains("256") && e.contains("width = 8"),
        "{e}"
    );
    let e = run(&p, "{\"values\": [1, 2\n").0.unwrap_err().to_string();
    assert!(e.contains("line 1") && e.contains("bad JSON"), "{e}");

    let x = params(Mode::Compact, MaskSource::External);
    let (r, out) = run(&x, "{\"values\": [9, 5, 0, 7], \"mask\": [1, 0, 0, 1]}\n");
    assert_eq!(r.unwrap(), 1);
    assert_eq!(
        out.trim(),
        r#"{"values":[9,7,0,0],"index":[0,3,0,0],"count":2}"#
    );
    let e = run(&x, "{\"values\": [9, 5, 0, 7]}\n")
        .0
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1") && e.contains("mask"), "{e}");

    let ex = params(Mode::Expand, MaskSource::External);
    let (r, out) = run(&ex, "{\"values\": [9, 7, 0, 0], \"mask\": [0, 1, 0, 1]}\n");
    assert_eq!(r.unwrap(), 1);
    assert_eq!(
        out.trim(),
        r#"{"values":[0,9,0,7],"index":[1,3],"count":2}"#
    );
}

#[test]
fn job_verifies_default_design_quickly() {
    use nicc_testbench::butterfly::job::ButterflyJob;
    use nicc_testbench::run::Job;
    let j = ButterflyJob;
    let d = j.design().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let v = j.verify(&d, true, &dir.path().join("w.vcd")).unwrap();
    assert_eq!(v.vectors, 240);
    assert_eq!(v.mismatches, 0);
    assert_eq!(j.throughput(100.0), Some((12.8, "Gb/s")));
}

/// Pipelined and multi-beat routers through the same CLI path: each beat is checked against
/// the golden model inside `sim_jsonl`, and the joined lines equal the combinational router's
/// (whose lines the test above checks against hand-computed ones).
#[test]
fn pipelined_and_multi_beat_lines_equal_the_combinational_ones() {
    let input: String = [
        "[0, 5, 0, 7, 1, 0, 0, 9]",
        "[1, 2, 3, 4, 5, 6, 7, 8]",
        "[0, 0, 0, 0, 0, 0, 0, 0]",
        "[0, 0, 0, 0, 0, 0, 0, 3]",
        "[4, 4, 0, 4, 4, 0, 4, 4]",
    ]
    .iter()
    .map(|v| format!("{{\"values\": {v}}}\n"))
    .collect();
    let base = ButterflyParams {
        lanes: 8,
        out_lanes: 8,
        ..params(Mode::Compact, MaskSource::Nonzero)
    };
    let (r, reference) = run(&base, &input);
    assert_eq!(r.unwrap(), 5);
    assert_eq!(
        reference.lines().next().unwrap(),
        r#"{"values":[5,7,1,9,0,0,0,0],"index":[1,3,4,7,0,0,0,0],"count":4}"#
    );
    // (pipeline, out_lanes): registered, multi-beat with registers, multi-beat without.
    for (pipeline, out_lanes) in [(1, 8), (2, 3), (0, 3), (0, 1)] {
        let p = ButterflyParams {
            pipeline,
            out_lanes,
            ..base.clone()
        };
        let (r, out) = run(&p, &input);
        assert_eq!(r.unwrap(), 5, "pipeline {pipeline}, out_lanes {out_lanes}");
        assert_eq!(out, reference, "pipeline {pipeline}, out_lanes {out_lanes}");
    }
    // Expansion, pipelined, against the combinational expansion.
    let ex = ButterflyParams {
        lanes: 8,
        out_lanes: 8,
        ..params(Mode::Expand, MaskSource::External)
    };
    let input = "{\"values\": [9, 7, 5, 0, 0, 0, 0, 0], \"mask\": [0, 1, 0, 0, 1, 1, 0, 0]}\n";
    let (r, reference) = run(&ex, input);
    assert_eq!(r.unwrap(), 1);
    assert_eq!(
        reference.trim(),
        r#"{"values":[0,9,0,0,7,5,0,0],"index":[1,4,5],"count":3}"#
    );
    let (r, out) = run(
        &ButterflyParams {
            pipeline: 3,
            ..ex.clone()
        },
        input,
    );
    assert_eq!(r.unwrap(), 1);
    assert_eq!(out, reference);
}

/// Permute and multicast: `perm` / `dests` load a configuration that later lines reuse; the
/// outputs are written out by hand from the definitions; pipelined routers give the same lines.
#[test]
fn permute_and_multicast_lines_configurations_and_errors() {
    let eight = |mode| ButterflyParams {
        lanes: 8,
        out_lanes: 8,
        ..params(mode, MaskSource::Nonzero)
    };
    let perm_in = concat!(
        "{\"values\": [1, 2, 3, 4, 5, 6, 7, 8], \"perm\": [7, 6, 5, 4, 3, 2, 1, 0]}\n",
        "{\"values\": [10, 20, 30, 40, 50, 60, 70, 80]}\n",
        "{\"values\": [1, 2, 3, 4, 5, 6, 7, 8], \"perm\": [1, 2, 3, 4, 5, 6, 7, 0]}\n",
    );
    let perm_out = concat!(
        r#"{"values":[8,7,6,5,4,3,2,1],"index":[7,6,5,4,3,2,1,0],"count":8}"#,
        "\n",
        r#"{"values":[80,70,60,50,40,30,20,10],"index":[7,6,5,4,3,2,1,0],"count":8}"#,
        "\n",
        r#"{"values":[2,3,4,5,6,7,8,1],"index":[1,2,3,4,5,6,7,0],"count":8}"#,
        "\n",
    );
    let mc_in = concat!(
        "{\"values\": [1, 2, 3, 4, 5, 6, 7, 8], \"dests\": [[0, 1, 2, 3, 4, 5, 6, 7], [], [], [], [], [], [], []]}\n",
        "{\"values\": [1, 2, 3, 4, 5, 6, 7, 8], \"dests\": [[1], [0], [], [], [7], [], [], [2, 3]]}\n",
        "{\"values\": [9, 9, 9, 9, 9, 9, 9, 9]}\n",
    );
    let mc_out = concat!(
        r#"{"values":[1,1,1,1,1,1,1,1],"index":[0,0,0,0,0,0,0,0],"count":8,"valid":[1,1,1,1,1,1,1,1]}"#,
        "\n",
        r#"{"values":[2,1,8,8,0,0,0,5],"index":[1,0,7,7,0,0,0,4],"count":5,"valid":[1,1,1,1,0,0,0,1]}"#,
        "\n",
        r#"{"values":[9,9,9,9,0,0,0,9],"index":[1,0,7,7,0,0,0,4],"count":5,"valid":[1,1,1,1,0,0,0,1]}"#,
        "\n",
    );
    // N = 8 has 2 log2 N - 1 = 5 stages: combinational, a register every 2 stages, every stage.
    for (mode, input, want) in [
        (Mode::Permute, perm_in, perm_out),
        (Mode::Multicast, mc_in, mc_out),
    ] {
        for pipeline in [0, 2, 1] {
            let p = ButterflyParams {
                pipeline,
                ..eight(mode)
            };
            let (r, out) = run(&p, input);
            assert_eq!(r.unwrap(), 3, "{mode}, pipeline {pipeline}");
            assert_eq!(out, want, "{mode}, pipeline {pipeline}");
        }
    }

    let (pm, mc, cp) = (
        eight(Mode::Permute),
        eight(Mode::Multicast),
        eight(Mode::Compact),
    );
    let v = "\"values\": [1, 2, 3, 4, 5, 6, 7, 8]";
    let cases: Vec<(&ButterflyParams, String, Vec<&str>)> = vec![
        (&pm, format!("{{{v}}}\n"), vec!["line 1", "needs `perm`"]),
        (&mc, format!("{{{v}}}\n"), vec!["line 1", "needs `dests`"]),
        (
            &pm,
            format!("{perm_in}{{{v}, \"perm\": [0, 0, 1, 2, 3, 4, 5, 6]}}\n"),
            vec!["line 4", "both ask for input 0"],
        ),
        (
            &pm,
            format!("{{{v}, \"perm\": [0, 1]}}\n"),
            vec!["line 1", "2 entries", "lanes = 8"],
        ),
        (
            &pm,
            format!(
                "{{{v}, \"perm\": [0, 1, 2, 3, 4, 5, 6, 7], \"mask\": [1, 1, 1, 1, 1, 1, 1, 1]}}\n"
            ),
            vec!["`mask` is read only with mode = compact or expand"],
        ),
        (
            &cp,
            format!("{{{v}, \"perm\": [0, 1, 2, 3, 4, 5, 6, 7]}}\n"),
            vec!["`perm` is read only with mode = permute"],
        ),
        (
            &mc,
            format!("{{{v}, \"dests\": [[0], [0], [], [], [], [], [], []]}}\n"),
            vec!["line 1", "output 0 is claimed by inputs 0 and 1"],
        ),
        (
            &mc,
            format!("{{{v}, \"dests\": [[9], [], [], [], [], [], [], []]}}\n"),
            vec!["outputs are 0..8"],
        ),
        (
            &mc,
            format!("{{{v}, \"dests\": [[0]]}}\n"),
            vec!["1 lists", "lanes = 8"],
        ),
        // A request the Benes topology cannot carry (see butterfly_routing.rs for why) is a
        // named error on its line, not a wrong output.
        (
            &mc,
            format!("{mc_in}{{{v}, \"dests\": [[0, 2, 5], [1], [3], [4], [], [], [], []]}}\n"),
            vec!["line 4", "cannot be routed"],
        ),
    ];
    for (p, input, want) in cases {
        let e = run(p, &input).0.unwrap_err().to_string();
        for w in want {
            assert!(e.contains(w), "{}: `{w}` not in: {e}", p.mode);
        }
    }
}
