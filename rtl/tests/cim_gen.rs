//! CIM macro generator: snapshot of a 4x2 macro, Verilator lint over a parameter set, and
//! parameter errors.

mod common;
use nicc_rtl::blocks::adder_tree::FinalAdder;
use nicc_rtl::blocks::cim::{generate, CimFormat, CimParams, TreeStyle};
use nicc_rtl::{emit, ParamError, RtlError};

fn small() -> CimParams {
    CimParams {
        rows: 4,
        cols: 2,
        wbits: 4,
        xbits: 4,
        x_signed: true,
        banks: 2,
        tree: TreeStyle::Binary,
        tree_pipeline: 1,
        row_block: 2,
        col_group: 1,
        ..CimParams::default()
    }
}

#[test]
fn snapshot_4x2() {
    let m = generate(&small(), "cim_4x2").unwrap();
    let d = emit(&m).unwrap();
    common::verilator_lint(&d).unwrap_or_else(|e| panic!("lint failed:\n{e}"));
    common::yosys_and_icarus_accept(&d).unwrap();
    insta::assert_snapshot!("cim_4x2", d.verilog());
}

#[test]
fn lint_parameter_set() {
    let mut configs = Vec::new();
    let mut k = 0usize;
    for (rows, cols) in [(1, 1), (3, 2), (8, 4), (16, 1), (5, 3)] {
        for (wbits, xbits) in [(1, 1), (4, 4), (8, 8), (3, 5)] {
            for x_signed in [false, true] {
                for deep in [false, true] {
                    // Cycle through every tree style (popcount only where wbits = 1) and
                    // final adder; the deep variant has the most register cuts allowed.
                    let styles: Vec<TreeStyle> = TreeStyle::ALL
                        .into_iter()
                        .filter(|s| *s != TreeStyle::Popcount || wbits == 1)
                        .collect();
                    let mut p = CimParams {
                        rows,
                        cols,
                        wbits,
                        xbits,
                        x_signed,
                        banks: 1 + (rows % 3),
                        tree: styles[k % styles.len()],
                        final_adder: FinalAdder::ALL[(k / 2) % 3],
                        tree_pipeline: 0,
                        row_block: 1 + rows / 3,
                        col_group: 1 + cols / 2,
                        ..CimParams::default()
                    };
                    k += 1;
                    if deep {
                        p.tree_pipeline = p.max_tree_pipeline();
                    }
                    configs.push(p);
                }
            }
        }
    }
    for p in configs {
        let m = generate(&p, "cim_top").unwrap_or_else(|e| panic!("{p:?}: {e}"));
        let d = emit(&m).unwrap();
        common::verilator_lint(&d).unwrap_or_else(|e| panic!("{p:?}: lint failed:\n{e}"));
    }
}

#[test]
fn bad_parameters_are_clear_errors() {
    let mut p = CimParams::default();
    let e = p.set("colz", "3").unwrap_err();
    assert!(e.to_string().contains("accepted: rows, cols"), "{e}");
    assert!(p.set("tree", "bogus").is_err());
    p.set("rows", "0").unwrap();
    assert!(matches!(p.validate(), Err(ParamError::Invalid { ref name, .. }) if name == "rows"));
    let p = CimParams {
        rows: 8,
        tree_pipeline: 4,
        ..CimParams::default()
    };
    assert!(p
        .validate()
        .unwrap_err()
        .to_string()
        .contains("tree_pipeline"));
    let p = CimParams {
        wbits: 4,
        tree: TreeStyle::Popcount,
        ..CimParams::default()
    };
    let e = p.validate().unwrap_err().to_string();
    assert!(e.contains("set wbits=1"), "{e}");
    let e = p
        .clone()
        .set("final_adder", "carry_skip")
        .unwrap_err()
        .to_string();
    assert!(e.contains("kogge_stone"), "{e}");
    let p = CimParams {
        format: CimFormat::Bf16,
        ..CimParams::default()
    };
    assert!(matches!(generate(&p, "x"), Err(RtlError::Param(_))));
    let mut p = CimParams::default();
    for (k, v) in [
        ("rows", "64"),
        ("cols", "16"),
        ("tree", "dadda"),
        ("x_signed", "false"),
    ] {
        p.set(k, v).unwrap();
    }
    assert_eq!(
        (p.rows, p.cols, p.tree, p.x_signed),
        (64, 16, TreeStyle::Dadda, false)
    );
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<CimParams>(&json).unwrap(), p);
}
