//! Snapshots of the emitted Verilog of the demonstration designs, each also lint-checked.

mod common;
use nicc_rtl::blocks::demo;
use nicc_rtl::emit;

fn check(name: &str, m: std::rc::Rc<nicc_rtl::Module>) {
    let d = emit(&m).unwrap();
    common::verilator_lint(&d).unwrap_or_else(|e| panic!("{name}: verilator lint failed:\n{e}"));
    common::yosys_and_icarus_accept(&d).unwrap_or_else(|e| panic!("{name}: {e}"));
    insta::assert_snapshot!(name, d.verilog());
    // Same input, byte-identical output.
    assert_eq!(emit(&m).unwrap(), d);
}

#[test]
fn counter() {
    check("counter_w4", demo::counter(4).unwrap());
}

#[test]
fn reg_adder() {
    check("reg_adder_w8", demo::reg_adder(8).unwrap());
}

#[test]
fn switch2x2() {
    check("switch2x2_w8", demo::switch2x2(8).unwrap());
}

#[test]
fn small_memory() {
    check("small_memory_d16_w8", demo::small_memory(16, 8).unwrap());
}

#[test]
fn hierarchy_dedup() {
    let m = demo::hier_sum4(8).unwrap();
    let d = emit(&m).unwrap();
    let mods: Vec<&str> = d.files.iter().map(|f| f.module.as_str()).collect();
    assert_eq!(mods, ["add_stage_w8", "add_stage_w9", "hier_sum4_w8"]);
    check("hier_sum4_w8", m);
}

#[test]
fn keyword_escaping() {
    let m = demo::keywords().unwrap();
    let d = emit(&m).unwrap();
    let names: Vec<&str> = d.ports.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["reg_", "module_", "output_", "logic_"]);
    assert_eq!(d.name_map["keywords"]["n_3d_value"], "3d.value");
    check("keywords", m);
}

#[test]
fn signed_mix() {
    check("signed_mix_w8", demo::signed_mix(8).unwrap());
}
