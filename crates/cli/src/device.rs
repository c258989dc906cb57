//! Device names to interface indexes, one lookup per name (tc dumps every link instead).

use nix::net::if_::{if_indextoname, if_nametoindex};

use crate::error::{CliError, CliResult};

/// The index of device `name`, or tc's `Cannot find device "NAME"` (exit 1).
pub fn ifindex(name: &str) -> CliResult<u32> {
    if_nametoindex(name).map_err(|_| CliError::failed(format!("Cannot find device \"{name}\"")))
}

/// The index of the device if one was named, else 0 (no device: the kernel decides).
pub fn optional_ifindex(name: Option<&str>) -> CliResult<u32> {
    name.map_or(Ok(0), ifindex)
}

/// The name of interface `ifindex`, if it exists (`if_indextoname`).
pub fn name(ifindex: u32) -> Option<String> {
    if_indextoname(ifindex)
        .ok()
        .map(|name| name.to_string_lossy().into_owned())
}
