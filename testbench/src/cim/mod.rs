//! The CIM macro's verification side: golden models (integer bit-serial, activity, timing,
//! BF16 pre-alignment), the cycle-by-cycle co-simulation driver, `.npy` I/O and the logic of
//! `nicc sim cim`, and the `nicc run` job.
//!
//! The golden models (`golden`, `bf16`) never import the generator: they compute what the
//! macro must compute from the parameter values ([`nicc_rtl::blocks::cim::CimParams`]) alone.
//! Only `job` (which builds the design to verify) and `cli` call the generator.

pub mod bench;
pub mod bf16;
pub mod bf16_sim;
pub mod cli;
pub mod cosim;
pub mod formal;
pub mod golden;
pub mod job;
pub mod npy;

pub use bf16::{Bf16Golden, Bf16Result};
pub use golden::{Activity, CimGolden, GoldenError, MvmInput, MvmOutput, Schedule, TimingModel};
pub use npy::{IntMatrix, NpyIoError};
