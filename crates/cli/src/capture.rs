//! Packet captures for `rtc prog run`: reading pcap and pcapng files into Ethernet
//! frames, and writing frames back out as pcap. The formats are the `pcap-file`
//! crate's; this module checks what that crate leaves to its caller (the snaplen, the
//! link type, a file that ends inside a packet) and names the packet at fault.

use std::borrow::Cow;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapParser, PcapWriter};
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{DataLink, Endianness, PcapError, TsResolution};

use bpf_sys::hex;

/// The pcapng section header block type, which is also how a pcapng file starts.
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Bytes of a pcap packet record header (ts_sec, ts_frac, incl_len, orig_len).
const RECORD_HEADER: usize = 16;

/// One packet read from a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The bytes captured (an Ethernet frame).
    pub data: Vec<u8>,
    /// Its length on the wire (more than `data` when the capture cut it).
    pub orig_len: u32,
    /// When it was captured, since the epoch.
    pub timestamp: Duration,
}

/// What went wrong reading a capture; packet numbers count from 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// Neither pcap's nor pcapng's magic number.
    #[error(
        "not a pcap or pcapng capture: it starts with {0}, which is neither pcap's magic number (a1b2c3d4, a1b23c4d, either byte order) nor pcapng's (0a0d0d0a)"
    )]
    BadMagic(String),
    /// The file is shorter than the capture's own header.
    #[error("the capture header is cut short: the file has {0} bytes")]
    ShortHeader(usize),
    /// The file ends inside a packet.
    #[error("packet {number}: truncated: {detail}")]
    Truncated {
        /// The packet's number.
        number: usize,
        /// What is missing.
        detail: String,
    },
    /// A packet holds more bytes than the capture's snaplen allows.
    #[error(
        "packet {number}: {captured} bytes captured, more than the capture's snaplen of {snaplen} bytes"
    )]
    OverSnaplen {
        /// The packet's number.
        number: usize,
        /// Bytes in the record.
        captured: u32,
        /// The capture's snaplen.
        snaplen: u32,
    },
    /// Frames that are not Ethernet: tc and XDP programs see Ethernet frames.
    #[error(
        "{where_}: link type {link:?} ({code}); tc and XDP programs run on Ethernet frames (link type 1)"
    )]
    LinkType {
        /// The file, or the packet and its interface.
        where_: String,
        /// The link type.
        link: DataLink,
        /// Its number.
        code: u32,
    },
    /// Anything else the format parser refused.
    #[error("packet {number}: {source}")]
    Malformed {
        /// The packet's number (the one after the last good one).
        number: usize,
        /// The parser's reason.
        source: PcapError,
    },
}

/// Reads every packet of a pcap or pcapng capture held in `bytes`.
pub fn read(bytes: &[u8]) -> Result<Vec<Packet>, CaptureError> {
    if bytes.len() < 4 {
        return Err(CaptureError::ShortHeader(bytes.len()));
    }
    if bytes.get(..4) == Some(&PCAPNG_MAGIC[..]) {
        return read_pcapng(bytes);
    }
    read_pcap(bytes)
}

fn read_pcap(bytes: &[u8]) -> Result<Vec<Packet>, CaptureError> {
    let (mut rest, parser) = match PcapParser::new(bytes) {
        Ok(parsed) => parsed,
        Err(PcapError::IncompleteBuffer) => return Err(CaptureError::ShortHeader(bytes.len())),
        Err(_) => return Err(CaptureError::BadMagic(hex(bytes.get(..4).unwrap_or(bytes)))),
    };
    let header = parser.header();
    if header.datalink != DataLink::ETHERNET {
        return Err(CaptureError::LinkType {
            where_: "the capture".into(),
            link: header.datalink,
            code: u32::from(header.datalink),
        });
    }
    let mut packets = Vec::new();
    while !rest.is_empty() {
        let number = packets.len() + 1;
        let (next, raw) = match parser.next_raw_packet(rest) {
            Ok(parsed) => parsed,
            Err(PcapError::IncompleteBuffer) => {
                return Err(truncated_record(number, rest, header.endianness));
            }
            Err(source) => return Err(CaptureError::Malformed { number, source }),
        };
        if raw.incl_len > header.snaplen {
            return Err(CaptureError::OverSnaplen {
                number,
                captured: raw.incl_len,
                snaplen: header.snaplen,
            });
        }
        let nanos = match header.ts_resolution {
            TsResolution::MicroSecond => raw.ts_frac.saturating_mul(1000),
            TsResolution::NanoSecond => raw.ts_frac,
        };
        packets.push(Packet {
            data: raw.data.into_owned(),
            orig_len: raw.orig_len,
            timestamp: Duration::from_secs(raw.ts_sec.into())
                .saturating_add(Duration::from_nanos(nanos.into())),
        });
        rest = next;
    }
    Ok(packets)
}

/// The error for a pcap record the file ends inside of.
fn truncated_record(number: usize, rest: &[u8], endianness: Endianness) -> CaptureError {
    let detail = match rest.get(8..12).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
        Some(len) if rest.len() >= RECORD_HEADER => {
            let incl_len = match endianness {
                Endianness::Big => u32::from_be_bytes(len),
                Endianness::Little => u32::from_le_bytes(len),
            };
            format!(
                "its header says {incl_len} bytes were captured, but only {} are left in the file",
                rest.len() - RECORD_HEADER
            )
        }
        _ => format!(
            "the file ends inside its {RECORD_HEADER}-byte record header ({} bytes left)",
            rest.len()
        ),
    };
    CaptureError::Truncated { number, detail }
}

fn read_pcapng(bytes: &[u8]) -> Result<Vec<Packet>, CaptureError> {
    let (mut rest, mut parser) = match PcapNgParser::new(bytes) {
        Ok(parsed) => parsed,
        Err(PcapError::IncompleteBuffer) => return Err(CaptureError::ShortHeader(bytes.len())),
        Err(source) => return Err(CaptureError::Malformed { number: 1, source }),
    };
    let mut packets = Vec::new();
    while !rest.is_empty() {
        let number = packets.len() + 1;
        let (next, block) = match parser.next_block(rest) {
            Ok(parsed) => parsed,
            Err(PcapError::IncompleteBuffer) => {
                return Err(CaptureError::Truncated {
                    number,
                    detail: format!(
                        "the file ends inside a pcapng block ({} bytes left)",
                        rest.len()
                    ),
                });
            }
            Err(source) => return Err(CaptureError::Malformed { number, source }),
        };
        rest = next;
        let (interface, data, orig_len, timestamp) = match block {
            Block::EnhancedPacket(p) => (p.interface_id, p.data, p.original_len, p.timestamp),
            Block::SimplePacket(p) => (0, p.data, p.original_len, Duration::ZERO),
            Block::Packet(p) => (
                u32::from(p.interface_id),
                p.data,
                p.original_len,
                Duration::from_nanos(p.timestamp),
            ),
            _ => continue,
        };
        let Some(idb) = parser.interfaces().get(interface as usize) else {
            return Err(CaptureError::Malformed {
                number,
                source: PcapError::InvalidInterfaceId(interface),
            });
        };
        if idb.linktype != DataLink::ETHERNET {
            return Err(CaptureError::LinkType {
                where_: format!("packet {number} (interface {interface})"),
                link: idb.linktype,
                code: u32::from(idb.linktype),
            });
        }
        let captured = u32::try_from(data.len()).unwrap_or(u32::MAX);
        // pcapng: a snaplen of 0 means "no limit".
        if idb.snaplen != 0 && captured > idb.snaplen {
            return Err(CaptureError::OverSnaplen {
                number,
                captured,
                snaplen: idb.snaplen,
            });
        }
        packets.push(Packet {
            data: data.into_owned(),
            orig_len: orig_len.max(captured),
            timestamp,
        });
    }
    Ok(packets)
}

/// Writes `packets` as a pcap capture (microsecond timestamps, Ethernet, little
/// endian, snaplen 262144 or the longest packet): what tcpdump and Wireshark read.
pub fn write(packets: &[Packet]) -> Result<Vec<u8>, PcapError> {
    let longest = packets.iter().map(|p| p.data.len()).max().unwrap_or(0);
    let snaplen = u32::try_from(longest).unwrap_or(u32::MAX).max(262_144);
    let header = PcapHeader {
        version_major: 2,
        version_minor: 4,
        ts_correction: 0,
        ts_accuracy: 0,
        snaplen,
        datalink: DataLink::ETHERNET,
        ts_resolution: TsResolution::MicroSecond,
        endianness: Endianness::Little,
    };
    let mut writer = PcapWriter::with_header(Vec::new(), header)?;
    for p in packets {
        let captured = u32::try_from(p.data.len()).unwrap_or(u32::MAX);
        writer.write_packet(&PcapPacket {
            timestamp: p.timestamp,
            orig_len: p.orig_len.max(captured),
            data: Cow::Borrowed(&p.data),
        })?;
    }
    Ok(writer.into_writer())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u8, len: usize) -> Packet {
        Packet {
            data: vec![n; len],
            orig_len: len as u32,
            timestamp: Duration::new(1_700_000_000, n as u32 * 1000),
        }
    }

    #[test]
    fn round_trip() {
        let packets = vec![frame(1, 60), frame(2, 98), frame(3, 1514)];
        let bytes = write(&packets).unwrap();
        assert_eq!(read(&bytes).unwrap(), packets);
    }

    /// Hand-made broken files: each is refused with the packet named, never a panic.
    #[test]
    fn broken_captures_name_the_packet() {
        let good = write(&[frame(1, 60), frame(2, 60)]).unwrap();
        // Cut inside the second packet's data.
        let err = read(&good[..good.len() - 10]).unwrap_err().to_string();
        assert!(
            err.starts_with("packet 2: truncated: its header says 60 bytes"),
            "{err}"
        );
        // Cut inside the second packet's record header.
        let err = read(&good[..24 + 16 + 60 + 5]).unwrap_err().to_string();
        assert!(
            err.starts_with("packet 2: truncated: the file ends inside"),
            "{err}"
        );
        // Wrong magic.
        let mut bad = good.clone();
        bad[..4].copy_from_slice(b"GIF8");
        let err = read(&bad).unwrap_err().to_string();
        assert!(err.contains("starts with 47494638"), "{err}");
        // A snaplen shorter than the packets.
        let mut small = good.clone();
        small[16..20].copy_from_slice(&40u32.to_le_bytes());
        let err = read(&small).unwrap_err().to_string();
        assert_eq!(
            err,
            "packet 1: 60 bytes captured, more than the capture's snaplen of 40 bytes"
        );
        // Too short for a header at all, and not Ethernet.
        assert!(matches!(
            read(&good[..10]),
            Err(CaptureError::ShortHeader(10))
        ));
        let mut raw_ip = good.clone();
        raw_ip[20..24].copy_from_slice(&101u32.to_le_bytes());
        assert!(read(&raw_ip).unwrap_err().to_string().contains("link type"));
        // Every cut and every single-byte change of a small capture: an answer, no panic.
        for cut in 0..good.len() {
            let _ = read(&good[..cut]);
        }
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0xff;
            let _ = read(&b);
        }
    }

    /// A pcapng file (section header, interface description, one enhanced packet)
    /// built by hand after the pcapng specification, then mangled.
    #[test]
    fn pcapng_reads_and_refuses_cleanly() {
        let mut f = Vec::new();
        let block = |f: &mut Vec<u8>, kind: u32, body: &[u8]| {
            let len = (12 + body.len()) as u32;
            f.extend_from_slice(&kind.to_le_bytes());
            f.extend_from_slice(&len.to_le_bytes());
            f.extend_from_slice(body);
            f.extend_from_slice(&len.to_le_bytes());
        };
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1a2b3c4du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        block(&mut f, 0x0a0d0d0a, &shb);
        let mut idb = Vec::new();
        idb.extend_from_slice(&1u16.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u32.to_le_bytes());
        block(&mut f, 1, &idb);
        let mut epb = Vec::new();
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&0u32.to_le_bytes());
        epb.extend_from_slice(&60u32.to_le_bytes());
        epb.extend_from_slice(&60u32.to_le_bytes());
        epb.extend_from_slice(&[7u8; 60]);
        block(&mut f, 6, &epb);
        let packets = read(&f).unwrap();
        assert_eq!(packets.len(), 1);
        assert_eq!(packets[0].data, vec![7u8; 60]);
        let err = read(&f[..f.len() - 4]).unwrap_err().to_string();
        assert!(err.starts_with("packet 1: truncated"), "{err}");
        for cut in 0..f.len() {
            let _ = read(&f[..cut]);
        }
        for i in 0..f.len() {
            let mut b = f.clone();
            b[i] ^= 0xff;
            let _ = read(&b);
        }
    }
}
