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
