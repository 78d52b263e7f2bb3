//! The Verilog-2005 emitter: one file per module, deterministic, readable.
//!
//! Layout of a module: ports; register, memory and instance-output declarations; combinational
//! wires in dependency order (`wire [8:0] sum = ...;`); instances; output assigns; then the
//! clocked logic grouped per clock, one `always` per register. Expressions are printed with
//! every width explicit; an operand Verilog cannot express inline (a slice of an expression, a
//! sign extension of an expression) becomes a temporary named `<dest>_t<k>`, counted per
//! destination, so an edit elsewhere never renames it.

use crate::bits::Bits;
use crate::design::{Design, Dir, PortInfo, VerilogFile};
use crate::error::RtlError;
use crate::eval::known_constant;
use crate::ir::{
    for_each_operand, slices_in_place, BinOp, CmpOp, Expr, ExprKind, ExprRef, Module, NetKind,
    RedOp, ShiftAmount, ShiftOp, UnOp,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;
use std::rc::Rc;

/// Emits `top` and every module below it into a [`Design`]. Structurally identical modules
/// are emitted once (by a hash of their text); two different modules with one name are an error.
pub fn emit(top: &Rc<Module>) -> Result<Design, RtlError> {
    let order = Module::hierarchy(top);
    let mut canon: HashMap<*const Module, String> = HashMap::new();
    let mut by_hash: HashMap<Vec<u8>, String> = HashMap::new();
    let mut by_name: HashMap<String, Vec<u8>> = HashMap::new();
    let mut files = Vec::new();
    let mut name_map = BTreeMap::new();
    for m in &order {
        let (text, names) = emit_module(m, &canon)?;
        let body_start = text.find(");\n").unwrap_or(0);
        let mut h = Sha256::new();
        h.update(&text.as_bytes()[body_start..]);
        // Ports are part of the structure too.
        h.update(
            text[..body_start]
                .replace(&format!("module {} ", m.name), "module ")
                .as_bytes(),
        );
        let hash = h.finalize().to_vec();
        if let Some(name) = by_hash.get(&hash) {
            canon.insert(Rc::as_ptr(m), name.clone());
            continue;
        }
        if let Some(other) = by_name.get(&m.name) {
            if *other != hash {
                return Err(RtlError::ModuleNameClash(m.name.clone()));
            }
        }
        by_hash.insert(hash.clone(), m.name.clone());
        by_name.insert(m.name.clone(), hash);
        canon.insert(Rc::as_ptr(m), m.name.clone());
        name_map.insert(m.name.clone(), names);
        files.push(VerilogFile {
            module: m.name.clone(),
            text,
        });
    }
    let ports = top
        .ports
        .iter()
        .map(|p| {
            let n = &top.nets[*p];
            PortInfo {
                name: n.name.clone(),
                dir: if n.kind == NetKind::Input {
                    Dir::Input
                } else {
                    Dir::Output
                },
                width: n.width,
                signed: n.signed,
            }
        })
        .collect();
    Ok(Design {
        top: top.name.clone(),
        files,
        ports,
        clock: top.clock.map(|c| top.nets[c].name.clone()),
        reset: top.reset.map(|r| top.nets[r].name.clone()),
        name_map,
    })
}

fn range(width: u32) -> String {
    if width == 1 {
        String::new()
    } else {
        format!("[{}:0] ", width - 1)
    }
}

/// A sized literal: decimal up to 32 bits, hexadecimal beyond.
fn literal(b: &Bits) -> String {
    let w = b.width();
    if w == 1 {
        return format!("1'b{}", b.bit(0) as u8);
    }
    if w <= 32 {
        return format!("{}'d{}", w, b.to_u64().unwrap_or(0));
    }
    format!("{}'h{}", w, b.to_hex())
}

struct ModEmitter<'a> {
    m: &'a Module,
    names: &'a HashSet<String>,
    /// Temporaries of the current destination: node pointer -> name.
    temps: HashMap<*const Expr, String>,
    /// Operands sliced more than once in the current destination whose slices cover one
    /// unbroken range: operand pointer -> (lo, hi) of that range.
    hulls: HashMap<*const Expr, (u32, u32)>,
    /// The temporaries holding those ranges: operand pointer -> name.
    hull_temps: HashMap<*const Expr, String>,
    temp_prefix: String,
    temp_path: String,
    temp_count: usize,
    pending: String,
    name_map: BTreeMap<String, String>,
    error: Option<RtlError>,
}

/// Operator precedence class of a printed expression, to decide on parentheses.
#[derive(Clone, Copy, PartialEq)]
enum Prec {
    /// Names, literals, concatenations, slices: never need parentheses.
    Atom,
    /// Anything else.
    Op,
}

impl<'a> ModEmitter<'a> {
    /// Starts destination `name` whose value is `root`.
    fn begin_dest(&mut self, name: &str, path: &str, root: &ExprRef) {
        self.temps.clear();
        self.hulls = slice_hulls(root);
        self.hull_temps.clear();
        self.temp_prefix = name.to_string();
        self.temp_path = path.to_string();
        self.temp_count = 0;
        self.pending.clear();
    }

    /// Names `e` as a temporary of the current destination (declared before it).
    fn temp(&mut self, e: &ExprRef) -> String {
        if let Some(n) = self.temps.get(&Rc::as_ptr(e)) {
            return n.clone();
        }
        let value = self.expr(e);
        let name = format!("{}_t{}", self.temp_prefix, self.temp_count);
        self.temp_count += 1;
        if self.names.contains(&name) && self.error.is_none() {
            self.error = Some(RtlError::TempCollision {
                module: self.m.name.clone(),
                name: name.clone(),
            });
        }
        let _ = writeln!(
            self.pending,
            "    wire {}{} = {};",
            range(e.width),
            name,
            value
        );
        self.name_map.insert(
            name.clone(),
            format!("{}/t{}", self.temp_path, self.temp_count - 1),
        );
        self.temps.insert(Rc::as_ptr(e), name.clone());
        name
    }

    /// A slice of an unnamed expression: a temporary holding exactly the selected bits, the
    /// bits above and below going to `<temp>_unused_hi` / `<temp>_unused_lo` (Verilator's
    /// convention for intentionally unread bits), so no temporary has unread bits.
    ///
    /// An operand sliced several times in one destination, where the slices cover one
    /// unbroken range, gets one temporary holding that range, and each slice selects from it
    /// (`{x_t0[7:0], x_t0[15:8]}`): the operand is printed once, not once per slice.
    fn slice_temp(&mut self, e: &ExprRef, a: &ExprRef, lo: u32) -> String {
        if let Some(n) = self.temps.get(&Rc::as_ptr(e)) {
            return n.clone();
        }
        let name = match self.hulls.get(&Rc::as_ptr(a)).copied() {
            Some((hlo, hhi)) => {
                let t = match self.hull_temps.get(&Rc::as_ptr(a)) {
                    Some(t) => t.clone(),
                    None => {
                        let t = self.cut_temp(a, hlo, hhi - hlo);
                        self.hull_temps.insert(Rc::as_ptr(a), t.clone());
                        t
                    }
                };
                let rel = lo - hlo;
                if rel == 0 && e.width == hhi - hlo {
                    t
                } else if e.width == 1 {
                    format!("{t}[{rel}]")
                } else {
                    format!("{t}[{}:{rel}]", rel + e.width - 1)
                }
            }
            None => self.cut_temp(a, lo, e.width),
        };
        self.temps.insert(Rc::as_ptr(e), name.clone());
        name
    }

    /// A new temporary holding bits `[lo + w - 1 : lo]` of `a`.
    fn cut_temp(&mut self, a: &ExprRef, lo: u32, w: u32) -> String {
        let value = self.expr(a);
        let k = self.temp_count;
        self.temp_count += 1;
        let name = format!("{}_t{k}", self.temp_prefix);
        self.assign_cut(&name, true, &value, a.width, lo, w);
        name
    }

    /// Declares `name` (`w` bits) with `<name>_unused_hi` / `_lo` for the bits of the
    /// `a_width`-bit `value` above and below `[lo + w - 1 : lo]`, and assigns `value` to them
    /// all. `temp`: `name` is a new temporary (else the destination net itself).
    fn assign_cut(&mut self, name: &str, temp: bool, value: &str, a_width: u32, lo: u32, w: u32) {
        let hi_w = a_width - lo - w;
        let mut lhs = Vec::new();
        let mut decls = vec![(name.to_string(), w)];
        if hi_w > 0 {
            decls.push((format!("{name}_unused_hi"), hi_w));
            lhs.push(format!("{name}_unused_hi"));
        }
        lhs.push(name.to_string());
        if lo > 0 {
            decls.push((format!("{name}_unused_lo"), lo));
            lhs.push(format!("{name}_unused_lo"));
        }
        for (i, (d, w)) in decls.iter().enumerate() {
            let _ = writeln!(self.pending, "    wire {}{};", range(*w), d);
            if i == 0 && !temp {
                continue;
            }
            if self.names.contains(d) && self.error.is_none() {
                self.error = Some(RtlError::TempCollision {
                    module: self.m.name.clone(),
                    name: d.clone(),
                });
            }
            self.name_map.insert(
                d.clone(),
                format!("{}/{}", self.temp_path, &d[self.temp_prefix.len() + 1..]),
            );
        }
        let _ = writeln!(
            self.pending,
            "    assign {{{}}} = {};",
            lhs.join(", "),
            value
        );
    }

    /// Bits `[lo + w - 1 : lo]` of `a` printed from its parts (nets, constants, slices,
    /// concatenations and zero extensions), as an unsigned Verilog atom; `None` when a part
    /// that would need cutting is an operator expression (the caller names a temporary).
    fn select_bits(&mut self, a: &ExprRef, lo: u32, w: u32) -> Option<String> {
        let whole = lo == 0 && w == a.width;
        match &a.kind {
            ExprKind::Const(b) => Some(literal(&b.slice(lo, w))),
            ExprKind::Net(id) => {
                let n = self.m.nets[*id].name.clone();
                Some(if whole && !self.verilog_signed(a) {
                    n
                } else if w == 1 {
                    format!("{n}[{lo}]")
                } else {
                    format!("{n}[{}:{lo}]", lo + w - 1)
                })
            }
            ExprKind::Slice(b, lo2) => self.select_bits(b, lo + lo2, w),
            ExprKind::Concat(parts) => {
                // Parts from the least significant (the last) up.
                let mut pieces = Vec::new();
                let mut base = 0;
                for part in parts.iter().rev() {
                    let (plo, phi) = (base, base + part.width);
                    base = phi;
                    let (from, to) = (lo.max(plo), (lo + w).min(phi));
                    if from < to {
                        pieces.push(self.select_bits(part, from - plo, to - from)?);
                    }
                }
                Some(match pieces.len() {
                    1 => pieces.pop()?,
                    _ => {
                        pieces.reverse();
                        format!("{{{}}}", pieces.join(", "))
                    }
                })
            }
            ExprKind::Zext(b) => {
                let bw = b.width;
                if lo >= bw {
                    return Some(literal(&Bits::zero(w)));
                }
                let low = self.select_bits(b, lo, w.min(bw - lo))?;
                Some(if lo + w > bw {
                    let pad = literal(&Bits::zero(lo + w - bw));
                    format!("{{{pad}, {low}}}")
                } else {
                    low
                })
            }
            // A whole operator expression is printed as it is (braced: unsigned).
            _ if whole => {
                let (t, prec) = self.expr_p(a);
                Some(if self.verilog_signed(a) {
                    format!("{{{t}}}")
                } else if prec == Prec::Atom {
                    t
                } else {
                    format!("({t})")
                })
            }
            _ => None,
        }
    }

    /// A plain name for `e`: the net's own name, or a temporary.
    fn named(&mut self, e: &ExprRef) -> String {
        match &e.kind {
            ExprKind::Net(id) => self.m.nets[*id].name.clone(),
            _ => self.temp(e),
        }
    }

    /// True if Verilog would treat the printed `e` as a signed expression.
    fn verilog_signed(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Net(id) => {
                let n = &self.m.nets[*id];
                n.signed && matches!(n.kind, NetKind::Input | NetKind::Output)
            }
            ExprKind::Unary(_, a) => self.verilog_signed(a),
            ExprKind::Binary(_, a, b) | ExprKind::Mux(_, a, b) => {
                self.verilog_signed(a) && self.verilog_signed(b)
            }
            ExprKind::Shift(ShiftOp::Ashr, ..) => false, // printed inside braces
            ExprKind::Shift(_, a, _) => self.verilog_signed(a),
            _ => false,
        }
    }

    fn operand(&mut self, e: &ExprRef) -> String {
        let (s, p) = self.expr_p(e);
        if p == Prec::Atom {
            s
        } else {
            format!("({s})")
        }
    }

    fn expr(&mut self, e: &ExprRef) -> String {
        self.expr_p(e).0
    }

    fn expr_p(&mut self, e: &ExprRef) -> (String, Prec) {
        match &e.kind {
            ExprKind::Const(b) => (literal(b), Prec::Atom),
            ExprKind::Net(id) => (self.m.nets[*id].name.clone(), Prec::Atom),
            ExprKind::Unary(op, a) => {
                let o = self.operand(a);
                let s = match op {
                    UnOp::Not => format!("~{o}"),
                    UnOp::Neg => format!("-{o}"),
                };
                (s, Prec::Op)
            }
            ExprKind::Binary(op, a, b) => {
                let sym = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::And => "&",
                    BinOp::Or => "|",
                    BinOp::Xor => "^",
                };
                // Left-nested chains of one associative operator print without parentheses.
                let left = match &a.kind {
                    ExprKind::Binary(op2, ..) if op2 == op && *op != BinOp::Sub => self.expr(a),
                    ExprKind::Binary(BinOp::Add | BinOp::Sub, ..)
                        if matches!(op, BinOp::Add | BinOp::Sub) =>
                    {
                        self.expr(a)
                    }
                    _ => self.operand(a),
                };
                let right = self.operand(b);
                (format!("{left} {sym} {right}"), Prec::Op)
            }
            ExprKind::Cmp(op, signed, a, b) => {
                // A comparison whose value is known without the nets it reads (`0 <= x`,
                // `x > max`, constant operands the way Verilator folds them) is printed as
                // that value: Verilator's -Wall flags it otherwise (UNSIGNED, CMPCONST).
                if let Some(v) = known_constant(e) {
                    return (literal(&v), Prec::Atom);
                }
                let sym = match op {
                    CmpOp::Eq => "==",
                    CmpOp::Ne => "!=",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                let wrap = |me: &mut Self, x: &ExprRef| -> String {
                    if *signed {
                        format!("$signed({})", me.expr(x))
                    } else if me.verilog_signed(x) {
                        format!("$unsigned({})", me.expr(x))
                    } else {
                        me.operand(x)
                    }
                };
                let l = wrap(self, a);
                let r = wrap(self, b);
                (format!("{l} {sym} {r}"), Prec::Op)
            }
            ExprKind::Reduce(op, a) => {
                let sym = match op {
                    RedOp::And => "&",
                    RedOp::Or => "|",
                    RedOp::Xor => "^",
                };
                (format!("{sym}{}", self.operand(a)), Prec::Op)
            }
            ExprKind::Shift(op, a, amt) => {
                let amt_s = match amt {
                    ShiftAmount::Const(n) => n.to_string(),
                    ShiftAmount::Var(x) => self.operand(x),
                };
                match op {
                    ShiftOp::Shl => (format!("{} << {amt_s}", self.operand(a)), Prec::Op),
                    ShiftOp::Shr => (format!("{} >> {amt_s}", self.operand(a)), Prec::Op),
                    // Braces make the shift self-determined, so an unsigned context around it
                    // cannot turn it into a logical shift.
                    ShiftOp::Ashr => (
                        format!("{{$signed({}) >>> {amt_s}}}", self.expr(a)),
                        Prec::Atom,
                    ),
                }
            }
            ExprKind::Slice(a, lo) => {
                // Constants and nets slice directly; a slice of a concatenation (or zero
                // extension) prints the parts it selects, `{x[2], x[0]}[0]` as `x[0]`, instead
                // of a temporary holding every part. Anything else needs a temporary.
                if slices_in_place(a) {
                    if let Some(t) = self.select_bits(a, *lo, e.width) {
                        return (t, Prec::Atom);
                    }
                }
                (self.slice_temp(e, a, *lo), Prec::Atom)
            }
            ExprKind::Repeat(a, n) => (format!("{{{n}{{{}}}}}", self.expr(a)), Prec::Atom),
            // One flat concatenation: nested ones and zero extensions are spliced in and
            // zeros joined to the constant after them (`{3'd0, {o2, 3'd0}}` prints
            // `{3'd0, o2, 3'd0}`, `{1'b0, 16'd14}` prints `17'd14`).
            ExprKind::Concat(_) | ExprKind::Zext(_) => {
                let mut pieces = Vec::new();
                self.concat_pieces(e, &mut pieces);
                let constant = pieces.iter().all(|p| p.is_ok());
                let mut text: Vec<String> = Vec::new();
                // Constants waiting to be printed as one literal.
                let mut lit: Vec<Bits> = Vec::new();
                let flush = |lit: &mut Vec<Bits>, text: &mut Vec<String>| {
                    if !lit.is_empty() {
                        text.push(literal(&Bits::concat(lit)));
                        lit.clear();
                    }
                };
                for p in pieces {
                    match p {
                        // Leading zeros join the constant after them; a constant with a
                        // value keeps its own literal (`{sign, 8'd255, 7'd0}` stays).
                        Ok(b) => {
                            if lit.iter().any(|l| !l.is_zero()) {
                                flush(&mut lit, &mut text);
                            }
                            lit.push(b)
                        }
                        Err(t) => {
                            flush(&mut lit, &mut text);
                            text.push(t);
                        }
                    }
                }
                flush(&mut lit, &mut text);
                if constant && text.len() == 1 {
                    (text.remove(0), Prec::Atom)
                } else {
                    (format!("{{{}}}", text.join(", ")), Prec::Atom)
                }
            }
            ExprKind::Sext(a) => {
                let k = e.width - a.width;
                if a.width == 1 {
                    let n = self.operand(a);
                    return (format!("{{{}{{{n}}}}}", e.width), Prec::Atom);
                }
                // Nets, constants, slices and concatenations of them print their sign bit
                // directly (`in_data[7]` of `in_data[7:0]`); anything else is named first.
                let direct = if matches!(
                    a.kind,
                    ExprKind::Const(_)
                        | ExprKind::Net(_)
                        | ExprKind::Slice(..)
                        | ExprKind::Concat(_)
                        | ExprKind::Zext(_)
                ) {
                    self.select_bits(a, a.width - 1, 1)
                } else {
                    None
                };
                let (n, sign) = match direct {
                    Some(sign) => (self.operand(a), sign),
                    None => {
                        let n = self.named(a);
                        let sign = format!("{n}[{}]", a.width - 1);
                        (n, sign)
                    }
                };
                let s = if k == 1 {
                    format!("{{{sign}, {n}}}")
                } else {
                    format!("{{{{{k}{{{sign}}}}}, {n}}}")
                };
                (s, Prec::Atom)
            }
            ExprKind::Mux(s, a, b) => {
                let sel = self.operand(s);
                let t = self.operand(a);
                // An else-arm that is itself a mux chains without parentheses.
                let f = match &b.kind {
                    ExprKind::Mux(..) => self.expr(b),
                    _ => self.operand(b),
                };
                (format!("{sel} ? {t} : {f}"), Prec::Op)
            }
        }
    }

    /// A wire whose driver is a slice of an operator expression: the expression is assigned
    /// to the wire itself and `<name>_unused_hi` / `_lo` (no temporary in between). Returns
    /// the declaration and assignment lines, or `None` for any other driver.
    fn cut_wire(&mut self, name: &str, path: &str, e: &ExprRef) -> Option<String> {
        let ExprKind::Slice(a, lo) = &e.kind else {
            return None;
        };
        if slices_in_place(a) {
            return None;
        }
        self.begin_dest(name, path, e);
        let value = self.expr(a);
        self.assign_cut(name, false, &value, a.width, *lo, e.width);
        Some(std::mem::take(&mut self.pending))
    }

    /// The parts of concatenation or zero extension `e`, most significant first, nested ones
    /// spliced in: constants as `Ok(bits)` (leading zeros are joined to what follows), anything
    /// else printed, as `Err(text)`.
    fn concat_pieces(&mut self, e: &ExprRef, out: &mut Vec<Result<Bits, String>>) {
        match &e.kind {
            ExprKind::Concat(v) => v.iter().for_each(|x| self.concat_pieces(x, out)),
            ExprKind::Zext(a) => {
                if e.width > a.width {
                    out.push(Ok(Bits::zero(e.width - a.width)));
                }
                self.concat_pieces(a, out);
            }
            ExprKind::Const(b) => out.push(Ok(b.clone())),
            _ => out.push(Err(self.expr(e))),
        }
    }

    /// Prints `e` for destination `name` and returns (pending temporaries, text).
    fn dest_expr(&mut self, name: &str, path: &str, e: &ExprRef) -> (String, String) {
        self.begin_dest(name, path, e);
        let s = self.expr(e);
        (std::mem::take(&mut self.pending), s)
    }
}

/// The operands under `root` that [`ModEmitter::slice_temp`] cuts more than once (operator
/// expressions, sliced by two or more slice nodes) where the slices together cover one
/// unbroken range of bits: operand -> (lo, hi). A range with a gap is left to one temporary
/// per slice, since a temporary must not hold bits nothing reads.
fn slice_hulls(root: &ExprRef) -> HashMap<*const Expr, (u32, u32)> {
    let mut seen = HashSet::new();
    let mut ranges: HashMap<*const Expr, Vec<(u32, u32)>> = HashMap::new();
    let mut stack = vec![root];
    while let Some(x) = stack.pop() {
        if !seen.insert(Rc::as_ptr(x)) {
            continue;
        }
        if let ExprKind::Slice(a, lo) = &x.kind {
            if !slices_in_place(a) {
                ranges
                    .entry(Rc::as_ptr(a))
                    .or_default()
                    .push((*lo, lo + x.width));
            }
        }
        for_each_operand(x, |c| stack.push(c));
    }
    ranges
        .into_iter()
        .filter_map(|(a, mut r)| {
            if r.len() < 2 {
                return None;
            }
            r.sort_unstable();
            let mut hi = r[0].1;
            for &(l, h) in &r[1..] {
                if l > hi {
                    return None;
                }
                hi = hi.max(h);
            }
            Some((a, (r[0].0, hi)))
        })
        .collect()
}

/// Emits one module; returns (file text, name map).
fn emit_module(
    m: &Module,
    canon: &HashMap<*const Module, String>,
) -> Result<(String, BTreeMap<String, String>), RtlError> {
    let mut names: HashSet<String> = m.nets.iter().map(|n| n.name.clone()).collect();
    names.extend(m.mems.iter().map(|x| x.name.clone()));
    names.extend(m.insts.iter().map(|x| x.name.clone()));
    let mut em = ModEmitter {
        m,
        names: &names,
        temps: HashMap::new(),
        hulls: HashMap::new(),
        hull_temps: HashMap::new(),
        temp_prefix: String::new(),
        temp_path: String::new(),
        temp_count: 0,
        pending: String::new(),
        name_map: BTreeMap::new(),
        error: None,
    };
    for n in &m.nets {
        em.name_map.insert(n.name.clone(), n.path.clone());
    }
    for x in &m.mems {
        em.name_map.insert(x.name.clone(), x.path.clone());
    }
    for x in &m.insts {
        em.name_map.insert(x.name.clone(), x.path.clone());
    }
    let mut body = String::with_capacity(4096);

    // Header and ports.
    let mut head = String::new();
    let _ = writeln!(
        head,
        "// Generated by nicc. Do not edit: change the generator instead."
    );
    head.push_str("`default_nettype none\n\n");
    if m.ports.is_empty() {
        let _ = writeln!(head, "module {} ();", m.name);
    } else {
        let _ = writeln!(head, "module {} (", m.name);
        for (i, p) in m.ports.iter().enumerate() {
            let n = &m.nets[*p];
            let dir = if n.kind == NetKind::Input {
                "input "
            } else {
                "output"
            };
            let sg = if n.signed { "signed " } else { "" };
            let comma = if i + 1 < m.ports.len() { "," } else { "" };
            let _ = writeln!(
                head,
                "    {dir} wire {sg}{}{}{comma}",
                range(n.width),
                n.name
            );
        }
        head.push_str(");\n");
    }

    // Declarations of state and instance outputs.
    let regs: Vec<&crate::ir::Net> = m
        .nets
        .iter()
        .filter(|n| matches!(n.kind, NetKind::Reg(_) | NetKind::MemReadSync(..)))
        .collect();
    if !regs.is_empty() {
        body.push('\n');
        for n in regs {
            let _ = writeln!(body, "    reg {}{};", range(n.width), n.name);
        }
    }
    if !m.mems.is_empty() {
        body.push('\n');
        for x in &m.mems {
            let _ = writeln!(
                body,
                "    reg {}{} [0:{}];",
                range(x.width),
                x.name,
                x.depth - 1
            );
        }
    }
    let inst_outs: Vec<&crate::ir::Net> = m
        .nets
        .iter()
        .filter(|n| matches!(n.kind, NetKind::InstOut(..)))
        .collect();
    if !inst_outs.is_empty() {
        body.push('\n');
        for n in inst_outs {
            let _ = writeln!(body, "    wire {}{};", range(n.width), n.name);
        }
    }

    // Combinational wires (and combinational memory reads) in dependency order.
    let order = wire_order(m);
    if !order.is_empty() {
        body.push('\n');
    }
    for id in order {
        let n = &m.nets[id];
        match &n.kind {
            NetKind::Wire => {
                let driver = n.driver.as_ref().unwrap();
                if let Some(lines) = em.cut_wire(&n.name, &n.path, driver) {
                    body.push_str(&lines);
                    continue;
                }
                let (pending, s) = em.dest_expr(&n.name, &n.path, driver);
                body.push_str(&pending);
                let _ = writeln!(body, "    wire {}{} = {};", range(n.width), n.name, s);
            }
            NetKind::MemReadComb(mi, pi) => {
                let mem = &m.mems[*mi];
                let (pending, a) = em.dest_expr(&n.name, &n.path, &mem.reads[*pi].addr);
                body.push_str(&pending);
                let _ = writeln!(
                    body,
                    "    wire {}{} = {}[{}];",
                    range(n.width),
                    n.name,
                    mem.name,
                    a
                );
            }
            _ => unreachable!("only wires are ordered"),
        }
    }

    // Instances.
    for inst in &m.insts {
        let mname = canon
            .get(&Rc::as_ptr(&inst.module))
            .cloned()
            .unwrap_or_else(|| inst.module.name.clone());
        let mut conns = Vec::new();
        let mut pending_all = String::new();
        for p in &inst.module.ports {
            let pn = &inst.module.nets[*p];
            if let Some((_, e)) = inst.inputs.iter().find(|(q, _)| *q == pn.name) {
                let (pending, s) = em.dest_expr(
                    &format!("{}_{}", inst.name, pn.name),
                    &format!("{}/{}", inst.path, pn.name),
                    e,
                );
                pending_all.push_str(&pending);
                conns.push(format!(".{}({})", pn.name, s));
            } else if let Some((_, net)) = inst.outputs.iter().find(|(q, _)| *q == pn.name) {
                conns.push(format!(".{}({})", pn.name, m.nets[*net].name));
            }
        }
        body.push('\n');
        body.push_str(&pending_all);
        let _ = writeln!(body, "    {} {} (", mname, inst.name);
        for (i, c) in conns.iter().enumerate() {
            let comma = if i + 1 < conns.len() { "," } else { "" };
            let _ = writeln!(body, "        {c}{comma}");
        }
        body.push_str("    );\n");
    }

    // Output assigns.
    let outs: Vec<&crate::ir::Net> = m
        .ports
        .iter()
        .map(|p| &m.nets[*p])
        .filter(|n| n.kind == NetKind::Output)
        .collect();
    if !outs.is_empty() {
        body.push('\n');
    }
    for n in outs {
        let (pending, s) = em.dest_expr(&n.name, &n.path, n.driver.as_ref().unwrap());
        body.push_str(&pending);
        let _ = writeln!(body, "    assign {} = {};", n.name, s);
    }

    // Clocked logic, grouped per clock.
    let mut clocks: Vec<usize> = m.regs.iter().map(|r| r.clock).collect();
    clocks.extend(m.mems.iter().map(|x| x.clock));
    clocks.sort_unstable();
    clocks.dedup();
    for clk in clocks {
        let cname = m.nets[clk].name.clone();
        body.push('\n');
        let _ = writeln!(body, "    // Registers clocked by {cname}.");
        for r in m.regs.iter().filter(|r| r.clock == clk) {
            let n = &m.nets[r.net];
            let (p1, next) = em.dest_expr(
                &format!("{}_next", n.name),
                &format!("{}/next", n.path),
                r.next.as_ref().unwrap(),
            );
            let (p2, en) = match &r.enable {
                Some(e) => {
                    let (p, s) =
                        em.dest_expr(&format!("{}_en", n.name), &format!("{}/en", n.path), e);
                    (p, Some(s))
                }
                None => (String::new(), None),
            };
            body.push_str(&p1);
            body.push_str(&p2);
            let assign = match &en {
                Some(en) => format!("if ({en}) {} <= {next};", n.name),
                None => format!("{} <= {next};", n.name),
            };
            match &r.reset {
                Some((rst, v)) => {
                    let _ = writeln!(
                        body,
                        "    always @(posedge {cname}) if ({}) {} <= {}; else {assign}",
                        m.nets[*rst].name,
                        n.name,
                        literal(v)
                    );
                }
                None => {
                    let _ = writeln!(body, "    always @(posedge {cname}) {assign}");
                }
            }
        }
        for x in m.mems.iter().filter(|x| x.clock == clk) {
            if !x.writes.is_empty() {
                let mut lines = Vec::new();
                for (k, w) in x.writes.iter().enumerate() {
                    let base = format!("{}_w{k}", x.name);
                    let path = format!("{}/w{k}", x.path);
                    let (p1, en) = em.dest_expr(&format!("{base}_en"), &path, &w.enable);
                    let (p2, a) = em.dest_expr(&format!("{base}_addr"), &path, &w.addr);
                    let (p3, d) = em.dest_expr(&format!("{base}_data"), &path, &w.data);
                    body.push_str(&p1);
                    body.push_str(&p2);
                    body.push_str(&p3);
                    lines.push(format!("if ({en}) {}[{a}] <= {d};", x.name));
                }
                if lines.len() == 1 {
                    let _ = writeln!(body, "    always @(posedge {cname}) {}", lines[0]);
                } else {
                    let _ = writeln!(body, "    always @(posedge {cname}) begin");
                    for l in lines {
                        let _ = writeln!(body, "        {l}");
                    }
                    body.push_str("    end\n");
                }
            }
            for r in &x.reads {
                let n = &m.nets[r.net];
                if !matches!(n.kind, NetKind::MemReadSync(..)) {
                    continue;
                }
                let (p1, a) = em.dest_expr(&format!("{}_addr", n.name), &n.path, &r.addr);
                body.push_str(&p1);
                match &r.enable {
                    Some(e) => {
                        let (p2, en) = em.dest_expr(&format!("{}_en", n.name), &n.path, e);
                        body.push_str(&p2);
                        let _ = writeln!(
                            body,
                            "    always @(posedge {cname}) if ({en}) {} <= {}[{a}];",
                            n.name, x.name
                        );
                    }
                    None => {
                        let _ = writeln!(
                            body,
                            "    always @(posedge {cname}) {} <= {}[{a}];",
                            n.name, x.name
                        );
                    }
                }
            }
        }
    }
    body.push_str("endmodule\n\n`default_nettype wire\n");
    if let Some(e) = em.error {
        return Err(e);
    }
    let mut text = head;
    text.push_str(&body);
    Ok((text, em.name_map))
}

/// Combinational wires and comb memory reads, each after every wire it reads (iterative DFS
/// in creation order, so the order is deterministic and deep chains do not overflow the stack).
fn wire_order(m: &Module) -> Vec<usize> {
    let is_ordered =
        |id: usize| matches!(m.nets[id].kind, NetKind::Wire | NetKind::MemReadComb(..));
    let deps = |id: usize| -> Vec<usize> {
        let mut v = Vec::new();
        match &m.nets[id].kind {
            NetKind::Wire => crate::ir::nets_read(m.nets[id].driver.as_ref().unwrap(), &mut v),
            NetKind::MemReadComb(mi, pi) => {
                crate::ir::nets_read(&m.mems[*mi].reads[*pi].addr, &mut v)
            }
            _ => {}
        }
        v.retain(|d| is_ordered(*d));
        v
    };
    let mut state = vec![0u8; m.nets.len()]; // 0 new, 1 on stack, 2 done
    let mut order = Vec::new();
    for start in 0..m.nets.len() {
        if !is_ordered(start) || state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(start, deps(start))];
        state[start] = 1;
        while let Some((id, pending)) = stack.last_mut() {
            if let Some(d) = pending.pop() {
                if state[d] == 0 {
                    state[d] = 1;
                    let dd = deps(d);
                    stack.push((d, dd));
                }
            } else {
                let id = *id;
                state[id] = 2;
                order.push(id);
                stack.pop();
            }
        }
    }
    order
}

/// A copy of `m` under another (escaped) name, e.g. for `--top NAME`.
pub fn renamed(m: &Rc<Module>, name: &str) -> Rc<Module> {
    let mut c = (**m).clone();
    c.name = crate::names::escape(name);
    Rc::new(c)
}
