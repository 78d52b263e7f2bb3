//! Block generators, each with its parameter struct.

pub mod demo;
pub mod registry;
pub mod synthetic;
pub mod packet;
pub mod adder_tree;
