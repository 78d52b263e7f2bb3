//! `nicc run` job of the CIM macro on its default parameters ([`CimParams::default`]: 16 x 4,
//! INT8 weights and inputs, two banks, binary trees).

use super::cosim::{random_stimulus, run, Slot};
use crate::run::{Job, Verified};
use anyhow::Result;
use nicc_rtl::blocks::cim::{generate, CimParams};
use nicc_rtl::{emit, Design};
use std::path::Path;

/// The CIM macro job.
pub struct CimJob;

impl Job for CimJob {
    fn name(&self) -> &'static str {
        "cim"
    }

    fn design(&self) -> Result<Design> {
        Ok(emit(&generate(&CimParams::default(), "cim")?)?)
    }

    fn verify(&self, d: &Design, quick: bool, vcd: &Path) -> Result<Verified> {
        let p = CimParams::default();
        let n = if quick { 200 } else { 2000 };
        let (mut m, mut t) = crate::run::job_models(d, vcd)?;
        let slot = Slot::new(&m, "", "cim", &p, random_stimulus(&p, n, 5))?;
        let r = run(&mut m, vec![slot], 50 * n as u64 + 10_000)?.remove(0);
        let mismatches = (r.mismatches.len() + r.errors.len()) as u64;
        // A short waveform of the first MVMs.
        let slot = Slot::new(&t, "", "cim", &p, random_stimulus(&p, 4, 5))?;
        run(&mut t, vec![slot], 2000)?;
        let first = r
            .mismatches
            .first()
            .map(|m| {
                format!(
                    "; first mismatch: vector {} column {}: expected {}, got {}",
                    m.vector, m.column, m.expected, m.actual
                )
            })
            .or_else(|| r.errors.first().map(|e| format!("; first error: {e}")))
            .unwrap_or_default();
        Ok(Verified {
            vectors: r.results.len() as u64,
            mismatches,
            notes: format!(
                "every result, out_cycles, the counters and read-back checked each cycle, \
                 accept/pop cycles against the timing model; {} cycles, {} ping-pong writes, \
                 counters mvms/cycles/skipped/products = {:?}{first}",
                r.cycles, r.writes_during_run, r.counters
            ),
        })
    }

    /// Throughput per clock against the zero-activation fraction (bit-plane skipping), from
    /// the macro's own activity counters, on the build `verify` made.
    fn plots(&self, dir: &Path, quick: bool) -> Result<Vec<std::path::PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let svg = dir.join("cim-throughput.svg");
        let n = if quick { 20 } else { 200 };
        let build = crate::run::job_build_options();
        super::bench::throughput_plot(&CimParams::default(), n, &svg, &build)?;
        Ok(vec![svg])
    }

    fn throughput(&self, fmax_mhz: f64) -> Option<(f64, &'static str)> {
        let p = CimParams::default();
        // 2*R*C operations per MVM, one MVM per bx cycles (dense, full precision).
        Some((
            2.0 * p.rows as f64 * p.cols as f64 * fmax_mhz / p.xbits as f64 / 1e3,
            "GOPS",
        ))
    }
}
