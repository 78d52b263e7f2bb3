//! Snapshots of the packet engine's units at their smallest useful sizes: the checksum unit
//! (generic, and generated for a parent that drives even L4 offsets, beat-aligned positions
//! and a 22-bit pseudo-header sum), the ICRC unit and a two-entry exact-match table. Each is
//! also linted (`verilator --lint-only -Wall`), accepted by Yosys and Icarus, and emitted
//! twice byte for byte. Their behaviour is proven elsewhere: `testbench/tests/packet_units.rs`
//! co-simulates them against the golden math. `pkt_toeplitz` has no snapshot: its hash is one
//! XOR expression per key window, 219 KB of Verilog at four table entries, which no reviewer
//! reads; the co-simulation and the Microsoft RSS suite pin it.

mod common;

use std::collections::BTreeMap;

use nicc_rtl::blocks::packet_units::{pkt_csum, pkt_csum_given, pkt_em, pkt_icrc, Given};
use nicc_rtl::known::KnownBits;
use nicc_rtl::{emit, Module};

fn check(name: &str, m: std::rc::Rc<Module>) -> String {
    let d = emit(&m).unwrap();
    common::verilator_lint(&d).unwrap_or_else(|e| panic!("{name}: verilator lint failed:\n{e}"));
    common::yosys_and_icarus_accept(&d).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(emit(&m).unwrap(), d, "{name}: a second emit differs");
    insta::assert_snapshot!(name, d.verilog());
    d.verilog().to_string()
}

/// `width` bits, the `zeros` low ones known 0 and the `high_zeros` top ones known 0.
fn known_zero(width: u32, zeros: u32, high_zeros: u32) -> KnownBits {
    KnownBits(
        (0..width)
            .map(|i| (i < zeros || i >= width - high_zeros).then_some(false))
            .collect(),
    )
}

#[test]
fn csum_d8() {
    let v = check("pkt_csum_d8", pkt_csum(8).unwrap());
    // An odd L4 start swaps the folded sum's bytes.
    assert!(
        v.contains("s2_odd ? {l4_f2[7:0], l4_f2[15:8]} : l4_f2"),
        "{v}"
    );
}

#[test]
fn csum_d8_given_even_offsets() {
    let given = Given {
        module: "pkt_csum_d8_even".into(),
        inputs: BTreeMap::from([
            ("in_pos".to_string(), known_zero(16, 3, 0)),
            ("l4_start".to_string(), known_zero(16, 1, 0)),
            ("ph_sum".to_string(), known_zero(24, 0, 2)),
        ]),
    };
    let v = check("pkt_csum_d8_even", pkt_csum_given(8, &given).unwrap());
    // An even L4 start leaves no byte swap and no flag to store for it; the known port bits
    // go to the lint sinks; the pseudo-header sum is stored in the 22 bits it can use.
    assert!(!v.contains("l4_f2[7:0], l4_f2[15:8]"), "{v}");
    assert!(!v.contains("s0_odd"), "{v}");
    for sink in [
        "in_pos_given_unused",
        "l4_start_given_unused",
        "ph_sum_given_unused",
    ] {
        assert!(v.contains(sink), "{sink} missing:\n{v}");
    }
    assert!(v.contains("reg [21:0] s0_ph"), "{v}");
}

#[test]
fn icrc_d8() {
    check("pkt_icrc_d8", pkt_icrc(8).unwrap());
}

#[test]
fn em_two_entries() {
    check("pkt_em_n2", pkt_em(2).unwrap());
}
