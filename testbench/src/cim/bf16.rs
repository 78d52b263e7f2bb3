//! BF16 golden model of the CIM macro: exponent pre-alignment onto the integer datapath.
//!
//! # Semantics
//! A BF16 value with biased exponent `e` (1..=254) and fraction `m` is
//! `(-1)^s * M * 2^(e - 134)`, `M = 128 + m` (hidden bit). Zeros and subnormals (`e = 0`)
//! are zero (subnormals flush); NaN and infinities (`e = 255`) are zero in the datapath and
//! raise the sticky `non_finite` flag.
//! - **Inputs**, per MVM and per alignment group of `align_group` rows: `Ex` = the max
//!   exponent of the group's non-zero inputs; each input becomes the `k = xalign`-bit signed
//!   integer `q = sign * floor(M * 2^(k - 9 - (Ex - e)))` (zero if shifted out), standing for
//!   `q * 2^(Ex - 127 - (k - 2))`.
//! - **Weights**, per column over all rows, the same with `k = wbits` and `Ew_c` (done once,
//!   offline, when the weights are written).
//! - The integer datapath sums `S_gc = sum_{r in g} qx_r * qw_rc` exactly; the output is
//!   `y_c = sum_g S_gc * 2^(Ex_g - 127 - (xalign - 2)) * 2^(Ew_c - 127 - (wbits - 2))`, computed
//!   exactly and rounded once to BF16 and once to FP32, round to nearest even, as if the
//!   exponent were unbounded; a result below 2^-126 flushes to zero, one at or above 2^128
//!   becomes infinity (and sets `overflow`).
//!
//! # Error bound against an f64 reference
//! Truncation loses less than one unit `dx_g = 2^(Ex_g - 127 - (xalign - 2))` per input and
//! `dw_c = 2^(Ew_c - 127 - (wbits - 2))` per weight, and `|q| <= |v|`, so with
//! `ref_c = sum_r x_r * w_rc` (f64, non-finite inputs counted as 0):
//!
//! `|sum - ref_c| <= B_c = sum_r (flushed(x_r) or flushed(w_rc) ? |x_r w_rc| : |x_r| dw_c + |w_rc| dx_g)`
//!
//! and after rounding `|y_c - ref_c| <= B_c + u * (|ref_c| + B_c) + 2^-126 + e64`, with
//! `u = 2^-8` for BF16, `2^-24` for FP32 and `e64 = R * 2^-52 * sum_r |x_r w_rc|` for the f64
//! reference's own rounding ([`error_bound`] computes it; the tests check it holds).

use super::golden::GoldenError;
use nicc_rtl::blocks::cim::{CimFormat, CimParams};
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

/// Converts an `f32` to BF16 bits, round to nearest even (NaN stays NaN).
pub fn bf16_from_f32(v: f32) -> u16 {
    let b = v.to_bits();
    if v.is_nan() {
        return ((b >> 16) as u16) | 0x40;
    }
    let round = 0x7fff + ((b >> 16) & 1);
    ((b.wrapping_add(round)) >> 16) as u16
}

/// Rounds an `f64` to `f32` by **round to odd**: truncate toward zero, and when that lost
/// anything, set the last fraction bit (a finite value too large for `f32` becomes
/// `±f32::MAX`). `f32` keeps 16 more fraction bits than BF16 (subnormals included), so
/// [`bf16_from_f32`] of the result is the single nearest-even rounding of `v` to BF16: no
/// double-rounding error, unlike `v as f32`. NaN and infinities pass through.
pub fn f32_round_to_odd(v: f64) -> f32 {
    let f = v as f32;
    if v.is_nan() || f as f64 == v {
        return f;
    }
    let mut b = f.to_bits();
    if (f as f64).abs() > v.abs() {
        // `f` was rounded away from zero: step its magnitude back (sign-magnitude bits).
        b -= 1;
    }
    f32::from_bits(b | 1)
}

/// Converts an `f64` to BF16 bits, one round to nearest even (via [`f32_round_to_odd`] and
/// [`bf16_from_f32`]); a NaN stays NaN.
pub fn bf16_from_f64(v: f64) -> u16 {
    bf16_from_f32(f32_round_to_odd(v))
}

/// The exact value of BF16 bits as `f64` (subnormals included, as stored).
pub fn bf16_to_f64(b: u16) -> f64 {
    f32::from_bits((b as u32) << 16) as f64
}

/// How the datapath sees one BF16 value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Zero.
    Zero,
    /// Subnormal: flushed to zero.
    Subnormal,
    /// Normal: biased exponent, signed significand with hidden bit (128..=255).
    Normal {
        /// Biased exponent 1..=254.
        exp: i32,
        /// `+-(128 + fraction)`.
        sig: i64,
    },
    /// NaN or infinity: zero in the datapath, raises the flag.
    NonFinite,
}

/// Classifies BF16 bits.
pub fn classify(b: u16) -> Class {
    let e = ((b >> 7) & 0xff) as i32;
    let f = (b & 0x7f) as i64;
    let neg = b & 0x8000 != 0;
    match e {
        0 if f == 0 => Class::Zero,
        0 => Class::Subnormal,
        255 => Class::NonFinite,
        _ => Class::Normal {
            exp: e,
            sig: if neg { -(128 + f) } else { 128 + f },
        },
    }
}

/// One aligned group: the shared exponent and the `k`-bit signed integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aligned {
    /// Shared biased exponent (max over the normal values); `None` when all are zero.
    pub exp: Option<i32>,
    /// Aligned signed integers, one per value.
    pub q: Vec<i64>,
    /// A NaN or infinity was seen.
    pub non_finite: bool,
}

/// Aligns `values` to their max exponent as `k`-bit signed integers (truncating).
pub fn align(values: &[u16], k: u32) -> Aligned {
    let classes: Vec<Class> = values.iter().map(|&b| classify(b)).collect();
    let exp = classes
        .iter()
        .filter_map(|c| match c {
            Class::Normal { exp, .. } => Some(*exp),
            _ => None,
        })
        .max();
    let non_finite = classes.contains(&Class::NonFinite);
    let q = classes
        .iter()
        .map(|c| match (c, exp) {
            (Class::Normal { exp: e, sig }, Some(emax)) => {
                let shift = (emax - e) as i64 + 9 - k as i64;
                let mag = sig.unsigned_abs();
                let m = if shift >= 64 {
                    0
                } else if shift >= 0 {
                    mag >> shift
                } else {
                    mag << (-shift)
                };
                if *sig < 0 {
                    -(m as i64)
                } else {
                    m as i64
                }
            }
            _ => 0,
        })
        .collect();
    Aligned { exp, q, non_finite }
}

/// Rounds `v * 2^exp2` to an IEEE binary format with 8 exponent bits and `frac` fraction
/// bits (BF16: 7, FP32: 23), nearest even; below 2^-126 flushes to (signed) zero. Returns the
/// bits and whether the result overflowed to infinity.
pub fn round_ieee(v: &BigInt, exp2: i64, frac: u32) -> (u32, bool) {
    if v.is_zero() {
        return (0, false);
    }
    let sign = if v.is_negative() {
        1u32 << (frac + 8)
    } else {
        0
    };
    let m = v.magnitude();
    let nb = m.bits() as i64;
    let mut e = nb - 1 + exp2;
    let shift = nb - (frac as i64 + 1);
    let sig: u64 = if shift > 0 {
        let q = m >> (shift as u64);
        let rem = m - (&q << (shift as u64));
        let half = num_bigint::BigUint::from(1u8) << ((shift - 1) as u64);
        let mut s = q.to_u64().unwrap_or(0);
        if rem > half || (rem == half && s & 1 == 1) {
            s += 1;
            if s == 1u64 << (frac + 1) {
                s >>= 1;
                e += 1;
            }
        }
        s
    } else {
        m.to_u64().unwrap_or(0) << (-shift)
    };
    let biased = e + 127;
    if biased >= 255 {
        return (sign | (0xff << frac), true);
    }
    if biased <= 0 {
        return (sign, false);
    }
    (
        sign | ((biased as u32) << frac) | (sig as u32 & ((1u32 << frac) - 1)),
        false,
    )
}

/// Result of one BF16 MVM.
#[derive(Debug, Clone, PartialEq)]
pub struct Bf16Result {
    /// BF16 bits per column.
    pub y_bf16: Vec<u16>,
    /// FP32 value per column.
    pub y_f32: Vec<f32>,
    /// Sticky: a NaN or infinity was among the inputs or weights.
    pub non_finite: bool,
    /// A result overflowed to infinity.
    pub overflow: bool,
}

/// The BF16 golden model: weights pre-aligned per column at construction.
#[derive(Debug, Clone)]
pub struct Bf16Golden {
    p: CimParams,
    /// Raw weights `[r][c]`.
    w: Vec<Vec<u16>>,
    /// Per column: aligned weights (indexed by row).
    wa: Vec<Aligned>,
}

impl Bf16Golden {
    /// Builds the model and pre-aligns `weights` (`rows` x `cols` BF16 bits).
    pub fn new(p: &CimParams, weights: &[Vec<u16>]) -> Result<Bf16Golden, GoldenError> {
        p.validate()
            .map_err(|e| GoldenError::Params(e.to_string()))?;
        if p.format != CimFormat::Bf16 {
            return Err(GoldenError::Params(
                "the bf16 model needs format = bf16".into(),
            ));
        }
        if weights.len() != p.rows as usize || weights.iter().any(|r| r.len() != p.cols as usize) {
            return Err(GoldenError::Shape {
                what: "bf16 weights".into(),
                expected: format!("{} x {}", p.rows, p.cols),
                got: format!("{} rows", weights.len()),
            });
        }
        let wa = (0..p.cols as usize)
            .map(|c| {
                let col: Vec<u16> = weights.iter().map(|r| r[c]).collect();
                align(&col, p.wbits)
            })
            .collect();
        Ok(Bf16Golden {
            p: p.clone(),
            w: weights.to_vec(),
            wa,
        })
    }

    /// The raw BF16 weights `[r][c]`.
    pub fn weights(&self) -> &[Vec<u16>] {
        &self.w
    }

    /// The aligned weights of column `c` (for writing the integer array).
    pub fn aligned_column(&self, c: usize) -> &Aligned {
        &self.wa[c]
    }

    /// Runs one MVM on BF16 inputs (one per row).
    pub fn mvm(&self, x: &[u16]) -> Result<Bf16Result, GoldenError> {
        let p = &self.p;
        if x.len() != p.rows as usize {
            return Err(GoldenError::Shape {
                what: "bf16 inputs per vector".into(),
                expected: p.rows.to_string(),
                got: x.len().to_string(),
            });
        }
        let g = p.align_group.min(p.rows) as usize;
        let groups: Vec<(usize, Aligned)> = x
            .chunks(g)
            .enumerate()
            .map(|(i, chunk)| (i * g, align(chunk, p.xalign)))
            .collect();
        let mut non_finite = groups.iter().any(|(_, a)| a.non_finite);
        let mut overflow = false;
        let mut y_bf16 = Vec::new();
        let mut y_f32 = Vec::new();
        for wa in &self.wa {
            non_finite |= wa.non_finite;
            let emin = groups.iter().filter_map(|(_, a)| a.exp).min();
            let (total, exp2) = match (emin, wa.exp) {
                (Some(emin), Some(ew)) => {
                    let mut total = BigInt::zero();
                    for (start, a) in &groups {
                        let Some(ex) = a.exp else { continue };
                        let s: i128 =
                            a.q.iter()
                                .enumerate()
                                .map(|(i, &q)| q as i128 * wa.q[start + i] as i128)
                                .sum();
                        total += BigInt::from(s) << ((ex - emin) as u64);
                    }
                    let exp2 = (emin as i64 - 127 - (p.xalign as i64 - 2))
                        + (ew as i64 - 127 - (p.wbits as i64 - 2));
                    (total, exp2)
                }
                _ => (BigInt::zero(), 0),
            };
            let (b16, o1) = round_ieee(&total, exp2, 7);
            let (b32, o2) = round_ieee(&total, exp2, 23);
            overflow |= o1 || o2;
            y_bf16.push(b16 as u16);
            y_f32.push(f32::from_bits(b32));
        }
        Ok(Bf16Result {
            y_bf16,
            y_f32,
            non_finite,
            overflow,
        })
    }
}

/// The f64 reference `sum_r x_r * w_rc` (NaN / infinity counted as 0, subnormals as stored).
pub fn reference_f64(x: &[u16], w: &[Vec<u16>]) -> Vec<f64> {
    let cols = w.first().map_or(0, |r| r.len());
    (0..cols)
        .map(|c| {
            x.iter()
                .zip(w)
                .map(|(&xv, row)| finite(xv) * finite(row[c]))
                .sum()
        })
        .collect()
}

fn finite(b: u16) -> f64 {
    if classify(b) == Class::NonFinite {
        0.0
    } else {
        bf16_to_f64(b)
    }
}

/// Error bounds per column: `(bf16_bound, fp32_bound)` on `|y_c - reference_f64_c|` (see the
/// module documentation for the formula).
pub fn error_bound(p: &CimParams, x: &[u16], w: &[Vec<u16>]) -> Vec<(f64, f64)> {
    let g = p.align_group.min(p.rows).max(1) as usize;
    let unit = |vals: &[u16], k: u32| -> f64 {
        let e = vals
            .iter()
            .filter_map(|&b| match classify(b) {
                Class::Normal { exp, .. } => Some(exp),
                _ => None,
            })
            .max();
        e.map_or(0.0, |e| 2f64.powi(e - 127 - (k as i32 - 2)))
    };
    let dx: Vec<f64> = (0..x.len())
        .map(|r| unit(&x[(r / g) * g..((r / g + 1) * g).min(x.len())], p.xalign))
        .collect();
    let refs = reference_f64(x, w);
    let cols = w.first().map_or(0, |r| r.len());
    (0..cols)
        .map(|c| {
            let col: Vec<u16> = w.iter().map(|r| r[c]).collect();
            let dw = unit(&col, p.wbits);
            let mut b = 0.0;
            let mut abs_sum = 0.0;
            for r in 0..x.len() {
                let (xv, wv) = (finite(x[r]).abs(), finite(col[r]).abs());
                abs_sum += xv * wv;
                let flushed = |v: u16| classify(v) == Class::Subnormal;
                b += if flushed(x[r]) || flushed(col[r]) {
                    xv * wv
                } else {
                    xv * dw + wv * dx[r]
                };
            }
            let e64 = x.len() as f64 * 2f64.powi(-52) * abs_sum;
            let base = b + 2f64.powi(-126) + e64;
            let rf = refs[c].abs();
            (
                base + 2f64.powi(-8) * (rf + b),
                base + 2f64.powi(-24) * (rf + b),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f64_rounds_once_to_bf16() {
        // 1 + 2^-8 is the tie between 1 and 1 + 2^-7; 2^-30 above it must round up. `as f32`
        // first would land on the tie and round to even (1.0): double rounding.
        let v = 1.0 + 2f64.powi(-8) + 2f64.powi(-30);
        assert_eq!(bf16_from_f32(v as f32), 0x3f80);
        assert_eq!(bf16_from_f64(v), 0x3f81);
        // The same just below the tie rounds down, an exact tie to even.
        let v = 1.0 + 2f64.powi(-8) - 2f64.powi(-30);
        assert_eq!(bf16_from_f64(v), 0x3f80);
        assert_eq!(bf16_from_f64(1.0 + 2f64.powi(-8)), 0x3f80);
        assert_eq!(bf16_from_f64(1.0 + 3.0 * 2f64.powi(-8)), 0x3f82);
        // Negative values mirror, exact values and specials pass through.
        assert_eq!(
            bf16_from_f64(-(1.0 + 2f64.powi(-8) + 2f64.powi(-30))),
            0xbf81
        );
        assert_eq!(bf16_from_f64(-2.5), 0xc020);
        assert_eq!(bf16_from_f64(-0.0), 0x8000);
        assert_eq!(bf16_from_f64(f64::INFINITY), 0x7f80);
        assert_eq!(classify(bf16_from_f64(f64::NAN)), Class::NonFinite);
        // Beyond f32's range: infinity in BF16 either way, never NaN.
        assert_eq!(bf16_from_f64(1e39), 0x7f80);
        assert_eq!(bf16_from_f64(-1e300), 0xff80);
        // The largest finite BF16, and the overflow threshold (the tie rounds to even = inf).
        assert_eq!(bf16_from_f64(3.3895313892515355e38), 0x7f7f);
        assert_eq!(bf16_from_f64(2f64.powi(128) - 2f64.powi(119)), 0x7f80);
        assert_eq!(
            bf16_from_f64(2f64.powi(128) - 2f64.powi(119) - 2f64.powi(90)),
            0x7f7f
        );
        // Tiny values: far below f32's subnormals they become the smallest f32 subnormal
        // (odd), which BF16 rounds to a signed zero.
        assert_eq!(f32_round_to_odd(1e-300).to_bits(), 1);
        assert_eq!(f32_round_to_odd(-1e-300).to_bits(), 0x8000_0001);
        assert_eq!(bf16_from_f64(-1e-300), 0x8000);
    }

    #[test]
    fn round_to_odd_matches_exact_rounding_on_random_values() {
        // Against an independent exact rounding: the BF16 neighbours of v in f64 (exact).
        let mut s = 0x1234_5678_9abc_def0u64;
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            // Every other value is random with an exponent in BF16's normal range, the others
            // sit within 2^-17..2^-46 ulp of a BF16 tie (where `as f32` first goes wrong).
            let neg = if s & 2 == 2 { -1.0 } else { 1.0 };
            let v = if s & 1 == 0 {
                let e = (s >> 52) % 250 + 1023 - 125;
                f64::from_bits((s & 0x000f_ffff_ffff_ffff) | (e << 52)) * neg
            } else {
                let lower = ((s >> 16) % (253 << 7) + (1 << 7)) as u16;
                let ulp = 2f64.powi(((lower >> 7) & 0xff) as i32 - 127 - 7);
                let off = ulp * 2f64.powi(-17 - ((s >> 40) % 30) as i32);
                let above = if s & 4 == 4 { off } else { -off };
                (bf16_to_f64(lower) + ulp / 2.0 + above) * neg
            };
            let b = bf16_from_f64(v);
            let down = bf16_to_f64(b);
            let ulp = 2f64.powi(((b >> 7) & 0xff) as i32 - 127 - 7);
            let err = (v - down).abs();
            assert!(
                err < ulp / 2.0 || (err == ulp / 2.0 && b & 1 == 0),
                "{v:e} -> {b:#06x}"
            );
        }
    }
}
