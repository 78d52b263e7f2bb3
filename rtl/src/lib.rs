//! nicc-rtl: a generator-style HDL in plain Rust.
//!
//! Generators build a typed netlist IR with [`ModuleBuilder`]; checks run when a module is
//! finished; the emitter prints deterministic Verilog-2005 into a [`Design`].

pub mod bits;
pub mod blocks;
pub mod design;

pub use bits::Bits;
pub use design::{Design, Dir, PortInfo, VerilogFile};
