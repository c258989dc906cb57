//! `rtc net`: bpftool's `net attach|detach|show|list`, with tcx (ordering, revisions)
//! and bpf links (`link pin PATH`) on top. The work is done by netlink-tc's `tcx`
//! and `bpf_link` modules (bpf(2)) and its netlink XDP and filter dumps; this module
//! parses (see `net_args`), picks the program, and prints.
//!
//! `net show` prints bpftool 7.1's sections (`xdp:`, `tc:`, `flow_dissector:`) byte
//! for byte, text and `-j`, with the tcx chains in the `tc:` section as newer
//! bpftool prints them (`dev(N) tcx/ingress NAME prog_id ID link_id L `), in run
//! order. Beyond bpftool: an XDP program owned by a bpf link gets ` link_id L`;
//! with `-d`, XDP lines get the program's ` name N`, cls_bpf lines ` pref P handle
//! 0xH`, and tcx lines end with the chain's `revision N ` (the number
//! `expected_revision` compares with).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;

use bpf_sys::consts::prog_type;
use bpf_sys::{Anchor, Placement, ProgFd};
use elf_loader::{LoadOptions, Object, ProgType};
use netlink_tc::hook::{HookError, check_pin_path};
use netlink_tc::tcx::{self, TcxDirection, TcxRequest};
use netlink_tc::{
    FilterDumpSpec, LinkXdp, XdpAttached, XdpExpect, XdpMode, XdpSpec, bpf_link, handle,
};

use super::map_args::error;
use super::net_args::{AttachArgs, DetachArgs, NetCommand, NetHook, Position, usage_text};
use super::prog_lookup::prog_summary;
use super::prog_ref::{ObjectProg, ProgRef, object_kind, open_one, open_pin};
use super::sections::{kernel_has_netkit, meaning};
use crate::device;
use crate::error::{CliError, CliResult, tc_text};
use crate::object::{ProgramRequest, load_program_with};
use crate::session::Session;
use crate::show::json::JsonWriter;

/// Runs a `net` command (the words after `net`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    match NetCommand::parse(words)? {
        NetCommand::Show { dev } => show(session, dev.as_deref()),
        NetCommand::Attach(args) => attach(session, &args).and_then(|()| json_null(session)),
        NetCommand::Detach(args) => detach(session, &args).and_then(|()| json_null(session)),
        NetCommand::Help => Err(CliError::help(usage_text())),
    }
}

/// bpftool's answer to a successful attach or detach with `-j`: `null`.
fn json_null(session: &Session) -> CliResult<()> {
    if session.options.json {
        crate::output::print("null\n")?;
    }
    Ok(())
}

/// A kernel refusal as one clear line (exit 2); pin-path problems exit 1.
pub fn hook_error(e: &HookError) -> CliError {
    match e {
        HookError::PinExists(_) | HookError::NotBpffs(_) | HookError::WrongProgramType { .. } => {
            CliError::failed(format!("Error: {e}"))
        }
        // The context already names the command; the errno as the C library says it.
        HookError::Bpf { context, source } => CliError::kernel(format!(
            "Error: {context}: {}",
            super::prog_ref::describe_errno(source)
        )),
        _ => CliError::kernel(format!("Error: {e}")),
    }
}

/// The device's index, or bpftool's complaint.
fn ifindex(dev: &str) -> CliResult<u32> {
    device::ifindex(dev).map_err(|_| CliError::failed(format!("Error: invalid devname {dev}")))
}

/// The program to attach, kept open until the kernel has answered.
struct Chosen {
    fd: ProgFd,
    /// tcx: the direction the section name implies.
    direction: Option<TcxDirection>,
}

fn attach(session: &mut Session, args: &AttachArgs) -> CliResult<()> {
    let index = ifindex(&args.dev)?;
    session.narrate(&format!(
        "device {} has interface index {index} (if_nametoindex)",
        args.dev
    ));
    if let Some(path) = &args.link_pin {
        check_pin_path(Path::new(path)).map_err(|e| hook_error(&e))?;
    }
    let chosen = choose_program(session, args)?;
    match args.hook {
        NetHook::Xdp(mode) => attach_xdp(session, args, index, mode, chosen.fd.as_fd()),
        NetHook::Tcx(direction) => {
            let direction = match (direction, chosen.direction) {
                (Some(said), Some(section)) if said != section => {
                    return Err(CliError::failed(format!(
                        "Error: the program's section is for {}, not {}",
                        section.name(),
                        said.name()
                    )));
                }
                (Some(d), _) | (None, Some(d)) => d,
                (None, None) => {
                    return Err(CliError::failed(
                        "Error: the section name does not say ingress or egress; \
                         use tcx_ingress or tcx_egress",
                    ));
                }
            };
            attach_tcx(session, args, index, direction, chosen.fd.as_fd())
        }
    }
}

fn attach_tcx(
    session: &mut Session,
    args: &AttachArgs,
    index: u32,
    direction: TcxDirection,
    prog: BorrowedFd<'_>,
) -> CliResult<()> {
    let placement = match &args.position {
        Position::Default => Placement::Default,
        Position::First => Placement::First,
        Position::Last => Placement::Last,
        Position::Before(p) => Placement::Before(anchor(p)?),
        Position::After(p) => Placement::After(anchor(p)?),
    };
    let replaced = match &args.replace {
        Some(p @ (ProgRef::Name(_) | ProgRef::Tag(_))) => Some(in_chain(index, direction, p)?),
        Some(p) => Some(open_one(p)?),
        None => None,
    };
    let req = TcxRequest::new(index, direction, prog)
        .with_placement(placement)
        .with_expected_revision(args.expected_revision.unwrap_or(0))
        .with_replace(replaced.as_ref().map(|r| r.fd.as_fd()));
    let observer = session.hook_observer();
    let result = match &args.link_pin {
        None => tcx::attach(&req, observer).map(drop),
        Some(path) => tcx::attach_link(&req, observer)
            .and_then(|link| bpf_link::pin(link.as_fd(), Path::new(path))),
    };
    result.map_err(|e| hook_error(&e))
}

fn attach_xdp(
    session: &mut Session,
    args: &AttachArgs,
    index: u32,
    mode: XdpMode,
    prog: BorrowedFd<'_>,
) -> CliResult<()> {
    if let Some(path) = &args.link_pin {
        let link = bpf_link::attach_xdp(index, prog, mode, session.hook_observer())
            .map_err(|e| with_owner(hook_error(&e), index, &args.dev))?;
        return bpf_link::pin(link.as_fd(), Path::new(path)).map_err(|e| hook_error(&e));
    }
    let info = bpf_sys::prog_info(prog).map_err(|e| {
        error(format!(
            "can't get prog info: {}",
            super::prog_ref::describe_errno(&e)
        ))
    })?;
    if info.prog_type != prog_type::XDP {
        return Err(CliError::failed(format!(
            "Error: program id {} is of type {}, but {} runs xdp programs",
            info.id,
            prog_type::name(info.prog_type).unwrap_or("unknown"),
            args.hook.name()
        )));
    }
    let replaced = args.replace.as_ref().map(open_one).transpose()?;
    let mut spec = XdpSpec::new(index, Some(prog), mode).with_force(args.overwrite);
    if let Some(replaced) = &replaced {
        spec = spec.with_expected(XdpExpect::Program(replaced.fd.as_fd()));
    }
    session.netlink()?.set_xdp(&spec).map(drop).map_err(|e| {
        with_owner(
            CliError::kernel(format!(
                "Error: interface {} attach failed: {}",
                args.hook.name(),
                tc_text(&e)
            )),
            index,
            &args.dev,
        )
    })
}

/// The program or link a `before`/`after` names, by id (a pinned link anchors by
/// its link id, so the program it holds is meant).
fn anchor(p: &ProgRef) -> CliResult<Anchor<'static>> {
    match p {
        ProgRef::Id(id) => Ok(Anchor::ProgId(*id)),
        ProgRef::Pinned(path) => {
            let fd = open_pin(path)?;
            match object_kind(&fd) {
                "prog" => bpf_sys::prog_info(fd.as_fd())
                    .map(|i| Anchor::ProgId(i.id))
                    .map_err(|e| error(format!("{path}: {e}"))),
                "link" => bpf_sys::link_info(fd.as_fd())
                    .map(|i| Anchor::LinkId(i.id))
                    .map_err(|e| error(format!("{path}: {e}"))),
                kind => Err(error(format!(
                    "{path} is a {kind}, neither a program nor a link"
                ))),
            }
        }
        other => Ok(Anchor::ProgId(open_one(other)?.info.id)),
    }
}

fn with_owner(err: CliError, index: u32, dev: &str) -> CliError {
    super::bpflink::with_xdp_owner(err, index, dev)
}

/// Loads or opens the program `args` names.
fn choose_program(session: &mut Session, args: &AttachArgs) -> CliResult<Chosen> {
    let obj = match &args.prog {
        ProgRef::Object(obj) => obj,
        other => {
            let prog = open_one(other)?;
            return Ok(Chosen {
                fd: prog.fd,
                direction: None,
            });
        }
    };
    let object = session.object(&obj.file)?;
    let section = pick_section(&object, obj, args.hook)?;
    let m = meaning(&section);
    if m.netkit {
        return Err(CliError::failed(if kernel_has_netkit() {
            format!(
                "Error: section {section} is for a netkit device; rtc does not attach netkit programs"
            )
        } else {
            format!(
                "Error: section {section} is for a netkit device, and this kernel has no netkit"
            )
        }));
    }
    if !m.for_device {
        return Err(CliError::failed(format!(
            "Error: section {section} holds a program for a {} entry (expected attach type {}); \
             it runs from that map, not on a device",
            if m.expected_attach_type == bpf_sys::consts::attach_type::XDP_DEVMAP {
                "devmap"
            } else {
                "cpumap"
            },
            bpf_sys::consts::attach_type::name(m.expected_attach_type).unwrap_or("?")
        )));
    }
    let wanted = match args.hook {
        NetHook::Xdp(_) => ProgType::XDP,
        NetHook::Tcx(_) => ProgType::SCHED_CLS,
    };
    if let Some(found) = m.prog_type.filter(|t| *t != wanted.raw()) {
        return Err(CliError::failed(format!(
            "Error: section {section} holds a {} program, but {} runs {} programs",
            prog_type::name(found).unwrap_or("?"),
            args.hook.name(),
            wanted
        )));
    }
    let options = LoadOptions::new(wanted)
        .with_prog_flags(m.prog_flags)
        .with_expected_attach_type(m.expected_attach_type);
    let loaded = load_program_with(
        &object,
        &ProgramRequest {
            file: &obj.file,
            section: &section,
            function: obj.program.as_deref(),
            prog_type: wanted,
            verbose: obj.verbose,
        },
        options,
        session.loader_observer(),
    )?;
    Ok(Chosen {
        fd: loaded.fd,
        direction: m.direction,
    })
}

/// The section to load: `sec S`, else the one program whose section fits the hook,
/// else the object's only program.
fn pick_section(object: &Object, obj: &ObjectProg, hook: NetHook) -> CliResult<String> {
    if let Some(section) = &obj.section {
        return Ok(section.clone());
    }
    let programs = object.programs();
    let fits = |section: &str| {
        let m = meaning(section);
        match hook {
            NetHook::Xdp(_) => m.prog_type == Some(prog_type::XDP) && m.for_device,
            NetHook::Tcx(d) => {
                m.prog_type == Some(prog_type::SCHED_CLS)
                    && !m.netkit
                    && (d.is_none() || m.direction.is_none() || m.direction == d)
            }
        }
    };
    let fitting: Vec<&str> = programs
        .iter()
        .map(|p| p.section.as_str())
        .filter(|s| fits(s))
        .collect();
    match (fitting.as_slice(), programs) {
        ([one], _) => Ok(one.to_string()),
        ([], [only]) => Ok(only.section.clone()),
        _ => {
            let all: Vec<&str> = programs.iter().map(|p| p.section.as_str()).collect();
            Err(CliError::failed(format!(
                "Error: {}: say which section to load with \"sec S\" (sections: {})",
                obj.file,
                all.join(", ")
            )))
        }
    }
}

fn detach(session: &mut Session, args: &DetachArgs) -> CliResult<()> {
    let index = ifindex(&args.dev)?;
    match args.hook {
        NetHook::Xdp(mode) => {
            let spec = XdpSpec::new(index, None, mode);
            session.netlink()?.set_xdp(&spec).map(drop).map_err(|e| {
                with_owner(
                    CliError::kernel(format!(
                        "Error: interface {} detach failed: {}",
                        args.hook.name(),
                        tc_text(&e)
                    )),
                    index,
                    &args.dev,
                )
            })
        }
        NetHook::Tcx(direction) => {
            let Some(direction) = direction else {
                return Err(error("detach needs tcx_ingress or tcx_egress"));
            };
            let prog = match &args.prog {
                Some(p @ (ProgRef::Name(_) | ProgRef::Tag(_))) => {
                    Some(in_chain(index, direction, p)?)
                }
                Some(p) => Some(open_one(p)?),
                None => None,
            };
            let result = tcx::detach(
                index,
                direction,
                prog.as_ref().map(|p| p.fd.as_fd()),
                args.expected_revision.unwrap_or(0),
                session.hook_observer(),
            );
            result.map_err(|e| {
                let mut err = hook_error(&e);
                if let (HookError::OwnedByLink { .. }, Some(p)) = (&e, &prog) {
                    let link = tcx::query(index, direction).ok().and_then(|chain| {
                        chain
                            .entries
                            .iter()
                            .find(|entry| entry.prog_id == p.info.id)
                            .map(|entry| entry.link_id)
                    });
                    if let Some(link) = link {
                        err.message.push_str(&format!(
                            "\nprogram id {} is held by bpf link id {link}: \
                             \"rtc bpflink detach id {link}\", or remove the link's pin",
                            p.info.id
                        ));
                    }
                }
                err
            })
        }
    }
}

/// The one program of the chain that `name` or `tag` names (other programs of that
/// name elsewhere do not count).
fn in_chain(
    index: u32,
    direction: TcxDirection,
    prog: &ProgRef,
) -> CliResult<super::prog_ref::OpenProg> {
    let chain = tcx::query(index, direction).map_err(|e| hook_error(&e))?;
    let mut found: Vec<super::prog_ref::OpenProg> = Vec::new();
    for entry in &chain.entries {
        let Ok(mut open) = open_one(&ProgRef::Id(entry.prog_id)) else {
            continue;
        };
        let hit = match prog {
            ProgRef::Name(name) => open.info.name == *name,
            ProgRef::Tag(tag) => open.info.tag == *tag,
            _ => false,
        };
        if hit {
            open.info.id = entry.prog_id;
            found.push(open);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(error(format!(
            "no program in the {} chain matches {}",
            direction.name(),
            prog.describe()
        ))),
        _ => Err(error(format!(
            "several programs in the {} chain match {}; name one by id",
            direction.name(),
            prog.describe()
        ))),
    }
}

/// A device as `net show` lists it.
struct Device {
    ifindex: u32,
    name: String,
    xdp: LinkXdp,
}

fn show(session: &mut Session, dev: Option<&str>) -> CliResult<()> {
    let filter = dev.map(ifindex).transpose()?;
    let (json, pretty) = (session.options.json, session.options.pretty);
    let details = session.options.details > 0;
    let flow_dissector = flow_dissector_id();
    let netlink = session.netlink()?;
    let dump = netlink
        .dump(netlink_tc::link::encode_link_dump())
        .map_err(|e| CliError::failed(format!("Error: {}", tc_text(&e))))?;
    let mut devices = Vec::new();
    for item in &dump.items {
        let Ok(message) = netlink_tc::message::Message::parse(item) else {
            continue;
        };
        // A deleted link (RTM_DELLINK) is not one to list.
        let Ok(link) = netlink_tc::link::decode_link(&message) else {
            continue;
        };
        if link.deleted || filter.is_some_and(|f| f != link.ifindex) {
            continue;
        }
        devices.push(Device {
            ifindex: link.ifindex,
            name: link.name.unwrap_or_default(),
            xdp: link.xdp,
        });
    }
    let xdp_links: Vec<bpf_sys::LinkInfo> = bpf_link::list()
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.link_type == bpf_sys::consts::link_type::XDP)
        .collect();
    let mut out = Listing::new(json, pretty);
    out.details = details;
    out.start_section("xdp");
    for device in &devices {
        let link = xdp_links
            .iter()
            .find(|l| l.ifindex == Some(device.ifindex))
            .map(|l| l.id);
        out.xdp(device, link);
    }
    out.end_section();
    out.start_section("tc");
    for device in &devices {
        for direction in [TcxDirection::Ingress, TcxDirection::Egress] {
            let Ok(chain) = tcx::query(device.ifindex, direction) else {
                continue;
            };
            for entry in &chain.entries {
                let name = prog_summary(entry.prog_id).map(|prog| prog.name);
                let revision = details.then_some(chain.revision);
                out.tcx(
                    device,
                    direction,
                    name.as_deref(),
                    (entry.prog_id, entry.link_id),
                    revision,
                );
            }
        }
        classic_filters(netlink, device, &mut out);
    }
    out.end_section();
    out.start_section("flow_dissector");
    if let Some(id) = flow_dissector {
        out.flow_dissector(id);
    }
    out.end_section();
    crate::output::print(&out.finish())
}

/// The cls_bpf filters of a device, in bpftool's order: under each qdisc that has a
/// handle (not clsact), then under root, clsact/ingress and clsact/egress. As
/// bpftool, the first dump the kernel refuses ends the device's list.
fn classic_filters(netlink: &mut netlink_tc::Netlink, device: &Device, out: &mut Listing) {
    let mut parents: Vec<(u32, String)> = match netlink.qdiscs(device.ifindex) {
        Ok(dump) => dump
            .items
            .iter()
            .filter(|q| q.ifindex == device.ifindex && q.kind != "clsact" && q.handle != 0)
            .map(|q| (q.handle, q.kind.clone()))
            .collect(),
        Err(_) => return,
    };
    parents.push((handle::ROOT, "root".into()));
    parents.push((handle::INGRESS, "clsact/ingress".into()));
    parents.push((handle::EGRESS, "clsact/egress".into()));
    for (parent, kind) in parents {
        let Ok(dump) = netlink.filters(&FilterDumpSpec::new(device.ifindex, parent)) else {
            return;
        };
        for filter in &dump.items {
            if filter.kind.as_deref() != Some("bpf") {
                continue;
            }
            if let Some(bpf) = filter.bpf() {
                let place = (filter.pref(), filter.handle);
                out.tc(device, &kind, bpf.name.as_deref(), bpf.id, place);
            }
        }
    }
}

/// The flow dissector program of this network namespace, if any.
fn flow_dissector_id() -> Option<u32> {
    let ns = std::fs::File::open("/proc/self/ns/net").ok()?;
    let chain = bpf_sys::prog_query(ns.as_raw_fd() as u32, 17).ok()?;
    chain.entries.first().map(|e| e.prog_id)
}

/// `net show` output in bpftool's text or JSON layout.
struct Listing {
    text: String,
    json: Option<JsonWriter>,
    /// `-d`: program names on XDP lines, pref and handle on cls_bpf lines, the
    /// revision on tcx lines (none of which bpftool prints).
    details: bool,
}

impl Listing {
    fn new(json: bool, pretty: bool) -> Self {
        let mut writer = json.then(|| JsonWriter::bpftool(pretty));
        if let Some(w) = &mut writer {
            w.start_array();
            w.start_object();
        }
        Listing {
            text: String::new(),
            json: writer,
            details: false,
        }
    }

    fn start_section(&mut self, name: &str) {
        match &mut self.json {
            Some(w) => {
                w.name(name);
                w.start_array();
            }
            None => {
                self.text.push_str(name);
                self.text.push_str(":\n");
            }
        }
    }

    fn end_section(&mut self) {
        match &mut self.json {
            Some(w) => w.end_array(),
            None => self.text.push('\n'),
        }
    }

    fn device_head(&mut self, device: &Device) {
        match &mut self.json {
            Some(w) => {
                w.start_object();
                if !device.name.is_empty() {
                    w.string_field("devname", &device.name);
                }
                w.uint_field("ifindex", device.ifindex.into());
            }
            None => self
                .text
                .push_str(&format!("{}({})", device.name, device.ifindex)),
        }
    }

    fn end_entry(&mut self) {
        match &mut self.json {
            Some(w) => w.end_object(),
            None => self.text.push('\n'),
        }
    }

    fn mode_id(&mut self, mode: &str, id: u32, own_object: bool) {
        match &mut self.json {
            Some(w) => {
                if own_object {
                    w.start_object();
                }
                w.string_field("mode", mode);
                w.uint_field("id", id.into());
                if own_object {
                    w.end_object();
                }
            }
            None => self.text.push_str(&format!(" {mode} id {id}")),
        }
    }

    fn xdp(&mut self, device: &Device, link: Option<u32>) {
        let xdp = &device.xdp;
        let modes: Vec<(&str, Option<u32>)> = match xdp.attached {
            XdpAttached::None | XdpAttached::Other(_) => return,
            XdpAttached::Multi => vec![
                ("generic", xdp.skb_prog_id),
                ("driver", xdp.drv_prog_id),
                ("offload", xdp.hw_prog_id),
            ],
            XdpAttached::Driver => vec![("driver", xdp.prog_id)],
            XdpAttached::Generic => vec![("generic", xdp.prog_id)],
            XdpAttached::Offload => vec![("offload", xdp.prog_id)],
        };
        let multi = xdp.attached == XdpAttached::Multi;
        self.device_head(device);
        if multi && let Some(w) = &mut self.json {
            w.name("multi_attachments");
            w.start_array();
        }
        for (mode, id) in modes {
            if let Some(id) = id {
                self.mode_id(mode, id, multi);
            }
        }
        if multi && let Some(w) = &mut self.json {
            w.end_array();
        }
        if let Some(link) = link {
            match &mut self.json {
                Some(w) => w.uint_field("link_id", link.into()),
                None => self.text.push_str(&format!(" link_id {link}")),
            }
        }
        let name = xdp
            .prog_id
            .filter(|_| self.details && !multi)
            .and_then(prog_summary)
            .map(|prog| prog.name);
        if let Some(name) = name {
            match &mut self.json {
                Some(w) => w.string_field("name", &name),
                None => self.text.push_str(&format!(" name {name}")),
            }
        }
        self.end_entry();
    }

    fn tcx(
        &mut self,
        device: &Device,
        direction: TcxDirection,
        name: Option<&str>,
        (prog_id, link_id): (u32, u32),
        revision: Option<u64>,
    ) {
        self.device_head(device);
        match &mut self.json {
            Some(w) => {
                w.string_field("kind", direction.kind());
                if let Some(name) = name {
                    w.string_field("name", name);
                }
                w.uint_field("prog_id", prog_id.into());
                w.name("prog_flags");
                w.start_array();
                w.end_array();
                w.uint_field("link_id", link_id.into());
                w.name("link_flags");
                w.start_array();
                w.end_array();
                if let Some(revision) = revision {
                    w.uint_field("revision", revision);
                }
            }
            None => {
                self.text.push_str(&format!(" {}", direction.kind()));
                if let Some(name) = name {
                    self.text.push_str(&format!(" {name}"));
                }
                self.text.push_str(&format!(" prog_id {prog_id} "));
                if link_id != 0 {
                    self.text.push_str(&format!("link_id {link_id} "));
                }
                if let Some(revision) = revision {
                    self.text.push_str(&format!("revision {revision} "));
                }
            }
        }
        self.end_entry();
    }

    fn tc(
        &mut self,
        device: &Device,
        kind: &str,
        name: Option<&str>,
        id: Option<u32>,
        (pref, handle): (u16, u32),
    ) {
        let details = self.details;
        self.device_head(device);
        match &mut self.json {
            Some(w) => {
                w.string_field("kind", kind);
                if let Some(name) = name {
                    w.string_field("name", name);
                }
                if let Some(id) = id {
                    w.uint_field("id", id.into());
                }
                if details {
                    w.uint_field("pref", pref.into());
                    w.string_field("handle", &format!("{handle:#x}"));
                }
            }
            None => {
                self.text.push_str(&format!(" {kind}"));
                if let Some(name) = name {
                    self.text.push_str(&format!(" {name}"));
                }
                if let Some(id) = id {
                    self.text.push_str(&format!(" id {id}"));
                }
                if details {
                    self.text
                        .push_str(&format!(" pref {pref} handle {handle:#x}"));
                }
            }
        }
        self.end_entry();
    }

    fn flow_dissector(&mut self, id: u32) {
        match &mut self.json {
            Some(w) => w.uint_field("id", id.into()),
            None => self.text.push_str(&format!("id {id}")),
        }
    }

    fn finish(self) -> String {
        match self.json {
            Some(mut w) => {
                w.end_object();
                w.end_array();
                w.finish()
            }
            None => self.text,
        }
    }
}
