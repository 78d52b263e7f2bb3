//! The sparse FFN tile's verification side (issue 8): the golden dense product, stimulus
//! (sparse weights, sparse activations, adversarial patterns, magnitude pruning), RTL drivers
//! for the sparse tile and the dense baseline, the energy-proxy benchmark, the `.npy` CLI and
//! the `nicc run` job.
//!
//! The golden model ([`golden::dense_product`]) computes `y = x . W` directly in `i64`; it
//! never looks at the packing or the generator.

pub mod bench;
pub mod cli;
pub mod driver;
pub mod golden;
pub mod job;

pub use driver::{DenseTile, DriverError, SparseTile};
pub use golden::{dense_product, magnitude_prune};
