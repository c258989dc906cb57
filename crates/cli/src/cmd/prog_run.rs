//! `rtc prog run`: run a tc or XDP program on packets without a device
//! (`BPF_PROG_TEST_RUN`) and say what it would do to each:
//!
//! ```text
//! rtc prog run PROG { pcap FILE | data_in FILE | hex "BYTES" } [hook { tc | xdp }]
//!              [repeat N] [data_out FILE] [ctx_in FILE]
//! PROG := { obj FILE [sec S] [program P] [verbose] | pinned PATH | id N | name N | tag T }
//! ```
//!
//! An object is loaded as `filter add` (tc, `BPF_PROG_TYPE_SCHED_CLS`) or
//! `link set ... xdp` (XDP) would load it: the same loader, maps, relocations and load
//! options. The hook is `hook`, else what the section name says (`xdp*` is XDP, `tc*`
//! and `tcx/*` are tc), else what the program's first parameter points to in the
//! object's BTF (`struct xdp_md` or `struct __sk_buff`), else tc as `filter add`
//! assumes. The program is loaded once
//! and run on every packet in turn, so its maps keep state from packet to packet
//! (with `repeat N`, each packet runs N times).
//!
//! For each packet: its number, length, a one-line summary, the verdict by name, the
//! return value, whether the program changed the packet, and with `repeat` the
//! kernel's mean time per run; then a count per verdict. `data_out FILE` writes the
//! packets as the program left them as a pcap capture. `ctx_in FILE` starts each run
//! from that context (`struct __sk_buff` for tc, `struct xdp_md` for XDP, whose
//! `data_end` rtc sets to each packet's length as the kernel demands).

use std::os::fd::{AsFd, BorrowedFd};

use bpf_sys::consts::prog_type;
use bpf_sys::{TestRunAttr, TestRunOutput};
use elf_loader::{LoadOptions, Object, ProgType};

use super::map_args::{error, parse_c_number};
use super::prog_ref::{ObjectProg, ProgRef, describe_errno, open_one};
use super::sections::{meaning, xdp_load_options};
use crate::capture::{self, Packet};
use crate::error::{CliError, CliResult};
use crate::object::{ProgramRequest, load_program_with, read_regular};
use crate::session::Session;
use crate::show::json::JsonWriter;
use crate::words::Words;

/// Extra room for a packet the program grows (`bpf_xdp_adjust_tail`,
/// `bpf_skb_change_tail`, encapsulation), beyond its length on the way in.
const GROWTH_ROOM: usize = 8192;

/// Which device hook the program is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// tc (cls_bpf or tcx): `BPF_PROG_TYPE_SCHED_CLS`, `TC_ACT_*` verdicts.
    Tc,
    /// XDP: `BPF_PROG_TYPE_XDP`, `XDP_*` verdicts.
    Xdp,
}

impl Hook {
    fn prog_type(self) -> ProgType {
        match self {
            Hook::Tc => ProgType::SCHED_CLS,
            Hook::Xdp => ProgType::XDP,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Hook::Tc => "tc",
            Hook::Xdp => "xdp",
        }
    }

    /// The verdict a return value stands for at this hook.
    pub fn verdict(self, retval: u32) -> String {
        let name = match self {
            Hook::Tc => match retval as i32 {
                -1 => Some("TC_ACT_UNSPEC"),
                0 => Some("TC_ACT_OK"),
                1 => Some("TC_ACT_RECLASSIFY"),
                2 => Some("TC_ACT_SHOT"),
                3 => Some("TC_ACT_PIPE"),
                4 => Some("TC_ACT_STOLEN"),
                5 => Some("TC_ACT_QUEUED"),
                6 => Some("TC_ACT_REPEAT"),
                7 => Some("TC_ACT_REDIRECT"),
                8 => Some("TC_ACT_TRAP"),
                _ => None,
            },
            Hook::Xdp => match retval {
                0 => Some("XDP_ABORTED"),
                1 => Some("XDP_DROP"),
                2 => Some("XDP_PASS"),
                3 => Some("XDP_TX"),
                4 => Some("XDP_REDIRECT"),
                _ => None,
            },
        };
        match name {
            Some(name) => name.to_string(),
            None => format!("unknown ({})", self.retval_text(retval)),
        }
    }

    /// The return value as a number: signed for tc (`TC_ACT_UNSPEC` is -1).
    fn retval_text(self, retval: u32) -> String {
        match self {
            Hook::Tc => (retval as i32).to_string(),
            Hook::Xdp => retval.to_string(),
        }
    }
}

/// Where the packets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    Pcap(String),
    DataIn(String),
    Hex(String),
}

/// The words of `prog run`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RunArgs {
    prog: ProgRef,
    input: Input,
    hook: Option<Hook>,
    repeat: Option<u32>,
    data_out: Option<String>,
    ctx_in: Option<String>,
}

fn parse(w: &mut Words<'_>) -> CliResult<RunArgs> {
    let prog = ProgRef::parse(w, true)?;
    let (mut input, mut hook, mut repeat, mut data_out, mut ctx_in) =
        (None, None, None, None, None);
    while let Some(word) = w.next_word() {
        let value = w
            .next_word()
            .ok_or_else(|| error(format!("expected a value after '{word}'")))?;
        let once = |slot: bool| {
            if slot {
                Err(error(format!("'{word}' given twice")))
            } else {
                Ok(())
            }
        };
        match word {
            "pcap" | "data_in" | "hex" => {
                once(input.is_some())?;
                input = Some(match word {
                    "pcap" => Input::Pcap(value.to_string()),
                    "data_in" => Input::DataIn(value.to_string()),
                    _ => Input::Hex(value.to_string()),
                });
            }
            "hook" => {
                once(hook.is_some())?;
                hook = Some(match value {
                    "tc" | "tcx" => Hook::Tc,
                    "xdp" => Hook::Xdp,
                    other => return Err(error(format!("hook {other}: expected tc or xdp"))),
                });
            }
            "repeat" => {
                once(repeat.is_some())?;
                let n = parse_c_number(value, 0)
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        error(format!("repeat {value}: expected a count of 1 or more"))
                    })?;
                repeat = Some(n);
            }
            "data_out" => {
                once(data_out.is_some())?;
                data_out = Some(value.to_string());
            }
            "ctx_in" => {
                once(ctx_in.is_some())?;
                ctx_in = Some(value.to_string());
            }
            other => return Err(error(format!("unexpected '{other}'"))),
        }
    }
    let input = input
        .ok_or_else(|| error("expected the packets: pcap FILE, data_in FILE or hex \"BYTES\""))?;
    Ok(RunArgs {
        prog,
        input,
        hook,
        repeat,
        data_out,
        ctx_in,
    })
}

/// Bytes from hex text: pairs of digits, with spaces, colons or `0x` between them
/// allowed.
fn parse_hex(text: &str) -> CliResult<Vec<u8>> {
    let digits: String = text
        .split(|c: char| c.is_whitespace() || c == ':' || c == ',')
        .map(|part| part.strip_prefix("0x").unwrap_or(part))
        .collect();
    if digits.is_empty() || digits.len() % 2 != 0 {
        return Err(error(format!(
            "hex: expected pairs of hex digits, got {} digit(s)",
            digits.len()
        )));
    }
    (0..digits.len() / 2)
        .map(|i| {
            digits
                .get(i * 2..i * 2 + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| {
                    let rest = digits.get(i * 2..).unwrap_or_default();
                    error(format!("hex: '{rest}' is not a hex byte"))
                })
        })
        .collect()
}

fn read_file(what: &str, path: &str) -> CliResult<Vec<u8>> {
    read_regular(&crate::args::to_path(path)).map_err(|e| {
        CliError::failed(format!(
            "Error: can't read {what} {path}: {}",
            crate::netns::strerror(&e)
        ))
    })
}

fn packets(input: &Input) -> CliResult<(String, Vec<Packet>)> {
    let one = |data: Vec<u8>| Packet {
        orig_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
        data,
        timestamp: std::time::Duration::ZERO,
    };
    match input {
        Input::Pcap(path) => {
            let bytes = read_file("capture", path)?;
            let packets = capture::read(&bytes)
                .map_err(|e| CliError::failed(format!("Error: {path}: {e}")))?;
            Ok((path.clone(), packets))
        }
        Input::DataIn(path) => Ok((path.clone(), vec![one(read_file("data_in", path)?)])),
        Input::Hex(text) => Ok(("hex".into(), vec![one(parse_hex(text)?)])),
    }
}

/// The program to run and what it is.
struct Target {
    fd: bpf_sys::ProgFd,
    hook: Hook,
    /// How the header line names it.
    describe: String,
}

/// The section to load: `sec S`, else the object's only program, else the one whose
/// section name fits the hook.
fn pick_section(object: &Object, obj: &ObjectProg, hook: Option<Hook>) -> CliResult<String> {
    if let Some(section) = &obj.section {
        return Ok(section.clone());
    }
    let programs = object.programs();
    if let [only] = programs {
        return Ok(only.section.clone());
    }
    let fitting: Vec<&str> = programs
        .iter()
        .map(|p| p.section.as_str())
        .filter(|s| {
            let t = meaning(s).prog_type;
            t.is_some() && t == hook.map(|h| h.prog_type().raw())
        })
        .collect();
    match fitting.as_slice() {
        [one] => Ok(one.to_string()),
        _ => {
            let all: Vec<&str> = programs.iter().map(|p| p.section.as_str()).collect();
            Err(CliError::failed(format!(
                "Error: {}: say which section to run with \"sec S\" (sections: {})",
                obj.file,
                all.join(", ")
            )))
        }
    }
}

/// The hook a program's C signature names: its first parameter, a pointer to
/// `struct xdp_md` (XDP) or `struct __sk_buff` (tc), read from the object's BTF.
fn hook_from_btf(object: &Object, section: &str, function: Option<&str>) -> Option<Hook> {
    use elf_loader::btf::{BtfKind, TypeDetail};
    let program = object
        .programs()
        .iter()
        .find(|p| p.section == section && function.is_none_or(|f| f == p.name))?;
    let btf = object.btf()?;
    let func = btf.find(BtfKind::Func, &program.name)?;
    let proto = btf
        .type_by_id(btf.type_by_id(func).ok()?.type_ref()?)
        .ok()?;
    let TypeDetail::Params(params) = &proto.detail else {
        return None;
    };
    let first = btf
        .type_by_id(btf.skip_modifiers(params.first()?.1).ok()?)
        .ok()?;
    if first.kind != BtfKind::Ptr {
        return None;
    }
    let pointee = btf.skip_modifiers(first.type_ref()?).ok()?;
    match btf.type_name(pointee).ok()? {
        "xdp_md" => Some(Hook::Xdp),
        "__sk_buff" => Some(Hook::Tc),
        _ => None,
    }
}

fn load_object(session: &mut Session, obj: &ObjectProg, hook: Option<Hook>) -> CliResult<Target> {
    let object = session.object(&obj.file)?;
    let section = pick_section(&object, obj, hook)?;
    let m = meaning(&section);
    let from_name = match m.prog_type {
        Some(t) if t == prog_type::XDP => Some(Hook::Xdp),
        Some(t) if t == prog_type::SCHED_CLS => Some(Hook::Tc),
        _ => None,
    };
    let (hook, why) = match (hook, from_name) {
        (Some(h), _) => (h, "from \"hook\""),
        (None, Some(h)) => (h, "from the section name"),
        (None, None) => match hook_from_btf(&object, &section, obj.program.as_deref()) {
            Some(h) => (h, "from the program's argument type"),
            None => (Hook::Tc, "as filter add loads it"),
        },
    };
    let options = match hook {
        // As `link set dev X xdp obj F sec S`.
        Hook::Xdp => xdp_load_options(&section),
        // As `net attach tcx_* obj` for tcx sections, else as `filter add ... bpf obj`.
        Hook::Tc if m.prog_type == Some(prog_type::SCHED_CLS) => {
            LoadOptions::new(ProgType::SCHED_CLS)
                .with_prog_flags(m.prog_flags)
                .with_expected_attach_type(m.expected_attach_type)
        }
        Hook::Tc => LoadOptions::new(ProgType::SCHED_CLS),
    };
    let loaded = load_program_with(
        &object,
        &ProgramRequest {
            file: &obj.file,
            section: &section,
            function: obj.program.as_deref(),
            prog_type: hook.prog_type(),
            verbose: obj.verbose,
        },
        options,
        session.loader_observer(),
    )?;
    let describe = format!(
        "{}:[{section}] as {} ({}, {why})",
        obj.file,
        hook.prog_type(),
        hook.name()
    );
    Ok(Target {
        fd: loaded.fd,
        hook,
        describe,
    })
}

fn target(session: &mut Session, args: &RunArgs) -> CliResult<Target> {
    if let ProgRef::Object(obj) = &args.prog {
        return load_object(session, obj, args.hook);
    }
    let open = open_one(&args.prog)?;
    let kind = open.info.prog_type;
    let hook = match kind {
        t if t == prog_type::SCHED_CLS || t == prog_type::SCHED_ACT => Hook::Tc,
        t if t == prog_type::XDP => Hook::Xdp,
        t => {
            return Err(CliError::failed(format!(
                "Error: {} is a {} program; prog run runs tc (sched_cls) and xdp programs",
                args.prog.describe(),
                prog_type::name(t).unwrap_or("unknown")
            )));
        }
    };
    if let Some(wanted) = args.hook.filter(|h| *h != hook) {
        return Err(CliError::failed(format!(
            "Error: {} is a {} program, not one for hook {}",
            args.prog.describe(),
            prog_type::name(kind).unwrap_or("?"),
            wanted.name()
        )));
    }
    let describe = format!(
        "{} (id {}{}, {})",
        args.prog.describe(),
        open.info.id,
        if open.info.name.is_empty() {
            String::new()
        } else {
            format!(" {}", open.info.name)
        },
        prog_type::name(kind).unwrap_or("?")
    );
    Ok(Target {
        fd: open.fd,
        hook,
        describe,
    })
}

/// What one packet did.
struct Outcome {
    number: usize,
    length: usize,
    summary: String,
    verdict: String,
    retval: String,
    changed: bool,
    ns: Option<u32>,
    /// The packet as the program left it.
    out: Packet,
    /// The kernel cut the packet at our room.
    truncated: bool,
    /// Why the kernel refused to run the program on this packet, if it did.
    refused: Option<String>,
}

/// Narrates the first run under `--explain`: the attributes sent and the answer.
fn explain_run(
    session: &Session,
    fd: BorrowedFd<'_>,
    attr: &TestRunAttr<'_>,
    answer: &Result<TestRunOutput, bpf_sys::Error>,
    hook: Hook,
) {
    use std::os::fd::AsRawFd;
    let mut text = String::new();
    let mut field = |name: &str, value: String| text.push_str(&format!("{name:<16} {value}\n"));
    field("prog_fd", fd.as_raw_fd().to_string());
    field("data_size_in", attr.data_in.len().to_string());
    field(
        "data_in",
        format!("(address of {} bytes)", attr.data_in.len()),
    );
    field(
        "data_size_out",
        format!(
            "{}  (room for the packet as the program leaves it)",
            attr.data_out_room
        ),
    );
    field(
        "data_out",
        format!("(address of {} bytes)", attr.data_out_room),
    );
    field(
        "repeat",
        format!(
            "{}{}",
            attr.repeat,
            if attr.repeat <= 1 { "  (once)" } else { "" }
        ),
    );
    field("ctx_size_in", attr.ctx_in.len().to_string());
    field(
        "ctx_in",
        if attr.ctx_in.is_empty() {
            "0  (none: the kernel builds the context)".into()
        } else {
            format!("(address of {} bytes)", attr.ctx_in.len())
        },
    );
    field("ctx_size_out", attr.ctx_out_room.to_string());
    field("flags", attr.flags.to_string());
    field("cpu", attr.cpu.to_string());
    field("batch_size", attr.batch_size.to_string());
    match answer {
        Ok(out) => {
            text.push_str(&format!(
                "kernel: 0; retval {} ({}), duration {} ns per run, data_size_out {}{}{}\n",
                hook.retval_text(out.retval),
                hook.verdict(out.retval),
                out.duration_ns,
                out.data_size_out,
                if out.data_truncated {
                    " (ENOSPC: the packet was cut)"
                } else {
                    ""
                },
                if out.ctx_out.is_empty() {
                    String::new()
                } else {
                    format!(", ctx_size_out {}", out.ctx_out.len())
                },
            ));
        }
        Err(e) => text.push_str(&format!("kernel: refused: {e}\n")),
    }
    session.narrate_detail(
        "BPF_PROG_TEST_RUN: the bpf(2) attributes sent for packet 1",
        &text,
    );
}

/// The context for one packet: `ctx_in` as given, except that for XDP `data_end`
/// (bytes 4..8 of `struct xdp_md`) is set to the packet's length, as the kernel
/// requires it to be, so one context file serves packets of every length.
fn packet_ctx(hook: Hook, ctx: &[u8], len: usize) -> Vec<u8> {
    let mut ctx = ctx.to_vec();
    if hook == Hook::Xdp
        && let Some(data_end) = ctx.get_mut(4..8)
    {
        data_end.copy_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_ne_bytes());
    }
    ctx
}

fn run_all(
    session: &Session,
    target: &Target,
    packets: &[Packet],
    args: &RunArgs,
    ctx: &[u8],
) -> CliResult<Vec<Outcome>> {
    let mut outcomes = Vec::with_capacity(packets.len());
    for (i, packet) in packets.iter().enumerate() {
        let number = i + 1;
        let room = packet.data.len().saturating_add(GROWTH_ROOM);
        let ctx = packet_ctx(target.hook, ctx, packet.data.len());
        let attr = TestRunAttr {
            data_in: &packet.data,
            data_out_room: u32::try_from(room).unwrap_or(u32::MAX),
            ctx_in: &ctx,
            ctx_out_room: u32::try_from(ctx.len()).unwrap_or(u32::MAX),
            repeat: args.repeat.unwrap_or(1),
            ..TestRunAttr::default()
        };
        let answer = bpf_sys::prog_test_run(target.fd.as_fd(), &attr);
        if number == 1 {
            explain_run(session, target.fd.as_fd(), &attr, &answer, target.hook);
        }
        let out = match answer {
            Ok(out) => out,
            Err(e) => {
                // One packet the kernel will not run (too short for the hook, ...):
                // a row saying so, and the run goes on with the next packet.
                let reason = describe_errno(&e);
                outcomes.push(Outcome {
                    number,
                    length: packet.data.len(),
                    summary: crate::packet_summary::summary(&packet.data),
                    verdict: "REFUSED".to_string(),
                    retval: "null".to_string(),
                    changed: false,
                    ns: None,
                    truncated: false,
                    out: packet.clone(),
                    refused: Some(reason),
                });
                continue;
            }
        };
        let extra = packet
            .orig_len
            .saturating_sub(u32::try_from(packet.data.len()).unwrap_or(u32::MAX));
        outcomes.push(Outcome {
            number,
            length: packet.data.len(),
            summary: crate::packet_summary::summary(&packet.data),
            verdict: target.hook.verdict(out.retval),
            retval: target.hook.retval_text(out.retval),
            changed: out.data_out != packet.data,
            ns: args.repeat.map(|_| out.duration_ns),
            truncated: out.data_truncated,
            refused: None,
            out: Packet {
                orig_len: u32::try_from(out.data_out.len())
                    .unwrap_or(u32::MAX)
                    .saturating_add(extra),
                data: out.data_out,
                timestamp: packet.timestamp,
            },
        });
    }
    Ok(outcomes)
}

/// Verdicts in order of first appearance, with their counts.
fn counts(outcomes: &[Outcome]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for o in outcomes {
        match counts.iter_mut().find(|(v, _)| *v == o.verdict) {
            Some((_, n)) => *n += 1,
            None => counts.push((o.verdict.clone(), 1)),
        }
    }
    counts
}

fn text(describe: &str, source: &str, outcomes: &[Outcome], timed: bool) -> String {
    let mut out = format!(
        "{describe} on {source}: {} packet{}\n",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" }
    );
    let width = outcomes
        .iter()
        .map(|o| o.verdict.len())
        .max()
        .unwrap_or(7)
        .max(7);
    out.push_str(&format!(
        "{:>4} {:>6}  {:<width$}  {:<7}{}  summary\n",
        "#",
        "length",
        "verdict",
        "changed",
        if timed { "  ns/run" } else { "" }
    ));
    for o in outcomes {
        out.push_str(&format!(
            "{:>4} {:>6}  {:<width$}  {:<7}{}  {}{}\n",
            o.number,
            o.length,
            o.verdict,
            if o.changed { "yes" } else { "no" },
            o.ns.map(|ns| format!("  {ns:>6}")).unwrap_or_default(),
            o.summary,
            match (&o.refused, o.truncated) {
                (Some(why), _) => format!(" (BPF_PROG_TEST_RUN refused it: {why})"),
                (None, true) => " (the program's packet was longer than rtc's buffer: cut)".into(),
                (None, false) => String::new(),
            }
        ));
    }
    let list: Vec<String> = counts(outcomes)
        .iter()
        .map(|(v, n)| format!("{v} {n}"))
        .collect();
    out.push_str(&format!("verdicts: {}\n", list.join(", ")));
    out
}

fn json(outcomes: &[Outcome], pretty: bool) -> String {
    let mut w = JsonWriter::bpftool(pretty);
    w.start_object();
    w.name("packets");
    w.start_array();
    for o in outcomes {
        w.start_object();
        w.uint_field("number", o.number as u64);
        w.uint_field("length", o.length as u64);
        w.string_field("summary", &o.summary);
        w.string_field("verdict", &o.verdict);
        w.name("retval");
        w.literal(&o.retval);
        w.name("changed");
        w.bool(o.changed);
        if let Some(ns) = o.ns {
            w.uint_field("ns", ns.into());
        }
        if o.truncated {
            w.name("truncated");
            w.bool(true);
        }
        if let Some(why) = &o.refused {
            w.string_field("error", why);
        }
        w.end_object();
    }
    w.end_array();
    w.name("counts");
    w.start_object();
    for (verdict, n) in counts(outcomes) {
        w.uint_field(&verdict, n as u64);
    }
    w.end_object();
    w.end_object();
    w.finish()
}

/// Runs `prog run` (the words after `run`).
pub fn run(session: &mut Session, w: &mut Words<'_>) -> CliResult<()> {
    let args = parse(w)?;
    // Read every input before loading anything: a bad capture costs no load.
    let (source, packets) = packets(&args.input)?;
    let ctx = match &args.ctx_in {
        Some(path) => read_file("ctx_in", path)?,
        None => Vec::new(),
    };
    let target = target(session, &args)?;
    let outcomes = run_all(session, &target, &packets, &args, &ctx)?;
    if let Some(path) = &args.data_out {
        let out: Vec<Packet> = outcomes.iter().map(|o| o.out.clone()).collect();
        let bytes = capture::write(&out)
            .map_err(|e| CliError::failed(format!("Error: data_out {path}: {e}")))?;
        std::fs::write(crate::args::to_path(path), bytes).map_err(|e| {
            CliError::failed(format!(
                "Error: can't write data_out {path}: {}",
                crate::netns::strerror(&e)
            ))
        })?;
    }
    let text = if session.options.json || session.options.pretty {
        json(&outcomes, session.options.pretty)
    } else {
        text(&target.describe, &source, &outcomes, args.repeat.is_some())
    };
    crate::output::print(&text)?;
    let refused: Vec<String> = outcomes
        .iter()
        .filter(|o| o.refused.is_some())
        .map(|o| o.number.to_string())
        .collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(CliError::failed(format!(
            "Error: the kernel refused to run the program on packet{} {}",
            if refused.len() == 1 { "" } else { "s" },
            refused.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn grammar() {
        let w = words("obj a.o sec ingress pcap s.pcap repeat 100 data_out o.pcap hook xdp");
        let a = parse(&mut Words::new(&w)).unwrap();
        assert_eq!(a.input, Input::Pcap("s.pcap".into()));
        assert_eq!((a.repeat, a.hook), (Some(100), Some(Hook::Xdp)));
        assert_eq!(a.data_out.as_deref(), Some("o.pcap"));
        assert!(
            matches!(a.prog, ProgRef::Object(ref o) if o.section.as_deref() == Some("ingress"))
        );
        for bad in [
            "id 3",
            "id 3 pcap a pcap b",
            "id 3 pcap a repeat 0",
            "id 3 pcap a hook ebpf",
            "id 3 pcap a bogus 1",
            "id 3 pcap",
        ] {
            assert!(parse(&mut Words::new(&words(bad))).is_err(), "{bad}");
        }
    }

    #[test]
    fn hex_bytes() {
        assert_eq!(parse_hex("ff ff 0x08:00").unwrap(), vec![0xff, 0xff, 8, 0]);
        assert!(parse_hex("abc").is_err());
        assert!(parse_hex("zz").is_err());
        assert!(parse_hex("é0").is_err());
        assert!(parse_hex("0é0").is_err());
        assert!(parse_hex("00éé").is_err());
    }

    #[test]
    fn verdict_names() {
        assert_eq!(Hook::Tc.verdict(u32::MAX), "TC_ACT_UNSPEC");
        assert_eq!(Hook::Tc.verdict(2), "TC_ACT_SHOT");
        assert_eq!(Hook::Tc.verdict(7), "TC_ACT_REDIRECT");
        assert_eq!(Hook::Tc.verdict(99), "unknown (99)");
        assert_eq!(Hook::Xdp.verdict(1), "XDP_DROP");
        assert_eq!(Hook::Xdp.verdict(4), "XDP_REDIRECT");
        assert_eq!(Hook::Tc.retval_text(u32::MAX), "-1");
    }
}
