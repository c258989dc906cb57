//! Read-only memory mappings of the kernel's own BTF files (`/sys/kernel/btf/*`).
//!
//! Reading vmlinux BTF (several megabytes) costs a copy and a page fault per page of
//! the buffer; mapping it costs neither, since the kernel hands out its own pages. Only
//! files under [`KERNEL_BTF_DIR`] are mapped: their contents never change while the
//! kernel runs, so the mapping cannot shrink under the reader (a regular file could be
//! truncated by someone else, which would turn a read into SIGBUS).

use std::fs::File;
use std::ops::Deref;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Where the kernel publishes BTF: `vmlinux` and one file per module.
pub const KERNEL_BTF_DIR: &str = "/sys/kernel/btf";

/// A kernel BTF file mapped read-only; derefs to its bytes.
#[derive(Debug)]
pub struct MappedKernelFile {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value alone; sharing `&[u8]`
// views of it between threads is as safe as sharing any immutable slice.
unsafe impl Send for MappedKernelFile {}
// SAFETY: as above, nothing mutates the mapping.
unsafe impl Sync for MappedKernelFile {}

impl MappedKernelFile {
    /// Maps the kernel BTF file at `path`, which must lie in [`KERNEL_BTF_DIR`].
    /// Fails (so the caller can fall back to reading) where the kernel does not
    /// support mapping it.
    pub fn open(path: &Path) -> std::io::Result<MappedKernelFile> {
        if path.parent() != Some(Path::new(KERNEL_BTF_DIR)) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} is not a kernel BTF file", path.display()),
            ));
        }
        let file = File::open(path)?;
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
        if len == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        }
        // SAFETY: a fresh private read-only mapping of an open fd, at an address the
        // kernel picks; the fd may be closed afterwards, the mapping stays.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(MappedKernelFile { ptr, len })
    }
}

impl Deref for MappedKernelFile {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` is a live mapping of `len` readable bytes (see `open`) whose
        // contents the kernel never changes; it is unmapped only in `drop`.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for MappedKernelFile {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `open`, once; no slice borrowed
        // from it outlives `self`.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_vmlinux_btf_and_refuses_other_files() {
        assert!(MappedKernelFile::open(Path::new("/etc/hostname")).is_err());
        let path = Path::new(KERNEL_BTF_DIR).join("vmlinux");
        let read = std::fs::read(&path);
        if !rtc_tests::require(read.is_ok(), "the kernel publishes no BTF") {
            return;
        }
        let mapped = MappedKernelFile::open(&path);
        if !rtc_tests::require(mapped.is_ok(), "the kernel cannot map its BTF") {
            return;
        }
        if let (Ok(read), Ok(mapped)) = (read, mapped) {
            assert_eq!(&mapped[..], &read[..]);
        }
    }
}
