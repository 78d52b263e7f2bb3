//! `nicc sim packet`: a capture through RTL and golden model, and clear errors on bad input.

use std::process::Command;

use nicc_testbench::packet::pcap::write_frames;
use nicc_testbench::packet::stimulus::{build, Spec, Tags, L3, L4};

fn nicc(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nicc"))
        .args(args)
        .output()
        .expect("run nicc");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn frames() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for (i, (l3, l4)) in [
        (L3::Ipv4, L4::Udp),
        (L3::Ipv6, L4::Tcp),
        (L3::Ipv4, L4::Roce(0x0A)),
        (L3::Arp, L4::None),
    ]
    .iter()
    .enumerate()
    {
        let b = build(&Spec {
            tags: Tags::C,
            l3: *l3,
            l4: *l4,
            size: 128,
            seed: i as u64 + 1,
        })
        .unwrap();
        v.push(b.bytes);
    }
    v.push(vec![0x55; 30]); // runt: dropped
    v
}

#[test]
fn sim_packet_writes_meta_and_passed_frames() {
    let dir = tempfile::tempdir().unwrap();
    let inp = dir.path().join("in.pcap");
    let fs = frames();
    write_frames(&inp, fs.iter().map(|f| f.as_slice())).unwrap();
    let meta = dir.path().join("meta.jsonl");
    let outp = dir.path().join("out.pcap");
    let (ok, out, err) = nicc(&[
        "sim",
        "packet",
        "--set",
        "em_size=4",
        "--set",
        "indirection_size=32",
        "--pcap",
        inp.to_str().unwrap(),
        "--meta-out",
        meta.to_str().unwrap(),
        "--pcap-out",
        outp.to_str().unwrap(),
        "--backpressure",
        "0.3",
        "--seed",
        "5",
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("5 frames"), "{out}");
    let text = std::fs::read_to_string(&meta).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["verdict"], "pass");
    assert_eq!(lines[4]["verdict"], "drop:runt");
    assert_eq!(lines[2]["roce"]["opcode"], 10);
    for k in [
        "index",
        "len",
        "flags",
        "queue",
        "rss_hash",
        "ipv4_csum_ok",
        "l4_csum",
        "csum_complete",
    ] {
        assert!(lines[0].get(k).is_some(), "missing {k}");
    }
    let passed = nicc_testbench::packet::pcap::read_frames(&outp).unwrap();
    assert_eq!(passed.len(), 4);
    assert_eq!(passed[1].bytes, fs[1]);
}

#[test]
fn sim_packet_rejects_non_pcap_and_truncated_pcap() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pcap");
    std::fs::write(&bad, b"this is not a capture").unwrap();
    let meta = dir.path().join("m.jsonl");
    let (ok, _, err) = nicc(&[
        "sim",
        "packet",
        "--pcap",
        bad.to_str().unwrap(),
        "--meta-out",
        meta.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("is not a pcap or pcapng file"), "{err}");

    let good = dir.path().join("good.pcap");
    let fs = frames();
    write_frames(&good, fs.iter().map(|f| f.as_slice())).unwrap();
    let mut data = std::fs::read(&good).unwrap();
    data.truncate(data.len() - 10);
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &data).unwrap();
    let (ok, _, err) = nicc(&[
        "sim",
        "packet",
        "--pcap",
        cut.to_str().unwrap(),
        "--meta-out",
        meta.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("truncated"), "{err}");

    let (ok, _, err) = nicc(&[
        "sim",
        "packet",
        "--pcap",
        good.to_str().unwrap(),
        "--meta-out",
        meta.to_str().unwrap(),
        "--backpressure",
        "2",
    ]);
    assert!(!ok);
    assert!(err.contains("--backpressure 2"), "{err}");

    let (ok, _, err) = nicc(&[
        "sim",
        "packet",
        "--set",
        "data_bytes=24",
        "--pcap",
        good.to_str().unwrap(),
        "--meta-out",
        meta.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("data_bytes"), "{err}");
}

/// The outputs are checked before the capture is read: an output that is the capture, or both
/// outputs one file, or an output in a missing directory is refused and nothing is written
/// (before, the capture was overwritten by the metadata, the metadata by the passed frames,
/// and a bad `--pcap-out` failed after `--meta-out` had been overwritten).
#[test]
fn sim_packet_refuses_outputs_that_would_overwrite_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("in.pcap");
    let fs = frames();
    write_frames(&cap, fs.iter().map(|f| f.as_slice())).unwrap();
    let before = std::fs::read(&cap).unwrap();
    let meta = dir.path().join("meta.jsonl");
    std::fs::write(&meta, "old\n").unwrap();
    let run = |meta_out: &std::path::Path, pcap_out: &std::path::Path| {
        nicc(&[
            "sim",
            "packet",
            "--pcap",
            cap.to_str().unwrap(),
            "--meta-out",
            meta_out.to_str().unwrap(),
            "--pcap-out",
            pcap_out.to_str().unwrap(),
        ])
    };
    let out = dir.path().join("out.pcap");
    let missing = dir.path().join("missing").join("out.pcap");
    let same_as_capture = "is the same file as the input --pcap";
    for (m, p, message) in [
        (&cap, &out, same_as_capture),
        (&meta, &cap, same_as_capture),
        (
            &meta,
            &meta,
            "are the same file: one would overwrite the other",
        ),
        (&meta, &missing, "missing does not exist; create it first"),
    ] {
        let (ok, _, err) = run(m, p);
        assert!(!ok && err.contains(message), "{m:?} {p:?}: {err}");
    }
    assert_eq!(std::fs::read(&cap).unwrap(), before);
    assert_eq!(std::fs::read_to_string(&meta).unwrap(), "old\n");
    assert!(!out.exists());
}

/// `nicc bench packet --frames` is refused outside 1..=1000000 before any model is built
/// and before any output (before: 0 printed a table of zeros, 18446744073709551615 panicked
/// with "capacity overflow"; later the table's header still came before the error).
#[test]
fn bench_packet_refuses_a_frame_count_out_of_range() {
    for n in ["0", "18446744073709551615"] {
        let (ok, out, err) = nicc(&["bench", "packet", "--frames", n]);
        assert!(!ok, "{n}");
        // No table header before the error.
        assert_eq!(out, "", "{n}");
        assert!(
            err.contains(&format!("--frames {n} is out of range; give 1..=1000000")),
            "{err}"
        );
    }
}
