//! Block generators, each with its parameter struct.

pub mod demo;
pub mod packet;
pub mod packet_engine;
pub mod registry;
pub mod synthetic;
