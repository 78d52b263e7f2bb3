//! Icarus Verilog backend, for cross-checking Verilator on the same stimulus.
//!
//! A generated testbench reads one line of hex per cycle (`$readmemh`), drives every input but
//! the clock, waits, gives one rising edge (clocked designs), and writes the outputs as hex.
//! The convention is the one of `Model::run_batch`.

use crate::error::{io, SimError};
use nicc_rtl::{Bits, Design, Dir, PortInfo};
use std::fmt::Write;
use std::process::Command;

fn tool(cmd: &mut Command, name: &str) -> Result<(), SimError> {
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            SimError::MissingTool {
                tool: name.into(),
                package: "iverilog".into(),
            }
        } else {
            SimError::Io {
                context: format!("running {name}"),
                source: e,
            }
        }
    })?;
    if !out.status.success() {
        return Err(SimError::ToolFailed {
            tool: name.into(),
            status: out.status.to_string(),
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(())
}

/// Runs `inputs` (one vector per cycle, in the order of every input but the clock) through
/// Icarus and returns the outputs of each cycle (in output-port order).
pub fn run_batch(d: &Design, inputs: &[Vec<Bits>]) -> Result<Vec<Vec<Bits>>, SimError> {
    let clock = d.clock.as_deref();
    let ins: Vec<&PortInfo> = d
        .ports
        .iter()
        .filter(|p| p.dir == Dir::Input && Some(p.name.as_str()) != clock)
        .collect();
    let outs: Vec<&PortInfo> = d.ports.iter().filter(|p| p.dir == Dir::Output).collect();
    let in_w: u32 = ins.iter().map(|p| p.width).sum();
    let out_w: u32 = outs.iter().map(|p| p.width).sum();
    let dir = tempfile::tempdir().map_err(io("creating a temp dir"))?;
    // Stimulus: one hex line per cycle, first input most significant.
    let mut stim = String::new();
    for (c, cyc) in inputs.iter().enumerate() {
        if cyc.len() != ins.len() {
            return Err(SimError::BadBatch {
                cycle: c,
                what: format!("{} values given for {} inputs", cyc.len(), ins.len()),
            });
        }
        let parts: Vec<Bits> = cyc.iter().zip(&ins).map(|(v, p)| v.zext(p.width)).collect();
        let _ = writeln!(stim, "{}", Bits::concat(&parts).to_hex());
    }
    std::fs::write(dir.path().join("in.hex"), stim).map_err(io("writing in.hex"))?;
    let mut tb = String::from("`timescale 1ns/1ps\nmodule nicc_tb;\n");
    if let Some(c) = clock {
        let _ = writeln!(tb, "    reg {c} = 1'b0;");
    }
    for p in &ins {
        let _ = writeln!(tb, "    reg [{}:0] {};", p.width - 1, p.name);
    }
    for p in &outs {
        let _ = writeln!(tb, "    wire [{}:0] {};", p.width - 1, p.name);
    }
    let conns: Vec<String> = d
        .ports
        .iter()
        .map(|p| format!(".{0}({0})", p.name))
        .collect();
    let _ = writeln!(tb, "    {} dut ({});", d.top, conns.join(", "));
    let n = inputs.len().max(1);
    let _ = writeln!(tb, "    reg [{}:0] vec [0:{}];", in_w.max(1) - 1, n - 1);
    let in_names: Vec<&str> = ins.iter().map(|p| p.name.as_str()).collect();
    let out_names: Vec<&str> = outs.iter().map(|p| p.name.as_str()).collect();
    let _ = writeln!(
        tb,
        "    integer i, f;\n    initial begin\n        $readmemh(\"in.hex\", vec);\n        f = $fopen(\"out.hex\", \"w\");\n        for (i = 0; i < {}; i = i + 1) begin",
        inputs.len()
    );
    if !in_names.is_empty() {
        let _ = writeln!(tb, "            {{{}}} = vec[i];", in_names.join(", "));
    }
    tb.push_str("            #1;\n");
    if let Some(c) = clock {
        let _ = writeln!(tb, "            {c} = 1'b1; #1; {c} = 1'b0; #1;");
    }
    let _ = writeln!(
        tb,
        "            $fwrite(f, \"%h\\n\", {{{}}});\n        end\n        $fclose(f);\n        $finish;\n    end\nendmodule",
        out_names.join(", ")
    );
    let mut files = Vec::new();
    for f in &d.files {
        let p = dir.path().join(format!("{}.v", f.module));
        std::fs::write(&p, &f.text).map_err(io("writing Verilog"))?;
        files.push(p);
    }
    let tbp = dir.path().join("nicc_tb.v");
    std::fs::write(&tbp, tb).map_err(io("writing the testbench"))?;
    tool(
        Command::new("iverilog")
            .arg("-g2005")
            .arg("-s")
            .arg("nicc_tb")
            .arg("-o")
            .arg(dir.path().join("sim.vvp"))
            .args(&files)
            .arg(&tbp),
        "iverilog",
    )?;
    tool(
        Command::new("vvp")
            .current_dir(dir.path())
            .arg("-n")
            .arg("sim.vvp"),
        "vvp",
    )?;
    let text =
        std::fs::read_to_string(dir.path().join("out.hex")).map_err(io("reading out.hex"))?;
    let mut result = Vec::new();
    for (c, line) in text.lines().enumerate() {
        if line.contains(['x', 'X', 'z', 'Z']) {
            return Err(SimError::BadOutput(format!(
                "cycle {c}: Icarus produced unknown bits ({line}); reset the design in the stimulus"
            )));
        }
        let all = Bits::from_hex(out_w.div_ceil(4) * 4, line)
            .ok_or_else(|| SimError::BadOutput(format!("cycle {c}: bad hex `{line}`")))?
            .zext(out_w);
        let mut pos = out_w;
        let mut row = Vec::new();
        for p in &outs {
            pos -= p.width;
            row.push(all.slice(pos, p.width));
        }
        result.push(row);
    }
    if result.len() != inputs.len() {
        return Err(SimError::BadOutput(format!(
            "{} cycles of output for {} of input",
            result.len(),
            inputs.len()
        )));
    }
    Ok(result)
}
