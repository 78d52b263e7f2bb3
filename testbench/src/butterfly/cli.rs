//! `nicc sim butterfly`: run JSON-lines vectors through the Verilated router and the golden model.
//!
//! Input line, by mode:
//! - compact, expand: `{"values": [N ints], "mask": [N 0/1]}` (mask optional with
//!   `mask=nonzero`);
//! - permute: `{"values": [...], "perm": [N ints]}`, output j = `values[perm[j]]`;
//! - multicast: `{"values": [...], "dests": [[outputs of input 0], ...]}` (N lists), every
//!   listed output gets that input, the others zero.
//!
//! `perm` and `dests` are configurations: routed in Rust and loaded through the router's
//! configuration port. The first line must give one; a later line without one reuses it.
//!
//! Output line: `{"values": [...], "index": [...], "count": K}` as read from the RTL (the beats
//! of a multi-beat result joined in order); see [`sim_jsonl`] for `index` and `count` per mode.

use super::{golden, pack, unpack};
use anyhow::{anyhow, bail, Context};
use nicc_rtl::blocks::butterfly::{
    benes, generate, multicast, multicast_config_bits, permute_config_bits, ButterflyParams,
    MaskSource, Mode,
};
use nicc_rtl::Bits;
use nicc_sim::{Model, Port};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
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
    #[serde(default)]
    perm: Option<Vec<usize>>,
    #[serde(default)]
    dests: Option<Vec<Vec<usize>>>,
}

/// The handshake ports of a pipelined or multi-beat router.
#[derive(Clone, Copy)]
struct Handshake {
    in_valid: Port,
    in_ready: Port,
    out_valid: Port,
    out_ready: Port,
}

/// One output beat as read from the RTL (`index` and `count` empty and 0 without those ports,
/// `valid` empty without `out_valid_lanes`).
struct Beat {
    values: Vec<u64>,
    index: Vec<u64>,
    count: u64,
    valid: Vec<u64>,
}

#[derive(Serialize)]
struct OutLine {
    values: Vec<u64>,
    index: Vec<u64>,
    count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid: Option<Vec<u64>>,
}

/// A configuration loaded into a permute or multicast router.
enum Config {
    Perm(Vec<usize>),
    Dests(Vec<Vec<usize>>),
}

fn check_field(line: usize, field: &str, rtl: &[u64], gold: &[u64]) -> anyhow::Result<()> {
    if rtl != gold {
        bail!("line {line}: field `{field}` mismatch: RTL {rtl:?}, golden model {gold:?}");
    }
    Ok(())
}

/// The mask of one compact or expand line: given, or the non-zero lanes with `mask=nonzero`.
fn line_mask(p: &ButterflyParams, line: usize, v: &InLine) -> anyhow::Result<Vec<bool>> {
    let n = p.lanes;
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
    Ok(mask)
}

/// Rejects the fields `mode` does not read, naming the line and the mode that reads them.
fn check_fields(mode: Mode, line: usize, v: &InLine) -> anyhow::Result<()> {
    let given = [
        (
            "mask",
            v.mask.is_some(),
            [Mode::Compact, Mode::Expand].as_slice(),
        ),
        ("perm", v.perm.is_some(), [Mode::Permute].as_slice()),
        ("dests", v.dests.is_some(), [Mode::Multicast].as_slice()),
    ];
    for (field, present, readers) in given {
        if present && !readers.contains(&mode) {
            let modes: Vec<String> = readers.iter().map(Mode::to_string).collect();
            bail!(
                "line {line}: `{field}` is read only with mode = {}; this router is mode = {mode}",
                modes.join(" or ")
            );
        }
    }
    Ok(())
}

/// The line's new configuration, routed for the configuration port, if it gives one.
fn line_config(n: usize, line: usize, v: &InLine) -> anyhow::Result<Option<(Config, Bits)>> {
    if let Some(perm) = &v.perm {
        if perm.len() != n {
            bail!(
                "line {line}: `perm` has {} entries, expected lanes = {n}",
                perm.len()
            );
        }
        let routed = benes::route(perm).map_err(|e| anyhow!("line {line}: `perm`: {e}"))?;
        return Ok(Some((
            Config::Perm(perm.clone()),
            permute_config_bits(&routed),
        )));
    }
    if let Some(dests) = &v.dests {
        if dests.len() != n {
            bail!(
                "line {line}: `dests` has {} lists, expected one per lane (lanes = {n})",
                dests.len()
            );
        }
        let routed = multicast::route_destinations(dests)
            .map_err(|e| anyhow!("line {line}: `dests`: {e}"))?;
        return Ok(Some((
            Config::Dests(dests.clone()),
            multicast_config_bits(&routed),
        )));
    }
    Ok(None)
}

/// Runs every line of `input` through the RTL for `params` and the golden model, writes the
/// RTL's outputs to `output`, and fails on the first malformed line or mismatch, naming the
/// line (1-based) and the field (and the beat, for a multi-beat result). `output` is checked
/// before the model is built ([`crate::outputs::check`]: its directory exists, it is not
/// `input`) and written only when every line passed.
///
/// Output `index` and `count` per mode:
/// - compact: the RTL's `out_index` and `out_count` (the source lane of each packed value);
/// - expand: the mask positions and their number;
/// - permute: `perm` (the source lane of each output) and N;
/// - multicast: the source lane of each output (0 for an output without one) and the number
///   of outputs with a source; the line also has `valid`, the RTL's `out_valid_lanes`.
///
/// A permute or multicast line with `perm` or `dests` loads that configuration in one clock
/// cycle (`cfg_we` high, no vector offered) before its vector is driven.
///
/// A pipelined or multi-beat router (`pipeline > 0` or `out_lanes < lanes`) is reset, then
/// driven one vector at a time with `out_ready` high: the vector is offered until `in_ready`
/// takes it, and every beat is read in the cycle `out_valid` shows it. Each beat is checked
/// against the golden model's; the output line joins the beats into the one-beat layout
/// (`lanes` entries, zero past the count).
pub fn sim_jsonl(params: &ButterflyParams, input: &Path, output: &Path) -> anyhow::Result<Summary> {
    let p = params.clone();
    p.validate()?;
    crate::outputs::check(&[("--input", input)], &[("--out", output, ".jsonl")])?;
    if p.width > 64 {
        bail!(
            "nicc sim butterfly accepts width up to 64 bits; got {}",
            p.width
        );
    }
    let (n, d) = (p.lanes, p.width as u32);
    let k_out = p.out_lanes;
    let lw = p.lanes.trailing_zeros();
    let configured = matches!(p.mode, Mode::Permute | Mode::Multicast);
    let design = generate(&p, "butterfly")?;
    let mut m = Model::build(&design).context("building the Verilator model")?;
    let port = |m: &Model, name: &str| m.port(name);
    let in_data = port(&m, "in_data")?;
    let in_mask = if p.mask == MaskSource::External && !configured {
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
    let out_valid_lanes = if p.mode == Mode::Multicast {
        Some(port(&m, "out_valid_lanes")?)
    } else {
        None
    };
    let cfg_port = if configured {
        Some((port(&m, "cfg_we")?, port(&m, "cfg_data")?))
    } else {
        None
    };
    // Pipelined or multi-beat: valid/ready on both sides, results in beats.
    let handshake = if p.pipeline > 0 || k_out < n {
        m.reset(2).context("resetting the model")?;
        Some(Handshake {
            in_valid: port(&m, "in_valid")?,
            in_ready: port(&m, "in_ready")?,
            out_valid: port(&m, "out_valid")?,
            out_ready: port(&m, "out_ready")?,
        })
    } else {
        None
    };
    let latency = p.stages().checked_div(p.pipeline).unwrap_or(0);
    // Lanes of one output beat: K for compaction, N otherwise.
    let beat_lanes = if p.mode == Mode::Compact { k_out } else { n };
    // One beat of the outputs as they are now.
    let read_beat = |m: &mut Model| -> Beat {
        let values = unpack(&m.get(out_data), beat_lanes, d);
        let (index, count) = match (out_index, out_count) {
            (Some(pi), Some(pc)) => (
                unpack(&m.get(pi), beat_lanes, lw),
                m.get(pc).to_u64().unwrap_or(u64::MAX),
            ),
            _ => (Vec::new(), 0),
        };
        let valid = out_valid_lanes.map_or_else(Vec::new, |pv| unpack(&m.get(pv), n, 1));
        Beat {
            values,
            index,
            count,
            valid,
        }
    };
    let reader = std::io::BufReader::new(
        std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?,
    );
    // Written once every line passed: a bad line or a mismatch leaves an existing file as it
    // was, not half overwritten.
    let mut out = Vec::new();
    let mut loaded: Option<Config> = None;
    let mut vectors = 0;
    for (i, text) in reader.lines().enumerate() {
        let line = i + 1;
        let text = text.with_context(|| format!("line {line}: reading"))?;
        if text.trim().is_empty() {
            continue;
        }
        let v: InLine =
            serde_json::from_str(&text).map_err(|e| anyhow!("line {line}: bad JSON: {e}"))?;
        check_fields(p.mode, line, &v)?;
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
        // A new configuration: one clock edge with `cfg_we` high and no vector offered.
        if let (Some((we, data)), Some((cfg, bits))) = (cfg_port, line_config(n, line, &v)?) {
            m.set(data, &bits)?;
            m.set_u64(we, 1)?;
            if let Some(h) = handshake {
                m.set_u64(h.in_valid, 0)?;
            }
            m.eval();
            m.step()?;
            m.set_u64(we, 0)?;
            loaded = Some(cfg);
        }
        if configured && loaded.is_none() {
            let field = if p.mode == Mode::Permute {
                "perm"
            } else {
                "dests"
            };
            bail!("line {line}: no configuration loaded yet: the first line needs `{field}`");
        }
        let mask = if configured {
            Vec::new()
        } else {
            line_mask(&p, line, &v)?
        };
        m.set(in_data, &pack(&v.values, d))?;
        if let Some(pm) = in_mask {
            let bits: Vec<u64> = mask.iter().map(|&b| u64::from(b)).collect();
            m.set(pm, &pack(&bits, 1))?;
        }
        // The golden compaction (its beats say how many the RTL must deliver).
        let gold = match p.mode {
            Mode::Compact => Some(
                golden::compact(&v.values, &mask, k_out)
                    .map_err(|e| anyhow!("line {line}: {e}"))?,
            ),
            _ => None,
        };
        let want_beats = gold.as_ref().map_or(1, |g| g.beats.len());
        let beats = match handshake {
            None => {
                m.eval();
                vec![read_beat(&mut m)]
            }
            Some(h) => {
                // Offer the vector until it is taken; take every beat in the cycle it shows.
                let limit = latency + want_beats + 16;
                let mut beats = Vec::new();
                let mut taken = false;
                for _ in 0..limit {
                    m.set_u64(h.in_valid, u64::from(!taken))?;
                    m.set_u64(h.out_ready, 1)?;
                    m.eval();
                    // Only this vector is in the router: with no pipeline register its
                    // beats show while it is still offered (it is taken with the last one).
                    if m.get_u64(h.out_valid) == 1 {
                        beats.push(read_beat(&mut m));
                    }
                    let take = !taken && m.get_u64(h.in_ready) == 1;
                    m.step()?;
                    taken |= take;
                    if taken && beats.len() >= want_beats {
                        break;
                    }
                }
                if beats.len() < want_beats {
                    bail!(
                        "line {line}: the RTL delivered {} of {want_beats} beats in {limit} cycles",
                        beats.len()
                    );
                }
                m.set_u64(h.in_valid, 0)?;
                beats
            }
        };
        let record = if let Some(g) = gold {
            let mut values = Vec::new();
            let mut index = Vec::new();
            for (b, (rb, gb)) in beats.iter().zip(&g.beats).enumerate() {
                let gi: Vec<u64> = gb.index.iter().map(|&x| x as u64).collect();
                let what = |f: &str| {
                    if g.beats.len() > 1 {
                        format!("{f}` of beat `{b}")
                    } else {
                        f.to_string()
                    }
                };
                check_field(line, &what("values"), &rb.values, &gb.values)?;
                check_field(line, &what("index"), &rb.index, &gi)?;
                check_field(line, &what("count"), &[rb.count], &[g.count as u64])?;
                values.extend(&rb.values);
                index.extend(&rb.index);
            }
            // The beats joined into the one-beat layout: N lanes, zero past the count.
            values.resize(n, 0);
            index.resize(n, 0);
            OutLine {
                values,
                index,
                count: beats[0].count,
                valid: None,
            }
        } else {
            let rb = &beats[0];
            let err = |e: golden::GoldenError| anyhow!("line {line}: {e}");
            match &loaded {
                None => {
                    let g = golden::expand(&v.values, &mask).map_err(err)?;
                    check_field(line, "values", &rb.values, &g)?;
                    let index: Vec<u64> = (0..n).filter(|&j| mask[j]).map(|j| j as u64).collect();
                    OutLine {
                        values: rb.values.clone(),
                        count: index.len() as u64,
                        index,
                        valid: None,
                    }
                }
                Some(Config::Perm(perm)) => {
                    let g = golden::permute(&v.values, perm).map_err(err)?;
                    check_field(line, "values", &rb.values, &g)?;
                    OutLine {
                        values: rb.values.clone(),
                        index: perm.iter().map(|&x| x as u64).collect(),
                        count: n as u64,
                        valid: None,
                    }
                }
                Some(Config::Dests(dests)) => {
                    let g = golden::multicast(&v.values, dests).map_err(err)?;
                    let mut index = vec![0u64; n];
                    let mut valid = vec![0u64; n];
                    for (src, list) in dests.iter().enumerate() {
                        for &j in list {
                            index[j] = src as u64;
                            valid[j] = 1;
                        }
                    }
                    check_field(line, "values", &rb.values, &g)?;
                    check_field(line, "valid", &rb.valid, &valid)?;
                    OutLine {
                        values: rb.values.clone(),
                        index,
                        count: valid.iter().sum(),
                        valid: Some(valid),
                    }
                }
            }
        };
        serde_json::to_writer(&mut out, &record)?;
        writeln!(out)?;
        vectors += 1;
    }
    crate::outputs::write_atomically(output, |w| w.write_all(&out), |e| e)
        .with_context(|| format!("writing {}", output.display()))?;
    Ok(Summary {
        vectors,
        mismatches: 0,
    })
}
