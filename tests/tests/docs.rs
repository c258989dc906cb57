//! Keeps docs/how-tc-works.md honest: each transcript in it (a fenced block after an
//! `<!-- explain: COMMAND -->` marker) must match a fresh `rtc --explain COMMAND` run,
//! made the way the document says (a veth pair in a fresh namespace, the clsact qdisc
//! added first, objects named relative to target/bpf). Numbers that change from run to
//! run (fds, sequence numbers, ids, sizes that depend on the build path) and the byte
//! dumps are masked; every name, field, attribute and step must be the same.

use std::process::Command;

use rtc_tests::{Netns, bpf_obj, require_privileged, rtc_bin, workspace_root};

/// The transcripts of the document: (command after `--explain`, transcript text).
fn transcripts(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("<!-- explain: ") {
        let after = &rest[start + "<!-- explain: ".len()..];
        let (command, after) = after.split_once(" -->").expect("marker ends with -->");
        let body = after
            .split_once("```text\n")
            .expect("a text block follows the marker")
            .1;
        let (body, after) = body.split_once("\n```").expect("the text block ends");
        out.push((command.to_string(), body.to_string()));
        rest = after;
    }
    out
}

/// Masks what legitimately differs between runs: byte-dump rows become `<bytes>`,
/// every run of digits becomes `N`.
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
            out.trim_end().to_string()
        })
        .collect()
}

#[test]
fn how_tc_works_transcripts_match_a_fresh_run() {
    if !require_privileged() {
        return;
    }
    let doc_path = workspace_root().join("docs/how-tc-works.md");
    let doc = std::fs::read_to_string(&doc_path).expect("docs/how-tc-works.md");
    let transcripts = transcripts(&doc);
    assert!(transcripts.len() >= 2, "the document keeps its transcripts");
    let objects_dir = bpf_obj("count-packets")
        .parent()
        .expect("target/bpf")
        .to_path_buf();

    for (command, expected) in transcripts {
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
        let output = Command::new("timeout")
            .arg("30")
            .arg(rtc_bin())
            .args(["-n", ns.name(), "--explain"])
            .args(command.split_whitespace())
            .current_dir(&objects_dir)
            .output()
            .expect("run rtc --explain");
        assert!(
            output.status.success(),
            "rtc --explain {command} failed: {output:?}"
        );
        let fresh = String::from_utf8_lossy(&output.stderr);
        let (want, got) = (mask(&expected), mask(fresh.trim_matches('\n')));
        for (index, (w, g)) in want.iter().zip(&got).enumerate() {
            assert_eq!(
                w,
                g,
                "docs/how-tc-works.md, transcript of `{command}`, line {}",
                index + 1
            );
        }
        assert_eq!(
            want.len(),
            got.len(),
            "transcript of `{command}` has a different length:\n{fresh}"
        );
    }
}

#[test]
fn masking_keeps_names_and_hides_numbers() {
    assert_eq!(
        mask("[12] BPF_MAP_CREATE packets -> fd 4"),
        ["[N] BPF_MAP_CREATE packets -> fd N"]
    );
    assert_eq!(mask("    0010: 00000000 03000000"), ["<bytes>"]);
}
