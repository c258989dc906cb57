//! `link set dev DEV {xdp|xdpgeneric|xdpdrv|xdpoffload} {obj F | pinned P | off}` and
//! `link show [dev DEV]`: ip's XDP commands.
//!
//! `set` loads (or opens) the program first, as ip does, then finds the device and
//! sends ip's `RTM_NEWLINK` request. A refusal leaves the attached program alone.
//!
//! Beyond ip: with `-force`, rtc does not overwrite blindly. It reads which program
//! is attached at the hook, opens it, and sends `XDP_FLAGS_REPLACE` with
//! `IFLA_XDP_EXPECTED_FD` (fd -1 when nothing is attached), so that a program
//! attached by someone else in the meantime is not replaced and the user is told.
//! For tests, `RTC_XDP_EXPECTED_ID=N` makes rtc expect program N (0: none) instead of
//! the one it reads, which is how a stale expectation is produced on purpose.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use netlink_tc::message::{IfInfoMsg, MessageBuilder, NLM_F_DUMP, NLM_F_REQUEST, RTM_GETLINK};
use netlink_tc::xdp::{EXT_MASK_IP_LINK_SHOW, IFLA_EXT_MASK, encode_link_get};
use netlink_tc::{LinkXdp, Netlink, XdpAttached, XdpMode, XdpSpec};

use super::link_args::{LinkCommand, SetArgs, ShowArgs, XdpAction};
use super::link_lookup::SystemLookup;
use crate::device;
use crate::error::{CliError, CliResult, EXIT_USAGE, tc_text};
use crate::object::{ProgramRequest, load_program_with};
use crate::session::Session;
use crate::show::link::{LinkEntry, decode_link, render_links_detailed};

/// ip's default section for `xdp obj FILE` without `sec`.
const DEFAULT_SECTION: &str = "prog";
/// Where `m:NAME` pinned paths point below the bpffs (ip's work directory for XDP).
const XDP_PIN_SUBDIR: &str = "xdp";
/// `AF_PACKET`: the family `ip link show` dumps with.
const AF_PACKET: u8 = 17;
/// The test hook that overrides the program `-force` expects (see the module docs).
const EXPECTED_ID_ENV: &str = "RTC_XDP_EXPECTED_ID";

/// Runs a `link` command (the words after `link`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    match LinkCommand::parse(words)? {
        LinkCommand::Set(args) => set(session, &args),
        LinkCommand::Show(args) => show(session, &args),
    }
}

/// The program to attach: loaded from an object or opened from a pin; kept open
/// until the kernel has answered.
enum Program {
    Loaded(elf_loader::LoadedProgram),
    Pinned(OwnedFd),
}

impl Program {
    fn raw_fd(&self) -> i32 {
        match self {
            Program::Loaded(loaded) => loaded.fd.as_fd().as_raw_fd(),
            Program::Pinned(fd) => fd.as_raw_fd(),
        }
    }
}

fn set(session: &mut Session, args: &SetArgs) -> CliResult<()> {
    let Some(xdp) = &args.xdp else {
        // `ip link set dev X` with nothing to change succeeds once X exists.
        device::ifindex(&args.dev)?;
        return Ok(());
    };
    let program = match &xdp.action {
        XdpAction::Off => None,
        XdpAction::Pinned(path) => Some(Program::Pinned(open_pinned(path)?)),
        XdpAction::Object(_) if xdp.mode == XdpMode::Offload => {
            return Err(CliError::usage(
                "xdpoffload obj: loading a program for a device (offload) is not supported by rtc yet; load and pin it, then use \"xdpoffload pinned PATH\".",
            ));
        }
        XdpAction::Object(source) => {
            let object = session.object(&source.file).map_err(ip_exit)?;
            let named = match (&source.section, &source.program) {
                // `program P` without `sec`: found by name in any section, as libbpf does.
                (None, Some(function)) => {
                    Some(super::filter::section_of(&object, function).ok_or_else(|| {
                        ip_exit(CliError::failed(format!(
                            "object file doesn't contain prog {function}"
                        )))
                    })?)
                }
                _ => None,
            };
            let section = named
                .as_deref()
                .or(source.section.as_deref())
                .unwrap_or(DEFAULT_SECTION);
            let loaded = load_program_with(
                &object,
                &ProgramRequest {
                    file: &source.file,
                    section,
                    function: source.program.as_deref(),
                    prog_type: elf_loader::ProgType::XDP,
                    verbose: source.verbose,
                },
                super::sections::xdp_load_options(section),
                session.loader_observer(),
            )
            .map_err(ip_exit)?;
            Some(Program::Loaded(loaded))
        }
    };
    let ifindex = device::ifindex(&args.dev)?;
    session.narrate(&format!(
        "device {} has interface index {ifindex} (if_nametoindex)",
        args.dev
    ));
    let mut spec = XdpSpec::new(ifindex, program.as_ref().map(Program::raw_fd), xdp.mode);
    spec.force = session.options.force;
    // -force replacing a program: expect the one attached now (see module docs).
    let expected = if spec.force && program.is_some() {
        let expected = Expected::read(session.netlink()?, ifindex, xdp.mode)?;
        spec.expected_fd = Some(expected.raw_fd());
        session.narrate(&match expected.id {
            Some(id) => format!(
                "-force: program id {id} is attached at that hook; replace only it \
                 (XDP_FLAGS_REPLACE, IFLA_XDP_EXPECTED_FD = fd {})",
                expected.raw_fd()
            ),
            None => "-force: nothing is attached at that hook; attach only if that is still \
                     so (XDP_FLAGS_REPLACE, IFLA_XDP_EXPECTED_FD = -1)"
                .to_string(),
        });
        Some(expected)
    } else {
        None
    };
    let netlink = session.netlink()?;
    let error = match netlink.set_xdp(&spec) {
        Ok(_) if spec.fd.is_none() => return super::bpflink::after_xdp_off(ifindex, &args.dev),
        Ok(_) => return Ok(()),
        Err(error) => error,
    };
    let Some(expected) = expected.filter(|_| is_mismatch(&error)) else {
        return Err(super::bpflink::with_xdp_owner(
            CliError::kernel(tc_text(&error)),
            ifindex,
            &args.dev,
        ));
    };
    let now = netlink.link_xdp(ifindex).ok();
    if now.as_ref() == Some(&expected.before)
        && !expected.overridden
        && xdp.mode == XdpMode::Any
        && expected.id.is_some()
    {
        // Nothing changed: without a mode word the kernel chose the driver hook,
        // which is empty (the program rtc read is generic). Expect nothing there,
        // so that the kernel names what stands in the way, as it does for ip.
        spec.expected_fd = Some(-1);
        return match netlink.set_xdp(&spec) {
            Ok(_) => Ok(()),
            Err(error) if is_mismatch(&error) => {
                let now = netlink.link_xdp(ifindex).ok();
                Err(changed_meanwhile(
                    &error,
                    &args.dev,
                    None,
                    now.as_ref(),
                    XdpMode::Driver,
                ))
            }
            Err(error) => Err(CliError::kernel(tc_text(&error))),
        };
    }
    Err(changed_meanwhile(
        &error,
        &args.dev,
        expected.id,
        now.as_ref(),
        xdp.mode,
    ))
}

/// Whether the kernel refused because the attached program is not the expected one.
fn is_mismatch(error: &netlink_tc::Error) -> bool {
    error.errno() == Some(nix::errno::Errno::EEXIST as i32)
        && error
            .kernel()
            .and_then(|k| k.message.as_deref())
            .is_some_and(|m| m.contains("does not match expected"))
}

/// The kernel's refusal of a stale `-force` replacement, and what happened (exit 2).
fn changed_meanwhile(
    error: &netlink_tc::Error,
    dev: &str,
    expected: Option<u32>,
    now: Option<&LinkXdp>,
    mode: XdpMode,
) -> CliError {
    let describe = |id: Option<u32>| id.map_or("none".to_string(), |id| format!("id {id}"));
    let now_id = now.and_then(|link| attached_at(link, mode));
    CliError::kernel(format!(
        "{}\nThe XDP program on \"{dev}\" changed while rtc was replacing it \
         (expected {}, attached now: {}); nothing was replaced.",
        tc_text(error),
        describe(expected),
        describe(now_id)
    ))
}

/// ip exits at once with -1 when the program cannot be loaded or opened.
fn ip_exit(err: CliError) -> CliError {
    CliError {
        code: EXIT_USAGE,
        exits_at_once: true,
        ..err
    }
}

/// Opens a pinned program (`m:NAME` means ip's XDP directory in the bpffs: under
/// `$TC_BPF_MNT` if set, as for ip, else `/sys/fs/bpf`).
fn open_pinned(path: &str) -> CliResult<OwnedFd> {
    let full = match path.strip_prefix("m:") {
        Some(rest) if !rest.is_empty() => crate::object::tc_bpffs()
            .join(XDP_PIN_SUBDIR)
            .join(crate::args::to_path(rest)),
        _ => crate::args::to_path(path),
    };
    bpf_sys::obj_get(&full).map_err(|e| {
        let reason = e
            .raw_os_error()
            .map(netlink_tc::error::strerror)
            .unwrap_or_else(|| e.to_string());
        CliError::usage_exit(format!(
            "Couldn't retrieve pinned program '{path}': {reason}"
        ))
    })
}

/// The program `-force` expects to replace: its id as read (`None`: nothing
/// attached) and an fd to it.
struct Expected {
    id: Option<u32>,
    fd: Option<bpf_sys::ProgFd>,
    /// The link's XDP state when it was read.
    before: LinkXdp,
    /// Whether the test hook chose `id` instead of the kernel's answer.
    overridden: bool,
}

impl Expected {
    /// Reads what is attached at `mode`'s hook now and opens it.
    fn read(netlink: &mut Netlink, ifindex: u32, mode: XdpMode) -> CliResult<Expected> {
        let before = netlink
            .link_xdp(ifindex)
            .map_err(|e| CliError::kernel(tc_text(&e)))?;
        let overridden = std::env::var_os(EXPECTED_ID_ENV).is_some();
        let id = match std::env::var(EXPECTED_ID_ENV) {
            Ok(text) => {
                let id: u32 = text.trim().parse().map_err(|_| {
                    CliError::usage(format!("{EXPECTED_ID_ENV}={text}: not a program id"))
                })?;
                (id != 0).then_some(id)
            }
            Err(_) => attached_at(&before, mode),
        };
        let fd = match id {
            Some(id) => Some(bpf_sys::prog_get_fd_by_id(id).map_err(|e| {
                CliError::failed(format!(
                    "Cannot open the attached XDP program (id {id}) to replace it safely: {e}"
                ))
            })?),
            None => None,
        };
        Ok(Expected {
            id,
            fd,
            before,
            overridden,
        })
    }

    /// The `IFLA_XDP_EXPECTED_FD` value: the program's fd, or -1 for "nothing".
    fn raw_fd(&self) -> i32 {
        self.fd.as_ref().map_or(-1, |fd| fd.as_fd().as_raw_fd())
    }
}

/// The program the kernel will compare with when `mode` is set: the one at that
/// hook. Without a mode word the kernel picks the driver hook on devices that have
/// one, else generic; rtc expects the driver program if there is one, else the
/// generic one.
fn attached_at(link: &LinkXdp, mode: XdpMode) -> Option<u32> {
    let only = |kind: XdpAttached| {
        if link.attached == kind {
            link.prog_id
        } else {
            None
        }
    };
    let driver = link.drv_prog_id.or_else(|| only(XdpAttached::Driver));
    let generic = link.skb_prog_id.or_else(|| only(XdpAttached::Generic));
    let offload = link.hw_prog_id.or_else(|| only(XdpAttached::Offload));
    match mode {
        XdpMode::Driver => driver,
        XdpMode::Generic => generic,
        XdpMode::Offload => offload,
        XdpMode::Any => driver.or(generic),
    }
    .filter(|&id| id != 0)
}

fn show(session: &mut Session, args: &ShowArgs) -> CliResult<()> {
    let details = (
        session.options.details > 0,
        session.options.stats.min(2) as u8,
    );
    let (json, pretty) = (session.options.json, session.options.pretty);
    let netlink = session.netlink()?;
    let links = match &args.dev {
        Some(dev) => {
            let ifindex = rtc_loader::Device::named(dev)
                .map_err(|_| CliError::failed(format!("Device \"{dev}\" does not exist.")))?
                .ifindex();
            let answer = netlink
                .answered(encode_link_get(ifindex))
                .map_err(|e| CliError::failed(tc_text(&e)))?;
            vec![decode(&answer)?]
        }
        None => {
            let dump = netlink
                .dump(encode_link_dump())
                .map_err(|e| CliError::failed(format!("{}\nDump terminated", tc_text(&e))))?;
            crate::output::report_interrupted_dump(dump.interrupted);
            let mut links = Vec::new();
            for item in &dump.items {
                links.push(decode(item)?);
            }
            links
        }
    };
    let text = render_links_detailed(
        &links,
        args.up,
        json,
        pretty,
        details,
        &mut SystemLookup::new(netlink),
    );
    crate::output::print(&text)
}

fn decode(message: &[u8]) -> CliResult<LinkEntry> {
    decode_link(message).map_err(|e| CliError::failed(format!("malformed link message: {e}")))
}

/// The dump `ip link show` sends: every link, family `AF_PACKET`.
pub(crate) fn encode_link_dump() -> Vec<u8> {
    let mut b = MessageBuilder::new(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
    b.push_fixed(
        &IfInfoMsg {
            family: AF_PACKET,
            ..IfInfoMsg::default()
        }
        .encode(),
    );
    b.attr_u32(IFLA_EXT_MASK, EXT_MASK_IP_LINK_SHOW);
    // Fixed-size content cannot overflow the length fields.
    b.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_program_is_the_one_at_the_hook() {
        let generic_only = LinkXdp {
            attached: XdpAttached::Generic,
            prog_id: Some(7),
            skb_prog_id: Some(7),
            ..LinkXdp::default()
        };
        assert_eq!(attached_at(&generic_only, XdpMode::Generic), Some(7));
        assert_eq!(attached_at(&generic_only, XdpMode::Driver), None);
        assert_eq!(attached_at(&generic_only, XdpMode::Any), Some(7));
        let both = LinkXdp {
            attached: XdpAttached::Multi,
            prog_id: None,
            skb_prog_id: Some(7),
            drv_prog_id: Some(9),
            ..LinkXdp::default()
        };
        assert_eq!(attached_at(&both, XdpMode::Any), Some(9));
        assert_eq!(attached_at(&both, XdpMode::Generic), Some(7));
        // An older kernel reports only IFLA_XDP_PROG_ID with the mode.
        let old_driver = LinkXdp {
            attached: XdpAttached::Driver,
            prog_id: Some(3),
            ..LinkXdp::default()
        };
        assert_eq!(attached_at(&old_driver, XdpMode::Driver), Some(3));
        assert_eq!(attached_at(&LinkXdp::default(), XdpMode::Any), None);
    }

    #[test]
    fn the_dump_request_asks_for_every_link() {
        let request = encode_link_dump();
        assert_eq!(u16::from_ne_bytes([request[4], request[5]]), RTM_GETLINK);
        assert_eq!(
            u16::from_ne_bytes([request[6], request[7]]),
            NLM_F_REQUEST | NLM_F_DUMP
        );
        assert_eq!(request[16], AF_PACKET);
    }
}
