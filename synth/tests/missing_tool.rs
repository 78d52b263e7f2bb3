//! With an empty PATH every flow says which Debian package to install (own process: PATH is
//! process-wide).

mod common;

#[test]
fn missing_tools_name_their_package() {
    std::env::set_var("PATH", "");
    let cache = tempfile::tempdir().unwrap();
    let o = nicc_synth::Options {
        cache_dir: Some(cache.path().to_path_buf()),
        ..Default::default()
    };
    let e = nicc_synth::run_flow(&common::reg_add4(), nicc_synth::Flow::Generic, &o).unwrap_err();
    assert!(e.to_string().contains("apt-get install yosys"), "{e}");
    for (t, pkg) in [
        (nicc_synth::Tool::NextpnrIce40, "nextpnr-ice40"),
        (nicc_synth::Tool::Sta, "opensta"),
        (nicc_synth::Tool::YosysAbc, "yosys"),
    ] {
        let e = t.locate().unwrap_err();
        assert!(e.to_string().contains(&format!("`{pkg}`")), "{e}");
    }
}
