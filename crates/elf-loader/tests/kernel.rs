//! Loading into the real kernel (needs root): maps are created as the object defines
//! them and the program refers to them; the verifier's rejection comes back with its
//! log; global data is filled and `.rodata` frozen; maps-in-maps and program arrays
//! hold what the object says; pins follow iproute2's layout, are reused, shared by
//! racing loads, and removed when the load fails. `bpftool` and `sha1sum` serve as
//! independent witnesses where they are installed.
//! Without privileges these tests skip with a printed reason, unless
//! `RTC_REQUIRE_PRIVILEGED=1`.

mod common;

use std::cell::RefCell;
use std::os::fd::{AsFd, AsRawFd};
use std::process::Command;

use bpf_sys::consts::{BPF_PSEUDO_MAP_FD, prog_type};
use bpf_sys::{Insn, ProgLoadAttr};
use common::{Target, build, privileged};
use elf_loader::{
    LoadError, LoadOptions, LoadedProgram, MapDef, NoObserver, Object, Observer, PinOptions,
    ProgType,
};
use rtc_tests::{Bpffs, TempDir, sha1sum};

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
    let options = LoadOptions::new(ProgType::SCHED_CLS).with_log_level(1);
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
    // elf-map.c also has a map pinned in the global namespace: a private bpffs keeps
    // it out of the machine's /sys/fs/bpf.
    let bpffs = Bpffs::new();
    let options = LoadOptions::new(ProgType::SCHED_CLS).with_pinning(PinOptions::new(bpffs.path()));
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
        // Every map of the object is created, as libbpf does; `map` is the one used.
        let used = loaded
            .maps
            .iter()
            .find(|m| m.name == map)
            .unwrap_or_else(|| panic!("{file}: no map {map}"));
        check_map(used, expected);
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
        &LoadOptions::new(ProgType::SCHED_CLS),
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
            &LoadOptions::new(ProgType::SCHED_CLS),
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

/// Reads a u32-keyed map value of `len` bytes.
fn lookup(fd: std::os::fd::BorrowedFd<'_>, key: u32, len: usize) -> Option<Vec<u8>> {
    let mut value = vec![0u8; len];
    bpf_sys::map_lookup_elem(fd, &key.to_ne_bytes(), &mut value)
        .unwrap()
        .then_some(value)
}

fn map<'a>(loaded: &'a LoadedProgram, name: &str) -> &'a elf_loader::CreatedMap {
    loaded
        .maps
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no map {name}"))
}

#[test]
fn global_data_is_filled_named_like_libbpf_and_rodata_frozen() {
    if !privileged() {
        return;
    }
    let Some(bytes) = build("globals.c", Target::Host) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let options = LoadOptions::new(ProgType::SCHED_CLS).with_object_name("/some/dir/globals.o");
    let loaded = object
        .load("ingress", None, &options, &NoObserver)
        .unwrap_or_else(|e| panic!("{e}\n{}", e.verifier_log().unwrap_or("")));
    let names: Vec<(&str, &str)> = loaded
        .maps
        .iter()
        .map(|m| (m.name.as_str(), m.kernel_name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (".data", "globals.data"),
            (".rodata", "globals.rodata"),
            (".data.custom", ".data.custom"),
            (".bss", "globals.bss"),
        ]
    );
    for m in &loaded.maps {
        let info = bpf_sys::map_info(m.fd.as_fd()).unwrap();
        assert_eq!(info.name, m.kernel_name);
        assert_eq!((info.map_type, info.key_size, info.max_entries), (2, 4, 1));
    }
    let ne = |v: u32| v.to_ne_bytes().to_vec();
    assert_eq!(
        lookup(map(&loaded, ".bss").fd.as_fd(), 0, 8),
        Some(vec![0; 8])
    );
    assert_eq!(
        lookup(map(&loaded, ".data").fd.as_fd(), 0, 4),
        Some(ne(0x1122_3344))
    );
    assert_eq!(
        lookup(map(&loaded, ".data.custom").fd.as_fd(), 0, 8),
        Some([ne(5), ne(6)].concat())
    );
    let rodata = map(&loaded, ".rodata");
    assert_eq!(lookup(rodata.fd.as_fd(), 0, 4), Some(ne(1000)));
    assert_eq!(
        bpf_sys::map_info(rodata.fd.as_fd()).unwrap().map_flags,
        bpf_sys::consts::BPF_F_RDONLY_PROG | bpf_sys::consts::BPF_F_MMAPABLE
    );
    let write = bpf_sys::map_update_elem(rodata.fd.as_fd(), &0u32.to_ne_bytes(), &ne(1), 0);
    assert_eq!(
        write.unwrap_err().raw_os_error(),
        Some(1),
        "a frozen map refuses writes with EPERM"
    );
    if let Some(json) = bpftool(&[
        "map",
        "show",
        "id",
        &bpf_sys::map_info(rodata.fd.as_fd()).unwrap().id.to_string(),
    ]) {
        assert_eq!(json["frozen"], 1);
    }
    // The program carries BTF (func_info/line_info need it).
    assert!(loaded.with_btf);
    assert_ne!(bpf_sys::prog_info(loaded.fd.as_fd()).unwrap().btf_id, 0);
}

#[test]
fn iproute2_map_in_map_stores_the_inner_map_at_its_index() {
    if !privileged() {
        return;
    }
    let Some(result) = load(
        "map-in-map.c",
        "ingress",
        &LoadOptions::new(ProgType::SCHED_CLS),
    ) else {
        return;
    };
    let loaded = result.unwrap_or_else(|e| panic!("{e}\n{}", e.verifier_log().unwrap_or("")));
    let inner = map(&loaded, "inner");
    let outer = map(&loaded, "outer");
    let inner_id = bpf_sys::map_info(inner.fd.as_fd()).unwrap().id;
    // From user space, a map-in-map slot reads as the inner map's id.
    assert_eq!(
        lookup(outer.fd.as_fd(), 3, 4),
        Some(inner_id.to_ne_bytes().to_vec())
    );
    for key in [0, 1, 2, 4, 7] {
        assert_eq!(lookup(outer.fd.as_fd(), key, 4), None, "slot {key}");
    }
}

#[test]
fn btf_initial_values_fill_program_arrays_and_maps_in_maps() {
    if !privileged() {
        return;
    }
    let Some(bytes) = build("btf-init.c", Target::Host) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    // Both functions are programs of section "tc": tc would pick the first, "tail".
    assert_eq!(object.find_program("tc", None).unwrap().name, "tail");
    let options = LoadOptions::new(ProgType::SCHED_CLS);
    let loaded = object
        .load("tc", Some("entry"), &options, &NoObserver)
        .unwrap_or_else(|e| panic!("{e}\n{}", e.verifier_log().unwrap_or("")));
    assert_eq!(loaded.name, "entry");
    assert_eq!(loaded.extra_programs.len(), 1);
    let tail = &loaded.extra_programs[0];
    assert_eq!(tail.name, "tail");
    assert_eq!(tail.stored_in, [("jumps".to_string(), 1)]);
    let tail_id = bpf_sys::prog_info(tail.fd.as_fd()).unwrap().id;
    let jumps = map(&loaded, "jumps");
    assert_eq!(
        lookup(jumps.fd.as_fd(), 1, 4),
        Some(tail_id.to_ne_bytes().to_vec())
    );
    assert_eq!(lookup(jumps.fd.as_fd(), 0, 4), None);
    let inner_id = bpf_sys::map_info(map(&loaded, "inner").fd.as_fd())
        .unwrap()
        .id;
    assert_eq!(
        lookup(map(&loaded, "outer").fd.as_fd(), 0, 4),
        Some(inner_id.to_ne_bytes().to_vec())
    );
}

#[test]
fn object_pins_use_the_files_sha1_are_reused_and_removed_on_failure() {
    if !privileged() {
        return;
    }
    let Some(bytes) = build("object-pin.c", Target::Host) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    let bpffs = Bpffs::new();
    let options = LoadOptions::new(ProgType::SCHED_CLS).with_pinning(PinOptions::new(bpffs.path()));
    // The oracle for the directory name: coreutils' sha1sum of the same bytes.
    let dir = TempDir::new("object-pin");
    let file = dir.join("object-pin.o");
    std::fs::write(&file, &bytes).unwrap();
    let hex = sha1sum(&file);
    assert_eq!(object.sha1_hex(), Some(hex.as_str()));
    let pin = bpffs.path().join("tc").join(&hex).join("per_object");

    // A rejected program leaves no pin behind.
    let err = object.load("bad", None, &options, &NoObserver).unwrap_err();
    assert!(matches!(err, LoadError::Verifier { .. }), "{err}");
    assert!(!pin.exists(), "the failed load removed its pin");

    let first = object.load("good", None, &options, &NoObserver).unwrap();
    let created = &first.maps[0];
    assert_eq!(created.pin.as_deref(), Some(pin.as_path()));
    assert!(!created.reused);
    assert!(pin.exists());
    let second = object.load("good", None, &options, &NoObserver).unwrap();
    assert!(second.maps[0].reused);
    let id = |m: &elf_loader::CreatedMap| bpf_sys::map_info(m.fd.as_fd()).unwrap().id;
    assert_eq!(id(&first.maps[0]), id(&second.maps[0]));
    // An XDP load finds the same pins through the xdp symlink.
    let mut xdp = options.clone();
    xdp.prog_type = ProgType::XDP;
    let third = object.load("good", None, &xdp, &NoObserver).unwrap();
    assert_eq!(
        third.maps[0].pin.as_deref(),
        Some(
            bpffs
                .path()
                .join("xdp")
                .join(&hex)
                .join("per_object")
                .as_path()
        )
    );
    assert!(third.maps[0].reused);
    assert_eq!(id(&third.maps[0]), id(&first.maps[0]));
}

#[test]
fn loads_racing_for_a_new_pin_share_one_map() {
    if !privileged() {
        return;
    }
    let Some(bytes) = build("elf-map.c", Target::Host) else {
        return;
    };
    let object = Object::parse(&bytes).unwrap();
    for round in 0..20 {
        let bpffs = Bpffs::new();
        let options =
            LoadOptions::new(ProgType::SCHED_CLS).with_pinning(PinOptions::new(bpffs.path()));
        let barrier = std::sync::Barrier::new(2);
        let ids: Vec<u32> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        let loaded = object.load("pinned", None, &options, &NoObserver).unwrap();
                        let shared = loaded.maps.iter().find(|m| m.name == "shared").unwrap();
                        bpf_sys::map_info(shared.fd.as_fd()).unwrap().id
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(ids[0], ids[1], "round {round}: two maps for one pin");
        let pinned = bpf_sys::obj_get(&bpffs.path().join("tc/globals/shared")).unwrap();
        assert_eq!(bpf_sys::map_info(pinned.as_fd()).unwrap().id, ids[0]);
    }
}

#[test]
fn func_and_line_info_reach_the_kernel_for_subprograms() {
    if !privileged() {
        return;
    }
    let options = LoadOptions::new(ProgType::SCHED_CLS).with_log_level(2);
    let Some(result) = load("subprog.c", "ingress", &options) else {
        return;
    };
    let loaded = result.unwrap_or_else(|e| panic!("{e}\n{}", e.verifier_log().unwrap_or("")));
    assert!(loaded.with_btf);
    // Two functions: the program and is_arp, appended after it.
    assert!(loaded.log.contains("func#1"), "{}", loaded.log);
    // Source lines from line_info, with the file name.
    assert!(loaded.log.contains("@ subprog.c:"), "{}", loaded.log);
    if let Some(json) = bpftool(&[
        "prog",
        "show",
        "id",
        &bpf_sys::prog_info(loaded.fd.as_fd())
            .unwrap()
            .id
            .to_string(),
    ]) {
        assert!(json["btf_id"].as_u64().unwrap_or(0) > 0);
    }
}

#[test]
fn fixed_up_btf_is_accepted_by_the_kernel_even_with_externs() {
    if !privileged() {
        return;
    }
    for file in [
        "kfunc.c",
        "kconfig.c",
        "globals.c",
        "btf-init.c",
        "btf-map.c",
    ] {
        let Some(bytes) = build(file, Target::Host) else {
            return;
        };
        let object = Object::parse(&bytes).unwrap();
        let raw = object.btf().unwrap().raw();
        let fixed = object.kernel_btf().unwrap();
        assert_eq!(raw.len(), fixed.len(), "{file}: fix-ups change no sizes");
        // clang's own BTF is refused (data sections of size 0, extern linkage).
        assert!(bpf_sys::btf_load(raw, 0).is_err(), "{file}: raw BTF loaded");
        if let Err(e) = bpf_sys::btf_load(fixed, 1) {
            panic!("{file}: {e}\n{}", e.verifier_log().unwrap_or(""));
        }
    }
}

#[test]
fn pinning_into_a_plain_directory_fails_unless_mounting_is_allowed() {
    if !privileged() {
        return;
    }
    // elf-map.c pins a map in the global namespace; the directory is no bpffs.
    let dir = TempDir::new("not-bpffs");
    let plain = dir.join("pins");
    std::fs::create_dir(&plain).unwrap();
    let options = LoadOptions::new(ProgType::SCHED_CLS).with_pinning(PinOptions::new(&plain));
    let Some(result) = load("elf-map.c", "classifier", &options) else {
        return;
    };
    match result {
        Err(LoadError::NotBpffs { path }) => assert_eq!(path, plain),
        other => panic!("expected NotBpffs, got {other:?}"),
    }
    // Nothing was mounted or created there (the oracle: the directory is empty and
    // /proc/self/mountinfo does not list it).
    assert_eq!(std::fs::read_dir(&plain).unwrap().count(), 0);
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&plain.display().to_string()), "{mounts}");

    // A bpffs path whose parent does not exist: mounting is allowed but cannot work,
    // and the error keeps the errno.
    let missing = dir.join("no/such/dir");
    let options = LoadOptions::new(ProgType::SCHED_CLS)
        .with_pinning(PinOptions::new(&missing).with_mount_if_missing(true));
    let err = load("elf-map.c", "classifier", &options)
        .unwrap()
        .expect_err("no bpffs can be mounted under a missing parent");
    match &err {
        LoadError::Bpffs { path, source, .. } => {
            assert_eq!(path, &missing);
            assert_eq!(
                source.raw_os_error(),
                Some(nix::errno::Errno::ENOENT as i32),
                "{err}"
            );
        }
        other => panic!("expected Bpffs, got {other:?}"),
    }
}
