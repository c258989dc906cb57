//! The CO-RE part of `rtc obj show`: each relocation the object asks for, and, given a
//! kernel's BTF (`btf FILE`, or `--btf FILE`), what it resolves to for that kernel:
//! "will this object work on that kernel?" without that kernel.

use serde::Serialize;

use elf_loader::btf::core::{CandidateSource, CoreOutcome, CoreRelocator};
use elf_loader::btf::{BtfKind, TargetBtf};
use elf_loader::externs::{ExternKind, Externs};
use elf_loader::{Object, Program};

/// One CO-RE relocation of the object.
#[derive(Debug, Serialize)]
pub struct CoreRelocationReport {
    /// The code section.
    pub section: String,
    /// The function it is in.
    pub function: String,
    /// Index of the instruction within the function.
    pub insn: usize,
    /// The relocation kind ("field byte offset", ...).
    pub kind: String,
    /// The local root type ("struct __sk_buff").
    pub local_type: String,
    /// The raw access string ("0:15").
    pub access: String,
    /// The access in C terms ("__sk_buff.data").
    pub path: String,
    /// The value clang compiled in.
    pub local_value: u64,
    /// What it resolves to on the target kernel, when a BTF was given.
    pub target: Option<CoreTargetReport>,
    /// Why it cannot be resolved at all (malformed, ambiguous), if so.
    pub error: Option<String>,
}

/// A relocation resolved against a target kernel's BTF.
#[derive(Debug, Serialize)]
pub struct CoreTargetReport {
    /// The kernel type and access chosen ("\[13800\] __sk_buff.data (0:15 @ offset 76)").
    pub matched: Option<String>,
    /// The value for that kernel; `None` when the instruction would be poisoned.
    pub value: Option<u64>,
    /// Why it would be poisoned.
    pub poisoned: Option<String>,
}

/// Every CO-RE relocation of `object`, resolved against `target` if given.
pub fn relocations(object: &Object, target: Option<&TargetBtf>) -> Vec<CoreRelocationReport> {
    let (Some(ext), Some(local)) = (object.btf_ext(), object.btf()) else {
        return Vec::new();
    };
    // Without a kernel, the object's own BTF stands in as target: the access path and
    // the local value come from the local side alone.
    let source: &dyn CandidateSource = match target {
        Some(btf) => btf,
        None => local,
    };
    let mut relocator = CoreRelocator::new(local, source);
    let mut out = Vec::new();
    for section in &ext.core_relos {
        relocator.prefetch(&section.records);
        for record in &section.records {
            let function = function_at(object, &section.section, u64::from(record.insn_off));
            let (name, index, mut insns) = match function {
                Some(p) => (
                    p.name.clone(),
                    ((u64::from(record.insn_off) - p.offset) / 8) as usize,
                    p.insns.clone(),
                ),
                None => (String::new(), (record.insn_off / 8) as usize, Vec::new()),
            };
            let mut report = CoreRelocationReport {
                section: section.section.clone(),
                function: name,
                insn: index,
                kind: String::new(),
                local_type: String::new(),
                access: String::new(),
                path: String::new(),
                local_value: 0,
                target: None,
                error: None,
            };
            match relocator.apply(record, &mut insns, index) {
                Ok(outcome) => fill(&mut report, &outcome, target.is_some()),
                Err(e) => report.error = Some(e.to_string()),
            }
            out.push(report);
        }
    }
    out
}

fn fill(report: &mut CoreRelocationReport, outcome: &CoreOutcome, resolved: bool) {
    report.kind = outcome.kind.to_string();
    report.local_type = outcome.local_type.clone();
    report.access = outcome.access.clone();
    report.path = outcome.path.clone();
    report.local_value = outcome.local_value;
    if resolved {
        report.target = Some(CoreTargetReport {
            matched: outcome.target_path.clone(),
            value: outcome.target_value.filter(|_| outcome.poisoned.is_none()),
            poisoned: outcome.poisoned.clone(),
        });
    }
}

/// The program or subprogram of `section` whose instructions hold byte `offset`.
fn function_at<'o>(object: &'o Object, section: &str, offset: u64) -> Option<&'o Program> {
    object
        .programs()
        .iter()
        .chain(object.subprograms())
        .find(|p| {
            p.section == section
                && (p.offset..p.offset + (p.insns.len() * 8) as u64).contains(&offset)
        })
}

/// One extern of the object: what it is and, with a kernel's BTF, what it names there.
#[derive(Debug, Serialize)]
pub struct ExternReport {
    /// Its name.
    pub name: String,
    /// "kconfig", "ksym (typed)", "ksym (untyped)" or "kfunc".
    pub kind: String,
    /// Declared `__weak`: may be absent.
    pub weak: bool,
    /// Where it comes from at load time, or what it resolves to in the given BTF.
    pub resolves_to: String,
}

/// Every extern of `object` (empty when they cannot be described: loading names
/// the problem), resolved against `target` where BTF decides.
pub fn externs(object: &Object, target: Option<&TargetBtf>) -> Vec<ExternReport> {
    let Ok(externs) = Externs::collect(object) else {
        return Vec::new();
    };
    externs
        .iter()
        .map(|e| {
            let in_btf = |kind: BtfKind, what: &str| match target {
                None => format!("the kernel {what} of that name, found in its BTF at load time"),
                Some(btf) => match btf.find(kind, e.essential_name()) {
                    Some(id) => format!("{what} [{id}] {}", e.essential_name()),
                    None if e.weak => "absent (weak: reads as 0 / the call is skipped)".to_string(),
                    None => "absent: the load would fail".to_string(),
                },
            };
            let (kind, resolves_to) = match &e.kind {
                ExternKind::Kconfig(slot) => (
                    "kconfig".to_string(),
                    format!(
                        ".kconfig+{} ({} bytes), from the running kernel's config at load time",
                        slot.offset, slot.size
                    ),
                ),
                ExternKind::Ksym { typed: true, .. } => {
                    ("ksym (typed)".to_string(), in_btf(BtfKind::Var, "VAR"))
                }
                ExternKind::Ksym { typed: false, .. } => (
                    "ksym (untyped)".to_string(),
                    "its address in /proc/kallsyms at load time".to_string(),
                ),
                ExternKind::Kfunc { .. } => ("kfunc".to_string(), in_btf(BtfKind::Func, "FUNC")),
                _ => ("extern".to_string(), "resolved at load time".to_string()),
            };
            ExternReport {
                name: e.name.clone(),
                kind,
                weak: e.weak,
                resolves_to,
            }
        })
        .collect()
}

/// Reads the kernel BTF `path` for `obj show`.
pub fn read_target(path: &str) -> Result<TargetBtf, String> {
    TargetBtf::from_file(std::path::Path::new(path)).map_err(|e| e.to_string())
}
