//! The packet engine builds at both data widths, has the documented ports, lints clean, and
//! stores no constant bit in a flip-flop or FIFO word.

mod common;

use nicc_rtl::blocks::packet::PacketParams;
use nicc_rtl::blocks::packet_engine::{meta_fields, packet_engine};

#[test]
fn packet_engine_ports_and_lint() {
    // Both widths with the FIFO depth sized from the beat (8 and 32), the narrow engine
    // with the largest depth one can ask for and a one-entry exact-match table, and with the
    // smallest header window, no extension-header stage but the limit's and no exact-match
    // table.
    for (db, meta_depth, depth, ext, em_size) in [
        (8u32, None, 192u32, 4u32, 2u32),
        (64, None, 192, 4, 2),
        (8, Some(128), 192, 4, 1),
        (8, None, 64, 0, 0),
    ] {
        let p = PacketParams {
            data_bytes: db,
            em_size,
            indirection_size: 16,
            meta_depth,
            parse_depth: depth,
            ipv6_ext_max: ext,
            ..PacketParams::default()
        };
        let m = packet_engine(&p).expect("build");
        let d = nicc_rtl::emit(&m).expect("emit");
        let names: Vec<&str> = d.ports.iter().map(|p| p.name.as_str()).collect();
        for (f, _) in meta_fields(&p) {
            let n = format!("m_axis_meta_{f}");
            assert!(names.contains(&n.as_str()), "missing {n}");
        }
        for n in [
            "s_axis_tready",
            "m_axis_tdest",
            "cfg_rdata",
            "m_axis_meta_tvalid",
        ] {
            assert!(names.contains(&n), "missing {n}");
        }
        common::verilator_lint(&d).expect("verilator lint");
    }
}

#[test]
fn packet_engine_rejects_bad_params() {
    let p = PacketParams {
        data_bytes: 24,
        ..PacketParams::default()
    };
    let e = packet_engine(&p).unwrap_err().to_string();
    assert!(e.contains("data_bytes"), "{e}");
}

/// No register and no memory word of the engine, and none of its instances (the two skid
/// buffers, the checksum and ICRC units) as the engine drives them, holds a bit that is the
/// same constant in every state (the known-bits analysis of its next value or write data,
/// [`stored_constants`]): the generator leaves those out, where Yosys would remove them one
/// pipeline stage per `opt` pass. The units are generated for what the engine drives into
/// them (`packet_units::Given`: even L3 and L4 offsets, `in_pos` a multiple of D, a 22-bit
/// pseudo-header sum); the generic units store such bits as the engine drives them.
#[test]
fn packet_engine_registers_no_constant_bits() {
    for db in [8u32, 64] {
        let p = PacketParams {
            data_bytes: db,
            em_size: 2,
            indirection_size: 16,
            ..PacketParams::default()
        };
        let m = packet_engine(&p).expect("build");
        let mut bad = stored_constants(&m, "", &[]);
        let names: Vec<&str> = m.insts.iter().map(|i| i.module.name.as_str()).collect();
        let skids = names
            .iter()
            .filter(|n| n.starts_with("packet_skid_"))
            .count();
        assert_eq!(
            skids, 2,
            "the metadata and the data skid buffers: {names:?}"
        );
        for unit in ["csum", "icrc"] {
            let want = format!("packet_engine_d{db}_{unit}");
            assert!(names.contains(&want.as_str()), "{want} in {names:?}");
        }
        assert_eq!(names.len(), 4, "{names:?}");
        for inst in &m.insts {
            let given = nicc_rtl::known::instance_inputs(&m, inst);
            bad.extend(stored_constants(
                &inst.module,
                &format!("{}.", inst.name),
                &given,
            ));
        }
        assert!(
            bad.is_empty(),
            "data_bytes {db}: constant bits stored in {bad:?}"
        );
    }
}

/// The header window's stages register only the bytes a later parser step can read: all
/// `parse_depth` bytes at p0, from byte 14 (the L3 header) at p1, and from byte 34 (the
/// smallest L4 offset) at p2 and the extension-header stages.
#[test]
fn packet_engine_window_stages_hold_only_readable_bytes() {
    for (depth, ext) in [(192u32, 4u32), (64, 1)] {
        let p = PacketParams {
            parse_depth: depth,
            ipv6_ext_max: ext,
            em_size: 2,
            indirection_size: 16,
            ..PacketParams::default()
        };
        let m = packet_engine(&p).expect("build");
        let width = |name: &str| reg_width(&m, name);
        let mut expect = vec![("p0_win".to_string(), depth), ("p1_win".into(), depth - 14)];
        expect.push(("p2_win".into(), depth - 34));
        for i in 0..=ext {
            expect.push((format!("px{i}_win"), depth - 34));
        }
        for (name, bytes) in expect {
            assert_eq!(width(&name), 8 * bytes, "parse_depth {depth}: {name}");
        }
        assert!(
            !m.regs.iter().any(|r| m.nets[r.net].name == "p3_win"),
            "parse_depth {depth}: the window goes no further than the extension-header stages"
        );
    }
}

/// The RoCEv2 extension-header length of every opcode is a multiple of 4 and at most 28 bytes
/// (the AtomicETH), so its pipeline registers hold bits 2 to 4 only. Bits 5 to 7 are zero for
/// every opcode, but only evaluating the opcode table shows it: when they were registered,
/// Yosys removed them one pipeline stage per `opt` round after bit-blasting (five more rounds
/// of about 6 s each on the `nicc run` engine).
#[test]
fn packet_engine_roce_extension_length_registers_hold_bits_2_to_4() {
    let longest = (0..=255u8)
        .filter_map(nicc_rtl::blocks::packet_engine::roce_ext_mask)
        .map(|m| {
            [8u32, 16, 28, 4, 8, 4, 4]
                .iter()
                .enumerate()
                .filter(|&(k, _)| m >> k & 1 == 1)
                .map(|(_, s)| s)
                .sum::<u32>()
        })
        .max();
    assert_eq!(longest, Some(28));
    let p = PacketParams {
        em_size: 2,
        indirection_size: 16,
        ..PacketParams::default()
    };
    let m = packet_engine(&p).expect("build");
    for stage in ["p4", "p5", "p6"] {
        let name = format!("{stage}_roce_ext_len");
        assert_eq!(reg_width(&m, &name), 3, "{name}");
    }
}

/// The width of register `name` of `m` (a panic naming it when there is none).
fn reg_width(m: &nicc_rtl::Module, name: &str) -> u32 {
    let r = m
        .regs
        .iter()
        .find(|r| m.nets[r.net].name == name)
        .unwrap_or_else(|| panic!("{}: no register {name}", m.name));
    m.nets[r.net].width
}

/// The registers (and memories) of `m` that store a bit which is the same constant in every
/// state, its input ports known as `given` says: the bit of the next value is known and the
/// register has no reset or resets to that same value (an enable does not matter: the
/// register only ever loads that value). Named `{prefix}{register}[bit]`.
fn stored_constants(
    m: &nicc_rtl::ir::Module,
    prefix: &str,
    given: &[(nicc_rtl::ir::NetId, nicc_rtl::known::KnownBits)],
) -> Vec<String> {
    use nicc_rtl::known::of_expr_given;
    let mut bad = Vec::new();
    for r in &m.regs {
        let kb = of_expr_given(m, r.next.as_ref().expect("next"), given);
        for i in 0..kb.width() {
            let Some(c) = kb.bit(i) else { continue };
            if r.reset.as_ref().is_none_or(|(_, v)| v.bit(i) == c) {
                bad.push(format!("{prefix}{}[{i}]", m.nets[r.net].name));
            }
        }
    }
    for mem in &m.mems {
        for w in &mem.writes {
            if !of_expr_given(m, &w.data, given).none_known() {
                bad.push(format!("{prefix}memory {}", mem.name));
            }
        }
    }
    bad
}
