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
//! # `pkt_csum_d<D>`: checksum sums (latency [`CSUM_LATENCY`] = 5)
//! Inputs, sampled in every cycle with `in_valid` = 1 (a beat):
//! - `in_valid` 1, `in_data` 8D, `in_keep` D (byte enables, contiguous from bit 0; bytes with
//!   keep 0 add nothing), `in_pos` 16 (frame position of lane 0, a multiple of D; `in_pos` = 0
//!   starts a new frame), `in_last` 1 (last beat of the frame).
//! - `l4_start` 16, `l4_end` 16: the L4 range `[l4_start, l4_end)` (`l4_end` = L4 start + UDP
//!   length, or the IP claimed end for TCP, so Ethernet padding is excluded). Must be constant
//!   over the beats of one frame. An odd `l4_start` is handled (words start at `l4_start`).
//! - `ph_sum` 24: the unfolded sum of the pseudo-header's 16-bit words (addresses, protocol,
//!   L4 length), computed by the engine; sampled only on the beat with `in_last`.
//!
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
//! `[31:0]`), `in_sport` 16, `in_dport` 16, `key` 319: the first 319 bits of the 40-byte Toeplitz key, MSB first
//! (key byte 0 = 0x6d of the default in `key[318:311]`; i.e. `key_reg[319:1]` of a 320-bit
//! key register; the last key bit never enters a hash of at most 36 bytes), sampled with the
//! lookup. The Toeplitz
//! input is src, dst, then for 4-tuples sport, dport, in network order (8/12/32/36 bytes).
//! Outputs [`TOEPLITZ_LATENCY`] cycles later: `out_valid` 1, `out_hash` 32,
//! `out_queue` Q = table[`out_hash` & (S-1)].
//! Table write: `tbl_we` 1, `tbl_addr` max(1,log2 S), `tbl_data` Q, sampled every cycle; a
//! lookup sampled in the cycle after the write sees it. Reset value: entry i = i % `rss_queues`
//! (a generator parameter), as `PacketConfig::from_params`.
//!
//! # `pkt_em_n<N>`: exact-match steering (latency [`EM_LATENCY`] = 2)
//! Lookup inputs, sampled when `in_valid` = 1: `in_valid` 1, `in_ipv4` 1, `in_ipv6` 1 (the
//! frame has parsed IPv4 / IPv6 addresses), `in_src` 128, `in_dst` 128 (IPv4 in `[31:0]`),
//! `in_proto_valid` 1, `in_proto` 8, `in_sport` 16, `in_dport` 16 (0 when absent, as the golden
//! `unwrap_or(0)`), `in_roce` 1 (BTH parsed), `in_qp` 24 (BTH destination QP).
//! Outputs [`EM_LATENCY`] cycles later: `out_valid` 1, `out_hit` 1, `out_index` max(1,log2 N),
//! `out_action` 2 ([`EmActionCode`]: 0 queue, 1 drop, 2 mark), `out_value` 32 (queue or
//! mark). Lowest-index valid matching entry wins; no hit: `out_hit` 0, others 0.
//! Entry match (golden `exact_match`): kind 0 IPv4 5-tuple: `in_ipv4` and `src[31:0]`, `dst[31:0]`
//! equal and `in_proto_valid` and proto, sport, dport equal; kind 1 IPv6 5-tuple: same with
//! `in_ipv6` and 128-bit addresses; kind 2 RoCE QP: `in_roce` and `in_qp` == key qp.
//! Table write: `cfg_we` 1, `cfg_addr` (max(1,log2 N) + 4 bits: entry index in the high bits,
//! word in the low 4), `cfg_data` 32, sampled every cycle, visible to lookups sampled from the
//! next cycle. Words: 0..3 src (word 0 = bits 31:0), 4..7 dst, 8 = {sport,
//! dport} (sport in 31:16), 9 = `{valid[31], kind[25:24], action[17:16], proto[7:0]}`, 10 = value
//! (queue or mark), 11..15 ignored. For a QP key the QP is in `src[23:0]`. Reset: all invalid.

/// Cycles from the `in_last` beat of `pkt_csum` to its outputs.
pub const CSUM_LATENCY: u32 = 5;
/// Cycles from the `in_last` beat of `pkt_icrc` to its outputs.
pub const ICRC_LATENCY: u32 = 5;
/// Cycles from a `pkt_toeplitz` lookup to its outputs.
pub const TOEPLITZ_LATENCY: u32 = 3;
/// Cycles from a `pkt_em` lookup to its outputs.
pub const EM_LATENCY: u32 = 2;

/// Words of a beat that `pkt_csum` sums in one cycle; a wider beat's groups are added a stage
/// later (D = 32: 2 groups, D = 64: 4).
const CSUM_GROUP_WORDS: usize = 8;

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
    /// RoCEv2 destination QP (in `src[23:0]`).
    RoceQp = 2,
}

use crate::bits::Bits;
use crate::builder::ModuleBuilder;
use crate::error::{ParamError, RtlError};
use crate::ir::Module;
use crate::known::KnownBits;
use crate::signal::Signal;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Width of every byte position port.
pub const POS_BITS: u32 = 16;

/// What the design instantiating a checksum or ICRC unit drives into it: the known bits of
/// each input (by port name, from the parent's [`ModuleBuilder::known_bits`]) and the name
/// of the module generated for them. A unit generated `given` them treats those bits as the
/// constants they are and stores none of them ([`ModuleBuilder::input_given`],
/// [`ModuleBuilder::reg_varying`]): the packet engine's even L3 and L4 offsets and 22-bit
/// pseudo-header sum leave no constant flip-flop in its units.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// Name of the generated module (the generic unit's name when empty).
    pub module: String,
    /// Known bits of input ports, by port name; ports not listed vary.
    pub inputs: BTreeMap<String, KnownBits>,
}

impl Given {
    /// The module name: `self.module`, or `generic` when it is empty.
    fn name(&self, generic: String) -> String {
        if self.module.is_empty() {
            generic
        } else {
            self.module.clone()
        }
    }

    /// Input port `name` of `width` bits with the known bits substituted.
    fn input(&self, m: &mut ModuleBuilder, name: &str, width: u32) -> Signal {
        m.input_given(name, width, self.inputs.get(name))
    }
}

fn check_data_bytes(data_bytes: u32) -> Result<u32, RtlError> {
    if !(2..=64).contains(&data_bytes) || !data_bytes.is_power_of_two() {
        return Err(ParamError::invalid(
            "data_bytes",
            data_bytes,
            "a power of two in 2..=64 (8 = 64-bit, 64 = 512-bit beats)",
        )
        .into());
    }
    Ok(data_bytes.trailing_zeros())
}

/// Address width of a table of `n` entries (at least 1 bit).
pub fn index_bits(n: u32) -> u32 {
    if n <= 2 {
        1
    } else {
        32 - (n - 1).leading_zeros()
    }
}

/// Concatenation with `parts[0]` least significant.
fn cat_lsb(parts: &[Signal]) -> Signal {
    let mut v = parts.to_vec();
    v.reverse();
    Signal::concat(&v)
}

/// Lane boundary of frame offset `off` inside the beat at `pos`: `off - pos` clamped to
/// `[0, D]`, `lb + 1` bits (lane i is at or past `off` iff `i >= result`).
fn lane_bound(m: &mut ModuleBuilder, name: &str, off: &Signal, pos: &Signal, lb: u32) -> Signal {
    let d = 1u64 << lb;
    let diff = m.wire(
        &format!("{name}_diff"),
        &off.zext(POS_BITS + 1)
            .sub_w(&pos.zext(POS_BITS + 1), POS_BITS + 1),
    );
    let neg = diff.bit(POS_BITS);
    let big = diff.bits(POS_BITS - 1, lb).reduce_or();
    let low = diff.trunc(lb).zext(lb + 1);
    let v = neg.mux(
        &Signal::lit(lb + 1, 0),
        &big.mux(&Signal::lit(lb + 1, d), &low),
    );
    m.wire(name, &v)
}

/// One-hot lane of frame offset `off` inside the beat at `pos` (all zero when outside).
fn lane_onehot(m: &mut ModuleBuilder, name: &str, off: &Signal, pos: &Signal, lb: u32) -> Signal {
    let diff = m.wire(
        &format!("{name}_diff"),
        &off.zext(POS_BITS + 1)
            .sub_w(&pos.zext(POS_BITS + 1), POS_BITS + 1),
    );
    let inside = m.wire(&format!("{name}_in"), &!diff.bits(POS_BITS, lb).reduce_or());
    let lane = diff.trunc(lb);
    let bits: Vec<Signal> = (0..1u64 << lb).map(|i| &inside & &lane.eq_lit(i)).collect();
    m.wire(name, &cat_lsb(&bits))
}

/// Balanced adder tree of unsigned values; each level's sums get one more bit.
pub(crate) fn add_tree(m: &mut ModuleBuilder, name: &str, mut v: Vec<Signal>) -> Signal {
    let mut level = 0;
    while v.len() > 1 {
        let mut next = Vec::new();
        for (k, pair) in v.chunks(2).enumerate() {
            if pair.len() == 2 {
                let w = pair[0].width().max(pair[1].width()) + 1;
                next.push(m.wire(
                    &format!("{name}_l{level}_n{k}"),
                    &pair[0].add_w(&pair[1], w),
                ));
            } else {
                next.push(pair[0].clone());
            }
        }
        v = next;
        level += 1;
    }
    v.pop().unwrap_or_else(|| Signal::lit(1, 0))
}

/// Full end-around-carry fold of a sum of at most 32 bits to 16 bits (two folding adds are
/// enough: `lo + hi <= 0x1FFFE`, then `0xFFFE + 1` cannot carry again).
fn fold16(m: &mut ModuleBuilder, name: &str, s: &Signal) -> Signal {
    let s = s.zext(32.max(s.width()));
    let a = m.wire(
        &format!("{name}_f1"),
        &s.trunc(16).add_w(&s.bits(31, 16), 17),
    );
    let b = a.trunc(16).add_w(&a.bit(16), 16);
    m.wire(&format!("{name}_f2"), &b)
}

/// `pkt_csum_d<D>`: CHECKSUM_COMPLETE and the L4 range sum (see the module doc for ports).
pub fn pkt_csum(data_bytes: u32) -> Result<Rc<Module>, RtlError> {
    pkt_csum_given(data_bytes, &Given::default())
}

/// [`pkt_csum`] generated for what its parent drives into it ([`Given`]).
pub fn pkt_csum_given(data_bytes: u32, given: &Given) -> Result<Rc<Module>, RtlError> {
    let lb = check_data_bytes(data_bytes)?;
    let d = data_bytes;
    let mut m = ModuleBuilder::new(given.name(format!("pkt_csum_d{d}")));
    m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_data = given.input(&mut m, "in_data", 8 * d);
    let in_keep = given.input(&mut m, "in_keep", d);
    let in_pos = given.input(&mut m, "in_pos", POS_BITS);
    let in_last = m.input("in_last", 1);
    let l4_start = given.input(&mut m, "l4_start", POS_BITS);
    let l4_end = given.input(&mut m, "l4_end", POS_BITS);
    let ph_sum = given.input(&mut m, "ph_sum", 24);

    // Stage 0: the lane boundaries of the three ranges in this beat, registered with the beat.
    let c_lo = lane_bound(&mut m, "cc_lo", &Signal::lit(POS_BITS, 14), &in_pos, lb);
    let l_lo = lane_bound(&mut m, "l4_lo", &l4_start, &in_pos, lb);
    let l_hi = lane_bound(&mut m, "l4_hi", &l4_end, &in_pos, lb);
    // Data registers need no reset: `s0_valid` qualifies them. These, and the registers
    // below that carry a value from an input (the offsets' lanes, the odd-start flag, the
    // pseudo-header sum, the beat sums), store only the bits that vary: a parent may drive
    // some of those inputs' bits with constants (`Given`).
    let mut data_reg = |name: &str, next: &Signal| m.reg_varying(name, next, false, None);
    let c_lo = data_reg("s0_cc_lo", &c_lo);
    let l_lo = data_reg("s0_l4_lo", &l_lo);
    let l_hi = data_reg("s0_l4_hi", &l_hi);
    let in_data = data_reg("s0_data", &in_data);
    let in_keep = data_reg("s0_keep", &in_keep);
    let in_first = data_reg("s0_first", &in_pos.eq_lit(0));
    let in_last = data_reg("s0_last", &in_last);
    let l4_odd = data_reg("s0_odd", &l4_start.bit(0));
    let ph_sum = data_reg("s0_ph", &ph_sum);
    let in_valid = m.reg("s0_valid", &in_valid);

    // Stage 1: lane enables, masked words, one sum per beat for each range.
    let mut cc_bytes = Vec::new();
    let mut l4_bytes = Vec::new();
    for i in 0..d {
        let li = Signal::lit(lb + 1, u64::from(i));
        let k = in_keep.bit(i);
        let byte = in_data.slice(8 * i, 8);
        let en_c = &k & &li.ge(&c_lo);
        let en_l = &(&k & &li.ge(&l_lo)) & &li.lt(&l_hi);
        cc_bytes.push(m.wire(&format!("cc_byte_{i}"), &(&byte & &en_c.repeat(8))));
        l4_bytes.push(m.wire(&format!("l4_byte_{i}"), &(&byte & &en_l.repeat(8))));
    }
    let words = |bytes: &[Signal]| -> Vec<Signal> {
        bytes
            .chunks(2)
            .map(|p| Signal::concat(&[p[0].clone(), p[1].clone()]))
            .collect()
    };
    // Beats of more than `CSUM_GROUP_WORDS` words register one sum per group of that many,
    // added in stage 2 (at D = 64 the 32-word tree was the engine's critical path). Each
    // sum with the name of its register.
    let beat_sums = |m: &mut ModuleBuilder, name: &str, bytes: &[Signal]| {
        let words = words(bytes);
        if words.len() <= CSUM_GROUP_WORDS {
            let sum = add_tree(m, &format!("{name}_beat"), words);
            return vec![(format!("s1_{name}"), sum)];
        }
        words
            .chunks(CSUM_GROUP_WORDS)
            .enumerate()
            .map(|(g, c)| {
                let sum = add_tree(m, &format!("{name}_beat_g{g}"), c.to_vec());
                (format!("s1_{name}_g{g}"), sum)
            })
            .collect::<Vec<_>>()
    };
    let cc_sums = beat_sums(&mut m, "cc", &cc_bytes);
    let l4_sums = beat_sums(&mut m, "l4", &l4_bytes);
    let v1 = m.reg("s1_valid", &in_valid);
    let first1 = m.reg("s1_first", &in_first);
    let last1 = m.reg("s1_last", &(&in_valid & &in_last));
    let odd1 = m.reg_varying("s1_odd", &l4_odd, true, None);
    let ph1 = m.reg_varying("s1_ph", &ph_sum, true, None);
    let cc_parts: Vec<Signal> = cc_sums
        .iter()
        .map(|(n, s)| m.reg_varying(n, s, true, None))
        .collect();
    let l4_parts: Vec<Signal> = l4_sums
        .iter()
        .map(|(n, s)| m.reg_varying(n, s, true, None))
        .collect();

    // Stage 2: add the group sums, accumulate over the frame (32 bits never overflow for
    // frames < 64 KiB).
    let cc1 = add_tree(&mut m, "cc_groups", cc_parts);
    let l41 = add_tree(&mut m, "l4_groups", l4_parts);
    let zero32 = Signal::lit(32, 0);
    let acc_c = m.reg_decl("acc_cc", 32, false, Some(Bits::zero(32)));
    let acc_l = m.reg_decl("acc_l4", 32, false, Some(Bits::zero(32)));
    let base_c = first1.mux(&zero32, &acc_c.sig());
    let base_l = first1.mux(&zero32, &acc_l.sig());
    m.set_next(&acc_c, &base_c.add_w(&cc1, 32));
    m.set_next(&acc_l, &base_l.add_w(&l41, 32));
    m.set_enable(&acc_c, &v1);
    m.set_enable(&acc_l, &v1);
    let last2 = m.reg("s2_last", &last1);
    let odd2 = m.reg_varying("s2_odd", &odd1, true, None);
    let ph2 = m.reg_varying("s2_ph", &ph1, true, None);

    // Stage 3: fold, byte-swap for an odd L4 start.
    let cc_f = fold16(&mut m, "cc", &acc_c.sig());
    let l4_f = fold16(&mut m, "l4", &acc_l.sig());
    let swapped = Signal::concat(&[l4_f.trunc(8), l4_f.bits(15, 8)]);
    let l4_al = m.wire("l4_aligned", &odd2.mux(&swapped, &l4_f));
    let last3 = m.reg("s3_last", &last2);
    let cc3 = m.reg_en("s3_cc", &cc_f, &last2);
    let l43 = m.reg_en("s3_l4", &l4_al, &last2);
    let ph3 = m.reg_varying("s3_ph", &ph2, true, Some(&last2));

    // Stage 4: add the pseudo-header, fold again, compare. (One stage for both folds was
    // the engine's critical path, 6.42 ns on OSU 0.18 um.)
    let with_ph = m.wire("l4_with_ph", &l43.add_w(&ph3, 25));
    let l4_total = fold16(&mut m, "l4_ph", &with_ph);
    let out_valid = m.reg("out_valid_q", &last3);
    let out_cc = m.reg_en("out_complete_q", &cc3, &last3);
    let out_l4 = m.reg_en("out_l4_sum_q", &l4_total, &last3);
    let out_ok = m.reg_en("out_l4_ok_q", &l4_total.eq_lit(0xFFFF), &last3);
    m.output("out_valid", &out_valid);
    m.output("out_complete", &out_cc);
    m.output("out_l4_sum", &out_l4);
    m.output("out_l4_ok", &out_ok);
    m.finish()
}

/// Reflected CRC-32 polynomial (IEEE).
const CRC_POLY: u32 = 0xEDB8_8320;

/// One reflected CRC-32 byte step with no init or final complement (the linear core).
fn crc_step(mut s: u32, b: u8) -> u32 {
    s ^= u32::from(b);
    for _ in 0..8 {
        s = if s & 1 != 0 {
            (s >> 1) ^ CRC_POLY
        } else {
            s >> 1
        };
    }
    s
}

/// Inverse of `crc_step(s, 0)` (the polynomial's top bit tells which branch was taken).
fn crc_unstep_zero(mut s: u32) -> u32 {
    for _ in 0..8 {
        let lsb = s >> 31;
        s = ((s ^ if lsb != 0 { CRC_POLY } else { 0 }) << 1) | lsb;
    }
    s
}

/// `n` zero-byte steps forward (`n >= 0`) or backward (`n < 0`).
fn crc_zeros(mut s: u32, n: i64) -> u32 {
    for _ in 0..n.unsigned_abs() {
        s = if n > 0 {
            crc_step(s, 0)
        } else {
            crc_unstep_zero(s)
        };
    }
    s
}

/// A GF(2) linear map: output bit k = XOR of the input bits whose column has bit k set.
fn xor_matrix(m: &mut ModuleBuilder, name: &str, cols: &[u32], input: &Signal) -> Signal {
    let mut bits = Vec::new();
    for k in 0..32 {
        let terms: Vec<Signal> = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| (*c >> k) & 1 != 0)
            .map(|(i, _)| input.bit(i as u32))
            .collect();
        let bit = match terms.len() {
            0 => Signal::lit(1, 0),
            1 => terms[0].clone(),
            _ => {
                // chunks of 64 terms keep every emitted line short
                let parts: Vec<Signal> = terms
                    .chunks(64)
                    .enumerate()
                    .map(|(c, t)| m.wire(&format!("{name}_b{k}_p{c}"), &cat_lsb(t).reduce_xor()))
                    .collect();
                if parts.len() == 1 {
                    parts[0].clone()
                } else {
                    cat_lsb(&parts).reduce_xor()
                }
            }
        };
        bits.push(bit);
    }
    m.wire(name, &cat_lsb(&bits))
}

/// Columns of `s -> crc_zeros(s, n)` on a 32-bit state.
fn zeros_cols(n: i64) -> Vec<u32> {
    (0..32).map(|k| crc_zeros(1 << k, n)).collect()
}

/// `pkt_icrc_d<D>`: the RoCEv2 ICRC over a stored frame (see the module doc for ports).
///
/// How: the CRC is affine, so a beat updates the state as `Z^D(state) ^ G(beat)` with `G` the
/// zero-init CRC of the beat's masked bytes (lanes outside the range are zero). The first
/// beat starts from the constant `Z^(D-j)(S0)` (`S0` = the state after the 8 bytes of 0xFF,
/// `j` = lanes before `l3_start`), and the `t` zero lanes after `icrc_pos` in the last beat
/// are undone at the end with `Z^-t`, applied bit by bit of `t` over two stages.
pub fn pkt_icrc(data_bytes: u32) -> Result<Rc<Module>, RtlError> {
    pkt_icrc_given(data_bytes, &Given::default())
}

/// [`pkt_icrc`] generated for what its parent drives into it ([`Given`]).
pub fn pkt_icrc_given(data_bytes: u32, given: &Given) -> Result<Rc<Module>, RtlError> {
    let lb = check_data_bytes(data_bytes)?;
    let d = data_bytes;
    let mut m = ModuleBuilder::new(given.name(format!("pkt_icrc_d{d}")));
    m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_data = given.input(&mut m, "in_data", 8 * d);
    let in_pos = given.input(&mut m, "in_pos", POS_BITS);
    let in_last = m.input("in_last", 1);
    let l3_start = given.input(&mut m, "l3_start", POS_BITS);
    let l4_start = given.input(&mut m, "l4_start", POS_BITS);
    let icrc_pos = given.input(&mut m, "icrc_pos", POS_BITS);
    let ipv6 = given.input(&mut m, "ipv6", 1);

    // Stage 1: lane enables, masks to ones, classification of the beat, ICRC field capture.
    let lo = lane_bound(&mut m, "rng_lo", &l3_start, &in_pos, lb);
    let hi = lane_bound(&mut m, "rng_hi", &icrc_pos, &in_pos, lb);
    let offs = |base: &Signal, k: u64| base.add_w(&Signal::lit(POS_BITS, k), POS_BITS);
    let mut ones_v4 = Vec::new();
    for k in [1, 8, 10, 11] {
        ones_v4.push(lane_onehot(
            &mut m,
            &format!("v4_b{k}"),
            &offs(&l3_start, k),
            &in_pos,
            lb,
        ));
    }
    let mut ones_v6 = Vec::new();
    for k in [1, 2, 3, 7] {
        ones_v6.push(lane_onehot(
            &mut m,
            &format!("v6_b{k}"),
            &offs(&l3_start, k),
            &in_pos,
            lb,
        ));
    }
    let mut ones_l4 = Vec::new();
    for k in [6, 7, 12] {
        ones_l4.push(lane_onehot(
            &mut m,
            &format!("l4_b{k}"),
            &offs(&l4_start, k),
            &in_pos,
            lb,
        ));
    }
    let or_all = |v: &[Signal]| v.iter().skip(1).fold(v[0].clone(), |a, b| &a | b);
    let m_v4 = or_all(&ones_v4);
    let m_v6 = or_all(&ones_v6);
    let m_l4 = or_all(&ones_l4);
    let ones = m.wire("ones_lanes", &(&m_l4 | &ipv6.mux(&m_v6, &m_v4)));
    let nib = lane_onehot(&mut m, "v6_b0", &l3_start, &in_pos, lb);
    let nib = m.wire("nib_lanes", &(&nib & &ipv6.repeat(d)));
    let mut bytes = Vec::new();
    for i in 0..d {
        let li = Signal::lit(lb + 1, u64::from(i));
        let en = &li.ge(&lo) & &li.lt(&hi);
        let b = in_data.slice(8 * i, 8);
        let b = &b | &Signal::concat(&[Signal::lit(4, 0), nib.bit(i).repeat(4)]);
        let b = ones.bit(i).mux(&Signal::lit(8, 0xFF), &b);
        bytes.push(m.wire(&format!("masked_{i}"), &(&b & &en.repeat(8))));
    }
    let masked = m.wire("masked", &cat_lsb(&bytes));
    let in_range = m.wire("beat_in_range", &(&in_valid & &lo.lt(&hi)));
    // The beat holding l3_start starts the CRC; j = its lane.
    let j_hot = lane_onehot(&mut m, "first_lane", &l3_start, &in_pos, lb);
    let is_first = j_hot.reduce_or();
    let j = l3_start.sub_w(&in_pos, POS_BITS).trunc(lb);
    // The beat holding byte icrc_pos - 1 ends it; t = D - (icrc_pos - pos) trailing lanes.
    let end_m1 = icrc_pos.sub_w(&Signal::lit(POS_BITS, 1), POS_BITS);
    let end_hot = lane_onehot(&mut m, "last_lane", &end_m1, &in_pos, lb);
    let is_end = m.wire("beat_is_end", &(&in_valid & &end_hot.reduce_or()));
    let t = m.wire(
        "trail",
        &Signal::lit(lb, u64::from(d - 1)).sub_w(&end_m1.sub_w(&in_pos, POS_BITS).trunc(lb), lb),
    );
    let t_hold = m.reg_varying("trail_hold", &t, true, Some(&is_end));
    let mut rx_bytes = Vec::new();
    for k in 0..4u64 {
        let hot = lane_onehot(
            &mut m,
            &format!("rx_b{k}"),
            &offs(&icrc_pos, k),
            &in_pos,
            lb,
        );
        let terms: Vec<Signal> = (0..d)
            .map(|i| &in_data.slice(8 * i, 8) & &hot.bit(i).repeat(8))
            .collect();
        let byte = m.wire(&format!("rx_b{k}_byte"), &or_all(&terms));
        let hit = &in_valid & &hot.reduce_or();
        rx_bytes.push(m.reg_en(&format!("rx_hold_b{k}"), &byte, &hit));
    }
    let rx_hold = cat_lsb(&rx_bytes);
    let v1 = m.reg("s1_range", &in_range);
    let first1 = m.reg("s1_first", &is_first);
    let j1 = m.reg_varying("s1_j", &j, true, None);
    let last1 = m.reg("s1_last", &(&in_valid & &in_last));
    let data1 = m.reg_varying("s1_data", &masked, true, None);

    // Stage 2: G = zero-init CRC of the masked beat.
    let g_cols: Vec<u32> = (0..8 * d)
        .map(|bit| {
            let mut s = 0u32;
            for lane in 0..d {
                let b = if lane == bit / 8 { 1u8 << (bit % 8) } else { 0 };
                s = crc_step(s, b);
            }
            s
        })
        .collect();
    let g = xor_matrix(&mut m, "g_beat", &g_cols, &data1);
    let g2 = m.reg("s2_g", &g);
    let v2 = m.reg("s2_range", &v1);
    let first2 = m.reg("s2_first", &first1);
    let j2 = m.reg_varying("s2_j", &j1, true, None);
    let last2 = m.reg("s2_last", &last1);
    let t2 = m.reg_varying("s2_trail", &t_hold, true, None);
    let rx2 = m.reg("s2_rx", &rx_hold);

    // Stage 3: state = first ? C[j] ^ G : Z^D(state) ^ G.
    let mut s0 = 0xFFFF_FFFFu32;
    for _ in 0..8 {
        s0 = crc_step(s0, 0xFF);
    }
    let consts: Vec<(Signal, Signal)> = (0..u64::from(d))
        .map(|jj| {
            (
                j2.eq_lit(jj),
                Signal::lit(32, u64::from(crc_zeros(s0, i64::from(d) - jj as i64))),
            )
        })
        // Lanes the start cannot be in (odd ones for a parent's even L3 offset) have no case.
        .filter(|(hit, _)| m.known_bits(hit).bit(0) != Some(false))
        .collect();
    let c_j = m.wire(
        "init_const",
        &Signal::priority(&consts, &Signal::lit(32, 0)),
    );
    let state = m.reg_decl("crc_state", 32, false, Some(Bits::zero(32)));
    let adv = xor_matrix(&mut m, "state_adv", &zeros_cols(i64::from(d)), &state.sig());
    let next = first2.mux(&c_j, &adv);
    m.set_next(&state, &(&next ^ &g2));
    m.set_enable(&state, &v2);
    let last3 = m.reg("s3_last", &last2);
    let t3 = m.reg_varying("s3_trail", &t2, true, None);
    let rx3 = m.reg("s3_rx", &rx2);

    // Stages 4 and 5: undo the trailing zero lanes, Z^-t, one conditional matrix per bit of t.
    let split = lb.div_ceil(2);
    let mut x = state.sig();
    for bit in 0..split {
        let y = xor_matrix(
            &mut m,
            &format!("unz_{bit}"),
            &zeros_cols(-(1i64 << bit)),
            &x,
        );
        x = m.wire(&format!("unz_{bit}_sel"), &t3.bit(bit).mux(&y, &x));
    }
    let x4 = m.reg("s4_state", &x);
    let last4 = m.reg("s4_last", &last3);
    // only the high bits of t are still needed
    let t4 = (lb > split).then(|| m.reg("s4_trail_hi", &t3.slice(split, lb - split)));
    let rx4 = m.reg("s4_rx", &rx3);
    let mut x = x4;
    if let Some(t4) = &t4 {
        for bit in split..lb {
            let y = xor_matrix(
                &mut m,
                &format!("unz_{bit}"),
                &zeros_cols(-(1i64 << bit)),
                &x,
            );
            x = m.wire(&format!("unz_{bit}_sel"), &t4.bit(bit - split).mux(&y, &x));
        }
    }
    let crc = m.wire("crc_final", &!&x);
    let out_valid = m.reg("out_valid_q", &last4);
    let out_crc = m.reg_en("out_crc_q", &crc, &last4);
    let out_rx = m.reg_en("out_rx_q", &rx4, &last4);
    let out_ok = m.reg_en("out_ok_q", &crc.eq(&rx4), &last4);
    m.output("out_valid", &out_valid);
    m.output("out_crc", &out_crc);
    m.output("out_rx", &out_rx);
    m.output("out_ok", &out_ok);
    m.finish()
}

/// A balanced binary mux tree: `table[addr]` (entries past the table read as 0).
fn mux_tree(m: &mut ModuleBuilder, name: &str, table: &[Signal], addr: &Signal) -> Signal {
    let mut level: Vec<Signal> = table.to_vec();
    let mut bit = 0;
    while level.len() > 1 {
        let sel = addr.bit(bit);
        let next: Vec<Signal> = level
            .chunks(2)
            .map(|p| {
                if p.len() == 2 {
                    sel.mux(&p[1], &p[0])
                } else {
                    (!&sel).repeat(p[0].width()) & &p[0]
                }
            })
            .collect();
        level = next;
        bit += 1;
        if level.len() > 1 && level.len().is_multiple_of(8) {
            level = level
                .iter()
                .enumerate()
                .map(|(k, s)| m.wire(&format!("{name}_l{bit}_n{k}"), s))
                .collect();
        }
    }
    m.wire(name, &level[0])
}

/// `pkt_toeplitz_i<S>_q<Q>`: Toeplitz hash and indirection table (see the module doc).
/// `rss_queues` sets the reset contents (entry i = i % rss_queues).
pub fn pkt_toeplitz(
    indirection_size: u32,
    queue_bits: u32,
    rss_queues: u32,
) -> Result<Rc<Module>, RtlError> {
    if !(1..=1024).contains(&indirection_size) || !indirection_size.is_power_of_two() {
        return Err(ParamError::invalid(
            "indirection_size",
            indirection_size,
            "a power of two in 1..=1024",
        )
        .into());
    }
    if !(1..=16).contains(&queue_bits) {
        return Err(ParamError::invalid("queue_bits", queue_bits, "1..=16").into());
    }
    if rss_queues == 0 || u64::from(rss_queues) > 1u64 << queue_bits {
        return Err(ParamError::invalid(
            "rss_queues",
            rss_queues,
            format!("1..={} (2^queue_bits)", 1u64 << queue_bits),
        )
        .into());
    }
    let s = indirection_size;
    let q = queue_bits;
    let ab = index_bits(s);
    let mut m = ModuleBuilder::new(format!("pkt_toeplitz_i{s}_q{q}"));
    m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_type = m.input("in_type", 3);
    let in_src = m.input("in_src", 128);
    let in_dst = m.input("in_dst", 128);
    let in_sport = m.input("in_sport", 16);
    let in_dport = m.input("in_dport", 16);
    let key = m.input("key", 319);
    let tbl_we = m.input("tbl_we", 1);
    let tbl_addr = m.input("tbl_addr", ab);
    let tbl_data = m.input("tbl_data", q);

    // The Toeplitz input, bit n = n-th bit on the wire (MSB of byte 0 first).
    let is_v4 = m.wire("is_v4", &(&in_type.eq_lit(1) | &in_type.eq_lit(2)));
    let is_v6 = m.wire("is_v6", &(&in_type.eq_lit(3) | &in_type.eq_lit(4)));
    let ports = m.wire("with_ports", &(&in_type.eq_lit(2) | &in_type.eq_lit(4)));
    let v4_in = Signal::concat(&[
        in_src.trunc(32),
        in_dst.trunc(32),
        &in_sport & &ports.repeat(16),
        &in_dport & &ports.repeat(16),
    ]);
    let v6_in = Signal::concat(&[
        in_src.clone(),
        in_dst.clone(),
        &in_sport & &ports.repeat(16),
        &in_dport & &ports.repeat(16),
    ]);
    // Both as 288-bit numbers whose MSB is Toeplitz input bit 0.
    let v4_in = Signal::concat(&[v4_in, Signal::lit(192, 0)]);
    let word = m.wire(
        "tuple",
        &(&(&v4_in & &is_v4.repeat(288)) | &(&v6_in & &is_v6.repeat(288))),
    );
    // Stage 1: partial hashes over 32-bit chunks of the input.
    // Hash bit b = XOR over n of x[n] & key[287 - n + b]; x[n] = word[287 - n].
    let chunks = 9;
    let mut partial = Vec::new();
    for c in 0..chunks {
        let mut bits = Vec::new();
        for b in 0..32u32 {
            let terms: Vec<Signal> = (32 * c..32 * c + 32)
                .map(|n: u32| &word.bit(287 - n) & &key.bit(287 - n + b))
                .collect();
            bits.push(m.wire(&format!("part{c}_b{b}"), &cat_lsb(&terms).reduce_xor()));
        }
        let p = m.wire(&format!("part{c}"), &cat_lsb(&bits));
        partial.push(m.reg(&format!("s1_part{c}"), &p));
    }
    let v1 = m.reg("s1_valid", &in_valid);
    // Stage 2: the hash.
    let hash = partial
        .iter()
        .skip(1)
        .fold(partial[0].clone(), |a, p| &a ^ p);
    let hash2 = m.reg("s2_hash", &hash);
    let v2 = m.reg("s2_valid", &v1);
    // Stage 3: the indirection table.
    let mut table = Vec::new();
    for i in 0..s {
        let r = m.reg_decl(
            &format!("ind_{i}"),
            q,
            false,
            Some(Bits::from_u64(q, u64::from(i % rss_queues))),
        );
        m.set_next(&r, &tbl_data);
        let hit = if s == 1 {
            tbl_we.clone()
        } else {
            &tbl_we & &tbl_addr.eq_lit(u64::from(i))
        };
        m.set_enable(&r, &hit);
        table.push(r.sig());
    }
    let idx = hash2.trunc(ab);
    let queue = if s == 1 {
        table[0].clone()
    } else {
        mux_tree(&mut m, "ind_rd", &table, &idx)
    };
    let out_valid = m.reg("out_valid_q", &v2);
    let out_hash = m.reg("out_hash_q", &hash2);
    let out_queue = m.reg("out_queue_q", &queue);
    m.output("out_valid", &out_valid);
    m.output("out_hash", &out_hash);
    m.output("out_queue", &out_queue);
    m.finish()
}

/// `pkt_em_n<N>`: the exact-match table, `entries` in 1..=256 (see the module doc).
pub fn pkt_em(entries: u32) -> Result<Rc<Module>, RtlError> {
    if !(1..=256).contains(&entries) {
        return Err(ParamError::invalid(
            "em_size",
            entries,
            "1..=256 (an engine without exact-match leaves pkt_em out)",
        )
        .into());
    }
    let n = entries;
    let ib = index_bits(n);
    let mut m = ModuleBuilder::new(format!("pkt_em_n{n}"));
    m.clock_domain();
    let in_valid = m.input("in_valid", 1);
    let in_ipv4 = m.input("in_ipv4", 1);
    let in_ipv6 = m.input("in_ipv6", 1);
    let in_src = m.input("in_src", 128);
    let in_dst = m.input("in_dst", 128);
    let in_proto_valid = m.input("in_proto_valid", 1);
    let in_proto = m.input("in_proto", 8);
    let in_sport = m.input("in_sport", 16);
    let in_dport = m.input("in_dport", 16);
    let in_roce = m.input("in_roce", 1);
    let in_qp = m.input("in_qp", 24);
    let cfg_we = m.input("cfg_we", 1);
    let cfg_addr = m.input("cfg_addr", ib + 4);
    let cfg_data = m.input("cfg_data", 32);

    let ports = Signal::concat(&[in_sport.clone(), in_dport.clone()]);
    let mut hits = Vec::new();
    let mut acts = Vec::new();
    for e in 0..n {
        let words: Vec<Signal> = m.scope(&format!("e{e}"), |m| {
            let mut v = Vec::new();
            for w in 0..11u64 {
                // Word 9 keeps only valid, kind, action and protocol.
                let data = if w == 9 {
                    Signal::concat(&[
                        cfg_data.bit(31),
                        cfg_data.bits(25, 24),
                        cfg_data.bits(17, 16),
                        cfg_data.trunc(8),
                    ])
                } else {
                    cfg_data.clone()
                };
                let width = data.width();
                let r = m.reg_decl(&format!("w{w}"), width, false, Some(Bits::zero(width)));
                m.set_next(&r, &data);
                let sel = cfg_addr.eq_lit(u64::from(e) * 16 + w);
                m.set_enable(&r, &(&cfg_we & &sel));
                v.push(r.sig());
            }
            v
        });
        let src = cat_lsb(&words[0..4]);
        let dst = cat_lsb(&words[4..8]);
        let ctl = &words[9];
        let valid = ctl.bit(12);
        let kind = ctl.bits(11, 10);
        let l4 = &(&in_proto_valid & &in_proto.eq(&ctl.trunc(8))) & &ports.eq(&words[8]);
        let v4 = &(&in_ipv4 & &in_src.trunc(32).eq(&words[0])) & &in_dst.trunc(32).eq(&words[4]);
        let v4 = &v4 & &l4;
        let v6 = &(&(&in_ipv6 & &in_src.eq(&src)) & &in_dst.eq(&dst)) & &l4;
        let qp = &in_roce & &in_qp.eq(&words[0].trunc(24));
        let hit = Signal::priority(
            &[
                (kind.eq_lit(0), v4),
                (kind.eq_lit(1), v6),
                (kind.eq_lit(2), qp),
            ],
            &Signal::lit(1, 0),
        );
        let hit = m.wire(&format!("e{e}_hit"), &(&valid & &hit));
        hits.push(hit);
        acts.push((ctl.bits(9, 8), words[10].clone()));
    }
    // Stage 1: the match vector.
    let hit1 = m.reg("s1_hits", &cat_lsb(&hits));
    let v1 = m.reg("s1_valid", &in_valid);
    // Stage 2: lowest index wins.
    let cases: Vec<(Signal, Signal)> = (0..n)
        .map(|e| {
            (
                hit1.bit(e),
                Signal::concat(&[
                    Signal::lit(1, 1),
                    Signal::lit(ib, u64::from(e)),
                    acts[e as usize].0.clone(),
                    acts[e as usize].1.clone(),
                ]),
            )
        })
        .collect();
    let sel = m.wire(
        "winner",
        &Signal::priority(&cases, &Signal::lit(1 + ib + 2 + 32, 0)),
    );
    let out = m.reg("out_q", &(&sel & &v1.repeat(sel.width())));
    let out_valid = m.reg("out_valid_q", &v1);
    m.output("out_valid", &out_valid);
    m.output("out_hit", &out.bit(ib + 34));
    m.output("out_index", &out.slice(34, ib));
    m.output("out_action", &out.slice(32, 2));
    m.output("out_value", &out.trunc(32));
    m.finish()
}
