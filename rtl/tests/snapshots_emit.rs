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

/// An operator expression sliced several times in one destination: where the slices cover one
/// unbroken range (a byte swap of a shift), one temporary holds that range and every slice
/// selects from it; where they leave a gap, each slice gets its own temporary, so no temporary
/// holds bits nothing reads. A wire driven by a slice of an expression needs no temporary.
#[test]
fn shared_slices() {
    use nicc_rtl::{ModuleBuilder, Signal};
    let mut m = ModuleBuilder::new("shared_slices");
    let x = m.input("x", 32);
    let k = m.input("k", 2);
    let amt = Signal::concat(&[k.clone(), Signal::lit(3, 0)]);
    // Bits 8..39 of a 40-bit shift, byte-swapped: an unbroken range above an unread byte.
    let sh = x.zext(40).shr_var(&amt);
    let bytes: Vec<Signal> = (1..5).map(|i| sh.slice(8 * i, 8)).collect();
    m.output("swapped", &Signal::concat(&bytes));
    // Nibbles 0 and 2 of a sum: a gap between them.
    let sum = &x + &Signal::lit(32, 1);
    m.output(
        "nibbles",
        &Signal::concat(&[sum.slice(8, 4), sum.slice(0, 4)]),
    );
    // A wire that is a slice of an expression is assigned the expression itself.
    let mid = m.wire("mid", &sum.slice(4, 8));
    m.output("mid_out", &mid);
    let m = m.finish().unwrap();
    let v = emit(&m).unwrap().verilog();
    assert_eq!(
        v.matches(">> {").count(),
        1,
        "the shift is printed once:\n{v}"
    );
    assert!(v.contains("swapped_t0[7:0], swapped_t0[15:8], swapped_t0[23:16], swapped_t0[31:24]"));
    assert!(v.contains("wire [7:0] swapped_t0_unused_lo;"), "{v}");
    assert_eq!(
        v.matches("x + 32'd1").count(),
        3,
        "one temporary per slice:\n{v}"
    );
    assert!(
        v.contains("assign {mid_unused_hi, mid, mid_unused_lo} = x + 32'd1;"),
        "{v}"
    );
    check("shared_slices", m);
}

/// Concatenations print flat: nested ones and zero extensions are spliced in, and leading zeros
/// join the constant after them, while a constant with a value keeps its own literal.
#[test]
fn flat_concatenations() {
    use nicc_rtl::{ModuleBuilder, Signal};
    let mut m = ModuleBuilder::new("flat_concat");
    let a = m.input("a", 4);
    let b = m.input("b", 3);
    let lit = Signal::lit;
    let inner = Signal::concat(&[a.clone(), lit(2, 0)]);
    m.output(
        "nested",
        &Signal::concat(&[lit(3, 0), inner.clone()]).zext(12),
    );
    m.output(
        "padded",
        &Signal::concat(&[lit(1, 0), lit(16, 14)]).zext(17),
    );
    m.output(
        "fields",
        &Signal::concat(&[b.clone(), lit(8, 255), lit(7, 0)]),
    );
    m.output("both", &Signal::concat(&[lit(1, 0), lit(1, 1), b.zext(5)]));
    let m = m.finish().unwrap();
    let v = emit(&m).unwrap().verilog();
    for want in [
        "assign nested = {6'd0, a, 2'd0};",
        "assign padded = 17'd14;",
        "assign fields = {b, 8'd255, 7'd0};",
        "assign both = {2'd1, 2'd0, b};",
    ] {
        assert!(v.contains(want), "{want}:\n{v}");
    }
    check("flat_concat", m);
}
