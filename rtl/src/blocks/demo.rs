//! Small demonstration designs: each exercises a group of IR constructs, and together they are
//! the snapshot and co-simulation designs of the HDL core.

use crate::bits::Bits;
use crate::builder::ModuleBuilder;
use crate::error::{ParamError, RtlError};
use crate::ir::Module;
use crate::signal::Signal;
use std::rc::Rc;

/// The widest data width of the demonstration designs: Verilator's default limit on a
/// literal's width (`--max-num-width`, 64K bits), which a counter's increment and reset value
/// reach. It also keeps `width + 3` and `2 * width` far from `u32` overflow.
pub const MAX_WIDTH: u32 = 65_536;

/// A width of 1 to `max` bits ([`MAX_WIDTH`], or one more for a stage that adds a carry bit).
fn check_width(name: &str, w: u32, max: u32) -> Result<(), ParamError> {
    if w == 0 {
        return Err(ParamError::invalid(name, w, "a width of at least 1 bit"));
    }
    if w > max {
        return Err(ParamError::invalid(
            name,
            w,
            format!("a width of at most {max} bits (Verilator's literal width limit)"),
        ));
    }
    Ok(())
}

/// An up-counter with enable and a `wrap` flag (count is all ones): registers, reset, enable,
/// reduction.
pub fn counter(width: u32) -> Result<Rc<Module>, RtlError> {
    check_width("width", width, MAX_WIDTH)?;
    let mut m = ModuleBuilder::new(format!("counter_w{width}"));
    m.clock_domain();
    let en = m.input("en", 1);
    let count = m.reg_decl("count", width, false, Some(Bits::zero(width)));
    let next = m.wire("count_next", &(count.sig() + Signal::lit(width, 1)));
    m.set_next(&count, &next);
    m.set_enable(&count, &en);
    m.output("value", &count.sig());
    m.output("wrap", &count.sig().reduce_and());
    m.finish()
}

/// Registered signed adder: `sum_q <= sext(a) + sext(b)` in `width + 1` bits.
pub fn reg_adder(width: u32) -> Result<Rc<Module>, RtlError> {
    check_width("width", width, MAX_WIDTH)?;
    let mut m = ModuleBuilder::new(format!("reg_adder_w{width}"));
    m.clock_domain();
    let a = m.input_signed("a", width);
    let b = m.input_signed("b", width);
    let sum = m.wire("sum", &a.add_w(&b, width + 1));
    let q = m.reg("sum_q", &sum);
    m.output("out", &q);
    m.finish()
}

/// A 2x2 switch: `sel = 0` passes straight, `sel = 1` crosses. Combinational.
pub fn switch2x2(width: u32) -> Result<Rc<Module>, RtlError> {
    check_width("width", width, MAX_WIDTH)?;
    let mut m = ModuleBuilder::new(format!("switch2x2_w{width}"));
    let in0 = m.input("in0", width);
    let in1 = m.input("in1", width);
    let sel = m.input("sel", 1);
    m.output("out0", &sel.mux(&in1, &in0));
    m.output("out1", &sel.mux(&in0, &in1));
    m.finish()
}

/// A small memory: one write port, one combinational and one registered read port.
pub fn small_memory(depth: u64, width: u32) -> Result<Rc<Module>, RtlError> {
    check_width("width", width, MAX_WIDTH)?;
    if !(2..=1 << 20).contains(&depth) || !depth.is_power_of_two() {
        return Err(ParamError::invalid("depth", depth, "a power of two from 2 to 2^20").into());
    }
    let aw = depth.trailing_zeros();
    let mut m = ModuleBuilder::new(format!("small_memory_d{depth}_w{width}"));
    m.clock_input("clk");
    let we = m.input("we", 1);
    let waddr = m.input("waddr", aw);
    let wdata = m.input("wdata", width);
    let raddr = m.input("raddr", aw);
    let mem = m.memory("mem", depth, width);
    m.mem_write(mem, &we, &waddr, &wdata);
    let rd = m.mem_read(mem, "rdata_comb", &raddr);
    let rq = m.mem_read_sync(mem, "rdata_q", &raddr, None);
    m.output("rdata", &rd);
    m.output("rdata_reg", &rq);
    m.finish()
}

/// A combinational adder stage `sum = zext(a) + zext(b)` (one more bit than its inputs), up to
/// [`MAX_WIDTH`]` + 1` bits: [`hier_sum4`]'s second level adds its first level's sums.
pub fn add_stage(width: u32) -> Result<Rc<Module>, RtlError> {
    check_width("width", width, MAX_WIDTH + 1)?;
    let mut m = ModuleBuilder::new(format!("add_stage_w{width}"));
    let a = m.input("a", width);
    let b = m.input("b", width);
    m.output("sum", &a.add_w(&b, width + 1));
    m.finish()
}

/// Two-level hierarchy: four inputs summed by two `add_stage_w{W}` instances and one
/// `add_stage_w{W+1}`. Each instance's module is generated separately; the emitter
/// deduplicates the identical ones.
pub fn hier_sum4(width: u32) -> Result<Rc<Module>, RtlError> {
    check_width("width", width, MAX_WIDTH)?;
    let mut m = ModuleBuilder::new(format!("hier_sum4_w{width}"));
    let ins: Vec<Signal> = (0..4).map(|i| m.input(&format!("in_{i}"), width)).collect();
    let l0a = add_stage(width)?;
    let l0b = add_stage(width)?; // built again on purpose: emitted once
    let s0 = m.instance("l0_n0", &l0a, &[("a", &ins[0]), ("b", &ins[1])]);
    let s1 = m.instance("l0_n1", &l0b, &[("a", &ins[2]), ("b", &ins[3])]);
    let l1 = add_stage(width + 1)?;
    let s2 = m.instance(
        "l1_n0",
        &l1,
        &[("a", &s0.out("sum")), ("b", &s1.out("sum"))],
    );
    m.output("sum", &s2.out("sum"));
    m.finish()
}

/// Behavioural reference of [`hier_sum4`]: `sum = in_0 + in_1 + in_2 + in_3`, flat.
pub fn hier_sum4_reference(width: u32) -> Result<Rc<Module>, RtlError> {
    check_width("width", width, MAX_WIDTH)?;
    let mut m = ModuleBuilder::new(format!("hier_sum4_ref_w{width}"));
    let ins: Vec<Signal> = (0..4).map(|i| m.input(&format!("in_{i}"), width)).collect();
    let w = width + 2;
    let sum = ins[1..]
        .iter()
        .fold(ins[0].zext(w), |acc, x| acc + x.zext(w));
    m.output("sum", &sum);
    m.finish()
}

/// Names that need escaping: Verilog keywords, a leading digit, illegal characters.
pub fn keywords() -> Result<Rc<Module>, RtlError> {
    let mut m = ModuleBuilder::new("keywords");
    let reg = m.input("reg", 4);
    let module = m.input("module", 4);
    let x = m.wire("wire", &(reg ^ module));
    let y = m.wire("3d.value", &x.bits(3, 2));
    m.output("output", &x);
    m.output("logic", &y);
    m.finish()
}

/// A signed arithmetic mix: multiply, negate, arithmetic shift, signed compare, sign extension
/// of an expression (which needs a temporary).
pub fn signed_mix(width: u32) -> Result<Rc<Module>, RtlError> {
    if width < 2 {
        return Err(ParamError::invalid("width", width, "at least 2 bits").into());
    }
    check_width("width", width, MAX_WIDTH)?;
    let mut m = ModuleBuilder::new(format!("signed_mix_w{width}"));
    let a = m.input_signed("a", width);
    let b = m.input_signed("b", width);
    let sh = m.input("sh", 3);
    let prod = m.wire("prod_full", &a.mul_w(&b, 2 * width));
    m.output("prod", &prod.as_signed());
    m.output("neg_a", &(-&a));
    m.output("a_shr", &a.ashr_var(&sh));
    m.output("a_lt_b", &a.lt(&b));
    m.output("a_ltu_b", &a.as_unsigned().lt(&b.as_unsigned()));
    let diff = (&a - &b).as_signed();
    m.output("diff_ext", &diff.sext(width + 3));
    m.output("a_hi_ext", &a.slice(1, width - 1).as_signed().sext(width));
    m.finish()
}
