//! What one rtc invocation (or one batch) shares between commands: the global options
//! and a netlink socket opened on first use.

use std::collections::HashMap;
use std::rc::Rc;

use elf_loader::Object;
use netlink_tc::Netlink;

use crate::error::{CliError, CliResult};
use crate::global::GlobalOptions;

/// State shared by the commands of one invocation.
pub struct Session {
    /// The global options.
    pub options: GlobalOptions,
    netlink: Option<Netlink>,
    /// Object files already read and parsed, by the path the user wrote: a batch
    /// that attaches one object to many devices reads it once.
    objects: HashMap<String, Rc<Object>>,
}

impl Session {
    /// A session with these options and no socket yet.
    pub fn new(options: GlobalOptions) -> Self {
        Session {
            options,
            netlink: None,
            objects: HashMap::new(),
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
            let nl = Netlink::open()
                .map_err(|e| CliError::failed(format!("Cannot open netlink socket: {e}")))?;
            self.netlink = Some(nl);
        }
        Ok(self.netlink.as_mut().expect("opened above"))
    }

    /// The parsed object at `path`, read and parsed on first use.
    pub fn object(&mut self, path: &str) -> CliResult<Rc<Object>> {
        if let Some(object) = self.objects.get(path) {
            return Ok(Rc::clone(object));
        }
        let object = Rc::new(crate::object::read_object(path)?);
        self.objects.insert(path.to_string(), Rc::clone(&object));
        Ok(object)
    }
}
