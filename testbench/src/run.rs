//! `nicc run`: every block on its default parameters through the whole ladder (generate,
//! lint, co-simulate against the golden model, prove, synthesise), into one report.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use nicc_rtl::Design;
use nicc_synth::{Flow, FlowResult, Options, SynthReport};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a co-simulation run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verified {
    /// Vectors (or frames) checked against the golden model.
    pub vectors: u64,
    /// Mismatches (must be 0 to pass).
    pub mismatches: u64,
    /// Anything the reader should know (e.g. which fields are compared).
    pub notes: String,
}

/// One block as `nicc run` sees it.
pub trait Job: Sync {
    /// Block name (`adder-tree`), also the output folder.
    fn name(&self) -> &'static str;
    /// The design on its default parameters.
    fn design(&self) -> Result<Design>;
    /// Co-simulates `d` against the golden model; `quick` runs fewer vectors; a short VCD of
    /// the first cycles goes to `vcd`.
    fn verify(&self, d: &Design, quick: bool, vcd: &Path) -> Result<Verified>;
    /// A behavioural reference to prove `design()` equal to, for arithmetic blocks.
    fn reference(&self) -> Result<Option<Design>> {
        Ok(None)
    }
    /// Proves `d` (the job's design) formally: `Some((proven, what the prover said))`, `None`
    /// for a block without a proof. By default, equivalence with [`Job::reference`]
    /// (Yosys/ABC, [`nicc_synth::check_equiv`]).
    /// `limit` stops each tool run of the proof that takes longer (`nicc run --time-limit`).
    fn prove(&self, d: &Design, limit: Option<Duration>) -> Result<Option<(bool, String)>> {
        let Some(r) = self.reference()? else {
            return Ok(None);
        };
        let opts = nicc_synth::EquivOptions {
            time_limit: limit,
            ..Default::default()
        };
        let res = nicc_synth::check_equiv(&r, d, &opts)?;
        Ok(Some((res.is_equivalent(), res.to_string())))
    }
    /// Derived throughput at `fmax_mhz`: (value, unit), e.g. (12.8, "GOPS").
    fn throughput(&self, _fmax_mhz: f64) -> Option<(f64, &'static str)> {
        None
    }
    /// The block's plots (SVG, with the CSV/JSON of their points) written into `dir`;
    /// `quick` uses fewer, smaller points. Returns the SVG files.
    fn plots(&self, _dir: &Path, _quick: bool) -> Result<Vec<PathBuf>> {
        Ok(Vec::new())
    }
    /// Rough relative cost of the block's run (1 = a small block). With `--jobs` above 1 the
    /// costliest blocks start first, so the longest synthesis does not start last; the report
    /// keeps the order of the job list.
    fn cost(&self) -> u32 {
        1
    }
}

/// One curve of a [`growth_plot`]: a registry design with fixed settings.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Registry design name (`nicc gen --list`).
    pub design: String,
    /// Fixed `key=value` settings.
    pub fixed: Vec<(String, String)>,
}

impl Series {
    /// A series from a label, a design and `key=value` settings.
    pub fn new(label: &str, design: &str, fixed: &[(&str, &str)]) -> Series {
        Series {
            label: label.into(),
            design: design.into(),
            fixed: fixed
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// Synthesises every series at every value of `x_key` with `flows`, writes the points to
/// `<dir>/<name>.csv` and `.json` (a `series` column names the curve) and one SVG per
/// `(metric, title)` to `<dir>/<name>-<metric>.svg`. A point that fails is a row with its
/// error; a plot with no successful point is an error.
pub fn growth_plot(
    name: &str,
    series: &[Series],
    x_key: &str,
    xs: &[&str],
    flows: &[Flow],
    metrics: &[(&str, &str)],
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    use crate::sweep::{plot_svg, run_sweep, Shard, SweepResult, Vary};
    let vary = vec![Vary {
        key: x_key.into(),
        values: xs.iter().map(|x| x.to_string()).collect(),
    }];
    let mut all = SweepResult {
        block: name.into(),
        vary: vary.clone(),
        fixed: Vec::new(),
        shard: Shard::ALL,
        abc_fast: false,
        rows: Vec::new(),
    };
    for s in series {
        let r = run_sweep(
            &s.design,
            &s.fixed,
            &vary,
            flows,
            &nicc_synth::Options::default(),
            Shard::ALL,
            |_, _| {},
        )?;
        for mut row in r.rows {
            row.index = all.rows.len();
            row.params.insert("series".into(), s.label.clone());
            all.rows.push(row);
        }
    }
    let stem = dir.join(name);
    all.write(&stem)?;
    let mut out = Vec::new();
    for (metric, title) in metrics {
        let path = dir.join(format!("{name}-{}.svg", metric.replace('.', "_")));
        plot_svg(&all, x_key, Some("series"), metric, title, &path)?;
        out.push(path);
    }
    Ok(out)
}

/// How a job builds its design's model: traced, so that one cached build serves the vectors,
/// the short waveform and any plot of the same design.
pub fn job_build_options() -> nicc_sim::BuildOptions {
    nicc_sim::BuildOptions {
        trace: true,
        ..Default::default()
    }
}

/// The two co-simulation models of a job, instances of one [`job_build_options`] build of `d`
/// (one Verilator build per block, not an untraced and a traced one): the first for the
/// vectors (no waveform file, so it dumps nothing), the second writing `vcd` for a short run.
pub fn job_models(d: &Design, vcd: &Path) -> Result<(nicc_sim::Model, nicc_sim::Model)> {
    let opts = job_build_options();
    let run = nicc_sim::Model::build_with(d, &opts, None)?;
    let wave = nicc_sim::Model::build_with(d, &opts, Some(vcd))?;
    Ok((run, wave))
}

/// Options of `nicc run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Output directory.
    pub out: PathBuf,
    /// Only these blocks (empty = all).
    pub only: Vec<String>,
    /// Fewer vectors, no place-and-route.
    pub quick: bool,
    /// Parallel blocks.
    pub jobs: usize,
    /// Stop any one tool run (a proof's Yosys or ABC, a synthesis flow's tool) that takes
    /// longer; the block then fails naming the tool and the limit. `None`: no limit.
    pub time_limit: Option<Duration>,
}

/// One row of the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    /// Block name.
    pub block: String,
    /// Top module.
    pub top: String,
    /// Everything passed.
    pub pass: bool,
    /// What failed, if anything.
    pub failures: Vec<String>,
    /// Lint clean.
    pub lint: bool,
    /// Co-simulation result.
    pub verified: Verified,
    /// Formal equivalence: `Some(true)` proven, `Some(false)` refuted, `None` not applicable.
    pub equivalent: Option<bool>,
    /// Generic flow cells.
    pub cells: Option<u64>,
    /// OSU 0.18 um area (um2).
    pub area_um2: Option<f64>,
    /// OSU 0.18 um Fmax from OpenSTA (MHz), clocked designs.
    pub asic_fmax_mhz: Option<f64>,
    /// iCE40 HX8K median Fmax over the seeds (MHz).
    pub ice40_fmax_mhz: Option<f64>,
    /// iCE40 logic cells.
    pub ice40_cells: Option<u64>,
    /// Why the design does not fit the HX8K, when it does not (a result, not a failure: the
    /// flow still reports its post-synthesis cell counts, as `nicc synth --flow ice40` does).
    pub ice40_does_not_fit: Option<String>,
    /// Derived throughput (value, unit) at the best Fmax measured.
    pub throughput: Option<(f64, String)>,
    /// Relative links.
    pub links: BTreeMap<String, String>,
    /// Wall time (s).
    pub seconds: f64,
    /// Wall time of each stage (s), in the order they ran (`generate`, `lint`, ...; the
    /// synthesis flows are one stage, run side by side with `--jobs` above 1).
    pub stage_seconds: Vec<(String, f64)>,
    /// Wall time of each synthesis flow (s), cache hits included; 0 for generic figures taken
    /// from the asic run (`nicc_synth::run_flows`).
    pub synth_seconds: BTreeMap<String, f64>,
}

fn synth_row(row: &mut Row, r: &SynthReport) {
    match &r.result {
        FlowResult::Generic(g) => row.cells = Some(g.stats.cells),
        FlowResult::Asic(a) => {
            row.area_um2 = Some(a.area_um2);
            row.asic_fmax_mhz = a.timing.fmax_mhz;
        }
        FlowResult::Ice40(i) => match &i.fit {
            nicc_synth::Ice40Fit::Fits {
                logic_cells, fmax, ..
            } => {
                row.ice40_cells = Some(*logic_cells);
                row.ice40_fmax_mhz = fmax.as_ref().map(|f| f.median_mhz);
            }
            nicc_synth::Ice40Fit::DoesNotFit { reason } => {
                row.ice40_does_not_fit = Some(reason.clone());
            }
        },
    }
}

fn one(job: &dyn Job, opts: &RunOptions, bar: &ProgressBar) -> Row {
    let t0 = Instant::now();
    let mut row = Row {
        block: job.name().to_string(),
        ..Default::default()
    };
    // Start times of the stages, for `stage_seconds`.
    let starts = std::cell::RefCell::new(Vec::<(String, Instant)>::new());
    let stage = |s: &str| {
        starts.borrow_mut().push((s.to_string(), Instant::now()));
        bar.set_message(format!("{:<14} {s}", job.name()));
    };
    let dir = opts.out.join(job.name());
    let res: Result<()> = (|| {
        stage("generate");
        let d = job.design()?;
        row.top = d.top.clone();
        d.write_to(&dir)
            .with_context(|| format!("writing {}", dir.display()))?;
        row.links
            .insert("verilog".into(), format!("{}/{}.v", job.name(), d.top));
        row.links
            .insert("filelist".into(), format!("{}/{}.f", job.name(), d.top));
        bar.inc(1);
        stage("lint");
        match nicc_sim::lint::verilator_lint(&d) {
            Ok(()) => row.lint = true,
            Err(e) => row.failures.push(format!("lint: {e}")),
        }
        bar.inc(1);
        stage("co-simulate");
        let vcd = dir.join(format!("{}.vcd", d.top));
        match job.verify(&d, opts.quick, &vcd) {
            Ok(v) => {
                if v.mismatches > 0 || v.vectors == 0 {
                    row.failures.push(format!(
                        "co-simulation: {} mismatches in {} vectors",
                        v.mismatches, v.vectors
                    ));
                }
                row.verified = v;
                if vcd.exists() {
                    row.links
                        .insert("waveform".into(), format!("{}/{}.vcd", job.name(), d.top));
                }
            }
            Err(e) => row
                .failures
                .push(format!("co-simulation: {}", error_chain(&e))),
        }
        bar.inc(1);
        stage("prove");
        match job.prove(&d, opts.time_limit) {
            Ok(Some((proven, said))) => {
                row.equivalent = Some(proven);
                if !proven {
                    row.failures.push(format!("equivalence: {said}"));
                }
            }
            Ok(None) => {}
            Err(e) => row.failures.push(format!("proof: {}", error_chain(&e))),
        }
        bar.inc(1);
        let mut flows = vec![Flow::Generic, Flow::Asic];
        if !opts.quick {
            flows.push(Flow::Ice40);
        }
        // With more than one job the flows of a block run side by side (each tool is
        // single-threaded): a large block's asic flow then no longer waits for its iCE40 flow.
        // The generic figures come from the asic run when neither is cached (one synthesis
        // step for both, see nicc_synth::run_flows).
        let parallel = opts.jobs > 1;
        let names: Vec<&str> = flows.iter().map(|f| f.name()).collect();
        stage(&format!("synth {}", names.join("+")));
        let synth_opts = Options {
            time_limit_s: opts.time_limit.map(|t| t.as_secs_f64()),
            ..Options::default()
        };
        let results: Vec<_> = nicc_synth::run_flows(&d, &flows, &synth_opts, parallel)
            .into_iter()
            .map(|r| {
                bar.inc(1);
                (r.flow, r.result, r.seconds)
            })
            .collect();
        for (f, r, secs) in results {
            row.synth_seconds.insert(f.name().to_string(), secs);
            match r {
                Ok(r) => {
                    synth_row(&mut row, &r);
                    let p = dir.join(format!("synth_{}.json", f.name()));
                    std::fs::write(&p, serde_json::to_string_pretty(&r)?)?;
                }
                Err(e) => row.failures.push(format!("synth {}: {e}", f.name())),
            }
        }
        stage("plots");
        match job.plots(&opts.out.join("plots"), opts.quick) {
            Ok(paths) => {
                for p in paths {
                    if let Some(f) = p.file_name().and_then(|f| f.to_str()) {
                        let key = format!("plot:{}", f.trim_end_matches(".svg"));
                        row.links.insert(key, format!("plots/{f}"));
                    }
                }
            }
            Err(e) => row.failures.push(format!("plots: {}", error_chain(&e))),
        }
        bar.inc(1);
        let best = row.ice40_fmax_mhz.or(row.asic_fmax_mhz);
        if let Some(f) = best {
            row.throughput = job.throughput(f).map(|(v, u)| (v, u.to_string()));
        }
        Ok(())
    })();
    if let Err(e) = res {
        row.failures.push(error_chain(&e));
    }
    row.pass = row.failures.is_empty();
    let starts = starts.into_inner();
    let ends = starts
        .iter()
        .skip(1)
        .map(|(_, t)| *t)
        .chain([Instant::now()]);
    row.stage_seconds = starts
        .iter()
        .zip(ends)
        .map(|((name, t), end)| (name.clone(), (end - *t).as_secs_f64()))
        .collect();
    row.seconds = t0.elapsed().as_secs_f64();
    row
}

/// Runs `jobs` (filtered by `opts.only`, each of which must name one) and writes `report.md`
/// and `report.json`.
pub fn run(all: &[Box<dyn Job>], opts: &RunOptions) -> Result<Vec<Row>> {
    // A misspelt `--only` beside a right one would otherwise drop its block silently.
    if let Some(bad) = opts
        .only
        .iter()
        .find(|o| !all.iter().any(|j| j.name() == o.as_str()))
    {
        let names: Vec<&str> = all.iter().map(|j| j.name()).collect();
        anyhow::bail!(
            "--only `{bad}` names no block; blocks: {}",
            names.join(", ")
        );
    }
    let selected: Vec<&dyn Job> = all
        .iter()
        .map(|b| b.as_ref())
        .filter(|j| opts.only.is_empty() || opts.only.iter().any(|o| o == j.name()))
        .collect();
    if selected.is_empty() {
        let names: Vec<&str> = all.iter().map(|j| j.name()).collect();
        anyhow::bail!("--only matched no block; blocks: {}", names.join(", "));
    }
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating {}", opts.out.display()))?;
    let stages = if opts.quick { 7 } else { 8 };
    let bar = ProgressBar::new((selected.len() * stages) as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    // Longest first (a stable sort: equal costs keep the list order).
    let mut order: Vec<usize> = (0..selected.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(selected[i].cost()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let rows = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1).min(selected.len()) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(&i) = order.get(k) else { break };
                let job = selected[i];
                let row = one(job, opts, &bar);
                rows.lock().expect("report rows").push((i, row));
            });
        }
    });
    bar.finish_and_clear();
    let mut rows = rows.into_inner().expect("report rows");
    rows.sort_by_key(|(i, _)| *i);
    let rows: Vec<Row> = rows.into_iter().map(|(_, r)| r).collect();
    std::fs::write(
        opts.out.join("report.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    std::fs::write(opts.out.join("report.md"), markdown(&rows))?;
    Ok(rows)
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// The report table.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::from("# nicc run report\n\n");
    s.push_str("| block | result | vectors | mismatches | formal | cells (generic) | area um2 (OSU 0.18) | Fmax MHz (OSU) | Fmax MHz (iCE40, median) | iCE40 LCs | throughput | links |\n");
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let links: Vec<String> = r.links.iter().map(|(k, v)| format!("[{k}]({v})")).collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.block,
            if r.pass { "pass" } else { "FAIL" },
            r.verified.vectors,
            r.verified.mismatches,
            match r.equivalent {
                Some(true) => "proven",
                Some(false) => "REFUTED",
                None => "n/a",
            },
            r.cells.map_or("-".into(), |c| c.to_string()),
            fmt(r.area_um2, 0),
            fmt(r.asic_fmax_mhz, 1),
            fmt(r.ice40_fmax_mhz, 1),
            match (&r.ice40_does_not_fit, r.ice40_cells) {
                (Some(_), _) => "does not fit".to_string(),
                (None, c) => c.map_or("-".into(), |c| c.to_string()),
            },
            r.throughput
                .as_ref()
                .map_or("-".into(), |(v, u)| format!("{v:.2} {u}")),
            links.join(" "),
        ));
    }
    for r in rows.iter().filter(|r| !r.pass) {
        s.push_str(&format!("\n## {} failures\n\n", r.block));
        for f in &r.failures {
            s.push_str(&format!("- {}\n", f.replace('\n', " ")));
        }
    }
    for r in rows {
        if let Some(why) = &r.ice40_does_not_fit {
            s.push_str(&format!(
                "\n{}: does not fit the iCE40 HX8K ({why})\n",
                r.block
            ));
        }
    }
    for r in rows.iter().filter(|r| !r.verified.notes.is_empty()) {
        s.push_str(&format!("\n{}: {}\n", r.block, r.verified.notes));
    }
    s
}

/// The error and its causes, `: `-joined, leaving out a cause its parent's message already
/// ends with (typed errors such as `{path}: {source}` print their source themselves).
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.is_empty() {
            text = c;
        } else if !text.ends_with(&c) {
            text = format!("{text}: {c}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An iCE40 report whose design does not fit (the packet engine's, trimmed).
    const DOES_NOT_FIT: &str = r#"{
      "design": "packet_engine_d8", "flow": "ice40",
      "tools": {"yosys": "Yosys 0.23", "nextpnr_ice40": "nextpnr-ice40 0.4", "sta": null},
      "content_hash": "00", "cached": false,
      "result": {
        "flow": "ice40", "device": "iCE40 HX8K ct256", "io_bits": 1613,
        "design_cells": {"lut4": 33485, "carry": 6191, "dff": 30083, "bram": 160,
                         "by_type": {"SB_LUT4": 33485}},
        "harness": null, "target_mhz": 100.0,
        "fit": {"status": "does_not_fit", "reason": "160 block RAMs needed, 32 available"}
      }
    }"#;

    #[test]
    fn a_design_that_does_not_fit_the_ice40_is_a_figure_not_a_failure() {
        let r: SynthReport = serde_json::from_str(DOES_NOT_FIT).unwrap();
        let mut row = Row {
            block: "packet-engine".into(),
            ..Default::default()
        };
        synth_row(&mut row, &r);
        assert!(row.failures.is_empty(), "{:?}", row.failures);
        assert_eq!(
            row.ice40_does_not_fit.as_deref(),
            Some("160 block RAMs needed, 32 available")
        );
        assert_eq!(row.ice40_cells, None);
        row.pass = true;
        let md = markdown(&[row]);
        assert!(md.contains("| does not fit |"), "{md}");
        assert!(
            md.contains(
                "packet-engine: does not fit the iCE40 HX8K (160 block RAMs needed, 32 available)"
            ),
            "{md}"
        );
        assert!(!md.contains("failures"), "{md}");
    }

    #[test]
    fn error_chain_prints_each_cause_once() {
        #[derive(Debug)]
        struct WithSource(std::io::Error);
        impl std::fmt::Display for WithSource {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "a.npy: {}", self.0)
            }
        }
        impl std::error::Error for WithSource {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "not found");
        let e = anyhow::Error::new(WithSource(io())).context("reading the weights");
        assert_eq!(error_chain(&e), "reading the weights: a.npy: not found");
        let e = anyhow::Error::new(io()).context("reading b.npy");
        assert_eq!(error_chain(&e), "reading b.npy: not found");
    }
}
