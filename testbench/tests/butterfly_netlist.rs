//! The generated butterfly netlists against the golden model (evaluated with the IR's own
//! operator semantics, `nicc_rtl::eval`), N = 4 snapshots and `verilator --lint-only -Wall`.

use nicc_rtl::blocks::butterfly::{
    benes, build, build_crossbar, build_crossbar_compact, generate, generate_crossbar,
    generate_crossbar_compact, multicast, multicast_config_bits, permute_config_bits,
    ButterflyParams, GenError, MaskSource, Mode,
};
use nicc_rtl::ir::{Module, NetKind};
use nicc_rtl::{Bits, Design};
use nicc_testbench::butterfly::{formal, golden};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;
use std::collections::HashMap;
use std::process::Command;

/// Evaluates nets of a module from input and register values given by net name (the IR's own
/// operator semantics).
struct Eval<'a> {
    m: &'a Module,
    given: &'a HashMap<String, Bits>,
    cache: RefCell<Vec<Option<Bits>>>,
}

impl<'a> Eval<'a> {
    fn new(m: &'a Module, given: &'a HashMap<String, Bits>) -> Self {
        Eval {
            m,
            given,
            cache: RefCell::new(vec![None; m.nets.len()]),
        }
    }

    fn net(&self, id: usize) -> Bits {
        if let Some(v) = self.cache.borrow()[id].clone() {
            return v;
        }
        let net = &self.m.nets[id];
        let v = match net.kind {
            NetKind::Input | NetKind::Reg(_) => self
                .given
                .get(&net.name)
                .unwrap_or_else(|| panic!("no value given for `{}`", net.name))
                .zext(net.width),
            _ => self
                .expr(
                    net.driver
                        .as_ref()
                        .unwrap_or_else(|| panic!("`{}` undriven", net.name)),
                )
                .zext(net.width),
        };
        self.cache.borrow_mut()[id] = Some(v.clone());
        v
    }

    fn expr(&self, e: &nicc_rtl::ir::ExprRef) -> Bits {
        nicc_rtl::eval::eval(e, &|j| self.net(j))
    }

    fn outputs(&self) -> HashMap<String, Bits> {
        self.m
            .ports
            .iter()
            .filter(|&&id| self.m.nets[id].kind == NetKind::Output)
            .map(|&id| (self.m.nets[id].name.clone(), self.net(id)))
            .collect()
    }

    /// Register values after the clock edge (synchronous reset, enable, next).
    fn next_state(&self) -> HashMap<String, Bits> {
        self.m
            .regs
            .iter()
            .map(|r| {
                let net = &self.m.nets[r.net];
                let reset = r.reset.as_ref().filter(|(rst, _)| self.net(*rst).bit(0));
                let v = if let Some((_, init)) = reset {
                    init.clone()
                } else if r.enable.as_ref().is_none_or(|e| self.expr(e).bit(0)) {
                    self.expr(r.next.as_ref().unwrap()).zext(net.width)
                } else {
                    self.net(r.net)
                };
                (net.name.clone(), v)
            })
            .collect()
    }
}

/// Evaluates every output of a combinational module (registers taken from `given`).
fn eval_outputs(m: &Module, given: &HashMap<String, Bits>) -> HashMap<String, Bits> {
    Eval::new(m, given).outputs()
}

/// Streams transactions through a pipelined module with random `in_valid` and `out_ready`;
/// `next_txn` gives the data inputs of a transaction and the outputs of each beat it produces. Checks
/// every output transfer in order and returns how many were checked.
fn stream(
    m: &Module,
    fixed: &HashMap<String, Bits>,
    cycles: usize,
    rng: &mut ChaCha8Rng,
    mut next_txn: impl FnMut(&mut ChaCha8Rng) -> (HashMap<String, Bits>, Vec<HashMap<String, Bits>>),
) -> usize {
    let mut state: HashMap<String, Bits> = m
        .regs
        .iter()
        .map(|r| (m.nets[r.net].name.clone(), Bits::zero(m.nets[r.net].width)))
        .collect();
    let mut expected = std::collections::VecDeque::new();
    let mut pending = next_txn(rng);
    let mut checked = 0;
    let mut used = 0;
    for cycle in 0..cycles {
        let mut given = state.clone();
        given.extend(fixed.clone());
        given.extend(pending.0.clone());
        let rst = cycle < 2;
        // Reset for two cycles, then one cycle to load any configuration register.
        let in_valid = cycle >= 3 && rng.gen_bool(0.7);
        let out_ready = rng.gen_bool(0.6);
        given.insert("rst".into(), Bits::from_u64(1, u64::from(rst)));
        given.insert("in_valid".into(), Bits::from_u64(1, u64::from(in_valid)));
        given.insert("out_ready".into(), Bits::from_u64(1, u64::from(out_ready)));
        let e = Eval::new(m, &given);
        let out = e.outputs();
        if !rst && out["out_valid"].bit(0) && out_ready {
            // Outputs of the accepted inputs first; a combinational path shows the beats of the
            // input on offer before it is accepted (on its last beat).
            let want: HashMap<String, Bits> = match expected.pop_front() {
                Some(w) => w,
                None => {
                    assert!(in_valid, "output without an input at cycle {cycle}");
                    used += 1;
                    pending
                        .1
                        .get(used - 1)
                        .cloned()
                        .expect("more beats than the golden model")
                }
            };
            for (k, v) in &want {
                assert_eq!(&out[k], v, "port {k} at cycle {cycle} (transfer {checked})");
            }
            checked += 1;
        }
        if in_valid && out["in_ready"].bit(0) {
            expected.extend(pending.1.iter().skip(used).cloned());
            used = 0;
            pending = next_txn(rng);
        }
        state = e.next_state();
    }
    checked
}

fn pack(values: &[u64], d: u32) -> Bits {
    let mut b = Bits::zero(values.len() as u32 * d);
    for (i, &v) in values.iter().enumerate() {
        b.set_slice(i as u32 * d, &Bits::from_u64(d, v));
    }
    b
}

fn unpack(b: &Bits, n: usize, d: u32) -> Vec<u64> {
    (0..n)
        .map(|i| b.slice(i as u32 * d, d).to_u64().unwrap())
        .collect()
}

fn bools(b: &Bits, n: usize) -> Vec<bool> {
    (0..n).map(|i| b.bit(i as u32)).collect()
}

fn params(mode: Mode, lanes: usize, width: usize, mask: MaskSource) -> ButterflyParams {
    ButterflyParams::combinational(mode, lanes, width, mask)
}

fn check_compact(m: &Module, p: &ButterflyParams, values: &[u64], mask: &[bool], seed: u64) {
    let n = p.lanes;
    let d = p.width as u32;
    let k = n.trailing_zeros();
    let mut given = HashMap::from([("in_data".to_string(), pack(values, d))]);
    if p.mask == MaskSource::External {
        given.insert(
            "in_mask".into(),
            pack(&mask.iter().map(|&b| u64::from(b)).collect::<Vec<_>>(), 1),
        );
    }
    let out = eval_outputs(m, &given);
    let want = golden::compact(values, mask, n).unwrap();
    let beat = &want.beats[0];
    let ctx = format!("N={n} D={d} mask={mask:?} values={values:?} seed={seed}");
    assert_eq!(
        unpack(&out["out_data"], n, d),
        beat.values,
        "out_data, {ctx}"
    );
    let idx: Vec<u64> = beat.index.iter().map(|&i| i as u64).collect();
    assert_eq!(unpack(&out["out_index"], n, k), idx, "out_index, {ctx}");
    assert_eq!(
        out["out_count"].to_u64(),
        Some(want.count as u64),
        "out_count, {ctx}"
    );
    assert_eq!(
        bools(&out["out_valid_lanes"], n),
        beat.valid,
        "out_valid_lanes, {ctx}"
    );
}

fn random_values(rng: &mut ChaCha8Rng, mask: &[bool], d: u32, zero_unselected: bool) -> Vec<u64> {
    let max = if d >= 64 { u64::MAX } else { (1u64 << d) - 1 };
    mask.iter()
        .map(|&b| match (b, zero_unselected) {
            (true, _) => rng.gen_range(1..=max),
            (false, true) => 0,
            (false, false) => rng.gen_range(0..=max),
        })
        .collect()
}

/// The compaction network and the compaction crossbar baseline (same ports, same result).
type CompactBuilder = fn(&ButterflyParams, &str) -> Result<std::rc::Rc<Module>, GenError>;
const COMPACTORS: [(&str, CompactBuilder); 2] = [
    ("butterfly", build),
    ("crossbar_compact", build_crossbar_compact),
];

#[test]
fn compact_netlist_exhaustive_masks_up_to_8() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for n in [2usize, 4, 8] {
        for d in [1usize, 8, 16] {
            for (mask_src, (top, builder)) in [MaskSource::Nonzero, MaskSource::External]
                .into_iter()
                .flat_map(|s| COMPACTORS.map(|c| (s, c)))
            {
                let p = params(Mode::Compact, n, d, mask_src);
                let m = builder(&p, top).unwrap();
                for bits in 0..1u64 << n {
                    let mask: Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
                    let v =
                        random_values(&mut rng, &mask, d as u32, mask_src == MaskSource::Nonzero);
                    check_compact(&m, &p, &v, &mask, 1);
                }
            }
        }
    }
}

/// White-box: the hardware's control wires `s{s}_cross{w}` equal the closed-form rule in Rust.
#[test]
fn hardware_control_bits_match_the_closed_form_rule() {
    use nicc_rtl::blocks::butterfly::compact_rule::compact_controls;
    for n in [4usize, 8, 16] {
        let p = params(Mode::Compact, n, 4, MaskSource::External);
        let m = build(&p, "butterfly").unwrap();
        let id = |name: &str| {
            m.nets
                .iter()
                .position(|x| x.name == name)
                .unwrap_or_else(|| panic!("no net {name}"))
        };
        let masks: Vec<u64> = if n <= 8 {
            (0..1u64 << n).collect()
        } else {
            (0..300u64)
                .map(|i| i.wrapping_mul(0x9E37_79B9) & 0xffff)
                .collect()
        };
        for bits in masks {
            let mask: Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
            let given = HashMap::from([
                ("in_data".to_string(), Bits::zero(4 * n as u32)),
                ("in_mask".to_string(), bools_to_bits(&mask)),
            ]);
            let e = Eval::new(&m, &given);
            for (s, stage) in compact_controls(&mask).iter().enumerate() {
                for (w, &want) in stage.iter().enumerate() {
                    let got = e.net(id(&format!("s{s}_cross{w}"))).bit(0);
                    assert_eq!(got, want, "N={n} mask {mask:?} stage {s} switch {w}");
                }
            }
        }
    }
}

#[test]
fn compact_netlist_random_masks_up_to_256() {
    let seed = 0xc0de;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (n, (top, builder)) in [16usize, 64, 256]
        .into_iter()
        .flat_map(|n| COMPACTORS.map(|c| (n, c)))
    {
        for d in [1usize, 8, 16] {
            let p = params(Mode::Compact, n, d, MaskSource::Nonzero);
            let m = builder(&p, top).unwrap();
            for density in [0.0, 0.25, 0.5, 0.75, 1.0] {
                let mask: Vec<bool> = (0..n).map(|_| rng.gen_bool(density)).collect();
                let v = random_values(&mut rng, &mask, d as u32, true);
                check_compact(&m, &p, &v, &mask, seed);
            }
            let mut one = vec![false; n];
            one[rng.gen_range(0..n)] = true;
            let v = random_values(&mut rng, &one, d as u32, true);
            check_compact(&m, &p, &v, &one, seed);
        }
    }
}

#[test]
fn expand_netlist_inverts_compaction() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for n in [2usize, 4, 8, 64] {
        let d = 8u32;
        let p = params(Mode::Expand, n, d as usize, MaskSource::External);
        let m = build(&p, "butterfly").unwrap();
        let masks: Vec<u64> = if n <= 8 {
            (0..1u64 << n).collect()
        } else {
            (0..50).map(|_| rng.gen()).collect()
        };
        for bits in masks {
            let mask: Vec<bool> = (0..n).map(|i| bits >> (i % 64) & 1 == 1).collect();
            let dense: Vec<u64> = (0..n).map(|_| rng.gen_range(0..256)).collect();
            let given = HashMap::from([
                ("in_data".to_string(), pack(&dense, d)),
                (
                    "in_mask".to_string(),
                    pack(&mask.iter().map(|&b| u64::from(b)).collect::<Vec<_>>(), 1),
                ),
            ]);
            let out = eval_outputs(&m, &given);
            assert_eq!(
                unpack(&out["out_data"], n, d),
                golden::expand(&dense, &mask).unwrap(),
                "mask {mask:?}"
            );
        }
    }
}

/// The formal proofs' reference (`butterfly::formal`, a rank decoder and an AND-OR crossbar)
/// against the golden model, every mask up to 8 lanes: what the proofs prove the generated
/// networks equal to is the definition.
#[test]
fn formal_reference_matches_the_golden_model() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for n in [2usize, 4, 8] {
        for d in [1usize, 8] {
            let e = params(Mode::Expand, n, d, MaskSource::External);
            let me = formal::reference_module(&e).unwrap();
            for mask_src in [MaskSource::Nonzero, MaskSource::External] {
                let p = params(Mode::Compact, n, d, mask_src);
                let m = formal::reference_module(&p).unwrap();
                for bits in 0..1u64 << n {
                    let mask: Vec<bool> = (0..n).map(|i| bits >> i & 1 == 1).collect();
                    let nz = mask_src == MaskSource::Nonzero;
                    let v = random_values(&mut rng, &mask, d as u32, nz);
                    check_compact(&m, &p, &v, &mask, 3);
                    let given = HashMap::from([
                        ("in_data".to_string(), pack(&v, d as u32)),
                        ("in_mask".to_string(), bools_to_bits(&mask)),
                    ]);
                    let out = eval_outputs(&me, &given);
                    assert_eq!(
                        unpack(&out["out_data"], n, d as u32),
                        golden::expand(&v, &mask).unwrap(),
                        "expand N={n} D={d} mask {mask:?} values {v:?}"
                    );
                    assert_eq!(bools(&out["out_valid_lanes"], n), mask);
                }
            }
        }
    }
}

#[test]
fn permute_netlist_applies_routed_permutations() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for n in [2usize, 4, 8, 16, 64] {
        let d = 8u32;
        let p = params(Mode::Permute, n, d as usize, MaskSource::Nonzero);
        let m = build(&p, "butterfly").unwrap();
        for _ in 0..40 {
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rng);
            let values: Vec<u64> = (0..n).map(|_| rng.gen_range(0..256)).collect();
            let cfg = permute_config_bits(&benes::route(&perm).unwrap());
            let given = HashMap::from([
                ("in_data".to_string(), pack(&values, d)),
                ("cfg_q".to_string(), cfg),
            ]);
            let out = eval_outputs(&m, &given);
            assert_eq!(
                unpack(&out["out_data"], n, d),
                golden::permute(&values, &perm).unwrap(),
                "perm {perm:?}"
            );
        }
    }
}

#[test]
fn multicast_netlist_applies_routed_destination_lists() {
    let seed = 5;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for n in [2usize, 4, 8, 16, 64] {
        let d = 8u32;
        let p = params(Mode::Multicast, n, d as usize, MaskSource::Nonzero);
        let m = build(&p, "butterfly").unwrap();
        let mut routed = 0;
        for _ in 0..60 {
            // A few sources fanned out to random outputs; some outputs left without a source.
            let sources: Vec<usize> = (0..rng.gen_range(1..=n.div_ceil(4)))
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
            let values: Vec<u64> = (0..n).map(|_| rng.gen_range(0..256)).collect();
            let given = HashMap::from([
                ("in_data".to_string(), pack(&values, d)),
                ("cfg_q".to_string(), multicast_config_bits(&cfg)),
            ]);
            let out = eval_outputs(&m, &given);
            let want = golden::multicast(&values, &dests).unwrap();
            assert_eq!(
                unpack(&out["out_data"], n, d),
                want,
                "dests {dests:?} seed {seed}"
            );
            let valid: Vec<bool> = (0..n)
                .map(|j| dests.iter().any(|l| l.contains(&j)))
                .collect();
            assert_eq!(bools(&out["out_valid_lanes"], n), valid);
        }
        assert!(
            routed >= 10,
            "only {routed} of 60 requests routed at N = {n}"
        );
    }
}

#[test]
fn crossbar_baseline_selects() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for n in [2usize, 4, 16] {
        let m = build_crossbar(n, 8, "crossbar").unwrap();
        let k = n.trailing_zeros();
        for _ in 0..20 {
            let values: Vec<u64> = (0..n).map(|_| rng.gen_range(0..256)).collect();
            let sel: Vec<u64> = (0..n).map(|_| rng.gen_range(0..n as u64)).collect();
            let given = HashMap::from([
                ("in_data".to_string(), pack(&values, 8)),
                ("in_sel".to_string(), pack(&sel, k)),
            ]);
            let out = eval_outputs(&m, &given);
            let want: Vec<u64> = sel.iter().map(|&s| values[s as usize]).collect();
            assert_eq!(unpack(&out["out_data"], n, 8), want);
        }
    }
}

#[test]
fn unsupported_and_bad_parameters_are_errors() {
    let mut p = params(Mode::Permute, 8, 8, MaskSource::Nonzero);
    p.out_lanes = 4;
    assert!(matches!(build(&p, "b"), Err(GenError::Unsupported(_))));
    p.out_lanes = 8;
    p.lanes = 6;
    let e = build(&p, "b").unwrap_err();
    assert!(e.to_string().contains("power of two"), "{e}");
    p.lanes = 8;
    p.mode = Mode::Expand;
    assert!(matches!(build(&p, "b"), Err(GenError::Param(_))));
}

fn bools_to_bits(b: &[bool]) -> Bits {
    pack(&b.iter().map(|&x| u64::from(x)).collect::<Vec<_>>(), 1)
}

#[test]
fn pipelined_networks_stream_with_backpressure() {
    let seed = 9;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = 8u32;
    for (n, k) in [(4usize, 1usize), (8, 1), (8, 2), (8, 3), (16, 2), (64, 4)] {
        // compact, non-zero mask
        let p = ButterflyParams {
            pipeline: k,
            ..params(Mode::Compact, n, 8, MaskSource::Nonzero)
        };
        let m = build(&p, "butterfly").unwrap();
        let lw = n.trailing_zeros();
        let checked = stream(&m, &HashMap::new(), 300, &mut rng, |rng| {
            let mask: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.5)).collect();
            let v = random_values(rng, &mask, d, true);
            let c = golden::compact(&v, &mask, n).unwrap();
            let idx: Vec<u64> = c.beats[0].index.iter().map(|&i| i as u64).collect();
            (
                HashMap::from([("in_data".to_string(), pack(&v, d))]),
                vec![HashMap::from([
                    ("out_data".to_string(), pack(&c.beats[0].values, d)),
                    ("out_index".to_string(), pack(&idx, lw)),
                    (
                        "out_count".to_string(),
                        Bits::from_u64(lw + 1, c.count as u64),
                    ),
                    (
                        "out_valid_lanes".to_string(),
                        bools_to_bits(&c.beats[0].valid),
                    ),
                ])],
            )
        });
        assert!(
            checked > 50,
            "compact N={n} pipeline={k}: only {checked} transfers (seed {seed})"
        );
        // expand, external mask
        let p = ButterflyParams {
            pipeline: k,
            ..params(Mode::Expand, n, 8, MaskSource::External)
        };
        let m = build(&p, "butterfly").unwrap();
        let checked = stream(&m, &HashMap::new(), 200, &mut rng, |rng| {
            let mask: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.5)).collect();
            let dense: Vec<u64> = (0..n).map(|_| rng.gen_range(0..256)).collect();
            (
                HashMap::from([
                    ("in_data".to_string(), pack(&dense, d)),
                    ("in_mask".to_string(), bools_to_bits(&mask)),
                ]),
                vec![HashMap::from([(
                    "out_data".to_string(),
                    pack(&golden::expand(&dense, &mask).unwrap(), d),
                )])],
            )
        });
        assert!(
            checked > 30,
            "expand N={n} pipeline={k}: only {checked} transfers"
        );
        // permute, configuration fixed in the register
        let p = ButterflyParams {
            pipeline: k.min(2 * lw as usize - 1),
            ..params(Mode::Permute, n, 8, MaskSource::Nonzero)
        };
        let m = build(&p, "butterfly").unwrap();
        let mut perm: Vec<usize> = (0..n).collect();
        perm.shuffle(&mut rng);
        let fixed = HashMap::from([
            ("cfg_we".to_string(), Bits::from_u64(1, 1)),
            (
                "cfg_data".to_string(),
                permute_config_bits(&benes::route(&perm).unwrap()),
            ),
        ]);
        let checked = stream(&m, &fixed, 200, &mut rng, |rng| {
            let v: Vec<u64> = (0..n).map(|_| rng.gen_range(0..256)).collect();
            (
                HashMap::from([("in_data".to_string(), pack(&v, d))]),
                vec![HashMap::from([(
                    "out_data".to_string(),
                    pack(&golden::permute(&v, &perm).unwrap(), d),
                )])],
            )
        });
        assert!(
            checked > 30,
            "permute N={n} pipeline={k}: only {checked} transfers"
        );
    }
}

#[test]
fn multibeat_compaction_streams_beats() {
    let seed = 21;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = 8u32;
    for (n, kout, k) in [
        (4usize, 1usize, 0usize),
        (8, 3, 0),
        (8, 3, 2),
        (16, 4, 1),
        (16, 5, 4),
    ] {
        let p = ButterflyParams {
            pipeline: k,
            out_lanes: kout,
            ..params(Mode::Compact, n, 8, MaskSource::Nonzero)
        };
        let m = build(&p, "butterfly").unwrap();
        let lw = n.trailing_zeros();
        let mut beats_seen = 0;
        let checked = stream(&m, &HashMap::new(), 400, &mut rng, |rng| {
            let density = [0.0, 0.3, 0.7, 1.0][rng.gen_range(0..4)];
            let mask: Vec<bool> = (0..n).map(|_| rng.gen_bool(density)).collect();
            let v = random_values(rng, &mask, d, true);
            let c = golden::compact(&v, &mask, kout).unwrap();
            beats_seen += c.beats.len();
            let beats = c
                .beats
                .iter()
                .map(|b| {
                    let idx: Vec<u64> = b.index.iter().map(|&i| i as u64).collect();
                    HashMap::from([
                        ("out_data".to_string(), pack(&b.values, d)),
                        ("out_index".to_string(), pack(&idx, lw)),
                        (
                            "out_count".to_string(),
                            Bits::from_u64(lw + 1, c.count as u64),
                        ),
                        ("out_valid_lanes".to_string(), bools_to_bits(&b.valid)),
                    ])
                })
                .collect();
            (HashMap::from([("in_data".to_string(), pack(&v, d))]), beats)
        });
        assert!(
            checked > 60 && beats_seen > checked / 2,
            "N={n} K={kout} pipeline={k}: {checked} beats checked (seed {seed})"
        );
    }
}

fn verilator_lint(d: &Design) {
    let dir = tempfile::tempdir().unwrap();
    let paths = d.write_to(dir.path()).unwrap();
    let vfiles: Vec<_> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "v"))
        .collect();
    let out = Command::new("verilator")
        .args(["--lint-only", "-Wall", "--top-module", &d.top])
        .args(&vfiles)
        .output()
        .expect("verilator is not installed: run scripts/setup.sh");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "verilator lint of {} failed:\n{}",
        d.top,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn snapshots_n4_and_lint() {
    let cases = [
        (
            "compact_nonzero",
            params(Mode::Compact, 4, 8, MaskSource::Nonzero),
        ),
        (
            "compact_external",
            params(Mode::Compact, 4, 8, MaskSource::External),
        ),
        ("expand", params(Mode::Expand, 4, 8, MaskSource::External)),
        ("permute", params(Mode::Permute, 4, 8, MaskSource::Nonzero)),
        (
            "multicast",
            params(Mode::Multicast, 4, 8, MaskSource::Nonzero),
        ),
        (
            "compact_pipelined",
            ButterflyParams {
                pipeline: 1,
                ..params(Mode::Compact, 4, 8, MaskSource::Nonzero)
            },
        ),
        (
            "compact_multibeat",
            ButterflyParams {
                out_lanes: 2,
                ..params(Mode::Compact, 4, 8, MaskSource::Nonzero)
            },
        ),
        (
            "permute_pipelined",
            ButterflyParams {
                pipeline: 2,
                ..params(Mode::Permute, 4, 8, MaskSource::Nonzero)
            },
        ),
    ];
    for (name, p) in &cases {
        let d = generate(p, "butterfly").unwrap();
        verilator_lint(&d);
        insta::assert_snapshot!(format!("butterfly_{name}_n4"), d.verilog());
    }
    let x = generate_crossbar(4, 8, "crossbar").unwrap();
    verilator_lint(&x);
    insta::assert_snapshot!("crossbar_n4", x.verilog());
    for mask in [MaskSource::Nonzero, MaskSource::External] {
        let p = params(Mode::Compact, 4, 8, mask);
        let x = generate_crossbar_compact(&p, "crossbar_compact").unwrap();
        verilator_lint(&x);
        insta::assert_snapshot!(format!("crossbar_compact_{mask}_n4"), x.verilog());
        for n in [16usize, 64] {
            let p = params(Mode::Compact, n, 8, mask);
            verilator_lint(&generate_crossbar_compact(&p, "crossbar_compact").unwrap());
        }
    }
    // Larger configurations lint clean too.
    for (_, p) in &cases {
        for n in [16usize, 64] {
            let p = ButterflyParams {
                lanes: n,
                out_lanes: n,
                ..p.clone()
            };
            verilator_lint(&generate(&p, "butterfly").unwrap());
        }
    }
    verilator_lint(&generate_crossbar(16, 8, "crossbar").unwrap());
}
