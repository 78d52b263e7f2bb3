//! The blocks `nicc run` knows, each a [`Job`].

use crate::run::{Job, Verified};
use anyhow::Result;
use nicc_rtl::{blocks::demo, emit, Bits, Design};
use nicc_sim::{BuildOptions, Model};
use rand::{Rng, SeedableRng};
use std::path::Path;

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
        let mut m = Model::build(d)?;
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
        let opts = BuildOptions {
            trace: true,
            cache_dir: None,
        };
        let mut t = Model::build_with(d, &opts, Some(vcd))?;
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

/// Every job, in report order.
pub fn all() -> Vec<Box<dyn Job>> {
    vec![Box::new(HierSumJob)]
}
