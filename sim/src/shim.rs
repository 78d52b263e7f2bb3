//! The generated C++ shim: a plain C ABI over one Verilated model.
//!
//! Ports are addressed by index (the order of `Design::ports`); values travel as little-endian
//! `u32` words, Verilator's `VlWide` layout. The batch entry point runs a loop inside C++:
//! per cycle it loads every input (the clock excluded) from a flat buffer, evaluates, gives one
//! rising clock edge (clocked designs) and stores every output into a flat buffer.

use nicc_rtl::{Design, Dir, PortInfo};
use std::fmt::Write;

/// Number of u32 words of a port value.
pub fn words(width: u32) -> usize {
    nicc_rtl::bits::words_for(width)
}

fn set_stmt(p: &PortInfo, src: &str) -> String {
    let n = &p.name;
    match p.width {
        0..=8 => format!("m->{n} = (CData)({src}[0]);"),
        9..=16 => format!("m->{n} = (SData)({src}[0]);"),
        17..=32 => format!("m->{n} = (IData)({src}[0]);"),
        33..=64 => format!("m->{n} = ((QData)({src}[1]) << 32) | (QData)({src}[0]);"),
        w => format!(
            "for (int k = 0; k < {}; ++k) m->{n}[k] = {src}[k];",
            words(w)
        ),
    }
}

fn get_stmt(p: &PortInfo, dst: &str) -> String {
    let n = &p.name;
    match p.width {
        0..=32 => format!("{dst}[0] = (uint32_t)(m->{n});"),
        33..=64 => {
            format!("{dst}[0] = (uint32_t)(m->{n}); {dst}[1] = (uint32_t)((QData)(m->{n}) >> 32);")
        }
        w => format!(
            "for (int k = 0; k < {}; ++k) {dst}[k] = m->{n}[k];",
            words(w)
        ),
    }
}

/// The C++ source of the shim for `d` (`trace` compiles VCD support in).
pub fn source(d: &Design, trace: bool) -> String {
    let top = format!("V{}", d.top);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// nicc-sim shim for `{}`: a C ABI over the Verilated model.",
        d.top
    );
    if trace {
        s.push_str("#define NICC_TRACE 1\n");
    }
    let _ = writeln!(
        s,
        r#"#include "{top}.h"
#include "verilated.h"
#include <cstdint>
#ifdef NICC_TRACE
#include "verilated_vcd_c.h"
#endif

// Direct evaluation. `eval()` -> `eval_step()` wraps the model's evaluation in per-call
// thread bookkeeping (`Verilated::mtaskId(0)`, `Verilated::endOfThreadMTask`, `endOfEval`):
// thread-local accesses that, in a dlopen'ed library whose TLS block is too large for static
// TLS, each cost a `__tls_get_addr` call (measured: about a quarter of the cycle time of a
// small model, the whole gap to a plain C++ harness). That bookkeeping only matters for
// multi-threaded models, whose messages it queues; nicc's models are single-threaded and
// evaluate on one thread, and the first evaluation (initial blocks, settle) still goes
// through `eval()`. Only for the Verilator release this was checked against (5.006, whose
// generated `eval_step` is exactly that bookkeeping around `<top>___024root___eval`); any
// other release, and traced models, call `eval()`.
#if !defined(NICC_TRACE) && defined(VERILATOR_VERSION_INTEGER) \
    && VERILATOR_VERSION_INTEGER >= 5006000 && VERILATOR_VERSION_INTEGER < 5007000
#define NICC_DIRECT_EVAL 1
class {top}___024root;
void {top}___024root___eval({top}___024root* vlSelf);
#endif

extern "C" int nicc_direct_eval() {{
#ifdef NICC_DIRECT_EVAL
    return 1;
#else
    return 0;
#endif
}}

struct NiccModel {{
    VerilatedContext* ctx;
    {top}* top;
#ifdef NICC_TRACE
    VerilatedVcdC* vcd;
#endif
}};

// Every evaluation is its own time step, so the waveform shows input changes, the rising
// edge and the falling edge at distinct times.
static inline void nicc_settle(NiccModel* h) {{
    h->ctx->timeInc(1);
#ifdef NICC_DIRECT_EVAL
    {top}___024root___eval(h->top->rootp);
#else
    h->top->eval();
#endif
#ifdef NICC_TRACE
    if (h->vcd) h->vcd->dump(h->ctx->time());
#endif
}}
"#
    );
    let clock = d.clock.as_deref();
    // Edge: clock high, evaluate, time advances, clock low, evaluate.
    let edge = match clock {
        Some(c) => format!("    m->{c} = 1; nicc_settle(h);\n    m->{c} = 0; nicc_settle(h);\n"),
        None => String::new(),
    };
    s.push_str("extern \"C\" {\n\n");
    let _ = writeln!(
        s,
        r#"void* nicc_create(const char* vcd_path) {{
    NiccModel* h = new NiccModel();
    h->ctx = new VerilatedContext();
    h->ctx->randReset(0);
    h->top = new {top}(h->ctx, "top");
#ifdef NICC_TRACE
    h->vcd = nullptr;
    if (vcd_path && vcd_path[0]) {{
        h->ctx->traceEverOn(true);
        h->vcd = new VerilatedVcdC();
        h->top->trace(h->vcd, 99);
        h->vcd->open(vcd_path);
    }}
#else
    (void)vcd_path;
#endif
    h->top->eval();
#ifdef NICC_TRACE
    if (h->vcd) h->vcd->dump(h->ctx->time());
#endif
    return h;
}}

void nicc_destroy(void* p) {{
    NiccModel* h = (NiccModel*)p;
    h->top->final();
#ifdef NICC_TRACE
    if (h->vcd) {{ h->vcd->close(); delete h->vcd; }}
#endif
    delete h->top;
    delete h->ctx;
    delete h;
}}

void nicc_eval(void* p) {{
    NiccModel* h = (NiccModel*)p;
    nicc_settle(h);
}}

// Writes out the waveform buffered so far (a no-op without one).
void nicc_vcd_flush(void* p) {{
#ifdef NICC_TRACE
    NiccModel* h = (NiccModel*)p;
    if (h->vcd) h->vcd->flush();
#else
    (void)p;
#endif
}}

void nicc_step(void* p) {{
    NiccModel* h = (NiccModel*)p;
    {top}* m = h->top;
    (void)m;
{edge}}}
"#
    );
    // Per-port set/get.
    s.push_str("void nicc_set(void* p, uint32_t idx, const uint32_t* w) {\n    NiccModel* h = (NiccModel*)p;\n    ");
    let _ = writeln!(s, "{top}* m = h->top;\n    switch (idx) {{");
    for (i, port) in d.ports.iter().enumerate() {
        if port.dir == Dir::Input {
            let _ = writeln!(s, "    case {i}: {} break;", set_stmt(port, "w"));
        }
    }
    s.push_str("    default: break;\n    }\n}\n\n");
    s.push_str("void nicc_get(void* p, uint32_t idx, uint32_t* w) {\n    NiccModel* h = (NiccModel*)p;\n    ");
    let _ = writeln!(s, "{top}* m = h->top;\n    switch (idx) {{");
    for (i, port) in d.ports.iter().enumerate() {
        let _ = writeln!(s, "    case {i}: {} break;", get_stmt(port, "w"));
    }
    s.push_str("    default: break;\n    }\n}\n\n");
    // Batch: inputs (clock excluded) and outputs in port order, flat.
    let _ = writeln!(
        s,
        "void nicc_batch(void* p, uint64_t n, const uint32_t* in, uint32_t* out) {{\n    NiccModel* h = (NiccModel*)p;\n    {top}* m = h->top;\n    for (uint64_t c = 0; c < n; ++c) {{"
    );
    let mut off = 0usize;
    for port in d
        .ports
        .iter()
        .filter(|p| p.dir == Dir::Input && Some(p.name.as_str()) != clock)
    {
        let _ = writeln!(s, "        {}", set_stmt(port, &format!("(in + {off})")));
        off += words(port.width);
    }
    let in_words = off;
    if clock.is_none() {
        s.push_str("        nicc_settle(h);\n");
    }
    if let Some(c) = clock {
        let _ = writeln!(
            s,
            "        m->{c} = 1; nicc_settle(h);\n        m->{c} = 0; nicc_settle(h);"
        );
    }
    let mut off = 0usize;
    for port in d.ports.iter().filter(|p| p.dir == Dir::Output) {
        let _ = writeln!(s, "        {}", get_stmt(port, &format!("(out + {off})")));
        off += words(port.width);
    }
    let _ = writeln!(
        s,
        "        in += {in_words};\n        out += {off};\n    }}\n}}\n\n}} // extern \"C\""
    );
    s
}

/// C++ appended to the shim of a toggle-coverage build (see [`crate::toggle`]): write the
/// coverage counters to a file, and zero them.
pub const COVERAGE_SOURCE: &str = r#"
#include "verilated_cov.h"
extern "C" {
int nicc_cov_write(void* p, const char* path) {
    NiccModel* h = (NiccModel*)p;
    h->ctx->coveragep()->write(path);
    return 0;
}
void nicc_cov_zero(void* p) {
    NiccModel* h = (NiccModel*)p;
    h->ctx->coveragep()->zero();
}
} // extern "C"
"#;
