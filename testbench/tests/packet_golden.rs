//! Known-answer and per-reason tests of the packet engine golden model.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::PacketBuilder;
use nicc_rtl::blocks::packet::{PacketParams, Policy};
use nicc_testbench::packet::golden::process;
use nicc_testbench::packet::math::{icrc, toeplitz};
use nicc_testbench::packet::stimulus::icrc_independent;
use nicc_testbench::packet::{
    DropReason, EmAction, EmEntry, EmKey, Flag, Frame, GoldenEngine, L4Csum, Meta, PacketConfig,
    RssType, TkeepFault, Verdict,
};

fn key() -> Vec<u8> {
    PacketConfig::default().rss_key
}

fn hexb(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn run(bytes: &[u8]) -> Meta {
    process(&PacketConfig::default(), &Frame::new(bytes.to_vec()))
}

fn run_with(cfg: &PacketConfig, bytes: &[u8]) -> Meta {
    process(cfg, &Frame::new(bytes.to_vec()))
}

fn cfg_set(kv: &[(&str, &str)]) -> PacketConfig {
    let mut p = PacketParams::default();
    for (k, v) in kv {
        p.set(k, v).unwrap();
    }
    PacketConfig::from_params(&p).unwrap()
}

// ---------------------------------------------------------------- RSS (Microsoft suite)

#[path = "support/rss_suite.rs"]
mod rss_suite;
use rss_suite::RSS_SUITE;

fn addr_bytes(a: &str) -> Vec<u8> {
    match a.parse::<IpAddr>().unwrap() {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

#[test]
fn toeplitz_matches_microsoft_suite() {
    for (s, sp, d, dp, h2, h4) in RSS_SUITE.iter() {
        let mut input = [addr_bytes(s), addr_bytes(d)].concat();
        assert_eq!(toeplitz(&key(), &input), *h2, "2-tuple {s} -> {d}");
        input.extend_from_slice(&sp.to_be_bytes());
        input.extend_from_slice(&dp.to_be_bytes());
        assert_eq!(
            toeplitz(&key(), &input),
            *h4,
            "4-tuple {s}:{sp} -> {d}:{dp}"
        );
    }
}

fn tcp_frame(src: &str, sp: u16, dst: &str, dp: u16) -> Vec<u8> {
    let eth = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    let b = match (
        src.parse::<IpAddr>().unwrap(),
        dst.parse::<IpAddr>().unwrap(),
    ) {
        (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => eth.ipv6(s.octets(), d.octets(), 64),
        _ => unreachable!("table rows have one family"),
    };
    let b = b.tcp(sp, dp, 1, 1000);
    let payload = [0u8; 40];
    let mut out = Vec::new();
    b.write(&mut out, &payload).unwrap();
    out
}

#[test]
fn rss_through_the_engine() {
    let cfg = PacketConfig::default();
    for (s, sp, d, dp, h2, h4) in RSS_SUITE.iter() {
        let f = tcp_frame(s, *sp, d, *dp);
        let m = run_with(&cfg, &f);
        assert_eq!(m.l4_csum, L4Csum::Ok);
        assert_eq!(m.rss_hash, *h4, "{s}:{sp} -> {d}:{dp}");
        assert_eq!(m.queue, cfg.indirection[(*h4 & 127) as usize]);
        assert!(matches!(m.rss_type, RssType::Ipv4Tcp | RssType::Ipv6Tcp));
        // TCP hashing disabled: falls back to the 2-tuple.
        let mut c2 = cfg.clone();
        c2.hash_types.ipv4_tcp = false;
        c2.hash_types.ipv6_tcp = false;
        assert_eq!(run_with(&c2, &f).rss_hash, *h2);
        // 2-tuple disabled too: hash 0.
        c2.hash_types.ipv4 = false;
        c2.hash_types.ipv6 = false;
        let m0 = run_with(&c2, &f);
        assert_eq!((m0.rss_hash, m0.rss_type), (0, RssType::None));
    }
}

#[test]
fn rss_fragment_and_non_ip() {
    let mut f = tcp_frame("66.9.149.187", 2794, "161.142.100.80", 1766);
    f[14 + 6] |= 0x20; // MF
    f[14 + 10] = 0;
    f[14 + 11] = 0;
    let ck = etherparse::Ipv4HeaderSlice::from_slice(&f[14..34])
        .unwrap()
        .to_header()
        .calc_header_checksum();
    f[24..26].copy_from_slice(&ck.to_be_bytes());
    let m = run(&f);
    assert!(m.flags.has(Flag::Frag) && !m.flags.has(Flag::Tcp));
    assert_eq!(m.ipv4_csum_ok, Some(true));
    assert_eq!((m.rss_hash, m.rss_type), (0x323e8fc2, RssType::Ipv4));
    let mut arp = vec![0xFF; 6];
    arp.extend([2, 0, 0, 0, 0, 1, 8, 6]);
    arp.extend([0u8; 46]);
    let m = run(&arp);
    assert!(m.flags.has(Flag::Arp));
    assert_eq!((m.rss_hash, m.queue), (0, 0));
}

// ---------------------------------------------------------------- ICRC known answers

/// RoCEv2 CNP captured on a ConnectX-4 Lx (scapy test/contrib/roce.uts): ICRC on the wire
/// 82 fd 00 2a.
const CNP_CX4: &str =
    "e41d 2dab 2bc2 7cfe 9064 3b32 0800 45c2 003c 718c 4000 4011 9161 0a00 1101 0a00
    1201 0000 12b7 0028 0000 8100 ffff 4000 0118 0000 0000 0000 0000 0000 0000 0000
    0000 0000 0000 82fd 002a";

#[test]
fn icrc_known_answer_connectx4_cnp() {
    let f = hexb(CNP_CX4);
    assert_eq!(f.len(), 74);
    let m = run(&f);
    assert_eq!(m.verdict, Verdict::Pass);
    assert_eq!(m.ipv4_csum_ok, Some(true));
    assert_eq!(m.l4_csum, L4Csum::Zero);
    let r = m.roce.expect("rocev2");
    assert_eq!(
        (r.opcode, r.dest_qp, r.psn, r.p_key),
        (0x81, 0x118, 0, 0xFFFF)
    );
    assert!(r.becn && !r.fecn);
    assert_eq!(r.icrc, Some(0x2a00fd82));
    assert_eq!(r.icrc_ok, Some(true));
    assert_eq!(r.payload_len, 16);
    // the independent crc32fast path agrees on the same bytes
    let udp: [u8; 8] = f[34..42].try_into().unwrap();
    assert_eq!(
        icrc_independent(&f[14..34], false, &udp, &f[42..70]),
        0x2a00fd82
    );
    assert_eq!(icrc(&f[14..70], false, 20), 0x2a00fd82);
}

#[test]
fn icrc_known_answer_scapy_uc_send_only() {
    // scapy test/contrib/roce.uts "RoCE layer": UC_SEND_ONLY, M=1, PadCnt=2, ICRC 0x78f353f3
    // (wire bytes 78 f3 53 f3), IP checksum 0xb4d5, UDP checksum 0xaca2, 4 bytes of padding.
    let mut f = hexb("248a07a8fa22 248a07a8fa22 0800");
    f.extend(hexb("4501 0040 0478 4000 4011 b4d5 c0a8 0007 c0a8 0007"));
    f.extend(hexb("c000 12b7 002c aca2"));
    f.extend(hexb("24 60 ffff 00 0000d3 00 cf1710"));
    f.extend(hexb("4630818be28935d90e9a95505401be885e500000"));
    f.extend(hexb("78f353f3 00000000"));
    let m = run(&f);
    assert_eq!(m.ipv4_csum_ok, Some(true));
    assert_eq!(m.l4_csum, L4Csum::Ok);
    let r = m.roce.unwrap();
    assert_eq!(
        (r.opcode, r.m, r.pad_cnt, r.dest_qp, r.psn),
        (0x24, true, 2, 211, 13571856)
    );
    assert_eq!(r.icrc_ok, Some(true));
    assert_eq!(r.payload_len, 44 - 8 - 12 - 2 - 4);
    assert_eq!(m.verdict, Verdict::Pass);
    assert_eq!(m.flags.names(), vec!["ipv4", "udp", "rocev2"]);
}

// ---------------------------------------------------------------- checksums

#[test]
fn ipv4_checksum_needs_full_fold() {
    let mut h = etherparse::Ipv4Header::new(
        8,
        255,
        etherparse::IpNumber(17),
        [255; 4],
        [255, 255, 255, 254],
    )
    .unwrap();
    h.identification = 0xFFFF;
    h.dscp = etherparse::Ipv4Dscp::try_new(63).unwrap();
    h.ecn = etherparse::Ipv4Ecn::try_new(3).unwrap();
    h.header_checksum = h.calc_header_checksum();
    let hb = h.to_bytes();
    let raw: u32 = hb
        .chunks(2)
        .map(|c| u32::from(c[0]) << 8 | u32::from(c[1]))
        .sum();
    assert!(raw >= 0x2FFFD, "raw sum {raw:#x}");
    // the verilog-ethernet #264 fold (one carry bit) rejects this header
    let one_bit = (raw & 0xFFFF) + ((raw >> 16) & 1);
    assert_ne!(one_bit & 0xFFFF, 0xFFFF);
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0];
    f.extend_from_slice(&hb);
    f.extend([0, 1, 0, 2, 0, 8, 0, 0]);
    f.resize(60, 0);
    let m = run(&f);
    assert_eq!(m.ipv4_csum_ok, Some(true));
    assert!(!m.flags.has(Flag::L3BadCsum));
    f[14 + 4] ^= 1;
    assert_eq!(run(&f).ipv4_csum_ok, Some(false));
}

#[test]
fn csum_complete_definition() {
    let mut f = vec![0u8; 14];
    assert_eq!(run(&f).csum_complete, 0);
    f.extend([0x01, 0x02, 0x03]);
    assert_eq!(run(&f).csum_complete, 0x0402);
    f.truncate(14);
    f.extend([0xFF, 0xFF, 0x00, 0x02]);
    assert_eq!(run(&f).csum_complete, 0x0002);
    // 0xFFFF + 0xFFFF + 0x0001 = 0x1FFFF: the first fold carries again (0x10000 -> 0x0001)
    f.truncate(14);
    f.extend([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01]);
    assert_eq!(run(&f).csum_complete, 0x0001);
    // relation to the L4 checksum on an untagged, unpadded UDP/IPv4 frame: the sum over the
    // IP header is 0xFFFF, so csum_complete + pseudo-header folds to 0xFFFF (checksum ok)
    let mut out = Vec::new();
    PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv4([1, 2, 3, 4], [5, 6, 7, 8], 9)
        .udp(1, 2)
        .write(&mut out, &[7u8; 33])
        .unwrap();
    let m = run(&out);
    let ul = (out.len() - 34) as u64;
    let s = u64::from(m.csum_complete) + 0x0102 + 0x0304 + 0x0506 + 0x0708 + 17 + ul;
    let mut s2 = s;
    while s2 > 0xFFFF {
        s2 = (s2 & 0xFFFF) + (s2 >> 16);
    }
    // header (0xFFFF == 0 in ones' complement) + pseudo + UDP = 0xFFFF
    assert_eq!(s2, 0xFFFF);
}

fn udp_frame(v6: bool, payload: &[u8]) -> Vec<u8> {
    let eth = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    let b = if v6 {
        eth.ipv6([0x20; 16], [0x30; 16], 64).udp(1234, 53)
    } else {
        eth.ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).udp(1234, 53)
    };
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

#[test]
fn l4_checksum_states() {
    for v6 in [false, true] {
        let f = udp_frame(v6, &[5u8; 31]);
        let csum_at = if v6 { 14 + 40 + 6 } else { 14 + 20 + 6 };
        let m = run(&f);
        assert_eq!(m.l4_csum, L4Csum::Ok);
        let mut bad = f.clone();
        *bad.last_mut().unwrap() ^= 0x80;
        let mb = run(&bad);
        assert_eq!(mb.l4_csum, L4Csum::Bad);
        assert!(mb.flags.has(Flag::L4BadCsum));
        assert_eq!(mb.verdict, Verdict::Pass, "l4_csum is flag by default");
        let c = cfg_set(&[("drop_l4_csum", "drop")]);
        assert_eq!(
            run_with(&c, &bad).verdict,
            Verdict::Drop(DropReason::L4Csum)
        );
        let mut zero = f.clone();
        zero[csum_at] = 0;
        zero[csum_at + 1] = 0;
        assert_eq!(
            run(&zero).l4_csum,
            if v6 { L4Csum::Bad } else { L4Csum::Zero }
        );
        // Ethernet padding is not part of the L4 checksum
        let mut padded = f.clone();
        padded.extend([0xAB; 20]);
        assert_eq!(run(&padded).l4_csum, L4Csum::Ok);
    }
    // TCP with options, bad after a flip
    let mut out = Vec::new();
    let mut t = etherparse::TcpHeader::new(1, 2, 3, 4);
    t.set_options_raw(&[1, 1, 1, 1]).unwrap();
    let ip = etherparse::Ipv4Header::new(
        (t.header_len() + 3) as u16,
        64,
        etherparse::IpNumber(6),
        [1; 4],
        [2; 4],
    )
    .unwrap();
    let mut ip = ip;
    ip.header_checksum = ip.calc_header_checksum();
    t.checksum = t.calc_checksum_ipv4(&ip, &[9, 9, 9]).unwrap();
    out.extend([0u8; 12]);
    out.extend([8, 0]);
    out.extend(ip.to_bytes());
    out.extend(t.to_bytes());
    out.extend([9, 9, 9]);
    let m = run(&out);
    assert!(m.flags.has(Flag::Tcp) && m.flags.has(Flag::L4Opt));
    assert_eq!(m.l4_csum, L4Csum::Ok);
    assert_eq!(m.payload_offset, Some(14 + 20 + 24));
    out[14 + 20 + 24] ^= 1;
    assert_eq!(run(&out).l4_csum, L4Csum::Bad);
}

// ---------------------------------------------------------------- RoCE extension headers

fn bth(op: u8, pad: u8, tver: u8) -> Vec<u8> {
    let mut b = vec![op, 0x80 | (pad << 4) | tver, 0x12, 0x34, 0x00];
    b.extend([0xAB, 0xCD, 0xEF, 0x80, 0x01, 0x02, 0x03]);
    b
}

/// RoCEv2 over IPv4 built with etherparse, UDP checksum 0, ICRC patched by the independent
/// crc32fast path.
fn roce_v4(op: u8, ext: &[u8], data: &[u8], pad: u8, tver: u8) -> Vec<u8> {
    let mut payload = bth(op, pad, tver);
    payload.extend_from_slice(ext);
    payload.extend_from_slice(data);
    payload.extend([0; 4]);
    let mut out = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([192, 168, 0, 1], [192, 168, 0, 2], 64)
        .udp(49152, 4791)
        .write(&mut out, &payload)
        .unwrap();
    out[40] = 0;
    out[41] = 0;
    let n = out.len();
    let udp: [u8; 8] = out[34..42].try_into().unwrap();
    let c = icrc_independent(&out[14..34], false, &udp, &out[42..n - 4]);
    out[n - 4..].copy_from_slice(&c.to_le_bytes());
    out
}

#[test]
fn roce_extension_headers_decode() {
    let va = hexb("0123456789abcdef");
    let data = [0x55u8; 30];
    // RETH (RC RDMA WRITE ONLY)
    let reth = [va.clone(), hexb("11223344 00001000")].concat();
    let m = run(&roce_v4(0x0A, &reth, &data, 2, 0));
    let r = m.roce.unwrap();
    assert_eq!(r.reth.unwrap().va, 0x0123456789abcdef);
    assert_eq!(
        (r.reth.unwrap().r_key, r.reth.unwrap().dma_len),
        (0x11223344, 0x1000)
    );
    assert_eq!((r.ext_len, r.payload_len), (16, 28));
    assert_eq!(
        (r.dest_qp, r.psn, r.p_key, r.ack_req, r.se),
        (0xABCDEF, 0x010203, 0x1234, true, true)
    );
    assert_eq!(r.icrc_ok, Some(true));
    assert_eq!(m.payload_offset, Some(14 + 20 + 8 + 12 + 16));
    // RETH + ImmDt
    let r = run(&roce_v4(
        0x0B,
        &[reth.clone(), hexb("cafef00d")].concat(),
        &data,
        0,
        0,
    ))
    .roce
    .unwrap();
    assert_eq!(
        (r.imm, r.ext_len, r.payload_len),
        (Some(0xcafef00d), 20, 30)
    );
    // AETH + AtomicAckETH
    let r = run(&roce_v4(
        0x12,
        &hexb("1f000102 8899aabbccddeeff"),
        &[],
        0,
        0,
    ))
    .roce
    .unwrap();
    assert_eq!(r.aeth.unwrap().syndrome, 0x1f);
    assert_eq!(r.aeth.unwrap().msn, 0x000102);
    assert_eq!(r.atomic_ack, Some(0x8899aabbccddeeff));
    // AtomicETH (FETCH_ADD)
    let at = [
        va.clone(),
        hexb("01020304"),
        hexb("0000000000000005"),
        hexb("ffffffffffffffff"),
    ]
    .concat();
    let r = run(&roce_v4(0x14, &at, &[], 0, 0)).roce.unwrap();
    let a = r.atomic.unwrap();
    assert_eq!(
        (a.va, a.r_key, a.swap_add, a.compare),
        (0x0123456789abcdef, 0x01020304, 5, u64::MAX)
    );
    // DETH + ImmDt (UD SEND ONLY IMM)
    let r = run(&roce_v4(
        0x65,
        &hexb("80010000 00 000777 deadbeef"),
        &data,
        0,
        0,
    ))
    .roce
    .unwrap();
    assert_eq!(r.deth.unwrap().q_key, 0x80010000);
    assert_eq!(r.deth.unwrap().src_qp, 0x777);
    assert_eq!(r.imm, Some(0xdeadbeef));
    // IETH (RC SEND ONLY WITH INVALIDATE)
    let r = run(&roce_v4(0x17, &hexb("0badcafe"), &data, 0, 0))
        .roce
        .unwrap();
    assert_eq!(r.ieth, Some(0x0badcafe));
    assert_eq!(r.icrc_ok, Some(true));
}

#[test]
fn roce_bad_icrc_tver_and_unknown_opcode() {
    let good = roce_v4(0x04, &[], &[1, 2, 3, 4], 0, 0);
    assert_eq!(run(&good).verdict, Verdict::Pass);
    // FECN/BECN and the masked IP fields do not change the ICRC
    let mut masked = good.clone();
    masked[14 + 20 + 8 + 4] = 0xC0;
    masked[14 + 8] = 3; // TTL (IPv4 checksum now bad, ICRC still good)
    let m = run(&masked);
    assert_eq!(m.roce.unwrap().icrc_ok, Some(true));
    assert!(m.flags.has(Flag::L3BadCsum));
    // a payload byte flipped: drop:icrc and counted
    let mut bad = good.clone();
    bad[14 + 20 + 8 + 12] ^= 0x10;
    let mut e = GoldenEngine::new(PacketConfig::default());
    let m = e.process(&Frame::new(bad));
    assert_eq!(m.verdict, Verdict::Drop(DropReason::Icrc));
    assert!(m.flags.has(Flag::IcrcBad));
    assert_eq!(e.counters.drop_count(DropReason::Icrc), 1);
    // TVer 1 (ICRC recomputed by the builder): drop:roce_tver
    let m = run(&roce_v4(0x04, &[], &[1, 2, 3, 4], 0, 1));
    assert!(m.flags.has(Flag::RoceBadTver));
    assert_eq!(m.verdict, Verdict::Drop(DropReason::RoceTver));
    // unknown opcode (RD SEND ONLY 0x44): flagged, no extension headers, ICRC still checked
    let m = run(&roce_v4(0x44, &[], &[1, 2, 3, 4], 0, 0));
    assert!(m.flags.has(Flag::RoceUnknownOp));
    assert_eq!(m.roce.unwrap().icrc_ok, Some(true));
    assert_eq!(m.verdict, Verdict::Pass);
    // UDP length too short for BTH + extension headers + ICRC: malformed
    let mut short = roce_v4(0x0A, &[0; 16], &[], 0, 0);
    short.truncate(short.len() - 8);
    let ul = (short.len() - 34) as u16;
    short[38..40].copy_from_slice(&ul.to_be_bytes());
    let tl = (short.len() - 14) as u16;
    short[16..18].copy_from_slice(&tl.to_be_bytes());
    short.extend([0u8; 20]); // Ethernet padding: the frame holds the bytes, the UDP length does not
    let m = run(&short);
    assert!(
        m.flags.has(Flag::Malformed) && !m.flags.has(Flag::Trunc),
        "{:?}",
        m.flags.names()
    );
    assert!(!m.roce.unwrap().ext_ok);
    // a different RoCE port in the config
    let c = cfg_set(&[("roce_udp_port", "4792")]);
    assert!(!run_with(&c, &good).flags.has(Flag::Rocev2));
}

// ---------------------------------------------------------------- parser flags and drops

fn v4_frame_with(ihl_opts: &[u8], proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut h = etherparse::Ipv4Header::new(
        l4.len() as u16,
        64,
        etherparse::IpNumber(proto),
        [10, 0, 0, 1],
        [10, 0, 0, 2],
    )
    .unwrap();
    h.options = ihl_opts.try_into().unwrap();
    h.total_len = (h.header_len() + l4.len()) as u16;
    h.header_checksum = h.calc_header_checksum();
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0];
    f.extend(h.to_bytes());
    f.extend_from_slice(l4);
    f
}

#[test]
fn size_and_mac_drops() {
    let cfg = PacketConfig::default();
    let f60 = udp_frame(false, &[0; 18]);
    assert_eq!(f60.len(), 60);
    assert_eq!(run(&f60).verdict, Verdict::Pass);
    let m = run(&f60[..59]);
    assert!(m.flags.has(Flag::Runt));
    assert_eq!(m.verdict, Verdict::Drop(DropReason::Runt));
    let f1518 = udp_frame(false, &vec![0; 1518 - 42]);
    assert_eq!(run(&f1518).verdict, Verdict::Pass);
    let f1519 = udp_frame(false, &vec![0; 1519 - 42]);
    let m = run(&f1519);
    assert!(m.flags.has(Flag::Oversize));
    assert_eq!(m.verdict, Verdict::Drop(DropReason::Oversize));
    let jumbo = cfg_set(&[("max_len", "9216")]);
    assert_eq!(run_with(&jumbo, &f1519).verdict, Verdict::Pass);
    let flag_runt = cfg_set(&[("drop_runt", "flag")]);
    assert_eq!(run_with(&flag_runt, &f60[..59]).verdict, Verdict::Pass);
    // MAC bad wins over runt (priority order)
    let bad = Frame {
        bytes: f60[..40].to_vec(),
        bad: true,
        tkeep_error: TkeepFault::None,
    };
    let m = process(&cfg, &bad);
    assert!(m.flags.has(Flag::MacBad) && m.flags.has(Flag::Runt));
    assert_eq!(m.verdict, Verdict::Drop(DropReason::MacBad));
    for fault in [TkeepFault::Zero, TkeepFault::Gap] {
        let f = Frame {
            bytes: f60.clone(),
            bad: false,
            tkeep_error: fault,
        };
        let m = process(&cfg, &f);
        assert!(m.flags.has(Flag::TkeepBad));
        assert_eq!(m.verdict, Verdict::Drop(DropReason::Tkeep));
        // the rest of the record is still computed from the bytes
        assert_eq!(m.l4_csum, L4Csum::Ok);
    }
}

#[test]
fn ipv4_malformed_cases() {
    let base = v4_frame_with(&[], 17, &hexb("0001 0002 000c 0000 01020304"));
    let m = run(&base);
    assert!(m.flags.has(Flag::Udp) && !m.flags.has(Flag::Malformed));
    let c = cfg_set(&[("drop_malformed", "drop"), ("drop_runt", "flag")]);
    // IHL < 5
    let mut f = base.clone();
    f[14] = 0x44;
    let m = run_with(&c, &f);
    assert!(m.flags.has(Flag::Malformed) && !m.flags.has(Flag::Ipv4));
    assert_eq!(m.verdict, Verdict::Drop(DropReason::Malformed));
    // version 5
    f[14] = 0x55;
    assert!(run(&f).flags.has(Flag::Malformed));
    // total length beyond the frame
    let mut f = base.clone();
    f[17] += 1;
    let m = run(&f);
    assert!(m.flags.has(Flag::Malformed) && m.flags.has(Flag::L3BadCsum));
    // total length below the header length
    let mut f = base.clone();
    f[16] = 0;
    f[17] = 19;
    assert!(run(&f).flags.has(Flag::Malformed));
    // UDP length < 8 and beyond the IP payload
    for ul in [7u16, 13] {
        let mut f = base.clone();
        f[38..40].copy_from_slice(&ul.to_be_bytes());
        let m = run(&f);
        assert!(
            m.flags.has(Flag::L4BadLen) && m.flags.has(Flag::Malformed),
            "udp len {ul}"
        );
        assert_eq!(m.l4_csum, L4Csum::Na);
    }
    // TCP data offset < 5
    let mut tcp = vec![0u8; 20];
    tcp[12] = 0x40;
    let m = run(&v4_frame_with(&[], 6, &tcp));
    assert!(m.flags.has(Flag::Tcp) && m.flags.has(Flag::Malformed));
    // options: l3_opt, L4 still found after them
    let m = run(&v4_frame_with(&[1, 1, 1, 0], 1, &[8, 0, 0, 0, 0, 0, 0, 0]));
    assert!(m.flags.has(Flag::L3Opt) && m.flags.has(Flag::Icmp));
    assert_eq!(m.l4_offset, Some(14 + 24));
}

#[test]
fn vlan_tags_and_third_tag() {
    let inner = udp_frame(false, &[0; 30]);
    let tagged = |tags: &[(u16, u16)]| {
        let mut f = inner[..12].to_vec();
        for (tpid, tci) in tags {
            f.extend(tpid.to_be_bytes());
            f.extend(tci.to_be_bytes());
        }
        f.extend_from_slice(&inner[12..]);
        f
    };
    let m = run(&tagged(&[(0x8100, 0x2005)]));
    assert_eq!((m.vlan_c_tci, m.vlan_s_tci), (Some(0x2005), None));
    assert!(m.flags.has(Flag::VlanC) && m.flags.has(Flag::Udp));
    assert_eq!(m.l3_offset, Some(18));
    let m = run(&tagged(&[(0x88A8, 0xA064), (0x8100, 0x1001)]));
    assert_eq!((m.vlan_s_tci, m.vlan_c_tci), (Some(0xA064), Some(0x1001)));
    assert_eq!(m.l4_csum, L4Csum::Ok);
    for tags in [
        vec![(0x88A8, 1), (0x8100, 2), (0x8100, 3)],
        vec![(0x8100, 2), (0x8100, 3)],
        vec![(0x88A8, 1), (0x88A8, 3)],
    ] {
        let m = run(&tagged(&tags));
        assert!(m.flags.has(Flag::VlanExtra), "{tags:?}");
        assert!(!m.flags.has(Flag::Ipv4) && m.l3_offset.is_none());
        assert_eq!(m.verdict, Verdict::Pass);
    }
}

fn v6_with_ext(exts: &[(u8, Vec<u8>)], proto: u8, l4: &[u8]) -> Vec<u8> {
    // exts: (header type, body incl. next-header byte placeholder)
    let mut chain = Vec::new();
    for (i, (_, body)) in exts.iter().enumerate() {
        let mut b = body.clone();
        b[0] = exts.get(i + 1).map_or(proto, |e| e.0);
        chain.extend(b);
    }
    let first = exts.first().map_or(proto, |e| e.0);
    let mut f = vec![
        2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xDD, 0x60, 0, 0, 0,
    ];
    f.extend(((chain.len() + l4.len()) as u16).to_be_bytes());
    f.extend([first, 64]);
    f.extend([0x20; 16]);
    f.extend([0x30; 16]);
    f.extend(chain);
    f.extend_from_slice(l4);
    f
}

#[test]
fn ipv6_extension_headers() {
    let hbh = vec![0, 0, 1, 4, 0, 0, 0, 0];
    let ah = vec![0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]; // (1 + 2) * 4 = 12 bytes
    let frag_first = vec![0, 0, 0x00, 0x01, 0, 0, 0, 9];
    let frag_later = vec![0, 0, 0x00, 0x08, 0, 0, 0, 9];
    let udp = hexb("0001 0002 0008 0000");
    let m = run(&v6_with_ext(
        &[(0, hbh.clone()), (51, ah.clone())],
        17,
        &udp,
    ));
    assert!(m.flags.has(Flag::Ipv6) && m.flags.has(Flag::L3Opt) && m.flags.has(Flag::Udp));
    assert_eq!(m.l4_offset, Some(14 + 40 + 8 + 12));
    assert_eq!(m.protocol, Some(17));
    assert_eq!(m.ttl, Some(64));
    assert_eq!(m.l4_csum, L4Csum::Bad, "UDP checksum 0 over IPv6 is bad");
    for fr in [frag_first, frag_later] {
        let m = run(&v6_with_ext(&[(44, fr)], 17, &udp));
        assert!(m.flags.has(Flag::Frag) && !m.flags.has(Flag::Udp));
        assert_eq!((m.protocol, m.rss_type), (Some(17), RssType::Ipv6));
    }
    let five: Vec<(u8, Vec<u8>)> = (0..5).map(|_| (60, hbh.clone())).collect();
    let m = run(&v6_with_ext(&five, 17, &udp));
    assert!(m.flags.has(Flag::Ipv6ExtLimit) && !m.flags.has(Flag::Udp));
    assert_eq!(m.protocol, Some(60));
    let m = run(&v6_with_ext(&five[..4], 17, &udp));
    assert!(!m.flags.has(Flag::Ipv6ExtLimit) && m.flags.has(Flag::Udp));
    // ICMPv6
    let m = run(&v6_with_ext(&[], 58, &[128, 0, 0, 0, 0, 0, 0, 0]));
    assert!(m.flags.has(Flag::Icmp));
    // version nibble wrong
    let mut f = v6_with_ext(&[], 17, &udp);
    f[14] = 0x40;
    assert!(run(&f).flags.has(Flag::Malformed));
}

#[test]
fn truncation_policy_drop() {
    let f = udp_frame(false, &[0; 40]);
    let c = cfg_set(&[("drop_trunc", "drop"), ("drop_runt", "flag")]);
    let m = run_with(&c, &f[..30]);
    assert!(m.flags.has(Flag::Trunc));
    assert_eq!(m.verdict, Verdict::Drop(DropReason::Trunc));
    assert_eq!(run(&f[..30]).verdict, Verdict::Drop(DropReason::Runt));
    assert_eq!(run(&[]).len, 0);
    assert!(run(&f[..13]).flags.has(Flag::Trunc));
}

#[test]
fn l3_csum_policy() {
    let mut f = udp_frame(false, &[0; 40]);
    f[14 + 5] ^= 1;
    let m = run(&f);
    assert!(m.flags.has(Flag::L3BadCsum));
    assert_eq!(m.verdict, Verdict::Pass);
    let c = cfg_set(&[("drop_l3_csum", "drop")]);
    assert_eq!(run_with(&c, &f).verdict, Verdict::Drop(DropReason::L3Csum));
}

// ---------------------------------------------------------------- exact match and counters

#[test]
fn exact_match_overrides_rss() {
    let f = tcp_frame("66.9.149.187", 2794, "161.142.100.80", 1766);
    let roce = roce_v4(0x04, &[], &[0; 30], 0, 0);
    let mut c = PacketConfig::default();
    let five = EmKey::FiveTuple {
        src: IpAddr::V4(Ipv4Addr::new(66, 9, 149, 187)),
        dst: IpAddr::V4(Ipv4Addr::new(161, 142, 100, 80)),
        protocol: 6,
        src_port: 2794,
        dst_port: 1766,
    };
    c.add_em(EmEntry {
        key: EmKey::RoceQp(0xABCDEF),
        action: EmAction::Queue(77),
    })
    .unwrap();
    c.add_em(EmEntry {
        key: five,
        action: EmAction::Queue(200),
    })
    .unwrap();
    let m = run_with(&c, &f);
    assert_eq!(
        (m.queue, m.em_index, m.rss_hash),
        (200, Some(1), 0x51ccc178)
    );
    assert!(m.flags.has(Flag::EmHit));
    let m = run_with(&c, &roce);
    assert_eq!((m.queue, m.em_index), (77, Some(0)));
    // drop and mark
    let mut d = PacketConfig::default();
    d.add_em(EmEntry {
        key: five,
        action: EmAction::Drop,
    })
    .unwrap();
    assert_eq!(run_with(&d, &f).verdict, Verdict::Drop(DropReason::Em));
    let mut k = PacketConfig::default();
    k.add_em(EmEntry {
        key: five,
        action: EmAction::Mark(0x42),
    })
    .unwrap();
    let m = run_with(&k, &f);
    assert_eq!(
        (m.mark, m.queue),
        (Some(0x42), k.indirection[(0x51ccc178 & 127) as usize])
    );
    // a v6 key never matches a v4 frame; an unmatched port misses
    let mut n = PacketConfig::default();
    n.add_em(EmEntry {
        key: EmKey::FiveTuple {
            src: IpAddr::V6(Ipv6Addr::LOCALHOST),
            dst: IpAddr::V6(Ipv6Addr::LOCALHOST),
            protocol: 6,
            src_port: 2794,
            dst_port: 1766,
        },
        action: EmAction::Drop,
    })
    .unwrap();
    assert_eq!(run_with(&n, &f).em_index, None);
    // table full, queue range, indirection
    let mut full = cfg_set(&[("em_size", "1")]);
    full.add_em(EmEntry {
        key: five,
        action: EmAction::Drop,
    })
    .unwrap();
    assert!(full
        .add_em(EmEntry {
            key: five,
            action: EmAction::Drop
        })
        .is_err());
    assert!(full.set_indirection(vec![0; 3]).is_err());
    assert!(full.set_indirection(vec![256; 128]).is_err());
    assert!(full
        .add_em(EmEntry {
            key: EmKey::RoceQp(1 << 24),
            action: EmAction::Drop
        })
        .is_err());
    let mut t = PacketConfig::default();
    t.set_indirection((0..128).map(|i| 127 - i).collect())
        .unwrap();
    assert_eq!(run_with(&t, &f).queue, 127 - (0x51ccc178 & 127) as u16);
}

#[test]
fn engine_counters_and_json() {
    let mut e = GoldenEngine::new(PacketConfig::default());
    let good = udp_frame(false, &[0; 40]);
    let mut bad_icrc = roce_v4(0x04, &[], &[0; 30], 0, 0);
    *bad_icrc.last_mut().unwrap() ^= 1;
    let frames = [
        Frame::new(good.clone()),
        Frame::new(good[..50].to_vec()),
        Frame::new(bad_icrc),
        Frame {
            bytes: good.clone(),
            bad: true,
            tkeep_error: TkeepFault::None,
        },
        Frame::new(roce_v4(0x0A, &[0; 16], &[1; 64], 0, 0)),
    ];
    let metas: Vec<Meta> = frames.iter().map(|f| e.process(f)).collect();
    assert_eq!(
        metas.iter().map(|m| m.index).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    let c = &e.counters;
    assert_eq!((c.frames, c.good_packets), (5, 2));
    assert_eq!(c.good_bytes, (good.len() + frames[4].bytes.len()) as u64);
    assert_eq!(c.drop_count(DropReason::Runt), 1);
    assert_eq!(c.drop_count(DropReason::Icrc), 1);
    assert_eq!(c.drop_count(DropReason::MacBad), 1);
    assert_eq!(c.flag_count(Flag::Udp), 5);
    assert_eq!(c.flag_count(Flag::Rocev2), 2);
    let j = metas[4].to_json();
    assert_eq!(j["verdict"], "pass");
    assert_eq!(j["l4_csum"], "zero");
    assert_eq!(j["roce"]["opcode"], 10);
    assert_eq!(j["roce"]["dest_qp"], 0xABCDEF);
    assert_eq!(j["roce"]["psn"], 0x010203);
    assert_eq!(j["roce"]["p_key"], 0x1234);
    assert_eq!(j["roce"]["payload_len"], 64);
    assert_eq!(j["roce"]["icrc_ok"], true);
    assert_eq!(j["flags"], serde_json::json!(["ipv4", "udp", "rocev2"]));
    assert!(
        j["rss_hash"].as_str().unwrap().starts_with("0x")
            && j["rss_hash"].as_str().unwrap().len() == 10
    );
    assert_eq!(metas[2].to_json()["verdict"], "drop:icrc");
    assert_eq!(metas[0].to_json()["roce"], serde_json::Value::Null);
    assert_eq!(metas[0].to_json()["ipv4_csum_ok"], true);
    let mut other = metas[4].clone();
    other.queue += 1;
    other.roce.as_mut().unwrap().psn = 0;
    assert_eq!(
        metas[4].diff(&other),
        vec!["queue".to_string(), "roce.psn".to_string()]
    );
    let cj = e.counters.to_json();
    assert_eq!(cj["drops"]["icrc"], 1);
    e.reset_counters();
    assert_eq!(e.counters.frames, 0);
}

#[test]
fn every_flag_and_reason_is_reachable() {
    // union of the flags and verdicts of the frames of this file's cases
    let mut flags = 0u32;
    let mut reasons = std::collections::BTreeSet::new();
    let all_drop = {
        let mut p = PacketParams::default();
        for r in nicc_rtl::blocks::packet::DropPolicies::REASONS {
            p.set(&format!("drop_{r}"), "drop").unwrap();
        }
        PacketConfig::from_params(&p).unwrap()
    };
    let mut cases: Vec<(PacketConfig, Frame)> = Vec::new();
    let d = PacketConfig::default();
    let add = |c: &PacketConfig, b: Vec<u8>, cases: &mut Vec<(PacketConfig, Frame)>| {
        cases.push((c.clone(), Frame::new(b)))
    };
    for b in nicc_testbench::packet::stimulus::matrix()
        .into_iter()
        .filter(|b| b.spec.size == 128)
        .map(|b| b.bytes)
    {
        add(&d, b, &mut cases);
    }
    let mut em = PacketConfig::default();
    em.add_em(EmEntry {
        key: EmKey::RoceQp(0xABCDEF),
        action: EmAction::Drop,
    })
    .unwrap();
    add(&em, roce_v4(0x04, &[], &[0; 30], 0, 0), &mut cases);
    let mut bad = roce_v4(0x04, &[], &[0; 30], 0, 0);
    bad[60] ^= 1;
    add(&all_drop, bad, &mut cases);
    add(&all_drop, roce_v4(0x04, &[], &[0; 30], 0, 1), &mut cases);
    add(&d, roce_v4(0x44, &[], &[0; 30], 0, 0), &mut cases);
    let mut l3 = udp_frame(false, &[0; 40]);
    l3[18] ^= 1;
    add(&all_drop, l3, &mut cases);
    let mut l4 = udp_frame(false, &[0; 40]);
    l4[50] ^= 1;
    add(&all_drop, l4, &mut cases);
    let mut ml = udp_frame(false, &[0; 40]);
    ml[38] = 0xFF;
    add(&all_drop, ml, &mut cases);
    add(
        &all_drop,
        udp_frame(false, &[0; 40])[..30].to_vec(),
        &mut cases,
    );
    let mut trunc_cfg = all_drop.clone();
    trunc_cfg.policies.runt = Policy::Flag;
    add(
        &trunc_cfg,
        udp_frame(false, &[0; 40])[..30].to_vec(),
        &mut cases,
    );
    add(&all_drop, udp_frame(false, &[0; 2000]), &mut cases);
    let hbh = vec![0, 0, 1, 4, 0, 0, 0, 0];
    add(
        &d,
        v6_with_ext(
            &(0..5).map(|_| (60, hbh.clone())).collect::<Vec<_>>(),
            17,
            &[0; 8],
        ),
        &mut cases,
    );
    // Headers ending beyond a 64-byte parse depth (IPv6 + five extension headers + UDP end at
    // byte 102).
    let mut shallow = d.clone();
    shallow.parse_depth = 64;
    add(
        &shallow,
        v6_with_ext(
            &(0..5).map(|_| (60, hbh.clone())).collect::<Vec<_>>(),
            17,
            &[0; 8],
        ),
        &mut cases,
    );
    cases.push((
        d.clone(),
        Frame {
            bytes: udp_frame(false, &[0; 40]),
            bad: true,
            tkeep_error: TkeepFault::None,
        },
    ));
    cases.push((
        d.clone(),
        Frame {
            bytes: udp_frame(false, &[0; 40]),
            bad: false,
            tkeep_error: TkeepFault::Gap,
        },
    ));
    let mut tcp = vec![0u8; 24];
    tcp[12] = 0x60;
    add(&d, v4_frame_with(&[], 6, &tcp), &mut cases);
    for (c, f) in &cases {
        let m = process(c, f);
        flags |= m.flags.0;
        if let Verdict::Drop(r) = m.verdict {
            reasons.insert(r);
        }
    }
    for f in Flag::ALL {
        assert!(
            flags >> (*f as u32) & 1 == 1,
            "flag {} never raised",
            f.name()
        );
    }
    for r in DropReason::ALL {
        assert!(reasons.contains(r), "reason {} never chosen", r.name());
    }
    assert_eq!(Policy::Drop, all_drop.policies.trunc);
}

/// The IHL stimulus is what its names say: every header length 5..=15, options flagged past
/// IHL 5, the header checksum good on `ok` frames and bad on `bad` ones, and the UDP checksum
/// (which does not cover the IP options) good except where the changed byte is the
/// destination address's last (IHL 5).
#[test]
fn ipv4_header_length_frames_cover_every_ihl() {
    let frames = nicc_testbench::packet::stimulus::ipv4_header_length_frames(7);
    assert_eq!(frames.len(), 22);
    for (name, f) in &frames {
        let ihl = usize::from(f.bytes[14] & 0x0F);
        assert!(
            name.starts_with(&format!("ihl {ihl} ")),
            "{name}: IHL {ihl}"
        );
        let m = process(&PacketConfig::default(), f);
        assert!(m.flags.has(Flag::Ipv4) && m.flags.has(Flag::Udp), "{name}");
        assert_eq!(m.flags.has(Flag::L3Opt), ihl > 5, "{name}");
        assert_eq!(
            m.flags.has(Flag::L3BadCsum),
            name.ends_with("bad"),
            "{name}"
        );
        let udp_bad = name == "ihl 5 bad";
        assert_eq!(
            m.l4_csum,
            if udp_bad { L4Csum::Bad } else { L4Csum::Ok },
            "{name}"
        );
    }
}
