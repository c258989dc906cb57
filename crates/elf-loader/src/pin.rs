//! Pinning maps in the bpffs the way iproute2 lays it out, so that objects loaded by
//! `tc` and by rtc share their pinned maps.
//!
//! The bpffs is `$TC_BPF_MNT` if set, else `/sys/fs/bpf`. If that directory is not a
//! bpffs (checked with statfs), one is mounted there (`mode=0700`); no other bpffs
//! found elsewhere is ever used instead. Under it: `tc/` and `tc/globals/` (mode
//! 0700), and `xdp` and `ip` as symlinks to `<bpffs>/tc/`, exactly what tc creates.
//! A map asking for
//!
//! * `PIN_GLOBAL_NS` (iproute2 pinning 2, or libbpf's `LIBBPF_PIN_BY_NAME`) lives at
//!   `<bpffs>/<dir>/globals/<name>`;
//! * `PIN_OBJECT_NS` (iproute2 pinning 1) at `<bpffs>/<dir>/<sha1 of the object>/<name>`;
//!
//! where `<dir>` is `xdp` for XDP programs, `ip` for lightweight tunnels, `tc` for the
//! rest (all three are the same directory).
//!
//! An existing pin is used only if it is a map whose type, key size, value size, max
//! entries and flags all equal the object's; otherwise the error lists each field
//! that differs. A new map is pinned right after it is created; if another process
//! pinned the same path in between, that one wins: ours is dropped and theirs opened
//! and checked, so two loads racing end up sharing one map. Pins created by a load
//! that fails later are removed again ([`PinRollback`]).

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, symlink};
use std::path::{Path, PathBuf};

use bpf_sys::MapFd;

use crate::error::{FieldDifference, LoadError};
use crate::maps::{MapDef, Pinning};
use crate::observer::Observer;

/// `BPF_FS_MAGIC`, the statfs type of a bpffs.
pub const BPF_FS_MAGIC: i64 = 0xcafe_4a11;
/// The environment variable naming the bpffs, as for tc.
pub const BPF_MNT_ENV: &str = "TC_BPF_MNT";
/// The bpffs used when `$TC_BPF_MNT` is not set.
pub const DEFAULT_BPFFS: &str = "/sys/fs/bpf";

/// The bpffs to pin in: `$TC_BPF_MNT` if set and not empty, else `/sys/fs/bpf`.
pub fn default_bpffs() -> PathBuf {
    match std::env::var_os(BPF_MNT_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(DEFAULT_BPFFS),
    }
}

/// The directory under the bpffs that iproute2 uses for a program type.
pub fn subdir_for(prog_type: u32) -> &'static str {
    match prog_type {
        6 => "xdp",
        // LWT_IN, LWT_OUT, LWT_XMIT, LWT_SEG6LOCAL.
        10..=12 | 18 => "ip",
        _ => "tc",
    }
}

/// Makes sure `root` is a bpffs with iproute2's hierarchy in it.
pub fn prepare_bpffs(root: &Path, observer: &dyn Observer) -> Result<(), LoadError> {
    let fail = |what: &str, error: &dyn std::fmt::Display| LoadError::Bpffs {
        path: root.to_path_buf(),
        reason: format!("{what}: {error}"),
    };
    if !is_bpffs(root) {
        std::fs::create_dir_all(root).map_err(|e| fail("cannot create the directory", &e))?;
        nix::mount::mount(
            Some("bpf"),
            root,
            Some("bpf"),
            nix::mount::MsFlags::empty(),
            Some("mode=0700"),
        )
        .map_err(|e| fail("not a bpffs, and mounting one there failed", &e))?;
        observer.bpffs_mounted(root);
    }
    let tc = root.join("tc");
    make_dir(&tc).map_err(|e| fail("cannot create tc/", &e))?;
    make_dir(&tc.join("globals")).map_err(|e| fail("cannot create tc/globals/", &e))?;
    let target = format!("{}/", tc.display());
    for link in ["xdp", "ip"] {
        match symlink(&target, root.join(link)) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(fail(&format!("cannot create the {link} symlink"), &e));
            }
            _ => {}
        }
    }
    Ok(())
}

/// True when `path` is the root of (or inside) a bpffs.
pub fn is_bpffs(path: &Path) -> bool {
    // The width of the statfs type field depends on the platform.
    #[allow(clippy::unnecessary_cast)]
    nix::sys::statfs::statfs(path).is_ok_and(|fs| fs.filesystem_type().0 as i64 == BPF_FS_MAGIC)
}

fn make_dir(path: &Path) -> io::Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

/// Where a map named `name` asking for `pinning` is pinned; creates the per-object
/// directory for `PIN_OBJECT_NS`. `None` for maps that are not pinned.
pub fn pin_path(
    root: &Path,
    prog_type: u32,
    pinning: Pinning,
    object_sha1: &str,
    name: &str,
) -> Result<Option<PathBuf>, LoadError> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(LoadError::MapNotSupported {
            map: name.to_string(),
            feature: "pinning under a name that is not a plain file name".to_string(),
        });
    }
    let dir = root.join(subdir_for(prog_type));
    let dir = match pinning {
        Pinning::None => return Ok(None),
        Pinning::GlobalNs => dir.join("globals"),
        Pinning::ObjectNs => {
            let dir = dir.join(object_sha1);
            make_dir(&dir).map_err(|e| LoadError::Bpffs {
                path: dir.clone(),
                reason: format!("cannot create the object's pin directory: {e}"),
            })?;
            dir
        }
        Pinning::Custom(id) => {
            return Err(LoadError::MapNotSupported {
                map: name.to_string(),
                feature: format!("custom pinning (pinning = {id})"),
            });
        }
    };
    Ok(Some(dir.join(name)))
}

/// Opens the map pinned at `path` if there is one (checking it matches `def`), else
/// creates one with `create` and pins it. Returns the map and whether it was created.
pub fn open_or_create(
    name: &str,
    path: &Path,
    def: &MapDef,
    create: impl Fn() -> Result<MapFd, LoadError>,
) -> Result<(MapFd, bool), LoadError> {
    for attempt in 0..2 {
        match bpf_sys::obj_get(path) {
            Ok(fd) => return Ok((check_pinned(name, path, def, fd)?, false)),
            Err(e) if e.raw_os_error() == Some(libc_enoent()) => {}
            Err(source) => {
                return Err(LoadError::Pin {
                    map: name.to_string(),
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        let fd = create()?;
        match bpf_sys::obj_pin(fd.as_fd(), path) {
            Ok(()) => return Ok((fd, true)),
            // Someone pinned the path since we looked: share theirs.
            Err(e) if e.raw_os_error() == Some(libc_eexist()) && attempt == 0 => drop(fd),
            Err(source) => {
                return Err(LoadError::Pin {
                    map: name.to_string(),
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    Err(LoadError::Bpffs {
        path: path.to_path_buf(),
        reason: "the pin keeps appearing and disappearing".to_string(),
    })
}

fn libc_enoent() -> i32 {
    nix::errno::Errno::ENOENT as i32
}

fn libc_eexist() -> i32 {
    nix::errno::Errno::EEXIST as i32
}

/// Checks that a pinned object is a map defined as `def`.
fn check_pinned(name: &str, path: &Path, def: &MapDef, fd: OwnedFd) -> Result<MapFd, LoadError> {
    let link = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if link != "anon_inode:bpf-map" {
        return Err(LoadError::PinnedNotAMap {
            map: name.to_string(),
            path: path.to_path_buf(),
            found: link,
        });
    }
    let fd = MapFd::from(fd);
    let info = bpf_sys::map_info(fd.as_fd()).map_err(|source| LoadError::Pin {
        map: name.to_string(),
        path: path.to_path_buf(),
        source,
    })?;
    let pinned = [
        ("type", info.map_type),
        ("key size", info.key_size),
        ("value size", info.value_size),
        ("max entries", info.max_entries),
        ("flags", info.map_flags),
    ];
    let wanted = [
        def.map_type,
        def.key_size,
        def.value_size,
        def.max_entries,
        def.map_flags,
    ];
    let differences: Vec<FieldDifference> = pinned
        .iter()
        .zip(wanted)
        .filter(|((_, p), w)| p != w)
        .map(|(&(field, pinned), object)| FieldDifference {
            field,
            pinned,
            object,
        })
        .collect();
    if differences.is_empty() {
        Ok(fd)
    } else {
        Err(LoadError::PinMismatch {
            map: name.to_string(),
            path: path.to_path_buf(),
            differences,
        })
    }
}

/// Removes the pins a load created if the load fails before [`PinRollback::keep`].
#[derive(Debug, Default)]
pub struct PinRollback {
    created: Vec<PathBuf>,
}

impl PinRollback {
    /// Remembers a pin this load created.
    pub fn created(&mut self, path: PathBuf) {
        self.created.push(path);
    }

    /// The load succeeded: keep the pins.
    pub fn keep(mut self) {
        self.created.clear();
    }
}

impl Drop for PinRollback {
    fn drop(&mut self) {
        for path in self.created.drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_iproute2() {
        let root = Path::new("/nonexistent-bpffs");
        assert_eq!(
            pin_path(root, 3, Pinning::GlobalNs, "ab", "m").unwrap(),
            Some(PathBuf::from("/nonexistent-bpffs/tc/globals/m"))
        );
        assert_eq!(
            pin_path(root, 6, Pinning::GlobalNs, "ab", "m").unwrap(),
            Some(PathBuf::from("/nonexistent-bpffs/xdp/globals/m"))
        );
        assert_eq!(pin_path(root, 3, Pinning::None, "ab", "m").unwrap(), None);
        assert!(pin_path(root, 3, Pinning::GlobalNs, "ab", "../x").is_err());
        assert!(pin_path(root, 3, Pinning::Custom(9), "ab", "m").is_err());
        assert_eq!(subdir_for(11), "ip");
        assert_eq!(subdir_for(4), "tc");
    }
}
