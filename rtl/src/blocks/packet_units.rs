//! Arithmetic units of the DPU packet engine (issue 7): each one a separate Verilog module the
//! engine instantiates. The rules they compute are the golden model's
//! (`nicc_testbench::packet::{golden, math}`); this file only says how they are fed.
//!
//! Conventions for all four units:
//! - Clock `clk`, synchronous active-high reset `rst` (clears valid pipelines and tables).
//! - "Sampled in cycle t" means the value present during cycle t is taken at the rising edge
//!   ending cycle t. "Latency L" means the result of something sampled in cycle t is on the
//!   outputs during cycle t+L (outputs are registers; `out_valid` is high for exactly that one
//!   cycle). Everything is fully pipelined: a new beat / frame may be given every cycle.
//! - Byte positions are 16-bit frame offsets (byte 0 = first byte of the Ethernet header).
//!   Multi-byte numbers (addresses, ports, key) are ports holding the plain number, the first
//!   wire byte in the most significant bits (`u32::from(Ipv4Addr)`, `u128::from(Ipv6Addr)`).
//! - `D` = `data_bytes` (8 or 64; any power of two 2..=64 builds). A beat is `in_data`
//!   (`8*D` bits, frame byte `in_pos + i` in `in_data[8i+7:8i]`, i.e. byte 0 in the low byte).
//!
//! # `pkt_csum_d<D>`: checksum sums (latency [`CSUM_LATENCY`] = 3)
//! Inputs, sampled in every cycle with `in_valid` = 1 (a beat):
//! - `in_valid` 1, `in_data` 8D, `in_keep` D (byte enables, contiguous from bit 0; bytes with
//!   keep 0 add nothing), `in_pos` 16 (frame position of lane 0, a multiple of D; `in_pos` = 0
//!   starts a new frame), `in_last` 1 (last beat of the frame).
//! - `l4_start` 16, `l4_end` 16: the L4 range `[l4_start, l4_end)` (`l4_end` = L4 start + UDP
//!   length, or the IP claimed end for TCP, so Ethernet padding is excluded). Must be constant
//!   over the beats of one frame. An odd `l4_start` is handled (words start at `l4_start`).
//! - `ph_sum` 24: the unfolded sum of the pseudo-header's 16-bit words (addresses, protocol,
//!   L4 length), computed by the engine; sampled only on the beat with `in_last`.
//! Outputs (one cycle, [`CSUM_LATENCY`] cycles after the `in_last` beat was sampled):
//! - `out_valid` 1.
//! - `out_complete` 16: CHECKSUM_COMPLETE = full end-around-carry fold of the big-endian
//!   16-bit words of frame bytes `[14, len)` (an odd last byte is the high byte of a word);
//!   0 for frames of 14 bytes or less. Exactly `math::ones_sum(&b[14..])`.
//! - `out_l4_sum` 16: `fold(ph_sum + sum_words(b[l4_start..min(l4_end, len)]))`, fully folded
//!   (a raw sum of 0x2FFFD folds to 0xFFFF); `out_l4_ok` 1 = (`out_l4_sum` == 0xFFFF). The
//!   engine decides ok/bad/zero/na from these and its own flags.
//!
//! # `pkt_icrc_d<D>`: RoCEv2 ICRC (latency [`ICRC_LATENCY`] = 5)
//! Inputs sampled with `in_valid` = 1: `in_valid` 1, `in_data` 8D, `in_pos` 16 (as above),
//! `in_last` 1; per-frame constants (held over the frame's beats): `l3_start` 16 (first byte
//! of the IP header), `l4_start` 16 (UDP header), `icrc_pos` 16 (= UDP end - 4, the first ICRC
//! byte), `ipv6` 1. The CRC-32 (reflected, as `math::icrc`) runs over 8 bytes of 0xFF then
//! bytes `[l3_start, icrc_pos)` with the masks of `math::icrc` (IPv4 TOS, TTL, header
//! checksum; IPv6 low nibble of byte 0, bytes 1-3, hop limit; UDP checksum; BTH byte 4).
//! No keep input: the range comes from the offsets; the results mean something only when
//! `l3_start < icrc_pos` and `icrc_pos + 4 <= frame length` (the engine knows; else it flags
//! trunc/malformed and ignores them). Outputs, [`ICRC_LATENCY`] cycles after the `in_last` beat:
//! `out_valid` 1, `out_crc` 32 (the computed ICRC), `out_rx` 32 (frame bytes
//! `icrc_pos..icrc_pos+4` read little-endian), `out_ok` 1 (`out_crc == out_rx`).
//!
//! # `pkt_toeplitz_i<S>_q<Q>`: RSS hash and indirection (latency [`TOEPLITZ_LATENCY`] = 3)
//! Parameters: `S` = indirection entries (power of two 1..=1024), `Q` = queue bits (1..=16).
//! Lookup inputs, sampled when `in_valid` = 1: `in_valid` 1, `in_type` 3 ([`RssSel`]: 0 none
//! (hash 0), 1 IPv4 2-tuple, 2 IPv4 4-tuple, 3 IPv6 2-tuple, 4 IPv6 4-tuple; 5..7 = none; the
//! engine picks the type by the golden `rss` rules), `in_src` 128, `in_dst` 128 (IPv4 in bits
//! [31:0]), `in_sport` 16, `in_dport` 16, `key` 320 (Toeplitz key, key byte 0 = 0x6d of the
//! default in `key[319:312]`, from the config registers; sampled with the lookup). The Toeplitz
//! input is src, dst, then for 4-tuples sport, dport, in network order (8/12/32/36 bytes).
//! Outputs [`TOEPLITZ_LATENCY`] cycles later: `out_valid` 1, `out_hash` 32,
//! `out_queue` Q = table[`out_hash` & (S-1)].
//! Table write: `tbl_we` 1, `tbl_addr` max(1,log2 S), `tbl_data` Q, sampled every cycle; a
//! lookup sampled in the cycle after the write sees it. Reset value: entry i = i % `rss_queues`
//! (a generator parameter), as `PacketConfig::from_params`.
//!
//! # `pkt_em_n<N>`: exact-match steering (latency [`EM_LATENCY`] = 2)
//! Lookup inputs, sampled when `in_valid` = 1: `in_valid` 1, `in_ipv4` 1, `in_ipv6` 1 (the
//! frame has parsed IPv4 / IPv6 addresses), `in_src` 128, `in_dst` 128 (IPv4 in [31:0]),
//! `in_proto_valid` 1, `in_proto` 8, `in_sport` 16, `in_dport` 16 (0 when absent, as the golden
//! `unwrap_or(0)`), `in_roce` 1 (BTH parsed), `in_qp` 24 (BTH destination QP).
//! Outputs [`EM_LATENCY`] cycles later: `out_valid` 1, `out_hit` 1, `out_index` max(1,log2 N),
//! `out_action` 2 ([`EmActionCode`]: 0 queue, 1 drop, 2 mark), `out_value` 32 (queue or
//! mark). Lowest-index valid matching entry wins; no hit: `out_hit` 0, others 0.
//! Entry match (golden `exact_match`): kind 0 IPv4 5-tuple: `in_ipv4` and src[31:0], dst[31:0]
//! equal and `in_proto_valid` and proto, sport, dport equal; kind 1 IPv6 5-tuple: same with
//! `in_ipv6` and 128-bit addresses; kind 2 RoCE QP: `in_roce` and `in_qp` == key qp.
//! Table write: `cfg_we` 1, `cfg_addr` (max(1,log2 N) + 4 bits: entry index in the high bits,
//! word in the low 4), `cfg_data` 32, sampled every cycle, visible to lookups sampled from the
//! next cycle. Words: 0..3 src (word 0 = bits 31:0), 4..7 dst, 8 = {sport,
//! dport} (sport in 31:16), 9 = {valid[31], kind[25:24], action[17:16], proto[7:0]}, 10 = value
//! (queue or mark), 11..15 ignored. For a QP key the QP is in src[23:0]. Reset: all invalid.

/// Cycles from the `in_last` beat of `pkt_csum` to its outputs.
pub const CSUM_LATENCY: u32 = 3;
/// Cycles from the `in_last` beat of `pkt_icrc` to its outputs.
pub const ICRC_LATENCY: u32 = 5;
/// Cycles from a `pkt_toeplitz` lookup to its outputs.
pub const TOEPLITZ_LATENCY: u32 = 3;
/// Cycles from a `pkt_em` lookup to its outputs.
pub const EM_LATENCY: u32 = 2;

/// `in_type` codes of `pkt_toeplitz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RssSel {
    /// No hash (hash 0).
    None = 0,
    /// IPv4 source and destination addresses (8 bytes).
    Ipv4 = 1,
    /// IPv4 addresses and ports (12 bytes).
    Ipv4Ports = 2,
    /// IPv6 addresses (32 bytes).
    Ipv6 = 3,
    /// IPv6 addresses and ports (36 bytes).
    Ipv6Ports = 4,
}

/// `out_action` codes of `pkt_em` (and the action field of word 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmActionCode {
    /// Steer to queue `value`.
    Queue = 0,
    /// Drop the frame.
    Drop = 1,
    /// Keep the RSS queue, report mark `value`.
    Mark = 2,
}

/// `kind` codes of an exact-match entry (word 9 bits 25:24).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmKindCode {
    /// IPv4 5-tuple.
    Ipv4 = 0,
    /// IPv6 5-tuple.
    Ipv6 = 1,
    /// RoCEv2 destination QP (in src[23:0]).
    RoceQp = 2,
}
