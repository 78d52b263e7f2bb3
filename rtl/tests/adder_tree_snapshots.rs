//! Snapshots of the emitted adder trees (N = 4 and 5, W = 4, every style), each lint-checked.

mod common;
use nicc_rtl::blocks::adder_tree::{generate, AdderTreeParams, FinalAdder, TreeStyle};
use nicc_rtl::emit;

fn params(style: TreeStyle, n: u32, signed: bool) -> AdderTreeParams {
    AdderTreeParams {
        inputs: n,
        width: if style == TreeStyle::Popcount { 1 } else { 4 },
        signed,
        style,
        final_adder: FinalAdder::Ripple,
        pipeline: 0,
        out_width: None,
    }
}

fn check(p: &AdderTreeParams) {
    let m = generate(p, &p.module_name()).unwrap();
    let d = emit(&m).unwrap();
    common::verilator_lint(&d).unwrap_or_else(|e| panic!("{}: lint failed:\n{e}", p.module_name()));
    insta::assert_snapshot!(p.module_name(), d.verilog());
}

#[test]
fn every_style_n4_n5() {
    for style in TreeStyle::ALL {
        for n in [4, 5] {
            check(&params(style, n, style != TreeStyle::Popcount && n == 5));
        }
    }
}

#[test]
fn prefix_adders_and_pipeline() {
    for fa in [FinalAdder::KoggeStone, FinalAdder::BrentKung] {
        check(&AdderTreeParams {
            final_adder: fa,
            ..params(TreeStyle::Dadda, 4, false)
        });
    }
    check(&AdderTreeParams {
        pipeline: 2,
        ..params(TreeStyle::Wallace, 5, true)
    });
    check(&AdderTreeParams {
        pipeline: 2,
        ..params(TreeStyle::Binary, 5, true)
    });
}
