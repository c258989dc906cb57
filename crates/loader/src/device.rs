//! Network devices by name, and the network namespace they live in.
//!
//! A [`Device`] is a name resolved to its interface index in one namespace (the
//! caller's, or a [`Netns`] opened by name). Netlink sockets for a device are opened
//! inside its namespace, so the calling thread only visits it for that moment.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use netlink_tc::Netlink;
use nix::net::if_::{if_indextoname, if_nametoindex};
use nix::sched::{CloneFlags, setns};

use crate::error::{Error, Result};

/// Where `ip netns add NAME` creates the namespace file (iproute2's spelling;
/// `/var/run` is `/run` on current systems).
pub const NETNS_RUN_DIR: &str = "/var/run/netns";
/// The calling thread's own network namespace.
const THREAD_NETNS: &str = "/proc/thread-self/ns/net";

/// A network namespace, held open by its file (`/run/netns/NAME` or any
/// `/proc/PID/ns/net`), so it stays valid while this value lives.
#[derive(Clone, Debug)]
pub struct Netns {
    file: Arc<File>,
    path: PathBuf,
}

impl Netns {
    /// Opens the namespace `ip netns add NAME` created (a name without `/`), or the
    /// namespace file at a path.
    pub fn open(name_or_path: impl AsRef<Path>) -> Result<Netns> {
        let name_or_path = name_or_path.as_ref();
        let is_path = name_or_path.as_os_str().as_encoded_bytes().contains(&b'/');
        let path = if is_path {
            name_or_path.to_path_buf()
        } else {
            Path::new(NETNS_RUN_DIR).join(name_or_path)
        };
        let file = File::open(&path).map_err(|source| Error::Netns {
            what: "open",
            path: path.clone(),
            source,
        })?;
        Ok(Netns {
            file: Arc::new(file),
            path,
        })
    }

    /// The file this namespace was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the calling thread into this namespace for good, as `ip -n NAME` does
    /// for a whole command: sockets opened and devices looked up afterwards on this
    /// thread are the namespace's. For a visit, use [`Netns::run`].
    pub fn enter(&self) -> Result<()> {
        setns(&*self.file, CloneFlags::CLONE_NEWNET).map_err(|errno| Error::Netns {
            what: "enter",
            path: self.path.clone(),
            source: errno.into(),
        })
    }

    /// Runs `f` with the calling thread inside this namespace, then moves the thread
    /// back to the namespace it was in (also if `f` panics). Only this thread moves
    /// (`setns` on a network namespace is per thread); sockets opened inside stay in
    /// this namespace.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> Result<T> {
        let home = File::open(THREAD_NETNS).map_err(|source| Error::Netns {
            what: "open",
            path: PathBuf::from(THREAD_NETNS),
            source,
        })?;
        setns(&*self.file, CloneFlags::CLONE_NEWNET).map_err(|errno| Error::Netns {
            what: "enter",
            path: self.path.clone(),
            source: errno.into(),
        })?;
        let mut guard = GoBack { home: Some(home) };
        let value = f();
        guard.go_back().map_err(|errno| Error::Netns {
            what: "return from",
            path: self.path.clone(),
            source: errno.into(),
        })?;
        Ok(value)
    }
}

/// Moves the thread back to its own namespace when dropped, if not done already.
struct GoBack {
    home: Option<File>,
}

impl GoBack {
    fn go_back(&mut self) -> nix::Result<()> {
        match self.home.take() {
            Some(home) => setns(&home, CloneFlags::CLONE_NEWNET),
            None => Ok(()),
        }
    }
}

impl Drop for GoBack {
    fn drop(&mut self) {
        // Reached without go_back only while unwinding from a panic in `f`.
        let _ = self.go_back();
    }
}

/// A network device: its name, its interface index, and its namespace.
#[derive(Clone, Debug)]
pub struct Device {
    name: String,
    ifindex: u32,
    netns: Option<Netns>,
}

impl Device {
    /// The device `name` in the caller's network namespace.
    pub fn named(name: &str) -> Result<Device> {
        Ok(Device {
            name: name.to_string(),
            ifindex: ifindex_of(name)?,
            netns: None,
        })
    }

    /// The device `name` inside `netns`.
    pub fn in_netns(netns: &Netns, name: &str) -> Result<Device> {
        let ifindex = netns.run(|| ifindex_of(name))??;
        Ok(Device {
            name: name.to_string(),
            ifindex,
            netns: Some(netns.clone()),
        })
    }

    /// The device with interface index `ifindex` in the caller's network namespace
    /// (`if_indextoname`).
    pub fn with_index(ifindex: u32) -> Result<Device> {
        let name = if_indextoname(ifindex).map_err(|source| Error::NoIndex { ifindex, source })?;
        Ok(Device {
            name: name.to_string_lossy().into_owned(),
            ifindex,
            netns: None,
        })
    }

    /// The device's name as it was looked up.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The interface index (`if_nametoindex`) in the device's namespace.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The namespace the device was looked up in; `None` for the caller's own.
    pub fn netns(&self) -> Option<&Netns> {
        self.netns.as_ref()
    }

    /// Opens an rtnetlink socket in the device's namespace.
    pub fn netlink(&self) -> Result<Netlink> {
        let opened = match &self.netns {
            Some(netns) => netns.run(Netlink::open)?,
            None => Netlink::open(),
        };
        opened.map_err(|source| self.netlink_error("open netlink socket", source))
    }

    /// An [`Error::Netlink`] about this device.
    pub(crate) fn netlink_error(&self, op: &'static str, source: netlink_tc::Error) -> Error {
        Error::Netlink {
            op,
            device: self.name.clone(),
            source,
        }
    }
}

/// `if_nametoindex(name)` in the calling thread's namespace.
fn ifindex_of(name: &str) -> Result<u32> {
    if_nametoindex(name).map_err(|source| Error::NoDevice {
        name: name.to_string(),
        source,
    })
}
