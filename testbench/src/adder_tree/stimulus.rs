//! Stimulus: corner vectors (every operand at its maximum, at its minimum, alternating) and
//! random vectors, as packed `in_data` values.

use nicc_rtl::blocks::adder_tree::AdderTreeParams;
use nicc_rtl::Bits;
use rand::Rng;

/// A kind of vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every operand at its maximum (all ones unsigned, 0111..1 signed).
    AllMax,
    /// Every operand at its minimum (zero unsigned, 1000..0 signed).
    AllMin,
    /// Operands alternate maximum, minimum, maximum, ...
    AltMaxMin,
    /// Operands alternate minimum, maximum, minimum, ...
    AltMinMax,
    /// Bit pattern 0101... over the whole bus.
    Checker,
    /// Uniformly random bits.
    Random,
}

/// The corner kinds, in the order [`vectors`] emits them.
pub const CORNERS: [Kind; 5] = [
    Kind::AllMax,
    Kind::AllMin,
    Kind::AltMaxMin,
    Kind::AltMinMax,
    Kind::Checker,
];

fn extreme(width: u32, signed: bool, max: bool) -> Bits {
    match (signed, max) {
        (false, true) => Bits::ones(width),
        (false, false) => Bits::zero(width),
        (true, true) => {
            let mut b = Bits::ones(width);
            b.set_bit(width - 1, false);
            b
        }
        (true, false) => {
            let mut b = Bits::zero(width);
            b.set_bit(width - 1, true);
            b
        }
    }
}

/// One packed `in_data` vector of `kind`.
pub fn vector(p: &AdderTreeParams, kind: Kind, rng: &mut impl Rng) -> Bits {
    let (n, w) = (p.inputs, p.width);
    let mut v = Bits::zero(n * w);
    for i in 0..n {
        let op = match kind {
            Kind::AllMax => extreme(w, p.signed, true),
            Kind::AllMin => extreme(w, p.signed, false),
            Kind::AltMaxMin => extreme(w, p.signed, i % 2 == 0),
            Kind::AltMinMax => extreme(w, p.signed, i % 2 == 1),
            Kind::Checker => {
                let mut b = Bits::zero(w);
                for j in 0..w {
                    b.set_bit(j, (i * w + j) % 2 == 0);
                }
                b
            }
            Kind::Random => {
                let mut b = Bits::zero(w);
                for j in 0..w {
                    b.set_bit(j, rng.gen());
                }
                b
            }
        };
        v.set_slice(i * w, &op);
    }
    v
}

/// The corner vectors followed by `random` random ones.
pub fn vectors(p: &AdderTreeParams, random: usize, rng: &mut impl Rng) -> Vec<Bits> {
    let mut v: Vec<Bits> = CORNERS.iter().map(|k| vector(p, *k, rng)).collect();
    v.extend((0..random).map(|_| vector(p, Kind::Random, rng)));
    v
}
