//! The sparse butterfly router (issue 6): what it must compute and how that is checked.
//!
//! [`golden`] computes every mode from its definition (sorting positions, indexing), never by
//! simulating switches. [`cosim`] drives many configurations in one Verilated wrapper model
//! against it.

pub mod cli;
pub mod cosim;
pub mod formal;
pub mod golden;
pub mod job;

use nicc_rtl::Bits;

/// Lanes to a packed bus, lane i at bits `[i*d +: d]` (the router's port layout).
pub fn pack(values: &[u64], d: u32) -> Bits {
    let mut b = Bits::zero(values.len() as u32 * d);
    for (i, &v) in values.iter().enumerate() {
        b.set_slice(i as u32 * d, &Bits::from_u64(d, v));
    }
    b
}

/// One bit per lane (masks, valid lanes) to a packed bus, lane i at bit i.
pub fn pack_bools(bits: &[bool]) -> Bits {
    let mut b = Bits::zero(bits.len() as u32);
    for (i, &v) in bits.iter().enumerate() {
        b.set_bit(i as u32, v);
    }
    b
}

/// A packed bus back to `n` lanes of `d` bits.
pub fn unpack(b: &Bits, n: usize, d: u32) -> Vec<u64> {
    (0..n)
        .map(|i| b.slice(i as u32 * d, d).to_u64().unwrap_or(u64::MAX))
        .collect()
}
