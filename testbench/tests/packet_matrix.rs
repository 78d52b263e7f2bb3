//! The taxi-style matrix, every truncation point, and seeded random frames through the
//! golden model, with expectations written from the stimulus spec (not from the model).

use nicc_rtl::blocks::packet::{PacketParams, Policy};
use nicc_testbench::packet::golden::process;
use nicc_testbench::packet::stimulus::{self, Built, Tags, L3, L4};
use nicc_testbench::packet::{
    DropReason, Flag, Frame, GoldenEngine, L4Csum, Meta, PacketConfig, Verdict,
};

fn jumbo() -> PacketConfig {
    let mut p = PacketParams::default();
    p.set("max_len", "9216").unwrap();
    PacketConfig::from_params(&p).unwrap()
}

/// Checks one well-formed matrix frame against what its spec says.
fn check(b: &Built, m: &Meta, max_len: usize) {
    let s = &b.spec;
    let ctx = format!("{s:?}: flags {:?}", m.flags.names());
    let has = |f: Flag| m.flags.has(f);
    assert!(!has(Flag::Trunc) && !has(Flag::Malformed), "{ctx}");
    let runt = s.size < 60;
    let over = s.size > max_len;
    assert_eq!(has(Flag::Runt), runt, "{ctx}");
    assert_eq!(has(Flag::Oversize), over, "{ctx}");
    let expect_verdict = if runt {
        Verdict::Drop(DropReason::Runt)
    } else if over {
        Verdict::Drop(DropReason::Oversize)
    } else {
        Verdict::Pass
    };
    assert_eq!(m.verdict, expect_verdict, "{ctx}");
    assert_eq!(m.len as usize, s.size);
    assert_eq!(
        has(Flag::VlanS),
        matches!(s.tags, Tags::SC | Tags::Three),
        "{ctx}"
    );
    assert_eq!(has(Flag::VlanC), s.tags != Tags::None, "{ctx}");
    assert_eq!(has(Flag::VlanExtra), s.tags == Tags::Three, "{ctx}");
    if s.tags == Tags::Three {
        let allowed = [
            Flag::VlanS,
            Flag::VlanC,
            Flag::VlanExtra,
            Flag::Runt,
            Flag::Oversize,
        ];
        assert!(
            m.flags.names().len() == allowed.iter().filter(|f| has(**f)).count(),
            "{ctx}"
        );
        assert_eq!(m.rss_hash, 0);
        return;
    }
    let v4 = matches!(s.l3, L3::Ipv4 | L3::Ipv4Opts | L3::Ipv4Frag);
    let v6 = matches!(s.l3, L3::Ipv6 | L3::Ipv6Ext);
    assert_eq!(has(Flag::Ipv4), v4, "{ctx}");
    assert_eq!(has(Flag::Ipv6), v6, "{ctx}");
    assert_eq!(has(Flag::Arp), s.l3 == L3::Arp, "{ctx}");
    assert_eq!(
        has(Flag::L3Opt),
        matches!(s.l3, L3::Ipv4Opts | L3::Ipv6Ext),
        "{ctx}"
    );
    assert_eq!(has(Flag::Frag), s.l3 == L3::Ipv4Frag, "{ctx}");
    assert_eq!(m.ipv4_csum_ok, if v4 { Some(true) } else { None }, "{ctx}");
    if let Some(l3) = b.l3_off {
        assert_eq!(m.l3_offset.map(usize::from), Some(l3), "{ctx}");
    }
    let l4_parsed = (v4 || v6) && s.l3 != L3::Ipv4Frag;
    let l4 = if l4_parsed { s.l4 } else { L4::None };
    assert_eq!(has(Flag::Udp), matches!(l4, L4::Udp | L4::Roce(_)), "{ctx}");
    assert_eq!(has(Flag::Tcp), l4 == L4::Tcp, "{ctx}");
    assert_eq!(has(Flag::Icmp), l4 == L4::Icmp, "{ctx}");
    assert_eq!(has(Flag::Rocev2), matches!(l4, L4::Roce(_)), "{ctx}");
    assert_eq!(has(Flag::L4Opt), l4 == L4::Tcp && s.seed % 2 == 1, "{ctx}");
    let expect_l4 = match l4 {
        L4::Udp | L4::Roce(_) if b.udp_csum_zero => L4Csum::Zero,
        L4::Udp | L4::Roce(_) | L4::Tcp => L4Csum::Ok,
        _ => L4Csum::Na,
    };
    assert_eq!(m.l4_csum, expect_l4, "{ctx}");
    if l4_parsed {
        assert_eq!(m.l4_offset.map(usize::from), b.l4_off, "{ctx}");
    }
    if matches!(l4, L4::Udp | L4::Tcp | L4::Icmp | L4::Roce(_)) {
        assert_eq!(m.payload_offset.map(usize::from), Some(b.hdr_end), "{ctx}");
    }
    if let L4::Roce(op) = l4 {
        let r = m.roce.expect("roce");
        assert_eq!(r.opcode, op);
        assert_eq!(r.icrc_ok, Some(true), "{ctx}");
        assert_eq!(Some(r.payload_len), b.roce_payload_len, "{ctx}");
        assert_eq!(usize::from(r.ext_len), stimulus::roce_ext_len(op));
    } else {
        assert!(m.roce.is_none());
    }
    if v4 || v6 {
        assert_ne!(m.rss_hash, 0, "{ctx}");
    }
}

#[test]
fn matrix_through_golden() {
    let cfgs = [(PacketConfig::default(), 1518), (jumbo(), 9216)];
    let all = stimulus::matrix();
    let mut flips = 0;
    for b in &all {
        for (cfg, max) in &cfgs {
            let m = process(cfg, &Frame::new(b.bytes.clone()));
            check(b, &m, *max);
        }
        let cfg = &cfgs[1].0;
        let s = &b.spec;
        if s.tags == Tags::Three {
            continue;
        }
        let parsed = !matches!(s.l3, L3::Ipv4Frag | L3::Arp | L3::Other);
        // flip the last byte: L4 data (or the ICRC)
        if parsed && b.l4_payload_len > 0 && !matches!(s.l4, L4::None | L4::Icmp) {
            let mut f = b.bytes.clone();
            *f.last_mut().unwrap() ^= 0x01;
            let m = process(cfg, &Frame::new(f));
            let want = if b.udp_csum_zero {
                L4Csum::Zero
            } else {
                L4Csum::Bad
            };
            assert_eq!(m.l4_csum, want, "{s:?}");
            if matches!(s.l4, L4::Roce(_)) {
                assert_eq!(m.roce.unwrap().icrc_ok, Some(false), "{s:?}");
                if s.size >= 60 {
                    assert_eq!(m.verdict, Verdict::Drop(DropReason::Icrc), "{s:?}");
                }
            }
            flips += 1;
        }
        // flip an IPv4 identification byte: header checksum bad
        if let (Some(l3), L3::Ipv4 | L3::Ipv4Opts | L3::Ipv4Frag) = (b.l3_off, s.l3) {
            let mut f = b.bytes.clone();
            f[l3 + 5] ^= 0x40;
            let m = process(cfg, &Frame::new(f));
            assert_eq!(m.ipv4_csum_ok, Some(false), "{s:?}");
            assert!(m.flags.has(Flag::L3BadCsum));
        }
    }
    println!(
        "matrix: {} frames x 2 configs, {flips} corrupted-L4 frames",
        all.len()
    );
    assert!(all.len() > 15_000, "matrix too small: {}", all.len());
}

#[test]
fn every_truncation_point() {
    let cfg = PacketConfig::default();
    let mut cuts = 0usize;
    for (tags, l3, l4) in stimulus::matrix_kinds() {
        for size in [200usize, 1500] {
            let Some(b) = stimulus::build(&stimulus::Spec {
                tags,
                l3,
                l4,
                size,
                seed: size as u64 + 7,
            }) else {
                continue;
            };
            let mut engine = GoldenEngine::new(cfg.clone());
            let full = process(&cfg, &Frame::new(b.bytes.clone()));
            for n in 0..b.bytes.len() {
                if size == 1500 && n > b.hdr_end + 8 && n + 8 < b.bytes.len() {
                    continue; // middle of a long payload: covered at size 200
                }
                let m = engine.process(&Frame::new(b.bytes[..n].to_vec()));
                cuts += 1;
                let ctx = format!("{:?} cut at {n}: {:?}", b.spec, m.flags.names());
                if n < b.hdr_end {
                    assert!(m.flags.has(Flag::Trunc), "{ctx}");
                }
                if matches!(l4, L4::Roce(_)) && b.l3_off.is_some() && l3 != L3::Ipv4Frag {
                    assert!(m.flags.has(Flag::Trunc), "{ctx}");
                    assert!(m.roce.is_none_or(|r| r.icrc_ok.is_none()), "{ctx}");
                }
                if let Some(l3o) = b.l3_off {
                    let iph = match l3 {
                        L3::Ipv4Opts => 28,
                        L3::Ipv6 | L3::Ipv6Ext => 40,
                        _ => 20,
                    };
                    if n >= l3o + iph {
                        assert!(
                            m.flags.has(Flag::Malformed),
                            "IP length beyond the frame: {ctx}"
                        );
                    }
                }
                // the next (complete) frame is unaffected
                let mut again = engine.process(&Frame::new(b.bytes.clone()));
                again.index = full.index;
                assert_eq!(again, full, "{ctx}");
            }
        }
    }
    println!("truncations: {cuts}");
}

#[test]
fn random_frames_keep_invariants() {
    for seed in [1u64, 2, 3] {
        let frames = stimulus::random_frames(seed, 4000);
        let cfg = PacketConfig::default();
        let mut e = GoldenEngine::new(cfg.clone());
        let metas: Vec<Meta> = frames.iter().map(|f| e.process(f)).collect();
        let c = &e.counters;
        assert_eq!(c.frames, 4000);
        assert_eq!(c.good_packets + c.drops.iter().sum::<u64>(), 4000);
        for (f, m) in frames.iter().zip(&metas) {
            assert_eq!(m.len as usize, f.bytes.len());
            // a pass never carries a flag whose policy is drop
            if m.verdict == Verdict::Pass {
                for r in DropReason::ALL {
                    if let Some(fl) = r.flag() {
                        let drop = cfg.policies.get(r.name()) == Some(Policy::Drop);
                        assert!(
                            !(drop && m.flags.has(fl)),
                            "seed {seed} frame {}: {:?}",
                            m.index,
                            m.flags.names()
                        );
                    }
                }
            }
            assert_eq!(m.flags.has(Flag::MacBad), f.bad);
            assert_eq!(m.queue, cfg.indirection[(m.rss_hash & 127) as usize]);
        }
        // reproducible
        let again: Vec<Meta> = stimulus::random_frames(seed, 4000)
            .iter()
            .map(|f| process(&cfg, f))
            .collect();
        for (a, b) in again.iter().zip(&metas) {
            assert_eq!(a.verdict, b.verdict);
            assert_eq!(a.flags, b.flags);
        }
        println!("seed {seed}: {}", c.to_json());
    }
}

#[test]
fn hostile_random_headers_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(77);
    let cfg = PacketConfig::default();
    let ets: [[u8; 2]; 6] = [
        [8, 0],
        [0x86, 0xDD],
        [0x81, 0],
        [0x88, 0xA8],
        [8, 6],
        [0x12, 0x34],
    ];
    let mut seen = 0u32;
    for _ in 0..30_000 {
        let n = rng.gen_range(0..160);
        let mut b: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
        if n >= 14 {
            b[12..14].copy_from_slice(&ets[rng.gen_range(0..ets.len())]);
        }
        if n >= 15 && rng.gen() {
            b[14] = if rng.gen() { 0x45 } else { 0x60 };
        }
        if n >= 24 && rng.gen() {
            b[23] = 17; // IPv4 protocol UDP
            if n >= 62 {
                // consistent IPv4/UDP lengths toward the RoCE port, random everything else
                b[12..15].copy_from_slice(&[8, 0, 0x45]);
                b[16..18].copy_from_slice(&((n - 14) as u16).to_be_bytes());
                b[20..22].copy_from_slice(&[0, 0]);
                b[36..38].copy_from_slice(&4791u16.to_be_bytes());
                b[38..40].copy_from_slice(&((n - 34) as u16).to_be_bytes());
            }
        }
        let m = process(&cfg, &Frame::new(b.clone()));
        assert_eq!(m.len as usize, b.len());
        seen |= m.flags.0;
        let _ = m.to_json();
    }
    assert!(seen >> (Flag::Rocev2 as u32) & 1 == 1 && seen >> (Flag::Malformed as u32) & 1 == 1);
}

#[test]
fn jsonl_lines_parse() {
    let frames: Vec<Frame> = stimulus::random_frames(5, 50);
    let (metas, counters) = nicc_testbench::packet::run_frames(&PacketConfig::default(), &frames);
    let mut out = Vec::new();
    nicc_testbench::packet::write_meta_jsonl(&mut out, &metas).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 50);
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["index"], i);
        assert!(
            v["verdict"].as_str().unwrap().starts_with("pass")
                || v["verdict"].as_str().unwrap().starts_with("drop:")
        );
    }
    assert_eq!(counters.frames, 50);
}

#[test]
fn hostile_set_flags() {
    let cfg = PacketConfig::default();
    let set = stimulus::hostile_frames(3);
    let mut by_reason = std::collections::BTreeMap::new();
    for (name, f) in &set {
        let m = process(&cfg, f);
        if name.contains(" cut at ") {
            assert!(m.flags.has(Flag::Trunc), "{name}: {:?}", m.flags.names());
        }
        if name.ends_with("tuser bad") {
            assert_eq!(m.verdict, Verdict::Drop(DropReason::MacBad), "{name}");
        }
        if name.contains(" tkeep ") {
            assert_eq!(m.verdict, Verdict::Drop(DropReason::Tkeep), "{name}");
        }
        if name.contains("ipv4 header flipped") {
            assert_eq!(m.ipv4_csum_ok, Some(false), "{name}");
        }
        if name.contains("Roce")
            && name.ends_with("last byte flipped")
            && !name.contains("Three")
            && !name.contains("Frag")
        {
            assert_eq!(m.verdict, Verdict::Drop(DropReason::Icrc), "{name}");
        }
        if name.starts_with("runt") {
            assert_eq!(m.verdict, Verdict::Drop(DropReason::Runt), "{name}");
        }
        if name.starts_with("oversize") {
            assert_eq!(m.verdict, Verdict::Drop(DropReason::Oversize), "{name}");
        }
        *by_reason.entry(m.verdict.text()).or_insert(0u32) += 1;
    }
    println!("hostile: {} frames, verdicts {by_reason:?}", set.len());
    assert!(set.len() > 5000);
}
