//! Golden model: the integer sum of the operands, reduced modulo 2^out_width.

use nicc_rtl::blocks::adder_tree::AdderTreeParams;
use nicc_rtl::Bits;
use num_bigint::BigInt;
use num_traits::{One, Zero};
use thiserror::Error;

/// The exact output width W + ceil(log2 N), computed here independently of the generator.
pub fn exact_out_width(inputs: u32, width: u32) -> u32 {
    let mut bits = 0;
    while (1u64 << bits) < inputs as u64 {
        bits += 1;
    }
    width + bits
}

/// The output width of `p`: the given one or the exact one.
pub fn out_width(p: &AdderTreeParams) -> u32 {
    p.out_width
        .unwrap_or_else(|| exact_out_width(p.inputs, p.width))
}

/// Operand `i` of a packed `in_data` (bits `[i*W +: W]`) as an integer, two's complement when
/// `signed`.
pub fn operand(in_data: &Bits, i: u32, width: u32, signed: bool) -> BigInt {
    let mut v = BigInt::zero();
    for j in (0..width).rev() {
        v = (v << 1) + u8::from(in_data.bit(i * width + j));
    }
    if signed && in_data.bit(i * width + width - 1) {
        v -= BigInt::one() << width;
    }
    v
}

/// The exact (unbounded) sum of the operands.
pub fn exact_sum(p: &AdderTreeParams, in_data: &Bits) -> BigInt {
    (0..p.inputs)
        .map(|i| operand(in_data, i, p.width, p.signed))
        .sum()
}

/// `v` modulo 2^width as a bit vector.
pub fn to_bits(v: &BigInt, width: u32) -> Bits {
    let m = BigInt::one() << width;
    let r = ((v % &m) + &m) % &m;
    let (_, bytes) = r.to_bytes_le();
    Bits::from_le_bytes(width, &bytes)
}

/// What `out_sum` must be for `in_data`.
pub fn golden_sum(p: &AdderTreeParams, in_data: &Bits) -> Bits {
    to_bits(&exact_sum(p, in_data), out_width(p))
}

/// A wrong `out_sum`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("adder tree {config}: in_data = {width}'h{input}: out_sum = 'h{got}, expected 'h{expected} (exact sum {exact})")]
pub struct Mismatch {
    /// The configuration (module name).
    pub config: String,
    /// Input width.
    pub width: u32,
    /// The input, hexadecimal.
    pub input: String,
    /// The output seen, hexadecimal.
    pub got: String,
    /// The expected output, hexadecimal.
    pub expected: String,
    /// The exact integer sum.
    pub exact: String,
}

/// Checks one output against the golden model.
pub fn check(p: &AdderTreeParams, in_data: &Bits, got: &Bits) -> Result<(), Box<Mismatch>> {
    let want = golden_sum(p, in_data);
    if *got == want {
        return Ok(());
    }
    Err(Box::new(Mismatch {
        config: p.module_name(),
        width: in_data.width(),
        input: in_data.to_hex(),
        got: got.to_hex(),
        expected: want.to_hex(),
        exact: exact_sum(p, in_data).to_string(),
    }))
}
