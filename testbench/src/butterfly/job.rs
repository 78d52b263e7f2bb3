//! The butterfly router in `nicc run`: compact, 16 lanes x 8 bits, mask = nonzero.

use super::{golden, pack};
use crate::run::{growth_plot, Job, Series, Verified};
use anyhow::{anyhow, Result};
use nicc_rtl::blocks::butterfly::{generate, ButterflyParams, MaskSource, Mode};
use nicc_rtl::{Bits, Design};
use nicc_sim::Model;
use nicc_synth::Flow;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// `nicc run` job for the sparse butterfly router on its default parameters.
pub struct ButterflyJob;

impl ButterflyJob {
    /// The default parameters: compact, 16 lanes x 8 bits, nonzero mask, combinational.
    pub fn params() -> ButterflyParams {
        ButterflyParams {
            lanes: 16,
            width: 8,
            mode: Mode::Compact,
            mask: MaskSource::Nonzero,
            out_lanes: 16,
            pipeline: 0,
        }
    }
}

impl Job for ButterflyJob {
    fn name(&self) -> &'static str {
        "butterfly"
    }

    fn design(&self) -> Result<Design> {
        generate(&Self::params(), "butterfly").map_err(|e| anyhow!("{e}"))
    }

    fn verify(&self, d: &Design, quick: bool, vcd: &Path) -> Result<Verified> {
        let (mut m, mut t) = crate::run::job_models(d, vcd)?;
        let (vectors, mismatches) = drive(&mut m, if quick { 40 } else { 600 })?;
        // A short waveform: two vectors per density.
        drive(&mut t, 2)?;
        Ok(Verified {
            vectors,
            mismatches,
            notes: "random masks at densities 0, 1 lane, 25/50/75/100 %; out_data, out_index, \
                    out_count compared"
                .into(),
        })
    }

    /// The definition-level reference of [`super::formal`] (a rank decoder and an AND-OR
    /// crossbar), proven equal with `yosys-abc cec`.
    fn reference(&self) -> Result<Option<Design>> {
        Ok(Some(super::formal::reference(&Self::params())?))
    }

    fn plots(&self, dir: &Path, quick: bool) -> Result<Vec<std::path::PathBuf>> {
        // N log N vs N^2: the compaction network and the Benes permuter against a plain
        // N x N crossbar and against compaction done with a crossbar (selects computed from
        // the mask), 8-bit lanes, combinational, generic cells and logic depth vs N.
        let series = [
            Series::new(
                "compact",
                "butterfly",
                &[("width", "8"), ("mode", "compact")],
            ),
            Series::new(
                "permute",
                "butterfly",
                &[("width", "8"), ("mode", "permute")],
            ),
            Series::new("crossbar", "crossbar", &[("width", "8")]),
            Series::new("compaction crossbar", "crossbar-compact", &[("width", "8")]),
        ];
        let xs: &[&str] = if quick {
            &["4", "8"]
        } else {
            &["8", "16", "32", "64"]
        };
        growth_plot(
            "butterfly-vs-crossbar",
            &series,
            "lanes",
            xs,
            &[Flow::Generic],
            &[
                ("generic.cells", "router: generic cells vs lanes (D = 8)"),
                (
                    "generic.logic_depth",
                    "router: logic depth vs lanes (D = 8)",
                ),
            ],
            dir,
        )
    }

    fn throughput(&self, fmax_mhz: f64) -> Option<(f64, &'static str)> {
        let p = Self::params();
        Some(((p.lanes * p.width) as f64 * fmax_mhz / 1000.0, "Gb/s"))
    }
}

/// Drives `per_density` random vectors at each density (0, 25, 50, 75, 100 % and one lane)
/// through the job's design and compares every output with the golden compaction; returns
/// (vectors, mismatches).
fn drive(m: &mut Model, per_density: usize) -> Result<(u64, u64)> {
    let p = ButterflyJob::params();
    let (n, w) = (p.lanes, p.width as u32);
    let lw = n.trailing_zeros();
    let port = |m: &Model, s: &str| m.port(s).map_err(|e| anyhow!("{e}"));
    let (pi, pd, px, pc) = (
        port(m, "in_data")?,
        port(m, "out_data")?,
        port(m, "out_index")?,
        port(m, "out_count")?,
    );
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let (mut vectors, mut mismatches) = (0u64, 0u64);
    for density in [0.0, 0.25, 0.5, 0.75, 1.0, -1.0] {
        for _ in 0..per_density {
            let mask: Vec<bool> = if density < 0.0 {
                let one = rng.gen_range(0..n);
                (0..n).map(|i| i == one).collect()
            } else {
                (0..n).map(|_| rng.gen_bool(density)).collect()
            };
            let v: Vec<u64> = mask
                .iter()
                .map(|&b| if b { rng.gen_range(1..256) } else { 0 })
                .collect();
            m.set(pi, &pack(&v, w))?;
            m.eval();
            let g = golden::compact(&v, &mask, n)?;
            let idx: Vec<u64> = g.beats[0].index.iter().map(|&i| i as u64).collect();
            let ok = m.get(pd) == pack(&g.beats[0].values, w)
                && m.get(px) == pack(&idx, lw)
                && m.get(pc) == Bits::from_u64(lw + 1, g.count as u64);
            vectors += 1;
            mismatches += u64::from(!ok);
        }
    }
    Ok((vectors, mismatches))
}
