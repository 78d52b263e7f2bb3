//! The checks that run when a module is finished: widths, drivers, combinational loops.
//!
//! The combinational graph has one node per net; an edge `a -> b` means `b` changes
//! combinationally when `a` does. Registers and registered memory reads cut it. Instances are
//! summarised by their module's port-to-port combinational dependencies.

use crate::error::CheckError;
use crate::ir::{nets_read, Expr, ExprKind, ExprRef, Module, NetId, NetKind, ShiftAmount};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::HashSet;

/// Runs every check on `m`, appending problems to `errors`; fills `m.comb_deps`.
pub(crate) fn run(m: &mut Module, errors: &mut Vec<CheckError>) {
    check_widths(m, errors);
    check_driven(m, errors);
    if errors.is_empty() {
        comb_graph(m, errors);
    }
}

fn check_widths(m: &Module, errors: &mut Vec<CheckError>) {
    let mut seen: HashSet<*const Expr> = HashSet::new();
    let mut check_root =
        |dest: &str, e: &ExprRef, want: Option<u32>, errors: &mut Vec<CheckError>| {
            if let Some(w) = want {
                if e.width != w {
                    errors.push(CheckError::Width {
                        dest: dest.to_string(),
                        what: format!("`{dest}` has {w} bits, its driver has {} bits", e.width),
                    });
                }
            }
            check_expr(dest, e, &mut seen, errors);
        };
    for n in &m.nets {
        if let Some(d) = &n.driver {
            check_root(&n.name, d, Some(n.width), errors);
        }
    }
    for r in &m.regs {
        let net = &m.nets[r.net];
        if let Some(d) = &r.next {
            check_root(&net.name, d, Some(net.width), errors);
        }
        if let Some(e) = &r.enable {
            check_root(&format!("{} (enable)", net.name), e, Some(1), errors);
        }
    }
    for mem in &m.mems {
        for w in &mem.writes {
            check_root(
                &format!("{} (write enable)", mem.name),
                &w.enable,
                Some(1),
                errors,
            );
            check_root(
                &format!("{} (write address)", mem.name),
                &w.addr,
                None,
                errors,
            );
            check_root(
                &format!("{} (write data)", mem.name),
                &w.data,
                Some(mem.width),
                errors,
            );
        }
        for r in &mem.reads {
            let name = &m.nets[r.net].name;
            check_root(&format!("{name} (read address)"), &r.addr, None, errors);
            if let Some(e) = &r.enable {
                check_root(&format!("{name} (read enable)"), e, Some(1), errors);
            }
        }
    }
    for i in &m.insts {
        for (p, e) in &i.inputs {
            check_root(&format!("{}.{p}", i.name), e, None, errors);
        }
    }
}

fn check_expr(
    dest: &str,
    root: &ExprRef,
    seen: &mut HashSet<*const Expr>,
    errors: &mut Vec<CheckError>,
) {
    let mut stack = vec![root];
    while let Some(e) = stack.pop() {
        if !seen.insert(std::rc::Rc::as_ptr(e)) {
            continue;
        }
        let mut bad = |what: String| {
            errors.push(CheckError::Width {
                dest: dest.to_string(),
                what,
            })
        };
        if e.width == 0 {
            bad("an expression has width 0".into());
        }
        match &e.kind {
            ExprKind::Const(b) => {
                if b.width() != e.width {
                    bad("constant width disagrees with its node".into());
                }
            }
            ExprKind::Net(_) => {}
            ExprKind::Unary(op, a) => {
                if a.width != e.width {
                    bad(format!("{op:?} of {} bits gives {} bits", a.width, e.width));
                }
            }
            ExprKind::Binary(op, a, b) => {
                if a.width != b.width || a.width != e.width {
                    bad(format!(
                        "{op:?} of {} and {} bits (extend both operands to one width first)",
                        a.width, b.width
                    ));
                }
            }
            ExprKind::Cmp(op, _, a, b) => {
                if a.width != b.width {
                    bad(format!("{op:?} compares {} with {} bits", a.width, b.width));
                }
            }
            ExprKind::Reduce(_, _) => {}
            ExprKind::Shift(_, a, amt) => {
                if a.width != e.width {
                    bad("shift result width differs from its operand".into());
                }
                let _: &ShiftAmount = amt;
            }
            ExprKind::Slice(a, lo) => {
                if *lo as u64 + e.width as u64 > a.width as u64 {
                    bad(format!(
                        "slice [{}:{lo}] of a {}-bit value",
                        *lo as u64 + e.width as u64 - 1,
                        a.width
                    ));
                }
            }
            ExprKind::Concat(v) => {
                if v.is_empty() {
                    bad("empty concatenation".into());
                }
            }
            ExprKind::Repeat(_, n) => {
                if *n == 0 {
                    bad("replication count 0".into());
                }
            }
            ExprKind::Zext(a) | ExprKind::Sext(a) => {
                if a.width > e.width {
                    bad(format!(
                        "extension from {} to {} bits narrows (use trunc/slice)",
                        a.width, e.width
                    ));
                }
            }
            ExprKind::Mux(s, a, b) => {
                if s.width != 1 {
                    bad(format!("mux select has {} bits (must be 1)", s.width));
                }
                if a.width != b.width {
                    bad(format!("mux arms have {} and {} bits", a.width, b.width));
                }
            }
        }
        let e: &ExprRef = e;
        crate::ir::for_each_operand(e, |x| stack.push(x));
    }
}

fn check_driven(m: &Module, errors: &mut Vec<CheckError>) {
    for n in &m.nets {
        if matches!(n.kind, NetKind::Wire | NetKind::Output) && n.driver.is_none() {
            errors.push(CheckError::Undriven(n.name.clone()));
        }
    }
    for r in &m.regs {
        if r.next.is_none() {
            errors.push(CheckError::Undriven(m.nets[r.net].name.clone()));
        }
    }
}

/// Builds the combinational graph, reports loops, and records port dependencies.
fn comb_graph(m: &mut Module, errors: &mut Vec<CheckError>) {
    let mut g: DiGraph<NetId, ()> = DiGraph::with_capacity(m.nets.len(), m.nets.len() * 2);
    for i in 0..m.nets.len() {
        g.add_node(i);
    }
    let mut reads = Vec::new();
    let mut add_edges = |g: &mut DiGraph<NetId, ()>, e: &ExprRef, to: NetId| {
        reads.clear();
        nets_read(e, &mut reads);
        reads.sort_unstable();
        reads.dedup();
        for &from in reads.iter() {
            g.add_edge(NodeIndex::new(from), NodeIndex::new(to), ());
        }
    };
    for (id, n) in m.nets.iter().enumerate() {
        match &n.kind {
            NetKind::Wire | NetKind::Output => {
                if let Some(d) = &n.driver {
                    add_edges(&mut g, d, id);
                }
            }
            NetKind::MemReadComb(mi, pi) => {
                let addr = m.mems[*mi].reads[*pi].addr.clone();
                add_edges(&mut g, &addr, id);
            }
            NetKind::InstOut(ii, port) => {
                let inst = &m.insts[*ii];
                if let Some((_, deps)) = inst.module.comb_deps.iter().find(|(p, _)| p == port) {
                    for d in deps {
                        if let Some((_, e)) = inst.inputs.iter().find(|(p, _)| p == d) {
                            add_edges(&mut g, e, id);
                        }
                    }
                }
            }
            NetKind::Input | NetKind::Reg(_) | NetKind::MemReadSync(..) => {}
        }
    }
    for scc in tarjan_scc(&g) {
        let looped = scc.len() > 1 || g.contains_edge(scc[0], scc[0]);
        if !looped {
            continue;
        }
        // Walk one cycle inside the component, starting from its smallest net id.
        let set: HashSet<NodeIndex> = scc.iter().copied().collect();
        let start = *scc.iter().min().unwrap();
        let path = cycle_from(&g, start, &set);
        let mut names: Vec<String> = path.iter().map(|n| m.nets[g[*n]].name.clone()).collect();
        names.push(m.nets[g[start]].name.clone());
        errors.push(CheckError::CombLoop(names));
    }
    if !errors.is_empty() {
        return;
    }
    // Port dependencies: for each output, the inputs it reaches backwards.
    let inputs: Vec<NetId> = m
        .ports
        .iter()
        .copied()
        .filter(|p| m.nets[*p].kind == NetKind::Input)
        .collect();
    let mut deps = Vec::new();
    for &p in &m.ports {
        if m.nets[p].kind != NetKind::Output {
            continue;
        }
        let mut seen = HashSet::new();
        let mut stack = vec![NodeIndex::new(p)];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            stack.extend(g.neighbors_directed(n, petgraph::Direction::Incoming));
        }
        let ins: Vec<String> = inputs
            .iter()
            .filter(|i| seen.contains(&NodeIndex::new(**i)))
            .map(|i| m.nets[*i].name.clone())
            .collect();
        deps.push((m.nets[p].name.clone(), ins));
    }
    m.comb_deps = deps;
}

/// A path start -> ... -> (predecessor of start) inside `set`, found by BFS.
fn cycle_from(
    g: &DiGraph<NetId, ()>,
    start: NodeIndex,
    set: &HashSet<NodeIndex>,
) -> Vec<NodeIndex> {
    use std::collections::{HashMap, VecDeque};
    let mut prev: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut q = VecDeque::new();
    let mut succ: Vec<NodeIndex> = g.neighbors(start).filter(|n| set.contains(n)).collect();
    succ.sort();
    for s in succ {
        if s == start {
            return vec![start];
        }
        if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(s) {
            e.insert(start);
            q.push_back(s);
        }
    }
    while let Some(n) = q.pop_front() {
        let mut succ: Vec<NodeIndex> = g.neighbors(n).filter(|x| set.contains(x)).collect();
        succ.sort();
        for s in succ {
            if s == start {
                let mut path = vec![n];
                let mut c = n;
                while c != start {
                    c = prev[&c];
                    path.push(c);
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(s) {
                e.insert(n);
                q.push_back(s);
            }
        }
    }
    vec![start]
}
