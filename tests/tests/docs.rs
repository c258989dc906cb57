//! Keeps docs/how-tc-works.md and docs/core.md honest: each transcript in them (a
//! fenced block after a marker) must match a fresh run, made the way the documents say
//! (a veth pair in a fresh namespace, the clsact qdisc added first, objects named
//! relative to target/bpf). Markers:
//!
//! * `<!-- explain: COMMAND -->`: `rtc --explain COMMAND` succeeds; the block is its
//!   stderr;
//! * `<!-- explain-refused: COMMAND -->`: the same command fails; the block is its
//!   stderr;
//! * `<!-- stdout-tail: COMMAND -->`: `rtc COMMAND` succeeds; the block is the end of
//!   its stdout, from the block's first line on.
//!
//! Numbers that change from run to run (fds, sequence numbers, ids, sizes that depend
//! on the build path) and the byte dumps are masked; every name, field, attribute and
//! step must be the same.

use std::process::Command;

use rtc_tests::{Netns, bpf_obj, require_privileged, rtc_bin, workspace_root};

/// How a transcript was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `rtc --explain COMMAND`, which succeeds: its stderr.
    Explain,
    /// `rtc --explain COMMAND`, which fails: its stderr.
    ExplainRefused,
    /// `rtc COMMAND`: the end of its stdout.
    StdoutTail,
}

/// The transcripts of a document: (kind, command, transcript text).
fn transcripts(doc: &str) -> Vec<(Kind, String, String)> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("<!-- ") {
        let after = &rest[start + "<!-- ".len()..];
        let (marker, after) = after.split_once(" -->").expect("marker ends with -->");
        rest = after;
        let Some((word, command)) = marker.split_once(": ") else {
            continue;
        };
        let kind = match word {
            "explain" => Kind::Explain,
            "explain-refused" => Kind::ExplainRefused,
            "stdout-tail" => Kind::StdoutTail,
            _ => continue,
        };
        let body = after
            .split_once("```text\n")
            .expect("a text block follows the marker")
            .1;
        let (body, after) = body.split_once("\n```").expect("the text block ends");
        out.push((kind, command.to_string(), body.to_string()));
        rest = after;
    }
    out
}

/// Masks what legitimately differs between runs: byte-dump rows become `<bytes>`,
/// every run of digits becomes `N`, and runs of spaces inside a line become one.
fn mask(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let is_dump_row = trimmed.len() > 5
                && trimmed[..4].chars().all(|c| c.is_ascii_hexdigit())
                && trimmed[4..].starts_with(": ");
            if is_dump_row {
                return "<bytes>".to_string();
            }
            let mut out = String::new();
            let mut in_number = false;
            for c in line.chars() {
                if c.is_ascii_digit() {
                    if !in_number {
                        out.push('N');
                    }
                    in_number = true;
                } else {
                    in_number = false;
                    out.push(c);
                }
            }
            // Numbers change width with the build path (DWARF section sizes), and
            // columns are padded to them: keep the indentation, fold inner runs of
            // spaces.
            let indent = out.len() - out.trim_start().len();
            let words: Vec<&str> = out.split_whitespace().collect();
            format!("{}{}", &out[..indent], words.join(" "))
        })
        .collect()
}

/// Runs every transcript of `docs/NAME` and compares.
fn check_document(name: &str, at_least: usize) {
    let doc_path = workspace_root().join("docs").join(name);
    let doc = std::fs::read_to_string(&doc_path).expect("the document");
    let transcripts = transcripts(&doc);
    assert!(
        transcripts.len() >= at_least,
        "docs/{name} keeps its transcripts"
    );
    let objects_dir = bpf_obj("count-packets")
        .parent()
        .expect("target/bpf")
        .to_path_buf();

    for (kind, command, expected) in transcripts {
        let ns = Netns::new();
        ns.ip(&[
            "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
        ])
        .ok("veth");
        ns.ip(&["link", "set", "veth0", "up"]).ok("up");
        if command.starts_with("filter") {
            ns.rtc(&["qdisc", "add", "dev", "veth0", "clsact"])
                .ok("qdisc add clsact");
        }
        let mut run = Command::new("timeout");
        run.arg("30").arg(rtc_bin()).args(["-n", ns.name()]);
        if kind != Kind::StdoutTail {
            run.arg("--explain");
        }
        let output = run
            .args(command.split_whitespace())
            .current_dir(&objects_dir)
            .output()
            .expect("run rtc");
        assert_eq!(
            output.status.success(),
            kind != Kind::ExplainRefused,
            "rtc {command} in docs/{name}: {output:?}"
        );
        let fresh = match kind {
            Kind::StdoutTail => {
                let stdout = String::from_utf8_lossy(&output.stdout).to_string();
                let first = expected.lines().next().unwrap_or_default();
                match stdout.find(first) {
                    Some(at) => stdout[at..].to_string(),
                    None => stdout,
                }
            }
            _ => String::from_utf8_lossy(&output.stderr).to_string(),
        };
        let (want, got) = (mask(&expected), mask(fresh.trim_matches('\n')));
        for (index, (w, g)) in want.iter().zip(&got).enumerate() {
            assert_eq!(
                w,
                g,
                "docs/{name}, transcript of `{command}`, line {}",
                index + 1
            );
        }
        assert_eq!(
            want.len(),
            got.len(),
            "docs/{name}: transcript of `{command}` has a different length:\n{fresh}"
        );
    }
}

#[test]
fn how_tc_works_transcripts_match_a_fresh_run() {
    if !require_privileged() {
        return;
    }
    check_document("how-tc-works.md", 2);
}

#[test]
fn core_transcripts_match_a_fresh_run() {
    if !require_privileged() {
        return;
    }
    check_document("core.md", 4);
}

#[test]
fn masking_keeps_names_and_hides_numbers() {
    assert_eq!(
        mask("[12] BPF_MAP_CREATE packets -> fd 4"),
        ["[N] BPF_MAP_CREATE packets -> fd N"]
    );
    assert_eq!(mask("    0010: 00000000 03000000"), ["<bytes>"]);
}
