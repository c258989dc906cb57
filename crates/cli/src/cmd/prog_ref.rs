//! bpftool's `PROG` words, shared by `net`, `prog` and `bpflink`:
//! `id N | pinned PATH | name NAME | tag TAG`, and for attaching also
//! `obj FILE [sec S] [program P] [verbose]` (loaded on the spot), then opening
//! what they name.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

use bpf_sys::{ProgFd, ProgInfo, hex};

use super::map_args::{error, is_prefix, parse_c_number};
use crate::error::{CliError, CliResult};
use crate::words::Words;

/// How a command names an already loaded program, or an object to load one from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgRef {
    /// `id N`.
    Id(u32),
    /// `pinned PATH`.
    Pinned(String),
    /// `name NAME`: every program with that name.
    Name(String),
    /// `tag TAG` (16 hex digits): every program with that tag.
    Tag([u8; 8]),
    /// `obj FILE [sec S] [program P] [verbose]`: load it (attach commands only).
    Object(ObjectProg),
}

/// `obj FILE [sec S] [program P] [verbose]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectProg {
    /// The object file.
    pub file: String,
    /// `sec S`; without it the section is chosen from the object (see `net`).
    pub section: Option<String>,
    /// `program P`: a function within the section.
    pub program: Option<String>,
    /// `verbose`: print the verifier log.
    pub verbose: bool,
}

impl ProgRef {
    /// Reads one `PROG` from `words`; `obj` is accepted when `allow_obj`.
    pub fn parse(words: &mut Words<'_>, allow_obj: bool) -> CliResult<ProgRef> {
        let Some(kind) = words.next_word() else {
            return Err(error("expected 'id', 'pinned', 'tag' or 'name'"));
        };
        let value = words
            .next_word()
            .ok_or_else(|| error(format!("expected a value after '{kind}'")))?;
        if is_prefix(kind, "id") {
            parse_c_number(value, 0)
                .and_then(|n| u32::try_from(n).ok())
                .map(ProgRef::Id)
                .ok_or_else(|| error(format!("can't parse {value} as ID")))
        } else if is_prefix(kind, "pinned") {
            Ok(ProgRef::Pinned(value.to_string()))
        } else if is_prefix(kind, "tag") {
            parse_tag(value)
                .map(ProgRef::Tag)
                .ok_or_else(|| error(format!("can't parse tag {value}")))
        } else if is_prefix(kind, "name") {
            Ok(ProgRef::Name(value.to_string()))
        } else if allow_obj && is_prefix(kind, "obj") {
            let mut obj = ObjectProg {
                file: value.to_string(),
                ..ObjectProg::default()
            };
            loop {
                match words.peek() {
                    Some("sec" | "section") => {
                        words.next_word();
                        obj.section = Some(words.value()?.to_string());
                    }
                    Some("program") => {
                        words.next_word();
                        obj.program = Some(words.value()?.to_string());
                    }
                    Some("verbose" | "verb") => {
                        words.next_word();
                        obj.verbose = true;
                    }
                    _ => break,
                }
            }
            Ok(ProgRef::Object(obj))
        } else {
            Err(error(format!(
                "expected 'id', 'pinned', 'tag' or 'name'{}, got: '{kind}'?",
                if allow_obj { " or 'obj'" } else { "" }
            )))
        }
    }

    /// How error messages name it.
    pub fn describe(&self) -> String {
        match self {
            ProgRef::Id(id) => format!("id {id}"),
            ProgRef::Pinned(path) => format!("pinned {path}"),
            ProgRef::Name(name) => format!("name {name}"),
            ProgRef::Tag(tag) => format!("tag {}", hex(tag)),
            ProgRef::Object(obj) => format!("obj {}", obj.file),
        }
    }
}

/// 16 hex digits (bpftool also takes them space-separated in pairs; rtc takes one word).
fn parse_tag(text: &str) -> Option<[u8; 8]> {
    let digits: String = text.chars().filter(|c| *c != ' ' && *c != ':').collect();
    if digits.len() != 16 {
        return None;
    }
    let mut tag = [0u8; 8];
    for (i, byte) in tag.iter_mut().enumerate() {
        *byte = u8::from_str_radix(digits.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(tag)
}

/// An open program and what the kernel says about it.
#[derive(Debug)]
pub struct OpenProg {
    /// An fd to it.
    pub fd: ProgFd,
    /// Its info.
    pub info: ProgInfo,
}

/// The C library's text for the errno behind `e`.
pub fn describe_errno(e: &bpf_sys::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => netlink_tc::error::strerror(errno),
        None => e.to_string(),
    }
}

fn with_info(fd: ProgFd) -> CliResult<OpenProg> {
    let info = bpf_sys::prog_info(fd.as_fd())
        .map_err(|e| error(format!("can't get prog info: {}", describe_errno(&e))))?;
    Ok(OpenProg { fd, info })
}

/// What a pinned path holds, from its fd's `/proc/self/fd` link.
pub fn object_kind(fd: &OwnedFd) -> &'static str {
    match std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .map(|l| l.to_string_lossy().into_owned())
        .as_deref()
    {
        Ok("anon_inode:bpf-prog") => "prog",
        Ok("anon_inode:bpf-map") => "map",
        Ok("anon_inode:bpf-link") => "link",
        _ => "unknown",
    }
}

/// Opens a pin, refusing a path outside a bpffs with a clear reason.
pub fn open_pin(path: &str) -> CliResult<OwnedFd> {
    bpf_sys::obj_get(Path::new(path)).map_err(|e| {
        let in_bpffs = Path::new(path)
            .parent()
            .and_then(|dir| nix::sys::statfs::statfs(dir).ok())
            .is_some_and(|fs| fs.filesystem_type() == nix::sys::statfs::BPF_FS_MAGIC);
        let reason = if !in_bpffs && e.raw_os_error() != Some(libc_enoent()) {
            "directory not in bpf file system (bpffs)".to_string()
        } else {
            describe_errno(&e)
        };
        error(format!("bpf obj get ({path}): {reason}"))
    })
}

fn libc_enoent() -> i32 {
    nix::errno::Errno::ENOENT as i32
}

/// Opens every loaded program `prog` names (name and tag may match several), in id
/// order. `obj` is not opened here.
pub fn open_progs(prog: &ProgRef) -> CliResult<Vec<OpenProg>> {
    match prog {
        ProgRef::Id(id) => {
            let fd = bpf_sys::prog_get_fd_by_id(*id)
                .map_err(|e| error(format!("get by id ({id}): {}", describe_errno(&e))))?;
            Ok(vec![with_info(fd)?])
        }
        ProgRef::Pinned(path) => {
            let fd = open_pin(path)?;
            match object_kind(&fd) {
                "prog" => Ok(vec![with_info(ProgFd::from(fd))?]),
                kind => Err(error(format!("incorrect object type: {kind}"))),
            }
        }
        ProgRef::Name(name) => every_prog(|info| info.name == *name),
        ProgRef::Tag(tag) => every_prog(|info| info.tag == *tag),
        ProgRef::Object(_) => Err(CliError::usage("obj is not valid here")),
    }
}

/// Opens the one program `prog` names.
pub fn open_one(prog: &ProgRef) -> CliResult<OpenProg> {
    let mut progs = open_progs(prog)?;
    match progs.len() {
        1 => Ok(progs.remove(0)),
        0 => Err(error(format!("no program matches {}", prog.describe()))),
        _ => Err(error(format!(
            "several programs match {}; name one by id or pinned path",
            prog.describe()
        ))),
    }
}

/// Every loaded program whose info passes `keep`, in id order.
pub fn every_prog(keep: impl Fn(&ProgInfo) -> bool) -> CliResult<Vec<OpenProg>> {
    let mut progs = Vec::new();
    let mut id = 0;
    while let Some(next) = bpf_sys::prog_get_next_id(id).map_err(|e| error(describe_errno(&e)))? {
        id = next;
        let fd = match bpf_sys::prog_get_fd_by_id(id) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(libc_enoent()) => continue,
            Err(e) => {
                return Err(error(format!(
                    "can't get prog by id ({id}): {}",
                    describe_errno(&e)
                )));
            }
        };
        let prog = with_info(fd)?;
        if keep(&prog.info) {
            progs.push(prog);
        }
    }
    Ok(progs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> CliResult<ProgRef> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        ProgRef::parse(&mut Words::new(&words), true)
    }

    #[test]
    fn prog_words() {
        assert_eq!(parse("id 7").unwrap(), ProgRef::Id(7));
        assert_eq!(parse("i 0x10").unwrap(), ProgRef::Id(16));
        assert_eq!(
            parse("tag 0102030405060708").unwrap(),
            ProgRef::Tag([1, 2, 3, 4, 5, 6, 7, 8])
        );
        assert_eq!(
            parse("obj a.o sec tcx/ingress verbose").unwrap(),
            ProgRef::Object(ObjectProg {
                file: "a.o".into(),
                section: Some("tcx/ingress".into()),
                program: None,
                verbose: true,
            })
        );
        assert!(parse("id x").is_err());
        assert!(parse("tag 12").is_err());
        assert!(parse("bogus 1").is_err());
    }
}
