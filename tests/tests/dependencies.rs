//! What the build pulls in, checked the way `cargo deny check licenses sources bans`
//! would: every package of `cargo metadata --locked` (the workspace's own crates and
//! every dependency in Cargo.lock, for all targets)
//!
//! * has an SPDX licence expression (`license` in its manifest; a package with only
//!   a `license-file`, or none, fails) that the allow list below satisfies, with
//!   `OR`, `AND`, `WITH` and parentheses evaluated as SPDX defines them;
//! * comes from crates.io, or is a path package inside this repository (no git
//!   dependencies, no other registries);
//! * appears in one semver-major version only (`0.x` counts `x` as the major),
//!   unless [`ALLOWED_DUPLICATES`] names it with its reason. A listed crate that is
//!   no longer duplicated fails too, so the list cannot go stale.
//!
//! Security advisories are NOT checked. `cargo deny check advisories` (or
//! `cargo audit`) needs the RustSec advisory database, a git clone from github.com,
//! which this build machine and CI cannot reach, and installing cargo-deny from
//! crates.io costs a large part of CI's time budget. Run `cargo deny check
//! advisories` on a networked machine before a release.
//!
//! The test needs no privileges and no network: `cargo metadata --locked` reads
//! Cargo.lock and the registry cache the build has already filled.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use rtc_tests::workspace_root;

/// Licences a dependency may be used under: the permissive ones the dependency
/// tree actually offers. Adding one is a decision; make it here, in review.
const ALLOWED_LICENCES: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "0BSD",
    "Unlicense",
    "Zlib",
    // unicode-ident's data tables (together with MIT OR Apache-2.0 for the code).
    "Unicode-3.0",
];

/// Licence exceptions (`LICENCE WITH EXCEPTION`) accepted after an allowed licence.
const ALLOWED_EXCEPTIONS: &[&str] = &["LLVM-exception"];

/// Crates allowed in more than one major version, each with the reason. The test
/// fails when an entry's crate is no longer duplicated.
const ALLOWED_DUPLICATES: &[(&str, &str)] = &[
    (
        "syn",
        "pcap-file 2.0 (derive-into-owned: syn 1; thiserror 1: syn 2) beside serde and thiserror 2 (syn 3)",
    ),
    ("thiserror", "pcap-file 2.0 still uses thiserror 1"),
    ("thiserror-impl", "pcap-file 2.0 still uses thiserror 1"),
];

/// crates.io's index, as Cargo.lock names it (git protocol or sparse).
const CRATES_IO: &[&str] = &[
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// A parsed SPDX licence expression.
#[derive(Debug, PartialEq, Eq)]
enum Expr {
    /// A licence id (`MIT`, `Apache-2.0`, `GPL-2.0+`).
    Licence(String),
    /// `LICENCE WITH EXCEPTION`.
    With(String, String),
    /// Every side must be allowed.
    And(Box<Expr>, Box<Expr>),
    /// One side is enough.
    Or(Box<Expr>, Box<Expr>),
}

/// The words of an expression: ids, `(`, `)`, and the operators `AND`, `OR`,
/// `WITH` (the old crates.io `/` is read as `OR`, as cargo does).
fn tokens(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' | '/' => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                out.push(if c == '/' { "OR".into() } else { c.to_string() });
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | ':') => word.push(c),
            other => {
                return Err(format!(
                    "character {other:?} in licence expression {text:?}"
                ));
            }
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    Ok(out)
}

/// Parses an SPDX expression. Precedence, tightest first: `WITH`, `AND`, `OR`.
fn parse(text: &str) -> Result<Expr, String> {
    let tokens = tokens(text)?;
    let mut at = 0;
    let expr = parse_or(&tokens, &mut at)?;
    match tokens.get(at) {
        None => Ok(expr),
        Some(extra) => Err(format!(
            "unexpected {extra:?} in licence expression {text:?}"
        )),
    }
}

fn parse_or(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    let mut left = parse_and(tokens, at)?;
    while tokens.get(*at).is_some_and(|t| t == "OR") {
        *at += 1;
        left = Expr::Or(Box::new(left), Box::new(parse_and(tokens, at)?));
    }
    Ok(left)
}

fn parse_and(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    let mut left = parse_with(tokens, at)?;
    while tokens.get(*at).is_some_and(|t| t == "AND") {
        *at += 1;
        left = Expr::And(Box::new(left), Box::new(parse_with(tokens, at)?));
    }
    Ok(left)
}

fn parse_with(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    let token = tokens
        .get(*at)
        .ok_or("licence expression ends where a licence was expected")?;
    *at += 1;
    if token == "(" {
        let inner = parse_or(tokens, at)?;
        if tokens.get(*at).is_none_or(|t| t != ")") {
            return Err("unclosed parenthesis in licence expression".into());
        }
        *at += 1;
        return Ok(inner);
    }
    if matches!(token.as_str(), ")" | "AND" | "OR" | "WITH") {
        return Err(format!("{token:?} where a licence was expected"));
    }
    if tokens.get(*at).is_some_and(|t| t == "WITH") {
        *at += 1;
        let exception = tokens
            .get(*at)
            .filter(|t| !matches!(t.as_str(), "(" | ")" | "AND" | "OR" | "WITH"))
            .ok_or("WITH without an exception")?;
        *at += 1;
        return Ok(Expr::With(token.clone(), exception.clone()));
    }
    Ok(Expr::Licence(token.clone()))
}

/// Whether `expr` can be satisfied with `licences` and `exceptions` only.
fn allowed(expr: &Expr, licences: &[&str], exceptions: &[&str]) -> bool {
    match expr {
        Expr::Licence(id) => licences.contains(&id.as_str()),
        Expr::With(id, exception) => {
            licences.contains(&id.as_str()) && exceptions.contains(&exception.as_str())
        }
        Expr::And(a, b) => allowed(a, licences, exceptions) && allowed(b, licences, exceptions),
        Expr::Or(a, b) => allowed(a, licences, exceptions) || allowed(b, licences, exceptions),
    }
}

/// Whether `text` parses and is satisfied by the project's allow lists.
fn licence_ok(text: &str) -> Result<bool, String> {
    Ok(allowed(&parse(text)?, ALLOWED_LICENCES, ALLOWED_EXCEPTIONS))
}

/// The major version a semver-compatible upgrade keeps: `1` for 1.4.2, `0.36` for
/// 0.36.1, `0.0.3` for 0.0.3.
fn major(version: &str) -> String {
    let parts: Vec<&str> = version.split(['.', '-', '+']).take(3).collect();
    match parts.as_slice() {
        ["0", "0", patch] => format!("0.0.{patch}"),
        ["0", minor, ..] => format!("0.{minor}"),
        [major, ..] => (*major).to_string(),
        [] => version.to_string(),
    }
}

/// `cargo metadata --format-version 1 --locked` of the workspace.
fn metadata() -> serde_json::Value {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = workspace_root();
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata --locked failed (is Cargo.lock up to date?):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn every_dependency_has_an_allowed_licence_a_known_source_and_one_major_version() {
    let metadata = metadata();
    let root =
        std::path::PathBuf::from(metadata["workspace_root"].as_str().expect("workspace_root"));
    let packages = metadata["packages"].as_array().expect("packages");
    assert!(
        packages.len() > 10,
        "cargo metadata listed too few packages"
    );
    let mut problems = Vec::new();
    let mut majors: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or("?");
        let version = package["version"].as_str().unwrap_or("?");
        let who = format!("{name} {version}");
        match package["license"].as_str() {
            None => problems.push(format!(
                "{who}: no SPDX licence expression (license-file: {})",
                package["license_file"]
            )),
            Some(text) => match licence_ok(text) {
                Ok(true) => {}
                Ok(false) => problems.push(format!(
                    "{who}: licence {text:?} is not satisfied by the allow list {ALLOWED_LICENCES:?}"
                )),
                Err(e) => problems.push(format!("{who}: {e}")),
            },
        }
        match package["source"].as_str() {
            Some(source) if CRATES_IO.contains(&source) => {}
            Some(other) => problems.push(format!("{who}: from {other}, not crates.io")),
            None => {
                let manifest = package["manifest_path"].as_str().unwrap_or("");
                if !std::path::Path::new(manifest).starts_with(&root) {
                    problems.push(format!(
                        "{who}: a path package outside the repository ({manifest})"
                    ));
                }
            }
        }
        majors.entry(name).or_default().insert(major(version));
    }
    for (name, versions) in &majors {
        let listed = ALLOWED_DUPLICATES.iter().any(|(n, _)| n == name);
        if versions.len() > 1 && !listed {
            problems.push(format!(
                "{name} in {} major versions ({versions:?}): unify them or list it in ALLOWED_DUPLICATES with the reason",
                versions.len()
            ));
        }
    }
    for (name, _) in ALLOWED_DUPLICATES {
        if majors.get(name).is_none_or(|v| v.len() < 2) {
            problems.push(format!(
                "{name} is listed in ALLOWED_DUPLICATES but is no longer duplicated: remove it"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn expressions_parse_with_spdx_precedence() {
    let licence = |id: &str| Box::new(Expr::Licence(id.into()));
    assert_eq!(parse("MIT").unwrap(), Expr::Licence("MIT".into()));
    // AND binds tighter than OR.
    assert_eq!(
        parse("MIT OR Apache-2.0 AND GPL-3.0").unwrap(),
        Expr::Or(
            licence("MIT"),
            Box::new(Expr::And(licence("Apache-2.0"), licence("GPL-3.0")))
        )
    );
    assert_eq!(
        parse("(MIT OR Apache-2.0) AND Unicode-3.0").unwrap(),
        Expr::And(
            Box::new(Expr::Or(licence("MIT"), licence("Apache-2.0"))),
            licence("Unicode-3.0")
        )
    );
    assert_eq!(
        parse("Apache-2.0 WITH LLVM-exception OR MIT").unwrap(),
        Expr::Or(
            Box::new(Expr::With("Apache-2.0".into(), "LLVM-exception".into())),
            licence("MIT")
        )
    );
    assert_eq!(
        parse("MIT/Apache-2.0").unwrap(),
        parse("MIT OR Apache-2.0").unwrap()
    );
    for bad in [
        "", "MIT OR", "(MIT", "MIT)", "AND MIT", "MIT WITH", "MIT; GPL", "MIT MIT",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn forbidden_licences_fail_and_choices_pass() {
    // The expressions the dependency tree has today pass.
    for ok in [
        "MIT",
        "MIT OR Apache-2.0",
        "Apache-2.0 OR MIT",
        "0BSD OR MIT OR Apache-2.0",
        "Unlicense OR MIT",
        "MIT OR Zlib OR Apache-2.0",
        "(MIT OR Apache-2.0) AND Unicode-3.0",
        "Apache-2.0 WITH LLVM-exception",
    ] {
        assert_eq!(licence_ok(ok), Ok(true), "{ok}");
    }
    // A copyleft licence alone, or required beside an allowed one, fails; offered
    // as an alternative it does not matter.
    for forbidden in [
        "GPL-3.0-only",
        "MIT AND GPL-2.0-only",
        "(MIT OR Apache-2.0) AND LGPL-2.1-or-later",
        "GPL-2.0-only WITH Classpath-exception-2.0",
        "Apache-2.0 WITH Some-unknown-exception",
        "MPL-2.0",
    ] {
        assert_eq!(licence_ok(forbidden), Ok(false), "{forbidden}");
    }
    assert_eq!(licence_ok("GPL-3.0-only OR MIT"), Ok(true));
    assert!(licence_ok("MIT AND").is_err());
}

#[test]
fn majors_follow_semver_compatibility() {
    assert_eq!(major("1.0.109"), "1");
    assert_eq!(major("2.0.119"), "2");
    assert_eq!(major("0.36.7"), "0.36");
    assert_eq!(major("0.0.3"), "0.0.3");
    assert_eq!(major("1.2.3-rc.1"), "1");
    assert_ne!(major("0.36.1"), major("0.40.0"));
}
