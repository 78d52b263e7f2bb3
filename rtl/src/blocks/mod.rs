//! Block generators, each with its parameter struct.

pub mod adder_tree;
pub mod butterfly;
pub mod demo;
pub mod packet;
pub mod packet_engine;
pub mod registry;
pub mod synthetic;
