//! nicc-testbench: golden models, stimulus, scoreboards, sweeps and co-simulation helpers.
//!
//! One module per block (`adder_tree`, `cim`, `butterfly`, `packet`, `sparse_ffn`): what the block must
//! compute, written independently of its generator, and how that is checked.

#![warn(missing_docs)]

pub mod adder_tree;
pub mod butterfly;
pub mod cim;
pub mod jobs;
pub mod outputs;
pub mod packet;
pub mod plot;
pub mod run;
pub mod sparse_ffn;
pub mod sweep;
pub mod test_env;
