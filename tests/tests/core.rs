//! Kernel tests of issue 10: objects built against vmlinux.h, with CO-RE
//! relocations, `__kconfig` and `__ksym` externs and kfunc calls (the programs of
//! `bpf-src/core/`, whose comments say what each one exercises).
//!
//! The oracle is the real tc 6.1 (and ip 6.1 for XDP), which load these objects
//! through libbpf 1.1. Each object is attached twice, by the reference tool in one
//! namespace and by the binary under test in a twin namespace, and the kernel must
//! not be able to tell the two programs apart: same name, type and tag (a hash of
//! the instructions as loaded, map references aside), the same `bpftool prog dump
//! xlated` (map ids numbered by first use), the same maps, and the same contents in
//! the read-only ones (`.kconfig`). Where the reference is refused by the kernel
//! (core-ksym-typed on a kernel built without CONFIG_KALLSYMS_ALL), rtc must be
//! refused with the kernel's message.
//!
//! Besides the table: a relocation no candidate satisfies (poisoned: refused only
//! where the verifier reaches it), one whose candidates disagree (refused by the
//! loader), strong externs the kernel lacks (refused, named), and real traffic
//! through the vmlinux.h drop-arp, the dynptr drop-arp and two XDP counters.
//!
//! The tests come in pairs: `tc_...`/`ip_...` check the oracle side alone (they
//! pass as long as the tools and the kernel are what the tests expect), `rtc_...`
//! hold the binary under test to the same. Until rtc's loader resolves CO-RE
//! relocations, externs and kfuncs, the `rtc_...` tests fail with rtc's "is not
//! supported" errors. With `RTC_BIN=/usr/sbin/tc` the tc rows of the table, the
//! drop-arp traffic test and the poisoned-relocation test pass, which checks the
//! tests themselves.
//!
//! Each test returns early (and passes) when kernel tests cannot run here, unless
//! `RTC_REQUIRE_PRIVILEGED=1`; see `rtc_tests::require_privileged`.

use std::collections::BTreeMap;

use rtc_tests::{
    Netns, Run, VethPair, arping_ok, bpf_obj_arg, bpftool, filter_prog_id, map_info, ping_count,
    ping_ok, prog_info, prog_map_ids, require_privileged, tc_filters,
};
use serde_json::Value;

/// Where a program is attached, and so which tool is the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hook {
    /// `tc filter add dev v0 ingress bpf da obj F sec S` (clsact qdisc first).
    TcIngress,
    /// `ip link set dev v0 xdpgeneric obj F sec S`.
    Xdp,
}

/// What the reference tool does with an object on this machine.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// It loads and attaches it.
    Loads,
    /// It loads when the kernel can find this variable's address in
    /// /proc/kallsyms (variables are listed there only with CONFIG_KALLSYMS_ALL);
    /// otherwise the verifier refuses the typed `__ksym`.
    LoadsIfInKallsyms(&'static str),
}

/// One row of the table: an object of `bpf-src/core/`, a section, a hook.
struct Case {
    /// `NAME` of `bpf-src/core/NAME.c`.
    object: &'static str,
    section: &'static str,
    hook: Hook,
    expect: Expect,
    /// What the row exercises (printed with the results).
    exercises: &'static str,
}

const fn case(
    object: &'static str,
    section: &'static str,
    hook: Hook,
    exercises: &'static str,
) -> Case {
    Case {
        object,
        section,
        hook,
        expect: Expect::Loads,
        exercises,
    }
}

/// Every object of `bpf-src/core/` and section that the reference loads (or that
/// the kernel refuses whoever loads it). The refused section of core-poison and
/// core-ambiguous are tested on their own (`..._poisoned_relocation_...`,
/// `..._ambiguous_relocation_...`): the reference's messages there are libbpf's,
/// not the kernel's.
const CASES: &[Case] = &[
    case(
        "core-drop-arp",
        "tc",
        Hook::TcIngress,
        "vmlinux.h __sk_buff data/data_end and ethhdr.h_proto: field byte offsets",
    ),
    case(
        "core-xdp-pass-count",
        "xdp",
        Hook::Xdp,
        "vmlinux.h xdp_md data/data_end, a BTF per-CPU array",
    ),
    case(
        "core-flavors",
        "tc",
        Hook::TcIngress,
        "___flavor structs with moved fields, BPF_CORE_READ chain, bpf_cast_to_kern_ctx kfunc",
    ),
    case(
        "core-fields",
        "tc",
        Hook::TcIngress,
        "field offset/size/exists/signed/lshift/rshift, BPF_CORE_READ_BITFIELD",
    ),
    case(
        "core-types",
        "tc",
        Hook::TcIngress,
        "type exists/size/matches, type id local/target, enum value exists/value, enum64",
    ),
    case(
        "core-candidates",
        "tc",
        Hook::TcIngress,
        "a flavor with three candidates in kernel BTF that agree",
    ),
    case(
        "core-poison",
        "guarded",
        Hook::TcIngress,
        "unresolvable relocation poisoned behind bpf_core_field_exists (dead code)",
    ),
    case(
        "core-kconfig",
        "tc",
        Hook::TcIngress,
        "__kconfig: LINUX_KERNEL_VERSION, bool, tristate, char, int, u64, string, __weak missing",
    ),
    case(
        "core-ksym",
        "tc",
        Hook::TcIngress,
        "untyped __ksym from kallsyms, __weak missing typed and untyped __ksym",
    ),
    Case {
        expect: Expect::LoadsIfInKallsyms("runqueues"),
        ..case(
            "core-ksym-typed",
            "tc",
            Hook::TcIngress,
            "typed __ksym (BPF_PSEUDO_BTF_ID) per-CPU variables with bpf_this_cpu_ptr",
        )
    },
    case(
        "core-kfunc-skb",
        "tc",
        Hook::TcIngress,
        "kfunc calls bpf_dynptr_from_skb and bpf_dynptr_slice",
    ),
    case(
        "core-kfunc-xdp",
        "xdp",
        Hook::Xdp,
        "kfunc calls bpf_dynptr_from_xdp and bpf_dynptr_slice",
    ),
    case(
        "core-kfunc-weak",
        "tc",
        Hook::TcIngress,
        "__weak kfuncs, one missing, tested with ksym_exists before the call",
    ),
    case(
        "core-maps",
        "tc",
        Hook::TcIngress,
        "PERF_EVENT_ARRAY with max_entries 0, RINGBUF of 5000 bytes",
    ),
];

/// Which tool loads: the reference (tc, or ip for XDP) or the binary under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tool {
    Reference,
    Rtc,
}

impl Tool {
    fn name(self, hook: Hook) -> &'static str {
        match (self, hook) {
            (Tool::Reference, Hook::TcIngress) => "tc",
            (Tool::Reference, Hook::Xdp) => "ip",
            (Tool::Rtc, _) => "rtc",
        }
    }

    /// Runs `TOOL -n NS args...` where TOOL is the reference for `hook` or rtc.
    fn run(self, ns: &Netns, hook: Hook, args: &[&str]) -> Run {
        match (self, hook) {
            (Tool::Reference, Hook::TcIngress) => ns.tc(args),
            (Tool::Reference, Hook::Xdp) => ns.ip(args),
            (Tool::Rtc, _) => ns.rtc(args),
        }
    }
}

/// A namespace with a veth pair `v0`/`v1`, both up, to attach one program to.
fn lab() -> Netns {
    let ns = Netns::new();
    ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        .ok("ip link add veth");
    ns.ip(&["link", "set", "v0", "up"]).ok("ip link set v0 up");
    ns.ip(&["link", "set", "v1", "up"]).ok("ip link set v1 up");
    ns
}

/// Path of the built object `bpf-src/core/NAME.c`.
fn core_obj(object: &str) -> String {
    bpf_obj_arg(&format!("core/{object}"))
}

/// Attaches the case's program to `v0` of `ns` with `tool`; the program's id, or
/// the failed command.
fn attach(ns: &Netns, tool: Tool, case: &Case) -> Result<u64, Run> {
    attach_section(ns, tool, case.hook, case.object, case.section)
}

fn attach_section(
    ns: &Netns,
    tool: Tool,
    hook: Hook,
    object: &str,
    section: &str,
) -> Result<u64, Run> {
    let obj = core_obj(object);
    match hook {
        Hook::TcIngress => {
            tool.run(ns, hook, &["qdisc", "add", "dev", "v0", "clsact"])
                .ok("qdisc add clsact");
            let added = tool.run(
                ns,
                hook,
                &[
                    "filter", "add", "dev", "v0", "ingress", "bpf", "da", "obj", &obj, "sec",
                    section,
                ],
            );
            if !added.success() {
                return Err(added);
            }
            let filters = tc_filters(ns, "v0", "ingress");
            assert_eq!(filters.len(), 1, "one filter expected: {filters:?}");
            Ok(filter_prog_id(&filters[0]))
        }
        Hook::Xdp => {
            let set = tool.run(
                ns,
                hook,
                &[
                    "link",
                    "set",
                    "dev",
                    "v0",
                    "xdpgeneric",
                    "obj",
                    &obj,
                    "sec",
                    section,
                ],
            );
            if !set.success() {
                return Err(set);
            }
            Ok(xdp_prog_id(ns, "v0").expect("an XDP program on v0 after link set"))
        }
    }
}

/// The id of the XDP program on `dev` as the real `ip -j link show` reports it.
fn xdp_prog_id(ns: &Netns, dev: &str) -> Option<u64> {
    let out = ns
        .ip(&["-j", "link", "show", "dev", dev])
        .ok("ip -j link show");
    let links: Value = serde_json::from_str(&out.stdout).expect("ip -j prints JSON");
    links[0]["xdp"]["prog"]["id"].as_u64()
}

/// What the kernel says about one loaded program, in a form that is equal for two
/// loads of the same object by two loaders that did the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Loaded {
    /// `name type tag bytes_xlated` from `bpftool prog show`.
    summary: String,
    /// `bpftool prog dump xlated`, map ids numbered by first use.
    xlated: String,
    /// One line per map: name, type, sizes, flags, frozen; sorted.
    maps: Vec<String>,
    /// Contents of the frozen (read-only) maps, by map name, as `bpftool -j map dump`
    /// prints them.
    frozen: BTreeMap<String, Value>,
}

impl Loaded {
    fn read(prog: u64) -> Self {
        let info = prog_info(prog);
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
        let summary = format!(
            "name {} type {} tag {} bytes_xlated {}",
            text(&info["name"]),
            text(&info["type"]),
            text(&info["tag"]),
            info["bytes_xlated"]
        );
        let dump = bpftool(&["prog", "dump", "xlated", "id", &prog.to_string()])
            .ok("bpftool prog dump xlated");
        let mut maps = Vec::new();
        let mut frozen = BTreeMap::new();
        for id in prog_map_ids(prog) {
            let m = map_info(id);
            let name = text(&m["name"]);
            maps.push(format!(
                "{name} {} key {} value {} max_entries {} flags {} frozen {}",
                text(&m["type"]),
                m["bytes_key"],
                m["bytes_value"],
                m["max_entries"],
                m["flags"],
                m["frozen"]
            ));
            if m["frozen"].as_u64() == Some(1) {
                let out =
                    bpftool(&["-j", "map", "dump", "id", &id.to_string()]).ok("bpftool map dump");
                let contents: Value =
                    serde_json::from_str(&out.stdout).expect("bpftool prints JSON");
                frozen.insert(name, contents);
            }
        }
        maps.sort();
        Loaded {
            summary,
            xlated: number_map_ids(&dump.stdout),
            maps,
            frozen,
        }
    }

    /// The tag alone.
    fn tag(&self) -> &str {
        self.summary
            .split(" tag ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or("")
    }

    /// What differs between `self` (rtc) and `reference`, one paragraph each.
    fn differences(&self, reference: &Loaded) -> Vec<String> {
        let mut found = Vec::new();
        if self.summary != reference.summary {
            found.push(format!(
                "program: rtc `{}`, reference `{}`",
                self.summary, reference.summary
            ));
        }
        if self.xlated != reference.xlated {
            found.push(format!(
                "xlated dumps differ{}\n--- rtc ---\n{}--- reference ---\n{}",
                first_difference(&self.xlated, &reference.xlated),
                self.xlated,
                reference.xlated
            ));
        }
        if self.maps != reference.maps {
            found.push(format!(
                "maps: rtc {:#?}\nreference {:#?}",
                self.maps, reference.maps
            ));
        }
        if self.frozen != reference.frozen {
            found.push(format!(
                "read-only map contents: rtc {:#?}\nreference {:#?}",
                self.frozen, reference.frozen
            ));
        }
        found
    }
}

/// ` at line N: rtc `...`, reference `...`` for the first line where two dumps differ.
fn first_difference(ours: &str, theirs: &str) -> String {
    let (mut ours_lines, mut their_lines) = (ours.lines(), theirs.lines());
    for n in 1.. {
        match (ours_lines.next(), their_lines.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                return format!(
                    " first at line {n}: rtc `{}`, reference `{}`",
                    a.unwrap_or("<end>"),
                    b.unwrap_or("<end>")
                );
            }
        }
    }
    String::new()
}

/// `text` with every `map[id:N]` replaced by `map[#K]`, K numbering the distinct
/// ids in order of first appearance: map ids differ on every load, but which
/// instruction uses which map must not.
fn number_map_ids(text: &str) -> String {
    const OPEN: &str = "map[id:";
    let mut numbers: Vec<String> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        let k = match numbers.iter().position(|n| *n == digits) {
            Some(k) => k,
            None => {
                numbers.push(digits.clone());
                numbers.len() - 1
            }
        };
        out.push_str(&format!("map[#{k}"));
        rest = &after[digits.len()..];
    }
    out.push_str(rest);
    out
}

/// The first line of the kernel's verifier log in a libbpf failure message (the
/// line after `-- BEGIN PROG LOAD LOG --`).
fn first_log_line(stderr: &str) -> Option<&str> {
    stderr
        .lines()
        .skip_while(|line| !line.contains("-- BEGIN PROG LOAD LOG --"))
        .nth(1)
        .map(str::trim)
        .filter(|line| !line.is_empty())
}

/// True when `symbol` is listed in /proc/kallsyms, where the kernel looks up a
/// typed `__ksym`'s address.
fn in_kallsyms(symbol: &str) -> bool {
    let text = std::fs::read_to_string("/proc/kallsyms").expect("read /proc/kallsyms");
    text.lines()
        .any(|line| line.split_whitespace().nth(2) == Some(symbol))
}

/// True when the reference is expected to load the case on this machine.
fn reference_should_load(case: &Case) -> bool {
    match case.expect {
        Expect::Loads => true,
        Expect::LoadsIfInKallsyms(symbol) => in_kallsyms(symbol),
    }
}

/// What the reference did with the case.
enum Reference {
    Loaded(Loaded),
    /// Refused; the kernel's first log line.
    Refused(String),
}

/// Attaches the case with the reference tool in `ns` and checks that it did what
/// the table expects on this machine; panics (with the tool's output) otherwise:
/// a broken oracle must not pass for a working rtc.
fn reference(ns: &Netns, case: &Case) -> Reference {
    let tool = Tool::Reference.name(case.hook);
    let should_load = reference_should_load(case);
    match attach(ns, Tool::Reference, case) {
        Ok(prog) => {
            assert!(
                should_load,
                "{} [{}]: {tool} loaded it, the table expects a refusal here",
                case.object, case.section
            );
            Reference::Loaded(Loaded::read(prog))
        }
        Err(failed) => {
            assert!(
                !should_load,
                "{} [{}]: the reference {tool} must load it:\n{failed}",
                case.object, case.section
            );
            let line = first_log_line(&failed.stderr).unwrap_or_else(|| {
                panic!(
                    "{} [{}]: {tool} was refused without a verifier log:\n{failed}",
                    case.object, case.section
                )
            });
            Reference::Refused(line.to_string())
        }
    }
}

/// The oracle side alone: the reference does what the table expects with every
/// object, and two loads of one object by it read back the same (so that nothing
/// that varies between loads is left unmasked in [`Loaded`]).
#[test]
fn tc_loads_every_core_object() {
    if !require_privileged() {
        return;
    }
    for case in CASES {
        let (first, second) = (lab(), lab());
        let tool = Tool::Reference.name(case.hook);
        match (reference(&first, case), reference(&second, case)) {
            (Reference::Loaded(loaded), Reference::Loaded(again)) => {
                let differences = again.differences(&loaded);
                assert!(
                    differences.is_empty(),
                    "{} [{}]: two loads by {tool} differ:\n{}",
                    case.object,
                    case.section,
                    differences.join("\n")
                );
                println!(
                    "{:<20} {:<9} {tool}: loaded, tag {}, maps {:?}  ({})",
                    case.object,
                    case.section,
                    loaded.tag(),
                    loaded.maps,
                    case.exercises
                );
            }
            (Reference::Refused(line), Reference::Refused(_)) => println!(
                "{:<20} {:<9} {tool}: refused by the kernel: {line}  ({})",
                case.object, case.section, case.exercises
            ),
            _ => panic!(
                "{} [{}]: {tool} loaded it once only",
                case.object, case.section
            ),
        }
    }
}

#[test]
fn rtc_loads_every_core_object_as_tc_does() {
    if !require_privileged() {
        return;
    }
    let mut failures = Vec::new();
    for case in CASES {
        let (theirs, ours) = (lab(), lab());
        let expected = reference(&theirs, case);
        let attached = attach(&ours, Tool::Rtc, case);
        let row = format!("{} [{}] ({})", case.object, case.section, case.exercises);
        let verdict = match (&expected, attached) {
            (Reference::Loaded(reference), Ok(prog)) => {
                let differences = Loaded::read(prog).differences(reference);
                if differences.is_empty() {
                    println!(
                        "{row}: same program as the reference, tag {}",
                        reference.tag()
                    );
                    None
                } else {
                    Some(differences.join("\n"))
                }
            }
            (Reference::Loaded(reference), Err(failed)) => Some(format!(
                "the reference loaded it (tag {}), rtc did not:\n{failed}",
                reference.tag()
            )),
            (Reference::Refused(line), Ok(_)) => Some(format!(
                "the kernel refused the reference's program ({line}), rtc's was loaded"
            )),
            (Reference::Refused(line), Err(failed)) => {
                if failed.stderr.contains(line.as_str()) {
                    println!("{row}: refused by the kernel for both: {line}");
                    None
                } else {
                    Some(format!(
                        "the kernel refused both, but rtc's error does not show the \
                         kernel's `{line}`:\n{failed}"
                    ))
                }
            }
        };
        if let Some(verdict) = verdict {
            println!("{row}: DIFFERENT");
            failures.push(format!("{row}: {verdict}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} objects are not loaded as tc/ip load them:\n\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------------
// A relocation that cannot be resolved

/// The object and field of core-poison.c.
const POISON: &str = "core-poison";
const MISSING_FIELD: &str = "rtc_future_field";

#[test]
fn tc_refuses_only_the_reachable_poisoned_relocation() {
    if !require_privileged() {
        return;
    }
    let ns = lab();
    attach_section(&ns, Tool::Reference, Hook::TcIngress, POISON, "guarded")
        .unwrap_or_else(|failed| panic!("tc must load the guarded program:\n{failed}"));
    let ns = lab();
    let refused = attach_section(&ns, Tool::Reference, Hook::TcIngress, POISON, "reachable")
        .expect_err("tc must refuse the reachable poisoned relocation");
    println!("{refused}");
    // libbpf names the relocation in the verifier log it rewrites.
    assert!(refused.stderr.contains(MISSING_FIELD), "{refused}");
    assert!(tc_filters(&ns, "v0", "ingress").is_empty());
}

#[test]
fn rtc_refuses_a_reachable_poisoned_relocation_naming_it() {
    if !require_privileged() {
        return;
    }
    let ns = lab();
    let refused = attach_section(&ns, Tool::Rtc, Hook::TcIngress, POISON, "reachable")
        .expect_err("rtc must refuse the reachable poisoned relocation");
    println!("{refused}");
    assert_eq!(refused.status, 1, "tc's exit status for a refused program");
    // The error names the relocation: the field, the (local) type, CO-RE.
    assert!(refused.stderr.contains(MISSING_FIELD), "{refused}");
    assert!(refused.stderr.contains("__sk_buff___future"), "{refused}");
    assert!(refused.stderr.contains("CO-RE"), "{refused}");
    // It is the verifier that refused (a poisoned instruction is not an error by
    // itself): the message is not a loader's "not supported".
    assert!(!refused.stderr.contains("not supported"), "{refused}");
    assert!(tc_filters(&ns, "v0", "ingress").is_empty());

    let ns = lab();
    attach_section(&ns, Tool::Rtc, Hook::TcIngress, POISON, "guarded")
        .unwrap_or_else(|failed| panic!("rtc must load the guarded program:\n{failed}"));
}

/// The candidates of core-ambiguous.c's relocation in the kernel's BTF, read with
/// `bpftool btf dump`: for each `struct walk_control`, its id and the byte offset
/// of `stage`.
fn walk_control_candidates() -> Vec<(u64, u64)> {
    let dump = bpftool(&["btf", "dump", "file", "/sys/kernel/btf/vmlinux"]).ok("bpftool btf dump");
    let mut found = Vec::new();
    let mut rest = dump.stdout.as_str();
    while let Some(at) = rest.find("STRUCT 'walk_control' size=") {
        let start = rest[..at].rfind('\n').map_or(0, |n| n + 1);
        let (id, _, stage) = kernel_struct(&rest[start..], "walk_control", "stage");
        found.push((id, stage));
        rest = &rest[at + 1..];
    }
    found
}

/// [`walk_control_candidates`] when there are two that disagree (btrfs built in,
/// as here); otherwise skips.
fn disagreeing_candidates() -> Option<Vec<(u64, u64)>> {
    let candidates = walk_control_candidates();
    println!("struct walk_control (id, offset of stage): {candidates:?}");
    let disagree = candidates.len() == 2 && candidates[0].1 != candidates[1].1;
    rtc_tests::require(
        disagree,
        "this kernel's BTF has not two struct walk_control with `stage` at different offsets",
    )
    .then_some(candidates)
}

#[test]
fn tc_refuses_an_ambiguous_relocation() {
    if !require_privileged() {
        return;
    }
    let Some(candidates) = disagreeing_candidates() else {
        return;
    };
    let ns = lab();
    let refused = attach_section(
        &ns,
        Tool::Reference,
        Hook::TcIngress,
        "core-ambiguous",
        "tc",
    )
    .expect_err("tc must refuse the ambiguous relocation");
    println!("{refused}");
    // libbpf 1.1 names both answers, in bits.
    for (_, offset) in &candidates {
        assert!(
            refused.stderr.contains(&(offset * 8).to_string()),
            "{refused}"
        );
    }
    assert!(refused.stderr.contains("ambiguity"), "{refused}");
    // Refused before the verifier: no program was loaded.
    assert!(!refused.stderr.contains("PROG LOAD LOG"), "{refused}");
}

#[test]
fn rtc_refuses_an_ambiguous_relocation_naming_both_candidates() {
    if !require_privileged() {
        return;
    }
    let Some(candidates) = disagreeing_candidates() else {
        return;
    };
    let ns = lab();
    let refused = attach_section(&ns, Tool::Rtc, Hook::TcIngress, "core-ambiguous", "tc")
        .expect_err("rtc must refuse the ambiguous relocation");
    println!("{refused}");
    assert_eq!(refused.status, 1, "tc's exit status for a refused program");
    let err = &refused.stderr;
    assert!(
        err.contains("walk_control") && err.contains("stage"),
        "{refused}"
    );
    assert!(err.to_lowercase().contains("ambiguous"), "{refused}");
    // Both candidates named: by their ids in the kernel's BTF, or by the two
    // offsets they give (in bytes or, as libbpf, in bits).
    let names_both =
        |show: &dyn Fn(&(u64, u64)) -> String| candidates.iter().all(|c| err.contains(&show(c)));
    assert!(
        names_both(&|c| c.0.to_string())
            || names_both(&|c| c.1.to_string())
            || names_both(&|c| (c.1 * 8).to_string()),
        "both candidates {candidates:?} must be named:\n{refused}"
    );
    assert!(!err.contains("not supported"), "{refused}");
    assert!(tc_filters(&ns, "v0", "ingress").is_empty());
}

// ---------------------------------------------------------------------------
// Strong externs that the kernel does not have

/// Objects whose one non-`__weak` extern this kernel lacks, with its name: the
/// loader must refuse each before anything is loaded, naming the extern.
const MISSING_EXTERNS: &[(&str, &str)] = &[
    ("core-missing-kconfig", "CONFIG_RTC_NO_SUCH_OPTION"),
    ("core-missing-ksym", "rtc_no_such_symbol"),
    ("core-missing-kfunc", "bpf_rtc_no_such_kfunc"),
];

#[test]
fn tc_refuses_a_missing_strong_extern() {
    if !require_privileged() {
        return;
    }
    for (object, name) in MISSING_EXTERNS {
        let ns = lab();
        let refused = attach_section(&ns, Tool::Reference, Hook::TcIngress, object, "tc")
            .expect_err("tc must refuse a missing strong extern");
        println!("{object}: {}", refused.stderr.trim());
        assert!(refused.stderr.contains(name), "{refused}");
        assert!(!refused.stderr.contains("PROG LOAD LOG"), "{refused}");
    }
}

#[test]
fn rtc_refuses_a_missing_strong_extern_naming_it() {
    if !require_privileged() {
        return;
    }
    for (object, name) in MISSING_EXTERNS {
        let ns = lab();
        let refused = attach_section(&ns, Tool::Rtc, Hook::TcIngress, object, "tc")
            .expect_err("rtc must refuse a missing strong extern");
        println!("{object}: {}", refused.stderr.trim());
        assert_eq!(refused.status, 1, "{object}: {refused}");
        assert!(refused.stderr.contains(name), "{object}: {refused}");
        assert!(
            !refused.stderr.contains("not supported"),
            "{object}: {refused}"
        );
        assert!(tc_filters(&ns, "v0", "ingress").is_empty());
    }
}

// ---------------------------------------------------------------------------
// Traffic

/// Attaches `object`'s `section` (a name for `bpf_obj_arg`) to the ingress of the
/// `a` end of a fresh pair with `tool`, and reports what gets through from `b`:
/// (ARP answered, ping answered). Neighbours are static, so IP needs no ARP.
fn arp_and_ip_through(tool: Tool, object: &str, section: &str) -> (bool, bool) {
    let pair = VethPair::new();
    pair.static_neighbours();
    assert!(
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "arping must work before anything is attached"
    );
    let hook = Hook::TcIngress;
    tool.run(
        &pair.a,
        hook,
        &["qdisc", "add", "dev", &pair.dev_a, "clsact"],
    )
    .ok("qdisc add clsact");
    let obj = bpf_obj_arg(object);
    tool.run(
        &pair.a,
        hook,
        &[
            "filter",
            "add",
            "dev",
            &pair.dev_a,
            "ingress",
            "bpf",
            "da",
            "obj",
            &obj,
            "sec",
            section,
        ],
    )
    .ok(&format!(
        "{} filter add ... {object} sec {section}",
        tool.name(hook)
    ));
    (
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        ping_ok(&pair.b, pair.ip_a),
    )
}

/// The uapi drop-arp and the two vmlinux.h versions (packet pointers; dynptr kfuncs).
const DROP_ARP_OBJECTS: &[(&str, &str)] = &[
    ("drop-arp", "ingress"),
    ("core/core-drop-arp", "tc"),
    ("core/core-kfunc-skb", "tc"),
];

/// What attaching `tool`'s drop-arp versions does to traffic must be what the uapi
/// drop-arp attached by tc does: ARP dropped, IP through.
fn drop_arp_versions_behave_alike(tool: Tool) {
    let baseline = arp_and_ip_through(Tool::Reference, "drop-arp", "ingress");
    assert_eq!(
        baseline,
        (false, true),
        "tc with drop-arp: ARP must be dropped, IP must pass"
    );
    for (object, section) in DROP_ARP_OBJECTS {
        let seen = arp_and_ip_through(tool, object, section);
        println!(
            "{} {object} [{section}]: ARP answered {}, ping answered {}",
            tool.name(Hook::TcIngress),
            seen.0,
            seen.1
        );
        assert_eq!(seen, baseline, "{object} [{section}] attached by {tool:?}");
    }
}

#[test]
fn tc_core_drop_arp_drops_arp_like_drop_arp() {
    if !require_privileged() {
        return;
    }
    drop_arp_versions_behave_alike(Tool::Reference);
}

#[test]
fn rtc_core_drop_arp_drops_arp_like_drop_arp() {
    if !require_privileged() {
        return;
    }
    drop_arp_versions_behave_alike(Tool::Rtc);
}

/// Sum over CPUs of the u64 in slot `key` of a per-CPU array, read with bpftool.
fn percpu_sum(map_id: u64, key: u32) -> u64 {
    let id = map_id.to_string();
    let key_bytes: Vec<String> = key.to_le_bytes().iter().map(u8::to_string).collect();
    let mut args = vec!["-j", "map", "lookup", "id", &id, "key"];
    args.extend(key_bytes.iter().map(String::as_str));
    let out = bpftool(&args).ok("bpftool map lookup");
    let entry: Value = serde_json::from_str(&out.stdout).expect("bpftool prints JSON");
    entry["values"]
        .as_array()
        .unwrap_or_else(|| panic!("a per-CPU entry has values: {entry}"))
        .iter()
        .map(|cpu| rtc_tests::le_bytes_u64(&cpu["value"]))
        .sum()
}

/// core-xdp-pass-count attached by `tool` on the `a` end: pings from `b` pass, and
/// the program counts each of them (slot 0) and their bytes (slot 1).
fn xdp_pass_count_counts_pings(tool: Tool) {
    const PINGS: u32 = 5;
    let pair = VethPair::new();
    pair.static_neighbours();
    let obj = core_obj("core-xdp-pass-count");
    tool.run(
        &pair.a,
        Hook::Xdp,
        &[
            "link",
            "set",
            "dev",
            &pair.dev_a,
            "xdpgeneric",
            "obj",
            &obj,
            "sec",
            "xdp",
        ],
    )
    .ok("link set xdpgeneric obj core-xdp-pass-count.o");
    let prog = xdp_prog_id(&pair.a, &pair.dev_a).expect("an XDP program after link set");
    let maps = prog_map_ids(prog);
    assert_eq!(maps.len(), 1, "one map: {maps:?}");
    assert!(ping_count(&pair.b, pair.ip_a, PINGS), "pings must pass");
    let (packets, bytes) = (percpu_sum(maps[0], 0), percpu_sum(maps[0], 1));
    println!("{tool:?}: {packets} packets, {bytes} bytes counted");
    // Echo requests are 98 bytes on the wire without the FCS (14 + 20 + 8 + 56).
    assert!(packets >= u64::from(PINGS), "{packets} packets");
    assert!(bytes >= 98 * u64::from(PINGS), "{bytes} bytes");
}

#[test]
fn ip_core_xdp_pass_count_counts_pings() {
    if !require_privileged() {
        return;
    }
    xdp_pass_count_counts_pings(Tool::Reference);
}

#[test]
fn rtc_core_xdp_pass_count_counts_pings() {
    if !require_privileged() {
        return;
    }
    xdp_pass_count_counts_pings(Tool::Rtc);
}

/// core-kfunc-xdp attached by `tool` on the `a` end: ARP requests from `b` pass
/// (arping is answered) and the program, reading them through the dynptr kfuncs,
/// counts them in its `.bss`.
fn kfunc_xdp_counts_arp(tool: Tool) {
    let pair = VethPair::new();
    let obj = core_obj("core-kfunc-xdp");
    tool.run(
        &pair.a,
        Hook::Xdp,
        &[
            "link",
            "set",
            "dev",
            &pair.dev_a,
            "xdpgeneric",
            "obj",
            &obj,
            "sec",
            "xdp",
        ],
    )
    .ok("link set xdpgeneric obj core-kfunc-xdp.o");
    let prog = xdp_prog_id(&pair.a, &pair.dev_a).expect("an XDP program after link set");
    let maps = prog_map_ids(prog);
    assert_eq!(maps.len(), 1, "one map (.bss): {maps:?}");
    assert!(
        arping_ok(&pair.b, &pair.dev_b, pair.ip_a),
        "ARP must pass the XDP program"
    );
    let frames = rtc_tests::map_lookup_u64(maps[0], 0);
    println!("{tool:?}: {frames} ARP frames counted");
    assert!(frames >= 1, "{frames} ARP frames counted");
}

#[test]
fn ip_core_kfunc_xdp_counts_arp() {
    if !require_privileged() {
        return;
    }
    kfunc_xdp_counts_arp(Tool::Reference);
}

#[test]
fn rtc_core_kfunc_xdp_counts_arp() {
    if !require_privileged() {
        return;
    }
    kfunc_xdp_counts_arp(Tool::Rtc);
}

#[test]
fn numbering_map_ids_keeps_which_instruction_uses_which_map() {
    let dump = "   1: (18) r1 = map[id:204][0]+24\n   5: (18) r2 = map[id:203][0]+8\n   \
                9: (18) r1 = map[id:204]\n";
    assert_eq!(
        number_map_ids(dump),
        "   1: (18) r1 = map[#0][0]+24\n   5: (18) r2 = map[#1][0]+8\n   9: (18) r1 = map[#0]\n"
    );
    let other_load = dump.replace("204", "17").replace("203", "9");
    assert_eq!(number_map_ids(&other_load), number_map_ids(dump));
}

// ---------------------------------------------------------------------------
// Offline: `rtc obj show --btf`

/// From `bpftool btf dump file FILE` (raw): the id and size of struct `name`, and
/// the byte offset of its member `member`.
fn kernel_struct(btf_dump: &str, name: &str, member: &str) -> (u64, u64, u64) {
    let header = format!("STRUCT '{name}' size=");
    let mut lines = btf_dump.lines();
    let line = lines
        .by_ref()
        .find(|line| line.contains(&header))
        .unwrap_or_else(|| panic!("no struct {name} in the kernel's BTF"));
    let id = line
        .trim_start_matches('[')
        .split(']')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("[ID] at the start of a bpftool BTF line");
    let size = line
        .split("size=")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|size| size.parse().ok())
        .expect("size=N");
    let quoted = format!("'{member}' ");
    let bits: u64 = lines
        .take_while(|line| line.starts_with('\t'))
        .find(|line| line.trim_start().starts_with(&quoted))
        .and_then(|line| line.split("bits_offset=").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|bits| bits.parse().ok())
        .unwrap_or_else(|| panic!("no member {member} in struct {name}"));
    (id, size, bits / 8)
}

/// What `rtc --explain` says each CO-RE relocation became in a live load:
/// (instruction, value) or (instruction, None) for a poisoned one.
fn live_core_values(explain: &str) -> Vec<(u64, Option<u64>)> {
    let mut out = Vec::new();
    let mut insn = None;
    for line in explain.lines() {
        if let Some(rest) = line.split("CO-RE relocation: instruction ").nth(1) {
            insn = rest.split_whitespace().next().and_then(|n| n.parse().ok());
        } else if let (Some(at), Some(value)) = (insn, line.trim().strip_prefix("value: ")) {
            out.push((
                at,
                value.split_whitespace().next().and_then(|v| v.parse().ok()),
            ));
            insn = None;
        }
    }
    out
}

/// What `rtc -j obj show OBJ --btf VMLINUX` says each relocation resolves to.
fn offline_core_values(json: &str) -> Vec<(u64, Option<u64>)> {
    let report: serde_json::Value = serde_json::from_str(json).expect("obj show -j is JSON");
    report["core_relocations"]
        .as_array()
        .expect("core_relocations")
        .iter()
        .map(|r| {
            let target = &r["target"];
            let value = if target["poisoned"].is_null() {
                target["value"].as_u64()
            } else {
                None
            };
            (r["insn"].as_u64().expect("insn"), value)
        })
        .collect()
}

/// The oracle chain of the offline view: for every single-function object of the
/// table that loads, `rtc obj show --btf /sys/kernel/btf/vmlinux` resolves each CO-RE
/// relocation to what the live load computed (as `--explain` narrates it), and that
/// live load gives the same program as tc/ip (`rtc_loads_every_core_object_as_tc_does`).
/// For core-types, whose relocations all become constants, the values are also read
/// straight from the program tc loaded (`bpftool prog dump xlated`).
#[test]
fn rtc_obj_show_btf_resolves_offline_what_the_live_load_computed() {
    const VMLINUX: &str = "/sys/kernel/btf/vmlinux";
    if !require_privileged()
        || !rtc_tests::require_tools(&["bpftool"])
        || !rtc_tests::require(
            std::path::Path::new(VMLINUX).exists(),
            "the kernel has no BTF",
        )
    {
        return;
    }
    let mut compared = 0;
    for case in CASES.iter().filter(|c| {
        matches!(c.expect, Expect::Loads)
            && matches!(
                c.object,
                "core-drop-arp"
                    | "core-xdp-pass-count"
                    | "core-types"
                    | "core-candidates"
                    | "core-fields"
                    | "core-flavors"
            )
    }) {
        let obj = core_obj(case.object);
        let shown =
            rtc_tests::rtc(&["-j", "obj", "show", &obj, "--btf", VMLINUX]).ok("rtc obj show --btf");
        let offline = offline_core_values(&shown.stdout);
        assert!(!offline.is_empty(), "{}: no CO-RE relocations", case.object);

        let ns = lab();
        let verb: &[&str] = match case.hook {
            Hook::TcIngress => {
                ns.rtc(&["qdisc", "add", "dev", "v0", "clsact"])
                    .ok("qdisc add clsact");
                &["filter", "add", "dev", "v0", "ingress", "bpf", "da"]
            }
            Hook::Xdp => &["link", "set", "dev", "v0", "xdpgeneric"],
        };
        let mut args = vec!["--explain"];
        args.extend_from_slice(verb);
        args.extend_from_slice(&["obj", &obj, "sec", case.section]);
        let live = ns.rtc(&args).ok("rtc --explain attach");
        let live = live_core_values(&live.stderr);
        assert_eq!(
            offline, live,
            "{}: offline (left) and live (right) CO-RE values differ",
            case.object
        );
        println!(
            "{}: {} relocations, offline == live",
            case.object,
            offline.len()
        );
        compared += offline.len();

        if case.object == "core-types" {
            let reference = lab();
            let id = attach(&reference, Tool::Reference, case).expect("tc loads core-types");
            let xlated = bpftool(&["prog", "dump", "xlated", "id", &id.to_string()])
                .ok("bpftool prog dump xlated");
            for (insn, value) in &offline {
                let Some(value) = value else { continue };
                let line = xlated
                    .stdout
                    .lines()
                    .find(|l| l.trim_start().starts_with(&format!("{insn}: ")))
                    .unwrap_or_else(|| panic!("no instruction {insn} in\n{}", xlated.stdout));
                let shown_value = line.rsplit(' ').next().unwrap_or("");
                let matches = shown_value == value.to_string()
                    || shown_value == format!("{:#x}", value)
                    || shown_value == (*value as i64).to_string()
                    || shown_value == (*value as u32 as i32).to_string();
                assert!(
                    matches,
                    "core-types instruction {insn}: offline {value}, tc loaded `{line}`"
                );
            }
        }
    }
    assert!(compared > 40, "only {compared} relocations compared");
}

/// `rtc --btf FILE` relocates for the kernel that FILE describes (libbpf's
/// `btf_custom_path`): given a copy of this kernel's BTF it loads the same program
/// as without it; given a file that is not there it refuses before attaching
/// anything, naming the file.
#[test]
fn rtc_btf_option_relocates_for_the_given_kernel_btf() {
    const VMLINUX: &str = "/sys/kernel/btf/vmlinux";
    if !require_privileged()
        || !rtc_tests::require(
            std::path::Path::new(VMLINUX).exists(),
            "the kernel has no BTF",
        )
    {
        return;
    }
    let dir = rtc_tests::TempDir::new("rtc-btf-option");
    let copy = dir.path().join("vmlinux");
    std::fs::copy(VMLINUX, &copy).expect("copy the kernel's BTF");
    let copy = copy.to_str().expect("a UTF-8 path").to_string();
    let obj = core_obj("core-kfunc-skb");
    let tags: Vec<String> = [None, Some(copy.as_str())]
        .into_iter()
        .map(|btf| {
            let ns = lab();
            ns.rtc(&["qdisc", "add", "dev", "v0", "clsact"])
                .ok("qdisc add clsact");
            let mut args: Vec<&str> = btf.map(|b| vec!["--btf", b]).unwrap_or_default();
            args.extend_from_slice(&[
                "filter", "add", "dev", "v0", "ingress", "bpf", "da", "obj", &obj, "sec", "tc",
            ]);
            ns.rtc(&args).ok("rtc filter add");
            let shown = ns
                .tc(&["filter", "show", "dev", "v0", "ingress"])
                .ok("tc show");
            shown
                .stdout
                .split(" tag ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .expect("a tag in tc's listing")
                .to_string()
        })
        .collect();
    assert_eq!(tags[0], tags[1], "same program with and without --btf");

    let ns = lab();
    ns.rtc(&["qdisc", "add", "dev", "v0", "clsact"])
        .ok("qdisc add clsact");
    let refused = ns.rtc(&[
        "--btf",
        "/nonexistent/vmlinux",
        "filter",
        "add",
        "dev",
        "v0",
        "ingress",
        "bpf",
        "da",
        "obj",
        &obj,
        "sec",
        "tc",
    ]);
    assert_eq!(refused.status, 1, "{refused}");
    assert!(refused.stderr.contains("/nonexistent/vmlinux"), "{refused}");
    let shown = ns
        .tc(&["filter", "show", "dev", "v0", "ingress"])
        .ok("tc show");
    assert!(shown.stdout.trim().is_empty(), "nothing attached: {shown}");
}
