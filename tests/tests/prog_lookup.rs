//! `filter show` reads the programs it names either through the kernel's program
//! iterator (one pass over every program) or one program at a time; either way it
//! prints what the real tc prints, byte for byte. `RTC_PROG_LOOKUP=iter|each`
//! forces a way; without it rtc chooses by count, so both listings here (2 and 550
//! filters, each filter its own program) take a different way by default.
//! Where the iterator cannot run (here: no kernel BTF in a private mount namespace)
//! a forced `iter` falls back to the per-program calls and still prints the same.

use rtc_tests::{Netns, TempDir, bpf_obj_arg, require_privileged, require_tools, rtc_bin, run_env};

/// Filters on the long listing's device: above the count from which rtc reads the
/// program table by default (500).
const MANY: usize = 550;

/// A namespace with device `few0` holding 2 drop-arp filters and `many0` holding
/// [`MANY`], added by the real tc.
fn listings() -> Netns {
    let ns = Netns::new();
    let obj = bpf_obj_arg("drop-arp");
    let dir = TempDir::new("prog-lookup");
    for (dev, count) in [("few0", 2), ("many0", MANY)] {
        ns.ip(&[
            "link",
            "add",
            dev,
            "type",
            "veth",
            "peer",
            "name",
            &format!("{dev}p"),
        ])
        .ok("ip link add");
        ns.tc(&["qdisc", "add", "dev", dev, "clsact"]).ok("clsact");
        let lines: String = (1..=count)
            .map(|pref| {
                format!("filter add dev {dev} ingress pref {pref} handle 1 bpf da obj {obj} sec ingress\n")
            })
            .collect();
        let batch = dir.join(format!("{dev}.batch"));
        std::fs::write(&batch, lines).expect("write batch file");
        ns.tc(&["-batch", &batch.to_string_lossy()]).ok("tc -batch");
    }
    ns
}

fn env(mode: &str) -> Vec<(String, String)> {
    vec![("RTC_PROG_LOOKUP".to_string(), mode.to_string())]
}

#[test]
fn both_ways_print_what_tc_prints() {
    if !require_privileged() {
        return;
    }
    let ns = listings();
    for dev in ["few0", "many0"] {
        for options in [&[][..], &["-s", "-d"], &["-j", "-d"], &["-j", "-p", "-s"]] {
            let mut args: Vec<&str> = options.to_vec();
            args.extend(["filter", "show", "dev", dev, "ingress"]);
            let tc = ns.tc(&args).ok("tc filter show");
            assert!(tc.stdout.contains("drop"), "tc names the programs: {tc}");
            for mode in ["iter", "each", "default"] {
                let rtc = ns.rtc_env(&env(mode), &args);
                assert_eq!(rtc.status, 0, "RTC_PROG_LOOKUP={mode} {args:?}: {rtc}");
                assert_eq!(rtc.stderr, "", "RTC_PROG_LOOKUP={mode} {args:?}");
                assert_eq!(rtc.stdout, tc.stdout, "RTC_PROG_LOOKUP={mode} {args:?}");
            }
        }
    }
}

#[test]
fn forced_iterator_without_kernel_btf_falls_back() {
    if !require_privileged() || !require_tools(&["unshare", "mount"]) {
        return;
    }
    let ns = listings();
    let args = ["filter", "show", "dev", "many0", "ingress"];
    let tc = ns.tc(&args).ok("tc filter show");
    // A private mount namespace in which the kernel's BTF file is empty: the
    // iterator program cannot be written, so every program is looked up alone.
    let script = format!(
        "mount --bind /dev/null /sys/kernel/btf/vmlinux && exec {} -n {} {}",
        rtc_bin().display(),
        ns.name(),
        args.join(" ")
    );
    let rtc = run_env("unshare", &["-m", "sh", "-c", &script], &env("iter"));
    assert_eq!(rtc.status, 0, "{rtc}");
    assert_eq!(rtc.stderr, "");
    assert_eq!(rtc.stdout, tc.stdout);
}
