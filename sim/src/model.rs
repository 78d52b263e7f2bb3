//! `Model`: a Verilated design loaded into this process, driven from Rust.
//!
//! Clocking convention: `set` inputs, then `step()` gives one rising edge (clock 1, evaluate,
//! clock 0, evaluate; Verilator settles input-driven logic before the edge, so registers
//! sample the values just set); outputs read after `step()` show the registered result.
//! Combinational outputs follow inputs after `eval()`. Batches do the same per cycle: load
//! inputs, one edge (clocked designs) or one evaluation (combinational ones), store outputs.

use crate::build::{build_library, BuildInfo, BuildOptions};
use crate::error::SimError;
use crate::shim::words;
use libloading::{Library, Symbol};
use nicc_rtl::{Bits, Design, Dir, PortInfo};
use std::ffi::{c_void, CString};
use std::path::Path;

type CreateFn = unsafe extern "C" fn(*const i8) -> *mut c_void;
type VoidFn = unsafe extern "C" fn(*mut c_void);
type SetFn = unsafe extern "C" fn(*mut c_void, u32, *const u32);
type GetFn = unsafe extern "C" fn(*mut c_void, u32, *mut u32);
type BatchFn = unsafe extern "C" fn(*mut c_void, u64, *const u32, *mut u32);

/// A port handle, looked up once by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    idx: u32,
    width: u32,
    dir: Dir,
}

impl Port {
    /// Width in bits.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Direction.
    pub fn dir(&self) -> Dir {
        self.dir
    }
}

/// A loaded model instance.
pub struct Model {
    // Field order: the handle must be destroyed before the library is unloaded (see Drop).
    pub(crate) handle: *mut c_void,
    destroy: VoidFn,
    eval: VoidFn,
    step: VoidFn,
    set: SetFn,
    get: GetFn,
    batch: BatchFn,
    pub(crate) _lib: Library,
    ports: Vec<PortInfo>,
    top: String,
    clock: Option<usize>,
    reset: Option<usize>,
    info: BuildInfo,
    scratch: Vec<u32>,
    batch_words: (usize, usize),
    direct_eval: bool,
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: `handle` came from this library's `nicc_create` and is destroyed once.
        unsafe { (self.destroy)(self.handle) }
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("top", &self.top)
            .field("info", &self.info)
            .finish()
    }
}

impl Model {
    /// Builds (or loads from the cache) and instantiates `d` without tracing.
    pub fn build(d: &Design) -> Result<Model, SimError> {
        Model::build_with(d, &BuildOptions::default(), None)
    }

    /// Builds with options; `vcd` (needs `opts.trace`) is where the waveform is written.
    pub fn build_with(
        d: &Design,
        opts: &BuildOptions,
        vcd: Option<&Path>,
    ) -> Result<Model, SimError> {
        let info = build_library(d, opts)?;
        Model::load(d, info, vcd)
    }

    /// Loads and instantiates the built library `info` of `d`.
    pub(crate) fn load(d: &Design, info: BuildInfo, vcd: Option<&Path>) -> Result<Model, SimError> {
        // SAFETY: the library is one nicc-sim built from its own shim; its initialisers are
        // Verilator's and the symbols below have the declared C signatures.
        let lib = unsafe { Library::new(&info.library) }.map_err(|source| SimError::Load {
            path: info.library.display().to_string(),
            source,
        })?;
        let load = |e: libloading::Error| SimError::Load {
            path: info.library.display().to_string(),
            source: e,
        };
        // SAFETY: symbol types match the shim's `extern "C"` definitions.
        let (create, destroy, eval, step, set, get, batch) = unsafe {
            let create: Symbol<CreateFn> = lib.get(b"nicc_create").map_err(load)?;
            let destroy: Symbol<VoidFn> = lib.get(b"nicc_destroy").map_err(load)?;
            let eval: Symbol<VoidFn> = lib.get(b"nicc_eval").map_err(load)?;
            let step: Symbol<VoidFn> = lib.get(b"nicc_step").map_err(load)?;
            let set: Symbol<SetFn> = lib.get(b"nicc_set").map_err(load)?;
            let get: Symbol<GetFn> = lib.get(b"nicc_get").map_err(load)?;
            let batch: Symbol<BatchFn> = lib.get(b"nicc_batch").map_err(load)?;
            (*create, *destroy, *eval, *step, *set, *get, *batch)
        };
        // SAFETY: `nicc_direct_eval` takes nothing and returns an int (see the shim).
        let direct_eval = unsafe {
            let f: Symbol<unsafe extern "C" fn() -> i32> =
                lib.get(b"nicc_direct_eval").map_err(load)?;
            f() != 0
        };
        let path = CString::new(
            vcd.map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        // SAFETY: create returns a fresh model owned by this struct.
        let handle = unsafe { create(path.as_ptr()) };
        let find = |n: &Option<String>| {
            n.as_ref()
                .and_then(|n| d.ports.iter().position(|p| &p.name == n))
        };
        let scratch_len = d.ports.iter().map(|p| words(p.width)).max().unwrap_or(1);
        let clock = find(&d.clock);
        let batch_words = (
            d.ports
                .iter()
                .enumerate()
                .filter(|(i, p)| p.dir == Dir::Input && Some(*i) != clock)
                .map(|(_, p)| words(p.width))
                .sum(),
            d.ports
                .iter()
                .filter(|p| p.dir == Dir::Output)
                .map(|p| words(p.width))
                .sum(),
        );
        Ok(Model {
            handle,
            destroy,
            eval,
            step,
            set,
            get,
            batch,
            _lib: lib,
            ports: d.ports.clone(),
            top: d.top.clone(),
            clock,
            batch_words,
            reset: find(&d.reset),
            info,
            direct_eval,
            scratch: vec![0; scratch_len],
        })
    }

    /// How the model was obtained (cache hit, time).
    pub fn build_info(&self) -> &BuildInfo {
        &self.info
    }

    /// Whether the shim evaluates the model's root directly instead of through `eval()`
    /// (untraced models on the Verilator release that was checked; see `shim.rs`).
    pub fn direct_eval(&self) -> bool {
        self.direct_eval
    }

    /// The ports, in declaration order.
    pub fn ports(&self) -> &[PortInfo] {
        &self.ports
    }

    /// Looks a port up by name.
    pub fn port(&self, name: &str) -> Result<Port, SimError> {
        self.ports
            .iter()
            .position(|p| p.name == name)
            .map(|i| Port {
                idx: i as u32,
                width: self.ports[i].width,
                dir: self.ports[i].dir,
            })
            .ok_or_else(|| SimError::NoSuchPort {
                design: self.top.clone(),
                port: name.to_string(),
                ports: self
                    .ports
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn check_fits(&self, p: Port, v: &Bits) -> Result<(), SimError> {
        let name = &self.ports[p.idx as usize].name;
        if p.dir != Dir::Input {
            return Err(SimError::NotAnInput(name.clone()));
        }
        if v.width() > p.width && (p.width..v.width()).any(|i| v.bit(i)) {
            return Err(SimError::TooWide {
                port: name.clone(),
                width: p.width,
                value: format!("{v}"),
            });
        }
        Ok(())
    }

    /// Sets an input port. A value with set bits beyond the port's width is an error.
    pub fn set(&mut self, p: Port, v: &Bits) -> Result<(), SimError> {
        self.check_fits(p, v)?;
        let v = v.zext(p.width);
        // SAFETY: the shim reads exactly words(width) words for this port.
        unsafe { (self.set)(self.handle, p.idx, v.words().as_ptr()) };
        Ok(())
    }

    /// Sets an input port from a `u64` (an error if the value does not fit the port).
    pub fn set_u64(&mut self, p: Port, v: u64) -> Result<(), SimError> {
        self.set(p, &Bits::from_u64(64, v))
    }

    /// Reads any port.
    pub fn get(&mut self, p: Port) -> Bits {
        let n = words(p.width);
        // SAFETY: the scratch buffer holds at least words(width) words for every port.
        unsafe { (self.get)(self.handle, p.idx, self.scratch.as_mut_ptr()) };
        Bits::from_words(p.width, &self.scratch[..n])
    }

    /// Sets an input port from little-endian words without allocating; bits beyond the
    /// port's width must be zero (else [`SimError::TooWide`]).
    pub fn set_words(&mut self, p: Port, w: &[u32]) -> Result<(), SimError> {
        let n = words(p.width);
        let rem = p.width % 32;
        let extra = w.iter().skip(n).any(|x| *x != 0)
            || (rem != 0 && w.get(n - 1).is_some_and(|x| x >> rem != 0));
        if p.dir != Dir::Input || w.len() < n || extra {
            return self.set(p, &Bits::from_words(32 * w.len() as u32, w));
        }
        // SAFETY: at least n words are readable.
        unsafe { (self.set)(self.handle, p.idx, w.as_ptr()) };
        Ok(())
    }

    /// Reads a port into little-endian words without allocating (`out` needs
    /// `ceil(width / 32)` words).
    pub fn get_words(&mut self, p: Port, out: &mut [u32]) {
        let n = words(p.width);
        assert!(
            out.len() >= n,
            "get_words needs {n} words for a {}-bit port",
            p.width
        );
        // SAFETY: out holds at least n words.
        unsafe { (self.get)(self.handle, p.idx, out.as_mut_ptr()) };
    }

    /// One cycle with every port at once (one call into C++): inputs from `input` (the
    /// layout of one cycle of [`Model::run_batch_raw`]), outputs into `output`.
    pub fn cycle_raw(&mut self, input: &[u32], output: &mut [u32]) -> Result<(), SimError> {
        self.run_batch_raw(1, input, output)
    }

    /// Reads a port of at most 64 bits as `u64`.
    pub fn get_u64(&mut self, p: Port) -> u64 {
        self.get(p).to_u64().unwrap_or(u64::MAX)
    }

    /// Evaluates combinational logic after inputs changed.
    pub fn eval(&mut self) {
        // SAFETY: valid handle.
        unsafe { (self.eval)(self.handle) }
    }

    /// One clock cycle (rising edge, then the clock returns low).
    pub fn step(&mut self) -> Result<(), SimError> {
        if self.clock.is_none() {
            return Err(SimError::NoClock(self.top.clone()));
        }
        // SAFETY: valid handle.
        unsafe { (self.step)(self.handle) };
        Ok(())
    }

    /// Holds the reset high for `cycles` clock cycles, then releases it.
    pub fn reset(&mut self, cycles: u32) -> Result<(), SimError> {
        let r = self
            .reset
            .ok_or_else(|| SimError::NoReset(self.top.clone()))?;
        let p = Port {
            idx: r as u32,
            width: 1,
            dir: Dir::Input,
        };
        self.set_u64(p, 1)?;
        for _ in 0..cycles.max(1) {
            self.step()?;
        }
        self.set_u64(p, 0)?;
        self.eval();
        Ok(())
    }

    /// Input ports of a batch cycle, in order (every input but the clock).
    pub fn batch_inputs(&self) -> Vec<&PortInfo> {
        self.ports
            .iter()
            .enumerate()
            .filter(|(i, p)| p.dir == Dir::Input && Some(*i) != self.clock)
            .map(|(_, p)| p)
            .collect()
    }

    /// Output ports of a batch cycle, in order.
    pub fn batch_outputs(&self) -> Vec<&PortInfo> {
        self.ports.iter().filter(|p| p.dir == Dir::Output).collect()
    }

    /// Words per cycle of the flat input and output buffers.
    pub fn batch_words(&self) -> (usize, usize) {
        self.batch_words
    }

    /// Runs `n` cycles from flat word buffers (see [`Model::batch_words`]); no checks beyond
    /// the buffer sizes, so the caller must keep unused high bits zero. The fast path.
    pub fn run_batch_raw(
        &mut self,
        n: usize,
        input: &[u32],
        output: &mut [u32],
    ) -> Result<(), SimError> {
        let (iw, ow) = self.batch_words();
        if input.len() < n * iw || output.len() < n * ow {
            return Err(SimError::BadBatch {
                cycle: 0,
                what: format!(
                    "buffers hold {} input and {} output words; {n} cycles need {} and {}",
                    input.len(),
                    output.len(),
                    n * iw,
                    n * ow
                ),
            });
        }
        // SAFETY: the shim reads n*iw and writes n*ow words, checked above.
        unsafe { (self.batch)(self.handle, n as u64, input.as_ptr(), output.as_mut_ptr()) };
        Ok(())
    }

    /// Runs one cycle per entry of `inputs` (values in [`Model::batch_inputs`] order) and
    /// returns the outputs of each cycle (in [`Model::batch_outputs`] order), with widths checked.
    pub fn run_batch(&mut self, inputs: &[Vec<Bits>]) -> Result<Vec<Vec<Bits>>, SimError> {
        let ins: Vec<PortInfo> = self.batch_inputs().into_iter().cloned().collect();
        let outs: Vec<PortInfo> = self.batch_outputs().into_iter().cloned().collect();
        let (iw, ow) = self.batch_words();
        let mut flat = Vec::with_capacity(inputs.len() * iw);
        for (c, cyc) in inputs.iter().enumerate() {
            if cyc.len() != ins.len() {
                return Err(SimError::BadBatch {
                    cycle: c,
                    what: format!("{} values given for {} inputs", cyc.len(), ins.len()),
                });
            }
            for (v, p) in cyc.iter().zip(&ins) {
                if v.width() > p.width && (p.width..v.width()).any(|i| v.bit(i)) {
                    return Err(SimError::TooWide {
                        port: p.name.clone(),
                        width: p.width,
                        value: format!("{v}"),
                    });
                }
                flat.extend_from_slice(v.zext(p.width).words());
            }
        }
        let mut out = vec![0u32; inputs.len() * ow];
        self.run_batch_raw(inputs.len(), &flat, &mut out)?;
        Ok(out
            .chunks(ow.max(1))
            .take(inputs.len())
            .map(|chunk| {
                let mut off = 0;
                outs.iter()
                    .map(|p| {
                        let n = words(p.width);
                        let b = Bits::from_words(p.width, &chunk[off..off + n]);
                        off += n;
                        b
                    })
                    .collect()
            })
            .collect())
    }
}
