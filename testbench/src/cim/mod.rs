//! The CIM macro's verification side: golden models (integer bit-serial, activity, timing,
//! BF16 pre-alignment) and `.npy` I/O for `nicc sim cim`.
//!
//! Nothing here imports the generator: the models compute what the macro must compute from
//! the parameter values ([`nicc_rtl::blocks::cim::CimParams`]) alone.

pub mod bf16;
pub mod bf16_sim;
pub mod golden;
pub mod npy;

pub use bf16::{Bf16Golden, Bf16Result};
pub use golden::{Activity, CimGolden, GoldenError, MvmInput, MvmOutput, Schedule, TimingModel};
pub use npy::{IntMatrix, NpyIoError};
