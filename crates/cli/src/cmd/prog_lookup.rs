//! What listings print about the programs they name (`filter show`): read for all
//! programs at once through the kernel's program iterator ([`rtc_loader::ProgTable`])
//! when a listing names many distinct programs, or with `BPF_PROG_GET_FD_BY_ID` +
//! `BPF_OBJ_GET_INFO_BY_FD` + `close` per program when it names few, and whenever the
//! iterator cannot run (no kernel BTF, no privilege to load a tracing program, a
//! kernel whose structs lack a field the iterator reads). Both ways print the same.
//!
//! `RTC_PROG_LOOKUP=iter` or `=each` forces one way (tests compare them, benchmarks
//! time them); `iter` still falls back per program when the iterator cannot run.
//! Anything else, or nothing, chooses by count: from [`ITER_START_IDS`] distinct ids
//! on, the table is read on a second thread while the dump goes on (the kernel's
//! dump and the reading overlap on two cores); a listing that ends naming fewer than
//! [`ITER_MIN_IDS`] does not wait for it.

use std::collections::HashMap;
use std::os::fd::AsFd;

use rtc_loader::ProgTable;

use crate::show::ProgSummary;

/// The environment variable that forces a way of looking programs up.
pub const ENV: &str = "RTC_PROG_LOOKUP";

/// Distinct program ids after which a listing starts reading the program table on a
/// second thread, while the dump goes on (filters are held back meanwhile).
pub const ITER_START_IDS: usize = 32;

/// Fewest distinct program ids for which a listing whose dump has ended waits for the
/// program table rather than looking its programs up one by one.
///
/// Measured: see the numbers where the listing calls [`ProgLookup::settle`].
pub const ITER_MIN_IDS: usize = 150;

/// Most filters held back while the table is being read: past it the listing waits.
pub const HOLD_MAX: usize = 4096;

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

    /// (ids at which to start reading the table, ids for which to wait for it).
    fn thresholds(self) -> (usize, usize) {
        match self {
            Mode::Auto => (ITER_START_IDS, ITER_MIN_IDS),
            Mode::Iter => (0, 0),
            Mode::Each => (usize::MAX, usize::MAX),
        }
    }
}

/// Where summaries come from.
enum Source {
    /// Not chosen yet: the caller holds filters back and reports the ids it sees.
    Undecided,
    /// The table is being read on another thread (`None` from it: it cannot be).
    Reading(std::thread::JoinHandle<Option<ProgTable>>),
    /// The iterator's table of every program.
    Table(ProgTable),
    /// One program at a time.
    Each,
}

/// Program summaries for one listing.
pub struct ProgLookup {
    mode: Mode,
    source: Source,
    /// Per-program answers (ids not in the table, or no table).
    cache: HashMap<u32, Option<ProgSummary>>,
}

impl ProgLookup {
    /// A lookup that chooses as `mode` says.
    pub fn new(mode: Mode) -> Self {
        let mut lookup = ProgLookup {
            mode,
            source: match mode {
                Mode::Each => Source::Each,
                Mode::Auto | Mode::Iter => Source::Undecided,
            },
            cache: HashMap::new(),
        };
        lookup.observe(0);
        lookup
    }

    /// Notes that the listing names `distinct` program ids so far: enough of them
    /// start the table's reading.
    pub fn observe(&mut self, distinct: usize) {
        let (start, _) = self.mode.thresholds();
        if matches!(self.source, Source::Undecided) && distinct >= start {
            // Without a thread, the table is read here and now.
            self.source = match std::thread::Builder::new()
                .name("prog-table".into())
                .spawn(|| ProgTable::read().ok())
            {
                Ok(handle) => Source::Reading(handle),
                Err(_) => table_or_each(ProgTable::read().ok()),
            };
        }
    }

    /// Whether summaries can be asked for now (else the caller holds filters back).
    /// A table that has been read by now is taken.
    pub fn ready(&mut self) -> bool {
        match &self.source {
            Source::Undecided => false,
            Source::Reading(handle) => {
                if handle.is_finished() {
                    self.join();
                    true
                } else {
                    false
                }
            }
            Source::Table(_) | Source::Each => true,
        }
    }

    /// Decides for good, for a listing naming `distinct` program ids (at least): waits
    /// for a table being read when they are many, else looks them up one by one.
    pub fn settle(&mut self, distinct: usize) {
        if self.ready() {
            return;
        }
        let (_, wait) = self.mode.thresholds();
        if matches!(self.source, Source::Reading(_)) && distinct >= wait {
            self.join();
        } else {
            // A thread still reading is left to finish on its own; its answer is unused.
            self.source = Source::Each;
        }
    }

    /// Takes the table from the reading thread.
    fn join(&mut self) {
        if let Source::Reading(handle) = std::mem::replace(&mut self.source, Source::Each) {
            self.source = table_or_each(handle.join().ok().flatten());
        }
    }

    /// What the listing prints about program `id`; `None` if it is gone. Call only
    /// once [`ProgLookup::ready`] says so (before, each id is looked up on its own).
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

/// The source a finished read leaves: its table, or one program at a time.
fn table_or_each(table: Option<ProgTable>) -> Source {
    match table {
        Some(table) => Source::Table(table),
        None => Source::Each,
    }
}

/// What `filter show` prints about program `id`, read from the kernel on its own.
pub fn prog_summary(id: u32) -> Option<ProgSummary> {
    let fd = bpf_sys::prog_get_fd_by_id(id).ok()?;
    let info = bpf_sys::prog_info(fd.as_fd()).ok()?;
    Some(ProgSummary::from_info(&info))
}
