//! `-n NETNS`: move this process into a named network namespace before doing anything.
//! Only the network namespace changes (tc also unshares the mount namespace and
//! remounts /sys, which hides maps pinned there; rtc does not).

use std::fs::File;

use nix::sched::{CloneFlags, setns};

use crate::error::{CliError, CliResult};

/// Where `ip netns add` creates its namespace files.
const NETNS_RUN_DIR: &str = "/var/run/netns";

/// Enters the network namespace `name` (a name under /var/run/netns, or a path).
pub fn enter(name: &str) -> CliResult<()> {
    let path = if name.contains('/') {
        name.to_string()
    } else {
        format!("{NETNS_RUN_DIR}/{name}")
    };
    let file = File::open(crate::args::to_path(&path)).map_err(|e| {
        CliError::usage(format!(
            "Cannot open network namespace \"{name}\": {}",
            strerror(&e)
        ))
    })?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(|e| {
        CliError::usage(format!(
            "setting the network namespace \"{name}\" failed: {}",
            e.desc()
        ))
    })
}

/// The C library's wording of an I/O error, without Rust's " (os error N)" suffix.
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}
