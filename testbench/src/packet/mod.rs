//! The DPU packet engine (issue 7): golden model, stimulus and capture I/O.
//!
//! - [`config`]: run-time configuration ([`PacketConfig`]).
//! - [`meta`]: input [`Frame`], output [`Meta`] record, [`Counters`].
//! - [`golden`]: [`golden::process`] and the stateful [`GoldenEngine`].
//! - [`math`]: checksum fold, CRC-32/ICRC, Toeplitz.
//! - [`stimulus`]: matrix, hostile and random frames.
//! - [`pcap`]: pcap/pcapng reading and pcap writing.

pub mod config;
pub mod golden;
pub mod math;
pub mod meta;
pub mod pcap;
pub mod stimulus;

pub use config::{EmAction, EmEntry, EmKey, HashTypes, PacketConfig};
pub use golden::GoldenEngine;
pub use meta::{
    Counters, DropReason, Flag, FlagSet, Frame, L4Csum, Meta, Roce, RssType, TkeepFault, Verdict,
};

use std::io::Write;

/// Runs frames in order through a fresh golden engine: one metadata record per frame and the
/// final counters.
pub fn run_frames(config: &PacketConfig, frames: &[Frame]) -> (Vec<Meta>, Counters) {
    let mut e = GoldenEngine::new(config.clone());
    let metas = frames.iter().map(|f| e.process(f)).collect();
    (metas, e.counters)
}

/// Writes one JSON object per line (`meta.jsonl`).
pub fn write_meta_jsonl<W: Write>(mut w: W, metas: &[Meta]) -> std::io::Result<()> {
    for m in metas {
        writeln!(w, "{}", m.to_json())?;
    }
    w.flush()
}
