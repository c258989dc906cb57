//! The benchmark suite of issue 7: rtc against the real tc (and ip) on the same
//! objects and devices, in one run, so that only the ratios matter. Run as root,
//! through scripts/bench:
//!
//! ```text
//! bench [--rounds N] [CASE...]    (default: every case, each with its own round count)
//! ```
//!
//! `RTC_BIN`, `TC_BIN` and `IP_BIN` choose the binaries. Each case runs in a
//! throwaway network namespace that this process enters, so the timed commands are
//! the plain `tc filter replace dev ...` a user types (no `-n`). For each case:
//!
//! - warm-up rounds (not counted), then rounds in A B B A order: even rounds run
//!   the reference tool first, odd rounds rtc first, so both see the same machine;
//! - a reset between commands where the command is not repeatable (`-batch` of
//!   adds, an XDP attach), run untimed;
//! - both medians and the median of the per-round ratios reference/rtc (above 1:
//!   rtc is faster);
//! - a same-state check: after one more run of each tool, the kernel state the
//!   real tc/ip show (program ids masked) or, for `show`, the printed text, must be
//!   the same; otherwise the suite fails.
//!
//! attach-core replaces the filter with the vmlinux.h version of drop-arp
//! (bpf-src/core/core-drop-arp.c, CO-RE relocations resolved against the kernel's
//! BTF); in the same rounds rtc also replaces it with attach-small's drop-arp.o, and
//! the report sets the two rtc medians side by side: their difference is what
//! kernel BTF and CO-RE cost rtc.
//!
//! map-dump-10k and map-dump-10k-j dump a pinned 10,000-entry hash map (created
//! and filled here) with bpftool and rtc, text and `-j`; the output must be the same.
//! attach-small also times a floor process in its rounds: tests/bench/attach-floor.c,
//! built with the system cc (static), making only the system calls the command needs.
//! show-2 lists two filters (two programs), where rtc looks each program up on its
//! own rather than through the kernel's program iterator; in the same rounds rtc is
//! also timed forced to that path (RTC_PROG_LOOKUP=each): the two must be level.
//! show-10k and batch-10k (10,000 adds over 1,000 devices) are set beside show-1k and
//! batch-1k in a growth table (time and rtc's peak RSS). show-10k keeps show-1k's
//! shape (one device); there the kernel's dump itself grows quadratically (each
//! step of tcf_chain_dump walks the chain's list from its head in
//! __tcf_get_next_proto): half of either tool's time at 10,000 filters.
//!
//! Besides wall time: peak RSS (`ru_maxrss`, read by `/usr/bin/time -f %M`) of both
//! tools for attach-small and show-1k, `rtc -V` (start and exit only) as rtc's
//! floor, and for attach-large each tool's own time: per round, its wall time minus
//! the time the kernel spent in the BPF_PROG_LOAD of the large program, timed by
//! `strace -T` in a traced run right after the timed one (strace slows everything
//! else down, so the wall time comes from the untraced run); medians over rounds.

// Under `cargo test` only the smoke test at the end runs; the rest is the benchmark.
#![cfg_attr(test, allow(dead_code))]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sched::{CloneFlags, setns};
use rtc_tests::{Netns, bpf_obj_arg, rtc_bin, run};

/// Most filter adds one tc -batch run can make here: tc keeps two fds per add and
/// the fd limit is 20,000 (not raisable without CAP_SYS_RESOURCE).
const TC_BATCH_MAX: usize = 5000;
/// Filters per device in the batch cases (batch-1k: 100 devices, batch-10k: 1000).
const BATCH_FILTERS_PER_DEVICE: usize = 10;
/// Runs of each tool for peak RSS (the 10k cases: [`RSS_RUNS_10K`]).
const RSS_RUNS: usize = 10;
const RSS_RUNS_10K: usize = 3;
/// A BPF_PROG_LOAD with at least this many instructions is the large program's
/// (libbpf's feature probes load 2-instruction programs).
const LARGE_PROGRAM_MIN_INSNS: u64 = 1000;

/// Entries of the map in the map-dump cases.
const DUMP_ENTRIES: u32 = 10_000;

/// The binaries compared.
struct Tools {
    rtc: PathBuf,
    tc: PathBuf,
    ip: PathBuf,
    bpftool: PathBuf,
}

/// One command line: a binary and its arguments.
#[derive(Clone)]
struct Cmd {
    bin: PathBuf,
    args: Vec<String>,
    /// Extra environment variables (show-2's baseline forces rtc's per-program path).
    env: Vec<(String, String)>,
}

impl Cmd {
    fn new(bin: &Path, args: &[&str]) -> Self {
        Cmd {
            bin: bin.to_path_buf(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command.args(&self.args);
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Wall time of one run with stdout discarded; panics if the command fails,
    /// since a failing command would be timed doing something else.
    fn time(&self) -> Duration {
        let mut command = self.command();
        command.stdout(Stdio::null());
        let start = Instant::now();
        let status = command
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));
        let elapsed = start.elapsed();
        assert!(status.success(), "{self} failed: {status}");
        elapsed
    }

    /// Runs once with its output captured; on failure, says how it failed.
    fn try_once(&self) -> Result<(), String> {
        let out = self
            .command()
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.bin.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{self}` failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Runs once and returns what it printed on stdout.
    fn stdout(&self) -> String {
        let out = self
            .command()
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin.display()));
        assert!(
            out.status.success(),
            "{self} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Peak resident set size in KiB (`ru_maxrss` of the command, as
    /// `/usr/bin/time -f %M` reports it).
    fn peak_rss_kib(&self) -> u64 {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(&self.bin)
            .args(&self.args)
            .stdout(Stdio::null())
            .output()
            .expect("run /usr/bin/time");
        assert!(out.status.success(), "{self} failed under /usr/bin/time");
        let stderr = String::from_utf8_lossy(&out.stderr);
        stderr
            .lines()
            .last()
            .and_then(|line| line.trim().parse().ok())
            .unwrap_or_else(|| panic!("no RSS in /usr/bin/time's output: {stderr}"))
    }

    /// Time the kernel spent in the BPF_PROG_LOAD calls of a program of at least
    /// [`LARGE_PROGRAM_MIN_INSNS`] instructions, as `strace -T` reports it.
    fn kernel_load_time(&self) -> Duration {
        let log = std::env::temp_dir().join(format!("rtc-bench-strace-{}", std::process::id()));
        let status = Command::new("strace")
            .args(["-f", "-T", "-e", "trace=bpf", "-o"])
            .arg(&log)
            .arg(&self.bin)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run strace");
        assert!(status.success(), "{self} failed under strace");
        let text = std::fs::read_to_string(&log).expect("read strace log");
        let _ = std::fs::remove_file(&log);
        let total: f64 = text
            .lines()
            .filter(|line| line.contains("bpf(BPF_PROG_LOAD"))
            .filter(|line| insn_cnt(line).is_some_and(|n| n >= LARGE_PROGRAM_MIN_INSNS))
            .filter_map(syscall_seconds)
            .sum();
        assert!(total > 0.0, "no large BPF_PROG_LOAD traced for {self}");
        Duration::from_secs_f64(total)
    }
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.bin.display(), self.args.join(" "))
    }
}

/// `insn_cnt=N` of a traced `bpf(BPF_PROG_LOAD, ...)` line.
fn insn_cnt(line: &str) -> Option<u64> {
    let rest = &line[line.find("insn_cnt=")? + "insn_cnt=".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The `<seconds>` strace -T appends to a finished call.
fn syscall_seconds(line: &str) -> Option<f64> {
    let start = line.rfind('<')?;
    line[start + 1..].strip_suffix('>')?.parse().ok()
}

/// How a case proves that both tools did the same thing.
enum Check {
    /// After one more run of each tool, this (run in the case's namespace) prints
    /// the same kernel state for both.
    State(Box<dyn Fn() -> String>),
    /// Both tools print the same text.
    Output,
}

/// Extra measurements of a case.
#[derive(Default, Clone, Copy)]
struct Extras {
    /// Peak RSS of both tools.
    rss: bool,
    /// Each tool's own time, without the kernel's BPF_PROG_LOAD.
    own_time: bool,
    /// rtc's start and exit alone (`rtc -V`), the least any rtc command takes.
    floor: bool,
}

/// One benchmark case, set up in its namespace and ready to run.
struct Case {
    name: &'static str,
    what: String,
    reference: Cmd,
    rtc: Cmd,
    /// Another rtc command timed in the same rounds (after the reset), whose median
    /// the report puts beside rtc's: attach-core's baseline is attach-small's.
    baseline: Option<Baseline>,
    /// attach-small's floor: a static C program making only the system calls the
    /// command needs (tests/bench/attach-floor.c), timed in the same rounds.
    floor_process: Option<Cmd>,
    /// Untimed, before each timed command.
    reset: Option<Box<dyn Fn()>>,
    check: Check,
    rounds: usize,
    extras: Extras,
    /// The namespace lives as long as the case.
    _netns: Netns,
    _files: Vec<TempFile>,
}

/// An rtc command timed beside a case's own, and what to call it in the report.
struct Baseline {
    /// The case whose command this is (`attach-small`).
    case: &'static str,
    /// Its object, for the report.
    what: &'static str,
    rtc: Cmd,
}

/// A file deleted on drop.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What one case measured.
struct Outcome {
    name: &'static str,
    reference_tool: String,
    rounds: usize,
    reference: Duration,
    rtc: Duration,
    ratio: f64,
    rss: Option<(u64, u64)>,
    /// Each tool's own time, for attach-large.
    own_time: Option<OwnTime>,
    /// Median of `rtc -V`.
    floor: Option<Duration>,
    /// Median of the baseline command: (its case, its object, time).
    baseline: Option<(&'static str, &'static str, Duration)>,
    /// The floor process: its median and the median of per-round ratios rtc/floor.
    floor_process: Option<(Duration, f64)>,
}

const CASES: &[&str] = &[
    "attach-small",
    "attach-maps",
    "attach-large",
    "attach-core",
    "show-2",
    "show-1k",
    "show-10k",
    "batch-1k",
    "batch-10k",
    "xdp-attach",
    "map-dump-10k",
    "map-dump-10k-j",
];

fn main() {
    let mut rounds_override = None;
    let mut selected = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                let n = args.next().and_then(|n| n.parse::<usize>().ok());
                rounds_override = Some(n.filter(|&n| n > 0).expect("--rounds needs a number > 0"));
            }
            name => match CASES.iter().find(|case| **case == name) {
                Some(case) => selected.push(*case),
                None => {
                    eprintln!(
                        "unknown argument {name:?}\nusage: bench [--rounds N] [CASE...]\ncases: {}",
                        CASES.join(" ")
                    );
                    std::process::exit(2);
                }
            },
        }
    }
    if selected.is_empty() {
        selected = CASES.to_vec();
    }
    let tools = Tools {
        rtc: rtc_bin(),
        tc: binary("TC_BIN", "tc"),
        ip: binary("IP_BIN", "ip"),
        bpftool: binary("BPFTOOL_BIN", "bpftool"),
    };
    println!("rtc: {}", tools.rtc.display());
    println!("tc:  {}", tools.tc.display());
    println!("ip:  {}", tools.ip.display());
    println!("bpftool: {}", tools.bpftool.display());

    let home = File::open("/proc/self/ns/net").expect("open own network namespace");
    let mut outcomes = Vec::new();
    for name in selected {
        let case = set_up(name, &tools, rounds_override);
        let outcome = measure(&case);
        setns(&home, CloneFlags::CLONE_NEWNET).expect("setns back");
        drop(case);
        match outcome {
            Ok(outcome) => outcomes.push(outcome),
            Err(difference) => {
                eprintln!("{difference}");
                std::process::exit(1);
            }
        }
    }
    report(&outcomes);
}

fn binary(var: &str, default: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(var).unwrap_or_else(|| default.into()))
}

/// Builds the case's world in a fresh namespace and enters it.
fn set_up(name: &'static str, tools: &Tools, rounds: Option<usize>) -> Case {
    let ns = Netns::new();
    let netns_file = File::open(format!("/run/netns/{}", ns.name())).expect("open netns");
    setns(&netns_file, CloneFlags::CLONE_NEWNET).expect("setns");
    let tc = tools.tc.clone();
    let both = |args: &[&str]| (Cmd::new(&tools.tc, args), Cmd::new(&tools.rtc, args));
    let mut files = Vec::new();
    let plan = match name {
        "attach-small" | "attach-maps" | "attach-large" | "attach-core" => {
            let (object, section, rounds) = match name {
                "attach-small" => ("drop-arp", "ingress", 200),
                "attach-maps" => ("many-maps", "ingress", 100),
                "attach-core" => ("core/core-drop-arp", "tc", 100),
                _ => ("large-prog", "ingress", 30),
            };
            veth(&ns, "bench0", "bench1");
            ok(&tc, &["qdisc", "add", "dev", "bench0", "clsact"]);
            let replace = |object: &str, section: &str| {
                let obj = bpf_obj_arg(object);
                [
                    "filter", "replace", "dev", "bench0", "ingress", "pref", "1", "handle", "1",
                    "bpf", "da", "obj", &obj, "sec", section,
                ]
                .map(String::from)
            };
            let args = replace(object, section);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let with_maps = name == "attach-maps";
            let mut plan = Plan::new(
                format!("filter replace of {object}.o"),
                both(&args),
                None,
                Check::State(Box::new(move || attached_filter_state(&tc, with_maps))),
                rounds,
                Extras {
                    rss: name == "attach-small",
                    own_time: name == "attach-large",
                    floor: name == "attach-small",
                },
            );
            if name == "attach-small" {
                let floor = floor_process();
                let obj = bpf_obj_arg(object);
                plan.floor_process = Some(Cmd::new(&floor.0, &["bench0", &obj, section]));
                files.push(floor);
            }
            if name == "attach-core" {
                let small = replace("drop-arp", "ingress");
                let small: Vec<&str> = small.iter().map(String::as_str).collect();
                plan.baseline = Some(Baseline {
                    case: "attach-small",
                    what: "drop-arp.o",
                    rtc: Cmd::new(&tools.rtc, &small),
                });
            }
            plan
        }
        "show-2" | "show-1k" | "show-10k" => {
            let show_filters = match name {
                "show-2" => 2,
                "show-1k" => 1000,
                _ => 10_000,
            };
            veth(&ns, "bench0", "bench1");
            ok(&tc, &["qdisc", "add", "dev", "bench0", "clsact"]);
            let obj = bpf_obj_arg("drop-arp");
            // tc -batch keeps two fds (BTF, program) for every filter it adds: under
            // a 20,000-fd limit it cannot add 10,000 in one run, so several runs.
            for first in (1..=show_filters).step_by(TC_BATCH_MAX) {
                let last = (first + TC_BATCH_MAX - 1).min(show_filters);
                let lines: String = (first..=last)
                    .map(|pref| {
                        format!(
                            "filter add dev bench0 ingress pref {pref} handle 1 bpf da obj {obj} sec ingress\n"
                        )
                    })
                    .collect();
                let setup = temp_file("show-setup", &lines);
                ok(&tc, &["-batch", &setup.0.to_string_lossy()]);
            }
            let show = ["filter", "show", "dev", "bench0", "ingress"];
            let mut plan = Plan::new(
                format!("filter show of {show_filters} bpf filters on one device"),
                both(&show),
                None,
                Check::Output,
                match name {
                    "show-2" => 200,
                    "show-1k" => 100,
                    _ => 20,
                },
                Extras {
                    rss: name != "show-2",
                    ..Extras::default()
                },
            );
            if name == "show-2" {
                // A listing this short must cost no more than it did before the
                // program iterator: rtc as it chooses against rtc forced to look each
                // program up on its own (RTC_PROG_LOOKUP, crates/cli/src/cmd/prog_lookup.rs).
                let mut each = Cmd::new(&tools.rtc, &show);
                each.env = vec![("RTC_PROG_LOOKUP".into(), "each".into())];
                plan.baseline = Some(Baseline {
                    case: "show-2",
                    what: "RTC_PROG_LOOKUP=each",
                    rtc: each,
                });
            }
            plan
        }
        "batch-1k" | "batch-10k" => {
            let batch_devices = if name == "batch-1k" { 100 } else { 1000 };
            for pair in 0..batch_devices / 2 {
                veth(
                    &ns,
                    &format!("d{}", 2 * pair),
                    &format!("d{}", 2 * pair + 1),
                );
            }
            let devices: Vec<String> = (0..batch_devices).map(|d| format!("d{d}")).collect();
            let qdiscs: String = devices
                .iter()
                .map(|d| format!("qdisc add dev {d} clsact\n"))
                .collect();
            let qdiscs = temp_file("batch-qdiscs", &qdiscs);
            ok(&tc, &["-batch", &qdiscs.0.to_string_lossy()]);
            let obj = bpf_obj_arg("drop-arp");
            let mut adds = String::new();
            for d in &devices {
                for pref in 1..=BATCH_FILTERS_PER_DEVICE {
                    adds.push_str(&format!(
                        "filter add dev {d} ingress pref {pref} handle 1 bpf da obj {obj} sec ingress\n"
                    ));
                }
            }
            // tc keeps two fds per add (see show-10k): batch-10k's reference is tc
            // run on halves of the file, one after the other (one more tc start,
            // ~1 ms of several seconds); rtc runs the whole file.
            let halves = if adds.lines().count() > TC_BATCH_MAX {
                let lines: Vec<&str> = adds.lines().collect();
                let (a, b) = lines.split_at(lines.len() / 2);
                Some((
                    temp_file("batch-adds-a", &(a.join("\n") + "\n")),
                    temp_file("batch-adds-b", &(b.join("\n") + "\n")),
                ))
            } else {
                None
            };
            let adds = temp_file("batch-adds", &adds);
            let dels: String = devices
                .iter()
                .map(|d| format!("filter del dev {d} ingress\n"))
                .collect();
            let dels = temp_file("batch-dels", &dels);
            let shows: String = devices
                .iter()
                .map(|d| format!("filter show dev {d} ingress\n"))
                .collect();
            let shows = temp_file("batch-shows", &shows);
            let adds_path = adds.0.to_string_lossy().into_owned();
            let dels_path = dels.0.to_string_lossy().into_owned();
            let shows_path = shows.0.to_string_lossy().into_owned();
            files.extend([qdiscs, adds, dels, shows]);
            let tc_reset = tc.clone();
            let expected = batch_devices * BATCH_FILTERS_PER_DEVICE;
            let commands = match &halves {
                None => both(&["-batch", &adds_path]),
                Some((a, b)) => {
                    let script = format!(
                        "{tc} -batch {} && {tc} -batch {}",
                        a.0.display(),
                        b.0.display(),
                        tc = tc.display()
                    );
                    (
                        Cmd::new(Path::new("/bin/sh"), &["-c", &script]),
                        Cmd::new(&tools.rtc, &["-batch", &adds_path]),
                    )
                }
            };
            if let Some((a, b)) = halves {
                files.extend([a, b]);
            }
            Plan::new(
                format!(
                    "-batch of {expected} filter adds over {batch_devices} devices (filters deleted between runs)"
                ),
                commands,
                Some(Box::new(move || ok(&tc_reset, &["-batch", &dels_path]))),
                Check::State(Box::new(move || {
                    let text = Cmd::new(&tc, &["-batch", &shows_path]).stdout();
                    let filters = text.lines().filter(|l| l.contains(" handle ")).count();
                    assert_eq!(filters, expected, "{expected} filters expected");
                    mask_ids(&text)
                })),
                if name == "batch-1k" { 15 } else { 5 },
                Extras {
                    rss: true,
                    ..Extras::default()
                },
            )
        }
        "xdp-attach" => {
            veth(&ns, "bench0", "bench1");
            let obj = bpf_obj_arg("xdp-pass");
            let args = ["link", "set", "dev", "bench0", "xdpgeneric", "obj", &obj];
            let ip = tools.ip.clone();
            let ip_reset = tools.ip.clone();
            Plan::new(
                "link set dev bench0 xdpgeneric obj xdp-pass.o (detached between runs)".to_string(),
                (Cmd::new(&tools.ip, &args), Cmd::new(&tools.rtc, &args)),
                Some(Box::new(move || {
                    ok(
                        &ip_reset,
                        &["link", "set", "dev", "bench0", "xdpgeneric", "off"],
                    )
                })),
                Check::State(Box::new(move || {
                    let text = Cmd::new(&ip, &["link", "show", "dev", "bench0"]).stdout();
                    assert!(text.contains("prog/xdp id "), "no XDP program:\n{text}");
                    mask_ids(&text)
                })),
                200,
                Extras::default(),
            )
        }
        "map-dump-10k" | "map-dump-10k-j" => {
            let pin = hash_map_pinned(DUMP_ENTRIES);
            let path = pin.0.to_string_lossy().into_owned();
            let mut args = vec!["map", "dump", "pinned", path.as_str()];
            if name == "map-dump-10k-j" {
                args.insert(0, "-j");
            }
            files.push(pin);
            Plan::new(
                format!(
                    "map dump{} of a {DUMP_ENTRIES}-entry hash map (u32 keys, u64 values)",
                    if name == "map-dump-10k-j" { " -j" } else { "" }
                ),
                (Cmd::new(&tools.bpftool, &args), Cmd::new(&tools.rtc, &args)),
                None,
                Check::Output,
                100,
                Extras::default(),
            )
        }
        other => unreachable!("unknown case {other}"),
    };
    Case {
        name,
        what: plan.what,
        reference: plan.commands.0,
        rtc: plan.commands.1,
        baseline: plan.baseline,
        floor_process: plan.floor_process,
        reset: plan.reset,
        check: plan.check,
        rounds: rounds.unwrap_or(plan.rounds),
        extras: plan.extras,
        _netns: ns,
        _files: files,
    }
}

/// What [`set_up`] decides for a case: the description, the commands (reference,
/// rtc), the reset between runs, the check, the default round count, the extras.
struct Plan {
    what: String,
    commands: (Cmd, Cmd),
    baseline: Option<Baseline>,
    floor_process: Option<Cmd>,
    reset: Option<Box<dyn Fn()>>,
    check: Check,
    rounds: usize,
    extras: Extras,
}

impl Plan {
    fn new(
        what: String,
        commands: (Cmd, Cmd),
        reset: Option<Box<dyn Fn()>>,
        check: Check,
        rounds: usize,
        extras: Extras,
    ) -> Self {
        Plan {
            what,
            commands,
            baseline: None,
            floor_process: None,
            reset,
            check,
            rounds,
            extras,
        }
    }
}

/// Builds tests/bench/attach-floor.c with the system's cc, statically linked as rtc
/// is (scripts/release), and runs a copy of the linker's file, as scripts/release
/// installs rtc (a copy starts with fewer page faults than the linker's own file).
fn floor_process() -> TempFile {
    let source = rtc_tests::workspace_root().join("tests/bench/attach-floor.c");
    let built = temp_file("attach-floor-built", "");
    let status = Command::new("cc")
        .args(["-O2", "-static", "-o"])
        .arg(&built.0)
        .arg(&source)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc failed on {}", source.display());
    let out = temp_file("attach-floor", "");
    std::fs::copy(&built.0, &out.0).expect("copy the floor process");
    out
}

/// A veth pair inside the current namespace, `a` up.
fn veth(ns: &Netns, a: &str, b: &str) {
    ns.ip(&["link", "add", a, "type", "veth", "peer", "name", b])
        .ok("ip link add");
    ns.ip(&["link", "set", a, "up"]).ok("ip link set up");
}

/// Runs `bin args` (in the current namespace) and panics if it fails.
fn ok(bin: &Path, args: &[&str]) {
    run(bin, args).ok(&format!("{} {}", bin.display(), args.join(" ")));
}

fn temp_file(what: &str, contents: &str) -> TempFile {
    let path = std::env::temp_dir().join(format!("rtc-bench-{}-{what}", std::process::id()));
    std::fs::write(&path, contents).expect("write temporary file");
    TempFile(path)
}

/// A hash map of `entries` u32 keys and u64 values, filled and pinned on the bpffs
/// at /sys/fs/bpf (the pin is removed on drop; the map goes with it).
fn hash_map_pinned(entries: u32) -> TempFile {
    use std::os::fd::AsFd;
    let map = bpf_sys::map_create(&bpf_sys::MapCreateAttr {
        map_type: bpf_sys::consts::map_type::HASH,
        key_size: 4,
        value_size: 8,
        max_entries: entries,
        name: "bench_dump",
        ..Default::default()
    })
    .expect("create the hash map");
    let map = bpf_sys::MapHandle::new(map.into_owned()).expect("map info");
    for key in 0..entries {
        let value = u64::from(key).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        map.update(
            &key.to_ne_bytes(),
            &value.to_ne_bytes(),
            bpf_sys::consts::BPF_ANY,
        )
        .expect("fill the hash map");
    }
    let path = PathBuf::from(format!("/sys/fs/bpf/rtc-bench-{}-dump", std::process::id()));
    let _ = std::fs::remove_file(&path);
    bpf_sys::obj_pin(map.as_fd(), &path).expect("pin the hash map on /sys/fs/bpf");
    TempFile(path)
}

/// The filter on bench0 ingress as tc shows it, program id masked, and with
/// `with_maps` the number of maps the program uses (from bpftool).
fn attached_filter_state(tc: &Path, with_maps: bool) -> String {
    let text = Cmd::new(tc, &["filter", "show", "dev", "bench0", "ingress"]).stdout();
    let filters = text.lines().filter(|l| l.contains(" handle ")).count();
    assert_eq!(filters, 1, "exactly one filter expected:\n{text}");
    let mut state = mask_ids(&text);
    if with_maps {
        let id = text
            .split(" id ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .expect("program id in tc's output");
        let prog = rtc_tests::prog_info(id.parse().expect("numeric id"));
        let maps = prog["map_ids"].as_array().map_or(0, Vec::len);
        state.push_str(&format!("maps used by the program: {maps}\n"));
    }
    state
}

/// `text` with the number after every word `id` replaced by `N` (program ids
/// differ on every load).
fn mask_ids(text: &str) -> String {
    text.lines()
        .map(|line| {
            let mut words: Vec<&str> = line.split(' ').collect();
            for i in 1..words.len() {
                if words[i - 1] == "id" {
                    words[i] = "N";
                }
            }
            words.join(" ") + "\n"
        })
        .collect()
}

/// Runs one case: timed rounds, the extras, and the same-state check.
fn measure(case: &Case) -> Result<Outcome, String> {
    let warmup = (case.rounds / 10).clamp(1, 10);
    let reset = || {
        if let Some(reset) = &case.reset {
            reset();
        }
    };
    // Each command once, so that one that fails (rtc without a feature the case
    // needs) is reported with its message rather than timed.
    let commands = [Some(&case.reference), Some(&case.rtc)];
    let baseline = case.baseline.as_ref().map(|b| &b.rtc);
    let floor_process = case.floor_process.as_ref();
    for cmd in commands
        .into_iter()
        .chain([baseline, floor_process])
        .flatten()
    {
        reset();
        cmd.try_once()
            .map_err(|failure| format!("{}: {failure}", case.name))?;
    }
    let timed = |cmd: &Cmd| {
        reset();
        cmd.time()
    };
    // With the traced runs of the own-time measurement (program loads timed by
    // strace, which slows everything else down), per round and tool.
    let traced = |cmd: &Cmd| {
        reset();
        cmd.kernel_load_time()
    };
    let mut reference_times = Vec::with_capacity(case.rounds);
    let mut rtc_times = Vec::with_capacity(case.rounds);
    let mut ratios = Vec::with_capacity(case.rounds);
    let mut own = OwnTimes::default();
    let mut baseline_times = Vec::new();
    let mut floor_times = Vec::new();
    let mut floor_ratios = Vec::new();
    for round in 0..warmup + case.rounds {
        // ABBA order: even rounds run the reference first, odd rounds rtc first.
        // The floor process runs right before rtc in odd rounds, right after in even.
        let (reference, rtc, floor) = if round % 2 == 0 {
            let reference = timed(&case.reference);
            let rtc = timed(&case.rtc);
            (reference, rtc, floor_process.map(timed))
        } else {
            let floor = floor_process.map(timed);
            let rtc = timed(&case.rtc);
            (timed(&case.reference), rtc, floor)
        };
        let baseline = baseline.map(timed);
        if round < warmup {
            continue;
        }
        if let Some(floor) = floor {
            floor_times.push(floor);
            floor_ratios.push(rtc.as_secs_f64() / floor.as_secs_f64());
        }
        baseline_times.extend(baseline);
        reference_times.push(reference);
        rtc_times.push(rtc);
        ratios.push(reference.as_secs_f64() / rtc.as_secs_f64());
        if case.extras.own_time {
            let (reference_kernel, rtc_kernel) = if round % 2 == 0 {
                let rtc_kernel = traced(&case.rtc);
                (traced(&case.reference), rtc_kernel)
            } else {
                let reference_kernel = traced(&case.reference);
                (reference_kernel, traced(&case.rtc))
            };
            own.add(reference, reference_kernel, rtc, rtc_kernel);
        }
    }

    let rss = case.extras.rss.then(|| {
        let (mut reference, mut rtc) = (Vec::new(), Vec::new());
        let runs = if case.name.ends_with("-10k") {
            RSS_RUNS_10K
        } else {
            RSS_RUNS
        };
        for _ in 0..runs {
            reset();
            reference.push(case.reference.peak_rss_kib());
            reset();
            rtc.push(case.rtc.peak_rss_kib());
        }
        (median(&mut reference), median(&mut rtc))
    });
    let own_time = case.extras.own_time.then(|| own.medians());

    let floor = case.extras.floor.then(|| {
        let version = Cmd::new(&case.rtc.bin, &["-V"]);
        let mut times: Vec<Duration> = (0..warmup + case.rounds).map(|_| version.time()).collect();
        median(&mut times[warmup..])
    });

    let (reference_state, rtc_state) = match &case.check {
        Check::State(state) => {
            reset();
            case.reference.time();
            let reference = state();
            reset();
            case.rtc.time();
            (reference, state())
        }
        Check::Output => (case.reference.stdout(), case.rtc.stdout()),
    };
    if reference_state != rtc_state {
        return Err(format!(
            "{}: different results!\n--- {} ---\n{reference_state}--- rtc ---\n{rtc_state}",
            case.name, case.reference
        ));
    }
    let outcome = Outcome {
        name: case.name,
        reference_tool: tool_name(&case.reference.bin),
        rounds: case.rounds,
        reference: median(&mut reference_times),
        rtc: median(&mut rtc_times),
        ratio: median_f64(&mut ratios),
        rss,
        own_time,
        floor,
        baseline: case
            .baseline
            .as_ref()
            .map(|b| (b.case, b.what, median(&mut baseline_times))),
        floor_process: floor_process
            .map(|_| (median(&mut floor_times), median_f64(&mut floor_ratios))),
    };
    println!(
        "{:<14} {}: {} rounds ({warmup} warm-up), same {} left by both ({} lines)",
        case.name,
        case.what,
        case.rounds,
        match case.check {
            Check::State(_) => "kernel state",
            Check::Output => "output",
        },
        rtc_state.lines().count()
    );
    Ok(outcome)
}

fn tool_name(bin: &Path) -> String {
    bin.file_name().map_or_else(
        || bin.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Prints the table of medians, ratios and targets, then RSS and own time.
fn report(outcomes: &[Outcome]) {
    println!();
    println!(
        "{:<14} {:>6} {:>13} {:>11} {:>9}  target",
        "case", "rounds", "ref median", "rtc median", "ref/rtc"
    );
    for o in outcomes {
        let target = match o.name {
            "attach-small" => verdict(o.ratio, 3.0),
            "show-1k" => verdict(o.ratio, 2.5),
            "batch-1k" | "attach-core" => verdict(o.ratio, 5.0),
            "map-dump-10k" | "map-dump-10k-j" => verdict(o.ratio, 2.0),
            _ => String::new(),
        };
        println!(
            "{:<14} {:>6} {:>10.3} ms {:>8.3} ms {:>9.2}  {target}",
            o.name,
            o.rounds,
            ms(o.reference),
            ms(o.rtc),
            o.ratio
        );
    }
    println!(
        "(ref/rtc: median of the per-round ratios; the reference is tc, ip for xdp-attach, bpftool for map-dump)"
    );
    for o in outcomes {
        if let Some(floor) = o.floor {
            println!(
                "floor {}: rtc -V (start and exit only) {:.3} ms; rtc's command takes {:.2}x that",
                o.name,
                ms(floor),
                ms(o.rtc) / ms(floor)
            );
        }
    }
    for o in outcomes {
        if let Some((floor, ratio)) = o.floor_process {
            println!(
                "floor process {}: static C doing only the needed system calls \
                 (tests/bench/attach-floor.c) {:.3} ms; rtc/floor {ratio:.2} (<= 1.10: {})",
                o.name,
                ms(floor),
                if ratio <= 1.10 { "met" } else { "MISSED" }
            );
        }
    }
    for o in outcomes {
        if let Some((_, what, baseline)) = o.baseline.filter(|_| o.name == "show-2") {
            println!(
                "{} against rtc's per-program path ({what}, same rounds): {:.3} ms vs {:.3} ms \
                 (not slower, within 5%: {})",
                o.name,
                ms(o.rtc),
                ms(baseline),
                if ms(o.rtc) <= ms(baseline) * 1.05 {
                    "met"
                } else {
                    "MISSED"
                }
            );
            continue;
        }
        if let Some((case, what, baseline)) = o.baseline {
            let extra = ms(o.rtc) - ms(baseline);
            println!(
                "{} against {case} (rtc, same rounds): {:.3} ms vs {:.3} ms for {what}; \
                 the CO-RE object costs rtc {extra:.3} ms more (< 1 ms: {})",
                o.name,
                ms(o.rtc),
                ms(baseline),
                if extra < 1.0 { "met" } else { "MISSED" }
            );
        }
    }
    for o in outcomes {
        if let Some((reference, rtc)) = o.rss {
            println!(
                "peak RSS {:<14} {} {reference} KiB, rtc {rtc} KiB  {}",
                o.name,
                o.reference_tool,
                if rtc <= reference {
                    "(rtc <= tc: met)"
                } else {
                    "(rtc > tc: MISSED)"
                }
            );
        }
    }
    growth_table(outcomes);
    for o in outcomes {
        if let Some(own) = &o.own_time {
            println!(
                "own time {}: wall minus the kernel's BPF_PROG_LOAD (strace -T, a traced run after each timed one), medians per round",
                o.name
            );
            let verdict = if own.reference <= 0.0 {
                "(cannot tell: tc's load took as long as its whole run)".to_string()
            } else {
                let share = 100.0 * own.rtc / own.reference;
                let met = if share <= 10.0 { "met" } else { "MISSED" };
                format!("rtc/{} {share:.0}% (<= 10%: {met})", o.reference_tool)
            };
            println!(
                "  {}: kernel {:.3} ms, own {:.3} ms; rtc: kernel {:.3} ms, own {:.3} ms; {verdict}",
                o.reference_tool, own.reference_kernel, own.reference, own.rtc_kernel, own.rtc
            );
        }
    }
}

/// For each case run at 1k and 10k: both tools' medians, their growth (10k over
/// 1k, 10.0 is linear), rtc's peak RSS growth (target <= 1.2) and the ratios.
fn growth_table(outcomes: &[Outcome]) {
    let find = |name: &str| outcomes.iter().find(|o| o.name == name);
    let mut header = false;
    for (small, large) in [("show-1k", "show-10k"), ("batch-1k", "batch-10k")] {
        let (Some(small), Some(large)) = (find(small), find(large)) else {
            continue;
        };
        if !header {
            println!(
                "growth 1k -> 10k:  ref 1k / 10k (x)          rtc 1k / 10k (x)          ref/rtc 1k, 10k   rtc peak RSS 1k / 10k KiB (x, <= 1.2)"
            );
            header = true;
        }
        let growth = |a: Duration, b: Duration| ms(b) / ms(a);
        let rss = match (small.rss, large.rss) {
            (Some((_, a)), Some((_, b))) => {
                let x = b as f64 / a as f64;
                format!(
                    "{a} / {b} ({x:.2}, {})",
                    if x <= 1.2 { "met" } else { "MISSED" }
                )
            }
            _ => "-".to_string(),
        };
        println!(
            "  {:<9} {:>8.2} / {:>8.2} ms ({:>5.1})  {:>8.2} / {:>8.2} ms ({:>5.1})  {:.2}, {:.2} ({})   {rss}",
            small.name.trim_end_matches("-1k"),
            ms(small.reference),
            ms(large.reference),
            growth(small.reference, large.reference),
            ms(small.rtc),
            ms(large.rtc),
            growth(small.rtc, large.rtc),
            small.ratio,
            large.ratio,
            if large.ratio >= small.ratio {
                "held"
            } else {
                "fell"
            }
        );
    }
}

/// Per round, each tool's kernel load time and own time (wall minus that).
#[derive(Default)]
struct OwnTimes {
    reference_kernel: Vec<f64>,
    reference: Vec<f64>,
    rtc_kernel: Vec<f64>,
    rtc: Vec<f64>,
}

impl OwnTimes {
    fn add(
        &mut self,
        reference: Duration,
        reference_kernel: Duration,
        rtc: Duration,
        rtc_kernel: Duration,
    ) {
        self.reference_kernel.push(ms(reference_kernel));
        self.reference.push(ms(reference) - ms(reference_kernel));
        self.rtc_kernel.push(ms(rtc_kernel));
        self.rtc.push(ms(rtc) - ms(rtc_kernel));
    }

    fn medians(mut self) -> OwnTime {
        OwnTime {
            reference_kernel: median_f64(&mut self.reference_kernel),
            reference: median_f64(&mut self.reference),
            rtc_kernel: median_f64(&mut self.rtc_kernel),
            rtc: median_f64(&mut self.rtc),
        }
    }
}

/// Medians of [`OwnTimes`], in milliseconds.
struct OwnTime {
    reference_kernel: f64,
    reference: f64,
    rtc_kernel: f64,
    rtc: f64,
}

fn verdict(ratio: f64, target: f64) -> String {
    if ratio >= target {
        format!(">= {target:.1}: met")
    } else {
        format!(">= {target:.1}: MISSED")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median<T: Ord + Copy>(values: &mut [T]) -> T {
    values.sort();
    values[values.len() / 2]
}

fn median_f64(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runner works end to end on the binary under test (`RTC_BIN`, else
    /// target/debug/rtc): two rounds of attach-small, its extras, the state check.
    #[test]
    fn two_rounds_of_attach_small() {
        if !rtc_tests::require_privileged() {
            return;
        }
        let tools = Tools {
            rtc: rtc_bin(),
            tc: "tc".into(),
            ip: "ip".into(),
            bpftool: "bpftool".into(),
        };
        let home = File::open("/proc/self/ns/net").expect("open own network namespace");
        let case = set_up("attach-small", &tools, Some(2));
        let outcome = measure(&case);
        setns(&home, CloneFlags::CLONE_NEWNET).expect("setns back");
        drop(case);
        let outcome = outcome.unwrap_or_else(|difference| panic!("{difference}"));
        assert_eq!(outcome.rounds, 2);
        assert!(outcome.ratio > 0.0 && outcome.rss.is_some() && outcome.floor.is_some());
    }
}
