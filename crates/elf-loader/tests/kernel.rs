//! Loading into the real kernel (needs root): maps are created as the object defines
//! them and the program refers to them; the verifier's rejection comes back with its
//! log. `bpftool` serves as an independent witness where it is installed.
//! Without privileges these tests skip with a printed reason, unless
//! `RTC_REQUIRE_PRIVILEGED=1`.

mod common;

use std::cell::RefCell;
use std::os::fd::{AsFd, AsRawFd};
use std::process::Command;

use bpf_sys::consts::{BPF_PSEUDO_MAP_FD, prog_type};
use bpf_sys::{Insn, ProgLoadAttr};
use common::{Target, build, privileged};
use elf_loader::{LoadError, LoadOptions, LoadedProgram, MapDef, NoObserver, Object, Observer};

fn load(
    file: &str,
    section: &str,
    options: &LoadOptions,
) -> Option<Result<LoadedProgram, LoadError>> {
    let bytes = build(file, Target::Host)?;
    let object = Object::parse(&bytes).unwrap();
    Some(object.load(section, None, options, &NoObserver))
}

/// `bpftool -j ARGS` as JSON, or None if bpftool is not installed.
fn bpftool(args: &[&str]) -> Option<serde_json::Value> {
    let out = Command::new("bpftool").arg("-j").args(args).output().ok()?;
    assert!(
        out.status.success(),
        "bpftool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn check_map(map: &elf_loader::CreatedMap, expected: (u32, u32, u32, u32, u32)) {
    let info = bpf_sys::map_info(map.fd.as_fd()).unwrap();
    assert_eq!(info.name, map.name);
    assert_eq!(
        (
            info.map_type,
            info.key_size,
            info.value_size,
            info.max_entries,
            info.map_flags
        ),
        expected,
        "map {}",
        map.name
    );
    let def = map.def;
    assert_eq!(
        (
            def.map_type,
            def.key_size,
            def.value_size,
            def.max_entries,
            def.map_flags
        ),
        expected
    );
    if let Some(json) = bpftool(&["map", "show", "id", &info.id.to_string()]) {
        assert_eq!(json["name"], map.name.as_str());
        assert_eq!(json["bytes_key"], expected.1);
        assert_eq!(json["bytes_value"], expected.2);
        assert_eq!(json["max_entries"], expected.3);
    }
}

#[test]
fn sched_cls_program_with_legacy_maps() {
    if !privileged() {
        return;
    }
    let options = LoadOptions {
        log_level: 1,
        ..LoadOptions::new(prog_type::SCHED_CLS)
    };
    let Some(result) = load("two-maps.c", "ingress", &options) else {
        return;
    };
    let loaded = result.unwrap_or_else(|e| panic!("{e}\n{}", e.verifier_log().unwrap_or("")));
    assert_eq!(loaded.name, "count_and_judge");
    assert_eq!(loaded.section, "ingress");
    assert!(
        loaded.log.contains("processed"),
        "log on success: {}",
        loaded.log
    );

    let names: Vec<&str> = loaded.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["counters", "verdicts"]);
    // From two-maps.c: ARRAY 4/8/4, HASH 4/4/16 with BPF_F_NO_PREALLOC.
    check_map(&loaded.maps[0], (2, 4, 8, 4, 0));
    check_map(&loaded.maps[1], (1, 4, 4, 16, 1));

    // The kernel says the program uses exactly these maps.
    let info = bpf_sys::prog_info(loaded.fd.as_fd()).unwrap();
    assert_eq!(info.prog_type, prog_type::SCHED_CLS);
    assert_eq!(info.name, "count_and_judge");
    let mut map_ids: Vec<u32> = loaded
        .maps
        .iter()
        .map(|m| bpf_sys::map_info(m.fd.as_fd()).unwrap().id)
        .collect();
    map_ids.sort_unstable();
    let mut prog_map_ids = info.map_ids.clone();
    prog_map_ids.sort_unstable();
    assert_eq!(prog_map_ids, map_ids);
    if let Some(json) = bpftool(&["prog", "show", "id", &info.id.to_string()]) {
        assert_eq!(json["type"], "sched_cls");
        assert_eq!(json["name"], "count_and_judge");
        let mut ids: Vec<u32> = json["map_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, map_ids);
    }
    // What was loaded carries the created fds.
    let fds: Vec<i32> = loaded.maps.iter().map(|m| m.fd.as_raw_fd()).collect();
    let pseudo: Vec<&Insn> = loaded
        .insns
        .iter()
        .filter(|i| i.is_ld_imm64() && i.src_reg() == BPF_PSEUDO_MAP_FD)
        .collect();
    assert_eq!(pseudo.len(), 2);
    for insn in pseudo {
        assert!(fds.contains(&insn.imm));
    }
}

#[test]
fn iproute2_layout_and_short_layout_and_static_maps_load() {
    if !privileged() {
        return;
    }
    let options = LoadOptions::new(prog_type::SCHED_CLS);
    for (file, section, map, expected) in [
        ("elf-map.c", "classifier", "plain", (2, 4, 8, 2, 0)),
        ("short-map.c", "ingress", "tiny", (2, 4, 4, 1, 0)),
        ("static-map.c", "ingress", "hidden", (2, 4, 8, 2, 0)),
    ] {
        let Some(result) = load(file, section, &options) else {
            return;
        };
        let loaded =
            result.unwrap_or_else(|e| panic!("{file}: {e}\n{}", e.verifier_log().unwrap_or("")));
        assert!(loaded.log.is_empty(), "log_level 0 gives no log on success");
        assert_eq!(loaded.maps.len(), 1, "{file}");
        assert_eq!(loaded.maps[0].name, map);
        check_map(&loaded.maps[0], expected);
    }
}

#[test]
fn verifier_rejection_returns_the_log() {
    if !privileged() {
        return;
    }
    let Some(result) = load(
        "reject.c",
        "ingress",
        &LoadOptions::new(prog_type::SCHED_CLS),
    ) else {
        return;
    };
    let err = result.expect_err("reject.c must not pass the verifier");
    let log = err
        .verifier_log()
        .unwrap_or_else(|| panic!("not a verifier error: {err}"));
    println!("{err}\n{log}");
    assert!(matches!(err, LoadError::Verifier { .. }));
    assert!(err.to_string().contains("unchecked_read"));
    assert!(
        log.contains("invalid access to packet"),
        "the verifier names the unchecked packet read:\n{log}"
    );
}

#[derive(Default)]
struct Recorder(RefCell<Vec<String>>);

impl Observer for Recorder {
    fn program_selected(&self, program: &elf_loader::Program) {
        self.0
            .borrow_mut()
            .push(format!("selected {}", program.name));
    }
    fn map_created(&self, name: &str, _def: &MapDef, fd: i32) {
        self.0.borrow_mut().push(format!("map {name} fd {fd}"));
    }
    fn relocated(&self, insn_index: usize, symbol: &str, _before: Insn, after: Insn) {
        self.0
            .borrow_mut()
            .push(format!("reloc {insn_index} {symbol} imm {}", after.imm));
    }
    fn prog_loading(&self, attr: &ProgLoadAttr<'_>) {
        self.0.borrow_mut().push(format!(
            "loading {} insns license {}",
            attr.insns.len(),
            attr.license
        ));
    }
    fn prog_loaded(&self, name: &str, fd: i32, _log: &str) {
        self.0.borrow_mut().push(format!("loaded {name} fd {fd}"));
    }
}

#[test]
fn observer_sees_each_step_in_order() {
    if !privileged() {
        return;
    }
    let Some(bytes) = build("short-map.c", Target::Host) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let recorder = Recorder::default();
    let loaded = object
        .load(
            "ingress",
            None,
            &LoadOptions::new(prog_type::SCHED_CLS),
            &recorder,
        )
        .unwrap();
    let map_fd = loaded.maps[0].fd.as_raw_fd();
    let reloc = &object.programs()[0].relocations[0];
    assert_eq!(
        recorder.0.into_inner(),
        [
            "selected use_tiny".to_string(),
            format!("map tiny fd {map_fd}"),
            format!("reloc {} tiny imm {map_fd}", reloc.insn_index),
            format!(
                "loading {} insns license GPL",
                object.programs()[0].insns.len()
            ),
            format!("loaded use_tiny fd {}", loaded.fd.as_raw_fd()),
        ]
    );
}
