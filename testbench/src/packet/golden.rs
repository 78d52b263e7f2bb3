//! Golden model of the packet engine: `process` computes the metadata of one frame,
//! `GoldenEngine` adds frame numbering and counters.
//!
//! Header acceptance rule (used for every header): a header of `n` bytes at `off` is accepted
//! when `off + n <= min(limit, len)`, where `limit` is the end of the enclosing unit (frame,
//! IP datagram as claimed by its length field, UDP datagram, or the ICRC start for RoCE
//! extension headers). Otherwise parsing stops there with `trunc` if `off + n > len` (the
//! frame ends inside the header), else `malformed` (the frame has the bytes but the enclosing
//! length field says the header does not fit). Flags of headers accepted earlier stay.
//!
//! The record, field by field (the RTL must match it bit for bit):
//! - Size: `runt` if len < min_len, `oversize` if len > max_len, `mac_bad` = tuser,
//!   `tkeep_bad` for any keep fault. Parsing runs on every frame regardless.
//! - L2: 14 bytes; an S-tag (0x88A8) may come first, then a C-tag (0x8100); a tag TPID where no
//!   tag may follow sets `vlan_extra` and stops (no `l3_offset`). IPv4 = 0x0800, IPv6 =
//!   0x86DD, ARP = 0x0806 (28 bytes), anything else: no L3.
//! - IPv4: 20 bytes, version 4 and IHL >= 5 else `malformed` (stop, no `ipv4`); IHL*4 bytes;
//!   total length < IHL*4 is `malformed` (stop). Accepted: `ipv4`, `l3_opt` if IHL > 5,
//!   checksum ok iff the full fold of the header's words is 0xFFFF. The datagram's claimed end
//!   `l3 + total_len` beyond the frame sets `malformed`. MF or offset != 0: `frag`, no L4.
//! - IPv6: 40 bytes, version 6 else `malformed`; claimed end `l3 + 40 + payload_length`;
//!   extension headers 0/43/60 ((len+1)*8 bytes), 44 (8 bytes; offset or M set: `frag`, no L4,
//!   protocol = its next header), 51 ((len+2)*4) are skipped (`l3_opt`), at most
//!   `ipv6_ext_max` of them (one more sets `ipv6_ext_limit`, protocol = that header type).
//! - L4 (limit = the IP claimed end): UDP 8 bytes; its length < 8 or past the claimed end sets
//!   `l4_bad_len` + `malformed` (checksum `na`, no RoCE). UDP checksum over the pseudo-header
//!   and UDP length bytes (so Ethernet padding is excluded): `zero` if the field is 0 over IPv4,
//!   `bad` if 0 over IPv6, `na` if the datagram is not all in the frame. TCP 20 bytes (data
//!   offset < 5 `malformed`, > 5 `l4_opt`), checksum over `[l4, claimed end)` when that is in
//!   the frame. ICMP (1 over IPv4, 58 over IPv6): 8 bytes, not verified.
//! - RoCEv2: UDP destination port = `roce_udp_port`, BTH 12 bytes within the UDP datagram
//!   (`rocev2`), extension headers by [`roce_ext`] within `[bth+12, udp_end-4)`, then the ICRC
//!   at `udp_end-4` read little-endian (missing bytes: `trunc`); see [`icrc`] for the masks.
//! - RSS: the type follows `HashTypes` (TCP/UDP 4-tuple when enabled and the header was
//!   accepted, else the 2-tuple of the IP version, fragments always 2-tuple); the Toeplitz input is src address, dst address, then (4-tuple) src
//!   port, dst port, all in network byte order. `queue = indirection[hash & (size-1)]`.
//! - Verdict: the first reason of `DropReason::ALL` (priority order) whose flag is set and
//!   whose policy is drop; else `drop:em` if the matching exact-match entry says drop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{
    Ethernet2HeaderSlice, Ipv4HeaderSlice, Ipv6HeaderSlice, SingleVlanHeaderSlice, UdpHeaderSlice,
};
use nicc_rtl::blocks::packet::Policy;

use super::config::{EmAction, EmKey, PacketConfig};
use super::math::{fold, icrc, ones_sum, sum_words, toeplitz};
use super::meta::{
    Aeth, AtomicEth, Counters, Deth, DropReason, Flag, FlagSet, Frame, L4Csum, Meta, Reth, Roce,
    RssType, TkeepFault, Verdict,
};

/// Ethertype of the 802.1ad S-tag.
pub const ETH_S_TAG: u16 = 0x88A8;
/// Ethertype of the 802.1Q C-tag.
pub const ETH_C_TAG: u16 = 0x8100;
/// IPv6 extension headers the parser skips (hop-by-hop, routing, fragment, destination
/// options, authentication).
pub const IPV6_EXT: [u8; 5] = [0, 43, 44, 60, 51];

/// Extension headers selected by a BTH opcode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoceExt {
    /// DETH (8 bytes).
    pub deth: bool,
    /// RETH (16 bytes).
    pub reth: bool,
    /// AtomicETH (28 bytes).
    pub atomic: bool,
    /// AETH (4 bytes).
    pub aeth: bool,
    /// AtomicAckETH (8 bytes).
    pub atomic_ack: bool,
    /// ImmDt (4 bytes).
    pub imm: bool,
    /// IETH (4 bytes).
    pub ieth: bool,
}

impl RoceExt {
    /// Total bytes; wire order is DETH, RETH, AtomicETH, AETH, AtomicAckETH, ImmDt, IETH.
    pub fn len(&self) -> usize {
        8 * usize::from(self.deth)
            + 16 * usize::from(self.reth)
            + 28 * usize::from(self.atomic)
            + 4 * usize::from(self.aeth)
            + 8 * usize::from(self.atomic_ack)
            + 4 * usize::from(self.imm)
            + 4 * usize::from(self.ieth)
    }
    /// No extension header.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Extension headers of a BTH opcode (IBA vol. 1 table "BTH opcodes"): RC (0x00-0x14,
/// 0x16-0x17), UC (0x20-0x2B), UD (0x64-0x65), CNP (0x81). `None` for any other opcode
/// (RD, XRC, reserved, vendor), which the engine flags `roce_unknown_op`.
pub fn roce_ext(opcode: u8) -> Option<RoceExt> {
    let low = opcode & 0x1F;
    let e = RoceExt::default();
    let ok = match opcode >> 5 {
        0 => low <= 0x14 || low == 0x16 || low == 0x17,
        1 => low <= 0x0B,
        3 => {
            return match low {
                0x04 => Some(RoceExt { deth: true, ..e }),
                0x05 => Some(RoceExt {
                    deth: true,
                    imm: true,
                    ..e
                }),
                _ => None,
            }
        }
        4 if opcode == 0x81 => return Some(e),
        _ => false,
    };
    if !ok {
        return None;
    }
    Some(match low {
        0x03 | 0x05 | 0x09 => RoceExt { imm: true, ..e },
        0x06 | 0x0A | 0x0C => RoceExt { reth: true, ..e },
        0x0B => RoceExt {
            reth: true,
            imm: true,
            ..e
        },
        0x0D | 0x0F | 0x10 | 0x11 => RoceExt { aeth: true, ..e },
        0x12 => RoceExt {
            aeth: true,
            atomic_ack: true,
            ..e
        },
        0x13 | 0x14 => RoceExt { atomic: true, ..e },
        0x16 | 0x17 => RoceExt { ieth: true, ..e },
        _ => e,
    })
}

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}
fn be24(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([0, b[o], b[o + 1], b[o + 2]])
}
fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn be64(b: &[u8], o: usize) -> u64 {
    (u64::from(be32(b, o)) << 32) | u64::from(be32(b, o + 4))
}

/// Header acceptance (see the module doc).
fn need(m: &mut Meta, len: usize, off: usize, n: usize, limit: usize) -> bool {
    if off + n <= limit.min(len) {
        return true;
    }
    m.flags.set(if off + n > len {
        Flag::Trunc
    } else {
        Flag::Malformed
    });
    false
}

fn empty_meta(len: usize) -> Meta {
    Meta {
        index: 0,
        len: len as u32,
        verdict: Verdict::Pass,
        flags: FlagSet::default(),
        queue: 0,
        rss_hash: 0,
        rss_type: RssType::None,
        em_index: None,
        mark: None,
        dst_mac: [0; 6],
        src_mac: [0; 6],
        vlan_s_tci: None,
        vlan_c_tci: None,
        ethertype: None,
        l3_offset: None,
        l4_offset: None,
        payload_offset: None,
        src_ip: None,
        dst_ip: None,
        protocol: None,
        ttl: None,
        src_port: None,
        dst_port: None,
        ipv4_csum_ok: None,
        l4_csum: L4Csum::Na,
        csum_complete: 0,
        roce: None,
    }
}

/// Computes the metadata of one frame under `cfg` (`index` is 0; `GoldenEngine` numbers).
pub fn process(cfg: &PacketConfig, frame: &Frame) -> Meta {
    let b = frame.bytes.as_slice();
    let len = b.len();
    let mut m = empty_meta(len);
    if frame.bad {
        m.flags.set(Flag::MacBad);
    }
    if frame.tkeep_error != TkeepFault::None {
        m.flags.set(Flag::TkeepBad);
    }
    if (len as u64) < u64::from(cfg.min_len) {
        m.flags.set(Flag::Runt);
    }
    if len as u64 > u64::from(cfg.max_len) {
        m.flags.set(Flag::Oversize);
    }
    if len > 14 {
        m.csum_complete = ones_sum(&b[14..]);
    }
    parse_l2(cfg, b, &mut m);
    rss(cfg, &mut m);
    let em_drop = exact_match(cfg, &mut m);
    m.verdict = Verdict::Pass;
    for r in DropReason::ALL {
        if let Some(f) = r.flag() {
            if m.flags.has(f) && cfg.policies.get(r.name()) == Some(Policy::Drop) {
                m.verdict = Verdict::Drop(*r);
                break;
            }
        }
    }
    if m.verdict == Verdict::Pass && em_drop {
        m.verdict = Verdict::Drop(DropReason::Em);
    }
    m
}

fn tci(v: &SingleVlanHeaderSlice) -> u16 {
    (u16::from(v.priority_code_point().value()) << 13)
        | (u16::from(v.drop_eligible_indicator()) << 12)
        | v.vlan_identifier().value()
}

fn parse_l2(cfg: &PacketConfig, b: &[u8], m: &mut Meta) {
    let len = b.len();
    if !need(m, len, 0, 14, len) {
        return;
    }
    let Ok(eth) = Ethernet2HeaderSlice::from_slice(b) else {
        return;
    };
    m.dst_mac = eth.destination();
    m.src_mac = eth.source();
    let mut et = eth.ether_type().0;
    let mut off = 14;
    for (tpid, flag) in [(ETH_S_TAG, Flag::VlanS), (ETH_C_TAG, Flag::VlanC)] {
        if et != tpid {
            continue;
        }
        if !need(m, len, off, 4, len) {
            return;
        }
        let Ok(v) = SingleVlanHeaderSlice::from_slice(&b[off..]) else {
            return;
        };
        if flag == Flag::VlanS {
            m.vlan_s_tci = Some(tci(&v));
        } else {
            m.vlan_c_tci = Some(tci(&v));
        }
        m.flags.set(flag);
        et = v.ether_type().0;
        off += 4;
    }
    m.ethertype = Some(et);
    if et == ETH_S_TAG || et == ETH_C_TAG {
        m.flags.set(Flag::VlanExtra);
        return;
    }
    m.l3_offset = Some(off as u16);
    match et {
        0x0800 => parse_ipv4(cfg, b, off, m),
        0x86DD => parse_ipv6(cfg, b, off, m),
        0x0806 if need(m, len, off, 28, len) => m.flags.set(Flag::Arp),
        _ => {}
    }
}

fn parse_ipv4(cfg: &PacketConfig, b: &[u8], l3: usize, m: &mut Meta) {
    let len = b.len();
    if !need(m, len, l3, 20, len) {
        return;
    }
    let ihl = usize::from(b[l3] & 0x0F);
    if b[l3] >> 4 != 4 || ihl < 5 {
        m.flags.set(Flag::Malformed);
        return;
    }
    let hl = ihl * 4;
    if !need(m, len, l3, hl, len) {
        return;
    }
    let total = usize::from(be16(b, l3 + 2));
    if total < hl {
        m.flags.set(Flag::Malformed);
        return;
    }
    let Ok(h) = Ipv4HeaderSlice::from_slice(&b[l3..l3 + hl]) else {
        m.flags.set(Flag::Malformed);
        return;
    };
    m.flags.set(Flag::Ipv4);
    if ihl > 5 {
        m.flags.set(Flag::L3Opt);
    }
    m.src_ip = Some(IpAddr::V4(Ipv4Addr::from(h.source())));
    m.dst_ip = Some(IpAddr::V4(Ipv4Addr::from(h.destination())));
    m.ttl = Some(h.ttl());
    let proto = h.protocol().0;
    m.protocol = Some(proto);
    let ok = fold(sum_words(0, &b[l3..l3 + hl])) == 0xFFFF;
    m.ipv4_csum_ok = Some(ok);
    if !ok {
        m.flags.set(Flag::L3BadCsum);
    }
    let claimed = l3 + total;
    if claimed > len {
        m.flags.set(Flag::Malformed);
    }
    if h.more_fragments() || h.fragments_offset().value() != 0 {
        m.flags.set(Flag::Frag);
        return;
    }
    parse_l4(cfg, b, m, l3, l3 + hl, claimed, proto, false);
}

fn parse_ipv6(cfg: &PacketConfig, b: &[u8], l3: usize, m: &mut Meta) {
    let len = b.len();
    if !need(m, len, l3, 40, len) {
        return;
    }
    if b[l3] >> 4 != 6 {
        m.flags.set(Flag::Malformed);
        return;
    }
    let Ok(h) = Ipv6HeaderSlice::from_slice(&b[l3..l3 + 40]) else {
        m.flags.set(Flag::Malformed);
        return;
    };
    m.flags.set(Flag::Ipv6);
    m.src_ip = Some(IpAddr::V6(Ipv6Addr::from(h.source())));
    m.dst_ip = Some(IpAddr::V6(Ipv6Addr::from(h.destination())));
    m.ttl = Some(h.hop_limit());
    let claimed = l3 + 40 + usize::from(h.payload_length());
    if claimed > len {
        m.flags.set(Flag::Malformed);
    }
    let mut nh = h.next_header().0;
    let mut off = l3 + 40;
    let mut count = 0;
    while IPV6_EXT.contains(&nh) {
        m.protocol = Some(nh);
        if count == cfg.ipv6_ext_max {
            m.flags.set(Flag::Ipv6ExtLimit);
            return;
        }
        m.flags.set(Flag::L3Opt);
        if !need(m, len, off, 8, claimed) {
            return;
        }
        let elen = match nh {
            44 => 8,
            51 => (usize::from(b[off + 1]) + 2) * 4,
            _ => (usize::from(b[off + 1]) + 1) * 8,
        };
        if !need(m, len, off, elen, claimed) {
            return;
        }
        let frag = nh == 44 && (be16(b, off + 2) & 0xFFF9) != 0;
        nh = b[off];
        off += elen;
        count += 1;
        if frag {
            m.protocol = Some(nh);
            m.flags.set(Flag::Frag);
            return;
        }
    }
    m.protocol = Some(nh);
    parse_l4(cfg, b, m, l3, off, claimed, nh, true);
}

/// Sum of the pseudo-header (addresses, protocol, L4 length) without folding.
fn pseudo_sum(m: &Meta, proto: u8, l4_len: usize) -> u64 {
    let mut s = 0;
    for a in [m.src_ip, m.dst_ip].into_iter().flatten() {
        s = match a {
            IpAddr::V4(a) => sum_words(s, &a.octets()),
            IpAddr::V6(a) => sum_words(s, &a.octets()),
        };
    }
    s + u64::from(proto) + (l4_len as u64 >> 16) + (l4_len as u64 & 0xFFFF)
}

#[allow(clippy::too_many_arguments)]
fn parse_l4(
    cfg: &PacketConfig,
    b: &[u8],
    m: &mut Meta,
    l3: usize,
    l4: usize,
    claimed: usize,
    proto: u8,
    v6: bool,
) {
    let len = b.len();
    m.l4_offset = Some(l4 as u16);
    match (proto, v6) {
        (17, _) => {
            if !need(m, len, l4, 8, claimed) {
                return;
            }
            let Ok(u) = UdpHeaderSlice::from_slice(&b[l4..l4 + 8]) else {
                return;
            };
            m.flags.set(Flag::Udp);
            m.src_port = Some(u.source_port());
            m.dst_port = Some(u.destination_port());
            m.payload_offset = Some((l4 + 8) as u16);
            let ulen = usize::from(u.length());
            if ulen < 8 || l4 + ulen > claimed {
                m.flags.set(Flag::L4BadLen);
                m.flags.set(Flag::Malformed);
                return;
            }
            let end = l4 + ulen;
            if end <= len {
                m.l4_csum = if u.checksum() == 0 {
                    if v6 {
                        L4Csum::Bad
                    } else {
                        L4Csum::Zero
                    }
                } else if fold(pseudo_sum(m, 17, ulen) + sum_words(0, &b[l4..end])) == 0xFFFF {
                    L4Csum::Ok
                } else {
                    L4Csum::Bad
                };
            }
            if m.l4_csum == L4Csum::Bad {
                m.flags.set(Flag::L4BadCsum);
            }
            if u.destination_port() == cfg.roce_udp_port {
                parse_roce(b, m, l3, l4, end, v6);
            }
        }
        (6, _) => {
            if !need(m, len, l4, 20, claimed) {
                return;
            }
            m.flags.set(Flag::Tcp);
            m.src_port = Some(be16(b, l4));
            m.dst_port = Some(be16(b, l4 + 2));
            let doff = usize::from(b[l4 + 12] >> 4);
            if doff < 5 {
                m.flags.set(Flag::Malformed);
                return;
            }
            if doff > 5 {
                m.flags.set(Flag::L4Opt);
            }
            if !need(m, len, l4, doff * 4, claimed) {
                return;
            }
            m.payload_offset = Some((l4 + doff * 4) as u16);
            if claimed <= len {
                let ok = fold(pseudo_sum(m, 6, claimed - l4) + sum_words(0, &b[l4..claimed]));
                m.l4_csum = if ok == 0xFFFF {
                    L4Csum::Ok
                } else {
                    m.flags.set(Flag::L4BadCsum);
                    L4Csum::Bad
                };
            }
        }
        (1, false) | (58, true) if need(m, len, l4, 8, claimed) => {
            m.flags.set(Flag::Icmp);
            m.payload_offset = Some((l4 + 8) as u16);
        }
        _ => {}
    }
}

fn parse_roce(b: &[u8], m: &mut Meta, l3: usize, l4: usize, end: usize, v6: bool) {
    let len = b.len();
    let bth = l4 + 8;
    if !need(m, len, bth, 12, end) {
        return;
    }
    m.flags.set(Flag::Rocev2);
    let (b1, b4) = (b[bth + 1], b[bth + 4]);
    let mut r = Roce {
        opcode: b[bth],
        se: b1 & 0x80 != 0,
        m: b1 & 0x40 != 0,
        pad_cnt: (b1 >> 4) & 3,
        tver: b1 & 0x0F,
        p_key: be16(b, bth + 2),
        fecn: b4 & 0x80 != 0,
        becn: b4 & 0x40 != 0,
        dest_qp: be24(b, bth + 5),
        ack_req: b[bth + 8] & 0x80 != 0,
        psn: be24(b, bth + 9),
        ext_len: 0,
        ext_ok: false,
        reth: None,
        aeth: None,
        deth: None,
        imm: None,
        ieth: None,
        atomic: None,
        atomic_ack: None,
        payload_len: 0,
        icrc: None,
        icrc_ok: None,
    };
    if r.tver != 0 {
        m.flags.set(Flag::RoceBadTver);
    }
    let ext = roce_ext(r.opcode).unwrap_or_else(|| {
        m.flags.set(Flag::RoceUnknownOp);
        RoceExt::default()
    });
    let elen = ext.len();
    r.ext_len = elen as u8;
    let e0 = bth + 12;
    r.ext_ok = need(m, len, e0, elen, end.saturating_sub(4));
    if r.ext_ok {
        let mut o = e0;
        if ext.deth {
            r.deth = Some(Deth {
                q_key: be32(b, o),
                src_qp: be24(b, o + 5),
            });
            o += 8;
        }
        if ext.reth {
            r.reth = Some(Reth {
                va: be64(b, o),
                r_key: be32(b, o + 8),
                dma_len: be32(b, o + 12),
            });
            o += 16;
        }
        if ext.atomic {
            r.atomic = Some(AtomicEth {
                va: be64(b, o),
                r_key: be32(b, o + 8),
                swap_add: be64(b, o + 12),
                compare: be64(b, o + 20),
            });
            o += 28;
        }
        if ext.aeth {
            r.aeth = Some(Aeth {
                syndrome: b[o],
                msn: be24(b, o + 1),
            });
            o += 4;
        }
        if ext.atomic_ack {
            r.atomic_ack = Some(be64(b, o));
            o += 8;
        }
        if ext.imm {
            r.imm = Some(be32(b, o));
            o += 4;
        }
        if ext.ieth {
            r.ieth = Some(be32(b, o));
            o += 4;
        }
        m.payload_offset = Some(o as u16);
        let p = (end - l4) as i64 - 8 - 12 - elen as i64 - i64::from(r.pad_cnt) - 4;
        if p < 0 {
            m.flags.set(Flag::Malformed);
        } else {
            r.payload_len = p as u16;
        }
        if end > len {
            m.flags.set(Flag::Trunc);
        } else {
            let rx = u32::from_le_bytes([b[end - 4], b[end - 3], b[end - 2], b[end - 1]]);
            let ok = rx == icrc(&b[l3..end - 4], v6, l4 - l3);
            r.icrc = Some(rx);
            r.icrc_ok = Some(ok);
            if !ok {
                m.flags.set(Flag::IcrcBad);
            }
        }
    }
    m.roce = Some(r);
}

fn rss(cfg: &PacketConfig, m: &mut Meta) {
    let ht = &cfg.hash_types;
    let (tcp, udp) = (m.flags.has(Flag::Tcp), m.flags.has(Flag::Udp));
    m.rss_type = if m.flags.has(Flag::Ipv4) {
        if tcp && ht.ipv4_tcp {
            RssType::Ipv4Tcp
        } else if udp && ht.ipv4_udp {
            RssType::Ipv4Udp
        } else if ht.ipv4 {
            RssType::Ipv4
        } else {
            RssType::None
        }
    } else if m.flags.has(Flag::Ipv6) {
        if tcp && ht.ipv6_tcp {
            RssType::Ipv6Tcp
        } else if udp && ht.ipv6_udp {
            RssType::Ipv6Udp
        } else if ht.ipv6 {
            RssType::Ipv6
        } else {
            RssType::None
        }
    } else {
        RssType::None
    };
    let mut input = Vec::with_capacity(36);
    if m.rss_type != RssType::None {
        for a in [m.src_ip, m.dst_ip].into_iter().flatten() {
            match a {
                IpAddr::V4(a) => input.extend_from_slice(&a.octets()),
                IpAddr::V6(a) => input.extend_from_slice(&a.octets()),
            }
        }
    }
    if matches!(
        m.rss_type,
        RssType::Ipv4Tcp | RssType::Ipv4Udp | RssType::Ipv6Tcp | RssType::Ipv6Udp
    ) {
        input.extend_from_slice(&m.src_port.unwrap_or(0).to_be_bytes());
        input.extend_from_slice(&m.dst_port.unwrap_or(0).to_be_bytes());
    }
    m.rss_hash = if input.is_empty() {
        0
    } else {
        toeplitz(&cfg.rss_key, &input)
    };
    let n = cfg.indirection.len().max(1);
    m.queue = cfg
        .indirection
        .get(m.rss_hash as usize & (n - 1))
        .copied()
        .unwrap_or(0);
}

/// Applies the first matching exact-match entry; returns whether it says drop.
fn exact_match(cfg: &PacketConfig, m: &mut Meta) -> bool {
    for (i, e) in cfg.em.iter().enumerate() {
        let hit = match e.key {
            EmKey::FiveTuple {
                src,
                dst,
                protocol,
                src_port,
                dst_port,
            } => {
                m.src_ip == Some(src)
                    && m.dst_ip == Some(dst)
                    && m.protocol == Some(protocol)
                    && m.src_port.unwrap_or(0) == src_port
                    && m.dst_port.unwrap_or(0) == dst_port
            }
            EmKey::RoceQp(qp) => m.roce.is_some_and(|r| r.dest_qp == qp),
        };
        if hit {
            m.flags.set(Flag::EmHit);
            m.em_index = Some(i as u16);
            match e.action {
                EmAction::Queue(q) => m.queue = q,
                EmAction::Drop => return true,
                EmAction::Mark(x) => m.mark = Some(x),
            }
            return false;
        }
    }
    false
}

/// Stateful golden engine: numbers frames and keeps the counters.
#[derive(Debug, Clone)]
pub struct GoldenEngine {
    /// Current configuration (may be changed between frames).
    pub config: PacketConfig,
    /// Counters since creation or the last `reset_counters`.
    pub counters: Counters,
    next_index: u64,
}

impl GoldenEngine {
    /// An engine with this configuration and zero counters.
    pub fn new(config: PacketConfig) -> Self {
        GoldenEngine {
            config,
            counters: Counters::default(),
            next_index: 0,
        }
    }

    /// Processes the next frame: metadata with its index, counters updated.
    pub fn process(&mut self, frame: &Frame) -> Meta {
        let mut m = process(&self.config, frame);
        m.index = self.next_index;
        self.next_index += 1;
        self.counters.count(&m);
        m
    }

    /// Clears the counters (frame numbering continues).
    pub fn reset_counters(&mut self) {
        self.counters = Counters::default();
    }
}
