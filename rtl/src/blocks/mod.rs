//! Block generators, each with its parameter struct.

pub mod adder_tree;
pub mod butterfly;
pub mod cim;
pub mod demo;
pub mod packet;
pub mod registry;
pub mod sparse_ffn;
pub mod synthetic;
