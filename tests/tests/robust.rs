//! Robustness under odd input, odd environments and concurrency (issue 16): words
//! that are not UTF-8, thousands of generated argument lists, readers that go away,
//! batches with odd lines, objects rebuilt under a running batch, files that are not
//! files, interrupted dumps, and pins and bpffs mounts under racing loads.
//!
//! Every test works in namespaces, bpffs mounts and directories of its own, removed
//! on drop; the real `tc` and `ip` are the oracles wherever they do the same thing.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use rtc_tests::{Bpffs, Netns, TempDir, bpf_obj, require_privileged, rtc_bin};

/// What a command left behind, as bytes (its words and output need not be UTF-8).
#[derive(Debug)]
struct RawRun {
    status: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl RawRun {
    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `program args...` under `timeout 30` with extra environment variables.
fn run_raw(program: &OsStr, args: &[OsString], env: &[(String, String)]) -> RawRun {
    let output = Command::new("timeout")
        .arg("--kill-after=2")
        .arg("30")
        .arg(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run timeout");
    RawRun {
        status: output
            .status
            .code()
            .or_else(|| output.status.signal().map(|s| 128 + s))
            .unwrap_or(-1),
        stdout: output.stdout,
        stderr: output.stderr,
    }
}

fn os(words: &[&[u8]]) -> Vec<OsString> {
    words
        .iter()
        .map(|w| OsString::from_vec(w.to_vec()))
        .collect()
}

/// `-n NS words...` for the binary under test or tc.
fn in_ns(ns: &Netns, words: &[&[u8]]) -> Vec<OsString> {
    let mut all = os(&[b"-n", ns.name().as_bytes()]);
    all.extend(os(words));
    all
}

fn assert_no_panic(run: &RawRun, what: &str) {
    let stderr = run.stderr_text();
    assert!(
        run.status != 134 && run.status != 101 && !stderr.contains("panicked"),
        "{what}: panicked (exit {}):\n{stderr}",
        run.status
    );
}

// ---- case 3: words that are not UTF-8 --------------------------------------------

#[test]
fn a_device_name_that_is_not_utf8_is_not_found_as_in_tc() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    for words in [
        &[&b"filter"[..], b"show", b"dev", b"\xff"][..],
        &[b"qdisc", b"add", b"dev", b"caf\xe9", b"clsact"],
        &[
            b"filter",
            b"add",
            b"dev",
            b"\xfe\xff",
            b"ingress",
            b"bpf",
            b"da",
            b"obj",
            b"x.o",
        ],
    ] {
        let ours = run_raw(rtc_bin().as_os_str(), &in_ns(&ns, words), &[]);
        let theirs = run_raw(OsStr::new("tc"), &in_ns(&ns, words), &[]);
        assert_no_panic(&ours, "rtc");
        assert_eq!(
            ours.status, theirs.status,
            "{words:?}: {ours:?} vs tc {theirs:?}"
        );
        assert_eq!(ours.status, 1);
        assert_eq!(
            ours.stderr,
            theirs.stderr,
            "{words:?}: rtc said {:?}, tc {:?}",
            ours.stderr_text(),
            theirs.stderr_text()
        );
    }
}

#[test]
fn an_object_file_name_that_is_not_utf8_is_opened() {
    let dir = TempDir::new("latin1-name");
    let plain = dir.join("cafe.o");
    let latin1 = dir.path().join(OsStr::from_bytes(b"caf\xe9.o"));
    std::fs::copy(bpf_obj("pass-all"), &plain).unwrap();
    std::fs::copy(bpf_obj("pass-all"), &latin1).unwrap();
    let show = |path: &Path| {
        run_raw(
            rtc_bin().as_os_str(),
            &[OsString::from("obj"), OsString::from("show"), path.into()],
            &[],
        )
    };
    let ours = show(&latin1);
    let reference = show(&plain);
    assert_no_panic(&ours, "obj show");
    assert_eq!(ours.status, 0, "{}", ours.stderr_text());
    assert_eq!(reference.status, 0);
    // The same report, with the file's own bytes where its name appears.
    let expected: Vec<u8> = String::from_utf8(reference.stdout)
        .unwrap()
        .replace("cafe.o", "\u{1}")
        .into_bytes()
        .into_iter()
        .flat_map(|b| {
            if b == 1 {
                b"caf\xe9.o".to_vec()
            } else {
                vec![b]
            }
        })
        .collect();
    assert_eq!(ours.stdout, expected);
    // A missing file named with such bytes is reported with those bytes.
    let missing = dir.path().join(OsStr::from_bytes(b"gone\xff.o"));
    let run = show(&missing);
    assert_no_panic(&run, "obj show missing");
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.windows(7).any(|w| w == b"gone\xff.o"),
        "{:?}",
        run.stderr_text()
    );
}

// ---- generated argument lists ----------------------------------------------------

/// A small deterministic generator (xorshift64*), so that a failure is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// tc's words, and the odd ones an operator (or a script gone wrong) might type.
const KEYWORDS: &[&str] = &[
    "filter",
    "qdisc",
    "link",
    "map",
    "obj",
    "show",
    "list",
    "add",
    "del",
    "delete",
    "replace",
    "change",
    "get",
    "set",
    "dump",
    "update",
    "lookup",
    "help",
    "h",
    "dev",
    "lo",
    "ingress",
    "egress",
    "clsact",
    "root",
    "parent",
    "handle",
    "pref",
    "prio",
    "protocol",
    "all",
    "ip",
    "ipv6",
    "802.1Q",
    "chain",
    "block",
    "bpf",
    "da",
    "direct-action",
    "skip_sw",
    "skip_hw",
    "obj",
    "sec",
    "section",
    "program",
    "verbose",
    "pinned",
    "object-pinned",
    "bytecode",
    "bytecode-file",
    "classid",
    "flowid",
    "action",
    "ok",
    "drop",
    "pass",
    "xdp",
    "xdpgeneric",
    "xdpdrv",
    "xdpoffload",
    "off",
    "up",
    "down",
    "mtu",
    "name",
    "key",
    "value",
    "hex",
    "any",
    "exist",
    "noexist",
    "ffff:",
    "ffff:fff2",
    "1:",
    ":1",
    "1:2:3",
    "0",
    "1",
    "0x10",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "-1",
    "18446744073709551616",
    "99999999999999999999999999999",
    "",
    " ",
    "\t",
    "1e9",
    "/dev/zero",
    "/dev/null",
    "0x",
    "m:",
    "m:x",
    "dev",
    "sec",
    "obj",
];

/// One generated argument list. The first word is an object (or a safe global
/// option): nothing may reach `-batch`, `-netns` or `--btf`, which would leave the
/// sandbox.
fn generated_args(rng: &mut Rng, object: &[u8], bpffs: &Path) -> Vec<OsString> {
    const FIRST: &[&str] = &[
        "filter",
        "qdisc",
        "link",
        "map",
        "obj",
        "f",
        "q",
        "l",
        "m",
        "o",
        "help",
        "fil",
        "-s",
        "-d",
        "-j",
        "-p",
        "-force",
        "-V",
        "-h",
        "-explain",
        "--explain",
        "xyz",
        "",
    ];
    let mut words = vec![OsString::from(FIRST[rng.below(FIRST.len())])];
    let count = rng.below(12);
    for _ in 0..count {
        let word: Vec<u8> = match rng.below(20) {
            0 => b"\xff".to_vec(),
            1 => b"caf\xe9".to_vec(),
            2 => vec![b'x'; 4096 + rng.below(70_000)],
            3 => object.to_vec(),
            4 => bpffs.join("tc/globals/nope").into_os_string().into_vec(),
            5 => rng.next().to_string().into_bytes(),
            6 => format!("{}9999999999999999999", rng.next()).into_bytes(),
            7 => {
                let len = rng.below(8);
                (0..len).map(|_| (rng.below(255) + 1) as u8).collect()
            }
            _ => KEYWORDS[rng.below(KEYWORDS.len())].as_bytes().to_vec(),
        };
        words.push(OsString::from_vec(word));
    }
    words
}

#[test]
fn thousands_of_generated_argument_lists_never_panic() {
    if !require_privileged() {
        return;
    }
    const LISTS: usize = 3000;
    let ns = Netns::new();
    let bpffs = Bpffs::new();
    let object = bpf_obj("pass-all").into_os_string().into_vec();
    let mut rng = Rng(0x5eed_1616_dead_beef);
    let lists: Vec<Vec<OsString>> = (0..LISTS)
        .map(|_| generated_args(&mut rng, &object, bpffs.path()))
        .collect();
    let started = Instant::now();
    let env = [bpffs.env()];
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for part in lists.chunks(LISTS / 4) {
            let (ns, env, failures) = (&ns, &env, &failures);
            scope.spawn(move || {
                for args in part {
                    let mut full = vec![OsString::from("-n"), OsString::from(ns.name())];
                    full.extend(args.iter().cloned());
                    let run = run_raw(rtc_bin().as_os_str(), &full, env);
                    let stderr = run.stderr_text();
                    // tc's exit codes: 0, 1 (failed), 2 (kernel said no), 255 (usage).
                    if ![0, 1, 2, 255].contains(&run.status) || stderr.contains("panicked") {
                        failures.lock().unwrap().push(format!(
                            "{args:?}: exit {}\n{}",
                            run.status,
                            stderr.chars().take(400).collect::<String>()
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {LISTS} lists failed, e.g.:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{LISTS} argument lists in {:?}", started.elapsed());
}

// ---- case 4: a reader that goes away -----------------------------------------------

/// Runs `rtc --explain -n NS words...` with stdout to /dev/null and stderr into a pipe
/// whose reader takes `keep` bytes and then closes it; returns the exit status.
fn explain_into_closed_pipe(
    ns: &Netns,
    env: &[(String, String)],
    words: &[&str],
    keep: usize,
) -> i32 {
    use std::io::Read;
    let mut child = Command::new(rtc_bin())
        .arg("--explain")
        .args(["-n", ns.name()])
        .args(words)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rtc");
    let mut stderr = child.stderr.take().expect("piped");
    let mut kept = vec![0u8; keep];
    let _ = stderr.read_exact(&mut kept);
    drop(stderr);
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status
                .code()
                .or_else(|| status.signal().map(|s| 128 + s))
                .unwrap_or(-1);
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("rtc did not end after its reader went away");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_closed_stderr_under_explain_still_completes_the_filter() {
    if !require_privileged() {
        return;
    }
    for keep in [0, 100, 3072] {
        let ns = Netns::new();
        let bpffs = Bpffs::new();
        let env = [bpffs.env()];
        ns.rtc_env(&env, &["qdisc", "add", "dev", "lo", "clsact"])
            .ok("clsact");
        let obj = bpf_obj("tail-call").to_string_lossy().into_owned();
        let status = explain_into_closed_pipe(
            &ns,
            &env,
            &[
                "filter", "add", "dev", "lo", "ingress", "bpf", "da", "obj", &obj, "sec", "ingress",
            ],
            keep,
        );
        assert_eq!(status, 0, "reader kept {keep} bytes");
        // tc sees the filter, and the pinned program array holds its program.
        let filters = rtc_tests::tc_filters(&ns, "lo", "ingress");
        assert_eq!(filters.len(), 1, "{filters:?}");
        let jumps = bpffs.path().join("tc/globals/rtc_jumps");
        let dump = rtc_tests::bpftool(&["-j", "map", "dump", "pinned", &jumps.to_string_lossy()])
            .ok("bpftool map dump");
        let entries: serde_json::Value = serde_json::from_str(&dump.stdout).unwrap();
        assert_eq!(entries.as_array().map(Vec::len), Some(1), "{entries}");
    }
}

// ---- cases 5 and 6: batches ------------------------------------------------------

/// Writes `script` into a file in `dir` and returns its path.
fn batch_file(dir: &TempDir, script: &[u8]) -> std::path::PathBuf {
    let file = dir.join("script.tc");
    std::fs::write(&file, script).unwrap();
    file
}

/// Runs batch file `file` with `-force` (if asked) through `program` in a fresh namespace;
/// returns the run and whether lo has a clsact qdisc afterwards (as tc sees it).
fn run_batch(program: &OsStr, file: &Path, force: bool) -> (RawRun, bool) {
    let ns = Netns::new();
    let mut args = vec![OsString::from("-n"), OsString::from(ns.name())];
    if force {
        args.push("-force".into());
    }
    args.push("-batch".into());
    args.push(file.into());
    let run = run_raw(program, &args, &[]);
    let qdiscs = ns.tc(&["qdisc", "show", "dev", "lo"]).ok("tc qdisc show");
    (run, qdiscs.stdout.contains("clsact"))
}

#[test]
fn help_lines_in_a_batch_neither_end_it_nor_hide_failures() {
    if !require_privileged() {
        return;
    }
    let scripts: [(&[u8], bool); 4] = [
        (
            b"qdisc show dev nosuch\nhelp\nh\nqdisc add dev lo clsact\n",
            true,
        ),
        (b"help\nqdisc add dev lo clsact\n", false),
        (b"hel\nhe\nqdisc add dev lo clsact\n", false),
        (
            b"qdisc show dev nosuch\nhelp\nqdisc add dev lo clsact\n",
            false,
        ),
    ];
    let dir = TempDir::new("batch");
    for (script, force) in scripts {
        let file = batch_file(&dir, script);
        let (ours, ours_ran) = run_batch(rtc_bin().as_os_str(), &file, force);
        let (theirs, theirs_ran) = run_batch(OsStr::new("tc"), &file, force);
        let text = String::from_utf8_lossy(script);
        assert_no_panic(&ours, &text);
        assert_eq!(ours.status, theirs.status, "{text}: {ours:?}");
        assert_eq!(ours_ran, theirs_ran, "{text}: the last line ran for tc");
    }
}

#[test]
fn latin1_bytes_in_a_batch_do_not_refuse_it() {
    if !require_privileged() {
        return;
    }
    let scripts: [&[u8]; 3] = [
        b"# caf\xe9 au lait\nqdisc add dev lo clsact\n",
        b"qdisc add dev lo clsact # \xff\xfe\n",
        b"qdisc show dev \xe9\xe9\nqdisc add dev lo clsact\n",
    ];
    let dir = TempDir::new("batch");
    for script in scripts {
        let file = batch_file(&dir, script);
        for force in [false, true] {
            let (ours, ours_ran) = run_batch(rtc_bin().as_os_str(), &file, force);
            let (theirs, theirs_ran) = run_batch(OsStr::new("tc"), &file, force);
            let text = String::from_utf8_lossy(script);
            assert_no_panic(&ours, &text);
            assert_eq!(ours.status, theirs.status, "{text}: {ours:?} vs {theirs:?}");
            assert_eq!(ours_ran, theirs_ran, "{text}");
            assert_eq!(ours.stderr, theirs.stderr, "{text}: {ours:?} vs {theirs:?}");
        }
    }
}

// ---- cases 1 and 2: pins and mounts under racing loads ----------------------------

/// Starts `rtc -n NS args...` with extra environment, without waiting for it.
fn spawn_rtc(ns: &Netns, env: &[(String, String)], args: &[&str]) -> std::process::Child {
    Command::new("timeout")
        .args(["--kill-after=2", "30"])
        .arg(rtc_bin())
        .args(["-n", ns.name()])
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rtc")
}

/// Waits for a spawned command: its exit status and stderr.
fn finish(child: std::process::Child) -> (i32, String) {
    let output = child.wait_with_output().expect("wait");
    let status = output
        .status
        .code()
        .or_else(|| output.status.signal().map(|s| 128 + s))
        .unwrap_or(-1);
    (status, String::from_utf8_lossy(&output.stderr).into_owned())
}

/// The map ids of the program of the filter with preference `pref` on lo ingress.
fn filter_map_ids(ns: &Netns, pref: u64) -> Vec<u64> {
    let filters = rtc_tests::tc_filters(ns, "lo", "ingress");
    let filter = filters
        .iter()
        .find(|f| f["pref"].as_u64() == Some(pref) && f["options"]["prog"]["id"].is_u64())
        .unwrap_or_else(|| panic!("no filter with pref {pref}: {filters:?}"));
    rtc_tests::prog_map_ids(rtc_tests::filter_prog_id(filter))
}

/// The id of the map pinned at `path`, or `None` when nothing is pinned there.
fn pinned_id(path: &Path) -> Option<u64> {
    let run = rtc_tests::bpftool(&["-j", "map", "show", "pinned", &path.to_string_lossy()]);
    if !run.success() {
        return None;
    }
    let map: serde_json::Value = serde_json::from_str(&run.stdout).ok()?;
    map["id"].as_u64()
}

/// The words of an owned argument list.
fn words(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Rounds of the racing pair, and how many of them left the good load's map unpinned.
fn race_failing_against_good_load(rounds: usize) -> usize {
    let ns = Netns::new();
    ns.rtc(&["qdisc", "add", "dev", "lo", "clsact"])
        .ok("clsact");
    let obj = bpf_obj("pin-race").to_string_lossy().into_owned();
    let add = |pref: &str, sec: &str| -> Vec<String> {
        [
            "filter", "add", "dev", "lo", "ingress", "pref", pref, "bpf", "da", "obj", &obj, "sec",
            sec,
        ]
        .map(String::from)
        .to_vec()
    };
    let (bad, good) = (add("1", "bad"), add("7", "good"));
    let mut lost = 0;
    for round in 0..rounds {
        let bpffs = Bpffs::new();
        let env = [bpffs.env()];
        let failing = spawn_rtc(&ns, &env, &words(&bad));
        let succeeding = spawn_rtc(&ns, &env, &words(&good));
        let (bad_status, _) = finish(failing);
        let (good_status, good_err) = finish(succeeding);
        assert_eq!(
            bad_status, 1,
            "round {round}: the bad program must be rejected"
        );
        assert_eq!(good_status, 0, "round {round}: {good_err}");
        let bound = filter_map_ids(&ns, 7);
        let pinned = pinned_id(&bpffs.path().join("tc/globals/rtc_race_count"));
        if pinned.is_none_or(|id| !bound.contains(&id)) {
            lost += 1;
        }
        ns.tc(&["filter", "del", "dev", "lo", "ingress", "pref", "7"])
            .ok("tc filter del");
    }
    lost
}

#[test]
fn a_failing_load_never_unpins_the_map_a_racing_good_load_uses() {
    if !require_privileged() {
        return;
    }
    const ROUNDS: usize = 20;
    let lost = race_failing_against_good_load(ROUNDS);
    eprintln!("good load's map not pinned after {lost} of {ROUNDS} rounds");
    assert_eq!(
        lost, 0,
        "the good load's map lost its pin in {lost} of {ROUNDS} rounds"
    );
}

/// Unmounts every mount stacked on a path when dropped.
struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        for _ in 0..64 {
            if mounts_at(&self.0) == 0 {
                break;
            }
            rtc_tests::run("umount", &["-l", &self.0.to_string_lossy()]);
        }
    }
}

/// How many mounts sit on `path` (from /proc/self/mountinfo).
fn mounts_at(path: &Path) -> usize {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let path = path.to_string_lossy();
    info.lines()
        .filter(|line| line.split(' ').nth(4) == Some(path.as_ref()))
        .count()
}

/// Rounds of 16 first loads with `TC_BPF_MNT` at a plain directory; the rounds that
/// ended with other than one mount, one map for all, or a failed load.
fn first_loads_at_a_plain_directory(rounds: usize, loads: usize) -> Vec<String> {
    let ns = Netns::new();
    ns.rtc(&["qdisc", "add", "dev", "lo", "clsact"])
        .ok("clsact");
    let obj = bpf_obj("pin-shared").to_string_lossy().into_owned();
    let mut bad = Vec::new();
    for round in 0..rounds {
        let dir = TempDir::new("plain-mnt");
        let mnt = dir.join("bpf");
        std::fs::create_dir(&mnt).unwrap();
        let _unmount = Unmount(mnt.clone());
        let env = [("TC_BPF_MNT".to_string(), mnt.to_string_lossy().into_owned())];
        let children: Vec<_> = (1..=loads)
            .map(|pref| {
                let pref = pref.to_string();
                spawn_rtc(
                    &ns,
                    &env,
                    &[
                        "filter", "add", "dev", "lo", "ingress", "pref", &pref, "bpf", "da", "obj",
                        &obj, "sec", "ingress",
                    ],
                )
            })
            .collect();
        let results: Vec<_> = children.into_iter().map(finish).collect();
        let failed: Vec<_> = results.iter().filter(|(s, _)| *s != 0).collect();
        let mounts = mounts_at(&mnt);
        let maps: std::collections::BTreeSet<Vec<u64>> = (1..=loads as u64)
            .filter(|&pref| results[pref as usize - 1].0 == 0)
            .map(|pref| filter_map_ids(&ns, pref))
            .collect();
        let pinned = pinned_id(&mnt.join("tc/globals/rtc_shared_count"));
        let all_pinned =
            maps.len() == 1 && pinned.is_some_and(|id| maps.iter().all(|m| m == &[id]));
        if !failed.is_empty() || mounts != 1 || !all_pinned {
            bad.push(format!(
                "round {round}: {} failed {:?}, {mounts} mounts, maps {maps:?}, pinned {pinned:?}",
                failed.len(),
                failed.first().map(|(_, e)| e)
            ));
        }
        ns.tc(&["filter", "del", "dev", "lo", "ingress"]);
    }
    bad
}

#[test]
fn concurrent_first_loads_mount_one_bpffs_and_share_one_map() {
    if !require_privileged() {
        return;
    }
    const ROUNDS: usize = 40;
    let bad = first_loads_at_a_plain_directory(ROUNDS, 16);
    eprintln!("{} of {ROUNDS} rounds went wrong", bad.len());
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

// ---- cases 8, 9 and 12: environments -----------------------------------------------

/// `rtc -n NS args...` run in a mount namespace of its own where /proc is unmounted
/// (as in containers that do not mount it).
fn rtc_without_proc(ns: &Netns, env: &[(String, String)], args: &[&str]) -> rtc_tests::Run {
    let bin = rtc_bin().to_string_lossy().into_owned();
    let mut full = vec![
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        "umount -l /proc && test ! -e /proc/self && exec \"$@\"",
        "sh",
        &bin,
        "-n",
        ns.name(),
    ];
    full.extend_from_slice(args);
    rtc_tests::run_env("unshare", &full, env)
}

#[test]
fn a_pinned_map_is_reused_and_a_pinned_program_refused_without_proc() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    ns.rtc_env(&env, &["qdisc", "add", "dev", "lo", "clsact"])
        .ok("clsact");
    let obj = bpf_obj("pin-shared").to_string_lossy().into_owned();
    ns.rtc_env(
        &env,
        &[
            "filter", "add", "dev", "lo", "ingress", "pref", "1", "bpf", "da", "obj", &obj, "sec",
            "ingress",
        ],
    )
    .ok("first load");
    rtc_without_proc(
        &ns,
        &env,
        &[
            "filter", "add", "dev", "lo", "egress", "pref", "1", "bpf", "da", "obj", &obj, "sec",
            "egress",
        ],
    )
    .ok("second load without /proc");
    let pinned = pinned_id(&bpffs.path().join("tc/globals/rtc_shared_count")).expect("pinned");
    let filters = rtc_tests::tc_filters(&ns, "lo", "egress");
    assert_eq!(
        rtc_tests::prog_map_ids(rtc_tests::filter_prog_id(&filters[0])),
        [pinned]
    );

    // A program pinned where the map should be is still told apart from a map.
    let other = Bpffs::new();
    let env = [other.env()];
    std::fs::create_dir_all(other.path().join("tc/globals")).unwrap();
    let planted = other.path().join("tc/globals/rtc_shared_count");
    rtc_tests::bpftool(&[
        "prog",
        "load",
        &bpf_obj("pass-all").to_string_lossy(),
        &planted.to_string_lossy(),
        "type",
        "classifier",
    ])
    .ok("bpftool prog load");
    for run in [
        rtc_without_proc(
            &ns,
            &env,
            &[
                "filter", "add", "dev", "lo", "ingress", "pref", "2", "bpf", "da", "obj", &obj,
                "sec", "ingress",
            ],
        ),
        ns.rtc_env(
            &env,
            &[
                "filter", "add", "dev", "lo", "ingress", "pref", "2", "bpf", "da", "obj", &obj,
                "sec", "ingress",
            ],
        ),
    ] {
        assert_eq!(run.status, 1, "{run}");
        assert!(run.stderr.contains("not a map"), "{run}");
    }
}

#[test]
fn nothing_is_created_outside_a_bpffs() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    ns.rtc(&["qdisc", "add", "dev", "lo", "clsact"])
        .ok("clsact");
    let obj = bpf_obj("pin-shared").to_string_lossy().into_owned();
    let add = [
        "filter", "add", "dev", "lo", "ingress", "bpf", "da", "obj", &obj, "sec", "ingress",
    ];

    // Missing parents of TC_BPF_MNT are not made (tc refuses too).
    let dir = TempDir::new("no-parents");
    let mnt = dir.join("no/such/parents/bpf");
    let _unmount = Unmount(mnt.clone());
    let env = [("TC_BPF_MNT".to_string(), mnt.to_string_lossy().into_owned())];
    let run = ns.rtc_env(&env, &add);
    assert_eq!(run.status, 1, "{run}");
    assert!(!dir.join("no").exists(), "rtc created the missing parents");
    assert_eq!(mounts_at(&mnt), 0);

    // <bpffs>/tc planted as a symlink to a plain directory: refused before anything is
    // made there.
    let bpffs = Bpffs::new();
    let plain = TempDir::new("plain-target");
    std::os::unix::fs::symlink(plain.path(), bpffs.path().join("tc")).unwrap();
    let run = ns.rtc_env(&[bpffs.env()], &add);
    assert_eq!(run.status, 1, "{run}");
    assert_eq!(
        std::fs::read_dir(plain.path()).unwrap().count(),
        0,
        "rtc made something outside the bpffs"
    );

    // <bpffs>/tc/globals planted as a symlink to a plain directory: the same.
    let bpffs = Bpffs::new();
    std::fs::create_dir(bpffs.path().join("tc")).unwrap();
    std::os::unix::fs::symlink(plain.path(), bpffs.path().join("tc/globals")).unwrap();
    let run = ns.rtc_env(&[bpffs.env()], &add);
    assert_eq!(run.status, 1, "{run}");
    assert_eq!(std::fs::read_dir(plain.path()).unwrap().count(), 0);
    assert!(rtc_tests::tc_filters(&ns, "lo", "ingress").is_empty());
}

#[test]
fn xdp_pinned_m_name_looks_under_tc_bpf_mnt_as_ip_does() {
    if !require_privileged() {
        return;
    }
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    std::fs::create_dir(bpffs.path().join("xdp")).unwrap();
    let pin = bpffs.path().join("xdp/rtc_xdp");
    rtc_tests::bpftool(&[
        "prog",
        "load",
        &bpf_obj("xdp-pass").to_string_lossy(),
        &pin.to_string_lossy(),
        "type",
        "xdp",
    ])
    .ok("bpftool prog load");
    let prog_id = {
        let out = rtc_tests::bpftool(&["-j", "prog", "show", "pinned", &pin.to_string_lossy()])
            .ok("show");
        serde_json::from_str::<serde_json::Value>(&out.stdout).unwrap()["id"]
            .as_u64()
            .unwrap()
    };
    let attached = |ns: &Netns| {
        let out = ns.ip(&["-j", "link", "show", "lo"]).ok("ip link show");
        let links: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        links[0]["xdp"]["prog"]["id"].as_u64()
    };
    let words = [
        "link",
        "set",
        "dev",
        "lo",
        "xdpgeneric",
        "pinned",
        "m:rtc_xdp",
    ];
    let ours = Netns::new();
    ours.rtc_env(&env, &words).ok("rtc link set xdp pinned m:");
    let theirs = Netns::new();
    let mut ip_words = vec!["-n", theirs.name()];
    ip_words.extend_from_slice(&words);
    rtc_tests::run_env("ip", &ip_words, &env).ok("ip link set xdp pinned m:");
    assert_eq!(attached(&ours), Some(prog_id));
    assert_eq!(attached(&theirs), Some(prog_id));
}

// ---- case 11: interrupted dumps -----------------------------------------------------

/// Links added and deleted in `ns` by one `ip -batch` process until dropped.
struct Churn(std::process::Child);

impl Churn {
    fn start(ns: &Netns, dir: &TempDir) -> Churn {
        let script = dir.join("churn.ip");
        let mut text = String::new();
        for round in 0..20_000 {
            let name = format!("churn{}", round % 8);
            text.push_str(&format!(
                "link add {name} type veth peer name {name}p\nlink del {name}\n"
            ));
        }
        std::fs::write(&script, text).unwrap();
        let child = Command::new("timeout")
            .args(["60", "ip", "-n", ns.name(), "-force", "-batch"])
            .arg(&script)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ip -batch");
        Churn(child)
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_interrupted_link_dump_is_reported_as_ip_does() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    let dir = TempDir::new("churn");
    // Enough links that a dump spans several datagrams.
    let setup = dir.join("setup.ip");
    let lines: String = (0..300)
        .map(|i| format!("link add steady{i} type veth peer name steadyp{i}\n"))
        .collect();
    std::fs::write(&setup, lines).unwrap();
    ns.ip(&["-batch", &setup.to_string_lossy()]).ok("ip -batch");

    // Quiet: never reported.
    let quiet = ns.rtc(&["link", "show"]).ok("rtc link show");
    assert!(!quiet.stderr.contains("interrupted"), "{quiet}");

    let _churn = Churn::start(&ns, &dir);
    let (mut ours, mut theirs, mut runs) = (0, 0, 0);
    let started = Instant::now();
    while runs < 60
        && started.elapsed() < std::time::Duration::from_secs(20)
        && (ours == 0 || theirs == 0)
    {
        runs += 1;
        let rtc = ns.rtc(&["link", "show"]);
        assert_eq!(rtc.status, 0, "{rtc}");
        for line in rtc.stderr.lines() {
            assert_eq!(
                line, "Dump was interrupted and may be inconsistent.",
                "{rtc}"
            );
            ours += 1;
        }
        let ip = ns.ip(&["link", "show"]);
        if ip
            .stderr
            .contains("Dump was interrupted and may be inconsistent.\n")
        {
            theirs += 1;
        }
    }
    eprintln!("interrupted: rtc {ours}, ip {theirs} of {runs} runs each");
    assert!(
        theirs > 0,
        "the churn never interrupted ip's dump in {runs} runs: inconclusive"
    );
    assert!(
        ours > 0,
        "ip saw {theirs} interrupted dumps in {runs} runs, rtc reported none"
    );
}

// ---- cases 7 and 10: object files --------------------------------------------------

/// The function name of the program attached as lo's ingress filter with `pref`.
fn attached_prog_name(ns: &Netns, pref: u64) -> Option<String> {
    let filters = rtc_tests::tc_filters(ns, "lo", "ingress");
    let filter = filters
        .iter()
        .find(|f| f["pref"].as_u64() == Some(pref) && f["options"]["prog"]["id"].is_u64())?;
    let info = rtc_tests::prog_info(rtc_tests::filter_prog_id(filter));
    info["name"].as_str().map(String::from)
}

#[test]
fn a_running_batch_rereads_an_object_rebuilt_on_disk() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    ns.rtc(&["qdisc", "add", "dev", "lo", "clsact"])
        .ok("clsact");
    let dir = TempDir::new("rebuilt");
    let swap = dir.join("swap.o");
    let fifo = dir.join("commands");
    rtc_tests::run("mkfifo", &[&fifo.to_string_lossy()]).ok("mkfifo");
    let line = format!(
        "filter replace dev lo ingress pref 1 handle 1 bpf da obj {} sec ingress\n",
        swap.display()
    );
    // Rebuilt in place (same inode, new size and mtime) and rebuilt as a new file.
    for in_place in [true, false] {
        std::fs::copy(bpf_obj("drop-arp"), &swap).unwrap();
        let mut child = Command::new("timeout")
            .args(["30"])
            .arg(rtc_bin())
            .args(["-n", ns.name(), "-batch"])
            .arg(&fifo)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rtc -batch");
        let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        use std::io::Write;
        writer.write_all(line.as_bytes()).unwrap();
        writer.flush().unwrap();
        let started = Instant::now();
        while attached_prog_name(&ns, 1).as_deref() != Some("drop") {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "first line never ran"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let rebuilt = std::fs::read(bpf_obj("drop-icmp")).unwrap();
        if in_place {
            std::fs::write(&swap, &rebuilt).unwrap();
        } else {
            let next = dir.join("swap.o.new");
            std::fs::write(&next, &rebuilt).unwrap();
            std::fs::rename(&next, &swap).unwrap();
        }
        writer.write_all(line.as_bytes()).unwrap();
        drop(writer);
        let (status, stderr) = finish_child(&mut child);
        assert_eq!(status, 0, "{stderr}");
        assert_eq!(
            attached_prog_name(&ns, 1).as_deref(),
            Some("drop_icmp"),
            "in place: {in_place}"
        );
    }
}

/// Waits (bounded) for a spawned child and collects its stderr.
fn finish_child(child: &mut std::process::Child) -> (i32, String) {
    use std::io::Read;
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let status = child.wait().expect("wait");
    (
        status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(-1),
        stderr,
    )
}

fn bpf_obj_arg_string(name: &str) -> String {
    bpf_obj(name).to_string_lossy().into_owned()
}

#[test]
fn files_that_are_not_regular_files_are_refused_at_once() {
    let dir = TempDir::new("not-regular");
    let fifo = dir.join("fifo.o");
    rtc_tests::run("mkfifo", &[&fifo.to_string_lossy()]).ok("mkfifo");
    let bin = rtc_bin().to_string_lossy().into_owned();
    for path in [
        "/dev/zero".to_string(),
        fifo.to_string_lossy().into_owned(),
        dir.path().to_string_lossy().into_owned(),
    ] {
        let obj = bpf_obj_arg_string("pass-all");
        for words in [
            vec!["obj", "show", &path],
            vec!["obj", "dump", &path],
            vec!["--btf", &path, "obj", "show", &obj],
        ] {
            // Under a 1 GiB address-space limit and a 10 s clock, so that a reader
            // that does not stop cannot take the machine with it.
            let mut args = vec!["--as=1073741824", "timeout", "10", bin.as_str()];
            args.extend_from_slice(&words);
            let started = Instant::now();
            let run = rtc_tests::run("prlimit", &args);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{words:?} took {:?}",
                started.elapsed()
            );
            assert_eq!(run.status, 1, "{words:?}: {run}");
            assert!(run.stderr.contains(&format!("\"{path}\"")), "{run}");
            // Refused for what it is, not after reading until memory ran out.
            assert!(!run.stderr.to_lowercase().contains("memory"), "{run}");
        }
    }
}

#[test]
fn a_symlink_planted_at_a_pin_path_is_refused_and_nothing_made_outside() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    ns.rtc(&["qdisc", "add", "dev", "lo", "clsact"])
        .ok("clsact");
    let obj = bpf_obj("pin-shared").to_string_lossy().into_owned();
    let plain = TempDir::new("planted-target");
    std::fs::write(plain.join("file"), b"not a map").unwrap();
    for target in ["file", "nothing"] {
        let bpffs = Bpffs::new();
        std::fs::create_dir_all(bpffs.path().join("tc/globals")).unwrap();
        std::os::unix::fs::symlink(
            plain.join(target),
            bpffs.path().join("tc/globals/rtc_shared_count"),
        )
        .unwrap();
        let run = ns.rtc_env(
            &[bpffs.env()],
            &[
                "filter", "add", "dev", "lo", "ingress", "bpf", "da", "obj", &obj, "sec", "ingress",
            ],
        );
        assert_eq!(run.status, 1, "{target}: {run}");
        assert!(run.stderr.contains("rtc_shared_count"), "{target}: {run}");
        assert!(rtc_tests::tc_filters(&ns, "lo", "ingress").is_empty());
        let left: Vec<_> = std::fs::read_dir(plain.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, [OsString::from("file")], "{target}");
        assert_eq!(std::fs::read(plain.join("file")).unwrap(), b"not a map");
    }
}

#[test]
fn a_batch_whose_stdout_reader_is_gone_stops_quietly_as_tc_does() {
    if !require_privileged() {
        return;
    }
    let dir = TempDir::new("closed-stdout");
    let file = batch_file(
        &dir,
        b"qdisc show dev lo\nqdisc show dev lo\nqdisc add dev lo clsact\n",
    );
    let run = |program: &OsStr| {
        let ns = Netns::new();
        let (reader, writer) = nix::unistd::pipe().expect("pipe");
        drop(reader);
        let output = Command::new(program)
            .args(["-n", ns.name(), "-force", "-batch"])
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .expect("run");
        let status = output
            .status
            .code()
            .or_else(|| output.status.signal().map(|s| 128 + s));
        let qdiscs = ns.tc(&["qdisc", "show", "dev", "lo"]).ok("tc qdisc show");
        (
            status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
            qdiscs.stdout.contains("clsact"),
        )
    };
    let (ours, stderr, ours_ran) = run(rtc_bin().as_os_str());
    let (theirs, _, theirs_ran) = run(OsStr::new("tc"));
    assert!(!stderr.contains("panicked"), "{stderr}");
    // tc dies of SIGPIPE at its first write; rtc ends the batch there, exit 1.
    assert_eq!(theirs, Some(128 + 13));
    assert_eq!(ours, Some(1), "{stderr}");
    assert_eq!(
        ours_ran, theirs_ran,
        "the line after the closed pipe ran for one of them"
    );
}

#[test]
fn a_batch_killed_half_way_leaves_every_attached_filter_on_the_pinned_map() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    let bpffs = Bpffs::new();
    let env = [bpffs.env()];
    ns.rtc_env(&env, &["qdisc", "add", "dev", "lo", "clsact"])
        .ok("clsact");
    let obj = bpf_obj("pin-shared").to_string_lossy().into_owned();
    let dir = TempDir::new("killed-batch");
    let script: String = (1..=600)
        .map(|pref| format!("filter add dev lo ingress pref {pref} bpf da obj {obj} sec ingress\n"))
        .collect();
    let file = batch_file(&dir, script.as_bytes());
    let mut child = Command::new(rtc_bin())
        .args(["-n", ns.name(), "-batch"])
        .arg(&file)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Killed once some filters are in, well before all 600 are.
    let started = Instant::now();
    while rtc_tests::tc_filters(&ns, "lo", "ingress").len() < 20 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "batch never got going"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    let pinned = pinned_id(&bpffs.path().join("tc/globals/rtc_shared_count")).expect("map pinned");
    let filters = rtc_tests::tc_filters(&ns, "lo", "ingress");
    let attached: Vec<_> = filters
        .iter()
        .filter(|f| f["options"]["prog"]["id"].is_u64())
        .collect();
    assert!(
        !attached.is_empty() && attached.len() < 600,
        "{} attached",
        attached.len()
    );
    for filter in attached {
        let maps = rtc_tests::prog_map_ids(rtc_tests::filter_prog_id(filter));
        assert_eq!(maps, [pinned], "{filter}");
    }
}
