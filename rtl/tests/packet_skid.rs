//! The packet engine's skid buffer: builds, rejects a zero width, lints clean.

mod common;

use nicc_rtl::blocks::packet_engine::skid_buffer;

#[test]
fn skid_buffer_rejects_zero_width() {
    assert!(skid_buffer(0).is_err());
}

#[test]
fn skid_buffer_ports_and_lint() {
    let m = skid_buffer(73).expect("build");
    let d = nicc_rtl::emit(&m).expect("emit");
    let names: Vec<&str> = d.ports.iter().map(|p| p.name.as_str()).collect();
    for p in [
        "s_data", "s_valid", "s_ready", "m_data", "m_valid", "m_ready",
    ] {
        assert!(names.contains(&p), "missing port {p}: {names:?}");
    }
    common::verilator_lint(&d).expect("verilator lint");
}
