//! `-n NETNS`: move this process into a named network namespace before doing anything,
//! through rtc-loader's [`Netns`]; this module only words the failures as tc does.
//! Only the network namespace changes (tc also unshares the mount namespace and
//! remounts /sys, which hides maps pinned there; rtc does not).

use rtc_loader::Netns;

use crate::error::{CliError, CliResult};

/// Enters the network namespace `name` (a name under /var/run/netns, or a path).
pub fn enter(name: &str) -> CliResult<()> {
    let netns = Netns::open(crate::args::to_path(name)).map_err(|e| {
        CliError::usage(format!(
            "Cannot open network namespace \"{name}\": {}",
            os_reason(&e)
        ))
    })?;
    netns.enter().map_err(|e| {
        CliError::usage(format!(
            "setting the network namespace \"{name}\" failed: {}",
            os_reason(&e)
        ))
    })
}

/// The OS's reason behind a namespace error, as the C library words it.
fn os_reason(error: &rtc_loader::Error) -> String {
    match error {
        rtc_loader::Error::Netns { source, .. } => strerror(source),
        other => other.to_string(),
    }
}

/// The C library's wording of an I/O error, without Rust's " (os error N)" suffix.
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}
