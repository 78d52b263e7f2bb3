//! Co-simulation of the packet engine RTL against the golden model, one Verilated model per
//! data width (8 and 64 bytes) and one with the smallest header window (64 bytes) and one
//! extension-header stage, random back-pressure on every stream.
//!
//! `make test` runs, per width: a slice of the taxi-style matrix (every kind at sizes 14..=80
//! step 3, 128, 1500 and 9000 at data_bytes 8; all sizes with NICC_FULL), every hostile frame
//! (cuts inside each header, bad checksums/ICRC, tuser, both tkeep faults, runts, oversize,
//! random bytes), every IPv4 header length with a good and a bad header checksum, 1500
//! random frames, non-default configurations (policies, hash types, EM
//! entries, RoCE port), and the counters. `NICC_FULL=1` adds the whole matrix and 100000
//! random frames per width. `NICC_SEED=<n>` replays a seed (printed on failure).
//! Every field of the record is compared, including the L4 checksum status, CHECKSUM_COMPLETE
//! and the RoCEv2 ICRC.

use std::net::{IpAddr, Ipv4Addr};

use nicc_rtl::blocks::packet::{PacketParams, Policy};
use nicc_rtl::blocks::packet_engine::{FLAG_NAMES, REASON_NAMES};
use nicc_testbench::packet::rtl::RtlEngine;
use nicc_testbench::packet::stimulus::{
    hostile_frames, ipv4_header_length_frames, matrix, random_frames,
};
use nicc_testbench::packet::{
    run_frames, DropReason, EmAction, EmEntry, EmKey, Flag, Frame, PacketConfig,
};
use nicc_testbench::test_env::full;

fn seed() -> u64 {
    nicc_testbench::test_env::seed_or(0x7061_636b)
}

fn params(db: u32) -> PacketParams {
    PacketParams {
        data_bytes: db,
        indirection_size: 32,
        em_size: 4,
        ..PacketParams::default()
    }
}

fn check(e: &mut RtlEngine, cfg: &PacketConfig, frames: &[Frame], bp: f64, seed: u64, what: &str) {
    let c = e.check(cfg, frames, bp, seed, 12).expect("rtl run");
    assert!(
        c.problems.is_empty(),
        "{what} (data_bytes {}, seed {seed}, backpressure {bp}): {} problems:\n{}",
        e.params().data_bytes,
        c.problems.len(),
        c.problems.join("\n")
    );
}

/// A configuration with exact-match entries taken from `frames` (so they hit), other
/// policies and hash types, a reversed indirection table and min_len 64.
fn em_config(p: &PacketParams, frames: &[Frame]) -> PacketConfig {
    let mut cfg = PacketConfig::from_params(p).unwrap();
    let (metas, _) = run_frames(&cfg, frames);
    let qps: Vec<u32> = metas
        .iter()
        .filter_map(|m| m.roce.map(|r| r.dest_qp))
        .collect();
    if let Some(qp) = qps.first() {
        cfg.add_em(EmEntry {
            key: EmKey::RoceQp(*qp),
            action: EmAction::Queue(3),
        })
        .unwrap();
    }
    let tuples: Vec<&nicc_testbench::packet::Meta> = metas
        .iter()
        .filter(|m| m.src_ip.is_some() && m.protocol.is_some())
        .collect();
    for (m, action) in tuples
        .iter()
        .step_by(7)
        .zip([EmAction::Drop, EmAction::Mark(0xABCD)])
    {
        cfg.add_em(EmEntry {
            key: EmKey::FiveTuple {
                src: m.src_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                dst: m.dst_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                protocol: m.protocol.unwrap_or(0),
                src_port: m.src_port.unwrap_or(0),
                dst_port: m.dst_port.unwrap_or(0),
            },
            action,
        })
        .unwrap();
    }
    if let Some(qp) = qps.get(3) {
        cfg.add_em(EmEntry {
            key: EmKey::RoceQp(*qp),
            action: EmAction::Mark(0x1234_5678),
        })
        .unwrap();
    }
    cfg.hash_types.ipv4_udp = false;
    cfg.hash_types.ipv6 = false;
    cfg.roce_udp_port = 4791;
    cfg.policies.trunc = Policy::Drop;
    cfg.policies.l3_csum = Policy::Drop;
    cfg.policies.mac_bad = Policy::Flag;
    cfg.min_len = 64;
    cfg.set_indirection((0..32).map(|i| (31 - i) as u16).collect())
        .unwrap();
    cfg
}

/// Back-to-back minimum-size frames, no back-pressure: one beat per cycle after the latency.
fn back_to_back(e: &mut RtlEngine, cfg: &PacketConfig, db: u32) {
    e.configure(cfg).unwrap();
    let frames: Vec<Frame> = matrix()
        .into_iter()
        .filter(|b| b.bytes.len() == 64)
        .map(|b| Frame::new(b.bytes))
        .take(200)
        .collect();
    let run = e.run(&frames, 0.0, 1).unwrap();
    let beats: u64 = frames
        .iter()
        .map(|f| f.bytes.len().div_ceil(db as usize) as u64)
        .sum();
    assert_eq!(run.beats_in, beats);
    assert!(
        run.cycles <= beats + 40,
        "data_bytes {db}: {} cycles for {beats} beats",
        run.cycles
    );
}

fn width(db: u32) {
    cosim(&params(db));
}

/// The matrix: every kind at small sizes; 1500 and 9000 bytes for every 8th point (all with
/// NICC_FULL).
fn matrix_frames() -> Vec<Frame> {
    matrix()
        .into_iter()
        .enumerate()
        .filter(|(i, b)| {
            full() || {
                let n = b.bytes.len();
                (n <= 80 && n % 3 == 0) || n == 128 || (n >= 1500 && i % 8 == 0)
            }
        })
        .map(|(_, b)| Frame::new(b.bytes))
        .collect()
}

/// Every check of the file on the engine built with `p`.
fn cosim(p: &PacketParams) {
    let s = seed();
    let db = p.data_bytes;
    let t = std::time::Instant::now();
    let mut e = RtlEngine::new(p).expect("build engine");
    eprintln!(
        "data_bytes {db}: model ready in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let cfg = PacketConfig::from_params(p).unwrap();
    back_to_back(&mut e, &cfg, db);
    let frames = matrix_frames();
    let t = std::time::Instant::now();
    check(&mut e, &cfg, &frames, 0.3, s, "matrix");
    eprintln!(
        "data_bytes {db}: matrix {} frames in {:.1} s",
        frames.len(),
        t.elapsed().as_secs_f64()
    );
    // Hostile frames.
    let frames: Vec<Frame> = hostile_frames(s).into_iter().map(|(_, f)| f).collect();
    check(&mut e, &cfg, &frames, 0.2, s + 1, "hostile");
    // Every IPv4 header length with a good and a bad header checksum.
    let frames: Vec<Frame> = ipv4_header_length_frames(s)
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    check(&mut e, &cfg, &frames, 0.2, s + 3, "ipv4 header lengths");
    // Other configuration: EM entries, policies, hash types, indirection.
    let frames: Vec<Frame> = matrix()
        .into_iter()
        .filter(|b| b.bytes.len() == 128 || b.bytes.len() == 61)
        .map(|b| Frame::new(b.bytes))
        .chain(hostile_frames(s + 2).into_iter().map(|(_, f)| f).take(600))
        .collect();
    let cfg2 = em_config(p, &frames);
    check(&mut e, &cfg2, &frames, 0.5, s + 2, "em/policy config");
    // Random frames.
    let n: usize = if full() {
        100_000
    } else if db == 8 {
        500
    } else {
        1500
    };
    let chunk = 2000;
    for k in 0..n.div_ceil(chunk) {
        let frames = random_frames(s + 100 + k as u64, chunk.min(n - k * chunk));
        check(&mut e, &cfg, &frames, 0.25, s + 100 + k as u64, "random");
    }
}

#[test]
fn cosim_data_bytes_8() {
    width(8);
}

#[test]
fn cosim_data_bytes_64() {
    width(64);
}

/// The smallest header window (64 bytes) and one extension-header stage: headers past byte
/// 64 (IPv4 options, IPv6 extension headers, TCP options, RoCE extension headers) stop at the
/// parse depth, and the second extension header at the stage limit.
#[test]
fn cosim_shallow_window_one_extension_stage() {
    let p = PacketParams {
        parse_depth: 64,
        ipv6_ext_max: 1,
        ..params(8)
    };
    // The matrix reaches both limits with this engine, so the run below checks the RTL there.
    let (metas, _) = run_frames(&PacketConfig::from_params(&p).unwrap(), &matrix_frames());
    for f in [Flag::ParseDepth, Flag::Ipv6ExtLimit] {
        let n = metas.iter().filter(|m| m.flags.has(f)).count();
        assert!(n > 0, "no matrix frame sets {}", f.name());
        eprintln!("{}: {n} of {} matrix frames", f.name(), metas.len());
    }
    cosim(&p);
}

#[test]
fn flag_and_reason_order_match_the_metadata_bus() {
    let names: Vec<&str> = Flag::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(names, FLAG_NAMES);
    let reasons: Vec<&str> = DropReason::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(reasons, REASON_NAMES);
}

/// `nicc bench packet --random`'s loop: the frames it reports passed are the ones the golden
/// model passes, chunks accumulate, and a bad back-pressure is an error before any build.
/// The engine is the default build, the model `cosim_data_bytes_8` builds (the command's
/// `-O3` build would be a second compile of the same engine for 40 frames).
#[test]
fn random_bench_checks_and_counts_every_frame() {
    use nicc_sim::BuildOptions;
    use nicc_testbench::packet::cli::{bench_random, PacketCliError, RANDOM_CHUNK};
    use nicc_testbench::packet::rtl::deliverable;
    use nicc_testbench::packet::Verdict;
    let s = seed();
    let p = params(8);
    let n = 40;
    let mut seen = Vec::new();
    let build = BuildOptions::default();
    let rows = bench_random(
        std::slice::from_ref(&p),
        &build,
        n,
        0.3,
        s,
        &mut |db, done| seen.push((db, done)),
    )
    .expect("random bench");
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!((r.data_bytes, r.frames), (8, n));
    assert_eq!(seen, vec![(8, n)], "one chunk of {RANDOM_CHUNK} at most");
    let frames: Vec<Frame> = random_frames(s, n).iter().map(deliverable).collect();
    let cfg = PacketConfig::from_params(&p).unwrap();
    let (golden, _) = run_frames(&cfg, &frames);
    let pass = golden.iter().filter(|m| m.verdict == Verdict::Pass).count();
    assert_eq!(r.passed, pass, "seed {s}");
    // One beat per 8 bytes, plus one `tkeep` = 0 beat for a frame sent with that fault.
    let data_beats: u64 = frames
        .iter()
        .map(|f| f.bytes.len().div_ceil(8) as u64)
        .sum();
    let (lo, hi) = (data_beats, data_beats + n as u64);
    assert!(
        (lo..=hi).contains(&r.beats),
        "{} beats, {lo}..={hi} expected",
        r.beats
    );
    assert!(r.cycles > r.beats, "back-pressure 0.3 costs cycles");
    let e = bench_random(&[p], &build, n, 0.99, s, &mut |_, _| {}).unwrap_err();
    assert!(matches!(e, PacketCliError::Backpressure(_)), "{e}");
    assert!(e.to_string().contains("--backpressure 0.99"), "{e}");
}
