//! The typed netlist IR: expressions over named nets, registers, memories and instances.
//!
//! Expressions are immutable trees (`Rc<Expr>`) whose leaves are constants and references
//! to named nets of the module that owns them. Every node carries its exact width; the
//! Verilog width rules never decide anything, because every context-determined operator
//! has operands of exactly its own width (checked when the module is finished).

use crate::bits::Bits;
use std::rc::Rc;

/// Index of a net inside its module.
pub type NetId = usize;

/// A shared expression node.
pub type ExprRef = Rc<Expr>;

/// One expression node with its exact result width.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expr {
    /// What the node computes.
    pub kind: ExprKind,
    /// Result width in bits.
    pub width: u32,
}

/// Unary operators whose result has the operand's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// Bitwise NOT (`~a`).
    Not,
    /// Two's complement negation (`-a`), wrapping.
    Neg,
}

/// Binary operators whose operands and result share one width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// Wrapping sum.
    Add,
    /// Wrapping difference.
    Sub,
    /// Low bits of the product.
    Mul,
    /// Bitwise AND.
    And,
    /// Bitwise OR.
    Or,
    /// Bitwise XOR.
    Xor,
}

/// Comparisons (1-bit result); operands have equal widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Reductions to one bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RedOp {
    /// `&a`
    And,
    /// `|a`
    Or,
    /// `^a`
    Xor,
}

/// Shifts; the result has the shifted operand's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShiftOp {
    /// Logical left (`<<`).
    Shl,
    /// Logical right (`>>`).
    Shr,
    /// Arithmetic right (`>>>` on the signed operand).
    Ashr,
}

/// Shift amount: a constant or an unsigned expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShiftAmount {
    /// A constant number of positions.
    Const(u32),
    /// A run-time amount (read as unsigned).
    Var(ExprRef),
}

/// The expression kinds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExprKind {
    /// A constant of the node's width.
    Const(Bits),
    /// The value of a named net of the owning module.
    Net(NetId),
    /// Unary operator.
    Unary(UnOp, ExprRef),
    /// Binary operator on equal widths.
    Binary(BinOp, ExprRef, ExprRef),
    /// Comparison; `signed` selects two's complement ordering.
    Cmp(CmpOp, bool, ExprRef, ExprRef),
    /// Reduction to one bit.
    Reduce(RedOp, ExprRef),
    /// Shift.
    Shift(ShiftOp, ExprRef, ShiftAmount),
    /// Bits `[lo + width - 1 : lo]` of the operand.
    Slice(ExprRef, u32),
    /// Concatenation, most significant part first (as in Verilog).
    Concat(Vec<ExprRef>),
    /// `n` copies of the operand.
    Repeat(ExprRef, u32),
    /// Zero extension to the node's width.
    Zext(ExprRef),
    /// Sign extension to the node's width.
    Sext(ExprRef),
    /// `sel ? a : b`, `sel` one bit, `a` and `b` of the node's width.
    Mux(ExprRef, ExprRef, ExprRef),
}

/// What kind of named net this is, and so who drives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetKind {
    /// A module input port (driven from outside).
    Input,
    /// A module output port (driven by an assignment).
    Output,
    /// A combinational wire (driven by an assignment).
    Wire,
    /// A register (driven by its `next` expression at the clock edge).
    Reg(usize),
    /// An output of an instance: (instance index, port name).
    InstOut(usize, String),
    /// A combinational memory read port: (memory index, read port index).
    MemReadComb(usize, usize),
    /// A registered memory read port: (memory index, read port index).
    MemReadSync(usize, usize),
}

/// A named net.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Net {
    /// Verilog name (already escaped).
    pub name: String,
    /// Generator path (scopes joined with `/`), for the name map.
    pub path: String,
    /// Width in bits.
    pub width: u32,
    /// Two's complement interpretation (informational for ports; declared `signed`).
    pub signed: bool,
    /// Kind and driver source.
    pub kind: NetKind,
    /// Driver for wires and outputs.
    pub driver: Option<ExprRef>,
}

/// A register: clocked by `clock`, optional synchronous active-high reset and enable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Register {
    /// The net holding the register's value.
    pub net: NetId,
    /// Clock net (an input of the module).
    pub clock: NetId,
    /// Synchronous active-high reset net and the value loaded on reset.
    pub reset: Option<(NetId, Bits)>,
    /// Enable (1 bit): the register holds its value when it is 0.
    pub enable: Option<ExprRef>,
    /// Next value.
    pub next: Option<ExprRef>,
}

/// A memory write port (synchronous).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemWrite {
    /// Write enable (1 bit).
    pub enable: ExprRef,
    /// Word address.
    pub addr: ExprRef,
    /// Data (memory width).
    pub data: ExprRef,
}

/// A memory read port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemRead {
    /// The net carrying the read data.
    pub net: NetId,
    /// Word address.
    pub addr: ExprRef,
    /// For registered reads: an optional read enable.
    pub enable: Option<ExprRef>,
}

/// A memory of `depth` words of `width` bits, written and read on one clock.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Memory {
    /// Verilog name.
    pub name: String,
    /// Generator path.
    pub path: String,
    /// Number of words.
    pub depth: u64,
    /// Bits per word.
    pub width: u32,
    /// Clock net.
    pub clock: NetId,
    /// Write ports (applied in order; a later port wins on the same address).
    pub writes: Vec<MemWrite>,
    /// Read ports.
    pub reads: Vec<MemRead>,
}

/// An instance of another module.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Instance name.
    pub name: String,
    /// Generator path.
    pub path: String,
    /// The instantiated module.
    pub module: Rc<Module>,
    /// Input connections: (port name, driving expression).
    pub inputs: Vec<(String, ExprRef)>,
    /// Output connections: (port name, net in this module).
    pub outputs: Vec<(String, NetId)>,
}

/// A finished, checked module.
#[derive(Debug, Clone)]
pub struct Module {
    /// Module name (generator name plus parameters, e.g. `add_stage_w9`).
    pub name: String,
    /// All named nets; ports appear in `ports` order.
    pub nets: Vec<Net>,
    /// Port nets in declaration order.
    pub ports: Vec<NetId>,
    /// Registers.
    pub regs: Vec<Register>,
    /// Memories.
    pub mems: Vec<Memory>,
    /// Instances.
    pub insts: Vec<Instance>,
    /// Default clock port, if the module has one.
    pub clock: Option<NetId>,
    /// Default reset port, if the module has one.
    pub reset: Option<NetId>,
    /// For each output port: the input ports it depends on combinationally.
    pub comb_deps: Vec<(String, Vec<String>)>,
}

impl Module {
    /// Looks a port up by name.
    pub fn port(&self, name: &str) -> Option<&Net> {
        self.ports
            .iter()
            .map(|id| &self.nets[*id])
            .find(|n| n.name == name)
    }

    /// `top` and every module instantiated below it, each module object once, in post-order
    /// (a module before any module that instantiates it; `top` last).
    pub fn hierarchy(top: &Rc<Module>) -> Vec<Rc<Module>> {
        let mut order: Vec<Rc<Module>> = Vec::new();
        let mut visited: std::collections::HashSet<*const Module> = Default::default();
        let mut stack: Vec<(Rc<Module>, bool)> = vec![(top.clone(), false)];
        while let Some((m, expanded)) = stack.pop() {
            if expanded {
                order.push(m);
                continue;
            }
            if !visited.insert(Rc::as_ptr(&m)) {
                continue;
            }
            stack.push((m.clone(), true));
            for i in m.insts.iter().rev() {
                if !visited.contains(&Rc::as_ptr(&i.module)) {
                    stack.push((i.module.clone(), false));
                }
            }
        }
        order
    }

    /// Total number of expression nodes in the module (shared nodes counted per use).
    pub fn node_count(&self) -> usize {
        fn count(e: &Expr) -> usize {
            let mut n = 1;
            for_each_operand(e, |x| n += count(x));
            n
        }
        let mut n = 0;
        for net in &self.nets {
            n += net.driver.as_ref().map_or(0, |e| count(e));
        }
        for r in &self.regs {
            n += r.next.as_ref().map_or(0, |e| count(e));
            n += r.enable.as_ref().map_or(0, |e| count(e));
        }
        for i in &self.insts {
            n += i.inputs.iter().map(|(_, e)| count(e)).sum::<usize>();
        }
        n
    }
}

/// Whether bits of `e` print in place, without cutting them from a computed value: constants
/// and nets select directly, concatenations and zero extensions by their parts. A slice of
/// anything else (an operator expression) needs a temporary in Verilog.
pub(crate) fn slices_in_place(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Const(_) | ExprKind::Net(_) | ExprKind::Concat(_) | ExprKind::Zext(_)
    )
}

/// Calls `f` on every direct operand of `e`.
pub fn for_each_operand<'a>(e: &'a Expr, mut f: impl FnMut(&'a ExprRef)) {
    match &e.kind {
        ExprKind::Const(_) | ExprKind::Net(_) => {}
        ExprKind::Unary(_, a)
        | ExprKind::Reduce(_, a)
        | ExprKind::Slice(a, _)
        | ExprKind::Repeat(a, _)
        | ExprKind::Zext(a)
        | ExprKind::Sext(a) => f(a),
        ExprKind::Shift(_, a, ShiftAmount::Const(_)) => f(a),
        ExprKind::Shift(_, a, ShiftAmount::Var(b))
        | ExprKind::Binary(_, a, b)
        | ExprKind::Cmp(_, _, a, b) => {
            f(a);
            f(b)
        }
        ExprKind::Concat(v) => v.iter().for_each(f),
        ExprKind::Mux(s, a, b) => {
            f(s);
            f(a);
            f(b)
        }
    }
}

/// Collects the nets read by `e` (with repetition), iteratively (deep trees are fine).
pub fn nets_read(e: &ExprRef, out: &mut Vec<NetId>) {
    let mut stack: Vec<&ExprRef> = vec![e];
    while let Some(x) = stack.pop() {
        if let ExprKind::Net(id) = x.kind {
            out.push(id);
        }
        for_each_operand(x, |y| stack.push(y));
    }
}
