//! `nicc bench sim` on a small registered sum: the three variants (per cycle, batched, plain
//! C++ harness) see the same stimulus and every cycle of each agrees with the golden sum.

use nicc_rtl::blocks::synthetic::registered_sum;
use nicc_rtl::emit;
use nicc_sim::bench::bench_sim;

#[test]
fn all_three_variants_agree_with_the_golden_sum() {
    let d = emit(&registered_sum(8, 8).unwrap()).unwrap();
    let b = bench_sim(&d, 20_000, 1).unwrap();
    assert_eq!(b.cycles, 20_000);
    assert_eq!(b.mismatches, 0, "a variant disagreed with the golden sum");
    for (name, r) in [
        ("per port", b.per_port),
        ("per cycle", b.per_cycle),
        ("batched", b.batched),
        ("plain C++", b.plain_cpp),
    ] {
        assert!(r.is_finite() && r > 0.0, "{name} rate {r}");
    }
}

#[test]
fn a_design_without_word_sized_inputs_is_refused() {
    // 3 x 8 bits = 24 bits of `in_data`: not a whole number of words.
    let d = emit(&registered_sum(3, 8).unwrap()).unwrap();
    let e = bench_sim(&d, 10, 1).unwrap_err().to_string();
    assert!(e.contains("multiple of 32 bits"), "{e}");
}
