//! Helpers for rtc's kernel tests.
//!
//! Every kernel test builds its own little world: throwaway network namespaces
//! ([`Netns`]) joined by a veth pair ([`VethPair`]) with private addresses. It then
//! runs the binary under test ([`rtc`], chosen with `RTC_BIN`), proves the effect
//! with real traffic ([`arping_ok`], [`ping_ok`], [`tcp_connect_ok`]) and inspects
//! the kernel with the real `tc`, `ip` and `bpftool` as independent witnesses.
//!
//! Nothing here touches the host's own interfaces: all devices and addresses live
//! inside namespaces the tests created, and the guards delete them on drop, also
//! when a test panics. Every external command runs under a time limit.
//!
//! It is also the test-support library of every crate of the workspace (a
//! dev-dependency; it depends on none of them): the skip-or-fail policy
//! ([`skip()`]), temporary directories ([`TempDir`]), private bpffs mounts
//! ([`Bpffs`]), building C test sources with clang-19 ([`clang`]) and the shared
//! corpus ([`corpus_objects`]).

#![forbid(unsafe_code)]

mod bpffs;
pub mod clang;
mod corpus;
mod in_netns;
pub mod sample;
pub mod skip;
mod tempdir;

pub use bpffs::Bpffs;
pub use clang::{Target, bpf_src_objects, build_bytes, build_object};
pub use corpus::{corpus_dir, corpus_name, corpus_objects};
pub use in_netns::in_netns;
pub use skip::{has_tool, is_root, require, require_root, require_tools, skip};
pub use tempdir::TempDir;

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use nix::sched::{CloneFlags, setns};
use serde_json::Value;

/// Prefix of every network namespace the tests create: `rtc-t-<pid>-<n>`.
pub const NETNS_PREFIX: &str = "rtc-t-";

/// Longest time any single external command may run before it is killed.
const COMMAND_TIMEOUT_SECS: u32 = 30;

/// Tools the kernel tests call as witnesses or traffic generators.
const REQUIRED_TOOLS: &[&str] = &[
    "ip", "tc", "bpftool", "arping", "ping", "nc", "make", "clang-19", "timeout",
];

/// What a finished command left behind: exit code and its two output streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Exit code; `128 + signal` when the process was killed by a signal
    /// (the shell's convention), 124 when the time limit killed it.
    pub status: i32,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl Run {
    /// True when the command exited with status 0.
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// Returns `self` when the command succeeded, panics with its output otherwise.
    #[track_caller]
    pub fn ok(self, what: &str) -> Self {
        assert!(self.success(), "{what} failed:\n{self}");
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit status {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `program args...` under `timeout`, so that a hung command cannot hang the suite.
pub fn run(program: impl AsRef<Path>, args: &[&str]) -> Run {
    run_env(program, args, &[])
}

/// The workspace's top directory (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives inside the workspace")
        .to_path_buf()
}

/// The binary under test: `$RTC_BIN` if set (e.g. `/usr/sbin/tc` to check the
/// tests themselves against the real tc), else `<workspace>/target/debug/rtc`.
/// The tests do not build it: run `cargo build` first (scripts/test does).
pub fn rtc_bin() -> PathBuf {
    match std::env::var_os("RTC_BIN") {
        Some(bin) if !bin.is_empty() => PathBuf::from(bin),
        _ => workspace_root().join("target/debug/rtc"),
    }
}

/// [`rtc_bin`], which must exist.
fn built_rtc_bin() -> PathBuf {
    let bin = rtc_bin();
    assert!(
        bin.exists(),
        "binary under test {} does not exist: run `cargo build` or set RTC_BIN",
        bin.display()
    );
    bin
}

/// Runs the binary under test with `args`, exactly as a user would type them after `rtc`.
pub fn rtc(args: &[&str]) -> Run {
    run(built_rtc_bin(), args)
}

/// Runs the real iproute2 `tc` with `args` (the reference and witness).
pub fn tc(args: &[&str]) -> Run {
    run("tc", args)
}

/// Runs the real iproute2 `ip` with `args` (the reference for `rtc link`).
pub fn ip(args: &[&str]) -> Run {
    run("ip", args)
}

/// Runs the real `bpftool` with `args`.
pub fn bpftool(args: &[&str]) -> Run {
    run("bpftool", args)
}

/// Decides whether kernel tests can run here: returns true when they can; when
/// they cannot, prints the reason and returns false (the test then returns early
/// and counts as passed), unless `RTC_REQUIRE_PRIVILEGED=1`, which turns the skip
/// into a panic so that CI cannot silently test nothing.
///
/// Kernel tests need root, a working `ip netns add`, and the witness tools.
#[track_caller]
pub fn require_privileged() -> bool {
    static VERDICT: OnceLock<Result<(), String>> = OnceLock::new();
    match VERDICT.get_or_init(check_privileges) {
        Ok(()) => true,
        Err(reason) => require(false, &format!("kernel tests cannot run: {reason}")),
    }
}

fn check_privileges() -> Result<(), String> {
    if !is_root() {
        return Err("not running as root".into());
    }
    if let Some(tool) = REQUIRED_TOOLS.iter().find(|tool| !has_tool(tool)) {
        return Err(format!("`{tool}` is not installed (run scripts/deps)"));
    }
    let probe = format!("{NETNS_PREFIX}{}-probe", std::process::id());
    let added = run("ip", &["netns", "add", &probe]);
    if !added.success() {
        return Err(format!(
            "`ip netns add` does not work: {}",
            added.stderr.trim()
        ));
    }
    run("ip", &["netns", "del", &probe]);
    Ok(())
}

/// Deletes namespaces left behind by earlier test processes that were killed
/// before their guards could run (their pid no longer exists). Namespaces of
/// live processes, and namespaces not named by this crate, are left alone.
fn remove_stale_namespaces() {
    let list = run("ip", &["netns", "list"]);
    for line in list.stdout.lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some(rest) = name.strip_prefix(NETNS_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            run("ip", &["netns", "del", name]);
        }
    }
}

/// A throwaway network namespace, `rtc-t-<pid>-<n>`, deleted on drop together
/// with any bpffs pins registered with [`Netns::track_pin`].
#[derive(Debug)]
pub struct Netns {
    name: String,
    pins: Mutex<Vec<PathBuf>>,
}

impl Netns {
    /// Creates a fresh namespace with its loopback device up.
    pub fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        static SWEEP: OnceLock<()> = OnceLock::new();
        SWEEP.get_or_init(remove_stale_namespaces);

        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{NETNS_PREFIX}{}-{n}", std::process::id());
        run("ip", &["netns", "add", &name]).ok("ip netns add");
        let ns = Netns {
            name,
            pins: Mutex::new(Vec::new()),
        };
        ns.ip(&["link", "set", "lo", "up"]).ok("ip link set lo up");
        ns
    }

    /// The namespace's name, as given to `ip -n` and `tc -n`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n NAME args...`.
    pub fn ip(&self, args: &[&str]) -> Run {
        run("ip", &with_netns(&self.name, args))
    }

    /// Runs the binary under test as `rtc -n NAME args...`.
    pub fn rtc(&self, args: &[&str]) -> Run {
        rtc(&with_netns(&self.name, args))
    }

    /// Runs the real tc as `tc -n NAME args...`.
    pub fn tc(&self, args: &[&str]) -> Run {
        tc(&with_netns(&self.name, args))
    }

    /// Runs `program args...` inside the namespace (`ip netns exec`).
    pub fn exec(&self, program: &str, args: &[&str]) -> Run {
        let mut full = vec!["netns", "exec", self.name.as_str(), program];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// Remembers a bpffs pin that a test created for this namespace, so that it
    /// is removed when the namespace is.
    pub fn track_pin(&self, path: impl Into<PathBuf>) {
        self.pins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.into());
    }

    /// Opens a TCP listening socket on `addr:port` inside this namespace. The
    /// socket stays in the namespace for its whole life, and the kernel completes
    /// handshakes on its backlog without `accept`, which is all a connect test needs.
    pub fn listen_tcp(&self, addr: Ipv4Addr, port: u16) -> TcpListener {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    // setns changes only this short-lived thread's namespace.
                    let file = File::open(&path).map_err(|e| format!("open {path}: {e}"))?;
                    setns(&file, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns: {e}"))?;
                    TcpListener::bind(SocketAddrV4::new(addr, port))
                        .map_err(|e| format!("bind {addr}:{port}: {e}"))
                })
                .join()
                .expect("listener thread panicked")
        })
        .unwrap_or_else(|e| panic!("cannot listen in {}: {e}", self.name))
    }
}

impl Default for Netns {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let pins = std::mem::take(&mut *self.pins.lock().unwrap_or_else(|e| e.into_inner()));
        for pin in pins {
            let _ = std::fs::remove_file(&pin).or_else(|_| std::fs::remove_dir_all(&pin));
        }
        let deleted = run("ip", &["netns", "del", &self.name]);
        if !deleted.success() {
            eprintln!("warning: could not delete netns {}:\n{deleted}", self.name);
        }
    }
}

fn with_netns<'a>(name: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut full = vec!["-n", name];
    full.extend_from_slice(args);
    full
}

/// Two namespaces joined by a veth pair, each end up and addressed in a /24 of
/// its own (`10.213.X.1` in `a`, `10.213.X.2` in `b`), IPv6 off so that the
/// link carries only the traffic a test sends.
///
/// The veth is created inside `a` with its peer created directly in `b`, so
/// the device names never exist in the host namespace and cannot clash.
#[derive(Debug)]
pub struct VethPair {
    /// The first namespace, holding [`VethPair::dev_a`].
    pub a: Netns,
    /// The second namespace, holding [`VethPair::dev_b`].
    pub b: Netns,
    /// Device name of the end in `a`.
    pub dev_a: String,
    /// Device name of the end in `b`.
    pub dev_b: String,
    /// Address of the end in `a`.
    pub ip_a: Ipv4Addr,
    /// Address of the end in `b`.
    pub ip_b: Ipv4Addr,
    /// MAC address of the end in `a`.
    pub mac_a: String,
    /// MAC address of the end in `b`.
    pub mac_b: String,
}

impl VethPair {
    /// Creates both namespaces and the veth pair, addressed and up.
    pub fn new() -> Self {
        static SUBNET: AtomicU32 = AtomicU32::new(0);
        let subnet = (SUBNET.fetch_add(1, Ordering::Relaxed) % 250 + 1) as u8;
        let (a, b) = (Netns::new(), Netns::new());
        let (dev_a, dev_b) = ("va".to_string(), "vb".to_string());
        let (ip_a, ip_b) = (
            Ipv4Addr::new(10, 213, subnet, 1),
            Ipv4Addr::new(10, 213, subnet, 2),
        );
        a.ip(&[
            "link", "add", &dev_a, "type", "veth", "peer", "name", &dev_b, "netns", &b.name,
        ])
        .ok("ip link add veth");
        for (ns, dev, ip) in [(&a, &dev_a, ip_a), (&b, &dev_b, ip_b)] {
            ns.exec(
                "sysctl",
                &["-qw", &format!("net.ipv6.conf.{dev}.disable_ipv6=1")],
            )
            .ok("disable IPv6");
            ns.ip(&["addr", "add", &format!("{ip}/24"), "dev", dev])
                .ok("ip addr add");
            ns.ip(&["link", "set", dev, "up"]).ok("ip link set up");
        }
        let mac_a = link_mac(&a, &dev_a);
        let mac_b = link_mac(&b, &dev_b);
        VethPair {
            a,
            b,
            dev_a,
            dev_b,
            ip_a,
            ip_b,
            mac_a,
            mac_b,
        }
    }

    /// Adds permanent neighbour entries on both ends, so that IP traffic flows
    /// without ARP (needed when a test drops ARP, or counts packets exactly).
    pub fn static_neighbours(&self) {
        for (ns, dev, ip, mac) in [
            (&self.a, &self.dev_a, self.ip_b, &self.mac_b),
            (&self.b, &self.dev_b, self.ip_a, &self.mac_a),
        ] {
            ns.ip(&[
                "neigh",
                "replace",
                &ip.to_string(),
                "lladdr",
                mac,
                "dev",
                dev,
                "nud",
                "permanent",
            ])
            .ok("ip neigh replace");
        }
    }
}

impl Default for VethPair {
    fn default() -> Self {
        Self::new()
    }
}

fn link_mac(ns: &Netns, dev: &str) -> String {
    let out = ns
        .ip(&["-j", "link", "show", "dev", dev])
        .ok("ip link show");
    let links: Value = serde_json::from_str(&out.stdout).expect("ip -j link show prints JSON");
    links[0]["address"]
        .as_str()
        .expect("link has an address")
        .to_string()
}

/// Path of a BPF object built from `bpf-src/NAME.c` (pass `"drop-arp"`), or from
/// `bpf-src/core/NAME.c` (pass `"core/core-drop-arp"`).
/// The first call runs `make -C bpf-src` (incremental) for the whole process.
pub fn bpf_obj(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let out = workspace_root().join("target/bpf");
        clang::make_bpf_src(&out).map(|()| out)
    });
    match dir {
        Ok(dir) => {
            let path = dir.join(format!("{name}.o"));
            assert!(path.exists(), "no BPF object {}", path.display());
            path
        }
        Err(e) => panic!("building bpf-src failed:\n{e}"),
    }
}

/// [`bpf_obj`] as a string, for use in argument lists.
pub fn bpf_obj_arg(name: &str) -> String {
    bpf_obj(name).to_string_lossy().into_owned()
}

/// True when `arping` from `ns` out of `dev` gets an ARP reply from `ip`
/// within about a second (it stops at the first reply).
pub fn arping_ok(ns: &Netns, dev: &str, ip: Ipv4Addr) -> bool {
    let ip = ip.to_string();
    let args = [
        "-q", "-C", "1", "-c", "5", "-W", "0.2", "-w", "1", "-i", dev, &ip,
    ];
    ns.exec("arping", &args).success()
}

/// True when a ping from `ns` to `ip` gets a reply within a second
/// (it sends every 0.2 s and stops at the first reply).
pub fn ping_ok(ns: &Netns, ip: Ipv4Addr) -> bool {
    let ip = ip.to_string();
    let args = ["-n", "-q", "-c", "1", "-i", "0.2", "-w", "1", &ip];
    ns.exec("ping", &args).success()
}

/// Sends `count` pings from `ns` to `ip`, 0.1 s apart; true when all were answered.
pub fn ping_count(ns: &Netns, ip: Ipv4Addr, count: u32) -> bool {
    let (ip, count) = (ip.to_string(), count.to_string());
    let args = ["-n", "-q", "-c", &count, "-i", "0.1", "-w", "5", &ip];
    ns.exec("ping", &args).success()
}

/// True when a TCP connection from `client` to `ip:port` completes within a
/// second. A listener is opened on `ip:port` in `server` for the duration of
/// the attempt; the client is the real `nc -z`.
pub fn tcp_connect_ok(client: &Netns, server: &Netns, ip: Ipv4Addr, port: u16) -> bool {
    let _listener = server.listen_tcp(ip, port);
    let (ip, port) = (ip.to_string(), port.to_string());
    client.exec("nc", &["-z", "-w", "1", &ip, &port]).success()
}

/// The filters on `dev`'s `hook` (`ingress`/`egress`) as the real `tc -j filter
/// show` reports them, keeping only entries that describe a filter (those with
/// `options`), not the per-chain header entries.
pub fn tc_filters(ns: &Netns, dev: &str, hook: &str) -> Vec<Value> {
    let out = ns
        .tc(&["-j", "filter", "show", "dev", dev, hook])
        .ok("tc -j filter show");
    let all: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("tc -j filter show is not JSON ({e}): {}", out.stdout));
    all.as_array()
        .map(|list| {
            list.iter()
                .filter(|f| f.get("options").is_some())
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The kernel's id of the program in a filter entry from [`tc_filters`].
pub fn filter_prog_id(filter: &Value) -> u64 {
    filter["options"]["prog"]["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("filter has no program id: {filter}"))
}

/// The ids of the maps a loaded program uses, from `bpftool prog show`.
pub fn prog_map_ids(prog_id: u64) -> Vec<u64> {
    let out = bpftool(&["-j", "prog", "show", "id", &prog_id.to_string()]).ok("bpftool prog show");
    let prog: Value = serde_json::from_str(&out.stdout).expect("bpftool prints JSON");
    prog["map_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// A map's description (`type`, `name`, `bytes_key`, ...) from `bpftool map show`.
pub fn map_info(map_id: u64) -> Value {
    let out = bpftool(&["-j", "map", "show", "id", &map_id.to_string()]).ok("bpftool map show");
    serde_json::from_str(&out.stdout).expect("bpftool prints JSON")
}

/// The value stored under `key` in a map, read with `bpftool map lookup` and
/// decoded as a little-endian unsigned integer.
pub fn map_lookup_u64(map_id: u64, key: u32) -> u64 {
    let id = map_id.to_string();
    let key_bytes: Vec<String> = key.to_le_bytes().iter().map(u8::to_string).collect();
    let mut args = vec!["-j", "map", "lookup", "id", &id, "key"];
    args.extend(key_bytes.iter().map(String::as_str));
    let out = bpftool(&args).ok("bpftool map lookup");
    let entry: Value = serde_json::from_str(&out.stdout).expect("bpftool prints JSON");
    le_bytes_u64(&entry["value"])
}

/// A byte array as bpftool prints it (`["0x01", "0x00", ...]`), decoded as a
/// little-endian unsigned integer.
pub fn le_bytes_u64(bytes: &Value) -> u64 {
    bytes
        .as_array()
        .unwrap_or_else(|| panic!("not a byte array: {bytes}"))
        .iter()
        .rev()
        .map(|b| {
            let text = b.as_str().expect("bytes are strings like \"0x01\"");
            u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("hex byte")
        })
        .fold(0, |acc, byte| (acc << 8) | byte)
}

/// Like [`run`], with extra environment variables for the child only.
pub fn run_env(program: impl AsRef<Path>, args: &[&str], env: &[(String, String)]) -> Run {
    let program = program.as_ref();
    let output = Command::new("timeout")
        .arg("--kill-after=2")
        .arg(COMMAND_TIMEOUT_SECS.to_string())
        .arg(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let status = output
        .status
        .code()
        .or_else(|| output.status.signal().map(|s| 128 + s))
        .unwrap_or(-1);
    Run {
        status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Netns {
    /// Runs the binary under test as `rtc -n NAME args...` with extra environment
    /// variables (such as [`Bpffs::env`]).
    pub fn rtc_env(&self, env: &[(String, String)], args: &[&str]) -> Run {
        run_env(built_rtc_bin(), &with_netns(&self.name, args), env)
    }
}

/// The id of the map pinned at `path`, from `bpftool map show pinned`.
pub fn pinned_map_id(path: &Path) -> u64 {
    let path = path.to_string_lossy();
    let out = bpftool(&["-j", "map", "show", "pinned", &path]).ok("bpftool map show pinned");
    let map: Value = serde_json::from_str(&out.stdout).expect("bpftool prints JSON");
    map["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no map id in {map}"))
}

/// The programs' description (`name`, `btf_id`, `map_ids`, ...) from `bpftool prog show`.
pub fn prog_info(prog_id: u64) -> Value {
    let out = bpftool(&["-j", "prog", "show", "id", &prog_id.to_string()]).ok("bpftool prog show");
    serde_json::from_str(&out.stdout).expect("bpftool prints JSON")
}

/// The SHA-1 of the file at `path` as coreutils' `sha1sum` prints it (40 hex
/// digits): the oracle for names iproute2 derives from an object's hash.
pub fn sha1sum(path: &Path) -> String {
    let out = run("sha1sum", &[&path.to_string_lossy()]).ok("sha1sum");
    out.stdout
        .get(..40)
        .unwrap_or_else(|| panic!("sha1sum printed no hash: {out}"))
        .to_string()
}
