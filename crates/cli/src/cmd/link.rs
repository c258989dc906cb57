//! `link set dev DEV {xdp|xdpgeneric|xdpdrv|xdpoffload} {obj F | pinned P | off}` and
//! `link show [dev DEV]`: ip's XDP commands.
//!
//! `set` loads (or opens) the program first, as ip does, then finds the device and
//! sends ip's `RTM_NEWLINK` request. A refusal leaves the attached program alone.
//!
//! Beyond ip: with `-force`, rtc does not overwrite blindly. It reads which program
//! is attached at the hook, opens it, and sends `XDP_FLAGS_REPLACE` with
//! `IFLA_XDP_EXPECTED_FD` (fd -1 when nothing is attached), so that a program
//! attached by someone else in the meantime is not replaced and the user is told
//! (netlink-tc's `xdp_replace` does the work; this module words the outcome).
//! `link show` decodes with netlink-tc's `link` module and prints with
//! `show/link.rs`. For tests, `RTC_XDP_EXPECTED_ID=N` makes rtc expect program N (0: none) instead of
//! the one it reads, which is how a stale expectation is produced on purpose.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use netlink_tc::{LinkInfo, XdpCurrent, XdpMode, XdpReplaceError, XdpSpec};

use super::link_args::{LinkCommand, SetArgs, ShowArgs, XdpAction};
use super::link_lookup::SystemLookup;
use crate::device;
use crate::error::{CliError, CliResult, EXIT_USAGE, tc_text};
use crate::object::{ProgramRequest, load_program_with};
use crate::session::Session;
use crate::show::link::render_links_detailed;

/// ip's default section for `xdp obj FILE` without `sec`.
const DEFAULT_SECTION: &str = "prog";
/// Where `m:NAME` pinned paths point below the bpffs (ip's work directory for XDP).
const XDP_PIN_SUBDIR: &str = "xdp";
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
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Program::Loaded(loaded) => loaded.fd.as_fd(),
            Program::Pinned(fd) => fd.as_fd(),
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
    let force = session.options.force;
    if let (true, Some(program)) = (force, &program) {
        // -force replacing a program: expect the one attached now (see module docs).
        let current = expected(session, ifindex, xdp.mode)?;
        session.narrate(&match current.id() {
            Some(id) => format!(
                "-force: program id {id} is attached at that hook; replace only it \
                 (XDP_FLAGS_REPLACE, IFLA_XDP_EXPECTED_FD = fd {})",
                current.expect().raw_fd()
            ),
            None => "-force: nothing is attached at that hook; attach only if that is still \
                     so (XDP_FLAGS_REPLACE, IFLA_XDP_EXPECTED_FD = -1)"
                .to_string(),
        });
        return match session.netlink()?.replace_xdp(&current, program.fd()) {
            Ok(_) => Ok(()),
            Err(XdpReplaceError::Changed {
                expected,
                now,
                source,
            }) => Err(changed_meanwhile(&source, &args.dev, expected, now)),
            Err(XdpReplaceError::Refused(error)) => Err(super::bpflink::with_xdp_owner(
                CliError::kernel(tc_text(&error)),
                ifindex,
                &args.dev,
            )),
            Err(other) => Err(replace_error(&other)),
        };
    }
    let spec = XdpSpec::new(ifindex, program.as_ref().map(Program::fd), xdp.mode).with_force(force);
    match session.netlink()?.set_xdp(&spec) {
        Ok(_) if spec.fd.is_none() => super::bpflink::after_xdp_off(ifindex, &args.dev),
        Ok(_) => Ok(()),
        Err(error) => Err(super::bpflink::with_xdp_owner(
            CliError::kernel(tc_text(&error)),
            ifindex,
            &args.dev,
        )),
    }
}

/// What `-force` expects at the hook: what is attached now, or what the test hook
/// `RTC_XDP_EXPECTED_ID` names.
fn expected(session: &mut Session, ifindex: u32, mode: XdpMode) -> CliResult<XdpCurrent> {
    let netlink = session.netlink()?;
    let current = match std::env::var(EXPECTED_ID_ENV) {
        Ok(text) => {
            let id: u32 = text.trim().parse().map_err(|_| {
                CliError::usage(format!("{EXPECTED_ID_ENV}={text}: not a program id"))
            })?;
            XdpCurrent::expect_id(netlink, ifindex, mode, Some(id))
        }
        Err(_) => XdpCurrent::read(netlink, ifindex, mode),
    };
    current.map_err(|e| replace_error(&e))
}

/// A failure to read or open what `-force` expects, in rtc's words.
fn replace_error(error: &XdpReplaceError) -> CliError {
    match error {
        XdpReplaceError::Read { source, .. } => CliError::kernel(tc_text(source)),
        XdpReplaceError::Open { id, source } => CliError::failed(format!(
            "Cannot open the attached XDP program (id {id}) to replace it safely: {source}"
        )),
        other => CliError::kernel(other.to_string()),
    }
}

/// The kernel's refusal of a stale `-force` replacement, and what happened (exit 2).
fn changed_meanwhile(
    error: &netlink_tc::Error,
    dev: &str,
    expected: Option<u32>,
    now: Option<u32>,
) -> CliError {
    let describe = |id: Option<u32>| id.map_or("none".to_string(), |id| format!("id {id}"));
    CliError::kernel(format!(
        "{}\nThe XDP program on \"{dev}\" changed while rtc was replacing it \
         (expected {}, attached now: {}); nothing was replaced.",
        tc_text(error),
        describe(expected),
        describe(now)
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

fn show(session: &mut Session, args: &ShowArgs) -> CliResult<()> {
    let details = (
        session.options.details > 0,
        session.options.stats.min(2) as u8,
    );
    let (json, pretty) = (session.options.json, session.options.pretty);
    let netlink = session.netlink()?;
    let links: Vec<LinkInfo> = match &args.dev {
        Some(dev) => {
            let ifindex = rtc_loader::Device::named(dev)
                .map_err(|_| CliError::failed(format!("Device \"{dev}\" does not exist.")))?
                .ifindex();
            vec![netlink.link(ifindex).map_err(|e| match e {
                netlink_tc::Error::Decode(e) => malformed(&e),
                e => CliError::failed(tc_text(&e)),
            })?]
        }
        None => {
            let dump = netlink.links().map_err(|e| match e {
                netlink_tc::Error::Decode(e) => malformed(&e),
                e => CliError::failed(format!("{}\nDump terminated", tc_text(&e))),
            })?;
            crate::output::report_interrupted_dump(dump.interrupted);
            dump.items
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

fn malformed(error: &netlink_tc::DecodeError) -> CliError {
    CliError::failed(format!("malformed link message: {error}"))
}
