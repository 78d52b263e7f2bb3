//! The packet engine in `nicc run`: data_bytes = 8, a small exact-match table (4 entries)
//! and indirection table (32), matrix and random frames under back-pressure.

use crate::run::{Job, Verified};
use anyhow::{anyhow, Result};
use nicc_rtl::blocks::packet::PacketParams;
use nicc_rtl::blocks::packet_engine::packet_engine;
use nicc_rtl::{emit, Design};
use std::path::Path;

use super::rtl::{compare, deliverable, RtlEngine};
use super::stimulus::{matrix, random_frames};
use super::{run_frames, Frame, PacketConfig};

/// `nicc run` job for the packet engine.
pub struct PacketJob;

impl PacketJob {
    /// Parameters of the job's build.
    pub fn params() -> PacketParams {
        PacketParams {
            data_bytes: 8,
            em_size: 4,
            indirection_size: 32,
            ..PacketParams::default()
        }
    }
}

impl Job for PacketJob {
    fn name(&self) -> &'static str {
        "packet-engine"
    }

    /// Its asic flow is the longest of the run: the whole cold `nicc run --jobs 2` took 402 s
    /// on 2026-11-30, 366 s of it this block (414 s before its pipeline stopped storing
    /// constant bits, 454 s on 2026-11-29, 563 s for the block before its FIFO depth was
    /// sized from the beat width), where every other block finished in 6 to 151 s.
    fn cost(&self) -> u32 {
        10
    }

    fn design(&self) -> Result<Design> {
        let m = packet_engine(&Self::params()).map_err(|e| anyhow!("{e}"))?;
        emit(&m).map_err(|e| anyhow!("{e}"))
    }

    fn verify(&self, d: &Design, quick: bool, vcd: &Path) -> Result<Verified> {
        let p = Self::params();
        let cfg = PacketConfig::from_params(&p)?;
        let (m, t) = crate::run::job_models(d, vcd)?;
        let mut e = RtlEngine::from_model(m, &p)?;
        let mut frames: Vec<Frame> = matrix()
            .into_iter()
            .filter(|b| quick && b.bytes.len() == 128 || !quick && b.bytes.len() <= 128)
            .map(|b| Frame::new(b.bytes))
            .collect();
        frames.extend(random_frames(7, if quick { 300 } else { 5000 }));
        let frames: Vec<Frame> = frames.iter().map(deliverable).collect();
        let (golden, _) = run_frames(&cfg, &frames);
        let run = e.run(&frames, 0.2, 7)?;
        let errs = compare(&frames, &golden, &run, usize::MAX);
        // A short waveform: the first four frames, under the same back-pressure.
        RtlEngine::from_model(t, &p)?.run(&frames[..4.min(frames.len())], 0.2, 7)?;
        Ok(Verified {
            vectors: frames.len() as u64,
            mismatches: errs.len() as u64,
            notes: "matrix and random frames, back-pressure 0.2 on every stream; metadata \
                    every field (L4 checksum status, CHECKSUM_COMPLETE and ICRC included) \
                    and passed frames byte for byte"
                .into(),
        })
    }

    fn throughput(&self, fmax_mhz: f64) -> Option<(f64, &'static str)> {
        // data_bytes * 8 bits per beat, one beat per cycle (measured 1.00 on back-to-back frames).
        Some((
            f64::from(Self::params().data_bytes * 8) * fmax_mhz / 1000.0,
            "Gb/s",
        ))
    }
}
