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

/// A tiny liberty file in the shapes OSU and other libraries use: multi-line and one-line pin
/// groups, a comment with braces, a `bus` group, timing groups inside output pins.
const PIN_LIB: &str = r#"
/* delay model : typ { not a group } */
library (tiny) {
  capacitive_load_unit (1,ff);
  cell (BUFX4) {
    area : 32;
    pin(A)  {
      direction : input;
      capacitance : 12.5;
    }
    pin(Y)  {
      direction : output;
      capacitance : 0;
      function : "A";
      timing() {
        related_pin : "A";
        cell_rise(delay_template_5x5) {
          index_1 ("0.01, 0.025");
          values ( \
            "0.08, 0.09", \
            "0.09, 0.10");
        }
      }
    }
  }
  cell (BUFX2) {
    area : 24;
    pin (A) { direction : input; capacitance : 9.25; }
    pin (Y) { direction : output; function : "A"; }
  }
  cell (INVX1) {
    area : 16;
    pin (A) { direction : input; capacitance : 5; }
    pin (Y) { direction : output; function : "(!A)"; }
  }
  cell (NAND2X1) {
    area : 16;
    pin (A) { direction : input; capacitance : 8; }
    pin (B) { direction : input; capacitance : 8; }
    pin (Y) { direction : output; function : "(!(A B))"; }
  }
  cell (DFFPOSX1) {
    area : 96;
    ff (DS0000,P0002) { next_state : "D"; clocked_on : "CLK"; }
    pin (CLK) { direction : input; capacitance : 28; }
    pin (D) { direction : input; capacitance : 9; }
    pin (Q) { direction : output; function : "DS0000"; }
  }
  cell (LATCHBUS) {
    area : 8;
    bus (D) { pin (D[0]) { direction : input; } }
    pin (Q) { direction : output; function : "D"; }
  }
}
"#;

#[test]
fn liberty_pins_directions_capacitance_functions() {
    let pins = parse_liberty_pins(PIN_LIB);
    assert_eq!(pins.cap_unit_ff, 1.0);
    assert_eq!(
        pins.cells["BUFX4"],
        vec![
            LibertyPin {
                name: "A".into(),
                direction: PinDirection::Input,
                capacitance: 12.5,
                function: None
            },
            LibertyPin {
                name: "Y".into(),
                direction: PinDirection::Output,
                capacitance: 0.0,
                function: Some("A".into())
            },
        ]
    );
    assert_eq!(
        pins.cells["NAND2X1"][2].function.as_deref(),
        Some("(!(A B))")
    );
    assert_eq!(pins.is_output("DFFPOSX1", "Q"), Some(true));
    assert_eq!(pins.is_output("DFFPOSX1", "CLK"), Some(false));
    assert_eq!(pins.is_output("DFFPOSX1", "E"), None);
    assert_eq!(pins.is_output("NOPE", "A"), None);
    // Pins inside a bus group are not the cell's pins.
    assert_eq!(pins.cells["LATCHBUS"].len(), 1);
    // The smallest buffer: BUFX2 (INVX1 inverts, LATCHBUS has no input pin of its own).
    let cells = parse_liberty_cells(PIN_LIB);
    assert_eq!(
        pins.smallest_buffer(&cells),
        Some(("BUFX2".to_string(), 9.25))
    );
    // Picofarad units are converted to femtofarads; a library without buffers has none.
    let pf = parse_liberty_pins(&PIN_LIB.replace("(1,ff)", "(1,pf)"));
    assert_eq!(pf.cap_unit_ff, 1000.0);
    assert_eq!(
        pf.smallest_buffer(&cells),
        Some(("BUFX2".to_string(), 9250.0))
    );
    let no_buf = PIN_LIB.replace("function : \"A\"", "function : \"(!A)\"");
    assert_eq!(
        parse_liberty_pins(&no_buf).smallest_buffer(&parse_liberty_cells(&no_buf)),
        None
    );
}

#[test]
fn osu018_smallest_buffer_when_installed() {
    let p = "/usr/share/qflow/tech/osu018/osu018_stdcells.lib";
    let Ok(text) = std::fs::read_to_string(p) else {
        eprintln!("skipped: {p} not installed");
        return;
    };
    let pins = parse_liberty_pins(&text);
    let (buf, cap) = pins.smallest_buffer(&parse_liberty_cells(&text)).unwrap();
    assert_eq!(buf, "BUFX2");
    assert!((cap - 9.33171).abs() < 1e-3, "{cap}");
    assert_eq!(pins.is_output("FAX1", "YS"), Some(true));
    assert_eq!(pins.is_output("FAX1", "C"), Some(false));
}

#[test]
fn netlist_fanout_counts_cell_inputs() {
    let pins = parse_liberty_pins(PIN_LIB);
    let v = r#"module top(clk, a, y);
  input clk;
  input [1:0] a;
  output y;
  wire \q[0] ;
  wire n1;
  DFFPOSX1 \q[0]_DFFPOSX1_Q  (
    .CLK(clk),
    .D(a[0]),
    .Q(\q[0] )
  );
  NAND2X1 n1_NAND2X1_Y (
    .A(\q[0] ),
    .B(a[1]),
    .Y(n1)
  );
  BUFX2 y_BUFX2_Y (
    .A(\q[0] ),
    .Y(y)
  );
  DFFPOSX1 r_DFFPOSX1_Q (
    .CLK(clk),
    .D(1'h0),
    .Q(r)
  );
  UNKNOWN u (
    .A(n1),
    .Y(z)
  );
  assign w = n1;
endmodule
"#;
    let f = parse_netlist_fanout(v, &pins);
    let expect: Vec<(&str, u64)> = vec![("a[0]", 1), ("a[1]", 1), ("clk", 2), ("q[0]", 2)];
    assert_eq!(
        f.iter().map(|(k, v)| (k.as_str(), *v)).collect::<Vec<_>>(),
        expect
    );
}
