//! Listings exactly as tc 6.1 prints them: `tc qdisc show` and `tc filter show` /
//! `tc filter get`, in text, `-j` JSON and `-j -p` pretty JSON, with `-s` and `-d`.
//!
//! Pure formatting: the caller dumps with netlink-tc, and answers two questions
//! through [`Resolve`] (what a program id is, what an ifindex is called); nothing
//! here makes a system call. Every text line ends with the space tc leaves after
//! its last field; JSON is one array per listing, followed by a newline; an empty
//! listing is nothing in text and `[]` (`[ ]` pretty) in JSON.
//!
//! How a command line maps onto the API:
//! ```text
//! tc [-s] [-d] [-j [-p]] filter show dev D ingress [pref P] [protocol X] [chain C]
//!     render_filters(&dump.items, &FilterSelection { ifindex: Some(D), parent: Some(INGRESS),
//!                    pref, protocol, chain, block: None }, &ShowOptions {..}, &mut lookup)
//! tc filter get dev D ingress protocol X pref P handle H bpf
//!     render_filters(&[filter], &FilterSelection::get(D), ..)   // get names only the device
//! tc qdisc show [dev D] [ingress|clsact|root|handle H|parent P]
//!     render_qdiscs(&dump.items, &QdiscSelection { ifindex, handle, parent }, .., &mut dev_name)
//! ```
//!
//! What is not rendered (the head line of each entry is still exact): options of
//! qdisc kinds other than clsact/ingress/unknown ones (fq_codel, pfifo_fast, htb...),
//! qdisc extended statistics (`-s` on those kinds) and size tables (`-d`); options
//! of classifiers other than bpf (u32, flower...); cls_bpf police and actions.

mod filter;
mod format;
pub mod json;
pub mod link;
pub mod map;
mod printer;
mod qdisc;
mod stats;
#[cfg(test)]
mod tests;

use netlink_tc::{Filter, Qdisc};

pub use format::classid;
pub use printer::{Printer, Value};

/// The global options that change a listing (`-s`, `-d`, `-j`, `-p`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShowOptions {
    /// `-s`: statistics lines.
    pub stats: bool,
    /// `-d`: program load time, creator uid and BTF id.
    pub details: bool,
    /// `-j`: JSON.
    pub json: bool,
    /// `-p`: pretty JSON (only with `-j`; text output is the same either way).
    pub pretty: bool,
}

/// What `filter show` prints about a program, from `BPF_OBJ_GET_INFO_BY_FD`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgSummary {
    /// Program name.
    pub name: String,
    /// Program tag.
    pub tag: [u8; 8],
    /// Whether it was JIT-compiled (`jited_prog_len != 0`).
    pub jited: bool,
    /// Load time, nanoseconds since boot (`-d`; not printed when 0).
    pub load_time: u64,
    /// uid of the loader (`-d`, printed with the load time).
    pub created_by_uid: u32,
    /// BTF id (`-d`; not printed when 0).
    pub btf_id: u32,
}

impl ProgSummary {
    /// The fields of a `bpf_sys::prog_info` answer that tc prints.
    pub fn from_info(info: &bpf_sys::ProgInfo) -> Self {
        ProgSummary {
            name: info.name.clone(),
            tag: info.tag,
            jited: info.jited_prog_len != 0,
            load_time: info.load_time,
            created_by_uid: info.created_by_uid,
            btf_id: info.btf_id,
        }
    }
}

/// Answers the two questions a listing needs the system for.
///
/// Any `FnMut(u32) -> Option<ProgSummary>` closure is a `Resolve` that knows
/// programs but no device names.
pub trait Resolve {
    /// Program `id`, or `None` if it cannot be read (tc then prints the dump's tag).
    fn prog(&mut self, id: u32) -> Option<ProgSummary>;

    /// The name of device `ifindex` (needed only when the command named no device).
    /// `None` prints tc's fallback, `if<N>` (`*` for 0).
    fn dev_name(&mut self, ifindex: u32) -> Option<String> {
        let _ = ifindex;
        None
    }
}

impl<F: FnMut(u32) -> Option<ProgSummary>> Resolve for F {
    fn prog(&mut self, id: u32) -> Option<ProgSummary> {
        self(id)
    }
}

/// What the `filter show` command line named; those fields are not repeated in
/// each line (tc's `filter_*` variables). `None` and `Some(0)` both mean "not
/// named", except for `chain`, where `Some(0)` names chain 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterSelection {
    /// `dev D`: its ifindex.
    pub ifindex: Option<u32>,
    /// `ingress`, `egress`, `root` or `parent P`.
    pub parent: Option<u32>,
    /// `pref P`.
    pub pref: Option<u16>,
    /// `protocol X`, host order.
    pub protocol: Option<u16>,
    /// `chain C`.
    pub chain: Option<u32>,
    /// `block B`.
    pub block: Option<u32>,
}

impl FilterSelection {
    /// What `tc filter get` leaves out: only the device (it repeats parent,
    /// protocol, pref and chain even though the command named them).
    pub fn get(ifindex: u32) -> Self {
        FilterSelection {
            ifindex: Some(ifindex),
            ..FilterSelection::default()
        }
    }
}

/// What the `qdisc show` command line named. tc lists only the qdiscs that match
/// and leaves `dev D` out of the lines when a device was named. `ingress` and
/// `clsact` both mean parent `ffff:fff1`, `root` parent `ffffffff`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QdiscSelection {
    /// `dev D`: its ifindex.
    pub ifindex: Option<u32>,
    /// `handle H`.
    pub handle: Option<u32>,
    /// `parent P` (or `root`, `ingress`, `clsact`).
    pub parent: Option<u32>,
}

/// `dev NAME ` (JSON `"dev":"NAME"`), with tc's fallbacks for unknown devices.
fn print_dev(p: &mut Printer, ifindex: u32, dev_name: &mut dyn FnMut(u32) -> Option<String>) {
    let name = if ifindex == 0 {
        "*".to_string()
    } else {
        dev_name(ifindex).unwrap_or_else(|| format!("if{ifindex}"))
    };
    p.text("dev ");
    p.field("dev", Value::Str(&name), &format!("{name} "));
}

/// The output of `tc [-s] [-d] [-j [-p]] qdisc show ...` for a dump.
pub fn render_qdiscs(
    qdiscs: &[Qdisc],
    selection: &QdiscSelection,
    options: &ShowOptions,
    dev_name: &mut dyn FnMut(u32) -> Option<String>,
) -> String {
    let mut p = Printer::new(options.json, options.pretty);
    for entry in qdiscs.iter().filter(|q| qdisc::selected(q, selection)) {
        qdisc::print_qdisc(&mut p, entry, selection, options, dev_name);
    }
    p.finish()
}

/// The output of `tc [-s] [-d] [-j [-p]] filter show ...` for a dump, or of
/// `tc filter get ...` for its one answer (with [`FilterSelection::get`]).
pub fn render_filters(
    filters: &[Filter],
    selection: &FilterSelection,
    options: &ShowOptions,
    resolve: &mut dyn Resolve,
) -> String {
    let mut renderer = FilterRenderer::new(selection, options);
    for entry in filters {
        renderer.add(entry, resolve);
    }
    renderer.finish()
}

/// [`render_filters`] one filter at a time, for printing a dump as it arrives:
/// [`FilterRenderer::drain_to`] writes out what is ready, [`FilterRenderer::finish`]
/// returns the rest. The pieces put together are exactly what `render_filters` returns.
pub struct FilterRenderer<'a> {
    printer: Printer,
    selection: &'a FilterSelection,
    options: &'a ShowOptions,
}

impl<'a> FilterRenderer<'a> {
    /// An empty listing for this selection and these options.
    pub fn new(selection: &'a FilterSelection, options: &'a ShowOptions) -> Self {
        FilterRenderer {
            printer: Printer::new(options.json, options.pretty),
            selection,
            options,
        }
    }

    /// Renders one more filter.
    pub fn add(&mut self, filter: &Filter, resolve: &mut dyn Resolve) {
        filter::print_filter(
            &mut self.printer,
            filter,
            self.selection,
            self.options,
            resolve,
        );
    }

    /// Writes the output rendered since the last call to `sink`.
    pub fn drain_to(&mut self, sink: &mut impl std::io::Write) -> std::io::Result<()> {
        self.printer.drain_to(sink)
    }

    /// The rest of the output (for JSON, the end of the array).
    pub fn finish(self) -> String {
        self.printer.finish()
    }
}
