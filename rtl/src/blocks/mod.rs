//! Block generators, each with its parameter struct.

pub mod adder_tree;
pub mod butterfly;
pub mod cim;
pub mod cim_bf16;
pub mod demo;
pub mod packet;
pub mod packet_engine;
pub mod packet_units;
pub mod registry;
pub mod sparse_ffn;
pub mod synthetic;
