//! `nicc sim butterfly`: run JSON-lines vectors through the Verilated router and the golden model.
//!
//! Input line: `{"values": [N ints], "mask": [N 0/1]}` (mask optional with `mask=nonzero`).
//! Output line: `{"values": [...], "index": [...], "count": K}` as read from the RTL.

use super::{golden, pack, unpack};
use anyhow::{anyhow, bail, Context};
use nicc_rtl::blocks::butterfly::{generate, ButterflyParams, MaskSource, Mode};
use nicc_sim::Model;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

/// What [`sim_jsonl`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Vectors read and checked.
    pub vectors: usize,
    /// Vectors whose RTL output differed from the golden model (always 0 on success).
    pub mismatches: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InLine {
    values: Vec<u64>,
    #[serde(default)]
    mask: Option<Vec<u8>>,
}

#[derive(Serialize)]
struct OutLine {
    values: Vec<u64>,
    index: Vec<u64>,
    count: u64,
}

fn check_field(line: usize, field: &str, rtl: &[u64], gold: &[u64]) -> anyhow::Result<()> {
    if rtl != gold {
        bail!("line {line}: field `{field}` mismatch: RTL {rtl:?}, golden model {gold:?}");
    }
    Ok(())
}

/// Runs every line of `input` through the RTL for `params` (compact or expand, combinational,
/// one beat) and the golden model, writes the RTL's outputs to `output`, and fails on the first
/// malformed line or mismatch, naming the line (1-based) and the field.
pub fn sim_jsonl(params: &ButterflyParams, input: &Path, output: &Path) -> anyhow::Result<Summary> {
    let mut p = params.clone();
    p.validate().map_err(|e| anyhow!("{e}"))?;
    if !matches!(p.mode, Mode::Compact | Mode::Expand) {
        bail!(
            "nicc sim butterfly supports mode = compact or expand; got {}",
            p.mode
        );
    }
    if p.pipeline != 0 || p.out_lanes != p.lanes {
        bail!(
            "nicc sim butterfly needs pipeline = 0 and out_lanes = lanes (one combinational beat)"
        );
    }
    if p.width > 64 {
        bail!(
            "nicc sim butterfly accepts width up to 64 bits; got {}",
            p.width
        );
    }
    p.out_lanes = p.lanes;
    let (n, d) = (p.lanes, p.width as u32);
    let lw = p.lanes.trailing_zeros();
    let design = generate(&p, "butterfly").map_err(|e| anyhow!("{e}"))?;
    let mut m = Model::build(&design).context("building the Verilator model")?;
    let port = |m: &Model, name: &str| m.port(name).map_err(|e| anyhow!("{e}"));
    let in_data = port(&m, "in_data")?;
    let in_mask = if p.mask == MaskSource::External {
        Some(port(&m, "in_mask")?)
    } else {
        None
    };
    let out_data = port(&m, "out_data")?;
    let (out_index, out_count) = if p.mode == Mode::Compact {
        (Some(port(&m, "out_index")?), Some(port(&m, "out_count")?))
    } else {
        (None, None)
    };
    let reader = std::io::BufReader::new(
        std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?,
    );
    let mut out = BufWriter::new(
        std::fs::File::create(output).with_context(|| format!("creating {}", output.display()))?,
    );
    let mut vectors = 0;
    for (i, text) in reader.lines().enumerate() {
        let line = i + 1;
        let text = text.with_context(|| format!("line {line}: reading"))?;
        if text.trim().is_empty() {
            continue;
        }
        let v: InLine =
            serde_json::from_str(&text).map_err(|e| anyhow!("line {line}: bad JSON: {e}"))?;
        if v.values.len() != n {
            bail!(
                "line {line}: `values` has {} entries, expected lanes = {n}",
                v.values.len()
            );
        }
        if let Some((lane, x)) = v
            .values
            .iter()
            .enumerate()
            .find(|(_, &x)| d < 64 && x >> d != 0)
        {
            bail!("line {line}: `values`[{lane}] = {x} does not fit in width = {d} bits");
        }
        let mask: Vec<bool> = match (&v.mask, p.mask) {
            (Some(mk), _) => {
                if mk.len() != n {
                    bail!(
                        "line {line}: `mask` has {} entries, expected lanes = {n}",
                        mk.len()
                    );
                }
                if let Some(lane) = mk.iter().position(|&b| b > 1) {
                    bail!("line {line}: `mask`[{lane}] must be 0 or 1");
                }
                mk.iter().map(|&b| b == 1).collect()
            }
            (None, MaskSource::Nonzero) => golden::nonzero_mask(&v.values),
            (None, MaskSource::External) => {
                bail!("line {line}: `mask` is required with mask = external")
            }
        };
        if p.mask == MaskSource::Nonzero && mask != golden::nonzero_mask(&v.values) {
            bail!("line {line}: `mask` disagrees with the non-zero lanes of `values` (mask = nonzero)");
        }
        m.set(in_data, &pack(&v.values, d))
            .map_err(|e| anyhow!("{e}"))?;
        if let Some(pm) = in_mask {
            let bits: Vec<u64> = mask.iter().map(|&b| u64::from(b)).collect();
            m.set(pm, &pack(&bits, 1)).map_err(|e| anyhow!("{e}"))?;
        }
        m.eval();
        let values = unpack(&m.get(out_data), n, d);
        let record = if p.mode == Mode::Compact {
            let g =
                golden::compact(&v.values, &mask, n).map_err(|e| anyhow!("line {line}: {e}"))?;
            let index = unpack(&m.get(out_index.expect("compact has out_index")), n, lw);
            let count = m
                .get(out_count.expect("compact has out_count"))
                .to_u64()
                .unwrap_or(u64::MAX);
            let gi: Vec<u64> = g.beats[0].index.iter().map(|&x| x as u64).collect();
            check_field(line, "values", &values, &g.beats[0].values)?;
            check_field(line, "index", &index, &gi)?;
            check_field(line, "count", &[count], &[g.count as u64])?;
            OutLine {
                values,
                index,
                count,
            }
        } else {
            let g = golden::expand(&v.values, &mask).map_err(|e| anyhow!("line {line}: {e}"))?;
            check_field(line, "values", &values, &g)?;
            let index: Vec<u64> = (0..n).filter(|&j| mask[j]).map(|j| j as u64).collect();
            let count = index.len() as u64;
            OutLine {
                values,
                index,
                count,
            }
        };
        serde_json::to_writer(&mut out, &record)?;
        writeln!(out)?;
        vectors += 1;
    }
    out.flush()?;
    Ok(Summary {
        vectors,
        mismatches: 0,
    })
}
