//! Input frames and the metadata record the engine emits for each of them.

use std::net::IpAddr;

use serde_json::{json, Map, Value};

/// How the final beat's `tkeep` of a frame is broken (RTL driver contract: the frame's bytes
/// are still all delivered; only the keep pattern is wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TkeepFault {
    /// `tkeep` contiguous from bit 0, all ones except on `tlast`.
    #[default]
    None,
    /// An extra final beat with `tlast` = 1 and `tkeep` = 0 follows the frame's bytes.
    Zero,
    /// The final beat's `tkeep` has a hole: lane 0 of the final beat is cleared while the lanes
    /// above stay set (the byte count is the highest set lane + 1; the byte under the hole is
    /// still the frame's byte). A final beat of one byte uses the `Zero` form instead.
    Gap,
}

/// One input frame: its bytes (FCS stripped), `tuser[0]` on `tlast`, and its keep fault.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// Frame bytes from the destination MAC on.
    pub bytes: Vec<u8>,
    /// `tuser[0]`: the MAC marked the frame bad.
    pub bad: bool,
    /// `tkeep` fault on the final beat.
    pub tkeep_error: TkeepFault,
}

impl Frame {
    /// A good frame with these bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Frame {
            bytes,
            ..Frame::default()
        }
    }
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every value, in bit/priority order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
            /// Number of values.
            pub const COUNT: usize = $name::ALL.len();
            /// Name used in JSON and counters.
            pub fn name(self) -> &'static str { match self { $($name::$v => $s),* } }
            /// Value with this name.
            pub fn from_name(s: &str) -> Option<Self> { $name::ALL.iter().copied().find(|v| v.name() == s) }
        }
    };
}

named_enum! {
    /// Metadata flags. The discriminant is the bit position in `FlagSet` (and in the RTL
    /// metadata word).
    Flag {
        /// 802.1ad S-tag (0x88A8) accepted.
        VlanS = "vlan_s",
        /// 802.1Q C-tag (0x8100) accepted.
        VlanC = "vlan_c",
        /// A tag where none may follow (third tag, S after C, C after C, S after S): parsing stopped.
        VlanExtra = "vlan_extra",
        /// IPv4 header accepted.
        Ipv4 = "ipv4",
        /// IPv6 fixed header accepted.
        Ipv6 = "ipv6",
        /// IPv4 MF or offset != 0, or an IPv6 fragment header with M or offset != 0.
        Frag = "frag",
        /// ARP (28 bytes) accepted.
        Arp = "arp",
        /// ICMP (IPv4 protocol 1) or ICMPv6 (58) 8-byte header accepted.
        Icmp = "icmp",
        /// TCP 20-byte header accepted.
        Tcp = "tcp",
        /// UDP header accepted.
        Udp = "udp",
        /// IPv4 options (IHL > 5) or IPv6 extension headers present.
        L3Opt = "l3_opt",
        /// TCP options (data offset > 5).
        L4Opt = "l4_opt",
        /// IPv4 header checksum wrong.
        L3BadCsum = "l3_bad_csum",
        /// UDP/TCP checksum wrong.
        L4BadCsum = "l4_bad_csum",
        /// UDP length < 8 or beyond the IP payload.
        L4BadLen = "l4_bad_len",
        /// UDP to the RoCEv2 port with a complete BTH.
        Rocev2 = "rocev2",
        /// BTH TVer != 0.
        RoceBadTver = "roce_bad_tver",
        /// BTH opcode outside the supported table (no extension headers assumed).
        RoceUnknownOp = "roce_unknown_op",
        /// ICRC wrong.
        IcrcBad = "icrc_bad",
        /// The frame ends inside a header.
        Trunc = "trunc",
        /// Inconsistent header fields.
        Malformed = "malformed",
        /// Shorter than min_len.
        Runt = "runt",
        /// Longer than max_len.
        Oversize = "oversize",
        /// `tuser[0]` set.
        MacBad = "mac_bad",
        /// tkeep zero or non-contiguous on tlast.
        TkeepBad = "tkeep_bad",
        /// More than ipv6_ext_max extension headers: L4 not parsed.
        Ipv6ExtLimit = "ipv6_ext_limit",
        /// An exact-match entry matched.
        EmHit = "em_hit",
    }
}

named_enum! {
    /// Drop reasons in verdict priority order (the names of `DropPolicies::REASONS` plus `em`).
    DropReason {
        /// `tuser[0]`.
        MacBad = "mac_bad",
        /// tkeep fault.
        Tkeep = "tkeep",
        /// runt.
        Runt = "runt",
        /// oversize.
        Oversize = "oversize",
        /// truncated header.
        Trunc = "trunc",
        /// malformed header.
        Malformed = "malformed",
        /// IPv4 header checksum.
        L3Csum = "l3_csum",
        /// UDP/TCP checksum.
        L4Csum = "l4_csum",
        /// RoCEv2 ICRC.
        Icrc = "icrc",
        /// RoCEv2 TVer != 0.
        RoceTver = "roce_tver",
        /// Exact-match entry with action drop.
        Em = "em",
    }
}

impl DropReason {
    /// The flag that raises this reason (`None` for `Em`).
    pub fn flag(self) -> Option<Flag> {
        Some(match self {
            DropReason::MacBad => Flag::MacBad,
            DropReason::Tkeep => Flag::TkeepBad,
            DropReason::Runt => Flag::Runt,
            DropReason::Oversize => Flag::Oversize,
            DropReason::Trunc => Flag::Trunc,
            DropReason::Malformed => Flag::Malformed,
            DropReason::L3Csum => Flag::L3BadCsum,
            DropReason::L4Csum => Flag::L4BadCsum,
            DropReason::Icrc => Flag::IcrcBad,
            DropReason::RoceTver => Flag::RoceBadTver,
            DropReason::Em => return None,
        })
    }
}

/// Set of flags, bit `f as u32` for flag `f`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct FlagSet(pub u32);

impl FlagSet {
    /// Sets a flag.
    pub fn set(&mut self, f: Flag) {
        self.0 |= 1 << f as u32;
    }
    /// Whether a flag is set.
    pub fn has(self, f: Flag) -> bool {
        self.0 >> (f as u32) & 1 != 0
    }
    /// Names of the set flags in bit order.
    pub fn names(self) -> Vec<&'static str> {
        Flag::ALL
            .iter()
            .filter(|f| self.has(**f))
            .map(|f| f.name())
            .collect()
    }
}

/// Frame verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Sent on `m_axis`.
    Pass,
    /// Dropped for this reason.
    Drop(DropReason),
}

impl Verdict {
    /// `pass` or `drop:<reason>`.
    pub fn text(self) -> String {
        match self {
            Verdict::Pass => "pass".into(),
            Verdict::Drop(r) => format!("drop:{}", r.name()),
        }
    }
}

named_enum! {
    /// L4 checksum status.
    L4Csum {
        /// Verified.
        Ok = "ok",
        /// Wrong.
        Bad = "bad",
        /// UDP over IPv4 with checksum 0 (absent).
        Zero = "zero",
        /// Not checked (no UDP/TCP, fragment, bad length, data missing, header problem).
        Na = "na",
    }
}

named_enum! {
    /// RSS hash input used.
    RssType {
        /// No hash (non-IP or type disabled): hash 0.
        None = "none",
        /// IPv4 2-tuple.
        Ipv4 = "ipv4",
        /// IPv4 + TCP ports.
        Ipv4Tcp = "ipv4_tcp",
        /// IPv4 + UDP ports.
        Ipv4Udp = "ipv4_udp",
        /// IPv6 2-tuple.
        Ipv6 = "ipv6",
        /// IPv6 + TCP ports.
        Ipv6Tcp = "ipv6_tcp",
        /// IPv6 + UDP ports.
        Ipv6Udp = "ipv6_udp",
    }
}

/// RETH: RDMA extended transport header (16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reth {
    /// Virtual address.
    pub va: u64,
    /// Remote key.
    pub r_key: u32,
    /// DMA length.
    pub dma_len: u32,
}

/// AETH: ACK extended transport header (4 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aeth {
    /// Syndrome.
    pub syndrome: u8,
    /// Message sequence number (24 bits).
    pub msn: u32,
}

/// DETH: datagram extended transport header (8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deth {
    /// Queue key.
    pub q_key: u32,
    /// Source QP (24 bits).
    pub src_qp: u32,
}

/// AtomicETH (28 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtomicEth {
    /// Virtual address.
    pub va: u64,
    /// Remote key.
    pub r_key: u32,
    /// Swap (compare-swap) or add (fetch-add) data.
    pub swap_add: u64,
    /// Compare data.
    pub compare: u64,
}

/// RoCEv2 fields: BTH, extension headers, payload length and ICRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roce {
    /// BTH opcode.
    pub opcode: u8,
    /// Solicited event.
    pub se: bool,
    /// MigReq.
    pub m: bool,
    /// Pad count (0..3).
    pub pad_cnt: u8,
    /// Transport header version (must be 0).
    pub tver: u8,
    /// Partition key.
    pub p_key: u16,
    /// FECN.
    pub fecn: bool,
    /// BECN.
    pub becn: bool,
    /// Destination QP (24 bits).
    pub dest_qp: u32,
    /// AckReq.
    pub ack_req: bool,
    /// Packet sequence number (24 bits).
    pub psn: u32,
    /// Bytes of extension headers the opcode selects (0 for unknown opcodes).
    pub ext_len: u8,
    /// Extension headers fully present (`false`: the frame ends or the UDP datagram ends inside them).
    pub ext_ok: bool,
    /// RETH if the opcode has one and `ext_ok`.
    pub reth: Option<Reth>,
    /// AETH.
    pub aeth: Option<Aeth>,
    /// DETH.
    pub deth: Option<Deth>,
    /// Immediate data.
    pub imm: Option<u32>,
    /// IETH (R_Key to invalidate).
    pub ieth: Option<u32>,
    /// AtomicETH.
    pub atomic: Option<AtomicEth>,
    /// AtomicAckETH original remote data.
    pub atomic_ack: Option<u64>,
    /// UDP length - 8 - 12 - ext_len - pad_cnt - 4; 0 (and malformed) if negative or `!ext_ok`.
    pub payload_len: u16,
    /// ICRC as received (wire bytes read little-endian); `None` if not present.
    pub icrc: Option<u32>,
    /// Whether the received ICRC equals the computed one; `None` if not checkable.
    pub icrc_ok: Option<bool>,
}

/// The metadata record of one frame. Every field is defined by `golden::process`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// Frame number from 0 in input order.
    pub index: u64,
    /// Frame length in bytes.
    pub len: u32,
    /// Pass or drop with reason.
    pub verdict: Verdict,
    /// Flags.
    pub flags: FlagSet,
    /// Output queue (tdest): EM queue, else `indirection[rss_hash & mask]`.
    pub queue: u16,
    /// Toeplitz hash (0 for `RssType::None`).
    pub rss_hash: u32,
    /// Hash input used.
    pub rss_type: RssType,
    /// Index of the matching exact-match entry.
    pub em_index: Option<u16>,
    /// Mark of a matching `EmAction::Mark` entry.
    pub mark: Option<u32>,
    /// Destination MAC (zero if the frame is shorter than 14 bytes).
    pub dst_mac: [u8; 6],
    /// Source MAC.
    pub src_mac: [u8; 6],
    /// S-tag TCI.
    pub vlan_s_tci: Option<u16>,
    /// C-tag TCI.
    pub vlan_c_tci: Option<u16>,
    /// Ethertype after the accepted tags (the extra tag's TPID when `vlan_extra`).
    pub ethertype: Option<u16>,
    /// Offset of the L3 header (after the tags); `None` if the tags are cut or `vlan_extra`.
    pub l3_offset: Option<u16>,
    /// Offset of the L4 header: IP header (and extension headers) accepted, not a fragment.
    pub l4_offset: Option<u16>,
    /// Offset of the payload: after UDP (8), TCP (data offset), ICMP (8), or BTH + extension headers.
    pub payload_offset: Option<u16>,
    /// IP source address.
    pub src_ip: Option<IpAddr>,
    /// IP destination address.
    pub dst_ip: Option<IpAddr>,
    /// IPv4 protocol or final IPv6 next header.
    pub protocol: Option<u8>,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: Option<u8>,
    /// TCP/UDP source port.
    pub src_port: Option<u16>,
    /// TCP/UDP destination port.
    pub dst_port: Option<u16>,
    /// IPv4 header checksum verified (`None` when no IPv4 header).
    pub ipv4_csum_ok: Option<bool>,
    /// L4 checksum status.
    pub l4_csum: L4Csum,
    /// Folded ones'-complement sum (not complemented) of bytes 14..len as big-endian 16-bit
    /// words, an odd last byte as the high byte of a word; 0 when len <= 14. No trimming.
    pub csum_complete: u16,
    /// RoCEv2 fields when `rocev2`.
    pub roce: Option<Roce>,
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

fn mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl Meta {
    /// The JSON object of one line of `meta.jsonl`.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("index".into(), json!(self.index));
        o.insert("len".into(), json!(self.len));
        o.insert("verdict".into(), json!(self.verdict.text()));
        o.insert("flags".into(), json!(self.flags.names()));
        o.insert("queue".into(), json!(self.queue));
        o.insert("rss_hash".into(), json!(format!("0x{:08x}", self.rss_hash)));
        o.insert("rss_type".into(), json!(self.rss_type.name()));
        o.insert("em_index".into(), opt(self.em_index));
        o.insert("mark".into(), opt(self.mark));
        o.insert("ipv4_csum_ok".into(), opt(self.ipv4_csum_ok));
        o.insert("l4_csum".into(), json!(self.l4_csum.name()));
        o.insert(
            "csum_complete".into(),
            json!(format!("0x{:04x}", self.csum_complete)),
        );
        o.insert("dst_mac".into(), json!(mac(&self.dst_mac)));
        o.insert("src_mac".into(), json!(mac(&self.src_mac)));
        o.insert("vlan_s_tci".into(), opt(self.vlan_s_tci));
        o.insert("vlan_c_tci".into(), opt(self.vlan_c_tci));
        o.insert("ethertype".into(), opt(self.ethertype));
        o.insert("l3_offset".into(), opt(self.l3_offset));
        o.insert("l4_offset".into(), opt(self.l4_offset));
        o.insert("payload_offset".into(), opt(self.payload_offset));
        o.insert("src_ip".into(), opt(self.src_ip.map(|a| a.to_string())));
        o.insert("dst_ip".into(), opt(self.dst_ip.map(|a| a.to_string())));
        o.insert("protocol".into(), opt(self.protocol));
        o.insert("ttl".into(), opt(self.ttl));
        o.insert("src_port".into(), opt(self.src_port));
        o.insert("dst_port".into(), opt(self.dst_port));
        o.insert(
            "roce".into(),
            self.roce.as_ref().map_or(Value::Null, roce_json),
        );
        Value::Object(o)
    }

    /// Names of the top-level JSON fields (and `roce.<field>`) where `self` and `other` differ.
    pub fn diff(&self, other: &Meta) -> Vec<String> {
        let (a, b) = (self.to_json(), other.to_json());
        let mut out = Vec::new();
        if let (Value::Object(a), Value::Object(b)) = (&a, &b) {
            for (k, va) in a {
                let vb = &b[k];
                if va == vb {
                    continue;
                }
                match (va, vb) {
                    (Value::Object(ra), Value::Object(rb)) => {
                        for (rk, rv) in ra {
                            if rb.get(rk) != Some(rv) {
                                out.push(format!("{k}.{rk}"));
                            }
                        }
                    }
                    _ => out.push(k.clone()),
                }
            }
        }
        out
    }
}

fn roce_json(r: &Roce) -> Value {
    json!({
        "opcode": r.opcode,
        "se": r.se,
        "m": r.m,
        "pad_cnt": r.pad_cnt,
        "tver": r.tver,
        "p_key": r.p_key,
        "fecn": r.fecn,
        "becn": r.becn,
        "dest_qp": r.dest_qp,
        "ack_req": r.ack_req,
        "psn": r.psn,
        "ext_len": r.ext_len,
        "ext_ok": r.ext_ok,
        "reth": r.reth.map(|x| json!({"va": format!("0x{:016x}", x.va), "r_key": x.r_key, "dma_len": x.dma_len})),
        "aeth": r.aeth.map(|x| json!({"syndrome": x.syndrome, "msn": x.msn})),
        "deth": r.deth.map(|x| json!({"q_key": x.q_key, "src_qp": x.src_qp})),
        "imm": r.imm,
        "ieth": r.ieth,
        "atomic": r.atomic.map(|x| json!({"va": format!("0x{:016x}", x.va), "r_key": x.r_key,
            "swap_add": format!("0x{:016x}", x.swap_add), "compare": format!("0x{:016x}", x.compare)})),
        "atomic_ack": r.atomic_ack.map(|x| format!("0x{x:016x}")),
        "payload_len": r.payload_len,
        "icrc": r.icrc.map(|x| format!("0x{x:08x}")),
        "icrc_ok": r.icrc_ok,
    })
}

/// Engine counters: frames, passes, drops per reason, frames per flag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counters {
    /// Frames seen.
    pub frames: u64,
    /// Bytes seen.
    pub bytes: u64,
    /// Frames passed.
    pub good_packets: u64,
    /// Bytes of passed frames.
    pub good_bytes: u64,
    /// Dropped frames per `DropReason` (indexed by discriminant); each drop counts once.
    pub drops: [u64; DropReason::COUNT],
    /// Frames with each `Flag` set (indexed by discriminant), passed or dropped.
    pub flags: [u64; Flag::COUNT],
}

impl Counters {
    /// Adds one frame's metadata.
    pub fn count(&mut self, m: &Meta) {
        self.frames += 1;
        self.bytes += u64::from(m.len);
        match m.verdict {
            Verdict::Pass => {
                self.good_packets += 1;
                self.good_bytes += u64::from(m.len);
            }
            Verdict::Drop(r) => self.drops[r as usize] += 1,
        }
        for f in Flag::ALL {
            if m.flags.has(*f) {
                self.flags[*f as usize] += 1;
            }
        }
    }

    /// Drops counted for a reason.
    pub fn drop_count(&self, r: DropReason) -> u64 {
        self.drops[r as usize]
    }

    /// Frames counted with a flag.
    pub fn flag_count(&self, f: Flag) -> u64 {
        self.flags[f as usize]
    }

    /// Counters as a JSON object (`drops` and `flags` keyed by name).
    pub fn to_json(&self) -> Value {
        let drops: Map<String, Value> = DropReason::ALL
            .iter()
            .map(|r| (r.name().to_string(), json!(self.drop_count(*r))))
            .collect();
        let flags: Map<String, Value> = Flag::ALL
            .iter()
            .map(|f| (f.name().to_string(), json!(self.flag_count(*f))))
            .collect();
        json!({"frames": self.frames, "bytes": self.bytes, "good_packets": self.good_packets,
               "good_bytes": self.good_bytes, "drops": drops, "flags": flags})
    }
}
