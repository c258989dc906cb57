//! What one rtc invocation (or one batch) shares between commands: the global options
//! and a netlink socket opened on first use.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use elf_loader::Object;
use netlink_tc::Netlink;

use crate::error::{CliError, CliResult};
use crate::explain::{Narrator, NetlinkNarrator};
use crate::global::GlobalOptions;

/// State shared by the commands of one invocation.
pub struct Session {
    /// The global options.
    pub options: GlobalOptions,
    netlink: Option<Netlink>,
    /// Object files already read and parsed, by file identity and content (see
    /// [`crate::object::FileKey`]), with the path they were read under: a batch that
    /// attaches one object to many devices reads it once, and one rebuilt on disk
    /// in the meantime is read again.
    objects: HashMap<crate::object::FileKey, (String, Rc<Object>)>,
    /// The `--explain` narrator, when asked for.
    narrator: Option<Arc<Narrator>>,
}

impl Session {
    /// A session with these options and no socket yet.
    pub fn new(options: GlobalOptions) -> Self {
        let narrator = options.explain.then(|| Arc::new(Narrator::default()));
        Session {
            options,
            netlink: None,
            objects: HashMap::new(),
            narrator,
        }
    }

    /// How listings should look, from the global options.
    pub fn show_options(&self) -> crate::show::ShowOptions {
        crate::show::ShowOptions {
            stats: self.options.stats > 0,
            details: self.options.details > 0,
            json: self.options.json,
            pretty: self.options.pretty,
        }
    }

    /// The rtnetlink socket, opened the first time it is needed.
    pub fn netlink(&mut self) -> CliResult<&mut Netlink> {
        if self.netlink.is_none() {
            let mut nl = Netlink::open().map_err(|e| {
                CliError::failed(format!(
                    "Cannot open netlink socket: {}",
                    crate::error::tc_text(&e)
                ))
            })?;
            if let Some(narrator) = &self.narrator {
                nl.set_observer(Box::new(NetlinkNarrator::new(Arc::clone(narrator))));
            }
            self.netlink = Some(nl);
        }
        Ok(self.netlink.as_mut().expect("opened above"))
    }

    /// The parsed object at `path`, read and parsed unless the same file, unchanged,
    /// was parsed before in this session.
    pub fn object(&mut self, path: &str) -> CliResult<Rc<Object>> {
        let file = crate::object::open_object(path)?;
        let (key, size) = (file.key, file.size);
        if let Some((_, object)) = self.objects.get(&key) {
            return Ok(Rc::clone(object));
        }
        let object = Rc::new(crate::object::parse_object(path, file)?);
        if let Some(narrator) = &self.narrator {
            narrator.object_parsed(path, usize::try_from(size).unwrap_or(usize::MAX), &object);
        }
        // An older parse of the same path is stale now: keep one per path.
        self.objects.retain(|_, (known, _)| known != path);
        self.objects
            .insert(key, (path.to_string(), Rc::clone(&object)));
        Ok(object)
    }

    /// What the loader reports to: the narrator under `--explain`, else nobody.
    pub fn loader_observer(&self) -> &dyn elf_loader::Observer {
        match &self.narrator {
            Some(narrator) => narrator.as_ref(),
            None => &elf_loader::NoObserver,
        }
    }

    /// What the bpf(2) device-hook calls (tcx, links) report to: the narrator under
    /// `--explain`, else nobody.
    pub fn hook_observer(&self) -> &dyn netlink_tc::hook::BpfObserver {
        match &self.narrator {
            Some(narrator) => narrator.as_ref(),
            None => &netlink_tc::hook::NoBpfObserver,
        }
    }

    /// Narrates a step with detail lines under `--explain`.
    pub fn narrate_detail(&self, title: &str, detail: &str) {
        if let Some(narrator) = &self.narrator {
            narrator.step(title);
            narrator.detail(detail);
        }
    }

    /// Narrates a step of the CLI's own (device lookups and the like) under `--explain`.
    pub fn narrate(&self, title: &str) {
        if let Some(narrator) = &self.narrator {
            narrator.step(title);
        }
    }
}
