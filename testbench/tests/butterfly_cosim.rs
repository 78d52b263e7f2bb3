//! Co-simulation of the generated butterfly router (Verilator through nicc-sim) against the
//! golden model: every mode, exhaustive masks for N <= 8, random masks at the densities,
//! random back-pressure on pipelined and multi-beat outputs. Seeds are printed on failure.

use nicc_rtl::blocks::butterfly::{
    benes, generate, multicast, multicast_config_bits, permute_config_bits, ButterflyParams,
    MaskSource, Mode,
};
use nicc_rtl::Bits;
use nicc_sim::Model;
use nicc_testbench::butterfly::golden;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, VecDeque};

fn params(mode: Mode, lanes: usize, width: usize, mask: MaskSource) -> ButterflyParams {
    ButterflyParams {
        lanes,
        width,
        mode,
        mask,
        out_lanes: lanes,
        pipeline: 0,
    }
}

fn model(p: &ButterflyParams) -> Model {
    Model::build(&generate(p, "butterfly").unwrap()).unwrap()
}

fn pack(values: &[u64], d: u32) -> Bits {
    let mut b = Bits::zero(values.len() as u32 * d);
    for (i, &v) in values.iter().enumerate() {
        b.set_slice(i as u32 * d, &Bits::from_u64(d, v));
    }
    b
}

fn bools(b: &[bool]) -> Bits {
    pack(&b.iter().map(|&x| u64::from(x)).collect::<Vec<_>>(), 1)
}

fn set(m: &mut Model, name: &str, v: &Bits) {
    let p = m.port(name).unwrap();
    m.set(p, v).unwrap();
}

fn get(m: &mut Model, name: &str) -> Bits {
    let p = m.port(name).unwrap();
    m.get(p)
}

/// Values: non-zero on selected lanes; unselected lanes zero when `zero_unselected`.
fn values(rng: &mut ChaCha8Rng, mask: &[bool], d: u32, zero_unselected: bool) -> Vec<u64> {
    let max = (1u64 << d) - 1;
    mask.iter()
        .map(|&b| match (b, zero_unselected) {
            (true, _) => rng.gen_range(1..=max),
            (false, true) => 0,
            (false, false) => rng.gen_range(0..=max),
        })
        .collect()
}

/// The masks the issue asks for: density 0, one lane, 25/50/75/100 %.
fn random_masks(rng: &mut ChaCha8Rng, n: usize, per_density: usize) -> Vec<Vec<bool>> {
    let mut out = Vec::new();
    for density in [0.0, 0.25, 0.5, 0.75, 1.0] {
        for _ in 0..per_density {
            out.push((0..n).map(|_| rng.gen_bool(density)).collect());
        }
    }
    for _ in 0..per_density {
        let mut one = vec![false; n];
        one[rng.gen_range(0..n)] = true;
        out.push(one);
    }
    out
}

/// Expected compaction outputs of one beat as port -> value.
fn compact_beat(c: &golden::Compacted<u64>, beat: usize, d: u32, lw: u32) -> HashMap<String, Bits> {
    let b = &c.beats[beat];
    let idx: Vec<u64> = b.index.iter().map(|&i| i as u64).collect();
    HashMap::from([
        ("out_data".to_string(), pack(&b.values, d)),
        ("out_index".to_string(), pack(&idx, lw)),
        (
            "out_count".to_string(),
            Bits::from_u64(lw + 1, c.count as u64),
        ),
        ("out_valid_lanes".to_string(), bools(&b.valid)),
    ])
}

fn check_comb_compact(m: &mut Model, p: &ButterflyParams, v: &[u64], mask: &[bool], seed: u64) {
    let d = p.width as u32;
    let lw = p.lanes.trailing_zeros();
    set(m, "in_data", &pack(v, d));
    if p.mask == MaskSource::External {
        set(m, "in_mask", &bools(mask));
    }
    m.eval();
    let want = compact_beat(&golden::compact(v, mask, p.lanes).unwrap(), 0, d, lw);
    for (port, value) in &want {
        assert_eq!(
            &get(m, port),
            value,
            "{port}: N={} D={d} mask={mask:?} values={v:?} seed={seed}",
            p.lanes
        );
    }
}

#[test]
fn compact_exhaustive_masks_up_to_8_lanes() {
    let seed = 61;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (n, d, mask) in [
        (2usize, 1usize, MaskSource::Nonzero),
        (4, 16, MaskSource::External),
        (8, 8, MaskSource::Nonzero),
        (8, 1, MaskSource::External),
    ] {
        let p = params(Mode::Compact, n, d, mask);
        let mut m = model(&p);
        for bits in 0..1u64 << n {
            let mk: Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
            let v = values(&mut rng, &mk, d as u32, mask == MaskSource::Nonzero);
            check_comb_compact(&mut m, &p, &v, &mk, seed);
        }
    }
}

#[test]
fn compact_random_masks_16_64_256() {
    let seed = 62;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (n, d) in [(16usize, 16usize), (64, 8), (256, 1)] {
        let p = params(Mode::Compact, n, d, MaskSource::Nonzero);
        let mut m = model(&p);
        for mk in random_masks(&mut rng, n, 8) {
            let v = values(&mut rng, &mk, d as u32, true);
            check_comb_compact(&mut m, &p, &v, &mk, seed);
        }
    }
}

#[test]
fn expand_inverts_compaction() {
    let seed = 63;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (n, d) in [(8usize, 8usize), (64, 16)] {
        let p = params(Mode::Expand, n, d, MaskSource::External);
        let mut m = model(&p);
        let masks: Vec<Vec<bool>> = if n <= 8 {
            (0..1u64 << n)
                .map(|b| (0..n).map(|i| b >> i & 1 == 1).collect())
                .collect()
        } else {
            random_masks(&mut rng, n, 8)
        };
        for mk in masks {
            let v = values(&mut rng, &mk, d as u32, false);
            let dense = golden::compact(&v, &mk, n).unwrap().beats[0].values.clone();
            set(&mut m, "in_data", &pack(&dense, d as u32));
            set(&mut m, "in_mask", &bools(&mk));
            m.eval();
            let want: Vec<u64> = v
                .iter()
                .zip(&mk)
                .map(|(&x, &b)| if b { x } else { 0 })
                .collect();
            assert_eq!(
                get(&mut m, "out_data"),
                pack(&want, d as u32),
                "mask {mk:?} seed {seed}"
            );
            assert_eq!(golden::expand(&dense, &mk).unwrap(), want);
        }
    }
}

#[test]
fn permute_and_multicast_through_the_config_port() {
    let seed = 64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = 8u32;
    for n in [8usize, 64] {
        let mut m = model(&params(Mode::Permute, n, 8, MaskSource::Nonzero));
        m.reset(1).unwrap();
        for _ in 0..30 {
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rng);
            set(&mut m, "cfg_we", &Bits::from_u64(1, 1));
            set(
                &mut m,
                "cfg_data",
                &permute_config_bits(&benes::route(&perm).unwrap()),
            );
            m.step().unwrap();
            set(&mut m, "cfg_we", &Bits::from_u64(1, 0));
            let v: Vec<u64> = (0..n).map(|_| rng.gen_range(0..256)).collect();
            set(&mut m, "in_data", &pack(&v, d));
            m.eval();
            let want = golden::permute(&v, &perm).unwrap();
            assert_eq!(
                get(&mut m, "out_data"),
                pack(&want, d),
                "perm {perm:?} seed {seed}"
            );
        }
        let mut m = model(&params(Mode::Multicast, n, 8, MaskSource::Nonzero));
        m.reset(1).unwrap();
        let mut routed = 0;
        for _ in 0..40 {
            let sources: Vec<usize> = (0..rng.gen_range(1..=n / 4))
                .map(|_| rng.gen_range(0..n))
                .collect();
            let mut dests = vec![Vec::new(); n];
            for j in 0..n {
                if rng.gen_bool(0.8) {
                    dests[sources[rng.gen_range(0..sources.len())]].push(j);
                }
            }
            let Ok(cfg) = multicast::route_destinations(&dests) else {
                continue;
            };
            routed += 1;
            set(&mut m, "cfg_we", &Bits::from_u64(1, 1));
            set(&mut m, "cfg_data", &multicast_config_bits(&cfg));
            m.step().unwrap();
            set(&mut m, "cfg_we", &Bits::from_u64(1, 0));
            let v: Vec<u64> = (0..n).map(|_| rng.gen_range(0..256)).collect();
            set(&mut m, "in_data", &pack(&v, d));
            m.eval();
            let want = golden::multicast(&v, &dests).unwrap();
            assert_eq!(
                get(&mut m, "out_data"),
                pack(&want, d),
                "dests {dests:?} seed {seed}"
            );
        }
        assert!(
            routed >= 5,
            "only {routed} multicast requests routed at N = {n}"
        );
    }
}

#[test]
fn pipelined_multibeat_compaction_with_backpressure() {
    let seed = 65;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = 8u32;
    for (n, kout, k) in [
        (8usize, 3usize, 0usize),
        (16, 4, 2),
        (64, 16, 3),
        (16, 16, 1),
    ] {
        let p = ButterflyParams {
            out_lanes: kout,
            pipeline: k,
            ..params(Mode::Compact, n, 8, MaskSource::Nonzero)
        };
        let mut m = model(&p);
        let lw = n.trailing_zeros();
        m.reset(2).unwrap();
        let txn = |rng: &mut ChaCha8Rng| {
            let density = [0.0, 0.25, 0.5, 0.75, 1.0][rng.gen_range(0..5)];
            let mk: Vec<bool> = (0..n).map(|_| rng.gen_bool(density)).collect();
            let v = values(rng, &mk, d, true);
            let c = golden::compact(&v, &mk, kout).unwrap();
            let beats: Vec<_> = (0..c.beats.len())
                .map(|b| compact_beat(&c, b, d, lw))
                .collect();
            (pack(&v, d), beats)
        };
        let mut pending = txn(&mut rng);
        let mut used = 0;
        let mut expected: VecDeque<HashMap<String, Bits>> = VecDeque::new();
        let mut checked = 0;
        for cycle in 0..600 {
            let in_valid = rng.gen_bool(0.7);
            let out_ready = rng.gen_bool(0.6);
            set(&mut m, "in_data", &pending.0);
            set(&mut m, "in_valid", &Bits::from_u64(1, u64::from(in_valid)));
            set(
                &mut m,
                "out_ready",
                &Bits::from_u64(1, u64::from(out_ready)),
            );
            m.eval();
            if get(&mut m, "out_valid").bit(0) && out_ready {
                let want = match expected.pop_front() {
                    Some(w) => w,
                    None => {
                        assert!(in_valid, "output without input, cycle {cycle} seed {seed}");
                        used += 1;
                        pending.1[used - 1].clone()
                    }
                };
                for (port, value) in &want {
                    assert_eq!(
                        &get(&mut m, port),
                        value,
                        "{port} cycle {cycle} N={n} K={kout} pipeline={k} seed {seed}"
                    );
                }
                checked += 1;
            }
            if in_valid && get(&mut m, "in_ready").bit(0) {
                expected.extend(pending.1.iter().skip(used).cloned());
                used = 0;
                pending = txn(&mut rng);
            }
            m.step().unwrap();
        }
        assert!(
            checked > 100,
            "N={n} K={kout} pipeline={k}: only {checked} beats (seed {seed})"
        );
    }
}

/// Second simulator: Icarus runs every mask of the 8-lane compaction and agrees with the golden
/// model (and so with Verilator).
#[test]
fn icarus_agrees_on_compaction_of_8_lanes() {
    let seed = 66;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let p = params(Mode::Compact, 8, 8, MaskSource::External);
    let design = generate(&p, "butterfly").unwrap();
    let ins: Vec<&str> = design
        .ports
        .iter()
        .filter(|q| q.dir == nicc_rtl::Dir::Input)
        .map(|q| q.name.as_str())
        .collect();
    assert_eq!(ins, ["in_data", "in_mask"]);
    let outs: Vec<String> = design
        .ports
        .iter()
        .filter(|q| q.dir == nicc_rtl::Dir::Output)
        .map(|q| q.name.clone())
        .collect();
    let mut vectors = Vec::new();
    let mut wants = Vec::new();
    for bits in 0..256u64 {
        let mk: Vec<bool> = (0..8).map(|i| bits >> i & 1 == 1).collect();
        let v = values(&mut rng, &mk, 8, false);
        vectors.push(vec![pack(&v, 8), bools(&mk)]);
        wants.push(compact_beat(&golden::compact(&v, &mk, 8).unwrap(), 0, 8, 3));
    }
    let got = nicc_sim::icarus::run_batch(&design, &vectors).unwrap();
    assert_eq!(got.len(), 256);
    assert!(got.iter().all(|row| row.len() == outs.len()));
    for (cycle, (row, want)) in got.iter().zip(&wants).enumerate() {
        for (name, value) in outs.iter().zip(row) {
            assert_eq!(value, &want[name], "{name} vector {cycle} seed {seed}");
        }
    }
}
