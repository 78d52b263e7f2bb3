//! Switching activity from real simulation: Verilator toggle coverage as an energy proxy.
//!
//! A [`ToggleModel`] is a [`Model`] built with `--coverage-toggle` (every bit of every signal,
//! any width): Verilator counts, per signal bit, every change of its value (0 -> 1 and
//! 1 -> 0 each count one). [`ToggleModel::toggles`] writes Verilator's coverage data file and
//! parses it ([`ToggleCounts::parse`], nom) into one entry per signal bit with its hierarchy
//! path, so summing the entries of a signal weights it by its width, and summing by hierarchy
//! prefix gives per-block figures ([`ToggleCounts::by_block`]).
//!
//! Opt-in: a coverage model has its own cache entry (the shim, the Verilator flags and the
//! runtime differ, so does the hash); [`Model::build`] and friends are unchanged. Coverage
//! counters slow the model down; use it for measurements, not for long functional runs.
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

/// A model with toggle coverage compiled in. Dereferences to [`Model`] for driving it.
pub struct ToggleModel {
    model: Model,
    write: CovWriteFn,
    zero: CovZeroFn,
}

impl std::fmt::Debug for ToggleModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToggleModel")
            .field("model", &self.model)
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
        Ok(ToggleModel { model, write, zero })
    }

    /// Sets every toggle counter to zero.
    pub fn zero(&mut self) {
        // SAFETY: valid handle of this library.
        unsafe { (self.zero)(self.model.handle) }
    }

    /// Writes Verilator's coverage data file (`coverage.dat` format) to `path`.
    pub fn write(&mut self, path: &Path) -> Result<(), ToggleError> {
        let c = CString::new(path.to_string_lossy().into_owned()).map_err(|_| ToggleError::Io {
            context: format!("coverage path {}", path.display()),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in path"),
        })?;
        // SAFETY: valid handle; the path is a NUL-terminated string.
        unsafe { (self.write)(self.model.handle, c.as_ptr()) };
        Ok(())
    }

    /// The counters now (one entry per signal bit), through a temporary coverage file.
    pub fn toggles(&mut self) -> Result<ToggleCounts, ToggleError> {
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
}
