//! `nicc`: generate, simulate, synthesise and verify the accelerator blocks.
//!
//! The binary is thin: it parses arguments, calls the library crates, prints.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

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
    /// The main job: generate every design into OUT/<design>/ and write OUT/report.md.
    Run {
        /// Output directory.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Time the Verilog emitter on a synthetic netlist of about N IR nodes.
    Emit {
        /// Approximate number of IR expression nodes.
        #[arg(long, default_value_t = 1_000_000)]
        nodes: usize,
    },
}

/// Splits `key=value` settings, naming a malformed one.
fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>> {
    sets.iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Ok((k.trim().to_string(), v.trim().to_string()))
            }
            _ => bail!("malformed --set `{s}`: expected KEY=VALUE, e.g. --set width=8"),
        })
        .collect()
}

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
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
                for e in nicc_rtl::blocks::registry::entries() {
                    println!("{:<12} {}", e.name, e.about);
                }
                if design.is_none() && !list {
                    bail!("no design given; pick one of the above: nicc gen <design>");
                }
                return Ok(());
            }
            let design = design.unwrap();
            let sets = parse_sets(&sets)?;
            let d = nicc_rtl::blocks::registry::generate(&design, &sets, top.as_deref())?;
            let files = d
                .write_to(&out)
                .with_context(|| format!("writing into {}", out.display()))?;
            for f in files {
                println!("{}", f.display());
            }
        }
        Cmd::Run { out } => run(&out)?,
        Cmd::Bench { what } => match what {
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

/// `nicc run`: every registered design with default parameters into `out/<design>/`.
fn run(out: &std::path::Path) -> Result<()> {
    let mut report =
        String::from("# nicc run\n\n| design | top | modules | files |\n|---|---|---|---|\n");
    for e in nicc_rtl::blocks::registry::entries() {
        let d = nicc_rtl::blocks::registry::generate(e.name, &[], None)?;
        let dir = out.join(e.name);
        d.write_to(&dir)
            .with_context(|| format!("writing into {}", dir.display()))?;
        report.push_str(&format!(
            "| {} | {} | {} | [{}.f]({}/{}.f) |\n",
            e.name,
            d.top,
            d.files.len(),
            d.top,
            e.name,
            d.top
        ));
        println!("{:<12} -> {}", e.name, dir.display());
    }
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("report.md"), report)?;
    println!("report: {}", out.join("report.md").display());
    Ok(())
}
