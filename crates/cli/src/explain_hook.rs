//! `--explain` for the bpf(2) device-hook calls (tcx and bpf links): each command
//! with every attribute, decoded where a number has a name, and the kernel's answer.

use bpf_sys::consts::{
    BPF_F_AFTER, BPF_F_BEFORE, BPF_F_ID, BPF_F_LINK, BPF_F_REPLACE, attach_type,
};
use netlink_tc::hook::{BpfCall, BpfObserver};

use crate::explain::Narrator;

/// The names of the attach flags set in `flags`.
fn flag_names(flags: u64) -> String {
    let known = [
        (BPF_F_REPLACE, "BPF_F_REPLACE"),
        (BPF_F_BEFORE, "BPF_F_BEFORE"),
        (BPF_F_AFTER, "BPF_F_AFTER"),
        (BPF_F_ID, "BPF_F_ID"),
        (BPF_F_LINK, "BPF_F_LINK"),
    ];
    let names: Vec<&str> = known
        .iter()
        .filter(|(bit, _)| flags & u64::from(*bit) != 0)
        .map(|(_, name)| *name)
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(" | ")
    }
}

/// What one attribute's value means, when it has a name.
fn meaning(cmd: &str, field: &str, value: u64) -> String {
    match field {
        "attach_type" => match u32::try_from(value).ok().and_then(attach_type::name) {
            Some(name) => format!("BPF_{}", name.to_uppercase()),
            None => String::new(),
        },
        "attach_flags" => flag_names(value),
        "flags" if cmd == "BPF_LINK_CREATE" => flag_names(value),
        "expected_revision" | "tcx.expected_revision" if value == 0 => "any revision".into(),
        "relative_fd/relative_id" | "tcx.relative_fd/relative_id" if value == 0 => {
            "none (first/last or default)".into()
        }
        _ => String::new(),
    }
}

impl BpfObserver for Narrator {
    fn bpf_call(&self, call: &BpfCall<'_>) {
        self.step(&format!("{}: the bpf(2) attributes sent", call.cmd));
        let mut text = String::new();
        for (field, value) in call.fields {
            let what = meaning(call.cmd, field, *value);
            if what.is_empty() {
                text.push_str(&format!("{field:<28} {value}\n"));
            } else {
                text.push_str(&format!("{field:<28} {value}  ({what})\n"));
            }
        }
        match &call.answer {
            Ok(answer) => text.push_str(&format!("kernel: {answer}\n")),
            Err(e) => text.push_str(&format!("kernel: refused: {e}\n")),
        }
        self.detail(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_their_names() {
        assert_eq!(flag_names(0), "none");
        assert_eq!(
            flag_names(u64::from(BPF_F_AFTER | BPF_F_ID | BPF_F_LINK)),
            "BPF_F_AFTER | BPF_F_ID | BPF_F_LINK"
        );
        assert_eq!(
            meaning("BPF_PROG_ATTACH", "attach_type", 47),
            "BPF_TCX_EGRESS"
        );
        assert_eq!(meaning("BPF_LINK_CREATE", "attach_type", 37), "BPF_XDP");
        assert_eq!(
            meaning("BPF_LINK_CREATE", "flags", u64::from(BPF_F_BEFORE)),
            "BPF_F_BEFORE"
        );
        // XDP link flags are XDP_FLAGS_* mode bits, not attach flags.
        assert_eq!(
            meaning("BPF_PROG_ATTACH", "tcx.expected_revision", 0),
            "any revision"
        );
        assert_eq!(meaning("BPF_PROG_ATTACH", "target_ifindex", 3), "");
    }
}
