//! Co-simulation of the HDL core's demonstration designs against Rust models, per cycle and
//! batched, with seeded random vectors (the seed is printed on failure).

use nicc_rtl::{blocks::demo, emit, Bits};
use nicc_sim::Model;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SEED: u64 = 0x5eed_0001;

fn rng() -> StdRng {
    eprintln!("seed = {SEED:#x}");
    StdRng::seed_from_u64(SEED)
}

#[test]
fn counter_counts_with_enable_and_wraps() {
    let d = emit(&demo::counter(4).unwrap()).unwrap();
    let mut m = Model::build(&d).unwrap();
    let (en, value, wrap) = (
        m.port("en").unwrap(),
        m.port("value").unwrap(),
        m.port("wrap").unwrap(),
    );
    m.reset(2).unwrap();
    let mut r = rng();
    let mut model = 0u64;
    for cycle in 0..200 {
        let e = r.gen_bool(0.7);
        m.set_u64(en, e as u64).unwrap();
        m.step().unwrap();
        if e {
            model = (model + 1) % 16;
        }
        assert_eq!(m.get_u64(value), model, "cycle {cycle}");
        assert_eq!(m.get_u64(wrap), (model == 15) as u64, "cycle {cycle}");
    }
}

#[test]
fn registered_signed_adder_per_cycle_and_batched() {
    let d = emit(&demo::reg_adder(8).unwrap()).unwrap();
    let mut m = Model::build(&d).unwrap();
    let (a, b, out) = (
        m.port("a").unwrap(),
        m.port("b").unwrap(),
        m.port("out").unwrap(),
    );
    m.reset(1).unwrap();
    let mut r = rng();
    for _ in 0..500 {
        let (x, y): (i8, i8) = (r.gen(), r.gen());
        m.set(a, &Bits::from_i64(8, x as i64)).unwrap();
        m.set(b, &Bits::from_i64(8, y as i64)).unwrap();
        m.step().unwrap();
        assert_eq!(m.get(out).to_i64(), Some(x as i64 + y as i64), "{x} + {y}");
    }
    // Batched: inputs are rst, a, b (clock excluded); output after each edge.
    let names: Vec<&str> = m.batch_inputs().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["rst", "a", "b"]);
    let vecs: Vec<(i8, i8)> = (0..1000).map(|_| (r.gen(), r.gen())).collect();
    let inputs: Vec<Vec<Bits>> = vecs
        .iter()
        .map(|(x, y)| {
            vec![
                Bits::from_u64(1, 0),
                Bits::from_i64(8, *x as i64),
                Bits::from_i64(8, *y as i64),
            ]
        })
        .collect();
    let outs = m.run_batch(&inputs).unwrap();
    for ((x, y), o) in vecs.iter().zip(&outs) {
        assert_eq!(o[0].to_i64(), Some(*x as i64 + *y as i64));
    }
}

#[test]
fn switch_memory_hierarchy_and_signed_mix() {
    let mut r = rng();
    // 2x2 switch (combinational).
    let d = emit(&demo::switch2x2(8).unwrap()).unwrap();
    let mut m = Model::build(&d).unwrap();
    let ins: Vec<Vec<Bits>> = (0..300)
        .map(|_| {
            vec![
                Bits::from_u64(8, r.gen::<u8>() as u64),
                Bits::from_u64(8, r.gen::<u8>() as u64),
                Bits::from_u64(1, r.gen_bool(0.5) as u64),
            ]
        })
        .collect();
    for (i, o) in ins.iter().zip(m.run_batch(&ins).unwrap()) {
        let (x, y) = if i[2].bit(0) {
            (&i[1], &i[0])
        } else {
            (&i[0], &i[1])
        };
        assert_eq!((&o[0], &o[1]), (x, y));
    }
    // Memory: write random words, read back combinationally and registered.
    let d = emit(&demo::small_memory(16, 8).unwrap()).unwrap();
    let mut m = Model::build(&d).unwrap();
    let p = |m: &Model, n: &str| m.port(n).unwrap();
    let (we, wa, wd, ra, rd, rq) = (
        p(&m, "we"),
        p(&m, "waddr"),
        p(&m, "wdata"),
        p(&m, "raddr"),
        p(&m, "rdata"),
        p(&m, "rdata_reg"),
    );
    let mut mem = [0u64; 16];
    for i in 0..16 {
        m.set_u64(we, 1).unwrap();
        m.set_u64(wa, i).unwrap();
        mem[i as usize] = r.gen::<u8>() as u64;
        m.set_u64(wd, mem[i as usize]).unwrap();
        m.step().unwrap();
    }
    m.set_u64(we, 0).unwrap();
    for _ in 0..100 {
        let a = r.gen_range(0..16u64);
        m.set_u64(ra, a).unwrap();
        m.eval();
        assert_eq!(m.get_u64(rd), mem[a as usize]);
        m.step().unwrap();
        assert_eq!(m.get_u64(rq), mem[a as usize]);
    }
    // Two-level hierarchy with a deduplicated submodule.
    let d = emit(&demo::hier_sum4(8).unwrap()).unwrap();
    let mut m = Model::build(&d).unwrap();
    let ins: Vec<Vec<Bits>> = (0..300)
        .map(|_| {
            (0..4)
                .map(|_| Bits::from_u64(8, r.gen::<u8>() as u64))
                .collect()
        })
        .collect();
    for (i, o) in ins.iter().zip(m.run_batch(&ins).unwrap()) {
        let s: u64 = i.iter().map(|b| b.to_u64().unwrap()).sum();
        assert_eq!(o[0].to_u64(), Some(s));
    }
    // Signed multiply, negate, arithmetic shift, compares, sign extension.
    let d = emit(&demo::signed_mix(8).unwrap()).unwrap();
    let mut m = Model::build(&d).unwrap();
    for _ in 0..500 {
        let (a, b, sh): (i8, i8, u8) = (r.gen(), r.gen(), r.gen_range(0..8));
        let o = m
            .run_batch(&[vec![
                Bits::from_i64(8, a as i64),
                Bits::from_i64(8, b as i64),
                Bits::from_u64(3, sh as u64),
            ]])
            .unwrap()
            .remove(0);
        let (a64, b64) = (a as i64, b as i64);
        assert_eq!(o[0].to_i64(), Some(a64 * b64), "prod {a} {b}");
        assert_eq!(o[1].to_i64(), Some(a.wrapping_neg() as i64), "neg {a}");
        assert_eq!(o[2].to_i64(), Some((a >> sh) as i64), "ashr {a} {sh}");
        assert_eq!(o[3].to_u64(), Some((a < b) as u64));
        assert_eq!(o[4].to_u64(), Some(((a as u8) < (b as u8)) as u64));
        assert_eq!(o[5].to_i64(), Some(a.wrapping_sub(b) as i64));
        assert_eq!(o[6].to_i64(), Some((a >> 1) as i64));
    }
}
