//! `exec bpf graft MAP [key K] obj F [type cls|act|xdp] [sec S] [verbose]` and
//! `exec bpf dbg`: tc's BPF helpers outside a filter (`e_bpf.c`).
//!
//! `graft` loads one program and puts it into a slot of a pinned program array,
//! the slot given by `key` or read from an iproute2 tail-call section name `ID/KEY`.
//! `dbg` streams the kernel's trace pipe (`bpf_printk` output) to stderr.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;

use bpf_sys::ProgType;

use super::filter_args::ObjectSource;
use crate::error::{CliError, CliResult, EXIT_USAGE};
use crate::object::{ProgramRequest, load_program};
use crate::session::Session;
use crate::values::parse_u32;
use crate::words::{Words, matches};

/// `tc exec help`.
const EXEC_USAGE: &str = "Usage: tc exec [ EXEC_TYPE ] [ help | OPTIONS ]\n\
                          Where:\n\
                          EXEC_TYPE := { bpf | etc. }\n\
                          OPTIONS := ... try tc exec <desired EXEC_KIND> help";

/// `tc exec bpf help` (`e_bpf.c`'s `explain`).
const BPF_USAGE: &str = concat!(
    "Usage: ... bpf [ import UDS_FILE ] [ run CMD ]\n",
    "       ... bpf [ debug ]\n",
    "       ... bpf [ graft MAP_FILE ] [ key KEY ]\n",
    "          `... [ object-file OBJ_FILE ] [ type TYPE ] [ section NAME ] [ verbose ]\n",
    "          `... [ object-pinned PROG_FILE ]\n",
    "\n",
    "Where UDS_FILE provides the name of a unix domain socket file\n",
    "to import eBPF maps and the optional CMD denotes the command\n",
    "to be executed (default: '/bin/sh').\n",
    "Where MAP_FILE points to a pinned map, OBJ_FILE to an object file\n",
    "and PROG_FILE to a pinned program. TYPE can be {cls, act}, where\n",
    "'cls' is default. KEY is optional and can be inferred from the\n",
    "section name, otherwise it needs to be provided.",
);

/// tc's exit code for a failure it returns as `-errno`.
fn errno_exit(errno: i32) -> i32 {
    (256 - errno.clamp(1, 255)) & 0xFF
}

/// Runs an `exec` command (the words after `exec`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let Some((kind, rest)) = words.split_first() else {
        return Err(CliError::usage("No command given, try \"tc exec help\"."));
    };
    if matches(kind, "help") {
        return Err(CliError::help(EXEC_USAGE));
    }
    // tc looks an unknown exec kind up as a plugin and, finding none, does nothing.
    if kind != "bpf" || rest.is_empty() {
        return Ok(());
    }
    let mut w = Words::new(rest);
    let word = w.next_word().unwrap_or_default();
    if matches(word, "debug") || matches(word, "dbg") {
        debug()
    } else if matches(word, "graft") {
        graft(session, &mut w)
    } else if matches(word, "import") || matches(word, "run") {
        Err(CliError::usage(format!(
            "\"{word}\": handing maps over a UNIX socket is not supported by rtc."
        )))
    } else {
        Err(CliError::usage(BPF_USAGE))
    }
}

/// What `graft` reads after the map.
struct GraftArgs {
    map: String,
    key: Option<u32>,
    source: ObjectSource,
    prog_type: ProgType,
}

fn parse_graft(w: &mut Words<'_>) -> CliResult<GraftArgs> {
    let map = w.value()?.to_string();
    let mut mode = w.value()?;
    let mut key = None;
    if matches(mode, "key") {
        let value = w.value()?;
        key = Some(parse_u32(value).ok_or_else(|| CliError::usage_exit("Illegal \"key\""))?);
        mode = w.value()?;
    }
    let file = matches(mode, "object-file") || mode == "obj";
    let pinned =
        !file && (matches(mode, "object-pinned") || matches(mode, "pinned") || matches(mode, "fd"));
    if !(file || pinned) {
        return Err(CliError::usage(format!("What mode is \"{mode}\"?")));
    }
    let mut source = ObjectSource {
        file: w.value()?.to_string(),
        section: None,
        program: None,
        verbose: false,
        pinned,
    };
    let mut prog_type = ProgType::SCHED_CLS;
    if w.peek().is_some_and(|x| matches(x, "type")) {
        w.next_word();
        let name = w.value()?;
        prog_type = match name {
            "cls" => ProgType::SCHED_CLS,
            "act" => ProgType::SCHED_ACT,
            "xdp" => ProgType::XDP,
            other => {
                return Err(CliError::usage(format!("What type is \"{other}\"?")));
            }
        };
    }
    if w.peek().is_some_and(|x| matches(x, "section")) {
        w.next_word();
        source.section = Some(w.value()?.to_string());
    }
    if w.peek().is_some_and(|x| matches(x, "verbose")) {
        w.next_word();
        source.verbose = true;
    }
    // Like tc, words after these are not read.
    Ok(GraftArgs {
        map,
        key,
        source,
        prog_type,
    })
}

/// The key an iproute2 tail-call section name `ID/KEY` gives (`1/0` -> 0).
fn key_from_section(section: &str) -> Option<u32> {
    let (id, key) = section.split_once('/')?;
    parse_u32(id)?;
    parse_u32(key)
}

/// tc's default section for a program type.
fn default_section(prog_type: ProgType) -> &'static str {
    match prog_type {
        ProgType::SCHED_ACT => "action",
        ProgType::XDP => "prog",
        _ => "classifier",
    }
}

fn graft(session: &mut Session, w: &mut Words<'_>) -> CliResult<()> {
    let args = parse_graft(w)?;
    let section = args
        .source
        .section
        .clone()
        .unwrap_or_else(|| default_section(args.prog_type).to_string());
    // The program first, as tc: its errors come before the map's.
    let program: OwnedFd = if args.source.pinned {
        open(&args.source.file, "program").map_err(|e| with_code(e, EXIT_USAGE))?
    } else {
        // tc returns a failed open as -1 and a missing section as -ENOENT.
        let object = session
            .object(&args.source.file)
            .map_err(|e| with_code(e, EXIT_USAGE))?;
        if !object.programs().iter().any(|p| p.section == section) {
            return Err(with_code(
                CliError::failed(format!("object file doesn't contain sec {section}")),
                errno_exit(2),
            ));
        }
        let loaded = load_program(
            &object,
            &ProgramRequest {
                file: &args.source.file,
                section: &section,
                function: None,
                prog_type: args.prog_type,
                verbose: args.source.verbose,
            },
            session.loader_observer(),
        )?;
        loaded.fd.into_owned()
    };
    let map = open(&args.map, "map").map_err(|e| with_code(e, EXIT_USAGE))?;
    let key = match args.key {
        Some(key) => key,
        None => key_from_section(&section)
            .filter(|_| !args.source.pinned)
            .ok_or_else(|| {
                with_code(
                    CliError::failed(
                        "Couldn't infer map key from section name! Please provide 'key' argument!",
                    ),
                    errno_exit(22),
                )
            })?,
    };
    let value = (program.as_raw_fd() as u32).to_ne_bytes();
    bpf_sys::map_update_elem(map.as_fd(), &key.to_ne_bytes(), &value, 0).map_err(|e| {
        CliError::usage(format!(
            "Map update failed: {}",
            super::prog_ref::describe_errno(&e)
        ))
    })
}

/// `err` with exit code `code`.
fn with_code(err: CliError, code: i32) -> CliError {
    CliError { code, ..err }
}

/// Opens a pinned `what` ("map" or "program") with tc's complaint.
fn open(path: &str, what: &str) -> CliResult<OwnedFd> {
    bpf_sys::obj_get(&crate::args::to_path(path)).map_err(|e| {
        let reason = e
            .raw_os_error()
            .map(netlink_tc::error::strerror)
            .unwrap_or_else(|| e.to_string());
        CliError::usage(format!(
            "Couldn't retrieve pinned {what} '{path}': {reason}"
        ))
    })
}

/// Where tracefs is mounted, from /proc/mounts.
fn tracefs() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (_, dir, kind) = (fields.next()?, fields.next()?, fields.next()?);
        (kind == "tracefs").then(|| PathBuf::from(dir.replace("\\040", " ")))
    })
}

/// `exec bpf dbg`: copies the trace pipe to stderr until it ends or rtc is stopped.
fn debug() -> CliResult<()> {
    let no_pipe =
        |first: &str| CliError::usage(format!("{first}No trace pipe, tracefs not mounted?"));
    let Some(dir) = tracefs() else {
        return Err(no_pipe("tracefs not mounted?\n"));
    };
    let pipe = std::fs::File::open(dir.join("trace_pipe")).map_err(|_| no_pipe(""))?;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(b"Running! Hang up with ^C!\n\n");
    let _ = err.flush();
    for line in BufReader::new(pipe).lines() {
        let Ok(line) = line else { break };
        if writeln!(err, "{line}").and_then(|()| err.flush()).is_err() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_tail_call_sections() {
        assert_eq!(key_from_section("1/0"), Some(0));
        assert_eq!(key_from_section("2/0x10"), Some(16));
        assert_eq!(key_from_section("ingress"), None);
        assert_eq!(key_from_section("tc/ingress"), None);
        assert_eq!(errno_exit(22), 234);
    }
}
