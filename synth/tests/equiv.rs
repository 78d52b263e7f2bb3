//! Formal equivalence: correct designs are proven equal to behavioural references, wrong ones are
//! refuted with a counterexample that is checked against independent Rust arithmetic; a time
//! limit stops every kind of proof (equivalence, algebraic, bounded).

mod common;

use common::*;
use nicc_rtl::{Bits, Dir};
use nicc_synth::{
    bounded_check, check_equiv, prove_linear, AlgebraOptions, AlgebraVerdict, BmcOptions,
    BmcVerdict, EquivMode, EquivOptions, EquivResult, LinearSpec, LinearTerm, SynthError,
};
use std::time::Duration;

fn adder_ports() -> Vec<nicc_rtl::PortInfo> {
    vec![
        port("a", Dir::Input, 4),
        port("b", Dir::Input, 4),
        port("c", Dir::Input, 1),
        port("s", Dir::Output, 5),
    ]
}

fn reference() -> nicc_rtl::Design {
    design(
        "add_ref",
        "module add_ref(input [3:0] a, input [3:0] b, input c, output [4:0] s);\n  assign s = a + b + c;\nendmodule\n",
        adder_ports(),
        None,
    )
}

/// Ripple-carry adder with a full-adder submodule; `drop_carry` removes the b&cin term of the
/// carry of bit 1 (a deliberately wrong design).
fn ripple(drop_carry: bool) -> nicc_rtl::Design {
    let fa = "module fa(input x, input y, input ci, output s, output co);\n  assign s = x ^ y ^ ci;\n  assign co = (x & y) | (x & ci) | (y & ci);\nendmodule\n";
    let fa_bad = "module fa_bad(input x, input y, input ci, output s, output co);\n  assign s = x ^ y ^ ci;\n  assign co = (x & y) | (x & ci);\nendmodule\n";
    let bit1 = if drop_carry { "fa_bad" } else { "fa" };
    let top = format!(
        "module ripple(input [3:0] b, input c, input [3:0] a, output [4:0] s);\n  wire [4:0] k;\n  assign k[0] = c;\n  fa f0(.x(a[0]), .y(b[0]), .ci(k[0]), .s(s[0]), .co(k[1]));\n  {bit1} f1(.x(a[1]), .y(b[1]), .ci(k[1]), .s(s[1]), .co(k[2]));\n  fa f2(.x(a[2]), .y(b[2]), .ci(k[2]), .s(s[2]), .co(k[3]));\n  fa f3(.x(a[3]), .y(b[3]), .ci(k[3]), .s(s[3]), .co(k[4]));\n  assign s[4] = k[4];\nendmodule\n"
    );
    let mut d = design("ripple", &top, adder_ports(), None);
    d.files.insert(
        0,
        nicc_rtl::VerilogFile {
            module: "fa".into(),
            text: format!("{fa}{fa_bad}"),
        },
    );
    d
}

fn get(cex: &[(String, Bits)], name: &str) -> u64 {
    cex.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} missing from {cex:?}"))
        .1
        .to_u64()
        .unwrap()
}

/// The wrong ripple adder, bit by bit (independent of the Verilog).
fn bad_ripple(a: u64, b: u64, c: u64) -> u64 {
    let (mut k, mut s) = (c & 1, 0);
    for i in 0..4 {
        let (x, y) = ((a >> i) & 1, (b >> i) & 1);
        s |= (x ^ y ^ k) << i;
        k = if i == 1 {
            (x & y) | (x & k)
        } else {
            (x & y) | (x & k) | (y & k)
        };
    }
    s | (k << 4)
}

#[test]
fn combinational_adder_proven_equal() {
    let r = check_equiv(&reference(), &ripple(false), &EquivOptions::default()).unwrap();
    assert_eq!(r, EquivResult::Equivalent);
}

#[test]
fn combinational_wrong_adder_refuted_with_counterexample() {
    let r = check_equiv(&reference(), &ripple(true), &EquivOptions::default()).unwrap();
    println!("{r}");
    let EquivResult::NotEquivalent { counterexample, .. } = &r else {
        panic!("expected a mismatch, got {r:?}")
    };
    assert_eq!(counterexample.len(), 3);
    let (a, b, c) = (
        get(counterexample, "a"),
        get(counterexample, "b"),
        get(counterexample, "c"),
    );
    assert_ne!(
        a + b + c,
        bad_ripple(a, b, c),
        "counterexample a={a} b={b} c={c} does not distinguish"
    );
}

/// Registered adder: `s` is the sum of the inputs of the previous cycle.
fn reg_ref() -> nicc_rtl::Design {
    design(
        "radd_ref",
        "module radd_ref(input clk, input [3:0] a, input [3:0] b, output reg [4:0] s);\n  always @(posedge clk) s <= a + b;\nendmodule\n",
        vec![
            port("clk", Dir::Input, 1),
            port("a", Dir::Input, 4),
            port("b", Dir::Input, 4),
            port("s", Dir::Output, 5),
        ],
        Some("clk"),
    )
}

fn reg_alt(wrong: bool) -> nicc_rtl::Design {
    let sum = if wrong {
        "{1'b0, a} + {1'b0, b[3:1], 1'b0}" // drops b[0]
    } else {
        "{1'b0, a} + {1'b0, b}"
    };
    design(
        "radd_alt",
        &format!("module radd_alt(input [3:0] b, input [3:0] a, input clk, output [4:0] s);\n  wire [4:0] t = {sum};\n  reg [4:0] q;\n  always @(posedge clk) q <= t;\n  assign s = q;\nendmodule\n"),
        vec![
            port("b", Dir::Input, 4),
            port("a", Dir::Input, 4),
            port("clk", Dir::Input, 1),
            port("s", Dir::Output, 5),
        ],
        Some("clk"),
    )
}

#[test]
fn sequential_registered_adders_proven_equal() {
    let r = check_equiv(&reg_ref(), &reg_alt(false), &EquivOptions::default()).unwrap();
    assert_eq!(r, EquivResult::Equivalent);
}

#[test]
fn sequential_wrong_adder_refuted_with_trace() {
    let r = check_equiv(&reg_ref(), &reg_alt(true), &EquivOptions::default()).unwrap();
    println!("{r}");
    let EquivResult::NotEquivalent {
        trace,
        counterexample,
    } = &r
    else {
        panic!("expected a mismatch, got {r:?}")
    };
    assert!(
        trace.len() >= 2,
        "a registered mismatch needs two cycles: {trace:?}"
    );
    assert_eq!(counterexample, &trace[0]);
    assert!(counterexample.iter().all(|(n, _)| n != "clk"));
    for cycle in trace {
        let names: Vec<&str> = cycle.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b"], "one value per input port and cycle");
    }
    // The output of the last cycle shows the inputs of the one before it.
    let prev = &trace[trace.len() - 2];
    let (a, b) = (get(prev, "a"), get(prev, "b"));
    assert_ne!(a + b, a + (b & !1), "a={a} b={b} does not distinguish");
}

#[test]
fn port_mismatch_is_an_error() {
    let mut d = ripple(false);
    d.ports[3].width = 6;
    let e = check_equiv(&reference(), &d, &EquivOptions::default()).unwrap_err();
    assert!(matches!(e, SynthError::InvalidDesign(_)), "{e}");
    assert!(e.to_string().contains("ports differ"));
}

#[test]
fn sequential_mode_on_combinational_designs_decides() {
    // Forcing sequential mode on combinational designs is allowed (no registers: plain SAT).
    let o = EquivOptions {
        mode: EquivMode::Sequential,
        ..EquivOptions::default()
    };
    assert_eq!(
        check_equiv(&reference(), &ripple(false), &o).unwrap(),
        EquivResult::Equivalent
    );
    assert!(!check_equiv(&reference(), &ripple(true), &o)
        .unwrap()
        .is_equivalent());
}

/// `time_limit`: every tool run of a proof is stopped at it. A millisecond stops Yosys's first
/// run (it takes tens of milliseconds on the smallest design), which makes the error
/// deterministic; a zero limit is refused before anything runs.
#[test]
fn the_time_limit_stops_each_kind_of_proof() {
    let ms = Some(Duration::from_millis(1));
    let stopped_yosys = |e: SynthError| {
        assert!(
            matches!(&e, SynthError::TimedOut { tool, .. } if tool == "yosys"),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("did not finish within the time limit of 0.001 s"),
            "{e}"
        );
    };
    for mode in [EquivMode::Combinational, EquivMode::Sequential] {
        let o = EquivOptions {
            mode,
            time_limit: ms,
            ..EquivOptions::default()
        };
        stopped_yosys(check_equiv(&reference(), &ripple(false), &o).unwrap_err());
    }
    let spec = LinearSpec {
        output: "s".into(),
        constant: 0,
        terms: [("a", 4), ("b", 4), ("c", 1)]
            .map(|(port, width)| LinearTerm {
                port: port.into(),
                lo: 0,
                width,
                signed: false,
                weight: 1,
            })
            .into(),
        latency: 0,
    };
    let algebra = |time_limit| AlgebraOptions {
        time_limit,
        ..AlgebraOptions::default()
    };
    stopped_yosys(prove_linear(&ripple(false), &spec, &algebra(ms)).unwrap_err());
    let bmc = |time_limit| BmcOptions {
        frames: 3,
        timeout_s: 0,
        time_limit,
    };
    stopped_yosys(bounded_check(&commuted_products(), &bmc(ms)).unwrap_err());
    // A limit the proof stays within changes nothing.
    let minute = Some(Duration::from_secs(60));
    let o = EquivOptions {
        time_limit: minute,
        ..EquivOptions::default()
    };
    assert_eq!(
        check_equiv(&reference(), &ripple(false), &o).unwrap(),
        EquivResult::Equivalent
    );
    let r = prove_linear(&ripple(false), &spec, &algebra(minute)).unwrap();
    assert_eq!(r.verdict, AlgebraVerdict::Proven, "{r}");
    // Zero is not a limit.
    let zero = EquivOptions {
        time_limit: Some(Duration::ZERO),
        ..EquivOptions::default()
    };
    let e = check_equiv(&reference(), &ripple(false), &zero).unwrap_err();
    assert!(
        matches!(e, SynthError::InvalidOption(ref m) if m.contains("time limit 0 s")),
        "{e}"
    );
    assert!(matches!(
        prove_linear(&ripple(false), &spec, &algebra(Some(Duration::ZERO))),
        Err(SynthError::InvalidOption(_))
    ));
    assert!(matches!(
        bounded_check(&commuted_products(), &bmc(Some(Duration::ZERO))),
        Err(SynthError::InvalidOption(_))
    ));
}

/// A checker that two 12-bit multipliers of different structure agree: Yosys makes its AIG in
/// about 0.4 s, ABC's SAT solver takes longer than 20 s on frame 1.
fn commuted_products() -> nicc_rtl::Design {
    design(
        "chk",
        "module chk(input clk, input [11:0] a, input [11:0] b, output bad);\n  reg [11:0] ra, rb;\n  always @(posedge clk) begin ra <= a; rb <= b; end\n  wire [23:0] p = ra * rb;\n  reg [23:0] q;\n  integer i;\n  always @* begin\n    q = 0;\n    for (i = 0; i < 12; i = i + 1) if (ra[i]) q = q + ({12'b0, rb} << i);\n  end\n  assign bad = p != q;\nendmodule\n",
        vec![
            port("clk", Dir::Input, 1),
            port("a", Dir::Input, 12),
            port("b", Dir::Input, 12),
            port("bad", Dir::Output, 1),
        ],
        Some("clk"),
    )
}

/// A bounded check with a time limit and no ABC limit of its own: ABC's `bmc3 -T` gets the
/// limit, so a check the limit cuts short is inconclusive (ABC's verdict, not a stopped tool),
/// after the frames it finished. The limit must cover the Yosys step: on a loaded machine, a
/// Yosys step stopped at it retries with twice the limit. ABC counts `-T` in CPU time, so on
/// a loaded machine the wall-time stop of its process can come first: also an error naming
/// the limit.
#[test]
fn the_time_limit_makes_a_long_bounded_check_inconclusive() {
    let t = std::time::Instant::now();
    let mut limit = 2;
    let r = loop {
        let o = BmcOptions {
            frames: 3,
            timeout_s: 0,
            time_limit: Some(Duration::from_secs(limit)),
        };
        match bounded_check(&commuted_products(), &o) {
            Err(SynthError::TimedOut { tool, .. }) if tool == "yosys" && limit < 16 => limit *= 2,
            r => break r,
        }
    };
    match r {
        Ok(v) => assert!(
            matches!(v, BmcVerdict::Inconclusive { frames } if frames < 3),
            "{v}"
        ),
        Err(e) => assert!(
            matches!(&e, SynthError::TimedOut { tool, limit_s, log }
                if tool == "yosys-abc" && *limit_s == limit as f64 && log.contains("CPU time")),
            "{e}"
        ),
    }
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
}
