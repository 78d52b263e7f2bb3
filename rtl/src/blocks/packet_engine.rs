//! DPU packet engine (issue 7), RTL side: a store-and-forward receive path.
//!
//! Micro-architecture (docs/blocks/packet-engine.md has the datasheet):
//! - **Ingress** (`s_axis`, registered `tready` computed from occupancy, so no
//!   combinational `tready` path): tkeep checks, length count, capture of the first
//!   `parse_depth` bytes into a window register, every beat with a non-zero `tkeep` written
//!   into the frame buffer memory.
//! - **Parser**: a stall-free pipeline (one frame per cycle) over the captured window: L2 with
//!   S/C tags, IPv4 (options, checksum, fragments), IPv6 with up to `ipv6_ext_max` extension
//!   headers (one stage per header), ARP, UDP/TCP/ICMP, RoCEv2 BTH and extension headers,
//!   Toeplitz RSS, indirection table, exact-match table, verdict before the checksum pass.
//! - **Checksum pass**: once the parser knows a frame's offsets (stage p4) the frame is read
//!   a second time from the frame buffer, one beat per cycle and frames back to back, into
//!   `pkt_csum` (CHECKSUM_COMPLETE, L4 sum with the pseudo-header the parser computed) and
//!   `pkt_icrc` (RoCEv2 ICRC) of [`crate::blocks::packet_units`]. Results go to a result
//!   FIFO in frame order.
//! - **Metadata FIFO** ([`PacketParams::meta_fifo_depth`] records) read by two independent
//!   consumers: the metadata output (`m_axis_meta_*`, through a skid buffer), which waits
//!   for the frame's checksum-pass result and joins `l4_csum`, `csum_complete`, the ICRC
//!   fields and the final verdict (counters update here), and the egress, which streams
//!   passed frames from the frame buffer with `tdest` = queue and skips dropped ones in one
//!   cycle; it waits for the pass result only when that result can turn the verdict into a
//!   drop.
//!
//! Parse-depth limit: headers are parsed from the first `parse_depth` bytes only; the sums
//! and the ICRC cover the whole frame.

use crate::bits::Bits;
use crate::blocks::packet::{parse_rss_key, DropPolicies, PacketParams, Policy};
use crate::blocks::packet_units::{
    add_tree, pkt_csum_given, pkt_icrc_given, Given, CSUM_LATENCY, ICRC_LATENCY,
};
use crate::builder::{MemHandle, ModuleBuilder};
use crate::error::{ParamError, RtlError};
use crate::ir::Module;
use crate::known::{rebuild, Run};
use crate::signal::Signal;
use std::rc::Rc;

// The checksum pass joins the two units' results in one cycle.
const _: () = assert!(CSUM_LATENCY == ICRC_LATENCY);

/// One exact-match entry's (hit, index, action, value) signals.
type EmHit = (Signal, usize, Signal, Signal);

/// Bytes of the frame buffer.
pub const BUFFER_BYTES: u32 = 16384;

/// Flag names in bit order of the `flags` metadata field (same order as issue 7's list).
pub const FLAG_NAMES: [&str; 28] = [
    "vlan_s",
    "vlan_c",
    "vlan_extra",
    "ipv4",
    "ipv6",
    "frag",
    "arp",
    "icmp",
    "tcp",
    "udp",
    "l3_opt",
    "l4_opt",
    "l3_bad_csum",
    "l4_bad_csum",
    "l4_bad_len",
    "rocev2",
    "roce_bad_tver",
    "roce_unknown_op",
    "icrc_bad",
    "trunc",
    "malformed",
    "runt",
    "oversize",
    "mac_bad",
    "tkeep_bad",
    "ipv6_ext_limit",
    "em_hit",
    "parse_depth",
];

/// Drop reasons in priority order; `reason` in the metadata is the index: the policy-driven
/// reasons of [`DropPolicies::REASONS`] (0..=9), then 10 = `em` (an exact-match drop entry).
pub const REASON_NAMES: [&str; 11] = {
    let mut names = [""; 11];
    let mut i = 0;
    while i < DropPolicies::REASONS.len() {
        names[i] = DropPolicies::REASONS[i];
        i += 1;
    }
    names[10] = "em";
    names
};

/// Flag bit that raises each reason of [`REASON_NAMES`] (all but `em`).
const REASON_FLAG: [&str; 10] = [
    "mac_bad",
    "tkeep_bad",
    "runt",
    "oversize",
    "trunc",
    "malformed",
    "l3_bad_csum",
    "l4_bad_csum",
    "icrc_bad",
    "roce_bad_tver",
];

fn fbit(name: &str) -> u32 {
    FLAG_NAMES
        .iter()
        .position(|f| *f == name)
        .unwrap_or_else(|| panic!("unknown flag {name}")) as u32
}

/// Configuration port address map (32-bit words; `cfg_we` writes `cfg_wdata` at `cfg_addr`,
/// `cfg_rdata` shows the word at the previous cycle's `cfg_addr`).
pub mod addr {
    /// Write 1 to bit 0: clear all counters.
    pub const CONTROL: u16 = 0x0000;
    /// RoCEv2 UDP destination port (16 bits).
    pub const ROCE_PORT: u16 = 0x0001;
    /// Minimum frame length.
    pub const MIN_LEN: u16 = 0x0002;
    /// Maximum frame length.
    pub const MAX_LEN: u16 = 0x0003;
    /// Policies: bit i = 1 drops on reason i of `REASON_NAMES` (0..9).
    pub const POLICY: u16 = 0x0004;
    /// RSS hash types: bits ipv4, ipv4_tcp, ipv4_udp, ipv6, ipv6_tcp, ipv6_udp.
    pub const HASH_TYPES: u16 = 0x0005;
    /// RSS key words 0..9, word 0 = key bytes 0..3 big-endian.
    pub const RSS_KEY: u16 = 0x0010;
    /// Indirection table entry i at `INDIRECTION + i`.
    pub const INDIRECTION: u16 = 0x0400;
    /// Exact-match entry e at `EM + 16 * e`: word 0 = valid | kind << 1 (0 IPv4 5-tuple,
    /// 1 IPv6 5-tuple, 2 RoCE QP) | protocol << 8 | action << 16 (0 queue, 1 drop, 2 mark);
    /// word 1 = src_port << 16 | dst_port; word 2 = action value (queue or mark); word 3 =
    /// QP; words 4..7 source address, 8..11 destination (big-endian, IPv4 in words 7/11).
    pub const EM: u16 = 0x0800;
    /// Counters (read-only, 32 bits, wrapping): frames, bytes, good packets, good bytes,
    /// drops per reason (11), frames per flag (27).
    pub const COUNTERS: u16 = 0x1000;
}

/// Fields of the metadata record in order, with widths: each is an output port
/// `m_axis_meta_<name>`. Validity rules are in the datasheet (e.g. `src_ip` is valid when
/// the `ipv4` or `ipv6` flag is set; IPv4 addresses are in the low 32 bits).
pub fn meta_fields(p: &PacketParams) -> Vec<(&'static str, u32)> {
    vec![
        ("len", 16),
        ("pass", 1),
        ("reason", 4),
        ("flags", 28),
        ("queue", p.queue_bits),
        ("rss_hash", 32),
        ("rss_type", 3),
        ("em_index", 8),
        ("mark_valid", 1),
        ("mark", 32),
        ("dst_mac", 48),
        ("src_mac", 48),
        ("vlan_s_tci", 16),
        ("vlan_c_tci", 16),
        ("ethertype_valid", 1),
        ("ethertype", 16),
        ("l3_valid", 1),
        ("l3_offset", 16),
        ("l4_valid", 1),
        ("l4_offset", 16),
        ("payload_valid", 1),
        ("payload_offset", 16),
        ("src_ip", 128),
        ("dst_ip", 128),
        ("protocol", 8),
        ("ttl", 8),
        ("src_port", 16),
        ("dst_port", 16),
        ("ipv4_csum_ok", 1),
        ("l4_csum", 2),
        ("csum_complete", 16),
        ("roce_opcode", 8),
        ("roce_se", 1),
        ("roce_m", 1),
        ("roce_pad_cnt", 2),
        ("roce_tver", 4),
        ("roce_p_key", 16),
        ("roce_fecn", 1),
        ("roce_becn", 1),
        ("roce_dest_qp", 24),
        ("roce_ack_req", 1),
        ("roce_psn", 24),
        ("roce_ext_len", 8),
        ("roce_ext_ok", 1),
        ("roce_ext_mask", 7),
        ("roce_deth_q_key", 32),
        ("roce_deth_src_qp", 24),
        ("roce_reth_va", 64),
        ("roce_reth_r_key", 32),
        ("roce_reth_dma_len", 32),
        ("roce_atomic_va", 64),
        ("roce_atomic_r_key", 32),
        ("roce_atomic_swap_add", 64),
        ("roce_atomic_compare", 64),
        ("roce_aeth_syndrome", 8),
        ("roce_aeth_msn", 24),
        ("roce_atomic_ack", 64),
        ("roce_imm", 32),
        ("roce_ieth", 32),
        ("roce_payload_len", 16),
        ("roce_icrc_valid", 1),
        ("roce_icrc", 32),
        ("roce_icrc_ok", 1),
    ]
}

/// What the metadata record stores besides the output fields it keeps as they are: the
/// exact-match drop bit (for the verdict when the record leaves) and the RoCEv2 extension
/// headers' bytes and the first six bits of their mask, from which the extension-header
/// fields are cut then (the seventh, IETH's, moves no field: IETH is the last header).
const RECORD_ONLY: [(&str, u32); 3] = [
    ("em_drop", 1),
    ("roce_xraw", ROCE_XRAW_BYTES * 8),
    ("roce_xmask", 6),
];

/// Metadata fields decided by the checksum pass (or depending on it): not stored in the
/// metadata FIFO but joined from the pass results when a record leaves it.
const LATE_FIELDS: [&str; 6] = [
    "pass",
    "reason",
    "csum_complete",
    "roce_icrc_valid",
    "roce_icrc",
    "roce_icrc_ok",
];

/// Largest frame (bytes) the frame buffer can hold; longer frames would stall the engine.
pub fn max_frame_bytes(p: &PacketParams) -> u32 {
    BUFFER_BYTES - 4 * p.data_bytes
}

/// RoCE extension-header bits per BTH opcode (bit 0 DETH, 1 RETH, 2 AtomicETH, 3 AETH,
/// 4 AtomicAckETH, 5 ImmDt, 6 IETH) from the IBA opcode table (RC, UC, UD, CNP); `None` for
/// unsupported opcodes.
pub fn roce_ext_mask(op: u8) -> Option<u8> {
    const DETH: u8 = 1;
    const RETH: u8 = 2;
    const ATOMIC: u8 = 4;
    const AETH: u8 = 8;
    const AACK: u8 = 16;
    const IMM: u8 = 32;
    const IETH: u8 = 64;
    let low = op & 0x1F;
    match op >> 5 {
        0 | 1 => {
            let valid = if op >> 5 == 0 {
                low <= 0x14 || low == 0x16 || low == 0x17
            } else {
                low <= 0x0B
            };
            if !valid {
                return None;
            }
            Some(match low {
                0x03 | 0x05 | 0x09 => IMM,
                0x06 | 0x0A | 0x0C => RETH,
                0x0B => RETH | IMM,
                0x0D | 0x0F | 0x10 | 0x11 => AETH,
                0x12 => AETH | AACK,
                0x13 | 0x14 => ATOMIC,
                0x16 | 0x17 => IETH,
                _ => 0,
            })
        }
        3 if low == 0x04 => Some(DETH),
        3 if low == 0x05 => Some(DETH | IMM),
        4 if op == 0x81 => Some(0),
        _ => None,
    }
}

const O: u32 = 18; // width of offset arithmetic

fn lit(w: u32, v: u64) -> Signal {
    Signal::lit(w, v)
}

fn byte(w: &Signal, i: u32) -> Signal {
    w.slice(8 * i, 8)
}

/// Big-endian field of `n` bytes at constant byte offset `i` of a little-endian byte vector.
fn be(w: &Signal, i: u32, n: u32) -> Signal {
    let parts: Vec<Signal> = (0..n).map(|k| byte(w, i + k)).collect();
    Signal::concat(&parts)
}

fn flag(flags: &Signal, name: &str) -> Signal {
    flags.bit(fbit(name))
}

/// A named bundle of signals travelling down the parser pipeline.
#[derive(Clone, Default)]
struct Rec(Vec<(String, Signal)>);

impl Rec {
    fn get(&self, n: &str) -> Signal {
        self.0
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("pipeline field {n} missing"))
    }
    fn set(&mut self, n: &str, s: Signal) {
        if let Some(e) = self.0.iter_mut().find(|(k, _)| k == n) {
            e.1 = s;
        } else {
            self.0.push((n.to_string(), s));
        }
    }
}

/// Builder wrapper with the helpers of the parser.
struct B {
    m: ModuleBuilder,
    depth: u32,
}

impl B {
    fn w(&mut self, name: &str, s: &Signal) -> Signal {
        self.m.wire(name, s)
    }

    /// Sets flag bit `name` when `cond`.
    fn setf(&mut self, r: &mut Rec, wname: &str, name: &str, cond: &Signal) {
        let f = r.get("flags");
        let v = &f | &cond.zext(28).shl(fbit(name));
        let v = self.w(wname, &v);
        r.set("flags", v);
    }

    /// Header acceptance: (ok, trunc, malformed) for `n` bytes at `off` within `limit`.
    fn need(
        &mut self,
        name: &str,
        off: &Signal,
        n: &Signal,
        limit: &Signal,
        len: &Signal,
    ) -> (Signal, Signal, Signal, Signal) {
        let end = self.w(&format!("{name}_end"), &off.add_w(n, O));
        let past = self.w(&format!("{name}_past"), &end.gt(len));
        let fits = self.w(&format!("{name}_fits"), &(&end.le(limit) & &!&past));
        let deep = self.w(&format!("{name}_deep"), &end.gt(&lit(O, self.depth.into())));
        let ok = self.w(&format!("{name}_ok"), &(&fits & &!&deep));
        let tr = &!&fits & &past;
        let mf = &!&fits & &!&past;
        let pd = &fits & &deep;
        (ok, tr, mf, pd)
    }

    /// `n` bytes of `w` starting at the variable byte offset `off` (byte 0 = `w[off]`; bytes
    /// past the end of `w` read as zero).
    ///
    /// A byte shifter that builds only the bytes the result needs: the offset's bits are
    /// taken from the most significant down, and after bit k only the low `n + 2^k - 1` bytes
    /// can still reach the result, so stage `{name}_s{k}` is that wide. An offset with a bit
    /// at or above `m` (2^m >= the bytes of `w`) reads past the end: zero. For the 4 bytes of
    /// an extension header in a 192-byte window that is 280 bytes of 2:1 muxes where a
    /// whole-window shift is 1 536 bytes a level (which synthesis then prunes).
    ///
    /// Offset bits the known-bits analysis finds constant (an even offset's bit 0, say) are
    /// applied first, as one slice: only the varying bits get a stage, and no stage holds
    /// bytes that a constant bit then drops.
    fn at(&mut self, name: &str, w: &Signal, off: &Signal, n: u32) -> Signal {
        let wb = w.width() / 8;
        let m = pow2_bits(wb);
        let known = self.m.known_bits(off);
        let varying: Vec<u32> = (0..m).filter(|&k| known.bit(k).is_none()).collect();
        let fixed: u32 = (0..m)
            .filter(|&k| known.bit(k) == Some(true))
            .map(|k| 1 << k)
            .sum();
        // Bytes that can still reach the result once the varying bits above `k` are applied.
        let keep = |k: u32| {
            n + varying
                .iter()
                .filter(|&&j| j < k)
                .map(|&j| 1u32 << j)
                .sum::<u32>()
        };
        let mut v = bytes_or_zero(w, fixed, keep(m));
        for &k in varying.iter().rev() {
            let moved = bytes_or_zero(&v, 1 << k, keep(k));
            let stay = bytes_or_zero(&v, 0, keep(k));
            v = self.w(&format!("{name}_s{k}"), &off.bit(k).mux(&moved, &stay));
        }
        let v = v.slice(0, n * 8);
        if off.width() > m {
            let past = off.slice(m, off.width() - m).reduce_or();
            self.w(name, &past.mux(&lit(n * 8, 0), &v))
        } else {
            self.w(name, &v)
        }
    }

    /// What the engine drives into a unit's `ports` ([`Given`]: their known bits), for the
    /// unit module `module`.
    fn given(&self, module: String, ports: &[(&str, &Signal)]) -> Given {
        let inputs = ports
            .iter()
            .map(|(name, s)| (name.to_string(), self.m.known_bits(s)))
            .filter(|(_, k)| !k.none_known())
            .collect();
        Given { module, inputs }
    }

    /// A register without reset for `s` holding only its varying bits
    /// ([`ModuleBuilder::reg_varying`]).
    fn pipe_reg(&mut self, name: &str, s: &Signal) -> Signal {
        self.m.reg_varying(name, s, false, None)
    }

    /// A [`skid_buffer`] instance `name` for the stream `data`/`valid`/`ready` holding only
    /// the varying bits of `data` ([`ModuleBuilder::split_known`]); returns its `s_ready`, `m_valid` and
    /// `m_data` (the constant bits put back).
    fn skid(
        &mut self,
        name: &str,
        (clk, rst): (&Signal, &Signal),
        data: &Signal,
        valid: &Signal,
        ready: &Signal,
    ) -> Result<(Signal, Signal, Signal), RtlError> {
        let (runs, v) = self.m.split_known(&format!("{name}_in"), data, false);
        let v = v.expect("a stream whose every bit is constant");
        let unit = skid_buffer(v.width())?;
        let sk = self.m.instance(
            name,
            &unit,
            &[
                ("clk", clk),
                ("rst", rst),
                ("s_data", &v),
                ("s_valid", valid),
                ("m_ready", ready),
            ],
        );
        let m_data = rebuild(&runs, Some(&sk.out("m_data")));
        Ok((sk.out("s_ready"), sk.out("m_valid"), m_data))
    }

    /// A FIFO memory of `depth` words for `data` written at `addr` when `en`, storing only
    /// the varying bits of `data` ([`ModuleBuilder::split_known`]).
    fn packed_fifo(
        &mut self,
        name: &str,
        depth: u32,
        en: &Signal,
        addr: &Signal,
        data: &Signal,
    ) -> PackedFifo {
        let (runs, v) = self.m.split_known(name, data, false);
        let mem = v.map(|v| {
            let mem = self.m.memory(name, u64::from(depth), v.width());
            self.m.mem_write(mem, en, addr, &v);
            mem
        });
        PackedFifo { mem, runs }
    }

    /// The word of `f` at `addr` (a combinational read port `name`), constants put back.
    fn fifo_read(&mut self, f: &PackedFifo, name: &str, addr: &Signal) -> Signal {
        let v = f.mem.map(|mem| self.m.mem_read(mem, name, addr));
        rebuild(&f.runs, v.as_ref())
    }

    /// Registers every field (only `valid` has a reset; constant bits are not registered).
    fn stage(&mut self, name: &str, r: &Rec, drop: &[&str]) -> Rec {
        Rec(r
            .0
            .iter()
            .filter(|(k, _)| !drop.contains(&k.as_str()))
            .map(|(k, s)| {
                let q = if k == "valid" {
                    self.m.reg(&format!("{name}_{k}"), s)
                } else {
                    self.pipe_reg(&format!("{name}_{k}"), s)
                };
                (k.clone(), q)
            })
            .collect())
    }
}

/// Registers of one exact-match entry.
struct Em {
    valid: Signal,
    kind: Signal,
    proto: Signal,
    action: Signal,
    sport: Signal,
    dport: Signal,
    value: Signal,
    qp: Signal,
    src: Signal,
    dst: Signal,
}

/// A FIFO memory that stores only the varying bits of its data ([`B::packed_fifo`]).
struct PackedFifo {
    /// `None` when every bit is constant (no memory at all).
    mem: Option<MemHandle>,
    runs: Vec<Run>,
}

/// Bytes `[lo, lo + k)` of `v` (byte 0 = `v[7:0]`), those past its end zero.
fn bytes_or_zero(v: &Signal, lo: u32, k: u32) -> Signal {
    let have = (v.width() / 8).saturating_sub(lo).min(k);
    if have == 0 {
        lit(k * 8, 0)
    } else {
        v.slice(lo * 8, have * 8).zext(k * 8)
    }
}

/// The first byte of the L3 header: the untagged Ethernet header's length. `parse_l3` reads
/// the window from here (the IP header after 0, 1 or 2 VLAN tags).
const L3_MIN: u32 = 14;
/// The first byte that `ipv6_ext_step` and `parse_l4` can use: an IPv4 header of at least 20
/// bytes (IHL >= 5) after the untagged Ethernet header. An IPv6 extension header starts at
/// 54 or later. With a smaller offset (an IHL below 5, or a non-IP frame), their results are
/// discarded, so whatever those steps read there does not matter.
const L4_MIN: u32 = L3_MIN + 20;

/// `w` with its bytes below byte `n` replaced by zero. Once no later parser step reads them,
/// the stages store nothing for them ([`ModuleBuilder::split_known`] drops constant bits) and the byte
/// shifters of [`B::at`] see constants there.
fn zero_below(w: &Signal, n: u32) -> Signal {
    let n = n.min(w.width() / 8);
    if n == 0 {
        return w.clone();
    }
    let low = lit(8 * n, 0);
    if 8 * n == w.width() {
        return low;
    }
    Signal::concat(&[w.slice(8 * n, w.width() - 8 * n), low])
}

fn pow2_bits(n: u32) -> u32 {
    n.next_power_of_two().trailing_zeros()
}

fn param_err(e: crate::blocks::packet::ParamError) -> ParamError {
    match e {
        crate::blocks::packet::ParamError::Invalid { key, value, reason } => {
            ParamError::invalid(&key, value, reason)
        }
        crate::blocks::packet::ParamError::UnknownKey { key, accepted } => {
            ParamError::UnknownKey { key, accepted }
        }
    }
}

/// Builds the engine from `nicc gen`-style `key=value` settings (the keys of
/// [`PacketParams::set`]).
pub fn from_sets(sets: &[(String, String)]) -> Result<Rc<Module>, RtlError> {
    packet_engine(&PacketParams::from_sets(sets).map_err(param_err)?)
}

/// Builds the packet engine for `p` (see the module doc for the structure and ports).
pub fn packet_engine(p: &PacketParams) -> Result<Rc<Module>, RtlError> {
    p.validate().map_err(param_err)?;
    let key = parse_rss_key(&p.rss_key).map_err(|e| ParamError::invalid("rss_key", e, "hex"))?;
    let d = p.data_bytes;
    let h = p.parse_depth;
    let qb = p.queue_bits;
    let buf_depth = BUFFER_BYTES / d;
    let aw = pow2_bits(buf_depth);
    let meta_depth = p.meta_fifo_depth();
    let fw = pow2_bits(meta_depth);
    let mut b = B {
        m: ModuleBuilder::new(format!("packet_engine_d{d}")),
        depth: p.parse_depth,
    };
    let (clk, rst) = b.m.clock_domain();

    // ---------------- configuration registers ----------------
    let cfg_we = b.m.input("cfg_we", 1);
    let cfg_addr = b.m.input("cfg_addr", 16);
    let cfg_wdata = b.m.input("cfg_wdata", 32);
    let wr_at = |b: &mut B, a: u16| -> Signal {
        let n = format!("cfg_wr_{a:04x}");
        b.w(&n, &(&cfg_we & &cfg_addr.eq_lit(u64::from(a))))
    };
    let cfg_field = |b: &mut B, name: &str, a: u16, lo: u32, width: u32, reset: u64| -> Signal {
        let en = if lo == 0 {
            wr_at(b, a)
        } else {
            b.w(
                &format!("cfg_wr_{a:04x}_{lo}"),
                &(&cfg_we & &cfg_addr.eq_lit(u64::from(a))),
            )
        };
        let r =
            b.m.reg_decl(name, width, false, Some(Bits::from_u64(width, reset)));
        b.m.set_next(&r, &cfg_wdata.slice(lo, width));
        b.m.set_enable(&r, &en);
        r.sig()
    };
    let cfg_reg = |b: &mut B, name: &str, a: u16, width: u32, reset: u64| -> Signal {
        cfg_field(b, name, a, 0, width, reset)
    };
    let roce_port = cfg_reg(
        &mut b,
        "cfg_roce_port",
        addr::ROCE_PORT,
        16,
        p.roce_udp_port.into(),
    );
    let min_len = cfg_reg(&mut b, "cfg_min_len", addr::MIN_LEN, 16, p.min_len.into());
    let max_len = cfg_reg(&mut b, "cfg_max_len", addr::MAX_LEN, 16, p.max_len.into());
    let pol_reset: u64 = DropPolicies::REASONS
        .iter()
        .enumerate()
        .map(|(i, r)| u64::from(p.policies.get(r) == Some(Policy::Drop)) << i)
        .sum();
    let policy = cfg_reg(&mut b, "cfg_policy", addr::POLICY, 10, pol_reset);
    let hash_types = cfg_reg(&mut b, "cfg_hash_types", addr::HASH_TYPES, 6, 0x3F);
    let mut key_words = Vec::new();
    for k in 0..10u16 {
        let v = u32::from_be_bytes([
            key[4 * k as usize],
            key[4 * k as usize + 1],
            key[4 * k as usize + 2],
            key[4 * k as usize + 3],
        ]);
        key_words.push(cfg_reg(
            &mut b,
            &format!("cfg_rss_key_{k}"),
            addr::RSS_KEY + k,
            32,
            v.into(),
        ));
    }
    // key bit 0 (MSB of byte 0) is bit 318 of rss_key (the last key bit is never used).
    let rss_key = b.w("rss_key", &Signal::concat(&key_words).slice(1, 319));
    let mut ind = Vec::new();
    for i in 0..p.indirection_size {
        ind.push(cfg_reg(
            &mut b,
            &format!("cfg_ind_{i}"),
            addr::INDIRECTION + i as u16,
            qb,
            u64::from(i % p.rss_queues),
        ));
    }
    let ind_rev: Vec<Signal> = ind.iter().rev().cloned().collect();
    let ind_vec = b.w("ind_vec", &Signal::concat(&ind_rev));
    let mut em = Vec::new();
    for e in 0..p.em_size {
        let base = addr::EM + 16 * e as u16;
        let valid = cfg_field(&mut b, &format!("cfg_em{e}_valid"), base, 0, 1, 0);
        let kind = cfg_field(&mut b, &format!("cfg_em{e}_kind"), base, 1, 2, 0);
        let proto = cfg_field(&mut b, &format!("cfg_em{e}_proto"), base, 8, 8, 0);
        let action = cfg_field(&mut b, &format!("cfg_em{e}_action"), base, 16, 2, 0);
        let w1 = cfg_reg(&mut b, &format!("cfg_em{e}_ports"), base + 1, 32, 0);
        let value = cfg_reg(&mut b, &format!("cfg_em{e}_value"), base + 2, 32, 0);
        let qp = cfg_reg(&mut b, &format!("cfg_em{e}_qp"), base + 3, 24, 0);
        let src: Vec<Signal> = (0..4)
            .map(|k| cfg_reg(&mut b, &format!("cfg_em{e}_src{k}"), base + 4 + k, 32, 0))
            .collect();
        let dst: Vec<Signal> = (0..4)
            .map(|k| cfg_reg(&mut b, &format!("cfg_em{e}_dst{k}"), base + 8 + k, 32, 0))
            .collect();
        em.push(Em {
            valid,
            kind,
            proto,
            action,
            sport: w1.slice(16, 16),
            dport: w1.slice(0, 16),
            value,
            qp,
            src: Signal::concat(&src),
            dst: Signal::concat(&dst),
        });
    }

    // ---------------- ingress ----------------
    let s_tdata = b.m.input("s_axis_tdata", 8 * d);
    let s_tkeep = b.m.input("s_axis_tkeep", d);
    let s_tlast = b.m.input("s_axis_tlast", 1);
    let s_tuser = b.m.input("s_axis_tuser", 1);
    let s_tvalid = b.m.input("s_axis_tvalid", 1);
    let m_tready = b.m.input("m_axis_tready", 1);
    let meta_tready = b.m.input("m_axis_meta_tready", 1);

    let s_ready_q = b.m.reg_decl("s_ready_q", 1, false, Some(Bits::zero(1)));
    let fire = b.w("in_fire", &(&s_tvalid & &s_ready_q.sig()));
    let fire_last = b.w("in_fire_last", &(&fire & &s_tlast));
    // Byte count of the beat: highest set lane + 1; expected contiguous mask.
    let cases: Vec<(Signal, Signal)> = (0..d)
        .rev()
        .map(|j| (s_tkeep.bit(j), lit(8, u64::from(j + 1))))
        .collect();
    let nbytes = b.w("in_nbytes", &Signal::priority(&cases, &lit(8, 0)));
    let mcases: Vec<(Signal, Signal)> = (0..d)
        .rev()
        .map(|j| {
            let bits = Bits::from_words(d, &mask_words(j + 1));
            (s_tkeep.bit(j), Signal::constant(bits, false))
        })
        .collect();
    let contig = b.w("in_contig", &Signal::priority(&mcases, &lit(d, 0)));
    let keep_zero = b.w("in_keep_zero", &s_tkeep.eq_lit(0));
    let all_ones = Signal::constant(Bits::ones(d), false);
    let kb_beat = b.w(
        "in_keep_bad",
        &(&(&s_tkeep.ne(&contig) | &(&!&s_tlast & &s_tkeep.ne(&all_ones)))
            | &(&s_tlast & &keep_zero)),
    );
    let bidx = b.m.reg_decl("in_bidx", 16, false, Some(Bits::zero(16)));
    let len_acc = b.m.reg_decl("in_len", 16, false, Some(Bits::zero(16)));
    let kbad = b.m.reg_decl("in_kbad", 1, false, Some(Bits::zero(1)));
    let len_f = b.w("in_len_f", &len_acc.sig().add_w(&nbytes, 16));
    let kbad_f = b.w("in_kbad_f", &(&kbad.sig() | &kb_beat));
    let zero16 = lit(16, 0);
    b.m.set_next(
        &bidx,
        &s_tlast.mux(&zero16, &bidx.sig().add_w(&lit(16, 1), 16)),
    );
    b.m.set_enable(&bidx, &fire);
    b.m.set_next(&len_acc, &s_tlast.mux(&zero16, &len_f));
    b.m.set_enable(&len_acc, &fire);
    b.m.set_next(&kbad, &(&!&s_tlast & &kbad_f));
    b.m.set_enable(&kbad, &fire);
    // Header window.
    let slots = h / d;
    let mut win_parts = Vec::new();
    for k in 0..slots {
        let here = b.w(&format!("in_slot{k}_here"), &bidx.sig().eq_lit(k.into()));
        let r = b.m.reg_decl(&format!("in_slot{k}"), 8 * d, false, None);
        b.m.set_next(&r, &s_tdata);
        b.m.set_enable(&r, &(&fire & &here));
        win_parts.push(here.mux(&s_tdata, &r.sig()));
    }
    win_parts.reverse();
    let win_raw = b.w("in_win_raw", &Signal::concat(&win_parts));
    let mask_parts: Vec<Signal> = (0..h)
        .rev()
        .map(|i| len_f.gt(&lit(16, i.into())).repeat(8))
        .collect();
    let win_mask = b.w("in_win_mask", &Signal::concat(&mask_parts));
    let win0 = b.w("in_win", &(&win_raw & &win_mask));

    // Frame buffer.
    let buf = b.m.memory("frame_buf", u64::from(buf_depth), 8 * d);
    let wr_ptr =
        b.m.reg_decl("buf_wr", aw + 1, false, Some(Bits::zero(aw + 1)));
    let rd_ptr =
        b.m.reg_decl("buf_rd", aw + 1, false, Some(Bits::zero(aw + 1)));
    let buf_we = b.w("buf_we", &(&fire & &!&keep_zero));
    b.m.mem_write(buf, &buf_we, &wr_ptr.sig().slice(0, aw), &s_tdata);
    b.m.set_next(&wr_ptr, &wr_ptr.sig().add_w(&lit(aw + 1, 1), aw + 1));
    b.m.set_enable(&wr_ptr, &buf_we);

    // ---------------- parser ----------------
    let mut r = Rec::default();
    r.set("valid", fire_last.clone());
    r.set("win", win0);
    r.set("len", len_f.clone());
    let init_flags = Signal::concat(&[lit(3, 0), kbad_f.clone(), s_tuser.clone(), lit(23, 0)]);
    r.set("flags", init_flags);
    let r = b.stage("p0", &r, &[]);
    let mut r = parse_l2(&mut b, r, &min_len, &max_len);
    // From here on the window's low bytes are read by no step (`zero_below`): the stages
    // register only the bytes that a later step can still reach.
    r.set("win", zero_below(&r.get("win"), L3_MIN));
    let r = b.stage("p1", &r, &[]);
    let mut r = parse_l3(&mut b, r)?;
    r.set("win", zero_below(&r.get("win"), L4_MIN));
    let mut r = b.stage("p2", &r, &["l3_off", "l3_at18", "l3_at22"]);
    r = l3_csum_check(&mut b, r);
    for i in 0..=p.ipv6_ext_max {
        let last = i == p.ipv6_ext_max;
        r = ipv6_ext_step(&mut b, r, i, last);
        let mut drop = vec!["l3_csum_p0", "l3_csum_p1", "l3_csum_p2"];
        if last {
            drop.push("x_go");
        }
        r = b.stage(&format!("px{i}"), &r, &drop);
    }
    let r = parse_l4(&mut b, r, &roce_port);
    let r = b.stage(
        "p3",
        &r,
        &[
            "win",
            "nh",
            "l4_go",
            "claimed",
            "v6",
            "ip_sum_src",
            "ip_sum_dst",
        ],
    );
    let r = parse_roce(&mut b, r);
    let r = b.stage("p4", &r, &["l4_hdr", "uend", "roce_go", "l4_off"]);

    // ---------------- checksum pass: per-frame work list, written from p4 ----------------
    // Entry: {icrc_pos, ipv6, pseudo-header sum, L4 end, L4 start, L3 start, len}; flags:
    // {check ICRC, check L4 sum}. Both are indexed by the frame's sequence number (as the
    // metadata FIFO), so the flags are read back when the frame's results come out.
    let ps_entry = Signal::concat(&[
        r.get("ps_ipos"),
        r.get("ps_v6"),
        r.get("ps_ph"),
        r.get("ps_end"),
        r.get("l4_offset"),
        r.get("l3_offset"),
        r.get("len"),
    ]);
    let ps_flags = Signal::concat(&[r.get("ps_icrc"), r.get("ps_sum")]);
    let ps_flag_fifo = b.m.memory("pass_flags", u64::from(meta_depth), 2);
    let ps_wr =
        b.m.reg_decl("pass_wr", fw + 1, false, Some(Bits::zero(fw + 1)));
    let v4 = r.get("valid");
    let ps_wa = ps_wr.sig().slice(0, fw);
    let ps_fifo = b.packed_fifo("pass_fifo", meta_depth, &v4, &ps_wa, &ps_entry);
    b.m.mem_write(ps_flag_fifo, &v4, &ps_wr.sig().slice(0, fw), &ps_flags);
    b.m.set_next(&ps_wr, &ps_wr.sig().add_w(&lit(fw + 1, 1), fw + 1));
    b.m.set_enable(&ps_wr, &v4);

    let r = rss(&mut b, r, &hash_types, &rss_key);
    let r = b.stage(
        "p5",
        &r,
        &["ps_ipos", "ps_v6", "ps_ph", "ps_end", "ps_sum", "ps_icrc"],
    );
    let r = steer(&mut b, r, p, &ind_vec, &em, &policy);
    let names: Vec<&str> = meta_fields(p).iter().map(|f| f.0).collect();
    let extra: Vec<&str> =
        r.0.iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != "valid" && !names.contains(k))
            .filter(|k| !RECORD_ONLY.iter().any(|(n, _)| n == k))
            .collect();
    let r = b.stage("p6", &r, &extra);

    // ---------------- metadata FIFO ----------------
    // The fields decided by the checksum pass (and the verdict, which depends on them) are
    // not stored: they are joined from the result FIFOs when the record leaves.
    let fields = meta_fields(p);
    // The extension-header fields are stored as the bytes they come from (224 bits and the
    // 7-bit mask instead of 568 bits of fields) and cut when the record leaves.
    let is_ext = |n: &str| ROCE_EXT_FIELDS.iter().any(|f| f.0 == n);
    let stored: Vec<(&str, u32)> = fields
        .iter()
        .filter(|(n, _)| !LATE_FIELDS.contains(n) && !is_ext(n))
        .copied()
        .chain(RECORD_ONLY)
        .collect();
    let rec_parts: Vec<Signal> = stored
        .iter()
        .rev()
        .map(|(n, w)| {
            let s = r.get(n);
            if s.width() == *w {
                s
            } else {
                s.slice(0, *w)
            }
        })
        .collect();
    let rec = b.w("meta_rec", &Signal::concat(&rec_parts));
    let f_wr =
        b.m.reg_decl("meta_wr", fw + 1, false, Some(Bits::zero(fw + 1)));
    let f_rm =
        b.m.reg_decl("meta_rd_m", fw + 1, false, Some(Bits::zero(fw + 1)));
    let f_rd =
        b.m.reg_decl("meta_rd_d", fw + 1, false, Some(Bits::zero(fw + 1)));
    let rvalid = r.get("valid");
    let f_wa = f_wr.sig().slice(0, fw);
    let fifo = b.packed_fifo("meta_fifo", meta_depth, &rvalid, &f_wa, &rec);
    // The egress reads its own small FIFO: {queue, pass before the checksum pass, len}.
    let drec = Signal::concat(&[r.get("queue"), r.get("pass"), r.get("len")]);
    let dfifo = b.packed_fifo("egress_fifo", meta_depth, &rvalid, &f_wa, &drec);
    b.m.set_next(&f_wr, &f_wr.sig().add_w(&lit(fw + 1, 1), fw + 1));
    b.m.set_enable(&f_wr, &rvalid);
    // Frames in flight (from tlast to each consumer).
    let in_cnt =
        b.m.reg_decl("frames_in", fw + 1, false, Some(Bits::zero(fw + 1)));
    b.m.set_next(&in_cnt, &in_cnt.sig().add_w(&lit(fw + 1, 1), fw + 1));
    b.m.set_enable(&in_cnt, &fire_last);
    let fl_m = b.w("inflight_m", &in_cnt.sig().sub_w(&f_rm.sig(), fw + 1));
    let fl_d = b.w("inflight_d", &in_cnt.sig().sub_w(&f_rd.sig(), fw + 1));

    // ---------------- checksum pass: second read of each stored frame ----------------
    // One beat per cycle, frames back to back, in arrival order, into `pkt_csum` (L4 sum with
    // the pseudo-header, CHECKSUM_COMPLETE) and `pkt_icrc` (RoCEv2 ICRC). The pass runs
    // ahead of the egress (which waits for the results), so the frame is still stored.
    let lb = d.trailing_zeros();
    let ps_rd =
        b.m.reg_decl("pass_rd", fw + 1, false, Some(Bits::zero(fw + 1)));
    let ps_head = b.fifo_read(&ps_fifo, "pass_head", &ps_rd.sig().slice(0, fw));
    let ps_avail = b.w("pass_avail", &ps_rd.sig().ne(&ps_wr.sig()));
    let ph_len = ps_head.slice(0, 16);
    let ph_l3 = ps_head.slice(16, 16);
    let ph_l4 = ps_head.slice(32, 16);
    let ph_end = ps_head.slice(48, 16);
    let ph_sum = ps_head.slice(64, 24);
    let ph_v6 = ps_head.slice(88, 1);
    let ph_ipos = ps_head.slice(89, 16);
    let ps_nb = b.w("pass_nbeats", &beats_of(&ph_len, d, lb));
    let ps_beat = b.m.reg_decl("pass_beat", 16, false, Some(Bits::zero(16)));
    let ps_ptr =
        b.m.reg_decl("pass_ptr", aw + 1, false, Some(Bits::zero(aw + 1)));
    // A frame of no stored beat (0 bytes) still takes one beat (no byte enabled).
    let ps_last = b.w(
        "pass_last",
        &ps_beat.sig().add_w(&lit(16, 1), 17).ge(&ps_nb.zext(17)),
    );
    let ps_pos = b.w(
        "pass_pos",
        &Signal::concat(&[ps_beat.sig().slice(0, 16 - lb), lit(lb, 0)]),
    );
    let ps_rem = b.w("pass_rem", &ph_len.sub_w(&ps_pos, 16));
    let keep_bits: Vec<Signal> = (0..d)
        .rev()
        .map(|i| ps_rem.gt(&lit(16, i.into())))
        .collect();
    let ps_keep = b.w("pass_keep", &Signal::concat(&keep_bits));
    let ps_data = b.m.mem_read(buf, "pass_data", &ps_ptr.sig().slice(0, aw));
    b.m.set_next(
        &ps_beat,
        &ps_last.mux(&zero16, &ps_beat.sig().add_w(&lit(16, 1), 16)),
    );
    b.m.set_enable(&ps_beat, &ps_avail);
    b.m.set_next(
        &ps_ptr,
        &ps_ptr.sig().add_w(&ps_nb.ne(&zero16).zext(aw + 1), aw + 1),
    );
    b.m.set_enable(&ps_ptr, &ps_avail);
    b.m.set_next(&ps_rd, &ps_rd.sig().add_w(&lit(fw + 1, 1), fw + 1));
    b.m.set_enable(&ps_rd, &(&ps_avail & &ps_last));
    // Input flow control: buffer space behind both readers (the egress may run ahead of the
    // pass on frames that do not wait for it), frames in flight to each consumer.
    let used = b.w("buf_used", &wr_ptr.sig().sub_w(&rd_ptr.sig(), aw + 1));
    let used_p = b.w("buf_used_pass", &wr_ptr.sig().sub_w(&ps_ptr.sig(), aw + 1));
    let buf_lim = lit(aw + 1, u64::from(buf_depth - 3));
    let lim_f = lit(fw + 1, u64::from(meta_depth - 3));
    let ready_next =
        &(&(&used.le(&buf_lim) & &used_p.le(&buf_lim)) & &fl_m.le(&lim_f)) & &fl_d.le(&lim_f);
    b.m.set_next(&s_ready_q, &ready_next);
    b.m.output("s_axis_tready", &s_ready_q.sig());
    // The checksum and ICRC units are generated for what the engine drives into them
    // (`Given`): `in_pos` a multiple of D, even L3 and L4 offsets, a 22-bit pseudo-header
    // sum. They then store no bit that is constant here, as the engine's own stages do not.
    let engine = b.m.name().to_string();
    let csum_ports = [
        ("clk", &clk),
        ("rst", &rst),
        ("in_valid", &ps_avail),
        ("in_data", &ps_data),
        ("in_keep", &ps_keep),
        ("in_pos", &ps_pos),
        ("in_last", &ps_last),
        ("l4_start", &ph_l4),
        ("l4_end", &ph_end),
        ("ph_sum", &ph_sum),
    ];
    let csum_unit = pkt_csum_given(d, &b.given(format!("{engine}_csum"), &csum_ports))?;
    let cs = b.m.instance("pass_csum", &csum_unit, &csum_ports);
    let icrc_ports = [
        ("clk", &clk),
        ("rst", &rst),
        ("in_valid", &ps_avail),
        ("in_data", &ps_data),
        ("in_pos", &ps_pos),
        ("in_last", &ps_last),
        ("l3_start", &ph_l3),
        ("l4_start", &ph_l4),
        ("icrc_pos", &ph_ipos),
        ("ipv6", &ph_v6),
    ];
    let icrc_unit = pkt_icrc_given(d, &b.given(format!("{engine}_icrc"), &icrc_ports))?;
    let ic = b.m.instance("pass_icrc", &icrc_unit, &icrc_ports);
    // The checksum results and the ICRC come out in the same cycle (equal latencies).
    let cs_valid = cs.out("out_valid");
    let cs_cc = cs.out("out_complete");
    // The raw sum and CRC the units compared are not needed here: they go to a lint sink
    // (a wire whose name contains `unused`); synthesis removes what only feeds it.
    let mut spare = cs.others(&["out_valid", "out_complete", "out_l4_ok"]);
    spare.extend(ic.others(&["out_valid", "out_ok", "out_rx"]));
    b.m.wire("pass_unused_outputs", &Signal::concat(&spare));
    let cs_ok = cs.out("out_l4_ok");
    let res_we = b.w("res_we", &(&ic.out("out_valid") & &cs_valid));
    let res_wr =
        b.m.reg_decl("res_wr", fw + 1, false, Some(Bits::zero(fw + 1)));
    let res_fl =
        b.m.mem_read(ps_flag_fifo, "res_flags", &res_wr.sig().slice(0, fw));
    let need_sum = res_fl.bit(0);
    let do_icrc = res_fl.bit(1);
    let icrc_ok = &do_icrc & &ic.out("out_ok");
    let icrc_ok = b.w("res_icrc_ok", &icrc_ok);
    // res_a {icrc_bad, l4_bad} is read by both consumers; res_b by the metadata side only.
    let res_a_in = Signal::concat(&[&do_icrc & &!&icrc_ok, &need_sum & &!&cs_ok]);
    let res_b_in = Signal::concat(&[
        icrc_ok,
        do_icrc.mux(&ic.out("out_rx"), &lit(32, 0)),
        do_icrc.clone(),
        need_sum,
        cs_cc,
    ]);
    let res_a = b.m.memory("res_a_fifo", u64::from(meta_depth), 2);
    let res_b =
        b.m.memory("res_b_fifo", u64::from(meta_depth), res_b_in.width());
    b.m.mem_write(res_a, &res_we, &res_wr.sig().slice(0, fw), &res_a_in);
    b.m.mem_write(res_b, &res_we, &res_wr.sig().slice(0, fw), &res_b_in);
    b.m.set_next(&res_wr, &res_wr.sig().add_w(&lit(fw + 1, 1), fw + 1));
    b.m.set_enable(&res_wr, &res_we);

    // Metadata consumer: the stored record joined with its checksum-pass results.
    let field_at = |layout: &[(&str, u32)], rec: &Signal, name: &str| -> Signal {
        let mut lo = 0;
        for (n, w) in layout {
            if *n == name {
                return rec.slice(lo, *w);
            }
            lo += w;
        }
        panic!("no meta field {name}")
    };
    let head_m = b.fifo_read(&fifo, "meta_head_m", &f_rm.sig().slice(0, fw));
    let ra_m = b.m.mem_read(res_a, "res_a_m", &f_rm.sig().slice(0, fw));
    let rb_m = b.m.mem_read(res_b, "res_b_m", &f_rm.sig().slice(0, fw));
    let l4_bad_m = ra_m.bit(0);
    let icrc_bad_m = ra_m.bit(1);
    let flags_m = b.w(
        "meta_flags",
        &(&(&field_at(&stored, &head_m, "flags") | &l4_bad_m.zext(28).shl(fbit("l4_bad_csum")))
            | &icrc_bad_m.zext(28).shl(fbit("icrc_bad"))),
    );
    let (drop_m, reason_m) = verdict(&flags_m, &field_at(&stored, &head_m, "em_drop"), &policy);
    let l4_csum_m = rb_m.bit(16).mux(
        &Signal::concat(&[lit(1, 0), l4_bad_m]),
        &field_at(&stored, &head_m, "l4_csum"),
    );
    let ext_m = roce_ext_fields(
        &mut b,
        "meta_x",
        &field_at(&stored, &head_m, "roce_xraw"),
        &field_at(&stored, &head_m, "roce_xmask"),
    );
    let final_parts: Vec<Signal> = fields
        .iter()
        .rev()
        .map(|(n, _)| match *n {
            n if is_ext(n) => {
                let k = ROCE_EXT_FIELDS.iter().position(|f| f.0 == n).expect("ext");
                ext_m[k].clone()
            }
            "pass" => !&drop_m,
            "reason" => reason_m.clone(),
            "flags" => flags_m.clone(),
            "l4_csum" => l4_csum_m.clone(),
            "csum_complete" => rb_m.slice(0, 16),
            "roce_icrc_valid" => rb_m.bit(17),
            "roce_icrc" => rb_m.slice(18, 32),
            "roce_icrc_ok" => rb_m.bit(50),
            _ => field_at(&stored, &head_m, n),
        })
        .collect();
    let final_m = b.w("meta_final", &Signal::concat(&final_parts));
    let avail_m = b.w(
        "meta_avail_m",
        &(&f_rm.sig().ne(&f_wr.sig()) & &f_rm.sig().ne(&res_wr.sig())),
    );
    let sk_ready_m = b.m.wire_decl("meta_sk_rdy", 1);
    let pop_m = b.w("meta_pop", &(&avail_m & &sk_ready_m.sig()));
    b.m.set_next(&f_rm, &f_rm.sig().add_w(&lit(fw + 1, 1), fw + 1));
    b.m.set_enable(&f_rm, &pop_m);
    // The skid stores only the record's varying bits (fields this configuration cannot set
    // are constants in the Verilog, not flip-flops).
    let (s_ready_m, m_valid_m, mdata) =
        b.skid("meta_skid", (&clk, &rst), &final_m, &pop_m, &meta_tready)?;
    b.m.drive(&sk_ready_m, &s_ready_m);
    b.m.output("m_axis_meta_tvalid", &m_valid_m);
    let mut lo = 0;
    for (n, w) in &fields {
        b.m.output(&format!("m_axis_meta_{n}"), &mdata.slice(lo, *w));
        lo += w;
    }

    // Counters (updated as records leave the FIFO).
    let ctl_we = wr_at(&mut b, addr::CONTROL);
    let clear = b.w("cnt_clear", &(&ctl_we & &cfg_wdata.bit(0)));
    let hm_len = field_at(&fields, &final_m, "len");
    let hm_pass = field_at(&fields, &final_m, "pass");
    let hm_reason = field_at(&fields, &final_m, "reason");
    let hm_flags = field_at(&fields, &final_m, "flags");
    let mut incs: Vec<(String, Signal, Signal)> = vec![
        ("frames".into(), lit(1, 1), lit(32, 1)),
        ("bytes".into(), lit(1, 1), hm_len.zext(32)),
        ("good_packets".into(), hm_pass.clone(), lit(32, 1)),
        ("good_bytes".into(), hm_pass.clone(), hm_len.zext(32)),
    ];
    for (i, n) in REASON_NAMES.iter().enumerate() {
        let c = &!&hm_pass & &hm_reason.eq_lit(i as u64);
        incs.push((format!("drop_{n}"), c, lit(32, 1)));
    }
    for (i, n) in FLAG_NAMES.iter().enumerate() {
        incs.push((format!("flag_{n}"), hm_flags.bit(i as u32), lit(32, 1)));
    }
    let mut counters = Vec::new();
    for (n, c, v) in incs {
        let reg =
            b.m.reg_decl(&format!("cnt_{n}"), 32, false, Some(Bits::zero(32)));
        let inc = &pop_m & &c;
        let next = clear.mux(&lit(32, 0), &reg.sig().add_w(&v, 32));
        b.m.set_next(&reg, &next);
        b.m.set_enable(&reg, &(&clear | &inc));
        counters.push(reg.sig());
    }

    // Egress (data consumer).
    let head_d = b.fifo_read(&dfifo, "eg_head", &f_rd.sig().slice(0, fw));
    let ra_d = b.m.mem_read(res_a, "res_a_d", &f_rd.sig().slice(0, fw));
    // The egress waits for the checksum pass only when its result can turn the p6 verdict
    // into a drop (a passing frame with an L4 sum to check under a drop policy for l4_csum,
    // or an ICRC to check under a drop policy for icrc); other frames leave without waiting.
    let pol_at =
        |name: &str| policy.bit(REASON_NAMES.iter().position(|r| *r == name).unwrap() as u32);
    let fl_d_chk =
        b.m.mem_read(ps_flag_fifo, "eg_checks", &f_rd.sig().slice(0, fw));
    let pre_pass = head_d.bit(16);
    let waits = b.w(
        "eg_waits",
        &(&pre_pass
            & &(&(&fl_d_chk.bit(0) & &pol_at("l4_csum")) | &(&fl_d_chk.bit(1) & &pol_at("icrc")))),
    );
    // The egress may be ahead of the pass results: the result of frame f_rd is in when
    // res_wr - f_rd is positive (both stay within meta_depth of each other).
    let res_ahead = b.w("eg_res_ahead", &res_wr.sig().sub_w(&f_rd.sig(), fw + 1));
    let res_in = b.w(
        "eg_res_in",
        &(&res_ahead.ne(&lit(fw + 1, 0)) & &!&res_ahead.bit(fw)),
    );
    let avail_d = b.w(
        "meta_avail_d",
        &(&f_rd.sig().ne(&f_wr.sig()) & &(&!&waits | &res_in)),
    );
    let hd_len = b.w("eg_len", &head_d.slice(0, 16));
    // The verdict of p6 with the checksum-pass drops added.
    let hd_pass = b.w(
        "eg_pass",
        &(&pre_pass
            & &!&(&waits
                & &(&(&ra_d.bit(0) & &pol_at("l4_csum")) | &(&ra_d.bit(1) & &pol_at("icrc"))))),
    );
    let hd_queue = head_d.slice(17, qb);
    let nbeats = b.w("eg_nbeats", &beats_of(&hd_len, d, lb));
    let eb = b.m.reg_decl("eg_beat", 16, false, Some(Bits::zero(16)));
    let sk_ready_d = b.m.wire_decl("data_sk_rdy", 1);
    let streaming = b.w("eg_stream", &(&(&avail_d & &hd_pass) & &nbeats.ne(&zero16)));
    let skip = b.w("eg_skip", &(&avail_d & &!&streaming));
    let send = b.w("eg_send", &(&streaming & &sk_ready_d.sig()));
    let is_last = b.w("eg_last", &eb.sig().eq(&nbeats.sub_w(&lit(16, 1), 16)));
    let pop_d = b.w("eg_pop", &(&skip | &(&send & &is_last)));
    b.m.set_next(&f_rd, &f_rd.sig().add_w(&lit(fw + 1, 1), fw + 1));
    b.m.set_enable(&f_rd, &pop_d);
    b.m.set_next(&eb, &is_last.mux(&zero16, &eb.sig().add_w(&lit(16, 1), 16)));
    b.m.set_enable(&eb, &send);
    let rd_next = skip.mux(
        &rd_ptr.sig().add_w(&nbeats.slice(0, aw + 1), aw + 1),
        &rd_ptr.sig().add_w(&lit(aw + 1, 1), aw + 1),
    );
    b.m.set_next(&rd_ptr, &rd_next);
    b.m.set_enable(&rd_ptr, &(&skip | &send));
    let bdata = b.m.mem_read(buf, "eg_data", &rd_ptr.sig().slice(0, aw));
    // Last-beat keep: bytes = len - (nbeats - 1) * d, in 1..=d.
    let rem = b.w("eg_rem", &hd_len.slice(0, lb).zext(8));
    let kcases: Vec<(Signal, Signal)> = (1..d)
        .map(|j| {
            (
                rem.eq_lit(j.into()),
                Signal::constant(Bits::from_words(d, &mask_words(j)), false),
            )
        })
        .collect();
    let last_keep = Signal::priority(&kcases, &all_ones);
    let keep = is_last.mux(&last_keep, &all_ones);
    let out = Signal::concat(&[hd_queue.clone(), is_last.clone(), keep, bdata]);
    // (`tkeep` bit 0 is always set: a beat carries at least one byte.)
    let (s_ready_d, m_valid_d, od) = b.skid("data_skid", (&clk, &rst), &out, &send, &m_tready)?;
    b.m.drive(&sk_ready_d, &s_ready_d);
    b.m.output("m_axis_tvalid", &m_valid_d);
    b.m.output("m_axis_tdata", &od.slice(0, 8 * d));
    b.m.output("m_axis_tkeep", &od.slice(8 * d, d));
    b.m.output("m_axis_tlast", &od.slice(9 * d, 1));
    b.m.output("m_axis_tdest", &od.slice(9 * d + 1, qb));

    // Configuration read-back (registered).
    let mut rd_cases: Vec<(Signal, Signal)> = vec![
        (cfg_addr.eq_lit(addr::ROCE_PORT.into()), roce_port.zext(32)),
        (cfg_addr.eq_lit(addr::MIN_LEN.into()), min_len.zext(32)),
        (cfg_addr.eq_lit(addr::MAX_LEN.into()), max_len.zext(32)),
        (cfg_addr.eq_lit(addr::POLICY.into()), policy.zext(32)),
        (
            cfg_addr.eq_lit(addr::HASH_TYPES.into()),
            hash_types.zext(32),
        ),
    ];
    for (k, kw) in key_words.iter().enumerate() {
        rd_cases.push((
            cfg_addr.eq_lit(u64::from(addr::RSS_KEY) + k as u64),
            kw.clone(),
        ));
    }
    for (i, c) in counters.iter().enumerate() {
        rd_cases.push((
            cfg_addr.eq_lit(u64::from(addr::COUNTERS) + i as u64),
            c.clone(),
        ));
    }
    let ind_sel = cfg_addr.slice(10, 6).eq_lit(1);
    let ind_idx = cfg_addr.slice(0, 10).zext(16);
    let in_range = ind_idx.lt(&lit(16, p.indirection_size.into()));
    let ind_amt = ind_idx.mul_w(&lit(16, qb.into()), 16);
    rd_cases.push((
        &ind_sel & &in_range,
        ind_vec.shr_var(&ind_amt).slice(0, qb).zext(32),
    ));
    let rdata = Signal::priority(&rd_cases, &lit(32, 0));
    let rdata = b.m.reg("cfg_rdata_q", &rdata);
    b.m.output("cfg_rdata", &rdata);
    b.m.finish()
}

fn mask_words(n: u32) -> Vec<u32> {
    let mut w = vec![0u32; 2];
    for i in 0..n.min(64) {
        w[(i / 32) as usize] |= 1 << (i % 32);
    }
    w
}

/// Beats of `d = 2^lb` bytes a frame of `len` (16 bits) bytes occupies: `ceil(len / d)`.
fn beats_of(len: &Signal, d: u32, lb: u32) -> Signal {
    len.add_w(&lit(17, u64::from(d - 1)), 17)
        .shr(lb)
        .slice(0, 16)
}

fn parse_l2(b: &mut B, mut r: Rec, min_len: &Signal, max_len: &Signal) -> Rec {
    let w = r.get("win");
    let len = r.get("len").zext(O);
    let l16 = r.get("len");
    b.setf(&mut r, "l2_f0", "runt", &l16.lt(min_len));
    b.setf(&mut r, "l2_f1", "oversize", &l16.gt(max_len));
    let ge = |b: &mut B, n: u64| b.w(&format!("l2_ge{n}"), &len.ge(&lit(O, n)));
    let eth_ok = ge(b, 14);
    let ge18 = ge(b, 18);
    let ge22 = ge(b, 22);
    let zero48 = lit(48, 0);
    r.set("dst_mac", eth_ok.mux(&be(&w, 0, 6), &zero48));
    r.set("src_mac", eth_ok.mux(&be(&w, 6, 6), &zero48));
    let et0 = b.w("l2_et0", &be(&w, 12, 2));
    let et1 = b.w("l2_et1", &be(&w, 16, 2));
    let is_s0 = b.w("l2_is_s0", &(&eth_ok & &et0.eq_lit(0x88A8)));
    let is_c0 = b.w("l2_is_c0", &(&eth_ok & &et0.eq_lit(0x8100)));
    let vlan_s = b.w("l2_vlan_s", &(&is_s0 & &ge18));
    let c1 = b.w("l2_c1", &(&vlan_s & &et1.eq_lit(0x8100)));
    let vlan_c_a = b.w("l2_vlan_c_a", &(&c1 & &ge22));
    let vlan_c_b = b.w("l2_vlan_c_b", &(&is_c0 & &ge18));
    let vlan_c = b.w("l2_vlan_c", &(&vlan_c_a | &vlan_c_b));
    let trunc = b.w(
        "l2_trunc",
        &(&(&!&eth_ok | &(&is_s0 & &!&ge18)) | &(&(&c1 & &!&ge22) | &(&is_c0 & &!&ge18))),
    );
    let one_tag = b.w("l2_one_tag", &(&(&vlan_s & &!&c1) | &vlan_c_b));
    let et = b.w(
        "l2_et",
        &vlan_c_a.mux(&be(&w, 20, 2), &one_tag.mux(&et1, &et0)),
    );
    let off = vlan_c_a.mux(&lit(O, 22), &one_tag.mux(&lit(O, 18), &lit(O, 14)));
    let done = b.w("l2_done", &(&eth_ok & &!&trunc));
    let extra = b.w(
        "l2_extra",
        &(&done & &(&et.eq_lit(0x88A8) | &et.eq_lit(0x8100))),
    );
    b.setf(&mut r, "l2_f2", "vlan_s", &vlan_s);
    b.setf(&mut r, "l2_f3", "vlan_c", &vlan_c);
    b.setf(&mut r, "l2_f4", "trunc", &trunc);
    b.setf(&mut r, "l2_f5", "vlan_extra", &extra);
    r.set("vlan_s_tci", be(&w, 14, 2));
    r.set("vlan_c_tci", vlan_c_a.mux(&be(&w, 18, 2), &be(&w, 14, 2)));
    r.set("ethertype_valid", done.clone());
    r.set("ethertype", et);
    r.set("l3_valid", &done & &!&extra);
    r.set("l3_offset", off.slice(0, 16));
    r.set("l3_off", off);
    // The offset one-hot, registered with it: the IP header mux of `parse_l3` selects on
    // these instead of comparing the offset (the parser's longest path starts there).
    r.set("l3_at22", vlan_c_a.clone());
    r.set("l3_at18", &!&vlan_c_a & &one_tag);
    r
}

fn parse_l3(b: &mut B, mut r: Rec) -> Result<Rec, RtlError> {
    let w = r.get("win");
    let len = r.get("len").zext(O);
    let off = r.get("l3_off");
    let l3v = r.get("l3_valid");
    let et = r.get("ethertype");
    // The IP header at one of the three L2 lengths (14, 18, 22).
    let ip = b.w(
        "l3_ip",
        &r.get("l3_at22").mux(
            &bytes_or_zero(&w, 22, 60),
            &r.get("l3_at18")
                .mux(&bytes_or_zero(&w, 18, 60), &bytes_or_zero(&w, 14, 60)),
        ),
    );
    let is4 = b.w("l3_is4", &(&l3v & &et.eq_lit(0x0800)));
    let is6 = b.w("l3_is6", &(&l3v & &et.eq_lit(0x86DD)));
    let isa = b.w("l3_isa", &(&l3v & &et.eq_lit(0x0806)));
    // IPv4.
    let (ok20, tr20, _, pd20) = b.need("l3_n20", &off, &lit(O, 20), &len, &len);
    let ver = byte(&ip, 0).slice(4, 4);
    let ihl = b.w("l3_ihl", &byte(&ip, 0).slice(0, 4));
    let bad_vi = b.w(
        "l3_bad_vi",
        &(&(&is4 & &ok20) & &(&ver.ne(&lit(4, 4)) | &ihl.lt(&lit(4, 5)))),
    );
    let hl = b.w("l3_hl", &Signal::concat(&[ihl.clone(), lit(2, 0)]).zext(O));
    let (okhl, trhl, _, pdhl) = b.need("l3_nhl", &off, &hl, &len, &len);
    let s1 = b.w("l3_s1", &(&(&is4 & &ok20) & &!&bad_vi));
    let total = b.w("l3_total", &be(&ip, 2, 2));
    let bad_tot = b.w("l3_bad_tot", &(&(&s1 & &okhl) & &total.zext(O).lt(&hl)));
    let ipv4 = b.w("l3_ipv4", &(&(&s1 & &okhl) & &!&bad_tot));
    // Header checksum over IHL*4 bytes: three partial sums of 10 words each, registered with
    // the stage; `l3_csum_check` adds and folds them one stage later. Each is nicc's own
    // adder tree (Dadda carry-save reduction, Kogge-Stone final adder): Yosys maps a sum of
    // `+`s to a carry-save chain and a ripple-carry adder, which was the D = 8 engine's
    // worst path.
    let tree = crate::blocks::adder_tree::AdderTreeParams {
        inputs: 10,
        width: 16,
        signed: false,
        style: crate::blocks::adder_tree::TreeStyle::Dadda,
        final_adder: crate::blocks::adder_tree::FinalAdder::KoggeStone,
        pipeline: 0,
        out_width: Some(20),
    };
    for part in 0..3u32 {
        let name = format!("l3_csum_p{part}");
        let words: Vec<Signal> = (10 * part..10 * part + 10)
            .map(|k| {
                let inc = ihl.zext(6).gt(&lit(6, u64::from(k / 2)));
                b.w(
                    &format!("{name}_w{}", k - 10 * part),
                    &inc.mux(&be(&ip, 2 * k, 2), &lit(16, 0)),
                )
            })
            .collect();
        let sum = crate::blocks::adder_tree::build_tree(&mut b.m, &name, &words, &tree)?;
        r.set(&name, b.w(&name, &sum));
    }
    let claimed4 = b.w("l3_claimed4", &off.add_w(&total.zext(O), O));
    let fl = be(&ip, 6, 2);
    let frag4 = b.w(
        "l3_frag4",
        &(&ipv4 & &(&fl.bit(13) | &fl.slice(0, 13).ne(&lit(13, 0)))),
    );
    // IPv6.
    let (ok40, tr40, _, pd40) = b.need("l3_n40", &off, &lit(O, 40), &len, &len);
    let bad_v6 = b.w(
        "l3_bad_v6",
        &(&(&is6 & &ok40) & &byte(&ip, 0).slice(4, 4).ne(&lit(4, 6))),
    );
    let ipv6 = b.w("l3_ipv6", &(&(&is6 & &ok40) & &!&bad_v6));
    let claimed6 = b.w(
        "l3_claimed6",
        &off.add_w(&lit(O, 40), O).add_w(&be(&ip, 4, 2).zext(O), O),
    );
    // ARP.
    let (ok28, tr28, _, pd28) = b.need("l3_n28", &off, &lit(O, 28), &len, &len);
    let claimed = b.w("l3_claimed", &ipv6.mux(&claimed6, &claimed4));
    let ip_any = b.w("l3_ip_any", &(&ipv4 | &ipv6));
    let trunc = &(&(&is4 & &tr20) | &(&s1 & &trhl)) | &(&(&is6 & &tr40) | &(&isa & &tr28));
    let malf = &(&(&bad_vi | &bad_tot) | &bad_v6) | &(&ip_any & &claimed.gt(&len));
    b.setf(&mut r, "l3_f0", "trunc", &trunc);
    b.setf(&mut r, "l3_f1", "malformed", &malf);
    b.setf(&mut r, "l3_f2", "ipv4", &ipv4);
    b.setf(&mut r, "l3_f3", "ipv6", &ipv6);
    b.setf(&mut r, "l3_f4", "arp", &(&isa & &ok28));
    b.setf(&mut r, "l3_f5", "l3_opt", &(&ipv4 & &ihl.gt(&lit(4, 5))));
    b.setf(&mut r, "l3_f7", "frag", &frag4);
    let pd = &(&(&is4 & &pd20) | &(&s1 & &pdhl)) | &(&(&is6 & &pd40) | &(&isa & &pd28));
    b.setf(&mut r, "l3_f8", "parse_depth", &pd);
    let z96 = lit(96, 0);
    let src = ipv6.mux(
        &be(&ip, 8, 16),
        &Signal::concat(&[z96.clone(), be(&ip, 12, 4)]),
    );
    let dst = ipv6.mux(&be(&ip, 24, 16), &Signal::concat(&[z96, be(&ip, 16, 4)]));
    let z128 = lit(128, 0);
    r.set("src_ip", ip_any.mux(&src, &z128));
    r.set("dst_ip", ip_any.mux(&dst, &z128));
    r.set(
        "ttl",
        ipv6.mux(&byte(&ip, 7), &ipv4.mux(&byte(&ip, 8), &lit(8, 0))),
    );
    // IPv6 walk state: next header, offset, still walking.
    r.set("nh", ipv6.mux(&byte(&ip, 6), &byte(&ip, 9)));
    r.set("x_go", ipv6.clone());
    r.set(
        "l4_off",
        ipv6.mux(&off.add_w(&lit(O, 40), O), &off.add_w(&hl, O)),
    );
    r.set("claimed", claimed);
    r.set("v6", ipv6.clone());
    r.set("l4_go", &(&ipv4 & &!&frag4) | &ipv6);
    Ok(r)
}

/// The stage after `parse_l3`: the IPv4 header checksum verdict from its three partial sums
/// (added, then folded end-around twice, so any sum, however large, verifies exactly), then
/// `l3_bad_csum` and `ipv4_csum_ok` for IPv4 frames; and the sums of the source and
/// destination address words for the L4 pseudo-header (`ip_sum_src`, `ip_sum_dst`), so that
/// `parse_l4` adds four terms instead of eighteen. Splitting the sums this way keeps them off
/// the parser's longest path.
fn l3_csum_check(b: &mut B, mut r: Rec) -> Rec {
    let sum = b.w(
        "l3_csum_sum",
        &r.get("l3_csum_p0")
            .add_w(&r.get("l3_csum_p1"), 21)
            .add_w(&r.get("l3_csum_p2"), 21),
    );
    let ipv4 = flag(&r.get("flags"), "ipv4");
    for (field, addr) in [("ip_sum_src", "src_ip"), ("ip_sum_dst", "dst_ip")] {
        let a = r.get(addr);
        let words: Vec<Signal> = (0..8).map(|k| a.slice(16 * k, 16)).collect();
        let total = add_tree(&mut b.m, &format!("l3_{field}"), words).zext(20);
        let total = b.w(&format!("l3_{field}"), &total);
        r.set(field, total);
    }
    let g1 = b.w("l3_csum_f1", &sum.slice(0, 16).add_w(&sum.slice(16, 5), 17));
    let g2 = b.w(
        "l3_csum_f2",
        &g1.slice(0, 16).add_w(&g1.slice(16, 1), 17).slice(0, 16),
    );
    let csum_ok = b.w("l3_csum_ok", &g2.eq_lit(0xFFFF));
    b.setf(&mut r, "l3_f6", "l3_bad_csum", &(&ipv4 & &!&csum_ok));
    r.set("ipv4_csum_ok", &ipv4 & &csum_ok);
    r
}

/// One IPv6 extension header (iteration `i`; the last iteration only detects the limit).
fn ipv6_ext_step(b: &mut B, mut r: Rec, i: u32, last: bool) -> Rec {
    let w = r.get("win");
    let len = r.get("len").zext(O);
    let go = r.get("x_go");
    let nh = r.get("nh");
    let off = r.get("l4_off");
    let claimed = r.get("claimed");
    let p = format!("x{i}");
    let is_ext = b.w(
        &format!("{p}_is_ext"),
        &(&go
            & &(&(&(&nh.eq_lit(0) | &nh.eq_lit(43)) | &(&nh.eq_lit(44) | &nh.eq_lit(60)))
                | &nh.eq_lit(51))),
    );
    if last {
        b.setf(&mut r, &format!("{p}_f0"), "ipv6_ext_limit", &is_ext);
        r.set("l4_go", &r.get("l4_go") & &!&is_ext);
        return r;
    }
    b.setf(&mut r, &format!("{p}_f0"), "l3_opt", &is_ext);
    let e = b.at(&format!("{p}_hdr"), &w, &off, 4);
    let (ok8, tr8, mf8, pd8) = b.need(&format!("{p}_n8"), &off, &lit(O, 8), &claimed, &len);
    let e1 = byte(&e, 1).zext(O);
    let elen = nh.eq_lit(44).mux(
        &lit(O, 8),
        &nh.eq_lit(51).mux(
            &e1.add_w(&lit(O, 2), O).shl(2),
            &e1.add_w(&lit(O, 1), O).shl(3),
        ),
    );
    let elen = b.w(&format!("{p}_elen"), &elen);
    let (okl, trl, mfl, pdl) = b.need(&format!("{p}_nl"), &off, &elen, &claimed, &len);
    let s8 = b.w(&format!("{p}_s8"), &(&is_ext & &ok8));
    let acc = b.w(&format!("{p}_acc"), &(&s8 & &okl));
    let fail = &(&is_ext & &!&ok8) | &(&s8 & &!&okl);
    let tr = &(&is_ext & &tr8) | &(&s8 & &trl);
    let mf = &(&is_ext & &mf8) | &(&s8 & &mfl);
    b.setf(&mut r, &format!("{p}_f1"), "trunc", &tr);
    b.setf(&mut r, &format!("{p}_f2"), "malformed", &mf);
    let pd = &(&is_ext & &pd8) | &(&s8 & &pdl);
    b.setf(&mut r, &format!("{p}_f4"), "parse_depth", &pd);
    let frag = b.w(
        &format!("{p}_frag"),
        &(&(&acc & &nh.eq_lit(44)) & &(&be(&e, 2, 2) & &lit(16, 0xFFF9)).ne(&lit(16, 0))),
    );
    b.setf(&mut r, &format!("{p}_f3"), "frag", &frag);
    r.set("nh", acc.mux(&byte(&e, 0), &nh));
    r.set("l4_off", acc.mux(&off.add_w(&elen, O), &off));
    let stop = &fail | &frag;
    r.set("x_go", &go & &!&stop);
    r.set("l4_go", &r.get("l4_go") & &!&stop);
    r
}

fn parse_l4(b: &mut B, mut r: Rec, roce_port: &Signal) -> Rec {
    let w = r.get("win");
    let len = r.get("len").zext(O);
    let go = r.get("l4_go");
    let l4 = r.get("l4_off");
    let claimed = r.get("claimed");
    let proto = r.get("nh");
    let v6 = r.get("v6");
    let flags = r.get("flags");
    let ip_any = &flag(&flags, "ipv4") | &flag(&flags, "ipv6");
    r.set("protocol", ip_any.mux(&proto, &lit(8, 0)));
    let e = b.at("l4_hdr", &w, &l4, 48);
    // Reserved bits no field reads, named as such for the lint: TCP's 4 below the data
    // offset (byte 12) and, as a BTH after the UDP header, its resv7 (byte 16).
    b.w(
        "l4_hdr_reserved_unused",
        &Signal::concat(&[e.slice(128, 7), e.slice(96, 4)]),
    );
    r.set("l4_valid", go.clone());
    r.set("l4_offset", l4.slice(0, 16));
    // UDP.
    let is_udp = b.w("l4_is_udp", &(&go & &proto.eq_lit(17)));
    let (ok8, tr8, mf8, pd8) = b.need("l4_n8", &l4, &lit(O, 8), &claimed, &len);
    let udp = b.w("l4_udp", &(&is_udp & &ok8));
    let ulen = b.w("l4_ulen", &be(&e, 4, 2).zext(O));
    let uend = b.w("l4_uend", &l4.add_w(&ulen, O));
    let bad_len = b.w(
        "l4_bad_len",
        &(&udp & &(&ulen.lt(&lit(O, 8)) | &uend.gt(&claimed))),
    );
    let udp_ok = b.w("l4_udp_ok", &(&udp & &!&bad_len));
    let ucs_zero = be(&e, 6, 2).eq_lit(0);
    let in_frame = b.w("l4_u_in", &(&udp_ok & &uend.le(&len)));
    // l4_csum: 0 ok, 1 bad, 2 zero, 3 na. Only the header-decidable cases here.
    let ucs = (&in_frame & &ucs_zero).mux(&v6.mux(&lit(2, 1), &lit(2, 2)), &lit(2, 3));
    let sport = be(&e, 0, 2);
    let dport = be(&e, 2, 2);
    r.set("roce_go", &udp_ok & &dport.eq(roce_port));
    r.set("uend", uend.clone());
    // TCP.
    let is_tcp = b.w("l4_is_tcp", &(&go & &proto.eq_lit(6)));
    let (ok20, tr20, mf20, pd20) = b.need("l4_n20", &l4, &lit(O, 20), &claimed, &len);
    let tcp = b.w("l4_tcp", &(&is_tcp & &ok20));
    let doff = b.w("l4_doff", &byte(&e, 12).slice(4, 4));
    let doff_bad = b.w("l4_doff_bad", &(&tcp & &doff.lt(&lit(4, 5))));
    let thl = b.w(
        "l4_thl",
        &Signal::concat(&[doff.clone(), lit(2, 0)]).zext(O),
    );
    let (okt, trt, mft, pdt) = b.need("l4_nt", &l4, &thl, &claimed, &len);
    let t1 = b.w("l4_t1", &(&tcp & &!&doff_bad));
    let tcp_done = b.w("l4_tcp_done", &(&t1 & &okt));
    // ICMP.
    let is_icmp = b.w(
        "l4_is_icmp",
        &(&go & &v6.mux(&proto.eq_lit(58), &proto.eq_lit(1))),
    );
    let icmp = b.w("l4_icmp", &(&is_icmp & &ok8));
    let trunc = &(&(&(&is_udp | &is_icmp) & &tr8) | &(&is_tcp & &tr20)) | &(&t1 & &trt);
    let malf = &(&(&(&is_udp | &is_icmp) & &mf8) | &(&is_tcp & &mf20))
        | &(&(&t1 & &mft) | &(&bad_len | &doff_bad));
    b.setf(&mut r, "l4_f0", "trunc", &trunc);
    b.setf(&mut r, "l4_f1", "malformed", &malf);
    b.setf(&mut r, "l4_f2", "udp", &udp);
    b.setf(&mut r, "l4_f3", "tcp", &tcp);
    b.setf(&mut r, "l4_f4", "icmp", &icmp);
    b.setf(&mut r, "l4_f5", "l4_bad_len", &bad_len);
    b.setf(&mut r, "l4_f6", "l4_opt", &(&tcp & &doff.gt(&lit(4, 5))));
    b.setf(
        &mut r,
        "l4_f7",
        "l4_bad_csum",
        &(&in_frame & &(&ucs_zero & &v6)),
    );
    let pd = &(&(&(&is_udp | &is_icmp) & &pd8) | &(&is_tcp & &pd20)) | &(&t1 & &pdt);
    b.setf(&mut r, "l4_f8", "parse_depth", &pd);
    r.set("l4_csum", ucs);
    // The checksum pass (a second read of the stored frame) sums [l4, end) plus the
    // pseudo-header when the datagram is all in the frame and the result is not decided by
    // the header alone: UDP with a non-zero checksum field over [l4, l4 + UDP length), TCP
    // over [l4, IP claimed end).
    let tcp_in = b.w("l4_t_in", &(&tcp_done & &claimed.le(&len)));
    let need_sum = b.w("l4_need_sum", &(&(&in_frame & &!&ucs_zero) | &tcp_in));
    // Pseudo-header: protocol, L4 length and the address words (summed a stage earlier). The
    // L4 length is the UDP length field or, for TCP, the IP payload's length after the L4
    // offset. Both sums are formed and `udp` (which waits for the header-length checks)
    // selects between them, so the adders do not wait for it; the TCP one adds `claimed -
    // l4` in the same 24-bit sum (one carry chain, not a subtraction and then an addition).
    // It is read only when the TCP header fits before `claimed`, so `claimed - l4` is then
    // 20..=65535 and needs no 16-bit wrap, and the sum fits in the 22 bits the UDP one
    // needs (the slice keeps the pipeline from storing the 2 bits a wrap could set).
    let ph_base = proto
        .zext(24)
        .add_w(&r.get("ip_sum_src").zext(24), 24)
        .add_w(&r.get("ip_sum_dst").zext(24), 24);
    let ph_base = b.w("l4_ph_base", &ph_base);
    let ph_udp = ph_base.add_w(&ulen.slice(0, 16).zext(24), 24);
    let ph_ip = ph_base
        .add_w(&claimed.zext(24), 24)
        .sub_w(&l4.zext(24), 24)
        .slice(0, 22)
        .zext(24);
    let ph = udp.mux(&b.w("l4_ph_udp", &ph_udp), &b.w("l4_ph_ip", &ph_ip));
    r.set("ps_ph", b.w("l4_ph_sum", &ph));
    r.set("ps_end", udp.mux(&uend, &claimed).slice(0, 16));
    r.set("ps_sum", need_sum);
    r.set("ps_v6", v6.clone());
    let ports = &udp | &tcp;
    r.set("src_port", ports.mux(&sport, &lit(16, 0)));
    r.set("dst_port", ports.mux(&dport, &lit(16, 0)));
    let pay = udp.mux(
        &l4.add_w(&lit(O, 8), O),
        &tcp_done.mux(&l4.add_w(&thl, O), &l4.add_w(&lit(O, 8), O)),
    );
    r.set("payload_valid", &(&udp | &tcp_done) | &icmp);
    r.set("payload_offset", pay.slice(0, 16));
    // The BTH's reserved bits (resv6 in its byte 4, resv7 in its byte 8) are read by no
    // field: they travel as zeros, which the pipeline records do not store.
    let h = e.slice(64, 40 * 8);
    r.set(
        "l4_hdr",
        Signal::concat(&[
            h.slice(71, 249),
            lit(7, 0),
            h.slice(38, 26),
            lit(6, 0),
            h.slice(0, 32),
        ]),
    );
    r
}

/// Bytes of extension headers a record carries (after the 8-byte UDP and 12-byte BTH
/// headers, the rest of the 48-byte L4 window).
const ROCE_XRAW_BYTES: u32 = 28;

/// Sizes in bytes of the extension headers of [`roce_ext_mask`]'s bits 0..6: DETH, RETH,
/// AtomicETH, AETH, AtomicAckETH, ImmDt, IETH.
const ROCE_EXT_SIZES: [u64; 7] = [8, 16, 28, 4, 8, 4, 4];

/// Names of the extension headers of [`roce_ext_mask`]'s bits 0..6 (the wires holding their
/// bytes).
const ROCE_EXT_NAMES: [&str; 7] = [
    "deth",
    "reth",
    "atomiceth",
    "aeth",
    "atomicacketh",
    "immdt",
    "ieth",
];

/// The extension-header fields of the metadata: (name, header bit of the mask, first byte
/// in the header, bytes).
const ROCE_EXT_FIELDS: [(&str, usize, u32, u32); 14] = [
    ("roce_deth_q_key", 0, 0, 4),
    ("roce_deth_src_qp", 0, 5, 3),
    ("roce_reth_va", 1, 0, 8),
    ("roce_reth_r_key", 1, 8, 4),
    ("roce_reth_dma_len", 1, 12, 4),
    ("roce_atomic_va", 2, 0, 8),
    ("roce_atomic_r_key", 2, 8, 4),
    ("roce_atomic_swap_add", 2, 12, 8),
    ("roce_atomic_compare", 2, 20, 8),
    ("roce_aeth_syndrome", 3, 0, 1),
    ("roce_aeth_msn", 3, 1, 3),
    ("roce_atomic_ack", 4, 0, 8),
    ("roce_imm", 5, 0, 4),
    ("roce_ieth", 6, 0, 4),
];

/// Bytes of the extension headers an opcode's mask (from [`roce_ext_mask`]) names.
fn ext_len_of(mask: u8) -> u64 {
    ROCE_EXT_SIZES
        .iter()
        .enumerate()
        .filter(|&(k, _)| mask >> k & 1 == 1)
        .map(|(_, s)| s)
        .sum()
}

/// Bits that hold the extension-header length of every opcode and every header's size (the
/// longest, 28 bytes: 5).
fn ext_len_bits() -> u32 {
    let max = (0..=255u8)
        .filter_map(roce_ext_mask)
        .map(ext_len_of)
        .chain(ROCE_EXT_SIZES)
        .max()
        .unwrap_or(0);
    u64::BITS - max.leading_zeros()
}

/// Byte offsets of the extension headers in the order of the mask's bits, each after the
/// present ones before it, one per mask bit and one more: with all seven bits, element 7 is
/// the headers' total length; with the first six, element 6 is the offset of the last
/// header (IETH), which is all the fields need.
///
/// `mask` must be an entry of the opcode table: every offset is then at most the longest
/// total, so the sums are [`ext_len_bits`] wide. (Wider sums have upper bits that are zero for
/// every entry, but no analysis short of evaluating the table sees it: Yosys found them only
/// after bit-blasting, one pipeline register per `opt` round.)
fn ext_offsets(mask: &Signal) -> Vec<Signal> {
    let w = ext_len_bits();
    let mut acc = lit(w, 0);
    let mut offs = Vec::new();
    for (k, s) in ROCE_EXT_SIZES
        .iter()
        .enumerate()
        .take(mask.width() as usize)
    {
        offs.push(acc.clone());
        acc = acc + mask.bit(k as u32).mux(&lit(w, *s), &lit(w, 0));
    }
    offs.push(acc);
    offs
}

/// The fields of [`ROCE_EXT_FIELDS`] cut from `xraw` (the bytes after the BTH) as the
/// opcode's extension mask `xmask` (its first six bits) places the headers, as wires
/// `{prefix}_{field}`.
fn roce_ext_fields(b: &mut B, prefix: &str, xraw: &Signal, xmask: &Signal) -> Vec<Signal> {
    let offs = ext_offsets(xmask);
    let offs: Vec<Signal> = (0..7)
        .map(|k| b.w(&format!("{prefix}_o{k}"), &offs[k]))
        .collect();
    // Each header's bytes, shifted into place once (as far as its last field reaches), with
    // the bytes no field reads (DETH's reserved byte) named as such for the lint.
    let hdrs: Vec<Option<Signal>> = ROCE_EXT_NAMES
        .iter()
        .enumerate()
        .map(|(k, hname)| {
            let fields: Vec<_> = ROCE_EXT_FIELDS.iter().filter(|f| f.1 == k).collect();
            let end = fields.iter().map(|f| f.2 + f.3).max()?;
            let amt = Signal::concat(&[offs[k].clone(), lit(3, 0)]);
            let v = xraw.shr_var(&amt.zext(11)).slice(0, end * 8);
            let v = b.w(&format!("{prefix}_{hname}_bytes"), &v);
            let unread: Vec<Signal> = (0..end)
                .rev()
                .filter(|&i| !fields.iter().any(|f| (f.2..f.2 + f.3).contains(&i)))
                .map(|i| byte(&v, i))
                .collect();
            if !unread.is_empty() {
                b.w(
                    &format!("{prefix}_{hname}_reserved_unused"),
                    &Signal::concat(&unread),
                );
            }
            Some(v)
        })
        .collect();
    ROCE_EXT_FIELDS
        .iter()
        .map(|&(name, k, at, n)| {
            let short = name.strip_prefix("roce_").unwrap_or(name);
            let h = hdrs[k].as_ref().expect("a field's header has fields");
            b.w(&format!("{prefix}_{short}"), &be(h, at, n))
        })
        .collect()
}

fn parse_roce(b: &mut B, mut r: Rec) -> Rec {
    let e = Signal::concat(&[r.get("l4_hdr"), lit(64, 0)]);
    let len = r.get("len").zext(O);
    let l4 = r.get("l4_off");
    let end = r.get("uend");
    let go = r.get("roce_go");
    let bth = b.w("rc_bth", &l4.add_w(&lit(O, 8), O));
    let (ok12, tr12, mf12, pd12) = b.need("rc_n12", &bth, &lit(O, 12), &end, &len);
    let roce = b.w("rc_roce", &(&go & &ok12));
    let opcode = byte(&e, 8);
    let b1 = byte(&e, 9);
    let b4 = byte(&e, 12);
    let tver = b1.slice(0, 4);
    // Opcode table as a 256 x 8 ROM: bit 7 = unknown, bits 6..0 = extension mask.
    let mut words = vec![0u32; 64];
    for op in 0..=255u8 {
        let v = roce_ext_mask(op).map_or(0x80u32, u32::from);
        words[op as usize / 4] |= v << (8 * (op as usize % 4));
    }
    let rom = Signal::constant(Bits::from_words(2048, &words), false);
    let amt = Signal::concat(&[opcode.clone(), lit(3, 0)]);
    let ent = b.w("rc_ext_ent", &rom.shr_var(&amt).slice(0, 8));
    let unknown = ent.bit(7);
    let mask = b.w("rc_mask", &ent.slice(0, 7));
    let elen = b.w("rc_elen", &ext_offsets(&mask)[7]);
    let e0 = b.w("rc_e0", &l4.add_w(&lit(O, 20), O));
    let lim = b.w("rc_lim", &end.sub_w(&lit(O, 4), O));
    let (okx, trx, mfx, pdx) = b.need("rc_nx", &e0, &elen.zext(O), &lim, &len);
    let ext_ok = b.w("rc_ext_ok", &(&roce & &okx));
    // The extension headers' bytes and the opcode's mask travel as they are; the fields are
    // cut from them when the record leaves the metadata FIFO (`roce_ext_fields`).
    r.set(
        "roce_xraw",
        b.w("rc_x", &e.slice(20 * 8, ROCE_XRAW_BYTES * 8)),
    );
    r.set("roce_xmask", mask.slice(0, 6));
    let pad = b1.slice(4, 2);
    // payload = (end - l4) - 24 - elen - pad (negative: malformed).
    let sub = lit(O, 24).add_w(&elen.zext(O), O).add_w(&pad.zext(O), O);
    let ulen = end.sub_w(&l4, O);
    let neg = b.w("rc_neg", &ulen.lt(&sub));
    let pl = ulen.sub_w(&sub, O);
    let past = b.w("rc_past", &end.gt(&len));
    b.setf(&mut r, "rc_f0", "rocev2", &roce);
    b.setf(
        &mut r,
        "rc_f1",
        "roce_bad_tver",
        &(&roce & &tver.ne(&lit(4, 0))),
    );
    b.setf(&mut r, "rc_f2", "roce_unknown_op", &(&roce & &unknown));
    let trunc = &(&go & &tr12) | &(&(&roce & &trx) | &(&ext_ok & &past));
    let malf = &(&go & &mf12) | &(&(&roce & &mfx) | &(&ext_ok & &neg));
    b.setf(&mut r, "rc_f3", "trunc", &trunc);
    b.setf(&mut r, "rc_f4", "malformed", &malf);
    b.setf(
        &mut r,
        "rc_f5",
        "parse_depth",
        &(&(&go & &pd12) | &(&roce & &pdx)),
    );
    let z = |n: u32| lit(n, 0);
    let on = |s: &Signal| roce.mux(s, &z(s.width()));
    r.set("roce_opcode", on(&opcode));
    r.set("roce_se", on(&b1.bit(7)));
    r.set("roce_m", on(&b1.bit(6)));
    r.set("roce_pad_cnt", on(&pad));
    r.set("roce_tver", on(&tver));
    r.set("roce_p_key", on(&be(&e, 10, 2)));
    r.set("roce_fecn", on(&b4.bit(7)));
    r.set("roce_becn", on(&b4.bit(6)));
    r.set("roce_dest_qp", on(&be(&e, 13, 3)));
    r.set("roce_ack_req", on(&byte(&e, 16).bit(7)));
    r.set("roce_psn", on(&be(&e, 17, 3)));
    r.set("roce_ext_len", on(&elen.zext(8)));
    r.set("roce_ext_ok", ext_ok.clone());
    r.set("roce_ext_mask", ext_ok.mux(&mask, &z(7)));
    r.set(
        "roce_payload_len",
        (&ext_ok & &!&neg).mux(&pl.slice(0, 16), &z(16)),
    );
    // The ICRC is checked by the checksum pass when the whole datagram is in the frame.
    r.set("ps_icrc", &ext_ok & &!&past);
    r.set("ps_ipos", end.sub_w(&lit(O, 4), O).slice(0, 16));
    let pv = r.get("payload_valid");
    let po = r.get("payload_offset");
    r.set("payload_valid", &pv | &ext_ok);
    r.set(
        "payload_offset",
        ext_ok.mux(&e0.add_w(&elen.zext(O), O).slice(0, 16), &po),
    );
    r
}

fn rss(b: &mut B, mut r: Rec, ht: &Signal, key: &Signal) -> Rec {
    let f = r.get("flags");
    let (v4, v6) = (flag(&f, "ipv4"), flag(&f, "ipv6"));
    let (tcp, udp) = (flag(&f, "tcp"), flag(&f, "udp"));
    // rss_type: 0 none, 1 ipv4, 2 ipv4_tcp, 3 ipv4_udp, 4 ipv6, 5 ipv6_tcp, 6 ipv6_udp.
    let t4 = Signal::priority(
        &[
            (&tcp & &ht.bit(1), lit(3, 2)),
            (&udp & &ht.bit(2), lit(3, 3)),
            (ht.bit(0), lit(3, 1)),
        ],
        &lit(3, 0),
    );
    let t6 = Signal::priority(
        &[
            (&tcp & &ht.bit(4), lit(3, 5)),
            (&udp & &ht.bit(5), lit(3, 6)),
            (ht.bit(3), lit(3, 4)),
        ],
        &lit(3, 0),
    );
    let ty = b.w("rss_type", &v4.mux(&t4, &v6.mux(&t6, &lit(3, 0))));
    let ports = b.w(
        "rss_ports",
        &(&(&ty.eq_lit(2) | &ty.eq_lit(3)) | &(&ty.eq_lit(5) | &ty.eq_lit(6))),
    );
    let src = r.get("src_ip");
    let dst = r.get("dst_ip");
    let pp = Signal::concat(&[r.get("src_port"), r.get("dst_port")]);
    let pp = ports.mux(&pp, &lit(32, 0));
    // 36-byte input, first byte in the top bits.
    let in4 = Signal::concat(&[src.slice(0, 32), dst.slice(0, 32), pp.clone(), lit(192, 0)]);
    let in6 = Signal::concat(&[src, dst, pp]);
    let input = b.w(
        "rss_in",
        &ty.eq_lit(0).mux(&lit(288, 0), &v6.mux(&in6, &in4)),
    );
    let mut hash = lit(32, 0);
    for i in 0..288u32 {
        let bit = input.bit(287 - i);
        let window = key.slice(319 - 32 - i, 32);
        hash = hash ^ bit.repeat(32) & window;
    }
    let hash = b.w("rss_hash", &hash);
    r.set("rss_hash", hash);
    r.set("rss_type", ty);
    r
}

fn steer(b: &mut B, mut r: Rec, p: &PacketParams, ind: &Signal, em: &[Em], policy: &Signal) -> Rec {
    let qb = p.queue_bits;
    let hash = r.get("rss_hash");
    let n = p.indirection_size;
    let idx = if n == 1 {
        lit(16, 0)
    } else {
        hash.slice(0, n.trailing_zeros()).zext(16)
    };
    let amt = idx.mul_w(&lit(16, qb.into()), 20);
    let rss_q = b.w("st_rss_q", &ind.shr_var(&amt).slice(0, qb));
    let f = r.get("flags");
    let (v4, v6, roce) = (flag(&f, "ipv4"), flag(&f, "ipv6"), flag(&f, "rocev2"));
    let src = r.get("src_ip");
    let dst = r.get("dst_ip");
    let proto = r.get("protocol");
    let sp = r.get("src_port");
    let dp = r.get("dst_port");
    let qp = r.get("roce_dest_qp");
    let mut hits = Vec::new();
    for (i, e) in em.iter().enumerate() {
        let tuple = &(&(&e.src.eq(&src) & &e.dst.eq(&dst)) & &e.proto.eq(&proto))
            & &(&e.sport.eq(&sp) & &e.dport.eq(&dp));
        let h = &e.valid
            & &Signal::priority(
                &[
                    (e.kind.eq_lit(0), &v4 & &tuple),
                    (e.kind.eq_lit(1), &v6 & &tuple),
                    (e.kind.eq_lit(2), &roce & &e.qp.eq(&qp)),
                ],
                &lit(1, 0),
            );
        let h = b.w(&format!("st_em{i}_hit"), &h);
        hits.push((h, i, e.action.clone(), e.value.clone()));
    }
    let cases = |sel: &dyn Fn(&EmHit) -> Signal, w: u32| {
        let c: Vec<(Signal, Signal)> = hits.iter().map(|h| (h.0.clone(), sel(h))).collect();
        Signal::priority(&c, &lit(w, 0))
    };
    let em_drop = if hits.is_empty() {
        // No exact-match table (em_size = 0): RSS steers every frame, nothing is marked.
        r.set("queue", rss_q);
        r.set("em_index", lit(8, 0));
        r.set("mark_valid", lit(1, 0));
        r.set("mark", lit(32, 0));
        lit(1, 0)
    } else {
        let any = hits.iter().fold(lit(1, 0), |a, h| &a | &h.0);
        let any = b.w("st_em_any", &any);
        // One entry: its index is always 0 (a named wire would be left unread). More: the
        // index in as many bits as the entries need.
        let idx = if hits.len() > 1 {
            let ib = usize::BITS - (hits.len() - 1).leading_zeros();
            b.w("st_em_idx", &cases(&|h| lit(ib, h.1 as u64), ib))
                .zext(8)
        } else {
            lit(8, 0)
        };
        let act = b.w("st_em_act", &cases(&|h| h.2.clone(), 2));
        let val = b.w("st_em_val", &cases(&|h| h.3.clone(), 32));
        let em_queue = &any & &act.eq_lit(0);
        let em_drop = b.w("st_em_drop", &(&any & &act.eq_lit(1)));
        let mark = &any & &act.eq_lit(2);
        r.set("queue", em_queue.mux(&val.slice(0, qb), &rss_q));
        r.set("em_index", any.mux(&idx, &lit(8, 0)));
        r.set("mark_valid", mark.clone());
        r.set("mark", mark.mux(&val, &lit(32, 0)));
        b.setf(&mut r, "st_f0", "em_hit", &any);
        em_drop
    };
    // Verdict before the checksum pass (the egress completes it with the pass results; the
    // reason is decided when the record leaves the metadata FIFO).
    let f = r.get("flags");
    let (any_drop, _) = verdict(&f, &em_drop, policy);
    let any_drop = b.w("st_any_drop", &any_drop);
    r.set("pass", !&any_drop);
    r.set("em_drop", em_drop);
    r
}

/// Drop decision `(drop, reason)`: the first reason of [`REASON_NAMES`] whose flag is set
/// and whose policy bit says drop, else `em` when the exact-match entry drops.
fn verdict(flags: &Signal, em_drop: &Signal, policy: &Signal) -> (Signal, Signal) {
    let mut cs = Vec::new();
    for (i, fl) in REASON_FLAG.iter().enumerate() {
        cs.push((&flag(flags, fl) & &policy.bit(i as u32), lit(4, i as u64)));
    }
    cs.push((em_drop.clone(), lit(4, 10)));
    let any = cs.iter().fold(lit(1, 0), |a, c| &a | &c.0);
    (any, Signal::priority(&cs, &lit(4, 0)))
}

/// A two-entry skid buffer for a valid/ready stream whose payload (all sideband fields packed)
/// is `width` bits. `s_ready` is a register output (no combinational ready-to-ready path), one
/// transfer per cycle at full rate, one cycle latency. Ports: `s_data`, `s_valid`, `s_ready`,
/// `m_data`, `m_valid`, `m_ready`, plus `clk`/`rst`.
pub fn skid_buffer(width: u32) -> Result<Rc<Module>, RtlError> {
    if width == 0 {
        return Err(ParamError::invalid("width", width, "a payload of at least 1 bit").into());
    }
    let mut m = ModuleBuilder::new(format!("packet_skid_w{width}"));
    m.clock_domain();
    let s_data = m.input("s_data", width);
    let s_valid = m.input("s_valid", 1);
    let m_ready = m.input("m_ready", 1);

    let out_valid = m.reg_decl("out_valid", 1, false, Some(crate::bits::Bits::zero(1)));
    let out_data = m.reg_decl("out_data", width, false, None);
    let skid_valid = m.reg_decl("skid_valid", 1, false, Some(crate::bits::Bits::zero(1)));
    let skid_data = m.reg_decl("skid_data", width, false, None);

    let s_ready = m.wire("s_ready_int", &!&skid_valid.sig());
    let accept = m.wire("accept", &(&s_valid & &s_ready));
    // The output register may take a new value when it is empty or being consumed.
    let load_out = m.wire("load_out", &(&!&out_valid.sig() | &m_ready));

    let out_valid_next = load_out.mux(&(&skid_valid.sig() | &accept), &out_valid.sig());
    m.set_next(&out_valid, &out_valid_next);
    let out_data_next = skid_valid.sig().mux(&skid_data.sig(), &s_data);
    m.set_next(&out_data, &out_data_next);
    m.set_enable(&out_data, &load_out);

    // A beat accepted while the output register is stalled goes to the skid register.
    let to_skid = m.wire("to_skid", &(&accept & &!&load_out));
    let skid_valid_next = load_out.mux(&Signal::lit(1, 0), &(&skid_valid.sig() | &to_skid));
    m.set_next(&skid_valid, &skid_valid_next);
    m.set_next(&skid_data, &s_data);
    m.set_enable(&skid_data, &to_skid);

    m.output("s_ready", &s_ready);
    m.output("m_valid", &out_valid.sig());
    m.output("m_data", &out_data.sig());
    m.finish()
}
