//! The CLI's one error type: a message for stderr and the exit code tc would use.

use std::fmt;

/// A failed command: what to print on stderr and how to exit.
///
/// Exit codes follow tc 6.1: 255 for usage errors (tc's `exit(-1)`), 1 for a missing
/// device or a failed object load, 2 for an error reported by the kernel over netlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The complete text for stderr (may span several lines; no trailing newline needed).
    pub message: String,
    /// The process exit code.
    pub code: i32,
    /// tc exits on the spot for this error (its `exit(-1)` in `usage()`, `invarg()`,
    /// `duparg()`, `NEXT_ARG()`), so a batch stops here even with `-force`.
    pub exits_at_once: bool,
}

/// Exit code of a usage error.
pub const EXIT_USAGE: i32 = 255;
/// Exit code of a missing device, file or failed load.
pub const EXIT_FAILED: i32 = 1;
/// Exit code of an error answered by the kernel.
pub const EXIT_KERNEL: i32 = 2;

impl CliError {
    fn new(message: impl Into<String>, code: i32, exits_at_once: bool) -> Self {
        CliError {
            message: message.into(),
            code,
            exits_at_once,
        }
    }

    /// A usage error (unknown keyword or command): exit 255.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(message, EXIT_USAGE, false)
    }

    /// A usage error on which tc calls `exit(-1)` at once (bad value, duplicate
    /// argument, incomplete line, usage text): exit 255, and a batch stops.
    pub fn usage_exit(message: impl Into<String>) -> Self {
        Self::new(message, EXIT_USAGE, true)
    }

    /// Success with a message for stderr (tc prints usage texts on request and exits 0).
    pub fn help(message: impl Into<String>) -> Self {
        Self::new(message, 0, true)
    }

    /// A failure before the kernel was asked (device, file, load): exit 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(message, EXIT_FAILED, false)
    }

    /// An error answered by the kernel to a netlink request: exit 2.
    pub fn kernel(message: impl Into<String>) -> Self {
        Self::new(message, EXIT_KERNEL, false)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// A netlink error in tc's and ip's words: a kernel refusal as iproute2 prints it
/// (`Error: <extack message>.`, or `RTNETLINK answers: <strerror>`), anything else
/// as the library words it. The library's own `Display` reads as part of an error
/// chain instead; the tc-compatible framing is the CLI's business.
pub fn tc_text(error: &netlink_tc::Error) -> String {
    match error.kernel() {
        Some(kernel) => kernel.iproute2_text(),
        None => error.to_string(),
    }
}

/// Result of a CLI step.
pub type CliResult<T> = Result<T, CliError>;
