//! `rtc bpflink { show | list } [LINK]`, `rtc bpflink pin LINK PATH`,
//! `rtc bpflink detach LINK` with `LINK := { id N | pinned PATH }`: bpftool's `link`
//! commands, under another name because `rtc link` is ip's (`ip link`).
//!
//! `show` prints bpftool's layout: `ID: TYPE  prog PROG_ID  ` then a detail line
//! (`ifindex DEV(N)` for XDP; `ifindex DEV(N)  attach_type tcx_ingress` for tcx), and
//! `pinned PATH` lines are not printed (rtc does not walk bpffs).

use std::os::fd::AsFd;
use std::path::Path;

use bpf_sys::LinkInfo;
use bpf_sys::consts::{attach_type, link_type};
use netlink_tc::bpf_link;

use super::map_args::{error, is_prefix, parse_c_number};
use super::prog_ref::{describe_errno, object_kind, open_pin};
use crate::error::{CliError, CliResult};
use crate::session::Session;
use crate::show::json::JsonWriter;
use crate::words::Words;

/// How a command names a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRef {
    /// `id N`.
    Id(u32),
    /// `pinned PATH`.
    Pinned(String),
}

fn parse_link(words: &mut Words<'_>) -> CliResult<LinkRef> {
    let (Some(kind), Some(value)) = (words.next_word(), words.next_word()) else {
        return Err(error("expected LINK: id N or pinned PATH"));
    };
    if is_prefix(kind, "id") {
        parse_c_number(value, 0)
            .and_then(|n| u32::try_from(n).ok())
            .map(LinkRef::Id)
            .ok_or_else(|| error(format!("can't parse {value} as ID")))
    } else if is_prefix(kind, "pinned") {
        Ok(LinkRef::Pinned(value.to_string()))
    } else {
        Err(error(format!("expected 'id' or 'pinned', got: '{kind}'?")))
    }
}

fn open(link: &LinkRef) -> CliResult<bpf_sys::LinkFd> {
    match link {
        LinkRef::Id(id) => bpf_sys::link_get_fd_by_id(*id).map_err(|e| {
            error(format!(
                "failed to get link by id ({id}): {}",
                describe_errno(&e)
            ))
        }),
        LinkRef::Pinned(path) => {
            let fd = open_pin(path)?;
            match object_kind(&fd) {
                "link" => Ok(bpf_sys::LinkFd::from(fd)),
                kind => Err(error(format!("incorrect object type: {kind}"))),
            }
        }
    }
}

/// The usage text.
pub fn usage_text() -> &'static str {
    "Usage: rtc bpflink { show | list }   [LINK]\n\
     \x20      rtc bpflink pin        LINK  FILE\n\
     \x20      rtc bpflink detach     LINK\n\
     \x20      rtc bpflink help\n\
     \n\
     \x20      LINK := { id LINK_ID | pinned FILE }\n\
     \n\
     bpftool's \"link\" commands (\"rtc link\" is ip's)."
}

/// Runs a `bpflink` command (the words after `bpflink`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let mut w = Words::new(words);
    let verb = w.next_word().unwrap_or("show");
    if is_prefix(verb, "show") || is_prefix(verb, "list") {
        let link = match w.peek() {
            None => None,
            Some(_) => Some(parse_link(&mut w)?),
        };
        show(session, link.as_ref())
    } else if is_prefix(verb, "pin") {
        let link = parse_link(&mut w)?;
        let path = w.next_word().ok_or_else(|| error("expected a pin path"))?;
        let fd = open(&link)?;
        bpf_link::pin(fd.as_fd(), Path::new(path)).map_err(|e| super::net::hook_error(&e))
    } else if is_prefix(verb, "detach") {
        let link = parse_link(&mut w)?;
        let fd = open(&link)?;
        bpf_link::detach(fd.as_fd(), session.hook_observer())
            .map_err(|e| super::net::hook_error(&e))
    } else if is_prefix(verb, "help") {
        Err(CliError::help(usage_text()))
    } else {
        Err(CliError::usage(format!(
            "Error: unknown bpflink command '{verb}'\n{}",
            usage_text()
        )))
    }
}

fn show(session: &mut Session, link: Option<&LinkRef>) -> CliResult<()> {
    let links = match link {
        Some(l) => {
            let fd = open(l)?;
            vec![
                bpf_sys::link_info(fd.as_fd())
                    .map_err(|e| error(format!("can't get link info: {}", describe_errno(&e))))?,
            ]
        }
        None => bpf_link::list().map_err(|e| error(e.to_string()))?,
    };
    let (json, pretty) = (session.options.json, session.options.pretty);
    let text = if json {
        let mut w = JsonWriter::bpftool(pretty);
        if link.is_none() {
            w.start_array();
        }
        for info in &links {
            json_link(&mut w, info);
        }
        if link.is_none() {
            w.end_array();
        }
        w.finish()
    } else {
        links.iter().map(text_link).collect()
    };
    crate::output::print(&text)
}

/// bpftool's device words: `NAME(N)`, `(detached)` for index 0, `(unknown)`.
fn device(ifindex: u32) -> String {
    if ifindex == 0 {
        return "(detached)".into();
    }
    match crate::device::name(ifindex) {
        Some(name) => format!("{name}({ifindex})"),
        None => "(unknown)".into(),
    }
}

/// One link as bpftool prints it in text.
fn text_link(info: &LinkInfo) -> String {
    let mut out = format!("{}: ", info.id);
    match link_type::name(info.link_type) {
        Some(name) => out.push_str(&format!("{name}  ")),
        None => out.push_str(&format!("type {}  ", info.link_type)),
    }
    out.push_str(&format!("prog {}  ", info.prog_id));
    if let Some(ifindex) = info.ifindex {
        out.push_str(&format!("\n\tifindex {}  ", device(ifindex)));
        if let Some(at) = info.attach_type {
            match attach_type::name(at) {
                Some(name) => out.push_str(&format!("attach_type {name}  ")),
                None => out.push_str(&format!("attach_type {at}  ")),
            }
        }
    }
    out.push('\n');
    out
}

fn json_link(w: &mut JsonWriter, info: &LinkInfo) {
    w.start_object();
    w.uint_field("id", info.id.into());
    match link_type::name(info.link_type) {
        Some(name) => w.string_field("type", name),
        None => w.uint_field("type", info.link_type.into()),
    }
    w.uint_field("prog_id", info.prog_id.into());
    if let Some(ifindex) = info.ifindex {
        let name = match ifindex {
            0 => "(detached)".to_string(),
            _ => crate::device::name(ifindex).unwrap_or_else(|| "(unknown)".into()),
        };
        w.string_field("devname", &name);
        w.uint_field("ifindex", ifindex.into());
    }
    if let Some(at) = info.attach_type {
        match attach_type::name(at) {
            Some(name) => w.string_field("attach_type", name),
            None => w.uint_field("attach_type", at.into()),
        }
    }
    w.end_object();
}

/// When a bpf link owns the XDP program of `dev`: who, and how to remove it. Netlink
/// (`ip link set ... xdp off`, `net detach xdp`) cannot touch such a program.
pub fn xdp_owner_hint(ifindex: u32, dev: &str) -> Option<String> {
    let link = bpf_link::xdp_link_of(ifindex).ok()??;
    Some(format!(
        "The XDP program on \"{dev}\" (id {}) is owned by bpf link id {}; remove it with \
         \"rtc bpflink detach id {}\", or by removing the link's pin (rtc bpflink show id {})",
        link.prog_id, link.id, link.id, link.id
    ))
}

/// Adds who owns the XDP program of `dev` to a refusal, when a bpf link does.
pub fn with_xdp_owner(mut err: CliError, ifindex: u32, dev: &str) -> CliError {
    if let Some(hint) = xdp_owner_hint(ifindex, dev) {
        err.message.push('\n');
        err.message.push_str(&hint);
    }
    err
}

/// After a successful `xdp off`: if a link-owned program is still on the device (the
/// kernel chose another hook, which was empty), say so and fail.
pub fn after_xdp_off(ifindex: u32, dev: &str) -> CliResult<()> {
    match xdp_owner_hint(ifindex, dev) {
        Some(hint) => Err(CliError::kernel(format!(
            "Error: an XDP program is still attached.\n{hint}"
        ))),
        None => Ok(()),
    }
}
