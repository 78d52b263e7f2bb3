//! Toggle coverage (energy proxy) on a tiny design whose toggle counts are computed by hand.

use nicc_rtl::{emit, ModuleBuilder};
use nicc_sim::{BuildOptions, ToggleModel};

/// `tog_top`: `r <= a` (4 bits, reset 0), `u_inv` = `tog_inv` computing `y = ~x` from `r`,
/// `q = u_inv.y`.
fn design() -> nicc_rtl::Design {
    let mut inv = ModuleBuilder::new("tog_inv");
    let x = inv.input("x", 4);
    inv.output("y", &!&x);
    let inv = inv.finish().unwrap();
    let mut m = ModuleBuilder::new("tog_top");
    let _ = m.clock_domain();
    let a = m.input("a", 4);
    let r = m.reg("r", &a);
    let o = m.instance("u_inv", &inv, &[("x", &r)]);
    m.output("q", &o.out("y"));
    emit(&m.finish().unwrap()).unwrap()
}

#[test]
fn toggle_counts_match_hand_count() {
    let d = design();
    let mut t = ToggleModel::build(&d, &BuildOptions::default()).unwrap();
    let a = t.port("a").unwrap();
    t.reset(2).unwrap();
    t.zero();
    // a: 0 -> F (4 bit changes) -> F (0) -> 5 (bits 1, 3: 2) -> 0 (bits 0, 2: 2) = 8 changes.
    // r follows a one edge later, within the same five steps: 8. ~r inside u_inv: 8.
    for v in [0xFu64, 0xF, 0x5, 0x0, 0x0] {
        t.set_u64(a, v).unwrap();
        t.step().unwrap();
    }
    let c = t.toggles().unwrap();
    let s = c.by_signal();
    assert_eq!(s["a"], 8, "{s:?}");
    assert_eq!(s["r"], 8, "{s:?}");
    assert_eq!(s["u_inv.x"], 8, "{s:?}");
    assert_eq!(s["u_inv.y"], 8, "{s:?}");
    // The clock rises and falls once per step; the reset did not move.
    assert_eq!(s["clk"], 10, "{s:?}");
    assert_eq!(s["rst"], 0, "{s:?}");
    let blocks = c.by_block(&[("inverter", &["u_inv."])], &["clk", "rst"]);
    assert_eq!(blocks["inverter"], 16, "{blocks:?}");
    // Per bit: bit 3 of a changed 0->1 and 1->0 once each.
    let a3 = c
        .entries
        .iter()
        .find(|e| e.scope.is_empty() && e.signal == "a" && e.bit == Some(3))
        .unwrap();
    assert_eq!(a3.count, 2);
    // Zeroing clears every counter.
    t.zero();
    assert_eq!(t.toggles().unwrap().total(), 0);
}
