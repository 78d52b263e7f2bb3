//! Synthetic netlists of a chosen size, for measuring the emitter.

use crate::builder::ModuleBuilder;
use crate::error::RtlError;
use crate::ir::Module;
use crate::signal::Signal;
use std::rc::Rc;

/// A combinational netlist of about `nodes` IR expression nodes: layers of named 32-bit
/// wires, each a mix of add, xor, mux, slice and concatenation of the previous layer.
pub fn mesh(nodes: usize) -> Result<Rc<Module>, RtlError> {
    const W: u32 = 32;
    const LANES: usize = 64;
    // Each wire below costs 12 expression nodes.
    let layers = (nodes / (12 * LANES)).max(1);
    let mut m = ModuleBuilder::new(format!("mesh_n{nodes}"));
    let mut prev: Vec<Signal> = (0..LANES).map(|i| m.input(&format!("in_{i}"), W)).collect();
    let sel = m.input("sel", 1);
    for l in 0..layers {
        let mut next = Vec::with_capacity(LANES);
        for i in 0..LANES {
            let a = &prev[i];
            let b = &prev[(i + 1) % LANES];
            let c = &prev[(i + 7) % LANES];
            let sum = a + b;
            let rot = Signal::concat(&[c.slice(0, 5), c.slice(5, W - 5)]);
            let v = sel.mux(&(sum ^ rot), &(a & c));
            next.push(m.wire(&format!("l{l}_n{i}"), &v));
        }
        prev = next;
    }
    let folded = prev
        .iter()
        .skip(1)
        .fold(prev[0].clone(), |acc, x| acc ^ x.clone());
    m.output("out", &folded);
    m.finish()
}
