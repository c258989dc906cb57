//! `filter add|replace|change|del|get|show`: cls_bpf filters on a clsact hook.
//!
//! Modifying commands resolve the device, load the program (if any), and only then
//! send one request, so any failure before the kernel answers leaves the existing
//! filters exactly as they were.

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::os::fd::AsFd;

use netlink_tc::filter::{decode_filter, encode_filter_dump};
use netlink_tc::message::{Message, RTM_DELTFILTER, RTM_GETTFILTER, RTM_NEWTFILTER};
use netlink_tc::{BpfAttach, BpfCode, Filter, FilterDumpSpec, FilterOp, FilterSpec};

use super::filter_args::{BpfArgs, BytecodeSource, FilterArgs, FilterVerb};
use super::prog_lookup::{self, ProgLookup};
use crate::error::{CliError, CliResult, tc_text};
use crate::object::{ProgramRequest, load_program, load_program_with};
use crate::session::Session;
use crate::show::{FilterRenderer, FilterSelection};
use crate::values::parse_u32;
use crate::{classic, device};

/// tc's default section for `bpf obj FILE` without `sec`.
const DEFAULT_SECTION: &str = "classifier";
/// Bytes of `filter show` output gathered before each write to stdout.
const OUTPUT_BUFFER: usize = 32 * 1024;
/// What tc prints after the kernel's own error text when a filter request fails.
const KERNEL_ERROR_TRAILER: &str = "We have an error talking to the kernel";

/// Runs a `filter` command (the words after `filter`).
pub fn run(session: &mut Session, words: &[String]) -> CliResult<()> {
    let Some((verb, rest)) = words.split_first() else {
        return show(session, &FilterArgs::parse(FilterVerb::Show, &[])?);
    };
    let verb = FilterVerb::parse(verb)?;
    let args = FilterArgs::parse(verb, rest)?;
    for _ in 0..args.help_asked {
        crate::output::eprintln(super::filter_args::USAGE);
    }
    match verb {
        FilterVerb::Show => show(session, &args),
        FilterVerb::Get => get(session, &args),
        FilterVerb::Add => modify(session, FilterOp::Add, &args),
        FilterVerb::Replace => modify(session, FilterOp::Replace, &args),
        FilterVerb::Change => modify(session, FilterOp::Change, &args),
        FilterVerb::Delete => modify(session, FilterOp::Delete, &args),
    }
}

/// The request fields every filter verb shares.
pub(crate) fn base_spec(
    args: &FilterArgs,
    ifindex: u32,
    parent: Option<u32>,
) -> CliResult<FilterSpec<'static>> {
    let handle = match (&args.handle, args.kind.as_deref()) {
        (Some(_), None) => {
            return Err(CliError::usage(
                "Must specify filter type when using \"handle\"",
            ));
        }
        (Some(text), Some("bpf")) => {
            parse_u32(text).ok_or_else(|| CliError::failed("Illegal \"handle\""))?
        }
        // A kind tc has no parser for reads the handle as hexadecimal.
        (Some(text), Some(_)) => u32::from_str_radix(text.trim_start_matches("0x"), 16)
            .map_err(|_| CliError::failed(format!("Unparsable filter ID \"{text}\"")))?,
        (None, _) => 0,
    };
    let mut spec = FilterSpec::new(ifindex, parent.unwrap_or(0))
        .with_handle(handle)
        .with_pref(args.pref.unwrap_or(0));
    spec.protocol = args.protocol;
    spec.chain = args.chain;
    spec.kind = args.kind.clone();
    Ok(spec)
}

/// The device index and parent of a request: a shared block travels as the magic
/// ifindex with the block index in the parent field (`tcm_block_index`).
pub(crate) fn target(args: &FilterArgs) -> CliResult<(u32, Option<u32>)> {
    match args.block {
        Some(block) => Ok((netlink_tc::handle::IFINDEX_MAGIC_BLOCK, Some(block))),
        None => Ok((device::optional_ifindex(args.dev.as_deref())?, args.parent)),
    }
}

fn modify(session: &mut Session, op: FilterOp, args: &FilterArgs) -> CliResult<()> {
    let (ifindex, parent) = target(args)?;
    if let Some(dev) = &args.dev {
        session.narrate(&format!(
            "device {dev} has interface index {ifindex} (if_nametoindex)"
        ));
    }
    if let Some(e) = &args.options_error {
        return Err(e.clone());
    }
    let mut spec = base_spec(args, ifindex, parent)?;
    // The program stays loaded until the kernel has taken its own reference: the
    // request borrows its fd from `code`.
    let code = match &args.bpf {
        // skip_sw: tc loads the program for the device itself (offload).
        Some(bpf) => filter_code(session, bpf, bpf.skip_sw.then_some(ifindex))?,
        None => None,
    };
    if let Some(code) = &code {
        spec.bpf = Some(code.attach());
    }
    session
        .netlink()?
        .filter(op, &spec)
        .map(drop)
        .map_err(kernel_error)
}

/// The code a filter request names, kept open until the request is answered, with
/// the attach options.
pub(crate) struct FilterCode {
    code: Code,
    skip_hw: bool,
    skip_sw: bool,
    direct_action: bool,
    classid: Option<u32>,
    classid_first: bool,
}

/// A program (held open, with its `filter show` label) or classic bytecode.
enum Code {
    Program(Held, String),
    Classic(Vec<netlink_tc::ClassicInsn>),
}

impl FilterCode {
    /// The cls_bpf options of the request, borrowing the program's fd.
    pub(crate) fn attach(&self) -> BpfAttach<'_> {
        let code = match &self.code {
            Code::Program(held, name) => BpfCode::Program {
                fd: held.fd(),
                name: name.clone(),
            },
            Code::Classic(insns) => BpfCode::Classic(insns.clone()),
        };
        let attach = BpfAttach::new(code)
            .with_skip_hw(self.skip_hw)
            .with_skip_sw(self.skip_sw)
            .with_direct_action(self.direct_action);
        // tc sends the options in the order of its command line.
        match self.classid {
            Some(classid) if self.classid_first => attach.with_classid_first(classid),
            Some(classid) => attach.with_classid(classid),
            None => attach,
        }
    }
}

/// The code the `bpf` options name (a program loaded from an object, or classic
/// bytecode) with the attach options; `None` when they name none (e.g. `del ... bpf`).
pub(crate) fn filter_code(
    session: &mut Session,
    bpf: &BpfArgs,
    offload: Option<u32>,
) -> CliResult<Option<FilterCode>> {
    let code = if let Some(source) = bpf.object.as_ref().filter(|s| s.pinned) {
        let fd = open_pinned(&source.file)?;
        Code::Program(Held::Pinned(fd), BpfAttach::pinned_name(&source.file))
    } else if let Some(source) = &bpf.object {
        let section = source.section.as_deref().unwrap_or(DEFAULT_SECTION);
        let object = session.object(&source.file)?;
        // `program P` without `sec`: tc (libbpf) finds the function by name in any
        // section, and still labels the filter with the default section.
        let load_section = match (&source.section, &source.program) {
            (None, Some(function)) => section_of(&object, function).ok_or_else(|| {
                CliError::failed(format!(
                    "object file doesn't contain prog {function}\nUnable to load program"
                ))
            })?,
            _ => section.to_string(),
        };
        let request = ProgramRequest {
            file: &source.file,
            section: &load_section,
            function: source.program.as_deref(),
            prog_type: elf_loader::ProgType::SCHED_CLS,
            verbose: source.verbose,
        };
        let program = match offload {
            Some(ifindex) => {
                let options = elf_loader::LoadOptions::new(elf_loader::ProgType::SCHED_CLS)
                    .with_prog_ifindex(ifindex);
                load_program_with(&object, &request, options, session.loader_observer())?
            }
            None => load_program(&object, &request, session.loader_observer())?,
        };
        Code::Program(
            Held::Loaded(program),
            BpfAttach::object_name(&source.file, section),
        )
    } else if let Some(bytecode) = &bpf.bytecode {
        Code::Classic(match bytecode {
            BytecodeSource::Inline(text) => classic::parse_bytecode(text)?,
            BytecodeSource::File(path) => classic::read_bytecode_file(path)?,
        })
    } else {
        return Ok(None);
    };
    Ok(Some(FilterCode {
        code,
        skip_hw: bpf.skip_hw,
        skip_sw: bpf.skip_sw,
        direct_action: bpf.direct_action,
        classid: bpf.classid,
        classid_first: bpf.classid_first,
    }))
}

/// The section of the program (not a subprogram) named `function`, as libbpf's
/// lookup by name finds it.
pub fn section_of(object: &elf_loader::Object, function: &str) -> Option<String> {
    object
        .programs()
        .iter()
        .find(|p| p.name == function)
        .map(|p| p.section.clone())
}

/// tc's check before listing a block: some qdisc must use it (exit 1 otherwise).
pub(crate) fn require_block(session: &mut Session, block: Option<u32>) -> CliResult<()> {
    let Some(block) = block else {
        return Ok(());
    };
    let qdiscs = session
        .netlink()?
        .qdiscs(0)
        .map_err(|e| CliError::failed(format!("Dump terminated: {}", tc_text(&e))))?;
    let used = qdiscs
        .items
        .iter()
        .any(|q| q.ingress_block == Some(block) || q.egress_block == Some(block));
    if used {
        Ok(())
    } else {
        Err(CliError::failed(format!("Cannot find block \"{block}\"")))
    }
}

/// A program kept open until the kernel holds its own reference to it.
pub(crate) enum Held {
    /// Loaded from an object file.
    Loaded(elf_loader::LoadedProgram),
    /// Opened from its pin.
    Pinned(std::os::fd::OwnedFd),
}

impl Held {
    /// The program's fd, for the request.
    fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        match self {
            Held::Loaded(program) => program.fd.as_fd(),
            Held::Pinned(fd) => fd.as_fd(),
        }
    }
}

/// Opens a program pinned in a bpffs (`bpf pinned PATH`), with tc's complaint
/// when it cannot (exit 1, as tc's bpf parser fails).
fn open_pinned(path: &str) -> CliResult<std::os::fd::OwnedFd> {
    bpf_sys::obj_get(&crate::args::to_path(path)).map_err(|e| {
        let reason = e
            .raw_os_error()
            .map(netlink_tc::error::strerror)
            .unwrap_or_else(|| e.to_string());
        CliError::failed(format!(
            "Couldn't retrieve pinned program '{path}': {reason}\nUnable to parse bpf command line"
        ))
    })
}

/// A kernel refusal of a filter request, worded as tc words it (exit 2).
pub(crate) fn kernel_error(e: netlink_tc::Error) -> CliError {
    CliError::kernel(format!("{}\n{KERNEL_ERROR_TRAILER}", tc_text(&e)))
}

fn get(session: &mut Session, args: &FilterArgs) -> CliResult<()> {
    if args.protocol.is_none() {
        return Err(CliError::usage("Must specify filter protocol"));
    }
    if args.pref.is_none() {
        return Err(CliError::usage("Must specify filter priority"));
    }
    if args.parent.is_none() {
        return Err(CliError::usage("Must specify filter parent"));
    }
    if args.kind.is_none() {
        return Err(CliError::usage("Must specify filter type"));
    }
    let (ifindex, parent) = target(args)?;
    if let Some(e) = &args.options_error {
        return Err(e.clone());
    }
    let spec = base_spec(args, ifindex, parent)?;
    let filter = session.netlink()?.get_filter(&spec).map_err(kernel_error)?;
    let mut selection = FilterSelection::get(ifindex);
    if args.block.is_some() {
        selection.ifindex = None;
        selection.block = args.block;
    }
    let text = render(session, &[filter], &selection);
    crate::output::print(&text)
}

fn show(session: &mut Session, args: &FilterArgs) -> CliResult<()> {
    let (ifindex, parent) = target(args)?;
    require_block(session, args.block)?;
    let mut spec = FilterDumpSpec::new(ifindex, parent.unwrap_or(0))
        .with_pref(args.pref.unwrap_or(0))
        .with_protocol(args.protocol.unwrap_or(0));
    spec.chain = args.chain;
    let selection = FilterSelection {
        ifindex: (ifindex != 0 && args.block.is_none()).then_some(ifindex),
        parent: if args.block.is_some() {
            None
        } else {
            args.parent
        },
        pref: args.pref,
        protocol: args.protocol,
        chain: args.chain,
        block: args.block,
    };
    // Each filter is printed as it arrives, as tc does: a listing of thousands of
    // filters never sits in memory whole. Only while the way programs are looked up
    // is still open (see prog_lookup) are filters held back: until the listing ends
    // or has named ITER_MIN_IDS programs.
    let options = session.show_options();
    let mut renderer = FilterRenderer::new(&selection, &options);
    let mut lookup = ProgLookup::new(prog_lookup::Mode::from_env());
    let mut held: Vec<Filter> = Vec::new();
    let mut held_ids: HashSet<u32> = HashSet::new();
    let mut lowest_id = u32::MAX;
    let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, std::io::stdout().lock());
    // Write errors (a closed pipe: `rtc filter show | head -1`) are not worth reporting.
    let print = |renderer: &mut FilterRenderer<'_>,
                 lookup: &mut ProgLookup,
                 out: &mut BufWriter<_>,
                 filter: &Filter| {
        renderer.add(filter, &mut |id| lookup.get(id));
        if renderer.drain_to(out).is_err() {
            crate::output::note_write_failure();
        }
    };
    let dumped = session
        .netlink()?
        .dump_with(encode_filter_dump(&spec), |raw| {
            let message = Message::parse(raw)?;
            if matches!(
                message.header.kind,
                RTM_NEWTFILTER | RTM_DELTFILTER | RTM_GETTFILTER
            ) {
                let filter = decode_filter(&message)?;
                if lookup.ready() {
                    print(&mut renderer, &mut lookup, &mut out, &filter);
                } else {
                    if let Some(id) = prog_id(&filter) {
                        held_ids.insert(id);
                        lowest_id = lowest_id.min(id);
                    }
                    held.push(filter);
                    lookup.observe(held_ids.len(), lowest_id);
                    if lookup.ready() {
                        for filter in held.drain(..) {
                            print(&mut renderer, &mut lookup, &mut out, &filter);
                        }
                    }
                }
            }
            Ok(None::<()>)
        });
    // The listing is over (or broken off).
    lookup.settle();
    for filter in held.drain(..) {
        print(&mut renderer, &mut lookup, &mut out, &filter);
    }
    let dumped = match dumped {
        Ok(dump) => dump,
        Err(e) => {
            let _ = out.flush();
            return Err(CliError::failed(format!(
                "{}\nDump terminated",
                tc_text(&e)
            )));
        }
    };
    if out
        .write_all(renderer.finish().as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        crate::output::note_write_failure();
    }
    crate::output::report_interrupted_dump(dumped.interrupted);
    Ok(())
}

/// Renders filters as tc does, looking up each program's name and tag once per id.
fn render(session: &Session, filters: &[Filter], selection: &FilterSelection) -> String {
    let mut lookup = ProgLookup::new(prog_lookup::Mode::Each);
    let mut lookup = |id: u32| lookup.get(id);
    crate::show::render_filters(filters, selection, &session.show_options(), &mut lookup)
}

/// The id of the program a filter runs, if it runs one.
fn prog_id(filter: &Filter) -> Option<u32> {
    match &filter.options {
        Some(netlink_tc::filter::FilterOptions::Bpf(bpf)) => bpf.id,
        _ => None,
    }
}
