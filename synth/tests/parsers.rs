//! Parser tests on report text captured from yosys 0.23, OpenSTA 2.0.17, nextpnr-ice40 0.4 and
//! yosys-abc (files in tests/data/).

use nicc_synth::parse::*;

fn data(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

#[test]
fn generic_stat_json() {
    let s = parse_stat_json(&data("generic_stat.json")).unwrap();
    assert_eq!(s.cells, s.cells_by_type.values().sum::<u64>());
    insta::assert_debug_snapshot!(s);
}

#[test]
fn asic_stat_json_and_area() {
    let s = parse_stat_json(&data("asic_stat.json")).unwrap();
    assert_eq!(s.cells_by_type.get("DFFPOSX1"), Some(&13));
    let area = parse_stat_area(&data("asic_stat_liberty.txt")).unwrap();
    assert_eq!(area, 1903.0);
    insta::assert_debug_snapshot!((s, area));
}

#[test]
fn stat_without_area_is_an_error() {
    assert!(parse_stat_area("=== top ===\n Number of cells: 3\n").is_err());
    assert!(parse_stat_json("{}").is_err());
}

#[test]
fn ltp_length() {
    assert_eq!(parse_ltp(&data("generic_ltp.txt")).unwrap(), 6);
    assert!(parse_ltp("nothing here").is_err());
}

#[test]
fn sta_reg_to_reg_path() {
    let p = parse_sta_path(&data("sta_reg2reg.txt")).unwrap().unwrap();
    assert!((p.arrival_ns + p.setup_ns + p.slack_ns - 10.0).abs() < 1e-3);
    insta::assert_debug_snapshot!(p);
}

#[test]
fn sta_input_to_output_path() {
    let text = data("sta_comb.txt");
    let section = text.split("NICC_SECTION io").nth(1).unwrap();
    let p = parse_sta_path(section).unwrap().unwrap();
    assert_eq!(p.setup_ns, 0.0);
    insta::assert_debug_snapshot!(p);
}

#[test]
fn sta_no_paths() {
    assert_eq!(parse_sta_path(&data("sta_nopaths.txt")).unwrap(), None);
    assert!(parse_sta_path("Startpoint: x (input)\n").is_err());
}

#[test]
fn nextpnr_report() {
    let r = parse_nextpnr_report(&data("nextpnr_report.json")).unwrap();
    insta::assert_debug_snapshot!(r);
}

#[test]
fn abc_cec_verdicts() {
    assert_eq!(
        parse_cec_verdict(&data("abc_cec_equivalent.txt")).unwrap(),
        CecVerdict::Equivalent
    );
    assert_eq!(
        parse_cec_verdict(&data("abc_cec_not_equivalent.txt")).unwrap(),
        CecVerdict::NotEquivalent
    );
    assert!(parse_cec_verdict("ABC command line: \"cec a b\".\nError: cannot read").is_err());
}

#[test]
fn sat_combinational_model() {
    let t = data("sat_comb_model.txt");
    assert!(sat_model_found(&t));
    insta::assert_debug_snapshot!(parse_sat_table(&t));
}

#[test]
fn sat_temporal_induction() {
    let ok = data("sat_seq_proven.txt");
    assert_eq!(
        parse_induction_verdict(&ok).unwrap(),
        InductionVerdict::Proven
    );
    let bad = data("sat_seq_failed.txt");
    assert_eq!(
        parse_induction_verdict(&bad).unwrap(),
        InductionVerdict::Failed
    );
    insta::assert_debug_snapshot!(parse_sat_table(&bad));
    assert!(parse_induction_verdict("nothing").is_err());
}

#[test]
fn liberty_cells() {
    let lib = r#"
library (tiny) {
  cell (NAND2X1) {
    area : 16;
    pin (Y) { function : "(!(A B))"; }
  }
  cell (DFFPOSX1) {
    area : 96;
    ff (DS0000,P0002) {
      next_state : "D";
    }
    pin (Q) { timing () { cell_rise (delay_template) { values ("1"); } } }
  }
  cell (LATCH) {
    area : 64;
    latch (DS0000,P0000) { data_in : "D"; }
  }
}
"#;
    let cells = parse_liberty_cells(lib);
    assert_eq!(cells.len(), 3);
    assert_eq!(
        cells["NAND2X1"],
        LibertyCell {
            area: 16.0,
            sequential: false
        }
    );
    assert_eq!(
        cells["DFFPOSX1"],
        LibertyCell {
            area: 96.0,
            sequential: true
        }
    );
    assert!(cells["LATCH"].sequential);
}

#[test]
fn sat_induction_step_table_is_not_the_counterexample() {
    let t = data("sat_seq_induction_then_base_fail.txt");
    assert_eq!(
        parse_induction_verdict(&t).unwrap(),
        InductionVerdict::Failed
    );
    // Two tables in the log: the induction step's and the base case's.
    assert_eq!(
        parse_sat_table(&t)
            .iter()
            .filter(|v| v.signal == "in_a")
            .count(),
        4
    );
    let cex = parse_induction_counterexample(&t);
    assert_eq!(cex.iter().filter(|v| v.signal == "in_a").count(), 2);
    insta::assert_debug_snapshot!(cex);
    assert!(parse_induction_counterexample(&data("sat_seq_proven.txt")).is_empty());
}

#[test]
fn memory_bits_from_a_dump() {
    let dump = "  cell $mem_v2 \\mem\n    parameter \\ABITS 9\n    parameter \\SIZE 512\n    parameter \\WIDTH 8\n    connect \\CLK x\n  end\n  cell $mem_v2 \\b\n    parameter \\SIZE 2048\n    parameter \\WIDTH 64\n  end\n  cell $and \\g\n    parameter \\WIDTH 7\n  end\n";
    assert_eq!(parse_memory_bits(dump).unwrap(), 512 * 8 + 2048 * 64);
    assert_eq!(parse_memory_bits("").unwrap(), 0);
    let e = parse_memory_bits("cell $mem_v2 \\m\n parameter \\SIZE 4\nend\n").unwrap_err();
    assert!(e.to_string().contains("SIZE or WIDTH"), "{e}");
}
