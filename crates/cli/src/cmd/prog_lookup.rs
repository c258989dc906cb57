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
/// The iterator costs a fixed amount (the kernel's BTF looked up: the type ids asked
/// of the kernel by a syscall program and ~14,000 BTF records walked, ~0.6 ms; the
/// iterator program loaded and linked) plus ~1 µs in the kernel for every program
/// loaded on the machine, named by the listing or not, and ~4.6 µs per program
/// listed; a program looked up on its own costs ~10 µs here (three system calls).
/// Measured with the static release build (2 vCPUs shared with other builds, kernel
/// 6.18; interleaved medians of 150-300 rounds of `rtc filter show` of N drop-arp
/// filters, each its own program, forced each way with RTC_PROG_LOOKUP; each / iter,
/// ms; P programs loaded in all): N=2, P=2,003: 0.87 / 3.24; N=300, P=2,303:
/// 3.29 / 4.26; N=400, P=2,403: 4.93 / 5.48; N=500, P=3,003: 6.14 / 6.56; N=1000,
/// P=2,003: 11.80 / 7.87. Break-even lies near 450-530 (it was 640-760 when the BTF
/// was scanned for the names: iter 4.59 ms at N=2, 9.65 ms at N=1000, same
/// session), so the threshold stays at 500. Below it, the 2-filter listing included,
/// nothing changes: no iterator, no BTF, no syscall program (auto at N=2: 0.89 ms).
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

/// What listings (`filter show`, `link show`, `net show`) print about program `id`,
/// read from the kernel on its own.
pub fn prog_summary(id: u32) -> Option<ProgSummary> {
    let fd = bpf_sys::prog_get_fd_by_id(id).ok()?;
    let info = bpf_sys::prog_info(fd.as_fd()).ok()?;
    Some(ProgSummary::from_info(&info))
}
