//! Capture files: read frames from pcap or pcapng (pcap-file crate), write frames as pcap.

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use pcap_file::pcap::{PcapPacket, PcapParser, PcapWriter};
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{DataLink, PcapError};
use thiserror::Error;

use super::meta::Frame;

/// Why a capture could not be read or written.
#[derive(Debug, Error)]
pub enum CaptureError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// File name.
        path: String,
        /// OS error.
        source: std::io::Error,
    },
    /// The first bytes are not a pcap or pcapng magic number (or there are none).
    #[error("{path} is not a pcap or pcapng file ({start}); give a capture from tcpdump, Wireshark or `nicc`", start = start_of(.magic))]
    NotPcap {
        /// File name.
        path: String,
        /// First bytes in hex (empty for an empty file).
        magic: String,
    },
    /// The file ends inside a header or a record.
    #[error("{path} is truncated at byte {offset} after {frames} complete frames{claim}; the capture was cut short (or that record's header is corrupt): re-capture or drop the last record")]
    Truncated {
        /// File name.
        path: String,
        /// Offset where the incomplete record starts.
        offset: usize,
        /// Frames read before it.
        frames: usize,
        /// What the incomplete pcap record's header says of its length, when it is whole
        /// (`": its header says N bytes follow, M are left"`; empty otherwise): a length far
        /// beyond the file's end is a corrupt header rather than a cut capture.
        claim: String,
    },
    /// The file ends inside its file header (pcap) or section header block (pcapng), before
    /// any record.
    #[error("{path} ends after {len} bytes, inside its {header}: the capture was cut short before its first record; re-capture it")]
    HeaderTruncated {
        /// File name.
        path: String,
        /// The file's length in bytes.
        len: usize,
        /// Which header (`"24-byte pcap file header"`, `"pcapng section header block"`).
        header: &'static str,
    },
    /// A record is invalid (bad block, length, interface).
    #[error("{path}: invalid record at byte {offset}: {source}")]
    Format {
        /// File name.
        path: String,
        /// Offset of the record.
        offset: usize,
        /// Parser error.
        source: PcapError,
    },
    /// A pcapng packet block names an interface its section has not described (the
    /// interface description block gives a packet its link type).
    #[error("{path}: the packet block at byte {offset} names interface {interface}, but its section describes {described} interface(s) before it; pcapng needs an interface description block (the link type) before the packets that use it: the capture is malformed, re-save it with Wireshark or tcpdump")]
    UnknownInterface {
        /// File name.
        path: String,
        /// Offset of the packet block.
        offset: usize,
        /// The interface it names (0 for a simple packet block).
        interface: u32,
        /// Interface description blocks of its section before it.
        described: usize,
    },
    /// The link type is not Ethernet.
    #[error("{path}: link type {link} is not Ethernet; the packet engine takes Ethernet frames")]
    LinkType {
        /// File name.
        path: String,
        /// Link type found.
        link: String,
    },
}

/// How a file that is no capture starts: its first bytes in hex, or that it is empty.
fn start_of(magic: &str) -> String {
    if magic.is_empty() {
        "it is empty".to_string()
    } else {
        format!("starts with {magic}")
    }
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xD4, 0xC3, 0xB2, 0xA1],
    [0xA1, 0xB2, 0xC3, 0xD4],
    [0x4D, 0x3C, 0xB2, 0xA1],
    [0xA1, 0xB2, 0x3C, 0x4D],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];

/// For a pcap record cut short at `offset` whose 16-byte header is whole: what its captured
/// length field says against the bytes left (see [`CaptureError::Truncated`]).
fn record_claim(data: &[u8], magic: Option<[u8; 4]>, offset: usize) -> String {
    // Records start after the 24-byte file header.
    if offset < 24 {
        return String::new();
    }
    let little = match magic {
        Some([0xD4, 0xC3, 0xB2, 0xA1] | [0x4D, 0x3C, 0xB2, 0xA1]) => true,
        Some([0xA1, 0xB2, 0xC3, 0xD4] | [0xA1, 0xB2, 0x3C, 0x4D]) => false,
        _ => return String::new(),
    };
    let (Some(field), Some(left)) = (
        data.get(offset + 8..offset + 12)
            .and_then(|f| <[u8; 4]>::try_from(f).ok()),
        data.len().checked_sub(offset + 16),
    ) else {
        return String::new();
    };
    let claimed = if little {
        u32::from_le_bytes(field)
    } else {
        u32::from_be_bytes(field)
    };
    format!(": its header says {claimed} bytes follow, {left} are left")
}

/// Reads every packet of a pcap or pcapng image in memory as a good frame. `name` is used
/// in errors.
pub fn frames_from_bytes(data: &[u8], name: &str) -> Result<Vec<Frame>, CaptureError> {
    let magic: Option<[u8; 4]> = data.get(..4).and_then(|m| m.try_into().ok());
    let path = name.to_string();
    // Offset 0 is the file header (pcap) or section header block (pcapng): a cut there has
    // no record to point at.
    let err = |offset: usize, frames: usize, e: PcapError| match e {
        PcapError::IncompleteBuffer if offset == 0 => CaptureError::HeaderTruncated {
            path: path.clone(),
            len: data.len(),
            header: if magic == Some(PCAPNG_MAGIC) {
                "pcapng section header block"
            } else {
                "24-byte pcap file header"
            },
        },
        PcapError::IncompleteBuffer => CaptureError::Truncated {
            path: path.clone(),
            offset,
            frames,
            claim: record_claim(data, magic, offset),
        },
        e => CaptureError::Format {
            path: path.clone(),
            offset,
            source: e,
        },
    };
    let mut frames = Vec::new();
    match magic {
        Some(m) if PCAP_MAGICS.contains(&m) => {
            let (mut rest, parser) = PcapParser::new(data).map_err(|e| err(0, 0, e))?;
            if parser.header().datalink != DataLink::ETHERNET {
                return Err(CaptureError::LinkType {
                    path,
                    link: format!("{:?}", parser.header().datalink),
                });
            }
            while !rest.is_empty() {
                let off = data.len() - rest.len();
                let (r, p) = parser
                    .next_packet(rest)
                    .map_err(|e| err(off, frames.len(), e))?;
                frames.push(Frame::new(p.data.into_owned()));
                rest = r;
            }
        }
        Some(PCAPNG_MAGIC) => {
            let (mut rest, mut parser) = PcapNgParser::new(data).map_err(|e| err(0, 0, e))?;
            while !rest.is_empty() {
                let off = data.len() - rest.len();
                let (r, block) = parser
                    .next_block(rest)
                    .map_err(|e| err(off, frames.len(), e))?;
                // A simple packet block belongs to interface 0.
                let (interface, bytes): (u32, Option<Cow<[u8]>>) = match block {
                    Block::EnhancedPacket(b) => (b.interface_id, Some(b.data)),
                    Block::SimplePacket(b) => (0, Some(b.data)),
                    Block::Packet(b) => (u32::from(b.interface_id), Some(b.data)),
                    Block::InterfaceDescription(i) if i.linktype != DataLink::ETHERNET => {
                        return Err(CaptureError::LinkType {
                            path,
                            link: format!("{:?}", i.linktype),
                        })
                    }
                    _ => (0, None),
                };
                if let Some(b) = bytes {
                    let described = parser.interfaces().len();
                    if interface as usize >= described {
                        return Err(CaptureError::UnknownInterface {
                            path,
                            offset: off,
                            interface,
                            described,
                        });
                    }
                    frames.push(Frame::new(b.into_owned()));
                }
                rest = r;
            }
        }
        _ => {
            return Err(CaptureError::NotPcap {
                path,
                magic: data.iter().take(4).map(|b| format!("{b:02x}")).collect(),
            })
        }
    }
    Ok(frames)
}

/// Reads every packet of a pcap or pcapng file.
pub fn read_frames(path: &Path) -> Result<Vec<Frame>, CaptureError> {
    let data = std::fs::read(path).map_err(|source| CaptureError::Io {
        path: path.display().to_string(),
        source,
    })?;
    frames_from_bytes(&data, &path.display().to_string())
}

/// Writes frames as a classic Ethernet pcap (microsecond timestamps, frame `i` at `i` us).
pub fn write_frames_to<'a, W: Write>(
    w: W,
    frames: impl IntoIterator<Item = &'a [u8]>,
    name: &str,
) -> Result<W, CaptureError> {
    let io = |e: PcapError| match e {
        PcapError::IoError(source) => CaptureError::Io {
            path: name.to_string(),
            source,
        },
        e => CaptureError::Format {
            path: name.to_string(),
            offset: 0,
            source: e,
        },
    };
    let mut pw = PcapWriter::new(w).map_err(io)?;
    for (i, f) in frames.into_iter().enumerate() {
        let p = PcapPacket::new(Duration::from_micros(i as u64), f.len() as u32, f);
        pw.write_packet(&p).map_err(io)?;
    }
    Ok(pw.into_writer())
}

/// Writes frames to a pcap file.
pub fn write_frames<'a>(
    path: &Path,
    frames: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(), CaptureError> {
    let name = path.display().to_string();
    crate::outputs::write_atomically(
        path,
        |w| write_frames_to(w, frames, &name).map(|_| ()),
        |source| CaptureError::Io {
            path: name.clone(),
            source,
        },
    )
}
