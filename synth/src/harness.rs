//! The iCE40 I/O harness: a wrapper that lets a design with more I/O bits than the package has
//! pins (or a combinational one) be placed, routed and timed register to register.
//!
//! Inputs are loaded from `scan_pins` shift registers fed by one pin each (they shift every
//! clock: the harness exists to time the design, not to drive it meaningfully); every output
//! bit is registered, and the registered bits are folded by XOR trees onto `fold_pins` pins.
//! So every path through the design starts and ends at a flip-flop, and nextpnr's Fmax is the
//! design's register-to-register Fmax. The harness's own cost is measured separately on
//! [`blackbox_stub`] + [`harness_verilog`] and reported beside the design's, never inside it.
//!
//! The harness is built with the nicc-rtl IR ([`harness_design`]); only the black-box stub for
//! the harness-alone synthesis is printed as text (the IR has no black-box attribute).

use crate::error::SynthError;
use nicc_rtl::{emit, Bits, Design, Dir, ModuleBuilder, RtlError, Signal};

/// Module name of the generated harness.
pub const HARNESS_TOP: &str = "nicc_io_harness";

/// Pins and bits of a generated harness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarnessShape {
    /// Input bits of the design loaded through scan chains (clock excluded).
    pub input_bits: u32,
    /// Output bits of the design, registered and folded.
    pub output_bits: u32,
    /// Scan chains actually used (<= requested, <= input bits).
    pub scan_pins: u32,
    /// Length of each scan chain.
    pub chain_len: u32,
    /// Fold pins actually used (<= requested, <= output bits).
    pub fold_pins: u32,
}

/// Computes the harness shape for `design`.
pub fn shape(design: &Design, scan_pins: u32, fold_pins: u32) -> Result<HarnessShape, SynthError> {
    if scan_pins == 0 || fold_pins == 0 {
        return Err(SynthError::InvalidOption(
            "harness scan and fold pin counts must be >= 1".into(),
        ));
    }
    let clock = design.clock.as_deref();
    let input_bits: u32 = design
        .ports
        .iter()
        .filter(|p| p.dir == Dir::Input && Some(p.name.as_str()) != clock)
        .map(|p| p.width)
        .sum();
    let output_bits: u32 = design
        .ports
        .iter()
        .filter(|p| p.dir == Dir::Output)
        .map(|p| p.width)
        .sum();
    if output_bits == 0 {
        return Err(SynthError::InvalidDesign(format!(
            "`{}` has no outputs: everything would be optimised away",
            design.top
        )));
    }
    let scan = scan_pins.min(input_bits);
    Ok(HarnessShape {
        input_bits,
        output_bits,
        scan_pins: scan,
        chain_len: if scan == 0 {
            0
        } else {
            input_bits.div_ceil(scan)
        },
        fold_pins: fold_pins.min(output_bits),
    })
}

/// The harness module `nicc_io_harness(clk, scan_in, fold_out)` wrapping one instance `dut` of
/// `design.top`, built with the nicc-rtl IR ([`ModuleBuilder`]) and emitted. The returned
/// design holds only the harness module's file (the design's own text is not included).
pub fn harness_design(
    design: &Design,
    scan_pins: u32,
    fold_pins: u32,
) -> Result<Design, SynthError> {
    if design.top == HARNESS_TOP {
        return Err(SynthError::InvalidDesign(format!(
            "design top `{HARNESS_TOP}` clashes with the harness module name"
        )));
    }
    let s = shape(design, scan_pins, fold_pins)?;
    let clock = design.clock.as_deref();
    let rtl_err = |e: RtlError| {
        SynthError::InvalidDesign(format!(
            "building the I/O harness for `{}`: {e}",
            design.top
        ))
    };
    // A stand-in with the design's ports, so the IR can check the instance's connections. Its
    // emitted text is dropped: the real design's Verilog is used instead.
    let mut stub = ModuleBuilder::new(&design.top);
    for p in &design.ports {
        match p.dir {
            Dir::Input if p.signed => {
                stub.input_signed(&p.name, p.width);
            }
            Dir::Input => {
                stub.input(&p.name, p.width);
            }
            Dir::Output => stub.output(&p.name, &Signal::constant(Bits::zero(p.width), p.signed)),
        }
    }
    let stub = stub.finish().map_err(rtl_err)?;
    if stub.name != design.top {
        return Err(SynthError::InvalidDesign(format!(
            "top `{}` is not usable as a Verilog module name (a keyword?)",
            design.top
        )));
    }

    let mut m = ModuleBuilder::new(HARNESS_TOP);
    let clk = m.clock_input("clk");
    // Scan chains: chain c shifts scan_in[c] in at bit 0 every clock.
    let mut chains = Vec::new();
    if s.scan_pins > 0 {
        let scan_in = m.input("scan_in", s.scan_pins);
        let l = s.chain_len;
        for c in 0..s.scan_pins {
            let r = m.reg_decl(&format!("scan_c{c}"), l, false, None);
            let next = if l == 1 {
                scan_in.bit(c)
            } else {
                Signal::concat(&[r.sig().slice(0, l - 1), scan_in.bit(c)])
            };
            m.set_next(&r, &next);
            chains.push(r.sig());
        }
    }
    chains.reverse(); // concat: most significant first, chain 0 lowest
    let scan_all = if chains.is_empty() {
        None
    } else {
        Some(m.wire("scan_all", &Signal::concat(&chains)))
    };
    let mut inputs: Vec<(String, Signal)> = Vec::new();
    let mut lo = 0u32;
    for p in &design.ports {
        if Some(p.name.as_str()) == clock {
            inputs.push((p.name.clone(), clk.clone()));
        } else if p.dir == Dir::Input {
            if let Some(all) = &scan_all {
                let v = all.slice(lo, p.width);
                inputs.push((p.name.clone(), if p.signed { v.as_signed() } else { v }));
                lo += p.width;
            }
        }
    }
    let conns: Vec<(&str, &Signal)> = inputs.iter().map(|(n, v)| (n.as_str(), v)).collect();
    let outs = m.instance("dut", &stub, &conns);
    // Every output bit registered, most significant = last output port.
    let mut out_parts: Vec<Signal> = design
        .ports
        .iter()
        .filter(|p| p.dir == Dir::Output)
        .map(|p| outs.out(&p.name).as_unsigned())
        .collect();
    out_parts.reverse();
    let out_q = m.reg("out_q", &Signal::concat(&out_parts));
    // Fold pin j = XOR of bits j, j + fold_pins, j + 2 * fold_pins, ...
    let mut folds: Vec<Signal> = (0..s.fold_pins)
        .map(|j| {
            let bits: Vec<Signal> = (j..s.output_bits)
                .step_by(s.fold_pins as usize)
                .map(|b| out_q.bit(b))
                .collect();
            if bits.len() == 1 {
                bits[0].clone()
            } else {
                Signal::concat(&bits).reduce_xor()
            }
        })
        .collect();
    folds.reverse();
    m.output("fold_out", &Signal::concat(&folds));
    let top = m.finish().map_err(rtl_err)?;
    let mut d = emit(&top).map_err(rtl_err)?;
    d.files.retain(|f| f.module == HARNESS_TOP);
    Ok(d)
}

/// Verilog text of [`harness_design`] (the harness module only).
pub fn harness_verilog(
    design: &Design,
    scan_pins: u32,
    fold_pins: u32,
) -> Result<String, SynthError> {
    Ok(harness_design(design, scan_pins, fold_pins)?.verilog())
}

/// A `(* blackbox *)` module with the design's ports, to synthesise the harness alone.
pub fn blackbox_stub(design: &Design) -> String {
    let mut v = format!("(* blackbox *)\nmodule {} (", design.top);
    let decl: Vec<String> = design
        .ports
        .iter()
        .map(|p| {
            let dir = if p.dir == Dir::Input {
                "input"
            } else {
                "output"
            };
            let sign = if p.signed { " signed" } else { "" };
            if p.width == 1 {
                format!("{dir} wire{sign} {}", p.name)
            } else {
                format!("{dir} wire{sign} [{}:0] {}", p.width - 1, p.name)
            }
        })
        .collect();
    v.push_str(&decl.join(", "));
    v.push_str(");\nendmodule\n");
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use nicc_rtl::{PortInfo, VerilogFile};

    fn small() -> Design {
        let p = |name: &str, dir, width| PortInfo {
            name: name.into(),
            dir,
            width,
            signed: false,
        };
        Design {
            top: "dut_top".into(),
            files: vec![VerilogFile {
                module: "dut_top".into(),
                text: String::new(),
            }],
            ports: vec![
                p("clk", Dir::Input, 1),
                p("x", Dir::Input, 3),
                p("en", Dir::Input, 1),
                p("y", Dir::Output, 5),
            ],
            clock: Some("clk".into()),
            reset: None,
            name_map: Default::default(),
        }
    }

    #[test]
    fn shape_counts_bits_without_clock() {
        let s = shape(&small(), 3, 2).unwrap();
        assert_eq!(
            s,
            HarnessShape {
                input_bits: 4,
                output_bits: 5,
                scan_pins: 3,
                chain_len: 2,
                fold_pins: 2
            }
        );
        assert!(shape(&small(), 0, 2).is_err());
    }

    #[test]
    fn harness_text() {
        insta::assert_snapshot!(harness_verilog(&small(), 3, 2).unwrap());
    }

    #[test]
    fn stub_text() {
        insta::assert_snapshot!(blackbox_stub(&small()));
    }

    #[test]
    fn name_clash_is_an_error() {
        let mut d = small();
        d.top = HARNESS_TOP.into();
        assert!(harness_verilog(&d, 1, 1).is_err());
    }
}
