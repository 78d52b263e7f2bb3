//! Designs emitted by the nicc-rtl IR (hierarchical, signed, with reset) through the flows and
//! the equivalence checker, against hand-written behavioural references.

mod common;

use common::*;
use nicc_rtl::blocks::demo::{hier_sum4, reg_adder};
use nicc_rtl::{emit, Dir};
use nicc_synth::*;

fn sum4_ref(drop_last: bool) -> nicc_rtl::Design {
    let expr = if drop_last {
        "in_0 + in_1 + in_2"
    } else {
        "in_0 + in_1 + in_2 + in_3"
    };
    let mut ports: Vec<_> = (0..4)
        .map(|i| port(&format!("in_{i}"), Dir::Input, 8))
        .collect();
    ports.push(port("sum", Dir::Output, 10));
    design(
        "sum4_ref",
        &format!("module sum4_ref(input [7:0] in_0, input [7:0] in_1, input [7:0] in_2, input [7:0] in_3, output [9:0] sum);\n  assign sum = {expr};\nendmodule\n"),
        ports,
        None,
    )
}

#[test]
fn hierarchical_ir_adder_tree_equals_behavioural_sum() {
    let gen = emit(&hier_sum4(8).unwrap()).unwrap();
    assert!(gen.files.len() >= 2, "hierarchical design expected");
    let o = EquivOptions::default();
    assert_eq!(
        check_equiv(&sum4_ref(false), &gen, &o).unwrap(),
        EquivResult::Equivalent
    );
    let r = check_equiv(&sum4_ref(true), &gen, &o).unwrap();
    let EquivResult::NotEquivalent { counterexample, .. } = &r else {
        panic!("expected a mismatch: {r:?}")
    };
    let in3 = counterexample.iter().find(|(n, _)| n == "in_3").unwrap();
    assert_ne!(
        in3.1.to_u64(),
        Some(0),
        "only a non-zero in_3 can tell them apart"
    );
}

#[test]
fn registered_signed_ir_adder_equals_behavioural() {
    let gen = emit(&reg_adder(6).unwrap()).unwrap();
    let ports = gen.ports.clone();
    let reference = nicc_rtl::Design {
        top: "radd_ref".into(),
        files: vec![nicc_rtl::VerilogFile {
            module: "radd_ref".into(),
            text: "module radd_ref(input clk, input rst, input signed [5:0] a, input signed [5:0] b, output reg signed [6:0] out);\n  always @(posedge clk) if (rst) out <= 7'd0; else out <= a + b;\nendmodule\n".into(),
        }],
        ports,
        clock: Some("clk".into()),
        reset: Some("rst".into()),
        name_map: Default::default(),
    };
    let r = check_equiv(&reference, &gen, &EquivOptions::default()).unwrap();
    assert_eq!(r, EquivResult::Equivalent);
    // Unsigned reference: differs for negative operands.
    let mut wrong = reference.clone();
    wrong.files[0].text = wrong.files[0].text.replace("signed ", "");
    let r = check_equiv(&wrong, &gen, &EquivOptions::default()).unwrap();
    assert!(!r.is_equivalent(), "{r:?}");
    println!("{r}");
}

#[test]
fn generic_flow_flattens_ir_hierarchy() {
    let cache = tempfile::tempdir().unwrap();
    let gen = emit(&hier_sum4(8).unwrap()).unwrap();
    let o = Options {
        cache_dir: Some(cache.path().to_path_buf()),
        ..Options::default()
    };
    let r = run_flow(&gen, Flow::Generic, &o).unwrap();
    let FlowResult::Generic(g) = &r.result else {
        panic!("wrong kind")
    };
    assert!(g.stats.cells > 30 && g.flip_flops == 0, "{:?}", g.stats);
    assert!(g.logic_depth > 4);
}
