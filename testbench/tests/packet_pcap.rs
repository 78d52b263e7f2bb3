//! pcap/pcapng reading and writing of frames, and the errors for bad captures.

use std::borrow::Cow;
use std::time::Duration;

use nicc_testbench::packet::golden::process;
use nicc_testbench::packet::pcap::{
    frames_from_bytes, read_frames, write_frames, write_frames_to, CaptureError,
};
use nicc_testbench::packet::stimulus;
use nicc_testbench::packet::{PacketConfig, Verdict};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;

fn sample() -> Vec<Vec<u8>> {
    stimulus::random_frames(9, 200)
        .into_iter()
        .map(|f| f.bytes)
        .collect()
}

#[test]
fn pcap_round_trip_and_passed_frames() {
    let dir = std::env::temp_dir().join(format!("nicc-packet-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let frames = sample();
    let path = dir.join("in.pcap");
    write_frames(&path, frames.iter().map(|f| f.as_slice())).unwrap();
    let back = read_frames(&path).unwrap();
    assert_eq!(back.len(), frames.len());
    for (a, b) in back.iter().zip(&frames) {
        assert_eq!(&a.bytes, b);
        assert!(!a.bad);
    }
    // write only the passed frames, read them again
    let cfg = PacketConfig::default();
    let passed: Vec<&[u8]> = back
        .iter()
        .filter(|f| process(&cfg, f).verdict == Verdict::Pass)
        .map(|f| f.bytes.as_slice())
        .collect();
    assert!(!passed.is_empty() && passed.len() < frames.len());
    let out = dir.join("passed.pcap");
    write_frames(&out, passed.iter().copied()).unwrap();
    assert_eq!(read_frames(&out).unwrap().len(), passed.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pcapng_is_read() {
    let frames = sample();
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    w.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0xFFFF,
        options: vec![],
    })
    .unwrap();
    for f in &frames {
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_micros(1),
            original_len: f.len() as u32,
            data: Cow::Borrowed(f),
            options: vec![],
        })
        .unwrap();
    }
    let data = w.into_inner();
    let back = frames_from_bytes(&data, "mem.pcapng").unwrap();
    assert_eq!(
        back.iter().map(|f| f.bytes.clone()).collect::<Vec<_>>(),
        frames
    );
    // truncated pcapng
    let err = frames_from_bytes(&data[..data.len() - 5], "cut.pcapng").unwrap_err();
    assert!(
        matches!(err, CaptureError::Truncated { frames: 199, .. }),
        "{err}"
    );
    let err = frames_from_bytes(&data[..12], "cut.pcapng").unwrap_err();
    assert!(
        matches!(err, CaptureError::HeaderTruncated { len: 12, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("inside its pcapng section header block"),
        "{err}"
    );
}

/// A packet block whose interface its section never described has no link type: an error,
/// not frames taken as Ethernet.
#[test]
fn pcapng_packets_need_a_described_interface() {
    let frame = &sample()[0];
    let mut w = PcapNgWriter::new(Vec::new()).unwrap();
    let shb_len = w.get_ref().len();
    w.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0xFFFF,
        options: vec![],
    })
    .unwrap();
    let idb_end = w.get_ref().len();
    w.write_pcapng_block(EnhancedPacketBlock {
        interface_id: 0,
        timestamp: Duration::from_micros(1),
        original_len: frame.len() as u32,
        data: Cow::Borrowed(frame),
        options: vec![],
    })
    .unwrap();
    let data = w.into_inner();
    assert_eq!(frames_from_bytes(&data, "ok.pcapng").unwrap().len(), 1);
    // Without the interface description block.
    let no_idb = [&data[..shb_len], &data[idb_end..]].concat();
    let e = frames_from_bytes(&no_idb, "no_idb.pcapng").unwrap_err();
    assert!(
        matches!(e, CaptureError::UnknownInterface { interface: 0, described: 0, offset, .. } if offset == shb_len),
        "{e}"
    );
    assert!(
        e.to_string().starts_with(&format!(
            "no_idb.pcapng: the packet block at byte {shb_len} names interface 0, but its section describes 0 interface(s)"
        )),
        "{e}"
    );
    // Naming interface 1 of one (the interface id follows the block type and length).
    let mut bad_id = data.clone();
    bad_id[idb_end + 8..idb_end + 12].copy_from_slice(&1u32.to_le_bytes());
    let e = frames_from_bytes(&bad_id, "bad_id.pcapng").unwrap_err();
    assert!(
        matches!(
            e,
            CaptureError::UnknownInterface {
                interface: 1,
                described: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn bad_captures_are_clear_errors() {
    let frames = sample();
    let data = write_frames_to(Vec::new(), frames.iter().map(|f| f.as_slice()), "mem").unwrap();
    // cut inside the last record, inside a record header, inside the file header
    let e = frames_from_bytes(&data[..data.len() - 3], "x.pcap").unwrap_err();
    assert!(
        matches!(e, CaptureError::Truncated { frames: 199, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("truncated"), "{e}");
    // The cut record's header is whole: the message says how long it claims to be.
    let last = frames.last().unwrap().len();
    let want = format!("says {last} bytes follow, {} are left", last - 3);
    assert!(e.to_string().contains(&want), "{e}");
    // A corrupt length field (the first record claims 4 GiB) reads as a truncation whose
    // claim gives it away.
    let mut bad_len = data.clone();
    bad_len[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = frames_from_bytes(&bad_len, "x.pcap").unwrap_err();
    assert!(
        matches!(
            e,
            CaptureError::Truncated {
                frames: 0,
                offset: 24,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("says 4294967295 bytes follow"),
        "{e}"
    );
    // A big-endian capture (as written on a big-endian host): its header read that way.
    let mut be = Vec::new();
    for field in [0xA1B2_C3D4u32, 0x0002_0004, 0, 0, 65535, 1] {
        be.extend(field.to_be_bytes());
    }
    for field in [0u32, 0, 100, 100] {
        be.extend(field.to_be_bytes());
    }
    be.extend([0u8; 5]);
    let e = frames_from_bytes(&be, "be.pcap").unwrap_err();
    assert!(
        e.to_string().contains("says 100 bytes follow, 5 are left"),
        "{e}"
    );
    let e = frames_from_bytes(&data[..data.len() - last - 10], "x.pcap").unwrap_err();
    assert!(
        matches!(e, CaptureError::Truncated { frames: 199, .. }),
        "{e}"
    );
    // Cut inside the file header: no record, no offset, the header named.
    let e = frames_from_bytes(&data[..10], "x.pcap").unwrap_err();
    assert!(
        matches!(e, CaptureError::HeaderTruncated { len: 10, .. }),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("x.pcap ends after 10 bytes, inside its 24-byte pcap file header"),
        "{e}"
    );
    // Cut right after the file header: a whole header and no record is an empty capture.
    assert!(frames_from_bytes(&data[..24], "x.pcap").unwrap().is_empty());
    // A record header cut short has no length to quote.
    let e = frames_from_bytes(&data[..30], "x.pcap").unwrap_err();
    assert!(
        matches!(
            e,
            CaptureError::Truncated {
                frames: 0,
                offset: 24,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        !e.to_string().contains("says"),
        "no record header to quote: {e}"
    );
    // not a capture at all
    for junk in [&b"hello world, this is text"[..], &[], &[0xD4, 0xC3]] {
        let e = frames_from_bytes(junk, "notes.txt").unwrap_err();
        assert!(matches!(e, CaptureError::NotPcap { .. }), "{e}");
        assert!(e.to_string().contains("not a pcap"), "{e}");
    }
    // missing file
    let e = read_frames(std::path::Path::new("does/not/exist.pcap")).unwrap_err();
    assert!(matches!(e, CaptureError::Io { .. }));
    // non-Ethernet link type
    let mut raw = data.clone();
    raw[20] = 101; // LINKTYPE_RAW, little-endian header
    let e = frames_from_bytes(&raw, "raw.pcap").unwrap_err();
    assert!(matches!(e, CaptureError::LinkType { .. }), "{e}");
}

/// An empty file says it is empty (before: "starts with )", an empty hex string).
#[test]
fn an_empty_file_is_named_empty() {
    let e = frames_from_bytes(&[], "empty.pcap")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("empty.pcap is not a pcap or pcapng file (it is empty); give a capture"),
        "{e}"
    );
    let e = frames_from_bytes(b"hi", "hi.pcap").unwrap_err().to_string();
    assert!(e.contains("(starts with 6869)"), "{e}");
}
