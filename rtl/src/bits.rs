//! `Bits`: an arbitrary-width two's complement bit vector.
//!
//! Stored as little-endian `u32` words, the same layout as Verilator's `VlWide`, so a
//! value moves to and from a simulator without reshuffling. There is no width limit.

use std::fmt;

/// An arbitrary-width bit vector (little-endian `u32` words, unused high bits kept zero).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Bits {
    width: u32,
    words: Vec<u32>,
}

/// Number of `u32` words needed to hold `width` bits (at least one).
pub fn words_for(width: u32) -> usize {
    (width as usize).div_ceil(32).max(1)
}

impl Bits {
    /// All-zero value of `width` bits.
    pub fn zero(width: u32) -> Bits {
        Bits {
            width,
            words: vec![0; words_for(width)],
        }
    }

    /// All-ones value of `width` bits.
    pub fn ones(width: u32) -> Bits {
        let mut b = Bits {
            width,
            words: vec![u32::MAX; words_for(width)],
        };
        b.mask_top();
        b
    }

    /// Value from the low `width` bits of `v` (higher bits of `v` are dropped).
    pub fn from_u64(width: u32, v: u64) -> Bits {
        let mut b = Bits::zero(width);
        b.words[0] = v as u32;
        if b.words.len() > 1 {
            b.words[1] = (v >> 32) as u32;
        }
        b.mask_top();
        b
    }

    /// Value from the low `width` bits of `v` (higher bits of `v` are dropped).
    pub fn from_u128(width: u32, v: u128) -> Bits {
        let mut b = Bits::zero(width);
        for (i, w) in b.words.iter_mut().enumerate().take(4) {
            *w = (v >> (32 * i)) as u32;
        }
        b.mask_top();
        b
    }

    /// Two's complement of `v` in `width` bits (sign-extended, then wrapped).
    pub fn from_i64(width: u32, v: i64) -> Bits {
        Bits::from_i128(width, v as i128)
    }

    /// Two's complement of `v` in `width` bits (sign-extended, then wrapped).
    pub fn from_i128(width: u32, v: i128) -> Bits {
        let mut b = Bits::zero(width);
        for (i, w) in b.words.iter_mut().enumerate() {
            *w = if i < 4 {
                (v >> (32 * i)) as u32
            } else if v < 0 {
                u32::MAX
            } else {
                0
            };
        }
        b.mask_top();
        b
    }

    /// Value from little-endian words; extra high bits are dropped, missing words are zero.
    pub fn from_words(width: u32, words: &[u32]) -> Bits {
        let mut b = Bits::zero(width);
        for (d, s) in b.words.iter_mut().zip(words) {
            *d = *s;
        }
        b.mask_top();
        b
    }

    /// Value from little-endian bytes (byte 0 = bits 7:0).
    pub fn from_le_bytes(width: u32, bytes: &[u8]) -> Bits {
        let mut b = Bits::zero(width);
        for (i, byte) in bytes.iter().enumerate() {
            let wi = i / 4;
            if wi >= b.words.len() {
                break;
            }
            b.words[wi] |= (*byte as u32) << (8 * (i % 4));
        }
        b.mask_top();
        b
    }

    /// Little-endian bytes, `ceil(width / 8)` of them.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        (0..(self.width as usize).div_ceil(8))
            .map(|i| (self.words[i / 4] >> (8 * (i % 4))) as u8)
            .collect()
    }

    /// Parses a hexadecimal string (optionally `0x`-prefixed, `_` allowed) into `width` bits.
    /// Returns `None` on a bad digit or a value that does not fit.
    pub fn from_hex(width: u32, s: &str) -> Option<Bits> {
        let s = s.trim().trim_start_matches("0x").trim_start_matches("0X");
        let mut b = Bits::zero(width);
        let digits: Vec<u32> = s
            .chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_digit(16))
            .collect::<Option<_>>()?;
        for (i, d) in digits.iter().rev().enumerate() {
            if *d == 0 {
                continue;
            }
            let pos = 4 * i as u32;
            for k in 0..4 {
                if d >> k & 1 == 1 {
                    if pos + k >= width {
                        return None;
                    }
                    b.set_bit(pos + k, true);
                }
            }
        }
        Some(b)
    }

    /// Width in bits.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The little-endian words (unused high bits are zero).
    pub fn words(&self) -> &[u32] {
        &self.words
    }

    fn mask_top(&mut self) {
        let n = words_for(self.width);
        self.words.resize(n, 0);
        let rem = self.width % 32;
        if self.width == 0 {
            self.words[0] = 0;
        } else if rem != 0 {
            self.words[n - 1] &= (1u32 << rem) - 1;
        }
    }

    /// Bit `i` (false beyond the width).
    pub fn bit(&self, i: u32) -> bool {
        i < self.width && (self.words[(i / 32) as usize] >> (i % 32)) & 1 == 1
    }

    /// Sets bit `i`; panics if `i` is beyond the width (a caller bug).
    pub fn set_bit(&mut self, i: u32, v: bool) {
        assert!(
            i < self.width,
            "bit {i} out of range for width {}",
            self.width
        );
        let w = &mut self.words[(i / 32) as usize];
        if v {
            *w |= 1 << (i % 32);
        } else {
            *w &= !(1 << (i % 32));
        }
    }

    /// The most significant bit (the sign bit of a signed value).
    pub fn msb(&self) -> bool {
        self.width > 0 && self.bit(self.width - 1)
    }

    /// True if every bit is zero.
    pub fn is_zero(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.words.iter().map(|w| w.count_ones()).sum()
    }

    /// The value as `u64` if it fits (unsigned reading).
    pub fn to_u64(&self) -> Option<u64> {
        if self.words.iter().skip(2).any(|w| *w != 0) {
            return None;
        }
        let lo = self.words[0] as u64;
        let hi = self.words.get(1).copied().unwrap_or(0) as u64;
        Some(lo | hi << 32)
    }

    /// The value as `u128` if it fits (unsigned reading).
    pub fn to_u128(&self) -> Option<u128> {
        if self.words.iter().skip(4).any(|w| *w != 0) {
            return None;
        }
        Some(
            self.words
                .iter()
                .take(4)
                .enumerate()
                .fold(0u128, |a, (i, w)| a | (*w as u128) << (32 * i)),
        )
    }

    /// The value read as two's complement, as `i128` if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        if self.width <= 128 {
            let u = self.to_u128()?;
            if self.width == 0 {
                return Some(0);
            }
            let sh = 128 - self.width;
            return Some(((u << sh) as i128) >> sh);
        }
        // Every bit above 127 must equal bit 127 for the value to fit.
        let low = self.slice(0, 128);
        let v = low.to_u128()? as i128;
        let sign127 = low.bit(127);
        for i in 128..self.width {
            if self.bit(i) != sign127 {
                return None;
            }
        }
        Some(v)
    }

    /// The value read as two's complement, as `i64` if it fits.
    pub fn to_i64(&self) -> Option<i64> {
        self.to_i128().and_then(|v| i64::try_from(v).ok())
    }

    /// Bits `[lo + width - 1 : lo]` (bits beyond the source width read as zero).
    pub fn slice(&self, lo: u32, width: u32) -> Bits {
        let mut r = Bits::zero(width);
        let ws = (lo / 32) as usize;
        let sh = lo % 32;
        for i in 0..r.words.len() {
            let a = self.words.get(ws + i).copied().unwrap_or(0);
            let b = self.words.get(ws + i + 1).copied().unwrap_or(0);
            r.words[i] = if sh == 0 {
                a
            } else {
                (a >> sh) | (b << (32 - sh))
            };
        }
        // Bits of the source beyond its width are already zero.
        r.mask_top();
        r
    }

    /// Zero-extends or truncates to `width`.
    pub fn zext(&self, width: u32) -> Bits {
        Bits::from_words(width, &self.words)
    }

    /// Sign-extends (from this value's MSB) or truncates to `width`.
    pub fn sext(&self, width: u32) -> Bits {
        let mut r = self.zext(width);
        if self.msb() {
            for i in self.width..width {
                r.set_bit(i, true);
            }
        }
        r
    }

    /// Writes `v` into bits `[lo + v.width - 1 : lo]` (bits beyond this width are dropped).
    pub fn set_slice(&mut self, lo: u32, v: &Bits) {
        for i in 0..v.width {
            if lo + i < self.width {
                self.set_bit(lo + i, v.bit(i));
            }
        }
    }

    /// Concatenation: `parts[0]` is the most significant part, as in Verilog `{a, b}`.
    pub fn concat(parts: &[Bits]) -> Bits {
        let width = parts.iter().map(|p| p.width).sum();
        let mut r = Bits::zero(width);
        let mut pos = width;
        for p in parts {
            pos -= p.width;
            r.set_slice(pos, p);
        }
        r
    }

    /// Lowercase hexadecimal digits, `ceil(width / 4)` of them (at least one).
    pub fn to_hex(&self) -> String {
        let n = (self.width as usize).div_ceil(4).max(1);
        let mut s = String::with_capacity(n);
        for i in (0..n).rev() {
            let d = (self.words[i / 8] >> (4 * (i % 8))) & 0xf;
            s.push(char::from_digit(d, 16).unwrap());
        }
        s
    }
}

/// Wrapping arithmetic and logic at a fixed width (operands are read at `self`'s width).
impl Bits {
    fn binop_words(&self, o: &Bits, f: impl Fn(u32, u32) -> u32) -> Bits {
        let mut r = Bits::zero(self.width);
        for i in 0..r.words.len() {
            r.words[i] = f(self.words[i], o.words.get(i).copied().unwrap_or(0));
        }
        r.mask_top();
        r
    }

    /// Bitwise AND.
    pub fn and(&self, o: &Bits) -> Bits {
        self.binop_words(o, |a, b| a & b)
    }

    /// Bitwise OR.
    pub fn or(&self, o: &Bits) -> Bits {
        self.binop_words(o, |a, b| a | b)
    }

    /// Bitwise XOR.
    pub fn xor(&self, o: &Bits) -> Bits {
        self.binop_words(o, |a, b| a ^ b)
    }

    /// Bitwise NOT.
    pub fn not(&self) -> Bits {
        let mut r = self.binop_words(self, |a, _| !a);
        r.mask_top();
        r
    }

    /// Wrapping sum, `self.width()` bits.
    pub fn add(&self, o: &Bits) -> Bits {
        let mut r = Bits::zero(self.width);
        let mut carry = 0u64;
        for i in 0..r.words.len() {
            let s = self.words[i] as u64 + o.words.get(i).copied().unwrap_or(0) as u64 + carry;
            r.words[i] = s as u32;
            carry = s >> 32;
        }
        r.mask_top();
        r
    }

    /// Wrapping two's complement negation.
    pub fn neg(&self) -> Bits {
        self.not().add(&Bits::from_u64(self.width, 1))
    }

    /// Wrapping difference, `self.width()` bits.
    pub fn sub(&self, o: &Bits) -> Bits {
        self.add(&o.zext(self.width).neg())
    }

    /// Wrapping product, `self.width()` bits (the low bits of the full product).
    pub fn mul(&self, o: &Bits) -> Bits {
        let n = self.words.len();
        let mut acc = vec![0u64; n + 1];
        for i in 0..n {
            let a = self.words[i] as u64;
            if a == 0 {
                continue;
            }
            let mut carry = 0u64;
            for j in 0..(n - i) {
                let b = o.words.get(j).copied().unwrap_or(0) as u64;
                let t = acc[i + j] + a * b + carry;
                acc[i + j] = t & 0xffff_ffff;
                carry = t >> 32;
            }
        }
        let words: Vec<u32> = acc.iter().take(n).map(|w| *w as u32).collect();
        Bits::from_words(self.width, &words)
    }

    /// Logical shift left by `n` (zero fill), same width.
    pub fn shl(&self, n: u64) -> Bits {
        if n >= self.width as u64 {
            return Bits::zero(self.width);
        }
        let mut r = Bits::zero(self.width);
        r.set_slice(n as u32, &self.slice(0, self.width - n as u32));
        r
    }

    /// Logical shift right by `n` (zero fill), same width.
    pub fn shr(&self, n: u64) -> Bits {
        if n >= self.width as u64 {
            return Bits::zero(self.width);
        }
        self.slice(n as u32, self.width - n as u32).zext(self.width)
    }

    /// Arithmetic shift right by `n` (sign fill), same width.
    pub fn ashr(&self, n: u64) -> Bits {
        if n >= self.width as u64 {
            return if self.msb() {
                Bits::ones(self.width)
            } else {
                Bits::zero(self.width)
            };
        }
        self.slice(n as u32, self.width - n as u32).sext(self.width)
    }

    /// Unsigned comparison: `Less`, `Equal` or `Greater` (widths may differ).
    pub fn cmp_unsigned(&self, o: &Bits) -> std::cmp::Ordering {
        let n = self.words.len().max(o.words.len());
        for i in (0..n).rev() {
            let a = self.words.get(i).copied().unwrap_or(0);
            let b = o.words.get(i).copied().unwrap_or(0);
            if a != b {
                return a.cmp(&b);
            }
        }
        std::cmp::Ordering::Equal
    }

    /// Two's complement comparison of equal-width values.
    pub fn cmp_signed(&self, o: &Bits) -> std::cmp::Ordering {
        match (self.msb(), o.msb()) {
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            _ => self.cmp_unsigned(o),
        }
    }

    /// The value as a shift amount: saturates at `u64::MAX` when it does not fit.
    pub fn to_shift_amount(&self) -> u64 {
        self.to_u64().unwrap_or(u64::MAX)
    }
}

impl fmt::Debug for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'h{}", self.width, self.to_hex())
    }
}

impl fmt::Display for Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}'h{}", self.width, self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrips() {
        let b = Bits::from_i64(70, -3);
        assert_eq!(b.to_i128(), Some(-3));
        assert_eq!(b.words().len(), 3);
        assert_eq!(b.words()[2], 0x3f);
        assert_eq!(Bits::from_hex(8, "ff").unwrap().to_u64(), Some(255));
        assert!(Bits::from_hex(8, "1ff").is_none());
        assert_eq!(Bits::from_u64(12, 0xabc).to_hex(), "abc");
        let c = Bits::concat(&[Bits::from_u64(4, 0xa), Bits::from_u64(8, 0x5c)]);
        assert_eq!(c.to_u64(), Some(0xa5c));
        assert_eq!(c.slice(4, 8).to_u64(), Some(0xa5));
        assert_eq!(Bits::from_u64(4, 0x9).sext(8).to_u64(), Some(0xf9));
        let big = Bits::ones(200);
        assert_eq!(big.to_i128(), Some(-1));
        assert_eq!(big.count_ones(), 200);
        assert_eq!(
            Bits::from_le_bytes(16, &[0x34, 0x12]).to_u64(),
            Some(0x1234)
        );
    }
}
