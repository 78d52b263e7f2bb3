//! The simulator binding itself: ports of 1 to 512 bits against big-integer math, random
//! expression trees against an independent evaluator, Icarus agreement, the model cache,
//! width checks and waveforms.

#[path = "../../rtl/tests/exprs/mod.rs"]
mod exprs;

use nicc_rtl::{emit, Bits, ModuleBuilder, Signal};
use nicc_sim::{icarus, BuildOptions, CxxOpt, Model, SimError};
use num_bigint::BigUint;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const WIDTHS: [u32; 6] = [1, 63, 64, 65, 128, 512];

/// For every width: sum, xor and a registered copy of the sum.
fn wide_design() -> nicc_rtl::Design {
    let mut m = ModuleBuilder::new("wide_ports");
    m.clock_domain();
    for w in WIDTHS {
        let a = m.input(&format!("a{w}"), w);
        let b = m.input(&format!("b{w}"), w);
        let s = m.wire(&format!("s{w}"), &(&a + &b));
        m.output(&format!("sum{w}"), &s);
        m.output(&format!("xor{w}"), &(&a ^ &b));
        let q = m.reg(&format!("q{w}"), &s);
        m.output(&format!("sum{w}_q"), &q);
    }
    emit(&m.finish().unwrap()).unwrap()
}

fn random(r: &mut StdRng, w: u32) -> Bits {
    let words: Vec<u32> = (0..w.div_ceil(32)).map(|_| r.gen()).collect();
    Bits::from_words(w, &words)
}

fn big(b: &Bits) -> BigUint {
    BigUint::from_slice(b.words())
}

#[test]
fn wide_ports_match_bigint_per_cycle_and_batched() {
    let seed = 0xface_u64;
    eprintln!("seed = {seed:#x}");
    let mut r = StdRng::seed_from_u64(seed);
    let d = wide_design();
    let mut m = Model::build(&d).unwrap();
    m.reset(1).unwrap();
    let mut prev: Option<Vec<BigUint>> = None;
    for _ in 0..200 {
        let mut sums = Vec::new();
        for w in WIDTHS {
            let (a, b) = (random(&mut r, w), random(&mut r, w));
            m.set(m.port(&format!("a{w}")).unwrap(), &a).unwrap();
            m.set(m.port(&format!("b{w}")).unwrap(), &b).unwrap();
            m.eval();
            let mask = (BigUint::from(1u8) << w) - 1u8;
            let want = (big(&a) + big(&b)) & &mask;
            let p = m.port(&format!("sum{w}")).unwrap();
            assert_eq!(big(&m.get(p)), want, "sum at {w} bits");
            let p = m.port(&format!("xor{w}")).unwrap();
            assert_eq!(big(&m.get(p)), big(&a) ^ big(&b), "xor at {w} bits");
            sums.push(want);
        }
        m.step().unwrap();
        for (i, w) in WIDTHS.iter().enumerate() {
            let p = m.port(&format!("sum{w}_q")).unwrap();
            assert_eq!(big(&m.get(p)), sums[i], "registered sum at {w} bits");
        }
        prev = Some(sums);
    }
    assert!(prev.is_some());
    // The same through the batched path.
    let cycles: Vec<Vec<Bits>> = (0..300)
        .map(|_| {
            let mut v = vec![Bits::from_u64(1, 0)];
            for w in WIDTHS {
                v.push(random(&mut r, w));
                v.push(random(&mut r, w));
            }
            v
        })
        .collect();
    let outs = m.run_batch(&cycles).unwrap();
    for (c, o) in cycles.iter().zip(&outs) {
        for (i, w) in WIDTHS.iter().enumerate() {
            let mask = (BigUint::from(1u8) << *w) - 1u8;
            let want = (big(&c[1 + 2 * i]) + big(&c[2 + 2 * i])) & &mask;
            assert_eq!(big(&o[3 * i]), want);
            assert_eq!(big(&o[3 * i + 2]), want, "registered, batched");
        }
    }
}

#[test]
fn random_expression_trees_match_the_independent_evaluator() {
    // Several seeds, each one model of 10 random trees over 4 inputs of random widths; 30
    // seeds under `NICC_FULL=1` (`make test-full`).
    let full = std::env::var_os("NICC_FULL").is_some_and(|v| v == "1");
    let seeds: Vec<u64> = if full {
        (1..=30).collect()
    } else {
        vec![1, 2, 3]
    };
    for seed in seeds {
        let mut g = exprs::Gen::with_pieces(seed, 4);
        let trees: Vec<exprs::T> = (0..10)
            .map(|_| {
                let w = [1u32, 8, 33, 64, 65, 130][g.rng.gen_range(0..6)];
                let depth = g.rng.gen_range(1..5);
                g.expr(w, depth)
            })
            .collect();
        let design = emit(&exprs::module_wired(
            &format!("rand_exprs_s{seed}"),
            &g,
            &trees,
        ))
        .unwrap();
        let mut m = Model::build(&design).unwrap();
        let mut inputs = Vec::new();
        for _ in 0..200 {
            let vals: Vec<BigUint> = g
                .inputs
                .iter()
                .map(|w| {
                    let words: Vec<u32> = (0..w.div_ceil(32)).map(|_| g.rng.gen()).collect();
                    BigUint::from_slice(&words) & exprs::mask(*w)
                })
                .collect();
            inputs.push(vals);
        }
        let cycles: Vec<Vec<Bits>> = inputs
            .iter()
            .map(|vals| {
                vals.iter()
                    .zip(&g.inputs)
                    .map(|(v, w)| Bits::from_words(*w, &v.to_u32_digits()))
                    .collect()
            })
            .collect();
        let outs = m.run_batch(&cycles).unwrap();
        for (vals, o) in inputs.iter().zip(&outs) {
            for (k, t) in trees.iter().enumerate() {
                assert_eq!(
                    big(&o[k]),
                    exprs::eval(t, &g.inputs, vals),
                    "seed {seed}, tree {k}: {t:?}"
                );
            }
        }
    }
}

#[test]
fn icarus_agrees_with_verilator() {
    let mut r = StdRng::seed_from_u64(7);
    // A clocked design with a reset in the stimulus, and a combinational one.
    let d = emit(&nicc_rtl::blocks::demo::reg_adder(8).unwrap()).unwrap();
    let mut stim: Vec<Vec<Bits>> = vec![vec![Bits::from_u64(1, 1), Bits::zero(8), Bits::zero(8)]];
    for _ in 0..100 {
        stim.push(vec![
            Bits::from_u64(1, 0),
            random(&mut r, 8),
            random(&mut r, 8),
        ]);
    }
    let v = Model::build(&d).unwrap().run_batch(&stim).unwrap();
    let i = icarus::run_batch(&d, &stim).unwrap();
    assert_eq!(v, i);
    let d = wide_design();
    let mut stim = vec![{
        let mut v = vec![Bits::from_u64(1, 1)];
        v.extend(WIDTHS.iter().flat_map(|w| [Bits::zero(*w), Bits::zero(*w)]));
        v
    }];
    for _ in 0..50 {
        let mut v = vec![Bits::from_u64(1, 0)];
        for w in WIDTHS {
            v.push(random(&mut r, w));
            v.push(random(&mut r, w));
        }
        stim.push(v);
    }
    let v = Model::build(&d).unwrap().run_batch(&stim).unwrap();
    let i = icarus::run_batch(&d, &stim).unwrap();
    assert_eq!(v, i);
}

#[test]
fn cache_builds_once_under_concurrency_then_hits() {
    // A private cache, so the first build really builds.
    let dir = tempfile::tempdir().unwrap();
    let mut m = ModuleBuilder::new("cache_probe");
    let a = m.input("a", 5);
    m.output("y", &(&a ^ &Signal::lit(5, 0b10101)));
    let d = emit(&m.finish().unwrap()).unwrap();
    let opts = BuildOptions {
        trace: false,
        cache_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let before = nicc_sim::build_count();
    let hits: Vec<bool> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    Model::build_with(&d, &opts, None)
                        .unwrap()
                        .build_info()
                        .cache_hit
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        hits.iter().filter(|h| !**h).count(),
        1,
        "exactly one thread builds: {hits:?}"
    );
    assert!(nicc_sim::build_count() > before);
    let mut again = Model::build_with(&d, &opts, None).unwrap();
    assert!(again.build_info().cache_hit);
    let (a, y) = (again.port("a").unwrap(), again.port("y").unwrap());
    again.set_u64(a, 0b00111).unwrap();
    again.eval();
    assert_eq!(again.get_u64(y), 0b10010);
    // Nothing half-built is left where a later build would take it for a model.
    let models: Vec<_> = std::fs::read_dir(dir.path().join("models"))
        .unwrap()
        .collect();
    assert_eq!(models.len(), 1);
    // The runtime headers were precompiled once, beside their source.
    let pch: Vec<_> = std::fs::read_dir(dir.path().join("pch"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(pch.len(), 1, "{pch:?}");
    let gch = pch[0].join("nicc_pch.h.gch");
    assert!(gch.metadata().unwrap().len() > 0, "{}", gch.display());
    // A precompiled header g++ cannot use costs speed, not correctness: the next model
    // parses the headers itself.
    std::fs::write(&gch, b"not a precompiled header").unwrap();
    let mut m = ModuleBuilder::new("cache_probe_2");
    let a = m.input("a", 5);
    m.output("y", &(&a + &Signal::lit(5, 3)));
    let d2 = emit(&m.finish().unwrap()).unwrap();
    let mut second = Model::build_with(&d2, &opts, None).unwrap();
    assert!(!second.build_info().cache_hit);
    let (a, y) = (second.port("a").unwrap(), second.port("y").unwrap());
    second.set_u64(a, 30).unwrap();
    second.eval();
    assert_eq!(second.get_u64(y), 1);
    // The first design again at -O3 (default -O1): another model, recording its level, on the
    // same runtime with a header precompiled for its level.
    assert_eq!(opts.cxx_opt, CxxOpt::O1);
    let o3 = BuildOptions {
        cxx_opt: CxxOpt::O3,
        ..opts.clone()
    };
    let mut fast_run = Model::build_with(&d, &o3, None).unwrap();
    assert!(!fast_run.build_info().cache_hit, "-O3 reused the -O1 model");
    assert_ne!(fast_run.build_info().key, again.build_info().key);
    for (m, flag) in [(&again, "-O1"), (&fast_run, "-O3")] {
        let meta = m.build_info().library.with_file_name("meta.json");
        let meta = std::fs::read_to_string(meta).unwrap();
        assert!(meta.contains(&format!("\"cxx_opt\":\"{flag}\"")), "{meta}");
    }
    let count = |sub: &str| std::fs::read_dir(dir.path().join(sub)).unwrap().count();
    assert_eq!(count("runtime"), 1);
    assert_eq!(count("pch"), 2);
    let (a, y) = (fast_run.port("a").unwrap(), fast_run.port("y").unwrap());
    for x in 0..32 {
        fast_run.set_u64(a, x).unwrap();
        fast_run.eval();
        assert_eq!(fast_run.get_u64(y), x ^ 0b10101, "a = {x}");
    }
}

#[test]
fn port_errors_are_clear_and_vcd_is_written() {
    let d = emit(&nicc_rtl::blocks::demo::counter(4).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("wave.vcd");
    let opts = BuildOptions {
        trace: true,
        ..Default::default()
    };
    let mut m = Model::build_with(&d, &opts, Some(&vcd)).unwrap();
    let en = m.port("en").unwrap();
    match m.set_u64(en, 2) {
        Err(SimError::TooWide { port, width, .. }) => assert_eq!((port.as_str(), width), ("en", 1)),
        other => panic!("expected TooWide, got {other:?}"),
    }
    let e = m.port("enable").unwrap_err().to_string();
    assert_eq!(
        e,
        "design `counter_w4` has no port `enable`; ports: clk, rst, en, value, wrap"
    );
    let v = m.port("value").unwrap();
    assert_eq!(
        m.set_u64(v, 1).unwrap_err().to_string(),
        "port `value` is an output and cannot be set"
    );
    m.reset(1).unwrap();
    m.set_u64(en, 1).unwrap();
    for _ in 0..5 {
        m.step().unwrap();
    }
    assert_eq!(m.get_u64(v), 5);
    drop(m);
    let text = std::fs::read_to_string(&vcd).unwrap();
    assert!(
        text.contains("$var") && text.contains("value"),
        "{}",
        &text[..text.len().min(400)]
    );
    // Stepping a combinational design is an error, not a silent no-op.
    let d = emit(&nicc_rtl::blocks::demo::switch2x2(2).unwrap()).unwrap();
    let mut m = Model::build(&d).unwrap();
    assert_eq!(
        m.step().unwrap_err().to_string(),
        "design `switch2x2_w2` has no clock: use eval() instead of step()"
    );
}

/// The shim's direct root evaluation (untraced models on Verilator 5.006) computes what
/// `eval()` computes: the same design, untraced and traced (which always goes through
/// `eval()`), gives the same outputs every cycle for the same random stimulus.
#[test]
fn direct_eval_agrees_with_eval() {
    let d = wide_design();
    let dir = tempfile::tempdir().unwrap();
    let mut fast = Model::build(&d).unwrap();
    let opts = BuildOptions {
        trace: true,
        ..Default::default()
    };
    let mut slow = Model::build_with(&d, &opts, Some(&dir.path().join("w.vcd"))).unwrap();
    let version = nicc_sim::build::verilator_version().unwrap();
    assert_eq!(
        fast.direct_eval(),
        version.starts_with("Verilator 5.006 "),
        "{version}"
    );
    assert!(!slow.direct_eval());
    let mut r = StdRng::seed_from_u64(0xD1EC7);
    let ins: Vec<_> = fast.batch_inputs().into_iter().cloned().collect();
    let cycles: Vec<Vec<Bits>> = (0..200)
        .map(|c| {
            ins.iter()
                .map(|p| {
                    if p.name == "rst" {
                        Bits::from_u64(1, (c < 2) as u64)
                    } else {
                        random(&mut r, p.width)
                    }
                })
                .collect()
        })
        .collect();
    assert_eq!(
        fast.run_batch(&cycles).unwrap(),
        slow.run_batch(&cycles).unwrap()
    );
}
