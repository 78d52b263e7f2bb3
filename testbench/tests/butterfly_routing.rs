//! Switch-level checks of the butterfly router's control algorithms (white-box): Benes looping
//! routing, the closed-form compaction rule, expansion and multicast routing.

use nicc_rtl::blocks::butterfly::benes::{self, BenesError};
use nicc_rtl::blocks::butterfly::compact_rule::{compact_controls, expand_controls};
use nicc_rtl::blocks::butterfly::multicast::{self, MulticastError};
use nicc_rtl::blocks::butterfly::switch_model::{
    benes_bits, butterfly_bits, inverse_butterfly_bits, simulate_exchange, simulate_mux, MuxSwitch,
};
use nicc_testbench::butterfly::golden;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Lexicographic next permutation; false after the last one.
fn next_permutation(p: &mut [usize]) -> bool {
    let Some(i) = (1..p.len()).rev().find(|&i| p[i - 1] < p[i]) else {
        return false;
    };
    let j = (i..p.len()).rev().find(|&j| p[j] > p[i - 1]).unwrap();
    p.swap(i - 1, j);
    p[i..].reverse();
    true
}

fn check_benes(perm: &[usize]) {
    let cfg = benes::route(perm).unwrap();
    let k = perm.len().trailing_zeros() as usize;
    assert_eq!(cfg.controls.len(), 2 * k - 1);
    assert!(cfg.controls.iter().all(|s| s.len() == perm.len() / 2));
    let inputs: Vec<usize> = (0..perm.len()).collect();
    let out = simulate_exchange(&inputs, &cfg.pair_bits(), &cfg.controls);
    assert_eq!(out, perm, "Benes routing of {perm:?} is wrong");
}

#[test]
fn benes_routes_every_permutation_of_8() {
    let mut p: Vec<usize> = (0..8).collect();
    let mut n = 0;
    loop {
        check_benes(&p);
        n += 1;
        if !next_permutation(&mut p) {
            break;
        }
    }
    assert_eq!(n, 40320);
    for n in [2, 4] {
        let mut p: Vec<usize> = (0..n).collect();
        loop {
            check_benes(&p);
            if !next_permutation(&mut p) {
                break;
            }
        }
    }
}

#[test]
fn benes_routes_random_permutations_up_to_1024() {
    let seed = 0x6e69_6363;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for k in 4..=10 {
        for _ in 0..20 {
            let mut p: Vec<usize> = (0..1 << k).collect();
            p.shuffle(&mut rng);
            check_benes(&p);
        }
    }
}

#[test]
fn benes_rejects_bad_permutations() {
    assert_eq!(benes::route(&[0, 1, 2]), Err(BenesError::Length(3)));
    assert!(matches!(
        benes::route(&[0, 4, 1, 2]),
        Err(BenesError::OutOfRange { input: 4, .. })
    ));
    let e = benes::route(&[0, 1, 1, 2]).unwrap_err();
    assert!(e.to_string().contains("multicast"), "{e}");
}

fn mask_of(bits: u64, n: usize) -> Vec<bool> {
    (0..n).map(|i| bits >> i & 1 == 1).collect()
}

/// Values 1..=N on the selected lanes and 0 elsewhere, through the compaction network.
fn check_compaction(mask: &[bool]) {
    let n = mask.len();
    let values: Vec<u64> = (0..n)
        .map(|i| if mask[i] { i as u64 + 1 } else { 0 })
        .collect();
    let controls = compact_controls(mask);
    let out = simulate_exchange(
        &values,
        &inverse_butterfly_bits(n.trailing_zeros() as usize),
        &controls,
    );
    let want = golden::compact(&values, mask, n).unwrap();
    assert_eq!(
        out, want.beats[0].values,
        "compaction rule fails for mask {mask:?}"
    );
    // Index tags route the same way: unselected lanes carry index 0.
    let index: Vec<usize> = (0..n).map(|i| if mask[i] { i } else { 0 }).collect();
    let idx_out = simulate_exchange(
        &index,
        &inverse_butterfly_bits(n.trailing_zeros() as usize),
        &controls,
    );
    assert_eq!(idx_out, want.beats[0].index);
}

fn check_expansion(mask: &[bool]) {
    let n = mask.len();
    let dense: Vec<u64> = (0..n as u64).map(|j| 100 + j).collect();
    let out = simulate_exchange(
        &dense,
        &butterfly_bits(n.trailing_zeros() as usize),
        &expand_controls(mask),
    );
    let out: Vec<u64> = out
        .iter()
        .zip(mask)
        .map(|(&v, &m)| if m { v } else { 0 })
        .collect();
    assert_eq!(
        out,
        golden::expand(&dense, mask).unwrap(),
        "expansion fails for mask {mask:?}"
    );
}

#[test]
fn compaction_rule_exhaustive_up_to_8() {
    for n in [2usize, 4, 8] {
        for bits in 0..1u64 << n {
            let m = mask_of(bits, n);
            check_compaction(&m);
            check_expansion(&m);
        }
    }
}

#[test]
fn compaction_rule_random_masks_up_to_1024() {
    let seed = 0x0b17_f1e5;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for k in 4..=10 {
        let n = 1usize << k;
        for density in [0.0, 0.01, 0.25, 0.5, 0.75, 1.0] {
            for _ in 0..4 {
                let m: Vec<bool> = (0..n).map(|_| rng.gen_bool(density)).collect();
                check_compaction(&m);
                check_expansion(&m);
            }
        }
        let mut one = vec![false; n];
        one[rng.gen_range(0..n)] = true;
        check_compaction(&one);
    }
}

/// Output j's source lane (or None) when the inputs carry their own index.
fn run_multicast(cfg: &multicast::MulticastConfig) -> Vec<Option<usize>> {
    let inputs: Vec<Option<usize>> = (0..cfg.lanes).map(Some).collect();
    let out = simulate_mux(&inputs, &cfg.pair_bits(), &cfg.switches);
    out.into_iter()
        .zip(&cfg.out_valid)
        .map(|(o, &v)| if v { o } else { None })
        .collect()
}

#[test]
fn multicast_n4_matches_brute_force() {
    // Every mux setting of the 4-lane network (3 stages x 2 switches, 4 settings each).
    let settings = [
        MuxSwitch::STRAIGHT,
        MuxSwitch::CROSS,
        MuxSwitch::BROADCAST_LO,
        MuxSwitch::BROADCAST_HI,
    ];
    let mut reachable = std::collections::HashSet::new();
    for code in 0..4usize.pow(6) {
        let sw: Vec<Vec<MuxSwitch>> = (0..3)
            .map(|s| {
                (0..2)
                    .map(|w| settings[code / 4usize.pow((2 * s + w) as u32) % 4])
                    .collect()
            })
            .collect();
        let inputs: Vec<usize> = (0..4).collect();
        reachable.insert(simulate_mux(&inputs, &benes_bits(2), &sw));
    }
    let (mut routed, mut impossible) = (0, 0);
    for code in 0..5usize.pow(4) {
        let src: Vec<Option<usize>> = (0..4)
            .map(|j| match code / 5usize.pow(j) % 5 {
                4 => None,
                x => Some(x),
            })
            .collect();
        let feasible = reachable
            .iter()
            .any(|f| src.iter().zip(f).all(|(s, &x)| s.is_none_or(|s| s == x)));
        match multicast::route_sources(&src) {
            Ok(cfg) => {
                assert!(feasible);
                assert_eq!(run_multicast(&cfg), src);
                routed += 1;
            }
            Err(e) => {
                assert!(!feasible, "{src:?} is routable but the router said: {e}");
                assert!(matches!(e, MulticastError::Impossible { .. }), "{e}");
                impossible += 1;
            }
        }
    }
    // With broadcast switches the 4-lane Benes network realises every mapping.
    assert_eq!((routed, impossible), (625, 0));
}

#[test]
fn multicast_routes_permutations_and_broadcasts() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for k in 1..=8 {
        let n = 1usize << k;
        let mut p: Vec<usize> = (0..n).collect();
        p.shuffle(&mut rng);
        let src: Vec<Option<usize>> = p.iter().map(|&x| Some(x)).collect();
        assert_eq!(run_multicast(&multicast::route_sources(&src).unwrap()), src);
        // Partial permutation.
        let src: Vec<Option<usize>> = p.iter().map(|&x| rng.gen_bool(0.6).then_some(x)).collect();
        assert_eq!(run_multicast(&multicast::route_sources(&src).unwrap()), src);
        // One input to every output.
        let x = rng.gen_range(0..n);
        let dests: Vec<Vec<usize>> = (0..n)
            .map(|i| if i == x { (0..n).collect() } else { vec![] })
            .collect();
        let cfg = multicast::route_destinations(&dests).unwrap();
        assert_eq!(run_multicast(&cfg), vec![Some(x); n]);
        let values: Vec<u64> = (0..n as u64).map(|v| v * 3 + 1).collect();
        let sim: Vec<u64> = run_multicast(&cfg)
            .iter()
            .map(|s| s.map_or(0, |s| values[s]))
            .collect();
        assert_eq!(sim, golden::multicast(&values, &dests).unwrap());
    }
}

#[test]
fn multicast_random_requests_route_correctly_or_error() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for k in [3usize, 4, 6] {
        let n = 1 << k;
        for _ in 0..200 {
            // Few sources, each fanning out to a random set of outputs.
            let sources: Vec<usize> = (0..rng.gen_range(1..=n / 2))
                .map(|_| rng.gen_range(0..n))
                .collect();
            let src: Vec<Option<usize>> = (0..n)
                .map(|_| {
                    rng.gen_bool(0.8)
                        .then(|| sources[rng.gen_range(0..sources.len())])
                })
                .collect();
            match multicast::route_sources(&src) {
                Ok(cfg) => assert_eq!(run_multicast(&cfg), src),
                Err(e) => assert!(
                    matches!(
                        e,
                        MulticastError::Impossible { .. } | MulticastError::Unroutable { .. }
                    ),
                    "{e}"
                ),
            }
        }
    }
    let e = multicast::route_destinations(&[vec![0], vec![0]]).unwrap_err();
    assert!(
        matches!(e, MulticastError::Claimed { output: 0, .. }),
        "{e}"
    );
    let e = multicast::route_destinations(&[vec![2], vec![]]).unwrap_err();
    assert!(e.to_string().contains("outputs are 0..2"), "{e}");
    // A contradiction among necessary constraints (8 lanes): input 0 -> {0, 2, 5}, 1 -> 1, 2 -> 3,
    // 3 -> 4. Inputs 0/1 and 2/3 share first-stage switches, so each enters one sub-network, the
    // partner the other; outputs 4/5 force input 3 opposite to input 0, so input 2 shares input 0's
    // sub-network, yet outputs 2/3 (sources 0 and 2) need different ones.
    let src = [
        Some(0),
        Some(1),
        Some(0),
        Some(2),
        Some(3),
        Some(0),
        None,
        None,
    ];
    let e = multicast::route_sources(&src).unwrap_err();
    assert!(
        matches!(e, MulticastError::Impossible { lanes: 8, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("cannot be routed"), "{e}");
}
