//! Running a piece of the test process itself inside a throwaway namespace: for
//! library tests that make bpf(2) or netlink calls on a namespace's devices.

use std::fs::File;

use nix::sched::{CloneFlags, setns};

use crate::Netns;

/// Runs `f` on a short-lived thread that has joined `ns`'s network namespace (setns
/// changes only that thread), and returns its result. Panics if the namespace cannot
/// be entered; a panic inside `f` is passed on.
pub fn in_netns<R: Send>(ns: &Netns, f: impl FnOnce() -> R + Send) -> R {
    let path = format!("/run/netns/{}", ns.name());
    std::thread::scope(|scope| {
        let joined = scope
            .spawn(|| {
                let file = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
                setns(&file, CloneFlags::CLONE_NEWNET)
                    .unwrap_or_else(|e| panic!("setns {path}: {e}"));
                f()
            })
            .join();
        match joined {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
