//! Each flow on small hand-written designs: plausible parsed numbers, the I/O harness reported
//! separately, "does not fit" as a result, and the cache.

mod common;

use common::*;
use nicc_rtl::blocks::butterfly::{generate_crossbar_compact, ButterflyParams, MaskSource, Mode};
use nicc_synth::*;

fn opts(cache: &std::path::Path) -> Options {
    Options {
        cache_dir: Some(cache.to_path_buf()),
        ..Options::default()
    }
}

#[test]
fn generic_flow_on_registered_adder() {
    let cache = tempfile::tempdir().unwrap();
    let r = run_flow(&reg_add4(), Flow::Generic, &opts(cache.path())).unwrap();
    println!("{}", r.to_table());
    let FlowResult::Generic(g) = &r.result else {
        panic!("wrong result kind: {r:?}")
    };
    // 4 + 4 input register bits and 5 output bits.
    assert_eq!(g.flip_flops, 13);
    assert!(g.stats.cells > g.flip_flops);
    assert!(g.logic_depth >= 2, "a 4-bit carry chain has depth >= 2");
    assert!(!r.cached);
    assert!(r.tools.yosys.as_deref().unwrap_or("").contains("Yosys"));
}

#[test]
fn cache_second_run_is_a_hit() {
    let cache = tempfile::tempdir().unwrap();
    let o = opts(cache.path());
    let first = run_flow(&comb_add8(), Flow::Generic, &o).unwrap();
    let t = std::time::Instant::now();
    let second = run_flow(&comb_add8(), Flow::Generic, &o).unwrap();
    assert!(!first.cached);
    assert!(second.cached);
    assert!(
        t.elapsed().as_millis() < 500,
        "cache hit took {:?}",
        t.elapsed()
    );
    assert_eq!(first.result, second.result);
    assert_eq!(first.content_hash, second.content_hash);
    // A change to the Verilog misses.
    let mut d = comb_add8();
    d.files[0].text = d.files[0].text.replace("a + b", "a - b");
    let third = run_flow(&d, Flow::Generic, &o).unwrap();
    assert!(!third.cached);
    assert_ne!(third.content_hash, first.content_hash);
}

#[test]
fn asic_flow_registered_and_combinational() {
    let cache = tempfile::tempdir().unwrap();
    let r = run_flow(&reg_add4(), Flow::Asic, &opts(cache.path())).unwrap();
    println!("{}", r.to_table());
    let FlowResult::Asic(a) = &r.result else {
        panic!("wrong result kind: {r:?}")
    };
    assert!(a.area_um2 > 0.0);
    assert_eq!(a.flip_flops, 13);
    assert!(
        a.ff_area_share > 0.1 && a.ff_area_share < 1.0,
        "{}",
        a.ff_area_share
    );
    assert_eq!(a.timing.kind, TimingKind::RegToReg);
    let f = a.timing.fmax_mhz.unwrap();
    assert!(a.timing.worst_path_ns > 0.1 && a.timing.worst_path_ns < 10.0);
    assert!((f - 1000.0 / a.timing.worst_path_ns).abs() < 1e-6 && f > 0.0);
    assert!(r.tools.sta.is_some());

    let c = run_flow(&comb_add8(), Flow::Asic, &opts(cache.path())).unwrap();
    println!("{}", c.to_table());
    let FlowResult::Asic(ca) = &c.result else {
        panic!("wrong result kind")
    };
    assert_eq!(ca.timing.kind, TimingKind::InputToOutput);
    assert_eq!(ca.flip_flops, 0);
    assert_eq!(ca.ff_area_um2, 0.0);
    assert!(ca.timing.worst_path_ns > 0.0 && ca.timing.fmax_mhz.is_none());
    // An 8-bit ripple path is longer than the registered 4-bit one.
    assert!(ca.timing.worst_path_ns > a.timing.path.as_ref().unwrap().arrival_ns);
}

/// `keep_dir` leaves the asic flow's files in `<dir>/asic`, runs the flow although the result
/// is cached, and its `sta.tcl` reruns there to the same worst path.
#[test]
fn kept_asic_work_dir_reruns_standalone() {
    let cache = tempfile::tempdir().unwrap();
    let first = run_flow(&reg_add4(), Flow::Asic, &opts(cache.path())).unwrap();
    let keep = tempfile::tempdir().unwrap();
    let o = Options {
        keep_dir: Some(keep.path().to_path_buf()),
        ..opts(cache.path())
    };
    let kept = run_flow(&reg_add4(), Flow::Asic, &o).unwrap();
    assert!(!kept.cached, "the flow ran to fill the kept dir");
    assert_eq!(first.result, kept.result);
    let dir = keep.path().join("asic");
    for f in [
        "design.v",
        "flow.ys",
        "yosys.log",
        "mapped.v",
        "sta.tcl",
        "sta.log",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing from {}", dir.display());
    }
    let FlowResult::Asic(a) = &kept.result else {
        panic!("wrong result kind")
    };
    let out = std::process::Command::new("sta")
        .args(["-no_init", "-exit", "sta.tcl"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let arrival = format!(
        "{:.4}   data arrival time",
        a.timing.path.as_ref().unwrap().arrival_ns
    );
    assert!(text.contains(&arrival), "{arrival} not in:\n{text}");
}

/// ABC's `buffer` fanout limit (its `-N` default), which the asic flow's `abc -constr` script
/// runs with.
const ABC_MAX_FANOUT: u64 = 10;

#[test]
fn asic_flow_buffers_a_flip_flop_with_fanout_300() {
    let cache = tempfile::tempdir().unwrap();
    let r = run_flow(&broadcast_enable(300), Flow::Asic, &opts(cache.path())).unwrap();
    println!("{}", r.to_table());
    let FlowResult::Asic(a) = &r.result else {
        panic!("wrong result kind: {r:?}")
    };
    assert_eq!(a.flip_flops, 301);
    // Structure: no net but the (ideal) clock has more loads than ABC's limit, so the enable
    // flip-flop drives a buffer tree, not 600 pins.
    let f = a.max_fanout.as_ref().expect("a mapped netlist has loads");
    assert!(f.fanout <= ABC_MAX_FANOUT, "{f:?}");
    assert!(f.fanout >= 2, "{f:?}");
    assert_ne!(f.net, "clk");
    assert!(
        a.stats
            .cells_by_type
            .iter()
            .any(|(t, n)| t.starts_with("BUF") && *n > 0),
        "no buffer cells: {:?}",
        a.stats.cells_by_type
    );
    // Timing (OpenSTA is deterministic): the flow without buffering gave 9.94 ns here (one
    // DFFPOSX1 driving 600 pins, 8.9 pF: 7.9 ns on that net alone), with it 1.0 ns.
    assert_eq!(a.timing.kind, TimingKind::RegToReg);
    assert!(a.timing.worst_path_ns < 2.5, "{:?}", a.timing);
}

#[test]
fn asic_missing_liberty_names_the_package() {
    let cache = tempfile::tempdir().unwrap();
    let o = Options {
        liberty: Some(cache.path().join("nope.lib")),
        ..opts(cache.path())
    };
    let e = run_flow(&reg_add4(), Flow::Asic, &o).unwrap_err();
    assert!(e.to_string().contains("qflow-tech-osu018"), "{e}");
}

#[test]
fn ice40_flow_three_seeds() {
    let cache = tempfile::tempdir().unwrap();
    let r = run_flow(&reg_add4(), Flow::Ice40, &opts(cache.path())).unwrap();
    println!("{}", r.to_table());
    let FlowResult::Ice40(i) = &r.result else {
        panic!("wrong result kind")
    };
    assert!(i.harness.is_none());
    assert_eq!(i.design_cells.dff, 13);
    assert!(i.design_cells.lut4 > 0);
    let Ice40Fit::Fits {
        logic_cells, fmax, ..
    } = &i.fit
    else {
        panic!("should fit: {:?}", i.fit)
    };
    assert!(*logic_cells >= 13);
    let f = fmax.as_ref().unwrap();
    assert_eq!(f.per_seed.len(), 3);
    assert!(f.min_mhz > 0.0 && f.min_mhz <= f.median_mhz && f.median_mhz <= f.max_mhz);
    assert!(r.tools.nextpnr_ice40.is_some());
}

#[test]
fn ice40_wide_design_uses_harness_reported_separately() {
    let cache = tempfile::tempdir().unwrap();
    let o = Options {
        ice40_seeds: vec![1],
        ..opts(cache.path())
    };
    let d = wide_xor(64); // 64 x 8 = 512 input bits
    let r = run_flow(&d, Flow::Ice40, &o).unwrap();
    println!("{}", r.to_table());
    let FlowResult::Ice40(i) = &r.result else {
        panic!("wrong result kind")
    };
    assert_eq!(i.io_bits, 1 + 512 + 8);
    let h = i.harness.as_ref().expect("harness expected");
    assert!(h.generator.contains("nicc-rtl IR"), "{}", h.generator);
    assert_eq!((h.scan_pins, h.fold_pins), (4, 8));
    // The harness: 512 scan flip-flops + 8 registered output bits.
    assert_eq!(h.harness_cells.dff, 512 + 8);
    // The design alone: its 8 output register bits, no scan chain; 8 XORs of 64 bits each
    // need at least 8 * 21 LUT4s.
    assert_eq!(i.design_cells.dff, 8);
    assert!(i.design_cells.lut4 >= 8 * 21, "{:?}", i.design_cells);
    let Ice40Fit::Fits {
        logic_cells,
        fmax,
        io,
        ..
    } = &i.fit
    else {
        panic!("should fit: {:?}", i.fit)
    };
    assert!(*io <= 20, "harness pins only, got {io}");
    assert!(*logic_cells >= i.design_cells.lut4);
    assert!(fmax.as_ref().unwrap().min_mhz > 0.0);
}

#[test]
fn ice40_too_big_design_does_not_fit() {
    let cache = tempfile::tempdir().unwrap();
    let r = run_flow(&big_ram(), Flow::Ice40, &opts(cache.path())).unwrap();
    println!("{}", r.to_table());
    let FlowResult::Ice40(i) = &r.result else {
        panic!("wrong result kind")
    };
    assert!(i.design_cells.bram > 32, "{:?}", i.design_cells);
    match &i.fit {
        Ice40Fit::DoesNotFit { reason } => assert!(reason.contains("block RAM"), "{reason}"),
        other => panic!("expected does-not-fit, got {other:?}"),
    }
    assert!(r.to_table().contains("does not fit"));
}

#[test]
fn bad_names_are_errors_not_panics() {
    let cache = tempfile::tempdir().unwrap();
    let mut d = reg_add4();
    d.top = "reg add4; shell".into();
    assert!(matches!(
        run_flow(&d, Flow::Generic, &opts(cache.path())),
        Err(SynthError::InvalidDesign(_))
    ));
    let mut d = reg_add4();
    d.files[0].text = "module reg_add4(input a; endmodule".into();
    let e = run_flow(&d, Flow::Generic, &opts(cache.path())).unwrap_err();
    assert!(matches!(e, SynthError::ToolFailed { .. }), "{e}");
}

#[test]
fn json_round_trip() {
    let cache = tempfile::tempdir().unwrap();
    let r = run_flow(&comb_add8(), Flow::Generic, &opts(cache.path())).unwrap();
    let j = serde_json::to_string(&r).unwrap();
    assert!(j.contains("\"flow\":\"generic\""));
    let back: SynthReport = serde_json::from_str(&j).unwrap();
    assert_eq!(back, r);
}

#[test]
fn unwritable_cache_keeps_the_result() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the cache directory should be: create_dir_all fails.
    let blocker = dir.path().join("not_a_dir");
    std::fs::write(&blocker, "x").unwrap();
    let r = run_flow(&comb_add8(), Flow::Generic, &opts(&blocker)).unwrap();
    assert!(
        r.cache_warning
            .as_deref()
            .unwrap_or("")
            .contains("not cached"),
        "{r:?}"
    );
    assert!(r.to_table().contains("result not cached"));
}

#[test]
fn memories_of_256_words_stay_macros_smaller_ones_become_flip_flops() {
    let cache = tempfile::tempdir().unwrap();
    let mem =
        |depth| nicc_rtl::emit(&nicc_rtl::blocks::demo::small_memory(depth, 8).unwrap()).unwrap();
    for flow in [Flow::Generic, Flow::Asic] {
        let big = run_flow(&mem(512), flow, &opts(cache.path())).unwrap();
        let small = run_flow(&mem(16), flow, &opts(cache.path())).unwrap();
        let (bs, ss) = match (&big.result, &small.result) {
            (FlowResult::Generic(b), FlowResult::Generic(s)) => (&b.stats, &s.stats),
            (FlowResult::Asic(b), FlowResult::Asic(s)) => (&b.stats, &s.stats),
            other => panic!("wrong result kinds: {other:?}"),
        };
        assert_eq!(
            bs.memory_bits,
            512 * 8,
            "{flow:?}: the 512-word memory is a macro"
        );
        assert_eq!(ss.memory_bits, 0, "{flow:?}: the 16-word memory is mapped");
        assert!(
            ss.cells > 16 * 8,
            "{flow:?}: 16 x 8 bits of flip-flops at least, got {} cells",
            ss.cells
        );
        assert!(big.to_table().contains("memory macro bits"), "{flow:?}");
    }
}

#[test]
fn run_flows_takes_the_generic_figures_from_the_asic_run() {
    // A flip-flop design and one whose memory stays a memory cell (its bits are reported).
    for d in [reg_add4(), ram256_inc()] {
        let cache = tempfile::tempdir().unwrap();
        let o = opts(cache.path());
        let runs = run_flows(&d, &[Flow::Generic, Flow::Asic], &o, false);
        let flows: Vec<Flow> = runs.iter().map(|r| r.flow).collect();
        assert_eq!(
            flows,
            [Flow::Generic, Flow::Asic],
            "results in the order asked"
        );
        let g = runs[0].result.as_ref().unwrap();
        if let Err(e) = &runs[1].result {
            panic!("{}: asic: {e}", d.top);
        }
        assert!(!g.cached);
        assert_eq!(runs[0].seconds, 0.0, "{}: taken from the asic run", d.top);
        // The generic flow on its own gives the same figures under the same key.
        let alone = run_flow(
            &d,
            Flow::Generic,
            &Options {
                use_cache: false,
                ..o.clone()
            },
        )
        .unwrap();
        assert_eq!(g.result, alone.result, "{}", d.top);
        if d.top == "ram256_inc" {
            let FlowResult::Generic(gr) = &g.result else {
                panic!("not a generic report")
            };
            assert_eq!(gr.stats.memory_bits, 256 * 8, "the kept memory is reported");
        }
        assert_eq!(g.content_hash, alone.content_hash);
        // The asic run stored the generic result: a second call hits the cache for both (and
        // a flow named twice is reported once).
        let again = run_flows(&d, &[Flow::Asic, Flow::Generic, Flow::Asic], &o, true);
        assert_eq!(again.len(), 2);
        for r in &again {
            assert!(r.result.as_ref().unwrap().cached, "{} {:?}", d.top, r.flow);
        }
    }
}

#[test]
fn run_flows_runs_the_generic_flow_when_the_asic_flow_fails() {
    let cache = tempfile::tempdir().unwrap();
    let o = Options {
        liberty: Some(cache.path().join("nope.lib")),
        ..opts(cache.path())
    };
    let runs = run_flows(&comb_add8(), &[Flow::Generic, Flow::Asic], &o, true);
    assert!(runs[0].result.is_ok());
    assert!(runs[0].seconds > 0.0);
    let e = runs[1].result.as_ref().unwrap_err().to_string();
    assert!(e.contains("nope.lib"), "{e}");
}

#[test]
fn asic_flow_on_a_design_that_is_only_a_memory_reports_zero_cell_area() {
    let cache = tempfile::tempdir().unwrap();
    let r = run_flow(&big_ram(), Flow::Asic, &opts(cache.path())).unwrap();
    let FlowResult::Asic(a) = &r.result else {
        panic!("not an asic report")
    };
    assert_eq!(a.area_um2, 0.0);
    assert_eq!(a.stats.memory_bits, 65536 * 8);
    assert_eq!(a.flip_flops, 0);
    assert_eq!(a.timing.kind, TimingKind::NoRegToRegPath);
}

/// Compaction done with a crossbar, `lanes` x `width` bits: a large, flat netlist.
fn compaction_crossbar(lanes: usize, width: usize) -> nicc_rtl::Design {
    let p = ButterflyParams::combinational(Mode::Compact, lanes, width, MaskSource::Nonzero);
    generate_crossbar_compact(&p, "crossbar_compact").unwrap()
}

/// ABC's `map` leaves gates without fanout in the 32-lane compaction crossbar (1-bit lanes are
/// enough, and map in half the time of 8-bit ones); Yosys's own
/// `abc -fast` script then aborts in `buffer` ("node ... has no fanout"). The flow's fast
/// script removes them first and maps the design.
#[test]
fn asic_fast_script_maps_a_netlist_with_dangling_gates() {
    let cache = tempfile::tempdir().unwrap();
    let d = compaction_crossbar(32, 1);
    let fast_opts = Options {
        abc_fast: true,
        ..opts(cache.path())
    };
    let r = run_flow(&d, Flow::Asic, &fast_opts).unwrap();
    let FlowResult::Asic(a) = &r.result else {
        panic!("not an asic report")
    };
    println!(
        "32 x 1-bit compaction crossbar, fast script: {} cells, {:.0} um2, {:.3} ns",
        a.stats.cells, a.area_um2, a.timing.worst_path_ns
    );
    assert!(a.abc_fast && a.stats.cells > 500 && a.timing.worst_path_ns > 0.0);
}

/// A flow whose tool run exceeds the time limit fails with an error naming the tool and the
/// limit (`tools.rs` checks that the tool's children are stopped too). The 64-lane compaction
/// crossbar takes Yosys about a minute before ABC even starts, so a 2-second limit always
/// cuts it. Bad limits are refused before anything runs.
#[test]
fn a_tool_run_over_the_time_limit_is_stopped() {
    let cache = tempfile::tempdir().unwrap();
    let d = compaction_crossbar(64, 8);
    let limited = Options {
        time_limit_s: Some(2.0),
        ..opts(cache.path())
    };
    let t = std::time::Instant::now();
    let e = run_flow(&d, Flow::Asic, &limited).unwrap_err();
    let took = t.elapsed().as_secs_f64();
    let msg = e.to_string();
    assert!(
        matches!(e, SynthError::TimedOut { ref tool, .. } if tool == "yosys"),
        "{msg}"
    );
    assert!(
        msg.contains("time limit of 2 s") && msg.contains("--abc-fast"),
        "{msg}"
    );
    println!("stopped after {took:.1} s");
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let o = Options {
            time_limit_s: Some(bad),
            ..opts(cache.path())
        };
        let e = run_flow(&reg_add4(), Flow::Generic, &o).unwrap_err();
        assert!(matches!(e, SynthError::InvalidOption(_)), "{bad}: {e}");
    }
}

#[test]
fn asic_flow_with_abc_fast_is_its_own_result_and_says_so() {
    let cache = tempfile::tempdir().unwrap();
    let d = comb_mul16();
    let default = run_flow(&d, Flow::Asic, &opts(cache.path())).unwrap();
    let fast_opts = Options {
        abc_fast: true,
        ..opts(cache.path())
    };
    let fast = run_flow(&d, Flow::Asic, &fast_opts).unwrap();
    // Not the cached default result: its own key, its own netlist.
    assert!(!fast.cached);
    assert_ne!(fast.content_hash, default.content_hash);
    let (FlowResult::Asic(a), FlowResult::Asic(f)) = (&default.result, &fast.result) else {
        panic!("not asic reports")
    };
    assert!(!a.abc_fast && f.abc_fast);
    assert_ne!(
        (a.stats.cells, a.area_um2),
        (f.stats.cells, f.area_um2),
        "the fast script mapped the multiplier exactly as the default one: was it used?"
    );
    assert!(f.area_um2 > 0.0 && f.timing.worst_path_ns > 0.0);
    assert!(fast.to_table().contains("fast (strash; dretime; map)"));
    assert!(!default.to_table().contains("abc script"));
    // The default report's JSON is unchanged by the option (no `abc_fast` key).
    let json = serde_json::to_value(&default).unwrap();
    assert!(
        json["result"].to_string().find("abc_fast").is_none(),
        "{json}"
    );
    let again = run_flow(&d, Flow::Asic, &fast_opts).unwrap();
    assert!(again.cached);
    println!(
        "default: {} cells {:.0} um2 {:.3} ns; fast: {} cells {:.0} um2 {:.3} ns",
        a.stats.cells,
        a.area_um2,
        a.timing.worst_path_ns,
        f.stats.cells,
        f.area_um2,
        f.timing.worst_path_ns
    );
}
