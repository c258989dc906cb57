//! `rtc prog`: bpftool's program commands, so that a program can be loaded once and
//! attached many times by pin or id:
//!
//! ```text
//! rtc prog { show | list } [PROG]            PROG := { id N | pinned P | name N | tag T }
//! rtc prog pin PROG FILE
//! rtc prog load OBJ PATH [type TYPE] [sec SECTION] [pinmaps DIR]
//! rtc prog loadall OBJ DIR [type TYPE] [pinmaps DIR]
//! rtc prog run PROG { pcap FILE | data_in FILE | hex BYTES } [hook tc|xdp] ...
//! ```
//!
//! `run` lives in [`super::prog_run`].
//!
//! `show` prints what bpftool 7.1 prints, text and `-j`. That build of bpftool has no
//! BPF skeletons, so it never prints the `pids` of processes holding a program, and
//! neither does rtc; the pinned paths bpftool prints with `-f` are left out. `load` loads one program (the one of `sec`, else the object's first) and
//! pins it at PATH; `loadall` pins every program at `DIR/NAME`. The program type
//! comes from `type`, else from the section name (`xdp`, `xdp.frags`,
//! `tcx/ingress`, `tc`, `classifier`, ...).

use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};

use bpf_sys::consts::prog_type;
use elf_loader::{LoadOptions, LoadedProgram, Object, ProgType};

use super::map_args::{error, is_prefix};
use super::prog_ref::{OpenProg, ProgRef, every_prog, open_progs};
use super::sections::meaning;
use crate::error::{CliError, CliResult};
use crate::object::{ProgramRequest, load_program_with};
use crate::session::Session;
use crate::show::json::JsonWriter;
use crate::words::Words;
use bpf_sys::hex;

/// The usage text.
pub fn usage_text() -> &'static str {
    "Usage: rtc prog { show | list } [PROG]\n\
     \x20      rtc prog pin   PROG FILE\n\
     \x20      rtc prog { load | loadall } OBJ PATH [type TYPE] [sec SECTION] [pinmaps DIR]\n\
     \x20      rtc prog run   PROG { pcap FILE | data_in FILE | hex \"BYTES\" } [hook { tc | xdp }]\n\
     \x20                     [repeat N] [data_out FILE] [ctx_in FILE]\n\
     \x20      rtc prog help\n\
     \n\
     \x20      PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n\
     \x20              (run also takes obj FILE [sec S] [program P] [verbose])\n\
     \x20      TYPE := { sched_cls | xdp | classifier | tc | tcx/ingress | tcx/egress |\n\
     \x20                xdp.frags | ... (a program type or a section name) }"
}

/// Runs a `prog` command (the words after `prog`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let mut w = Words::new(words);
    let verb = w.next_word().unwrap_or("show");
    if is_prefix(verb, "show") || is_prefix(verb, "list") {
        let prog = match w.peek() {
            None => None,
            Some(_) => Some(ProgRef::parse(&mut w, false)?),
        };
        if let Some(extra) = w.next_word() {
            return Err(error(format!("unexpected '{extra}'")));
        }
        show(session, prog.as_ref())
    } else if verb == "pin" {
        let prog = ProgRef::parse(&mut w, false)?;
        let path = w.next_word().ok_or_else(|| error("expected a pin path"))?;
        let open = super::prog_ref::open_one(&prog)?;
        pin(open.fd.as_fd(), Path::new(path))
    } else if verb == "run" {
        super::prog_run::run(session, &mut w)
    } else if verb == "loadall" {
        load(session, &mut w, true)
    } else if is_prefix(verb, "load") {
        load(session, &mut w, false)
    } else if is_prefix(verb, "help") {
        Err(CliError::help(usage_text()))
    } else {
        Err(CliError::usage(format!(
            "Error: unknown prog command '{verb}'\n{}",
            usage_text()
        )))
    }
}

/// Pins an fd, refusing a taken path or one outside a bpffs before the kernel does.
fn pin(fd: std::os::fd::BorrowedFd<'_>, path: &Path) -> CliResult<()> {
    netlink_tc::hook::check_pin_path(path).map_err(|e| CliError::failed(format!("Error: {e}")))?;
    bpf_sys::obj_pin(fd, path).map_err(|e| {
        CliError::failed(format!(
            "Error: can't pin the object ({}): {}",
            path.display(),
            super::prog_ref::describe_errno(&e)
        ))
    })
}

fn show(session: &mut Session, prog: Option<&ProgRef>) -> CliResult<()> {
    let progs = match prog {
        Some(p) => open_progs(p)?,
        None => every_prog(|_| true)?,
    };
    if prog.is_some() && progs.is_empty() {
        return Err(error(format!(
            "no program matches {}",
            prog.map(ProgRef::describe).unwrap_or_default()
        )));
    }
    let text = if session.options.json || session.options.pretty {
        let mut w = JsonWriter::bpftool(session.options.pretty);
        let array = prog.is_none() || progs.len() > 1;
        if array {
            w.start_array();
        }
        for p in &progs {
            json_prog(&mut w, p);
        }
        if array {
            w.end_array();
        }
        w.finish()
    } else {
        progs.iter().map(text_prog).collect()
    };
    crate::output::print(&text)
}

/// bpftool's `get_fdinfo(fd, "memlock")`.
fn memlock(p: &OpenProg) -> Option<String> {
    let fdinfo = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", p.fd.as_raw_fd())).ok()?;
    let line = fdinfo.lines().find(|l| l.contains("memlock"))?;
    line.split_once('\t').map(|(_, v)| v.trim().to_string())
}

/// A program's load time as bpftool prints it: `2026-12-06T07:30:58+0000` in text,
/// seconds since the epoch in JSON.
fn loaded_at(load_time: u64, json: bool) -> String {
    let Some((secs, nsecs)) = bpf_sys::sysinfo::boot_to_realtime_offset() else {
        return (load_time / 1_000_000_000).to_string();
    };
    let since_boot = i64::try_from(load_time).unwrap_or(i64::MAX);
    let wall = secs.saturating_add(nsecs.saturating_add(since_boot) / 1_000_000_000);
    if json {
        return wall.to_string();
    }
    match bpf_sys::sysinfo::local_time(wall) {
        Some(t) => {
            let sign = if t.utc_offset < 0 { '-' } else { '+' };
            let off = t.utc_offset.abs();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}{:02}",
                t.year,
                t.month,
                t.day,
                t.hour,
                t.minute,
                t.second,
                off / 3600,
                off % 3600 / 60
            )
        }
        None => (load_time / 1_000_000_000).to_string(),
    }
}

fn type_name(kind: u32) -> Option<&'static str> {
    prog_type::name(kind)
}

/// One program as `bpftool prog show` prints it.
fn text_prog(p: &OpenProg) -> String {
    let i = &p.info;
    let mut out = format!("{}: ", i.id);
    match type_name(i.prog_type) {
        Some(name) => out.push_str(&format!("{name}  ")),
        None => out.push_str(&format!("type {}  ", i.prog_type)),
    }
    if !i.name.is_empty() {
        out.push_str(&format!("name {}  ", i.name));
    }
    out.push_str(&format!("tag {}", hex(&i.tag)));
    if i.gpl_compatible {
        out.push_str("  gpl");
    }
    if i.run_time_ns != 0 {
        out.push_str(&format!(
            " run_time_ns {} run_cnt {}",
            i.run_time_ns, i.run_cnt
        ));
    }
    if i.recursion_misses != 0 {
        out.push_str(&format!(" recursion_misses {}", i.recursion_misses));
    }
    out.push('\n');
    if i.load_time != 0 {
        out.push_str(&format!(
            "\tloaded_at {}  uid {}\n",
            loaded_at(i.load_time, false),
            i.created_by_uid
        ));
    }
    out.push_str(&format!("\txlated {}B", i.xlated_prog_len));
    if i.jited_prog_len != 0 {
        out.push_str(&format!("  jited {}B", i.jited_prog_len));
    } else {
        out.push_str("  not jited");
    }
    if let Some(memlock) = memlock(p) {
        out.push_str(&format!("  memlock {memlock}B"));
    }
    if !i.map_ids.is_empty() {
        let ids: Vec<String> = i.map_ids.iter().map(u32::to_string).collect();
        out.push_str(&format!("  map_ids {}", ids.join(",")));
    }
    if i.btf_id != 0 {
        out.push_str(&format!("\n\tbtf_id {}", i.btf_id));
    }
    out.push('\n');
    out
}

fn json_prog(w: &mut JsonWriter, p: &OpenProg) {
    let i = &p.info;
    w.start_object();
    w.uint_field("id", i.id.into());
    match type_name(i.prog_type) {
        Some(name) => w.string_field("type", name),
        None => w.uint_field("type", i.prog_type.into()),
    }
    if !i.name.is_empty() {
        w.string_field("name", &i.name);
    }
    w.string_field("tag", &hex(&i.tag));
    w.name("gpl_compatible");
    w.bool(i.gpl_compatible);
    if i.run_time_ns != 0 {
        w.uint_field("run_time_ns", i.run_time_ns);
        w.uint_field("run_cnt", i.run_cnt);
    }
    if i.recursion_misses != 0 {
        w.uint_field("recursion_misses", i.recursion_misses);
    }
    if i.load_time != 0 {
        w.name("loaded_at");
        w.literal(&loaded_at(i.load_time, true));
        w.uint_field("uid", i.created_by_uid.into());
    }
    w.uint_field("bytes_xlated", i.xlated_prog_len.into());
    w.name("jited");
    w.bool(i.jited_prog_len != 0);
    if i.jited_prog_len != 0 {
        w.uint_field("bytes_jited", i.jited_prog_len.into());
    }
    if let Some(memlock) = memlock(p).and_then(|m| m.parse::<u64>().ok()) {
        w.uint_field("bytes_memlock", memlock);
    }
    if !i.map_ids.is_empty() {
        w.name("map_ids");
        w.start_array();
        for id in &i.map_ids {
            w.uint(u64::from(*id));
        }
        w.end_array();
    }
    if i.btf_id != 0 {
        w.uint_field("btf_id", i.btf_id.into());
    }
    w.end_object();
}

/// The program type a `type` word names: a kernel name (`sched_cls`) or a section
/// name (`xdp.frags`, `tcx/ingress`); with the load options the section implies.
fn type_word(word: &str) -> Option<LoadOptions> {
    if let Some(kind) = ProgType::from_name(word) {
        return Some(LoadOptions::new(kind));
    }
    let m = meaning(word);
    let kind = ProgType::from_raw(m.prog_type?)?;
    let options = LoadOptions::new(kind)
        .with_prog_flags(m.prog_flags)
        .with_expected_attach_type(m.expected_attach_type);
    Some(options)
}

fn load(session: &mut Session, w: &mut Words<'_>, all: bool) -> CliResult<()> {
    let file = w
        .next_word()
        .ok_or_else(|| error("expected an object file"))?;
    let path = w
        .next_word()
        .ok_or_else(|| error("expected a pin path"))?
        .to_string();
    let (mut kind, mut section, mut pinmaps) = (None, None, None);
    while let Some(word) = w.next_word() {
        let value = w
            .next_word()
            .ok_or_else(|| error(format!("expected a value after '{word}'")))?;
        match word {
            "type" => {
                kind = Some(
                    type_word(value)
                        .ok_or_else(|| error(format!("unknown program type {value}")))?,
                )
            }
            "sec" | "section" if !all => section = Some(value.to_string()),
            "pinmaps" => pinmaps = Some(PathBuf::from(value)),
            other => return Err(error(format!("unexpected '{other}'"))),
        }
    }
    let object = session.object(file)?;
    let sections: Vec<(String, String)> = match (&section, all) {
        (Some(s), _) => vec![(s.clone(), String::new())],
        (None, false) => object
            .programs()
            .first()
            .map(|p| vec![(p.section.clone(), p.name.clone())])
            .ok_or_else(|| CliError::failed(format!("Error: {file}: no program")))?,
        (None, true) => object
            .programs()
            .iter()
            .map(|p| (p.section.clone(), p.name.clone()))
            .collect(),
    };
    // Check every pin path before loading or pinning anything.
    let targets: Vec<PathBuf> = if all {
        sections
            .iter()
            .map(|(_, name)| Path::new(&path).join(name))
            .collect()
    } else {
        vec![PathBuf::from(&path)]
    };
    if all {
        std::fs::create_dir_all(&path)
            .map_err(|e| CliError::failed(format!("Error: can't create directory {path}: {e}")))?;
    }
    for target in &targets {
        netlink_tc::hook::check_pin_path(target)
            .map_err(|e| CliError::failed(format!("Error: {e}")))?;
    }
    let mut loaded = Vec::new();
    for (sec, function) in &sections {
        let function = (!function.is_empty()).then_some(function.as_str());
        loaded.push(load_one(
            session,
            &object,
            file,
            sec,
            function,
            kind.as_ref(),
        )?);
    }
    for (prog, target) in loaded.iter().zip(&targets) {
        pin(prog.fd.as_fd(), target)?;
    }
    if let Some(dir) = pinmaps {
        pin_maps(&loaded, &dir)?;
    }
    Ok(())
}

fn load_one(
    session: &mut Session,
    object: &Object,
    file: &str,
    section: &str,
    function: Option<&str>,
    kind: Option<&LoadOptions>,
) -> CliResult<LoadedProgram> {
    let options = match kind {
        Some(o) => o.clone(),
        None => type_word(section).ok_or_else(|| {
            CliError::failed(format!(
                "Error: cannot tell the program type of section {section}; add \"type sched_cls\" or \"type xdp\""
            ))
        })?,
    };
    load_program_with(
        object,
        &ProgramRequest {
            file,
            section,
            function,
            prog_type: options.prog_type,
            verbose: false,
        },
        options,
        session.loader_observer(),
    )
}

/// `pinmaps DIR`: every map of the loaded programs at `DIR/NAME` (global data under
/// the kernel's name, `obj.rodata`), once each.
fn pin_maps(loaded: &[LoadedProgram], dir: &Path) -> CliResult<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::failed(format!(
            "Error: can't create directory {}: {e}",
            dir.display()
        ))
    })?;
    let mut done = std::collections::HashSet::new();
    for map in loaded.iter().flat_map(|l| &l.maps) {
        let name = if map.name.starts_with('.') {
            &map.kernel_name
        } else {
            &map.name
        };
        if !done.insert(name.clone()) {
            continue;
        }
        pin(map.fd.as_fd(), &dir.join(name))?;
    }
    Ok(())
}
