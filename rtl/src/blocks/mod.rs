//! Block generators, each with its parameter struct.

pub mod cim;
pub mod demo;
