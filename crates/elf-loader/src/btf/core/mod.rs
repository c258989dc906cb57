//! CO-RE ("compile once, run everywhere") relocations, resolved against a kernel's
//! BTF the way libbpf resolves them.
//!
//! clang compiles `p->field` on a `preserve_access_index` type (every type of
//! `vmlinux.h`) into an instruction that holds the field's offset in the *compiler's*
//! view of the type, plus a `.BTF.ext` record: the instruction, the root type and an
//! access string such as `"0:4"` (index 0 of the pointer, member 4). At load time the
//! loader
//!
//! 1. walks the access string through the object's own BTF (`spec`),
//! 2. looks for kernel types with the same essential name (`foo___v2` is a `foo`) and
//!    a compatible kind (`candidates`),
//! 3. matches the walk against each candidate by member *names* (`matching`),
//! 4. computes the value clang used and the value the kernel needs (`value`): an
//!    offset, a size, a bitfield shift, an existence flag, a type id or size, an
//!    enumerator's value,
//! 5. writes it into the instruction, or poisons the instruction when the kernel has
//!    no such field (`patch`).
//!
//! [`CoreRelocator`] runs these steps for one record at a time and reports each
//! decision as a [`CoreOutcome`], so a caller can narrate it.

mod candidates;
mod kind;
mod matching;
pub(crate) use matching::types_compatible;
mod patch;
mod spec;
mod value;

use std::collections::BTreeMap;

use bpf_sys::Insn;

use crate::btf::error::BtfError;
use crate::btf::ext::CoreRelo;
use crate::btf::{Btf, BtfTypes, essential_name};

pub use candidates::{CANDIDATE_KINDS, CandidateSource};
pub use kind::{CoreReloKind, KindFamily};
pub use patch::POISON_HELPER;

use candidates::kinds_compatible;
use spec::{Spec, describe, parse_spec, path};
use value::Resolution;

/// What went wrong inside the engine, before the context is added.
#[derive(Debug)]
pub(crate) enum Problem {
    /// The relocation or a type does not make sense.
    Invalid(String),
    /// A type or string could not be read.
    Btf(BtfError),
}

impl From<BtfError> for Problem {
    fn from(e: BtfError) -> Self {
        Problem::Btf(e)
    }
}

impl Problem {
    /// The problem as a BTF error about type `id`.
    pub(crate) fn into_btf_error(self, id: u32) -> BtfError {
        match self {
            Problem::Btf(e) => e,
            Problem::Invalid(reason) => BtfError::Resolve { id, reason },
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Invalid(s) => f.write_str(s),
            Problem::Btf(e) => write!(f, "{e}"),
        }
    }
}

/// Why a CO-RE relocation could not be applied. A relocation whose field or type is
/// simply absent from the kernel is not an error: its instruction is poisoned (see
/// [`CoreOutcome::poisoned`]).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The record, its access string or the local BTF it refers to is malformed.
    #[error(
        "instruction {insn}: CO-RE relocation ({kind}) of {local_type} access \"{access}\": {reason}"
    )]
    Invalid {
        /// Index of the instruction.
        insn: usize,
        /// The relocation kind's name (or its number when unknown).
        kind: String,
        /// The local root type ("struct task_struct").
        local_type: String,
        /// The raw access string.
        access: String,
        /// What is wrong.
        reason: String,
    },
    /// Several kernel types match and give different answers (libbpf refuses too).
    #[error(
        "instruction {insn}: CO-RE relocation ({kind}) of {local_type} access {access} is ambiguous: kernel types {first} and {second} both match but disagree"
    )]
    Ambiguous {
        /// Index of the instruction.
        insn: usize,
        /// The relocation kind.
        kind: CoreReloKind,
        /// The local root type.
        local_type: String,
        /// The raw access string, quoted, and the access in C terms: `"0:1"
        /// (walk_control.stage)`.
        access: String,
        /// The first matching kernel type and what it gives ("\[123\] struct foo
        /// (value 8)").
        first: String,
        /// The disagreeing one and what it gives.
        second: String,
    },
    /// The instruction cannot carry this relocation (wrong class, wrong value, an
    /// offset that does not fit, ...).
    #[error(
        "instruction {insn}: CO-RE relocation ({kind}) of {local_type} access \"{access}\": cannot patch the instruction: {reason}"
    )]
    Unpatchable {
        /// Index of the instruction.
        insn: usize,
        /// The relocation kind.
        kind: CoreReloKind,
        /// The local root type.
        local_type: String,
        /// The raw access string.
        access: String,
        /// Why.
        reason: String,
    },
}

/// What one relocation did, for narration (`--explain`, `rtc obj show --btf`).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreOutcome {
    /// Index of the relocated instruction.
    pub insn: usize,
    /// The relocation kind.
    pub kind: CoreReloKind,
    /// The local root type ("struct __sk_buff").
    pub local_type: String,
    /// The raw access string ("0:15").
    pub access: String,
    /// The access in C terms, as libbpf prints it ("__sk_buff.data", "foo.arr\[2\].x",
    /// "bpf_func_id::BPF_FUNC_map_lookup_elem").
    pub path: String,
    /// The kernel types considered: (id, "struct sk_buff"; "struct nf_conn in
    /// nf_conntrack" for a module's), in id order (for a repeated root type, those
    /// left after earlier relocations pruned the list).
    pub candidates: Vec<(u32, String)>,
    /// The first candidate that matched.
    pub chosen: Option<u32>,
    /// The BTF the chosen candidate is in: "vmlinux" or a module's name.
    pub target_btf: Option<String>,
    /// The access in the chosen kernel type, with its raw indices and bit offset.
    pub target_path: Option<String>,
    /// The value clang put in the instruction (from the object's BTF).
    pub local_value: u64,
    /// The value for the kernel; `None` when the instruction was poisoned.
    pub target_value: Option<u64>,
    /// Why the instruction was poisoned, if it was.
    pub poisoned: Option<String>,
    /// The instruction before (two for `ld_imm64`).
    pub before: Vec<Insn>,
    /// The instruction after.
    pub after: Vec<Insn>,
}

/// Resolves and applies CO-RE relocations against one target BTF (a kernel's, or any
/// [`CandidateSource`]) and, for root types it has no candidate for, the BTFs of
/// kernel modules (libbpf's order: vmlinux first, modules only as a fallback). Keeps,
/// per local root type, the candidates that still match, as libbpf does, so later
/// relocations of the same type only look at those.
pub struct CoreRelocator<'a> {
    local: &'a Btf,
    target: &'a dyn CandidateSource,
    /// Module BTFs (split on top of `target`), searched when `target` has no candidate.
    modules: Vec<&'a dyn CandidateSource>,
    /// (source, essential name) → ids of that source's types with that essential
    /// name; source 0 is `target`, source i > 0 is `modules[i - 1]`.
    by_name: BTreeMap<(usize, String), Vec<u32>>,
    /// Local root type id → candidate target types still in the running.
    candidates: BTreeMap<u32, Vec<Cand>>,
}

/// A candidate: a type id in one of the relocator's sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cand {
    source: usize,
    id: u32,
}

/// The context every error message carries.
struct Context {
    insn: usize,
    kind: CoreReloKind,
    local_type: String,
    access: String,
}

impl Context {
    fn invalid(&self, reason: impl std::fmt::Display) -> CoreError {
        CoreError::Invalid {
            insn: self.insn,
            kind: self.kind.to_string(),
            local_type: self.local_type.clone(),
            access: self.access.clone(),
            reason: reason.to_string(),
        }
    }
}

impl<'a> CoreRelocator<'a> {
    /// A relocator for the object whose BTF is `local`, against `target` (usually a
    /// kernel's [`crate::btf::TargetBtf`]).
    pub fn new(local: &'a Btf, target: &'a dyn CandidateSource) -> Self {
        CoreRelocator {
            local,
            target,
            modules: Vec::new(),
            by_name: BTreeMap::new(),
            candidates: BTreeMap::new(),
        }
    }

    /// Adds the BTFs of kernel modules (split BTF on top of the target's): a root type
    /// the target has no candidate for is looked up in every module, as libbpf does.
    pub fn with_modules(mut self, modules: &[&'a dyn CandidateSource]) -> Self {
        self.modules.extend_from_slice(modules);
        self
    }

    /// Source `index`: 0 is the target, i > 0 the module i - 1.
    fn source(&self, index: usize) -> &'a dyn CandidateSource {
        match index.checked_sub(1).and_then(|i| self.modules.get(i)) {
            Some(module) => *module,
            None => self.target,
        }
    }

    /// "[123] struct foo", with " in MODULE" for a module's type.
    fn describe_cand(&self, cand: Cand) -> String {
        let source = self.source(cand.source);
        let text = format!("[{}] {}", cand.id, describe(source, cand.id));
        if cand.source == 0 {
            text
        } else {
            format!("{text} in {}", source.btf_name())
        }
    }

    /// The ids of `source`'s types with this essential name (looked up once).
    fn ids_named(&mut self, source: usize, essential: &str) -> Vec<u32> {
        let key = (source, essential.to_string());
        if let Some(ids) = self.by_name.get(&key) {
            return ids.clone();
        }
        let mut found = self.source(source).ids_by_essential_name(&[essential]);
        let ids = found.remove(essential).unwrap_or_default();
        self.by_name.insert(key, ids.clone());
        ids
    }

    /// Looks up the candidates of every root type of `relos` in one pass over the
    /// target's types (otherwise each new root type costs a pass of its own).
    pub fn prefetch(&mut self, relos: &[CoreRelo]) {
        self.prefetch_all(relos);
    }

    /// Like [`CoreRelocator::prefetch`] for records of several sections at once (e.g.
    /// every section of [`crate::btf::ext::BtfExt::core_relos`]): still one pass.
    pub fn prefetch_all<'r>(&mut self, relos: impl IntoIterator<Item = &'r CoreRelo>) {
        let mut wanted: Vec<String> = Vec::new();
        for relo in relos {
            if relo.kind == CoreReloKind::TypeIdLocal.raw() {
                continue;
            }
            let Ok(name) = self.local.name_of(relo.type_id) else {
                continue;
            };
            let name = essential_name(name);
            if !name.is_empty()
                && !self.by_name.contains_key(&(0, name.to_string()))
                && !wanted.iter().any(|w| w == name)
            {
                wanted.push(name.to_string());
            }
        }
        if wanted.is_empty() {
            return;
        }
        let names: Vec<&str> = wanted.iter().map(String::as_str).collect();
        let mut found = self.target.ids_by_essential_name(&names);
        for name in wanted {
            let ids = found.remove(&name).unwrap_or_default();
            self.by_name.insert((0, name), ids);
        }
    }

    /// The candidate list of local root type `local_id` (libbpf's
    /// `bpf_core_find_cands`): target types whose essential name equals the local
    /// one's and whose kind is compatible.
    fn candidates_of(&mut self, local_id: u32, ctx: &Context) -> Result<Vec<Cand>, CoreError> {
        if let Some(list) = self.candidates.get(&local_id) {
            return Ok(list.clone());
        }
        let local_ty = self.local.ty(local_id).map_err(|e| ctx.invalid(e))?;
        let name = self
            .local
            .str_at(local_ty.name_off)
            .map_err(|e| ctx.invalid(e))?;
        if name.is_empty() {
            return Err(
                ctx.invalid("the root type is anonymous, and CO-RE finds kernel types by name")
            );
        }
        let essential = essential_name(name).to_string();
        let mut list = Vec::new();
        // The target first; the modules only when it has no candidate at all.
        for source in 0..=self.modules.len() {
            if source > 0 && !list.is_empty() {
                break;
            }
            let btf = self.source(source);
            for id in self.ids_named(source, &essential) {
                let Ok(ty) = btf.ty(id) else {
                    continue;
                };
                if kinds_compatible(ty.kind, local_ty.kind) {
                    list.push(Cand { source, id });
                }
            }
        }
        self.candidates.insert(local_id, list.clone());
        Ok(list)
    }

    /// Applies one record to `insns[index]` (and `insns[index + 1]` for `ld_imm64`);
    /// returns what was done. `index` is the record's instruction in `insns` (the
    /// caller converts the record's byte offset).
    pub fn apply(
        &mut self,
        relo: &CoreRelo,
        insns: &mut [Insn],
        index: usize,
    ) -> Result<CoreOutcome, CoreError> {
        let local: &Btf = self.local;
        let access = local
            .str_at(relo.access_str_off)
            .map(str::to_string)
            .unwrap_or_else(|_| format!("<string at {}>", relo.access_str_off));
        let local_type = describe(local, relo.type_id);
        let Some(kind) = CoreReloKind::from_raw(relo.kind) else {
            return Err(CoreError::Invalid {
                insn: index,
                kind: format!("kind {}", relo.kind),
                local_type,
                access,
                reason: "unknown relocation kind (known: 0 to 12)".to_string(),
            });
        };
        let ctx = Context {
            insn: index,
            kind,
            local_type,
            access,
        };
        local
            .str_at(relo.access_str_off)
            .map_err(|e| ctx.invalid(e))?;
        local.ty(relo.type_id).map_err(|e| ctx.invalid(e))?;
        let width = match insns.get(index) {
            Some(insn) if insn.is_ld_imm64() => 2,
            Some(_) => 1,
            None => {
                return Err(ctx.invalid(format!(
                    "the function has only {} instructions",
                    insns.len()
                )));
            }
        };
        let window_end = (index + width).min(insns.len());
        let before: Vec<Insn> = insns.get(index..window_end).unwrap_or_default().to_vec();

        let cands = if kind == CoreReloKind::TypeIdLocal {
            Vec::new()
        } else {
            self.candidates_of(relo.type_id, &ctx)?
        };
        let local_spec =
            parse_spec(local, relo.type_id, &ctx.access, kind).map_err(|e| ctx.invalid(e))?;

        let mut chosen: Option<(Cand, Spec, Resolution)> = None;
        let mut kept = Vec::new();
        let res = if kind == CoreReloKind::TypeIdLocal {
            Resolution {
                local_value: u64::from(relo.type_id),
                target_value: u64::from(relo.type_id),
                ..Resolution::default()
            }
        } else {
            for &cand in &cands {
                let target = self.source(cand.source);
                let Some(cand_spec) =
                    matching::match_spec(local, &local_spec, kind, target, cand.id).map_err(
                        |e| {
                            ctx.invalid(format!(
                                "matching kernel type {}: {e}",
                                self.describe_cand(cand)
                            ))
                        },
                    )?
                else {
                    continue;
                };
                let cand_res = value::resolve(local, &local_spec, target, Some(&cand_spec), kind)
                    .map_err(|e| {
                    ctx.invalid(format!(
                        "with kernel type {}: {e}",
                        self.describe_cand(cand)
                    ))
                })?;
                match &chosen {
                    None => chosen = Some((cand, cand_spec, cand_res)),
                    Some((first, first_spec, first_res)) => {
                        let disagree = if cand_spec.bit_offset != first_spec.bit_offset {
                            Some((
                                format!("bit offset {}", first_spec.bit_offset),
                                format!("bit offset {}", cand_spec.bit_offset),
                            ))
                        } else if cand_res.poison != first_res.poison
                            || cand_res.target_value != first_res.target_value
                        {
                            Some((
                                format!("value {}", first_res.target_value),
                                format!("value {}", cand_res.target_value),
                            ))
                        } else {
                            None
                        };
                        if let Some((first_value, second_value)) = disagree {
                            return Err(CoreError::Ambiguous {
                                insn: index,
                                kind,
                                local_type: ctx.local_type,
                                access: format!(
                                    "\"{}\" ({})",
                                    ctx.access,
                                    path(local, &local_spec, kind)
                                ),
                                first: format!("{} ({first_value})", self.describe_cand(*first)),
                                second: format!("{} ({second_value})", self.describe_cand(cand)),
                            });
                        }
                    }
                }
                kept.push(cand);
            }
            if !kept.is_empty() {
                self.candidates.insert(relo.type_id, kept);
            }
            match &chosen {
                Some((_, _, res)) => *res,
                None => value::resolve(local, &local_spec, self.target, None, kind)
                    .map_err(|e| ctx.invalid(e))?,
            }
        };

        let window = insns.get_mut(index..).unwrap_or_default();
        let patched = patch::patch(window, &res).map_err(|reason| CoreError::Unpatchable {
            insn: index,
            kind,
            local_type: ctx.local_type.clone(),
            access: ctx.access.clone(),
            reason,
        })?;
        let poisoned = match patched {
            patch::Patched::Value => None,
            patch::Patched::Poisoned(Some(why)) => Some(why.to_string()),
            patch::Patched::Poisoned(None) => Some(self.why_missing(&local_spec, kind, &cands)),
        };
        let after: Vec<Insn> = insns.get(index..window_end).unwrap_or_default().to_vec();
        Ok(CoreOutcome {
            insn: index,
            kind,
            local_type: ctx.local_type,
            access: ctx.access,
            path: path(local, &local_spec, kind),
            candidates: cands
                .iter()
                .map(|&cand| {
                    let source = self.source(cand.source);
                    let text = describe(source, cand.id);
                    match cand.source {
                        0 => (cand.id, text),
                        _ => (cand.id, format!("{text} in {}", source.btf_name())),
                    }
                })
                .collect(),
            chosen: chosen.as_ref().map(|(cand, _, _)| cand.id),
            target_btf: chosen
                .as_ref()
                .map(|(cand, _, _)| self.source(cand.source).btf_name().to_string()),
            target_path: chosen
                .as_ref()
                .map(|(cand, spec, _)| target_spec_text(self.source(cand.source), spec, kind)),
            local_value: res.local_value,
            target_value: (poisoned.is_none()).then_some(res.target_value),
            poisoned,
            before,
            after,
        })
    }

    /// Says which step of the access the kernel lacks, for a poisoned relocation.
    fn why_missing(&self, local_spec: &Spec, kind: CoreReloKind, cands: &[Cand]) -> String {
        let local: &Btf = self.local;
        let root = local.name_of(local_spec.root_type_id).unwrap_or("");
        let root_kind = describe(local, local_spec.root_type_id);
        let Some(&first) = cands.first() else {
            return format!(
                "the kernel's BTF has no {} named `{}` (or a flavor of it)",
                root_kind.split(' ').next().unwrap_or("type"),
                essential_name(root)
            );
        };
        if kind.family() == KindFamily::EnumValue {
            let name = local_spec
                .accessors
                .first()
                .and_then(|a| a.name.clone())
                .unwrap_or_default();
            return format!(
                "no enumerator `{name}` in the kernel's {}",
                describe(self.source(first.source), first.id)
            );
        }
        // Find the first step that no candidate has.
        for len in 1..=local_spec.accessors.len() {
            let prefix = Spec {
                accessors: local_spec.accessors.get(..len).unwrap_or_default().to_vec(),
                ..local_spec.clone()
            };
            let any = cands.iter().any(|&cand| {
                matches!(
                    matching::match_spec(local, &prefix, kind, self.source(cand.source), cand.id),
                    Ok(Some(_))
                )
            });
            if any {
                continue;
            }
            let Some(step) = local_spec.accessors.get(len - 1) else {
                break;
            };
            let parent = describe(local, step.type_id);
            let parent = parent
                .split_once(' ')
                .map(|(w, n)| format!("{w} {}", essential_name(n)))
                .unwrap_or(parent);
            return match &step.name {
                Some(name) => {
                    format!("no field `{name}` of a compatible type in the kernel's {parent}")
                }
                None => format!("index {} is beyond the kernel's array", step.idx),
            };
        }
        format!(
            "`{}` does not match the kernel's {}",
            path(local, local_spec, kind),
            describe(self.source(first.source), first.id)
        )
    }
}

/// The target spec as libbpf prints it: path, raw indices and offset.
fn target_spec_text(target: &dyn CandidateSource, spec: &Spec, kind: CoreReloKind) -> String {
    let mut text = format!("[{}] {}", spec.root_type_id, path(target, spec, kind));
    if kind.family() == KindFamily::Field {
        let raw: Vec<String> = spec.raw.iter().map(u32::to_string).collect();
        text.push_str(&format!(" ({}", raw.join(":")));
        if spec.bit_offset % 8 != 0 {
            text.push_str(&format!(
                " @ offset {}.{})",
                spec.bit_offset / 8,
                spec.bit_offset % 8
            ));
        } else {
            text.push_str(&format!(" @ offset {})", spec.bit_offset / 8));
        }
    }
    text
}

#[cfg(test)]
mod tests;
