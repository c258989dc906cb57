//! Program tags equal tc's: every program section of bpf-src's objects and of the
//! corpus objects that tc 6.1 loads is attached once by tc and once by rtc (twin
//! namespaces, each tool with a bpffs of its own), and the tags the kernel computed
//! are compared. The tag hashes the instructions as loaded, so equal tags mean rtc
//! laid out subprograms (and rewrote everything else) as libbpf does. After each
//! load the pins in both bpffs are compared too: like libbpf, rtc creates every map
//! of an object and pins each that asks to be, used by the program or not.

use std::path::{Path, PathBuf};

use rtc_tests::{Netns, TempDir, require_privileged, run_env, tc_filters, workspace_root};

/// The device of the twins.
const DEV: &str = "tg0";

fn twin() -> Netns {
    let ns = Netns::new();
    ns.ip(&["link", "add", DEV, "type", "veth", "peer", "name", "tg1"])
        .ok("ip link add");
    ns.tc(&["qdisc", "add", "dev", DEV, "clsact"]).ok("clsact");
    ns
}

/// The objects to compare: bpf-src's (built into target/bpf) and the corpus's
/// little-endian ones.
fn objects() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut objects = Vec::new();
    for (dir, suffix) in [
        (root.join("target/bpf"), ".o"),
        (root.join("target/bpf/core"), ".o"),
        (root.join("tests/corpus/cilium-ebpf"), "-el.elf"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        found.sort();
        objects.extend(found);
    }
    objects
}

/// The sections of `path` that hold programs, in file order.
fn program_sections(path: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let Ok(object) = elf_loader::Object::parse(&bytes) else {
        return Vec::new();
    };
    let mut sections: Vec<String> = Vec::new();
    for program in object.programs() {
        if !sections.contains(&program.section) {
            sections.push(program.section.clone());
        }
    }
    sections
}

/// Attaches `obj`'s section `sec` with `tool` in `ns`; the tag of the program
/// attached, or `None` when the tool refused.
fn tag(ns: &Netns, tool: &str, mount: &Path, obj: &Path, sec: &str) -> Option<String> {
    let _ = ns.tc(&["filter", "del", "dev", DEV, "ingress"]);
    let env = [("TC_BPF_MNT".to_string(), mount.display().to_string())];
    let obj = obj.display().to_string();
    let run = run_env(
        tool,
        &[
            "-n",
            ns.name(),
            "filter",
            "add",
            "dev",
            DEV,
            "ingress",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            sec,
        ],
        &env,
    );
    if !run.success() {
        return None;
    }
    let filters = tc_filters(ns, DEV, "ingress");
    filters
        .iter()
        .find_map(|f| f["options"]["prog"]["tag"].as_str().map(String::from))
}

/// The files under `mount`, relative to it, sorted.
fn pins(mount: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![mount.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(rel) = path.strip_prefix(mount) {
                found.push(rel.display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn tags_equal_tcs() {
    if !require_privileged() {
        return;
    }
    let dir = TempDir::new("tags");
    let rtc_bin = rtc_tests::rtc_bin().display().to_string();
    let mut mounts = Vec::new();
    for name in ["tc", "rtc"] {
        let mount = dir.path().join(name);
        std::fs::create_dir_all(&mount).expect("mount point");
        rtc_tests::run("mount", &["-t", "bpf", "bpf", &mount.display().to_string()])
            .ok("mount a bpffs");
        mounts.push(mount);
    }
    let (ns_tc, ns_rtc) = (twin(), twin());
    let mut compared = 0;
    let mut differ = Vec::new();
    for obj in objects() {
        for sec in program_sections(&obj) {
            let Some(by_tc) = tag(&ns_tc, "tc", &mounts[0], &obj, &sec) else {
                continue;
            };
            let by_rtc = tag(&ns_rtc, &rtc_bin, &mounts[1], &obj, &sec);
            compared += 1;
            let (pins_tc, pins_rtc) = (pins(&mounts[0]), pins(&mounts[1]));
            if pins_tc != pins_rtc {
                differ.push(format!(
                    "{} sec {sec}: pins tc {pins_tc:?}, rtc {pins_rtc:?}",
                    obj.display()
                ));
            }
            if by_rtc.as_deref() != Some(by_tc.as_str()) {
                differ.push(format!(
                    "{} sec {sec}: tc {by_tc}, rtc {by_rtc:?}",
                    obj.display()
                ));
            }
        }
    }
    drop((ns_tc, ns_rtc));
    for mount in &mounts {
        let _ = rtc_tests::run("umount", &[&mount.display().to_string()]);
    }
    println!(
        "tags: {compared} programs loaded by tc compared, {} differ",
        differ.len()
    );
    assert!(compared >= 10, "too few programs compared: {compared}");
    assert!(differ.is_empty(), "tags differ:\n{}", differ.join("\n"));
}

/// A map the program does not use is still created, so a pin of that name with
/// another definition fails the load, with tc as with rtc (exit 1); rtc names the
/// map and the fields that differ, and leaves no pin of the other map behind.
#[test]
fn a_mismatching_pin_of_an_unused_map_is_refused_by_name() {
    if !require_privileged() {
        return;
    }
    let dir = TempDir::new("pin-mismatch");
    let obj = workspace_root().join("target/bpf/pin-all.o");
    let ns = twin();
    let mut outcomes = Vec::new();
    for (name, tool) in [
        ("tc", "tc".to_string()),
        ("rtc", rtc_tests::rtc_bin().display().to_string()),
    ] {
        let mount = dir.path().join(name);
        std::fs::create_dir_all(&mount).expect("mount point");
        rtc_tests::run("mount", &["-t", "bpf", "bpf", &mount.display().to_string()])
            .ok("mount a bpffs");
        std::fs::create_dir_all(mount.join("tc/globals")).expect("globals");
        let pin = mount
            .join("tc/globals/rtc_pin_config")
            .display()
            .to_string();
        rtc_tests::bpftool(&[
            "map",
            "create",
            &pin,
            "type",
            "array",
            "key",
            "4",
            "value",
            "4",
            "entries",
            "1",
            "name",
            "rtc_pin_config",
        ])
        .ok("bpftool map create");
        let env = [("TC_BPF_MNT".to_string(), mount.display().to_string())];
        let run = run_env(
            &tool,
            &[
                "-n",
                ns.name(),
                "filter",
                "add",
                "dev",
                DEV,
                "ingress",
                "bpf",
                "da",
                "obj",
                &obj.display().to_string(),
                "sec",
                "ingress",
            ],
            &env,
        );
        let left = pins(&mount);
        let _ = rtc_tests::run("umount", &[&mount.display().to_string()]);
        outcomes.push((run.status, left, run.stderr));
    }
    let (tc_status, tc_pins, _) = &outcomes[0];
    let (rtc_status, rtc_pins, rtc_err) = &outcomes[1];
    assert_eq!((tc_status, tc_pins), (rtc_status, rtc_pins));
    assert_eq!(*rtc_status, 1);
    assert!(
        rtc_err.contains("map \"rtc_pin_config\"")
            && rtc_err.contains("max entries 1 pinned vs 16"),
        "{rtc_err}"
    );
}
