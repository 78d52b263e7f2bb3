//! `nicc run` job of the sparse FFN tile: generate the default tile, co-simulate random and
//! adversarial vectors against the golden dense product.

use super::driver::SparseTile;
use super::golden::{adversarial_vectors, dense_product, random_vector, random_weights};
use crate::run::{Job, Verified};
use anyhow::{bail, Result};
use nicc_rtl::blocks::sparse_ffn::{generate, SparseFfnParams};
use nicc_rtl::{emit, Design};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// The sparse FFN tile on its default parameters.
pub struct SparseFfnJob;

impl Job for SparseFfnJob {
    fn name(&self) -> &'static str {
        "sparse-ffn"
    }

    fn design(&self) -> Result<Design> {
        Ok(emit(&generate(&SparseFfnParams::default(), "sparse_ffn")?)?)
    }

    fn verify(&self, d: &Design, quick: bool, vcd: &Path) -> Result<Verified> {
        let p = SparseFfnParams::default();
        let (mut m, mut t) = crate::run::job_models(d, vcd)?;
        let mut vectors = 0u64;
        let mut mismatches = 0u64;
        let per = if quick { 8 } else { 64 };
        for (k, ws) in [0.0, 0.5, 0.75, 0.9].into_iter().enumerate() {
            let w = random_weights(p.rows as usize, p.cols as usize, ws, 100 + k as u64);
            let mut tile = SparseTile::new(p.clone());
            tile.load(&mut m, &w)?;
            let mut rng = ChaCha8Rng::seed_from_u64(200 + k as u64);
            let mut xs: Vec<Vec<i64>> = adversarial_vectors(p.rows as usize, 4)
                .into_iter()
                .map(|(_, x)| x)
                .collect();
            for xsp in [0.0, 0.5, 0.9] {
                xs.extend((0..per).map(|_| random_vector(p.rows as usize, xsp, &mut rng)));
            }
            for x in &xs {
                let r = tile.run(&mut m, x)?;
                vectors += 1;
                if r.y != dense_product(x, &w) {
                    mismatches += 1;
                }
            }
        }
        // A short waveform of one vector.
        let w = random_weights(p.rows as usize, p.cols as usize, 0.75, 1);
        let mut tile = SparseTile::new(p.clone());
        tile.load(&mut t, &w)?;
        let x = random_vector(p.rows as usize, 0.5, &mut ChaCha8Rng::seed_from_u64(2));
        if tile.run(&mut t, &x)?.y != dense_product(&x, &w) {
            bail!("sparse tile: traced vector differs from the golden product");
        }
        Ok(Verified {
            vectors,
            mismatches,
            notes: "weight sparsity 0/50/75/90 %, activation sparsity 0/50/90 % and adversarial \
                    vectors, exact against the dense product"
                .into(),
        })
    }

    /// The toggle benchmark's plot (sparse vs dense toggles per vector over weight sparsity)
    /// at the size of docs/blocks/sparse-ffn.md, 32 x 8 in one-column groups, 16 vectors per
    /// point. Not with `quick`: its two toggle-counting models take a minute to build.
    fn plots(&self, dir: &Path, quick: bool) -> Result<Vec<std::path::PathBuf>> {
        if quick {
            return Ok(Vec::new());
        }
        super::bench::run(
            &super::bench::measured_params(),
            super::bench::Pruning::Unstructured,
            16,
            false,
            dir,
        )?;
        Ok(vec![dir.join("sparse-ffn-toggles.svg")])
    }
}
