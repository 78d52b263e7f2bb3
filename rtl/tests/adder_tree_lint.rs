//! `verilator --lint-only -Wall` over the whole issue-4 matrix: every style x signed x
//! N in {1,2,3,5,8,16,33,64} x W in {1,4,8,16}, combinational and pipelined, final adders
//! cycled. One Verilator run per style, on a wrapper top instantiating every configuration.

mod common;
use nicc_rtl::blocks::adder_tree::{matrix, test_matrix, AdderTreeParams, FinalAdder, TreeStyle};
use nicc_rtl::emit;

/// The configurations of one style: the shared issue-4 matrix.
fn configs(style: TreeStyle) -> Vec<AdderTreeParams> {
    test_matrix(style)
}

#[test]
fn lint_matrix_every_style() {
    // One thread per style: each Verilator lint is single-threaded.
    std::thread::scope(|s| {
        for style in TreeStyle::ALL {
            s.spawn(move || {
                let cs = configs(style);
                let (m, slots) = matrix(&cs, &format!("lint_{}", style.name())).unwrap();
                assert_eq!(slots.len(), cs.len());
                let d = emit(&m).unwrap();
                common::verilator_lint(&d).unwrap_or_else(|e| {
                    panic!(
                        "style {}: lint failed:\n{}",
                        style.name(),
                        &e[..e.len().min(4000)]
                    )
                });
            });
        }
    });
}

#[test]
fn lint_wrapped_and_widened_outputs() {
    let mut cs = Vec::new();
    for style in TreeStyle::ALL {
        for (n, w) in [(5u32, 8u32), (16, 4), (7, 1)] {
            let w = if style == TreeStyle::Popcount { 1 } else { w };
            for signed in [false, true] {
                for ow in [1, 3, w + 1, w + 6] {
                    for fa in FinalAdder::ALL {
                        let p = AdderTreeParams {
                            inputs: n,
                            width: w,
                            signed,
                            style,
                            final_adder: fa,
                            pipeline: 1,
                            out_width: Some(ow),
                        };
                        if !cs.contains(&p) {
                            cs.push(p);
                        }
                    }
                }
            }
        }
    }
    let (m, _) = matrix(&cs, "lint_out_widths").unwrap();
    let d = emit(&m).unwrap();
    common::verilator_lint(&d).unwrap_or_else(|e| panic!("{}", &e[..e.len().min(4000)]));
}
