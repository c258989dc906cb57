//! `BPF_PROG_TEST_RUN`: run a loaded program on a packet (and optionally a context)
//! without a device, and read back its return value, the packet as the program left
//! it, and the kernel's mean time per run.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::attr;
use crate::syscall::{Cmd, addr, addr_mut, bpf, fail};
use crate::{Error, Result};

/// What one `BPF_PROG_TEST_RUN` gets. Build with `..Default::default()`.
#[derive(Debug, Default, Clone)]
pub struct TestRunAttr<'a> {
    /// The packet (`data_in`); for tc and XDP programs an Ethernet frame.
    pub data_in: &'a [u8],
    /// Room for the packet as the program leaves it (`data_size_out`); 0 asks for no
    /// copy. A program that grows the packet past this gets it cut, and
    /// [`TestRunOutput::data_truncated`] says so.
    pub data_out_room: u32,
    /// A context to start from (`ctx_in`: `struct __sk_buff` for tc, `struct xdp_md`
    /// for XDP); empty for none.
    pub ctx_in: &'a [u8],
    /// Room for the context as the program leaves it (`ctx_size_out`); 0 for none.
    pub ctx_out_room: u32,
    /// How many times to run (`repeat`; 0 and 1 both mean once).
    pub repeat: u32,
    /// `BPF_F_TEST_*` flags.
    pub flags: u32,
    /// The CPU to run on, with `BPF_F_TEST_RUN_ON_CPU` (only some program types).
    pub cpu: u32,
    /// `batch_size`, for XDP live-frame mode only.
    pub batch_size: u32,
}

/// What the kernel answered.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TestRunOutput {
    /// The program's return value (`retval`): a `TC_ACT_*` or `XDP_*` code for
    /// packet programs.
    pub retval: u32,
    /// Mean nanoseconds per run over `repeat` runs (`duration`).
    pub duration_ns: u32,
    /// The packet as the program left it (at most `data_out_room` bytes).
    pub data_out: Vec<u8>,
    /// The packet's full length after the run (`data_size_out` as the kernel wrote it).
    pub data_size_out: u32,
    /// True when the packet was longer than `data_out_room` and `data_out` was cut.
    pub data_truncated: bool,
    /// The context as the program left it (at most `ctx_out_room` bytes).
    pub ctx_out: Vec<u8>,
    /// True when the context did not fit in `ctx_out_room`.
    pub ctx_truncated: bool,
}

/// Runs the program `prog` once (or `repeat` times) on `req.data_in` with
/// `BPF_PROG_TEST_RUN`. A program's map state persists across calls, as it would
/// across packets on a device.
///
/// When the output does not fit the room given, the kernel answers `ENOSPC` after
/// filling in what fits; that is returned as success with `data_truncated` (or
/// `ctx_truncated`) set, so the caller can tell the user the output was cut.
pub fn prog_test_run(prog: BorrowedFd<'_>, req: &TestRunAttr<'_>) -> Result<TestRunOutput> {
    let size = |what: &str, n: usize| {
        u32::try_from(n).map_err(|_| Error::InvalidInput(format!("{what} is larger than 4 GiB")))
    };
    let mut data_out = vec![0u8; req.data_out_room as usize];
    let mut ctx_out = vec![0u8; req.ctx_out_room as usize];
    let mut attr = attr::TestRun {
        prog_fd: prog.as_raw_fd() as u32,
        data_size_in: size("data_in", req.data_in.len())?,
        data_size_out: req.data_out_room,
        data_in: addr(req.data_in),
        data_out: addr_mut(&mut data_out),
        repeat: req.repeat,
        ctx_size_in: size("ctx_in", req.ctx_in.len())?,
        ctx_size_out: req.ctx_out_room,
        ctx_in: addr(req.ctx_in),
        ctx_out: addr_mut(&mut ctx_out),
        flags: req.flags,
        cpu: req.cpu,
        batch_size: req.batch_size,
        ..Default::default()
    };
    let enospc = match bpf(Cmd::ProgTestRun, &mut attr) {
        Ok(_) => false,
        Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => true,
        Err(e) => return Err(fail(Cmd::ProgTestRun, e)),
    };
    let data_truncated = enospc && attr.data_size_out > req.data_out_room;
    let ctx_truncated = enospc && !data_truncated;
    data_out.truncate(attr.data_size_out.min(req.data_out_room) as usize);
    let ctx_len = if enospc {
        // On ENOSPC for the packet the kernel copies no context at all.
        if data_truncated { 0 } else { req.ctx_out_room }
    } else {
        attr.ctx_size_out.min(req.ctx_out_room)
    };
    ctx_out.truncate(ctx_len as usize);
    Ok(TestRunOutput {
        retval: attr.retval,
        duration_ns: attr.duration,
        data_out,
        data_size_out: attr.data_size_out,
        data_truncated,
        ctx_out,
        ctx_truncated,
    })
}

/// Runs a `BPF_PROG_TYPE_SYSCALL` program once on the context `ctx` and returns its
/// return value. The kernel copies `ctx` in, runs the program on its copy and copies
/// it back into the same buffer (`ctx_in`; such programs have no `ctx_out`), so what
/// the program wrote into its context is in `ctx` afterwards. `ctx` must be at least as
/// long as the furthest context byte the program touches (the kernel refuses the run
/// otherwise) and at most 65,535 bytes.
pub fn prog_run_syscall(prog: BorrowedFd<'_>, ctx: &mut [u8]) -> Result<u32> {
    let len = u32::try_from(ctx.len())
        .ok()
        .filter(|&n| n <= u32::from(u16::MAX))
        .ok_or_else(|| {
            Error::InvalidInput("a syscall program's context is at most 65,535 bytes".into())
        })?;
    let mut attr = attr::TestRun {
        prog_fd: prog.as_raw_fd() as u32,
        ctx_size_in: len,
        ctx_in: addr_mut(ctx),
        ..Default::default()
    };
    bpf(Cmd::ProgTestRun, &mut attr).map_err(|e| fail(Cmd::ProgTestRun, e))?;
    Ok(attr.retval)
}
