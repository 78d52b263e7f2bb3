//! Parameters of the DPU packet engine (issue 7): the build-time shape of the block and the
//! reset values of its run-time configuration. The generator and the golden model
//! (`nicc_testbench::packet`) both read this struct; nothing else is shared between them.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The RSS key of Microsoft's RSS verification suite, the default reset value of the key.
pub const DEFAULT_RSS_KEY_HEX: &str =
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa";

/// Default parse depth: headers must end within the first 192 bytes of a frame.
pub const DEFAULT_PARSE_DEPTH: u32 = 192;

/// Cycles from a frame's `tlast` to its metadata leaving the engine, besides the IPv6
/// extension-header stages and the checksum pass's re-read (measured 25 cycles for a
/// 64-byte frame at data_bytes 8 and 18 at 64, both with `ipv6_ext_max` 4; this bound
/// leaves 3 cycles to spare). Sizes [`PacketParams::meta_fifo_depth`].
pub const META_LATENCY_BASE: u32 = 16;

fn default_parse_depth() -> u32 {
    DEFAULT_PARSE_DEPTH
}

/// Largest frame the engine accepts as `max_len` (jumbo frames).
pub const MAX_FRAME_LEN: u32 = 9216;

/// What the engine does with a frame that shows a given problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Drop the frame (verdict `drop:<reason>`) and count it under the reason.
    Drop,
    /// Pass the frame with the flag set in its metadata.
    Flag,
}

/// Drop-or-flag policy per reason. The names are the reason names of the metadata verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DropPolicies {
    /// `tuser[0]` set on `tlast` (bad frame from the MAC). Default: drop.
    pub mac_bad: Policy,
    /// `tkeep` all zero on `tlast` or not contiguous. Default: drop.
    pub tkeep: Policy,
    /// Frame shorter than `min_len`. Default: drop.
    pub runt: Policy,
    /// Frame longer than `max_len`. Default: drop.
    pub oversize: Policy,
    /// Frame ends inside a header. Default: flag.
    pub trunc: Policy,
    /// Inconsistent header fields (IHL, version, lengths). Default: flag.
    pub malformed: Policy,
    /// IPv4 header checksum wrong. Default: flag.
    pub l3_csum: Policy,
    /// UDP/TCP checksum wrong. Default: flag.
    pub l4_csum: Policy,
    /// RoCEv2 ICRC wrong. Default: drop (issue 7).
    pub icrc: Policy,
    /// RoCEv2 BTH TVer not 0. Default: drop.
    pub roce_tver: Policy,
}

impl Default for DropPolicies {
    fn default() -> Self {
        DropPolicies {
            mac_bad: Policy::Drop,
            tkeep: Policy::Drop,
            runt: Policy::Drop,
            oversize: Policy::Drop,
            trunc: Policy::Flag,
            malformed: Policy::Flag,
            l3_csum: Policy::Flag,
            l4_csum: Policy::Flag,
            icrc: Policy::Drop,
            roce_tver: Policy::Drop,
        }
    }
}

impl DropPolicies {
    /// Reason names in verdict priority order (the first reason whose policy is drop wins).
    pub const REASONS: [&'static str; 10] = [
        "mac_bad",
        "tkeep",
        "runt",
        "oversize",
        "trunc",
        "malformed",
        "l3_csum",
        "l4_csum",
        "icrc",
        "roce_tver",
    ];

    /// Policy of the reason named `name` (one of [`DropPolicies::REASONS`]).
    pub fn get(&self, name: &str) -> Option<Policy> {
        self.slot(name).copied()
    }

    fn slot(&self, name: &str) -> Option<&Policy> {
        Some(match name {
            "mac_bad" => &self.mac_bad,
            "tkeep" => &self.tkeep,
            "runt" => &self.runt,
            "oversize" => &self.oversize,
            "trunc" => &self.trunc,
            "malformed" => &self.malformed,
            "l3_csum" => &self.l3_csum,
            "l4_csum" => &self.l4_csum,
            "icrc" => &self.icrc,
            "roce_tver" => &self.roce_tver,
            _ => return None,
        })
    }

    fn slot_mut(&mut self, name: &str) -> Option<&mut Policy> {
        Some(match name {
            "mac_bad" => &mut self.mac_bad,
            "tkeep" => &mut self.tkeep,
            "runt" => &mut self.runt,
            "oversize" => &mut self.oversize,
            "trunc" => &mut self.trunc,
            "malformed" => &mut self.malformed,
            "l3_csum" => &mut self.l3_csum,
            "l4_csum" => &mut self.l4_csum,
            "icrc" => &mut self.icrc,
            "roce_tver" => &mut self.roce_tver,
            _ => return None,
        })
    }
}

/// Parameters of the packet engine. `Default` gives the defaults of issue 7.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketParams {
    /// Bytes per AXI-Stream beat: a power of two in 8..=64 (8 = 64-bit, 64 = 512-bit).
    pub data_bytes: u32,
    /// Reset value of the minimum frame length; shorter frames are runts. Default 60.
    pub min_len: u32,
    /// Reset value of the maximum frame length; longer frames are oversize. Default 1518, at most 9216.
    pub max_len: u32,
    /// Reset value of the RoCEv2 UDP destination port. Default 4791.
    pub roce_udp_port: u16,
    /// Reset value of the 40-byte RSS key as 80 hex digits.
    pub rss_key: String,
    /// Entries of the RSS indirection table: a power of two in 1..=1024. Default 128.
    pub indirection_size: u32,
    /// Width of `tdest` (queue number) in bits, 1..=16. Default 8.
    pub queue_bits: u32,
    /// Reset value of the number of queues used to fill the indirection table
    /// (`entry i = i % rss_queues`), 1..=2^queue_bits. Default 8.
    pub rss_queues: u32,
    /// Entries of the exact-match steering table, 0..=256. Default 16.
    pub em_size: u32,
    /// Most IPv6 extension headers skipped before giving up on L4, 0..=8. Default 4.
    pub ipv6_ext_max: u32,
    /// Reset values of the drop-or-flag policies.
    pub policies: DropPolicies,
    /// Parse depth in bytes: headers ending beyond it are not parsed (flag `parse_depth`);
    /// the size of the engine's header window. A multiple of 64 in 64..=1024. Default 192.
    #[serde(default = "default_parse_depth")]
    pub parse_depth: u32,
    /// Entries of the metadata FIFO and of the FIFOs beside it (checksum-pass work list,
    /// results, egress): how many frames may be between `tlast` in and the metadata out.
    /// A power of two in 8..=128; `None` (`--set meta_depth=auto`, the default) sizes it
    /// for back-to-back 64-byte frames, see [`PacketParams::meta_fifo_depth`].
    #[serde(default)]
    pub meta_depth: Option<u32>,
}

impl Default for PacketParams {
    fn default() -> Self {
        PacketParams {
            data_bytes: 8,
            min_len: 60,
            max_len: 1518,
            roce_udp_port: 4791,
            rss_key: DEFAULT_RSS_KEY_HEX.to_string(),
            indirection_size: 128,
            queue_bits: 8,
            rss_queues: 8,
            em_size: 16,
            ipv6_ext_max: 4,
            policies: DropPolicies::default(),
            parse_depth: DEFAULT_PARSE_DEPTH,
            meta_depth: None,
        }
    }
}

/// A parameter value that is out of range, malformed, or a key that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamError {
    /// A parameter holds a value outside its range.
    #[error("packet parameter `{key}` = {value} is invalid: {reason}")]
    Invalid {
        /// Parameter name.
        key: String,
        /// The value given.
        value: String,
        /// What is accepted.
        reason: String,
    },
    /// `set` got a key that is not a parameter.
    #[error("unknown packet parameter `{key}`; accepted keys: {accepted}")]
    UnknownKey {
        /// The key given.
        key: String,
        /// Comma-separated list of accepted keys.
        accepted: String,
    },
}

fn invalid(key: &str, value: impl ToString, reason: impl ToString) -> ParamError {
    ParamError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// Parses 80 hex digits into the 40-byte RSS key.
pub fn parse_rss_key(text: &str) -> Result<[u8; 40], ParamError> {
    let bytes = hex::decode(text.trim()).map_err(|e| {
        invalid(
            "rss_key",
            text,
            format!("not hex ({e}); give 80 hex digits"),
        )
    })?;
    <[u8; 40]>::try_from(bytes.as_slice())
        .map_err(|_| invalid("rss_key", text, "must be exactly 40 bytes (80 hex digits)"))
}

impl PacketParams {
    /// Entries of the metadata FIFO: [`PacketParams::meta_depth`] when given, otherwise
    /// enough for back-to-back 64-byte frames at one beat per cycle.
    ///
    /// A frame holds an entry from its `tlast` until its metadata leaves, at most
    /// [`META_LATENCY_BASE`] + `ipv6_ext_max` cycles plus the checksum pass's re-read of its
    /// `b = ceil(64 / data_bytes)` beats; back to back, one frame arrives every `b` cycles.
    /// The input stops 3 entries before full (registered `tready`), hence
    /// `next_power_of_two(ceil(latency / b) + 4)`: 8 at data_bytes 8, 16 at 16 and 32,
    /// 32 at 64.
    pub fn meta_fifo_depth(&self) -> u32 {
        self.meta_depth.unwrap_or_else(|| {
            let b = 64u32.div_ceil(self.data_bytes);
            let latency = META_LATENCY_BASE + self.ipv6_ext_max + b;
            (latency.div_ceil(b) + 4).next_power_of_two()
        })
    }

    /// Keys accepted by [`PacketParams::set`] (`drop_<reason>` takes `drop` or `flag`).
    pub fn accepted_keys() -> Vec<String> {
        let mut keys: Vec<String> = [
            "data_bytes",
            "min_len",
            "max_len",
            "roce_udp_port",
            "rss_key",
            "indirection_size",
            "queue_bits",
            "rss_queues",
            "em_size",
            "ipv6_ext_max",
            "parse_depth",
            "meta_depth",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        keys.extend(DropPolicies::REASONS.iter().map(|r| format!("drop_{r}")));
        keys
    }

    /// Checks every range; the error names the parameter and what is accepted.
    pub fn validate(&self) -> Result<(), ParamError> {
        let d = self.data_bytes;
        if !(8..=64).contains(&d) || !d.is_power_of_two() {
            return Err(invalid("data_bytes", d, "a power of two in 8..=64"));
        }
        if self.max_len > MAX_FRAME_LEN || self.max_len < 14 {
            return Err(invalid("max_len", self.max_len, "14..=9216"));
        }
        if self.min_len > self.max_len {
            return Err(invalid(
                "min_len",
                self.min_len,
                format!("at most max_len = {}", self.max_len),
            ));
        }
        parse_rss_key(&self.rss_key)?;
        let n = self.indirection_size;
        if !(1..=1024).contains(&n) || !n.is_power_of_two() {
            return Err(invalid("indirection_size", n, "a power of two in 1..=1024"));
        }
        if !(1..=16).contains(&self.queue_bits) {
            return Err(invalid("queue_bits", self.queue_bits, "1..=16"));
        }
        if self.rss_queues == 0 || self.rss_queues > (1u32 << self.queue_bits) {
            return Err(invalid(
                "rss_queues",
                self.rss_queues,
                format!("1..=2^queue_bits = {}", 1u64 << self.queue_bits),
            ));
        }
        if self.em_size > 256 {
            return Err(invalid("em_size", self.em_size, "0..=256"));
        }
        if self.ipv6_ext_max > 8 {
            return Err(invalid("ipv6_ext_max", self.ipv6_ext_max, "0..=8"));
        }
        let pd = self.parse_depth;
        if !(64..=1024).contains(&pd) || !pd.is_multiple_of(64) {
            return Err(invalid("parse_depth", pd, "a multiple of 64 in 64..=1024"));
        }
        if let Some(n) = self.meta_depth {
            if !(8..=128).contains(&n) || !n.is_power_of_two() {
                return Err(invalid(
                    "meta_depth",
                    n,
                    "a power of two in 8..=128, or `auto`",
                ));
            }
        }
        Ok(())
    }

    /// Parameters from `key=value` settings applied to the defaults, validated once at the
    /// end, so the order of the settings does not matter (`min_len=2000` before
    /// `max_len=9000` is accepted).
    pub fn from_sets(sets: &[(String, String)]) -> Result<PacketParams, ParamError> {
        let mut p = PacketParams::default();
        for (k, v) in sets {
            p.set(k, v)?;
        }
        p.validate()?;
        Ok(p)
    }

    /// Sets one parameter from `--set key=value` text. Only the value's syntax is checked
    /// here; ranges and the relations between parameters are checked by
    /// [`PacketParams::validate`] (or [`PacketParams::from_sets`]). On error `self` is left
    /// unchanged (a value is stored only once it parsed).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ParamError> {
        let num = |v: &str| -> Result<u32, ParamError> {
            v.trim()
                .parse::<u32>()
                .map_err(|_| invalid(key, v, "an unsigned integer"))
        };
        match key {
            "data_bytes" => self.data_bytes = num(value)?,
            "min_len" => self.min_len = num(value)?,
            "max_len" => self.max_len = num(value)?,
            "roce_udp_port" => {
                self.roce_udp_port = u16::try_from(num(value)?)
                    .map_err(|_| invalid(key, value, "a UDP port 0..=65535"))?
            }
            "rss_key" => self.rss_key = value.trim().to_string(),
            "indirection_size" => self.indirection_size = num(value)?,
            "queue_bits" => self.queue_bits = num(value)?,
            "rss_queues" => self.rss_queues = num(value)?,
            "em_size" => self.em_size = num(value)?,
            "ipv6_ext_max" => self.ipv6_ext_max = num(value)?,
            "parse_depth" => self.parse_depth = num(value)?,
            "meta_depth" => {
                self.meta_depth = match value.trim() {
                    "auto" => None,
                    v => Some(num(v)?),
                }
            }
            _ => {
                let slot = key
                    .strip_prefix("drop_")
                    .and_then(|r| self.policies.slot_mut(r));
                match slot {
                    Some(p) => {
                        *p = match value.trim() {
                            "drop" => Policy::Drop,
                            "flag" => Policy::Flag,
                            _ => return Err(invalid(key, value, "`drop` or `flag`")),
                        }
                    }
                    None => {
                        return Err(ParamError::UnknownKey {
                            key: key.to_string(),
                            accepted: Self::accepted_keys().join(", "),
                        })
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let p = PacketParams::default();
        p.validate().unwrap();
        assert_eq!(parse_rss_key(&p.rss_key).unwrap()[0], 0x6d);
        assert_eq!(p.policies.get("icrc"), Some(Policy::Drop));
    }

    fn from(pairs: &[(&str, &str)]) -> Result<PacketParams, ParamError> {
        PacketParams::from_sets(&crate::blocks::registry::sets(pairs))
    }

    #[test]
    fn settings_check_ranges_and_keys() {
        let p = from(&[
            ("data_bytes", "64"),
            ("max_len", "9216"),
            ("drop_l3_csum", "drop"),
        ])
        .unwrap();
        assert_eq!((p.data_bytes, p.max_len), (64, 9216));
        assert_eq!(p.policies.l3_csum, Policy::Drop);
        for bad in [
            ("data_bytes", "24"),
            ("data_bytes", "128"),
            ("max_len", "9217"),
            ("drop_l3_csum", "maybe"),
            ("rss_key", "00"),
            ("min_len", "x"),
        ] {
            let e = from(&[bad]).unwrap_err().to_string();
            assert!(e.contains(bad.0) && e.contains(bad.1), "{bad:?}: {e}");
        }
        let e = from(&[("nope", "1")]).unwrap_err().to_string();
        assert!(e.contains("data_bytes") && e.contains("drop_icrc"), "{e}");
        // A syntax error leaves the struct unchanged.
        let mut p = PacketParams::default();
        assert!(p.set("drop_icrc", "maybe").is_err());
        assert_eq!(p, PacketParams::default());
    }

    /// Relations between parameters are checked after all of them are set: the order of the
    /// settings does not matter.
    #[test]
    fn settings_are_order_independent() {
        let a = from(&[("min_len", "2000"), ("max_len", "9000")]).unwrap();
        let b = from(&[("max_len", "9000"), ("min_len", "2000")]).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.min_len, a.max_len), (2000, 9000));
        let e = from(&[("min_len", "2000")]).unwrap_err().to_string();
        assert!(
            e.contains("min_len") && e.contains("at most max_len = 1518"),
            "{e}"
        );
    }

    #[test]
    fn meta_depth_is_sized_from_the_beat_or_given() {
        let auto = |d: u32, ext: u32| PacketParams {
            data_bytes: d,
            ipv6_ext_max: ext,
            ..PacketParams::default()
        };
        // 64-byte frames are 8, 4, 2 and 1 beats: latency bound 28, 24, 22, 21 cycles.
        let depths: Vec<u32> = [8, 16, 32, 64]
            .iter()
            .map(|&d| auto(d, 4).meta_fifo_depth())
            .collect();
        assert_eq!(depths, [8, 16, 16, 32]);
        // Eight extension-header stages: at one frame per cycle a 25-cycle bound needs 29
        // entries (so 32); at 8 beats a frame, its 32 cycles are 4 frames (so 8).
        assert_eq!(auto(64, 8).meta_fifo_depth(), 32);
        assert_eq!(auto(8, 8).meta_fifo_depth(), 8);
        let mut p = from(&[("meta_depth", "64")]).unwrap();
        assert_eq!((p.meta_depth, p.meta_fifo_depth()), (Some(64), 64));
        for bad in ["4", "24", "256", "deep"] {
            let e = from(&[("meta_depth", bad)]).unwrap_err().to_string();
            assert!(e.contains("meta_depth") && e.contains(bad), "{e}");
        }
        p.set("meta_depth", "auto").unwrap();
        assert_eq!((p.meta_depth, p.meta_fifo_depth()), (None, 8));
    }

    #[test]
    fn serde_round_trip() {
        let mut p = PacketParams::default();
        let s = serde_json::to_string(&p).unwrap();
        let q: PacketParams = serde_json::from_str(&s).unwrap();
        assert_eq!(p, q);
        p.meta_depth = Some(16);
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<PacketParams>(&s).unwrap(), p);
    }
}
