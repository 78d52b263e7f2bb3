//! The sparse butterfly router (issue 6): what it must compute and how that is checked.
//!
//! [`golden`] computes every mode from its definition (sorting positions, indexing), never by
//! simulating switches.

pub mod cli;
pub mod golden;
pub mod job;
