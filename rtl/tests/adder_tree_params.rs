//! Parameters of the adder tree: validation messages, `--set` parsing, levels and pipeline
//! limits, the library entry point inside a host module, the reference and the baseline.

mod common;
use nicc_rtl::blocks::adder_tree::{
    baseline, build_tree, generate, reference, AdderTreeParams, FinalAdder, TreeStyle,
};
use nicc_rtl::{emit, ModuleBuilder, ParamError, Signal};

fn err(p: AdderTreeParams) -> String {
    p.validate().unwrap_err().to_string()
}

#[test]
fn invalid_parameters_are_explained() {
    let d = AdderTreeParams::default();
    assert!(err(AdderTreeParams { inputs: 0, ..d }).contains("`inputs` = 0"));
    assert!(err(AdderTreeParams { width: 0, ..d }).contains("`width` = 0"));
    let e = err(AdderTreeParams {
        style: TreeStyle::Popcount,
        ..d
    });
    assert!(e.contains("popcount") && e.contains("width=1"), "{e}");
    let e = err(AdderTreeParams {
        out_width: Some(0),
        ..d
    });
    assert!(e.contains("out_width"), "{e}");
    let max = d.max_pipeline();
    let e = err(AdderTreeParams {
        pipeline: max + 1,
        ..d
    });
    assert!(e.contains(&format!("at most {max}")), "{e}");
    // Counts in words: one input, one level, one cut.
    let e = err(AdderTreeParams {
        inputs: 1,
        pipeline: 2,
        ..d
    });
    assert!(
        e.contains("this tree (binary style, 1 input) has 1 level, so at most 1 register cut"),
        "{e}"
    );
    assert!(generate(&AdderTreeParams { inputs: 0, ..d }, "t").is_err());
}

#[test]
fn set_parses_and_rejects() {
    let mut p = AdderTreeParams::default();
    for (k, v) in [
        ("inputs", "33"),
        ("width", "5"),
        ("signed", "true"),
        ("style", "compressor42"),
        ("final_adder", "brent_kung"),
        ("pipeline", "2"),
        ("out_width", "7"),
    ] {
        p.set(k, v).unwrap();
    }
    assert_eq!(
        p,
        AdderTreeParams {
            inputs: 33,
            width: 5,
            signed: true,
            style: TreeStyle::Compressor42,
            final_adder: FinalAdder::BrentKung,
            pipeline: 2,
            out_width: Some(7),
        }
    );
    p.set("out_width", "exact").unwrap();
    assert_eq!(p.out_width(), 5 + 6);
    assert!(matches!(
        p.set("depth", "3"),
        Err(ParamError::UnknownKey { .. })
    ));
    let e = p.set("style", "booth").unwrap_err().to_string();
    assert!(e.contains("wallace") && e.contains("dadda"), "{e}");
    assert!(p.set("inputs", "-1").is_err());
    let back: AdderTreeParams = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back, p);
}

#[test]
fn levels_and_cuts() {
    let p = |style, n| AdderTreeParams {
        inputs: n,
        width: 8,
        style,
        ..AdderTreeParams::default()
    };
    assert_eq!(p(TreeStyle::Binary, 16).levels(), 4);
    assert_eq!(p(TreeStyle::Binary, 5).levels(), 3);
    assert_eq!(p(TreeStyle::Binary, 1).levels(), 1);
    // Dadda on 16 rows: 16 -> 13 -> 9 -> 6 -> 4 -> 3 -> 2 (6 stages) + the final adder.
    assert_eq!(p(TreeStyle::Dadda, 16).levels(), 7);
    // Two rows need no reduction: only the final adder.
    assert_eq!(p(TreeStyle::Wallace, 2).levels(), 1);
    let q = AdderTreeParams {
        pipeline: 2,
        ..p(TreeStyle::Dadda, 16)
    };
    assert_eq!(q.cut_levels(), vec![4, 7]);
    assert_eq!(p(TreeStyle::Dadda, 16).cut_levels(), Vec::<u32>::new());
}

#[test]
fn build_tree_inside_a_host_module() {
    // Two trees (as in the CIM macro, one per column) in one clocked host module.
    let p = AdderTreeParams {
        inputs: 3,
        width: 4,
        signed: true,
        style: TreeStyle::Dadda,
        pipeline: 1,
        ..AdderTreeParams::default()
    };
    let mut m = ModuleBuilder::new("host");
    m.clock_input("clk");
    for col in 0..2 {
        let ops: Vec<Signal> = (0..3)
            .map(|i| m.input(&format!("c{col}_x{i}"), 4))
            .collect();
        let s = build_tree(&mut m, &format!("col{col}"), &ops, &p).unwrap();
        assert_eq!(s.width(), 6);
        m.output(&format!("c{col}_sum"), &s);
    }
    let d = emit(&m.finish().unwrap()).unwrap();
    assert!(d.verilog().contains("col1_s1_col"), "{}", d.verilog());
    common::verilator_lint(&d).unwrap();
    // Wrong operand count or width: typed errors, no panic.
    let mut m = ModuleBuilder::new("bad");
    let x = m.input("x", 5);
    assert!(build_tree(&mut m, "t", std::slice::from_ref(&x), &p).is_err());
    assert!(build_tree(&mut m, "t", &[x.clone(), x.clone(), x], &p).is_err());
}

#[test]
fn reference_and_baseline_lint_clean() {
    for signed in [false, true] {
        for ow in [None, Some(3), Some(14)] {
            let p = AdderTreeParams {
                inputs: 5,
                width: 8,
                signed,
                out_width: ow,
                ..AdderTreeParams::default()
            };
            for m in [reference(&p).unwrap(), baseline(&p).unwrap()] {
                let d = emit(&m).unwrap();
                common::verilator_lint(&d).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}
