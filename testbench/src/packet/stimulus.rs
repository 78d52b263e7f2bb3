//! Stimulus for the packet engine: the taxi-style matrix, hostile frames and seeded random
//! frames. Checksums and ICRCs are made by construction through code paths independent of
//! the golden model: etherparse writes the IPv4 header checksum and the UDP/TCP checksums,
//! `crc32fast` (table/SIMD CRC) computes the ICRC over a separately masked copy.

use etherparse::{
    IpFragOffset, IpNumber, Ipv4Header, Ipv6FlowLabel, Ipv6Header, TcpHeader, UdpHeader,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::meta::{Frame, TkeepFault};

/// VLAN tagging of a matrix frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tags {
    /// Untagged.
    None,
    /// One 802.1Q C-tag.
    C,
    /// 802.1ad S-tag then C-tag.
    SC,
    /// S-tag, C-tag and a third (C) tag: the engine stops parsing.
    Three,
}

/// Network layer of a matrix frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L3 {
    /// IPv4, IHL 5.
    Ipv4,
    /// IPv4 with 8 bytes of options.
    Ipv4Opts,
    /// IPv4 fragment (first fragment when the seed is even, later fragment when odd).
    Ipv4Frag,
    /// IPv6 without extension headers.
    Ipv6,
    /// IPv6 with hop-by-hop, routing, atomic fragment and destination-options headers.
    Ipv6Ext,
    /// ARP request.
    Arp,
    /// Ethertype 0x88B5 (local experimental) with opaque payload.
    Other,
}

/// Transport layer of a matrix frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4 {
    /// UDP with a checksum (over IPv4 the checksum is 0 when the seed is divisible by 3).
    Udp,
    /// TCP (with 12 option bytes when the seed is odd).
    Tcp,
    /// ICMP echo (ICMPv6 over IPv6), checksum 0 (not checked by the engine).
    Icmp,
    /// RoCEv2 with this BTH opcode.
    Roce(u8),
    /// IP protocol 253 (experimental) with opaque payload; nothing for ARP/other.
    None,
}

/// RoCEv2 opcodes covering every extension header: RC SEND_ONLY (none), RC SEND_ONLY_IMM
/// (ImmDt), RC WRITE_ONLY (RETH), RC WRITE_ONLY_IMM (RETH+ImmDt), RC ACK (AETH), RC
/// ATOMIC_ACK (AETH+AtomicAckETH), RC FETCH_ADD (AtomicETH), RC SEND_ONLY_INV (IETH),
/// UD SEND_ONLY (DETH), UD SEND_ONLY_IMM (DETH+ImmDt), UC SEND_ONLY, CNP.
pub const ROCE_OPCODES: [u8; 12] = [
    0x04, 0x05, 0x0A, 0x0B, 0x11, 0x12, 0x14, 0x17, 0x64, 0x65, 0x24, 0x81,
];

/// Extension header bytes per opcode of [`ROCE_OPCODES`] (written here from the IBA table,
/// independently of the golden model's table).
pub fn roce_ext_len(op: u8) -> usize {
    match op {
        0x04 | 0x24 | 0x81 => 0,
        0x05 | 0x11 | 0x17 => 4,
        0x0A => 16,
        0x0B => 20,
        0x12 => 12,
        0x14 => 28,
        0x64 => 8,
        0x65 => 12,
        _ => 0,
    }
}

/// One matrix point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Tags.
    pub tags: Tags,
    /// L3.
    pub l3: L3,
    /// L4.
    pub l4: L4,
    /// Total frame length wanted.
    pub size: usize,
    /// Varies addresses, ports, field values and the sub-variants documented on the enums.
    pub seed: u64,
}

/// What the builder knows about the frame it built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The spec.
    pub spec: Spec,
    /// Frame bytes (`spec.size` long).
    pub bytes: Vec<u8>,
    /// End of the last header the engine parses (payload start); every cut before it is `trunc`.
    pub hdr_end: usize,
    /// Offset of the IP header, if any.
    pub l3_off: Option<usize>,
    /// Offset of the L4 header for IP frames.
    pub l4_off: Option<usize>,
    /// Bytes after the L4 header (L4 payload incl. RoCE headers and ICRC).
    pub l4_payload_len: usize,
    /// UDP checksum written as 0 (IPv4 "no checksum").
    pub udp_csum_zero: bool,
    /// RoCE payload length (UDP len - 8 - 12 - ext - pad - 4) when RoCE.
    pub roce_payload_len: Option<u16>,
}

/// Sizes of the matrix: 14..=128, 1500 and 9000.
pub fn matrix_sizes() -> Vec<usize> {
    (14..=128).chain([1500, 9000]).collect()
}

/// All (tags, l3, l4) combinations of the matrix (L4 only over IP).
pub fn matrix_kinds() -> Vec<(Tags, L3, L4)> {
    let mut out = Vec::new();
    for tags in [Tags::None, Tags::C, Tags::SC, Tags::Three] {
        for l3 in [
            L3::Ipv4,
            L3::Ipv4Opts,
            L3::Ipv4Frag,
            L3::Ipv6,
            L3::Ipv6Ext,
            L3::Arp,
            L3::Other,
        ] {
            if matches!(l3, L3::Arp | L3::Other) {
                out.push((tags, l3, L4::None));
                continue;
            }
            let mut l4s = vec![L4::Udp, L4::Tcp, L4::Icmp, L4::None];
            l4s.extend(ROCE_OPCODES.iter().map(|&o| L4::Roce(o)));
            for l4 in l4s {
                out.push((tags, l3, l4));
            }
        }
    }
    out
}

/// Every matrix frame that fits its size (combinations whose headers are longer are skipped).
pub fn matrix() -> Vec<Built> {
    let mut out = Vec::new();
    let mut seed = 0u64;
    for (tags, l3, l4) in matrix_kinds() {
        for size in matrix_sizes() {
            seed += 1;
            if let Some(b) = build(&Spec {
                tags,
                l3,
                l4,
                size,
                seed,
            }) {
                out.push(b);
            }
        }
    }
    out
}

fn fill(n: usize, seed: u64) -> Vec<u8> {
    let mut r = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED);
    (0..n).map(|_| r.gen()).collect()
}

fn v6_ext_chain() -> Vec<u8> {
    // hop-by-hop (8: PadN), routing type 0 segments-left 0 (8), fragment offset 0 M=0 (8),
    // destination options (16: PadN). Next-header bytes are patched by the caller.
    let mut e = Vec::new();
    e.extend_from_slice(&[43, 0, 1, 4, 0, 0, 0, 0]);
    e.extend_from_slice(&[44, 0, 0, 0, 0, 0, 0, 0]);
    e.extend_from_slice(&[60, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
    e.extend_from_slice(&[0, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    e
}

/// Builds one frame, or `None` when `spec.size` is below the headers' length.
pub fn build(spec: &Spec) -> Option<Built> {
    let s = spec.seed;
    let mut eth = vec![
        0x02,
        0,
        0,
        0,
        (s >> 8) as u8,
        s as u8,
        0x02,
        0,
        0,
        0,
        0xAA,
        0x01,
    ];
    let tag = |tpid: u16, tci: u16| [tpid.to_be_bytes(), tci.to_be_bytes()].concat();
    match spec.tags {
        Tags::None => {}
        Tags::C => eth.extend(tag(0x8100, 0x2000 | (s as u16 & 0xFFF))),
        Tags::SC => {
            eth.extend(tag(0x88A8, 0xA000 | 100));
            eth.extend(tag(0x8100, 0x1000 | (s as u16 & 0xFFF)));
        }
        Tags::Three => {
            eth.extend(tag(0x88A8, 100));
            eth.extend(tag(0x8100, 200));
            eth.extend(tag(0x8100, 300));
        }
    }
    let l2 = eth.len() + 2;
    let hdr_end_l2 = if spec.tags == Tags::Three {
        Some(l2 - 4)
    } else {
        None
    };
    let ethertype: u16 = match spec.l3 {
        L3::Ipv4 | L3::Ipv4Opts | L3::Ipv4Frag => 0x0800,
        L3::Ipv6 | L3::Ipv6Ext => 0x86DD,
        L3::Arp => 0x0806,
        L3::Other => 0x88B5,
    };
    eth.extend_from_slice(&ethertype.to_be_bytes());
    let mut out = Built {
        spec: *spec,
        bytes: Vec::new(),
        hdr_end: l2,
        l3_off: None,
        l4_off: None,
        l4_payload_len: 0,
        udp_csum_zero: false,
        roce_payload_len: None,
    };
    match spec.l3 {
        L3::Arp => {
            let arp: [u8; 28] = [
                0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0xAA, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0,
                0, 2,
            ];
            eth.extend_from_slice(&arp);
            out.hdr_end = l2 + 28;
        }
        L3::Other => {}
        _ => {
            out.l3_off = Some(l2);
            return build_ip(spec, eth, out, hdr_end_l2);
        }
    }
    if eth.len() > spec.size {
        return None;
    }
    let n = spec.size - eth.len();
    eth.extend(fill(n, s));
    out.bytes = eth;
    if let Some(h) = hdr_end_l2 {
        out.hdr_end = h;
    }
    Some(out)
}

fn build_ip(
    spec: &Spec,
    mut eth: Vec<u8>,
    mut out: Built,
    l2_stop: Option<usize>,
) -> Option<Built> {
    let s = spec.seed;
    let v6 = matches!(spec.l3, L3::Ipv6 | L3::Ipv6Ext);
    let ip_hlen = match spec.l3 {
        L3::Ipv4Opts => 28,
        L3::Ipv6 => 40,
        L3::Ipv6Ext => 40 + 40,
        _ => 20,
    };
    let (proto, l4_hlen): (u8, usize) = match spec.l4 {
        L4::Udp => (17, 8),
        L4::Tcp => (6, if s % 2 == 1 { 32 } else { 20 }),
        L4::Icmp => (if v6 { 58 } else { 1 }, 8),
        L4::Roce(op) => (17, 8 + 12 + roce_ext_len(op) + 4),
        L4::None => (253, 0),
    };
    let hdrs = eth.len() + ip_hlen + l4_hlen;
    if hdrs > spec.size {
        return None;
    }
    let data_len = spec.size - hdrs;
    let l3 = eth.len();
    let l4 = l3 + ip_hlen;
    out.l4_off = Some(l4);
    // L4 payload (everything after the UDP/TCP/ICMP header).
    let mut l4_payload: Vec<u8>;
    match spec.l4 {
        L4::Roce(op) => {
            let pad = data_len % 4;
            let mut bth = vec![op, 0x40 | ((pad as u8) << 4), 0xFF, 0xFF];
            bth.push(if s.is_multiple_of(2) { 0xC0 } else { 0 }); // FECN/BECN: masked in the ICRC
            bth.extend_from_slice(&((s as u32).wrapping_mul(7919) & 0xFF_FFFF).to_be_bytes()[1..]);
            bth.push(0x80);
            bth.extend_from_slice(
                &((s as u32).wrapping_mul(104_729) & 0xFF_FFFF).to_be_bytes()[1..],
            );
            l4_payload = bth;
            l4_payload.extend(fill(roce_ext_len(op), s + 1));
            l4_payload.extend(fill(data_len, s));
            l4_payload.extend_from_slice(&[0; 4]); // ICRC, patched below
            out.roce_payload_len = Some((data_len - pad) as u16);
        }
        _ => l4_payload = fill(data_len, s),
    }
    let tcp_hdr = |payload: &[u8], ck: &dyn Fn(&TcpHeader, &[u8]) -> u16| -> Vec<u8> {
        let mut t = TcpHeader::new(1000u16.wrapping_add(s as u16), 80, s as u32, 4096);
        t.ack = true;
        if s % 2 == 1 {
            let _ = t.set_options_raw(&[1; 12]);
        }
        t.checksum = ck(&t, payload);
        t.to_bytes().to_vec()
    };
    let icmp_hdr = vec![if v6 { 128 } else { 8 }, 0, 0, 0, 0, 1, 0, s as u8];
    let payload_len = (l4_hlen_hdr(spec.l4, l4_hlen) + l4_payload.len()) as u16;
    let (sport, dport) = match spec.l4 {
        L4::Roce(_) => (49152 + (s as u16 & 0x3FFF), 4791),
        _ => (2000u16.wrapping_add(s as u16), 53),
    };
    let mut ip_bytes;
    let l4_bytes: Vec<u8>;
    if v6 {
        let ext = if spec.l3 == L3::Ipv6Ext {
            v6_ext_chain()
        } else {
            Vec::new()
        };
        let mut ext = ext;
        if !ext.is_empty() {
            // last ext header's next header = the transport protocol
            ext[24] = proto;
        }
        let h = Ipv6Header {
            traffic_class: (s as u8).wrapping_mul(3),
            flow_label: Ipv6FlowLabel::try_new((s as u32).wrapping_mul(31) & 0xF_FFFF).ok()?,
            payload_length: (ext.len() + usize::from(payload_len)) as u16,
            next_header: IpNumber(if ext.is_empty() { proto } else { 0 }),
            hop_limit: 64,
            source: [
                0x20,
                0x01,
                0x0d,
                0xb8,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                (s >> 8) as u8,
                s as u8,
            ],
            destination: [
                0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22,
            ],
        };
        ip_bytes = h.to_bytes().to_vec();
        ip_bytes.extend_from_slice(&ext);
        let icrc_patch = |p: &mut Vec<u8>, udp: &[u8; 8]| {
            if matches!(spec.l4, L4::Roce(_)) {
                let n = p.len();
                let c = icrc_independent(&ip_bytes, true, udp, &p[..n - 4]);
                p[n - 4..].copy_from_slice(&c.to_le_bytes());
            }
        };
        l4_bytes = match spec.l4 {
            L4::Udp | L4::Roce(_) => {
                let pre = UdpHeader {
                    source_port: sport,
                    destination_port: dport,
                    length: payload_len,
                    checksum: 0,
                };
                icrc_patch(&mut l4_payload, &pre.to_bytes());
                let u = UdpHeader::with_ipv6_checksum(sport, dport, &h, &l4_payload).ok()?;
                [u.to_bytes().to_vec(), l4_payload].concat()
            }
            L4::Tcp => {
                let t = tcp_hdr(&l4_payload, &|t, p| {
                    t.calc_checksum_ipv6(&h, p).unwrap_or(0)
                });
                [t, l4_payload].concat()
            }
            L4::Icmp => [icmp_hdr, l4_payload].concat(),
            L4::None => l4_payload,
        };
    } else {
        let mut h = Ipv4Header::new(
            payload_len,
            64,
            IpNumber(proto),
            [10, 0, (s >> 8) as u8, s as u8],
            [10, 1, 0, 0x22],
        )
        .ok()?;
        h.identification = s as u16;
        h.dscp = etherparse::Ipv4Dscp::try_new((s % 64) as u8).ok()?;
        if spec.l3 == L3::Ipv4Opts {
            h.options = (&[1u8, 1, 1, 1, 0x94, 4, 0, 0][..]).try_into().ok()?; // NOPs + router alert
            h.total_len = h.header_len() as u16 + payload_len;
        }
        if spec.l3 == L3::Ipv4Frag {
            if s.is_multiple_of(2) {
                h.more_fragments = true;
            } else {
                h.fragment_offset = IpFragOffset::try_new(185).ok()?;
            }
        } else {
            h.dont_fragment = true;
        }
        h.header_checksum = h.calc_header_checksum();
        ip_bytes = h.to_bytes().to_vec();
        let icrc_patch = |p: &mut Vec<u8>, udp: &[u8; 8]| {
            if matches!(spec.l4, L4::Roce(_)) {
                let n = p.len();
                let c = icrc_independent(&ip_bytes, false, udp, &p[..n - 4]);
                p[n - 4..].copy_from_slice(&c.to_le_bytes());
            }
        };
        l4_bytes = match spec.l4 {
            L4::Udp | L4::Roce(_) => {
                let pre = UdpHeader {
                    source_port: sport,
                    destination_port: dport,
                    length: payload_len,
                    checksum: 0,
                };
                icrc_patch(&mut l4_payload, &pre.to_bytes());
                let mut u = UdpHeader::with_ipv4_checksum(sport, dport, &h, &l4_payload).ok()?;
                if s.is_multiple_of(3) {
                    u.checksum = 0;
                    out.udp_csum_zero = true;
                }
                [u.to_bytes().to_vec(), l4_payload].concat()
            }
            L4::Tcp => {
                let t = tcp_hdr(&l4_payload, &|t, p| {
                    t.calc_checksum_ipv4(&h, p).unwrap_or(0)
                });
                [t, l4_payload].concat()
            }
            L4::Icmp => [icmp_hdr, l4_payload].concat(),
            L4::None => l4_payload,
        };
    }
    out.hdr_end = match spec.l4 {
        L4::None => l4,
        L4::Roce(op) => l4 + 8 + 12 + roce_ext_len(op),
        _ => l4 + l4_hlen,
    };
    if spec.l3 == L3::Ipv4Frag {
        out.hdr_end = l4; // fragments: L4 is not parsed
    }
    out.l4_payload_len = l4_bytes.len() - l4_hlen_hdr(spec.l4, l4_hlen);
    eth.extend_from_slice(&ip_bytes);
    eth.extend_from_slice(&l4_bytes);
    debug_assert_eq!(eth.len(), spec.size);
    out.bytes = eth;
    if let Some(h) = l2_stop {
        out.hdr_end = h;
        out.l3_off = None;
        out.l4_off = None;
    }
    Some(out)
}

/// Bytes of the UDP/TCP/ICMP header proper (RoCE counts only its UDP header).
fn l4_hlen_hdr(l4: L4, l4_hlen: usize) -> usize {
    match l4 {
        L4::Roce(_) => 8,
        _ => l4_hlen,
    }
}

/// ICRC computed on a separately masked copy with `crc32fast` (independent of the golden
/// model): 8 x 0xFF, IP header(s) with TOS/TTL/checksum or TC/flow/hop-limit set to ones,
/// the UDP header with its checksum set to ones, the BTH with byte 4 set to ones, the rest.
pub fn icrc_independent(ip: &[u8], v6: bool, udp: &[u8; 8], bth_and_rest: &[u8]) -> u32 {
    let mut buf = vec![0xFF; 8];
    let mut ipm = ip.to_vec();
    if v6 {
        ipm[0] |= 0x0F;
        ipm[1..4].fill(0xFF);
        ipm[7] = 0xFF;
    } else {
        ipm[1] = 0xFF;
        ipm[8] = 0xFF;
        ipm[10..12].fill(0xFF);
    }
    buf.extend_from_slice(&ipm);
    let mut u = *udp;
    u[6..8].fill(0xFF);
    buf.extend_from_slice(&u);
    let mut rest = bth_and_rest.to_vec();
    if rest.len() > 4 {
        rest[4] = 0xFF;
    }
    buf.extend_from_slice(&rest);
    crc32fast::hash(&buf)
}

/// Every prefix of `bytes` shorter than `bytes` (lengths 0..len).
pub fn truncations(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    (0..bytes.len()).map(move |n| bytes[..n].to_vec())
}

/// One seeded random frame: a random matrix point (size 14..=1600, sometimes 9000), then with
/// small probabilities a flipped byte, a cut, tuser bad, a tkeep fault, or fully random bytes.
pub fn random_frame(rng: &mut impl Rng) -> Frame {
    if rng.gen_ratio(1, 20) {
        let n = rng.gen_range(0..200);
        return Frame::new((0..n).map(|_| rng.gen()).collect());
    }
    let kinds = matrix_kinds();
    let bytes = loop {
        let (tags, l3, l4) = kinds[rng.gen_range(0..kinds.len())];
        let size = if rng.gen_ratio(1, 50) {
            9000
        } else {
            rng.gen_range(14..=1600)
        };
        if let Some(b) = build(&Spec {
            tags,
            l3,
            l4,
            size,
            seed: rng.gen(),
        }) {
            break b.bytes;
        }
    };
    let mut f = Frame::new(bytes);
    if rng.gen_ratio(1, 10) && !f.bytes.is_empty() {
        let i = rng.gen_range(0..f.bytes.len());
        f.bytes[i] ^= 1 << rng.gen_range(0..8);
    }
    if rng.gen_ratio(1, 20) {
        let n = rng.gen_range(0..=f.bytes.len());
        f.bytes.truncate(n);
    }
    f.bad = rng.gen_ratio(1, 30);
    if rng.gen_ratio(1, 30) {
        f.tkeep_error = if rng.gen() {
            TkeepFault::Zero
        } else {
            TkeepFault::Gap
        };
    }
    f
}

/// `n` random frames from `seed` (ChaCha8, reproducible across platforms).
pub fn random_frames(seed: u64, n: usize) -> Vec<Frame> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| random_frame(&mut rng)).collect()
}

/// IPv4/UDP frames with every header length, IHL 5..=15 (NOP options), each once with a
/// correct header checksum and once with its last header byte changed (a bad one), so every
/// word the header checksum adds has to be summed right (at IHL 5 that byte is the
/// destination address's last, so the UDP checksum is bad too). Names say `ihl N ok|bad`.
pub fn ipv4_header_length_frames(seed: u64) -> Vec<(String, Frame)> {
    let mut out = Vec::new();
    let Some(b) = build(&Spec {
        tags: Tags::None,
        l3: L3::Ipv4,
        l4: L4::Udp,
        size: 128,
        seed,
    }) else {
        return out;
    };
    let Some(l3) = b.l3_off else {
        return out;
    };
    let Ok((h0, rest)) = Ipv4Header::from_slice(&b.bytes[l3..]) else {
        return out;
    };
    let payload_len = h0.total_len - h0.header_len() as u16;
    for ihl in 5..=15usize {
        let mut h = h0.clone();
        let Ok(opts) = (&vec![1u8; 4 * (ihl - 5)][..]).try_into() else {
            continue;
        };
        h.options = opts;
        h.total_len = h.header_len() as u16 + payload_len;
        h.header_checksum = h.calc_header_checksum();
        let bytes = [&b.bytes[..l3], &h.to_bytes()[..], rest].concat();
        let mut bad = bytes.clone();
        bad[l3 + 4 * ihl - 1] ^= 0x80;
        out.push((format!("ihl {ihl} ok"), Frame::new(bytes)));
        out.push((format!("ihl {ihl} bad"), Frame::new(bad)));
    }
    out
}

/// Named malformed and hostile frames: for every matrix kind at 128 bytes, each cut inside
/// its headers, the last byte flipped (bad L4 checksum or ICRC), an IPv4 header byte flipped,
/// tuser bad, both tkeep faults; plus runts, oversize (1519 and 9217 bytes), and random bytes.
pub fn hostile_frames(seed: u64) -> Vec<(String, Frame)> {
    let mut out = Vec::new();
    for (tags, l3, l4) in matrix_kinds() {
        let Some(b) = build(&Spec {
            tags,
            l3,
            l4,
            size: 128,
            seed,
        }) else {
            continue;
        };
        let kind = format!("{tags:?}/{l3:?}/{l4:?}");
        for n in 0..b.hdr_end.min(b.bytes.len()) {
            out.push((
                format!("{kind} cut at {n}"),
                Frame::new(b.bytes[..n].to_vec()),
            ));
        }
        let mut f = b.bytes.clone();
        if let Some(x) = f.last_mut() {
            *x ^= 0x01;
        }
        out.push((format!("{kind} last byte flipped"), Frame::new(f)));
        if let (Some(l3o), L3::Ipv4 | L3::Ipv4Opts | L3::Ipv4Frag) = (b.l3_off, l3) {
            let mut f = b.bytes.clone();
            f[l3o + 4] ^= 0x80;
            out.push((format!("{kind} ipv4 header flipped"), Frame::new(f)));
        }
        out.push((
            format!("{kind} tuser bad"),
            Frame {
                bytes: b.bytes.clone(),
                bad: true,
                tkeep_error: TkeepFault::None,
            },
        ));
        for fault in [TkeepFault::Zero, TkeepFault::Gap] {
            out.push((
                format!("{kind} tkeep {fault:?}"),
                Frame {
                    bytes: b.bytes.clone(),
                    bad: false,
                    tkeep_error: fault,
                },
            ));
        }
    }
    for (size, name) in [
        (59, "runt 59"),
        (40, "runt 40"),
        (1519, "oversize 1519"),
        (9217, "oversize 9217"),
    ] {
        if let Some(b) = build(&Spec {
            tags: Tags::None,
            l3: L3::Ipv4,
            l4: L4::Udp,
            size,
            seed: seed | 1,
        }) {
            out.push((name.to_string(), Frame::new(b.bytes)));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in 0..64 {
        let n = rng.gen_range(0..130);
        out.push((
            format!("random bytes {i}"),
            Frame::new((0..n).map(|_| rng.gen()).collect()),
        ));
    }
    out
}
