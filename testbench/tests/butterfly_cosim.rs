//! Co-simulation of the generated butterfly router (Verilator through nicc-sim) against the
//! golden model, many configurations per Verilated model: a `matrix` wrapper instantiates each
//! configuration once and `nicc_testbench::butterfly::cosim::run` drives all of them in the same
//! cycles (stimulus and checks are described there: exhaustive masks for N <= 8, the issue's
//! densities, random configurations through the config port with `cfg_we` low on junk, random
//! back-pressure with the latency and beat order checked). Every wrapper is linted with
//! `verilator --lint-only -Wall` first.
//!
//! `make test` runs the subset of `subset_models()` (two models, 27 configurations: every mode
//! and mask source, D = 1, 8, 16, N = 2 to 64 and compact at N = 256, pipelined and multi-beat
//! with back-pressure).
//! `NICC_FULL=1` adds issue 6's whole matrix (`full_matrix()`: 216 configurations, every
//! mode x N in {2, 4, 8, 16, 64, 256} x D in {1, 8, 16}, combinational, pipelined and
//! multi-beat) in the models of `full_models()`. Icarus runs every mask of an 8-lane compaction
//! in both. The seed is printed on failure; `NICC_SEED=<n>` replays it.

use nicc_rtl::blocks::butterfly::{generate, matrix, ButterflyParams, MaskSource, Mode};
use nicc_rtl::{emit, Bits};
use nicc_sim::lint::verilator_lint;
use nicc_sim::Model;
use nicc_testbench::butterfly::cosim::{
    full_models, run, subset_models, ModelSpec, Plan, SlotReport,
};
use nicc_testbench::butterfly::{golden, pack, pack_bools};
use nicc_testbench::test_env::full;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use std::time::Instant;

fn seed() -> u64 {
    nicc_testbench::test_env::seed_or(0xbf1e_2026)
}

/// Stimulus per slot: at least as many vectors, beats and configuration loads as the
/// per-configuration tests this file replaced (8 masks per density, 30 permutations, more than
/// 100 beats per handshake configuration); `NICC_FULL=1` four times the random part.
fn plan() -> Plan {
    let scale = if full() { 4 } else { 1 };
    Plan {
        per_density: 16 * scale,
        exhaustive_up_to: 8,
        min_beats: 200 * scale,
        min_loads: 30 * scale,
        max_cycles: 200_000,
    }
}

/// What a slot must have exercised besides matching the golden model.
fn coverage_gaps(r: &SlotReport, plan: &Plan) -> Vec<String> {
    let p = &r.params;
    let mut gaps = Vec::new();
    let handshake = p.pipeline > 0 || p.out_lanes < p.lanes;
    let masked = matches!(p.mode, Mode::Compact | Mode::Expand);
    if masked && p.lanes <= plan.exhaustive_up_to && !r.exhaustive {
        gaps.push("not every mask was driven".to_string());
    }
    if handshake {
        if r.stalls == 0 {
            gaps.push("no back-pressure (out_valid with out_ready low) happened".into());
        }
        if r.beats < plan.min_beats {
            gaps.push(format!("{} beats", r.beats));
        }
    } else if r.vectors == 0 {
        gaps.push("no vector checked".into());
    }
    if p.out_lanes < p.lanes && r.multi_beat_results == 0 {
        gaps.push("no result of two or more beats".into());
    }
    if matches!(p.mode, Mode::Permute | Mode::Multicast) && r.loads < plan.min_loads {
        gaps.push(format!("{} configuration loads", r.loads));
    }
    if p.mode == Mode::Multicast && r.multicasts == 0 {
        gaps.push("no multicast (one input to several outputs) loaded".into());
    }
    gaps
}

/// Lints, builds and runs one wrapper model; panics with every mismatch and the seed.
fn run_model(spec: &ModelSpec, plan: &Plan, seed: u64) {
    let t = Instant::now();
    let (top, slots) =
        matrix(&spec.configs, &spec.name).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
    let d = emit(&top).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
    // The lint runs beside the (cached) model build: it costs no wall time on a cold cache.
    let (lint, model) = std::thread::scope(|s| {
        let lint = s.spawn(|| verilator_lint(&d));
        let model = Model::build(&d);
        (lint.join().expect("the lint thread panicked"), model)
    });
    lint.unwrap_or_else(|e| panic!("{}: lint: {e}", spec.name));
    let mut model = model.unwrap_or_else(|e| panic!("{}: model build: {e}", spec.name));
    let built = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (reports, cycles) = run(&mut model, &slots, plan, seed).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (seed {seed}, replay with NICC_SEED={seed})",
            spec.name
        )
    });
    let simulated = t.elapsed().as_secs_f64();
    let mut fails = Vec::new();
    for r in &reports {
        fails.extend(r.mismatches.iter().map(|m| format!("{}: {m}", r.module)));
        fails.extend(
            coverage_gaps(r, plan)
                .into_iter()
                .map(|g| format!("{}: {g}", r.module)),
        );
    }
    assert!(
        fails.is_empty(),
        "{}: {} failures (seed {seed}, replay with NICC_SEED={seed}):\n{}",
        spec.name,
        fails.len(),
        fails[..fails.len().min(30)].join("\n")
    );
    eprintln!(
        "{}: {} configurations, lint + build {built:.1} s (cache hit: {}), {cycles} cycles in \
         {simulated:.1} s, {} vectors, {} beats checked",
        spec.name,
        slots.len(),
        model.build_info().cache_hit,
        reports.iter().map(|r| r.vectors).sum::<usize>(),
        reports.iter().map(|r| r.beats).sum::<usize>(),
    );
}

/// `make test`: the subset up to N = 64 in one model.
#[test]
fn matrix_subset() {
    run_model(&subset_models()[0], &plan(), seed());
}

/// `make test`: compact at N = 256, D = 1 in a second model, built in parallel.
#[test]
fn matrix_subset_256_lanes() {
    run_model(&subset_models()[1], &plan(), seed());
}

/// `NICC_FULL=1`: the whole matrix up to N = 64 (two models).
#[test]
fn full_matrix_up_to_64_lanes() {
    if !full() {
        eprintln!("full_matrix_up_to_64_lanes: set NICC_FULL=1 to run the whole matrix");
        return;
    }
    for spec in full_models().iter().filter(|m| !m.name.contains("n256")) {
        run_model(spec, &plan(), seed());
    }
}

/// `NICC_FULL=1`: the whole matrix at N = 256 (one model per variant group and D).
#[test]
fn full_matrix_256_lanes() {
    if !full() {
        eprintln!("full_matrix_256_lanes: set NICC_FULL=1 to run the whole matrix");
        return;
    }
    for spec in full_models().iter().filter(|m| m.name.contains("n256")) {
        run_model(spec, &plan(), seed());
    }
}

/// Second simulator: Icarus runs every mask of the 8-lane compaction and agrees with the golden
/// model (and so with Verilator).
#[test]
fn icarus_agrees_on_compaction_of_8_lanes() {
    let seed = 66;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let p = ButterflyParams {
        lanes: 8,
        width: 8,
        mode: Mode::Compact,
        mask: MaskSource::External,
        out_lanes: 8,
        pipeline: 0,
    };
    let design = generate(&p, "butterfly").unwrap();
    let ins: Vec<&str> = design
        .ports
        .iter()
        .filter(|q| q.dir == nicc_rtl::Dir::Input)
        .map(|q| q.name.as_str())
        .collect();
    assert_eq!(ins, ["in_data", "in_mask"]);
    let outs: Vec<String> = design
        .ports
        .iter()
        .filter(|q| q.dir == nicc_rtl::Dir::Output)
        .map(|q| q.name.clone())
        .collect();
    let mut vectors = Vec::new();
    let mut wants = Vec::new();
    for bits in 0..256u64 {
        let mk: Vec<bool> = (0..8).map(|i| bits >> i & 1 == 1).collect();
        let v: Vec<u64> = (0..8).map(|_| rng.gen_range(0..256)).collect();
        vectors.push(vec![pack(&v, 8), pack_bools(&mk)]);
        let c = golden::compact(&v, &mk, 8).unwrap();
        let b = &c.beats[0];
        let idx: Vec<u64> = b.index.iter().map(|&i| i as u64).collect();
        wants.push(HashMap::from([
            ("out_data".to_string(), pack(&b.values, 8)),
            ("out_index".to_string(), pack(&idx, 3)),
            ("out_count".to_string(), Bits::from_u64(4, c.count as u64)),
            ("out_valid_lanes".to_string(), pack_bools(&b.valid)),
        ]));
    }
    let got = nicc_sim::icarus::run_batch(&design, &vectors).unwrap();
    assert_eq!(got.len(), 256);
    assert!(got.iter().all(|row| row.len() == outs.len()));
    for (cycle, (row, want)) in got.iter().zip(&wants).enumerate() {
        for (name, value) in outs.iter().zip(row) {
            assert_eq!(value, &want[name], "{name} vector {cycle} seed {seed}");
        }
    }
}
