//! A private bpffs per test, so that pins never touch `/sys/fs/bpf` and tests that
//! pin maps of the same name cannot see each other's.

use std::path::Path;

use crate::run;
use crate::tempdir::TempDir;

/// A bpffs of the test's own, mounted on a fresh temporary directory. Point rtc
/// (or tc) at it with `TC_BPF_MNT` ([`Bpffs::env`]), or a loader at
/// [`Bpffs::path`]. Dropping it unmounts it, which also drops every pin in it, and
/// removes the directory, also when the test panics.
#[derive(Debug)]
pub struct Bpffs {
    dir: TempDir,
}

impl Bpffs {
    /// Mounts a new bpffs under the system's temporary directory (needs root).
    pub fn new() -> Self {
        let dir = TempDir::new("bpffs");
        run(
            "mount",
            &["-t", "bpf", "bpf", &dir.path().to_string_lossy()],
        )
        .ok("mount -t bpf");
        Bpffs { dir }
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `TC_BPF_MNT=<path>`, for [`crate::run_env`] and [`crate::Netns::rtc_env`].
    pub fn env(&self) -> (String, String) {
        (
            "TC_BPF_MNT".to_string(),
            self.path().to_string_lossy().into_owned(),
        )
    }
}

impl Default for Bpffs {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Bpffs {
    fn drop(&mut self) {
        // Unmounted first; the (then empty) directory goes when `dir` drops.
        let dir = self.path().to_string_lossy().into_owned();
        let unmounted = run("umount", &["-l", &dir]);
        if !unmounted.success() {
            eprintln!("warning: could not unmount {dir}:\n{unmounted}");
        }
    }
}
