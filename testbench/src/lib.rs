//! placeholder

pub mod butterfly;
