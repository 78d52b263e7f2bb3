//! Quality of results: the compaction network against the two crossbar baselines (the plain
//! one with free selects, and compaction done with a crossbar), through
//! Yosys generic synthesis (cell count and topological depth). N = 16 keeps the test quick; the
//! issue's N = 64 figures are recorded by the sweep.

use nicc_rtl::blocks::butterfly::{
    generate, generate_crossbar, generate_crossbar_compact, ButterflyParams,
};
use nicc_rtl::Design;
use std::process::Command;

/// (cells, longest topological path) after `synth -flatten` and a generic-gate `abc`.
fn yosys_figures(d: &Design) -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let paths = d.write_to(dir.path()).unwrap();
    let v: Vec<String> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "v"))
        .map(|p| p.display().to_string())
        .collect();
    let script = format!(
        "read_verilog {}; synth -top {} -flatten; abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; stat; ltp -noff",
        v.join(" "),
        d.top
    );
    let out = Command::new("yosys")
        .args(["-p", &script])
        .output()
        .expect("yosys is not installed: run scripts/setup.sh");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "yosys failed:\n{text}");
    let number_after = |key: &str| -> u64 {
        let line = text
            .lines()
            .find(|l| l.contains(key))
            .unwrap_or_else(|| panic!("no `{key}` in:\n{text}"));
        let digits: String = line[line.find(key).unwrap() + key.len()..]
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().unwrap()
    };
    (number_after("Number of cells:"), number_after("length="))
}

#[test]
fn compaction_is_smaller_than_the_crossbar_at_16_lanes() {
    let p = ButterflyParams {
        lanes: 16,
        out_lanes: 16,
        width: 8,
        ..Default::default()
    };
    let (bf_cells, bf_depth) = yosys_figures(&generate(&p, "butterfly").unwrap());
    let (xb_cells, xb_depth) = yosys_figures(&generate_crossbar(16, 8, "crossbar").unwrap());
    println!("N=16 D=8: compact {bf_cells} cells depth {bf_depth}; crossbar {xb_cells} cells depth {xb_depth}");
    assert!(
        bf_cells < xb_cells,
        "compact {bf_cells} cells vs crossbar {xb_cells}"
    );
    // The crossbar that computes its selects is larger than the plain one. Its depth is about
    // the butterfly's at N = 16 (22-25 levels, depending on the script); at N = 64 it is twice
    // as deep (butterfly.md), which would make this test slow.
    let (cc_cells, cc_depth) =
        yosys_figures(&generate_crossbar_compact(&p, "crossbar_compact").unwrap());
    println!("N=16 D=8: compaction crossbar {cc_cells} cells depth {cc_depth}");
    assert!(
        bf_cells < xb_cells && xb_cells < cc_cells,
        "compact {bf_cells}, crossbar {xb_cells}, compaction crossbar {cc_cells} cells"
    );
}
