//! Wrapper tops that put many modules into one design, so one lint run or one simulation model
//! covers a whole parameter matrix instead of one build per configuration.
//!
//! [`prefixed`] instantiates each [`Part`] once and brings every port of it out as a wrapper port
//! `<prefix><port>`; the parts' clocks and resets share the wrapper's `clk` and `rst`. Names come
//! from the caller (use names derived from the parameters, so a one-line change to the matrix
//! changes a few lines of output).

use crate::builder::ModuleBuilder;
use crate::error::{ParamError, RtlError};
use crate::ir::{Module, NetKind};
use crate::signal::Signal;
use std::rc::Rc;

/// One module placed in a [`prefixed`] wrapper.
#[derive(Debug, Clone)]
pub struct Part {
    /// The instance name inside the wrapper.
    pub instance: String,
    /// The prefix of the part's ports on the wrapper: port `p` becomes `<prefix>p`.
    pub prefix: String,
    /// The module to instantiate.
    pub module: Rc<Module>,
}

/// A wrapper top named `top` holding each part once. Every input and output port of a part is a
/// wrapper port `<prefix><port>` (declared in the part's port order: its inputs, then its
/// outputs), except its clock and reset ports, which connect to the wrapper's shared `clk` and
/// `rst` (declared first, and only when some part has a clock or a reset).
///
/// An empty part list is a parameter error; clashing port or instance names are reported by the
/// IR checks.
pub fn prefixed(top: &str, parts: &[Part]) -> Result<Rc<Module>, RtlError> {
    if parts.is_empty() {
        return Err(ParamError::invalid("parts", 0, "at least one module to wrap").into());
    }
    let mut m = ModuleBuilder::new(top);
    let clocked = parts
        .iter()
        .any(|p| p.module.clock.is_some() || p.module.reset.is_some());
    let domain = clocked.then(|| m.clock_domain());
    for part in parts {
        let sub = &part.module;
        let mut ins: Vec<(String, Signal)> = Vec::new();
        let mut outs: Vec<String> = Vec::new();
        for &id in &sub.ports {
            let net = &sub.nets[id];
            let shared = match &domain {
                Some((clk, _)) if sub.clock == Some(id) => Some(clk.clone()),
                Some((_, rst)) if sub.reset == Some(id) => Some(rst.clone()),
                _ => None,
            };
            match (net.kind == NetKind::Input, shared) {
                (true, Some(s)) => ins.push((net.name.clone(), s)),
                (true, None) => {
                    let s = m.input(&format!("{}{}", part.prefix, net.name), net.width);
                    ins.push((net.name.clone(), s));
                }
                (false, _) => outs.push(net.name.clone()),
            }
        }
        let conns: Vec<(&str, &Signal)> = ins.iter().map(|(n, s)| (n.as_str(), s)).collect();
        let o = m.instance(&part.instance, sub, &conns);
        for n in outs {
            m.output(&format!("{}{n}", part.prefix), &o.out(&n));
        }
    }
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::emit;

    fn inverter(name: &str, clocked: bool) -> Rc<Module> {
        let mut m = ModuleBuilder::new(name);
        let x = m.input("x", 4);
        let y = if clocked {
            m.clock_domain();
            m.reg("q", &!&x)
        } else {
            !&x
        };
        m.output("y", &y);
        m.finish().unwrap()
    }

    #[test]
    fn ports_are_prefixed_and_the_clock_domain_is_shared() {
        let parts = [
            Part {
                instance: "u_a".into(),
                prefix: "a_".into(),
                module: inverter("inv_comb", false),
            },
            Part {
                instance: "u_b".into(),
                prefix: "b_".into(),
                module: inverter("inv_reg", true),
            },
        ];
        let d = emit(&prefixed("top", &parts).unwrap()).unwrap();
        let names: Vec<&str> = d.ports.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["clk", "rst", "a_x", "a_y", "b_x", "b_y"]);
        assert_eq!(d.clock.as_deref(), Some("clk"));
        let top = &d.files.last().unwrap().text;
        assert!(top.contains("inv_reg u_b ("), "{top}");
    }

    #[test]
    fn combinational_parts_get_no_clock_and_empty_lists_are_refused() {
        let parts = [Part {
            instance: "u_a".into(),
            prefix: "a_".into(),
            module: inverter("inv_comb", false),
        }];
        let d = emit(&prefixed("top", &parts).unwrap()).unwrap();
        assert!(d.clock.is_none());
        assert_eq!(d.ports.len(), 2);
        let e = prefixed("top", &[]).unwrap_err().to_string();
        assert!(e.contains("parts"), "{e}");
    }

    #[test]
    fn clashing_prefixes_are_reported() {
        let part = Part {
            instance: "u_a".into(),
            prefix: "a_".into(),
            module: inverter("inv_comb", false),
        };
        let twice = [
            part.clone(),
            Part {
                instance: "u_b".into(),
                ..part
            },
        ];
        let e = prefixed("top", &twice).unwrap_err().to_string();
        assert!(e.contains("a_x"), "{e}");
    }
}
