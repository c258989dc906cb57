//! libbpf's map fix-ups against libbpf itself: an object loaded by bpftool 7.1
//! (libbpf 1.1) gets maps of the sizes [`elf_loader::fix_map_def`] gives.

mod common;

use common::{Target, build};
use elf_loader::{MachineFacts, MapFixup, MapSource, Object, fix_map_def};
use rtc_tests::{Bpffs, bpftool};
use serde_json::Value;

#[test]
fn perf_event_array_and_ringbuf_sizes_match_libbpf() {
    if !common::privileged() || !rtc_tests::require_tools(&["bpftool"]) {
        return;
    }
    let Some(bytes) = build("map-fixups.c", Target::Host) else {
        return;
    };
    let dir = rtc_tests::TempDir::new("map-fixups");
    let path = dir.join("map_fixups.o");
    std::fs::write(&path, &bytes).unwrap();
    let bpffs = Bpffs::new();
    let pin = bpffs.path().join("prog");
    bpftool(&[
        "prog",
        "load",
        &path.to_string_lossy(),
        &pin.to_string_lossy(),
        "type",
        "classifier",
    ])
    .ok("bpftool prog load");
    let prog: Value = serde_json::from_str(
        &bpftool(&["prog", "show", "pinned", &pin.to_string_lossy(), "-j"])
            .ok("prog show")
            .stdout,
    )
    .unwrap();
    let mut libbpf = std::collections::BTreeMap::new();
    for id in prog["map_ids"].as_array().unwrap() {
        let map: Value = serde_json::from_str(
            &bpftool(&["map", "show", "id", &id.to_string(), "-j"])
                .ok("map show")
                .stdout,
        )
        .unwrap();
        libbpf.insert(
            map["name"].as_str().unwrap().to_string(),
            map["max_entries"].as_u64().unwrap() as u32,
        );
    }

    let facts = MachineFacts::running().unwrap();
    let object = Object::parse(&bytes).unwrap();
    for name in ["events", "ring"] {
        let map = &object.maps()[object.map_index(name).unwrap()];
        let mut def = map.def;
        let fixed = fix_map_def(
            &mut def,
            matches!(map.source, MapSource::Btf { .. }),
            &facts,
        );
        assert!(fixed.is_some(), "{name} needs a fix-up");
        assert_eq!(def.max_entries, libbpf[name], "{name}");
    }
    assert_eq!(
        libbpf["ring"], 8192,
        "5000 bytes round up to two 4 KiB pages"
    );
    let mut def = object.maps()[object.map_index("events").unwrap()].def;
    assert_eq!(
        fix_map_def(&mut def, true, &facts),
        Some(MapFixup::PerfEventArrayCpus {
            max_entries: facts.possible_cpus
        })
    );
}
