//! Golden-model tests of the CIM macro (no RTL): answers worked out by hand, the bit-serial
//! recurrence against a direct `i128` dot product (proptest), the tight `OUT_W` bound,
//! bit-plane skipping, row gating, masks, banks and activity counters on crafted cases, the
//! timing model's schedule and the range / shape errors.

use nicc_rtl::blocks::cim::CimParams;
use nicc_testbench::cim::golden::{from_pattern, signed_range, to_pattern};
use nicc_testbench::cim::{CimGolden, GoldenError, MvmInput, TimingModel};
use proptest::prelude::*;

/// A small macro with one row block and one column group unless set.
fn params(rows: u32, cols: u32, wbits: u32, xbits: u32, x_signed: bool) -> CimParams {
    CimParams {
        rows,
        cols,
        wbits,
        xbits,
        x_signed,
        banks: 2,
        row_block: 4096,
        col_group: 1024,
        ..CimParams::default()
    }
}

fn load(p: &CimParams, bank: usize, w: &[&[i64]]) -> CimGolden {
    let mut g = CimGolden::new(p).unwrap();
    for (r, row) in w.iter().enumerate() {
        g.write_row(bank, r, row).unwrap();
    }
    g
}

/// W (3x2) = [[1, -2], [3, 4], [-8, 7]], x = [2, -1, 3] signed 4-bit:
/// y0 = 2 - 3 - 24 = -25, y1 = -4 - 4 + 21 = 13. Patterns 0010, 1111, 0011: every plane
/// has a one, so 4 cycles, nothing skipped, 3 active rows x 4 planes = 12 products.
#[test]
fn hand_computed_signed() {
    let p = params(3, 2, 4, 4, true);
    let g = load(&p, 0, &[&[1, -2], &[3, 4], &[-8, 7]]);
    let out = g.mvm(&MvmInput::dense(&p, vec![2, -1, 3])).unwrap();
    assert_eq!(out.y, vec![-25, 13]);
    assert_eq!(out.activity.cycles, 4);
    assert_eq!(out.activity.skipped_planes, 0);
    assert_eq!(out.activity.planes, vec![3, 2, 1, 0]);
    assert_eq!(out.activity.active_rows, 3);
    assert_eq!(out.activity.active_products, 12);
    // The recurrence by hand, MSB first: plane 3 (only row 1 has bit 3): P = (3, 4), s = -1
    // -> A = (-3, -4); plane 2 (row 1): A = 2A + (3, 4) = (-3, -4); plane 1 (rows 0, 1, 2):
    // P = (1+3-8, -2+4+7) = (-4, 9), A = (-10, 1); plane 0 (rows 1, 2): P = (-5, 11),
    // A = (-25, 13).
}

/// Unsigned 4-bit x = [1, 0, 4]: row 1 is gated (x = 0), planes 2 and 0 carry ones, planes
/// 3 and 1 are skipped: 2 cycles, 2 skipped, 2 active rows x 2 planes = 4 products.
/// y0 = 1*1 + 4*(-8) = -31, y1 = 1*(-2) + 4*7 = 26.
#[test]
fn hand_computed_unsigned_with_skipping() {
    let p = params(3, 2, 4, 4, false);
    let g = load(&p, 0, &[&[1, -2], &[3, 4], &[-8, 7]]);
    let out = g.mvm(&MvmInput::dense(&p, vec![1, 0, 4])).unwrap();
    assert_eq!(out.y, vec![-31, 26]);
    assert_eq!(out.activity.planes, vec![2, 0]);
    assert_eq!(out.activity.cycles, 2);
    assert_eq!(out.activity.skipped_planes, 2);
    assert_eq!(out.activity.active_rows, 2);
    assert_eq!(out.activity.active_products, 4);
}

/// One-bit weights are {-1, 0} (two's complement), one-bit signed inputs are {-1, 0}.
#[test]
fn one_bit_operands() {
    let p = params(4, 1, 1, 1, true);
    let g = load(&p, 0, &[&[-1], &[-1], &[0], &[-1]]);
    let out = g.mvm(&MvmInput::dense(&p, vec![-1, 0, -1, -1])).unwrap();
    // (-1)(-1) + 0 + (-1)(0) + (-1)(-1) = 2
    assert_eq!(out.y, vec![2]);
    assert_eq!(out.activity.active_rows, 3);
    assert_eq!(out.activity.active_products, 3);
    let pu = params(4, 1, 1, 1, false);
    let g = load(&pu, 0, &[&[-1], &[-1], &[0], &[-1]]);
    assert_eq!(
        g.mvm(&MvmInput::dense(&pu, vec![1, 1, 1, 0])).unwrap().y,
        vec![-2]
    );
}

/// x = w = the most negative value on every row reaches `2^(OUT_W-2)`, which needs all
/// `OUT_W = bx + BW + log2 R` signed bits (one bit fewer overflows): the bound is tight.
#[test]
fn out_width_bound_is_tight() {
    for (rows, wbits, xbits) in [(1, 1, 1), (2, 4, 4), (8, 8, 8), (64, 8, 8), (128, 4, 8)] {
        let p = params(rows, 2, wbits, xbits, true);
        let mut g = CimGolden::new(&p).unwrap();
        let wmin = signed_range(wbits).0;
        let xmin = signed_range(xbits).0;
        for r in 0..rows as usize {
            g.write_row(0, r, &[wmin, wmin]).unwrap();
        }
        let out = g
            .mvm(&MvmInput::dense(&p, vec![xmin; rows as usize]))
            .unwrap();
        let ow = p.out_width();
        assert_eq!(ow, xbits + wbits + rows.trailing_zeros());
        let expect = 1i64 << (ow - 2);
        assert_eq!(out.y, vec![expect, expect], "{rows}x{wbits}x{xbits}");
        let (lo, hi) = signed_range(ow);
        assert!(expect <= hi && expect >= lo);
        assert!(expect > signed_range(ow - 1).1, "fits one bit fewer");
        // The other extremes stay inside OUT_W too.
        let wmax = signed_range(wbits).1;
        for r in 0..rows as usize {
            g.write_row(1, r, &[wmax, wmin]).unwrap();
        }
        let job = MvmInput {
            bank: 1,
            ..MvmInput::dense(&p, vec![xmin; rows as usize])
        };
        for y in g.mvm(&job).unwrap().y {
            assert!(lo <= y && y <= hi);
        }
    }
}

#[test]
fn skipping_gating_and_counters() {
    let p = params(8, 3, 8, 8, true);
    let mut g = CimGolden::new(&p).unwrap();
    for r in 0..8 {
        g.write_row(0, r, &[r as i64 + 1, -(r as i64), 100])
            .unwrap();
    }
    // All zero: one null cycle, every plane skipped, nothing active.
    let out = g.mvm(&MvmInput::dense(&p, vec![0; 8])).unwrap();
    assert_eq!(out.y, vec![0, 0, 0]);
    assert_eq!(
        (
            out.activity.cycles,
            out.activity.skipped_planes,
            out.activity.active_products
        ),
        (1, 8, 0)
    );
    assert!(out.activity.planes.is_empty());
    // Only bit 0 anywhere: one plane.
    let x = vec![1, 0, 1, 0, 0, 0, 0, 1];
    let out = g.mvm(&MvmInput::dense(&p, x)).unwrap();
    assert_eq!(out.y, vec![1 + 3 + 8, -2 - 7, 300]);
    assert_eq!(out.activity.planes, vec![0]);
    assert_eq!(
        (
            out.activity.cycles,
            out.activity.skipped_planes,
            out.activity.active_rows,
            out.activity.active_products
        ),
        (1, 7, 3, 3)
    );
    // -1 is all ones: every plane, signed MSB plane counts negative.
    let mut x = vec![0; 8];
    x[5] = -1;
    let out = g.mvm(&MvmInput::dense(&p, x.clone())).unwrap();
    assert_eq!(out.y, vec![-6, 5, -100]);
    assert_eq!(out.activity.cycles, 8);
    assert_eq!(out.activity.active_products, 8);
    // Run-time precision 2: -1 is `11`, two planes; bx 0 and bx > xbits mean xbits.
    let out = g
        .mvm(&MvmInput {
            bx: 2,
            ..MvmInput::dense(&p, x.clone())
        })
        .unwrap();
    assert_eq!(out.y, vec![-6, 5, -100]);
    assert_eq!((out.activity.cycles, out.activity.skipped_planes), (2, 0));
    assert_eq!(g.effective_bx(0), 8);
    assert_eq!(g.effective_bx(9), 8);
    assert_eq!(g.effective_bx(3), 3);
    // 4 does not fit a signed 2-bit input.
    let e = g
        .mvm(&MvmInput {
            bx: 2,
            ..MvmInput::dense(&p, vec![4, 0, 0, 0, 0, 0, 0, 0])
        })
        .unwrap_err();
    assert!(
        matches!(e, GoldenError::InputRange { row: 0, bx: 2, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("allowed -2..=1"), "{e}");
}

#[test]
fn row_block_and_column_group_masks() {
    let p = CimParams {
        row_block: 2,
        col_group: 2,
        ..params(6, 5, 4, 4, false)
    };
    assert_eq!((p.row_blocks(), p.col_groups()), (3, 3));
    let mut g = CimGolden::new(&p).unwrap();
    for r in 0..6 {
        g.write_row(0, r, &[1, 2, 3, 4, 5]).unwrap();
    }
    let x = vec![1, 2, 4, 8, 0, 3];
    let job = MvmInput {
        row_mask: vec![true, false, true],
        col_mask: vec![false, true, true],
        ..MvmInput::dense(&p, x)
    };
    let out = g.mvm(&job).unwrap();
    // Rows 0, 1, 5 take part (row 4 has x = 0): sum x = 6; columns 0, 1 disabled.
    assert_eq!(out.y, vec![0, 0, 18, 24, 30]);
    assert_eq!(out.activity.active_rows, 3);
    // Patterns of the enabled rows: 0001 0010 0011 -> planes 1, 0; rows 2, 3 (planes 2, 3)
    // are masked so their planes are skipped.
    assert_eq!(out.activity.planes, vec![1, 0]);
    assert_eq!(out.activity.skipped_planes, 2);
    assert_eq!(out.activity.active_products, 6);
    // Everything disabled: a null MVM.
    let job = MvmInput {
        row_mask: vec![false; 3],
        ..job
    };
    let out = g.mvm(&job).unwrap();
    assert_eq!(out.y, vec![0; 5]);
    assert_eq!((out.activity.cycles, out.activity.skipped_planes), (1, 4));
    // Mask length errors.
    let bad = MvmInput {
        col_mask: vec![true],
        ..MvmInput::dense(&p, vec![0; 6])
    };
    let e = g.mvm(&bad).unwrap_err().to_string();
    assert!(e.contains("3 / 3 entries"), "{e}");
}

#[test]
fn banks_are_independent_and_read_back() {
    let p = params(2, 2, 4, 4, true);
    let mut g = CimGolden::new(&p).unwrap();
    g.write_row(0, 0, &[1, 2]).unwrap();
    g.write_row(0, 1, &[3, 4]).unwrap();
    g.write_row(1, 0, &[-1, -2]).unwrap();
    g.write_row(1, 1, &[7, -8]).unwrap();
    let x = vec![2, 3];
    let y0 = g.mvm(&MvmInput::dense(&p, x.clone())).unwrap().y;
    assert_eq!(y0, vec![11, 16]);
    let job1 = MvmInput {
        bank: 1,
        ..MvmInput::dense(&p, x.clone())
    };
    assert_eq!(g.mvm(&job1).unwrap().y, vec![19, -28]);
    // Rewriting bank 1 never changes bank 0.
    g.write_row(1, 0, &[5, 5]).unwrap();
    assert_eq!(g.mvm(&MvmInput::dense(&p, x)).unwrap().y, y0);
    assert_eq!(g.read_row(1, 0).unwrap(), &[5, 5]);
    assert_eq!(g.read_row(0, 1).unwrap(), &[3, 4]);
    // Errors name what was wrong.
    let e = g.write_row(0, 0, &[8, 0]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "weight W[0][0] = 8 does not fit wbits = 4 (allowed -8..=7)"
    );
    assert!(g
        .write_row(2, 0, &[0, 0])
        .unwrap_err()
        .to_string()
        .contains("bank"));
    assert!(g
        .write_row(0, 2, &[0, 0])
        .unwrap_err()
        .to_string()
        .contains("row"));
    assert!(g
        .write_row(0, 0, &[0])
        .unwrap_err()
        .to_string()
        .contains("weights per row"));
    assert!(g.read_row(0, 9).is_err());
}

#[test]
fn patterns_round_trip() {
    assert_eq!(to_pattern(-1, 4), 0xf);
    assert_eq!(to_pattern(-8, 4), 0x8);
    assert_eq!(from_pattern(0x8, 4, true), -8);
    assert_eq!(from_pattern(0x8, 4, false), 8);
    assert_eq!(from_pattern(to_pattern(-5, 64), 64, true), -5);
}

/// Back-to-back MVMs of n cycles are accepted every n cycles; each pops `n + p + 1` cycles
/// after its accept when the consumer is always ready.
#[test]
fn timing_model_steady_state_and_backpressure() {
    for p in [0u32, 2] {
        let t = TimingModel {
            tree_pipeline: p,
            fifo_depth: (p + 3).next_power_of_two(),
        };
        let cycles = [3, 3, 1, 8, 2];
        let s = t.schedule(&cycles, &[0; 5], &|_| true, 1000);
        assert_eq!(s.accept, vec![0, 3, 6, 7, 15]);
        let pops: Vec<u64> = s
            .accept
            .iter()
            .zip(cycles)
            .map(|(a, n)| a + n as u64 + p as u64 + 1)
            .collect();
        assert_eq!(s.pop, pops);
        // A consumer that never reads: acceptance stops at the FIFO depth.
        let s = t.schedule(&[1; 20], &[0; 20], &|_| false, 200);
        assert_eq!(s.accept.len() as u32, t.fifo_depth);
        assert!(s.pop.is_empty());
    }
    assert!(TimingModel::write_hazard(10, 4, 0, 10, 0));
    assert!(TimingModel::write_hazard(10, 4, 0, 13, 0));
    assert!(!TimingModel::write_hazard(10, 4, 0, 14, 0));
    assert!(!TimingModel::write_hazard(10, 4, 0, 9, 0));
    assert!(!TimingModel::write_hazard(10, 4, 0, 11, 1));
}

#[test]
fn golden_refuses_bf16_and_bad_params() {
    let p = CimParams {
        format: nicc_rtl::blocks::cim::CimFormat::Bf16,
        ..CimParams::default()
    };
    assert!(matches!(CimGolden::new(&p), Err(GoldenError::Params(_))));
    let p = CimParams {
        rows: 0,
        ..CimParams::default()
    };
    assert!(CimGolden::new(&p).unwrap_err().to_string().contains("rows"));
}

/// A random configuration with weights, inputs and masks in range.
#[derive(Debug, Clone)]
struct Case {
    p: CimParams,
    w: Vec<Vec<i64>>,
    x: Vec<i64>,
    bx: u32,
    row_mask: Vec<bool>,
    col_mask: Vec<bool>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1u32..40,
        1u32..5,
        1u32..12,
        1u32..12,
        any::<bool>(),
        1u32..8,
        1u32..4,
        any::<u64>(),
    )
        .prop_map(|(rows, cols, wbits, xbits, x_signed, rb, cg, seed)| {
            use rand::{Rng, SeedableRng};
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let p = CimParams {
                row_block: rb,
                col_group: cg,
                ..params(rows, cols, wbits, xbits, x_signed)
            };
            let bx = rng.gen_range(0..=xbits + 2);
            let ebx = if bx == 0 || bx > xbits { xbits } else { bx };
            let (wlo, whi) = signed_range(wbits);
            let (xlo, xhi) = if x_signed {
                signed_range(ebx)
            } else {
                (0, (1i64 << ebx) - 1)
            };
            let zero_frac = [0.0, 0.5, 0.9][rng.gen_range(0..3)];
            let pick =
                |rng: &mut rand_chacha::ChaCha8Rng, lo: i64, hi: i64| match rng.gen_range(0..6) {
                    0 => lo,
                    1 => hi,
                    _ => rng.gen_range(lo..=hi),
                };
            let w = (0..rows)
                .map(|_| (0..cols).map(|_| pick(&mut rng, wlo, whi)).collect())
                .collect();
            let x = (0..rows)
                .map(|_| {
                    if rng.gen_bool(zero_frac) {
                        0
                    } else {
                        pick(&mut rng, xlo, xhi)
                    }
                })
                .collect();
            let row_mask = (0..p.row_blocks()).map(|_| rng.gen_bool(0.8)).collect();
            let col_mask = (0..p.col_groups()).map(|_| rng.gen_bool(0.8)).collect();
            Case {
                p,
                w,
                x,
                bx,
                row_mask,
                col_mask,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The bit-serial recurrence equals the direct dot product (computed here in i128), the
    /// result fits OUT_W, and the activity follows the definition.
    #[test]
    fn bit_serial_equals_direct_dot(c in case()) {
        let p = &c.p;
        let mut g = CimGolden::new(p).unwrap();
        for (r, row) in c.w.iter().enumerate() {
            g.write_row(1, r, row).unwrap();
        }
        let job = MvmInput {
            x: c.x.clone(),
            bx: c.bx,
            bank: 1,
            row_mask: c.row_mask.clone(),
            col_mask: c.col_mask.clone(),
        };
        let out = g.mvm(&job).unwrap();
        let ebx = if c.bx == 0 || c.bx > p.xbits { p.xbits } else { c.bx };
        let rb = p.row_block as usize;
        let cg = p.col_group as usize;
        let (lo, hi) = signed_range(p.out_width());
        for col in 0..p.cols as usize {
            let want: i128 = if c.col_mask[col / cg] {
                (0..p.rows as usize)
                    .filter(|&r| c.row_mask[r / rb])
                    .map(|r| c.x[r] as i128 * c.w[r][col] as i128)
                    .sum()
            } else {
                0
            };
            prop_assert_eq!(out.y[col] as i128, want, "column {}", col);
            prop_assert!((lo as i128..=hi as i128).contains(&want));
        }
        let active: Vec<usize> = (0..p.rows as usize)
            .filter(|&r| c.row_mask[r / rb] && c.x[r] != 0)
            .collect();
        let or = active
            .iter()
            .fold(0u64, |a, &r| a | to_pattern(c.x[r], ebx));
        let planes = or.count_ones();
        prop_assert_eq!(out.activity.active_rows as usize, active.len());
        prop_assert_eq!(out.activity.cycles, planes.max(1));
        prop_assert_eq!(out.activity.skipped_planes, ebx - planes);
        prop_assert_eq!(out.activity.active_products, active.len() as u64 * planes as u64);
        prop_assert_eq!(out.y, g.dot(&job));
    }
}
