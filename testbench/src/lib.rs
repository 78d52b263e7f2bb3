//! nicc-testbench: golden models, stimulus and co-simulation checks, one folder per block.

pub mod cim;
