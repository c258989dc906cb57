//! `rtc map dump` against `bpftool map dump` on maps of every type the batched
//! read (BPF_MAP_LOOKUP_BATCH) serves and one it does not: same text, same JSON.
//! Maps are created and filled with bpf(2) here, pinned on the test's own bpffs.
//! Needs root; skips with a reason otherwise, unless RTC_REQUIRE_PRIVILEGED=1.

use std::os::fd::AsFd;

use bpf_sys::consts::{BPF_ANY, map_type};
use bpf_sys::{MapCreateAttr, MapHandle, map_create, obj_pin};
use rtc_tests::{Bpffs, bpftool, require_privileged, rtc};

/// Creates a map of `kind` with `entries` elements (keys 4 bytes, values
/// `value_size` bytes of a pattern), pinned at `dir/name`.
fn pinned_map(dir: &Bpffs, name: &str, kind: u32, value_size: u32, entries: u32) -> String {
    let fd = map_create(&MapCreateAttr {
        map_type: kind,
        key_size: 4,
        value_size,
        max_entries: entries + 7,
        name,
        ..Default::default()
    })
    .unwrap();
    let map = MapHandle::new(fd.into_owned()).unwrap();
    let is_array = kind == map_type::ARRAY || kind == map_type::PERCPU_ARRAY;
    for i in 0..entries {
        let key = if is_array {
            i
        } else {
            i.wrapping_mul(2_654_435_761)
        };
        let value: Vec<u8> = (0..map.value_len())
            .map(|b| (b as u32 ^ i.wrapping_mul(31)) as u8)
            .collect();
        map.update(&key.to_ne_bytes(), &value, BPF_ANY).unwrap();
    }
    let path = dir.path().join(name);
    obj_pin(map.as_fd(), &path).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn dumps_equal_bpftool_for_batched_and_per_element_types() {
    if !require_privileged() {
        return;
    }
    let dir = Bpffs::new();
    let maps = [
        ("hash", map_type::HASH, 8, 1000),
        ("hash_empty", map_type::HASH, 8, 0),
        ("array", map_type::ARRAY, 12, 300),
        ("percpu_hash", map_type::PERCPU_HASH, 4, 100),
        ("percpu_array", map_type::PERCPU_ARRAY, 16, 50),
        ("lru_hash", map_type::LRU_HASH, 8, 200),
        ("lru_percpu", map_type::LRU_PERCPU_HASH, 8, 100),
        // BPF_MAP_TYPE_DEVMAP has no batch lookup (ENOTSUPP): the per-element walk,
        // every slot `<no entry>` (left empty: a value must name a device).
        ("devmap", 14, 4, 0),
    ];
    for (name, kind, value_size, entries) in maps {
        let path = pinned_map(&dir, name, kind, value_size, entries);
        for json in [false, true] {
            let mut args = vec!["map", "dump", "pinned", path.as_str()];
            if json {
                args.insert(0, "-j");
            }
            let expected = bpftool(&args);
            let actual = rtc(&args);
            assert_eq!(
                (actual.status, &actual.stdout),
                (expected.status, &expected.stdout),
                "{name} (-j: {json}): rtc and bpftool differ"
            );
        }
    }
}
