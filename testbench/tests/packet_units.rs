//! Co-simulation of the packet-engine units (`nicc_rtl::blocks::packet_units`) under
//! Verilator against the golden math (`nicc_testbench::packet::{math, config}`): one wrapper
//! model holds `pkt_csum` at data_bytes 8, 32 and 64 (one, two and four groups of beat words),
//! `pkt_icrc` at 8 and 16 (and 64 with
//! `NICC_FULL=1`: its 512-input CRC matrix takes minutes to compile), `pkt_toeplitz` (128
//! entries, 8 queue bits) and `pkt_em` (8 entries); every test builds it (cached by content,
//! built once). Random frames and offsets with random idle cycles between beats, plus the known
//! vectors: the Microsoft RSS suite, the hardware ICRC captures of the golden tests, the
//! 0x2FFFD fold. The latency of each unit is checked cycle-exactly. The seed is printed on a
//! failure; `NICC_SEED=<n>` replays it; `NICC_FULL=1` runs 10x more random cases.

use std::net::IpAddr;

use nicc_rtl::blocks::packet_units::{
    pkt_csum, pkt_em, pkt_icrc, pkt_toeplitz, CSUM_LATENCY, EM_LATENCY, ICRC_LATENCY,
    TOEPLITZ_LATENCY,
};
use nicc_rtl::wrap::{prefixed, Part};
use nicc_rtl::{emit, Bits, Design};
use nicc_sim::Model;
use nicc_testbench::packet::config::{EmAction, EmEntry, EmKey, PacketConfig};
use nicc_testbench::packet::math::{fold, icrc, ones_sum, sum_words, toeplitz};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn seed() -> u64 {
    nicc_testbench::test_env::seed_or(0x7063_6b74)
}

fn scale() -> usize {
    if full() {
        10
    } else {
        1
    }
}

/// The wrapper: each unit once as `u_<prefix>`, its ports renamed `<prefix>_<port>`.
fn wrapper() -> Design {
    let mut units = vec![
        ("c8", pkt_csum(8).unwrap()),
        ("c32", pkt_csum(32).unwrap()),
        ("c64", pkt_csum(64).unwrap()),
        ("i8", pkt_icrc(8).unwrap()),
        ("i16", pkt_icrc(16).unwrap()),
        ("t", pkt_toeplitz(128, 8, 8).unwrap()),
        ("e", pkt_em(8).unwrap()),
    ];
    if full() {
        // the 512-bit ICRC matrix alone costs minutes of C++ compilation
        units.push(("i64", pkt_icrc(64).unwrap()));
    }
    let parts: Vec<Part> = units
        .into_iter()
        .map(|(p, module)| Part {
            instance: format!("u_{p}"),
            prefix: format!("{p}_"),
            module,
        })
        .collect();
    emit(&prefixed("pkt_units_tb", &parts).unwrap()).unwrap()
}

/// The Verilated wrapper, reset, with every input at zero.
fn model() -> Model {
    let d = wrapper();
    let mut m = Model::build(&d).unwrap_or_else(|e| panic!("building the wrapper model: {e}"));
    m.reset(2).unwrap();
    m
}

/// Cycle driver: inputs of one cycle by name, then one clock edge, then outputs by name.
struct Tb {
    m: Model,
    cycle: u64,
}

impl Tb {
    fn new() -> Self {
        Tb {
            m: model(),
            cycle: 0,
        }
    }
    fn set(&mut self, name: &str, v: &Bits) {
        let p = self.m.port(name).unwrap();
        self.m.set(p, v).unwrap();
    }
    fn set_u(&mut self, name: &str, v: u64) {
        let w = self.m.port(name).unwrap().width();
        self.set(name, &Bits::from_u64(64, v).slice(0, w.min(64)).zext(w));
    }
    fn get(&mut self, name: &str) -> Bits {
        let p = self.m.port(name).unwrap();
        self.m.get(p)
    }
    fn get_u(&mut self, name: &str) -> u64 {
        let p = self.m.port(name).unwrap();
        self.m.get_u64(p)
    }
    /// One clock edge; afterwards the outputs show the values of the next cycle.
    fn step(&mut self) {
        self.m.step().unwrap();
        self.cycle += 1;
    }
}

// ------------------------------------------------------------------ frame streaming

/// One beat of a frame: data (little-endian lanes), keep count, position, last.
fn beats(frame: &[u8], d: usize) -> Vec<(Bits, usize, usize, bool)> {
    let n = frame.len().div_ceil(d).max(1);
    (0..n)
        .map(|k| {
            let lo = k * d;
            let hi = (lo + d).min(frame.len());
            let mut lane = vec![0u8; d];
            lane[..hi - lo].copy_from_slice(&frame[lo..hi]);
            (
                Bits::from_le_bytes(8 * d as u32, &lane),
                hi - lo,
                lo,
                k == n - 1,
            )
        })
        .collect()
}

fn keep_bits(n: usize, d: usize) -> Bits {
    let mut b = Bits::zero(d as u32);
    for i in 0..n {
        b.set_bit(i as u32, true);
    }
    b
}

/// Streams frames into one unit (prefix `p`, `d` bytes per beat) with random idle cycles;
/// `frame_inputs(tb, k)` sets the per-frame inputs of frame k before each of its beats; the
/// outputs are collected as `(cycle seen, values of out_names)` whenever `out_valid` is 1.
#[allow(clippy::too_many_arguments)]
fn stream(
    tb: &mut Tb,
    p: &str,
    d: usize,
    frames: &[Vec<u8>],
    with_keep: bool,
    rng: &mut ChaCha8Rng,
    mut frame_inputs: impl FnMut(&mut Tb, usize),
    out_names: &[&str],
    latency: u32,
) -> (Vec<u64>, Vec<(u64, Vec<Bits>)>) {
    let mut last_cycles = Vec::new();
    let mut seen = Vec::new();
    let valid = format!("{p}_out_valid");
    let collect = |tb: &mut Tb, seen: &mut Vec<(u64, Vec<Bits>)>| {
        if tb.get_u(&valid) == 1 {
            let v = out_names
                .iter()
                .map(|n| tb.get(&format!("{p}_{n}")))
                .collect();
            seen.push((tb.cycle, v));
        }
    };
    for (k, f) in frames.iter().enumerate() {
        for (data, keep, pos, last) in beats(f, d) {
            while rng.gen_bool(0.2) {
                tb.set_u(&format!("{p}_in_valid"), 0);
                // garbage on the data lines of an idle cycle must not matter
                tb.set_u(&format!("{p}_in_pos"), rng.gen_range(0..4) * d as u64);
                tb.step();
                collect(tb, &mut seen);
            }
            frame_inputs(tb, k);
            tb.set_u(&format!("{p}_in_valid"), 1);
            tb.set(&format!("{p}_in_data"), &data);
            if with_keep {
                tb.set(&format!("{p}_in_keep"), &keep_bits(keep, d));
            }
            tb.set_u(&format!("{p}_in_pos"), pos as u64);
            tb.set_u(&format!("{p}_in_last"), u64::from(last));
            tb.step();
            if last {
                last_cycles.push(tb.cycle);
            }
            collect(tb, &mut seen);
        }
    }
    tb.set_u(&format!("{p}_in_valid"), 0);
    tb.set_u(&format!("{p}_in_last"), 0);
    for _ in 0..latency + 2 {
        tb.step();
        collect(tb, &mut seen);
    }
    (last_cycles, seen)
}

/// Checks the count and the exact latency of the results.
fn check_timing(what: &str, lasts: &[u64], seen: &[(u64, Vec<Bits>)], latency: u32, seed: u64) {
    assert_eq!(
        lasts.len(),
        seen.len(),
        "{what}: {} frames but {} results (seed {seed})",
        lasts.len(),
        seen.len()
    );
    for (k, (l, (c, _))) in lasts.iter().zip(seen).enumerate() {
        // `l` counts the edge that sampled the last beat; the result shows during cycle
        // l - 1 + latency, i.e. after edge l - 1 + latency.
        assert_eq!(
            *c,
            l - 1 + u64::from(latency),
            "{what}: frame {k} result at the wrong cycle (seed {seed})"
        );
    }
}

// ------------------------------------------------------------------ pkt_csum

struct CsumCase {
    frame: Vec<u8>,
    l4_start: usize,
    l4_end: usize,
    ph: u32,
}

fn csum_expect(c: &CsumCase) -> (u16, u16) {
    let b = &c.frame;
    let complete = if b.len() > 14 { ones_sum(&b[14..]) } else { 0 };
    let end = c.l4_end.min(b.len());
    let l4 = if c.l4_start < end {
        fold(sum_words(u64::from(c.ph), &b[c.l4_start..end]))
    } else {
        fold(u64::from(c.ph))
    };
    (complete, l4)
}

fn csum_cases(rng: &mut ChaCha8Rng, n: usize) -> Vec<CsumCase> {
    let mut v = Vec::new();
    // The verilog-ethernet #264 case: a raw sum of 0x2FFFD must fold to 0xFFFF.
    let mut f = vec![0u8; 14];
    f.extend([0xFF; 6]);
    v.push(CsumCase {
        frame: f.clone(),
        l4_start: 14,
        l4_end: 20,
        ph: 0,
    });
    v.push(CsumCase {
        frame: f,
        l4_start: 20,
        l4_end: 20,
        ph: 0x2FFFD,
    });
    // an all-ones frame with the largest pseudo-header sum
    v.push(CsumCase {
        frame: vec![0xFF; 1500],
        l4_start: 34,
        l4_end: 1500,
        ph: 0xFF_FFFF,
    });
    for len in [1, 13, 14, 15, 16, 63, 64, 65] {
        v.push(CsumCase {
            frame: (0..len).map(|_| rng.gen()).collect(),
            l4_start: len.min(14),
            l4_end: len,
            ph: rng.gen_range(0..1 << 24),
        });
    }
    for k in 0..n {
        let len = match k % 10 {
            0 => rng.gen_range(1000..=1518),
            1 if k % 40 == 1 => 9000,
            _ => rng.gen_range(1..=200),
        };
        let frame: Vec<u8> = if k % 7 == 3 {
            (0..len).map(|_| 0xFF - rng.gen_range(0..3)).collect()
        } else {
            (0..len).map(|_| rng.gen()).collect()
        };
        let l4_start = rng.gen_range(0..=len);
        let l4_end = rng.gen_range(l4_start..=len + 8);
        let ph = match k % 3 {
            0 => 0,
            1 => rng.gen_range(0..1 << 24),
            _ => rng.gen_range(0..0x11_0000),
        };
        v.push(CsumCase {
            frame,
            l4_start,
            l4_end,
            ph,
        });
    }
    v
}

fn run_csum(d: usize, n: usize) {
    let seed = seed() ^ d as u64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cases = csum_cases(&mut rng, n);
    let frames: Vec<Vec<u8>> = cases.iter().map(|c| c.frame.clone()).collect();
    let p = format!("c{d}");
    let mut tb = Tb::new();
    let (lasts, seen) = stream(
        &mut tb,
        &p,
        d,
        &frames,
        true,
        &mut rng,
        |tb, k| {
            let c = &cases[k];
            tb.set_u(&format!("{p}_l4_start"), c.l4_start as u64);
            tb.set_u(&format!("{p}_l4_end"), c.l4_end as u64);
            tb.set_u(&format!("{p}_ph_sum"), u64::from(c.ph));
        },
        &["out_complete", "out_l4_sum", "out_l4_ok"],
        CSUM_LATENCY,
    );
    check_timing(
        &format!("pkt_csum d={d}"),
        &lasts,
        &seen,
        CSUM_LATENCY,
        seed,
    );
    for (k, (c, (_, got))) in cases.iter().zip(&seen).enumerate() {
        let (complete, l4) = csum_expect(c);
        let got: Vec<u64> = got.iter().map(|b| b.to_u64().unwrap()).collect();
        assert_eq!(
            got,
            vec![u64::from(complete), u64::from(l4), u64::from(l4 == 0xFFFF)],
            "pkt_csum d={d} frame {k} (len {}, l4 [{}, {}), ph {:#x}): [complete, l4, ok] \
             (seed {seed})",
            c.frame.len(),
            c.l4_start,
            c.l4_end,
            c.ph
        );
    }
}

#[test]
fn csum_d8_random_and_fold_corner() {
    run_csum(8, 150 * scale());
}

#[test]
fn csum_d64_random_and_fold_corner() {
    run_csum(64, 150 * scale());
}

#[test]
fn csum_d32_random_and_fold_corner() {
    run_csum(32, 150 * scale());
}

// ------------------------------------------------------------------ pkt_icrc

struct IcrcCase {
    frame: Vec<u8>,
    l3: usize,
    l4: usize,
    icrc_pos: usize,
    ipv6: bool,
}

fn hexb(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// The hardware captures of the golden tests, with their ICRCs.
fn icrc_known() -> Vec<(IcrcCase, u32)> {
    // RoCEv2 CNP captured on a ConnectX-4 Lx (scapy test/contrib/roce.uts).
    let cnp = hexb(
        "e41d 2dab 2bc2 7cfe 9064 3b32 0800 45c2 003c 718c 4000 4011 9161 0a00 1101 0a00
         1201 0000 12b7 0028 0000 8100 ffff 4000 0118 0000 0000 0000 0000 0000 0000 0000
         0000 0000 0000 82fd 002a",
    );
    // scapy "RoCE layer": UC_SEND_ONLY with 4 bytes of Ethernet padding after the ICRC.
    let mut uc = hexb("248a07a8fa22 248a07a8fa22 0800");
    uc.extend(hexb("4501 0040 0478 4000 4011 b4d5 c0a8 0007 c0a8 0007"));
    uc.extend(hexb("c000 12b7 002c aca2"));
    uc.extend(hexb("24 60 ffff 00 0000d3 00 cf1710"));
    uc.extend(hexb("4630818be28935d90e9a95505401be885e500000"));
    uc.extend(hexb("78f353f3 00000000"));
    vec![
        (
            IcrcCase {
                frame: cnp,
                l3: 14,
                l4: 34,
                icrc_pos: 70,
                ipv6: false,
            },
            0x2a00_fd82,
        ),
        (
            IcrcCase {
                frame: uc,
                l3: 14,
                l4: 34,
                icrc_pos: 34 + 0x2c - 4,
                ipv6: false,
            },
            // wire bytes 78 f3 53 f3, read least-significant byte first
            0xf353_f378,
        ),
    ]
}

fn icrc_cases(rng: &mut ChaCha8Rng, n: usize) -> Vec<IcrcCase> {
    let mut v: Vec<IcrcCase> = icrc_known().into_iter().map(|(c, _)| c).collect();
    for k in 0..n {
        let ipv6 = rng.gen_bool(0.5);
        // any alignment of the IP header, IPv4 options / IPv6 extension headers
        let l3 = if k % 2 == 0 {
            14 + 4 * rng.gen_range(0..3)
        } else {
            rng.gen_range(0..80)
        };
        let hl = if ipv6 {
            40 + 8 * rng.gen_range(0..3)
        } else {
            20 + 4 * rng.gen_range(0..4)
        };
        let l4 = l3 + hl;
        let payload = if k % 10 == 0 {
            rng.gen_range(1000..1400)
        } else {
            rng.gen_range(0..150)
        };
        let udp_len = 8 + 12 + payload + 4;
        let icrc_pos = l4 + udp_len - 4;
        let len = icrc_pos + 4 + rng.gen_range(0..20);
        let mut frame: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        if rng.gen_bool(0.5) {
            let c = icrc(&frame[l3..icrc_pos], ipv6, l4 - l3);
            frame[icrc_pos..icrc_pos + 4].copy_from_slice(&c.to_le_bytes());
        }
        v.push(IcrcCase {
            frame,
            l3,
            l4,
            icrc_pos,
            ipv6,
        });
    }
    v
}

fn run_icrc(d: usize, n: usize) {
    let seed = seed() ^ (d as u64) << 8;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cases = icrc_cases(&mut rng, n);
    let frames: Vec<Vec<u8>> = cases.iter().map(|c| c.frame.clone()).collect();
    let p = format!("i{d}");
    let mut tb = Tb::new();
    let (lasts, seen) = stream(
        &mut tb,
        &p,
        d,
        &frames,
        false,
        &mut rng,
        |tb, k| {
            let c = &cases[k];
            tb.set_u(&format!("{p}_l3_start"), c.l3 as u64);
            tb.set_u(&format!("{p}_l4_start"), c.l4 as u64);
            tb.set_u(&format!("{p}_icrc_pos"), c.icrc_pos as u64);
            tb.set_u(&format!("{p}_ipv6"), u64::from(c.ipv6));
        },
        &["out_crc", "out_rx", "out_ok"],
        ICRC_LATENCY,
    );
    check_timing(
        &format!("pkt_icrc d={d}"),
        &lasts,
        &seen,
        ICRC_LATENCY,
        seed,
    );
    let mut oks = 0;
    for (k, (c, (_, got))) in cases.iter().zip(&seen).enumerate() {
        let b = &c.frame;
        let crc = icrc(&b[c.l3..c.icrc_pos], c.ipv6, c.l4 - c.l3);
        let rx = u32::from_le_bytes(b[c.icrc_pos..c.icrc_pos + 4].try_into().unwrap());
        let got: Vec<u64> = got.iter().map(|b| b.to_u64().unwrap()).collect();
        assert_eq!(
            got,
            vec![u64::from(crc), u64::from(rx), u64::from(crc == rx)],
            "pkt_icrc d={d} frame {k} (len {}, l3 {}, l4 {}, icrc at {}, ipv6 {}): \
             [crc, rx, ok] (seed {seed})",
            b.len(),
            c.l3,
            c.l4,
            c.icrc_pos,
            c.ipv6
        );
        oks += usize::from(crc == rx);
    }
    assert!(
        oks > n / 4,
        "too few frames with a good ICRC to mean anything"
    );
    for (k, (_, want)) in icrc_known().iter().enumerate() {
        assert_eq!(
            seen[k].1[0].to_u64(),
            Some(u64::from(*want)),
            "known vector {k}"
        );
        assert_eq!(seen[k].1[2].to_u64(), Some(1), "known vector {k} ok");
    }
}

#[test]
fn icrc_d8_known_and_random() {
    run_icrc(8, 120 * scale());
}

#[test]
fn icrc_d16_known_and_random() {
    run_icrc(16, 120 * scale());
}

/// data_bytes = 64 runs under `NICC_FULL=1` only (its Verilator build is the slow part).
#[test]
fn icrc_d64_known_and_random_full_only() {
    if full() {
        run_icrc(64, 120 * scale());
    }
}

// ------------------------------------------------------------------ pkt_toeplitz

/// `in_type` codes of the port list.
const T_NONE: u8 = 0;
const T_V4: u8 = 1;
const T_V4P: u8 = 2;
const T_V6: u8 = 3;
const T_V6P: u8 = 4;

#[path = "support/rss_suite.rs"]
mod rss_suite;
use nicc_testbench::test_env::full;
use rss_suite::RSS_SUITE;

struct Lookup {
    ty: u8,
    src: u128,
    dst: u128,
    sport: u16,
    dport: u16,
    key: Vec<u8>,
}

fn addr(a: &str) -> (bool, u128) {
    match a.parse::<IpAddr>().unwrap() {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

/// The golden Toeplitz input of a lookup (network order, as `golden::rss` assembles it).
fn toeplitz_input(l: &Lookup) -> Vec<u8> {
    let mut v = Vec::new();
    match l.ty {
        T_V4 | T_V4P => {
            v.extend((l.src as u32).to_be_bytes());
            v.extend((l.dst as u32).to_be_bytes());
        }
        T_V6 | T_V6P => {
            v.extend(l.src.to_be_bytes());
            v.extend(l.dst.to_be_bytes());
        }
        // T_NONE and the unused codes 5..7 hash nothing.
        _ => assert!(l.ty == T_NONE || l.ty > T_V6P),
    }
    if l.ty == T_V4P || l.ty == T_V6P {
        v.extend(l.sport.to_be_bytes());
        v.extend(l.dport.to_be_bytes());
    }
    v
}

/// The `key` port: the first 319 bits of the 40-byte key, MSB first.
fn key_port(key: &[u8]) -> Bits {
    let mut le = key.to_vec();
    le.reverse();
    Bits::from_le_bytes(320, &le).slice(1, 319)
}

#[test]
fn toeplitz_suite_random_and_table() {
    let seed = seed() ^ 0x7465;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cfg = PacketConfig::default();
    assert_eq!(cfg.indirection.len(), 128);
    let mut writes: Vec<(u64, usize, u16)> = Vec::new();
    let mut lookups = Vec::new();
    let mut expect_known = Vec::new();
    for (s, sp, d, dp, h2, h4) in RSS_SUITE {
        let (v6, src) = addr(s);
        let (_, dst) = addr(d);
        for (ty, h) in [
            (if v6 { T_V6 } else { T_V4 }, h2),
            (if v6 { T_V6P } else { T_V4P }, h4),
        ] {
            expect_known.push(h);
            lookups.push(Lookup {
                ty,
                src,
                dst,
                sport: sp,
                dport: dp,
                key: cfg.rss_key.clone(),
            });
        }
    }
    let n = 300 * scale();
    for k in 0..n {
        let key = if k % 2 == 0 {
            cfg.rss_key.clone()
        } else {
            (0..40).map(|_| rng.gen()).collect()
        };
        lookups.push(Lookup {
            ty: rng.gen_range(0..8),
            src: rng.gen(),
            dst: rng.gen(),
            sport: rng.gen(),
            dport: rng.gen(),
            key,
        });
    }
    let mut tb = Tb::new();
    // Phase 1 (reset table), phase 2 after rewriting the whole table, with lookups
    // interleaved with table writes in phase 2.
    let mut results = Vec::new();
    let mut expected = Vec::new();
    let mut issued = Vec::new();
    let half = lookups.len() / 2;
    for (k, l) in lookups.iter().enumerate() {
        let write = k >= half && rng.gen_bool(0.5);
        if write {
            let a = rng.gen_range(0..128);
            let q = rng.gen_range(0..256u16);
            tb.set_u("t_tbl_we", 1);
            tb.set_u("t_tbl_addr", a as u64);
            tb.set_u("t_tbl_data", u64::from(q));
            writes.push((tb.cycle + 1, a, q));
        } else {
            tb.set_u("t_tbl_we", 0);
        }
        tb.set_u("t_in_valid", 1);
        tb.set_u("t_in_type", u64::from(l.ty));
        tb.set("t_in_src", &Bits::from_u128(128, l.src));
        tb.set("t_in_dst", &Bits::from_u128(128, l.dst));
        tb.set_u("t_in_sport", u64::from(l.sport));
        tb.set_u("t_in_dport", u64::from(l.dport));
        tb.set("t_key", &key_port(&l.key));
        tb.step();
        issued.push(tb.cycle);
        let input = toeplitz_input(l);
        let h = if input.is_empty() {
            0
        } else {
            toeplitz(&l.key, &input)
        };
        expected.push(h);
        if tb.get_u("t_out_valid") == 1 {
            results.push((tb.cycle, tb.get_u("t_out_hash"), tb.get_u("t_out_queue")));
        }
    }
    tb.set_u("t_in_valid", 0);
    tb.set_u("t_tbl_we", 0);
    for _ in 0..TOEPLITZ_LATENCY + 1 {
        tb.step();
        if tb.get_u("t_out_valid") == 1 {
            results.push((tb.cycle, tb.get_u("t_out_hash"), tb.get_u("t_out_queue")));
        }
    }
    assert_eq!(results.len(), lookups.len(), "lookup count (seed {seed})");
    for (k, (want, h2)) in expect_known.iter().zip(&expected).enumerate() {
        assert_eq!(
            want, h2,
            "golden toeplitz disagrees with the Microsoft suite row {k}"
        );
    }
    for (k, ((c, h, _), (want, i))) in results.iter().zip(expected.iter().zip(&issued)).enumerate()
    {
        assert_eq!(
            *c,
            i - 1 + u64::from(TOEPLITZ_LATENCY),
            "lookup {k} latency"
        );
        assert_eq!(
            *h,
            u64::from(*want),
            "pkt_toeplitz lookup {k} (type {}): hash (seed {seed})",
            lookups[k].ty
        );
    }
    // Queues: the table is read at edge `issued + 2` (stage 3), so a write sampled at an
    // edge `<= issued + 1` is visible to the lookup.
    for (k, ((_, h, q), i)) in results.iter().zip(&issued).enumerate() {
        let mut t = cfg.indirection.clone();
        for (wc, a, v) in &writes {
            if *wc <= i + 1 {
                t[*a] = *v;
            }
        }
        assert_eq!(
            *q,
            u64::from(t[*h as usize & 127]),
            "pkt_toeplitz lookup {k}: queue (seed {seed})"
        );
    }
}

// ------------------------------------------------------------------ pkt_em

/// A lookup as the golden `exact_match` sees the metadata.
#[derive(Clone, Copy)]
struct EmQuery {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    protocol: Option<u8>,
    sport: u16,
    dport: u16,
    qp: Option<u32>,
}

/// The golden rule (`golden::exact_match`): the first entry whose key matches.
fn em_golden(entries: &[Option<EmEntry>], q: &EmQuery) -> Option<(usize, EmAction)> {
    for (i, e) in entries.iter().enumerate() {
        let Some(e) = e else { continue };
        let hit = match e.key {
            EmKey::FiveTuple {
                src,
                dst,
                protocol,
                src_port,
                dst_port,
            } => {
                q.src == Some(src)
                    && q.dst == Some(dst)
                    && q.protocol == Some(protocol)
                    && q.sport == src_port
                    && q.dport == dst_port
            }
            EmKey::RoceQp(qp) => q.qp == Some(qp),
        };
        if hit {
            return Some((i, e.action));
        }
    }
    None
}

fn ip_u128(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The words of one entry in the documented register layout (None = invalid).
fn em_words(e: &Option<EmEntry>) -> [u32; 11] {
    let mut w = [0u32; 11];
    let Some(e) = e else { return w };
    let (kind, proto) = match e.key {
        EmKey::FiveTuple {
            src,
            dst,
            protocol,
            src_port,
            dst_port,
        } => {
            let (s, d) = (ip_u128(src), ip_u128(dst));
            for k in 0..4 {
                w[k] = (s >> (32 * k)) as u32;
                w[4 + k] = (d >> (32 * k)) as u32;
            }
            w[8] = (u32::from(src_port) << 16) | u32::from(dst_port);
            (u32::from(src.is_ipv6()), protocol)
        }
        EmKey::RoceQp(qp) => {
            w[0] = qp;
            (2, 0)
        }
    };
    let (act, val) = match e.action {
        EmAction::Queue(q) => (0, u32::from(q)),
        EmAction::Drop => (1, 0),
        EmAction::Mark(m) => (2, m),
    };
    w[9] = (1 << 31) | (kind << 24) | (act << 16) | u32::from(proto);
    w[10] = val;
    w
}

fn write_em(tb: &mut Tb, slot: usize, e: &Option<EmEntry>) {
    for (k, w) in em_words(e).iter().enumerate() {
        tb.set_u("e_cfg_we", 1);
        tb.set_u("e_cfg_addr", (slot * 16 + k) as u64);
        tb.set_u("e_cfg_data", u64::from(*w));
        tb.step();
    }
    tb.set_u("e_cfg_we", 0);
}

#[test]
fn em_random_tables() {
    let seed = seed() ^ 0x656d;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pool: Vec<IpAddr> = [
        "10.0.0.1",
        "10.0.0.2",
        "192.168.1.7",
        "2001:db8::1",
        "2001:db8::2",
        "::a00:1", // same low 32 bits as 10.0.0.1
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let mut tb = Tb::new();
    for round in 0..6 * scale() {
        // A fresh table: random keys from a small pool so that hits and shadowed entries occur.
        let mut entries: Vec<Option<EmEntry>> = Vec::new();
        for _ in 0..8 {
            let e = if rng.gen_bool(0.2) {
                None
            } else {
                let key = if rng.gen_bool(0.3) {
                    EmKey::RoceQp(rng.gen_range(0..4) | (rng.gen_range(0..2) << 23))
                } else {
                    let v6 = rng.gen_bool(0.5);
                    let pick = |rng: &mut ChaCha8Rng| {
                        let c: Vec<&IpAddr> = pool.iter().filter(|a| a.is_ipv6() == v6).collect();
                        *c[rng.gen_range(0..c.len())]
                    };
                    EmKey::FiveTuple {
                        src: pick(&mut rng),
                        dst: pick(&mut rng),
                        protocol: [6, 17][rng.gen_range(0..2)],
                        src_port: rng.gen_range(0..2),
                        dst_port: rng.gen_range(0..2) * 4791,
                    }
                };
                let action = match rng.gen_range(0..3) {
                    0 => EmAction::Queue(rng.gen_range(0..256)),
                    1 => EmAction::Drop,
                    _ => EmAction::Mark(rng.gen()),
                };
                Some(EmEntry { key, action })
            };
            entries.push(e);
        }
        for (slot, e) in entries.iter().enumerate() {
            write_em(&mut tb, slot, e);
        }
        // A third of the queries are built from a valid entry's key, so that every round has
        // hits whatever the table drew (with only random queries a table without RoCE
        // entries can see none in 150 queries); the first matching entry still decides.
        let valid: Vec<EmKey> = entries.iter().flatten().map(|e| e.key).collect();
        let mut directed = 0;
        let mut queries = Vec::new();
        for _ in 0..150 {
            let ip = rng.gen_range(0..3); // none, v4, v6
            let pick = |rng: &mut ChaCha8Rng, v6: bool| {
                let c: Vec<&IpAddr> = pool.iter().filter(|a| a.is_ipv6() == v6).collect();
                *c[rng.gen_range(0..c.len())]
            };
            let (src, dst) = match ip {
                0 => (None, None),
                _ => (Some(pick(&mut rng, ip == 2)), Some(pick(&mut rng, ip == 2))),
            };
            let mut q = EmQuery {
                src,
                dst,
                protocol: if ip == 0 || rng.gen_bool(0.1) {
                    None
                } else {
                    Some([6, 17, 1][rng.gen_range(0..3)])
                },
                sport: rng.gen_range(0..2),
                dport: rng.gen_range(0..2) * 4791,
                qp: rng
                    .gen_bool(0.4)
                    .then(|| rng.gen_range(0..4) | (rng.gen_range(0..2) << 23)),
            };
            if !valid.is_empty() && rng.gen_bool(0.3) {
                directed += 1;
                match valid[rng.gen_range(0..valid.len())] {
                    EmKey::FiveTuple {
                        src,
                        dst,
                        protocol,
                        src_port,
                        dst_port,
                    } => {
                        q.src = Some(src);
                        q.dst = Some(dst);
                        q.protocol = Some(protocol);
                        q.sport = src_port;
                        q.dport = dst_port;
                    }
                    EmKey::RoceQp(qp) => q.qp = Some(qp),
                }
            }
            queries.push(q);
        }
        let mut got = Vec::new();
        let mut issued = Vec::new();
        let read = |tb: &mut Tb, got: &mut Vec<(u64, [u64; 4])>| {
            if tb.get_u("e_out_valid") == 1 {
                got.push((
                    tb.cycle,
                    [
                        tb.get_u("e_out_hit"),
                        tb.get_u("e_out_index"),
                        tb.get_u("e_out_action"),
                        tb.get_u("e_out_value"),
                    ],
                ));
            }
        };
        for q in &queries {
            let (v4, v6) = (
                q.src.is_some_and(|a| a.is_ipv4()),
                q.src.is_some_and(|a| a.is_ipv6()),
            );
            tb.set_u("e_in_valid", 1);
            tb.set_u("e_in_ipv4", u64::from(v4));
            tb.set_u("e_in_ipv6", u64::from(v6));
            // absent addresses carry garbage that must not match
            let g: u128 = rng.gen();
            tb.set("e_in_src", &Bits::from_u128(128, q.src.map_or(g, ip_u128)));
            tb.set("e_in_dst", &Bits::from_u128(128, q.dst.map_or(g, ip_u128)));
            tb.set_u("e_in_proto_valid", u64::from(q.protocol.is_some()));
            tb.set_u("e_in_proto", u64::from(q.protocol.unwrap_or(6)));
            tb.set_u("e_in_sport", u64::from(q.sport));
            tb.set_u("e_in_dport", u64::from(q.dport));
            tb.set_u("e_in_roce", u64::from(q.qp.is_some()));
            tb.set_u("e_in_qp", u64::from(q.qp.unwrap_or(0)));
            tb.step();
            issued.push(tb.cycle);
            read(&mut tb, &mut got);
        }
        tb.set_u("e_in_valid", 0);
        for _ in 0..EM_LATENCY + 1 {
            tb.step();
            read(&mut tb, &mut got);
        }
        assert_eq!(
            got.len(),
            queries.len(),
            "round {round}: result count (seed {seed})"
        );
        let mut hits = 0;
        for (k, (q, ((c, g), i))) in queries.iter().zip(got.iter().zip(&issued)).enumerate() {
            assert_eq!(*c, i - 1 + u64::from(EM_LATENCY), "em latency");
            let want = match em_golden(&entries, q) {
                None => [0, 0, 0, 0],
                Some((i, a)) => {
                    hits += 1;
                    match a {
                        EmAction::Queue(v) => [1, i as u64, 0, u64::from(v)],
                        EmAction::Drop => [1, i as u64, 1, 0],
                        EmAction::Mark(v) => [1, i as u64, 2, u64::from(v)],
                    }
                }
            };
            assert_eq!(
                *g, want,
                "pkt_em round {round} query {k}: [hit, index, action, value] (seed {seed})"
            );
        }
        // Every directed query hits (its entry or an earlier one with the same key).
        assert!(
            hits >= directed && hits > 2,
            "round {round}: {hits} hits for {directed} directed queries (seed {seed})"
        );
    }
}
