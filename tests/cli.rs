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

#[test]
fn equiv_proves_the_hierarchy_equal_to_its_reference() {
    let (ok, out, err) = nicc(&["equiv", "hier-sum4", "--set", "width=5"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "hier_sum4_w5 vs hier_sum4_ref_w5: equivalent");
    let (ok, _, err) = nicc(&["equiv", "counter"]);
    assert!(!ok);
    assert!(
        err.contains("design `counter` has no behavioural reference"),
        "{err}"
    );
}

#[test]
fn synth_rejects_an_unknown_flow() {
    let (ok, _, err) = nicc(&["synth", "counter", "--flow", "fpga"]);
    assert!(!ok);
    assert!(
        err.contains("unknown flow `fpga`: use generic, asic or ice40"),
        "{err}"
    );
}

#[test]
fn run_quick_reports_every_block_passing_with_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (ok, out, err) = nicc(&["run", "--quick", "-o", d]);
    assert!(ok, "{out}\n{err}");
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let name = r["block"].as_str().unwrap();
        assert_eq!(r["pass"], true, "{name}: {}", r["failures"]);
        assert!(r["verified"]["vectors"].as_u64().unwrap() > 0, "{name}");
        assert_eq!(r["verified"]["mismatches"], 0, "{name}");
        assert!(r["cells"].as_u64().unwrap() > 0, "{name}");
        assert!(r["area_um2"].as_f64().unwrap() > 0.0, "{name}");
        let verilog = r["links"]["verilog"].as_str().unwrap();
        assert!(dir.path().join(verilog).exists(), "{name}: {verilog}");
    }
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("| hier-sum4 | pass |"), "{md}");
}

#[test]
fn sharded_sweep_merged_equals_the_unsharded_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s).to_str().unwrap().to_string();
    let base = [
        "sweep",
        "counter",
        "--vary",
        "width=3,5,7",
        "--vary",
        "depth=16,32",
        "--flow",
        "generic",
    ];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        let (ok, out, err) = nicc(&args);
        assert!(ok, "{out}\n{err}");
    };
    let (whole, s0, s1) = (p("whole"), p("s0"), p("s1"));
    run(&["-o", &whole]);
    run(&["--shard", "0/2", "-o", &s0]);
    run(&["--shard", "1/2", "-o", &s1]);
    let merged = p("merged");
    let (ok, out, err) = nicc(&[
        "sweep",
        "merge",
        &format!("{s1}.json"),
        &format!("{s0}.json"),
        "-o",
        &merged,
    ]);
    assert!(ok, "{out}\n{err}");
    let read = |s: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{s}.json")).unwrap()).unwrap()
    };
    let (w, m) = (read(&whole), read(&merged));
    assert_eq!(w["rows"].as_array().unwrap().len(), 6);
    assert_eq!(w["rows"], m["rows"]);
    assert_eq!(
        std::fs::read_to_string(format!("{whole}.csv")).unwrap(),
        std::fs::read_to_string(format!("{merged}.csv")).unwrap()
    );
    assert!(std::path::Path::new(&format!("{whole}-generic_cells.svg")).exists());
    // A missing shard is an error naming it.
    let (ok, _, err) = nicc(&["sweep", "merge", &format!("{s0}.json"), "-o", &p("bad")]);
    assert!(!ok);
    assert!(err.contains("cannot merge: shard 1/2 is missing"), "{err}");
}

#[test]
fn sim_butterfly_compacts_jsonl_and_names_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    std::fs::write(&input, "{\"values\":[0,5,0,7]}\n").unwrap();
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    let (ok, _, err) = nicc(&[
        "sim",
        "butterfly",
        "--set",
        "lanes=4",
        "--input",
        i,
        "--out",
        o,
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().trim(),
        "{\"values\":[5,7,0,0],\"index\":[1,3,0,0],\"count\":2}"
    );
    std::fs::write(&input, "{\"values\":[0,5,0,7]}\n{\"values\":[0,256,0,7]}\n").unwrap();
    let (ok, _, err) = nicc(&[
        "sim",
        "butterfly",
        "--set",
        "lanes=4",
        "--input",
        i,
        "--out",
        o,
    ]);
    assert!(!ok);
    assert!(
        err.contains("line 2: `values`[1] = 256 does not fit in width = 8 bits"),
        "{err}"
    );
}
