//! A wrapper top holding many router configurations, so one lint run or one Verilated model
//! covers a whole test matrix (built on [`crate::wrap::prefixed`]).
//!
//! Each configuration is one module named by [`ButterflyParams::module_name`]
//! (`butterfly_<tag>`), instantiated once as `u_<tag>`, with its ports brought out as
//! `<tag>_<port>` (e.g. `permute_n64_d16_p0_cfg_data`); `clk` and `rst` are shared.

use super::netlist::{build, GenError};
use super::ButterflyParams;
use crate::error::{ParamError, RtlError};
use crate::ir::Module;
use crate::wrap::{prefixed, Part};
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Where one configuration of a [`matrix`] wrapper sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixSlot {
    /// The configuration.
    pub params: ButterflyParams,
    /// Its module name ([`ButterflyParams::module_name`]).
    pub module: String,
    /// Its instance name in the wrapper (`u_<tag>`).
    pub instance: String,
    /// The prefix of its ports on the wrapper (`<tag>_`): its `in_data` is `<prefix>in_data`.
    pub prefix: String,
}

impl MatrixSlot {
    /// The wrapper port name of this configuration's `port`.
    pub fn port(&self, port: &str) -> String {
        format!("{}{port}", self.prefix)
    }
}

/// A wrapper top named `top` instantiating every configuration once (configurations with the
/// same module name are one design and are kept once, in first-seen order), and where each
/// one sits. Every configuration is validated; the first bad one is the error.
pub fn matrix(
    configs: &[ButterflyParams],
    top: &str,
) -> Result<(Rc<Module>, Vec<MatrixSlot>), GenError> {
    let mut slots: Vec<MatrixSlot> = Vec::new();
    let mut parts = Vec::new();
    for p in configs {
        let module = p.module_name();
        if slots.iter().any(|s| s.module == module) {
            continue;
        }
        let tag = module.trim_start_matches("butterfly_").to_string();
        let slot = MatrixSlot {
            params: p.clone(),
            instance: format!("u_{tag}"),
            prefix: format!("{tag}_"),
            module,
        };
        parts.push(Part {
            instance: slot.instance.clone(),
            prefix: slot.prefix.clone(),
            module: build(p, &slot.module)?,
        });
        slots.push(slot);
    }
    if slots.is_empty() {
        return Err(GenError::Rtl(RtlError::Param(ParamError::invalid(
            "configs",
            0,
            "at least one butterfly configuration",
        ))));
    }
    Ok((prefixed(top, &parts)?, slots))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::butterfly::{MaskSource, Mode};
    use crate::emit::emit;

    #[test]
    fn slots_are_named_from_the_parameters_and_deduplicated() {
        let compact = ButterflyParams {
            lanes: 4,
            width: 2,
            out_lanes: 2,
            ..Default::default()
        };
        let permute = ButterflyParams {
            mode: Mode::Permute,
            out_lanes: 4,
            ..compact.clone()
        };
        // The mask source is not read by permute: the same design.
        let permute_ext = ButterflyParams {
            mask: MaskSource::External,
            ..permute.clone()
        };
        let (m, slots) = matrix(&[compact, permute, permute_ext], "bfly_tb").unwrap();
        let names: Vec<&str> = slots.iter().map(|s| s.module.as_str()).collect();
        assert_eq!(
            names,
            [
                "butterfly_compact_nonzero_n4_d2_p0_k2",
                "butterfly_permute_n4_d2_p0"
            ]
        );
        assert_eq!(slots[1].port("cfg_we"), "permute_n4_d2_p0_cfg_we");
        let d = emit(&m).unwrap();
        for s in &slots {
            assert!(d.ports.iter().any(|p| p.name == s.port("out_data")));
            assert!(d.files.iter().any(|f| f.module == s.module));
        }
        assert!(d.ports.iter().filter(|p| p.name == "clk").count() == 1);
    }

    #[test]
    fn bad_configurations_and_empty_lists_are_errors() {
        let bad = ButterflyParams {
            lanes: 12,
            ..Default::default()
        };
        assert!(matches!(
            matrix(&[bad], "t"),
            Err(GenError::Param(super::super::ParamError::Lanes(12)))
        ));
        assert!(matrix(&[], "t").is_err());
    }
}
