//! The Verilated packet engine driven from Rust: AXI-Stream driver and monitors with random
//! back-pressure on every stream, the configuration port, and decoding of the metadata bus
//! into [`Meta`] so that RTL and golden model are compared field by field.
//!
//! Driver contract (the golden model's [`Frame`]): bytes in `tdata[7:0]` first, `tkeep`
//! contiguous and all ones except on `tlast`; [`TkeepFault::Zero`] adds a final `tlast` beat
//! with `tkeep` = 0; [`TkeepFault::Gap`] clears lane 0 of the final beat (a final beat of one
//! byte uses the `Zero` form). A frame of zero bytes can only be sent as one `tkeep` = 0 beat,
//! so [`deliverable`] turns it into a `Zero` fault for both models.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nicc_rtl::blocks::packet::PacketParams;
use nicc_rtl::blocks::packet_engine::{addr, max_frame_bytes, meta_fields, packet_engine};
use nicc_rtl::{emit, Bits, Design};
use nicc_sim::{BuildOptions, Model, Port, SimError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thiserror::Error;

use super::config::{EmAction, EmKey, PacketConfig};
use super::meta::{
    Aeth, AtomicEth, Counters, Deth, DropReason, Flag, FlagSet, Frame, L4Csum, Meta, Reth, Roce,
    RssType, TkeepFault, Verdict,
};

/// Why the RTL run failed.
#[derive(Debug, Error)]
pub enum RtlError {
    /// Generating the Verilog failed.
    #[error("generating the packet engine failed: {0}")]
    Gen(#[from] nicc_rtl::RtlError),
    /// Verilator build, load or port access failed.
    #[error("simulation: {0}")]
    Sim(#[from] SimError),
    /// A frame is longer than the frame buffer.
    #[error("frame {index} has {len} bytes; the engine's frame buffer holds at most {max}")]
    FrameTooLong {
        /// Frame number.
        index: usize,
        /// Its length.
        len: usize,
        /// Largest supported frame.
        max: u32,
    },
    /// The engine stopped producing output.
    #[error("the engine made no progress for {cycles} cycles after {metas} of {frames} metadata records (deadlock)")]
    Stalled {
        /// Idle cycles.
        cycles: u64,
        /// Records received.
        metas: usize,
        /// Frames sent.
        frames: usize,
    },
}

/// A frame as it must be delivered on AXI-Stream (see the module doc).
pub fn deliverable(f: &Frame) -> Frame {
    let mut f = f.clone();
    if f.bytes.is_empty() {
        f.tkeep_error = TkeepFault::Zero;
    }
    f
}

/// One AXI-Stream beat: data bytes (length = data_bytes), keep mask, last, user.
#[derive(Debug, Clone)]
struct Beat {
    data: Vec<u8>,
    keep: u64,
    last: bool,
    user: bool,
}

fn beats(f: &Frame, db: usize) -> Vec<Beat> {
    let mut out = Vec::new();
    let n = f.bytes.len();
    let chunks: Vec<&[u8]> = f.bytes.chunks(db).collect();
    let zero_form = f.tkeep_error == TkeepFault::Zero
        || (f.tkeep_error == TkeepFault::Gap && n % db == 1)
        || n == 0;
    for (i, c) in chunks.iter().enumerate() {
        let mut data = c.to_vec();
        data.resize(db, 0);
        let keep = if c.len() == 64 {
            u64::MAX
        } else {
            (1u64 << c.len()) - 1
        };
        let last = i + 1 == chunks.len() && !zero_form;
        let keep = if last && f.tkeep_error == TkeepFault::Gap {
            keep & !1
        } else {
            keep
        };
        out.push(Beat {
            data,
            keep,
            last,
            user: last && f.bad,
        });
    }
    if zero_form {
        out.push(Beat {
            data: vec![0; db],
            keep: 0,
            last: true,
            user: f.bad,
        });
    }
    out
}

struct Ports {
    s_tdata: Port,
    s_tkeep: Port,
    s_tlast: Port,
    s_tuser: Port,
    s_tvalid: Port,
    s_tready: Port,
    m_tready: Port,
    m_tvalid: Port,
    m_tdata: Port,
    m_tkeep: Port,
    m_tlast: Port,
    m_tdest: Port,
    meta_tready: Port,
    meta_tvalid: Port,
    cfg_we: Port,
    cfg_addr: Port,
    cfg_wdata: Port,
    cfg_rdata: Port,
    meta: Vec<(&'static str, Port)>,
}

/// The result of running frames through the RTL.
#[derive(Debug, Clone, Default)]
pub struct RtlRun {
    /// One decoded record per input frame, in order (`index` counts from 0 in each run).
    pub metas: Vec<Meta>,
    /// Frames that came out of `m_axis`, with their `tdest`.
    pub passed: Vec<(Vec<u8>, u16)>,
    /// Clock cycles of the run.
    pub cycles: u64,
    /// Input beats accepted.
    pub beats_in: u64,
}

/// What [`RtlEngine::check`] found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The RTL run.
    pub run: RtlRun,
    /// Mismatches (frame index and field, or the counters); empty when RTL and golden agree.
    pub problems: Vec<String>,
}

/// A Verilated packet engine.
pub struct RtlEngine {
    model: Model,
    ports: Ports,
    params: PacketParams,
    frames_done: u64,
}

impl std::fmt::Debug for RtlEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RtlEngine(data_bytes={})", self.params.data_bytes)
    }
}

impl RtlEngine {
    /// Generates, verilates (cached by content) and resets the engine for `p`.
    pub fn new(p: &PacketParams) -> Result<Self, RtlError> {
        Self::built_with(p, &BuildOptions::default())
    }

    /// [`RtlEngine::new`] with build options (e.g. [`nicc_sim::CxxOpt::O3`] for long runs).
    pub fn built_with(p: &PacketParams, opts: &BuildOptions) -> Result<Self, RtlError> {
        let m = packet_engine(p)?;
        let d = emit(&m)?;
        Self::from_model(Model::build_with(&d, opts, None)?, p)
    }

    /// Verilates `d`, the engine generated for `p`, and resets it.
    pub fn from_design(d: &Design, p: &PacketParams) -> Result<Self, RtlError> {
        Self::from_model(Model::build(d)?, p)
    }

    /// Wraps `model`, a model of the engine generated for `p` (e.g. a traced build), and
    /// resets it.
    pub fn from_model(model: Model, p: &PacketParams) -> Result<Self, RtlError> {
        let port = |n: &str| model.port(n);
        let mut meta = Vec::new();
        for (n, _) in meta_fields(p) {
            meta.push((n, port(&format!("m_axis_meta_{n}"))?));
        }
        let ports = Ports {
            s_tdata: port("s_axis_tdata")?,
            s_tkeep: port("s_axis_tkeep")?,
            s_tlast: port("s_axis_tlast")?,
            s_tuser: port("s_axis_tuser")?,
            s_tvalid: port("s_axis_tvalid")?,
            s_tready: port("s_axis_tready")?,
            m_tready: port("m_axis_tready")?,
            m_tvalid: port("m_axis_tvalid")?,
            m_tdata: port("m_axis_tdata")?,
            m_tkeep: port("m_axis_tkeep")?,
            m_tlast: port("m_axis_tlast")?,
            m_tdest: port("m_axis_tdest")?,
            meta_tready: port("m_axis_meta_tready")?,
            meta_tvalid: port("m_axis_meta_tvalid")?,
            cfg_we: port("cfg_we")?,
            cfg_addr: port("cfg_addr")?,
            cfg_wdata: port("cfg_wdata")?,
            cfg_rdata: port("cfg_rdata")?,
            meta,
        };
        let mut e = RtlEngine {
            model,
            ports,
            params: p.clone(),
            frames_done: 0,
        };
        e.reset()?;
        Ok(e)
    }

    /// Resets the engine (configuration back to the parameters' reset values).
    pub fn reset(&mut self) -> Result<(), RtlError> {
        let p = &self.ports;
        for q in [
            p.s_tvalid,
            p.s_tlast,
            p.s_tuser,
            p.s_tkeep,
            p.m_tready,
            p.meta_tready,
            p.cfg_we,
        ] {
            self.model.set_u64(q, 0)?;
        }
        self.model.reset(2)?;
        self.frames_done = 0;
        Ok(())
    }

    /// The parameters the engine was built with.
    pub fn params(&self) -> &PacketParams {
        &self.params
    }

    /// Writes one configuration word.
    pub fn write(&mut self, a: u16, v: u32) -> Result<(), RtlError> {
        let p = &self.ports;
        let (we, ad, wd) = (p.cfg_we, p.cfg_addr, p.cfg_wdata);
        self.model.set_u64(we, 1)?;
        self.model.set_u64(ad, a.into())?;
        self.model.set_u64(wd, v.into())?;
        self.model.step()?;
        self.model.set_u64(we, 0)?;
        Ok(())
    }

    /// Reads one configuration word.
    pub fn read(&mut self, a: u16) -> Result<u32, RtlError> {
        let (ad, rd) = (self.ports.cfg_addr, self.ports.cfg_rdata);
        self.model.set_u64(ad, a.into())?;
        self.model.step()?;
        Ok(self.model.get_u64(rd) as u32)
    }

    /// Writes every run-time setting of `cfg` through the configuration port.
    pub fn configure(&mut self, cfg: &PacketConfig) -> Result<(), RtlError> {
        self.write(addr::ROCE_PORT, cfg.roce_udp_port.into())?;
        self.write(addr::MIN_LEN, cfg.min_len.min(0xFFFF))?;
        self.write(addr::MAX_LEN, cfg.max_len.min(0xFFFF))?;
        let mut pol = 0u32;
        for (i, r) in DropReason::ALL.iter().enumerate().take(10) {
            if cfg.policies.get(r.name()) == Some(nicc_rtl::blocks::packet::Policy::Drop) {
                pol |= 1 << i;
            }
        }
        self.write(addr::POLICY, pol)?;
        let h = &cfg.hash_types;
        let ht = [
            h.ipv4, h.ipv4_tcp, h.ipv4_udp, h.ipv6, h.ipv6_tcp, h.ipv6_udp,
        ]
        .iter()
        .enumerate()
        .map(|(i, b)| u32::from(*b) << i)
        .sum();
        self.write(addr::HASH_TYPES, ht)?;
        for k in 0..10 {
            let w = u32::from_be_bytes([
                cfg.rss_key[4 * k],
                cfg.rss_key[4 * k + 1],
                cfg.rss_key[4 * k + 2],
                cfg.rss_key[4 * k + 3],
            ]);
            self.write(addr::RSS_KEY + k as u16, w)?;
        }
        for (i, q) in cfg.indirection.iter().enumerate() {
            self.write(addr::INDIRECTION + i as u16, (*q).into())?;
        }
        for e in 0..self.params.em_size as usize {
            let base = addr::EM + 16 * e as u16;
            let Some(entry) = cfg.em.get(e) else {
                self.write(base, 0)?;
                continue;
            };
            let (act, val) = match entry.action {
                EmAction::Queue(q) => (0u32, u32::from(q)),
                EmAction::Drop => (1, 0),
                EmAction::Mark(m) => (2, m),
            };
            let ip_words = |a: IpAddr| -> [u32; 4] {
                let b = match a {
                    IpAddr::V4(a) => a.to_ipv6_compatible().octets(),
                    IpAddr::V6(a) => a.octets(),
                };
                let mut w = [0u32; 4];
                for (k, x) in w.iter_mut().enumerate() {
                    *x = u32::from_be_bytes([b[4 * k], b[4 * k + 1], b[4 * k + 2], b[4 * k + 3]]);
                }
                w
            };
            let (kind, proto, ports, qp, src, dst) = match entry.key {
                EmKey::FiveTuple {
                    src,
                    dst,
                    protocol,
                    src_port,
                    dst_port,
                } => (
                    u32::from(src.is_ipv6()),
                    u32::from(protocol),
                    (u32::from(src_port) << 16) | u32::from(dst_port),
                    0,
                    ip_words(src),
                    ip_words(dst),
                ),
                EmKey::RoceQp(qp) => (2, 0, 0, qp, [0; 4], [0; 4]),
            };
            self.write(base + 1, ports)?;
            self.write(base + 2, val)?;
            self.write(base + 3, qp)?;
            for k in 0..4 {
                self.write(base + 4 + k as u16, src[k])?;
                self.write(base + 8 + k as u16, dst[k])?;
            }
            self.write(base, 1 | (kind << 1) | (proto << 8) | (act << 16))?;
        }
        Ok(())
    }

    /// Reads the counters (32-bit, wrapping) in the layout of [`Counters`].
    pub fn counters(&mut self) -> Result<Counters, RtlError> {
        let mut c = Counters::default();
        let base = addr::COUNTERS;
        c.frames = self.read(base)?.into();
        c.bytes = self.read(base + 1)?.into();
        c.good_packets = self.read(base + 2)?.into();
        c.good_bytes = self.read(base + 3)?.into();
        for i in 0..DropReason::COUNT {
            c.drops[i] = self.read(base + 4 + i as u16)?.into();
        }
        for i in 0..Flag::COUNT {
            c.flags[i] = self
                .read(base + 4 + DropReason::COUNT as u16 + i as u16)?
                .into();
        }
        Ok(c)
    }

    /// Clears the counters.
    pub fn clear_counters(&mut self) -> Result<(), RtlError> {
        self.write(addr::CONTROL, 1)
    }

    /// Configures the engine with `cfg`, clears its counters and runs `frames` (sent as
    /// [`deliverable`] makes them) under `backpressure` from `seed`; then compares every
    /// record and passed frame ([`compare`]) and the counters with the golden model over the
    /// same frames. [`Checked::problems`] lists at most `limit` mismatches (empty = all equal).
    pub fn check(
        &mut self,
        cfg: &PacketConfig,
        frames: &[Frame],
        backpressure: f64,
        seed: u64,
        limit: usize,
    ) -> Result<Checked, RtlError> {
        let frames: Vec<Frame> = frames.iter().map(deliverable).collect();
        self.configure(cfg)?;
        self.clear_counters()?;
        let (golden, counters) = super::run_frames(cfg, &frames);
        let run = self.run(&frames, backpressure, seed)?;
        let mut problems = compare(&frames, &golden, &run, limit);
        let expect = wrap32(&counters);
        let got = self.counters()?;
        if got != expect && problems.len() < limit {
            problems.push(format!("counters: rtl {got:?}, golden {expect:?}"));
        }
        Ok(Checked { run, problems })
    }

    /// Runs `frames` through the engine. Each stream stalls with probability `backpressure`
    /// per cycle (input `tvalid` low, `m_axis_tready` and `m_axis_meta_tready` low), from
    /// `seed`. Frames are sent as [`deliverable`] makes them.
    pub fn run(
        &mut self,
        frames: &[Frame],
        backpressure: f64,
        seed: u64,
    ) -> Result<RtlRun, RtlError> {
        let db = self.params.data_bytes as usize;
        let max = max_frame_bytes(&self.params);
        for (i, f) in frames.iter().enumerate() {
            if f.bytes.len() > max as usize {
                return Err(RtlError::FrameTooLong {
                    index: i,
                    len: f.bytes.len(),
                    max,
                });
            }
        }
        let bp = backpressure.clamp(0.0, 0.95);
        self.frames_done = 0;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let p = &self.ports;
        let (s_tdata, s_tkeep, s_tlast, s_tuser, s_tvalid, s_tready) = (
            p.s_tdata, p.s_tkeep, p.s_tlast, p.s_tuser, p.s_tvalid, p.s_tready,
        );
        let (m_tready, m_tvalid, m_tdata, m_tkeep, m_tlast, m_tdest) = (
            p.m_tready, p.m_tvalid, p.m_tdata, p.m_tkeep, p.m_tlast, p.m_tdest,
        );
        let (meta_tready, meta_tvalid) = (p.meta_tready, p.meta_tvalid);
        let meta_ports = p.meta.clone();
        let mut out = RtlRun::default();
        let mut fi = 0usize;
        let mut cur: Vec<Beat> = Vec::new();
        let mut bi = 0usize;
        let mut words = vec![0u32; db / 4];
        let mut owords = vec![0u32; db / 4];
        let mut obuf: Vec<u8> = Vec::new();
        let mut idle = 0u64;
        let mut want_pass = 0usize;
        loop {
            if bi >= cur.len() && fi < frames.len() {
                cur = beats(&deliverable(&frames[fi]), db);
                bi = 0;
                fi += 1;
            }
            let have = bi < cur.len();
            let valid = have && !rng.gen_bool(bp);
            if have {
                let b = &cur[bi];
                for (k, w) in words.iter_mut().enumerate() {
                    *w = u32::from_le_bytes([
                        b.data[4 * k],
                        b.data[4 * k + 1],
                        b.data[4 * k + 2],
                        b.data[4 * k + 3],
                    ]);
                }
                self.model.set_words(s_tdata, &words)?;
                self.model
                    .set(s_tkeep, &Bits::from_u64(db as u32, b.keep))?;
                self.model.set_u64(s_tlast, b.last.into())?;
                self.model.set_u64(s_tuser, b.user.into())?;
            }
            self.model.set_u64(s_tvalid, valid.into())?;
            let mr = !rng.gen_bool(bp);
            let metar = !rng.gen_bool(bp);
            self.model.set_u64(m_tready, mr.into())?;
            self.model.set_u64(meta_tready, metar.into())?;
            self.model.eval();
            let mut progress = false;
            if valid && self.model.get_u64(s_tready) == 1 {
                bi += 1;
                out.beats_in += 1;
                progress = true;
            }
            if mr && self.model.get_u64(m_tvalid) == 1 {
                self.model.get_words(m_tdata, &mut owords);
                let keep = self.model.get(m_tkeep).to_u64().unwrap_or(0);
                for k in 0..db {
                    if keep >> k & 1 == 1 {
                        obuf.push((owords[k / 4] >> (8 * (k % 4))) as u8);
                    }
                }
                if self.model.get_u64(m_tlast) == 1 {
                    let dest = self.model.get_u64(m_tdest) as u16;
                    out.passed.push((std::mem::take(&mut obuf), dest));
                }
                progress = true;
            }
            if metar && self.model.get_u64(meta_tvalid) == 1 {
                let mut vals = Vec::with_capacity(meta_ports.len());
                for (n, port) in &meta_ports {
                    vals.push((*n, self.model.get(*port)));
                }
                let m = decode(&vals, self.frames_done);
                self.frames_done += 1;
                if m.verdict == Verdict::Pass {
                    want_pass += 1;
                }
                out.metas.push(m);
                progress = true;
            }
            self.model.step()?;
            out.cycles += 1;
            if out.metas.len() == frames.len()
                && out.passed.len() >= want_pass
                && fi == frames.len()
                && bi >= cur.len()
            {
                break;
            }
            idle = if progress { 0 } else { idle + 1 };
            if idle > 10_000 {
                return Err(RtlError::Stalled {
                    cycles: idle,
                    metas: out.metas.len(),
                    frames: frames.len(),
                });
            }
        }
        self.model.set_u64(s_tvalid, 0)?;
        Ok(out)
    }
}

fn be_bytes<const N: usize>(b: &Bits) -> [u8; N] {
    let mut out = [0u8; N];
    let words = b.words();
    for (i, o) in out.iter_mut().enumerate() {
        let bit = 8 * (N - 1 - i);
        *o = (words[bit / 32] >> (bit % 32)) as u8;
    }
    out
}

/// Decodes one metadata record (port values by field name) into a [`Meta`] with `index`.
pub fn decode(vals: &[(&str, Bits)], index: u64) -> Meta {
    let get = |n: &str| -> &Bits {
        &vals
            .iter()
            .find(|(k, _)| *k == n)
            .unwrap_or_else(|| panic!("metadata field {n} missing"))
            .1
    };
    let u = |n: &str| get(n).to_u64().unwrap_or(0);
    let flags = FlagSet(u("flags") as u32);
    let has = |f: Flag| flags.has(f);
    let ip = |n: &str| -> Option<IpAddr> {
        if has(Flag::Ipv4) {
            Some(IpAddr::V4(Ipv4Addr::from(get(n).words()[0])))
        } else if has(Flag::Ipv6) {
            Some(IpAddr::V6(Ipv6Addr::from(be_bytes::<16>(get(n)))))
        } else {
            None
        }
    };
    let some = |c: bool, v: u64| if c { Some(v) } else { None };
    let ip_any = has(Flag::Ipv4) || has(Flag::Ipv6);
    let ports = has(Flag::Tcp) || has(Flag::Udp);
    let verdict = if u("pass") == 1 {
        Verdict::Pass
    } else {
        Verdict::Drop(DropReason::ALL[(u("reason") as usize).min(DropReason::COUNT - 1)])
    };
    let roce = if has(Flag::Rocev2) {
        let mask = u("roce_ext_mask");
        let bit = |k: u32| mask >> k & 1 == 1;
        Some(Roce {
            opcode: u("roce_opcode") as u8,
            se: u("roce_se") == 1,
            m: u("roce_m") == 1,
            pad_cnt: u("roce_pad_cnt") as u8,
            tver: u("roce_tver") as u8,
            p_key: u("roce_p_key") as u16,
            fecn: u("roce_fecn") == 1,
            becn: u("roce_becn") == 1,
            dest_qp: u("roce_dest_qp") as u32,
            ack_req: u("roce_ack_req") == 1,
            psn: u("roce_psn") as u32,
            ext_len: u("roce_ext_len") as u8,
            ext_ok: u("roce_ext_ok") == 1,
            deth: bit(0).then(|| Deth {
                q_key: u("roce_deth_q_key") as u32,
                src_qp: u("roce_deth_src_qp") as u32,
            }),
            reth: bit(1).then(|| Reth {
                va: u("roce_reth_va"),
                r_key: u("roce_reth_r_key") as u32,
                dma_len: u("roce_reth_dma_len") as u32,
            }),
            atomic: bit(2).then(|| AtomicEth {
                va: u("roce_atomic_va"),
                r_key: u("roce_atomic_r_key") as u32,
                swap_add: u("roce_atomic_swap_add"),
                compare: u("roce_atomic_compare"),
            }),
            aeth: bit(3).then(|| Aeth {
                syndrome: u("roce_aeth_syndrome") as u8,
                msn: u("roce_aeth_msn") as u32,
            }),
            atomic_ack: bit(4).then(|| u("roce_atomic_ack")),
            imm: bit(5).then(|| u("roce_imm") as u32),
            ieth: bit(6).then(|| u("roce_ieth") as u32),
            payload_len: u("roce_payload_len") as u16,
            icrc: (u("roce_icrc_valid") == 1).then(|| u("roce_icrc") as u32),
            icrc_ok: (u("roce_icrc_valid") == 1).then(|| u("roce_icrc_ok") == 1),
        })
    } else {
        None
    };
    Meta {
        index,
        len: u("len") as u32,
        verdict,
        flags,
        queue: u("queue") as u16,
        rss_hash: u("rss_hash") as u32,
        rss_type: RssType::ALL[(u("rss_type") as usize).min(RssType::COUNT - 1)],
        em_index: some(has(Flag::EmHit), u("em_index")).map(|v| v as u16),
        mark: some(u("mark_valid") == 1, u("mark")).map(|v| v as u32),
        dst_mac: be_bytes::<6>(get("dst_mac")),
        src_mac: be_bytes::<6>(get("src_mac")),
        vlan_s_tci: some(has(Flag::VlanS), u("vlan_s_tci")).map(|v| v as u16),
        vlan_c_tci: some(has(Flag::VlanC), u("vlan_c_tci")).map(|v| v as u16),
        ethertype: some(u("ethertype_valid") == 1, u("ethertype")).map(|v| v as u16),
        l3_offset: some(u("l3_valid") == 1, u("l3_offset")).map(|v| v as u16),
        l4_offset: some(u("l4_valid") == 1, u("l4_offset")).map(|v| v as u16),
        payload_offset: some(u("payload_valid") == 1, u("payload_offset")).map(|v| v as u16),
        src_ip: ip("src_ip"),
        dst_ip: ip("dst_ip"),
        protocol: some(ip_any, u("protocol")).map(|v| v as u8),
        ttl: some(ip_any, u("ttl")).map(|v| v as u8),
        src_port: some(ports, u("src_port")).map(|v| v as u16),
        dst_port: some(ports, u("dst_port")).map(|v| v as u16),
        ipv4_csum_ok: has(Flag::Ipv4).then(|| u("ipv4_csum_ok") == 1),
        l4_csum: L4Csum::ALL[u("l4_csum") as usize & 3],
        csum_complete: u("csum_complete") as u16,
        roce,
    }
}

/// Counters reduced to the 32-bit wrapping width of the RTL counters.
pub fn wrap32(c: &Counters) -> Counters {
    let w = |v: u64| v & 0xFFFF_FFFF;
    let mut o = c.clone();
    o.frames = w(o.frames);
    o.bytes = w(o.bytes);
    o.good_packets = w(o.good_packets);
    o.good_bytes = w(o.good_bytes);
    o.drops.iter_mut().for_each(|x| *x = w(*x));
    o.flags.iter_mut().for_each(|x| *x = w(*x));
    o
}

/// Compares an RTL run with the golden model over the same frames: each record field by
/// field (every field of the record) and the passed frames byte for byte with `tdest`.
/// Returns one line per mismatch (frame index and field), at most `limit`.
pub fn compare(frames: &[Frame], golden: &[Meta], run: &RtlRun, limit: usize) -> Vec<String> {
    let mut errs = Vec::new();
    if run.metas.len() != golden.len() {
        errs.push(format!(
            "{} metadata records for {} frames",
            run.metas.len(),
            golden.len()
        ));
    }
    let mut expect_pass = Vec::new();
    for (i, (g, r)) in golden.iter().zip(&run.metas).enumerate() {
        if g.verdict == Verdict::Pass {
            expect_pass.push((i, g.queue));
        }
        if g != r && errs.len() < limit {
            let fields = g.diff(r);
            let ja = g.to_json();
            let jb = r.to_json();
            let detail: Vec<String> = fields
                .iter()
                .take(4)
                .map(|f| {
                    let k = f.split('.').next().unwrap_or(f);
                    format!("{f}: golden {} rtl {}", ja[k], jb[k])
                })
                .collect();
            errs.push(format!(
                "frame {i} ({} bytes): fields differ: {}",
                frames[i].bytes.len(),
                detail.join("; ")
            ));
        }
    }
    if run.passed.len() != expect_pass.len() {
        errs.push(format!(
            "{} frames on m_axis, {} expected",
            run.passed.len(),
            expect_pass.len()
        ));
    }
    for ((i, q), (bytes, dest)) in expect_pass.iter().zip(&run.passed) {
        if errs.len() >= limit {
            break;
        }
        if *bytes != frames[*i].bytes {
            errs.push(format!(
                "frame {i}: m_axis bytes differ ({} out, {} in)",
                bytes.len(),
                frames[*i].bytes.len()
            ));
        } else if dest != q {
            errs.push(format!("frame {i}: tdest {dest}, queue {q}"));
        }
    }
    errs
}
