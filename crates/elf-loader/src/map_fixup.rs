//! The adjustments libbpf makes to a map definition before creating the map, which
//! objects written for libbpf count on:
//!
//! * `BPF_MAP_TYPE_PERF_EVENT_ARRAY` with `max_entries` 0 gets one entry per
//!   possible CPU (libbpf's `map_set_def_max_entries`, also for the inner map of a
//!   map-in-map);
//! * `BPF_MAP_TYPE_RINGBUF` and `BPF_MAP_TYPE_USER_RINGBUF` sizes are rounded up to
//!   a power-of-two multiple of the page size (libbpf's `adjust_ringbuf_sz`, for
//!   BTF-defined maps; 0 stays 0 so the kernel reports the mistake).
//!
//! (libbpf's other fix-up at creation, dropping BTF key/value types for map types
//! the kernel refuses them on and retrying without BTF, is already in the loader.)
//! Pure: the caller supplies the CPU count ([`count_cpu_list`] of
//! `/sys/devices/system/cpu/possible`) and the page size ([`MachineFacts::running`]
//! reads both). Apply it to a map-in-map's inner template too, as libbpf does.

use crate::maps::MapDef;

/// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`.
const PERF_EVENT_ARRAY: u32 = 4;
/// `BPF_MAP_TYPE_RINGBUF`.
const RINGBUF: u32 = 27;
/// `BPF_MAP_TYPE_USER_RINGBUF`.
const USER_RINGBUF: u32 = 31;

/// What the fix-ups need to know about the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachineFacts {
    /// Number of possible CPUs, counted as libbpf does ([`count_cpu_list`]).
    pub possible_cpus: u32,
    /// The page size in bytes.
    pub page_size: u32,
}

impl MachineFacts {
    /// This machine's: the CPUs of `/sys/devices/system/cpu/possible` and the page
    /// size. `None` if either cannot be read.
    pub fn running() -> Option<MachineFacts> {
        let text = std::fs::read_to_string("/sys/devices/system/cpu/possible").ok()?;
        let page_size = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE).ok()??;
        Some(MachineFacts {
            possible_cpus: count_cpu_list(&text)?,
            page_size: u32::try_from(page_size).ok()?,
        })
    }
}

/// What a fix-up changed, for an observer to narrate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapFixup {
    /// A perf event array of `max_entries` 0 sized to the possible CPUs.
    PerfEventArrayCpus {
        /// The new `max_entries`.
        max_entries: u32,
    },
    /// A ring buffer size rounded up.
    RingbufSize {
        /// The size asked for.
        from: u32,
        /// The size used.
        to: u32,
    },
}

/// Applies libbpf's fix-ups to `def` (see the module documentation); returns what
/// changed, if anything. `btf_defined` says whether the map comes from `.maps`
/// (libbpf rounds ring buffer sizes only for those).
pub fn fix_map_def(def: &mut MapDef, btf_defined: bool, facts: &MachineFacts) -> Option<MapFixup> {
    if def.map_type == PERF_EVENT_ARRAY && def.max_entries == 0 {
        def.max_entries = facts.possible_cpus;
        return Some(MapFixup::PerfEventArrayCpus {
            max_entries: def.max_entries,
        });
    }
    if btf_defined && matches!(def.map_type, RINGBUF | USER_RINGBUF) {
        let from = def.max_entries;
        let to = ringbuf_size(from, facts.page_size);
        if to != from {
            def.max_entries = to;
            return Some(MapFixup::RingbufSize { from, to });
        }
    }
    None
}

/// libbpf's `adjust_ringbuf_sz`: `size` if it is already the page size times a
/// power of two (or 0), else the smallest such product above it, else (near
/// `u32::MAX`) `size` unchanged for the kernel to refuse.
pub fn ringbuf_size(size: u32, page_size: u32) -> u32 {
    if size == 0 || page_size == 0 {
        return size;
    }
    if size % page_size == 0 && (size / page_size).is_power_of_two() {
        return size;
    }
    let mut multiple: u32 = 1;
    while multiple <= u32::MAX / page_size {
        let bytes = multiple * page_size;
        if bytes > size {
            return bytes;
        }
        match multiple.checked_mul(2) {
            Some(next) => multiple = next,
            None => break,
        }
    }
    size
}

/// The number of CPUs in a kernel CPU list such as `/sys/devices/system/cpu/possible`
/// (`0-3,8-11` is 8), counted as libbpf's `libbpf_num_possible_cpus` does: the CPUs
/// listed, not the highest index plus one. `None` if the text is not a CPU list.
pub fn count_cpu_list(text: &str) -> Option<u32> {
    /// More CPUs than any kernel supports (`NR_CPUS` is at most 8192 today).
    const LIMIT: usize = 1 << 20;
    let mut present = Vec::new();
    for range in text.trim().split(',') {
        let (start, end): (usize, usize) = match range.split_once('-') {
            Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
            None => {
                let n = range.trim().parse().ok()?;
                (n, n)
            }
        };
        if start > end || end >= LIMIT {
            return None;
        }
        if present.len() <= end {
            present.resize(end + 1, false);
        }
        present.get_mut(start..=end)?.fill(true);
    }
    u32::try_from(present.iter().filter(|&&cpu| cpu).count()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: MachineFacts = MachineFacts {
        possible_cpus: 6,
        page_size: 4096,
    };

    fn def(map_type: u32, max_entries: u32) -> MapDef {
        MapDef {
            map_type,
            key_size: 4,
            value_size: 4,
            max_entries,
            ..MapDef::default()
        }
    }

    #[test]
    fn perf_event_array_gets_the_cpus() {
        let mut d = def(PERF_EVENT_ARRAY, 0);
        assert_eq!(
            fix_map_def(&mut d, false, &FACTS),
            Some(MapFixup::PerfEventArrayCpus { max_entries: 6 })
        );
        assert_eq!(d.max_entries, 6);
        let mut sized = def(PERF_EVENT_ARRAY, 2);
        assert_eq!(fix_map_def(&mut sized, true, &FACTS), None);
        assert_eq!(sized.max_entries, 2);
        let mut array = def(2, 0);
        assert_eq!(fix_map_def(&mut array, true, &FACTS), None);
    }

    #[test]
    fn ringbuf_sizes() {
        assert_eq!(ringbuf_size(0, 4096), 0);
        assert_eq!(ringbuf_size(1, 4096), 4096);
        assert_eq!(ringbuf_size(4096, 4096), 4096);
        assert_eq!(ringbuf_size(4097, 4096), 8192);
        assert_eq!(ringbuf_size(3 * 4096, 4096), 4 * 4096);
        assert_eq!(ringbuf_size(256 * 1024, 4096), 256 * 1024);
        assert_eq!(ringbuf_size(1 << 31, 4096), 1 << 31);
        assert_eq!(
            ringbuf_size((1 << 31) + 1, 4096),
            (1 << 31) + 1,
            "no power of two above fits"
        );
        assert_eq!(ringbuf_size(u32::MAX, 4096), u32::MAX);
        assert_eq!(ringbuf_size(5000, 65536), 65536);
        let mut rb = def(RINGBUF, 5000);
        assert_eq!(
            fix_map_def(&mut rb, true, &FACTS),
            Some(MapFixup::RingbufSize {
                from: 5000,
                to: 8192
            })
        );
        let mut user = def(USER_RINGBUF, 100);
        fix_map_def(&mut user, true, &FACTS);
        assert_eq!(user.max_entries, 4096);
        let mut legacy = def(RINGBUF, 5000);
        assert_eq!(fix_map_def(&mut legacy, false, &FACTS), None);
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(count_cpu_list("0-1\n"), Some(2));
        assert_eq!(count_cpu_list("0"), Some(1));
        assert_eq!(count_cpu_list("0-3,8-11"), Some(8));
        assert_eq!(count_cpu_list("0,2,4"), Some(3));
        assert_eq!(count_cpu_list("x"), None);
        assert_eq!(count_cpu_list("3-1"), None);
    }
}
