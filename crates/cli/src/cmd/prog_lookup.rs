//! What listings print about the programs they name (`filter show`): read for all
//! programs at once through the kernel's program iterator ([`rtc_loader::ProgTable`])
//! when a listing names many distinct programs, or with `BPF_PROG_GET_FD_BY_ID` +
//! `BPF_OBJ_GET_INFO_BY_FD` + `close` per program when it names few, and whenever the
//! iterator cannot run (no kernel BTF, no privilege to load a tracing program, a
//! kernel whose structs lack a field the iterator reads). Both ways print the same.
//!
//! `RTC_PROG_LOOKUP=iter` or `=each` forces one way (tests compare them, benchmarks
//! time them); `iter` still falls back per program when the iterator cannot run.
//! Anything else, or nothing, chooses by count: the listing holds filters back until
//! it has named [`ITER_MIN_IDS`] distinct programs (then reads the table) or ends
//! (then looks its few programs up one by one).

use std::collections::HashMap;
use std::os::fd::AsFd;

use rtc_loader::ProgTable;

use crate::show::ProgSummary;

/// The environment variable that forces a way of looking programs up.
pub const ENV: &str = "RTC_PROG_LOOKUP";

/// Fewest distinct program ids for which a listing reads all programs through the
/// iterator instead of one by one.
///
/// The iterator costs a fixed amount (the kernel's BTF looked up, ~1.5 ms; the
/// program loaded and linked) plus ~1 µs in the kernel for every program loaded on
/// the machine, named by the listing or not; a program looked up on its own costs
/// ~4.4 µs (three system calls). Measured with the static release build (2 vCPUs
/// shared with other builds, kernel 6.18, ~2,800 programs loaded in all; hyperfine
/// medians of `rtc filter show` of N drop-arp filters, each its own program, forced
/// each way with RTC_PROG_LOOKUP; each / iter, ms): N=2: 2.6 / 6.2, N=300: 7.1 / 7.9,
/// N=500: 8.0 / 12.5, N=1000: 12.1 / 12.8; on that machine the iterator only breaks
/// even near 1,000. Where the listing's programs are most of the machine's (the
/// benchmarks), break-even is near 1.5 ms / 3.4 µs ≈ 450 ids: `scripts/bench show-1k`
/// in one session, tc/rtc 1.26 forced `each`, 1.50 by default. Below the threshold,
/// the 2-filter listing included, nothing changes: no iterator, no BTF.
pub const ITER_MIN_IDS: usize = 500;

/// Most per-program answers kept at a time (memory stays flat in long listings).
const CACHE_MAX: usize = 256;

/// The way chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// By the number of distinct ids (the default).
    Auto,
    /// Through the iterator (falling back per program where it cannot run).
    Iter,
    /// One program at a time.
    Each,
}

impl Mode {
    /// The way [`ENV`] asks for.
    pub fn from_env() -> Mode {
        match std::env::var_os(ENV).as_deref().and_then(|v| v.to_str()) {
            Some("iter") => Mode::Iter,
            Some("each") => Mode::Each,
            _ => Mode::Auto,
        }
    }
}

/// Where summaries come from.
enum Source {
    /// Not chosen yet: the caller holds filters back and counts the ids it sees.
    Undecided,
    /// The iterator's table of every program.
    Table(ProgTable),
    /// One program at a time.
    Each,
}

/// Program summaries for one listing.
pub struct ProgLookup {
    source: Source,
    /// Per-program answers (ids not in the table, or no table).
    cache: HashMap<u32, Option<ProgSummary>>,
}

impl ProgLookup {
    /// A lookup that chooses as `mode` says (`Iter` reads the table now).
    pub fn new(mode: Mode) -> Self {
        ProgLookup {
            source: match mode {
                Mode::Auto => Source::Undecided,
                Mode::Iter => table_or_each(0),
                Mode::Each => Source::Each,
            },
            cache: HashMap::new(),
        }
    }

    /// Whether summaries can be asked for now (else the caller holds filters back).
    pub fn ready(&self) -> bool {
        !matches!(self.source, Source::Undecided)
    }

    /// Notes that the listing names `distinct` program ids so far, the lowest
    /// `lowest`; with enough of them, the table is read. It keeps programs from the
    /// lowest id on: older ones (other users' programs, mostly) cost no memory, and
    /// one the listing names later is looked up on its own.
    pub fn observe(&mut self, distinct: usize, lowest: u32) {
        if !self.ready() && distinct >= ITER_MIN_IDS {
            self.source = table_or_each(lowest);
        }
    }

    /// Decides for good, for a listing that ended naming fewer ids than it takes.
    pub fn settle(&mut self) {
        if !self.ready() {
            self.source = Source::Each;
        }
    }

    /// What the listing prints about program `id`; `None` if it is gone.
    pub fn get(&mut self, id: u32) -> Option<ProgSummary> {
        if let Source::Table(table) = &self.source {
            if let Some(entry) = table.get(id) {
                return Some(ProgSummary {
                    name: entry.name(),
                    tag: entry.tag,
                    jited: entry.jited,
                    load_time: entry.load_time,
                    created_by_uid: entry.created_by_uid,
                    btf_id: entry.btf_id,
                });
            }
        }
        // Not in the table (loaded after it was read), or no table.
        if self.cache.len() >= CACHE_MAX {
            self.cache.clear();
        }
        self.cache
            .entry(id)
            .or_insert_with(|| prog_summary(id))
            .clone()
    }
}

/// The table of every program from `first_id` on, or one program at a time where it
/// cannot be read.
fn table_or_each(first_id: u32) -> Source {
    match ProgTable::read_from(first_id) {
        Ok(table) => Source::Table(table),
        Err(_) => Source::Each,
    }
}

/// What `filter show` prints about program `id`, read from the kernel on its own.
pub fn prog_summary(id: u32) -> Option<ProgSummary> {
    let fd = bpf_sys::prog_get_fd_by_id(id).ok()?;
    let info = bpf_sys::prog_info(fd.as_fd()).ok()?;
    Some(ProgSummary::from_info(&info))
}
