//! `nicc`: generate, simulate, synthesise and verify the accelerator blocks.
//!
//! The binary is thin: it parses arguments, calls the library crates, prints.

// The doc comments below are clap's `--help` text, written for a terminal (`OUT/<block>/`,
// `values[perm[j]]`), not rustdoc markup.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "nicc",
    version,
    about = "Rust HDL generators with Verilator, Yosys and nextpnr flows"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate a design's Verilog, filelist (.f) and name map (.names.json).
    Gen {
        /// Design name (`nicc gen --list` shows them).
        design: Option<String>,
        /// Parameter setting `key=value` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Output directory.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Name of the top module.
        #[arg(long)]
        top: Option<String>,
        /// List the designs and exit.
        #[arg(long)]
        list: bool,
    },
    /// Simulate a block on files of vectors, RTL and golden model side by side.
    Sim {
        #[command(subcommand)]
        what: SimCmd,
    },
    /// Synthesise a design and report area and timing.
    Synth {
        /// Design name.
        design: String,
        /// Parameter setting `key=value` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Flow: generic | asic | ice40.
        #[arg(long, default_value = "generic")]
        flow: String,
        /// Print every figure as JSON.
        #[arg(long)]
        json: bool,
        /// Ignore and do not fill the synthesis cache.
        #[arg(long)]
        no_cache: bool,
        /// asic: map with ABC's fast script (for designs the default script does not finish
        /// on, e.g. the 256-lane compaction network; less optimised, the report says so).
        #[arg(long)]
        abc_fast: bool,
        /// Run the flow in DIR/<flow>/ and keep it: design.v, the Yosys script and logs, the
        /// mapped netlist, OpenSTA's sta.tcl (rerun it with `sta sta.tcl`). The flow runs even
        /// when the result is cached.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// Stop a synthesis tool run (Yosys with the ABC it runs, OpenSTA, a nextpnr seed) that
        /// takes longer than this: `90`, `90s`, `30m`, `2h`. It fails with the tool's last output.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        time_limit: Option<Duration>,
    },
    /// Prove a design formally equal to its behavioural reference (Yosys/ABC).
    ///
    /// adder-tree: algebraic backward rewriting against the sum of the operands, any style,
    /// pipelined or not, outputs up to 512 bits (N = 16, W = 8 in a fraction of a second,
    /// N = 256, W = 32 in about 10 s); butterfly: the compact and expand networks, pipelined
    /// or not, compact also beat by beat with multi-beat output, against a rank decoder +
    /// AND-OR crossbar (`yosys-abc cec`); pipelined designs are proven through their
    /// registers, which must delay every path equally; cim: a bounded check of one MVM from
    /// reset against sum x * W, small macros only, e.g. 2 x 1 INT3. A proof's effort grows
    /// steeply with the size (butterfly: lanes=16 in seconds, lanes=32 in about 40 s, far
    /// longer beyond): bound it with --time-limit.
    Equiv {
        /// Design name.
        design: String,
        /// Parameter setting `key=value` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Stop a tool run of the proof (Yosys, `yosys-abc`; adder-tree: also the rewriting
        /// in nicc) that takes longer than this: `90`, `90s`, `30m`, `2h`. It fails naming the
        /// tool and the limit. cim: ABC's bounded check gets the limit as its own (in place of
        /// 600 s) and, cut short, fails as inconclusive, naming the cycles it covered; ABC
        /// counts it in CPU time, so on a busy machine nicc stops ABC a little later instead.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        time_limit: Option<Duration>,
    },
    /// The main job: every block generated, linted, co-simulated, proven and synthesised,
    /// into OUT/<block>/ and OUT/report.md + OUT/report.json.
    Run {
        /// Output directory.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Only this block (repeatable).
        #[arg(long)]
        only: Vec<String>,
        /// Fewer vectors and no place-and-route.
        #[arg(long)]
        quick: bool,
        /// Workers: blocks, and each block's synthesis flows, run side by side (default: the
        /// number of CPUs; 1 runs everything in turn).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        jobs: Option<u32>,
        /// Stop any one tool run (a proof's Yosys or ABC, a synthesis flow's Yosys, OpenSTA
        /// or nextpnr seed) that takes longer than this: `90`, `90s`, `30m`, `2h`. The block
        /// then fails, naming the tool and the limit; the other blocks still run.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        time_limit: Option<Duration>,
    },
    /// Sweep a design's parameters through synthesis flows (CSV, JSON and SVG plots), or
    /// `nicc sweep merge PARTS...` to join shards.
    Sweep(SweepArgs),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
}

/// The arguments of `nicc sweep`.
#[derive(Args)]
struct SweepArgs {
    /// Design name, or `merge`.
    design: String,
    /// With `merge`: the shard JSON files.
    parts: Vec<PathBuf>,
    /// Varied parameter `key=v1,v2,...` (repeatable).
    #[arg(long)]
    vary: Vec<String>,
    /// Fixed parameter `key=value` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Flows, comma-separated: generic,asic,ice40.
    #[arg(long, default_value = "generic")]
    flow: String,
    /// Run only shard I of N (`I/N`).
    #[arg(long)]
    shard: Option<String>,
    /// Output file stem (writes STEM.csv, STEM.json, STEM-<metric>.svg).
    #[arg(short, long, default_value = "out/sweep/sweep")]
    out: PathBuf,
    /// asic: map with ABC's fast script (see `nicc synth --abc-fast`).
    #[arg(long)]
    abc_fast: bool,
    /// Stop a synthesis tool run that takes longer than this (see `nicc synth --time-limit`);
    /// the point becomes a failed row and the sweep goes on (it exits non-zero at the end, as
    /// for any failed point, after writing every result).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    time_limit: Option<Duration>,
}

#[derive(Subcommand)]
enum SimCmd {
    /// The sparse butterfly router on JSON-lines vectors, golden model checked beside it.
    ///
    /// Each line has `values` (N ints) and, by mode: compact/expand `mask` (N 0/1; optional
    /// with mask=nonzero), permute `perm` (output j = values[perm[j]]), multicast `dests` (N
    /// lists of outputs). `perm`/`dests` load a configuration that later lines without one
    /// reuse.
    Butterfly {
        /// Parameter setting `key=value` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Input vectors (JSON lines).
        #[arg(long)]
        input: PathBuf,
        /// Output file (JSON lines, what the RTL produced).
        #[arg(long)]
        out: PathBuf,
    },
    /// The CIM macro on .npy weights and inputs, golden model checked beside it.
    ///
    /// Weights W.npy (R, C) are written through the RTL write port, inputs X.npy (B, R) give
    /// results Y.npy (B, C). format=int: integer arrays, Y int64. format=bf16: float arrays
    /// (float16/32/64, or integers up to 2^53), each value rounded once to BF16 (nearest
    /// even), Y float32 (the RTL's FP32 output).
    Cim {
        /// Parameter setting `key=value` (repeatable), e.g. rows=64, cols=16, wbits=8,
        /// format=bf16, xalign=8, align_group=16.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Weights, array of shape (rows, cols): integers (int), floats (bf16).
        #[arg(long)]
        weights: PathBuf,
        /// Inputs, array of shape (B, rows): integers (int), floats (bf16).
        #[arg(long)]
        inputs: PathBuf,
        /// Output file (B, cols), what the RTL produced: int64 (int), float32 (bf16).
        #[arg(long)]
        out: PathBuf,
        /// Run-time input precision (1..=xbits, 0 = xbits; format=int only).
        #[arg(long, default_value_t = 0)]
        bx: u32,
    },
    /// The DPU packet engine on a pcap/pcapng capture (RTL beside the golden model).
    Packet {
        /// Parameter setting `key=value` (repeatable), e.g. data_bytes=64.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Input capture (pcap or pcapng, Ethernet).
        #[arg(long)]
        pcap: PathBuf,
        /// Metadata output, one JSON object per frame.
        #[arg(long)]
        meta_out: PathBuf,
        /// Passed frames as pcap.
        #[arg(long)]
        pcap_out: Option<PathBuf>,
        /// Probability per cycle that each stream stalls.
        #[arg(long, default_value_t = 0.0)]
        backpressure: f64,
        /// Seed of the back-pressure pattern.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The sparse FFN tile (router + CIM) on .npy weights and inputs.
    SparseFfn {
        /// Parameter setting `key=value` (repeatable): rows, cols, col_group, cim_rows, banks, dynamic.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Weights W, integer array of shape (rows, cols).
        #[arg(long)]
        weights: PathBuf,
        /// Inputs X, integer array of shape (B, rows).
        #[arg(long)]
        inputs: PathBuf,
        /// Output Y, int64 array of shape (B, cols).
        #[arg(long)]
        out: PathBuf,
        /// Magnitude-prune this fraction of the weights first (e.g. 0.75).
        #[arg(long)]
        prune: Option<f64>,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Simulation speed: per-cycle API vs batched vs a plain C++ Verilator harness.
    Sim {
        /// Cycles per variant (at least 1).
        #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..))]
        cycles: u64,
        /// Operands of the registered adder tree (8 bits each): a multiple of 4 from 4 to
        /// 4096 (the plain C++ harness drives them in 32-bit words).
        #[arg(long, default_value_t = 32, value_parser = parse_bench_inputs)]
        inputs: usize,
        /// Interleaved rounds (at least 1); the best rate of each variant is reported.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        rounds: u32,
    },
    /// CIM macro: gen + emit time of the given macro (default 256 x 256 INT8), and with
    /// `--sparsity N` cycles per MVM from the RTL counters for dense / sparse inputs.
    Cim {
        /// Parameter setting `key=value` (repeatable); default rows=256, cols=256.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Also run N MVMs per zero fraction (0, 0.5, 0.9) through the Verilated macro.
        #[arg(long, default_value_t = 0)]
        sparsity: usize,
    },
    /// Time the Verilog emitter on a synthetic netlist of about N IR nodes.
    Emit {
        /// Approximate number of IR expression nodes (at most 20 000 000, about 2 GB).
        #[arg(long, default_value_t = 1_000_000)]
        nodes: usize,
    },
    /// Packet engine: beats per cycle and frames/s on back-to-back 64- and 1518-byte frames;
    /// with `--random N`, N random frames per width under back-pressure, every one checked.
    Packet {
        /// Frames per size and width (back-to-back run), 1 to 1 000 000.
        #[arg(long, default_value_t = 20_000)]
        frames: usize,
        /// Instead: this many random frames per width (good, malformed and hostile), every
        /// record, passed frame and the counters checked against the golden model.
        #[arg(long)]
        random: Option<usize>,
        /// Stall probability of every stream per cycle in the `--random` run.
        #[arg(long, default_value_t = 0.25)]
        backpressure: f64,
        /// Seed of the `--random` run (chunk k of 10000 frames uses seed + k).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Sparse FFN tile vs dense CIM tile: toggles and cycles per vector, area.
    SparseFfn {
        /// Parameter setting `key=value` (repeatable): rows, cols, col_group, cim_rows, banks, dynamic.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Vectors per point (1 to 100 000).
        #[arg(long, default_value_t = 16)]
        vectors: usize,
        /// Skip the synthesis (area) part.
        #[arg(long)]
        no_area: bool,
        /// Weight pruning: `unstructured` (each weight zero with the sparsity's probability)
        /// or `rows` (that share of whole rows zero).
        #[arg(long, default_value = "unstructured")]
        pruning: nicc_testbench::sparse_ffn::bench::Pruning,
        /// Directory for the table (sparse-ffn-bench.md), JSON and SVG plot.
        #[arg(long, default_value = "docs/blocks")]
        out: PathBuf,
    },
}

/// Butterfly parameters from `--set` pairs (`ButterflyParams::from_sets`).
fn butterfly_params(sets: &[String]) -> Result<nicc_rtl::blocks::butterfly::ButterflyParams> {
    Ok(nicc_rtl::blocks::butterfly::ButterflyParams::from_sets(
        &parse_sets(sets)?,
    )?)
}

/// `nicc bench sim --inputs`: 8-bit operands filling whole 32-bit words of the harness's
/// `in_data`, at most [`nicc_rtl::blocks::synthetic::MAX_SUM_INPUTS`].
fn parse_bench_inputs(text: &str) -> Result<usize, String> {
    let max = nicc_rtl::blocks::synthetic::MAX_SUM_INPUTS;
    match text.trim().parse::<usize>() {
        Ok(n) if (4..=max).contains(&n) && n.is_multiple_of(4) => Ok(n),
        _ => Err(format!(
            "`{text}` operands: give a multiple of 4 from 4 to {max} (four 8-bit operands fill \
             each 32-bit word the benchmark harness drives)"
        )),
    }
}

/// A duration from `90`, `90s`, `1.5m` or `2h` (`--time-limit`): positive and finite.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().last() {
        Some((i, c @ ('s' | 'm' | 'h'))) => (&t[..i], c),
        _ => (t, 's'),
    };
    let scale = match unit {
        'h' => 3600.0,
        'm' => 60.0,
        _ => 1.0,
    };
    let limit = number.trim().parse::<f64>().ok();
    match limit.and_then(|n| nicc_synth::time_limit_from_secs(n * scale).ok()) {
        Some(d) => Ok(d),
        None => Err(format!(
            "`{text}` is not a positive duration: give seconds (`90`, `90s`), minutes (`30m`) \
             or hours (`2h`)"
        )),
    }
}

/// Splits `key=value` settings, naming a malformed one or a key given twice (which of the
/// two was meant is not clear).
fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(sets.len());
    for s in sets {
        let (k, v) = match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => (k.trim(), v.trim()),
            _ => bail!("malformed --set `{s}`: expected KEY=VALUE, e.g. --set width=8"),
        };
        if let Some((_, first)) = out.iter().find(|(key, _)| key == k) {
            bail!("--set {k} is given twice (`{first}` and `{v}`): give each parameter once");
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

fn main() -> std::process::ExitCode {
    // Output piped into a reader that stops early (`nicc gen --list | head -1`) ends nicc the
    // way it ends other Unix tools, by SIGPIPE, instead of a panic in `println!` on the
    // closed pipe. nicc writes to no other pipe (tool runs read their children's output).
    // SAFETY: at the start of main, before any thread starts; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match real_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", nicc_testbench::run::error_chain(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Gen {
            design,
            sets,
            out,
            top,
            list,
        } => {
            if list || design.is_none() {
                let entries = nicc_rtl::blocks::registry::entries();
                let w = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
                for e in entries {
                    println!("{:<w$}  {}", e.name, e.about);
                }
                if design.is_none() && !list {
                    bail!("no design given; pick one of the above: nicc gen <design>");
                }
                return Ok(());
            }
            let design = design.unwrap();
            let sets = parse_sets(&sets)?;
            let d = nicc_rtl::blocks::registry::generate(&design, &sets, top.as_deref())?;
            nicc_testbench::outputs::create_dir("-o", &out)?;
            let files = d
                .write_to(&out)
                .with_context(|| format!("writing into {}", out.display()))?;
            for f in files {
                println!("{}", f.display());
            }
        }
        Cmd::Run {
            out,
            only,
            quick,
            jobs,
            time_limit,
        } => {
            let opts = nicc_testbench::run::RunOptions {
                out: out.clone(),
                only,
                quick,
                jobs: jobs.map_or_else(
                    || std::thread::available_parallelism().map_or(1, |n| n.get()),
                    |j| j as usize,
                ),
                time_limit,
            };
            let rows = nicc_testbench::run::run(&nicc_testbench::jobs::all(), &opts)?;
            print!("{}", nicc_testbench::run::markdown(&rows));
            println!("\nreport: {}", out.join("report.md").display());
            let failed: Vec<&str> = rows
                .iter()
                .filter(|r| !r.pass)
                .map(|r| r.block.as_str())
                .collect();
            if !failed.is_empty() {
                bail!("blocks failed: {}", failed.join(", "));
            }
        }
        Cmd::Sim { what } => match what {
            SimCmd::Cim {
                sets,
                weights,
                inputs,
                out,
                bx,
            } => {
                let p = nicc_rtl::blocks::cim::CimParams::from_sets(&parse_sets(&sets)?)?;
                let s = nicc_testbench::cim::cli::sim_npy(&p, &weights, &inputs, &out, bx)?;
                println!("{s}");
            }
            SimCmd::Packet {
                sets,
                pcap,
                meta_out,
                pcap_out,
                backpressure,
                seed,
            } => {
                let p = nicc_rtl::blocks::packet::PacketParams::from_sets(&parse_sets(&sets)?)?;
                let s = nicc_testbench::packet::cli::sim_pcap(
                    &p,
                    &pcap,
                    &meta_out,
                    pcap_out.as_deref(),
                    backpressure,
                    seed,
                )?;
                println!(
                    "{} frames through the RTL and the golden model, {} passed, {} cycles, 0 mismatches",
                    s.frames, s.passed, s.cycles
                );
            }
            SimCmd::Butterfly { sets, input, out } => {
                let p = butterfly_params(&sets)?;
                let s = nicc_testbench::butterfly::cli::sim_jsonl(&p, &input, &out)?;
                println!(
                    "{} vectors through the RTL, {} mismatches against the golden model",
                    s.vectors, s.mismatches
                );
            }
            SimCmd::SparseFfn {
                sets,
                weights,
                inputs,
                out,
                prune,
            } => {
                let p =
                    nicc_rtl::blocks::sparse_ffn::SparseFfnParams::from_sets(&parse_sets(&sets)?)?;
                let s =
                    nicc_testbench::sparse_ffn::cli::sim_npy(&p, &weights, &inputs, &out, prune)?;
                println!("{s}");
            }
        },
        Cmd::Synth {
            design,
            sets,
            flow,
            json,
            no_cache,
            abc_fast,
            keep,
            time_limit,
        } => {
            let sets = parse_sets(&sets)?;
            let d = nicc_rtl::blocks::registry::generate(&design, &sets, None)?;
            let flow: nicc_synth::Flow = flow.parse()?;
            if abc_fast && flow != nicc_synth::Flow::Asic {
                bail!(
                    "--abc-fast applies to the asic flow only (this is the {} flow)",
                    flow.name()
                );
            }
            let opts = nicc_synth::Options {
                use_cache: !no_cache,
                abc_fast,
                keep_dir: keep,
                time_limit_s: time_limit.map(|d| d.as_secs_f64()),
                ..Default::default()
            };
            let r = nicc_synth::run_flow(&d, flow, &opts)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("{}", r.to_table().trim_end());
            }
        }
        Cmd::Equiv {
            design,
            sets,
            time_limit,
        } if design == "adder-tree" => {
            let (text, proven) =
                nicc_testbench::adder_tree::formal::equiv_cli(&parse_sets(&sets)?, time_limit)?;
            println!("{text}");
            if !proven {
                bail!("the adder tree is not proven equal to its reference");
            }
        }
        Cmd::Equiv {
            design,
            sets,
            time_limit,
        } if design == "cim" => {
            let p = nicc_rtl::blocks::cim::CimParams::from_sets(&parse_sets(&sets)?)?;
            let frames = nicc_testbench::cim::formal::frames_for(&p);
            // --time-limit replaces ABC's own limit of 600 s (0: none of its own).
            let (abc_s, limit_s) = match time_limit {
                Some(d) => (0, d.as_secs_f64()),
                None => (600, 600.0),
            };
            let t = Instant::now();
            let v = nicc_testbench::cim::formal::check(&p, frames, abc_s, time_limit)?;
            println!(
                "{}: bounded check against sum x * W (one MVM from reset, every input): {v} ({:.1} s)",
                p.module_name(),
                t.elapsed().as_secs_f64()
            );
            match v {
                nicc_synth::BmcVerdict::Holds { .. } => {}
                nicc_synth::BmcVerdict::Inconclusive { frames: done } => bail!(
                    "the CIM macro is not shown correct within {frames} cycles: the time limit of \
                     {limit_s} s stopped ABC's bounded check after {done} of them (raise it \
                     with --time-limit)"
                ),
                nicc_synth::BmcVerdict::Violated { .. } => {
                    bail!("the CIM macro is not shown correct within {frames} cycles")
                }
            }
        }
        Cmd::Equiv {
            design,
            sets,
            time_limit,
        } if design == "butterfly" => {
            let p = butterfly_params(&sets)?;
            let t = Instant::now();
            let r = nicc_testbench::butterfly::formal::prove(&p, time_limit)?;
            println!(
                "butterfly ({} lanes x {} bits, {}, mask {}) vs its definition (rank decoder + AND-OR crossbar): {r} ({:.1} s)",
                p.lanes,
                p.width,
                p.mode,
                p.mask,
                t.elapsed().as_secs_f64()
            );
            if !r.is_equivalent() {
                bail!("the butterfly router is not proven equal to its definition");
            }
        }
        Cmd::Equiv {
            design,
            sets,
            time_limit,
        } => {
            let sets = parse_sets(&sets)?;
            let opts = nicc_synth::EquivOptions {
                time_limit,
                ..Default::default()
            };
            let entry = nicc_rtl::blocks::registry::entry(&design)?;
            let Some(reference) = entry.reference else {
                bail!("design `{design}` has no behavioural reference to prove it against");
            };
            let cand = nicc_rtl::emit(&(entry.build)(&sets)?)?;
            let refd = nicc_rtl::emit(&reference(&sets)?)?;
            let r = nicc_synth::check_equiv(&refd, &cand, &opts)?;
            println!("{} vs {}: {r}", cand.top, refd.top);
            if !r.is_equivalent() {
                bail!("`{}` is not proven equal to `{}`", cand.top, refd.top);
            }
        }
        Cmd::Sweep(args) => sweep(&args)?,
        Cmd::Bench { what } => match what {
            BenchCmd::Cim { sets, sparsity } => {
                let mut all = vec![
                    ("rows".to_string(), "256".to_string()),
                    ("cols".to_string(), "256".to_string()),
                ];
                all.extend(parse_sets(&sets)?);
                let p = nicc_rtl::blocks::cim::CimParams::from_sets(&all)?;
                nicc_testbench::cim::bench::print(&p, sparsity)?;
            }
            BenchCmd::Packet {
                random: Some(n),
                backpressure,
                seed,
                ..
            } => {
                let engines = [8, 64].map(|data_bytes| nicc_rtl::blocks::packet::PacketParams {
                    data_bytes,
                    ..Default::default()
                });
                let bar = indicatif::ProgressBar::new((engines.len() * n) as u64);
                let rows = nicc_testbench::packet::cli::bench_random(
                    &engines,
                    &nicc_sim::BuildOptions::long_run(),
                    n,
                    backpressure,
                    seed,
                    &mut |db, done| {
                        bar.set_message(format!("data_bytes {db}"));
                        let k = engines.iter().position(|e| e.data_bytes == db).unwrap_or(0);
                        bar.set_position((k * n + done) as u64);
                    },
                )?;
                bar.finish_and_clear();
                println!(
                    "random frames, back-pressure {backpressure} on every stream, seed {seed}; \
                     every record, passed frame and counter checked (a mismatch stops the run \
                     with an error)"
                );
                println!(
                    "data_bytes   frames   passed  beats/cycle  frames/s (simulated)  seconds"
                );
                for r in rows {
                    println!(
                        "{:>10}  {:>7}  {:>7}  {:>11.3}  {:>20.0}  {:>7.1}",
                        r.data_bytes,
                        r.frames,
                        r.passed,
                        r.beats as f64 / r.cycles.max(1) as f64,
                        r.frames as f64 / r.seconds.max(1e-9),
                        r.seconds
                    );
                }
            }
            BenchCmd::Packet { frames, .. } => {
                let rows = nicc_testbench::packet::cli::bench(&[8, 64], frames)?;
                println!("data_bytes  frame  frames  beats/cycle  frames/s (simulated)");
                for r in rows {
                    println!(
                        "{:>10}  {:>5}  {:>6}  {:>11.3}  {:>10.0}",
                        r.data_bytes, r.frame_len, r.frames, r.beats_per_cycle, r.frames_per_s
                    );
                }
            }
            BenchCmd::Sim {
                cycles,
                inputs,
                rounds,
            } => {
                let m = nicc_rtl::blocks::synthetic::registered_sum(inputs, 8)?;
                let d = nicc_rtl::emit(&m)?;
                let b = nicc_sim::bench::bench_sim(&d, cycles, rounds)?;
                println!(
                    "design:            {} ({inputs} x 8-bit registered adder tree)",
                    d.top
                );
                println!("cycles per run:    {}", b.cycles);
                println!(
                    "rates: M cycles per CPU-second of the simulating thread (wall in brackets)"
                );
                println!(
                    "(a) per-cycle API: {:>6.2} M cycles/s [{:.2}] (set/step/get: {:.2} M)",
                    b.per_cycle / 1e6,
                    b.wall[0] / 1e6,
                    b.per_port / 1e6
                );
                println!(
                    "(b) batched:       {:>6.2} M cycles/s [{:.2}]",
                    b.batched / 1e6,
                    b.wall[1] / 1e6
                );
                println!(
                    "(c) plain C++:     {:>6.2} M cycles/s [{:.2}]",
                    b.plain_cpp / 1e6,
                    b.wall[2] / 1e6
                );
                println!(
                    "a/c = {:.2}, b/c = {:.2}",
                    b.per_cycle / b.plain_cpp,
                    b.batched / b.plain_cpp
                );
                println!(
                    "model build: {:.2} s ({}), cached load: {:.3} s",
                    b.build_seconds,
                    if b.build_was_cached {
                        "was cached"
                    } else {
                        "cold"
                    },
                    b.cached_load_seconds
                );
                println!(
                    "model evaluation: {}",
                    if b.direct_eval {
                        "direct root eval (Verilator 5.006, untraced)"
                    } else {
                        "through eval()"
                    }
                );
                println!("golden mismatches: {}", b.mismatches);
                if b.mismatches != 0 {
                    bail!("{} cycles disagreed with the golden sum", b.mismatches);
                }
            }
            BenchCmd::SparseFfn {
                sets,
                vectors,
                no_area,
                pruning,
                out,
            } => {
                let p = nicc_testbench::sparse_ffn::bench::bench_params()
                    .with_sets(&parse_sets(&sets)?)?;
                let s =
                    nicc_testbench::sparse_ffn::bench::run(&p, pruning, vectors, !no_area, &out)?;
                println!("{s}");
            }
            BenchCmd::Emit { nodes } => {
                let t0 = Instant::now();
                let m = nicc_rtl::blocks::synthetic::mesh(nodes)?;
                let t_build = t0.elapsed();
                let n = m.node_count();
                let t1 = Instant::now();
                let d = nicc_rtl::emit(&m)?;
                let t_emit = t1.elapsed();
                let bytes: usize = d.files.iter().map(|f| f.text.len()).sum();
                println!("IR nodes:      {n}");
                println!("build + check: {:.3} s", t_build.as_secs_f64());
                println!(
                    "emit:          {:.3} s ({:.2} M nodes/s, {:.1} MB of Verilog)",
                    t_emit.as_secs_f64(),
                    n as f64 / t_emit.as_secs_f64() / 1e6,
                    bytes as f64 / 1e6
                );
            }
        },
    }
    Ok(())
}

/// `nicc sweep`: run a (shard of a) grid, or merge shards; write CSV, JSON and plots.
fn sweep(args: &SweepArgs) -> Result<()> {
    use nicc_testbench::sweep::{self, Shard, SweepResult, Vary};
    let SweepArgs {
        design,
        parts,
        vary,
        sets,
        flow,
        shard,
        out,
        abc_fast,
        time_limit,
    } = args;
    let (shard, out, abc_fast) = (shard.as_deref(), out.as_path(), *abc_fast);
    let res = if design == "merge" {
        if parts.is_empty() {
            bail!("nicc sweep merge needs the shard JSON files to join");
        }
        if abc_fast {
            bail!("--abc-fast is a sweep option, not a merge one: the shard files record it");
        }
        if time_limit.is_some() {
            bail!("--time-limit is a sweep option, not a merge one: merging runs no tool");
        }
        let loaded: Vec<SweepResult> = parts
            .iter()
            .map(|p| SweepResult::read(p))
            .collect::<Result<_, _>>()?;
        let inputs: Vec<&std::path::Path> = parts.iter().map(PathBuf::as_path).collect();
        sweep::prepare_output(out, &inputs)?;
        sweep::merge(&loaded)?
    } else {
        if !parts.is_empty() {
            bail!("unexpected arguments after the design name: {parts:?}");
        }
        let vary: Vec<Vary> = vary
            .iter()
            .map(|v| Vary::parse(v))
            .collect::<Result<_, _>>()?;
        if vary.is_empty() {
            bail!("nothing to sweep: give at least one --vary KEY=V1,V2,...");
        }
        let sets = parse_sets(sets)?;
        nicc_rtl::blocks::registry::entry(design)?;
        let flows: Vec<nicc_synth::Flow> = flow
            .split(',')
            .map(|f| f.trim().parse())
            .collect::<Result<_, _>>()?;
        let shard = shard.map(Shard::parse).transpose()?.unwrap_or(Shard::ALL);
        if abc_fast && !flows.contains(&nicc_synth::Flow::Asic) {
            bail!("--abc-fast applies to the asic flow, which this sweep does not run (--flow {flow})");
        }
        let opts = nicc_synth::Options {
            abc_fast,
            time_limit_s: time_limit.map(|d| d.as_secs_f64()),
            ..Default::default()
        };
        sweep::prepare_output(out, &[])?;
        let bar = indicatif::ProgressBar::new(0);
        let r = sweep::run_sweep(design, &sets, &vary, &flows, &opts, shard, |k, n| {
            bar.set_length(n as u64);
            bar.set_position(k as u64);
        });
        bar.finish_and_clear();
        r?
    };
    res.write(out)?;
    println!("{}", out.with_extension("csv").display());
    println!("{}", out.with_extension("json").display());
    // Plots: each metric against the first varied parameter, one series per second one.
    // A merged or whole result has at least one varied key (`SweepResult::validate`).
    let first_key = res.vary.first().map(|v| v.key.clone());
    if let (Shard::ALL, Some(x)) = (res.shard, first_key) {
        let series = res.vary.get(1).map(|v| v.key.clone());
        let metrics: std::collections::BTreeSet<String> = res
            .rows
            .iter()
            .flat_map(|r| r.metrics.keys().cloned())
            .collect();
        let stem = out
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let numeric_x = res
            .rows
            .iter()
            .any(|r| r.params.get(&x).is_some_and(|v| v.parse::<f64>().is_ok()));
        if !numeric_x {
            eprintln!(
                "no plots: they put the first --vary key on the x axis, and `{x}` is not a number (vary a numeric key first to get them)"
            );
        }
        for m in metrics.iter().filter(|_| numeric_x) {
            let p = out.with_file_name(format!("{stem}-{}.svg", m.replace('.', "_")));
            let title = format!("{} {m} vs {x}", res.block);
            match sweep::plot_svg(&res, &x, series.as_deref(), m, &title, &p) {
                Ok(()) => println!("{}", p.display()),
                Err(e) => eprintln!("no plot of {m}: {e}"),
            }
        }
    }
    // Like `nicc run`: every result is written first, then failed points make the exit
    // status non-zero, so a script or CI job sees them.
    let failed: Vec<String> = res
        .rows
        .iter()
        .filter(|r| r.status != "ok")
        .map(|r| {
            let at: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            // The status can quote a tool's output: its first and last lines say what
            // happened and what to do.
            let lines: Vec<&str> = r.status.lines().filter(|l| !l.is_empty()).collect();
            let why = match lines.as_slice() {
                [first, .., last] => format!("{first} [...] {last}"),
                _ => r.status.clone(),
            };
            format!("{}: {why}", at.join(" "))
        })
        .collect();
    if !failed.is_empty() {
        bail!(
            "{} of {} points failed (every row is in the files above; its status column says why):\n  {}",
            failed.len(),
            res.rows.len(),
            failed.join("\n  ")
        );
    }
    Ok(())
}
