//! Result cache: a finished [`SynthReport`] stored as JSON under its content hash.
//!
//! The key hashes the Verilog, the script templates, the flow options and the tool versions, so
//! any change to one of them misses. An entry is written to a temp file and renamed into place,
//! so a crashed run never leaves a half-written entry that later looks valid; an unreadable
//! entry is treated as a miss.

use crate::error::SynthError;
use crate::report::SynthReport;
use crate::Options;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the cache directory.
pub const CACHE_ENV: &str = "NICC_SYNTH_CACHE";

/// The cache directory: `opts.cache_dir` when set, else env NICC_SYNTH_CACHE, else
/// `<workspace>/target/nicc-synth-cache`.
pub fn cache_dir(opts: &Options) -> PathBuf {
    if let Some(p) = &opts.cache_dir {
        return p.clone();
    }
    if let Some(p) = std::env::var_os(CACHE_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("nicc-synth-cache")
}

/// SHA-256 (hex) over length-prefixed parts, so that part boundaries matter.
pub fn content_hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

fn entry(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// Loads the report stored under `key`, if a valid one exists.
pub fn load(dir: &Path, key: &str) -> Option<SynthReport> {
    let text = std::fs::read_to_string(entry(dir, key)).ok()?;
    let mut r: SynthReport = serde_json::from_str(&text).ok()?;
    if r.content_hash != key {
        return None;
    }
    r.cached = true;
    Some(r)
}

/// Stores `report` under `key` atomically (temp file + rename).
pub fn store(dir: &Path, key: &str, report: &SynthReport) -> Result<(), SynthError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| SynthError::io(format!("creating cache dir {}", dir.display()), e))?;
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| SynthError::io("serialising a report", std::io::Error::other(e)))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| SynthError::io(format!("creating a temp file in {}", dir.display()), e))?;
    tmp.write_all(json.as_bytes())
        .map_err(|e| SynthError::io("writing a cache entry", e))?;
    tmp.persist(entry(dir, key))
        .map_err(|e| SynthError::io("renaming a cache entry into place", e.error))?;
    Ok(())
}

/// Runs `compute` unless a report for `key` is cached; stores fresh results.
pub(crate) fn cached(
    opts: &Options,
    key: &str,
    compute: impl FnOnce() -> Result<SynthReport, SynthError>,
) -> Result<SynthReport, SynthError> {
    let dir = cache_dir(opts);
    // A kept work directory is asked for: the flow has to run to fill it.
    if opts.use_cache && opts.keep_dir.is_none() {
        if let Some(r) = load(&dir, key) {
            return Ok(r);
        }
    }
    let mut r = compute()?;
    keep(opts, key, &mut r);
    Ok(r)
}

/// Stores a fresh `report` under `key` when the cache is on. A cache that cannot be written
/// must not throw away a finished synthesis run: the failure becomes the report's
/// `cache_warning`.
pub(crate) fn keep(opts: &Options, key: &str, report: &mut SynthReport) {
    if opts.use_cache {
        if let Err(e) = store(&cache_dir(opts), key, report) {
            report.cache_warning = Some(format!("result not cached: {e}"));
        }
    }
}
