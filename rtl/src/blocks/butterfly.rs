//! The sparse butterfly router: compaction of non-zero lanes, expansion, Benes permutation and
//! multicast (issue 6).
//!
//! This module holds the parameter struct ([`ButterflyParams`]) and the control algorithms the
//! generator needs:
//! - [`compact_rule`]: the closed-form control bits of the inverse butterfly that compacts the
//!   lanes selected by a mask, from prefix popcounts of the mask;
//! - [`benes`]: Benes routing of any permutation by the looping algorithm;
//! - [`multicast`]: routing of a destination list on a Benes network with SIGMA-style
//!   (two independent 2:1 muxes per 2x2 switch) switches;
//! - [`switch_model`]: a white-box switch-level simulator of these networks, used by tests to
//!   check the control bits (never by golden models);
//! - [`netlist`]: the generator ([`generate`], [`build`]);
//! - [`crossbar`]: the baselines, the plain crossbar ([`generate_crossbar`]) and compaction
//!   done with a crossbar ([`generate_crossbar_compact`]).
//!
//! All networks share one flat topology on N = 2^k wire positions: a stage with *pair bit* m has
//! N/2 2x2 switches; switch w joins the positions `lo` (w with a 0 inserted at bit m) and
//! `hi = lo | 1 << m`. There is no wiring permutation between stages.

pub mod benes;
pub mod compact_rule;
pub mod crossbar;
pub mod matrix;
pub mod multicast;
pub mod netlist;
pub mod switch_model;

pub use crossbar::{
    build_crossbar, build_crossbar_compact, generate_crossbar, generate_crossbar_compact,
};
pub use matrix::{matrix, MatrixSlot};
pub use netlist::{
    build, generate, multicast_config_bits, multicast_config_width, permute_config_bits,
    permute_config_width, GenError,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Smallest accepted lane count.
pub const MIN_LANES: usize = 2;
/// Largest accepted lane count.
pub const MAX_LANES: usize = 1024;
/// Largest accepted data width per lane: Verilator's default literal width limit (64K bits).
/// It keeps every bus of the networks (`lanes * width` bits and their slices) within the
/// IR's `u32` widths.
pub const MAX_WIDTH: usize = 65_536;

/// What the router computes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Gather the lanes selected by the mask, in order, onto lanes 0.. with their indices.
    #[default]
    Compact,
    /// Scatter a dense vector back onto the mask positions (inverse of compact).
    Expand,
    /// Apply a configured permutation (Benes network).
    Permute,
    /// Copy inputs to configured sets of outputs (Benes topology, broadcast switches).
    Multicast,
}

impl Mode {
    /// Every mode, in declaration order.
    pub const ALL: [Mode; 4] = [Mode::Compact, Mode::Expand, Mode::Permute, Mode::Multicast];

    /// The lowercase name used by `--set mode=...` and serde.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Compact => "compact",
            Mode::Expand => "expand",
            Mode::Permute => "permute",
            Mode::Multicast => "multicast",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = ParamError;
    fn from_str(s: &str) -> Result<Self, ParamError> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| ParamError::BadValue {
                key: "mode".into(),
                value: s.into(),
                accepted: "compact, expand, permute, multicast".into(),
            })
    }
}

/// Where the lane mask comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MaskSource {
    /// Mask bit i = lane i is non-zero (computed in hardware from `in_data`).
    #[default]
    Nonzero,
    /// Mask given on an `in_mask [N-1:0]` input port.
    External,
}

impl MaskSource {
    /// The lowercase name used by `--set mask=...` and serde.
    pub fn name(self) -> &'static str {
        match self {
            MaskSource::Nonzero => "nonzero",
            MaskSource::External => "external",
        }
    }
}

impl fmt::Display for MaskSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MaskSource {
    type Err = ParamError;
    fn from_str(s: &str) -> Result<Self, ParamError> {
        match s {
            "nonzero" => Ok(MaskSource::Nonzero),
            "external" => Ok(MaskSource::External),
            _ => Err(ParamError::BadValue {
                key: "mask".into(),
                value: s.into(),
                accepted: "nonzero, external".into(),
            }),
        }
    }
}

/// Parameters of the butterfly router generator.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ButterflyParams {
    /// Number of lanes N: a power of two in 2..=1024.
    pub lanes: usize,
    /// Data bits per lane D (>= 1).
    pub width: usize,
    /// What the network computes.
    pub mode: Mode,
    /// A pipeline register every `pipeline` switch stages; 0 = purely combinational.
    pub pipeline: usize,
    /// Where the lane mask comes from (compact and expand).
    pub mask: MaskSource,
    /// Output lanes per beat K_OUT (1..=N); fewer than N gives multi-beat output.
    pub out_lanes: usize,
}

impl Default for ButterflyParams {
    /// 16 lanes of 8 bits, compact, combinational, non-zero mask, all lanes out in one beat.
    fn default() -> Self {
        ButterflyParams {
            lanes: 16,
            width: 8,
            mode: Mode::Compact,
            pipeline: 0,
            mask: MaskSource::Nonzero,
            out_lanes: 16,
        }
    }
}

/// Keys accepted by [`ButterflyParams::set`].
pub const PARAM_KEYS: &str = "lanes, width, mode, pipeline, mask, out_lanes";

/// A bad butterfly parameter: names the parameter and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamError {
    /// `lanes` is not a power of two in range.
    #[error("lanes = {0} is not accepted: lanes must be a power of two from 2 to 1024")]
    Lanes(usize),
    /// `width` is zero.
    #[error("width = 0 is not accepted: width (data bits per lane) must be at least 1")]
    Width,
    /// `width` is above [`MAX_WIDTH`].
    #[error("width = {0} is not accepted: width (data bits per lane) must be at most {MAX_WIDTH}")]
    WidthAbove(usize),
    /// `out_lanes` is zero or above `lanes`.
    #[error(
        "out_lanes = {out_lanes} is not accepted: out_lanes must be from 1 to lanes = {lanes}"
    )]
    OutLanes {
        /// The value given.
        out_lanes: usize,
        /// The lane count it must not exceed.
        lanes: usize,
    },
    /// `pipeline` is larger than the number of switch stages.
    #[error(
        "pipeline = {pipeline} is not accepted: pipeline must be from 0 (combinational) to \
         {stages}, the number of switch stages for this mode and lane count"
    )]
    Pipeline {
        /// The value given.
        pipeline: usize,
        /// The number of switch stages.
        stages: usize,
    },
    /// Expand mode was asked to derive its mask from its (dense) input.
    #[error(
        "mask = nonzero is not accepted with mode = expand: the dense input does not say where \
         lanes go; use mask = external"
    )]
    ExpandNeedsExternalMask,
    /// `--set` got an unknown key.
    #[error("unknown butterfly parameter `{0}`: accepted keys are {PARAM_KEYS}")]
    UnknownKey(String),
    /// `--set` got a value that does not parse for its key.
    #[error(
        "butterfly parameter {key} = `{value}` does not parse: accepted values are {accepted}"
    )]
    BadValue {
        /// The key.
        key: String,
        /// The text given.
        value: String,
        /// What the key accepts.
        accepted: String,
    },
    /// `--set` got text without `=`.
    #[error("`{0}` is not of the form key=value (accepted keys are {PARAM_KEYS})")]
    NotKeyValue(String),
}

impl From<ParamError> for crate::error::ParamError {
    /// Maps a butterfly parameter error onto the shared one, keeping the parameter name and the
    /// accepted range in the message.
    fn from(e: ParamError) -> Self {
        use crate::error::ParamError as P;
        let msg = e.to_string();
        match e {
            ParamError::Lanes(n) => P::invalid("lanes", n, "a power of two from 2 to 1024"),
            ParamError::Width => P::invalid("width", 0, "at least 1 (data bits per lane)"),
            ParamError::WidthAbove(w) => P::invalid(
                "width",
                w,
                format!("at most {MAX_WIDTH} (data bits per lane)"),
            ),
            ParamError::OutLanes { out_lanes, lanes } => {
                P::invalid("out_lanes", out_lanes, format!("from 1 to lanes = {lanes}"))
            }
            ParamError::Pipeline { pipeline, stages } => P::invalid(
                "pipeline",
                pipeline,
                format!("from 0 (combinational) to {stages}, the number of switch stages"),
            ),
            ParamError::ExpandNeedsExternalMask => P::invalid(
                "mask",
                "nonzero",
                "external with mode = expand (the dense input does not say where lanes go)",
            ),
            ParamError::UnknownKey(key) => P::UnknownKey {
                key,
                accepted: PARAM_KEYS.into(),
            },
            ParamError::BadValue {
                key,
                value,
                accepted,
            } => P::invalid(&key, value, accepted),
            ParamError::NotKeyValue(pair) => P::invalid("--set", pair, msg),
        }
    }
}

impl From<ParamError> for crate::error::RtlError {
    fn from(e: ParamError) -> Self {
        crate::error::RtlError::Param(e.into())
    }
}

impl ButterflyParams {
    /// A combinational router (`pipeline = 0`) with every lane out in one beat
    /// (`out_lanes = lanes`). Not validated.
    pub fn combinational(mode: Mode, lanes: usize, width: usize, mask: MaskSource) -> Self {
        ButterflyParams {
            lanes,
            width,
            mode,
            mask,
            pipeline: 0,
            out_lanes: lanes,
        }
    }

    /// log2 of the lane count (valid once [`validate`](Self::validate) passed).
    pub fn log2_lanes(&self) -> usize {
        self.lanes.trailing_zeros() as usize
    }

    /// Number of 2x2 switch stages: log2 N for compact/expand, 2 log2 N - 1 for permute/multicast.
    pub fn stages(&self) -> usize {
        let k = self.log2_lanes();
        match self.mode {
            Mode::Compact | Mode::Expand => k,
            Mode::Permute | Mode::Multicast => 2 * k - 1,
        }
    }

    /// A module name carrying every parameter the design depends on, e.g.
    /// `butterfly_compact_nonzero_n64_d8_p2_k16`: the mask source only in compact (expand always
    /// reads `in_mask`, permute and multicast read none), `_k<out_lanes>` only for multi-beat
    /// output.
    pub fn module_name(&self) -> String {
        let mask = match self.mode {
            Mode::Compact => format!("_{}", self.mask),
            _ => String::new(),
        };
        let beats = if self.out_lanes < self.lanes {
            format!("_k{}", self.out_lanes)
        } else {
            String::new()
        };
        format!(
            "butterfly_{}{mask}_n{}_d{}_p{}{beats}",
            self.mode, self.lanes, self.width, self.pipeline
        )
    }

    /// Number of output beats needed for `count` selected lanes: ceil(count / K_OUT), at least 1.
    pub fn beats_for(&self, count: usize) -> usize {
        count.div_ceil(self.out_lanes.max(1)).max(1)
    }

    /// Check every parameter; the error names the first bad one and its accepted range.
    pub fn validate(&self) -> Result<(), ParamError> {
        if !(MIN_LANES..=MAX_LANES).contains(&self.lanes) || !self.lanes.is_power_of_two() {
            return Err(ParamError::Lanes(self.lanes));
        }
        if self.width == 0 {
            return Err(ParamError::Width);
        }
        if self.width > MAX_WIDTH {
            return Err(ParamError::WidthAbove(self.width));
        }
        if self.out_lanes == 0 || self.out_lanes > self.lanes {
            return Err(ParamError::OutLanes {
                out_lanes: self.out_lanes,
                lanes: self.lanes,
            });
        }
        if self.mode == Mode::Expand && self.mask == MaskSource::Nonzero {
            return Err(ParamError::ExpandNeedsExternalMask);
        }
        if self.pipeline > self.stages() {
            return Err(ParamError::Pipeline {
                pipeline: self.pipeline,
                stages: self.stages(),
            });
        }
        Ok(())
    }

    /// Set one parameter from text, as `--set key=value` does. Does not validate the whole
    /// struct (call [`validate`](Self::validate) after the last `set`).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ParamError> {
        let value = value.trim();
        let number = |accepted: &str| {
            value.parse::<usize>().map_err(|_| ParamError::BadValue {
                key: key.into(),
                value: value.into(),
                accepted: accepted.into(),
            })
        };
        match key.trim() {
            "lanes" => self.lanes = number("a power of two from 2 to 1024")?,
            "width" => self.width = number(&format!("an integer from 1 to {MAX_WIDTH}"))?,
            "pipeline" => self.pipeline = number("an integer >= 0 (0 = combinational)")?,
            "out_lanes" => self.out_lanes = number("an integer from 1 to lanes")?,
            "mode" => self.mode = value.parse()?,
            "mask" => self.mask = value.parse()?,
            other => return Err(ParamError::UnknownKey(other.into())),
        }
        Ok(())
    }

    /// Parameters from `key=value` settings applied to the defaults, validated. Two defaults
    /// follow other settings unless given: `out_lanes` follows `lanes` (one beat carries
    /// every lane) and `mask` is `external` in expand mode (the only source it accepts).
    pub fn from_sets(sets: &[(String, String)]) -> Result<ButterflyParams, ParamError> {
        let mut p = ButterflyParams::default();
        for (k, v) in sets {
            p.set(k, v)?;
        }
        let given = |key: &str| sets.iter().any(|(k, _)| k.trim() == key);
        if !given("out_lanes") {
            p.out_lanes = p.lanes;
        }
        if !given("mask") && p.mode == Mode::Expand {
            p.mask = MaskSource::External;
        }
        p.validate()?;
        Ok(p)
    }

    /// Parse `key=value` and [`set`](Self::set) it.
    pub fn set_pair(&mut self, pair: &str) -> Result<(), ParamError> {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| ParamError::NotKeyValue(pair.into()))?;
        self.set(k, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        ButterflyParams::default().validate().unwrap();
    }

    #[test]
    fn bad_values_name_the_parameter() {
        let mut p = ButterflyParams {
            lanes: 12,
            ..Default::default()
        };
        assert!(p.validate().unwrap_err().to_string().contains("lanes = 12"));
        p.lanes = 2048;
        assert_eq!(p.validate(), Err(ParamError::Lanes(2048)));
        p.lanes = 8;
        p.out_lanes = 9;
        assert!(p.validate().unwrap_err().to_string().contains("out_lanes"));
        p.out_lanes = 8;
        p.width = 0;
        assert_eq!(p.validate(), Err(ParamError::Width));
        p.width = MAX_WIDTH + 1;
        assert_eq!(p.validate(), Err(ParamError::WidthAbove(MAX_WIDTH + 1)));
        p.width = 1;
        p.pipeline = 4;
        assert!(matches!(
            p.validate(),
            Err(ParamError::Pipeline { stages: 3, .. })
        ));
        p.mode = Mode::Permute;
        p.validate().unwrap();
    }

    #[test]
    fn set_parses_and_reports() {
        let mut p = ButterflyParams::default();
        p.set_pair("lanes=64").unwrap();
        p.set("mode", "permute").unwrap();
        p.set("mask", "external").unwrap();
        assert_eq!(
            (p.lanes, p.mode, p.mask),
            (64, Mode::Permute, MaskSource::External)
        );
        let e = p.set("colour", "3").unwrap_err().to_string();
        assert!(e.contains("lanes, width, mode"), "{e}");
        let e = p.set("mode", "gather").unwrap_err().to_string();
        assert!(e.contains("compact, expand, permute, multicast"), "{e}");
        assert!(p.set("width", "x").is_err());
        assert!(p.set_pair("width").is_err());
    }

    #[test]
    fn settings_give_following_defaults_unless_set() {
        let from = |pairs: &[(&str, &str)]| {
            ButterflyParams::from_sets(&crate::blocks::registry::sets(pairs))
        };
        let p = from(&[("lanes", "64")]).unwrap();
        assert_eq!((p.out_lanes, p.mask), (64, MaskSource::Nonzero));
        let p = from(&[("out_lanes", "8"), ("lanes", "64")]).unwrap();
        assert_eq!(p.out_lanes, 8);
        let p = from(&[("mode", "expand")]).unwrap();
        assert_eq!(p.mask, MaskSource::External);
        // A mask that is set stays set, and expand still refuses nonzero.
        let e = from(&[("mode", "expand"), ("mask", "nonzero")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("expand") && e.contains("mask = external"), "{e}");
        let e = from(&[("lanes", "8"), ("out_lanes", "16")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("out_lanes = 16"), "{e}");
    }

    #[test]
    fn module_names_carry_the_parameters_the_design_reads() {
        let p = ButterflyParams {
            lanes: 64,
            out_lanes: 16,
            pipeline: 2,
            ..Default::default()
        };
        assert_eq!(p.module_name(), "butterfly_compact_nonzero_n64_d8_p2_k16");
        let q = ButterflyParams {
            mode: Mode::Permute,
            mask: MaskSource::External,
            ..Default::default()
        };
        assert_eq!(q.module_name(), "butterfly_permute_n16_d8_p0");
        let r = ButterflyParams {
            mode: Mode::Expand,
            mask: MaskSource::External,
            width: 1,
            ..Default::default()
        };
        assert_eq!(r.module_name(), "butterfly_expand_n16_d1_p0");
    }

    #[test]
    fn serde_round_trip() {
        let p = ButterflyParams {
            mode: Mode::Expand,
            ..Default::default()
        };
        let s = serde_json::to_string(&p).unwrap();
        assert!(s.contains("\"expand\""));
        let q: ButterflyParams = serde_json::from_str(&s).unwrap();
        assert_eq!(p, q);
        let r: ButterflyParams = serde_json::from_str(r#"{"lanes": 4}"#).unwrap();
        assert_eq!(r.lanes, 4);
    }
}
