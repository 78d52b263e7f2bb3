//! `nicc sim packet` and `nicc bench packet`: frames of a capture file through the Verilated
//! engine beside the golden model.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use nicc_rtl::blocks::packet::PacketParams;
use nicc_sim::BuildOptions;
use thiserror::Error;

use super::config::PacketConfig;
use super::meta::{Frame, Verdict};
use super::pcap::{read_frames, write_frames, CaptureError};
use super::rtl::{Checked, RtlEngine, RtlError};

/// Why `nicc sim packet` / `nicc bench packet` failed.
#[derive(Debug, Error)]
pub enum PacketCliError {
    /// The capture could not be read or written.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The configuration derived from the parameters is invalid.
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    /// Building or running the RTL failed.
    #[error(transparent)]
    Rtl(#[from] RtlError),
    /// The metadata file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// File name.
        path: String,
        /// OS error.
        source: std::io::Error,
    },
    /// The RTL disagrees with the golden model.
    #[error("RTL and golden model disagree ({count} problems); first: {first}")]
    Mismatch {
        /// Number of problems.
        count: usize,
        /// The first one (names the frame and the field).
        first: String,
    },
    /// An output file cannot be written, or is the capture or the other output.
    #[error(transparent)]
    Output(#[from] crate::outputs::OutputError),
    /// `nicc bench packet --frames` is 0 or more than [`MAX_BENCH_FRAMES`].
    #[error("--frames {0} is out of range; give 1..={MAX_BENCH_FRAMES} (every frame of a run is held in memory)")]
    BenchFrames(usize),
    /// The back-pressure probability is outside [0, 0.95].
    #[error("--backpressure {0} is out of range; give a probability in 0..=0.95")]
    Backpressure(f64),
}

/// What `sim_pcap` did.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSummary {
    /// Frames read.
    pub frames: usize,
    /// Frames passed.
    pub passed: usize,
    /// Clock cycles.
    pub cycles: u64,
}

/// Runs every frame of `pcap` through the RTL and the golden model; writes the RTL metadata
/// as JSON lines to `meta_out` and the passed frames to `pcap_out`. Any difference between
/// RTL and golden model ([`RtlEngine::check`]: every record field, every passed frame, the
/// counters) is an error naming the frame and field. The outputs are checked before anything
/// runs ([`crate::outputs::check`]: their directory exists, neither is the capture nor the
/// other output).
pub fn sim_pcap(
    p: &PacketParams,
    pcap: &Path,
    meta_out: &Path,
    pcap_out: Option<&Path>,
    backpressure: f64,
    seed: u64,
) -> Result<SimSummary, PacketCliError> {
    if !(0.0..=0.95).contains(&backpressure) {
        return Err(PacketCliError::Backpressure(backpressure));
    }
    let mut outputs = vec![("--meta-out", meta_out, ".jsonl")];
    outputs.extend(pcap_out.map(|p| ("--pcap-out", p, ".pcap")));
    crate::outputs::check(&[("--pcap", pcap)], &outputs)?;
    let frames = read_frames(pcap)?;
    let cfg = PacketConfig::from_params(p)?;
    let mut e = RtlEngine::new(p)?;
    let Checked { run, problems, .. } = e.check(&cfg, &frames, backpressure, seed, 20)?;
    if let Some(first) = problems.first() {
        return Err(PacketCliError::Mismatch {
            count: problems.len(),
            first: first.clone(),
        });
    }
    let io = |source| PacketCliError::Io {
        path: meta_out.display().to_string(),
        source,
    };
    crate::outputs::write_atomically(
        meta_out,
        |w| {
            for m in &run.metas {
                writeln!(w, "{}", m.to_json()).map_err(io)?;
            }
            Ok(())
        },
        io,
    )?;
    if let Some(out) = pcap_out {
        write_frames(out, run.passed.iter().map(|(b, _)| b.as_slice()))?;
    }
    Ok(SimSummary {
        frames: frames.len(),
        passed: run
            .metas
            .iter()
            .filter(|m| m.verdict == Verdict::Pass)
            .count(),
        cycles: run.cycles,
    })
}

/// One line of `nicc bench packet`.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    /// Bytes per beat.
    pub data_bytes: u32,
    /// Frame size.
    pub frame_len: usize,
    /// Frames sent.
    pub frames: usize,
    /// Input beats accepted per clock cycle (target 1.00).
    pub beats_per_cycle: f64,
    /// Simulated frames per wall-clock second.
    pub frames_per_s: f64,
}

/// Back-to-back frames of `len` bytes (a valid UDP/IPv4 matrix frame) without back-pressure.
pub fn bench_frames(len: usize, n: usize) -> Vec<Frame> {
    use super::stimulus::{build, Spec, Tags, L3, L4};
    let b = build(&Spec {
        tags: Tags::None,
        l3: L3::Ipv4,
        l4: L4::Udp,
        size: len.max(42),
        seed: 1,
    })
    .map(|b| b.bytes)
    .unwrap_or_else(|| vec![0; len]);
    vec![Frame::new(b); n]
}

/// Most frames per size and width of [`bench()`]: 1.5 GB of 1518-byte frames.
pub const MAX_BENCH_FRAMES: usize = 1_000_000;

/// Measures beats per cycle and simulation speed on back-to-back 64- and 1518-byte frames
/// (`frames` of each, 1 to [`MAX_BENCH_FRAMES`]).
/// The model is built for long runs ([`BuildOptions::long_run`], `-O3`): on this engine it
/// simulates about twice as fast as the default `-O1` build.
pub fn bench(widths: &[u32], frames: usize) -> Result<Vec<BenchRow>, PacketCliError> {
    if !(1..=MAX_BENCH_FRAMES).contains(&frames) {
        return Err(PacketCliError::BenchFrames(frames));
    }
    let mut rows = Vec::new();
    for &db in widths {
        let p = PacketParams {
            data_bytes: db,
            ..PacketParams::default()
        };
        let mut e = RtlEngine::built_with(&p, &BuildOptions::long_run())?;
        for len in [64usize, 1518] {
            let fs = bench_frames(len, frames);
            let t = Instant::now();
            let run = e.run(&fs, 0.0, 1)?;
            let secs = t.elapsed().as_secs_f64().max(1e-9);
            rows.push(BenchRow {
                data_bytes: db,
                frame_len: len,
                frames,
                beats_per_cycle: run.beats_in as f64 / run.cycles.max(1) as f64,
                frames_per_s: frames as f64 / secs,
            });
        }
    }
    Ok(rows)
}

/// One width of `nicc bench packet --random`.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomBenchRow {
    /// Bytes per beat.
    pub data_bytes: u32,
    /// Random frames sent (every record, passed frame and the counters checked).
    pub frames: usize,
    /// Frames the golden model and the RTL passed.
    pub passed: usize,
    /// Clock cycles of all chunks.
    pub cycles: u64,
    /// Input beats accepted.
    pub beats: u64,
    /// Wall-clock seconds (RTL and golden model).
    pub seconds: f64,
}

/// Frames per chunk of [`bench_random`]: each chunk is one RTL run, checked before the next.
pub const RANDOM_CHUNK: usize = 10_000;

/// Sends `frames` random frames ([`super::stimulus::random_frames`], chunk `k` from seed
/// `seed + k`) through the engine of each parameter set (its default configuration), every stream
/// stalling with probability `backpressure`; every record, every passed frame and the
/// counters of every chunk are compared with the golden model, and the first disagreement
/// is an error naming the chunk's seed, the frame and the field. `progress` gets the frames
/// done so far with each engine (by its `data_bytes`). The engines are built with `build`:
/// `nicc bench packet --random` uses [`BuildOptions::long_run`] (`-O3`, about twice the
/// simulation rate of the default build, for 5 s more compile time at `data_bytes` = 8).
pub fn bench_random(
    engines: &[PacketParams],
    build: &BuildOptions,
    frames: usize,
    backpressure: f64,
    seed: u64,
    progress: &mut dyn FnMut(u32, usize),
) -> Result<Vec<RandomBenchRow>, PacketCliError> {
    if !(0.0..=0.95).contains(&backpressure) {
        return Err(PacketCliError::Backpressure(backpressure));
    }
    let mut rows = Vec::new();
    for p in engines {
        let db = p.data_bytes;
        let cfg = PacketConfig::from_params(p)?;
        let mut e = RtlEngine::built_with(p, build)?;
        let t = Instant::now();
        let mut row = RandomBenchRow {
            data_bytes: db,
            frames: 0,
            passed: 0,
            cycles: 0,
            beats: 0,
            seconds: 0.0,
        };
        for k in 0..frames.div_ceil(RANDOM_CHUNK) {
            let s = seed.wrapping_add(k as u64);
            let n = RANDOM_CHUNK.min(frames - k * RANDOM_CHUNK);
            let fs = super::stimulus::random_frames(s, n);
            let c = e.check(&cfg, &fs, backpressure, s, 20)?;
            if let Some(first) = c.problems.first() {
                return Err(PacketCliError::Mismatch {
                    count: c.problems.len(),
                    first: format!(
                        "data_bytes {db}, chunk seed {s} (frame index within the chunk): {first}"
                    ),
                });
            }
            row.frames += n;
            row.passed += c.run.passed.len();
            row.cycles += c.run.cycles;
            row.beats += c.run.beats_in;
            progress(db, row.frames);
        }
        row.seconds = t.elapsed().as_secs_f64();
        rows.push(row);
    }
    Ok(rows)
}
