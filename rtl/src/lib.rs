//! nicc-rtl: a generator-style HDL in plain Rust.
//!
//! Generators build a typed netlist IR with [`ModuleBuilder`] and [`Signal`] using plain Rust
//! values (loops, `let`, computed widths); checks run when a module is finished
//! ([`ModuleBuilder::finish`]); [`emit()`] prints deterministic Verilog-2005 into a [`Design`].

#![warn(missing_docs)]

pub mod bits;
pub mod blocks;
pub mod builder;
mod check;
pub mod design;
pub mod emit;
pub mod error;
pub mod eval;
pub mod ir;
pub mod known;
pub mod names;
pub mod signal;
pub mod wrap;

pub use bits::Bits;
pub use builder::{InstanceOutputs, MemHandle, ModuleBuilder, RegHandle, WireHandle};
pub use design::{write_atomically, Design, Dir, PortInfo, VerilogFile};
pub use emit::emit;
pub use error::{CheckError, ParamError, RtlError};
pub use ir::Module;
pub use signal::Signal;

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctest;
