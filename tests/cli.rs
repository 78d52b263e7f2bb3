//! The `nicc` binary: generation writes the files, and bad input gives clear errors.

use std::process::Command;

fn nicc(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nicc"))
        .args(args)
        .output()
        .expect("run nicc");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn gen_writes_verilog_filelist_and_name_map() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (ok, _, err) = nicc(&[
        "gen",
        "hier-sum4",
        "--set",
        "width=4",
        "-o",
        d,
        "--top",
        "my_top",
    ]);
    assert!(ok, "{err}");
    let f = std::fs::read_to_string(dir.path().join("my_top.f")).unwrap();
    assert_eq!(f, "add_stage_w4.v\nadd_stage_w5.v\nmy_top.v\n");
    let v = std::fs::read_to_string(dir.path().join("my_top.v")).unwrap();
    assert!(v.contains("module my_top ("));
    let names: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("my_top.names.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(names["my_top"]["l0_n0"], "l0_n0");
}

#[test]
fn unknown_design_lists_the_accepted_ones() {
    let (ok, _, err) = nicc(&["gen", "nope"]);
    assert!(!ok);
    assert!(
        err.contains("unknown design `nope`; accepted: counter, reg-adder"),
        "{err}"
    );
}

#[test]
fn bad_parameters_are_named() {
    let (ok, _, err) = nicc(&["gen", "counter", "--set", "width=0"]);
    assert!(!ok);
    assert!(
        err.contains("parameter `width` = 0 is invalid: a width of at least 1 bit"),
        "{err}"
    );
    let (ok, _, err) = nicc(&["gen", "counter", "--set", "wdth=3"]);
    assert!(!ok);
    assert!(
        err.contains("unknown parameter `wdth`; accepted: width, depth"),
        "{err}"
    );
    let (ok, _, err) = nicc(&["gen", "counter", "--set", "width"]);
    assert!(!ok);
    assert!(
        err.contains("malformed --set `width`: expected KEY=VALUE"),
        "{err}"
    );
    let (ok, _, err) = nicc(&["gen", "counter", "--set", "width=abc"]);
    assert!(!ok);
    assert!(
        err.contains("parameter `width` = abc is invalid: an unsigned integer"),
        "{err}"
    );
}
