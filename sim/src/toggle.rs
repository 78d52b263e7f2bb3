//! Switching activity from real simulation: Verilator toggle coverage as an energy proxy.
//!
//! A [`ToggleModel`] counts, per signal bit, every change of its value (0 -> 1 and 1 -> 0
//! each count one) and reports one entry per signal bit with its hierarchy path
//! ([`ToggleCounts`]), so summing the entries of a signal weights it by its width, and summing
//! by hierarchy prefix gives per-block figures ([`ToggleCounts::by_block`]). Two ways to
//! count, giving the same figures (`sim/tests/toggle.rs` compares them net by net):
//! - [`ToggleModel::build`]: the model is built with `--coverage-toggle` (every bit of every
//!   signal, any width) and Verilator counts; [`ToggleModel::toggles`] writes Verilator's
//!   coverage data file and parses it ([`ToggleCounts::parse`], nom).
//! - [`ToggleModel::build_traced`]: the ordinary traced model writes a VCD of every
//!   evaluation (every named signal, any width, every memory element) and
//!   [`ToggleCounts::from_vcd`] counts the changed bits of each value change. The coverage
//!   build instruments every bit in C++, which is what makes it slow to compile (a 32 x 8
//!   sparse FFN tile: 365 000 lines of C++ and 85 s of `make`, against 90 000 lines and 25 s
//!   traced), so large designs are measured this way.
//!
//! Opt-in: these models have their own cache entries (the shim, the Verilator flags and the
//! runtime differ, so does the hash); [`Model::build`] and friends are unchanged. Counting
//! slows the model down; use it for measurements, not for long functional runs.
//!
//! Notes on what is counted: a signal is counted once per module instance it is declared in,
//! so a value passed through a port is counted in the parent (the wire) and in the child (the
//! port). Memories (unpacked arrays) are counted per element. Verilator's own temporaries are
//! not counted.

use crate::build::{build_library_opt, BuildOptions};
use crate::error::SimError;
use crate::model::Model;
use nicc_rtl::Design;
use nom::{
    bytes::complete::{tag, take_till, take_till1},
    character::complete::{char, digit1, space0},
    combinator::{map_res, opt},
    multi::many0,
    sequence::{preceded, separated_pair},
    IResult,
};
use std::collections::BTreeMap;
use std::ffi::{c_void, CString};
use std::path::Path;
use thiserror::Error;

/// Why a toggle measurement failed.
#[derive(Debug, Error)]
pub enum ToggleError {
    /// Building or loading the model failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The library lacks the coverage entry points (it was not built as a coverage model).
    #[error("model library {0} has no coverage entry points: build it with ToggleModel::build")]
    NotCoverage(String),
    /// A line of the coverage data file does not parse.
    #[error("coverage data line {line} does not parse ({what}): `{text}`")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What was expected.
        what: String,
        /// The line (truncated to 200 characters).
        text: String,
    },
    /// The library lacks the VCD flush entry point (a shim from before VCD toggle counting).
    #[error("model library {0} has no nicc_vcd_flush entry point: delete it from the model cache and rebuild")]
    NoVcdFlush(String),
    /// A VCD line does not parse.
    #[error("VCD line {line} does not parse ({what}): `{text}`")]
    Vcd {
        /// 1-based line number.
        line: usize,
        /// What was expected.
        what: String,
        /// The line (truncated to 200 characters).
        text: String,
    },
    /// Reading or writing the coverage data file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

type CovWriteFn = unsafe extern "C" fn(*mut c_void, *const i8) -> i32;
type CovZeroFn = unsafe extern "C" fn(*mut c_void);
type FlushFn = unsafe extern "C" fn(*mut c_void);

/// Where a [`ToggleModel`]'s counts come from.
enum Source {
    /// Verilator's toggle coverage counters.
    Coverage { write: CovWriteFn, zero: CovZeroFn },
    /// The model's VCD, read up to byte `read` into `counter`.
    Trace {
        flush: FlushFn,
        vcd: std::path::PathBuf,
        read: u64,
        counter: Box<VcdCounter>,
        _dir: tempfile::TempDir,
    },
}

/// A model that counts toggles. Dereferences to [`Model`] for driving it.
pub struct ToggleModel {
    model: Model,
    source: Source,
}

impl std::fmt::Debug for ToggleModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Coverage { .. } => "coverage".to_string(),
            Source::Trace { vcd, .. } => format!("vcd {}", vcd.display()),
        };
        f.debug_struct("ToggleModel")
            .field("model", &self.model)
            .field("source", &source)
            .finish()
    }
}

impl std::ops::Deref for ToggleModel {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.model
    }
}

impl std::ops::DerefMut for ToggleModel {
    fn deref_mut(&mut self) -> &mut Model {
        &mut self.model
    }
}

impl ToggleModel {
    /// Builds (or loads from the cache) `d` with toggle coverage and instantiates it. The
    /// counters start at zero; call [`ToggleModel::zero`] after reset to measure a window.
    pub fn build(d: &Design, opts: &BuildOptions) -> Result<ToggleModel, ToggleError> {
        let info = build_library_opt(d, opts, true)?;
        let model = Model::load(d, info, None)?;
        let lib_path = model.build_info().library.display().to_string();
        // SAFETY: the symbols are the coverage shim's `extern "C"` functions with these types.
        let (write, zero) = unsafe {
            let w: libloading::Symbol<CovWriteFn> = model
                ._lib
                .get(b"nicc_cov_write")
                .map_err(|_| ToggleError::NotCoverage(lib_path.clone()))?;
            let z: libloading::Symbol<CovZeroFn> = model
                ._lib
                .get(b"nicc_cov_zero")
                .map_err(|_| ToggleError::NotCoverage(lib_path.clone()))?;
            (*w, *z)
        };
        Ok(ToggleModel {
            model,
            source: Source::Coverage { write, zero },
        })
    }

    /// Builds (or loads from the cache) `d` with tracing (whatever `opts.trace` says) and
    /// instantiates it writing a VCD into a temporary directory, from which
    /// [`ToggleModel::toggles`] counts. Counting starts at construction; call
    /// [`ToggleModel::zero`] after reset to measure a window.
    pub fn build_traced(d: &Design, opts: &BuildOptions) -> Result<ToggleModel, ToggleError> {
        let dir = tempfile::tempdir().map_err(|e| ToggleError::Io {
            context: "creating a temporary directory for the VCD".into(),
            source: e,
        })?;
        let vcd = dir.path().join("toggles.vcd");
        let opts = BuildOptions {
            trace: true,
            ..opts.clone()
        };
        let model = Model::build_with(d, &opts, Some(&vcd))?;
        let lib_path = model.build_info().library.display().to_string();
        // SAFETY: `nicc_vcd_flush` is the shim's `extern "C" void(void*)`.
        let flush = unsafe {
            let f: libloading::Symbol<FlushFn> = model
                ._lib
                .get(b"nicc_vcd_flush")
                .map_err(|_| ToggleError::NoVcdFlush(lib_path))?;
            *f
        };
        Ok(ToggleModel {
            model,
            source: Source::Trace {
                flush,
                vcd,
                read: 0,
                counter: Box::default(),
                _dir: dir,
            },
        })
    }

    /// Sets every toggle counter to zero.
    pub fn zero(&mut self) {
        match &mut self.source {
            // SAFETY: valid handle of this library.
            Source::Coverage { zero, .. } => unsafe { zero(self.model.handle) },
            Source::Trace { .. } => {
                // Values up to now, then no counts. The VCD is readable (it was written by
                // this model); a failure would show again, as an error, in `toggles`.
                if self.pump(false).is_ok() {
                    if let Source::Trace { counter, .. } = &mut self.source {
                        counter.zero();
                    }
                }
            }
        }
    }

    /// Flushes a traced model's VCD and feeds the whole lines written since the last call to
    /// its counter (nothing for a coverage model).
    fn pump(&mut self, count: bool) -> Result<(), ToggleError> {
        use std::io::{Read, Seek};
        let Source::Trace {
            flush,
            vcd,
            read,
            counter,
            ..
        } = &mut self.source
        else {
            return Ok(());
        };
        // SAFETY: valid handle of this library.
        unsafe { flush(self.model.handle) };
        let io = |e| ToggleError::Io {
            context: format!("reading {}", vcd.display()),
            source: e,
        };
        let mut f = std::fs::File::open(&vcd).map_err(io)?;
        f.seek(std::io::SeekFrom::Start(*read)).map_err(io)?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).map_err(io)?;
        let whole = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        counter.feed(&String::from_utf8_lossy(&buf[..whole]), count)?;
        *read += whole as u64;
        Ok(())
    }

    /// Writes the raw counts to `path`: Verilator's coverage data file (`coverage.dat`
    /// format), or for a traced model the VCD so far.
    pub fn write(&mut self, path: &Path) -> Result<(), ToggleError> {
        match &self.source {
            Source::Coverage { write, .. } => {
                let c = CString::new(path.to_string_lossy().into_owned()).map_err(|_| {
                    ToggleError::Io {
                        context: format!("coverage path {}", path.display()),
                        source: std::io::Error::new(
                            std::io::ErrorKind::InvalidInput,
                            "NUL in path",
                        ),
                    }
                })?;
                // SAFETY: valid handle; the path is a NUL-terminated string.
                unsafe { write(self.model.handle, c.as_ptr()) };
            }
            Source::Trace { flush, vcd, .. } => {
                // SAFETY: valid handle of this library.
                unsafe { flush(self.model.handle) };
                std::fs::copy(vcd, path).map_err(|e| ToggleError::Io {
                    context: format!("copying {} to {}", vcd.display(), path.display()),
                    source: e,
                })?;
            }
        }
        Ok(())
    }

    /// The counters now (one entry per signal bit).
    pub fn toggles(&mut self) -> Result<ToggleCounts, ToggleError> {
        self.pump(true)?;
        if let Source::Trace { counter, .. } = &self.source {
            return Ok(counter.counts());
        }
        let dir = tempfile::tempdir().map_err(|e| ToggleError::Io {
            context: "creating a temporary directory for the coverage file".into(),
            source: e,
        })?;
        let path = dir.path().join("coverage.dat");
        self.write(&path)?;
        let text = std::fs::read(&path).map_err(|e| ToggleError::Io {
            context: format!("reading {}", path.display()),
            source: e,
        })?;
        ToggleCounts::parse(&String::from_utf8_lossy(&text))
    }
}

/// One toggle counter: one bit of one signal in one module instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToggleEntry {
    /// Instance path below the model's top instance, `.`-separated; empty for the top module.
    pub scope: String,
    /// Signal name without the bit index.
    pub signal: String,
    /// Bit index (`None` for a one-bit signal).
    pub bit: Option<u32>,
    /// Value changes counted.
    pub count: u64,
}

impl ToggleEntry {
    /// `scope.signal` (just `signal` in the top module).
    pub fn path(&self) -> String {
        if self.scope.is_empty() {
            self.signal.clone()
        } else {
            format!("{}.{}", self.scope, self.signal)
        }
    }
}

/// Parsed toggle counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToggleCounts {
    /// One entry per signal bit, in file order.
    pub entries: Vec<ToggleEntry>,
}

/// `\x01key\x02value`.
fn kv(i: &str) -> IResult<&str, (&str, &str)> {
    preceded(
        char('\x01'),
        separated_pair(
            take_till1(|c| c == '\x02' || c == '\x01'),
            char('\x02'),
            take_till(|c| c == '\x01' || c == '\''),
        ),
    )(i)
}

/// One coverage record: its key/value pairs and its count.
type Record<'a> = (Vec<(&'a str, &'a str)>, u64);

/// `C '<pairs>' <count>` (some writers end the pairs with `\x01`).
fn record(i: &str) -> IResult<&str, Record<'_>> {
    let (i, _) = tag("C '")(i)?;
    let (i, pairs) = many0(kv)(i)?;
    let (i, _) = opt(char('\x01'))(i)?;
    let (i, _) = char('\'')(i)?;
    let (i, _) = space0(i)?;
    let (i, n) = map_res(digit1, str::parse::<u64>)(i)?;
    Ok((i, (pairs, n)))
}

/// `[msb:lsb]` or `[i]` as (msb, lsb).
fn parse_range(r: &str) -> Option<(i64, i64)> {
    let inner = r.strip_prefix('[')?.strip_suffix(']')?;
    match inner.split_once(':') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => {
            let i = inner.trim().parse().ok()?;
            Some((i, i))
        }
    }
}

/// One `$var` of a VCD and its per-bit counts.
#[derive(Debug, Clone)]
struct VcdVar {
    scope: String,
    name: String,
    width: u32,
    /// Declared `[msb:lsb]` or `[i]`, as (msb, lsb).
    range: Option<(i64, i64)>,
    words: Vec<u64>,
    counts: Vec<u64>,
}

/// Counts toggles of a VCD fed in pieces of whole lines, so a growing file is read once
/// ([`ToggleModel::build_traced`] feeds it at every [`ToggleModel::zero`] and
/// [`ToggleModel::toggles`]). [`ToggleCounts::from_vcd`] documents what is counted.
#[derive(Debug, Clone)]
pub struct VcdCounter {
    vars: Vec<VcdVar>,
    ids: std::collections::HashMap<String, Vec<usize>>,
    scope: Vec<String>,
    header: bool,
    /// Tokens of the header statement being read (`$keyword ... $end` may span lines).
    stmt: Vec<String>,
    stmt_line: usize,
    /// Lines fed so far.
    line: usize,
    /// The value being read, reused from change to change.
    scratch: Vec<u64>,
}

impl Default for VcdCounter {
    fn default() -> Self {
        VcdCounter {
            vars: Vec::new(),
            ids: Default::default(),
            scope: Vec::new(),
            header: true,
            stmt: Vec::new(),
            stmt_line: 0,
            line: 0,
            scratch: Vec::new(),
        }
    }
}

impl VcdCounter {
    /// Reads `text` (whole lines); value changes count only when `count`.
    pub fn feed(&mut self, text: &str, count: bool) -> Result<(), ToggleError> {
        for line in text.lines() {
            let n = self.line;
            self.line += 1;
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if self.header {
                for tok in t.split_whitespace() {
                    self.header_token(tok, n, t)?;
                }
            } else {
                self.change(t, n, count)?;
            }
        }
        Ok(())
    }

    /// Sets every count to zero (values are kept).
    pub fn zero(&mut self) {
        for v in &mut self.vars {
            v.counts.iter_mut().for_each(|c| *c = 0);
        }
    }

    /// The counts so far, one entry per signal bit.
    pub fn counts(&self) -> ToggleCounts {
        let mut entries = Vec::new();
        for v in &self.vars {
            // "TOP" is the wrapper, "TOP.<top>" the design's top module.
            let mut parts = v.scope.split('.');
            if parts.next().is_none() || parts.next().is_none() {
                continue;
            }
            let scope = parts.collect::<Vec<_>>().join(".");
            for (i, &count) in v.counts.iter().enumerate() {
                let bit = match v.range {
                    // The last character of a value is the `lsb` end of the range.
                    Some((msb, lsb)) if msb >= lsb => Some((lsb + i as i64) as u32),
                    Some((_, lsb)) => Some((lsb - i as i64) as u32),
                    None if v.width == 1 => None,
                    None => Some(i as u32),
                };
                entries.push(ToggleEntry {
                    scope: scope.clone(),
                    signal: v.name.clone(),
                    bit,
                    count,
                });
            }
        }
        ToggleCounts { entries }
    }

    fn header_token(&mut self, tok: &str, n: usize, t: &str) -> Result<(), ToggleError> {
        if self.stmt.is_empty() {
            self.stmt_line = n;
        }
        self.stmt.push(tok.to_string());
        if tok != "$end" {
            return Ok(());
        }
        let stmt = std::mem::take(&mut self.stmt);
        let bad_stmt = |what: &str| vcd_error(self.stmt_line, what, t);
        match stmt[0].as_str() {
            "$scope" => {
                if stmt.len() != 4 {
                    return Err(bad_stmt("$scope <kind> <name> $end"));
                }
                self.scope.push(stmt[2].clone());
            }
            "$upscope" => {
                self.scope.pop();
            }
            "$var" => {
                if stmt.len() < 6 {
                    return Err(bad_stmt("$var <kind> <width> <id> <name> [range] $end"));
                }
                let width: u32 = stmt[2]
                    .parse()
                    .ok()
                    .filter(|w| *w > 0)
                    .ok_or_else(|| bad_stmt("a positive width"))?;
                // The range is its own token (`x [7:0]`) or attached (`x[7:0]`).
                let (name, range) = match stmt.get(5).filter(|r| r.starts_with('[')) {
                    Some(r) => (stmt[4].as_str(), Some(r.as_str())),
                    None => match stmt[4].rsplit_once('[') {
                        Some((a, b)) if b.ends_with(']') && !a.is_empty() => {
                            (a, Some(&stmt[4][a.len()..]))
                        }
                        _ => (stmt[4].as_str(), None),
                    },
                };
                let range = match range {
                    Some(r) => Some(parse_range(r).ok_or_else(|| bad_stmt("a [msb:lsb] range"))?),
                    None => None,
                };
                self.vars.push(VcdVar {
                    scope: self.scope.join("."),
                    name: name.replace('(', "[").replace(')', "]"),
                    width,
                    range,
                    words: vec![0; width.div_ceil(64) as usize],
                    counts: vec![0; width as usize],
                });
                let same = self.ids.entry(stmt[3].clone()).or_default();
                if same.first().is_some_and(|&k| self.vars[k].width != width) {
                    return Err(bad_stmt(
                        "an identifier declared again with its first width",
                    ));
                }
                same.push(self.vars.len() - 1);
            }
            "$enddefinitions" => self.header = false,
            _ => {}
        }
        Ok(())
    }

    fn change(&mut self, t: &str, n: usize, count: bool) -> Result<(), ToggleError> {
        let bad = |what: &str| vcd_error(n, what, t);
        let (bits, id) = match t.as_bytes()[0] {
            b'#' | b'$' | b'r' | b'R' => return Ok(()),
            b'b' | b'B' => t[1..]
                .split_once(char::is_whitespace)
                .map(|(b, i)| (b, i.trim()))
                .ok_or_else(|| bad("b<bits> <id>"))?,
            b'0' | b'1' | b'x' | b'X' | b'z' | b'Z' => (&t[..1], t[1..].trim()),
            _ => return Err(bad("a time, a scalar or a b<bits> change")),
        };
        let Some(targets) = self.ids.get(id) else {
            return Err(bad("a declared identifier"));
        };
        // One identifier is one value (its declarations have one width, checked when they
        // were read): the bits are read once, least significant first, missing high bits 0.
        let width = self.vars[targets[0]].width as usize;
        let new = &mut self.scratch;
        new.clear();
        new.resize(width.div_ceil(64), 0);
        for (i, c) in bits.bytes().rev().take(width).enumerate() {
            match c {
                b'1' => new[i / 64] |= 1 << (i % 64),
                b'0' | b'x' | b'X' | b'z' | b'Z' => {}
                _ => return Err(bad("bits 0, 1, x or z")),
            }
        }
        for &k in targets {
            let v = &mut self.vars[k];
            if count {
                for (w, (a, b)) in v.words.iter().zip(new.iter()).enumerate() {
                    let mut d = a ^ b;
                    while d != 0 {
                        v.counts[w * 64 + d.trailing_zeros() as usize] += 1;
                        d &= d - 1;
                    }
                }
            }
            v.words.copy_from_slice(new);
        }
        Ok(())
    }
}

fn vcd_error(line: usize, what: &str, text: &str) -> ToggleError {
    ToggleError::Vcd {
        line: line + 1,
        what: what.into(),
        text: text.chars().take(200).collect(),
    }
}

impl ToggleCounts {
    /// Parses Verilator coverage data text; only `toggle` entries are kept. The first
    /// component of each hierarchy (`TOP` or the model instance) and the top module's instance
    /// name are dropped, so scopes are relative to the design's top module.
    pub fn parse(text: &str) -> Result<ToggleCounts, ToggleError> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_end();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let bad = |what: &str| ToggleError::Parse {
                line: n + 1,
                what: what.into(),
                text: t.chars().take(200).collect(),
            };
            let (rest, (pairs, count)) =
                record(t).map_err(|_| bad("C '<key/value pairs>' <count>"))?;
            if !rest.trim().is_empty() {
                return Err(bad("nothing after the count"));
            }
            let get = |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
            let is_toggle = get("page").is_some_and(|p| p.starts_with("v_toggle"))
                || get("t") == Some("toggle");
            if !is_toggle {
                continue;
            }
            let comment = get("o").ok_or_else(|| bad("an `o` (signal) key"))?;
            let hier = get("h").unwrap_or("");
            let (signal, bit) = match comment.rsplit_once('[') {
                Some((s, b)) if b.ends_with(']') => {
                    let b = b.trim_end_matches(']');
                    match b.parse::<u32>() {
                        Ok(v) => (s.to_string(), Some(v)),
                        Err(_) => (comment.to_string(), None),
                    }
                }
                _ => (comment.to_string(), None),
            };
            // hier: "TOP.<top>.<inst>..." (or "<model>.<inst>..."): drop two components.
            let scope = hier.splitn(3, '.').nth(2).unwrap_or("").to_string();
            entries.push(ToggleEntry {
                scope,
                signal,
                bit,
                count,
            });
        }
        Ok(ToggleCounts { entries })
    }

    /// Counts toggles in a VCD (as written by a traced model: one time step per evaluation):
    /// each value change adds one to every bit it flips (`x` and `z` read as 0). Changes at
    /// byte offsets before `from` (a line start) only set values; the initial `$dumpvars`
    /// values are never counted. Scopes are relative to the design's top module, as in
    /// [`ToggleCounts::parse`]: the outermost scope (`TOP`, holding the wrapper's copies of
    /// the top ports) is left out and the next one (the top module) is the empty scope.
    /// Memory elements named `mem(3)` read as `mem[3]`. See [`VcdCounter`] to count as a
    /// file grows.
    pub fn from_vcd(text: &str, from: usize) -> Result<ToggleCounts, ToggleError> {
        let mut c = VcdCounter::default();
        c.feed(&text[..from.min(text.len())], false)?;
        c.feed(&text[from.min(text.len())..], true)?;
        Ok(c.counts())
    }

    /// Sum of every counter.
    pub fn total(&self) -> u64 {
        self.entries.iter().map(|e| e.count).sum()
    }

    /// Per signal path (`scope.signal`), the sum over its bits (so a wide net weighs its width).
    pub fn by_signal(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for e in &self.entries {
            *m.entry(e.path()).or_insert(0) += e.count;
        }
        m
    }

    /// Sums counters into named blocks: an entry goes to the first block one of whose
    /// prefixes its path (`scope.signal`) starts with, else to `"other"`. Entries whose signal
    /// name is in `skip` (typically `clk`, `rst`) are left out.
    pub fn by_block(&self, blocks: &[(&str, &[&str])], skip: &[&str]) -> BTreeMap<String, u64> {
        let mut m: BTreeMap<String, u64> = blocks.iter().map(|(b, _)| (b.to_string(), 0)).collect();
        for e in &self.entries {
            if skip.contains(&e.signal.as_str()) {
                continue;
            }
            let p = e.path();
            let name = blocks
                .iter()
                .find(|(_, pre)| pre.iter().any(|x| p.starts_with(x)))
                .map(|(b, _)| *b)
                .unwrap_or("other");
            *m.entry(name.to_string()).or_insert(0) += e.count;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records() {
        let text = "# SystemC::Coverage-3\n\
            C '\x01t\x02toggle\x01page\x02v_toggle/t\x01f\x02t.v\x01l\x021\x01n\x020\x01o\x02a[3]\x01h\x02TOP.t\x01' 7\n\
            C '\x01f\x02/x/sub.v\x01l\x025\x01page\x02v_toggle/sub\x01o\x02y\x01h\x02top.t.u_sub' 2\n\
            C '\x01t\x02line\x01page\x02v_line/t\x01o\x02block\x01h\x02TOP.t\x01' 9\n";
        let c = ToggleCounts::parse(text).unwrap();
        assert_eq!(c.entries.len(), 2);
        assert_eq!(
            c.entries[0],
            ToggleEntry {
                scope: String::new(),
                signal: "a".into(),
                bit: Some(3),
                count: 7
            }
        );
        assert_eq!(c.entries[1].path(), "u_sub.y");
        assert_eq!(c.total(), 9);
        let b = c.by_block(&[("sub", &["u_sub."])], &[]);
        assert_eq!(b["sub"], 2);
        assert_eq!(b["other"], 7);
    }

    #[test]
    fn bad_line_names_its_number() {
        let e = ToggleCounts::parse("# x\nC 'garbage\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    /// A VCD as Verilator writes one, with the variations other writers use.
    const VCD: &str = "$timescale 1ps $end\n\
        $scope module TOP $end\n\
         $var wire 1 ! clk $end\n\
         $scope module t $end\n\
          $var wire 1 ! clk $end\n\
          $var wire 70 \" w [69:0] $end\n\
          $scope module u_m $end\n\
           $var wire 4 # mem(2) [3:0] $end\n\
           $var wire 2 $ q[5:4] $end\n\
          $upscope $end\n\
         $upscope $end\n\
        $upscope $end\n\
        $enddefinitions $end\n\
        #0\n$dumpvars\n0!\nb0 \"\nbx0 #\nb00 $\n$end\n\
        #1\n1!\nb1 \"\n\
        #2\n0!\nb11 \"\nb1111 #\nb10 $\n";

    #[test]
    fn counts_vcd_changes_per_bit() {
        let c = ToggleCounts::from_vcd(VCD, 0).unwrap();
        let s = c.by_signal();
        // The TOP copy of clk is left out; t's clk rose and fell.
        assert_eq!(s["clk"], 2, "{s:?}");
        // w: 0 -> 1 (bit 0) -> 3 (bit 1); a 70-bit net.
        assert_eq!(s["w"], 2);
        assert_eq!(c.entries.iter().filter(|e| e.signal == "w").count(), 70);
        // The x bit of mem(2) read as 0: 0 -> F is four changes; the element reads mem[2].
        assert_eq!(s["u_m.mem[2]"], 4);
        // q[5:4]: bit 5 changed, and bits are numbered from the declared lsb.
        let q5 = c
            .entries
            .iter()
            .find(|e| e.signal == "q" && e.bit == Some(5));
        assert_eq!(q5.map(|e| e.count), Some(1));
        // A window starting at time 2 sees only its changes.
        let from = VCD.find("#2").unwrap();
        let w = ToggleCounts::from_vcd(VCD, from).unwrap().by_signal();
        assert_eq!((w["clk"], w["w"], w["u_m.mem[2]"]), (1, 1, 4));
    }

    #[test]
    fn bad_vcd_lines_name_their_number() {
        let e = ToggleCounts::from_vcd("$enddefinitions $end\nb1 ?\n", 0).unwrap_err();
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("identifier"),
            "{e}"
        );
        let e = ToggleCounts::from_vcd("$var wire 0 ! a $end\n", 0).unwrap_err();
        assert!(
            e.to_string().contains("line 1") && e.to_string().contains("width"),
            "{e}"
        );
        let e = ToggleCounts::from_vcd("$var wire 1 ! a $end\n$enddefinitions $end\n%1!\n", 0)
            .unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        let e =
            ToggleCounts::from_vcd("$var wire 1 ! a $end\n$var wire 2 ! b $end\n", 0).unwrap_err();
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("width"),
            "{e}"
        );
    }

    #[test]
    fn ascending_ranges_number_bits_from_the_right() {
        // `[0:3]`: the value's last character is bit 3.
        let vcd = "$scope module TOP $end\n$scope module t $end\n$var wire 4 ! a [0:3] $end\n\
                   $upscope $end\n$upscope $end\n$enddefinitions $end\n#0\nb0000 !\n#1\nb0001 !\n";
        let c = ToggleCounts::from_vcd(vcd, 0).unwrap();
        let moved: Vec<_> = c.entries.iter().filter(|e| e.count > 0).collect();
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].bit, Some(3));
    }
}
