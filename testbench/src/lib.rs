//! nicc-testbench: golden models, stimulus generators and scoreboards, one folder per block.

pub mod packet;
