//! Facts about the running kernel that loading needs: its version code and the number
//! of possible CPUs (the stride of per-CPU map values).

use std::ffi::CStr;

use crate::{Error, Result};

/// The running kernel's `LINUX_VERSION_CODE`: `(major << 16) | (minor << 8) | min(patch, 255)`,
/// from uname(2), as libbpf computes it for `kern_version`.
pub fn kernel_version_code() -> u32 {
    // SAFETY: utsname is plain old data; zeroed is a valid value for it.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is a valid, writable utsname; uname only writes into it.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return 0;
    }
    // SAFETY: uname NUL-terminates every field it fills.
    let release = unsafe { CStr::from_ptr(uts.release.as_ptr()) };
    version_code(&release.to_string_lossy())
}

/// Parses a release string such as `6.18.44-fc-v669` into a version code.
pub fn version_code(release: &str) -> u32 {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0).min(255);
    let minor = parts.next().unwrap_or(0).min(255);
    let patch = parts.next().unwrap_or(0).min(255);
    (major << 16) | (minor << 8) | patch
}

/// Number of possible CPUs, read from `/sys/devices/system/cpu/possible` (e.g. `0-3`).
pub fn possible_cpus() -> Result<usize> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").map_err(|e| {
        Error::InvalidInput(format!("cannot read /sys/devices/system/cpu/possible: {e}"))
    })?;
    parse_cpu_list(&text).ok_or_else(|| {
        Error::InvalidInput(format!("cannot parse possible CPU list {:?}", text.trim()))
    })
}

/// Counts the CPUs in a kernel CPU list (`0-3,8-11`): the highest index plus one, since
/// per-CPU values are laid out for every index up to the last possible CPU.
pub fn parse_cpu_list(text: &str) -> Option<usize> {
    let mut highest = None;
    for range in text.trim().split(',').filter(|r| !r.is_empty()) {
        let last = range.rsplit('-').next()?.trim().parse::<usize>().ok()?;
        highest = Some(highest.map_or(last, |h: usize| h.max(last)));
    }
    highest.map(|h| h + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_codes() {
        assert_eq!(version_code("6.18.44-fc-v669"), (6 << 16) | (18 << 8) | 44);
        assert_eq!(version_code("5.4.300"), (5 << 16) | (4 << 8) | 255);
        assert_eq!(version_code("6.1"), (6 << 16) | (1 << 8));
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("0-1\n"), Some(2));
        assert_eq!(parse_cpu_list("0"), Some(1));
        assert_eq!(parse_cpu_list("0-3,8-11"), Some(12));
        assert_eq!(parse_cpu_list("x"), None);
    }
}

/// The offset from `CLOCK_BOOTTIME` to `CLOCK_REALTIME` now, as (seconds,
/// nanoseconds) of `realtime - boottime` computed field by field, the way bpftool
/// turns a program's `load_time` (nanoseconds since boot) into wall-clock time.
pub fn boot_to_realtime_offset() -> Option<(i64, i64)> {
    let read = |clock: libc::clockid_t| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes it.
        (unsafe { libc::clock_gettime(clock, &mut ts) } == 0).then_some(ts)
    };
    let real = read(libc::CLOCK_REALTIME)?;
    let boot = read(libc::CLOCK_BOOTTIME)?;
    Some((real.tv_sec - boot.tv_sec, real.tv_nsec - boot.tv_nsec))
}

/// A moment in the local time zone (from `localtime_r`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
    /// Hour, 0 to 23.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second (60 for a leap second).
    pub second: u32,
    /// Offset from UTC in seconds, east positive.
    pub utc_offset: i64,
}

/// Converts seconds since the epoch to local time, as the C library does (`TZ`,
/// `/etc/localtime`).
pub fn local_time(secs: i64) -> Option<LocalTime> {
    let t: libc::time_t = secs;
    // SAFETY: tm is plain old data; zeroed is a valid value for it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r writes only `tm`.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    ok.then(|| LocalTime {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
        utc_offset: tm.tm_gmtoff,
    })
}
