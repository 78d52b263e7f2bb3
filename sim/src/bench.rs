//! Simulation benchmarks.
