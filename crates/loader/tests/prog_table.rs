//! The program iterator against the real kernel, with `bpftool prog show -j` as the
//! independent witness: every program both see has the same id, name, tag, JIT
//! state, load time, creator uid and BTF id.

use rtc_loader::{ProgTable, ProgType, Program};
use rtc_tests::{bpf_obj, bpftool, require_privileged};
use serde_json::Value;

/// Seconds between the epoch and boot, as bpftool adds them to a load time.
fn boot_wall_seconds() -> i64 {
    let uptime = std::fs::read_to_string("/proc/uptime").expect("read /proc/uptime");
    let up: f64 = uptime
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .expect("uptime seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after the epoch")
        .as_secs_f64();
    (now - up) as i64
}

#[test]
fn iterator_records_equal_bpftool_prog_show() {
    if !require_privileged() {
        return;
    }
    // One program of our own, with BTF, so that the comparison never runs empty.
    let ours = Program::from_file(bpf_obj("drop-arp"), "ingress")
        .expect("read drop-arp.o")
        .load(ProgType::SCHED_CLS)
        .expect("load drop-arp");
    let our_id = ours.id();
    let table = match ProgTable::read() {
        Ok(table) => table,
        Err(e) => {
            rtc_tests::require(false, &format!("the program iterator cannot run: {e}"));
            return;
        }
    };
    let out = bpftool(&["-j", "prog", "show"]).ok("bpftool prog show");
    let listed: Vec<Value> = serde_json::from_str(&out.stdout).expect("bpftool prints JSON");
    let boot = boot_wall_seconds();
    let mut compared = 0;
    let mut saw_ours = false;
    for prog in &listed {
        let id = prog["id"].as_u64().expect("id") as u32;
        // Programs come and go while the test runs (other tests, other tools).
        let Some(entry) = table.get(id) else {
            continue;
        };
        let hex: String = entry.tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(prog["name"].as_str().unwrap_or(""), entry.name(), "{prog}");
        assert_eq!(prog["tag"].as_str(), Some(hex.as_str()), "{prog}");
        assert_eq!(
            prog["jited"].as_bool().unwrap_or(false),
            entry.jited,
            "{prog}"
        );
        assert_eq!(
            prog["uid"].as_u64(),
            Some(entry.created_by_uid.into()),
            "{prog}"
        );
        assert_eq!(
            prog["btf_id"].as_u64().unwrap_or(0),
            u64::from(entry.btf_id),
            "{prog}"
        );
        let loaded_at = prog["loaded_at"].as_i64().expect("loaded_at");
        let ours = boot + (entry.load_time / 1_000_000_000) as i64;
        assert!(
            (loaded_at - ours).abs() <= 2,
            "{prog}: load time {}",
            entry.load_time
        );
        compared += 1;
        saw_ours |= id == our_id;
    }
    assert!(
        saw_ours,
        "our own program {our_id} was compared ({compared} in all)"
    );
    let mine = table.get(our_id).expect("our own program is in the table");
    assert_ne!(mine.btf_id, 0, "drop-arp.o carries BTF");
    // The table holds nothing bpftool could not see at all: every id was loaded.
    let ids: Vec<u32> = table.entries().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn read_from_keeps_only_newer_programs() {
    if !require_privileged() {
        return;
    }
    let ours = Program::from_file(bpf_obj("drop-arp"), "ingress")
        .expect("read drop-arp.o")
        .load(ProgType::SCHED_CLS)
        .expect("load drop-arp");
    let table = match ProgTable::read_from(ours.id()) {
        Ok(table) => table,
        Err(e) => {
            rtc_tests::require(false, &format!("the program iterator cannot run: {e}"));
            return;
        }
    };
    assert!(table.get(ours.id()).is_some());
    assert!(table.entries().all(|e| e.id >= ours.id()));
}
