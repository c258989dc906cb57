//! Owned file descriptors for BPF objects, one newtype per kind so a map fd cannot be
//! passed where a program fd is expected. Dropping one closes it.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

macro_rules! bpf_fd {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(OwnedFd);

        impl $name {
            /// Gives up the typed wrapper and returns the plain owned fd.
            pub fn into_owned(self) -> OwnedFd {
                self.0
            }
        }

        impl From<OwnedFd> for $name {
            fn from(fd: OwnedFd) -> Self {
                Self(fd)
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.0.as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.0.as_raw_fd()
            }
        }
    };
}

bpf_fd!(
    /// A loaded BPF program.
    ProgFd
);
bpf_fd!(
    /// A BPF map.
    MapFd
);
bpf_fd!(
    /// A BTF object loaded into the kernel.
    BtfFd
);
bpf_fd!(
    /// A BPF link: an attachment owned by this fd (or by a pin of it). Closing the
    /// last fd of an unpinned link detaches its program.
    LinkFd
);
