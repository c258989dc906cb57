//! Device names to interface indexes, one lookup per name (tc dumps every link instead),
//! through rtc-loader's [`Device`]; this module adds tc's wording and a memory.
//! As tc does within one process, a name found once is remembered: a batch that
//! adds a thousand filters to a hundred devices asks the kernel a hundred times.

use std::cell::RefCell;
use std::collections::HashMap;

use rtc_loader::Device;

use crate::error::{CliError, CliResult};

thread_local! {
    /// Indexes already looked up in this process, by device name.
    static KNOWN: RefCell<HashMap<String, u32>> = RefCell::new(HashMap::new());
}

/// The index of device `name`, or tc's `Cannot find device "NAME"` (exit 1).
pub fn ifindex(name: &str) -> CliResult<u32> {
    if let Some(index) = KNOWN.with(|known| known.borrow().get(name).copied()) {
        return Ok(index);
    }
    let index = Device::named(name)
        .map_err(|_| CliError::failed(format!("Cannot find device \"{name}\"")))?
        .ifindex();
    KNOWN.with(|known| known.borrow_mut().insert(name.to_string(), index));
    Ok(index)
}

/// The index of the device if one was named, else 0 (no device: the kernel decides).
pub fn optional_ifindex(name: Option<&str>) -> CliResult<u32> {
    name.map_or(Ok(0), ifindex)
}

/// The name of interface `ifindex`, if it exists (`if_indextoname`).
pub fn name(ifindex: u32) -> Option<String> {
    Device::with_index(ifindex)
        .ok()
        .map(|device| device.name().to_string())
}
