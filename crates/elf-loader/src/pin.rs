//! Pinning maps in the bpffs the way iproute2 lays it out, so that objects loaded by
//! `tc` and by rtc share their pinned maps.
//!
//! The bpffs is the one [`PinOptions`] names (default `/sys/fs/bpf`; nothing is read
//! from the environment: tc's `$TC_BPF_MNT` is the CLI's business). If that directory
//! is not a bpffs (checked with statfs), the load fails with
//! [`LoadError::NotBpffs`], unless [`PinOptions::mount_if_missing`] asks, as tc does,
//! for one to be mounted there (`mode=0700`); no other bpffs found elsewhere is ever
//! used instead. Under it: `tc/` and `tc/globals/` (mode
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
//! An existing pin is used only if it is a map (asked of the kernel with
//! `BPF_OBJ_GET_INFO_BY_FD`, no /proc needed) whose type, key size, value size, max
//! entries and flags all equal the object's; otherwise the error lists each field
//! that differs.
//!
//! **A pin appears only once the load that made it has succeeded**, and no load ever
//! removes a pin. A map the load creates stays unpinned (held by its fd) while the
//! programs are verified and the program arrays filled; only then is it pinned
//! ([`publish`]), with `BPF_OBJ_PIN`, which creates the file or fails with `EEXIST`,
//! atomically. So a load that fails has pinned nothing and has nothing to take back:
//! it cannot remove a pin that a concurrent load found and shares, because it never
//! unlinks anything. Two loads that both find no pin and both succeed race only
//! for the publication: the first pins, the second gets `EEXIST` and starts over,
//! finding and sharing the pinned map (see `load`), so racing loads end up bound to
//! one map.
//!
//! Nothing is ever created outside a bpffs: the mount point itself is created (one
//! level, as tc's `mkdir`) only to mount on it, never its parents; every directory
//! created or entered under it is checked to be on a bpffs (statfs), so a planted
//! symlink leading out of it is refused before anything is made there. Concurrent
//! first loads serialise the mount on an advisory lock of the mount point's parent
//! directory (flock, which creates nothing) and look again under the lock, so they
//! mount one bpffs, not one each.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, symlink};
use std::path::{Path, PathBuf};

use bpf_sys::{MapFd, ProgType};

use crate::error::{FieldDifference, LoadError};
use crate::maps::{MapDef, Pinning};
use crate::observer::Observer;

/// `BPF_FS_MAGIC`, the statfs type of a bpffs.
pub const BPF_FS_MAGIC: i64 = 0xcafe_4a11;
/// The bpffs used unless the caller names another.
pub const DEFAULT_BPFFS: &str = "/sys/fs/bpf";

/// Where maps that ask to be pinned go, and whether the loader may mount a bpffs
/// there. Nothing here comes from the environment.
///
/// ```
/// use elf_loader::PinOptions;
/// let default = PinOptions::default();
/// assert_eq!(default.bpffs, std::path::Path::new("/sys/fs/bpf"));
/// assert!(!default.mount_if_missing);
/// let like_tc = PinOptions::new("/run/tc-bpffs").with_mount_if_missing(true);
/// assert!(like_tc.mount_if_missing);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PinOptions {
    /// The bpffs (iproute2's layout under it: `tc/globals/NAME`). Default
    /// [`DEFAULT_BPFFS`].
    pub bpffs: PathBuf,
    /// When `bpffs` is not a bpffs: `true` mounts one there (as tc does, creating
    /// the directory itself but never its parents); `false` (the default) fails
    /// with [`LoadError::NotBpffs`] and changes nothing.
    pub mount_if_missing: bool,
}

impl Default for PinOptions {
    fn default() -> Self {
        PinOptions::new(DEFAULT_BPFFS)
    }
}

impl PinOptions {
    /// Pins under `bpffs`, which must already be a bpffs.
    pub fn new(bpffs: impl Into<PathBuf>) -> Self {
        PinOptions {
            bpffs: bpffs.into(),
            mount_if_missing: false,
        }
    }

    /// Lets the loader mount a bpffs at the directory when there is none (tc's way).
    pub fn with_mount_if_missing(mut self, mount: bool) -> Self {
        self.mount_if_missing = mount;
        self
    }
}

/// The directory under the bpffs that iproute2 uses for a program type.
pub fn subdir_for(prog_type: ProgType) -> &'static str {
    match prog_type {
        ProgType::XDP => "xdp",
        ProgType::LWT_IN | ProgType::LWT_OUT | ProgType::LWT_XMIT | ProgType::LWT_SEG6LOCAL => "ip",
        _ => "tc",
    }
}

/// A [`LoadError::Bpffs`] about `path`.
fn bpffs_error(path: &Path, what: impl Into<String>, source: io::Error) -> LoadError {
    LoadError::Bpffs {
        path: path.to_path_buf(),
        what: what.into(),
        source,
    }
}

/// Makes sure `pinning.bpffs` is a bpffs (mounting one only if
/// [`PinOptions::mount_if_missing`] allows) with iproute2's hierarchy in it.
pub fn prepare_bpffs(pinning: &PinOptions, observer: &dyn Observer) -> Result<(), LoadError> {
    let root = pinning.bpffs.as_path();
    if !is_bpffs(root) {
        if !pinning.mount_if_missing {
            return Err(LoadError::NotBpffs {
                path: root.to_path_buf(),
            });
        }
        mount_bpffs(root, observer)?;
    }
    let tc = root.join("tc");
    make_dir(&tc).map_err(|e| bpffs_error(root, "cannot create tc/", e))?;
    make_dir(&tc.join("globals")).map_err(|e| bpffs_error(root, "cannot create tc/globals/", e))?;
    let target = format!("{}/", tc.display());
    for link in ["xdp", "ip"] {
        match symlink(&target, root.join(link)) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(bpffs_error(
                    root,
                    format!("cannot create the {link} symlink"),
                    e,
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Mounts a bpffs on `root`, creating `root` itself if missing but never its
/// parents. Loads racing to do it take turns on an exclusive `flock` of the parent
/// directory and look again once they hold it: the first mounts, the others find
/// the bpffs it mounted (one mount, not one per load).
fn mount_bpffs(root: &Path, observer: &dyn Observer) -> Result<(), LoadError> {
    let fail = |what: &str, source: io::Error| bpffs_error(root, what, source);
    let parent = match root.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let dir = std::fs::File::open(parent)
        .map_err(|e| fail("not a bpffs, and its parent directory cannot be opened", e))?;
    // Released when `_lock` drops, at the end of this function.
    let _lock = nix::fcntl::Flock::lock(dir, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| fail("cannot lock its parent directory", e.into()))?;
    if is_bpffs(root) {
        return Ok(());
    }
    match std::fs::DirBuilder::new().mode(0o700).create(root) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(fail("not a bpffs, and it cannot be created", e));
        }
        _ => {}
    }
    let is_dir = std::fs::symlink_metadata(root).is_ok_and(|m| m.is_dir());
    if !is_dir {
        return Err(fail(
            "not a bpffs, and not a directory to mount one on (a symlink is not followed)",
            nix::errno::Errno::ENOTDIR.into(),
        ));
    }
    nix::mount::mount(
        Some("bpf"),
        root,
        Some("bpf"),
        nix::mount::MsFlags::empty(),
        Some("mode=0700"),
    )
    .map_err(|e| fail("not a bpffs, and mounting one there failed", e.into()))?;
    observer.bpffs_mounted(root);
    Ok(())
}

/// True when `path` is the root of (or inside) a bpffs.
pub fn is_bpffs(path: &Path) -> bool {
    // The width of the statfs type field depends on the platform.
    #[allow(clippy::unnecessary_cast)]
    nix::sys::statfs::statfs(path).is_ok_and(|fs| fs.filesystem_type().0 as i64 == BPF_FS_MAGIC)
}

/// Creates directory `path` (mode 0700) in a bpffs, or enters the one there. Refuses
/// (before creating anything) when its parent is not on a bpffs, and afterwards when
/// what is at `path` is not a directory on a bpffs: a symlink leading out of it.
fn make_dir(path: &Path) -> io::Result<()> {
    let outside = |what: &Path| {
        io::Error::other(format!(
            "{} is not a directory on a bpffs (a symlink leading out of it?)",
            what.display()
        ))
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    if !is_bpffs(parent) {
        return Err(outside(parent));
    }
    match std::fs::DirBuilder::new().mode(0o700).create(path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let is_dir = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
    if is_dir && is_bpffs(path) {
        Ok(())
    } else {
        Err(outside(path))
    }
}

/// Where a map named `name` asking for `pinning` is pinned; creates the per-object
/// directory for `PIN_OBJECT_NS`. `None` for maps that are not pinned.
pub fn pin_path(
    root: &Path,
    prog_type: ProgType,
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
            make_dir(&dir)
                .map_err(|e| bpffs_error(&dir, "cannot create the object's pin directory", e))?;
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

/// The map pinned at `path`, checked to match `def`; `None` when nothing is pinned
/// there (then the load creates the map, and pins it with [`publish`] once it has
/// succeeded).
pub fn open_pinned(name: &str, path: &Path, def: &MapDef) -> Result<Option<MapFd>, LoadError> {
    match bpf_sys::obj_get(path) {
        Ok(fd) => Ok(Some(check_pinned(name, path, def, fd)?)),
        Err(e) if e.raw_os_error() == Some(libc_enoent()) => Ok(None),
        Err(source) => Err(LoadError::Pin {
            map: name.to_string(),
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// What [`publish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The map is now pinned at the path.
    Pinned,
    /// Another load pinned its own map at the path first: this load's programs are
    /// bound to a map nobody else will find, so the load must start over and share
    /// the pinned one.
    Taken,
}

/// Pins a map that a load created, once the whole load has succeeded. `BPF_OBJ_PIN`
/// creates the file or fails with `EEXIST`: it never replaces another load's pin.
/// `EEXIST` means [`Published::Taken`] only if a pinned object is there now; anything
/// else in the way (a dangling symlink, say) is an error, not a reason to start over.
pub fn publish(name: &str, path: &Path, fd: BorrowedFd<'_>) -> Result<Published, LoadError> {
    match bpf_sys::obj_pin(fd, path) {
        Ok(()) => Ok(Published::Pinned),
        Err(e) if e.raw_os_error() == Some(libc_eexist()) && bpf_sys::obj_get(path).is_ok() => {
            Ok(Published::Taken)
        }
        Err(source) => Err(LoadError::Pin {
            map: name.to_string(),
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn libc_enoent() -> i32 {
    nix::errno::Errno::ENOENT as i32
}

fn libc_eexist() -> i32 {
    nix::errno::Errno::EEXIST as i32
}

/// Checks that a pinned object is a map defined as `def`. Asked of the kernel, not
/// /proc (which containers may not mount): `BPF_OBJ_GET_INFO_BY_FD` reads the
/// object's info as a map's, and the map the kernel has under the id found there
/// (`BPF_MAP_GET_FD_BY_ID`) must give the same info back. For a program or link
/// the bytes read as "id", sizes and flags are other fields, and no map matches them.
fn check_pinned(name: &str, path: &Path, def: &MapDef, fd: OwnedFd) -> Result<MapFd, LoadError> {
    let not_a_map = |found: &str| LoadError::PinnedNotAMap {
        map: name.to_string(),
        path: path.to_path_buf(),
        found: found.to_string(),
    };
    let fd = MapFd::from(fd);
    let info = bpf_sys::map_info(fd.as_fd())
        .map_err(|e| not_a_map(&format!("a bpf object whose info cannot be read: {e}")))?;
    let by_id = bpf_sys::map_get_fd_by_id(info.id)
        .and_then(|same| bpf_sys::map_info(same.as_fd()))
        .ok();
    let same = by_id.is_some_and(|other| {
        (
            other.id,
            other.map_type,
            other.key_size,
            other.value_size,
            other.max_entries,
            other.map_flags,
            &other.name,
        ) == (
            info.id,
            info.map_type,
            info.key_size,
            info.value_size,
            info.max_entries,
            info.map_flags,
            &info.name,
        )
    });
    if !same {
        return Err(not_a_map("a bpf object that is not a map"));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_iproute2() {
        let root = Path::new("/nonexistent-bpffs");
        assert_eq!(
            pin_path(root, ProgType::SCHED_CLS, Pinning::GlobalNs, "ab", "m").unwrap(),
            Some(PathBuf::from("/nonexistent-bpffs/tc/globals/m"))
        );
        assert_eq!(
            pin_path(root, ProgType::XDP, Pinning::GlobalNs, "ab", "m").unwrap(),
            Some(PathBuf::from("/nonexistent-bpffs/xdp/globals/m"))
        );
        let cls = ProgType::SCHED_CLS;
        assert_eq!(pin_path(root, cls, Pinning::None, "ab", "m").unwrap(), None);
        assert!(pin_path(root, cls, Pinning::GlobalNs, "ab", "../x").is_err());
        assert!(pin_path(root, cls, Pinning::Custom(9), "ab", "m").is_err());
        assert_eq!(subdir_for(ProgType::LWT_OUT), "ip");
        assert_eq!(subdir_for(ProgType::LWT_SEG6LOCAL), "ip");
        assert_eq!(subdir_for(ProgType::CGROUP_SOCK_ADDR), "tc");
        assert_eq!(subdir_for(ProgType::SCHED_ACT), "tc");
    }
}
