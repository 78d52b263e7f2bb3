//! Every check of `ModuleBuilder::finish` is triggered here and its message asserted.

use nicc_rtl::{emit, ModuleBuilder, RtlError, Signal};

fn err(m: ModuleBuilder) -> String {
    match m.finish() {
        Ok(_) => panic!("expected the checks to fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn width_mismatch_on_assign() {
    let mut m = ModuleBuilder::new("bad_assign");
    let a = m.input("a", 8);
    let w = m.wire_decl("narrow", 4);
    m.drive(&w, &a);
    m.output("o", &w.sig());
    let e = err(m);
    assert!(e.contains("module `bad_assign` failed its checks"), "{e}");
    assert!(
        e.contains("width mismatch driving `narrow`: `narrow` has 4 bits, its driver has 8 bits"),
        "{e}"
    );
}

#[test]
fn width_mismatch_in_operator() {
    let mut m = ModuleBuilder::new("bad_add");
    let a = m.input("a", 8);
    let b = m.input("b", 9);
    m.output("s", &(a + b));
    let e = err(m);
    assert!(e.contains("width mismatch driving `s`: Add of 8 and 9 bits (extend both operands to one width first)"), "{e}");
}

#[test]
fn width_mismatch_on_connect() {
    let mut sub = ModuleBuilder::new("sub_w4");
    let x = sub.input("x", 4);
    sub.output("y", &x);
    let sub = sub.finish().unwrap();
    let mut m = ModuleBuilder::new("top");
    let a = m.input("a", 8);
    let o = m.instance("u0", &sub, &[("x", &a)]);
    m.output("o", &o.out("y"));
    let e = err(m);
    assert!(
        e.contains("width mismatch driving `u0.x`: port has 4 bits, connected signal has 8"),
        "{e}"
    );
}

#[test]
fn undriven_output_and_wire() {
    let mut m = ModuleBuilder::new("undriven");
    let _a = m.input("a", 1);
    let _o = m.output_decl("o", 1, false);
    let _w = m.wire_decl("w", 3);
    let e = err(m);
    assert!(e.contains("`o` is declared but never driven"), "{e}");
    assert!(e.contains("`w` is declared but never driven"), "{e}");
}

#[test]
fn undriven_register() {
    let mut m = ModuleBuilder::new("undriven_reg");
    m.clock_domain();
    let r = m.reg_decl("state", 2, false, None);
    m.output("o", &r.sig());
    let e = err(m);
    assert!(e.contains("`state` is declared but never driven"), "{e}");
}

#[test]
fn multiple_drivers() {
    let mut m = ModuleBuilder::new("multi");
    let a = m.input("a", 1);
    let o = m.output_decl("o", 1, false);
    m.drive(&o, &a);
    m.drive(&o, &!&a);
    let e = err(m);
    assert!(e.contains("`o` has more than one driver"), "{e}");
}

#[test]
fn combinational_loop_is_printed_in_order() {
    let mut m = ModuleBuilder::new("looped");
    let a = m.input("a", 1);
    let x = m.wire_decl("x", 1);
    let y = m.wire_decl("y", 1);
    let z = m.wire_decl("z", 1);
    m.drive(&x, &(&a & &z.sig()));
    m.drive(&y, &!x.sig());
    m.drive(&z, &y.sig());
    m.output("o", &z.sig());
    let e = err(m);
    assert!(e.contains("combinational loop: x -> y -> z -> x"), "{e}");
}

#[test]
fn loop_through_instance_is_found_but_registers_cut_it() {
    let mut sub = ModuleBuilder::new("pass_w1");
    let x = sub.input("x", 1);
    sub.output("y", &!x);
    let sub = sub.finish().unwrap();

    let mut m = ModuleBuilder::new("inst_loop");
    let w = m.wire_decl("w", 1);
    let o = m.instance("u0", &sub, &[("x", &w.sig())]);
    m.drive(&w, &o.out("y"));
    m.output("o", &w.sig());
    let e = err(m);
    assert!(e.contains("combinational loop: w -> u0_y -> w"), "{e}");

    // The same ring with a register in it is fine.
    let mut m = ModuleBuilder::new("reg_ring");
    m.clock_domain();
    let r = m.reg_decl("q", 1, false, Some(nicc_rtl::Bits::zero(1)));
    let o = m.instance("u0", &sub, &[("x", &r.sig())]);
    m.set_next(&r, &o.out("y"));
    m.output("o", &r.sig());
    assert!(m.finish().is_ok());
}

#[test]
fn name_collision() {
    let mut m = ModuleBuilder::new("clash");
    let a = m.input("a", 1);
    m.wire("t", &a);
    m.wire("t", &!&a);
    m.output("o", &a);
    let e = err(m);
    assert!(e.contains("name collision: `t` names both t and t"), "{e}");
    // Escaping can make two names collide too.
    let mut m = ModuleBuilder::new("clash2");
    let a = m.input("a.b", 1);
    let _ = m.input("a_b", 1);
    m.output("o", &a);
    let e = err(m);
    assert!(
        e.contains("name collision: `a_b` names both a.b and a_b"),
        "{e}"
    );
}

#[test]
fn unconnected_and_unknown_instance_ports() {
    let mut sub = ModuleBuilder::new("and2");
    let x = sub.input("x", 1);
    let y = sub.input("y", 1);
    sub.output("z", &(x & y));
    let sub = sub.finish().unwrap();
    let mut m = ModuleBuilder::new("top_unconn");
    let a = m.input("a", 1);
    let o = m.instance("u0", &sub, &[("x", &a), ("q", &a)]);
    m.output("o", &o.out("z"));
    let e = err(m);
    assert!(
        e.contains("instance `u0` of `and2`: input port `y` is not connected"),
        "{e}"
    );
    assert!(
        e.contains("instance `u0` of `and2`: `q` is not an input port of `and2` (inputs: x, y)"),
        "{e}"
    );
}

#[test]
fn zero_width_and_bad_slice() {
    let mut m = ModuleBuilder::new("shapes");
    let a = m.input("a", 4);
    let _z = m.input("z", 0);
    m.output("o", &a.slice(2, 4));
    let e = err(m);
    assert!(e.contains("`z`: width 0 is not allowed"), "{e}");
    assert!(
        e.contains("width mismatch driving `o`: slice [5:2] of a 4-bit value"),
        "{e}"
    );
}

#[test]
fn signal_from_another_module() {
    let mut m1 = ModuleBuilder::new("one");
    let a = m1.input("a", 1);
    let mut m2 = ModuleBuilder::new("two");
    m2.output("o", &a);
    let e = err(m2);
    assert!(
        e.contains("`o` is driven by a signal that belongs to another module"),
        "{e}"
    );
    m1.output("o", &a);
    assert!(m1.finish().is_ok());
}

#[test]
fn register_without_clock() {
    let mut m = ModuleBuilder::new("noclk");
    let a = m.input("a", 1);
    let q = m.reg("q", &a);
    m.output("o", &q);
    let e = err(m);
    assert!(
        e.contains("`q` needs a clock: call `clock_domain` (or `clock_input`) first"),
        "{e}"
    );
}

#[test]
fn two_different_modules_with_one_name() {
    let mk = |w: u32| {
        let mut s = ModuleBuilder::new("same_name");
        let x = s.input("x", w);
        s.output("y", &x);
        s.finish().unwrap()
    };
    let (s4, s5) = (mk(4), mk(5));
    let mut m = ModuleBuilder::new("top_clash");
    let a = m.input("a", 4);
    let b = m.input("b", 5);
    let o1 = m.instance("u0", &s4, &[("x", &a)]);
    let o2 = m.instance("u1", &s5, &[("x", &b)]);
    m.output("o1", &o1.out("y"));
    m.output("o2", &o2.out("y"));
    let top = m.finish().unwrap();
    match emit(&top) {
        Err(RtlError::ModuleNameClash(n)) => assert_eq!(n, "same_name"),
        other => panic!("expected a name clash, got {other:?}"),
    }
}

#[test]
fn temporary_collision_is_reported() {
    let mut m = ModuleBuilder::new("tmp_clash");
    let a = m.input("a", 4);
    let b = m.input("b", 4);
    m.wire("o_t0", &a);
    m.output("o", &(&a + &b).slice(1, 2));
    let top = m.finish().unwrap();
    let e = emit(&top).unwrap_err().to_string();
    assert!(
        e.contains("the temporary `o_t0` collides with a generator name"),
        "{e}"
    );
    let _ = Signal::lit(1, 0);
}
