//! The arithmetic of the packet engine, written out bit by bit: ones'-complement sums with a
//! full end-around-carry fold, CRC-32 (IEEE, reflected), the RoCEv2 ICRC masks and the
//! Microsoft Toeplitz hash.

/// Adds `bytes` as big-endian 16-bit words to `acc` without folding. An odd final byte is
/// the high byte of a word whose low byte is zero (RFC 1071).
pub fn sum_words(mut acc: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        acc += u64::from(*b) << 8;
    }
    acc
}

/// Full end-around-carry fold to 16 bits: repeats `low16 + high` until no carry is left.
/// `fold(0x2FFFD) == 0xFFFF`; a sum of zero folds to 0 (never to 0xFFFF).
pub fn fold(mut s: u64) -> u16 {
    while s >> 16 != 0 {
        s = (s & 0xFFFF) + (s >> 16);
    }
    s as u16
}

/// Ones'-complement sum of `bytes` (folded, not complemented).
pub fn ones_sum(bytes: &[u8]) -> u16 {
    fold(sum_words(0, bytes))
}

/// One step of the reflected CRC-32 (polynomial 0xEDB88320) over one byte, no table.
fn crc32_byte(mut crc: u32, b: u8) -> u32 {
    crc ^= u32::from(b);
    for _ in 0..8 {
        crc = if crc & 1 != 0 {
            (crc >> 1) ^ 0xEDB8_8320
        } else {
            crc >> 1
        };
    }
    crc
}

/// Running CRC-32 state (init all ones, final complement), as used by Ethernet and the ICRC.
#[derive(Debug, Clone, Copy)]
pub struct Crc32(u32);

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(0xFFFF_FFFF)
    }
}

impl Crc32 {
    /// Feeds bytes in order.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = crc32_byte(self.0, b);
        }
    }
    /// The CRC value (state complemented).
    pub fn finish(self) -> u32 {
        !self.0
    }
}

/// CRC-32 of `bytes` (the value whose check string "123456789" gives 0xCBF43926).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = Crc32::default();
    c.update(bytes);
    c.finish()
}

/// The RoCEv2 ICRC of a packet whose IP header starts at `ip[0]`.
///
/// `ip` holds the bytes from the first byte of the IPv4/IPv6 header up to (not including)
/// the 4 ICRC bytes; `l4_off` is the offset of the UDP header inside `ip` (so IPv4 options
/// and IPv6 extension headers between are covered unmasked). The CRC runs over 8 bytes of
/// 0xFF, then these bytes with masked to ones: IPv4 TOS (byte 1), TTL (byte 8) and header
/// checksum (bytes 10-11); IPv6 traffic class and flow label (low nibble of byte 0, bytes 1-3)
/// and hop limit (byte 7); the UDP checksum (UDP bytes 6-7); BTH byte 4 (FECN, BECN, resv6).
/// The ICRC goes on the wire least-significant byte first (`to_le_bytes`).
pub fn icrc(ip: &[u8], ipv6: bool, l4_off: usize) -> u32 {
    let mut c = Crc32::default();
    c.update(&[0xFF; 8]);
    let mut masked = [0u8; 1];
    for (i, &b) in ip.iter().enumerate() {
        let mut v = b;
        let ones = if ipv6 {
            i == 1 || i == 2 || i == 3 || i == 7
        } else {
            i == 1 || i == 8 || i == 10 || i == 11
        };
        if ones {
            v = 0xFF;
        }
        if ipv6 && i == 0 {
            v |= 0x0F;
        }
        if i == l4_off + 6 || i == l4_off + 7 || i == l4_off + 8 + 4 {
            v = 0xFF;
        }
        masked[0] = v;
        c.update(&masked);
    }
    c.finish()
}

/// Microsoft Toeplitz hash of `input` under `key` (input bit i, MSB first, selects the
/// 32-bit key window starting at key bit i). Inputs longer than `key.len() - 4` bytes use
/// zero key bits past the end.
pub fn toeplitz(key: &[u8], input: &[u8]) -> u32 {
    let key_bit = |i: usize| -> u32 {
        key.get(i / 8)
            .map_or(0, |b| u32::from((b >> (7 - (i % 8))) & 1))
    };
    let mut window: u32 = 0;
    for i in 0..32 {
        window = (window << 1) | key_bit(i);
    }
    let mut hash = 0u32;
    for (n, &byte) in input.iter().enumerate() {
        for bit in 0..8 {
            if byte & (0x80 >> bit) != 0 {
                hash ^= window;
            }
            window = (window << 1) | key_bit(n * 8 + bit + 32);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"hello world"), crc32fast::hash(b"hello world"));
    }

    #[test]
    fn fold_is_full() {
        assert_eq!(fold(0x2FFFD), 0xFFFF);
        assert_eq!(fold(0x1_FFFF), 0x0001);
        assert_eq!(fold(0xFFFF_FFFF), 0xFFFF);
        assert_eq!(fold(0), 0);
        assert_eq!(ones_sum(&[0x12]), 0x1200);
    }
}
