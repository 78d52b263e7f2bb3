//! The `nicc` binary: generation writes the files, and bad input gives clear errors.

mod common;
use common::{fails_with, nicc, nicc_env};

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

/// Every block of the README has a registry name, so `gen`, `synth` and `sweep` take it.
#[test]
fn gen_knows_every_block() {
    let (ok, out, err) = nicc(&["gen", "--list"]);
    assert!(ok, "{err}");
    for name in [
        "adder-tree",
        "cim",
        "butterfly",
        "crossbar",
        "crossbar-compact",
        "packet-engine",
        "sparse-ffn",
        "sparse-ffn-dense",
    ] {
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing from:\n{out}"
        );
    }
    // The descriptions start in one column, however long the names.
    let starts: std::collections::BTreeSet<usize> = out
        .lines()
        .map(|l| {
            let name_end = l.find(' ').unwrap();
            name_end + l[name_end..].find(|c: char| c != ' ').unwrap()
        })
        .collect();
    assert_eq!(starts.len(), 1, "{out}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (ok, _, err) = nicc(&["gen", "sparse-ffn", "--set", "rows=8", "-o", d]);
    assert!(ok, "{err}");
    let f = std::fs::read_to_string(dir.path().join("sparse_ffn.f")).unwrap();
    assert!(f.ends_with("sparse_ffn.v\n") && f.contains("router"), "{f}");
}

/// A file error names the file and says what is wrong once (the typed error already holds its
/// cause; the chain is not printed twice).
#[test]
fn a_missing_input_file_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nosuch.json");
    let (ok, _, err) = nicc(&["sweep", "merge", missing.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("nosuch.json: "), "{err}");
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}

#[test]
fn unknown_design_lists_the_accepted_ones() {
    fails_with(
        &["gen", "nope"],
        "unknown design `nope`; accepted: counter, reg-adder",
    );
}

#[test]
fn bad_parameters_are_named() {
    fails_with(
        &["gen", "counter", "--set", "width=0"],
        "parameter `width` = 0 is invalid: a width of at least 1 bit",
    );
    fails_with(
        &["gen", "counter", "--set", "wdth=3"],
        "unknown parameter `wdth`; accepted: width",
    );
    fails_with(
        &["gen", "counter", "--set", "width"],
        "malformed --set `width`: expected KEY=VALUE",
    );
    fails_with(
        &["gen", "counter", "--set", "width=abc"],
        "parameter `width` = abc is invalid: an unsigned integer",
    );
    fails_with(
        &["gen", "counter", "--set", "width=4", "--set", "width=8"],
        "--set width is given twice (`4` and `8`): give each parameter once",
    );
    fails_with(
        &[
            "sweep",
            "counter",
            "--set",
            "width=3",
            "--vary",
            "width=3,5",
        ],
        "`width` is given by --set and by --vary: give each parameter once",
    );
    fails_with(
        &["gen", "counter", "--top", "module"],
        "--top `module` cannot be used: it is a Verilog or SystemVerilog keyword; `module_` would be",
    );
    fails_with(
        &["run", "--jobs", "0"],
        "invalid value '0' for '--jobs <JOBS>'",
    );
}

#[test]
fn equiv_proves_the_hierarchy_equal_to_its_reference() {
    let (ok, out, err) = nicc(&["equiv", "hier-sum4", "--set", "width=5"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "hier_sum4_w5 vs hier_sum4_ref_w5: equivalent");
    fails_with(
        &["equiv", "counter"],
        "design `counter` has no behavioural reference",
    );
}

#[test]
fn equiv_proves_a_small_compaction_network() {
    let proven = |extra: &[&str], want: &str| {
        let args = [&["equiv", "butterfly", "--set", "lanes=4"][..], extra].concat();
        let (ok, out, err) = nicc(&args);
        assert!(ok, "{err}");
        assert!(
            out.starts_with(
                "butterfly (4 lanes x 8 bits, compact, mask nonzero) vs its definition"
            ) && out.contains(want),
            "{out}"
        );
    };
    proven(&[], ": equivalent (");
    proven(
        &["--set", "pipeline=1"],
        ": equivalent (through 84 flip-flops, latency 2 cycles with `in_ready` = 1, `rst` held at 0)",
    );
    proven(
        &["--set", "out_lanes=1"],
        ": equivalent (every beat: `beat_q` from 0 to 3)",
    );
    fails_with(
        &["equiv", "butterfly", "--set", "mode=permute"],
        "mode = permute: the formal proof covers the compact and expand networks (expand with every lane out in one beat",
    );
}

/// Output into a pipe whose reader has gone (`nicc gen --list | head -1` once `head` has
/// its line) ends nicc by SIGPIPE, as it ends other Unix tools: no panic message.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nicc"))
        .args(["gen", "--list"])
        .stdout(writer)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "{:?} {err}",
        out.status
    );
}

/// `nicc equiv adder-tree` proves the tree and the reference against the sum; a pipelined
/// tree through its registers, with its latency.
#[test]
fn equiv_proves_adder_trees_pipelined_or_not() {
    let tree = |pipeline: &str| {
        let p = format!("pipeline={pipeline}");
        let args = [
            "equiv",
            "adder-tree",
            "--set",
            "inputs=8",
            "--set",
            "width=4",
        ];
        let (ok, out, err) = nicc(&[&args[..], &["--set", &p, "--set", "style=dadda"]].concat());
        assert!(ok, "{out}\n{err}");
        assert!(
            out.contains("equivalent: both equal the sum of the operands mod 2^out_width"),
            "{out}"
        );
        out
    };
    let out = tree("0");
    assert!(
        out.starts_with("adder_tree_dadda_rc_n8_w4_u_p0_o7: proven ("),
        "{out}"
    );
    assert!(!out.contains("flip-flops"), "{out}");
    let out = tree("3");
    assert!(
        out.starts_with("adder_tree_dadda_rc_n8_w4_u_p3_o7: proven ("),
        "{out}"
    );
    assert!(
        out.contains(" flip-flops, latency 3 cycles; region "),
        "{out}"
    );
}

#[test]
fn equiv_checks_a_small_cim_macro_within_one_mvm() {
    let (ok, out, err) = nicc(&[
        "equiv",
        "cim",
        "--set",
        "rows=2",
        "--set",
        "cols=1",
        "--set",
        "wbits=3",
        "--set",
        "xbits=3",
        "--set",
        "banks=1",
        "--set",
        "row_block=1",
        "--set",
        "col_group=1",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("holds for every input sequence of 12 cycles"),
        "{out}"
    );
    fails_with(
        &["equiv", "cim", "--set", "format=bf16"],
        "the bounded check covers the integer macro (format = int)",
    );
    fails_with(&["equiv", "cim", "--set", "rows=0"], "rows");
}

/// `equiv --time-limit`: a proof whose tool runs over it is stopped, naming the tool and the
/// limit (the 256-lane network takes Yosys far longer than 1 s); a bounded check the limit
/// cuts short is inconclusive, an error naming the limit and the cycles covered; a bad limit
/// fails before any work.
#[test]
fn equiv_stops_at_the_time_limit() {
    let wide_butterfly = |limit: &'static str| {
        [
            "equiv",
            "butterfly",
            "--set",
            "lanes=256",
            "--time-limit",
            limit,
        ]
    };
    let t = std::time::Instant::now();
    fails_with(
        &wide_butterfly("1s"),
        "yosys did not finish within the time limit of 1 s and was stopped",
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        t.elapsed()
    );
    // The limit must cover the checker's Yosys step (under a second) but not ABC's check
    // (about 2 minutes): on a loaded machine, a Yosys step stopped at it retries with twice
    // the limit.
    let small_cim = |limit: &str| {
        let mut args = vec!["equiv", "cim"];
        for set in [
            "rows=2",
            "cols=1",
            "wbits=4",
            "xbits=4",
            "banks=1",
            "row_block=1",
            "col_group=1",
        ] {
            args.extend(["--set", set]);
        }
        args.extend(["--time-limit", limit]);
        nicc(&args)
    };
    let mut limit = 3;
    let (out, err) = loop {
        let (ok, out, err) = small_cim(&limit.to_string());
        assert!(!ok, "{out}");
        if err.contains("yosys did not finish within the time limit") && limit < 24 {
            limit *= 2;
            continue;
        }
        break (out, err);
    };
    // ABC counts its own limit in CPU time: on a loaded machine nicc's stop in wall time can
    // come first, which fails naming the limit too.
    let abc_stopped = format!("yosys-abc did not finish within the time limit of {limit} s");
    if err.contains(&abc_stopped) {
        assert!(err.contains("which counts its CPU time"), "{err}");
    } else {
        assert!(
            out.contains("inconclusive: no violation in "),
            "{out}\n{err}"
        );
        assert!(
            err.contains(&format!(
                "not shown correct within 13 cycles: the time limit of {limit} s stopped \
                 ABC's bounded check after "
            )),
            "{err}"
        );
    }
    for bad in ["0", "abc"] {
        fails_with(
            &wide_butterfly(bad),
            &format!("`{bad}` is not a positive duration"),
        );
    }
}

#[test]
fn synth_rejects_an_unknown_flow() {
    fails_with(
        &["synth", "counter", "--flow", "fpga"],
        "unknown flow `fpga`: use generic, asic or ice40",
    );
}

#[test]
fn abc_fast_outside_the_asic_flow_is_an_error() {
    fails_with(
        &["synth", "counter", "--flow", "generic", "--abc-fast"],
        "--abc-fast applies to the asic flow only (this is the generic flow)",
    );
    fails_with(
        &["sweep", "counter", "--vary", "width=3,5", "--abc-fast"],
        "--abc-fast applies to the asic flow, which this sweep does not run (--flow generic)",
    );
    fails_with(
        &["sweep", "merge", "a.json", "--abc-fast"],
        "--abc-fast is a sweep option, not a merge one",
    );
}

/// The main job's quick mode over every block. Its longest part is the packet engine's asic
/// flow (one single-threaded Yosys process of about three minutes), so `make test`
/// (scripts/test.sh) runs this test beside the others rather than after them; the script names
/// it, and fails if it did not run.
#[test]
fn run_quick_reports_every_block_passing_with_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let blocks = [
        "adder-tree",
        "butterfly",
        "cim",
        "packet-engine",
        "hier-sum4",
        "sparse-ffn",
    ];
    let args = vec!["run", "--quick", "--jobs", "2", "-o", d];
    let (ok, out, err) = nicc(&args);
    assert!(ok, "{out}\n{err}");
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let rows = rows.as_array().unwrap();
    let names: Vec<&str> = rows.iter().filter_map(|r| r["block"].as_str()).collect();
    assert_eq!(names, blocks, "the report's blocks");
    for r in rows {
        let name = r["block"].as_str().unwrap();
        assert_eq!(r["pass"], true, "{name}: {}", r["failures"]);
        assert!(r["verified"]["vectors"].as_u64().unwrap() > 0, "{name}");
        assert_eq!(r["verified"]["mismatches"], 0, "{name}");
        assert!(r["cells"].as_u64().unwrap() > 0, "{name}");
        assert!(r["area_um2"].as_f64().unwrap() > 0.0, "{name}");
        if ["cim", "packet-engine", "sparse-ffn"].contains(&name) {
            // Clocked blocks: a register-to-register Fmax.
            assert!(r["asic_fmax_mhz"].as_f64().unwrap() > 0.0, "{name}");
        }
        if ["adder-tree", "butterfly", "hier-sum4"].contains(&name) {
            // Proven: the adder tree algebraically; the compaction network and the
            // hierarchical sum by Yosys/ABC cec against their references.
            assert_eq!(r["equivalent"], true, "{name}");
        }
        if ["cim", "packet-engine"].contains(&name) {
            // GOPS and Gb/s from that Fmax.
            assert!(r["throughput"][0].as_f64().unwrap() > 0.0, "{name}");
        }
        let links = r["links"].as_object().unwrap();
        // The Verilog, its filelist and the waveform of a short run.
        for key in ["verilog", "filelist", "waveform"] {
            let f = links[key].as_str().unwrap();
            assert!(dir.path().join(f).exists(), "{name}: {key} {f}");
        }
        // Every plot a block links to exists.
        for (key, f) in links.iter().filter(|(k, _)| k.starts_with("plot:")) {
            let f = f.as_str().unwrap();
            assert!(dir.path().join(f).exists(), "{name}: {key} {f}");
        }
    }
    for plot in [
        "adder-tree-styles-generic_cells.svg",
        "butterfly-vs-crossbar-generic_cells.svg",
        "cim-throughput.svg",
    ] {
        let svg = std::fs::read_to_string(dir.path().join("plots").join(plot)).unwrap();
        assert!(svg.contains("<svg") && svg.contains("<polyline"), "{plot}");
    }
    // The CIM throughput points: all-zero activations skip bit-planes, dense ones do not.
    let pts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("plots/cim-throughput.json")).unwrap(),
    )
    .unwrap();
    let cycles = |dist: &str, z: f64| {
        pts.as_array()
            .unwrap()
            .iter()
            .find(|q| q["dist"] == dist && q["zero_frac"].as_f64() == Some(z))
            .and_then(|q| q["cycles_per_mvm"].as_f64())
            .unwrap()
    };
    assert_eq!(cycles("Uniform", 0.0), 8.0, "{pts}");
    assert!(cycles("Uniform", 1.0) < cycles("Uniform", 0.0), "{pts}");
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("| hier-sum4 | pass |"), "{md}");
}

#[test]
fn sharded_sweep_merged_equals_the_unsharded_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s).to_str().unwrap().to_string();
    // `memory` reads both keys (the counter has no depth: it refuses one).
    let base = [
        "sweep",
        "memory",
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
    fails_with(
        &["sweep", "merge", &format!("{s0}.json"), "-o", &p("bad")],
        "cannot merge: shard 1/2 is missing",
    );
}

/// `--time-limit`: a point whose synthesis runs over it becomes a failed row naming the limit,
/// the sweep goes on, and its exit status says a point failed. The 64-lane compaction crossbar takes Yosys far longer than 2 s;
/// the 4-lane one a fraction of it. A private cache keeps an earlier result from answering.
#[test]
fn sweep_point_over_the_time_limit_is_a_failed_row() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("tl");
    let (ok, out, err) = nicc_env(
        &[
            "sweep",
            "crossbar-compact",
            "--vary",
            "lanes=4,64",
            "--time-limit",
            "2s",
            "-o",
            stem.to_str().unwrap(),
        ],
        &[("NICC_SYNTH_CACHE", dir.path())],
    );
    // Every result is written, and the failed point makes the exit status non-zero, naming it.
    assert!(!ok, "a failed point must fail the sweep:\n{out}\n{err}");
    assert!(
        err.contains("1 of 2 points failed") && err.contains("lanes=64: "),
        "{err}"
    );
    assert!(!err.contains("lanes=4:"), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stem.with_extension("json")).unwrap())
            .unwrap();
    let rows = json["rows"].as_array().unwrap();
    let status = |lanes: &str| {
        rows.iter()
            .find(|r| r["params"]["lanes"] == lanes)
            .unwrap_or_else(|| panic!("no row for lanes = {lanes}: {json}"))["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("4"), "ok");
    let s = status("64");
    assert!(
        s.contains("did not finish within the time limit of 2 s"),
        "{s}"
    );
    fails_with(
        &["synth", "crossbar", "--time-limit", "0"],
        "`0` is not a positive duration",
    );
    fails_with(
        &["sweep", "merge", "a.json", "--time-limit", "5m"],
        "--time-limit is a sweep option, not a merge one",
    );
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
    fails_with(
        &[
            "sim",
            "butterfly",
            "--set",
            "lanes=4",
            "--input",
            i,
            "--out",
            o,
        ],
        "line 2: `values`[1] = 256 does not fit in width = 8 bits",
    );
}

/// Plots put the first varied key on the x axis: a sweep whose first key is not a number gets
/// its CSV and JSON, and a note saying why there are no plots (not silence).
#[test]
fn sweep_over_a_non_numeric_key_says_why_it_has_no_plots() {
    let dir = tempfile::tempdir().unwrap();
    let stem = dir.path().join("styles");
    let (ok, out, err) = nicc(&[
        "sweep",
        "adder-tree",
        "--vary",
        "style=binary,wallace",
        "--set",
        "inputs=3",
        "--set",
        "width=2",
        "-o",
        stem.to_str().unwrap(),
    ]);
    assert!(ok, "{out}\n{err}");
    assert!(stem.with_extension("csv").exists(), "{out}");
    assert!(
        err.contains(
            "no plots: they put the first --vary key on the x axis, and `style` is not a number"
        ),
        "{err}"
    );
    assert!(!out.contains(".svg"), "{out}");
}

/// A shard file claiming an impossible shard (edited or not from `nicc sweep`) is an error
/// naming the file and the shard, not a panic; so is one that varies nothing.
#[test]
fn sweep_merge_names_an_impossible_shard_file() {
    let dir = tempfile::tempdir().unwrap();
    let shard = |name: &str, vary: &str, index: usize, count: usize| {
        let path = dir.path().join(name);
        let rows = if vary == "[]" {
            r#"[{"index":0,"params":{},"status":"ok","metrics":{}}]"#
        } else {
            r#"[{"index":1,"params":{"width":"3"},"status":"ok","metrics":{}}]"#
        };
        let text = format!(
            r#"{{"block":"counter","vary":{vary},"fixed":[],"shard":{{"index":{index},"count":{count}}},"rows":{rows}}}"#
        );
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let grid = r#"[{"key":"width","values":["2","3"]}]"#;
    let out = dir.path().join("m");
    let out = out.to_str().unwrap();
    let bad = shard("bad.json", grid, 5, 2);
    fails_with(
        &["sweep", "merge", &bad, "-o", out],
        "bad.json: not a valid nicc sweep result: shard 5/2 is not a shard I/N with 0 <= I < N",
    );
    let zero = shard("zero.json", grid, 0, 0);
    fails_with(
        &["sweep", "merge", &zero, "-o", out],
        "zero.json: not a valid nicc sweep result: shard 0/0",
    );
    let flat = shard("flat.json", "[]", 0, 1);
    fails_with(
        &["sweep", "merge", &flat, "-o", out],
        "flat.json: not a valid nicc sweep result: it varies no parameter",
    );
    let huge = shard("huge.json", grid, 1, 1 << 50);
    fails_with(
        &["sweep", "merge", &huge, "-o", out],
        "cannot merge: shard 0/1125899906842624 is missing",
    );
}

/// A data width past what Verilator takes is refused by name (before: a counter of 2^32 - 1
/// bits allocated gigabytes; `width + 1` and `2 * width` overflowed, a panic in a debug build
/// and a page of internal width-check failures in a release one).
#[test]
fn gen_refuses_a_width_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (design, width) in [
        ("counter", "65537"),
        ("reg-adder", "4294967295"),
        ("signed-mix", "3000000000"),
        ("hier-sum4", "4294967295"),
    ] {
        let set = format!("width={width}");
        fails_with(
            &["gen", design, "--set", &set, "-o", d],
            &format!(
                "parameter `width` = {width} is invalid: a width of at most 65536 bits \
                 (Verilator's literal width limit)"
            ),
        );
    }
    // The widest accepted hierarchy still builds: its second level is one bit wider.
    let (ok, _, err) = nicc(&["gen", "hier-sum4", "--set", "width=65536", "-o", d]);
    assert!(ok, "{err}");
}

/// A butterfly or crossbar lane width past 65536 bits is refused by name (before: `lanes *
/// width` overflowed the IR's 32-bit widths, a debug-build panic and a page of internal
/// width-check failures in release).
#[test]
fn butterfly_refuses_a_lane_width_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (design, lanes, width) in [
        ("butterfly", "2", "2147483648"),
        ("butterfly", "1024", "4194304"),
        ("crossbar", "1024", "4194304"),
        ("crossbar-compact", "4", "18446744073709551615"),
    ] {
        let (l, w) = (format!("lanes={lanes}"), format!("width={width}"));
        fails_with(
            &["gen", design, "--set", &l, "--set", &w, "-o", d],
            &format!("parameter `width` = {width} is invalid: at most 65536 (data bits per lane)"),
        );
    }
}

/// `--out` is checked before the model is built and written only once every line passed:
/// naming the input as the output is refused (it used to truncate the input, read nothing and
/// report 0 vectors as a success), and a bad line leaves an existing output as it was (it
/// used to hold the lines before the bad one).
#[test]
fn sim_butterfly_keeps_its_input_and_an_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    let vectors = "{\"values\":[0,5,0,7]}\n";
    std::fs::write(&input, vectors).unwrap();
    let fails = |o: &std::path::Path, message: &str| {
        let (i, o) = (input.to_str().unwrap(), o.to_str().unwrap());
        let args = [
            "sim",
            "butterfly",
            "--set",
            "lanes=4",
            "--input",
            i,
            "--out",
            o,
        ];
        fails_with(&args, message);
    };
    fails(&input, "is the same file as the input --input");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), vectors);
    std::fs::write(&out, "old results\n").unwrap();
    std::fs::write(&input, format!("{vectors}{{\"values\":[0,256,0,7]}}\n")).unwrap();
    fails(&out, "line 2: `values`[1] = 256 does not fit");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old results\n");
    let missing = dir.path().join("no-such-dir").join("out.jsonl");
    fails(&missing, "no-such-dir does not exist; create it first");
}

/// The output stem is checked before any point runs: a path below a file is refused at once
/// (before, every point was synthesised and the results were lost to "File exists"), and a
/// merge whose stem names one of its shards is refused (it overwrote the shard).
#[test]
fn sweep_checks_its_output_before_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let below = file.join("sweep");
    let args = ["sweep", "counter", "--vary", "width=2,3", "-o"];
    let (ok, out, err) = nicc(&[&args[..], &[below.to_str().unwrap()]].concat());
    assert!(!ok, "{out}");
    assert!(err.contains("is a file, not a directory"), "{err}");
    assert!(!out.contains(".csv"), "{out}");
    let stem = dir.path().join("s");
    let (ok, _, err) = nicc(&[&args[..], &[stem.to_str().unwrap()]].concat());
    assert!(ok, "{err}");
    let shard = stem.with_extension("json");
    let before = std::fs::read(&shard).unwrap();
    fails_with(
        &[
            "sweep",
            "merge",
            shard.to_str().unwrap(),
            "-o",
            stem.to_str().unwrap(),
        ],
        "is the same file as the input shard",
    );
    assert_eq!(std::fs::read(&shard).unwrap(), before);
}

/// Every `--only` must name a block: a misspelt one beside a right one is an error, not a run
/// of the right one alone that looks like a run of both.
#[test]
fn run_only_names_every_unknown_block() {
    let dir = tempfile::tempdir().unwrap();
    fails_with(
        &[
            "run",
            "--quick",
            "--only",
            "hier-sum4",
            "--only",
            "hier-sum",
            "-o",
            dir.path().to_str().unwrap(),
        ],
        "--only `hier-sum` names no block; blocks: adder-tree,",
    );
}

/// `nicc bench sim` refuses operand counts its harness cannot drive before building anything
/// (before: 0 panicked, 6 failed with an internal "batch cycle 0" message, 10^8 ran out of
/// memory) and a run of 0 cycles (it printed rates of 0 and a/c = NaN).
#[test]
fn bench_sim_refuses_inputs_its_harness_cannot_drive() {
    for inputs in ["0", "6", "100000000"] {
        fails_with(
            &["bench", "sim", "--inputs", inputs],
            &format!("`{inputs}` operands: give a multiple of 4 from 4 to 4096"),
        );
    }
    fails_with(
        &["bench", "sim", "--cycles", "0"],
        "invalid value '0' for '--cycles <CYCLES>'",
    );
}

/// `nicc bench emit` refuses a netlist too large to hold in memory, at once (before,
/// `--nodes 18446744073709551615` allocated until the process aborted).
#[test]
fn bench_emit_refuses_a_netlist_past_the_memory() {
    fails_with(
        &["bench", "emit", "--nodes", "20000001"],
        "parameter `nodes` = 20000001 is invalid: at most 20000000 IR nodes",
    );
}

/// `nicc gen -o` naming a file, or a path below one, says so (before: "File exists" or
/// "Not a directory" from the OS, which read as if the output were already there).
#[test]
fn gen_names_a_file_where_its_output_directory_should_be() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    for out in [file.clone(), file.join("sub")] {
        fails_with(
            &["gen", "counter", "-o", out.to_str().unwrap()],
            &format!("{} is a file, not a directory", file.display()),
        );
    }
}

/// A parameter a demonstration design does not read is refused, not silently ignored (before,
/// `counter --set depth=4` and `keywords --set width=8` generated the defaults, and the
/// counter's error listed `depth` among its parameters).
#[test]
fn demo_designs_refuse_parameters_they_do_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    fails_with(
        &["gen", "counter", "--set", "depth=4", "-o", d],
        "unknown parameter `depth`; accepted: width",
    );
    fails_with(
        &["gen", "keywords", "--set", "width=8", "-o", d],
        "unknown parameter `width`; accepted: none (the design has no parameters)",
    );
    let (ok, _, err) = nicc(&["gen", "memory", "--set", "depth=4", "-o", d]);
    assert!(ok, "{err}");
}

/// `nicc run --time-limit` bounds every tool run of a block: hier-sum4's proof (a Yosys run,
/// never cached) cannot start within a millisecond, so the block fails naming the tool and
/// the limit, and the command exits non-zero naming the block.
#[test]
fn run_time_limit_fails_the_block_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    fails_with(
        &[
            "run",
            "--quick",
            "--only",
            "hier-sum4",
            "--time-limit",
            "0.001",
            "--jobs",
            "1",
            "-o",
            out,
        ],
        "blocks failed: hier-sum4",
    );
    let report = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        report.contains("proof: yosys did not finish within the time limit of 0.001 s"),
        "{report}"
    );
    fails_with(
        &[
            "run",
            "--only",
            "hier-sum4",
            "--time-limit",
            "0s",
            "-o",
            out,
        ],
        "`0s` is not a positive duration",
    );
}
