//! Netlink messages as text, for people learning what tc and ip say to the kernel
//! (`rtc --explain` hands each message its [`crate::Observer`] sees to
//! [`describe`]): the header with its type and flags named, the fixed `tcmsg` or
//! `ifinfomsg`, then every attribute by name, nested ones indented. Attributes
//! this module has no name for are shown by number with their bytes in hex.

use std::fmt::Write as _;

use crate::attr::{AttrIter, NLA_F_NESTED};
use crate::error::strerror;
use crate::message::*;
use crate::{link, xdp};

/// How to show an attribute's payload.
#[derive(Clone, Copy)]
enum Shape {
    U8,
    U16,
    U32,
    Hex32,
    I32,
    Str,
    Bytes,
    Nest(&'static [Known]),
}

type Known = (u16, &'static str, Shape);

const BPF_OPTIONS: &[Known] = &[
    (1, "TCA_BPF_ACT", Shape::Bytes),
    (2, "TCA_BPF_POLICE", Shape::Bytes),
    (3, "TCA_BPF_CLASSID", Shape::Hex32),
    (4, "TCA_BPF_OPS_LEN", Shape::U16),
    (5, "TCA_BPF_OPS", Shape::Bytes),
    (6, "TCA_BPF_FD", Shape::U32),
    (7, "TCA_BPF_NAME", Shape::Str),
    (8, "TCA_BPF_FLAGS", Shape::Hex32),
    (9, "TCA_BPF_FLAGS_GEN", Shape::Hex32),
    (10, "TCA_BPF_TAG", Shape::Bytes),
    (11, "TCA_BPF_ID", Shape::U32),
];

const STATS2: &[Known] = &[
    (1, "TCA_STATS_BASIC", Shape::Bytes),
    (2, "TCA_STATS_RATE_EST", Shape::Bytes),
    (3, "TCA_STATS_QUEUE", Shape::Bytes),
    (4, "TCA_STATS_APP", Shape::Bytes),
    (5, "TCA_STATS_RATE_EST64", Shape::Bytes),
    (6, "TCA_STATS_PAD", Shape::Bytes),
    (7, "TCA_STATS_BASIC_HW", Shape::Bytes),
    (8, "TCA_STATS_PKT64", Shape::Bytes),
];

/// Top-level attributes of tc messages; `TCA_OPTIONS` is decoded as cls_bpf's
/// when the kind is "bpf" (see [`describe_tc`]).
const TC: &[Known] = &[
    (1, "TCA_KIND", Shape::Str),
    (2, "TCA_OPTIONS", Shape::Bytes),
    (3, "TCA_STATS", Shape::Bytes),
    (4, "TCA_XSTATS", Shape::Bytes),
    (5, "TCA_RATE", Shape::Bytes),
    (6, "TCA_FCNT", Shape::U32),
    (7, "TCA_STATS2", Shape::Nest(STATS2)),
    (8, "TCA_STAB", Shape::Bytes),
    (9, "TCA_PAD", Shape::Bytes),
    (10, "TCA_DUMP_INVISIBLE", Shape::Bytes),
    (11, "TCA_CHAIN", Shape::U32),
    (12, "TCA_HW_OFFLOAD", Shape::U8),
    (13, "TCA_INGRESS_BLOCK", Shape::U32),
    (14, "TCA_EGRESS_BLOCK", Shape::U32),
    (15, "TCA_DUMP_FLAGS", Shape::Bytes),
];

const XDP: &[Known] = &[
    (xdp::IFLA_XDP_FD, "IFLA_XDP_FD", Shape::I32),
    (xdp::IFLA_XDP_ATTACHED, "IFLA_XDP_ATTACHED", Shape::U8),
    (xdp::IFLA_XDP_FLAGS, "IFLA_XDP_FLAGS", Shape::Hex32),
    (xdp::IFLA_XDP_PROG_ID, "IFLA_XDP_PROG_ID", Shape::U32),
    (
        xdp::IFLA_XDP_DRV_PROG_ID,
        "IFLA_XDP_DRV_PROG_ID",
        Shape::U32,
    ),
    (
        xdp::IFLA_XDP_SKB_PROG_ID,
        "IFLA_XDP_SKB_PROG_ID",
        Shape::U32,
    ),
    (xdp::IFLA_XDP_HW_PROG_ID, "IFLA_XDP_HW_PROG_ID", Shape::U32),
    (
        xdp::IFLA_XDP_EXPECTED_FD,
        "IFLA_XDP_EXPECTED_FD",
        Shape::I32,
    ),
];

const LINK: &[Known] = &[
    (link::IFLA_IFNAME, "IFLA_IFNAME", Shape::Str),
    (link::IFLA_MTU, "IFLA_MTU", Shape::U32),
    (link::IFLA_QDISC, "IFLA_QDISC", Shape::Str),
    (link::IFLA_TXQLEN, "IFLA_TXQLEN", Shape::U32),
    (link::IFLA_EXT_MASK, "IFLA_EXT_MASK", Shape::Hex32),
    (link::IFLA_XDP, "IFLA_XDP", Shape::Nest(XDP)),
];

fn type_name(kind: u16) -> String {
    let name = match kind {
        NLMSG_NOOP => "NLMSG_NOOP",
        NLMSG_ERROR => "NLMSG_ERROR",
        NLMSG_DONE => "NLMSG_DONE",
        NLMSG_OVERRUN => "NLMSG_OVERRUN",
        RTM_NEWLINK => "RTM_NEWLINK",
        RTM_DELLINK => "RTM_DELLINK",
        RTM_GETLINK => "RTM_GETLINK",
        RTM_NEWQDISC => "RTM_NEWQDISC",
        RTM_DELQDISC => "RTM_DELQDISC",
        RTM_GETQDISC => "RTM_GETQDISC",
        RTM_NEWTFILTER => "RTM_NEWTFILTER",
        RTM_DELTFILTER => "RTM_DELTFILTER",
        RTM_GETTFILTER => "RTM_GETTFILTER",
        other => return format!("type {other}"),
    };
    name.to_string()
}

fn flag_names(kind: u16, flags: u16) -> String {
    let mut names = Vec::new();
    let mut rest = flags;
    let mut take = |bit: u16, name: &'static str, names: &mut Vec<&'static str>| {
        if rest & bit != 0 {
            names.push(name);
            rest &= !bit;
        }
    };
    for (bit, name) in [
        (NLM_F_REQUEST, "REQUEST"),
        (NLM_F_MULTI, "MULTI"),
        (NLM_F_ACK, "ACK"),
        (NLM_F_ECHO, "ECHO"),
        (NLM_F_DUMP_INTR, "DUMP_INTR"),
    ] {
        take(bit, name, &mut names);
    }
    let upper: &[(u16, &str)] = match kind {
        NLMSG_ERROR => &[(NLM_F_CAPPED, "CAPPED"), (NLM_F_ACK_TLVS, "ACK_TLVS")],
        RTM_GETLINK | RTM_GETQDISC | RTM_GETTFILTER => {
            &[(NLM_F_ROOT, "ROOT"), (NLM_F_MATCH, "MATCH")]
        }
        RTM_NEWLINK | RTM_NEWQDISC | RTM_NEWTFILTER => &[
            (NLM_F_REPLACE, "REPLACE"),
            (NLM_F_EXCL, "EXCL"),
            (NLM_F_CREATE, "CREATE"),
            (0x800, "APPEND"),
        ],
        _ => &[],
    };
    for (bit, name) in upper {
        take(*bit, name, &mut names);
    }
    let mut text = names.join("|");
    if rest != 0 {
        if !text.is_empty() {
            text.push('|');
        }
        let _ = write!(text, "{rest:#x}");
    }
    format!(
        "{flags:#05x} ({})",
        if text.is_empty() { "none" } else { &text }
    )
}

/// The first 64 bytes in hex, then how many there were in all (netlink-tc has no
/// bpf-sys to share `bpf_sys::hex` with, and this one clips).
fn clipped_hex(bytes: &[u8]) -> String {
    const MAX: usize = 64;
    let mut text: String = bytes.iter().take(MAX).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > MAX {
        let _ = write!(text, "... ({} bytes)", bytes.len());
    }
    text
}

fn value(shape: Shape, payload: &[u8]) -> String {
    let word = |n: usize| payload.get(..n);
    match shape {
        Shape::U8 => word(1).map(|b| b[0].to_string()),
        Shape::U16 => word(2).map(|b| u16::from_ne_bytes([b[0], b[1]]).to_string()),
        Shape::U32 => word(4).map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]).to_string()),
        Shape::Hex32 => {
            word(4).map(|b| format!("{:#x}", u32::from_ne_bytes([b[0], b[1], b[2], b[3]])))
        }
        Shape::I32 => word(4).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]).to_string()),
        Shape::Str => Some(format!("{:?}", crate::attr::c_string(payload))),
        Shape::Bytes | Shape::Nest(_) => None,
    }
    .unwrap_or_else(|| clipped_hex(payload))
}

/// Appends one line per attribute in `data`, indented by `depth`.
fn attributes(out: &mut String, data: &[u8], table: &[Known], depth: usize, bpf_kind: bool) {
    let pad = "  ".repeat(depth);
    for attr in AttrIter::new(data) {
        let attr = match attr {
            Ok(attr) => attr,
            Err(error) => {
                let _ = writeln!(out, "{pad}malformed: {error}");
                return;
            }
        };
        let nested = if attr.raw_kind & NLA_F_NESTED != 0 {
            " (nested)"
        } else {
            ""
        };
        let known = table.iter().find(|(kind, _, _)| *kind == attr.kind);
        match known {
            Some((2, "TCA_OPTIONS", _)) if bpf_kind => {
                let _ = writeln!(out, "{pad}TCA_OPTIONS{nested}");
                attributes(out, attr.payload, BPF_OPTIONS, depth + 1, false);
            }
            Some((_, name, Shape::Nest(inner))) => {
                let _ = writeln!(out, "{pad}{name}{nested}");
                attributes(out, attr.payload, inner, depth + 1, false);
            }
            Some((_, name, shape)) => {
                let _ = writeln!(out, "{pad}{name}{nested} {}", value(*shape, attr.payload));
            }
            None => {
                let _ = writeln!(
                    out,
                    "{pad}attribute {}{nested} {}",
                    attr.kind,
                    clipped_hex(attr.payload)
                );
            }
        }
    }
}

fn describe_tc(out: &mut String, payload: &[u8]) {
    let Ok(tcm) = TcMsg::decode(payload) else {
        let _ = writeln!(out, "  tcmsg truncated: {}", clipped_hex(payload));
        return;
    };
    let _ = writeln!(
        out,
        "  tcmsg family {} ifindex {} handle {:#010x} parent {:#010x} info {:#010x} (pref {}, protocol {:#06x})",
        tcm.family,
        tcm.ifindex,
        tcm.handle,
        tcm.parent,
        tcm.info,
        tcm.info >> 16,
        u16::from_be(tcm.info as u16),
    );
    let attrs = payload.get(TCMSG_LEN..).unwrap_or(&[]);
    let bpf = AttrIter::new(attrs)
        .flatten()
        .any(|a| a.kind == crate::tca::TCA_KIND && a.string() == "bpf");
    attributes(out, attrs, TC, 1, bpf);
}

fn describe_link(out: &mut String, payload: &[u8]) {
    let Ok(info) = IfInfoMsg::decode(payload) else {
        let _ = writeln!(out, "  ifinfomsg truncated: {}", clipped_hex(payload));
        return;
    };
    let _ = writeln!(
        out,
        "  ifinfomsg family {} type {} index {} flags {:#x} change {:#x}",
        info.family, info.device_type, info.index, info.flags, info.change
    );
    attributes(
        out,
        payload.get(IFINFOMSG_LEN..).unwrap_or(&[]),
        LINK,
        1,
        false,
    );
}

fn describe_error(out: &mut String, message: &Message<'_>) {
    match ErrorMessage::decode(message) {
        Ok(reply) => {
            let what = if reply.error == 0 {
                "ack".to_string()
            } else {
                format!(
                    "error {} ({})",
                    reply.error,
                    strerror(reply.error.saturating_neg())
                )
            };
            let _ = writeln!(
                out,
                "  {what} for {} seq {}",
                type_name(reply.request.kind),
                reply.request.seq
            );
            if let Some(text) = &reply.message {
                let _ = writeln!(out, "  NLMSGERR_ATTR_MSG {text:?}");
            }
            if let Some(offset) = reply.offset {
                let _ = writeln!(out, "  NLMSGERR_ATTR_OFFS {offset}");
            }
        }
        Err(error) => {
            let _ = writeln!(out, "  malformed: {error}");
        }
    }
}

/// Describes every message in `bytes` (one buffer as sent or received), one line
/// per header, fixed part and attribute. Never fails: what cannot be decoded is
/// shown as such.
pub fn describe(bytes: &[u8]) -> String {
    let mut out = String::new();
    for message in Messages::new(bytes) {
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                let _ = writeln!(out, "malformed: {error}");
                break;
            }
        };
        let h = message.header;
        let _ = writeln!(
            out,
            "{} len {} flags {} seq {} pid {}",
            type_name(h.kind),
            h.len,
            flag_names(h.kind, h.flags),
            h.seq,
            h.pid
        );
        match h.kind {
            NLMSG_ERROR => describe_error(&mut out, &message),
            NLMSG_DONE => {
                if let Ok(done) = DoneMessage::decode(&message) {
                    let _ = writeln!(out, "  status {}", done.error);
                    if let Some(text) = done.message {
                        let _ = writeln!(out, "  NLMSGERR_ATTR_MSG {text:?}");
                    }
                }
            }
            RTM_NEWQDISC | RTM_DELQDISC | RTM_GETQDISC | RTM_NEWTFILTER | RTM_DELTFILTER
            | RTM_GETTFILTER => describe_tc(&mut out, message.payload),
            RTM_NEWLINK | RTM_DELLINK | RTM_GETLINK => describe_link(&mut out, message.payload),
            _ => {
                let _ = writeln!(out, "  {}", clipped_hex(message.payload));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{BpfAttach, FilterOp, FilterSpec, encode_filter};

    #[test]
    fn names_a_filter_request() {
        use std::os::fd::{AsFd, AsRawFd};
        let program = std::fs::File::open("/dev/null").unwrap();
        let fd = program.as_fd();
        let request = encode_filter(
            FilterOp::Add,
            &FilterSpec::bpf(
                2,
                crate::handle::INGRESS,
                BpfAttach::program(fd, "x.o:[classifier]".into()).with_direct_action(true),
            ),
        )
        .unwrap();
        let text = describe(&request);
        assert!(text.starts_with("RTM_NEWTFILTER len 88 flags 0x605 (REQUEST|ACK|EXCL|CREATE)"));
        assert!(text.contains("parent 0xfffffff2"));
        assert!(text.contains(&format!("    TCA_BPF_FD {}\n", fd.as_raw_fd())));
        assert!(text.contains("    TCA_BPF_NAME \"x.o:[classifier]\"\n"));
        assert!(text.contains("    TCA_BPF_FLAGS 0x1\n"));
    }

    #[test]
    fn survives_garbage() {
        for len in 0..40 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let _ = describe(&junk);
        }
    }
}
