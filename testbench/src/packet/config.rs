//! Run-time configuration of the packet engine (what the configuration port writes).

use std::net::IpAddr;

use nicc_rtl::blocks::packet::{parse_rss_key, DropPolicies, PacketParams, ParamError};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which RSS hash input is used per traffic type (Microsoft names: IPv4, TCP/IPv4, UDP/IPv4...).
/// A TCP or UDP type disabled falls back to the 2-tuple of its IP version; a disabled 2-tuple
/// gives hash 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashTypes {
    /// IPv4 source and destination addresses.
    pub ipv4: bool,
    /// IPv4 addresses and TCP ports.
    pub ipv4_tcp: bool,
    /// IPv4 addresses and UDP ports.
    pub ipv4_udp: bool,
    /// IPv6 source and destination addresses.
    pub ipv6: bool,
    /// IPv6 addresses and TCP ports.
    pub ipv6_tcp: bool,
    /// IPv6 addresses and UDP ports.
    pub ipv6_udp: bool,
}

impl Default for HashTypes {
    fn default() -> Self {
        HashTypes {
            ipv4: true,
            ipv4_tcp: true,
            ipv4_udp: true,
            ipv6: true,
            ipv6_tcp: true,
            ipv6_udp: true,
        }
    }
}

/// Key of an exact-match entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmKey {
    /// IP 5-tuple. Ports are 0 for frames without a parsed TCP/UDP header (and fragments).
    /// An IPv4 key only matches IPv4 frames, an IPv6 key only IPv6 frames.
    FiveTuple {
        /// Source address.
        src: IpAddr,
        /// Destination address.
        dst: IpAddr,
        /// IPv4 protocol or final IPv6 next header.
        protocol: u8,
        /// Source port.
        src_port: u16,
        /// Destination port.
        dst_port: u16,
    },
    /// RoCEv2 BTH destination QP (24 bits).
    RoceQp(u32),
}

/// What a matching exact-match entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmAction {
    /// Send to this queue instead of the RSS queue.
    Queue(u16),
    /// Drop the frame (verdict `drop:em`).
    Drop,
    /// Keep the RSS queue, report this mark in the metadata.
    Mark(u32),
}

/// One exact-match entry; the lowest-index matching entry wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmEntry {
    /// What to match.
    pub key: EmKey,
    /// What to do on a match.
    pub action: EmAction,
}

/// A configuration write that the engine would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// The parameters themselves are invalid.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The exact-match table has `em_size` entries already.
    #[error("exact-match table is full ({0} entries); raise em_size or remove an entry")]
    EmFull(usize),
    /// A queue number does not fit `queue_bits`.
    #[error("queue {queue} does not fit in {bits} tdest bits")]
    QueueRange {
        /// Queue given.
        queue: u16,
        /// Width of tdest.
        bits: u32,
    },
    /// The indirection table has the wrong number of entries.
    #[error("indirection table needs {expected} entries, got {got}")]
    IndirectionLen {
        /// `indirection_size`.
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// A RoCE QP key wider than 24 bits.
    #[error("RoCE destination QP {0:#x} is wider than 24 bits")]
    QpRange(u32),
}

/// Run-time configuration. `Default` = the reset values of `PacketParams::default()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketConfig {
    /// 40-byte Toeplitz key.
    pub rss_key: Vec<u8>,
    /// Indirection table: queue = `indirection[rss_hash & (len - 1)]`; length a power of two.
    pub indirection: Vec<u16>,
    /// UDP destination port that marks RoCEv2.
    pub roce_udp_port: u16,
    /// Frames shorter than this are runts.
    pub min_len: u32,
    /// Frames longer than this are oversize.
    pub max_len: u32,
    /// Drop-or-flag per reason.
    pub policies: DropPolicies,
    /// RSS hash inputs enabled.
    pub hash_types: HashTypes,
    /// Exact-match entries in priority order (at most `em_size`).
    pub em: Vec<EmEntry>,
    /// Capacity of the exact-match table.
    pub em_size: usize,
    /// Width of tdest.
    pub queue_bits: u32,
    /// Most IPv6 extension headers walked.
    pub ipv6_ext_max: u32,
}

impl PacketConfig {
    /// Reset configuration of an engine built with `p`.
    pub fn from_params(p: &PacketParams) -> Result<Self, ConfigError> {
        p.validate()?;
        Ok(PacketConfig {
            rss_key: parse_rss_key(&p.rss_key)?.to_vec(),
            indirection: (0..p.indirection_size)
                .map(|i| (i % p.rss_queues) as u16)
                .collect(),
            roce_udp_port: p.roce_udp_port,
            min_len: p.min_len,
            max_len: p.max_len,
            policies: p.policies,
            hash_types: HashTypes::default(),
            em: Vec::new(),
            em_size: p.em_size as usize,
            queue_bits: p.queue_bits,
            ipv6_ext_max: p.ipv6_ext_max,
        })
    }

    fn check_queue(&self, queue: u16) -> Result<(), ConfigError> {
        if u32::from(queue) >> self.queue_bits != 0 {
            return Err(ConfigError::QueueRange {
                queue,
                bits: self.queue_bits,
            });
        }
        Ok(())
    }

    /// Appends an exact-match entry (lowest priority so far).
    pub fn add_em(&mut self, entry: EmEntry) -> Result<(), ConfigError> {
        if self.em.len() >= self.em_size {
            return Err(ConfigError::EmFull(self.em_size));
        }
        if let EmAction::Queue(q) = entry.action {
            self.check_queue(q)?;
        }
        if let EmKey::RoceQp(qp) = entry.key {
            if qp >> 24 != 0 {
                return Err(ConfigError::QpRange(qp));
            }
        }
        self.em.push(entry);
        Ok(())
    }

    /// Replaces the indirection table (same length, queues within `queue_bits`).
    pub fn set_indirection(&mut self, table: Vec<u16>) -> Result<(), ConfigError> {
        if table.len() != self.indirection.len() {
            return Err(ConfigError::IndirectionLen {
                expected: self.indirection.len(),
                got: table.len(),
            });
        }
        for &q in &table {
            self.check_queue(q)?;
        }
        self.indirection = table;
        Ok(())
    }
}

impl Default for PacketConfig {
    fn default() -> Self {
        // The default parameters are valid (tested in nicc-rtl), so this cannot fail.
        Self::from_params(&PacketParams::default()).unwrap_or_else(|e| panic!("{e}"))
    }
}
