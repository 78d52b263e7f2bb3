//! Block generators, each with its parameter struct.

<<<<<<< HEAD
pub mod cim;
=======
pub mod adder_tree;
pub mod butterfly;
>>>>>>> main
pub mod demo;
pub mod packet;
pub mod registry;
pub mod synthetic;
