//! Errors: what the kernel refused (errno plus its extended-ack text), what could not
//! be decoded, and what went wrong with the socket itself.

use std::fmt;
use std::time::Duration;

/// The kernel answered a request with a negative errno.
///
/// `Display` reads as one link of an error chain: `kernel refused the request:
/// <extack message> (EEXIST: File exists)`, or without an extack message `kernel
/// refused the request (ENOENT: No such file or directory)`. iproute2's own wording
/// (`Error: <message>.` / `RTNETLINK answers: <strerror>`) is
/// [`KernelError::iproute2_text`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KernelError {
    /// The errno, positive (`libc::ENOENT`, ...).
    pub errno: i32,
    /// The extended-ack text (`NLMSGERR_ATTR_MSG`), if the kernel sent one.
    pub message: Option<String>,
    /// `NLMSGERR_ATTR_OFFS`: byte offset into our request of the attribute the
    /// kernel objected to, if it said.
    pub offset: Option<u32>,
}

impl KernelError {
    /// A refusal with `errno` (positive) and the kernel's extended-ack text, if any.
    pub fn new(errno: i32, message: Option<String>) -> Self {
        KernelError {
            errno,
            message,
            offset: None,
        }
    }

    /// The C library's text for `errno`, without Rust's " (os error N)" suffix.
    pub fn strerror(&self) -> String {
        strerror(self.errno)
    }

    /// The errno's symbolic name (`"EEXIST"`), or `"errno N"` for a number this
    /// platform does not name.
    pub fn errno_name(&self) -> String {
        match nix::errno::Errno::from_raw(self.errno) {
            nix::errno::Errno::UnknownErrno => format!("errno {}", self.errno),
            known => format!("{known:?}"),
        }
    }

    /// The extended-ack message, if the kernel sent a non-empty one.
    pub fn extack(&self) -> Option<&str> {
        self.message.as_deref().filter(|m| !m.is_empty())
    }

    /// The refusal as iproute2 prints it: `Error: <extack message>.` when the kernel
    /// explained itself, `RTNETLINK answers: <strerror>` otherwise.
    ///
    /// ```
    /// use netlink_tc::KernelError;
    /// let refusal = KernelError::new(17, None);
    /// assert_eq!(refusal.iproute2_text(), "RTNETLINK answers: File exists");
    /// assert_eq!(refusal.to_string(), "kernel refused the request (EEXIST: File exists)");
    /// let explained = KernelError::new(17, Some("Exclusivity flag on, cannot modify".into()));
    /// assert_eq!(explained.iproute2_text(), "Error: Exclusivity flag on, cannot modify.");
    /// ```
    pub fn iproute2_text(&self) -> String {
        match self.extack() {
            Some(message) => format!("Error: {}", with_full_stop(message)),
            None => format!("RTNETLINK answers: {}", self.strerror()),
        }
    }
}

/// The C library's text for an errno ("No such file or directory").
pub fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Appends the full stop iproute2 adds to an extack message that lacks one.
pub fn with_full_stop(message: &str) -> String {
    if message.ends_with('.') {
        message.to_string()
    } else {
        format!("{message}.")
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("kernel refused the request")?;
        if let Some(message) = self.extack() {
            write!(f, ": {}", message.trim_end_matches('.'))?;
        }
        write!(f, " ({}: {})", self.errno_name(), self.strerror())
    }
}

impl std::error::Error for KernelError {}

/// A message or attribute that does not hold what its lengths promise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A fixed-size header or structure is cut short.
    #[error("{what}: need {needed} bytes, have {available}")]
    Truncated {
        /// The structure being read ("nlmsghdr", "tcmsg", ...).
        what: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes there are.
        available: usize,
    },
    /// An `nlmsghdr` whose length is below the header size or past the buffer end.
    #[error("netlink message at offset {offset}: length {len} with {remaining} bytes left")]
    MessageLength {
        /// Offset of the message in the buffer.
        offset: usize,
        /// Its `nlmsg_len`.
        len: usize,
        /// Bytes left in the buffer from that offset.
        remaining: usize,
    },
    /// An attribute whose length is below the header size or past its container.
    #[error("attribute at offset {offset}: length {len} with {remaining} bytes left")]
    AttrLength {
        /// Offset of the attribute in its container.
        offset: usize,
        /// Its `nla_len`.
        len: usize,
        /// Bytes left in the container from that offset.
        remaining: usize,
    },
    /// An attribute too short for its type.
    #[error("{what} (type {kind}): payload of {len} bytes, need {needed}")]
    AttrPayload {
        /// The attribute's name (`TCA_BPF_ID`, ...).
        what: &'static str,
        /// Its type number.
        kind: u16,
        /// Its payload length.
        len: usize,
        /// The length its type needs.
        needed: usize,
    },
    /// A message of another type than the decoder handles.
    #[error("expected a {expected} message, got type {found}")]
    UnexpectedType {
        /// What the decoder reads.
        expected: &'static str,
        /// The `nlmsg_type` found.
        found: u16,
    },
    /// A message that must carry an attribute lacks it.
    #[error("{what} missing")]
    Missing {
        /// The attribute.
        what: &'static str,
    },
}

/// A request that cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An attribute or the message grew past what its 16-bit (attribute) or 32-bit
    /// (message) length field can hold.
    #[error("attribute {kind} is {len} bytes, more than a netlink length field holds")]
    TooLong {
        /// The attribute type (0 for the message itself).
        kind: u16,
        /// The length it would have.
        len: usize,
    },
}

/// Anything that can go wrong talking rtnetlink.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket call failed (`op` names it: "socket", "bind", "sendto", "recv"...).
    #[error("netlink {op}: {source}")]
    Io {
        /// The failing call.
        op: &'static str,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The kernel refused the request.
    #[error("{0}")]
    Kernel(KernelError),
    /// A reply could not be decoded.
    #[error("malformed netlink reply: {0}")]
    Decode(#[from] DecodeError),
    /// A request could not be encoded.
    #[error("cannot encode netlink request: {0}")]
    Encode(#[from] EncodeError),
    /// No reply arrived in time.
    #[error("no netlink reply within {0:?}")]
    Timeout(Duration),
    /// A reply or dump grew past the configured limit.
    #[error("netlink reply larger than the {limit}-byte limit")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The kernel acknowledged a request that should have been answered with data.
    #[error("netlink request acknowledged without the expected answer")]
    NoAnswer,
}

impl Error {
    /// The errno behind this error, when there is one (kernel refusal or socket call).
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel(kernel) => Some(kernel.errno),
            Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// The kernel's refusal, if that is what this is.
    pub fn kernel(&self) -> Option<&KernelError> {
        match self {
            Error::Kernel(kernel) => Some(kernel),
            _ => None,
        }
    }
}

impl From<KernelError> for Error {
    fn from(kernel: KernelError) -> Self {
        Error::Kernel(kernel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_for_an_error_chain() {
        let with_text = KernelError {
            errno: 17,
            message: Some("Exclusivity flag on, cannot modify.".into()),
            offset: None,
        };
        assert_eq!(
            with_text.to_string(),
            "kernel refused the request: Exclusivity flag on, cannot modify (EEXIST: File exists)"
        );
        let bare = KernelError {
            errno: 2,
            message: Some(String::new()),
            offset: None,
        };
        assert_eq!(
            Error::Kernel(bare).to_string(),
            "kernel refused the request (ENOENT: No such file or directory)"
        );
        let odd = KernelError {
            errno: 4000,
            message: None,
            offset: None,
        };
        assert!(odd.to_string().contains("(errno 4000: "), "{odd}");
    }

    #[test]
    fn iproute2_wording() {
        let with_text = KernelError {
            errno: 17,
            message: Some("Exclusivity flag on, cannot modify".into()),
            offset: None,
        };
        assert_eq!(
            with_text.iproute2_text(),
            "Error: Exclusivity flag on, cannot modify."
        );
        let dotted = KernelError {
            errno: 22,
            message: Some("Already ends.".into()),
            offset: None,
        };
        assert_eq!(dotted.iproute2_text(), "Error: Already ends.");
        let bare = KernelError {
            errno: 2,
            message: None,
            offset: None,
        };
        assert_eq!(
            bare.iproute2_text(),
            "RTNETLINK answers: No such file or directory"
        );
        assert_eq!(Error::Kernel(bare).errno(), Some(2));
    }
}
