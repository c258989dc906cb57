//! `rtc obj show|dump` run as a user would run it, checked against oracles that
//! know nothing of rtc:
//!
//! * `llvm-readobj-19` (sections, relocations, function symbols), `llvm-objcopy-19`
//!   (the licence bytes) and `sha1sum` for `obj show -j` on the objects of
//!   `bpf-src/`;
//! * `llvm-objdump-19 -d` (with raw bytes) for `obj dump -j`: every instruction of every
//!   function dumped, in order, with its opcode byte;
//! * the real `tc` (root): a map pinned by name is found exactly where
//!   `obj show` said it would be; for iproute2's `PIN_OBJECT_NS` (which the distro
//!   tc cannot load) rtc's own loader must agree with `obj show`, the directory
//!   name checked against `sha1sum`.
//!
//! And every object of the shared corpus: `show` and `dump` either succeed or fail
//! with a message, never a crash. Missing tools or privileges skip with a reason,
//! unless `RTC_REQUIRE_PRIVILEGED=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rtc_tests::{
    Bpffs, Target, TempDir, bpf_src_objects, build_object, corpus_dir, require_root, require_tools,
    sha1sum, skip,
};
use serde_json::Value;

fn rtc(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rtc"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run rtc")
}

/// `rtc -j ARGS` as JSON (it must succeed).
fn rtc_json(args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = rtc(&[&["-j"], args].concat(), env);
    assert!(
        out.status.success(),
        "rtc -j {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `tests/obj/NAME.c` built with clang-19 (in a directory that lives as long as
/// the returned guard).
fn build(name: &str) -> Option<(TempDir, PathBuf)> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/obj/{name}.c"));
    build_object(&source, Target::Host, &[])
}

fn s(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_string()
}

fn n(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

// ---------------------------------------------------------------------------

#[test]
fn show_reports_what_llvm_sees() {
    if !require_tools(&["llvm-readobj-19", "llvm-objcopy-19"]) {
        return;
    }
    let Some((_dir, objects)) = bpf_src_objects() else {
        return;
    };
    for path in objects {
        let file = path.to_str().unwrap();
        let ours = rtc_json(&["obj", "show", file], &[]);
        let out = Command::new("llvm-readobj-19")
            .args(["--elf-output-style=JSON", "-S", "-r", "-s"])
            .arg(&path)
            .output()
            .unwrap();
        let llvm: Value = serde_json::from_slice::<Value>(&out.stdout).unwrap()[0].clone();

        assert_eq!(s(&ours["sha1"]), sha1sum(&path), "{file}: sha1");
        assert_eq!(
            n(&ours["size"]),
            std::fs::metadata(&path).unwrap().len(),
            "{file}: size"
        );

        // Sections: index, name, size.
        let section = |v: &Value| {
            let v = &v["Section"];
            (n(&v["Index"]), s(&v["Name"]["Name"]), n(&v["Size"]))
        };
        let theirs: Vec<_> = llvm["Sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(section)
            .collect();
        let mine: Vec<_> = ours["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (n(&v["index"]), s(&v["name"]), n(&v["size"])))
            .collect();
        assert_eq!(mine, theirs, "{file}: sections");
        let names: BTreeMap<u64, String> = theirs.iter().map(|(i, n, _)| (*i, n.clone())).collect();
        let code: BTreeSet<u64> = llvm["Sections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| n(&v["Section"]["Flags"]["Value"]) & 4 != 0) // SHF_EXECINSTR
            .map(|v| n(&v["Section"]["Index"]))
            .collect();

        // Relocations of code: section, offset, type, symbol.
        let mut theirs = BTreeSet::new();
        for group in llvm["Relocations"].as_array().unwrap() {
            let rel_index = n(&group["SectionIndex"]);
            let target = llvm["Sections"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| n(&v["Section"]["Index"]) == rel_index)
                .map(|v| n(&v["Section"]["Info"]))
                .unwrap();
            if !code.contains(&target) {
                continue;
            }
            for reloc in group["Relocs"].as_array().unwrap() {
                let r = &reloc["Relocation"];
                theirs.insert((
                    names[&target].clone(),
                    n(&r["Offset"]),
                    s(&r["Type"]["Name"]),
                    s(&r["Symbol"]["Name"]),
                ));
            }
        }
        let mine: BTreeSet<_> = ours["relocations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    s(&r["section"]),
                    n(&r["offset"]),
                    s(&r["r_type"]),
                    s(&r["symbol"]),
                )
            })
            .collect();
        assert_eq!(mine, theirs, "{file}: relocations");

        // Programs: the function symbols of code sections other than .text.
        let theirs: BTreeSet<(String, String)> = llvm["Symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["Symbol"])
            .filter(|v| n(&v["Type"]["Value"]) == 2) // STT_FUNC
            .filter(|v| code.contains(&n(&v["Section"]["Value"])))
            .map(|v| {
                (
                    names[&n(&v["Section"]["Value"])].clone(),
                    s(&v["Name"]["Name"]),
                )
            })
            .collect();
        let mine: BTreeSet<(String, String)> = ["programs", "subprograms"]
            .iter()
            .flat_map(|key| ours[key].as_array().unwrap())
            .map(|p| (s(&p["section"]), s(&p["function"])))
            .collect();
        assert_eq!(mine, theirs, "{file}: functions");

        // Licence: the section's bytes up to the NUL.
        if let Some(licence) = ours["license"].as_str() {
            let dir = TempDir::new("licence");
            let dump = dir.join("licence.bin");
            let status = Command::new("llvm-objcopy-19")
                .arg(format!("--dump-section=license={}", dump.display()))
                .arg(&path)
                .arg(dump.with_extension("o"))
                .status()
                .unwrap();
            assert!(status.success());
            let bytes = std::fs::read(&dump).unwrap();
            let text = bytes.split(|&b| b == 0).next().unwrap();
            assert_eq!(licence.as_bytes(), text, "{file}: licence");
        }
        eprintln!("{file}: sections, relocations, functions, sha1 and licence agree");
    }
}

#[test]
fn dump_shows_every_instruction_llvm_decodes() {
    if !require_tools(&["llvm-objdump-19"]) {
        return;
    }
    let Some((_dir, objects)) = bpf_src_objects() else {
        return;
    };
    for path in objects {
        let file = path.to_str().unwrap();
        // LLVM: (section, instruction index) -> opcode byte.
        let out = Command::new("llvm-objdump-19")
            .arg("-d") // raw bytes are shown by default
            .arg(&path)
            .output()
            .unwrap();
        let mut llvm = BTreeMap::new();
        let mut section = String::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            if let Some(name) = line
                .strip_prefix("Disassembly of section ")
                .and_then(|r| r.strip_suffix(':'))
            {
                section = name.to_string();
            } else if let Some((index, rest)) = line.split_once(":\t") {
                if let Ok(index) = index.trim().parse::<u64>() {
                    let code = u8::from_str_radix(&rest[..2], 16).unwrap();
                    llvm.insert((section.clone(), index), code);
                }
            }
        }

        let show = rtc_json(&["obj", "show", file], &[]);
        let offsets: BTreeMap<(String, String), u64> = ["programs", "subprograms"]
            .iter()
            .flat_map(|key| show[key].as_array().unwrap())
            .map(|p| ((s(&p["section"]), s(&p["function"])), n(&p["offset"])))
            .collect();
        let dump = rtc_json(&["obj", "dump", file], &[]);
        let mut ours = BTreeMap::new();
        let mut slots = 0;
        for function in dump.as_array().unwrap() {
            let key = (s(&function["section"]), s(&function["function"]));
            let first = offsets[&key] / 8;
            for insn in function["insns"].as_array().unwrap() {
                let code = u8::from_str_radix(&s(&insn["code"])[2..], 16).unwrap();
                ours.insert((key.0.clone(), first + n(&insn["index"])), code);
                slots += 1;
            }
        }
        // LLVM also lists the second half of each ld_imm64 (a `0x00` slot).
        let llvm: BTreeMap<_, _> = llvm
            .into_iter()
            .filter(|(key, code)| *code != 0 || ours.contains_key(key))
            .collect();
        assert_eq!(ours, llvm, "{file}: instructions");

        // The text dump has a line per instruction too.
        let text = rtc(&["obj", "dump", file], &[]);
        let text = String::from_utf8(text.stdout).unwrap();
        let lines = text
            .lines()
            .filter(|l| {
                l.trim_start()
                    .split_once(": (")
                    .is_some_and(|(i, _)| i.parse::<u64>().is_ok())
            })
            .count();
        assert_eq!(lines, slots, "{file}: text lines");
    }
}

/// Every corpus object: `show` and `dump` succeed, or fail with a message naming the
/// file (exit 1), never crash.
#[test]
fn the_corpus_never_crashes_obj() {
    let corpus = corpus_dir().join("cilium-ebpf");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        skip::<()>("the corpus (tests/corpus) is not there");
        return;
    };
    let mut shown = 0;
    let mut refused = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        let file = path.to_str().unwrap();
        for args in [
            vec!["obj", "show", file],
            vec!["obj", "dump", file],
            vec!["-j", "obj", "show", file],
            vec!["-j", "obj", "dump", file],
        ] {
            let out = rtc(&args, &[]);
            match out.status.code() {
                Some(0) => {
                    assert!(!out.stdout.is_empty(), "{args:?}: no output");
                    if args[0] == "-j" {
                        serde_json::from_slice::<Value>(&out.stdout)
                            .unwrap_or_else(|e| panic!("{args:?}: not JSON: {e}"));
                    }
                    shown += 1;
                }
                Some(1) => {
                    let err = String::from_utf8_lossy(&out.stderr);
                    assert!(err.contains(file), "{args:?}: {err}");
                    refused.push(path.file_name().unwrap().to_string_lossy().to_string());
                }
                other => panic!(
                    "{args:?}: exit {other:?}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                ),
            }
        }
    }
    refused.dedup();
    eprintln!("corpus: {shown} outputs; refused (not parseable): {refused:?}");
    assert!(shown > 0);
}

#[test]
fn mistakes_are_named() {
    let missing = rtc(&["obj", "show", "/nonexistent/x.o"], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("Cannot open BPF object file"));
    assert_eq!(rtc(&["obj", "frob"], &[]).status.code(), Some(255));
    assert_eq!(rtc(&["obj", "show"], &[]).status.code(), Some(255));

    let Some((_dir, objects)) = bpf_src_objects() else {
        return;
    };
    let path = objects
        .iter()
        .find(|p| p.ends_with("count-packets.o"))
        .unwrap();
    let file = path.to_str().unwrap();
    let out = rtc(&["obj", "dump", file, "sec", "nosuch"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nosuch") && err.contains("ingress"), "{err}");
    let out = rtc(
        &["obj", "dump", file, "sec", "ingress", "program", "nope"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("count"));
}

// ---------------------------------------------------------------------------
// Pin paths, proven by loading

fn privileged() -> bool {
    require_root("loading and mounting need it")
}

/// Where `bpffs` is mounted, as a string for `TC_BPF_MNT` and messages.
fn mount_point(bpffs: &Bpffs) -> &str {
    bpffs.path().to_str().unwrap()
}

/// Runs `script` in a network namespace of its own (the mount namespace stays ours,
/// so pins land in our bpffs), with a veth device `d0` and a clsact qdisc on it.
fn in_private_netns(script: &str, env: &[(&str, &str)]) -> Output {
    Command::new("unshare")
        .args(["-n", "sh", "-ec"])
        .arg(format!(
            "ip link add d0 type veth peer name d1; ip link set d0 up; \
             tc qdisc add dev d0 clsact; {script}"
        ))
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn pin_path_of(file: &str, map: &str, env: &[(&str, &str)]) -> String {
    let report = rtc_json(&["obj", "show", file], env);
    let map = report["maps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == map)
        .unwrap_or_else(|| panic!("no map {map} in {report}"));
    s(&map["pin_path"])
}

#[test]
fn tc_pins_a_map_where_show_says() {
    if !privileged() || !require_tools(&["tc"]) {
        return;
    }
    let Some((_dir, path)) = build("pinned-by-name") else {
        return;
    };
    let bpffs = Bpffs::new();
    let env = [("TC_BPF_MNT", mount_point(&bpffs))];
    let file = path.to_str().unwrap();
    let predicted = pin_path_of(file, "rtc_obj_pinned", &env);
    assert_eq!(
        predicted,
        format!("{}/tc/globals/rtc_obj_pinned", mount_point(&bpffs))
    );
    assert!(!Path::new(&predicted).exists());
    let out = in_private_netns(
        &format!("tc filter add dev d0 ingress bpf da obj {file} sec tc"),
        &env,
    );
    assert!(
        out.status.success(),
        "tc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        Path::new(&predicted).exists(),
        "tc pinned elsewhere: {}",
        list(mount_point(&bpffs))
    );
}

#[test]
fn per_object_pins_go_to_the_files_sha1() {
    if !privileged() {
        return;
    }
    let Some((_dir, path)) = build("pinned-per-object") else {
        return;
    };
    let bpffs = Bpffs::new();
    let env = [("TC_BPF_MNT", mount_point(&bpffs))];
    let file = path.to_str().unwrap();
    let predicted = pin_path_of(file, "rtc_obj_ns", &env);
    assert_eq!(
        predicted,
        format!("{}/tc/{}/rtc_obj_ns", mount_point(&bpffs), sha1sum(&path))
    );
    // The distro tc refuses legacy `maps` sections: rtc's loader stands in for
    // iproute2's here.
    let out = in_private_netns(
        &format!(
            "{} filter add dev d0 ingress bpf da obj {file} sec ingress",
            env!("CARGO_BIN_EXE_rtc")
        ),
        &env,
    );
    assert!(
        out.status.success(),
        "rtc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        Path::new(&predicted).exists(),
        "pinned elsewhere: {}",
        list(mount_point(&bpffs))
    );
}

/// Everything under `dir`, for failure messages.
fn list(dir: &str) -> String {
    let out = Command::new("find").arg(dir).output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}
