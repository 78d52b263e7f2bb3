//! The designs `nicc gen` knows by name, each with its `--set key=value` parameters.

use crate::design::Design;
use crate::error::{ParamError, RtlError};
use crate::ir::Module;
use std::rc::Rc;

/// `key=value` settings from the command line, in order.
pub type Settings = [(String, String)];

/// A generator entry point: settings in, finished top module out.
pub type BuildFn = fn(&Settings) -> Result<Rc<Module>, RtlError>;

/// One named design: what it is and how to build it from `key=value` settings.
pub struct Entry {
    /// Name on the command line (`nicc gen <name>`).
    pub name: &'static str,
    /// One line for `--help` and error messages.
    pub about: &'static str,
    /// Builds the top module from the settings (unknown keys and bad values are errors).
    pub build: BuildFn,
    /// A behavioural reference with the same ports (for `nicc equiv`), if the design has one.
    pub reference: Option<BuildFn>,
}

/// Parameters of the demonstration designs: `width` and `depth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoParams {
    /// Data width in bits (default 8).
    pub width: u32,
    /// Memory depth in words (default 16).
    pub depth: u64,
}

impl Default for DemoParams {
    fn default() -> Self {
        DemoParams {
            width: 8,
            depth: 16,
        }
    }
}

/// Parses an unsigned integer setting, naming the key on failure.
pub fn parse_num<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ParamError> {
    value
        .trim()
        .parse()
        .map_err(|_| ParamError::invalid(key, value, "an unsigned integer"))
}

impl DemoParams {
    /// Applies `key=value` settings (`width` and `depth`).
    pub fn from_sets(sets: &[(String, String)]) -> Result<DemoParams, ParamError> {
        Self::from_sets_of(sets, &["width", "depth"])
    }

    /// Applies `key=value` settings of the keys a design reads, `accepted` (`width`, `depth`,
    /// or none): any other key is [`ParamError::UnknownKey`], not silently ignored.
    pub fn from_sets_of(
        sets: &[(String, String)],
        accepted: &[&str],
    ) -> Result<DemoParams, ParamError> {
        let mut p = DemoParams::default();
        for (k, v) in sets {
            match k.as_str() {
                "width" if accepted.contains(&"width") => p.width = parse_num(k, v)?,
                "depth" if accepted.contains(&"depth") => p.depth = parse_num(k, v)?,
                _ => {
                    return Err(ParamError::UnknownKey {
                        key: k.clone(),
                        accepted: if accepted.is_empty() {
                            "none (the design has no parameters)".into()
                        } else {
                            accepted.join(", ")
                        },
                    })
                }
            }
        }
        Ok(p)
    }
}

/// [`DemoParams`] of a design that reads only `width`.
fn width_of(sets: &[(String, String)]) -> Result<u32, ParamError> {
    Ok(DemoParams::from_sets_of(sets, &["width"])?.width)
}

/// Every design `nicc gen` accepts.
pub fn entries() -> Vec<Entry> {
    use super::demo;
    vec![
        Entry {
            name: "counter",
            about: "up-counter with enable and wrap flag (width)",
            build: |s| demo::counter(width_of(s)?),
            reference: None,
        },
        Entry {
            name: "reg-adder",
            about: "registered signed adder (width)",
            build: |s| demo::reg_adder(width_of(s)?),
            reference: None,
        },
        Entry {
            name: "switch2x2",
            about: "2x2 crossbar switch (width)",
            build: |s| demo::switch2x2(width_of(s)?),
            reference: None,
        },
        Entry {
            name: "memory",
            about: "memory with one write and two read ports (depth, width)",
            build: |s| {
                let p = DemoParams::from_sets(s)?;
                demo::small_memory(p.depth, p.width)
            },
            reference: None,
        },
        Entry {
            name: "hier-sum4",
            about: "two-level hierarchy summing four inputs (width)",
            build: |s| demo::hier_sum4(width_of(s)?),
            reference: Some(|s| demo::hier_sum4_reference(width_of(s)?)),
        },
        Entry {
            name: "signed-mix",
            about: "signed multiply, shift, compare and extension (width)",
            build: |s| demo::signed_mix(width_of(s)?),
            reference: None,
        },
        Entry {
            name: "keywords",
            about: "ports named after Verilog keywords (no parameters)",
            build: |s| {
                DemoParams::from_sets_of(s, &[])?;
                demo::keywords()
            },
            reference: None,
        },
        Entry {
            name: "adder-tree",
            about: "adder tree: inputs, width, signed, style, final_adder, pipeline, out_width",
            build: |s| {
                let p = super::adder_tree::AdderTreeParams::from_sets(s)?;
                super::adder_tree::generate(&p, "adder_tree")
            },
            reference: Some(|s| {
                let p = super::adder_tree::AdderTreeParams::from_sets(s)?;
                if p.pipeline > 0 {
                    return Err(ParamError::invalid(
                        "pipeline",
                        p.pipeline,
                        "0 for `nicc equiv` (the reference is combinational)",
                    )
                    .into());
                }
                super::adder_tree::reference(&p)
            }),
        },
        Entry {
            name: "adder-tree-baseline",
            about: "flat behavioural sum with input and output registers (the QoR baseline)",
            build: |s| {
                let p = super::adder_tree::AdderTreeParams::from_sets(s)?;
                super::adder_tree::baseline(&p)
            },
            reference: None,
        },
        Entry {
            name: "cim",
            about: "digital CIM macro: rows, cols, wbits, xbits, x_signed, banks, tree, final_adder, tree_pipeline, row_block, col_group",
            build: |s| super::cim::generate(&super::cim::CimParams::from_sets(s)?, "cim"),
            reference: None,
        },
        Entry {
            name: "butterfly",
            about: "sparse butterfly router (lanes, width, mode, pipeline, mask, out_lanes; \
                    mode = crossbar and crossbar-compact build the two crossbar baselines)",
            build: |s| {
                let baseline = s
                    .iter()
                    .find(|(k, v)| k == "mode" && (v == "crossbar" || v == "crossbar-compact"));
                if let Some((_, v)) = baseline {
                    let rest: Vec<(String, String)> =
                        s.iter().filter(|(k, _)| k != "mode").cloned().collect();
                    return match v.as_str() {
                        "crossbar" => crossbar_from_sets(&rest),
                        _ => crossbar_compact_from_sets(&rest),
                    };
                }
                let p = super::butterfly::ButterflyParams::from_sets(s)?;
                Ok(super::butterfly::build(&p, "butterfly")?)
            },
            reference: None,
        },
        Entry {
            name: "packet-engine",
            about:
                "DPU packet engine (data_bytes, min_len, max_len, em_size, indirection_size, ...)",
            build: super::packet_engine::from_sets,
            reference: None,
        },
        Entry {
            name: "sparse-ffn",
            about: "sparse FFN tile: butterfly routers + CIM macros (rows, cols, col_group, \
                    cim_rows, banks; weights and need masks are loaded at run time)",
            build: |s| {
                let p = super::sparse_ffn::SparseFfnParams::from_sets(s)?;
                super::sparse_ffn::generate(&p, "sparse_ffn")
            },
            reference: None,
        },
        Entry {
            name: "sparse-ffn-dense",
            about: "the sparse FFN tile's dense baseline, the CIM macro alone (same parameters)",
            build: |s| {
                let p = super::sparse_ffn::SparseFfnParams::from_sets(s)?;
                super::sparse_ffn::generate_dense(&p, "dense_ffn")
            },
            reference: None,
        },
        Entry {
            name: "crossbar",
            about: "plain N x N crossbar baseline, out_j = v[sel_j] (lanes, width)",
            build: crossbar_from_sets,
            reference: None,
        },
        Entry {
            name: "crossbar-compact",
            about: "compaction done with a crossbar: prefix popcount, decoders, AND-OR \
                    crossbar; the compact router's ports (lanes, width, mask)",
            build: crossbar_compact_from_sets,
            reference: None,
        },
    ]
}

/// The parameters of a crossbar baseline: [`ButterflyParams`](super::butterfly::ButterflyParams)
/// from the settings, which may use only the keys `accepted` (the others change nothing in a
/// crossbar).
fn baseline_params(
    s: &[(String, String)],
    accepted: &[&str],
) -> Result<super::butterfly::ButterflyParams, RtlError> {
    if let Some((k, _)) = s.iter().find(|(k, _)| !accepted.contains(&k.trim())) {
        return Err(ParamError::UnknownKey {
            key: k.clone(),
            accepted: accepted.join(", "),
        }
        .into());
    }
    Ok(super::butterfly::ButterflyParams::from_sets(s)?)
}

/// The compaction crossbar (`crossbar-compact`, or `butterfly` with `mode =
/// crossbar-compact`) from `lanes`, `width` and `mask` settings.
fn crossbar_compact_from_sets(s: &[(String, String)]) -> Result<Rc<Module>, RtlError> {
    let p = baseline_params(s, &["lanes", "width", "mask"])?;
    Ok(super::butterfly::build_crossbar_compact(
        &p,
        "crossbar_compact",
    )?)
}

/// The crossbar baseline from `lanes` and `width` settings (also `butterfly` with
/// `mode = crossbar`, so one sweep over `mode` puts the networks and the baseline side by side).
fn crossbar_from_sets(s: &[(String, String)]) -> Result<Rc<Module>, RtlError> {
    let p = baseline_params(s, &["lanes", "width"])?;
    Ok(super::butterfly::build_crossbar(
        p.lanes, p.width, "crossbar",
    )?)
}

/// Names of every design, comma-separated (for error messages).
pub fn names() -> String {
    entries()
        .iter()
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Errors of [`generate`].
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The design name is not known.
    #[error("unknown design `{name}`; accepted: {accepted}")]
    UnknownDesign {
        /// The given name.
        name: String,
        /// Every accepted name.
        accepted: String,
    },
    /// `--top` asked for a name the design cannot take.
    #[error("--top `{name}` cannot be used: {reason}")]
    BadTop {
        /// The requested top module name.
        name: String,
        /// Why, and what to use instead.
        reason: String,
    },
    /// The generator or the emitter failed.
    #[error(transparent)]
    Rtl(#[from] RtlError),
}

/// Looks a design up by name.
pub fn entry(name: &str) -> Result<Entry, GenError> {
    entries()
        .into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| GenError::UnknownDesign {
            name: name.to_string(),
            accepted: names(),
        })
}

/// Builds design `name` with `sets` and emits it; `top` renames the top module.
pub fn generate(
    name: &str,
    sets: &[(String, String)],
    top: Option<&str>,
) -> Result<Design, GenError> {
    let entry = entry(name)?;
    let m = (entry.build)(sets)?;
    let m = match top {
        Some(t) => {
            check_top_name(&m, t)?;
            crate::emit::renamed(&m, t)
        }
        None => m,
    };
    Ok(crate::emit::emit(&m)?)
}

/// A top name must be a plain Verilog identifier (not escaped: the user instantiates it by
/// this name) and must not be the name of one of the design's submodules.
fn check_top_name(m: &Rc<Module>, top: &str) -> Result<(), GenError> {
    let bad = |reason: String| GenError::BadTop {
        name: top.to_string(),
        reason,
    };
    let escaped = crate::names::escape(top);
    if escaped != top {
        let what = if crate::names::is_keyword(top) {
            "it is a Verilog or SystemVerilog keyword"
        } else {
            "it is not a Verilog identifier (letters, digits and `_`, not starting with a digit)"
        };
        return Err(bad(format!("{what}; `{escaped}` would be")));
    }
    let below = Module::hierarchy(m);
    // Post-order: the top module itself is the last entry.
    if below[..below.len() - 1].iter().any(|s| s.name == top) {
        return Err(bad(format!(
            "the design already has a submodule named `{top}`; pick another name"
        )));
    }
    Ok(())
}

/// Owned `key=value` settings from string pairs (for the blocks' unit tests).
#[cfg(test)]
pub(crate) fn sets(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> Entry {
        entries().into_iter().find(|e| e.name == name).unwrap()
    }

    /// The error message of building `name` with `pairs` (which must fail).
    fn err(name: &str, pairs: &[(&str, &str)]) -> String {
        match (entry(name).build)(&sets(pairs)) {
            Ok(m) => panic!("{name} with {pairs:?} built `{}`", m.name),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn butterfly_and_crossbar_build() {
        let m = (entry("butterfly").build)(&sets(&[("lanes", "8"), ("mode", "compact")])).unwrap();
        assert_eq!(m.name, "butterfly");
        let m = (entry("crossbar").build)(&sets(&[("lanes", "8"), ("width", "4")])).unwrap();
        assert_eq!(m.name, "crossbar");
        let m = (entry("butterfly").build)(&sets(&[("lanes", "8"), ("mode", "crossbar")])).unwrap();
        assert_eq!(m.name, "crossbar");
        let e = err("butterfly", &[("mode", "crossbar"), ("mask", "external")]);
        assert!(e.contains("mask") && e.contains("lanes, width"), "{e}");
        let m = (entry("crossbar-compact").build)(&sets(&[("lanes", "8"), ("mask", "external")]))
            .unwrap();
        assert_eq!(m.name, "crossbar_compact");
        assert!(m.port("in_mask").is_some() && m.port("out_index").is_some());
        let m = (entry("butterfly").build)(&sets(&[("lanes", "4"), ("mode", "crossbar-compact")]))
            .unwrap();
        assert_eq!(m.name, "crossbar_compact");
        let e = err("crossbar-compact", &[("pipeline", "1")]);
        assert!(
            e.contains("pipeline") && e.contains("lanes, width, mask"),
            "{e}"
        );
        let e = err("crossbar-compact", &[("lanes", "12")]);
        assert!(e.contains("lanes") && e.contains("power of two"), "{e}");
    }

    #[test]
    fn sparse_ffn_tile_and_its_dense_baseline_build() {
        let s = sets(&[
            ("rows", "8"),
            ("cols", "2"),
            ("cim_rows", "4"),
            ("banks", "2"),
        ]);
        let m = (entry("sparse-ffn").build)(&s).unwrap();
        assert_eq!(m.name, "sparse_ffn");
        assert!(m.port("in_x").is_some());
        let m = (entry("sparse-ffn-dense").build)(&s).unwrap();
        assert_eq!(m.name, "dense_ffn");
        let e = err("sparse-ffn", &[("rows", "12")]);
        assert!(e.contains("rows") && e.contains("power of two"), "{e}");
        let e = err("sparse-ffn-dense", &[("depth", "3")]);
        assert!(e.contains("depth") && e.contains("cim_rows"), "{e}");
    }

    #[test]
    fn butterfly_errors_name_parameter_and_range() {
        let e = err("butterfly", &[("lanes", "6")]);
        assert!(
            e.contains("lanes") && e.contains("power of two from 2 to 1024"),
            "{e}"
        );
        let e = err("butterfly", &[("colour", "red")]);
        assert!(e.contains("colour") && e.contains("out_lanes"), "{e}");
        let e = err("crossbar", &[("lanes", "3")]);
        assert!(e.contains("lanes") && e.contains("power of two"), "{e}");
    }

    #[test]
    fn top_renames_only_to_a_free_plain_identifier() {
        let d = generate("hier-sum4", &sets(&[("width", "4")]), Some("my_sum")).unwrap();
        assert_eq!(d.top, "my_sum");
        assert!(d.files.iter().any(|f| f.text.contains("module my_sum (")));
        let sub = generate("hier-sum4", &sets(&[("width", "4")]), None).unwrap();
        let sub = sub
            .files
            .iter()
            .map(|f| f.module.clone())
            .find(|n| *n != sub.top)
            .expect("hier-sum4 has a submodule");
        for (top, why) in [
            ("module", "keyword"),
            ("logic", "keyword"),
            ("1abc", "not a Verilog identifier"),
            ("a.b", "not a Verilog identifier"),
            ("", "not a Verilog identifier"),
            (sub.as_str(), "already has a submodule"),
        ] {
            let e = generate("hier-sum4", &sets(&[("width", "4")]), Some(top))
                .map(|d| d.top)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!("--top `{top}`")) && e.contains(why),
                "{top}: {e}"
            );
        }
    }
}
