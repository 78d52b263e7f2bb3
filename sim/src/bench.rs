//! `nicc bench sim`: the same registered adder tree run per cycle through the Rust API,
//! batched (the loop inside C++), and as a plain C++ Verilator harness built with the same
//! flags; every cycle is checked against a golden sum in each variant.
//!
//! Rates are cycles per second of CPU time of the simulating thread
//! (`CLOCK_THREAD_CPUTIME_ID`, in Rust and in the C++ harness alike), so that other processes
//! on a shared machine do not distort the ratios; wall-clock rates are reported beside them.

use crate::build::{build_executable, BuildOptions};
use crate::error::{io, SimError};
use crate::model::Model;
use nicc_rtl::Design;
use std::time::Instant;

/// Figures of one benchmark run. Rates are cycles per CPU-second of the simulating thread.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SimBench {
    /// Cycles run in each variant.
    pub cycles: u64,
    /// Wall-clock cycles/s of (per_cycle, batched, plain_cpp), for reference.
    pub wall: [f64; 3],
    /// Cycles/s through `set_words`/`step`/`get_words` (three calls into C++ per cycle).
    pub per_port: f64,
    /// Cycles/s through `cycle_raw` (one call into C++ per cycle, all ports at once).
    pub per_cycle: f64,
    /// Cycles/s through `run_batch_raw`.
    pub batched: f64,
    /// Cycles/s of the plain C++ harness.
    pub plain_cpp: f64,
    /// Model build time with an empty cache entry (s), or the load time if it was cached.
    pub build_seconds: f64,
    /// Whether the model was already in the cache.
    pub build_was_cached: bool,
    /// Load time of the cached model (s).
    pub cached_load_seconds: f64,
    /// Golden-model mismatches over all variants (must be 0).
    pub mismatches: u64,
    /// Whether the model's shim evaluates the root directly (see [`Model::direct_eval`]).
    pub direct_eval: bool,
}

/// Stimulus word number `i` (word `k` of cycle `c` is `i = c * words + k`): the SplitMix64
/// finaliser of `SEED + i * 0x9E37_79B9_7F4A_7C15`, truncated. Counter-based, so no serial dependency chain links the
/// words: a variant that generates a chunk of stimulus before simulating it (batched) pays the
/// same generation cost as one that interleaves it with the model (per cycle, plain C++). The
/// C++ harness has the same function.
fn stim(i: u64) -> u32 {
    let mut z = SEED.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u32
}

fn golden(words: &[u32]) -> u64 {
    words
        .iter()
        .map(|w| ((w & 0xff) + ((w >> 8) & 0xff) + ((w >> 16) & 0xff) + (w >> 24)) as u64)
        .sum()
}

const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// CPU time of the calling thread, in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_THREAD_CPUTIME_ID exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// A stopwatch reading thread CPU time and wall time together.
struct Watch(f64, Instant);

impl Watch {
    fn start() -> Self {
        Watch(thread_cpu(), Instant::now())
    }
    /// (cycles per CPU-second, cycles per wall-second).
    fn rates(&self, cycles: u64) -> (f64, f64) {
        let cpu = (thread_cpu() - self.0).max(1e-9);
        let wall = self.1.elapsed().as_secs_f64().max(1e-9);
        (cycles as f64 / cpu, cycles as f64 / wall)
    }
}

/// Runs the benchmark on `d` for `rounds` interleaved rounds (best rate of each variant), which must be an `n x 8-bit` registered sum with ports
/// `clk`, `rst`, `in_data` and `out_sum` (see `nicc_rtl::blocks::synthetic::registered_sum`).
pub fn bench_sim(d: &Design, cycles: u64, rounds: u32) -> Result<SimBench, SimError> {
    let in_w = d.port("in_data").map(|p| p.width).unwrap_or(0);
    let words = in_w.div_ceil(32) as usize;
    if in_w == 0 || !in_w.is_multiple_of(32) {
        return Err(SimError::BadBatch {
            cycle: 0,
            what: "the benchmark design needs an `in_data` port of a multiple of 32 bits".into(),
        });
    }
    // Both the model and the plain harness at -O3: the benchmark measures simulation speed.
    let opts = BuildOptions::long_run();
    let t0 = Instant::now();
    let mut m = Model::build_with(d, &opts, None)?;
    let build_seconds = t0.elapsed().as_secs_f64();
    let build_was_cached = m.build_info().cache_hit;
    let t1 = Instant::now();
    drop(Model::build_with(d, &opts, None)?);
    let cached_load_seconds = t1.elapsed().as_secs_f64();
    let mut mismatches = 0u64;

    // (c) plain C++ harness, same flags, built once.
    let dir = tempfile::tempdir().map_err(io("creating a temp dir"))?;
    let exe = dir.path().join("plain_harness");
    build_executable(d, &harness_cpp(&d.top, words), &exe, opts.cxx_opt)?;
    let run_cpp = || -> Result<(f64, f64, u64), SimError> {
        let out = std::process::Command::new(&exe)
            .arg(cycles.to_string())
            .output()
            .map_err(io("running the plain C++ harness"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let f: Vec<&str> = text.split_whitespace().collect();
        let parse = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok());
        match (parse(1), parse(2), parse(3)) {
            (Some(e), Some(cpu), Some(wall)) => {
                Ok((cycles as f64 / cpu, cycles as f64 / wall, e as u64))
            }
            _ => Err(SimError::BadOutput(format!(
                "plain C++ harness printed `{text}`"
            ))),
        }
    };
    // Rounds interleave the variants; the best rate of each counts (the machine is shared).
    let (mut per_port, mut per_cycle, mut batched, mut plain_cpp) = (0f64, 0f64, 0f64, 0f64);
    let mut wall = [0f64; 3];
    for _ in 0..rounds.max(1) {
        // (a1) per port: set, step, get.
        let (pin, pout) = (m.port("in_data")?, m.port("out_sum")?);
        m.reset(1)?;
        let mut buf = vec![0u32; words];
        let mut out = [0u32; 2];
        let t = Watch::start();
        for c in 0..cycles {
            for (k, w) in buf.iter_mut().enumerate() {
                *w = stim(c * words as u64 + k as u64);
            }
            m.set_words(pin, &buf)?;
            m.step()?;
            m.get_words(pout, &mut out);
            if out[0] as u64 != golden(&buf) {
                mismatches += 1;
            }
        }
        per_port = per_port.max(t.rates(cycles).0);

        // (a2) per cycle, all ports in one call.
        m.reset(1)?;
        let (iw, ow) = m.batch_words();
        let mut cin = vec![0u32; iw];
        let mut cout = vec![0u32; ow];
        let t = Watch::start();
        for c in 0..cycles {
            for (k, w) in cin[1..].iter_mut().enumerate() {
                *w = stim(c * words as u64 + k as u64);
            }
            m.cycle_raw(&cin, &mut cout)?;
            if cout[0] as u64 != golden(&cin[1..]) {
                mismatches += 1;
            }
        }
        let (cpu, w) = t.rates(cycles);
        per_cycle = per_cycle.max(cpu);
        wall[0] = wall[0].max(w);

        // (b) batched, in chunks; inputs are (rst, in_data), output out_sum.
        m.reset(1)?;
        let (iw, ow) = m.batch_words();
        let chunk: usize = 1 << 8;
        let mut input = vec![0u32; chunk * iw];
        let mut output = vec![0u32; chunk * ow];
        let mut expect = vec![0u32; chunk];
        let t = Watch::start();
        let mut done = 0u64;
        while done < cycles {
            let n = chunk.min((cycles - done) as usize);
            // Stimulus and expected sums in one pass, as the C++ harness does: one row of
            // `iw` words per cycle (rst, then in_data), word `i` of the stimulus stream counting up.
            let mut i = done * words as u64;
            for (row, e) in input.chunks_exact_mut(iw).zip(expect.iter_mut()).take(n) {
                row[0] = 0; // rst
                let mut sum = 0u32;
                for w in row[1..].iter_mut() {
                    let x = stim(i);
                    i += 1;
                    *w = x;
                    sum += (x & 0xff) + ((x >> 8) & 0xff) + ((x >> 16) & 0xff) + (x >> 24);
                }
                *e = sum;
            }
            m.run_batch_raw(n, &input, &mut output)?;
            mismatches += output
                .chunks_exact(ow)
                .zip(&expect)
                .take(n)
                .filter(|(o, e)| o[0] != **e)
                .count() as u64;
            done += n as u64;
        }
        let (cpu, w) = t.rates(cycles);
        batched = batched.max(cpu);
        wall[1] = wall[1].max(w);
        let (cpu, w, errors) = run_cpp()?;
        plain_cpp = plain_cpp.max(cpu);
        wall[2] = wall[2].max(w);
        mismatches += errors;
    }
    Ok(SimBench {
        cycles,
        wall,
        per_cycle,
        batched,
        plain_cpp,
        build_seconds,
        build_was_cached,
        cached_load_seconds,
        per_port,
        mismatches,
        direct_eval: m.direct_eval(),
    })
}

/// The plain harness: same counter-based stimulus, golden sum in C++; prints cycles, errors,
/// thread CPU seconds and wall seconds.
fn harness_cpp(top: &str, words: usize) -> String {
    // Verilator holds a port of up to 32 bits as IData, up to 64 as QData, wider as VlWide.
    let set = match words {
        1 => "m->in_data = w[0];".to_string(),
        2 => "m->in_data = ((uint64_t)w[1] << 32) | w[0];".to_string(),
        _ => format!("for (int k = 0; k < {words}; ++k) m->in_data[k] = w[k];"),
    };
    format!(
        r#"#include "V{top}.h"
#include "verilated.h"
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
static double thread_cpu() {{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}}
static inline uint32_t stim(uint64_t i) {{
    uint64_t z = 0x9E3779B97F4A7C15ULL + i * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (uint32_t)(z ^ (z >> 31));
}}
int main(int argc, char** argv) {{
    uint64_t n = argc > 1 ? strtoull(argv[1], 0, 10) : 1000000;
    VerilatedContext* ctx = new VerilatedContext();
    V{top}* m = new V{top}(ctx);
    m->rst = 1; m->clk = 1; m->eval(); m->clk = 0; m->eval(); m->rst = 0;
    uint64_t errors = 0;
    uint32_t w[{words}];
    auto t0 = std::chrono::steady_clock::now();
    double c0 = thread_cpu();
    for (uint64_t i = 0; i < n; ++i) {{
        uint64_t expect = 0;
        for (int k = 0; k < {words}; ++k) {{
            w[k] = stim(i * {words} + k);
            expect += (w[k] & 0xff) + ((w[k] >> 8) & 0xff) + ((w[k] >> 16) & 0xff) + (w[k] >> 24);
        }}
        {set}
        m->clk = 1; m->eval(); m->clk = 0; m->eval();
        if ((uint64_t)m->out_sum != expect) ++errors;
    }}
    double cpu = thread_cpu() - c0;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("%llu %llu %.6f %.6f\n", (unsigned long long)n, (unsigned long long)errors, cpu, secs);
    m->final();
    delete m;
    delete ctx;
    return 0;
}}
"#
    )
}
