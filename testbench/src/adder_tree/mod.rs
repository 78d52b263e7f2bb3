//! The adder tree (issue 4): what it must compute ([`golden`]), the vectors that exercise it
//! ([`stimulus`]), and how a result is checked ([`golden::check`]). Independent of the
//! generator in `nicc_rtl::blocks::adder_tree`: only the parameter struct is shared.

pub mod golden;
pub mod stimulus;
