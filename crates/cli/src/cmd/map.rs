//! `map {show|dump|lookup|update|delete|getnext} {id N|pinned PATH|name NAME} ...`:
//! reading and writing BPF maps from user space with bpftool's words, output and
//! exit codes (255 for a bad command line, 256 − errno when the kernel refuses, as
//! bpftool's `return -errno` gives). With `-j` (or `-p`) errors are printed as
//! `{"error":"..."}` on stdout, as bpftool does.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::Path;

use bpf_sys::consts::map_type::{PROG_ARRAY, is_map_in_map, is_per_cpu};
use bpf_sys::{MapHandle, MapInfo};

use super::map_args::{
    ERROR_PREFIX, Element, ElementSpec, MapArgs, MapRef, MapVerb, error, parse_element, usage,
};
use crate::error::{CliError, CliResult};
use crate::session::Session;
use crate::show::json::JsonWriter;
use crate::show::map::{
    MapDescription, entry_error_json, entry_error_plain, entry_json, entry_plain, found_line,
    getnext_json, getnext_plain, header_json, header_plain, not_found_plain, show_json, show_plain,
};

/// `BPF_MAP_TYPE_PROG_ARRAY`, `ARRAY_OF_MAPS`, `HASH_OF_MAPS`: values are fds.
fn holds_fds(map_type: u32) -> bool {
    map_type == PROG_ARRAY || is_map_in_map(map_type)
}
/// `ENOENT`.
const ENOENT: i32 = 2;

/// Runs a `map` command (the words after `map`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let json = session.options.json || session.options.pretty;
    let mut out = Output::new(json, session.options.pretty);
    let result = MapArgs::parse(words).and_then(|args| execute(&args, &mut out));
    match result {
        Ok(()) => crate::output::print(&out.finish()),
        Err(err) => Err(out.fail(err)),
    }
}

/// What a command writes: text, or one bpftool JSON document.
struct Output {
    text: String,
    json: Option<JsonWriter>,
}

impl Output {
    fn new(json: bool, pretty: bool) -> Self {
        Output {
            text: String::new(),
            json: json.then(|| JsonWriter::bpftool(pretty)),
        }
    }

    /// `[` in JSON when `open` (bpftool wraps several maps in an array).
    fn open_array_if(&mut self, open: bool) {
        if let (Some(json), true) = (&mut self.json, open) {
            json.start_array();
        }
    }

    /// `]` matching [`Output::open_array_if`].
    fn close_array_if(&mut self, close: bool) {
        if let (Some(json), true) = (&mut self.json, close) {
            json.end_array();
        }
    }

    fn finish(self) -> String {
        match self.json {
            Some(json) => json.finish(),
            None => self.text,
        }
    }

    /// Prints what was written before the failure and turns the error into
    /// bpftool's form: `Error: ...` on stderr, or `{"error":"..."}` on stdout with `-j`.
    /// An error without a message (lookup of a missing key) keeps the output whole.
    fn fail(self, err: CliError) -> CliError {
        if err.message.is_empty() {
            let _ = crate::output::print(&self.finish());
            return err;
        }
        match (self.json, err.message.strip_prefix(ERROR_PREFIX)) {
            (Some(mut json), Some(message)) => {
                json.error(message);
                let _ = crate::output::print(&json.finish());
                CliError {
                    message: String::new(),
                    ..err
                }
            }
            (Some(_), None) => err,
            (None, _) => {
                let _ = crate::output::print(&self.text);
                err
            }
        }
    }
}

/// A bpftool error from a failed bpf(2) call: `Error: WHAT: strerror`, exit
/// 256 − errno.
fn syscall_error(what: &str, e: &bpf_sys::Error) -> CliError {
    let mut err = error(format!("{what}: {}", describe(e)));
    if let Some(errno) = e.raw_os_error() {
        err.code = 256 - errno.clamp(1, 255);
    }
    err
}

/// The C library's text for the errno behind `e`.
fn describe(e: &bpf_sys::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => netlink_tc::error::strerror(errno),
        None => e.to_string(),
    }
}

/// One open map: its fd and info (read once, reused by every element call).
struct OpenMap {
    handle: MapHandle,
    info: MapInfo,
}

fn execute(args: &MapArgs, out: &mut Output) -> CliResult<()> {
    match args.verb {
        // bpftool prints its usage for `help` (`null` with -j) and exits 0.
        MapVerb::Help => match &mut out.json {
            Some(json) => {
                json.literal("null");
                Ok(())
            }
            None => Err(CliError::help(usage().message)),
        },
        MapVerb::Show => match &args.map {
            None => show_all(out),
            Some(map) => {
                let maps = open_maps(map)?;
                let several = maps.len() > 1;
                out.open_array_if(several);
                for map in &maps {
                    describe_map(out, map);
                }
                out.close_array_if(several);
                Ok(())
            }
        },
        MapVerb::Dump => dump(out, &open_maps(required(&args.map)?)?),
        MapVerb::Update => update(out, &open_one(required(&args.map)?)?, &args.rest),
        MapVerb::Lookup => lookup(out, &open_one(required(&args.map)?)?, &args.rest),
        MapVerb::GetNext => getnext(out, &open_one(required(&args.map)?)?, &args.rest),
        MapVerb::Delete => delete(out, &open_one(required(&args.map)?)?, &args.rest),
    }
}

fn required(map: &Option<MapRef>) -> CliResult<&MapRef> {
    map.as_ref().ok_or_else(usage)
}

/// Opens every map `map` names (`name` may match several).
fn open_maps(map: &MapRef) -> CliResult<Vec<OpenMap>> {
    let fds = match map {
        MapRef::Id(id) => vec![
            bpf_sys::map_get_fd_by_id(*id)
                .map_err(|e| error(format!("get map by id ({id}): {}", describe(&e))))?
                .into_owned(),
        ],
        MapRef::Pinned(path) => vec![open_pinned(path)?],
        MapRef::Name(name) => return maps_named(name),
    };
    fds.into_iter().map(with_info).collect()
}

/// Opens the one map `map` names.
fn open_one(map: &MapRef) -> CliResult<OpenMap> {
    let mut maps = open_maps(map)?;
    match maps.len() {
        1 => Ok(maps.remove(0)),
        0 => Err(error(format!("no map matches {}", describe_ref(map)))),
        _ => Err(error("several maps match this handle")),
    }
}

fn describe_ref(map: &MapRef) -> String {
    match map {
        MapRef::Id(id) => format!("id {id}"),
        MapRef::Pinned(path) => format!("pinned {path}"),
        MapRef::Name(name) => format!("name {name}"),
    }
}

fn with_info(fd: OwnedFd) -> CliResult<OpenMap> {
    let handle =
        MapHandle::new(fd).map_err(|e| error(format!("can't get map info: {}", describe(&e))))?;
    let info = handle.info().clone();
    Ok(OpenMap { handle, info })
}

/// `pinned PATH`: opens the pin and checks that it is a map (`open_obj_pinned_any`).
fn open_pinned(path: &str) -> CliResult<OwnedFd> {
    let fd = bpf_sys::obj_get(&crate::args::to_path(path)).map_err(|e| {
        let reason =
            if e.raw_os_error() == Some(nix::errno::Errno::EACCES as i32) && !in_bpffs(path) {
                "directory not in bpf file system (bpffs)".to_string()
            } else {
                describe(&e)
            };
        error(format!("bpf obj get ({path}): {reason}"))
    })?;
    let link = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|e| {
        error(format!(
            "can't read link type: {}",
            crate::netns::strerror(&e)
        ))
    })?;
    let kind = match link.to_string_lossy().as_ref() {
        "anon_inode:bpf-map" => return Ok(fd),
        "anon_inode:bpf-prog" => "prog",
        "anon_inode:bpf-link" => "link",
        _ => "unknown",
    };
    Err(error(format!("incorrect object type: {kind}")))
}

/// Whether the directory holding `path` is on a bpffs.
fn in_bpffs(path: &str) -> bool {
    let full = crate::args::to_path(path);
    let dir = full.parent().unwrap_or(Path::new("/"));
    nix::sys::statfs::statfs(dir)
        .is_ok_and(|fs| fs.filesystem_type() == nix::sys::statfs::BPF_FS_MAGIC)
}

/// Every map whose name is `name` (`map_fd_by_name`), in id order.
fn maps_named(name: &str) -> CliResult<Vec<OpenMap>> {
    let mut maps = Vec::new();
    let mut id = 0;
    while let Some(next) = bpf_sys::map_get_next_id(id).map_err(|e| error(describe(&e)))? {
        id = next;
        let fd = match bpf_sys::map_get_fd_by_id(id) {
            Ok(fd) => fd.into_owned(),
            Err(e) if e.raw_os_error() == Some(ENOENT) => continue,
            Err(e) => {
                return Err(error(format!(
                    "can't get map by id ({id}): {}",
                    describe(&e)
                )));
            }
        };
        let map = with_info(fd)?;
        if map.info.name == name {
            maps.push(map);
        }
    }
    Ok(maps)
}

/// `map show` with no map: every map in the system, in id order.
fn show_all(out: &mut Output) -> CliResult<()> {
    if let Some(json) = &mut out.json {
        json.start_array();
    }
    let mut id = 0;
    let mut failure = None;
    loop {
        let next = match bpf_sys::map_get_next_id(id) {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(e) => {
                failure = Some(error(format!("can't get next map: {}", describe(&e))));
                break;
            }
        };
        id = next;
        let fd = match bpf_sys::map_get_fd_by_id(id) {
            Ok(fd) => fd.into_owned(),
            Err(e) if e.raw_os_error() == Some(ENOENT) => continue,
            Err(e) => {
                failure = Some(error(format!(
                    "can't get map by id ({id}): {}",
                    describe(&e)
                )));
                break;
            }
        };
        match with_info(fd) {
            Ok(map) => describe_map(out, &map),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(json) = &mut out.json {
        json.end_array();
    }
    failure.map_or(Ok(()), Err)
}

/// One map of `map show`.
fn describe_map(out: &mut Output, map: &OpenMap) {
    let fdinfo = std::fs::read_to_string(format!(
        "/proc/self/fdinfo/{}",
        map.handle.as_fd().as_raw_fd()
    ))
    .unwrap_or_default();
    let description = MapDescription {
        info: map.info.clone(),
        memlock: fdinfo_field(&fdinfo, "memlock"),
        frozen: fdinfo_field(&fdinfo, "frozen").is_some_and(|v| v.trim() != "0"),
        owner_prog_type: fdinfo_field(&fdinfo, "owner_prog_type").and_then(|v| v.parse().ok()),
        owner_jited: fdinfo_field(&fdinfo, "owner_jited").map(|v| v.trim() != "0"),
    };
    match &mut out.json {
        Some(json) => show_json(json, &description),
        None => out.text.push_str(&show_plain(&description)),
    }
}

/// bpftool's `get_fdinfo`: the value after the tab on the first line that
/// mentions `key`.
fn fdinfo_field(fdinfo: &str, key: &str) -> Option<String> {
    let line = fdinfo.lines().find(|line| line.contains(key))?;
    let (_, value) = line.split_once('\t')?;
    (!value.is_empty()).then(|| value.to_string())
}

/// Possible CPUs, the number of values a per-CPU map holds per key.
fn cpus() -> CliResult<usize> {
    bpf_sys::possible_cpus().map_err(|e| error(format!("can't read possible CPUs: {e}")))
}

/// A zeroed value buffer the size the kernel writes for this map.
fn value_buffer(info: &MapInfo) -> CliResult<Vec<u8>> {
    let size = bpf_sys::value_buffer_size(info)
        .map_err(|e| error(format!("can't size the value buffer: {e}")))?;
    Ok(vec![0; size])
}

fn dump(out: &mut Output, maps: &[OpenMap]) -> CliResult<()> {
    let several = maps.len() > 1;
    let cpus = cpus()?;
    out.open_array_if(several);
    for (i, map) in maps.iter().enumerate() {
        dump_one(out, map, several, cpus)?;
        if out.json.is_none() && i + 1 != maps.len() {
            out.text.push('\n');
        }
    }
    out.close_array_if(several);
    Ok(())
}

/// One map of `map dump` (`map_dump`): a batched read where the map type has
/// one, else bpftool's walk of the keys with `getnext` and a lookup each.
fn dump_one(out: &mut Output, map: &OpenMap, header: bool, cpus: usize) -> CliResult<()> {
    let info = &map.info;
    match &mut out.json {
        Some(json) => {
            if header {
                json.start_object();
                header_json(json, info);
                json.name("elements");
            }
            json.start_array();
        }
        None if header => out.text.push_str(&header_plain(info)),
        None => {}
    }
    let mut count = 0;
    let batched = if holds_fds(info.map_type) {
        Ok(false)
    } else {
        dump_batched(out, map, cpus, &mut count)
    };
    let result = match batched {
        Ok(true) => Ok(()),
        Ok(false) => dump_per_element(out, map, cpus, &mut count),
        Err(e) => Err(e),
    };
    match &mut out.json {
        Some(json) => {
            json.end_array();
            if header {
                json.end_object();
            }
        }
        None => out.text.push_str(&found_line(count)),
    }
    result
}

/// Bytes of keys and values one `BPF_MAP_LOOKUP_BATCH` asks for at most.
const BATCH_BYTES: usize = 1 << 20;

/// The elements of `map` with `BPF_MAP_LOOKUP_BATCH`, in the order get-next-key
/// walks them (the kernel's batch walk of hash buckets and array indices is the
/// same walk). Returns `false`, having printed nothing, when the map type has no
/// batch lookup.
fn dump_batched(
    out: &mut Output,
    map: &OpenMap,
    cpus: usize,
    count: &mut usize,
) -> CliResult<bool> {
    let info = &map.info;
    let handle = &map.handle;
    let key_size = info.key_size as usize;
    let value_size = handle.value_len();
    let per_element = (key_size + value_size).max(1);
    let mut chunk = (info.max_entries as usize).clamp(1, (BATCH_BYTES / per_element).max(1));
    let mut keys = vec![0u8; chunk * key_size];
    let mut values = vec![0u8; chunk * value_size];
    let mut cursor = handle.batch_cursor();
    let mut first = true;
    loop {
        let read = match handle.lookup_batch(&mut cursor, &mut keys, &mut values) {
            Ok(read) => read,
            Err(e) if first && bpf_sys::batch_unsupported(&e) => return Ok(false),
            // A hash bucket with more elements than the buffers: nothing was read.
            Err(e) if e.raw_os_error() == Some(ENOSPC) && chunk < MAX_BATCH_CHUNK => {
                chunk = chunk.saturating_mul(2);
                keys.resize(chunk * key_size, 0);
                values.resize(chunk * value_size, 0);
                continue;
            }
            Err(e) => return Err(syscall_error("can't read map elements", &e)),
        };
        first = false;
        let pairs = keys
            .chunks_exact(key_size.max(1))
            .zip(values.chunks_exact(value_size.max(1)))
            .take(read.count);
        for (key, value) in pairs {
            *count += 1;
            match &mut out.json {
                Some(json) => entry_json(json, info, key, value, cpus),
                None => out.text.push_str(&entry_plain(info, key, value, cpus)),
            }
        }
        if read.done {
            return Ok(true);
        }
    }
}

/// Largest batch [`dump_batched`] grows to when a hash bucket does not fit.
const MAX_BATCH_CHUNK: usize = 1 << 20;
/// `ENOSPC`.
const ENOSPC: i32 = 28;

/// The elements of `map` by get-next-key and one lookup each; a key that vanished
/// meanwhile is shown as `<no entry>`.
fn dump_per_element(
    out: &mut Output,
    map: &OpenMap,
    cpus: usize,
    count: &mut usize,
) -> CliResult<()> {
    let info = &map.info;
    let mut key = vec![0u8; info.key_size as usize];
    let mut next = key.clone();
    let mut value = value_buffer(info)?;
    let mut first = true;
    // A hash map that keeps changing can send getnext back to its first key; stop
    // after more keys than the map can hold several times over.
    let limit = u64::from(info.max_entries)
        .saturating_mul(4)
        .saturating_add(64);
    let mut walked = 0u64;
    loop {
        walked += 1;
        if walked > limit {
            return Err(error(format!(
                "map keeps changing: stopped after {limit} keys"
            )));
        }
        let prev = (!first).then_some(key.as_slice());
        match map.handle.next_key(prev, &mut next) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(syscall_error("can't get next key", &e)),
        }
        first = false;
        key.copy_from_slice(&next);
        match map.handle.lookup(&key, &mut value) {
            Ok(true) => {
                *count += 1;
                match &mut out.json {
                    Some(json) => entry_json(json, info, &key, &value, cpus),
                    None => out.text.push_str(&entry_plain(info, &key, &value, cpus)),
                }
            }
            Ok(false) if holds_fds(info.map_type) => {}
            lookup => {
                let message = match lookup {
                    Ok(_) => "<no entry>".to_string(),
                    Err(e) => describe(&e),
                };
                match &mut out.json {
                    Some(json) => {
                        let message = if message == "<no entry>" {
                            netlink_tc::error::strerror(ENOENT)
                        } else {
                            message
                        };
                        entry_error_json(json, info, &key, &message);
                    }
                    None => out.text.push_str(&entry_error_plain(info, &key, &message)),
                }
            }
        }
    }
}

/// The key (and value) a command's element words give, for this map.
fn element(map: &OpenMap, words: &[String], value: bool) -> CliResult<Element> {
    let sized = |size: u32| (size > 0).then_some(size as usize);
    parse_element(
        words,
        ElementSpec {
            key_size: sized(map.info.key_size),
            value_size: if value {
                sized(map.info.value_size)
            } else {
                None
            },
            flags: value,
        },
    )
}

/// `update` of a program array, as bpftool reads it: `value` names a loaded program
/// (`id N`, `pinned PATH`, `tag T`, `name N`) and the slot gets its fd.
fn update_prog_array(out: &mut Output, map: &OpenMap, words: &[String]) -> CliResult<()> {
    let at = words
        .iter()
        .position(|w| super::map_args::is_prefix(w, "value"))
        .ok_or_else(|| error("did not find value"))?;
    let after = words.get(at + 1..).unwrap_or(&[]);
    let mut w = crate::words::Words::new(after);
    let prog = super::prog_ref::ProgRef::parse(&mut w, false)?;
    // A program reference is two words: its kind and its value.
    let mut rest: Vec<String> = words[..at].to_vec();
    rest.extend_from_slice(after.get(2..).unwrap_or(&[]));
    let element = parse_element(
        &rest,
        ElementSpec {
            key_size: (map.info.key_size > 0).then_some(map.info.key_size as usize),
            value_size: None,
            flags: true,
        },
    )?;
    let flags = element.flags;
    let prog = super::prog_ref::open_one(&prog)?;
    let key = element.key.unwrap_or_default();
    let value = (prog.fd.as_fd().as_raw_fd() as u32).to_ne_bytes();
    map.handle
        .update(&key, &value, flags)
        .map_err(|e| syscall_error("update failed", &e))?;
    if let Some(json) = &mut out.json {
        json.literal("null");
    }
    Ok(())
}

fn update(out: &mut Output, map: &OpenMap, words: &[String]) -> CliResult<()> {
    if map.info.map_type == PROG_ARRAY {
        return update_prog_array(out, map, words);
    }
    if holds_fds(map.info.map_type) {
        return Err(error(
            "updating maps of maps (values that are map fds) is not supported by rtc",
        ));
    }
    let element = element(map, words, true)?;
    let key = element.key.unwrap_or_default();
    let given = element.value.unwrap_or_default();
    // Per-CPU maps take the same value for every CPU, each slot rounded up to 8.
    let value = if is_per_cpu(map.info.map_type) {
        let mut buffer = value_buffer(&map.info)?;
        let step = given.len().div_ceil(8) * 8;
        if step > 0 {
            for slot in buffer.chunks_mut(step) {
                let n = slot.len().min(given.len());
                slot[..n].copy_from_slice(&given[..n]);
            }
        }
        buffer
    } else {
        given
    };
    map.handle
        .update(&key, &value, element.flags)
        .map_err(|e| syscall_error("update failed", &e))?;
    if let Some(json) = &mut out.json {
        json.literal("null");
    }
    Ok(())
}

fn lookup(out: &mut Output, map: &OpenMap, words: &[String]) -> CliResult<()> {
    let key = element(map, words, false)?.key.unwrap_or_default();
    let mut value = value_buffer(&map.info)?;
    let cpus = cpus()?;
    let found = map
        .handle
        .lookup(&key, &mut value)
        .map_err(|e| syscall_error("lookup failed", &e))?;
    match (&mut out.json, found) {
        (Some(json), true) => entry_json(json, &map.info, &key, &value, cpus),
        (None, true) => out
            .text
            .push_str(&entry_plain(&map.info, &key, &value, cpus)),
        (Some(json), false) => json.literal("null"),
        (None, false) => out.text.push_str(&not_found_plain(&key)),
    }
    if found {
        Ok(())
    } else {
        // bpftool prints "Not found" (or null) and exits with -ENOENT.
        let mut err = CliError::failed(String::new());
        err.code = 256 - ENOENT;
        Err(err)
    }
}

fn getnext(out: &mut Output, map: &OpenMap, words: &[String]) -> CliResult<()> {
    let key = if words.is_empty() {
        None
    } else {
        element(map, words, false)?.key
    };
    let mut next = vec![0u8; map.info.key_size as usize];
    let found = map
        .handle
        .next_key(key.as_deref(), &mut next)
        .map_err(|e| syscall_error("can't get next key", &e))?;
    if !found {
        let mut err = error(format!(
            "can't get next key: {}",
            netlink_tc::error::strerror(ENOENT)
        ));
        err.code = 256 - ENOENT;
        return Err(err);
    }
    match &mut out.json {
        Some(json) => getnext_json(json, key.as_deref(), &next),
        None => out.text.push_str(&getnext_plain(key.as_deref(), &next)),
    }
    Ok(())
}

fn delete(out: &mut Output, map: &OpenMap, words: &[String]) -> CliResult<()> {
    let key = element(map, words, false)?.key.unwrap_or_default();
    let deleted = map
        .handle
        .delete(&key)
        .map_err(|e| syscall_error("delete failed", &e))?;
    if !deleted {
        let mut err = error(format!(
            "delete failed: {}",
            netlink_tc::error::strerror(ENOENT)
        ));
        err.code = 256 - ENOENT;
        return Err(err);
    }
    if let Some(json) = &mut out.json {
        json.literal("null");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fdinfo_fields_like_get_fdinfo() {
        let fdinfo = "pos:\t0\nflags:\t02000002\nmnt_id:\t16\nino:\t1061\nmap_type:\t1\nkey_size:\t4\nvalue_size:\t8\nmax_entries:\t16\nmap_flags:\t0x0\nmap_extra:\t0x0\nmemlock:\t2320\nmap_id:\t118\nfrozen:\t0\n";
        assert_eq!(fdinfo_field(fdinfo, "memlock").as_deref(), Some("2320"));
        assert_eq!(fdinfo_field(fdinfo, "frozen").as_deref(), Some("0"));
        assert_eq!(fdinfo_field(fdinfo, "owner_prog_type"), None);
    }
}
