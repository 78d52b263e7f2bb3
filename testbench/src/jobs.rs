//! The blocks `nicc run` knows, each a [`Job`].

use crate::run::{growth_plot, Job, Series, Verified};
use anyhow::Result;
use nicc_rtl::blocks::adder_tree::{self, AdderTreeParams};
use nicc_rtl::{blocks::demo, emit, Bits, Design};
use nicc_synth::{AlgebraVerdict, Flow};
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::Duration;

/// The HDL core's two-level adder hierarchy (`hier-sum4`, 8 bits): the smallest end-to-end
/// example of the ladder.
pub struct HierSumJob;

impl Job for HierSumJob {
    fn name(&self) -> &'static str {
        "hier-sum4"
    }

    fn design(&self) -> Result<Design> {
        Ok(emit(&demo::hier_sum4(8)?)?)
    }

    fn verify(&self, d: &Design, quick: bool, vcd: &Path) -> Result<Verified> {
        let n = if quick { 1000 } else { 5000 };
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let (mut m, mut t) = crate::run::job_models(d, vcd)?;
        let cycles: Vec<Vec<Bits>> = (0..n)
            .map(|_| {
                (0..4)
                    .map(|_| Bits::from_u64(8, r.gen::<u8>() as u64))
                    .collect()
            })
            .collect();
        let outs = m.run_batch(&cycles)?;
        let mismatches = cycles
            .iter()
            .zip(&outs)
            .filter(|(i, o)| {
                let want: u64 = i.iter().map(|b| b.to_u64().unwrap_or(0)).sum();
                o[0].to_u64() != Some(want)
            })
            .count() as u64;
        // A short waveform of the first vectors.
        t.run_batch(&cycles[..16.min(cycles.len())])?;
        Ok(Verified {
            vectors: n as u64,
            mismatches,
            notes: String::new(),
        })
    }

    fn reference(&self) -> Result<Option<Design>> {
        Ok(Some(emit(&demo::hier_sum4_reference(8)?)?))
    }
}

/// The adder tree on its default parameters (`AdderTreeParams::default()`).
pub struct AdderTreeJob;

impl Job for AdderTreeJob {
    fn name(&self) -> &'static str {
        "adder-tree"
    }

    fn design(&self) -> Result<Design> {
        let p = AdderTreeParams::default();
        Ok(emit(&adder_tree::generate(&p, "adder_tree")?)?)
    }

    fn verify(&self, d: &Design, quick: bool, vcd: &Path) -> Result<Verified> {
        let p = AdderTreeParams::default();
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let vecs =
            crate::adder_tree::stimulus::vectors(&p, if quick { 1000 } else { 5000 }, &mut r);
        let (mut m, mut t) = crate::run::job_models(d, vcd)?;
        let names: Vec<String> = m.batch_inputs().iter().map(|p| p.name.clone()).collect();
        let row = |v: &Bits, valid: bool, rst: bool| -> Vec<Bits> {
            names
                .iter()
                .map(|n| match n.as_str() {
                    "in_data" => v.clone(),
                    "in_valid" => Bits::from_u64(1, valid as u64),
                    "rst" => Bits::from_u64(1, rst as u64),
                    _ => Bits::zero(1),
                })
                .collect()
        };
        let lat = p.pipeline as usize;
        let mut cycles: Vec<Vec<Bits>> = Vec::new();
        if lat > 0 {
            cycles.push(row(&vecs[0], false, true));
        }
        cycles.extend(vecs.iter().map(|v| row(v, true, false)));
        cycles.extend((0..lat).map(|_| row(&vecs[0], false, false)));
        let outs = m.run_batch(&cycles)?;
        let start = if lat > 0 { lat } else { 0 };
        let sum_idx = m
            .batch_outputs()
            .iter()
            .position(|p| p.name == "out_sum")
            .ok_or_else(|| anyhow::anyhow!("adder tree without out_sum"))?;
        let mismatches = vecs
            .iter()
            .enumerate()
            .filter(|(i, v)| {
                crate::adder_tree::golden::check(&p, v, &outs[start + i][sum_idx]).is_err()
            })
            .count() as u64;
        t.run_batch(&cycles[..16.min(cycles.len())])?;
        Ok(Verified {
            vectors: vecs.len() as u64,
            mismatches,
            notes: String::new(),
        })
    }

    /// The algebraic proof (backward rewriting, final adder split off and shown linear on
    /// every value of its boundary) against `out_sum = sum of the operands`, written from the interface.
    fn prove(&self, d: &Design, limit: Option<Duration>) -> Result<Option<(bool, String)>> {
        let r =
            crate::adder_tree::formal::prove_design(d, &AdderTreeParams::default(), true, limit)?;
        Ok(Some((r.verdict == AlgebraVerdict::Proven, r.to_string())))
    }

    fn plots(&self, dir: &Path, quick: bool) -> Result<Vec<std::path::PathBuf>> {
        // Combinational trees (pipeline 0), 8-bit operands, every carry-save style against
        // the binary tree: cells (generic) and combinational area (OSU 0.18 um) vs N.
        let series: Vec<Series> = ["binary", "wallace", "dadda", "compressor42"]
            .iter()
            .map(|s| Series::new(s, "adder-tree", &[("width", "8"), ("style", s)]))
            .collect();
        let xs: &[&str] = if quick {
            &["4", "8"]
        } else {
            &["8", "16", "32", "64"]
        };
        growth_plot(
            "adder-tree-styles",
            &series,
            "inputs",
            xs,
            &[Flow::Generic, Flow::Asic],
            &[
                (
                    "generic.cells",
                    "adder tree: generic cells vs inputs (W = 8)",
                ),
                (
                    "asic.comb_area_um2",
                    "adder tree: OSU 0.18 um area vs inputs (W = 8)",
                ),
            ],
            dir,
        )
    }

    fn throughput(&self, fmax_mhz: f64) -> Option<(f64, &'static str)> {
        let p = AdderTreeParams::default();
        // One N-operand sum per cycle: N - 1 additions.
        Some(((p.inputs as f64 - 1.0) * fmax_mhz / 1e3, "G add/s"))
    }
}

/// Every job, in report order.
pub fn all() -> Vec<Box<dyn Job>> {
    vec![
        Box::new(AdderTreeJob),
        Box::new(crate::butterfly::job::ButterflyJob),
        Box::new(crate::cim::job::CimJob),
        Box::new(crate::packet::job::PacketJob),
        Box::new(HierSumJob),
        Box::new(crate::sparse_ffn::job::SparseFfnJob),
    ]
}
