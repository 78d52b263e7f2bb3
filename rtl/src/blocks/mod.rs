//! Block generators, each with its parameter struct.

pub mod demo;
