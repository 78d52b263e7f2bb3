//! Hand-written test designs wrapped in `Design` values.
#![allow(dead_code)]

use nicc_rtl::{Design, Dir, PortInfo, VerilogFile};

/// A port.
pub fn port(name: &str, dir: Dir, width: u32) -> PortInfo {
    PortInfo {
        name: name.into(),
        dir,
        width,
        signed: false,
    }
}

/// One-module design.
pub fn design(top: &str, text: &str, ports: Vec<PortInfo>, clock: Option<&str>) -> Design {
    Design {
        top: top.into(),
        files: vec![VerilogFile {
            module: top.into(),
            text: text.into(),
        }],
        ports,
        clock: clock.map(Into::into),
        reset: None,
        name_map: Default::default(),
    }
}

/// Registered 4-bit + 4-bit adder (inputs and output registered).
pub fn reg_add4() -> Design {
    design(
        "reg_add4",
        "module reg_add4(input clk, input [3:0] a, input [3:0] b, output reg [4:0] s);\n  reg [3:0] ra, rb;\n  always @(posedge clk) begin ra <= a; rb <= b; s <= ra + rb; end\nendmodule\n",
        vec![
            port("clk", Dir::Input, 1),
            port("a", Dir::Input, 4),
            port("b", Dir::Input, 4),
            port("s", Dir::Output, 5),
        ],
        Some("clk"),
    )
}

/// Combinational `out = a <op> b` (module `top`, `w`-bit inputs, `ow`-bit output `out`).
fn comb_binop(top: &str, op: char, w: u32, out: &str, ow: u32) -> Design {
    let text = format!(
        "module {top}(input [{}:0] a, input [{}:0] b, output [{}:0] {out});\n  assign {out} = a {op} b;\nendmodule\n",
        w - 1,
        w - 1,
        ow - 1
    );
    let ports = vec![
        port("a", Dir::Input, w),
        port("b", Dir::Input, w),
        port(out, Dir::Output, ow),
    ];
    design(top, &text, ports, None)
}

/// Combinational 8-bit adder.
pub fn comb_add8() -> Design {
    comb_binop("comb_add8", '+', 8, "s", 9)
}

/// A 16 x 16 multiplier: big enough that ABC's fast and default scripts map it differently.
pub fn comb_mul16() -> Design {
    comb_binop("comb_mul16", '*', 16, "p", 32)
}

/// A RAM of 2^`addr_bits` x 8 bits, ports `clk`, `we`, `addr`, `d`, `q`; `read` is the
/// statement that registers `q` from `mem[addr]`.
fn ram8(top: &str, addr_bits: u32, read: &str) -> Design {
    let words = 1u64 << addr_bits;
    let text = format!(
        "module {top}(input clk, input we, input [{a}:0] addr, input [7:0] d, output reg [7:0] q);\n  reg [7:0] mem [0:{last}];\n  always @(posedge clk) begin if (we) mem[addr] <= d; {read} end\nendmodule\n",
        a = addr_bits - 1,
        last = words - 1
    );
    let ports = [
        ("clk", Dir::Input, 1),
        ("we", Dir::Input, 1),
        ("addr", Dir::Input, addr_bits),
    ]
    .into_iter()
    .chain([("d", Dir::Input, 8), ("q", Dir::Output, 8)])
    .map(|(n, d, w)| port(n, d, w))
    .collect();
    design(top, &text, ports, Some("clk"))
}

/// 64k x 8-bit synchronous RAM: 512 kbit, needs 128 iCE40 block RAMs (the HX8K has 32).
pub fn big_ram() -> Design {
    ram8("big_ram", 16, "q <= mem[addr];")
}

/// 256 x 8-bit RAM (kept as a memory cell by the generic and asic flows) with a registered,
/// incremented read: memory bits and standard cells in one design.
pub fn ram256_inc() -> Design {
    ram8("ram256_inc", 8, "q <= mem[addr] + 8'd1;")
}

/// Registered XOR of `n` 8-bit inputs `x0..x{n-1}` into an 8-bit output (wide I/O, little logic).
pub fn wide_xor(n: u32) -> Design {
    let mut ports = vec![port("clk", Dir::Input, 1)];
    let mut text = "module wide_xor(\n  input clk,\n".to_string();
    for i in 0..n {
        text += &format!("  input [7:0] x{i},\n");
        ports.push(port(&format!("x{i}"), Dir::Input, 8));
    }
    text += "  output reg [7:0] y\n);\n";
    ports.push(port("y", Dir::Output, 8));
    let terms: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
    text += &format!(
        "  always @(posedge clk) y <= {};\nendmodule\n",
        terms.join(" ^ ")
    );
    design("wide_xor", &text, ports, Some("clk"))
}

/// One flip-flop (`en_q`, registered from input `en`) enabling `n` others: the `en_q` net has
/// a fanout of `n` (`n` multiplexer selects once the enables are mapped), like a FIFO write
/// enable or a weight-row write enable.
pub fn broadcast_enable(n: u32) -> Design {
    design(
        "broadcast_enable",
        &format!(
            "module broadcast_enable(input clk, input en, input [{m}:0] d, output reg [{m}:0] q);\n  reg en_q;\n  always @(posedge clk) begin en_q <= en; if (en_q) q <= d; end\nendmodule\n",
            m = n - 1
        ),
        vec![
            port("clk", Dir::Input, 1),
            port("en", Dir::Input, 1),
            port("d", Dir::Input, n),
            port("q", Dir::Output, n),
        ],
        Some("clk"),
    )
}
