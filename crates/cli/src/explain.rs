//! `--explain`: narrates on stderr, step by step, what rtc does while it does it: the
//! ELF sections found, each map created or reused, each relocation, the
//! `BPF_PROG_LOAD` attributes and the verifier's verdict, and every netlink message
//! decoded field by field, then as bytes, with the kernel's answer.
//!
//! The libraries only report to observers; this module is the observer that renders.
//! Without `--explain` no observer is installed and nothing here runs.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bpf_sys::{Insn, ProgLoadAttr};
use elf_loader::btf::core::CoreOutcome;
use elf_loader::{MapDef, Object, Program};

/// Numbers the steps of one run; shared by the loader and netlink narrators (an
/// atomic counter, so the netlink socket holding one stays `Send`).
#[derive(Debug, Default)]
pub struct Narrator {
    step: AtomicU32,
}

impl Narrator {
    /// Starts the next numbered step with a title line.
    pub fn step(&self, title: &str) {
        let step = self.step.fetch_add(1, Ordering::Relaxed) + 1;
        crate::output::eprintln(&format!("\n[{step}] {title}"));
    }

    /// A detail line under the current step.
    pub fn detail(&self, text: &str) {
        for line in text.lines() {
            crate::output::eprintln(&format!("    {line}"));
        }
    }

    /// The object file was read and parsed: every section and what it is for.
    pub fn object_parsed(&self, path: &str, size: usize, object: &Object) {
        self.step(&format!("read {path}: {size} bytes, an ELF BPF object"));
        let mut text = String::new();
        for section in object.sections() {
            if section.name.is_empty() {
                continue;
            }
            let purpose = crate::cmd::obj::names::section_purpose(object, section);
            let _ = writeln!(
                text,
                "section {:<24} {:>6} bytes  {purpose}",
                section.name, section.size
            );
        }
        let _ = writeln!(text, "license: {}", object.license().unwrap_or("(none)"));
        for program in object.programs() {
            let _ = writeln!(
                text,
                "program {} in section {}: {} instructions",
                program.name,
                program.section,
                program.insns.len()
            );
        }
        for map in object.maps() {
            let _ = writeln!(text, "map {}: {}", map.name, describe_def(&map.def));
        }
        self.detail(&text);
    }
}

/// A map definition in one line, with the kernel's names for the numbers.
fn describe_def(def: &MapDef) -> String {
    format!(
        "type {} ({}), key {} bytes, value {} bytes, max_entries {}, flags {:#x}, pinning {}",
        def.map_type,
        bpf_sys::consts::map_type::name(def.map_type).unwrap_or("unknown"),
        def.key_size,
        def.value_size,
        def.max_entries,
        def.map_flags,
        def.pinning
    )
}

/// One instruction in the verifier's notation, then its fields and bytes, for
/// before/after views of a rewrite (an `ld_imm64`'s second half is taken as zero).
fn describe_insn(insn: &Insn) -> String {
    let pair = [*insn, Insn::default()];
    let text = elf_loader::disasm::insn_text(&pair, 0, elf_loader::disasm::Origin::Loader)
        .unwrap_or_default();
    let bytes: Vec<String> = insn.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{text:<22} code {:#04x} dst r{} src {} off {} imm {}  [{}]",
        insn.code,
        insn.dst_reg(),
        insn.src_reg(),
        insn.off,
        insn.imm,
        bytes.join(" ")
    )
}

impl elf_loader::Observer for Narrator {
    fn program_selected(&self, program: &Program) {
        self.step(&format!(
            "chose program {} (section {}, {} instructions)",
            program.name,
            program.section,
            program.insns.len()
        ));
    }

    fn subprog_appended(&self, program: &str, function: &str, start: usize) {
        self.detail(&format!(
            "appended subprogram {function} to {program} at instruction {start}"
        ));
    }

    fn btf_loaded(&self, fd: i32, size: usize) {
        self.step(&format!(
            "BPF_BTF_LOAD: {size} bytes of type information -> fd {fd}"
        ));
    }

    fn btf_refused(&self, reason: &str) {
        self.step("BPF_BTF_LOAD refused; going on without BTF");
        self.detail(reason);
    }

    fn bpffs_mounted(&self, path: &Path) {
        self.step(&format!(
            "mounted a bpffs at {} for pinning",
            path.display()
        ));
    }

    fn map_created(&self, name: &str, def: &MapDef, fd: i32) {
        self.step(&format!("BPF_MAP_CREATE {name} -> fd {fd}"));
        self.detail(&describe_def(def));
    }

    fn map_reused(&self, name: &str, path: &Path, fd: i32) {
        self.step(&format!(
            "reused pinned map {name} from {} -> fd {fd}",
            path.display()
        ));
    }

    fn map_pinned(&self, name: &str, path: &Path, fd: i32) {
        self.detail(&format!(
            "BPF_OBJ_PIN fd {fd} ({name}) at {}",
            path.display()
        ));
    }

    fn map_filled(&self, name: &str, bytes: usize, frozen: bool) {
        let frozen = if frozen {
            ", then BPF_MAP_FREEZE (read-only)"
        } else {
            ""
        };
        self.detail(&format!(
            "BPF_MAP_UPDATE_ELEM {name}: {bytes} bytes of initial data{frozen}"
        ));
    }

    fn map_slot_set(&self, map: &str, key: u32, what: &str) {
        self.detail(&format!("BPF_MAP_UPDATE_ELEM {map}[{key}] = {what}"));
    }

    fn relocated(&self, insn_index: usize, symbol: &str, before: Insn, after: Insn) {
        self.step(&format!(
            "relocation: instruction {insn_index} refers to {symbol}"
        ));
        self.detail(&format!(
            "before: {}\nafter:  {}",
            describe_insn(&before),
            describe_insn(&after)
        ));
    }

    fn core_relocated(&self, _program: &str, outcome: &CoreOutcome) {
        self.step(&format!(
            "CO-RE relocation: instruction {} ({}) of {}, access \"{}\" = {}",
            outcome.insn, outcome.kind, outcome.local_type, outcome.access, outcome.path
        ));
        let candidates = if outcome.candidates.is_empty() {
            "none".to_string()
        } else {
            outcome
                .candidates
                .iter()
                .map(|(id, name)| format!("[{id}] {name}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let chosen = match (outcome.chosen, &outcome.target_path) {
            (Some(_), Some(path)) => path.clone(),
            (Some(id), None) => format!("[{id}]"),
            (None, _) => "none matches".to_string(),
        };
        let value = match (&outcome.poisoned, outcome.target_value) {
            (Some(why), _) => format!(
                "none: {why}; the instruction is poisoned (the verifier refuses it only if it is reachable)"
            ),
            (None, Some(value)) => format!("{value} (the object has {})", outcome.local_value),
            (None, None) => "none".to_string(),
        };
        let mut text = format!("kernel candidates: {candidates}\nchosen: {chosen}\nvalue: {value}");
        for (label, insns) in [("before:", &outcome.before), ("after: ", &outcome.after)] {
            if let Some(first) = insns.first() {
                text.push_str(&format!("\n{label} {}", describe_insn(first)));
            }
        }
        self.detail(&text);
    }

    fn prog_loading(&self, attr: &ProgLoadAttr<'_>) {
        self.step("BPF_PROG_LOAD");
        self.detail(&format!(
            "prog_type {} ({}), insn_cnt {}, license \"{}\", prog_name \"{}\"\n\
             kern_version {:#x}, log_level {}, prog_btf_fd {}, func_info {} records, line_info {} records",
            attr.prog_type,
            bpf_sys::consts::prog_type::name(attr.prog_type).unwrap_or("unknown"),
            attr.insns.len(),
            attr.license,
            attr.name,
            attr.kern_version,
            attr.log_level,
            attr.prog_btf_fd.map_or("none".to_string(), |fd| {
                use std::os::fd::AsRawFd;
                fd.as_raw_fd().to_string()
            }),
            attr.func_info_cnt,
            attr.line_info_cnt
        ));
    }

    fn prog_loaded(&self, name: &str, fd: i32, log: &str) {
        self.detail(&format!("the verifier accepted {name} -> fd {fd}"));
        if !log.is_empty() {
            self.detail(log);
        }
    }
}

/// Narrates netlink traffic: each message decoded, then its bytes.
#[derive(Debug, Default)]
pub struct NetlinkNarrator {
    steps: Arc<Narrator>,
}

impl NetlinkNarrator {
    /// A netlink narrator numbering its steps with `steps`.
    pub fn new(steps: Arc<Narrator>) -> Self {
        NetlinkNarrator { steps }
    }
}

impl netlink_tc::Observer for NetlinkNarrator {
    fn sent(&self, message: &[u8]) {
        self.steps.step(&format!(
            "netlink request to the kernel ({} bytes)",
            message.len()
        ));
        self.steps.detail(&netlink_tc::explain::describe(message));
        self.steps.detail(&hex_dump(message));
    }

    fn received(&self, message: &[u8]) {
        self.steps.step(&format!(
            "netlink answer from the kernel ({} bytes)",
            message.len()
        ));
        self.steps.detail(&netlink_tc::explain::describe(message));
    }
}

/// Bytes as rows of 16, grouped in 4-byte words like the captures in the tests.
fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::from("bytes:");
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "\n{:04x}:", row * 16);
        for word in chunk.chunks(4) {
            out.push(' ');
            out.push_str(&bpf_sys::hex(word));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_rows_of_sixteen_in_words() {
        let bytes: Vec<u8> = (0u8..20).collect();
        assert_eq!(
            hex_dump(&bytes),
            "bytes:\n0000: 00010203 04050607 08090a0b 0c0d0e0f\n0010: 10111213"
        );
    }

    #[test]
    fn instructions_show_fields_and_bytes() {
        let insn = Insn::new(0x18, 1, 1, 0, 7);
        assert_eq!(
            describe_insn(&insn),
            "r1 = map[fd:7]         code 0x18 dst r1 src 1 off 0 imm 7  [18 11 00 00 07 00 00 00]"
        );
    }
}
