//! `ModuleBuilder`: the API generator code calls with plain Rust values.
//!
//! ```
//! use nicc_rtl::{ModuleBuilder, Signal};
//! let mut m = ModuleBuilder::new("add2_w8");
//! let (_clk, _rst) = m.clock_domain();
//! let a = m.input("a", 8);
//! let b = m.input("b", 8);
//! let sum = m.wire("sum", &a.add_w(&b, 9));
//! let q = m.reg("sum_q", &sum);
//! m.output("out", &q);
//! let module = m.finish().unwrap();
//! let design = nicc_rtl::emit(&module).unwrap();
//! assert!(design.verilog().contains("wire [8:0] sum = {1'b0, a} + {1'b0, b};"));
//! ```

use crate::bits::Bits;
use crate::check;
use crate::error::{CheckError, RtlError};
use crate::ir::{
    Expr, ExprKind, Instance, MemRead, MemWrite, Memory, Module, Net, NetId, NetKind, Register,
};
use crate::names::escape;
use crate::signal::{Owner, Signal};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identity of builders, so that a signal of one module is caught when used in another.
/// (Never used for names.)
static BUILDER_ID: AtomicU64 = AtomicU64::new(1);

/// Handle on a declared wire or output port, to be driven later with [`ModuleBuilder::drive`].
#[derive(Debug, Clone)]
pub struct WireHandle {
    id: NetId,
    sig: Signal,
}

impl WireHandle {
    /// The value of the net, for use in expressions.
    pub fn sig(&self) -> Signal {
        self.sig.clone()
    }
}

/// Handle on a declared register, whose next value (and enable) are set later.
#[derive(Debug, Clone)]
pub struct RegHandle {
    reg: usize,
    sig: Signal,
}

impl RegHandle {
    /// The current (registered) value.
    pub fn sig(&self) -> Signal {
        self.sig.clone()
    }
}

/// Handle on a memory.
#[derive(Debug, Clone, Copy)]
pub struct MemHandle {
    mem: usize,
    owner: u64,
}

/// The outputs of an instance, by port name.
#[derive(Debug, Clone)]
pub struct InstanceOutputs {
    outputs: Vec<(String, Signal)>,
}

impl InstanceOutputs {
    /// The signal carrying output `port`; `None` if the module has no such output.
    pub fn get(&self, port: &str) -> Option<Signal> {
        self.outputs
            .iter()
            .find(|(p, _)| p == port)
            .map(|(_, s)| s.clone())
    }

    /// Like [`InstanceOutputs::get`], panicking with the port name when it does not exist
    /// (a generator bug, never user input).
    pub fn out(&self, port: &str) -> Signal {
        self.get(port)
            .unwrap_or_else(|| panic!("instance has no output port `{port}`"))
    }

    /// The outputs not named in `used`, in port order: what a parent that does not need them
    /// gathers into a lint sink (a wire whose name contains `unused`, Verilator's
    /// `--unused-regexp` default).
    pub fn others(&self, used: &[&str]) -> Vec<Signal> {
        self.outputs
            .iter()
            .filter(|(p, _)| !used.contains(&p.as_str()))
            .map(|(_, s)| s.clone())
            .collect()
    }
}

/// Builds one module. Create it, declare ports, add logic, then [`ModuleBuilder::finish`].
#[derive(Debug)]
pub struct ModuleBuilder {
    id: u64,
    name: String,
    nets: Vec<Net>,
    ports: Vec<NetId>,
    regs: Vec<Register>,
    mems: Vec<Memory>,
    insts: Vec<Instance>,
    clock: Option<NetId>,
    reset: Option<NetId>,
    scope: Vec<String>,
    names: HashMap<String, String>,
    errors: Vec<CheckError>,
}

impl ModuleBuilder {
    /// The nets declared so far (for analyses such as [`ModuleBuilder::known_bits`]).
    pub(crate) fn nets(&self) -> &[Net] {
        &self.nets
    }

    /// Starts a module. The name should carry the generator's parameters (`add_stage_w9`).
    pub fn new(name: impl Into<String>) -> ModuleBuilder {
        ModuleBuilder {
            id: BUILDER_ID.fetch_add(1, Ordering::Relaxed),
            name: escape(&name.into()),
            nets: Vec::new(),
            ports: Vec::new(),
            regs: Vec::new(),
            mems: Vec::new(),
            insts: Vec::new(),
            clock: None,
            reset: None,
            scope: Vec::new(),
            names: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// The module's (escaped) name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `f` with `name` pushed on the scope: names created inside get the prefix
    /// `name_` and the generator path `name/...`.
    pub fn scope<R>(&mut self, name: &str, f: impl FnOnce(&mut ModuleBuilder) -> R) -> R {
        self.scope.push(name.to_string());
        let r = f(self);
        self.scope.pop();
        r
    }

    fn full_name(&self, name: &str) -> (String, String) {
        let mut vname = String::new();
        let mut path = String::new();
        for s in &self.scope {
            vname.push_str(s);
            vname.push('_');
            path.push_str(s);
            path.push('/');
        }
        vname.push_str(name);
        path.push_str(name);
        (escape(&vname), path)
    }

    fn claim(&mut self, vname: &str, path: &str) {
        if let Some(first) = self.names.get(vname) {
            self.errors.push(CheckError::NameCollision {
                name: vname.to_string(),
                first: first.clone(),
                second: path.to_string(),
            });
        } else {
            self.names.insert(vname.to_string(), path.to_string());
        }
    }

    fn add_net(&mut self, name: &str, width: u32, signed: bool, kind: NetKind) -> (NetId, Signal) {
        let (vname, path) = self.full_name(name);
        self.claim(&vname, &path);
        if width == 0 {
            self.errors.push(CheckError::Shape(
                vname.clone(),
                "width 0 is not allowed".into(),
            ));
        }
        let id = self.nets.len();
        self.nets.push(Net {
            name: vname,
            path,
            width,
            signed,
            kind,
            driver: None,
        });
        let sig = Signal::from_expr(
            Rc::new(Expr {
                kind: ExprKind::Net(id),
                width,
            }),
            signed,
            Owner::Module(self.id),
        );
        (id, sig)
    }

    fn check_owner(&mut self, dest: &str, s: &Signal) -> bool {
        match s.owner {
            Owner::Any => true,
            Owner::Module(m) if m == self.id => true,
            _ => {
                self.errors
                    .push(CheckError::ForeignSignal(dest.to_string()));
                false
            }
        }
    }

    /// Declares an unsigned input port.
    pub fn input(&mut self, name: &str, width: u32) -> Signal {
        let (id, s) = self.add_net(name, width, false, NetKind::Input);
        self.ports.push(id);
        s
    }

    /// Declares a signed (two's complement) input port.
    pub fn input_signed(&mut self, name: &str, width: u32) -> Signal {
        let (id, s) = self.add_net(name, width, true, NetKind::Input);
        self.ports.push(id);
        s
    }

    /// Declares a clock input and makes it the default clock of the module's registers.
    pub fn clock_input(&mut self, name: &str) -> Signal {
        let (id, s) = self.add_net(name, 1, false, NetKind::Input);
        self.ports.push(id);
        if self.clock.is_none() {
            self.clock = Some(id);
        }
        s
    }

    /// Declares a synchronous active-high reset input and makes it the default reset.
    pub fn reset_input(&mut self, name: &str) -> Signal {
        let (id, s) = self.add_net(name, 1, false, NetKind::Input);
        self.ports.push(id);
        if self.reset.is_none() {
            self.reset = Some(id);
        }
        s
    }

    /// Declares `clk` and `rst` inputs: the default clock domain (synchronous, active-high reset).
    pub fn clock_domain(&mut self) -> (Signal, Signal) {
        (self.clock_input("clk"), self.reset_input("rst"))
    }

    /// Declares an output port driven by `value` (width and signedness taken from it).
    pub fn output(&mut self, name: &str, value: &Signal) {
        let h = self.output_decl(name, value.width(), value.is_signed());
        self.drive(&h, value);
    }

    /// Declares an output port to be driven later with [`ModuleBuilder::drive`].
    pub fn output_decl(&mut self, name: &str, width: u32, signed: bool) -> WireHandle {
        let (id, sig) = self.add_net(name, width, signed, NetKind::Output);
        self.ports.push(id);
        WireHandle { id, sig }
    }

    /// A named wire driven by `value`; returns the wire (so later uses read the name).
    pub fn wire(&mut self, name: &str, value: &Signal) -> Signal {
        let h = self.wire_decl(name, value.width());
        self.drive(&h, value);
        if value.is_signed() {
            h.sig.as_signed()
        } else {
            h.sig
        }
    }

    /// Declares a wire to be driven later (for structures built out of order).
    pub fn wire_decl(&mut self, name: &str, width: u32) -> WireHandle {
        let (id, sig) = self.add_net(name, width, false, NetKind::Wire);
        WireHandle { id, sig }
    }

    /// Drives a declared wire or output with `value` (exactly one driver per net).
    pub fn drive(&mut self, net: &WireHandle, value: &Signal) {
        let name = self.nets[net.id].name.clone();
        if !self.check_owner(&name, &net.sig) || !self.check_owner(&name, value) {
            return;
        }
        if self.nets[net.id].driver.is_some() {
            self.errors.push(CheckError::MultipleDrivers(name));
            return;
        }
        self.nets[net.id].driver = Some(value.expr.clone());
    }

    /// A register on the default clock whose next value is `next`; it resets to zero when the
    /// module has a default reset. Returns the registered value.
    pub fn reg(&mut self, name: &str, next: &Signal) -> Signal {
        let init = self.reset.map(|_| Bits::zero(next.width()));
        let r = self.reg_decl(name, next.width(), next.is_signed(), init);
        self.set_next(&r, next);
        r.sig()
    }

    /// Like [`ModuleBuilder::reg`] with an enable: the register holds when `en` is 0.
    pub fn reg_en(&mut self, name: &str, next: &Signal, en: &Signal) -> Signal {
        let init = self.reset.map(|_| Bits::zero(next.width()));
        let r = self.reg_decl(name, next.width(), next.is_signed(), init);
        self.set_next(&r, next);
        self.set_enable(&r, en);
        r.sig()
    }

    /// Declares a register on the default clock. `reset`: `None` for no reset, or the value
    /// loaded while the default reset is high (needs a reset input).
    pub fn reg_decl(
        &mut self,
        name: &str,
        width: u32,
        signed: bool,
        reset: Option<Bits>,
    ) -> RegHandle {
        let reg = self.regs.len();
        let (id, sig) = self.add_net(name, width, signed, NetKind::Reg(reg));
        let clock = match self.clock {
            Some(c) => c,
            None => {
                self.errors
                    .push(CheckError::NoClock(self.nets[id].name.clone()));
                usize::MAX
            }
        };
        let reset = match (reset, self.reset) {
            (None, _) => None,
            (Some(v), Some(r)) => {
                if v.width() != width {
                    self.errors.push(CheckError::Width {
                        dest: self.nets[id].name.clone(),
                        what: format!("reset value has {} bits, register has {width}", v.width()),
                    });
                }
                Some((r, v))
            }
            (Some(_), None) => {
                self.errors.push(CheckError::Shape(
                    self.nets[id].name.clone(),
                    "a reset value was given but the module has no reset input".into(),
                ));
                None
            }
        };
        self.regs.push(Register {
            net: id,
            clock,
            reset,
            enable: None,
            next: None,
        });
        RegHandle { reg, sig }
    }

    /// Sets a register's next value (once).
    pub fn set_next(&mut self, r: &RegHandle, next: &Signal) {
        let name = self.nets[self.regs[r.reg].net].name.clone();
        if !self.check_owner(&name, next) {
            return;
        }
        if self.regs[r.reg].next.is_some() {
            self.errors.push(CheckError::MultipleDrivers(name));
            return;
        }
        self.regs[r.reg].next = Some(next.expr.clone());
    }

    /// Sets a register's enable (1 bit, once).
    pub fn set_enable(&mut self, r: &RegHandle, en: &Signal) {
        let name = self.nets[self.regs[r.reg].net].name.clone();
        if !self.check_owner(&name, en) {
            return;
        }
        if self.regs[r.reg].enable.is_some() {
            self.errors
                .push(CheckError::MultipleDrivers(format!("{name} (enable)")));
            return;
        }
        self.regs[r.reg].enable = Some(en.expr.clone());
    }

    /// Declares a memory of `depth` words of `width` bits on the default clock.
    pub fn memory(&mut self, name: &str, depth: u64, width: u32) -> MemHandle {
        let (vname, path) = self.full_name(name);
        self.claim(&vname, &path);
        if depth == 0 || width == 0 {
            self.errors.push(CheckError::Shape(
                vname.clone(),
                format!("memory of {depth} x {width} bits: both must be >= 1"),
            ));
        }
        let clock = match self.clock {
            Some(c) => c,
            None => {
                self.errors.push(CheckError::NoClock(vname.clone()));
                usize::MAX
            }
        };
        self.mems.push(Memory {
            name: vname,
            path,
            depth,
            width,
            clock,
            writes: Vec::new(),
            reads: Vec::new(),
        });
        MemHandle {
            mem: self.mems.len() - 1,
            owner: self.id,
        }
    }

    /// Adds a synchronous write port: when `en` is 1 at the clock edge, `mem[addr] <= data`.
    pub fn mem_write(&mut self, mem: MemHandle, en: &Signal, addr: &Signal, data: &Signal) {
        let name = self.mems[mem.mem].name.clone();
        if mem.owner != self.id {
            self.errors.push(CheckError::ForeignSignal(name));
            return;
        }
        for s in [en, addr, data] {
            if !self.check_owner(&name, s) {
                return;
            }
        }
        self.mems[mem.mem].writes.push(MemWrite {
            enable: en.expr.clone(),
            addr: addr.expr.clone(),
            data: data.expr.clone(),
        });
    }

    fn mem_read_impl(
        &mut self,
        mem: MemHandle,
        name: &str,
        addr: &Signal,
        sync: Option<Option<&Signal>>,
    ) -> Signal {
        let m = mem.mem;
        let width = self.mems[m].width;
        let port = self.mems[m].reads.len();
        let kind = if sync.is_some() {
            NetKind::MemReadSync(m, port)
        } else {
            NetKind::MemReadComb(m, port)
        };
        let (id, sig) = self.add_net(name, width, false, kind);
        let mname = self.mems[m].name.clone();
        if mem.owner != self.id {
            self.errors.push(CheckError::ForeignSignal(mname));
            return sig;
        }
        self.check_owner(&mname, addr);
        let enable = sync.flatten().map(|e| {
            self.check_owner(&mname, e);
            e.expr.clone()
        });
        self.mems[m].reads.push(MemRead {
            net: id,
            addr: addr.expr.clone(),
            enable,
        });
        sig
    }

    /// A combinational (asynchronous) read port: the net `name` shows `mem[addr]`.
    pub fn mem_read(&mut self, mem: MemHandle, name: &str, addr: &Signal) -> Signal {
        self.mem_read_impl(mem, name, addr, None)
    }

    /// A registered read port: at the clock edge (when `en` is 1 or absent) the net `name`
    /// loads `mem[addr]`.
    pub fn mem_read_sync(
        &mut self,
        mem: MemHandle,
        name: &str,
        addr: &Signal,
        en: Option<&Signal>,
    ) -> Signal {
        self.mem_read_impl(mem, name, addr, Some(en))
    }

    /// Instantiates `module` as `name`, connecting every input port by name. Outputs appear as
    /// nets named `<name>_<port>`.
    pub fn instance(
        &mut self,
        name: &str,
        module: &Rc<Module>,
        inputs: &[(&str, &Signal)],
    ) -> InstanceOutputs {
        let (vname, path) = self.full_name(name);
        self.claim(&vname, &path);
        let idx = self.insts.len();
        let mut conns = Vec::new();
        let input_names: Vec<String> = module
            .ports
            .iter()
            .map(|p| &module.nets[*p])
            .filter(|n| n.kind == NetKind::Input)
            .map(|n| n.name.clone())
            .collect();
        for (port, sig) in inputs {
            let pnet = module.port(port).filter(|n| n.kind == NetKind::Input);
            match pnet {
                None => self.errors.push(CheckError::UnknownPort {
                    inst: vname.clone(),
                    module: module.name.clone(),
                    port: port.to_string(),
                    inputs: input_names.join(", "),
                }),
                Some(p) => {
                    let dest = format!("{vname}.{port}");
                    if p.width != sig.width() {
                        self.errors.push(CheckError::Width {
                            dest: dest.clone(),
                            what: format!(
                                "port has {} bits, connected signal has {}",
                                p.width,
                                sig.width()
                            ),
                        });
                    }
                    if conns.iter().any(|(q, _): &(String, _)| q == port) {
                        self.errors.push(CheckError::MultipleDrivers(dest.clone()));
                    }
                    if self.check_owner(&dest, sig) {
                        conns.push((port.to_string(), sig.expr.clone()));
                    }
                }
            }
        }
        for n in &input_names {
            if !inputs.iter().any(|(p, _)| p == n) {
                self.errors.push(CheckError::UnconnectedPort {
                    inst: vname.clone(),
                    module: module.name.clone(),
                    port: n.clone(),
                });
            }
        }
        let mut outs = Vec::new();
        let mut out_sigs = Vec::new();
        let out_ports: Vec<(String, u32, bool)> = module
            .ports
            .iter()
            .map(|p| &module.nets[*p])
            .filter(|n| n.kind == NetKind::Output)
            .map(|n| (n.name.clone(), n.width, n.signed))
            .collect();
        for (pname, w, signed) in out_ports {
            let (id, sig) = self.add_net(
                &format!("{name}_{pname}"),
                w,
                signed,
                NetKind::InstOut(idx, pname.clone()),
            );
            outs.push((pname.clone(), id));
            out_sigs.push((pname, sig));
        }
        self.insts.push(Instance {
            name: vname,
            path,
            module: module.clone(),
            inputs: conns,
            outputs: outs,
        });
        InstanceOutputs { outputs: out_sigs }
    }

    /// Runs the checks and returns the finished module, or every problem found.
    pub fn finish(self) -> Result<Rc<Module>, RtlError> {
        let mut errors = self.errors;
        let mut module = Module {
            name: self.name,
            nets: self.nets,
            ports: self.ports,
            regs: self.regs,
            mems: self.mems,
            insts: self.insts,
            clock: self.clock,
            reset: self.reset,
            comb_deps: Vec::new(),
        };
        check::run(&mut module, &mut errors);
        if errors.is_empty() {
            Ok(Rc::new(module))
        } else {
            Err(RtlError::Check {
                module: module.name,
                errors,
            })
        }
    }
}
