//! The programs a `filter show` listing names, read from the kernel once per id
//! (`BPF_PROG_GET_FD_BY_ID`, `BPF_OBJ_GET_INFO_BY_FD`, close). For a long listing
//! the ids of a chunk of filters are read on two threads at once: each read is a
//! few microseconds of kernel work that the two cores can share. Short listings
//! never start the second thread (starting it costs more than a few reads).

use std::collections::HashMap;
use std::os::fd::AsFd;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::Scope;

use crate::show::ProgSummary;

/// Fewest unread ids in a chunk for which the second thread is used.
pub const PARALLEL_MIN: usize = 64;

/// What `filter show` prints about program `id`, read from the kernel.
pub fn prog_summary(id: u32) -> Option<ProgSummary> {
    let fd = bpf_sys::prog_get_fd_by_id(id).ok()?;
    let info = bpf_sys::prog_info(fd.as_fd()).ok()?;
    Some(ProgSummary::from_info(&info))
}

type Answers = Vec<(u32, Option<ProgSummary>)>;

/// The second thread: ids in, summaries out.
struct Helper {
    ids: Sender<Vec<u32>>,
    answers: Receiver<Answers>,
}

/// Summaries by program id, filled on demand or a chunk at a time.
pub struct ProgLookups<'scope, 'env> {
    cache: HashMap<u32, Option<ProgSummary>>,
    scope: &'scope Scope<'scope, 'env>,
    helper: Option<Helper>,
    /// The helper thread could not be started: read everything on this one.
    no_helper: bool,
}

impl<'scope, 'env> ProgLookups<'scope, 'env> {
    /// An empty cache; a helper thread, when one is needed, lives in `scope`.
    pub fn new(scope: &'scope Scope<'scope, 'env>) -> Self {
        ProgLookups {
            cache: HashMap::new(),
            scope,
            helper: None,
            no_helper: false,
        }
    }

    /// The summary of `id`, read now if it was not read before.
    pub fn get(&mut self, id: u32) -> Option<ProgSummary> {
        self.cache
            .entry(id)
            .or_insert_with(|| prog_summary(id))
            .clone()
    }

    /// Forgets every summary read so far, so that memory stays flat however long
    /// the listing (ids rarely repeat across chunks; one that does is read again).
    pub fn forget(&mut self) {
        self.cache.clear();
    }

    /// Reads the summaries of `ids` not read yet; with [`PARALLEL_MIN`] or more of
    /// them, half on the helper thread.
    pub fn prefetch(&mut self, ids: impl IntoIterator<Item = u32>) {
        let mut wanted: Vec<u32> = ids
            .into_iter()
            .filter(|id| !self.cache.contains_key(id))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.len() < PARALLEL_MIN {
            return;
        }
        if self.helper.is_none() && !self.no_helper {
            self.helper = spawn_helper(self.scope);
            self.no_helper = self.helper.is_none();
        }
        let Some(helper) = &self.helper else {
            return;
        };
        let theirs = wanted.split_off(wanted.len() / 2);
        let sent = helper.ids.send(theirs.clone()).is_ok();
        for id in wanted {
            self.cache.insert(id, prog_summary(id));
        }
        match helper.answers.recv() {
            Ok(answers) if sent => self.cache.extend(answers),
            // The helper is gone (it cannot panic, but be safe): read them here.
            _ => {
                for id in theirs {
                    self.cache.insert(id, prog_summary(id));
                }
            }
        }
    }
}

/// Starts the helper thread, or `None` if no thread can be started.
fn spawn_helper<'scope>(scope: &'scope Scope<'scope, '_>) -> Option<Helper> {
    let (ids_tx, ids_rx) = channel::<Vec<u32>>();
    let (answers_tx, answers_rx) = channel::<Answers>();
    std::thread::Builder::new()
        .name("prog-lookup".into())
        .stack_size(64 * 1024)
        .spawn_scoped(scope, move || {
            for ids in ids_rx {
                let answers = ids.into_iter().map(|id| (id, prog_summary(id))).collect();
                if answers_tx.send(answers).is_err() {
                    break;
                }
            }
        })
        .ok()?;
    Some(Helper {
        ids: ids_tx,
        answers: answers_rx,
    })
}
