//! Finding the kernel types a local type may stand for: same "essential" name (the
//! name up to its last `___flavor` suffix) and a compatible kind.

use std::collections::BTreeMap;

use crate::btf::core::spec::is_any_enum;
use crate::btf::{Btf, BtfKind, BtfTypes, TargetBtf, essential_name};

/// A BTF that can be searched for CO-RE candidates: types by id plus a lookup by
/// essential name. Implemented for the object's own [`Btf`] (a plain scan) and for a
/// kernel's BTF (one indexed pass for all names asked).
pub trait CandidateSource: BtfTypes {
    /// Number of type ids, `void` included.
    fn id_count(&self) -> u32;

    /// A name for messages: "vmlinux", a module's name.
    fn btf_name(&self) -> &str {
        "target BTF"
    }

    /// For each essential name in `names`, the ids (ascending, any kind) of the types
    /// whose essential name equals it. Names without a match may be absent.
    fn ids_by_essential_name(&self, names: &[&str]) -> BTreeMap<String, Vec<u32>> {
        let mut out: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for id in 1..self.id_count() {
            let Ok(name) = self.name_of(id) else {
                continue;
            };
            let essential = essential_name(name);
            if !essential.is_empty() && names.contains(&essential) {
                out.entry(essential.to_string()).or_default().push(id);
            }
        }
        out
    }
}

/// The kinds a CO-RE root type can have when it is looked up by name: every named
/// kind but functions, variables and data sections (which are most of vmlinux's named
/// types, so leaving them out makes the look-up several times cheaper).
pub const CANDIDATE_KINDS: [BtfKind; 8] = [
    BtfKind::Int,
    BtfKind::Struct,
    BtfKind::Union,
    BtfKind::Enum,
    BtfKind::Fwd,
    BtfKind::Typedef,
    BtfKind::Float,
    BtfKind::Enum64,
];

impl CandidateSource for TargetBtf {
    fn id_count(&self) -> u32 {
        self.type_count()
    }

    fn btf_name(&self) -> &str {
        self.name()
    }

    fn ids_by_essential_name(&self, names: &[&str]) -> BTreeMap<String, Vec<u32>> {
        self.find_by_essential_names_of(names, &CANDIDATE_KINDS)
    }
}

impl CandidateSource for Btf {
    fn id_count(&self) -> u32 {
        u32::try_from(self.type_count()).unwrap_or(u32::MAX)
    }
}

/// libbpf's `btf_kind_core_compat`: the same kind, or enums of either width.
pub fn kinds_compatible(a: BtfKind, b: BtfKind) -> bool {
    a == b || (is_any_enum(a) && is_any_enum(b))
}
