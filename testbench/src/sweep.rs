//! Parameter sweeps: the points of a `--vary` grid, deterministic shards, results as CSV and
//! JSON, merging of shards, and SVG plots.
//!
//! A sweep is the cartesian product of the `--vary key=v1,v2,...` lists, in the order given
//! (the last key varies fastest). Point `i` of `n` total belongs to shard `i % count`, so every
//! shard gets an even, deterministic slice and `merge` of all shards equals the whole sweep.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use thiserror::Error;

/// Errors of sweeps.
#[derive(Debug, Error)]
pub enum SweepError {
    /// A `--vary` argument is malformed.
    #[error("malformed --vary `{0}`: expected KEY=V1,V2,... (e.g. --vary inputs=16,64,256)")]
    BadVary(String),
    /// A `--shard` argument is malformed.
    #[error("malformed --shard `{0}`: expected I/N with 0 <= I < N (e.g. --shard 0/4)")]
    BadShard(String),
    /// Shards do not fit together.
    #[error("cannot merge: {0}")]
    Merge(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A JSON file is not a sweep result.
    #[error("{path}: not a nicc sweep result: {source}")]
    Json {
        /// The file.
        path: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A sweep result file parses but does not describe a sweep (edited, or not written by
    /// `nicc sweep`).
    #[error("{path}: not a valid nicc sweep result: {reason}; give the files `nicc sweep` wrote")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The output stem cannot be written (checked before the sweep runs).
    #[error(transparent)]
    Output(#[from] crate::outputs::OutputError),
    /// Plotting failed.
    #[error("plot: {0}")]
    Plot(String),
    /// A `--vary` list names one value twice (the sweep would build that point twice).
    #[error("--vary {key} lists `{value}` twice: give each value once")]
    ValueTwice {
        /// The parameter.
        key: String,
        /// The repeated value.
        value: String,
    },
    /// A parameter is both fixed and varied, or varied twice.
    #[error("`{key}` is given {by}: give each parameter once")]
    KeyTwice {
        /// The parameter.
        key: String,
        /// Where: `by --set and by --vary` or `by two --vary`.
        by: &'static str,
    },
}

/// One `--vary key=v1,v2,...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vary {
    /// Parameter name.
    pub key: String,
    /// Values in order.
    pub values: Vec<String>,
}

impl Vary {
    /// Parses `key=v1,v2,...`.
    pub fn parse(s: &str) -> Result<Vary, SweepError> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| SweepError::BadVary(s.into()))?;
        let values: Vec<String> = v.split(',').map(|x| x.trim().to_string()).collect();
        if k.trim().is_empty() || values.iter().any(|x| x.is_empty()) {
            return Err(SweepError::BadVary(s.into()));
        }
        if let Some(value) = repeated(&values) {
            return Err(SweepError::ValueTwice {
                key: k.trim().to_string(),
                value: value.clone(),
            });
        }
        Ok(Vary {
            key: k.trim().to_string(),
            values,
        })
    }
}

/// The first value that `values` lists a second time.
fn repeated(values: &[String]) -> Option<&String> {
    values
        .iter()
        .enumerate()
        .find(|(i, x)| values[..*i].contains(x))
        .map(|(_, x)| x)
}

/// A shard `index/count` of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, `0 <= index < count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole sweep as one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard, SweepError> {
        let bad = || SweepError::BadShard(s.into());
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether point `i` belongs to this shard.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count == self.index
    }
}

/// One point of a sweep: its global index and its settings (fixed ones first, then varied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// Index in the unsharded sweep.
    pub index: usize,
    /// `key=value` settings for the generator.
    pub settings: Vec<(String, String)>,
}

/// Checks that no parameter is both fixed and varied, or varied twice (one would silently
/// override the other).
pub fn check_keys(fixed: &[(String, String)], vary: &[Vary]) -> Result<(), SweepError> {
    for (i, v) in vary.iter().enumerate() {
        let twice = |by| SweepError::KeyTwice {
            key: v.key.clone(),
            by,
        };
        if fixed.iter().any(|(k, _)| *k == v.key) {
            return Err(twice("by --set and by --vary"));
        }
        if vary[..i].iter().any(|w| w.key == v.key) {
            return Err(twice("by two --vary"));
        }
    }
    Ok(())
}

/// Every point of the grid (fixed settings + the product of `vary`), restricted to `shard`.
pub fn points(fixed: &[(String, String)], vary: &[Vary], shard: Shard) -> Vec<Point> {
    let total: usize = vary.iter().map(|v| v.values.len()).product();
    let mut out = Vec::new();
    for index in 0..total {
        if !shard.owns(index) {
            continue;
        }
        let mut settings: Vec<(String, String)> = fixed
            .iter()
            .filter(|(k, _)| !vary.iter().any(|v| &v.key == k))
            .cloned()
            .collect();
        let mut rem = index;
        let mut chosen = vec![String::new(); vary.len()];
        for (j, v) in vary.iter().enumerate().rev() {
            chosen[j] = v.values[rem % v.values.len()].clone();
            rem /= v.values.len();
        }
        for (v, c) in vary.iter().zip(chosen) {
            settings.push((v.key.clone(), c));
        }
        out.push(Point { index, settings });
    }
    out
}

/// The measured result of one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Index in the unsharded sweep.
    pub index: usize,
    /// The settings of the point.
    pub params: BTreeMap<String, String>,
    /// `ok`, or the error text (a failed point is a result, not a crash).
    pub status: String,
    /// Figures by name (e.g. `generic.cells`, `asic.area_um2`, `ice40.fmax_mhz_median`).
    pub metrics: BTreeMap<String, f64>,
}

/// A sweep result file: which block, which grid, which shard, the rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// Block (design) name.
    pub block: String,
    /// The varied parameters.
    pub vary: Vec<Vary>,
    /// Fixed settings.
    pub fixed: Vec<(String, String)>,
    /// Which shard this file holds.
    pub shard: Shard,
    /// The asic flow mapped with ABC's fast script (`nicc sweep --abc-fast`,
    /// [`nicc_synth::Options::abc_fast`]); absent (false) for the default script.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abc_fast: bool,
    /// Rows in index order.
    pub rows: Vec<Row>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl SweepResult {
    /// Writes `<stem>.json` and `<stem>.csv`.
    pub fn write(&self, stem: &Path) -> Result<(), SweepError> {
        if let Some(dir) = stem.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let put = |ext: &str, text: &str| {
            let path = stem.with_extension(ext);
            crate::outputs::write_atomically(&path, |w| w.write_all(text.as_bytes()), |e| e)
                .map_err(io_err(&path))
        };
        let json = serde_json::to_string_pretty(self).expect("sweep results serialise");
        put("json", &(json + "\n"))?;
        put("csv", &self.to_csv())
    }

    /// Reads a result written by [`SweepResult::write`] (the `.json` file), checked with
    /// [`SweepResult::validate`].
    pub fn read(path: &Path) -> Result<SweepResult, SweepError> {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        let r: SweepResult = serde_json::from_str(&text).map_err(|source| SweepError::Json {
            path: path.display().to_string(),
            source,
        })?;
        r.validate().map_err(|reason| SweepError::Invalid {
            path: path.display().to_string(),
            reason,
        })?;
        Ok(r)
    }

    /// Number of points of the whole grid (the product of the `vary` lists), `None` when it
    /// does not fit a `usize`.
    pub fn total_points(&self) -> Option<usize> {
        self.vary
            .iter()
            .try_fold(1usize, |n, v| n.checked_mul(v.values.len()))
    }

    /// Checks what a sweep run always writes: at least one varied parameter, each with a
    /// name and at least one value, a shard `I/N` with `0 <= I < N`, and rows of points of
    /// the grid. The error says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.vary.is_empty() {
            return Err("it varies no parameter (`vary` is empty)".into());
        }
        if let Some(v) = self
            .vary
            .iter()
            .find(|v| v.key.trim().is_empty() || v.values.is_empty())
        {
            return Err(format!(
                "varied parameter `{}` has no name or no values",
                v.key
            ));
        }
        if let Some((v, x)) = self
            .vary
            .iter()
            .find_map(|v| repeated(&v.values).map(|x| (v, x)))
        {
            return Err(format!("varied parameter `{}` lists `{x}` twice", v.key));
        }
        let Shard { index, count } = self.shard;
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count} is not a shard I/N with 0 <= I < N"
            ));
        }
        let total = self
            .total_points()
            .ok_or("its grid has more points than can be counted")?;
        if let Some(r) = self.rows.iter().find(|r| r.index >= total) {
            return Err(format!(
                "row index {} is outside the grid's {total} points",
                r.index
            ));
        }
        Ok(())
    }

    /// CSV: `index`, one column per parameter, `status`, one column per metric.
    pub fn to_csv(&self) -> String {
        let pkeys: std::collections::BTreeSet<&String> =
            self.rows.iter().flat_map(|r| r.params.keys()).collect();
        let mkeys: std::collections::BTreeSet<&String> =
            self.rows.iter().flat_map(|r| r.metrics.keys()).collect();
        let quote = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = String::from("index");
        for k in &pkeys {
            out.push(',');
            out.push_str(&quote(k));
        }
        out.push_str(",status");
        for k in &mkeys {
            out.push(',');
            out.push_str(&quote(k));
        }
        out.push('\n');
        for r in &self.rows {
            out.push_str(&r.index.to_string());
            for k in &pkeys {
                out.push(',');
                out.push_str(&quote(r.params.get(*k).map_or("", |s| s.as_str())));
            }
            out.push(',');
            out.push_str(&quote(&r.status));
            for k in &mkeys {
                out.push(',');
                if let Some(v) = r.metrics.get(*k) {
                    out.push_str(&format!("{v}"));
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Makes the directory of the output `stem` and checks that `STEM.json` and `STEM.csv` can be
/// written and are none of `inputs` (the shard files of a merge), before a sweep or merge
/// runs: a bad `-o` would otherwise fail only once every point had been synthesised, and a
/// stem naming a shard would overwrite it.
pub fn prepare_output(stem: &Path, inputs: &[&Path]) -> Result<(), SweepError> {
    let (json, csv) = (stem.with_extension("json"), stem.with_extension("csv"));
    crate::outputs::create_parent("-o", &json)?;
    let inputs: Vec<crate::outputs::Arg> = inputs.iter().map(|p| ("shard", *p)).collect();
    crate::outputs::check(&inputs, &[("-o", &json, ".json"), ("-o", &csv, ".csv")])?;
    Ok(())
}

/// Joins shard results of one sweep into the whole: same block and grid, every shard of the
/// count exactly once, every point present.
pub fn merge(parts: &[SweepResult]) -> Result<SweepResult, SweepError> {
    let first = parts
        .first()
        .ok_or_else(|| SweepError::Merge("no shard files given".into()))?;
    for p in parts {
        p.validate().map_err(|reason| {
            SweepError::Merge(format!(
                "shard {}/{} is not a valid sweep result: {reason}",
                p.shard.index, p.shard.count
            ))
        })?;
    }
    let count = first.shard.count;
    // The shard indices seen (a set, not a vector of `count` flags: a file may claim any
    // count).
    let mut seen = std::collections::BTreeSet::new();
    for p in parts {
        if p.block != first.block
            || p.vary != first.vary
            || p.fixed != first.fixed
            || p.abc_fast != first.abc_fast
        {
            return Err(SweepError::Merge(format!(
                "shard {}/{} is of a different sweep",
                p.shard.index, p.shard.count
            )));
        }
        if p.shard.count != count {
            return Err(SweepError::Merge(format!(
                "shard counts differ ({} and {})",
                count, p.shard.count
            )));
        }
        if !seen.insert(p.shard.index) {
            return Err(SweepError::Merge(format!(
                "shard {}/{count} given twice",
                p.shard.index
            )));
        }
    }
    // Every index is below `count` and none is repeated: the smallest missing shard is the
    // first gap in the sorted indices, or the one after the last.
    let missing = seen
        .iter()
        .enumerate()
        .find(|(i, s)| i != *s)
        .map(|(i, _)| i)
        .or((seen.len() < count).then_some(seen.len()));
    if let Some(missing) = missing {
        return Err(SweepError::Merge(format!(
            "shard {missing}/{count} is missing"
        )));
    }
    let mut rows: Vec<Row> = parts.iter().flat_map(|p| p.rows.clone()).collect();
    rows.sort_by_key(|r| r.index);
    // Validated above: the product fits.
    let total = first.total_points().unwrap_or(usize::MAX);
    if rows.len() != total || rows.iter().enumerate().any(|(i, r)| r.index != i) {
        return Err(SweepError::Merge(format!(
            "expected points 0..{total}, found {} rows",
            rows.len()
        )));
    }
    Ok(SweepResult {
        block: first.block.clone(),
        vary: first.vary.clone(),
        fixed: first.fixed.clone(),
        shard: Shard::ALL,
        abc_fast: first.abc_fast,
        rows,
    })
}

/// Plots `metric` against the numeric parameter `x` as an SVG, one line per value of
/// `series` (or a single line). Points whose status is not `ok` are left out. Both axes are
/// log2 when the values are positive and span a factor of 8 or more, so N log N and N^2 growth
/// show as straight lines of different slopes.
pub fn plot_svg(
    res: &SweepResult,
    x: &str,
    series: Option<&str>,
    metric: &str,
    title: &str,
    path: &Path,
) -> Result<(), SweepError> {
    let mut lines: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for r in res.rows.iter().filter(|r| r.status == "ok") {
        let (Some(xv), Some(yv)) = (
            r.params.get(x).and_then(|s| s.parse::<f64>().ok()),
            r.metrics.get(metric),
        ) else {
            continue;
        };
        let name = series
            .and_then(|s| r.params.get(s).cloned())
            .unwrap_or_else(|| metric.to_string());
        lines.entry(name).or_default().push((xv, *yv));
    }
    if lines.is_empty() {
        return Err(SweepError::Plot(format!(
            "no ok points with `{x}` and `{metric}`"
        )));
    }
    for v in lines.values_mut() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let all: Vec<(f64, f64)> = lines.values().flatten().copied().collect();
    let (xmin, xmax) = all
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let ymax = all.iter().fold(0f64, |a, p| a.max(p.1)) * 1.1 + 1e-9;
    let ymin = all.iter().fold(f64::MAX, |a, p| a.min(p.1));
    let log_x = xmin > 0.0 && xmax / xmin >= 8.0;
    let log_y = ymin > 0.0 && ymax / ymin >= 8.0;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let xr = if log_x {
        (xmin.log2() - 0.2)..(xmax.log2() + 0.2)
    } else {
        (xmin - 0.5)..(xmax + 0.5)
    };
    let yr = if log_y {
        (ymin.log2() - 0.3)..(ymax.log2() + 0.2)
    } else {
        0f64..ymax
    };
    let xdesc = if log_x {
        format!("log2({x})")
    } else {
        x.to_string()
    };
    let ydesc = if log_y {
        format!("log2({metric})")
    } else {
        metric.to_string()
    };
    let series: Vec<(String, Vec<(f64, f64)>)> = lines
        .into_iter()
        .map(|(name, pts)| {
            let pts = pts
                .iter()
                .map(|(a, b)| {
                    let xv = if log_x { a.log2() } else { *a };
                    (xv, if log_y { b.log2() } else { *b })
                })
                .collect();
            (name, pts)
        })
        .collect();
    let chart = crate::plot::Chart {
        title,
        size: (720, 440),
        x: xr,
        y: yr,
        x_desc: &xdesc,
        y_desc: &ydesc,
        y_label_width: 60,
    };
    crate::plot::line_chart(path, &chart, &series).map_err(SweepError::Plot)
}

/// The figures of one flow's report, named `<flow>.<figure>`.
pub fn metrics_of(r: &nicc_synth::SynthReport) -> BTreeMap<String, f64> {
    use nicc_synth::FlowResult;
    let mut m = BTreeMap::new();
    let f = r.flow.name();
    match &r.result {
        FlowResult::Generic(g) => {
            m.insert(format!("{f}.cells"), g.stats.cells as f64);
            m.insert(format!("{f}.flip_flops"), g.flip_flops as f64);
            m.insert(format!("{f}.logic_depth"), g.logic_depth as f64);
        }
        FlowResult::Asic(a) => {
            m.insert(format!("{f}.area_um2"), a.area_um2);
            m.insert(format!("{f}.ff_area_um2"), a.ff_area_um2);
            m.insert(format!("{f}.comb_area_um2"), a.area_um2 - a.ff_area_um2);
            m.insert(format!("{f}.worst_path_ns"), a.timing.worst_path_ns);
            if let Some(x) = a.timing.fmax_mhz {
                m.insert(format!("{f}.fmax_mhz"), x);
            }
        }
        FlowResult::Ice40(i) => {
            m.insert(format!("{f}.lut4"), i.design_cells.lut4 as f64);
            m.insert(format!("{f}.carry"), i.design_cells.carry as f64);
            m.insert(format!("{f}.dff"), i.design_cells.dff as f64);
            if let nicc_synth::Ice40Fit::Fits {
                logic_cells, fmax, ..
            } = &i.fit
            {
                m.insert(format!("{f}.logic_cells"), *logic_cells as f64);
                if let Some(x) = fmax {
                    m.insert(format!("{f}.fmax_mhz_min"), x.min_mhz);
                    m.insert(format!("{f}.fmax_mhz_median"), x.median_mhz);
                    m.insert(format!("{f}.fmax_mhz_max"), x.max_mhz);
                }
            }
        }
    }
    m
}

/// Runs the shard of a sweep of registry design `block`: each point is generated and put
/// through every flow; a point that fails is a row with its error, not an abort. A parameter
/// both fixed and varied, or varied twice, is an error before anything runs
/// ([`check_keys`]).
pub fn run_sweep(
    block: &str,
    fixed: &[(String, String)],
    vary: &[Vary],
    flows: &[nicc_synth::Flow],
    opts: &nicc_synth::Options,
    shard: Shard,
    mut progress: impl FnMut(usize, usize),
) -> Result<SweepResult, SweepError> {
    check_keys(fixed, vary)?;
    let pts = points(fixed, vary, shard);
    let mut rows = Vec::new();
    for (k, p) in pts.iter().enumerate() {
        progress(k, pts.len());
        let mut row = Row {
            index: p.index,
            params: p.settings.iter().cloned().collect(),
            status: "ok".into(),
            metrics: BTreeMap::new(),
        };
        match nicc_rtl::blocks::registry::generate(block, &p.settings, None) {
            Err(e) => row.status = e.to_string(),
            Ok(d) => {
                for run in nicc_synth::run_flows(&d, flows, opts, false) {
                    match run.result {
                        Ok(r) => row.metrics.extend(metrics_of(&r)),
                        Err(e) => {
                            row.status = format!("{}: {e}", run.flow.name());
                            break;
                        }
                    }
                }
            }
        }
        rows.push(row);
    }
    progress(pts.len(), pts.len());
    Ok(SweepResult {
        block: block.to_string(),
        vary: vary.to_vec(),
        fixed: fixed.to_vec(),
        shard,
        abc_fast: opts.abc_fast,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<Vary> {
        vec![
            Vary::parse("style=binary,dadda").unwrap(),
            Vary::parse("inputs=16,64,256").unwrap(),
        ]
    }

    #[test]
    fn grid_order_and_shards_partition_it() {
        let all = points(&[("width".into(), "8".into())], &grid(), Shard::ALL);
        assert_eq!(all.len(), 6);
        assert_eq!(
            all[4].settings,
            vec![
                ("width".to_string(), "8".to_string()),
                ("style".into(), "dadda".into()),
                ("inputs".into(), "64".into())
            ]
        );
        let mut joined: Vec<Point> = (0..4)
            .flat_map(|i| {
                points(
                    &[("width".into(), "8".into())],
                    &grid(),
                    Shard { index: i, count: 4 },
                )
            })
            .collect();
        joined.sort_by_key(|p| p.index);
        assert_eq!(joined, all);
    }

    #[test]
    fn parse_errors_are_clear() {
        assert_eq!(
            Vary::parse("inputs").unwrap_err().to_string(),
            "malformed --vary `inputs`: expected KEY=V1,V2,... (e.g. --vary inputs=16,64,256)"
        );
        assert!(Vary::parse("inputs=1,,2").is_err());
        assert_eq!(
            Vary::parse("width=2,4, 2").unwrap_err().to_string(),
            "--vary width lists `2` twice: give each value once"
        );
        assert!(Shard::parse("2/2").is_err());
        assert!(Shard::parse("x/2").is_err());
        assert_eq!(Shard::parse("1/3").unwrap(), Shard { index: 1, count: 3 });
    }

    #[test]
    fn a_parameter_is_fixed_or_varied_once() {
        let width: Vec<(String, String)> = vec![("width".into(), "8".into())];
        assert!(check_keys(&width, &grid()).is_ok());
        let e = check_keys(&[("inputs".into(), "4".into())], &grid()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`inputs` is given by --set and by --vary: give each parameter once"
        );
        let mut twice = grid();
        twice.push(Vary::parse("style=wallace").unwrap());
        let e = check_keys(&width, &twice).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`style` is given by two --vary: give each parameter once"
        );
    }

    fn result(shard: Shard) -> SweepResult {
        let rows = points(&[], &grid(), shard)
            .into_iter()
            .map(|p| Row {
                index: p.index,
                params: p.settings.into_iter().collect(),
                status: "ok".into(),
                metrics: [("cells".to_string(), p.index as f64 * 10.0)].into(),
            })
            .collect();
        SweepResult {
            block: "adder-tree".into(),
            vary: grid(),
            fixed: vec![],
            shard,
            abc_fast: false,
            rows,
        }
    }

    #[test]
    fn merge_refuses_shards_of_different_abc_scripts() {
        let mut parts: Vec<SweepResult> = (0..2)
            .map(|i| result(Shard { index: i, count: 2 }))
            .collect();
        parts[1].abc_fast = true;
        let e = merge(&parts).unwrap_err().to_string();
        assert!(e.contains("shard 1/2 is of a different sweep"), "{e}");
        parts[0].abc_fast = true;
        let m = merge(&parts).unwrap();
        assert!(m.abc_fast);
        // The flag survives the JSON file; files without it read as the default script.
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"abc_fast\":true"));
        let plain = serde_json::to_string(&result(Shard::ALL)).unwrap();
        assert!(!plain.contains("abc_fast"));
        let back: SweepResult = serde_json::from_str(&plain).unwrap();
        assert!(!back.abc_fast);
    }

    #[test]
    fn merge_checks_completeness() {
        let parts: Vec<SweepResult> = (0..3)
            .map(|i| result(Shard { index: i, count: 3 }))
            .collect();
        assert_eq!(merge(&parts).unwrap(), result(Shard::ALL));
        let e = merge(&parts[..2]).unwrap_err().to_string();
        assert_eq!(e, "cannot merge: shard 2/3 is missing");
        let e = merge(&[parts[0].clone(), parts[0].clone()])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "cannot merge: shard 0/3 given twice");
    }

    /// A shard file can claim any shard and grid: each impossible one is an error naming it,
    /// not an index out of bounds or an allocation of `count` flags.
    #[test]
    fn merge_refuses_impossible_shards() {
        let err = |parts: &[SweepResult]| merge(parts).unwrap_err().to_string();
        let mut bad = result(Shard { index: 0, count: 2 });
        bad.shard = Shard { index: 5, count: 2 };
        let e = err(&[result(Shard { index: 0, count: 2 }), bad.clone()]);
        assert!(e.contains("shard 5/2 is not a shard I/N"), "{e}");
        bad.shard = Shard { index: 0, count: 0 };
        assert!(err(&[bad.clone()]).contains("shard 0/0 is not a shard I/N"));
        let mut huge = result(Shard::ALL);
        huge.shard = Shard {
            index: 0,
            count: 1 << 60,
        };
        assert_eq!(
            err(&[huge]),
            "cannot merge: shard 1/1152921504606846976 is missing"
        );
        let mut flat = result(Shard::ALL);
        flat.vary.clear();
        assert!(err(&[flat]).contains("it varies no parameter"));
        let mut empty = result(Shard::ALL);
        empty.vary[0].values.clear();
        assert!(err(&[empty]).contains("`style` has no name or no values"));
        let mut again = result(Shard::ALL);
        let first = again.vary[0].values[0].clone();
        again.vary[0].values.push(first);
        assert!(err(&[again]).contains("varied parameter `style` lists `binary` twice"));
        let mut outside = result(Shard::ALL);
        outside.rows[0].index = 99;
        assert!(err(&[outside]).contains("row index 99 is outside the grid's 6 points"));
    }

    #[test]
    fn a_file_that_is_no_sweep_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let mut r = result(Shard::ALL);
        r.shard = Shard { index: 3, count: 2 };
        std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
        let e = SweepResult::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("s.json: not a valid nicc sweep result: shard 3/2 is not a shard I/N"),
            "{e}"
        );
    }

    #[test]
    fn files_round_trip_and_plot() {
        let dir = tempfile::tempdir().unwrap();
        let r = result(Shard::ALL);
        r.write(&dir.path().join("s")).unwrap();
        assert_eq!(SweepResult::read(&dir.path().join("s.json")).unwrap(), r);
        let csv = std::fs::read_to_string(dir.path().join("s.csv")).unwrap();
        assert_eq!(
            csv.lines().next().unwrap(),
            "index,inputs,style,status,cells"
        );
        assert_eq!(csv.lines().nth(2).unwrap(), "1,64,binary,ok,10");
        let svg = dir.path().join("p.svg");
        plot_svg(&r, "inputs", Some("style"), "cells", "cells", &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.contains("dadda"));
        assert!(
            !text.contains("log2(cells)"),
            "a zero value keeps the y axis linear"
        );
        let mut grown = r.clone();
        for row in &mut grown.rows {
            let n: f64 = row.params["inputs"].parse().unwrap();
            row.metrics.insert("cells".into(), n * n);
        }
        plot_svg(&grown, "inputs", Some("style"), "cells", "cells", &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("log2(cells)") && text.contains("log2(inputs)"));
        assert!(SweepResult::read(&dir.path().join("s.csv")).is_err());
    }
}
