//! Closed-form control bits of the compaction network (inverse butterfly) from prefix popcounts.
//!
//! # The network
//! k = log2 N stages; stage s has pair bit s (distance 2^s, so stage 0 joins neighbours and stage
//! k-1 joins the two halves). Inputs are masked first (unselected lanes carry zero) so only the
//! selected lanes matter.
//!
//! # Derivation
//! Let P(i) = popcount(mask[0..i)) be the prefix popcount, so a selected lane i has rank P(i) and
//! must leave on output P(i). Claim: after stage s, selected lane i sits at
//! `pos_s(i) = (i with its low s+1 bits replaced by the low s+1 bits of P(i))`.
//! Before stage 0 (s = -1) this is i; after stage k-1 it is P(i), the compacted order.
//! Stage s only changes bit s of a position, and `pos_{s-1}(i)` and `pos_s(i)` differ exactly in
//! bit s (bit s of i -> bit s of P(i)), so each step is a move within one switch. No two selected
//! lanes meet on one output: within a block of size B = 2^{s+1} the selected lanes have
//! consecutive ranks, fewer than or equal to B of them, so their ranks differ mod B.
//!
//! Consider a block of stage s: base b = g * 2^{s+1}, size B = 2^{s+1}, halves of h = 2^s
//! lanes, `c_lo` selected lanes in the lower half [b, b+h), c selected in all. By the claim, the
//! selected lane of local rank t (t = P(i) - P(b)) leaves the stage at local position
//! (P(b) + t) mod B, so output q of the block holds local rank `t(q) = (q - P(b)) mod B` when
//! `t(q) < c` (and nothing otherwise); ranks below `c_lo` come from the lower half, ranks in
//! [c_lo, c) from the upper half. Switch p (0 <= p < h) feeds outputs p and p + h. It must cross
//! when output p takes an upper lane or output p + h takes a lower lane, and must go straight when
//! output p takes a lower lane or output p + h an upper lane (never both, the lanes are distinct).
//! Let x = t(p), y = x mod h, and note t(p + h) = (x + h) mod B and c <= c_lo + h:
//! - x < h: output p + h holds rank x + h >= c_lo, never a lower lane; so cross iff
//!   c_lo <= x < c. When x >= c both outputs are empty (x + h >= c too): don't care, take cross.
//!   So cross iff y >= c_lo.
//! - x >= h: output p would hold rank x >= h >= c_lo; x < c implies x < c_lo + h. Output p + h
//!   holds rank x - h = y, a lower lane iff y < c_lo. So cross iff y < c_lo; when y >= c_lo output
//!   p + h is an upper lane or empty and output p is empty (x >= c_lo + h >= c): straight is right.
//!
//! **Rule:** with `x = (p - P(g * 2^{s+1})) mod 2^{s+1}` and
//! `c_lo = popcount(mask[g * 2^{s+1} .. g * 2^{s+1} + 2^s))`,
//! `cross(s, g, p) = bit_s(x) XOR ((x mod 2^s) >= c_lo)`, for switch index `w = g * 2^s + p`.
//! In hardware: per block one (s+1)-bit prefix popcount and one (s+1)-bit half-block popcount
//! (both from a popcount tree), per switch a constant subtraction, a comparison and an XOR.
//! The exhaustive switch-level test (all masks for N <= 8, random masks up to N = 1024) checks it.
//!
//! The expansion network is the same switches with the stage order reversed (pair bits k-1..0),
//! since each exchange switch is its own inverse; its outputs are then ANDed with the mask.

/// The compaction rule for one switch of stage `stage`: with `x = (p - prefix) mod 2^{s+1}`,
/// `cross = bit_s(x) XOR ((x mod 2^s) >= lower_count)`, where `prefix` = popcount of the mask
/// below the block, `lower_count` = popcount of the block's lower half, `p` = the switch's offset
/// inside the block's lower half (0 <= p < 2^s).
pub fn cross_rule(stage: usize, p: usize, prefix: usize, lower_count: usize) -> bool {
    let h = 1usize << stage;
    let x = p.wrapping_sub(prefix) & (2 * h - 1);
    (x & h != 0) ^ ((x & (h - 1)) >= lower_count)
}

/// Control bits `[stage][switch]` of the inverse butterfly (pair bits 0..k-1) that compacts the
/// lanes selected by `mask` (length N, a power of two) onto lanes 0..popcount in order.
pub fn compact_controls(mask: &[bool]) -> Vec<Vec<bool>> {
    let n = mask.len();
    let k = n.trailing_zeros() as usize;
    let mut prefix = vec![0usize; n + 1];
    for i in 0..n {
        prefix[i + 1] = prefix[i] + usize::from(mask[i]);
    }
    (0..k)
        .map(|s| {
            let h = 1usize << s;
            (0..n / 2)
                .map(|w| {
                    let g = w >> s;
                    let p = w & (h - 1);
                    let base = g << (s + 1);
                    let lower = prefix[base + h] - prefix[base];
                    cross_rule(s, p, prefix[base], lower)
                })
                .collect()
        })
        .collect()
}

/// Control bits of the expansion network (pair bits k-1..0): the compaction bits, stages reversed.
pub fn expand_controls(mask: &[bool]) -> Vec<Vec<bool>> {
    let mut c = compact_controls(mask);
    c.reverse();
    c
}
