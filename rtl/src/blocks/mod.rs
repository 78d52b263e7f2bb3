//! Block generators, each with its parameter struct.

pub mod butterfly;
pub mod demo;
pub mod packet;
pub mod registry;
pub mod synthetic;
