//! Block generators: one module per block, each with its parameter struct.

pub mod butterfly;
