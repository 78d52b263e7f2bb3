//! The CIM macro's bounded formal check (ABC `bmc3` on the checker of
//! `nicc_testbench::cim::formal`): small macros hold for every input sequence long enough for
//! one MVM from reset; a macro with a broken sign rule is caught.

use nicc_rtl::blocks::cim::{CimParams, TreeStyle};
use nicc_synth::BmcVerdict;
use nicc_testbench::cim::formal::{check, check_design, checker_design, frames_for, Flag};
use nicc_testbench::test_env::full;

fn int4_2x1() -> CimParams {
    CimParams {
        rows: 2,
        cols: 1,
        wbits: 4,
        xbits: 4,
        banks: 1,
        row_block: 1,
        col_group: 1,
        ..CimParams::default()
    }
}

/// Small macros that unroll in seconds: every style of the checker's environment (signed and
/// unsigned inputs, one and two banks, binary, Dadda and pipelined Wallace trees, row blocks
/// and column groups).
fn small() -> Vec<CimParams> {
    vec![
        CimParams {
            wbits: 3,
            xbits: 3,
            ..int4_2x1()
        },
        CimParams {
            rows: 3,
            wbits: 2,
            xbits: 3,
            row_block: 2,
            tree: TreeStyle::Dadda,
            ..int4_2x1()
        },
        // Two banks, unsigned inputs, a pipelined carry-save tree, 2 x 2 with one column group.
        CimParams {
            rows: 2,
            cols: 2,
            wbits: 2,
            xbits: 3,
            x_signed: false,
            banks: 2,
            tree: TreeStyle::Wallace,
            tree_pipeline: 1,
            row_block: 2,
            col_group: 2,
            ..CimParams::default()
        },
    ]
}

#[test]
fn small_macros_hold_for_one_mvm_from_reset() {
    let mut ps = small();
    if full() {
        // INT4: about two minutes.
        ps.push(int4_2x1());
    }
    for p in ps {
        let f = frames_for(&p);
        let t = std::time::Instant::now();
        let v = check(&p, f, 300, None).unwrap();
        eprintln!("{p:?}: {v} ({:.1} s)", t.elapsed().as_secs_f64());
        assert_eq!(v, BmcVerdict::Holds { frames: f }, "{p:?}");
    }
}

#[test]
fn the_bound_reaches_a_result() {
    // Not vacuous: within the same bound some input sequence gets a result out.
    for p in small() {
        let d = checker_design(&p, Flag::AnyResult).unwrap();
        let v = check_design(&d, frames_for(&p), 300, None).unwrap();
        assert!(matches!(v, BmcVerdict::Violated { .. }), "{p:?}: {v}");
    }
}

#[test]
fn a_broken_sign_rule_is_caught() {
    // The macro negates the MSB plane of signed inputs; without that, a negative x gives the
    // wrong sum, and the checker must find an input sequence showing it.
    let p = small()[0].clone();
    let mut d = checker_design(&p, Flag::WrongResult).unwrap();
    let f = d.files.iter_mut().find(|f| f.module == "cim").unwrap();
    let needle = "|(job_msb & sel)";
    assert!(
        f.text.contains(needle),
        "the MSB-plane flag moved: update this test"
    );
    f.text = f.text.replace(needle, "1'b0");
    match check_design(&d, frames_for(&p), 300, None).unwrap() {
        BmcVerdict::Violated { frame } => assert!(frame <= frames_for(&p), "{frame}"),
        v => panic!("the broken macro passed: {v}"),
    }
}

#[test]
fn the_checker_lints_clean() {
    for p in small() {
        for flag in [Flag::WrongResult, Flag::AnyResult] {
            nicc_sim::lint::verilator_lint(&checker_design(&p, flag).unwrap()).unwrap();
        }
    }
}
