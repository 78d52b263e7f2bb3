//! Synthetic netlists of a chosen size, for measuring the emitter.

use crate::builder::ModuleBuilder;
use crate::error::{ParamError, RtlError};
use crate::ir::Module;
use crate::signal::Signal;
use std::rc::Rc;

/// Most IR nodes of a [`mesh`]: about 2 GB of memory to build and emit (about 100 bytes a
/// node).
pub const MAX_MESH_NODES: usize = 20_000_000;

/// A combinational netlist of about `nodes` IR expression nodes (at most
/// [`MAX_MESH_NODES`]): layers of named 32-bit wires, each a mix of add, xor, mux, slice and
/// concatenation of the previous layer.
pub fn mesh(nodes: usize) -> Result<Rc<Module>, RtlError> {
    if nodes > MAX_MESH_NODES {
        return Err(ParamError::invalid(
            "nodes",
            nodes,
            format!("at most {MAX_MESH_NODES} IR nodes (about 100 bytes of memory each)"),
        )
        .into());
    }
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

/// Most operands of [`registered_sum`].
pub const MAX_SUM_INPUTS: usize = 4096;
/// Widest operand of [`registered_sum`].
pub const MAX_SUM_WIDTH: u32 = 64;

/// A registered adder tree: `n` unsigned `w`-bit operands packed in `in_data` (operand i at
/// `[i*w +: w]`), a balanced tree of adders, one output register `out_sum` (latency 1).
/// `n` is 1 to [`MAX_SUM_INPUTS`], `w` 1 to [`MAX_SUM_WIDTH`].
pub fn registered_sum(n: usize, w: u32) -> Result<Rc<Module>, RtlError> {
    if !(1..=MAX_SUM_INPUTS).contains(&n) {
        return Err(
            ParamError::invalid("inputs", n, format!("1 to {MAX_SUM_INPUTS} operands")).into(),
        );
    }
    if !(1..=MAX_SUM_WIDTH).contains(&w) {
        return Err(ParamError::invalid("width", w, format!("1 to {MAX_SUM_WIDTH} bits")).into());
    }
    let mut m = ModuleBuilder::new(format!("registered_sum_n{n}_w{w}"));
    m.clock_domain();
    let data = m.input("in_data", n as u32 * w);
    let mut level: Vec<Signal> = (0..n).map(|i| data.slice(i as u32 * w, w)).collect();
    let mut l = 0;
    while level.len() > 1 {
        let mut next = Vec::new();
        for (k, pair) in level.chunks(2).enumerate() {
            let wide = pair[0].width() + 1;
            let s = if pair.len() == 2 {
                pair[0].add_w(&pair[1], wide)
            } else {
                pair[0].zext(wide)
            };
            next.push(m.wire(&format!("l{l}_n{k}"), &s));
        }
        level = next;
        l += 1;
    }
    let q = m.reg("out_sum_q", &level[0]);
    m.output("out_sum", &q);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_sum_refuses_no_or_too_many_operands() {
        for (n, w, what) in [
            (0, 8, "inputs"),
            (MAX_SUM_INPUTS + 1, 8, "inputs"),
            (4, 0, "width"),
        ] {
            let e = registered_sum(n, w).unwrap_err().to_string();
            assert!(e.contains(&format!("parameter `{what}`")), "{e}");
        }
        assert_eq!(registered_sum(4, 8).unwrap().name, "registered_sum_n4_w8");
    }

    #[test]
    fn mesh_refuses_more_nodes_than_memory_holds() {
        for n in [MAX_MESH_NODES + 1, usize::MAX] {
            let e = mesh(n).unwrap_err().to_string();
            assert!(
                e.contains("parameter `nodes`") && e.contains("at most 20000000"),
                "{e}"
            );
        }
        assert!(mesh(1000).is_ok());
    }
}
