//! Programs: `BPF_PROG_LOAD` with the verifier log, and reading back what the kernel
//! knows about a loaded program (`filter show` prints its id, name, tag and jited flag).

use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd};

use crate::attr;
use crate::syscall::{Cmd, addr, bpf, bpf_fd, fail, name_from_field, object_name};
use crate::{Error, Insn, ProgFd, Result};

/// Smallest verifier log buffer tried; the kernel wants at least 128 bytes.
const LOG_START: usize = 64 * 1024;
/// Largest log buffer the kernel accepts (`log_size` must stay below `UINT_MAX >> 2`).
const LOG_MAX: usize = (u32::MAX >> 2) as usize - 1;

/// Everything `BPF_PROG_LOAD` needs. Build with `..Default::default()` and set what applies.
#[derive(Default, Debug)]
pub struct ProgLoadAttr<'a> {
    /// `BPF_PROG_TYPE_*` (see [`crate::consts::prog_type`]).
    pub prog_type: u32,
    /// `BPF_*` attach type, for program types that need one (0 otherwise).
    pub expected_attach_type: u32,
    /// The relocated instructions.
    pub insns: &'a [Insn],
    /// License string from the object (`"GPL"`, ...); GPL-only helpers need a GPL one.
    pub license: &'a str,
    /// Program name; cut to 15 bytes as libbpf does.
    pub name: &'a str,
    /// `LINUX_VERSION_CODE`; only kprobes on old kernels check it, tc sends it anyway.
    pub kern_version: u32,
    /// `BPF_F_*` load flags.
    pub prog_flags: u32,
    /// Device to offload to (0 = none).
    pub prog_ifindex: u32,
    /// Verifier log level: 0 asks for no log unless the load fails (then it is retried
    /// with level 1 to collect one); 1 or more also returns the log on success.
    pub log_level: u32,
    /// The object's BTF, for func_info/line_info.
    pub prog_btf_fd: Option<BorrowedFd<'a>>,
    /// `struct bpf_func_info` records.
    pub func_info: &'a [u8],
    /// Size of one func_info record.
    pub func_info_rec_size: u32,
    /// Number of func_info records.
    pub func_info_cnt: u32,
    /// `struct bpf_line_info` records.
    pub line_info: &'a [u8],
    /// Size of one line_info record.
    pub line_info_rec_size: u32,
    /// Number of line_info records.
    pub line_info_cnt: u32,
    /// Map fds referenced by `BPF_PSEUDO_MAP_IDX` instructions.
    pub fd_array: &'a [i32],
    /// Tracing, LSM and iterator programs: the id of the kernel BTF type (a `FUNC`)
    /// they attach to, e.g. `bpf_iter_bpf_prog` for an iterator over programs (0 for
    /// program types that attach elsewhere).
    pub attach_btf_id: u32,
}

/// A program the kernel accepted.
#[derive(Debug)]
pub struct LoadedProg {
    /// The new program's fd.
    pub fd: ProgFd,
    /// The verifier log; empty unless `log_level` was above 0.
    pub log: String,
}

/// Loads a program. On rejection the error is [`Error::Verifier`] with the whole log:
/// the buffer is grown until the kernel no longer truncates it.
pub fn prog_load(req: &ProgLoadAttr<'_>) -> Result<LoadedProg> {
    let license = CString::new(req.license)
        .map_err(|_| Error::InvalidInput("license string contains a NUL byte".into()))?;
    if req.insns.is_empty() {
        return Err(Error::InvalidInput("program has no instructions".into()));
    }
    let insn_cnt = u32::try_from(req.insns.len())
        .map_err(|_| Error::InvalidInput("program has too many instructions".into()))?;
    let mut attr = attr::ProgLoad {
        prog_type: req.prog_type,
        insn_cnt,
        insns: addr(req.insns),
        license: license.as_ptr() as usize as u64,
        kern_version: req.kern_version,
        prog_flags: req.prog_flags,
        prog_name: object_name(req.name),
        prog_ifindex: req.prog_ifindex,
        expected_attach_type: req.expected_attach_type,
        prog_btf_fd: req.prog_btf_fd.map_or(0, |fd| fd.as_raw_fd() as u32),
        func_info_rec_size: req.func_info_rec_size,
        func_info: addr(req.func_info),
        func_info_cnt: req.func_info_cnt,
        line_info_rec_size: req.line_info_rec_size,
        line_info: addr(req.line_info),
        line_info_cnt: req.line_info_cnt,
        fd_array: addr(req.fd_array),
        attach_btf_id: req.attach_btf_id,
        ..Default::default()
    };

    if req.log_level == 0 {
        match bpf_fd(Cmd::ProgLoad, &mut attr) {
            Ok(fd) => {
                return Ok(LoadedProg {
                    fd: fd.into(),
                    log: String::new(),
                });
            }
            // Out of memory or permission problems are not the verifier's: no log to fetch.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::ENOMEM)) => {
                return Err(fail(Cmd::ProgLoad, e));
            }
            Err(_) => {}
        }
    }
    load_with_log(&mut attr, req.log_level.max(1))
}

/// Loads with a log buffer, growing it while the kernel reports truncation (ENOSPC).
fn load_with_log(attr: &mut attr::ProgLoad, level: u32) -> Result<LoadedProg> {
    let mut size = LOG_START;
    loop {
        let mut log = vec![0u8; size];
        attr.log_level = level;
        attr.log_size = size as u32;
        attr.log_buf = addr(&log);
        attr.log_true_size = 0;
        let result = bpf_fd(Cmd::ProgLoad, attr);
        attr.log_buf = 0;
        let text = log_text(&mut log);
        match result {
            Ok(fd) => {
                return Ok(LoadedProg {
                    fd: fd.into(),
                    log: text,
                });
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) && size < LOG_MAX => {
                let wanted = attr.log_true_size as usize;
                size = if wanted > size {
                    wanted
                } else {
                    size.saturating_mul(4)
                }
                .min(LOG_MAX);
            }
            Err(errno) => {
                return Err(Error::Verifier {
                    what: "program",
                    errno,
                    log: text,
                });
            }
        }
    }
}

/// Turns a NUL-terminated log buffer into text.
pub(crate) fn log_text(buf: &mut Vec<u8>) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf.truncate(end);
    String::from_utf8_lossy(buf).into_owned()
}

/// Opens a new fd to the loaded program with this id (needs CAP_SYS_ADMIN).
pub fn prog_get_fd_by_id(id: u32) -> Result<ProgFd> {
    let mut attr = attr::ById {
        id,
        ..Default::default()
    };
    bpf_fd(Cmd::ProgGetFdById, &mut attr)
        .map(ProgFd::from)
        .map_err(|e| fail(Cmd::ProgGetFdById, e))
}

/// The id of the next loaded program after `start`, or `None` when there is none.
pub fn prog_get_next_id(start: u32) -> Result<Option<u32>> {
    next_id(Cmd::ProgGetNextId, start)
}

/// Shared body of the `*_GET_NEXT_ID` commands.
pub(crate) fn next_id(cmd: Cmd, start: u32) -> Result<Option<u32>> {
    let mut attr = attr::ById {
        id: start,
        ..Default::default()
    };
    match bpf(cmd, &mut attr) {
        Ok(_) => Ok(Some(attr.next_id)),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(None),
        Err(e) => Err(fail(cmd, e)),
    }
}

/// What the kernel reports about a loaded program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgInfo {
    /// `BPF_PROG_TYPE_*`.
    pub prog_type: u32,
    /// Kernel-wide program id.
    pub id: u32,
    /// The program tag: a hash of its instructions, as `tc`/`bpftool` print it.
    pub tag: [u8; 8],
    /// Bytes of JIT-compiled code; 0 when the program runs in the interpreter.
    pub jited_prog_len: u32,
    /// Bytes of the kernel's translated instructions.
    pub xlated_prog_len: u32,
    /// Load time in nanoseconds since boot.
    pub load_time: u64,
    /// uid of the loader.
    pub created_by_uid: u32,
    /// Program name (up to 15 bytes).
    pub name: String,
    /// Id of the program's BTF, 0 if none.
    pub btf_id: u32,
    /// Ids of the maps the program uses.
    pub map_ids: Vec<u32>,
    /// Whether the license is GPL-compatible.
    pub gpl_compatible: bool,
    /// Instructions the verifier processed.
    pub verified_insns: u32,
    /// Device the program is offloaded to (0: none).
    pub ifindex: u32,
    /// Nanoseconds spent running (with `kernel.bpf_stats_enabled`).
    pub run_time_ns: u64,
    /// Times run (with `kernel.bpf_stats_enabled`).
    pub run_cnt: u64,
    /// Runs skipped because the program was already running on that CPU.
    pub recursion_misses: u64,
}

impl ProgInfo {
    /// The tag as 16 lowercase hex digits, as tc and bpftool print it.
    pub fn tag_hex(&self) -> String {
        crate::hex(&self.tag)
    }
}

/// Reads a program's info (`BPF_OBJ_GET_INFO_BY_FD`), including its map ids.
pub fn prog_info(fd: BorrowedFd<'_>) -> Result<ProgInfo> {
    let mut raw = attr::ProgInfo::default();
    get_info(fd, &mut raw)?;
    let mut map_ids = vec![0u32; raw.nr_map_ids as usize];
    if !map_ids.is_empty() {
        let wanted = raw.nr_map_ids;
        raw = attr::ProgInfo {
            nr_map_ids: wanted,
            map_ids: addr(&map_ids),
            ..Default::default()
        };
        get_info(fd, &mut raw)?;
        map_ids.truncate(raw.nr_map_ids.min(wanted) as usize);
    }
    Ok(ProgInfo {
        prog_type: raw.prog_type,
        id: raw.id,
        tag: raw.tag,
        jited_prog_len: raw.jited_prog_len,
        xlated_prog_len: raw.xlated_prog_len,
        load_time: raw.load_time,
        created_by_uid: raw.created_by_uid,
        name: name_from_field(&raw.name),
        btf_id: raw.btf_id,
        map_ids,
        gpl_compatible: raw.gpl_compatible & 1 != 0,
        verified_insns: raw.verified_insns,
        ifindex: raw.ifindex,
        run_time_ns: raw.run_time_ns,
        run_cnt: raw.run_cnt,
        recursion_misses: raw.recursion_misses,
    })
}

/// `BPF_OBJ_GET_INFO_BY_FD` into any info struct.
pub(crate) fn get_info<T: crate::syscall::InfoStruct>(
    fd: BorrowedFd<'_>,
    info: &mut T,
) -> Result<()> {
    let mut attr = attr::InfoByFd {
        bpf_fd: fd.as_raw_fd() as u32,
        info_len: std::mem::size_of::<T>() as u32,
        info: info as *mut T as usize as u64,
    };
    bpf(Cmd::ObjGetInfoByFd, &mut attr)
        .map(drop)
        .map_err(|e| fail(Cmd::ObjGetInfoByFd, e))
}
