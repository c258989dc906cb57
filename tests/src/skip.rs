//! The skip-or-fail policy shared by every test in the workspace that needs
//! something the machine may not have (root, a tool, the shared corpus).
//!
//! Such a test checks what it needs first. When something is missing it prints
//! the reason and returns early, so that it counts as passed on a developer's
//! machine; with `RTC_REQUIRE_PRIVILEGED=1` (set in CI) the same check panics
//! instead, so that CI cannot silently test nothing.

use std::path::Path;

/// True when a missing tool or privilege must fail the test instead of skipping
/// it: `RTC_REQUIRE_PRIVILEGED=1`.
pub fn require_everything() -> bool {
    std::env::var("RTC_REQUIRE_PRIVILEGED").is_ok_and(|v| v == "1")
}

/// Skips: prints `skipped: REASON` and returns `None`, so that a helper returning
/// `Option` can `return skip(...)`. Panics instead under `RTC_REQUIRE_PRIVILEGED=1`.
#[track_caller]
pub fn skip<T>(reason: &str) -> Option<T> {
    if require_everything() {
        panic!("RTC_REQUIRE_PRIVILEGED=1 but {reason}");
    }
    eprintln!("skipped: {reason}");
    None
}

/// `ok` itself when it is true; otherwise [`skip`]s with `reason` and returns
/// false (or panics under `RTC_REQUIRE_PRIVILEGED=1`).
#[track_caller]
pub fn require(ok: bool, reason: &str) -> bool {
    ok || skip::<()>(reason).is_some()
}

/// True when the effective user is root.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// True when running as root; otherwise skips with
/// `not running as root (WHY)`, `why` saying what needs it.
#[track_caller]
pub fn require_root(why: &str) -> bool {
    require(is_root(), &format!("not running as root ({why})"))
}

/// True when an executable file named `tool` is in a directory of `$PATH`.
pub fn has_tool(tool: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        Path::new(&dir)
            .join(tool)
            .metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// True when every one of `tools` is installed; otherwise skips naming the first
/// one that is missing.
#[track_caller]
pub fn require_tools(tools: &[&str]) -> bool {
    match tools.iter().find(|tool| !has_tool(tool)) {
        None => true,
        Some(missing) => require(false, &format!("`{missing}` is not installed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_tool_finds_sh_and_not_a_made_up_name() {
        assert!(has_tool("sh"));
        assert!(!has_tool("rtc-no-such-tool-here"));
    }
}
