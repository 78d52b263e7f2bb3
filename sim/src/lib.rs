//! nicc-sim: run any emitted [`nicc_rtl::Design`] under Verilator from Rust, at C++ speed.
//!
//! Models are built at run time (the design is known only then): a generated C++ shim with a
//! plain C ABI is Verilated and compiled into a shared library (the evaluation code at `-O1`,
//! or `-O3` for long runs: [`CxxOpt`]), cached by a content hash, and loaded with libloading.
//! The Verilator runtime is compiled once per version.
//!
//! ```no_run
//! use nicc_rtl::{blocks::demo, emit, Bits};
//! let d = emit(&demo::reg_adder(8).unwrap()).unwrap();
//! let mut m = nicc_sim::Model::build(&d).unwrap();
//! let (a, b, out) = (m.port("a").unwrap(), m.port("b").unwrap(), m.port("out").unwrap());
//! m.reset(1).unwrap();
//! m.set(a, &Bits::from_i64(8, -3)).unwrap();
//! m.set(b, &Bits::from_i64(8, 5)).unwrap();
//! m.step().unwrap();
//! assert_eq!(m.get(out).to_i64(), Some(2));
//! ```

#![warn(missing_docs)]

pub mod bench;
pub mod build;
pub mod error;
pub mod icarus;
pub mod lint;
pub mod model;
pub mod shim;
pub mod toggle;

pub use build::{build_count, BuildInfo, BuildOptions, CxxOpt};
pub use error::SimError;
pub use model::{Model, Port};
pub use toggle::{ToggleCounts, ToggleModel};
