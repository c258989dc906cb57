//! Times `rtc filter replace` against `tc filter replace` of drop-arp.o on a veth in a
//! throwaway namespace, interleaved in one run (tc, rtc, rtc, tc, tc, rtc, ...) so that
//! both see the same machine state, and reports both medians and the median of the
//! per-round ratios tc/rtc (above 1: rtc is faster). Finally checks that both leave the
//! same filter behind. Run as root, through scripts/bench:
//!
//! ```text
//! bench_replace [ROUNDS]      (default 200; RTC_BIN and TC_BIN choose the binaries)
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sched::{CloneFlags, setns};
use rtc_tests::{Netns, bpf_obj_arg, rtc_bin};

const DEFAULT_ROUNDS: usize = 200;
const WARMUP_ROUNDS: usize = 10;
const DEV: &str = "bench0";

fn main() {
    let rounds = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("ROUNDS must be a number"))
        .unwrap_or(DEFAULT_ROUNDS);
    let rtc = rtc_bin();
    let tc = PathBuf::from(std::env::var_os("TC_BIN").unwrap_or_else(|| "tc".into()));
    let obj = bpf_obj_arg("drop-arp");

    // Work inside a throwaway namespace; the child processes inherit it, so the
    // commands timed are the plain `tc filter replace dev ...` a user types.
    let ns = Netns::new();
    ns.ip(&["link", "add", DEV, "type", "veth", "peer", "name", "bench1"])
        .ok("ip link add");
    ns.ip(&["link", "set", DEV, "up"]).ok("ip link set up");
    ns.tc(&["qdisc", "add", "dev", DEV, "clsact"])
        .ok("tc qdisc add");
    let netns_file = File::open(format!("/run/netns/{}", ns.name())).expect("open netns");
    setns(&netns_file, CloneFlags::CLONE_NEWNET).expect("setns");

    let args = [
        "filter", "replace", "dev", DEV, "ingress", "pref", "1", "handle", "1", "bpf", "da", "obj",
        &obj, "sec", "ingress",
    ];
    let mut tc_times = Vec::with_capacity(rounds);
    let mut rtc_times = Vec::with_capacity(rounds);
    let mut ratios = Vec::with_capacity(rounds);
    for round in 0..WARMUP_ROUNDS + rounds {
        // ABBA order: even rounds run tc first, odd rounds rtc first.
        let (t_tc, t_rtc) = if round % 2 == 0 {
            let t = time(&tc, &args);
            (t, time(&rtc, &args))
        } else {
            let r = time(&rtc, &args);
            (time(&tc, &args), r)
        };
        if round >= WARMUP_ROUNDS {
            tc_times.push(t_tc);
            rtc_times.push(t_rtc);
            ratios.push(t_tc.as_secs_f64() / t_rtc.as_secs_f64());
        }
    }

    let tc_state = state_after(&tc, &tc, &args);
    let rtc_state = state_after(&rtc, &tc, &args);

    println!(
        "filter replace of drop-arp.o, {rounds} interleaved rounds ({WARMUP_ROUNDS} warm-up rounds not counted)"
    );
    println!(
        "  tc  ({}): median {:?}",
        tc.display(),
        median_duration(&mut tc_times)
    );
    println!(
        "  rtc ({}): median {:?}",
        rtc.display(),
        median_duration(&mut rtc_times)
    );
    println!(
        "  median of per-round ratios tc/rtc: {:.2}",
        median(&mut ratios)
    );
    if tc_state == rtc_state {
        println!("  same state left by both (tc filter show, program ids masked):");
        for line in tc_state.lines() {
            println!("    {line}");
        }
    } else {
        eprintln!("different state!\n--- after tc ---\n{tc_state}--- after rtc ---\n{rtc_state}");
        std::process::exit(1);
    }
}

/// Wall time of one run of `bin args`; panics if it fails, since a failing command
/// would be timed doing something else.
fn time(bin: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let status = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    let elapsed = start.elapsed();
    assert!(status.success(), "{} failed: {status}", bin.display());
    elapsed
}

/// Runs one more replace with `bin`, then returns what the real tc shows, with
/// the program id (new on every replace) masked.
fn state_after(bin: &Path, tc: &Path, args: &[&str]) -> String {
    time(bin, args);
    let out = Command::new(tc)
        .args(["filter", "show", "dev", DEV, "ingress"])
        .output()
        .expect("tc filter show");
    let text = String::from_utf8_lossy(&out.stdout);
    let filters = text.lines().filter(|l| l.contains(" handle ")).count();
    assert_eq!(filters, 1, "exactly one filter expected:\n{text}");
    text.lines()
        .map(|line| {
            let mut words: Vec<&str> = line.split(' ').collect();
            if let Some(i) = words.iter().position(|w| *w == "id") {
                if i + 1 < words.len() {
                    words[i + 1] = "N";
                }
            }
            words.join(" ") + "\n"
        })
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median_duration(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}
