//! BF16 CIM macro generator: snapshot of a tiny macro, lint (Verilator -Wall, Yosys, Icarus)
//! over a small parameter set (all of it under `NICC_FULL=1`), offline weight alignment, and parameter errors.

mod common;
use nicc_rtl::blocks::cim::{generate, CimFormat, CimParams, TreeStyle};
use nicc_rtl::blocks::cim_bf16::{align_weights, align_weights_bf16, f32_to_bf16, groups};
use nicc_rtl::emit;

fn bf16(rows: u32, cols: u32, wbits: u32, xalign: u32, align_group: u32) -> CimParams {
    CimParams {
        rows,
        cols,
        wbits,
        xbits: xalign,
        xalign,
        align_group,
        x_signed: true,
        banks: 1,
        format: CimFormat::Bf16,
        tree_pipeline: 0,
        ..CimParams::default()
    }
}

#[test]
fn snapshot_bf16_2x1() {
    let p = bf16(2, 1, 4, 4, 1);
    let m = generate(&p, "cim_bf16_2x1").unwrap();
    let d = emit(&m).unwrap();
    common::verilator_lint(&d).unwrap_or_else(|e| panic!("lint failed:\n{e}"));
    common::yosys_and_icarus_accept(&d).unwrap();
    insta::assert_snapshot!("cim_bf16_2x1", d.verilog());
}

#[test]
fn lint_parameter_set() {
    let mut configs = Vec::new();
    for (rows, cols, ag) in [(1, 1, 1), (4, 2, 2), (5, 3, 2), (8, 2, 8), (6, 1, 4)] {
        for (wbits, xalign) in [(2, 2), (8, 8), (4, 10), (12, 6)] {
            let mut p = bf16(rows, cols, wbits, xalign, ag);
            p.banks = 1 + rows % 2;
            p.tree_pipeline = if rows > 2 { 1 } else { 0 };
            p.tree = TreeStyle::ALL[(rows as usize) % 4];
            configs.push(p);
        }
    }
    // `make test` lints every 3rd configuration (each group shape, tree style and width pair
    // still appears); NICC_FULL=1 lints them all.
    let full = std::env::var("NICC_FULL").is_ok_and(|v| v == "1");
    for (i, p) in configs.into_iter().enumerate() {
        if !full && i % 3 != 0 {
            continue;
        }
        let m = generate(&p, "cim_bf16_top").unwrap_or_else(|e| panic!("{p:?}: {e}"));
        let d = emit(&m).unwrap();
        common::verilator_lint(&d).unwrap_or_else(|e| panic!("{p:?}: lint failed:\n{e}"));
    }
}

#[test]
fn yosys_and_icarus_accept_banked_grouped() {
    let mut p = bf16(5, 2, 8, 8, 2);
    p.banks = 2;
    p.tree_pipeline = 1;
    let d = emit(&generate(&p, "cim_bf16_b2").unwrap()).unwrap();
    common::yosys_and_icarus_accept(&d).unwrap();
    assert_eq!(groups(&p), 3);
}

#[test]
fn weight_alignment_per_column() {
    let p = bf16(3, 2, 8, 8, 4);
    // Column 0: 1.0, 0.5, -0.75; column 1: 3.0, NaN, subnormal.
    let w = [1.0, 3.0, 0.5, f32::NAN, -0.75, 1e-40];
    let a = align_weights(&p, &w).unwrap();
    assert_eq!(a.exp, vec![127, 128]);
    assert_eq!(a.non_finite, vec![false, true]);
    // wbits = 8: q = floor(M * 2^(8 - 9 - (E - e))), M = 128 + fraction.
    assert_eq!(a.q, vec![64, 96, 32, 0, -48, 0]);
    assert_eq!(f32_to_bf16(1.0), 0x3f80);
    // Shape errors are reported, not panics.
    let e = align_weights_bf16(&p, &[0; 5]).unwrap_err();
    assert!(e.to_string().contains("rows x cols = 3 x 2"), "{e}");
}

#[test]
fn bf16_needs_signed_inputs() {
    let mut p = bf16(4, 1, 8, 8, 4);
    p.x_signed = false;
    assert!(generate(&p, "t")
        .unwrap_err()
        .to_string()
        .contains("x_signed"));
    let mut p = bf16(4, 1, 8, 8, 4);
    p.xalign = 9;
    assert!(generate(&p, "t")
        .unwrap_err()
        .to_string()
        .contains("xalign"));
}
