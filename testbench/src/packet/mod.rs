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
